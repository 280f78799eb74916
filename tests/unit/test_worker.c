/* SPDX-License-Identifier: MIT */
/* test_worker.c -- the worker's parsers and worker_main on real temporary folders. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include "core/clock.h"
#include "core/fs.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "worker/worker.h"
#include "worker/worker_int.h"

static char tmp_root[256];

static void setup(void)
{
    snprintf(tmp_root, sizeof(tmp_root), "/tmp/cb-test-worker-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_root));
}

static void teardown(void)
{
    fs_rm_rf(tmp_root, NULL);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void write_gz(const char *path, const char *text)
{
    gzFile gz = gzopen(path, "wb");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzputs(gz, text), (int)strlen(text));
    gzclose(gz);
}

static enum worker_level lvl(const char *s)
{
    return worker_level_detect(s, strlen(s));
}

START_TEST(test_level_detect)
{
    ck_assert_int_eq(lvl("2026-11-24T18:52:50 ERROR boom"), WORKER_LVL_ERROR);
    ck_assert_int_eq(lvl("[warn] disk at 91%"), WORKER_LVL_WARN);
    ck_assert_int_eq(lvl("ts=1 level=info msg=ok"), WORKER_LVL_INFO);
    ck_assert_int_eq(lvl("Nov 24 18:52:50 host app[12]: Warning: slow"), WORKER_LVL_WARN);
    ck_assert_int_eq(lvl("TRACE entering"), WORKER_LVL_DEBUG);
    ck_assert_int_eq(lvl("kernel: err: bad block"), WORKER_LVL_ERROR);
    ck_assert_int_eq(lvl("CRITICAL: out of memory"), WORKER_LVL_ERROR);
    ck_assert_int_eq(lvl("INFO: no error found"), WORKER_LVL_INFO);
    ck_assert_int_eq(lvl("errors happened, informational"), WORKER_LVL_OTHER);
    ck_assert_int_eq(lvl(""), WORKER_LVL_OTHER);
    ck_assert_str_eq(worker_level_name(WORKER_LVL_WARN), "warn");
}
END_TEST

static int64_t ts(const char *s, bool *ok)
{
    int64_t v = -1;
    *ok = worker_ts_parse(s, strlen(s), 2026, &v);
    return v;
}

START_TEST(test_ts_parse)
{
    bool ok;
    int64_t base;
    ck_assert(clock_iso_parse("2026-11-24T18:52:50Z", &base));
    ck_assert_int_eq(ts("2026-11-24T18:52:50 x", &ok), base);
    ck_assert(ok);
    ck_assert_int_eq(ts("2026-11-24 18:52:50,250 INFO", &ok), base + 250);
    ck_assert(ok);
    ck_assert_int_eq(ts("2026-11-24T20:52:50+02:00 x", &ok), base);
    ck_assert(ok);
    ck_assert_int_eq(ts("2026-11-24T18:52:50.5Z", &ok), base + 500);
    ck_assert(ok);
    ck_assert_int_eq(ts("[2026-11-24 18:52:50] x", &ok), base);
    ck_assert(ok);
    ck_assert_int_eq(ts("Nov 24 18:52:50 host sshd[1]: x", &ok), base);
    ck_assert(ok);
    ck_assert(clock_iso_parse("2026-11-04T08:00:01Z", &base));
    ck_assert_int_eq(ts("Nov  4 08:00:01 host x", &ok), base);
    ck_assert(ok);
    ts("continuation line", &ok);
    ck_assert(!ok);
    ts("2026-13-24T18:52:50", &ok);
    ck_assert(!ok);
    ts("Foo 24 18:52:50", &ok);
    ck_assert(!ok);
    ts("2026-11-24", &ok);
    ck_assert(!ok);
}
END_TEST

/* Write job (JSON text) into <tmp>/in, run worker_main, return its exit code and the result. */
static int run_worker(const char *job_json, json_t **result)
{
    char in[300], out[300], path[320];
    snprintf(in, sizeof(in), "%s/in", tmp_root);
    snprintf(out, sizeof(out), "%s/out", tmp_root);
    fs_mkdir_p(in, 0755, NULL);
    fs_mkdir_p(out, 0755, NULL);
    snprintf(path, sizeof(path), "%s/job.json", in);
    write_text(path, job_json);
    snprintf(path, sizeof(path), "%s/result.json", out);
    unlink(path);
    char *argv[] = {"worker", "--input", in, "--output", out, NULL};
    int rc = worker_main(5, argv);
    *result = NULL;
    char *data = NULL;
    size_t len = 0;
    if (fs_read_file(path, 8 << 20, &data, &len, NULL) == ERR_OK) {
        ck_assert_int_eq(jsonx_parse(data, len, 8 << 20, result, NULL), ERR_OK);
        xfree(data);
    }
    return rc;
}

