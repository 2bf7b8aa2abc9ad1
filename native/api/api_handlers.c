/* api_handlers.c: the /api/v1 endpoints (docs/api.md). Each runs with the server's mutex
 * held, for the authenticated user in q->user, and fills the reply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <microhttpd.h>
#include "api/api_int.h"
#include "mailbox/crm_mailbox.h"

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

/* Evaluates a core request (deleted here). NULL (reply filled) when out of memory. */
static cJSON *core(crm_api *api, cJSON *req, api_reply *r) {
    cJSON *resp = req ? crm_engine_eval(api->engine, req) : NULL;
    cJSON_Delete(req);
    if (resp == NULL) api_reply_error(r, 500, "E_NOMEM", NULL, "out of memory");
    return resp;
}

static cJSON *ok_object(void) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddTrueToObject(o, "ok");
    return o;
}

static void add_dup(cJSON *o, const char *k, const cJSON *v) {
    cJSON_AddItemToObject(o, k, v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull());
}

/* The user's raw settings parts (store) and the effective settings: the core's
 * merge_settings of the org defaults/locks and the user values, then the store-owned keys
 * (org_id, user identity, blocklists), as a sync session sees them. */
static bool effective(crm_api *api, api_req *q, api_reply *r, cJSON **parts, cJSON **settings, cJSON **warnings) {
    *parts = NULL;
    *settings = NULL;
    if (warnings) *warnings = NULL;
    crm_store_status ss = crm_store_settings_parts(api->store, q->user->mailbox_ids[0], parts);
    if (ss != CRM_STORE_OK) { api_reply_store_error(r, api, ss); return false; }
    cJSON *rq = cJSON_CreateObject();
    cJSON_AddStringToObject(rq, "op", "merge_settings");
    add_dup(rq, "org", get(*parts, "org"));
    add_dup(rq, "user", get(*parts, "user"));
    cJSON *resp = core(api, rq, r);
    if (resp == NULL) { cJSON_Delete(*parts); *parts = NULL; return false; }
    if (!cJSON_IsTrue(get(resp, "ok"))) {
        api_reply_core_error(r, 500, get(resp, "error"));
        cJSON_Delete(resp);
        cJSON_Delete(*parts);
        *parts = NULL;
        return false;
    }
    cJSON *res = cJSON_GetObjectItemCaseSensitive(resp, "result");
    cJSON *s = cJSON_DetachItemFromObjectCaseSensitive(res, "settings");
    if (warnings) *warnings = cJSON_DetachItemFromObjectCaseSensitive(res, "warnings");
    cJSON_Delete(resp);
    const cJSON *idn = get(*parts, "identity"), *bl = get(*parts, "blocklist");
    cJSON_ReplaceItemInObjectCaseSensitive(s, "org_id", cJSON_CreateString(api_str(idn, "org_id")));
    cJSON_ReplaceItemInObjectCaseSensitive(s, "user", cJSON_Duplicate(get(idn, "user"), 1));
    cJSON *b = cJSON_CreateObject();
    add_dup(b, "org", get(bl, "org"));
    add_dup(b, "user", get(bl, "user"));
    cJSON_ReplaceItemInObjectCaseSensitive(s, "blocklist", b);
    *settings = s;
    return true;
}

/* ------------------------------------------------------------------ lookup + cache */
static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* "a\nb\n|c\n|owner" with each list sorted: the cache key. */
static char *cache_key(const cJSON *addrs, const cJSON *doms, const char *owner) {
    size_t len = strlen(owner) + 4;
    int na = cJSON_GetArraySize(addrs), nd = cJSON_GetArraySize(doms);
    const char **v = calloc((size_t)(na + nd) + 1, sizeof *v);
    if (v == NULL) return NULL;
    int k = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, addrs) { v[k++] = x->valuestring; len += strlen(x->valuestring) + 1; }
    cJSON_ArrayForEach(x, doms) { v[k++] = x->valuestring; len += strlen(x->valuestring) + 1; }
    qsort(v, (size_t)na, sizeof *v, cmp_str);
    qsort(v + na, (size_t)nd, sizeof *v, cmp_str);
    char *key = malloc(len);
    if (key == NULL) { free(v); return NULL; }
    size_t n = 0;
    for (int i = 0; i < na + nd; i++) {
        if (i == na) key[n++] = '|';
        n += (size_t)sprintf(key + n, "%s\n", v[i]);
    }
    if (na == na + nd) key[n++] = '|';
    sprintf(key + n, "|%s", owner);
    free(v);
    return key;
}

/* The core's records for normalised addresses and domains, from the per-org cache when
 * fresh (60 s), else from Salesforce. *records: new object (caller deletes). */
static crm_sf_status lookup(crm_api *api, api_req *q, const cJSON *addrs, const cJSON *doms, cJSON **records) {
    *records = NULL;
    if (cJSON_GetArraySize(addrs) == 0 && cJSON_GetArraySize(doms) == 0) {
        *records = cJSON_Parse("{\"contacts\":[],\"leads\":[],\"accounts\":[],\"opportunities\":[]}");
        return *records ? CRM_SF_OK : CRM_SF_E_NOMEM;
    }
    const char *owner = q->user->sf_user_id;
    char *key = cache_key(addrs, doms, owner);
    if (key == NULL) return CRM_SF_E_NOMEM;
    api_cache_slot *oldest = &api->cache[0];
    for (size_t i = 0; i < API_CACHE_SLOTS; i++) {
        api_cache_slot *c = &api->cache[i];
        if (c->key && strcmp(c->key, key) == 0 && q->now - c->at < API_CACHE_SECONDS && q->now >= c->at) {
            free(key);
            *records = cJSON_Duplicate(c->records, 1);
            return *records ? CRM_SF_OK : CRM_SF_E_NOMEM;
        }
        if (c->key == NULL || c->at < oldest->at) oldest = c;
    }
    crm_sf *sf = NULL;
    crm_sf_status st = api_sf(api, &sf);
    if (st != CRM_SF_OK) { free(key); return st; }
    int na = cJSON_GetArraySize(addrs), nd = cJSON_GetArraySize(doms);
    const char **av = calloc((size_t)na + 1, sizeof *av), **dv = calloc((size_t)nd + 1, sizeof *dv);
    if (!av || !dv) { free(av); free(dv); free(key); return CRM_SF_E_NOMEM; }
    int k = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, addrs) av[k++] = x->valuestring;
    k = 0;
    cJSON_ArrayForEach(x, doms) dv[k++] = x->valuestring;
    st = crm_sf_lookup(sf, av, (size_t)na, dv, (size_t)nd, *owner ? owner : NULL, records);
    free(av);
    free(dv);
    if (st != CRM_SF_OK) { free(key); return st; }
    free(oldest->key);
    cJSON_Delete(oldest->records);
    oldest->key = key;
    oldest->records = cJSON_Duplicate(*records, 1);
    oldest->at = q->now;
    if (oldest->records == NULL) { free(oldest->key); oldest->key = NULL; }
    return CRM_SF_OK;
}

