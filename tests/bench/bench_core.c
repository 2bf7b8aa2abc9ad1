/* tests/bench/bench_core.c: decide_email throughput and memory of the native core, single
 * thread, on realistic generated requests (docs/testing.md "Benchmarks").
 *
 *   bench_core [--runs N] [--seconds S] [--batch N] [--pool N]
 *
 * A request: settings (email.mode "all", opportunities linked, a 20-entry blocklist, two
 * internal domains, the user and an alias), 20 CRM records (8 contacts, some with
 * alternate emails, 4 leads, 5 accounts with websites, 3 opportunities), and an email with
 * 8 participants (from + 5 to + 2 cc: contacts, a lead, colleagues, a blocklisted sender,
 * unknown people), a 4 KB body, a Message-ID and a date. Every request is different
 * (companies, people, senders, subjects rotate), generated deterministically.
 *
 * Figures (wall clock, CLOCK_MONOTONIC; no assertion on time anywhere):
 *   1. baselines: `version` round trips, cJSON parse + print of the same requests (the
 *      floor any cJSON-based boundary pays), and cJSON parse alone;
 *   2. decide_email through crm_eval (a fresh context per call, as the CLI) and through
 *      crm_ctx_eval (one reused context, as the engine): --runs runs of --seconds over a
 *      pool of --pool requests; best and median decisions/s, µs per decision, and ratios
 *      to the baselines;
 *   3. a batch of --batch distinct emails (default 100,000), each generated then decided
 *      (only crm_ctx_eval is timed), in a child process whose peak RSS (ru_maxrss) is the
 *      batch's own;
 *   4. parse_blocklist on lists of growing size (time per entry shows how it scales).
 * A response that is not ok:true is counted and announced with a WARNING line, so an
 * error path is never mistaken for a decision. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "crm/crm.h"

/* ---- deterministic generator ---- */
static uint64_t rng_state;
static uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}
static size_t pick(size_t n) { return (size_t)(rnd() % n); }

static const char *const first_names[] = {"Jane", "John", "Maria", "Ahmed", "Li", "Olga", "Pierre", "Sofia", "Kenji", "Amara",
                                          "Lucas", "Emma", "Noah", "Ines", "Yusuf", "Hanna"};
static const char *const last_names[] = {"Doe", "Smith", "Garcia", "Khan", "Wang", "Petrova", "Martin", "Rossi", "Tanaka",
                                         "Okafor", "Silva", "Muller", "Brown", "Costa", "Yilmaz", "Berg"};
static const char *const syllables[] = {"glo", "bex", "ini", "tech", "umb", "rella", "sty", "rk", "won", "ka", "hoo", "li",
                                        "vo", "dyne", "acme", "zen", "tri", "mark", "nova", "plex"};
static const char *const tlds[] = {"com", "co.uk", "de", "io", "fr", "com.au", "net", "eu.com"};
static const char *const words[] = {"proposal", "pricing", "the", "contract", "renewal", "meeting", "next", "week", "thanks",
                                    "for", "your", "quick", "reply", "we", "discussed", "licences", "support", "team",
                                    "attached", "please", "find", "budget", "quarter", "review", "and", "timeline"};

typedef struct {
    char name[48];
    char domain[72];
    char account_id[19];
} company;

static void make_company(company *c, size_t i) {
    snprintf(c->name, sizeof c->name, "%s%s%s", syllables[pick(20)], syllables[pick(20)], i % 3 ? "" : syllables[pick(20)]);
    c->name[0] = (char)(c->name[0] - 'a' + 'A');
    char lower[48];
    for (size_t k = 0; k <= strlen(c->name); k++) lower[k] = (char)(c->name[k] >= 'A' && c->name[k] <= 'Z' ? c->name[k] + 32 : c->name[k]);
    snprintf(c->domain, sizeof c->domain, "%s%zu.%s", lower, i % 1000, tlds[pick(8)]);
    snprintf(c->account_id, sizeof c->account_id, "001%015zu", i);
}

