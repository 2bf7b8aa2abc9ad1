/* tests/wasm/native_batch.c: many crm_eval calls in one native process, for the WASM
 * parity test and bench (tests/wasm/parity.mjs, tests/bench/bench_wasm.mjs).
 *
 * Standard input is a stream of frames "<decimal length>\n<length bytes>"; for each, the
 * program writes "<decimal length>\n<response bytes>" with the response of
 * crm_eval(bytes, length), exactly the call `crmsync eval` makes. With `--bench N` it
 * instead evaluates every frame N times and prints one line
 * "{"calls":C,"seconds":S,"checksum":X}" (no responses), for the throughput ratio.
 * Exit 0, or 2 on a malformed frame or an allocation failure. Links build/libcrmcore.a. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "crm/crm.h"

typedef struct frame { char *p; size_t n; } frame;

/* Reads one frame; returns 1, 0 at a clean end of input, -1 on a malformed frame. */
static int read_frame(frame *f) {
    size_t n = 0;
    int c, digits = 0;
    while ((c = getchar()) != EOF && c != '\n') {
        if (c < '0' || c > '9' || digits > 10) return -1;
        n = n * 10 + (size_t)(c - '0');
        digits++;
    }
    if (c == EOF) return digits == 0 ? 0 : -1;
    if (digits == 0) return -1;
    f->p = malloc(n ? n : 1);
    if (f->p == NULL) return -1;
    if (n > 0 && fread(f->p, 1, n, stdin) != n) { free(f->p); return -1; }
    f->n = n;
    return 1;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench(long rounds) {
    frame *fs = NULL;
    size_t nf = 0, cap = 0;
    frame f;
    int r;
    while ((r = read_frame(&f)) == 1) {
        if (nf == cap) {
            cap = cap ? cap * 2 : 64;
            frame *nfs = realloc(fs, cap * sizeof *fs);
            if (nfs == NULL) return 2;
            fs = nfs;
        }
        fs[nf++] = f;
    }
    if (r < 0) { fprintf(stderr, "native_batch: malformed frame\n"); return 2; }
    unsigned long checksum = 0, calls = 0;
    double t0 = now_seconds();
    for (long k = 0; k < rounds; k++) {
        for (size_t i = 0; i < nf; i++) {
            char *resp = crm_eval(fs[i].p, fs[i].n);
            if (resp == NULL) return 2;
            checksum += (unsigned long)strlen(resp);
            calls++;
            crm_free(resp);
        }
    }
    double t1 = now_seconds();
    printf("{\"calls\":%lu,\"seconds\":%.6f,\"checksum\":%lu}\n", calls, t1 - t0, checksum);
    for (size_t i = 0; i < nf; i++) free(fs[i].p);
    free(fs);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--bench") == 0) return bench(strtol(argv[2], NULL, 10));
    if (argc != 1) { fprintf(stderr, "usage: native_batch [--bench ROUNDS] < frames\n"); return 2; }
    frame f;
    int r;
    while ((r = read_frame(&f)) == 1) {
        char *resp = crm_eval(f.p, f.n);
        free(f.p);
        if (resp == NULL) { fprintf(stderr, "native_batch: out of memory\n"); return 2; }
        size_t len = strlen(resp);
        printf("%zu\n", len);
        fwrite(resp, 1, len, stdout);
        crm_free(resp);
    }
    if (r < 0) { fprintf(stderr, "native_batch: malformed frame\n"); return 2; }
    return fflush(stdout) == 0 ? 0 : 2;
}
