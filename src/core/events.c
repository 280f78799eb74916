/* SPDX-License-Identifier: MIT */
/* events.c -- the in-process run event bus.
 *
 * One mutex guards everything. Each run has a ring of its last backlog_max events and
 * a sequence counter; a subscription remembers the last sequence it took and reads the
 * ring from there, so publishing never copies per subscriber. Notify callbacks run after
 * the lock is released; a subscription counts callbacks in flight so that unsubscribe
 * (and clearing the callback) can wait for them to finish. */
#include "core/events.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"

struct rec {
    uint64_t seq;
    char *type;
    char *data;
};

struct runlog {
    int64_t run_id;
    uint64_t last_seq; /* sequence of the newest event */
    struct rec *ring;  /* backlog_max slots */
    size_t head;       /* index of the oldest event */
    size_t count;
    struct runlog *next;
};

struct events_sub {
    struct events *ev;
    int64_t run_id;
    uint64_t after_seq; /* last sequence handed out */
    events_notify_fn *notify;
    void *notify_ctx;
    int in_notify; /* callbacks running now */
    pthread_cond_t cv;
    struct events_sub *next;
};

struct events {
    pthread_mutex_t mu;
    pthread_cond_t idle_cv; /* signalled when a notify callback returns */
    size_t backlog_max;
    size_t max_subs;
    size_t n_subs;
    struct runlog *runs;
    struct events_sub *subs;
};

static void cond_init_mono(pthread_cond_t *cv)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
}

struct events *events_new(size_t backlog_max, size_t max_subs)
{
    struct events *ev = xcalloc(1, sizeof(*ev));
    pthread_mutex_init(&ev->mu, NULL);
    pthread_cond_init(&ev->idle_cv, NULL);
    ev->backlog_max = backlog_max ? backlog_max : 1;
    ev->max_subs = max_subs;
    return ev;
}

static void runlog_clear(struct runlog *rl, size_t cap)
{
    for (size_t i = 0; i < rl->count; i++) {
        struct rec *r = &rl->ring[(rl->head + i) % cap];
        xfree(r->type);
        xfree(r->data);
    }
    rl->head = 0;
    rl->count = 0;
}

void events_free(struct events *ev)
{
    if (!ev)
        return;
    struct runlog *rl = ev->runs;
    while (rl) {
        struct runlog *next = rl->next;
        runlog_clear(rl, ev->backlog_max);
        xfree(rl->ring);
        xfree(rl);
        rl = next;
    }
    pthread_cond_destroy(&ev->idle_cv);
    pthread_mutex_destroy(&ev->mu);
    xfree(ev);
}

static struct runlog *runlog_find(struct events *ev, int64_t run_id, bool is_create)
{
    for (struct runlog *rl = ev->runs; rl; rl = rl->next)
        if (rl->run_id == run_id)
            return rl;
    if (!is_create)
        return NULL;
    struct runlog *rl = xcalloc(1, sizeof(*rl));
    rl->run_id = run_id;
    rl->ring = xcalloc(ev->backlog_max, sizeof(*rl->ring));
    rl->next = ev->runs;
    ev->runs = rl;
    return rl;
}

struct pending {
    events_notify_fn *fn;
    void *ctx;
    struct events_sub *sub;
};

void events_publish(struct events *ev, int64_t run_id, const char *type, const char *data_json)
{
    if (!ev)
        return;
    struct pending small[16];
    struct pending *calls = small;
    size_t n_calls = 0;

    pthread_mutex_lock(&ev->mu);
    struct runlog *rl = runlog_find(ev, run_id, true);
    if (rl->count == ev->backlog_max) {
        struct rec *old = &rl->ring[rl->head];
        xfree(old->type);
        xfree(old->data);
        rl->head = (rl->head + 1) % ev->backlog_max;
        rl->count--;
    }
    struct rec *r = &rl->ring[(rl->head + rl->count) % ev->backlog_max];
    r->seq = ++rl->last_seq;
    r->type = xstrdup(type ? type : "message");
    r->data = xstrdup(data_json ? data_json : "{}");
    rl->count++;
    if (ev->n_subs > 16)
        calls = xcalloc(ev->n_subs, sizeof(*calls));
    for (struct events_sub *s = ev->subs; s; s = s->next) {
        if (s->run_id != run_id)
            continue;
        pthread_cond_broadcast(&s->cv);
        if (s->notify) {
            calls[n_calls++] = (struct pending){s->notify, s->notify_ctx, s};
            s->in_notify++;
        }
    }
    pthread_mutex_unlock(&ev->mu);

    for (size_t i = 0; i < n_calls; i++)
        calls[i].fn(calls[i].ctx);
    if (n_calls) {
        pthread_mutex_lock(&ev->mu);
        for (size_t i = 0; i < n_calls; i++)
            calls[i].sub->in_notify--;
        pthread_cond_broadcast(&ev->idle_cv);
        pthread_mutex_unlock(&ev->mu);
    }
    if (calls != small)
        xfree(calls);
}

