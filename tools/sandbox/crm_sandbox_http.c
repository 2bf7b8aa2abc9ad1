/* crm_sandbox_http.c: the sandbox org's HTTP server (libmicrohttpd, one thread per
 * connection, one SQLite connection behind a mutex). Paths, status codes and bodies follow
 * reference/salesforce-graph-imap-apis.md §1; /sandbox/... is the sandbox's own admin API. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "crm/sha256.h"
#include "crm_sandbox.h"
#include "crm_sandbox_internal.h"
#include "crm_soql.h"

#define MAX_BODY (64u * 1024u * 1024u)
#define MAX_URI 16384
#define COLLECTION_MAX 200
#define MIN_VERSION 20
#define MAX_VERSION 66

typedef struct server {
    sqlite3 *db;
    pthread_mutex_t mu;
    crm_sandbox_faults *faults;
    int page_size;
    long token_ttl;
    bool verbose;
    unsigned long token_serial;
} server;

typedef struct reqctx {
    size_t uri_len;
    char *body;
    size_t n, cap;
    bool too_big;
    bool started;             /* MHD's first call (headers only) has been seen */
} reqctx;

typedef struct reply {
    unsigned status;
    char *body;               /* malloc'd; NULL: empty */
    const char *ctype;
    bool limit_header;        /* add Sforce-Limit-Info */
    bool www_auth;
    char location[200];
    bool drop;                /* close the connection without answering */
} reply;

/* ------------------------------------------------------------------ helpers */
static void set_json(reply *r, unsigned status, cJSON *j) {
    r->status = status;
    free(r->body);
    r->body = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    r->ctype = "application/json;charset=UTF-8";
}

static void set_error(reply *r, unsigned status, const char *code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set_error(reply *r, unsigned status, const char *code, const char *fmt, ...) {
    crm_sandbox_err e;
    memset(&e, 0, sizeof e);
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    crm_sandbox_err_set(&e, code, NULL, "%s", msg);
    set_json(r, status, crm_sandbox_err_json(&e, false));
}

static unsigned err_status(const crm_sandbox_err *e) {
    if (strcmp(e->code, "NOT_FOUND") == 0 || strcmp(e->code, "ENTITY_IS_DELETED") == 0) return 404;
    if (strcmp(e->code, "UNKNOWN_EXCEPTION") == 0) return 500;
    return 400;
}

static bool has_fields(const crm_sandbox_err *e) {
    /* single-record errors carry "fields" for field-level problems */
    return e->n_fields > 0 || strcmp(e->code, "DUPLICATE_VALUE") == 0;
}

static void set_err(reply *r, const crm_sandbox_err *e) { set_json(r, err_status(e), crm_sandbox_err_json(e, has_fields(e))); }

static const char *arg(struct MHD_Connection *c, const char *key) { return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key); }

static long now_s(void) { return (long)time(NULL); }

static void version_label(int v, char *out, size_t cap) {
    static const char *const season[] = {"Winter", "Spring", "Summer"};
    int k = v - 20;
    snprintf(out, cap, "%s '%02d", season[k % 3], 11 + k / 3);
}

/* ------------------------------------------------------------------ OAuth */
static char *form_value(const char *body, const char *key) {
    size_t kl = strlen(key);
    for (const char *p = body; p && *p;) {
        size_t l = strcspn(p, "&");
        if (l > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            const char *v = p + kl + 1;
            size_t vl = l - kl - 1;
            char *out = malloc(vl + 1);
            if (!out) return NULL;
            size_t o = 0;
            for (size_t i = 0; i < vl; i++) {
                if (v[i] == '+') out[o++] = ' ';
                else if (v[i] == '%' && i + 2 < vl) {
                    char hex[3] = {v[i + 1], v[i + 2], 0};
                    out[o++] = (char)strtol(hex, NULL, 16);
                    i += 2;
                } else out[o++] = v[i];
            }
            out[o] = '\0';
            return out;
        }
        p += l;
        if (*p == '&') p++;
    }
    return NULL;
}

static void oauth_error(reply *r, const char *err, const char *desc) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error", err);
    cJSON_AddStringToObject(j, "error_description", desc);
    set_json(r, 400, j);
}

static void b64(const uint8_t *in, size_t n, char *out) {
    static const char T[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = T[(v >> 18) & 63];
        out[o++] = T[(v >> 12) & 63];
        out[o++] = i + 1 < n ? T[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? T[v & 63] : '=';
    }
    out[o] = '\0';
}

static void handle_token(server *s, struct MHD_Connection *c, const char *method, const reqctx *rq, reply *r) {
    if (strcmp(method, "POST") != 0) { oauth_error(r, "invalid_request", "must use HTTP POST"); return; }
    const char *body = rq->body ? rq->body : "";
    char *grant = form_value(body, "grant_type"), *client = form_value(body, "client_id"), *rt = form_value(body, "refresh_token");
    char want_client[128], want_rt[256];
    if (!crm_sandbox_meta_get(s->db, "client_id", want_client, sizeof want_client)) snprintf(want_client, sizeof want_client, "%s", CRM_SANDBOX_CLIENT_ID);
    if (!crm_sandbox_meta_get(s->db, "refresh_token", want_rt, sizeof want_rt)) snprintf(want_rt, sizeof want_rt, "%s", CRM_SANDBOX_REFRESH_TOKEN);
    crm_sandbox_count(s->db, "token_requests", 1);
    if (!grant || strcmp(grant, "refresh_token") != 0) oauth_error(r, "unsupported_grant_type", "grant type not supported");
    else if (!client || strcmp(client, want_client) != 0) oauth_error(r, "invalid_client_id", "client identifier invalid");
    else if (!rt || strcmp(rt, want_rt) != 0) { oauth_error(r, "invalid_grant", "expired access/refresh token"); crm_sandbox_count(s->db, "token_refused", 1); }
    else {
        char org[19], user[19], host[300], token[160], issued[32], idurl[400];
        crm_sandbox_org_id(org);
        crm_sandbox_admin_user(user);
        const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
        snprintf(host, sizeof host, "http://%s", h ? h : "127.0.0.1");
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        snprintf(issued, sizeof issued, "%lld", ms);
        char seedtxt[128], hex[65];
        snprintf(seedtxt, sizeof seedtxt, "%s:%lld:%ld:%lu", org, ms, (long)ts.tv_nsec, ++s->token_serial);
        crm_sha256_hex(seedtxt, strlen(seedtxt), hex);
        snprintf(token, sizeof token, "%.15s!AQ%.60s", org, hex);
        long epoch = crm_sandbox_meta_long(s->db, "token_epoch", 1);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO sandbox_tokens(token, epoch, issued_at) VALUES(?1, ?2, ?3)", -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, epoch);
            sqlite3_bind_int64(st, 3, ts.tv_sec);
            sqlite3_step(st);
            sqlite3_finalize(st);
        }
        snprintf(idurl, sizeof idurl, "%s/id/%s/%s", host, org, user);
        crm_sha256 sh;
        uint8_t dig[32];
        char sig[48];
        crm_sha256_init(&sh);
        crm_sha256_update(&sh, idurl, strlen(idurl));
        crm_sha256_update(&sh, issued, strlen(issued));
        crm_sha256_final(&sh, dig);
        b64(dig, 32, sig);
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "access_token", token);
        cJSON_AddStringToObject(j, "signature", sig);
        cJSON_AddStringToObject(j, "scope", "api refresh_token");
        cJSON_AddStringToObject(j, "instance_url", host);
        cJSON_AddStringToObject(j, "id", idurl);
        cJSON_AddStringToObject(j, "token_type", "Bearer");
        cJSON_AddStringToObject(j, "issued_at", issued);
        set_json(r, 200, j);
        memset(token, 0, sizeof token);
    }
    if (rt) { memset(rt, 0, strlen(rt)); free(rt); }
    free(grant);
    free(client);
}

