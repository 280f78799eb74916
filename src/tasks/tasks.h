/* SPDX-License-Identifier: MIT */
/* tasks.h -- task names, the dispatcher and the worker runtimes.
 *
 * The dispatcher claims queued jobs from the store, prepares the job folder under
 * CYBER_BRAIN_UPLOADS/runs/<run>/jobs/<job>/{input,output}, starts a worker through a
 * runtime (process now; docker plugs into the same interface), waits with the job's
 * deadline, validates result.json, finishes the job, and writes the run report when
 * the run ends. Events go to the bus. tasks_start/stop from one thread; tasks_wake from any. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/events.h"
#include "store/store.h"

struct tasks;

struct tasks_opts {
    const struct config *cfg; /* borrowed for the dispatcher's life */
    struct store *st;         /* borrowed */
    struct events *ev;        /* borrowed; may be NULL */
    int n_slots;              /* jobs run at once (0..64; 0 = only tasks_run_one) */
    int64_t only_run_id;      /* 0: every run, with crash recovery at start; else only this
                               * run's jobs and no recovery (`cyberbrain run` beside a serve) */
};

/* Return the canonical task name for name or an alias (task1..task3), or NULL. */
const char *tasks_canonical_name(const char *name);
/* Return the three canonical task names in order (NULL-terminated). */
const char *const *tasks_all_names(void);
/* Recover after a crash (process runtime: store_recover; docker: reconcile, then every
 * reconcile_interval_s in a thread; both remove stale job folders) and start the dispatcher. */
enum err tasks_start(const struct tasks_opts *opts, struct tasks **out, struct errbuf *eb);
/* Tell the dispatcher that jobs were queued (cheap; any thread). */
void tasks_wake(struct tasks *t);
/* Stop the dispatcher: running workers are killed and their jobs failed ("shutdown"). */
void tasks_stop(struct tasks *t);
/* Run one job synchronously in this thread (used by tests); *got false when none queued. */
enum err tasks_run_one(struct tasks *t, bool *got, struct errbuf *eb);

/* ---- container inventory (tasks_inventory.c) ---- */

/* Collect the inventory items without storing them: *items is an array of
 * {"container_id","name","image","state","status","is_allowlisted","details" (object for
 * allowlisted containers, else null)} (caller decrefs). ERR_UNAVAILABLE when the engine
 * does not answer. */
enum err tasks_inventory_collect(const struct config *cfg,
                                 struct store *st,
                                 json_t **items,
                                 struct errbuf *eb);
/* Take an inventory snapshot now: every container the engine lists (at most
 * STORE_INVENTORY_ITEMS_MAX) with id, name, image, state and status; details (redacted,
 * variable names only) for allowlisted containers, which alone are inspected. source is
 * "manual" (run_id 0) or "run". *out is the stored snapshot without items (caller
 * decrefs). ERR_UNAVAILABLE when the engine does not answer; store errors as they come. */
enum err tasks_inventory_take(const struct config *cfg,
                              struct store *st,
                              const char *source,
                              int64_t run_id,
                              json_t **out,
                              struct errbuf *eb);
/* Take a manual snapshot for the dispatcher tasks (a struct tasks *): the shape of
 * api_ctx.inventory_snapshot. */
enum err tasks_inventory_snapshot(void *tasks, json_t **out, struct errbuf *eb);

/* ---- service map rendering (tasks_svcmap.c) ---- */

/* Lay out the DOT text dot with Graphviz and render it as SVG; *svg is new (caller frees).
 * Thread-safe: every use of Graphviz in the process is serialised by one mutex.
 * ERR_INVALID when dot does not parse, ERR_TOO_LARGE over 8 MiB. */
enum err tasks_svcmap_svg(const char *dot, char **svg, struct errbuf *eb);
/* Render a checked map graph (svcmap) as SVG (svcmap_dot, then tasks_svcmap_svg). */
enum err tasks_svcmap_graph_svg(const json_t *graph, char **svg, struct errbuf *eb);
/* Return graph as Mermaid text (caller frees), or NULL when it is over 4 MiB. */
char *tasks_svcmap_mermaid(const json_t *graph);
