/* tests/integration/store/test_store.c: the store against real SQLite files in a temp
 * directory: migrations (fresh, upgrade from v1, newer refused), every API, the
 * ledger+cursor transaction's atomicity, crash safety under SIGKILL, concurrent lease
 * claiming by several processes, and `crmsync issues` (never showing a stored token).
 *
 * usage: test_store [--crmsync PATH]   (without it the CLI checks are skipped and counted
 * as failures, so `make test-store` always passes it). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>
#include "store/crm_store.h"
#include "../../unit/check.h"

#define CHECK_OK(expr) do { crm_store_status st_ = (expr); if (st_ == CRM_STORE_OK) check_passed++; else { check_failed++; \
    fprintf(stderr, "%s:%d: %s -> %s\n", __FILE__, __LINE__, #expr, crm_store_status_str(st_)); } } while (0)
#define CHECK_ST(expr, want) do { crm_store_status st_ = (expr); if (st_ == (want)) check_passed++; else { check_failed++; \
    fprintf(stderr, "%s:%d: %s -> %s, want %s\n", __FILE__, __LINE__, #expr, crm_store_status_str(st_), crm_store_status_str(want)); } } while (0)

static char tmpdir[64];
static const char *crmsync_bin;

static const char *db_path(const char *name) {
    static char buf[8][256];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 256, "%s/%s.db", tmpdir, name);
    return p;
}

static crm_store *open_store(const char *path, int version) {
    crm_store_options o = {version, 0, false};
    crm_store *s = NULL;
    crm_store_status r = crm_store_open(path, &o, &s);
    if (r != CRM_STORE_OK) {
        fprintf(stderr, "open %s: %s\n", path, crm_store_errmsg(s));
        crm_store_close(s);
        return NULL;
    }
    return s;
}

/* Raw SQL on the file (inspection and fault injection only). */
static long long sql_int(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    long long v = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
        else fprintf(stderr, "sql_int(%s): %s\n", sql, sqlite3_errmsg(db));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return v;
}
static char *sql_text(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    char *v = NULL;
    if (sqlite3_open(path, &db) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
            const unsigned char *t = sqlite3_column_text(st, 0);
            if (t) { v = malloc(strlen((const char *)t) + 1); if (v) strcpy(v, (const char *)t); }
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return v;
}
static int sql_exec(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        char *err = NULL;
        rc = sqlite3_exec(db, sql, NULL, NULL, &err);
        if (rc != SQLITE_OK) fprintf(stderr, "sql_exec: %s\n", err ? err : "?");
        sqlite3_free(err);
    }
    sqlite3_close(db);
    return rc;
}

/* One org, one user, one mailbox. */
typedef struct fixture { int64_t org, user, mb; } fixture;
static fixture setup(crm_store *s, const char *mbname) {
    fixture f = {0, 0, 0};
    char name[128];
    snprintf(name, sizeof name, "org-%s", mbname);
    crm_store_org org = {name, "https://acme.my.salesforce.com", "62.0", 500, "store", "00D000000000001"};
    CHECK_OK(crm_store_org_add(s, &org, &f.org));
    snprintf(name, sizeof name, "%s@acme.com", mbname);
    crm_store_user u = {f.org, name, "005000000000001", "rep@acme.com", "[\"alias@acme.com\"]"};
    CHECK_OK(crm_store_user_add(s, &u, &f.user));
    crm_store_mailbox m = {f.user, mbname, "maildir", "{\"path\":\"/var/mail/x\"}", 0};
    CHECK_OK(crm_store_mailbox_add(s, &m, &f.mb));
    return f;
}

/* ---------------- migrations ---------------- */
static void test_migrations_fresh(void) {
    const char *p = db_path("fresh");
    crm_store *s = open_store(p, 0);
    CHECK(s != NULL);
    if (!s) return;
    int v = 0;
    CHECK_OK(crm_store_schema_version(s, &v));
    CHECK(v == CRM_STORE_SCHEMA_LATEST);
    crm_store_close(s);
    CHECK(sql_int(p, "SELECT COUNT(*) FROM schema_version") == CRM_STORE_SCHEMA_LATEST);
    struct stat sb;
    CHECK(stat(p, &sb) == 0 && (sb.st_mode & 077) == 0); /* it holds refresh tokens: owner only */
    char *jm = sql_text(p, "PRAGMA journal_mode");
    CHECK_STR(jm, "wal");
    free(jm);
    /* reopening applies nothing twice */
    s = open_store(p, 0);
    CHECK(s != NULL);
    crm_store_close(s);
    CHECK(sql_int(p, "SELECT COUNT(*) FROM schema_version") == CRM_STORE_SCHEMA_LATEST);
    /* foreign keys are on: a user of a missing org is refused */
    s = open_store(p, 0);
    crm_store_user u = {999, "x@y.com", NULL, NULL, NULL};
    int64_t id = 0;
    CHECK_ST(crm_store_user_add(s, &u, &id), CRM_STORE_E_CONSTRAINT);
    crm_store_close(s);
}

static void test_migrations_upgrade(void) {
    const char *p = db_path("upgrade");
    crm_store *s = open_store(p, 1);
    CHECK(s != NULL);
    if (!s) return;
    int v = 0;
    CHECK_OK(crm_store_schema_version(s, &v));
    CHECK(v == 1);
    crm_store_close(s);
    CHECK(sql_int(p, "SELECT COUNT(*) FROM pragma_table_info('mailboxes') WHERE name = 'lease_owner'") == 0);
    /* data written by a v1 crmsync (its columns only) */
    CHECK(sql_exec(p,
                   "INSERT INTO orgs(id, name, refresh_token) VALUES(1, 'old', 'rt-old');"
                   "INSERT INTO users(id, org_id, email, sf_user_id) VALUES(1, 1, 'a@old.com', '005OLD');"
                   "INSERT INTO mailboxes(id, user_id, name, kind, next_run_at) VALUES(1, 1, 'old-box', 'imap', 100);"
                   "INSERT INTO ledger(org_id, key, mailbox_id, message_id, created_at) VALUES(1, 'K-old', 1, '<m@old>', 5);"
                   "INSERT INTO cursors(mailbox_id, folder, cursor, updated_at) VALUES(1, 'INBOX', '42:7', 5);"
                   "INSERT INTO issues(mailbox_id, at, kind, code, message) VALUES(1, 50, 'write', 'E_X', 'old issue');") == SQLITE_OK);
    s = open_store(p, 0);
    CHECK(s != NULL);
    if (!s) return;
    CHECK_OK(crm_store_schema_version(s, &v));
    CHECK(v == CRM_STORE_SCHEMA_LATEST);
    CHECK(sql_int(p, "SELECT COUNT(*) FROM schema_version") == CRM_STORE_SCHEMA_LATEST);
    cJSON *o = NULL;
    CHECK_OK(crm_store_org_get(s, 1, &o));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "sf_org_id")), "");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(o, "has_refresh_token")));
    cJSON_Delete(o);
    cJSON *m = NULL;
    CHECK_OK(crm_store_mailbox_get(s, 1, &m));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(m, "lease_owner")));
    cJSON_Delete(m);
    char *c = NULL;
    CHECK_OK(crm_store_cursor_get(s, 1, "INBOX", &c));
    CHECK_STR(c, "42:7");
    free(c);
    const char *keys[] = {"K-old", "K-new"};
    bool known[2] = {false, true};
    CHECK_OK(crm_store_ledger_known(s, 1, keys, 2, known));
    CHECK(known[0] && !known[1]);
    int64_t ids[4];
    size_t n = 0;
    CHECK_OK(crm_store_claim_due(s, "w1", 200, 60, 4, ids, &n)); /* v2 columns work */
    CHECK(n == 1 && ids[0] == 1);
    cJSON *issues = NULL;
    CHECK_OK(crm_store_issues_list(s, 0, 0, &issues)); /* v3 column resolved defaults to open */
    CHECK(cJSON_GetArraySize(issues) == 1 && cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(issues, 0), "resolved")));
    cJSON_Delete(issues);
    crm_store_close(s);
}

