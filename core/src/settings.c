/* settings.c: settings defaults, validation, layering and output (core-api.md
 * "settings", rules G1-G2, A4, A5, B1). One table describes every setting. */
#include <stddef.h>
#include <string.h>
#include "model.h"


const char *const crm_folder_names[] = {"inbox", "sent", "salesforce", "junk", "drafts", "deleted", "archive", "other", NULL};
static const char *const mode_names[] = {"off", "all", "designated", NULL};
static const char *const dir_names[] = {"both", "inbound", "outbound", NULL};
static const char *const unres_names[] = {"skip", "create", "smart", NULL};
static const char *const kind_names[] = {"lead", "contact", NULL};
static const char *const rec_names[] = {"task", "email_message", NULL};
static const char *const subj_names[] = {"skip", "truncate", NULL};
static const char *const body_names[] = {"split", "truncate", NULL};
static const char *const contacts_names[] = {"all", "mine", "view", "off", NULL};

/* T_ADDR(S): address(es), validated (A2) and kept as given; T_DOMAIN: a domain, normalised;
 * T_ENTRIES: blocklist entries (B2); T_DOMAINS: entries that must be domains or .suffixes. */
typedef enum { T_STR, T_INT, T_BOOL, T_ENUM, T_STRS, T_ENTRIES, T_DOMAINS, T_FOLDERS, T_LIMITS, T_OBJ, T_ADDR, T_ADDRS, T_DOMAIN } stype;
typedef struct sdef {
    const char *section; /* NULL: top level */
    const char *key;
    stype type;
    size_t off;          /* offset in crm_settings; for T_STRS, of the pointer (count follows) */
    long lo, hi;
    const char *const *names;
} sdef;

