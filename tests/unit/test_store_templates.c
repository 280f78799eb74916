/* SPDX-License-Identifier: MIT */
/* test_store_templates.c -- log_triage's template history on both backends (loop index 0:
 * SQLite in a fresh file, 1: PostgreSQL in a fresh schema on CB_TEST_PG; skipped when
 * unset, except with CI=true): folding with a job's success, the rate EWMA and its lazy
 * decay, eviction down to the cap, nothing written on failure or bad input, list and get. */
#include <check.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "store/store.h"

#define STORE_FX_TAG "_tpl"
#include "store_fixture.h"

#define K1 "00000000000000a1"
#define K2 "00000000000000b2"
#define K3 "00000000000000c3"
#define K4 "00000000000000d4"
#define K5 "00000000000000e5"

/* Launch a log_triage run and claim its job (caller frees with store_claim_fini). */
static void claim(struct fx *f, struct store_claim *c)
{
    static const char *const one[] = {"log_triage"};
    struct store_launch req = {.tasks = one, .n_tasks = 1, .lookback_ms = 3600000};
    json_t *run = NULL;
    bool got = false;
    OK(store_run_launch(f->st, &req, &run, EB));
    json_decref(run);
    OK(store_job_claim(f->st, "me", 60000, 0, c, &got, EB));
    ck_assert(got);
}

/* Finish a fresh log_triage job with status and templates (JSON text); returns the error. */
static enum err job_with(struct fx *f,
                         const char *status,
                         const char *templates,
                         double hours,
                         int64_t cap,
                         int64_t *job_id)
{
    struct store_claim c;
    struct errbuf eb = {{0}};
    bool done = false;
    claim(f, &c);
    json_t *t = json_loads(templates, JSON_ALLOW_NUL, NULL);
    ck_assert_msg(t != NULL, "bad test JSON %s", templates);
    struct store_job_outputs out = {.templates = t, .window_hours = hours, .templates_cap = cap};
    enum err e = store_job_finish(f->st, c.job_id, status, NULL, NULL, &out, &done, &eb);
    if (job_id)
        *job_id = c.job_id;
    if (e == ERR_OK && done)
        OK(store_run_end(f->st, c.run_id, NULL, NULL, EB));
    json_decref(t);
    store_claim_fini(&c);
    return e;
}

/* Look keys (a JSON array text) up; returns found, *seq the sequence. */
static json_t *lookup(struct fx *f, const char *keys, int64_t *seq)
{
    json_t *k = json_loads(keys, 0, NULL), *found = NULL;
    OK(store_templates_lookup(f->st, k, &found, seq, EB));
    json_decref(k);
    return found;
}

static double rate_of(const json_t *row)
{
    return json_number_value(json_object_get(row, "rate_ewma"));
}

START_TEST(test_fold_and_decay)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    int64_t seq = -1, job1 = 0;
    json_t *found = lookup(&f, "[\"" K1 "\"]", &seq);
    ck_assert_int_eq(seq, 0); /* nothing folded yet: the next job is the baseline */
    ck_assert_uint_eq(json_object_size(found), 0);
    json_decref(found);
    OK(job_with(&f, "success",
                "[{\"key\":\"" K1 "\",\"template\":\"connection refused to db:<*>\",\"count\":10,"
                "\"errors\":10},{\"key\":\"" K2 "\",\"template\":\"ok\",\"count\":5}]",
                1.0, 0, &job1));
    /* Job 2: K1 at 40 lines in 2 h (20/h), without errors this time. */
    OK(job_with(&f, "success",
                "[{\"key\":\"" K1 "\",\"template\":\"connection refused\",\"count\":40}]", 2.0, 0,
                NULL));
    found = lookup(&f, "[\"" K1 "\",\"" K2 "\",\"" K3 "\"]", &seq);
    ck_assert_int_eq(seq, 2);
    ck_assert_uint_eq(json_object_size(found), 2);
    const json_t *a = json_object_get(found, K1), *b = json_object_get(found, K2);
    ck_assert_double_eq_tol(rate_of(a), 0.3 * 20 + 0.7 * 10, 1e-6);
    ck_assert_str_eq(jsonx_get_str(a, "level"), "error"); /* the highest seen */
    ck_assert_str_eq(jsonx_get_str(a, "template"), "connection refused");
    ck_assert_int_eq(json_integer_value(json_object_get(a, "jobs_seen")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "total_count")), 50);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "ewma_seq")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(a, "first_seen_job_id")), job1);
    ck_assert_str_eq(jsonx_get_str(b, "level"), "info");
    /* K2 missed job 2: its baseline for job 3 decays once; for job 2 it did not yet. */
    ck_assert_double_eq_tol(store_template_baseline(b, 2), 5.0, 1e-6);
    ck_assert_double_eq_tol(store_template_baseline(b, 3), 5.0 * 0.7, 1e-6);
    ck_assert_double_eq_tol(store_template_baseline(b, 5), 5.0 * 0.7 * 0.7 * 0.7, 1e-6);
    json_decref(found);
    /* Job 3 sees K2 at 1/h: folded over the decayed baseline. */
    OK(job_with(&f, "success", "[{\"key\":\"" K2 "\",\"template\":\"ok\",\"count\":1}]", 1.0, 0,
                NULL));
    found = lookup(&f, "[\"" K2 "\"]", &seq);
    ck_assert_int_eq(seq, 3);
    ck_assert_double_eq_tol(rate_of(json_object_get(found, K2)), 0.3 * 1 + 0.7 * 3.5, 1e-6);
    json_decref(found);
    fx_close(&f);
}
END_TEST

