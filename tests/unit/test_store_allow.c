/* SPDX-License-Identifier: MIT */
/* test_store_allow.c -- the worker-image and container allowlists and the audit trail on
 * both backends (loop index 0: SQLite in a fresh file, 1: PostgreSQL in a fresh schema on
 * CB_TEST_PG; skipped when unset, except with CI=true). */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "store/store.h"

#define HEX64  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX64B "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

#define STORE_FX_TAG "_allow"
#include "store_fixture.h"

/* Create an image entry from JSON text; returns the error, *out the entry (or NULL). */
static enum err img_create(struct store *st, const char *json, json_t **out, struct errbuf *eb)
{
    json_t *f = json_loads(json, 0, NULL);
    ck_assert_ptr_nonnull(f);
    enum err e = store_worker_image_create(st, f, out, eb);
    json_decref(f);
    return e;
}

static int64_t audit_count(struct store *st, const char *action)
{
    json_t *rows = NULL;
    int64_t n = -1;
    ck_assert_int_eq(store_audit_list(st, action, 0, 0, 50, &rows, &n, NULL), ERR_OK);
    json_decref(rows);
    return n;
}

START_TEST(test_image_crud)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    struct errbuf eb = {{0}};
    json_t *d = NULL, *rows = NULL;
    ck_assert_int_eq(img_create(f.st, "{\"image_name\":\"nginx\",\"min_vram_mb\":0}", &d, &eb),
                     ERR_OK);
    ck_assert_str_eq(jsonx_get_str(d, "image_name"), "docker.io/library/nginx");
    ck_assert_str_eq(jsonx_get_str(d, "image_tag"), "latest");
    ck_assert(json_is_null(json_object_get(d, "digest")));
    ck_assert(json_is_true(json_object_get(d, "is_active")));
    ck_assert(json_is_false(json_object_get(d, "requires_gpu")));
    int64_t id = json_integer_value(json_object_get(d, "id"));
    json_decref(d);
    /* The same image in another spelling is a duplicate. */
    const char *dups[] = {"{\"image_name\":\"docker.io/library/nginx\",\"image_tag\":\"latest\"}",
                          "{\"image_name\":\"index.docker.io/library/nginx:latest\"}",
                          "{\"image_name\":\"library/nginx\"}"};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(img_create(f.st, dups[i], &d, &eb), ERR_CONFLICT);
        ck_assert_ptr_null(d);
    }
    ck_assert_int_eq(
        img_create(f.st, "{\"image_name\":\"nginx:1.25\",\"requires_gpu\":true}", &d, &eb), ERR_OK);
    int64_t id2 = json_integer_value(json_object_get(d, "id"));
    json_decref(d);
    int64_t count = 0;
    ck_assert_int_eq(store_worker_image_list(f.st, 0, 1, &rows, &count, &eb), ERR_OK);
    ck_assert_int_eq(count, 2);
    ck_assert_int_eq(json_array_size(rows), 1);
    ck_assert_str_eq(jsonx_get_str(json_array_get(rows, 0), "image_tag"), "1.25");
    json_decref(rows);
    /* PATCH: the tag of the other entry is a conflict; a new digest is kept. */
    json_t *p = json_pack("{s:s}", "image_tag", "latest");
    ck_assert_int_eq(store_worker_image_update(f.st, id2, p, false, &d, &eb), ERR_CONFLICT);
    json_decref(p);
    p = json_pack("{s:s,s:i}", "digest", "sha256:" HEX64, "min_vram_mb", 2048);
    ck_assert_int_eq(store_worker_image_update(f.st, id, p, false, &d, &eb), ERR_OK);
    json_decref(p);
    ck_assert_str_eq(jsonx_get_str(d, "digest"), "sha256:" HEX64);
    ck_assert_str_eq(jsonx_get_str(d, "image_name"), "docker.io/library/nginx");
    ck_assert_int_eq(json_integer_value(json_object_get(d, "min_vram_mb")), 2048);
    json_decref(d);
    ck_assert_int_eq(store_worker_image_delete(f.st, id2, &eb), ERR_OK);
    ck_assert_int_eq(store_worker_image_delete(f.st, id2, &eb), ERR_NOT_FOUND);
    ck_assert_int_eq(store_worker_image_get(f.st, id2, &d, &eb), ERR_NOT_FOUND);
    fx_close(&f);
}
END_TEST

