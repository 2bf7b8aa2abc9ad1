/* native/store/crm_store.h: crmsyncd's durable state (docs/store.md).
 *
 * One SQLite file: orgs, users and their mailboxes, org defaults and locks, user settings,
 * blocklists, cursors, the ledger of saved keys, flagged threads and an issues log per
 * mailbox. Versioned migrations run on open. The API is backend-neutral (no SQLite type
 * leaks out) so a PostgreSQL backend can implement the same header (docs/store.md).
 *
 * Conventions:
 *  - One handle per thread (or process). Every function returns a crm_store_status; the
 *    detail is crm_store_errmsg(). Messages never contain secrets (the refresh token is
 *    only ever returned by crm_store_org_refresh_token()).
 *  - Times are Unix seconds (int64_t) passed in by the caller, so tests control the clock.
 *  - JSON inputs are text (validated, stored compact); JSON outputs are new cJSON values
 *    the caller deletes with cJSON_Delete().
 *  - Ids are int64_t > 0.
 *
 * Exactly-once contract: crm_store_commit_batch() records ledger entries AND advances a
 * folder's cursor in ONE transaction. Either both are durable or neither is. */
#ifndef CRM_STORE_H
#define CRM_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#if defined(__GNUC__) || defined(__clang__)
#define CRM_STORE_MUST_CHECK __attribute__((warn_unused_result))
#else
#define CRM_STORE_MUST_CHECK
#endif

typedef struct crm_store crm_store; /* opaque */

typedef enum crm_store_status { /* append-only: never renumber */
    CRM_STORE_OK = 0,
    CRM_STORE_E_IO,            /* the file cannot be opened, read or written */
    CRM_STORE_E_BUSY,          /* another process held the database past the busy timeout */
    CRM_STORE_E_SCHEMA_NEWER,  /* the file was written by a newer crmsync: refused */
    CRM_STORE_E_MIGRATION,     /* a migration failed (rolled back; the file is unchanged) */
    CRM_STORE_E_NOT_FOUND,     /* no such org, user, mailbox, issue... */
    CRM_STORE_E_CONSTRAINT,    /* a uniqueness / reference / check rule was violated */
    CRM_STORE_E_INVALID,       /* a bad argument (NULL, empty, JSON of the wrong shape) */
    CRM_STORE_E_LEASE_LOST,    /* the mailbox's lease belongs to another worker now */
    CRM_STORE_E_LOCKED,        /* a locked org blocklist entry removed without admin rights */
    CRM_STORE_E_CORRUPT,       /* the file is not a database or is damaged */
    CRM_STORE_E_NOMEM,
    CRM_STORE_E_INTERNAL,
} crm_store_status;

/* The newest schema this build knows. */
#define CRM_STORE_SCHEMA_LATEST 3

typedef struct crm_store_options {
    int target_version;   /* migrate up to this version; 0: CRM_STORE_SCHEMA_LATEST (tests use 1) */
    int busy_timeout_ms;  /* 0: 5000 */
    bool must_exist;      /* do not create a missing file (E_IO instead) */
} crm_store_options;

/* Opens (creating unless opts->must_exist) and migrates. *out always receives a handle
 * unless memory ran out (then NULL and E_NOMEM): on failure read crm_store_errmsg(*out)
 * and crm_store_close(*out). opts may be NULL. */
CRM_STORE_MUST_CHECK crm_store_status crm_store_open(const char *path, const crm_store_options *opts, crm_store **out);
void crm_store_close(crm_store *s);
/* The detail of the last failure of this handle; "" after success. Never NULL. */
const char *crm_store_errmsg(const crm_store *s);
const char *crm_store_status_str(crm_store_status st);
CRM_STORE_MUST_CHECK crm_store_status crm_store_schema_version(crm_store *s, int *version);

