/* crm_store.c: the SQLite backend of crm_store.h (docs/store.md). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sqlite3.h>
#include "store/crm_store.h"

/* ---- migrations: append only; migrations[i] takes the schema from version i to i+1 ---- */
static const char *const migrations[] = {
    /* v1: the base tables */
    "CREATE TABLE orgs("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE CHECK(name <> ''),"
    " instance_url TEXT NOT NULL DEFAULT '',"
    " api_version TEXT NOT NULL DEFAULT '',"
    " api_reserve INTEGER NOT NULL DEFAULT 0 CHECK(api_reserve >= 0),"
    " credentials_ref TEXT NOT NULL DEFAULT '',"
    " refresh_token TEXT,"
    " created_at INTEGER NOT NULL DEFAULT (CAST(strftime('%s','now') AS INTEGER)));"
    "CREATE TABLE users("
    " id INTEGER PRIMARY KEY,"
    " org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " email TEXT NOT NULL CHECK(email <> ''),"
    " sf_user_id TEXT NOT NULL DEFAULT '',"
    " aliases TEXT NOT NULL DEFAULT '[]',"
    " UNIQUE(org_id, email));"
    "CREATE TABLE mailboxes("
    " id INTEGER PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL UNIQUE CHECK(name <> ''),"
    " kind TEXT NOT NULL CHECK(kind IN ('maildir','imap','graph')),"
    " config TEXT NOT NULL DEFAULT '{}',"
    " next_run_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE org_settings("
    " org_id INTEGER PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,"
    " defaults TEXT NOT NULL DEFAULT '{}',"
    " locks TEXT NOT NULL DEFAULT '[]');"
    "CREATE TABLE user_settings("
    " user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
    " settings TEXT NOT NULL DEFAULT '{}');"
    "CREATE TABLE org_blocklist("
    " org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " entry TEXT NOT NULL CHECK(entry <> ''),"
    " locked INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(org_id, entry));"
    "CREATE TABLE user_blocklist("
    " user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " entry TEXT NOT NULL CHECK(entry <> ''),"
    " PRIMARY KEY(user_id, entry));"
    "CREATE TABLE cursors("
    " mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
    " folder TEXT NOT NULL,"
    " cursor TEXT NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " PRIMARY KEY(mailbox_id, folder));"
    "CREATE TABLE ledger("
    " id INTEGER PRIMARY KEY,"
    " org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " key TEXT NOT NULL CHECK(key <> ''),"
    " mailbox_id INTEGER REFERENCES mailboxes(id) ON DELETE SET NULL,"
    " message_id TEXT NOT NULL DEFAULT '',"
    " date TEXT NOT NULL DEFAULT '',"
    " record_ids TEXT NOT NULL DEFAULT '[]',"
    " created_at INTEGER NOT NULL,"
    " UNIQUE(org_id, key));"
    "CREATE INDEX ledger_message_id ON ledger(org_id, message_id) WHERE message_id <> '';"
    "CREATE TABLE threads("
    " mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
    " conversation_id TEXT NOT NULL CHECK(conversation_id <> ''),"
    " flagged_at TEXT NOT NULL,"
    " who TEXT NOT NULL DEFAULT '[]',"
    " what TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY(mailbox_id, conversation_id));"
    "CREATE TABLE issues("
    " id INTEGER PRIMARY KEY,"
    " mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
    " at INTEGER NOT NULL,"
    " kind TEXT NOT NULL CHECK(kind <> ''),"
    " item_key TEXT NOT NULL DEFAULT '',"
    " item_ref TEXT NOT NULL DEFAULT '',"
    " code TEXT NOT NULL DEFAULT '',"
    " message TEXT NOT NULL DEFAULT '',"
    " retried INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX issues_by_mailbox ON issues(mailbox_id, at);",

    /* v2: mailboxes become jobs with a lease (several workers, docs/store.md "Scale") */
    "ALTER TABLE mailboxes ADD COLUMN lease_owner TEXT;"
    "ALTER TABLE mailboxes ADD COLUMN lease_until INTEGER;"
    "ALTER TABLE mailboxes ADD COLUMN last_result TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX mailboxes_due ON mailboxes(next_run_at);",

    /* v3: Salesforce identities for settings, and issues that can be marked resolved */
    "ALTER TABLE orgs ADD COLUMN sf_org_id TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE users ADD COLUMN salesforce_email TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE issues ADD COLUMN resolved INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX issues_open ON issues(mailbox_id, kind, item_key, code) WHERE resolved = 0;",
};
_Static_assert(sizeof migrations / sizeof migrations[0] == CRM_STORE_SCHEMA_LATEST,
               "one migration per schema version");

/* ---- the handle and its statement cache ---- */
#define STMT_CACHE 64

struct crm_store {
    sqlite3 *db;
    struct { const char *sql; sqlite3_stmt *st; } cache[STMT_CACHE];
    size_t ncache;
    char err[512];
};

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static crm_store_status fail(crm_store *s, crm_store_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return st;
}

static crm_store_status status_of(int rc) {
    switch (rc & 0xff) {
    case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW: return CRM_STORE_OK;
    case SQLITE_BUSY: case SQLITE_LOCKED: return CRM_STORE_E_BUSY;
    case SQLITE_CONSTRAINT: return CRM_STORE_E_CONSTRAINT;
    case SQLITE_NOMEM: return CRM_STORE_E_NOMEM;
    case SQLITE_CORRUPT: case SQLITE_NOTADB: return CRM_STORE_E_CORRUPT;
    case SQLITE_CANTOPEN: case SQLITE_IOERR: case SQLITE_FULL: case SQLITE_READONLY:
    case SQLITE_PERM: case SQLITE_PROTOCOL: return CRM_STORE_E_IO;
    default: return CRM_STORE_E_INTERNAL;
    }
}

/* SQLite's messages name tables and columns, never values: safe to pass on. */
static crm_store_status db_fail(crm_store *s, int rc, const char *what) {
    return fail(s, status_of(rc), "%s: %s", what, sqlite3_errmsg(s->db));
}

/* A cached prepared statement for a static SQL string (the pointer is the cache key). */
static sqlite3_stmt *prep(crm_store *s, const char *sql) {
    for (size_t i = 0; i < s->ncache; i++)
        if (s->cache[i].sql == sql) return s->cache[i].st;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(s->db, sql, -1, s->ncache < STMT_CACHE ? SQLITE_PREPARE_PERSISTENT : 0, &st, NULL);
    if (rc != SQLITE_OK) {
        db_fail(s, rc, "prepare");
        return NULL;
    }
    if (s->ncache < STMT_CACHE) {
        s->cache[s->ncache].sql = sql;
        s->cache[s->ncache].st = st;
        s->ncache++;
    }
    return st;
}

/* Ends a use of a statement from prep(): cached ones are reset for the next use. */
static void done(crm_store *s, sqlite3_stmt *st) {
    if (st == NULL) return;
    for (size_t i = 0; i < s->ncache; i++)
        if (s->cache[i].st == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return;
        }
    sqlite3_finalize(st);
}

static int bind_text(sqlite3_stmt *st, int i, const char *v) {
    return sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

/* Runs a statement expected to return no row. */
static crm_store_status run(crm_store *s, sqlite3_stmt *st, const char *what) {
    int rc = sqlite3_step(st);
    crm_store_status r = CRM_STORE_OK;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) r = db_fail(s, rc, what);
    done(s, st);
    return r;
}

static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";

static crm_store_status tx_begin(crm_store *s) {
    sqlite3_stmt *st = prep(s, SQL_BEGIN);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    return run(s, st, "begin");
}
static crm_store_status tx_commit(crm_store *s) {
    sqlite3_stmt *st = prep(s, SQL_COMMIT);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    return run(s, st, "commit");
}
/* Rolls back (if a transaction is open) and returns `r`, keeping the first error message. */
static crm_store_status tx_abort(crm_store *s, crm_store_status r) {
    if (!sqlite3_get_autocommit(s->db)) {
        char keep[sizeof s->err];
        memcpy(keep, s->err, sizeof keep);
        sqlite3_stmt *st = prep(s, SQL_ROLLBACK);
        if (st != NULL) (void)run(s, st, "rollback");
        memcpy(s->err, keep, sizeof keep);
    }
    return r;
}

static char *dupstr(const char *v) {
    size_t n = strlen(v) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, v, n);
    return p;
}

