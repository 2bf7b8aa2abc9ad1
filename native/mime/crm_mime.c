/* native/mime/crm_mime.c: RFC 5322/MIME -> the core's email item. See crm_mime.h. */
#include "crm_mime.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libetpan/libetpan.h>

/* ---------- a bounded byte buffer ---------- */
typedef struct buf {
    char *p;
    size_t n, cap, max;
    bool cut, oom;
} buf;

static void buf_init(buf *b, size_t max) { memset(b, 0, sizeof *b); b->max = max; }

static bool buf_reserve(buf *b, size_t more) {
    if (b->oom) return false;
    if (b->n + more + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + more + 1) cap *= 2;
    char *q = realloc(b->p, cap);
    if (q == NULL) { b->oom = true; return false; }
    b->p = q;
    b->cap = cap;
    return true;
}

/* Appends at most what fits under max; a cut is remembered. UTF-8 boundaries are fixed
 * by buf_finish. */
static void buf_add(buf *b, const char *s, size_t n) {
    if (b->cut || b->oom) return;
    if (b->n + n > b->max) { n = b->max - b->n; b->cut = true; }
    if (n == 0 || !buf_reserve(b, n)) return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void buf_addc(buf *b, char c) { buf_add(b, &c, 1); }

static size_t utf8_len(unsigned char c) {
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return 2;
    if (c >= 0xE0 && c <= 0xEF) return 3;
    if (c >= 0xF0 && c <= 0xF4) return 4;
    return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t utf8_valid_at(const unsigned char *s, size_t n) {
    size_t l = utf8_len(s[0]);
    if (l == 0 || l > n) return 0;
    for (size_t i = 1; i < l; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (l == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0))) return 0;
    if (l == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))) return 0;
    return l;
}

/* Returns the string (owned by the caller); drops a partial UTF-8 sequence left by a cut. */
static char *buf_finish(buf *b) {
    if (b->oom) { free(b->p); return NULL; }
    if (!buf_reserve(b, 0)) { free(b->p); return NULL; }
    if (b->cut) { /* back off to a sequence boundary */
        size_t i = b->n;
        while (i > 0 && (((unsigned char)b->p[i - 1]) & 0xC0) == 0x80) i--;
        if (i > 0 && utf8_valid_at((const unsigned char *)b->p + i - 1, b->n - (i - 1)) == 0) b->n = i - 1;
    }
    b->p[b->n] = '\0';
    return b->p;
}

