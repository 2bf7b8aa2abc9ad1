#define _DEFAULT_SOURCE /* realpath */
/* crm_api.c: the HTTP side of crmsyncd's API (see crm_api.h, docs/api.md): libmicrohttpd
 * glue, body limit, bearer authentication, CORS, routing, static files. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include "crm/crm.h"
#include "api/api_int.h"

/* ------------------------------------------------------------------ replies */
void api_reply_json(api_reply *r, unsigned status, cJSON *obj) {
    free(r->body);
    r->body = obj ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    r->status = r->body ? status : 500;
    if (r->body == NULL) r->body = strdup("{\"ok\":false,\"error\":{\"code\":\"E_NOMEM\",\"message\":\"out of memory\"}}");
    r->ctype = NULL;
}

static void reply_err(api_reply *r, unsigned status, const char *code, const char *path, const char *msg) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddFalseToObject(o, "ok");
    cJSON *e = cJSON_AddObjectToObject(o, "error");
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", msg);
    if (path && *path) cJSON_AddStringToObject(e, "path", path);
    api_reply_json(r, status, o);
}

void api_reply_error(api_reply *r, unsigned status, const char *code, const char *path, const char *fmt, ...) {
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply_err(r, status, code, path, msg);
}

void api_reply_core_error(api_reply *r, unsigned status, const cJSON *error) {
    const char *code = api_str(error, "code");
    reply_err(r, status, *code ? code : "E_INTERNAL", api_str(error, "path"),
              *api_str(error, "message") ? api_str(error, "message") : "the rules core refused the request");
}

void api_reply_sf_error(api_reply *r, crm_api *api, crm_sf_status st) {
    /* crm_sf_errmsg never holds a token (crm_sf.h) */
    const char *m = api->sf ? crm_sf_errmsg(api->sf) : "";
    unsigned status = st == CRM_SF_E_LIMIT ? 503 : 502;
    api_reply_error(r, status, "E_SALESFORCE", NULL, "Salesforce: %s%s%.400s", crm_sf_status_str(st), *m ? ": " : "", m);
}

void api_reply_store_error(api_reply *r, crm_api *api, crm_store_status st) {
    unsigned status = st == CRM_STORE_E_BUSY ? 503 : 500;
    api_reply_error(r, status, "E_STORE", NULL, "store: %s: %.400s", crm_store_status_str(st), crm_store_errmsg(api->store));
}

void api_rfc3339(time_t t, char *buf, size_t cap) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ------------------------------------------------------------------ Salesforce */
crm_sf_status api_sf(crm_api *api, crm_sf **out) {
    if (api->sf == NULL) {
        char *err = NULL;
        crm_sf_status st = crm_sf_open(&api->sfc, &api->sf, &err);
        if (st != CRM_SF_OK) {
            if (api->log) fprintf(api->log, "api: Salesforce connection failed: %s: %s\n", crm_sf_status_str(st), err ? err : "");
            free(err);
            *out = NULL;
            return st;
        }
        free(err);
    }
    *out = api->sf;
    return CRM_SF_OK;
}

static void sf_drop_if_stale(crm_api *api, unsigned status) {
    /* after an auth or network failure, start the next request with a fresh connection */
    if (status == 502 && api->sf) { crm_sf_close(api->sf); api->sf = NULL; }
}

void api_cache_clear(crm_api *api) {
    for (size_t i = 0; i < API_CACHE_SLOTS; i++) {
        free(api->cache[i].key);
        cJSON_Delete(api->cache[i].records);
        memset(&api->cache[i], 0, sizeof api->cache[i]);
    }
}

/* ------------------------------------------------------------------ helpers */
/* Constant-time comparison: time depends on the length of `expected` only. */
static bool token_equal(const char *given, const char *expected) {
    size_t gl = strlen(given), el = strlen(expected);
    volatile unsigned char diff = (unsigned char)(gl != el);
    for (size_t i = 0; i < el; i++) {
        unsigned char g = i < gl ? (unsigned char)given[i] : 0;
        diff |= (unsigned char)(g ^ (unsigned char)expected[i]);
    }
    return diff == 0;
}

