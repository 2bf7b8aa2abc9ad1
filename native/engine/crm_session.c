/* crm_session.c: one sync session of one mailbox (see crm_session.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "crm/crm.h"
#include "engine/crm_engine.h"
#include "engine/crm_session.h"
#include "mailbox/crm_mailbox.h"
#include "mime/crm_mime.h"

#define CURSOR_FOLDER "*"

static const char *str_of(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

static void log_issue(crm_store *st, int64_t mailbox, int64_t now, const char *kind, const char *key, const char *ref,
                      const char *code, const char *message) {
    crm_store_issue is = {mailbox, now, kind, key, ref, code, message};
    int64_t id = 0;
    if (crm_store_issue_add(st, &is, &id) != CRM_STORE_OK)
        fprintf(stderr, "crmsync: cannot log an issue: %s\n", crm_store_errmsg(st));
}

static void count_reason(crm_session_summary *sum, const char *reason) {
    cJSON *v = cJSON_GetObjectItemCaseSensitive(sum->reasons, reason);
    if (v) cJSON_SetNumberValue(v, v->valuedouble + 1);
    else cJSON_AddNumberToObject(sum->reasons, reason, 1);
}

static void progress(const crm_session_opts *o, const crm_session_summary *s, const char *mailbox, bool final) {
    if (o->progress == NULL) return;
    if (isatty(fileno(o->progress))) {
        long done = s->decided, total = s->listed ? s->listed : 1;
        int width = 30, filled = (int)(done * width / total);
        if (filled > width) filled = width;
        fprintf(o->progress, "\r%s [%.*s%*s] %ld/%ld decided, %ld saved, %ld skipped, %ld failed%s", mailbox, filled,
                "##############################", width - filled, "", done, s->listed, s->saved, s->skipped, s->failed,
                final ? "\n" : "");
    } else {
        fprintf(o->progress, "%s: %ld listed, %ld decided, %ld saved, %ld skipped, %ld failed\n", mailbox, s->listed, s->decided,
                s->saved, s->skipped, s->failed);
    }
    fflush(o->progress);
}

/* The mailbox connector's configuration from the store's config JSON. Secrets are given
 * by reference ("password_env": "NAME") or inline ("password"). */
static int mbx_config(const cJSON *mb, const cJSON *settings, crm_mbx_config *cfg, const char **folders, size_t *nf, char *err, size_t cap) {
    memset(cfg, 0, sizeof *cfg);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(mb, "config");
    const char *kind = str_of(mb, "kind");
    if (strcmp(kind, "maildir") == 0) {
        cfg->kind = CRM_MBX_MAILDIR;
        cfg->path = str_of(c, "path");
    } else if (strcmp(kind, "imap") == 0) {
        cfg->kind = CRM_MBX_IMAP;
        cfg->host = str_of(c, "host");
        const cJSON *port = cJSON_GetObjectItemCaseSensitive(c, "port");
        cfg->port = cJSON_IsNumber(port) ? (unsigned)port->valuedouble : 0;
        const char *tls = str_of(c, "tls");
        cfg->tls = strcmp(tls, "starttls") == 0 ? CRM_MBX_TLS_STARTTLS : strcmp(tls, "none") == 0 ? CRM_MBX_TLS_NONE : CRM_MBX_TLS_IMPLICIT;
        cfg->allow_plaintext = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "allow_plaintext"));
        cfg->ca_file = str_of(c, "ca_file")[0] ? str_of(c, "ca_file") : NULL;
        cfg->user = str_of(c, "user");
        const char *pe = str_of(c, "password_env");
        cfg->password = pe[0] ? getenv(pe) : (str_of(c, "password")[0] ? str_of(c, "password") : NULL);
        const char *te = str_of(c, "oauth_token_env");
        cfg->oauth_token = te[0] ? getenv(te) : NULL;
    } else {
        return fail(err, cap, "mailbox kind '%s' is not supported (maildir or imap)", kind);
    }
    /* the folders the rules process, plus the Salesforce Emails folder (E5) */
    *nf = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(settings, "email"), "folders"))
        if (cJSON_IsString(f) && *nf < 8) folders[(*nf)++] = f->valuestring;
    if (*nf == 0) { folders[(*nf)++] = "inbox"; folders[(*nf)++] = "sent"; }
    bool has_sf = false;
    for (size_t i = 0; i < *nf; i++) has_sf = has_sf || strcmp(folders[i], "salesforce") == 0;
    if (!has_sf) folders[(*nf)++] = "salesforce";
    cfg->folders = folders;
    cfg->n_folders = *nf;
    return 0;
}

