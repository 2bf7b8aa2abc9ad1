/* native/mailbox/mailbox_int.h: what the connectors share (private). */
#ifndef CRM_MAILBOX_INT_H
#define CRM_MAILBOX_INT_H
#include "mailbox/crm_mailbox.h"
#include "mime/crm_mime.h"

typedef struct mbx_ops {
    crm_mbx_status (*list)(crm_mbx *m, const cJSON *cursor, size_t limit, crm_mbx_changes *out, cJSON *new_cursor);
    crm_mbx_status (*fetch)(crm_mbx *m, const char *id, bool keep_raw, crm_mbx_item *out);
    crm_mbx_status (*mark)(crm_mbx *m, const char *id, const char *keyword, const char *category);
    crm_mbx_status (*move)(crm_mbx *m, const char *id, const char *folder, char **new_id);
    void (*close)(crm_mbx *m);
    /* optional: several items at once; out[i] are allocated and zeroed, sts[i] preset OK */
    crm_mbx_status (*fetch_batch)(crm_mbx *m, const char *const *ids, size_t n, bool keep_raw, crm_mbx_item **out,
                                  crm_mbx_status *sts);
} mbx_ops;

struct crm_mbx {
    crm_mbx_kind kind;
    const mbx_ops *ops;
    void *impl;
    long timeout_ms;
    const char *want[8];  /* core folder names listed (static strings) */
    size_t n_want;
    char err[512];
};

/* Sets the handle's message (printf-style) and returns st. Callers never pass secrets. */
crm_mbx_status mbx_fail(crm_mbx *m, crm_mbx_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool mbx_wants(const crm_mbx *m, const char *core_folder);
/* The static core folder name equal to s, or NULL. */
const char *mbx_core_name(const char *s);
/* Appends a change (strings copied). */
crm_mbx_status mbx_add_change(crm_mbx *m, crm_mbx_changes *c, size_t *cap, const char *id, const char *folder,
                              const char *folder_name, crm_mbx_change_kind kind, uint64_t size);
/* Builds the item from raw bytes and store metadata (categories decoded from keywords). */
crm_mbx_status mbx_make_item(crm_mbx *m, char *raw, size_t len, bool keep_raw, const char *id, const char *folder,
                             char *const *keywords, size_t n_keywords, bool is_draft, int64_t fallback_date,
                             crm_mbx_item *out);

crm_mbx_status mbx_maildir_open(crm_mbx *m, const crm_mbx_config *cfg);
crm_mbx_status mbx_imap_open(crm_mbx *m, const crm_mbx_config *cfg);
#endif
