/* event.c: whether and how a calendar item is saved (rules C1-C9, with M4-M7 for the
 * links, N1-N5 for suggestions and K3 for the key) for the operation decide_event, and
 * the Salesforce Event it writes (F2 lengths). Decisions where the spec is silent:
 * docs/rules-decisions-v2.md. */
#include <string.h>
#include "ops.h"
#include "decide.h"

/* The item's times: all-day items count in whole days (at least one). */
typedef struct ev_span {
    int64_t start, end;   /* seconds since 1970 UTC; end defaults to start (+ days) */
    int64_t days;         /* all-day: length in days */
    int64_t date;         /* all-day: the first day (days since 1970) */
} ev_span;

static crm_status span_of(crm_ctx *ctx, const crm_settings *s, const crm_item *it, ev_span *sp) {
    crm_path ip = CRM_PATH_KEY(NULL, "item");
    if (!it->has_start) {
        crm_path kp = CRM_PATH_KEY(&ip, "start");
        return crm_fail(ctx, CRM_E_MISSING, &kp, "an event needs a 'start' (RFC 3339 time, or YYYY-MM-DD for all-day items)");
    }
    sp->start = it->start_t;
    if (it->has_end && it->end_t < it->start_t) {
        crm_path kp = CRM_PATH_KEY(&ip, "end");
        return crm_fail(ctx, CRM_E_RANGE, &kp, "'end' (%s) is before 'start' (%s)", it->end, it->start);
    }
    if (it->is_all_day) {
        /* a date is its own day; a time is read in the user's time zone */
        sp->date = it->start_is_date ? crm_floor_div(it->start_t, 86400)
                                     : crm_floor_div(it->start_t + s->utc_offset_minutes * 60, 86400);
        int64_t secs = it->has_end ? it->end_t - it->start_t : 0;
        sp->days = (secs + 86399) / 86400;
        if (sp->days < 1) sp->days = 1;
        sp->end = it->has_end && secs > 0 ? it->end_t : it->start_t + sp->days * 86400;
    } else {
        sp->days = 0;
        sp->date = crm_floor_div(it->start_t + s->utc_offset_minutes * 60, 86400);
        sp->end = it->has_end ? it->end_t : it->start_t;
    }
    return CRM_OK;
}

static const char *cut(crm_ctx *ctx, const char *s, long units) {
    size_t n = strlen(s), keep = crm_utf16_prefix(s, n, (size_t)units);
    const char *out = keep == n ? s : crm_arena_strndup(&ctx->arena, s, keep);
    if (out == NULL) crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    return out;
}

