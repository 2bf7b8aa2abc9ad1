/* crm_engine.c: see crm_engine.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "crm/crm.h"
#include "engine/crm_engine.h"

/* A multi-map from strings (lower-cased emails, ids, domains) to records, so that
 * picking an item's records costs O(its participants), not O(all records). */
enum { IX_CONTACT, IX_LEAD, IX_ACCOUNT_ID, IX_ACCOUNT_DOMAIN, IX_OPP_ACCOUNT };
typedef struct ix_ent { char *key; int kind; const cJSON *rec; } ix_ent;

struct crm_engine {
    crm_ctx *ctx;
    ix_ent *ix;
    size_t ix_cap, ix_n;
    const cJSON *ix_of;   /* the records object indexed */
    int ix_count;         /* its number of records when indexed */
};

crm_engine *crm_engine_new(void) {
    crm_engine *e = calloc(1, sizeof *e);
    if (e == NULL) return NULL;
    if ((e->ctx = crm_ctx_new(NULL)) == NULL) { free(e); return NULL; }
    return e;
}

static void ix_clear(crm_engine *e) {
    for (size_t i = 0; i < e->ix_cap; i++) free(e->ix[i].key);
    free(e->ix);
    e->ix = NULL;
    e->ix_cap = e->ix_n = 0;
    e->ix_of = NULL;
}

void crm_engine_free(crm_engine *e) {
    if (e == NULL) return;
    ix_clear(e);
    crm_ctx_free(e->ctx);
    free(e);
}

cJSON *crm_engine_eval(crm_engine *e, const cJSON *request) {
    char *text = cJSON_PrintUnformatted(request);
    if (text == NULL) return NULL;
    size_t n = 0;
    char *resp = crm_ctx_eval(e->ctx, text, strlen(text), &n);
    cJSON_free(text);
    if (resp == NULL) return NULL;
    cJSON *j = cJSON_ParseWithLength(resp, n);
    crm_ctx_release(e->ctx, resp);
    return j;
}

static const char *str_of(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static bool in_list(const cJSON *arr, const char *s) {
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) if (cJSON_IsString(v) && strcmp(v->valuestring, s) == 0) return true;
    return false;
}

static void add_unique(cJSON *arr, const char *s) {
    if (s[0] && !in_list(arr, s)) cJSON_AddItemToArray(arr, cJSON_CreateString(s));
}

/* A request object whose big parts are references (not copies) of the caller's. */
static cJSON *request(const char *op, const cJSON *settings, const cJSON *records, const cJSON *item, const cJSON *context) {
    cJSON *r = cJSON_CreateObject();
    if (r == NULL) return NULL;
    cJSON_AddStringToObject(r, "op", op);
    if (settings) cJSON_AddItemToObject(r, "settings", cJSON_CreateObjectReference(settings->child));
    if (records) cJSON_AddItemToObject(r, "records", cJSON_CreateObjectReference(records->child));
    if (item) cJSON_AddItemToObject(r, "item", cJSON_CreateObjectReference(item->child));
    if (context) cJSON_AddItemToObject(r, "context", cJSON_CreateObjectReference(context->child));
    return r;
}

bool crm_engine_addresses(crm_engine *e, const cJSON *settings, const cJSON *items, bool with_domains, cJSON **addresses, cJSON **domains) {
    *addresses = cJSON_CreateArray();
    *domains = cJSON_CreateArray();
    if (*addresses == NULL || *domains == NULL) return false;
    const cJSON *item;
    cJSON_ArrayForEach(item, items) {
        cJSON *rq = request("classify", settings, NULL, item, NULL);
        cJSON *resp = rq ? crm_engine_eval(e, rq) : NULL;
        cJSON_Delete(rq);
        if (resp == NULL) return false;
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "result"), "participants")) {
            if (strcmp(str_of(p, "status"), "unresolved") != 0) continue;
            const char *a = str_of(p, "address");
            if (in_list(*addresses, a)) continue;
            add_unique(*addresses, a);
            if (!with_domains) continue;
            cJSON *nq = cJSON_CreateObject();
            cJSON_AddStringToObject(nq, "op", "normalize_address");
            if (settings) cJSON_AddItemToObject(nq, "settings", cJSON_CreateObjectReference(settings->child));
            cJSON_AddStringToObject(nq, "input", a);
            cJSON *nr = crm_engine_eval(e, nq);
            cJSON_Delete(nq);
            const cJSON *res = cJSON_GetObjectItemCaseSensitive(nr, "result");
            if (res && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "freemail")))
                add_unique(*domains, str_of(res, "registered_domain"));
            cJSON_Delete(nr);
        }
        cJSON_Delete(resp);
    }
    return true;
}

