/* ops_email.c: the small operations: normalize_address, parse_blocklist, classify,
 * suggest, do_not_sync and item_key (core-api.md). */
#include <string.h>
#include "ops.h"
#include "model.h"

static crm_status required_str(crm_ctx *ctx, const cJSON *root, const char *key, const char **out) {
    crm_path p = CRM_PATH_KEY(NULL, key);
    const cJSON *v = crm_j_get(root, key);
    if (v == NULL) return crm_fail(ctx, CRM_E_MISSING, &p, "'%s' is missing", key);
    if (!cJSON_IsString(v)) return crm_fail(ctx, CRM_E_TYPE, &p, "'%s' must be a string", key);
    *out = v->valuestring;
    return CRM_OK;
}

crm_status crm_op_normalize_address(crm_ctx *ctx, const crm_request *rq, cJSON *result) {
    crm_settings s;
    const char *in;
    crm_addr a;
    crm_status st;
    if ((st = crm_settings_from_request(ctx, rq->root, &s)) || (st = required_str(ctx, rq->root, "input", &in)) ||
        (st = crm_addr_parse(ctx, in, strlen(in), &a)))
        return st;
    crm_path p = CRM_PATH_KEY(NULL, "input");
    if (!a.valid) return crm_fail(ctx, CRM_E_BAD_ADDRESS, &p, "'%s' is not a valid address: %s", a.address, a.why);
    crm_trace(ctx, "A1", "normalised to %s", a.address);
    crm_o_str(ctx, result, "address", a.address);
    crm_o_str(ctx, result, "display_name", a.display_name);
    crm_o_str(ctx, result, "local", a.local);
    crm_o_str(ctx, result, "domain", a.domain);
    crm_o_str(ctx, result, "registered_domain", a.registered);
    bool fm = crm_is_freemail(&s, a.domain);
    crm_o_bool(ctx, result, "freemail", fm);
    bool role = crm_is_role_local(a.local);
    crm_o_bool(ctx, result, "role", role);
    if (a.registered[0]) crm_trace(ctx, "A7", "registered domain %s", a.registered);
    if (fm) crm_trace(ctx, "A5", "%s is a free-mail domain", a.domain);
    if (role) crm_trace(ctx, "A6", "%s is a role address", a.local);
    return ctx->err;
}

static const char *kind_name(crm_entry_kind k) {
    return k == CRM_ENTRY_ADDRESS ? "address" : k == CRM_ENTRY_DOMAIN ? "domain" : "suffix";
}

crm_status crm_op_parse_blocklist(crm_ctx *ctx, const crm_request *rq, cJSON *result) {
    crm_settings s;
    const char *text;
    crm_status st;
    if ((st = crm_settings_from_request(ctx, rq->root, &s)) || (st = required_str(ctx, rq->root, "text", &text))) return st;
    crm_entries list = {0};
    crm_entry_errors errs = {0};
    size_t index = 0;
    if ((st = crm_entries_parse(ctx, text, strlen(text), &list, &errs, &index)) != CRM_OK) return st;
    cJSON *e = crm_o_arr(ctx, result, "entries");
    for (size_t i = 0; e && i < list.n; i++) {
        cJSON *o = crm_o_obj(ctx, e, NULL);
        crm_o_str(ctx, o, "kind", kind_name(list.v[i].kind));
        crm_o_str(ctx, o, "value", list.v[i].value);
    }
    cJSON *er = crm_o_arr(ctx, result, "errors");
    for (size_t i = 0; er && i < errs.n; i++) {
        cJSON *o = crm_o_obj(ctx, er, NULL);
        crm_o_int(ctx, o, "index", (long)errs.v[i].index);
        crm_o_str(ctx, o, "input", errs.v[i].input);
        crm_o_str(ctx, o, "code", crm_status_code(errs.v[i].code));
        crm_o_str(ctx, o, "message", errs.v[i].message);
    }
    crm_trace(ctx, "B2", "%zu entr%s from %zu token(s)", list.n, list.n == 1 ? "y" : "ies", index);
    if (errs.n) crm_trace(ctx, "B3", "%zu entr%s rejected", errs.n, errs.n == 1 ? "y" : "ies");
    return ctx->err;
}

static crm_status load(crm_ctx *ctx, const crm_request *rq, crm_settings *s, crm_records *r, crm_item *it, crm_people *pp) {
    crm_status st;
    if ((st = crm_settings_from_request(ctx, rq->root, s)) || (st = crm_records_from_request(ctx, rq->root, s, r)) ||
        (st = crm_item_from_request(ctx, rq->root, it, true)) || (st = crm_classify(ctx, s, r, it, pp)))
        return st;
    /* the context is accepted (and validated) but not needed here */
    crm_context c;
    return crm_context_from_request(ctx, rq->root, &c);
}

