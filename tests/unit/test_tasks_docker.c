/* SPDX-License-Identifier: MIT */
/* test_tasks_docker.c -- the dispatcher with the docker runtime, on a real SQLite store
 * and the real engine with the worker image (`make test` builds it).
 *
 * Without an engine or the image the tests skip, except with CI=true, where they fail. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/config.h"
#include "core/events.h"
#include "core/fs.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "docker/docker.h"
#include "store/store.h"
#include "tasks/tasks.h"
#include "tasks/tasks_int.h"
#include "version.h"

#define IMAGE "cyberbrain-worker:" CB_VERSION

struct fx {
    char root[128];
    char instance[32];
    struct config cfg;
    struct store *st;
    struct events *ev;
    struct tasks *t;
};

static struct fx fx;

static const char *sock_path(void)
{
    const char *p = getenv("DOCKER_SOCKET");
    return p && *p ? p : "/var/run/docker.sock";
}

/* True when the engine answers and the image exists; fails under CI when not. */
static bool has_image(void)
{
    json_t *img = NULL;
    struct errbuf eb = {0};
    enum err e = docker_image_inspect(sock_path(), IMAGE, &img, &eb);
    json_decref(img);
    if (e == ERR_OK)
        return true;
    bool is_ci = getenv("CI") && strcmp(getenv("CI"), "true") == 0;
    ck_assert_msg(!is_ci, "CI=true but no engine or image %s: %s", IMAGE, errbuf_get(&eb, e));
    fprintf(stderr, "SKIP: %s\n", errbuf_get(&eb, e));
    return false;
}