/* ASCII lower-case copy of an address, trimmed: the index key for record emails. */
static void lower_into(char *out, size_t cap, const char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++) out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    while (i && (out[i - 1] == ' ' || out[i - 1] == '\t')) i--;
    out[i] = '\0';
}

static uint64_t ix_hash(const char *k, int kind) {
    uint64_t h = UINT64_C(1469598103934665603) ^ (uint64_t)(unsigned)kind;
    for (; *k; k++) h = (h ^ (unsigned char)*k) * UINT64_C(1099511628211);
    return h;
}

static bool ix_put(crm_engine *e, const char *key, int kind, const cJSON *rec) {
    if (key[0] == '\0') return true;
    if ((e->ix_n + 1) * 2 > e->ix_cap) {
        size_t ncap = e->ix_cap ? e->ix_cap * 2 : 1024;
        ix_ent *n = calloc(ncap, sizeof *n);
        if (n == NULL) return false;
        for (size_t i = 0; i < e->ix_cap; i++) {
            if (e->ix[i].key == NULL) continue;
            size_t h = (size_t)ix_hash(e->ix[i].key, e->ix[i].kind) & (ncap - 1);
            while (n[h].key) h = (h + 1) & (ncap - 1);
            n[h] = e->ix[i];
        }
        free(e->ix);
        e->ix = n;
        e->ix_cap = ncap;
    }
    size_t h = (size_t)ix_hash(key, kind) & (e->ix_cap - 1);
    while (e->ix[h].key) h = (h + 1) & (e->ix_cap - 1);
    e->ix[h].key = strdup(key);
    e->ix[h].kind = kind;
    e->ix[h].rec = rec;
    e->ix_n++;
    return e->ix[h].key != NULL;
}

/* The last two labels of a host ("www.eu.acme.com" -> "acme.com"): enough to find the
 * Accounts whose website may share a participant's registered domain (the core decides). */
static void two_labels(const char *host, char *out, size_t cap) {
    const char *end = host + strcspn(host, "/?#:");
    const char *p = end, *start = host;
    int dots = 0;
    while (p > host) { p--; if (*p == '.' && ++dots == 2) { start = p + 1; break; } }
    size_t n = (size_t)(end - start);
    if (n >= cap) n = cap - 1;
    memcpy(out, start, n);
    out[n] = '\0';
}

static const char *host_of(const char *url) {
    const char *h = strstr(url, "://");
    return h ? h + 3 : url;
}

static int count_records(const cJSON *records) {
    static const char *const k[] = {"contacts", "leads", "accounts", "opportunities"};
    int n = 0;
    for (size_t i = 0; i < 4; i++) n += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(records, k[i]));
    return n;
}

static bool ix_build(crm_engine *e, const cJSON *records) {
    int count = count_records(records);
    if (e->ix_of == records && e->ix_count == count) return true;
    ix_clear(e);
    char buf[320];
    const cJSON *p;
    for (int lead = 0; lead < 2; lead++) {
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(records, lead ? "leads" : "contacts")) {
            lower_into(buf, sizeof buf, str_of(p, "email"));
            if (!ix_put(e, buf, lead ? IX_LEAD : IX_CONTACT, p)) return false;
            const cJSON *a;
            cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(p, "alt_emails")) {
                if (!cJSON_IsString(a)) continue;
                lower_into(buf, sizeof buf, a->valuestring);
                if (!ix_put(e, buf, lead ? IX_LEAD : IX_CONTACT, p)) return false;
            }
        }
    }
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(records, "accounts")) {
        if (!ix_put(e, str_of(p, "id"), IX_ACCOUNT_ID, p)) return false;
        lower_into(buf, sizeof buf, host_of(str_of(p, "website")));
        char dom[256];
        two_labels(buf, dom, sizeof dom);
        if (!ix_put(e, dom, IX_ACCOUNT_DOMAIN, p)) return false;
        const cJSON *d;
        cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(p, "domains")) {
            if (!cJSON_IsString(d)) continue;
            lower_into(buf, sizeof buf, d->valuestring);
            two_labels(buf, dom, sizeof dom);
            if (!ix_put(e, dom, IX_ACCOUNT_DOMAIN, p)) return false;
        }
    }
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(records, "opportunities"))
        if (!ix_put(e, str_of(p, "account_id"), IX_OPP_ACCOUNT, p)) return false;
    e->ix_of = records;
    e->ix_count = count;
    return true;
}