#define F(m) offsetof(crm_settings, m)
static const sdef defs[] = {
    {NULL, "org_id", T_STR, F(org_id), 0, 0, NULL},
    {NULL, "utc_offset_minutes", T_INT, F(utc_offset_minutes), -840, 840, NULL},
    {NULL, "user", T_OBJ, 0, 0, 0, NULL},
    {"user", "id", T_STR, F(user_id), 0, 0, NULL},
    {"user", "mailbox", T_ADDR, F(mailbox), 0, 0, NULL},
    {"user", "aliases", T_ADDRS, F(aliases), 0, 0, NULL},
    {"user", "salesforce_email", T_ADDR, F(salesforce_email), 0, 0, NULL},
    {NULL, "internal_domains", T_DOMAINS, F(internal_domains), 0, 0, NULL},
    {NULL, "freemail_extra", T_DOMAINS, F(freemail_extra), 0, 0, NULL},
    {NULL, "blocklist", T_OBJ, 0, 0, 0, NULL},
    {"blocklist", "org", T_ENTRIES, F(block_org), 0, 0, NULL},
    {"blocklist", "user", T_ENTRIES, F(block_user), 0, 0, NULL},
    {NULL, "email", T_OBJ, 0, 0, 0, NULL},
    {"email", "mode", T_ENUM, F(email.mode), 0, 0, mode_names},
    {"email", "direction", T_ENUM, F(email.direction), 0, 0, dir_names},
    {"email", "folders", T_FOLDERS, F(email.folders), 0, 0, NULL},
    {"email", "unresolved", T_ENUM, F(email.unresolved), 0, 0, unres_names},
    {"email", "create_kind", T_ENUM, F(email.create_kind), 0, 0, kind_names},
    {"email", "record_type", T_ENUM, F(email.record_type), 0, 0, rec_names},
    {"email", "thread_autosave", T_BOOL, F(email.thread_autosave), 0, 0, NULL},
    {"email", "link_opportunities", T_BOOL, F(email.link_opportunities), 0, 0, NULL},
    {"email", "opportunity_closed_within_days", T_INT, F(email.closed_within_days), 0, 3650, NULL},
    {"email", "opportunity_closing_within_days", T_INT, F(email.closing_within_days), 0, 3650, NULL},
    {"email", "use_alternate_emails", T_BOOL, F(email.use_alternate_emails), 0, 0, NULL},
    {"email", "reply_window_days", T_INT, F(email.reply_window_days), 1, 30, NULL},
    {"email", "lookback_days", T_INT, F(email.lookback_days), 1, 30, NULL},
    {"email", "subject_overflow", T_ENUM, F(email.subject_overflow), 0, 0, subj_names},
    {"email", "body_overflow", T_ENUM, F(email.body_overflow), 0, 0, body_names},
    {"email", "record_attachments", T_BOOL, F(email.record_attachments), 0, 0, NULL},
    {"email", "max_attachment_bytes", T_INT, F(email.max_attachment_bytes), 1, 26214400, NULL},
    {"email", "save_category", T_STR, F(email.save_category), 0, 0, NULL},
    {"email", "exclude_category", T_STR, F(email.exclude_category), 0, 0, NULL},
    {"email", "smart_address_domain", T_DOMAIN, F(email.smart_address_domain), 0, 0, NULL},
    {"email", "do_not_record_address", T_ADDR, F(email.do_not_record_address), 0, 0, NULL},
    {NULL, "events", T_OBJ, 0, 0, 0, NULL},
    {"events", "meetings", T_BOOL, F(events.meetings), 0, 0, NULL},
    {"events", "appointments", T_BOOL, F(events.appointments), 0, 0, NULL},
    {"events", "include_not_accepted", T_BOOL, F(events.include_not_accepted), 0, 0, NULL},
    {"events", "track_without_people", T_BOOL, F(events.track_without_people), 0, 0, NULL},
    {"events", "max_all_day_days", T_INT, F(events.max_all_day_days), 1, 366, NULL},
    {"events", "past_days", T_INT, F(events.past_days), 0, 3650, NULL},
    {"events", "future_days", T_INT, F(events.future_days), 0, 3650, NULL},
    {"events", "activated_at", T_STR, F(events.activated_at), 0, 0, NULL},
    {"events", "unsync_category", T_STR, F(events.unsync_category), 0, 0, NULL},
    {NULL, "downsync", T_OBJ, 0, 0, 0, NULL},
    {"downsync", "tasks", T_BOOL, F(downsync.tasks), 0, 0, NULL},
    {"downsync", "events", T_BOOL, F(downsync.events), 0, 0, NULL},
    {"downsync", "contacts", T_ENUM, F(downsync.contacts), 0, 0, contacts_names},
    {"downsync", "task_days", T_INT, F(downsync.task_days), 0, 3650, NULL},
    {NULL, "auto_remove", T_OBJ, 0, 0, 0, NULL},
    {"auto_remove", "tasks", T_BOOL, F(auto_remove.tasks), 0, 0, NULL},
    {"auto_remove", "contacts", T_BOOL, F(auto_remove.contacts), 0, 0, NULL},
    {NULL, "sync", T_OBJ, 0, 0, 0, NULL},
    {"sync", "interval_minutes", T_INT, F(interval_minutes), 30, 1440, NULL},
    {NULL, "field_limits", T_LIMITS, F(limits), 0, 0, NULL},
};
#define NDEFS (sizeof defs / sizeof defs[0])

void crm_settings_defaults(crm_settings *s) {
    memset(s, 0, sizeof *s);
    s->org_id = s->user_id = s->mailbox = s->salesforce_email = "";
    s->email.mode = MODE_OFF;
    s->email.direction = DIR_BOTH;
    s->email.folders = (1u << FOLDER_INBOX) | (1u << FOLDER_SENT);
    s->email.unresolved = UNRES_SKIP;
    s->email.create_kind = KIND_LEAD;
    s->email.record_type = REC_TASK;
    s->email.thread_autosave = true;
    s->email.closed_within_days = 365;
    s->email.closing_within_days = 180;
    s->email.use_alternate_emails = true;
    s->email.reply_window_days = 10;
    s->email.lookback_days = 6;
    s->email.subject_overflow = OVER_SKIP;
    s->email.body_overflow = OVER_SPLIT;
    s->email.max_attachment_bytes = 5242880;
    s->email.save_category = "Salesforce";
    s->email.exclude_category = "DoNotSync";
    s->email.smart_address_domain = "";
    s->email.do_not_record_address = "";
    s->events.meetings = true;
    s->events.max_all_day_days = 1;
    s->events.past_days = 14;
    s->events.future_days = 60;
    s->events.activated_at = "";
    s->events.unsync_category = "Salesforce Unsync";
    s->downsync.tasks = s->downsync.events = true;
    s->downsync.contacts = CONTACTS_MINE;
    s->downsync.task_days = 14;
    s->auto_remove.tasks = s->auto_remove.contacts = true;
    s->interval_minutes = 30;
}

