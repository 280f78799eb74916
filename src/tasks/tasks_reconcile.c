/* SPDX-License-Identifier: MIT */
/* tasks_reconcile.c -- match the containers labelled with this instance against the jobs.
 *
 * Worker containers outlive the serve that started them (kill -9, a crash), so on start
 * and every reconcile_interval_s the serve lists the containers labelled
 * cyberbrain.instance=<its id>, then the running jobs:
 * - a container whose job is not running (ended, unknown): an orphan, removed;
 * - a container of a job a thread of this process handles: left alone;
 * - a container of a running job nobody here handles (an earlier incarnation's): exited:
 *   collected like a normal job (result.json read and validated); running past its
 *   deadline: killed, the job fails with the deadline reason; running within it: adopted,
 *   left to run, the next pass looks again;
 * - a running job claimed by this instance, not handled here, with no container: lost.
 * Jobs of other instances (`cyberbrain run`) are theirs, unless their deadline passed more
 * than RECONCILE_ABANDON_MS ago: their owner would have ended them by then, so it died.
 * With the engine down a pass logs once and changes nothing; the next one tries again.
 * The container list is read before the jobs (under claim_mu), so a container seen here
 * belongs to a job claimed before the job list was read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "docker/docker.h"
#include "tasks/tasks_int.h"

#define RECONCILE_ABANDON_MS (60 * 1000)
#define RECONCILE_WAIT_MS    2000

struct pass {
    struct tasks *t;
    const char *sock;
    json_t *running;     /* store_job_list_running, read under claim_mu */
    int64_t *inflight;   /* copy of t->inflight taken with running */
    bool *has_container; /* per element of running */
    int64_t now_ms;
};

static void
audit(struct tasks *t, const char *action, const json_t *c, const json_t *job, const char *reason)
{
    struct errbuf eb = {0};
    char *why = tasks_redact_dup(t->opts.cfg, reason); /* may quote engine errors */
    enum err e = store_audit_add(
        t->opts.st, action, c ? jsonx_get_str(c, "Image") : NULL, c ? jsonx_get_str(c, "Id") : NULL,
        job ? json_integer_value(json_object_get(job, "run_id")) : 0,
        job ? json_integer_value(json_object_get(job, "id")) : 0, why, &eb);
    xfree(why);
    if (e != ERR_OK)
        log_warn("tasks", "event=reconcile.audit_fail action=%s err=%s", action, err_name(e));
}

static bool is_inflight(const struct pass *p, int64_t job_id)
{
    for (int i = 0; i < p->t->n_running_cap; i++)
        if (p->inflight[i] == job_id)
            return true;
    return false;
}

/* The cyberbrain.job label of container c, or 0 when it has none that parses. */
static int64_t label_job(const json_t *c)
{
    const char *v = jsonx_get_str(json_object_get(c, "Labels"), "cyberbrain.job");
    char *end = NULL;
    if (!v)
        return 0;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    return errno || end == v || *end || n <= 0 ? 0 : (int64_t)n;
}

/* The running job job_id (borrowed) and its index, or NULL. */
static const json_t *find_running(const struct pass *p, int64_t job_id, size_t *idx)
{
    size_t i;
    json_t *j;
    json_array_foreach(p->running, i, j)
    {
        if (json_integer_value(json_object_get(j, "id")) == job_id) {
            *idx = i;
            return j;
        }
    }
    return NULL;
}

static void claim_of(const json_t *job, struct store_claim *cl)
{
    memset(cl, 0, sizeof(*cl));
    cl->job_id = json_integer_value(json_object_get(job, "id"));
    cl->run_id = json_integer_value(json_object_get(job, "run_id"));
    const char *task = jsonx_get_str(job, "task");
    snprintf(cl->task, sizeof(cl->task), "%s", task ? task : "");
}

/* Remove container c (killing it if it runs); ERR_NOT_FOUND when it is already gone. */
static enum err remove_container(const struct pass *p, const json_t *c)
{
    struct errbuf eb = {0};
    const char *id = jsonx_get_str(c, "Id");
    enum err e = docker_container_remove(p->sock, id, &eb);
    if (e != ERR_OK && e != ERR_NOT_FOUND)
        log_warn("tasks", "event=reconcile.remove_fail container=%.12s err=%s", id, err_name(e));
    return e;
}

static void orphan(const struct pass *p, const json_t *c, int64_t job_id)
{
    char reason[128];
    snprintf(reason, sizeof(reason), "orphan container removed: job %lld is not running",
             (long long)job_id);
    /* Gone already: its job's own thread removed it between the two reads. */
    if (remove_container(p, c) != ERR_OK)
        return;
    log_info("tasks", "event=reconcile.orphan job_id=%lld container=%.12s", (long long)job_id,
             jsonx_get_str(c, "Id"));
    audit(p->t, "reconcile", c, NULL, reason);
}

