/* crm_sandbox_seed.c: a realistic org of a given size, deterministic for a seed (one
 * transaction, prepared statements, no clock: dates are relative to 2026-11-01), and the
 * stats / data hash of a sandbox file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "crm/sha256.h"
#include "crm_sandbox.h"
#include "crm_sandbox_internal.h"

#define REF_DAY 20758LL /* 2026-11-01, days since 1970-01-01 */

static const char *const FIRST[] = {
    "Ana", "Bruno", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Keiko", "Liam", "Maria", "Nadia",
    "Oscar", "Paula", "Quentin", "Rosa", "Samir", "Tara", "Umar", "Vera", "Walter", "Xenia", "Yusuf", "Zoe", "Aiko", "Ben",
    "Chloe", "Diego", "Emma", "Felix", "Greta", "Hannah", "Ivan", "Julia", "Karl", "Lena", "Marco", "Nina", "Olga", "Pedro",
    "Rita", "Sven", "Tomas", "Ulla", "Victor", "Wanda", "Yara", "Zeno", "Amelie", "Bjorn", "Cem", "Dora", "Emil", "Fatima",
    "Gil", "Hedda", "Igor", "Jana", "Kofi", "Lucia", "Mehmet", "Noor", "Otto", "Priya", "Raj", "Sofia", "Theo", "Ursula"};
static const char *const LAST[] = {
    "Silva", "Smith", "Novak", "Garcia", "Muller", "Rossi", "Kowalski", "Dubois", "Jensen", "Tanaka", "Okafor", "Haddad",
    "Petrov", "Larsen", "Costa", "Schmidt", "Moreau", "Nielsen", "Fischer", "Lopez", "Martin", "Weber", "Bianchi", "Horvat",
    "Yilmaz", "Nakamura", "Andersen", "Ferreira", "Kumar", "Singh", "Brown", "Wilson", "Taylor", "Clark", "Lewis", "Walker",
    "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts",
    "Carter", "Phillips", "Evans", "Turner", "Torres", "Parker", "Collins", "Edwards", "Stewart", "Flores", "Morris", "Nguyen"};
static const char *const ADJ[] = {"Bright", "Blue", "Swift", "North", "Silver", "Green", "Prime", "Red", "Solid", "Clear",
                                  "Bold", "True", "Nova", "Apex", "Iron", "Golden", "Open", "Quantum", "Urban", "Vital"};
static const char *const NOUN[] = {"Forge", "River", "Peak", "Harbor", "Field", "Works", "Labs", "Systems", "Logic", "Bridge",
                                   "Stone", "Wave", "Path", "Grid", "Leaf", "Cloud", "Point", "Craft", "Signal", "Mills"};
