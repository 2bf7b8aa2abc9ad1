/* core/src/domain.c: registered domains by the public suffix list (rule A7) and the bundled
 * free-mail list (rule A5), over the generated tables of domain_data.h. Pure: no I/O, no
 * allocation. */
#include <string.h>
#include "crm/domain.h"
#include "domain_data.h"

/* memcmp order, a shorter key first on a common prefix */
static int cmp_keys(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c != 0) return c;
    return an < bn ? -1 : (an > bn ? 1 : 0);
}

size_t crm_dd_entry(const crm_dd_table *t, uint32_t i, size_t *pos, char key[CRM_DD_MAX_KEY + 1], unsigned *flags)
{
    const unsigned char *d = t->data;
    size_t p = (i % CRM_DD_BLOCK == 0) ? t->block[i / CRM_DD_BLOCK] : *pos;
    size_t shared = d[p], rest = d[p + 1];
    p += 2;
    *flags = t->flagged ? d[p++] : 0u;
    memcpy(key + shared, d + p, rest);
    key[shared + rest] = '\0';
    *pos = p + rest;
    return shared + rest;
}

int crm_dd_lookup(const crm_dd_table *t, const char *rkey, size_t n)
{
    if (t->n == 0 || n > CRM_DD_MAX_KEY) return -1;
    /* the last block whose head key is <= rkey */
    uint32_t lo = 0, hi = t->nblocks; /* invariant: head(lo-1) <= rkey < head(hi) */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const unsigned char *e = t->data + t->block[mid];
        size_t hl = e[1];
        const char *hk = (const char *)(e + (t->flagged ? 3 : 2));
        if (cmp_keys(rkey, n, hk, hl) < 0) hi = mid; else lo = mid + 1;
    }
    if (lo == 0) return -1; /* before the first key */
    /* Scan block lo - 1 without rebuilding keys: m is the length of the common prefix of
     * rkey and the previous key (which is < rkey). An entry sharing more than m bytes with
     * it is still < rkey; one sharing fewer is > rkey (sorted), so rkey is absent. */
    uint32_t b = lo - 1;
    uint32_t end = (b + 1) * CRM_DD_BLOCK < t->n ? (b + 1) * CRM_DD_BLOCK : t->n;
    const unsigned char *d = t->data;
    const unsigned char *k = (const unsigned char *)rkey;
    size_t p = t->block[b], m = 0;
    for (uint32_t i = b * CRM_DD_BLOCK; i < end; i++) {
        size_t shared = d[p], rest = d[p + 1];
        p += 2;
        unsigned flags = t->flagged ? d[p++] : 0u;
        const unsigned char *suf = d + p;
        p += rest;
        if (shared < m) return -1;
        if (shared > m) continue;
        size_t j = 0;
        while (j < rest && m + j < n && suf[j] == k[m + j]) j++;
        if (j == rest && m + j == n) return (int)flags;   /* equal */
        if (j < rest && (m + j == n || suf[j] > k[m + j])) return -1; /* key > rkey */
        m += j;                                           /* key < rkey */
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
    /* The reversed domain (its rightmost CRM_DD_MAX_KEY bytes): the suffix starting at s is
     * rev[0 .. len - s). */
    char rev[CRM_DD_MAX_KEY];
    size_t rn = len < CRM_DD_MAX_KEY ? len : CRM_DD_MAX_KEY;
    for (size_t j = 0; j < rn; j++) rev[j] = domain[len - 1 - j];
    /* Prevailing rule, in labels of the public suffix: the default "*" gives 1. */
    size_t ps = 1;
    size_t lim = nl < MAX_LABELS ? nl : MAX_LABELS; /* so ps <= MAX_LABELS + 1 */
    for (size_t c = 1; c <= lim; c++) {
        size_t sl = len - starts[c - 1];
        if (sl > rn) break; /* longer than any key */
        int f = crm_dd_lookup(&crm_psl_table, rev, sl);
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
    char rev[CRM_DD_MAX_KEY];
    if (domain == NULL || len == 0 || len > CRM_DD_MAX_KEY) return false;
    for (size_t j = 0; j < len; j++) rev[j] = domain[len - 1 - j];
    return crm_dd_lookup(&crm_freemail_table, rev, len) >= 0;
}

const char *crm_domain_data_version(void)
{
    return crm_domain_data_version_str;
}
