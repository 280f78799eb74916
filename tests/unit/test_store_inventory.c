/* SPDX-License-Identifier: MIT */
/* test_store_inventory.c -- container inventory snapshots on both backends (loop index 0:
 * SQLite in a fresh file, 1: PostgreSQL in a fresh schema on CB_TEST_PG; skipped when
 * unset, except with CI=true): round trip, list order, difference, cascade, one snapshot
 * per run, caps. */
#include <check.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "store/store.h"

#define STORE_FX_TAG "_inv"
#include "store_fixture.h"

/* Count rows with sql (a SELECT COUNT(*)) straight on the backend, past the store API. */
static long raw_count(const struct fx *f, const char *sql)
{
    long n = -1;
    if (f->is_pg) {
        PGconn *c = PQconnectdb(getenv("CB_TEST_PG"));
        ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
        char *q = xasprintf("SET search_path TO %s; %s", f->schema, sql);
        PGresult *r = PQexec(c, q);
        ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
        n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
        xfree(q);
        return n;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    ck_assert_int_eq(sqlite3_open(f->path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    n = (long)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

/* Run one statement straight on the backend (foreign keys on for SQLite). */
static void raw_exec(const struct fx *f, const char *sql)
{
    if (f->is_pg) {
        char *q = xasprintf("SET search_path TO %s; %s", f->schema, sql);
        pg_admin(q);
        xfree(q);
        return;
    }
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(f->path, &db), SQLITE_OK);
    char *q = xasprintf("PRAGMA foreign_keys=ON; %s", sql);
    ck_assert_int_eq(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
    xfree(q);
    sqlite3_close(db);
}

static json_t *item(const char *id, const char *name, const char *image, const char *state)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:n}", "container_id", id, "name", name, "image",
                     image, "state", state, "status", "Created", "is_allowlisted", 0, "details");
}

/* Add a manual snapshot of the items (stolen); returns its id. */
static int64_t add(struct store *st, json_t *items)
{
    struct errbuf eb = {{0}};
    json_t *snap = NULL;
    enum err e = store_inventory_add(st, "manual", 0, items, &snap, &eb);
    ck_assert_msg(e == ERR_OK, "add: %s", errbuf_get(&eb, e));
    ck_assert_int_eq(json_integer_value(json_object_get(snap, "container_count")),
                     (json_int_t)json_array_size(items));
    int64_t id = json_integer_value(json_object_get(snap, "id"));
    json_decref(snap);
    json_decref(items);
    return id;
}

/* The item of snap whose container_id is id, or NULL. */
static json_t *find(const json_t *snap, const char *id)
{
    return jsonx_find(json_object_get(snap, "items"), "container_id", id);
}

START_TEST(test_round_trip)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    struct errbuf eb = {{0}};
    json_t *snap = NULL, *rows = NULL;
    ck_assert_int_eq(store_inventory_latest(f.st, &snap, &eb), ERR_NOT_FOUND);
    json_t *details =
        json_pack("{s:i,s:s,s:[s,s],s:{s:s}}", "restart_count", 2, "health", "healthy", "env_names",
                  "PATH", "DB_PASSWORD", "labels", "com.docker.compose.service", "web");
    json_t *items = json_pack("[o,o]", item("aaaa1111", "zeta", "nginx:1", "running"),
                              item("bbbb2222", "alpha", "redis:7", "exited"));
    json_t *al = json_array_get(items, 0);
    json_object_set_new(al, "is_allowlisted", json_true());
    json_object_set_new(al, "details", details);
    int64_t id1 = add(f.st, items);
    int64_t id2 = add(f.st, json_array());
    ck_assert_int_gt(id2, id1);

    ck_assert_int_eq(store_inventory_get(f.st, id1, &snap, &eb), ERR_OK);
    ck_assert_str_eq(jsonx_get_str(snap, "source"), "manual");
    ck_assert(json_is_null(json_object_get(snap, "run_id")));
    ck_assert_ptr_nonnull(jsonx_get_str(snap, "taken_at"));
    json_t *its = json_object_get(snap, "items");
    ck_assert_int_eq(json_array_size(its), 2);
    /* Ordered by name. */
    ck_assert_str_eq(jsonx_get_str(json_array_get(its, 0), "name"), "alpha");
    json_t *z = find(snap, "aaaa1111");
    ck_assert(json_is_true(json_object_get(z, "is_allowlisted")));
    ck_assert_str_eq(jsonx_get_str(z, "image"), "nginx:1");
    ck_assert_str_eq(jsonx_get_str(z, "status"), "Created");
    json_t *d = json_object_get(z, "details");
    ck_assert_int_eq(json_integer_value(json_object_get(d, "restart_count")), 2);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(d, "env_names"), 1)),
                     "DB_PASSWORD");
    json_t *b = find(snap, "bbbb2222");
    ck_assert(json_is_false(json_object_get(b, "is_allowlisted")));
    ck_assert(json_is_null(json_object_get(b, "details")));
    json_decref(snap);

    /* Latest is the newest (empty) one; the list is newest first, without items. */
    ck_assert_int_eq(store_inventory_latest(f.st, &snap, &eb), ERR_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(snap, "id")), id2);
    ck_assert_int_eq(json_array_size(json_object_get(snap, "items")), 0);
    json_decref(snap);
    int64_t count = 0;
    ck_assert_int_eq(store_inventory_list(f.st, 0, 1, &rows, &count, &eb), ERR_OK);
    ck_assert_int_eq(count, 2);
    ck_assert_int_eq(json_array_size(rows), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(rows, 0), "id")), id2);
    ck_assert_ptr_null(json_object_get(json_array_get(rows, 0), "items"));
    json_decref(rows);
    ck_assert_int_eq(store_inventory_get(f.st, id2 + 5, &snap, &eb), ERR_NOT_FOUND);
    ck_assert_ptr_null(snap);
    ck_assert_int_eq(store_inventory_get(f.st, 0, &snap, &eb), ERR_NOT_FOUND);
    fx_close(&f);
}
END_TEST

