/* downsync.c: which Salesforce records are copied to the mailbox (rules D1-D4) and what a
 * deletion on either side does (D5, D6), for the operations downsync_filter and
 * decide_delete. Decisions where the spec is silent: docs/rules-decisions-v2.md. */
#include <string.h>
#include "ops.h"
#include "model.h"

enum { KIND_TASK_REC, KIND_EVENT_REC, KIND_CONTACT_REC };
static const char *const kind_names[] = {"task", "event", "contact", NULL};
static const char *const origin_names[] = {"mailbox", "salesforce", NULL};
static const char *const task_status_names[] = {"open", "completed", NULL};

/* A required enum field at the top level of the request. */
static crm_status top_enum(crm_ctx *ctx, const crm_request *rq, const char *key, const char *const *names, int *out) {
    crm_path kp = CRM_PATH_KEY(NULL, key);
    const cJSON *v = crm_j_get(rq->root, key);
    if (v == NULL || cJSON_IsNull(v)) return crm_fail(ctx, CRM_E_MISSING, &kp, "%s needs '%s'", rq->op, key);
    return crm_j_enum(ctx, rq->root, key, NULL, names, out);
}

/* A time (RFC 3339) or a date (00:00 UTC). Empty: absent. */
static crm_status time_or_date(crm_ctx *ctx, const cJSON *obj, const char *key, const crm_path *p, int64_t *t, bool *has, bool date_only) {
    const char *val = "";
    *has = false;
    crm_status st = crm_j_str(ctx, obj, key, p, &val);
    if (st != CRM_OK || val[0] == '\0') return st;
    int64_t days;
    if (strlen(val) == 10 && crm_date_parse(val, &days)) { *t = days * 86400; *has = true; return CRM_OK; }
    if (!date_only && crm_time_parse(val, t)) { *has = true; return CRM_OK; }
    crm_path kp = CRM_PATH_KEY(p, key);
    return crm_fail(ctx, CRM_E_BAD_DATE, &kp, date_only ? "'%s' must be a date like 2026-11-20, got '%s'"
                                                       : "'%s' must be an RFC 3339 time or a date, got '%s'", key, val);
}

static void answer(crm_ctx *ctx, cJSON *result, bool include, const char *reason) {
    crm_o_bool(ctx, result, "include", include);
    crm_o_str(ctx, result, "reason", reason);
}

static bool is_user(const crm_settings *s, const char *id) { return s->user_id[0] && strcmp(s->user_id, id) == 0; }

static crm_status filter_task(crm_ctx *ctx, const crm_settings *s, const crm_context *c, const cJSON *rec, const crm_path *rp, cJSON *result) {
    static const char *const keys[] = {"id", "assignee_id", "status", "due_date", "modified", NULL};
    const char *id = "", *assignee = "";
    int status = 0;
    int64_t due = 0, mod = 0;
    bool has_due, has_mod;
    crm_status st;
    if ((st = crm_j_object(ctx, rec, rp, keys, CRM_E_UNKNOWN_FIELD)) || (st = crm_j_str(ctx, rec, "id", rp, &id)) ||
        (st = crm_j_str(ctx, rec, "assignee_id", rp, &assignee)) || (st = crm_j_enum(ctx, rec, "status", rp, task_status_names, &status)) ||
        (st = time_or_date(ctx, rec, "due_date", rp, &due, &has_due, true)) ||
        (st = time_or_date(ctx, rec, "modified", rp, &mod, &has_mod, false)))
        return st;
    if (!s->downsync.tasks) { crm_trace(ctx, "D1", "downsync.tasks is off"); answer(ctx, result, false, "downsync_off"); return ctx->err; }
    crm_trace(ctx, "D1", "downsync.tasks is on");
    if (!is_user(s, assignee)) {
        crm_trace(ctx, "D2", "the assignee '%s' is not the user '%s'", assignee, s->user_id);
        answer(ctx, result, false, "not_assignee");
        return ctx->err;
    }
    if (status == 0) { crm_trace(ctx, "D2", "an open task assigned to the user"); answer(ctx, result, true, "open"); return ctx->err; }
    /* completed: due date (user's local date) or last modified within task_days of now */
    int64_t now = c->has_now ? c->now_t : has_mod ? mod : due;
    int64_t today = crm_floor_div(now + s->utc_offset_minutes * 60, 86400);
    bool due_ok = has_due && due / 86400 >= today - s->downsync.task_days;
    bool mod_ok = has_mod && mod >= now - (int64_t)s->downsync.task_days * 86400;
    if (due_ok || mod_ok) {
        crm_trace(ctx, "D2", "completed, with its %s within %ld day(s)", due_ok ? "due date" : "last modification", s->downsync.task_days);
        answer(ctx, result, true, "recent");
    } else {
        crm_trace(ctx, "D2", "completed, with neither due date nor last modification within %ld day(s)", s->downsync.task_days);
        answer(ctx, result, false, "too_old");
    }
    (void)id;
    return ctx->err;
}

