/* tests/vectors/runner.c: runs every case of the tests/vectors JSON files through crm_eval (and,
 * for a sample or all of them, through the real `crmsync eval` CLI), and prints the
 * failures and the closing line "N passed, N failed". The format is in
 * tests/vectors/README.md; the workflow in docs/testing.md.
 *
 *   runner [--cli PATH] [--cli-every N] [--filter TEXT] [-v] DIR|FILE...
 *
 * Per case it checks:
 *   1. the case is well formed (name, rules, request|request_text, expect; names unique);
 *   2. crm_eval answers (never NULL), with valid JSON whose envelope has the keys of
 *      core-api.md in their order (ok, result, trace | ok, error{code, message[, path]});
 *   3. `expect` matches the response (subset match; "trace" is a subsequence of rule ids);
 *   4. the exit code the CLI must give (0 ok:true, 1 ok:false, 2 E_JSON) equals "exit"
 *      when the case gives one;
 *   5. the same request through one long-lived context (crm_ctx_eval, as the engine uses
 *      it) gives byte-identical output: no state leaks from one request to the next;
 *   6. with --cli, for every Nth case: `crmsync eval FILE` prints crm_eval's output plus a
 *      newline and exits with the code of 4.
 * Each case counts once: passed when every check passed. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "crm/crm.h"

typedef struct {
    const char *cli;      /* path of crmsync, or NULL */
    long cli_every;       /* check every Nth case through the CLI */
    const char *filter;   /* only cases whose name contains this */
    bool verbose;
    char tmp_path[64];    /* the request file handed to the CLI */
} options;

typedef struct {
    int passed, failed, cli_checked, files, skipped;
    crm_ctx *ctx;         /* the long-lived context of check 5 */
    char **names;         /* every case name seen, for the uniqueness check */
    size_t names_n, names_cap;
    long case_no;         /* cases run so far (for the CLI sample) */
} state;

/* ---- failure messages: collected per case, printed once ---- */
typedef struct {
    char buf[8192];
    size_t n;
    bool failed;
} report;

static void failf(report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failf(report *r, const char *fmt, ...) {
    r->failed = true;
    if (r->n >= sizeof r->buf - 1) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(r->buf + r->n, sizeof r->buf - r->n, fmt, ap);
    va_end(ap);
    if (k > 0) r->n += (size_t)k;
    if (r->n > sizeof r->buf - 1) r->n = sizeof r->buf - 1;
}

/* A compact rendering of `v`, cut at `max` bytes. Caller frees. */
static char *render(const cJSON *v, size_t max) {
    char *s = v ? cJSON_PrintUnformatted(v) : NULL;
    if (s == NULL) {
        s = malloc(8);
        if (s) strcpy(s, v ? "(?)" : "(absent)");
        return s;
    }
    if (strlen(s) > max) strcpy(s + max - 4, " ...");
    return s;
}

/* ---- files ---- */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        char *nb = realloc(buf, cap * 2 + 1);
        if (nb == NULL) { free(buf); buf = NULL; break; }
        buf = nb;
        cap *= 2;
    }
    bool err = ferror(f) != 0;
    fclose(f);
    if (buf == NULL || err) { free(buf); return NULL; }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- matching ---- */

/* Appends `.key` or `[i]` to a JSON path kept in `path` (a fixed buffer). */
static size_t path_push_key(char *path, size_t cap, const char *key) {
    size_t n = strlen(path);
    snprintf(path + n, cap - n, ".%s", key);
    return n;
}
static size_t path_push_index(char *path, size_t cap, int i) {
    size_t n = strlen(path);
    snprintf(path + n, cap - n, "[%d]", i);
    return n;
}

static bool scalar_equal(const cJSON *e, const cJSON *g) {
    if (cJSON_IsString(e)) return cJSON_IsString(g) && strcmp(e->valuestring, g->valuestring) == 0;
    if (cJSON_IsNumber(e)) return cJSON_IsNumber(g) && e->valuedouble == g->valuedouble;
    if (cJSON_IsBool(e)) return cJSON_IsBool(g) && cJSON_IsTrue(e) == cJSON_IsTrue(g);
    if (cJSON_IsNull(e)) return cJSON_IsNull(g);
    return false;
}

static void mismatch(report *r, const char *path, const char *what, const cJSON *e, const cJSON *g) {
    char *es = render(e, 600), *gs = render(g, 600);
    failf(r, "  at %s: %s\n    expected: %s\n    got:      %s\n", path, what, es ? es : "?", gs ? gs : "?");
    free(es);
    free(gs);
}

/* Subset match of README.md: objects by their expected keys, arrays element by element
 * with equal lengths, scalars by equality. */
