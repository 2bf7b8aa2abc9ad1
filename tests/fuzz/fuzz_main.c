/* tests/fuzz/fuzz_main.c: a replay driver for the libFuzzer targets without libFuzzer.
 * Linked with one target (ASan+UBSan build), it feeds every file given, or every file of
 * every directory given, to LLVMFuzzerTestOneInput, each in a child process, so one bad
 * input is reported by name and the others still run.
 *
 *   <target>-replay [-q] FILE|DIR...      closing line: "N passed, N failed" */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int passed, failed;
static bool quiet;

static uint8_t *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        uint8_t *nb = realloc(buf, cap *= 2);
        if (nb == NULL) { free(buf); buf = NULL; }
        else buf = nb;
    }
    bool err = ferror(f) != 0;
    fclose(f);
    if (err) { free(buf); return NULL; }
    *len = n;
    return buf;
}

static void run_one(const char *path) {
    size_t len = 0;
    uint8_t *data = read_all(path, &len);
    if (data == NULL) {
        fprintf(stderr, "FAIL %s: cannot read: %s\n", path, strerror(errno));
        failed++;
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(2); }
    if (pid == 0) {
        LLVMFuzzerTestOneInput(data, len);
        free(data);
        _exit(0);
    }
    free(data);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        passed++;
        if (!quiet) printf("ok   %s (%zu bytes)\n", path, len);
    } else {
        failed++;
        if (WIFSIGNALED(status)) fprintf(stderr, "FAIL %s: killed by signal %d\n", path, WTERMSIG(status));
        else fprintf(stderr, "FAIL %s: exit status %d\n", path, WEXITSTATUS(status));
    }
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void run_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) { fprintf(stderr, "FAIL %s: %s\n", dir, strerror(errno)); failed++; return; }
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.') continue;
        size_t pl = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(pl);
        if (p == NULL) break;
        snprintf(p, pl, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) { free(p); continue; }
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *nn);
            if (nn == NULL) { free(p); break; }
            names = nn;
        }
        names[n++] = p;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp);
    for (size_t i = 0; i < n; i++) {
        run_one(names[i]);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv) {
    int first = 1;
    if (first < argc && strcmp(argv[first], "-q") == 0) quiet = true, first++;
    if (first >= argc) {
        fprintf(stderr, "usage: %s [-q] FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (int i = first; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) run_dir(argv[i]);
        else run_one(argv[i]);
    }
    const char *name = strrchr(argv[0], '/');
    printf("%s: replayed %d input(s)\n", name ? name + 1 : argv[0], passed + failed);
    if (passed + failed == 0) { fprintf(stderr, "no input found\n"); failed++; }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
