/* native/mailbox/imap.c: the IMAP connector (libetpan). docs/mailbox.md "IMAP".
 *
 * TLS is ours (GnuTLS, the library libetpan itself is built with on Debian): a mailstream
 * "low driver" over a GnuTLS session that verifies the chain against the system store or
 * ca_file and the host name during the handshake, before any credential is sent. libetpan's
 * own TLS does not verify certificates.
 *
 * Cursor per folder (by IMAP name): UIDVALIDITY, the last UID listed, and HIGHESTMODSEQ
 * when the server has CONDSTORE. A different UIDVALIDITY restarts the folder. */
#include "mailbox_int.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#define SEARCH_BATCH 500u /* UIDs per UID FETCH of metadata */

typedef struct ifolder {
    char *name;     /* as the server spells it (modified UTF-7): used in commands, ids, cursors */
    char *display;  /* UTF-8 */
    char delim;
    const char *kind;
} ifolder;

typedef struct imap {
    mailimap *s;
    char *selected;
    uint32_t sel_uidvalidity;
    uint64_t sel_modseq;
    bool condstore, move, uidplus;
    bool no_logout; /* the stream is unusable (TLS failed mid-STARTTLS, connection lost) */
    ifolder *f;
    size_t nf;
    const char *secret; /* only for scrubbing server texts; not owned */
    char *secret_copy;
} imap;

/* ---------- TLS low driver ---------- */
typedef struct tls_low {
    int fd;
    long timeout_ms;
    gnutls_session_t session;
    gnutls_certificate_credentials_t cred;
} tls_low;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* GNUTLS_E_AGAIN comes both from SO_RCVTIMEO expiring and from post-handshake messages
 * (TLS 1.3 session tickets) that carry no data: retry until the deadline. */
static ssize_t tls_read(mailstream_low *l, void *buf, size_t n) {
    tls_low *t = l->data;
    int64_t deadline = now_ms() + t->timeout_ms;
    ssize_t r;
    do r = gnutls_record_recv(t->session, buf, n);
    while (r == GNUTLS_E_INTERRUPTED || (r == GNUTLS_E_AGAIN && now_ms() < deadline));
    return r < 0 ? -1 : r;
}

static ssize_t tls_write(mailstream_low *l, const void *buf, size_t n) {
    tls_low *t = l->data;
    ssize_t r;
    do r = gnutls_record_send(t->session, buf, n);
    while (r == GNUTLS_E_INTERRUPTED);
    return r < 0 ? -1 : r;
}

static int tls_close(mailstream_low *l) {
    tls_low *t = l->data;
    if (t->fd >= 0) {
        gnutls_bye(t->session, GNUTLS_SHUT_WR);
        close(t->fd);
        t->fd = -1;
    }
    return 0;
}

static int tls_get_fd(mailstream_low *l) { return ((tls_low *)l->data)->fd; }

static void tls_free(mailstream_low *l) {
    tls_low *t = l->data;
    if (t) {
        if (t->fd >= 0) close(t->fd);
        gnutls_deinit(t->session);
        gnutls_certificate_free_credentials(t->cred);
        free(t);
    }
    free(l);
}

static mailstream_low_driver tls_driver = {
    .mailstream_read = tls_read,
    .mailstream_write = tls_write,
    .mailstream_close = tls_close,
    .mailstream_get_fd = tls_get_fd,
    .mailstream_free = tls_free,
};

static bool is_ip(const char *h) {
    unsigned char b[16];
    return inet_pton(AF_INET, h, b) == 1 || inet_pton(AF_INET6, h, b) == 1;
}

/* Handshake on fd with verification; on success a low driver owning fd. */
static crm_mbx_status tls_open(crm_mbx *m, int fd, const char *host, const char *ca_file, mailstream_low **out) {
    *out = NULL;
    tls_low *t = calloc(1, sizeof *t);
    if (t == NULL) { close(fd); return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory"); }
    t->fd = fd;
    t->timeout_ms = m->timeout_ms;
    int r = gnutls_certificate_allocate_credentials(&t->cred);
    if (r >= 0) r = ca_file ? gnutls_certificate_set_x509_trust_file(t->cred, ca_file, GNUTLS_X509_FMT_PEM)
                            : gnutls_certificate_set_x509_system_trust(t->cred);
    if (r <= 0) {
        crm_mbx_status st = mbx_fail(m, CRM_MBX_E_TLS, "no trusted certificates loaded from %.200s", ca_file ? ca_file : "the system store");
        if (t->cred) gnutls_certificate_free_credentials(t->cred);
        close(fd);
        free(t);
        return st;
    }
    gnutls_init(&t->session, GNUTLS_CLIENT);
    gnutls_set_default_priority(t->session);
    gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, t->cred);
    if (!is_ip(host)) gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, host, strlen(host));
    gnutls_session_set_verify_cert(t->session, host, 0);
    gnutls_transport_set_int(t->session, fd);
    gnutls_handshake_set_timeout(t->session, GNUTLS_DEFAULT_HANDSHAKE_TIMEOUT);
    do r = gnutls_handshake(t->session);
    while (r < 0 && gnutls_error_is_fatal(r) == 0);
    if (r < 0) {
        crm_mbx_status st;
        if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
            gnutls_datum_t txt = {0};
            unsigned status = gnutls_session_get_verify_cert_status(t->session);
            gnutls_certificate_verification_status_print(status, gnutls_certificate_type_get(t->session), &txt, 0);
            st = mbx_fail(m, CRM_MBX_E_TLS, "certificate of %.200s not trusted: %.300s", host, txt.data ? (const char *)txt.data : "verification failed");
            gnutls_free(txt.data);
        } else st = mbx_fail(m, CRM_MBX_E_TLS, "TLS handshake with %.200s failed: %s", host, gnutls_strerror(r));
        tls_free(mailstream_low_new(t, &tls_driver));
        return st;
    }
    *out = mailstream_low_new(t, &tls_driver);
    if (*out == NULL) { tls_free(NULL); return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory"); }
    return CRM_MBX_OK;
}

