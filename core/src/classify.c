/* classify.c: participants, self, internal, blocklisted, smart, and matching against
 * Contacts and Leads (rules A3, A4, A8, B4, B5, E3, M1-M3). */
#include <string.h>
#include "model.h"

/* A sidebar shows a handful of duplicates; thousands would only bloat every response. */
#define CRM_MAX_ALSO_MATCHED 20

const char *const crm_status_names[] = {"self", "internal", "blocklisted", "invalid", "smart", "contact", "lead", "unresolved", NULL};

/* Self (A3): the mailbox address, its aliases and the Salesforce user's email. */
bool crm_is_self(crm_ctx *ctx, const crm_settings *s, const crm_addr *a) {
    (void)ctx;
    if (!a->valid) return false;
    for (size_t i = 0; i < s->n_self; i++)
        if (strcmp(s->self[i], a->address) == 0) return true;
    return false;
}

/* Internal (A4): internal_domains (exact, or ".suffix" entries), else the mailbox domain
 * unless it is free-mail. */
bool crm_is_internal(const crm_settings *s, const crm_addr *a) {
    if (!a->valid) return false;
    if (s->internal_domains.n) return crm_entries_match_domain(&s->internal_domains, a->domain) != NULL;
    if (!s->self_mailbox.valid || crm_is_freemail(s, s->self_mailbox.domain)) return false;
    return strcmp(s->self_mailbox.domain, a->domain) == 0;
}

static int cmp_person(const crm_person *x, const crm_person *y) {
    /* M2: the earliest created first (a record without a date after those with one),
     * then the lowest id */
    if (x->has_created != y->has_created) return x->has_created ? -1 : 1;
    if (x->has_created && x->created_t != y->created_t) return x->created_t < y->created_t ? -1 : 1;
    return strcmp(x->id, y->id);
}

static void sort_people(const crm_person **v, size_t n) {
    /* Shell sort (gaps 3k+1): O(n^1.5) when thousands of records share one address */
    size_t gap = 1;
    while (gap < n / 3) gap = gap * 3 + 1;
    for (; gap > 0; gap /= 3)
        for (size_t i = gap; i < n; i++) {
            const crm_person *x = v[i];
            size_t j = i;
            while (j >= gap && cmp_person(v[j - gap], x) > 0) { v[j] = v[j - gap]; j -= gap; }
            v[j] = x;
        }
}

/* Records by normalised email (primary and, when enabled, alternates): one list per
 * address, built once per request, so matching costs O(matches) per participant. */
typedef struct person_node { const crm_person *p; struct person_node *next; } person_node;

