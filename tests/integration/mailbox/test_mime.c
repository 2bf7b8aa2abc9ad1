/* tests/integration/mailbox/test_mime.c: the MIME parser on tests/data/mail fixtures and on
 * generated hostile messages; asserts the core `item` fields (spec/core-api.md).
 *   test_mime DIR            run the checks
 *   test_mime --dump FILE    print the item JSON of one message */
#include <stdlib.h>
#include <stdint.h>
#include "mcheck.h"
#include "mime/crm_mime.h"

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) { cap *= 2; b = realloc(b, cap); }
    }
    fclose(f);
    *len = n;
    return b;
}

/* "a.b[2].c" in a cJSON tree */
static const cJSON *at(const cJSON *o, const char *path) {
    char key[64];
    while (o && *path) {
        if (*path == '.') { path++; continue; }
        if (*path == '[') {
            int i = atoi(path + 1);
            o = cJSON_GetArrayItem(o, i);
            path = strchr(path, ']');
            if (path == NULL) return NULL;
            path++;
            continue;
        }
        size_t k = 0;
        while (*path && *path != '.' && *path != '[' && k + 1 < sizeof key) key[k++] = *path++;
        key[k] = '\0';
        o = cJSON_GetObjectItemCaseSensitive(o, key);
    }
    return o;
}

static const char *s(const cJSON *o, const char *path) {
    const cJSON *v = at(o, path);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *o, const char *path) {
    const cJSON *v = at(o, path);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static int count(const cJSON *o, const char *path) {
    const cJSON *v = at(o, path);
    return cJSON_IsArray(v) ? cJSON_GetArraySize(v) : -1;
}

static cJSON *parse_file(const char *dir, const char *name, unsigned *cut) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len;
    char *raw = slurp(path, &len);
    if (raw == NULL) { CHECK(0, "cannot read %s", path); return NULL; }
    static const char *const cats[] = {"Salesforce"};
    crm_mime_meta meta = {.id = "fixture", .folder = "inbox", .categories = cats, .n_categories = 1, .fallback_date = 1700000000};
    cJSON *item = NULL;
    crm_mime_status st = crm_mime_item(raw, len, &meta, &item, cut);
    free(raw);
    CHECK(st == CRM_MIME_OK && item, "%s: parse status %s", name, crm_mime_status_str(st));
    return item;
}

static const char *const KEYS[] = {"type", "id", "message_id", "conversation_id", "in_reply_to", "references", "from", "to",
                                   "cc", "bcc", "subject", "body_text", "body_html", "date", "folder", "categories",
                                   "is_draft", "item_class", "content_type", "auto_submitted", "attachments", NULL};

/* exactly the core's keys, in its order */
static void check_shape(const cJSON *it, const char *name) {
    const cJSON *c = it ? it->child : NULL;
    int i = 0;
    for (; KEYS[i] && c; i++, c = c->next)
        CHECK(strcmp(c->string, KEYS[i]) == 0, "%s: key %d is '%s', want '%s'", name, i, c->string, KEYS[i]);
    CHECK(KEYS[i] == NULL && c == NULL, "%s: item has a different number of keys", name);
}

