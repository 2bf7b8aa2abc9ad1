/* decide.h: the decision for one item, as built by decide_email / plan_save (and
 * decide_event), and its JSON form (core-api.md "A decision"). */
#ifndef CRM_DECIDE_H
#define CRM_DECIDE_H
#include "model.h"

typedef struct crm_decision {
    const char *type;     /* "email" | "event" */
    const char *action;   /* save | skip | delete | error */
    const char *reason;
    const char *trigger;  /* NULL when none was reached */
    const char *key;
    const char **who; size_t n_who;
    const char *what;
    crm_people pp;
    crm_suggestions sg;
    cJSON *writes;        /* array, owned until the decision is printed */
    bool has_thread;
    const char *thread_conv, *thread_what;
    const char **thread_who; size_t n_thread_who;
    const crm_attachment **skipped; size_t n_skipped;
    const char *const *record_ids; size_t n_record_ids; /* already_saved */
    int64_t now_t; bool has_now;
} crm_decision;

typedef struct crm_selection {
    const char **who; size_t n_who;
    const char *what;
    bool thread;
    const char **attachments; size_t n_attachments;
} crm_selection;

crm_status crm_shape_email(crm_ctx *ctx, const crm_settings *s, const crm_item *it, crm_decision *d, cJSON *writes);
/* Adds the decision's fields to `result` in the documented order. */
void crm_decision_json(crm_ctx *ctx, const crm_decision *d, cJSON *result);
const char *crm_company_from_domain(crm_ctx *ctx, const crm_addr *a);
/* Salesforce links at most this many people to one Task or Event (S2). */
#define CRM_MAX_LINKED_PEOPLE 50

/* Shared by decide_email and decide_event (decide.c). */
bool crm_has_category(const crm_item *it, const char *cat);       /* case-insensitive */
bool crm_push_id(crm_ctx *ctx, const char ***v, size_t *n, const char *id); /* appends unless present; at most CRM_MAX_LINKED_PEOPLE */
const crm_saved *crm_find_saved(const crm_context *c, const char *key);
/* M5: the freshest Opportunity owned by the user on the Account of a resolved Contact. */
const crm_opp *crm_pick_opportunity(const crm_settings *s, const crm_records *r, const crm_decision *d);
#endif