static bool session_ok(server *s, struct MHD_Connection *c) {
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!h) return false;
    const char *tok = NULL;
    if (strncasecmp(h, "Bearer ", 7) == 0) tok = h + 7;
    else if (strncasecmp(h, "OAuth ", 6) == 0) tok = h + 6;
    if (!tok || !tok[0]) return false;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT epoch, issued_at FROM sandbox_tokens WHERE token = ?1", -1, &st, NULL) != SQLITE_OK) return false;
    sqlite3_bind_text(st, 1, tok, -1, SQLITE_STATIC);
    bool ok = false;
    if (sqlite3_step(st) == SQLITE_ROW) {
        long epoch = (long)sqlite3_column_int64(st, 0), issued = (long)sqlite3_column_int64(st, 1);
        ok = epoch == crm_sandbox_meta_long(s->db, "token_epoch", 1) && (s->token_ttl <= 0 || now_s() - issued < s->token_ttl);
    }
    sqlite3_finalize(st);
    return ok;
}

static long expire_tokens(server *s) {
    long epoch = crm_sandbox_meta_long(s->db, "token_epoch", 1) + 1;
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", epoch);
    crm_sandbox_meta_set(s->db, "token_epoch", buf);
    crm_sandbox_exec(s->db, "DELETE FROM sandbox_tokens");
    return epoch;
}

/* ------------------------------------------------------------------ query */
static void add_attributes(cJSON *rec, const char *type, const char *version, const char *id) {
    cJSON *at = cJSON_AddObjectToObject(rec, "attributes");
    cJSON_AddStringToObject(at, "type", type);
    if (id) {
        char url[200];
        snprintf(url, sizeof url, "/services/data/v%s/sobjects/%s/%s", version, type, id);
        cJSON_AddStringToObject(at, "url", url);
    }
}

static sqlite3_stmt *prep(server *s, const char *sql, reply *r) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        set_error(r, 500, "UNKNOWN_EXCEPTION", "query failed: %s", sqlite3_errmsg(s->db));
        return NULL;
    }
    return st;
}

/* Runs `soql` from row `start` of its result; `locator` is reused for later pages. */
static void run_query(server *s, const char *soql, const char *version, long start, const char *locator, reply *r) {
    crm_sandbox_err e;
    memset(&e, 0, sizeof e);
    crm_soql_plan *p = crm_soql_compile(soql, &e);
    if (!p) { set_err(r, &e); return; }
    const crm_sandbox_object *o = p->obj;
    char where[16];
    snprintf(where, sizeof where, "%s", p->where_sql[0] ? " WHERE " : "");
    size_t cap = strlen(p->where_sql) + strlen(p->order_sql) + 4096;
    char *sql = malloc(cap);
    cJSON *out = NULL;
    sqlite3_stmt *st = NULL;
    if (!sql) { set_error(r, 500, "UNKNOWN_EXCEPTION", "out of memory"); goto done; }
    /* totalSize: rows after LIMIT/OFFSET */
    snprintf(sql, cap, "SELECT COUNT(*) FROM (SELECT 1 FROM \"%s\"%s%s LIMIT ? OFFSET ?)", o->name, where, p->where_sql);
    if (!(st = prep(s, sql, r))) goto done;
    int nb = crm_soql_bind_all(p, st, 1);
    sqlite3_bind_int64(st, nb, p->limit);
    sqlite3_bind_int64(st, nb + 1, p->offset);
    long total = sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    st = NULL;
    out = cJSON_CreateObject();
    if (p->count) {
        if (p->count == 1) {
            cJSON_AddNumberToObject(out, "totalSize", (double)total);
            cJSON_AddTrueToObject(out, "done");
            cJSON_AddArrayToObject(out, "records");
        } else {
            /* COUNT(field): one AggregateResult counting non-null values */
            const char *fname = o->fields[p->count_field].name;
            snprintf(sql, cap, "SELECT COUNT(\"%s\") FROM (SELECT \"%s\" FROM \"%s\"%s%s LIMIT ? OFFSET ?)", fname, fname, o->name, where, p->where_sql);
            if (!(st = prep(s, sql, r))) goto done;
            nb = crm_soql_bind_all(p, st, 1);
            sqlite3_bind_int64(st, nb, p->limit);
            sqlite3_bind_int64(st, nb + 1, p->offset);
            long n = sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
            cJSON_AddNumberToObject(out, "totalSize", 1);
            cJSON_AddTrueToObject(out, "done");
            cJSON *recs = cJSON_AddArrayToObject(out, "records");
            cJSON *rec = cJSON_CreateObject();
            add_attributes(rec, "AggregateResult", version, NULL);
            cJSON_AddNumberToObject(rec, "expr0", (double)n);
            cJSON_AddItemToArray(recs, rec);
        }
        set_json(r, 200, out);
        out = NULL;
        goto done;
    }
    long want = total - start;
    if (want < 0) want = 0;
    if (want > s->page_size) want = s->page_size;
    size_t n = (size_t)snprintf(sql, cap, "SELECT Id");
    for (int i = 0; i < p->n_sel; i++) n += (size_t)snprintf(sql + n, cap - n, ",\"%s\"", o->fields[p->sel[i]].name);
    snprintf(sql + n, cap - n, " FROM \"%s\"%s%s ORDER BY %s LIMIT ? OFFSET ?", o->name, where, p->where_sql, p->order_sql);
    if (!(st = prep(s, sql, r))) goto done;
    nb = crm_soql_bind_all(p, st, 1);
    sqlite3_bind_int64(st, nb, want);
    sqlite3_bind_int64(st, nb + 1, p->offset + start);
    cJSON_AddNumberToObject(out, "totalSize", (double)total);
    cJSON *done_item = cJSON_AddTrueToObject(out, "done");
    cJSON *recs = cJSON_AddArrayToObject(out, "records");
    long got = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        cJSON *rec = cJSON_CreateObject();
        add_attributes(rec, o->name, version, (const char *)sqlite3_column_text(st, 0));
        for (int i = 0; i < p->n_sel; i++)
            cJSON_AddItemToObject(rec, o->fields[p->sel[i]].name, crm_sandbox_value_json(st, i + 1, &o->fields[p->sel[i]]));
        cJSON_AddItemToArray(recs, rec);
        got++;
    }
    if (start + got < total) {
        char loc[19], next[200];
        if (locator) snprintf(loc, sizeof loc, "%s", locator);
        else {
            crm_sandbox_new_id(s->db, "01g", loc);
            sqlite3_stmt *ins = NULL;
            if (sqlite3_prepare_v2(s->db, "INSERT INTO sandbox_cursors(locator, soql, created) VALUES(?1, ?2, ?3)", -1, &ins, NULL) == SQLITE_OK) {
                sqlite3_bind_text(ins, 1, loc, -1, SQLITE_STATIC);
                sqlite3_bind_text(ins, 2, soql, -1, SQLITE_STATIC);
                sqlite3_bind_int64(ins, 3, now_s());
                sqlite3_step(ins);
                sqlite3_finalize(ins);
            }
        }
        snprintf(next, sizeof next, "/services/data/v%s/query/%s-%ld", version, loc, start + got);
        cJSON_ReplaceItemInObject(out, "done", cJSON_CreateFalse());
        cJSON_AddStringToObject(out, "nextRecordsUrl", next);
        /* keep the documented key order: totalSize, done, nextRecordsUrl, records */
        cJSON *rj = cJSON_DetachItemFromObject(out, "records");
        cJSON_AddItemToObject(out, "records", rj);
    }
    (void)done_item;
    set_json(r, 200, out);
    out = NULL;
