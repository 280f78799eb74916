/* SPDX-License-Identifier: MIT */
/* events.h -- the in-process run event bus (job state changes, progress lines, run end).
 *
 * Publishers (the dispatcher) append events; subscribers (SSE streams, `cyberbrain run`)
 * read them in order. Each run keeps a bounded backlog (oldest dropped) so a late
 * subscriber still sees what happened. Subscriptions are refcounted; a notify callback
 * lets an event loop resume a suspended connection. Thread-safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct events;
struct events_sub;

/* Called (from the publishing thread, without locks held) after an event was queued for s. */
typedef void events_notify_fn(void *ctx);

/* One event; fields owned by the subscriber after events_sub_next (free with events_item_fini). */
struct events_item {
    uint64_t seq; /* per-run sequence number, from 1 */
    char *type;   /* "job", "progress", "run" */
    char *data;   /* JSON text */
};

/* Create a bus keeping at most backlog_max events per run and max_subs subscribers. */
struct events *events_new(size_t backlog_max, size_t max_subs);
/* Free the bus; every subscription must be gone. NULL is fine. */
void events_free(struct events *ev);
/* Publish one event of type for run_id (data is JSON text, copied). */
void events_publish(struct events *ev, int64_t run_id, const char *type, const char *data_json);
/* Subscribe to run_id, starting after after_seq (0 = whole backlog); NULL when over max_subs. */
struct events_sub *events_subscribe(struct events *ev, int64_t run_id, uint64_t after_seq);
/* Set the callback run after each new event for s (NULL clears it). */
void events_sub_set_notify(struct events_sub *s, events_notify_fn *fn, void *ctx);
/* Take the next event into *out; false when none is pending. */
bool events_sub_next(struct events_sub *s, struct events_item *out);
/* Wait up to timeout_ms for an event; true when one is pending. */
bool events_sub_wait(struct events_sub *s, int timeout_ms);
/* End a subscription. */
void events_unsubscribe(struct events_sub *s);
/* Forget the backlog of run_id (call some time after the run ended). */
void events_forget(struct events *ev, int64_t run_id);
/* Free the strings of an item. */
void events_item_fini(struct events_item *it);