/* Adds every record under (key, kind) to `dst` once (by identity). */
static void ix_collect(crm_engine *e, const char *key, int kind, cJSON *dst, cJSON *ids) {
    if (e->ix_cap == 0 || key[0] == '\0') return;
    for (size_t h = (size_t)ix_hash(key, kind) & (e->ix_cap - 1); e->ix[h].key; h = (h + 1) & (e->ix_cap - 1)) {
        if (e->ix[h].kind != kind || strcmp(e->ix[h].key, key) != 0) continue;
        const char *id = str_of(e->ix[h].rec, "id");
        if (in_list(ids, id)) continue;
        cJSON_AddItemToArray(ids, cJSON_CreateString(id));
        cJSON_AddItemToArray(dst, cJSON_Duplicate(e->ix[h].rec, 1));
    }
}

/* Lower-cased addresses and domains of an item's participants (no core call: a superset
 * is fine, the core decides exactly). */
static void item_addresses(const cJSON *item, cJSON *addrs, cJSON *doms) {
    static const char *const keys[] = {"from", "to", "cc", "bcc", "organizer", "attendees"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, keys[k]);
        bool arr = cJSON_IsArray(v);
        for (const cJSON *x = arr ? v->child : v; x; x = arr ? x->next : NULL) {
            const char *raw = cJSON_IsString(x) ? x->valuestring : str_of(x, "address");
            const char *lt = strrchr(raw, '<');
            char buf[320];
            lower_into(buf, sizeof buf, lt ? lt + 1 : raw);
            char *gt = strchr(buf, '>');
            if (gt) *gt = '\0';
            add_unique(addrs, buf);
            const char *at = strrchr(buf, '@');
            char dom[256];
            if (at && at[1]) { two_labels(at + 1, dom, sizeof dom); add_unique(doms, dom); }
            if (!arr) break;
        }
    }
}

cJSON *crm_engine_records_for(crm_engine *e, const cJSON *records, const cJSON *item) {
    cJSON *out = cJSON_CreateObject();
    cJSON *addrs = cJSON_CreateArray(), *doms = cJSON_CreateArray(), *ids = cJSON_CreateArray();
    cJSON *contacts = cJSON_AddArrayToObject(out, "contacts");
    cJSON *leads = cJSON_AddArrayToObject(out, "leads");
    cJSON *accounts = cJSON_AddArrayToObject(out, "accounts");
    cJSON *opps = cJSON_AddArrayToObject(out, "opportunities");
    if (!out || !addrs || !doms || !ids || !contacts || !leads || !accounts || !opps || !ix_build(e, records)) {
        cJSON_Delete(addrs); cJSON_Delete(doms); cJSON_Delete(ids); cJSON_Delete(out);
        return NULL;
    }
    item_addresses(item, addrs, doms);
    const cJSON *a;
    cJSON_ArrayForEach(a, addrs) {
        ix_collect(e, a->valuestring, IX_CONTACT, contacts, ids);
        ix_collect(e, a->valuestring, IX_LEAD, leads, ids);
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, contacts) {
        const char *acc = str_of(c, "account_id");
        ix_collect(e, acc, IX_ACCOUNT_ID, accounts, ids);
        ix_collect(e, acc, IX_OPP_ACCOUNT, opps, ids);
    }
    cJSON_ArrayForEach(a, doms) ix_collect(e, a->valuestring, IX_ACCOUNT_DOMAIN, accounts, ids);
    cJSON_Delete(addrs);
    cJSON_Delete(doms);
    cJSON_Delete(ids);
    return out;
}

cJSON *crm_engine_decide(crm_engine *e, const cJSON *settings, const cJSON *records, const cJSON *item, const cJSON *context) {
    cJSON *rq = request("decide_email", settings, records, item, context);
    cJSON *resp = rq ? crm_engine_eval(e, rq) : NULL;
    cJSON_Delete(rq);
    return resp;
}

/* ------------------------------------------------------------------ writes */
/* ext:<key> -> id, filled as records are created */
typedef struct refmap { cJSON *map; } refmap;

