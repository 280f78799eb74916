/* SPDX-License-Identifier: MIT */
/* test_tasks.c -- the dispatcher end to end on a real SQLite store and real worker processes.
 *
 * The worker is CB_WORKER_BIN (build/<flavour>/cyberbrain, set by scripts/run-unit.sh) when
 * it can be run, otherwise this test binary itself, which answers `worker ...` with
 * worker_main. Failure cases use small shell scripts as the worker. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/events.h"
#include "core/fs.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "store/store.h"
#include "tasks/tasks.h"
#include "worker/worker.h"

static char self_exe[4096];

struct fx {
    char root[128];
    struct config cfg;
    struct store *st;
    struct events *ev;
    struct tasks *t;
};

static struct fx fx;

static void write_file(const char *path, const char *text, int mode)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    chmod(path, (mode_t)mode);
}

static void setup(void)
{
    struct errbuf eb = {0};
    memset(&fx, 0, sizeof(fx));
    snprintf(fx.root, sizeof(fx.root), "/tmp/cb-test-tasks-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(fx.root));
    fx.cfg.logs_dir = xasprintf("%s/logs", fx.root);
    fx.cfg.uploads_dir = xasprintf("%s/uploads", fx.root);
    fx.cfg.docker_socket = xstrdup("/var/run/docker.sock");
    fx.cfg.instance_id = xstrdup("test-instance");
    fx.cfg.runtime = CONFIG_RUNTIME_PROCESS;
    fx.cfg.job_timeout_ms = 60000;
    const char *wb = getenv("CB_WORKER_BIN");
    fx.cfg.worker_bin = xstrdup(wb && access(wb, X_OK) == 0 ? wb : self_exe);
    fs_mkdir_p(fx.cfg.logs_dir, 0755, NULL);
    char *p = xasprintf("%s/app.log", fx.cfg.logs_dir);
    write_file(p, "2020-01-01T00:00:00 INFO old line\n", 0644);
    xfree(p);
    char *db = xasprintf("%s/cb.db", fx.root);
    struct store_opts o = {.sqlite_path = db, .pool_size = 4};
    enum err e = store_open(&o, &fx.st, &eb);
    ck_assert_msg(e == ERR_OK, "store_open: %s", errbuf_get(&eb, e));
    int applied = 0;
    e = store_migrate(fx.st, &applied, &eb);
    ck_assert_msg(e == ERR_OK, "migrate: %s", errbuf_get(&eb, e));
    xfree(db);
    fx.ev = events_new(512, 8);
}

static void teardown(void)
{
    tasks_stop(fx.t);
    store_close(fx.st);
    events_free(fx.ev);
    fs_rm_rf(fx.root, NULL);
    config_fini(&fx.cfg);
}

static void start(int n_slots)
{
    struct errbuf eb = {0};
    struct tasks_opts o = {.cfg = &fx.cfg, .st = fx.st, .ev = fx.ev, .n_slots = n_slots};
    enum err e = tasks_start(&o, &fx.t, &eb);
    ck_assert_msg(e == ERR_OK, "tasks_start: %s", errbuf_get(&eb, e));
}

static int64_t launch(const char *const *tasks, size_t n)
{
    struct errbuf eb = {0};
    json_t *run = NULL;
    struct store_launch req = {.tasks = tasks, .n_tasks = n, .lookback_ms = 86400000};
    enum err e = store_run_launch(fx.st, &req, &run, &eb);
    ck_assert_msg(e == ERR_OK, "launch: %s", errbuf_get(&eb, e));
    int64_t id = json_integer_value(json_object_get(run, "id"));
    json_decref(run);
    return id;
}

static json_t *get_run(int64_t id)
{
    json_t *run = NULL;
    ck_assert_int_eq(store_run_get(fx.st, id, &run, NULL), ERR_OK);
    return run;
}

static const char *job_field(const json_t *run, size_t i, const char *key)
{
    return jsonx_get_str(json_array_get(json_object_get(run, "jobs"), i), key);
}

static void use_script(const char *body)
{
    char *p = xasprintf("%s/worker.sh", fx.root);
    char *text = xasprintf("#!/bin/sh\n%s\n", body);
    write_file(p, text, 0755);
    xfree(fx.cfg.worker_bin);
    fx.cfg.worker_bin = p;
    xfree(text);
}

static bool run_one(void)
{
    bool got = false;
    struct errbuf eb = {0};
    enum err e = tasks_run_one(fx.t, &got, &eb);
    ck_assert_msg(e == ERR_OK, "run_one: %s", errbuf_get(&eb, e));
    return got;
}

START_TEST(test_names)
{
    ck_assert_str_eq(tasks_canonical_name("task1"), "log_triage");
    ck_assert_str_eq(tasks_canonical_name("gpu_report"), "gpu_report");
    ck_assert_str_eq(tasks_canonical_name("task3"), "service_map");
    ck_assert_ptr_null(tasks_canonical_name("task4"));
    ck_assert_ptr_null(tasks_canonical_name(NULL));
    ck_assert_str_eq(tasks_all_names()[1], "gpu_report");
    ck_assert_ptr_null(tasks_all_names()[3]);
}
END_TEST

/* Count events of type in the subscription; remembers the last "run" status. */
static int count_events(struct events_sub *s, const char *type, char *run_status, size_t cap)
{
    struct events_item it;
    int n = 0;
    while (events_sub_next(s, &it)) {
        if (strcmp(it.type, type) == 0)
            n++;
        if (strcmp(it.type, "run") == 0 && run_status) {
            json_t *j = NULL;
            jsonx_parse(it.data, strlen(it.data), 4096, &j, NULL);
            snprintf(run_status, cap, "%s", jsonx_get_str(j, "status"));
            json_decref(j);
        }
        events_item_fini(&it);
    }
    return n;
}

