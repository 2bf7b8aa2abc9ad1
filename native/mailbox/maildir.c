/* native/mailbox/maildir.c: the Maildir connector. docs/mailbox.md "Maildir".
 *
 * Folders: the root (cur/new/tmp) is the inbox; Maildir++ subfolders are root entries
 * ".Name" (hierarchy '.'); mbsync/offlineimap "verbatim" subfolders are directories
 * "Name/cur" (hierarchy '/', up to 4 levels).
 *
 * Cursor, per folder: the folder's cur/ inode (a recreated folder usually restarts), a
 * watermark W (the largest ctime listed, ns) and the names listed with a ctime in
 * [W - 100 ms, W]. A file is a change when its ctime > W, or when its ctime is within the
 * window and its "unique@ctime" is not in the set (the window covers a rename whose
 * timestamp was taken just before another one became visible; ties on coarse clocks are
 * covered because names at exactly W are always kept). Delivery (tmp -> new), moves
 * between folders and flag changes are renames, and a rename sets ctime, so all three are
 * seen; the set is bounded by what changed in 100 ms.
 *
 * Paging: one scan serves every page of a session. The sorted changes of the scan are kept
 * while the caller pages with the cursor it was just given; any other cursor rescans. */
#include "mailbox_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GRACE_NS 100000000LL /* 100 ms: see above */
#define MAX_DEPTH 4

typedef struct mfolder {
    char *rel;       /* "" (inbox), ".Sent", "Archive/2024" */
    char *name;      /* "INBOX", "Sent", "Archive/2024" */
    const char *kind;
} mfolder;

typedef struct located { char *key; char *path; } located; /* key "rel/unique" -> "rel/cur/file" */

typedef struct cand cand;

typedef struct maildir {
    char *root;
    cand *pend;           /* the last scan's changes not yet returned (sorted) */
    size_t npend, pat;
    cJSON *pend_cursor;   /* the "folders" cursor that continues them */
    mfolder *f;
    size_t nf, capf;
    located *loc;    /* from the last listing, sorted by key */
    size_t nloc;
} maildir;

static char *join3(const char *a, const char *b, const char *c) {
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = malloc(la + lb + lc + 3);
    if (s == NULL) return NULL;
    char *p = s;
    memcpy(p, a, la); p += la;
    if (lb) { if (la) *p++ = '/'; memcpy(p, b, lb); p += lb; }
    if (lc) { *p++ = '/'; memcpy(p, c, lc); p += lc; }
    *p = '\0';
    return s;
}

static bool is_maildir(const char *dir) {
    char *cur = join3(dir, "cur", "");
    struct stat st;
    bool ok = cur && stat(cur, &st) == 0 && S_ISDIR(st.st_mode);
    free(cur);
    return ok;
}

static bool add_folder(maildir *d, const char *rel, const char *name) {
    if (d->nf == d->capf) {
        size_t nc = d->capf ? d->capf * 2 : 16;
        mfolder *n = realloc(d->f, nc * sizeof *n);
        if (n == NULL) return false;
        d->f = n;
        d->capf = nc;
    }
    mfolder *f = &d->f[d->nf];
    f->rel = strdup(rel);
    f->name = strdup(name);
    if (f->rel == NULL || f->name == NULL) { free(f->rel); free(f->name); return false; }
    f->kind = strcmp(rel, "") == 0 ? "inbox" : crm_mbx_folder_kind(name, rel[0] == '.' ? '.' : '/', NULL);
    d->nf++;
    return true;
}

static void free_folders(maildir *d) {
    for (size_t i = 0; i < d->nf; i++) { free(d->f[i].rel); free(d->f[i].name); }
    d->nf = 0;
}