static void match(report *r, const cJSON *e, const cJSON *g, char *path, size_t cap) {
    if (cJSON_IsObject(e)) {
        if (!cJSON_IsObject(g)) { mismatch(r, path, "an object was expected", e, g); return; }
        for (const cJSON *c = e->child; c; c = c->next) {
            size_t keep = path_push_key(path, cap, c->string);
            const cJSON *gc = cJSON_GetObjectItemCaseSensitive(g, c->string);
            if (gc == NULL) mismatch(r, path, "key missing in the response", c, NULL);
            else match(r, c, gc, path, cap);
            path[keep] = '\0';
        }
        return;
    }
    if (cJSON_IsArray(e)) {
        if (!cJSON_IsArray(g)) { mismatch(r, path, "an array was expected", e, g); return; }
        int ne = cJSON_GetArraySize(e), ng = cJSON_GetArraySize(g);
        if (ne != ng) {
            char what[80];
            snprintf(what, sizeof what, "array length %d expected, got %d", ne, ng);
            mismatch(r, path, what, e, g);
            return;
        }
        int i = 0;
        for (const cJSON *c = e->child, *d = g->child; c && d; c = c->next, d = d->next, i++) {
            size_t keep = path_push_index(path, cap, i);
            match(r, c, d, path, cap);
            path[keep] = '\0';
        }
        return;
    }
    if (!scalar_equal(e, g)) mismatch(r, path, "value differs", e, g);
}

/* "trace": the expected rule ids must appear, in order, among the response's trace rules. */
static void match_trace(report *r, const cJSON *want, const cJSON *resp) {
    const cJSON *trace = cJSON_GetObjectItemCaseSensitive(resp, "trace");
    if (!cJSON_IsArray(want)) { failf(r, "  expect.trace must be an array of rule ids\n"); return; }
    if (!cJSON_IsArray(trace)) { mismatch(r, "$.trace", "the response has no trace", want, trace); return; }
    const cJSON *t = trace->child;
    for (const cJSON *w = want->child; w; w = w->next) {
        if (!cJSON_IsString(w)) { failf(r, "  expect.trace entries must be strings\n"); return; }
        while (t) {
            const cJSON *rule = cJSON_GetObjectItemCaseSensitive(t, "rule");
            t = t->next;
            if (cJSON_IsString(rule) && strcmp(rule->valuestring, w->valuestring) == 0) goto found;
        }
        {
            char what[160];
            snprintf(what, sizeof what, "trace rule %s missing (or out of order)", w->valuestring);
            cJSON *rules = cJSON_CreateArray();
            for (const cJSON *x = trace->child; x && rules; x = x->next) {
                const cJSON *rule = cJSON_GetObjectItemCaseSensitive(x, "rule");
                cJSON_AddItemToArray(rules, cJSON_CreateString(cJSON_IsString(rule) ? rule->valuestring : "?"));
            }
            mismatch(r, "$.trace", what, want, rules);
            cJSON_Delete(rules);
            return;
        }
    found:;
    }
}

/* The envelope of core-api.md: key names and order. */
static void check_envelope(report *r, const cJSON *resp) {
    static const char *const ok_keys[] = {"ok", "result", "trace", NULL};
    static const char *const err_keys[] = {"ok", "error", NULL};
    if (!cJSON_IsObject(resp)) { failf(r, "  the response is not a JSON object\n"); return; }
    const cJSON *ok = resp->child;
    if (ok == NULL || strcmp(ok->string, "ok") != 0 || !cJSON_IsBool(ok)) {
        failf(r, "  the response does not start with a boolean \"ok\"\n");
        return;
    }
    const char *const *keys = cJSON_IsTrue(ok) ? ok_keys : err_keys;
    const cJSON *c = resp->child;
    for (size_t i = 0; keys[i] || c; i++, c = c ? c->next : NULL) {
        if (keys[i] == NULL || c == NULL || strcmp(keys[i], c->string) != 0) {
            failf(r, "  envelope keys differ from core-api.md at position %zu (want \"%s\", got \"%s\")\n", i,
                  keys[i] ? keys[i] : "(end)", c ? c->string : "(end)");
            return;
        }
    }
    if (cJSON_IsTrue(ok)) {
        const cJSON *trace = cJSON_GetObjectItemCaseSensitive(resp, "trace");
        if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(resp, "result")) || !cJSON_IsArray(trace)) {
            failf(r, "  result must be an object and trace an array\n");
            return;
        }
        for (const cJSON *t = trace->child; t; t = t->next) {
            const cJSON *rule = t->child, *note = rule ? rule->next : NULL;
            if (!rule || strcmp(rule->string, "rule") != 0 || !cJSON_IsString(rule) || !note ||
                strcmp(note->string, "note") != 0 || !cJSON_IsString(note) || note->next) {
                failf(r, "  a trace entry is not {\"rule\": string, \"note\": string}\n");
                return;
            }
        }
    } else {
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(resp, "error");
        const cJSON *code = err ? err->child : NULL, *msg = code ? code->next : NULL;
        const cJSON *path = msg ? msg->next : NULL;
        if (!cJSON_IsObject(err) || !code || strcmp(code->string, "code") != 0 || !cJSON_IsString(code) ||
            strncmp(code->valuestring, "E_", 2) != 0 || !msg || strcmp(msg->string, "message") != 0 ||
            !cJSON_IsString(msg) || msg->valuestring[0] == '\0' ||
            (path && (strcmp(path->string, "path") != 0 || !cJSON_IsString(path) || path->next))) {
            failf(r, "  error must be {\"code\": \"E_...\", \"message\": non-empty[, \"path\"]}\n");
        }
    }
}