done:
    if (st) sqlite3_finalize(st);
    cJSON_Delete(out);
    free(sql);
    crm_soql_free(p);
}

static void query_more(server *s, const char *version, const char *tail, reply *r) {
    char loc[40];
    const char *dash = strrchr(tail, '-');
    char *end = NULL;
    long start = dash ? strtol(dash + 1, &end, 10) : -1;
    if (!dash || (size_t)(dash - tail) >= sizeof loc || start < 0 || !end || *end) {
        set_error(r, 400, "INVALID_QUERY_LOCATOR", "invalid query locator");
        return;
    }
    snprintf(loc, sizeof loc, "%.*s", (int)(dash - tail), tail);
    sqlite3_stmt *st = NULL;
    char *soql = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT soql FROM sandbox_cursors WHERE locator = ?1", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, loc, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) soql = strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    if (!soql) { set_error(r, 400, "INVALID_QUERY_LOCATOR", "invalid query locator"); return; }
    run_query(s, soql, version, start, loc, r);
    free(soql);
}

/* --------------------------------------------------------------- describe */
static cJSON *object_urls(const crm_sandbox_object *o, const char *version) {
    cJSON *u = cJSON_CreateObject();
    char b[200];
    snprintf(b, sizeof b, "/services/data/v%s/sobjects/%s", version, o->name);
    cJSON_AddStringToObject(u, "sobject", b);
    snprintf(b, sizeof b, "/services/data/v%s/sobjects/%s/describe", version, o->name);
    cJSON_AddStringToObject(u, "describe", b);
    snprintf(b, sizeof b, "/services/data/v%s/sobjects/%s/{ID}", version, o->name);
    cJSON_AddStringToObject(u, "rowTemplate", b);
    return u;
}

static cJSON *object_summary(const crm_sandbox_object *o, const char *version) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", o->name);
    cJSON_AddStringToObject(j, "label", o->label);
    cJSON_AddStringToObject(j, "keyPrefix", o->prefix);
    cJSON_AddBoolToObject(j, "custom", false);
    cJSON_AddBoolToObject(j, "createable", true);
    cJSON_AddBoolToObject(j, "updateable", true);
    cJSON_AddBoolToObject(j, "deletable", true);
    cJSON_AddBoolToObject(j, "queryable", true);
    cJSON_AddItemToObject(j, "urls", object_urls(o, version));
    return j;
}

static cJSON *describe(const crm_sandbox_object *o, const char *version) {
    cJSON *j = object_summary(o, version);
    cJSON *fields = cJSON_AddArrayToObject(j, "fields");
    for (int k = 0; k < o->n_fields; k++) {
        const crm_sandbox_field *f = &o->fields[k];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", f->name);
        cJSON_AddStringToObject(x, "label", f->label);
        cJSON_AddStringToObject(x, "type", crm_sandbox_ftype_name(f->type));
        int len = crm_sandbox_ftype_is_text(f->type) || f->type == CRM_SB_ID || f->type == CRM_SB_REFERENCE ? f->length : 0;
        cJSON_AddNumberToObject(x, "length", len);
        cJSON_AddNumberToObject(x, "byteLength", len * 3);
        cJSON_AddBoolToObject(x, "externalId", (f->flags & CRM_SB_EXT) != 0);
        cJSON_AddBoolToObject(x, "unique", (f->flags & CRM_SB_UNQ) != 0);
        cJSON_AddBoolToObject(x, "nillable", (f->flags & CRM_SB_NIL) != 0 || f->type == CRM_SB_ID ? (f->flags & CRM_SB_NIL) != 0 : false);
        cJSON_AddBoolToObject(x, "createable", (f->flags & CRM_SB_CRE) != 0);
        cJSON_AddBoolToObject(x, "updateable", (f->flags & CRM_SB_UPD) != 0);
        cJSON_AddBoolToObject(x, "defaultedOnCreate", (f->flags & CRM_SB_DEF) != 0);
        cJSON_AddBoolToObject(x, "idLookup", (f->flags & CRM_SB_IDL) != 0);
        cJSON_AddBoolToObject(x, "custom", strstr(f->name, "__c") != NULL);
        cJSON_AddBoolToObject(x, "filterable", f->type != CRM_SB_TEXTAREA || f->length <= 255);
        if (f->defval) cJSON_AddStringToObject(x, "defaultValueFormula", f->defval);
        else cJSON_AddNullToObject(x, "defaultValueFormula");
        cJSON *refs = cJSON_AddArrayToObject(x, "referenceTo");
        if (f->refto) {
            char buf[200];
            snprintf(buf, sizeof buf, "%s", f->refto);
            char *save = NULL;
            for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) cJSON_AddItemToArray(refs, cJSON_CreateString(t));
        }
        cJSON_AddArrayToObject(x, "picklistValues");
        cJSON_AddItemToArray(fields, x);
    }
    return j;
}

static void limits(server *s, reply *r) {
    long max = crm_sandbox_meta_long(s->db, "api_max", 100000), used = crm_sandbox_usage(s->db, now_s());
    cJSON *j = cJSON_CreateObject();
    cJSON *d = cJSON_AddObjectToObject(j, "DailyApiRequests");
    cJSON_AddNumberToObject(d, "Max", (double)max);
    cJSON_AddNumberToObject(d, "Remaining", (double)(max - used > 0 ? max - used : 0));
    cJSON *b = cJSON_AddObjectToObject(j, "DailyBulkApiBatches");
    cJSON_AddNumberToObject(b, "Max", 15000);
    cJSON_AddNumberToObject(b, "Remaining", 15000);
    cJSON *st = cJSON_AddObjectToObject(j, "DataStorageMB");
    cJSON_AddNumberToObject(st, "Max", 1024);
    cJSON_AddNumberToObject(st, "Remaining", 1024);
    set_json(r, 200, j);
}

/* ------------------------------------------------------------ collections */
static cJSON *result_ok(const char *id, int created) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddTrueToObject(j, "success");
    cJSON_AddArrayToObject(j, "errors");
    if (created >= 0) cJSON_AddBoolToObject(j, "created", created != 0);
    return j;
}

