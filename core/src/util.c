/* util.c: arena, formatting, buffers, string and UTF-8 helpers, RFC 3339 time. */
#include <string.h>
#include <stdlib.h>
#include "internal.h"

/* ---------------------------------------------------------------- allocator */
static void *std_alloc(void *ud, size_t n) { (void)ud; return malloc(n ? n : 1); }
static void *std_resize(void *ud, void *p, size_t o, size_t n) { (void)ud; (void)o; return realloc(p, n ? n : 1); }
static void std_release(void *ud, void *p, size_t n) { (void)ud; (void)n; free(p); }
static const crm_allocator std_allocator = {std_alloc, std_resize, std_release, NULL};
const crm_allocator *crm_default_allocator(void) { return &std_allocator; }

/* -------------------------------------------------------------------- arena */
struct crm_chunk { crm_chunk *next; size_t cap, used; max_align_t data[]; };
#define CRM_CHUNK_MIN ((size_t)16384)

void *crm_arena_alloc(crm_arena *ar, size_t n) {
    n = (n + 15u) & ~(size_t)15u;
    if (n == 0) n = 16;
    crm_chunk *c = ar->head;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > CRM_CHUNK_MIN ? n : CRM_CHUNK_MIN;
        if (c != NULL && c->cap * 2 > cap && c->cap < ((size_t)1 << 24)) cap = c->cap * 2;
        if (cap > SIZE_MAX - sizeof(crm_chunk)) return NULL;
        crm_chunk *nc = ar->a->alloc(ar->a->ud, sizeof(crm_chunk) + cap);
        if (nc == NULL) return NULL;
        nc->cap = cap;
        nc->used = 0;
        nc->next = c;
        ar->head = nc;
        ar->bytes += sizeof(crm_chunk) + cap;
        c = nc;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

char *crm_arena_strndup(crm_arena *ar, const char *s, size_t n) {
    char *p = crm_arena_alloc(ar, n + 1);
    if (p == NULL) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *crm_arena_strdup(crm_arena *ar, const char *s) { return crm_arena_strndup(ar, s, strlen(s)); }

void crm_arena_reset(crm_arena *ar) {
    crm_chunk *c = ar->head;
    while (c != NULL) {
        crm_chunk *next = c->next;
        ar->a->release(ar->a->ud, c, sizeof(crm_chunk) + c->cap);
        c = next;
    }
    ar->head = NULL;
    ar->bytes = 0;
}

/* ------------------------------------------------------------------ buffers */
void crm_buf_init(crm_buf *b, crm_arena *ar) { b->ar = ar; b->p = NULL; b->n = b->cap = 0; b->oom = false; }

static bool buf_reserve(crm_buf *b, size_t extra) {
    if (b->oom) return false;
    if (b->n + extra + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap * 2 : 64;
    while (cap < b->n + extra + 1) cap *= 2;
    char *p = crm_arena_alloc(b->ar, cap);
    if (p == NULL) { b->oom = true; return false; }
    if (b->n) memcpy(p, b->p, b->n);
    b->p = p;
    b->cap = cap;
    return true;
}

void crm_buf_put(crm_buf *b, const char *s, size_t n) {
    if (!buf_reserve(b, n)) return;
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}
void crm_buf_puts(crm_buf *b, const char *s) { crm_buf_put(b, s, strlen(s)); }
void crm_buf_putc(crm_buf *b, char c) { crm_buf_put(b, &c, 1); }
void crm_buf_putl(crm_buf *b, long v) {
    char tmp[24];
    size_t i = sizeof tmp;
    unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
    do { tmp[--i] = (char)('0' + (u % 10)); u /= 10; } while (u);
    if (v < 0) tmp[--i] = '-';
    crm_buf_put(b, tmp + i, sizeof tmp - i);
}
char *crm_buf_cstr(crm_buf *b) {
    if (b->oom) return NULL;
    if (b->p == NULL) { if (!buf_reserve(b, 0)) return NULL; b->p[0] = '\0'; }
    return b->p;
}

/* --------------------------------------------------------------- formatting */
/* `cap` > 0: a %s argument longer than cap bytes is cut (on a code point boundary) and
 * marked "...", so an error message never echoes megabytes of input. */
static char *vfmt(crm_arena *ar, const char *fmt, va_list ap, size_t cap) {
    crm_buf b;
    crm_buf_init(&b, ar);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') { crm_buf_putc(&b, *f); continue; }
        f++;
        if (*f == 's') {
            const char *s = va_arg(ap, const char *);
            if (s == NULL) s = "(null)";
            size_t n = strlen(s);
            if (cap && n > cap) {
                size_t k = cap;
                while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
                crm_buf_put(&b, s, k);
                crm_buf_puts(&b, "...");
            } else {
                crm_buf_put(&b, s, n);
            }
        }
        else if (*f == 'd') crm_buf_putl(&b, va_arg(ap, int));
        else if (*f == 'l' && f[1] == 'd') { f++; crm_buf_putl(&b, va_arg(ap, long)); }
        else if (*f == 'z' && f[1] == 'u') { f++; crm_buf_putl(&b, (long)va_arg(ap, size_t)); }
        else if (*f == '%') crm_buf_putc(&b, '%');
        else if (*f == '\0') break;
    }
    return crm_buf_cstr(&b);
}

char *crm_vfmt(crm_arena *ar, const char *fmt, va_list ap) { return vfmt(ar, fmt, ap, 0); }

#define CRM_MESSAGE_ARG_MAX 200

char *crm_fmt_message(crm_arena *ar, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = vfmt(ar, fmt, ap, CRM_MESSAGE_ARG_MAX);
    va_end(ap);
    return s;
}

char *crm_fmt(crm_arena *ar, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = crm_vfmt(ar, fmt, ap);
    va_end(ap);
    return s;
}

static void path_put(crm_buf *b, const crm_path *p) {
    if (p == NULL) return;
    path_put(b, p->parent);
    if (p->key != NULL) {
        if (b->n) crm_buf_putc(b, '.');
        crm_buf_puts(b, p->key);
    } else {
        crm_buf_putc(b, '[');
        crm_buf_putl(b, (long)p->index);
        crm_buf_putc(b, ']');
    }
}

char *crm_path_render(crm_arena *ar, const crm_path *p) {
    crm_buf b;
    crm_buf_init(&b, ar);
    path_put(&b, p);
    return crm_buf_cstr(&b);
}

crm_status crm_fail(crm_ctx *ctx, crm_status code, const crm_path *path, const char *fmt, ...) {
    if (ctx->err != CRM_OK) return ctx->err;
    ctx->err = code;
    if (code == CRM_E_NOMEM) { ctx->err_msg = NULL; ctx->err_path = NULL; return code; }
    va_list ap;
    va_start(ap, fmt);
    ctx->err_msg = vfmt(&ctx->arena, fmt, ap, CRM_MESSAGE_ARG_MAX);
    va_end(ap);
    ctx->err_path = path ? crm_path_render(&ctx->arena, path) : NULL;
    if (ctx->err_msg == NULL || (path && ctx->err_path == NULL)) ctx->err = CRM_E_NOMEM;
    return ctx->err;
}

void crm_trace(crm_ctx *ctx, const char *rule, const char *fmt, ...) {
    if (ctx->trace_n == ctx->trace_cap) {
        size_t cap = ctx->trace_cap ? ctx->trace_cap * 2 : 16;
        crm_trace_entry *t = crm_arena_alloc(&ctx->arena, cap * sizeof *t);
        if (t == NULL) { crm_fail(ctx, CRM_E_NOMEM, NULL, ""); return; }
        if (ctx->trace_n) memcpy(t, ctx->trace, ctx->trace_n * sizeof *t);
        ctx->trace = t;
        ctx->trace_cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *note = vfmt(&ctx->arena, fmt, ap, CRM_MESSAGE_ARG_MAX);
    va_end(ap);
    if (note == NULL) { crm_fail(ctx, CRM_E_NOMEM, NULL, ""); return; }
    ctx->trace[ctx->trace_n].rule = rule;
    ctx->trace[ctx->trace_n].note = note;
    ctx->trace_n++;
}

/* ------------------------------------------------------------------ strings */
char crm_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }
bool crm_is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool crm_is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool crm_is_digit(char c) { return c >= '0' && c <= '9'; }
bool crm_streq(const char *a, const char *b) { return strcmp(a, b) == 0; }
bool crm_strcaseeq(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (crm_lower(*a) != crm_lower(*b)) return false;
    return *a == *b;
}
bool crm_ends_with(const char *s, size_t n, const char *suffix, size_t sn) {
    return sn <= n && memcmp(s + n - sn, suffix, sn) == 0;
}

/* -------------------------------------------------------------------- UTF-8 */
uint32_t crm_utf8_next(const char *str, size_t n, size_t *i, bool *bad) {
    const unsigned char *s = (const unsigned char *)str;
    size_t k = *i;
    unsigned c = s[k];
    if (c < 0x80) { *i = k + 1; return c; }
    size_t need;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; min = 0x10000; }
    else goto invalid;
    for (size_t j = 1; j <= need; j++) {
        if (k + j >= n) goto invalid;
        unsigned cc = s[k + j];
        if ((cc & 0xC0) != 0x80) goto invalid;
        cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) goto invalid;
    *i = k + need + 1;
    return cp;
invalid:
    if (bad) *bad = true;
    *i = k + 1;
    return 0xFFFD;
}

size_t crm_utf8_put(char out[4], uint32_t cp) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

char *crm_utf8_clean(crm_arena *ar, const char *s, size_t n) {
    /* fast path: already clean */
    size_t i = 0;
    bool bad = false, nul = false;
    while (i < n) {
        if (s[i] == '\0') { nul = true; break; }
        if ((unsigned char)s[i] < 0x80) { i++; continue; }
        crm_utf8_next(s, n, &i, &bad);
        if (bad) break;
    }
    if (!bad && !nul) return crm_arena_strndup(ar, s, n);
    crm_buf b;
    crm_buf_init(&b, ar);
    i = 0;
    while (i < n) {
        if (s[i] == '\0') { i++; continue; }
        size_t start = i;
        bool bb = false;
        uint32_t cp = crm_utf8_next(s, n, &i, &bb);
        if (bb) { char tmp[4]; size_t k = crm_utf8_put(tmp, cp); crm_buf_put(&b, tmp, k); }
        else crm_buf_put(&b, s + start, i - start);
    }
    return crm_buf_cstr(&b);
}

size_t crm_utf16_len(const char *s, size_t n) {
    size_t units = 0, i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) { units++; i++; continue; }
        uint32_t cp = crm_utf8_next(s, n, &i, NULL);
        units += cp >= 0x10000 ? 2 : 1;
    }
    return units;
}

