/* tests/unit/test_domain.c: registered domains by the public suffix list (rule A7) with the
 * official PSL test cases, the free-mail list (rule A5), and the generated tables' shape. */
#include <stdint.h>
#include "crm/domain.h"
#include "crm/punycode.h"
#include "domain_data.h"
#include "check.h"

/* The registered domain of `in` (any case, UTF-8 allowed: converted with
 * crm_domain_to_ascii first, as the core does), or NULL. */
static const char *reg(const char *in, char *buf, size_t cap)
{
    size_t len;
    if (in == NULL) return NULL;
    if (crm_domain_to_ascii(in, strlen(in), buf, cap, &len) != CRM_OK) return "(to_ascii failed)";
    size_t off = crm_registered_domain_offset(buf, len);
    if (off == (size_t)-1) return NULL;
    if (off >= len) return "(offset out of range)";
    return buf + off;
}

static void check_psl(const char *in, const char *want, int line)
{
    char buf[256], wbuf[256];
    const char *got = reg(in, buf, sizeof buf);
    size_t wl;
    if (want != NULL) {
        if (crm_domain_to_ascii(want, strlen(want), wbuf, sizeof wbuf, &wl) != CRM_OK) want = "(bad want)";
        else want = wbuf;
    }
    if ((got == NULL && want == NULL) || (got && want && strcmp(got, want) == 0)) { check_passed++; return; }
    check_failed++;
    fprintf(stderr, "%s:%d: checkPublicSuffix(%s): got %s, want %s\n", __FILE__, line,
            in ? in : "null", got ? got : "null", want ? want : "null");
}
#define checkPublicSuffix(in, want) check_psl(in, want, __LINE__)

/* The test cases of publicsuffix/list tests/test_psl.txt (public domain, CC0), verbatim but
 * for C string quoting. Expected values are converted to ASCII like the inputs. */
