/* status.c: names and descriptions of the error codes (crm/status.h). */
#include "internal.h"

static const char *const codes[CRM_STATUS_COUNT_] = {
    "OK", "E_JSON", "E_TOO_LARGE", "E_UNKNOWN_OP", "E_UNKNOWN_FIELD", "E_MISSING", "E_TYPE",
    "E_RANGE", "E_BAD_ADDRESS", "E_BAD_DATE", "E_WILDCARD", "E_BAD_ENTRY", "E_NOT_ALLOWED",
    "E_LOCKED", "E_UNKNOWN_SETTING", "E_UNKNOWN_RECORD", "E_LEAD_EXCLUSIVE",
    "E_TOO_MANY_LINKS", "E_SERVICE_ITEM", "E_RECURRING_ALL_DAY", "E_TOO_LONG", "E_NOMEM",
};

static const char *const texts[CRM_STATUS_COUNT_] = {
    "success",
    "the request is not JSON, or nests deeper than 64 levels",
    "the request is over 16 MiB, or a string in it is over 4 MiB",
    "unknown operation",
    "unknown field",
    "a required field is missing",
    "a field has the wrong type",
    "a value is out of its allowed range",
    "an address is not valid",
    "a date or time is not valid",
    "wildcards are not supported",
    "a blocklist entry cannot be parsed",
    "not allowed",
    "the setting is locked by the organisation",
    "unknown setting",
    "the record is not among the records given",
    "a Lead cannot be combined with other records on a Task",
    "too many records linked",
    "service items (receipts, reports, auto-replies, meeting responses) are never saved",
    "recurring all-day series cannot be saved",
    "the item is too long to be saved",
    "out of memory",
};

const char *crm_status_code(crm_status s) {
    return ((unsigned)s < CRM_STATUS_COUNT_) ? codes[s] : "E_UNKNOWN";
}

const char *crm_status_str(crm_status s) {
    return ((unsigned)s < CRM_STATUS_COUNT_) ? texts[s] : "unknown status";
}