static bool add_unique(cJSON *arr, const char *s) {
    if (!*s) return true;
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) if (strcmp(v->valuestring, s) == 0) return true;
    return cJSON_AddItemToArray(arr, cJSON_CreateString(s));
}

void api_h_lookup(crm_api *api, api_req *q, api_reply *r) {
    const cJSON *in = get(q->json, "addresses");
    if (!cJSON_IsArray(in)) { api_reply_error(r, 400, "E_MISSING", "addresses", "addresses (an array of strings) is required"); return; }
    if (cJSON_GetArraySize(in) > API_MAX_ADDRESSES) {
        api_reply_error(r, 400, "E_RANGE", "addresses", "at most %d addresses a request", API_MAX_ADDRESSES);
        return;
    }
    cJSON *addrs = cJSON_CreateArray(), *doms = cJSON_CreateArray(), *invalid = cJSON_CreateArray();
    const cJSON *a;
    int i = 0;
    cJSON_ArrayForEach(a, in) {
        if (!cJSON_IsString(a)) {
            char path[40];
            snprintf(path, sizeof path, "addresses[%d]", i);
            api_reply_error(r, 400, "E_TYPE", path, "addresses must be strings");
            cJSON_Delete(addrs); cJSON_Delete(doms); cJSON_Delete(invalid);
            return;
        }
        cJSON *rq = cJSON_CreateObject();
        cJSON_AddStringToObject(rq, "op", "normalize_address");
        cJSON_AddStringToObject(rq, "input", a->valuestring);
        cJSON *resp = core(api, rq, r);
        if (resp == NULL) { cJSON_Delete(addrs); cJSON_Delete(doms); cJSON_Delete(invalid); return; }
        const cJSON *res = get(resp, "result");
        if (cJSON_IsTrue(get(resp, "ok"))) {
            add_unique(addrs, api_str(res, "address"));
            if (!cJSON_IsTrue(get(res, "freemail"))) add_unique(doms, api_str(res, "registered_domain"));
        } else {
            cJSON_AddItemToArray(invalid, cJSON_CreateString(a->valuestring));
        }
        cJSON_Delete(resp);
        i++;
    }
    cJSON *records = NULL;
    crm_sf_status st = lookup(api, q, addrs, doms, &records);
    cJSON_Delete(addrs);
    cJSON_Delete(doms);
    if (st != CRM_SF_OK) { cJSON_Delete(invalid); api_reply_sf_error(r, api, st); return; }
    cJSON *o = ok_object();
    cJSON_AddItemToObject(o, "records", records);
    cJSON_AddItemToObject(o, "invalid", invalid);
    api_reply_json(r, 200, o);
}

/* ------------------------------------------------------------------ /me */
void api_h_me(crm_api *api, api_req *q, api_reply *r) {
    cJSON *parts, *settings, *warnings;
    if (!effective(api, q, r, &parts, &settings, &warnings)) return;
    cJSON *o = ok_object();
    cJSON *u = cJSON_AddObjectToObject(o, "user");
    cJSON_AddStringToObject(u, "email", q->user->email);
    cJSON_AddStringToObject(u, "sf_user_id", q->user->sf_user_id);
    cJSON_AddStringToObject(u, "mailbox", q->user->mailbox_names[0]);
    cJSON_AddItemToObject(o, "settings", settings);
    add_dup(o, "locks", get(get(parts, "org"), "locks"));
    cJSON_AddItemToObject(o, "warnings", warnings ? warnings : cJSON_CreateArray());
    add_dup(o, "blocklist", get(parts, "blocklist"));
    cJSON *sf = cJSON_AddObjectToObject(o, "salesforce");
    /* the org's instance (links to records) once connected; the configured one before */
    const char *iu = api->sf ? crm_sf_instance_url(api->sf) : "";
    cJSON_AddStringToObject(sf, "instance_url", iu[0] ? iu : api->instance_url);
    cJSON_AddBoolToObject(o, "admin", q->admin);
    cJSON_Delete(parts);
    api_reply_json(r, 200, o);
}

/* ------------------------------------------------------------------ save */
static const char *const *str_vec(const cJSON *arr, size_t *n) {
    *n = 0;
    int k = cJSON_GetArraySize(arr);
    const char **v = calloc((size_t)k + 1, sizeof *v);
    if (v == NULL) return NULL;
    const cJSON *x;
    cJSON_ArrayForEach(x, arr) if (cJSON_IsString(x) && *x->valuestring) v[(*n)++] = x->valuestring;
    return v;
}

