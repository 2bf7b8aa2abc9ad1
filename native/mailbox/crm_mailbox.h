/* native/mailbox/crm_mailbox.h: the mailbox connectors behind one interface.
 *
 *   Maildir  a local folder tree (Maildir++ as Dovecot/offlineimap lay it out, or
 *            mbsync's verbatim subfolders); the embedded default.
 *   IMAP     libetpan; TLS (IMAPS or STARTTLS) verified by default; LOGIN or XOAUTH2;
 *            incremental by UIDVALIDITY/UID, CONDSTORE (HIGHESTMODSEQ) where offered.
 *
 * A session: crm_mbx_open -> crm_mbx_list_changes(cursor) -> crm_mbx_fetch(id) for each
 * change -> crm_mbx_mark / crm_mbx_move after a durable save -> store the new cursor only
 * once everything before it is done -> crm_mbx_close. docs/mailbox.md has the cursor
 * semantics, the keyword encoding and what is not done.
 *
 * Secrets: passwords and tokens never appear in error messages (crm_mbx_errmsg) or in
 * cursors. Handles are not thread-safe; use one per thread. */
#ifndef CRM_MAILBOX_H
#define CRM_MAILBOX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

typedef struct crm_mbx crm_mbx; /* opaque */

typedef enum crm_mbx_status { /* append-only */
    CRM_MBX_OK = 0,
    CRM_MBX_E_CONFIG,        /* a configuration value is missing or invalid */
    CRM_MBX_E_CONNECT,       /* DNS, TCP connect, timeout, or the connection dropped */
    CRM_MBX_E_TLS,           /* TLS handshake or certificate verification failed */
    CRM_MBX_E_AUTH,          /* the server refused the login or the token */
    CRM_MBX_E_PROTOCOL,      /* the server answered NO/BAD or something unexpected */
    CRM_MBX_E_NOT_FOUND,     /* no such item or folder (moved or deleted meanwhile) */
    CRM_MBX_E_NO_CATEGORIES, /* the store cannot keep categories here: use the ledger */
    CRM_MBX_E_IO,            /* a local file operation failed */
    CRM_MBX_E_NOMEM,
    CRM_MBX_E_CURSOR,        /* the cursor string is not one this connector wrote */
    CRM_MBX_E_PARSE,         /* the message could not be read as a message at all */
} crm_mbx_status;

typedef enum crm_mbx_kind { CRM_MBX_MAILDIR = 1, CRM_MBX_IMAP = 2 } crm_mbx_kind;

typedef enum crm_mbx_tls {
    CRM_MBX_TLS_IMPLICIT = 0, /* IMAPS (port 993 by default); the default */
    CRM_MBX_TLS_STARTTLS = 1, /* plain connect, then STARTTLS before any credential */
    CRM_MBX_TLS_NONE = 2,     /* cleartext: refused unless allow_plaintext (tests, loopback) */
} crm_mbx_tls;

typedef struct crm_mbx_config {
    crm_mbx_kind kind;
    /* Maildir */
    const char *path;          /* the Maildir root (holds cur/new/tmp of the inbox) */
    /* IMAP */
    const char *host;
    unsigned port;             /* 0: 993 for IMPLICIT, 143 otherwise */
    crm_mbx_tls tls;
    const char *ca_file;       /* PEM bundle to trust instead of the system store; NULL: system */
    bool allow_plaintext;      /* needed for CRM_MBX_TLS_NONE */
    const char *user;
    const char *password;      /* LOGIN; or */
    const char *oauth_token;   /* XOAUTH2 bearer token (takes precedence over password) */
    long timeout_ms;           /* per network operation; 0: 30,000 */
    /* both */
    const char *const *folders; /* core folder names to list (inbox, sent, salesforce, junk,
                                   drafts, deleted, archive, other); NULL: inbox, sent, salesforce */
    size_t n_folders;
} crm_mbx_config;

/* Why an item is in a listing. */
typedef enum crm_mbx_change_kind {
    CRM_MBX_NEW = 1,     /* not listed before under this cursor (new, or moved into the folder) */
    CRM_MBX_CHANGED = 2, /* listed before; its flags/keywords changed (CONDSTORE, Maildir rename) */
} crm_mbx_change_kind;

typedef struct crm_mbx_change {
    char *id;            /* item id for fetch/mark/move; stable while the item stays put */
    const char *folder;  /* core folder name (static string) */
    char *folder_name;   /* the store's folder name, UTF-8 ("INBOX", "Salesforce Emails") */
    crm_mbx_change_kind kind;
    uint64_t size;       /* bytes of the raw message (0 if unknown) */
} crm_mbx_change;

