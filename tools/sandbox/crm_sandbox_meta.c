/* crm_sandbox_meta.c: the sandbox org's objects and fields (lengths from the Salesforce
 * field reference, see reference/salesforce-graph-imap-apis.md §2), Salesforce ids, the
 * SQLite schema and counters, date-times, errors in Salesforce's shapes, the PRNG. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "crm_sandbox.h"
#include "crm_sandbox_internal.h"

#define W (CRM_SB_CRE | CRM_SB_UPD | CRM_SB_NIL)
#define REQ (CRM_SB_CRE | CRM_SB_UPD)
#define RO (CRM_SB_NIL)
#define SYS_FIELDS \
    {"CreatedDate", "Created Date", CRM_SB_DATETIME, 0, CRM_SB_DEF, NULL, NULL}, \
    {"LastModifiedDate", "Last Modified Date", CRM_SB_DATETIME, 0, CRM_SB_DEF, NULL, NULL}
#define ID_FIELD {"Id", "Record ID", CRM_SB_ID, 18, CRM_SB_DEF | CRM_SB_IDL, NULL, NULL}
#define OWNER {"OwnerId", "Owner ID", CRM_SB_REFERENCE, 18, CRM_SB_CRE | CRM_SB_UPD | CRM_SB_DEF, "User", NULL}
#define KEY {"CrmSync_Key__c", "CrmSync Key", CRM_SB_STRING, 255, W | CRM_SB_EXT | CRM_SB_UNQ | CRM_SB_IDL, NULL, NULL}
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const crm_sandbox_field user_f[] = {
    ID_FIELD,
    {"Username", "Username", CRM_SB_STRING, 80, REQ | CRM_SB_UNQ | CRM_SB_IDL, NULL, NULL},
    {"FirstName", "First Name", CRM_SB_STRING, 40, W, NULL, NULL},
    {"LastName", "Last Name", CRM_SB_STRING, 80, REQ, NULL, NULL},
    {"Name", "Full Name", CRM_SB_STRING, 121, 0, NULL, NULL},
    {"Email", "Email", CRM_SB_EMAIL, 128, REQ, NULL, NULL},
    {"IsActive", "Active", CRM_SB_BOOLEAN, 0, CRM_SB_CRE | CRM_SB_UPD | CRM_SB_DEF, NULL, "true"},
    SYS_FIELDS,
};
static const crm_sandbox_field account_f[] = {
    ID_FIELD,
    {"Name", "Account Name", CRM_SB_STRING, 255, REQ | CRM_SB_IDL, NULL, NULL},
    {"Website", "Website", CRM_SB_URL, 255, W, NULL, NULL},
    {"Phone", "Account Phone", CRM_SB_PHONE, 40, W, NULL, NULL},
    {"Industry", "Industry", CRM_SB_PICKLIST, 255, W, NULL, NULL},
    {"BillingStreet", "Billing Street", CRM_SB_TEXTAREA, 255, W, NULL, NULL},
    {"BillingCity", "Billing City", CRM_SB_STRING, 40, W, NULL, NULL},
    {"Description", "Account Description", CRM_SB_TEXTAREA, 32000, W, NULL, NULL},
    OWNER,
    SYS_FIELDS,
};
static const crm_sandbox_field contact_f[] = {
    ID_FIELD,
    {"FirstName", "First Name", CRM_SB_STRING, 40, W, NULL, NULL},
    {"LastName", "Last Name", CRM_SB_STRING, 80, REQ, NULL, NULL},
    {"Name", "Full Name", CRM_SB_STRING, 121, 0, NULL, NULL},
    {"Email", "Email", CRM_SB_EMAIL, 80, W | CRM_SB_IDL, NULL, NULL},
    {"Phone", "Business Phone", CRM_SB_PHONE, 40, W, NULL, NULL},
    {"Title", "Title", CRM_SB_STRING, 128, W, NULL, NULL},
    {"AccountId", "Account ID", CRM_SB_REFERENCE, 18, W, "Account", NULL},
    {"Description", "Contact Description", CRM_SB_TEXTAREA, 32000, W, NULL, NULL},
    {"CrmSync_Alt_Email__c", "Alternate Email", CRM_SB_EMAIL, 80, W, NULL, NULL},
    OWNER,
    SYS_FIELDS,
};
static const crm_sandbox_field lead_f[] = {
    ID_FIELD,
    {"FirstName", "First Name", CRM_SB_STRING, 40, W, NULL, NULL},
    {"LastName", "Last Name", CRM_SB_STRING, 80, REQ, NULL, NULL},
    {"Name", "Full Name", CRM_SB_STRING, 121, 0, NULL, NULL},
    {"Email", "Email", CRM_SB_EMAIL, 80, W | CRM_SB_IDL, NULL, NULL},
    {"Company", "Company", CRM_SB_STRING, 255, REQ, NULL, NULL},
    {"Status", "Lead Status", CRM_SB_PICKLIST, 40, REQ | CRM_SB_DEF, NULL, "Open - Not Contacted"},
    {"IsConverted", "Converted", CRM_SB_BOOLEAN, 0, CRM_SB_CRE | CRM_SB_DEF, NULL, "false"},
    {"ConvertedContactId", "Converted Contact ID", CRM_SB_REFERENCE, 18, RO, "Contact", NULL},
    {"Description", "Description", CRM_SB_TEXTAREA, 32000, W, NULL, NULL},
    {"CrmSync_Alt_Email__c", "Alternate Email", CRM_SB_EMAIL, 80, W, NULL, NULL},
    OWNER,
    SYS_FIELDS,
};
static const crm_sandbox_field opportunity_f[] = {
    ID_FIELD,
    {"Name", "Name", CRM_SB_STRING, 120, REQ, NULL, NULL},
    {"AccountId", "Account ID", CRM_SB_REFERENCE, 18, W, "Account", NULL},
    {"StageName", "Stage", CRM_SB_PICKLIST, 255, REQ, NULL, NULL},
    {"CloseDate", "Close Date", CRM_SB_DATE, 0, REQ, NULL, NULL},
    {"Amount", "Amount", CRM_SB_DOUBLE, 0, W, NULL, NULL},
    {"IsClosed", "Closed", CRM_SB_BOOLEAN, 0, CRM_SB_DEF, NULL, "false"},
    {"IsWon", "Won", CRM_SB_BOOLEAN, 0, CRM_SB_DEF, NULL, "false"},
    {"Description", "Description", CRM_SB_TEXTAREA, 32000, W, NULL, NULL},
    OWNER,
    SYS_FIELDS,
};
static const crm_sandbox_field task_f[] = {
    ID_FIELD,
    {"Subject", "Subject", CRM_SB_COMBOBOX, 255, W, NULL, NULL},
    {"Description", "Description", CRM_SB_TEXTAREA, 32000, W, NULL, NULL},
    {"ActivityDate", "Due Date Only", CRM_SB_DATE, 0, W, NULL, NULL},
    {"Status", "Status", CRM_SB_PICKLIST, 40, REQ | CRM_SB_DEF, NULL, "Not Started"},
    {"Priority", "Priority", CRM_SB_PICKLIST, 40, REQ | CRM_SB_DEF, NULL, "Normal"},
    {"TaskSubtype", "Task Subtype", CRM_SB_PICKLIST, 40, CRM_SB_CRE | CRM_SB_NIL, NULL, NULL},
    {"WhoId", "Name ID", CRM_SB_REFERENCE, 18, W, "Contact,Lead", NULL},
    {"WhatId", "Related To ID", CRM_SB_REFERENCE, 18, W, "Account,Opportunity", NULL},
    {"IsClosed", "Closed", CRM_SB_BOOLEAN, 0, CRM_SB_DEF, NULL, "false"},
    OWNER,
    KEY,
    SYS_FIELDS,
};
static const crm_sandbox_field taskrel_f[] = {
    ID_FIELD,
    {"TaskId", "Task ID", CRM_SB_REFERENCE, 18, CRM_SB_CRE, "Task", NULL},
    {"RelationId", "Relation ID", CRM_SB_REFERENCE, 18, CRM_SB_CRE, "Contact,Lead,Account,Opportunity,User", NULL},
    {"IsWhat", "Is What", CRM_SB_BOOLEAN, 0, CRM_SB_CRE | CRM_SB_DEF, NULL, "false"},
    SYS_FIELDS,
};
static const crm_sandbox_field event_f[] = {
    ID_FIELD,
    {"Subject", "Subject", CRM_SB_COMBOBOX, 255, W, NULL, NULL},
    {"Description", "Description", CRM_SB_TEXTAREA, 32000, W, NULL, NULL},
    {"StartDateTime", "Start Date Time", CRM_SB_DATETIME, 0, W, NULL, NULL},
    {"EndDateTime", "End Date Time", CRM_SB_DATETIME, 0, W, NULL, NULL},
    {"ActivityDate", "Due Date Only", CRM_SB_DATE, 0, W, NULL, NULL},
    {"ActivityDateTime", "Due Date Time", CRM_SB_DATETIME, 0, W, NULL, NULL},
    {"DurationInMinutes", "Duration", CRM_SB_INT, 0, W, NULL, NULL},
    {"IsAllDayEvent", "All-Day Event", CRM_SB_BOOLEAN, 0, CRM_SB_CRE | CRM_SB_UPD | CRM_SB_DEF, NULL, "false"},
    {"Location", "Location", CRM_SB_STRING, 255, W, NULL, NULL},
    {"ShowAs", "Show Time As", CRM_SB_PICKLIST, 40, W | CRM_SB_DEF, NULL, "Busy"},
    {"IsPrivate", "Private", CRM_SB_BOOLEAN, 0, CRM_SB_CRE | CRM_SB_UPD | CRM_SB_DEF, NULL, "false"},
    {"WhoId", "Name ID", CRM_SB_REFERENCE, 18, W, "Contact,Lead", NULL},
    {"WhatId", "Related To ID", CRM_SB_REFERENCE, 18, W, "Account,Opportunity", NULL},
    OWNER,
    KEY,
    SYS_FIELDS,
};
static const crm_sandbox_field eventrel_f[] = {
    ID_FIELD,
    {"EventId", "Event ID", CRM_SB_REFERENCE, 18, CRM_SB_CRE, "Event", NULL},
    {"RelationId", "Relation ID", CRM_SB_REFERENCE, 18, CRM_SB_CRE, "Contact,Lead,User", NULL},
    {"IsInvitee", "Invitee", CRM_SB_BOOLEAN, 0, CRM_SB_CRE | CRM_SB_UPD | CRM_SB_DEF, NULL, "true"},
    {"Status", "Status", CRM_SB_PICKLIST, 40, W, NULL, NULL},
    {"Response", "Response", CRM_SB_STRING, 255, W, NULL, NULL},
    SYS_FIELDS,
};
static const crm_sandbox_field email_f[] = {
    ID_FIELD,
    {"Subject", "Subject", CRM_SB_STRING, 3000, W, NULL, NULL},
    {"HtmlBody", "HTML Body", CRM_SB_TEXTAREA, 131072, W, NULL, NULL},
    {"TextBody", "Text Body", CRM_SB_TEXTAREA, 131072, W, NULL, NULL},
    {"Headers", "Headers", CRM_SB_TEXTAREA, 32000, W, NULL, NULL},
    {"FromAddress", "From Address", CRM_SB_EMAIL, 1000, W, NULL, NULL},
    {"FromName", "From Name", CRM_SB_STRING, 1000, W, NULL, NULL},
    {"ToAddress", "To Address", CRM_SB_STRING, 4000, W, NULL, NULL},
    {"CcAddress", "CC Address", CRM_SB_STRING, 4000, W, NULL, NULL},
    {"BccAddress", "BCC Address", CRM_SB_STRING, 4000, W, NULL, NULL},
    {"MessageDate", "Message Date", CRM_SB_DATETIME, 0, W, NULL, NULL},
    {"Status", "Status", CRM_SB_PICKLIST, 40, REQ, NULL, NULL},
    {"Incoming", "Is Incoming", CRM_SB_BOOLEAN, 0, CRM_SB_CRE | CRM_SB_DEF, NULL, "false"},
    {"RelatedToId", "Related To ID", CRM_SB_REFERENCE, 18, W, "Account,Opportunity", NULL},
    {"ActivityId", "Activity ID", CRM_SB_REFERENCE, 18, CRM_SB_CRE | CRM_SB_NIL, "Task", NULL},
    {"MessageIdentifier", "Message ID", CRM_SB_STRING, 765, W | CRM_SB_IDL, NULL, NULL},
    {"ThreadIdentifier", "Thread ID", CRM_SB_STRING, 765, W | CRM_SB_IDL, NULL, NULL},
    KEY,
    SYS_FIELDS,
};
static const crm_sandbox_field emailrel_f[] = {
    ID_FIELD,
    {"EmailMessageId", "Email Message ID", CRM_SB_REFERENCE, 18, CRM_SB_CRE, "EmailMessage", NULL},
    {"RelationId", "Relation ID", CRM_SB_REFERENCE, 18, CRM_SB_CRE | CRM_SB_NIL, "Contact,Lead,User", NULL},
    {"RelationAddress", "Relation Address", CRM_SB_EMAIL, 1000, CRM_SB_CRE | CRM_SB_NIL, NULL, NULL},
    {"RelationObjectType", "Relation Object Type", CRM_SB_STRING, 40, RO, NULL, NULL},
    {"RelationType", "Relation Type", CRM_SB_PICKLIST, 40, REQ, NULL, NULL},
    SYS_FIELDS,
};

const crm_sandbox_object crm_sandbox_objects[] = {
    {"User", "User", "005", user_f, N(user_f)},
    {"Account", "Account", "001", account_f, N(account_f)},
    {"Contact", "Contact", "003", contact_f, N(contact_f)},
    {"Lead", "Lead", "00Q", lead_f, N(lead_f)},
    {"Opportunity", "Opportunity", "006", opportunity_f, N(opportunity_f)},
    {"Task", "Task", "00T", task_f, N(task_f)},
    {"TaskRelation", "Task Relation", "0RT", taskrel_f, N(taskrel_f)},
    {"Event", "Event", "00U", event_f, N(event_f)},
    {"EventRelation", "Event Relation", "0RE", eventrel_f, N(eventrel_f)},
    {"EmailMessage", "Email Message", "02s", email_f, N(email_f)},
    {"EmailMessageRelation", "Email Message Relation", "0Eq", emailrel_f, N(emailrel_f)},
};
const int crm_sandbox_n_objects = N(crm_sandbox_objects);

const crm_sandbox_object *crm_sandbox_object_find(const char *name) {
    for (int i = 0; i < crm_sandbox_n_objects; i++)
        if (strcasecmp(crm_sandbox_objects[i].name, name) == 0) return &crm_sandbox_objects[i];
    return NULL;
}

const crm_sandbox_object *crm_sandbox_object_by_prefix(const char *id) {
    for (int i = 0; i < crm_sandbox_n_objects; i++)
        if (strncmp(crm_sandbox_objects[i].prefix, id, 3) == 0) return &crm_sandbox_objects[i];
    return NULL;
}

int crm_sandbox_field_index(const crm_sandbox_object *o, const char *name) {
    for (int i = 0; i < o->n_fields; i++)
        if (strcasecmp(o->fields[i].name, name) == 0) return i;
    return -1;
}

bool crm_sandbox_ftype_is_text(crm_sandbox_ftype t) {
    switch (t) {
    case CRM_SB_STRING: case CRM_SB_EMAIL: case CRM_SB_URL: case CRM_SB_PHONE: case CRM_SB_TEXTAREA:
    case CRM_SB_PICKLIST: case CRM_SB_COMBOBOX:
        return true;
    case CRM_SB_ID: case CRM_SB_REFERENCE: case CRM_SB_BOOLEAN: case CRM_SB_DATE: case CRM_SB_DATETIME:
    case CRM_SB_INT: case CRM_SB_DOUBLE:
        return false;
    }
    return false;
}

const char *crm_sandbox_ftype_name(crm_sandbox_ftype t) {
    switch (t) {
    case CRM_SB_ID: return "id";
    case CRM_SB_STRING: return "string";
    case CRM_SB_EMAIL: return "email";
    case CRM_SB_URL: return "url";
    case CRM_SB_PHONE: return "phone";
    case CRM_SB_TEXTAREA: return "textarea";
    case CRM_SB_PICKLIST: return "picklist";
    case CRM_SB_COMBOBOX: return "combobox";
    case CRM_SB_REFERENCE: return "reference";
    case CRM_SB_BOOLEAN: return "boolean";
    case CRM_SB_DATE: return "date";
    case CRM_SB_DATETIME: return "datetime";
    case CRM_SB_INT: return "int";
    case CRM_SB_DOUBLE: return "double";
    }
    return "string";
}

/* ----------------------------------------------------------------------- ids */
static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static bool id_char(char c) { return isalnum((unsigned char)c) != 0; }