static crm_status index_people(crm_ctx *ctx, const crm_records *r, crm_strmap *ix) {
    for (int lead = 0; lead < 2; lead++) {
        size_t n = lead ? r->n_leads : r->n_contacts;
        const crm_person *v = lead ? r->leads : r->contacts;
        for (size_t i = n; i-- > 0;) { /* prepended: the lists end up in records order */
            if (v[i].converted) continue;
            for (size_t k = 0; k < v[i].n_norm; k++) {
                bool dup = false; /* an address given twice on one record counts once */
                for (size_t j = 0; j < k && !dup; j++) dup = strcmp(v[i].norm[j].address, v[i].norm[k].address) == 0;
                if (dup) continue;
                void **slot = crm_strmap_slot(ctx, ix, v[i].norm[k].address);
                person_node *node = crm_arena_alloc(&ctx->arena, sizeof *node);
                if (slot == NULL || node == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
                node->p = &v[i];
                node->next = *slot;
                *slot = node;
            }
        }
    }
    return CRM_OK;
}

/* M1-M3: the primary match and the others. */
static crm_status match(crm_ctx *ctx, const crm_strmap *ix, crm_participant *p) {
    size_t nc = 0, nl = 0;
    const person_node *list = crm_strmap_get(ix, p->a.address);
    for (const person_node *x = list; x; x = x->next) { if (x->p->is_lead) nl++; else nc++; }
    if (nc + nl == 0) { p->status = ST_UNRESOLVED; return CRM_OK; }
    const crm_person **all = crm_arena_alloc(&ctx->arena, (nc + nl) * sizeof *all);
    if (all == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    size_t kc = 0, kl = nc;
    for (const person_node *x = list; x; x = x->next) all[x->p->is_lead ? kl++ : kc++] = x->p;
    sort_people(all, nc);
    sort_people(all + nc, nl);
    p->record = all[0];
    p->status = nc ? ST_CONTACT : ST_LEAD;
    p->also = all + 1;
    p->n_also = nc + nl - 1;
    return CRM_OK;
}

static const char *smart_record(const crm_records *r, const char *local) {
    for (size_t i = 0; i < r->n_accounts; i++) if (crm_strcaseeq(r->accounts[i].id, local)) return r->accounts[i].id;
    for (size_t i = 0; i < r->n_opps; i++) if (crm_strcaseeq(r->opps[i].id, local)) return r->opps[i].id;
    for (size_t i = 0; i < r->n_contacts; i++) if (crm_strcaseeq(r->contacts[i].id, local)) return r->contacts[i].id;
    for (size_t i = 0; i < r->n_leads; i++) if (crm_strcaseeq(r->leads[i].id, local)) return r->leads[i].id;
    return NULL;
}

crm_status crm_classify(crm_ctx *ctx, const crm_settings *s, const crm_records *r, const crm_item *it, crm_people *out) {
    out->n = it->n_parties;
    out->v = crm_arena_alloc(&ctx->arena, (it->n_parties + 1) * sizeof *out->v);
    out->outbound = false;
    if (out->v == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    crm_strmap ix = {0}, seen = {0};
    crm_status ist = index_people(ctx, r, &ix);
    if (ist != CRM_OK) return ist;
    const char *smart = s->email.smart_address_domain;
    size_t smart_n = strlen(smart);
    if (smart_n && smart[0] == '@') { smart++; smart_n--; }
    for (size_t i = 0; i < it->n_parties; i++) {
        const crm_party *pa = &it->parties[i];
        crm_participant *p = &out->v[i];
        memset(p, 0, sizeof *p);
        crm_status st = crm_addr_parse(ctx, pa->address, strlen(pa->address), &p->a);
        if (st != CRM_OK) return st;
        p->role = pa->role;
        p->response = pa->response;
        p->name = pa->name[0] ? pa->name : p->a.display_name;
        if (crm_is_self(ctx, s, &p->a)) p->status = ST_SELF;
        else if (p->a.valid && smart_n && crm_strcaseeq(p->a.domain, smart) && strlen(p->a.domain) == smart_n) {
            p->status = ST_SMART;
            p->smart_id = smart_record(r, p->a.local);
        } else if (!p->a.valid) p->status = ST_INVALID;
        else if (crm_is_internal(s, &p->a)) p->status = ST_INTERNAL;
        else if ((p->blocked_by = crm_entries_match(&s->block_all, &p->a)) != NULL) p->status = ST_BLOCKLISTED;
        else {
            /* an address seen before in this item: the same match */
            void **slot = crm_strmap_slot(ctx, &seen, p->a.address);
            if (slot == NULL) return ctx->err;
            const crm_participant *prev = *slot;
            if (prev) { p->status = prev->status; p->record = prev->record; p->also = prev->also; p->n_also = prev->n_also; }
            else if ((st = match(ctx, &ix, p)) != CRM_OK) return st;
            else *slot = p;
        }
        if (pa->role == ROLE_FROM && p->status == ST_SELF) out->outbound = true;
    }
    return CRM_OK;
}

cJSON *crm_participants_json(crm_ctx *ctx, cJSON *parent, const char *key, const crm_people *pp) {
    cJSON *arr = crm_o_arr(ctx, parent, key);
    for (size_t i = 0; arr && i < pp->n; i++) {
        const crm_participant *p = &pp->v[i];
        cJSON *o = crm_o_obj(ctx, arr, NULL);
        crm_o_str(ctx, o, "address", p->a.address);
        crm_o_str(ctx, o, "name", p->name);
        crm_o_str(ctx, o, "role", crm_role_names[p->role]);
        crm_o_str(ctx, o, "status", crm_status_names[p->status]);
        if (p->record) crm_o_str(ctx, o, "record_id", p->record->id);
        else if (p->smart_id) crm_o_str(ctx, o, "record_id", p->smart_id);
        if (p->n_also) { /* the first CRM_MAX_ALSO_MATCHED, in M2 order */
            cJSON *a = crm_o_arr(ctx, o, "also_matched");
            for (size_t k = 0; a && k < p->n_also && k < CRM_MAX_ALSO_MATCHED; k++) crm_o_str(ctx, a, NULL, p->also[k]->id);
        }
        if (p->blocked_by) crm_o_str(ctx, o, "blocked_by", p->blocked_by->text);
    }
    return arr;
}

/* The trace of A8 and M1-M3 for a classified item. */
void crm_trace_participants(crm_ctx *ctx, const crm_people *pp) {
    size_t counts[ST_UNRESOLVED + 1] = {0};
    for (size_t i = 0; i < pp->n; i++) counts[pp->v[i].status]++;
    crm_trace(ctx, "A8", "%zu participant(s): %zu self, %zu internal, %zu blocklisted, %zu invalid, %zu smart, %zu contact, %zu lead, %zu unresolved",
              pp->n, counts[ST_SELF], counts[ST_INTERNAL], counts[ST_BLOCKLISTED], counts[ST_INVALID], counts[ST_SMART],
              counts[ST_CONTACT], counts[ST_LEAD], counts[ST_UNRESOLVED]);
    if (counts[ST_INVALID]) crm_trace(ctx, "A2", "%zu invalid address(es) ignored", counts[ST_INVALID]);
    if (counts[ST_BLOCKLISTED]) crm_trace(ctx, "B4", "%zu blocklisted", counts[ST_BLOCKLISTED]);
    if (counts[ST_CONTACT] + counts[ST_LEAD]) crm_trace(ctx, "M1", "%zu matched", counts[ST_CONTACT] + counts[ST_LEAD]);
    for (size_t i = 0; i < pp->n; i++) {
        const crm_participant *p = &pp->v[i];
        if (p->n_also == 0) continue;
        bool lead_also = false;
        for (size_t k = 0; k < p->n_also; k++) lead_also = lead_also || p->also[k]->is_lead;
        if (p->status == ST_CONTACT && lead_also) crm_trace(ctx, "M3", "%s: the Contact wins over the Lead", p->a.address);
        crm_trace(ctx, "M2", "%s: %s chosen of %zu records", p->a.address, p->record->id, p->n_also + 1);
    }
}