static void test_migrations_refused(void) {
    const char *p = db_path("newer");
    crm_store *s = open_store(p, 0);
    CHECK(s != NULL);
    crm_store_close(s);
    CHECK(sql_exec(p, "INSERT INTO schema_version(version, applied_at) VALUES(99, 0)") == SQLITE_OK);
    crm_store_options o = {0, 0, false};
    CHECK_ST(crm_store_open(p, &o, &s), CRM_STORE_E_SCHEMA_NEWER);
    const char *msg = crm_store_errmsg(s);
    CHECK(strstr(msg, "99") != NULL && strstr(msg, "newer") != NULL);
    crm_store_close(s);
    CHECK(sql_int(p, "SELECT MAX(version) FROM schema_version") == 99); /* left unchanged */

    /* not a database */
    const char *g = db_path("garbage");
    FILE *f = fopen(g, "wb");
    CHECK(f != NULL);
    if (f) { for (int i = 0; i < 4096; i++) fputc('x', f); fclose(f); }
    CHECK_ST(crm_store_open(g, &o, &s), CRM_STORE_E_CORRUPT);
    CHECK(strstr(crm_store_errmsg(s), "not a crmsync database") != NULL);
    crm_store_close(s);
    /* must_exist */
    crm_store_options me = {0, 0, true};
    CHECK_ST(crm_store_open(db_path("missing"), &me, &s), CRM_STORE_E_IO);
    crm_store_close(s);
    CHECK(access(db_path("missing"), F_OK) != 0);
    /* an unknown target version */
    crm_store_options bad = {CRM_STORE_SCHEMA_LATEST + 1, 0, false};
    CHECK_ST(crm_store_open(db_path("bad"), &bad, &s), CRM_STORE_E_INVALID);
    crm_store_close(s);
}

/* ---------------- the API ---------------- */
static void test_orgs_users_mailboxes(void) {
    crm_store *s = open_store(db_path("api"), 0);
    if (!s) { CHECK(0); return; }
    fixture f = setup(s, "alice");
    int64_t id = 0;
    crm_store_org dup = {"org-alice", NULL, NULL, 0, NULL, NULL};
    CHECK_ST(crm_store_org_add(s, &dup, &id), CRM_STORE_E_CONSTRAINT);
    crm_store_org noname = {"", NULL, NULL, 0, NULL, NULL};
    CHECK_ST(crm_store_org_add(s, &noname, &id), CRM_STORE_E_INVALID);
    CHECK_OK(crm_store_org_find(s, "org-alice", &id));
    CHECK(id == f.org);
    CHECK_ST(crm_store_org_find(s, "nope", &id), CRM_STORE_E_NOT_FOUND);

    /* the token: stored, readable only through its own call, never in org_get */
    static const char token[] = "5Aep861_SECRET_refresh_TOKEN_xyz";
    char *t = NULL;
    CHECK_OK(crm_store_org_refresh_token(s, f.org, &t));
    CHECK(t == NULL);
    CHECK_OK(crm_store_org_set_refresh_token(s, f.org, token));
    CHECK_OK(crm_store_org_refresh_token(s, f.org, &t));
    CHECK_STR(t, token);
    free(t);
    CHECK_ST(crm_store_org_set_refresh_token(s, 777, token), CRM_STORE_E_NOT_FOUND);
    CHECK(strstr(crm_store_errmsg(s), token) == NULL);
    cJSON *o = NULL;
    CHECK_OK(crm_store_org_get(s, f.org, &o));
    char *txt = cJSON_PrintUnformatted(o);
    CHECK(txt && strstr(txt, token) == NULL && strstr(txt, "\"has_refresh_token\":true"));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "api_version")), "62.0");
    CHECK(cJSON_GetObjectItem(o, "api_reserve")->valuedouble == 500);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "credentials_ref")), "store");
    free(txt);
    cJSON_Delete(o);

    crm_store_user baduser = {f.org, "b@acme.com", NULL, NULL, "[1,2]"};
    CHECK_ST(crm_store_user_add(s, &baduser, &id), CRM_STORE_E_INVALID);
    crm_store_user dupuser = {f.org, "alice@acme.com", NULL, NULL, NULL};
    CHECK_ST(crm_store_user_add(s, &dupuser, &id), CRM_STORE_E_CONSTRAINT);
    cJSON *u = NULL;
    CHECK_OK(crm_store_user_get(s, f.user, &u));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(u, "aliases"), 0)), "alias@acme.com");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(u, "sf_user_id")), "005000000000001");
    cJSON_Delete(u);
    CHECK_ST(crm_store_user_get(s, 555, &u), CRM_STORE_E_NOT_FOUND);

    crm_store_mailbox badkind = {f.user, "x", "pop3", NULL, 0};
    CHECK_ST(crm_store_mailbox_add(s, &badkind, &id), CRM_STORE_E_INVALID);
    crm_store_mailbox badcfg = {f.user, "x", "imap", "[]", 0};
    CHECK_ST(crm_store_mailbox_add(s, &badcfg, &id), CRM_STORE_E_INVALID);
    crm_store_mailbox dupname = {f.user, "alice", "imap", NULL, 0};
    CHECK_ST(crm_store_mailbox_add(s, &dupname, &id), CRM_STORE_E_CONSTRAINT);
    CHECK_OK(crm_store_mailbox_find(s, "alice", &id));
    CHECK(id == f.mb);
    cJSON *m = NULL;
    CHECK_OK(crm_store_mailbox_get(s, f.mb, &m));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "config"), "path")), "/var/mail/x");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(m, "kind")), "maildir");
    CHECK(cJSON_GetObjectItem(m, "org_id")->valuedouble == (double)f.org);
    cJSON_Delete(m);
    CHECK_OK(crm_store_mailbox_set_next_run(s, f.mb, 12345));
    CHECK_OK(crm_store_mailbox_get(s, f.mb, &m));
    CHECK(cJSON_GetObjectItem(m, "next_run_at")->valuedouble == 12345);
    cJSON_Delete(m);
    CHECK_ST(crm_store_mailbox_set_next_run(s, 999, 1), CRM_STORE_E_NOT_FOUND);
    crm_store_close(s);
}

