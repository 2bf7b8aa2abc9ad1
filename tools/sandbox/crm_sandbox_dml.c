/* crm_sandbox_dml.c: record writes with Salesforce's validations (unknown and read-only
 * fields, types, lengths in characters, required fields, references, unique values),
 * defaults and derived fields; reads and deletes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "crm_sandbox_internal.h"

typedef struct slot {
    bool set;
    int kind;        /* 0 null, 1 text, 2 int, 3 double */
    char *text;
    long long i;
    double d;
} slot;

static void slot_clear(slot *s) { free(s->text); memset(s, 0, sizeof *s); }

static void slot_text(slot *s, const char *v) {
    slot_clear(s);
    s->set = true;
    if (v == NULL) return;
    s->text = strdup(v);
    s->kind = s->text ? 1 : 0;
}

static void slot_int(slot *s, long long v) { slot_clear(s); s->set = true; s->kind = 2; s->i = v; }

static size_t utf8_chars(const char *s) {
    size_t n = 0;
    for (; *s; s++) if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

/* The first `max` characters of s (UTF-8 safe) into out. */
static void utf8_prefix(const char *s, size_t max, char *out, size_t cap) {
    size_t chars = 0, i = 0;
    while (s[i] && i + 4 < cap) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) { if (chars == max) break; chars++; }
        out[i] = s[i];
        i++;
    }
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80 && s[i]) i--; /* never cut inside a character */
    out[i] = '\0';
}

static bool valid_email(const char *s) {
    const char *at = strchr(s, '@');
    if (!at || at == s || !at[1] || strchr(at + 1, '@')) return false;
    for (const char *p = s; *p; p++) if ((unsigned char)*p <= ' ') return false;
    return strchr(at + 1, '.') != NULL || strcmp(at + 1, "localhost") == 0;
}

static bool in_list(const char *list, const char *name) {
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        size_t l = strcspn(p, ",");
        if (l == n && strncmp(p, name, n) == 0) return true;
        p += l;
        if (*p == ',') p++;
    }
    return false;
}

static bool row_exists(sqlite3 *db, const char *table, const char *id) {
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT 1 FROM \"%s\" WHERE Id = ?1", table);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return false;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static const char *json_text(const cJSON *v, char *buf, size_t cap) {
    if (cJSON_IsString(v)) return v->valuestring;
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v) ? "true" : "false";
    if (cJSON_IsNumber(v)) {
        if (v->valuedouble == (double)(long long)v->valuedouble) snprintf(buf, cap, "%lld", (long long)v->valuedouble);
        else snprintf(buf, cap, "%.17g", v->valuedouble);
        return buf;
    }
    return NULL;
}

static void parser_error(crm_sandbox_err *e, const char *tname, const cJSON *v) {
    char *txt = cJSON_PrintUnformatted(v);
    crm_sandbox_err_set(e, "JSON_PARSER_ERROR", NULL,
                        "Cannot deserialize instance of %s from VALUE_%s value %.60s or request may be missing a required field",
                        tname, cJSON_IsString(v) ? "STRING" : cJSON_IsNumber(v) ? "NUMBER" : "OTHER", txt ? txt : "?");
    cJSON_free(txt);
}

