/* crm/status.h: error codes of the core. Append-only: never renumber or reuse a value;
 * a retired code becomes CRM_E_OBSOLETE_n. The string form ("E_JSON") is what the JSON
 * boundary reports (spec/core-api.md). */
#ifndef CRM_STATUS_H
#define CRM_STATUS_H
#include "crm/export.h"

typedef enum crm_status {
    CRM_OK = 0,
    CRM_E_JSON,
    CRM_E_TOO_LARGE,
    CRM_E_UNKNOWN_OP,
    CRM_E_UNKNOWN_FIELD,
    CRM_E_MISSING,
    CRM_E_TYPE,
    CRM_E_RANGE,
    CRM_E_BAD_ADDRESS,
    CRM_E_BAD_DATE,
    CRM_E_WILDCARD,
    CRM_E_BAD_ENTRY,
    CRM_E_NOT_ALLOWED,
    CRM_E_LOCKED,
    CRM_E_UNKNOWN_SETTING,
    CRM_E_UNKNOWN_RECORD,
    CRM_E_LEAD_EXCLUSIVE,
    CRM_E_TOO_MANY_LINKS,
    CRM_E_SERVICE_ITEM,
    CRM_E_RECURRING_ALL_DAY,
    CRM_E_TOO_LONG,
    CRM_E_NOMEM,
    CRM_STATUS_COUNT_ /* not a code: the number of codes */
} crm_status;

/* The boundary name of a code ("E_JSON"; "OK" for CRM_OK). Static; never NULL. */
CRM_API const char *crm_status_code(crm_status s);
/* A one-line English description of a code. Static; never NULL. */
CRM_API const char *crm_status_str(crm_status s);
#endif