static void test_official(void)
{
    // null input.
    checkPublicSuffix(NULL, NULL);
    // Mixed case.
    checkPublicSuffix("COM", NULL);
    checkPublicSuffix("example.COM", "example.com");
    checkPublicSuffix("WwW.example.COM", "example.com");
    // Leading dot.
    checkPublicSuffix(".com", NULL);
    checkPublicSuffix(".example", NULL);
    checkPublicSuffix(".example.com", NULL);
    checkPublicSuffix(".example.example", NULL);
    // Unlisted TLD.
    checkPublicSuffix("example", NULL);
    checkPublicSuffix("example.example", "example.example");
    checkPublicSuffix("b.example.example", "example.example");
    checkPublicSuffix("a.b.example.example", "example.example");
    // TLD with only 1 rule.
    checkPublicSuffix("biz", NULL);
    checkPublicSuffix("domain.biz", "domain.biz");
    checkPublicSuffix("b.domain.biz", "domain.biz");
    checkPublicSuffix("a.b.domain.biz", "domain.biz");
    // TLD with some 2-level rules.
    checkPublicSuffix("com", NULL);
    checkPublicSuffix("example.com", "example.com");
    checkPublicSuffix("b.example.com", "example.com");
    checkPublicSuffix("a.b.example.com", "example.com");
    checkPublicSuffix("uk.com", NULL);
    checkPublicSuffix("example.uk.com", "example.uk.com");
    checkPublicSuffix("b.example.uk.com", "example.uk.com");
    checkPublicSuffix("a.b.example.uk.com", "example.uk.com");
    checkPublicSuffix("test.ac", "test.ac");
    // TLD with only 1 (wildcard) rule.
    checkPublicSuffix("mm", NULL);
    checkPublicSuffix("c.mm", NULL);
    checkPublicSuffix("b.c.mm", "b.c.mm");
    checkPublicSuffix("a.b.c.mm", "b.c.mm");
    // More complex TLD.
    checkPublicSuffix("jp", NULL);
    checkPublicSuffix("test.jp", "test.jp");
    checkPublicSuffix("www.test.jp", "test.jp");
    checkPublicSuffix("ac.jp", NULL);
    checkPublicSuffix("test.ac.jp", "test.ac.jp");
    checkPublicSuffix("www.test.ac.jp", "test.ac.jp");
    checkPublicSuffix("kyoto.jp", NULL);
    checkPublicSuffix("test.kyoto.jp", "test.kyoto.jp");
    checkPublicSuffix("ide.kyoto.jp", NULL);
    checkPublicSuffix("b.ide.kyoto.jp", "b.ide.kyoto.jp");
    checkPublicSuffix("a.b.ide.kyoto.jp", "b.ide.kyoto.jp");
    checkPublicSuffix("c.kobe.jp", NULL);
    checkPublicSuffix("b.c.kobe.jp", "b.c.kobe.jp");
    checkPublicSuffix("a.b.c.kobe.jp", "b.c.kobe.jp");
    checkPublicSuffix("city.kobe.jp", "city.kobe.jp");
    checkPublicSuffix("www.city.kobe.jp", "city.kobe.jp");
    // TLD with a wildcard rule and exceptions.
    checkPublicSuffix("ck", NULL);
    checkPublicSuffix("test.ck", NULL);
    checkPublicSuffix("b.test.ck", "b.test.ck");
    checkPublicSuffix("a.b.test.ck", "b.test.ck");
    checkPublicSuffix("www.ck", "www.ck");
    checkPublicSuffix("www.www.ck", "www.ck");
    // US K12.
    checkPublicSuffix("us", NULL);
    checkPublicSuffix("test.us", "test.us");
    checkPublicSuffix("www.test.us", "test.us");
    checkPublicSuffix("ak.us", NULL);
    checkPublicSuffix("test.ak.us", "test.ak.us");
    checkPublicSuffix("www.test.ak.us", "test.ak.us");
    checkPublicSuffix("k12.ak.us", NULL);
    checkPublicSuffix("test.k12.ak.us", "test.k12.ak.us");
    checkPublicSuffix("www.test.k12.ak.us", "test.k12.ak.us");
    // IDN labels.
    checkPublicSuffix("食狮.com.cn", "食狮.com.cn");
    checkPublicSuffix("食狮.公司.cn", "食狮.公司.cn");
    checkPublicSuffix("www.食狮.公司.cn", "食狮.公司.cn");
    checkPublicSuffix("shishi.公司.cn", "shishi.公司.cn");
    checkPublicSuffix("公司.cn", NULL);
    checkPublicSuffix("食狮.中国", "食狮.中国");
    checkPublicSuffix("www.食狮.中国", "食狮.中国");
    checkPublicSuffix("shishi.中国", "shishi.中国");
    checkPublicSuffix("中国", NULL);
    // Same as above, but punycoded.
    checkPublicSuffix("xn--85x722f.com.cn", "xn--85x722f.com.cn");
    checkPublicSuffix("xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn");
    checkPublicSuffix("www.xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn");
    checkPublicSuffix("shishi.xn--55qx5d.cn", "shishi.xn--55qx5d.cn");
    checkPublicSuffix("xn--55qx5d.cn", NULL);
    checkPublicSuffix("xn--85x722f.xn--fiqs8s", "xn--85x722f.xn--fiqs8s");
    checkPublicSuffix("www.xn--85x722f.xn--fiqs8s", "xn--85x722f.xn--fiqs8s");
    checkPublicSuffix("shishi.xn--fiqs8s", "shishi.xn--fiqs8s");
    checkPublicSuffix("xn--fiqs8s", NULL);
}