static const char *resolve(const refmap *m, const char *v) {
    if (strncmp(v, "ext:", 4) != 0) return v;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(m->map, v + 4);
    return cJSON_IsString(id) ? id->valuestring : NULL;
}

/* Replaces ext: references in the fields named; false when one is unresolved. */
static bool resolve_fields(const refmap *m, cJSON *fields) {
    static const char *const ref_fields[] = {"WhoId", "WhatId", "AccountId", "RelatedToId"};
    for (size_t i = 0; i < sizeof ref_fields / sizeof ref_fields[0]; i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(fields, ref_fields[i]);
        if (!cJSON_IsString(v)) continue;
        const char *r = resolve(m, v->valuestring);
        if (r == NULL) return false;
        if (r != v->valuestring) cJSON_SetValuestring(v, r);
    }
    return true;
}

typedef struct pending { size_t decision; size_t part; } pending;

/* A Task that already exists (TaskSubtype can be set on create only, so Salesforce refuses
 * the upsert with INVALID_FIELD_FOR_INSERT_UPDATE) was saved before: by an earlier session
 * that crashed after writing, or by the user from the sidebar. It is not updated (that
 * would overwrite the user's choice of records): its id is looked up by key and the write
 * counts as done. */
static crm_sf_status retry_existing(crm_sf *sf, cJSON *batch, cJSON *results) {
    crm_sf_status st = CRM_SF_OK;
    int n = cJSON_GetArraySize(results);
    for (int i = 0; i < n; i++) { /* by index: a result may be replaced in the loop */
        const cJSON *r = cJSON_GetArrayItem(results, i);
        const cJSON *er = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "errors"), 0);
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "success")) &&
            strcmp(str_of(er, "statusCode"), "INVALID_FIELD_FOR_INSERT_UPDATE") == 0) {
            const char *key = str_of(cJSON_GetArrayItem(batch, i), CRM_KEY_FIELD);
            char q[400];
            cJSON *rows = NULL;
            snprintf(q, sizeof q, "SELECT Id FROM Task WHERE " CRM_KEY_FIELD " = '%.300s'", key);
            if (strchr(key, '\'') == NULL && (st = crm_sf_query(sf, q, &rows)) == CRM_SF_OK && cJSON_GetArraySize(rows) == 1) {
                cJSON *ok = cJSON_CreateObject();
                cJSON_AddStringToObject(ok, "id", str_of(cJSON_GetArrayItem(rows, 0), "Id"));
                cJSON_AddTrueToObject(ok, "success");
                cJSON_AddFalseToObject(ok, "created");
                cJSON_AddItemToObject(ok, "errors", cJSON_CreateArray());
                cJSON_ReplaceItemInArray(results, i, ok);
            }
            cJSON_Delete(rows);
            if (st != CRM_SF_OK) return st;
        }
    }
    return st;
}

/* Upserts every write of `sobject` (from the saved decisions), de-duplicated by external
 * id, recording ext ids in the map and per-decision failures. */
