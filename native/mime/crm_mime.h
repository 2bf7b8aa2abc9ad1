/* native/mime/crm_mime.h: one RFC 5322/MIME message -> the core's email `item` object
 * (spec/core-api.md "Inputs"). Structure and transfer decoding by libetpan's MIME parser
 * (the library the IMAP connector already links), RFC 2047 words, RFC 2231 parameters and
 * charsets (iconv) here. docs/mailbox.md "MIME".
 *
 * Hostile input never crashes and never grows without bound: every limit below is checked
 * and a cut is reported in *truncated (never silently). The item itself keeps exactly the
 * core's keys, so truncation travels beside it. */
#ifndef CRM_MIME_H
#define CRM_MIME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* Ceilings (overridable at build time). */
#ifndef CRM_MIME_MAX_INPUT
#define CRM_MIME_MAX_INPUT (64u << 20)      /* raw message bytes parsed; beyond: headers only */
#endif
#ifndef CRM_MIME_MAX_BODY
#define CRM_MIME_MAX_BODY 4000000u          /* body_text / body_html each, UTF-8 bytes (core: 4 MiB per string) */
#endif
#ifndef CRM_MIME_MAX_ATTACHMENTS
#define CRM_MIME_MAX_ATTACHMENTS 256u
#endif
#ifndef CRM_MIME_MAX_HEADER
#define CRM_MIME_MAX_HEADER 16384u          /* decoded subject, names, ids: bytes each */
#endif
#ifndef CRM_MIME_MAX_ADDRESSES
#define CRM_MIME_MAX_ADDRESSES 1000u        /* per To/Cc/Bcc field */
#endif
#ifndef CRM_MIME_MAX_REFERENCES
#define CRM_MIME_MAX_REFERENCES 100u        /* the last ones are kept (nearest ancestors) */
#endif
#ifndef CRM_MIME_MAX_NESTING
#define CRM_MIME_MAX_NESTING 200u           /* multipart/ + message/rfc822 mentions before we
                                               refuse the structure (libetpan recurses) */
#endif

/* What was cut (bits of *truncated). */
enum {
    CRM_MIME_CUT_BODY = 1u << 0,        /* body_text or body_html hit CRM_MIME_MAX_BODY */
    CRM_MIME_CUT_ATTACHMENTS = 1u << 1, /* more than CRM_MIME_MAX_ATTACHMENTS */
    CRM_MIME_CUT_HEADER = 1u << 2,      /* a header value hit CRM_MIME_MAX_HEADER */
    CRM_MIME_CUT_ADDRESSES = 1u << 3,   /* an address field or References hit its limit */
    CRM_MIME_CUT_STRUCTURE = 1u << 4,   /* MIME structure refused or unparsable: headers only */
    CRM_MIME_CUT_INPUT = 1u << 5,       /* message larger than CRM_MIME_MAX_INPUT */
};

typedef enum crm_mime_status { /* append-only */
    CRM_MIME_OK = 0,
    CRM_MIME_E_NOMEM,
    CRM_MIME_E_PARSE, /* not a message at all (no header could be read) */
} crm_mime_status;

/* What the store knows about the message (not in its bytes). Every pointer may be NULL. */
typedef struct crm_mime_meta {
    const char *id;                 /* item.id */
    const char *folder;             /* item.folder, a core folder name; NULL: "inbox" */
    const char *const *categories;  /* item.categories (decoded names) */
    size_t n_categories;
    bool is_draft;                  /* \Draft / Maildir D flag / drafts folder */
    int64_t fallback_date;          /* Unix seconds used when Date is absent or bad; 0: none */
} crm_mime_meta;

/* Parses raw[0..len) and builds the item. On CRM_MIME_OK *item is a new cJSON object
 * (caller deletes) and *truncated the CRM_MIME_CUT_* bits. Never reads outside raw. */
crm_mime_status crm_mime_item(const char *raw, size_t len, const crm_mime_meta *meta, cJSON **item,
                              unsigned *truncated);

/* Helpers, public for the connectors and tests. Results are malloc'd (caller frees), valid
 * UTF-8 without NUL, or NULL when out of memory. */
/* Any bytes in a charset (NULL/unknown: UTF-8 when valid, else windows-1252) -> UTF-8. */
char *crm_mime_to_utf8(const char *charset, const char *in, size_t n, size_t max, bool *cut);
/* An unstructured header value with RFC 2047 encoded words -> UTF-8, unfolded. */
char *crm_mime_decode_words(const char *in, size_t n, size_t max, bool *cut);
/* Seconds since the epoch -> "YYYY-MM-DDTHH:MM:SSZ" in out[21]. */
void crm_mime_rfc3339(int64_t t, char out[21]);

const char *crm_mime_status_str(crm_mime_status st);

#endif
