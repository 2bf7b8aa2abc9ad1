/* tests/integration/sandbox/test_sandbox.c: starts the real sandbox org (`crmsync sandbox
 * serve`) on a free loopback port with a temporary database, drives it over HTTP with
 * libcurl and checks shapes, status codes, paging, composite allOrNone, upsert
 * idempotency, every fault kind, call counting and seed determinism. Stops the server at
 * the end. Usage: test_sandbox path/to/crmsync */
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>

static int passed, failed;
static const char *crmsync;
static char dir[256], db[300], base[64];
static pid_t server_pid = -1;
static char token[256];

#define CHECK(cond, ...) check_((cond), __LINE__, __VA_ARGS__)
static void check_(bool ok, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void check_(bool ok, int line, const char *fmt, ...) {
    if (ok) { passed++; return; }
    failed++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL (line %d): ", line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ------------------------------------------------------------------ HTTP */
typedef struct resp {
    long status;
    int curl_rc;
    char *body;
    size_t n;
    char limit_info[128];
    cJSON *json;
} resp;

static size_t on_body(char *p, size_t sz, size_t nm, void *ud) {
    resp *r = ud;
    size_t len = sz * nm;
    char *nb = realloc(r->body, r->n + len + 1);
    if (!nb) return 0;
    r->body = nb;
    memcpy(r->body + r->n, p, len);
    r->n += len;
    r->body[r->n] = '\0';
    return len;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud) {
    resp *r = ud;
    size_t len = sz * nm;
    if (len > 18 && strncasecmp(p, "Sforce-Limit-Info:", 18) == 0) {
        size_t l = len - 18;
        const char *v = p + 18;
        while (l && (*v == ' ')) { v++; l--; }
        while (l && (v[l - 1] == '\r' || v[l - 1] == '\n')) l--;
        snprintf(r->limit_info, sizeof r->limit_info, "%.*s", (int)l, v);
    }
    return len;
}

static void resp_free(resp *r) {
    free(r->body);
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}

/* auth: NULL none, "" the current token */
static resp http(const char *method, const char *path, const char *body, const char *auth, const char *ctype) {
    resp r;
    memset(&r, 0, sizeof r);
    CURL *c = curl_easy_init();
    char url[20000], hdr[400];
    snprintf(url, sizeof url, "%s%s", base, path);
    struct curl_slist *h = NULL;
    if (auth) {
        snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", auth[0] ? auth : token);
        h = curl_slist_append(h, hdr);
    }
    if (body) h = curl_slist_append(h, ctype ? ctype : "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    r.curl_rc = (int)curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (r.body) r.json = cJSON_Parse(r.body);
    return r;
}

static char *esc(const char *s) {
    CURL *c = curl_easy_init();
    char *e = curl_easy_escape(c, s, 0);
    char *out = strdup(e);
    curl_free(e);
    curl_easy_cleanup(c);
    return out;
}

static resp query(const char *soql) {
    char *q = esc(soql);
    char *path = malloc(strlen(q) + 64);
    sprintf(path, "/services/data/v62.0/query?q=%s", q);
    resp r = http("GET", path, NULL, "", NULL);
    free(q);
    free(path);
    return r;
}

static const char *jstr(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* errorCode of a single-record error array */
static const char *err_code(const resp *r) {
    const cJSON *e = cJSON_GetArrayItem(r->json, 0);
    const char *c = jstr(e, "errorCode");
    return c ? c : "";
}

static bool refresh(void) {
    resp r = http("POST", "/services/oauth2/token",
                  "grant_type=refresh_token&client_id=crmsync-sandbox&refresh_token=sandbox-refresh-token&client_secret=x", NULL,
                  "Content-Type: application/x-www-form-urlencoded");
    bool ok = r.status == 200 && jstr(r.json, "access_token");
    if (ok) snprintf(token, sizeof token, "%s", jstr(r.json, "access_token"));
    resp_free(&r);
    return ok;
}

/* ------------------------------------------------------------- processes */
/* Runs crmsync with the given arguments (NULL-terminated), capturing stdout into out. */
static int run(char *out, size_t cap, ...) {
    char *argv[16];
    int argc = 0;
    argv[argc++] = strdup(crmsync);
    va_list ap;
    va_start(ap, cap);
    for (const char *a; argc < 15 && (a = va_arg(ap, const char *)) != NULL;) argv[argc++] = strdup(a);
    va_end(ap);
    argv[argc] = NULL;
    int pfd[2];
    if (pipe(pfd) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(pfd[1]);
    size_t n = 0;
    ssize_t got;
    while (out && n + 1 < cap && (got = read(pfd[0], out + n, cap - n - 1)) > 0) n += (size_t)got;
    if (out) out[n] = '\0';
    char sink[512];
    while (read(pfd[0], sink, sizeof sink) > 0) {}
    close(pfd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    for (int i = 0; i < argc; i++) free(argv[i]);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void seed_db(const char *path, const char *size, const char *seed) {
    char out[512];
    int rc = run(out, sizeof out, "sandbox", "seed", "--db", path, "--size", size, "--seed", seed, (const char *)NULL);
    CHECK(rc == 0, "seed %s exits 0 (got %d)", path, rc);
}

static cJSON *stats_cli(const char *path) {
    static char out[1 << 16];
    int rc = run(out, sizeof out, "sandbox", "stats", "--db", path, (const char *)NULL);
    CHECK(rc == 0, "stats exits 0");
    return cJSON_Parse(out);
}

static bool start_server(const char *faults) {
    char pf[400];
    snprintf(pf, sizeof pf, "%s/port", dir);
    unlink(pf);
    server_pid = fork();
    if (server_pid == 0) {
        freopen("/dev/null", "w", stdout);
        execl(crmsync, crmsync, "sandbox", "serve", "--db", db, "--port", "0", "--port-file", pf, "--faults", faults, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) { /* bounded: 10 s */
        FILE *f = fopen(pf, "r");
        if (f) {
            unsigned port = 0;
            int ok = fscanf(f, "%u", &port);
            fclose(f);
            if (ok == 1 && port) { snprintf(base, sizeof base, "http://127.0.0.1:%u", port); return true; }
        }
        int st;
        if (waitpid(server_pid, &st, WNOHANG) == server_pid) { server_pid = -1; return false; }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

static void stop_server(void) {
    if (server_pid <= 0) return;
    kill(server_pid, SIGTERM);
    for (int i = 0; i < 100; i++) { /* bounded: 5 s, then SIGKILL */
        int st;
        if (waitpid(server_pid, &st, WNOHANG) == server_pid) { server_pid = -1; return; }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kill(server_pid, SIGKILL);
    waitpid(server_pid, NULL, 0);
    server_pid = -1;
}

static void set_faults(const char *spec) {
    resp r = http("PUT", "/sandbox/faults", spec, NULL, "Content-Type: text/plain");
    CHECK(r.status == 200, "PUT /sandbox/faults '%s' -> 200 (got %ld)", spec, r.status);
    resp_free(&r);
}

static double stat_num(const char *obj, const char *key) {
    resp r = http("GET", "/sandbox/stats", NULL, NULL, NULL);
    const cJSON *o = obj ? cJSON_GetObjectItemCaseSensitive(r.json, obj) : r.json;
    double v = jnum(o, key);
    resp_free(&r);
    return v;
}

/* an independent 15 -> 18 check */
static bool id_ok(const char *id, const char *prefix) {
    if (!id || strlen(id) != 18 || strncmp(id, prefix, 3) != 0) return false;
    for (int c = 0; c < 3; c++) {
        int f = 0;
        for (int j = 0; j < 5; j++) if (id[c * 5 + j] >= 'A' && id[c * 5 + j] <= 'Z') f |= 1 << j;
        if (id[15 + c] != "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[f]) return false;
    }
    return true;
}

/* ------------------------------------------------------------------ tests */
static void test_seed_determinism(void) {
    char a[300], b[300];
    snprintf(a, sizeof a, "%s/a.db", dir);
    snprintf(b, sizeof b, "%s/b.db", dir);
    seed_db(a, "500", "42");
    seed_db(b, "500", "42");
    cJSON *sa = stats_cli(a), *sb = stats_cli(b);
    const char *ha = jstr(sa, "data_sha256"), *hb = jstr(sb, "data_sha256");
    CHECK(ha && hb && strcmp(ha, hb) == 0, "same seed -> same data hash (%s vs %s)", ha ? ha : "-", hb ? hb : "-");
    CHECK(jnum(cJSON_GetObjectItemCaseSensitive(sa, "records"), "Contact") == 500, "seed --size 500 makes 500 contacts");
    CHECK(jnum(cJSON_GetObjectItemCaseSensitive(sa, "records"), "Account") == 125, "and 125 accounts");
    seed_db(b, "500", "43");
    cJSON *sc = stats_cli(b);
    const char *hc = jstr(sc, "data_sha256");
    CHECK(hc && ha && strcmp(ha, hc) != 0, "another seed -> another hash");
    seed_db(b, "500", "42"); /* reseeding the same file replaces the data */
    cJSON *sd = stats_cli(b);
    CHECK(jstr(sd, "data_sha256") && ha && strcmp(ha, jstr(sd, "data_sha256")) == 0, "reseeding a used file gives the same hash");
    cJSON_Delete(sa);
    cJSON_Delete(sb);
    cJSON_Delete(sc);
    cJSON_Delete(sd);
}

static void test_versions_and_oauth(void) {
    resp r = http("GET", "/services/data/", NULL, NULL, NULL);
    CHECK(r.status == 200 && cJSON_IsArray(r.json), "versions: 200 with an array");
    bool found = false;
    const cJSON *v;
    cJSON_ArrayForEach(v, r.json) if (jstr(v, "version") && strcmp(jstr(v, "version"), "62.0") == 0 && jstr(v, "label") &&
                                      strcmp(jstr(v, "url"), "/services/data/v62.0") == 0) found = true;
    CHECK(found, "versions list has {label, url /services/data/v62.0, version 62.0}");
    CHECK(r.limit_info[0] == '\0', "versions answer has no Sforce-Limit-Info");
    resp_free(&r);

    r = http("POST", "/services/oauth2/token", "grant_type=refresh_token&client_id=crmsync-sandbox&refresh_token=wrong", NULL,
             "Content-Type: application/x-www-form-urlencoded");
    CHECK(r.status == 400 && jstr(r.json, "error") && strcmp(jstr(r.json, "error"), "invalid_grant") == 0 && jstr(r.json, "error_description"),
          "bad refresh token -> 400 invalid_grant (got %ld %s)", r.status, r.body ? r.body : "");
    resp_free(&r);
    r = http("POST", "/services/oauth2/token", "grant_type=refresh_token&client_id=crmsync-sandbox&refresh_token=sandbox-refresh-token", NULL,
             "Content-Type: application/x-www-form-urlencoded");
    CHECK(r.status == 200, "refresh -> 200");
    CHECK(jstr(r.json, "access_token") && jstr(r.json, "signature") && jstr(r.json, "id") && jstr(r.json, "scope"), "token fields present");
    CHECK(jstr(r.json, "instance_url") && strcmp(jstr(r.json, "instance_url"), base) == 0, "instance_url is the sandbox's base URL");
    CHECK(jstr(r.json, "token_type") && strcmp(jstr(r.json, "token_type"), "Bearer") == 0, "token_type Bearer");
    CHECK(jstr(r.json, "issued_at") && strlen(jstr(r.json, "issued_at")) >= 13, "issued_at is ms since epoch, as a string");
    if (jstr(r.json, "access_token")) snprintf(token, sizeof token, "%s", jstr(r.json, "access_token"));
    resp_free(&r);

}

static void test_unauthenticated(void) {
    resp r = http("GET", "/services/data/v62.0/limits", NULL, NULL, NULL);
    CHECK(r.status == 401 && strcmp(err_code(&r), "INVALID_SESSION_ID") == 0 &&
              strcmp(jstr(cJSON_GetArrayItem(r.json, 0), "message"), "Session expired or invalid") == 0,
          "no Authorization -> 401 INVALID_SESSION_ID");
    resp_free(&r);
    r = http("GET", "/services/data/v62.0/limits", NULL, "not-a-token", NULL);
    CHECK(r.status == 401 && strcmp(err_code(&r), "INVALID_SESSION_ID") == 0, "unknown token -> 401");
    resp_free(&r);
}

static void test_startup_fault(void) {
    /* the server was started with --faults error:nth=1: the first API call fails with 500 */
    resp r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
    CHECK(r.status == 500 && strcmp(err_code(&r), "UNKNOWN_EXCEPTION") == 0, "--faults error:nth=1 -> first call 500 UNKNOWN_EXCEPTION (got %ld)", r.status);
    resp_free(&r);
    r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
    CHECK(r.status == 200, "second call succeeds");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(r.json, "DailyApiRequests");
    CHECK(jnum(d, "Max") == 100000 && jnum(d, "Remaining") >= 0 && jnum(d, "Remaining") < 100000, "limits: DailyApiRequests Max/Remaining");
    long used = -1, max = -1;
    CHECK(sscanf(r.limit_info, "api-usage=%ld/%ld", &used, &max) == 2 && max == 100000 && used == 100000 - (long)jnum(d, "Remaining"),
          "Sforce-Limit-Info api-usage=N/M matches limits (%s)", r.limit_info);
    resp_free(&r);
    set_faults("");
}

static void test_query(void) {
    resp r = query("SELECT Id, Email, FirstName, LastName, AccountId FROM Contact");
    CHECK(r.status == 200, "query -> 200");
    CHECK(jnum(r.json, "totalSize") == 3000, "totalSize counts every row (got %g)", jnum(r.json, "totalSize"));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r.json, "done")), "done false on the first page");
    const cJSON *recs = cJSON_GetObjectItemCaseSensitive(r.json, "records");
    CHECK(cJSON_GetArraySize(recs) == 2000, "first page has 2000 rows");
    const char *next = jstr(r.json, "nextRecordsUrl");
    CHECK(next && strncmp(next, "/services/data/v62.0/query/", 27) == 0 && strlen(next) > 5 && strcmp(next + strlen(next) - 5, "-2000") == 0,
          "nextRecordsUrl /services/data/v62.0/query/<locator>-2000 (got %s)", next ? next : "-");
    const cJSON *first = cJSON_GetArrayItem(recs, 0);
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(first, "attributes");
    char want[200];
    snprintf(want, sizeof want, "/services/data/v62.0/sobjects/Contact/%s", jstr(first, "Id") ? jstr(first, "Id") : "");
    CHECK(jstr(at, "type") && strcmp(jstr(at, "type"), "Contact") == 0 && jstr(at, "url") && strcmp(jstr(at, "url"), want) == 0,
          "records carry attributes {type, url}");
    CHECK(id_ok(jstr(first, "Id"), "003"), "Contact ids: 18 chars, 003 prefix, checksum");
    CHECK(cJSON_GetObjectItemCaseSensitive(first, "AccountId") != NULL, "selected null fields are present");
    char **ids = calloc(3000, sizeof *ids);
    char *emails[200];
    int n = 0, ne = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, recs) {
        if (n < 3000) ids[n++] = strdup(jstr(rec, "Id"));
        if (ne < 200 && jstr(rec, "Email")) emails[ne++] = strdup(jstr(rec, "Email"));
    }
    char *next_copy = next ? strdup(next) : NULL;
    resp_free(&r);
    if (next_copy) {
        r = http("GET", next_copy, NULL, "", NULL);
        CHECK(r.status == 200 && jnum(r.json, "totalSize") == 3000, "second page -> 200, same totalSize");
        CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r.json, "done")) && !jstr(r.json, "nextRecordsUrl"), "last page: done, no nextRecordsUrl");
        recs = cJSON_GetObjectItemCaseSensitive(r.json, "records");
        CHECK(cJSON_GetArraySize(recs) == 1000, "second page has the other 1000 rows");
        cJSON_ArrayForEach(rec, recs) if (n < 3000) ids[n++] = strdup(jstr(rec, "Id"));
        resp_free(&r);
    }
    int dups = 0;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) if (strcmp(ids[i], ids[j]) == 0) dups++;
    CHECK(n == 3000 && dups == 0, "pages together hold 3000 distinct ids (n=%d, dups=%d)", n, dups);
    for (int i = 0; i < n; i++) free(ids[i]);
    free(ids);
    free(next_copy);

    /* IN list of 200 addresses (case-insensitive) */
    size_t cap = 64 + 200 * 100;
    char *soql = malloc(cap);
    size_t len = (size_t)snprintf(soql, cap, "SELECT Id, Email FROM Contact WHERE Email IN (");
    for (int i = 0; i < ne; i++) {
        char up[100];
        snprintf(up, sizeof up, "%s", emails[i]);
        if (i % 2) for (char *p = up; *p; p++) if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 32);
        len += (size_t)snprintf(soql + len, cap - len, "%s'%s'", i ? "," : "", up);
    }
    snprintf(soql + len, cap - len, ")");
    r = query(soql);
    recs = cJSON_GetObjectItemCaseSensitive(r.json, "records");
    bool all_in = true;
    cJSON_ArrayForEach(rec, recs) {
        bool in = false;
        for (int i = 0; i < ne; i++) if (jstr(rec, "Email") && strcasecmp(jstr(rec, "Email"), emails[i]) == 0) in = true;
        if (!in) all_in = false;
    }
    CHECK(r.status == 200 && cJSON_GetArraySize(recs) >= ne && all_in, "Email IN (200 addresses, mixed case) finds them all (%d rows)",
          cJSON_GetArraySize(recs));
    resp_free(&r);
    free(soql);
    for (int i = 0; i < ne; i++) free(emails[i]);

    r = query("SELECT COUNT() FROM Contact");
    CHECK(r.status == 200 && jnum(r.json, "totalSize") == 3000 && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r.json, "records")) == 0,
          "COUNT() -> totalSize, no records");
    resp_free(&r);
    r = query("select count() from contact where Email != null and (AccountId = null or not Email like '%gmail.com')");
    CHECK(r.status == 200 && jnum(r.json, "totalSize") > 0 && jnum(r.json, "totalSize") < 3000, "lower-case keywords, NOT, LIKE, null, parentheses");
    resp_free(&r);

    r = query("SELECT Email FROM Contact WHERE Email != null ORDER BY Email DESC, LastName ASC LIMIT 5");
    recs = cJSON_GetObjectItemCaseSensitive(r.json, "records");
    bool sorted = cJSON_GetArraySize(recs) == 5;
    for (int i = 1; i < cJSON_GetArraySize(recs); i++)
        if (strcasecmp(jstr(cJSON_GetArrayItem(recs, i - 1), "Email"), jstr(cJSON_GetArrayItem(recs, i), "Email")) < 0) sorted = false;
    CHECK(r.status == 200 && sorted && jnum(r.json, "totalSize") == 5, "ORDER BY ... DESC, ... ASC LIMIT 5");
    resp_free(&r);

    r = query("SELECT Id, CloseDate, IsClosed, StageName FROM Opportunity WHERE IsClosed = false AND CloseDate > 2026-11-01");
    recs = cJSON_GetObjectItemCaseSensitive(r.json, "records");
    bool ok = r.status == 200 && cJSON_GetArraySize(recs) > 0;
    cJSON_ArrayForEach(rec, recs) {
        if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(rec, "IsClosed"))) ok = false;
        if (!jstr(rec, "CloseDate") || strcmp(jstr(rec, "CloseDate"), "2026-11-01") <= 0) ok = false;
    }
    CHECK(ok, "boolean and date literals: open opportunities closing after 2026-11-01");
    resp_free(&r);
    r = query("SELECT COUNT() FROM Opportunity WHERE StageName IN ('Closed Won', 'Closed Lost')");
    double closed = jnum(r.json, "totalSize");
    resp_free(&r);
    r = query("SELECT COUNT() FROM Opportunity WHERE IsClosed = true");
    CHECK(closed > 0 && jnum(r.json, "totalSize") == closed, "IsClosed follows StageName in the seed");
    resp_free(&r);
    r = query("SELECT Id FROM Contact WHERE CreatedDate < 2030-01-01T00:00:00Z AND CreatedDate > 2020-01-01T00:00:00+02:00 LIMIT 1");
    CHECK(r.status == 200 && jnum(r.json, "totalSize") == 1, "datetime literals with offsets");
    resp_free(&r);
    r = query("SELECT COUNT(Email) FROM Contact");
    const cJSON *agg = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r.json, "records"), 0);
    CHECK(r.status == 200 && jnum(agg, "expr0") > 2000 && jnum(agg, "expr0") < 3000, "COUNT(field) -> AggregateResult expr0");
    resp_free(&r);

    static const struct { const char *q, *code; } bad[] = {
        {"SELECT Id FROM Contact WHERE", "MALFORMED_QUERY"},
        {"SELECT Id FROM Contact WHERE Email = 'a' AND Email = 'b' OR Email = 'c'", "MALFORMED_QUERY"},
        {"SELECT Id, FROM Contact", "MALFORMED_QUERY"},
        {"SELECT Id FROM Contact LIMIT x", "MALFORMED_QUERY"},
        {"SELECT Nope FROM Contact", "INVALID_FIELD"},
        {"SELECT Id FROM Contact WHERE Nope = 'x'", "INVALID_FIELD"},
        {"SELECT Id FROM Contact ORDER BY Nope", "INVALID_FIELD"},
        {"SELECT Id FROM Nope", "INVALID_TYPE"},
        {"SELECT Id FROM Opportunity WHERE IsClosed = 'false'", "INVALID_QUERY_FILTER_OPERATOR"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = query(bad[i].q);
        CHECK(r.status == 400 && strcmp(err_code(&r), bad[i].code) == 0 && jstr(cJSON_GetArrayItem(r.json, 0), "message"),
              "%s -> 400 %s (got %ld %s)", bad[i].q, bad[i].code, r.status, err_code(&r));
        resp_free(&r);
    }
    r = http("GET", "/services/data/v62.0/query/01gNOPE-2000", NULL, "", NULL);
    CHECK(r.status == 400 && strcmp(err_code(&r), "INVALID_QUERY_LOCATOR") == 0, "unknown locator -> INVALID_QUERY_LOCATOR");
    resp_free(&r);
}