size_t crm_utf16_prefix(const char *s, size_t n, size_t units) {
    size_t used = 0, i = 0;
    while (i < n) {
        size_t start = i;
        unsigned char c = (unsigned char)s[i];
        uint32_t cp = c < 0x80 ? (i++, c) : crm_utf8_next(s, n, &i, NULL);
        size_t u = cp >= 0x10000 ? 2 : 1;
        if (used + u > units) return start;
        used += u;
    }
    return n;
}

/* --------------------------------------------------------------------- time */
int64_t crm_floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = crm_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = crm_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!crm_is_digit(s[i])) return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool valid_ymd(int y, int m, int d) {
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1) return false;
    int md = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) md = 29;
    return d <= md;
}

bool crm_date_parse(const char *s, int64_t *days) {
    int y, m, d;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d)) return false;
    if (!valid_ymd(y, m, d)) return false;
    *days = days_from_civil(y, m, d);
    return true;
}

bool crm_time_parse(const char *s, int64_t *out) {
    int y, mo, d, h, mi, se;
    size_t n = strlen(s);
    if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) ||
        !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
        return false;
    if (!valid_ymd(y, mo, d) || h > 23 || mi > 59 || se > 60) return false;
    size_t i = 19;
    if (s[i] == '.') {
        i++;
        size_t start = i;
        while (i < n && crm_is_digit(s[i])) i++;
        if (i == start) return false;
    }
    int64_t off = 0;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        int oh, om;
        if (n - i != 6 || s[i + 3] != ':' || !digits(s + i + 1, 2, &oh) || !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        off = (int64_t)(oh * 60 + om) * 60;
        if (s[i] == '-') off = -off;
        i += 6;
    } else {
        return false;
    }
    if (i != n) return false;
    if (se == 60) se = 59; /* a leap second counts as the second before it */
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    return true;
}

