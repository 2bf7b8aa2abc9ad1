/* tests/unit/test_sha256.c: SHA-256 against the FIPS 180-2/NIST example vectors, padding
 * boundaries (digests from coreutils sha256sum), and streaming == one-shot across splits. */
#include <stdint.h>
#include "crm/sha256.h"
#include "check.h"

static void hex(const uint8_t d[32], char out[65])
{
    static const char h[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) { out[2 * i] = h[d[i] >> 4]; out[2 * i + 1] = h[d[i] & 15]; }
    out[64] = '\0';
}

static void test_nist(void)
{
    char out[65];
    crm_sha256_hex("", 0, out);
    CHECK_STR(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    crm_sha256_hex("abc", 3, out);
    CHECK_STR(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 448 bits, two blocks */
    crm_sha256_hex(m448, strlen(m448), out);
    CHECK_STR(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    crm_sha256_hex(m896, strlen(m896), out);
    CHECK_STR(out, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");

    /* one million 'a': streamed in uneven chunks, and one-shot */
    static char a[1000000];
    memset(a, 'a', sizeof a);
    crm_sha256 s;
    uint8_t d[32];
    crm_sha256_init(&s);
    size_t off = 0, step = 1;
    while (off < sizeof a) {
        size_t k = sizeof a - off < step ? sizeof a - off : step;
        crm_sha256_update(&s, a + off, k);
        off += k;
        step = step * 3 % 1009 + 1;
    }
    CHECK(s.total == 1000000u);
    crm_sha256_final(&s, d);
    hex(d, out);
    CHECK_STR(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    crm_sha256_hex(a, sizeof a, out);
    CHECK_STR(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the padding boundaries (55/56 bytes: one or two final blocks). Message
 * byte i is (i*7+3) & 255; expected digests computed with coreutils sha256sum. */
static void test_boundaries(void)
{
    static const struct { size_t n; const char *hex; } v[] = {
        {55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
        {56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
        {63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
        {64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
        {65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"},
        {119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
        {120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
        {127, "a8d23e75d936f303d248888d9b165ee543f4cbafcad3c9dd2a79bd84faa11d07"},
        {128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6"},
        {129, "307f8fc2c1622b92762e818d39a185d4d667ad49a4b07ceae1f4afa008a93ec4"},
    };
    uint8_t msg[129];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)((i * 7 + 3) & 255);
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        char out[65];
        crm_sha256_hex(msg, v[k].n, out);
        CHECK_STR(out, v[k].hex);
    }
}

/* Streaming equals one-shot for every message length 0..200 and every split point, with
 * two and three updates (the middle one possibly empty). */
static void test_streaming(void)
{
    uint8_t msg[200];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof msg; i++) { x = x * 1103515245u + 12345u; msg[i] = (uint8_t)(x >> 16); }
    int bad = 0, runs = 0;
    for (size_t n = 0; n <= sizeof msg; n++) {
        char one[65], got[65];
        uint8_t d[32];
        crm_sha256_hex(msg, n, one);
        for (size_t a = 0; a <= n; a++) {
            crm_sha256 s;
            crm_sha256_init(&s);
            crm_sha256_update(&s, msg, a);
            crm_sha256_update(&s, msg + a, n - a);
            crm_sha256_final(&s, d);
            hex(d, got);
            bad += strcmp(one, got) != 0;
            runs++;
            size_t b = a + (n - a) / 2;
            crm_sha256_init(&s);
            crm_sha256_update(&s, msg, a);
            crm_sha256_update(&s, msg + a, 0);
            crm_sha256_update(&s, msg + a, b - a);
            crm_sha256_update(&s, msg + b, n - b);
            crm_sha256_final(&s, d);
            hex(d, got);
            bad += strcmp(one, got) != 0;
            runs++;
        }
    }
    CHECK(runs > 40000);
    CHECK(bad == 0);
    /* byte at a time */
    {
        crm_sha256 s;
        uint8_t d[32];
        char one[65], got[65];
        crm_sha256_init(&s);
        for (size_t i = 0; i < sizeof msg; i++) crm_sha256_update(&s, msg + i, 1);
        crm_sha256_final(&s, d);
        hex(d, got);
        crm_sha256_hex(msg, sizeof msg, one);
        CHECK_STR(got, one);
    }
    /* the context can be reused after init */
    {
        crm_sha256 s;
        uint8_t d[32];
        char got[65];
        crm_sha256_init(&s);
        crm_sha256_update(&s, "xyz", 3);
        crm_sha256_final(&s, d);
        crm_sha256_init(&s);
        crm_sha256_update(&s, "abc", 3);
        crm_sha256_final(&s, d);
        hex(d, got);
        CHECK_STR(got, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}

int main(void)
{
    test_nist();
    test_boundaries();
    test_streaming();
    return CHECK_DONE();
}