/* The ledger context for one item: its key, its replies/references, its conversation. */
static crm_store_status item_context(crm_api *api, api_req *q, const char *key, const cJSON *item, cJSON **ctx) {
    char now[32];
    api_rfc3339(q->now, now, sizeof now);
    cJSON *mids = cJSON_CreateArray();
    add_unique(mids, api_str(item, "in_reply_to"));
    const cJSON *x;
    cJSON_ArrayForEach(x, get(item, "references")) if (cJSON_IsString(x)) add_unique(mids, x->valuestring);
    size_t nm = 0;
    const char *const *mv = str_vec(mids, &nm);
    const char *conv = api_str(item, "conversation_id");
    const char *keys[1] = {key};
    const char *convs[1] = {conv};
    crm_store_status ss = mv ? crm_store_context(api->store, q->user->mailbox_ids[0], now, keys, *key ? 1 : 0, mv, nm, convs,
                                                 *conv ? 1 : 0, ctx)
                             : CRM_STORE_E_NOMEM;
    free((void *)(uintptr_t)mv);
    cJSON_Delete(mids);
    return ss;
}

static const cJSON *saved_entry(const cJSON *ctx, const char *key) {
    const cJSON *e;
    cJSON_ArrayForEach(e, get(ctx, "saved")) if (strcmp(api_str(e, "key"), key) == 0) return e;
    return NULL;
}

void api_h_save(crm_api *api, api_req *q, api_reply *r) {
    const cJSON *item = get(q->json, "item"), *sel = get(q->json, "selection");
    if (!cJSON_IsObject(item)) { api_reply_error(r, 400, "E_MISSING", "item", "item (the core's email item) is required"); return; }
    if (!cJSON_IsObject(sel)) { api_reply_error(r, 400, "E_MISSING", "selection", "selection {who, what, thread, attachments} is required"); return; }
    if (strcmp(api_str(item, "type"), "email") != 0) { api_reply_error(r, 400, "E_TYPE", "item.type", "only emails can be saved here"); return; }
    cJSON *parts = NULL, *settings = NULL, *ctx = NULL, *records = NULL, *resp = NULL, *items = NULL, *addrs = NULL, *doms = NULL;
    char key[300] = "";
    if (!effective(api, q, r, &parts, &settings, NULL)) return;
    /* 1. the key */
    cJSON *rq = cJSON_CreateObject();
    cJSON_AddStringToObject(rq, "op", "item_key");
    add_dup(rq, "settings", settings);
    add_dup(rq, "item", item);
    cJSON *kr = core(api, rq, r);
    if (kr == NULL) goto out;
    if (!cJSON_IsTrue(get(kr, "ok"))) { api_reply_core_error(r, 422, get(kr, "error")); cJSON_Delete(kr); goto out; }
    snprintf(key, sizeof key, "%s", api_str(get(kr, "result"), "key"));
    cJSON_Delete(kr);
    /* 2. records for its addresses (Salesforce, cached) */
    items = cJSON_CreateArray();
    cJSON_AddItemToArray(items, cJSON_Duplicate(item, 1));
    if (!crm_engine_addresses(api->engine, settings, items, true, &addrs, &doms)) { api_reply_error(r, 500, "E_NOMEM", NULL, "out of memory"); goto out; }
    cJSON *all = NULL;
    crm_sf_status st = lookup(api, q, addrs, doms, &all);
    if (st != CRM_SF_OK) { api_reply_sf_error(r, api, st); goto out; }
    records = crm_engine_records_for(api->engine, all, item);
    cJSON_Delete(all);
    /* 3. the ledger context */
    crm_store_status ss = item_context(api, q, key, item, &ctx);
    if (ss != CRM_STORE_OK) { api_reply_store_error(r, api, ss); goto out; }
    /* 4. the decision, by the native core */
    rq = cJSON_CreateObject();
    cJSON_AddStringToObject(rq, "op", "plan_save");
    add_dup(rq, "settings", settings);
    add_dup(rq, "records", records);
    add_dup(rq, "item", item);
    add_dup(rq, "context", ctx);
    add_dup(rq, "selection", sel);
    resp = core(api, rq, r);
    if (resp == NULL) goto out;
    if (!cJSON_IsTrue(get(resp, "ok"))) { api_reply_core_error(r, 422, get(resp, "error")); goto out; }
    const cJSON *d = get(resp, "result");
    const char *action = api_str(d, "action"), *reason = api_str(d, "reason");
    if (*api_str(d, "key")) snprintf(key, sizeof key, "%s", api_str(d, "key"));
    if (strcmp(action, "error") == 0) {
        api_reply_error(r, 422, *reason ? reason : "E_INTERNAL", "item", "this email cannot be saved (%s)", reason);
        goto out;
    }
    if (strcmp(action, "skip") == 0) {
        cJSON *o = ok_object();
        if (strcmp(reason, "already_saved") == 0) {
            const cJSON *e = saved_entry(ctx, key);
            if (e == NULL) e = cJSON_GetArrayItem(get(ctx, "saved"), 0);
            cJSON_AddStringToObject(o, "status", "already_saved");
            cJSON_AddStringToObject(o, "key", key);
            add_dup(o, "record_ids", get(e, "record_ids") ? get(e, "record_ids") : NULL);
            if (cJSON_IsNull(get(o, "record_ids"))) cJSON_ReplaceItemInObjectCaseSensitive(o, "record_ids", cJSON_CreateArray());
        } else {
            /* decision (docs/api.md): other skips (excluded, subject_too_long...) are not errors */
            cJSON_AddStringToObject(o, "status", "skipped");
            cJSON_AddStringToObject(o, "reason", reason);
            cJSON_AddStringToObject(o, "key", key);
            add_dup(o, "decision", d);
        }
        api_reply_json(r, 200, o);
        goto out;
    }
    if (strcmp(action, "save") != 0) { api_reply_error(r, 500, "E_INTERNAL", NULL, "unexpected decision action '%s'", action); goto out; }
    /* 5. write (upsert by CrmSync_Key__c: a later sync session finds it in the ledger, and a
     *    retry never duplicates), then the ledger, then the thread flag */
    crm_sf *sf = NULL;
    st = api_sf(api, &sf);
    if (st != CRM_SF_OK) { api_reply_sf_error(r, api, st); goto out; }
    crm_write_result wr;
    cJSON *dv[1] = {resp};
    st = crm_engine_write(api->engine, sf, dv, 1, &wr);
    api_cache_clear(api); /* the save may have created Leads, Contacts or Accounts */
    if (st != CRM_SF_OK) { crm_write_results_free(&wr, 1); api_reply_sf_error(r, api, st); goto out; }
    if (!wr.ok) {
        api_reply_error(r, 502, "E_SALESFORCE", NULL, "Salesforce refused the write: %s", wr.error);
        crm_write_results_free(&wr, 1);
        goto out;
    }
    char *ids = wr.record_ids ? cJSON_PrintUnformatted(wr.record_ids) : strdup("[]");
    crm_store_ledger_entry le = {key, api_str(item, "message_id"), api_str(item, "date"), ids};
    size_t inserted = 0;
    ss = ids ? crm_store_commit_batch(api->store, q->user->mailbox_ids[0], NULL, &le, 1, CRM_STORE_DUP_KEEP, NULL, NULL, q->now, &inserted)
             : CRM_STORE_E_NOMEM;
    free(ids);
    if (ss == CRM_STORE_OK && cJSON_IsObject(get(d, "thread"))) {
        const cJSON *t = get(d, "thread");
        char now[32];
        api_rfc3339(q->now, now, sizeof now);
        char *who = cJSON_PrintUnformatted(cJSON_IsArray(get(t, "who")) ? get(t, "who") : NULL);
        const char *what = api_str(t, "what");
        if (*api_str(t, "conversation_id"))
            ss = crm_store_thread_flag(api->store, q->user->mailbox_ids[0], api_str(t, "conversation_id"), now, who, *what ? what : NULL);
        cJSON_free(who);
    }
    if (ss != CRM_STORE_OK) { crm_write_results_free(&wr, 1); api_reply_store_error(r, api, ss); goto out; }
    cJSON *o = ok_object();
    cJSON_AddStringToObject(o, "status", "saved");
    cJSON_AddStringToObject(o, "key", key);
    cJSON_AddItemToObject(o, "record_ids", wr.record_ids ? cJSON_Duplicate(wr.record_ids, 1) : cJSON_CreateArray());
    add_dup(o, "decision", d);
    crm_write_results_free(&wr, 1);
    api_reply_json(r, 200, o);
out:
    cJSON_Delete(parts);
    cJSON_Delete(settings);
    cJSON_Delete(ctx);
    cJSON_Delete(records);
    cJSON_Delete(resp);
    cJSON_Delete(items);
    cJSON_Delete(addrs);
    cJSON_Delete(doms);
}