static crm_status filter_event(crm_ctx *ctx, const crm_settings *s, const crm_context *c, const cJSON *rec, const crm_path *rp, cJSON *result) {
    static const char *const keys[] = {"id", "owner_id", "invitee_ids", "start", "end", NULL};
    const char *id = "", *owner = "";
    const char **inv = NULL;
    size_t n_inv = 0;
    int64_t start = 0, end = 0;
    bool has_start, has_end;
    crm_status st;
    if ((st = crm_j_object(ctx, rec, rp, keys, CRM_E_UNKNOWN_FIELD)) || (st = crm_j_str(ctx, rec, "id", rp, &id)) ||
        (st = crm_j_str(ctx, rec, "owner_id", rp, &owner)) || (st = crm_j_strs(ctx, rec, "invitee_ids", rp, &inv, &n_inv)) ||
        (st = time_or_date(ctx, rec, "start", rp, &start, &has_start, false)) ||
        (st = time_or_date(ctx, rec, "end", rp, &end, &has_end, false)))
        return st;
    if (!has_start) {
        crm_path kp = CRM_PATH_KEY(rp, "start");
        return crm_fail(ctx, CRM_E_MISSING, &kp, "an event record needs a 'start'");
    }
    if (!has_end) end = start;
    if (end < start) {
        crm_path kp = CRM_PATH_KEY(rp, "end");
        return crm_fail(ctx, CRM_E_RANGE, &kp, "'end' is before 'start'");
    }
    if (!s->downsync.events) { crm_trace(ctx, "D1", "downsync.events is off"); answer(ctx, result, false, "downsync_off"); return ctx->err; }
    crm_trace(ctx, "D1", "downsync.events is on");
    bool mine = is_user(s, owner);
    for (size_t i = 0; i < n_inv && !mine; i++) mine = is_user(s, inv[i]);
    if (!mine) {
        crm_trace(ctx, "D3", "the user '%s' is neither the owner nor an invitee", s->user_id);
        answer(ctx, result, false, "not_invited");
        return ctx->err;
    }
    int64_t now = c->has_now ? c->now_t : start;
    int64_t lo = now - (int64_t)s->events.past_days * 86400, hi = now + (int64_t)s->events.future_days * 86400;
    if (end < lo || start > hi) {
        crm_trace(ctx, "D3", "outside the C3 window (%ld days back, %ld ahead)", s->events.past_days, s->events.future_days);
        crm_trace(ctx, "C3", "%s the window", end < lo ? "ended before" : "starts after");
        answer(ctx, result, false, "outside_window");
        return ctx->err;
    }
    crm_trace(ctx, "D3", "the user's event, inside the C3 window");
    answer(ctx, result, true, "in_window");
    (void)id;
    return ctx->err;
}

static crm_status filter_contact(crm_ctx *ctx, const crm_settings *s, const crm_context *c, const cJSON *rec, const crm_path *rp, cJSON *result) {
    static const char *const keys[] = {"id", "owner_id", NULL};
    const char *id = "", *owner = "";
    crm_status st;
    if ((st = crm_j_object(ctx, rec, rp, keys, CRM_E_UNKNOWN_FIELD)) || (st = crm_j_str(ctx, rec, "id", rp, &id)) ||
        (st = crm_j_str(ctx, rec, "owner_id", rp, &owner)))
        return st;
    static const char *const scope[] = {"all", "mine", "view", "off"};
    if (s->downsync.contacts == CONTACTS_OFF) {
        crm_trace(ctx, "D1", "downsync.contacts is off");
        answer(ctx, result, false, "downsync_off");
        return ctx->err;
    }
    crm_trace(ctx, "D1", "downsync.contacts is '%s'", scope[s->downsync.contacts]);
    switch (s->downsync.contacts) {
    case CONTACTS_ALL:
        crm_trace(ctx, "D4", "all contacts");
        answer(ctx, result, true, "all");
        break;
    case CONTACTS_MINE:
        if (is_user(s, owner)) { crm_trace(ctx, "D4", "owned by the user"); answer(ctx, result, true, "mine"); }
        else { crm_trace(ctx, "D4", "the owner '%s' is not the user '%s'", owner, s->user_id); answer(ctx, result, false, "not_mine"); }
        break;
    case CONTACTS_VIEW: {
        bool in = false;
        for (size_t i = 0; i < c->n_view_ids && !in; i++) in = id[0] && strcmp(c->view_ids[i], id) == 0;
        crm_trace(ctx, "D4", "%s context.view_ids", in ? "listed in" : "not listed in");
        answer(ctx, result, in, in ? "in_view" : "not_in_view");
        break;
    }
    default:
        answer(ctx, result, false, "downsync_off");
        break;
    }
    return ctx->err;
}