START_TEST(test_image_limits)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    struct errbuf eb = {{0}};
    json_t *d = NULL;
    ck_assert_int_eq(img_create(f.st, "{\"image_name\":\"nginx\"}", &d, &eb), ERR_OK);
    ck_assert(json_is_null(json_object_get(d, "memory_mb")));
    ck_assert(json_is_null(json_object_get(d, "cpus")));
    ck_assert(json_is_null(json_object_get(d, "pids_limit")));
    ck_assert_ptr_null(json_object_get(d, "cpus_milli"));
    int64_t id = json_integer_value(json_object_get(d, "id"));
    json_decref(d);
    json_t *p = json_pack("{s:i,s:f,s:i}", "memory_mb", 64, "cpus", 0.25, "pids_limit", 32);
    ck_assert_int_eq(store_worker_image_update(f.st, id, p, false, &d, &eb), ERR_OK);
    json_decref(p);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "memory_mb")), 64);
    ck_assert(json_real_value(json_object_get(d, "cpus")) == 0.25);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "pids_limit")), 32);
    json_decref(d);
    /* PATCH keeps what it does not name; an integer count of CPUs is fine; null clears. */
    p = json_pack("{s:i,s:n}", "cpus", 2, "memory_mb");
    ck_assert_int_eq(store_worker_image_update(f.st, id, p, false, &d, &eb), ERR_OK);
    json_decref(p);
    ck_assert(json_is_null(json_object_get(d, "memory_mb")));
    ck_assert(json_real_value(json_object_get(d, "cpus")) == 2.0);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "pids_limit")), 32);
    json_decref(d);
    /* The gate hands the limits to the runtime with the entry. */
    ck_assert_int_eq(store_worker_image_check(f.st, "nginx", 0, 0, &d, &eb), ERR_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(d, "pids_limit")), 32);
    json_decref(d);
    fx_close(&f);
}
END_TEST

START_TEST(test_image_invalid)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    struct errbuf eb = {{0}};
    json_t *d = NULL;
    const char *bad[] = {"{\"image_name\":\"NGINX\"}",
                         "{\"image_name\":\" nginx\"}",
                         "{\"image_name\":\"nginx@sha256:" HEX64 "\"}",
                         "{\"image_name\":\"nginx:1\",\"image_tag\":\"2\"}",
                         "{\"image_name\":\"nginx\",\"image_tag\":\"a b\"}",
                         "{\"image_name\":\"nginx\",\"digest\":\"sha256:abc\"}",
                         "{\"image_name\":\"nginx\",\"min_vram_mb\":-1}",
                         "{\"image_name\":\"nginx\",\"is_active\":\"yes\"}",
                         "{\"image_tag\":\"latest\"}",
                         "{\"image_name\":7}",
                         "{\"image_name\":\"nginx\",\"memory_mb\":15}",
                         "{\"image_name\":\"nginx\",\"memory_mb\":1048577}",
                         "{\"image_name\":\"nginx\",\"memory_mb\":64.5}",
                         "{\"image_name\":\"nginx\",\"cpus\":0.009}",
                         "{\"image_name\":\"nginx\",\"cpus\":256.5}",
                         "{\"image_name\":\"nginx\",\"cpus\":\"1\"}",
                         "{\"image_name\":\"nginx\",\"pids_limit\":15}",
                         "{\"image_name\":\"nginx\",\"pids_limit\":32769}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum err e = img_create(f.st, bad[i], &d, &eb);
        ck_assert_msg(e == ERR_INVALID, "%s gave %s", bad[i], err_name(e));
        ck_assert_ptr_null(d);
    }
    json_t *rows = NULL;
    int64_t count = -1;
    ck_assert_int_eq(store_worker_image_list(f.st, 0, 10, &rows, &count, &eb), ERR_OK);
    ck_assert_int_eq(count, 0);
    json_decref(rows);
    fx_close(&f);
}
END_TEST