/* The array key of diff holds exactly one entry whose id is id. */
static void one_with_id(const json_t *diff, const char *key, const char *id)
{
    json_t *a = json_object_get(diff, key);
    ck_assert_msg(json_array_size(a) == 1, "%s has %zu entries", key, json_array_size(a));
    ck_assert_str_eq(jsonx_get_str(json_array_get(a, 0), "id"), id);
}

START_TEST(test_diff)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    struct errbuf eb = {{0}};
    json_t *diff = NULL;
    ck_assert_int_eq(store_inventory_diff(f.st, 0, 0, &diff, &eb), ERR_NOT_FOUND);
    int64_t a = add(f.st, json_pack("[o,o,o]", item("c1", "one", "img:1", "running"),
                                    item("c2", "two", "img:1", "exited"),
                                    item("c3", "three", "img:1", "running")));
    ck_assert_int_eq(store_inventory_diff(f.st, 0, 0, &diff, &eb), ERR_NOT_FOUND);
    json_t *c3 = item("c3", "three", "img:1", "running");
    json_object_set_new(c3, "status", json_string("Up 9 minutes")); /* not a change */
    int64_t b = add(f.st, json_pack("[o,o,o]", item("c1", "one", "img:2", "exited"), c3,
                                    item("c4", "four", "img:1", "created")));
    ck_assert_int_eq(store_inventory_diff(f.st, 0, 0, &diff, &eb), ERR_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(diff, "from"), "id")), a);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(diff, "to"), "id")), b);
    one_with_id(diff, "added", "c4");
    ck_assert_str_eq(jsonx_get_str(json_array_get(json_object_get(diff, "added"), 0), "name"),
                     "four");
    one_with_id(diff, "removed", "c2");
    one_with_id(diff, "changed", "c1");
    json_t *fields = json_object_get(json_array_get(json_object_get(diff, "changed"), 0), "fields");
    ck_assert_int_eq(json_object_size(fields), 2);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(fields, "state"), 0)),
                     "running");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(fields, "state"), 1)),
                     "exited");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(fields, "image"), 1)),
                     "img:2");
    json_decref(diff);
    /* Reversed: added and removed swap. */
    ck_assert_int_eq(store_inventory_diff(f.st, b, a, &diff, &eb), ERR_OK);
    one_with_id(diff, "added", "c2");
    one_with_id(diff, "removed", "c4");
    json_decref(diff);
    /* The same snapshot twice: nothing differs. */
    ck_assert_int_eq(store_inventory_diff(f.st, a, a, &diff, &eb), ERR_OK);
    ck_assert_int_eq(json_array_size(json_object_get(diff, "changed")), 0);
    ck_assert_int_eq(json_array_size(json_object_get(diff, "added")), 0);
    json_decref(diff);
    /* to given alone: from is the one before it; none before the first. */
    ck_assert_int_eq(store_inventory_diff(f.st, 0, b, &diff, &eb), ERR_OK);
    json_decref(diff);
    ck_assert_int_eq(store_inventory_diff(f.st, 0, a, &diff, &eb), ERR_NOT_FOUND);
    ck_assert_ptr_null(diff);
    ck_assert_int_eq(store_inventory_diff(f.st, a, b + 10, &diff, &eb), ERR_NOT_FOUND);
    ck_assert_ptr_null(diff);
    fx_close(&f);
}
END_TEST