static crm_sf_status upsert_phase(crm_sf *sf, cJSON *const *decisions, size_t n, crm_write_result *res, const char *sobject,
                                  refmap *m, bool main_records) {
    cJSON *batch = cJSON_CreateArray();
    pending *who = calloc(1, sizeof *who);
    size_t count = 0, cap = 1;
    if (batch == NULL || who == NULL) { cJSON_Delete(batch); free(who); return CRM_SF_E_NOMEM; }
    cJSON *seen = cJSON_CreateObject();
    for (size_t i = 0; i < n; i++) {
        if (!res[i].ok) continue;
        const cJSON *writes = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(decisions[i], "result"), "writes");
        size_t part = 0;
        const cJSON *w;
        cJSON_ArrayForEach(w, writes) {
            if (strcmp(str_of(w, "sobject"), sobject) != 0) continue;
            const char *ext = str_of(w, "external_id");
            if (!main_records && cJSON_GetObjectItemCaseSensitive(seen, ext)) continue;
            cJSON *f = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(w, "fields"), 1);
            if (f == NULL) continue;
            if (!resolve_fields(m, f)) {
                res[i].ok = false;
                snprintf(res[i].error, sizeof res[i].error, "a record this email links to could not be created");
                cJSON_Delete(f);
                break;
            }
            if (count == cap) {
                pending *nw = realloc(who, cap * 2 * sizeof *who);
                if (nw == NULL) { cJSON_Delete(f); break; }
                who = nw;
                cap *= 2;
            }
            cJSON_AddStringToObject(f, CRM_KEY_FIELD, ext);
            cJSON_AddItemToArray(batch, f);
            cJSON_AddTrueToObject(seen, ext);
            who[count].decision = i;
            who[count].part = part++;
            count++;
        }
    }
    cJSON_Delete(seen);
    crm_sf_status st = CRM_SF_OK;
    if (count) {
        cJSON *results = NULL;
        st = crm_sf_upsert(sf, sobject, CRM_KEY_FIELD, batch, &results);
        if (st == CRM_SF_OK && strcmp(sobject, "Task") == 0) st = retry_existing(sf, batch, results);
        for (size_t k = 0; st == CRM_SF_OK && k < count; k++) {
            const cJSON *r = cJSON_GetArrayItem(results, (int)k);
            crm_write_result *wr = &res[who[k].decision];
            const cJSON *rec = cJSON_GetArrayItem(batch, (int)k);
            const char *ext = str_of(rec, CRM_KEY_FIELD);
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "success"))) {
                const char *id = str_of(r, "id");
                if (main_records) {
                    if (wr->record_ids == NULL) wr->record_ids = cJSON_CreateArray();
                    cJSON_AddItemToArray(wr->record_ids, cJSON_CreateString(id));
                } else if (!cJSON_GetObjectItemCaseSensitive(m->map, ext)) {
                    cJSON_AddStringToObject(m->map, ext, id);
                }
            } else {
                const cJSON *er = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "errors"), 0);
                wr->ok = false;
                snprintf(wr->error, sizeof wr->error, "%s %s: %s", sobject, str_of(er, "statusCode"), str_of(er, "message"));
                /* every decision that needed this record fails too (resolve_fields) */
            }
        }
        cJSON_Delete(results);
    }
    cJSON_Delete(batch);
    free(who);
    return st;
}

