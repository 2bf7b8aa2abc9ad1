/* api_config.c: the configuration file, the store bootstrap and the server's tables. */
#define _DEFAULT_SOURCE /* realpath */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api/api_int.h"

const char *crm_api_status_str(crm_api_status st) {
    switch (st) {
    case CRM_API_OK: return "ok";
    case CRM_API_E_CONFIG: return "configuration error";
    case CRM_API_E_STORE: return "store error";
    case CRM_API_E_LISTEN: return "cannot listen";
    case CRM_API_E_NOMEM: return "out of memory";
    }
    return "unknown status";
}

static crm_api_status failf(char **err, crm_api_status st, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static crm_api_status failf(char **err, crm_api_status st, const char *fmt, ...) {
    if (err) {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        *err = strdup(buf);
    }
    return st;
}

const char *api_str(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

crm_api_status crm_api_config_load(const char *path, cJSON **out, char **err) {
    *out = NULL;
    if (err) *err = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) return failf(err, CRM_API_E_CONFIG, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            if (cap > (size_t)64 * 1024 * 1024) { free(buf); fclose(f); return failf(err, CRM_API_E_CONFIG, "%s is too large", path); }
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    if (buf == NULL) return failf(err, CRM_API_E_NOMEM, "out of memory");
    buf[n] = '\0';
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithOpts(buf, &end, 0);
    if (j == NULL || !cJSON_IsObject(j)) {
        size_t at = end ? (size_t)(end - buf) : 0;
        free(buf);
        cJSON_Delete(j);
        return failf(err, CRM_API_E_CONFIG, "%s is not a JSON object (near byte %zu)", path, at);
    }
    free(buf);
    *out = j;
    return CRM_API_OK;
}

/* A secret given as "<name>" or "<name>_env" (the environment variable holding it).
 * NULL when neither; *bad set when the _env variable is unset. */
static char *secret(const cJSON *o, const char *name, bool *bad, char *which, size_t cap) {
    char k[64];
    snprintf(k, sizeof k, "%s_env", name);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (cJSON_IsString(v)) return strdup(v->valuestring);
    v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsString(v)) {
        const char *e = getenv(v->valuestring);
        if (e == NULL || !*e) {
            *bad = true;
            snprintf(which, cap, "%s (environment variable %s is not set)", k, v->valuestring);
            return NULL;
        }
        return strdup(e);
    }
    return NULL;
}

static char *json_text(const cJSON *v, const char *dflt) {
    if (v == NULL) return strdup(dflt);
    return cJSON_PrintUnformatted(v);
}

/* Adds blocklist entries (strings, or {"entry","locked"}) for the org (user_id 0) or a user. */
static crm_api_status add_blocklist(crm_store *st, int64_t org_id, int64_t user_id, const cJSON *list, const char *where, char **err) {
    if (list == NULL) return CRM_API_OK;
    if (!cJSON_IsArray(list)) return failf(err, CRM_API_E_CONFIG, "%s.blocklist must be an array", where);
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        const char *entry = cJSON_IsString(e) ? e->valuestring : api_str(e, "entry");
        bool locked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "locked"));
        if (!*entry) return failf(err, CRM_API_E_CONFIG, "%s.blocklist: an entry must be a string or {\"entry\",\"locked\"}", where);
        crm_store_status s = crm_store_blocklist_add(st, org_id, user_id, entry, locked);
        if (s != CRM_STORE_OK) return failf(err, CRM_API_E_STORE, "%s.blocklist '%s': %s", where, entry, crm_store_errmsg(st));
    }
    return CRM_API_OK;
}