/* The item's key (K1) through the core. */
static char *item_key(crm_engine *e, const cJSON *settings, const cJSON *item) {
    cJSON *rq = cJSON_CreateObject();
    cJSON_AddStringToObject(rq, "op", "item_key");
    cJSON_AddItemToObject(rq, "settings", cJSON_CreateObjectReference(settings->child));
    cJSON_AddItemToObject(rq, "item", cJSON_CreateObjectReference(item->child));
    cJSON *r = crm_engine_eval(e, rq);
    cJSON_Delete(rq);
    const char *k = str_of(cJSON_GetObjectItemCaseSensitive(r, "result"), "key");
    char *key = k[0] ? strdup(k) : NULL;
    cJSON_Delete(r);
    return key;
}

/* A set of strings (addresses and domains already looked up in this session). */
typedef struct strset { char **v; size_t cap, n; } strset;

static size_t ss_hash(const char *k) {
    size_t h = 2166136261u;
    for (; *k; k++) h = (h ^ (unsigned char)*k) * 16777619u;
    return h;
}

/* Adds k; true when it was not there yet. */
static bool ss_add(strset *s, const char *k) {
    if ((s->n + 1) * 2 > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 1024;
        char **nv = calloc(nc, sizeof *nv);
        if (nv == NULL) return false;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->v[i]) continue;
            size_t h = ss_hash(s->v[i]) & (nc - 1);
            while (nv[h]) h = (h + 1) & (nc - 1);
            nv[h] = s->v[i];
        }
        free(s->v);
        s->v = nv;
        s->cap = nc;
    }
    size_t h = ss_hash(k) & (s->cap - 1);
    for (; s->v[h]; h = (h + 1) & (s->cap - 1))
        if (strcmp(s->v[h], k) == 0) return false;
    s->v[h] = strdup(k);
    s->n++;
    return s->v[h] != NULL;
}

static void ss_free(strset *s) {
    for (size_t i = 0; i < s->cap; i++) free(s->v[i]);
    free(s->v);
}

/* Moves the rows of `add` (a core records object) into `into`. */
static void merge_records(cJSON *into, cJSON *add) {
    static const char *const k[] = {"contacts", "leads", "accounts", "opportunities"};
    for (size_t i = 0; i < 4; i++) {
        cJSON *dst = cJSON_GetObjectItemCaseSensitive(into, k[i]);
        cJSON *src = cJSON_GetObjectItemCaseSensitive(add, k[i]);
        cJSON *r;
        while (dst && src && (r = cJSON_DetachItemFromArray(src, 0)) != NULL) cJSON_AddItemToArray(dst, r);
    }
}

/* Items of one listing: fetched, with their keys. */
typedef struct batch_item {
    char *id;
    const char *folder;
    crm_mbx_item *mi;
    char *key;
    cJSON *decision;
    bool old;       /* before the first session's look-back: skipped, never decided */
    long copy_of;   /* another copy of a saved email of this batch: its index in the saves; -1 none */
} batch_item;

/* Logs the failure of one item and says whether it has failed max_attempts sessions in a
 * row, so that the cursor may pass it (true) or must wait for it (false). */
static bool give_up(crm_store *st, int64_t mailbox, int64_t now, const char *kind, const char *key, const char *ref,
                    const char *code, const char *message, int max_attempts) {
    crm_store_issue is = {mailbox, now, kind, key, ref, code, message};
    int64_t id = 0;
    long retried = 0;
    if (crm_store_issue_add(st, &is, &id) != CRM_STORE_OK || crm_store_issue_retried(st, id, &retried) != CRM_STORE_OK) {
        fprintf(stderr, "crmsync: cannot log an issue: %s\n", crm_store_errmsg(st));
        return false;
    }
    return retried + 1 >= max_attempts;
}

