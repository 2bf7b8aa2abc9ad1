/* ops.h: the operations behind crm_eval, one function each (core-api.md). Each reads
 * the request, adds its fields to `result` in the documented order, and returns CRM_OK or
 * the error recorded with crm_fail. */
#ifndef CRM_OPS_H
#define CRM_OPS_H
#include "internal.h"

typedef struct crm_request {
    const char *op;
    const cJSON *root; /* the whole request object */
} crm_request;

crm_status crm_op_version(crm_ctx *, const crm_request *, cJSON *);
crm_status crm_op_normalize_address(crm_ctx *, const crm_request *, cJSON *);
crm_status crm_op_parse_blocklist(crm_ctx *, const crm_request *, cJSON *);
crm_status crm_op_classify(crm_ctx *, const crm_request *, cJSON *);
crm_status crm_op_decide_email(crm_ctx *, const crm_request *, cJSON *);
crm_status crm_op_plan_save(crm_ctx *, const crm_request *, cJSON *);
crm_status crm_op_suggest(crm_ctx *, const crm_request *, cJSON *);
crm_status crm_op_do_not_sync(crm_ctx *, const crm_request *, cJSON *);
crm_status crm_op_decide_event(crm_ctx *, const crm_request *, cJSON *);
crm_status crm_op_downsync_filter(crm_ctx *, const crm_request *, cJSON *);
crm_status crm_op_decide_delete(crm_ctx *, const crm_request *, cJSON *);
crm_status crm_op_merge_settings(crm_ctx *, const crm_request *, cJSON *);
crm_status crm_op_validate_settings(crm_ctx *, const crm_request *, cJSON *);
crm_status crm_op_item_key(crm_ctx *, const crm_request *, cJSON *);
#endif
