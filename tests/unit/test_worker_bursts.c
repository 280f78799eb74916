/* SPDX-License-Identifier: MIT */
/* test_worker_bursts.c -- log_triage's error bursts per time bucket, the engine's timestamp
 * prefix on container log lines, and container log files read as sources. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/fs.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "worker/worker_int.h"

#define T0 1764000000000LL /* 2025-11-24T16:00:00Z, a multiple of 300 s */

START_TEST(test_burst_rule)
{
    struct worker_bursts *b = worker_bursts_new(300);
    struct worker_burst out[10];
    uint64_t thr = 0;
    /* One error every bucket for 20 buckets, 30 errors in bucket 10, warnings in 3. */
    for (int i = 0; i < 20; i++)
        worker_bursts_add(b, T0 + i * 300000LL + 5, true, false, 1);
    for (int i = 0; i < 30; i++)
        worker_bursts_add(b, T0 + 10 * 300000LL + i, true, false, i < 20 ? 7 : 8);
    for (int i = 0; i < 4; i++)
        worker_bursts_add(b, T0 + 3 * 300000LL, false, true, 2);
    worker_bursts_add(b, -1, true, false, 1);      /* untimed */
    worker_bursts_add(b, T0 + 7, false, false, 3); /* info: ignored */
    ck_assert_uint_eq(worker_bursts_find(b, out, 10, &thr), 1);
    /* 50 errors over 20 buckets: mean 2.5, 3 x mean = 7.5, so the floor of 10 rules. */
    ck_assert_uint_eq(thr, 10);
    ck_assert_int_eq(out[0].start_ms, T0 + 10 * 300000LL);
    ck_assert_int_eq(out[0].end_ms, T0 + 11 * 300000LL);
    ck_assert_uint_eq(out[0].errors, 31);
    ck_assert_uint_eq(out[0].top_tid, 7); /* 20 of 31 errors: the majority */
    worker_bursts_free(b);
}
END_TEST

/* One busy bucket in a quiet window is a burst: the mean spreads over the whole window. */
START_TEST(test_burst_window_span)
{
    struct worker_bursts *b = worker_bursts_new(300);
    struct worker_burst out[10];
    uint64_t thr = 0;
    for (int i = 0; i < 50; i++)
        worker_bursts_add(b, T0 + 12 * 300000LL + i, true, false, 4);
    ck_assert_uint_eq(worker_bursts_find(b, out, 10, &thr), 0); /* alone: its own mean */
    ck_assert_uint_eq(thr, 150);
    worker_bursts_window(b, T0, T0 + 24 * 3600000LL); /* a day: 288 buckets */
    ck_assert_uint_eq(worker_bursts_find(b, out, 10, &thr), 1);
    ck_assert_uint_eq(thr, 10); /* 3 x 50 / 288 < 1: the floor */
    ck_assert_uint_eq(out[0].errors, 50);
    ck_assert_int_eq(out[0].start_ms, T0 + 12 * 300000LL);
    worker_bursts_window(b, -1, T0 + 13 * 300000LL); /* open start: from the first error */
    ck_assert_uint_eq(worker_bursts_find(b, out, 10, &thr), 0);
    ck_assert_uint_eq(thr, 150);
    worker_bursts_free(b);
}
END_TEST

START_TEST(test_burst_mean_rule)
{
    /* 40 errors in each of 2 buckets next to each other: the mean is 40, 3 x mean 120. */
    struct worker_bursts *b = worker_bursts_new(60);
    struct worker_burst out[10];
    uint64_t thr = 0;
    for (int i = 0; i < 80; i++)
        worker_bursts_add(b, T0 + (i % 2) * 60000LL, true, false, 1);
    ck_assert_uint_eq(worker_bursts_find(b, out, 10, &thr), 0);
    ck_assert_uint_eq(thr, 120);
    ck_assert_int_eq(worker_bursts_bucket_s(b), 60);
    worker_bursts_free(b);
    /* Out of range: the default bucket. */
    b = worker_bursts_new(5);
    ck_assert_int_eq(worker_bursts_bucket_s(b), WORKER_BURSTS_BUCKET_DEFAULT_S);
    ck_assert_uint_eq(worker_bursts_find(b, out, 10, &thr), 0);
    ck_assert_uint_eq(thr, 0);
    worker_bursts_free(b);
}
END_TEST