START_TEST(test_full_run)
{
    static const char *const all[] = {"log_triage", "gpu_report", "service_map"};
    start(0);
    int64_t id = launch(all, 3);
    struct events_sub *sub = events_subscribe(fx.ev, id, 0);
    ck_assert(run_one());
    ck_assert(run_one());
    ck_assert(run_one());
    ck_assert(!run_one());
    json_t *run = get_run(id);
    ck_assert_msg(strcmp(jsonx_get_str(run, "status"), "success") == 0, "run %s: %s %s %s",
                  jsonx_get_str(run, "status"), job_field(run, 0, "error"),
                  job_field(run, 1, "error"), job_field(run, 2, "error"));
    json_t *s0 = json_object_get(json_array_get(json_object_get(run, "jobs"), 0), "summary");
    ck_assert(json_is_object(json_object_get(s0, "counts")));
    json_decref(run);

    char *md = xasprintf("%s/runs/%lld/report.md", fx.cfg.uploads_dir, (long long)id);
    char *js = xasprintf("%s/runs/%lld/report.json", fx.cfg.uploads_dir, (long long)id);
    char *text = NULL;
    ck_assert_int_eq(fs_read_file(md, 1 << 20, &text, NULL, NULL), ERR_OK);
    ck_assert_ptr_nonnull(strstr(text, "## log\\_triage: success"));
    ck_assert_ptr_nonnull(strstr(text, "## service\\_map: success"));
    xfree(text);
    ck_assert_int_eq(fs_read_file(js, 1 << 20, &text, NULL, NULL), ERR_OK);
    json_t *rep = NULL;
    ck_assert_int_eq(jsonx_parse(text, strlen(text), 1 << 20, &rep, NULL), ERR_OK);
    ck_assert_uint_eq(json_array_size(json_object_get(rep, "jobs")), 3);
    ck_assert_str_eq(jsonx_get_str(rep, "status"), "success");
    json_decref(rep);
    xfree(text);
    xfree(md);
    xfree(js);

    json_t *got = NULL;
    ck_assert_int_eq(store_run_report_get(fx.st, id, &got, NULL), ERR_OK);
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(got, "markdown"), "Cyberbrain run"));
    json_decref(got);
    json_t *arts = NULL;
    ck_assert_int_eq(store_artifact_list(fx.st, id, &arts, NULL), ERR_OK);
    ck_assert_uint_eq(json_array_size(arts), 5); /* 3 results + report.json + report.md */
    ck_assert_str_eq(jsonx_get_str(json_array_get(arts, 4), "name"), "report.md");
    ck_assert_uint_eq(strlen(jsonx_get_str(json_array_get(arts, 0), "sha256")), 64);
    json_decref(arts);

    /* The scratch folders are gone; the copied result stays. */
    char *job_dir = xasprintf("%s/runs/%lld/jobs", fx.cfg.uploads_dir, (long long)id);
    ck_assert(fs_is_dir(job_dir));
    xfree(job_dir);

    char status[32] = "";
    struct events_sub *s2 = events_subscribe(fx.ev, id, 0);
    ck_assert_int_eq(count_events(s2, "job", NULL, 0), 6); /* running + end, per job */
    events_unsubscribe(s2);
    s2 = events_subscribe(fx.ev, id, 0);
    ck_assert_int_ge(count_events(s2, "progress", NULL, 0), 6);
    events_unsubscribe(s2);
    ck_assert_int_eq(count_events(sub, "run", status, sizeof(status)), 1);
    ck_assert_str_eq(status, "success");
    events_unsubscribe(sub);
}
END_TEST

