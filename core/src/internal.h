/* core/src/internal.h: what the core's modules share. Not installed; not API. */
#ifndef CRM_INTERNAL_H
#define CRM_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>
#include <cjson/cJSON.h>
#include "crm/crm.h"

/* ---- arena: every temporary of one evaluation; freed at once at its end ---- */
typedef struct crm_chunk crm_chunk;
typedef struct crm_arena {
    const crm_allocator *a;
    crm_chunk *head;
    size_t bytes; /* total allocated, for the bench's memory figure */
} crm_arena;

void *crm_arena_alloc(crm_arena *ar, size_t n);          /* 8-aligned; NULL when out of memory */
char *crm_arena_strndup(crm_arena *ar, const char *s, size_t n);
char *crm_arena_strdup(crm_arena *ar, const char *s);
void crm_arena_reset(crm_arena *ar);

/* ---- paths into the request, rendered only when an error needs one ---- */
typedef struct crm_path {
    const struct crm_path *parent;
    const char *key; /* ".key" when set, else "[index]" */
    size_t index;
} crm_path;
#define CRM_PATH_KEY(par, k) ((crm_path){(par), (k), 0})
#define CRM_PATH_IDX(par, i) ((crm_path){(par), NULL, (i)})

/* ---- trace ---- */
typedef struct crm_trace_entry { const char *rule; const char *note; } crm_trace_entry;

/* ---- the context of one evaluation ---- */
struct crm_ctx {
    crm_allocator alloc;
    crm_arena arena;
    /* error of the current evaluation */
    crm_status err;
    const char *err_msg;
    const char *err_path;
    /* trace of the current evaluation */
    crm_trace_entry *trace;
    size_t trace_n, trace_cap;
};

/* Records the error (first one wins) and returns its code. `fmt` understands %s, %d
 * (int), %ld (long), %zu (size_t) and %%. */
crm_status crm_fail(crm_ctx *ctx, crm_status code, const crm_path *path, const char *fmt, ...);
char *crm_fmt(crm_arena *ar, const char *fmt, ...);
/* The same for messages: %s arguments are cut at 200 bytes ("..."). */
char *crm_fmt_message(crm_arena *ar, const char *fmt, ...);
char *crm_vfmt(crm_arena *ar, const char *fmt, va_list ap);
char *crm_path_render(crm_arena *ar, const crm_path *p);
/* Adds a trace entry; the note is formatted like crm_fail. Out of memory is recorded. */
void crm_trace(crm_ctx *ctx, const char *rule, const char *fmt, ...);

/* ---- growable byte buffer on the arena ---- */
typedef struct crm_buf { crm_arena *ar; char *p; size_t n, cap; bool oom; } crm_buf;
void crm_buf_init(crm_buf *b, crm_arena *ar);
void crm_buf_put(crm_buf *b, const char *s, size_t n);
void crm_buf_puts(crm_buf *b, const char *s);
void crm_buf_putc(crm_buf *b, char c);
void crm_buf_putl(crm_buf *b, long v);
char *crm_buf_cstr(crm_buf *b); /* NUL-terminated; NULL when out of memory */

/* ---- small string helpers (ASCII) ---- */
bool crm_streq(const char *a, const char *b);
bool crm_strcaseeq(const char *a, const char *b);
char crm_lower(char c);
bool crm_is_space(char c);
bool crm_is_alpha(char c);
bool crm_is_digit(char c);
bool crm_ends_with(const char *s, size_t n, const char *suffix, size_t sn);

/* ---- UTF-8 ---- */
/* Decodes one code point at s[*i] (len n); advances *i. Invalid sequences yield U+FFFD
 * and advance by one byte; *bad is set when so. */
uint32_t crm_utf8_next(const char *s, size_t n, size_t *i, bool *bad);
size_t crm_utf8_put(char out[4], uint32_t cp);
/* Copy with invalid sequences replaced by U+FFFD and NULs removed (rule F2). */
char *crm_utf8_clean(crm_arena *ar, const char *s, size_t n);
/* Length in UTF-16 code units. */
size_t crm_utf16_len(const char *s, size_t n);
/* Byte length of the longest prefix of s that is at most `units` UTF-16 code units and
 * ends on a code point boundary. */
size_t crm_utf16_prefix(const char *s, size_t n, size_t units);

