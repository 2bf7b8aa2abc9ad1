/* model.h: the request's parts as C structures (settings, records, item, context) and
 * the classified participants. Everything lives on the evaluation's arena. */
#ifndef CRM_MODEL_H
#define CRM_MODEL_H
#include "internal.h"

/* ---- addresses (rule A1, A2) ---- */
typedef struct crm_addr {
    bool valid;
    const char *address;       /* normalised addr-spec; the trimmed input when invalid */
    const char *display_name;  /* from "Name <addr>", unquoted; "" when none */
    const char *local, *domain;
    const char *registered;    /* registered domain (A7); "" when none */
    const char *why;           /* why it is invalid */
} crm_addr;

/* Parses and normalises one address (A1/A2). Never fails except out of memory. */
crm_status crm_addr_parse(crm_ctx *ctx, const char *in, size_t len, crm_addr *out);
/* The same without the registered domain (left ""): for addresses only compared. */
crm_status crm_addr_parse_plain(crm_ctx *ctx, const char *in, size_t len, crm_addr *out);
bool crm_is_role_local(const char *local);

/* ---- blocklist entries (B2-B4); also used for internal_domains (A4) ---- */
typedef enum { CRM_ENTRY_ADDRESS, CRM_ENTRY_DOMAIN, CRM_ENTRY_SUFFIX } crm_entry_kind;
typedef struct crm_entry {
    crm_entry_kind kind;
    const char *value;  /* address, or domain without '@' or '.' */
    const char *text;   /* canonical entry text: "a@x.com", "x.com", ".x.com" */
} crm_entry;
typedef struct crm_entries {
    crm_entry *v; size_t n, cap;
    uint32_t *slot; size_t nslot; /* open-addressing index of v (1-based; 0 empty) */
} crm_entries;
typedef struct crm_entry_error { size_t index; const char *input; crm_status code; const char *message; } crm_entry_error;
typedef struct crm_entry_errors { crm_entry_error *v; size_t n, cap; } crm_entry_errors;

/* Splits `text` into entries (B2) appending the new ones to `out` (de-duplicated against
 * what `out` holds); bad tokens go to `errs` with their index, counted from *index. */
crm_status crm_entries_parse(crm_ctx *ctx, const char *text, size_t len, crm_entries *out, crm_entry_errors *errs, size_t *index);
/* Parses one entry token. CRM_OK, CRM_E_WILDCARD or CRM_E_BAD_ENTRY (with *why). */
crm_status crm_entry_parse_token(crm_ctx *ctx, const char *tok, size_t n, crm_entry *out, const char **why);
/* The entry that covers the address (B4), or NULL. */
const crm_entry *crm_entries_match(const crm_entries *list, const crm_addr *a);
const crm_entry *crm_entries_match_domain(const crm_entries *list, const char *domain);
/* Appends `e` unless an equal entry is there (B2: first occurrence kept). */
crm_status crm_entries_add(crm_ctx *ctx, crm_entries *out, const crm_entry *e);

/* ---- settings (core-api.md "settings", rules G) ---- */
enum { MODE_OFF, MODE_ALL, MODE_DESIGNATED };
enum { DIR_BOTH, DIR_INBOUND, DIR_OUTBOUND };
enum { FOLDER_INBOX, FOLDER_SENT, FOLDER_SALESFORCE, FOLDER_JUNK, FOLDER_DRAFTS, FOLDER_DELETED, FOLDER_ARCHIVE, FOLDER_OTHER, FOLDER_COUNT };
enum { UNRES_SKIP, UNRES_CREATE, UNRES_SMART };
enum { KIND_LEAD, KIND_CONTACT };
enum { REC_TASK, REC_EMAIL_MESSAGE };
enum { OVER_SKIP, OVER_TRUNCATE };
enum { OVER_SPLIT, OVER_TRUNC2 };
enum { CONTACTS_ALL, CONTACTS_MINE, CONTACTS_VIEW, CONTACTS_OFF };
extern const char *const crm_folder_names[];

typedef struct crm_limit { const char *name; long limit; } crm_limit;