static const char *col_text(sqlite3_stmt *st, int i) {
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* Validates JSON text of the wanted shape and returns it compacted (malloc'd), or NULL. */
enum shape { SHAPE_OBJECT, SHAPE_STRING_ARRAY };
static char *json_checked(crm_store *s, const char *text, enum shape shape, const char *what, crm_store_status *r) {
    cJSON *j = cJSON_Parse(text);
    bool ok = j != NULL;
    if (ok && shape == SHAPE_OBJECT) ok = cJSON_IsObject(j);
    if (ok && shape == SHAPE_STRING_ARRAY) {
        ok = cJSON_IsArray(j);
        const cJSON *e;
        cJSON_ArrayForEach(e, j) if (!cJSON_IsString(e)) ok = false;
    }
    if (!ok) {
        cJSON_Delete(j);
        *r = fail(s, CRM_STORE_E_INVALID, "%s: not %s", what, shape == SHAPE_OBJECT ? "a JSON object" : "a JSON array of strings");
        return NULL;
    }
    char *out = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (out == NULL) *r = fail(s, CRM_STORE_E_NOMEM, "%s: out of memory", what);
    return out;
}

/* Parses stored JSON (written by json_checked, so well-formed); `fallback` if damaged. */
static cJSON *json_col(sqlite3_stmt *st, int i, bool array) {
    cJSON *j = cJSON_Parse(col_text(st, i));
    if (j == NULL || (array ? !cJSON_IsArray(j) : !cJSON_IsObject(j))) {
        cJSON_Delete(j);
        j = array ? cJSON_CreateArray() : cJSON_CreateObject();
    }
    return j;
}

static crm_store_status nomem(crm_store *s) { return fail(s, CRM_STORE_E_NOMEM, "out of memory"); }

/* A JSON array text of the non-empty strings v[0..n). */
static char *json_array_of(const char *const *v, size_t n) {
    cJSON *a = cJSON_CreateArray();
    if (a == NULL) return NULL;
    for (size_t i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateString(v[i] ? v[i] : "");
        if (e == NULL) { cJSON_Delete(a); return NULL; }
        cJSON_AddItemToArray(a, e);
    }
    char *t = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    return t;
}

/* ---- open, migrate, close ---- */
const char *crm_store_status_str(crm_store_status st) {
    switch (st) {
    case CRM_STORE_OK: return "ok";
    case CRM_STORE_E_IO: return "i/o error";
    case CRM_STORE_E_BUSY: return "database busy";
    case CRM_STORE_E_SCHEMA_NEWER: return "database schema newer than this crmsync";
    case CRM_STORE_E_MIGRATION: return "migration failed";
    case CRM_STORE_E_NOT_FOUND: return "not found";
    case CRM_STORE_E_CONSTRAINT: return "constraint violated";
    case CRM_STORE_E_INVALID: return "invalid argument";
    case CRM_STORE_E_LEASE_LOST: return "lease lost";
    case CRM_STORE_E_LOCKED: return "locked by the org";
    case CRM_STORE_E_CORRUPT: return "database corrupt";
    case CRM_STORE_E_NOMEM: return "out of memory";
    case CRM_STORE_E_INTERNAL: return "internal error";
    }
    return "unknown status";
}

const char *crm_store_errmsg(const crm_store *s) { return s ? s->err : "out of memory"; }

static const char SQL_VERSION_TABLE[] =
    "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)";
static const char SQL_VERSION_MAX[] = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
static const char SQL_VERSION_ADD[] =
    "INSERT INTO schema_version(version, applied_at) VALUES(?1, CAST(strftime('%s','now') AS INTEGER))";

static crm_store_status read_version(crm_store *s, int *v) {
    sqlite3_stmt *st = prep(s, SQL_VERSION_MAX);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) { crm_store_status r = db_fail(s, rc, "reading schema_version"); done(s, st); return r; }
    *v = sqlite3_column_int(st, 0);
    done(s, st);
    return CRM_STORE_OK;
}

/* Each migration in its own IMMEDIATE transaction; the version is re-read inside it, so
 * two processes opening a fresh file at once apply each migration exactly once. */
static crm_store_status migrate(crm_store *s, int target) {
    for (;;) {
        crm_store_status r = tx_begin(s);
        if (r != CRM_STORE_OK) return r;
        int rc = sqlite3_exec(s->db, SQL_VERSION_TABLE, NULL, NULL, NULL);
        if (rc != SQLITE_OK) return tx_abort(s, db_fail(s, rc, "creating schema_version"));
        int v = 0;
        if ((r = read_version(s, &v)) != CRM_STORE_OK) return tx_abort(s, r);
        if (v > CRM_STORE_SCHEMA_LATEST)
            return tx_abort(s, fail(s, CRM_STORE_E_SCHEMA_NEWER,
                                    "the database has schema version %d but this crmsync knows versions up to %d: "
                                    "it was written by a newer crmsync; upgrade crmsync (the file was left unchanged)",
                                    v, CRM_STORE_SCHEMA_LATEST));
        if (v >= target) {
            r = tx_commit(s);
            return r == CRM_STORE_OK ? r : tx_abort(s, r);
        }
        char *msg = NULL;
        rc = sqlite3_exec(s->db, migrations[v], NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
            r = fail(s, CRM_STORE_E_MIGRATION, "migration to schema version %d failed: %s", v + 1, msg ? msg : "?");
            sqlite3_free(msg);
            return tx_abort(s, r);
        }
        sqlite3_stmt *st = prep(s, SQL_VERSION_ADD);
        if (st == NULL) return tx_abort(s, CRM_STORE_E_INTERNAL);
        sqlite3_bind_int(st, 1, v + 1);
        if ((r = run(s, st, "recording the schema version")) != CRM_STORE_OK) return tx_abort(s, r);
        if ((r = tx_commit(s)) != CRM_STORE_OK) return tx_abort(s, r);
    }
}

static crm_store_status pragma(crm_store *s, const char *sql, const char *want) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return db_fail(s, rc, sql);
    rc = sqlite3_step(st);
    /* Switching a new file to WAL while another process does the same can answer BUSY
     * without waiting (SQLite does not call the busy handler there): try again, bounded. */
    for (int tries = 0; (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && tries < 100; tries++) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
        sqlite3_reset(st);
        rc = sqlite3_step(st);
    }
    crm_store_status r = CRM_STORE_OK;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) r = db_fail(s, rc, sql);
    else if (want && (rc != SQLITE_ROW || strcmp(col_text(st, 0), want) != 0))
        r = fail(s, CRM_STORE_E_IO, "%s: the database answered '%s'", sql, rc == SQLITE_ROW ? col_text(st, 0) : "");
    sqlite3_finalize(st);
    return r;
}

crm_store_status crm_store_open(const char *path, const crm_store_options *opts, crm_store **out) {
    crm_store *s = calloc(1, sizeof *s);
    *out = s;
    if (s == NULL) return CRM_STORE_E_NOMEM;
    crm_store_options o = {0, 0, false};
    if (opts) o = *opts;
    if (o.target_version <= 0) o.target_version = CRM_STORE_SCHEMA_LATEST;
    if (o.busy_timeout_ms <= 0) o.busy_timeout_ms = 5000;
    if (path == NULL || path[0] == '\0') return fail(s, CRM_STORE_E_INVALID, "no database file given");
    if (o.target_version > CRM_STORE_SCHEMA_LATEST)
        return fail(s, CRM_STORE_E_INVALID, "schema version %d is unknown to this crmsync", o.target_version);
    /* The file holds refresh tokens: a new one is created readable by its owner only
     * (SQLite gives the -wal and -shm files the same permissions). */
    if (!o.must_exist && strcmp(path, ":memory:") != 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) close(fd);
        else if (errno != EEXIST) return fail(s, CRM_STORE_E_IO, "cannot create %s: %s", path, strerror(errno));
    }
    int flags = SQLITE_OPEN_READWRITE | (o.must_exist ? 0 : SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        crm_store_status r = fail(s, status_of(rc), "cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_close(s->db);
        s->db = NULL;
        return r;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, o.busy_timeout_ms);
    crm_store_status r;
    /* Reading one page first turns "not a database" into a clear error. */
    if ((r = pragma(s, "PRAGMA schema_version", NULL)) != CRM_STORE_OK) {
        if (r == CRM_STORE_E_CORRUPT) return fail(s, r, "%s is not a crmsync database (or is damaged)", path);
        return r;
    }
    bool memory = strcmp(path, ":memory:") == 0;
    if ((r = pragma(s, "PRAGMA journal_mode=WAL", memory ? "memory" : "wal")) != CRM_STORE_OK) return r;
    /* FULL: a commit is on disk before commit_batch returns (power loss included). */
    if ((r = pragma(s, "PRAGMA synchronous=FULL", NULL)) != CRM_STORE_OK) return r;
    if ((r = pragma(s, "PRAGMA foreign_keys=ON", NULL)) != CRM_STORE_OK) return r;
    if ((r = migrate(s, o.target_version)) != CRM_STORE_OK) return r;
    s->err[0] = '\0';
    return CRM_STORE_OK;
}

void crm_store_close(crm_store *s) {
    if (s == NULL) return;
    for (size_t i = 0; i < s->ncache; i++) sqlite3_finalize(s->cache[i].st);
    if (s->db) sqlite3_close(s->db);
    free(s);
}

crm_store_status crm_store_schema_version(crm_store *s, int *version) {
    if (s->db == NULL) return fail(s, CRM_STORE_E_INVALID, "the store is not open");
    return read_version(s, version);
}

/* Guards at the top of every public call. */
#define ENTER(s) do { if ((s)->db == NULL) return fail((s), CRM_STORE_E_INVALID, "the store is not open"); (s)->err[0] = '\0'; } while (0)
static bool empty(const char *v) { return v == NULL || v[0] == '\0'; }

/* ---- orgs ---- */
static const char SQL_ORG_ADD[] =
    "INSERT INTO orgs(name, instance_url, api_version, api_reserve, credentials_ref, sf_org_id) VALUES(?1,?2,?3,?4,?5,?6)";

