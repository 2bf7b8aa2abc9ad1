/* tests/fuzz/address_fuzzer.c: the address parser (rules A1, A2, A7) through
 * {"op":"normalize_address","input": <the fuzz input as a JSON string>}.
 * Invariants of an ok:true result (spec/rules.md A1, A2):
 *   - address == local + "@" + domain, at most 254 bytes;
 *   - the domain is lower-case ASCII, with no empty label, no label over 63, no trailing dot;
 *   - registered_domain is the domain or a dot-suffix of it, or empty (a domain that is a
 *     public suffix itself or a single label, like "localhost", has none);
 *   - normalising the result again gives the same address (A1 is idempotent).
 * An ok:false result must be E_BAD_ADDRESS with path "input". */
#include "fuzz.h"

static void check_domain(const char *d, const char *resp) {
    size_t label = 0, n = strlen(d);
    if (n == 0) fuzz_fail("empty domain", resp);
    if (d[n - 1] == '.' || d[0] == '.') fuzz_fail("the domain starts or ends with a dot", resp);
    for (const char *p = d; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x80) fuzz_fail("the domain is not ASCII (A1: punycode)", resp);
        if (c >= 'A' && c <= 'Z') fuzz_fail("the domain is not lower case (A1)", resp);
        if (c <= 0x20 || c == 0x7f) fuzz_fail("space or control character in the domain (A2)", resp);
        if (c == '.') {
            if (label == 0) fuzz_fail("empty domain label (A2)", resp);
            label = 0;
        } else if (++label > 63) fuzz_fail("domain label over 63 (A2)", resp);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *resp;
    cJSON *j = fuzz_eval_string_op("normalize_address", "input", data, size, &resp);
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok"))) {
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(err, "path");
        if (strcmp(code->valuestring, "E_BAD_ADDRESS") != 0) fuzz_fail("an invalid address gives a code other than E_BAD_ADDRESS", resp);
        if (!cJSON_IsString(path) || strcmp(path->valuestring, "input") != 0) fuzz_fail("E_BAD_ADDRESS without path \"input\"", resp);
        cJSON_Delete(j);
        crm_free(resp);
        return 0;
    }
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "result");
    const cJSON *addr = cJSON_GetObjectItemCaseSensitive(r, "address");
    const cJSON *local = cJSON_GetObjectItemCaseSensitive(r, "local");
    const cJSON *domain = cJSON_GetObjectItemCaseSensitive(r, "domain");
    const cJSON *reg = cJSON_GetObjectItemCaseSensitive(r, "registered_domain");
    if (!cJSON_IsString(addr) || !cJSON_IsString(local) || !cJSON_IsString(domain) || !cJSON_IsString(reg))
        fuzz_fail("result without address/local/domain/registered_domain strings", resp);
    const char *a = addr->valuestring, *l = local->valuestring, *d = domain->valuestring;
    size_t an = strlen(a), ln = strlen(l), dn = strlen(d), rn = strlen(reg->valuestring);
    if (an > 254) fuzz_fail("a valid address over 254 characters (A2)", resp);
    if (ln == 0) fuzz_fail("empty local part (A2)", resp);
    if (an != ln + 1 + dn || memcmp(a, l, ln) != 0 || a[ln] != '@' || strcmp(a + ln + 1, d) != 0)
        fuzz_fail("address != local@domain", resp);
    check_domain(d, resp);
    if (rn > 0 && (rn > dn || strcmp(d + dn - rn, reg->valuestring) != 0 || (rn < dn && d[dn - rn - 1] != '.')))
        fuzz_fail("registered_domain is not the domain or a dot-suffix of it (A7)", resp);
    /* A1 is idempotent: the normalised form normalises to itself. */
    char *resp2;
    cJSON *j2 = fuzz_eval_string_op("normalize_address", "input", (const uint8_t *)a, an, &resp2);
    const cJSON *addr2 = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j2, "result"), "address");
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j2, "ok")) || !cJSON_IsString(addr2) || strcmp(addr2->valuestring, a) != 0) {
        fprintf(stderr, "first:  %.2000s\n", resp);
        fuzz_fail("normalising a normalised address changes it (A1)", resp2);
    }
    cJSON_Delete(j2);
    crm_free(resp2);
    cJSON_Delete(j);
    crm_free(resp);
    return 0;
}