static cJSON *person(const char *name, const char *address) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "name", name);
    cJSON_AddStringToObject(p, "address", address);
    return p;
}

static cJSON *string_array(const char *const *v, size_t n) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

/* Request number `i` (0-based); the caller frees the text. */
static char *make_request(size_t i) {
    rng_state = 0x9E3779B97F4A7C15ULL ^ (i * 0x100000001B3ULL + 1);
    company co[5];
    for (size_t k = 0; k < 5; k++) make_company(&co[k], i * 5 + k);

    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "op", "decide_email");

    /* settings */
    cJSON *s = cJSON_AddObjectToObject(req, "settings");
    cJSON_AddStringToObject(s, "org_id", "00D000000000001EAA");
    cJSON_AddNumberToObject(s, "utc_offset_minutes", 60);
    cJSON *u = cJSON_AddObjectToObject(s, "user");
    cJSON_AddStringToObject(u, "id", "005000000000001AAA");
    cJSON_AddStringToObject(u, "mailbox", "rep@acme-corp.com");
    static const char *const aliases[] = {"r.rep@acme-corp.com"};
    cJSON_AddItemToObject(u, "aliases", string_array(aliases, 1));
    cJSON_AddStringToObject(u, "salesforce_email", "rep@acme-corp.com");
    static const char *const internal[] = {"acme-corp.com", ".acme-corp.io"};
    cJSON_AddItemToObject(s, "internal_domains", string_array(internal, 2));
    cJSON *bl = cJSON_AddObjectToObject(s, "blocklist");
    cJSON *org = cJSON_AddArrayToObject(bl, "org"), *usr = cJSON_AddArrayToObject(bl, "user");
    static const char *const org_entries[] = {"mailchimp.com", ".sendgrid.net", "noreply@linkedin.com", "@facebookmail.com",
                                              ".marketo.org", "newsletter@techcrunch.com", "calendly.com", "docusign.net",
                                              ".salesloft.com", "zoom.us", "hubspot.com", "billing@stripe.com"};
    for (size_t k = 0; k < 12; k++) cJSON_AddItemToArray(org, cJSON_CreateString(org_entries[k]));
    for (size_t k = 0; k < 8; k++) {
        char e[64];
        if (k % 2) snprintf(e, sizeof e, "spam%zu@vendor%zu.com", i % 97, k);
        else snprintf(e, sizeof e, ".recruit%zu.io", (i + k) % 13);
        cJSON_AddItemToArray(usr, cJSON_CreateString(e));
    }
    cJSON *em = cJSON_AddObjectToObject(s, "email");
    cJSON_AddStringToObject(em, "mode", "all");
    cJSON_AddBoolToObject(em, "link_opportunities", i % 2 == 0);

    /* records: 8 contacts, 4 leads, 5 accounts, 3 opportunities */
    cJSON *r = cJSON_AddObjectToObject(req, "records");
    cJSON *contacts = cJSON_AddArrayToObject(r, "contacts");
    char contact_addr[8][96], contact_name[8][64];
    for (size_t k = 0; k < 8; k++) {
        const company *c = &co[k % 5];
        const char *fn = first_names[pick(16)], *ln = last_names[pick(16)];
        snprintf(contact_name[k], sizeof contact_name[k], "%s %s", fn, ln);
        snprintf(contact_addr[k], sizeof contact_addr[k], "%c.%s%zu@%s", fn[0] + 32, ln, k, c->domain);
        for (char *p = contact_addr[k]; *p; p++) if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
        cJSON *o = cJSON_CreateObject();
        char id[19];
        snprintf(id, sizeof id, "003%015zu", i * 8 + k);
        cJSON_AddStringToObject(o, "id", id);
        cJSON_AddStringToObject(o, "email", contact_addr[k]);
        cJSON *alt = cJSON_AddArrayToObject(o, "alt_emails");
        if (k % 3 == 0) {
            char a[96];
            snprintf(a, sizeof a, "%s.%s@gmail.com", fn, ln);
            cJSON_AddItemToArray(alt, cJSON_CreateString(a));
        }
        cJSON_AddStringToObject(o, "first_name", fn);
        cJSON_AddStringToObject(o, "last_name", ln);
        cJSON_AddStringToObject(o, "account_id", c->account_id);
        cJSON_AddStringToObject(o, "owner_id", "005000000000001AAA");
        char created[32];
        snprintf(created, sizeof created, "2025-%02zu-%02zuT09:00:00Z", 1 + k, 1 + pick(28));
        cJSON_AddStringToObject(o, "created", created);
        cJSON_AddItemToArray(contacts, o);
    }
    cJSON *leads = cJSON_AddArrayToObject(r, "leads");
    char lead_addr[4][96];
    for (size_t k = 0; k < 4; k++) {
        const char *fn = first_names[pick(16)], *ln = last_names[pick(16)];
        char dom[64];
        snprintf(dom, sizeof dom, "prospect%zu-%zu.com", i % 5000, k);
        snprintf(lead_addr[k], sizeof lead_addr[k], "%s@%s", fn, dom);
        for (char *p = lead_addr[k]; *p; p++) if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
        cJSON *o = cJSON_CreateObject();
        char id[19];
        snprintf(id, sizeof id, "00Q%015zu", i * 4 + k);
        cJSON_AddStringToObject(o, "id", id);
        cJSON_AddStringToObject(o, "email", lead_addr[k]);
        cJSON_AddItemToObject(o, "alt_emails", cJSON_CreateArray());
        cJSON_AddStringToObject(o, "first_name", fn);
        cJSON_AddStringToObject(o, "last_name", ln);
        cJSON_AddStringToObject(o, "company", dom);
        cJSON_AddBoolToObject(o, "converted", k == 3);
        cJSON_AddStringToObject(o, "owner_id", "005000000000001AAA");
        cJSON_AddStringToObject(o, "created", "2026-02-01T00:00:00Z");
        cJSON_AddItemToArray(leads, o);
    }
    cJSON *accounts = cJSON_AddArrayToObject(r, "accounts");
    for (size_t k = 0; k < 5; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", co[k].account_id);
        cJSON_AddStringToObject(o, "name", co[k].name);
        char web[96];
        snprintf(web, sizeof web, "https://www.%s/", co[k].domain);
        cJSON_AddStringToObject(o, "website", web);
        cJSON_AddItemToObject(o, "domains", cJSON_CreateArray());
        cJSON_AddItemToArray(accounts, o);
    }
    cJSON *opps = cJSON_AddArrayToObject(r, "opportunities");
    for (size_t k = 0; k < 3; k++) {
        cJSON *o = cJSON_CreateObject();
        char id[19];
        snprintf(id, sizeof id, "006%015zu", i * 3 + k);
        cJSON_AddStringToObject(o, "id", id);
        cJSON_AddStringToObject(o, "account_id", co[k].account_id);
        cJSON_AddStringToObject(o, "owner_id", "005000000000001AAA");
        cJSON_AddBoolToObject(o, "closed", k == 2);
        cJSON_AddStringToObject(o, "close_date", k == 0 ? "2027-01-15" : k == 1 ? "2026-12-20" : "2026-06-30");
        cJSON_AddStringToObject(o, "created", k == 0 ? "2026-03-01T00:00:00Z" : "2026-05-01T00:00:00Z");
        cJSON_AddItemToArray(opps, o);
    }

    /* the email: 8 participants */
    cJSON *it = cJSON_AddObjectToObject(req, "item");
    cJSON_AddStringToObject(it, "type", "email");
    char buf[160];
    snprintf(buf, sizeof buf, "AAMkAD%012zu", i);
    cJSON_AddStringToObject(it, "id", buf);
    snprintf(buf, sizeof buf, "<%zu.%08llx@mail.%s>", i, (unsigned long long)(rnd() & 0xffffffffu), co[0].domain);
    cJSON_AddStringToObject(it, "message_id", buf);
    snprintf(buf, sizeof buf, "conv-%zu", i / 3);
    cJSON_AddStringToObject(it, "conversation_id", buf);
    bool outbound = i % 4 == 0;
    /* the sender rotates: a contact, a lead, an unknown person, or the user */
    cJSON *to = cJSON_CreateArray(), *cc = cJSON_CreateArray();
    char unknown[2][96];
    snprintf(unknown[0], sizeof unknown[0], "%s.%s@newco%zu.com", first_names[pick(16)], last_names[pick(16)], i % 777);
    snprintf(unknown[1], sizeof unknown[1], "info@startup%zu.io", i % 333);
    for (size_t k = 0; k < 2; k++) for (char *p = unknown[k]; *p; p++) if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
    if (outbound) {
        cJSON_AddItemToObject(it, "from", person("Rep", "rep@acme-corp.com"));
    } else {
        switch (i % 5 == 4 ? 2 : i % 3) {
        case 0: cJSON_AddItemToObject(it, "from", person(contact_name[i % 8], contact_addr[i % 8])); break;
        case 1: cJSON_AddItemToObject(it, "from", person("", lead_addr[i % 3])); break;
        default: cJSON_AddItemToObject(it, "from", person("", unknown[0])); break;
        }
        cJSON_AddItemToArray(to, person("Rep", "rep@acme-corp.com"));
    }
    /* one email in five is cold: nobody in it is in the CRM (a no_match skip with suggestions) */
    bool cold = i % 5 == 4;
    if (cold) {
        for (size_t k = 1; k <= 3; k++) {
            snprintf(contact_addr[(i + k) % 8], sizeof contact_addr[0], "person%zu@coldprospect%zu.com", k, i % 911);
            snprintf(contact_name[(i + k) % 8], sizeof contact_name[0], "Person %zu", k);
        }
    }
    cJSON_AddItemToArray(to, person(contact_name[(i + 1) % 8], contact_addr[(i + 1) % 8]));
    cJSON_AddItemToArray(to, person(contact_name[(i + 2) % 8], contact_addr[(i + 2) % 8]));
    cJSON_AddItemToArray(to, person("Colleague", "colleague@acme-corp.com"));
    cJSON_AddItemToArray(to, person("", "news@mailchimp.com"));
    if (outbound) cJSON_AddItemToArray(to, person("", unknown[0]));
    cJSON_AddItemToArray(cc, person(contact_name[(i + 3) % 8], contact_addr[(i + 3) % 8]));
    cJSON_AddItemToArray(cc, person("", unknown[1]));
    cJSON_AddItemToObject(it, "to", to);
    cJSON_AddItemToObject(it, "cc", cc);
    cJSON_AddItemToObject(it, "bcc", cJSON_CreateArray());
    snprintf(buf, sizeof buf, "%s: %s %s #%zu", i % 2 ? "Re" : "Fwd", words[pick(26)], words[pick(26)], i);
    cJSON_AddStringToObject(it, "subject", buf);
    char body[4097];
    size_t n = 0;
    while (n < 4096) {
        const char *w = words[pick(26)];
        size_t wl = strlen(w);
        if (n + wl + 1 > 4096) break;
        memcpy(body + n, w, wl);
        n += wl;
        body[n++] = pick(12) ? ' ' : '\n';
    }
    while (n < 4096) body[n++] = '.';
    body[n] = '\0';
    cJSON_AddStringToObject(it, "body_text", body);
    snprintf(buf, sizeof buf, "2026-11-%02zuT%02zu:%02zu:00Z", 1 + i % 20, i % 24, i % 60);
    cJSON_AddStringToObject(it, "date", buf);
    cJSON_AddStringToObject(it, "folder", outbound ? "sent" : "inbox");
    cJSON *ctx = cJSON_AddObjectToObject(req, "context");
    cJSON_AddStringToObject(ctx, "now", "2026-11-22T08:00:00Z");

    char *text = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    if (text == NULL) { fprintf(stderr, "bench: out of memory generating requests\n"); exit(2); }
    return text;
}