START_TEST(test_burst_top_ten_in_time_order)
{
    struct worker_bursts *b = worker_bursts_new(10);
    struct worker_burst out[10];
    uint64_t thr = 0;
    /* 12 bursts of 10 + i errors, 1000 quiet buckets between each: the 10 largest come
     * back, earliest first. */
    for (int k = 0; k < 12; k++)
        for (int i = 0; i < 10 + k; i++)
            worker_bursts_add(b, T0 + k * 10000000LL, true, false, (uint32_t)k);
    ck_assert_uint_eq(worker_bursts_find(b, out, 10, &thr), 10);
    ck_assert_uint_eq(out[0].errors, 12);
    ck_assert_uint_eq(out[9].errors, 21);
    for (int i = 1; i < 10; i++)
        ck_assert_int_lt(out[i - 1].start_ms, out[i].start_ms);
    worker_bursts_free(b);
}
END_TEST

START_TEST(test_burst_bounded)
{
    struct worker_bursts *b = worker_bursts_new(10);
    json_t *stats = NULL;
    for (int i = 0; i < WORKER_BURSTS_BUCKETS_MAX + 100; i++)
        worker_bursts_add(b, T0 + i * 10000LL, false, true, 1);
    json_t *arr = worker_bursts_result(b, NULL, NULL, &stats);
    ck_assert_uint_eq(json_array_size(arr), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(stats, "buckets")),
                     WORKER_BURSTS_BUCKETS_MAX);
    ck_assert_int_eq(json_integer_value(json_object_get(stats, "overflow")), 100);
    json_decref(arr);
    json_decref(stats);
    worker_bursts_free(b);
}
END_TEST

START_TEST(test_bucket_from_job)
{
    json_t *j = json_loads("{\"config\":{\"burst_bucket_seconds\":60}}", 0, NULL);
    ck_assert_int_eq(worker_bursts_bucket_from_job(j), 60);
    json_decref(j);
    j = json_loads("{\"config\":{}}", 0, NULL);
    ck_assert_int_eq(worker_bursts_bucket_from_job(j), 300);
    json_decref(j);
    j = json_loads("{\"config\":{\"burst_bucket_seconds\":999999}}", 0, NULL);
    ck_assert_int_eq(worker_bursts_bucket_from_job(j), 300);
    json_decref(j);
}
END_TEST

static bool dts(const char *line, int64_t *ms, size_t *skip)
{
    return worker_docker_ts(line, strlen(line), ms, skip);
}

START_TEST(test_docker_ts_prefix)
{
    int64_t ms = 0;
    size_t skip = 0;
    ck_assert(dts("2026-11-25T02:03:20.123456789Z ERROR boom\n", &ms, &skip));
    ck_assert_uint_eq(skip, 31);
    char iso[CLOCK_ISO_LEN];
    clock_iso_from_ms(ms, iso);
    ck_assert_str_eq(iso, "2026-11-25T02:03:20.123Z");
    ck_assert(dts("2026-11-25T02:03:20Z x", &ms, &skip));
    ck_assert_uint_eq(skip, 21);
    ck_assert(dts("2026-11-25T02:03:20.5+00:00 x", &ms, &skip));
    ck_assert_int_eq(ms % 1000, 500);
    /* An empty message still has its space. */
    ck_assert(dts("2026-11-25T02:03:20.000000001Z \n", &ms, &skip));
    ck_assert(!dts("ERROR no prefix here at all", &ms, &skip));
    ck_assert(!dts("2026-11-25T02:03:20.123456789Z", &ms, &skip)); /* no space */
    ck_assert(!dts("2026-13-25T02:03:20Z x", &ms, &skip));
    ck_assert(!dts("2026-11-25T02:03:20.1234567890123456789012345Z x", &ms, &skip));
    ck_assert(!worker_docker_ts("", 0, &ms, &skip));
}
END_TEST

static char tmp_root[256];

static void setup(void)
{
    snprintf(tmp_root, sizeof(tmp_root), "/tmp/cb-test-bursts-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_root));
}

static void teardown(void)
{
    fs_rm_rf(tmp_root, NULL);
}

/* Write a container log: 12 errors in one minute, 2 info lines, one error half an hour
 * later (so the span is 7 buckets and the first is a burst); one line before the window and
 * one at its end; a line with a NUL byte and one with invalid UTF-8. */
static void write_container_log(const char *path)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("2026-11-25T00:59:59.999999999Z ERROR before the window\n", f);
    for (int i = 0; i < 12; i++)
        fprintf(f, "2026-11-25T01:00:%02d.000000001Z ERROR db timeout after %d ms\n", i, 100 + i);
    fputs("2026-11-25T01:01:00.5Z INFO served user bob@example.com\n", f);
    fputs("2026-11-25T01:01:01Z ok\n", f);
    static const char nul[] = "2026-11-25T01:01:02Z WARN nul\0inside, then more\n";
    fwrite(nul, 1, sizeof(nul) - 1, f); /* read whole: the NUL is a space */
    fputs("2026-11-25T01:01:03Z WARN bad \xff\xfe utf8\n", f);
    fputs("2026-11-25T01:30:00Z ERROR late failure\n", f);
    fputs("2026-11-25T02:00:00.000000000Z ERROR at the window end\n", f);
    fclose(f);
}

