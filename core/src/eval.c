/* eval.c: the JSON boundary. Limits, parsing, the envelope, dispatch to the operations
 * and the response (spec/core-api.md). */
#include <string.h>
#include "internal.h"
#include "ops.h"

const char *crm_version(void) { return CRM_VERSION_STRING; }

crm_ctx *crm_ctx_new(const crm_allocator *a) {
    if (a == NULL) a = crm_default_allocator();
    crm_ctx *ctx = a->alloc(a->ud, sizeof *ctx);
    if (ctx == NULL) return NULL;
    memset(ctx, 0, sizeof *ctx);
    ctx->alloc = *a;
    ctx->arena.a = &ctx->alloc;
    return ctx;
}

void crm_ctx_free(crm_ctx *ctx) {
    if (ctx == NULL) return;
    crm_arena_reset(&ctx->arena);
    crm_allocator a = ctx->alloc;
    a.release(a.ud, ctx, sizeof *ctx);
}

void crm_ctx_release(crm_ctx *ctx, char *response) {
    if (response == NULL) return;
    ctx->alloc.release(ctx->alloc.ud, response, strlen(response) + 1);
}

/* The operations, in the order of core-api.md. `fields` are the op-specific top-level
 * keys; `uses_settings` says whether `settings` is parsed (and so validated). */
typedef crm_status (*op_fn)(crm_ctx *, const crm_request *, cJSON *result);
static const struct op_def {
    const char *name;
    op_fn fn;
    const char *fields[4];
} ops[] = {
    {"version", crm_op_version, {NULL}},
    {"normalize_address", crm_op_normalize_address, {"input", NULL}},
    {"parse_blocklist", crm_op_parse_blocklist, {"text", NULL}},
    {"classify", crm_op_classify, {NULL}},
    {"decide_email", crm_op_decide_email, {NULL}},
    {"plan_save", crm_op_plan_save, {"selection", NULL}},
    {"suggest", crm_op_suggest, {NULL}},
    {"do_not_sync", crm_op_do_not_sync, {"address", "scope", NULL}},
    {"decide_event", crm_op_decide_event, {NULL}},
    {"downsync_filter", crm_op_downsync_filter, {"kind", "record", NULL}},
    {"decide_delete", crm_op_decide_delete, {"kind", "origin", "created_by_crmsync", NULL}},
    {"merge_settings", crm_op_merge_settings, {"org", "user", NULL}},
    {"validate_settings", crm_op_validate_settings, {"org", "user", NULL}},
    {"item_key", crm_op_item_key, {NULL}},
};

static const char *const envelope_keys[] = {"op", "settings", "records", "item", "context", NULL};

/* Checks the limits before parsing: nesting depth, string length. Returns CRM_OK, or the
 * error recorded on ctx. `clean` gets a copy with invalid UTF-8 replaced when needed. */