/* Verbatim subfolders below rel (relative to root). */
static bool scan_verbatim(maildir *d, const char *rel, int depth) {
    if (depth > MAX_DEPTH) return true;
    char *dir = join3(d->root, rel, "");
    if (dir == NULL) return false;
    DIR *dh = opendir(dir);
    bool ok = true;
    if (dh) {
        struct dirent *e;
        while (ok && (e = readdir(dh)) != NULL) {
            if (e->d_name[0] == '.' || strcmp(e->d_name, "cur") == 0 || strcmp(e->d_name, "new") == 0 ||
                strcmp(e->d_name, "tmp") == 0)
                continue;
            char *sub = rel[0] ? join3(rel, e->d_name, "") : strdup(e->d_name);
            char *full = sub ? join3(d->root, sub, "") : NULL;
            struct stat st;
            if (sub == NULL || full == NULL) ok = false;
            else if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
                if (is_maildir(full)) ok = add_folder(d, sub, sub);
                if (ok) ok = scan_verbatim(d, sub, depth + 1);
            }
            free(sub);
            free(full);
        }
        closedir(dh);
    }
    free(dir);
    return ok;
}

static crm_mbx_status scan_folders(crm_mbx *m, maildir *d) {
    free_folders(d);
    if (!add_folder(d, "", "INBOX")) return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    DIR *dh = opendir(d->root);
    if (dh == NULL) return mbx_fail(m, CRM_MBX_E_IO, "cannot open the Maildir %.300s: %s", d->root, strerror(errno));
    struct dirent *e;
    bool ok = true;
    while (ok && (e = readdir(dh)) != NULL) {
        if (e->d_name[0] != '.' || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *full = join3(d->root, e->d_name, "");
        if (full == NULL) { ok = false; break; }
        if (is_maildir(full)) ok = add_folder(d, e->d_name, e->d_name + 1);
        free(full);
    }
    closedir(dh);
    if (ok) ok = scan_verbatim(d, "", 1);
    return ok ? CRM_MBX_OK : mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
}

/* ---------- listing ---------- */
struct cand {
    int64_t ctime;
    size_t folder;
    char *file;   /* "cur/<name>" or "new/<name>" */
    size_t ulen;  /* length of the unique part of the name */
    uint64_t size;
};

static int cand_cmp(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->ctime != y->ctime) return x->ctime < y->ctime ? -1 : 1;
    if (x->folder != y->folder) return x->folder < y->folder ? -1 : 1;
    return strcmp(x->file + 4, y->file + 4);
}

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int loc_cmp(const void *a, const void *b) { return strcmp(((const located *)a)->key, ((const located *)b)->key); }

static size_t unique_len(const char *name) {
    const char *c = strchr(name, ':');
    return c ? (size_t)(c - name) : strlen(name);
}

static int64_t parse_i64(const char *s) {
    int64_t v = 0;
    for (; s && *s >= '0' && *s <= '9'; s++) v = v * 10 + (*s - '0');
    return v;
}

typedef struct fstate {
    int64_t ino, wm;
    char **names; /* sorted "unique@ctime" */
    size_t n;
    bool reset;
} fstate;

static void fstate_load(const cJSON *cur, const mfolder *f, int64_t ino, fstate *s, size_t *resets) {
    memset(s, 0, sizeof *s);
    s->ino = ino;
    const cJSON *o = cur ? cJSON_GetObjectItemCaseSensitive(cur, f->rel[0] ? f->rel : "/") : NULL;
    if (!cJSON_IsObject(o)) return;
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(o, "ino"), *cw = cJSON_GetObjectItemCaseSensitive(o, "wm"),
                *cn = cJSON_GetObjectItemCaseSensitive(o, "names");
    if (!cJSON_IsString(ci) || !cJSON_IsString(cw) || parse_i64(ci->valuestring) != ino) { s->reset = true; (*resets)++; return; }
    s->wm = parse_i64(cw->valuestring);
    size_t n = cJSON_IsArray(cn) ? (size_t)cJSON_GetArraySize(cn) : 0;
    s->names = calloc(n + 1, sizeof *s->names);
    if (s->names == NULL) return;
    for (const cJSON *e = cn ? cn->child : NULL; e; e = e->next)
        if (cJSON_IsString(e)) s->names[s->n++] = e->valuestring; /* borrowed from the cursor */
    qsort(s->names, s->n, sizeof *s->names, str_cmp);
}

static bool fstate_has(const fstate *s, const char *key) {
    return s->n && bsearch(&key, s->names, s->n, sizeof *s->names, str_cmp) != NULL;
}