static crm_mbx_status tcp_connect(crm_mbx *m, const char *host, unsigned port, int *fd_out) {
    char ps[16];
    snprintf(ps, sizeof ps, "%u", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int r = getaddrinfo(host, ps, &hints, &res);
    if (r != 0) return mbx_fail(m, CRM_MBX_E_CONNECT, "cannot resolve %.200s: %s", host, gai_strerror(r));
    int fd = -1, err = 0;
    struct timeval tv = {.tv_sec = m->timeout_ms / 1000, .tv_usec = (m->timeout_ms % 1000) * 1000};
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) { err = errno; continue; }
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv); /* also bounds connect() on Linux */
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) { err = errno; close(fd); fd = -1; }
    }
    freeaddrinfo(res);
    if (fd < 0) return mbx_fail(m, CRM_MBX_E_CONNECT, "cannot connect to %.200s:%u: %s", host, port, strerror(err));
    *fd_out = fd;
    return CRM_MBX_OK;
}

/* The server's last response text, with any occurrence of the secret removed. */
static const char *server_text(crm_mbx *m, char *buf, size_t cap) {
    imap *im = m->impl;
    const char *r = im->s && im->s->imap_response ? im->s->imap_response : "";
    snprintf(buf, cap, "%s", r);
    if (im->secret && im->secret[0])
        for (char *p; (p = strstr(buf, im->secret)) != NULL;) {
            size_t l = strlen(im->secret);
            memset(p, '*', l < 3 ? l : 3);
            memmove(p + (l < 3 ? l : 3), p + l, strlen(p + l) + 1);
        }
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20) *p = ' ';
    return buf;
}

static crm_mbx_status imap_err(crm_mbx *m, int r, const char *what) {
    char txt[300];
    if (r == MAILIMAP_ERROR_STREAM) {
        ((imap *)m->impl)->no_logout = true;
        return mbx_fail(m, CRM_MBX_E_CONNECT, "%s: connection lost or timed out", what);
    }
    if (r == MAILIMAP_ERROR_MEMORY) return mbx_fail(m, CRM_MBX_E_NOMEM, "%s: out of memory", what);
    return mbx_fail(m, CRM_MBX_E_PROTOCOL, "%s failed (libetpan %d): %s", what, r, server_text(m, txt, sizeof txt));
}

static void refresh_caps(imap *im) {
    struct mailimap_capability_data *cap = NULL;
    if (mailimap_capability(im->s, &cap) == MAILIMAP_NO_ERROR && cap) mailimap_capability_data_free(cap);
    im->condstore = mailimap_has_condstore(im->s) != 0;
    im->move = mailimap_has_extension(im->s, "MOVE") != 0;
    im->uidplus = mailimap_has_uidplus(im->s) != 0;
}

