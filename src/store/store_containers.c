/* SPDX-License-Identifier: MIT */
/* store_containers.c -- the container allowlist: containers (by id or name) that may be
 * inspected in detail. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/jsonx.h"
#include "store/store_int.h"

#define CT_COLS     "id, container_ref, is_active, note, created_at"
#define CT_REF_MAX  128
#define CT_NOTE_MAX 1000

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool store_container_ref_ok(const char *ref)
{
    size_t n = ref ? strlen(ref) : 0;
    if (n == 0 || n > CT_REF_MAX)
        return false;
    bool all_hex = n >= 12 && n <= 64;
    for (size_t i = 0; i < n; i++)
        all_hex = all_hex && is_hex(ref[i]);
    if (all_hex)
        return true;
    for (size_t i = 0; i < n; i++) {
        char c = ref[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
            return false;
    }
    return true;
}

enum err store_container_validate(const json_t *fields,
                                  bool is_full,
                                  const char **bad_field,
                                  struct errbuf *eb)
{
    const char *bad = NULL;
    enum err e = ERR_OK;
    json_t *ref = json_object_get(fields, "container_ref");
    json_t *note = json_object_get(fields, "note");
    json_t *act = json_object_get(fields, "is_active");
    if (!json_is_object(fields)) {
        e = errbuf_set(eb, ERR_INVALID, "container fields must be an object");
    } else if ((is_full || ref) && !json_is_string(ref)) {
        bad = "container_ref";
        e = errbuf_set(eb, ERR_INVALID, ref ? "Not a valid string." : "This field is required.");
    } else if (ref && (strlen(json_string_value(ref)) != json_string_length(ref) ||
                       !store_container_ref_ok(json_string_value(ref)))) {
        bad = "container_ref";
        e = errbuf_set(eb, ERR_INVALID,
                       "Give a container id (12 to 64 hex digits) or a name matching "
                       "[a-zA-Z0-9][a-zA-Z0-9_.-]* (at most %d bytes).",
                       CT_REF_MAX);
    } else if (note && !json_is_null(note) &&
               (!json_is_string(note) || json_string_length(note) > CT_NOTE_MAX ||
                strlen(json_string_value(note)) != json_string_length(note))) {
        bad = "note";
        e = errbuf_set(eb, ERR_INVALID, "Give a string of at most %d bytes.", CT_NOTE_MAX);
    } else if (act && !json_is_boolean(act)) {
        bad = "is_active";
        e = errbuf_set(eb, ERR_INVALID, "Must be a valid boolean.");
    }
    if (bad_field)
        *bad_field = bad;
    return e;
}

static enum err get_ct(struct db *db, int64_t id, json_t **out, struct errbuf *eb)
{
    enum err e = db_query_one(db, "SELECT " CT_COLS " FROM container_allowlist WHERE id = $1",
                              (struct db_param[]){DB_I(id)}, 1, out, eb);
    if (e == ERR_OK && !*out)
        e = errbuf_set(eb, ERR_NOT_FOUND, "container %lld not found", (long long)id);
    return e;
}

enum err store_container_list(struct store *st,
                              int64_t offset,
                              int64_t limit,
                              json_t **results,
                              int64_t *count,
                              struct errbuf *eb)
{
    struct db *db = store_db_get(st);
    enum err e = db_query_page(db, "SELECT COUNT(*) AS n FROM container_allowlist",
                               "SELECT " CT_COLS " FROM container_allowlist "
                               "ORDER BY container_ref LIMIT $1 OFFSET $2",
                               offset, limit, results, count, eb);
    store_db_put(st, db);
    return e;
}

enum err store_container_get(struct store *st, int64_t id, json_t **out, struct errbuf *eb)
{
    struct db *db = store_db_get(st);
    enum err e = get_ct(db, id, out, eb);
    store_db_put(st, db);
    return e;
}

/* Value of k: fields[k] when present, else old[k] (old NULL for a full write). */
static const json_t *pick(const json_t *fields, const json_t *old, const char *k)
{
    const json_t *v = json_object_get(fields, k);
    return v ? v : json_object_get(old, k);
}

static enum err
save_tx(struct db *db, const json_t *old, const json_t *fields, int64_t *id, struct errbuf *eb)
{
    const char *ref = json_string_value(pick(fields, old, "container_ref"));
    const json_t *act = pick(fields, old, "is_active");
    int64_t taken = 0;
    enum err e = db_query_int(db,
                              "SELECT COUNT(*) AS n FROM container_allowlist WHERE "
                              "container_ref = $1 AND id <> $2",
                              (struct db_param[]){DB_S(ref), DB_I(*id)}, 2, "n", &taken, eb);
    if (e == ERR_OK && taken) {
        char q[40];
        err_quote_user(q, sizeof(q), ref);
        return errbuf_set(eb, ERR_CONFLICT, "container \"%s\" is already allowlisted", q);
    }
    if (e != ERR_OK)
        return e;
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now);
    struct db_param p[] = {DB_S(ref), DB_I(act ? json_is_true(act) : 1),
                           DB_S(json_string_value(pick(fields, old, "note"))),
                           *id ? DB_I(*id) : DB_S(now)};
    if (*id)
        return db_exec(db,
                       "UPDATE container_allowlist SET container_ref = $1, is_active = ($2 <> 0), "
                       "note = $3 WHERE id = $4",
                       p, 4, NULL, eb);
    json_t *row = NULL;
    e = db_query_one(db,
                     "INSERT INTO container_allowlist (container_ref, is_active, note, "
                     "created_at) VALUES ($1, $2 <> 0, $3, $4) RETURNING id",
                     p, 4, &row, eb);
    *id = row_int(row, "id");
    json_decref(row);
    return e;
}

