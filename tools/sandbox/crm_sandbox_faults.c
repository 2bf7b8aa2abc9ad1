/* crm_sandbox_faults.c: fault rules ("error:rate=0.1,drop:nth=3,slow:ms=500:every=4,seed=7")
 * and the per-call decision. Deterministic: one PRNG draw per rate rule per call, in order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "crm_sandbox_internal.h"

#define MAX_RULES 16

typedef struct rule {
    crm_sandbox_fault_kind kind;
    double rate;
    long nth, every, ms, count, fired;
} rule;

struct crm_sandbox_faults {
    char spec[512];
    unsigned long seed;
    crm_sandbox_rng rng;
    long calls;
    rule rules[MAX_RULES];
    int n;
};

static const struct { const char *name; crm_sandbox_fault_kind kind; } KINDS[] = {
    {"expired", CRM_SB_FAULT_EXPIRED}, {"limit", CRM_SB_FAULT_LIMIT}, {"error", CRM_SB_FAULT_ERROR}, {"500", CRM_SB_FAULT_ERROR},
    {"slow", CRM_SB_FAULT_SLOW},       {"drop", CRM_SB_FAULT_DROP},   {"lock", CRM_SB_FAULT_LOCK},
};

const char *crm_sandbox_fault_name(crm_sandbox_fault_kind k) {
    switch (k) {
    case CRM_SB_FAULT_NONE: return "none";
    case CRM_SB_FAULT_EXPIRED: return "expired";
    case CRM_SB_FAULT_LIMIT: return "limit";
    case CRM_SB_FAULT_ERROR: return "error";
    case CRM_SB_FAULT_SLOW: return "slow";
    case CRM_SB_FAULT_DROP: return "drop";
    case CRM_SB_FAULT_LOCK: return "lock";
    }
    return "none";
}

crm_sandbox_faults *crm_sandbox_faults_new(void) {
    crm_sandbox_faults *f = calloc(1, sizeof *f);
    if (f) f->rng.s = 1;
    return f;
}

void crm_sandbox_faults_free(crm_sandbox_faults *f) { free(f); }

static bool parse_num(const char *s, double *out) {
    char *end = NULL;
    *out = strtod(s, &end);
    return end != s && *end == '\0';
}

int crm_sandbox_faults_set(crm_sandbox_faults *f, const char *spec, char *err, size_t cap) {
    crm_sandbox_faults nf;
    memset(&nf, 0, sizeof nf);
    nf.seed = 1;
    if (!spec) spec = "";
    if (strlen(spec) >= sizeof nf.spec) { snprintf(err, cap, "fault spec too long"); return -1; }
    char buf[512];
    size_t j = 0;
    for (const char *p = spec; *p; p++) if (*p != ' ' && *p != '\t' && *p != '\n') buf[j++] = *p;
    buf[j] = '\0';
    snprintf(nf.spec, sizeof nf.spec, "%s", buf);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",;", &save); item; item = strtok_r(NULL, ",;", &save)) {
        double d;
        if (strncasecmp(item, "seed=", 5) == 0) {
            if (!parse_num(item + 5, &d) || d < 0) { snprintf(err, cap, "bad seed in '%s'", item); return -1; }
            nf.seed = (unsigned long)d;
            continue;
        }
        if (nf.n == MAX_RULES) { snprintf(err, cap, "more than %d fault rules", MAX_RULES); return -1; }
        rule *r = &nf.rules[nf.n];
        memset(r, 0, sizeof *r);
        char *s2 = NULL;
        char *kind = strtok_r(item, ":", &s2);
        for (size_t k = 0; kind && k < sizeof KINDS / sizeof KINDS[0]; k++)
            if (strcasecmp(kind, KINDS[k].name) == 0) r->kind = KINDS[k].kind;
        if (r->kind == CRM_SB_FAULT_NONE) {
            snprintf(err, cap, "unknown fault '%s' (expired, limit, error, slow, drop, lock)", kind ? kind : "");
            return -1;
        }
        r->ms = 1000;
        for (char *opt = strtok_r(NULL, ":", &s2); opt; opt = strtok_r(NULL, ":", &s2)) {
            char *eq = strchr(opt, '=');
            if (!eq || !parse_num(eq + 1, &d) || d < 0) { snprintf(err, cap, "bad option '%s' (rate=R, nth=N, every=N, ms=N, count=N)", opt); return -1; }
            *eq = '\0';
            if (strcasecmp(opt, "rate") == 0 && d <= 1.0) r->rate = d;
            else if (strcasecmp(opt, "nth") == 0 && d >= 1) r->nth = (long)d;
            else if (strcasecmp(opt, "every") == 0 && d >= 1) r->every = (long)d;
            else if (strcasecmp(opt, "ms") == 0) r->ms = (long)d;
            else if (strcasecmp(opt, "count") == 0) r->count = (long)d;
            else { snprintf(err, cap, "bad option '%s=%g'", opt, d); return -1; }
        }
        if (r->rate <= 0 && r->nth == 0 && r->every == 0) {
            snprintf(err, cap, "fault '%s' needs rate=R, nth=N or every=N", crm_sandbox_fault_name(r->kind));
            return -1;
        }
        nf.n++;
    }
    nf.rng.s = nf.seed;
    *f = nf;
    return 0;
}

unsigned crm_sandbox_faults_next(crm_sandbox_faults *f, long *delay_ms) {
    unsigned set = 0;
    *delay_ms = 0;
    f->calls++;
    for (int i = 0; i < f->n; i++) {
        rule *r = &f->rules[i];
        bool fire = false;
        if (r->rate > 0 && crm_sandbox_rng_unit(&f->rng) < r->rate) fire = true;
        if (r->nth && f->calls == r->nth) fire = true;
        if (r->every && f->calls % r->every == 0) fire = true;
        if (fire && r->count && r->fired >= r->count) fire = false;
        if (!fire) continue;
        r->fired++;
        set |= 1u << r->kind;
        if (r->kind == CRM_SB_FAULT_SLOW && r->ms > *delay_ms) *delay_ms = r->ms;
    }
    return set;
}

cJSON *crm_sandbox_faults_json(const crm_sandbox_faults *f) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "spec", f->spec);
    cJSON_AddNumberToObject(o, "seed", (double)f->seed);
    cJSON_AddNumberToObject(o, "calls", (double)f->calls);
    cJSON *rules = cJSON_AddArrayToObject(o, "rules");
    for (int i = 0; i < f->n; i++) {
        const rule *r = &f->rules[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "kind", crm_sandbox_fault_name(r->kind));
        if (r->rate > 0) cJSON_AddNumberToObject(j, "rate", r->rate);
        if (r->nth) cJSON_AddNumberToObject(j, "nth", (double)r->nth);
        if (r->every) cJSON_AddNumberToObject(j, "every", (double)r->every);
        if (r->kind == CRM_SB_FAULT_SLOW) cJSON_AddNumberToObject(j, "ms", (double)r->ms);
        if (r->count) cJSON_AddNumberToObject(j, "count", (double)r->count);
        cJSON_AddNumberToObject(j, "fired", (double)r->fired);
        cJSON_AddItemToArray(rules, j);
    }
    return o;
}
