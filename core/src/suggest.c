/* suggest.c: suggested new records (rules N1-N5). */
#include <string.h>
#include "model.h"

static const char *capitalise(crm_ctx *ctx, const char *s, size_t n) {
    char *o = crm_arena_strndup(&ctx->arena, s, n);
    if (o == NULL) return NULL;
    for (size_t i = 0; i < n; i++) o[i] = i == 0 ? (char)(crm_is_alpha(o[i]) ? (o[i] & ~0x20) : o[i]) : crm_lower(o[i]);
    return o;
}

static bool honorific(const char *t, size_t n) {
    static const char *const h[] = {"mr", "mrs", "ms", "dr", "prof", "miss", NULL};
    if (n && t[n - 1] == '.') n--;
    for (size_t i = 0; h[i]; i++) {
        if (strlen(h[i]) != n) continue;
        size_t k = 0;
        while (k < n && crm_lower(t[k]) == h[i][k]) k++;
        if (k == n) return true;
    }
    return false;
}

/* Fits a name into `limit` UTF-16 units (F2: FirstName 40, LastName 80). */
static const char *fit(crm_ctx *ctx, const char *s, long limit) {
    size_t n = strlen(s);
    size_t keep = crm_utf16_prefix(s, n, (size_t)limit);
    return keep == n ? s : crm_arena_strndup(&ctx->arena, s, keep);
}

