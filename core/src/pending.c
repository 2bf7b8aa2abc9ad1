/* pending.c: operations not implemented yet answer E_UNKNOWN_OP. Removed as each lands. */
#include "ops.h"
#define PENDING(name) crm_status crm_op_##name(crm_ctx *ctx, const crm_request *rq, cJSON *r) { \
    (void)r; crm_path p = CRM_PATH_KEY(NULL, "op"); \
    return crm_fail(ctx, CRM_E_UNKNOWN_OP, &p, "operation '%s' is not implemented yet", rq->op); }
PENDING(decide_event)
PENDING(downsync_filter)
PENDING(decide_delete)
PENDING(merge_settings)
PENDING(validate_settings)
