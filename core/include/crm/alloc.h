/* crm/alloc.h: the explicit allocator. The core's own allocations (its per-request arena,
 * contexts and responses) go through one of these, so an embedder (or a test) can count
 * them or fail the N-th one. The JSON trees of a request and a response are cJSON's, which
 * allocates through its own process-wide hooks (cJSON_InitHooks; malloc by default): an
 * embedder that must account for every byte sets those hooks too. A failed allocation,
 * ours or cJSON's, is reported as CRM_E_NOMEM, never an abort. */
#ifndef CRM_ALLOC_H
#define CRM_ALLOC_H
#include <stddef.h>
#include "crm/export.h"

typedef struct crm_allocator {
    void *(*alloc)(void *ud, size_t size);                   /* like malloc */
    void *(*resize)(void *ud, void *ptr, size_t old_size, size_t new_size); /* like realloc */
    void (*release)(void *ud, void *ptr, size_t size);        /* like free; ptr may be NULL */
    void *ud;                                                 /* passed to each call */
} crm_allocator;

/* The process allocator (malloc/realloc/free). Static; never NULL. */
CRM_API const crm_allocator *crm_default_allocator(void);
#endif