static const char REPL[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* ---------- charsets ---------- */
/* ASCII case-insensitive equality (no locale is ever set, so strcasecmp is ASCII). */
static bool ieq(const char *a, const char *b) { return strcasecmp(a, b) == 0; }

static bool istarts(const char *s, const char *prefix) {
    for (; *prefix; s++, prefix++) {
        char x = *s, y = *prefix;
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

static bool is_utf8(const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t l = utf8_valid_at((const unsigned char *)s + i, n - i);
        if (l == 0) return false;
        i += l;
    }
    return true;
}

/* UTF-8 in, UTF-8 out: invalid bytes become U+FFFD, NULs are dropped. */
static void add_utf8_clean(buf *b, const char *s, size_t n) {
    size_t i = 0;
    while (i < n && !b->cut && !b->oom) {
        size_t l = utf8_valid_at((const unsigned char *)s + i, n - i);
        if (l == 0) { buf_add(b, REPL, 3); i++; continue; }
        size_t j = i;
        while (j < n && (l = utf8_valid_at((const unsigned char *)s + j, n - j)) != 0 && s[j] != '\0') j += l;
        buf_add(b, s + i, j - i);
        if (j < n && s[j] == '\0') j++;
        i = j;
    }
}

/* Converts through iconv; false when the charset is unknown. */
static bool add_iconv(buf *b, const char *charset, const char *in, size_t n) {
    iconv_t cd = iconv_open("UTF-8", charset);
    if (cd == (iconv_t)-1) return false;
    char tmp[4096];
    char *ip = (char *)(uintptr_t)in; /* iconv's prototype is not const-correct */
    size_t left = n;
    while (left > 0 && !b->cut && !b->oom) {
        char *op = tmp;
        size_t room = sizeof tmp;
        size_t r = iconv(cd, &ip, &left, &op, &room);
        add_utf8_clean(b, tmp, (size_t)(op - tmp));
        if (r == (size_t)-1) {
            if (errno == E2BIG) continue;
            /* EILSEQ / EINVAL: one bad byte becomes U+FFFD */
            buf_add(b, REPL, 3);
            ip++;
            left--;
            iconv(cd, NULL, NULL, NULL, NULL);
        }
    }
    char *op = tmp;
    size_t room = sizeof tmp;
    iconv(cd, NULL, NULL, &op, &room);
    add_utf8_clean(b, tmp, (size_t)(op - tmp));
    iconv_close(cd);
    return true;
}

static void add_charset(buf *b, const char *charset, const char *in, size_t n) {
    bool unlabeled = charset == NULL || charset[0] == '\0' || ieq(charset, "us-ascii") || ieq(charset, "ascii");
    if (unlabeled || ieq(charset, "utf-8") || ieq(charset, "utf8")) {
        if (is_utf8(in, n) || !unlabeled) { add_utf8_clean(b, in, n); return; }
        add_iconv(b, "WINDOWS-1252", in, n); /* unlabeled 8-bit: the usual culprit */
        return;
    }
    /* iso-8859-1 is in practice windows-1252 (as browsers treat it). */
    const char *cs = ieq(charset, "iso-8859-1") || ieq(charset, "latin1") ? "WINDOWS-1252" : charset;
    if (add_iconv(b, cs, in, n)) return;
    if (is_utf8(in, n)) add_utf8_clean(b, in, n);
    else add_iconv(b, "WINDOWS-1252", in, n);
}

char *crm_mime_to_utf8(const char *charset, const char *in, size_t n, size_t max, bool *cut) {
    buf b;
    buf_init(&b, max);
    add_charset(&b, charset, in, n);
    if (cut) *cut = *cut || b.cut;
    return buf_finish(&b);
}

/* ---------- RFC 2047 ---------- */
static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static int b64val(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decodes base64 (lenient: skips what is not in the alphabet) into out; returns bytes. */
static size_t b64_decode(const char *s, size_t n, unsigned char *out) {
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val(s[i]);
        if (v < 0) { if (s[i] == '=') break; continue; }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) { bits -= 8; out[o++] = (unsigned char)((acc >> bits) & 0xFF); }
    }
    return o;
}

/* One encoded word at s (starting "=?"): on success its decoded UTF-8 goes to b and the
 * length consumed is returned; 0 when it is not a well-formed word. */
static size_t encoded_word(buf *b, const char *s, size_t n) {
    if (n < 8 || s[0] != '=' || s[1] != '?') return 0;
    size_t i = 2, cs = 2;
    while (i < n && s[i] != '?' && s[i] != ' ' && i - cs < 64) i++;
    if (i >= n || s[i] != '?' || i == cs) return 0;
    size_t cs_end = i;
    if (i + 2 >= n || s[i + 2] != '?') return 0;
    char enc = s[i + 1];
    if (enc != 'Q' && enc != 'q' && enc != 'B' && enc != 'b') return 0;
    size_t t = i + 3, e = t;
    while (e + 1 < n && !(s[e] == '?' && s[e + 1] == '=')) {
        if (s[e] == ' ' || s[e] == '\t' || s[e] == '\r' || s[e] == '\n') return 0;
        e++;
    }
    if (e + 1 >= n) return 0;
    char charset[65];
    size_t cl = cs_end - cs;
    memcpy(charset, s + cs, cl);
    charset[cl] = '\0';
    char *star = strchr(charset, '*'); /* RFC 2231 language suffix */
    if (star) *star = '\0';
    unsigned char *raw = malloc(e - t + 1);
    if (raw == NULL) { b->oom = true; return e + 2; }
    size_t rn = 0;
    if (enc == 'B' || enc == 'b') rn = b64_decode(s + t, e - t, raw);
    else
        for (size_t k = t; k < e; k++) {
            if (s[k] == '_') raw[rn++] = ' ';
            else if (s[k] == '=' && k + 2 < e + 1 && hexval(s[k + 1]) >= 0 && k + 2 < e && hexval(s[k + 2]) >= 0) {
                raw[rn++] = (unsigned char)(hexval(s[k + 1]) * 16 + hexval(s[k + 2]));
                k += 2;
            } else raw[rn++] = (unsigned char)s[k];
        }
    add_charset(b, charset, (const char *)raw, rn);
    free(raw);
    return e + 2;
}

static void add_words(buf *b, const char *in, size_t n) {
    size_t i = 0;
    bool last_was_word = false;
    size_t pending_ws = 0; /* white space after an encoded word, dropped if another follows */
    const char *ws_at = NULL;
    while (i < n && !b->cut && !b->oom) {
        char c = in[i];
        if (c == '\r' || c == '\n') { i++; continue; } /* unfold */
        if (c == ' ' || c == '\t') {
            if (last_was_word) { if (!pending_ws) ws_at = in + i; pending_ws++; i++; continue; }
            /* collapse folding white space to one space */
            if (b->n == 0 || b->p[b->n - 1] != ' ') buf_addc(b, ' ');
            i++;
            continue;
        }
        if (c == '=' && i + 1 < n && in[i + 1] == '?') {
            buf tmp;
            buf_init(&tmp, b->max);
            size_t used = encoded_word(&tmp, in + i, n - i);
            if (used) {
                pending_ws = 0;
                char *w = buf_finish(&tmp);
                if (w == NULL) { b->oom = true; return; }
                buf_add(b, w, strlen(w));
                free(w);
                last_was_word = true;
                i += used;
                continue;
            }
            free(tmp.p);
        }
        if (pending_ws) { (void)ws_at; buf_addc(b, ' '); pending_ws = 0; }
        last_was_word = false;
        size_t j = i;
        while (j < n && in[j] != ' ' && in[j] != '\t' && in[j] != '\r' && in[j] != '\n' && !(in[j] == '=' && j + 1 < n && in[j + 1] == '?')) j++;
        if (j == i) j = i + 1;
        add_charset(b, NULL, in + i, j - i);
        i = j;
    }
}

char *crm_mime_decode_words(const char *in, size_t n, size_t max, bool *cut) {
    buf b;
    buf_init(&b, max);
    add_words(&b, in, n);
    /* trim */
    char *s = buf_finish(&b);
    if (s == NULL) return NULL;
    if (cut) *cut = *cut || b.cut;
    size_t len = strlen(s), st = 0;
    while (st < len && s[st] == ' ') st++;
    while (len > st && s[len - 1] == ' ') len--;
    memmove(s, s + st, len - st);
    s[len - st] = '\0';
    return s;
}

/* ---------- dates ---------- */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void crm_mime_rfc3339(int64_t t, char out[21]) {
    int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0) { secs += 86400; days--; }
    int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    if (y < 0) y = 0;
    if (y > 9999) y = 9999;
    unsigned v[6] = {(unsigned)y, m, d, (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60), (unsigned)(secs % 60)};
    static const char digits[] = "0123456789";
    char *o = out;
    *o++ = digits[v[0] / 1000 % 10]; *o++ = digits[v[0] / 100 % 10]; *o++ = digits[v[0] / 10 % 10]; *o++ = digits[v[0] % 10];
    for (int k = 1; k < 6; k++) {
        *o++ = k == 1 || k == 2 ? '-' : k == 3 ? 'T' : ':';
        *o++ = digits[v[k] / 10 % 10];
        *o++ = digits[v[k] % 10];
    }
    *o++ = 'Z';
    *o = '\0';
}

static bool date_to_unix(const struct mailimf_date_time *dt, int64_t *out) {
    int y = dt->dt_year;
    if (y >= 0 && y < 50) y += 2000;
    else if (y >= 50 && y < 1000) y += 1900;
    if (y < 1970 || y > 9999 || dt->dt_month < 1 || dt->dt_month > 12 || dt->dt_day < 1 || dt->dt_day > 31 ||
        dt->dt_hour < 0 || dt->dt_hour > 23 || dt->dt_min < 0 || dt->dt_min > 59 || dt->dt_sec < 0 || dt->dt_sec > 60)
        return false;
    int zone = dt->dt_zone, sign = zone < 0 ? -1 : 1, az = zone < 0 ? -zone : zone;
    if (az / 100 > 23 || az % 100 > 59) return false;
    int64_t off = sign * ((int64_t)(az / 100) * 3600 + (int64_t)(az % 100) * 60);
    int sec = dt->dt_sec > 59 ? 59 : dt->dt_sec;
    *out = days_from_civil(y, (unsigned)dt->dt_month, (unsigned)dt->dt_day) * 86400 + dt->dt_hour * 3600 + dt->dt_min * 60 + sec - off;
    return true;
}