/* ---- orgs, users, mailboxes ---- */
typedef struct crm_store_org {
    const char *name;             /* unique, non-empty */
    const char *instance_url;     /* NULL: "" */
    const char *api_version;      /* NULL: "" (the newest the org offers) */
    long api_reserve;             /* automatic work pauses below this many API calls */
    const char *credentials_ref;  /* where the secret lives, e.g. "store", "env:SF_TOKEN" */
    const char *sf_org_id;        /* Salesforce 00D... id: settings.org_id; NULL: "" */
} crm_store_org;
CRM_STORE_MUST_CHECK crm_store_status crm_store_org_add(crm_store *s, const crm_store_org *org, int64_t *id);
CRM_STORE_MUST_CHECK crm_store_status crm_store_org_find(crm_store *s, const char *name, int64_t *id);
/* {"id","name","instance_url","api_version","api_reserve","credentials_ref","sf_org_id",
 *  "has_refresh_token"}: never the token itself. */
CRM_STORE_MUST_CHECK crm_store_status crm_store_org_get(crm_store *s, int64_t id, cJSON **out);
/* The refresh token is a secret: stored in the file (protect it with file permissions),
 * never printed, never in messages. NULL or "" clears it. */
CRM_STORE_MUST_CHECK crm_store_status crm_store_org_set_refresh_token(crm_store *s, int64_t org_id, const char *token);
/* *token: malloc'd copy (caller wipes and frees), or NULL when none is stored. */
CRM_STORE_MUST_CHECK crm_store_status crm_store_org_refresh_token(crm_store *s, int64_t org_id, char **token);

typedef struct crm_store_user {
    int64_t org_id;
    const char *email;            /* the user's mailbox address; unique per org */
    const char *sf_user_id;       /* Salesforce 005... id; NULL: "" */
    const char *salesforce_email; /* NULL: "" */
    const char *aliases_json;     /* JSON array of strings; NULL: [] */
} crm_store_user;
CRM_STORE_MUST_CHECK crm_store_status crm_store_user_add(crm_store *s, const crm_store_user *u, int64_t *id);
/* The user of an org with that email; E_NOT_FOUND when none. */
CRM_STORE_MUST_CHECK crm_store_status crm_store_user_find(crm_store *s, int64_t org_id, const char *email, int64_t *id);
/* {"id","org_id","email","sf_user_id","salesforce_email","aliases"} */
CRM_STORE_MUST_CHECK crm_store_status crm_store_user_get(crm_store *s, int64_t id, cJSON **out);

typedef struct crm_store_mailbox {
    int64_t user_id;
    const char *name;         /* unique, non-empty: what `crmsync issues --mailbox` takes */
    const char *kind;         /* "maildir" | "imap" | "graph" */
    const char *config_json;  /* JSON object (connector settings; secrets by reference); NULL: {} */
    int64_t next_run_at;      /* first due time; 0: due now */
} crm_store_mailbox;
CRM_STORE_MUST_CHECK crm_store_status crm_store_mailbox_add(crm_store *s, const crm_store_mailbox *m, int64_t *id);
CRM_STORE_MUST_CHECK crm_store_status crm_store_mailbox_find(crm_store *s, const char *name, int64_t *id);
/* {"id","user_id","org_id","name","kind","config","next_run_at","lease_owner"(null when
 *  none),"lease_until","last_result"} */
CRM_STORE_MUST_CHECK crm_store_status crm_store_mailbox_get(crm_store *s, int64_t id, cJSON **out);
CRM_STORE_MUST_CHECK crm_store_status crm_store_mailbox_set_next_run(crm_store *s, int64_t id, int64_t at);

/* ---- scheduling: leases ----
 * Claims up to `max` mailboxes due at `now` (next_run_at <= now) whose lease is free or
 * expired, atomically: two workers never receive the same mailbox while its lease runs.
 * ids[0..*n) get the claimed ids, most overdue first. */
CRM_STORE_MUST_CHECK crm_store_status crm_store_claim_due(crm_store *s, const char *owner, int64_t now, int64_t lease_seconds,
                                                          size_t max, int64_t *ids, size_t *n);
