/* tests/unit/test_punycode.c: Punycode (RFC 3492) with every sample string of RFC 3492
 * section 7.1 in both directions, error and overflow handling, and crm_domain_to_ascii. */
#include <stdint.h>
#include <ctype.h>
#include "crm/punycode.h"
#include "check.h"

typedef struct { const char *name; size_t n; uint32_t cp[64]; const char *puny; } sample;

/* RFC 3492 7.1. The Punycode strings are as printed in the RFC, including its mixed-case
 * annotation (upper-case digits, e.g. "baDotc" in (I)), which a decoder must accept and
 * which an encoder without annotation produces in lower case. */
static const sample samples[] = {
    {"(A) Arabic (Egyptian)", 17, {0x0644, 0x064A, 0x0647, 0x0645, 0x0627, 0x0628, 0x062A, 0x0643,
        0x0644, 0x0645, 0x0648, 0x0634, 0x0639, 0x0631, 0x0628, 0x064A, 0x061F},
        "egbpdaj6bu4bxfgehfvwxn"},
    {"(B) Chinese (simplified)", 9, {0x4ED6, 0x4EEC, 0x4E3A, 0x4EC0, 0x4E48, 0x4E0D, 0x8BF4, 0x4E2D,
        0x6587}, "ihqwcrb4cv8a8dqg056pqjye"},
    {"(C) Chinese (traditional)", 9, {0x4ED6, 0x5011, 0x7232, 0x4EC0, 0x9EBD, 0x4E0D, 0x8AAA, 0x4E2D,
        0x6587}, "ihqwctvzc91f659drss3x8bo0yb"},
    {"(D) Czech", 22, {0x0050, 0x0072, 0x006F, 0x010D, 0x0070, 0x0072, 0x006F, 0x0073, 0x0074, 0x011B,
        0x006E, 0x0065, 0x006D, 0x006C, 0x0075, 0x0076, 0x00ED, 0x010D, 0x0065, 0x0073, 0x006B, 0x0079},
        "Proprostnemluvesky-uyb24dma41a"},
    {"(E) Hebrew", 22, {0x05DC, 0x05DE, 0x05D4, 0x05D4, 0x05DD, 0x05E4, 0x05E9, 0x05D5, 0x05D8, 0x05DC,
        0x05D0, 0x05DE, 0x05D3, 0x05D1, 0x05E8, 0x05D9, 0x05DD, 0x05E2, 0x05D1, 0x05E8, 0x05D9, 0x05EA},
        "4dbcagdahymbxekheh6e0a7fei0b"},
    {"(F) Hindi (Devanagari)", 30, {0x092F, 0x0939, 0x0932, 0x094B, 0x0917, 0x0939, 0x093F, 0x0928,
        0x094D, 0x0926, 0x0940, 0x0915, 0x094D, 0x092F, 0x094B, 0x0902, 0x0928, 0x0939, 0x0940, 0x0902,
        0x092C, 0x094B, 0x0932, 0x0938, 0x0915, 0x0924, 0x0947, 0x0939, 0x0948, 0x0902},
        "i1baa7eci9glrd9b2ae1bj0hfcgg6iyaf8o0a1dig0cd"},
    {"(G) Japanese (kanji and hiragana)", 18, {0x306A, 0x305C, 0x307F, 0x3093, 0x306A, 0x65E5, 0x672C,
        0x8A9E, 0x3092, 0x8A71, 0x3057, 0x3066, 0x304F, 0x308C, 0x306A, 0x3044, 0x306E, 0x304B},
        "n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa"},
    {"(H) Korean (Hangul syllables)", 24, {0xC138, 0xACC4, 0xC758, 0xBAA8, 0xB4E0, 0xC0AC, 0xB78C,
        0xB4E4, 0xC774, 0xD55C, 0xAD6D, 0xC5B4, 0xB97C, 0xC774, 0xD574, 0xD55C, 0xB2E4, 0xBA74, 0xC5BC,
        0xB9C8, 0xB098, 0xC88B, 0xC744, 0xAE4C},
        "989aomsvi5e83db1d2a355cv1e0vak1dwrv93d5xbh15a0dt30a5jpsd879ccm6fea98c"},
    {"(I) Russian (Cyrillic)", 28, {0x043F, 0x043E, 0x0447, 0x0435, 0x043C, 0x0443, 0x0436, 0x0435,
        0x043E, 0x043D, 0x0438, 0x043D, 0x0435, 0x0433, 0x043E, 0x0432, 0x043E, 0x0440, 0x044F, 0x0442,
        0x043F, 0x043E, 0x0440, 0x0443, 0x0441, 0x0441, 0x043A, 0x0438},
        "b1abfaaepdrnnbgefbaDotcwatmq2g4l"},
    {"(J) Spanish", 40, {0x0050, 0x006F, 0x0072, 0x0071, 0x0075, 0x00E9, 0x006E, 0x006F, 0x0070, 0x0075,
        0x0065, 0x0064, 0x0065, 0x006E, 0x0073, 0x0069, 0x006D, 0x0070, 0x006C, 0x0065, 0x006D, 0x0065,
        0x006E, 0x0074, 0x0065, 0x0068, 0x0061, 0x0062, 0x006C, 0x0061, 0x0072, 0x0065, 0x006E, 0x0045,
        0x0073, 0x0070, 0x0061, 0x00F1, 0x006F, 0x006C},
        "PorqunopuedensimplementehablarenEspaol-fmd56a"},
    {"(K) Vietnamese", 31, {0x0054, 0x1EA1, 0x0069, 0x0073, 0x0061, 0x006F, 0x0068, 0x1ECD, 0x006B,
        0x0068, 0x00F4, 0x006E, 0x0067, 0x0074, 0x0068, 0x1EC3, 0x0063, 0x0068, 0x1EC9, 0x006E, 0x00F3,
        0x0069, 0x0074, 0x0069, 0x1EBF, 0x006E, 0x0067, 0x0056, 0x0069, 0x1EC7, 0x0074},
        "TisaohkhngthchnitingVit-kjcr8268qyxafd2f1b9g"},
    {"(L) 3nen B gumi kinpachi sensei", 8, {0x0033, 0x5E74, 0x0042, 0x7D44, 0x91D1, 0x516B, 0x5148,
        0x751F}, "3B-ww4c5e180e575a65lsy2b"},
    {"(M) amuro namie -with-SUPER-MONKEYS", 24, {0x5B89, 0x5BA4, 0x5948, 0x7F8E, 0x6075, 0x002D, 0x0077,
        0x0069, 0x0074, 0x0068, 0x002D, 0x0053, 0x0055, 0x0050, 0x0045, 0x0052, 0x002D, 0x004D, 0x004F,
        0x004E, 0x004B, 0x0045, 0x0059, 0x0053}, "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n"},
    {"(N) Hello-Another-Way-", 25, {0x0048, 0x0065, 0x006C, 0x006C, 0x006F, 0x002D, 0x0041, 0x006E,
        0x006F, 0x0074, 0x0068, 0x0065, 0x0072, 0x002D, 0x0057, 0x0061, 0x0079, 0x002D, 0x305D, 0x308C,
        0x305E, 0x308C, 0x306E, 0x5834, 0x6240}, "Hello-Another-Way--fc4qua05auwb3674vfr0b"},
    {"(O) hitotsu yane no shita 2", 8, {0x3072, 0x3068, 0x3064, 0x5C4B, 0x6839, 0x306E, 0x4E0B, 0x0032},
        "2-u9tlzr9756bt3uc0v"},
    {"(P) Maji de Koi suru 5 byou mae", 13, {0x004D, 0x0061, 0x006A, 0x0069, 0x3067, 0x004B, 0x006F,
        0x0069, 0x3059, 0x308B, 0x0035, 0x79D2, 0x524D}, "MajiKoi5-783gue6qz075azm5e"},
    {"(Q) pafii de runba", 9, {0x30D1, 0x30D5, 0x30A3, 0x30FC, 0x0064, 0x0065, 0x30EB, 0x30F3, 0x30D0},
        "de-jg4avhby1noc0d"},
    {"(R) sono supiido de", 7, {0x305D, 0x306E, 0x30B9, 0x30D4, 0x30FC, 0x30C9, 0x3067},
        "d9juau41awczczp"},
    {"(S) -> $1.00 <-", 11, {0x002D, 0x003E, 0x0020, 0x0024, 0x0031, 0x002E, 0x0030, 0x0030, 0x0020,
        0x003C, 0x002D}, "-> $1.00 <--"},
};

