/* tools/sandbox/crm_sandbox.h: the sandbox org, a local server that speaks the subset of
 * the Salesforce REST API crmsync uses (OAuth refresh, query with paging, sObject
 * create/read/update/delete/upsert, composite/sobjects, describe, limits), with a SQLite
 * file as its data, a persisted API call counter and switchable faults. See docs/sandbox.md.
 *
 * Nothing here is used by the connector: it talks to the sandbox as to any org. */
#ifndef CRM_SANDBOX_H
#define CRM_SANDBOX_H
#include <stdbool.h>

typedef enum crm_sandbox_status { /* append-only */
    CRM_SANDBOX_OK = 0,
    CRM_SANDBOX_E_USAGE,   /* an option is missing or invalid */
    CRM_SANDBOX_E_DB,      /* the SQLite file cannot be opened, created or written */
    CRM_SANDBOX_E_LISTEN,  /* the HTTP server cannot start (port in use, ...) */
    CRM_SANDBOX_E_FAULTS,  /* the fault specification does not parse */
    CRM_SANDBOX_E_NOMEM,
} crm_sandbox_status;

const char *crm_sandbox_status_str(crm_sandbox_status st);

typedef struct crm_sandbox_serve_opts {
    const char *db_path;       /* SQLite file; created (with its schema) when missing */
    unsigned port;             /* 0: any free port */
    const char *bind_addr;     /* NULL: 127.0.0.1 (loopback only) */
    const char *faults;        /* fault spec (docs/sandbox.md); NULL: none */
    const char *port_file;     /* when set, the bound port is written there once listening */
    long api_max;              /* DailyApiRequests Max; 0: keep the db's value (default 100000) */
    int page_size;             /* query rows per page; 0: 2000 */
    long token_ttl_s;          /* access-token lifetime; 0: never expires by age */
    bool verbose;              /* one log line per request on stderr (never tokens) */
} crm_sandbox_serve_opts;

/* Runs the server until SIGINT or SIGTERM. *err (malloc'd) says why on failure. */
crm_sandbox_status crm_sandbox_serve(const crm_sandbox_serve_opts *opts, char **err);

/* Replaces the data of `db_path` by a realistic org of `size` contacts, deterministic for
 * `seed` (same seed and size: same data, same hash). API counters are kept. */
crm_sandbox_status crm_sandbox_seed(const char *db_path, long size, unsigned long seed, char **err);

/* Prints the API call counters, the budget, the record counts and the data hash as JSON. */
crm_sandbox_status crm_sandbox_stats(const char *db_path, char **err);

/* The OAuth client credentials the sandbox accepts (also printed by `serve`). */
#define CRM_SANDBOX_CLIENT_ID "crmsync-sandbox"
#define CRM_SANDBOX_REFRESH_TOKEN "sandbox-refresh-token"
#endif
