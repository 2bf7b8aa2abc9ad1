/* json.c: typed access to request fields, with the JSON path in every error, and
 * NULL-safe builders for responses. */
#include <string.h>
#include "internal.h"

const cJSON *crm_j_get(const cJSON *obj, const char *key) {
    if (obj == NULL || !cJSON_IsObject(obj)) return NULL;
    for (const cJSON *c = obj->child; c; c = c->next)
        if (c->string && c->string[0] == key[0] && strcmp(c->string, key) == 0) return c;
    return NULL;
}

static const char *type_name(const cJSON *v) {
    if (cJSON_IsObject(v)) return "an object";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    return "invalid";
}

crm_status crm_j_object(crm_ctx *ctx, const cJSON *v, const crm_path *p, const char *const *keys, crm_status unknown) {
    if (!cJSON_IsObject(v))
        return crm_fail(ctx, CRM_E_TYPE, p, "expected an object, got %s", type_name(v));
    for (const cJSON *c = v->child; c; c = c->next) {
        bool known = false;
        for (size_t i = 0; keys[i]; i++)
            if (keys[i][0] == c->string[0] && strcmp(keys[i], c->string) == 0) { known = true; break; }
        crm_path cp = CRM_PATH_KEY(p, c->string);
        if (!known) {
            if (unknown == CRM_E_UNKNOWN_SETTING)
                return crm_fail(ctx, unknown, &cp, "unknown setting '%s'", c->string);
            return crm_fail(ctx, unknown, &cp, "unknown field '%s'", c->string);
        }
        for (const cJSON *d = v->child; d != c; d = d->next)
            if (d->string[0] == c->string[0] && strcmp(d->string, c->string) == 0)
                return crm_fail(ctx, CRM_E_JSON, &cp, "field '%s' appears twice", c->string);
    }
    return CRM_OK;
}

crm_status crm_j_str(crm_ctx *ctx, const cJSON *obj, const char *key, const crm_path *p, const char **out) {
    const cJSON *v = crm_j_get(obj, key);
    if (v == NULL || cJSON_IsNull(v)) return CRM_OK;
    crm_path cp = CRM_PATH_KEY(p, key);
    if (!cJSON_IsString(v)) return crm_fail(ctx, CRM_E_TYPE, &cp, "'%s' must be a string, got %s", key, type_name(v));
    *out = v->valuestring;
    return CRM_OK;
}

crm_status crm_j_bool(crm_ctx *ctx, const cJSON *obj, const char *key, const crm_path *p, bool *out) {
    const cJSON *v = crm_j_get(obj, key);
    if (v == NULL) return CRM_OK;
    crm_path cp = CRM_PATH_KEY(p, key);
    if (!cJSON_IsBool(v)) return crm_fail(ctx, CRM_E_TYPE, &cp, "'%s' must be true or false, got %s", key, type_name(v));
    *out = cJSON_IsTrue(v);
    return CRM_OK;
}

crm_status crm_j_int_value(crm_ctx *ctx, const cJSON *v, const crm_path *cp, const char *key, long lo, long hi, long *out) {
    if (!cJSON_IsNumber(v)) return crm_fail(ctx, CRM_E_TYPE, cp, "'%s' must be a whole number, got %s", key, type_name(v));
    double d = v->valuedouble;
    if (d != d || d - d != 0.0) return crm_fail(ctx, CRM_E_TYPE, cp, "'%s' must be a whole number", key);
    if (d < (double)lo || d > (double)hi) /* whole or not: out of range is E_RANGE */
        return crm_fail(ctx, CRM_E_RANGE, cp, "'%s' must be from %ld to %ld", key, lo, hi);
    if (d != (double)(long)d) return crm_fail(ctx, CRM_E_TYPE, cp, "'%s' must be a whole number", key);
    *out = (long)d;
    return CRM_OK;
}