static cJSON *result_fail(const char *id, const crm_sandbox_err *e, int created) {
    cJSON *j = cJSON_CreateObject();
    if (id && id[0]) cJSON_AddStringToObject(j, "id", id);
    else cJSON_AddNullToObject(j, "id");
    cJSON_AddFalseToObject(j, "success");
    cJSON *errs = cJSON_AddArrayToObject(j, "errors");
    cJSON_AddItemToArray(errs, crm_sandbox_err_item(e));
    if (created >= 0) cJSON_AddFalseToObject(j, "created");
    return j;
}

static const cJSON *get_ci(const cJSON *o, const char *key) {
    const cJSON *v;
    cJSON_ArrayForEach(v, o) if (v->string && strcasecmp(v->string, key) == 0) return v;
    return NULL;
}

static const char *rec_type(const cJSON *rec) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rec, "attributes"), "type");
    return cJSON_IsString(t) ? t->valuestring : NULL;
}

typedef enum { COL_CREATE, COL_UPDATE, COL_UPSERT } colop;

/* One upsert of `rec` into `o` keyed by field `f` = `value`: 0 ok (*created set), -1 error. */
static int upsert_one(server *s, const crm_sandbox_object *o, const crm_sandbox_field *f, const char *value, const cJSON *rec,
                      bool update_only, char id[19], int *created, crm_sandbox_err *e) {
    char found[19];
    int n = crm_sandbox_find_by(s->db, o, f, value, found);
    if (n < 0) { crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "%s", sqlite3_errmsg(s->db)); return -1; }
    if (n > 1) { crm_sandbox_err_set(e, "MULTIPLE_RECORDS_FOUND", NULL, "More than one record found for external id field %s with value %s", f->name, value); return -1; }
    if (n == 1) {
        *created = 0;
        return crm_sandbox_save(s->db, o, CRM_SB_UPDATE, found, rec, now_s(), id, e);
    }
    if (update_only || f->type == CRM_SB_ID) { crm_sandbox_err_set(e, "NOT_FOUND", NULL, "The requested resource does not exist"); return -1; }
    /* create with the external id set from the key */
    cJSON *copy = cJSON_Duplicate(rec, 1);
    if (!copy) { crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "out of memory"); return -1; }
    const cJSON *have = get_ci(copy, f->name);
    if (have) cJSON_DeleteItemFromObject(copy, have->string);
    cJSON_AddStringToObject(copy, f->name, value);
    *created = 1;
    int rc = crm_sandbox_save(s->db, o, CRM_SB_CREATE, NULL, copy, now_s(), id, e);
    cJSON_Delete(copy);
    return rc;
}

static void collection(server *s, colop op, const crm_sandbox_object *uo, const crm_sandbox_field *uf, const reqctx *rq, reply *r) {
    cJSON *body = rq->body ? cJSON_ParseWithLength(rq->body, rq->n) : NULL;
    if (!cJSON_IsObject(body)) {
        cJSON_Delete(body);
        set_error(r, 400, "JSON_PARSER_ERROR", "The request body is not a JSON object with \"records\"");
        return;
    }
    const cJSON *aon = cJSON_GetObjectItemCaseSensitive(body, "allOrNone");
    const cJSON *recs = cJSON_GetObjectItemCaseSensitive(body, "records");
    if (!cJSON_IsArray(recs) || (aon && !cJSON_IsBool(aon))) {
        cJSON_Delete(body);
        set_error(r, 400, "JSON_PARSER_ERROR", "records must be an array and allOrNone a boolean");
        return;
    }
    int n = cJSON_GetArraySize(recs);
    if (n > COLLECTION_MAX) {
        cJSON_Delete(body);
        set_error(r, 400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call");
        return;
    }
    bool all = cJSON_IsTrue(aon);
    cJSON **res = calloc((size_t)n + 1, sizeof *res);
    bool *ok = calloc((size_t)n + 1, sizeof *ok);
    if (!res || !ok) { free(res); free(ok); cJSON_Delete(body); set_error(r, 500, "UNKNOWN_EXCEPTION", "out of memory"); return; }
    int created_flag = op == COL_UPSERT ? 0 : -1;
    bool any_fail = false;
    crm_sandbox_exec(s->db, "SAVEPOINT coll");
    for (int i = 0; i < n; i++) {
        const cJSON *rec = cJSON_GetArrayItem(recs, i);
        crm_sandbox_err e;
        memset(&e, 0, sizeof e);
        char id[19] = "";
        int created = -1, rc = -1;
        const char *type = rec_type(rec);
        const crm_sandbox_object *o = uo;
        if (!cJSON_IsObject(rec)) {
            crm_sandbox_err_set(&e, "JSON_PARSER_ERROR", NULL, "each record must be a JSON object");
        } else if (op != COL_UPSERT && !type && op == COL_CREATE) {
            crm_sandbox_err_set(&e, "INVALID_TYPE", NULL, "Must specify a type in attributes for each record");
        } else if (op == COL_UPSERT && type && strcasecmp(type, uo->name) != 0) {
            crm_sandbox_err_set(&e, "INVALID_TYPE", NULL, "Record type %s does not match the upsert type %s", type, uo->name);
        } else if (op == COL_CREATE) {
            o = crm_sandbox_object_find(type);
            if (!o) crm_sandbox_err_set(&e, "INVALID_TYPE", NULL, "sObject type '%s' is not supported.", type);
            else rc = crm_sandbox_save(s->db, o, CRM_SB_CREATE, NULL, rec, now_s(), id, &e);
        } else if (op == COL_UPDATE) {
            const cJSON *idv = get_ci(rec, "id");
            char id18[19];
            if (!cJSON_IsString(idv) || !idv->valuestring[0]) crm_sandbox_err_set(&e, "MISSING_ARGUMENT", NULL, "Id not specified in an update call");
            else if (!crm_sandbox_id18(idv->valuestring, id18)) crm_sandbox_err_set(&e, "MALFORMED_ID", NULL, "malformed id %.40s", idv->valuestring);
            else {
                snprintf(id, sizeof id, "%s", id18);
                o = type ? crm_sandbox_object_find(type) : crm_sandbox_object_by_prefix(id18);
                if (!o || strncmp(o->prefix, id18, 3) != 0) crm_sandbox_err_set(&e, "INVALID_TYPE", NULL, "Record type does not match the id %s", id18);
                else rc = crm_sandbox_save(s->db, o, CRM_SB_UPDATE, id18, rec, now_s(), id, &e);
            }
        } else { /* upsert */
            const cJSON *kv = get_ci(rec, uf->name);
            char kbuf[64];
            const char *key = cJSON_IsString(kv) ? kv->valuestring : cJSON_IsNumber(kv) ? (snprintf(kbuf, sizeof kbuf, "%g", kv->valuedouble), kbuf) : NULL;
            bool dup = false;
            for (int j = 0; key && key[0] && j < n; j++) {
                if (j == i) continue;
                const cJSON *other = get_ci(cJSON_GetArrayItem(recs, j), uf->name);
                if (cJSON_IsString(other) && strcasecmp(other->valuestring, key) == 0) dup = true;
            }
            if (!key || !key[0]) crm_sandbox_err_set(&e, "MISSING_ARGUMENT", uf->name, "%s not specified", uf->name);
            else if (dup) crm_sandbox_err_set(&e, "DUPLICATE_EXTERNAL_ID", uf->name, "Duplicate external id specified: %.200s", key);
            else rc = upsert_one(s, o, uf, key, rec, false, id, &created, &e);
        }
        if (rc == 0) { ok[i] = true; res[i] = result_ok(id, op == COL_UPSERT ? created : -1); }
        else { any_fail = true; res[i] = result_fail(op == COL_UPDATE ? id : NULL, &e, created_flag); }
    }
    if (all && any_fail) {
        crm_sandbox_exec(s->db, "ROLLBACK TO coll");
        crm_sandbox_err rb;
        memset(&rb, 0, sizeof rb);
        crm_sandbox_err_set(&rb, "ALL_OR_NONE_OPERATION_ROLLED_BACK", NULL,
                            "Record rolled back because not all records were valid and the request was using AllOrNone header");
        for (int i = 0; i < n; i++)
            if (ok[i]) { cJSON_Delete(res[i]); res[i] = result_fail(NULL, &rb, created_flag); }
    }
    crm_sandbox_exec(s->db, "RELEASE coll");
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(arr, res[i]);
    free(res);
    free(ok);
    cJSON_Delete(body);
    set_json(r, 200, arr);
}

static void collection_delete(server *s, struct MHD_Connection *c, reply *r) {
    const char *ids = arg(c, "ids");
    const char *aon = arg(c, "allOrNone");
    bool all = aon && strcasecmp(aon, "true") == 0;
    if (!ids || !ids[0]) { set_error(r, 400, "MISSING_ARGUMENT", "ids parameter is required"); return; }
    char *buf = strdup(ids);
    if (!buf) { set_error(r, 500, "UNKNOWN_EXCEPTION", "out of memory"); return; }
    cJSON *arr = cJSON_CreateArray();
    int n = 0;
    bool any_fail = false;
    crm_sandbox_exec(s->db, "SAVEPOINT coll");
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (++n > COLLECTION_MAX) break;
        char id[19];
        crm_sandbox_err e;
        memset(&e, 0, sizeof e);
        const crm_sandbox_object *o = crm_sandbox_id18(t, id) ? crm_sandbox_object_by_prefix(id) : NULL;
        int rc = o ? crm_sandbox_delete(s->db, o, id) : 0;
        if (rc == 1) { cJSON_AddItemToArray(arr, result_ok(id, -1)); continue; }
        any_fail = true;
        if (o && crm_sandbox_was_deleted(s->db, id)) crm_sandbox_err_set(&e, "ENTITY_IS_DELETED", NULL, "entity is deleted");
        else crm_sandbox_err_set(&e, "INVALID_CROSS_REFERENCE_KEY", NULL, "invalid cross reference id");
        cJSON_AddItemToArray(arr, result_fail(o ? id : t, &e, -1));
    }
    free(buf);
    if (n > COLLECTION_MAX) {
        crm_sandbox_exec(s->db, "ROLLBACK TO coll");
        crm_sandbox_exec(s->db, "RELEASE coll");
        cJSON_Delete(arr);
        set_error(r, 400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call");
        return;
    }
    if (all && any_fail) {
        crm_sandbox_exec(s->db, "ROLLBACK TO coll");
        crm_sandbox_err rb;
        memset(&rb, 0, sizeof rb);
        crm_sandbox_err_set(&rb, "ALL_OR_NONE_OPERATION_ROLLED_BACK", NULL,
                            "Record rolled back because not all records were valid and the request was using AllOrNone header");
        cJSON *item;
        cJSON_ArrayForEach(item, arr) {
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "success"))) {
                cJSON_ReplaceItemInObject(item, "success", cJSON_CreateFalse());
                cJSON_ReplaceItemInObject(item, "errors", cJSON_CreateArray());
                cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(item, "errors"), crm_sandbox_err_item(&rb));
            }
        }
    }
    crm_sandbox_exec(s->db, "RELEASE coll");
    set_json(r, 200, arr);
}