static const cJSON *at(const cJSON *o, const char *a, const char *b) {
    const cJSON *x = cJSON_GetObjectItem(o, a);
    return b ? cJSON_GetObjectItem(x, b) : x;
}

static void test_settings(void) {
    crm_store *s = open_store(db_path("settings"), 0);
    if (!s) { CHECK(0); return; }
    fixture f = setup(s, "bob");
    CHECK_ST(crm_store_org_settings_set(s, f.org, "[1]", NULL), CRM_STORE_E_INVALID);
    CHECK_ST(crm_store_org_settings_set(s, f.org, NULL, "{\"a\":1}"), CRM_STORE_E_INVALID);
    CHECK_OK(crm_store_org_settings_set(s, f.org,
                                        "{\"email\":{\"mode\":\"all\",\"lookback_days\":6,\"folders\":[\"inbox\"]},"
                                        "\"events\":{\"meetings\":true},\"sync\":{\"interval_minutes\":60}}",
                                        "[\"email.mode\",\"events\"]"));
    CHECK_OK(crm_store_user_settings_set(s, f.user,
                                         "{\"email\":{\"mode\":\"off\",\"lookback_days\":10,\"folders\":[\"inbox\",\"sent\"]},"
                                         "\"events\":{\"meetings\":false},\"sync\":{\"interval_minutes\":30},"
                                         "\"blocklist\":{\"org\":[\"sneaky.com\"]},\"org_id\":\"fake\"}"));
    CHECK_ST(crm_store_user_settings_set(s, f.user, "nope"), CRM_STORE_E_INVALID);
    CHECK_OK(crm_store_blocklist_add(s, f.org, 0, "spam.com", true));
    CHECK_OK(crm_store_blocklist_add(s, f.org, 0, " .news.example ", false));
    CHECK_OK(crm_store_blocklist_add(s, f.org, f.user, "ex@partner.com", false));
    CHECK_OK(crm_store_blocklist_add(s, f.org, f.user, "ex@partner.com", false)); /* idempotent */
    CHECK_ST(crm_store_blocklist_add(s, f.org, 9999, "x.com", false), CRM_STORE_E_NOT_FOUND);
    CHECK_ST(crm_store_blocklist_add(s, f.org, 0, "   ", false), CRM_STORE_E_INVALID);

    cJSON *p = NULL;
    CHECK_OK(crm_store_settings_parts(s, f.mb, &p));
    CHECK_STR(cJSON_GetStringValue(at(at(p, "org", "defaults"), "email", "mode")), "all");
    CHECK(cJSON_GetArraySize(at(p, "org", "locks")) == 2);
    CHECK_STR(cJSON_GetStringValue(at(at(p, "user", NULL), "email", "mode")), "off");
    CHECK(cJSON_GetArraySize(at(p, "blocklist", "org")) == 2);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(at(p, "blocklist", "org"), 1)), ".news.example");
    CHECK(cJSON_GetArraySize(at(p, "blocklist", "org_locked")) == 1);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(at(p, "blocklist", "org_locked"), 0)), "spam.com");
    CHECK(cJSON_GetArraySize(at(p, "blocklist", "user")) == 1);
    CHECK_STR(cJSON_GetStringValue(at(at(p, "identity", "user"), "mailbox", NULL)), "bob@acme.com");
    CHECK_STR(cJSON_GetStringValue(at(p, "identity", "org_id")), "00D000000000001");
    cJSON_Delete(p);

    cJSON *e = NULL;
    CHECK_OK(crm_store_settings(s, f.mb, &e));
    CHECK_STR(cJSON_GetStringValue(at(e, "email", "mode")), "all");              /* locked: org wins */
    CHECK(at(e, "email", "lookback_days")->valuedouble == 10);                    /* unlocked: user wins */
    CHECK(cJSON_GetArraySize(at(e, "email", "folders")) == 2);                    /* arrays replaced whole */
    CHECK(cJSON_IsTrue(at(e, "events", "meetings")));                              /* ancestor lock */
    CHECK(at(e, "sync", "interval_minutes")->valuedouble == 30);
    CHECK_STR(cJSON_GetStringValue(at(e, "org_id", NULL)), "00D000000000001");    /* store-owned */
    CHECK(cJSON_GetArraySize(at(e, "blocklist", "org")) == 2);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(at(e, "blocklist", "org"), 0)), "spam.com");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(at(e, "blocklist", "user"), 0)), "ex@partner.com");
    CHECK_STR(cJSON_GetStringValue(at(e, "user", "id")), "005000000000001");
    CHECK_STR(cJSON_GetStringValue(at(e, "user", "salesforce_email")), "rep@acme.com");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(at(e, "user", "aliases"), 0)), "alias@acme.com");
    cJSON_Delete(e);

    /* a user replacing a whole object would override a locked leaf: ignored */
    CHECK_OK(crm_store_user_settings_set(s, f.user, "{\"email\":7}"));
    CHECK_OK(crm_store_settings(s, f.mb, &e));
    CHECK_STR(cJSON_GetStringValue(at(e, "email", "mode")), "all");
    cJSON_Delete(e);

    /* blocklist removal: locked org entries need an admin */
    CHECK_ST(crm_store_blocklist_remove(s, f.org, 0, "spam.com", false), CRM_STORE_E_LOCKED);
    CHECK(strstr(crm_store_errmsg(s), "locked") != NULL);
    CHECK_OK(crm_store_blocklist_remove(s, f.org, 0, ".news.example", false));
    CHECK_OK(crm_store_blocklist_remove(s, f.org, 0, "spam.com", true));
    CHECK_ST(crm_store_blocklist_remove(s, f.org, 0, "spam.com", true), CRM_STORE_E_NOT_FOUND);
    CHECK_OK(crm_store_blocklist_remove(s, f.org, f.user, "ex@partner.com", false));
    CHECK_ST(crm_store_blocklist_remove(s, f.org, f.user, "ex@partner.com", false), CRM_STORE_E_NOT_FOUND);
    CHECK_OK(crm_store_settings_parts(s, f.mb, &p));
    CHECK(cJSON_GetArraySize(at(p, "blocklist", "org")) == 0 && cJSON_GetArraySize(at(p, "blocklist", "user")) == 0);
    cJSON_Delete(p);
    CHECK_ST(crm_store_settings(s, 4242, &e), CRM_STORE_E_NOT_FOUND);
    crm_store_close(s);
}