static int64_t count_of(const json_t *r, const char *level)
{
    return json_integer_value(json_object_get(json_object_get(r, "counts"), level));
}

START_TEST(test_log_triage_folder)
{
    char logs[300], sub[320], p[400];
    snprintf(logs, sizeof(logs), "%s/logs", tmp_root);
    snprintf(sub, sizeof(sub), "%s/sub", logs);
    fs_mkdir_p(sub, 0755, NULL);
    snprintf(p, sizeof(p), "%s/app.log", logs);
    write_text(p, "2026-11-24T09:59:59 ERROR before the window\n"
                  "2026-11-24T10:00:00 ERROR first in window\n"
                  "  at frame 2 (continuation)\n"
                  "2026-11-24 10:30:00 WARN slow\n"
                  "2026-11-24T11:00:00 INFO fine\n"
                  "2026-11-24T12:00:00 ERROR at window end: outside\n");
    snprintf(p, sizeof(p), "%s/syslog.1.gz", sub);
    write_gz(p, "Nov 24 10:15:00 host app[1]: DEBUG tick\n"
                "Nov 24 10:16:00 host app[1]: FATAL crash\n"
                "Nov 24 13:00:00 host app[1]: INFO later\n");
    snprintf(p, sizeof(p), "%s/old.log", logs);
    write_text(p, "2020-01-01T00:00:00 ERROR ancient\n");
    struct timeval tv[2] = {{1577836800, 0}, {1577836800, 0}};
    ck_assert_int_eq(utimes(p, tv), 0);
    snprintf(p, sizeof(p), "%s/escape", logs);
    ck_assert_int_eq(symlink("/etc/hostname", p), 0);

    char *job = xasprintf("{\"task\":\"log_triage\",\"job_id\":3,\"logs_dir\":\"%s\","
                          "\"window_start\":\"2026-11-24T10:00:00.000Z\","
                          "\"window_end\":\"2026-11-24T12:00:00.000Z\"}",
                          logs);
    json_t *r = NULL;
    ck_assert_int_eq(run_worker(job, &r), 0);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(jsonx_get_str(r, "task"), "log_triage");
    ck_assert_str_eq(jsonx_get_str(r, "status"), "success");
    /* app.log: lines 2..5 are in the window (the continuation inherits 10:00:00). */
    ck_assert_int_eq(count_of(r, "error"), 2); /* app ERROR + gz FATAL */
    ck_assert_int_eq(count_of(r, "warn"), 1);
    ck_assert_int_eq(count_of(r, "info"), 1);
    ck_assert_int_eq(count_of(r, "debug"), 1);
    ck_assert_int_eq(count_of(r, "other"), 1); /* the continuation line */
    ck_assert_int_eq(json_integer_value(json_object_get(r, "lines_total")), 9);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "lines_in_window")), 6);
    json_t *cov = json_object_get(r, "coverage");
    ck_assert_uint_eq(json_array_size(json_object_get(cov, "read")), 2);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(cov, "read"), 1)),
                     "sub/syslog.1.gz");
    ck_assert_uint_eq(json_array_size(json_object_get(cov, "skipped")), 2); /* old + escape */
    ck_assert_int_eq(json_integer_value(json_object_get(r, "job_id")), 3);
    json_decref(r);
    xfree(job);
}
END_TEST