static void test_sobjects(void) {
    resp r = http("POST", "/services/data/v62.0/sobjects/Contact", "{\"FirstName\":\"Ana\",\"LastName\":\"Sandbox-Test\",\"Email\":\"ana@example.com\"}", "", NULL);
    CHECK(r.status == 201 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r.json, "success")) &&
              cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r.json, "errors")) == 0 && id_ok(jstr(r.json, "id"), "003"),
          "POST sobjects/Contact -> 201 {id, success:true, errors:[]} (got %ld %s)", r.status, r.body ? r.body : "");
    char id[19] = "", path[200];
    if (jstr(r.json, "id")) snprintf(id, sizeof id, "%s", jstr(r.json, "id"));
    resp_free(&r);
    snprintf(path, sizeof path, "/services/data/v62.0/sobjects/Contact/%s", id);
    r = http("GET", path, NULL, "", NULL);
    CHECK(r.status == 200 && jstr(r.json, "Email") && strcmp(jstr(r.json, "Email"), "ana@example.com") == 0 && jstr(r.json, "Name") &&
              strcmp(jstr(r.json, "Name"), "Ana Sandbox-Test") == 0 && jstr(r.json, "OwnerId") && id_ok(jstr(r.json, "OwnerId"), "005"),
          "GET the record: fields, derived Name, default OwnerId");
    resp_free(&r);
    char id15[200];
    snprintf(id15, sizeof id15, "/services/data/v62.0/sobjects/Contact/%.15s?fields=Email", id);
    r = http("GET", id15, NULL, "", NULL);
    CHECK(r.status == 200 && jstr(r.json, "Email") && !cJSON_GetObjectItemCaseSensitive(r.json, "FirstName"), "15-char id and ?fields= work");
    resp_free(&r);
    r = http("PATCH", path, "{\"Email\":\"ana.new@example.com\"}", "", NULL);
    CHECK(r.status == 204 && r.n == 0, "PATCH -> 204 without a body");
    resp_free(&r);
    r = http("GET", path, NULL, "", NULL);
    CHECK(jstr(r.json, "Email") && strcmp(jstr(r.json, "Email"), "ana.new@example.com") == 0, "the update is stored");
    resp_free(&r);
    r = http("DELETE", path, NULL, "", NULL);
    CHECK(r.status == 204, "DELETE -> 204");
    resp_free(&r);
    r = http("GET", path, NULL, "", NULL);
    CHECK(r.status == 404 && strcmp(err_code(&r), "ENTITY_IS_DELETED") == 0, "deleted record -> 404 ENTITY_IS_DELETED");
    resp_free(&r);
    r = http("GET", "/services/data/v62.0/sobjects/Contact/003Sb00000ZZZZZ", NULL, "", NULL);
    CHECK(r.status == 404 && strcmp(err_code(&r), "NOT_FOUND") == 0, "unknown id -> 404 NOT_FOUND");
    resp_free(&r);

    static const struct { const char *type, *body, *code, *field; } bad[] = {
        {"Contact", "{\"FirstName\":\"No last\"}", "REQUIRED_FIELD_MISSING", "LastName"},
        {"Lead", "{\"LastName\":\"L\"}", "REQUIRED_FIELD_MISSING", "Company"},
        {"Lead", "{\"Company\":\"C\"}", "REQUIRED_FIELD_MISSING", "LastName"},
        {"Contact", "{\"LastName\":\"L\",\"Email\":\"not an email\"}", "INVALID_EMAIL_ADDRESS", "Email"},
        {"Contact", "{\"LastName\":\"L\",\"AccountId\":\"001Sb00000ZZZZZ\"}", "INVALID_CROSS_REFERENCE_KEY", "AccountId"},
        {"Contact", "{\"LastName\":\"L\",\"AccountId\":\"xyz\"}", "MALFORMED_ID", "AccountId"},
        {"Contact", "{\"LastName\":\"L\",\"Bogus__c\":1}", "INVALID_FIELD", NULL},
        {"Contact", "{\"LastName\":\"L\",\"Name\":\"N\"}", "INVALID_FIELD_FOR_INSERT_UPDATE", "Name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, "/services/data/v62.0/sobjects/%s", bad[i].type);
        r = http("POST", path, bad[i].body, "", NULL);
        const cJSON *e = cJSON_GetArrayItem(r.json, 0);
        const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "fields"), 0);
        CHECK(r.status == 400 && strcmp(err_code(&r), bad[i].code) == 0 && (!bad[i].field || (cJSON_IsString(f) && strcmp(f->valuestring, bad[i].field) == 0)),
              "%s %s -> 400 %s (got %ld %s)", bad[i].type, bad[i].body, bad[i].code, r.status, r.body ? r.body : "");
        resp_free(&r);
    }
    /* Subject is not required on a Task; it is limited to 255 characters (not bytes) */
    r = http("POST", "/services/data/v62.0/sobjects/Task", "{\"Description\":\"no subject\"}", "", NULL);
    CHECK(r.status == 201 && id_ok(jstr(r.json, "id"), "00T"), "Task without Subject -> 201, 00T id");
    resp_free(&r);
    char body[2000];
    size_t bl = (size_t)snprintf(body, sizeof body, "{\"Subject\":\"");
    for (int i = 0; i < 255; i++) bl += (size_t)snprintf(body + bl, sizeof body - bl, "\xc3\xa9"); /* 255 x e-acute = 510 bytes */
    snprintf(body + bl, sizeof body - bl, "\"}");
    r = http("POST", "/services/data/v62.0/sobjects/Task", body, "", NULL);
    CHECK(r.status == 201, "255 two-byte characters fit a 255-character Subject");
    resp_free(&r);
    body[bl] = '\0';
    snprintf(body + bl, sizeof body - bl, "x\"}");
    r = http("POST", "/services/data/v62.0/sobjects/Task", body, "", NULL);
    const cJSON *e = cJSON_GetArrayItem(r.json, 0);
    CHECK(r.status == 400 && strcmp(err_code(&r), "STRING_TOO_LONG") == 0 &&
              cJSON_IsString(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "fields"), 0)) &&
              strstr(jstr(e, "message"), "max length=255"),
          "256 characters -> 400 STRING_TOO_LONG with fields [Subject]");
    resp_free(&r);
    r = http("POST", "/services/data/v62.0/sobjects/Contact", "{\"LastName\":\"x\"}", "", "Content-Type: text/plain");
    CHECK(r.status == 415, "non-JSON content type -> 415");
    resp_free(&r);
    r = http("GET", "/services/data/v62.0/sobjects/Nope/describe", NULL, "", NULL);
    CHECK(r.status == 404 && strcmp(err_code(&r), "NOT_FOUND") == 0, "unknown sObject -> 404 NOT_FOUND");
    resp_free(&r);
}