/* ------------------------------------------------------------------ do not sync */
static bool has(const cJSON *arr, const char *s) {
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) if (cJSON_IsString(v) && strcasecmp(v->valuestring, s) == 0) return true;
    return false;
}

void api_h_dns_add(crm_api *api, api_req *q, api_reply *r) {
    const cJSON *addr = get(q->json, "address"), *scope = get(q->json, "scope");
    if (!cJSON_IsString(addr)) { api_reply_error(r, 400, "E_MISSING", "address", "address (a string) is required"); return; }
    if (scope && !cJSON_IsString(scope)) { api_reply_error(r, 400, "E_TYPE", "scope", "scope is \"address\" or \"domain\""); return; }
    cJSON *parts, *settings;
    if (!effective(api, q, r, &parts, &settings, NULL)) return;
    cJSON *rq = cJSON_CreateObject();
    cJSON_AddStringToObject(rq, "op", "do_not_sync");
    cJSON_AddItemToObject(rq, "settings", settings);
    cJSON_AddStringToObject(rq, "address", addr->valuestring);
    cJSON_AddStringToObject(rq, "scope", scope ? scope->valuestring : "address");
    cJSON *resp = core(api, rq, r);
    if (resp == NULL) { cJSON_Delete(parts); return; }
    if (!cJSON_IsTrue(get(resp, "ok"))) {
        api_reply_core_error(r, 422, get(resp, "error"));
        cJSON_Delete(resp);
        cJSON_Delete(parts);
        return;
    }
    const cJSON *res = get(resp, "result");
    const char *status = api_str(res, "status");
    char entry[1024] = "";
    const cJSON *v;
    cJSON_ArrayForEach(v, get(res, "user")) if (cJSON_IsString(v) && !has(get(res, "previous"), v->valuestring)) {
        snprintf(entry, sizeof entry, "%s", v->valuestring);
        break;
    }
    if (!*entry) {
        /* already blocked: the entry the request names, canonical */
        cJSON *nq = cJSON_CreateObject();
        cJSON_AddStringToObject(nq, "op", "normalize_address");
        cJSON_AddStringToObject(nq, "input", addr->valuestring);
        cJSON *nr = core(api, nq, r);
        if (nr == NULL) { cJSON_Delete(resp); cJSON_Delete(parts); return; }
        const cJSON *nres = get(nr, "result");
        snprintf(entry, sizeof entry, "%s", scope && strcmp(scope->valuestring, "domain") == 0 ? api_str(nres, "domain") : api_str(nres, "address"));
        cJSON_Delete(nr);
    }
    if (strcmp(status, "added") == 0) {
        crm_store_status ss = crm_store_blocklist_add(api->store, q->user->org_id, q->user->user_id, entry, false);
        if (ss != CRM_STORE_OK) { api_reply_store_error(r, api, ss); cJSON_Delete(resp); cJSON_Delete(parts); return; }
    }
    cJSON_Delete(parts);
    parts = NULL;
    crm_store_status ss = crm_store_settings_parts(api->store, q->user->mailbox_ids[0], &parts);
    if (ss != CRM_STORE_OK) { api_reply_store_error(r, api, ss); cJSON_Delete(resp); return; }
    cJSON *o = ok_object();
    cJSON_AddStringToObject(o, "status", status);
    cJSON_AddStringToObject(o, "entry", entry);
    add_dup(o, "user", get(get(parts, "blocklist"), "user"));
    add_dup(o, "previous", get(res, "previous"));
    cJSON_Delete(parts);
    cJSON_Delete(resp);
    api_reply_json(r, 200, o);
}