crm_store_status crm_store_org_add(crm_store *s, const crm_store_org *org, int64_t *id) {
    ENTER(s);
    if (org == NULL || empty(org->name)) return fail(s, CRM_STORE_E_INVALID, "an org needs a name");
    if (org->api_reserve < 0) return fail(s, CRM_STORE_E_INVALID, "api_reserve must be 0 or more");
    sqlite3_stmt *st = prep(s, SQL_ORG_ADD);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    bind_text(st, 1, org->name);
    bind_text(st, 2, org->instance_url);
    bind_text(st, 3, org->api_version);
    sqlite3_bind_int64(st, 4, org->api_reserve);
    bind_text(st, 5, org->credentials_ref);
    bind_text(st, 6, org->sf_org_id);
    crm_store_status r = run(s, st, "adding the org");
    if (r == CRM_STORE_OK && id) *id = sqlite3_last_insert_rowid(s->db);
    return r;
}

static const char SQL_ORG_FIND[] = "SELECT id FROM orgs WHERE name = ?1";
static const char SQL_MAILBOX_FIND[] = "SELECT id FROM mailboxes WHERE name = ?1";

/* The id of the row `sql` finds for `name` (?1) and, when scope > 0, the scope id (?2). */
static crm_store_status find_id(crm_store *s, const char *sql, const char *name, int64_t scope, const char *what, int64_t *id) {
    ENTER(s);
    if (empty(name)) return fail(s, CRM_STORE_E_INVALID, "no %s name given", what);
    sqlite3_stmt *st = prep(s, sql);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    bind_text(st, 1, name);
    if (scope > 0) sqlite3_bind_int64(st, 2, scope);
    int rc = sqlite3_step(st);
    crm_store_status r = CRM_STORE_OK;
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE) r = fail(s, CRM_STORE_E_NOT_FOUND, "no %s named '%s'", what, name);
    else r = db_fail(s, rc, what);
    done(s, st);
    return r;
}

crm_store_status crm_store_org_find(crm_store *s, const char *name, int64_t *id) {
    return find_id(s, SQL_ORG_FIND, name, 0, "org", id);
}

static const char SQL_USER_FIND[] = "SELECT id FROM users WHERE email = ?1 AND org_id = ?2";

crm_store_status crm_store_user_find(crm_store *s, int64_t org_id, const char *email, int64_t *id) {
    return find_id(s, SQL_USER_FIND, email, org_id, "user", id);
}

/* Prepares `sql`, binds ?1 = id and steps to its row. CRM_STORE_OK: *out is on the row
 * (read its columns, then done(s, *out)); otherwise "no <what> with id N", or the
 * database error "reading the <what>", and nothing to release. */
static crm_store_status row_by_id(crm_store *s, const char *sql, int64_t id, const char *what, sqlite3_stmt **out) {
    *out = NULL;
    sqlite3_stmt *st = prep(s, sql);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) { *out = st; return CRM_STORE_OK; }
    crm_store_status r = rc == SQLITE_DONE ? fail(s, CRM_STORE_E_NOT_FOUND, "no %s with id %lld", what, (long long)id)
                                           : fail(s, status_of(rc), "reading the %s: %s", what, sqlite3_errmsg(s->db));
    done(s, st);
    return r;
}

static const char SQL_ORG_GET[] =
    "SELECT id, name, instance_url, api_version, api_reserve, credentials_ref, sf_org_id,"
    " refresh_token IS NOT NULL AND refresh_token <> '' FROM orgs WHERE id = ?1";

crm_store_status crm_store_org_get(crm_store *s, int64_t id, cJSON **out) {
    ENTER(s);
    *out = NULL;
    sqlite3_stmt *st;
    crm_store_status r = row_by_id(s, SQL_ORG_GET, id, "org", &st);
    if (r != CRM_STORE_OK) return r;
    {
        cJSON *o = cJSON_CreateObject();
        if (o && cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, 0)) &&
            cJSON_AddStringToObject(o, "name", col_text(st, 1)) &&
            cJSON_AddStringToObject(o, "instance_url", col_text(st, 2)) &&
            cJSON_AddStringToObject(o, "api_version", col_text(st, 3)) &&
            cJSON_AddNumberToObject(o, "api_reserve", (double)sqlite3_column_int64(st, 4)) &&
            cJSON_AddStringToObject(o, "credentials_ref", col_text(st, 5)) &&
            cJSON_AddStringToObject(o, "sf_org_id", col_text(st, 6)) &&
            cJSON_AddBoolToObject(o, "has_refresh_token", sqlite3_column_int(st, 7)))
            *out = o;
        else { cJSON_Delete(o); r = nomem(s); }
    }
    done(s, st);
    return r;
}

static const char SQL_ORG_SET_TOKEN[] = "UPDATE orgs SET refresh_token = ?2 WHERE id = ?1";
static const char SQL_ORG_TOKEN[] = "SELECT refresh_token FROM orgs WHERE id = ?1";

crm_store_status crm_store_org_set_refresh_token(crm_store *s, int64_t org_id, const char *token) {
    ENTER(s);
    sqlite3_stmt *st = prep(s, SQL_ORG_SET_TOKEN);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    sqlite3_bind_int64(st, 1, org_id);
    if (empty(token)) sqlite3_bind_null(st, 2);
    else bind_text(st, 2, token);
    crm_store_status r = run(s, st, "storing the refresh token");
    if (r == CRM_STORE_OK && sqlite3_changes(s->db) == 0)
        r = fail(s, CRM_STORE_E_NOT_FOUND, "no org with id %lld", (long long)org_id);
    return r;
}

crm_store_status crm_store_org_refresh_token(crm_store *s, int64_t org_id, char **token) {
    ENTER(s);
    *token = NULL;
    sqlite3_stmt *st;
    crm_store_status r = row_by_id(s, SQL_ORG_TOKEN, org_id, "org", &st);
    if (r != CRM_STORE_OK) return r;
    if (sqlite3_column_type(st, 0) != SQLITE_NULL && (*token = dupstr(col_text(st, 0))) == NULL) r = nomem(s);
    done(s, st);
    return r;
}

/* ---- users ---- */
static const char SQL_USER_ADD[] =
    "INSERT INTO users(org_id, email, sf_user_id, salesforce_email, aliases) VALUES(?1,?2,?3,?4,?5)";

crm_store_status crm_store_user_add(crm_store *s, const crm_store_user *u, int64_t *id) {
    ENTER(s);
    if (u == NULL || empty(u->email)) return fail(s, CRM_STORE_E_INVALID, "a user needs an email address");
    crm_store_status r = CRM_STORE_OK;
    char *aliases = json_checked(s, u->aliases_json ? u->aliases_json : "[]", SHAPE_STRING_ARRAY, "user aliases", &r);
    if (aliases == NULL) return r;
    sqlite3_stmt *st = prep(s, SQL_USER_ADD);
    if (st == NULL) { free(aliases); return CRM_STORE_E_INTERNAL; }
    sqlite3_bind_int64(st, 1, u->org_id);
    bind_text(st, 2, u->email);
    bind_text(st, 3, u->sf_user_id);
    bind_text(st, 4, u->salesforce_email);
    bind_text(st, 5, aliases);
    free(aliases);
    r = run(s, st, "adding the user");
    if (r == CRM_STORE_OK && id) *id = sqlite3_last_insert_rowid(s->db);
    return r;
}

static const char SQL_USER_GET[] =
    "SELECT id, org_id, email, sf_user_id, salesforce_email, aliases FROM users WHERE id = ?1";

crm_store_status crm_store_user_get(crm_store *s, int64_t id, cJSON **out) {
    ENTER(s);
    *out = NULL;
    sqlite3_stmt *st;
    crm_store_status r = row_by_id(s, SQL_USER_GET, id, "user", &st);
    if (r != CRM_STORE_OK) return r;
    {
        cJSON *o = cJSON_CreateObject();
        cJSON *al = json_col(st, 5, true);
        if (o && al && cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, 0)) &&
            cJSON_AddNumberToObject(o, "org_id", (double)sqlite3_column_int64(st, 1)) &&
            cJSON_AddStringToObject(o, "email", col_text(st, 2)) &&
            cJSON_AddStringToObject(o, "sf_user_id", col_text(st, 3)) &&
            cJSON_AddStringToObject(o, "salesforce_email", col_text(st, 4))) {
            cJSON_AddItemToObject(o, "aliases", al);
            *out = o;
        } else { cJSON_Delete(o); cJSON_Delete(al); r = nomem(s); }
    }
    done(s, st);
    return r;
}

/* ---- mailboxes ---- */
static const char SQL_MAILBOX_ADD[] =
    "INSERT INTO mailboxes(user_id, name, kind, config, next_run_at) VALUES(?1,?2,?3,?4,?5)";

