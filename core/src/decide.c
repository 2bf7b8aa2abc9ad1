/* decide.c: whether and how an email is saved (rules E1-E10, T1-T4, S1-S4, M4-M7, F5,
 * K1) for the operations decide_email and plan_save. */
#include <string.h>
#include "ops.h"
#include "decide.h"

bool crm_has_category(const crm_item *it, const char *cat) {
    if (cat == NULL || cat[0] == '\0') return false;
    for (size_t i = 0; i < it->n_categories; i++)
        if (crm_strcaseeq(it->categories[i], cat)) return true;
    return false;
}

static bool starts_with_ci(const char *s, const char *prefix) {
    for (; *prefix; s++, prefix++)
        if (crm_lower(*s) != crm_lower(*prefix)) return false;
    return true;
}

static bool contains_ci(const char *s, const char *needle) {
    for (; *s; s++) if (starts_with_ci(s, needle)) return true;
    return false;
}

/* E1: receipts, delivery reports, meeting responses, auto-replies. */
static const char *service_kind(const crm_item *it) {
    if (starts_with_ci(it->item_class, "REPORT.")) return "a delivery or read report (item class REPORT.*)";
    if (contains_ci(it->content_type, "multipart/report")) return "a report (multipart/report)";
    if (starts_with_ci(it->item_class, "IPM.Schedule.Meeting.Resp.")) return "a meeting response";
    if (starts_with_ci(it->auto_submitted, "auto-replied")) return "an auto-reply (Auto-Submitted: auto-replied)";
    return NULL;
}

/* A Message-ID without surrounding <> and white space, on the arena ("" when empty). */
static const char *bare_msgid(crm_ctx *ctx, const char *m) {
    size_t n = strlen(m);
    while (n && (crm_is_space(*m) || *m == '<')) { m++; n--; }
    while (n && (crm_is_space(m[n - 1]) || m[n - 1] == '>')) n--;
    return crm_arena_strndup(&ctx->arena, m, n);
}

bool crm_push_id(crm_ctx *ctx, const char ***v, size_t *n, const char *id) {
    for (size_t i = 0; i < *n; i++) if (strcmp((*v)[i], id) == 0) return true;
    /* Salesforce links at most 50 people to a Task or an Event (S2): the first 50 */
    if (*n >= CRM_MAX_LINKED_PEOPLE) return true;
    if (*n == 0 || (*n & (*n - 1)) == 0) { /* capacity doubles at every power of two */
        size_t cap = *n ? *n * 2 : 2;
        const char **nv = crm_arena_alloc(&ctx->arena, cap * sizeof *nv);
        if (nv == NULL) { crm_fail(ctx, CRM_E_NOMEM, NULL, ""); return false; }
        if (*n) memcpy(nv, *v, *n * sizeof *nv);
        *v = nv;
    }
    (*v)[(*n)++] = id;
    return true;
}

static bool remaining(const crm_participant *p) {
    return p->status == ST_CONTACT || p->status == ST_LEAD || p->status == ST_UNRESOLVED;
}

/* M5: the freshest Opportunity owned by the user on an Account of a resolved Contact. */
const crm_opp *crm_pick_opportunity(const crm_settings *s, const crm_records *r, const crm_decision *d) {
    if (s->user_id[0] == '\0') return NULL;
    bool have_now = d->has_now;
    int64_t today = have_now ? crm_floor_div(d->now_t + s->utc_offset_minutes * 60, 86400) : 0;
    const crm_opp *best = NULL;
    for (size_t i = 0; i < r->n_opps; i++) {
        const crm_opp *o = &r->opps[i];
        if (strcmp(o->owner_id, s->user_id) != 0 || o->account_id[0] == '\0') continue;
        bool linked = false;
        for (size_t k = 0; k < d->pp.n && !linked; k++) {
            const crm_participant *p = &d->pp.v[k];
            linked = p->status == ST_CONTACT && strcmp(p->record->account_id, o->account_id) == 0;
        }
        if (!linked) continue;
        bool fresh;
        if (!o->closed) fresh = !o->has_close || (have_now && o->close_days <= today + s->email.closing_within_days);
        else fresh = o->has_close && have_now && o->close_days >= today - s->email.closed_within_days;
        if (!fresh) continue;
        if (best == NULL) { best = o; continue; }
        if (o->has_created != best->has_created) { if (o->has_created) best = o; continue; }
        if (o->has_created && o->created_t != best->created_t) { if (o->created_t > best->created_t) best = o; continue; }
        if (strcmp(o->id, best->id) < 0) best = o;
    }
    return best;
}