static void test_describe(void) {
    static const struct { const char *obj, *field, *type; int length; bool ext, unique, nillable; } want[] = {
        {"Contact", "Email", "email", 80, false, false, true},
        {"Contact", "LastName", "string", 80, false, false, false},
        {"Contact", "FirstName", "string", 40, false, false, true},
        {"Lead", "Company", "string", 255, false, false, false},
        {"Task", "Subject", "combobox", 255, false, false, true},
        {"Task", "Description", "textarea", 32000, false, false, true},
        {"Task", "CrmSync_Key__c", "string", 255, true, true, true},
        {"EmailMessage", "Subject", "string", 3000, false, false, true},
        {"EmailMessage", "HtmlBody", "textarea", 131072, false, false, true},
        {"EmailMessage", "MessageIdentifier", "string", 765, false, false, true},
        {"Opportunity", "Name", "string", 120, false, false, false},
        {"Account", "Website", "url", 255, false, false, true},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char path[200];
        snprintf(path, sizeof path, "/services/data/v62.0/sobjects/%s/describe", want[i].obj);
        resp r = http("GET", path, NULL, "", NULL);
        const cJSON *f, *hit = NULL;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(r.json, "fields")) if (jstr(f, "name") && strcmp(jstr(f, "name"), want[i].field) == 0) hit = f;
        CHECK(r.status == 200 && hit && strcmp(jstr(hit, "type"), want[i].type) == 0 && jnum(hit, "length") == want[i].length &&
                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hit, "externalId")) == want[i].ext &&
                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hit, "unique")) == want[i].unique &&
                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hit, "nillable")) == want[i].nillable,
              "describe %s.%s: %s(%d) externalId=%d unique=%d nillable=%d", want[i].obj, want[i].field, want[i].type, want[i].length,
              want[i].ext, want[i].unique, want[i].nillable);
        resp_free(&r);
    }
}