static crm_status prescan(crm_ctx *ctx, const char *req, size_t len, const char **clean, size_t *clean_len, bool may_clean) {
    size_t depth = 0, i = 0;
    bool needs_clean = false;
    *clean = req;
    *clean_len = len;
    while (i < len) {
        unsigned char c = (unsigned char)req[i];
        if (c == '"') {
            size_t start = ++i;
            while (i < len && req[i] != '"') {
                unsigned char d = (unsigned char)req[i];
                /* an escape takes the next byte when it is ASCII (JSON escapes are); a byte
                 * >= 0x80 after a backslash is decoded as text (and cJSON refuses it) */
                if (d == '\\' && i + 1 < len && (unsigned char)req[i + 1] < 0x80) i++;
                else if (d >= 0x80) {
                    bool bad = false;
                    crm_utf8_next(req, len, &i, &bad);
                    if (bad) needs_clean = true;
                    continue;
                }
                i++;
            }
            if (i - start > CRM_MAX_STRING_BYTES)
                return crm_fail(ctx, CRM_E_TOO_LARGE, NULL, "a string at byte %zu is over 4 MiB (%zu bytes)", start - 1, i - start);
            i++;
            continue;
        }
        if (c == '{' || c == '[') {
            if (++depth > CRM_MAX_DEPTH)
                return crm_fail(ctx, CRM_E_JSON, NULL, "nesting deeper than %d levels at byte %zu", CRM_MAX_DEPTH, i);
        } else if (c == '}' || c == ']') {
            if (depth) depth--;
        }
        i++;
    }
    if (needs_clean && may_clean) {
        /* Invalid UTF-8 inside strings is replaced by U+FFFD, so every response is valid
         * UTF-8 and both builds print the same bytes (docs/rules-decisions.md). */
        char *c = crm_utf8_clean(&ctx->arena, req, len);
        if (c == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        *clean = c;
        *clean_len = strlen(c);
        /* a replacement character takes 3 bytes: the limits hold for the cleaned text too */
        if (*clean_len > CRM_MAX_REQUEST_BYTES)
            return crm_fail(ctx, CRM_E_TOO_LARGE, NULL, "the request is over 16 MiB once invalid UTF-8 is replaced");
        return prescan(ctx, c, *clean_len, clean, clean_len, false);
    }
    return CRM_OK;
}

static char *finish(crm_ctx *ctx, cJSON *resp, size_t *out_len) {
    char *printed = cJSON_PrintUnformatted(resp);
    cJSON_Delete(resp);
    if (printed == NULL) return NULL;
    size_t n = strlen(printed);
    char *out = ctx->alloc.alloc(ctx->alloc.ud, n + 1);
    if (out != NULL) {
        memcpy(out, printed, n + 1);
        if (out_len) *out_len = n;
    }
    cJSON_free(printed);
    return out;
}

static char *error_response(crm_ctx *ctx, size_t *out_len) {
    static const char nomem[] = "{\"ok\":false,\"error\":{\"code\":\"E_NOMEM\",\"message\":\"out of memory\"}}";
    cJSON *resp = cJSON_CreateObject();
    cJSON *err = NULL;
    if (resp && ctx->err != CRM_E_NOMEM && cJSON_AddFalseToObject(resp, "ok") &&
        (err = cJSON_AddObjectToObject(resp, "error")) &&
        cJSON_AddStringToObject(err, "code", crm_status_code(ctx->err)) &&
        cJSON_AddStringToObject(err, "message", ctx->err_msg ? ctx->err_msg : crm_status_str(ctx->err)) &&
        (ctx->err_path == NULL || ctx->err_path[0] == '\0' || cJSON_AddStringToObject(err, "path", ctx->err_path))) {
        char *out = finish(ctx, resp, out_len);
        if (out) return out;
    } else {
        cJSON_Delete(resp);
    }
    char *out = ctx->alloc.alloc(ctx->alloc.ud, sizeof nomem);
    if (out == NULL) return NULL;
    memcpy(out, nomem, sizeof nomem);
    if (out_len) *out_len = sizeof nomem - 1;
    return out;
}

static crm_status run(crm_ctx *ctx, const char *request, size_t len, cJSON **resp_out) {
    if (len > CRM_MAX_REQUEST_BYTES)
        return crm_fail(ctx, CRM_E_TOO_LARGE, NULL, "the request is %zu bytes; the limit is 16 MiB", len);
    const char *text;
    crm_status st = prescan(ctx, request, len, &text, &len, true);
    if (st != CRM_OK) return st;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root == NULL) {
        size_t at = (end && end >= text && end <= text + len) ? (size_t)(end - text) : 0;
        return crm_fail(ctx, CRM_E_JSON, NULL, "the request is not valid JSON (at byte %zu)", at);
    }
    size_t used = (size_t)(end - text);
    while (used < len && crm_is_space(text[used])) used++;
    if (used < len) {
        cJSON_Delete(root);
        return crm_fail(ctx, CRM_E_JSON, NULL, "unexpected data after the JSON value (at byte %zu)", used);
    }
    crm_request rq;
    memset(&rq, 0, sizeof rq);
    rq.root = root;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return crm_fail(ctx, CRM_E_TYPE, NULL, "the request must be a JSON object");
    }
    const cJSON *opv = crm_j_get(root, "op");
    crm_path op_path = CRM_PATH_KEY(NULL, "op");
    if (opv == NULL) { cJSON_Delete(root); return crm_fail(ctx, CRM_E_MISSING, &op_path, "'op' is missing"); }
    if (!cJSON_IsString(opv)) { cJSON_Delete(root); return crm_fail(ctx, CRM_E_TYPE, &op_path, "'op' must be a string"); }
    const struct op_def *def = NULL;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(ops[i].name, opv->valuestring) == 0) def = &ops[i];
    if (def == NULL) {
        st = crm_fail(ctx, CRM_E_UNKNOWN_OP, &op_path, "unknown operation '%s'", opv->valuestring);
        cJSON_Delete(root);
        return st;
    }
    for (const cJSON *c = root->child; c; c = c->next) {
        bool known = false;
        for (size_t i = 0; envelope_keys[i] && !known; i++) known = strcmp(envelope_keys[i], c->string) == 0;
        for (size_t i = 0; def->fields[i] && !known; i++) known = strcmp(def->fields[i], c->string) == 0;
        crm_path kp = CRM_PATH_KEY(NULL, c->string);
        if (!known) {
            st = crm_fail(ctx, CRM_E_UNKNOWN_FIELD, &kp, "unknown field '%s' for operation '%s'", c->string, def->name);
            cJSON_Delete(root);
            return st;
        }
        for (const cJSON *d = root->child; d != c; d = d->next)
            if (strcmp(d->string, c->string) == 0) {
                st = crm_fail(ctx, CRM_E_JSON, &kp, "field '%s' appears twice", c->string);
                cJSON_Delete(root);
                return st;
            }
    }
    rq.op = def->name;
    cJSON *resp = cJSON_CreateObject();
    cJSON *result = cJSON_CreateObject();
    if (resp == NULL || result == NULL) {
        cJSON_Delete(resp);
        cJSON_Delete(result);
        cJSON_Delete(root);
        return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    }
    st = def->fn(ctx, &rq, result);
    cJSON_Delete(root);
    if (st == CRM_OK && ctx->err != CRM_OK) st = ctx->err;
    if (st != CRM_OK) {
        cJSON_Delete(result);
        cJSON_Delete(resp);
        return st;
    }
    cJSON_AddTrueToObject(resp, "ok");
    cJSON_AddItemToObject(resp, "result", result);
    cJSON *trace = cJSON_AddArrayToObject(resp, "trace");
    for (size_t i = 0; trace && i < ctx->trace_n; i++) {
        cJSON *e = cJSON_CreateObject();
        if (e == NULL || !cJSON_AddItemToArray(trace, e)) { cJSON_Delete(e); trace = NULL; break; }
        if (!cJSON_AddStringToObject(e, "rule", ctx->trace[i].rule) || !cJSON_AddStringToObject(e, "note", ctx->trace[i].note))
            trace = NULL;
    }
    if (trace == NULL) { cJSON_Delete(resp); return crm_fail(ctx, CRM_E_NOMEM, NULL, ""); }
    *resp_out = resp;
    return CRM_OK;
}