/* ---------------------------------------------------------------- sobjects */
static void method_not_allowed(reply *r, const char *method, const char *allowed) {
    set_error(r, 405, "METHOD_NOT_ALLOWED", "HTTP Method '%s' not allowed. Allowed are %s", method, allowed);
}

static cJSON *body_object(const reqctx *rq, reply *r) {
    cJSON *j = rq->body ? cJSON_ParseWithLength(rq->body, rq->n) : NULL;
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        set_error(r, 400, "JSON_PARSER_ERROR", "The request body must be a JSON object");
        return NULL;
    }
    return j;
}

static void sobjects(server *s, struct MHD_Connection *c, const char *method, const char *version, int vnum, char **seg, int nseg,
                     const reqctx *rq, reply *r) {
    /* seg[0] == "sobjects" */
    if (nseg == 1) {
        if (strcmp(method, "GET") != 0) { method_not_allowed(r, method, "GET,HEAD"); return; }
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "encoding", "UTF-8");
        cJSON_AddNumberToObject(j, "maxBatchSize", 200);
        cJSON *arr = cJSON_AddArrayToObject(j, "sobjects");
        for (int i = 0; i < crm_sandbox_n_objects; i++) cJSON_AddItemToArray(arr, object_summary(&crm_sandbox_objects[i], version));
        set_json(r, 200, j);
        return;
    }
    const crm_sandbox_object *o = crm_sandbox_object_find(seg[1]);
    if (!o) { set_error(r, 404, "NOT_FOUND", "The requested resource does not exist"); return; }
    crm_sandbox_err e;
    memset(&e, 0, sizeof e);
    char id[19];
    if (nseg == 2) {
        if (strcmp(method, "GET") == 0) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddItemToObject(j, "objectDescribe", object_summary(o, version));
            cJSON_AddArrayToObject(j, "recentItems");
            set_json(r, 200, j);
        } else if (strcmp(method, "POST") == 0) {
            cJSON *rec = body_object(rq, r);
            if (!rec) return;
            if (crm_sandbox_save(s->db, o, CRM_SB_CREATE, NULL, rec, now_s(), id, &e) == 0) {
                set_json(r, 201, result_ok(id, -1));
                snprintf(r->location, sizeof r->location, "/services/data/v%s/sobjects/%s/%s", version, o->name, id);
            } else set_err(r, &e);
            cJSON_Delete(rec);
        } else method_not_allowed(r, method, "GET,HEAD,POST");
        return;
    }
    if (nseg == 3 && strcmp(seg[2], "describe") == 0) {
        if (strcmp(method, "GET") != 0) { method_not_allowed(r, method, "GET,HEAD"); return; }
        set_json(r, 200, describe(o, version));
        return;
    }
    if (nseg == 3) {
        char id18[19];
        if (!crm_sandbox_id18(seg[2], id18) || strncmp(id18, o->prefix, 3) != 0) {
            set_error(r, 404, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: %.80s", seg[2]);
            return;
        }
        if (strcmp(method, "GET") == 0) {
            cJSON *rec = crm_sandbox_read(s->db, o, id18, arg(c, "fields"), version, &e);
            if (rec) set_json(r, 200, rec);
            else set_err(r, &e);
        } else if (strcmp(method, "PATCH") == 0) {
            cJSON *rec = body_object(rq, r);
            if (!rec) return;
            if (crm_sandbox_save(s->db, o, CRM_SB_UPDATE, id18, rec, now_s(), id, &e) == 0) { r->status = 204; }
            else set_err(r, &e);
            cJSON_Delete(rec);
        } else if (strcmp(method, "DELETE") == 0) {
            int rc = crm_sandbox_delete(s->db, o, id18);
            if (rc == 1) r->status = 204;
            else if (crm_sandbox_was_deleted(s->db, id18)) set_error(r, 404, "ENTITY_IS_DELETED", "entity is deleted");
            else set_error(r, 404, "NOT_FOUND", "The requested resource does not exist");
        } else method_not_allowed(r, method, "GET,HEAD,PATCH,DELETE");
        return;
    }
    if (nseg == 4) { /* sobjects/{Type}/{ExtField}/{value} */
        int k = crm_sandbox_field_index(o, seg[2]);
        const crm_sandbox_field *f = k >= 0 ? &o->fields[k] : NULL;
        if (!f || !(f->flags & (CRM_SB_EXT)) ) {
            if (!(f && f->type == CRM_SB_ID)) { set_error(r, 404, "NOT_FOUND", "The requested resource does not exist"); return; }
        }
        if (strcmp(method, "GET") == 0) {
            char found[19];
            int n = crm_sandbox_find_by(s->db, o, f, seg[3], found);
            if (n == 1) {
                cJSON *rec = crm_sandbox_read(s->db, o, found, arg(c, "fields"), version, &e);
                if (rec) set_json(r, 200, rec);
                else set_err(r, &e);
            } else if (n > 1) set_error(r, 300, "MULTIPLE_RECORDS_FOUND", "More than one record found for external id field %s", f->name);
            else set_error(r, 404, "NOT_FOUND", "The requested resource does not exist");
            return;
        }
        if (strcmp(method, "PATCH") != 0) { method_not_allowed(r, method, "GET,HEAD,PATCH"); return; }
        cJSON *rec = body_object(rq, r);
        if (!rec) return;
        const char *uo = arg(c, "updateOnly");
        int created = 0;
        if (upsert_one(s, o, f, seg[3], rec, uo && strcasecmp(uo, "true") == 0, id, &created, &e) == 0) {
            if (vnum < 46 && !created) r->status = 204; /* before v46 an update answered 204 without a body */
            else {
                cJSON *res = result_ok(id, vnum >= 46 ? created : -1);
                set_json(r, created ? 201 : 200, res);
            }
        } else set_err(r, &e);
        cJSON_Delete(rec);
        return;
    }
    set_error(r, 404, "NOT_FOUND", "The requested resource does not exist");
}

