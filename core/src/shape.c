/* shape.c: the records written to Salesforce for an email (rules F1-F5, K2). */
#include <string.h>
#include "model.h"
#include "decide.h"

/* The most records one email is split into (F4). */
#define CRM_MAX_PARTS 50

static size_t u16(const char *s) { return crm_utf16_len(s, strlen(s)); }

static const char *cut(crm_ctx *ctx, const char *s, size_t units) {
    size_t n = strlen(s), keep = crm_utf16_prefix(s, n, units);
    return keep == n ? s : crm_arena_strndup(&ctx->arena, s, keep);
}

/* A participant as "Name <address>" (or the address alone). */
static void put_party(crm_buf *b, const crm_participant *p) {
    if (p->name[0]) { crm_buf_puts(b, p->name); crm_buf_puts(b, " <"); crm_buf_puts(b, p->a.address); crm_buf_putc(b, '>'); }
    else crm_buf_puts(b, p->a.address);
}

static const char *party_list(crm_ctx *ctx, const crm_people *pp, int role, const char *sep, size_t limit) {
    crm_buf b;
    crm_buf_init(&b, &ctx->arena);
    for (size_t i = 0; i < pp->n; i++) {
        if (pp->v[i].role != role) continue;
        size_t before = b.n;
        if (b.n) crm_buf_puts(&b, sep);
        if (limit) crm_buf_puts(&b, pp->v[i].a.address); else put_party(&b, &pp->v[i]);
        /* F2: address lists are cut at an address boundary */
        if (limit && !b.oom && crm_utf16_len(b.p, b.n) > limit) { b.n = before; b.p[b.n] = '\0'; break; }
    }
    const char *s = crm_buf_cstr(&b);
    if (s == NULL) crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    return s;
}

/* A plain-text rendering of an HTML body, for a Task when there is no text part. */
static const char *html_text(crm_ctx *ctx, const char *h) {
    crm_buf b;
    crm_buf_init(&b, &ctx->arena);
    bool tag = false, space = false;
    for (const char *p = h; *p; p++) {
        if (tag) { if (*p == '>') tag = false; continue; }
        if (*p == '<') {
            tag = true;
            if (!strncmp(p, "<br", 3) || !strncmp(p, "<p", 2) || !strncmp(p, "</p", 3) || !strncmp(p, "<div", 4)) crm_buf_putc(&b, '\n');
            if (!strncmp(p, "<style", 6) || !strncmp(p, "<script", 7)) {
                const char *e = strstr(p, p[1] == 's' && p[2] == 't' ? "</style" : "</script");
                if (e == NULL) break;
                p = e;
            }
            continue;
        }
        if (*p == '&') {
            static const struct { const char *e; char c; } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&nbsp;", ' '}};
            bool done = false;
            for (size_t k = 0; k < sizeof ents / sizeof ents[0] && !done; k++)
                if (!strncmp(p, ents[k].e, strlen(ents[k].e))) { crm_buf_putc(&b, ents[k].c); p += strlen(ents[k].e) - 1; done = true; }
            if (done) { space = false; continue; }
        }
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') { if (!space && b.n) crm_buf_putc(&b, ' '); space = true; continue; }
        space = false;
        crm_buf_putc(&b, *p);
    }
    const char *s = crm_buf_cstr(&b);
    if (s == NULL) crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    return s;
}

/* Splits `text` into parts of at most `limit` UTF-16 units on code point boundaries. */
static size_t split(crm_ctx *ctx, const char *text, size_t limit, const char ***parts) {
    size_t n = strlen(text), count = 0, cap = 4;
    const char **v = crm_arena_alloc(&ctx->arena, cap * sizeof *v);
    if (v == NULL) { crm_fail(ctx, CRM_E_NOMEM, NULL, ""); return 0; }
    size_t off = 0;
    do {
        size_t take = crm_utf16_prefix(text + off, n - off, limit);
        if (take == 0 && off < n) { /* a limit below one code point: take one whole code point */
            size_t j = off;
            crm_utf8_next(text, n, &j, NULL);
            take = j - off;
        }
        if (count == cap) {
            const char **nv = crm_arena_alloc(&ctx->arena, cap * 2 * sizeof *nv);
            if (nv == NULL) { crm_fail(ctx, CRM_E_NOMEM, NULL, ""); return 0; }
            memcpy(nv, v, cap * sizeof *v);
            v = nv;
            cap *= 2;
        }
        v[count++] = crm_arena_strndup(&ctx->arena, text + off, take);
        off += take;
    } while (off < n);
    *parts = v;
    return count;
}