/* Simple Unicode case mapping (Latin-1, Latin Extended-A, Greek, Cyrillic) and spaces. */
uint32_t crm_unicode_lower(uint32_t cp);
uint32_t crm_unicode_upper(uint32_t cp);
bool crm_unicode_space(uint32_t cp);
/* A lower-cased copy (ASCII and the mapping above) on the arena; NULL when out of memory. */
char *crm_utf8_lower(crm_arena *ar, const char *s, size_t n);

/* ---- a set of strings on the arena (the strings are not copied) ---- */
typedef struct crm_strset { const char **v; size_t cap, n; } crm_strset;
/* 1 when added, 0 when already there, -1 when out of memory (recorded on ctx). */
int crm_strset_add(crm_ctx *ctx, crm_strset *s, const char *k);
bool crm_strset_has(const crm_strset *s, const char *k);

/* ---- a map from strings to pointers on the arena (keys are not copied) ---- */
typedef struct crm_strmap { const char **k; void **v; size_t cap, n; } crm_strmap;
/* The value slot of k, added (NULL) when missing; NULL only when out of memory. */
void **crm_strmap_slot(crm_ctx *ctx, crm_strmap *m, const char *k);
void *crm_strmap_get(const crm_strmap *m, const char *k);

/* ---- time ---- */
/* Parses RFC 3339 ("2026-11-20T10:00:00Z", "...+02:00", fractions allowed; 't'/'z' and a
 * space for 'T' accepted) into seconds since 1970 UTC. false when invalid. */
bool crm_time_parse(const char *s, int64_t *out);
/* Parses YYYY-MM-DD into days since 1970-01-01. */
bool crm_date_parse(const char *s, int64_t *days);
/* Formats seconds since 1970 as "YYYY-MM-DDTHH:MM:SSZ" into out[21]. */
void crm_time_format(int64_t t, char out[21]);
/* Formats days since 1970 as "YYYY-MM-DD" into out[11]. */
void crm_date_format(int64_t days, char out[11]);
int64_t crm_floor_div(int64_t a, int64_t b);

/* ---- JSON access with paths ---- */
/* Checks that `v` is an object whose keys are all in `keys` (NULL-terminated) and none
 * repeated. Unknown keys fail with `unknown` (E_UNKNOWN_FIELD or E_UNKNOWN_SETTING). */
crm_status crm_j_object(crm_ctx *ctx, const cJSON *v, const crm_path *p, const char *const *keys, crm_status unknown);
/* Field getters: an absent (or, for strings, null) field leaves *out at its default. */
crm_status crm_j_str(crm_ctx *ctx, const cJSON *obj, const char *key, const crm_path *p, const char **out);
crm_status crm_j_bool(crm_ctx *ctx, const cJSON *obj, const char *key, const crm_path *p, bool *out);
/* Bounds must fit 32 bits: `long` is 32-bit in wasm32, and both builds must agree. */
crm_status crm_j_int(crm_ctx *ctx, const cJSON *obj, const char *key, const crm_path *p, long lo, long hi, long *out);
crm_status crm_j_int_value(crm_ctx *ctx, const cJSON *v, const crm_path *at, const char *key, long lo, long hi, long *out);
crm_status crm_j_strs(crm_ctx *ctx, const cJSON *obj, const char *key, const crm_path *p, const char ***out, size_t *n);
/* An enum string: *out gets the index in `names` (NULL-terminated). Bad values: E_RANGE. */
crm_status crm_j_enum(crm_ctx *ctx, const cJSON *obj, const char *key, const crm_path *p, const char *const *names, int *out);
const cJSON *crm_j_get(const cJSON *obj, const char *key); /* exact key; NULL when absent */

/* Output helpers: NULL-safe adders that record E_NOMEM on the context. */
cJSON *crm_o_obj(crm_ctx *ctx, cJSON *parent, const char *key);
cJSON *crm_o_arr(crm_ctx *ctx, cJSON *parent, const char *key);
void crm_o_str(crm_ctx *ctx, cJSON *parent, const char *key, const char *val);
void crm_o_bool(crm_ctx *ctx, cJSON *parent, const char *key, bool val);
void crm_o_int(crm_ctx *ctx, cJSON *parent, const char *key, long val);
void crm_o_strs(crm_ctx *ctx, cJSON *parent, const char *key, const char *const *vals, size_t n);
#endif