void api_h_dns_remove(crm_api *api, api_req *q, api_reply *r) {
    const cJSON *entry = get(q->json, "entry");
    if (!cJSON_IsString(entry) || !*entry->valuestring) { api_reply_error(r, 400, "E_MISSING", "entry", "entry (a string) is required"); return; }
    cJSON *parts = NULL;
    crm_store_status ss = crm_store_settings_parts(api->store, q->user->mailbox_ids[0], &parts);
    if (ss != CRM_STORE_OK) { api_reply_store_error(r, api, ss); return; }
    const cJSON *bl = get(parts, "blocklist");
    const char *e = entry->valuestring;
    if (has(get(bl, "user"), e)) {
        const cJSON *v;
        cJSON_ArrayForEach(v, get(bl, "user")) if (strcasecmp(v->valuestring, e) == 0) { e = v->valuestring; break; }
        ss = crm_store_blocklist_remove(api->store, q->user->org_id, q->user->user_id, e, false);
    } else if (has(get(bl, "org"), e)) {
        bool locked = has(get(bl, "org_locked"), e);
        if (!q->admin) {
            if (locked) api_reply_error(r, 403, "E_LOCKED", "entry", "'%s' is locked on the organisation's blocklist: only an admin can remove it", e);
            else api_reply_error(r, 403, "E_NOT_ALLOWED", "entry", "'%s' is on the organisation's blocklist: only an admin can remove it", e);
            cJSON_Delete(parts);
            return;
        }
        const cJSON *v;
        cJSON_ArrayForEach(v, get(bl, "org")) if (strcasecmp(v->valuestring, e) == 0) { e = v->valuestring; break; }
        ss = crm_store_blocklist_remove(api->store, q->user->org_id, 0, e, true);
    } else {
        api_reply_error(r, 404, "E_NOT_FOUND", "entry", "'%s' is not on your blocklist", e);
        cJSON_Delete(parts);
        return;
    }
    cJSON_Delete(parts);
    parts = NULL;
    if (ss == CRM_STORE_E_LOCKED) { api_reply_error(r, 403, "E_LOCKED", "entry", "%s", crm_store_errmsg(api->store)); return; }
    if (ss == CRM_STORE_OK) ss = crm_store_settings_parts(api->store, q->user->mailbox_ids[0], &parts);
    if (ss != CRM_STORE_OK) { api_reply_store_error(r, api, ss); return; }
    cJSON *o = ok_object();
    add_dup(o, "user", get(get(parts, "blocklist"), "user"));
    add_dup(o, "org", get(get(parts, "blocklist"), "org"));
    cJSON_Delete(parts);
    api_reply_json(r, 200, o);
}

/* ------------------------------------------------------------------ records */
/* Length in UTF-16 code units (F2). */
static size_t utf16_len(const char *s) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xC0) == 0x80) continue;
        n += *p >= 0xF0 ? 2 : 1;
    }
    return n;
}

static long limit_of(const cJSON *settings, const char *field, long dflt) {
    const cJSON *v = get(get(settings, "field_limits"), field);
    return cJSON_IsNumber(v) && v->valuedouble > 0 ? (long)v->valuedouble : dflt;
}

/* A text field of the request: optional or required, within its limit. */
static bool text_field(api_reply *r, const cJSON *obj, const char *key, const char *path, bool required, long max, const char **out) {
    const cJSON *v = get(obj, key);
    *out = "";
    if (v == NULL || cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring)) {
        if (required) { api_reply_error(r, 400, "E_MISSING", path, "%s is required", path); return false; }
        return true;
    }
    if (!cJSON_IsString(v)) { api_reply_error(r, 400, "E_TYPE", path, "%s must be a string", path); return false; }
    if ((long)utf16_len(v->valuestring) > max) { api_reply_error(r, 422, "E_TOO_LONG", path, "%s is longer than %ld characters", path, max); return false; }
    *out = v->valuestring;
    return true;
}

static bool looks_like_id(const char *s) {
    size_t n = strlen(s);
    if (n != 15 && n != 18) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) return false;
    return true;
}

/* Creates one record; its id into id[] or the reply filled. */
static bool create_one(crm_api *api, api_reply *r, crm_sf *sf, cJSON *rec, char *id, size_t cap) {
    cJSON *arr = cJSON_CreateArray();
    cJSON_AddItemToArray(arr, rec);
    cJSON *res = NULL;
    crm_sf_status st = crm_sf_create(sf, arr, &res);
    const char *type = api_str(get(rec, "attributes"), "type");
    bool ok = false;
    if (st != CRM_SF_OK) api_reply_sf_error(r, api, st);
    else {
        const cJSON *x = cJSON_GetArrayItem(res, 0);
        if (cJSON_IsTrue(get(x, "success")) && *api_str(x, "id")) {
            snprintf(id, cap, "%s", api_str(x, "id"));
            ok = true;
        } else {
            const cJSON *er = cJSON_GetArrayItem(get(x, "errors"), 0);
            api_reply_error(r, 422, "E_SALESFORCE", NULL, "Salesforce refused the %s: %s: %.300s", type, api_str(er, "statusCode"), api_str(er, "message"));
        }
    }
    cJSON_Delete(res);
    cJSON_Delete(arr);
    return ok;
}