START_TEST(test_container_sources)
{
    char *logs = xasprintf("%s/logs", tmp_root);
    char *cdir = xasprintf("%s/in/containers", tmp_root);
    ck_assert_int_eq(fs_mkdir_p(logs, 0755, NULL), ERR_OK);
    ck_assert_int_eq(fs_mkdir_p(cdir, 0755, NULL), ERR_OK);
    char *p = xasprintf("%s/web-0123456789ab.log", cdir);
    write_container_log(p);
    json_t *job = json_pack("{s:s,s:s,s:s,s:s,s:s%,s:[{s:s,s:s,s:s},{s:s,s:s,s:s}],s:[{s:s,s:s}]}",
                            "task", "log_triage", "logs_dir", logs, "window_start",
                            "2026-11-25T01:00:00.000Z", "window_end", "2026-11-25T02:00:00.000Z",
                            "input_dir", tmp_root, strlen(tmp_root), "containers", "name", "web",
                            "id", "0123456789ab", "file", "in/containers/web-0123456789ab.log",
                            "name", "evil", "id", "x", "file", "containers/../../etc/passwd",
                            "containers_failed", "name", "gone", "reason", "container is gone");
    /* input_dir is tmp_root/in: fix the first file's path accordingly. */
    json_object_set_new(job, "input_dir", json_sprintf("%s/in", tmp_root));
    json_object_set_new(json_array_get(json_object_get(job, "containers"), 0), "file",
                        json_string("containers/web-0123456789ab.log"));
    json_t *r = worker_log_triage(job);
    ck_assert_str_eq(jsonx_get_str(r, "status"), "success");
    const json_t *cov = json_object_get(r, "coverage");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(cov, "read"), 0)),
                     "container:web");
    ck_assert_str_eq(jsonx_get_str(json_array_get(json_object_get(cov, "skipped"), 0), "path"),
                     "container:evil");
    ck_assert_str_eq(jsonx_get_str(json_array_get(json_object_get(cov, "unreadable"), 0), "path"),
                     "container:gone");
    const json_t *f0 = json_array_get(json_object_get(r, "files"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(f0, "lines")), 19);
    ck_assert_int_eq(json_integer_value(json_object_get(f0, "in_window")), 17);
    const json_t *in = json_object_get(r, "input");
    ck_assert_int_eq(json_integer_value(json_object_get(in, "nul_lines")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(in, "invalid_utf8_lines")), 1);
    const json_t *all = json_object_get(json_object_get(r, "templates"), "all");
    size_t i;
    const json_t *e;
    bool has_rest = false;
    json_array_foreach(all, i, e) has_rest |=
        strstr(jsonx_get_str(e, "template"), "then more") != NULL;
    ck_assert(has_rest); /* the part after the NUL byte was mined too */
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "counts"), "error")),
                     13);
    const json_t *cl = json_object_get(r, "container_logs");
    ck_assert_int_eq(json_integer_value(json_object_get(cl, "read")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(cl, "failed")), 1);
    const json_t *bursts = json_object_get(json_object_get(r, "templates"), "bursts");
    ck_assert_uint_eq(json_array_size(bursts), 1);
    const json_t *b0 = json_array_get(bursts, 0);
    ck_assert_str_eq(jsonx_get_str(b0, "start"), "2026-11-25T01:00:00.000Z");
    ck_assert_str_eq(jsonx_get_str(b0, "end"), "2026-11-25T01:05:00.000Z");
    ck_assert_int_eq(json_integer_value(json_object_get(b0, "errors")), 12);
    ck_assert_str_eq(jsonx_get_str(b0, "top_template"), "ERROR db timeout after <*> ms");
    ck_assert_uint_eq(strlen(jsonx_get_str(b0, "top_key")), 16);
    json_decref(r);
    json_decref(job);
    xfree(p);
    xfree(cdir);
    xfree(logs);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("worker_bursts");
    TCase *tb = tcase_create("bursts");
    tcase_add_test(tb, test_burst_rule);
    tcase_add_test(tb, test_burst_mean_rule);
    tcase_add_test(tb, test_burst_window_span);
    tcase_add_test(tb, test_burst_top_ten_in_time_order);
    tcase_add_test(tb, test_burst_bounded);
    tcase_add_test(tb, test_bucket_from_job);
    tcase_add_test(tb, test_docker_ts_prefix);
    suite_add_tcase(su, tb);
    TCase *tc = tcase_create("containers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_container_sources);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
