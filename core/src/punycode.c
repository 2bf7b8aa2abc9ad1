/* core/src/punycode.c: Punycode (RFC 3492) and the ASCII form of a UTF-8 domain (rule A1).
 * Pure: no I/O, no allocation; everything is written into caller buffers. */
#include <stdbool.h>
#include <string.h>
#include "crm/punycode.h"

/* RFC 3492 section 5: the Bootstring parameters of Punycode. */
#define BASE 36u
#define TMIN 1u
#define TMAX 26u
#define SKEW 38u
#define DAMP 700u
#define INITIAL_BIAS 72u
#define INITIAL_N 0x80u
#define MAXINT UINT32_C(0xffffffff)

static bool is_scalar(uint32_t c) { return c <= 0x10ffffu && (c < 0xd800u || c > 0xdfffu); }

/* RFC 3492 6.1 */
static uint32_t adapt(uint32_t delta, uint32_t numpoints, bool first)
{
    uint32_t k = 0;
    delta = first ? delta / DAMP : delta / 2;
    delta += delta / numpoints;
    while (delta > ((BASE - TMIN) * TMAX) / 2) {
        delta /= BASE - TMIN;
        k += BASE;
    }
    return k + (BASE - TMIN + 1) * delta / (delta + SKEW);
}

static char encode_digit(uint32_t d) { return (char)(d < 26 ? 'a' + d : '0' + (d - 26)); }

static uint32_t threshold(uint32_t k, uint32_t bias)
{
    return k <= bias ? TMIN : (k >= bias + TMAX ? TMAX : k - bias);
}

/* RFC 3492 6.3 */
crm_status crm_punycode_encode(const uint32_t *cp, size_t n, char *out, size_t cap, size_t *out_len)
{
    size_t o = 0, b = 0;
    if (out_len) *out_len = 0;
    for (size_t j = 0; j < n; j++)
        if (!is_scalar(cp[j])) return CRM_E_BAD_ADDRESS;
    if (n > MAXINT) return CRM_E_TOO_LARGE;
    for (size_t j = 0; j < n; j++) {
        if (cp[j] < 0x80) {
            if (o + 1 >= cap) return CRM_E_TOO_LARGE;
            out[o++] = (char)cp[j];
        }
    }
    b = o;
    if (b > 0) {
        if (o + 1 >= cap) return CRM_E_TOO_LARGE;
        out[o++] = '-';
    }
    uint32_t nn = INITIAL_N, delta = 0, bias = INITIAL_BIAS, h = (uint32_t)b;
    while (h < n) {
        uint32_t m = MAXINT;
        for (size_t j = 0; j < n; j++)
            if (cp[j] >= nn && cp[j] < m) m = cp[j];
        if (m - nn > (MAXINT - delta) / (h + 1)) return CRM_E_TOO_LARGE; /* overflow */
        delta += (m - nn) * (h + 1);
        nn = m;
        for (size_t j = 0; j < n; j++) {
            if (cp[j] < nn && ++delta == 0) return CRM_E_TOO_LARGE; /* overflow */
            if (cp[j] == nn) {
                uint32_t q = delta;
                for (uint32_t k = BASE;; k += BASE) {
                    uint32_t t = threshold(k, bias);
                    if (q < t) break;
                    if (o + 1 >= cap) return CRM_E_TOO_LARGE;
                    out[o++] = encode_digit(t + (q - t) % (BASE - t));
                    q = (q - t) / (BASE - t);
                }
                if (o + 1 >= cap) return CRM_E_TOO_LARGE;
                out[o++] = encode_digit(q);
                bias = adapt(delta, h + 1, h == b);
                delta = 0;
                h++;
            }
        }
        if (++delta == 0) return CRM_E_TOO_LARGE; /* overflow */
        nn++;
    }
    if (cap == 0) return CRM_E_TOO_LARGE;
    out[o] = '\0';
    if (out_len) *out_len = o;
    return CRM_OK;
}

static int decode_digit(char c)
{
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= '0' && c <= '9') return c - '0' + 26;
    return -1;
}

