/* crmsync sync / serve: run sync sessions for the mailboxes of a configuration file.
 *
 * The configuration is one JSON file (docs/configuration.md):
 *   {"store": "crmsync.db",
 *    "salesforce": {"login_url", "client_id", "client_secret" | "client_secret_env",
 *                   "refresh_token" | "refresh_token_env", "api_version", "ca_file",
 *                   "api_reserve", "alt_email_fields"},
 *    "org": {"name", "sf_org_id", "defaults": {...settings}, "locks": [...], "blocklist": [...]},
 *    "users": [{"email", "sf_user_id", "salesforce_email", "aliases": [], "settings": {...},
 *               "blocklist": [...], "mailboxes": [{"name", "kind", "config": {...}}]}]}
 * Secrets may be given by environment variable name (*_env) so the file holds none. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include "api/crm_api.h"
#include "cli/commands.h"
#include "engine/crm_session.h"
#include "sf/crm_sf.h"
#include "store/crm_store.h"

static const char *str_of(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* A value given inline or through an environment variable ("<key>_env"). */
static const char *secret(const cJSON *o, const char *key) {
    char envkey[64];
    snprintf(envkey, sizeof envkey, "%s_env", key);
    const char *env = str_of(o, envkey);
    if (env[0]) { const char *v = getenv(env); return v ? v : ""; }
    return str_of(o, key);
}

static cJSON *read_json(const char *path, char *err, size_t cap) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) { snprintf(err, cap, "cannot open %s: %s", path, strerror(errno)); return NULL; }
    char *buf = NULL;
    size_t n = 0, capb = 0;
    for (;;) {
        if (n + 4096 > capb) { capb = capb ? capb * 2 : 65536; char *nb = realloc(buf, capb); if (!nb) break; buf = nb; }
        size_t got = fread(buf + n, 1, capb - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    if (buf == NULL) { snprintf(err, cap, "out of memory reading %s", path); return NULL; }
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(buf, n, &end, 0);
    if (j == NULL || !cJSON_IsObject(j)) {
        snprintf(err, cap, "%s is not a JSON object (near byte %ld)", path, end ? (long)(end - buf) : 0L);
        cJSON_Delete(j);
        j = NULL;
    }
    free(buf);
    return j;
}

/* Makes the store hold the configuration's org, users and mailboxes (crm_api_bootstrap:
 * the one set of rules for `sync`, `serve` and `api`), and keeps the org's refresh token. */
static int bootstrap(crm_store *st, const cJSON *cfg, int64_t *org_id, char *err, size_t cap) {
    char *e = NULL;
    if (crm_api_bootstrap(st, cfg, &e) != CRM_API_OK) {
        snprintf(err, cap, "%s", e ? e : "cannot bring the store in line with the configuration");
        free(e);
        return -1;
    }
    const cJSON *org = cJSON_GetObjectItemCaseSensitive(cfg, "org");
    if (crm_store_org_find(st, str_of(org, "name"), org_id) != CRM_STORE_OK) {
        snprintf(err, cap, "store: %s", crm_store_errmsg(st));
        return -1;
    }
    const char *rt = secret(cJSON_GetObjectItemCaseSensitive(cfg, "salesforce"), "refresh_token");
    if (rt[0] && crm_store_org_set_refresh_token(st, *org_id, rt) != CRM_STORE_OK) {
        snprintf(err, cap, "store: %s", crm_store_errmsg(st));
        return -1;
    }
    return 0;
}

static crm_sf *connect_sf(crm_store *st, int64_t org_id, const cJSON *cfg, char *err, size_t cap) {
    const cJSON *sf = cJSON_GetObjectItemCaseSensitive(cfg, "salesforce");
    char *token = NULL;
    if (crm_store_org_refresh_token(st, org_id, &token) != CRM_STORE_OK || token == NULL) {
        snprintf(err, cap, "no Salesforce refresh token is stored for the org: set salesforce.refresh_token(_env)");
        return NULL;
    }
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(sf, "api_reserve");
    crm_sf_config c = {str_of(sf, "login_url"), str_of(sf, "client_id"), secret(sf, "client_secret"), token,
                       str_of(sf, "api_version"), str_of(sf, "ca_file")[0] ? str_of(sf, "ca_file") : NULL,
                       str_of(sf, "alt_email_fields"), 0, 0, 0, cJSON_IsNumber(res) ? (long)res->valuedouble : 0, 0};
    crm_sf *h = NULL;
    char *e = NULL;
    crm_sf_status s = crm_sf_open(&c, &h, &e);
    memset(token, 0, strlen(token));
    free(token);
    if (s != CRM_SF_OK) { snprintf(err, cap, "Salesforce: %s", e ? e : crm_sf_status_str(s)); free(e); return NULL; }
    free(e);
    return h;
}

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static void usage(void) {
    fprintf(stderr, "usage: crmsync sync --once --config FILE [--mailbox NAME] [--json] [--batch N]\n"
                    "       crmsync serve --config FILE [--worker NAME]\n");
}

typedef struct args { const char *config, *mailbox, *worker; bool once, json; size_t batch; } args;

static int parse_args(int argc, char **argv, args *a) {
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--once")) a->once = true;
        else if (!strcmp(argv[i], "--json")) a->json = true;
        else if (!strcmp(argv[i], "--config") && i + 1 < argc) a->config = argv[++i];
        else if (!strcmp(argv[i], "--mailbox") && i + 1 < argc) a->mailbox = argv[++i];
        else if (!strcmp(argv[i], "--worker") && i + 1 < argc) a->worker = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc) a->batch = (size_t)strtoul(argv[++i], NULL, 10);
        else { fprintf(stderr, "crmsync: unknown argument '%s'\n", argv[i]); usage(); return -1; }
    }
    if (a->config == NULL) { fprintf(stderr, "crmsync: --config FILE is required\n"); usage(); return -1; }
    return 0;
}

