/* crm_sf.c: the Salesforce REST connector (see crm_sf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include "sf/crm_sf.h"

typedef struct membuf { char *p; size_t n, cap; bool oom; } membuf;

struct crm_sf {
    crm_sf_config cfg;
    char *login_url, *client_id, *client_secret, *refresh_token, *ca_file, *alt_fields;
    char *access_token, *instance_url;
    char version[16];
    CURL *curl;
    long used, max, calls;
    unsigned rng;
    cJSON *describe;          /* {"Task": {"at": <time>, "limits": {...}}}: field lengths change rarely */
    char err[512];
};

static void mb_put(membuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) { b->oom = true; return; }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}
static void mb_puts(membuf *b, const char *s) { mb_put(b, s, strlen(s)); }
static void mb_free(membuf *b) { free(b->p); memset(b, 0, sizeof *b); }

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
    membuf *b = ud;
    mb_put(b, data, size * n);
    return b->oom ? 0 : size * n;
}

/* Sforce-Limit-Info: api-usage=10018/100000; api-bursts=1/750 */
static size_t on_header(char *data, size_t size, size_t n, void *ud) {
    crm_sf *sf = ud;
    size_t len = size * n;
    static const char name[] = "sforce-limit-info:";
    if (len > sizeof name && strncasecmp(data, name, sizeof name - 1) == 0) {
        char line[256];
        size_t k = len < sizeof line - 1 ? len : sizeof line - 1;
        memcpy(line, data, k);
        line[k] = '\0';
        const char *u = strstr(line, "api-usage=");
        long used, max;
        if (u && sscanf(u, "api-usage=%ld/%ld", &used, &max) == 2) { sf->used = used; sf->max = max; }
    }
    return len;
}

const char *crm_sf_status_str(crm_sf_status st) {
    static const char *const s[] = {"ok", "configuration error", "authentication failed", "API request limit exceeded",
                                    "network error", "server error", "request rejected", "unexpected response", "out of memory",
                                    "API budget reserve reached"};
    return (unsigned)st < sizeof s / sizeof s[0] ? s[st] : "unknown";
}

__attribute__((format(printf, 3, 4))) static crm_sf_status fail(crm_sf *sf, crm_sf_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sf->err, sizeof sf->err, fmt, ap);
    va_end(ap);
    return st;
}

const char *crm_sf_errmsg(const crm_sf *sf) { return sf ? sf->err : "no connection"; }
void crm_sf_usage(const crm_sf *sf, long *used, long *max) { *used = sf->used; *max = sf->max; }
bool crm_sf_budget_low(const crm_sf *sf) { return sf->max > 0 && sf->max - sf->used < sf->cfg.api_reserve; }
long crm_sf_calls(const crm_sf *sf) { return sf->calls; }
const char *crm_sf_api_version(const crm_sf *sf) { return sf->version; }
const char *crm_sf_instance_url(const crm_sf *sf) { return sf->instance_url ? sf->instance_url : ""; }

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {}
}

static long backoff(crm_sf *sf, int attempt) {
    long base = sf->cfg.backoff_ms << (attempt > 10 ? 10 : attempt);
    sf->rng ^= sf->rng << 13;
    sf->rng ^= sf->rng >> 17;
    sf->rng ^= sf->rng << 5;
    return base / 2 + (long)(sf->rng % (unsigned)(base + 1)); /* 50%..150% */
}

/* The first error of a Salesforce error array: "CODE: message". */
static void error_text(const char *body, char *out, size_t cap) {
    out[0] = '\0';
    cJSON *j = body ? cJSON_Parse(body) : NULL;
    const cJSON *e = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, 0) : j;
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "errorCode");
    if (!cJSON_IsString(code)) code = cJSON_GetObjectItemCaseSensitive(e, "error");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
    if (!cJSON_IsString(msg)) msg = cJSON_GetObjectItemCaseSensitive(e, "error_description");
    snprintf(out, cap, "%s%s%s", cJSON_IsString(code) ? code->valuestring : "",
             cJSON_IsString(code) && cJSON_IsString(msg) ? ": " : "", cJSON_IsString(msg) ? msg->valuestring : "");
    cJSON_Delete(j);
}