bool crm_sandbox_id18(const char *in, char out[19]) {
    size_t n = in ? strlen(in) : 0;
    if (n != 15 && n != 18) return false;
    for (size_t i = 0; i < n; i++) if (!id_char(in[i])) return false;
    memcpy(out, in, 15);
    for (int chunk = 0; chunk < 3; chunk++) {
        unsigned flags = 0;
        for (int j = 0; j < 5; j++) {
            char c = in[chunk * 5 + j];
            if (c >= 'A' && c <= 'Z') flags |= 1u << j;
        }
        out[15 + chunk] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[flags];
    }
    out[18] = '\0';
    /* an 18-char id must carry the right suffix (its case is not significant) */
    if (n == 18) for (int i = 15; i < 18; i++) if (toupper((unsigned char)in[i]) != out[i]) return false;
    return true;
}

void crm_sandbox_make_id(const char *prefix, uint64_t n, char out[19]) {
    char id15[16];
    memcpy(id15, prefix, 3);
    id15[3] = 'S';
    id15[4] = 'b';
    for (int i = 14; i >= 5; i--) { id15[i] = B62[n % 62]; n /= 62; }
    id15[15] = '\0';
    crm_sandbox_id18(id15, out);
}

int crm_sandbox_new_id(sqlite3 *db, const char *prefix, char out[19]) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "INSERT INTO sandbox_seq(prefix, next) VALUES(?1, 2) "
                                    "ON CONFLICT(prefix) DO UPDATE SET next = next + 1 RETURNING next - 1", -1, &st, NULL);
    if (rc != SQLITE_OK) return -1;
    sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
    long long n = -1;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (n < 0) return -1;
    crm_sandbox_make_id(prefix, (uint64_t)n, out);
    return 0;
}