static void test_ledger_context(void) {
    crm_store *s = open_store(db_path("ledger"), 0);
    if (!s) { CHECK(0); return; }
    fixture f = setup(s, "carol");
    /* a second mailbox of the same org shares the ledger */
    crm_store_user u2 = {f.org, "dave@acme.com", NULL, NULL, NULL};
    int64_t user2 = 0, mb2 = 0;
    CHECK_OK(crm_store_user_add(s, &u2, &user2));
    crm_store_mailbox m2 = {user2, "dave", "imap", NULL, 0};
    CHECK_OK(crm_store_mailbox_add(s, &m2, &mb2));

    static char unset[] = "unset";
    char *c = unset;
    CHECK_OK(crm_store_cursor_get(s, f.mb, "inbox", &c));
    CHECK(c == NULL);
    crm_store_ledger_entry e[3] = {
        {"K1", "<m1@x>", "2026-11-20T10:00:00Z", "[\"00T1\"]"},
        {"K2", "<m2@x>", "2026-11-20T11:00:00Z", "[\"00T2\",\"00T3\"]"},
        {"K3", NULL, NULL, NULL},
    };
    size_t ins = 99;
    CHECK_OK(crm_store_commit_batch(s, f.mb, NULL, e, 3, CRM_STORE_DUP_FAIL, "inbox", "uid:10", 1000, &ins));
    CHECK(ins == 3);
    CHECK_OK(crm_store_cursor_get(s, f.mb, "inbox", &c));
    CHECK_STR(c, "uid:10");
    free(c);
    /* KEEP: a key the org already has (saved from the other mailbox) keeps its first entry */
    crm_store_ledger_entry e2[2] = {{"K2", "<m2@x>", "", "[\"00TX\"]"}, {"K4", "<m4@x>", "", "[\"00T4\"]"}};
    CHECK_OK(crm_store_commit_batch(s, mb2, NULL, e2, 2, CRM_STORE_DUP_KEEP, "INBOX", "7:1", 1001, &ins));
    CHECK(ins == 1);
    int64_t count = 0;
    CHECK_OK(crm_store_ledger_count(s, mb2, &count));
    CHECK(count == 4);
    /* batched look-up: one call for many keys */
    const char *keys[] = {"K4", "nope", "K1", "K3", "", "K2"};
    bool known[6];
    CHECK_OK(crm_store_ledger_known(s, mb2, keys, 6, known));
    CHECK(known[0] && !known[1] && known[2] && known[3] && !known[4] && known[5]);
    /* a cursor alone */
    CHECK_OK(crm_store_cursor_set(s, f.mb, "sent", "uid:3", 1002));
    CHECK_OK(crm_store_cursor_get(s, f.mb, "sent", &c));
    CHECK_STR(c, "uid:3");
    free(c);
    CHECK_ST(crm_store_cursor_set(s, f.mb, "", "x", 0), CRM_STORE_E_INVALID);
    /* a batch with no entries only moves the cursor */
    CHECK_OK(crm_store_commit_batch(s, f.mb, NULL, NULL, 0, CRM_STORE_DUP_FAIL, "inbox", "uid:11", 1003, &ins));
    CHECK(ins == 0);

    /* threads and context */
    CHECK_OK(crm_store_thread_flag(s, f.mb, "conv-1", "2026-11-19T09:00:00Z", "[\"003A\"]", "006A"));
    CHECK_OK(crm_store_thread_flag(s, f.mb, "conv-2", "2026-11-19T09:00:00Z", NULL, NULL));
    CHECK_OK(crm_store_thread_flag(s, f.mb, "conv-1", "2026-11-21T09:00:00Z", "[\"003B\"]", "")); /* re-flag */
    CHECK_OK(crm_store_thread_flag(s, mb2, "conv-3", "2026-11-19T09:00:00Z", NULL, NULL));
    CHECK_ST(crm_store_thread_flag(s, f.mb, "", "x", NULL, NULL), CRM_STORE_E_INVALID);
    CHECK_ST(crm_store_thread_flag(s, f.mb, "conv-9", "x", "{}", NULL), CRM_STORE_E_INVALID);
    const char *ck[] = {"K3", "K9"};
    const char *cm[] = {"<m2@x>", "", "<m4@x>"};
    const char *cc[] = {"conv-1", "conv-3", "conv-2"};
    cJSON *ctx = NULL;
    CHECK_OK(crm_store_context(s, f.mb, "2026-11-22T10:00:00Z", ck, 2, cm, 3, cc, 3, &ctx));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ctx, "now")), "2026-11-22T10:00:00Z");
    const cJSON *saved = cJSON_GetObjectItem(ctx, "saved");
    CHECK(cJSON_GetArraySize(saved) == 3); /* K2 (by message id), K3 (by key), K4 (other mailbox, same org) */
    CHECK_STR(cJSON_GetStringValue(at(cJSON_GetArrayItem(saved, 0), "key", NULL)), "K2");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(at(cJSON_GetArrayItem(saved, 0), "record_ids", NULL), 1)), "00T3");
    CHECK_STR(cJSON_GetStringValue(at(cJSON_GetArrayItem(saved, 0), "date", NULL)), "2026-11-20T11:00:00Z");
    CHECK_STR(cJSON_GetStringValue(at(cJSON_GetArrayItem(saved, 1), "key", NULL)), "K3");
    CHECK_STR(cJSON_GetStringValue(at(cJSON_GetArrayItem(saved, 2), "key", NULL)), "K4");
    const cJSON *threads = cJSON_GetObjectItem(ctx, "threads");
    CHECK(cJSON_GetArraySize(threads) == 2); /* conv-3 belongs to the other mailbox */
    const cJSON *t1 = cJSON_GetArrayItem(threads, 0);
    CHECK_STR(cJSON_GetStringValue(at(t1, "conversation_id", NULL)), "conv-1");
    CHECK_STR(cJSON_GetStringValue(at(t1, "flagged_at", NULL)), "2026-11-21T09:00:00Z");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(at(t1, "who", NULL), 0)), "003B");
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(ctx, "view_ids")));
    cJSON_Delete(ctx);
    /* the context of another org sees nothing of this one */
    fixture g = setup(s, "erin");
    CHECK_OK(crm_store_context(s, g.mb, "", ck, 2, cm, 3, cc, 3, &ctx));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(ctx, "saved")) == 0);
    cJSON_Delete(ctx);
    crm_store_close(s);
}

