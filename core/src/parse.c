/* parse.c: request.records, request.item and request.context into C structures, with
 * the JSON path of every error (core-api.md "Inputs"). */
#include <string.h>
#include "model.h"

const char *const crm_role_names[] = {"from", "to", "cc", "bcc", "organizer", "attendee", NULL};
static const char *const response_names[] = {"organizer", "accepted", "tentative", "declined", "none", NULL};
static const char *const recurrence_names[] = {"none", "series", "occurrence", NULL};

static crm_status time_field(crm_ctx *ctx, const char *val, const char *key, const crm_path *p, int64_t *t, bool *has) {
    *has = false;
    if (val == NULL || val[0] == '\0') return CRM_OK;
    if (!crm_time_parse(val, t)) {
        crm_path kp = CRM_PATH_KEY(p, key);
        return crm_fail(ctx, CRM_E_BAD_DATE, &kp, "'%s' must be an RFC 3339 time like 2026-11-20T10:00:00Z, got '%s'", key, val);
    }
    *has = true;
    return CRM_OK;
}

/* A time or a date (events: all-day items may give dates). Dates count as 00:00 UTC. */
static crm_status time_or_date(crm_ctx *ctx, const char *val, const char *key, const crm_path *p, int64_t *t, bool *has, bool *is_date) {
    *is_date = false;
    int64_t days;
    if (val && strlen(val) == 10 && crm_date_parse(val, &days)) {
        *t = days * 86400;
        *has = true;
        *is_date = true;
        return CRM_OK;
    }
    return time_field(ctx, val, key, p, t, has);
}

static crm_status array_of(crm_ctx *ctx, const cJSON *obj, const char *key, const crm_path *p, const cJSON **out, size_t *n) {
    const cJSON *v = crm_j_get(obj, key);
    *out = NULL;
    *n = 0;
    if (v == NULL || cJSON_IsNull(v)) return CRM_OK;
    if (!cJSON_IsArray(v)) {
        crm_path kp = CRM_PATH_KEY(p, key);
        return crm_fail(ctx, CRM_E_TYPE, &kp, "'%s' must be an array", key);
    }
    *out = v;
    *n = (size_t)cJSON_GetArraySize(v);
    return CRM_OK;
}

static crm_status required_id(crm_ctx *ctx, const cJSON *o, const crm_path *p, const char **id) {
    crm_status st = crm_j_str(ctx, o, "id", p, id);
    if (st != CRM_OK) return st;
    if (*id == NULL || (*id)[0] == '\0') {
        crm_path kp = CRM_PATH_KEY(p, "id");
        return crm_fail(ctx, CRM_E_MISSING, &kp, "every record needs an 'id'");
    }
    return CRM_OK;
}