/* The exited container c of job: read its status and stderr, judge, finish, remove. */
static void collect(const struct pass *p, const json_t *c, const json_t *job)
{
    struct store_claim cl;
    struct tasks_job tj;
    struct errbuf eb = {0};
    struct buf out, err;
    int code = 0;
    const char *id = jsonx_get_str(c, "Id");
    claim_of(job, &cl);
    tasks_job_init(&tj, p->t, &cl);
    enum err e = docker_container_wait(p->sock, id, RECONCILE_WAIT_MS, &code, &eb);
    char *reason = NULL;
    if (e != ERR_OK) {
        reason =
            xasprintf("worker container lost: cannot read its exit status: %s", errbuf_get(&eb, e));
        tasks_job_fail(&tj, reason);
    } else {
        buf_init(&out, 64 * 1024);
        buf_init(&err, TASKS_STDERR_MAX);
        if (docker_container_logs(p->sock, id, 4u * 1024 * 1024, &out, &err, NULL) == ERR_OK &&
            buf_len(&err))
            tj.stderr_text = buf_take(&err);
        buf_fini(&out);
        buf_fini(&err);
        tj.exit_code = code;
        reason = xasprintf("collected after a restart: the worker exited with status %d", code);
        tasks_job_end(&tj, TASKS_EXITED);
    }
    remove_container(p, c);
    log_info("tasks", "event=reconcile.collect job_id=%lld container=%.12s", (long long)cl.job_id,
             id);
    audit(p->t, "reconcile", c, job, reason);
    xfree(reason);
}

/* The container c of job still runs past the job's deadline: kill, fail, remove. */
static void deadline_kill(const struct pass *p, const json_t *c, const json_t *job)
{
    struct store_claim cl;
    struct tasks_job tj;
    const char *id = jsonx_get_str(c, "Id");
    claim_of(job, &cl);
    tasks_job_init(&tj, p->t, &cl);
    docker_container_kill(p->sock, id, NULL); /* 409 when it just ended: fine */
    tasks_job_end(&tj, TASKS_TIMED_OUT);
    remove_container(p, c);
    log_info("tasks", "event=reconcile.deadline_kill job_id=%lld container=%.12s",
             (long long)cl.job_id, id);
    audit(p->t, "deadline_kill", c, job, "reconcile: the job's deadline passed after a restart");
}

/* Fail job (running in the store, handled by nobody) with why. */
static void fail_job(const struct pass *p, const json_t *job, const char *why)
{
    struct store_claim cl;
    struct tasks_job tj;
    claim_of(job, &cl);
    tasks_job_init(&tj, p->t, &cl);
    tasks_job_fail(&tj, why);
    log_warn("tasks", "event=reconcile.lost job_id=%lld run_id=%lld", (long long)cl.job_id,
             (long long)cl.run_id);
    audit(p->t, "reconcile", NULL, job, why);
}

static bool is_past(const json_t *job, int64_t now_ms, int64_t grace_ms)
{
    int64_t deadline = 0;
    /* A deadline that does not parse counts as passed: nothing may run for ever. */
    if (!clock_iso_parse(jsonx_get_str(job, "deadline_at"), &deadline))
        return true;
    return now_ms >= deadline + grace_ms;
}

/* Decide about one container labelled with this instance. */
static void container_one(struct pass *p, const json_t *c)
{
    int64_t job_id = label_job(c);
    size_t idx = 0;
    const json_t *job = job_id ? find_running(p, job_id, &idx) : NULL;
    const char *state = jsonx_get_str(c, "State");
    if (job)
        p->has_container[idx] = true;
    if (job_id && is_inflight(p, job_id))
        return;
    if (!job) {
        orphan(p, c, job_id);
    } else if (state && (strcmp(state, "exited") == 0 || strcmp(state, "dead") == 0)) {
        collect(p, c, job);
    } else if (state && strcmp(state, "created") == 0) {
        /* Created but never started: the serve died between the two calls. */
        remove_container(p, c);
        fail_job(p, job, "worker container lost: it was created but never started");
    } else if (is_past(job, p->now_ms, 0)) {
        deadline_kill(p, c, job);
    } else {
        log_info("tasks", "event=reconcile.adopt job_id=%lld container=%.12s state=%s",
                 (long long)job_id, jsonx_get_str(c, "Id"), state ? state : "?");
    }
}

/* Running jobs with no container: this instance's are lost; others' past their deadline
 * by RECONCILE_ABANDON_MS are abandoned. */