/* Converts JSON `v` for field `f` into *s; -1 with *e on a bad value. */
static int convert(sqlite3 *db, const crm_sandbox_field *f, const cJSON *v, slot *s, crm_sandbox_err *e) {
    char num[64], buf[32];
    if (cJSON_IsNull(v)) {
        if (f->type == CRM_SB_BOOLEAN) slot_int(s, 0);
        else slot_text(s, NULL);
        return 0;
    }
    switch (f->type) {
    case CRM_SB_STRING: case CRM_SB_EMAIL: case CRM_SB_URL: case CRM_SB_PHONE: case CRM_SB_TEXTAREA:
    case CRM_SB_PICKLIST: case CRM_SB_COMBOBOX: {
        const char *t = json_text(v, num, sizeof num);
        if (!t) { parser_error(e, "String", v); return -1; }
        if (t[0] == '\0') { slot_text(s, NULL); return 0; } /* Salesforce stores "" as null */
        if (utf8_chars(t) > (size_t)f->length) {
            char pre[200];
            utf8_prefix(t, 40, pre, sizeof pre);
            crm_sandbox_err_set(e, "STRING_TOO_LONG", f->name, "%s: data value too large: %s%s (max length=%d)", f->label, pre,
                                strlen(pre) < strlen(t) ? "..." : "", f->length);
            return -1;
        }
        if (f->type == CRM_SB_EMAIL && !valid_email(t)) {
            char pre[120];
            utf8_prefix(t, 60, pre, sizeof pre);
            crm_sandbox_err_set(e, "INVALID_EMAIL_ADDRESS", f->name, "%s: invalid email address: %s", f->label, pre);
            return -1;
        }
        slot_text(s, t);
        return 0;
    }
    case CRM_SB_ID: case CRM_SB_REFERENCE: {
        if (!cJSON_IsString(v)) { parser_error(e, "Id", v); return -1; }
        if (v->valuestring[0] == '\0') { slot_text(s, NULL); return 0; }
        char id[19];
        if (!crm_sandbox_id18(v->valuestring, id)) {
            crm_sandbox_err_set(e, "MALFORMED_ID", f->name, "%s: id value of incorrect type: %.40s", f->label, v->valuestring);
            return -1;
        }
        const crm_sandbox_object *to = crm_sandbox_object_by_prefix(id);
        if (!to || !in_list(f->refto, to->name)) {
            crm_sandbox_err_set(e, "FIELD_INTEGRITY_EXCEPTION", f->name, "%s: id value of incorrect type: %s", f->label, id);
            return -1;
        }
        if (!row_exists(db, to->name, id)) {
            crm_sandbox_err_set(e, "INVALID_CROSS_REFERENCE_KEY", f->name, "invalid cross reference id");
            return -1;
        }
        slot_text(s, id);
        return 0;
    }
    case CRM_SB_BOOLEAN:
        if (cJSON_IsBool(v)) { slot_int(s, cJSON_IsTrue(v)); return 0; }
        if (cJSON_IsString(v) && strcasecmp(v->valuestring, "true") == 0) { slot_int(s, 1); return 0; }
        if (cJSON_IsString(v) && strcasecmp(v->valuestring, "false") == 0) { slot_int(s, 0); return 0; }
        parser_error(e, "boolean", v);
        return -1;
    case CRM_SB_INT: case CRM_SB_DOUBLE: {
        double d;
        char *end = NULL;
        if (cJSON_IsNumber(v)) d = v->valuedouble;
        else if (cJSON_IsString(v) && v->valuestring[0] && (d = strtod(v->valuestring, &end), *end == '\0')) {}
        else { parser_error(e, f->type == CRM_SB_INT ? "int" : "double", v); return -1; }
        slot_clear(s);
        s->set = true;
        if (f->type == CRM_SB_INT) { s->kind = 2; s->i = (long long)d; }
        else { s->kind = 3; s->d = d; }
        return 0;
    }
    case CRM_SB_DATE:
        if (cJSON_IsString(v) && crm_sandbox_valid_date(v->valuestring)) { slot_text(s, v->valuestring); return 0; }
        if (cJSON_IsString(v) && strlen(v->valuestring) > 10 && crm_sandbox_norm_datetime(v->valuestring, buf)) {
            buf[10] = '\0';
            slot_text(s, buf);
            return 0;
        }
        parser_error(e, "date", v);
        return -1;
    case CRM_SB_DATETIME:
        if (cJSON_IsString(v) && crm_sandbox_norm_datetime(v->valuestring, buf)) { slot_text(s, buf); return 0; }
        if (cJSON_IsString(v) && crm_sandbox_valid_date(v->valuestring)) {
            snprintf(buf, sizeof buf, "%sT00:00:00.000+0000", v->valuestring);
            slot_text(s, buf);
            return 0;
        }
        parser_error(e, "datetime", v);
        return -1;
    }
    return -1;
}