START_TEST(test_missing_logs_folder)
{
    static const char *const one[] = {"log_triage"};
    xfree(fx.cfg.logs_dir);
    fx.cfg.logs_dir = xstrdup("/nonexistent/cb-logs");
    start(0);
    int64_t id = launch(one, 1);
    ck_assert(run_one());
    json_t *run = get_run(id);
    ck_assert_str_eq(jsonx_get_str(run, "status"), "failed");
    ck_assert_str_eq(job_field(run, 0, "error"), "logs folder /nonexistent/cb-logs does not exist");
    json_decref(run);
}
END_TEST

/* A job error quotes text from outside (here the worker's reason, naming the folder): it is
 * stored redacted, with the configured key's pseudonyms, and so is the report. */
START_TEST(test_job_error_redacted)
{
    static const char *const one[] = {"log_triage"};
    xfree(fx.cfg.logs_dir);
    fx.cfg.logs_dir = xstrdup("/nonexistent/alice@example.org/logs");
    memset(fx.cfg.redact_key, 7, sizeof(fx.cfg.redact_key));
    fx.cfg.redact_key_len = sizeof(fx.cfg.redact_key);
    start(0);
    int64_t id = launch(one, 1);
    ck_assert(run_one());
    json_t *run = get_run(id);
    const char *error = job_field(run, 0, "error");
    ck_assert_ptr_null(strstr(error, "alice@"));
    ck_assert_ptr_nonnull(strstr(error, "/nonexistent/[EMAIL:"));
    json_decref(run);
    json_t *rep = NULL;
    ck_assert_int_eq(store_run_report_get(fx.st, id, &rep, NULL), ERR_OK);
    ck_assert_ptr_null(strstr(jsonx_get_str(rep, "markdown"), "alice@"));
    json_decref(rep);
}
END_TEST

START_TEST(test_timeout)
{
    static const char *const one[] = {"gpu_report"};
    use_script("exec sleep 30");
    fx.cfg.job_timeout_ms = 300;
    start(0);
    int64_t id = launch(one, 1);
    ck_assert(run_one());
    json_t *run = get_run(id);
    ck_assert_str_eq(jsonx_get_str(run, "status"), "failed");
    ck_assert_str_eq(job_field(run, 0, "status"), "failed");
    ck_assert_str_eq(job_field(run, 0, "error"), "deadline of 300 ms exceeded");
    json_decref(run);
}
END_TEST

