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
        /* written back, ".x@y" would read as a suffix entry: not an address entry */
        if (a.address[0] == '.') { *why = "an address entry cannot start with '.'"; return CRM_E_BAD_ENTRY; }
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

/* B2 separators: commas, semicolons and white space, Unicode spaces (U+00A0...) included.
 * When text[*i] starts one, *i moves past it and true is returned. */
static bool sep_at(const char *text, size_t len, size_t *i) {
    char c = text[*i];
    if (c == ',' || c == ';' || crm_is_space(c)) { (*i)++; return true; }
    if ((unsigned char)c < 0x80) return false;
    size_t j = *i;
    if (!crm_unicode_space(crm_utf8_next(text, len, &j, NULL))) return false;
    *i = j;
    return true;
}

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

static uint32_t entry_hash(crm_entry_kind k, const char *v) {
    uint32_t h = 2166136261u ^ (uint32_t)k;
    for (; *v; v++) h = (h ^ (unsigned char)*v) * 16777619u;
    return h;
}

/* Rebuilds the index with room for twice the entries. */
static bool reindex(crm_ctx *ctx, crm_entries *l, size_t want) {
    size_t ns = 16;
    while (ns < want * 2) ns *= 2;
    uint32_t *slot = crm_arena_alloc(&ctx->arena, ns * sizeof *slot);
    if (slot == NULL) { crm_fail(ctx, CRM_E_NOMEM, NULL, ""); return false; }
    memset(slot, 0, ns * sizeof *slot);
    for (size_t i = 0; i < l->n; i++) {
        size_t h = entry_hash(l->v[i].kind, l->v[i].value) & (ns - 1);
        while (slot[h]) h = (h + 1) & (ns - 1);
        slot[h] = (uint32_t)(i + 1);
    }
    l->slot = slot;
    l->nslot = ns;
    return true;
}

/* Appends `e` unless an equal entry is there (B2: first occurrence kept); expected O(1). */
crm_status crm_entries_add(crm_ctx *ctx, crm_entries *out, const crm_entry *e) {
    if (out->nslot < (out->n + 1) * 2 && !reindex(ctx, out, out->n + 1)) return CRM_E_NOMEM;
    size_t h = entry_hash(e->kind, e->value) & (out->nslot - 1);
    for (; out->slot[h]; h = (h + 1) & (out->nslot - 1)) {
        const crm_entry *x = &out->v[out->slot[h] - 1];
        if (x->kind == e->kind && strcmp(x->value, e->value) == 0) return CRM_OK;
    }
    if (!grow(ctx, (void **)&out->v, &out->cap, out->n, sizeof *out->v)) return CRM_E_NOMEM;
    out->v[out->n] = *e;
    out->slot[h] = (uint32_t)(++out->n);
    return CRM_OK;
}

crm_status crm_entries_parse(crm_ctx *ctx, const char *text, size_t len, crm_entries *out, crm_entry_errors *errs, size_t *index) {
    size_t i = 0;
    while (i < len) {
        while (i < len && sep_at(text, len, &i)) {}
        if (i >= len) break;
        size_t start = i;
        while (i < len) {
            size_t j = i;
            if (sep_at(text, len, &j)) break;
            if ((unsigned char)text[i] < 0x80) i++;
            else crm_utf8_next(text, len, &i, NULL);
        }
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
            er->message = crm_fmt_message(&ctx->arena, "entry %zu '%s': %s", *index, er->input ? er->input : "", why ? why : "");
            if (er->input == NULL || er->message == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        } else if (crm_entries_add(ctx, out, &e) != CRM_OK) {
            return CRM_E_NOMEM;
        }
        (*index)++;
    }
    return CRM_OK;
}

static const crm_entry *find(const crm_entries *l, crm_entry_kind k, const char *v) {
    if (l->n == 0 || l->slot == NULL) return NULL;
    for (size_t h = entry_hash(k, v) & (l->nslot - 1); l->slot[h]; h = (h + 1) & (l->nslot - 1)) {
        const crm_entry *x = &l->v[l->slot[h] - 1];
        if (x->kind == k && strcmp(x->value, v) == 0) return x;
    }
    return NULL;
}

/* B4: a domain entry equal to the domain, or a suffix entry equal to it or to one of its
 * parent domains; lookups in the index, so long lists cost nothing per participant. The
 * first entry of the list that covers it is reported. */
const crm_entry *crm_entries_match_domain(const crm_entries *list, const char *domain) {
    const crm_entry *best = find(list, CRM_ENTRY_DOMAIN, domain);
    for (const char *d = domain; d; d = strchr(d, '.'), d = d ? d + 1 : NULL) {
        const crm_entry *x = find(list, CRM_ENTRY_SUFFIX, d);
        if (x && (best == NULL || x < best)) best = x;
    }
    return best;
}

const crm_entry *crm_entries_match(const crm_entries *list, const crm_addr *a) {
    if (!a->valid) return NULL;
    const crm_entry *x = find(list, CRM_ENTRY_ADDRESS, a->address);
    const crm_entry *y = crm_entries_match_domain(list, a->domain);
    return x && (y == NULL || x < y) ? x : y;
}
