/* `crmsync issues`: the issues log of the store, for a person or as JSON (docs/store.md).
 * It prints only what the issues table holds (never an org's credentials), and replaces
 * control characters so a message cannot drive the terminal. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "cli/commands.h"
#include "store/crm_store.h"

#define ISSUES_DEFAULT_LIMIT 50

static void issues_usage(FILE *out) {
    fprintf(out,
            "usage: crmsync issues [--db FILE] [--mailbox M] [--json] [--limit N]\n"
            "  --db FILE     the store (default: $CRMSYNC_DB, else ./crmsync.db)\n"
            "  --mailbox M   only this mailbox (its name or numeric id)\n"
            "  --json        print {\"issues\": [...]} instead of text\n"
            "  --limit N     at most N issues, newest first (default %d; 0: all)\n",
            ISSUES_DEFAULT_LIMIT);
}

/* "2026-11-22T10:00:00Z" (rfc3339) or "2026-11-22 10:00:00 UTC". */
static void fmt_time(double at, int rfc3339, char *buf, size_t cap) {
    time_t t = (time_t)at;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, cap, rfc3339 ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(buf, cap, "%.0f", at);
}

/* Prints `v` with control characters (C0, DEL) replaced by '?'. */
static void put_clean(const char *v) {
    for (const unsigned char *p = (const unsigned char *)(v ? v : ""); *p; p++)
        putchar(*p < 0x20 || *p == 0x7f ? '?' : *p);
}

static const char *str_of(const cJSON *o, const char *k) {
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
    return v ? v : "";
}
static double num_of(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void print_text(const cJSON *issues, const char *mailbox) {
    int n = cJSON_GetArraySize(issues);
    if (n == 0) {
        printf("no issues logged%s", mailbox ? " for mailbox " : "");
        if (mailbox) put_clean(mailbox);
        printf("\n");
        return;
    }
    printf("%d issue%s, newest first\n", n, n == 1 ? "" : "s");
    const cJSON *e;
    cJSON_ArrayForEach(e, issues) {
        char when[64];
        fmt_time(num_of(e, "at"), 0, when, sizeof when);
        printf("\n%s  mailbox ", when);
        put_clean(str_of(e, "mailbox"));
        printf("\n  what:  ");
        /* in words a person reads; unknown kinds as "<kind> failed" */
        static const struct { const char *kind, *words; } kinds[] = {
            {"read", "could not read the email"}, {"decide", "not saved"}, {"write", "could not write to Salesforce"},
            {"mark", "could not mark the email in the mailbox"}, {"session", "the session stopped"}};
        const char *kind = str_of(e, "kind"), *words = NULL;
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            if (strcmp(kinds[k].kind, kind) == 0) words = kinds[k].words;
        if (words) printf("%s", words);
        else { put_clean(kind); printf(" failed"); }
        const char *ref = str_of(e, "item_ref"), *key = str_of(e, "item_key");
        if (ref[0]) { printf(": "); put_clean(ref); }
        if (key[0]) { printf(" (key "); put_clean(key); printf(")"); }
        if (!ref[0] && !key[0]) printf(" (whole session)");
        printf("\n  why:   ");
        const char *code = str_of(e, "code"), *msg = str_of(e, "message");
        if (code[0]) { put_clean(code); if (msg[0]) printf(": "); }
        put_clean(msg);
        if (!code[0] && !msg[0]) printf("(no reason recorded)");
        double retried = num_of(e, "retried");
        if (retried > 0) printf("\n  state: retried %.0f time%s", retried, retried == 1 ? "" : "s");
        else printf("\n  state: not retried yet");
        printf(", %s\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "resolved")) ? "resolved" : "open");
    }
}

static int print_json(cJSON *issues) {
    cJSON *e;
    cJSON_ArrayForEach(e, issues) {
        char when[64];
        fmt_time(num_of(e, "at"), 1, when, sizeof when);
        cJSON *s = cJSON_CreateString(when);
        if (s == NULL || !cJSON_ReplaceItemInObjectCaseSensitive(e, "at", s)) { cJSON_Delete(s); return -1; }
    }
    cJSON *root = cJSON_CreateObject();
    if (root == NULL) return -1;
    cJSON_AddItemReferenceToObject(root, "issues", issues);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (text == NULL) return -1;
    puts(text);
    cJSON_free(text);
    return 0;
}

int crm_cmd_issues(int argc, char **argv) {
    const char *db = getenv("CRMSYNC_DB"), *mailbox = NULL;
    if (db == NULL || db[0] == '\0') db = "crmsync.db";
    int json = 0;
    long limit = ISSUES_DEFAULT_LIMIT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) { issues_usage(stdout); return 0; }
        if (strcmp(a, "--json") == 0) { json = 1; continue; }
        if (i + 1 >= argc || (strcmp(a, "--db") != 0 && strcmp(a, "--mailbox") != 0 && strcmp(a, "--limit") != 0)) {
            fprintf(stderr, "crmsync issues: unknown or incomplete option '%s'\n", a);
            issues_usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        if (strcmp(a, "--db") == 0) db = v;
        else if (strcmp(a, "--mailbox") == 0) mailbox = v;
        else {
            char *end = NULL;
            errno = 0;
            limit = strtol(v, &end, 10);
            if (errno || end == v || *end || limit < 0) {
                fprintf(stderr, "crmsync issues: --limit wants a number 0 or more\n");
                return 2;
            }
        }
    }
    crm_store_options opts = {0, 0, true};
    crm_store *st = NULL;
    crm_store_status r = crm_store_open(db, &opts, &st);
    if (r != CRM_STORE_OK) {
        fprintf(stderr, "crmsync issues: %s\n", crm_store_errmsg(st));
        crm_store_close(st);
        return 2;
    }
    int64_t mb = 0;
    if (mailbox) {
        char *end = NULL;
        long long id = strtoll(mailbox, &end, 10);
        if (end != mailbox && *end == '\0' && id > 0) mb = (int64_t)id;
        else if ((r = crm_store_mailbox_find(st, mailbox, &mb)) != CRM_STORE_OK) {
            fprintf(stderr, "crmsync issues: %s\n", crm_store_errmsg(st));
            crm_store_close(st);
            return 2;
        }
    }
    cJSON *issues = NULL;
    r = crm_store_issues_list(st, mb, (size_t)limit, &issues);
    if (r != CRM_STORE_OK) {
        fprintf(stderr, "crmsync issues: %s\n", crm_store_errmsg(st));
        crm_store_close(st);
        return 2;
    }
    crm_store_close(st);
    int rc = 0;
    if (json) rc = print_json(issues);
    else print_text(issues, mailbox);
    cJSON_Delete(issues);
    if (rc != 0) { fprintf(stderr, "crmsync issues: out of memory\n"); return 2; }
    if (fflush(stdout) != 0) { fprintf(stderr, "crmsync issues: cannot write the output\n"); return 2; }
    return 0;
}
