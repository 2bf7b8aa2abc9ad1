/* native/sf/crm_sf.h: the Salesforce REST connector (libcurl). OAuth refresh (once on a
 * 401, then retry), queries with paging, batched lookups of the records the rules core
 * needs, upserts through sObject Collections keyed by an external id (so a retried write
 * never duplicates), retries with backoff and jitter on 5xx, timeouts and dropped
 * connections, and the org's API budget read from Sforce-Limit-Info.
 *
 * Secrets: the refresh and access tokens never appear in error messages or logs. TLS is
 * verified (libcurl's default); `ca_file` adds a CA bundle, it never turns checks off. */
#ifndef CRM_SF_H
#define CRM_SF_H
#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

typedef struct crm_sf crm_sf; /* opaque; one per thread */

typedef enum crm_sf_status { /* append-only */
    CRM_SF_OK = 0,
    CRM_SF_E_CONFIG,    /* a configuration value is missing or invalid */
    CRM_SF_E_AUTH,      /* the refresh token was refused, or a 401 persisted after refresh */
    CRM_SF_E_LIMIT,     /* 403 REQUEST_LIMIT_EXCEEDED: stop until the budget recovers */
    CRM_SF_E_NETWORK,   /* connection failed, timed out or dropped, after every retry */
    CRM_SF_E_SERVER,    /* 5xx after every retry */
    CRM_SF_E_REQUEST,   /* 4xx other than the above: the request is wrong (message says why) */
    CRM_SF_E_RESPONSE,  /* the answer was not the JSON expected */
    CRM_SF_E_NOMEM,
    CRM_SF_E_BUDGET,    /* automatic work paused: remaining API calls below the reserve */
} crm_sf_status;

typedef struct crm_sf_config {
    const char *login_url;      /* e.g. https://login.salesforce.com (token endpoint base) */
    const char *client_id;
    const char *client_secret;  /* may be "" when the connected app needs none */
    const char *refresh_token;
    const char *api_version;    /* "62.0"; NULL or "": the newest the org offers */
    const char *ca_file;        /* extra trusted CA bundle (PEM); NULL: system store */
    const char *alt_email_fields; /* comma-separated Contact/Lead fields holding alternate emails; NULL: none */
    long timeout_ms;            /* per HTTP request; 0: 30,000 */
    int max_attempts;           /* per request, retries included; 0: 5 */
    long backoff_ms;            /* first retry delay, doubled each time, +-50% jitter; 0: 200 */
    long api_reserve;           /* automatic work pauses when remaining calls < this */
    unsigned seed;              /* jitter seed (deterministic tests) */
} crm_sf_config;

/* Connects: refreshes a token and picks the API version. On failure *out is NULL and
 * *err (malloc'd, caller frees) says why. */
crm_sf_status crm_sf_open(const crm_sf_config *cfg, crm_sf **out, char **err);
void crm_sf_close(crm_sf *sf);
/* The last error of this handle; valid until the next call. Never NULL. */
const char *crm_sf_errmsg(const crm_sf *sf);
const char *crm_sf_status_str(crm_sf_status st);

/* Runs a SOQL query and follows nextRecordsUrl; *records gets a new array (caller
 * deletes) of every row. */
crm_sf_status crm_sf_query(crm_sf *sf, const char *soql, cJSON **records);

/* The core's `records` object (contacts, leads, accounts, opportunities) for the given
 * normalised addresses and registered domains: Contacts and unconverted Leads by email
 * (and alternate emails), their Accounts, Accounts whose website matches a domain, and the
 * open or recent Opportunities of those Accounts owned by `owner_id` (NULL: none). IN lists
 * are split so each URL stays under 8 KB. *records gets a new object (caller deletes). */
crm_sf_status crm_sf_lookup(crm_sf *sf, const char *const *addresses, size_t n_addresses,
                            const char *const *domains, size_t n_domains, const char *owner_id, cJSON **records);

/* Upserts `records` (an array of field objects, each holding `ext_field`) of one sObject
 * type through composite/sobjects in chunks of 200 (allOrNone false). *results gets a new
 * array, one {"id","success","created","errors"} per record in order. A record-level
 * failure is not a call failure: look at results. */
crm_sf_status crm_sf_upsert(crm_sf *sf, const char *sobject, const char *ext_field, const cJSON *records, cJSON **results);

/* Creates records (each with attributes.type) through composite/sobjects, 200 a call. */
crm_sf_status crm_sf_create(crm_sf *sf, const cJSON *records, cJSON **results);

/* Adds "<sobject>.<Field>": length for every string field of the object to `limits`
 * (the core's settings.field_limits). */
crm_sf_status crm_sf_field_limits(crm_sf *sf, const char *sobject, cJSON *limits);

/* Budget from the last Sforce-Limit-Info header (-1 when not seen yet). */
void crm_sf_usage(const crm_sf *sf, long *used, long *max);
/* True when automatic work should pause: max - used < api_reserve. */
bool crm_sf_budget_low(const crm_sf *sf);
/* API calls made through this handle (the versions call excluded, as Salesforce does). */
long crm_sf_calls(const crm_sf *sf);
const char *crm_sf_api_version(const crm_sf *sf);
/* The org's instance URL from the last token refresh (no trailing slash). */
const char *crm_sf_instance_url(const crm_sf *sf);
#endif
