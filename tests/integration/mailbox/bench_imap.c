/* tests/integration/mailbox/bench_imap.c: IMAP figures against the throwaway Dovecot of
 * run-imap-test (CRM_SEED_COUNT sample emails in the INBOX): listing, then fetching and
 * parsing every item with crm_mbx_fetch_batch, and a sample of single fetches. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "mailbox/crm_mailbox.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void) {
    const char *p = getenv("CRM_IMAP_PORT");
    if (p == NULL) { fprintf(stderr, "run me through run-imap-test\n"); return 2; }
    static const char *const all[] = {"inbox", "sent", "salesforce", "junk", "drafts", "other"};
    crm_mbx_config cfg = {.kind = CRM_MBX_IMAP, .host = "127.0.0.1", .port = (unsigned)atoi(p), .tls = CRM_MBX_TLS_NONE,
                          .allow_plaintext = true, .user = "bob", .password = "secret", .folders = all, .n_folders = 6};
    crm_mbx *m = NULL;
    char *err = NULL;
    if (crm_mbx_open(&cfg, &m, &err) != CRM_MBX_OK) { fprintf(stderr, "open: %s\n", err); return 1; }
    double t0 = now();
    crm_mbx_changes *c = NULL;
    if (crm_mbx_list_changes(m, NULL, 0, &c) != CRM_MBX_OK) { fprintf(stderr, "list: %s\n", crm_mbx_errmsg(m)); return 1; }
    double tl = now() - t0;
    const char **ids = malloc(c->n * sizeof *ids);
    crm_mbx_item **items = malloc(200 * sizeof *items);
    crm_mbx_status *sts = malloc(200 * sizeof *sts);
    for (size_t i = 0; i < c->n; i++) ids[i] = c->items[i].id;
    double t1 = now();
    size_t ok = 0;
    for (size_t i = 0; i < c->n; i += 200) {
        size_t k = c->n - i < 200 ? c->n - i : 200;
        if (crm_mbx_fetch_batch(m, ids + i, k, false, items, sts) != CRM_MBX_OK) { fprintf(stderr, "batch: %s\n", crm_mbx_errmsg(m)); return 1; }
        for (size_t j = 0; j < k; j++) { ok += sts[j] == CRM_MBX_OK; crm_mbx_item_free(items[j]); }
    }
    double tb = now() - t1;
    size_t single = c->n < 500 ? c->n : 500;
    double t2 = now();
    for (size_t i = 0; i < single; i++) {
        crm_mbx_item *it = NULL;
        if (crm_mbx_fetch(m, ids[i], false, &it) == CRM_MBX_OK) crm_mbx_item_free(it);
    }
    double ts = now() - t2;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("# IMAP (Dovecot, loopback): listed %zu in %.2f s; fetched+parsed %zu in batches: %.2f s, %.0f items/s; "
           "single fetches: %.0f items/s; peak RSS %.1f MB\n",
           c->n, tl, ok, tb, (double)ok / tb, (double)single / ts, (double)ru.ru_maxrss / 1024.0);
    free(ids); free(items); free(sts);
    crm_mbx_changes_free(c);
    crm_mbx_close(m);
    return ok == (size_t)0 ? 1 : 0;
}