/* ref must be refused by the check, with a deny audit row naming reason. */
static void denied(struct store *st, const char *ref, const char *reason)
{
    struct errbuf eb = {{0}};
    json_t *entry = NULL;
    int64_t before = audit_count(st, "deny");
    enum err e = store_worker_image_check(st, ref, 41, 42, &entry, &eb);
    ck_assert_msg(e == ERR_FORBIDDEN, "%s gave %s", ref, err_name(e));
    ck_assert_ptr_null(entry);
    ck_assert_msg(strstr(errbuf_get(&eb, e), reason), "%s: %s", ref, errbuf_get(&eb, e));
    ck_assert_int_eq(audit_count(st, "deny"), before + 1);
    json_t *rows = NULL;
    int64_t n = 0;
    ck_assert_int_eq(store_audit_list(st, "deny", 0, 0, 1, &rows, &n, NULL), ERR_OK);
    json_t *row = json_array_get(rows, 0);
    ck_assert(strstr(jsonx_get_str(row, "reason"), reason));
    ck_assert_int_eq(json_integer_value(json_object_get(row, "run_id")), 41);
    ck_assert_int_eq(json_integer_value(json_object_get(row, "job_id")), 42);
    json_decref(rows);
}

START_TEST(test_image_check)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    json_t *d = NULL;
    ck_assert_int_eq(img_create(f.st, "{\"image_name\":\"nginx\"}", &d, NULL), ERR_OK);
    json_decref(d);
    ck_assert_int_eq(img_create(f.st,
                                "{\"image_name\":\"ghcr.io/org/app\",\"image_tag\":\"v1\","
                                "\"digest\":\"sha256:" HEX64 "\"}",
                                &d, NULL),
                     ERR_OK);
    json_decref(d);
    ck_assert_int_eq(img_create(f.st, "{\"image_name\":\"busybox\",\"is_active\":false}", &d, NULL),
                     ERR_OK);
    json_decref(d);
    const char *ok[] = {"nginx", "docker.io/library/nginx:latest", "library/nginx",
                        "index.docker.io/library/nginx", "nginx@sha256:" HEX64B,
                        "ghcr.io/org/app:v1@sha256:" HEX64,
                        /* the pin is then checked against the engine by the runtime */
                        "ghcr.io/org/app:v1"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        json_t *entry = NULL;
        struct errbuf eb = {{0}};
        enum err e = store_worker_image_check(f.st, ok[i], 0, 0, &entry, &eb);
        ck_assert_msg(e == ERR_OK, "%s: %s", ok[i], errbuf_get(&eb, e));
        ck_assert_ptr_nonnull(entry);
        json_decref(entry);
    }
    ck_assert_int_eq(audit_count(f.st, "deny"), 0);
    denied(f.st, "NGINX", "invalid image reference");
    denied(f.st, "nginx ", "invalid image reference");
    denied(f.st, "nginx:1.25", "worker image \"nginx:1.25\" is not on the worker-image allowlist");
    denied(f.st, "evil.io/library/nginx", "not on the worker-image allowlist");
    denied(f.st, "docker.io.evil.com/library/nginx", "not on the worker-image allowlist");
    denied(f.st, "busybox", "inactive");
    denied(f.st, "ghcr.io/org/app:v1@sha256:" HEX64B, "does not match");
    denied(f.st, "ghcr.io/org/app:v2@sha256:" HEX64, "not on the worker-image allowlist");
    denied(f.st, "nginx@@sha256:" HEX64, "invalid image reference");
    fx_close(&f);
}
END_TEST

