/* crm_soql.c: a recursive-descent parser for the SOQL subset in crm_soql.h, emitting SQL
 * with bound parameters as it goes (the object is known once FROM is read, before WHERE). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "crm_soql.h"

typedef enum { T_EOF, T_IDENT, T_STRING, T_NUMBER, T_DATE, T_DATETIME, T_LP, T_RP, T_COMMA, T_OP } tkind;

typedef struct {
    tkind kind;
    size_t pos, len;      /* in the statement */
    char *value;          /* T_STRING: unescaped; T_DATETIME: normalised */
    char *like;           /* T_STRING: the LIKE pattern with '\' escapes for % _ \ */
} token;

typedef struct {
    char *p;
    size_t n, cap;
    bool oom;
} sbuf;

typedef struct {
    const char *src;
    token *toks;
    size_t nt, at;
    crm_sandbox_err *e;
    bool failed;
    crm_soql_plan *plan;
    sbuf where;
    int bind_cap;
} parser;

static void sb_put(sbuf *b, const char *s) {
    size_t l = strlen(s);
    if (b->oom) return;
    if (b->n + l + 1 > b->cap) {
        size_t nc = (b->cap ? b->cap * 2 : 256);
        while (nc < b->n + l + 1) nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) { b->oom = true; return; }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, l + 1);
    b->n += l;
}

