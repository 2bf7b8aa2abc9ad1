/* native/engine/crm_session.h: one sync session of one mailbox (issue 4, "Engine"):
 * read the changes since the cursor, decide each email with the rules core, write to
 * Salesforce by upsert, mark the items, then record the ledger AND advance the cursor in
 * one store transaction. The cursor only moves past what is durably done, and every
 * Salesforce write is keyed, so a crash at any point followed by a new session leaves
 * each eligible email saved exactly once. */
#ifndef CRM_SESSION_H
#define CRM_SESSION_H
#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include "sf/crm_sf.h"
#include "store/crm_store.h"

typedef struct crm_session_opts {
    int64_t now;             /* Unix seconds */
    size_t batch;            /* items read and decided together; 0: 500 */
    const char *lease_owner; /* NULL: no lease check */
    FILE *progress;          /* progress lines (a bar on a terminal); NULL: none */
    int max_attempts;        /* a failing item blocks the cursor this many sessions, then is given up; 0: 3 */
} crm_session_opts;

typedef struct crm_session_summary {
    long listed, decided, saved, skipped, failed, suggestions, given_up;
    long api_calls;
    cJSON *reasons;          /* {"no_match": 3, ...} for skips; owned, free with crm_session_summary_free */
    int complete;            /* 1 when everything listed was handled and the cursor is at the end */
} crm_session_summary;

/* Runs one session. Returns 0 when the session did its work (items may still have failed:
 * see summary and the issues log), -1 when it stopped early (err says why; also logged). */
int crm_session_run(crm_store *st, crm_sf *sf, int64_t mailbox_id, const crm_session_opts *opts,
                    crm_session_summary *sum, char *err, size_t errcap);
void crm_session_summary_free(crm_session_summary *sum);
/* The summary as JSON (for `crmsync sync --json`). New object. */
cJSON *crm_session_summary_json(const crm_session_summary *sum);
#endif