static void setup(void)
{
    struct errbuf eb = {0};
    memset(&fx, 0, sizeof(fx));
    snprintf(fx.root, sizeof(fx.root), "/tmp/cb-test-tdock-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(fx.root));
    snprintf(fx.instance, sizeof(fx.instance), "tdock-%ld", (long)getpid());
    fx.cfg.logs_dir = xasprintf("%s/logs", fx.root);
    fx.cfg.uploads_dir = xasprintf("%s/uploads", fx.root);
    fx.cfg.docker_socket = xstrdup(sock_path());
    fx.cfg.instance_id = xstrdup(fx.instance);
    fx.cfg.worker_image = xstrdup(IMAGE);
    fx.cfg.runtime = CONFIG_RUNTIME_DOCKER;
    fx.cfg.job_timeout_ms = 60000;
    fs_mkdir_p(fx.cfg.logs_dir, 0755, NULL);
    char *p = xasprintf("%s/app.log", fx.cfg.logs_dir);
    const char *line = "2099-01-01T00:00:00 ERROR disk on fire\n";
    ck_assert_int_eq(fs_write_atomic(p, line, strlen(line), NULL), ERR_OK);
    chmod(p, 0644);
    xfree(p);
    char *db = xasprintf("%s/cb.db", fx.root);
    struct store_opts o = {.sqlite_path = db, .pool_size = 4};
    enum err e = store_open(&o, &fx.st, &eb);
    ck_assert_msg(e == ERR_OK, "store_open: %s", errbuf_get(&eb, e));
    int applied = 0;
    ck_assert_int_eq(store_migrate(fx.st, &applied, &eb), ERR_OK);
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

static int count_events(struct events_sub *s, const char *type)
{
    struct events_item it;
    int n = 0;
    while (events_sub_next(s, &it)) {
        n += strcmp(it.type, type) == 0;
        events_item_fini(&it);
    }
    return n;
}

START_TEST(test_docker_jobs_run_and_are_removed)
{
    if (!has_image())
        return;
    static const char *const tasks[] = {"log_triage", "gpu_report"};
    struct errbuf eb = {0};
    struct tasks_opts o = {.cfg = &fx.cfg, .st = fx.st, .ev = fx.ev, .n_slots = 0};
    enum err e = tasks_start(&o, &fx.t, &eb);
    ck_assert_msg(e == ERR_OK, "tasks_start: %s", errbuf_get(&eb, e));
    json_t *run = NULL;
    struct store_launch req = {.tasks = tasks, .n_tasks = 2, .lookback_ms = 86400000};
    ck_assert_int_eq(store_run_launch(fx.st, &req, &run, &eb), ERR_OK);
    int64_t id = json_integer_value(json_object_get(run, "id"));
    json_decref(run);
    struct events_sub *sub = events_subscribe(fx.ev, id, 0);
    for (int i = 0; i < 2; i++) {
        bool got = false;
        e = tasks_run_one(fx.t, &got, &eb);
        ck_assert_msg(e == ERR_OK && got, "run_one: %s", errbuf_get(&eb, e));
    }
    ck_assert_int_eq(store_run_get(fx.st, id, &run, NULL), ERR_OK);
    json_t *jobs = json_object_get(run, "jobs");
    for (size_t i = 0; i < json_array_size(jobs); i++)
        ck_assert_msg(strcmp(jsonx_get_str(json_array_get(jobs, i), "status"), "success") == 0,
                      "job %zu: %s", i, jsonx_get_str(json_array_get(jobs, i), "error"));
    ck_assert_str_eq(jsonx_get_str(run, "status"), "success");
    json_decref(run);
    /* started + done from each worker, read from the container logs */
    ck_assert_int_ge(count_events(sub, "progress"), 4);
    events_unsubscribe(sub);
    json_t *left = NULL;
    ck_assert_int_eq(
        docker_containers_by_label(sock_path(), "cyberbrain.instance", fx.instance, &left, &eb),
        ERR_OK);
    ck_assert_int_eq(json_array_size(left), 0);
    json_decref(left);
    /* each job: spawn, exit (code 0), remove, with its container id */
    static const char *const acts[] = {"spawn", "exit", "remove"};
    for (int i = 0; i < 3; i++) {
        json_t *rows = NULL;
        int64_t n = 0;
        ck_assert_int_eq(store_audit_list(fx.st, acts[i], id, 0, 10, &rows, &n, &eb), ERR_OK);
        ck_assert_int_eq(n, 2);
        json_t *row = json_array_get(rows, 0);
        ck_assert_int_eq(strlen(jsonx_get_str(row, "container_id")), 64);
        ck_assert_str_eq(jsonx_get_str(row, "image"), IMAGE);
        if (i == 1)
            ck_assert_str_eq(jsonx_get_str(row, "reason"), "exit code 0");
        json_decref(rows);
    }
}
END_TEST

/* Count the worker-image entries. */
static int64_t n_images(void)
{
    json_t *rows = NULL;
    int64_t n = -1;
    ck_assert_int_eq(store_worker_image_list(fx.st, 0, 10, &rows, &n, NULL), ERR_OK);
    json_decref(rows);
    return n;
}

/* The first start allowlists the worker image once, ever: a deleted entry stays deleted. */
START_TEST(test_docker_first_start_seeds_once)
{
    if (!has_image())
        return;
    struct errbuf eb = {0};
    struct tasks_opts o = {.cfg = &fx.cfg, .st = fx.st, .ev = fx.ev, .n_slots = 0};
    ck_assert_int_eq(n_images(), 0);
    ck_assert_int_eq(tasks_start(&o, &fx.t, &eb), ERR_OK);
    json_t *rows = NULL;
    int64_t n = 0;
    ck_assert_int_eq(store_worker_image_list(fx.st, 0, 10, &rows, &n, NULL), ERR_OK);
    ck_assert_int_eq(n, 1);
    json_t *e0 = json_array_get(rows, 0);
    ck_assert_str_eq(jsonx_get_str(e0, "image_name"), "docker.io/library/cyberbrain-worker");
    ck_assert_str_eq(jsonx_get_str(e0, "image_tag"), CB_VERSION);
    ck_assert(json_is_null(json_object_get(e0, "digest")));
    ck_assert(json_is_true(json_object_get(e0, "is_active")));
    ck_assert_int_eq(
        store_worker_image_delete(fx.st, json_integer_value(json_object_get(e0, "id")), NULL),
        ERR_OK);
    json_decref(rows);
    tasks_stop(fx.t);
    fx.t = NULL;
    ck_assert_int_eq(tasks_start(&o, &fx.t, &eb), ERR_OK);
    ck_assert_int_eq(n_images(), 0);
    char *v = NULL;
    ck_assert_int_eq(store_setting_get(fx.st, "worker_images_seeded", &v, NULL), ERR_OK);
    xfree(v);
}
END_TEST

/* An image that is not on the allowlist fails its job with the reason, audited, and no
 * container is created. */
START_TEST(test_docker_unlisted_image_refused)
{
    if (!has_image())
        return;
    static const char *const tasks[] = {"gpu_report"};
    struct errbuf eb = {0};
    fx.cfg.gpu_worker_image = xstrdup("cyberbrain-worker:not-listed");
    struct tasks_opts o = {.cfg = &fx.cfg, .st = fx.st, .ev = fx.ev, .n_slots = 0};
    ck_assert_int_eq(tasks_start(&o, &fx.t, &eb), ERR_OK);
    json_t *run = NULL;
    struct store_launch req = {.tasks = tasks, .n_tasks = 1, .lookback_ms = 86400000};
    ck_assert_int_eq(store_run_launch(fx.st, &req, &run, &eb), ERR_OK);
    int64_t id = json_integer_value(json_object_get(run, "id"));
    json_decref(run);
    bool got = false;
    ck_assert_int_eq(tasks_run_one(fx.t, &got, &eb), ERR_OK);
    ck_assert_int_eq(store_run_get(fx.st, id, &run, NULL), ERR_OK);
    json_t *job = json_array_get(json_object_get(run, "jobs"), 0);
    ck_assert_str_eq(jsonx_get_str(job, "status"), "failed");
    ck_assert_msg(strstr(jsonx_get_str(job, "error"),
                         "worker image \"cyberbrain-worker:not-listed\" is not on the "
                         "worker-image allowlist"),
                  "%s", jsonx_get_str(job, "error"));
    json_decref(run);
    json_t *rows = NULL;
    int64_t n = 0;
    ck_assert_int_eq(store_audit_list(fx.st, "deny", id, 0, 10, &rows, &n, NULL), ERR_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(jsonx_get_str(json_array_get(rows, 0), "image"),
                     "docker.io/library/cyberbrain-worker:not-listed");
    json_decref(rows);
    ck_assert_int_eq(store_audit_list(fx.st, "spawn", id, 0, 10, &rows, &n, NULL), ERR_OK);
    ck_assert_int_eq(n, 0);
    json_decref(rows);
    ck_assert_int_eq(
        docker_containers_by_label(sock_path(), "cyberbrain.instance", fx.instance, &rows, &eb),
        ERR_OK);
    ck_assert_int_eq(json_array_size(rows), 0);
    json_decref(rows);
}
END_TEST

START_TEST(test_gpu_parse)
{
    int n = 0;
    int64_t mb = 0;
    bool known = false;
    ck_assert_int_eq(tasks_gpu_parse("0, 1024\n1, 20480\n", &n, &mb, &known), ERR_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(mb, 20480);
    ck_assert(known);
    ck_assert_int_eq(tasks_gpu_parse("0, [N/A]\n", &n, &mb, &known), ERR_OK);
    ck_assert_int_eq(n, 1);
    ck_assert(!known); /* unknown, not zero */
    ck_assert_int_eq(tasks_gpu_parse("0, [N/A]\n1, 0\n", &n, &mb, &known), ERR_OK);
    ck_assert_int_eq(n, 2);
    ck_assert(known);
    ck_assert_int_eq(mb, 0);
    ck_assert_int_eq(tasks_gpu_parse("", &n, &mb, &known), ERR_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(tasks_gpu_parse("No devices were found\n", &n, &mb, &known), ERR_PARSE);
    ck_assert_int_eq(tasks_gpu_parse("0, 12 MiB\n", &n, &mb, &known), ERR_PARSE);
    ck_assert_int_eq(tasks_gpu_parse("0, -5\n", &n, &mb, &known), ERR_PARSE);
}
END_TEST

START_TEST(test_docker_missing_image_refused)
{
    if (!has_image())
        return;
    struct errbuf eb = {0};
    xfree(fx.cfg.worker_image);
    fx.cfg.worker_image = xstrdup("cyberbrain-no-such-image:0");
    struct tasks_opts o = {.cfg = &fx.cfg, .st = fx.st, .ev = fx.ev, .n_slots = 0};
    ck_assert_int_eq(tasks_start(&o, &fx.t, &eb), ERR_UNAVAILABLE);
    ck_assert_ptr_null(fx.t);
    ck_assert_ptr_nonnull(strstr(errbuf_get(&eb, ERR_UNAVAILABLE), "No such image"));
    fx.cfg.runtime = CONFIG_RUNTIME_AUTO; /* auto falls back to the process runtime */
    ck_assert_int_eq(tasks_start(&o, &fx.t, &eb), ERR_OK);
}
END_TEST

/* Launch a one-job run and claim its job as this instance would have, with timeout_ms;
 * write input/job.json with job_text and an output/ folder the container may write. */
static int64_t claim_job(const char *task, int64_t timeout_ms, const char *job_text, char **dir)
{
    const char *tasks[] = {task};
    struct store_launch req = {.tasks = tasks, .n_tasks = 1, .lookback_ms = 86400000};
    struct store_claim c;
    json_t *run = NULL;
    bool got = false;
    ck_assert_int_eq(store_run_launch(fx.st, &req, &run, NULL), ERR_OK);
    json_decref(run);
    ck_assert_int_eq(store_job_claim(fx.st, fx.instance, timeout_ms, 0, &c, &got, NULL), ERR_OK);
    ck_assert(got);
    *dir = xasprintf("%s/runs/%lld/jobs/%lld", fx.cfg.uploads_dir, (long long)c.run_id,
                     (long long)c.job_id);
    char *in = xasprintf("%s/input", *dir), *out = xasprintf("%s/output", *dir);
    char *jp = xasprintf("%s/job.json", in);
    ck_assert_int_eq(fs_mkdir_p(in, 0755, NULL), ERR_OK);
    ck_assert_int_eq(fs_mkdir_p(out, 0777, NULL), ERR_OK);
    chmod(out, 0777);
    ck_assert_int_eq(fs_write_atomic(jp, job_text, strlen(job_text), NULL), ERR_OK);
    chmod(jp, 0644);
    xfree(jp);
    xfree(in);
    xfree(out);
    store_claim_fini(&c);
    return c.job_id;
}

/* Create (and start when is_started) a worker container for the job folder dir, labelled
 * with this instance and job_id, as the docker runtime does; returns its id (caller frees). */
static char *make_container(const char *dir, int64_t job_id, bool is_started)
{
    char jid[24], in[512], out[512], id[DOCKER_ID_MAX];
    struct errbuf eb = {0};
    snprintf(jid, sizeof(jid), "%lld", (long long)job_id);
    snprintf(in, sizeof(in), "%s/input", dir);
    snprintf(out, sizeof(out), "%s/output", dir);
    const char *labels[] = {"cyberbrain.run", "1", "cyberbrain.job", jid, "cyberbrain.instance",
                            fx.instance,      NULL};
    struct docker_mount mounts[] = {
        {fx.cfg.logs_dir, "/logs", true}, {in, "/input", true}, {out, "/output", false}};
    struct docker_create_opts o = {
        .image = IMAGE, .user = "65534:65534", .labels = labels, .mounts = mounts, .n_mounts = 3};
    enum err e = docker_container_create(sock_path(), &o, id, sizeof(id), &eb);
    ck_assert_msg(e == ERR_OK, "create: %s", errbuf_get(&eb, e));
    if (is_started)
        ck_assert_int_eq(docker_container_start(sock_path(), id, NULL), ERR_OK);
    return xstrdup(id);
}

static size_t n_labelled(void)
{
    json_t *left = NULL;
    ck_assert_int_eq(
        docker_containers_by_label(sock_path(), "cyberbrain.instance", fx.instance, &left, NULL),
        ERR_OK);
    size_t n = json_array_size(left);
    json_decref(left);
    return n;
}

static json_t *job_get(int64_t id)
{
    json_t *j = NULL;
    ck_assert_int_eq(store_job_get(fx.st, id, &j, NULL), ERR_OK);
    return j;
}

static bool has_audit(const char *action, int64_t job_id)
{
    json_t *rows = NULL;
    int64_t n = 0;
    bool yes = false;
    ck_assert_int_eq(store_audit_list(fx.st, action, 0, 0, 100, &rows, &n, NULL), ERR_OK);
    for (size_t i = 0; i < json_array_size(rows); i++)
        yes |= json_integer_value(json_object_get(json_array_get(rows, i), "job_id")) == job_id;
    json_decref(rows);
    return yes;
}

static void start_dispatcher(void)
{
    struct errbuf eb = {0};
    struct tasks_opts o = {.cfg = &fx.cfg, .st = fx.st, .ev = fx.ev, .n_slots = 0};
    enum err e = tasks_start(&o, &fx.t, &eb);
    ck_assert_msg(e == ERR_OK, "tasks_start: %s", errbuf_get(&eb, e));
}

/* A job whose container exited while no serve watched is collected on start. */
START_TEST(test_reconcile_collects_exited)
{
    if (!has_image())
        return;
    char *dir = NULL;
    int64_t job = claim_job("gpu_report", 60000, "{\"task\":\"gpu_report\"}", &dir);
    char *cid = make_container(dir, job, true);
    int code = -1;
    ck_assert_int_eq(docker_container_wait(sock_path(), cid, 30000, &code, NULL), ERR_OK);
    ck_assert_int_eq(code, 0);
    start_dispatcher();
    json_t *j = job_get(job);
    ck_assert_msg(strcmp(jsonx_get_str(j, "status"), "success") == 0, "%s",
                  jsonx_get_str(j, "error"));
    json_decref(j);
    json_t *run = NULL;
    ck_assert_int_eq(store_run_get(fx.st, 1, &run, NULL), ERR_OK);
    ck_assert_str_eq(jsonx_get_str(run, "status"), "success");
    json_decref(run);
    ck_assert_uint_eq(n_labelled(), 0);
    ck_assert(has_audit("reconcile", job));
    char *res = xasprintf("%s/result.json", dir);
    ck_assert_int_eq(access(res, F_OK), 0); /* kept as the job's artifact */
    xfree(res);
    xfree(cid);
    xfree(dir);
}
END_TEST

/* A running job of this instance with no container is failed as lost; an orphan (a
 * container of a job that is not running) is removed. */
START_TEST(test_reconcile_lost_and_orphan)
{
    if (!has_image())
        return;
    char *dir = NULL;
    int64_t job = claim_job("gpu_report", 60000, "{\"task\":\"gpu_report\"}", &dir);
    char *cid = make_container(dir, 99999, false);
    start_dispatcher();
    json_t *j = job_get(job);
    ck_assert_str_eq(jsonx_get_str(j, "status"), "failed");
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(j, "error"), "worker container lost"));
    json_decref(j);
    ck_assert_uint_eq(n_labelled(), 0);
    ck_assert(has_audit("reconcile", job));
    xfree(cid);
    xfree(dir);
}
END_TEST

/* A container still running past its job's deadline is killed and the job fails. */
START_TEST(test_reconcile_deadline_kill)
{
    if (!has_image())
        return;
    char *dir = NULL;
    int64_t job = claim_job("gpu_report", 1, "{\"task\":\"selfcheck\",\"sleep_s\":60}", &dir);
    char *cid = make_container(dir, job, true);
    start_dispatcher();
    json_t *j = job_get(job);
    ck_assert_str_eq(jsonx_get_str(j, "status"), "failed");
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(j, "error"), "deadline"));
    json_decref(j);
    ck_assert_uint_eq(n_labelled(), 0);
    ck_assert(has_audit("deadline_kill", job));
    xfree(cid);
    xfree(dir);
}
END_TEST

/* auto with a socket file whose engine does not answer picks docker, and a job fails at
 * once with a clear reason; with no socket file at all it falls back to process. */
START_TEST(test_engine_down_picks_docker)
{
    struct errbuf eb = {0};
    char *path = xasprintf("%s/dead.sock", fx.root);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    close(fd); /* the file stays; nobody listens: connect is refused */
    xfree(fx.cfg.docker_socket);
    fx.cfg.docker_socket = path;
    fx.cfg.runtime = CONFIG_RUNTIME_AUTO;
    static const char *const tasks[] = {"gpu_report"};
    json_t *run = NULL;
    struct store_launch req = {.tasks = tasks, .n_tasks = 1, .lookback_ms = 86400000};
    ck_assert_int_eq(store_run_launch(fx.st, &req, &run, &eb), ERR_OK);
    int64_t job =
        json_integer_value(json_object_get(json_array_get(json_object_get(run, "jobs"), 0), "id"));
    json_decref(run);
    start_dispatcher();
    bool got = false;
    ck_assert_int_eq(tasks_run_one(fx.t, &got, &eb), ERR_OK);
    ck_assert(got);
    json_t *j = job_get(job);
    ck_assert_str_eq(jsonx_get_str(j, "status"), "failed");
    char *want = xasprintf("docker engine unavailable at %s", path);
    ck_assert_msg(strstr(jsonx_get_str(j, "error"), want), "%s", jsonx_get_str(j, "error"));
    xfree(want);
    json_decref(j);
    tasks_stop(fx.t);
    fx.t = NULL;
    unlink(path); /* no engine at all: auto runs unisolated workers */
    const char *bin = getenv("CB_WORKER_BIN");
    if (!bin || !*bin)
        return;
    fx.cfg.worker_bin = xstrdup(bin);
    ck_assert_int_eq(store_run_launch(fx.st, &req, &run, &eb), ERR_OK);
    json_decref(run);
    start_dispatcher();
    ck_assert_int_eq(tasks_run_one(fx.t, &got, &eb), ERR_OK);
    ck_assert(got);
    ck_assert_int_eq(store_run_get(fx.st, 2, &run, NULL), ERR_OK);
    ck_assert_str_eq(jsonx_get_str(run, "status"), "success");
    json_decref(run);
}
END_TEST

/* The host's /proc goes read-only into a gpu_report worker whose image needs a GPU, and
 * into no other. */
START_TEST(test_docker_mounts_gpu_proc)
{
    struct docker_mount m[TASKS_DOCKER_MOUNTS_MAX];
    ck_assert_uint_eq(tasks_docker_mounts("gpu_report", true, "/l", "/i", "/o", m), 4);
    ck_assert_str_eq(m[3].source, "/proc");
    ck_assert_str_eq(m[3].target, "/host/proc");
    ck_assert(m[3].is_read_only);
    ck_assert(m[0].is_read_only && m[1].is_read_only && !m[2].is_read_only);
    ck_assert_uint_eq(tasks_docker_mounts("gpu_report", false, "/l", "/i", "/o", m), 3);
    ck_assert_uint_eq(tasks_docker_mounts("log_triage", true, "/l", "/i", "/o", m), 3);
    ck_assert_uint_eq(tasks_docker_mounts("service_map", true, "/l", "/i", "/o", m), 3);
    for (int i = 0; i < 3; i++)
        ck_assert_str_ne(m[i].source, "/proc");
}
END_TEST

int main(void)
{
    Suite *su = suite_create("tasks_docker");
    TCase *tc = tcase_create("docker runtime");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_docker_jobs_run_and_are_removed);
    tcase_add_test(tc, test_docker_mounts_gpu_proc);
    tcase_add_test(tc, test_docker_missing_image_refused);
    tcase_add_test(tc, test_reconcile_collects_exited);
    tcase_add_test(tc, test_reconcile_lost_and_orphan);
    tcase_add_test(tc, test_reconcile_deadline_kill);
    tcase_add_test(tc, test_engine_down_picks_docker);
    tcase_add_test(tc, test_docker_first_start_seeds_once);
    tcase_add_test(tc, test_docker_unlisted_image_refused);
    tcase_add_test(tc, test_gpu_parse);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
