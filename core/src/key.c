/* key.c: item keys (rules K1, K3) and the keys of records crmsync creates. */
#include <string.h>
#include "model.h"

static const char *hex_of(crm_ctx *ctx, crm_sha256 *h) {
    uint8_t d[32];
    crm_sha256_final(h, d);
    char *out = crm_arena_alloc(&ctx->arena, 65);
    if (out == NULL) { crm_fail(ctx, CRM_E_NOMEM, NULL, ""); return NULL; }
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) { out[2 * i] = hx[d[i] >> 4]; out[2 * i + 1] = hx[d[i] & 15]; }
    out[64] = '\0';
    return out;
}

static void put(crm_sha256 *h, const char *s) { crm_sha256_update(h, s, strlen(s)); }

/* K1 of a bare Message-ID (surrounding <> and white space removed); NULL when empty. */
const char *crm_msgid_key(crm_ctx *ctx, const crm_settings *s, const char *m) {
    size_t n = strlen(m);
    while (n && (crm_is_space(*m) || *m == '<')) { m++; n--; }
    while (n && (crm_is_space(m[n - 1]) || m[n - 1] == '>')) n--;
    if (n == 0) return NULL;
    crm_sha256 h;
    crm_sha256_init(&h);
    put(&h, "crmsync:v1:");
    put(&h, s->org_id);
    put(&h, ":");
    crm_sha256_update(&h, m, n);
    return hex_of(ctx, &h);
}

/* K1: the Message-ID without surrounding <> and white space; else From + sent time +
 * subject. */
const char *crm_email_key(crm_ctx *ctx, const crm_settings *s, const crm_item *it) {
    crm_sha256 h;
    crm_sha256_init(&h);
    put(&h, "crmsync:v1:");
    put(&h, s->org_id);
    put(&h, ":");
    const char *by_id = crm_msgid_key(ctx, s, it->message_id);
    if (by_id || ctx->err) return by_id;
    const char *from = "";
    for (size_t i = 0; i < it->n_parties; i++) {
        if (it->parties[i].role != ROLE_FROM) continue;
        crm_addr a;
        if (crm_addr_parse_plain(ctx, it->parties[i].address, strlen(it->parties[i].address), &a) != CRM_OK) return NULL;
        from = a.address;
    }
    put(&h, from);
    put(&h, ":");
    if (it->has_date) {
        char t[21];
        crm_time_format(it->date_t, t);
        put(&h, t);
    }
    put(&h, ":");
    put(&h, it->subject);
    return hex_of(ctx, &h);
}

/* K3: uid, plus the start of an occurrence of a series. */
const char *crm_event_key(crm_ctx *ctx, const crm_settings *s, const crm_item *it) {
    crm_sha256 h;
    crm_sha256_init(&h);
    put(&h, "crmsync:v1:");
    put(&h, s->org_id);
    put(&h, ":event:");
    put(&h, it->uid);
    if (it->recurrence == RECUR_OCCURRENCE && it->has_start) {
        char t[21];
        crm_time_format(it->start_t, t);
        put(&h, ":");
        put(&h, t);
    }
    return hex_of(ctx, &h);
}

/* The key of a record crmsync creates for an address (E9 "create"): the same address
 * gives the same key in every email, so the upsert never creates it twice. */
const char *crm_created_key(crm_ctx *ctx, const crm_settings *s, const char *kind, const char *address) {
    crm_sha256 h;
    crm_sha256_init(&h);
    put(&h, "crmsync:v1:");
    put(&h, s->org_id);
    put(&h, ":");
    put(&h, kind);
    put(&h, ":");
    put(&h, address);
    return hex_of(ctx, &h);
}