static void test_ours(void)
{
    const char *d = "eu.sales.acme.co.uk";
    CHECK(crm_registered_domain_offset(d, strlen(d)) == 9);
    CHECK(crm_registered_domain_offset("co.uk", 5) == (size_t)-1);
    CHECK(crm_registered_domain_offset("uk", 2) == (size_t)-1);
    d = "foo.bar.zzzunknown";
    CHECK(crm_registered_domain_offset(d, strlen(d)) == 4);
    /* empty labels anywhere, a trailing dot, the empty string, NULL */
    CHECK(crm_registered_domain_offset("a..example.com", 14) == (size_t)-1);
    CHECK(crm_registered_domain_offset("example.com.", 12) == (size_t)-1);
    CHECK(crm_registered_domain_offset("example..com", 12) == (size_t)-1);
    CHECK(crm_registered_domain_offset(".", 1) == (size_t)-1);
    CHECK(crm_registered_domain_offset("", 0) == (size_t)-1);
    CHECK(crm_registered_domain_offset(NULL, 0) == (size_t)-1);
    /* the length is honoured: the bytes after it are not read as part of the domain */
    CHECK(crm_registered_domain_offset("www.example.com.evil", 15) == 4);
    /* the PRIVATE section is included (docs/internals/domain-data.md) */
    char buf[256];
    CHECK_STR(reg("foo.blogspot.com", buf, sizeof buf), "foo.blogspot.com");
    CHECK(reg("blogspot.com", buf, sizeof buf) == NULL);
    CHECK_STR(reg("www.alice.github.io", buf, sizeof buf), "alice.github.io");
    CHECK_STR(reg("a.b.c.compute.amazonaws.com", buf, sizeof buf), "b.c.compute.amazonaws.com");
    /* wildcard + exception in .kawasaki.jp */
    CHECK_STR(reg("www.city.kawasaki.jp", buf, sizeof buf), "city.kawasaki.jp");
    CHECK(reg("foo.kawasaki.jp", buf, sizeof buf) == NULL);
    CHECK_STR(reg("a.foo.kawasaki.jp", buf, sizeof buf), "a.foo.kawasaki.jp");
    /* a Unicode rule converted to punycode by the generator; Bücher.example: unknown TLD */
    CHECK_STR(reg("mail.B\xc3\xbc" "cher.example", buf, sizeof buf), "xn--bcher-kva.example");
    /* many labels: more than 128 (beyond any rule) are still handled */
    {
        static char many[700];
        size_t n = 0;
        for (int i = 0; i < 200; i++) { many[n++] = 'a'; many[n++] = '.'; }
        memcpy(many + n, "acme.co.uk", 10);
        n += 10;
        CHECK(crm_registered_domain_offset(many, n) == 400);
        /* and a long chain of wildcard-looking labels before an unknown TLD */
        CHECK(crm_registered_domain_offset(many, 399) == 396); /* "...a.a" -> "a.a" */
    }
}

static void test_freemail(void)
{
    const char *yes[] = {"gmail.com", "yahoo.co.uk", "hotmail.com", "outlook.com", "googlemail.com", "gmx.de",
                         "web.de", "yandex.ru", "protonmail.com"};
    const char *no[] = {"acme.com", "acme.co.uk", "salesforce.com", "gmail.comm", "mail.gmail.com", "com", "", "gmail.com.",
                        "aaaaaaaa", "zzzzzzzzzzzz.zz"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (crm_freemail_bundled(yes[i], strlen(yes[i]))) check_passed++;
        else { check_failed++; fprintf(stderr, "freemail: %s should be listed\n", yes[i]); }
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        if (!crm_freemail_bundled(no[i], strlen(no[i]))) check_passed++;
        else { check_failed++; fprintf(stderr, "freemail: %s should not be listed\n", no[i]); }
    }
    CHECK(!crm_freemail_bundled(NULL, 0));
    CHECK(crm_freemail_bundled("gmail.com.au", 9)); /* the length is honoured */
    /* a Unicode entry of the list (müll.email) is stored in ASCII form */
    char buf[64];
    size_t len;
    CHECK(crm_domain_to_ascii("m\xc3\xbcll.email", 11, buf, sizeof buf, &len) == CRM_OK);
    CHECK(crm_freemail_bundled(buf, len));
}

/* All keys of a table, decoded in stored order and un-reversed: keys[i] (NUL-terminated),
 * flags[i]. Returns the count. */
enum { MAX_KEYS = 20000 };
static char keys[MAX_KEYS][CRM_DD_MAX_KEY + 1];
static unsigned kflags[MAX_KEYS];

static uint32_t load(const crm_dd_table *t)
{
    size_t pos = 0;
    char k[CRM_DD_MAX_KEY + 1];
    for (uint32_t i = 0; i < t->n && i < MAX_KEYS; i++) {
        size_t l = crm_dd_entry(t, i, &pos, k, &kflags[i]);
        for (size_t j = 0; j < l; j++) keys[i][j] = k[l - 1 - j];
        keys[i][l] = '\0';
    }
    return t->n < MAX_KEYS ? t->n : MAX_KEYS;
}

/* The stored (reversed) keys are sorted strictly (so the search finds each), and made of
 * lower-case ASCII domain characters only; flags as the table kind says. */