void api_h_records(crm_api *api, api_req *q, api_reply *r) {
    const char *kind = api_str(q->json, "kind");
    bool lead = strcmp(kind, "lead") == 0;
    if (!lead && strcmp(kind, "contact") != 0) { api_reply_error(r, 400, "E_RANGE", "kind", "kind is \"lead\" or \"contact\""); return; }
    cJSON *parts, *settings;
    if (!effective(api, q, r, &parts, &settings, NULL)) return;
    const char *obj = lead ? "Lead" : "Contact";
    char f1[64], f2[64], f3[64];
    snprintf(f1, sizeof f1, "%s.FirstName", obj);
    snprintf(f2, sizeof f2, "%s.LastName", obj);
    snprintf(f3, sizeof f3, "%s.Email", obj);
    const char *first, *last, *email, *company, *account_id, *acc_name = "", *acc_web = "";
    const cJSON *na = get(q->json, "new_account");
    bool ok = text_field(r, q->json, "first_name", "first_name", false, limit_of(settings, f1, 40), &first) &&
              text_field(r, q->json, "last_name", "last_name", true, limit_of(settings, f2, 80), &last) &&
              text_field(r, q->json, "email", "email", true, limit_of(settings, f3, 80), &email) &&
              text_field(r, q->json, "company", "company", false, limit_of(settings, "Lead.Company", 255), &company) &&
              text_field(r, q->json, "account_id", "account_id", false, 18, &account_id);
    if (ok && na && !cJSON_IsNull(na)) {
        if (lead) { api_reply_error(r, 400, "E_NOT_ALLOWED", "new_account", "a Lead has no Account: new_account is for contacts"); ok = false; }
        else if (!cJSON_IsObject(na)) { api_reply_error(r, 400, "E_TYPE", "new_account", "new_account is {name, website}"); ok = false; }
        else ok = text_field(r, na, "name", "new_account.name", true, limit_of(settings, "Account.Name", 255), &acc_name) &&
                  text_field(r, na, "website", "new_account.website", false, limit_of(settings, "Account.Website", 255), &acc_web);
        if (ok && *account_id) { api_reply_error(r, 400, "E_NOT_ALLOWED", "new_account", "give account_id or new_account, not both"); ok = false; }
    }
    if (ok && *account_id && (lead || !looks_like_id(account_id))) {
        api_reply_error(r, 400, lead ? "E_NOT_ALLOWED" : "E_TYPE", "account_id", lead ? "a Lead has no Account" : "account_id is not a Salesforce id");
        ok = false;
    }
    cJSON_Delete(parts);
    cJSON_Delete(settings);
    if (!ok) return;
    /* the address, as the core reads it */
    cJSON *rq = cJSON_CreateObject();
    cJSON_AddStringToObject(rq, "op", "normalize_address");
    cJSON_AddStringToObject(rq, "input", email);
    cJSON *nr = core(api, rq, r);
    if (nr == NULL) return;
    if (!cJSON_IsTrue(get(nr, "ok"))) {
        const cJSON *er = get(nr, "error");
        api_reply_error(r, 422, *api_str(er, "code") ? api_str(er, "code") : "E_BAD_ADDRESS", "email", "%s", api_str(er, "message"));
        cJSON_Delete(nr);
        return;
    }
    char addr[400];
    snprintf(addr, sizeof addr, "%s", api_str(get(nr, "result"), "address"));
    cJSON_Delete(nr);
    crm_sf *sf = NULL;
    crm_sf_status st = api_sf(api, &sf);
    if (st != CRM_SF_OK) { api_reply_sf_error(r, api, st); return; }
    const char *owner = q->user->sf_user_id;
    char acc[64] = "", id[64] = "";
    if (*acc_name) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(cJSON_AddObjectToObject(a, "attributes"), "type", "Account");
        cJSON_AddStringToObject(a, "Name", acc_name);
        if (*acc_web) cJSON_AddStringToObject(a, "Website", acc_web);
        if (*owner) cJSON_AddStringToObject(a, "OwnerId", owner);
        if (!create_one(api, r, sf, a, acc, sizeof acc)) return;
    } else if (*account_id) {
        snprintf(acc, sizeof acc, "%s", account_id);
    }
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "attributes"), "type", obj);
    if (*first) cJSON_AddStringToObject(p, "FirstName", first);
    cJSON_AddStringToObject(p, "LastName", last);
    cJSON_AddStringToObject(p, "Email", addr);
    /* Salesforce requires a Lead's Company: "[not provided]" as Web-to-Lead does */
    if (lead) cJSON_AddStringToObject(p, "Company", *company ? company : "[not provided]");
    if (!lead && *acc) cJSON_AddStringToObject(p, "AccountId", acc);
    if (*owner) cJSON_AddStringToObject(p, "OwnerId", owner);
    bool created = create_one(api, r, sf, p, id, sizeof id);
    api_cache_clear(api); /* the next lookup sees the new records */
    if (!created) {
        if (*acc_name && r->body) { /* say which Account was created before the failure */
            cJSON *e = cJSON_Parse(r->body);
            if (e) { cJSON_AddStringToObject(e, "account_id", acc); api_reply_json(r, r->status, e); }
        }
        return;
    }
    cJSON *o = ok_object();
    cJSON_AddStringToObject(o, "id", id);
    if (*acc) cJSON_AddStringToObject(o, "account_id", acc);
    api_reply_json(r, 201, o);
}

/* ------------------------------------------------------------------ status, threads, issues */
void api_h_status(crm_api *api, api_req *q, api_reply *r) {
    const char *key = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "key");
    if (key == NULL || !*key) { api_reply_error(r, 400, "E_MISSING", "key", "?key=<item key> is required"); return; }
    char now[32];
    api_rfc3339(q->now, now, sizeof now);
    const char *keys[1] = {key};
    cJSON *ctx = NULL;
    crm_store_status ss = crm_store_context(api->store, q->user->mailbox_ids[0], now, keys, 1, NULL, 0, NULL, 0, &ctx);
    if (ss != CRM_STORE_OK) { api_reply_store_error(r, api, ss); return; }
    const cJSON *e = saved_entry(ctx, key);
    cJSON *o = ok_object();
    cJSON_AddBoolToObject(o, "saved", e != NULL);
    cJSON_AddItemToObject(o, "record_ids", e && get(e, "record_ids") ? cJSON_Duplicate(get(e, "record_ids"), 1) : cJSON_CreateArray());
    cJSON_Delete(ctx);
    api_reply_json(r, 200, o);
}

