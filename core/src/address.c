/* address.c: address parsing and normalisation (rules A1, A2, A6, A7). */
#include <string.h>
#include "model.h"

#define CRM_MAX_ADDRESS 254

static bool is_ctl(unsigned char c) { return c < 0x20 || c == 0x7F; }

/* Trims ASCII and Unicode white space (U+00A0 and the like) at both ends. */
static void trim(const char **s, size_t *n) {
    for (;;) {
        if (*n && crm_is_space((*s)[0])) { (*s)++; (*n)--; continue; }
        if (*n && (unsigned char)(*s)[0] >= 0x80) {
            size_t i = 0;
            uint32_t cp = crm_utf8_next(*s, *n, &i, NULL);
            if (crm_unicode_space(cp)) { *s += i; *n -= i; continue; }
        }
        break;
    }
    for (;;) {
        if (*n && crm_is_space((*s)[*n - 1])) { (*n)--; continue; }
        if (*n && (unsigned char)(*s)[*n - 1] >= 0x80) {
            size_t start = *n - 1;
            while (start > 0 && ((unsigned char)(*s)[start] & 0xC0) == 0x80 && *n - start < 4) start--;
            size_t i = start;
            uint32_t cp = crm_utf8_next(*s, *n, &i, NULL);
            if (i == *n && crm_unicode_space(cp)) { *n = start; continue; }
        }
        break;
    }
}

/* Unquotes a display name: surrounding quotes removed, \x unescaped, white space folded. */
static const char *unquote_name(crm_ctx *ctx, const char *s, size_t n) {
    trim(&s, &n);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') { s++; n -= 2; }
    else if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'') { s++; n -= 2; }
    crm_buf b;
    crm_buf_init(&b, &ctx->arena);
    bool space = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < n) c = s[++i];
        else if (c == '"') continue;
        if (crm_is_space(c)) { space = b.n > 0; continue; }
        if (space) { crm_buf_putc(&b, ' '); space = false; }
        crm_buf_putc(&b, c);
    }
    return crm_buf_cstr(&b);
}