void crm_sandbox_admin_user(char out[19]) { crm_sandbox_make_id("005", 1, out); }
void crm_sandbox_org_id(char out[19]) { crm_sandbox_make_id("00D", 1, out); }

/* ------------------------------------------------------------------- storage */
int crm_sandbox_exec(sqlite3 *db, const char *sql) {
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static const char *sql_type(const crm_sandbox_field *f) {
    switch (f->type) {
    case CRM_SB_BOOLEAN: case CRM_SB_INT: return "INTEGER";
    case CRM_SB_DOUBLE: return "REAL";
    case CRM_SB_ID: case CRM_SB_REFERENCE: case CRM_SB_DATE: case CRM_SB_DATETIME: return "TEXT";
    case CRM_SB_STRING: case CRM_SB_EMAIL: case CRM_SB_URL: case CRM_SB_PHONE: case CRM_SB_TEXTAREA:
    case CRM_SB_PICKLIST: case CRM_SB_COMBOBOX:
        return "TEXT COLLATE NOCASE"; /* SOQL compares text case-insensitively */
    }
    return "TEXT";
}

/* Indexes for the lookups crmsync makes (emails, IN lists of ids, external ids). */
static const char *const INDEXES[] = {
    "CREATE INDEX IF NOT EXISTS contact_email ON \"Contact\"(Email)",
    "CREATE INDEX IF NOT EXISTS contact_alt ON \"Contact\"(CrmSync_Alt_Email__c)",
    "CREATE INDEX IF NOT EXISTS contact_account ON \"Contact\"(AccountId)",
    "CREATE INDEX IF NOT EXISTS lead_email ON \"Lead\"(Email)",
    "CREATE INDEX IF NOT EXISTS lead_alt ON \"Lead\"(CrmSync_Alt_Email__c)",
    "CREATE INDEX IF NOT EXISTS account_website ON \"Account\"(Website)",
    "CREATE INDEX IF NOT EXISTS opp_account ON \"Opportunity\"(AccountId)",
    "CREATE INDEX IF NOT EXISTS task_who ON \"Task\"(WhoId)",
    "CREATE INDEX IF NOT EXISTS taskrel_task ON \"TaskRelation\"(TaskId)",
    "CREATE INDEX IF NOT EXISTS eventrel_event ON \"EventRelation\"(EventId)",
    "CREATE INDEX IF NOT EXISTS emailrel_email ON \"EmailMessageRelation\"(EmailMessageId)",
    "CREATE INDEX IF NOT EXISTS email_msgid ON \"EmailMessage\"(MessageIdentifier)",
    NULL,
};

static int create_schema(sqlite3 *db) {
    char sql[8192];
    if (crm_sandbox_exec(db,
            "CREATE TABLE IF NOT EXISTS sandbox_meta(key TEXT PRIMARY KEY, value TEXT);"
            "CREATE TABLE IF NOT EXISTS sandbox_seq(prefix TEXT PRIMARY KEY, next INTEGER NOT NULL);"
            "CREATE TABLE IF NOT EXISTS sandbox_usage(hour INTEGER PRIMARY KEY, calls INTEGER NOT NULL);"
            "CREATE TABLE IF NOT EXISTS sandbox_counts(kind TEXT PRIMARY KEY, n INTEGER NOT NULL);"
            "CREATE TABLE IF NOT EXISTS sandbox_tokens(token TEXT PRIMARY KEY, epoch INTEGER NOT NULL, issued_at INTEGER NOT NULL);"
            "CREATE TABLE IF NOT EXISTS sandbox_cursors(locator TEXT PRIMARY KEY, soql TEXT NOT NULL, created INTEGER NOT NULL);"
            "CREATE TABLE IF NOT EXISTS sandbox_deleted(id TEXT PRIMARY KEY, sobject TEXT NOT NULL);") != 0)
        return -1;
    for (int i = 0; i < crm_sandbox_n_objects; i++) {
        const crm_sandbox_object *o = &crm_sandbox_objects[i];
        size_t n = (size_t)snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS \"%s\"(Id TEXT PRIMARY KEY", o->name);
        for (int k = 1; k < o->n_fields; k++) {
            const crm_sandbox_field *f = &o->fields[k];
            n += (size_t)snprintf(sql + n, sizeof sql - n, ", \"%s\" %s%s", f->name, sql_type(f),
                                  (f->flags & CRM_SB_UNQ) ? " UNIQUE" : "");
        }
        snprintf(sql + n, sizeof sql - n, ")");
        if (crm_sandbox_exec(db, sql) != 0) return -1;
    }
    for (int i = 0; INDEXES[i]; i++) if (crm_sandbox_exec(db, INDEXES[i]) != 0) return -1;
    /* the integration user every token belongs to */
    char uid[19], now[32];
    crm_sandbox_admin_user(uid);
    crm_sandbox_fmt_datetime((long long)time(NULL), now);
    snprintf(sql, sizeof sql,
             "INSERT OR IGNORE INTO \"User\"(Id, Username, FirstName, LastName, Name, Email, IsActive, CreatedDate, LastModifiedDate) "
             "VALUES('%s', 'integration@sandbox.crmsync.test', 'Sandbox', 'Integration', 'Sandbox Integration', "
             "'integration@sandbox.crmsync.test', 1, '2024-01-01T00:00:00.000+0000', '2024-01-01T00:00:00.000+0000');"
             "INSERT OR IGNORE INTO sandbox_seq(prefix, next) VALUES('005', 2);"
             "INSERT OR IGNORE INTO sandbox_meta(key, value) VALUES('api_max', '100000'), ('token_epoch', '1'), ('created', '%s');",
             uid, now);
    return crm_sandbox_exec(db, sql);
}

