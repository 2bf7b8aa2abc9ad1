/* tests/fuzz/limits_test.c: the input limits of core-api.md at their exact boundaries, and
 * the memory the core takes for the largest inputs it accepts.
 *
 *   - a request of 16 MiB + 1 byte is E_TOO_LARGE; one of exactly 16 MiB is parsed;
 *   - a string of 4 MiB + 1 byte is E_TOO_LARGE; one of exactly 4 MiB is parsed (it gets
 *     the answer of its op, not E_TOO_LARGE);
 *   - nesting 64 deep is parsed, 65 deep is E_JSON, for arrays and objects; a million
 *     unclosed brackets are E_JSON (no recursion, no crash);
 *   - peak memory (getrusage ru_maxrss, measured in a child process per case, after the
 *     input is built) grows by at most a fixed multiple of the input size: 20x for strings
 *     and rejected inputs, 48x for the worst case of cJSON's tree (a 16 MiB array of
 *     one-digit numbers: one 64-byte node + allocator overhead per 2 input bytes).
 * The memory bound is a correctness bound, not a timing; it is skipped under ASan (its
 * shadow memory and quarantine inflate RSS) but every case still runs there.
 * Closing line: "N passed, N failed". */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "crm/crm.h"

#if defined(__SANITIZE_ADDRESS__)
#define LIMITS_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LIMITS_UNDER_ASAN 1
#endif
#endif
#ifndef LIMITS_UNDER_ASAN
#define LIMITS_UNDER_ASAN 0
#endif

#define MIB ((size_t)1024 * 1024)

typedef struct {
    char *buf;
    size_t n, cap;
} text;

static void put(text *t, const char *s, size_t n) {
    if (t->n + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap < t->n + n + 1) cap *= 2;
        char *nb = realloc(t->buf, cap);
        if (nb == NULL) { fprintf(stderr, "out of memory building the input\n"); _exit(3); }
        t->buf = nb;
        t->cap = cap;
    }
    memcpy(t->buf + t->n, s, n);
    t->n += n;
    t->buf[t->n] = '\0';
}
static void puts_(text *t, const char *s) { put(t, s, strlen(s)); }
static void repeat(text *t, char c, size_t n) {
    if (t->n + n + 1 > t->cap) {
        size_t cap = t->n + n + 1;
        char *nb = realloc(t->buf, cap);
        if (nb == NULL) { fprintf(stderr, "out of memory building the input\n"); _exit(3); }
        t->buf = nb;
        t->cap = cap;
    }
    memset(t->buf + t->n, c, n);
    t->n += n;
    t->buf[t->n] = '\0';
}

/* ---- the inputs ---- */
enum shape {
    REQUEST_OVER,      /* {"op":"version"} + spaces: 16 MiB + 1 */
    REQUEST_EXACT,     /* the same, exactly 16 MiB */
    STRING_OVER,       /* normalize_address with an input of 4 MiB + 1 */
    STRING_EXACT,      /* ... of exactly 4 MiB */
    STRING_EXACT_LIST, /* parse_blocklist with a text of exactly 4 MiB (one long token) */
    NEST_ARRAY_64,
    NEST_ARRAY_65,
    NEST_OBJECT_64,    /* {"op":"version","context":{"a":{...}}}: the root counts as 1 */
    NEST_OBJECT_65,
    NEST_MILLION,      /* 1,000,000 '[' and nothing else */
    TINY_NUMBERS,      /* {"op":"version","context":{"view_ids":[1,1,...]}} of 16 MiB */
    TINY_STRINGS,      /* ... ["a","a",...] */
};

static void nest_object(text *t, int depth) {
    puts_(t, "{\"op\":\"version\",\"context\":");
    for (int i = 1; i < depth; i++) puts_(t, "{\"a\":");
    puts_(t, "1");
    for (int i = 1; i < depth; i++) puts_(t, "}");
    puts_(t, "}");
}

