/* tests/integration/mailbox/test_imap.c: the IMAP connector against the throwaway Dovecot
 * started by run-imap-test (ports, CA and config in the environment). Seeds and inspects
 * the server with doveadm. */
#define _DEFAULT_SOURCE
#include <stdlib.h>
#include <unistd.h>
#include "mcheck.h"
#include "mailbox/crm_mailbox.h"

static const char *conf, *ca, *wrong_ca;
static unsigned port, sport;
static int seq;

static char *run(const char *cmd) {
    FILE *p = popen(cmd, "r");
    if (p == NULL) return strdup("");
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    size_t r;
    while ((r = fread(b + n, 1, cap - n - 1, p)) > 0) {
        n += r;
        if (n + 1 >= cap) { cap *= 2; b = realloc(b, cap); }
    }
    b[n] = '\0';
    pclose(p);
    return b;
}

static void seed(const char *mailbox, const char *subject) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "doveadm -c '%s' save -u bob -m '%s'", conf, mailbox);
    FILE *p = popen(cmd, "w");
    seq++;
    fprintf(p, "Message-ID: <imap-%d@acme.com>\r\nFrom: =?UTF-8?Q?Z=C3=B6e?= <zoe@acme.com>\r\nTo: bob@crmsync-demo.com\r\n"
               "Subject: %s\r\nDate: Mon, 16 Nov 2026 10:%02d:00 +0000\r\n\r\nbody %d\r\n", seq, subject, seq % 60, seq);
    CHECK(pclose(p) == 0, "doveadm save into %s", mailbox);
}

static int messages(const char *mailbox) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "doveadm -c '%s' -f flow mailbox status -u bob messages '%s'", conf, mailbox);
    char *o = run(cmd);
    char *m = strstr(o, "messages=");
    int n = m ? atoi(m + 9) : -1;
    free(o);
    return n;
}

static crm_mbx_status open_imap(crm_mbx **m, crm_mbx_tls tls, unsigned p, const char *cafile, const char *pass,
                                const char *token, char **err) {
    crm_mbx_config cfg = {.kind = CRM_MBX_IMAP, .host = "127.0.0.1", .port = p, .tls = tls, .ca_file = cafile,
                          .allow_plaintext = tls == CRM_MBX_TLS_NONE, .user = "bob", .password = pass, .oauth_token = token,
                          .timeout_ms = 10000};
    *err = NULL;
    return crm_mbx_open(&cfg, m, err);
}

static crm_mbx *session(void) {
    crm_mbx *m = NULL;
    char *err;
    crm_mbx_status st = open_imap(&m, CRM_MBX_TLS_NONE, port, NULL, "secret", NULL, &err);
    CHECK(st == CRM_MBX_OK, "login: %s", err ? err : "");
    free(err);
    return m;
}

static cJSON *fetch(crm_mbx *m, const char *id) {
    crm_mbx_item *it = NULL;
    crm_mbx_status st = crm_mbx_fetch(m, id, false, &it);
    CHECK(st == CRM_MBX_OK, "fetch %s: %s", id, crm_mbx_errmsg(m));
    if (st != CRM_MBX_OK) return NULL;
    cJSON *r = cJSON_Duplicate(it->item, 1);
    crm_mbx_item_free(it);
    return r;
}