sqlite3 *crm_sandbox_db_open(const char *path, char **err) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        if (err) {
            const char *m = db ? sqlite3_errmsg(db) : "out of memory";
            size_t need = strlen(path) + strlen(m) + 32;
            *err = malloc(need);
            if (*err) snprintf(*err, need, "cannot open %s: %s", path, m);
        }
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    if (crm_sandbox_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;") != 0 ||
        crm_sandbox_exec(db, "BEGIN IMMEDIATE") != 0 || create_schema(db) != 0 || crm_sandbox_exec(db, "COMMIT") != 0) {
        if (err) {
            const char *m = sqlite3_errmsg(db);
            size_t need = strlen(path) + strlen(m) + 48;
            *err = malloc(need);
            if (*err) snprintf(*err, need, "cannot set up the schema of %s: %s", path, m);
        }
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

const char *crm_sandbox_meta_get(sqlite3 *db, const char *key, char *buf, size_t cap) {
    sqlite3_stmt *st = NULL;
    const char *res = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM sandbox_meta WHERE key = ?1", -1, &st, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(st, 0));
        res = buf;
    }
    sqlite3_finalize(st);
    return res;
}

int crm_sandbox_meta_set(sqlite3 *db, const char *key, const char *value) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO sandbox_meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

long crm_sandbox_meta_long(sqlite3 *db, const char *key, long dflt) {
    char buf[64];
    return crm_sandbox_meta_get(db, key, buf, sizeof buf) ? strtol(buf, NULL, 10) : dflt;
}