START_TEST(test_log_cursors)
{
    static const char *const one[] = {"log_triage"};
    char *copy = xasprintf("%s/job-copy.json", fx.root);
    char *body = xasprintf("cp \"$3/job.json\" %s; echo '{\"task\":\"log_triage\","
                           "\"status\":\"success\",\"cursors\":[{\"path\":\"a.log\","
                           "\"offset_bytes\":10}]}' > \"$5/result.json\"",
                           copy);
    use_script(body);
    start(0);
    int64_t id = launch(one, 1);
    ck_assert(run_one());
    json_t *run = get_run(id), *cur = NULL, *jj = NULL;
    ck_assert_str_eq(job_field(run, 0, "status"), "success");
    json_decref(run);
    jj = json_load_file(copy, 0, NULL);
    ck_assert_uint_eq(json_array_size(json_object_get(jj, "cursors")), 0); /* first run */
    json_decref(jj);
    ck_assert_int_eq(store_cursor_list(fx.st, &cur, NULL), ERR_OK);
    ck_assert_uint_eq(json_array_size(cur), 1);
    json_decref(cur);

    /* The next job gets the committed cursors; a result with a bad one fails the job and
     * moves nothing. */
    xfree(body);
    body = xasprintf("cp \"$3/job.json\" %s; echo '{\"task\":\"log_triage\","
                     "\"status\":\"success\",\"cursors\":[{\"path\":\"../x\","
                     "\"offset_bytes\":99}]}' > \"$5/result.json\"",
                     copy);
    use_script(body);
    id = launch(one, 1);
    ck_assert(run_one());
    jj = json_load_file(copy, 0, NULL);
    json_t *c0 = json_array_get(json_object_get(jj, "cursors"), 0);
    ck_assert_str_eq(jsonx_get_str(c0, "path"), "a.log");
    ck_assert_int_eq(json_integer_value(json_object_get(c0, "offset_bytes")), 10);
    json_decref(jj);
    run = get_run(id);
    ck_assert_str_eq(job_field(run, 0, "status"), "failed");
    ck_assert_str_eq(job_field(run, 0, "error"), "result.json: cursor 0: invalid path");
    json_decref(run);
    ck_assert_int_eq(store_cursor_list(fx.st, &cur, NULL), ERR_OK);
    ck_assert_uint_eq(json_array_size(cur), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(cur, 0), "offset_bytes")),
                     10);
    json_decref(cur);
    xfree(body);
    xfree(copy);
}
END_TEST

START_TEST(test_bad_workers)
{
    static const char *const one[] = {"service_map"};
    use_script("echo 'boom: bad things' >&2; exit 3");
    start(0);
    int64_t id = launch(one, 1);
    ck_assert(run_one());
    json_t *run = get_run(id);
    ck_assert_str_eq(job_field(run, 0, "error"), "worker exited with status 3: boom: bad things");
    json_decref(run);
    json_t *arts = NULL;
    ck_assert_int_eq(store_artifact_list(fx.st, id, &arts, NULL), ERR_OK);
    ck_assert_ptr_nonnull(
        strstr(jsonx_get_str(json_array_get(arts, 0), "name"), "worker-stderr.log"));
    json_decref(arts);

    use_script("echo '{\"task\":\"service_map\"' > \"$5/result.json\"");
    id = launch(one, 1);
    ck_assert(run_one());
    run = get_run(id);
    ck_assert_ptr_nonnull(strstr(job_field(run, 0, "error"), "result.json is not valid JSON"));
    json_decref(run);

    use_script("echo '{\"task\":\"log_triage\",\"status\":\"success\"}' > \"$5/result.json\"");
    id = launch(one, 1);
    ck_assert(run_one());
    run = get_run(id);
    ck_assert_str_eq(job_field(run, 0, "error"), "result.json is not a result object of task "
                                                 "service_map");
    json_decref(run);

    use_script("exit 0");
    id = launch(one, 1);
    ck_assert(run_one());
    run = get_run(id);
    ck_assert_str_eq(job_field(run, 0, "error"), "the worker wrote no result.json");
    json_decref(run);
}
END_TEST

