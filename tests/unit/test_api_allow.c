/* SPDX-License-Identifier: MIT */
/* test_api_allow.c -- /api/worker-images/, /api/containers/ and /api/audit/ end to end: a
 * real server on 127.0.0.1 (ephemeral port) over a temporary SQLite store, driven with libcurl. */
#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "core/fs.h"
#include "core/xalloc.h"
#include "store/store.h"

#define TEST_MAX_BODY (64 * 1024)
#define HEX64         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

#include "unit/api_fixture.h"
}

/* The first message of field's error list in r, or "". */
static const char *field_msg(const struct reply *r, const char *field)
{
    const char *s = json_string_value(json_array_get(json_object_get(r->json, field), 0));
    return s ? s : "";
}

START_TEST(test_images_crud)
{
    struct reply r;
    char path[128];
    send_json("POST", "/api/worker-images/",
              "{\"image_name\":\"nginx\",\"min_vram_mb\":512,\"memory_mb\":256,\"cpus\":1.5,"
              "\"pids_limit\":64}",
              &r);
    ck_assert_msg(r.status == 201, "%s", r.body);
    ck_assert_int_eq(jint(r.json, "memory_mb"), 256);
    ck_assert(json_real_value(json_object_get(r.json, "cpus")) == 1.5);
    ck_assert_int_eq(jint(r.json, "pids_limit"), 64);
    ck_assert_str_eq(jstr(r.json, "image_name"), "docker.io/library/nginx");
    ck_assert_str_eq(jstr(r.json, "image_tag"), "latest");
    ck_assert_int_eq(jint(r.json, "min_vram_mb"), 512);
    json_int_t id = jint(r.json, "id");
    reply_fini(&r);
    const char *dups[] = {"{\"image_name\":\"docker.io/library/nginx:latest\"}",
                          "{\"image_name\":\"index.docker.io/library/nginx\"}",
                          "{\"image_name\":\"library/nginx\",\"image_tag\":\"latest\"}"};
    for (size_t i = 0; i < 3; i++) {
        send_json("POST", "/api/worker-images/", dups[i], &r);
        ck_assert_msg(r.status == 409, "%s -> %ld", dups[i], r.status);
        ck_assert_ptr_nonnull(jstr(r.json, "detail"));
        reply_fini(&r);
    }
    snprintf(path, sizeof(path), "/api/worker-images/%lld/", (long long)id);
    send_json("PATCH", path, "{\"image_tag\":\"1.25\",\"requires_gpu\":true}", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(jstr(r.json, "image_tag"), "1.25");
    ck_assert(json_is_true(json_object_get(r.json, "requires_gpu")));
    reply_fini(&r);
    send_json("PUT", path, "{\"image_tag\":\"1\"}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(field_msg(&r, "image_name"), "This field is required.");
    reply_fini(&r);
    get("/api/worker-images/?page_size=1", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(jint(r.json, "count"), 1);
    reply_fini(&r);
    request("DELETE", path, bearer(), NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 204);
    reply_fini(&r);
    get(path, &r);
    ck_assert_int_eq(r.status, 404);
    reply_fini(&r);
}
END_TEST

START_TEST(test_images_bypass_400)
{
    struct reply r;
    const char *bad[][2] = {
        {"{\"image_name\":\"Nginx\"}", "image_name"},
        {"{\"image_name\":\"nginx \"}", "image_name"},
        {"{\"image_name\":\"nginx@sha256:" HEX64 "\"}", "image_name"},
        {"{\"image_name\":\"docker.io//library/nginx\"}", "image_name"},
        {"{\"image_name\":\"nginx:\"}", "image_name"},
        {"{\"image_name\":\"nginx:a\",\"image_tag\":\"b\"}", "image_name"},
        {"{\"image_name\":\"nginx\",\"image_tag\":\"a:b\"}", "image_tag"},
        {"{\"image_name\":\"nginx\",\"digest\":\"sha256:" HEX64 "@x\"}", "digest"},
        {"{\"image_name\":\"nginx\",\"min_vram_mb\":1.5}", "min_vram_mb"},
        {"{\"image_name\":\"nginx\",\"is_active\":1}", "is_active"},
        {"{\"image_name\":\"nginx\",\"memory_mb\":8}", "memory_mb"},
        {"{\"image_name\":\"nginx\",\"cpus\":0}", "cpus"},
        {"{\"image_name\":\"nginx\",\"pids_limit\":100000}", "pids_limit"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        send_json("POST", "/api/worker-images/", bad[i][0], &r);
        ck_assert_msg(r.status == 400, "%s -> %ld %s", bad[i][0], r.status, r.body);
        ck_assert_msg(*field_msg(&r, bad[i][1]), "%s: %s", bad[i][0], r.body);
        reply_fini(&r);
    }
    get("/api/worker-images/", &r);
    ck_assert_int_eq(jint(r.json, "count"), 0);
    reply_fini(&r);
}
END_TEST

START_TEST(test_containers_and_audit)
{
    struct reply r;
    send_json("POST", "/api/containers/", "{\"container_ref\":\"db.primary\",\"note\":\"pg\"}", &r);
    ck_assert_msg(r.status == 201, "%s", r.body);
    ck_assert_str_eq(jstr(r.json, "container_ref"), "db.primary");
    reply_fini(&r);
    send_json("POST", "/api/containers/", "{\"container_ref\":\"db.primary\"}", &r);
    ck_assert_int_eq(r.status, 409);
    reply_fini(&r);
    send_json("POST", "/api/containers/", "{\"container_ref\":\".db\"}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_ne(field_msg(&r, "container_ref"), "");
    reply_fini(&r);
    struct errbuf eb = {{0}};
    json_t *entry = NULL;
    ck_assert_int_eq(store_worker_image_check(st, "alpine", 0, 0, &entry, &eb), ERR_FORBIDDEN);
    ck_assert_int_eq(store_audit_add(st, "spawn", "x", "c1", 7, 8, NULL, &eb), ERR_OK);
    get("/api/audit/?action=deny", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(jint(r.json, "count"), 1);
    json_t *row = json_array_get(json_object_get(r.json, "results"), 0);
    ck_assert_str_eq(jstr(row, "image"), "docker.io/library/alpine:latest");
    ck_assert_str_eq(jstr(row, "reason"),
                     "worker image \"alpine\" is not on the worker-image allowlist");
    reply_fini(&r);
    get("/api/audit/?run=7", &r);
    ck_assert_int_eq(jint(r.json, "count"), 1);
    reply_fini(&r);
    get("/api/audit/?action=bogus", &r);
    ck_assert_int_eq(r.status, 400);
    reply_fini(&r);
}
END_TEST

START_TEST(test_allow_auth)
{
    struct reply r;
    const char *paths[] = {"/api/worker-images/", "/api/containers/", "/api/audit/"};
    for (size_t i = 0; i < 3; i++) {
        request("GET", paths[i], NULL, NULL, NULL, 0, &r);
        ck_assert_int_eq(r.status, 401);
        reply_fini(&r);
    }
    request("POST", "/api/worker-images/", "Bearer nope", "application/json",
            "{\"image_name\":\"nginx\"}", 22, &r);
    ck_assert_int_eq(r.status, 401);
    reply_fini(&r);
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("api_allow");
    TCase *tc = tcase_create("server");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_images_crud);
    tcase_add_test(tc, test_images_bypass_400);
    tcase_add_test(tc, test_containers_and_audit);
    tcase_add_test(tc, test_allow_auth);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
