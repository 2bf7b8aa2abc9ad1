/* tests/integration/mailbox/test_maildir.c: the Maildir connector on a temporary tree
 * (listing, cursor, limits, fetch, Dovecot keyword letters, move, folder reset) and the
 * shared helpers (keyword encoding, folder kinds). */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mcheck.h"
#include "mailbox/crm_mailbox.h"

static char root[256];
static int seq;

static void mkdirs(const char *rel) {
    char p[512];
    const char *subs[] = {"", "/cur", "/new", "/tmp"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s%s", root, rel, subs[i]);
        mkdir(p, 0700);
    }
}

/* Delivers a message the Maildir way: write in tmp/, rename into new/ (or cur/ with flags). */
static void deliver(const char *rel, const char *subject, const char *flags) {
    char tmp[512], dst[512], name[128];
    snprintf(name, sizeof name, "1763800000.M%dP%d.testhost", ++seq, (int)getpid());
    snprintf(tmp, sizeof tmp, "%s/%s/tmp/%s", root, rel, name);
    FILE *f = fopen(tmp, "w");
    fprintf(f, "Message-ID: <m%d@acme.com>\nFrom: Jane <jane@acme.com>\nTo: bob@crmsync-demo.com\nSubject: %s\n"
               "Date: Mon, 16 Nov 2026 10:00:00 +0000\n\nbody %d\n", seq, subject, seq);
    fclose(f);
    if (flags) snprintf(dst, sizeof dst, "%s/%s/cur/%s:2,%s", root, rel, name, flags);
    else snprintf(dst, sizeof dst, "%s/%s/new/%s", root, rel, name);
    rename(tmp, dst);
}

static crm_mbx *open_md(const char *const *folders, size_t n) {
    crm_mbx_config cfg = {.kind = CRM_MBX_MAILDIR, .path = root, .folders = folders, .n_folders = n};
    crm_mbx *m = NULL;
    char *err = NULL;
    crm_mbx_status st = crm_mbx_open(&cfg, &m, &err);
    CHECK(st == CRM_MBX_OK, "open: %s", err ? err : "");
    free(err);
    return m;
}

static const crm_mbx_change *find(const crm_mbx_changes *c, const char *subject_id_part) {
    for (size_t i = 0; c && i < c->n; i++)
        if (strstr(c->items[i].id, subject_id_part)) return &c->items[i];
    return NULL;
}

static const char *subject_of(crm_mbx *m, const char *id, char *buf, size_t cap) {
    crm_mbx_item *it = NULL;
    buf[0] = '\0';
    if (crm_mbx_fetch(m, id, false, &it) != CRM_MBX_OK) return NULL;
    snprintf(buf, cap, "%s", cJSON_GetObjectItem(it->item, "subject")->valuestring);
    crm_mbx_item_free(it);
    return buf;
}