static const char *str(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static const crm_mbx_change *in_folder(const crm_mbx_changes *c, const char *kind, size_t nth) {
    for (size_t i = 0; c && i < c->n; i++)
        if (strcmp(c->items[i].folder, kind) == 0 && nth-- == 0) return &c->items[i];
    return NULL;
}

static size_t count_kind(const crm_mbx_changes *c, const char *folder, crm_mbx_change_kind kind) {
    size_t n = 0;
    for (size_t i = 0; c && i < c->n; i++)
        if ((!folder || strcmp(c->items[i].folder, folder) == 0) && c->items[i].kind == kind) n++;
    return n;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    conf = getenv("CRM_DOVECOT_CONF");
    ca = getenv("CRM_CA");
    wrong_ca = getenv("CRM_WRONG_CA");
    port = (unsigned)atoi(getenv("CRM_IMAP_PORT") ? getenv("CRM_IMAP_PORT") : "0");
    sport = (unsigned)atoi(getenv("CRM_IMAPS_PORT") ? getenv("CRM_IMAPS_PORT") : "0");
    if (!conf || !ca || !wrong_ca || !port || !sport) { printf("run me through run-imap-test\n0 passed, 1 failed\n"); return 1; }

    char *err = NULL;
    seed("INBOX", "in-1");
    seed("INBOX", "in-2");
    seed("INBOX", "in-3");
    seed("Salesforce Emails", "sf-1");
    seed("Gesendet", "sent-1");
    seed("Junk", "junk-1");

    /* session 1: everything in inbox, sent (by SPECIAL-USE \Sent on "Gesendet"), salesforce */
    crm_mbx *m = session();
    crm_mbx_changes *c = NULL;
    CHECK(crm_mbx_list_changes(m, NULL, 0, &c) == CRM_MBX_OK, "list 1: %s", crm_mbx_errmsg(m));
    CHECK(c && c->n == 5, "5 items (junk not listed): %zu", c ? c->n : 0);
    CHECK(count_kind(c, "inbox", CRM_MBX_NEW) == 3 && count_kind(c, "sent", CRM_MBX_NEW) == 1 && count_kind(c, "salesforce", CRM_MBX_NEW) == 1,
          "per folder");
    const crm_mbx_change *s1 = in_folder(c, "sent", 0);
    CHECK(s1 && strcmp(s1->folder_name, "Gesendet") == 0, "sent folder is Gesendet");
    const crm_mbx_change *sf = in_folder(c, "salesforce", 0);
    char *sf_id = strdup(sf ? sf->id : "0:0:x");
    const crm_mbx_change *i1 = in_folder(c, "inbox", 0);
    char *in1_id = strdup(i1 ? i1->id : "0:0:x");
    cJSON *it = fetch(m, in1_id);
    CHECK_STR(str(it, "subject"), "in-1", "fetched subject (UID order)");
    CHECK_STR(str(it, "folder"), "inbox", "fetched folder");
    CHECK_STR(str(cJSON_GetObjectItem(it, "from"), "name"), "Z\xC3\xB6""e", "fetched From name decoded");
    CHECK_STR(str(it, "message_id"), "<imap-1@acme.com>", "fetched message_id");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(it, "categories")) == 0, "no categories yet");
    cJSON_Delete(it);
    char *cur = strdup(c ? c->cursor : "");
    CHECK(strstr(cur, "secret") == NULL && strstr(cur, "uidvalidity") != NULL, "cursor holds UIDVALIDITY, no secret");
    crm_mbx_changes_free(c);
    crm_mbx_close(m);

    /* session 2: only what arrived since */
    seed("INBOX", "in-4");
    seed("INBOX", "in-5");
    m = session();
    CHECK(crm_mbx_list_changes(m, cur, 0, &c) == CRM_MBX_OK && c->n == 2 && count_kind(c, "inbox", CRM_MBX_NEW) == 2,
          "session 2 lists the 2 new: %zu", c ? c->n : 0);
    it = c && c->n == 2 ? fetch(m, c->items[1].id) : NULL;
    CHECK_STR(str(it, "subject"), "in-5", "second new one is in-5");
    cJSON_Delete(it);
    free(cur);
    cur = strdup(c->cursor);
    crm_mbx_changes_free(c);

    /* paging with a limit: each new item exactly once */
    for (int i = 0; i < 5; i++) { char sj[16]; snprintf(sj, sizeof sj, "page-%d", i); seed("INBOX", sj); }
    int total = 0, pages = 0, seen[5] = {0};
    for (bool more = true; more && pages < 10; pages++) {
        CHECK(crm_mbx_list_changes(m, cur, 2, &c) == CRM_MBX_OK, "page: %s", crm_mbx_errmsg(m));
        for (size_t i = 0; i < c->n; i++) {
            it = fetch(m, c->items[i].id);
            const char *sj = str(it, "subject");
            if (strncmp(sj, "page-", 5) == 0) seen[sj[5] - '0']++;
            cJSON_Delete(it);
            total++;
        }
        CHECK(c->n <= 2, "page within the limit: %zu", c->n);
        more = c->more;
        free(cur);
        cur = strdup(c->cursor);
        crm_mbx_changes_free(c);
    }
    CHECK(total == 5 && seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && seen[3] == 1 && seen[4] == 1, "paged: %d items", total);

    /* batch fetch: everything listed from scratch, plus ids that cannot be fetched */
    CHECK(crm_mbx_list_changes(m, NULL, 0, &c) == CRM_MBX_OK && c->n == 12, "full listing: %zu", c ? c->n : 0);
    if (c && c->n == 12) {
        const char *ids[16];
        crm_mbx_item *items[16];
        crm_mbx_status sts[16];
        size_t n = 0;
        for (size_t i = 0; i < c->n; i++) {
            ids[n++] = c->items[i].id;
            if (i == 4) ids[n++] = "1:999999:INBOX";      /* no such UID */
            if (i == 8) ids[n++] = "12345:1:INBOX";       /* stale UIDVALIDITY */
        }
        ids[n++] = "garbage";
        CHECK(crm_mbx_fetch_batch(m, ids, n, false, items, sts) == CRM_MBX_OK, "fetch_batch: %s", crm_mbx_errmsg(m));
        int ok = 0, missing = 0;
        for (size_t i = 0; i < n; i++) {
            bool bad = strcmp(ids[i], "1:999999:INBOX") == 0 || strcmp(ids[i], "12345:1:INBOX") == 0 || strcmp(ids[i], "garbage") == 0;
            if (bad) { missing += sts[i] == CRM_MBX_E_NOT_FOUND && items[i] == NULL; continue; }
            if (sts[i] != CRM_MBX_OK || items[i] == NULL) continue;
            cJSON *one = fetch(m, ids[i]);
            ok += strcmp(str(items[i]->item, "subject"), str(one, "subject")) == 0 && strcmp(str(items[i]->item, "folder"), str(one, "folder")) == 0 &&
                  str(items[i]->item, "subject")[0] != '\0';
            cJSON_Delete(one);
            crm_mbx_item_free(items[i]);
        }
        CHECK(ok == 12, "batch items equal single fetches: %d", ok);
        CHECK(missing == 3, "unknown, stale and malformed ids: E_NOT_FOUND each: %d", missing);
    }
    crm_mbx_changes_free(c);

    /* keywords: encoded on the server, decoded on fetch */
    CHECK(crm_mbx_mark(m, in1_id, "Salesforce") == CRM_MBX_OK, "mark: %s", crm_mbx_errmsg(m));
    CHECK(crm_mbx_mark(m, in1_id, "Salesforce Unsync") == CRM_MBX_OK, "mark 2: %s", crm_mbx_errmsg(m));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "doveadm -c '%s' fetch -u bob flags mailbox INBOX uid %s", conf, strchr(in1_id, ':') + 1);
    *strrchr(cmd, ':') = '\0';
    char *flags = run(cmd);
    CHECK(strstr(flags, "Salesforce ") || strstr(flags, "Salesforce\n"), "server has keyword Salesforce: %s", flags);
    CHECK(strstr(flags, "Salesforce_Unsync") != NULL, "server has keyword Salesforce_Unsync: %s", flags);
    free(flags);
    it = fetch(m, in1_id);
    cJSON *cats = cJSON_GetObjectItem(it, "categories");
    CHECK(cJSON_GetArraySize(cats) == 2 && !strcmp(cJSON_GetArrayItem(cats, 0)->valuestring, "Salesforce") &&
          !strcmp(cJSON_GetArrayItem(cats, 1)->valuestring, "Salesforce Unsync"), "categories decoded");
    cJSON_Delete(it);

    /* CONDSTORE: a keyword set by someone else on an item already listed */
    snprintf(cmd, sizeof cmd, "doveadm -c '%s' flags add -u bob DoNotSync mailbox INBOX uid 2", conf);
    CHECK(system(cmd) == 0, "doveadm flags add");
    CHECK(crm_mbx_list_changes(m, cur, 0, &c) == CRM_MBX_OK, "list changes: %s", crm_mbx_errmsg(m));
    CHECK(count_kind(c, NULL, CRM_MBX_NEW) == 0, "no new items");
    bool uid2 = false, uid1 = false;
    for (size_t i = 0; c && i < c->n; i++) {
        if (strstr(c->items[i].id, ":2:INBOX")) uid2 = c->items[i].kind == CRM_MBX_CHANGED;
        if (strcmp(c->items[i].id, in1_id) == 0) uid1 = c->items[i].kind == CRM_MBX_CHANGED;
    }
    CHECK(uid2 && uid1, "flag changes listed as CHANGED (uid 2 by doveadm, uid 1 by our marks)");
    free(cur);
    cur = strdup(c->cursor);
    crm_mbx_changes_free(c);
    CHECK(crm_mbx_list_changes(m, cur, 0, &c) == CRM_MBX_OK && c->n == 0, "then quiet: %zu", c ? c->n : 0);
    crm_mbx_changes_free(c);

    /* move "Salesforce Emails" -> inbox */
    int before = messages("INBOX");
    char *nid = NULL;
    CHECK(crm_mbx_move(m, sf_id, "inbox", &nid) == CRM_MBX_OK, "move: %s", crm_mbx_errmsg(m));
    CHECK(messages("Salesforce Emails") == 0 && messages("INBOX") == before + 1, "moved on the server");
    CHECK(nid && strstr(nid, ":INBOX"), "new id from COPYUID: %s", nid ? nid : "(none)");
    if (nid) {
        it = fetch(m, nid);
        CHECK_STR(str(it, "subject"), "sf-1", "moved item fetched by its new id");
        CHECK_STR(str(it, "folder"), "inbox", "and it is in the inbox");
        cJSON_Delete(it);
    }
    crm_mbx_item *gone = NULL;
    CHECK(crm_mbx_fetch(m, sf_id, false, &gone) == CRM_MBX_E_NOT_FOUND, "old id gone: %s", crm_mbx_errmsg(m));
    free(nid);
    crm_mbx_close(m);

    /* UIDVALIDITY change: the folder restarts */
    int inbox_n = messages("INBOX");
    snprintf(cmd, sizeof cmd, "doveadm -c '%s' mailbox update -u bob --uid-validity 777 INBOX", conf);
    CHECK(system(cmd) == 0, "doveadm mailbox update --uid-validity");
    m = session();
    CHECK(crm_mbx_list_changes(m, cur, 0, &c) == CRM_MBX_OK, "list after reset: %s", crm_mbx_errmsg(m));
    CHECK(c && c->folders_reset == 1 && count_kind(c, "inbox", CRM_MBX_NEW) == (size_t)inbox_n,
          "inbox relisted from scratch: reset=%zu inbox=%zu want %d", c ? c->folders_reset : 0, count_kind(c, "inbox", CRM_MBX_NEW), inbox_n);
    CHECK(c && c->n > 0 && strncmp(c->items[0].id, "777:", 4) == 0, "ids carry the new UIDVALIDITY");
    crm_mbx_changes_free(c);
    CHECK(crm_mbx_fetch(m, in1_id, false, &gone) == CRM_MBX_E_NOT_FOUND, "an id of the old UIDVALIDITY is refused");
    crm_mbx_close(m);

    /* a non-ASCII folder name: modified UTF-7 on the wire, UTF-8 for us */
    snprintf(cmd, sizeof cmd, "doveadm -c '%s' mailbox create -u bob 'Angebote M\xC3\xBCller'", conf);
    CHECK(system(cmd) == 0, "doveadm mailbox create");
    seed("Angebote M\xC3\xBCller", "umlaut-1");
    {
        static const char *const other[] = {"other"};
        crm_mbx_config ocfg = {.kind = CRM_MBX_IMAP, .host = "127.0.0.1", .port = port, .tls = CRM_MBX_TLS_NONE,
                               .allow_plaintext = true, .user = "bob", .password = "secret", .folders = other, .n_folders = 1};
        crm_mbx *om = NULL;
        CHECK(crm_mbx_open(&ocfg, &om, &err) == CRM_MBX_OK, "open (other folders)");
        free(err);
        err = NULL;
        CHECK(om && crm_mbx_list_changes(om, NULL, 0, &c) == CRM_MBX_OK && c->n == 1, "one item in other folders: %zu", c ? c->n : 0);
        if (om && c && c->n == 1) {
            CHECK_STR(c->items[0].folder_name, "Angebote M\xC3\xBCller", "folder name decoded from modified UTF-7");
            CHECK(strstr(c->items[0].id, "&APw-") != NULL, "the id keeps the wire name: %s", c->items[0].id);
            it = fetch(om, c->items[0].id);
            CHECK_STR(str(it, "subject"), "umlaut-1", "fetch from it");
            CHECK_STR(str(it, "folder"), "other", "folder kind other");
            cJSON_Delete(it);
            char *mid = NULL;
            CHECK(crm_mbx_move(om, c->items[0].id, "inbox", &mid) == CRM_MBX_OK, "move out of it");
            CHECK(mid && crm_mbx_move(om, mid, "Angebote M\xC3\xBCller", NULL) == CRM_MBX_OK, "move back by UTF-8 name: %s", crm_mbx_errmsg(om));
            CHECK(messages("Angebote M\xC3\xBCller") == 1, "back in place");
            free(mid);
        }
        crm_mbx_changes_free(c);
        crm_mbx_close(om);
    }

    /* authentication */
    m = NULL;
    CHECK(open_imap(&m, CRM_MBX_TLS_NONE, port, NULL, "hunter2-wrong", NULL, &err) == CRM_MBX_E_AUTH && m == NULL, "wrong password: E_AUTH");
    CHECK(err && !strstr(err, "hunter2"), "error without the password: %s", err ? err : "");
    free(err);
    CHECK(open_imap(&m, CRM_MBX_TLS_NONE, port, NULL, NULL, "secret", &err) == CRM_MBX_OK, "XOAUTH2: %s", err ? err : "");
    free(err);
    crm_mbx_close(m);
    m = NULL;
    CHECK(open_imap(&m, CRM_MBX_TLS_NONE, port, NULL, NULL, "tok-wrong-123", &err) == CRM_MBX_E_AUTH, "bad token: E_AUTH");
    CHECK(err && !strstr(err, "tok-wrong-123"), "error without the token: %s", err ? err : "");
    free(err);
    crm_mbx_config plain = {.kind = CRM_MBX_IMAP, .host = "127.0.0.1", .port = port, .tls = CRM_MBX_TLS_NONE, .user = "bob", .password = "secret"};
    CHECK(crm_mbx_open(&plain, &m, &err) == CRM_MBX_E_CONFIG, "cleartext refused without allow_plaintext");
    free(err);
    CHECK(open_imap(&m, CRM_MBX_TLS_NONE, 1, NULL, "secret", NULL, &err) == CRM_MBX_E_CONNECT, "nothing listening: E_CONNECT");
    free(err);

    /* TLS: verification on by default */
    CHECK(open_imap(&m, CRM_MBX_TLS_IMPLICIT, sport, NULL, "secret", NULL, &err) == CRM_MBX_E_TLS, "IMAPS, system store: untrusted");
    CHECK(err && strstr(err, "not trusted"), "says why: %s", err ? err : "");
    free(err);
    CHECK(open_imap(&m, CRM_MBX_TLS_IMPLICIT, sport, wrong_ca, "secret", NULL, &err) == CRM_MBX_E_TLS, "IMAPS, unrelated CA: untrusted");
    free(err);
    CHECK(open_imap(&m, CRM_MBX_TLS_STARTTLS, port, wrong_ca, "secret", NULL, &err) == CRM_MBX_E_TLS, "STARTTLS, unrelated CA: untrusted");
    free(err);
    CHECK(open_imap(&m, CRM_MBX_TLS_IMPLICIT, sport, ca, "secret", NULL, &err) == CRM_MBX_OK, "IMAPS with the CA: %s", err ? err : "");
    free(err);
    if (m) {
        CHECK(crm_mbx_list_changes(m, NULL, 0, &c) == CRM_MBX_OK && c->n > 0, "listing over IMAPS");
        it = c && c->n ? fetch(m, c->items[0].id) : NULL;
        CHECK(it != NULL, "fetch over IMAPS");
        cJSON_Delete(it);
        crm_mbx_changes_free(c);
        crm_mbx_close(m);
    }
    CHECK(open_imap(&m, CRM_MBX_TLS_STARTTLS, port, ca, "secret", NULL, &err) == CRM_MBX_OK, "STARTTLS with the CA: %s", err ? err : "");
    free(err);
    if (m) {
        CHECK(crm_mbx_list_changes(m, NULL, 1, &c) == CRM_MBX_OK && c->n == 1 && c->more, "listing over STARTTLS");
        crm_mbx_changes_free(c);
        crm_mbx_close(m);
    }
    free(cur); free(sf_id); free(in1_id);
    return mc_done();
}