crm_status crm_op_downsync_filter(crm_ctx *ctx, const crm_request *rq, cJSON *result) {
    crm_settings s;
    crm_context c;
    int kind = 0;
    crm_status st;
    if ((st = top_enum(ctx, rq, "kind", kind_names, &kind)) || (st = crm_settings_from_request(ctx, rq->root, &s)) ||
        (st = crm_context_from_request(ctx, rq->root, &c)))
        return st;
    crm_path rp = CRM_PATH_KEY(NULL, "record");
    const cJSON *rec = crm_j_get(rq->root, "record");
    if (rec == NULL || cJSON_IsNull(rec)) return crm_fail(ctx, CRM_E_MISSING, &rp, "downsync_filter needs the Salesforce 'record'");
    if (!cJSON_IsObject(rec)) return crm_fail(ctx, CRM_E_TYPE, &rp, "'record' must be an object");
    switch (kind) {
    case KIND_TASK_REC: return filter_task(ctx, &s, &c, rec, &rp, result);
    case KIND_EVENT_REC: return filter_event(ctx, &s, &c, rec, &rp, result);
    default: return filter_contact(ctx, &s, &c, rec, &rp, result);
    }
}

crm_status crm_op_decide_delete(crm_ctx *ctx, const crm_request *rq, cJSON *result) {
    crm_settings s;
    int kind = 0, origin = 0;
    bool created = false;
    crm_status st;
    if ((st = top_enum(ctx, rq, "kind", kind_names, &kind)) || (st = top_enum(ctx, rq, "origin", origin_names, &origin)) ||
        (st = crm_j_bool(ctx, rq->root, "created_by_crmsync", NULL, &created)) || (st = crm_settings_from_request(ctx, rq->root, &s)))
        return st;
    const char *action, *reason;
    if (origin == 1) {
        /* deleted in Salesforce: the mailbox item stays and loses its category */
        crm_trace(ctx, "D6", "a Salesforce deletion never deletes a mailbox item: it loses its Salesforce category");
        action = "remove_category";
        reason = "deleted_in_salesforce";
    } else if (kind == KIND_EVENT_REC) {
        crm_trace(ctx, "D6", "a mailbox deletion never deletes an Event: only the unsync category does (C9)");
        action = "none";
        reason = "event_kept";
    } else {
        bool task = kind == KIND_TASK_REC;
        bool remove = task ? s.auto_remove.tasks : s.auto_remove.contacts;
        bool down = task ? s.downsync.tasks : s.downsync.contacts != CONTACTS_OFF;
        const char *what = task ? "tasks" : "contacts";
        if (remove && created) {
            crm_trace(ctx, "D5", "auto_remove.%s is on: the deletion is repeated in Salesforce", what);
            crm_trace(ctx, "D6", "crmsync created this record");
            action = "delete_in_salesforce";
            reason = "auto_remove";
        } else {
            if (remove) {
                crm_trace(ctx, "D6", "crmsync did not create this record, so it is never deleted in Salesforce");
                reason = "not_created_by_crmsync";
            } else {
                crm_trace(ctx, "D5", "auto_remove.%s is off", what);
                reason = "auto_remove_off";
            }
            if (down) {
                crm_trace(ctx, "D5", "downsync of %s is on: the item is restored to the mailbox", what);
                action = "restore_in_mailbox";
            } else {
                crm_trace(ctx, "D5", "downsync of %s is off too: nothing happens", what);
                action = "none";
            }
        }
    }
    crm_o_str(ctx, result, "action", action);
    crm_o_str(ctx, result, "reason", reason);
    return ctx->err;
}