/* ---------- folders ---------- */
static void put_utf8(char **o, uint32_t cp) {
    char *p = *o;
    if (cp < 0x80) *p++ = (char)cp;
    else if (cp < 0x800) { *p++ = (char)(0xC0 | (cp >> 6)); *p++ = (char)(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) { *p++ = (char)(0xE0 | (cp >> 12)); *p++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *p++ = (char)(0x80 | (cp & 0x3F)); }
    else { *p++ = (char)(0xF0 | (cp >> 18)); *p++ = (char)(0x80 | ((cp >> 12) & 0x3F)); *p++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *p++ = (char)(0x80 | (cp & 0x3F)); }
    *o = p;
}

/* IMAP mailbox names: modified UTF-7 (RFC 3501 5.1.3) -> UTF-8; a malformed name is
 * returned as is. */
static char *mutf7_decode(const char *in) {
    size_t n = strlen(in);
    char *out = malloc(n * 3 + 1), *o = out;
    if (out == NULL) return NULL;
    for (size_t i = 0; i < n;) {
        if (in[i] != '&') { *o++ = in[i++]; continue; }
        if (in[i + 1] == '-') { *o++ = '&'; i += 2; continue; }
        uint32_t acc = 0, hi = 0;
        int bits = 0;
        size_t j = i + 1;
        for (; j < n && in[j] != '-'; j++) {
            char c = in[j];
            int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
                    : c == '+' ? 62 : c == ',' ? 63 : -1;
            if (v < 0) { memcpy(out, in, n + 1); return out; }
            acc = (acc << 6) | (uint32_t)v;
            bits += 6;
            if (bits >= 16) {
                bits -= 16;
                uint32_t u = (acc >> bits) & 0xFFFF;
                if (u >= 0xD800 && u < 0xDC00) hi = u;
                else if (u >= 0xDC00 && u < 0xE000 && hi) { put_utf8(&o, 0x10000 + ((hi - 0xD800) << 10) + (u - 0xDC00)); hi = 0; }
                else { put_utf8(&o, u); hi = 0; }
            }
        }
        if (j >= n) { memcpy(out, in, n + 1); return out; }
        i = j + 1;
    }
    *o = '\0';
    return out;
}

static void free_folders(imap *im) {
    for (size_t i = 0; i < im->nf; i++) { free(im->f[i].name); free(im->f[i].display); }
    free(im->f);
    im->f = NULL;
    im->nf = 0;
}

static crm_mbx_status list_folders(crm_mbx *m) {
    imap *im = m->impl;
    clist *res = NULL;
    int r = mailimap_list(im->s, "", "*", &res);
    if (r != MAILIMAP_NO_ERROR) return imap_err(m, r, "LIST");
    free_folders(im);
    im->f = calloc((size_t)clist_count(res) + 1, sizeof *im->f);
    if (im->f == NULL) { mailimap_list_result_free(res); return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory"); }
    for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
        struct mailimap_mailbox_list *mb = clist_content(it);
        if (mb == NULL || mb->mb_name == NULL) continue;
        char attrs[256] = "";
        bool noselect = false;
        if (mb->mb_flag) {
            if (mb->mb_flag->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG && mb->mb_flag->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT) noselect = true;
            for (clistiter *jt = clist_begin(mb->mb_flag->mbf_oflags); jt; jt = clist_next(jt)) {
                struct mailimap_mbx_list_oflag *of = clist_content(jt);
                if (of && of->of_type == MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT && of->of_flag_ext) {
                    size_t l = strlen(attrs);
                    snprintf(attrs + l, sizeof attrs - l, "\\%s ", of->of_flag_ext);
                    if (strcasecmp(of->of_flag_ext, "NonExistent") == 0) noselect = true;
                }
            }
        }
        if (noselect) continue;
        ifolder *f = &im->f[im->nf];
        f->name = strdup(mb->mb_name);
        f->display = mutf7_decode(mb->mb_name);
        if (f->name == NULL || f->display == NULL) {
            free(f->name);
            free(f->display);
            mailimap_list_result_free(res);
            return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
        }
        f->delim = mb->mb_delimiter;
        f->kind = crm_mbx_folder_kind(f->display, f->delim, attrs);
        im->nf++;
    }
    mailimap_list_result_free(res);
    return CRM_MBX_OK;
}

static crm_mbx_status select_folder(crm_mbx *m, const char *name) {
    imap *im = m->impl;
    if (im->selected && strcmp(im->selected, name) == 0) return CRM_MBX_OK;
    free(im->selected);
    im->selected = NULL;
    uint64_t modseq = 0;
    int r = im->condstore ? mailimap_select_condstore(im->s, name, &modseq) : mailimap_select(im->s, name);
    if (r != MAILIMAP_NO_ERROR) {
        crm_mbx_status st = imap_err(m, r, "SELECT");
        if (st == CRM_MBX_E_PROTOCOL) st = mbx_fail(m, CRM_MBX_E_NOT_FOUND, "cannot select folder '%.200s': %.200s", name, m->err);
        return st;
    }
    im->selected = strdup(name);
    if (im->selected == NULL) return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    im->sel_uidvalidity = im->s->imap_selection_info ? im->s->imap_selection_info->sel_uidvalidity : 0;
    im->sel_modseq = modseq;
    return CRM_MBX_OK;
}

/* ---------- message attributes ---------- */
typedef struct matt {
    uint32_t uid, size;
    uint64_t modseq;
    char *kws[64];
    size_t nkw;
    bool draft;
    const char *body;
    size_t body_len;
    int64_t internal;
} matt;

static int64_t imap_date(const struct mailimap_date_time *d) {
    static const int cum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    if (d == NULL || d->dt_month < 1 || d->dt_month > 12 || d->dt_year < 1970) return 0;
    int64_t y = d->dt_year, days = (y - 1970) * 365 + ((y - 1969) / 4) - ((y - 1901) / 100) + ((y - 1601) / 400) +
                               cum[d->dt_month - 1] + d->dt_day - 1;
    if (d->dt_month > 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) days++;
    int z = d->dt_zone, az = z < 0 ? -z : z;
    int64_t off = (z < 0 ? -1 : 1) * ((az / 100) * 3600 + (az % 100) * 60);
    return days * 86400 + d->dt_hour * 3600 + d->dt_min * 60 + d->dt_sec - off;
}

static void read_att(const struct mailimap_msg_att *ma, matt *a) {
    memset(a, 0, sizeof *a);
    for (clistiter *it = clist_begin(ma->att_list); it; it = clist_next(it)) {
        const struct mailimap_msg_att_item *x = clist_content(it);
        if (x == NULL) continue;
        if (x->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC && x->att_data.att_dyn && x->att_data.att_dyn->att_list) {
            for (clistiter *jt = clist_begin(x->att_data.att_dyn->att_list); jt; jt = clist_next(jt)) {
                const struct mailimap_flag_fetch *ff = clist_content(jt);
                if (ff == NULL || ff->fl_flag == NULL) continue;
                if (ff->fl_flag->fl_type == MAILIMAP_FLAG_DRAFT) a->draft = true;
                if (ff->fl_flag->fl_type == MAILIMAP_FLAG_KEYWORD && ff->fl_flag->fl_data.fl_keyword && a->nkw < 64)
                    a->kws[a->nkw++] = ff->fl_flag->fl_data.fl_keyword;
            }
        } else if (x->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC && x->att_data.att_static) {
            const struct mailimap_msg_att_static *s = x->att_data.att_static;
            switch (s->att_type) {
            case MAILIMAP_MSG_ATT_UID: a->uid = s->att_data.att_uid; break;
            case MAILIMAP_MSG_ATT_RFC822_SIZE: a->size = s->att_data.att_rfc822_size; break;
            case MAILIMAP_MSG_ATT_INTERNALDATE: a->internal = imap_date(s->att_data.att_internal_date); break;
            case MAILIMAP_MSG_ATT_BODY_SECTION:
                if (s->att_data.att_body_section) {
                    a->body = s->att_data.att_body_section->sec_body_part;
                    a->body_len = s->att_data.att_body_section->sec_length;
                }
                break;
            case MAILIMAP_MSG_ATT_ERROR: case MAILIMAP_MSG_ATT_ENVELOPE: case MAILIMAP_MSG_ATT_RFC822:
            case MAILIMAP_MSG_ATT_RFC822_HEADER: case MAILIMAP_MSG_ATT_RFC822_TEXT: case MAILIMAP_MSG_ATT_BODY:
            case MAILIMAP_MSG_ATT_BODYSTRUCTURE: default: break;
            }
        } else if (x->att_type == MAILIMAP_MSG_ATT_ITEM_EXTENSION && x->att_data.att_extension_data) {
            const struct mailimap_extension_data *e = x->att_data.att_extension_data;
            if (e->ext_extension == &mailimap_extension_condstore && e->ext_type == MAILIMAP_CONDSTORE_TYPE_FETCH_DATA && e->ext_data)
                a->modseq = ((const struct mailimap_condstore_fetch_mod_resp *)e->ext_data)->cs_modseq_value;
        }
    }
}

static struct mailimap_fetch_type *meta_fetch(bool modseq) {
    struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
    if (ft == NULL) return NULL;
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_flags());
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
    if (modseq) mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_modseq());
    return ft;
}