long crm_sandbox_usage(sqlite3 *db, long now_s) {
    sqlite3_stmt *st = NULL;
    long n = 0;
    if (sqlite3_prepare_v2(db, "SELECT COALESCE(SUM(calls), 0) FROM sandbox_usage WHERE hour > ?1", -1, &st, NULL) != SQLITE_OK) return 0;
    sqlite3_bind_int64(st, 1, now_s / 3600 - 24);
    if (sqlite3_step(st) == SQLITE_ROW) n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

void crm_sandbox_count(sqlite3 *db, const char *kind, long by) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO sandbox_counts(kind, n) VALUES(?1, ?2) ON CONFLICT(kind) DO UPDATE SET n = n + ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, by);
    sqlite3_step(st);
    sqlite3_finalize(st);
}

void crm_sandbox_count_call(sqlite3 *db, long now_s, const char *kind) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO sandbox_usage(hour, calls) VALUES(?1, 1) ON CONFLICT(hour) DO UPDATE SET calls = calls + 1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, now_s / 3600);
        sqlite3_step(st);
        sqlite3_finalize(st);
    }
    crm_sandbox_count(db, "api_calls", 1);
    char k[80];
    snprintf(k, sizeof k, "api:%s", kind);
    crm_sandbox_count(db, k, 1);
}