static void put2(char *p, int v) { p[0] = (char)('0' + v / 10); p[1] = (char)('0' + v % 10); }

void crm_date_format(int64_t days, char out[11]) {
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0) y = 0;
    if (y > 9999) y = 9999;
    put2(out, (int)(y / 100));
    put2(out + 2, (int)(y % 100));
    out[4] = '-';
    put2(out + 5, m);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = '\0';
}

void crm_time_format(int64_t t, char out[21]) {
    int64_t days = crm_floor_div(t, 86400);
    int64_t secs = t - days * 86400;
    crm_date_format(days, out);
    out[10] = 'T';
    put2(out + 11, (int)(secs / 3600));
    out[13] = ':';
    put2(out + 14, (int)(secs / 60 % 60));
    out[16] = ':';
    put2(out + 17, (int)(secs % 60));
    out[19] = 'Z';
    out[20] = '\0';
}

/* ------------------------------------------------------------ Unicode case */
/* Simple case mapping for the scripts seen in email addresses and names: Latin-1,
 * Latin Extended-A, Greek and Cyrillic (docs/rules-decisions.md). Other code points are
 * returned unchanged. */
uint32_t crm_unicode_lower(uint32_t c) {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x130) return 'i';
        if (c == 0x178) return 0xFF;
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c + 1 : c;
        if (c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F) return c;
        return (c & 1) ? c : c + 1;
    }
    if (c == 0x386) return 0x3AC;
    if (c >= 0x388 && c <= 0x38A) return c + 37;
    if (c == 0x38C) return 0x3CC;
    if (c == 0x38E || c == 0x38F) return c + 63;
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    if (c >= 0x410 && c <= 0x42F) return c + 32;
    if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F)) return (c & 1) ? c : c + 1;
    return c;
}