static void test_upsert(void) {
    resp r = http("PATCH", "/services/data/v62.0/sobjects/Task/CrmSync_Key__c/key-one", "{\"Subject\":\"first\",\"Status\":\"Completed\"}", "", NULL);
    CHECK(r.status == 201 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r.json, "created")) && id_ok(jstr(r.json, "id"), "00T"),
          "upsert, no match -> 201 created:true");
    char id[19] = "";
    if (jstr(r.json, "id")) snprintf(id, sizeof id, "%s", jstr(r.json, "id"));
    resp_free(&r);
    r = http("PATCH", "/services/data/v62.0/sobjects/Task/CrmSync_Key__c/key-one", "{\"Subject\":\"second\"}", "", NULL);
    CHECK(r.status == 200 && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r.json, "created")) && jstr(r.json, "id") && strcmp(jstr(r.json, "id"), id) == 0,
          "same external id again -> 200 created:false, same id");
    resp_free(&r);
    r = query("SELECT Id, Subject, IsClosed FROM Task WHERE CrmSync_Key__c = 'key-one'");
    const cJSON *rec = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r.json, "records"), 0);
    CHECK(jnum(r.json, "totalSize") == 1 && jstr(rec, "Subject") && strcmp(jstr(rec, "Subject"), "second") == 0 &&
              cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "IsClosed")),
          "upsert twice -> one record, updated; Completed -> IsClosed");
    resp_free(&r);
    r = http("PATCH", "/services/data/v45.0/sobjects/Task/CrmSync_Key__c/key-one", "{\"Subject\":\"third\"}", "", NULL);
    CHECK(r.status == 204, "v45 upsert update -> 204 without a body");
    resp_free(&r);
    r = http("POST", "/services/data/v62.0/sobjects/Task", "{\"Subject\":\"dup\",\"CrmSync_Key__c\":\"KEY-ONE\"}", "", NULL);
    CHECK(r.status == 400 && strcmp(err_code(&r), "DUPLICATE_VALUE") == 0 && jstr(cJSON_GetArrayItem(r.json, 0), "message") &&
              strstr(jstr(cJSON_GetArrayItem(r.json, 0), "message"), id),
          "create with an existing external id (other case) -> 400 DUPLICATE_VALUE naming the record");
    resp_free(&r);
    r = http("PATCH", "/services/data/v62.0/sobjects/Task/Subject/x", "{\"Subject\":\"x\"}", "", NULL);
    CHECK(r.status == 404 && strcmp(err_code(&r), "NOT_FOUND") == 0, "upsert on a field that is not an external id -> 404 NOT_FOUND");
    resp_free(&r);
    r = http("GET", "/services/data/v62.0/sobjects/Task/CrmSync_Key__c/key-one", NULL, "", NULL);
    CHECK(r.status == 200 && jstr(r.json, "Id") && strcmp(jstr(r.json, "Id"), id) == 0, "GET by external id");
    resp_free(&r);
}