/* The Salesforce Event (F2 lengths; C5: never private; K2: external id "<key>:0"). */
static crm_status shape_event(crm_ctx *ctx, const crm_settings *s, const crm_item *it, const ev_span *sp, crm_decision *d) {
    static const struct { const char *field; long dflt; } lim[] = {{"Event.Subject", 255}, {"Event.Location", 255}, {"Event.Description", 32000}};
    const char *vals[3] = {it->subject, it->location, it->body_text};
    const char *out[3];
    for (int i = 0; i < 3; i++) {
        long l = crm_field_limit(s, lim[i].field, lim[i].dflt);
        size_t u = crm_utf16_len(vals[i], strlen(vals[i]));
        out[i] = cut(ctx, vals[i], l);
        if (out[i] == NULL) return ctx->err;
        if (u > (size_t)l) crm_trace(ctx, "F2", "%s is %zu characters: cut to %ld", lim[i].field, u, l);
    }
    const char *ext = crm_fmt(&ctx->arena, "%s:0", d->key);
    if (ext == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    cJSON *w = crm_o_obj(ctx, d->writes, NULL);
    crm_o_str(ctx, w, "sobject", "Event");
    crm_o_str(ctx, w, "external_id", ext);
    cJSON *f = crm_o_obj(ctx, w, "fields");
    crm_o_str(ctx, f, "Subject", out[0]);
    crm_o_bool(ctx, f, "IsAllDayEvent", it->is_all_day);
    if (it->is_all_day) {
        char date[11];
        crm_date_format(sp->date, date);
        crm_o_str(ctx, f, "ActivityDate", date);
        crm_o_int(ctx, f, "DurationInMinutes", (long)(sp->days * 1440));
    } else {
        char a[21], b[21];
        crm_time_format(sp->start, a);
        crm_time_format(sp->end, b);
        crm_o_str(ctx, f, "StartDateTime", a);
        crm_o_str(ctx, f, "EndDateTime", b);
    }
    crm_o_str(ctx, f, "Location", out[1]);
    crm_o_str(ctx, f, "Description", out[2]);
    crm_o_bool(ctx, f, "IsPrivate", false);
    if (d->n_who) crm_o_str(ctx, f, "WhoId", d->who[0]);
    if (d->what && d->what[0]) crm_o_str(ctx, f, "WhatId", d->what);
    if (s->user_id[0]) crm_o_str(ctx, f, "OwnerId", s->user_id);
    if (it->is_all_day) {
        char date[11];
        crm_date_format(sp->date, date);
        crm_trace(ctx, "C6", "an all-day Event on %s for %ld day(s)", date, (long)sp->days);
    }
    crm_trace(ctx, "K2", "external id %s in CrmSync_Key__c", ext);
    return ctx->err;
}

static void skip(crm_decision *d, const char *reason) { d->action = "skip"; d->reason = reason; }
static void fail_item(crm_decision *d, const char *code) { d->action = "error"; d->reason = code; }

/* C7/C8: the links of a meeting. Returns false when the decision is made (skip). */
static bool link_meeting(crm_ctx *ctx, const crm_settings *s, const crm_records *r, crm_decision *d, const char *smart_what) {
    size_t others = 0, internal = 0, blocked = 0, left = 0;
    for (size_t i = 0; i < d->pp.n; i++) {
        const crm_participant *p = &d->pp.v[i];
        if (p->status == ST_SELF || p->status == ST_INVALID || p->status == ST_SMART) continue;
        others++;
        internal += p->status == ST_INTERNAL;
        blocked += p->status == ST_BLOCKLISTED;
        left += p->status == ST_CONTACT || p->status == ST_LEAD || p->status == ST_UNRESOLVED;
    }
    bool track = s->events.track_without_people;
    if (left == 0) {
        const char *why = internal == others ? "internal_only" : "all_blocklisted";
        if (!track) {
            crm_trace(ctx, "C7", "every attendee is %s", internal == others ? "internal" : "blocklisted or internal");
            skip(d, why);
            return false;
        }
        crm_trace(ctx, "C7", "every attendee is %s; saved without people (events.track_without_people)",
                  internal == others ? "internal" : "blocklisted or internal");
        d->what = smart_what;
        return true;
    }
    if (blocked || internal)
        crm_trace(ctx, "C7", "%zu blocklisted and %zu internal attendee(s) left out; the others are linked", blocked, internal);
    /* C8: every resolved Contact (organizer first, then attendees in order), else one Lead */
    for (size_t i = 0; i < d->pp.n; i++)
        if (d->pp.v[i].status == ST_CONTACT && !crm_push_id(ctx, &d->who, &d->n_who, d->pp.v[i].record->id)) return false;
    const crm_participant *lead = NULL;
    for (size_t i = 0; i < d->pp.n && d->n_who == 0 && lead == NULL; i++)
        if (d->pp.v[i].status == ST_LEAD) lead = &d->pp.v[i];
    if (lead && !crm_push_id(ctx, &d->who, &d->n_who, lead->record->id)) return false;
    if (d->n_who == 0) {
        if (!track) {
            crm_trace(ctx, "C8", "no attendee resolves to a Contact or Lead");
            skip(d, "no_match");
            return false;
        }
        crm_trace(ctx, "C8", "no attendee resolves; saved without people (events.track_without_people)");
        d->what = smart_what;
        return true;
    }
    if (lead) {
        crm_trace(ctx, "C8", "no Contact; one Lead: %s", lead->record->id);
        return true;
    }
    crm_trace(ctx, "C8", "%zu Contact(s): the Event takes them all", d->n_who);
    if (smart_what) {
        d->what = smart_what;
        crm_trace(ctx, "E3", "the smart address's %s is What", smart_what);
        return true;
    }
    const crm_opp *o = s->email.link_opportunities ? crm_pick_opportunity(s, r, d) : NULL;
    if (o) { d->what = o->id; crm_trace(ctx, "M5", "Opportunity %s", o->id); return true; }
    for (size_t i = 0; i < d->pp.n && !d->what; i++) {
        const crm_participant *p = &d->pp.v[i];
        if (p->status == ST_CONTACT && p->record->account_id[0]) {
            d->what = p->record->account_id;
            crm_trace(ctx, "M7", "Account %s of Contact %s", d->what, p->record->id);
        }
    }
    if (s->email.link_opportunities && !d->what) {
        crm_trace(ctx, "M6", "link_opportunities is on and neither an Opportunity nor an Account was found");
        skip(d, "no_business_record");
        return false;
    }
    return true;
}

static crm_status activation_time(crm_ctx *ctx, const crm_settings *s, int64_t *t, bool *has) {
    *has = false;
    const char *a = s->events.activated_at;
    if (a == NULL || a[0] == '\0') return CRM_OK;
    int64_t days;
    if (strlen(a) == 10 && crm_date_parse(a, &days)) { *t = days * 86400; *has = true; return CRM_OK; }
    if (crm_time_parse(a, t)) { *has = true; return CRM_OK; }
    crm_path sp = CRM_PATH_KEY(NULL, "settings"), ep = CRM_PATH_KEY(&sp, "events"), ap = CRM_PATH_KEY(&ep, "activated_at");
    return crm_fail(ctx, CRM_E_BAD_DATE, &ap, "'activated_at' must be an RFC 3339 time or a date, got '%s'", a);
}

crm_status crm_op_decide_event(crm_ctx *ctx, const crm_request *rq, cJSON *result) {
    crm_settings s;
    crm_records r;
    crm_item it;
    crm_context c;
    crm_decision d;
    ev_span sp = {0, 0, 0, 0};
    memset(&d, 0, sizeof d);
    crm_status st;
    int64_t act_t = 0;
    bool has_act = false;
    if ((st = crm_settings_from_request(ctx, rq->root, &s)) || (st = activation_time(ctx, &s, &act_t, &has_act)) ||
        (st = crm_records_from_request(ctx, rq->root, &s, &r)) || (st = crm_item_from_request(ctx, rq->root, &it, true)) ||
        (st = crm_context_from_request(ctx, rq->root, &c)))
        return st;
    crm_path ip = CRM_PATH_KEY(NULL, "item");
    if (!it.is_event) {
        crm_path tp = CRM_PATH_KEY(&ip, "type");
        return crm_fail(ctx, CRM_E_TYPE, &tp, "decide_event takes an event item (\"type\": \"event\"); use decide_email for emails");
    }
    if (it.uid[0] == '\0') {
        crm_path up = CRM_PATH_KEY(&ip, "uid");
        return crm_fail(ctx, CRM_E_MISSING, &up, "an event needs its 'uid' (the iCalendar UID): the key K3 is made from it");
    }
    if ((st = span_of(ctx, &s, &it, &sp)) != CRM_OK) return st;
    d.type = "event";
    d.now_t = c.has_now ? c.now_t : it.start_t;
    d.has_now = true;
    d.writes = cJSON_CreateArray();
    if (d.writes == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    d.key = crm_event_key(ctx, &s, &it);
    if (d.key == NULL || (st = crm_classify(ctx, &s, &r, &it, &d.pp)) != CRM_OK) goto out;
    crm_trace(ctx, "K3", "key %s%s", d.key, it.recurrence == RECUR_OCCURRENCE ? " (an occurrence: uid + start)" : "");
    crm_trace_participants(ctx, &d.pp);
    if ((st = crm_suggest(ctx, &s, &r, &d.pp, &d.sg)) != CRM_OK) goto out;
    const crm_saved *sv = crm_find_saved(&c, d.key);
    /* C9: the unsync category deletes the Event crmsync created */
    if (crm_has_category(&it, s.events.unsync_category)) {
        if (sv) {
            crm_trace(ctx, "C9", "the '%s' category: the Event crmsync created is deleted", s.events.unsync_category);
            crm_trace(ctx, "D6", "crmsync created this Event (its key is in context.saved)");
            d.action = "delete";
            d.reason = "unsync_category";
            d.record_ids = sv->record_ids;
            d.n_record_ids = sv->n_record_ids;
            const char *ext = crm_fmt(&ctx->arena, "%s:0", d.key);
            if (ext == NULL) { st = crm_fail(ctx, CRM_E_NOMEM, NULL, ""); goto out; }
            cJSON *w = crm_o_obj(ctx, d.writes, NULL);
            crm_o_str(ctx, w, "sobject", "Event");
            crm_o_str(ctx, w, "external_id", ext);
            crm_o_str(ctx, w, "operation", "delete");
            crm_decision_json(ctx, &d, result);
            return ctx->err;
        }
        crm_trace(ctx, "C9", "the '%s' category on an item crmsync never saved: nothing to delete, nothing saved", s.events.unsync_category);
        skip(&d, "excluded");
        goto done;
    }
    if (crm_has_category(&it, s.email.exclude_category)) {
        crm_trace(ctx, "E3", "the item has the exclude category '%s'", s.email.exclude_category);
        skip(&d, "excluded");
        goto done;
    }
    if (sv) {
        d.record_ids = sv->record_ids;
        d.n_record_ids = sv->n_record_ids;
        crm_trace(ctx, "K3", "already saved: the upsert on the same key updates the Event");
    }
    /* the trigger: the save category or a smart address among the attendees */
    const char *smart_what = NULL;
    bool smart = false;
    size_t others = 0;
    for (size_t i = 0; i < d.pp.n; i++) {
        const crm_participant *p = &d.pp.v[i];
        if (p->status == ST_SMART) {
            smart = true;
            if (p->smart_id && !smart_what && (crm_find_account(&r, p->smart_id) || crm_find_opp(&r, p->smart_id))) smart_what = p->smart_id;
        } else if (p->status != ST_SELF && p->status != ST_INVALID) {
            others++;
        }
    }
    bool forced = crm_has_category(&it, s.email.save_category) || smart;
    d.trigger = forced ? "forced" : "auto";
    if (forced) crm_trace(ctx, "E6", "forced by %s", smart ? "a smart address among the attendees" : "the save category");
    /* C1: meetings and appointments */
    bool meeting = others > 0;
    bool on = meeting ? s.events.meetings : s.events.appointments;
    if (!on && !forced) {
        crm_trace(ctx, "C1", "%s are not saved automatically (events.%s is off)", meeting ? "meetings" : "appointments",
                  meeting ? "meetings" : "appointments");
        skip(&d, "autosave_off");
        goto done;
    }
    crm_trace(ctx, "C1", "a %s (%zu other attendee(s))%s", meeting ? "meeting" : "appointment", others, on ? "" : "; the switch is off but the save is forced");
    /* C2: responses */
    static const char *const resp[] = {"organizer", "accepted", "tentative", "declined", "none"};
    if (it.my_response == RESP_DECLINED || it.my_response == RESP_NONE) {
        if (!s.events.include_not_accepted) {
            crm_trace(ctx, "C2", "my response is '%s'", resp[it.my_response]);
            skip(&d, "not_accepted");
            goto done;
        }
        crm_trace(ctx, "C2", "my response is '%s'; included (events.include_not_accepted)", resp[it.my_response]);
    } else {
        crm_trace(ctx, "C2", "my response is '%s'", resp[it.my_response]);
    }
    /* C3: the sliding window, inclusive, in UTC */
    int64_t lo = d.now_t - (int64_t)s.events.past_days * 86400, hi = d.now_t + (int64_t)s.events.future_days * 86400;
    if (sp.end < lo || sp.start > hi) {
        crm_trace(ctx, "C3", "%s the window of %ld day(s) back and %ld ahead", sp.end < lo ? "ended before" : "starts after",
                  s.events.past_days, s.events.future_days);
        skip(&d, "outside_window");
        goto done;
    }
    crm_trace(ctx, "C3", "inside the window (%ld days back, %ld ahead)", s.events.past_days, s.events.future_days);
    /* C4: activation */
    if (has_act && it.has_created && it.created_t < act_t) {
        if (!forced) {
            crm_trace(ctx, "C4", "created before events.activated_at (%s)", s.events.activated_at);
            skip(&d, "before_activation");
            goto done;
        }
        crm_trace(ctx, "C4", "created before activation, but the save is forced");
    }
    /* C5: private items */
    if (it.is_private) {
        if (!forced) {
            crm_trace(ctx, "C5", "private items are saved only when forced");
            skip(&d, "private");
            goto done;
        }
        crm_trace(ctx, "C5", "a forced save of a private item: the private flag is dropped");
    }
    /* C6: what Salesforce cannot hold */
    if (it.is_all_day && it.recurrence == RECUR_SERIES) {
        crm_trace(ctx, "C6", "recurring all-day series are never synced");
        fail_item(&d, "E_RECURRING_ALL_DAY");
        goto done;
    }
    if (!it.is_all_day && sp.end - sp.start > 86400) {
        /* hours, not minutes: the count must fit a 32-bit long (wasm32) for every valid time */
        crm_trace(ctx, "C6", "a timed item longer than 24 hours (%ld full hours)", (long)((sp.end - sp.start) / 3600));
        fail_item(&d, "E_TOO_LONG");
        goto done;
    }
    if (it.is_all_day && sp.days > s.events.max_all_day_days) {
        crm_trace(ctx, "C6", "an all-day item of %ld days is longer than events.max_all_day_days (%ld)", (long)sp.days, s.events.max_all_day_days);
        fail_item(&d, "E_TOO_LONG");
        goto done;
    }
    /* C7/C8: links */
    if (meeting) {
        if (!link_meeting(ctx, &s, &r, &d, smart_what)) goto done;
    } else {
        d.what = smart_what;
        crm_trace(ctx, "C8", "an appointment has no attendees to link: saved without people");
    }
    if (ctx->err) goto out;
    d.action = "save";
    d.reason = "saved";
    if ((st = shape_event(ctx, &s, &it, &sp, &d)) != CRM_OK) goto out;
done:
    if (strcmp(d.action, "save") != 0) {
        cJSON_Delete(d.writes);
        d.writes = cJSON_CreateArray();
        d.who = NULL;
        d.n_who = 0;
        d.what = NULL;
        if (d.writes == NULL) { st = crm_fail(ctx, CRM_E_NOMEM, NULL, ""); goto out; }
    }
    if (ctx->err == CRM_OK) crm_decision_json(ctx, &d, result);
    else cJSON_Delete(d.writes);
    return ctx->err;
out:
    cJSON_Delete(d.writes);
    return ctx->err ? ctx->err : st;
}