/* 0 ok:true, 1 ok:false, 2 E_JSON (core-api.md, the CLI). -1 when not an envelope. */
static int exit_code_of(const cJSON *resp) {
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(resp, "ok");
    if (!cJSON_IsBool(ok)) return -1;
    if (cJSON_IsTrue(ok)) return 0;
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "error"), "code");
    return cJSON_IsString(code) && strcmp(code->valuestring, "E_JSON") == 0 ? 2 : 1;
}

/* ---- the CLI ---- */

/* Runs `cli eval tmp_path` with the request in tmp_path; returns its exit code (or -1) and
 * its standard output in *out (caller frees). */
static int run_cli(const options *o, const char *req, size_t len, char **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    FILE *f = fopen(o->tmp_path, "wb");
    if (f == NULL) return -1;
    bool w = fwrite(req, 1, len, f) == len;
    if (fclose(f) != 0 || !w) return -1;
    int fd[2];
    if (pipe(fd) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) { close(fd[0]); close(fd[1]); return -1; }
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        char *const argv[] = {(char *)(uintptr_t)o->cli, (char *)(uintptr_t)"eval", (char *)(uintptr_t)o->tmp_path, NULL};
        execv(o->cli, argv);
        _exit(127);
    }
    close(fd[1]);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (buf && n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) { free(buf); buf = NULL; }
            else { buf = nb; cap *= 2; }
        }
        if (buf == NULL) { char sink[4096]; if (read(fd[0], sink, sizeof sink) <= 0) break; continue; }
        ssize_t got = read(fd[0], buf + n, cap - n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        n += (size_t)got;
    }
    close(fd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    *out = buf;
    *out_len = n;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- one case ---- */
static bool name_seen(state *st, const char *name) {
    for (size_t i = 0; i < st->names_n; i++)
        if (strcmp(st->names[i], name) == 0) return true;
    if (st->names_n == st->names_cap) {
        size_t cap = st->names_cap ? st->names_cap * 2 : 256;
        char **nn = realloc(st->names, cap * sizeof *nn);
        if (nn == NULL) return false;
        st->names = nn;
        st->names_cap = cap;
    }
    size_t len = strlen(name) + 1;
    char *copy = malloc(len);
    if (copy) memcpy(copy, name, len), st->names[st->names_n++] = copy;
    return false;
}

static void run_case(const options *o, state *st, const char *file, int index, const cJSON *c) {
    report r = {.n = 0, .failed = false};
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
    const char *nm = cJSON_IsString(name) ? name->valuestring : "(no name)";
    if (o->filter && strstr(nm, o->filter) == NULL) { st->skipped++; return; }
    st->case_no++;

    /* 1. the case itself */
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(c, "rules");
    const cJSON *request = cJSON_GetObjectItemCaseSensitive(c, "request");
    const cJSON *request_text = cJSON_GetObjectItemCaseSensitive(c, "request_text");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(c, "expect");
    const cJSON *exit_v = cJSON_GetObjectItemCaseSensitive(c, "exit");
    if (!cJSON_IsObject(c)) failf(&r, "  a case must be an object\n");
    if (!cJSON_IsString(name) || name->valuestring[0] == '\0') failf(&r, "  \"name\" must be a non-empty string\n");
    else if (name_seen(st, nm)) failf(&r, "  the name is used by another case (names must be unique)\n");
    bool rules_ok = cJSON_IsArray(rules) && cJSON_GetArraySize(rules) > 0;
    for (const cJSON *x = rules_ok ? rules->child : NULL; x; x = x->next)
        if (!cJSON_IsString(x) || x->valuestring[0] == '\0') rules_ok = false;
    if (!rules_ok) failf(&r, "  \"rules\" must be a non-empty array of rule ids (\"API\" for boundary cases)\n");
    if ((request != NULL) == (request_text != NULL)) failf(&r, "  exactly one of \"request\" and \"request_text\" is needed\n");
    if (request_text && !cJSON_IsString(request_text)) failf(&r, "  \"request_text\" must be a string\n");
    if (request && !cJSON_IsObject(request)) failf(&r, "  \"request\" must be an object (use request_text for other text)\n");
    if (expect == NULL) failf(&r, "  \"expect\" is missing\n");
    if (exit_v && !(cJSON_IsNumber(exit_v) && (exit_v->valueint == 0 || exit_v->valueint == 1 || exit_v->valueint == 2)))
        failf(&r, "  \"exit\" must be 0, 1 or 2\n");
    for (const cJSON *k = cJSON_IsObject(c) ? c->child : NULL; k; k = k->next)
        if (strcmp(k->string, "name") && strcmp(k->string, "rules") && strcmp(k->string, "request") &&
            strcmp(k->string, "request_text") && strcmp(k->string, "expect") && strcmp(k->string, "exit") &&
            strcmp(k->string, "note"))
            failf(&r, "  unknown key \"%s\" in the case\n", k->string);

    char *req = NULL, *resp = NULL, *resp2 = NULL;
    cJSON *parsed = NULL;
    if (r.failed) goto done;

    /* 2. crm_eval */
    size_t req_len;
    if (request) {
        req = cJSON_PrintUnformatted(request);
        if (req == NULL) { failf(&r, "  cannot serialise the request\n"); goto done; }
        req_len = strlen(req);
    } else {
        req_len = strlen(request_text->valuestring);
        req = malloc(req_len + 1);
        if (req == NULL) { failf(&r, "  out of memory\n"); goto done; }
        memcpy(req, request_text->valuestring, req_len + 1);
    }
    resp = crm_eval(req, req_len);
    if (resp == NULL) { failf(&r, "  crm_eval returned NULL\n"); goto done; }
    parsed = cJSON_Parse(resp);
    if (parsed == NULL) { failf(&r, "  the response is not valid JSON: %.400s\n", resp); goto done; }
    check_envelope(&r, parsed);

    /* 3. expect */
    if (cJSON_IsObject(expect)) {
        char path[512] = "$";
        for (const cJSON *k = expect->child; k; k = k->next) {
            if (strcmp(k->string, "trace") == 0) { match_trace(&r, k, parsed); continue; }
            size_t keep = path_push_key(path, sizeof path, k->string);
            const cJSON *g = cJSON_GetObjectItemCaseSensitive(parsed, k->string);
            if (g == NULL) mismatch(&r, path, "key missing in the response", k, NULL);
            else match(&r, k, g, path, sizeof path);
            path[keep] = '\0';
        }
    } else {
        char path[512] = "$";
        match(&r, expect, parsed, path, sizeof path);
    }

    /* 4. exit code */
    int want_exit = exit_code_of(parsed);
    if (exit_v && want_exit != exit_v->valueint)
        failf(&r, "  the response means CLI exit %d, the case says \"exit\": %d\n", want_exit, exit_v->valueint);

    /* 5. a long-lived context gives the same bytes */
    if (st->ctx) {
        size_t n2 = 0;
        resp2 = crm_ctx_eval(st->ctx, req, req_len, &n2);
        if (resp2 == NULL) failf(&r, "  crm_ctx_eval returned NULL\n");
        else if (n2 != strlen(resp) || strcmp(resp, resp2) != 0)
            failf(&r, "  crm_ctx_eval on a reused context differs from crm_eval:\n    crm_eval:     %.400s\n    crm_ctx_eval: %.400s\n", resp, resp2);
    }

    /* 6. the CLI */
    if (o->cli && (st->case_no - 1) % o->cli_every == 0) {
        char *out = NULL;
        size_t out_len = 0;
        int rc = run_cli(o, req, req_len, &out, &out_len);
        st->cli_checked++;
        size_t rl = strlen(resp);
        if (out == NULL || out_len != rl + 1 || memcmp(out, resp, rl) != 0 || out[rl] != '\n')
            failf(&r, "  the CLI output is not crm_eval's output + newline:\n    crm_eval: %.400s\n    CLI:      %.400s\n", resp,
                  out ? out : "(none)");
        if (rc != want_exit) failf(&r, "  CLI exit code %d, want %d\n", rc, want_exit);
        free(out);
    }

done:
    if (r.failed) {
        st->failed++;
        if (index >= 0) fprintf(stderr, "FAIL %s (%s, case %d)\n", nm, file, index);
        else fprintf(stderr, "FAIL %s (%s)\n", nm, file);
        fwrite(r.buf, 1, r.n, stderr);
        if (resp) fprintf(stderr, "  response: %.1500s%s\n", resp, strlen(resp) > 1500 ? " ..." : "");
    } else {
        st->passed++;
        if (o->verbose) printf("ok   %s\n", nm);
    }
    cJSON_Delete(parsed);
    if (st->ctx && resp2) crm_ctx_release(st->ctx, resp2);
    crm_free(resp);
    free(req);
}

static void run_file(const options *o, state *st, const char *path) {
    size_t len = 0;
    char *text = read_file(path, &len);
    st->files++;
    if (text == NULL) {
        fprintf(stderr, "FAIL %s: cannot read: %s\n", path, strerror(errno));
        st->failed++;
        return;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root == NULL) {
        long at = end ? (long)(end - text) : -1;
        fprintf(stderr, "FAIL %s: not valid JSON (near byte %ld)\n", path, at);
        st->failed++;
    } else if (cJSON_IsArray(root)) {
        int i = 0;
        for (const cJSON *c = root->child; c; c = c->next) run_case(o, st, path, i++, c);
    } else {
        run_case(o, st, path, -1, root);
    }
    cJSON_Delete(root);
    free(text);
}

/* Every *.json of a directory, in name order (not recursive). */
static void run_dir(const options *o, state *st, const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) { fprintf(stderr, "FAIL %s: %s\n", dir, strerror(errno)); st->failed++; return; }
    char **files = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0 || e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nf = realloc(files, cap * sizeof *nf);
            if (nf == NULL) break;
            files = nf;
        }
        size_t pl = strlen(dir) + 1 + l + 1;
        files[n] = malloc(pl);
        if (files[n]) snprintf(files[n], pl, "%s/%s", dir, e->d_name), n++;
    }
    closedir(d);
    if (n) qsort(files, n, sizeof *files, cmp_str);
    for (size_t i = 0; i < n; i++) {
        run_file(o, st, files[i]);
        free(files[i]);
    }
    free(files);
}

