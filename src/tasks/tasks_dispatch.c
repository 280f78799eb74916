/* SPDX-License-Identifier: MIT */
/* tasks_dispatch.c -- the dispatcher: n_slots threads that claim queued jobs and run them.
 *
 * Each slot thread claims the oldest queued job; when none is queued it sleeps on the
 * condition variable until tasks_wake or one second passes (the poll covers jobs queued
 * by another process). tasks_stop sets the stop flag, kills every running worker, and
 * joins the threads; those jobs end failed with "orchestrator shut down". */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "tasks/tasks_int.h"

#define TASKS_POLL_MS 1000

bool tasks_is_stopping(struct tasks *t)
{
    pthread_mutex_lock(&t->mu);
    bool yes = t->is_stopping;
    pthread_mutex_unlock(&t->mu);
    return yes;
}

void tasks_wake(struct tasks *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    t->has_work = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

enum err tasks_run_one(struct tasks *t, bool *got, struct errbuf *eb)
{
    struct store_claim c;
    memset(&c, 0, sizeof(c));
    *got = false;
    pthread_mutex_lock(&t->claim_mu);
    enum err e = store_job_claim(t->opts.st, t->opts.cfg->instance_id, t->opts.cfg->job_timeout_ms,
                                 t->opts.only_run_id, &c, got, eb);
    if (e == ERR_OK && *got)
        tasks_job_claimed(t, c.job_id);
    pthread_mutex_unlock(&t->claim_mu);
    if (e != ERR_OK || !*got)
        return e;
    tasks_job_run(t, &c);
    store_claim_fini(&c);
    return ERR_OK;
}

/* Sleep until woken, stopped or TASKS_POLL_MS passed. */
static void idle_wait(struct tasks *t)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += TASKS_POLL_MS / 1000;
    pthread_mutex_lock(&t->mu);
    while (!t->has_work && !t->is_stopping)
        if (pthread_cond_timedwait(&t->cv, &t->mu, &until) != 0)
            break;
    t->has_work = false;
    pthread_mutex_unlock(&t->mu);
}

static void *slot_main(void *arg)
{
    struct tasks *t = arg;
    bool has_worked = false;
    while (!tasks_is_stopping(t)) {
        bool got = false;
        struct errbuf eb = {0};
        enum err e = tasks_run_one(t, &got, &eb);
        if (e != ERR_OK)
            log_error("tasks", "event=claim.fail err=%s", err_name(e));
        has_worked |= got;
        if (e != ERR_OK || !got) {
            /* Going idle after jobs: hand the freed heap back, so idle RSS stays small. */
            if (has_worked)
                xalloc_release_free();
            has_worked = false;
            idle_wait(t);
        }
    }
    return NULL;
}

/* True when the job folder name is the id of a job in running (still to be collected). */
static bool is_running_dir(const json_t *running, const char *name)
{
    size_t i;
    json_t *j;
    json_array_foreach(running, i, j)
    {
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(j, "id")));
        if (strcmp(id, name) == 0)
            return true;
    }
    return false;
}

/* Remove the input/ and output/ scratch folders left under runs/<run>/jobs/<job>/, except
 * those of jobs still running (reconcile collects them). */
static void remove_stale(const struct tasks *t)
{
    json_t *running = NULL;
    struct errbuf eb = {0};
    enum err e = store_job_list_running(t->opts.st, &running, &eb);
    if (e != ERR_OK) {
        log_warn("tasks", "event=recover.folders skipped=true err=%s", err_name(e));
        return;
    }
    char *runs = xasprintf("%s/runs", t->opts.cfg->uploads_dir);
    DIR *d = opendir(runs);
    struct dirent *re;
    int n = 0;
    while (d && (re = readdir(d)) != NULL) {
        if (re->d_name[0] == '.')
            continue;
        char *jobs = xasprintf("%s/%s/jobs", runs, re->d_name);
        DIR *jd = opendir(jobs);
        struct dirent *je;
        while (jd && (je = readdir(jd)) != NULL) {
            if (je->d_name[0] == '.' || is_running_dir(running, je->d_name))
                continue;
            char *in = xasprintf("%s/%s/input", jobs, je->d_name);
            char *out = xasprintf("%s/%s/output", jobs, je->d_name);
            n += fs_is_dir(in) || fs_is_dir(out);
            fs_rm_rf(in, NULL);
            fs_rm_rf(out, NULL);
            xfree(in);
            xfree(out);
        }
        if (jd)
            closedir(jd);
        xfree(jobs);
    }
    if (d)
        closedir(d);
    if (n)
        log_info("tasks", "event=recover.folders removed=%d", n);
    xfree(runs);
    json_decref(running);
}

