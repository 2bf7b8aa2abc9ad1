/* crm/domain.h: the bundled domain data, generated at build time from maintained public
 * lists (never typed in by hand): the public suffix list (Debian `publicsuffix`) for
 * registered domains (rule A7), and a free-mail list (npm `email-providers`, pinned) for
 * rule A5. Pure; no I/O. Inputs are lower-case ASCII domains (see crm_domain_to_ascii),
 * without a trailing dot. */
#ifndef CRM_DOMAIN_H
#define CRM_DOMAIN_H
#include <stddef.h>
#include <stdbool.h>
#include "crm/export.h"

/* The offset in `domain` (length `len`) where its registered domain starts (the public
 * suffix plus one label, by the PSL algorithm incl. wildcard and exception rules; an
 * unlisted TLD counts as a one-label suffix, the "*" default rule). Returns (size_t)-1
 * when the domain is itself a public suffix or has an empty label. Example:
 * "eu.sales.acme.co.uk" -> 9 ("acme.co.uk"). */
CRM_API size_t crm_registered_domain_offset(const char *domain, size_t len);
/* True when `domain` is exactly a bundled free-mail domain. */
CRM_API bool crm_freemail_bundled(const char *domain, size_t len);
/* Identification of the bundled data, e.g. "psl 20230209.2326-1; email-providers 2.26.0". */
CRM_API const char *crm_domain_data_version(void);
#endif
