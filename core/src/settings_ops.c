/* settings_ops.c: layering and validation of settings (rules G1, G2, B1) for the
 * operations merge_settings and validate_settings. The table of settings, their types and
 * ranges is settings.c; this file adds the org/user layers, the locks, and the org-owned
 * keys. Decisions where the spec is silent: docs/rules-decisions-v2.md. */
#include <string.h>
#include "ops.h"
#include "model.h"

/* Keys only the organisation sets: a user value is ignored (merge) or E_LOCKED
 * (validate), as if locked. */
static const char *const org_owned[] = {"blocklist.org"};
#define N_ORG_OWNED (sizeof org_owned / sizeof org_owned[0])

typedef struct layers {
    const cJSON *defaults, *user;
    const char **locks; size_t n_locks;  /* org.locks, then the org-owned keys */
    size_t n_org_locks;
} layers;

/* A lock names a setting or a whole section: it must exist in the settings' JSON. */
static bool known_path(const cJSON *settings, const char *dotted) {
    const cJSON *at = settings;
    const char *p = dotted;
    while (at && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n == 0 || !cJSON_IsObject(at)) return false;
        const cJSON *next = NULL;
        for (const cJSON *c = at->child; c && !next; c = c->next)
            if (strlen(c->string) == n && memcmp(c->string, p, n) == 0) next = c;
        at = next;
        p = dot ? dot + 1 : p + n;
        if (dot && *p == '\0') return false;
    }
    return at != NULL && at != settings;
}

