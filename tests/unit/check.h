/* tests/unit/check.h: a minimal test harness. Each test binary ends by printing
 * "N passed, N failed" and exits non-zero when anything failed. */
#ifndef CRM_TEST_CHECK_H
#define CRM_TEST_CHECK_H
#include <stdio.h>
#include <string.h>
static int check_passed, check_failed;
#define CHECK(cond) do { if (cond) check_passed++; else { check_failed++; \
    fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_STR(got, want) do { const char *g_ = (got), *w_ = (want); \
    if (g_ && w_ && strcmp(g_, w_) == 0) check_passed++; else { check_failed++; \
    fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } } while (0)
#define CHECK_DONE() (printf("%s: %d passed, %d failed\n", __FILE__, check_passed, check_failed), check_failed ? 1 : 0)
#endif