struct events_sub *events_subscribe(struct events *ev, int64_t run_id, uint64_t after_seq)
{
    pthread_mutex_lock(&ev->mu);
    if (ev->n_subs >= ev->max_subs) {
        pthread_mutex_unlock(&ev->mu);
        return NULL;
    }
    struct events_sub *s = xcalloc(1, sizeof(*s));
    s->ev = ev;
    s->run_id = run_id;
    s->after_seq = after_seq;
    cond_init_mono(&s->cv);
    s->next = ev->subs;
    ev->subs = s;
    ev->n_subs++;
    pthread_mutex_unlock(&ev->mu);
    return s;
}

/* Wait (lock held) until no callback of s runs in another thread. */
static void wait_idle(struct events_sub *s)
{
    while (s->in_notify > 0)
        pthread_cond_wait(&s->ev->idle_cv, &s->ev->mu);
}

void events_sub_set_notify(struct events_sub *s, events_notify_fn *fn, void *ctx)
{
    pthread_mutex_lock(&s->ev->mu);
    if (!fn)
        wait_idle(s);
    s->notify = fn;
    s->notify_ctx = ctx;
    pthread_mutex_unlock(&s->ev->mu);
}

/* Find (lock held) the oldest event of s's run newer than s->after_seq. */
static struct rec *next_rec(struct events_sub *s)
{
    struct runlog *rl = runlog_find(s->ev, s->run_id, false);
    if (!rl || rl->count == 0 || rl->last_seq <= s->after_seq)
        return NULL;
    struct rec *oldest = &rl->ring[rl->head];
    /* Events dropped from the backlog are skipped: resume from the oldest kept. */
    uint64_t want = s->after_seq + 1 < oldest->seq ? oldest->seq : s->after_seq + 1;
    return &rl->ring[(rl->head + (size_t)(want - oldest->seq)) % s->ev->backlog_max];
}

bool events_sub_next(struct events_sub *s, struct events_item *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&s->ev->mu);
    struct rec *r = next_rec(s);
    if (r) {
        out->seq = r->seq;
        out->type = xstrdup(r->type);
        out->data = xstrdup(r->data);
        s->after_seq = r->seq;
    }
    pthread_mutex_unlock(&s->ev->mu);
    return r != NULL;
}

bool events_sub_wait(struct events_sub *s, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    if (timeout_ms < 0)
        timeout_ms = 0;
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->ev->mu);
    bool has = next_rec(s) != NULL;
    while (!has) {
        if (pthread_cond_timedwait(&s->cv, &s->ev->mu, &until) != 0) {
            has = next_rec(s) != NULL;
            break;
        }
        has = next_rec(s) != NULL;
    }
    pthread_mutex_unlock(&s->ev->mu);
    return has;
}

void events_unsubscribe(struct events_sub *s)
{
    if (!s)
        return;
    struct events *ev = s->ev;
    pthread_mutex_lock(&ev->mu);
    wait_idle(s);
    for (struct events_sub **pp = &ev->subs; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    ev->n_subs--;
    pthread_mutex_unlock(&ev->mu);
    pthread_cond_destroy(&s->cv);
    xfree(s);
}

void events_forget(struct events *ev, int64_t run_id)
{
    if (!ev)
        return;
    pthread_mutex_lock(&ev->mu);
    bool has_subs = false;
    for (struct events_sub *s = ev->subs; s; s = s->next)
        if (s->run_id == run_id)
            has_subs = true;
    for (struct runlog **pp = &ev->runs; *pp; pp = &(*pp)->next) {
        struct runlog *rl = *pp;
        if (rl->run_id != run_id)
            continue;
        runlog_clear(rl, ev->backlog_max);
        /* A live subscriber keeps the sequence counter so it never sees numbers reused. */
        if (!has_subs) {
            *pp = rl->next;
            xfree(rl->ring);
            xfree(rl);
        }
        break;
    }
    pthread_mutex_unlock(&ev->mu);
}

void events_item_fini(struct events_item *it)
{
    xfree(it->type);
    xfree(it->data);
    it->type = NULL;
    it->data = NULL;
}