/* ---- measuring ---- */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static long peak_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* What the responses were: ok:true decisions by action/reason, and errors by code. */
typedef struct {
    long total, not_ok;
    char first_error[160];
    char keys[16][48];
    long counts[16];
    int nkeys;
} tally;

static void tally_add(tally *t, const char *resp) {
    t->total++;
    char key[48] = "";
    if (strncmp(resp, "{\"ok\":true", 10) != 0) {
        t->not_ok++;
        if (t->first_error[0] == '\0') snprintf(t->first_error, sizeof t->first_error, "%.150s", resp);
        const char *c = strstr(resp, "\"code\":\"");
        snprintf(key, sizeof key, "error %.30s", c ? c + 8 : "?");
        char *q = strchr(key + 6, '"');
        if (q) *q = '\0';
    } else {
        const char *a = strstr(resp, "\"action\":\""), *r = strstr(resp, "\"reason\":\"");
        char action[16] = "?", reason[28] = "?";
        if (a) { snprintf(action, sizeof action, "%.15s", a + 10); char *q = strchr(action, '"'); if (q) *q = '\0'; }
        if (r) { snprintf(reason, sizeof reason, "%.27s", r + 10); char *q = strchr(reason, '"'); if (q) *q = '\0'; }
        if (a == NULL) snprintf(key, sizeof key, "ok");
        else snprintf(key, sizeof key, "%s/%s", action, reason);
    }
    for (int k = 0; k < t->nkeys; k++)
        if (strcmp(t->keys[k], key) == 0) { t->counts[k]++; return; }
    if (t->nkeys < 16) {
        snprintf(t->keys[t->nkeys], sizeof t->keys[0], "%s", key);
        t->counts[t->nkeys++] = 1;
    }
}

