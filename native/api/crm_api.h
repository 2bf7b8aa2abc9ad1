/* native/api/crm_api.h: crmsyncd's HTTP API for the sidebar (Outlook add-in, Chrome
 * extension, dev host page); docs/api.md is the contract.
 *
 * JSON over HTTP (libmicrohttpd), versioned under /api/v1, the core's error envelope,
 * per-user bearer tokens plus an admin token, CORS for configured origins only, request
 * bodies limited to 1 MiB, and static files (the sidebar, the WASM core) for same-origin
 * hosting. Every decision is re-made by the native rules core; settings, blocklists and
 * the ledger come from the store at each request (no caching), CRM records from Salesforce
 * (cached per org for 60 s).
 *
 * Secrets (tokens, the refresh token, the client secret) are never logged or echoed. */
#ifndef CRM_API_H
#define CRM_API_H
#include <stdbool.h>
#include <stdio.h>
#include <cjson/cJSON.h>

typedef struct crm_api crm_api; /* opaque: one server */

typedef enum crm_api_status { /* append-only */
    CRM_API_OK = 0,
    CRM_API_E_CONFIG,  /* the configuration file is missing, not JSON, or a value is wrong */
    CRM_API_E_STORE,   /* the store could not be opened or bootstrapped */
    CRM_API_E_LISTEN,  /* the port could not be bound */
    CRM_API_E_NOMEM,
} crm_api_status;

const char *crm_api_status_str(crm_api_status st);

/* Reads a JSON configuration file (the `crmsync sync/serve` format plus "api" and per-user
 * "api_token"; docs/api.md). *out: new object (caller deletes). On failure *err gets a
 * malloc'd message (caller frees). */
crm_api_status crm_api_config_load(const char *path, cJSON **out, char **err);

/* Creates or finds the org, users and mailboxes of `config` in the store (by name), sets
 * the org's defaults, locks and blocklist; a user's settings and blocklist are seeded only
 * when the user is created (afterwards the store is the truth: sidebar changes survive a
 * restart). Used by `crmsync api`; the same rules as cmd_sync.c's bootstrap. */
struct crm_store;
crm_api_status crm_api_bootstrap(struct crm_store *st, const cJSON *config, char **err);

typedef struct crm_api_opts {
    int port;             /* -1: the config's api.port (0 there: any free port) */
    FILE *log;            /* one line per request (method, path, status, ms); NULL: none */
} crm_api_opts;

/* Opens the store, bootstraps it, and starts serving in background threads. `config` is
 * copied. On failure *out is NULL and *err (malloc'd) says why. */
crm_api_status crm_api_start(const cJSON *config, const crm_api_opts *opts, crm_api **out, char **err);
/* The port actually bound. */
unsigned crm_api_port(const crm_api *api);
/* Stops serving (waits for requests in progress) and frees everything. */
void crm_api_stop(crm_api *api);
#endif
