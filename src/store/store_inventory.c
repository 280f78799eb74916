/* SPDX-License-Identifier: MIT */
/* store_inventory.c -- container inventory snapshots: one row per snapshot, one per
 * container it saw, and the difference between two snapshots (matched by container id).
 *
 * The store keeps what it is given, cut to its caps; deciding what a container's details
 * may hold (allowlisted containers only, no variable values, redacted) is the caller's
 * job (tasks_inventory.c). */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "store/store_int.h"

#define SNAP_COLS  "id, taken_at, source, run_id, container_count"
#define ITEM_COLS  "container_id, name, image, state, status, is_allowlisted, details"
#define ID_MAX     128
#define NAME_MAX_B 256
#define IMAGE_MAX  512
#define STATE_MAX  32
#define STATUS_MAX 256

/* Copy at most max bytes of s (NULL: "") into a new string cut on a UTF-8 boundary. */
static char *cut(const char *s, size_t max)
{
    return store_str_cut(s ? s : "", max);
}

/* Check one item; ERR_INVALID or ERR_TOO_LARGE with the reason. */
static enum err check_item(const json_t *it, size_t i, struct errbuf *eb)
{
    const char *id = jsonx_get_str(it, "container_id");
    json_t *d = json_object_get(it, "details");
    if (!json_is_object(it) || !id || !*id)
        return errbuf_set(eb, ERR_INVALID, "inventory item %zu has no container_id", i);
    if (d && !json_is_null(d) && !json_is_object(d))
        return errbuf_set(eb, ERR_INVALID, "inventory item %zu: details must be an object", i);
    return ERR_OK;
}

enum err store_inventory_check(const json_t *items, struct errbuf *eb)
{
    if (!json_is_array(items))
        return errbuf_set(eb, ERR_INVALID, "inventory items must be an array");
    if (json_array_size(items) > STORE_INVENTORY_ITEMS_MAX)
        return errbuf_set(eb, ERR_TOO_LARGE, "a snapshot holds at most %d containers",
                          STORE_INVENTORY_ITEMS_MAX);
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        enum err e = check_item(it, i, eb);
        if (e != ERR_OK)
            return e;
        json_t *d = json_object_get(it, "details");
        if (!json_is_object(d))
            continue;
        char *text = jsonx_dumps(d);
        size_t n = strlen(text);
        xfree(text);
        if (n > STORE_INVENTORY_DETAILS_MAX)
            return errbuf_set(eb, ERR_TOO_LARGE, "inventory item %zu: details exceed %d bytes", i,
                              STORE_INVENTORY_DETAILS_MAX);
    }
    return ERR_OK;
}

static enum err insert_item(struct db *db, int64_t snap_id, const json_t *it, struct errbuf *eb)
{
    json_t *d = json_object_get(it, "details");
    char *f[5] = {
        cut(jsonx_get_str(it, "container_id"), ID_MAX), cut(jsonx_get_str(it, "name"), NAME_MAX_B),
        cut(jsonx_get_str(it, "image"), IMAGE_MAX), cut(jsonx_get_str(it, "state"), STATE_MAX),
        cut(jsonx_get_str(it, "status"), STATUS_MAX)};
    char *details = json_is_object(d) ? jsonx_dumps(d) : NULL;
    struct db_param p[] = {DB_I(snap_id),
                           DB_S(f[0]),
                           DB_S(f[1]),
                           DB_S(f[2]),
                           DB_S(f[3]),
                           DB_S(f[4]),
                           DB_I(json_is_true(json_object_get(it, "is_allowlisted"))),
                           DB_S(details)};
    enum err e = db_exec(db,
                         "INSERT INTO inventory_items (snapshot_id, container_id, name, image, "
                         "state, status, is_allowlisted, details) VALUES ($1, $2, $3, $4, $5, "
                         "$6, $7 <> 0, $8)",
                         p, 8, NULL, eb);
    for (size_t i = 0; i < 5; i++)
        xfree(f[i]);
    xfree(details);
    return e;
}

static enum err get_snap(struct db *db, int64_t id, json_t **out, struct errbuf *eb)
{
    enum err e = db_query_one(db, "SELECT " SNAP_COLS " FROM inventory_snapshots WHERE id = $1",
                              (struct db_param[]){DB_I(id)}, 1, out, eb);
    if (e == ERR_OK && !*out)
        e = errbuf_set(eb, ERR_NOT_FOUND, "inventory snapshot %lld not found", (long long)id);
    return e;
}

