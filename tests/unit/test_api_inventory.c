/* SPDX-License-Identifier: MIT */
/* test_api_inventory.c -- /api/inventory/ end to end over a real server and a temporary
 * SQLite store: lists, get, latest, diff, the errors of each, and a snapshot whose engine
 * does not answer (503 with a detail, never a 500). Snapshots of the real engine are
 * covered by tests/integration/test_inventory.py. */
#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/xalloc.h"
#include "store/store.h"
#include "tasks/tasks.h"
#include "unit/api_fixture.h"
}

/* The snapshot callback serve wires, minus the dispatcher: the real engine code. */
static enum err take(void *ctx, json_t **out, struct errbuf *eb)
{
    (void)ctx;
    return tasks_inventory_take(&cfg, st, "manual", 0, out, eb);
}

/* Restart the fixture's server with the inventory callback set (or not). */
static void restart(bool with_snapshot)
{
    struct errbuf eb = {{0}};
    api_server_stop(srv);
    struct api_ctx ctx = {.cfg = &cfg, .st = st, .ev = ev, .on_launch = on_launch};
    if (with_snapshot)
        ctx.inventory_snapshot = take;
    ck_assert_msg(api_server_start(&ctx, &srv, &port, &eb) == ERR_OK, "%s", eb.msg);
}

/* Store a manual snapshot of containers "id:name:state" ...; returns its id. */
static json_int_t add(const char *const *specs, size_t n)
{
    json_t *items = json_array(), *snap = NULL;
    for (size_t i = 0; i < n; i++) {
        char id[32], name[32], state[32];
        ck_assert_int_eq(sscanf(specs[i], "%31[^:]:%31[^:]:%31s", id, name, state), 3);
        json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:s}", "container_id", id, "name",
                                               name, "image", "img:1", "state", state));
    }
    ck_assert_int_eq(store_inventory_add(st, "manual", 0, items, &snap, NULL), ERR_OK);
    json_int_t id = jint(snap, "id");
    json_decref(snap);
    json_decref(items);
    return id;
}

/* GET path must answer status with a JSON detail. */
static void fails(const char *path, long status)
{
    struct reply r;
    get(path, &r);
    ck_assert_msg(r.status == status, "%s -> %ld %s", path, r.status, r.body);
    ck_assert_msg(jstr(r.json, "detail") != NULL, "%s: no detail in %s", path, r.body);
    reply_fini(&r);
}

START_TEST(test_read_and_diff)
{
    struct reply r;
    char path[128];
    fails("/api/inventory/latest/", 404);
    fails("/api/inventory/diff/", 404);
    const char *first[] = {"c1:one:running", "c2:two:exited"};
    const char *second[] = {"c1:one:exited", "c3:three:created"};
    json_int_t a = add(first, 2);
    fails("/api/inventory/diff/", 404);
    json_int_t b = add(second, 2);

    get("/api/inventory/?page_size=1", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(jint(r.json, "count"), 2);
    json_t *row = json_array_get(json_object_get(r.json, "results"), 0);
    ck_assert_int_eq(jint(row, "id"), b);
    ck_assert_ptr_null(json_object_get(row, "items"));
    ck_assert_ptr_nonnull(strstr(jstr(r.json, "next"), "/api/inventory/?"));
    reply_fini(&r);

    snprintf(path, sizeof(path), "/api/inventory/%lld/", (long long)a);
    get(path, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(jstr(r.json, "source"), "manual");
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "items")), 2);
    reply_fini(&r);
    get("/api/inventory/latest/", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(jint(r.json, "id"), b);
    reply_fini(&r);

    get("/api/inventory/diff/", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(jint(json_object_get(r.json, "from"), "id"), a);
    ck_assert_int_eq(jint(json_object_get(r.json, "to"), "id"), b);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r.json, "added"), 0), "id"), "c3");
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r.json, "removed"), 0), "id"), "c2");
    json_t *ch = json_array_get(json_object_get(r.json, "changed"), 0);
    ck_assert_str_eq(jstr(ch, "id"), "c1");
    json_t *state = json_object_get(json_object_get(ch, "fields"), "state");
    ck_assert_str_eq(json_string_value(json_array_get(state, 0)), "running");
    ck_assert_str_eq(json_string_value(json_array_get(state, 1)), "exited");
    reply_fini(&r);
    snprintf(path, sizeof(path), "/api/inventory/diff/?from=%lld&to=%lld", (long long)b,
             (long long)a);
    get(path, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r.json, "added"), 0), "id"), "c2");
    reply_fini(&r);
}
END_TEST

