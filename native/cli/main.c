/* crmsync: the command line. `crmsync eval [FILE]` evaluates one core request; the
 * CLI is the only part of this build that reads files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "crm/crm.h"
#include "cli/commands.h"

static void usage(FILE *out) {
    fprintf(out,
            "crmsync %s: Salesforce <-> mailbox sync\n"
            "\n"
            "usage:\n"
            "  crmsync eval [FILE]     evaluate one rules-core request (JSON) from FILE or standard input;\n"
            "                          prints the response; exit 0 ok, 1 ok:false, 2 input not JSON\n"
            "  crmsync sync --once --config FILE [--mailbox NAME] [--json]\n"
            "                          run one sync session for the configured mailboxes\n"
            "  crmsync serve --config FILE [--worker NAME]\n"
            "                          the daemon: sync every due mailbox on its interval\n"
            "  crmsync api --config FILE [--port N] [--port-file F]\n"
            "                          crmsyncd's HTTP API for the sidebar (docs/api.md)\n"
            "  crmsync issues [--db FILE] [--mailbox M] [--json] [--limit N]\n"
            "                          the sync issues log\n"
            "  crmsync sandbox serve|seed|stats ...\n"
            "                          the sandbox org, a local Salesforce REST server\n"
            "  crmsync version         print the version and the bundled domain data\n"
            "  crmsync --help          this text\n"
            "\n"
            "FILE for sync, serve and api is one JSON configuration: the store, the Salesforce\n"
            "connection (secrets by environment variable), the org's defaults, locks and blocklist,\n"
            "the users and their Maildir/IMAP mailboxes, the API's port and tokens:\n"
            "docs/configuration.md. `make run` writes an example to build/demo/crmsync.json.\n"
            "\n"
            "The request format is described in ../shared/spec/core-api.md (operations: version,\n"
            "normalize_address, parse_blocklist, classify, decide_email, plan_save, suggest,\n"
            "do_not_sync, decide_event, downsync_filter, decide_delete, merge_settings,\n"
            "validate_settings, item_key).\n",
            crm_version());
}

/* Reads all of `f` into a malloc'd buffer. Returns NULL (errno set) on failure. */
static char *slurp(FILE *f, size_t *len) {
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL) return NULL;
    for (;;) {
        if (n == cap) {
            if (cap > CRM_MAX_REQUEST_BYTES * 2) break; /* enough to know it is too large */
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) { free(buf); return NULL; }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) { free(buf); return NULL; }
            break;
        }
    }
    *len = n;
    return buf;
}

int crm_cmd_eval(int argc, char **argv) {
    FILE *f = stdin;
    const char *name = "standard input";
    if (argc > 2) { fprintf(stderr, "crmsync eval: takes at most one FILE\n"); return 2; }
    if (argc == 2 && strcmp(argv[1], "-") != 0) {
        name = argv[1];
        f = fopen(name, "rb");
        if (f == NULL) { fprintf(stderr, "crmsync eval: cannot open %s: %s\n", name, strerror(errno)); return 2; }
    }
    size_t len = 0;
    char *req = slurp(f, &len);
    int err = errno;
    if (f != stdin) fclose(f);
    if (req == NULL) { fprintf(stderr, "crmsync eval: cannot read %s: %s\n", name, strerror(err)); return 2; }
    char *resp = crm_eval(req, len);
    free(req);
    if (resp == NULL) { fprintf(stderr, "crmsync eval: out of memory\n"); return 2; }
    fputs(resp, stdout);
    fputc('\n', stdout);
    int rc = strncmp(resp, "{\"ok\":true", 10) == 0 ? 0 : (strstr(resp, "\"code\":\"E_JSON\"") ? 2 : 1);
    crm_free(resp);
    if (fflush(stdout) != 0) { fprintf(stderr, "crmsync eval: cannot write the response\n"); return 2; }
    return rc;
}

static int cmd_version(int argc, char **argv) {
    (void)argc; (void)argv;
    printf("crmsync %s (schema %d; %s)\n", crm_version(), CRM_SCHEMA_VERSION, crm_domain_data_version());
    return 0;
}

static int cmd_help(int argc, char **argv) {
    (void)argc; (void)argv;
    usage(stdout);
    return 0;
}

static const struct { const char *name; int (*fn)(int, char **); } commands[] = {
    {"eval", crm_cmd_eval},
    {"sandbox", crm_cmd_sandbox},
    {"issues", crm_cmd_issues},
    {"api", crm_cmd_api},
    {"sync", crm_cmd_sync},
    {"serve", crm_cmd_serve},
    {"version", cmd_version},
    {"--version", cmd_version},
    {"--help", cmd_help},
    {"-h", cmd_help},
    {"help", cmd_help},
};

int main(int argc, char **argv) {
    if (argc < 2) { usage(stderr); return 2; }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "crmsync: unknown command '%s' (see crmsync --help)\n", argv[1]);
    return 2;
}