static void sb_fmt(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_fmt(sbuf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    sb_put(b, tmp);
}

/* Salesforce's position-carrying message: the line, a caret, "ERROR at Row:r:Column:c", why. */
static void fail_at(parser *ps, const char *code, size_t pos, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void fail_at(parser *ps, const char *code, size_t pos, const char *fmt, ...) {
    if (ps->failed) return;
    ps->failed = true;
    char why[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    int row = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < pos && ps->src[i]; i++)
        if (ps->src[i] == '\n') { row++; line_start = i + 1; }
    size_t col = pos - line_start + 1;
    size_t line_len = strcspn(ps->src + line_start, "\n");
    if (line_len <= 160)
        crm_sandbox_err_set(ps->e, code, NULL, "\n%.*s\n%*s^\nERROR at Row:%d:Column:%zu\n%s", (int)line_len, ps->src + line_start,
                            (int)(col - 1), "", row, col, why);
    else
        crm_sandbox_err_set(ps->e, code, NULL, "\nERROR at Row:%d:Column:%zu\n%s", row, col, why);
}

/* ------------------------------------------------------------------- lexer */
static int lex_string(parser *ps, size_t *i, token *t) {
    const char *s = ps->src;
    size_t j = *i + 1;
    sbuf v = {0}, lk = {0};
    for (;;) {
        char c = s[j];
        if (c == '\0') { free(v.p); free(lk.p); fail_at(ps, "MALFORMED_QUERY", *i, "unexpected token: <EOF>"); return -1; }
        if (c == '\'') { j++; break; }
        char one[2] = {c, 0};
        if (c == '\\') {
            char d = s[j + 1];
            const char *val = NULL, *pat = NULL;
            switch (d) {
            case 'n': val = pat = "\n"; break;
            case 'r': val = pat = "\r"; break;
            case 't': val = pat = "\t"; break;
            case 'b': val = pat = "\b"; break;
            case 'f': val = pat = "\f"; break;
            case '"': val = pat = "\""; break;
            case '\'': val = pat = "'"; break;
            case '\\': val = "\\"; pat = "\\\\"; break;
            case '%': val = "%"; pat = "\\%"; break;
            case '_': val = "_"; pat = "\\_"; break;
            default:
                free(v.p); free(lk.p);
                fail_at(ps, "MALFORMED_QUERY", j, "Invalid string literal '\\%c'. Illegal character sequence '\\%c' in string literal.", d ? d : ' ', d ? d : ' ');
                return -1;
            }
            sb_put(&v, val);
            sb_put(&lk, pat);
            j += 2;
            continue;
        }
        sb_put(&v, one);
        sb_put(&lk, one);
        j++;
    }
    if (v.oom || lk.oom) { free(v.p); free(lk.p); crm_sandbox_err_set(ps->e, "UNKNOWN_EXCEPTION", NULL, "out of memory"); ps->failed = true; return -1; }
    t->kind = T_STRING;
    t->value = v.p ? v.p : strdup("");
    t->like = lk.p ? lk.p : strdup("");
    t->len = j - *i;
    *i = j;
    return 0;
}

static bool is_date_at(const char *s) {
    for (int k = 0; k < 10; k++) {
        if (k == 4 || k == 7) { if (s[k] != '-') return false; }
        else if (!isdigit((unsigned char)s[k])) return false;
    }
    return true;
}

static int lex(parser *ps) {
    const char *s = ps->src;
    size_t i = 0, cap = 32;
    ps->toks = calloc(cap, sizeof *ps->toks);
    if (!ps->toks) return -1;
    for (;;) {
        while (isspace((unsigned char)s[i])) i++;
        if (ps->nt + 1 >= cap) {
            token *nt = realloc(ps->toks, cap * 2 * sizeof *nt);
            if (!nt) return -1;
            memset(nt + cap, 0, cap * sizeof *nt);
            ps->toks = nt;
            cap *= 2;
        }
        token *t = &ps->toks[ps->nt];
        t->pos = i;
        char c = s[i];
        if (c == '\0') { t->kind = T_EOF; t->len = 0; ps->nt++; return 0; }
        if (c == '\'') { if (lex_string(ps, &i, t) != 0) return -1; ps->nt++; continue; }
        if (c == '(') { t->kind = T_LP; t->len = 1; i++; ps->nt++; continue; }
        if (c == ')') { t->kind = T_RP; t->len = 1; i++; ps->nt++; continue; }
        if (c == ',') { t->kind = T_COMMA; t->len = 1; i++; ps->nt++; continue; }
        if (c == '=' ) { t->kind = T_OP; t->len = 1; i++; ps->nt++; continue; }
        if ((c == '!' && s[i + 1] == '=') || (c == '<' && (s[i + 1] == '>' || s[i + 1] == '=')) || (c == '>' && s[i + 1] == '=')) {
            t->kind = T_OP; t->len = 2; i += 2; ps->nt++; continue;
        }
        if (c == '<' || c == '>') { t->kind = T_OP; t->len = 1; i++; ps->nt++; continue; }
        if (is_date_at(s + i)) {
            size_t j = i + 10;
            if (s[j] == 'T') {
                j++;
                while (isdigit((unsigned char)s[j]) || s[j] == ':' || s[j] == '.' || s[j] == 'Z' || s[j] == '+' || s[j] == '-') j++;
                char lit[48] = {0}, norm[32];
                if (j - i >= sizeof lit || (memcpy(lit, s + i, j - i), !crm_sandbox_norm_datetime(lit, norm))) {
                    fail_at(ps, "MALFORMED_QUERY", i, "line 1:%zu no viable alternative at character '%c'", i, s[i]);
                    return -1;
                }
                t->kind = T_DATETIME;
                t->value = strdup(norm);
            } else {
                char lit[11];
                memcpy(lit, s + i, 10);
                lit[10] = 0;
                if (!crm_sandbox_valid_date(lit)) { fail_at(ps, "MALFORMED_QUERY", i, "invalid date: %s", lit); return -1; }
                t->kind = T_DATE;
                t->value = strdup(lit);
            }
            if (!t->value) return -1;
            t->len = j - i;
            i = j;
            ps->nt++;
            continue;
        }
        if (isdigit((unsigned char)c) || ((c == '-' || c == '+' || c == '.') && isdigit((unsigned char)s[i + 1]))) {
            size_t j = i + 1;
            while (isdigit((unsigned char)s[j]) || s[j] == '.') j++;
            t->kind = T_NUMBER;
            t->len = j - i;
            i = j;
            ps->nt++;
            continue;
        }
        if (isalpha((unsigned char)c) || c == '_') {
            size_t j = i + 1;
            while (isalnum((unsigned char)s[j]) || s[j] == '_' || s[j] == '.') j++;
            t->kind = T_IDENT;
            t->len = j - i;
            i = j;
            ps->nt++;
            continue;
        }
        fail_at(ps, "MALFORMED_QUERY", i, "line 1:%zu no viable alternative at character '%c'", i, c);
        return -1;
    }
}

/* ------------------------------------------------------------------ parser */
static token *peek(parser *ps) { return &ps->toks[ps->at]; }

static bool is_kw(const parser *ps, const token *t, const char *kw) {
    return t->kind == T_IDENT && t->len == strlen(kw) && strncasecmp(ps->src + t->pos, kw, t->len) == 0;
}

static bool accept_kw(parser *ps, const char *kw) {
    if (is_kw(ps, peek(ps), kw)) { ps->at++; return true; }
    return false;
}

static void unexpected(parser *ps, const token *t) {
    if (t->kind == T_EOF) fail_at(ps, "MALFORMED_QUERY", t->pos, "unexpected token: <EOF>");
    else fail_at(ps, "MALFORMED_QUERY", t->pos, "unexpected token: '%.*s'", (int)(t->len > 80 ? 80 : t->len), ps->src + t->pos);
}

static bool expect_kw(parser *ps, const char *kw) {
    if (accept_kw(ps, kw)) return true;
    unexpected(ps, peek(ps));
    return false;
}

static const char *const RESERVED[] = {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "LIMIT",
                                       "OFFSET", "ASC", "DESC", "NULLS", "GROUP", "HAVING", NULL};

static bool is_reserved(const parser *ps, const token *t) {
    for (int i = 0; RESERVED[i]; i++) if (is_kw(ps, t, RESERVED[i])) return true;
    return false;
}

/* A field of the FROM object, or -1 after failing with INVALID_FIELD. */
static int resolve_field(parser *ps, const token *t) {
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(t->len < 127 ? t->len : 127), ps->src + t->pos);
    if (strchr(name, '.')) {
        char rel[128];
        snprintf(rel, sizeof rel, "%.*s", (int)strcspn(name, "."), name);
        fail_at(ps, "INVALID_FIELD", t->pos, "Didn't understand relationship '%s' in field path. If you are attempting to use a custom "
                "relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the "
                "describe call for the appropriate names.", rel);
        return -1;
    }
    int k = crm_sandbox_field_index(ps->plan->obj, name);
    if (k < 0)
        fail_at(ps, "INVALID_FIELD", t->pos, "No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure "
                "to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate "
                "names.", name, ps->plan->obj->name);
    return k;
}

static struct crm_soql_bind *new_bind(parser *ps) {
    crm_soql_plan *p = ps->plan;
    if (p->n_binds == ps->bind_cap) {
        int nc = ps->bind_cap ? ps->bind_cap * 2 : 16;
        struct crm_soql_bind *nb = realloc(p->binds, (size_t)nc * sizeof *nb);
        if (!nb) { ps->failed = true; crm_sandbox_err_set(ps->e, "UNKNOWN_EXCEPTION", NULL, "out of memory"); return NULL; }
        p->binds = nb;
        ps->bind_cap = nc;
    }
    struct crm_soql_bind *b = &p->binds[p->n_binds++];
    memset(b, 0, sizeof *b);
    return b;
}

static bool is_null_lit(const parser *ps, const token *t) { return is_kw(ps, t, "null"); }

/* Converts literal `t` for field `f`, appending one bind; false after failing. */
static bool bind_literal(parser *ps, const crm_sandbox_field *f, const token *t, bool like) {
    struct crm_soql_bind *b = new_bind(ps);
    if (!b) return false;
    if (is_null_lit(ps, t)) { b->kind = 0; return true; }
    const char *tn = crm_sandbox_ftype_name(f->type);
    switch (f->type) {
    case CRM_SB_STRING: case CRM_SB_EMAIL: case CRM_SB_URL: case CRM_SB_PHONE: case CRM_SB_TEXTAREA:
    case CRM_SB_PICKLIST: case CRM_SB_COMBOBOX:
        if (t->kind != T_STRING) break;
        b->kind = 1;
        b->text = strdup(like ? t->like : t->value);
        return b->text != NULL;
    case CRM_SB_ID: case CRM_SB_REFERENCE: {
        if (t->kind != T_STRING) break;
        char id[19];
        b->kind = 1;
        if (t->value[0] == '\0') { b->text = strdup(""); return b->text != NULL; }
        if (!crm_sandbox_id18(t->value, id)) {
            fail_at(ps, "INVALID_QUERY_FILTER_OPERATOR", t->pos, "invalid ID field: %.40s", t->value);
            return false;
        }
        b->text = strdup(id);
        return b->text != NULL;
    }
    case CRM_SB_BOOLEAN:
        if (is_kw(ps, t, "true")) { b->kind = 2; b->i = 1; return true; }
        if (is_kw(ps, t, "false")) { b->kind = 2; b->i = 0; return true; }
        break;
    case CRM_SB_INT: case CRM_SB_DOUBLE:
        if (t->kind != T_NUMBER) break;
        b->kind = 3;
        b->d = strtod(ps->src + t->pos, NULL);
        return true;
    case CRM_SB_DATE:
        if (t->kind != T_DATE) break;
        b->kind = 1;
        b->text = strdup(t->value);
        return b->text != NULL;
    case CRM_SB_DATETIME:
        if (t->kind != T_DATETIME) break;
        b->kind = 1;
        b->text = strdup(t->value);
        return b->text != NULL;
    }
    if (t->kind == T_STRING)
        fail_at(ps, "INVALID_QUERY_FILTER_OPERATOR", t->pos, "value of filter criterion for field '%s' must be of type %s and should not be enclosed in quotes", f->name, tn);
    else
        fail_at(ps, "INVALID_QUERY_FILTER_OPERATOR", t->pos, "value of filter criterion for field '%s' must be of type %s%s", f->name, tn,
                crm_sandbox_ftype_is_text(f->type) || f->type == CRM_SB_ID || f->type == CRM_SB_REFERENCE ? " and should be enclosed in quotes" : "");
    return false;
}

static bool is_literal(const parser *ps, const token *t) {
    return t->kind == T_STRING || t->kind == T_NUMBER || t->kind == T_DATE || t->kind == T_DATETIME || is_kw(ps, t, "true") ||
           is_kw(ps, t, "false") || is_kw(ps, t, "null");
}

static void parse_expr(parser *ps);

static void parse_cond(parser *ps) {
    token *t = peek(ps);
    if (accept_kw(ps, "NOT")) {
        sb_put(&ps->where, "NOT (");
        parse_cond(ps);
        sb_put(&ps->where, ")");
        return;
    }
    if (t->kind == T_LP) {
        ps->at++;
        sb_put(&ps->where, "(");
        parse_expr(ps);
        if (ps->failed) return;
        if (peek(ps)->kind != T_RP) { unexpected(ps, peek(ps)); return; }
        ps->at++;
        sb_put(&ps->where, ")");
        return;
    }
    if (t->kind != T_IDENT || is_reserved(ps, t)) { unexpected(ps, t); return; }
    ps->at++;
    int k = resolve_field(ps, t);
    if (k < 0) return;
    const crm_sandbox_field *f = &ps->plan->obj->fields[k];
    token *op = peek(ps);
    bool negate = false;
    if (is_kw(ps, op, "NOT") && is_kw(ps, &ps->toks[ps->at + 1], "IN")) { negate = true; ps->at++; op = peek(ps); }
    if (is_kw(ps, op, "IN")) {
        ps->at++;
        if (peek(ps)->kind != T_LP) { unexpected(ps, peek(ps)); return; }
        ps->at++;
        if (negate) sb_fmt(&ps->where, "(\"%s\" IS NULL OR \"%s\" NOT IN (", f->name, f->name);
        else sb_fmt(&ps->where, "\"%s\" IN (", f->name);
        for (int n = 0;; n++) {
            token *v = peek(ps);
            if (!is_literal(ps, v)) { unexpected(ps, v); return; }
            ps->at++;
            if (!bind_literal(ps, f, v, false)) return;
            sb_put(&ps->where, n ? ",?" : "?");
            if (peek(ps)->kind == T_COMMA) { ps->at++; continue; }
            if (peek(ps)->kind == T_RP) { ps->at++; break; }
            unexpected(ps, peek(ps));
            return;
        }
        sb_put(&ps->where, negate ? "))" : ")");
        return;
    }
    if (is_kw(ps, op, "LIKE")) {
        ps->at++;
        token *v = peek(ps);
        if (v->kind != T_STRING) { unexpected(ps, v); return; }
        if (!crm_sandbox_ftype_is_text(f->type)) {
            fail_at(ps, "INVALID_QUERY_FILTER_OPERATOR", op->pos, "invalid operator on %s field: LIKE", crm_sandbox_ftype_name(f->type));
            return;
        }
        ps->at++;
        if (!bind_literal(ps, f, v, true)) return;
        sb_fmt(&ps->where, "\"%s\" LIKE ? ESCAPE '\\'", f->name);
        return;
    }
    if (op->kind != T_OP) { unexpected(ps, op); return; }
    ps->at++;
    char o[3] = {0};
    memcpy(o, ps->src + op->pos, op->len);
    token *v = peek(ps);
    if (!is_literal(ps, v)) { unexpected(ps, v); return; }
    ps->at++;
    bool ne = strcmp(o, "!=") == 0 || strcmp(o, "<>") == 0;
    bool eq = strcmp(o, "=") == 0;
    if (is_null_lit(ps, v)) {
        if (!eq && !ne) { fail_at(ps, "INVALID_QUERY_FILTER_OPERATOR", op->pos, "invalid operator with null: %s", o); return; }
        sb_fmt(&ps->where, "\"%s\" IS %sNULL", f->name, ne ? "NOT " : "");
        return;
    }
    if (f->type == CRM_SB_BOOLEAN && !eq && !ne) {
        fail_at(ps, "INVALID_QUERY_FILTER_OPERATOR", op->pos, "invalid operator on boolean field: %s", o);
        return;
    }
    if (!bind_literal(ps, f, v, false)) return;
    /* SOQL's != also matches rows where the field is null */
    if (ne) sb_fmt(&ps->where, "\"%s\" IS NOT ?", f->name);
    else sb_fmt(&ps->where, "\"%s\" %s ?", f->name, o);
}

static void parse_expr(parser *ps) {
    parse_cond(ps);
    const char *joiner = NULL;
    while (!ps->failed) {
        token *t = peek(ps);
        const char *j = is_kw(ps, t, "AND") ? "AND" : is_kw(ps, t, "OR") ? "OR" : NULL;
        if (!j) break;
        if (joiner && strcmp(joiner, j) != 0) { unexpected(ps, t); return; } /* mixing needs parentheses */
        joiner = j;
        ps->at++;
        sb_fmt(&ps->where, " %s ", j);
        parse_cond(ps);
    }
}

static long parse_count(parser *ps, const char *what) {
    token *t = peek(ps);
    if (t->kind != T_NUMBER) { unexpected(ps, t); return -1; }
    char *end = NULL;
    long v = strtol(ps->src + t->pos, &end, 10);
    if (end != ps->src + t->pos + t->len || v < 0) { fail_at(ps, "MALFORMED_QUERY", t->pos, "%s must be a non-negative integer", what); return -1; }
    ps->at++;
    return v;
}

crm_soql_plan *crm_soql_compile(const char *soql, crm_sandbox_err *e) {
    parser ps;
    memset(&ps, 0, sizeof ps);
    ps.src = soql;
    ps.e = e;
    ps.plan = calloc(1, sizeof *ps.plan);
    crm_soql_plan *p = ps.plan;
    size_t *sel_tok = NULL;
    int n_sel_tok = 0;
    if (!p) { crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "out of memory"); return NULL; }
    p->limit = -1;
    if (lex(&ps) != 0) {
        if (!ps.failed) crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "out of memory");
        ps.failed = true;
        goto out;
    }
    if (!expect_kw(&ps, "SELECT")) goto out;
    sel_tok = calloc(ps.nt, sizeof *sel_tok);
    if (!sel_tok) { ps.failed = true; crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "out of memory"); goto out; }
    size_t count_arg = 0;
    if (is_kw(&ps, peek(&ps), "COUNT") && ps.toks[ps.at + 1].kind == T_LP) {
        ps.at += 2;
        if (peek(&ps)->kind == T_RP) { p->count = 1; ps.at++; }
        else if (peek(&ps)->kind == T_IDENT && ps.toks[ps.at + 1].kind == T_RP) { p->count = 2; count_arg = ps.at; ps.at += 2; }
        else { unexpected(&ps, peek(&ps)); goto out; }
    } else {
        for (;;) {
            token *t = peek(&ps);
            if (t->kind != T_IDENT || is_reserved(&ps, t)) { unexpected(&ps, t); goto out; }
            sel_tok[n_sel_tok++] = ps.at;
            ps.at++;
            if (peek(&ps)->kind == T_COMMA) { ps.at++; continue; }
            break;
        }
    }
    if (!expect_kw(&ps, "FROM")) goto out;
    token *ot = peek(&ps);
    if (ot->kind != T_IDENT || is_reserved(&ps, ot)) { unexpected(&ps, ot); goto out; }
    char oname[128];
    snprintf(oname, sizeof oname, "%.*s", (int)(ot->len < 127 ? ot->len : 127), soql + ot->pos);
    p->obj = crm_sandbox_object_find(oname);
    if (!p->obj) {
        fail_at(&ps, "INVALID_TYPE", ot->pos, "sObject type '%s' is not supported. If you are attempting to use a custom object, be sure "
                "to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", oname);
        goto out;
    }
    ps.at++;
    /* the SELECT list, now that the object is known */
    if (p->count == 2 && (p->count_field = resolve_field(&ps, &ps.toks[count_arg])) < 0) goto out;
    p->sel = calloc((size_t)n_sel_tok + 1, sizeof *p->sel);
    if (!p->sel) { ps.failed = true; crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "out of memory"); goto out; }
    for (int i = 0; i < n_sel_tok; i++) {
        int k = resolve_field(&ps, &ps.toks[sel_tok[i]]);
        if (k < 0) goto out;
        for (int j = 0; j < p->n_sel; j++)
            if (p->sel[j] == k) {
                fail_at(&ps, "MALFORMED_QUERY", ps.toks[sel_tok[i]].pos, "duplicate field selected: %s", p->obj->fields[k].name);
                goto out;
            }
        p->sel[p->n_sel++] = k;
    }
    if (accept_kw(&ps, "WHERE")) {
        parse_expr(&ps);
        if (ps.failed) goto out;
    }
    sbuf order = {0};
    if (accept_kw(&ps, "ORDER")) {
        if (!expect_kw(&ps, "BY")) goto out;
        for (;;) {
            token *t = peek(&ps);
            if (t->kind != T_IDENT || is_reserved(&ps, t)) { unexpected(&ps, t); free(order.p); goto out; }
            ps.at++;
            int k = resolve_field(&ps, t);
            if (k < 0) { free(order.p); goto out; }
            bool desc = false, nulls_last = false;
            if (accept_kw(&ps, "DESC")) desc = true;
            else accept_kw(&ps, "ASC");
            if (accept_kw(&ps, "NULLS")) {
                if (accept_kw(&ps, "LAST")) nulls_last = true;
                else if (!expect_kw(&ps, "FIRST")) { free(order.p); goto out; }
            } else nulls_last = desc; /* ascending: nulls first; descending: nulls last (as SQL sorts them) */
            sb_fmt(&order, "\"%s\" %s NULLS %s, ", p->obj->fields[k].name, desc ? "DESC" : "ASC", nulls_last ? "LAST" : "FIRST");
            if (peek(&ps)->kind == T_COMMA) { ps.at++; continue; }
            break;
        }
    }
    sb_put(&order, "rowid");
    p->order_sql = order.p;
    if (accept_kw(&ps, "LIMIT")) {
        p->limit = parse_count(&ps, "LIMIT");
        if (ps.failed) goto out;
    }
    if (accept_kw(&ps, "OFFSET")) {
        token *t = peek(&ps);
        p->offset = parse_count(&ps, "OFFSET");
        if (ps.failed) goto out;
        if (p->offset > 2000) { fail_at(&ps, "NUMBER_OUTSIDE_VALID_RANGE", t->pos, "Maximum SOQL offset allowed is 2000"); goto out; }
    }
    if (peek(&ps)->kind != T_EOF) { unexpected(&ps, peek(&ps)); goto out; }
    if (ps.where.oom || order.oom) { ps.failed = true; crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "out of memory"); goto out; }
    p->where_sql = ps.where.p ? ps.where.p : strdup("");
    ps.where.p = NULL;
    if (!p->where_sql) { ps.failed = true; crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "out of memory"); }
out:
    for (size_t i = 0; ps.toks && i < ps.nt; i++) { free(ps.toks[i].value); free(ps.toks[i].like); }
    free(ps.toks);
    free(sel_tok);
    free(ps.where.p);
    if (ps.failed || !p->order_sql) {
        if (!ps.failed) crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "out of memory");
        crm_soql_free(p);
        return NULL;
    }
    return p;
}

void crm_soql_free(crm_soql_plan *p) {
    if (!p) return;
    for (int i = 0; i < p->n_binds; i++) free(p->binds[i].text);
    free(p->binds);
    free(p->sel);
    free(p->where_sql);
    free(p->order_sql);
    free(p);
}

int crm_soql_bind_all(const crm_soql_plan *p, sqlite3_stmt *st, int first) {
    for (int i = 0; i < p->n_binds; i++, first++) {
        const struct crm_soql_bind *b = &p->binds[i];
        switch (b->kind) {
        case 1: sqlite3_bind_text(st, first, b->text, -1, SQLITE_TRANSIENT); break;
        case 2: sqlite3_bind_int64(st, first, b->i); break;
        case 3: sqlite3_bind_double(st, first, b->d); break;
        default: sqlite3_bind_null(st, first); break;
        }
    }
    return first;
}