typedef struct crm_settings {
    const char *org_id;
    long utc_offset_minutes;
    const char *user_id, *mailbox, *salesforce_email;
    const char **aliases; size_t n_aliases;
    crm_entries internal_domains;
    crm_entries freemail_extra; /* domain and .suffix entries (A5) */
    crm_entries block_org, block_user, block_all;
    struct {
        int mode, direction; unsigned folders; int unresolved, create_kind, record_type;
        bool thread_autosave, link_opportunities, use_alternate_emails, record_attachments;
        long closed_within_days, closing_within_days, reply_window_days, lookback_days, max_attachment_bytes;
        int subject_overflow, body_overflow;
        const char *save_category, *exclude_category, *smart_address_domain, *do_not_record_address;
    } email;
    struct {
        bool meetings, appointments, include_not_accepted, track_without_people;
        long max_all_day_days, past_days, future_days;
        const char *activated_at, *unsync_category;
    } events;
    struct { bool tasks, events; int contacts; long task_days; } downsync;
    struct { bool tasks, contacts; } auto_remove;
    long interval_minutes;
    crm_limit *limits; size_t n_limits;
    /* derived */
    crm_addr self_mailbox;
    const char **self; size_t n_self; /* normalised self addresses (A3) */
} crm_settings;

void crm_settings_defaults(crm_settings *s);
/* Applies a partial settings object on top of `s` (validated: E_UNKNOWN_SETTING, E_TYPE,
 * E_RANGE, E_BAD_ENTRY/E_WILDCARD with paths). `locks` (may be NULL) are dotted paths not
 * to apply: with `lock_error` a locked key fails with E_LOCKED, else it is skipped and
 * reported through *skipped (may be NULL). */
crm_status crm_settings_apply(crm_ctx *ctx, crm_settings *s, const cJSON *obj, const crm_path *p,
                              const char *const *locks, size_t n_locks, bool lock_error,
                              const char ***skipped, size_t *n_skipped);
/* Derived fields (effective blocklist); call after the last apply. */
crm_status crm_settings_finish(crm_ctx *ctx, crm_settings *s);
/* Parses request.settings (absent: defaults). */
crm_status crm_settings_from_request(crm_ctx *ctx, const cJSON *root, crm_settings *s);
/* The effective settings as JSON, in the order of core-api.md. */
cJSON *crm_settings_to_json(crm_ctx *ctx, const crm_settings *s);
long crm_field_limit(const crm_settings *s, const char *name, long dflt);
bool crm_is_freemail(const crm_settings *s, const char *domain);

/* ---- records ---- */
typedef struct crm_person {
    const char *id, *email, *first_name, *last_name, *company, *account_id, *owner_id, *created;
    const char **alt_emails; size_t n_alt;
    bool converted, is_lead;
    int64_t created_t; bool has_created;
    crm_addr *norm; size_t n_norm; /* normalised email + alternates */
} crm_person;
typedef struct crm_account { const char *id, *name, *website; const char **domains; size_t n_domains; const char **regs; size_t n_regs; } crm_account;
typedef struct crm_opp {
    const char *id, *account_id, *owner_id, *close_date, *created;
    bool closed, has_close; int64_t close_days; int64_t created_t; bool has_created;
} crm_opp;
typedef struct crm_records {
    crm_person *contacts; size_t n_contacts;
    crm_person *leads; size_t n_leads;
    crm_account *accounts; size_t n_accounts;
    crm_opp *opps; size_t n_opps;
} crm_records;
crm_status crm_records_from_request(crm_ctx *ctx, const cJSON *root, const crm_settings *s, crm_records *r);
const crm_account *crm_find_account(const crm_records *r, const char *id);
const crm_opp *crm_find_opp(const crm_records *r, const char *id);
const crm_person *crm_find_person(const crm_records *r, const char *id);

/* ---- items ---- */
enum { ROLE_FROM, ROLE_TO, ROLE_CC, ROLE_BCC, ROLE_ORGANIZER, ROLE_ATTENDEE };
extern const char *const crm_role_names[];
enum { RESP_ORGANIZER, RESP_ACCEPTED, RESP_TENTATIVE, RESP_DECLINED, RESP_NONE };
enum { RECUR_NONE, RECUR_SERIES, RECUR_OCCURRENCE };

