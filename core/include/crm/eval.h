/* crm/eval.h: the JSON boundary (spec/core-api.md). One request in, one response out.
 *
 * Ownership: every response is owned by the caller and released with crm_free() (or, for
 * crm_ctx_eval, crm_ctx_release()). No call aborts on any input: bad input gives an
 * {"ok": false, "error": {...}} response; only an allocation failure while building the
 * error itself returns NULL. */
#ifndef CRM_EVAL_H
#define CRM_EVAL_H
#include <stddef.h>
#include "crm/export.h"
#include "crm/alloc.h"

/* Limits against hostile input (core-api.md). */
#define CRM_MAX_REQUEST_BYTES ((size_t)16 * 1024 * 1024)
#define CRM_MAX_STRING_BYTES ((size_t)4 * 1024 * 1024)
#define CRM_MAX_DEPTH 64

typedef struct crm_ctx crm_ctx; /* opaque: an allocator and per-context scratch */

/* A context using `a` (NULL: crm_default_allocator()). Returns NULL when out of memory.
 * A context may be used by one thread at a time; use one per thread. */
CRM_API CRM_WARN_UNUSED crm_ctx *crm_ctx_new(const crm_allocator *a);
CRM_API void crm_ctx_free(crm_ctx *ctx);

/* Evaluates one request of `len` bytes (need not be NUL-terminated). Returns the
 * NUL-terminated compact JSON response and its length in *out_len (may be NULL); the
 * caller releases it with crm_ctx_release(ctx, response). NULL only when out of memory. */
CRM_API CRM_WARN_UNUSED char *crm_ctx_eval(crm_ctx *ctx, const char *request, size_t len, size_t *out_len);
CRM_API void crm_ctx_release(crm_ctx *ctx, char *response);

/* The same with a default context; release the response with crm_free(). */
CRM_API CRM_WARN_UNUSED char *crm_eval(const char *request, size_t len);
CRM_API void crm_free(void *response);

/* "x.y.z" of this build. Static. */
CRM_API const char *crm_version(void);
#define CRM_SCHEMA_VERSION 1
#endif