static void build(text *t, enum shape s) {
    switch (s) {
    case REQUEST_OVER:
    case REQUEST_EXACT:
        puts_(t, "{\"op\":\"version\"}");
        repeat(t, ' ', CRM_MAX_REQUEST_BYTES - t->n + (s == REQUEST_OVER ? 1 : 0));
        break;
    case STRING_OVER:
    case STRING_EXACT:
        puts_(t, "{\"op\":\"normalize_address\",\"input\":\"");
        repeat(t, 'a', CRM_MAX_STRING_BYTES + (s == STRING_OVER ? 1 : 0));
        puts_(t, "\"}");
        break;
    case STRING_EXACT_LIST:
        puts_(t, "{\"op\":\"parse_blocklist\",\"text\":\"");
        repeat(t, 'a', CRM_MAX_STRING_BYTES - 4);
        puts_(t, ".com\"}");
        break;
    case NEST_ARRAY_64:
    case NEST_ARRAY_65: {
        int d = s == NEST_ARRAY_64 ? CRM_MAX_DEPTH : CRM_MAX_DEPTH + 1;
        repeat(t, '[', (size_t)d);
        repeat(t, ']', (size_t)d);
        break;
    }
    case NEST_OBJECT_64: nest_object(t, CRM_MAX_DEPTH); break;
    case NEST_OBJECT_65: nest_object(t, CRM_MAX_DEPTH + 1); break;
    case NEST_MILLION: repeat(t, '[', 1000000); break;
    case TINY_NUMBERS:
    case TINY_STRINGS: {
        const char *item = s == TINY_NUMBERS ? "1," : "\"a\",";
        size_t il = strlen(item);
        puts_(t, "{\"op\":\"version\",\"context\":{\"view_ids\":[");
        while (t->n + il + 8 < CRM_MAX_REQUEST_BYTES) put(t, item, il);
        t->n--; /* the last comma */
        puts_(t, "]}}");
        break;
    }
    }
}

/* ---- a case, run in a child ---- */
typedef struct {
    const char *name;
    enum shape shape;
    const char *want;      /* the error code wanted; "ok" for ok:true; NULL: anything but */
    const char *not_code;  /* with want NULL: the codes it must not be (comma separated) */
    double max_ratio;      /* bound of peak RSS growth / input size; 0: not checked (tiny input) */
} limit_case;

typedef struct {
    int done;              /* 1 when the child got that far */
    size_t input_bytes;
    long rss_growth_kb;
    char code[32];         /* "ok" or the error code */
    char problem[256];
} outcome;

static long peak_kb(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

static void child(const limit_case *c, int fd) {
    outcome o;
    memset(&o, 0, sizeof o);
    text t = {NULL, 0, 0};
    build(&t, c->shape);
    o.input_bytes = t.n;
    long before = peak_kb();
    char *resp = crm_eval(t.buf, t.n);
    long after = peak_kb();
    o.rss_growth_kb = after - before;
    if (resp == NULL) {
        snprintf(o.problem, sizeof o.problem, "crm_eval returned NULL");
    } else {
        cJSON *j = cJSON_Parse(resp);
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "error"), "code");
        if (j == NULL || !cJSON_IsBool(ok)) snprintf(o.problem, sizeof o.problem, "not an envelope: %.200s", resp);
        else if (cJSON_IsTrue(ok)) snprintf(o.code, sizeof o.code, "ok");
        else if (cJSON_IsString(code)) snprintf(o.code, sizeof o.code, "%s", code->valuestring);
        else snprintf(o.problem, sizeof o.problem, "ok:false without a code: %.200s", resp);
        cJSON_Delete(j);
        crm_free(resp);
    }
    free(t.buf);
    o.done = 1;
    ssize_t w = write(fd, &o, sizeof o);
    _exit(w == (ssize_t)sizeof o ? 0 : 3);
}