/* Salesforce is only spoken to over https, so the refresh token, the client secret and the
 * bearer token never cross the network in clear; plain http is accepted for a server on
 * this machine only (the sandbox org). */
static bool url_allowed(const char *url) {
    if (strncmp(url, "https://", 8) == 0) return true;
    if (strncmp(url, "http://", 7) != 0) return false;
    const char *h = url + 7;
    return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost", 9) == 0 || strncmp(h, "[::1]", 5) == 0;
}

static crm_sf_status refresh(crm_sf *sf);

/* One HTTP exchange with retries. `path` is a path on the instance (or a full URL).
 * On CRM_SF_OK *resp holds the body (caller frees with mb_free). */
static crm_sf_status http(crm_sf *sf, const char *method, const char *path, const char *body, long *status_out, membuf *resp) {
    memset(resp, 0, sizeof *resp);
    char url[16384];
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) snprintf(url, sizeof url, "%s", path);
    else snprintf(url, sizeof url, "%s%s", sf->instance_url, path);
    if (strlen(url) >= sizeof url - 1) return fail(sf, CRM_SF_E_REQUEST, "request URL too long (%.80s...)", path);
    bool counted = strstr(path, "/services/data/v") != NULL;
    bool refreshed = false;
    int attempts = sf->cfg.max_attempts;
    for (int attempt = 0; attempt < attempts; attempt++) {
        memset(resp, 0, sizeof *resp);
        struct curl_slist *h = NULL;
        char auth[4200];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", sf->access_token ? sf->access_token : "");
        h = curl_slist_append(h, auth);
        h = curl_slist_append(h, "Accept: application/json");
        if (body) h = curl_slist_append(h, "Content-Type: application/json");
        CURL *c = sf->curl;
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, sf);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, sf->cfg.timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, sf->cfg.timeout_ms);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
        if (sf->ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, sf->ca_file);
        CURLcode rc = curl_easy_perform(c);
        curl_slist_free_all(h);
        /* the bearer token is not kept in any buffer past this point */
        memset(auth, 0, sizeof auth);
        if (rc != CURLE_OK) {
            mb_free(resp);
            if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CONNECT_ERROR)
                return fail(sf, CRM_SF_E_NETWORK, "TLS failure talking to Salesforce: %s", curl_easy_strerror(rc));
            if (attempt + 1 < attempts) { sleep_ms(backoff(sf, attempt)); continue; }
            return fail(sf, CRM_SF_E_NETWORK, "Salesforce unreachable after retries: %s", curl_easy_strerror(rc));
        }
        if (counted) sf->calls++;
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        *status_out = status;
        if (resp->oom) { mb_free(resp); return fail(sf, CRM_SF_E_NOMEM, "out of memory reading a response"); }
        char why[400];
        if (status == 401 && !refreshed && sf->refresh_token) {
            mb_free(resp);
            refreshed = true;
            crm_sf_status st = refresh(sf);
            if (st != CRM_SF_OK) return st;
            attempt--; /* the retry after a refresh does not use up an attempt */
            continue;
        }
        if (status >= 500 || status == 0) {
            error_text(resp->p, why, sizeof why);
            mb_free(resp);
            if (attempt + 1 < attempts) { sleep_ms(backoff(sf, attempt)); continue; }
            return fail(sf, CRM_SF_E_SERVER, "Salesforce server error after retries: %s", why[0] ? why : "HTTP 5xx");
        }
        if (status == 401) {
            mb_free(resp);
            return fail(sf, CRM_SF_E_AUTH, "Salesforce refused the session after a token refresh");
        }
        if (status >= 400) {
            error_text(resp->p, why, sizeof why);
            if (status == 403 && strstr(why, "REQUEST_LIMIT_EXCEEDED")) { mb_free(resp); return fail(sf, CRM_SF_E_LIMIT, "Salesforce API limit: %s", why); }
            if (strstr(why, "UNABLE_TO_LOCK_ROW") && attempt + 1 < attempts) { mb_free(resp); sleep_ms(backoff(sf, attempt)); continue; }
            if (status == 300 || status >= 400) {
                /* keep the body for callers that read per-record errors */
                snprintf(sf->err, sizeof sf->err, "Salesforce rejected %s %s (HTTP %ld): %s", method, path, status, why);
                if (strlen(sf->err) > 300) strcpy(sf->err + 296, "...");
                return CRM_SF_E_REQUEST;
            }
        }
        return CRM_SF_OK;
    }
    return fail(sf, CRM_SF_E_NETWORK, "no attempts configured");
}

