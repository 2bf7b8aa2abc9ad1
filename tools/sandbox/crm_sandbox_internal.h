/* tools/sandbox/crm_sandbox_internal.h: what the sandbox's modules share: the object and
 * field metadata, Salesforce ids, the SQLite store, errors in Salesforce's shape, faults. */
#ifndef CRM_SANDBOX_INTERNAL_H
#define CRM_SANDBOX_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>

/* ------------------------------------------------------------------ metadata */
typedef enum crm_sandbox_ftype {
    CRM_SB_ID, CRM_SB_STRING, CRM_SB_EMAIL, CRM_SB_URL, CRM_SB_PHONE, CRM_SB_TEXTAREA,
    CRM_SB_PICKLIST, CRM_SB_COMBOBOX, CRM_SB_REFERENCE, CRM_SB_BOOLEAN, CRM_SB_DATE,
    CRM_SB_DATETIME, CRM_SB_INT, CRM_SB_DOUBLE,
} crm_sandbox_ftype;

enum {
    CRM_SB_CRE = 1,   /* createable */
    CRM_SB_UPD = 2,   /* updateable */
    CRM_SB_NIL = 4,   /* nillable */
    CRM_SB_DEF = 8,   /* defaulted on create */
    CRM_SB_EXT = 16,  /* external id */
    CRM_SB_UNQ = 32,  /* unique */
    CRM_SB_IDL = 64,  /* idLookup */
};

typedef struct crm_sandbox_field {
    const char *name;
    const char *label;
    crm_sandbox_ftype type;
    int length;            /* characters for text types; 0 for others (as describe says) */
    int flags;
    const char *refto;     /* reference: comma-separated object names */
    const char *defval;    /* default on create (text form) or NULL */
} crm_sandbox_field;

typedef struct crm_sandbox_object {
    const char *name;
    const char *label;
    const char *prefix;    /* 3-char key prefix */
    const crm_sandbox_field *fields;
    int n_fields;
} crm_sandbox_object;

extern const crm_sandbox_object crm_sandbox_objects[];
extern const int crm_sandbox_n_objects;

const crm_sandbox_object *crm_sandbox_object_find(const char *name);       /* case-insensitive */
const crm_sandbox_object *crm_sandbox_object_by_prefix(const char *id);
int crm_sandbox_field_index(const crm_sandbox_object *o, const char *name); /* -1: none */
bool crm_sandbox_ftype_is_text(crm_sandbox_ftype t);                       /* stored as TEXT, has a length */
const char *crm_sandbox_ftype_name(crm_sandbox_ftype t);

/* ----------------------------------------------------------------------- ids */
/* 15 -> 18 chars; false when `in` is not a 15- or 18-char id. */
bool crm_sandbox_id18(const char *in, char out[19]);
/* A new 18-char id "<prefix>Sb<10 base62>+checksum" from the counter of the prefix. */
int crm_sandbox_new_id(sqlite3 *db, const char *prefix, char out[19]);
void crm_sandbox_make_id(const char *prefix, uint64_t n, char out[19]);

/* ------------------------------------------------------------------- storage */
/* Opens (creating the schema when needed); NULL and *err on failure. */
sqlite3 *crm_sandbox_db_open(const char *path, char **err);
int crm_sandbox_exec(sqlite3 *db, const char *sql);
const char *crm_sandbox_meta_get(sqlite3 *db, const char *key, char *buf, size_t cap);
int crm_sandbox_meta_set(sqlite3 *db, const char *key, const char *value);
long crm_sandbox_meta_long(sqlite3 *db, const char *key, long dflt);
/* Rolling 24 h usage (hour buckets). */
long crm_sandbox_usage(sqlite3 *db, long now_s);
void crm_sandbox_count_call(sqlite3 *db, long now_s, const char *kind);
void crm_sandbox_count(sqlite3 *db, const char *kind, long by);
/* The integration user (OwnerId default, identity URL). */
void crm_sandbox_admin_user(char out[19]);
void crm_sandbox_org_id(char out[19]);

/* Time: "YYYY-MM-DDTHH:MM:SS.000+0000" for epoch seconds. */
void crm_sandbox_fmt_datetime(long long t, char out[32]);
/* Normalises an ISO 8601 date-time ("2025-03-03T10:00:00Z", "...+01:00", ".123+0000")
 * to the Salesforce UTC form; false when it does not parse. */
