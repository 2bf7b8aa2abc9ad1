/* crm/sha256.h: SHA-256 (FIPS 180-4), used for item keys (rules K1-K3). Pure; no I/O. */
#ifndef CRM_SHA256_H
#define CRM_SHA256_H
#include <stddef.h>
#include <stdint.h>
#include "crm/export.h"

typedef struct crm_sha256 { /* a value type: may live on the stack */
    uint32_t h[8];
    uint64_t total;   /* bytes hashed so far */
    uint8_t buf[64];
    size_t used;      /* bytes in buf */
} crm_sha256;

CRM_API void crm_sha256_init(crm_sha256 *s);
CRM_API void crm_sha256_update(crm_sha256 *s, const void *data, size_t len);
/* Writes the 32-byte digest; `s` must be initialised again before reuse. */
CRM_API void crm_sha256_final(crm_sha256 *s, uint8_t out[32]);
/* One-shot: writes 64 lower-case hex digits and a NUL into out. */
CRM_API void crm_sha256_hex(const void *data, size_t len, char out[65]);
#endif
