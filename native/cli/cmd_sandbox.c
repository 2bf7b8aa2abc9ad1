/* native/cli/cmd_sandbox.c: `crmsync sandbox serve|seed|stats`, the sandbox org (a local
 * server speaking the subset of the Salesforce REST API crmsync uses; docs/sandbox.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/commands.h"
#include "../../tools/sandbox/crm_sandbox.h"

static void sandbox_usage(FILE *out) {
    fprintf(out,
            "usage:\n"
            "  crmsync sandbox serve --db FILE [--port N] [--faults SPEC] [--api-max N] [--page-size N]\n"
            "                        [--token-ttl SECONDS] [--port-file FILE] [--bind ADDR] [--verbose]\n"
            "      serve the sandbox org on http://127.0.0.1:N (N=0: any free port) until SIGINT/SIGTERM\n"
            "  crmsync sandbox seed --db FILE --size N [--seed S]\n"
            "      replace the data by a realistic org of N contacts, deterministic for S\n"
            "  crmsync sandbox stats --db FILE\n"
            "      API calls (total, rolling 24 h, by kind), injected faults, record counts, data hash\n"
            "\n"
            "OAuth: client_id %s, refresh token %s (POST /services/oauth2/token).\n"
            "Faults: comma-separated rules KIND:OPT[:OPT...] with KIND expired|limit|error|slow|drop|lock\n"
            "and OPT rate=R | nth=N | every=N | ms=N (slow) | count=N, plus seed=S; e.g.\n"
            "  --faults 'error:rate=0.1,drop:nth=3,slow:ms=500:every=4,seed=7'\n"
            "Switch them at run time: PUT /sandbox/faults (body: the spec). See docs/sandbox.md.\n",
            CRM_SANDBOX_CLIENT_ID, CRM_SANDBOX_REFRESH_TOKEN);
}

static int num_arg(const char *opt, const char *v, long lo, long hi, long *out) {
    char *end = NULL;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || n < lo || n > hi) {
        fprintf(stderr, "crmsync sandbox: %s needs a number between %ld and %ld\n", opt, lo, hi);
        return -1;
    }
    *out = n;
    return 0;
}

static int report(const char *what, crm_sandbox_status st, char *err) {
    if (st == CRM_SANDBOX_OK) { free(err); return 0; }
    fprintf(stderr, "crmsync sandbox %s: %s%s%s\n", what, crm_sandbox_status_str(st), err ? ": " : "", err ? err : "");
    free(err);
    return st == CRM_SANDBOX_E_USAGE ? 2 : 1;
}

int crm_cmd_sandbox(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        sandbox_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    crm_sandbox_serve_opts o;
    memset(&o, 0, sizeof o);
    long size = -1, seed = 1, v = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--db") == 0 && val) { o.db_path = val; i++; }
        else if (strcmp(a, "--port") == 0) { if (num_arg(a, val, 0, 65535, &v)) return 2; o.port = (unsigned)v; i++; }
        else if (strcmp(a, "--faults") == 0 && val) { o.faults = val; i++; }
        else if (strcmp(a, "--port-file") == 0 && val) { o.port_file = val; i++; }
        else if (strcmp(a, "--bind") == 0 && val) { o.bind_addr = val; i++; }
        else if (strcmp(a, "--api-max") == 0) { if (num_arg(a, val, 1, 1000000000L, &o.api_max)) return 2; i++; }
        else if (strcmp(a, "--page-size") == 0) { if (num_arg(a, val, 1, 2000, &v)) return 2; o.page_size = (int)v; i++; }
        else if (strcmp(a, "--token-ttl") == 0) { if (num_arg(a, val, 0, 100000000L, &o.token_ttl_s)) return 2; i++; }
        else if (strcmp(a, "--verbose") == 0) o.verbose = true;
        else if (strcmp(a, "--size") == 0) { if (num_arg(a, val, 0, 10000000L, &size)) return 2; i++; }
        else if (strcmp(a, "--seed") == 0) { if (num_arg(a, val, 0, 2147483647L, &seed)) return 2; i++; }
        else { fprintf(stderr, "crmsync sandbox %s: unknown or incomplete option '%s'\n", sub, a); sandbox_usage(stderr); return 2; }
    }
    if (!o.db_path) { fprintf(stderr, "crmsync sandbox %s: --db FILE is required\n", sub); return 2; }
    char *err = NULL;
    if (strcmp(sub, "serve") == 0) return report(sub, crm_sandbox_serve(&o, &err), err);
    if (strcmp(sub, "seed") == 0) {
        if (size < 0) { fprintf(stderr, "crmsync sandbox seed: --size N is required\n"); return 2; }
        return report(sub, crm_sandbox_seed(o.db_path, size, (unsigned long)seed, &err), err);
    }
    if (strcmp(sub, "stats") == 0) return report(sub, crm_sandbox_stats(o.db_path, &err), err);
    fprintf(stderr, "crmsync sandbox: unknown subcommand '%s' (serve, seed, stats)\n", sub);
    return 2;
}