crm_api_status crm_api_bootstrap(crm_store *st, const cJSON *config, char **err) {
    if (err) *err = NULL;
    const cJSON *org = cJSON_GetObjectItemCaseSensitive(config, "org");
    const char *org_name = api_str(org, "name");
    if (!*org_name) return failf(err, CRM_API_E_CONFIG, "org.name is required");
    const cJSON *sf = cJSON_GetObjectItemCaseSensitive(config, "salesforce");
    int64_t org_id = 0;
    crm_store_status s = crm_store_org_find(st, org_name, &org_id);
    if (s == CRM_STORE_E_NOT_FOUND) {
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(sf, "api_reserve");
        crm_store_org o = {org_name, api_str(sf, "instance_url"), api_str(sf, "api_version"),
                           cJSON_IsNumber(res) ? (long)res->valuedouble : 0, "config", api_str(org, "sf_org_id")};
        s = crm_store_org_add(st, &o, &org_id);
        /* another worker starting on the same store may have added it just now */
        if (s == CRM_STORE_E_CONSTRAINT) s = crm_store_org_find(st, org_name, &org_id);
    }
    if (s != CRM_STORE_OK) return failf(err, CRM_API_E_STORE, "org '%s': %s", org_name, crm_store_errmsg(st));
    const cJSON *defaults = cJSON_GetObjectItemCaseSensitive(org, "defaults");
    const cJSON *locks = cJSON_GetObjectItemCaseSensitive(org, "locks");
    if (defaults && !cJSON_IsObject(defaults)) return failf(err, CRM_API_E_CONFIG, "org.defaults must be an object");
    if (locks && !cJSON_IsArray(locks)) return failf(err, CRM_API_E_CONFIG, "org.locks must be an array");
    if (defaults || locks) {
        char *d = defaults ? cJSON_PrintUnformatted(defaults) : NULL;
        char *l = locks ? cJSON_PrintUnformatted(locks) : NULL;
        s = crm_store_org_settings_set(st, org_id, d, l);
        cJSON_free(d);
        cJSON_free(l);
        if (s != CRM_STORE_OK) return failf(err, CRM_API_E_STORE, "org settings: %s", crm_store_errmsg(st));
    }
    crm_api_status r = add_blocklist(st, org_id, 0, cJSON_GetObjectItemCaseSensitive(org, "blocklist"), "org", err);
    if (r != CRM_API_OK) return r;
    const cJSON *users = cJSON_GetObjectItemCaseSensitive(config, "users");
    if (users && !cJSON_IsArray(users)) return failf(err, CRM_API_E_CONFIG, "users must be an array");
    const cJSON *u;
    int ui = 0;
    cJSON_ArrayForEach(u, users) {
        const char *email = api_str(u, "email");
        if (!*email) return failf(err, CRM_API_E_CONFIG, "users[%d].email is required", ui);
        int64_t uid = 0;
        s = crm_store_user_find(st, org_id, email, &uid);
        if (s == CRM_STORE_E_NOT_FOUND) {
            char *aliases = json_text(cJSON_GetObjectItemCaseSensitive(u, "aliases"), "[]");
            crm_store_user cu = {org_id, email, api_str(u, "sf_user_id"), api_str(u, "salesforce_email"), aliases};
            s = crm_store_user_add(st, &cu, &uid);
            cJSON_free(aliases);
            if (s == CRM_STORE_E_CONSTRAINT) { /* added meanwhile by another worker: theirs seeds it */
                s = crm_store_user_find(st, org_id, email, &uid);
                if (s != CRM_STORE_OK) return failf(err, CRM_API_E_STORE, "user %s: %s", email, crm_store_errmsg(st));
                goto mailboxes;
            }
            if (s != CRM_STORE_OK) return failf(err, CRM_API_E_STORE, "user %s: %s", email, crm_store_errmsg(st));
            const cJSON *us = cJSON_GetObjectItemCaseSensitive(u, "settings");
            if (us) {
                if (!cJSON_IsObject(us)) return failf(err, CRM_API_E_CONFIG, "users[%d].settings must be an object", ui);
                char *t = cJSON_PrintUnformatted(us);
                s = t ? crm_store_user_settings_set(st, uid, t) : CRM_STORE_E_NOMEM;
                cJSON_free(t);
                if (s != CRM_STORE_OK) return failf(err, CRM_API_E_STORE, "user %s settings: %s", email, crm_store_errmsg(st));
            }
            char where[300];
            snprintf(where, sizeof where, "users[%d]", ui);
            r = add_blocklist(st, org_id, uid, cJSON_GetObjectItemCaseSensitive(u, "blocklist"), where, err);
            if (r != CRM_API_OK) return r;
        } else if (s != CRM_STORE_OK) {
            return failf(err, CRM_API_E_STORE, "user %s: %s", email, crm_store_errmsg(st));
        }
    mailboxes:;
        const cJSON *mbs = cJSON_GetObjectItemCaseSensitive(u, "mailboxes");
        const cJSON *m;
        cJSON_ArrayForEach(m, mbs) {
            const char *name = api_str(m, "name");
            if (!*name) return failf(err, CRM_API_E_CONFIG, "users[%d]: a mailbox needs a name", ui);
            int64_t mid = 0;
            s = crm_store_mailbox_find(st, name, &mid);
            if (s == CRM_STORE_E_NOT_FOUND) {
                char *cfg = json_text(cJSON_GetObjectItemCaseSensitive(m, "config"), "{}");
                crm_store_mailbox cm = {uid, name, api_str(m, "kind"), cfg, 0};
                s = crm_store_mailbox_add(st, &cm, &mid);
                cJSON_free(cfg);
                if (s == CRM_STORE_E_CONSTRAINT) s = crm_store_mailbox_find(st, name, &mid);
            } else if (s == CRM_STORE_OK) {
                cJSON *got = NULL;
                s = crm_store_mailbox_get(st, mid, &got);
                const cJSON *owner = cJSON_GetObjectItemCaseSensitive(got, "user_id");
                bool mine = cJSON_IsNumber(owner) && (int64_t)owner->valuedouble == uid;
                cJSON_Delete(got);
                if (s == CRM_STORE_OK && !mine)
                    return failf(err, CRM_API_E_CONFIG, "mailbox '%s' belongs to another user in the store", name);
            }
            if (s != CRM_STORE_OK) return failf(err, CRM_API_E_STORE, "mailbox %s: %s", name, crm_store_errmsg(st));
        }
        ui++;
    }
    return CRM_API_OK;
}