typedef struct crm_party { const char *name, *address; int role; int response; } crm_party;
typedef struct crm_attachment { const char *id, *name; long size; } crm_attachment;
typedef struct crm_item {
    bool is_event;
    const char *id, *message_id, *conversation_id, *in_reply_to, *subject, *body_text, *body_html, *date;
    const char **references; size_t n_references;
    const char **categories; size_t n_categories;
    crm_party *parties; size_t n_parties; /* from, to..., cc..., bcc... | organizer, attendees... */
    int folder; bool is_draft;
    const char *item_class, *content_type, *auto_submitted;
    crm_attachment *attachments; size_t n_attachments;
    int64_t date_t; bool has_date;
    /* events */
    const char *uid, *location, *start, *end, *created;
    int my_response, recurrence; bool is_all_day, is_private;
    int64_t start_t, end_t, created_t; bool has_start, has_end, has_created;
    bool start_is_date, end_is_date;
} crm_item;
crm_status crm_item_from_request(crm_ctx *ctx, const cJSON *root, crm_item *it, bool required);

/* ---- context ---- */
typedef struct crm_saved { const char *key, *message_id, *date; const char **record_ids; size_t n_record_ids; int64_t date_t; bool has_date; } crm_saved;
typedef struct crm_thread { const char *conversation_id, *flagged_at, *what; const char **who; size_t n_who; } crm_thread;
typedef struct crm_context {
    const char *now; int64_t now_t; bool has_now;
    crm_saved *saved; size_t n_saved;
    crm_thread *threads; size_t n_threads;
    const char **view_ids; size_t n_view_ids;
} crm_context;
crm_status crm_context_from_request(crm_ctx *ctx, const cJSON *root, crm_context *c);

/* ---- participants (A8, M1-M3) ---- */
enum { ST_SELF, ST_INTERNAL, ST_BLOCKLISTED, ST_INVALID, ST_SMART, ST_CONTACT, ST_LEAD, ST_UNRESOLVED };
extern const char *const crm_status_names[];
typedef struct crm_participant {
    crm_addr a;
    const char *name;     /* display name (item name, else from the address text) */
    int role, status, response;
    const crm_person *record;            /* primary match */
    const crm_person **also; size_t n_also;
    const crm_entry *blocked_by;
    const char *smart_id;                /* record id of a smart address */
} crm_participant;
typedef struct crm_people {
    crm_participant *v; size_t n;
    bool outbound;
} crm_people;
crm_status crm_classify(crm_ctx *ctx, const crm_settings *s, const crm_records *r, const crm_item *it, crm_people *out);
void crm_trace_participants(crm_ctx *ctx, const crm_people *pp);
cJSON *crm_participants_json(crm_ctx *ctx, cJSON *parent, const char *key, const crm_people *pp);
bool crm_is_self(crm_ctx *ctx, const crm_settings *s, const crm_addr *a);
bool crm_is_internal(const crm_settings *s, const crm_addr *a);

/* ---- suggestions (N1-N5) ---- */
typedef struct crm_suggestion {
    const crm_participant *p;
    int kind; /* KIND_LEAD | KIND_CONTACT */
    const char *first_name, *last_name, *company, *account_id, *new_account_name, *new_account_website;
    bool freemail;
} crm_suggestion;
typedef struct crm_suggestions { crm_suggestion *v; size_t n; } crm_suggestions;
crm_status crm_suggest(crm_ctx *ctx, const crm_settings *s, const crm_records *r, const crm_people *pp, crm_suggestions *out);
cJSON *crm_suggestions_json(crm_ctx *ctx, cJSON *parent, const char *key, const crm_suggestions *sg);

/* ---- keys (K1, K3) ---- */
const char *crm_email_key(crm_ctx *ctx, const crm_settings *s, const crm_item *it);
const char *crm_event_key(crm_ctx *ctx, const crm_settings *s, const crm_item *it);
const char *crm_msgid_key(crm_ctx *ctx, const crm_settings *s, const char *message_id);
const char *crm_created_key(crm_ctx *ctx, const crm_settings *s, const char *kind, const char *address);
#endif