static const char *header(struct MHD_Connection *c, const char *name) {
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static const char *query_arg(struct MHD_Connection *c, const char *name) {
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

static const char *allowed_origin(crm_api *api, struct MHD_Connection *c) {
    const char *o = header(c, "Origin");
    if (o == NULL) return NULL;
    for (size_t i = 0; i < api->n_origins; i++)
        if (strcmp(api->origins[i], o) == 0) return api->origins[i];
    return NULL;
}

/* ------------------------------------------------------------------ static files */
static const char *mime_type(const char *path) {
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"}, {".json", "application/json"},
        {".wasm", "application/wasm"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".gif", "image/gif"}, {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"}, {".md", "text/plain; charset=utf-8"}, {".xml", "application/xml"},
        {".map", "application/json"}, {".woff2", "font/woff2"}, {".woff", "font/woff"},
    };
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

/* True when some static prefix owns `url` (the reply is filled). */
static bool serve_static(crm_api *api, const char *method, const char *url, api_reply *r) {
    const api_static *s = NULL;
    for (size_t i = 0; i < api->n_statics; i++) {
        size_t pl = strlen(api->statics[i].prefix);
        if (strncmp(url, api->statics[i].prefix, pl) == 0) { s = &api->statics[i]; break; }
        /* "/sidebar" without the slash: redirect */
        if (strncmp(url, api->statics[i].prefix, pl - 1) == 0 && url[pl - 1] == '\0') {
            r->status = 301;
            snprintf(r->location, sizeof r->location, "%s", api->statics[i].prefix);
            return true;
        }
    }
    if (s == NULL) return false;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        r->allow = "GET, HEAD";
        api_reply_error(r, 405, "E_METHOD", NULL, "static files answer GET and HEAD only");
        return true;
    }
    const char *rel = url + strlen(s->prefix);
    /* MHD has already percent-decoded the path: refuse "..", backslashes and control bytes */
    for (const char *p = rel; *p; p++)
        if (*p == '\\' || (unsigned char)*p < 0x20) { api_reply_error(r, 400, "E_BAD_PATH", NULL, "bad path"); return true; }
    for (const char *p = rel; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if ((n == 2 && p[0] == '.' && p[1] == '.') || (n == 1 && p[0] == '.')) {
            api_reply_error(r, 400, "E_BAD_PATH", NULL, "'.' and '..' are not allowed in paths");
            return true;
        }
        p += n;
        if (*p == '/') p++;
    }
    char path[PATH_MAX];
    size_t rl = strlen(rel);
    int k = snprintf(path, sizeof path, "%s/%s%s", s->dir, rel, (rl == 0 || rel[rl - 1] == '/') ? "index.html" : "");
    if (k < 0 || (size_t)k >= sizeof path) { api_reply_error(r, 404, "E_NOT_FOUND", NULL, "no such file"); return true; }
    char real[PATH_MAX];
    size_t dl = strlen(s->dir);
    if (realpath(path, real) == NULL || strncmp(real, s->dir, dl) != 0 || (real[dl] != '/' && real[dl] != '\0')) {
        api_reply_error(r, 404, "E_NOT_FOUND", NULL, "no such file");
        return true;
    }
    struct stat sb;
    if (stat(real, &sb) != 0) { api_reply_error(r, 404, "E_NOT_FOUND", NULL, "no such file"); return true; }
    if (S_ISDIR(sb.st_mode)) {
        /* no listing: a directory named without its slash goes to its index */
        r->status = 301;
        snprintf(r->location, sizeof r->location, "%s/", url);
        return true;
    }
    if (!S_ISREG(sb.st_mode)) { api_reply_error(r, 404, "E_NOT_FOUND", NULL, "no such file"); return true; }
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { api_reply_error(r, 404, "E_NOT_FOUND", NULL, "no such file"); return true; }
    r->status = 200;
    r->fd = fd;
    r->fd_size = (uint64_t)sb.st_size;
    r->ctype = mime_type(real);
    return true;
}

/* ------------------------------------------------------------------ routing */
typedef void (*handler)(crm_api *, api_req *, api_reply *);
typedef struct route {
    const char *path;
    const char *method;
    handler fn;
    bool has_body;
} route;

static const route routes[] = {
    {"/api/v1/me", "GET", api_h_me, false},
    {"/api/v1/lookup", "POST", api_h_lookup, true},
    {"/api/v1/save", "POST", api_h_save, true},
    {"/api/v1/do-not-sync", "POST", api_h_dns_add, true},
    {"/api/v1/do-not-sync", "DELETE", api_h_dns_remove, true},
    {"/api/v1/records", "POST", api_h_records, true},
    {"/api/v1/status", "GET", api_h_status, false},
    {"/api/v1/threads", "POST", api_h_threads, true},
    {"/api/v1/issues", "GET", api_h_issues, false},
    {"/api/v1/me/settings", "PUT", api_h_settings, true},
    {"/api/v1/dev/items", "GET", api_h_dev_items, false},
};

/* The user a request acts for, or NULL with r filled (401/403/404). */
static api_user *authenticate(crm_api *api, struct MHD_Connection *c, bool *admin, api_reply *r) {
    *admin = false;
    const char *h = header(c, "Authorization");
    const char *tok = NULL;
    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        tok = h + 7;
        while (*tok == ' ') tok++;
    }
    api_user *who = NULL;
    bool is_admin = false;
    if (tok && *tok) {
        /* every token is compared (no early exit), each in constant time */
        for (size_t i = 0; i < api->n_users; i++)
            if (api->users[i].token && token_equal(tok, api->users[i].token)) who = &api->users[i];
        if (api->admin_token && token_equal(tok, api->admin_token)) is_admin = true;
    }
    if (!who && !is_admin) {
        api_reply_error(r, 401, "E_AUTH", NULL, tok ? "the bearer token is not valid" : "an Authorization: Bearer <token> header is required");
        return NULL;
    }
    const char *as = query_arg(c, "user");
    if (is_admin) {
        if (as == NULL || !*as) {
            api_reply_error(r, 400, "E_MISSING", "user", "the admin token acts for a user named by ?user=<email>");
            return NULL;
        }
        for (size_t i = 0; i < api->n_users; i++)
            if (strcasecmp(api->users[i].email, as) == 0) { *admin = true; return &api->users[i]; }
        api_reply_error(r, 404, "E_NOT_FOUND", "user", "no such user");
        return NULL;
    }
    if (as && *as && strcasecmp(as, who->email) != 0) {
        api_reply_error(r, 403, "E_FORBIDDEN", "user", "a user token acts for its own user only");
        return NULL;
    }
    return who;
}

static void dispatch(crm_api *api, struct MHD_Connection *c, const char *method, const char *url, const char *body, size_t body_len,
                     api_reply *r) {
    if (strcmp(url, "/healthz") == 0) {
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
            r->allow = "GET, HEAD";
            api_reply_error(r, 405, "E_METHOD", NULL, "method %s not allowed here", method);
            return;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddTrueToObject(o, "ok");
        cJSON_AddStringToObject(o, "version", crm_version());
        api_reply_json(r, 200, o);
        return;
    }
    const route *hit = NULL;
    bool path_known = false;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(routes[i].path, url) != 0) continue;
        if (routes[i].fn == api_h_dev_items && !api->dev_host) continue; /* dev host off: 404 */
        path_known = true;
        if (strcmp(routes[i].method, method) == 0) { hit = &routes[i]; break; }
    }
    if (hit == NULL) {
        if (path_known) {
            r->allow = strcmp(url, "/api/v1/do-not-sync") == 0 ? "POST, DELETE, OPTIONS" : NULL;
            if (r->allow == NULL)
                for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
                    if (strcmp(routes[i].path, url) == 0) {
                        r->allow = strcmp(routes[i].method, "GET") == 0 ? "GET, OPTIONS"
                                   : strcmp(routes[i].method, "POST") == 0 ? "POST, OPTIONS" : "PUT, OPTIONS";
                    }
            api_reply_error(r, 405, "E_METHOD", NULL, "method %s not allowed on %s", method, url);
            return;
        }
        if (serve_static(api, method, url, r)) return;
        api_reply_error(r, 404, "E_NOT_FOUND", NULL, "no such resource: %s", url);
        return;
    }
    api_req q;
    memset(&q, 0, sizeof q);
    q.method = method;
    q.path = url;
    q.conn = c;
    q.body = body;
    q.body_len = body_len;
    q.now = time(NULL);
    pthread_mutex_lock(&api->mu);
    q.user = authenticate(api, c, &q.admin, r);
    if (q.user != NULL) {
        if (hit->has_body) {
            const char *end = NULL;
            q.json = body_len ? cJSON_ParseWithLengthOpts(body, body_len, &end, 0) : NULL;
            if (q.json == NULL || !cJSON_IsObject(q.json)) {
                api_reply_error(r, 400, "E_JSON", NULL, "the request body must be a JSON object");
                cJSON_Delete(q.json);
                q.json = NULL;
                pthread_mutex_unlock(&api->mu);
                return;
            }
        }
        hit->fn(api, &q, r);
        sf_drop_if_stale(api, r->status);
        cJSON_Delete(q.json);
    }
    pthread_mutex_unlock(&api->mu);
}