static void tally_print(const char *what, const tally *t) {
    printf("  %s outcomes:", what);
    for (int k = 0; k < t->nkeys; k++) printf(" %s %.1f%%", t->keys[k], 100.0 * (double)t->counts[k] / (double)t->total);
    printf("\n");
    if (t->not_ok)
        printf("WARNING: %ld of %ld %s responses were not ok:true (first: %s); these figures time an error path, not decisions\n",
               t->not_ok, t->total, what, t->first_error);
}

typedef enum { VIA_EVAL, VIA_CTX, VIA_CJSON, VIA_PARSE } via;

/* Calls per second over `seconds`, cycling through the pool. */
static double run_for(via how, char **pool, size_t *lens, size_t pool_n, double seconds, crm_ctx *ctx, tally *t) {
    size_t i = 0;
    long calls = 0;
    double start = now_s(), end = start + seconds, t_now = start;
    while (t_now < end) {
        for (int k = 0; k < 64; k++, i = (i + 1) % pool_n, calls++) {
            if (how == VIA_PARSE) {
                cJSON *j = cJSON_ParseWithLength(pool[i], lens[i]);
                if (j == NULL) { fprintf(stderr, "bench: cJSON failed\n"); exit(2); }
                cJSON_Delete(j);
                continue;
            }
            if (how == VIA_CJSON) {
                cJSON *j = cJSON_ParseWithLength(pool[i], lens[i]);
                char *out = cJSON_PrintUnformatted(j);
                if (out == NULL) { fprintf(stderr, "bench: cJSON failed\n"); exit(2); }
                cJSON_free(out);
                cJSON_Delete(j);
                continue;
            }
            char *resp = how == VIA_EVAL ? crm_eval(pool[i], lens[i]) : crm_ctx_eval(ctx, pool[i], lens[i], NULL);
            if (resp == NULL) { fprintf(stderr, "bench: out of memory\n"); exit(2); }
            if (t) tally_add(t, resp);
            if (how == VIA_EVAL) crm_free(resp);
            else crm_ctx_release(ctx, resp);
        }
        t_now = now_s();
    }
    return (double)calls / (t_now - start);
}