/* "uidvalidity:uid:folder" */
static char *make_id(uint32_t uv, uint32_t uid, const char *folder) {
    size_t l = strlen(folder) + 32;
    char *s = malloc(l);
    if (s) snprintf(s, l, "%u:%u:%s", uv, uid, folder);
    return s;
}

static bool parse_id(const char *id, uint32_t *uv, uint32_t *uid, const char **folder) {
    char *e;
    unsigned long a = strtoul(id, &e, 10);
    if (*e != ':') return false;
    unsigned long b = strtoul(e + 1, &e, 10);
    if (*e != ':' || a > UINT32_MAX || b == 0 || b > UINT32_MAX) return false;
    *uv = (uint32_t)a;
    *uid = (uint32_t)b;
    *folder = e + 1;
    return true;
}

static uint64_t num_of(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsString(v)) return strtoull(v->valuestring, NULL, 10);
    return 0;
}

static int u32cmp(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* ---------- listing ---------- */
static crm_mbx_status list_folder(crm_mbx *m, const ifolder *f, const cJSON *old, size_t *budget, bool limited,
                                  crm_mbx_changes *out, size_t *cap, cJSON *ncur) {
    imap *im = m->impl;
    crm_mbx_status st = select_folder(m, f->name);
    if (st != CRM_MBX_OK) return st;
    uint32_t uv = im->sel_uidvalidity, last = 0;
    uint64_t modseq = 0;
    if (cJSON_IsObject(old)) {
        if ((uint32_t)num_of(old, "uidvalidity") == uv) {
            last = (uint32_t)num_of(old, "uid");
            modseq = num_of(old, "modseq");
        } else out->folders_reset++;
    }
    /* 1. flag/keyword changes of items already listed (CONDSTORE): all of them */
    if (im->condstore && modseq > 0 && last > 0 && im->sel_modseq > modseq) {
        struct mailimap_set *set = mailimap_set_new_interval(1, last);
        struct mailimap_fetch_type *ft = meta_fetch(true);
        clist *res = NULL;
        int r = set && ft ? mailimap_uid_fetch_changedsince(im->s, set, ft, modseq, &res) : MAILIMAP_ERROR_MEMORY;
        if (ft) mailimap_fetch_type_free(ft);
        if (set) mailimap_set_free(set);
        if (r != MAILIMAP_NO_ERROR) return imap_err(m, r, "UID FETCH CHANGEDSINCE");
        for (clistiter *it = clist_begin(res); it && st == CRM_MBX_OK; it = clist_next(it)) {
            matt a;
            read_att(clist_content(it), &a);
            if (a.uid == 0 || a.uid > last) continue;
            char *id = make_id(uv, a.uid, f->name);
            st = id ? mbx_add_change(m, out, cap, id, f->kind, f->display, CRM_MBX_CHANGED, a.size) : mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
            free(id);
            if (*budget > 0) (*budget)--;
        }
        mailimap_fetch_list_free(res);
        if (st != CRM_MBX_OK) return st;
    }
    /* 2. new UIDs, in batches */
    bool cut = false;
    uint32_t new_last = last;
    if (!(limited && *budget == 0)) {
        struct mailimap_set *set = mailimap_set_new_interval(last + 1, 0);
        struct mailimap_search_key *key = set ? mailimap_search_key_new_uid(set) : NULL;
        clist *res = NULL;
        int r = key ? mailimap_uid_search(im->s, NULL, key, &res) : MAILIMAP_ERROR_MEMORY;
        if (key) mailimap_search_key_free(key);
        else if (set) mailimap_set_free(set);
        if (r != MAILIMAP_NO_ERROR) return imap_err(m, r, "UID SEARCH");
        size_t n = 0;
        uint32_t *uids = malloc(((size_t)clist_count(res) + 1) * sizeof *uids);
        if (uids == NULL) { mailimap_search_result_free(res); return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory"); }
        for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
            uint32_t *u = clist_content(it);
            if (u && *u > last) uids[n++] = *u; /* "last+1:*" also matches the highest UID when it is <= last */
        }
        mailimap_search_result_free(res);
        qsort(uids, n, sizeof *uids, u32cmp);
        if (limited && n > *budget) { n = *budget; cut = true; }
        for (size_t i = 0; i < n && st == CRM_MBX_OK; i += SEARCH_BATCH) {
            size_t e = i + SEARCH_BATCH < n ? i + SEARCH_BATCH : n;
            struct mailimap_set *bs = mailimap_set_new_empty();
            for (size_t k = i; bs && k < e; k++) mailimap_set_add_single(bs, uids[k]);
            struct mailimap_fetch_type *ft = meta_fetch(false);
            clist *fr = NULL;
            r = bs && ft ? mailimap_uid_fetch(im->s, bs, ft, &fr) : MAILIMAP_ERROR_MEMORY;
            if (ft) mailimap_fetch_type_free(ft);
            if (bs) mailimap_set_free(bs);
            if (r != MAILIMAP_NO_ERROR) { st = imap_err(m, r, "UID FETCH"); break; }
            /* the answer's order is the server's: report in UID order */
            size_t nb = e - i;
            uint32_t *sizes = calloc(nb, sizeof *sizes);
            bool *seen = calloc(nb, sizeof *seen);
            for (clistiter *it = clist_begin(fr); sizes && seen && it; it = clist_next(it)) {
                matt a;
                read_att(clist_content(it), &a);
                uint32_t *hit = bsearch(&a.uid, uids + i, nb, sizeof *uids, u32cmp);
                if (hit) { sizes[hit - (uids + i)] = a.size; seen[hit - (uids + i)] = true; }
            }
            mailimap_fetch_list_free(fr);
            for (size_t k = 0; sizes && seen && k < nb && st == CRM_MBX_OK; k++) {
                if (!seen[k]) continue; /* expunged meanwhile */
                char *id = make_id(uv, uids[i + k], f->name);
                st = id ? mbx_add_change(m, out, cap, id, f->kind, f->display, CRM_MBX_NEW, sizes[k]) : mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
                free(id);
            }
            if (sizes == NULL || seen == NULL) st = mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
            free(sizes);
            free(seen);
            if (st == CRM_MBX_OK) new_last = uids[e - 1];
        }
        free(uids);
        if (st != CRM_MBX_OK) return st;
        if (limited) *budget -= n;
    } else cut = true;
    if (cut) out->more = true;
    cJSON *o = cJSON_CreateObject();
    char num[32];
    if (o == NULL) return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    snprintf(num, sizeof num, "%u", uv);
    cJSON_AddStringToObject(o, "uidvalidity", num);
    snprintf(num, sizeof num, "%u", new_last);
    cJSON_AddStringToObject(o, "uid", num);
    /* HIGHESTMODSEQ as of SELECT: later changes have larger modseqs and are seen next time */
    snprintf(num, sizeof num, "%llu", (unsigned long long)(im->condstore ? im->sel_modseq : 0));
    cJSON_AddStringToObject(o, "modseq", num);
    cJSON_AddItemToObject(ncur, f->name, o);
    return CRM_MBX_OK;
}

static crm_mbx_status im_list(crm_mbx *m, const cJSON *cur, size_t limit, crm_mbx_changes *out, cJSON *ncur) {
    imap *im = m->impl;
    crm_mbx_status st = list_folders(m);
    if (st != CRM_MBX_OK) return st;
    size_t budget = limit, cap = 0;
    for (size_t i = 0; i < im->nf && st == CRM_MBX_OK; i++) {
        const ifolder *f = &im->f[i];
        if (!mbx_wants(m, f->kind)) continue;
        const cJSON *old = cur ? cJSON_GetObjectItemCaseSensitive(cur, f->name) : NULL;
        if (limit && budget == 0) { /* not visited: keep its state */
            out->more = true;
            if (old) cJSON_AddItemToObject(ncur, f->name, cJSON_Duplicate(old, true));
            continue;
        }
        st = list_folder(m, f, old, &budget, limit > 0, out, &cap, ncur);
    }
    return st;
}

/* ---------- fetch / mark / move ---------- */
static crm_mbx_status select_item(crm_mbx *m, const char *id, uint32_t *uid, const char **fname, const char **kind) {
    imap *im = m->impl;
    uint32_t uv;
    if (!parse_id(id, &uv, uid, fname)) return mbx_fail(m, CRM_MBX_E_NOT_FOUND, "'%.200s' is not an IMAP item id", id);
    crm_mbx_status st = select_folder(m, *fname);
    if (st != CRM_MBX_OK) return st;
    if (im->sel_uidvalidity != uv) return mbx_fail(m, CRM_MBX_E_NOT_FOUND, "folder '%.200s' changed UIDVALIDITY: item %.200s is gone", *fname, id);
    *kind = NULL;
    for (size_t i = 0; i < im->nf && !*kind; i++)
        if (strcmp(im->f[i].name, *fname) == 0) *kind = im->f[i].kind;
    if (*kind == NULL) *kind = crm_mbx_folder_kind(*fname, '/', NULL);
    return CRM_MBX_OK;
}

#define FETCH_BATCH 50u                  /* bodies per UID FETCH */
#define FETCH_BATCH_BYTES (16u << 20)     /* and at most this much per command (one bigger item goes alone) */

static struct mailimap_fetch_type *body_fetch(void) {
    struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
    if (ft == NULL) return NULL;
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_flags());
    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_internaldate());
    mailimap_fetch_type_new_fetch_att_list_add(
        ft, mailimap_fetch_att_new_body_peek_section_partial(mailimap_section_new(NULL), 0, CRM_MIME_MAX_INPUT + 1));
    return ft;
}