/* Reads the current row into slots (all fields). */
static int load_row(sqlite3 *db, const crm_sandbox_object *o, const char *id, slot *vals) {
    char sql[2048];
    size_t n = (size_t)snprintf(sql, sizeof sql, "SELECT ");
    for (int k = 0; k < o->n_fields; k++) n += (size_t)snprintf(sql + n, sizeof sql - n, "%s\"%s\"", k ? "," : "", o->fields[k].name);
    snprintf(sql + n, sizeof sql - n, " FROM \"%s\" WHERE Id = ?1", o->name);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        for (int k = 0; k < o->n_fields; k++) {
            slot *s = &vals[k];
            s->set = true;
            switch (sqlite3_column_type(st, k)) {
            case SQLITE_INTEGER: s->kind = 2; s->i = sqlite3_column_int64(st, k); break;
            case SQLITE_FLOAT: s->kind = 3; s->d = sqlite3_column_double(st, k); break;
            case SQLITE_NULL: s->kind = 0; break;
            default:
                s->kind = 1;
                s->text = strdup((const char *)sqlite3_column_text(st, k));
                if (!s->text) rc = -1;
            }
        }
    } else rc = 1; /* not found */
    sqlite3_finalize(st);
    return rc;
}

static const char *slot_str(const slot *s) { return s->kind == 1 ? s->text : NULL; }

static void derive(const crm_sandbox_object *o, slot *vals) {
    int fn = crm_sandbox_field_index(o, "FirstName"), ln = crm_sandbox_field_index(o, "LastName"), nm = crm_sandbox_field_index(o, "Name");
    if (fn >= 0 && ln >= 0 && nm >= 0 && !(o->fields[nm].flags & CRM_SB_CRE)) {
        char name[300];
        const char *f = slot_str(&vals[fn]), *l = slot_str(&vals[ln]);
        snprintf(name, sizeof name, "%s%s%s", f ? f : "", f && l ? " " : "", l ? l : "");
        slot_text(&vals[nm], name[0] ? name : NULL);
    }
    if (strcmp(o->name, "Task") == 0) {
        int s = crm_sandbox_field_index(o, "Status"), c = crm_sandbox_field_index(o, "IsClosed");
        const char *v = slot_str(&vals[s]);
        slot_int(&vals[c], v && strcasecmp(v, "Completed") == 0);
    } else if (strcmp(o->name, "Opportunity") == 0) {
        int s = crm_sandbox_field_index(o, "StageName"), c = crm_sandbox_field_index(o, "IsClosed"), w = crm_sandbox_field_index(o, "IsWon");
        const char *v = slot_str(&vals[s]);
        bool won = v && strcasecmp(v, "Closed Won") == 0, lost = v && strcasecmp(v, "Closed Lost") == 0;
        slot_int(&vals[c], won || lost);
        slot_int(&vals[w], won);
    } else if (strcmp(o->name, "EmailMessageRelation") == 0) {
        int r = crm_sandbox_field_index(o, "RelationId"), t = crm_sandbox_field_index(o, "RelationObjectType");
        const char *v = slot_str(&vals[r]);
        const crm_sandbox_object *to = v ? crm_sandbox_object_by_prefix(v) : NULL;
        slot_text(&vals[t], to ? to->name : NULL);
    }
}