static void free_loc(maildir *d) {
    for (size_t i = 0; i < d->nloc; i++) { free(d->loc[i].key); free(d->loc[i].path); }
    free(d->loc);
    d->loc = NULL;
    d->nloc = 0;
}

static void drop_pending(maildir *d) {
    for (size_t k = 0; k < d->npend; k++) free(d->pend[k].file);
    free(d->pend);
    d->pend = NULL;
    d->npend = d->pat = 0;
    cJSON_Delete(d->pend_cursor);
    d->pend_cursor = NULL;
}

static crm_mbx_status md_list(crm_mbx *m, const cJSON *cur, size_t limit, crm_mbx_changes *out, cJSON *ncur) {
    maildir *d = m->impl;
    bool cached = d->pend && d->pat < d->npend && cur && d->pend_cursor && cJSON_Compare(cur, d->pend_cursor, true);
    if (!cached) {
        drop_pending(d);
        crm_mbx_status st = scan_folders(m, d);
        if (st != CRM_MBX_OK) return st;
    }
    fstate *fs = calloc(d->nf + 1, sizeof *fs);
    cand *cs = NULL;
    size_t nc = 0, capc = 0;
    if (fs == NULL) return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    bool oom = false;
    for (size_t i = 0; i < d->nf && cached; i++)
        if (mbx_wants(m, d->f[i].kind)) {
            char *curdir = join3(d->root, d->f[i].rel, "cur");
            struct stat sb;
            int64_t ino = curdir && stat(curdir, &sb) == 0 ? (int64_t)sb.st_ino : 0;
            free(curdir);
            fstate_load(cur, &d->f[i], ino, &fs[i], &out->folders_reset);
        }
    if (cached) { cs = d->pend + d->pat; nc = d->npend - d->pat; }
    for (size_t i = 0; i < d->nf && !oom && !cached; i++) {
        if (!mbx_wants(m, d->f[i].kind)) continue;
        char *curdir = join3(d->root, d->f[i].rel, "cur");
        struct stat sb;
        if (curdir == NULL) { oom = true; break; }
        int64_t ino = stat(curdir, &sb) == 0 ? (int64_t)sb.st_ino : 0;
        free(curdir);
        fstate_load(cur, &d->f[i], ino, &fs[i], &out->folders_reset);
        for (int sub = 0; sub < 2 && !oom; sub++) {
            const char *sd = sub ? "new" : "cur";
            char *dir = join3(d->root, d->f[i].rel, sd);
            if (dir == NULL) { oom = true; break; }
            int dfd = open(dir, O_RDONLY | O_DIRECTORY);
            DIR *dh = dfd >= 0 ? fdopendir(dfd) : NULL;
            if (dh == NULL && dfd >= 0) close(dfd);
            free(dir);
            if (dh == NULL) continue;
            struct dirent *e;
            while ((e = readdir(dh)) != NULL) {
                if (e->d_name[0] == '.') continue;
                struct stat fsb;
                if (fstatat(dfd, e->d_name, &fsb, 0) != 0 || !S_ISREG(fsb.st_mode)) continue;
                int64_t ct = (int64_t)fsb.st_ctim.tv_sec * 1000000000LL + fsb.st_ctim.tv_nsec;
                size_t ul = unique_len(e->d_name);
                bool change = ct > fs[i].wm;
                if (!change && ct >= fs[i].wm - GRACE_NS) {
                    char key[600];
                    int kl = snprintf(key, sizeof key, "%.*s@%lld", (int)(ul < 500 ? ul : 500), e->d_name, (long long)ct);
                    change = kl > 0 && !fstate_has(&fs[i], key);
                }
                if (!change) continue;
                if (nc == capc) {
                    size_t ncap = capc ? capc * 2 : 256;
                    cand *n = realloc(cs, ncap * sizeof *n);
                    if (n == NULL) { oom = true; break; }
                    cs = n;
                    capc = ncap;
                }
                cs[nc].file = join3(sd, e->d_name, "");
                if (cs[nc].file == NULL) { oom = true; break; }
                cs[nc].ctime = ct;
                cs[nc].folder = i;
                cs[nc].ulen = ul;
                cs[nc].size = (uint64_t)fsb.st_size;
                nc++;
            }
            closedir(dh);
        }
    }
    if (!oom && !cached && nc > 1) qsort(cs, nc, sizeof *cs, cand_cmp);
    size_t take = limit && nc > limit ? limit : nc;
    /* never split items with the same ctime in the same folder: the cursor could not tell them apart */
    while (take < nc && take > 0 && cs[take].ctime == cs[take - 1].ctime) take++;
    out->more = take < nc;
    size_t capo = 0;
    free_loc(d);
    d->loc = calloc(take + 1, sizeof *d->loc);
    if (d->loc == NULL) oom = true;
    for (size_t k = 0; k < take && !oom; k++) {
        const mfolder *f = &d->f[cs[k].folder];
        char uniq[512];
        snprintf(uniq, sizeof uniq, "%.*s", (int)(cs[k].ulen < 500 ? cs[k].ulen : 500), cs[k].file + 4);
        char *id = join3(f->rel[0] ? f->rel : "", "", "");
        char *key = id ? malloc(strlen(id) + strlen(uniq) + 2) : NULL;
        if (key == NULL) { free(id); oom = true; break; }
        sprintf(key, "%s/%s", id, uniq);
        free(id);
        d->loc[d->nloc].key = key;
        d->loc[d->nloc].path = join3(f->rel, cs[k].file, "");
        if (d->loc[d->nloc].path == NULL) { free(key); oom = true; break; }
        d->nloc++;
        if (mbx_add_change(m, out, &capo, key, f->kind, f->name, CRM_MBX_NEW, cs[k].size) != CRM_MBX_OK) oom = true;
    }
    if (!oom) qsort(d->loc, d->nloc, sizeof *d->loc, loc_cmp);
    /* the new cursor */
    for (size_t i = 0; i < d->nf && !oom; i++) {
        if (!mbx_wants(m, d->f[i].kind)) continue;
        int64_t wm = fs[i].wm;
        for (size_t k = 0; k < take; k++)
            if (cs[k].folder == i && cs[k].ctime > wm) wm = cs[k].ctime;
        cJSON *o = cJSON_CreateObject(), *names = cJSON_CreateArray();
        char num[32];
        if (o == NULL || names == NULL) { cJSON_Delete(o); cJSON_Delete(names); oom = true; break; }
        snprintf(num, sizeof num, "%lld", (long long)fs[i].ino);
        cJSON_AddStringToObject(o, "ino", num);
        snprintf(num, sizeof num, "%lld", (long long)wm);
        cJSON_AddStringToObject(o, "wm", num);
        cJSON_AddItemToObject(o, "names", names);
        for (size_t k = 0; k < fs[i].n; k++) {
            const char *at = strrchr(fs[i].names[k], '@');
            if (at && parse_i64(at + 1) >= wm - GRACE_NS) cJSON_AddItemToArray(names, cJSON_CreateString(fs[i].names[k]));
        }
        for (size_t k = 0; k < take; k++)
            if (cs[k].folder == i && cs[k].ctime >= wm - GRACE_NS) {
                char key[600];
                snprintf(key, sizeof key, "%.*s@%lld", (int)(cs[k].ulen < 500 ? cs[k].ulen : 500), cs[k].file + 4, (long long)cs[k].ctime);
                cJSON_AddItemToArray(names, cJSON_CreateString(key));
            }
        cJSON_AddItemToObject(ncur, d->f[i].rel[0] ? d->f[i].rel : "/", o);
    }
    /* keep the rest of this scan for the next page */
    if (!oom && out->more) {
        if (!cached) { d->pend = cs; d->npend = nc; d->pat = 0; }
        d->pat += take;
        cJSON_Delete(d->pend_cursor);
        d->pend_cursor = cJSON_Duplicate(ncur, true);
        if (d->pend_cursor == NULL) drop_pending(d);
    } else if (cached) drop_pending(d);
    else {
        for (size_t k = 0; k < nc; k++) free(cs[k].file);
        free(cs);
    }
    for (size_t i = 0; i < d->nf; i++) free(fs[i].names);
    free(fs);
    return oom ? mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory listing the Maildir") : CRM_MBX_OK;
}