enum err store_container_save(struct store *st,
                              int64_t id,
                              const json_t *fields,
                              bool is_full,
                              json_t **out,
                              struct errbuf *eb)
{
    *out = NULL;
    enum err e = store_container_validate(fields, is_full || !id, NULL, eb);
    if (e != ERR_OK)
        return e;
    return store_row_save(st, id, fields, is_full, get_ct, save_tx, out, eb);
}

enum err store_container_delete(struct store *st, int64_t id, struct errbuf *eb)
{
    int64_t changed = 0;
    struct db *db = store_db_get(st);
    enum err e = db_exec(db, "DELETE FROM container_allowlist WHERE id = $1",
                         (struct db_param[]){DB_I(id)}, 1, &changed, eb);
    store_db_put(st, db);
    if (e == ERR_OK && changed == 0)
        e = errbuf_set(eb, ERR_NOT_FOUND, "container %lld not found", (long long)id);
    return e;
}

enum err store_container_is_allowed(
    struct store *st, const char *id, const char *name, bool *is_allowed, struct errbuf *eb)
{
    int64_t n = 0;
    *is_allowed = false;
    struct db *db = store_db_get(st);
    enum err e = db_query_int(db,
                              "SELECT COUNT(*) AS n FROM container_allowlist WHERE is_active "
                              "AND (container_ref = $1 OR container_ref = $2 OR "
                              "(LENGTH(container_ref) >= 12 AND SUBSTR($1, 1, "
                              "LENGTH(container_ref)) = container_ref))",
                              (struct db_param[]){DB_S(id ? id : ""), DB_S(name ? name : "")}, 2,
                              "n", &n, eb);
    store_db_put(st, db);
    *is_allowed = e == ERR_OK && n > 0;
    return e;
}

/* Check every entry of a replacement list and that no container_ref comes twice. */
static enum err check_entries(const json_t *entries, struct errbuf *eb)
{
    size_t n = json_array_size(entries);
    if (!json_is_array(entries))
        return errbuf_set(eb, ERR_INVALID, "entries must be a list");
    if (n > STORE_CONTAINERS_MAX)
        return errbuf_set(eb, ERR_TOO_LARGE, "give at most %d entries", STORE_CONTAINERS_MAX);
    for (size_t i = 0; i < n; i++) {
        const char *bad = NULL;
        struct errbuf one = {{0}};
        const json_t *f = json_array_get(entries, i);
        enum err e = store_container_validate(f, true, &bad, &one);
        if (e != ERR_OK)
            return errbuf_set(eb, e, "entries[%zu]%s%s: %s", i, bad ? "." : "", bad ? bad : "",
                              errbuf_get(&one, e));
        const char *ref = jsonx_get_str(f, "container_ref");
        for (size_t k = 0; k < i; k++)
            if (strcmp(ref, jsonx_get_str(json_array_get(entries, k), "container_ref")) == 0) {
                char q[40];
                err_quote_user(q, sizeof(q), ref);
                return errbuf_set(eb, ERR_CONFLICT,
                                  "entries[%zu]: container \"%s\" is listed twice", i, q);
            }
    }
    return ERR_OK;
}

/* Inside db's transaction: save each entry (an existing ref keeps its row), then delete the
 * rows no entry names. */
static enum err replace_tx(struct db *db, const json_t *entries, struct errbuf *eb)
{
    json_t *old = NULL, *row;
    size_t i;
    enum err e =
        db_query(db, "SELECT id, container_ref FROM container_allowlist", NULL, 0, &old, eb);
    for (i = 0; e == ERR_OK && i < json_array_size(entries); i++) {
        const json_t *f = json_array_get(entries, i);
        json_t *same = jsonx_find(old, "container_ref", jsonx_get_str(f, "container_ref"));
        int64_t id = same ? row_int(same, "id") : 0;
        e = save_tx(db, NULL, f, &id, eb);
        if (same)
            json_object_set_new(same, "is_kept", json_true());
    }
    json_array_foreach(old, i, row)
    {
        if (e != ERR_OK)
            break;
        if (!json_object_get(row, "is_kept"))
            e = db_exec(db, "DELETE FROM container_allowlist WHERE id = $1",
                        (struct db_param[]){DB_I(row_int(row, "id"))}, 1, NULL, eb);
    }
    json_decref(old);
    return e;
}

enum err
store_container_replace(struct store *st, const json_t *entries, json_t **out, struct errbuf *eb)
{
    int64_t count = 0;
    *out = NULL;
    enum err e = check_entries(entries, eb);
    if (e != ERR_OK)
        return e;
    struct db *db = store_db_get(st);
    e = db_begin(db, eb);
    if (e == ERR_OK) {
        e = replace_tx(db, entries, eb);
        if (e == ERR_OK)
            e = db_commit(db, eb);
        else
            db_rollback(db);
    }
    store_db_put(st, db);
    if (e == ERR_OK)
        e = store_container_list(st, 0, STORE_CONTAINERS_MAX, out, &count, eb);
    return e;
}