crm_status crm_j_int(crm_ctx *ctx, const cJSON *obj, const char *key, const crm_path *p, long lo, long hi, long *out) {
    const cJSON *v = crm_j_get(obj, key);
    if (v == NULL) return CRM_OK;
    crm_path cp = CRM_PATH_KEY(p, key);
    return crm_j_int_value(ctx, v, &cp, key, lo, hi, out);
}

crm_status crm_j_strs(crm_ctx *ctx, const cJSON *obj, const char *key, const crm_path *p, const char ***out, size_t *n) {
    const cJSON *v = crm_j_get(obj, key);
    if (v == NULL || cJSON_IsNull(v)) return CRM_OK;
    crm_path cp = CRM_PATH_KEY(p, key);
    if (!cJSON_IsArray(v)) return crm_fail(ctx, CRM_E_TYPE, &cp, "'%s' must be an array of strings, got %s", key, type_name(v));
    size_t cnt = (size_t)cJSON_GetArraySize(v);
    const char **arr = crm_arena_alloc(&ctx->arena, (cnt + 1) * sizeof *arr);
    if (arr == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        if (!cJSON_IsString(c)) {
            crm_path ip = CRM_PATH_IDX(&cp, i);
            return crm_fail(ctx, CRM_E_TYPE, &ip, "'%s' entries must be strings, got %s", key, type_name(c));
        }
        arr[i] = c->valuestring;
    }
    arr[i] = NULL;
    *out = arr;
    *n = cnt;
    return CRM_OK;
}

crm_status crm_j_enum(crm_ctx *ctx, const cJSON *obj, const char *key, const crm_path *p, const char *const *names, int *out) {
    const char *s = NULL;
    crm_status st = crm_j_str(ctx, obj, key, p, &s);
    if (st != CRM_OK || s == NULL) return st;
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0) { *out = i; return CRM_OK; }
    crm_buf b;
    crm_buf_init(&b, &ctx->arena);
    for (int i = 0; names[i]; i++) {
        if (i) crm_buf_puts(&b, names[i + 1] ? ", " : " or ");
        crm_buf_puts(&b, names[i]);
    }
    crm_path cp = CRM_PATH_KEY(p, key);
    const char *list = crm_buf_cstr(&b);
    if (list == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    return crm_fail(ctx, CRM_E_RANGE, &cp, "'%s' must be one of %s, got '%s'", key, list, s);
}

/* ------------------------------------------------------------------- output */
static cJSON *attach(crm_ctx *ctx, cJSON *parent, const char *key, cJSON *v) {
    if (v == NULL) { crm_fail(ctx, CRM_E_NOMEM, NULL, ""); return NULL; }
    if (parent == NULL) { cJSON_Delete(v); return NULL; }
    cJSON_bool ok = cJSON_IsArray(parent) ? cJSON_AddItemToArray(parent, v) : cJSON_AddItemToObject(parent, key, v);
    if (!ok) { cJSON_Delete(v); crm_fail(ctx, CRM_E_NOMEM, NULL, ""); return NULL; }
    return v;
}

cJSON *crm_o_obj(crm_ctx *ctx, cJSON *parent, const char *key) { return attach(ctx, parent, key, cJSON_CreateObject()); }
cJSON *crm_o_arr(crm_ctx *ctx, cJSON *parent, const char *key) { return attach(ctx, parent, key, cJSON_CreateArray()); }
void crm_o_str(crm_ctx *ctx, cJSON *parent, const char *key, const char *val) {
    attach(ctx, parent, key, cJSON_CreateString(val ? val : ""));
}
void crm_o_bool(crm_ctx *ctx, cJSON *parent, const char *key, bool val) { attach(ctx, parent, key, cJSON_CreateBool(val)); }
void crm_o_int(crm_ctx *ctx, cJSON *parent, const char *key, long val) {
    attach(ctx, parent, key, cJSON_CreateNumber((double)val));
}
void crm_o_strs(crm_ctx *ctx, cJSON *parent, const char *key, const char *const *vals, size_t n) {
    cJSON *a = crm_o_arr(ctx, parent, key);
    for (size_t i = 0; a && i < n; i++) crm_o_str(ctx, a, NULL, vals[i]);
}