START_TEST(test_containers)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    struct errbuf eb = {{0}};
    json_t *d = NULL, *fl = json_pack("{s:s,s:s}", "container_ref", "web-1", "note", "frontend");
    ck_assert_int_eq(store_container_save(f.st, 0, fl, true, &d, &eb), ERR_OK);
    int64_t id = json_integer_value(json_object_get(d, "id"));
    ck_assert_str_eq(jsonx_get_str(d, "note"), "frontend");
    json_decref(d);
    ck_assert_int_eq(store_container_save(f.st, 0, fl, true, &d, &eb), ERR_CONFLICT);
    json_decref(fl);
    fl = json_pack("{s:s}", "container_ref", "abcdef012345");
    ck_assert_int_eq(store_container_save(f.st, 0, fl, true, &d, &eb), ERR_OK);
    json_decref(d);
    json_decref(fl);
    bool ok = false;
    ck_assert_int_eq(store_container_is_allowed(f.st,
                                                "abcdef012345"
                                                "6789",
                                                "x", &ok, &eb),
                     ERR_OK);
    ck_assert(ok);
    ck_assert_int_eq(store_container_is_allowed(f.st, "0bcdef0123456789", "web-1", &ok, &eb),
                     ERR_OK);
    ck_assert(ok);
    ck_assert_int_eq(store_container_is_allowed(f.st, "0bcdef0123456789", "web-2", &ok, &eb),
                     ERR_OK);
    ck_assert(!ok);
    fl = json_pack("{s:b}", "is_active", 0);
    ck_assert_int_eq(store_container_save(f.st, id, fl, false, &d, &eb), ERR_OK);
    ck_assert_str_eq(jsonx_get_str(d, "container_ref"), "web-1");
    ck_assert(json_is_false(json_object_get(d, "is_active")));
    json_decref(d);
    json_decref(fl);
    ck_assert_int_eq(store_container_is_allowed(f.st, "0bcdef0123456789", "web-1", &ok, &eb),
                     ERR_OK);
    ck_assert(!ok);
    const char *bad[] = {"-web", "web 1", "", "we/b", "web!"};
    for (size_t i = 0; i < 5; i++) {
        fl = json_pack("{s:s}", "container_ref", bad[i]);
        const char *field = NULL;
        ck_assert_int_eq(store_container_validate(fl, true, &field, &eb), ERR_INVALID);
        ck_assert_str_eq(field, "container_ref");
        ck_assert_int_eq(store_container_save(f.st, 0, fl, true, &d, &eb), ERR_INVALID);
        json_decref(fl);
    }
    ck_assert_int_eq(store_container_delete(f.st, id, &eb), ERR_OK);
    ck_assert_int_eq(store_container_get(f.st, id, &d, &eb), ERR_NOT_FOUND);
    fx_close(&f);
}
END_TEST

START_TEST(test_audit)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    struct errbuf eb = {{0}};
    ck_assert_int_eq(
        store_audit_add(f.st, "spawn", "docker.io/library/nginx:latest", "abc", 1, 2, NULL, &eb),
        ERR_OK);
    ck_assert_int_eq(store_audit_add(f.st, "exit", NULL, "abc", 1, 2, "exit code 0", &eb), ERR_OK);
    ck_assert_int_eq(store_audit_add(f.st, "remove", NULL, "def", 3, 0, NULL, &eb), ERR_OK);
    ck_assert_int_eq(store_audit_add(f.st, "launch", NULL, NULL, 0, 0, NULL, &eb), ERR_INVALID);
    char big[3000];
    memset(big, 'r', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(store_audit_add(f.st, "deny", big, NULL, 0, 0, big, &eb), ERR_OK);
    json_t *rows = NULL;
    int64_t n = 0;
    ck_assert_int_eq(store_audit_list(f.st, NULL, 0, 0, 2, &rows, &n, &eb), ERR_OK);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(json_array_size(rows), 2);
    ck_assert_str_eq(jsonx_get_str(json_array_get(rows, 0), "action"), "deny");
    ck_assert_int_eq(strlen(jsonx_get_str(json_array_get(rows, 0), "reason")), 1024);
    ck_assert(json_is_null(json_object_get(json_array_get(rows, 0), "run_id")));
    json_decref(rows);
    ck_assert_int_eq(store_audit_list(f.st, NULL, 1, 0, 10, &rows, &n, &eb), ERR_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(jsonx_get_str(json_array_get(rows, 0), "action"), "exit");
    ck_assert_str_eq(jsonx_get_str(json_array_get(rows, 1), "action"), "spawn");
    json_decref(rows);
    ck_assert_int_eq(store_audit_list(f.st, "spawn", 3, 0, 10, &rows, &n, &eb), ERR_OK);
    ck_assert_int_eq(n, 0);
    json_decref(rows);
    fx_close(&f);
}
END_TEST

int main(void)
{
    srand((unsigned)getpid());
    log_init(2, LOG_WARN, false);
    Suite *s = suite_create("store_allow");
    TCase *tc = tcase_create("allow");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_image_crud, 0, 2);
    tcase_add_loop_test(tc, test_image_limits, 0, 2);
    tcase_add_loop_test(tc, test_image_invalid, 0, 2);
    tcase_add_loop_test(tc, test_image_check, 0, 2);
    tcase_add_loop_test(tc, test_containers, 0, 2);
    tcase_add_loop_test(tc, test_audit, 0, 2);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