/* Extends a held lease to now + lease_seconds. E_LEASE_LOST when `owner` no longer holds it
 * (expired and claimed by another worker, or released). */
CRM_STORE_MUST_CHECK crm_store_status crm_store_lease_renew(crm_store *s, int64_t mailbox_id, const char *owner, int64_t now,
                                                            int64_t lease_seconds);
/* Frees the lease and schedules the next run; last_result is a short summary (no secrets). */
CRM_STORE_MUST_CHECK crm_store_status crm_store_lease_release(crm_store *s, int64_t mailbox_id, const char *owner,
                                                              int64_t next_run_at, const char *last_result);

/* ---- settings and blocklists ---- */
/* defaults: JSON object (partial settings); locks: JSON array of dotted paths. NULL keeps
 * the stored value. */
CRM_STORE_MUST_CHECK crm_store_status crm_store_org_settings_set(crm_store *s, int64_t org_id, const char *defaults_json,
                                                                 const char *locks_json);
CRM_STORE_MUST_CHECK crm_store_status crm_store_user_settings_set(crm_store *s, int64_t user_id, const char *settings_json);
/* user_id 0: the org list (with its `locked` flag); otherwise that user's list (locked is
 * ignored). Adding an entry already there updates its locked flag. Entries are stored as
 * given (trimmed); the engine normalises them with the core's parse_blocklist first. */
CRM_STORE_MUST_CHECK crm_store_status crm_store_blocklist_add(crm_store *s, int64_t org_id, int64_t user_id, const char *entry,
                                                              bool locked);
/* Removing a locked org entry needs as_admin (else E_LOCKED). E_NOT_FOUND when absent. */
CRM_STORE_MUST_CHECK crm_store_status crm_store_blocklist_remove(crm_store *s, int64_t org_id, int64_t user_id,
                                                                 const char *entry, bool as_admin);
/* The raw parts for the core's merge_settings, plus what the store owns:
 * {"org": {"defaults": {...}, "locks": [...]}, "user": {...},
 *  "blocklist": {"org": [...], "org_locked": [...], "user": [...]},
 *  "identity": {"org_id": "00D...", "user": {"id","mailbox","aliases","salesforce_email"}}} */
CRM_STORE_MUST_CHECK crm_store_status crm_store_settings_parts(crm_store *s, int64_t mailbox_id, cJSON **out);
/* The core's `settings` for a mailbox: org defaults, then user values at paths the org has
 * not locked (objects merged key by key), then the store-owned keys `org_id`, `user` and
 * `blocklist` (always from the tables). Keys left out take the core's built-in defaults. */
CRM_STORE_MUST_CHECK crm_store_status crm_store_settings(crm_store *s, int64_t mailbox_id, cJSON **out);

/* ---- cursors and the ledger ---- */
/* *cursor: malloc'd (caller frees), NULL when the folder has none yet. */
CRM_STORE_MUST_CHECK crm_store_status crm_store_cursor_get(crm_store *s, int64_t mailbox_id, const char *folder, char **cursor);
/* Moves a cursor with no ledger change (a stretch with nothing to save). */
CRM_STORE_MUST_CHECK crm_store_status crm_store_cursor_set(crm_store *s, int64_t mailbox_id, const char *folder,
                                                           const char *cursor, int64_t now);

typedef struct crm_store_ledger_entry {
    const char *key;              /* the item key (K2), unique per org, non-empty */
    const char *message_id;       /* NULL: "" */
    const char *date;             /* the email's date, RFC 3339; NULL: "" */
    const char *record_ids_json;  /* JSON array of the saved records' ids; NULL: [] */
} crm_store_ledger_entry;

typedef enum crm_store_dup {
    CRM_STORE_DUP_FAIL = 0,  /* a key already in the ledger fails the whole batch (E_CONSTRAINT) */
    CRM_STORE_DUP_KEEP,      /* a key already in the ledger keeps its first entry; others go in */
} crm_store_dup;