/* Equal up to the case of the encoded digits (after the last '-'); the basic code points
 * before it must match exactly. */
static int same_puny(const char *got, const char *want)
{
    size_t n = strlen(want), last = 0;
    if (strlen(got) != n) return 0;
    for (size_t i = 0; i < n; i++) if (want[i] == '-') last = i;
    for (size_t i = 0; i < n; i++) {
        if (i < last ? got[i] != want[i] : tolower((unsigned char)got[i]) != tolower((unsigned char)want[i]))
            return 0;
    }
    return 1;
}

static void test_samples(void)
{
    for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
        const sample *x = &samples[s];
        char out[128];
        uint32_t cp[64];
        size_t len = 99, n = 99;
        crm_status st = crm_punycode_encode(x->cp, x->n, out, sizeof out, &len);
        CHECK(st == CRM_OK);
        if (st != CRM_OK || !same_puny(out, x->puny)) {
            check_failed++;
            fprintf(stderr, "encode %s: got \"%s\", want \"%s\"\n", x->name, st == CRM_OK ? out : "(error)", x->puny);
        } else check_passed++;
        CHECK(st != CRM_OK || len == strlen(x->puny));
        st = crm_punycode_decode(x->puny, strlen(x->puny), cp, 64, &n);
        CHECK(st == CRM_OK);
        if (st != CRM_OK || n != x->n || memcmp(cp, x->cp, n * sizeof cp[0]) != 0) {
            check_failed++;
            fprintf(stderr, "decode %s: status %d, %zu code points (want %zu)\n", x->name, (int)st, n, x->n);
        } else check_passed++;
        /* exact capacities: encode needs strlen + 1 bytes, decode n code points */
        size_t plen = strlen(x->puny);
        CHECK(crm_punycode_encode(x->cp, x->n, out, plen + 1, &len) == CRM_OK);
        CHECK(crm_punycode_encode(x->cp, x->n, out, plen, &len) == CRM_E_TOO_LARGE);
        CHECK(crm_punycode_decode(x->puny, plen, cp, x->n, &n) == CRM_OK && n == x->n);
        CHECK(crm_punycode_decode(x->puny, plen, cp, x->n - 1, &n) == CRM_E_TOO_LARGE);
    }
}