static void fixtures(const char *dir) {
    unsigned cut;
    cJSON *it;

    it = parse_file(dir, "01-plain-encoded-names.eml", &cut);
    check_shape(it, "01");
    CHECK_STR(s(it, "type"), "email", "01 type");
    CHECK_STR(s(it, "id"), "fixture", "01 id");
    CHECK_STR(s(it, "message_id"), "<plain-001@acme.com>", "01 message_id");
    CHECK_STR(s(it, "conversation_id"), "<plain-001@acme.com>", "01 conversation_id (a root: its own id)");
    CHECK_STR(s(it, "from.name"), "J\xC3\xBCrgen M\xC3\xBCller", "01 from.name (RFC 2047 Q, ISO-8859-1)");
    CHECK_STR(s(it, "from.address"), "juergen@acme.com", "01 from.address");
    CHECK(count(it, "to") == 2, "01 two To");
    CHECK_STR(s(it, "to[0].name"), "Bob Smith", "01 to[0].name (quoted)");
    CHECK_STR(s(it, "to[1].address"), "carol@globex.com", "01 to[1].address");
    CHECK_STR(s(it, "to[1].name"), "", "01 to[1].name empty");
    CHECK_STR(s(it, "cc[0].name"), "Fran\xC3\xA7oise", "01 cc name (RFC 2047 B)");
    CHECK_STR(s(it, "bcc[0].address"), "secret@crmsync-demo.com", "01 bcc");
    CHECK_STR(s(it, "subject"), "Quarterly review \xE2\x80\x94 next steps", "01 subject: adjacent encoded words joined");
    CHECK_STR(s(it, "date"), "2026-11-17T10:30:00Z", "01 date to UTC");
    CHECK_STR(s(it, "body_text"), "Hello Bob,\n\nsee you Thursday.\n", "01 body_text");
    CHECK_STR(s(it, "body_html"), "", "01 no html");
    CHECK_STR(s(it, "item_class"), "IPM.Note", "01 item_class");
    CHECK_STR(s(it, "content_type"), "text/plain", "01 content_type");
    CHECK_STR(s(it, "folder"), "inbox", "01 folder from meta");
    CHECK_STR(s(it, "categories[0]"), "Salesforce", "01 categories from meta");
    CHECK(count(it, "attachments") == 0, "01 no attachments");
    CHECK(count(it, "references") == 0, "01 no references");
    CHECK(cut == 0, "01 nothing cut (%u)", cut);
    cJSON_Delete(it);

    it = parse_file(dir, "02-alternative-qp-base64.eml", &cut);
    CHECK_STR(s(it, "body_text"), "Caf\xC3\xA9 cr\xC3\xA8me \xC3\xA0 14h, a soft line break.", "02 quoted-printable utf-8 with soft break (the line end before a boundary belongs to it)");
    CHECK_STR(s(it, "body_html"), "<p>Caf\xC3\xA9 cr\xC3\xA8me \xC3\xA0 14h</p>", "02 base64 iso-8859-1 html -> UTF-8");
    CHECK_STR(s(it, "date"), "2026-11-18T13:00:00Z", "02 date -0500");
    CHECK_STR(s(it, "content_type"), "multipart/alternative", "02 content_type");
    CHECK(count(it, "attachments") == 0, "02 no attachments");
    cJSON_Delete(it);

    it = parse_file(dir, "03-mixed-attachments-2231.eml", &cut);
    CHECK_STR(s(it, "body_html"), "<p>Report attached <img src=\"cid:logo@x\"></p>", "03 html from related");
    CHECK(count(it, "attachments") == 3, "03 three attachments (inline image of the related body not counted): %d", count(it, "attachments"));
    CHECK_STR(s(it, "attachments[0].name"), "na\xC3\xAFve plan.pdf", "03 RFC 2231 charset + percent");
    CHECK(num(it, "attachments[0].size") == 23, "03 decoded size of the pdf: %g", num(it, "attachments[0].size"));
    CHECK_STR(s(it, "attachments[0].id"), "2", "03 part id");
    CHECK_STR(s(it, "attachments[1].name"), "very-long-name.txt", "03 RFC 2231 continuations, filename over name");
    CHECK(num(it, "attachments[1].size") == 12, "03 size 12");
    CHECK_STR(s(it, "attachments[2].name"), "r\xC3\xA9sum\xC3\xA9.bin", "03 RFC 2047 in a name parameter");
    CHECK(num(it, "attachments[2].size") == 3, "03 7bit size (boundary line end excluded): %g", num(it, "attachments[2].size"));
    CHECK_STR(s(it, "body_text"), "", "03 text/plain attachment is not the body");
    CHECK_STR(s(it, "date"), "2026-11-20T07:15:00Z", "03 date -0800 crosses midnight");
    cJSON_Delete(it);

    it = parse_file(dir, "04-auto-reply.eml", &cut);
    CHECK_STR(s(it, "auto_submitted"), "auto-replied", "04 auto_submitted");
    CHECK_STR(s(it, "in_reply_to"), "<plain-001@acme.com>", "04 in_reply_to");
    CHECK_STR(s(it, "conversation_id"), "<plain-001@acme.com>", "04 conversation from In-Reply-To");
    cJSON_Delete(it);

    it = parse_file(dir, "05-delivery-report.eml", &cut);
    CHECK_STR(s(it, "content_type"), "multipart/report", "05 content_type");
    CHECK_STR(s(it, "item_class"), "REPORT.IPM.Note.NDR", "05 item_class");
    CHECK_STR(s(it, "auto_submitted"), "auto-generated", "05 auto_submitted");
    CHECK_STR(s(it, "from.address"), "MAILER-DAEMON@mx.crmsync-demo.com", "05 from");
    cJSON_Delete(it);

    it = parse_file(dir, "06-reply-no-message-id.eml", &cut);
    CHECK_STR(s(it, "message_id"), "", "06 no Message-ID");
    CHECK(count(it, "references") == 2, "06 two references");
    CHECK_STR(s(it, "references[0]"), "<thread-1@globex.com>", "06 references[0]");
    CHECK_STR(s(it, "references[1]"), "<thread-2@crmsync-demo.com>", "06 references[1] (folded header)");
    CHECK_STR(s(it, "conversation_id"), "<thread-1@globex.com>", "06 conversation = References root");
    CHECK_STR(s(it, "in_reply_to"), "<thread-2@crmsync-demo.com>", "06 in_reply_to");
    CHECK_STR(s(it, "body_text"), "Price is 100 \xE2\x82\xAC \xE2\x80\x93 net.\n", "06 windows-1252 8bit -> UTF-8");
    CHECK_STR(s(it, "from.name"), "", "06 bare address");
    CHECK_STR(s(it, "to[0].name"), "Bob", "06 to name");
    cJSON_Delete(it);

    it = parse_file(dir, "07-meeting-accepted.eml", &cut);
    CHECK_STR(s(it, "item_class"), "IPM.Schedule.Meeting.Resp.Pos", "07 meeting response");
    CHECK_STR(s(it, "body_text"), "Jane has accepted.", "07 body");
    CHECK(count(it, "attachments") == 0, "07 calendar part is not an attachment");
    cJSON_Delete(it);

    it = parse_file(dir, "08-outlook-thread-index.eml", &cut);
    CHECK_STR(s(it, "conversation_id"), "thread-index:AQIDBAUGBwgJCgsMDQ4PEBESExQVFg==", "08 Thread-Index conversation (first 22 bytes)");
    CHECK_STR(s(it, "subject"), "Printer \xE2\x80\x93 again", "08 windows-1252 encoded word");
    CHECK(count(it, "cc") == 2, "08 group members expanded: %d", count(it, "cc"));
    CHECK_STR(s(it, "cc[1].name"), "Samir N.", "08 group member name");
    CHECK(count(it, "to") == 1, "08 empty group adds nobody: %d", count(it, "to"));
    cJSON_Delete(it);

    it = parse_file(dir, "09-read-receipt.eml", &cut);
    CHECK_STR(s(it, "item_class"), "REPORT.IPM.Note.IPNRN", "09 read receipt");
    cJSON_Delete(it);

    it = parse_file(dir, "10-broken-headers.eml", &cut);
    CHECK(it != NULL, "10 a broken message still gives an item");
    CHECK_STR(s(it, "date"), "2023-11-14T22:13:20Z", "10 bad Date -> fallback date from the store");
    CHECK(s(it, "subject") && strstr(s(it, "subject"), "tail"), "10 subject kept");
    CHECK(s(it, "body_text") && strstr(s(it, "body_text"), "body with \xC3\xBF\xC3\xBE bytes"), "10 unknown charset, not UTF-8: read as windows-1252: '%s'", s(it, "body_text"));
    CHECK(count(it, "to") >= 1, "10 the valid To address survives");
    cJSON_Delete(it);
}

