/* native/mailbox/crm_mailbox.c: the interface shared by the connectors: errors, cursors,
 * folder kinds, the keyword encoding. */
#include "mailbox_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const folder_names[] = {"inbox", "sent", "salesforce", "junk", "drafts", "deleted", "archive", "other"};

const char *mbx_core_name(const char *s) {
    for (size_t i = 0; s && i < sizeof folder_names / sizeof *folder_names; i++)
        if (strcmp(s, folder_names[i]) == 0) return folder_names[i];
    return NULL;
}

crm_mbx_status mbx_fail(crm_mbx *m, crm_mbx_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
    return st;
}

bool mbx_wants(const crm_mbx *m, const char *core_folder) {
    for (size_t i = 0; i < m->n_want; i++)
        if (strcmp(m->want[i], core_folder) == 0) return true;
    return false;
}

static const char *const status_names[] = {"OK", "E_CONFIG", "E_CONNECT", "E_TLS", "E_AUTH", "E_PROTOCOL",
                                           "E_NOT_FOUND", "E_NO_CATEGORIES", "E_IO", "E_NOMEM", "E_CURSOR", "E_PARSE"};

const char *crm_mbx_status_str(crm_mbx_status st) {
    return (unsigned)st < sizeof status_names / sizeof *status_names ? status_names[st] : "E_UNKNOWN";
}

const char *crm_mbx_errmsg(const crm_mbx *m) { return m ? m->err : "no handle"; }
crm_mbx_kind crm_mbx_get_kind(const crm_mbx *m) { return m->kind; }

crm_mbx_status crm_mbx_open(const crm_mbx_config *cfg, crm_mbx **out, char **err) {
    *out = NULL;
    if (err) *err = NULL;
    crm_mbx *m = calloc(1, sizeof *m);
    if (m == NULL) { if (err) *err = strdup("out of memory"); return CRM_MBX_E_NOMEM; }
    m->kind = cfg->kind;
    m->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
    crm_mbx_status st = CRM_MBX_OK;
    if (cfg->folders == NULL) {
        m->want[0] = "inbox"; m->want[1] = "sent"; m->want[2] = "salesforce";
        m->n_want = 3;
    } else
        for (size_t i = 0; i < cfg->n_folders && st == CRM_MBX_OK; i++) {
            const char *c = mbx_core_name(cfg->folders[i]);
            if (c == NULL) st = mbx_fail(m, CRM_MBX_E_CONFIG, "unknown folder '%.64s' (inbox, sent, salesforce, junk, drafts, deleted, archive, other)", cfg->folders[i]);
            else if (!mbx_wants(m, c)) m->want[m->n_want++] = c;
        }
    if (st == CRM_MBX_OK) {
        if (cfg->kind == CRM_MBX_MAILDIR) st = mbx_maildir_open(m, cfg);
        else if (cfg->kind == CRM_MBX_IMAP) st = mbx_imap_open(m, cfg);
        else st = mbx_fail(m, CRM_MBX_E_CONFIG, "unknown connector kind %d", (int)cfg->kind);
    }
    if (st != CRM_MBX_OK) {
        if (err) *err = strdup(m->err);
        if (m->ops && m->impl) m->ops->close(m);
        free(m);
        return st;
    }
    *out = m;
    return CRM_MBX_OK;
}

void crm_mbx_close(crm_mbx *m) {
    if (m == NULL) return;
    if (m->ops) m->ops->close(m);
    free(m);
}

crm_mbx_status mbx_add_change(crm_mbx *m, crm_mbx_changes *c, size_t *cap, const char *id, const char *folder,
                              const char *folder_name, crm_mbx_change_kind kind, uint64_t size) {
    if (c->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        crm_mbx_change *ni = realloc(c->items, nc * sizeof *ni);
        if (ni == NULL) return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
        c->items = ni;
        *cap = nc;
    }
    crm_mbx_change *ch = &c->items[c->n];
    ch->id = strdup(id);
    ch->folder_name = strdup(folder_name);
    if (ch->id == NULL || ch->folder_name == NULL) {
        free(ch->id);
        free(ch->folder_name);
        return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    }
    ch->folder = folder;
    ch->kind = kind;
    ch->size = size;
    c->n++;
    return CRM_MBX_OK;
}

void crm_mbx_changes_free(crm_mbx_changes *c) {
    if (c == NULL) return;
    for (size_t i = 0; i < c->n; i++) { free(c->items[i].id); free(c->items[i].folder_name); }
    free(c->items);
    free(c->cursor);
    free(c);
}

