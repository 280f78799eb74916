/* SPDX-License-Identifier: MIT */
/* mcp_tools_wait.c -- launch_run's wait: follow the run's events (the same bus as the SSE
 * stream of /api/runs/{id}/events/), turn them into progress notifications, and answer
 * the run with its report once it ended.
 *
 * Progress is the number of finished jobs plus the running jobs' fractions (from their
 * progress lines), of a total of the run's job count; it only ever grows. The store is
 * read now and then too, so an event lost to a full backlog (or a run ended by another
 * instance) cannot make the wait miss the end. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "mcp/mcp_tools_int.h"

#define WAIT_STEP_MS 250  /* longest sleep between two looks at cancel and the clock */
#define WAIT_POLL_MS 2000 /* store reads while no event says the run ended */
#define WAIT_JOBS    8    /* tasks a run can have (STORE_TASKS_N), with room */

struct wait {
    struct mcp_call *c;
    int64_t run_id;
    size_t n_jobs;
    char tasks[WAIT_JOBS][32]; /* task of each job slot ("": free) */
    double frac[WAIT_JOBS];    /* 0..1 per job */
    double last;               /* last progress sent (-1: none) */
    bool is_ended;             /* a "run" event came */
};

static double *job_frac(struct wait *w, const char *task)
{
    for (size_t i = 0; task && i < WAIT_JOBS; i++) {
        if (strcmp(w->tasks[i], task) == 0)
            return &w->frac[i];
        if (!w->tasks[i][0]) {
            snprintf(w->tasks[i], sizeof(w->tasks[i]), "%s", task);
            return &w->frac[i];
        }
    }
    return NULL;
}

static void notify(struct wait *w, const char *msg)
{
    double sum = 0;
    for (size_t i = 0; i < WAIT_JOBS; i++)
        sum += w->frac[i];
    if (sum <= w->last)
        return;
    w->last = sum;
    if (w->c->progress)
        w->c->progress(w->c, sum, (double)w->n_jobs, msg);
}

/* Fold one event of the run into the progress. */
static void on_event(struct wait *w, const struct events_item *it)
{
    json_t *d = NULL;
    char msg[160];
    if (jsonx_parse(it->data, strlen(it->data), 64 * 1024, &d, NULL) != ERR_OK) {
        json_decref(d);
        return;
    }
    const char *task = jsonx_get_str(d, "task"), *status = jsonx_get_str(d, "status");
    double *f = job_frac(w, task);
    if (strcmp(it->type, "run") == 0) {
        w->is_ended = true;
    } else if (strcmp(it->type, "job") == 0 && f && status) {
        bool is_done = strcmp(status, "queued") != 0 && strcmp(status, "running") != 0;
        if (is_done)
            *f = 1.0;
        else if (*f < 0.01)
            *f = 0.01;
        snprintf(msg, sizeof(msg), "%s: %s", task, status);
        notify(w, msg);
    } else if (strcmp(it->type, "progress") == 0 && f && *f < 1.0) {
        json_t *p = json_object_get(d, "progress");
        double v = json_is_number(p) ? json_number_value(p) / 100.0 : 0;
        if (v > 0.99)
            v = 0.99;
        if (v > *f)
            *f = v;
        const char *m = jsonx_get_str(d, "message");
        snprintf(msg, sizeof(msg), "%s: %.100s", task, m ? m : "working");
        notify(w, msg);
    }
    json_decref(d);
}

/* Read the run; *is_ended when its status is final. */
static enum err peek(struct wait *w, bool *is_ended, struct errbuf *eb)
{
    json_t *run = NULL;
    enum err e = store_run_get(w->c->env->st, w->run_id, &run, eb);
    const char *s = jsonx_get_str(run, "status");
    *is_ended = e == ERR_OK && s && strcmp(s, "queued") != 0 && strcmp(s, "running") != 0;
    json_decref(run);
    return e;
}