typedef struct { double best, median; } figures;

static figures runs(via how, char **pool, size_t *lens, size_t pool_n, int nruns, double seconds, crm_ctx *ctx, tally *t) {
    double v[64];
    if (nruns > 64) nruns = 64;
    for (int r = 0; r < nruns; r++) v[r] = run_for(how, pool, lens, pool_n, seconds, ctx, r == 0 ? t : NULL);
    qsort(v, (size_t)nruns, sizeof v[0], cmp_double);
    figures f = {v[nruns - 1], nruns % 2 ? v[nruns / 2] : (v[nruns / 2 - 1] + v[nruns / 2]) / 2};
    return f;
}

static void print_rate(const char *what, figures f) {
    printf("  %-44s best %9.0f/s (%7.2f us)   median %9.0f/s (%7.2f us)\n", what, f.best, 1e6 / f.best, f.median, 1e6 / f.median);
}

/* The batch, in a child so its peak RSS is its own. */
static void batch(size_t n) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return; }
    if (pid > 0) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("WARNING: the batch process failed\n");
        return;
    }
    long rss0 = peak_rss_kb();
    crm_ctx *ctx = crm_ctx_new(NULL);
    tally t;
    memset(&t, 0, sizeof t);
    double eval_s = 0, t0 = now_s();
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        char *req = make_request(1000000 + i);
        size_t len = strlen(req);
        bytes += len;
        double a = now_s();
        char *resp = crm_ctx_eval(ctx, req, len, NULL);
        eval_s += now_s() - a;
        if (resp == NULL) { fprintf(stderr, "bench: out of memory\n"); _exit(2); }
        tally_add(&t, resp);
        crm_ctx_release(ctx, resp);
        cJSON_free(req);
    }
    double wall = now_s() - t0;
    crm_ctx_free(ctx);
    printf("batch: %zu distinct emails (%.1f KB per request on average)\n", n, (double)bytes / (double)n / 1024.0);
    printf("  decide_email (crm_ctx_eval only)            %9.0f/s (%7.2f us per decision), %.2f s in the core\n",
           (double)n / eval_s, 1e6 * eval_s / (double)n, eval_s);
    printf("  with generating each request                %9.0f/s, %.2f s wall\n", (double)n / wall, wall);
    printf("  peak RSS of the batch process               %.1f MiB (%.1f MiB at its start)\n", (double)peak_rss_kb() / 1024.0,
           (double)rss0 / 1024.0);
    tally_print("batch", &t);
    fflush(stdout);
    _exit(0);
}