static void test_issues_api(void) {
    crm_store *s = open_store(db_path("issues"), 0);
    if (!s) { CHECK(0); return; }
    fixture f = setup(s, "frank");
    fixture g = setup(s, "gina");
    CHECK_OK(crm_store_org_set_refresh_token(s, f.org, "TOKEN-abcdef-123"));
    int64_t i1 = 0, i2 = 0, i3 = 0;
    crm_store_issue a = {f.mb, 100, "write", "K1", "<m1@x> Hello", "STRING_TOO_LONG", "Subject: data value too large"};
    CHECK_OK(crm_store_issue_add(s, &a, &i1));
    a.at = 200;
    a.message = "still too large";
    CHECK_OK(crm_store_issue_add(s, &a, &i2)); /* same open issue: retried */
    CHECK(i1 == i2);
    crm_store_issue b = {f.mb, 150, "session", NULL, NULL, "E_AUTH", "refresh failed: token TOKEN-abcdef-123 refused"};
    CHECK_OK(crm_store_issue_add(s, &b, &i3));
    CHECK(i3 != i1);
    crm_store_issue c = {g.mb, 300, "read", "", "INBOX/7", "E_IMAP", "connection dropped"};
    CHECK_OK(crm_store_issue_add(s, &c, NULL));
    crm_store_issue bad = {f.mb, 1, "", NULL, NULL, NULL, NULL};
    CHECK_ST(crm_store_issue_add(s, &bad, NULL), CRM_STORE_E_INVALID);
    crm_store_issue nomb = {999, 1, "x", NULL, NULL, NULL, NULL};
    CHECK_ST(crm_store_issue_add(s, &nomb, NULL), CRM_STORE_E_NOT_FOUND);

    cJSON *l = NULL;
    CHECK_OK(crm_store_issues_list(s, 0, 0, &l));
    CHECK(cJSON_GetArraySize(l) == 3);
    CHECK_STR(cJSON_GetStringValue(at(cJSON_GetArrayItem(l, 0), "mailbox", NULL)), "gina"); /* newest first */
    const cJSON *w = cJSON_GetArrayItem(l, 1);
    CHECK(at(w, "id", NULL)->valuedouble == (double)i1 && at(w, "retried", NULL)->valuedouble == 1);
    CHECK_STR(cJSON_GetStringValue(at(w, "message", NULL)), "still too large");
    CHECK_STR(cJSON_GetStringValue(at(cJSON_GetArrayItem(l, 2), "message", NULL)), "refresh failed: token [redacted] refused");
    cJSON_Delete(l);
    CHECK_OK(crm_store_issues_list(s, f.mb, 1, &l));
    CHECK(cJSON_GetArraySize(l) == 1);
    cJSON_Delete(l);
    /* resolved issues are not bumped: the same failure later is a new issue */
    CHECK_OK(crm_store_issue_resolve(s, i1));
    CHECK_ST(crm_store_issue_resolve(s, 4242), CRM_STORE_E_NOT_FOUND);
    a.at = 400;
    CHECK_OK(crm_store_issue_add(s, &a, &i2));
    CHECK(i2 != i1);
    CHECK_OK(crm_store_issues_list(s, f.mb, 0, &l));
    CHECK(cJSON_GetArraySize(l) == 3);
    /* at 400 (new, open), 200 (resolved), 150 (open) */
    CHECK(cJSON_IsFalse(at(cJSON_GetArrayItem(l, 0), "resolved", NULL)) && at(cJSON_GetArrayItem(l, 0), "retried", NULL)->valuedouble == 0);
    CHECK(cJSON_IsTrue(at(cJSON_GetArrayItem(l, 1), "resolved", NULL)));
    CHECK(cJSON_IsFalse(at(cJSON_GetArrayItem(l, 2), "resolved", NULL)));
    cJSON_Delete(l);
    crm_store_close(s);
}

/* ---------------- atomicity ---------------- */
static void test_atomic(void) {
    const char *p = db_path("atomic");
    crm_store *s = open_store(p, 0);
    if (!s) { CHECK(0); return; }
    fixture f = setup(s, "hank");
    crm_store_ledger_entry first[1] = {{"K-dup", "<d@x>", "", "[]"}};
    CHECK_OK(crm_store_commit_batch(s, f.mb, NULL, first, 1, CRM_STORE_DUP_FAIL, "inbox", "c1", 1, NULL));
    long long before = sql_int(p, "SELECT COUNT(*) FROM ledger");

    /* 1. a UNIQUE violation at the 4th of 5 rows: neither the 3 rows before nor the cursor */
    crm_store_ledger_entry batch[5] = {
        {"K-a", "", "", "[]"}, {"K-b", "", "", "[]"}, {"K-c", "", "", "[]"}, {"K-dup", "", "", "[]"}, {"K-e", "", "", "[]"}};
    size_t ins = 7;
    CHECK_ST(crm_store_commit_batch(s, f.mb, NULL, batch, 5, CRM_STORE_DUP_FAIL, "inbox", "c2", 2, &ins), CRM_STORE_E_CONSTRAINT);
    CHECK(ins == 0);
    CHECK(strstr(crm_store_errmsg(s), "entry 3") != NULL);
    CHECK(sql_int(p, "SELECT COUNT(*) FROM ledger") == before);
    char *cur = sql_text(p, "SELECT cursor FROM cursors WHERE folder = 'inbox'");
    CHECK_STR(cur, "c1");
    free(cur);

    /* 2. a bad entry (checked in C, between statements) in KEEP mode */
    batch[3].key = "K-d";
    batch[4].record_ids_json = "{\"not\":\"an array\"}";
    CHECK_ST(crm_store_commit_batch(s, f.mb, NULL, batch, 5, CRM_STORE_DUP_KEEP, "inbox", "c2", 2, &ins), CRM_STORE_E_INVALID);
    CHECK(sql_int(p, "SELECT COUNT(*) FROM ledger") == before);
    batch[4].record_ids_json = "[]";

    /* 3. the cursor write itself fails after all ledger rows went in (an injected trigger) */
    CHECK(sql_exec(p, "CREATE TRIGGER inject_ins BEFORE INSERT ON cursors WHEN NEW.cursor = 'boom' BEGIN SELECT RAISE(ABORT, 'injected'); END;"
                      "CREATE TRIGGER inject_upd BEFORE UPDATE ON cursors WHEN NEW.cursor = 'boom' BEGIN SELECT RAISE(ABORT, 'injected'); END;") == SQLITE_OK);
    CHECK(crm_store_commit_batch(s, f.mb, NULL, batch, 5, CRM_STORE_DUP_FAIL, "inbox", "boom", 2, &ins) != CRM_STORE_OK);
    CHECK(sql_int(p, "SELECT COUNT(*) FROM ledger") == before);
    CHECK(crm_store_commit_batch(s, f.mb, NULL, batch, 5, CRM_STORE_DUP_FAIL, "new-folder", "boom", 2, &ins) != CRM_STORE_OK);
    CHECK(sql_int(p, "SELECT COUNT(*) FROM ledger") == before);
    CHECK(sql_int(p, "SELECT COUNT(*) FROM cursors WHERE folder = 'new-folder'") == 0);
    cur = sql_text(p, "SELECT cursor FROM cursors WHERE folder = 'inbox'");
    CHECK_STR(cur, "c1");
    free(cur);
    CHECK(sql_exec(p, "DROP TRIGGER inject_ins; DROP TRIGGER inject_upd;") == SQLITE_OK);

    /* 4. a worker that lost its lease records nothing */
    int64_t ids[1];
    size_t n = 0;
    CHECK_OK(crm_store_claim_due(s, "w-new", 10, 60, 1, ids, &n));
    CHECK(n == 1);
    CHECK_ST(crm_store_commit_batch(s, f.mb, "w-old", batch, 5, CRM_STORE_DUP_FAIL, "inbox", "c2", 2, &ins), CRM_STORE_E_LEASE_LOST);
    CHECK(sql_int(p, "SELECT COUNT(*) FROM ledger") == before);

    /* and the same batch, now valid, goes in whole (the handle is usable after failures) */
    CHECK_OK(crm_store_commit_batch(s, f.mb, "w-new", batch, 5, CRM_STORE_DUP_FAIL, "inbox", "c2", 2, &ins));
    CHECK(ins == 5);
    CHECK(sql_int(p, "SELECT COUNT(*) FROM ledger") == before + 5);
    cur = sql_text(p, "SELECT cursor FROM cursors WHERE folder = 'inbox'");
    CHECK_STR(cur, "c2");
    free(cur);
    crm_store_close(s);
}