/* Fetches items [i0, i1) of one folder (already selected): sizes first, then bodies in
 * commands bounded by FETCH_BATCH and FETCH_BATCH_BYTES. */
static crm_mbx_status fetch_group(crm_mbx *m, const char *const *ids, const uint32_t *uids, size_t i0, size_t i1, const char *kind,
                                  bool keep_raw, crm_mbx_item **out, crm_mbx_status *sts) {
    imap *im = m->impl;
    size_t g = i1 - i0;
    uint32_t *size = calloc(g + 1, sizeof *size);
    bool *exists = calloc(g + 1, sizeof *exists);
    if (size == NULL || exists == NULL) { free(size); free(exists); return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory"); }
    struct mailimap_set *set = mailimap_set_new_empty();
    for (size_t k = 0; set && k < g; k++)
        if (uids[i0 + k]) mailimap_set_add_single(set, uids[i0 + k]);
    struct mailimap_fetch_type *ft = meta_fetch(false);
    clist *res = NULL;
    int r = set && ft ? mailimap_uid_fetch(im->s, set, ft, &res) : MAILIMAP_ERROR_MEMORY;
    if (ft) mailimap_fetch_type_free(ft);
    if (set) mailimap_set_free(set);
    if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_ERROR_FETCH) { free(size); free(exists); return imap_err(m, r, "UID FETCH RFC822.SIZE"); }
    for (clistiter *it = clist_begin(res); it; it = clist_next(it)) {
        matt a;
        read_att(clist_content(it), &a);
        for (size_t k = 0; k < g; k++)
            if (uids[i0 + k] == a.uid && a.uid) { size[k] = a.size; exists[k] = true; }
    }
    if (res) mailimap_fetch_list_free(res);
    crm_mbx_status st = CRM_MBX_OK;
    for (size_t k = 0; k < g && st == CRM_MBX_OK;) {
        size_t start = k, bytes = 0, cnt = 0;
        set = mailimap_set_new_empty();
        for (; k < g && cnt < FETCH_BATCH; k++) {
            if (!exists[k]) continue;
            if (cnt > 0 && bytes + size[k] > FETCH_BATCH_BYTES) break;
            bytes += size[k];
            cnt++;
            if (set) mailimap_set_add_single(set, uids[i0 + k]);
        }
        if (cnt == 0) { if (set) mailimap_set_free(set); continue; }
        ft = body_fetch();
        res = NULL;
        r = set && ft ? mailimap_uid_fetch(im->s, set, ft, &res) : MAILIMAP_ERROR_MEMORY;
        if (ft) mailimap_fetch_type_free(ft);
        if (set) mailimap_set_free(set);
        if (r != MAILIMAP_NO_ERROR) { st = imap_err(m, r, "UID FETCH BODY.PEEK[]"); break; }
        for (clistiter *it = clist_begin(res); it && st == CRM_MBX_OK; it = clist_next(it)) {
            matt a;
            read_att(clist_content(it), &a);
            if (a.uid == 0 || a.body == NULL) continue;
            for (size_t q = start; q < k && st == CRM_MBX_OK; q++) {
                if (uids[i0 + q] != a.uid || !exists[q] || out[i0 + q]->item) continue;
                char *raw = malloc(a.body_len + 1);
                if (raw == NULL) { st = mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory"); break; }
                memcpy(raw, a.body, a.body_len);
                raw[a.body_len] = '\0';
                sts[i0 + q] = mbx_make_item(m, raw, a.body_len, keep_raw, ids[i0 + q], kind, a.kws, a.nkw, a.draft, a.internal, out[i0 + q]);
                if (sts[i0 + q] == CRM_MBX_E_NOMEM) st = CRM_MBX_E_NOMEM;
            }
        }
        mailimap_fetch_list_free(res);
    }
    for (size_t k = 0; k < g; k++)
        if (sts[i0 + k] == CRM_MBX_OK && out[i0 + k]->item == NULL) {
            sts[i0 + k] = st != CRM_MBX_OK ? st : CRM_MBX_E_NOT_FOUND;
            if (st == CRM_MBX_OK) mbx_fail(m, CRM_MBX_E_NOT_FOUND, "item %.200s is no longer on the server", ids[i0 + k]);
        }
    free(size);
    free(exists);
    return st;
}

static crm_mbx_status im_fetch_batch(crm_mbx *m, const char *const *ids, size_t n, bool keep_raw, crm_mbx_item **out,
                                     crm_mbx_status *sts) {
    imap *im = m->impl;
    if (im->nf == 0) { crm_mbx_status st0 = list_folders(m); if (st0 != CRM_MBX_OK) return st0; }
    uint32_t *uids = calloc(n + 1, sizeof *uids);
    if (uids == NULL) return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    crm_mbx_status st = CRM_MBX_OK;
    for (size_t i = 0; i < n && st == CRM_MBX_OK;) {
        const char *fname, *kind;
        uint32_t uid;
        sts[i] = select_item(m, ids[i], &uid, &fname, &kind);
        if (sts[i] == CRM_MBX_E_CONNECT || sts[i] == CRM_MBX_E_NOMEM) { st = sts[i]; break; }
        if (sts[i] != CRM_MBX_OK) { i++; continue; }
        /* the run of ids in this folder */
        size_t j = i;
        size_t flen = strlen(fname);
        for (; j < n; j++) {
            uint32_t uv, u;
            const char *f;
            if (!parse_id(ids[j], &uv, &u, &f) || strlen(f) != flen || memcmp(f, fname, flen) != 0) break;
            if (j > i) sts[j] = uv == im->sel_uidvalidity ? CRM_MBX_OK : mbx_fail(m, CRM_MBX_E_NOT_FOUND, "item %.200s: UIDVALIDITY changed", ids[j]);
            uids[j] = sts[j] == CRM_MBX_OK ? u : 0;
        }
        st = fetch_group(m, ids, uids, i, j, kind, keep_raw, out, sts);
        i = j;
    }
    free(uids);
    return st;
}

static crm_mbx_status im_fetch(crm_mbx *m, const char *id, bool keep_raw, crm_mbx_item *out) {
    crm_mbx_status one = CRM_MBX_OK;
    crm_mbx_status st = im_fetch_batch(m, &id, 1, keep_raw, &out, &one);
    return st != CRM_MBX_OK ? st : one;
}

static bool perm_allows(const imap *im, const char *kw) {
    const struct mailimap_selection_info *si = im->s->imap_selection_info;
    if (si == NULL || si->sel_perm_flags == NULL) return false;
    for (clistiter *it = clist_begin(si->sel_perm_flags); it; it = clist_next(it)) {
        const struct mailimap_flag_perm *p = clist_content(it);
        if (p == NULL) continue;
        if (p->fl_type == MAILIMAP_FLAG_PERM_ALL) return true;
        if (p->fl_type == MAILIMAP_FLAG_PERM_FLAG && p->fl_flag && p->fl_flag->fl_type == MAILIMAP_FLAG_KEYWORD &&
            p->fl_flag->fl_data.fl_keyword && strcmp(p->fl_flag->fl_data.fl_keyword, kw) == 0)
            return true;
    }
    return false;
}

static crm_mbx_status im_mark(crm_mbx *m, const char *id, const char *keyword, const char *category) {
    imap *im = m->impl;
    uint32_t uid;
    const char *fname, *kind;
    crm_mbx_status st = select_item(m, id, &uid, &fname, &kind);
    if (st != CRM_MBX_OK) return st;
    if (!perm_allows(im, keyword))
        return mbx_fail(m, CRM_MBX_E_NO_CATEGORIES, "folder '%.200s' does not keep new keywords (PERMANENTFLAGS has no \\*): '%.100s' goes to the ledger", fname, category);
    struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
    char *k = strdup(keyword);
    struct mailimap_flag *flag = k ? mailimap_flag_new_flag_keyword(k) : NULL;
    if (flag == NULL) free(k);
    if (fl && flag) mailimap_flag_list_add(fl, flag);
    else if (flag) mailimap_flag_free(flag);
    struct mailimap_store_att_flags *sa = fl && flag ? mailimap_store_att_flags_new_add_flags_silent(fl) : NULL;
    if (sa == NULL && fl) mailimap_flag_list_free(fl);
    struct mailimap_set *set = mailimap_set_new_single(uid);
    int r = sa && set ? mailimap_uid_store(im->s, set, sa) : MAILIMAP_ERROR_MEMORY;
    if (sa) mailimap_store_att_flags_free(sa);
    if (set) mailimap_set_free(set);
    return r == MAILIMAP_NO_ERROR ? CRM_MBX_OK : imap_err(m, r, "UID STORE +FLAGS");
}

static crm_mbx_status im_move(crm_mbx *m, const char *id, const char *folder, char **new_id) {
    imap *im = m->impl;
    crm_mbx_status st = list_folders(m);
    if (st != CRM_MBX_OK) return st;
    const char *core = mbx_core_name(folder), *target = NULL;
    for (size_t i = 0; i < im->nf && !target; i++)
        if (core ? strcmp(im->f[i].kind, core) == 0 : strcmp(im->f[i].name, folder) == 0 || strcmp(im->f[i].display, folder) == 0)
            target = im->f[i].name;
    if (target == NULL) return mbx_fail(m, CRM_MBX_E_NOT_FOUND, "no folder '%.200s' on the server", folder);
    uint32_t uid;
    const char *fname, *kind;
    if ((st = select_item(m, id, &uid, &fname, &kind)) != CRM_MBX_OK) return st;
    if (strcmp(fname, target) == 0) { if (new_id) *new_id = strdup(id); return CRM_MBX_OK; }
    struct mailimap_set *set = mailimap_set_new_single(uid);
    if (set == NULL) return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    uint32_t dst_uv = 0;
    struct mailimap_set *src = NULL, *dst = NULL;
    int r;
    if (im->move) {
        r = im->uidplus ? mailimap_uidplus_uid_move(im->s, set, target, &dst_uv, &src, &dst) : mailimap_uid_move(im->s, set, target);
    } else {
        /* COPY, then \Deleted and (with UIDPLUS) UID EXPUNGE of just this UID. Without
           UIDPLUS the original stays flagged \Deleted: a plain EXPUNGE would also remove
           what the user had marked deleted. */
        r = im->uidplus ? mailimap_uidplus_uid_copy(im->s, set, target, &dst_uv, &src, &dst) : mailimap_uid_copy(im->s, set, target);
        if (r == MAILIMAP_NO_ERROR) {
            struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
            if (fl) mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
            struct mailimap_store_att_flags *sa = fl ? mailimap_store_att_flags_new_add_flags_silent(fl) : NULL;
            r = sa ? mailimap_uid_store(im->s, set, sa) : MAILIMAP_ERROR_MEMORY;
            if (sa) mailimap_store_att_flags_free(sa);
            if (r == MAILIMAP_NO_ERROR && im->uidplus) r = mailimap_uid_expunge(im->s, set);
        }
    }
    mailimap_set_free(set);
    if (r != MAILIMAP_NO_ERROR) {
        if (src) mailimap_set_free(src);
        if (dst) mailimap_set_free(dst);
        return imap_err(m, r, im->move ? "UID MOVE" : "UID COPY");
    }
    if (new_id && dst && dst_uv && clist_count(dst->set_list) > 0) {
        const struct mailimap_set_item *si = clist_content(clist_begin(dst->set_list));
        if (si) *new_id = make_id(dst_uv, si->set_first, target);
    }
    if (src) mailimap_set_free(src);
    if (dst) mailimap_set_free(dst);
    return CRM_MBX_OK;
}

static void im_close(crm_mbx *m) {
    imap *im = m->impl;
    if (im == NULL) return;
    if (im->s) {
        if (im->s->imap_stream && !im->no_logout) mailimap_logout(im->s);
        mailimap_free(im->s);
    }
    free_folders(im);
    free(im->selected);
    if (im->secret_copy) {
        memset(im->secret_copy, 0, strlen(im->secret_copy));
        free(im->secret_copy);
    }
    free(im);
    m->impl = NULL;
}

static const mbx_ops imap_ops = {im_list, im_fetch, im_mark, im_move, im_close, im_fetch_batch};

crm_mbx_status mbx_imap_open(crm_mbx *m, const crm_mbx_config *cfg) {
    m->ops = &imap_ops;
    if (cfg->host == NULL || cfg->host[0] == '\0') return mbx_fail(m, CRM_MBX_E_CONFIG, "IMAP: no host");
    if (cfg->user == NULL || cfg->user[0] == '\0') return mbx_fail(m, CRM_MBX_E_CONFIG, "IMAP: no user");
    bool oauth = cfg->oauth_token && cfg->oauth_token[0];
    if (!oauth && (cfg->password == NULL || cfg->password[0] == '\0')) return mbx_fail(m, CRM_MBX_E_CONFIG, "IMAP: no password or token");
    if (cfg->tls == CRM_MBX_TLS_NONE && !cfg->allow_plaintext)
        return mbx_fail(m, CRM_MBX_E_CONFIG, "IMAP: cleartext connections are refused unless allow_plaintext is set");
    imap *im = calloc(1, sizeof *im);
    if (im == NULL) return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    m->impl = im;
    im->secret_copy = strdup(oauth ? cfg->oauth_token : cfg->password);
    im->secret = im->secret_copy;
    im->s = mailimap_new(0, NULL);
    if (im->s == NULL || im->secret_copy == NULL) return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory");
    time_t tsec = (time_t)((m->timeout_ms + 999) / 1000);
    mailimap_set_timeout(im->s, tsec);
    unsigned port = cfg->port ? cfg->port : cfg->tls == CRM_MBX_TLS_IMPLICIT ? 993u : 143u;
    int fd = -1;
    crm_mbx_status st = tcp_connect(m, cfg->host, port, &fd);
    if (st != CRM_MBX_OK) return st;
    mailstream *stream = NULL;
    if (cfg->tls == CRM_MBX_TLS_IMPLICIT) {
        mailstream_low *low;
        if ((st = tls_open(m, fd, cfg->host, cfg->ca_file, &low)) != CRM_MBX_OK) return st;
        stream = mailstream_new(low, 8192);
        if (stream == NULL) { mailstream_low_free(low); return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory"); }
    } else {
        stream = mailstream_socket_open_timeout(fd, tsec);
        if (stream == NULL) { close(fd); return mbx_fail(m, CRM_MBX_E_NOMEM, "out of memory"); }
    }
    int r = mailimap_connect(im->s, stream);
    if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED && r != MAILIMAP_NO_ERROR_AUTHENTICATED && r != MAILIMAP_NO_ERROR)
        return mbx_fail(m, CRM_MBX_E_CONNECT, "%.200s:%u did not greet as an IMAP server", cfg->host, port);
    if (cfg->tls == CRM_MBX_TLS_STARTTLS) {
        refresh_caps(im);
        if (!mailimap_has_extension(im->s, "STARTTLS"))
            return mbx_fail(m, CRM_MBX_E_TLS, "%.200s does not offer STARTTLS (refusing to continue in cleartext)", cfg->host);
        r = mailimap_starttls(im->s);
        if (r != MAILIMAP_NO_ERROR) return imap_err(m, r, "STARTTLS");
        mailstream_low *plain = mailstream_get_low(im->s->imap_stream);
        int dfd = dup(mailstream_low_get_fd(plain));
        if (dfd < 0) return mbx_fail(m, CRM_MBX_E_CONNECT, "dup: %s", strerror(errno));
        mailstream_low *low;
        if ((st = tls_open(m, dfd, cfg->host, cfg->ca_file, &low)) != CRM_MBX_OK) { im->no_logout = true; return st; }
        mailstream_low_close(plain);
        mailstream_low_free(plain);
        mailstream_set_low(im->s->imap_stream, low);
    }
    refresh_caps(im);
    if (oauth) {
        r = mailimap_oauth2_authenticate(im->s, cfg->user, cfg->oauth_token);
    } else {
        r = mailimap_login(im->s, cfg->user, cfg->password);
    }
    if (r != MAILIMAP_NO_ERROR) {
        char txt[300];
        if (r == MAILIMAP_ERROR_STREAM) return mbx_fail(m, CRM_MBX_E_CONNECT, "connection lost during login");
        return mbx_fail(m, CRM_MBX_E_AUTH, "%s for user '%.100s' refused: %s", oauth ? "XOAUTH2" : "LOGIN", cfg->user,
                        server_text(m, txt, sizeof txt));
    }
    refresh_caps(im);
    return CRM_MBX_OK;
}