static crm_status read_layers(crm_ctx *ctx, const crm_request *rq, layers *ly) {
    static const char *const okeys[] = {"defaults", "locks", NULL};
    memset(ly, 0, sizeof *ly);
    crm_status st;
    crm_path op = CRM_PATH_KEY(NULL, "org");
    const cJSON *org = crm_j_get(rq->root, "org");
    const char **locks = NULL;
    size_t n_locks = 0;
    if (org && !cJSON_IsNull(org)) {
        if ((st = crm_j_object(ctx, org, &op, okeys, CRM_E_UNKNOWN_FIELD)) || (st = crm_j_strs(ctx, org, "locks", &op, &locks, &n_locks)))
            return st;
        const cJSON *d = crm_j_get(org, "defaults");
        crm_path dp = CRM_PATH_KEY(&op, "defaults");
        if (d && !cJSON_IsNull(d)) {
            if (!cJSON_IsObject(d)) return crm_fail(ctx, CRM_E_TYPE, &dp, "'defaults' must be a settings object");
            ly->defaults = d;
        }
    }
    if (n_locks) {
        crm_settings base;
        crm_settings_defaults(&base);
        cJSON *shape = crm_settings_to_json(ctx, &base);
        if (shape == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        crm_path lp = CRM_PATH_KEY(&op, "locks");
        for (size_t i = 0; i < n_locks; i++) {
            if (!known_path(shape, locks[i])) {
                cJSON_Delete(shape);
                crm_path ip = CRM_PATH_IDX(&lp, i);
                return crm_fail(ctx, CRM_E_UNKNOWN_SETTING, &ip, "unknown setting '%s' in locks: use dotted paths like \"email.mode\"", locks[i]);
            }
        }
        cJSON_Delete(shape);
    }
    ly->locks = crm_arena_alloc(&ctx->arena, (n_locks + N_ORG_OWNED) * sizeof *ly->locks);
    if (ly->locks == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    if (n_locks) memcpy(ly->locks, locks, n_locks * sizeof *locks);
    for (size_t i = 0; i < N_ORG_OWNED; i++) ly->locks[n_locks + i] = org_owned[i];
    ly->n_org_locks = n_locks;
    ly->n_locks = n_locks + N_ORG_OWNED;
    crm_path up = CRM_PATH_KEY(NULL, "user");
    const cJSON *u = crm_j_get(rq->root, "user");
    if (u && !cJSON_IsNull(u)) {
        if (!cJSON_IsObject(u)) return crm_fail(ctx, CRM_E_TYPE, &up, "'user' must be a settings object");
        ly->user = u;
    }
    return CRM_OK;
}

/* events.activated_at is a string in the table; its form is checked here. */
static crm_status check_activation(crm_ctx *ctx, const cJSON *layer, const crm_path *p) {
    const cJSON *ev = layer ? crm_j_get(layer, "events") : NULL;
    const cJSON *a = ev ? crm_j_get(ev, "activated_at") : NULL;
    if (!cJSON_IsString(a) || a->valuestring[0] == '\0') return CRM_OK;
    int64_t t;
    if ((strlen(a->valuestring) == 10 && crm_date_parse(a->valuestring, &t)) || crm_time_parse(a->valuestring, &t)) return CRM_OK;
    crm_path ep = CRM_PATH_KEY(p, "events"), ap = CRM_PATH_KEY(&ep, "activated_at");
    return crm_fail(ctx, CRM_E_BAD_DATE, &ap, "'activated_at' must be an RFC 3339 time or a date, got '%s'", a->valuestring);
}

static size_t count_keys(const cJSON *o) {
    size_t n = 0;
    for (const cJSON *c = o ? o->child : NULL; c; c = c->next) n += cJSON_IsObject(c) && strcmp(c->string, "field_limits") != 0 ? count_keys(c) : 1;
    return n;
}

static bool org_locked(const layers *ly, const char *dotted) {
    size_t dn = strlen(dotted);
    for (size_t i = 0; i < ly->n_org_locks; i++) {
        size_t ln = strlen(ly->locks[i]);
        if (ln <= dn && memcmp(ly->locks[i], dotted, ln) == 0 && (ln == dn || dotted[ln] == '.')) return true;
    }
    return false;
}

/* G1: built-in defaults, org defaults, user values for keys not locked. */
static crm_status layer(crm_ctx *ctx, const crm_request *rq, bool strict, crm_settings *s, layers *ly, const char ***skipped, size_t *n_skipped) {
    crm_status st = read_layers(ctx, rq, ly);
    if (st != CRM_OK) return st;
    crm_settings_defaults(s);
    crm_trace(ctx, "G1", "built-in defaults");
    crm_path op = CRM_PATH_KEY(NULL, "org"), dp = CRM_PATH_KEY(&op, "defaults"), up = CRM_PATH_KEY(NULL, "user");
    if (ly->defaults) {
        if ((st = crm_settings_apply(ctx, s, ly->defaults, &dp, NULL, 0, false, NULL, NULL)) || (st = check_activation(ctx, ly->defaults, &dp)))
            return st;
        crm_trace(ctx, "G1", "org defaults: %zu value(s)", count_keys(ly->defaults));
    }
    if (ly->n_org_locks) crm_trace(ctx, "G1", "%zu org lock(s)", ly->n_org_locks);
    if (ly->user) {
        if ((st = crm_settings_apply(ctx, s, ly->user, &up, ly->locks, ly->n_locks, strict, skipped, n_skipped)) ||
            (st = check_activation(ctx, ly->user, &up)))
            return st;
        crm_trace(ctx, "G1", "user values: %zu given, %zu ignored as locked or org-owned", count_keys(ly->user), *n_skipped);
    }
    crm_trace(ctx, "G2", "every value checked by type and range");
    return crm_settings_finish(ctx, s);
}

crm_status crm_op_merge_settings(crm_ctx *ctx, const crm_request *rq, cJSON *result) {
    crm_settings s;
    layers ly;
    const char **skipped = NULL;
    size_t n_skipped = 0;
    crm_status st = layer(ctx, rq, false, &s, &ly, &skipped, &n_skipped);
    if (st != CRM_OK) return st;
    if (s.block_org.n || s.block_user.n)
        crm_trace(ctx, "B1", "effective blocklist: %zu org + %zu user entries = %zu", s.block_org.n, s.block_user.n, s.block_all.n);
    cJSON *eff = crm_settings_to_json(ctx, &s);
    if (eff == NULL || !cJSON_AddItemToObject(result, "settings", eff)) {
        cJSON_Delete(eff);
        return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    }
    cJSON *w = crm_o_arr(ctx, result, "warnings");
    for (size_t i = 0; w && i < n_skipped; i++) {
        const char *msg = org_locked(&ly, skipped[i])
                              ? crm_fmt(&ctx->arena, "'%s' is locked by the organisation: the user value is ignored", skipped[i])
                              : crm_fmt(&ctx->arena, "'%s' is set by the organisation only: the user value is ignored", skipped[i]);
        if (msg == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        crm_o_str(ctx, w, NULL, msg);
        crm_trace(ctx, "G1", "user value for '%s' ignored", skipped[i]);
    }
    return ctx->err;
}

crm_status crm_op_validate_settings(crm_ctx *ctx, const crm_request *rq, cJSON *result) {
    crm_settings s;
    layers ly;
    const char **skipped = NULL;
    size_t n_skipped = 0;
    crm_status st = layer(ctx, rq, true, &s, &ly, &skipped, &n_skipped);
    if (st != CRM_OK) return st;
    crm_o_bool(ctx, result, "valid", true);
    return ctx->err;
}