/* ---------------- crash safety ---------------- */
#define CRASH_ROUNDS 25
#define CRASH_BATCH 5

static unsigned lcg(unsigned *st) { *st = *st * 1103515245u + 12345u; return (*st >> 16) & 0x7fff; }

/* The child: an engine-like loop from the stored cursor on; tells the parent after its
 * first commit of this run, then writes until killed. */
static void crash_child(const char *path, int64_t mb, int ready_fd) {
    crm_store *s = open_store(path, 0);
    if (!s) _exit(3);
    char *c = NULL;
    if (crm_store_cursor_get(s, mb, "inbox", &c) != CRM_STORE_OK) _exit(4);
    long next = c ? strtol(c, NULL, 10) + 1 : 0;
    free(c);
    for (int first = 1;; next++, first = 0) {
        char keys[CRASH_BATCH][32], ids[CRASH_BATCH][40], cursor[32];
        crm_store_ledger_entry e[CRASH_BATCH];
        for (int j = 0; j < CRASH_BATCH; j++) {
            snprintf(keys[j], sizeof keys[j], "b%ld-%d", next, j);
            snprintf(ids[j], sizeof ids[j], "[\"00T%ld%d\"]", next, j);
            e[j] = (crm_store_ledger_entry){keys[j], keys[j], "2026-11-22T00:00:00Z", ids[j]};
        }
        snprintf(cursor, sizeof cursor, "%ld", next);
        if (crm_store_commit_batch(s, mb, NULL, e, CRASH_BATCH, CRM_STORE_DUP_FAIL, "inbox", cursor, next, NULL) != CRM_STORE_OK)
            _exit(5);
        if (first && write(ready_fd, "r", 1) != 1) _exit(6);
    }
}

static void test_crash(void) {
    const char *p = db_path("crash");
    crm_store *s = open_store(p, 0);
    if (!s) { CHECK(0); return; }
    fixture f = setup(s, "ivan");
    crm_store_close(s);
    unsigned seed = 20261122u;
    long last = -1;
    long long last_rows = 0;
    int consistent = 0, progressed = 0, killed = 0;
    for (int round = 0; round < CRASH_ROUNDS; round++) {
        int fds[2];
        if (pipe(fds) != 0) { CHECK(0); return; }
        pid_t pid = fork();
        if (pid == 0) { close(fds[0]); crash_child(p, f.mb, fds[1]); _exit(0); }
        close(fds[1]);
        char b;
        ssize_t got = read(fds[0], &b, 1); /* the child committed at least once this run */
        close(fds[0]);
        /* a deterministic pseudo-random point within the next few milliseconds of writing */
        struct timespec ts = {0, (long)(lcg(&seed) % 8000) * 1000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) killed++;
        else fprintf(stderr, "crash round %d: child ended without the kill (status %d, read %zd)\n", round, status, got);

        char *ic = sql_text(p, "PRAGMA integrity_check");
        bool ok = ic && strcmp(ic, "ok") == 0;
        free(ic);
        char *c = sql_text(p, "SELECT cursor FROM cursors WHERE folder = 'inbox'");
        long cur = c ? strtol(c, NULL, 10) : -1;
        free(c);
        /* cursor never ahead of the ledger, ledger never ahead of the cursor: exactly the
         * batches 0..cur are recorded, each whole */
        long long rows = sql_int(p, "SELECT COUNT(*) FROM ledger");
        ok = ok && rows == (cur + 1) * CRASH_BATCH;
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT COUNT(DISTINCT substr(key, 2, instr(key, '-') - 2)) FROM ledger WHERE CAST(substr(key, 2, instr(key, '-') - 2) AS INTEGER) <= %ld", cur);
        ok = ok && sql_int(p, sql) == cur + 1;
        if (ok) consistent++;
        else fprintf(stderr, "crash round %d: inconsistent (cursor %ld, %lld rows)\n", round, cur, rows);
        if (cur > last) progressed++;
        last = cur;
        last_rows = rows;
    }
    CHECK(killed == CRASH_ROUNDS);
    CHECK(consistent == CRASH_ROUNDS);
    CHECK(progressed == CRASH_ROUNDS); /* each restart resumed from its cursor and moved on */
    printf("crash safety: %d kills, cursor at batch %ld, %lld ledger rows, consistent every time: %s\n", killed, last,
           last_rows, consistent == CRASH_ROUNDS ? "yes" : "no");
}

/* ---------------- concurrent leases ---------------- */
#define LEASE_MAILBOXES 120
#define LEASE_WORKERS 3

static void lease_child(const char *path, int w, int ready_fd, int go_fd, int out_fd) {
    crm_store *s = open_store(path, 0);
    if (!s) _exit(4);
    if (write(ready_fd, "r", 1) != 1) _exit(7);
    char b;
    if (read(go_fd, &b, 1) < 0) _exit(3); /* returns 0 when the parent closes: everyone starts together */
    char owner[16];
    snprintf(owner, sizeof owner, "w%d", w);
    for (int idle = 0, total = 0; idle < 3 && total < 2 * LEASE_MAILBOXES; total++) { /* bounded even if claiming were broken */
        int64_t ids[1];
        size_t n = 0;
        crm_store_status r = crm_store_claim_due(s, owner, 1000, 600, 1, ids, &n);
        if (r == CRM_STORE_E_BUSY) continue;
        if (r != CRM_STORE_OK) _exit(5);
        if (n == 0) { idle++; continue; }
        if (write(out_fd, ids, n * sizeof ids[0]) != (ssize_t)(n * sizeof ids[0])) _exit(6);
        struct timespec ts = {0, 200000}; /* a moment of "work", so the workers interleave */
        nanosleep(&ts, NULL);
    }
    crm_store_close(s);
    _exit(0);
}