char *crm_ctx_eval(crm_ctx *ctx, const char *request, size_t len, size_t *out_len) {
    ctx->err = CRM_OK;
    ctx->err_msg = ctx->err_path = NULL;
    ctx->trace = NULL;
    ctx->trace_n = ctx->trace_cap = 0;
    if (request == NULL) len = 0, request = "";
    cJSON *resp = NULL;
    crm_status st = run(ctx, request, len, &resp);
    char *out = (st == CRM_OK) ? finish(ctx, resp, out_len) : error_response(ctx, out_len);
    crm_arena_reset(&ctx->arena);
    return out;
}

char *crm_eval(const char *request, size_t len) {
    crm_ctx *ctx = crm_ctx_new(NULL);
    if (ctx == NULL) return NULL;
    char *out = crm_ctx_eval(ctx, request, len, NULL);
    crm_ctx_free(ctx);
    return out;
}

void crm_free(void *response) {
    const crm_allocator *a = crm_default_allocator();
    if (response) a->release(a->ud, response, 0);
}

crm_status crm_op_version(crm_ctx *ctx, const crm_request *rq, cJSON *result) {
    (void)rq;
    crm_o_str(ctx, result, "version", crm_version());
    crm_o_int(ctx, result, "schema", CRM_SCHEMA_VERSION);
    return ctx->err;
}