static crm_sf_status refresh(crm_sf *sf) {
    membuf form = {0}, resp = {0};
    char *rt = curl_easy_escape(sf->curl, sf->refresh_token, 0);
    char *ci = curl_easy_escape(sf->curl, sf->client_id, 0);
    char *cs = curl_easy_escape(sf->curl, sf->client_secret, 0);
    mb_puts(&form, "grant_type=refresh_token&refresh_token=");
    mb_puts(&form, rt ? rt : "");
    mb_puts(&form, "&client_id=");
    mb_puts(&form, ci ? ci : "");
    if (cs && cs[0]) { mb_puts(&form, "&client_secret="); mb_puts(&form, cs); }
    curl_free(rt);
    curl_free(ci);
    curl_free(cs);
    char url[2048];
    snprintf(url, sizeof url, "%s/services/oauth2/token", sf->login_url);
    crm_sf_status st = CRM_SF_OK;
    for (int attempt = 0; attempt < sf->cfg.max_attempts; attempt++) {
        memset(&resp, 0, sizeof resp);
        CURL *c = sf->curl;
        curl_easy_reset(c);
        struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, form.p ? form.p : "");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, sf->cfg.timeout_ms);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        if (sf->ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, sf->ca_file);
        CURLcode rc = curl_easy_perform(c);
        curl_slist_free_all(h);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status >= 500) {
            mb_free(&resp);
            if (attempt + 1 < sf->cfg.max_attempts) { sleep_ms(backoff(sf, attempt)); continue; }
            st = fail(sf, CRM_SF_E_NETWORK, "cannot reach the Salesforce token endpoint: %s", rc != CURLE_OK ? curl_easy_strerror(rc) : "server error");
            break;
        }
        if (status != 200) {
            char why[400];
            error_text(resp.p, why, sizeof why);
            mb_free(&resp);
            st = fail(sf, CRM_SF_E_AUTH, "Salesforce refused the refresh token (%s); reconnect the org", why);
            break;
        }
        cJSON *j = cJSON_Parse(resp.p);
        mb_free(&resp);
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(j, "access_token");
        const cJSON *iu = cJSON_GetObjectItemCaseSensitive(j, "instance_url");
        if (!cJSON_IsString(at) || !cJSON_IsString(iu)) {
            cJSON_Delete(j);
            st = fail(sf, CRM_SF_E_RESPONSE, "the token endpoint's answer has no access_token/instance_url");
            break;
        }
        if (!url_allowed(iu->valuestring)) {
            cJSON_Delete(j);
            st = fail(sf, CRM_SF_E_RESPONSE, "the token endpoint gave an instance_url that is not https://");
            break;
        }
        free(sf->access_token);
        free(sf->instance_url);
        sf->access_token = strdup(at->valuestring);
        sf->instance_url = strdup(iu->valuestring);
        size_t n = sf->instance_url ? strlen(sf->instance_url) : 0;
        if (n && sf->instance_url[n - 1] == '/') sf->instance_url[n - 1] = '\0';
        cJSON_Delete(j);
        st = sf->access_token && sf->instance_url ? CRM_SF_OK : fail(sf, CRM_SF_E_NOMEM, "out of memory");
        break;
    }
    memset(form.p, 0, form.n);
    mb_free(&form);
    return st;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