static void test_leases(void) {
    const char *p = db_path("leases");
    crm_store *s = open_store(p, 0);
    if (!s) { CHECK(0); return; }
    fixture f = setup(s, "mb0");
    int64_t mbs[LEASE_MAILBOXES];
    mbs[0] = f.mb;
    for (int i = 1; i < LEASE_MAILBOXES; i++) {
        char name[16];
        snprintf(name, sizeof name, "mb%d", i);
        crm_store_mailbox m = {f.user, name, "imap", NULL, 900 - LEASE_MAILBOXES + i};
        CHECK_OK(crm_store_mailbox_add(s, &m, &mbs[i]));
    }
    crm_store_mailbox later = {f.user, "not-due", "imap", NULL, 5000};
    int64_t not_due = 0;
    CHECK_OK(crm_store_mailbox_add(s, &later, &not_due));
    crm_store_close(s);

    int go[2], ready[2], out[LEASE_WORKERS][2];
    pid_t pids[LEASE_WORKERS];
    if (pipe(go) != 0 || pipe(ready) != 0) { CHECK(0); return; }
    for (int w = 0; w < LEASE_WORKERS; w++) {
        if (pipe(out[w]) != 0) { CHECK(0); return; }
        pids[w] = fork();
        if (pids[w] == 0) {
            close(go[1]);
            close(ready[0]);
            close(out[w][0]);
            lease_child(p, w, ready[1], go[0], out[w][1]);
        }
        close(out[w][1]);
    }
    close(go[0]);
    close(ready[1]);
    char r;
    for (int w = 0; w < LEASE_WORKERS; w++) if (read(ready[0], &r, 1) != 1) break; /* every worker has its store open */
    close(ready[0]);
    close(go[1]); /* go */
    int owner_of[LEASE_MAILBOXES + 2];
    int claims = 0, doubles = 0, per_worker[LEASE_WORKERS] = {0};
    for (int i = 0; i < LEASE_MAILBOXES + 2; i++) owner_of[i] = -1;
    for (int w = 0; w < LEASE_WORKERS; w++) {
        int64_t id;
        while (read(out[w][0], &id, sizeof id) == (ssize_t)sizeof id) {
            claims++;
            per_worker[w]++;
            int k = -1;
            for (int i = 0; i < LEASE_MAILBOXES; i++) if (mbs[i] == id) k = i;
            if (k < 0) { doubles++; continue; } /* claimed something not due */
            if (owner_of[k] != -1) doubles++;
            owner_of[k] = w;
        }
        close(out[w][0]);
    }
    int clean = 0;
    for (int w = 0; w < LEASE_WORKERS; w++) {
        int status = 0;
        waitpid(pids[w], &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) clean++;
    }
    CHECK(clean == LEASE_WORKERS);
    CHECK(doubles == 0);
    CHECK(claims == LEASE_MAILBOXES);
    int agree = 0;
    for (int i = 0; i < LEASE_MAILBOXES; i++) {
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT CAST(substr(lease_owner, 2) AS INTEGER) FROM mailboxes WHERE id = %lld", (long long)mbs[i]);
        if (owner_of[i] >= 0 && sql_int(p, sql) == owner_of[i]) agree++;
    }
    CHECK(agree == LEASE_MAILBOXES);
    printf("leases: %d workers claimed %d mailboxes (%d/%d/%d), %d claimed twice\n", LEASE_WORKERS, claims, per_worker[0],
           per_worker[1], LEASE_WORKERS > 2 ? per_worker[2] : 0, doubles);

    /* renew, expiry, reclaim, release (one process, a controlled clock) */
    s = open_store(p, 0);
    if (!s) { CHECK(0); return; }
    int64_t m0 = mbs[0];
    char owner0[8];
    snprintf(owner0, sizeof owner0, "w%d", owner_of[0]);
    int64_t ids[LEASE_MAILBOXES + 2];
    size_t n = 0;
    CHECK_OK(crm_store_claim_due(s, "late", 1000, 600, LEASE_MAILBOXES + 2, ids, &n));
    CHECK(n == 0); /* all held */
    CHECK_OK(crm_store_lease_renew(s, m0, owner0, 1500, 600)); /* until 2100 */
    CHECK_ST(crm_store_lease_renew(s, m0, "intruder", 1500, 600), CRM_STORE_E_LEASE_LOST);
    CHECK_OK(crm_store_claim_due(s, "w9", 1700, 600, LEASE_MAILBOXES + 2, ids, &n)); /* others expired at 1600 */
    CHECK(n == LEASE_MAILBOXES - 1);
    bool has_m0 = false;
    for (size_t i = 0; i < n; i++) if (ids[i] == m0 || ids[i] == not_due) has_m0 = true;
    CHECK(!has_m0);
    CHECK(n >= 2 && ids[0] == mbs[1] && ids[1] == mbs[2]); /* most overdue first */
    CHECK_OK(crm_store_claim_due(s, "w9", 2200, 600, 1, ids, &n)); /* m0's renewed lease expired at 2100 */
    CHECK(n == 1 && ids[0] == m0);
    CHECK_ST(crm_store_lease_renew(s, m0, owner0, 2200, 600), CRM_STORE_E_LEASE_LOST);
    CHECK_ST(crm_store_lease_release(s, m0, owner0, 9999, "stale"), CRM_STORE_E_LEASE_LOST);
    CHECK_OK(crm_store_lease_release(s, m0, "w9", 4000, "saved 3, skipped 2"));
    cJSON *m = NULL;
    CHECK_OK(crm_store_mailbox_get(s, m0, &m));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(m, "lease_owner")) && cJSON_GetObjectItem(m, "next_run_at")->valuedouble == 4000);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(m, "last_result")), "saved 3, skipped 2");
    cJSON_Delete(m);
    CHECK_OK(crm_store_claim_due(s, "w8", 2250, 600, 5, ids, &n));
    CHECK(n == 0); /* m0 released but not due until 4000; the others leased by w9 until 2300 */
    CHECK_OK(crm_store_claim_due(s, "w8", 4000, 600, LEASE_MAILBOXES + 2, ids, &n));
    CHECK(n == LEASE_MAILBOXES && ids[n - 1] == m0); /* every expired lease, m0 last (due latest); not not_due */
    for (size_t i = 0; i < n; i++) CHECK(ids[i] != not_due);
    CHECK_ST(crm_store_claim_due(s, "", 4000, 600, 5, ids, &n), CRM_STORE_E_INVALID);
    crm_store_close(s);
}