crm_mbx_status crm_mbx_list_changes(crm_mbx *m, const char *cursor, size_t limit, crm_mbx_changes **out) {
    *out = NULL;
    cJSON *cur = NULL;
    if (cursor && cursor[0]) {
        cur = cJSON_Parse(cursor);
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(cur, "kind");
        const char *want = m->kind == CRM_MBX_IMAP ? "imap" : "maildir";
        if (cur == NULL || !cJSON_IsObject(cur) || !cJSON_IsString(k) || strcmp(k->valuestring, want) != 0 ||
            !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(cur, "folders"))) {
            cJSON_Delete(cur);
            return mbx_fail(m, CRM_MBX_E_CURSOR, "the cursor was not written by the %s connector", want);
        }
    }
    crm_mbx_changes *c = calloc(1, sizeof *c);
    cJSON *nc = cJSON_CreateObject(), *nf = cJSON_CreateObject();
    if (c == NULL || nc == NULL || nf == NULL || !cJSON_AddNumberToObject(nc, "v", 1) ||
        !cJSON_AddStringToObject(nc, "kind", m->kind == CRM_MBX_IMAP ? "imap" : "maildir")) {
        free(c); cJSON_Delete(nc); cJSON_Delete(nf); cJSON_Delete(cur);
        return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    }
    cJSON_AddItemToObject(nc, "folders", nf);
    crm_mbx_status st = m->ops->list(m, cur ? cJSON_GetObjectItemCaseSensitive(cur, "folders") : NULL, limit, c, nf);
    cJSON_Delete(cur);
    if (st == CRM_MBX_OK) {
        c->cursor = cJSON_PrintUnformatted(nc);
        if (c->cursor == NULL) st = mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    }
    cJSON_Delete(nc);
    if (st != CRM_MBX_OK) { crm_mbx_changes_free(c); return st; }
    *out = c;
    return CRM_MBX_OK;
}

crm_mbx_status mbx_make_item(crm_mbx *m, char *raw, size_t len, bool keep_raw, const char *id, const char *folder,
                             char *const *keywords, size_t n_keywords, bool is_draft, int64_t fallback_date,
                             crm_mbx_item *out) {
    char **cats = calloc(n_keywords + 1, sizeof *cats);
    if (cats == NULL) { free(raw); return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory"); }
    size_t nc = 0;
    for (size_t i = 0; i < n_keywords; i++) {
        if (keywords[i] == NULL || keywords[i][0] == '\\') continue; /* system flags are not categories */
        char *d = crm_mbx_keyword_decode(keywords[i]);
        if (d) cats[nc++] = d;
    }
    crm_mime_meta meta = {.id = id, .folder = folder, .categories = (const char *const *)cats, .n_categories = nc,
                          .is_draft = is_draft || strcmp(folder, "drafts") == 0, .fallback_date = fallback_date};
    unsigned cut = 0;
    crm_mime_status ms = crm_mime_item(raw, len, &meta, &out->item, &cut);
    for (size_t i = 0; i < nc; i++) free(cats[i]);
    free(cats);
    out->truncated = cut;
    if (keep_raw) { out->raw = raw; out->raw_len = len; }
    else free(raw);
    if (ms == CRM_MIME_E_NOMEM) return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory parsing item %.200s", id);
    if (ms != CRM_MIME_OK) return mbx_fail(m, CRM_MBX_E_PARSE, "item %.200s is not a readable message (no header)", id);
    return CRM_MBX_OK;
}

crm_mbx_status crm_mbx_fetch(crm_mbx *m, const char *id, bool keep_raw, crm_mbx_item **out) {
    *out = calloc(1, sizeof **out);
    if (*out == NULL) return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    crm_mbx_status st = m->ops->fetch(m, id, keep_raw, *out);
    if (st != CRM_MBX_OK) { crm_mbx_item_free(*out); *out = NULL; }
    return st;
}

crm_mbx_status crm_mbx_fetch_batch(crm_mbx *m, const char *const *ids, size_t n, bool keep_raw, crm_mbx_item **out,
                                   crm_mbx_status *sts) {
    crm_mbx_status st = CRM_MBX_OK;
    for (size_t i = 0; i < n; i++) {
        sts[i] = CRM_MBX_OK;
        out[i] = calloc(1, sizeof **out);
        if (out[i] == NULL) st = mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    }
    if (st == CRM_MBX_OK) {
        if (m->ops->fetch_batch) st = m->ops->fetch_batch(m, ids, n, keep_raw, out, sts);
        else
            for (size_t i = 0; i < n && st == CRM_MBX_OK; i++) {
                sts[i] = m->ops->fetch(m, ids[i], keep_raw, out[i]);
                if (sts[i] == CRM_MBX_E_CONNECT || sts[i] == CRM_MBX_E_NOMEM) st = sts[i];
            }
    }
    for (size_t i = 0; i < n; i++) {
        if (st != CRM_MBX_OK && sts[i] == CRM_MBX_OK && (out[i] == NULL || out[i]->item == NULL)) sts[i] = st;
        if (sts[i] != CRM_MBX_OK) { crm_mbx_item_free(out[i]); out[i] = NULL; }
    }
    return st;
}

void crm_mbx_item_free(crm_mbx_item *it) {
    if (it == NULL) return;
    cJSON_Delete(it->item);
    free(it->raw);
    free(it);
}

crm_mbx_status crm_mbx_mark(crm_mbx *m, const char *id, const char *category) {
    if (category == NULL || category[0] == '\0') return mbx_fail(m, CRM_MBX_E_CONFIG, "empty category");
    char *kw = crm_mbx_keyword_encode(category);
    if (kw == NULL) return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    crm_mbx_status st = m->ops->mark(m, id, kw, category);
    free(kw);
    return st;
}

crm_mbx_status crm_mbx_move(crm_mbx *m, const char *id, const char *folder, char **new_id) {
    if (new_id) *new_id = NULL;
    if (folder == NULL || folder[0] == '\0') return mbx_fail(m, CRM_MBX_E_CONFIG, "empty target folder");
    return m->ops->move(m, id, folder, new_id);
}

/* ---------- folder kinds ---------- */
/* ASCII case-insensitive equality (no locale is ever set, so strcasecmp is ASCII). */
static bool ieq(const char *a, const char *b) { return strcasecmp(a, b) == 0; }

static bool nieq(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return false;
        if (x == '\0') return true;
    }
    return true;
}