crm_sf_status crm_sf_open(const crm_sf_config *cfg, crm_sf **out, char **err) {
    *out = NULL;
    if (err) *err = NULL;
    crm_sf *sf = calloc(1, sizeof *sf);
    if (sf == NULL) return CRM_SF_E_NOMEM;
    sf->cfg = *cfg;
    if (sf->cfg.timeout_ms <= 0) sf->cfg.timeout_ms = 30000;
    if (sf->cfg.max_attempts <= 0) sf->cfg.max_attempts = 5;
    if (sf->cfg.backoff_ms <= 0) sf->cfg.backoff_ms = 200;
    sf->rng = cfg->seed ? cfg->seed : 0x9e3779b9u;
    sf->used = sf->max = -1;
    crm_sf_status st = CRM_SF_OK;
    if (!cfg->login_url || !cfg->client_id || !cfg->refresh_token || !cfg->login_url[0] || !cfg->refresh_token[0]) {
        st = fail(sf, CRM_SF_E_CONFIG, "the Salesforce connection needs login_url, client_id and refresh_token");
        goto done;
    }
    if (!url_allowed(cfg->login_url)) {
        st = fail(sf, CRM_SF_E_CONFIG, "login_url must be https:// (plain http only for a server on this machine)");
        goto done;
    }
    sf->login_url = strdup(cfg->login_url);
    sf->client_id = strdup(cfg->client_id);
    sf->client_secret = strdup(cfg->client_secret ? cfg->client_secret : "");
    sf->refresh_token = strdup(cfg->refresh_token);
    sf->ca_file = dup_or_null(cfg->ca_file);
    sf->alt_fields = dup_or_null(cfg->alt_email_fields && cfg->alt_email_fields[0] ? cfg->alt_email_fields : NULL);
    sf->curl = curl_easy_init();
    if (!sf->login_url || !sf->client_id || !sf->client_secret || !sf->refresh_token || !sf->curl) { st = CRM_SF_E_NOMEM; goto done; }
    size_t ln = strlen(sf->login_url);
    if (ln && sf->login_url[ln - 1] == '/') sf->login_url[ln - 1] = '\0';
    if ((st = refresh(sf)) != CRM_SF_OK) goto done;
    if (cfg->api_version && cfg->api_version[0]) {
        snprintf(sf->version, sizeof sf->version, "%s", cfg->api_version);
    } else {
        membuf r;
        long status = 0;
        if ((st = http(sf, "GET", "/services/data/", NULL, &status, &r)) != CRM_SF_OK) goto done;
        cJSON *j = cJSON_Parse(r.p);
        mb_free(&r);
        double best = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, j) {
            const cJSON *ver = cJSON_GetObjectItemCaseSensitive(v, "version");
            if (cJSON_IsString(ver) && atof(ver->valuestring) > best) {
                best = atof(ver->valuestring);
                snprintf(sf->version, sizeof sf->version, "%s", ver->valuestring);
            }
        }
        cJSON_Delete(j);
        if (best < 46.0) { st = fail(sf, CRM_SF_E_RESPONSE, "the org offers no API version >= 46.0 (needed for collection upserts)"); goto done; }
    }
done:
    if (st != CRM_SF_OK) {
        if (err) *err = strdup(sf->err[0] ? sf->err : crm_sf_status_str(st));
        crm_sf_close(sf);
        return st;
    }
    *out = sf;
    return CRM_SF_OK;
}

void crm_sf_close(crm_sf *sf) {
    if (sf == NULL) return;
    if (sf->curl) curl_easy_cleanup(sf->curl);
    if (sf->access_token) memset(sf->access_token, 0, strlen(sf->access_token));
    if (sf->refresh_token) memset(sf->refresh_token, 0, strlen(sf->refresh_token));
    free(sf->login_url); free(sf->client_id); free(sf->client_secret); free(sf->refresh_token);
    free(sf->ca_file); free(sf->alt_fields); free(sf->access_token); free(sf->instance_url);
    cJSON_Delete(sf->describe);
    free(sf);
}

static crm_sf_status parse_json(crm_sf *sf, membuf *r, cJSON **out) {
    *out = cJSON_Parse(r->p ? r->p : "");
    mb_free(r);
    if (*out == NULL) return fail(sf, CRM_SF_E_RESPONSE, "Salesforce answered with something that is not JSON");
    return CRM_SF_OK;
}