crm_store_status crm_store_mailbox_add(crm_store *s, const crm_store_mailbox *m, int64_t *id) {
    ENTER(s);
    if (m == NULL || empty(m->name)) return fail(s, CRM_STORE_E_INVALID, "a mailbox needs a name");
    if (m->kind == NULL || (strcmp(m->kind, "maildir") != 0 && strcmp(m->kind, "imap") != 0 && strcmp(m->kind, "graph") != 0))
        return fail(s, CRM_STORE_E_INVALID, "mailbox kind must be maildir, imap or graph");
    crm_store_status r = CRM_STORE_OK;
    char *config = json_checked(s, m->config_json ? m->config_json : "{}", SHAPE_OBJECT, "mailbox config", &r);
    if (config == NULL) return r;
    sqlite3_stmt *st = prep(s, SQL_MAILBOX_ADD);
    if (st == NULL) { free(config); return CRM_STORE_E_INTERNAL; }
    sqlite3_bind_int64(st, 1, m->user_id);
    bind_text(st, 2, m->name);
    bind_text(st, 3, m->kind);
    bind_text(st, 4, config);
    sqlite3_bind_int64(st, 5, m->next_run_at);
    free(config);
    r = run(s, st, "adding the mailbox");
    if (r == CRM_STORE_OK && id) *id = sqlite3_last_insert_rowid(s->db);
    return r;
}

crm_store_status crm_store_mailbox_find(crm_store *s, const char *name, int64_t *id) {
    return find_id(s, SQL_MAILBOX_FIND, name, 0, "mailbox", id);
}

static const char SQL_MAILBOX_GET[] =
    "SELECT m.id, m.user_id, u.org_id, m.name, m.kind, m.config, m.next_run_at, m.lease_owner, m.lease_until, m.last_result"
    " FROM mailboxes m JOIN users u ON u.id = m.user_id WHERE m.id = ?1";

crm_store_status crm_store_mailbox_get(crm_store *s, int64_t id, cJSON **out) {
    ENTER(s);
    *out = NULL;
    sqlite3_stmt *st;
    crm_store_status r = row_by_id(s, SQL_MAILBOX_GET, id, "mailbox", &st);
    if (r != CRM_STORE_OK) return r;
    {
        cJSON *o = cJSON_CreateObject();
        cJSON *cfg = json_col(st, 5, false);
        bool leased = sqlite3_column_type(st, 7) != SQLITE_NULL;
        if (o && cfg && cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, 0)) &&
            cJSON_AddNumberToObject(o, "user_id", (double)sqlite3_column_int64(st, 1)) &&
            cJSON_AddNumberToObject(o, "org_id", (double)sqlite3_column_int64(st, 2)) &&
            cJSON_AddStringToObject(o, "name", col_text(st, 3)) &&
            cJSON_AddStringToObject(o, "kind", col_text(st, 4))) {
            cJSON_AddItemToObject(o, "config", cfg);
            cfg = NULL;
            if (cJSON_AddNumberToObject(o, "next_run_at", (double)sqlite3_column_int64(st, 6)) &&
                (leased ? cJSON_AddStringToObject(o, "lease_owner", col_text(st, 7)) != NULL
                        : cJSON_AddNullToObject(o, "lease_owner") != NULL) &&
                cJSON_AddNumberToObject(o, "lease_until", (double)sqlite3_column_int64(st, 8)) &&
                cJSON_AddStringToObject(o, "last_result", col_text(st, 9)))
                *out = o;
        }
        if (*out == NULL) { cJSON_Delete(o); cJSON_Delete(cfg); r = nomem(s); }
    }
    done(s, st);
    return r;
}

static const char SQL_MAILBOX_NEXT[] = "UPDATE mailboxes SET next_run_at = ?2 WHERE id = ?1";

crm_store_status crm_store_mailbox_set_next_run(crm_store *s, int64_t id, int64_t at) {
    ENTER(s);
    sqlite3_stmt *st = prep(s, SQL_MAILBOX_NEXT);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    crm_store_status r = run(s, st, "scheduling the mailbox");
    if (r == CRM_STORE_OK && sqlite3_changes(s->db) == 0)
        r = fail(s, CRM_STORE_E_NOT_FOUND, "no mailbox with id %lld", (long long)id);
    return r;
}

/* ---- leases ---- */
/* The UPDATE runs inside BEGIN IMMEDIATE: the write lock is taken before the due rows are
 * read, so no other writer can claim them in between (PostgreSQL: FOR UPDATE SKIP LOCKED). */
static const char SQL_CLAIM[] =
    "UPDATE mailboxes SET lease_owner = ?1, lease_until = ?2 + ?3"
    " WHERE id IN (SELECT id FROM mailboxes WHERE next_run_at <= ?2 AND (lease_until IS NULL OR lease_until < ?2)"
    "              ORDER BY next_run_at, id LIMIT ?4)"
    " RETURNING id, next_run_at";

static int cmp_claim(const void *a, const void *b) {
    const int64_t *x = a, *y = b; /* pairs (next_run_at, id) */
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

crm_store_status crm_store_claim_due(crm_store *s, const char *owner, int64_t now, int64_t lease_seconds, size_t max,
                                     int64_t *ids, size_t *n) {
    ENTER(s);
    *n = 0;
    if (empty(owner)) return fail(s, CRM_STORE_E_INVALID, "a lease needs an owner name");
    if (lease_seconds <= 0) return fail(s, CRM_STORE_E_INVALID, "lease_seconds must be positive");
    if (max == 0) return CRM_STORE_OK;
    int64_t *pairs = malloc(max * 2 * sizeof *pairs);
    if (pairs == NULL) return nomem(s);
    crm_store_status r = tx_begin(s);
    if (r != CRM_STORE_OK) { free(pairs); return r; }
    sqlite3_stmt *st = prep(s, SQL_CLAIM);
    if (st == NULL) { free(pairs); return tx_abort(s, CRM_STORE_E_INTERNAL); }
    bind_text(st, 1, owner);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, lease_seconds);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)max);
    size_t k = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && k < max) {
        pairs[2 * k] = sqlite3_column_int64(st, 1);
        pairs[2 * k + 1] = sqlite3_column_int64(st, 0);
        k++;
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) r = db_fail(s, rc, "claiming due mailboxes");
    done(s, st);
    if (r == CRM_STORE_OK) r = tx_commit(s);
    if (r != CRM_STORE_OK) { free(pairs); return tx_abort(s, r); }
    qsort(pairs, k, 2 * sizeof *pairs, cmp_claim); /* RETURNING order is unspecified */
    for (size_t i = 0; i < k; i++) ids[i] = pairs[2 * i + 1];
    *n = k;
    free(pairs);
    return CRM_STORE_OK;
}

static const char SQL_RENEW[] =
    "UPDATE mailboxes SET lease_until = ?3 + ?4 WHERE id = ?1 AND lease_owner = ?2";
static const char SQL_RELEASE[] =
    "UPDATE mailboxes SET lease_owner = NULL, lease_until = NULL, next_run_at = ?3, last_result = ?4"
    " WHERE id = ?1 AND lease_owner = ?2";

crm_store_status crm_store_lease_renew(crm_store *s, int64_t mailbox_id, const char *owner, int64_t now, int64_t lease_seconds) {
    ENTER(s);
    if (empty(owner) || lease_seconds <= 0) return fail(s, CRM_STORE_E_INVALID, "a lease needs an owner and a positive length");
    sqlite3_stmt *st = prep(s, SQL_RENEW);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    sqlite3_bind_int64(st, 1, mailbox_id);
    bind_text(st, 2, owner);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, lease_seconds);
    crm_store_status r = run(s, st, "renewing the lease");
    if (r == CRM_STORE_OK && sqlite3_changes(s->db) == 0)
        r = fail(s, CRM_STORE_E_LEASE_LOST, "mailbox %lld is no longer leased to this worker", (long long)mailbox_id);
    return r;
}

crm_store_status crm_store_lease_release(crm_store *s, int64_t mailbox_id, const char *owner, int64_t next_run_at,
                                         const char *last_result) {
    ENTER(s);
    if (empty(owner)) return fail(s, CRM_STORE_E_INVALID, "a lease needs an owner name");
    sqlite3_stmt *st = prep(s, SQL_RELEASE);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    sqlite3_bind_int64(st, 1, mailbox_id);
    bind_text(st, 2, owner);
    sqlite3_bind_int64(st, 3, next_run_at);
    bind_text(st, 4, last_result);
    crm_store_status r = run(s, st, "releasing the lease");
    if (r == CRM_STORE_OK && sqlite3_changes(s->db) == 0)
        r = fail(s, CRM_STORE_E_LEASE_LOST, "mailbox %lld is no longer leased to this worker", (long long)mailbox_id);
    return r;
}

/* ---- settings and blocklists ---- */
static const char SQL_ORG_SETTINGS_SET[] =
    "INSERT INTO org_settings(org_id, defaults, locks) VALUES(?1, COALESCE(?2, '{}'), COALESCE(?3, '[]'))"
    " ON CONFLICT(org_id) DO UPDATE SET defaults = COALESCE(?2, defaults), locks = COALESCE(?3, locks)";
static const char SQL_USER_SETTINGS_SET[] =
    "INSERT INTO user_settings(user_id, settings) VALUES(?1, ?2)"
    " ON CONFLICT(user_id) DO UPDATE SET settings = ?2";