/* parse_blocklist on n distinct entries: how the parser scales. */
static void blocklist_scaling(void) {
    printf("parse_blocklist scaling (distinct entries; constant us/entry means linear):\n");
    static const size_t sizes[] = {500, 2000, 8000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s], cap = n * 32 + 64, len = 0;
        char *req = malloc(cap);
        if (req == NULL) return;
        len += (size_t)snprintf(req, cap, "{\"op\":\"parse_blocklist\",\"text\":\"");
        for (size_t i = 0; i < n; i++) len += (size_t)snprintf(req + len, cap - len, "%s%zu.example%zu.com ", i % 3 ? "" : ".", i, i % 7);
        len += (size_t)snprintf(req + len, cap - len, "\"}");
        double best = 1e9;
        int ok = 1;
        for (int r = 0; r < 3; r++) {
            double a = now_s();
            char *resp = crm_eval(req, len);
            double d = now_s() - a;
            if (resp == NULL || strncmp(resp, "{\"ok\":true", 10) != 0) ok = 0;
            crm_free(resp);
            if (d < best) best = d;
        }
        printf("  %6zu entries: %8.2f ms  (%6.2f us/entry)%s\n", n, best * 1e3, best * 1e6 / (double)n,
               ok ? "" : "  WARNING: not ok:true");
        free(req);
    }
}