/* N2: names from the display name, else from the local part. */
static crm_status names(crm_ctx *ctx, const crm_settings *s, const crm_participant *p, const char **first, const char **last) {
    *first = "";
    *last = "";
    /* quotes dropped: every '"', and single quotes wrapping the whole name (O'Brien keeps
     * its apostrophe); a display name that is just the address counts as none */
    crm_buf nb;
    crm_buf_init(&nb, &ctx->arena);
    const char *nm = p->name;
    size_t nl = strlen(nm);
    while (nl && crm_is_space(nm[nl - 1])) nl--;
    while (nl && crm_is_space(*nm)) { nm++; nl--; }
    if (nl >= 2 && nm[0] == '\'' && nm[nl - 1] == '\'') { nm++; nl -= 2; }
    for (size_t i = 0; i < nl; i++) if (nm[i] != '"') crm_buf_putc(&nb, nm[i]);
    const char *name = crm_buf_cstr(&nb);
    if (name == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    if (crm_strcaseeq(name, p->a.address) || (name[0] == '<' && strchr(name, '@'))) name = "";
    /* tokens of the display name, quotes dropped, honorifics dropped */
    const char *tok[32];
    size_t tn[32], nt = 0;
    const char *comma = strchr(name, ',');
    crm_buf fb, lb;
    crm_buf_init(&fb, &ctx->arena);
    crm_buf_init(&lb, &ctx->arena);
    for (size_t pass = 0; pass < 2; pass++) {
        /* pass 0: before the comma (or all); pass 1: after the comma */
        const char *a = pass == 0 ? name : (comma ? comma + 1 : NULL);
        const char *b = pass == 0 ? (comma ? comma : name + strlen(name)) : (comma ? name + strlen(name) : NULL);
        if (a == NULL) break;
        size_t start_nt = nt;
        const char *q = a;
        while (q < b && nt < 32) {
            while (q < b && (crm_is_space(*q) || *q == '"' || *q == '\'')) q++;
            const char *t = q;
            while (q < b && !crm_is_space(*q) && *q != '"') q++;
            if (q > t && !honorific(t, (size_t)(q - t))) { tok[nt] = t; tn[nt] = (size_t)(q - t); nt++; }
        }
        if (comma && pass == 0) {
            /* "Last, First": the part before the comma is the last name */
            for (size_t i = start_nt; i < nt; i++) { if (i > start_nt) crm_buf_putc(&lb, ' '); crm_buf_put(&lb, tok[i], tn[i]); }
            nt = start_nt;
        } else if (comma && pass == 1) {
            for (size_t i = start_nt; i < nt; i++) { if (i > start_nt) crm_buf_putc(&fb, ' '); crm_buf_put(&fb, tok[i], tn[i]); }
        }
    }
    if (!comma && nt > 0) {
        for (size_t i = 0; i + 1 < nt; i++) { if (i) crm_buf_putc(&fb, ' '); crm_buf_put(&fb, tok[i], tn[i]); }
        crm_buf_put(&lb, tok[nt - 1], tn[nt - 1]);
    }
    const char *f = crm_buf_cstr(&fb), *l = crm_buf_cstr(&lb);
    if (f == NULL || l == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    if (l[0] == '\0' && f[0] != '\0') { l = f; f = ""; }
    if (l[0] == '\0') {
        /* from the local part: 2+ alphabetic parts split on '.', '_' or '-' */
        const char *local = p->a.local;
        size_t parts = 0, ln = strlen(local);
        bool alpha = ln > 0;
        size_t i = 0;
        while (i <= ln && alpha) {
            size_t st = i;
            while (i < ln && local[i] != '.' && local[i] != '_' && local[i] != '-') {
                if (!crm_is_alpha(local[i])) alpha = false;
                i++;
            }
            if (i == st) alpha = false;
            parts++;
            i++;
        }
        if (alpha && parts >= 2) {
            crm_buf_init(&fb, &ctx->arena);
            const char *q = local, *end = local + ln, *lastp = local;
            for (const char *x = local; x < end; x++) if (*x == '.' || *x == '_' || *x == '-') lastp = x + 1;
            while (q < lastp - 1) {
                const char *t = q;
                while (q < end && *q != '.' && *q != '_' && *q != '-') q++;
                if (fb.n) crm_buf_putc(&fb, ' ');
                const char *c = capitalise(ctx, t, (size_t)(q - t));
                if (c == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
                crm_buf_puts(&fb, c);
                q++;
            }
            f = crm_buf_cstr(&fb);
            l = capitalise(ctx, lastp, (size_t)(end - lastp));
        } else {
            f = "";
            l = local;
        }
        if (f == NULL || l == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    }
    *first = fit(ctx, f, crm_field_limit(s, "Contact.FirstName", 40));
    *last = fit(ctx, l, crm_field_limit(s, "Contact.LastName", 80));
    if (*first == NULL || *last == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    return CRM_OK;
}

/* The registered domain of a website ("https://www.acme.com/x" -> "acme.com"). */
static const char *website_reg(crm_ctx *ctx, const char *w) {
    const char *h = strstr(w, "://");
    h = h ? h + 3 : w;
    size_t n = strcspn(h, "/?#:");
    const char *at = memchr(h, '@', n);
    if (at) { n -= (size_t)(at + 1 - h); h = at + 1; }
    if (n == 0) return "";
    char *lower = crm_arena_strndup(&ctx->arena, h, n);
    if (lower == NULL) return NULL;
    char ascii[260];
    size_t an;
    if (n && lower[n - 1] == '.') lower[--n] = '\0';
    const char *ll = crm_utf8_lower(&ctx->arena, lower, n);
    if (ll == NULL || crm_domain_to_ascii(ll, strlen(ll), ascii, sizeof ascii, &an) != CRM_OK) return "";
    size_t off = crm_registered_domain_offset(ascii, an);
    if (off == (size_t)-1) return "";
    return crm_arena_strdup(&ctx->arena, ascii + off);
}

/* N3: the first Account (in records order) sharing the registered domain. */
static const crm_account *account_for(crm_ctx *ctx, const crm_records *r, const char *reg) {
    if (reg[0] == '\0') return NULL;
    for (size_t i = 0; i < r->n_accounts; i++) {
        crm_account *a = &r->accounts[i];
        if (a->regs == NULL) {
            a->regs = crm_arena_alloc(&ctx->arena, (a->n_domains + 1) * sizeof *a->regs);
            if (a->regs == NULL) return NULL;
            a->n_regs = 0;
            const char *w = a->website[0] ? website_reg(ctx, a->website) : "";
            if (w && w[0]) a->regs[a->n_regs++] = w;
            for (size_t k = 0; k < a->n_domains; k++) {
                const char *d = website_reg(ctx, a->domains[k][0] == '@' ? a->domains[k] + 1 : a->domains[k]);
                if (d && d[0]) a->regs[a->n_regs++] = d;
            }
        }
        for (size_t k = 0; k < a->n_regs; k++)
            if (strcmp(a->regs[k], reg) == 0) return a;
    }
    return NULL;
}

const char *crm_company_from_domain(crm_ctx *ctx, const crm_addr *a);
const char *crm_company_from_domain(crm_ctx *ctx, const crm_addr *a) {
    const char *d = a->registered[0] ? a->registered : a->domain;
    size_t n = strcspn(d, ".");
    uint32_t cp[64];
    size_t ncp = 0;
    if (n > 4 && memcmp(d, "xn--", 4) == 0 && crm_punycode_decode(d + 4, n - 4, cp, 64, &ncp) == CRM_OK && ncp) {
        /* an IDN label reads as its Unicode form: xn--bcher-kva -> Bücher */
        crm_buf b;
        crm_buf_init(&b, &ctx->arena);
        for (size_t i = 0; i < ncp; i++) {
            char tmp[4];
            size_t k = crm_utf8_put(tmp, i == 0 ? crm_unicode_upper(cp[i]) : crm_unicode_lower(cp[i]));
            crm_buf_put(&b, tmp, k);
        }
        return crm_buf_cstr(&b);
    }
    return capitalise(ctx, d, n);
}

crm_status crm_suggest(crm_ctx *ctx, const crm_settings *s, const crm_records *r, const crm_people *pp, crm_suggestions *out) {
    crm_strset seen = {0};
    out->n = 0;
    out->v = crm_arena_alloc(&ctx->arena, (pp->n + 1) * sizeof *out->v);
    if (out->v == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    for (size_t i = 0; i < pp->n; i++) {
        const crm_participant *p = &pp->v[i];
        if (p->status != ST_UNRESOLVED) continue;
        if (crm_is_role_local(p->a.local)) { crm_trace(ctx, "A6", "%s is a role address: not suggested", p->a.address); continue; }
        int fresh = crm_strset_add(ctx, &seen, p->a.address);
        if (fresh < 0) return ctx->err;
        if (fresh == 0) continue; /* N1: de-duplicated by address */
        crm_suggestion *sg = &out->v[out->n++];
        memset(sg, 0, sizeof *sg);
        sg->p = p;
        sg->freemail = crm_is_freemail(s, p->a.domain);
        crm_status st = names(ctx, s, p, &sg->first_name, &sg->last_name);
        if (st != CRM_OK) return st;
        const crm_account *acc = sg->freemail ? NULL : account_for(ctx, r, p->a.registered);
        if (ctx->err) return ctx->err;
        if (acc) {
            sg->kind = KIND_CONTACT;
            sg->account_id = acc->id;
            crm_trace(ctx, "N3", "%s: Account %s shares the domain %s", p->a.address, acc->id, p->a.registered);
            continue;
        }
        sg->kind = s->email.create_kind;
        const char *company = sg->freemail ? "[not provided]" : crm_company_from_domain(ctx, &p->a);
        if (company == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        if (sg->kind == KIND_LEAD) {
            sg->company = company;
        } else if (!sg->freemail) {
            sg->new_account_name = company;
            sg->new_account_website = crm_fmt(&ctx->arena, "https://%s", p->a.registered[0] ? p->a.registered : p->a.domain);
            if (sg->new_account_website == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        }
        crm_trace(ctx, "N4", "%s: suggest a %s%s", p->a.address, sg->kind == KIND_LEAD ? "Lead" : "Contact",
                  sg->kind == KIND_CONTACT && !sg->freemail ? " with a new Account" : "");
    }
    if (out->n) crm_trace(ctx, "N1", "%zu suggestion(s)", out->n);
    return CRM_OK;
}

cJSON *crm_suggestions_json(crm_ctx *ctx, cJSON *parent, const char *key, const crm_suggestions *sg) {
    cJSON *arr = crm_o_arr(ctx, parent, key);
    for (size_t i = 0; arr && i < sg->n; i++) {
        const crm_suggestion *x = &sg->v[i];
        cJSON *o = crm_o_obj(ctx, arr, NULL);
        crm_o_str(ctx, o, "address", x->p->a.address);
        crm_o_str(ctx, o, "name", x->p->name);
        crm_o_str(ctx, o, "kind", x->kind == KIND_LEAD ? "lead" : "contact");
        crm_o_str(ctx, o, "first_name", x->first_name);
        crm_o_str(ctx, o, "last_name", x->last_name);
        if (x->company) crm_o_str(ctx, o, "company", x->company);
        if (x->account_id) crm_o_str(ctx, o, "account_id", x->account_id);
        if (x->new_account_name) {
            cJSON *na = crm_o_obj(ctx, o, "new_account");
            crm_o_str(ctx, na, "name", x->new_account_name);
            crm_o_str(ctx, na, "website", x->new_account_website);
        }
        cJSON *d = crm_o_arr(ctx, o, "do_not_sync");
        crm_o_str(ctx, d, NULL, "address");
        if (!x->freemail) crm_o_str(ctx, d, NULL, "domain");
    }
    return arr;
}