static crm_status invalid(crm_ctx *ctx, crm_addr *out, const char *s, size_t n, const char *why) {
    out->valid = false;
    out->address = crm_arena_strndup(&ctx->arena, s, n);
    out->local = out->domain = out->registered = "";
    out->why = why;
    if (out->address == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    return CRM_OK;
}

static crm_status parse(crm_ctx *ctx, const char *in, size_t len, crm_addr *out, bool registered) {
    memset(out, 0, sizeof *out);
    out->display_name = "";
    const char *s = in;
    size_t n = len;
    trim(&s, &n);
    const char *whole = s;
    size_t whole_n = n;
    /* "Name <addr>": the first '<' outside quotes, with the text ending in '>' */
    if (n && s[n - 1] == '>') {
        bool q = false;
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '\\' && q) { i++; continue; }
            if (s[i] == '"') q = !q;
            else if (s[i] == '<' && !q) {
                out->display_name = unquote_name(ctx, s, i);
                if (out->display_name == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
                s += i + 1;
                n -= i + 2;
                trim(&s, &n);
                break;
            }
        }
    }
    if (n == 0) return invalid(ctx, out, whole, whole_n, "the address is empty");
    /* local part */
    size_t at = 0;
    bool quoted = s[0] == '"';
    if (quoted) {
        size_t i = 1;
        for (; i < n && s[i] != '"'; i++) {
            if (s[i] == '\\') i++;
            else if (is_ctl((unsigned char)s[i])) return invalid(ctx, out, whole, whole_n, "a control character in the address");
        }
        if (i >= n) return invalid(ctx, out, whole, whole_n, "an unterminated quoted local part");
        if (i == 1) return invalid(ctx, out, whole, whole_n, "the local part is empty");
        at = i + 1;
        if (at >= n || s[at] != '@') return invalid(ctx, out, whole, whole_n, "no '@' after the quoted local part");
    } else {
        while (at < n && s[at] != '@') at++;
        if (at == n) return invalid(ctx, out, whole, whole_n, "no '@' in the address");
    }
    if (at == 0) return invalid(ctx, out, whole, whole_n, "the local part is empty");
    for (size_t i = quoted ? at : 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || crm_is_space((char)c)) return invalid(ctx, out, whole, whole_n, "a space in the address");
        if (is_ctl(c)) return invalid(ctx, out, whole, whole_n, "a control character in the address");
        if (c < 0x80) { i++; continue; }
        if (crm_unicode_space(crm_utf8_next(s, n, &i, NULL))) return invalid(ctx, out, whole, whole_n, "a space in the address");
    }
    const char *dom = s + at + 1;
    size_t dn = n - at - 1;
    if (dn && dom[dn - 1] == '.') dn--;
    if (dn == 0) return invalid(ctx, out, whole, whole_n, "the domain is empty");
    if (memchr(dom, '@', dn)) return invalid(ctx, out, whole, whole_n, "more than one '@' in the address");
    if (memchr(dom, '[', dn) || memchr(dom, ']', dn))
        return invalid(ctx, out, whole, whole_n, "address literals like [192.0.2.1] are not supported: use a domain name");
    const char *ldom = crm_utf8_lower(&ctx->arena, dom, dn); /* A1: lower-case, then punycode */
    if (ldom == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    char ascii[CRM_MAX_ADDRESS + 8];
    size_t an = 0;
    crm_status st = crm_domain_to_ascii(ldom, strlen(ldom), ascii, sizeof ascii, &an);
    if (st == CRM_E_TOO_LARGE) return invalid(ctx, out, whole, whole_n, "the address is longer than 254 characters");
    if (st != CRM_OK) return invalid(ctx, out, whole, whole_n, "the domain is not valid UTF-8 or cannot be converted to ASCII");
    /* labels */
    size_t start = 0;
    for (size_t i = 0; i <= an; i++) {
        if (i == an || ascii[i] == '.') {
            if (i == start) return invalid(ctx, out, whole, whole_n, "the domain has an empty label");
            if (i - start > 63) return invalid(ctx, out, whole, whole_n, "a domain label is longer than 63 characters");
            start = i + 1;
        } else if (!crm_is_alpha(ascii[i]) && !crm_is_digit(ascii[i]) && ascii[i] != '-' && ascii[i] != '_') {
            return invalid(ctx, out, whole, whole_n, "the domain has a character that is not a letter, digit or hyphen");
        }
    }
    const char *local = crm_utf8_lower(&ctx->arena, s, at);
    if (local == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    size_t ln = strlen(local);
    if (ln + 1 + an > CRM_MAX_ADDRESS) return invalid(ctx, out, whole, whole_n, "the address is longer than 254 characters");
    char *addr = crm_arena_alloc(&ctx->arena, ln + 1 + an + 1);
    if (addr == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    memcpy(addr, local, ln);
    addr[ln] = '@';
    memcpy(addr + ln + 1, ascii, an);
    addr[ln + 1 + an] = '\0';
    at = ln;
    out->valid = true;
    out->address = addr;
    out->local = crm_arena_strndup(&ctx->arena, addr, at);
    out->domain = addr + at + 1;
    size_t off = registered ? crm_registered_domain_offset(out->domain, an) : (size_t)-1;
    out->registered = off == (size_t)-1 ? "" : out->domain + off;
    out->why = NULL;
    if (out->local == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    return CRM_OK;
}

crm_status crm_addr_parse(crm_ctx *ctx, const char *in, size_t len, crm_addr *out) { return parse(ctx, in, len, out, true); }
crm_status crm_addr_parse_plain(crm_ctx *ctx, const char *in, size_t len, crm_addr *out) { return parse(ctx, in, len, out, false); }

/* Role addresses (A6); a "+tag" is ignored, so bounces+123@ is a role address. */
bool crm_is_role_local(const char *local) {
    static const char *const roles[] = {"noreply", "no-reply", "donotreply", "mailer-daemon", "postmaster",
                                        "bounce", "bounces", "notifications", NULL};
    size_t n = strcspn(local, "+");
    for (size_t i = 0; roles[i]; i++)
        if (strlen(roles[i]) == n && memcmp(roles[i], local, n) == 0) return true;
    return false;
}