void api_h_threads(crm_api *api, api_req *q, api_reply *r) {
    const cJSON *conv = get(q->json, "conversation_id"), *who = get(q->json, "who"), *what = get(q->json, "what");
    if (!cJSON_IsString(conv) || !*conv->valuestring) { api_reply_error(r, 400, "E_MISSING", "conversation_id", "conversation_id is required"); return; }
    if (who && !cJSON_IsArray(who)) { api_reply_error(r, 400, "E_TYPE", "who", "who is an array of record ids"); return; }
    const cJSON *x;
    int i = 0;
    cJSON_ArrayForEach(x, who) {
        if (!cJSON_IsString(x) || !looks_like_id(x->valuestring)) {
            char path[32];
            snprintf(path, sizeof path, "who[%d]", i);
            api_reply_error(r, 400, "E_TYPE", path, "who holds Salesforce record ids");
            return;
        }
        i++;
    }
    if (what && !cJSON_IsNull(what) && (!cJSON_IsString(what) || (*what->valuestring && !looks_like_id(what->valuestring)))) {
        api_reply_error(r, 400, "E_TYPE", "what", "what is a Salesforce record id or \"\"");
        return;
    }
    char now[32];
    api_rfc3339(q->now, now, sizeof now);
    char *wj = who ? cJSON_PrintUnformatted(who) : NULL;
    const char *wt = cJSON_IsString(what) && *what->valuestring ? what->valuestring : NULL;
    crm_store_status ss = crm_store_thread_flag(api->store, q->user->mailbox_ids[0], conv->valuestring, now, wj, wt);
    cJSON_free(wj);
    if (ss != CRM_STORE_OK) { api_reply_store_error(r, api, ss); return; }
    api_reply_json(r, 200, ok_object());
}

static int cmp_issue(const void *a, const void *b) {
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    double ax = cJSON_GetNumberValue(get(x, "at")), ay = cJSON_GetNumberValue(get(y, "at"));
    if (ax != ay) return ax < ay ? 1 : -1;
    double ix = cJSON_GetNumberValue(get(x, "id")), iy = cJSON_GetNumberValue(get(y, "id"));
    return ix < iy ? 1 : ix > iy ? -1 : 0;
}

void api_h_issues(crm_api *api, api_req *q, api_reply *r) {
    const char *ls = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "limit");
    long limit = 50;
    if (ls) {
        char *end = NULL;
        limit = strtol(ls, &end, 10);
        if (!*ls || *end || limit < 1 || limit > 1000) { api_reply_error(r, 400, "E_RANGE", "limit", "limit is 1..1000"); return; }
    }
    cJSON *all = cJSON_CreateArray();
    for (size_t m = 0; m < q->user->n_mailboxes; m++) {
        cJSON *list = NULL;
        crm_store_status ss = crm_store_issues_list(api->store, q->user->mailbox_ids[m], (size_t)limit, &list);
        if (ss != CRM_STORE_OK) { cJSON_Delete(all); api_reply_store_error(r, api, ss); return; }
        cJSON *it;
        while ((it = cJSON_DetachItemFromArray(list, 0)) != NULL) cJSON_AddItemToArray(all, it);
        cJSON_Delete(list);
    }
    int n = cJSON_GetArraySize(all);
    cJSON **v = calloc((size_t)n + 1, sizeof *v);
    if (v == NULL) { cJSON_Delete(all); api_reply_error(r, 500, "E_NOMEM", NULL, "out of memory"); return; }
    for (int i = 0; i < n; i++) v[i] = cJSON_DetachItemFromArray(all, 0);
    qsort(v, (size_t)n, sizeof *v, cmp_issue);
    for (int i = 0; i < n; i++) {
        if (i < limit) cJSON_AddItemToArray(all, v[i]);
        else cJSON_Delete(v[i]);
    }
    free(v);
    cJSON *o = ok_object();
    cJSON_AddItemToObject(o, "issues", all);
    api_reply_json(r, 200, o);
}

/* ------------------------------------------------------------------ settings */
/* dst <- src: objects key by key, null removes the key, other values replace. */
static void merge_partial(cJSON *dst, const cJSON *src) {
    const cJSON *v;
    cJSON_ArrayForEach(v, src) {
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(dst, v->string);
        if (cJSON_IsNull(v)) { cJSON_DeleteItemFromObjectCaseSensitive(dst, v->string); continue; }
        if (cJSON_IsObject(v) && cJSON_IsObject(cur)) { merge_partial(cur, v); continue; }
        if (cur) cJSON_ReplaceItemViaPointer(dst, cur, cJSON_Duplicate(v, 1));
        else cJSON_AddItemToObject(dst, v->string, cJSON_Duplicate(v, 1));
    }
}

static void strip_nulls(cJSON *o) {
    cJSON *v = o ? o->child : NULL;
    while (v) {
        cJSON *next = v->next;
        if (cJSON_IsNull(v)) cJSON_Delete(cJSON_DetachItemViaPointer(o, v));
        else if (cJSON_IsObject(v)) strip_nulls(v);
        v = next;
    }
}

/* validate_settings; false with the reply filled (paths under "settings."). */
static bool validate(crm_api *api, api_reply *r, const cJSON *org, const cJSON *user) {
    cJSON *rq = cJSON_CreateObject();
    cJSON_AddStringToObject(rq, "op", "validate_settings");
    add_dup(rq, "org", org);
    add_dup(rq, "user", user);
    cJSON *resp = core(api, rq, r);
    if (resp == NULL) return false;
    if (cJSON_IsTrue(get(resp, "ok"))) { cJSON_Delete(resp); return true; }
    cJSON *er = cJSON_GetObjectItemCaseSensitive(resp, "error");
    const char *path = api_str(er, "path");
    if (strncmp(path, "user.", 5) == 0 || strcmp(path, "user") == 0) {
        char np[600];
        snprintf(np, sizeof np, "settings%s", path + 4);
        cJSON_ReplaceItemInObjectCaseSensitive(er, "path", cJSON_CreateString(np));
    }
    api_reply_core_error(r, 422, er);
    cJSON_Delete(resp);
    return false;
}