static void *run_one_thread(void *arg)
{
    (void)arg;
    bool got = false;
    tasks_run_one(fx.t, &got, NULL);
    return (void *)(uintptr_t)got;
}

/* Wait for a "job" event with status running for run id. */
static void wait_running(struct events_sub *s)
{
    for (int i = 0; i < 100; i++) {
        struct events_item it;
        if (!events_sub_wait(s, 100))
            continue;
        while (events_sub_next(s, &it)) {
            bool yes = strcmp(it.type, "job") == 0 && strstr(it.data, "\"running\"");
            events_item_fini(&it);
            if (yes)
                return;
        }
    }
    ck_abort_msg("the job never started");
}

START_TEST(test_cancel_running)
{
    static const char *const one[] = {"gpu_report"};
    use_script("exec sleep 30");
    start(0);
    int64_t id = launch(one, 1);
    struct events_sub *s = events_subscribe(fx.ev, id, 0);
    pthread_t th;
    pthread_create(&th, NULL, run_one_thread, NULL);
    wait_running(s);
    json_t *run = NULL;
    ck_assert_int_eq(store_run_cancel(fx.st, id, &run, NULL), ERR_OK);
    json_decref(run);
    void *got = NULL;
    pthread_join(th, &got);
    ck_assert(got != NULL);
    run = get_run(id);
    ck_assert_str_eq(job_field(run, 0, "status"), "cancelled");
    ck_assert_str_eq(jsonx_get_str(run, "status"), "cancelled");
    json_decref(run);
    events_unsubscribe(s);
}
END_TEST

START_TEST(test_stop_kills_running)
{
    static const char *const one[] = {"gpu_report"};
    use_script("exec sleep 30");
    start(1);
    int64_t id = launch(one, 1);
    struct events_sub *s = events_subscribe(fx.ev, id, 0);
    tasks_wake(fx.t);
    wait_running(s);
    tasks_stop(fx.t);
    fx.t = NULL;
    json_t *run = get_run(id);
    ck_assert_str_eq(job_field(run, 0, "status"), "failed");
    ck_assert_str_eq(job_field(run, 0, "error"), "orchestrator shut down");
    json_decref(run);
    events_unsubscribe(s);
}
END_TEST

START_TEST(test_dispatcher_threads)
{
    static const char *const two[] = {"gpu_report", "service_map"};
    start(2);
    int64_t id = launch(two, 2);
    struct events_sub *s = events_subscribe(fx.ev, id, 0);
    tasks_wake(fx.t);
    char status[32] = "";
    for (int i = 0; i < 300 && !status[0]; i++) {
        events_sub_wait(s, 100);
        count_events(s, "run", status, sizeof(status));
    }
    ck_assert_str_eq(status, "success");
    events_unsubscribe(s);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "worker") == 0)
        return worker_main(argc - 1, argv + 1);
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
    if (n > 0)
        self_exe[n] = '\0';
    log_init(2, LOG_ERROR, false);
    Suite *su = suite_create("tasks");
    TCase *tc = tcase_create("dispatcher");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_full_run);
    tcase_add_test(tc, test_missing_logs_folder);
    tcase_add_test(tc, test_job_error_redacted);
    tcase_add_test(tc, test_timeout);
    tcase_add_test(tc, test_bad_workers);
    tcase_add_test(tc, test_log_cursors);
    tcase_add_test(tc, test_cancel_running);
    tcase_add_test(tc, test_stop_kills_running);
    tcase_add_test(tc, test_dispatcher_threads);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