static crm_status parse_person(crm_ctx *ctx, const cJSON *o, const crm_path *p, bool lead, const crm_settings *s, crm_person *out) {
    static const char *const ckeys[] = {"id", "email", "alt_emails", "first_name", "last_name", "account_id", "owner_id", "created", NULL};
    static const char *const lkeys[] = {"id", "email", "alt_emails", "first_name", "last_name", "company", "converted", "owner_id", "created", NULL};
    crm_status st = crm_j_object(ctx, o, p, lead ? lkeys : ckeys, CRM_E_UNKNOWN_FIELD);
    if (st != CRM_OK) return st;
    memset(out, 0, sizeof *out);
    out->email = out->first_name = out->last_name = out->company = out->account_id = out->owner_id = out->created = "";
    out->is_lead = lead;
    if ((st = required_id(ctx, o, p, &out->id)) ||
        (st = crm_j_str(ctx, o, "email", p, &out->email)) ||
        (st = crm_j_strs(ctx, o, "alt_emails", p, &out->alt_emails, &out->n_alt)) ||
        (st = crm_j_str(ctx, o, "first_name", p, &out->first_name)) ||
        (st = crm_j_str(ctx, o, "last_name", p, &out->last_name)) ||
        (st = crm_j_str(ctx, o, "company", p, &out->company)) ||
        (st = crm_j_str(ctx, o, "account_id", p, &out->account_id)) ||
        (st = crm_j_bool(ctx, o, "converted", p, &out->converted)) ||
        (st = crm_j_str(ctx, o, "owner_id", p, &out->owner_id)) ||
        (st = crm_j_str(ctx, o, "created", p, &out->created)) ||
        (st = time_field(ctx, out->created, "created", p, &out->created_t, &out->has_created)))
        return st;
    size_t n_alt = s->email.use_alternate_emails ? out->n_alt : 0;
    out->norm = crm_arena_alloc(&ctx->arena, (1 + n_alt) * sizeof *out->norm);
    if (out->norm == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    const char *emails[1] = {out->email};
    for (size_t i = 0; i < 1 + n_alt; i++) {
        const char *e = i == 0 ? emails[0] : out->alt_emails[i - 1];
        if (e[0] == '\0') continue;
        crm_addr a;
        if ((st = crm_addr_parse_plain(ctx, e, strlen(e), &a)) != CRM_OK) return st;
        if (a.valid) out->norm[out->n_norm++] = a; /* a bad address in the CRM matches nothing */
    }
    return CRM_OK;
}

crm_status crm_records_from_request(crm_ctx *ctx, const cJSON *root, const crm_settings *s, crm_records *r) {
    static const char *const keys[] = {"contacts", "leads", "accounts", "opportunities", NULL};
    static const char *const akeys[] = {"id", "name", "website", "domains", NULL};
    static const char *const okeys[] = {"id", "account_id", "owner_id", "closed", "close_date", "created", NULL};
    memset(r, 0, sizeof *r);
    const cJSON *v = crm_j_get(root, "records");
    if (v == NULL || cJSON_IsNull(v)) return CRM_OK;
    crm_path p = CRM_PATH_KEY(NULL, "records");
    crm_status st = crm_j_object(ctx, v, &p, keys, CRM_E_UNKNOWN_FIELD);
    if (st != CRM_OK) return st;
    const cJSON *arr;
    size_t n;
    for (int lead = 0; lead < 2; lead++) {
        const char *key = lead ? "leads" : "contacts";
        crm_path kp = CRM_PATH_KEY(&p, key);
        if ((st = array_of(ctx, v, key, &p, &arr, &n)) != CRM_OK) return st;
        crm_person *list = crm_arena_alloc(&ctx->arena, (n + 1) * sizeof *list);
        if (list == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        size_t i = 0;
        for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next, i++) {
            crm_path ip = CRM_PATH_IDX(&kp, i);
            if ((st = parse_person(ctx, c, &ip, lead != 0, s, &list[i])) != CRM_OK) return st;
        }
        if (lead) { r->leads = list; r->n_leads = n; } else { r->contacts = list; r->n_contacts = n; }
    }
    {
        crm_path kp = CRM_PATH_KEY(&p, "accounts");
        if ((st = array_of(ctx, v, "accounts", &p, &arr, &n)) != CRM_OK) return st;
        r->accounts = crm_arena_alloc(&ctx->arena, (n + 1) * sizeof *r->accounts);
        if (r->accounts == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        r->n_accounts = n;
        size_t i = 0;
        for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next, i++) {
            crm_path ip = CRM_PATH_IDX(&kp, i);
            crm_account *a = &r->accounts[i];
            memset(a, 0, sizeof *a);
            a->name = a->website = "";
            if ((st = crm_j_object(ctx, c, &ip, akeys, CRM_E_UNKNOWN_FIELD)) || (st = required_id(ctx, c, &ip, &a->id)) ||
                (st = crm_j_str(ctx, c, "name", &ip, &a->name)) || (st = crm_j_str(ctx, c, "website", &ip, &a->website)) ||
                (st = crm_j_strs(ctx, c, "domains", &ip, &a->domains, &a->n_domains)))
                return st;
        }
    }
    {
        crm_path kp = CRM_PATH_KEY(&p, "opportunities");
        if ((st = array_of(ctx, v, "opportunities", &p, &arr, &n)) != CRM_OK) return st;
        r->opps = crm_arena_alloc(&ctx->arena, (n + 1) * sizeof *r->opps);
        if (r->opps == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        r->n_opps = n;
        size_t i = 0;
        for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next, i++) {
            crm_path ip = CRM_PATH_IDX(&kp, i);
            crm_opp *o = &r->opps[i];
            memset(o, 0, sizeof *o);
            o->account_id = o->owner_id = o->close_date = o->created = "";
            if ((st = crm_j_object(ctx, c, &ip, okeys, CRM_E_UNKNOWN_FIELD)) || (st = required_id(ctx, c, &ip, &o->id)) ||
                (st = crm_j_str(ctx, c, "account_id", &ip, &o->account_id)) || (st = crm_j_str(ctx, c, "owner_id", &ip, &o->owner_id)) ||
                (st = crm_j_bool(ctx, c, "closed", &ip, &o->closed)) || (st = crm_j_str(ctx, c, "close_date", &ip, &o->close_date)) ||
                (st = crm_j_str(ctx, c, "created", &ip, &o->created)) ||
                (st = time_field(ctx, o->created, "created", &ip, &o->created_t, &o->has_created)))
                return st;
            if (o->close_date[0]) {
                if (!crm_date_parse(o->close_date, &o->close_days)) {
                    crm_path cp = CRM_PATH_KEY(&ip, "close_date");
                    return crm_fail(ctx, CRM_E_BAD_DATE, &cp, "'close_date' must be a date like 2026-12-01, got '%s'", o->close_date);
                }
                o->has_close = true;
            }
        }
    }
    return CRM_OK;
}

const crm_account *crm_find_account(const crm_records *r, const char *id) {
    for (size_t i = 0; i < r->n_accounts; i++) if (strcmp(r->accounts[i].id, id) == 0) return &r->accounts[i];
    return NULL;
}
const crm_opp *crm_find_opp(const crm_records *r, const char *id) {
    for (size_t i = 0; i < r->n_opps; i++) if (strcmp(r->opps[i].id, id) == 0) return &r->opps[i];
    return NULL;
}
const crm_person *crm_find_person(const crm_records *r, const char *id) {
    for (size_t i = 0; i < r->n_contacts; i++) if (strcmp(r->contacts[i].id, id) == 0) return &r->contacts[i];
    for (size_t i = 0; i < r->n_leads; i++) if (strcmp(r->leads[i].id, id) == 0) return &r->leads[i];
    return NULL;
}

/* A participant: {"name", "address"} (events: + "response"), or a string "Name <addr>". */
static crm_status parse_party(crm_ctx *ctx, const cJSON *v, const crm_path *p, int role, bool attendee, crm_party *out) {
    static const char *const keys[] = {"name", "address", NULL};
    static const char *const akeys[] = {"name", "address", "response", NULL};
    out->name = "";
    out->address = "";
    out->role = role;
    out->response = RESP_NONE;
    if (cJSON_IsString(v)) { out->address = v->valuestring; return CRM_OK; }
    crm_status st = crm_j_object(ctx, v, p, attendee ? akeys : keys, CRM_E_UNKNOWN_FIELD);
    if (st != CRM_OK) return st;
    if ((st = crm_j_str(ctx, v, "name", p, &out->name)) || (st = crm_j_str(ctx, v, "address", p, &out->address))) return st;
    if (attendee) {
        out->response = RESP_ACCEPTED;
        if ((st = crm_j_enum(ctx, v, "response", p, response_names, &out->response))) return st;
    }
    return CRM_OK;
}

static crm_status add_parties(crm_ctx *ctx, const cJSON *obj, const char *key, const crm_path *p, int role, crm_item *it, size_t *at) {
    const cJSON *arr;
    size_t n;
    crm_status st = array_of(ctx, obj, key, p, &arr, &n);
    if (st != CRM_OK) return st;
    crm_path kp = CRM_PATH_KEY(p, key);
    size_t i = 0;
    for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next, i++) {
        crm_path ip = CRM_PATH_IDX(&kp, i);
        if ((st = parse_party(ctx, c, &ip, role, role == ROLE_ATTENDEE, &it->parties[(*at)++])) != CRM_OK) return st;
    }
    return CRM_OK;
}