void api_h_settings(crm_api *api, api_req *q, api_reply *r) {
    const cJSON *in = get(q->json, "settings");
    if (!cJSON_IsObject(in)) { api_reply_error(r, 400, "E_MISSING", "settings", "settings (a partial settings object) is required"); return; }
    static const char *const owned[] = {"org_id", "user", "blocklist"};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        if (get(in, owned[i])) {
            char path[40];
            snprintf(path, sizeof path, "settings.%s", owned[i]);
            api_reply_error(r, 422, "E_NOT_ALLOWED", path, "%s is not a user setting (the blocklist changes through /api/v1/do-not-sync)", owned[i]);
            return;
        }
    cJSON *parts = NULL;
    crm_store_status ss = crm_store_settings_parts(api->store, q->user->mailbox_ids[0], &parts);
    if (ss != CRM_STORE_OK) { api_reply_store_error(r, api, ss); return; }
    cJSON *partial = cJSON_Duplicate(in, 1);
    strip_nulls(partial);
    cJSON *merged = cJSON_Duplicate(get(parts, "user"), 1);
    if (!cJSON_IsObject(merged)) { cJSON_Delete(merged); merged = cJSON_CreateObject(); }
    merge_partial(merged, in);
    cJSON *unlocked = cJSON_CreateObject();
    add_dup(unlocked, "defaults", get(get(parts, "org"), "defaults"));
    cJSON_AddItemToObject(unlocked, "locks", cJSON_CreateArray());
    /* the change against the org's locks; the whole user object for types and ranges */
    bool ok = validate(api, r, get(parts, "org"), partial) && validate(api, r, unlocked, merged);
    cJSON_Delete(partial);
    cJSON_Delete(unlocked);
    cJSON_Delete(parts);
    if (!ok) { cJSON_Delete(merged); return; }
    char *text = cJSON_PrintUnformatted(merged);
    cJSON_Delete(merged);
    ss = text ? crm_store_user_settings_set(api->store, q->user->user_id, text) : CRM_STORE_E_NOMEM;
    cJSON_free(text);
    if (ss != CRM_STORE_OK) { api_reply_store_error(r, api, ss); return; }
    cJSON *settings, *warnings;
    if (!effective(api, q, r, &parts, &settings, &warnings)) return;
    cJSON *o = ok_object();
    cJSON_AddItemToObject(o, "settings", settings);
    cJSON_AddItemToObject(o, "warnings", warnings ? warnings : cJSON_CreateArray());
    cJSON_Delete(parts);
    api_reply_json(r, 200, o);
}

/* ------------------------------------------------------------------ dev host */
void api_h_dev_items(crm_api *api, api_req *q, api_reply *r) {
    (void)api;
    const cJSON *m = q->user->mailbox0, *cfg = get(m, "config");
    const char *kind = api_str(m, "kind");
    crm_mbx_config mc;
    memset(&mc, 0, sizeof mc);
    char *pw = NULL;
    if (strcmp(kind, "maildir") == 0) {
        mc.kind = CRM_MBX_MAILDIR;
        mc.path = *api_str(cfg, "path") ? api_str(cfg, "path") : api_str(cfg, "root");
    } else if (strcmp(kind, "imap") == 0) {
        mc.kind = CRM_MBX_IMAP;
        mc.host = api_str(cfg, "host");
        const cJSON *port = get(cfg, "port");
        mc.port = cJSON_IsNumber(port) ? (unsigned)port->valuedouble : 0;
        const char *tls = api_str(cfg, "tls");
        mc.tls = strcmp(tls, "starttls") == 0 ? CRM_MBX_TLS_STARTTLS : strcmp(tls, "none") == 0 ? CRM_MBX_TLS_NONE : CRM_MBX_TLS_IMPLICIT;
        mc.allow_plaintext = cJSON_IsTrue(get(cfg, "allow_plaintext"));
        mc.ca_file = *api_str(cfg, "ca_file") ? api_str(cfg, "ca_file") : NULL;
        mc.user = api_str(cfg, "user");
        const char *pe = api_str(cfg, "password_env");
        if (*pe && getenv(pe)) pw = strdup(getenv(pe));
        mc.password = pw ? pw : api_str(cfg, "password");
    } else {
        api_reply_error(r, 501, "E_NOT_SUPPORTED", NULL, "the dev host lists maildir and imap mailboxes, not '%s'", kind);
        return;
    }
    const char *folders[8];
    size_t nf = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, get(cfg, "folders")) if (cJSON_IsString(x) && nf < 8) folders[nf++] = x->valuestring;
    if (nf) { mc.folders = folders; mc.n_folders = nf; }
    crm_mbx *mb = NULL;
    char *err = NULL;
    crm_mbx_status ms = crm_mbx_open(&mc, &mb, &err);
    free(pw);
    if (ms != CRM_MBX_OK) {
        api_reply_error(r, 502, "E_MAILBOX", NULL, "mailbox %s: %s: %.300s", q->user->mailbox_names[0], crm_mbx_status_str(ms), err ? err : "");
        free(err);
        return;
    }
    free(err);
    crm_mbx_changes *ch = NULL;
    ms = crm_mbx_list_changes(mb, NULL, API_MAX_DEV_ITEMS, &ch);
    if (ms != CRM_MBX_OK) {
        api_reply_error(r, 502, "E_MAILBOX", NULL, "listing %s: %.300s", q->user->mailbox_names[0], crm_mbx_errmsg(mb));
        crm_mbx_close(mb);
        return;
    }
    cJSON *items = cJSON_CreateArray();
    for (size_t i = 0; i < ch->n && cJSON_GetArraySize(items) < API_MAX_DEV_ITEMS; i++) {
        crm_mbx_item *it = NULL;
        if (crm_mbx_fetch(mb, ch->items[i].id, false, &it) != CRM_MBX_OK) continue; /* moved meanwhile: skip */
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", ch->items[i].id);
        cJSON_AddStringToObject(e, "folder", ch->items[i].folder);
        cJSON_AddItemToObject(e, "item", it->item);
        it->item = NULL;
        crm_mbx_item_free(it);
        cJSON_AddItemToArray(items, e);
    }
    crm_mbx_changes_free(ch);
    crm_mbx_close(mb);
    cJSON *o = ok_object();
    cJSON_AddItemToObject(o, "items", items);
    api_reply_json(r, 200, o);
}