static bool locked(const char *dotted, const char *const *locks, size_t n_locks) {
    size_t dn = strlen(dotted);
    for (size_t i = 0; i < n_locks; i++) {
        size_t ln = strlen(locks[i]);
        if (ln <= dn && memcmp(locks[i], dotted, ln) == 0 && (ln == dn || dotted[ln] == '.')) return true;
    }
    return false;
}

static crm_status apply_one(crm_ctx *ctx, crm_settings *s, const sdef *d, const cJSON *obj, const crm_path *p) {
    char *base = (char *)s;
    crm_path kp = CRM_PATH_KEY(p, d->key);
    const cJSON *v = crm_j_get(obj, d->key);
    switch (d->type) {
    case T_STR: return crm_j_str(ctx, obj, d->key, p, (const char **)(void *)(base + d->off));
    case T_ADDR:
    case T_ADDRS: {
        const char *one = NULL, **many = NULL;
        size_t n = 0;
        crm_status st = d->type == T_ADDR ? crm_j_str(ctx, obj, d->key, p, &one) : crm_j_strs(ctx, obj, d->key, p, &many, &n);
        if (st != CRM_OK || (one == NULL && many == NULL)) return st;
        for (size_t i = 0; i < (one ? 1 : n); i++) {
            const char *a = one ? one : many[i];
            crm_addr x;
            if (a[0] == '\0') continue;
            if ((st = crm_addr_parse_plain(ctx, a, strlen(a), &x)) != CRM_OK) return st;
            crm_path ip = CRM_PATH_IDX(&kp, i);
            if (!x.valid) return crm_fail(ctx, CRM_E_BAD_ADDRESS, one ? &kp : &ip, "'%s' is not a valid address: %s", a, x.why);
        }
        if (one) *(const char **)(void *)(base + d->off) = one;
        else { *(const char ***)(void *)(base + d->off) = many; *(size_t *)(void *)(base + d->off + sizeof(const char **)) = n; }
        return CRM_OK;
    }
    case T_DOMAIN: {
        const char *v0 = NULL;
        crm_status st = crm_j_str(ctx, obj, d->key, p, &v0);
        if (st != CRM_OK || v0 == NULL) return st;
        const char *v1 = v0[0] == '@' ? v0 + 1 : v0;
        if (v1[0] == '\0') { *(const char **)(void *)(base + d->off) = ""; return CRM_OK; }
        crm_entry e;
        const char *why = NULL;
        st = crm_entry_parse_token(ctx, v1, strlen(v1), &e, &why);
        if (st == CRM_OK && e.kind != CRM_ENTRY_DOMAIN) { st = CRM_E_BAD_ENTRY; why = "a domain is expected here"; }
        if (st != CRM_OK) return ctx->err ? ctx->err : crm_fail(ctx, st, &kp, "'%s': %s", v0, why ? why : "not a domain");
        *(const char **)(void *)(base + d->off) = e.value;
        return CRM_OK;
    }
    case T_BOOL: return crm_j_bool(ctx, obj, d->key, p, (bool *)(void *)(base + d->off));
    case T_INT: return crm_j_int(ctx, obj, d->key, p, d->lo, d->hi, (long *)(void *)(base + d->off));
    case T_ENUM: return crm_j_enum(ctx, obj, d->key, p, d->names, (int *)(void *)(base + d->off));
    case T_STRS: {
        const char ***arr = (const char ***)(void *)(base + d->off);
        size_t *cnt = (size_t *)(void *)(base + d->off + sizeof(const char **));
        return crm_j_strs(ctx, obj, d->key, p, arr, cnt);
    }
    case T_FOLDERS: {
        const char **names = NULL;
        size_t n = 0;
        crm_status st = crm_j_strs(ctx, obj, d->key, p, &names, &n);
        if (st != CRM_OK || names == NULL) return st;
        unsigned mask = 0;
        for (size_t i = 0; i < n; i++) {
            int f = -1;
            for (int k = 0; crm_folder_names[k]; k++)
                if (strcmp(crm_folder_names[k], names[i]) == 0) f = k;
            crm_path ip = CRM_PATH_IDX(&kp, i);
            if (f < 0)
                return crm_fail(ctx, CRM_E_RANGE, &ip, "unknown folder '%s': use inbox, sent, salesforce, junk, drafts, deleted, archive or other", names[i]);
            mask |= 1u << f;
        }
        *(unsigned *)(void *)(base + d->off) = mask;
        return CRM_OK;
    }
    case T_DOMAINS:
    case T_ENTRIES: {
        const char **texts = NULL;
        size_t n = 0;
        crm_status st = crm_j_strs(ctx, obj, d->key, p, &texts, &n);
        if (st != CRM_OK || texts == NULL) return st;
        crm_entries *list = (crm_entries *)(void *)(base + d->off);
        memset(list, 0, sizeof *list);
        for (size_t i = 0; i < n; i++) {
            crm_entry_errors errs = {0};
            size_t idx = 0;
            st = crm_entries_parse(ctx, texts[i], strlen(texts[i]), list, &errs, &idx);
            if (st != CRM_OK) return st;
            crm_path ip = CRM_PATH_IDX(&kp, i);
            if (errs.n) return crm_fail(ctx, errs.v[0].code, &ip, "%s", errs.v[0].message);
            if (d->type == T_DOMAINS)
                for (size_t k = 0; k < list->n; k++)
                    if (list->v[k].kind == CRM_ENTRY_ADDRESS)
                        return crm_fail(ctx, CRM_E_BAD_ENTRY, &ip, "'%s' is an address; '%s' takes domains ('acme.com', or '.acme.com' with its subdomains)", list->v[k].text, d->key);
        }
        return CRM_OK;
    }
    case T_LIMITS: {
        if (v == NULL) return CRM_OK;
        if (!cJSON_IsObject(v)) return crm_fail(ctx, CRM_E_TYPE, &kp, "'field_limits' must be an object like {\"Task.Subject\": 255}");
        size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
        crm_limit *lim = crm_arena_alloc(&ctx->arena, (n + 1) * sizeof *lim);
        if (lim == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        for (const cJSON *c = v->child; c; c = c->next, i++) {
            crm_path cp = CRM_PATH_KEY(&kp, c->string);
            const char *dot = strchr(c->string, '.');
            if (dot == NULL || dot == c->string || dot[1] == '\0')
                return crm_fail(ctx, CRM_E_UNKNOWN_SETTING, &cp, "field limit '%s' must be named Object.Field", c->string);
            for (const cJSON *e = v->child; e != c; e = e->next)
                if (strcmp(e->string, c->string) == 0) return crm_fail(ctx, CRM_E_JSON, &cp, "field '%s' appears twice", c->string);
            long val = 0;
            crm_status st = crm_j_int_value(ctx, c, &cp, c->string, 1, 1000000, &val);
            if (st != CRM_OK) return st;
            lim[i].name = c->string;
            lim[i].limit = val;
        }
        s->limits = lim;
        s->n_limits = n;
        return CRM_OK;
    }
    case T_OBJ: return CRM_OK;
    }
    return CRM_OK;
}

static const char *dotted_name(crm_ctx *ctx, const sdef *d) {
    return d->section ? crm_fmt(&ctx->arena, "%s.%s", d->section, d->key) : d->key;
}

static crm_status apply_section(crm_ctx *ctx, crm_settings *s, const char *section, const cJSON *obj, const crm_path *p,
                                const char *const *locks, size_t n_locks, bool lock_error, const char ***skipped, size_t *n_skipped) {
    const char *keys[64];
    size_t nk = 0;
    for (size_t i = 0; i < NDEFS; i++)
        if ((section == NULL) == (defs[i].section == NULL) && (section == NULL || strcmp(section, defs[i].section) == 0))
            keys[nk++] = defs[i].key;
    keys[nk] = NULL;
    crm_status st = crm_j_object(ctx, obj, p, keys, CRM_E_UNKNOWN_SETTING);
    if (st != CRM_OK) return st;
    for (size_t i = 0; i < NDEFS; i++) {
        const sdef *d = &defs[i];
        if ((section == NULL) != (d->section == NULL) || (section && strcmp(section, d->section) != 0)) continue;
        const cJSON *v = crm_j_get(obj, d->key);
        if (v == NULL) continue;
        crm_path kp = CRM_PATH_KEY(p, d->key);
        if (d->type == T_OBJ) {
            if (!cJSON_IsObject(v)) return crm_fail(ctx, CRM_E_TYPE, &kp, "'%s' must be an object", d->key);
            st = apply_section(ctx, s, d->key, v, &kp, locks, n_locks, lock_error, skipped, n_skipped);
            if (st != CRM_OK) return st;
            continue;
        }
        const char *dn = dotted_name(ctx, d);
        if (dn == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        if (locks && locked(dn, locks, n_locks)) {
            /* validate the value anyway, on a scratch copy, so errors are still reported */
            crm_settings scratch = *s;
            st = apply_one(ctx, &scratch, d, obj, p);
            if (st != CRM_OK) return st;
            if (lock_error) return crm_fail(ctx, CRM_E_LOCKED, &kp, "'%s' is locked by the organisation", dn);
            if (skipped) {
                const char **ns = crm_arena_alloc(&ctx->arena, (*n_skipped + 1) * sizeof *ns);
                if (ns == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
                if (*n_skipped) memcpy(ns, *skipped, *n_skipped * sizeof *ns);
                ns[(*n_skipped)++] = dn;
                *skipped = ns;
            }
            continue;
        }
        st = apply_one(ctx, s, d, obj, p);
        if (st != CRM_OK) return st;
    }
    return CRM_OK;
}

crm_status crm_settings_apply(crm_ctx *ctx, crm_settings *s, const cJSON *obj, const crm_path *p,
                              const char *const *locks, size_t n_locks, bool lock_error,
                              const char ***skipped, size_t *n_skipped) {
    return apply_section(ctx, s, NULL, obj, p, locks, n_locks, lock_error, skipped, n_skipped);
}

crm_status crm_settings_finish(crm_ctx *ctx, crm_settings *s) {
    memset(&s->block_all, 0, sizeof s->block_all);
    for (size_t i = 0; i < s->block_org.n; i++)
        if (crm_entries_add(ctx, &s->block_all, &s->block_org.v[i]) != CRM_OK) return CRM_E_NOMEM;
    for (size_t i = 0; i < s->block_user.n; i++)
        if (crm_entries_add(ctx, &s->block_all, &s->block_user.v[i]) != CRM_OK) return CRM_E_NOMEM;
    memset(&s->self_mailbox, 0, sizeof s->self_mailbox);
    if (s->mailbox[0]) {
        if (crm_addr_parse_plain(ctx, s->mailbox, strlen(s->mailbox), &s->self_mailbox) != CRM_OK) return ctx->err;

    }
    /* A3: mailbox, aliases and the Salesforce user's email, normalised once */
    s->self = crm_arena_alloc(&ctx->arena, (s->n_aliases + 2) * sizeof *s->self);
    if (s->self == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    s->n_self = 0;
    if (s->self_mailbox.valid) s->self[s->n_self++] = s->self_mailbox.address;
    for (size_t i = 0; i <= s->n_aliases; i++) {
        const char *raw = i == 0 ? s->salesforce_email : s->aliases[i - 1];
        crm_addr a;
        if (raw[0] == '\0') continue;
        if (crm_addr_parse_plain(ctx, raw, strlen(raw), &a) != CRM_OK) return ctx->err;
        if (a.valid) s->self[s->n_self++] = a.address; /* validated when applied */
    }
    return CRM_OK;
}

crm_status crm_settings_from_request(crm_ctx *ctx, const cJSON *root, crm_settings *s) {
    crm_settings_defaults(s);
    const cJSON *v = crm_j_get(root, "settings");
    if (v != NULL && !cJSON_IsNull(v)) {
        crm_path p = CRM_PATH_KEY(NULL, "settings");
        crm_status st = crm_settings_apply(ctx, s, v, &p, NULL, 0, false, NULL, NULL);
        if (st != CRM_OK) return st;
    }
    return crm_settings_finish(ctx, s);
}

long crm_field_limit(const crm_settings *s, const char *name, long dflt) {
    for (size_t i = 0; i < s->n_limits; i++)
        if (strcmp(s->limits[i].name, name) == 0) return s->limits[i].limit;
    return dflt;
}

bool crm_is_freemail(const crm_settings *s, const char *domain) {
    if (crm_freemail_bundled(domain, strlen(domain))) return true;
    /* freemail_extra: "gmail.com" exact, ".gmail.com" with its subdomains (as in B2) */
    return crm_entries_match_domain(&s->freemail_extra, domain) != NULL;
}

/* ------------------------------------------------------------------ output */
static void entries_json(crm_ctx *ctx, cJSON *parent, const char *key, const crm_entries *l) {
    cJSON *a = crm_o_arr(ctx, parent, key);
    for (size_t i = 0; a && i < l->n; i++) crm_o_str(ctx, a, NULL, l->v[i].text);
}

static void section_json(crm_ctx *ctx, const crm_settings *s, const char *section, cJSON *obj) {
    const char *base = (const char *)s;
    for (size_t i = 0; i < NDEFS && obj; i++) {
        const sdef *d = &defs[i];
        if ((section == NULL) != (d->section == NULL) || (section && strcmp(section, d->section) != 0)) continue;
        const void *f = base + d->off;
        switch (d->type) {
        case T_STR:
        case T_ADDR:
        case T_DOMAIN: crm_o_str(ctx, obj, d->key, *(const char *const *)f); break;
        case T_BOOL: crm_o_bool(ctx, obj, d->key, *(const bool *)f); break;
        case T_INT: crm_o_int(ctx, obj, d->key, *(const long *)f); break;
        case T_ENUM: crm_o_str(ctx, obj, d->key, d->names[*(const int *)f]); break;
        case T_ADDRS:
        case T_STRS: crm_o_strs(ctx, obj, d->key, *(const char *const *const *)f, *(const size_t *)(const void *)(base + d->off + sizeof(const char **))); break;
        case T_ENTRIES:
        case T_DOMAINS: entries_json(ctx, obj, d->key, (const crm_entries *)f); break;
        case T_FOLDERS: {
            cJSON *a = crm_o_arr(ctx, obj, d->key);
            for (int k = 0; a && crm_folder_names[k]; k++)
                if (s->email.folders & (1u << k)) crm_o_str(ctx, a, NULL, crm_folder_names[k]);
            break;
        }
        case T_LIMITS: {
            cJSON *o = crm_o_obj(ctx, obj, d->key);
            for (size_t k = 0; o && k < s->n_limits; k++) crm_o_int(ctx, o, s->limits[k].name, s->limits[k].limit);
            break;
        }
        case T_OBJ: section_json(ctx, s, d->key, crm_o_obj(ctx, obj, d->key)); break;
        }
    }
}

cJSON *crm_settings_to_json(crm_ctx *ctx, const crm_settings *s) {
    cJSON *o = cJSON_CreateObject();
    if (o == NULL) { crm_fail(ctx, CRM_E_NOMEM, NULL, ""); return NULL; }
    section_json(ctx, s, NULL, o);
    return o;
}