crm_store_status crm_store_org_settings_set(crm_store *s, int64_t org_id, const char *defaults_json, const char *locks_json) {
    ENTER(s);
    crm_store_status r = CRM_STORE_OK;
    char *d = NULL, *l = NULL;
    if (defaults_json && (d = json_checked(s, defaults_json, SHAPE_OBJECT, "org defaults", &r)) == NULL) return r;
    if (locks_json && (l = json_checked(s, locks_json, SHAPE_STRING_ARRAY, "org locks", &r)) == NULL) { free(d); return r; }
    sqlite3_stmt *st = prep(s, SQL_ORG_SETTINGS_SET);
    if (st == NULL) { free(d); free(l); return CRM_STORE_E_INTERNAL; }
    sqlite3_bind_int64(st, 1, org_id);
    if (d) bind_text(st, 2, d); else sqlite3_bind_null(st, 2);
    if (l) bind_text(st, 3, l); else sqlite3_bind_null(st, 3);
    free(d);
    free(l);
    return run(s, st, "storing the org settings");
}

crm_store_status crm_store_user_settings_set(crm_store *s, int64_t user_id, const char *settings_json) {
    ENTER(s);
    crm_store_status r = CRM_STORE_OK;
    char *j = json_checked(s, settings_json ? settings_json : "{}", SHAPE_OBJECT, "user settings", &r);
    if (j == NULL) return r;
    sqlite3_stmt *st = prep(s, SQL_USER_SETTINGS_SET);
    if (st == NULL) { free(j); return CRM_STORE_E_INTERNAL; }
    sqlite3_bind_int64(st, 1, user_id);
    bind_text(st, 2, j);
    free(j);
    return run(s, st, "storing the user settings");
}

static const char SQL_BL_ORG_ADD[] =
    "INSERT INTO org_blocklist(org_id, entry, locked) VALUES(?1, ?2, ?3)"
    " ON CONFLICT(org_id, entry) DO UPDATE SET locked = ?3";
static const char SQL_BL_USER_ADD[] =
    "INSERT INTO user_blocklist(user_id, entry) SELECT id, ?2 FROM users WHERE id = ?1 AND org_id = ?3"
    " ON CONFLICT(user_id, entry) DO NOTHING";
static const char SQL_BL_USER_CHECK[] = "SELECT 1 FROM users WHERE id = ?1 AND org_id = ?2";
static const char SQL_BL_ORG_LOCKED[] = "SELECT locked FROM org_blocklist WHERE org_id = ?1 AND entry = ?2";
static const char SQL_BL_ORG_DEL[] = "DELETE FROM org_blocklist WHERE org_id = ?1 AND entry = ?2";
static const char SQL_BL_USER_DEL[] =
    "DELETE FROM user_blocklist WHERE user_id = ?1 AND entry = ?2 AND EXISTS (SELECT 1 FROM users WHERE id = ?1 AND org_id = ?3)";

/* Trims blanks around a blocklist entry into buf; false when empty or too long. */
static bool trim_entry(const char *in, char *buf, size_t cap) {
    if (in == NULL) return false;
    while (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n') in++;
    size_t n = strlen(in);
    while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t' || in[n - 1] == '\r' || in[n - 1] == '\n')) n--;
    if (n == 0 || n >= cap) return false;
    memcpy(buf, in, n);
    buf[n] = '\0';
    return true;
}

crm_store_status crm_store_blocklist_add(crm_store *s, int64_t org_id, int64_t user_id, const char *entry, bool locked) {
    ENTER(s);
    char e[1024];
    if (!trim_entry(entry, e, sizeof e)) return fail(s, CRM_STORE_E_INVALID, "a blocklist entry must be 1..1023 bytes");
    crm_store_status r;
    if (user_id == 0) {
        sqlite3_stmt *st = prep(s, SQL_BL_ORG_ADD);
        if (st == NULL) return CRM_STORE_E_INTERNAL;
        sqlite3_bind_int64(st, 1, org_id);
        bind_text(st, 2, e);
        sqlite3_bind_int(st, 3, locked ? 1 : 0);
        return run(s, st, "adding to the org blocklist");
    }
    sqlite3_stmt *st = prep(s, SQL_BL_USER_CHECK);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_int64(st, 2, org_id);
    int rc = sqlite3_step(st);
    done(s, st);
    if (rc == SQLITE_DONE)
        return fail(s, CRM_STORE_E_NOT_FOUND, "no user %lld in org %lld", (long long)user_id, (long long)org_id);
    if (rc != SQLITE_ROW) return db_fail(s, rc, "adding to the user blocklist");
    st = prep(s, SQL_BL_USER_ADD);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    sqlite3_bind_int64(st, 1, user_id);
    bind_text(st, 2, e);
    sqlite3_bind_int64(st, 3, org_id);
    r = run(s, st, "adding to the user blocklist");
    return r;
}

crm_store_status crm_store_blocklist_remove(crm_store *s, int64_t org_id, int64_t user_id, const char *entry, bool as_admin) {
    ENTER(s);
    char e[1024];
    if (!trim_entry(entry, e, sizeof e)) return fail(s, CRM_STORE_E_INVALID, "a blocklist entry must be 1..1023 bytes");
    crm_store_status r;
    if (user_id == 0) {
        sqlite3_stmt *st = prep(s, SQL_BL_ORG_LOCKED);
        if (st == NULL) return CRM_STORE_E_INTERNAL;
        sqlite3_bind_int64(st, 1, org_id);
        bind_text(st, 2, e);
        int rc = sqlite3_step(st);
        int locked = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
        done(s, st);
        if (rc == SQLITE_DONE) return fail(s, CRM_STORE_E_NOT_FOUND, "'%s' is not on the org blocklist", e);
        if (rc != SQLITE_ROW) return db_fail(s, rc, "removing from the org blocklist");
        if (locked && !as_admin)
            return fail(s, CRM_STORE_E_LOCKED, "'%s' is locked on the org blocklist: only an admin can remove it", e);
        st = prep(s, SQL_BL_ORG_DEL);
        if (st == NULL) return CRM_STORE_E_INTERNAL;
        sqlite3_bind_int64(st, 1, org_id);
        bind_text(st, 2, e);
        return run(s, st, "removing from the org blocklist");
    }
    sqlite3_stmt *st = prep(s, SQL_BL_USER_DEL);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    sqlite3_bind_int64(st, 1, user_id);
    bind_text(st, 2, e);
    sqlite3_bind_int64(st, 3, org_id);
    r = run(s, st, "removing from the user blocklist");
    if (r == CRM_STORE_OK && sqlite3_changes(s->db) == 0)
        r = fail(s, CRM_STORE_E_NOT_FOUND, "'%s' is not on the user's blocklist", e);
    return r;
}

static const char SQL_PARTS[] =
    "SELECT o.id, o.sf_org_id, u.id, u.email, u.sf_user_id, u.salesforce_email, u.aliases,"
    " COALESCE(os.defaults, '{}'), COALESCE(os.locks, '[]'), COALESCE(us.settings, '{}')"
    " FROM mailboxes m JOIN users u ON u.id = m.user_id JOIN orgs o ON o.id = u.org_id"
    " LEFT JOIN org_settings os ON os.org_id = o.id LEFT JOIN user_settings us ON us.user_id = u.id"
    " WHERE m.id = ?1";
static const char SQL_BL_ORG_LIST[] = "SELECT entry, locked FROM org_blocklist WHERE org_id = ?1 ORDER BY rowid";
static const char SQL_BL_USER_LIST[] = "SELECT entry FROM user_blocklist WHERE user_id = ?1 ORDER BY rowid";

/* Adds the rows' first column (strings) to `arr`; with `locked`, rows whose second column
 * is true also go to `locked`. */
static crm_store_status list_strings(crm_store *s, const char *sql, int64_t id, cJSON *arr, cJSON *locked) {
    sqlite3_stmt *st = prep(s, sql);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    sqlite3_bind_int64(st, 1, id);
    int rc;
    crm_store_status r = CRM_STORE_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *v = cJSON_CreateString(col_text(st, 0));
        if (v == NULL) { r = nomem(s); break; }
        cJSON_AddItemToArray(arr, v);
        if (locked && sqlite3_column_int(st, 1)) {
            if ((v = cJSON_CreateString(col_text(st, 0))) == NULL) { r = nomem(s); break; }
            cJSON_AddItemToArray(locked, v);
        }
    }
    if (r == CRM_STORE_OK && rc != SQLITE_DONE) r = db_fail(s, rc, "reading a blocklist");
    done(s, st);
    return r;
}