START_TEST(test_errors)
{
    const char *first[] = {"c1:one:running"};
    add(first, 1);
    fails("/api/inventory/99/", 404);
    fails("/api/inventory/diff/?from=abc", 400);
    fails("/api/inventory/diff/?from=0", 400);
    fails("/api/inventory/diff/?to=-3", 400);
    fails("/api/inventory/diff/?from=1&to=1x", 400);
    fails("/api/inventory/diff/?from=99999999999999999999999", 400);
    fails("/api/inventory/diff/?from=1&to=99", 404);
    fails("/api/inventory/?page=9", 404);
    struct reply r;
    get("/api/inventory/notanid/", &r);
    ck_assert_int_eq(r.status, 404);
    reply_fini(&r);
    request("DELETE", "/api/inventory/1/", bearer(), NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 405);
    reply_fini(&r);
    request("GET", "/api/inventory/snapshot/", bearer(), NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 405);
    reply_fini(&r);
    const char *paths[] = {"/api/inventory/", "/api/inventory/1/", "/api/inventory/latest/",
                           "/api/inventory/diff/"};
    for (size_t i = 0; i < 4; i++) {
        request("GET", paths[i], NULL, NULL, NULL, 0, &r);
        ck_assert_int_eq(r.status, 401);
        reply_fini(&r);
    }
    request("POST", "/api/inventory/snapshot/", "Bearer nope", NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 401);
    reply_fini(&r);
}
END_TEST

START_TEST(test_snapshot_engine_down)
{
    struct reply r;
    /* No callback wired (a process without a dispatcher): 503 with a detail. */
    send_json("POST", "/api/inventory/snapshot/", "{}", &r);
    ck_assert_int_eq(r.status, 503);
    ck_assert_ptr_nonnull(jstr(r.json, "detail"));
    reply_fini(&r);
    /* The real snapshot code against a socket nobody listens on. */
    xfree(cfg.docker_socket);
    cfg.docker_socket = xasprintf("%s/no-docker.sock", tmp_dir);
    restart(true);
    send_json("POST", "/api/inventory/snapshot/", "{}", &r);
    ck_assert_msg(r.status == 503, "%ld %s", r.status, r.body);
    ck_assert_ptr_nonnull(strstr(jstr(r.json, "detail"), "Docker engine does not answer"));
    reply_fini(&r);
    get("/api/inventory/", &r);
    ck_assert_int_eq(jint(r.json, "count"), 0);
    reply_fini(&r);
}
END_TEST

START_TEST(test_schema_lists_routes)
{
    struct reply r;
    get("/api/schema/", &r);
    ck_assert_int_eq(r.status, 200);
    json_t *paths = json_object_get(r.json, "paths");
    const char *want[] = {"/api/inventory/", "/api/inventory/{id}/", "/api/inventory/latest/",
                          "/api/inventory/diff/"};
    for (size_t i = 0; i < 4; i++)
        ck_assert_msg(json_object_get(paths, want[i]) != NULL, "%s missing", want[i]);
    ck_assert_ptr_nonnull(
        json_object_get(json_object_get(paths, "/api/inventory/snapshot/"), "post"));
    reply_fini(&r);
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("api_inventory");
    TCase *tc = tcase_create("server");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_read_and_diff);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_snapshot_engine_down);
    tcase_add_test(tc, test_schema_lists_routes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