/* ---------- the walk ---------- */
typedef struct walk {
    buf text, html;
    cJSON *attachments;
    size_t n_attachments;
    unsigned cut;
    bool oom;
    char item_class[48];
    char calendar_method[16];
    char partstat[16];
    char report_type[32];
} walk;

typedef struct param { const char *name, *value; } param;

/* Collects (name,value) pairs of a part's Content-Type and Content-Disposition. */
static size_t part_params(const struct mailmime *m, param *out, size_t max) {
    size_t n = 0;
    if (m->mm_content_type && m->mm_content_type->ct_parameters)
        for (clistiter *it = clist_begin(m->mm_content_type->ct_parameters); it && n < max; it = clist_next(it)) {
            const struct mailmime_parameter *p = clist_content(it);
            if (p && p->pa_name && p->pa_value) out[n++] = (param){p->pa_name, p->pa_value};
        }
    if (m->mm_mime_fields && m->mm_mime_fields->fld_list)
        for (clistiter *it = clist_begin(m->mm_mime_fields->fld_list); it; it = clist_next(it)) {
            const struct mailmime_field *f = clist_content(it);
            if (f == NULL || f->fld_type != MAILMIME_FIELD_DISPOSITION || f->fld_data.fld_disposition == NULL) continue;
            const struct mailmime_disposition *d = f->fld_data.fld_disposition;
            if (d->dsp_parms == NULL) continue;
            for (clistiter *jt = clist_begin(d->dsp_parms); jt && n < max; jt = clist_next(jt)) {
                const struct mailmime_disposition_parm *p = clist_content(jt);
                if (p == NULL) continue;
                if (p->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME && p->pa_data.pa_filename)
                    out[n++] = (param){"filename", p->pa_data.pa_filename};
                else if (p->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER && p->pa_data.pa_parameter &&
                         p->pa_data.pa_parameter->pa_name && p->pa_data.pa_parameter->pa_value)
                    out[n++] = (param){p->pa_data.pa_parameter->pa_name, p->pa_data.pa_parameter->pa_value};
            }
        }
    return n;
}

/* RFC 2231 value "charset'lang'%xx..." (extended) appended to b, after percent-decoding. */
static void add_2231(buf *raw, const char *v, bool extended) {
    if (!extended) { buf_add(raw, v, strlen(v)); return; }
    for (size_t i = 0; v[i]; i++) {
        if (v[i] == '%' && hexval(v[i + 1]) >= 0 && hexval(v[i + 2]) >= 0) {
            buf_addc(raw, (char)(hexval(v[i + 1]) * 16 + hexval(v[i + 2])));
            i += 2;
        } else buf_addc(raw, v[i]);
    }
}

/* The value of parameter `key` ("filename", "name"), RFC 2231 (continuations, charset) and
 * RFC 2047 (as sent by many clients, though not allowed there) decoded. NULL if absent. */
static char *param_value(const param *ps, size_t n, const char *key, unsigned *cut) {
    size_t kl = strlen(key);
    /* plain or single extended */
    for (size_t i = 0; i < n; i++) {
        if (ieq(ps[i].name, key)) {
            bool c = false;
            char *s = crm_mime_decode_words(ps[i].value, strlen(ps[i].value), CRM_MIME_MAX_HEADER, &c);
            if (c) *cut |= CRM_MIME_CUT_HEADER;
            return s;
        }
    }
    char charset[64] = "";
    buf raw;
    buf_init(&raw, CRM_MIME_MAX_HEADER);
    bool found = false;
    for (unsigned sec = 0; sec < 64; sec++) {
        bool got = false;
        for (size_t i = 0; i < n; i++) {
            const char *nm = ps[i].name;
            if (!istarts(nm, key) || nm[kl] != '*') continue;
            const char *rest = nm + kl + 1;
            bool extended;
            unsigned num = 0;
            if (*rest == '\0') { if (sec != 0) continue; extended = true; }
            else {
                if (*rest < '0' || *rest > '9') continue;
                while (*rest >= '0' && *rest <= '9' && num < 1000) num = num * 10 + (unsigned)(*rest++ - '0');
                if (num != sec) continue;
                extended = *rest == '*';
            }
            const char *v = ps[i].value;
            if (extended && sec == 0) { /* charset'language'value */
                const char *q1 = strchr(v, '\'');
                const char *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
                if (q1 && q2) {
                    size_t cl = (size_t)(q1 - v) < sizeof charset - 1 ? (size_t)(q1 - v) : sizeof charset - 1;
                    memcpy(charset, v, cl);
                    charset[cl] = '\0';
                    v = q2 + 1;
                }
            }
            add_2231(&raw, v, extended);
            got = found = true;
            break;
        }
        if (!got) break;
    }
    if (!found) { free(raw.p); return NULL; }
    char *r = buf_finish(&raw);
    if (r == NULL) return NULL;
    if (raw.cut) *cut |= CRM_MIME_CUT_HEADER;
    bool c = false;
    char *out = crm_mime_to_utf8(charset[0] ? charset : NULL, r, strlen(r), CRM_MIME_MAX_HEADER, &c);
    free(r);
    return out;
}

static const char *ct_param(const struct mailmime *m, const char *name) {
    if (m->mm_content_type == NULL || m->mm_content_type->ct_parameters == NULL) return NULL;
    for (clistiter *it = clist_begin(m->mm_content_type->ct_parameters); it; it = clist_next(it)) {
        const struct mailmime_parameter *p = clist_content(it);
        if (p && p->pa_name && p->pa_value && ieq(p->pa_name, name)) return p->pa_value;
    }
    return NULL;
}