/* ONE transaction: checks that `lease_owner` (NULL: no check) still holds the mailbox,
 * inserts entries[0..n) into the ledger of the mailbox's org, and, when folder is not NULL,
 * sets that folder's cursor. On any failure nothing changes. *inserted (may be NULL) gets
 * the number of new ledger rows. */
CRM_STORE_MUST_CHECK crm_store_status crm_store_commit_batch(crm_store *s, int64_t mailbox_id, const char *lease_owner,
                                                             const crm_store_ledger_entry *entries, size_t n,
                                                             crm_store_dup dup, const char *folder, const char *cursor,
                                                             int64_t now, size_t *inserted);
/* known[i] = whether keys[i] is in the ledger of the mailbox's org (one query for all). */
CRM_STORE_MUST_CHECK crm_store_status crm_store_ledger_known(crm_store *s, int64_t mailbox_id, const char *const *keys, size_t n,
                                                             bool *known);
CRM_STORE_MUST_CHECK crm_store_status crm_store_ledger_count(crm_store *s, int64_t mailbox_id, int64_t *count);

/* ---- flagged threads ---- */
/* Flags (or re-flags) a conversation of a mailbox for thread autosave. who_json: JSON array
 * of record ids (NULL: []); what: a record id or NULL. */
CRM_STORE_MUST_CHECK crm_store_status crm_store_thread_flag(crm_store *s, int64_t mailbox_id, const char *conversation_id,
                                                            const char *flagged_at, const char *who_json, const char *what);

/* The core's `context` for a batch of a mailbox's items: `saved` holds the org's ledger
 * entries whose key is in keys[] or whose message_id is in message_ids[] (replies and
 * references), `threads` the mailbox's flagged threads among conversation_ids[].
 * {"now": now_rfc3339, "saved": [...], "threads": [...], "view_ids": []} */
CRM_STORE_MUST_CHECK crm_store_status crm_store_context(crm_store *s, int64_t mailbox_id, const char *now_rfc3339,
                                                        const char *const *keys, size_t n_keys,
                                                        const char *const *message_ids, size_t n_message_ids,
                                                        const char *const *conversation_ids, size_t n_conversations,
                                                        cJSON **out);

/* ---- the issues log ---- */
typedef struct crm_store_issue {
    int64_t mailbox_id;
    int64_t at;             /* when it happened */
    const char *kind;       /* what failed: "read", "decide", "write", "mark", "session", ... */
    const char *item_key;   /* the item's key; NULL/"" for a session-level issue */
    const char *item_ref;   /* a human reference: Message-ID, subject, folder/uid; NULL: "" */
    const char *code;       /* machine code: E_..., REQUEST_LIMIT_EXCEEDED, ... */
    const char *message;    /* why, for a person */
} crm_store_issue;
/* Logs an issue. An open (unresolved) issue of the same mailbox, kind, item_key and code
 * is updated instead (at, message) and its retried count goes up by one; *id gets the
 * issue's id. The org's refresh token, should a connector ever echo it, is replaced by
 * "[redacted]" before anything is stored. */
CRM_STORE_MUST_CHECK crm_store_status crm_store_issue_add(crm_store *s, const crm_store_issue *is, int64_t *id);
CRM_STORE_MUST_CHECK crm_store_status crm_store_issue_resolve(crm_store *s, int64_t issue_id);
/* How many times the issue was logged again after the first (the engine gives an item up
 * after a number of attempts). */
CRM_STORE_MUST_CHECK crm_store_status crm_store_issue_retried(crm_store *s, int64_t issue_id, long *retried);
/* Newest first; mailbox_id 0: every mailbox; limit 0: no limit.
 * [{"id","mailbox_id","mailbox","at","kind","item_key","item_ref","code","message",
 *   "retried","resolved"}] ("at" as Unix seconds). */
CRM_STORE_MUST_CHECK crm_store_status crm_store_issues_list(crm_store *s, int64_t mailbox_id, size_t limit, cJSON **out);
#endif