/* Relations for People beyond the first (WhoId): created only when missing. */
static crm_sf_status relations(crm_sf *sf, cJSON *const *decisions, size_t n, crm_write_result *res, const refmap *m) {
    cJSON *want = cJSON_CreateArray(); /* [{TaskId|EmailMessageId, RelationId, type}] */
    cJSON *task_ids = cJSON_CreateArray(), *msg_ids = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        if (!res[i].ok || res[i].record_ids == NULL) continue;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(decisions[i], "result");
        const cJSON *who = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "links"), "who");
        const cJSON *w0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "writes"), 0);
        bool task = true;
        const cJSON *w;
        cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(d, "writes"))
            if (strcmp(str_of(w, "sobject"), "EmailMessage") == 0) task = false;
        (void)w0;
        int first = task ? 1 : 0; /* a Task's WhoId covers the first person */
        const cJSON *id;
        cJSON_ArrayForEach(id, res[i].record_ids) {
            for (int k = first; k < cJSON_GetArraySize(who); k++) {
                const char *rel = resolve(m, cJSON_GetArrayItem(who, k)->valuestring);
                if (rel == NULL) continue;
                cJSON *o = cJSON_CreateObject();
                cJSON_AddNumberToObject(o, "_decision", (double)i); /* removed before sending */
                cJSON_AddStringToObject(o, task ? "TaskId" : "EmailMessageId", id->valuestring);
                cJSON_AddStringToObject(o, "RelationId", rel);
                if (!task) cJSON_AddStringToObject(o, "RelationType", "ToAddress");
                cJSON *at = cJSON_AddObjectToObject(o, "attributes");
                cJSON_AddStringToObject(at, "type", task ? "TaskRelation" : "EmailMessageRelation");
                cJSON_AddItemToArray(want, o);
                add_unique(task ? task_ids : msg_ids, id->valuestring);
            }
        }
    }
    crm_sf_status st = CRM_SF_OK;
    if (cJSON_GetArraySize(want) > 0) {
        /* what exists already (a retried session may have created some) */
        cJSON *existing = cJSON_CreateArray();
        for (int pass = 0; pass < 2 && st == CRM_SF_OK; pass++) {
            cJSON *ids = pass ? msg_ids : task_ids;
            int total = cJSON_GetArraySize(ids);
            for (int start = 0; start < total && st == CRM_SF_OK; start += 150) {
                char *q = malloc(64 + (size_t)150 * 24 + 128);
                if (q == NULL) { st = CRM_SF_E_NOMEM; break; }
                size_t len = (size_t)sprintf(q, pass ? "SELECT EmailMessageId, RelationId FROM EmailMessageRelation WHERE EmailMessageId IN ("
                                                      : "SELECT TaskId, RelationId FROM TaskRelation WHERE TaskId IN (");
                for (int k = start; k < total && k < start + 150; k++)
                    len += (size_t)sprintf(q + len, "%s'%.20s'", k > start ? "," : "", cJSON_GetArrayItem(ids, k)->valuestring);
                strcpy(q + len, ")");
                cJSON *rows = NULL;
                st = crm_sf_query(sf, q, &rows);
                free(q);
                cJSON *r;
                while (rows && (r = cJSON_DetachItemFromArray(rows, 0)) != NULL) cJSON_AddItemToArray(existing, r);
                cJSON_Delete(rows);
            }
        }
        cJSON *create = cJSON_CreateArray();
        const cJSON *o;
        cJSON_ArrayForEach(o, want) {
            const char *parent = str_of(o, "TaskId")[0] ? str_of(o, "TaskId") : str_of(o, "EmailMessageId");
            bool have = false;
            const cJSON *x;
            cJSON_ArrayForEach(x, existing) {
                const char *xp = str_of(x, "TaskId")[0] ? str_of(x, "TaskId") : str_of(x, "EmailMessageId");
                if (strcmp(xp, parent) == 0 && strcmp(str_of(x, "RelationId"), str_of(o, "RelationId")) == 0) have = true;
            }
            if (!have) cJSON_AddItemToArray(create, cJSON_Duplicate(o, 1));
        }
        cJSON_Delete(existing);
        /* which decision each relation belongs to, so a refused one fails that email (the
         * next session checks and creates what is missing) */
        size_t nc = (size_t)cJSON_GetArraySize(create), k = 0;
        size_t *owner = calloc(nc + 1, sizeof *owner);
        cJSON *c;
        cJSON_ArrayForEach(c, create) {
            owner[k++] = (size_t)cJSON_GetObjectItemCaseSensitive(c, "_decision")->valuedouble;
            cJSON_DeleteItemFromObjectCaseSensitive(c, "_decision");
        }
        if (st == CRM_SF_OK && nc > 0) {
            cJSON *results = NULL;
            st = crm_sf_create(sf, create, &results);
            k = 0;
            const cJSON *r;
            cJSON_ArrayForEach(r, results) {
                if (k < nc && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "success")) && res[owner[k]].ok) {
                    const cJSON *er = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "errors"), 0);
                    res[owner[k]].ok = false;
                    snprintf(res[owner[k]].error, sizeof res[owner[k]].error, "relation %s: %s", str_of(er, "statusCode"), str_of(er, "message"));
                }
                k++;
            }
            cJSON_Delete(results);
        }
        free(owner);
        cJSON_Delete(create);
    }
    cJSON_Delete(want);
    cJSON_Delete(task_ids);
    cJSON_Delete(msg_ids);
    return st;
}

crm_sf_status crm_engine_write(crm_engine *e, crm_sf *sf, cJSON *const *decisions, size_t n, crm_write_result *results) {
    (void)e;
    for (size_t i = 0; i < n; i++) {
        memset(&results[i], 0, sizeof results[i]);
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(decisions[i], "result");
        results[i].ok = strcmp(str_of(d, "action"), "save") == 0;
        if (!results[i].ok) snprintf(results[i].error, sizeof results[i].error, "not a save decision");
    }
    refmap m = {cJSON_CreateObject()};
    if (m.map == NULL) return CRM_SF_E_NOMEM;
    static const char *const phases[] = {"Account", "Contact", "Lead"};
    crm_sf_status st = CRM_SF_OK;
    for (size_t k = 0; k < 3 && st == CRM_SF_OK; k++) st = upsert_phase(sf, decisions, n, results, phases[k], &m, false);
    if (st == CRM_SF_OK) st = upsert_phase(sf, decisions, n, results, "Task", &m, true);
    if (st == CRM_SF_OK) st = upsert_phase(sf, decisions, n, results, "EmailMessage", &m, true);
    if (st == CRM_SF_OK) st = relations(sf, decisions, n, results, &m);
    cJSON_Delete(m.map);
    return st;
}

void crm_write_results_free(crm_write_result *r, size_t n) {
    for (size_t i = 0; i < n; i++) { cJSON_Delete(r[i].record_ids); r[i].record_ids = NULL; }
}