/* ---------------- crmsync issues ---------------- */
static char *run_cmd(const char *cmd, int *rc) {
    FILE *f = popen(cmd, "r");
    if (f == NULL) { *rc = -1; return NULL; }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) { char *nb = realloc(buf, cap *= 2); if (!nb) { free(buf); buf = NULL; } else buf = nb; }
    }
    if (buf) buf[n] = '\0';
    int st = pclose(f);
    *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return buf;
}

static void test_cli(void) {
    if (crmsync_bin == NULL) { fprintf(stderr, "test_cli: no --crmsync given\n"); CHECK(0); return; }
    const char *p = db_path("cli");
    crm_store *s = open_store(p, 0);
    if (!s) { CHECK(0); return; }
    fixture f = setup(s, "jane.inbox");
    fixture g = setup(s, "kim.inbox");
    static const char token[] = "5Aep861TOPSECRETrefreshtoken0001";
    CHECK_OK(crm_store_org_set_refresh_token(s, f.org, token));
    crm_store_issue a = {f.mb, 1795341600, "write", "K2:abc", "<q1@acme.com> Quote for Q4", "STRING_TOO_LONG",
                         "Task.Subject: data value too large"};
    CHECK_OK(crm_store_issue_add(s, &a, NULL));
    a.at += 1800;
    CHECK_OK(crm_store_issue_add(s, &a, NULL));
    crm_store_issue b = {f.mb, 1795341700, "session", NULL, NULL, "E_AUTH", "token refresh refused (sent 5Aep861TOPSECRETrefreshtoken0001)\x1b[31m"};
    CHECK_OK(crm_store_issue_add(s, &b, NULL));
    crm_store_issue c = {g.mb, 1795341000, "read", NULL, "INBOX uid 7", "E_IMAP", "connection dropped"};
    CHECK_OK(crm_store_issue_add(s, &c, NULL));
    crm_store_close(s);

    char cmd[1024];
    int rc = 0;
    snprintf(cmd, sizeof cmd, "%s issues --db %s 2>&1", crmsync_bin, p);
    char *out = run_cmd(cmd, &rc);
    CHECK(rc == 0 && out != NULL);
    if (out) {
        CHECK(strstr(out, "3 issues") != NULL);
        CHECK(strstr(out, "2026-11-22 10:30:00 UTC  mailbox jane.inbox") != NULL); /* 1795341600 + 1800 */
        CHECK(strstr(out, "what:  could not write to Salesforce: <q1@acme.com> Quote for Q4 (key K2:abc)") != NULL);
        CHECK(strstr(out, "why:   STRING_TOO_LONG: Task.Subject: data value too large") != NULL);
        CHECK(strstr(out, "retried 1 time, open") != NULL);
        CHECK(strstr(out, "the session stopped (whole session)") != NULL);
        CHECK(strstr(out, "not retried yet, open") != NULL);
        CHECK(strstr(out, "mailbox kim.inbox") != NULL);
        CHECK(strstr(out, "[redacted]") != NULL);
        CHECK(strstr(out, token) == NULL);
        CHECK(strchr(out, 0x1b) == NULL); /* no terminal escapes */
        /* newest first */
        const char *j = strstr(out, "jane.inbox"), *k = strstr(out, "kim.inbox");
        CHECK(j && k && j < k);
    }
    free(out);

    snprintf(cmd, sizeof cmd, "%s issues --db %s --json --mailbox jane.inbox 2>&1", crmsync_bin, p);
    out = run_cmd(cmd, &rc);
    CHECK(rc == 0 && out != NULL);
    cJSON *j = out ? cJSON_Parse(out) : NULL;
    CHECK(j != NULL);
    const cJSON *list = cJSON_GetObjectItem(j, "issues");
    CHECK(cJSON_GetArraySize(list) == 2);
    const cJSON *e0 = cJSON_GetArrayItem(list, 0);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e0, "at")), "2026-11-22T10:30:00Z");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e0, "code")), "STRING_TOO_LONG");
    CHECK(cJSON_GetObjectItem(e0, "retried") && cJSON_GetObjectItem(e0, "retried")->valuedouble == 1);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(e0, "resolved")));
    CHECK(out && strstr(out, token) == NULL);
    cJSON_Delete(j);
    free(out);

    snprintf(cmd, sizeof cmd, "%s issues --db %s --json --limit 1 2>&1", crmsync_bin, p);
    out = run_cmd(cmd, &rc);
    j = out ? cJSON_Parse(out) : NULL;
    CHECK(rc == 0 && cJSON_GetArraySize(cJSON_GetObjectItem(j, "issues")) == 1);
    cJSON_Delete(j);
    free(out);

    snprintf(cmd, sizeof cmd, "%s issues --db %s --mailbox %lld 2>&1", crmsync_bin, p, (long long)g.mb);
    out = run_cmd(cmd, &rc);
    CHECK(rc == 0 && out && strstr(out, "1 issue,") && strstr(out, "kim.inbox") && !strstr(out, "jane.inbox"));
    free(out);

    snprintf(cmd, sizeof cmd, "%s issues --db %s --mailbox nobody 2>&1", crmsync_bin, p);
    out = run_cmd(cmd, &rc);
    CHECK(rc == 2 && out && strstr(out, "no mailbox named 'nobody'"));
    free(out);

    snprintf(cmd, sizeof cmd, "%s issues --db %s/none.db 2>&1", crmsync_bin, tmpdir);
    out = run_cmd(cmd, &rc);
    CHECK(rc == 2 && out && strstr(out, "cannot open"));
    free(out);
    snprintf(cmd, sizeof cmd, "%s/none.db", tmpdir);
    CHECK(access(cmd, F_OK) != 0); /* not created */

    snprintf(cmd, sizeof cmd, "%s issues --db %s --limit x 2>&1", crmsync_bin, p);
    out = run_cmd(cmd, &rc);
    CHECK(rc == 2);
    free(out);

    /* an empty log */
    s = open_store(db_path("cli-empty"), 0);
    crm_store_close(s);
    snprintf(cmd, sizeof cmd, "%s issues --db %s 2>&1", crmsync_bin, db_path("cli-empty"));
    out = run_cmd(cmd, &rc);
    CHECK(rc == 0 && out && strstr(out, "no issues logged"));
    free(out);
}

static void cleanup(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--crmsync") == 0) crmsync_bin = argv[i + 1];
    snprintf(tmpdir, sizeof tmpdir, "/tmp/crm-store-test.XXXXXX");
    if (mkdtemp(tmpdir) == NULL) { perror("mkdtemp"); return 2; }
    test_migrations_fresh();
    test_migrations_upgrade();
    test_migrations_refused();
    test_orgs_users_mailboxes();
    test_settings();
    test_ledger_context();
    test_issues_api();
    test_atomic();
    test_crash();
    test_leases();
    test_cli();
    cleanup();
    return CHECK_DONE();
}