/* Saved: the save category on the item; out of Salesforce Emails back to the inbox. */
static void move_back(crm_store *st, crm_mbx *mbx, int64_t mailbox, int64_t now, const batch_item *b) {
    char *nid = NULL;
    crm_mbx_status mv = crm_mbx_move(mbx, b->id, "inbox", &nid);
    free(nid);
    if (mv != CRM_MBX_OK) log_issue(st, mailbox, now, "mark", b->key, str_of(b->mi->item, "message_id"), crm_mbx_status_str(mv), crm_mbx_errmsg(mbx));
}

static void mark_saved(crm_store *st, crm_mbx *mbx, int64_t mailbox, int64_t now, const batch_item *b, const char *category) {
    crm_mbx_status mk = crm_mbx_mark(mbx, b->id, category);
    if (mk != CRM_MBX_OK && mk != CRM_MBX_E_NO_CATEGORIES)
        log_issue(st, mailbox, now, "mark", b->key, str_of(b->mi->item, "message_id"), crm_mbx_status_str(mk), crm_mbx_errmsg(mbx));
    if (strcmp(b->folder, "salesforce") == 0) move_back(st, mbx, mailbox, now, b);
}

static void add_str(cJSON *arr, const char *s) { if (s && s[0]) cJSON_AddItemToArray(arr, cJSON_CreateString(s)); }