/* -------------------------------------------------------------------- API */
static void api(server *s, struct MHD_Connection *c, const char *method, const char *version, int vnum, const char *rest,
                const reqctx *rq, reply *r) {
    char path[2048];
    snprintf(path, sizeof path, "%s", rest);
    char *seg[8];
    int nseg = 0;
    char *save = NULL;
    for (char *t = strtok_r(path, "/", &save); t && nseg < 8; t = strtok_r(NULL, "/", &save)) seg[nseg++] = t;
    if (nseg == 0) {
        cJSON *j = cJSON_CreateObject();
        static const char *const names[] = {"sobjects", "query", "queryAll", "limits", "composite"};
        for (size_t i = 0; i < 5; i++) {
            char u[120];
            snprintf(u, sizeof u, "/services/data/v%s/%s", version, names[i]);
            cJSON_AddStringToObject(j, names[i], u);
        }
        set_json(r, 200, j);
        return;
    }
    if (strcmp(seg[0], "limits") == 0 && nseg == 1) {
        if (strcmp(method, "GET") != 0) { method_not_allowed(r, method, "GET,HEAD"); return; }
        limits(s, r);
        return;
    }
    if ((strcmp(seg[0], "query") == 0 || strcmp(seg[0], "queryAll") == 0) && nseg <= 2) {
        if (strcmp(method, "GET") != 0) { method_not_allowed(r, method, "GET,HEAD"); return; }
        if (nseg == 2) { query_more(s, version, seg[1], r); return; }
        const char *q = arg(c, "q");
        if (!q || !q[0]) { set_error(r, 400, "MALFORMED_QUERY", "A query string has to be specified"); return; }
        run_query(s, q, version, 0, NULL, r);
        return;
    }
    if (strcmp(seg[0], "sobjects") == 0) { sobjects(s, c, method, version, vnum, seg, nseg, rq, r); return; }
    if (strcmp(seg[0], "composite") == 0 && nseg >= 2 && strcmp(seg[1], "sobjects") == 0) {
        if (vnum < 42) { set_error(r, 404, "NOT_FOUND", "The requested resource does not exist"); return; }
        if (nseg == 2) {
            if (strcmp(method, "POST") == 0) collection(s, COL_CREATE, NULL, NULL, rq, r);
            else if (strcmp(method, "PATCH") == 0) collection(s, COL_UPDATE, NULL, NULL, rq, r);
            else if (strcmp(method, "DELETE") == 0) collection_delete(s, c, r);
            else method_not_allowed(r, method, "POST,PATCH,DELETE");
            return;
        }
        if (nseg == 4) {
            const crm_sandbox_object *o = crm_sandbox_object_find(seg[2]);
            int k = o ? crm_sandbox_field_index(o, seg[3]) : -1;
            if (!o || vnum < 46) { set_error(r, 404, "NOT_FOUND", "The requested resource does not exist"); return; }
            if (k < 0 || !(o->fields[k].flags & CRM_SB_EXT)) {
                set_error(r, 400, "INVALID_FIELD", "Provided external ID field does not exist or is not accessible: %s", seg[3]);
                return;
            }
            if (strcmp(method, "PATCH") != 0) { method_not_allowed(r, method, "PATCH"); return; }
            collection(s, COL_UPSERT, o, &o->fields[k], rq, r);
            return;
        }
    }
    set_error(r, 404, "NOT_FOUND", "The requested resource does not exist");
}

