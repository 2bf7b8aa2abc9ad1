/* tests/integration/mailbox/fuzz_mime.c: libFuzzer target for crm_mime_item (any bytes in,
 * an item or E_PARSE out, never a crash, a leak or a string over its limit).
 *   make fuzz-mailbox [FUZZ_SECONDS=60]   (corpus: tests/data/mail) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mime/crm_mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* a copy without a terminator, so reads past the end are caught */
    char *raw = malloc(size ? size : 1);
    if (raw == NULL) return 0;
    if (size) memcpy(raw, data, size);
    static const char *const cats[] = {"Salesforce"};
    crm_mime_meta meta = {.id = "f", .folder = "inbox", .categories = cats, .n_categories = 1, .fallback_date = 1};
    cJSON *item = NULL;
    unsigned cut = 0;
    if (crm_mime_item(raw, size, &meta, &item, &cut) == CRM_MIME_OK) {
        const cJSON *b = cJSON_GetObjectItem(item, "body_text");
        if (!cJSON_IsString(b) || strlen(b->valuestring) > CRM_MIME_MAX_BODY) abort();
        char *out = cJSON_PrintUnformatted(item);
        if (out == NULL) abort();
        free(out);
        cJSON_Delete(item);
    }
    free(raw);
    return 0;
}