int crm_sandbox_save(sqlite3 *db, const crm_sandbox_object *o, crm_sandbox_op op, const char *id, const cJSON *rec, long long now,
                     char id_out[19], crm_sandbox_err *e) {
    slot *vals = calloc((size_t)o->n_fields, sizeof *vals);
    bool *given = calloc((size_t)o->n_fields, sizeof *given);
    int rc = -1;
    char now_s[32];
    crm_sandbox_fmt_datetime(now, now_s);
    if (!vals || !given) { crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "out of memory"); goto out; }
    if (op == CRM_SB_UPDATE) {
        int lr = load_row(db, o, id, vals);
        if (lr != 0) {
            if (lr > 0 && crm_sandbox_was_deleted(db, id)) crm_sandbox_err_set(e, "ENTITY_IS_DELETED", NULL, "entity is deleted");
            else if (lr > 0) crm_sandbox_err_set(e, "NOT_FOUND", NULL, "The requested resource does not exist");
            else crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "cannot read the record");
            goto out;
        }
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, rec) {
        if (!v->string || strcmp(v->string, "attributes") == 0) continue;
        int k = crm_sandbox_field_index(o, v->string);
        if (k < 0) {
            crm_sandbox_err_set(e, "INVALID_FIELD", NULL, "No such column '%s' on sobject of type %s", v->string, o->name);
            goto out;
        }
        const crm_sandbox_field *f = &o->fields[k];
        if (k == 0) { /* Id */
            if (op == CRM_SB_CREATE) { crm_sandbox_err_set(e, "INVALID_FIELD_FOR_INSERT_UPDATE", NULL, "cannot specify Id in an insert call"); goto out; }
            continue; /* the caller resolved it */
        }
        if (!(f->flags & (op == CRM_SB_CREATE ? CRM_SB_CRE : CRM_SB_UPD))) {
            crm_sandbox_err_set(e, "INVALID_FIELD_FOR_INSERT_UPDATE", f->name,
                                "Unable to create/update fields: %s. Please check the security settings of this field and verify that it "
                                "is read/write for your profile or permission set.", f->name);
            goto out;
        }
        if (convert(db, f, v, &vals[k], e) != 0) goto out;
        given[k] = true;
    }
    /* defaults, required fields */
    char missing[400] = "";
    crm_sandbox_err req;
    memset(&req, 0, sizeof req);
    for (int k = 1; k < o->n_fields; k++) {
        const crm_sandbox_field *f = &o->fields[k];
        slot *s = &vals[k];
        if (op == CRM_SB_CREATE && (f->flags & CRM_SB_DEF) && (!s->set || s->kind == 0)) {
            if (strcmp(f->name, "OwnerId") == 0) { char uid[19]; crm_sandbox_admin_user(uid); slot_text(s, uid); }
            else if (f->type == CRM_SB_BOOLEAN && f->defval) slot_int(s, strcmp(f->defval, "true") == 0);
            else if (f->defval) slot_text(s, f->defval);
        }
        bool required = !(f->flags & CRM_SB_NIL) && (f->flags & CRM_SB_CRE) && f->type != CRM_SB_BOOLEAN;
        bool check = op == CRM_SB_CREATE || given[k];
        if (required && check && (!s->set || s->kind == 0)) {
            size_t l = strlen(missing);
            snprintf(missing + l, sizeof missing - l, "%s%s", l ? ", " : "", f->name);
            if (req.n_fields < 4) snprintf(req.fields[req.n_fields++], sizeof req.fields[0], "%s", f->name);
        }
    }
    if (missing[0]) {
        int nf = req.n_fields;
        crm_sandbox_err_set(e, "REQUIRED_FIELD_MISSING", NULL, "Required fields are missing: [%s]", missing);
        memcpy(e->fields, req.fields, sizeof e->fields);
        e->n_fields = nf;
        goto out;
    }
    int cd = crm_sandbox_field_index(o, "CreatedDate"), lm = crm_sandbox_field_index(o, "LastModifiedDate");
    if (op == CRM_SB_CREATE && cd >= 0) slot_text(&vals[cd], now_s);
    if (lm >= 0) slot_text(&vals[lm], now_s);
    derive(o, vals);
    /* unique values */
    for (int k = 1; k < o->n_fields; k++) {
        const crm_sandbox_field *f = &o->fields[k];
        if (!(f->flags & CRM_SB_UNQ) || vals[k].kind != 1 || !given[k]) continue;
        char other[19];
        sqlite3_stmt *st = NULL;
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT Id FROM \"%s\" WHERE \"%s\" = ?1 AND Id IS NOT ?2 LIMIT 1", o->name, f->name);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) { crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "%s", sqlite3_errmsg(db)); goto out; }
        sqlite3_bind_text(st, 1, vals[k].text, -1, SQLITE_STATIC);
        if (id) sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        bool dup = sqlite3_step(st) == SQLITE_ROW;
        if (dup) snprintf(other, sizeof other, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        if (dup) {
            crm_sandbox_err_set(e, "DUPLICATE_VALUE", NULL, "duplicate value found: %s duplicates value on record with id: %s", f->name, other);
            goto out;
        }
    }
    /* write */
    char newid[19];
    if (op == CRM_SB_CREATE) {
        if (crm_sandbox_new_id(db, o->prefix, newid) != 0) { crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "cannot allocate an id"); goto out; }
        slot_text(&vals[0], newid);
    } else {
        snprintf(newid, sizeof newid, "%s", id);
    }
    char sql[4096];
    size_t n;
    if (op == CRM_SB_CREATE) {
        n = (size_t)snprintf(sql, sizeof sql, "INSERT INTO \"%s\"(", o->name);
        for (int k = 0; k < o->n_fields; k++) n += (size_t)snprintf(sql + n, sizeof sql - n, "%s\"%s\"", k ? "," : "", o->fields[k].name);
        n += (size_t)snprintf(sql + n, sizeof sql - n, ") VALUES(");
        for (int k = 0; k < o->n_fields; k++) n += (size_t)snprintf(sql + n, sizeof sql - n, "%s?%d", k ? "," : "", k + 1);
        snprintf(sql + n, sizeof sql - n, ")");
    } else {
        n = (size_t)snprintf(sql, sizeof sql, "UPDATE \"%s\" SET ", o->name);
        for (int k = 1; k < o->n_fields; k++) n += (size_t)snprintf(sql + n, sizeof sql - n, "%s\"%s\" = ?%d", k > 1 ? "," : "", o->fields[k].name, k + 1);
        snprintf(sql + n, sizeof sql - n, " WHERE Id = ?1");
        slot_text(&vals[0], newid);
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) { crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "%s", sqlite3_errmsg(db)); goto out; }
    for (int k = 0; k < o->n_fields; k++) {
        const slot *s = &vals[k];
        if (s->kind == 1) sqlite3_bind_text(st, k + 1, s->text, -1, SQLITE_STATIC);
        else if (s->kind == 2) sqlite3_bind_int64(st, k + 1, s->i);
        else if (s->kind == 3) sqlite3_bind_double(st, k + 1, s->d);
        else sqlite3_bind_null(st, k + 1);
    }
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src != SQLITE_DONE) { crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "%s", sqlite3_errmsg(db)); goto out; }
    memcpy(id_out, newid, 19);
    rc = 0;