int crm_session_run(crm_store *st, crm_sf *sf, int64_t mailbox_id, const crm_session_opts *opts, crm_session_summary *sum,
                    char *err, size_t errcap) {
    memset(sum, 0, sizeof *sum);
    sum->reasons = cJSON_CreateObject();
    crm_session_opts o = *opts;
    if (o.batch == 0) o.batch = 1000;
    if (o.max_attempts <= 0) o.max_attempts = 3;
    long calls_at_start = crm_sf_calls(sf);
    cJSON *mb = NULL, *settings = NULL, *records = NULL;
    crm_mbx *mbx = NULL;
    crm_engine *eng = crm_engine_new();
    char *cursor = NULL;
    int rc = 0;
    if (eng == NULL) return fail(err, errcap, "out of memory");
    if (crm_store_mailbox_get(st, mailbox_id, &mb) != CRM_STORE_OK || crm_store_settings(st, mailbox_id, &settings) != CRM_STORE_OK) {
        rc = fail(err, errcap, "cannot read mailbox %lld from the store: %s", (long long)mailbox_id, crm_store_errmsg(st));
        goto out;
    }
    const char *name = str_of(mb, "name");
    /* field lengths come from the org (describe), not constants (F2) */
    {
        cJSON *limits = cJSON_GetObjectItemCaseSensitive(settings, "field_limits");
        if (limits == NULL) limits = cJSON_AddObjectToObject(settings, "field_limits");
        static const char *const objs[] = {"Task", "EmailMessage", "Contact", "Lead", "Account"};
        for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
            cJSON *all = cJSON_CreateObject();
            crm_sf_status ds = crm_sf_field_limits(sf, objs[i], all);
            if (ds != CRM_SF_OK && ds != CRM_SF_E_REQUEST) {
                /* an object the org lacks is fine (its defaults stay); anything else stops */
                cJSON_Delete(all);
                rc = fail(err, errcap, "Salesforce describe failed: %s", crm_sf_errmsg(sf));
                log_issue(st, mailbox_id, o.now, "session", NULL, str_of(mb, "name"), crm_sf_status_str(ds), err);
                goto out;
            }
            if (ds == CRM_SF_OK) {
                /* only the fields the core shapes: keep the settings small */
                static const char *const keep[] = {"Task.Subject", "Task.Description", "EmailMessage.Subject", "EmailMessage.TextBody",
                                                   "EmailMessage.HtmlBody", "EmailMessage.ToAddress", "EmailMessage.CcAddress",
                                                   "EmailMessage.BccAddress", "EmailMessage.MessageIdentifier",
                                                   "EmailMessage.ThreadIdentifier", "Contact.FirstName", "Contact.LastName",
                                                   "Lead.Company", "Account.Name"};
                for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++) {
                    const cJSON *v = cJSON_GetObjectItemCaseSensitive(all, keep[k]);
                    if (cJSON_IsNumber(v) && !cJSON_GetObjectItemCaseSensitive(limits, keep[k]))
                        cJSON_AddNumberToObject(limits, keep[k], v->valuedouble);
                }
            }
            cJSON_Delete(all);
        }
    }
    const char *folders[10];
    size_t nf = 0;
    crm_mbx_config cfg;
    if (mbx_config(mb, settings, &cfg, folders, &nf, err, errcap) != 0) { rc = -1; goto out; }
    char *merr = NULL;
    crm_mbx_status ms = crm_mbx_open(&cfg, &mbx, &merr);
    if (ms != CRM_MBX_OK) {
        rc = fail(err, errcap, "cannot open mailbox %s: %s", name, merr ? merr : crm_mbx_status_str(ms));
        free(merr);
        log_issue(st, mailbox_id, o.now, "read", NULL, name, crm_mbx_status_str(ms), err);
        goto out;
    }
    if (crm_store_cursor_get(st, mailbox_id, CURSOR_FOLDER, &cursor) != CRM_STORE_OK) {
        rc = fail(err, errcap, "cannot read the cursor: %s", crm_store_errmsg(st));
        goto out;
    }
    const cJSON *email = cJSON_GetObjectItemCaseSensitive(settings, "email");
    const cJSON *lb = cJSON_GetObjectItemCaseSensitive(email, "lookback_days");
    int64_t lookback = cJSON_IsNumber(lb) ? (int64_t)lb->valuedouble : 6;
    /* The first sync looks back email.lookback_days only. Its cut-off is stored when it
     * starts and applies until a session completes, so a first sync cut short (a crash, a
     * fault, the API limit) does not save older mail on its next attempt. */
    char *lbtext = NULL;
    if (crm_store_cursor_get(st, mailbox_id, "lookback", &lbtext) != CRM_STORE_OK) {
        rc = fail(err, errcap, "cannot read the cursor: %s", crm_store_errmsg(st));
        goto out;
    }
    bool use_cutoff = false;
    int64_t cutoff_t = 0;
    if (cursor == NULL && lbtext == NULL) {
        char num[32];
        cutoff_t = o.now - lookback * 86400;
        snprintf(num, sizeof num, "%lld", (long long)cutoff_t);
        if (crm_store_cursor_set(st, mailbox_id, "lookback", num, o.now) != CRM_STORE_OK) {
            free(lbtext);
            rc = fail(err, errcap, "cannot record the first sync: %s", crm_store_errmsg(st));
            goto out;
        }
        use_cutoff = true;
    } else if (lbtext && strcmp(lbtext, "done") != 0) {
        cutoff_t = strtoll(lbtext, NULL, 10);
        use_cutoff = true;
    }
    free(lbtext);
    char cutoff[21];
    crm_mime_rfc3339(cutoff_t, cutoff);
    bool with_domains = strcmp(str_of(email, "unresolved"), "create") == 0 || strcmp(str_of(email, "unresolved"), "smart") == 0;
    const char *save_category = str_of(email, "save_category")[0] ? str_of(email, "save_category") : "Salesforce";
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(settings, "user");
    char now_text[21];
    crm_mime_rfc3339(o.now, now_text);
    strset seen_addr = {0}, seen_dom = {0};
    records = cJSON_CreateObject();
    cJSON_AddArrayToObject(records, "contacts");
    cJSON_AddArrayToObject(records, "leads");
    cJSON_AddArrayToObject(records, "accounts");
    cJSON_AddArrayToObject(records, "opportunities");
    for (;;) {
        crm_mbx_changes *ch = NULL;
        if ((ms = crm_mbx_list_changes(mbx, cursor, o.batch, &ch)) != CRM_MBX_OK) {
            rc = fail(err, errcap, "cannot list mailbox %s: %s", name, crm_mbx_errmsg(mbx));
            log_issue(st, mailbox_id, o.now, "read", NULL, name, crm_mbx_status_str(ms), err);
            break;
        }
        sum->listed += (long)ch->n;
        batch_item *items = calloc(ch->n + 1, sizeof *items);
        cJSON *list = cJSON_CreateArray();
        if (items == NULL || list == NULL) { crm_mbx_changes_free(ch); cJSON_Delete(list); free(items); rc = fail(err, errcap, "out of memory"); break; }
        size_t n = 0;
        long hold = 0; /* items that could not be read and keep the cursor where it is */
        /* one round trip per run of items (IMAP: UID FETCH of up to 50 bodies) */
        const char **ids = calloc(ch->n + 1, sizeof *ids);
        crm_mbx_item **fetched = calloc(ch->n + 1, sizeof *fetched);
        crm_mbx_status *fst = calloc(ch->n + 1, sizeof *fst);
        if (ids == NULL || fetched == NULL || fst == NULL) ms = CRM_MBX_E_NOMEM;
        for (size_t i = 0; ids && i < ch->n; i++) ids[i] = ch->items[i].id;
        if (ms == CRM_MBX_OK && ch->n) ms = crm_mbx_fetch_batch(mbx, ids, ch->n, false, fetched, fst);
        for (size_t i = 0; fst && i < ch->n; i++) {
            batch_item *b = &items[n];
            b->id = ch->items[i].id;
            b->folder = ch->items[i].folder;
            b->mi = fetched[i];
            crm_mbx_status fs = fst[i];
            if (fs == CRM_MBX_E_NOT_FOUND) { sum->skipped++; count_reason(sum, "gone"); continue; }
            if (fs != CRM_MBX_OK) {
                /* an email that cannot be read now holds the cursor (max_attempts sessions) */
                sum->failed++;
                if (!give_up(st, mailbox_id, o.now, "read", b->id, b->id, crm_mbx_status_str(fs), crm_mbx_errmsg(mbx), o.max_attempts)) hold++;
                else sum->given_up++;
                continue;
            }
            const char *date = str_of(b->mi->item, "date");
            if (use_cutoff && date[0]) {
                b->old = strcmp(date, cutoff) < 0 && strlen(date) == 20;
            }
            b->key = item_key(eng, settings, b->mi->item);
            if (!b->old) cJSON_AddItemToArray(list, cJSON_CreateObjectReference(b->mi->item->child));
            n++;
        }
        free(ids);
        free(fetched);
        free(fst);
        if (ms != CRM_MBX_OK) {
            /* the connection failed mid-batch: nothing of this batch is decided; the cursor
             * stays, so the next session reads it again */
            rc = fail(err, errcap, "cannot read mailbox %s: %s", name, crm_mbx_errmsg(mbx));
            log_issue(st, mailbox_id, o.now, "read", NULL, name, crm_mbx_status_str(ms), err);
            cJSON_Delete(list);
            for (size_t i = 0; i < n; i++) { crm_mbx_item_free(items[i].mi); free(items[i].key); }
            free(items);
            crm_mbx_changes_free(ch);
            break;
        }
        /* records for every new address of the batch, in a few queries */
        /* records for the addresses this session has not looked up yet, in a few queries;
         * they join the session's records (an address is looked up once per session) */
        cJSON *addrs = NULL, *doms = NULL, *fresh = NULL;
        crm_sf_status ss = CRM_SF_OK;
        if (!crm_engine_addresses(eng, settings, list, with_domains, &addrs, &doms)) ss = CRM_SF_E_NOMEM;
        if (ss == CRM_SF_OK) {
            size_t na = (size_t)cJSON_GetArraySize(addrs), nd = (size_t)cJSON_GetArraySize(doms);
            const char **av = calloc(na + 1, sizeof *av), **dv = calloc(nd + 1, sizeof *dv);
            size_t ka = 0, kd = 0;
            const cJSON *x;
            cJSON_ArrayForEach(x, addrs) if (ss_add(&seen_addr, x->valuestring)) av[ka++] = x->valuestring;
            cJSON_ArrayForEach(x, doms) if (ss_add(&seen_dom, x->valuestring)) dv[kd++] = x->valuestring;
            if (ka + kd) {
                ss = crm_sf_lookup(sf, av, ka, dv, kd, str_of(user, "id"), &fresh);
                if (ss == CRM_SF_OK) merge_records(records, fresh);
            }
            cJSON_Delete(fresh);
            free(av);
            free(dv);
        }
        cJSON_Delete(addrs);
        cJSON_Delete(doms);
        /* the ledger's view: saved keys, replied-to messages, flagged threads */
        cJSON *context = NULL;
        if (ss == CRM_SF_OK) {
            cJSON *keys = cJSON_CreateArray(), *mids = cJSON_CreateArray(), *convs = cJSON_CreateArray();
            for (size_t i = 0; i < n; i++) {
                if (items[i].old) continue;
                add_str(keys, items[i].key);
                const cJSON *it = items[i].mi->item, *r;
                add_str(mids, str_of(it, "in_reply_to"));
                cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(it, "references")) add_str(mids, cJSON_IsString(r) ? r->valuestring : "");
                add_str(convs, str_of(it, "conversation_id"));
            }
            const char **kv = calloc((size_t)cJSON_GetArraySize(keys) + 1, sizeof *kv);
            const char **mv = calloc((size_t)cJSON_GetArraySize(mids) + 1, sizeof *mv);
            const char **cv = calloc((size_t)cJSON_GetArraySize(convs) + 1, sizeof *cv);
            size_t a = 0, b2 = 0, c2 = 0;
            const cJSON *x;
            cJSON_ArrayForEach(x, keys) kv[a++] = x->valuestring;
            cJSON_ArrayForEach(x, mids) mv[b2++] = x->valuestring;
            cJSON_ArrayForEach(x, convs) cv[c2++] = x->valuestring;
            if (crm_store_context(st, mailbox_id, now_text, kv, a, mv, b2, cv, c2, &context) != CRM_STORE_OK) {
                rc = fail(err, errcap, "cannot read the ledger: %s", crm_store_errmsg(st));
            }
            free(kv); free(mv); free(cv);
            cJSON_Delete(keys); cJSON_Delete(mids); cJSON_Delete(convs);
        }
        if (ss != CRM_SF_OK || rc != 0) {
            if (ss != CRM_SF_OK) {
                rc = fail(err, errcap, "Salesforce lookup failed: %s", crm_sf_errmsg(sf));
                log_issue(st, mailbox_id, o.now, "session", NULL, name, crm_sf_status_str(ss), err);
            }
            cJSON_Delete(context); cJSON_Delete(list);
            for (size_t i = 0; i < n; i++) { crm_mbx_item_free(items[i].mi); free(items[i].key); }
            free(items);
            crm_mbx_changes_free(ch);
            break;
        }
        /* decide */
        cJSON **saves = calloc(n + 1, sizeof *saves);
        size_t *save_of = calloc(n + 1, sizeof *save_of);
        size_t ns = 0;
        strset batch_keys = {0};
        for (size_t i = 0; i < n; i++) {
            items[i].copy_of = -1;
            if (items[i].old) { sum->skipped++; count_reason(sum, "before_lookback"); continue; }
            cJSON *sub = crm_engine_records_for(eng, records, items[i].mi->item);
            items[i].decision = crm_engine_decide(eng, settings, sub, items[i].mi->item, context);
            cJSON_Delete(sub);
            sum->decided++;
            const cJSON *res = cJSON_GetObjectItemCaseSensitive(items[i].decision, "result");
            if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(items[i].decision, "ok"))) {
                const cJSON *e = cJSON_GetObjectItemCaseSensitive(items[i].decision, "error");
                log_issue(st, mailbox_id, o.now, "decide", items[i].key, str_of(items[i].mi->item, "message_id"), str_of(e, "code"), str_of(e, "message"));
                sum->failed++;
                continue;
            }
            sum->suggestions += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res, "suggestions"));
            const char *action = str_of(res, "action");
            if (strcmp(action, "save") == 0) {
                /* one email in two folders (Cc to self, a copy in Salesforce Emails) has one
                 * key: it is written once; the copies follow the original's outcome */
                if (items[i].key && !ss_add(&batch_keys, items[i].key)) {
                    for (size_t k = 0; k < ns; k++)
                        if (items[save_of[k]].key && strcmp(items[save_of[k]].key, items[i].key) == 0) items[i].copy_of = (long)k;
                    continue;
                }
                save_of[ns] = i;
                saves[ns++] = items[i].decision;
            } else if (strcmp(action, "error") == 0) {
                log_issue(st, mailbox_id, o.now, "decide", items[i].key, str_of(items[i].mi->item, "message_id"), str_of(res, "reason"), "the rules core refused this item");
                sum->failed++;
            } else {
                sum->skipped++;
                count_reason(sum, str_of(res, "reason"));
                /* the user asked for this one (category, Salesforce Emails folder, smart
                 * address): say why it was not saved in the issues log the sidebar shows */
                if (strcmp(str_of(res, "trigger"), "forced") == 0)
                    log_issue(st, mailbox_id, o.now, "decide", items[i].key, str_of(items[i].mi->item, "subject"), str_of(res, "reason"),
                              strcmp(str_of(res, "reason"), "no_related_records") == 0
                                  ? "asked to save, but no participant is a Contact or Lead: create one from the sidebar's suggestions"
                                  : "asked to save, but the rules skip it (see the reason)");
                /* an email already saved that sits in Salesforce Emails goes back to the inbox */
                if (strcmp(str_of(res, "reason"), "already_saved") == 0 && strcmp(items[i].folder, "salesforce") == 0)
                    move_back(st, mbx, mailbox_id, o.now, &items[i]);
            }
            if (i % 50 == 0) progress(&o, sum, name, false);
        }
        ss_free(&batch_keys);
        /* saved meanwhile from the sidebar (the ledger is read again just before writing):
         * not written again, so the user's choice of records stands */
        if (ns) {
            const char **kv = calloc(ns, sizeof *kv);
            bool *known = calloc(ns, sizeof *known);
            for (size_t k = 0; kv && k < ns; k++) kv[k] = items[save_of[k]].key ? items[save_of[k]].key : "";
            if (kv && known && crm_store_ledger_known(st, mailbox_id, kv, ns, known) == CRM_STORE_OK) {
                size_t w = 0;
                for (size_t k = 0; k < ns; k++) {
                    if (known[k]) { sum->skipped++; count_reason(sum, "already_saved"); items[save_of[k]].copy_of = -2; continue; }
                    save_of[w] = save_of[k];
                    saves[w++] = saves[k];
                }
                /* copies pointed at positions in the old list: re-point them */
                for (size_t i = 0; i < n; i++) {
                    if (items[i].copy_of < 0) continue;
                    long to = -1;
                    for (size_t k = 0; k < w; k++)
                        if (items[save_of[k]].key && items[i].key && strcmp(items[save_of[k]].key, items[i].key) == 0) to = (long)k;
                    items[i].copy_of = to;
                }
                ns = w;
            }
            free(kv);
            free(known);
        }
        /* pause automatic work when the org's API budget is low (manual saves go on) */
        bool paused = crm_sf_budget_low(sf);
        crm_write_result *wr = calloc(ns + 1, sizeof *wr);
        if (!paused && ns) ss = crm_engine_write(eng, sf, saves, ns, wr);
        bool advance = !paused && ss == CRM_SF_OK && !hold;
        long held = 0;
        crm_store_ledger_entry *le = calloc(ns + 1, sizeof *le);
        char **ids_json = calloc(ns + 1, sizeof *ids_json);
        size_t nl = 0;
        for (size_t k = 0; !paused && ss == CRM_SF_OK && k < ns; k++) {
            batch_item *b = &items[save_of[k]];
            if (!wr[k].ok) {
                sum->failed++;
                /* a failing item holds the cursor for max_attempts sessions, then is given
                 * up; the others of the batch are recorded all the same */
                if (give_up(st, mailbox_id, o.now, "write", b->key, str_of(b->mi->item, "message_id"), "WRITE_FAILED", wr[k].error, o.max_attempts))
                    sum->given_up++;
                else { advance = false; held++; }
                continue;
            }
            /* mark in the mailbox before the ledger: a crash in between only repeats keyed upserts */
            mark_saved(st, mbx, mailbox_id, o.now, b, save_category);
            for (size_t i = 0; i < n; i++)
                if (items[i].copy_of == (long)k) { mark_saved(st, mbx, mailbox_id, o.now, &items[i], save_category); sum->skipped++; count_reason(sum, "already_saved"); }
            ids_json[nl] = cJSON_PrintUnformatted(wr[k].record_ids);
            le[nl].key = b->key;
            le[nl].message_id = str_of(b->mi->item, "message_id");
            le[nl].date = str_of(b->mi->item, "date");
            le[nl].record_ids_json = ids_json[nl];
            nl++;
            sum->saved++;
        }
        if (paused) {
            rc = fail(err, errcap, "automatic saving paused: the org's remaining API calls are below the reserve");
            log_issue(st, mailbox_id, o.now, "session", NULL, name, "API_RESERVE", err);
        } else if (ss != CRM_SF_OK) {
            rc = fail(err, errcap, "Salesforce write failed: %s", crm_sf_errmsg(sf));
            log_issue(st, mailbox_id, o.now, "write", NULL, name, crm_sf_status_str(ss), err);
        } else if (!advance) {
            rc = fail(err, errcap, "%ld email(s) could not be read or written (see crmsync issues); the next session retries them", held + hold);
        }
        size_t inserted = 0;
        crm_store_status cs = CRM_STORE_OK;
        if (nl || advance)
            cs = crm_store_commit_batch(st, mailbox_id, o.lease_owner, le, nl, CRM_STORE_DUP_KEEP, advance ? CURSOR_FOLDER : NULL,
                                        advance ? ch->cursor : NULL, o.now, &inserted);
        if (cs != CRM_STORE_OK) rc = fail(err, errcap, "cannot record the batch: %s", crm_store_errmsg(st));
        if (cs == CRM_STORE_OK && advance) { free(cursor); cursor = strdup(ch->cursor); }
        bool more = ch->more;
        for (size_t k = 0; k < nl; k++) cJSON_free(ids_json[k]);
        free(ids_json);
        free(le);
        crm_write_results_free(wr, ns);
        free(wr);
        free(saves);
        free(save_of);
        for (size_t i = 0; i < n; i++) { crm_mbx_item_free(items[i].mi); free(items[i].key); cJSON_Delete(items[i].decision); }
        free(items);
        cJSON_Delete(list);
        cJSON_Delete(context);
        crm_mbx_changes_free(ch);
        progress(&o, sum, name, false);
        if (rc != 0 || !advance) break;
        if (!more) {
            sum->complete = 1;
            if (use_cutoff && crm_store_cursor_set(st, mailbox_id, "lookback", "done", o.now) != CRM_STORE_OK)
                rc = fail(err, errcap, "cannot record the end of the first sync: %s", crm_store_errmsg(st));
            break;
        }
    }
    ss_free(&seen_addr);
    ss_free(&seen_dom);