static bool has_attr(const char *attrs, const char *attr) {
    size_t l = strlen(attr);
    for (const char *p = attrs; p && *p; p++)
        if (*p == '\\' && nieq(p, attr, l) && (p[l] == '\0' || p[l] == ' ' || p[l] == ')')) return true;
    return false;
}

const char *crm_mbx_folder_kind(const char *name, char delimiter, const char *special_use) {
    if (name == NULL) return "other";
    if (ieq(name, "INBOX")) return "inbox";
    if (special_use && special_use[0]) {
        if (has_attr(special_use, "\\Sent")) return "sent";
        if (has_attr(special_use, "\\Junk")) return "junk";
        if (has_attr(special_use, "\\Drafts")) return "drafts";
        if (has_attr(special_use, "\\Trash")) return "deleted";
        if (has_attr(special_use, "\\Archive") || has_attr(special_use, "\\All")) return "archive";
    }
    const char *leaf = delimiter ? strrchr(name, delimiter) : NULL;
    leaf = leaf ? leaf + 1 : name;
    static const struct { const char *name, *kind; } names[] = {
        {"Salesforce Emails", "salesforce"}, {"Salesforce Email", "salesforce"},
        {"Sent", "sent"}, {"Sent Items", "sent"}, {"Sent Messages", "sent"}, {"Sent Mail", "sent"}, {"Sent Email", "sent"},
        {"Junk", "junk"}, {"Spam", "junk"}, {"Junk E-mail", "junk"}, {"Junk Email", "junk"}, {"Bulk Mail", "junk"},
        {"Drafts", "drafts"}, {"Draft", "drafts"},
        {"Trash", "deleted"}, {"Deleted", "deleted"}, {"Deleted Items", "deleted"}, {"Deleted Messages", "deleted"}, {"Bin", "deleted"},
        {"Archive", "archive"}, {"Archives", "archive"}, {"All Mail", "archive"},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (ieq(leaf, names[i].name)) return names[i].kind;
    return "other";
}

/* ---------- keyword encoding ---------- */
static bool kw_plain(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '$';
}

char *crm_mbx_keyword_encode(const char *category) {
    size_t n = strlen(category);
    char *o = malloc(n * 3 + 1), *p = o;
    if (o == NULL) return NULL;
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)category[i];
        if (kw_plain(c) && !(i == 0 && c == '$')) *p++ = (char)c; /* a leading $ is escaped: $-keywords are registered ones */
        else if (c == ' ') *p++ = '_';
        else { *p++ = '&'; *p++ = hex[c >> 4]; *p++ = hex[c & 15]; }
    }
    *p = '\0';
    return o;
}

static int hexv(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *crm_mbx_keyword_decode(const char *kw) {
    size_t n = strlen(kw);
    char *o = malloc(n + 1), *p = o;
    if (o == NULL) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (kw[i] == '_') *p++ = ' ';
        else if (kw[i] == '&' && i + 2 < n && hexv(kw[i + 1]) >= 0 && hexv(kw[i + 2]) >= 0) {
            *p++ = (char)(hexv(kw[i + 1]) * 16 + hexv(kw[i + 2]));
            i += 2;
        } else if (kw[i] == '&' || !kw_plain((unsigned char)kw[i])) { /* not our encoding: as is */
            memcpy(o, kw, n + 1);
            return o;
        } else *p++ = kw[i];
    }
    *p = '\0';
    /* a decoded NUL or invalid result would not round-trip: keep the keyword as is */
    if (strlen(o) != (size_t)(p - o)) { memcpy(o, kw, n + 1); }
    return o;
}
