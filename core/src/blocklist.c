/* blocklist.c: blocklist entries (rules B2-B4), shared with internal_domains (A4). */
#include <string.h>
#include "model.h"

static bool domain_char(char c) { return crm_is_alpha(c) || crm_is_digit(c) || c == '-' || c == '_'; }

/* Normalises a domain entry into *out ("acme.com"); NULL *why when valid. */
static crm_status norm_domain(crm_ctx *ctx, const char *d, size_t n, const char **out, const char **why) {
    if (n && d[n - 1] == '.') n--;
    if (n == 0) { *why = "the domain is empty"; return CRM_E_BAD_ENTRY; }
    char ascii[260];
    size_t an = 0;
    const char *ld = crm_utf8_lower(&ctx->arena, d, n);
    if (ld == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    crm_status st = crm_domain_to_ascii(ld, strlen(ld), ascii, sizeof ascii, &an);
    if (st != CRM_OK || an > 253) { *why = "the domain is too long or not valid"; return CRM_E_BAD_ENTRY; }
    size_t start = 0;
    for (size_t i = 0; i <= an; i++) {
        if (i == an || ascii[i] == '.') {
            if (i == start) { *why = "the domain has an empty label"; return CRM_E_BAD_ENTRY; }
            if (i - start > 63) { *why = "a domain label is longer than 63 characters"; return CRM_E_BAD_ENTRY; }
            start = i + 1;
        } else if (!domain_char(ascii[i])) {
            *why = "the domain has a character that is not a letter, digit or hyphen";
            return CRM_E_BAD_ENTRY;
        }
    }
    *out = crm_arena_strndup(&ctx->arena, ascii, an);
    if (*out == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    return CRM_OK;
}

crm_status crm_entry_parse_token(crm_ctx *ctx, const char *tok, size_t n, crm_entry *out, const char **why) {
    *why = NULL;
    if (memchr(tok, '*', n) || memchr(tok, '?', n)) {
        *why = "wildcards are not supported; write '.domain' to cover a domain and all its subdomains";
        return CRM_E_WILDCARD;
    }
    crm_status st;
    if (tok[0] == '.' || tok[0] == '@') {
        out->kind = tok[0] == '.' ? CRM_ENTRY_SUFFIX : CRM_ENTRY_DOMAIN;
        if (n > 1 && tok[1] == '.' && tok[0] == '.') { *why = "the domain has an empty label"; return CRM_E_BAD_ENTRY; }
        if (memchr(tok + 1, '@', n - 1)) { *why = "an address entry needs a local part before '@'"; return CRM_E_BAD_ENTRY; }
        st = norm_domain(ctx, tok + 1, n - 1, &out->value, why);
    } else if (memchr(tok, '@', n)) {
        crm_addr a;
        st = crm_addr_parse(ctx, tok, n, &a);
        if (st != CRM_OK) return st;
        if (!a.valid) { *why = a.why; return CRM_E_BAD_ENTRY; }
        out->kind = CRM_ENTRY_ADDRESS;
        out->value = a.address;
    } else {
        out->kind = CRM_ENTRY_DOMAIN;
        st = norm_domain(ctx, tok, n, &out->value, why);
    }
    if (st != CRM_OK) return st;
    out->text = out->kind == CRM_ENTRY_SUFFIX ? crm_fmt(&ctx->arena, ".%s", out->value) : out->value;
    if (out->text == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    return CRM_OK;
}

static bool is_sep(char c) { return c == ',' || c == ';' || crm_is_space(c); }

static bool grow(crm_ctx *ctx, void **v, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return true;
    size_t nc = *cap ? *cap * 2 : 8;
    void *p = crm_arena_alloc(&ctx->arena, nc * elem);
    if (p == NULL) { crm_fail(ctx, CRM_E_NOMEM, NULL, ""); return false; }
    if (n) memcpy(p, *v, n * elem);
    *v = p;
    *cap = nc;
    return true;
}

static bool entries_have(const crm_entries *l, const crm_entry *e) {
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].kind == e->kind && strcmp(l->v[i].value, e->value) == 0) return true;
    return false;
}

crm_status crm_entries_add(crm_ctx *ctx, crm_entries *out, const crm_entry *e) {
    if (entries_have(out, e)) return CRM_OK;
    if (!grow(ctx, (void **)&out->v, &out->cap, out->n, sizeof *out->v)) return CRM_E_NOMEM;
    out->v[out->n++] = *e;
    return CRM_OK;
}

crm_status crm_entries_parse(crm_ctx *ctx, const char *text, size_t len, crm_entries *out, crm_entry_errors *errs, size_t *index) {
    size_t i = 0;
    while (i < len) {
        while (i < len && is_sep(text[i])) i++;
        if (i >= len) break;
        size_t start = i;
        while (i < len && !is_sep(text[i])) i++;
        crm_entry e;
        const char *why = NULL;
        crm_status st = crm_entry_parse_token(ctx, text + start, i - start, &e, &why);
        if (st == CRM_E_NOMEM || ctx->err == CRM_E_NOMEM) return CRM_E_NOMEM;
        if (st != CRM_OK) {
            if (!grow(ctx, (void **)&errs->v, &errs->cap, errs->n, sizeof *errs->v)) return CRM_E_NOMEM;
            crm_entry_error *er = &errs->v[errs->n++];
            er->index = *index;
            er->input = crm_arena_strndup(&ctx->arena, text + start, i - start);
            er->code = st;
            er->message = crm_fmt(&ctx->arena, "entry %zu '%s': %s", *index, er->input ? er->input : "", why ? why : "");
            if (er->input == NULL || er->message == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        } else if (crm_entries_add(ctx, out, &e) != CRM_OK) {
            return CRM_E_NOMEM;
        }
        (*index)++;
    }
    return CRM_OK;
}

const crm_entry *crm_entries_match_domain(const crm_entries *list, const char *domain) {
    size_t dn = strlen(domain);
    for (size_t i = 0; i < list->n; i++) {
        const crm_entry *e = &list->v[i];
        if (e->kind == CRM_ENTRY_DOMAIN && strcmp(e->value, domain) == 0) return e;
        if (e->kind == CRM_ENTRY_SUFFIX) {
            size_t vn = strlen(e->value);
            if (strcmp(e->value, domain) == 0) return e;
            if (dn > vn && domain[dn - vn - 1] == '.' && memcmp(domain + dn - vn, e->value, vn) == 0) return e;
        }
    }
    return NULL;
}

const crm_entry *crm_entries_match(const crm_entries *list, const crm_addr *a) {
    if (!a->valid) return NULL;
    for (size_t i = 0; i < list->n; i++)
        if (list->v[i].kind == CRM_ENTRY_ADDRESS && strcmp(list->v[i].value, a->address) == 0) return &list->v[i];
    return crm_entries_match_domain(list, a->domain);
}
