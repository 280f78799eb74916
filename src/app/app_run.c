/* SPDX-License-Identifier: MIT */
/* app_run.c -- `cyberbrain run TASK...`: launch through the store, dispatch, print the report. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app/app_int.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "tasks/tasks.h"

#define RUN_MAX_TASKS 3

static bool is_terminal(const char *status)
{
    return status && (strcmp(status, "success") == 0 || strcmp(status, "partial") == 0 ||
                      strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0);
}

static int parse_tasks(int argc, char **argv, const char **tasks, size_t *n_tasks)
{
    *n_tasks = 0;
    if (argc < 2) {
        for (const char *const *t = tasks_all_names(); *t; t++)
            tasks[(*n_tasks)++] = *t;
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *name = tasks_canonical_name(argv[i]);
        if (!name) {
            fprintf(stderr,
                    "cyberbrain: unknown task '%s' (use log_triage, gpu_report, service_map "
                    "or task1..task3)\n",
                    argv[i]);
            return 2;
        }
        bool is_dup = false;
        for (size_t j = 0; j < *n_tasks; j++)
            is_dup |= strcmp(tasks[j], name) == 0;
        if (!is_dup)
            tasks[(*n_tasks)++] = name;
    }
    return 0;
}

/* Poll the run until it ends; the dispatcher threads do the work meanwhile. */
static enum err
wait_run(struct store *st, int64_t run_id, int64_t limit_ms, char *status, size_t status_cap)
{
    int64_t until = clock_mono_ms() + limit_ms;
    struct timespec pause = {0, 100 * 1000 * 1000};
    while (clock_mono_ms() < until) {
        json_t *run = NULL;
        enum err e = store_run_get(st, run_id, &run, NULL);
        if (e != ERR_OK)
            return e;
        const char *s = jsonx_get_str(run, "status");
        snprintf(status, status_cap, "%s", s ? s : "?");
        json_decref(run);
        if (is_terminal(status))
            return ERR_OK;
        nanosleep(&pause, NULL);
    }
    return ERR_TIMEOUT;
}

int app_cmd_run(struct config *cfg, int argc, char **argv)
{
    const char *tasks[RUN_MAX_TASKS];
    size_t n_tasks = 0;
    int rc = parse_tasks(argc, argv, tasks, &n_tasks);
    if (rc != 0)
        return rc;
    struct store *st = NULL;
    struct tasks *tk = NULL;
    struct errbuf eb = {{0}};
    json_t *run = NULL, *report = NULL;
    char status[32] = "?";
    rc = 1;
    if (app_store_open_current(cfg, 4, false, &st) != ERR_OK ||
        app_redact_key_load(cfg, st) != ERR_OK)
        goto out;
    struct store_launch req = {
        .tasks = tasks, .n_tasks = n_tasks, .lookback_ms = cfg->lookback_s * 1000};
    if (store_run_launch(st, &req, &run, &eb) != ERR_OK) {
        app_errorf("cannot launch: %s", eb.msg);
        goto out;
    }
    int64_t run_id = json_integer_value(json_object_get(run, "id"));
    fprintf(stderr, "run %lld queued (%zu task(s))\n", (long long)run_id, n_tasks);
    struct tasks_opts topts = {.cfg = cfg,
                               .st = st,
                               .ev = NULL,
                               .n_slots = cfg->max_concurrent_jobs,
                               .only_run_id = run_id};
    if (tasks_start(&topts, &tk, &eb) != ERR_OK) {
        app_errorf("cannot start the dispatcher: %s", eb.msg);
        goto out;
    }
    tasks_wake(tk);
    int64_t limit_ms = cfg->job_timeout_ms * (int64_t)(n_tasks + 1) + 30000;
    if (wait_run(st, run_id, limit_ms, status, sizeof(status)) != ERR_OK) {
        fprintf(stderr, "cyberbrain: run %lld did not end in time (last status %s)\n",
                (long long)run_id, status);
        goto out;
    }
    if (store_run_report_get(st, run_id, &report, &eb) == ERR_OK) {
        const char *md = jsonx_get_str(report, "markdown");
        fputs(md ? md : "(no report)\n", stdout);
    }
    fprintf(stderr, "run %lld ended: %s\n", (long long)run_id, status);
    rc = (strcmp(status, "success") == 0 || strcmp(status, "partial") == 0) ? 0 : 1;
out:
    if (tk)
        tasks_stop(tk);
    json_decref(run);
    json_decref(report);
    store_close(st);
    return rc;
}