/* "type/subtype", lower case, into out. */
static void mime_type(const struct mailmime *m, char *out, size_t cap) {
    const char *t = "text", *sub = "plain";
    const struct mailmime_content *ct = m->mm_content_type;
    if (ct && ct->ct_type) {
        if (ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE && ct->ct_type->tp_data.tp_discrete_type) {
            const struct mailmime_discrete_type *d = ct->ct_type->tp_data.tp_discrete_type;
            switch (d->dt_type) {
            case MAILMIME_DISCRETE_TYPE_TEXT: t = "text"; break;
            case MAILMIME_DISCRETE_TYPE_IMAGE: t = "image"; break;
            case MAILMIME_DISCRETE_TYPE_AUDIO: t = "audio"; break;
            case MAILMIME_DISCRETE_TYPE_VIDEO: t = "video"; break;
            case MAILMIME_DISCRETE_TYPE_APPLICATION: t = "application"; break;
            case MAILMIME_DISCRETE_TYPE_EXTENSION: t = d->dt_extension ? d->dt_extension : "application"; break;
            case MAILMIME_DISCRETE_TYPE_ERROR: default: t = "application"; break;
            }
        } else if (ct->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE && ct->ct_type->tp_data.tp_composite_type) {
            const struct mailmime_composite_type *c = ct->ct_type->tp_data.tp_composite_type;
            t = c->ct_type == MAILMIME_COMPOSITE_TYPE_MESSAGE ? "message"
                : c->ct_type == MAILMIME_COMPOSITE_TYPE_MULTIPART ? "multipart" : (c->ct_token ? c->ct_token : "application");
        }
        if (ct->ct_subtype) sub = ct->ct_subtype;
    }
    size_t o = 0;
    for (const char *s = t; *s && o + 1 < cap; s++) out[o++] = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
    if (o + 1 < cap) out[o++] = '/';
    for (const char *s = sub; *s && o + 1 < cap; s++) out[o++] = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
    out[o] = '\0';
}

static int disposition(const struct mailmime *m) {
    if (m->mm_mime_fields == NULL || m->mm_mime_fields->fld_list == NULL) return -1;
    for (clistiter *it = clist_begin(m->mm_mime_fields->fld_list); it; it = clist_next(it)) {
        const struct mailmime_field *f = clist_content(it);
        if (f && f->fld_type == MAILMIME_FIELD_DISPOSITION && f->fld_data.fld_disposition && f->fld_data.fld_disposition->dsp_type)
            return f->fld_data.fld_disposition->dsp_type->dsp_type;
    }
    return -1;
}

static int encoding(const struct mailmime *m) {
    if (m->mm_mime_fields == NULL || m->mm_mime_fields->fld_list == NULL) return MAILMIME_MECHANISM_8BIT;
    for (clistiter *it = clist_begin(m->mm_mime_fields->fld_list); it; it = clist_next(it)) {
        const struct mailmime_field *f = clist_content(it);
        if (f && f->fld_type == MAILMIME_FIELD_TRANSFER_ENCODING && f->fld_data.fld_encoding) {
            int t = f->fld_data.fld_encoding->enc_type;
            return t == MAILMIME_MECHANISM_TOKEN || t == MAILMIME_MECHANISM_ERROR ? MAILMIME_MECHANISM_8BIT : t;
        }
    }
    return MAILMIME_MECHANISM_8BIT;
}

/* Decoded bytes of a single part (caller: mmap_string_unref). */
static bool decode_part(const struct mailmime *m, char **out, size_t *n) {
    const struct mailmime_data *d = m->mm_data.mm_single;
    *out = NULL;
    *n = 0;
    if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT || d->dt_data.dt_text.dt_data == NULL) return true;
    size_t idx = 0;
    char *res = NULL;
    size_t rl = 0;
    int enc = d->dt_encoded ? encoding(m) : MAILMIME_MECHANISM_8BIT;
    if (mailmime_part_parse(d->dt_data.dt_text.dt_data, d->dt_data.dt_text.dt_length, &idx, enc, &res, &rl) != MAILIMF_NO_ERROR)
        return false;
    *out = res;
    *n = rl;
    return true;
}

static void calendar_scan(walk *w, const char *s, size_t n) {
    /* METHOD and the first PARTSTAT, from unfolded iCalendar lines */
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && s[e] != '\n') e++;
        size_t len = e - i;
        const char *line = s + i;
        if (len > 7 && istarts(line, "METHOD:") && !w->calendar_method[0]) {
            size_t k = 0;
            for (size_t j = 7; j < len && k + 1 < sizeof w->calendar_method && line[j] != '\r'; j++) w->calendar_method[k++] = line[j];
            w->calendar_method[k] = '\0';
        }
        if (istarts(line, "ATTENDEE") && !w->partstat[0])
            for (size_t j = 0; j + 9 < len; j++)
                if (istarts(line + j, "PARTSTAT=")) {
                    size_t k = 0;
                    for (size_t q = j + 9; q < len && k + 1 < sizeof w->partstat && line[q] != ';' && line[q] != ':' && line[q] != '\r'; q++)
                        w->partstat[k++] = line[q];
                    w->partstat[k] = '\0';
                    break;
                }
        i = e + 1;
    }
}

static void add_attachment(walk *w, const char *id, const char *name, size_t size) {
    if (w->n_attachments >= CRM_MIME_MAX_ATTACHMENTS) { w->cut |= CRM_MIME_CUT_ATTACHMENTS; return; }
    cJSON *a = cJSON_CreateObject();
    if (a == NULL || !cJSON_AddStringToObject(a, "id", id) || !cJSON_AddStringToObject(a, "name", name ? name : "") ||
        !cJSON_AddNumberToObject(a, "size", (double)size)) {
        cJSON_Delete(a);
        w->oom = true;
        return;
    }
    cJSON_AddItemToArray(w->attachments, a);
    w->n_attachments++;
}

static void walk_part(walk *w, const struct mailmime *m, const char *path, bool in_related);