START_TEST(test_log_triage_templates)
{
    char *logs = xasprintf("%s/tlogs", tmp_root);
    ck_assert_int_eq(fs_mkdir_p(logs, 0755, NULL), ERR_OK);
    char *p = xasprintf("%s/app.log", logs);
    write_text(p,
               "2026-11-24 18:52:50,123 ERROR [main] com.x.Db - connection refused to db:5432\n"
               "2026-11-24 18:52:51,123 ERROR [main] com.x.Db - connection refused to db:5433\n"
               "java.lang.IllegalStateException: boom\n"
               "\tat com.x.Db.open(Db.java:42)\n"
               "2026-11-24 18:52:52,123 WARN [main] com.x.Disk - mail bob@example.com is 81% full\n"
               "2026-11-24 18:52:53,123 INFO [main] com.x.Web - request served in 12 ms\n");
    char *job = xasprintf("{\"task\":\"log_triage\",\"logs_dir\":\"%s\"}", logs);
    json_t *r = NULL;
    ck_assert_int_eq(run_worker(job, &r), 0);
    const json_t *t = json_object_get(r, "templates");
    ck_assert_int_eq(json_integer_value(json_object_get(t, "records")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "continuation_lines")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(t, "formats"), "java")), 1);
    const json_t *top = json_object_get(t, "top_findings");
    ck_assert_uint_eq(json_array_size(top), 2); /* the error template, then the warning */
    const json_t *f0 = json_array_get(top, 0), *f1 = json_array_get(top, 1);
    ck_assert_str_eq(jsonx_get_str(f0, "template"), "connection refused to db:<*>");
    ck_assert_int_eq(json_integer_value(json_object_get(f0, "errors")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(f0, "score")), 6);
    ck_assert_str_eq(jsonx_get_str(f0, "level"), "error");
    ck_assert_uint_eq(strlen(jsonx_get_str(f0, "key")), 16);
    ck_assert_str_eq(jsonx_get_str(f1, "level"), "warning");
    /* Template text is redacted: the address is gone. */
    ck_assert_ptr_null(strstr(jsonx_get_str(f1, "template"), "bob@example.com"));
    json_decref(r);
    xfree(job);
    xfree(p);
    xfree(logs);
}
END_TEST

/* Run log_triage with redact_key (64 hex digits, or NULL) and cursors; returns the result. */
static json_t *triage_keyed(const char *logs, const char *key, const json_t *cursors);

/* Run log_triage on logs with cursors (a JSON array, borrowed); returns the result. */
static json_t *triage_with(const char *logs, const json_t *cursors)
{
    return triage_keyed(logs, NULL, cursors);
}

/* The file entry of path in r, or NULL. */
static const json_t *file_of(const json_t *r, const char *path)
{
    return jsonx_find(json_object_get(r, "files"), "path", path);
}

static void append(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(test_log_triage_cursors)
{
    char *logs = xasprintf("%s/clogs", tmp_root);
    char *app = xasprintf("%s/app.log", logs), *app1 = xasprintf("%s/app.log.1", logs);
    ck_assert_int_eq(fs_mkdir_p(logs, 0755, NULL), ERR_OK);
    write_text(app, "2026-11-24T10:00:00Z ERROR one\n2026-11-24T10:00:01Z INFO two\n");
    json_t *none = json_array();
    json_t *r = triage_with(logs, none);
    ck_assert_str_eq(jsonx_get_str(file_of(r, "app.log"), "start"), "first");
    json_t *cur = json_incref(json_object_get(r, "cursors"));
    ck_assert_uint_eq(json_array_size(cur), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(cur, 0), "offset_bytes")),
                     61);
    json_decref(r);

    /* Nothing new: nothing counted; one appended line: exactly it. */
    r = triage_with(logs, cur);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "lines_in_window")), 0);
    json_decref(r);
    append(app, "2026-11-24T10:00:02Z ERROR three\n");
    r = triage_with(logs, cur);
    ck_assert_str_eq(jsonx_get_str(file_of(r, "app.log"), "start"), "continued");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "lines_in_window")), 1);
    ck_assert_int_eq(count_of(r, "error"), 1);
    json_decref(cur);
    cur = json_incref(json_object_get(r, "cursors"));
    json_decref(r);

    /* Rotation: the old file's late tail and the whole new file are read, nothing twice. */
    ck_assert_int_eq(rename(app, app1), 0);
    append(app1, "2026-11-24T10:00:03Z WARN late tail\n");
    write_text(app, "2026-11-24T10:00:04Z ERROR new file\n");
    r = triage_with(logs, cur);
    ck_assert_str_eq(jsonx_get_str(file_of(r, "app.log.1"), "start"), "rotated");
    ck_assert_str_eq(jsonx_get_str(file_of(r, "app.log"), "start"), "replaced");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "lines_in_window")), 2);
    json_decref(cur);
    cur = json_incref(json_object_get(r, "cursors"));
    json_decref(r);

    /* Truncated and rewritten in place: read from the start. */
    write_text(app, "x\n");
    r = triage_with(logs, cur);
    ck_assert_str_eq(jsonx_get_str(file_of(r, "app.log"), "start"), "replaced");
    ck_assert_int_eq(json_integer_value(json_object_get(file_of(r, "app.log"), "lines")), 1);
    json_decref(r);
    json_decref(cur);
    json_decref(none);
    xfree(app);
    xfree(app1);
    xfree(logs);
}
END_TEST