/* ---------- generated hostile input ---------- */
static char *gen(size_t *len, size_t cap) {
    char *b = malloc(cap);
    *len = 0;
    return b;
}
#define APPEND(b, len, ...) (*(len) += (size_t)sprintf((b) + *(len), __VA_ARGS__))

static void hostile(void) {
    unsigned cut;
    cJSON *it;
    size_t len;

    /* not a message */
    it = NULL;
    CHECK(crm_mime_item("", 0, NULL, &it, &cut) == CRM_MIME_E_PARSE && it == NULL, "empty input is E_PARSE");
    unsigned char rnd[4096];
    uint32_t x = 12345;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof rnd; i++) { x = x * 1103515245u + 12345u; rnd[i] = (unsigned char)(x >> 16); }
        it = NULL;
        crm_mime_status st = crm_mime_item((const char *)rnd, (size_t)(round * 20), NULL, &it, &cut);
        CHECK(st == CRM_MIME_OK || st == CRM_MIME_E_PARSE, "random bytes round %d: %d", round, (int)st);
        cJSON_Delete(it);
    }

    /* a body over the limit: cut at the limit on a UTF-8 boundary, reported */
    size_t big = CRM_MIME_MAX_BODY + 100000;
    char *b = gen(&len, big + 1000);
    APPEND(b, &len, "From: a@acme.com\nSubject: big\nContent-Type: text/plain; charset=utf-8\n\n");
    for (size_t i = 0; i < big / 2; i++) { b[len++] = '\xC3'; b[len++] = '\xA9'; }
    it = NULL;
    CHECK(crm_mime_item(b, len, NULL, &it, &cut) == CRM_MIME_OK, "big body parses");
    const char *bt = s(it, "body_text");
    CHECK(bt && strlen(bt) <= CRM_MIME_MAX_BODY && strlen(bt) >= CRM_MIME_MAX_BODY - 1, "body cut at the limit: %zu", bt ? strlen(bt) : 0);
    CHECK(bt && strlen(bt) % 2 == 0, "cut on a character boundary");
    CHECK(cut & CRM_MIME_CUT_BODY, "CUT_BODY reported");
    cJSON_Delete(it);
    free(b);

    /* too many attachments */
    b = gen(&len, 1 << 20);
    APPEND(b, &len, "From: a@acme.com\nContent-Type: multipart/mixed; boundary=B\n\n");
    for (unsigned i = 0; i < CRM_MIME_MAX_ATTACHMENTS + 44; i++)
        APPEND(b, &len, "--B\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=f%u.bin\n\nxx\n", i);
    APPEND(b, &len, "--B--\n");
    it = NULL;
    CHECK(crm_mime_item(b, len, NULL, &it, &cut) == CRM_MIME_OK, "many attachments parse");
    CHECK(count(it, "attachments") == (int)CRM_MIME_MAX_ATTACHMENTS, "attachments capped: %d", count(it, "attachments"));
    CHECK(cut & CRM_MIME_CUT_ATTACHMENTS, "CUT_ATTACHMENTS reported");
    cJSON_Delete(it);
    free(b);

    /* nesting far beyond the limit: refused structure, headers still read, no crash */
    b = gen(&len, 4 << 20);
    APPEND(b, &len, "From: deep@acme.com\nSubject: deep\nContent-Type: multipart/mixed; boundary=b0\n\n");
    for (int i = 1; i < 20000; i++) APPEND(b, &len, "--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n", i - 1, i);
    it = NULL;
    CHECK(crm_mime_item(b, len, NULL, &it, &cut) == CRM_MIME_OK, "deep nesting gives an item");
    CHECK_STR(s(it, "from.address"), "deep@acme.com", "deep nesting: headers read");
    CHECK(cut & CRM_MIME_CUT_STRUCTURE, "CUT_STRUCTURE reported");
    cJSON_Delete(it);
    free(b);

    /* a 100 KB subject and a 5,000-address To */
    b = gen(&len, 1 << 20);
    APPEND(b, &len, "From: a@acme.com\nSubject: ");
    for (int i = 0; i < 100000; i++) b[len++] = 'x';
    APPEND(b, &len, "\nTo: ");
    for (int i = 0; i < 5000; i++) APPEND(b, &len, "%su%d@globex.com", i ? ", " : "", i);
    APPEND(b, &len, "\n\nhi\n");
    it = NULL;
    CHECK(crm_mime_item(b, len, NULL, &it, &cut) == CRM_MIME_OK, "long headers parse");
    CHECK(s(it, "subject") && strlen(s(it, "subject")) == CRM_MIME_MAX_HEADER, "subject capped: %zu", s(it, "subject") ? strlen(s(it, "subject")) : 0);
    CHECK(count(it, "to") == (int)CRM_MIME_MAX_ADDRESSES, "addresses capped: %d", count(it, "to"));
    CHECK((cut & CRM_MIME_CUT_HEADER) && (cut & CRM_MIME_CUT_ADDRESSES), "header and address cuts reported (%u)", cut);
    cJSON_Delete(it);
    free(b);

    /* helpers */
    bool c = false;
    const char *in = "=?UTF-8?B?w6k=?= =?UTF-8?Q?_x?=  plain  =?bogus";
    char *w = crm_mime_decode_words(in, strlen(in), 100, &c);
    CHECK_STR(w, "\xC3\xA9 x plain =?bogus", "decode_words joins words, keeps plain text and malformed words");
    free(w);
    char d[21];
    crm_mime_rfc3339(0, d);
    CHECK_STR(d, "1970-01-01T00:00:00Z", "rfc3339 epoch");
    crm_mime_rfc3339(1709210096, d);
    CHECK_STR(d, "2024-02-29T12:34:56Z", "rfc3339 leap day");
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--dump") == 0) {
        size_t len;
        char *raw = slurp(argv[2], &len);
        cJSON *it = NULL;
        unsigned cut = 0;
        if (raw == NULL || crm_mime_item(raw, len, NULL, &it, &cut) != CRM_MIME_OK) return 2;
        char *out = cJSON_Print(it);
        printf("%s\ntruncated=%u\n", out, cut);
        free(out);
        cJSON_Delete(it);
        free(raw);
        return 0;
    }
    fixtures(argc > 1 ? argv[1] : "tests/data/mail");
    hostile();
    return mc_done();
}