/* ------------------------------------------------------------------ admin */
static void admin(server *s, const char *method, const char *path, const reqctx *rq, struct MHD_Connection *c, reply *r) {
    if (strcmp(path, "/sandbox/stats") == 0 && strcmp(method, "GET") == 0) {
        const char *h = arg(c, "hash");
        cJSON *j = crm_sandbox_stats_json(s->db, h && strcmp(h, "1") == 0);
        cJSON_AddItemToObject(j, "faults", crm_sandbox_faults_json(s->faults));
        set_json(r, 200, j);
        return;
    }
    if (strcmp(path, "/sandbox/faults") == 0) {
        if (strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0 || strcmp(method, "DELETE") == 0) {
            char *spec = NULL;
            if (strcmp(method, "DELETE") != 0 && rq->body) {
                /* the body is the spec itself, or {"spec": "..."} */
                cJSON *j = rq->body[0] == '{' ? cJSON_ParseWithLength(rq->body, rq->n) : NULL;
                const cJSON *sp = cJSON_GetObjectItemCaseSensitive(j, "spec");
                spec = cJSON_IsString(sp) ? strdup(sp->valuestring) : j ? strdup("?") : strndup(rq->body, rq->n);
                cJSON_Delete(j);
            }
            char err[256];
            if (crm_sandbox_faults_set(s->faults, spec ? spec : "", err, sizeof err) != 0) {
                free(spec);
                cJSON *j = cJSON_CreateObject();
                cJSON_AddStringToObject(j, "error", err);
                set_json(r, 400, j);
                return;
            }
            free(spec);
        } else if (strcmp(method, "GET") != 0) { set_error(r, 405, "METHOD_NOT_ALLOWED", "GET, PUT, POST or DELETE"); return; }
        set_json(r, 200, crm_sandbox_faults_json(s->faults));
        return;
    }
    if (strcmp(path, "/sandbox/expire-tokens") == 0 && strcmp(method, "POST") == 0) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "token_epoch", (double)expire_tokens(s));
        set_json(r, 200, j);
        return;
    }
    if (strcmp(path, "/sandbox/api-usage") == 0) {
        if (strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0) {
            cJSON *j = rq->body ? cJSON_ParseWithLength(rq->body, rq->n) : NULL;
            const cJSON *mx = cJSON_GetObjectItemCaseSensitive(j, "max"), *used = cJSON_GetObjectItemCaseSensitive(j, "used");
            if (cJSON_IsNumber(mx) && mx->valuedouble >= 0) {
                char b[32];
                snprintf(b, sizeof b, "%ld", (long)mx->valuedouble);
                crm_sandbox_meta_set(s->db, "api_max", b);
            }
            if (cJSON_IsNumber(used) && used->valuedouble >= 0) {
                long now = now_s(), have = crm_sandbox_usage(s->db, now);
                long add = (long)used->valuedouble - have;
                sqlite3_stmt *st = NULL;
                if (add < 0) crm_sandbox_exec(s->db, "DELETE FROM sandbox_usage"), add = (long)used->valuedouble;
                if (sqlite3_prepare_v2(s->db, "INSERT INTO sandbox_usage(hour, calls) VALUES(?1, ?2) ON CONFLICT(hour) DO UPDATE SET calls = calls + ?2",
                                       -1, &st, NULL) == SQLITE_OK) {
                    sqlite3_bind_int64(st, 1, now / 3600);
                    sqlite3_bind_int64(st, 2, add);
                    sqlite3_step(st);
                    sqlite3_finalize(st);
                }
            }
            cJSON_Delete(j);
        } else if (strcmp(method, "GET") != 0) { set_error(r, 405, "METHOD_NOT_ALLOWED", "GET, PUT or POST"); return; }
        long max = crm_sandbox_meta_long(s->db, "api_max", 100000), used = crm_sandbox_usage(s->db, now_s());
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "used", (double)used);
        cJSON_AddNumberToObject(j, "max", (double)max);
        set_json(r, 200, j);
        return;
    }
    set_error(r, 404, "NOT_FOUND", "unknown sandbox admin resource (stats, faults, expire-tokens, api-usage)");
}

