/* native/engine/crm_engine.h: one sync session's work between a mailbox and Salesforce,
 * independent of where items and the ledger come from:
 *   1. the unique addresses of a batch of items (normalised by the core);
 *   2. the CRM records for them, loaded in a few batched queries (crm_sf_lookup);
 *   3. a decision per item from the rules core (decide_email), each given only the
 *      records of its own participants;
 *   4. the writes of every saved item, upserted by external id (CrmSync_Key__c) in
 *      collections of 200: records to create first (Accounts, then Contacts and Leads),
 *      then the Tasks/EmailMessages with `ext:` references replaced by ids, then the
 *      relations for the extra People, created only where missing. Every write is an
 *      upsert or a check-then-create, so a retried session never duplicates anything. */
#ifndef CRM_ENGINE_H
#define CRM_ENGINE_H
#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "sf/crm_sf.h"

#define CRM_KEY_FIELD "CrmSync_Key__c"

typedef struct crm_engine crm_engine; /* opaque: a core context and scratch */

crm_engine *crm_engine_new(void);
void crm_engine_free(crm_engine *e);

/* Evaluates one core request; returns the parsed response (caller deletes), or NULL when
 * out of memory. */
cJSON *crm_engine_eval(crm_engine *e, const cJSON *request);

/* The normalised addresses (and, when `with_domains`, the registered non-free-mail
 * domains) of the participants of `items`, de-duplicated; self, internal and blocklisted
 * ones are left out when the effective `settings` make them so. Arrays of strings. */
bool crm_engine_addresses(crm_engine *e, const cJSON *settings, const cJSON *items, bool with_domains, cJSON **addresses, cJSON **domains);

/* The part of `records` (core shape) about `item`: the Contacts and Leads with one of its
 * addresses, their Accounts, Accounts sharing a registered domain, and the Opportunities
 * of those Accounts. New object; caller deletes. */
cJSON *crm_engine_records_for(crm_engine *e, const cJSON *records, const cJSON *item);

/* One decision: builds the decide_email request and evaluates it. Returns the response. */
cJSON *crm_engine_decide(crm_engine *e, const cJSON *settings, const cJSON *records, const cJSON *item, const cJSON *context);

/* The outcome of writing one saved decision. */
typedef struct crm_write_result {
    bool ok;
    cJSON *record_ids;  /* array of the main records' ids, one per part (owned by the batch) */
    char error[300];    /* why it failed, when !ok */
} crm_write_result;

/* Writes every decision in `decisions` (responses of crm_engine_decide whose action is
 * save); results[i] is filled for decisions[i]. A Salesforce failure of the whole call
 * returns its status (nothing may be assumed written; everything may be retried). */
crm_sf_status crm_engine_write(crm_engine *e, crm_sf *sf, cJSON *const *decisions, size_t n, crm_write_result *results);
void crm_write_results_free(crm_write_result *r, size_t n);
#endif