static int count_files(const char *rel, const char *sub) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s/%s", root, rel, sub);
    DIR *d = opendir(p);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) if (e->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

static void helpers(void) {
    const struct { const char *cat, *kw; } kws[] = {
        {"Salesforce", "Salesforce"}, {"Salesforce Unsync", "Salesforce_Unsync"}, {"DoNotSync", "DoNotSync"},
        {"a_b", "a&5Fb"}, {"x&y", "x&26y"}, {"$Junk", "&24Junk"}, {"Caf\xC3\xA9 (EU)", "Caf&C3&A9_&28EU&29"},
        {"50% off*", "50&25_off&2A"},
    };
    for (size_t i = 0; i < sizeof kws / sizeof *kws; i++) {
        char *e = crm_mbx_keyword_encode(kws[i].cat);
        CHECK_STR(e, kws[i].kw, "keyword_encode");
        char *d = crm_mbx_keyword_decode(e);
        CHECK_STR(d, kws[i].cat, "keyword_decode round trip");
        for (const char *p = e; p && *p; p++)
            CHECK(*p > ' ' && *p < 127 && !strchr("(){%*]\"\\", *p), "keyword '%s' is an IMAP atom", e);
        free(e);
        free(d);
    }
    char *d = crm_mbx_keyword_decode("$Label1");
    CHECK_STR(d, "$Label1", "foreign keyword kept");
    free(d);
    d = crm_mbx_keyword_decode("Odd&zz");
    CHECK_STR(d, "Odd&zz", "not our encoding: kept as is");
    free(d);
    CHECK_STR(crm_mbx_folder_kind("INBOX", '/', NULL), "inbox", "kind INBOX");
    CHECK_STR(crm_mbx_folder_kind("Sent Items", '/', NULL), "sent", "kind Sent Items");
    CHECK_STR(crm_mbx_folder_kind("[Gmail]/Spam", '/', NULL), "junk", "kind [Gmail]/Spam");
    CHECK_STR(crm_mbx_folder_kind("Salesforce Emails", '.', NULL), "salesforce", "kind Salesforce Emails");
    CHECK_STR(crm_mbx_folder_kind("Gesendet", '/', "\\HasNoChildren \\Sent"), "sent", "kind by SPECIAL-USE");
    CHECK_STR(crm_mbx_folder_kind("Old", '/', "\\Archive"), "archive", "kind \\Archive");
    CHECK_STR(crm_mbx_folder_kind("Papierkorb", '/', "\\Trash"), "deleted", "kind \\Trash");
    CHECK_STR(crm_mbx_folder_kind("Projects.Trash", '.', NULL), "deleted", "kind by leaf name");
    CHECK_STR(crm_mbx_folder_kind("Projects", '/', NULL), "other", "kind other");
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    helpers();
    snprintf(root, sizeof root, "/tmp/crm-maildir-XXXXXX");
    if (mkdtemp(root) == NULL) { perror("mkdtemp"); return 1; }
    crm_mbx_config bad = {.kind = CRM_MBX_MAILDIR, .path = root};
    crm_mbx *m = NULL;
    char *err = NULL;
    CHECK(crm_mbx_open(&bad, &m, &err) == CRM_MBX_E_CONFIG && m == NULL && err, "a directory without cur/ is refused");
    free(err);

    mkdirs("");
    mkdirs(".Sent");
    mkdirs(".Salesforce Emails");
    mkdirs(".Junk");
    mkdirs("Archive"); /* verbatim (mbsync) layout */
    deliver("", "in-1", NULL);
    deliver("", "in-2", "S");
    deliver(".Sent", "sent-1", "S");
    deliver(".Salesforce Emails", "sf-1", NULL);
    deliver(".Junk", "junk-1", NULL);
    deliver("Archive", "arch-1", "S");

    m = open_md(NULL, 0);
    crm_mbx_changes *c = NULL;
    CHECK(crm_mbx_list_changes(m, NULL, 0, &c) == CRM_MBX_OK, "first listing: %s", crm_mbx_errmsg(m));
    CHECK(c && c->n == 4, "inbox 2 + sent 1 + salesforce 1 (junk and archive not wanted): %zu", c ? c->n : 0);
    int inbox = 0, sent = 0, sf = 0;
    char buf[256];
    for (size_t i = 0; c && i < c->n; i++) {
        if (strcmp(c->items[i].folder, "inbox") == 0) inbox++;
        if (strcmp(c->items[i].folder, "sent") == 0) sent++;
        if (strcmp(c->items[i].folder, "salesforce") == 0) {
            sf++;
            CHECK_STR(c->items[i].folder_name, "Salesforce Emails", "folder_name");
            CHECK_STR(subject_of(m, c->items[i].id, buf, sizeof buf), "sf-1", "fetch by id");
        }
        CHECK(c->items[i].kind == CRM_MBX_NEW && c->items[i].size > 50, "kind NEW and size");
    }
    CHECK(inbox == 2 && sent == 1 && sf == 1, "per folder %d %d %d", inbox, sent, sf);
    CHECK(c && !c->more && c->cursor && !strstr(c->cursor, "body"), "complete, cursor present");
    char *cur1 = c ? strdup(c->cursor) : NULL;
    crm_mbx_changes_free(c);

    /* nothing new */
    CHECK(crm_mbx_list_changes(m, cur1, 0, &c) == CRM_MBX_OK && c->n == 0, "no changes after the cursor: %zu", c ? c->n : 0);
    crm_mbx_changes_free(c);

    /* one delivery, seen once, in a new session */
    crm_mbx_close(m);
    m = open_md(NULL, 0);
    deliver("", "in-3", NULL);
    CHECK(crm_mbx_list_changes(m, cur1, 0, &c) == CRM_MBX_OK && c->n == 1, "one new item: %zu", c ? c->n : 0);
    CHECK(c && c->n == 1 && strcmp(subject_of(m, c->items[0].id, buf, sizeof buf), "in-3") == 0, "it is in-3");
    char *cur2 = strdup(c->cursor);
    crm_mbx_changes_free(c);

    /* limits: five deliveries listed in pages, each exactly once */
    for (int i = 0; i < 5; i++) { char sname[16]; snprintf(sname, sizeof sname, "page-%d", i); deliver("", sname, NULL); }
    char *cur = strdup(cur2);
    int seen[5] = {0}, pages = 0, total = 0;
    for (bool more = true; more && pages < 20; pages++) {
        CHECK(crm_mbx_list_changes(m, cur, 2, &c) == CRM_MBX_OK, "page");
        for (size_t i = 0; i < c->n; i++) {
            const char *sub = subject_of(m, c->items[i].id, buf, sizeof buf);
            if (sub && strncmp(sub, "page-", 5) == 0) seen[sub[5] - '0']++;
            total++;
        }
        more = c->more;
        free(cur);
        cur = strdup(c->cursor);
        crm_mbx_changes_free(c);
    }
    CHECK(total == 5 && seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && seen[3] == 1 && seen[4] == 1,
          "paged listing: every item once (total %d)", total);
    free(cur2);
    cur2 = cur;

    /* batch fetch (one by one for Maildir) */
    CHECK(crm_mbx_list_changes(m, NULL, 0, &c) == CRM_MBX_OK && c->n == 10, "relist all: %zu", c ? c->n : 0);
    {
        const char *ids[12];
        crm_mbx_item *items[12];
        crm_mbx_status sts[12];
        size_t n = 0;
        for (size_t i = 0; i < c->n && n < 10; i++) ids[n++] = c->items[i].id;
        ids[n++] = "/no-such-file";
        CHECK(crm_mbx_fetch_batch(m, ids, n, true, items, sts) == CRM_MBX_OK, "fetch_batch");
        int ok = 0;
        for (size_t i = 0; i + 1 < n; i++) {
            ok += sts[i] == CRM_MBX_OK && items[i] && items[i]->raw && items[i]->raw_len > 50 &&
                  strstr(items[i]->raw, cJSON_GetObjectItem(items[i]->item, "subject")->valuestring) != NULL;
            crm_mbx_item_free(items[i]);
        }
        CHECK(ok == (int)n - 1, "every listed item fetched, raw kept: %d", ok);
        CHECK(sts[n - 1] == CRM_MBX_E_NOT_FOUND && items[n - 1] == NULL, "missing file: E_NOT_FOUND");
    }
    crm_mbx_changes_free(c);

    /* marking: no dovecot-keywords -> no category support */
    CHECK(crm_mbx_list_changes(m, NULL, 0, &c) == CRM_MBX_OK, "relist");
    const crm_mbx_change *in1 = NULL;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(subject_of(m, c->items[i].id, buf, sizeof buf), "in-1") == 0) in1 = &c->items[i];
    CHECK(in1 != NULL, "in-1 found");
    char *id1 = strdup(in1 ? in1->id : "");
    const crm_mbx_change *sf1 = find(c, ".Salesforce Emails/");
    char *idsf = strdup(sf1 ? sf1->id : "");
    crm_mbx_changes_free(c);
    CHECK(crm_mbx_mark(m, id1, "Salesforce") == CRM_MBX_E_NO_CATEGORIES, "no dovecot-keywords: E_NO_CATEGORIES");
    CHECK(strstr(crm_mbx_errmsg(m), "dovecot-keywords") != NULL, "message says why: %s", crm_mbx_errmsg(m));

    /* with a dovecot-keywords file: letters */
    char p[512];
    snprintf(p, sizeof p, "%s/dovecot-keywords", root);
    FILE *f = fopen(p, "w");
    fprintf(f, "0 $Forwarded\n");
    fclose(f);
    CHECK(crm_mbx_mark(m, id1, "Salesforce") == CRM_MBX_OK, "mark: %s", crm_mbx_errmsg(m));
    CHECK(crm_mbx_mark(m, id1, "Salesforce Unsync") == CRM_MBX_OK, "mark 2: %s", crm_mbx_errmsg(m));
    CHECK(crm_mbx_mark(m, id1, "Salesforce") == CRM_MBX_OK, "mark again is a no-op");
    f = fopen(p, "r");
    char kwfile[256] = "";
    size_t kn = fread(kwfile, 1, sizeof kwfile - 1, f);
    kwfile[kn] = '\0';
    fclose(f);
    CHECK_STR(kwfile, "0 $Forwarded\n1 Salesforce\n2 Salesforce_Unsync\n", "dovecot-keywords updated");
    crm_mbx_item *it = NULL;
    CHECK(crm_mbx_fetch(m, id1, false, &it) == CRM_MBX_OK, "fetch marked");
    cJSON *cats = it ? cJSON_GetObjectItem(it->item, "categories") : NULL;
    CHECK(cJSON_GetArraySize(cats) == 2 && strcmp(cJSON_GetArrayItem(cats, 0)->valuestring, "Salesforce") == 0 &&
          strcmp(cJSON_GetArrayItem(cats, 1)->valuestring, "Salesforce Unsync") == 0, "categories decoded from letters");
    crm_mbx_item_free(it);
    /* the file name carries the letters, in order, in cur/ */
    snprintf(p, sizeof p, "%s/cur", root);
    DIR *dh = opendir(p);
    struct dirent *e;
    bool letters = false;
    const char *uniq = strrchr(id1, '/') + 1;
    while (dh && (e = readdir(dh)))
        if (strncmp(e->d_name, uniq, strlen(uniq)) == 0) letters = strcmp(e->d_name + strlen(uniq), ":2,bc") == 0;
    if (dh) closedir(dh);
    CHECK(letters, "file renamed to <unique>:2,bc");

    /* a flag change is noticed (the rename sets ctime) */
    CHECK(crm_mbx_list_changes(m, cur2, 0, &c) == CRM_MBX_OK && c->n == 1 && strcmp(c->items[0].id, id1) == 0,
          "marked item listed again: %zu", c ? c->n : 0);
    free(cur2);
    cur2 = strdup(c->cursor);
    crm_mbx_changes_free(c);

    /* move "Salesforce Emails" -> inbox */
    char *nid = NULL;
    CHECK(crm_mbx_move(m, idsf, "inbox", &nid) == CRM_MBX_OK, "move: %s", crm_mbx_errmsg(m));
    CHECK(nid && nid[0] == '/' && strcmp(strrchr(nid, '/'), strrchr(idsf, '/')) == 0, "new id in the inbox: %s", nid ? nid : "");
    CHECK(count_files(".Salesforce Emails", "new") + count_files(".Salesforce Emails", "cur") == 0, "source folder empty");
    it = NULL;
    CHECK(nid && crm_mbx_fetch(m, nid, false, &it) == CRM_MBX_OK && strcmp(cJSON_GetObjectItem(it->item, "folder")->valuestring, "inbox") == 0,
          "moved item reads as inbox");
    crm_mbx_item_free(it);
    CHECK(crm_mbx_fetch(m, idsf, false, &it) == CRM_MBX_E_NOT_FOUND, "old id is gone");
    CHECK(crm_mbx_move(m, nid ? nid : "/x", "nowhere", NULL) == CRM_MBX_E_NOT_FOUND, "unknown target folder");
    CHECK(crm_mbx_list_changes(m, cur2, 0, &c) == CRM_MBX_OK && c->n == 1 && strcmp(c->items[0].folder, "inbox") == 0,
          "moved item listed in the inbox");
    free(cur2);
    cur2 = strdup(c->cursor);
    crm_mbx_changes_free(c);
    free(nid);

    /* a recreated folder: its files carry new ctimes, so they are listed whether or not the
       file system reused the cur/ inode (when it did not, folders_reset counts it) */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/.Sent'", root);
    CHECK(system(cmd) == 0, "rm .Sent");
    mkdirs(".Sent");
    deliver(".Sent", "sent-2", "S");
    CHECK(crm_mbx_list_changes(m, cur2, 0, &c) == CRM_MBX_OK && c->n == 1 && strcmp(c->items[0].folder, "sent") == 0,
          "recreated folder listed: n=%zu reset=%zu", c ? c->n : 0, c ? c->folders_reset : 0);
    crm_mbx_changes_free(c);

    /* cursors from elsewhere are refused */
    CHECK(crm_mbx_list_changes(m, "garbage", 0, &c) == CRM_MBX_E_CURSOR && c == NULL, "garbage cursor");
    CHECK(crm_mbx_list_changes(m, "{\"v\":1,\"kind\":\"imap\",\"folders\":{}}", 0, &c) == CRM_MBX_E_CURSOR, "IMAP cursor refused");
    crm_mbx_close(m);

    /* other folders on request: archive (verbatim subfolder) and junk */
    static const char *const more[] = {"archive", "junk"};
    m = open_md(more, 2);
    CHECK(crm_mbx_list_changes(m, NULL, 0, &c) == CRM_MBX_OK && c->n == 2, "archive + junk: %zu", c ? c->n : 0);
    CHECK(c && find(c, "Archive/") && strcmp(find(c, "Archive/")->folder, "archive") == 0, "verbatim Archive/ is archive");
    crm_mbx_changes_free(c);
    crm_mbx_close(m);
    static const char *const wrong[] = {"outbox"};
    crm_mbx_config wcfg = {.kind = CRM_MBX_MAILDIR, .path = root, .folders = wrong, .n_folders = 1};
    CHECK(crm_mbx_open(&wcfg, &m, &err) == CRM_MBX_E_CONFIG, "unknown core folder refused");
    free(err);

    free(cur1); free(cur2); free(id1); free(idsf);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) printf("could not remove %s\n", root);
    return mc_done();
}
