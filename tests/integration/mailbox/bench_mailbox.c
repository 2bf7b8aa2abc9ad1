/* tests/integration/mailbox/bench_mailbox.c: lists a Maildir through the connector, fetches
 * and parses every item, and prints figures (items/s, peak RSS) and counts of what the
 * parser saw, one "key: n" a line (check-sample compares them with the generator's).
 *   bench_mailbox MAILDIR [--all-folders] [--page N] */
#define _DEFAULT_SOURCE
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include "mailbox/crm_mailbox.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: bench_mailbox MAILDIR [--all-folders] [--page N]\n"); return 2; }
    static const char *const all[] = {"inbox", "sent", "salesforce", "junk", "drafts", "deleted", "archive", "other"};
    bool every = false;
    size_t page = 1000;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--all-folders") == 0) every = true;
        else if (strcmp(argv[i], "--page") == 0 && i + 1 < argc) page = (size_t)atol(argv[++i]);
    }
    crm_mbx_config cfg = {.kind = CRM_MBX_MAILDIR, .path = argv[1], .folders = every ? all : NULL, .n_folders = every ? 8 : 0};
    crm_mbx *m = NULL;
    char *err = NULL;
    if (crm_mbx_open(&cfg, &m, &err) != CRM_MBX_OK) { fprintf(stderr, "open: %s\n", err); return 1; }
    double t0 = now(), tlist = 0;
    char *cursor = NULL;
    long n = 0, reports = 0, auto_replied = 0, meeting = 0, with_att = 0, no_msgid = 0, no_date = 0, no_from = 0,
         salesforce = 0, sent = 0, junk = 0, drafts = 0, cut = 0, errors = 0, replies = 0, pages = 0;
    double bytes = 0;
    for (bool more = true; more;) {
        crm_mbx_changes *c = NULL;
        double tl = now();
        if (crm_mbx_list_changes(m, cursor, page, &c) != CRM_MBX_OK) { fprintf(stderr, "list: %s\n", crm_mbx_errmsg(m)); return 1; }
        tlist += now() - tl;
        pages++;
        for (size_t i = 0; i < c->n; i++) {
            crm_mbx_item *it = NULL;
            if (crm_mbx_fetch(m, c->items[i].id, false, &it) != CRM_MBX_OK) { errors++; continue; }
            const cJSON *o = it->item;
            const char *ic = cJSON_GetObjectItem(o, "item_class")->valuestring;
            if (strncmp(ic, "REPORT.", 7) == 0) reports++;
            if (strncmp(ic, "IPM.Schedule.Meeting.Resp.", 26) == 0) meeting++;
            if (strcmp(cJSON_GetObjectItem(o, "auto_submitted")->valuestring, "auto-replied") == 0) auto_replied++;
            if (cJSON_GetArraySize(cJSON_GetObjectItem(o, "attachments")) > 0) with_att++;
            if (!cJSON_GetObjectItem(o, "message_id")->valuestring[0]) no_msgid++;
            if (!cJSON_GetObjectItem(o, "date")->valuestring[0]) no_date++;
            if (!cJSON_GetObjectItem(cJSON_GetObjectItem(o, "from"), "address")->valuestring[0]) no_from++;
            if (cJSON_GetObjectItem(o, "in_reply_to")->valuestring[0]) replies++;
            const char *f = cJSON_GetObjectItem(o, "folder")->valuestring;
            salesforce += strcmp(f, "salesforce") == 0;
            sent += strcmp(f, "sent") == 0;
            junk += strcmp(f, "junk") == 0;
            drafts += strcmp(f, "drafts") == 0;
            if (it->truncated) cut++;
            bytes += (double)c->items[i].size;
            n++;
            crm_mbx_item_free(it);
        }
        more = c->more;
        free(cursor);
        cursor = strdup(c->cursor);
        crm_mbx_changes_free(c);
    }
    double t = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("items: %ld\nreports: %ld\nauto_replied: %ld\nmeeting_responses: %ld\nwith_attachments: %ld\n"
           "no_message_id: %ld\nno_date: %ld\nno_from: %ld\nreplies: %ld\nfolder_salesforce: %ld\nfolder_sent: %ld\n"
           "folder_junk: %ld\nfolder_drafts: %ld\ntruncated: %ld\nerrors: %ld\n",
           n, reports, auto_replied, meeting, with_att, no_msgid, no_date, no_from, replies, salesforce, sent, junk, drafts, cut, errors);
    printf("# %ld items in %ld pages of %zu: %.2f s (listing %.2f s), %.0f items/s, %.1f MB/s parsed, peak RSS %.1f MB, cursor %zu bytes\n",
           n, pages, page, t, tlist, (double)n / t, bytes / 1e6 / t, (double)ru.ru_maxrss / 1024.0, cursor ? strlen(cursor) : 0);
    free(cursor);
    crm_mbx_close(m);
    return errors ? 1 : 0;
}