static void test_errors(void)
{
    char out[64];
    uint32_t cp[64];
    size_t len, n;
    /* not scalar values */
    uint32_t sur[] = {0x61, 0xD800};
    uint32_t big[] = {0x110000};
    CHECK(crm_punycode_encode(sur, 2, out, sizeof out, &len) == CRM_E_BAD_ADDRESS);
    CHECK(crm_punycode_encode(big, 1, out, sizeof out, &len) == CRM_E_BAD_ADDRESS);
    /* empty input: empty output */
    CHECK(crm_punycode_encode(cp, 0, out, sizeof out, &len) == CRM_OK && len == 0 && out[0] == '\0');
    CHECK(crm_punycode_encode(cp, 0, out, 0, &len) == CRM_E_TOO_LARGE);
    CHECK(crm_punycode_decode("", 0, cp, 64, &n) == CRM_OK && n == 0);
    /* all-basic input: copied and followed by the delimiter */
    uint32_t abc[] = {'a', 'b', 'c'};
    CHECK(crm_punycode_encode(abc, 3, out, sizeof out, &len) == CRM_OK);
    CHECK_STR(out, "abc-");
    CHECK(crm_punycode_decode("abc-", 4, cp, 64, &n) == CRM_OK && n == 3 && cp[0] == 'a' && cp[2] == 'c');
    /* invalid digits, non-ASCII input, truncated variable-length integer */
    CHECK(crm_punycode_decode("abc-!", 5, cp, 64, &n) == CRM_E_BAD_ADDRESS);
    CHECK(crm_punycode_decode("b\xc3\xbc-kva", 7, cp, 64, &n) == CRM_E_BAD_ADDRESS);
    CHECK(crm_punycode_decode("bcher-kv", 8, cp, 64, &n) == CRM_E_BAD_ADDRESS); /* 'v' needs a successor */
    CHECK(crm_punycode_decode("bcher-kva", 9, cp, 64, &n) == CRM_OK && n == 6 && cp[1] == 0xFC);
    /* overflow (RFC 3492 6.4): long runs of the largest digit make i or w exceed 2^32 */
    CHECK(crm_punycode_decode("99999999999999", 14, cp, 64, &n) == CRM_E_BAD_ADDRESS);
    CHECK(crm_punycode_decode("zzzzzzzzzzzzzzzzzzzz", 20, cp, 64, &n) == CRM_E_BAD_ADDRESS);
    /* decodes to a surrogate or beyond U+10FFFF: not a scalar value ("ib9b" is U+D800,
     * "en32g" U+110000, "8016146o" U+7FFFFFFF; "dn32g" is U+10FFFF, the last valid one) */
    CHECK(crm_punycode_decode("ib9b", 4, cp, 64, &n) == CRM_E_BAD_ADDRESS);
    CHECK(crm_punycode_decode("en32g", 5, cp, 64, &n) == CRM_E_BAD_ADDRESS);
    CHECK(crm_punycode_decode("8016146o", 8, cp, 64, &n) == CRM_E_BAD_ADDRESS);
    CHECK(crm_punycode_decode("dn32g", 5, cp, 64, &n) == CRM_OK && n == 1 && cp[0] == 0x10FFFF);
    {
        uint32_t top = 0x10FFFF;
        CHECK(crm_punycode_encode(&top, 1, out, sizeof out, &len) == CRM_OK);
        CHECK_STR(out, "dn32g");
    }
    /* encoder overflow: (m - n) * (h + 1) beyond 2^32 needs many code points far apart */
    {
        static uint32_t many[5000];
        static char big_out[40000];
        /* 4000 x U+0080 then U+10FFFF: delta = (0x10FFFF - 0x80) * 4001 > 2^32 - 1 */
        for (size_t i = 0; i < 4001; i++) many[i] = i < 4000 ? 0x80 : 0x10FFFF;
        CHECK(crm_punycode_encode(many, 4001, big_out, sizeof big_out, &len) == CRM_E_TOO_LARGE);
        /* with 3000 it stays below 2^32 and is encoded */
        many[3000] = 0x10FFFF;
        CHECK(crm_punycode_encode(many, 3001, big_out, sizeof big_out, &len) == CRM_OK);
        /* the same count of close code points fits */
        for (size_t i = 0; i < 5000; i++) many[i] = 0x80 + (uint32_t)(i % 3);
        CHECK(crm_punycode_encode(many, 5000, big_out, sizeof big_out, &len) == CRM_OK);
        size_t got;
        static uint32_t back[5000];
        CHECK(crm_punycode_decode(big_out, len, back, 5000, &got) == CRM_OK && got == 5000 &&
              memcmp(back, many, sizeof many) == 0);
    }
}