static void walk_message_subject(const struct mailmime *m, char **name) {
    /* name of an attached message: its subject + ".eml" */
    *name = NULL;
    if (m->mm_data.mm_message.mm_fields == NULL) return;
    for (clistiter *it = clist_begin(m->mm_data.mm_message.mm_fields->fld_list); it; it = clist_next(it)) {
        const struct mailimf_field *f = clist_content(it);
        if (f && f->fld_type == MAILIMF_FIELD_SUBJECT && f->fld_data.fld_subject && f->fld_data.fld_subject->sbj_value) {
            char *s = crm_mime_decode_words(f->fld_data.fld_subject->sbj_value, strlen(f->fld_data.fld_subject->sbj_value), 200, NULL);
            if (s && s[0]) {
                size_t l = strlen(s);
                char *r = malloc(l + 5);
                if (r) { memcpy(r, s, l); memcpy(r + l, ".eml", 5); }
                *name = r;
            }
            free(s);
            return;
        }
    }
}

static void walk_part(walk *w, const struct mailmime *m, const char *path, bool in_related) {
    if (w->oom || m == NULL) return;
    char type[96];
    mime_type(m, type, sizeof type);
    if (m->mm_type == MAILMIME_MULTIPLE) {
        if (ieq(type, "multipart/report")) {
            const char *rt = ct_param(m, "report-type");
            if (rt && !w->report_type[0]) {
                size_t k = 0;
                for (; rt[k] && k + 1 < sizeof w->report_type; k++) w->report_type[k] = rt[k];
                w->report_type[k] = '\0';
            }
        }
        bool related = ieq(type, "multipart/related");
        unsigned i = 1;
        if (m->mm_data.mm_multipart.mm_mp_list)
            for (clistiter *it = clist_begin(m->mm_data.mm_multipart.mm_mp_list); it; it = clist_next(it), i++) {
                char sub[256];
                int l = path[0] ? snprintf(sub, sizeof sub, "%s.%u", path, i) : snprintf(sub, sizeof sub, "%u", i);
                if (l < 0 || (size_t)l >= sizeof sub) { w->cut |= CRM_MIME_CUT_STRUCTURE; return; }
                walk_part(w, clist_content(it), sub, related || in_related);
            }
        return;
    }
    const char *id = path[0] ? path : "1";
    param ps[64];
    size_t np = part_params(m, ps, 64);
    char *fname = param_value(ps, np, "filename", &w->cut);
    if (fname == NULL) fname = param_value(ps, np, "name", &w->cut);
    int disp = disposition(m);
    if (m->mm_type == MAILMIME_MESSAGE) {
        /* an attached message (message/rfc822 inside the body): counted, not descended */
        if (fname == NULL) walk_message_subject(m, &fname);
        add_attachment(w, id, fname ? fname : "message.eml", m->mm_length);
        free(fname);
        return;
    }
    bool is_text = ieq(type, "text/plain"), is_html = ieq(type, "text/html");
    bool attachment = disp == MAILMIME_DISPOSITION_TYPE_ATTACHMENT || (fname != NULL && !(is_text || is_html)) ||
                      (fname != NULL && disp != MAILMIME_DISPOSITION_TYPE_INLINE);
    char *data = NULL;
    size_t n = 0;
    if (!decode_part(m, &data, &n)) { free(fname); w->cut |= CRM_MIME_CUT_STRUCTURE; return; }
    if (ieq(type, "text/calendar")) calendar_scan(w, data ? data : "", n);
    if (!attachment && (is_text || is_html)) {
        buf *b = is_text ? &w->text : &w->html;
        if (b->n > 0) buf_addc(b, '\n');
        add_charset(b, ct_param(m, "charset"), data ? data : "", n);
        if (b->cut) w->cut |= CRM_MIME_CUT_BODY;
        if (b->oom) w->oom = true;
    } else if (attachment || (!in_related && !ieq(type, "text/calendar") && !istarts(type, "message/") && !istarts(type, "text/"))) {
        /* named parts, explicit attachments, and unnamed non-text leaves outside
           multipart/related (inline images of an HTML body are not attachments) */
        add_attachment(w, id, fname, n);
    }
    if (data) mmap_string_unref(data);
    free(fname);
}

/* ---------- headers ---------- */
static const char *opt_field(const struct mailimf_fields *f, const char *name) {
    if (f == NULL) return NULL;
    for (clistiter *it = clist_begin(f->fld_list); it; it = clist_next(it)) {
        const struct mailimf_field *x = clist_content(it);
        if (x && x->fld_type == MAILIMF_FIELD_OPTIONAL_FIELD && x->fld_data.fld_optional_field &&
            ieq(x->fld_data.fld_optional_field->fld_name, name))
            return x->fld_data.fld_optional_field->fld_value;
    }
    return NULL;
}

static const struct mailimf_field *std_field(const struct mailimf_fields *f, int type) {
    if (f == NULL) return NULL;
    for (clistiter *it = clist_begin(f->fld_list); it; it = clist_next(it)) {
        const struct mailimf_field *x = clist_content(it);
        if (x && x->fld_type == type) return x;
    }
    return NULL;
}

static bool add_str(cJSON *o, const char *k, const char *v) { return cJSON_AddStringToObject(o, k, v ? v : "") != NULL; }

static cJSON *party(const char *name, const char *addr, unsigned *cut) {
    cJSON *o = cJSON_CreateObject();
    if (o == NULL) return NULL;
    bool c = false;
    char *n = name ? crm_mime_decode_words(name, strlen(name), CRM_MIME_MAX_HEADER, &c) : NULL;
    char *a = addr ? crm_mime_to_utf8(NULL, addr, strlen(addr), 1024, &c) : NULL;
    if (c) *cut |= CRM_MIME_CUT_HEADER;
    bool ok = add_str(o, "name", n ? n : "") && add_str(o, "address", a ? a : "");
    free(n);
    free(a);
    if (!ok) { cJSON_Delete(o); return NULL; }
    return o;
}

/* A lenient reading of an address header libetpan could not parse: the <...> parts, or
 * words containing '@'. */