/* Insert the snapshot row and its items; *id gets the new id. */
static enum err add_tx(struct db *db,
                       const char *source,
                       int64_t run_id,
                       const json_t *items,
                       int64_t *id,
                       struct errbuf *eb)
{
    char now[CLOCK_ISO_LEN];
    int64_t taken = 0;
    json_t *row = NULL;
    enum err e = ERR_OK;
    if (run_id > 0)
        e = db_query_int(db, "SELECT COUNT(*) AS n FROM inventory_snapshots WHERE run_id = $1",
                         (struct db_param[]){DB_I(run_id)}, 1, "n", &taken, eb);
    if (e == ERR_OK && taken)
        return errbuf_set(eb, ERR_CONFLICT, "run %lld already has an inventory snapshot",
                          (long long)run_id);
    clock_now_iso(now);
    struct db_param p[] = {DB_S(now), DB_S(source), run_id > 0 ? DB_I(run_id) : DB_N,
                           DB_I(json_array_size(items))};
    if (e == ERR_OK)
        e = db_query_one(db,
                         "INSERT INTO inventory_snapshots (taken_at, source, run_id, "
                         "container_count) VALUES ($1, $2, $3, $4) RETURNING id",
                         p, 4, &row, eb);
    *id = row_int(row, "id");
    json_decref(row);
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (e != ERR_OK)
            break;
        e = insert_item(db, *id, it, eb);
    }
    return e;
}

enum err store_inventory_add(struct store *st,
                             const char *source,
                             int64_t run_id,
                             const json_t *items,
                             json_t **out,
                             struct errbuf *eb)
{
    int64_t id = 0;
    *out = NULL;
    if (!source || (strcmp(source, "manual") != 0 && strcmp(source, "run") != 0))
        return errbuf_set(eb, ERR_INVALID, "inventory source must be manual or run");
    if ((strcmp(source, "run") == 0) != (run_id > 0))
        return errbuf_set(eb, ERR_INVALID, "a run snapshot needs its run id (and only it)");
    enum err e = store_inventory_check(items, eb);
    if (e != ERR_OK)
        return e;
    struct db *db = store_db_get(st);
    e = db_begin(db, eb);
    if (e != ERR_OK)
        goto out;
    e = add_tx(db, source, run_id, items, &id, eb);
    if (e == ERR_OK)
        e = db_commit(db, eb);
    else
        db_rollback(db);
    if (e == ERR_OK)
        e = get_snap(db, id, out, eb);
out:
    store_db_put(st, db);
    return e;
}

enum err store_inventory_list(struct store *st,
                              int64_t offset,
                              int64_t limit,
                              json_t **results,
                              int64_t *count,
                              struct errbuf *eb)
{
    struct db *db = store_db_get(st);
    enum err e = db_query_page(db, "SELECT COUNT(*) AS n FROM inventory_snapshots",
                               "SELECT " SNAP_COLS " FROM inventory_snapshots "
                               "ORDER BY id DESC LIMIT $1 OFFSET $2",
                               offset, limit, results, count, eb);
    store_db_put(st, db);
    return e;
}

/* *items gets the items of snapshot id, by name and container id. */
static enum err get_items(struct db *db, int64_t id, json_t **items, struct errbuf *eb)
{
    enum err e = db_query(db,
                          "SELECT " ITEM_COLS " FROM inventory_items WHERE snapshot_id = $1 "
                          "ORDER BY name, container_id",
                          (struct db_param[]){DB_I(id)}, 1, items, eb);
    size_t i;
    json_t *row;
    json_array_foreach(*items, i, row) row_parse_json(row, "details");
    return e;
}

/* The id of the newest snapshot older than before (0: the newest of all); 0 when none. */
static enum err newest_id(struct db *db, int64_t before, int64_t *id, struct errbuf *eb)
{
    if (before > 0)
        return db_query_int(db, "SELECT MAX(id) AS id FROM inventory_snapshots WHERE id < $1",
                            (struct db_param[]){DB_I(before)}, 1, "id", id, eb);
    return db_query_int(db, "SELECT MAX(id) AS id FROM inventory_snapshots", NULL, 0, "id", id, eb);
}

/* Get snapshot id (0: the newest) with its items, on a borrowed connection. */
static enum err get_full(struct db *db, int64_t id, json_t **out, struct errbuf *eb)
{
    json_t *items = NULL;
    *out = NULL;
    enum err e = db_read_begin(db, eb);
    if (e != ERR_OK)
        return e;
    if (id <= 0) {
        e = newest_id(db, 0, &id, eb);
        if (e == ERR_OK && id == 0)
            e = errbuf_set(eb, ERR_NOT_FOUND, "no inventory snapshot has been taken yet");
    }
    if (e == ERR_OK)
        e = get_snap(db, id, out, eb);
    if (e == ERR_OK)
        e = get_items(db, id, &items, eb);
    db_read_end(db);
    if (e == ERR_OK) {
        json_object_set_new(*out, "items", items);
        items = NULL;
    } else {
        json_decref(*out);
        *out = NULL;
    }
    json_decref(items);
    return e;
}

enum err store_inventory_get(struct store *st, int64_t id, json_t **out, struct errbuf *eb)
{
    *out = NULL;
    if (id <= 0)
        return errbuf_set(eb, ERR_NOT_FOUND, "inventory snapshot %lld not found", (long long)id);
    struct db *db = store_db_get(st);
    enum err e = get_full(db, id, out, eb);
    store_db_put(st, db);
    return e;
}

