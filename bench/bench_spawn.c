/* SPDX-License-Identifier: MIT */
/* bench_spawn.c -- launch -> result of one worker job in a container, three ways, on the
 * real engine, interleaved, median of BENCH_SPAWN_N (20):
 *
 *   orchestrator  a run of gpu_report (no GPU here: the worker's no-op path) launched in
 *                 the store and run to its end by the dispatcher: claim, job folder, gate
 *                 (allowlist + image resolve), create, start, wait, logs, result.json,
 *                 remove, audit, finish, report;
 *   raw API       create + start + wait + remove of the same image through our client;
 *   docker CLI    `docker run --rm --network none IMAGE` (same image, its entrypoint
 *                 finds no job and exits at once).
 *
 * Goal (issue #3): orchestrator median <= 1.0x the CLI median. Without an engine or the
 * worker image it says so and exits 0 (make bench runs `make worker-image` first). */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/fs.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "docker/docker.h"
#include "store/store.h"
#include "tasks/tasks.h"
#include "version.h"

#define IMAGE    "cyberbrain-worker:" CB_VERSION
#define N_MAX    200
#define N_WARMUP 2

extern char **environ;

struct bench {
    char root[64];
    struct config cfg;
    struct store *st;
    struct tasks *t;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *sock_path(void)
{
    const char *h = getenv("DOCKER_HOST");
    if (h && strncmp(h, "unix://", 7) == 0)
        return h + 7;
    return "/var/run/docker.sock";
}

static int setup(struct bench *b)
{
    struct errbuf eb = {0};
    snprintf(b->root, sizeof(b->root), "/tmp/cb-bench-spawn-XXXXXX");
    if (!mkdtemp(b->root))
        return -1;
    b->cfg.logs_dir = xasprintf("%s/logs", b->root);
    b->cfg.uploads_dir = xasprintf("%s/uploads", b->root);
    b->cfg.docker_socket = xstrdup(sock_path());
    b->cfg.instance_id = xasprintf("bench-%ld", (long)getpid());
    b->cfg.worker_image = xstrdup(IMAGE);
    b->cfg.runtime = CONFIG_RUNTIME_DOCKER;
    b->cfg.job_timeout_ms = 60000;
    fs_mkdir_p(b->cfg.logs_dir, 0755, NULL);
    char *db = xasprintf("%s/cb.db", b->root);
    struct store_opts o = {.sqlite_path = db, .pool_size = 2};
    int applied = 0;
    enum err e = store_open(&o, &b->st, &eb);
    if (e == ERR_OK)
        e = store_migrate(b->st, &applied, &eb);
    xfree(db);
    json_t *fields = json_pack("{ss}", "image_name", IMAGE), *entry = NULL;
    if (e == ERR_OK && store_worker_image_create(b->st, fields, &entry, NULL) != ERR_OK)
        fprintf(stderr, "bench spawn: could not allowlist %s (already listed?)\n", IMAGE);
    json_decref(fields);
    json_decref(entry);
    struct tasks_opts to = {.cfg = &b->cfg, .st = b->st, .n_slots = 0};
    if (e == ERR_OK)
        e = tasks_start(&to, &b->t, &eb);
    if (e != ERR_OK) {
        fprintf(stderr, "bench spawn: setup failed: %s\n", errbuf_get(&eb, e));
        return -1;
    }
    return 0;
}

static void teardown(struct bench *b)
{
    tasks_stop(b->t);
    store_close(b->st);
    fs_rm_rf(b->root, NULL);
    config_fini(&b->cfg);
}

/* One run of gpu_report, launched and driven to its end; returns ms or -1. */
static double one_orchestrator(struct bench *b)
{
    static const char *const tasks[] = {"gpu_report"};
    struct store_launch req = {.tasks = tasks, .n_tasks = 1, .lookback_ms = 3600000};
    struct errbuf eb = {0};
    json_t *run = NULL;
    bool got = false;
    int64_t t0 = mono_us();
    enum err e = store_run_launch(b->st, &req, &run, &eb);
    int64_t id = run ? json_integer_value(json_object_get(run, "id")) : 0;
    json_decref(run);
    if (e == ERR_OK)
        e = tasks_run_one(b->t, &got, &eb);
    int64_t t1 = mono_us();
    run = NULL;
    if (e == ERR_OK && got)
        e = store_run_get(b->st, id, &run, &eb);
    const char *status = run ? json_string_value(json_object_get(run, "status")) : NULL;
    bool ok = e == ERR_OK && got && status && strcmp(status, "success") == 0;
    if (!ok)
        fprintf(stderr, "bench spawn: run %lld did not succeed: %s %s\n", (long long)id,
                status ? status : "-", errbuf_get(&eb, e));
    json_decref(run);
    return ok ? (double)(t1 - t0) / 1000.0 : -1;
}

/* create + start + wait + remove through our client; returns ms or -1. */
static double one_raw(struct bench *b)
{
    char id[DOCKER_ID_MAX];
    int code = 0;
    struct docker_create_opts o = {.image = IMAGE, .user = "65534:65534"};
    struct errbuf eb = {0};
    int64_t t0 = mono_us();
    enum err e = docker_container_create(b->cfg.docker_socket, &o, id, sizeof(id), &eb);
    if (e == ERR_OK)
        e = docker_container_start(b->cfg.docker_socket, id, &eb);
    if (e == ERR_OK)
        e = docker_container_wait(b->cfg.docker_socket, id, 60000, &code, &eb);
    if (e == ERR_OK)
        e = docker_container_remove(b->cfg.docker_socket, id, &eb);
    int64_t t1 = mono_us();
    if (e != ERR_OK)
        fprintf(stderr, "bench spawn: raw cycle failed: %s\n", errbuf_get(&eb, e));
    return e == ERR_OK ? (double)(t1 - t0) / 1000.0 : -1;
}

/* `docker run --rm --network none IMAGE`, output discarded; returns ms or -1. */
static double one_cli(void)
{
    char *argv[] = {"docker", "run", "--rm", "--network", "none", IMAGE, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 01, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 01, 0);
    pid_t pid = 0;
    int st = 0;
    int64_t t0 = mono_us();
    int rc = posix_spawnp(&pid, "docker", &fa, NULL, argv, environ);
    if (rc == 0)
        waitpid(pid, &st, 0);
    int64_t t1 = mono_us();
    posix_spawn_file_actions_destroy(&fa);
    /* The entrypoint finds no /input/job.json and exits non-zero; 125..127 are docker's. */
    if (rc != 0 || !WIFEXITED(st) || WEXITSTATUS(st) >= 125) {
        fprintf(stderr, "bench spawn: docker run failed (status %d)\n", st);
        return -1;
    }
    return (double)(t1 - t0) / 1000.0;
}

int main(void)
{
    json_t *img = NULL;
    struct errbuf eb = {0};
    enum err e = docker_image_inspect(sock_path(), IMAGE, &img, &eb);
    json_decref(img);
    if (e != ERR_OK) {
        printf("bench spawn: skipped, no engine or no image %s (%s)\n", IMAGE, errbuf_get(&eb, e));
        return 0;
    }
    const char *ns = getenv("BENCH_SPAWN_N");
    int n = ns ? (int)strtol(ns, NULL, 10) : 20;
    if (n < 1 || n > N_MAX)
        n = 20;
    log_init(2, LOG_WARN, false);
    struct bench b;
    memset(&b, 0, sizeof(b));
    if (setup(&b) != 0)
        return 1;
    double orch[N_MAX], raw[N_MAX], cli[N_MAX];
    int rc = 0;
    for (int i = -N_WARMUP; i < n && rc == 0; i++) {
        double o = one_orchestrator(&b), r = one_raw(&b), c = one_cli();
        if (o < 0 || r < 0 || c < 0)
            rc = 1;
        else if (i >= 0) {
            orch[i] = o;
            raw[i] = r;
            cli[i] = c;
        }
    }
    teardown(&b);
    if (rc != 0)
        return rc;
    double mo = median(orch, n), mr = median(raw, n), mc = median(cli, n);
    printf("bench spawn: launch -> result of a no-op job, median of %d (image %s)\n", n, IMAGE);
    printf("  orchestrator job:   %.0f ms\n", mo);
    printf("  raw API cycle:      %.0f ms\n", mr);
    printf("  docker run --rm:    %.0f ms\n", mc);
    printf("  orchestrator / CLI: %.2fx   (goal <= 1.0x: %s)\n", mo / mc,
           mo <= mc ? "ok" : "MISSED");
    return 0;
}