START_TEST(test_no_write_on_failure)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    const char *good = "[{\"key\":\"" K1 "\",\"template\":\"boom\",\"count\":12,\"errors\":12}]";
    ck_assert_int_eq(job_with(&f, "failed", good, 1.0, 0, NULL), ERR_OK);
    ck_assert_int_eq(job_with(&f, "cancelled", good, 1.0, 0, NULL), ERR_OK);
    char long_text[700];
    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    char *too_long = xasprintf("[{\"key\":\"" K2 "\",\"template\":\"%s\",\"count\":1}]", long_text);
    const char *bad[] = {
        "{}",
        "[{\"key\":\"XYZ\",\"template\":\"a\",\"count\":1}]",
        "[{\"key\":\"00000000000000A1\",\"template\":\"a\",\"count\":1}]",
        "[{\"key\":\"" K1 "\",\"template\":\"a\",\"count\":-1}]",
        "[{\"key\":\"" K1 "\",\"template\":\"a\"}]",
        "[{\"key\":\"" K1 "\",\"template\":7,\"count\":1}]",
        "[{\"key\":\"" K1 "\",\"template\":\"a\\u0000b\",\"count\":1}]",
        "[{\"key\":\"" K1 "\",\"template\":\"a\",\"count\":1},"
        "{\"key\":\"" K1 "\",\"template\":\"b\",\"count\":1}]",
        "[{\"key\":\"" K2 "\",\"template\":\"ok\",\"count\":1},"
        "{\"key\":\"" K1 "\",\"template\":\"a\",\"count\":1,\"errors\":\"many\"}]",
        "[{\"key\":\"" K1 "\",\"template\":\"a\",\"count\":1,\"example\":3}]",
        "[{\"key\":\"" K1 "\",\"template\":\"a\",\"count\":1,\"example\":\"a\\u0000\"}]",
        too_long,
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
        ck_assert_msg(job_with(&f, "success", bad[k], 1.0, 0, NULL) == ERR_INVALID, "accepted %s",
                      bad[k]);
    ck_assert_int_eq(job_with(&f, "success", good, 0.0, 0, NULL), ERR_INVALID); /* no window */
    xfree(too_long);
    int64_t seq = -1;
    json_t *found = lookup(&f, "[\"" K1 "\",\"" K2 "\"]", &seq);
    ck_assert_int_eq(seq, 0);
    ck_assert_uint_eq(json_object_size(found), 0);
    json_decref(found);
    /* The refused jobs were left running, and the history is empty. */
    json_t *list = NULL;
    int64_t count = -1;
    struct store_template_filter flt = {.limit = 10};
    OK(store_template_list(f.st, &flt, &list, &count, EB));
    ck_assert_int_eq(count, 0);
    json_decref(list);
    fx_close(&f);
}
END_TEST

START_TEST(test_too_many_templates)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    struct buf b;
    buf_init(&b, 1024 * 1024);
    buf_puts(&b, "[");
    for (int i = 0; i <= STORE_TEMPLATES_JOB_MAX; i++)
        buf_printf(&b, "%s{\"key\":\"%016x\",\"template\":\"t%d\",\"count\":1}", i ? "," : "", i,
                   i);
    buf_puts(&b, "]");
    ck_assert_int_eq(job_with(&f, "success", buf_str(&b), 1.0, 0, NULL), ERR_TOO_LARGE);
    buf_fini(&b);
    fx_close(&f);
}
END_TEST

START_TEST(test_eviction_cap)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    OK(job_with(&f, "success",
                "[{\"key\":\"" K1 "\",\"template\":\"a\",\"count\":5},"
                "{\"key\":\"" K2 "\",\"template\":\"b\",\"count\":1},"
                "{\"key\":\"" K3 "\",\"template\":\"c\",\"count\":3}]",
                1.0, 3, NULL));
    OK(job_with(&f, "success",
                "[{\"key\":\"" K4 "\",\"template\":\"d\",\"count\":1},"
                "{\"key\":\"" K5 "\",\"template\":\"e\",\"count\":1}]",
                1.0, 3, NULL));
    /* 5 rows over a cap of 3: the two least recently seen (then rarest) go: K2, K3. */
    struct errbuf eb = {{0}};
    json_t *row = NULL;
    ck_assert_int_eq(store_template_get(f.st, K2, &row, &eb), ERR_NOT_FOUND);
    ck_assert_int_eq(store_template_get(f.st, K3, &row, &eb), ERR_NOT_FOUND);
    static const char *const kept[] = {K1, K4, K5};
    for (size_t k = 0; k < 3; k++) {
        OK(store_template_get(f.st, kept[k], &row, EB));
        json_decref(row);
    }
    fx_close(&f);
}
END_TEST