out:
    for (int k = 0; vals && k < o->n_fields; k++) slot_clear(&vals[k]);
    free(vals);
    free(given);
    return rc;
}

int crm_sandbox_find_by(sqlite3 *db, const crm_sandbox_object *o, const crm_sandbox_field *f, const char *value, char id_out[19]) {
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT Id FROM \"%s\" WHERE \"%s\" = ?1 LIMIT 2", o->name, f->name);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    char id[19];
    if (f->type == CRM_SB_ID && crm_sandbox_id18(value, id)) sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    else sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == 0) snprintf(id_out, 19, "%s", (const char *)sqlite3_column_text(st, 0));
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

cJSON *crm_sandbox_value_json(sqlite3_stmt *st, int i, const crm_sandbox_field *f) {
    if (sqlite3_column_type(st, i) == SQLITE_NULL) return cJSON_CreateNull();
    switch (f->type) {
    case CRM_SB_BOOLEAN: return cJSON_CreateBool(sqlite3_column_int(st, i) != 0);
    case CRM_SB_INT: return cJSON_CreateNumber((double)sqlite3_column_int64(st, i));
    case CRM_SB_DOUBLE: return cJSON_CreateNumber(sqlite3_column_double(st, i));
    case CRM_SB_ID: case CRM_SB_REFERENCE: case CRM_SB_DATE: case CRM_SB_DATETIME: case CRM_SB_STRING: case CRM_SB_EMAIL:
    case CRM_SB_URL: case CRM_SB_PHONE: case CRM_SB_TEXTAREA: case CRM_SB_PICKLIST: case CRM_SB_COMBOBOX:
        break;
    }
    return cJSON_CreateString((const char *)sqlite3_column_text(st, i));
}