static void lenient_addresses(cJSON *arr, const char *v, unsigned *cut, bool one) {
    size_t n = strlen(v), count = 0;
    for (size_t i = 0; i < n && count < CRM_MIME_MAX_ADDRESSES;) {
        size_t s = i, e;
        if (v[i] == '<') {
            e = i + 1;
            while (e < n && v[e] != '>') e++;
            s = i + 1;
        } else if (v[i] != ' ' && v[i] != ',' && v[i] != ';' && v[i] != '"') {
            e = i;
            while (e < n && v[e] != ' ' && v[e] != ',' && v[e] != ';' && v[e] != '<' && v[e] != '"') e++;
        } else { i++; continue; }
        if (memchr(v + s, '@', e - s) && e - s < 512) {
            char a[512];
            memcpy(a, v + s, e - s);
            a[e - s] = '\0';
            cJSON *p = party(NULL, a, cut);
            if (p) { cJSON_AddItemToArray(arr, p); count++; }
            if (one) return;
        }
        i = e + 1;
    }
}

static void add_mailbox(cJSON *arr, const struct mailimf_mailbox *mb, unsigned *cut, size_t *count) {
    if (mb == NULL || mb->mb_addr_spec == NULL) return;
    if (*count >= CRM_MIME_MAX_ADDRESSES) { *cut |= CRM_MIME_CUT_ADDRESSES; return; }
    cJSON *p = party(mb->mb_display_name, mb->mb_addr_spec, cut);
    if (p) { cJSON_AddItemToArray(arr, p); (*count)++; }
}

static void add_address_list(cJSON *arr, const struct mailimf_address_list *al, unsigned *cut) {
    size_t count = (size_t)cJSON_GetArraySize(arr);
    if (al == NULL || al->ad_list == NULL) return;
    for (clistiter *it = clist_begin(al->ad_list); it; it = clist_next(it)) {
        const struct mailimf_address *a = clist_content(it);
        if (a == NULL) continue;
        if (a->ad_type == MAILIMF_ADDRESS_MAILBOX) add_mailbox(arr, a->ad_data.ad_mailbox, cut, &count);
        else if (a->ad_type == MAILIMF_ADDRESS_GROUP && a->ad_data.ad_group && a->ad_data.ad_group->grp_mb_list)
            for (clistiter *jt = clist_begin(a->ad_data.ad_group->grp_mb_list->mb_list); jt; jt = clist_next(jt))
                add_mailbox(arr, clist_content(jt), cut, &count);
    }
}

static cJSON *addresses(const struct mailimf_fields *f, int type, const char *name, unsigned *cut) {
    cJSON *arr = cJSON_CreateArray();
    if (arr == NULL || f == NULL) return arr;
    for (clistiter *it = clist_begin(f->fld_list); it; it = clist_next(it)) {
        const struct mailimf_field *x = clist_content(it);
        if (x == NULL) continue;
        if (x->fld_type == type) {
            const struct mailimf_address_list *al = type == MAILIMF_FIELD_TO ? x->fld_data.fld_to->to_addr_list
                                                    : type == MAILIMF_FIELD_CC ? x->fld_data.fld_cc->cc_addr_list
                                                                               : x->fld_data.fld_bcc->bcc_addr_list;
            add_address_list(arr, al, cut);
        } else if (x->fld_type == MAILIMF_FIELD_OPTIONAL_FIELD && x->fld_data.fld_optional_field &&
                   ieq(x->fld_data.fld_optional_field->fld_name, name))
            lenient_addresses(arr, x->fld_data.fld_optional_field->fld_value, cut, false);
    }
    return arr;
}

static char *bracket(const char *id) {
    size_t l = strlen(id);
    if (l > 998) l = 998;
    char *s = malloc(l + 3);
    if (s == NULL) return NULL;
    s[0] = '<';
    memcpy(s + 1, id, l);
    s[l + 1] = '>';
    s[l + 2] = '\0';
    for (size_t i = 1; i <= l; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) s[i] = '_'; /* ids are ASCII without spaces */
    return s;
}

/* Message ids from a raw header value (used where libetpan kept the field unparsed). */
static void lenient_ids(cJSON *arr, const char *v, size_t max) {
    for (const char *p = strchr(v, '<'); p && (size_t)cJSON_GetArraySize(arr) < max; p = strchr(p + 1, '<')) {
        const char *e = strchr(p, '>');
        if (e == NULL || e - p > 998) break;
        char tmp[1000];
        memcpy(tmp, p + 1, (size_t)(e - p - 1));
        tmp[e - p - 1] = '\0';
        char *b = bracket(tmp);
        if (b) { cJSON_AddItemToArray(arr, cJSON_CreateString(b)); free(b); }
        p = e;
    }
}

static const char *const status_names[] = {"OK", "E_NOMEM", "E_PARSE"};
const char *crm_mime_status_str(crm_mime_status st) {
    return (unsigned)st < sizeof status_names / sizeof *status_names ? status_names[st] : "E_UNKNOWN";
}

/* Counts case-insensitive mentions of the constructs libetpan parses recursively. */
static size_t nesting_mentions(const char *raw, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i + 10 <= len; i++) {
        char c = raw[i];
        if ((c == 'm' || c == 'M') && (istarts(raw + i, "multipart/") || (i + 14 <= len && istarts(raw + i, "message/rfc822")))) n++;
    }
    return n;
}

static size_t header_end(const char *raw, size_t len) {
    for (size_t i = 0; i < len; i++) {
        if (raw[i] == '\n' && i + 1 < len && raw[i + 1] == '\n') return i + 2;
        if (raw[i] == '\n' && i + 2 < len && raw[i + 1] == '\r' && raw[i + 2] == '\n') return i + 3;
    }
    return len;
}