/* ------------------------------------------------------------------ MHD glue */
typedef struct conn_state {
    bool started, too_big;
    char *body;
    size_t n, cap;
} conn_state;

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)c;
    (void)toe;
    conn_state *cs = *con_cls;
    if (cs) { free(cs->body); free(cs); }
    *con_cls = NULL;
}

static void add_cors(crm_api *api, struct MHD_Connection *c, struct MHD_Response *resp) {
    const char *o = allowed_origin(api, c);
    if (o) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", o);
        MHD_add_response_header(resp, "Access-Control-Expose-Headers", "Content-Type");
    }
    if (api->n_origins) MHD_add_response_header(resp, "Vary", "Origin");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls) {
    (void)version;
    crm_api *api = cls;
    conn_state *cs = *con_cls;
    if (cs == NULL) {
        if ((cs = calloc(1, sizeof *cs)) == NULL) return MHD_NO;
        *con_cls = cs;
        /* a declared length over the limit is refused before reading it */
        const char *cl = header(c, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > API_MAX_BODY) cs->too_big = true;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!cs->too_big && cs->n + *upload_size > API_MAX_BODY) {
            cs->too_big = true;
            free(cs->body);
            cs->body = NULL;
            cs->n = cs->cap = 0;
        }
        if (!cs->too_big) {
            if (cs->n + *upload_size + 1 > cs->cap) {
                size_t nc = cs->cap ? cs->cap : 4096;
                while (nc < cs->n + *upload_size + 1) nc *= 2;
                char *nb = realloc(cs->body, nc);
                if (nb == NULL) return MHD_NO;
                cs->body = nb;
                cs->cap = nc;
            }
            memcpy(cs->body + cs->n, upload, *upload_size);
            cs->n += *upload_size;
            cs->body[cs->n] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    api_reply r;
    memset(&r, 0, sizeof r);
    r.fd = -1;
    bool preflight = strcmp(method, "OPTIONS") == 0;
    if (preflight) r.status = 204;
    else if (cs->too_big) api_reply_error(&r, 413, "E_TOO_LARGE", NULL, "the request body is over %zu bytes", API_MAX_BODY);
    else dispatch(api, c, method, url, cs->body ? cs->body : "", cs->n, &r);
    if (r.status == 0) r.status = 500;
    struct MHD_Response *resp;
    if (r.fd >= 0) resp = MHD_create_response_from_fd64(r.fd_size, r.fd);
    else if (r.body) resp = MHD_create_response_from_buffer(strlen(r.body), r.body, MHD_RESPMEM_MUST_FREE);
    else resp = MHD_create_response_from_buffer(0, (void *)(uintptr_t) "", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        free(r.body);
        if (r.fd >= 0) close(r.fd);
        return MHD_NO;
    }
    if (r.fd >= 0 || r.body) MHD_add_response_header(resp, "Content-Type", r.ctype ? r.ctype : "application/json; charset=utf-8");
    if (r.fd < 0) MHD_add_response_header(resp, "Cache-Control", "no-store");
    else MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r.location[0]) MHD_add_response_header(resp, "Location", r.location);
    if (r.allow) MHD_add_response_header(resp, "Allow", r.allow);
    add_cors(api, c, resp);
    if (preflight && allowed_origin(api, c)) {
        MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS");
        MHD_add_response_header(resp, "Access-Control-Allow-Headers", "Authorization, Content-Type");
        MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
    }
    enum MHD_Result rc = MHD_queue_response(c, r.status, resp);
    MHD_destroy_response(resp);
    if (api->log) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        /* the path only: no query string, no headers (tokens never reach the log) */
        fprintf(api->log, "api: %s %.200s -> %u (%ld ms)\n", method, url, r.status, ms);
        fflush(api->log);
    }
    return rc;
}