out:
    cJSON_Delete(records);
    if (o.progress && mb) progress(&o, sum, str_of(mb, "name"), true);
    sum->api_calls = crm_sf_calls(sf) - calls_at_start;
    free(cursor);
    crm_mbx_close(mbx);
    crm_engine_free(eng);
    cJSON_Delete(settings);
    cJSON_Delete(mb);
    return rc;
}

void crm_session_summary_free(crm_session_summary *sum) {
    cJSON_Delete(sum->reasons);
    sum->reasons = NULL;
}

cJSON *crm_session_summary_json(const crm_session_summary *s) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "listed", (double)s->listed);
    cJSON_AddNumberToObject(o, "decided", (double)s->decided);
    cJSON_AddNumberToObject(o, "saved", (double)s->saved);
    cJSON_AddNumberToObject(o, "skipped", (double)s->skipped);
    cJSON_AddItemToObject(o, "skipped_by_reason", cJSON_Duplicate(s->reasons, 1));
    cJSON_AddNumberToObject(o, "failed", (double)s->failed);
    cJSON_AddNumberToObject(o, "given_up", (double)s->given_up);
    cJSON_AddNumberToObject(o, "suggestions", (double)s->suggestions);
    cJSON_AddNumberToObject(o, "api_calls", (double)s->api_calls);
    cJSON_AddBoolToObject(o, "complete", s->complete != 0);
    return o;
}