/* RFC 3492 6.2 */
crm_status crm_punycode_decode(const char *in, size_t len, uint32_t *cp, size_t cap, size_t *out_n)
{
    size_t b = 0, out = 0, pos;
    if (out_n) *out_n = 0;
    for (size_t j = 0; j < len; j++) {
        if ((unsigned char)in[j] >= 0x80) return CRM_E_BAD_ADDRESS;
        if (in[j] == '-') b = j;
    }
    /* b is the last delimiter, or 0 (none, or at the very start: no basic code points) */
    for (size_t j = 0; j < b; j++) {
        if (out >= cap) return CRM_E_TOO_LARGE;
        cp[out++] = (unsigned char)in[j];
    }
    pos = b > 0 ? b + 1 : ((len > 0 && in[0] == '-') ? 1 : 0);
    uint32_t n = INITIAL_N, i = 0, bias = INITIAL_BIAS;
    while (pos < len) {
        uint32_t oldi = i, w = 1;
        for (uint32_t k = BASE;; k += BASE) {
            if (pos >= len) return CRM_E_BAD_ADDRESS; /* truncated */
            int d = decode_digit(in[pos++]);
            if (d < 0) return CRM_E_BAD_ADDRESS;
            uint32_t digit = (uint32_t)d;
            if (digit > (MAXINT - i) / w) return CRM_E_BAD_ADDRESS; /* overflow */
            i += digit * w;
            uint32_t t = threshold(k, bias);
            if (digit < t) break;
            if (w > MAXINT / (BASE - t)) return CRM_E_BAD_ADDRESS; /* overflow */
            w *= BASE - t;
        }
        if (out >= MAXINT) return CRM_E_BAD_ADDRESS;
        uint32_t cnt = (uint32_t)out + 1;
        bias = adapt(i - oldi, cnt, oldi == 0);
        if (i / cnt > MAXINT - n) return CRM_E_BAD_ADDRESS; /* overflow */
        n += i / cnt;
        i %= cnt;
        if (!is_scalar(n) || n < INITIAL_N) return CRM_E_BAD_ADDRESS;
        if (out >= cap) return CRM_E_TOO_LARGE;
        memmove(cp + i + 1, cp + i, (out - i) * sizeof *cp);
        cp[i++] = n;
        out++;
    }
    if (out_n) *out_n = out;
    return CRM_OK;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
 * Returns the code point and advances *i, or returns UINT32_MAX when invalid. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned char c = s[*i];
    uint32_t v, min;
    size_t need;
    if (c < 0x80) { (*i)++; return c; }
    if (c >= 0xc2 && c <= 0xdf) { need = 1; v = c & 0x1fu; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { need = 2; v = c & 0x0fu; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 3; v = c & 0x07u; min = 0x10000; }
    else return UINT32_MAX;
    if (len - *i <= need) return UINT32_MAX;
    for (size_t k = 1; k <= need; k++) {
        unsigned char d = s[*i + k];
        if ((d & 0xc0) != 0x80) return UINT32_MAX;
        v = v << 6 | (d & 0x3fu);
    }
    if (v < min || !is_scalar(v)) return UINT32_MAX;
    *i += need + 1;
    return v;
}

static char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

/* The longest label (in code points) that is converted; a DNS label has at most 63 octets,
 * so a longer one cannot be a valid domain anyway. */
enum { MAX_LABEL_CP = 256 };

crm_status crm_domain_to_ascii(const char *in, size_t len, char *out, size_t cap, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t o = 0, start = 0;
    if (out_len) *out_len = 0;
    if (cap == 0) return CRM_E_TOO_LARGE;
    while (start <= len) {
        size_t end = start;
        bool ascii = true;
        while (end < len && s[end] != '.') {
            if (s[end] >= 0x80) ascii = false;
            if (s[end] == 0) return CRM_E_BAD_ADDRESS; /* would truncate the C string */
            end++;
        }
        if (ascii) {
            if (end - start >= cap - o) return CRM_E_TOO_LARGE;
            for (size_t j = start; j < end; j++) out[o++] = ascii_lower(in[j]);
        } else {
            uint32_t cps[MAX_LABEL_CP];
            size_t n = 0, i = start, plen = 0;
            while (i < end) {
                uint32_t c = utf8_next(s, end, &i);
                if (c == UINT32_MAX) return CRM_E_BAD_ADDRESS;
                if (n == MAX_LABEL_CP) return CRM_E_TOO_LARGE;
                cps[n++] = (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
            }
            if (cap - o <= 4) return CRM_E_TOO_LARGE;
            memcpy(out + o, "xn--", 4);
            o += 4;
            crm_status st = crm_punycode_encode(cps, n, out + o, cap - o, &plen);
            if (st != CRM_OK) return st;
            o += plen;
        }
        if (end == len) break;
        if (o + 1 >= cap) return CRM_E_TOO_LARGE;
        out[o++] = '.';
        start = end + 1;
    }
    out[o] = '\0';
    if (out_len) *out_len = o;
    return CRM_OK;
}