static char *collection_body(bool all, int n, const char *prefix, int bad_at) {
    cJSON *b = cJSON_CreateObject();
    cJSON_AddBoolToObject(b, "allOrNone", all);
    cJSON *recs = cJSON_AddArrayToObject(b, "records");
    for (int i = 0; i < n; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON *at = cJSON_AddObjectToObject(r, "attributes");
        cJSON_AddStringToObject(at, "type", "Task");
        char k[64];
        snprintf(k, sizeof k, "%s-%d", prefix, i);
        cJSON_AddStringToObject(r, "CrmSync_Key__c", k);
        if (i == bad_at) {
            char big[300];
            memset(big, 'y', 299);
            big[299] = '\0';
            cJSON_AddStringToObject(r, "Subject", big);
        } else cJSON_AddStringToObject(r, "Subject", k);
        cJSON_AddStringToObject(r, "Status", "Completed");
        if (bad_at != -2) cJSON_AddStringToObject(r, "TaskSubtype", "Email");
        cJSON_AddItemToArray(recs, r);
    }
    char *s = cJSON_PrintUnformatted(b);
    cJSON_Delete(b);
    return s;
}

static double count_of(const char *soql) {
    resp r = query(soql);
    double n = jnum(r.json, "totalSize");
    resp_free(&r);
    return n;
}