static size_t count(const cJSON *obj, const char *key) {
    const cJSON *v = crm_j_get(obj, key);
    return cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 0;
}

crm_status crm_item_from_request(crm_ctx *ctx, const cJSON *root, crm_item *it, bool required) {
    static const char *const ekeys[] = {"type", "id", "message_id", "conversation_id", "in_reply_to", "references", "from", "to", "cc", "bcc",
                                        "subject", "body_text", "body_html", "date", "folder", "categories", "is_draft", "item_class",
                                        "content_type", "auto_submitted", "attachments", NULL};
    static const char *const vkeys[] = {"type", "id", "uid", "subject", "body_text", "location", "organizer", "attendees", "my_response",
                                        "start", "end", "is_all_day", "is_private", "recurrence", "created", "categories", NULL};
    static const char *const types[] = {"email", "event", NULL};
    memset(it, 0, sizeof *it);
    it->id = it->message_id = it->conversation_id = it->in_reply_to = it->subject = it->body_text = it->body_html = it->date = "";
    it->item_class = it->content_type = it->auto_submitted = "";
    it->uid = it->location = it->start = it->end = it->created = "";
    crm_path p = CRM_PATH_KEY(NULL, "item");
    const cJSON *v = crm_j_get(root, "item");
    if (v == NULL || cJSON_IsNull(v)) {
        if (required) return crm_fail(ctx, CRM_E_MISSING, &p, "this operation needs an 'item'");
        return CRM_OK;
    }
    if (!cJSON_IsObject(v)) return crm_fail(ctx, CRM_E_TYPE, &p, "'item' must be an object");
    int type = 0;
    crm_status st = crm_j_enum(ctx, v, "type", &p, types, &type);
    if (st != CRM_OK) return st;
    it->is_event = type == 1;
    if ((st = crm_j_object(ctx, v, &p, it->is_event ? vkeys : ekeys, CRM_E_UNKNOWN_FIELD)) != CRM_OK) return st;
    if ((st = crm_j_str(ctx, v, "id", &p, &it->id)) || (st = crm_j_str(ctx, v, "subject", &p, &it->subject)) ||
        (st = crm_j_str(ctx, v, "body_text", &p, &it->body_text)) ||
        (st = crm_j_strs(ctx, v, "categories", &p, &it->categories, &it->n_categories)))
        return st;
    if (!it->is_event) {
        size_t total = (crm_j_get(v, "from") ? 1 : 0) + count(v, "to") + count(v, "cc") + count(v, "bcc");
        it->parties = crm_arena_alloc(&ctx->arena, (total + 1) * sizeof *it->parties);
        if (it->parties == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        size_t at = 0;
        const cJSON *from = crm_j_get(v, "from");
        if (from && !cJSON_IsNull(from)) {
            crm_path fp = CRM_PATH_KEY(&p, "from");
            if ((st = parse_party(ctx, from, &fp, ROLE_FROM, false, &it->parties[at++])) != CRM_OK) return st;
        }
        if ((st = add_parties(ctx, v, "to", &p, ROLE_TO, it, &at)) || (st = add_parties(ctx, v, "cc", &p, ROLE_CC, it, &at)) ||
            (st = add_parties(ctx, v, "bcc", &p, ROLE_BCC, it, &at)))
            return st;
        it->n_parties = at;
        it->folder = FOLDER_INBOX;
        if ((st = crm_j_str(ctx, v, "message_id", &p, &it->message_id)) ||
            (st = crm_j_str(ctx, v, "conversation_id", &p, &it->conversation_id)) ||
            (st = crm_j_str(ctx, v, "in_reply_to", &p, &it->in_reply_to)) ||
            (st = crm_j_strs(ctx, v, "references", &p, &it->references, &it->n_references)) ||
            (st = crm_j_str(ctx, v, "body_html", &p, &it->body_html)) || (st = crm_j_str(ctx, v, "date", &p, &it->date)) ||
            (st = crm_j_enum(ctx, v, "folder", &p, crm_folder_names, &it->folder)) ||
            (st = crm_j_bool(ctx, v, "is_draft", &p, &it->is_draft)) || (st = crm_j_str(ctx, v, "item_class", &p, &it->item_class)) ||
            (st = crm_j_str(ctx, v, "content_type", &p, &it->content_type)) ||
            (st = crm_j_str(ctx, v, "auto_submitted", &p, &it->auto_submitted)) ||
            (st = time_field(ctx, it->date, "date", &p, &it->date_t, &it->has_date)))
            return st;
        const cJSON *arr;
        size_t n;
        if ((st = array_of(ctx, v, "attachments", &p, &arr, &n)) != CRM_OK) return st;
        it->attachments = crm_arena_alloc(&ctx->arena, (n + 1) * sizeof *it->attachments);
        if (it->attachments == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        it->n_attachments = n;
        crm_path ap = CRM_PATH_KEY(&p, "attachments");
        size_t i = 0;
        static const char *const atkeys[] = {"id", "name", "size", NULL};
        for (const cJSON *c = arr ? arr->child : NULL; c; c = c->next, i++) {
            crm_path ip = CRM_PATH_IDX(&ap, i);
            crm_attachment *a = &it->attachments[i];
            a->id = a->name = "";
            a->size = 0;
            if ((st = crm_j_object(ctx, c, &ip, atkeys, CRM_E_UNKNOWN_FIELD)) || (st = crm_j_str(ctx, c, "id", &ip, &a->id)) ||
                (st = crm_j_str(ctx, c, "name", &ip, &a->name)) || (st = crm_j_int(ctx, c, "size", &ip, 0, 2147483647L, &a->size)))
                return st;
        }
    } else {
        size_t total = (crm_j_get(v, "organizer") ? 1 : 0) + count(v, "attendees");
        it->parties = crm_arena_alloc(&ctx->arena, (total + 1) * sizeof *it->parties);
        if (it->parties == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        size_t at = 0;
        const cJSON *org = crm_j_get(v, "organizer");
        if (org && !cJSON_IsNull(org)) {
            crm_path op = CRM_PATH_KEY(&p, "organizer");
            if ((st = parse_party(ctx, org, &op, ROLE_ORGANIZER, false, &it->parties[at])) != CRM_OK) return st;
            it->parties[at++].response = RESP_ORGANIZER;
        }
        if ((st = add_parties(ctx, v, "attendees", &p, ROLE_ATTENDEE, it, &at)) != CRM_OK) return st;
        it->n_parties = at;
        it->my_response = RESP_ORGANIZER;
        if ((st = crm_j_str(ctx, v, "uid", &p, &it->uid)) || (st = crm_j_str(ctx, v, "location", &p, &it->location)) ||
            (st = crm_j_enum(ctx, v, "my_response", &p, response_names, &it->my_response)) ||
            (st = crm_j_str(ctx, v, "start", &p, &it->start)) || (st = crm_j_str(ctx, v, "end", &p, &it->end)) ||
            (st = crm_j_bool(ctx, v, "is_all_day", &p, &it->is_all_day)) || (st = crm_j_bool(ctx, v, "is_private", &p, &it->is_private)) ||
            (st = crm_j_enum(ctx, v, "recurrence", &p, recurrence_names, &it->recurrence)) ||
            (st = crm_j_str(ctx, v, "created", &p, &it->created)) ||
            (st = time_or_date(ctx, it->start, "start", &p, &it->start_t, &it->has_start, &it->start_is_date)) ||
            (st = time_or_date(ctx, it->end, "end", &p, &it->end_t, &it->has_end, &it->end_is_date)) ||
            (st = time_field(ctx, it->created, "created", &p, &it->created_t, &it->has_created)))
            return st;
    }
    return CRM_OK;
}

crm_status crm_context_from_request(crm_ctx *ctx, const cJSON *root, crm_context *c) {
    static const char *const keys[] = {"now", "saved", "threads", "view_ids", NULL};
    static const char *const skeys[] = {"key", "message_id", "date", "record_ids", NULL};
    static const char *const tkeys[] = {"conversation_id", "flagged_at", "who", "what", NULL};
    memset(c, 0, sizeof *c);
    c->now = "";
    const cJSON *v = crm_j_get(root, "context");
    if (v == NULL || cJSON_IsNull(v)) return CRM_OK;
    crm_path p = CRM_PATH_KEY(NULL, "context");
    crm_status st = crm_j_object(ctx, v, &p, keys, CRM_E_UNKNOWN_FIELD);
    if (st || (st = crm_j_str(ctx, v, "now", &p, &c->now)) || (st = time_field(ctx, c->now, "now", &p, &c->now_t, &c->has_now)) ||
        (st = crm_j_strs(ctx, v, "view_ids", &p, &c->view_ids, &c->n_view_ids)))
        return st;
    const cJSON *arr;
    size_t n;
    if ((st = array_of(ctx, v, "saved", &p, &arr, &n)) != CRM_OK) return st;
    c->saved = crm_arena_alloc(&ctx->arena, (n + 1) * sizeof *c->saved);
    if (c->saved == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    c->n_saved = n;
    crm_path sp = CRM_PATH_KEY(&p, "saved");
    size_t i = 0;
    for (const cJSON *e = arr ? arr->child : NULL; e; e = e->next, i++) {
        crm_path ip = CRM_PATH_IDX(&sp, i);
        crm_saved *s = &c->saved[i];
        memset(s, 0, sizeof *s);
        s->key = s->message_id = s->date = "";
        if ((st = crm_j_object(ctx, e, &ip, skeys, CRM_E_UNKNOWN_FIELD)) || (st = crm_j_str(ctx, e, "key", &ip, &s->key)) ||
            (st = crm_j_str(ctx, e, "message_id", &ip, &s->message_id)) || (st = crm_j_str(ctx, e, "date", &ip, &s->date)) ||
            (st = crm_j_strs(ctx, e, "record_ids", &ip, &s->record_ids, &s->n_record_ids)) ||
            (st = time_field(ctx, s->date, "date", &ip, &s->date_t, &s->has_date)))
            return st;
    }
    if ((st = array_of(ctx, v, "threads", &p, &arr, &n)) != CRM_OK) return st;
    c->threads = crm_arena_alloc(&ctx->arena, (n + 1) * sizeof *c->threads);
    if (c->threads == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    c->n_threads = n;
    crm_path tp = CRM_PATH_KEY(&p, "threads");
    i = 0;
    for (const cJSON *e = arr ? arr->child : NULL; e; e = e->next, i++) {
        crm_path ip = CRM_PATH_IDX(&tp, i);
        crm_thread *t = &c->threads[i];
        memset(t, 0, sizeof *t);
        t->conversation_id = t->flagged_at = t->what = "";
        if ((st = crm_j_object(ctx, e, &ip, tkeys, CRM_E_UNKNOWN_FIELD)) ||
            (st = crm_j_str(ctx, e, "conversation_id", &ip, &t->conversation_id)) ||
            (st = crm_j_str(ctx, e, "flagged_at", &ip, &t->flagged_at)) || (st = crm_j_strs(ctx, e, "who", &ip, &t->who, &t->n_who)) ||
            (st = crm_j_str(ctx, e, "what", &ip, &t->what)))
            return st;
        int64_t ft;
        bool has_ft;
        if ((st = time_field(ctx, t->flagged_at, "flagged_at", &ip, &ft, &has_ft)) != CRM_OK) return st;
    }
    return CRM_OK;
}