static void nap(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Wait for the end; ERR_OK once the run ended. */
static enum err
follow(struct wait *w, struct events_sub *sub, int64_t timeout_ms, struct errbuf *eb)
{
    int64_t start = clock_mono_ms(), polled = start;
    bool is_ended = false;
    enum err e = peek(w, &is_ended, eb);
    while (e == ERR_OK && !is_ended) {
        int64_t now = clock_mono_ms();
        if (w->c->is_cancelled && w->c->is_cancelled(w->c))
            return errbuf_set(eb, ERR_UNAVAILABLE,
                              "the wait for run %lld was cancelled; the run goes on (get_run "
                              "follows it, cancel_run stops it)",
                              (long long)w->run_id);
        if (now - start >= timeout_ms)
            return errbuf_set(eb, ERR_TIMEOUT,
                              "run %lld did not end within %lld s; it goes on (get_run follows "
                              "it, cancel_run stops it)",
                              (long long)w->run_id, (long long)(timeout_ms / 1000));
        struct events_item it;
        if (sub && events_sub_wait(sub, WAIT_STEP_MS)) {
            while (events_sub_next(sub, &it)) {
                on_event(w, &it);
                events_item_fini(&it);
            }
        } else if (!sub) {
            nap(WAIT_STEP_MS);
        }
        if (w->is_ended || clock_mono_ms() - polled >= WAIT_POLL_MS) {
            polled = clock_mono_ms();
            e = peek(w, &is_ended, eb);
        }
    }
    /* What is already queued still counts (a run that ended before the first look, or
     * between the last wait and the store read). */
    struct events_item it;
    while (e == ERR_OK && sub && events_sub_next(sub, &it)) {
        on_event(w, &it);
        events_item_fini(&it);
    }
    return e;
}

/* Build {"run","report"} and the Markdown text of run_id, which ended. */
static enum err answer(struct wait *w, json_t **out, char **text, struct errbuf *eb)
{
    json_t *run = NULL, *rep = NULL;
    enum err e = store_run_get(w->c->env->st, w->run_id, &run, eb);
    if (e == ERR_OK)
        e = store_run_report_get(w->c->env->st, w->run_id, &rep, eb);
    if (e == ERR_OK) {
        json_t *j = json_object_get(rep, "json");
        const char *md = jsonx_get_str(rep, "markdown");
        *out = json_pack("{s:O,s:O}", "run", run, "report", j ? j : json_null());
        *text = md ? xstrdup(md)
                   : xasprintf("Run %lld ended (%s) without a report.", (long long)w->run_id,
                               jsonx_get_str(run, "status"));
    }
    json_decref(run);
    json_decref(rep);
    return e;
}

enum err mcp_run_wait(struct mcp_call *c,
                      int64_t run_id,
                      size_t n_jobs,
                      int64_t timeout_ms,
                      json_t **out,
                      char **text,
                      struct errbuf *eb)
{
    struct wait w = {.c = c, .run_id = run_id, .n_jobs = n_jobs ? n_jobs : 1, .last = -1};
    char msg[96];
    struct events_sub *sub = c->env->ev ? events_subscribe(c->env->ev, run_id, 0) : NULL;
    snprintf(msg, sizeof(msg), "run %lld queued (%zu jobs)", (long long)run_id, n_jobs);
    if (c->progress) {
        c->progress(c, 0, (double)w.n_jobs, msg);
        w.last = 0;
    }
    enum err e = follow(&w, sub, timeout_ms, eb);
    if (sub)
        events_unsubscribe(sub);
    if (e != ERR_OK)
        return e;
    for (size_t i = 0; i < WAIT_JOBS; i++)
        w.frac[i] = i < w.n_jobs ? 1.0 : 0;
    snprintf(msg, sizeof(msg), "run %lld ended", (long long)run_id);
    notify(&w, msg);
    return answer(&w, out, text, eb);
}