START_TEST(test_cascade_and_runs)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    struct errbuf eb = {{0}};
    json_t *run = NULL, *snap = NULL;
    const char *tasks[] = {"gpu_report"};
    struct store_launch req = {tasks, 1, 0, NULL, 3600 * 1000};
    ck_assert_int_eq(store_run_launch(f.st, &req, &run, &eb), ERR_OK);
    int64_t run_id = json_integer_value(json_object_get(run, "id"));
    json_decref(run);
    bool has = true;
    ck_assert_int_eq(store_inventory_has_run(f.st, run_id, &has, &eb), ERR_OK);
    ck_assert(!has);
    json_t *items = json_pack("[o]", item("c1", "one", "img:1", "running"));
    ck_assert_int_eq(store_inventory_add(f.st, "run", run_id, items, &snap, &eb), ERR_OK);
    ck_assert_str_eq(jsonx_get_str(snap, "source"), "run");
    ck_assert_int_eq(json_integer_value(json_object_get(snap, "run_id")), run_id);
    int64_t id = json_integer_value(json_object_get(snap, "id"));
    json_decref(snap);
    ck_assert_int_eq(store_inventory_has_run(f.st, run_id, &has, &eb), ERR_OK);
    ck_assert(has);
    /* One snapshot per run; the refused one leaves nothing behind. */
    ck_assert_int_eq(store_inventory_add(f.st, "run", run_id, items, &snap, &eb), ERR_CONFLICT);
    ck_assert_ptr_null(snap);
    ck_assert_int_eq(raw_count(&f, "SELECT COUNT(*) FROM inventory_items"), 1);
    ck_assert_int_eq(store_inventory_add(f.st, "run", 0, items, &snap, &eb), ERR_INVALID);
    ck_assert_int_eq(store_inventory_add(f.st, "manual", run_id, items, &snap, &eb), ERR_INVALID);
    ck_assert_int_eq(store_inventory_add(f.st, "cron", 0, items, &snap, &eb), ERR_INVALID);
    int64_t keep = add(f.st, items);
    ck_assert_int_eq(raw_count(&f, "SELECT COUNT(*) FROM inventory_items"), 2);
    /* Deleting a snapshot deletes its items; deleting the run keeps its snapshot. */
    char *sql = xasprintf("DELETE FROM inventory_snapshots WHERE id = %lld", (long long)keep);
    raw_exec(&f, sql);
    xfree(sql);
    ck_assert_int_eq(raw_count(&f, "SELECT COUNT(*) FROM inventory_items"), 1);
    sql = xasprintf("DELETE FROM runs WHERE id = %lld", (long long)run_id);
    raw_exec(&f, sql);
    xfree(sql);
    ck_assert_int_eq(store_inventory_get(f.st, id, &snap, &eb), ERR_OK);
    ck_assert(json_is_null(json_object_get(snap, "run_id")));
    ck_assert_int_eq(json_array_size(json_object_get(snap, "items")), 1);
    json_decref(snap);
    fx_close(&f);
}
END_TEST