crm_sf_status crm_sf_query(crm_sf *sf, const char *soql, cJSON **records) {
    *records = cJSON_CreateArray();
    if (*records == NULL) return CRM_SF_E_NOMEM;
    char *q = curl_easy_escape(sf->curl, soql, 0);
    if (q == NULL) return CRM_SF_E_NOMEM;
    size_t plen = strlen(q) + 64;
    char *path = malloc(plen);
    if (path == NULL) { curl_free(q); return CRM_SF_E_NOMEM; }
    snprintf(path, plen, "/services/data/v%s/query?q=%s", sf->version, q);
    curl_free(q);
    crm_sf_status st = CRM_SF_OK;
    for (;;) {
        membuf r;
        long status = 0;
        cJSON *j = NULL;
        if ((st = http(sf, "GET", path, NULL, &status, &r)) != CRM_SF_OK) { mb_free(&r); break; }
        if ((st = parse_json(sf, &r, &j)) != CRM_SF_OK) break;
        cJSON *recs = cJSON_DetachItemFromObjectCaseSensitive(j, "records");
        cJSON *rec;
        while (recs && (rec = cJSON_DetachItemFromArray(recs, 0)) != NULL) cJSON_AddItemToArray(*records, rec);
        cJSON_Delete(recs);
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(j, "nextRecordsUrl");
        const cJSON *done = cJSON_GetObjectItemCaseSensitive(j, "done");
        if (cJSON_IsTrue(done) || !cJSON_IsString(next)) { cJSON_Delete(j); break; }
        free(path);
        path = strdup(next->valuestring);
        cJSON_Delete(j);
        if (path == NULL) { st = CRM_SF_E_NOMEM; break; }
    }
    free(path);
    if (st != CRM_SF_OK) { cJSON_Delete(*records); *records = NULL; }
    return st;
}

/* ---------------------------------------------------------------- lookups */
static void soql_quote(membuf *b, const char *s) {
    mb_put(b, "'", 1);
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\') mb_put(b, "\\", 1);
        mb_put(b, s, 1);
    }
    mb_put(b, "'", 1);
}

static const char *str_of(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* "2013-05-20T20:49:32.000+0000" -> "2013-05-20T20:49:32.000+00:00" (RFC 3339). */
static void add_time(cJSON *o, const char *key, const char *sf_time) {
    char t[40];
    size_t n = strlen(sf_time);
    if (n >= 5 && n < sizeof t - 2 && (sf_time[n - 5] == '+' || sf_time[n - 5] == '-') && strchr(sf_time, 'T')) {
        memcpy(t, sf_time, n - 2);
        t[n - 2] = ':';
        memcpy(t + n - 1, sf_time + n - 2, 3);
        cJSON_AddStringToObject(o, key, t);
    } else {
        cJSON_AddStringToObject(o, key, sf_time);
    }
}

/* Runs `prefix IN (values) suffix` over `values` in batches whose SOQL stays short enough
 * for an 8 KB URL, appending the rows to `out`. `%s` in `where` is replaced by the list. */
static crm_sf_status query_in(crm_sf *sf, const char *select_from, const char *where, const char *const *values, size_t n, cJSON *out) {
    size_t i = 0;
    while (i < n) {
        membuf list = {0};
        size_t start = i;
        while (i < n && (list.n < 4000 || i == start)) { /* about 7 KB once URL-encoded */
            if (list.n) mb_put(&list, ",", 1);
            soql_quote(&list, values[i++]);
        }
        membuf q = {0};
        mb_puts(&q, select_from);
        mb_puts(&q, " WHERE ");
        for (const char *w = where; *w; w++) {
            if (w[0] == '%' && w[1] == 's') { mb_puts(&q, list.p ? list.p : "''"); w++; }
            else mb_put(&q, w, 1);
        }
        mb_free(&list);
        if (q.oom) { mb_free(&q); return CRM_SF_E_NOMEM; }
        cJSON *rows = NULL;
        crm_sf_status st = crm_sf_query(sf, q.p, &rows);
        mb_free(&q);
        if (st != CRM_SF_OK) return st;
        cJSON *row;
        while ((row = cJSON_DetachItemFromArray(rows, 0)) != NULL) cJSON_AddItemToArray(out, row);
        cJSON_Delete(rows);
    }
    return CRM_SF_OK;
}

static bool has_id(const cJSON *arr, const char *id) {
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) if (strcmp(str_of(v, "id"), id) == 0) return true;
    return false;
}