static const char *const SUFFIX[] = {"Inc.", "Ltd", "GmbH", "LLC", "SA", "AG", "BV", "Group"};
static const char *const TLD[] = {"com", "com", "com", "io", "de", "co.uk", "fr", "net", "eu", "org"};
static const char *const FREEMAIL[] = {"gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "gmx.de", "icloud.com"};
static const char *const INDUSTRY[] = {"Technology", "Manufacturing", "Finance", "Healthcare", "Retail", "Education", "Energy"};
static const char *const OPEN_STAGES[] = {"Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review"};
static const char *const PRODUCTS[] = {"Platform licence", "Renewal", "Expansion", "Pilot", "Support plan", "Services"};
static const char *const LEAD_STATUS[] = {"Open - Not Contacted", "Working - Contacted", "Closed - Not Converted"};

#define PICK(r, a) (a)[crm_sandbox_rng_below((r), sizeof(a) / sizeof((a)[0]))]

static void lower_copy(char *dst, const char *src, size_t cap) {
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) dst[i] = (char)((src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 : src[i]);
    dst[i] = '\0';
}

static void date_of(long long day, char out[11]) {
    char dt[32];
    crm_sandbox_fmt_datetime(day * 86400LL, dt);
    memcpy(out, dt, 10);
    out[10] = '\0';
}

static void created_of(crm_sandbox_rng *r, char out[32]) {
    /* between 2023-01-01 and the reference day */
    long long start = REF_DAY - 1400;
    long long t = (start + (long long)crm_sandbox_rng_below(r, 1400)) * 86400LL + (long long)crm_sandbox_rng_below(r, 86400);
    crm_sandbox_fmt_datetime(t, out);
}

static void bind_opt(sqlite3_stmt *st, int i, const char *v) {
    if (v && v[0]) sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
}

typedef struct acct { char id[19]; char domain[64]; char owner[19]; } acct;

static int step_reset(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static char *db_error(sqlite3 *db, const char *what) {
    const char *m = sqlite3_errmsg(db);
    size_t need = strlen(m) + strlen(what) + 8;
    char *e = malloc(need);
    if (e) snprintf(e, need, "%s: %s", what, m);
    return e;
}

crm_sandbox_status crm_sandbox_seed(const char *db_path, long size, unsigned long seed, char **err) {
    *err = NULL;
    if (size < 0 || size > 10000000) { *err = strdup("--size must be between 0 and 10,000,000"); return CRM_SANDBOX_E_USAGE; }
    sqlite3 *db = crm_sandbox_db_open(db_path, err);
    if (!db) return CRM_SANDBOX_E_DB;
    crm_sandbox_rng rng = {seed * 0x9E3779B97F4A7C15ULL + 12345};
    long n_users = 5 + size / 5000;
    if (n_users > 200) n_users = 200;
    long n_acc = size > 0 ? (size / 4 > 0 ? size / 4 : 1) : 0;
    long n_lead = size / 4;
    long n_opp = n_acc / 2;
    acct *accs = calloc((size_t)n_acc + 1, sizeof *accs);
    char (*users)[19] = calloc((size_t)n_users + 1, sizeof *users);
    /* emails of contacts, to make duplicates and contact/lead overlaps */
    char (*emails)[160] = calloc((size_t)size + 1, sizeof *emails);
    sqlite3_stmt *su = NULL, *sa = NULL, *sc = NULL, *sl = NULL, *so = NULL;
    crm_sandbox_status rcs = CRM_SANDBOX_E_DB;
    if (!accs || !users || !emails) { rcs = CRM_SANDBOX_E_NOMEM; goto out; }
    if (crm_sandbox_exec(db, "BEGIN IMMEDIATE") != 0) { *err = db_error(db, "begin"); goto out; }
    char admin[19];
    crm_sandbox_admin_user(admin);
    char sql[512];
    for (int i = 0; i < crm_sandbox_n_objects; i++) {
        snprintf(sql, sizeof sql, "DELETE FROM \"%s\"%s", crm_sandbox_objects[i].name,
                 strcmp(crm_sandbox_objects[i].name, "User") == 0 ? " WHERE Id != ?1" : "");
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) { *err = db_error(db, "clear"); goto out; }
        if (strstr(sql, "?1")) sqlite3_bind_text(st, 1, admin, -1, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_finalize(st);
    }
    if (crm_sandbox_exec(db, "DELETE FROM sandbox_seq; DELETE FROM sandbox_cursors; DELETE FROM sandbox_deleted;") != 0) { *err = db_error(db, "clear"); goto out; }
    if (sqlite3_prepare_v2(db, "INSERT INTO \"User\"(Id, Username, FirstName, LastName, Name, Email, IsActive, CreatedDate, LastModifiedDate) "
                               "VALUES(?1,?2,?3,?4,?5,?2,1,?6,?6)", -1, &su, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO \"Account\"(Id, Name, Website, Phone, Industry, BillingCity, OwnerId, CreatedDate, LastModifiedDate) "
                               "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?8)", -1, &sa, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO \"Contact\"(Id, FirstName, LastName, Name, Email, Title, AccountId, CrmSync_Alt_Email__c, OwnerId, "
                               "CreatedDate, LastModifiedDate) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?10)", -1, &sc, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO \"Lead\"(Id, FirstName, LastName, Name, Email, Company, Status, IsConverted, CrmSync_Alt_Email__c, "
                               "OwnerId, CreatedDate, LastModifiedDate) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?11)", -1, &sl, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO \"Opportunity\"(Id, Name, AccountId, StageName, CloseDate, Amount, IsClosed, IsWon, OwnerId, "
                               "CreatedDate, LastModifiedDate) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?10)", -1, &so, NULL) != SQLITE_OK) {
        *err = db_error(db, "prepare");
        goto out;
    }
    char buf[512], buf2[256], created[32];
    char web[160];
    memcpy(users[0], admin, 19);
    for (long i = 1; i <= n_users; i++) {
        crm_sandbox_make_id("005", (uint64_t)i + 1, users[i]);
        const char *f = PICK(&rng, FIRST), *l = PICK(&rng, LAST);
        char lf[24], ll[24];
        lower_copy(lf, f, sizeof lf);
        lower_copy(ll, l, sizeof ll);
        snprintf(buf, sizeof buf, "%s.%s%ld@sandbox.crmsync.test", lf, ll, i);
        snprintf(buf2, sizeof buf2, "%s %s", f, l);
        created_of(&rng, created);
        sqlite3_bind_text(su, 1, users[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(su, 2, buf, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(su, 3, f, -1, SQLITE_STATIC);
        sqlite3_bind_text(su, 4, l, -1, SQLITE_STATIC);
        sqlite3_bind_text(su, 5, buf2, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(su, 6, created, -1, SQLITE_TRANSIENT);
        if (step_reset(su) != 0) { *err = db_error(db, "users"); goto out; }
    }
    for (long i = 0; i < n_acc; i++) {
        acct *a = &accs[i];
        crm_sandbox_make_id("001", (uint64_t)i + 1, a->id);
        const char *adj = PICK(&rng, ADJ), *noun = PICK(&rng, NOUN);
        char la[24], ln[24];
        lower_copy(la, adj, sizeof la);
        lower_copy(ln, noun, sizeof ln);
        snprintf(a->domain, sizeof a->domain, "%s%s%ld.%s", la, ln, i + 1, PICK(&rng, TLD));
        snprintf(buf, sizeof buf, "%s %s %ld %s", adj, noun, i + 1, PICK(&rng, SUFFIX));
        web[0] = '\0';
        uint64_t w = crm_sandbox_rng_below(&rng, 100);
        if (w < 60) snprintf(web, sizeof web, "https://www.%s", a->domain);
        else if (w < 80) snprintf(web, sizeof web, "%s", a->domain);
        else if (w < 88) snprintf(web, sizeof web, "http://%s/", a->domain);
        memcpy(a->owner, users[crm_sandbox_rng_below(&rng, (uint64_t)n_users + 1)], 19);
        snprintf(buf2, sizeof buf2, "+1 555 %04llu %03llu", (unsigned long long)crm_sandbox_rng_below(&rng, 10000),
                 (unsigned long long)crm_sandbox_rng_below(&rng, 1000));
        created_of(&rng, created);
        sqlite3_bind_text(sa, 1, a->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(sa, 2, buf, -1, SQLITE_TRANSIENT);
        bind_opt(sa, 3, web);
        sqlite3_bind_text(sa, 4, buf2, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(sa, 5, PICK(&rng, INDUSTRY), -1, SQLITE_STATIC);
        sqlite3_bind_text(sa, 6, PICK(&rng, LAST), -1, SQLITE_STATIC);
        sqlite3_bind_text(sa, 7, a->owner, -1, SQLITE_STATIC);
        sqlite3_bind_text(sa, 8, created, -1, SQLITE_TRANSIENT);
        if (step_reset(sa) != 0) { *err = db_error(db, "accounts"); goto out; }
    }
    static const char *const TITLES[] = {"CEO", "CTO", "Head of Sales", "Buyer", "Engineer", "Office Manager", "CFO", ""};
    for (long i = 0; i < size; i++) {
        char id[19], lf[24], ll[24], alt[160] = "", name[128];
        crm_sandbox_make_id("003", (uint64_t)i + 1, id);
        const char *f = PICK(&rng, FIRST), *l = PICK(&rng, LAST);
        lower_copy(lf, f, sizeof lf);
        lower_copy(ll, l, sizeof ll);
        const acct *a = n_acc ? &accs[crm_sandbox_rng_below(&rng, (uint64_t)n_acc)] : NULL;
        uint64_t kind = crm_sandbox_rng_below(&rng, 100);
        char *em = emails[i];
        if (kind < 1 && i > 0) snprintf(em, 160, "%s", emails[crm_sandbox_rng_below(&rng, (uint64_t)i)]); /* duplicate email */
        else if (kind < 80 && a) snprintf(em, 160, "%s.%s%ld@%s", lf, ll, i + 1, a->domain);
        else if (kind < 95) snprintf(em, 160, "%s.%s%ld@%s", lf, ll, i + 1, PICK(&rng, FREEMAIL));
        else em[0] = '\0';
        if (crm_sandbox_rng_below(&rng, 100) < 20) snprintf(alt, sizeof alt, "%s%s%ld@%s", lf, ll, i + 1, PICK(&rng, FREEMAIL));
        bool no_account = crm_sandbox_rng_below(&rng, 100) < 5;
        snprintf(name, sizeof name, "%s %s", f, l);
        created_of(&rng, created);
        sqlite3_bind_text(sc, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(sc, 2, f, -1, SQLITE_STATIC);
        sqlite3_bind_text(sc, 3, l, -1, SQLITE_STATIC);
        sqlite3_bind_text(sc, 4, name, -1, SQLITE_TRANSIENT);
        bind_opt(sc, 5, em);
        bind_opt(sc, 6, PICK(&rng, TITLES));
        bind_opt(sc, 7, a && !no_account ? a->id : NULL);
        bind_opt(sc, 8, alt);
        sqlite3_bind_text(sc, 9, a ? a->owner : admin, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(sc, 10, created, -1, SQLITE_TRANSIENT);
        if (step_reset(sc) != 0) { *err = db_error(db, "contacts"); goto out; }
    }
    for (long i = 0; i < n_lead; i++) {
        char id[19], lf[24], ll[24], em[160] = "", alt[160] = "", name[128], company[128];
        crm_sandbox_make_id("00Q", (uint64_t)i + 1, id);
        const char *f = PICK(&rng, FIRST), *l = PICK(&rng, LAST);
        lower_copy(lf, f, sizeof lf);
        lower_copy(ll, l, sizeof ll);
        const char *adj = PICK(&rng, ADJ), *noun = PICK(&rng, NOUN);
        char la[24], ln[24];
        lower_copy(la, adj, sizeof la);
        lower_copy(ln, noun, sizeof ln);
        snprintf(company, sizeof company, "%s %s Prospect %ld", adj, noun, i + 1);
        uint64_t kind = crm_sandbox_rng_below(&rng, 100);
        if (kind < 5 && size > 0 && emails[crm_sandbox_rng_below(&rng, (uint64_t)size)][0]) /* same email as a contact */
            snprintf(em, sizeof em, "%s", emails[crm_sandbox_rng_below(&rng, (uint64_t)size)]);
        else if (kind < 85) snprintf(em, sizeof em, "%s.%s%ld@%s%s-prospect%ld.com", lf, ll, i + 1, la, ln, i + 1);
        else if (kind < 97) snprintf(em, sizeof em, "%s%s%ld@%s", lf, ll, i + 1, PICK(&rng, FREEMAIL));
        if (crm_sandbox_rng_below(&rng, 100) < 10) snprintf(alt, sizeof alt, "%s.%s.l%ld@%s", lf, ll, i + 1, PICK(&rng, FREEMAIL));
        bool converted = crm_sandbox_rng_below(&rng, 100) < 10;
        snprintf(name, sizeof name, "%s %s", f, l);
        created_of(&rng, created);
        sqlite3_bind_text(sl, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(sl, 2, f, -1, SQLITE_STATIC);
        sqlite3_bind_text(sl, 3, l, -1, SQLITE_STATIC);
        sqlite3_bind_text(sl, 4, name, -1, SQLITE_TRANSIENT);
        bind_opt(sl, 5, em);
        sqlite3_bind_text(sl, 6, company, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(sl, 7, converted ? "Closed - Converted" : PICK(&rng, LEAD_STATUS), -1, SQLITE_STATIC);
        sqlite3_bind_int(sl, 8, converted);
        bind_opt(sl, 9, alt);
        sqlite3_bind_text(sl, 10, users[crm_sandbox_rng_below(&rng, (uint64_t)n_users + 1)], -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(sl, 11, created, -1, SQLITE_TRANSIENT);
        if (step_reset(sl) != 0) { *err = db_error(db, "leads"); goto out; }
    }
    for (long i = 0; i < n_opp; i++) {
        char id[19], close[11], name[200];
        crm_sandbox_make_id("006", (uint64_t)i + 1, id);
        const acct *a = &accs[crm_sandbox_rng_below(&rng, (uint64_t)n_acc)];
        uint64_t k = crm_sandbox_rng_below(&rng, 100);
        bool closed = k < 60, won = k < 30;
        long long day = closed ? REF_DAY - (long long)crm_sandbox_rng_below(&rng, 700) : REF_DAY + (long long)crm_sandbox_rng_below(&rng, 180);
        date_of(day, close);
        snprintf(name, sizeof name, "%.60s - %s", a->domain, PICK(&rng, PRODUCTS));
        created_of(&rng, created);
        sqlite3_bind_text(so, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(so, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(so, 3, a->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(so, 4, closed ? (won ? "Closed Won" : "Closed Lost") : PICK(&rng, OPEN_STAGES), -1, SQLITE_STATIC);
        sqlite3_bind_text(so, 5, close, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(so, 6, (double)(1000 * (1 + crm_sandbox_rng_below(&rng, 500))));
        sqlite3_bind_int(so, 7, closed);
        sqlite3_bind_int(so, 8, won);
        sqlite3_bind_text(so, 9, crm_sandbox_rng_below(&rng, 2) ? a->owner : users[crm_sandbox_rng_below(&rng, (uint64_t)n_users + 1)], -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(so, 10, created, -1, SQLITE_TRANSIENT);
        if (step_reset(so) != 0) { *err = db_error(db, "opportunities"); goto out; }
    }
    snprintf(sql, sizeof sql,
             "INSERT INTO sandbox_seq(prefix, next) VALUES('005', %ld), ('001', %ld), ('003', %ld), ('00Q', %ld), ('006', %ld)",
             n_users + 2, n_acc + 1, size + 1, n_lead + 1, n_opp + 1);
    if (crm_sandbox_exec(db, sql) != 0) { *err = db_error(db, "counters"); goto out; }
    snprintf(sql, sizeof sql, "%lu", seed);
    crm_sandbox_meta_set(db, "seed", sql);
    snprintf(sql, sizeof sql, "%ld", size);
    crm_sandbox_meta_set(db, "seed_size", sql);
    if (crm_sandbox_exec(db, "COMMIT") != 0) { *err = db_error(db, "commit"); goto out; }
    crm_sandbox_exec(db, "ANALYZE");
    printf("seeded %s: %ld users, %ld accounts, %ld contacts, %ld leads, %ld opportunities (seed %lu)\n", db_path, n_users + 1, n_acc, size,
           n_lead, n_opp, seed);
    rcs = CRM_SANDBOX_OK;
out:
    if (rcs != CRM_SANDBOX_OK) crm_sandbox_exec(db, "ROLLBACK");
    sqlite3_finalize(su);
    sqlite3_finalize(sa);
    sqlite3_finalize(sc);
    sqlite3_finalize(sl);
    sqlite3_finalize(so);
    sqlite3_close(db);
    free(accs);
    free(users);
    free(emails);
    return rcs;
}

/* ------------------------------------------------------------------- stats */
static void hash_table(sqlite3 *db, const crm_sandbox_object *o, crm_sha256 *h) {
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT * FROM \"%s\" ORDER BY Id", o->name);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return;
    crm_sha256_update(h, o->name, strlen(o->name) + 1);
    int nc = sqlite3_column_count(st);
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < nc; i++) {
            const unsigned char *v = sqlite3_column_text(st, i);
            if (v) crm_sha256_update(h, v, (size_t)sqlite3_column_bytes(st, i));
            crm_sha256_update(h, v ? "\x1f" : "\x1e", 1);
        }
        crm_sha256_update(h, "\n", 1);
    }
    sqlite3_finalize(st);
}

cJSON *crm_sandbox_stats_json(sqlite3 *db, bool with_hash) {
    cJSON *j = cJSON_CreateObject();
    long max = crm_sandbox_meta_long(db, "api_max", 100000), used = crm_sandbox_usage(db, (long)time(NULL));
    cJSON *u = cJSON_AddObjectToObject(j, "api_usage");
    cJSON_AddNumberToObject(u, "used", (double)used);
    cJSON_AddNumberToObject(u, "max", (double)max);
    cJSON_AddNumberToObject(u, "remaining", (double)(max - used > 0 ? max - used : 0));
    cJSON *kinds = cJSON_CreateObject(), *faults = cJSON_CreateObject();
    long total = 0, tokens = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT kind, n FROM sandbox_counts ORDER BY kind", -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *k = (const char *)sqlite3_column_text(st, 0);
            double n = (double)sqlite3_column_int64(st, 1);
            if (strcmp(k, "api_calls") == 0) total = (long)n;
            else if (strcmp(k, "token_requests") == 0) tokens = (long)n;
            else if (strncmp(k, "api:", 4) == 0) cJSON_AddNumberToObject(kinds, k + 4, n);
            else if (strncmp(k, "fault:", 6) == 0) cJSON_AddNumberToObject(faults, k + 6, n);
        }
        sqlite3_finalize(st);
    }
    cJSON_AddNumberToObject(j, "api_calls_total", (double)total);
    cJSON_AddItemToObject(j, "calls_by_kind", kinds);
    cJSON_AddItemToObject(j, "faults_injected", faults);
    cJSON_AddNumberToObject(j, "token_requests", (double)tokens);
    cJSON *recs = cJSON_AddObjectToObject(j, "records");
    crm_sha256 h;
    crm_sha256_init(&h);
    for (int i = 0; i < crm_sandbox_n_objects; i++) {
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM \"%s\"", crm_sandbox_objects[i].name);
        long n = 0;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW) n = (long)sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
        cJSON_AddNumberToObject(recs, crm_sandbox_objects[i].name, (double)n);
        if (with_hash) hash_table(db, &crm_sandbox_objects[i], &h);
    }
    if (with_hash) {
        uint8_t d[32];
        char hex[65];
        crm_sha256_final(&h, d);
        for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
        cJSON_AddStringToObject(j, "data_sha256", hex);
    }
    return j;
}

crm_sandbox_status crm_sandbox_stats(const char *db_path, char **err) {
    *err = NULL;
    sqlite3 *db = crm_sandbox_db_open(db_path, err);
    if (!db) return CRM_SANDBOX_E_DB;
    cJSON *j = crm_sandbox_stats_json(db, true);
    char *txt = cJSON_Print(j);
    cJSON_Delete(j);
    sqlite3_close(db);
    if (!txt) return CRM_SANDBOX_E_NOMEM;
    puts(txt);
    cJSON_free(txt);
    return CRM_SANDBOX_OK;
}