static void jobs_without_container(struct pass *p)
{
    const char *me = p->t->opts.cfg->instance_id;
    size_t i;
    json_t *job;
    json_array_foreach(p->running, i, job)
    {
        int64_t job_id = json_integer_value(json_object_get(job, "id"));
        const char *by = jsonx_get_str(job, "claimed_by");
        bool is_mine = by && strcmp(by, me) == 0;
        if (p->has_container[i] || is_inflight(p, job_id))
            continue;
        if (is_mine)
            fail_job(p, job,
                     "worker container lost: no container of this job was found after the "
                     "orchestrator restarted");
        else if (is_past(job, p->now_ms, RECONCILE_ABANDON_MS))
            fail_job(p, job, "abandoned: the instance that ran it did not end it by its deadline");
    }
}

/* End the runs left without an open job by a crash between a job's end and its report. */
static void settle_runs(struct tasks *t)
{
    json_t *runs = NULL;
    size_t i;
    json_t *r;
    if (store_run_list_unsettled(t->opts.st, &runs, NULL) != ERR_OK)
        return;
    json_array_foreach(runs, i, r)
    {
        tasks_report_write(t, json_integer_value(json_object_get(r, "id")));
    }
    json_decref(runs);
}

static bool engine_check(struct tasks *t, enum err e, struct errbuf *eb)
{
    if (e == ERR_OK && t->is_engine_down)
        log_info("tasks", "event=reconcile.engine_back socket=%s", t->opts.cfg->docker_socket);
    if (e != ERR_OK && !t->is_engine_down)
        log_warn("tasks", "event=reconcile.engine_down socket=%s detail=\"%s\" note=%s",
                 t->opts.cfg->docker_socket, errbuf_get(eb, e),
                 "jobs fail until the engine answers; reconcile retries");
    t->is_engine_down = e != ERR_OK;
    return e == ERR_OK;
}

/* Read the running jobs and the ids handled here in one step (see the file comment). */
static enum err snapshot(struct pass *p, struct errbuf *eb)
{
    struct tasks *t = p->t;
    pthread_mutex_lock(&t->claim_mu);
    enum err e = store_job_list_running(t->opts.st, &p->running, eb);
    pthread_mutex_lock(&t->mu);
    memcpy(p->inflight, t->inflight, (size_t)t->n_running_cap * sizeof(*p->inflight));
    pthread_mutex_unlock(&t->mu);
    pthread_mutex_unlock(&t->claim_mu);
    return e;
}

void tasks_reconcile_pass(struct tasks *t, bool is_start)
{
    struct pass p = {.t = t, .sock = t->opts.cfg->docker_socket};
    json_t *cs = NULL;
    struct errbuf eb = {0};
    enum err e = docker_containers_by_label(p.sock, "cyberbrain.instance", t->opts.cfg->instance_id,
                                            &cs, &eb);
    if (!engine_check(t, e, &eb))
        goto out;
    p.inflight = xcalloc((size_t)t->n_running_cap, sizeof(*p.inflight));
    e = snapshot(&p, &eb);
    if (e != ERR_OK) {
        log_warn("tasks", "event=reconcile.fail err=%s", err_name(e));
        goto out;
    }
    p.has_container = xcalloc(json_array_size(p.running) + 1, sizeof(*p.has_container));
    p.now_ms = clock_now_ms();
    size_t i;
    json_t *c;
    json_array_foreach(cs, i, c)
    {
        container_one(&p, c);
    }
    jobs_without_container(&p);
out:
    if (is_start)
        settle_runs(t);
    json_decref(cs);
    json_decref(p.running);
    xfree(p.inflight);
    xfree(p.has_container);
}

static void *reconcile_main(void *arg)
{
    struct tasks *t = arg;
    int interval_s = t->opts.cfg->reconcile_interval_s > 0 ? t->opts.cfg->reconcile_interval_s : 30;
    for (;;) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += interval_s;
        pthread_mutex_lock(&t->mu);
        while (!t->is_stopping && pthread_cond_timedwait(&t->cv, &t->mu, &until) != ETIMEDOUT)
            ;
        bool is_stopping = t->is_stopping;
        pthread_mutex_unlock(&t->mu);
        if (is_stopping)
            return NULL;
        tasks_reconcile_pass(t, false);
    }
}

enum err tasks_reconcile_start(struct tasks *t, struct errbuf *eb)
{
    if (pthread_create(&t->reconcile_thread, NULL, reconcile_main, t) != 0)
        return errbuf_set(eb, ERR_INTERNAL, "cannot start the reconcile thread");
    t->has_reconcile_thread = true;
    log_info("tasks", "event=reconcile.start interval_s=%d instance=%s",
             t->opts.cfg->reconcile_interval_s, t->opts.cfg->instance_id);
    return ERR_OK;
}
