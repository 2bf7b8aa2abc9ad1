/* tests/fuzz/blocklist_fuzzer.c: the blocklist parser (rules B2, B3) through
 * {"op":"parse_blocklist","text": <the fuzz input as a JSON string>}.
 * Invariants of the result (spec/rules.md B2, B3):
 *   - entries have kind address|domain|suffix and a non-empty value without white space,
 *     ',' ';' '*' or '?'; no two entries are equal (de-duplicated);
 *   - errors have code E_WILDCARD (exactly when the input has '*' or '?') or E_BAD_ENTRY,
 *     a non-empty input, and strictly increasing 0-based indexes;
 *   - the entries written back as text (address and domain as their value, suffix as
 *     "." + value) parse to the same entries, with no error. */
#include "fuzz.h"

static char *render_entries(const cJSON *entries, size_t *len, const char *resp) {
    size_t cap = 16;
    for (const cJSON *e = entries->child; e; e = e->next) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "value");
        if (!cJSON_IsString(v)) fuzz_fail("an entry without a value", resp);
        cap += strlen(v->valuestring) + 2;
    }
    char *out = malloc(cap);
    if (out == NULL) abort();
    size_t n = 0;
    for (const cJSON *e = entries->child; e; e = e->next) {
        const char *kind = cJSON_GetObjectItemCaseSensitive(e, "kind")->valuestring;
        const char *v = cJSON_GetObjectItemCaseSensitive(e, "value")->valuestring;
        if (strcmp(kind, "suffix") == 0) out[n++] = '.';
        size_t vn = strlen(v);
        memcpy(out + n, v, vn);
        n += vn;
        out[n++] = '\n';
    }
    out[n] = '\0';
    *len = n;
    return out;
}

static void check_entries(const cJSON *entries, const char *resp) {
    for (const cJSON *e = entries->child; e; e = e->next) {
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(e, "kind");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "value");
        if (!cJSON_IsString(kind) || (strcmp(kind->valuestring, "address") && strcmp(kind->valuestring, "domain") &&
                                      strcmp(kind->valuestring, "suffix")))
            fuzz_fail("an entry kind other than address|domain|suffix", resp);
        if (!cJSON_IsString(v) || v->valuestring[0] == '\0') fuzz_fail("an entry with an empty value", resp);
        if (strpbrk(v->valuestring, " \t\r\n\f\v,;*?")) fuzz_fail("an entry value with a separator or a wildcard (B2, B3)", resp);
        for (const cJSON *f = entries->child; f != e; f = f->next)
            if (strcmp(cJSON_GetObjectItemCaseSensitive(f, "kind")->valuestring, kind->valuestring) == 0 &&
                strcmp(cJSON_GetObjectItemCaseSensitive(f, "value")->valuestring, v->valuestring) == 0)
                fuzz_fail("a duplicate entry (B2: de-duplicated)", resp);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *resp;
    cJSON *j = fuzz_eval_string_op("parse_blocklist", "text", data, size, &resp);
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok"))) fuzz_fail("parse_blocklist failed as a whole (B3: errors are per entry)", resp);
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "result");
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(r, "entries");
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(r, "errors");
    if (!cJSON_IsArray(entries) || !cJSON_IsArray(errors)) fuzz_fail("result without entries and errors arrays", resp);
    check_entries(entries, resp);
    double last = -1;
    for (const cJSON *e = errors->child; e; e = e->next) {
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(e, "index");
        const cJSON *in = cJSON_GetObjectItemCaseSensitive(e, "input");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
        if (!cJSON_IsNumber(idx) || idx->valuedouble <= last) fuzz_fail("error indexes are not increasing from 0 (B3)", resp);
        last = idx->valuedouble;
        if (!cJSON_IsString(in) || in->valuestring[0] == '\0') fuzz_fail("an error without its input (B3)", resp);
        if (!cJSON_IsString(msg) || msg->valuestring[0] == '\0') fuzz_fail("an error without a message", resp);
        if (!cJSON_IsString(code)) fuzz_fail("an error without a code", resp);
        bool wild = strpbrk(in->valuestring, "*?") != NULL;
        if (wild && strcmp(code->valuestring, "E_WILDCARD") != 0) fuzz_fail("a '*' or '?' entry is not E_WILDCARD (B3)", resp);
        if (!wild && strcmp(code->valuestring, "E_BAD_ENTRY") != 0) fuzz_fail("an error other than E_BAD_ENTRY for an entry without wildcards", resp);
    }
    /* Round trip: the parsed entries, written back, parse to themselves. */
    size_t tn;
    char *text = render_entries(entries, &tn, resp);
    char *resp2;
    cJSON *j2 = fuzz_eval_string_op("parse_blocklist", "text", (const uint8_t *)text, tn, &resp2);
    const cJSON *r2 = cJSON_GetObjectItemCaseSensitive(j2, "result");
    const cJSON *errors2 = cJSON_GetObjectItemCaseSensitive(r2, "errors");
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j2, "ok")) || cJSON_GetArraySize(errors2) != 0 ||
        !cJSON_Compare(entries, cJSON_GetObjectItemCaseSensitive(r2, "entries"), 1)) {
        fprintf(stderr, "first:  %.2000s\n", resp);
        fuzz_fail("parsed entries written back do not parse to themselves (B2)", resp2);
    }
    free(text);
    cJSON_Delete(j2);
    crm_free(resp2);
    cJSON_Delete(j);
    crm_free(resp);
    return 0;
}