static void test_collections(void) {
    const char *up = "/services/data/v62.0/composite/sobjects/Task/CrmSync_Key__c";
    char *b = collection_body(false, 200, "batch", -1);
    resp r = http("PATCH", up, b, "", NULL);
    int ok = 0, created = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, r.json) {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "success")) && id_ok(jstr(x, "id"), "00T")) ok++;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "created"))) created++;
    }
    CHECK(r.status == 200 && cJSON_GetArraySize(r.json) == 200 && ok == 200 && created == 200, "collection upsert of 200 -> 200 results, created:true");
    resp_free(&r);
    r = http("PATCH", up, b, "", NULL);
    const cJSON *e0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(r.json, 0), "errors"), 0);
    CHECK(jstr(e0, "statusCode") && strcmp(jstr(e0, "statusCode"), "INVALID_FIELD_FOR_INSERT_UPDATE") == 0,
          "upsert that updates a create-only field (TaskSubtype) -> INVALID_FIELD_FOR_INSERT_UPDATE");
    resp_free(&r);
    free(b);
    b = collection_body(false, 200, "batch", -2); /* -2: without TaskSubtype */
    r = http("PATCH", up, b, "", NULL);
    ok = created = 0;
    cJSON_ArrayForEach(x, r.json) {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "success"))) ok++;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "created"))) created++;
    }
    CHECK(ok == 200 && created == 0, "the same 200 again -> success, created:false (ok %d created %d: %.300s)", ok, created, r.body ? r.body : "");
    CHECK(count_of("SELECT COUNT() FROM Task WHERE CrmSync_Key__c LIKE 'batch-%'") == 200, "still 200 records (idempotent)");
    resp_free(&r);
    free(b);
    b = collection_body(false, 201, "over", -1);
    r = http("PATCH", up, b, "", NULL);
    CHECK(r.status == 400 && strcmp(err_code(&r), "EXCEEDED_ID_LIMIT") == 0, "201 records -> 400 EXCEEDED_ID_LIMIT");
    resp_free(&r);
    free(b);

    /* allOrNone true: one bad record rolls back the others */
    b = collection_body(true, 3, "aon", 1);
    r = http("PATCH", up, b, "", NULL);
    const cJSON *r0 = cJSON_GetArrayItem(r.json, 0), *r1 = cJSON_GetArrayItem(r.json, 1);
    e0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r0, "errors"), 0);
    const cJSON *e1 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r1, "errors"), 0);
    CHECK(r.status == 200 && cJSON_GetArraySize(r.json) == 3, "allOrNone: 200 with one result per record");
    CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r0, "id")) && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r0, "success")) &&
              jstr(e0, "statusCode") && strcmp(jstr(e0, "statusCode"), "ALL_OR_NONE_OPERATION_ROLLED_BACK") == 0 &&
              cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(e0, "fields")),
          "valid record -> id null, success false, ALL_OR_NONE_OPERATION_ROLLED_BACK");
    CHECK(jstr(e1, "statusCode") && strcmp(jstr(e1, "statusCode"), "STRING_TOO_LONG") == 0 && jstr(e1, "message") &&
              cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e1, "fields")) == 1,
          "bad record -> its own error with statusCode and fields");
    CHECK(count_of("SELECT COUNT() FROM Task WHERE CrmSync_Key__c LIKE 'aon-%'") == 0, "nothing written under allOrNone");
    resp_free(&r);
    free(b);
    /* allOrNone false: the others are written */
    b = collection_body(false, 3, "aof", 1);
    r = http("PATCH", up, b, "", NULL);
    r1 = cJSON_GetArrayItem(r.json, 1);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(r.json, 0), "success")) &&
              cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r1, "success")) &&
              cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(r.json, 2), "success")),
          "allOrNone false: records 0 and 2 succeed, 1 fails");
    CHECK(count_of("SELECT COUNT() FROM Task WHERE CrmSync_Key__c LIKE 'aof-%'") == 2, "two written");
    resp_free(&r);
    free(b);
    r = http("PATCH", up, "{\"records\":[{\"attributes\":{\"type\":\"Task\"},\"CrmSync_Key__c\":\"d1\"},{\"attributes\":{\"type\":\"Task\"},\"CrmSync_Key__c\":\"D1\"}]}", "", NULL);
    const cJSON *ed = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(r.json, 0), "errors"), 0);
    CHECK(r.status == 200 && jstr(ed, "statusCode") && strcmp(jstr(ed, "statusCode"), "DUPLICATE_EXTERNAL_ID") == 0, "same key twice in one call -> DUPLICATE_EXTERNAL_ID");
    resp_free(&r);

    /* create (mixed types) and update */
    r = http("POST", "/services/data/v62.0/composite/sobjects",
             "{\"allOrNone\":false,\"records\":[{\"attributes\":{\"type\":\"Lead\"},\"LastName\":\"CollLead\",\"Company\":\"C\"},"
             "{\"attributes\":{\"type\":\"Contact\"},\"FirstName\":\"NoLast\"},"
             "{\"attributes\":{\"type\":\"Account\"},\"Name\":\"Coll Account\",\"Website\":\"coll.example\"}]}", "", NULL);
    const cJSON *c0 = cJSON_GetArrayItem(r.json, 0), *c1 = cJSON_GetArrayItem(r.json, 1), *c2 = cJSON_GetArrayItem(r.json, 2);
    const cJSON *ce = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c1, "errors"), 0);
    CHECK(r.status == 200 && id_ok(jstr(c0, "id"), "00Q") && id_ok(jstr(c2, "id"), "001") && !cJSON_GetObjectItemCaseSensitive(c0, "created") &&
              jstr(ce, "statusCode") && strcmp(jstr(ce, "statusCode"), "REQUIRED_FIELD_MISSING") == 0,
          "collection create: per-type ids, REQUIRED_FIELD_MISSING in place, no 'created'");
    char upd[400];
    snprintf(upd, sizeof upd, "{\"records\":[{\"attributes\":{\"type\":\"Lead\"},\"id\":\"%s\",\"Company\":\"C2\"},{\"attributes\":{\"type\":\"Lead\"},\"Company\":\"C3\"}]}",
             jstr(c0, "id") ? jstr(c0, "id") : "");
    resp_free(&r);
    r = http("PATCH", "/services/data/v62.0/composite/sobjects", upd, "", NULL);
    const cJSON *ue = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(r.json, 1), "errors"), 0);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(r.json, 0), "success")) && jstr(ue, "statusCode") &&
              strcmp(jstr(ue, "statusCode"), "MISSING_ARGUMENT") == 0,
          "collection update: success, and MISSING_ARGUMENT without id");
    CHECK(count_of("SELECT COUNT() FROM Lead WHERE Company = 'C2' AND LastName = 'CollLead'") == 1, "the update is stored");
    resp_free(&r);
    r = http("POST", "/services/data/v62.0/composite/sobjects", "{\"records\":", "", NULL);
    CHECK(r.status == 400 && strcmp(err_code(&r), "JSON_PARSER_ERROR") == 0, "malformed body -> 400");
    resp_free(&r);
}