/* ---------------------------------------------------------------- dispatch */
/* "/services/data/v62.0/rest" -> version "62.0", *vnum 62, rest; false if not versioned. */
static bool split_version(const char *url, char *version, size_t cap, int *vnum, const char **rest) {
    const char *p = url + strlen("/services/data/");
    if (*p != 'v') return false;
    char *end = NULL;
    long major = strtol(p + 1, &end, 10);
    if (end == p + 1 || *end != '.') return false;
    const char *minor = end + 1;
    long mn = strtol(minor, &end, 10);
    if (end == minor || (*end != '/' && *end != '\0') || mn < 0 || mn > 9 || major < 0 || major > 999) return false;
    snprintf(version, cap, "%d.%d", (int)major, (int)mn);
    *vnum = (int)major;
    *rest = end;
    return true;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static void handle(server *s, struct MHD_Connection *c, const char *url, const char *method, const reqctx *rq, reply *r) {
    if (strcmp(url, "/services/oauth2/token") == 0) {
        pthread_mutex_lock(&s->mu);
        handle_token(s, c, method, rq, r);
        pthread_mutex_unlock(&s->mu);
        return;
    }
    if (strncmp(url, "/sandbox/", 9) == 0) {
        pthread_mutex_lock(&s->mu);
        admin(s, method, url, rq, c, r);
        pthread_mutex_unlock(&s->mu);
        return;
    }
    if (strcmp(url, "/services/data") == 0 || strcmp(url, "/services/data/") == 0 || strcmp(url, "/services/data/latest") == 0) {
        /* Versions: no authentication, not counted, no Sforce-Limit-Info */
        cJSON *arr = cJSON_CreateArray();
        for (int v = MIN_VERSION; v <= MAX_VERSION; v++) {
            cJSON *j = cJSON_CreateObject();
            char label[32], u[64], ver[16];
            version_label(v, label, sizeof label);
            snprintf(ver, sizeof ver, "%d.0", v);
            snprintf(u, sizeof u, "/services/data/v%d.0", v);
            cJSON_AddStringToObject(j, "label", label);
            cJSON_AddStringToObject(j, "url", u);
            cJSON_AddStringToObject(j, "version", ver);
            cJSON_AddItemToArray(arr, j);
        }
        set_json(r, 200, arr);
        return;
    }
    char version[16];
    int vnum = 0;
    const char *rest = NULL;
    if (strncmp(url, "/services/data/", 15) != 0 || !split_version(url, version, sizeof version, &vnum, &rest)) {
        set_error(r, 404, "NOT_FOUND", "The requested resource does not exist");
        return;
    }
    if (vnum < MIN_VERSION) { set_error(r, 404, "NOT_FOUND", "The requested resource does not exist"); return; }
    r->limit_header = true;
    /* faults are decided first, in arrival order */
    long delay = 0;
    pthread_mutex_lock(&s->mu);
    unsigned fset = crm_sandbox_faults_next(s->faults, &delay);
    for (int k = CRM_SB_FAULT_EXPIRED; k <= CRM_SB_FAULT_LOCK; k++)
        if (fset & (1u << k)) {
            char name[40];
            snprintf(name, sizeof name, "fault:%s", crm_sandbox_fault_name((crm_sandbox_fault_kind)k));
            crm_sandbox_count(s->db, name, 1);
        }
    pthread_mutex_unlock(&s->mu);
    if (fset & (1u << CRM_SB_FAULT_DROP)) { r->drop = true; return; }
    if (delay > 0) sleep_ms(delay);
    pthread_mutex_lock(&s->mu);
    crm_sandbox_exec(s->db, "BEGIN IMMEDIATE");
    bool authed = session_ok(s, c);
    if (authed && (fset & (1u << CRM_SB_FAULT_EXPIRED))) { expire_tokens(s); authed = false; }
    long max = crm_sandbox_meta_long(s->db, "api_max", 100000);
    if (!authed) {
        set_error(r, 401, "INVALID_SESSION_ID", "Session expired or invalid");
        r->www_auth = true;
    } else if ((fset & (1u << CRM_SB_FAULT_LIMIT)) || crm_sandbox_usage(s->db, now_s()) >= max) {
        set_error(r, 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
    } else {
        const char *kind = rest[0] == '/' ? rest + 1 : rest;
        char k[32];
        snprintf(k, sizeof k, "%.*s", (int)strcspn(kind, "/"), kind);
        if (strcmp(k, "composite") == 0) snprintf(k, sizeof k, "composite/sobjects");
        crm_sandbox_count_call(s->db, now_s(), k[0] ? k : "resources");
        if (fset & (1u << CRM_SB_FAULT_ERROR))
            set_error(r, 500, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact support: 1906142263-%ld (-1254134125)", now_s());
        else if (fset & (1u << CRM_SB_FAULT_LOCK))
            set_error(r, 400, "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records: %s", "001Sb0000000001AAA");
        else
            api(s, c, method, version, vnum, rest, rq, r);
    }
    if (crm_sandbox_exec(s->db, "COMMIT") != 0) crm_sandbox_exec(s->db, "ROLLBACK");
    pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------ MHD glue */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
    (void)cls;
    (void)c;
    reqctx *rq = calloc(1, sizeof *rq);
    if (rq) rq->uri_len = strlen(uri);
    return rq;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)c;
    (void)toe;
    reqctx *rq = *con_cls;
    if (rq) { free(rq->body); free(rq); }
    *con_cls = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls) {
    (void)version;
    server *s = cls;
    reqctx *rq = *con_cls;
    if (!rq) return MHD_NO;
    if (!rq->started) { rq->started = true; return MHD_YES; }
    if (*upload_size) {
        if (rq->n + *upload_size > MAX_BODY) rq->too_big = true;
        else {
            if (rq->n + *upload_size + 1 > rq->cap) {
                size_t nc = rq->cap ? rq->cap : 4096;
                while (nc < rq->n + *upload_size + 1) nc *= 2;
                char *nb = realloc(rq->body, nc);
                if (!nb) return MHD_NO;
                rq->body = nb;
                rq->cap = nc;
            }
            memcpy(rq->body + rq->n, upload, *upload_size);
            rq->n += *upload_size;
            rq->body[rq->n] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    /* a request with a body is answered after the body (this call has none left) */
    reply r;
    memset(&r, 0, sizeof r);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (rq->uri_len > MAX_URI) set_error(&r, 414, "URI_TOO_LONG", "URI Too Long: %zu bytes (max %d)", rq->uri_len, MAX_URI);
    else if (rq->too_big) set_error(&r, 413, "REQUEST_ENTITY_TOO_LARGE", "request body too large");
    else if (rq->n && strncmp(url, "/services/data/", 15) == 0 && ct && !strstr(ct, "json"))
        set_error(&r, 415, "UNSUPPORTED_MEDIA_TYPE", "Content type '%.80s' not supported", ct);
    else handle(s, c, url, method, rq, &r);
    if (r.drop) {
        if (s->verbose) fprintf(stderr, "sandbox: %s %s -> dropped\n", method, url);
        return MHD_NO; /* closes the connection without an answer */
    }
    if (r.status == 0) r.status = 500;
    struct MHD_Response *resp = r.body ? MHD_create_response_from_buffer(strlen(r.body), r.body, MHD_RESPMEM_MUST_FREE)
                                       : MHD_create_response_from_buffer(0, (void *)(uintptr_t)"", MHD_RESPMEM_PERSISTENT);
    if (!resp) { free(r.body); return MHD_NO; }
    if (r.body) MHD_add_response_header(resp, "Content-Type", r.ctype ? r.ctype : "application/json;charset=UTF-8");
    if (r.limit_header) {
        char lim[96];
        pthread_mutex_lock(&s->mu);
        long used = crm_sandbox_usage(s->db, now_s()), max = crm_sandbox_meta_long(s->db, "api_max", 100000);
        pthread_mutex_unlock(&s->mu);
        snprintf(lim, sizeof lim, "api-usage=%ld/%ld", used, max);
        MHD_add_response_header(resp, "Sforce-Limit-Info", lim);
    }
    if (r.www_auth) MHD_add_response_header(resp, "WWW-Authenticate", "Token");
    if (r.location[0]) MHD_add_response_header(resp, "Location", r.location);
    enum MHD_Result rc = MHD_queue_response(c, r.status, resp);
    MHD_destroy_response(resp);
    if (s->verbose) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        fprintf(stderr, "sandbox: %s %s -> %u (%ld ms)\n", method, url, r.status, ms);
    }
    return rc;
}

crm_sandbox_status crm_sandbox_serve(const crm_sandbox_serve_opts *opts, char **err) {
    *err = NULL;
    server s;
    memset(&s, 0, sizeof s);
    s.page_size = opts->page_size > 0 ? opts->page_size : 2000;
    if (s.page_size > 2000) s.page_size = 2000;
    s.token_ttl = opts->token_ttl_s;
    s.verbose = opts->verbose;
    char *dberr = NULL;
    s.db = crm_sandbox_db_open(opts->db_path, &dberr);
    if (!s.db) { *err = dberr; return CRM_SANDBOX_E_DB; }
    s.faults = crm_sandbox_faults_new();
    if (!s.faults) { sqlite3_close(s.db); return CRM_SANDBOX_E_NOMEM; }
    char ferr[256];
    if (crm_sandbox_faults_set(s.faults, opts->faults ? opts->faults : "", ferr, sizeof ferr) != 0) {
        *err = strdup(ferr);
        crm_sandbox_faults_free(s.faults);
        sqlite3_close(s.db);
        return CRM_SANDBOX_E_FAULTS;
    }
    if (opts->api_max > 0) {
        char b[32];
        snprintf(b, sizeof b, "%ld", opts->api_max);
        crm_sandbox_meta_set(s.db, "api_max", b);
    }
    crm_sandbox_exec(s.db, "DELETE FROM sandbox_cursors");
    pthread_mutex_init(&s.mu, NULL);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)opts->port);
    if (inet_pton(AF_INET, opts->bind_addr ? opts->bind_addr : "127.0.0.1", &addr.sin_addr) != 1) {
        *err = strdup("--bind must be an IPv4 address");
        crm_sandbox_faults_free(s.faults);
        sqlite3_close(s.db);
        return CRM_SANDBOX_E_USAGE;
    }
    /* signals go to this thread only: block them before MHD starts its threads */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
                                            (uint16_t)opts->port, NULL, NULL, on_request, &s,
                                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
                                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
                                            MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
                                            MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
                                            MHD_OPTION_END);
    if (!d) {
        char m[160];
        snprintf(m, sizeof m, "cannot listen on %s:%u", opts->bind_addr ? opts->bind_addr : "127.0.0.1", opts->port);
        *err = strdup(m);
        crm_sandbox_faults_free(s.faults);
        sqlite3_close(s.db);
        return CRM_SANDBOX_E_LISTEN;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : opts->port;
    printf("sandbox org listening on http://%s:%u (login URL; client_id %s)\n", opts->bind_addr ? opts->bind_addr : "127.0.0.1", port,
           CRM_SANDBOX_CLIENT_ID);
    fflush(stdout);
    if (opts->port_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", opts->port_file);
        FILE *f = fopen(tmp, "w");
        if (f) { fprintf(f, "%u\n", port); fclose(f); rename(tmp, opts->port_file); }
    }
    int sig = 0;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    pthread_mutex_destroy(&s.mu);
    crm_sandbox_faults_free(s.faults);
    sqlite3_close(s.db);
    return CRM_SANDBOX_OK;
}