/* ------------------------------------------------------------------ lifecycle */
crm_api_status crm_api_start(const cJSON *config, const crm_api_opts *opts, crm_api **out, char **err) {
    *out = NULL;
    *err = NULL;
    crm_api *api = calloc(1, sizeof *api);
    if (api == NULL) return CRM_API_E_NOMEM;
    api->log = opts ? opts->log : NULL;
    pthread_mutex_init(&api->mu, NULL);
    api->config = cJSON_Duplicate(config, 1);
    api->engine = crm_engine_new();
    if (api->config == NULL || api->engine == NULL) { crm_api_stop(api); return CRM_API_E_NOMEM; }
    const char *store_path = api_str(config, "store");
    if (!*store_path) { *err = strdup("\"store\" (the store file) is required"); crm_api_stop(api); return CRM_API_E_CONFIG; }
    crm_store_status ss = crm_store_open(store_path, NULL, &api->store);
    if (ss != CRM_STORE_OK) {
        char m[600];
        snprintf(m, sizeof m, "store %s: %s", store_path, api->store ? crm_store_errmsg(api->store) : crm_store_status_str(ss));
        *err = strdup(m);
        crm_api_stop(api);
        return CRM_API_E_STORE;
    }
    crm_api_status st = crm_api_bootstrap(api->store, api->config, err);
    if (st == CRM_API_OK) st = api_setup(api, err);
    if (st != CRM_API_OK) { crm_api_stop(api); return st; }

    const cJSON *a = cJSON_GetObjectItemCaseSensitive(config, "api");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(a, "port");
    int port = opts && opts->port >= 0 ? opts->port : (cJSON_IsNumber(p) ? (int)p->valuedouble : 8787);
    if (port < 0 || port > 65535) { *err = strdup("api.port must be 0..65535"); crm_api_stop(api); return CRM_API_E_CONFIG; }
    const char *bind_addr = api_str(a, "bind");
    if (!*bind_addr) bind_addr = "127.0.0.1";
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, bind_addr, &addr.sin_addr) != 1) {
        *err = strdup("api.bind must be an IPv4 address");
        crm_api_stop(api);
        return CRM_API_E_CONFIG;
    }
    api->daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
                                   on_request, api, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                   MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
                                   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
                                   MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
    if (api->daemon == NULL) {
        char m[200];
        snprintf(m, sizeof m, "cannot listen on %s:%d", bind_addr, port);
        *err = strdup(m);
        crm_api_stop(api);
        return CRM_API_E_LISTEN;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(api->daemon, MHD_DAEMON_INFO_BIND_PORT);
    api->port = info ? info->port : (unsigned)port;
    *out = api;
    return CRM_API_OK;
}

unsigned crm_api_port(const crm_api *api) { return api->port; }

void crm_api_stop(crm_api *api) {
    if (api == NULL) return;
    if (api->daemon) MHD_stop_daemon(api->daemon);
    api_teardown(api);
    pthread_mutex_destroy(&api->mu);
    free(api);
}
