/* tests/integration/mailbox/mcheck.h: a minimal check harness for the mailbox tests.
 * Each program prints "N passed, N failed" last and exits non-zero on a failure. */
#ifndef MCHECK_H
#define MCHECK_H
#include <stdio.h>
#include <string.h>

static int mc_pass, mc_fail;

#define CHECK(cond, ...) do { \
    if (cond) mc_pass++; \
    else { mc_fail++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
} while (0)

#define CHECK_STR(got, want, what) do { \
    const char *g_ = (got), *w_ = (want); \
    CHECK(g_ && strcmp(g_, w_) == 0, "%s: got '%s', want '%s'", (what), g_ ? g_ : "(null)", w_); \
} while (0)

static int mc_done(void) {
    printf("%d passed, %d failed\n", mc_pass, mc_fail);
    return mc_fail ? 1 : 0;
}
#endif
