/* crm/punycode.h: Punycode (RFC 3492) and the ASCII form of Unicode domain names, for
 * address normalisation (rule A1). Pure; no I/O. */
#ifndef CRM_PUNYCODE_H
#define CRM_PUNYCODE_H
#include <stddef.h>
#include <stdint.h>
#include "crm/export.h"
#include "crm/status.h"

/* Encodes `n` code points as a Punycode string (no "xn--" prefix) into out (capacity
 * `cap` bytes, NUL-terminated on success); *out_len gets the length. Returns CRM_OK,
 * CRM_E_TOO_LARGE when it does not fit (or overflows, RFC 3492 6.4), CRM_E_BAD_ADDRESS
 * for a code point that is not a Unicode scalar value. */
CRM_API CRM_WARN_UNUSED crm_status crm_punycode_encode(const uint32_t *cp, size_t n, char *out, size_t cap, size_t *out_len);
/* Decodes Punycode (no prefix) into code points (capacity `cap`); *out_n gets the count.
 * CRM_E_BAD_ADDRESS for invalid input, CRM_E_TOO_LARGE when it does not fit. */
CRM_API CRM_WARN_UNUSED crm_status crm_punycode_decode(const char *in, size_t len, uint32_t *cp, size_t cap, size_t *out_n);
/* The ASCII form of a UTF-8 domain: each label with a non-ASCII character becomes
 * "xn--" + Punycode of its code points; ASCII letters are lower-cased (non-ASCII case is
 * kept as given). Labels are split on '.' only. Output NUL-terminated in out (capacity
 * `cap`). CRM_E_BAD_ADDRESS on invalid UTF-8, CRM_E_TOO_LARGE when it does not fit. */
CRM_API CRM_WARN_UNUSED crm_status crm_domain_to_ascii(const char *in, size_t len, char *out, size_t cap, size_t *out_len);
#endif