static void person(cJSON *dst, const cJSON *row, bool lead, const char *alt_fields) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", str_of(row, "Id"));
    cJSON_AddStringToObject(o, "email", str_of(row, "Email"));
    cJSON *alts = cJSON_AddArrayToObject(o, "alt_emails");
    if (alt_fields) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", alt_fields);
        for (char *f = strtok(buf, ", "); f; f = strtok(NULL, ", "))
            if (str_of(row, f)[0]) cJSON_AddItemToArray(alts, cJSON_CreateString(str_of(row, f)));
    }
    cJSON_AddStringToObject(o, "first_name", str_of(row, "FirstName"));
    cJSON_AddStringToObject(o, "last_name", str_of(row, "LastName"));
    if (lead) {
        cJSON_AddStringToObject(o, "company", str_of(row, "Company"));
        cJSON_AddBoolToObject(o, "converted", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row, "IsConverted")));
    } else {
        cJSON_AddStringToObject(o, "account_id", str_of(row, "AccountId"));
    }
    cJSON_AddStringToObject(o, "owner_id", str_of(row, "OwnerId"));
    add_time(o, "created", str_of(row, "CreatedDate"));
    cJSON_AddItemToArray(dst, o);
}

crm_sf_status crm_sf_lookup(crm_sf *sf, const char *const *addresses, size_t n_addresses, const char *const *domains, size_t n_domains,
                            const char *owner_id, cJSON **records) {
    *records = cJSON_CreateObject();
    cJSON *contacts = cJSON_AddArrayToObject(*records, "contacts");
    cJSON *leads = cJSON_AddArrayToObject(*records, "leads");
    cJSON *accounts = cJSON_AddArrayToObject(*records, "accounts");
    cJSON *opps = cJSON_AddArrayToObject(*records, "opportunities");
    cJSON *rows = cJSON_CreateArray();
    if (!contacts || !leads || !accounts || !opps || !rows) { cJSON_Delete(rows); return CRM_SF_E_NOMEM; }
    char sel[1024], where[1024];
    const char *alt = sf->alt_fields;
    crm_sf_status st = CRM_SF_OK;
    /* where: Email IN (%s) OR Alt1 IN (%s) ... */
    membuf w = {0};
    mb_puts(&w, "Email IN (%s)");
    if (alt) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", alt);
        for (char *f = strtok(buf, ", "); f; f = strtok(NULL, ", ")) { mb_puts(&w, " OR "); mb_puts(&w, f); mb_puts(&w, " IN (%s)"); }
    }
    snprintf(where, sizeof where, "%s", w.p ? w.p : "");
    mb_free(&w);
    if (n_addresses) {
        snprintf(sel, sizeof sel, "SELECT Id, Email, FirstName, LastName, AccountId, OwnerId, CreatedDate%s%s FROM Contact", alt ? ", " : "", alt ? alt : "");
        if ((st = query_in(sf, sel, where, addresses, n_addresses, rows)) != CRM_SF_OK) goto out;
        const cJSON *row;
        cJSON_ArrayForEach(row, rows) if (!has_id(contacts, str_of(row, "Id"))) person(contacts, row, false, alt);
        cJSON_Delete(rows);
        rows = cJSON_CreateArray();
        snprintf(sel, sizeof sel, "SELECT Id, Email, FirstName, LastName, Company, IsConverted, OwnerId, CreatedDate%s%s FROM Lead", alt ? ", " : "", alt ? alt : "");
        char lwhere[1100];
        snprintf(lwhere, sizeof lwhere, "IsConverted = false AND (%s)", where);
        if ((st = query_in(sf, sel, lwhere, addresses, n_addresses, rows)) != CRM_SF_OK) goto out;
        cJSON_ArrayForEach(row, rows) if (!has_id(leads, str_of(row, "Id"))) person(leads, row, true, alt);
        cJSON_Delete(rows);
        rows = cJSON_CreateArray();
    }
    /* Accounts of the Contacts, and by website domain (N3) */
    size_t na = 0;
    const char **ids = calloc((size_t)cJSON_GetArraySize(contacts) + 1, sizeof *ids);
    if (ids == NULL) { st = CRM_SF_E_NOMEM; goto out; }
    const cJSON *c;
    cJSON_ArrayForEach(c, contacts) {
        const char *a = str_of(c, "account_id");
        bool seen = a[0] == '\0';
        for (size_t k = 0; k < na && !seen; k++) seen = strcmp(ids[k], a) == 0;
        if (!seen) ids[na++] = a;
    }
    if (na) st = query_in(sf, "SELECT Id, Name, Website FROM Account", "Id IN (%s)", ids, na, rows);
    for (size_t k = 0; st == CRM_SF_OK && k < n_domains; k++) {
        membuf q = {0};
        mb_puts(&q, "SELECT Id, Name, Website FROM Account WHERE Website LIKE ");
        char pat[300];
        snprintf(pat, sizeof pat, "%%%s%%", domains[k]);
        soql_quote(&q, pat);
        mb_puts(&q, " ORDER BY CreatedDate LIMIT 20");
        cJSON *more = NULL;
        if (q.oom) st = CRM_SF_E_NOMEM;
        else st = crm_sf_query(sf, q.p, &more);
        mb_free(&q);
        cJSON *row;
        while (more && (row = cJSON_DetachItemFromArray(more, 0)) != NULL) cJSON_AddItemToArray(rows, row);
        cJSON_Delete(more);
    }
    if (st == CRM_SF_OK) {
        const cJSON *row;
        cJSON_ArrayForEach(row, rows) {
            if (has_id(accounts, str_of(row, "Id"))) continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "id", str_of(row, "Id"));
            cJSON_AddStringToObject(o, "name", str_of(row, "Name"));
            cJSON_AddStringToObject(o, "website", str_of(row, "Website"));
            cJSON_AddItemToArray(accounts, o);
        }
    }
    cJSON_Delete(rows);
    rows = cJSON_CreateArray();
    /* Opportunities of the Contacts' Accounts owned by the user (M5) */
    if (st == CRM_SF_OK && na && owner_id && owner_id[0]) {
        membuf sw = {0};
        mb_puts(&sw, "OwnerId = ");
        soql_quote(&sw, owner_id);
        mb_puts(&sw, " AND AccountId IN (%s)");
        if (sw.oom) st = CRM_SF_E_NOMEM;
        else st = query_in(sf, "SELECT Id, AccountId, OwnerId, IsClosed, CloseDate, CreatedDate FROM Opportunity", sw.p, ids, na, rows);
        mb_free(&sw);
        const cJSON *row;
        cJSON_ArrayForEach(row, rows) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "id", str_of(row, "Id"));
            cJSON_AddStringToObject(o, "account_id", str_of(row, "AccountId"));
            cJSON_AddStringToObject(o, "owner_id", str_of(row, "OwnerId"));
            cJSON_AddBoolToObject(o, "closed", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row, "IsClosed")));
            cJSON_AddStringToObject(o, "close_date", str_of(row, "CloseDate"));
            add_time(o, "created", str_of(row, "CreatedDate"));
            cJSON_AddItemToArray(opps, o);
        }
    }
    free(ids);
