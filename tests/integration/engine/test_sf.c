/* Integration test of the Salesforce connector (native/sf) against the sandbox org: a
 * real HTTP server on loopback (started by run-sf-test) speaking the REST subset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "sf/crm_sf.h"

static int passed, failed;
#define CHECK(c) do { if (c) passed++; else { failed++; fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); } } while (0)

static const char *base;

/* Switches the sandbox's faults (PUT /sandbox/faults). */
static void faults(const char *spec) {
    CURL *c = curl_easy_init();
    char url[256];
    snprintf(url, sizeof url, "%s/sandbox/faults", base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, spec);
    FILE *devnull = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status >= 300) fprintf(stderr, "faults '%s': rc %d status %ld\n", spec, rc, status);
    fclose(devnull);
    curl_easy_cleanup(c);
}

static long count_tasks(crm_sf *sf, const char *like) {
    char q[256];
    snprintf(q, sizeof q, "SELECT COUNT() FROM Task WHERE CrmSync_Key__c LIKE '%s%%'", like);
    cJSON *rows = NULL;
    if (crm_sf_query(sf, q, &rows) != CRM_SF_OK) return -1;
    /* COUNT() answers totalSize with no rows; the connector returns the rows: count them
     * through a plain query instead when none come back */
    cJSON_Delete(rows);
    snprintf(q, sizeof q, "SELECT Id FROM Task WHERE CrmSync_Key__c LIKE '%s%%'", like);
    if (crm_sf_query(sf, q, &rows) != CRM_SF_OK) return -1;
    long n = cJSON_GetArraySize(rows);
    cJSON_Delete(rows);
    return n;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: test_sf BASE_URL\n"); return 2; }
    base = argv[1];
    curl_global_init(CURL_GLOBAL_DEFAULT);
    crm_sf_config cfg = {base, "crmsync-sandbox", "", "sandbox-refresh-token", NULL, NULL, "CrmSync_Alt_Email__c", 5000, 4, 20, 0, 7};
    crm_sf *sf = NULL;
    char *err = NULL;

    /* a refused refresh token: a clear error, never the token */
    crm_sf_config bad = cfg;
    bad.refresh_token = "wrong-secret-token-value";
    CHECK(crm_sf_open(&bad, &sf, &err) == CRM_SF_E_AUTH);
    CHECK(sf == NULL && err != NULL && strstr(err, "wrong-secret") == NULL);
    free(err);
    err = NULL;

    CHECK(crm_sf_open(&cfg, &sf, &err) == CRM_SF_OK);
    if (sf == NULL) { fprintf(stderr, "open: %s\n", err ? err : "?"); return 1; }
    CHECK(atof(crm_sf_api_version(sf)) >= 46.0);

    /* lookups: three Contacts of the seeded org, found by email, with their Accounts */
    cJSON *rows = NULL;
    CHECK(crm_sf_query(sf, "SELECT Id, Email, AccountId, OwnerId FROM Contact WHERE AccountId != null ORDER BY Id LIMIT 3", &rows) == CRM_SF_OK);
    const char *emails[4];
    int n = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, rows) emails[n++] = cJSON_GetObjectItemCaseSensitive(r, "Email")->valuestring;
    emails[n++] = "nobody@unknown-domain.example";
    cJSON *records = NULL;
    CHECK(crm_sf_lookup(sf, emails, (size_t)n, NULL, 0, NULL, &records) == CRM_SF_OK);
    cJSON *contacts = cJSON_GetObjectItemCaseSensitive(records, "contacts");
    CHECK(cJSON_GetArraySize(contacts) >= 3);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(records, "accounts")) >= 1);
    const cJSON *c0 = cJSON_GetArrayItem(contacts, 0);
    const char *created = cJSON_GetObjectItemCaseSensitive(c0, "created")->valuestring;
    CHECK(strlen(created) >= 20 && (created[strlen(created) - 3] == ':' || created[strlen(created) - 1] == 'Z')); /* RFC 3339 offset */
    cJSON_Delete(records);
    cJSON_Delete(rows);

    /* a big IN list is split into several queries (URL under 8 KB) */
    const char **many = calloc(700, sizeof *many);
    char (*buf)[40] = calloc(700, 40);
    for (int i = 0; i < 700; i++) { snprintf(buf[i], 40, "person%04d@nowhere-%d.example", i, i); many[i] = buf[i]; }
    long calls = crm_sf_calls(sf);
    CHECK(crm_sf_lookup(sf, many, 700, NULL, 0, NULL, &records) == CRM_SF_OK);
    CHECK(crm_sf_calls(sf) - calls >= 4); /* contacts and leads, at least 2 batches each */
    cJSON_Delete(records);
    free(many);
    free(buf);

    /* upserts keyed by CrmSync_Key__c: 250 records in 2 collection calls, then again */
    cJSON *tasks = cJSON_CreateArray();
    for (int i = 0; i < 250; i++) {
        cJSON *t = cJSON_CreateObject();
        char key[64], subj[64];
        snprintf(key, sizeof key, "sftest-%03d:0", i);
        snprintf(subj, sizeof subj, "Test %d", i);
        cJSON_AddStringToObject(t, "Subject", subj);
        cJSON_AddStringToObject(t, "Status", "Completed");
        cJSON_AddStringToObject(t, "CrmSync_Key__c", key);
        cJSON_AddItemToArray(tasks, t);
    }
    calls = crm_sf_calls(sf);
    cJSON *res = NULL;
    CHECK(crm_sf_upsert(sf, "Task", "CrmSync_Key__c", tasks, &res) == CRM_SF_OK);
    CHECK(crm_sf_calls(sf) - calls == 2);
    CHECK(cJSON_GetArraySize(res) == 250);
    int ok = 0, created_n = 0;
    cJSON_ArrayForEach(r, res) {
        ok += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "success"));
        created_n += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "created"));
    }
    CHECK(ok == 250 && created_n == 250);
    cJSON_Delete(res);
    CHECK(count_tasks(sf, "sftest-") == 250);

    /* faults: every retried write is an upsert, so nothing is duplicated */
    faults("error:nth=1");
    CHECK(crm_sf_upsert(sf, "Task", "CrmSync_Key__c", tasks, &res) == CRM_SF_OK);
    created_n = 0;
    cJSON_ArrayForEach(r, res) created_n += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "created"));
    CHECK(created_n == 0);
    cJSON_Delete(res);
    faults("drop:nth=1");
    CHECK(crm_sf_upsert(sf, "Task", "CrmSync_Key__c", tasks, &res) == CRM_SF_OK);
    cJSON_Delete(res);
    faults("expired:nth=1");
    CHECK(crm_sf_upsert(sf, "Task", "CrmSync_Key__c", tasks, &res) == CRM_SF_OK);
    cJSON_Delete(res);
    faults("slow:ms=300:nth=1");
    CHECK(crm_sf_query(sf, "SELECT Id FROM Account LIMIT 1", &rows) == CRM_SF_OK);
    cJSON_Delete(rows);
    CHECK(count_tasks(sf, "sftest-") == 250);
    faults("error:rate=1");
    CHECK(crm_sf_query(sf, "SELECT Id FROM Account LIMIT 1", &rows) == CRM_SF_E_SERVER);
    CHECK(strstr(crm_sf_errmsg(sf), "after retries") != NULL);
    faults("limit:nth=1");
    CHECK(crm_sf_query(sf, "SELECT Id FROM Account LIMIT 1", &rows) == CRM_SF_E_LIMIT);
    faults("");

    /* the budget from Sforce-Limit-Info */
    long used = 0, max = 0;
    crm_sf_usage(sf, &used, &max);
    CHECK(used > 0 && max > used);

    /* field lengths from describe */
    cJSON *limits = cJSON_CreateObject();
    CHECK(crm_sf_field_limits(sf, "Task", limits) == CRM_SF_OK);
    const cJSON *subj = cJSON_GetObjectItemCaseSensitive(limits, "Task.Subject");
    CHECK(cJSON_IsNumber(subj) && subj->valuedouble == 255);
    cJSON_Delete(limits);
    /* described once: the second call answers from the handle's cache, no API call */
    limits = cJSON_CreateObject();
    calls = crm_sf_calls(sf);
    CHECK(crm_sf_field_limits(sf, "Task", limits) == CRM_SF_OK && crm_sf_calls(sf) == calls);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(limits, "Task.Subject")));
    cJSON_Delete(limits);

    /* a record-level failure is reported per record, not as a call failure */
    cJSON *badrec = cJSON_CreateArray();
    cJSON *t = cJSON_CreateObject();
    char longsubj[300];
    memset(longsubj, 'x', 299);
    longsubj[299] = '\0';
    cJSON_AddStringToObject(t, "Subject", longsubj);
    cJSON_AddStringToObject(t, "CrmSync_Key__c", "sftest-long:0");
    cJSON_AddItemToArray(badrec, t);
    CHECK(crm_sf_upsert(sf, "Task", "CrmSync_Key__c", badrec, &res) == CRM_SF_OK);
    CHECK(!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res, 0), "success")));
    cJSON_Delete(res);
    cJSON_Delete(badrec);

    cJSON_Delete(tasks);
    crm_sf_close(sf);
    curl_global_cleanup();
    printf("test_sf: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