cJSON *crm_sandbox_read(sqlite3 *db, const crm_sandbox_object *o, const char *id, const char *fields, const char *version,
                        crm_sandbox_err *e) {
    int idx[64], n = 0;
    if (fields && fields[0]) {
        char buf[2048];
        snprintf(buf, sizeof buf, "%s", fields);
        char *save = NULL;
        for (char *f = strtok_r(buf, ", ", &save); f; f = strtok_r(NULL, ", ", &save)) {
            int k = crm_sandbox_field_index(o, f);
            if (k < 0) { crm_sandbox_err_set(e, "INVALID_FIELD", NULL, "No such column '%s' on sobject of type %s", f, o->name); return NULL; }
            if (n < 64) idx[n++] = k;
        }
    } else {
        for (int k = 0; k < o->n_fields && k < 64; k++) idx[n++] = k;
    }
    char sql[2048];
    size_t len = (size_t)snprintf(sql, sizeof sql, "SELECT Id");
    for (int i = 0; i < n; i++) len += (size_t)snprintf(sql + len, sizeof sql - len, ",\"%s\"", o->fields[idx[i]].name);
    snprintf(sql + len, sizeof sql - len, " FROM \"%s\" WHERE Id = ?1", o->name);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) { crm_sandbox_err_set(e, "UNKNOWN_EXCEPTION", NULL, "%s", sqlite3_errmsg(db)); return NULL; }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    cJSON *rec = NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        rec = cJSON_CreateObject();
        cJSON *at = cJSON_AddObjectToObject(rec, "attributes");
        char url[160];
        snprintf(url, sizeof url, "/services/data/v%s/sobjects/%s/%s", version, o->name, id);
        cJSON_AddStringToObject(at, "type", o->name);
        cJSON_AddStringToObject(at, "url", url);
        for (int i = 0; i < n; i++) cJSON_AddItemToObject(rec, o->fields[idx[i]].name, crm_sandbox_value_json(st, i + 1, &o->fields[idx[i]]));
    } else if (crm_sandbox_was_deleted(db, id)) {
        crm_sandbox_err_set(e, "ENTITY_IS_DELETED", NULL, "entity is deleted");
    } else {
        crm_sandbox_err_set(e, "NOT_FOUND", NULL, "The requested resource does not exist");
    }
    sqlite3_finalize(st);
    return rec;
}

bool crm_sandbox_was_deleted(sqlite3 *db, const char *id) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sandbox_deleted WHERE id = ?1", -1, &st, NULL) != SQLITE_OK) return false;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    bool d = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return d;
}

int crm_sandbox_delete(sqlite3 *db, const crm_sandbox_object *o, const char *id) {
    char sql[200];
    snprintf(sql, sizeof sql, "DELETE FROM \"%s\" WHERE Id = ?1", o->name);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? (sqlite3_changes(db) > 0 ? 1 : 0) : -1;
    sqlite3_finalize(st);
    if (rc != 1) return rc;
    /* the junction rows go with their activity, as in Salesforce */
    static const char *const cascade[][2] = {{"Task", "DELETE FROM \"TaskRelation\" WHERE TaskId = ?1"},
                                             {"Event", "DELETE FROM \"EventRelation\" WHERE EventId = ?1"},
                                             {"EmailMessage", "DELETE FROM \"EmailMessageRelation\" WHERE EmailMessageId = ?1"}};
    for (size_t i = 0; i < sizeof cascade / sizeof cascade[0]; i++) {
        if (strcmp(o->name, cascade[i][0]) != 0) continue;
        if (sqlite3_prepare_v2(db, cascade[i][1], -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
            sqlite3_step(st);
            sqlite3_finalize(st);
        }
    }
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO sandbox_deleted(id, sobject) VALUES(?1, ?2)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, o->name, -1, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_finalize(st);
    }
    return 1;
}