crm_mime_status crm_mime_item(const char *raw, size_t len, const crm_mime_meta *meta, cJSON **item, unsigned *truncated) {
    static const crm_mime_meta none = {0};
    if (meta == NULL) meta = &none;
    *item = NULL;
    unsigned cut = 0;
    if (len > CRM_MIME_MAX_INPUT) { len = header_end(raw, CRM_MIME_MAX_INPUT); cut |= CRM_MIME_CUT_INPUT; }
    struct mailmime *mime = NULL;
    struct mailimf_fields *hdr = NULL, *own_hdr = NULL;
    const struct mailmime *body = NULL;
    size_t idx = 0;
    if (nesting_mentions(raw, len) <= CRM_MIME_MAX_NESTING && mailmime_parse(raw, len, &idx, &mime) == MAILIMF_NO_ERROR && mime &&
        mime->mm_type == MAILMIME_MESSAGE) {
        hdr = mime->mm_data.mm_message.mm_fields;
        body = mime->mm_data.mm_message.mm_msg_mime;
    } else {
        if (mime) { mailmime_free(mime); mime = NULL; }
        cut |= CRM_MIME_CUT_STRUCTURE;
        idx = 0;
        size_t he = header_end(raw, len);
        if (mailimf_fields_parse(raw, he, &idx, &own_hdr) != MAILIMF_NO_ERROR) own_hdr = NULL;
        hdr = own_hdr;
    }
    if (hdr == NULL || clist_count(hdr->fld_list) == 0) {
        if (mime) mailmime_free(mime);
        if (own_hdr) mailimf_fields_free(own_hdr);
        return CRM_MIME_E_PARSE;
    }

    walk w;
    memset(&w, 0, sizeof w);
    buf_init(&w.text, CRM_MIME_MAX_BODY);
    buf_init(&w.html, CRM_MIME_MAX_BODY);
    w.attachments = cJSON_CreateArray();
    cJSON *o = cJSON_CreateObject();
    bool ok = o && w.attachments;
    char ctype[96] = "text/plain";
    if (ok && body) {
        mime_type(body, ctype, sizeof ctype);
        walk_part(&w, body, "", false);
    } else if (ok && !mime) {
        /* structure refused: the rest after the header, as text */
        size_t he = header_end(raw, len);
        add_charset(&w.text, NULL, raw + he, len - he);
        if (w.text.cut) w.cut |= CRM_MIME_CUT_BODY;
    }
    cut |= w.cut;
    char *text = buf_finish(&w.text), *html = buf_finish(&w.html);
    ok = ok && !w.oom && text && html;

    /* Message-ID, In-Reply-To, References */
    char *msgid = NULL, *irt = NULL;
    const struct mailimf_field *f;
    if ((f = std_field(hdr, MAILIMF_FIELD_MESSAGE_ID)) && f->fld_data.fld_message_id && f->fld_data.fld_message_id->mid_value)
        msgid = bracket(f->fld_data.fld_message_id->mid_value);
    cJSON *refs = cJSON_CreateArray();
    ok = ok && refs;
    if (ok && (f = std_field(hdr, MAILIMF_FIELD_REFERENCES)) && f->fld_data.fld_references) {
        clist *l = f->fld_data.fld_references->mid_list;
        int total = clist_count(l), i = 0;
        if (total > (int)CRM_MIME_MAX_REFERENCES) cut |= CRM_MIME_CUT_ADDRESSES;
        for (clistiter *it = clist_begin(l); it; it = clist_next(it), i++) {
            /* keep the root (first) and the nearest ancestors (last) */
            if (total > (int)CRM_MIME_MAX_REFERENCES && i != 0 && i < total - (int)CRM_MIME_MAX_REFERENCES + 1) continue;
            char *b = bracket(clist_content(it));
            if (b) { cJSON_AddItemToArray(refs, cJSON_CreateString(b)); free(b); }
        }
    } else if (ok) {
        const char *rv = opt_field(hdr, "References");
        if (rv) lenient_ids(refs, rv, CRM_MIME_MAX_REFERENCES);
    }
    if ((f = std_field(hdr, MAILIMF_FIELD_IN_REPLY_TO)) && f->fld_data.fld_in_reply_to && clist_count(f->fld_data.fld_in_reply_to->mid_list) > 0)
        irt = bracket(clist_content(clist_begin(f->fld_data.fld_in_reply_to->mid_list)));
    if (msgid == NULL && opt_field(hdr, "Message-ID")) {
        cJSON *t = cJSON_CreateArray();
        if (t) { lenient_ids(t, opt_field(hdr, "Message-ID"), 1); if (cJSON_GetArraySize(t)) msgid = strdup(cJSON_GetArrayItem(t, 0)->valuestring); cJSON_Delete(t); }
    }
    /* conversation_id: References root, else In-Reply-To, else Outlook's Thread-Index
       conversation part (first 22 bytes), else the message's own id. docs/mailbox.md */
    char *conv = NULL;
    if (ok && cJSON_GetArraySize(refs) > 0) conv = strdup(cJSON_GetArrayItem(refs, 0)->valuestring);
    else if (irt) conv = strdup(irt);
    else {
        const char *ti = opt_field(hdr, "Thread-Index");
        unsigned char tb[64];
        size_t tl = 0;
        if (ti && strlen(ti) < 80) tl = b64_decode(ti, strlen(ti), tb);
        if (tl >= 22) {
            static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            char enc[64] = "thread-index:";
            size_t o2 = strlen(enc);
            for (size_t i = 0; i < 21; i += 3) {
                unsigned v = (unsigned)tb[i] << 16 | (unsigned)tb[i + 1] << 8 | tb[i + 2];
                enc[o2++] = al[v >> 18 & 63]; enc[o2++] = al[v >> 12 & 63]; enc[o2++] = al[v >> 6 & 63]; enc[o2++] = al[v & 63];
            }
            unsigned v = (unsigned)tb[21] << 16;
            enc[o2++] = al[v >> 18 & 63]; enc[o2++] = al[v >> 12 & 63]; enc[o2++] = '='; enc[o2++] = '=';
            enc[o2] = '\0';
            conv = strdup(enc);
        } else if (msgid) conv = strdup(msgid);
    }

    /* From (Sender when From is missing) */
    cJSON *from = NULL;
    if ((f = std_field(hdr, MAILIMF_FIELD_FROM)) && f->fld_data.fld_from && clist_count(f->fld_data.fld_from->frm_mb_list->mb_list) > 0) {
        const struct mailimf_mailbox *mb = clist_content(clist_begin(f->fld_data.fld_from->frm_mb_list->mb_list));
        if (mb) from = party(mb->mb_display_name, mb->mb_addr_spec, &cut);
    } else if ((f = std_field(hdr, MAILIMF_FIELD_SENDER)) && f->fld_data.fld_sender && f->fld_data.fld_sender->snd_mb) {
        from = party(f->fld_data.fld_sender->snd_mb->mb_display_name, f->fld_data.fld_sender->snd_mb->mb_addr_spec, &cut);
    } else if (opt_field(hdr, "From")) {
        cJSON *t = cJSON_CreateArray();
        if (t) {
            lenient_addresses(t, opt_field(hdr, "From"), &cut, true);
            if (cJSON_GetArraySize(t) > 0) from = cJSON_DetachItemFromArray(t, 0);
            cJSON_Delete(t);
        }
    }
    if (from == NULL) from = party(NULL, NULL, &cut);

    /* Subject */
    char *subject = NULL;
    if ((f = std_field(hdr, MAILIMF_FIELD_SUBJECT)) && f->fld_data.fld_subject && f->fld_data.fld_subject->sbj_value) {
        bool c = false;
        subject = crm_mime_decode_words(f->fld_data.fld_subject->sbj_value, strlen(f->fld_data.fld_subject->sbj_value), CRM_MIME_MAX_HEADER, &c);
        if (c) cut |= CRM_MIME_CUT_HEADER;
    } else if (opt_field(hdr, "Subject")) {
        const char *sv = opt_field(hdr, "Subject");
        bool c = false;
        subject = crm_mime_decode_words(sv, strlen(sv), CRM_MIME_MAX_HEADER, &c);
        if (c) cut |= CRM_MIME_CUT_HEADER;
    }

    /* Date */
    char date[21] = "";
    int64_t t = 0;
    if ((f = std_field(hdr, MAILIMF_FIELD_ORIG_DATE)) && f->fld_data.fld_orig_date && f->fld_data.fld_orig_date->dt_date_time &&
        date_to_unix(f->fld_data.fld_orig_date->dt_date_time, &t))
        crm_mime_rfc3339(t, date);
    else if (meta->fallback_date > 0) crm_mime_rfc3339(meta->fallback_date, date);

    /* item_class, content_type, auto_submitted */
    char item_class[64] = "IPM.Note";
    if (ieq(ctype, "multipart/report")) {
        if (ieq(w.report_type, "disposition-notification")) strcpy(item_class, "REPORT.IPM.Note.IPNRN");
        else if (ieq(w.report_type, "delivery-status")) strcpy(item_class, "REPORT.IPM.Note.NDR");
        else strcpy(item_class, "REPORT.IPM.Note");
    } else if (ieq(w.calendar_method, "REPLY")) {
        strcpy(item_class, ieq(w.partstat, "ACCEPTED") ? "IPM.Schedule.Meeting.Resp.Pos"
                           : ieq(w.partstat, "DECLINED") ? "IPM.Schedule.Meeting.Resp.Neg"
                           : ieq(w.partstat, "TENTATIVE") ? "IPM.Schedule.Meeting.Resp.Tent" : "IPM.Schedule.Meeting.Resp");
    } else if (ieq(w.calendar_method, "REQUEST")) strcpy(item_class, "IPM.Schedule.Meeting.Request");
    else if (ieq(w.calendar_method, "CANCEL")) strcpy(item_class, "IPM.Schedule.Meeting.Canceled");
    char autosub[64] = "";
    const char *as = opt_field(hdr, "Auto-Submitted");
    if (as) {
        size_t k = 0;
        while (*as == ' ' || *as == '\t') as++;
        for (; as[k] && as[k] != ';' && as[k] != ' ' && as[k] != '\r' && as[k] != '\n' && k + 1 < sizeof autosub; k++)
            autosub[k] = (char)(as[k] >= 'A' && as[k] <= 'Z' ? as[k] - 'A' + 'a' : as[k]);
        autosub[k] = '\0';
    } else if (opt_field(hdr, "X-Autoreply") || opt_field(hdr, "X-Autorespond") ||
               (opt_field(hdr, "Precedence") && istarts(opt_field(hdr, "Precedence") + strspn(opt_field(hdr, "Precedence"), " "), "auto_reply")))
        strcpy(autosub, "auto-replied"); /* the de-facto headers of older responders (docs/mailbox.md) */

    if (ok) {
        cJSON *cats = cJSON_CreateArray();
        for (size_t i = 0; cats && i < meta->n_categories; i++)
            if (meta->categories[i]) cJSON_AddItemToArray(cats, cJSON_CreateString(meta->categories[i]));
        ok = cats && add_str(o, "type", "email") && add_str(o, "id", meta->id) && add_str(o, "message_id", msgid) &&
             add_str(o, "conversation_id", conv) && add_str(o, "in_reply_to", irt);
        if (ok) { cJSON_AddItemToObject(o, "references", refs); refs = NULL; }
        if (ok && from) { cJSON_AddItemToObject(o, "from", from); from = NULL; }
        cJSON *to = addresses(hdr, MAILIMF_FIELD_TO, "To", &cut), *cc = addresses(hdr, MAILIMF_FIELD_CC, "Cc", &cut),
              *bcc = addresses(hdr, MAILIMF_FIELD_BCC, "Bcc", &cut);
        ok = ok && to && cc && bcc && cJSON_GetObjectItem(o, "from");
        if (ok) {
            cJSON_AddItemToObject(o, "to", to);
            cJSON_AddItemToObject(o, "cc", cc);
            cJSON_AddItemToObject(o, "bcc", bcc);
        } else { cJSON_Delete(to); cJSON_Delete(cc); cJSON_Delete(bcc); }
        ok = ok && add_str(o, "subject", subject) && add_str(o, "body_text", text) && add_str(o, "body_html", html) &&
             add_str(o, "date", date) && add_str(o, "folder", meta->folder ? meta->folder : "inbox");
        if (ok) cJSON_AddItemToObject(o, "categories", cats);
        else cJSON_Delete(cats);
        ok = ok && cJSON_AddBoolToObject(o, "is_draft", meta->is_draft) && add_str(o, "item_class", item_class) &&
             add_str(o, "content_type", ctype) && add_str(o, "auto_submitted", autosub);
        if (ok) { cJSON_AddItemToObject(o, "attachments", w.attachments); w.attachments = NULL; }
    }
    free(text); free(html); free(msgid); free(irt); free(conv); free(subject);
    cJSON_Delete(refs);
    cJSON_Delete(from);
    cJSON_Delete(w.attachments);
    if (mime) mailmime_free(mime);
    if (own_hdr) mailimf_fields_free(own_hdr);
    if (!ok) { cJSON_Delete(o); return CRM_MIME_E_NOMEM; }
    *item = o;
    if (truncated) *truncated = cut;
    return CRM_MIME_OK;
}
