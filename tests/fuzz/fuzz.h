/* tests/fuzz/fuzz.h: what every fuzz target shares: the libFuzzer entry point and the
 * invariants every crm_eval response must keep (docs/testing.md "Fuzzing"). A broken
 * invariant prints why and aborts, which libFuzzer reports as a crash and the replay
 * driver (fuzz_main.c) as a failed input. */
#ifndef CRM_TEST_FUZZ_H
#define CRM_TEST_FUZZ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "crm/crm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_fail(const char *why, const char *detail) {
    fprintf(stderr, "fuzz invariant broken: %s\n  %.2000s\n", why, detail ? detail : "");
    fflush(stderr);
    abort();
}

/* The response must be non-NULL, valid JSON, start with {"ok": and, for ok:false, carry
 * error.code ("E_...") and a non-empty error.message; for ok:true, a result object and a
 * trace array. Returns the parsed response (caller deletes). */
static inline cJSON *fuzz_check_response(const char *resp) {
    if (resp == NULL) fuzz_fail("crm_eval returned NULL (only allowed when out of memory)", NULL);
    if (strncmp(resp, "{\"ok\":", 6) != 0) fuzz_fail("the response does not start with {\"ok\":", resp);
    cJSON *j = cJSON_Parse(resp);
    if (j == NULL) fuzz_fail("the response is not valid JSON", resp);
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
    if (!cJSON_IsBool(ok)) fuzz_fail("\"ok\" is not a boolean", resp);
    if (cJSON_IsTrue(ok)) {
        if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "result")) ||
            !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "trace")))
            fuzz_fail("ok:true without a result object and a trace array", resp);
    } else {
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(err, "code");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(err, "message");
        if (!cJSON_IsString(code) || strncmp(code->valuestring, "E_", 2) != 0)
            fuzz_fail("ok:false without error.code \"E_...\"", resp);
        if (!cJSON_IsString(msg) || msg->valuestring[0] == '\0')
            fuzz_fail("ok:false without a non-empty error.message", resp);
        if (strcmp(code->valuestring, "E_NOMEM") == 0) fuzz_fail("E_NOMEM on a small input", resp);
    }
    return j;
}

/* Writes `data` as the contents of a JSON string (no quotes) into `out` (room for
 * 6 * size + 1 bytes). Bytes >= 0x80 are copied as they are: invalid UTF-8 is the core's
 * to handle. Returns the length written. */
static inline size_t fuzz_json_escape(const uint8_t *data, size_t size, char *out) {
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (size_t i = 0; i < size; i++) {
        uint8_t c = data[i];
        if (c == '"' || c == '\\') { out[n++] = '\\'; out[n++] = (char)c; }
        else if (c < 0x20) {
            memcpy(out + n, "\\u00", 4);
            out[n + 4] = hex[c >> 4];
            out[n + 5] = hex[c & 15];
            n += 6;
        } else out[n++] = (char)c;
    }
    out[n] = '\0';
    return n;
}

/* Evaluates {"op": op, field: <data as a JSON string>} and checks the envelope. The
 * parsed response is returned (caller deletes); *raw gets the response text (crm_free). */
static inline cJSON *fuzz_eval_string_op(const char *op, const char *field, const uint8_t *data, size_t size, char **raw) {
    size_t cap = 6 * size + strlen(op) + strlen(field) + 32;
    char *req = malloc(cap);
    if (req == NULL) abort();
    int k = snprintf(req, cap, "{\"op\":\"%s\",\"%s\":\"", op, field);
    size_t n = (size_t)k + fuzz_json_escape(data, size, req + k);
    req[n++] = '"';
    req[n++] = '}';
    req[n] = '\0';
    char *resp = crm_eval(req, n);
    cJSON *j = fuzz_check_response(resp);
    free(req);
    *raw = resp;
    return j;
}
#endif