out:
    cJSON_Delete(rows);
    if (st != CRM_SF_OK) { cJSON_Delete(*records); *records = NULL; }
    return st;
}

/* ----------------------------------------------------------------- writes */
static crm_sf_status collection(crm_sf *sf, const char *method, const char *path, const char *type, const cJSON *records, cJSON **results) {
    *results = cJSON_CreateArray();
    if (*results == NULL) return CRM_SF_E_NOMEM;
    int total = cJSON_GetArraySize(records);
    for (int start = 0; start < total; start += 200) {
        cJSON *body = cJSON_CreateObject();
        cJSON_AddFalseToObject(body, "allOrNone");
        cJSON *arr = cJSON_AddArrayToObject(body, "records");
        for (int i = start; i < total && i < start + 200; i++) {
            cJSON *r = cJSON_Duplicate(cJSON_GetArrayItem(records, i), 1);
            if (r && type && !cJSON_GetObjectItemCaseSensitive(r, "attributes")) {
                cJSON *at = cJSON_CreateObject();
                cJSON_AddStringToObject(at, "type", type);
                cJSON_AddItemToObject(r, "attributes", at);
            }
            cJSON_AddItemToArray(arr, r);
        }
        char *text = cJSON_PrintUnformatted(body);
        cJSON_Delete(body);
        if (text == NULL) return CRM_SF_E_NOMEM;
        membuf r;
        long status = 0;
        crm_sf_status st = http(sf, method, path, text, &status, &r);
        cJSON_free(text);
        if (st != CRM_SF_OK) { mb_free(&r); return st; }
        cJSON *j = NULL;
        if ((st = parse_json(sf, &r, &j)) != CRM_SF_OK) return st;
        if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) != (total - start < 200 ? total - start : 200)) {
            cJSON_Delete(j);
            return fail(sf, CRM_SF_E_RESPONSE, "the collection answer does not have one result per record");
        }
        cJSON *e;
        while ((e = cJSON_DetachItemFromArray(j, 0)) != NULL) cJSON_AddItemToArray(*results, e);
        cJSON_Delete(j);
    }
    return CRM_SF_OK;
}

