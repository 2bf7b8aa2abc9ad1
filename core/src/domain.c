/* core/src/domain.c: registered domains by the public suffix list (rule A7) and the bundled
 * free-mail list (rule A5), over the generated tables of domain_data.h. Pure: no I/O, no
 * allocation. */
#include <string.h>
#include "crm/domain.h"
#include "domain_data.h"

/* Compares key (k, kn) with entry i of a table: memcmp order, a shorter key first. */
static int cmp_entry(const char *k, size_t kn, const uint32_t *off, const char *blob, uint32_t i)
{
    uint32_t s = off[i] & CRM_DD_OFF_MASK, e = off[i + 1] & CRM_DD_OFF_MASK;
    size_t en = (size_t)(e - s);
    int c = memcmp(k, blob + s, kn < en ? kn : en);
    if (c != 0) return c;
    return kn < en ? -1 : (kn > en ? 1 : 0);
}

/* The flags of key (k, kn) in a table, or -1 when absent. Binary search. */
static int lookup(const char *k, size_t kn, uint32_t n, const uint32_t *off, const char *blob)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = cmp_entry(k, kn, off, blob, mid);
        if (c == 0) return (int)CRM_DD_FLAGS(off[mid]);
        if (c < 0) hi = mid; else lo = mid + 1;
    }
    return -1;
}

size_t crm_registered_domain_offset(const char *domain, size_t len)
{
    /* Label starts, right to left: starts[0] is the rightmost label. A domain has at most
     * 127 labels within 255 bytes; longer input is still handled: only the rightmost
     * MAX_LABELS suffixes are looked up, far beyond the longest rule (a few labels). */
    enum { MAX_LABELS = 128 };
    size_t starts[MAX_LABELS + 2];
    size_t nl = 0;
    if (domain == NULL || len == 0) return (size_t)-1;
    /* Find label starts and reject empty labels. */
    size_t end = len;
    for (size_t i = len; ; i--) {
        if (i == 0 || domain[i - 1] == '.') {
            if (i == end) return (size_t)-1; /* empty label */
            if (nl < MAX_LABELS + 2) starts[nl] = i;
            nl++;
            if (i == 0) break;
            end = i - 1;
        }
    }
    /* Prevailing rule, in labels of the public suffix: default "*" gives 1. */
    size_t ps = 1;
    size_t lim = nl < MAX_LABELS ? nl : MAX_LABELS; /* so ps <= MAX_LABELS + 1 */
    for (size_t c = 1; c <= lim; c++) {
        size_t s = starts[c - 1];
        int f = lookup(domain + s, len - s, crm_psl_n, crm_psl_off, crm_psl_blob);
        if (f < 0) continue;
        if (f & CRM_PSL_EXC) { ps = c - 1; break; } /* an exception prevails: drop its leftmost label */
        if ((f & CRM_PSL_RULE) && c > ps) ps = c;
        if ((f & CRM_PSL_WILD) && c < nl && c + 1 > ps) ps = c + 1;
    }
    if (ps >= nl) return (size_t)-1; /* the domain is itself a public suffix */
    return starts[ps];
}

bool crm_freemail_bundled(const char *domain, size_t len)
{
    if (domain == NULL || len == 0) return false;
    return lookup(domain, len, crm_freemail_n, crm_freemail_off, crm_freemail_blob) >= 0;
}

const char *crm_domain_data_version(void)
{
    return crm_domain_data_version_str;
}