enum err store_inventory_latest(struct store *st, json_t **out, struct errbuf *eb)
{
    struct db *db = store_db_get(st);
    enum err e = get_full(db, 0, out, eb);
    store_db_put(st, db);
    return e;
}

enum err store_inventory_has_run(struct store *st, int64_t run_id, bool *has, struct errbuf *eb)
{
    int64_t n = 0;
    struct db *db = store_db_get(st);
    enum err e = db_query_int(db, "SELECT COUNT(*) AS n FROM inventory_snapshots WHERE run_id = $1",
                              (struct db_param[]){DB_I(run_id)}, 1, "n", &n, eb);
    store_db_put(st, db);
    *has = e == ERR_OK && n > 0;
    return e;
}

/* ---- difference ---- */

/* The short form of an item in added/removed: {"id","name","image","state"}. */
static json_t *brief(const json_t *it)
{
    return json_pack("{s:O,s:O,s:O,s:O}", "id", json_object_get(it, "container_id"), "name",
                     json_object_get(it, "name"), "image", json_object_get(it, "image"), "state",
                     json_object_get(it, "state"));
}

/* The value of field k of item it: top-level, else from its details (null when absent). */
static json_t *field(const json_t *it, const char *k)
{
    json_t *v = json_object_get(it, k);
    if (!v)
        v = json_object_get(json_object_get(it, "details"), k);
    return v ? v : json_null();
}

/* The fields compared; status text ("Up 5 minutes") is left out, it changes all the time. */
static const char *const diff_fields[] = {"name",          "image",  "state",     "is_allowlisted",
                                          "restart_count", "health", "exit_code", "started_at"};

/* Append to changed the fields that differ between a (old) and b (new), if any. */
static void compare(const json_t *a, const json_t *b, json_t *changed)
{
    json_t *fields = json_object();
    for (size_t i = 0; i < sizeof(diff_fields) / sizeof(diff_fields[0]); i++) {
        json_t *x = field(a, diff_fields[i]), *y = field(b, diff_fields[i]);
        if (!json_equal(x, y))
            json_object_set_new(fields, diff_fields[i], json_pack("[O,O]", x, y));
    }
    if (json_object_size(fields) == 0) {
        json_decref(fields);
        return;
    }
    json_array_append_new(changed,
                          json_pack("{s:O,s:O,s:o}", "id", json_object_get(b, "container_id"),
                                    "name", json_object_get(b, "name"), "fields", fields));
}

/* Build {"added","removed","changed"} from two item arrays (matched by container_id). */
static json_t *diff_items(const json_t *from, const json_t *to)
{
    json_t *old = json_object(), *seen = json_object();
    json_t *added = json_array(), *removed = json_array(), *changed = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(from, i, it)
        json_object_set(old, json_string_value(json_object_get(it, "container_id")), it);
    json_array_foreach(to, i, it)
    {
        const char *id = json_string_value(json_object_get(it, "container_id"));
        json_t *was = json_object_get(old, id);
        json_object_set_new(seen, id, json_true());
        if (!was)
            json_array_append_new(added, brief(it));
        else
            compare(was, it, changed);
    }
    json_array_foreach(from, i, it)
    {
        if (!json_object_get(seen, json_string_value(json_object_get(it, "container_id"))))
            json_array_append_new(removed, brief(it));
    }
    json_decref(old);
    json_decref(seen);
    return json_pack("{s:o,s:o,s:o}", "added", added, "removed", removed, "changed", changed);
}

/* Fill in the default ids: to = the newest, from = the one before to. */
static enum err pick_ids(struct db *db, int64_t *from_id, int64_t *to_id, struct errbuf *eb)
{
    enum err e = ERR_OK;
    if (*to_id <= 0)
        e = newest_id(db, 0, to_id, eb);
    if (e == ERR_OK && *from_id <= 0 && *to_id > 0)
        e = newest_id(db, *to_id, from_id, eb);
    if (e == ERR_OK && (*from_id <= 0 || *to_id <= 0))
        e = errbuf_set(eb, ERR_NOT_FOUND, "a difference needs two inventory snapshots");
    return e;
}

enum err store_inventory_diff(
    struct store *st, int64_t from_id, int64_t to_id, json_t **out, struct errbuf *eb)
{
    json_t *a = NULL, *b = NULL;
    *out = NULL;
    struct db *db = store_db_get(st);
    enum err e = pick_ids(db, &from_id, &to_id, eb);
    if (e == ERR_OK)
        e = get_full(db, from_id, &a, eb);
    if (e == ERR_OK)
        e = get_full(db, to_id, &b, eb);
    store_db_put(st, db);
    if (e == ERR_OK) {
        *out = diff_items(json_object_get(a, "items"), json_object_get(b, "items"));
        json_object_del(a, "items");
        json_object_del(b, "items");
        json_object_set(*out, "from", a);
        json_object_set(*out, "to", b);
    }
    json_decref(a);
    json_decref(b);
    return e;
}