crm_status crm_op_classify(crm_ctx *ctx, const crm_request *rq, cJSON *result) {
    crm_settings s;
    crm_records r;
    crm_item it;
    crm_people pp;
    crm_status st = load(ctx, rq, &s, &r, &it, &pp);
    if (st != CRM_OK) return st;
    crm_trace_participants(ctx, &pp);
    crm_trace(ctx, "A3", "%s", pp.outbound ? "outbound: From is self" : "inbound");
    crm_o_str(ctx, result, "direction", pp.outbound ? "outbound" : "inbound");
    crm_participants_json(ctx, result, "participants", &pp);
    return ctx->err;
}

crm_status crm_op_suggest(crm_ctx *ctx, const crm_request *rq, cJSON *result) {
    crm_settings s;
    crm_records r;
    crm_item it;
    crm_people pp;
    crm_suggestions sg;
    crm_status st = load(ctx, rq, &s, &r, &it, &pp);
    if (st != CRM_OK || (st = crm_suggest(ctx, &s, &r, &pp, &sg)) != CRM_OK) return st;
    if (sg.n) crm_trace(ctx, "N5", "each suggestion carries its do-not-sync choices");
    crm_suggestions_json(ctx, result, "suggestions", &sg);
    return ctx->err;
}

crm_status crm_op_do_not_sync(crm_ctx *ctx, const crm_request *rq, cJSON *result) {
    static const char *const scopes[] = {"address", "domain", NULL};
    crm_settings s;
    const char *in;
    crm_addr a;
    int scope = 0;
    crm_status st;
    if ((st = crm_settings_from_request(ctx, rq->root, &s)) || (st = required_str(ctx, rq->root, "address", &in)) ||
        (st = crm_j_enum(ctx, rq->root, "scope", NULL, scopes, &scope)) || (st = crm_addr_parse(ctx, in, strlen(in), &a)))
        return st;
    crm_path p = CRM_PATH_KEY(NULL, "address");
    if (!a.valid) return crm_fail(ctx, CRM_E_BAD_ADDRESS, &p, "'%s' is not a valid address: %s", a.address, a.why);
    if (crm_is_self(ctx, &s, &a)) return crm_fail(ctx, CRM_E_NOT_ALLOWED, &p, "%s is your own address and cannot be blocklisted", a.address);
    if (crm_is_internal(&s, &a))
        return crm_fail(ctx, CRM_E_NOT_ALLOWED, &p, "%s is internal (%s); internal %s cannot be blocklisted", a.address, a.domain,
                        scope ? "domains" : "addresses");
    crm_entry e;
    e.kind = scope ? CRM_ENTRY_DOMAIN : CRM_ENTRY_ADDRESS;
    e.value = e.text = scope ? a.domain : a.address;
    const crm_entry *covered = scope ? crm_entries_match_domain(&s.block_all, a.domain) : crm_entries_match(&s.block_all, &a);
    /* an address entry does not cover a whole domain */
    crm_o_str(ctx, result, "status", covered ? "already_blocked" : "added");
    cJSON *u = crm_o_arr(ctx, result, "user");
    for (size_t i = 0; u && i < s.block_user.n; i++) crm_o_str(ctx, u, NULL, s.block_user.v[i].text);
    if (!covered) crm_o_str(ctx, u, NULL, e.text);
    cJSON *prev = crm_o_arr(ctx, result, "previous");
    for (size_t i = 0; prev && i < s.block_user.n; i++) crm_o_str(ctx, prev, NULL, s.block_user.v[i].text);
    if (covered) crm_trace(ctx, "B6", "%s is already covered by '%s'", e.text, covered->text);
    else crm_trace(ctx, "B6", "'%s' added to the user's blocklist", e.text);
    return ctx->err;
}

crm_status crm_op_item_key(crm_ctx *ctx, const crm_request *rq, cJSON *result) {
    crm_settings s;
    crm_item it;
    crm_status st;
    if ((st = crm_settings_from_request(ctx, rq->root, &s)) || (st = crm_item_from_request(ctx, rq->root, &it, true))) return st;
    const char *key = it.is_event ? crm_event_key(ctx, &s, &it) : crm_email_key(ctx, &s, &it);
    if (key == NULL) return ctx->err;
    crm_trace(ctx, it.is_event ? "K3" : "K1", "%s", it.is_event ? "event key from uid" : (it.message_id[0] ? "email key from Message-ID" : "email key from From, date and subject"));
    crm_o_str(ctx, result, "key", key);
    return ctx->err;
}