START_TEST(test_list_and_get)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    OK(job_with(&f, "success",
                "[{\"key\":\"" K1 "\",\"template\":\"disk <*> full\",\"count\":2,\"warnings\":2},"
                "{\"key\":\"" K2 "\",\"template\":\"crash\",\"count\":1,\"critical\":1},"
                "{\"key\":\"" K3 "\",\"template\":\"served\",\"count\":9}]",
                1.0, 0, NULL));
    json_t *list = NULL, *row = NULL;
    int64_t count = 0;
    struct store_template_filter flt = {.limit = 10};
    OK(store_template_list(f.st, &flt, &list, &count, EB));
    ck_assert_int_eq(count, 3);
    json_decref(list);
    flt.level = "critical";
    OK(store_template_list(f.st, &flt, &list, &count, EB));
    ck_assert_int_eq(count, 1);
    ck_assert_str_eq(jsonx_get_str(json_array_get(list, 0), "key"), K2);
    json_decref(list);
    flt.level = NULL;
    flt.new_since = "2999-01-01T00:00:00Z";
    OK(store_template_list(f.st, &flt, &list, &count, EB));
    ck_assert_int_eq(count, 0);
    json_decref(list);
    flt.new_since = "2020-01-01T00:00:00Z";
    flt.limit = 2;
    OK(store_template_list(f.st, &flt, &list, &count, EB));
    ck_assert_int_eq(count, 3);
    ck_assert_uint_eq(json_array_size(list), 2);
    json_decref(list);
    struct errbuf eb = {{0}};
    flt.level = "loud";
    ck_assert_int_eq(store_template_list(f.st, &flt, &list, &count, &eb), ERR_INVALID);
    flt.level = NULL;
    flt.new_since = "yesterday";
    ck_assert_int_eq(store_template_list(f.st, &flt, &list, &count, &eb), ERR_INVALID);
    OK(store_template_get(f.st, K1, &row, EB));
    ck_assert_str_eq(jsonx_get_str(row, "template"), "disk <*> full");
    ck_assert_str_eq(jsonx_get_str(row, "level"), "warning");
    ck_assert(json_is_real(json_object_get(row, "rate_ewma")));
    json_decref(row);
    ck_assert_int_eq(store_template_get(f.st, "../x", &row, &eb), ERR_NOT_FOUND);
    fx_close(&f);
}
END_TEST

/* A template keeps the latest job's example; a job without one leaves it. */
START_TEST(test_examples_kept)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    ck_assert_int_eq(job_with(&f, "success",
                              "[{\"key\":\"" K1 "\",\"template\":\"disk <*> full\","
                              "\"count\":1,\"example\":\"disk sda full\"}]",
                              1.0, 0, NULL),
                     ERR_OK);
    json_t *row = NULL;
    OK(store_template_get(f.st, K1, &row, EB));
    ck_assert_str_eq(jsonx_get_str(row, "example"), "disk sda full");
    json_decref(row);
    ck_assert_int_eq(job_with(&f, "success",
                              "[{\"key\":\"" K1 "\",\"template\":\"disk <*> full\",\"count\":2}]",
                              1.0, 0, NULL),
                     ERR_OK);
    OK(store_template_get(f.st, K1, &row, EB));
    ck_assert_str_eq(jsonx_get_str(row, "example"), "disk sda full");
    json_decref(row);
    ck_assert_int_eq(job_with(&f, "success",
                              "[{\"key\":\"" K1 "\",\"template\":\"disk <*> full\","
                              "\"count\":1,\"example\":\"disk sdb full\"}]",
                              1.0, 0, NULL),
                     ERR_OK);
    OK(store_template_get(f.st, K1, &row, EB));
    ck_assert_str_eq(jsonx_get_str(row, "example"), "disk sdb full");
    json_decref(row);
    fx_close(&f);
}
END_TEST

static Suite *templates_suite(void)
{
    Suite *s = suite_create("store_templates");
    TCase *tc = tcase_create("templates");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_fold_and_decay, 0, 2);
    tcase_add_loop_test(tc, test_no_write_on_failure, 0, 2);
    tcase_add_loop_test(tc, test_too_many_templates, 0, 2);
    tcase_add_loop_test(tc, test_eviction_cap, 0, 2);
    tcase_add_loop_test(tc, test_list_and_get, 0, 2);
    tcase_add_loop_test(tc, test_examples_kept, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    srand((unsigned)getpid());
    log_init(2, LOG_WARN, false);
    SRunner *sr = srunner_create(templates_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