static int usage(void) {
    fprintf(stderr, "usage: runner [--cli PATH] [--cli-every N] [--filter TEXT] [-v] DIR|FILE...\n");
    return 2;
}

int main(int argc, char **argv) {
    options o = {.cli = NULL, .cli_every = 1, .filter = NULL, .verbose = false, .tmp_path = ""};
    state st;
    memset(&st, 0, sizeof st);
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        const char *a = argv[first];
        if (strcmp(a, "--cli") == 0 && first + 1 < argc) o.cli = argv[++first];
        else if (strcmp(a, "--cli-every") == 0 && first + 1 < argc) o.cli_every = strtol(argv[++first], NULL, 10);
        else if (strcmp(a, "--filter") == 0 && first + 1 < argc) o.filter = argv[++first];
        else if (strcmp(a, "-v") == 0) o.verbose = true;
        else return usage();
    }
    if (first >= argc || o.cli_every < 1) return usage();
    if (o.cli) {
        const char *tmp = getenv("TMPDIR");
        snprintf(o.tmp_path, sizeof o.tmp_path, "%s/crmvecXXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
        int fd = mkstemp(o.tmp_path);
        if (fd < 0) { fprintf(stderr, "runner: cannot create a temporary file: %s\n", strerror(errno)); return 2; }
        close(fd);
        if (access(o.cli, X_OK) != 0) { fprintf(stderr, "runner: %s is not executable\n", o.cli); unlink(o.tmp_path); return 2; }
    }
    st.ctx = crm_ctx_new(NULL);
    if (st.ctx == NULL) { fprintf(stderr, "runner: crm_ctx_new failed\n"); return 2; }
    for (int i = first; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) run_dir(&o, &st, argv[i]);
        else run_file(&o, &st, argv[i]);
    }
    if (o.cli) unlink(o.tmp_path);
    crm_ctx_free(st.ctx);
    for (size_t i = 0; i < st.names_n; i++) free(st.names[i]);
    free(st.names);
    printf("vectors: %d file(s), %d case(s) run%s, %d through the CLI (every %ld)\n", st.files, st.passed + st.failed,
           st.skipped ? " (others filtered out)" : "", st.cli_checked, o.cli_every);
    if (st.passed + st.failed == 0) {
        printf("vectors: no case found\n");
        st.failed++;
    }
    printf("%d passed, %d failed\n", st.passed, st.failed);
    return st.failed ? 1 : 0;
}