typedef struct crm_mbx_changes {
    crm_mbx_change *items;
    size_t n;
    char *cursor;        /* the cursor after these items (opaque, printable ASCII, no secrets) */
    bool more;           /* the limit cut the listing: call again with `cursor` */
    size_t folders_reset;/* folders restarted from scratch (UIDVALIDITY changed, folder recreated) */
} crm_mbx_changes;

/* A fetched item: the core's email `item` object and what the parser had to cut. */
typedef struct crm_mbx_item {
    cJSON *item;         /* spec/core-api.md email item; owned by this struct */
    unsigned truncated;  /* CRM_MIME_CUT_* bits (native/mime/crm_mime.h) */
    char *raw;           /* the raw message when requested (crm_mbx_fetch keep_raw), else NULL */
    size_t raw_len;
} crm_mbx_item;

/* Opens a connector (for IMAP: connects, TLS, authenticates). On failure *out is NULL and
 * *err, when err is not NULL, gets a malloc'd message (caller frees) without secrets. */
crm_mbx_status crm_mbx_open(const crm_mbx_config *cfg, crm_mbx **out, char **err);
void crm_mbx_close(crm_mbx *m);

/* Items changed since `cursor` (NULL or "": since the beginning) in the configured folders,
 * at most `limit` (0: no limit; the listing may exceed a limit only to keep items that the
 * cursor cannot tell apart together). *out is new; free with crm_mbx_changes_free. The new
 * cursor covers exactly the items returned. */
crm_mbx_status crm_mbx_list_changes(crm_mbx *m, const char *cursor, size_t limit, crm_mbx_changes **out);
void crm_mbx_changes_free(crm_mbx_changes *c);

/* Reads and parses one item. *out is new; free with crm_mbx_item_free. */
crm_mbx_status crm_mbx_fetch(crm_mbx *m, const char *id, bool keep_raw, crm_mbx_item **out);
void crm_mbx_item_free(crm_mbx_item *it);

/* Reads and parses several items: out[i] (free each with crm_mbx_item_free) and sts[i] per
 * id; out[i] is NULL when sts[i] is not CRM_MBX_OK. IMAP fetches a folder's run of ids with
 * one size query and UID FETCH commands of at most 50 bodies / 16 MiB (give the ids in
 * listing order: runs of one folder). Returns CRM_MBX_OK unless the connection failed or
 * memory ran out; then the items not fetched carry that status. */
crm_mbx_status crm_mbx_fetch_batch(crm_mbx *m, const char *const *ids, size_t n, bool keep_raw, crm_mbx_item **out,
                                   crm_mbx_status *sts);

/* Adds the category (IMAP keyword, Dovecot Maildir keyword letter). CRM_MBX_E_NO_CATEGORIES
 * when the store cannot keep it; the engine then records it in its ledger. Idempotent. */
crm_mbx_status crm_mbx_mark(crm_mbx *m, const char *id, const char *category);

/* Moves the item to `folder`: a core folder name ("inbox") resolved to that folder of the
 * store, or else the store's folder name. *new_id (may be NULL) gets the id in the new
 * folder when the store tells it (malloc'd), or NULL. */
crm_mbx_status crm_mbx_move(crm_mbx *m, const char *id, const char *folder, char **new_id);

/* The last error of this handle; valid until the next call. Never NULL, never a secret. */
const char *crm_mbx_errmsg(const crm_mbx *m);
const char *crm_mbx_status_str(crm_mbx_status st);
crm_mbx_kind crm_mbx_get_kind(const crm_mbx *m);

/* Core folder name of a store folder, from its SPECIAL-USE attributes when given (e.g.
 * "\\Sent \\HasNoChildren") or else its name (last hierarchy level, case-insensitive). */
const char *crm_mbx_folder_kind(const char *name, char delimiter, const char *special_use);

/* Reversible encoding of a category name as an IMAP keyword atom (docs/mailbox.md
 * "Keyword encoding"): letters, digits and "-.$" stay; space -> '_'; any other byte ->
 * "&XX" (two upper-case hex digits, UTF-8 bytes). Returns malloc'd strings, NULL when out
 * of memory (encode) or when the keyword is not a valid encoding (decode: returned as is). */
char *crm_mbx_keyword_encode(const char *category);
char *crm_mbx_keyword_decode(const char *keyword);

#endif
