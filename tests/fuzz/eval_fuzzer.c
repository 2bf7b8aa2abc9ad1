/* tests/fuzz/eval_fuzzer.c: crm_eval on arbitrary bytes. Besides the envelope invariants
 * of fuzz.h, the same bytes through one long-lived context (crm_ctx_eval, as the engine
 * uses the core) must give the same response: no state survives a request. */
#include "fuzz.h"

static crm_ctx *shared_ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *req = (const char *)data;
    char *resp = crm_eval(req, size);
    cJSON *j = fuzz_check_response(resp);
    cJSON_Delete(j);
    if (shared_ctx == NULL && (shared_ctx = crm_ctx_new(NULL)) == NULL) fuzz_fail("crm_ctx_new failed", NULL);
    size_t n2 = 0;
    char *again = crm_ctx_eval(shared_ctx, req, size, &n2);
    if (again == NULL) fuzz_fail("crm_ctx_eval returned NULL", NULL);
    if (n2 != strlen(again)) fuzz_fail("crm_ctx_eval: out_len differs from the response length", again);
    if (strcmp(resp, again) != 0) {
        fprintf(stderr, "crm_eval:     %.2000s\n", resp);
        fuzz_fail("a reused context answers differently from a fresh one", again);
    }
    crm_ctx_release(shared_ctx, again);
    crm_free(resp);
    return 0;
}