static const char *to_ascii(const char *in, char *out, size_t cap, crm_status *st)
{
    size_t len = 12345;
    *st = crm_domain_to_ascii(in, strlen(in), out, cap, &len);
    if (*st != CRM_OK) return NULL;
    if (len != strlen(out)) return "(length mismatch)";
    return out;
}

static void test_domain_to_ascii(void)
{
    char out[256];
    crm_status st;
    CHECK_STR(to_ascii("B\xc3\xbc" "cher.example", out, sizeof out, &st), "xn--bcher-kva.example");
    CHECK_STR(to_ascii("EXAMPLE.Com", out, sizeof out, &st), "example.com");
    CHECK_STR(to_ascii("www.B\xc3\xbc" "cher.DE", out, sizeof out, &st), "www.xn--bcher-kva.de");
    CHECK_STR(to_ascii("xn--bcher-kva.example", out, sizeof out, &st), "xn--bcher-kva.example");
    /* Chinese labels from the PSL tests: 食狮.公司.cn */
    CHECK_STR(to_ascii("\xe9\xa3\x9f\xe7\x8b\xae.\xe5\x85\xac\xe5\x8f\xb8.cn", out, sizeof out, &st),
              "xn--85x722f.xn--55qx5d.cn");
    /* 中国 */
    CHECK_STR(to_ascii("\xe4\xb8\xad\xe5\x9b\xbd", out, sizeof out, &st), "xn--fiqs8s");
    /* a 4-byte sequence: U+1F600 */
    CHECK_STR(to_ascii("\xf0\x9f\x98\x80.example", out, sizeof out, &st), "xn--e28h.example");
    /* non-ASCII case is kept: Ü (U+00DC) is not folded, so it differs from ü */
    CHECK_STR(to_ascii("\xc3\x9c" "ber.de", out, sizeof out, &st), "xn--ber-ska.de");
    CHECK_STR(to_ascii("\xc3\xbc" "ber.de", out, sizeof out, &st), "xn--ber-goa.de");
    /* empty labels are kept as given (validity is rule A2's business) */
    CHECK_STR(to_ascii("", out, sizeof out, &st), "");
    CHECK_STR(to_ascii("a..b.", out, sizeof out, &st), "a..b.");
    CHECK_STR(to_ascii(".\xc3\xbc", out, sizeof out, &st), ".xn--tda");
    /* invalid UTF-8: stray continuation, truncated, overlong, surrogate, > U+10FFFF */
    const char *bad[] = {"a\x80.com", "b\xc3", "\xc3.com", "\xc0\xaf.com", "\xe0\x80\xaf", "\xed\xa0\x80.com",
                         "\xf4\x90\x80\x80.com", "\xf5\x80\x80\x80", "\xff", "x.\xe4\xb8"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(to_ascii(bad[i], out, sizeof out, &st) == NULL && st == CRM_E_BAD_ADDRESS);
    }
    /* an embedded NUL is refused (it would cut the C string) */
    {
        size_t len;
        CHECK(crm_domain_to_ascii("a\0b.com", 7, out, sizeof out, &len) == CRM_E_BAD_ADDRESS);
    }
    /* too small buffers, at every capacity below the exact fit; the exact fit works */
    {
        const char *in = "Www.B\xc3\xbc" "cher.example";
        const char *want = "www.xn--bcher-kva.example";
        size_t need = strlen(want) + 1;
        for (size_t cap = 0; cap < need; cap++) {
            CHECK(to_ascii(in, out, cap, &st) == NULL && st == CRM_E_TOO_LARGE);
        }
        CHECK_STR(to_ascii(in, out, need, &st), want);
        CHECK(to_ascii("abc", out, 3, &st) == NULL && st == CRM_E_TOO_LARGE);
        CHECK_STR(to_ascii("abc", out, 4, &st), "abc");
    }
    /* round trip of the ASCII form through the decoder */
    {
        uint32_t cp[16];
        size_t n;
        CHECK(crm_punycode_decode("bcher-kva", 9, cp, 16, &n) == CRM_OK && n == 6 &&
              cp[0] == 'b' && cp[1] == 0xFC && cp[5] == 'r');
    }
}

int main(void)
{
    test_samples();
    test_errors();
    test_domain_to_ascii();
    return CHECK_DONE();
}