static int table_ok(const crm_dd_table *t, int psl)
{
    int bad = 0;
    size_t pos = 0;
    char prev[CRM_DD_MAX_KEY + 1] = "", k[CRM_DD_MAX_KEY + 1];
    size_t pl = 0;
    if (t->nblocks != (t->n + CRM_DD_BLOCK - 1) / CRM_DD_BLOCK) bad++;
    for (uint32_t i = 0; i < t->n; i++) {
        unsigned f;
        size_t l = crm_dd_entry(t, i, &pos, k, &f);
        if (l == 0 || strlen(k) != l) bad++;
        for (size_t j = 0; j < l; j++) {
            char c = k[j];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) bad++;
        }
        if (i > 0) {
            size_t m = pl < l ? pl : l;
            int c = memcmp(prev, k, m);
            if (c > 0 || (c == 0 && pl >= l)) bad++;
        }
        if (psl ? (f == 0 || f > 7) : f != 0) bad++;
        memcpy(prev, k, l + 1);
        pl = l;
    }
    return bad == 0;
}

static void test_tables(void)
{
    CHECK(crm_psl_table.n > 5000 && crm_psl_table.flagged);
    CHECK(crm_freemail_table.n > 5000 && !crm_freemail_table.flagged);
    CHECK(table_ok(&crm_psl_table, 1));
    CHECK(table_ok(&crm_freemail_table, 0));
    /* every free-mail key is found */
    int miss = 0, wrong = 0;
    uint32_t n = load(&crm_freemail_table);
    for (uint32_t i = 0; i < n; i++) miss += !crm_freemail_bundled(keys[i], strlen(keys[i]));
    CHECK(miss == 0);
    /* variants of keys (a character more in front, one less, the last changed) are found
     * exactly when they are keys themselves */
    for (uint32_t i = 0; i < n; i += 37) {
        char v[3][CRM_DD_MAX_KEY + 3];
        size_t l = strlen(keys[i]);
        v[0][0] = 'q';
        memcpy(v[0] + 1, keys[i], l + 1);
        memcpy(v[1], keys[i] + 1, l);
        memcpy(v[2], keys[i], l + 1);
        v[2][l - 1] = v[2][l - 1] == 'z' ? 'y' : 'z';
        for (int k = 0; k < 3; k++) {
            bool listed = false;
            for (uint32_t j = 0; j < n && !listed; j++) listed = strcmp(keys[j], v[k]) == 0;
            wrong += crm_freemail_bundled(v[k], strlen(v[k])) != listed;
        }
    }
    CHECK(wrong == 0);
    /* every PSL rule behaves as a rule */
    n = load(&crm_psl_table);
    wrong = 0;
    for (uint32_t i = 0; i < n; i++) {
        unsigned f = kflags[i];
        char buf[300], buf2[310];
        size_t l = strlen(keys[i]);
        memcpy(buf, "zz9q.", 5);
        memcpy(buf + 5, keys[i], l + 1);
        if (f & CRM_PSL_EXC) {
            /* "!name": name is itself a registered domain */
            wrong += crm_registered_domain_offset(buf + 5, l) != 0;
        } else if (f & CRM_PSL_WILD) {
            /* "*.name": x.name is a suffix, y.x.name registered */
            wrong += crm_registered_domain_offset(buf, l + 5) != (size_t)-1;
            memcpy(buf2, "y.", 2);
            memcpy(buf2 + 2, buf, l + 6);
            wrong += crm_registered_domain_offset(buf2, l + 7) != 0;
        } else {
            wrong += crm_registered_domain_offset(buf + 5, l) != (size_t)-1;
            wrong += crm_registered_domain_offset(buf, l + 5) != 0;
        }
    }
    if (wrong) fprintf(stderr, "PSL rules not behaving as rules: %d\n", wrong);
    CHECK(wrong == 0);
    /* the lookup on the first and last keys and beyond both ends */
    CHECK(crm_dd_lookup(&crm_freemail_table, "", 0) == -1);
    CHECK(crm_dd_lookup(&crm_freemail_table, "\x01", 1) == -1);
    CHECK(crm_dd_lookup(&crm_freemail_table, "\x7f\x7f", 2) == -1);
}

static void test_version(void)
{
    const char *v = crm_domain_data_version();
    CHECK(v != NULL && strncmp(v, "psl ", 4) == 0);
    CHECK(v != NULL && strstr(v, "; email-providers 2.26.0") != NULL);
    CHECK(v != NULL && strlen(v) > strlen("psl ; email-providers 2.26.0"));
}

int main(void)
{
    test_official();
    test_ours();
    test_freemail();
    test_tables();
    test_version();
    return CHECK_DONE();
}