uint32_t crm_unicode_upper(uint32_t c) {
    if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
    if (c == 0xFF) return 0x178;
    if (c >= 0x100 && c <= 0x17F) {
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c : c - 1;
        if (c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F) return c;
        return (c & 1) ? c - 1 : c;
    }
    if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) return c - 32;
    if (c >= 0x430 && c <= 0x44F) return c - 32;
    if (c >= 0x450 && c <= 0x45F) return c - 80;
    if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F)) return (c & 1) ? c - 1 : c;
    return c;
}

/* White space beyond ASCII: no-break, typographic and ideographic spaces, BOM. */
bool crm_unicode_space(uint32_t c) {
    return c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

char *crm_utf8_lower(crm_arena *ar, const char *s, size_t n) {
    crm_buf b;
    crm_buf_init(&b, ar);
    size_t i = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x80) { crm_buf_putc(&b, crm_lower((char)ch)); i++; continue; }
        uint32_t cp = crm_utf8_next(s, n, &i, NULL);
        char tmp[4];
        size_t k = crm_utf8_put(tmp, crm_unicode_lower(cp));
        crm_buf_put(&b, tmp, k);
    }
    return crm_buf_cstr(&b);
}

/* -------------------------------------------------------------- string set */
static size_t str_hash(const char *k) {
    size_t h = 2166136261u;
    for (; *k; k++) h = (h ^ (unsigned char)*k) * 16777619u;
    return h;
}

int crm_strset_add(crm_ctx *ctx, crm_strset *s, const char *k) {
    if ((s->n + 1) * 2 > s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        const char **nv = crm_arena_alloc(&ctx->arena, nc * sizeof *nv);
        if (nv == NULL) { crm_fail(ctx, CRM_E_NOMEM, NULL, ""); return -1; }
        memset(nv, 0, nc * sizeof *nv);
        for (size_t i = 0; i < s->cap; i++) {
            if (s->v[i] == NULL) continue;
            size_t h = str_hash(s->v[i]) & (nc - 1);
            while (nv[h]) h = (h + 1) & (nc - 1);
            nv[h] = s->v[i];
        }
        s->v = nv;
        s->cap = nc;
    }
    size_t h = str_hash(k) & (s->cap - 1);
    for (; s->v[h]; h = (h + 1) & (s->cap - 1))
        if (strcmp(s->v[h], k) == 0) return 0;
    s->v[h] = k;
    s->n++;
    return 1;
}

bool crm_strset_has(const crm_strset *s, const char *k) {
    if (s->cap == 0) return false;
    for (size_t h = str_hash(k) & (s->cap - 1); s->v[h]; h = (h + 1) & (s->cap - 1))
        if (strcmp(s->v[h], k) == 0) return true;
    return false;
}

/* --------------------------------------------------------- string -> pointer */
void **crm_strmap_slot(crm_ctx *ctx, crm_strmap *m, const char *k) {
    if ((m->n + 1) * 2 > m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 16;
        const char **nk = crm_arena_alloc(&ctx->arena, nc * sizeof *nk);
        void **nv = crm_arena_alloc(&ctx->arena, nc * sizeof *nv);
        if (nk == NULL || nv == NULL) { crm_fail(ctx, CRM_E_NOMEM, NULL, ""); return NULL; }
        memset(nk, 0, nc * sizeof *nk);
        memset(nv, 0, nc * sizeof *nv);
        for (size_t i = 0; i < m->cap; i++) {
            if (m->k[i] == NULL) continue;
            size_t h = str_hash(m->k[i]) & (nc - 1);
            while (nk[h]) h = (h + 1) & (nc - 1);
            nk[h] = m->k[i];
            nv[h] = m->v[i];
        }
        m->k = nk;
        m->v = nv;
        m->cap = nc;
    }
    size_t h = str_hash(k) & (m->cap - 1);
    for (; m->k[h]; h = (h + 1) & (m->cap - 1))
        if (strcmp(m->k[h], k) == 0) return &m->v[h];
    m->k[h] = k;
    m->n++;
    return &m->v[h];
}

void *crm_strmap_get(const crm_strmap *m, const char *k) {
    if (m->cap == 0) return NULL;
    for (size_t h = str_hash(k) & (m->cap - 1); m->k[h]; h = (h + 1) & (m->cap - 1))
        if (strcmp(m->k[h], k) == 0) return m->v[h];
    return NULL;
}
