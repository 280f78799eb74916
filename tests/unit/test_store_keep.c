/* SPDX-License-Identifier: MIT */
/* test_store_keep.c -- what the store keeps beside runs, on SQLite and PostgreSQL (loop index
 * 0: a fresh SQLite file, 1: a fresh schema on CB_TEST_PG; skipped when unset, except with
 * CI=true): API tokens, settings, log cursors and artifacts. */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "store/store.h"
#include "store/store_int.h"

#define STORE_FX_TAG "_keep"
#include "store_fixture.h"

#define HEX64CUR "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char *const TASKS3[] = {"log_triage", "gpu_report", "service_map"};

START_TEST(test_tokens)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    char *tok = NULL, *tok2 = NULL;
    bool ok = false;
    OK(store_token_create(f.st, "ci", &tok, EB));
    OK(store_token_create(f.st, "other", &tok2, EB));
    ck_assert_int_eq(strncmp(tok, "cb_", 3), 0);
    ck_assert_uint_eq(strlen(tok), 3 + 64);
    ck_assert_str_ne(tok, tok2);
    OK(store_token_check(f.st, tok, &ok, EB));
    ck_assert(ok);
    OK(store_token_check(f.st, tok2, &ok, EB));
    ck_assert(ok);
    char wrong[80];
    snprintf(wrong, sizeof(wrong), "%s", tok);
    wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
    OK(store_token_check(f.st, wrong, &ok, EB));
    ck_assert(!ok);
    OK(store_token_check(f.st, "", &ok, EB));
    ck_assert(!ok);
    struct errbuf eb = {{0}};
    char *none = NULL;
    ck_assert_int_eq(store_token_create(f.st, "", &none, &eb), ERR_INVALID);

    /* The plain token is stored nowhere in the table; its SHA-256 is. */
    char hash[CRYPTO_SHA256_HEX_LEN];
    crypto_sha256_hex(tok, strlen(tok), hash);
    struct db *db = store_db_get(f.st);
    json_t *rows = NULL;
    OK(db_query(db, "SELECT * FROM api_tokens ORDER BY id", NULL, 0, &rows, EB));
    store_db_put(f.st, db);
    char *dump = jsonx_dumps(rows);
    ck_assert_ptr_null(strstr(dump, tok));
    ck_assert_ptr_null(strstr(dump, tok + 3));
    ck_assert_ptr_nonnull(strstr(dump, hash));
    ck_assert_ptr_nonnull(fx_str(json_array_get(rows, 0), "last_used_at", NULL));
    xfree(dump);
    json_decref(rows);
    xfree_zero(tok, strlen(tok));
    xfree_zero(tok2, strlen(tok2));
    fx_close(&f);
}
END_TEST

START_TEST(test_settings)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    char *v = NULL;
    bool is_set = false;
    struct errbuf eb = {{0}};
    ck_assert_int_eq(store_setting_get(f.st, "instance_id", &v, &eb), ERR_NOT_FOUND);
    ck_assert_ptr_null(v);
    OK(store_setting_set(f.st, "instance_id", "first", true, &is_set, EB));
    ck_assert(is_set);
    OK(store_setting_set(f.st, "instance_id", "second", true, &is_set, EB));
    ck_assert(!is_set); /* the first writer wins */
    OK(store_setting_get(f.st, "instance_id", &v, EB));
    ck_assert_str_eq(v, "first");
    xfree(v);
    OK(store_setting_set(f.st, "instance_id", "third", false, &is_set, EB));
    ck_assert(is_set);
    OK(store_setting_get(f.st, "instance_id", &v, EB));
    ck_assert_str_eq(v, "third");
    xfree(v);
    ck_assert_int_eq(store_setting_set(f.st, "", "x", false, NULL, &eb), ERR_INVALID);
    char big[1100];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(store_setting_set(f.st, "k", big, false, NULL, &eb), ERR_INVALID);
    fx_close(&f);
}
END_TEST

