/* SPDX-License-Identifier: MIT */
/* store_directive_versions.c -- the versions of a directive's key and the difference
 * between two of them (fields that changed, and a line diff of the text by core/linediff). */
#include <string.h>

#include "core/jsonx.h"
#include "core/linediff.h"
#include "store/store.h"
#include "store/store_int.h"

/* The key of live directive id, from inside a query: $1 is the id. */
#define KEY_OF_ID "(SELECT k.key FROM directives k WHERE k.id = $1 AND k.deleted_at IS NULL)"

enum err store_directive_versions(struct store *st, int64_t id, json_t **out, struct errbuf *eb)
{
    json_t *rows = NULL;
    int64_t count = 0;
    *out = NULL;
    struct db *db = store_db_get(st);
    enum err e = db_read_begin(db, eb);
    if (e != ERR_OK)
        goto out;
    e = db_query_int(db,
                     "SELECT COUNT(*) AS n FROM directives d WHERE d.deleted_at IS NULL AND "
                     "d.key = " KEY_OF_ID,
                     (struct db_param[]){DB_I(id)}, 1, "n", &count, eb);
    if (e == ERR_OK)
        e = db_query(
            db,
            "SELECT d.id, d.key, d.name, d.version, d.description, d.is_active, "
            "d.created_at FROM directives d WHERE d.deleted_at IS NULL AND d.key = " KEY_OF_ID
            " ORDER BY d.version DESC LIMIT $2",
            (struct db_param[]){DB_I(id), DB_I(STORE_DIRECTIVE_VERSIONS_MAX)}, 2, &rows, eb);
    db_read_end(db);
    if (e == ERR_OK && json_array_size(rows) == 0)
        e = errbuf_set(eb, ERR_NOT_FOUND, "directive %lld not found", (long long)id);
    if (e != ERR_OK)
        goto out;
    *out = json_pack("{s:I, s:O, s:I, s:b, s:o}", "directive_id", (json_int_t)id, "key",
                     json_object_get(json_array_get(rows, 0), "key"), "count", (json_int_t)count,
                     "is_truncated", count > (int64_t)json_array_size(rows), "results", rows);
    rows = NULL;
out:
    store_db_put(st, db);
    json_decref(rows);
    return e;
}

/* Read version v of id's key into *row; ERR_NOT_FOUND when there is none. */
static enum err get_version(
    struct db *db, int64_t id, int64_t v, const char *which, json_t **row, struct errbuf *eb)
{
    enum err e = db_query_one(
        db,
        "SELECT d.id, d.key, d.name, d.version, d.description, d.text, d.config, d.is_active, "
        "d.created_at FROM directives d WHERE d.deleted_at IS NULL AND d.version = $2 AND "
        "d.key = " KEY_OF_ID,
        (struct db_param[]){DB_I(id), DB_I(v)}, 2, row, eb);
    if (e == ERR_OK && !*row)
        e = errbuf_set(eb, ERR_NOT_FOUND, "%s: directive %lld has no version %lld", which,
                       (long long)id, (long long)v);
    if (e == ERR_OK)
        row_parse_json(*row, "config");
    return e;
}

/* Add {"field","from","to"} to changes when field differs between a and b. */
static void change(json_t *changes, const json_t *a, const json_t *b, const char *field)
{
    json_t *va = json_object_get(a, field), *vb = json_object_get(b, field);
    if (json_equal(va, vb) || (!va && !vb))
        return;
    json_array_append_new(changes,
                          json_pack("{s:s, s:O?, s:O?}", "field", field, "from", va, "to", vb));
}

static json_t *side(const json_t *row)
{
    return json_pack("{s:O, s:O, s:O, s:O}", "id", json_object_get(row, "id"), "version",
                     json_object_get(row, "version"), "name", json_object_get(row, "name"),
                     "created_at", json_object_get(row, "created_at"));
}

static json_t *lines_json(const struct linediff *d)
{
    json_t *lines = json_array();
    for (size_t i = 0; i < d->n_edits; i++) {
        const struct linediff_edit *ed = &d->edits[i];
        json_t *text = json_stringn(ed->text, ed->len);
        json_array_append_new(lines, json_pack("{s:s, s:o}", "op", linediff_op_name(ed->op), "text",
                                               text ? text : json_null()));
    }
    return lines;
}

/* Build the diff object of rows a (from) and b (to). */
static enum err diff_rows(const json_t *a, const json_t *b, json_t **out, struct errbuf *eb)
{
    struct linediff d;
    const char *ta = jsonx_get_str(a, "text"), *tb = jsonx_get_str(b, "text");
    ta = ta ? ta : "";
    tb = tb ? tb : "";
    enum err e = linediff_compute(ta, strlen(ta), tb, strlen(tb), &d, eb);
    if (e != ERR_OK)
        return e;
    json_t *changes = json_array();
    change(changes, a, b, "name");
    change(changes, a, b, "description");
    change(changes, a, b, "is_active");
    change(changes, a, b, "config");
    *out = json_pack("{s:O, s:o, s:o, s:o, s:o, s:I, s:I, s:b}", "key", json_object_get(a, "key"),
                     "from", side(a), "to", side(b), "changes", changes, "lines", lines_json(&d),
                     "added", (json_int_t)d.n_added, "removed", (json_int_t)d.n_removed,
                     "is_approximate", d.is_approx);
    linediff_fini(&d);
    return ERR_OK;
}

enum err store_directive_diff(
    struct store *st, int64_t id, int64_t from, int64_t to, json_t **out, struct errbuf *eb)
{
    json_t *a = NULL, *b = NULL;
    *out = NULL;
    struct db *db = store_db_get(st);
    enum err e = db_read_begin(db, eb);
    if (e != ERR_OK)
        goto out;
    int64_t live = 0;
    e = db_query_int(db,
                     "SELECT COUNT(*) AS n FROM directives d WHERE d.id = $1 AND "
                     "d.deleted_at IS NULL",
                     (struct db_param[]){DB_I(id)}, 1, "n", &live, eb);
    if (e == ERR_OK && !live)
        e = errbuf_set(eb, ERR_NOT_FOUND, "directive %lld not found", (long long)id);
    if (e == ERR_OK)
        e = get_version(db, id, from, "from", &a, eb);
    if (e == ERR_OK)
        e = get_version(db, id, to, "to", &b, eb);
    db_read_end(db);
    if (e == ERR_OK)
        e = diff_rows(a, b, out, eb);
out:
    store_db_put(st, db);
    json_decref(a);
    json_decref(b);
    return e;
}