/* Opens the configuration, the store (bootstrapped) and Salesforce. */
static int setup(const args *a, cJSON **cfg, crm_store **st, int64_t *org_id, crm_sf **sf) {
    char err[600];
    *cfg = read_json(a->config, err, sizeof err);
    if (*cfg == NULL) { fprintf(stderr, "crmsync: %s\n", err); return -1; }
    const char *db = str_of(*cfg, "store")[0] ? str_of(*cfg, "store") : "crmsync.db";
    if (crm_store_open(db, NULL, st) != CRM_STORE_OK) {
        fprintf(stderr, "crmsync: cannot open the store %s: %s\n", db, *st ? crm_store_errmsg(*st) : "out of memory");
        return -1;
    }
    if (bootstrap(*st, *cfg, org_id, err, sizeof err) != 0) { fprintf(stderr, "crmsync: %s\n", err); return -1; }
    *sf = connect_sf(*st, *org_id, *cfg, err, sizeof err);
    if (*sf == NULL) { fprintf(stderr, "crmsync: %s\n", err); return -1; }
    return 0;
}

static int run_one(crm_store *st, crm_sf *sf, int64_t mid, const args *a, const char *owner, cJSON *report) {
    crm_session_opts o = {(int64_t)time(NULL), a->batch, owner, a->json ? NULL : stderr, 0};
    crm_session_summary sum;
    char err[600] = "";
    int rc = crm_session_run(st, sf, mid, &o, &sum, err, sizeof err);
    cJSON *j = crm_session_summary_json(&sum);
    cJSON *mb = NULL;
    if (crm_store_mailbox_get(st, mid, &mb) == CRM_STORE_OK) cJSON_AddStringToObject(j, "mailbox", str_of(mb, "name"));
    cJSON_Delete(mb);
    if (rc != 0) cJSON_AddStringToObject(j, "error", err);
    if (report) cJSON_AddItemToArray(report, j);
    if (!a->json) {
        fprintf(stdout, "%s: %ld saved, %ld skipped, %ld failed, %ld suggestions, %ld Salesforce API calls%s%s\n",
                str_of(j, "mailbox"), sum.saved, sum.skipped, sum.failed, sum.suggestions, sum.api_calls, rc ? "; stopped: " : "", rc ? err : "");
        const cJSON *r;
        cJSON_ArrayForEach(r, sum.reasons) fprintf(stdout, "  skipped %-20s %d\n", r->string, (int)r->valuedouble);
        if (!report) cJSON_Delete(j);
    }
    crm_session_summary_free(&sum);
    return rc;
}