int main(int argc, char **argv) {
    int nruns = 5;
    double seconds = 1.0;
    size_t nbatch = 100000, pool_n = 1000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) nruns = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) nbatch = (size_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--pool") == 0 && i + 1 < argc) pool_n = (size_t)strtoul(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_core [--runs N] [--seconds S] [--batch N] [--pool N]\n");
            return 2;
        }
    }
    if (nruns < 1 || seconds <= 0 || pool_n < 1) return 2;
    printf("bench_core: crmsync core %s, single thread, %d runs x %.1f s, pool of %zu requests\n", crm_version(), nruns, seconds, pool_n);

    char **pool = malloc(pool_n * sizeof *pool);
    size_t *lens = malloc(pool_n * sizeof *lens);
    if (pool == NULL || lens == NULL) return 2;
    size_t total = 0;
    for (size_t i = 0; i < pool_n; i++) {
        pool[i] = make_request(i);
        lens[i] = strlen(pool[i]);
        total += lens[i];
    }
    char version_req[] = "{\"op\":\"version\"}";
    char *vpool[1] = {version_req};
    size_t vlen[1] = {sizeof version_req - 1};
    printf("request: 8 participants, 4 KB body, 20 CRM records, 20 blocklist entries; %.1f KB on average\n",
           (double)total / (double)pool_n / 1024.0);

    crm_ctx *ctx = crm_ctx_new(NULL);
    if (ctx == NULL) return 2;
    tally t_eval, t_ctx, t_version;
    memset(&t_eval, 0, sizeof t_eval);
    memset(&t_ctx, 0, sizeof t_ctx);
    memset(&t_version, 0, sizeof t_version);

    printf("baselines:\n");
    figures fv = runs(VIA_CTX, vpool, vlen, 1, nruns, seconds, ctx, &t_version);
    print_rate("version round trip (crm_ctx_eval)", fv);
    figures fj = runs(VIA_CJSON, pool, lens, pool_n, nruns, seconds, NULL, NULL);
    print_rate("cJSON parse + print of the request", fj);
    figures fp = runs(VIA_PARSE, pool, lens, pool_n, nruns, seconds, NULL, NULL);
    print_rate("cJSON parse only (+ delete)", fp);
    printf("decide_email:\n");
    figures fe = runs(VIA_EVAL, pool, lens, pool_n, nruns, seconds, NULL, &t_eval);
    print_rate("crm_eval (fresh context per call, as the CLI)", fe);
    figures fc = runs(VIA_CTX, pool, lens, pool_n, nruns, seconds, ctx, &t_ctx);
    print_rate("crm_ctx_eval (reused context, as the engine)", fc);
    printf("  ratios (median): a decision costs %.1fx a cJSON parse + print of its request, %.0fx a version round trip\n",
           fj.median / fc.median, fv.median / fc.median);
    printf("  MB/s of request JSON decided: %.0f\n", fc.median * (double)total / (double)pool_n / 1e6);
    tally_print("version", &t_version);
    tally_print("decide_email", &t_ctx);
    if (t_eval.not_ok != t_ctx.not_ok) printf("WARNING: crm_eval and crm_ctx_eval disagree on how many responses are ok\n");
    printf("peak RSS of this process: %.1f MiB (the request pool is %.1f MiB of it)\n", (double)peak_rss_kb() / 1024.0,
           (double)total / 1048576.0);

    crm_ctx_free(ctx);
    for (size_t i = 0; i < pool_n; i++) cJSON_free(pool[i]);
    free(pool);
    free(lens);

    if (nbatch) batch(nbatch);
    blocklist_scaling();
    return 0;
}