static bool run(const limit_case *c) {
    int fd[2];
    if (pipe(fd) != 0) { perror("pipe"); return false; }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return false; }
    if (pid == 0) { close(fd[0]); child(c, fd[1]); }
    close(fd[1]);
    outcome o;
    memset(&o, 0, sizeof o);
    size_t got = 0;
    while (got < sizeof o) {
        ssize_t r = read(fd[0], (char *)&o + got, sizeof o - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    bool pass = true;
    char why[512] = "";
    if (got != sizeof o || !o.done) {
        pass = false;
        if (WIFSIGNALED(status)) snprintf(why, sizeof why, "the child died of signal %d", WTERMSIG(status));
        else snprintf(why, sizeof why, "the child exited %d without a result", WEXITSTATUS(status));
    } else if (o.problem[0]) {
        pass = false;
        snprintf(why, sizeof why, "%s", o.problem);
    } else if (c->want && strcmp(o.code, c->want) != 0) {
        pass = false;
        snprintf(why, sizeof why, "answered %s, want %s", o.code, c->want);
    } else if (!c->want) {
        char list[128];
        snprintf(list, sizeof list, ",%s,", c->not_code);
        char me[40];
        snprintf(me, sizeof me, ",%s,", o.code);
        if (strstr(list, me)) {
            pass = false;
            snprintf(why, sizeof why, "answered %s, which it must not", o.code);
        }
    }
    double ratio = o.input_bytes ? (double)o.rss_growth_kb * 1024.0 / (double)o.input_bytes : 0.0;
    if (pass && !LIMITS_UNDER_ASAN && c->max_ratio > 0 && ratio > c->max_ratio) {
        pass = false;
        snprintf(why, sizeof why, "peak memory grew by %.1fx the input (bound %.0fx)", ratio, c->max_ratio);
    }
    char mem[96];
    if (c->max_ratio > 0)
        snprintf(mem, sizeof mem, "%.1fx the input, bound %.0fx%s", ratio, c->max_ratio, LIMITS_UNDER_ASAN ? ", not checked under ASan" : "");
    else
        snprintf(mem, sizeof mem, "tiny input, not checked");
    printf("%s %s: %zu bytes -> %s; peak RSS +%.1f MiB (%s)%s%s\n", pass ? "ok  " : "FAIL", c->name, o.input_bytes,
           o.code[0] ? o.code : "?", (double)o.rss_growth_kb / 1024.0, mem, why[0] ? ": " : "", why);
    return pass;
}

int main(void) {
    static const limit_case cases[] = {
        {"request of 16 MiB + 1 byte", REQUEST_OVER, "E_TOO_LARGE", NULL, 2},
        {"request of exactly 16 MiB", REQUEST_EXACT, "ok", NULL, 2},
        {"string of 4 MiB + 1 byte", STRING_OVER, "E_TOO_LARGE", NULL, 20},
        {"string of exactly 4 MiB (normalize_address)", STRING_EXACT, NULL, "E_TOO_LARGE,E_JSON,E_NOMEM", 20},
        {"string of exactly 4 MiB (parse_blocklist)", STRING_EXACT_LIST, NULL, "E_TOO_LARGE,E_JSON,E_NOMEM", 20},
        {"arrays nested 64 deep (parsed, then not an object)", NEST_ARRAY_64, "E_TYPE", NULL, 0},
        {"arrays nested 65 deep", NEST_ARRAY_65, "E_JSON", NULL, 0},
        {"objects nested 64 deep (parsed)", NEST_OBJECT_64, NULL, "E_JSON,E_TOO_LARGE,E_NOMEM", 0},
        {"objects nested 65 deep", NEST_OBJECT_65, "E_JSON", NULL, 0},
        {"a million unclosed brackets", NEST_MILLION, "E_JSON", NULL, 20},
        {"16 MiB of one-digit numbers", TINY_NUMBERS, NULL, "E_TOO_LARGE,E_JSON,E_NOMEM", 48},
        {"16 MiB of one-letter strings", TINY_STRINGS, NULL, "E_TOO_LARGE,E_JSON,E_NOMEM", 48},
    };
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (run(&cases[i])) passed++;
        else failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
