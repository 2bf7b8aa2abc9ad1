/* wasm/crmcore_wasm.c: the WebAssembly shim of the rules core (Emscripten only).
 *
 * The shim sits outside core/: it includes the core's public headers and is linked with
 * exactly the objects of the native library (CORE_SRC + GEN_SRC, see mk/wasm.mk) plus the
 * Debian-patched cJSON; the core never includes anything from wasm/. JS reaches the core
 * through the public entry points listed in wasm/exports.json (crm_ctx_new, crm_ctx_eval,
 * ...) and through the few helpers below, which exist because JS cannot call malloc/free
 * or read the allocator's statistics by itself. Every export is marked with
 * CRM_WASM_EXPORT, an attribute that is not tied to Emscripten, and listed in
 * wasm/exports.json; tools/check-exports keeps that list in step with the native library.
 *
 * The helpers are named crm_wasm_*: they are internal to wasm/crmcore.mjs (the ES-module
 * wrapper), not part of the C API. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <malloc.h>
#include "crm/crm.h"

/* ---- build defaults for the WASM build (keep alphabetical) ---- */
#if !defined(__wasm__)
#error "wasm/crmcore_wasm.c is compiled only by emcc (make wasm)"
#endif
#if defined(__wasm64__)
#error "the JS wrapper reads 32-bit pointers and lengths (wasm32 only)"
#endif
/* Single-threaded: one context per loaded module, used by one JS thread. */
#if defined(__EMSCRIPTEN_PTHREADS__)
#error "the WASM build is single-threaded (no -pthread)"
#endif

#define CRM_WASM_EXPORT __attribute__((used, visibility("default")))

/* The wrapper stores a size_t out-length in 4 bytes in front of each request. */
_Static_assert(sizeof(size_t) == 4, "wasm32: size_t is 4 bytes");
_Static_assert(sizeof(void *) == 4, "wasm32: pointers are 4 bytes");

/* Allocates `n` bytes (at least 1) for a request; NULL when the memory cannot grow. The
 * caller releases it with crm_wasm_free(). 8-aligned (dlmalloc). */
CRM_WASM_EXPORT void *crm_wasm_alloc(size_t n);
CRM_WASM_EXPORT void *crm_wasm_alloc(size_t n) { return malloc(n ? n : 1); }

/* Releases a block of crm_wasm_alloc(); NULL is ignored. */
CRM_WASM_EXPORT void crm_wasm_free(void *p);
CRM_WASM_EXPORT void crm_wasm_free(void *p) { free(p); }

/* Bytes currently allocated on the heap (all of malloc: core, cJSON, wrapper buffers).
 * Used by tests/wasm to prove that calls leave nothing behind, and by the bench. */
CRM_WASM_EXPORT size_t crm_wasm_heap_used(void);
CRM_WASM_EXPORT size_t crm_wasm_heap_used(void) {
    struct mallinfo mi = mallinfo();
    return (size_t)mi.uordblks;
}

/* The schema version of the JSON boundary (CRM_SCHEMA_VERSION), a macro in C. */
CRM_WASM_EXPORT int crm_wasm_schema_version(void);
CRM_WASM_EXPORT int crm_wasm_schema_version(void) { return CRM_SCHEMA_VERSION; }