START_TEST(test_caps)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    struct errbuf eb = {{0}};
    json_t *snap = NULL, *items = json_array();
    char id[32];
    for (int i = 0; i <= STORE_INVENTORY_ITEMS_MAX; i++) {
        snprintf(id, sizeof(id), "c%d", i);
        json_array_append_new(items, item(id, id, "img", "running"));
    }
    ck_assert_int_eq(store_inventory_add(f.st, "manual", 0, items, &snap, &eb), ERR_TOO_LARGE);
    ck_assert_ptr_null(snap);
    ck_assert_int_eq(json_array_remove(items, 0), 0);
    int64_t full = add(f.st, json_incref(items));
    ck_assert_int_eq(store_inventory_get(f.st, full, &snap, &eb), ERR_OK);
    ck_assert_int_eq(json_array_size(json_object_get(snap, "items")), STORE_INVENTORY_ITEMS_MAX);
    json_decref(snap);
    json_decref(items);
    /* Details over the cap, a details that is not an object, an item without id. */
    char *big = xmalloc(STORE_INVENTORY_DETAILS_MAX + 1);
    memset(big, 'x', STORE_INVENTORY_DETAILS_MAX);
    big[STORE_INVENTORY_DETAILS_MAX] = '\0';
    json_t *it = item("c1", "one", "img", "running");
    json_object_set_new(it, "details", json_pack("{s:s}", "k", big));
    xfree(big);
    items = json_pack("[o]", it);
    ck_assert_int_eq(store_inventory_add(f.st, "manual", 0, items, &snap, &eb), ERR_TOO_LARGE);
    json_object_set_new(it, "details", json_string("text"));
    ck_assert_int_eq(store_inventory_add(f.st, "manual", 0, items, &snap, &eb), ERR_INVALID);
    json_object_set_new(it, "details", json_null());
    json_object_del(it, "container_id");
    ck_assert_int_eq(store_inventory_add(f.st, "manual", 0, items, &snap, &eb), ERR_INVALID);
    json_decref(items);
    int64_t count = 0;
    json_t *rows = NULL;
    ck_assert_int_eq(store_inventory_list(f.st, 0, 10, &rows, &count, &eb), ERR_OK);
    ck_assert_int_eq(count, 1);
    json_decref(rows);
    /* Long text is cut, on a UTF-8 boundary. */
    char name[1001];
    memset(name, 'n', 1000);
    name[1000] = '\0';
    memcpy(name + 255, "\xc3\xa9", 2); /* straddles the 256-byte cap */
    int64_t cut_id = add(f.st, json_pack("[o]", item("c9", name, "img", "running")));
    ck_assert_int_eq(store_inventory_get(f.st, cut_id, &snap, &eb), ERR_OK);
    ck_assert_int_eq(
        strlen(jsonx_get_str(json_array_get(json_object_get(snap, "items"), 0), "name")), 255);
    json_decref(snap);
    fx_close(&f);
}
END_TEST

int main(void)
{
    srand((unsigned)getpid());
    log_init(2, LOG_WARN, false);
    Suite *s = suite_create("store_inventory");
    TCase *tc = tcase_create("inventory");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_round_trip, 0, 2);
    tcase_add_loop_test(tc, test_diff, 0, 2);
    tcase_add_loop_test(tc, test_cascade_and_runs, 0, 2);
    tcase_add_loop_test(tc, test_caps, 0, 2);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