/* Run log_triage with redact_key (64 hex digits, or NULL) and cursors; returns the result. */
static json_t *triage_keyed(const char *logs, const char *key, const json_t *cursors)
{
    json_t *job =
        json_pack("{s:s,s:s,s:O}", "task", "log_triage", "logs_dir", logs, "cursors", cursors);
    if (key)
        json_object_set_new(job, "redact_key", json_string(key));
    char *text = jsonx_dumps(job);
    json_t *r = NULL;
    ck_assert_int_eq(run_worker(text, &r), 0);
    ck_assert_ptr_nonnull(r);
    xfree(text);
    json_decref(job);
    return r;
}

START_TEST(test_log_triage_redact_key)
{
    static const char key[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    char *logs = xasprintf("%s/klogs", tmp_root);
    char *dir = xasprintf("%s/alice@example.org", logs);
    char *p = xasprintf("%s/app.log", dir);
    ck_assert_int_eq(fs_mkdir_p(dir, 0755, NULL), ERR_OK);
    write_text(p, "2026-11-24T10:00:00Z ERROR mail to alice@example.org failed\n");
    json_t *none = json_array();
    json_t *r = triage_keyed(logs, key, none);
    json_t *cur = json_incref(json_object_get(r, "cursors"));
    ck_assert_uint_eq(json_array_size(cur), 1);
    /* The cursor is named by the redacted path, with the same pseudonym as the example. */
    const char *name = jsonx_get_str(json_array_get(cur, 0), "path");
    ck_assert_ptr_null(strstr(name, "alice"));
    ck_assert_ptr_nonnull(strstr(name, "[EMAIL:"));
    const json_t *f0 =
        json_array_get(json_object_get(json_object_get(r, "templates"), "top_findings"), 0);
    char pseudonym[16];
    snprintf(pseudonym, sizeof(pseudonym), "%.12s", name);
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(f0, "example"), pseudonym));
    json_decref(r);
    /* The next job finds its cursor by that name: only the new line is read. */
    append(p, "2026-11-24T10:00:01Z ERROR again\n");
    r = triage_keyed(logs, key, cur);
    ck_assert_str_eq(jsonx_get_str(json_array_get(json_object_get(r, "cursors"), 0), "path"), name);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "lines_in_window")), 1);
    json_decref(r);
    /* Without a key: masks, never the address. */
    r = triage_keyed(logs, NULL, none);
    ck_assert_str_eq(jsonx_get_str(json_array_get(json_object_get(r, "cursors"), 0), "path"),
                     "[EMAIL]/app.log");
    json_decref(r);
    json_decref(cur);
    json_decref(none);
    xfree(p);
    xfree(dir);
    xfree(logs);
}
END_TEST

START_TEST(test_log_triage_missing_folder)
{
    json_t *r = NULL;
    ck_assert_int_eq(run_worker("{\"task\":\"log_triage\",\"logs_dir\":\"/nonexistent/logs\"}", &r),
                     0);
    ck_assert_str_eq(jsonx_get_str(r, "status"), "failed");
    ck_assert_str_eq(jsonx_get_str(r, "reason"), "logs folder /nonexistent/logs does not exist");
    json_decref(r);
}
END_TEST

START_TEST(test_bad_input)
{
    json_t *r = NULL;
    ck_assert_int_eq(run_worker("{not json", &r), 2);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(run_worker("{\"task\":\"mine_bitcoin\"}", &r), 2);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(run_worker("[1,2]", &r), 2);
    char *argv[] = {"worker", "--bogus", NULL};
    ck_assert_int_eq(worker_main(2, argv), 2);
}
END_TEST