crm_store_status crm_store_settings_parts(crm_store *s, int64_t mailbox_id, cJSON **out) {
    ENTER(s);
    *out = NULL;
    sqlite3_stmt *st = prep(s, SQL_PARTS);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    sqlite3_bind_int64(st, 1, mailbox_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        crm_store_status r = rc == SQLITE_DONE ? fail(s, CRM_STORE_E_NOT_FOUND, "no mailbox with id %lld", (long long)mailbox_id)
                                               : db_fail(s, rc, "reading the settings");
        done(s, st);
        return r;
    }
    int64_t org_id = sqlite3_column_int64(st, 0), user_id = sqlite3_column_int64(st, 2);
    cJSON *p = cJSON_CreateObject();
    cJSON *org = cJSON_AddObjectToObject(p, "org");
    if (org) {
        cJSON_AddItemToObject(org, "defaults", json_col(st, 7, false));
        cJSON_AddItemToObject(org, "locks", json_col(st, 8, true));
    }
    cJSON_AddItemToObject(p, "user", json_col(st, 9, false));
    cJSON *bl = cJSON_AddObjectToObject(p, "blocklist");
    cJSON *blo = cJSON_AddArrayToObject(bl, "org");
    cJSON *bll = cJSON_AddArrayToObject(bl, "org_locked");
    cJSON *blu = cJSON_AddArrayToObject(bl, "user");
    cJSON *idn = cJSON_AddObjectToObject(p, "identity");
    cJSON_AddStringToObject(idn, "org_id", col_text(st, 1));
    cJSON *u = cJSON_AddObjectToObject(idn, "user");
    cJSON_AddStringToObject(u, "id", col_text(st, 4));
    cJSON_AddStringToObject(u, "mailbox", col_text(st, 3));
    cJSON_AddItemToObject(u, "aliases", json_col(st, 6, true));
    cJSON_AddStringToObject(u, "salesforce_email", col_text(st, 5));
    done(s, st);
    /* cJSON_Add* return NULL on a NULL parent, so one check at the end covers them all
     * except the detached items above (json_col), checked through their parents' sizes. */
    if (p == NULL || org == NULL || cJSON_GetArraySize(org) != 2 || blo == NULL || bll == NULL || blu == NULL || idn == NULL ||
        u == NULL || cJSON_GetArraySize(u) != 4 || cJSON_GetObjectItemCaseSensitive(p, "user") == NULL) {
        cJSON_Delete(p);
        return nomem(s);
    }
    crm_store_status r = list_strings(s, SQL_BL_ORG_LIST, org_id, blo, bll);
    if (r == CRM_STORE_OK) r = list_strings(s, SQL_BL_USER_LIST, user_id, blu, NULL);
    if (r != CRM_STORE_OK) { cJSON_Delete(p); return r; }
    *out = p;
    return CRM_STORE_OK;
}

/* Whether dotted `path` is locked: a lock on it or on one of its ancestors. With
 * `or_below`, a lock on a descendant counts too (replacing the whole object would
 * override it). */
static bool is_locked(const cJSON *locks, const char *path, bool or_below) {
    size_t n = strlen(path);
    const cJSON *l;
    cJSON_ArrayForEach(l, locks) {
        const char *v = cJSON_GetStringValue(l);
        if (v == NULL) continue;
        size_t m = strlen(v);
        if (m == n && memcmp(v, path, n) == 0) return true;
        if (m < n && memcmp(v, path, m) == 0 && path[m] == '.') return true;
        if (or_below && m > n && memcmp(v, path, n) == 0 && v[n] == '.') return true;
    }
    return false;
}

/* Merges `src` into `dst` (objects key by key, other values replaced), skipping paths
 * that `locks` (may be NULL) forbids. False when out of memory. */
static bool merge_into(cJSON *dst, const cJSON *src, const cJSON *locks, const char *prefix) {
    const cJSON *v;
    cJSON_ArrayForEach(v, src) {
        char path[512];
        int k = snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", v->string);
        if (k < 0 || (size_t)k >= sizeof path) continue; /* deeper than any setting */
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(dst, v->string);
        bool both_objects = cJSON_IsObject(v) && cJSON_IsObject(cur);
        if (locks && is_locked(locks, path, !both_objects)) continue;
        if (both_objects) {
            if (!merge_into(cur, v, locks, path)) return false;
            continue;
        }
        cJSON *copy = cJSON_Duplicate(v, 1);
        if (copy == NULL) return false;
        if (cur) cJSON_ReplaceItemViaPointer(dst, cur, copy);
        else cJSON_AddItemToObject(dst, v->string, copy);
    }
    return true;
}

crm_store_status crm_store_settings(crm_store *s, int64_t mailbox_id, cJSON **out) {
    *out = NULL;
    cJSON *p = NULL;
    crm_store_status r = crm_store_settings_parts(s, mailbox_id, &p);
    if (r != CRM_STORE_OK) return r;
    const cJSON *org = cJSON_GetObjectItemCaseSensitive(p, "org");
    const cJSON *locks = cJSON_GetObjectItemCaseSensitive(org, "locks");
    cJSON *eff = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(org, "defaults"), 1);
    bool ok = eff != NULL && merge_into(eff, cJSON_GetObjectItemCaseSensitive(p, "user"), locks, "");
    if (ok) {
        const cJSON *idn = cJSON_GetObjectItemCaseSensitive(p, "identity");
        const cJSON *bl = cJSON_GetObjectItemCaseSensitive(p, "blocklist");
        cJSON_DeleteItemFromObjectCaseSensitive(eff, "org_id");
        cJSON_DeleteItemFromObjectCaseSensitive(eff, "user");
        cJSON_DeleteItemFromObjectCaseSensitive(eff, "blocklist");
        cJSON *b = cJSON_AddObjectToObject(eff, "blocklist");
        cJSON *bo = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(bl, "org"), 1);
        cJSON *bu = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(bl, "user"), 1);
        cJSON *iu = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(idn, "user"), 1);
        ok = b && bo && bu && iu &&
             cJSON_AddStringToObject(eff, "org_id", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(idn, "org_id")));
        if (ok) {
            cJSON_AddItemToObject(b, "org", bo);
            cJSON_AddItemToObject(b, "user", bu);
            cJSON_AddItemToObject(eff, "user", iu);
        } else {
            cJSON_Delete(bo);
            cJSON_Delete(bu);
            cJSON_Delete(iu);
        }
    }
    cJSON_Delete(p);
    if (!ok) { cJSON_Delete(eff); return nomem(s); }
    *out = eff;
    return CRM_STORE_OK;
}

/* ---- cursors and ledger ---- */
static const char SQL_CURSOR_GET[] = "SELECT cursor FROM cursors WHERE mailbox_id = ?1 AND folder = ?2";
static const char SQL_CURSOR_SET[] =
    "INSERT INTO cursors(mailbox_id, folder, cursor, updated_at) VALUES(?1, ?2, ?3, ?4)"
    " ON CONFLICT(mailbox_id, folder) DO UPDATE SET cursor = ?3, updated_at = ?4";

crm_store_status crm_store_cursor_get(crm_store *s, int64_t mailbox_id, const char *folder, char **cursor) {
    ENTER(s);
    *cursor = NULL;
    if (empty(folder)) return fail(s, CRM_STORE_E_INVALID, "a cursor needs a folder");
    sqlite3_stmt *st = prep(s, SQL_CURSOR_GET);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    sqlite3_bind_int64(st, 1, mailbox_id);
    bind_text(st, 2, folder);
    int rc = sqlite3_step(st);
    crm_store_status r = CRM_STORE_OK;
    if (rc == SQLITE_ROW) { if ((*cursor = dupstr(col_text(st, 0))) == NULL) r = nomem(s); }
    else if (rc != SQLITE_DONE) r = db_fail(s, rc, "reading the cursor");
    done(s, st);
    return r;
}

static crm_store_status cursor_write(crm_store *s, int64_t mailbox_id, const char *folder, const char *cursor, int64_t now) {
    sqlite3_stmt *st = prep(s, SQL_CURSOR_SET);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    sqlite3_bind_int64(st, 1, mailbox_id);
    bind_text(st, 2, folder);
    bind_text(st, 3, cursor);
    sqlite3_bind_int64(st, 4, now);
    return run(s, st, "moving the cursor");
}

crm_store_status crm_store_cursor_set(crm_store *s, int64_t mailbox_id, const char *folder, const char *cursor, int64_t now) {
    ENTER(s);
    if (empty(folder) || cursor == NULL) return fail(s, CRM_STORE_E_INVALID, "a cursor needs a folder and a value");
    return cursor_write(s, mailbox_id, folder, cursor, now);
}

static const char SQL_MAILBOX_ORG[] =
    "SELECT u.org_id, m.lease_owner FROM mailboxes m JOIN users u ON u.id = m.user_id WHERE m.id = ?1";

static crm_store_status mailbox_org(crm_store *s, int64_t mailbox_id, const char *lease_owner, int64_t *org_id) {
    sqlite3_stmt *st;
    crm_store_status r = row_by_id(s, SQL_MAILBOX_ORG, mailbox_id, "mailbox", &st);
    if (r != CRM_STORE_OK) return r;
    *org_id = sqlite3_column_int64(st, 0);
    if (lease_owner && (sqlite3_column_type(st, 1) == SQLITE_NULL || strcmp(col_text(st, 1), lease_owner) != 0))
        r = fail(s, CRM_STORE_E_LEASE_LOST, "mailbox %lld is no longer leased to this worker: nothing recorded",
                 (long long)mailbox_id);
    done(s, st);
    return r;
}

static const char SQL_LEDGER_ADD[] =
    "INSERT INTO ledger(org_id, key, mailbox_id, message_id, date, record_ids, created_at) VALUES(?1,?2,?3,?4,?5,?6,?7)";
static const char SQL_LEDGER_ADD_KEEP[] =
    "INSERT INTO ledger(org_id, key, mailbox_id, message_id, date, record_ids, created_at) VALUES(?1,?2,?3,?4,?5,?6,?7)"
    " ON CONFLICT(org_id, key) DO NOTHING";