static struct tasks *tasks_alloc(const struct tasks_opts *opts)
{
    struct tasks *t = xcalloc(1, sizeof(*t));
    t->opts = *opts;
    pthread_mutex_init(&t->mu, NULL);
    pthread_mutex_init(&t->claim_mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cv, &attr);
    pthread_condattr_destroy(&attr);
    t->n_running_cap = opts->n_slots + 1;
    t->running = xcalloc((size_t)t->n_running_cap, sizeof(*t->running));
    t->inflight = xcalloc((size_t)t->n_running_cap, sizeof(*t->inflight));
    t->threads = xcalloc((size_t)opts->n_slots + 1, sizeof(*t->threads));
    return t;
}

static void tasks_dealloc(struct tasks *t)
{
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    pthread_mutex_destroy(&t->claim_mu);
    xfree(t->running);
    xfree(t->inflight);
    xfree(t->threads);
    xfree(t);
}

/* Recover after a crash. The process runtime fails every job left running (its workers
 * died with the process); the docker runtime's workers outlive it, so reconcile decides
 * job by job. A dispatcher bound to one run shares the database with a serve: it
 * recovers nothing (that would fail the serve's jobs and delete their folders). */
static enum err recover(struct tasks *t, struct errbuf *eb)
{
    int n_failed = 0;
    if (t->opts.only_run_id != 0)
        return ERR_OK;
    if (t->rt == &tasks_runtime_docker) {
        remove_stale(t);
        tasks_reconcile_pass(t, true);
        return tasks_reconcile_start(t, eb);
    }
    enum err e = store_recover(t->opts.st, &n_failed, eb);
    if (e != ERR_OK)
        return e;
    if (n_failed)
        log_warn("tasks", "event=recover.jobs failed=%d", n_failed);
    remove_stale(t);
    return ERR_OK;
}

enum err tasks_start(const struct tasks_opts *opts, struct tasks **out, struct errbuf *eb)
{
    *out = NULL;
    if (!opts || !opts->cfg || !opts->st || opts->n_slots < 0 || opts->n_slots > 64)
        return errbuf_set(eb, ERR_INVALID, "tasks_start needs a config, a store and 0..64 slots");
    const struct tasks_runtime *rt = tasks_runtime_pick(opts->cfg, eb);
    if (!rt)
        return ERR_UNAVAILABLE;
    struct tasks *t = tasks_alloc(opts);
    t->rt = rt;
    if (opts->only_run_id == 0 && rt == &tasks_runtime_docker)
        tasks_docker_seed(opts->cfg, opts->st);
    enum err e = recover(t, eb);
    if (e != ERR_OK) {
        tasks_stop(t);
        return e;
    }
    if (!rt->is_isolated)
        log_warn("tasks", "event=runtime runtime=%s isolated=false note=%s", rt->name,
                 "workers run as child processes without isolation (development only)");
    for (int i = 0; i < opts->n_slots; i++) {
        if (pthread_create(&t->threads[i], NULL, slot_main, t) != 0) {
            tasks_stop(t);
            return errbuf_set(eb, ERR_INTERNAL, "cannot start dispatcher threads");
        }
        t->n_threads++;
    }
    log_info("tasks", "event=dispatcher.start slots=%d runtime=%s", opts->n_slots, rt->name);
    *out = t;
    return ERR_OK;
}

void tasks_stop(struct tasks *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    t->is_stopping = true;
    for (int i = 0; i < t->n_running_cap; i++)
        if (t->running[i])
            t->rt->kill(t->running[i]);
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    for (int i = 0; i < t->n_threads; i++)
        pthread_join(t->threads[i], NULL);
    if (t->has_reconcile_thread)
        pthread_join(t->reconcile_thread, NULL);
    log_info("tasks", "event=dispatcher.stop");
    tasks_dealloc(t);
}