static void test_faults(void) {
    resp r;
    /* expired token: 401 until the client refreshes */
    set_faults("expired:nth=2");
    r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
    CHECK(r.status == 200, "expired:nth=2 -> call 1 ok");
    resp_free(&r);
    r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
    CHECK(r.status == 401 && strcmp(err_code(&r), "INVALID_SESSION_ID") == 0, "call 2 -> 401 INVALID_SESSION_ID");
    resp_free(&r);
    r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
    CHECK(r.status == 401, "the old token stays invalid");
    resp_free(&r);
    CHECK(refresh(), "refresh works");
    r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
    CHECK(r.status == 200, "after the refresh -> 200");
    resp_free(&r);

    set_faults("limit:nth=1");
    r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
    CHECK(r.status == 403 && strcmp(err_code(&r), "REQUEST_LIMIT_EXCEEDED") == 0, "limit -> 403 REQUEST_LIMIT_EXCEEDED");
    resp_free(&r);
    r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
    CHECK(r.status == 200, "next call ok");
    resp_free(&r);

    set_faults("500:nth=1");
    r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
    CHECK(r.status == 500 && strcmp(err_code(&r), "UNKNOWN_EXCEPTION") == 0, "500 -> UNKNOWN_EXCEPTION (got %ld %s)", r.status, r.body ? r.body : "");
    resp_free(&r);

    set_faults("lock:nth=1");
    r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
    CHECK(r.status == 400 && strcmp(err_code(&r), "UNABLE_TO_LOCK_ROW") == 0, "lock -> 400 UNABLE_TO_LOCK_ROW");
    resp_free(&r);

    set_faults("drop:nth=1");
    r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
    CHECK(r.curl_rc != CURLE_OK && r.status == 0, "drop -> connection closed without an answer (curl %d)", r.curl_rc);
    resp_free(&r);
    r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
    CHECK(r.status == 200, "next call ok after a drop");
    resp_free(&r);

    double slow_before = stat_num("faults_injected", "slow");
    set_faults("slow:ms=200:nth=1");
    r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
    CHECK(r.status == 200, "slow -> answered normally");
    resp_free(&r);
    CHECK(stat_num("faults_injected", "slow") == (slow_before < 0 ? 0 : slow_before) + 1, "the slow answer is counted as injected");

    set_faults("error:every=3");
    int pattern = 0;
    for (int i = 1; i <= 6; i++) {
        r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
        if (r.status == 500) pattern |= 1 << i;
        resp_free(&r);
    }
    CHECK(pattern == ((1 << 3) | (1 << 6)), "every=3 -> calls 3 and 6 fail (pattern %x)", pattern);

    /* a rate is deterministic for a seed */
    int runs[2] = {0, 0}, fails = 0;
    for (int k = 0; k < 2; k++) {
        set_faults("error:rate=0.3, seed=5");
        for (int i = 0; i < 20; i++) {
            r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
            if (r.status == 500) { runs[k] |= 1 << i; if (k == 0) fails++; }
            resp_free(&r);
        }
    }
    CHECK(runs[0] == runs[1] && fails > 0 && fails < 20, "rate=0.3 seed=5: same pattern twice (%x, %d of 20 failed)", runs[0], fails);

    r = http("PUT", "/sandbox/faults", "bogus:nth=1", NULL, "Content-Type: text/plain");
    CHECK(r.status == 400, "an invalid spec -> 400");
    resp_free(&r);
    r = http("DELETE", "/sandbox/faults", NULL, NULL, NULL);
    CHECK(r.status == 200 && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r.json, "rules")) == 0, "DELETE clears the faults");
    resp_free(&r);

    /* the daily budget */
    r = http("GET", "/sandbox/api-usage", NULL, NULL, NULL);
    double used = jnum(r.json, "used");
    resp_free(&r);
    char body[100];
    snprintf(body, sizeof body, "{\"max\":%.0f}", used + 2);
    r = http("PUT", "/sandbox/api-usage", body, NULL, NULL);
    resp_free(&r);
    int codes[3];
    for (int i = 0; i < 3; i++) {
        r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
        codes[i] = (int)r.status;
        if (i == 2) CHECK(strcmp(err_code(&r), "REQUEST_LIMIT_EXCEEDED") == 0, "over budget -> REQUEST_LIMIT_EXCEEDED");
        resp_free(&r);
    }
    CHECK(codes[0] == 200 && codes[1] == 200 && codes[2] == 403, "budget of 2 more calls: 200, 200, 403 (%d %d %d)", codes[0], codes[1], codes[2]);
    r = http("PUT", "/sandbox/api-usage", "{\"max\":100000}", NULL, NULL);
    resp_free(&r);
}

