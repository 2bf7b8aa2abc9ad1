/* native/cli/cmd_api.c: `crmsync api --config FILE [--port N] [--port-file F] [--quiet]`:
 * serves crmsyncd's HTTP API for the sidebar (docs/api.md) until SIGINT/SIGTERM. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/commands.h"
#include "api/crm_api.h"

static void api_usage(FILE *out) {
    fprintf(out,
            "usage: crmsync api --config FILE [--port N] [--port-file FILE] [--quiet]\n"
            "  serve the sidebar's HTTP API (docs/api.md) on api.bind:api.port of FILE\n"
            "  (--port overrides; 0: any free port, written to --port-file) until SIGINT/SIGTERM.\n"
            "  One log line per request on standard error (no tokens, no query strings).\n");
}

int crm_cmd_api(int argc, char **argv) {
    const char *config = NULL, *port_file = NULL;
    long port = -1;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--config") == 0 && v) { config = v; i++; }
        else if (strcmp(a, "--port-file") == 0 && v) { port_file = v; i++; }
        else if (strcmp(a, "--port") == 0 && v) {
            char *end = NULL;
            errno = 0;
            port = strtol(v, &end, 10);
            if (!*v || *end || errno || port < 0 || port > 65535) { fprintf(stderr, "crmsync api: --port needs 0..65535\n"); return 2; }
            i++;
        } else if (strcmp(a, "--quiet") == 0) quiet = true;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) { api_usage(stdout); return 0; }
        else { fprintf(stderr, "crmsync api: unknown or incomplete option '%s'\n", a); api_usage(stderr); return 2; }
    }
    if (config == NULL) { api_usage(stderr); return 2; }
    cJSON *cfg = NULL;
    char *err = NULL;
    crm_api_status st = crm_api_config_load(config, &cfg, &err);
    if (st != CRM_API_OK) { fprintf(stderr, "crmsync api: %s\n", err ? err : crm_api_status_str(st)); free(err); return 1; }
    /* signals go to this thread only: block them before the server starts its threads */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    crm_api_opts o = {(int)port, quiet ? NULL : stderr};
    crm_api *api = NULL;
    st = crm_api_start(cfg, &o, &api, &err);
    cJSON_Delete(cfg);
    if (st != CRM_API_OK) {
        fprintf(stderr, "crmsync api: %s: %s\n", crm_api_status_str(st), err ? err : "");
        free(err);
        return 1;
    }
    unsigned p = crm_api_port(api);
    printf("crmsync api listening on port %u\n", p);
    fflush(stdout);
    if (port_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (f == NULL || fprintf(f, "%u\n", p) < 0 || fclose(f) != 0 || rename(tmp, port_file) != 0) {
            fprintf(stderr, "crmsync api: cannot write %s\n", port_file);
            crm_api_stop(api);
            return 1;
        }
    }
    int sig = 0;
    sigwait(&set, &sig);
    crm_api_stop(api);
    return 0;
}