bool crm_sandbox_norm_datetime(const char *in, char out[32]);
bool crm_sandbox_valid_date(const char *in);

/* -------------------------------------------------------------------- errors */
typedef struct crm_sandbox_err {
    char code[48];
    char message[512];
    char fields[4][64];
    int n_fields;
} crm_sandbox_err;

void crm_sandbox_err_set(crm_sandbox_err *e, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* [{"message","errorCode","fields"?}] (single-record shape) */
cJSON *crm_sandbox_err_json(const crm_sandbox_err *e, bool with_fields);
/* {"statusCode","message","fields"} (collection shape) */
cJSON *crm_sandbox_err_item(const crm_sandbox_err *e);

/* ----------------------------------------------------------------------- DML */
typedef enum crm_sandbox_op { CRM_SB_CREATE, CRM_SB_UPDATE } crm_sandbox_op;

/* Validates `rec` (JSON fields; "attributes" ignored) for `op` on `o` and writes it.
 * For an update `id` names the row (18 chars). On success returns 0 and writes the id
 * into id_out; else fills *e (first problem found) and returns -1. `now` is epoch s. */
int crm_sandbox_save(sqlite3 *db, const crm_sandbox_object *o, crm_sandbox_op op, const char *id, const cJSON *rec,
                     long long now, char id_out[19], crm_sandbox_err *e);
/* Finds the row whose field `f` equals `value` (case-insensitive): 0 none, 1 one (id_out), 2 several. */
int crm_sandbox_find_by(sqlite3 *db, const crm_sandbox_object *o, const crm_sandbox_field *f, const char *value, char id_out[19]);
/* Row as JSON with "attributes" (all fields, or the comma list `fields`); NULL when absent. */
cJSON *crm_sandbox_read(sqlite3 *db, const crm_sandbox_object *o, const char *id, const char *fields, const char *version,
                        crm_sandbox_err *e);
int crm_sandbox_delete(sqlite3 *db, const crm_sandbox_object *o, const char *id);
bool crm_sandbox_was_deleted(sqlite3 *db, const char *id);
/* Value of column `i` of statement `st` for field `f` as JSON (null, bool, number, string). */
cJSON *crm_sandbox_value_json(sqlite3_stmt *st, int i, const crm_sandbox_field *f);

/* -------------------------------------------------------------------- faults */
typedef enum crm_sandbox_fault_kind {
    CRM_SB_FAULT_NONE = 0, CRM_SB_FAULT_EXPIRED, CRM_SB_FAULT_LIMIT, CRM_SB_FAULT_ERROR,
    CRM_SB_FAULT_SLOW, CRM_SB_FAULT_DROP, CRM_SB_FAULT_LOCK,
} crm_sandbox_fault_kind;

typedef struct crm_sandbox_faults crm_sandbox_faults; /* opaque */

crm_sandbox_faults *crm_sandbox_faults_new(void);
void crm_sandbox_faults_free(crm_sandbox_faults *f);
/* Replaces the rules with those of `spec` ("" clears); -1 and *err on a syntax error. */
int crm_sandbox_faults_set(crm_sandbox_faults *f, const char *spec, char *err, size_t cap);
/* Decides the faults for the next API call: returns a bit set of (1 << kind); *delay_ms
 * gets the slow delay. Counts calls; deterministic for the seed. */
unsigned crm_sandbox_faults_next(crm_sandbox_faults *f, long *delay_ms);
/* {"spec","seed","calls","rules":[...],"injected":{...}} */
cJSON *crm_sandbox_faults_json(const crm_sandbox_faults *f);
const char *crm_sandbox_fault_name(crm_sandbox_fault_kind k);

/* --------------------------------------------------------------------- stats */
/* {"api_usage":{used,max,remaining},"api_calls_total","calls_by_kind","faults_injected",
 *  "token_requests","records":{Object:n},"data_sha256"?} */
cJSON *crm_sandbox_stats_json(sqlite3 *db, bool with_hash);

/* ---------------------------------------------------------------------- PRNG */
typedef struct crm_sandbox_rng { uint64_t s; } crm_sandbox_rng;
uint64_t crm_sandbox_rng_next(crm_sandbox_rng *r);
double crm_sandbox_rng_unit(crm_sandbox_rng *r);           /* [0,1) */
uint64_t crm_sandbox_rng_below(crm_sandbox_rng *r, uint64_t n); /* [0,n) */
#endif