/* M4: all resolved Contacts in header order; else one Lead. */
static bool pick_who(crm_ctx *ctx, crm_decision *d, const crm_participant **lead_p) {
    *lead_p = NULL;
    for (size_t i = 0; i < d->pp.n; i++)
        if (d->pp.v[i].status == ST_CONTACT && !crm_push_id(ctx, &d->who, &d->n_who, d->pp.v[i].record->id)) return false;
    if (d->n_who == CRM_MAX_LINKED_PEOPLE) crm_trace(ctx, "M4", "more Contacts than Salesforce links to one Task: the first %d in header order", CRM_MAX_LINKED_PEOPLE);
    if (d->n_who) return true;
    static const int inbound_order[] = {ROLE_FROM, ROLE_TO, ROLE_CC, ROLE_BCC};
    static const int outbound_order[] = {ROLE_TO, ROLE_CC, ROLE_BCC, ROLE_FROM};
    const int *order = d->pp.outbound ? outbound_order : inbound_order;
    for (int k = 0; k < 4 && *lead_p == NULL; k++)
        for (size_t i = 0; i < d->pp.n && *lead_p == NULL; i++)
            if (d->pp.v[i].role == order[k] && d->pp.v[i].status == ST_LEAD) *lead_p = &d->pp.v[i];
    if (*lead_p) return crm_push_id(ctx, &d->who, &d->n_who, (*lead_p)->record->id);
    return true;
}

static void skip(crm_decision *d, const char *reason) { d->action = "skip"; d->reason = reason; }