crm_store_status crm_store_commit_batch(crm_store *s, int64_t mailbox_id, const char *lease_owner,
                                        const crm_store_ledger_entry *entries, size_t n, crm_store_dup dup,
                                        const char *folder, const char *cursor, int64_t now, size_t *inserted) {
    ENTER(s);
    if (inserted) *inserted = 0;
    if (n > 0 && entries == NULL) return fail(s, CRM_STORE_E_INVALID, "no entries given");
    if (folder != NULL && (folder[0] == '\0' || cursor == NULL))
        return fail(s, CRM_STORE_E_INVALID, "a cursor needs a folder and a value");
    crm_store_status r = tx_begin(s);
    if (r != CRM_STORE_OK) return r;
    int64_t org_id = 0;
    if ((r = mailbox_org(s, mailbox_id, lease_owner, &org_id)) != CRM_STORE_OK) return tx_abort(s, r);
    size_t added = 0;
    for (size_t i = 0; i < n; i++) {
        const crm_store_ledger_entry *e = &entries[i];
        if (empty(e->key)) return tx_abort(s, fail(s, CRM_STORE_E_INVALID, "ledger entry %zu has no key: nothing recorded", i));
        char *ids = json_checked(s, e->record_ids_json ? e->record_ids_json : "[]", SHAPE_STRING_ARRAY, "record ids", &r);
        if (ids == NULL) return tx_abort(s, r);
        sqlite3_stmt *st = prep(s, dup == CRM_STORE_DUP_KEEP ? SQL_LEDGER_ADD_KEEP : SQL_LEDGER_ADD);
        if (st == NULL) { free(ids); return tx_abort(s, CRM_STORE_E_INTERNAL); }
        sqlite3_bind_int64(st, 1, org_id);
        bind_text(st, 2, e->key);
        sqlite3_bind_int64(st, 3, mailbox_id);
        bind_text(st, 4, e->message_id);
        bind_text(st, 5, e->date);
        bind_text(st, 6, ids);
        sqlite3_bind_int64(st, 7, now);
        free(ids);
        if ((r = run(s, st, "recording the ledger")) != CRM_STORE_OK) {
            if (r == CRM_STORE_E_CONSTRAINT)
                r = fail(s, r, "ledger entry %zu: the key is already in the org's ledger (or breaks a rule): nothing recorded", i);
            return tx_abort(s, r);
        }
        added += (size_t)sqlite3_changes(s->db);
    }
    if (folder != NULL && (r = cursor_write(s, mailbox_id, folder, cursor, now)) != CRM_STORE_OK) return tx_abort(s, r);
    if ((r = tx_commit(s)) != CRM_STORE_OK) return tx_abort(s, r);
    if (inserted) *inserted = added;
    return CRM_STORE_OK;
}

/* json_each's `key` of an array element is its index: one query answers for all keys. */
static const char SQL_LEDGER_KNOWN[] =
    "SELECT j.key FROM json_each(?2) j WHERE EXISTS (SELECT 1 FROM ledger l WHERE l.org_id = ?1 AND l.key = j.value)";

crm_store_status crm_store_ledger_known(crm_store *s, int64_t mailbox_id, const char *const *keys, size_t n, bool *known) {
    ENTER(s);
    for (size_t i = 0; i < n; i++) known[i] = false;
    if (n == 0) return CRM_STORE_OK;
    int64_t org_id = 0;
    crm_store_status r = mailbox_org(s, mailbox_id, NULL, &org_id);
    if (r != CRM_STORE_OK) return r;
    char *arr = json_array_of(keys, n);
    if (arr == NULL) return nomem(s);
    sqlite3_stmt *st = prep(s, SQL_LEDGER_KNOWN);
    if (st == NULL) { free(arr); return CRM_STORE_E_INTERNAL; }
    sqlite3_bind_int64(st, 1, org_id);
    bind_text(st, 2, arr);
    free(arr);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 i = sqlite3_column_int64(st, 0);
        if (i >= 0 && (size_t)i < n) known[i] = true;
    }
    if (rc != SQLITE_DONE) r = db_fail(s, rc, "looking up the ledger");
    done(s, st);
    return r;
}

static const char SQL_LEDGER_COUNT[] = "SELECT COUNT(*) FROM ledger WHERE org_id = ?1";

crm_store_status crm_store_ledger_count(crm_store *s, int64_t mailbox_id, int64_t *count) {
    ENTER(s);
    int64_t org_id = 0;
    crm_store_status r = mailbox_org(s, mailbox_id, NULL, &org_id);
    if (r != CRM_STORE_OK) return r;
    sqlite3_stmt *st = prep(s, SQL_LEDGER_COUNT);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    sqlite3_bind_int64(st, 1, org_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *count = sqlite3_column_int64(st, 0);
    else r = db_fail(s, rc, "counting the ledger");
    done(s, st);
    return r;
}

/* ---- threads and context ---- */
static const char SQL_THREAD_FLAG[] =
    "INSERT INTO threads(mailbox_id, conversation_id, flagged_at, who, what) VALUES(?1,?2,?3,?4,?5)"
    " ON CONFLICT(mailbox_id, conversation_id) DO UPDATE SET flagged_at = ?3, who = ?4, what = ?5";

crm_store_status crm_store_thread_flag(crm_store *s, int64_t mailbox_id, const char *conversation_id, const char *flagged_at,
                                       const char *who_json, const char *what) {
    ENTER(s);
    if (empty(conversation_id)) return fail(s, CRM_STORE_E_INVALID, "a flagged thread needs a conversation id");
    crm_store_status r = CRM_STORE_OK;
    char *who = json_checked(s, who_json ? who_json : "[]", SHAPE_STRING_ARRAY, "thread who", &r);
    if (who == NULL) return r;
    sqlite3_stmt *st = prep(s, SQL_THREAD_FLAG);
    if (st == NULL) { free(who); return CRM_STORE_E_INTERNAL; }
    sqlite3_bind_int64(st, 1, mailbox_id);
    bind_text(st, 2, conversation_id);
    bind_text(st, 3, flagged_at);
    bind_text(st, 4, who);
    bind_text(st, 5, what);
    free(who);
    return run(s, st, "flagging the thread");
}

static const char SQL_CONTEXT_SAVED[] =
    "SELECT key, message_id, date, record_ids FROM ledger WHERE org_id = ?1"
    " AND (key IN (SELECT value FROM json_each(?2)) OR"
    "      (message_id <> '' AND message_id IN (SELECT value FROM json_each(?3))))"
    " ORDER BY id";
static const char SQL_CONTEXT_THREADS[] =
    "SELECT conversation_id, flagged_at, who, what FROM threads WHERE mailbox_id = ?1"
    " AND conversation_id IN (SELECT value FROM json_each(?2)) ORDER BY conversation_id";

crm_store_status crm_store_context(crm_store *s, int64_t mailbox_id, const char *now_rfc3339,
                                   const char *const *keys, size_t n_keys,
                                   const char *const *message_ids, size_t n_message_ids,
                                   const char *const *conversation_ids, size_t n_conversations, cJSON **out) {
    ENTER(s);
    *out = NULL;
    int64_t org_id = 0;
    crm_store_status r = mailbox_org(s, mailbox_id, NULL, &org_id);
    if (r != CRM_STORE_OK) return r;
    cJSON *c = cJSON_CreateObject();
    cJSON *saved = NULL, *threads = NULL;
    char *jk = json_array_of(keys, n_keys), *jm = json_array_of(message_ids, n_message_ids);
    char *jc = json_array_of(conversation_ids, n_conversations);
    if (c == NULL || !cJSON_AddStringToObject(c, "now", now_rfc3339 ? now_rfc3339 : "") ||
        (saved = cJSON_AddArrayToObject(c, "saved")) == NULL || (threads = cJSON_AddArrayToObject(c, "threads")) == NULL ||
        cJSON_AddArrayToObject(c, "view_ids") == NULL || !jk || !jm || !jc) {
        r = nomem(s);
        goto out;
    }
    sqlite3_stmt *st = prep(s, SQL_CONTEXT_SAVED);
    if (st == NULL) { r = CRM_STORE_E_INTERNAL; goto out; }
    sqlite3_bind_int64(st, 1, org_id);
    bind_text(st, 2, jk);
    bind_text(st, 3, jm);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *e = cJSON_CreateObject();
        cJSON *ids = json_col(st, 3, true);
        if (e == NULL || ids == NULL || !cJSON_AddStringToObject(e, "key", col_text(st, 0)) ||
            !cJSON_AddStringToObject(e, "message_id", col_text(st, 1)) || !cJSON_AddStringToObject(e, "date", col_text(st, 2))) {
            cJSON_Delete(e);
            cJSON_Delete(ids);
            r = nomem(s);
            break;
        }
        cJSON_AddItemToObject(e, "record_ids", ids);
        cJSON_AddItemToArray(saved, e);
    }
    if (r == CRM_STORE_OK && rc != SQLITE_DONE) r = db_fail(s, rc, "reading the ledger");
    done(s, st);
    if (r != CRM_STORE_OK) goto out;
    if ((st = prep(s, SQL_CONTEXT_THREADS)) == NULL) { r = CRM_STORE_E_INTERNAL; goto out; }
    sqlite3_bind_int64(st, 1, mailbox_id);
    bind_text(st, 2, jc);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *e = cJSON_CreateObject();
        cJSON *who = json_col(st, 2, true);
        if (e == NULL || who == NULL || !cJSON_AddStringToObject(e, "conversation_id", col_text(st, 0)) ||
            !cJSON_AddStringToObject(e, "flagged_at", col_text(st, 1))) {
            cJSON_Delete(e);
            cJSON_Delete(who);
            r = nomem(s);
            break;
        }
        cJSON_AddItemToObject(e, "who", who);
        if (!cJSON_AddStringToObject(e, "what", col_text(st, 3))) { cJSON_Delete(e); r = nomem(s); break; }
        cJSON_AddItemToArray(threads, e);
    }
    if (r == CRM_STORE_OK && rc != SQLITE_DONE) r = db_fail(s, rc, "reading the flagged threads");
    done(s, st);
