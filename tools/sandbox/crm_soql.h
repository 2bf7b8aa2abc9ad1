/* tools/sandbox/crm_soql.h: the SOQL subset the sandbox org understands, compiled to one
 * SQLite statement over the object's table.
 *
 *   SELECT field, ... | COUNT() | COUNT(field)
 *   FROM Object
 *   [WHERE cond]      cond: field (= | != | <> | < | <= | > | >=) literal
 *                           | field [NOT] IN (literal, ...) | field LIKE 'pattern'
 *                           | NOT cond | (cond) | cond AND cond ... | cond OR cond ...
 *                           (AND and OR are not mixed without parentheses, as in SOQL)
 *   [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...]
 *   [LIMIT n] [OFFSET n]
 * Literals: 'string' (backslash escapes), numbers, true/false, null, 2025-01-31,
 * 2025-01-31T10:00:00Z (any offset). Keywords, objects and fields are case-insensitive;
 * text comparisons are case-insensitive (as in Salesforce). */
#ifndef CRM_SOQL_H
#define CRM_SOQL_H
#include <sqlite3.h>
#include "crm_sandbox_internal.h"

typedef struct crm_soql_plan {
    const crm_sandbox_object *obj;
    int *sel;            /* field indices of the SELECT list, in order */
    int n_sel;
    int count;           /* 0: rows; 1: COUNT(); 2: COUNT(field) */
    int count_field;     /* the field of COUNT(field) */
    char *where_sql;     /* "" when no WHERE; '?' placeholders */
    char *order_sql;     /* ORDER BY body, always ends with rowid */
    long limit;          /* -1: none */
    long offset;
    /* bound values, in placeholder order */
    struct crm_soql_bind { int kind; /* 0 null, 1 text, 2 int, 3 double */ char *text; long long i; double d; } *binds;
    int n_binds;
} crm_soql_plan;

/* Parses and resolves `soql` against the sandbox's objects. Returns the plan (free with
 * crm_soql_free) or NULL with *e set (MALFORMED_QUERY, INVALID_TYPE, INVALID_FIELD,
 * INVALID_QUERY_FILTER_OPERATOR, NUMBER_OUTSIDE_VALID_RANGE). */
crm_soql_plan *crm_soql_compile(const char *soql, crm_sandbox_err *e);
void crm_soql_free(crm_soql_plan *p);
/* Binds the plan's values to `st` starting at parameter `first` (1-based); returns the next free index. */
int crm_soql_bind_all(const crm_soql_plan *p, sqlite3_stmt *st, int first);
#endif