static void test_counting(void) {
    double before = stat_num(NULL, "api_calls_total");
    resp r = http("GET", "/services/data/v62.0/limits", NULL, "", NULL);
    long u1 = -1, u2 = -1, m = 0;
    sscanf(r.limit_info, "api-usage=%ld/%ld", &u1, &m);
    resp_free(&r);
    for (int i = 0; i < 3; i++) { r = query("SELECT Id FROM Account LIMIT 1"); resp_free(&r); }
    r = http("GET", "/services/data/v62.0/sobjects/Contact/describe", NULL, "", NULL);
    sscanf(r.limit_info, "api-usage=%ld/%ld", &u2, &m);
    resp_free(&r);
    r = http("GET", "/services/data/", NULL, NULL, NULL); /* not counted */
    resp_free(&r);
    r = http("GET", "/services/data/v62.0/limits", NULL, "bad", NULL); /* refused: not counted */
    resp_free(&r);
    double after = stat_num(NULL, "api_calls_total");
    CHECK(after - before == 5, "5 API calls counted (got %g)", after - before);
    CHECK(u2 - u1 == 4, "Sforce-Limit-Info api-usage grows by one per call (%ld -> %ld)", u1, u2);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: test_sandbox path/to/crmsync\n"); return 2; }
    crmsync = argv[1];
    snprintf(dir, sizeof dir, "/tmp/crm-sandbox-test-XXXXXX");
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 2; }
    snprintf(db, sizeof db, "%s/org.db", dir);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_seed_determinism();
    seed_db(db, "3000", "11");
    if (!start_server("error:nth=1")) {
        fprintf(stderr, "FAIL: the sandbox server did not start\n");
        failed++;
    } else {
        test_versions_and_oauth();
        test_startup_fault();
        test_unauthenticated();
        test_query();
        test_sobjects();
        test_describe();
        test_upsert();
        test_collections();
        test_faults();
        test_counting();
        double total = stat_num(NULL, "api_calls_total");
        stop_server();
        cJSON *s = stats_cli(db);
        CHECK(jnum(s, "api_calls_total") == total && total > 50, "call count persisted in the db (%g)", total);
        cJSON_Delete(s);
    }
    stop_server();
    curl_global_cleanup();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
    printf("sandbox integration: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