START_TEST(test_service_map)
{
    json_t *r = NULL;
    const char *job =
        "{\"task\":\"service_map\",\"inventory\":[{\"container_id\":\"abc\",\"name\":\"web\","
        "\"image\":\"nginx:1\",\"state\":\"running\",\"status\":\"Up 2 hours\","
        "\"is_allowlisted\":true,\"details\":{\"ports\":[{\"container_port\":\"80/tcp\","
        "\"host_port\":\"8080\"}],\"networks\":[{\"name\":\"bridge\",\"aliases\":[]},"
        "{\"name\":\"front\",\"aliases\":[\"web\"]}]}},"
        "{\"container_id\":\"def\",\"name\":\"db\",\"image\":\"postgres\",\"state\":\"exited\","
        "\"is_allowlisted\":false,\"details\":null}]}";
    ck_assert_int_eq(run_worker(job, &r), 0);
    ck_assert_str_eq(jsonx_get_str(r, "status"), "success");
    ck_assert_str_eq(jsonx_get_str(r, "docker"), "reachable");
    json_t *c0 = json_array_get(json_object_get(r, "containers"), 0);
    ck_assert_str_eq(jsonx_get_str(c0, "name"), "web");
    ck_assert_uint_eq(json_array_size(json_object_get(c0, "networks")), 2);
    ck_assert_uint_eq(json_array_size(json_object_get(c0, "ports")), 1);
    ck_assert(json_is_true(json_object_get(c0, "is_allowlisted")));
    json_t *c1 = json_array_get(json_object_get(r, "containers"), 1);
    ck_assert_str_eq(jsonx_get_str(c1, "name"), "db");
    ck_assert(json_is_false(json_object_get(c1, "is_allowlisted")));
    ck_assert_uint_eq(json_array_size(json_object_get(c1, "networks")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "counts"), "exited")),
                     1);
    json_decref(r);
    ck_assert_int_eq(
        run_worker("{\"task\":\"service_map\",\"inventory_error\":\"docker socket gone\"}", &r), 0);
    ck_assert_str_eq(jsonx_get_str(r, "status"), "success");
    ck_assert_str_eq(jsonx_get_str(r, "docker"), "unreachable");
    ck_assert_str_eq(jsonx_get_str(r, "message"), "docker socket gone");
    json_decref(r);
}
END_TEST

START_TEST(test_gpu_report_absent_and_present)
{
    char bin[300], p[320];
    json_t *r = NULL;
    snprintf(bin, sizeof(bin), "%s/bin", tmp_root);
    fs_mkdir_p(bin, 0755, NULL);
    setenv("PATH", bin, 1);
    ck_assert_int_eq(run_worker("{\"task\":\"gpu_report\"}", &r), 0);
    ck_assert_str_eq(jsonx_get_str(r, "status"), "success");
    ck_assert_str_eq(jsonx_get_str(r, "driver"), "absent");
    ck_assert_uint_eq(json_array_size(json_object_get(r, "gpus")), 0);
    json_decref(r);
    /* An executable on PATH that answers like nvidia-smi: checks the exec and capture. */
    snprintf(p, sizeof(p), "%s/nvidia-smi", bin);
    write_text(p, "#!/bin/sh\ncase \"$1\" in --query-gpu=*) echo '0, GPU-1, Test GPU, 1.0, 2000, "
                  "100, 7, 1, 50, [N/A], 30.5, 100, [N/A], 300, 400, [N/A]';; esac\n");
    chmod(p, 0755);
    ck_assert_int_eq(run_worker("{\"task\":\"gpu_report\"}", &r), 0);
    ck_assert_str_eq(jsonx_get_str(r, "driver"), "present");
    json_t *g = json_array_get(json_object_get(r, "gpus"), 0);
    ck_assert_str_eq(jsonx_get_str(g, "name"), "Test GPU");
    ck_assert_int_eq(json_integer_value(json_object_get(g, "memory_used_mib")), 100);
    json_decref(r);
    write_text(p, "#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n");
    ck_assert_int_eq(run_worker("{\"task\":\"gpu_report\"}", &r), 0);
    ck_assert_str_eq(jsonx_get_str(r, "status"), "failed");
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(r, "reason"), "status 9"));
    json_decref(r);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("worker");
    TCase *tp = tcase_create("parsers");
    tcase_add_test(tp, test_level_detect);
    tcase_add_test(tp, test_ts_parse);
    suite_add_tcase(su, tp);
    TCase *tm = tcase_create("main");
    tcase_set_timeout(tm, 30);
    tcase_add_checked_fixture(tm, setup, teardown);
    tcase_add_test(tm, test_log_triage_folder);
    tcase_add_test(tm, test_log_triage_missing_folder);
    tcase_add_test(tm, test_log_triage_templates);
    tcase_add_test(tm, test_log_triage_cursors);
    tcase_add_test(tm, test_log_triage_redact_key);
    tcase_add_test(tm, test_bad_input);
    tcase_add_test(tm, test_service_map);
    tcase_add_test(tm, test_gpu_report_absent_and_present);
    suite_add_tcase(su, tm);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