START_TEST(test_cursors)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    static const char *const one[] = {"log_triage"};
    struct store_launch req = {.tasks = one, .n_tasks = 1, .lookback_ms = 3600000};
    json_t *run = NULL, *list = NULL;
    struct store_claim c[2];
    bool got = false, done = false;
    struct errbuf eb = {{0}};
    const char *good = "[{\"path\":\"nginx/access.log\",\"device\":2049,\"inode\":77,"
                       "\"fingerprint\":\"" HEX64CUR "\",\"fingerprint_len\":4096,"
                       "\"offset_bytes\":12345,\"last_ts\":\"2026-11-24T10:00:00.000Z\"},"
                       "{\"path\":\"container:web-1\",\"offset_bytes\":0}]";
    json_t *cur = json_loads(good, 0, NULL);
    ck_assert_ptr_nonnull(cur);
    OK(store_cursor_validate(cur, EB));
    for (int k = 0; k < 2; k++) {
        OK(store_run_launch(f.st, &req, &run, EB));
        json_decref(run);
        memset(&c[k], 0, sizeof(c[k]));
        OK(store_job_claim(f.st, "me", 60000, 0, &c[k], &got, EB));
        ck_assert(got);
    }
    /* A failed job never moves the window. */
    OK(store_job_finish(f.st, c[0].job_id, "failed", "boom", NULL,
                        &(struct store_job_outputs){.cursors = cur}, &done, EB));
    OK(store_cursor_list(f.st, &list, EB));
    ck_assert_uint_eq(json_array_size(list), 0);
    json_decref(list);
    /* Invalid cursors: refused, and the job is left running (nothing half-written). */
    static const char *const bad[] = {
        "[{\"path\":\"../etc/passwd\",\"offset_bytes\":1}]",
        "[{\"path\":\"/abs\",\"offset_bytes\":1}]",
        "[{\"path\":\"a//b\",\"offset_bytes\":1}]",
        "[{\"path\":\"a\",\"offset_bytes\":-1}]",
        "[{\"path\":\"a\"}]",
        "[{\"path\":\"a\",\"offset_bytes\":1,\"fingerprint\":\"xyz\"}]",
        "[{\"path\":\"a\",\"offset_bytes\":1,\"last_ts\":\"yesterday\"}]",
        "[{\"path\":\"container:bad name\",\"offset_bytes\":1}]",
        "{}",
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        json_t *b = json_loads(bad[k], 0, NULL);
        ck_assert_ptr_nonnull(b);
        ck_assert_msg(store_job_finish(f.st, c[1].job_id, "success", NULL, NULL,
                                       &(struct store_job_outputs){.cursors = b}, &done,
                                       &eb) == ERR_INVALID,
                      "accepted %s", bad[k]);
        json_decref(b);
    }
    json_t *job = NULL;
    OK(store_job_get(f.st, c[1].job_id, &job, EB));
    ck_assert_str_eq(json_string_value(json_object_get(job, "status")), "running");
    json_decref(job);
    /* Success: saved in the same transaction, with the job that committed them. */
    OK(store_job_finish(f.st, c[1].job_id, "success", NULL, NULL,
                        &(struct store_job_outputs){.cursors = cur}, &done, EB));
    OK(store_cursor_list(f.st, &list, EB));
    ck_assert_uint_eq(json_array_size(list), 2);
    json_t *a = json_array_get(list, 1);
    ck_assert_str_eq(json_string_value(json_object_get(a, "path")), "nginx/access.log");
    ck_assert_int_eq(json_integer_value(json_object_get(a, "offset_bytes")), 12345);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "inode")), 77);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "job_id")), c[1].job_id);
    ck_assert_str_eq(json_string_value(json_object_get(a, "fingerprint")), HEX64CUR);
    json_decref(list);
    json_decref(cur);
    store_claim_fini(&c[0]);
    store_claim_fini(&c[1]);
    fx_close(&f);
}
END_TEST

START_TEST(test_artifacts)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    json_t *run = fx_launch(&f, TASKS3, 1, 0, NULL);
    int64_t id = fx_int(run, "id");
    int64_t job = fx_int(json_array_get(json_object_get(run, "jobs"), 0), "id");
    char sha[CRYPTO_SHA256_HEX_LEN];
    crypto_sha256_hex("x", 1, sha);
    OK(store_artifact_add(f.st, id, 0, "report.md", 120, sha, "text/markdown", EB));
    OK(store_artifact_add(f.st, id, job, "jobs/log_triage/result.json", 42, sha, "application/json",
                          EB));
    struct errbuf eb = {{0}};
    ck_assert_int_eq(store_artifact_add(f.st, id, 0, "report.md", 1, NULL, NULL, &eb),
                     ERR_CONFLICT);
    ck_assert_int_eq(store_artifact_add(f.st, id, 0, "../etc/passwd", 1, NULL, NULL, &eb),
                     ERR_INVALID);
    ck_assert_int_eq(store_artifact_add(f.st, id, 0, "/abs", 1, NULL, NULL, &eb), ERR_INVALID);
    json_t *list = NULL;
    OK(store_artifact_list(f.st, id, &list, EB));
    ck_assert_int_eq(json_array_size(list), 2);
    json_t *a0 = json_array_get(list, 0);
    ck_assert_str_eq(fx_str(a0, "name", NULL), "jobs/log_triage/result.json");
    ck_assert_int_eq(fx_int(a0, "size_bytes"), 42);
    ck_assert_int_eq(fx_int(a0, "job_id"), job);
    ck_assert_str_eq(fx_str(a0, "sha256", NULL), sha);
    ck_assert(json_is_null(json_object_get(json_array_get(list, 1), "job_id")));
    json_decref(list);
    OK(store_artifact_list(f.st, id + 1, &list, EB));
    ck_assert_int_eq(json_array_size(list), 0);
    json_decref(list);
    json_decref(run);
    fx_close(&f);
}
END_TEST

static Suite *store_keep_suite(void)
{
    Suite *s = suite_create("store_keep");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_tokens, 0, 2);
    tcase_add_loop_test(tc, test_artifacts, 0, 2);
    tcase_add_loop_test(tc, test_settings, 0, 2);
    tcase_add_loop_test(tc, test_cursors, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    srand((unsigned)getpid());
    log_init(2, LOG_WARN, false);
    SRunner *sr = srunner_create(store_keep_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