crm_sf_status crm_sf_upsert(crm_sf *sf, const char *sobject, const char *ext_field, const cJSON *records, cJSON **results) {
    char path[512];
    snprintf(path, sizeof path, "/services/data/v%s/composite/sobjects/%s/%s", sf->version, sobject, ext_field);
    return collection(sf, "PATCH", path, sobject, records, results);
}

crm_sf_status crm_sf_create(crm_sf *sf, const cJSON *records, cJSON **results) {
    char path[128];
    snprintf(path, sizeof path, "/services/data/v%s/composite/sobjects", sf->version);
    return collection(sf, "POST", path, NULL, records, results);
}

/* Field lengths are read once per object and kept for six hours: a daemon that syncs
 * every mailbox every 30 minutes does not spend API calls describing the same objects. */
#define CRM_SF_DESCRIBE_TTL (6 * 3600)

static void merge_limits(cJSON *limits, const cJSON *from) {
    const cJSON *v;
    cJSON_ArrayForEach(v, from) {
        cJSON_DeleteItemFromObjectCaseSensitive(limits, v->string);
        cJSON_AddNumberToObject(limits, v->string, v->valuedouble);
    }
}

crm_sf_status crm_sf_field_limits(crm_sf *sf, const char *sobject, cJSON *limits) {
    time_t now = time(NULL);
    const cJSON *hit = cJSON_GetObjectItemCaseSensitive(sf->describe, sobject);
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(hit, "at");
    if (cJSON_IsNumber(at) && now - (time_t)at->valuedouble < CRM_SF_DESCRIBE_TTL) {
        merge_limits(limits, cJSON_GetObjectItemCaseSensitive(hit, "limits"));
        return CRM_SF_OK;
    }
    char path[256];
    snprintf(path, sizeof path, "/services/data/v%s/sobjects/%s/describe", sf->version, sobject);
    membuf r;
    long status = 0;
    crm_sf_status st = http(sf, "GET", path, NULL, &status, &r);
    if (st != CRM_SF_OK) { mb_free(&r); return st; }
    cJSON *j = NULL;
    if ((st = parse_json(sf, &r, &j)) != CRM_SF_OK) return st;
    cJSON *found = cJSON_CreateObject();
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(j, "fields")) {
        const cJSON *len = cJSON_GetObjectItemCaseSensitive(f, "length");
        const char *name = str_of(f, "name");
        if (cJSON_IsNumber(len) && len->valuedouble > 0 && name[0]) {
            char key[300];
            snprintf(key, sizeof key, "%s.%s", sobject, name);
            cJSON_AddNumberToObject(found, key, len->valuedouble);
        }
    }
    cJSON_Delete(j);
    merge_limits(limits, found);
    if (sf->describe == NULL) sf->describe = cJSON_CreateObject();
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddNumberToObject(entry, "at", (double)now);
    cJSON_AddItemToObject(entry, "limits", found);
    cJSON_DeleteItemFromObjectCaseSensitive(sf->describe, sobject);
    cJSON_AddItemToObject(sf->describe, sobject, entry);
    return CRM_SF_OK;
}