/* ---------- locating an item ---------- */
static const mfolder *folder_by_rel(const maildir *d, const char *rel, size_t n) {
    for (size_t i = 0; i < d->nf; i++)
        if (strlen(d->f[i].rel) == n && strncmp(d->f[i].rel, rel, n) == 0) return &d->f[i];
    return NULL;
}

/* Finds the file of id "rel/unique": the last listing's location if still there, else a
 * scan of the folder's cur/ and new/. *path (malloc'd) is relative to the root. */
static crm_mbx_status locate(crm_mbx *m, const char *id, const mfolder **fo, char **path) {
    maildir *d = m->impl;
    *path = NULL;
    const char *slash = strrchr(id, '/');
    if (slash == NULL || slash[1] == '\0') return mbx_fail(m, CRM_MBX_E_NOT_FOUND, "'%.200s' is not a Maildir item id", id);
    if (d->nf == 0 && scan_folders(m, d) != CRM_MBX_OK) return CRM_MBX_E_IO;
    *fo = folder_by_rel(d, id, (size_t)(slash - id));
    if (*fo == NULL) {
        if (scan_folders(m, d) != CRM_MBX_OK) return CRM_MBX_E_IO;
        *fo = folder_by_rel(d, id, (size_t)(slash - id));
        if (*fo == NULL) return mbx_fail(m, CRM_MBX_E_NOT_FOUND, "no folder for item %.200s", id);
    }
    const char *uniq = slash + 1;
    size_t ul = strlen(uniq);
    located k = {.key = (char *)(uintptr_t)id, .path = NULL};
    const located *hit = d->nloc ? bsearch(&k, d->loc, d->nloc, sizeof *d->loc, loc_cmp) : NULL;
    if (hit) {
        char *full = join3(d->root, hit->path, "");
        struct stat sb;
        bool there = full && stat(full, &sb) == 0;
        free(full);
        if (there) { *path = strdup(hit->path); return *path ? CRM_MBX_OK : mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory"); }
    }
    for (int sub = 0; sub < 2; sub++) {
        const char *sd = sub ? "new" : "cur";
        char *dir = join3(d->root, (*fo)->rel, sd);
        DIR *dh = dir ? opendir(dir) : NULL;
        free(dir);
        if (dh == NULL) continue;
        struct dirent *e;
        while ((e = readdir(dh)) != NULL)
            if (strncmp(e->d_name, uniq, ul) == 0 && (e->d_name[ul] == '\0' || e->d_name[ul] == ':')) {
                char *rel = join3(sd, e->d_name, "");
                *path = rel ? join3((*fo)->rel, rel, "") : NULL;
                free(rel);
                break;
            }
        closedir(dh);
        if (*path) return CRM_MBX_OK;
    }
    return mbx_fail(m, CRM_MBX_E_NOT_FOUND, "item %.200s is no longer in the Maildir", id);
}

/* ---------- Dovecot keywords ---------- */
typedef struct kwfile { char *names[26]; } kwfile;

static void kw_free(kwfile *k) { for (int i = 0; i < 26; i++) free(k->names[i]); }

/* Reads folder/dovecot-keywords; false when there is none. */
static bool kw_read(const char *root, const mfolder *f, kwfile *k) {
    memset(k, 0, sizeof *k);
    char *p = join3(root, f->rel, "dovecot-keywords");
    FILE *fp = p ? fopen(p, "r") : NULL;
    free(p);
    if (fp == NULL) return false;
    char line[1024];
    while (fgets(line, sizeof line, fp)) {
        char *sp = strchr(line, ' ');
        if (sp == NULL) continue;
        long idx = strtol(line, NULL, 10);
        if (idx < 0 || idx > 25) continue;
        sp++;
        sp[strcspn(sp, "\r\n")] = '\0';
        free(k->names[idx]);
        k->names[idx] = strdup(sp);
    }
    fclose(fp);
    return true;
}

static bool kw_write(const char *root, const mfolder *f, const kwfile *k) {
    char *p = join3(root, f->rel, "dovecot-keywords");
    char *tmp = p ? malloc(strlen(p) + 16) : NULL;
    if (tmp == NULL) { free(p); return false; }
    sprintf(tmp, "%s.crm%ld", p, (long)getpid());
    FILE *fp = fopen(tmp, "w");
    bool ok = fp != NULL;
    for (int i = 0; ok && i < 26; i++)
        if (k->names[i]) ok = fprintf(fp, "%d %s\n", i, k->names[i]) > 0;
    if (fp && fclose(fp) != 0) ok = false;
    if (ok) ok = rename(tmp, p) == 0;
    else unlink(tmp);
    free(tmp);
    free(p);
    return ok;
}

static const char *flags_of(const char *path) {
    const char *c = strstr(path, ":2,");
    return c ? c + 3 : "";
}

/* ---------- fetch / mark / move ---------- */
static crm_mbx_status md_fetch(crm_mbx *m, const char *id, bool keep_raw, crm_mbx_item *out) {
    maildir *d = m->impl;
    const mfolder *f;
    char *rel;
    crm_mbx_status st = locate(m, id, &f, &rel);
    if (st != CRM_MBX_OK) return st;
    char *full = join3(d->root, rel, "");
    int fd = full ? open(full, O_RDONLY) : -1;
    free(full);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        free(rel);
        /* only a file that is gone is "not found"; EMFILE, EACCES or EIO must not make the
         * engine step over an email it could read later */
        if (e == ENOENT) return mbx_fail(m, CRM_MBX_E_NOT_FOUND, "item %.200s vanished", id);
        return mbx_fail(m, CRM_MBX_E_IO, "cannot read item %.200s: %s", id, strerror(e));
    }
    size_t want = (size_t)sb.st_size > CRM_MIME_MAX_INPUT ? CRM_MIME_MAX_INPUT + 1 : (size_t)sb.st_size;
    char *raw = malloc(want + 1);
    size_t got = 0;
    while (raw && got < want) {
        ssize_t r = read(fd, raw + got, want - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (raw == NULL) { free(rel); return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory"); }
    raw[got] = '\0';
    /* keywords from the file name's letters */
    char *kws[26];
    size_t nk = 0;
    kwfile k;
    const char *fl = flags_of(rel);
    bool draft = strchr(fl, 'D') != NULL;
    if (kw_read(d->root, f, &k))
        for (const char *c = fl; *c; c++)
            if (*c >= 'a' && *c <= 'z' && k.names[*c - 'a']) kws[nk++] = k.names[*c - 'a'];
    st = mbx_make_item(m, raw, got, keep_raw, id, f->kind, kws, nk, draft, (int64_t)sb.st_mtim.tv_sec, out);
    kw_free(&k);
    free(rel);
    return st;
}

static crm_mbx_status md_mark(crm_mbx *m, const char *id, const char *keyword, const char *category) {
    maildir *d = m->impl;
    const mfolder *f;
    char *rel;
    crm_mbx_status st = locate(m, id, &f, &rel);
    if (st != CRM_MBX_OK) return st;
    kwfile k;
    if (!kw_read(d->root, f, &k)) {
        free(rel);
        return mbx_fail(m, CRM_MBX_E_NO_CATEGORIES,
                        "folder '%.200s' has no dovecot-keywords file: this Maildir keeps no categories (the ledger records '%.100s')",
                        f->name, category);
    }
    int idx = -1, free_idx = -1;
    for (int i = 0; i < 26; i++) {
        if (k.names[i] && strcmp(k.names[i], keyword) == 0) idx = i;
        if (!k.names[i] && free_idx < 0) free_idx = i;
    }
    if (idx < 0) {
        if (free_idx < 0) { kw_free(&k); free(rel); return mbx_fail(m, CRM_MBX_E_NO_CATEGORIES, "folder '%.200s' already uses all 26 Dovecot keyword letters", f->name); }
        k.names[free_idx] = strdup(keyword);
        if (k.names[free_idx] == NULL || !kw_write(d->root, f, &k)) {
            kw_free(&k); free(rel);
            return mbx_fail(m, CRM_MBX_E_IO, "cannot update dovecot-keywords of folder '%.200s'", f->name);
        }
        idx = free_idx;
    }
    kw_free(&k);
    char letter = (char)('a' + idx);
    const char *base = strrchr(rel, '/') + 1;
    const char *fl = flags_of(rel);
    if (strchr(fl, letter)) { free(rel); return CRM_MBX_OK; }
    /* new name: unique + ":2," + flags with the letter, in ASCII order, in cur/ */
    size_t ul = unique_len(base);
    char flags[64];
    size_t nf = 0;
    for (const char *c = fl; *c && nf + 2 < sizeof flags; c++) flags[nf++] = *c;
    flags[nf++] = letter;
    for (size_t i = 1; i < nf; i++)
        for (size_t j = i; j > 0 && flags[j - 1] > flags[j]; j--) { char t = flags[j]; flags[j] = flags[j - 1]; flags[j - 1] = t; }
    flags[nf] = '\0';
    char *dir = join3(d->root, f->rel, "cur");
    char *from = join3(d->root, rel, "");
    char *to = dir ? malloc(strlen(dir) + ul + nf + 8) : NULL;
    if (to) sprintf(to, "%s/%.*s:2,%s", dir, (int)ul, base, flags);
    int r = to && from ? rename(from, to) : -1;
    int e = errno;
    free(dir); free(from); free(to); free(rel);
    if (r != 0) return mbx_fail(m, e == ENOENT ? CRM_MBX_E_NOT_FOUND : CRM_MBX_E_IO, "cannot rename item %.200s: %s", id, strerror(e));
    return CRM_MBX_OK;
}

static crm_mbx_status md_move(crm_mbx *m, const char *id, const char *folder, char **new_id) {
    maildir *d = m->impl;
    const mfolder *f;
    char *rel;
    crm_mbx_status st = locate(m, id, &f, &rel);
    if (st != CRM_MBX_OK) return st;
    const char *core = mbx_core_name(folder);
    const mfolder *t = NULL;
    for (size_t i = 0; i < d->nf && !t; i++)
        if (core ? strcmp(d->f[i].kind, core) == 0 : strcmp(d->f[i].name, folder) == 0) t = &d->f[i];
    if (t == NULL) { free(rel); return mbx_fail(m, CRM_MBX_E_NOT_FOUND, "no folder '%.200s' in the Maildir", folder); }
    if (t == f) { free(rel); if (new_id) *new_id = strdup(id); return CRM_MBX_OK; }
    const char *sub_and_name = rel + strlen(f->rel) + (f->rel[0] ? 1 : 0); /* "cur/<name>" */
    char *from = join3(d->root, rel, "");
    char *to = join3(d->root, t->rel, sub_and_name);
    int r = from && to ? rename(from, to) : -1;
    int e = errno;
    free(from);
    free(to);
    if (r == 0 && new_id) {
        const char *base = strrchr(rel, '/') + 1;
        size_t ul = unique_len(base);
        *new_id = malloc(strlen(t->rel) + ul + 2);
        if (*new_id) sprintf(*new_id, "%s/%.*s", t->rel, (int)ul, base);
    }
    free(rel);
    if (r != 0) return mbx_fail(m, e == ENOENT ? CRM_MBX_E_NOT_FOUND : CRM_MBX_E_IO, "cannot move item %.200s: %s", id, strerror(e));
    return CRM_MBX_OK;
}

static void md_close(crm_mbx *m) {
    maildir *d = m->impl;
    if (d == NULL) return;
    drop_pending(d);
    free_folders(d);
    free(d->f);
    free_loc(d);
    free(d->root);
    free(d);
    m->impl = NULL;
}

static const mbx_ops maildir_ops = {md_list, md_fetch, md_mark, md_move, md_close, NULL};

crm_mbx_status mbx_maildir_open(crm_mbx *m, const crm_mbx_config *cfg) {
    m->ops = &maildir_ops;
    if (cfg->path == NULL || cfg->path[0] == '\0') return mbx_fail(m, CRM_MBX_E_CONFIG, "Maildir: no path");
    maildir *d = calloc(1, sizeof *d);
    if (d == NULL) return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    m->impl = d;
    d->root = strdup(cfg->path);
    if (d->root == NULL) return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    size_t l = strlen(d->root);
    while (l > 1 && d->root[l - 1] == '/') d->root[--l] = '\0';
    if (!is_maildir(d->root)) return mbx_fail(m, CRM_MBX_E_CONFIG, "'%.300s' is not a Maildir (no cur/ directory)", d->root);
    return scan_folders(m, d);
}