static bool str_array(const cJSON *a, char ***out, size_t *n) {
    *out = NULL;
    *n = 0;
    int k = cJSON_GetArraySize(a);
    if (k <= 0) return true;
    *out = calloc((size_t)k, sizeof **out);
    if (*out == NULL) return false;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) {
        if (!cJSON_IsString(v)) continue;
        if (((*out)[(*n)++] = strdup(v->valuestring)) == NULL) return false;
    }
    return true;
}

crm_api_status api_setup(crm_api *api, char **err) {
    const cJSON *cfg = api->config;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(cfg, "api");
    if (a && !cJSON_IsObject(a)) return failf(err, CRM_API_E_CONFIG, "api must be an object");
    char which[200] = "";
    bool bad = false;
    api->admin_token = secret(a, "admin_token", &bad, which, sizeof which);
    if (bad) return failf(err, CRM_API_E_CONFIG, "api.%s", which);
    if (api->admin_token && strlen(api->admin_token) < 16)
        return failf(err, CRM_API_E_CONFIG, "api.admin_token must be at least 16 characters");
    const cJSON *origins = cJSON_GetObjectItemCaseSensitive(a, "origins");
    if (origins && !cJSON_IsArray(origins)) return failf(err, CRM_API_E_CONFIG, "api.origins must be an array of strings");
    if (!str_array(origins, &api->origins, &api->n_origins)) return failf(err, CRM_API_E_NOMEM, "out of memory");
    api->dev_host = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "dev_host"));
    const cJSON *stat = cJSON_GetObjectItemCaseSensitive(a, "static");
    if (stat && !cJSON_IsObject(stat)) return failf(err, CRM_API_E_CONFIG, "api.static must be an object {\"/prefix/\": \"dir/\"}");
    int ns = cJSON_GetArraySize(stat);
    if (ns > 0 && (api->statics = calloc((size_t)ns, sizeof *api->statics)) == NULL) return failf(err, CRM_API_E_NOMEM, "out of memory");
    const cJSON *sv;
    cJSON_ArrayForEach(sv, stat) {
        const char *p = sv->string;
        size_t pl = strlen(p);
        if (pl < 2 || p[0] != '/' || p[pl - 1] != '/' || strncmp(p, "/api/", 5) == 0)
            return failf(err, CRM_API_E_CONFIG, "api.static: prefix '%s' must start and end with '/' and not be under /api/", p);
        if (!cJSON_IsString(sv)) return failf(err, CRM_API_E_CONFIG, "api.static['%s'] must be a directory", p);
        char real[PATH_MAX];
        if (realpath(sv->valuestring, real) == NULL)
            return failf(err, CRM_API_E_CONFIG, "api.static['%s']: %s: %s", p, sv->valuestring, strerror(errno));
        api_static *s = &api->statics[api->n_statics++];
        s->prefix = strdup(p);
        s->dir = strdup(real);
        if (!s->prefix || !s->dir) return failf(err, CRM_API_E_NOMEM, "out of memory");
    }

    /* Salesforce */
    const cJSON *sf = cJSON_GetObjectItemCaseSensitive(cfg, "salesforce");
    if (!cJSON_IsObject(sf)) return failf(err, CRM_API_E_CONFIG, "salesforce must be an object");
    api->client_secret = secret(sf, "client_secret", &bad, which, sizeof which);
    if (!bad) api->refresh_token = secret(sf, "refresh_token", &bad, which, sizeof which);
    if (bad) return failf(err, CRM_API_E_CONFIG, "salesforce.%s", which);
    if (!api->refresh_token) return failf(err, CRM_API_E_CONFIG, "salesforce.refresh_token or refresh_token_env is required");
    memset(&api->sfc, 0, sizeof api->sfc);
    api->sfc.login_url = api_str(sf, "login_url");
    api->sfc.client_id = api_str(sf, "client_id");
    api->sfc.client_secret = api->client_secret ? api->client_secret : "";
    api->sfc.refresh_token = api->refresh_token;
    api->sfc.api_version = api_str(sf, "api_version");
    const char *ca = api_str(sf, "ca_file");
    api->sfc.ca_file = *ca ? ca : NULL;
    /* alt_email_fields: "A,B" or ["A","B"] */
    const cJSON *alt = cJSON_GetObjectItemCaseSensitive(sf, "alt_email_fields");
    if (cJSON_IsString(alt)) api->sfc.alt_email_fields = alt->valuestring;
    else if (cJSON_IsArray(alt)) {
        size_t len = 1;
        const cJSON *x;
        cJSON_ArrayForEach(x, alt) if (cJSON_IsString(x)) len += strlen(x->valuestring) + 1;
        char *joined = calloc(1, len);
        if (joined == NULL) return failf(err, CRM_API_E_NOMEM, "out of memory");
        cJSON_ArrayForEach(x, alt) if (cJSON_IsString(x)) {
            if (*joined) strcat(joined, ",");
            strcat(joined, x->valuestring);
        }
        /* kept alive by the config: stored as a new string item */
        cJSON_AddItemToObject(api->config, "_alt_email_fields_joined", cJSON_CreateString(joined));
        free(joined);
        api->sfc.alt_email_fields = api_str(api->config, "_alt_email_fields_joined");
    }
    api->sfc.api_reserve = 0; /* a person's click is not automatic work: never paused */
    api->sfc.timeout_ms = 30000;
    if (!*api->sfc.login_url || !*api->sfc.client_id) return failf(err, CRM_API_E_CONFIG, "salesforce.login_url and client_id are required");

    /* users */
    const cJSON *users = cJSON_GetObjectItemCaseSensitive(cfg, "users");
    int nu = cJSON_GetArraySize(users);
    if (nu > 0 && (api->users = calloc((size_t)nu, sizeof *api->users)) == NULL) return failf(err, CRM_API_E_NOMEM, "out of memory");
    const cJSON *org = cJSON_GetObjectItemCaseSensitive(cfg, "org");
    int64_t org_id = 0;
    if (crm_store_org_find(api->store, api_str(org, "name"), &org_id) != CRM_STORE_OK)
        return failf(err, CRM_API_E_STORE, "org: %s", crm_store_errmsg(api->store));
    const cJSON *u;
    cJSON_ArrayForEach(u, users) {
        api_user *au = &api->users[api->n_users++];
        au->email = strdup(api_str(u, "email"));
        au->sf_user_id = strdup(api_str(u, "sf_user_id"));
        if (!au->email || !au->sf_user_id) return failf(err, CRM_API_E_NOMEM, "out of memory");
        au->token = secret(u, "api_token", &bad, which, sizeof which);
        if (bad) return failf(err, CRM_API_E_CONFIG, "user %s: %s", au->email, which);
        if (au->token && strlen(au->token) < 16)
            return failf(err, CRM_API_E_CONFIG, "user %s: api_token must be at least 16 characters", au->email);
        for (size_t k = 0; au->token && k + 1 < api->n_users; k++)
            if (api->users[k].token && strcmp(api->users[k].token, au->token) == 0)
                return failf(err, CRM_API_E_CONFIG, "users %s and %s have the same api_token", api->users[k].email, au->email);
        if (au->token && api->admin_token && strcmp(au->token, api->admin_token) == 0)
            return failf(err, CRM_API_E_CONFIG, "user %s: api_token is the admin token", au->email);
        au->org_id = org_id;
        if (crm_store_user_find(api->store, org_id, au->email, &au->user_id) != CRM_STORE_OK)
            return failf(err, CRM_API_E_STORE, "user %s: %s", au->email, crm_store_errmsg(api->store));
        const cJSON *mbs = cJSON_GetObjectItemCaseSensitive(u, "mailboxes");
        int nm = cJSON_GetArraySize(mbs);
        if (nm <= 0) return failf(err, CRM_API_E_CONFIG, "user %s has no mailbox: the API acts on a user's mailbox", au->email);
        au->mailbox_ids = calloc((size_t)nm, sizeof *au->mailbox_ids);
        au->mailbox_names = calloc((size_t)nm, sizeof *au->mailbox_names);
        if (!au->mailbox_ids || !au->mailbox_names) return failf(err, CRM_API_E_NOMEM, "out of memory");
        const cJSON *m;
        cJSON_ArrayForEach(m, mbs) {
            size_t i = au->n_mailboxes;
            if (i == 0) au->mailbox0 = m;
            if ((au->mailbox_names[i] = strdup(api_str(m, "name"))) == NULL) return failf(err, CRM_API_E_NOMEM, "out of memory");
            au->n_mailboxes++;
            if (crm_store_mailbox_find(api->store, au->mailbox_names[i], &au->mailbox_ids[i]) != CRM_STORE_OK)
                return failf(err, CRM_API_E_STORE, "mailbox %s: %s", au->mailbox_names[i], crm_store_errmsg(api->store));
        }
    }
    /* links to records: salesforce.instance_url, else the store's, else the login URL */
    const char *iu = api_str(sf, "instance_url");
    cJSON *o = NULL;
    if (!*iu && crm_store_org_get(api->store, org_id, &o) == CRM_STORE_OK) iu = api_str(o, "instance_url");
    if (!*iu) iu = api->sfc.login_url;
    api->instance_url = strdup(iu);
    cJSON_Delete(o);
    if (api->instance_url == NULL) return failf(err, CRM_API_E_NOMEM, "out of memory");
    return CRM_API_OK;
}

static void wipe_free(char *s) {
    if (s == NULL) return;
    volatile char *p = s;
    while (*p) *p++ = 0;
    free(s);
}

void api_teardown(crm_api *api) {
    for (size_t i = 0; i < api->n_users; i++) {
        api_user *u = &api->users[i];
        free(u->email);
        wipe_free(u->token);
        free(u->sf_user_id);
        for (size_t k = 0; k < u->n_mailboxes; k++) free(u->mailbox_names[k]);
        free(u->mailbox_names);
        free(u->mailbox_ids);
    }
    free(api->users);
    for (size_t i = 0; i < api->n_origins; i++) free(api->origins[i]);
    free(api->origins);
    for (size_t i = 0; i < api->n_statics; i++) { free(api->statics[i].prefix); free(api->statics[i].dir); }
    free(api->statics);
    wipe_free(api->admin_token);
    wipe_free(api->client_secret);
    wipe_free(api->refresh_token);
    free(api->instance_url);
    api_cache_clear(api);
    if (api->sf) crm_sf_close(api->sf);
    crm_engine_free(api->engine);
    crm_store_close(api->store);
    cJSON_Delete(api->config);
}