out:
    free(jk);
    free(jm);
    free(jc);
    if (r != CRM_STORE_OK) { cJSON_Delete(c); return r; }
    *out = c;
    return CRM_STORE_OK;
}

/* ---- issues ---- */
static const char SQL_ISSUE_TOKEN[] =
    "SELECT o.refresh_token FROM mailboxes m JOIN users u ON u.id = m.user_id JOIN orgs o ON o.id = u.org_id WHERE m.id = ?1";
static const char SQL_ISSUE_OPEN[] =
    "SELECT id FROM issues WHERE mailbox_id = ?1 AND kind = ?2 AND item_key = ?3 AND code = ?4 AND resolved = 0"
    " ORDER BY id DESC LIMIT 1";
static const char SQL_ISSUE_BUMP[] =
    "UPDATE issues SET at = ?2, message = ?3, item_ref = ?4, retried = retried + 1 WHERE id = ?1";
static const char SQL_ISSUE_ADD[] =
    "INSERT INTO issues(mailbox_id, at, kind, item_key, item_ref, code, message) VALUES(?1,?2,?3,?4,?5,?6,?7)";

/* A malloc'd copy of `in` with every occurrence of `secret` replaced by [redacted]. */
static char *redact(const char *in, const char *secret) {
    in = in ? in : "";
    size_t sl = secret ? strlen(secret) : 0, count = 0;
    if (sl >= 4)
        for (const char *p = strstr(in, secret); p; p = strstr(p + sl, secret)) count++;
    static const char mark[] = "[redacted]";
    char *out = malloc(strlen(in) + count * sizeof mark + 1);
    if (out == NULL) return NULL;
    char *w = out;
    while (*in) {
        if (count && strncmp(in, secret, sl) == 0) {
            memcpy(w, mark, sizeof mark - 1);
            w += sizeof mark - 1;
            in += sl;
        } else *w++ = *in++;
    }
    *w = '\0';
    return out;
}

static const char SQL_ISSUE_RETRIED[] = "SELECT retried FROM issues WHERE id = ?1";

crm_store_status crm_store_issue_retried(crm_store *s, int64_t issue_id, long *retried) {
    ENTER(s);
    sqlite3_stmt *st;
    crm_store_status r = row_by_id(s, SQL_ISSUE_RETRIED, issue_id, "issue", &st);
    if (r != CRM_STORE_OK) return r;
    *retried = (long)sqlite3_column_int64(st, 0);
    done(s, st);
    return r;
}

crm_store_status crm_store_issue_add(crm_store *s, const crm_store_issue *is, int64_t *id) {
    ENTER(s);
    if (is == NULL || empty(is->kind)) return fail(s, CRM_STORE_E_INVALID, "an issue needs a kind");
    crm_store_status r = tx_begin(s);
    if (r != CRM_STORE_OK) return r;
    char *token = NULL, *msg = NULL, *ref = NULL;
    sqlite3_stmt *st = prep(s, SQL_ISSUE_TOKEN);
    if (st == NULL) return tx_abort(s, CRM_STORE_E_INTERNAL);
    sqlite3_bind_int64(st, 1, is->mailbox_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) token = dupstr(col_text(st, 0));
    done(s, st);
    if (rc == SQLITE_DONE) return tx_abort(s, fail(s, CRM_STORE_E_NOT_FOUND, "no mailbox with id %lld", (long long)is->mailbox_id));
    if (rc != SQLITE_ROW) return tx_abort(s, db_fail(s, rc, "logging the issue"));
    msg = redact(is->message, token);
    ref = redact(is->item_ref, token);
    if (token) { memset(token, 0, strlen(token)); free(token); }
    if (msg == NULL || ref == NULL) { r = nomem(s); goto out; }
    if ((st = prep(s, SQL_ISSUE_OPEN)) == NULL) { r = CRM_STORE_E_INTERNAL; goto out; }
    sqlite3_bind_int64(st, 1, is->mailbox_id);
    bind_text(st, 2, is->kind);
    bind_text(st, 3, is->item_key);
    bind_text(st, 4, is->code);
    rc = sqlite3_step(st);
    int64_t existing = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    done(s, st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) { r = db_fail(s, rc, "logging the issue"); goto out; }
    if (existing) {
        if ((st = prep(s, SQL_ISSUE_BUMP)) == NULL) { r = CRM_STORE_E_INTERNAL; goto out; }
        sqlite3_bind_int64(st, 1, existing);
        sqlite3_bind_int64(st, 2, is->at);
        bind_text(st, 3, msg);
        bind_text(st, 4, ref);
        if ((r = run(s, st, "logging the issue")) == CRM_STORE_OK && id) *id = existing;
    } else {
        if ((st = prep(s, SQL_ISSUE_ADD)) == NULL) { r = CRM_STORE_E_INTERNAL; goto out; }
        sqlite3_bind_int64(st, 1, is->mailbox_id);
        sqlite3_bind_int64(st, 2, is->at);
        bind_text(st, 3, is->kind);
        bind_text(st, 4, is->item_key);
        bind_text(st, 5, ref);
        bind_text(st, 6, is->code);
        bind_text(st, 7, msg);
        if ((r = run(s, st, "logging the issue")) == CRM_STORE_OK && id) *id = sqlite3_last_insert_rowid(s->db);
    }
    if (r == CRM_STORE_OK) r = tx_commit(s);
out:
    free(msg);
    free(ref);
    return r == CRM_STORE_OK ? r : tx_abort(s, r);
}

static const char SQL_ISSUE_RESOLVE[] = "UPDATE issues SET resolved = 1 WHERE id = ?1";

crm_store_status crm_store_issue_resolve(crm_store *s, int64_t issue_id) {
    ENTER(s);
    sqlite3_stmt *st = prep(s, SQL_ISSUE_RESOLVE);
    if (st == NULL) return CRM_STORE_E_INTERNAL;
    sqlite3_bind_int64(st, 1, issue_id);
    crm_store_status r = run(s, st, "resolving the issue");
    if (r == CRM_STORE_OK && sqlite3_changes(s->db) == 0)
        r = fail(s, CRM_STORE_E_NOT_FOUND, "no issue with id %lld", (long long)issue_id);
    return r;
}

static const char SQL_ISSUES_LIST[] =
    "SELECT i.id, i.mailbox_id, m.name, i.at, i.kind, i.item_key, i.item_ref, i.code, i.message, i.retried, i.resolved"
    " FROM issues i JOIN mailboxes m ON m.id = i.mailbox_id"
    " WHERE ?1 = 0 OR i.mailbox_id = ?1 ORDER BY i.at DESC, i.id DESC LIMIT ?2";

crm_store_status crm_store_issues_list(crm_store *s, int64_t mailbox_id, size_t limit, cJSON **out) {
    ENTER(s);
    *out = NULL;
    cJSON *a = cJSON_CreateArray();
    if (a == NULL) return nomem(s);
    sqlite3_stmt *st = prep(s, SQL_ISSUES_LIST);
    if (st == NULL) { cJSON_Delete(a); return CRM_STORE_E_INTERNAL; }
    sqlite3_bind_int64(st, 1, mailbox_id);
    sqlite3_bind_int64(st, 2, limit == 0 ? -1 : (sqlite3_int64)limit);
    int rc;
    crm_store_status r = CRM_STORE_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *e = cJSON_CreateObject();
        if (e == NULL) { r = nomem(s); break; }
        cJSON_AddItemToArray(a, e);
        if (!cJSON_AddNumberToObject(e, "id", (double)sqlite3_column_int64(st, 0)) ||
            !cJSON_AddNumberToObject(e, "mailbox_id", (double)sqlite3_column_int64(st, 1)) ||
            !cJSON_AddStringToObject(e, "mailbox", col_text(st, 2)) ||
            !cJSON_AddNumberToObject(e, "at", (double)sqlite3_column_int64(st, 3)) ||
            !cJSON_AddStringToObject(e, "kind", col_text(st, 4)) ||
            !cJSON_AddStringToObject(e, "item_key", col_text(st, 5)) ||
            !cJSON_AddStringToObject(e, "item_ref", col_text(st, 6)) ||
            !cJSON_AddStringToObject(e, "code", col_text(st, 7)) ||
            !cJSON_AddStringToObject(e, "message", col_text(st, 8)) ||
            !cJSON_AddNumberToObject(e, "retried", (double)sqlite3_column_int64(st, 9)) ||
            !cJSON_AddBoolToObject(e, "resolved", sqlite3_column_int(st, 10))) {
            r = nomem(s);
            break;
        }
    }
    if (r == CRM_STORE_OK && rc != SQLITE_DONE) r = db_fail(s, rc, "listing the issues");
    done(s, st);
    if (r != CRM_STORE_OK) { cJSON_Delete(a); return r; }
    *out = a;
    return CRM_STORE_OK;
}