int crm_cmd_sync(int argc, char **argv) {
    args a;
    if (parse_args(argc, argv, &a) != 0) return 2;
    if (!a.once) { fprintf(stderr, "crmsync sync: only --once is supported; use `crmsync serve` for the daemon\n"); return 2; }
    cJSON *cfg = NULL;
    crm_store *st = NULL;
    crm_sf *sf = NULL;
    int64_t org_id = 0;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = setup(&a, &cfg, &st, &org_id, &sf);
    cJSON *report = a.json ? cJSON_CreateArray() : NULL;
    if (rc == 0) {
        cJSON *list = cJSON_CreateArray();
        const cJSON *u, *m;
        cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(cfg, "users"))
            cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(u, "mailboxes"))
                if (!a.mailbox || !strcmp(a.mailbox, str_of(m, "name"))) cJSON_AddItemToArray(list, cJSON_CreateString(str_of(m, "name")));
        if (cJSON_GetArraySize(list) == 0) { fprintf(stderr, "crmsync: no mailbox %s in %s\n", a.mailbox ? a.mailbox : "", a.config); rc = 2; }
        const cJSON *n;
        cJSON_ArrayForEach(n, list) {
            int64_t mid = 0;
            if (crm_store_mailbox_find(st, n->valuestring, &mid) != CRM_STORE_OK) { rc = 1; continue; }
            if (run_one(st, sf, mid, &a, NULL, report) != 0) rc = 1;
        }
        cJSON_Delete(list);
    }
    if (report) {
        char *t = cJSON_PrintUnformatted(report);
        if (t) { puts(t); cJSON_free(t); }
        cJSON_Delete(report);
    }
    crm_sf_close(sf);
    crm_store_close(st);
    cJSON_Delete(cfg);
    curl_global_cleanup();
    return rc < 0 ? 1 : rc;
}

/* The daemon: claims due mailboxes with a lease, runs their sessions, schedules the next
 * run after sync.interval_minutes, until SIGTERM/SIGINT. */
int crm_cmd_serve(int argc, char **argv) {
    args a;
    if (parse_args(argc, argv, &a) != 0) return 2;
    char owner[128];
    if (a.worker) snprintf(owner, sizeof owner, "%s", a.worker);
    else snprintf(owner, sizeof owner, "crmsyncd-%ld", (long)getpid());
    cJSON *cfg = NULL;
    crm_store *st = NULL;
    crm_sf *sf = NULL;
    int64_t org_id = 0;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (setup(&a, &cfg, &st, &org_id, &sf) != 0) { crm_sf_close(sf); crm_store_close(st); cJSON_Delete(cfg); return 1; }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    fprintf(stderr, "crmsyncd: worker %s serving %s\n", owner, a.config);
    while (!stop_requested) {
        int64_t ids[8];
        size_t n = 0;
        int64_t now = (int64_t)time(NULL);
        if (crm_store_claim_due(st, owner, now, 3600, 8, ids, &n) != CRM_STORE_OK) {
            fprintf(stderr, "crmsyncd: %s\n", crm_store_errmsg(st));
            n = 0;
        }
        for (size_t i = 0; i < n && !stop_requested; i++) {
            int rc = run_one(st, sf, ids[i], &a, owner, NULL);
            cJSON *settings = NULL;
            long interval = 30;
            if (crm_store_settings(st, ids[i], &settings) == CRM_STORE_OK) {
                const cJSON *iv = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(settings, "sync"), "interval_minutes");
                if (cJSON_IsNumber(iv)) interval = (long)iv->valuedouble;
            }
            cJSON_Delete(settings);
            if (crm_store_lease_release(st, ids[i], owner, (int64_t)time(NULL) + interval * 60, rc ? "stopped" : "ok") != CRM_STORE_OK)
                fprintf(stderr, "crmsyncd: %s\n", crm_store_errmsg(st));
        }
        for (int k = 0; k < 10 && !stop_requested && n == 0; k++) sleep(1);
    }
    fprintf(stderr, "crmsyncd: stopping\n");
    crm_sf_close(sf);
    crm_store_close(st);
    cJSON_Delete(cfg);
    curl_global_cleanup();
    return 0;
}