/* F5: attachments over the limit are listed and not written. */
static crm_status check_attachments(crm_ctx *ctx, const crm_settings *s, const crm_item *it, crm_decision *d, const crm_selection *sel) {
    size_t n = sel ? sel->n_attachments : (s->email.record_attachments ? it->n_attachments : 0);
    d->skipped = crm_arena_alloc(&ctx->arena, (n + 1) * sizeof *d->skipped);
    if (d->skipped == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    for (size_t i = 0; i < n; i++) {
        const crm_attachment *a = NULL;
        if (sel) {
            for (size_t k = 0; k < it->n_attachments && !a; k++)
                if (strcmp(it->attachments[k].id, sel->attachments[i]) == 0) a = &it->attachments[k];
            if (a == NULL) {
                crm_path sp = CRM_PATH_KEY(NULL, "selection"), ap = CRM_PATH_KEY(&sp, "attachments"), ip = CRM_PATH_IDX(&ap, i);
                return crm_fail(ctx, CRM_E_UNKNOWN_RECORD, &ip, "attachment '%s' is not among item.attachments", sel->attachments[i]);
            }
        } else {
            a = &it->attachments[i];
        }
        if (a->size > s->email.max_attachment_bytes) {
            d->skipped[d->n_skipped++] = a;
            crm_trace(ctx, "F5", "attachment '%s' is %ld bytes, over the limit of %ld", a->name, a->size, s->email.max_attachment_bytes);
        }
    }
    return CRM_OK;
}

const crm_saved *crm_find_saved(const crm_context *c, const char *key) {
    for (size_t i = 0; i < c->n_saved; i++) if (strcmp(c->saved[i].key, key) == 0) return &c->saved[i];
    return NULL;
}

/* T4: a reply to a saved email within the window. The Message-IDs the reply names (and,
 * for saved entries given by key only, their K1 keys) go into sets once, so a long
 * References list against a long context costs one lookup per saved entry. */
static const crm_saved *replied_to(crm_ctx *ctx, const crm_settings *s, const crm_item *it, const crm_context *c) {
    crm_strset ids = {0}, keys = {0};
    bool need_keys = false;
    for (size_t i = 0; i < c->n_saved && !need_keys; i++) need_keys = c->saved[i].message_id[0] == '\0' && c->saved[i].key[0];
    for (size_t k = 0; k <= it->n_references; k++) {
        const char *b = bare_msgid(ctx, k == 0 ? it->in_reply_to : it->references[k - 1]);
        if (b == NULL) { crm_fail(ctx, CRM_E_NOMEM, NULL, ""); return NULL; }
        if (b[0] == '\0' || crm_strset_add(ctx, &ids, b) != 1) continue;
        const char *key = need_keys ? crm_msgid_key(ctx, s, b) : NULL;
        if ((key && crm_strset_add(ctx, &keys, key) < 0) || ctx->err) return NULL;
    }
    if (ids.n == 0) return NULL;
    for (size_t i = 0; i < c->n_saved; i++) {
        const crm_saved *sv = &c->saved[i];
        bool named;
        if (sv->message_id[0]) {
            const char *b = bare_msgid(ctx, sv->message_id);
            if (b == NULL) { crm_fail(ctx, CRM_E_NOMEM, NULL, ""); return NULL; }
            named = b[0] && crm_strset_has(&ids, b);
        } else {
            named = sv->key[0] && crm_strset_has(&keys, sv->key);
        }
        if (!named || !sv->has_date || !it->has_date) continue;
        int64_t age = it->date_t - sv->date_t;
        if (age >= 0 && age <= (int64_t)s->email.reply_window_days * 86400) return sv;
    }
    return NULL;
}

static const crm_thread *flagged_thread(const crm_item *it, const crm_context *c) {
    if (it->conversation_id[0] == '\0') return NULL;
    for (size_t i = 0; i < c->n_threads; i++)
        if (strcmp(c->threads[i].conversation_id, it->conversation_id) == 0) return &c->threads[i];
    return NULL;
}

/* E9 "create": the records to create for the unresolved participants, before the Task. */
static crm_status plan_creates(crm_ctx *ctx, const crm_settings *s, crm_decision *d, bool only_with_account, cJSON *writes) {
    bool lead_taken = false;
    size_t made = 0;
    for (size_t i = 0; i < d->sg.n; i++) {
        const crm_suggestion *x = &d->sg.v[i];
        if (only_with_account && x->account_id == NULL) continue;
        if (x->kind == KIND_LEAD && (lead_taken || made)) continue; /* one Lead, never with others (M4) */
        if (x->kind != KIND_LEAD && lead_taken) continue;
        const char *pkey = crm_created_key(ctx, s, x->kind == KIND_LEAD ? "lead" : "contact", x->p->a.address);
        if (pkey == NULL) return ctx->err;
        const char *account_ref = x->account_id;
        if (x->new_account_name) {
            const char *akey = crm_created_key(ctx, s, "account", x->p->a.registered[0] ? x->p->a.registered : x->p->a.domain);
            if (akey == NULL) return ctx->err;
            bool written = false; /* two new people at one new company: one Account */
            for (const cJSON *w = writes->child; w && !written; w = w->next) {
                const cJSON *ext = cJSON_GetObjectItemCaseSensitive(w, "external_id");
                written = cJSON_IsString(ext) && strcmp(ext->valuestring, akey) == 0;
            }
            account_ref = crm_fmt(&ctx->arena, "ext:%s", akey);
            if (written) goto person;
            cJSON *w = crm_o_obj(ctx, writes, NULL);
            crm_o_str(ctx, w, "sobject", "Account");
            crm_o_str(ctx, w, "external_id", akey);
            cJSON *f = crm_o_obj(ctx, w, "fields");
            crm_o_str(ctx, f, "Name", x->new_account_name);
            crm_o_str(ctx, f, "Website", x->new_account_website);
        }
    person:;
        cJSON *w = crm_o_obj(ctx, writes, NULL);
        crm_o_str(ctx, w, "sobject", x->kind == KIND_LEAD ? "Lead" : "Contact");
        crm_o_str(ctx, w, "external_id", pkey);
        cJSON *f = crm_o_obj(ctx, w, "fields");
        if (x->first_name[0]) crm_o_str(ctx, f, "FirstName", x->first_name);
        crm_o_str(ctx, f, "LastName", x->last_name);
        crm_o_str(ctx, f, "Email", x->p->a.address);
        if (x->company) crm_o_str(ctx, f, "Company", x->company);
        if (account_ref) crm_o_str(ctx, f, "AccountId", account_ref);
        if (s->user_id[0]) crm_o_str(ctx, f, "OwnerId", s->user_id);
        const char *ref = crm_fmt(&ctx->arena, "ext:%s", pkey);
        if (ref == NULL || !crm_push_id(ctx, &d->who, &d->n_who, ref)) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        if (x->kind == KIND_LEAD) lead_taken = true;
        else if (!d->what && account_ref) d->what = account_ref;
        made++;
    }
    return ctx->err;
}

static crm_status parse_selection(crm_ctx *ctx, const cJSON *root, crm_selection *sel) {
    static const char *const keys[] = {"who", "what", "thread", "attachments", NULL};
    memset(sel, 0, sizeof *sel);
    sel->what = "";
    crm_path p = CRM_PATH_KEY(NULL, "selection");
    const cJSON *v = crm_j_get(root, "selection");
    if (v == NULL || cJSON_IsNull(v)) return crm_fail(ctx, CRM_E_MISSING, &p, "plan_save needs a 'selection' of records to link");
    crm_status st = crm_j_object(ctx, v, &p, keys, CRM_E_UNKNOWN_FIELD);
    if (st || (st = crm_j_strs(ctx, v, "who", &p, &sel->who, &sel->n_who)) || (st = crm_j_str(ctx, v, "what", &p, &sel->what)) ||
        (st = crm_j_bool(ctx, v, "thread", &p, &sel->thread)) ||
        (st = crm_j_strs(ctx, v, "attachments", &p, &sel->attachments, &sel->n_attachments)))
        return st;
    return CRM_OK;
}

/* S2: the selection is validated against the records and the record type. */
static crm_status validate_selection(crm_ctx *ctx, const crm_settings *s, const crm_records *r, const crm_item *it, crm_selection *sel, crm_decision *d) {
    crm_path p = CRM_PATH_KEY(NULL, "selection");
    crm_path wp = CRM_PATH_KEY(&p, "who");
    crm_path tp = CRM_PATH_KEY(&p, "what");
    if (sel->n_who == 0 && sel->what[0] == '\0')
        return crm_fail(ctx, CRM_E_MISSING, &p, "select at least one record to link (a Contact, Lead, Account or Opportunity)");
    if (sel->n_who > 50) return crm_fail(ctx, CRM_E_TOO_MANY_LINKS, &wp, "%zu people selected; at most 50 can be linked", sel->n_who);
    bool lead = false;
    for (size_t i = 0; i < sel->n_who; i++) {
        const crm_person *pr = crm_find_person(r, sel->who[i]);
        crm_path ip = CRM_PATH_IDX(&wp, i);
        if (pr == NULL) {
            if (crm_find_account(r, sel->who[i]) || crm_find_opp(r, sel->who[i]))
                return crm_fail(ctx, CRM_E_UNKNOWN_RECORD, &ip, "'%s' is an Account or Opportunity: select it as 'what'", sel->who[i]);
            return crm_fail(ctx, CRM_E_UNKNOWN_RECORD, &ip, "'%s' is not a Contact or Lead among the records given", sel->who[i]);
        }
        lead = lead || pr->is_lead;
        if (!crm_push_id(ctx, &d->who, &d->n_who, pr->id)) return CRM_E_NOMEM;
    }
    if (sel->what[0]) {
        if (!crm_find_account(r, sel->what) && !crm_find_opp(r, sel->what))
            return crm_fail(ctx, CRM_E_UNKNOWN_RECORD, &tp, "'%s' is not an Account or Opportunity among the records given", sel->what);
        d->what = sel->what;
    }
    if (s->email.record_type == REC_TASK && lead && (d->n_who > 1 || d->what))
        return crm_fail(ctx, CRM_E_LEAD_EXCLUSIVE, &wp, "a Lead cannot be linked together with other people or an Account/Opportunity on a Task");
    crm_trace(ctx, "S2", "selection valid: %zu people%s", d->n_who, d->what ? " and one business record" : "");
    if (sel->thread) {
        crm_path thp = CRM_PATH_KEY(&p, "thread");
        if (!s->email.thread_autosave)
            return crm_fail(ctx, CRM_E_NOT_ALLOWED, &thp, "auto-saving threads is turned off (email.thread_autosave)");
        if (it->conversation_id[0] == '\0')
            return crm_fail(ctx, CRM_E_NOT_ALLOWED, &thp, "the item has no conversation id, so its thread cannot be auto-saved");
    }
    return CRM_OK;
}

/* T3: the thread entry keeps the People whose address is in the flagging email. */
static crm_status thread_entry(crm_ctx *ctx, const crm_records *r, const crm_item *it, crm_decision *d) {
    d->has_thread = true;
    d->thread_conv = it->conversation_id;
    d->thread_what = d->what ? d->what : "";
    for (size_t i = 0; i < d->n_who; i++) {
        const crm_person *pr = crm_find_person(r, d->who[i]);
        bool present = false;
        for (size_t k = 0; pr && k < d->pp.n && !present; k++)
            for (size_t m = 0; m < pr->n_norm && !present; m++)
                present = d->pp.v[k].a.valid && strcmp(pr->norm[m].address, d->pp.v[k].a.address) == 0;
        if (present && !crm_push_id(ctx, &d->thread_who, &d->n_thread_who, d->who[i])) return CRM_E_NOMEM;
    }
    crm_trace(ctx, "T3", "thread %s stored with %zu people", it->conversation_id, d->n_thread_who);
    return CRM_OK;
}

static crm_status decide(crm_ctx *ctx, const crm_request *rq, cJSON *result, bool manual) {
    crm_settings s;
    crm_records r;
    crm_item it;
    crm_context c;
    crm_selection sel;
    crm_decision d;
    memset(&d, 0, sizeof d);
    crm_status st;
    if ((st = crm_settings_from_request(ctx, rq->root, &s)) || (st = crm_records_from_request(ctx, rq->root, &s, &r)) ||
        (st = crm_item_from_request(ctx, rq->root, &it, true)) || (st = crm_context_from_request(ctx, rq->root, &c)))
        return st;
    if (it.is_event) {
        crm_path ip = CRM_PATH_KEY(NULL, "item"), tp = CRM_PATH_KEY(&ip, "type");
        return crm_fail(ctx, CRM_E_TYPE, &tp, "%s takes an email item; use decide_event for events", rq->op);
    }
    if (manual && (st = parse_selection(ctx, rq->root, &sel)) != CRM_OK) return st;
    d.type = "email";
    d.now_t = c.has_now ? c.now_t : it.date_t;
    d.has_now = c.has_now || it.has_date;
    d.writes = cJSON_CreateArray();
    if (d.writes == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    d.key = crm_email_key(ctx, &s, &it);
    if (d.key == NULL || (st = crm_classify(ctx, &s, &r, &it, &d.pp)) != CRM_OK) goto out;
    crm_trace(ctx, "K1", "key %s", d.key);
    crm_trace_participants(ctx, &d.pp);
    crm_trace(ctx, "A3", "%s", d.pp.outbound ? "outbound: From is self" : "inbound");
    if ((st = crm_suggest(ctx, &s, &r, &d.pp, &d.sg)) != CRM_OK) goto out;
    if (manual && (st = validate_selection(ctx, &s, &r, &it, &sel, &d)) != CRM_OK) goto out;
    const char *svc = service_kind(&it);
    if (svc) {
        crm_trace(ctx, "E1", "%s is never saved", svc);
        if (manual) { d.action = "error"; d.reason = "E_SERVICE_ITEM"; }
        else skip(&d, "service_item");
        goto done;
    }
    if (!manual && it.is_draft) { crm_trace(ctx, "E2", "drafts are not saved"); skip(&d, "draft"); goto done; }
    bool dnr = false;
    if (s.email.do_not_record_address[0]) {
        crm_addr x;
        if ((st = crm_addr_parse_plain(ctx, s.email.do_not_record_address, strlen(s.email.do_not_record_address), &x)) != CRM_OK) goto out;
        for (size_t i = 0; i < d.pp.n && x.valid; i++)
            if (d.pp.v[i].role != ROLE_FROM && d.pp.v[i].a.valid && strcmp(d.pp.v[i].a.address, x.address) == 0) dnr = true;
    }
    if (crm_has_category(&it, s.email.exclude_category) || dnr) {
        crm_trace(ctx, "E3", "%s", dnr ? "a recipient is the do-not-record address" : "the item has the exclude category");
        skip(&d, "excluded");
        goto done;
    }
    const crm_saved *sv = crm_find_saved(&c, d.key);
    if (sv) {
        crm_trace(ctx, "E4", "already saved (%zu record(s))", sv->n_record_ids);
        skip(&d, "already_saved");
        d.record_ids = sv->record_ids;
        d.n_record_ids = sv->n_record_ids;
        goto done;
    }
    if (manual) {
        d.trigger = "manual";
        crm_trace(ctx, "S1", "manual save: the selection is linked; blocklist, internal filter, mode and folder do not apply");
        if ((st = check_attachments(ctx, &s, &it, &d, &sel)) != CRM_OK) goto out;
        if (sel.thread && (st = thread_entry(ctx, &r, &it, &d)) != CRM_OK) goto out;
        d.action = "save";
        d.reason = "saved";
        if ((st = crm_shape_email(ctx, &s, &it, &d, d.writes)) != CRM_OK) goto out;
        goto done;
    }
    /* E5 folder */
    bool forced_folder = it.folder == FOLDER_SALESFORCE;
    if (!forced_folder && !(s.email.folders & (1u << it.folder))) {
        crm_trace(ctx, "E5", "folder '%s' is not synced", crm_folder_names[it.folder]);
        skip(&d, "folder_not_synced");
        goto done;
    }
    /* E6 trigger */
    const char *smart_what = NULL;
    bool smart = false;
    for (size_t i = 0; i < d.pp.n; i++) {
        const crm_participant *p = &d.pp.v[i];
        if (p->status != ST_SMART || p->role == ROLE_FROM) continue;
        smart = true;
        if (p->smart_id && !smart_what && (crm_find_account(&r, p->smart_id) || crm_find_opp(&r, p->smart_id))) smart_what = p->smart_id;
    }
    const crm_thread *th = s.email.thread_autosave ? flagged_thread(&it, &c) : NULL;
    const crm_saved *rep = NULL;
    const crm_participant *from = NULL;
    for (size_t i = 0; i < d.pp.n; i++) if (d.pp.v[i].role == ROLE_FROM) from = &d.pp.v[i];
    if (crm_has_category(&it, s.email.save_category) || forced_folder || smart) {
        d.trigger = "forced";
        crm_trace(ctx, "E6", "forced by %s", forced_folder ? "the Salesforce Emails folder" : smart ? "a smart address" : "the save category");
        if (smart) crm_trace(ctx, "E3", "smart address%s", smart_what ? " sets What" : "");
    } else if (th) {
        d.trigger = "thread";
        crm_trace(ctx, "T1", "conversation %s was flagged for auto-save", it.conversation_id);
    } else if (s.email.mode != MODE_OFF && !d.pp.outbound && from && (from->status == ST_CONTACT || from->status == ST_LEAD) &&
               (rep = replied_to(ctx, &s, &it, &c)) != NULL) {
        d.trigger = "reply";
        crm_trace(ctx, "T4", "a reply to saved email %s within %ld days", rep->message_id[0] ? rep->message_id : rep->key, s.email.reply_window_days);
    } else if (s.email.mode == MODE_ALL && (s.email.direction == DIR_BOTH || (s.email.direction == DIR_INBOUND) != d.pp.outbound)) {
        d.trigger = "auto";
        crm_trace(ctx, "E6", "automatic: mode all, direction %s", d.pp.outbound ? "outbound" : "inbound");
    } else {
        const char *why = s.email.mode == MODE_OFF ? "autosave_off" : "not_designated";
        crm_trace(ctx, "E6", "no trigger: %s", s.email.mode == MODE_OFF ? "automatic saving is off" :
                  s.email.mode == MODE_ALL ? "the direction is not synced" : "the email is not designated");
        skip(&d, why);
        goto done;
    }
    bool forced = strcmp(d.trigger, "forced") == 0;
    if (!forced) {
        size_t internal = 0, others = 0, left = 0;
        for (size_t i = 0; i < d.pp.n; i++) {
            const crm_participant *p = &d.pp.v[i];
            if (p->status == ST_SELF || p->status == ST_INVALID) continue;
            others++;
            internal += p->status == ST_INTERNAL;
            left += remaining(p);
        }
        if (internal && internal == others) { crm_trace(ctx, "E7", "every participant is internal"); skip(&d, "internal_only"); goto done; }
        if (left == 0) { crm_trace(ctx, "E8", "no participant is left after self, internal, smart and blocklisted ones"); skip(&d, "all_blocklisted"); goto done; }
        size_t blocked = 0;
        for (size_t i = 0; i < d.pp.n; i++) blocked += d.pp.v[i].status == ST_BLOCKLISTED;
        if (blocked) crm_trace(ctx, "B5", "%zu blocklisted participant(s) are left out; the others are linked", blocked);
    }
    if (th) {
        /* T2: the links stored at flagging */
        for (size_t i = 0; i < th->n_who; i++) if (!crm_push_id(ctx, &d.who, &d.n_who, th->who[i])) goto out;
        d.what = th->what[0] ? th->what : NULL;
        crm_trace(ctx, "T2", "thread member linked as flagged: %zu people", d.n_who);
    } else {
        const crm_participant *lead = NULL;
        if (!pick_who(ctx, &d, &lead)) goto out;
        if (lead) crm_trace(ctx, "M4", "no Contact; one Lead: %s", lead->record->id);
        else if (d.n_who) crm_trace(ctx, "M4", "%zu Contact(s) in header order", d.n_who);
        if (d.n_who == 0) {
            if (forced) {
                if (smart_what) {
                    d.what = smart_what;
                    crm_trace(ctx, "E9", "no person resolves; the smart address's %s is saved alone", smart_what);
                } else {
                    crm_trace(ctx, "E9", "no participant resolves to a Contact or Lead");
                    skip(&d, "no_related_records");
                    goto done;
                }
            } else if (s.email.unresolved == UNRES_SKIP || d.sg.n == 0) {
                crm_trace(ctx, "E9", "no participant resolves (email.unresolved %s)", s.email.unresolved == UNRES_SKIP ? "skip" : "found nothing to create");
                skip(&d, "no_match");
                goto done;
            } else {
                if ((st = plan_creates(ctx, &s, &d, s.email.unresolved == UNRES_SMART, d.writes)) != CRM_OK) goto out;
                if (d.n_who == 0) {
                    crm_trace(ctx, "E9", "no participant resolves and no Account matches their domains (email.unresolved smart)");
                    skip(&d, "no_match");
                    goto done;
                }
                crm_trace(ctx, "E9", "creating %zu record(s) for unresolved participants (email.unresolved %s)", d.n_who,
                          s.email.unresolved == UNRES_SMART ? "smart" : "create");
                /* M6/M7 hold for created Contacts too: a free-mail Contact gets no Account */
                bool lead_made = false;
                for (const cJSON *w = d.writes->child; w; w = w->next)
                    lead_made = lead_made || strcmp(cJSON_GetObjectItemCaseSensitive(w, "sobject")->valuestring, "Lead") == 0;
                if (!lead_made && s.email.link_opportunities && (d.what == NULL || d.what[0] == '\0')) {
                    crm_trace(ctx, "M6", "link_opportunities is on and the Contact to create has no Account");
                    skip(&d, "no_business_record");
                    goto done;
                }
            }
        } else if (lead == NULL) {
            if (smart_what) d.what = smart_what;
            const crm_opp *o = s.email.link_opportunities && !smart_what ? crm_pick_opportunity(&s, &r, &d) : NULL;
            if (o) { d.what = o->id; crm_trace(ctx, "M5", "Opportunity %s", o->id); }
            for (size_t i = 0; i < d.pp.n && !d.what; i++) {
                const crm_participant *p = &d.pp.v[i];
                if (p->status == ST_CONTACT && p->record->account_id[0]) {
                    d.what = p->record->account_id;
                    crm_trace(ctx, "M7", "Account %s of Contact %s", d.what, p->record->id);
                }
            }
            if (s.email.link_opportunities && !d.what) {
                crm_trace(ctx, "M6", "link_opportunities is on and neither an Opportunity nor an Account was found");
                skip(&d, "no_business_record");
                goto done;
            }
        } else if (smart_what) {
            crm_trace(ctx, "M4", "a Lead is linked alone; the smart address's record is not added");
        }
    }
    if ((st = check_attachments(ctx, &s, &it, &d, NULL)) != CRM_OK) goto out;
    d.action = "save";
    d.reason = "saved";
    if ((st = crm_shape_email(ctx, &s, &it, &d, d.writes)) != CRM_OK) goto out;
    if (strcmp(d.action, "save") == 0) crm_trace(ctx, "E10", "saved (%s)", d.trigger);
done:
    if (strcmp(d.action, "save") != 0 && d.writes) {
        cJSON_Delete(d.writes);
        d.writes = cJSON_CreateArray();
        d.who = NULL;
        d.n_who = 0;
        d.what = NULL;
        d.has_thread = false;
        if (d.writes == NULL) { st = crm_fail(ctx, CRM_E_NOMEM, NULL, ""); goto out; }
    }
    if (ctx->err == CRM_OK) crm_decision_json(ctx, &d, result);
    return ctx->err;
out:
    cJSON_Delete(d.writes);
    return ctx->err ? ctx->err : st;
}

void crm_decision_json(crm_ctx *ctx, const crm_decision *d, cJSON *result) {
    crm_o_str(ctx, result, "type", d->type);
    crm_o_str(ctx, result, "action", d->action);
    crm_o_str(ctx, result, "reason", d->reason);
    if (d->trigger) crm_o_str(ctx, result, "trigger", d->trigger);
    crm_o_str(ctx, result, "key", d->key);
    if (strcmp(d->type, "email") == 0) crm_o_str(ctx, result, "direction", d->pp.outbound ? "outbound" : "inbound");
    cJSON *links = crm_o_obj(ctx, result, "links");
    crm_o_strs(ctx, links, "who", d->who, d->n_who);
    crm_o_str(ctx, links, "what", d->what ? d->what : "");
    crm_participants_json(ctx, result, "participants", &d->pp);
    crm_suggestions_json(ctx, result, "suggestions", &d->sg);
    if (result && d->writes) {
        if (!cJSON_AddItemToObject(result, "writes", d->writes)) { cJSON_Delete(d->writes); crm_fail(ctx, CRM_E_NOMEM, NULL, ""); }
    } else {
        cJSON_Delete(d->writes);
    }
    if (d->has_thread) {
        cJSON *t = crm_o_obj(ctx, result, "thread");
        crm_o_str(ctx, t, "conversation_id", d->thread_conv);
        crm_o_strs(ctx, t, "who", d->thread_who, d->n_thread_who);
        crm_o_str(ctx, t, "what", d->thread_what);
    }
    cJSON *sk = crm_o_arr(ctx, result, "skipped_attachments");
    for (size_t i = 0; sk && i < d->n_skipped; i++) {
        cJSON *o = crm_o_obj(ctx, sk, NULL);
        crm_o_str(ctx, o, "id", d->skipped[i]->id);
        crm_o_str(ctx, o, "name", d->skipped[i]->name);
        crm_o_str(ctx, o, "reason", "too_large");
    }
    if (d->record_ids) crm_o_strs(ctx, result, "record_ids", d->record_ids, d->n_record_ids);
}

crm_status crm_op_decide_email(crm_ctx *ctx, const crm_request *rq, cJSON *result) { return decide(ctx, rq, result, false); }
crm_status crm_op_plan_save(crm_ctx *ctx, const crm_request *rq, cJSON *result) { return decide(ctx, rq, result, true); }