/* --------------------------------------------------------------------- time */
void crm_sandbox_fmt_datetime(long long t, char out[32]) {
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    if (strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000+0000", &tm) == 0) snprintf(out, 32, "1970-01-01T00:00:00.000+0000");
}

static long long days_from_civil(long long y, unsigned m, unsigned d) {
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static int digits(const char *s, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool crm_sandbox_valid_date(const char *s) {
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    return y >= 1700 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

bool crm_sandbox_norm_datetime(const char *s, char out[32]) {
    /* YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|+HHMM] */
    if (strlen(s) < 19 || s[10] != 'T' || s[13] != ':' || s[16] != ':') return false;
    char date[11];
    memcpy(date, s, 10);
    date[10] = '\0';
    if (!crm_sandbox_valid_date(date)) return false;
    int hh = digits(s + 11, 2), mi = digits(s + 14, 2), ss = digits(s + 17, 2);
    if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 60) return false;
    const char *p = s + 19;
    int ms = 0;
    if (*p == '.') {
        p++;
        int nd = 0;
        while (isdigit((unsigned char)*p)) { if (nd < 3) ms = ms * 10 + (*p - '0'); nd++; p++; }
        if (nd == 0) return false;
        for (; nd < 3; nd++) ms *= 10;
    }
    long off = 0;
    if (*p == 'Z') p++;
    else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        p++;
        int oh = digits(p, 2);
        if (oh < 0) return false;
        p += 2;
        if (*p == ':') p++;
        int om = digits(p, 2);
        if (om < 0) return false;
        p += 2;
        off = sign * (oh * 3600L + om * 60L);
    } else if (*p != '\0') return false;
    if (*p != '\0') return false;
    long long t = days_from_civil(digits(s, 4), (unsigned)digits(s + 5, 2), (unsigned)digits(s + 8, 2)) * 86400LL + hh * 3600 +
                  mi * 60 + ss - off;
    char base[32];
    crm_sandbox_fmt_datetime(t, base);
    snprintf(out, 32, "%.19s.%03d+0000", base, ms);
    return true;
}

/* -------------------------------------------------------------------- errors */
void crm_sandbox_err_set(crm_sandbox_err *e, const char *code, const char *field, const char *fmt, ...) {
    snprintf(e->code, sizeof e->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    e->n_fields = 0;
    if (field) { snprintf(e->fields[0], sizeof e->fields[0], "%s", field); e->n_fields = 1; }
}

static cJSON *fields_json(const crm_sandbox_err *e) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < e->n_fields; i++) cJSON_AddItemToArray(a, cJSON_CreateString(e->fields[i]));
    return a;
}

cJSON *crm_sandbox_err_json(const crm_sandbox_err *e, bool with_fields) {
    cJSON *arr = cJSON_CreateArray();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "message", e->message);
    cJSON_AddStringToObject(o, "errorCode", e->code);
    if (with_fields && e->n_fields) cJSON_AddItemToObject(o, "fields", fields_json(e));
    cJSON_AddItemToArray(arr, o);
    return arr;
}

cJSON *crm_sandbox_err_item(const crm_sandbox_err *e) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "statusCode", e->code);
    cJSON_AddStringToObject(o, "message", e->message);
    cJSON_AddItemToObject(o, "fields", fields_json(e));
    return o;
}

/* ---------------------------------------------------------------------- PRNG */
uint64_t crm_sandbox_rng_next(crm_sandbox_rng *r) { /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double crm_sandbox_rng_unit(crm_sandbox_rng *r) { return (double)(crm_sandbox_rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

uint64_t crm_sandbox_rng_below(crm_sandbox_rng *r, uint64_t n) { return n ? crm_sandbox_rng_next(r) % n : 0; }

const char *crm_sandbox_status_str(crm_sandbox_status st) {
    switch (st) {
    case CRM_SANDBOX_OK: return "ok";
    case CRM_SANDBOX_E_USAGE: return "invalid option";
    case CRM_SANDBOX_E_DB: return "database error";
    case CRM_SANDBOX_E_LISTEN: return "cannot listen";
    case CRM_SANDBOX_E_FAULTS: return "invalid fault specification";
    case CRM_SANDBOX_E_NOMEM: return "out of memory";
    }
    return "unknown status";
}