/* The subject of part i of n: " (i/n)" appended, the subject shortened to fit. */
static const char *part_subject(crm_ctx *ctx, const char *subject, size_t i, size_t n, size_t limit) {
    if (n == 1) return subject;
    char *suffix = crm_fmt(&ctx->arena, " (%zu/%zu)", i + 1, n);
    if (suffix == NULL) return NULL;
    size_t sl = strlen(suffix);
    const char *s = cut(ctx, subject, limit > sl ? limit - sl : 0);
    return s ? crm_fmt(&ctx->arena, "%s%s", s, suffix) : NULL;
}

crm_status crm_shape_email(crm_ctx *ctx, const crm_settings *s, const crm_item *it, crm_decision *d, cJSON *writes) {
    bool task = s->email.record_type == REC_TASK;
    size_t subj_limit = (size_t)crm_field_limit(s, task ? "Task.Subject" : "EmailMessage.Subject", task ? 255 : 3000);
    const char *subject = it->subject;
    if (u16(subject) > subj_limit) {
        if (s->email.subject_overflow == OVER_SKIP) {
            crm_trace(ctx, "F3", "the subject is %zu characters; the limit is %zu", u16(subject), subj_limit);
            d->action = "skip";
            d->reason = "subject_too_long";
            return CRM_OK;
        }
        subject = cut(ctx, subject, subj_limit);
        crm_trace(ctx, "F3", "the subject is cut to %zu characters", subj_limit);
    }
    const char *body = it->body_text[0] ? it->body_text : (it->body_html[0] ? html_text(ctx, it->body_html) : "");
    if (subject == NULL || body == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    /* line ends as "\n" whatever the mailbox used (IMAP and Outlook give CRLF), so every
     * path writes the same text and splits it the same way */
    if (strchr(body, '\r')) {
        crm_buf nb;
        crm_buf_init(&nb, &ctx->arena);
        for (const char *q = body; *q; q++) {
            if (*q == '\r') { crm_buf_putc(&nb, '\n'); if (q[1] == '\n') q++; }
            else crm_buf_putc(&nb, *q);
        }
        if ((body = crm_buf_cstr(&nb)) == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    }
    const char *text;
    size_t body_limit;
    if (task) {
        crm_buf b;
        crm_buf_init(&b, &ctx->arena);
        const crm_participant *from = NULL;
        for (size_t i = 0; i < d->pp.n; i++) if (d->pp.v[i].role == ROLE_FROM) from = &d->pp.v[i];
        crm_buf_puts(&b, "From: ");
        if (from) put_party(&b, from);
        crm_buf_puts(&b, "\nTo: ");
        crm_buf_puts(&b, party_list(ctx, &d->pp, ROLE_TO, ", ", 0));
        crm_buf_puts(&b, "\nCc: ");
        crm_buf_puts(&b, party_list(ctx, &d->pp, ROLE_CC, ", ", 0));
        crm_buf_puts(&b, "\nSubject: ");
        crm_buf_puts(&b, it->subject);
        crm_buf_puts(&b, "\n\n");
        crm_buf_puts(&b, body);
        text = crm_buf_cstr(&b);
        body_limit = (size_t)crm_field_limit(s, "Task.Description", 32000);
    } else {
        text = body;
        body_limit = (size_t)crm_field_limit(s, "EmailMessage.TextBody", 131072);
    }
    if (text == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
    const char **parts = &text;
    size_t nparts = 1;
    if (u16(text) > body_limit) {
        if (s->email.body_overflow == OVER_SPLIT) {
            /* at most CRM_MAX_PARTS records for one email; beyond that the body is cut */
            size_t units = u16(text);
            if (units / body_limit + (units % body_limit != 0) > CRM_MAX_PARTS) {
                text = cut(ctx, text, body_limit * CRM_MAX_PARTS);
                if (text == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
                crm_trace(ctx, "F4", "the body needs more than %d parts: it is cut after %d", CRM_MAX_PARTS, CRM_MAX_PARTS);
            }
            nparts = split(ctx, text, body_limit, &parts);
            if (ctx->err) return ctx->err;
            crm_trace(ctx, "F4", "the body is split into %zu parts of at most %zu characters", nparts, body_limit);
        } else {
            text = cut(ctx, text, body_limit);
            crm_trace(ctx, "F4", "the body is cut to %zu characters", body_limit);
        }
    }
    /* the date of the email in the user's time zone (F1) */
    char date[11] = "";
    int64_t t = it->has_date ? it->date_t : d->now_t;
    if (it->has_date || d->has_now) crm_date_format(crm_floor_div(t + s->utc_offset_minutes * 60, 86400), date);
    for (size_t i = 0; i < nparts; i++) {
        cJSON *w = crm_o_obj(ctx, writes, NULL);
        crm_o_str(ctx, w, "sobject", task ? "Task" : "EmailMessage");
        const char *ext = crm_fmt(&ctx->arena, "%s:%zu", d->key, i);
        const char *ps = part_subject(ctx, subject, i, nparts, subj_limit);
        if (ext == NULL || ps == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
        crm_o_str(ctx, w, "external_id", ext);
        cJSON *f = crm_o_obj(ctx, w, "fields");
        crm_o_str(ctx, f, "Subject", ps);
        if (task) {
            crm_o_str(ctx, f, "Description", parts[i]);
            if (date[0]) crm_o_str(ctx, f, "ActivityDate", date);
            crm_o_str(ctx, f, "Status", "Completed");
            crm_o_str(ctx, f, "TaskSubtype", "Email");
            if (d->n_who) crm_o_str(ctx, f, "WhoId", d->who[0]);
            if (d->what && d->what[0]) crm_o_str(ctx, f, "WhatId", d->what);
            if (s->user_id[0]) crm_o_str(ctx, f, "OwnerId", s->user_id);
        } else {
            crm_o_str(ctx, f, "TextBody", parts[i]);
            if (i == 0 && it->body_html[0]) {
                const char *h = cut(ctx, it->body_html, (size_t)crm_field_limit(s, "EmailMessage.HtmlBody", 131072));
                if (h == NULL) return crm_fail(ctx, CRM_E_NOMEM, NULL, "");
                crm_o_str(ctx, f, "HtmlBody", h);
            }
            const crm_participant *from = NULL;
            for (size_t k = 0; k < d->pp.n; k++) if (d->pp.v[k].role == ROLE_FROM) from = &d->pp.v[k];
            crm_o_str(ctx, f, "FromAddress", from ? from->a.address : "");
            crm_o_str(ctx, f, "FromName", from ? from->name : "");
            size_t al = (size_t)crm_field_limit(s, "EmailMessage.ToAddress", 4000);
            crm_o_str(ctx, f, "ToAddress", party_list(ctx, &d->pp, ROLE_TO, "; ", al));
            crm_o_str(ctx, f, "CcAddress", party_list(ctx, &d->pp, ROLE_CC, "; ", (size_t)crm_field_limit(s, "EmailMessage.CcAddress", 4000)));
            crm_o_str(ctx, f, "BccAddress", party_list(ctx, &d->pp, ROLE_BCC, "; ", (size_t)crm_field_limit(s, "EmailMessage.BccAddress", 4000)));
            if (it->has_date) { char ts[21]; crm_time_format(it->date_t, ts); crm_o_str(ctx, f, "MessageDate", ts); }
            crm_o_bool(ctx, f, "Incoming", !d->pp.outbound);
            crm_o_str(ctx, f, "Status", d->pp.outbound ? "3" : "1");
            crm_o_str(ctx, f, "MessageIdentifier", cut(ctx, it->message_id, (size_t)crm_field_limit(s, "EmailMessage.MessageIdentifier", 765)));
            crm_o_str(ctx, f, "ThreadIdentifier", cut(ctx, it->conversation_id, (size_t)crm_field_limit(s, "EmailMessage.ThreadIdentifier", 765)));
            if (d->what && d->what[0]) crm_o_str(ctx, f, "RelatedToId", d->what);
        }
    }
    crm_trace(ctx, "F1", "%s, %zu part(s)", task ? "a completed Task (TaskSubtype Email)" : "an EmailMessage", nparts);
    crm_trace(ctx, "K2", "external ids %s:0..%zu in CrmSync_Key__c", d->key, nparts - 1);
    return ctx->err;
}
