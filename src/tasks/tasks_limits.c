/* SPDX-License-Identifier: MIT */
/* tasks_limits.c -- the memory, CPU and pids limits of a worker container.
 *
 * Each limit comes from the run's directive when it sets one (config.worker_limits of the
 * chosen directive, else of the task's default directive D1..D3, as snapshotted at launch),
 * capped by the worker-image entry's value when the entry sets one (the image's ceiling);
 * else from the entry; else the defaults (512 MiB, 1 CPU, 128 pids). A directive value
 * out of range fails the job with the field named; nothing is clamped silently. */
#include <stdio.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "tasks/tasks_int.h"

struct limit {
    const char *field; /* in worker_limits and in the entry */
    int64_t min, max;  /* allowed range, in the field's unit */
    int64_t scale;     /* unit -> what the engine takes */
    int64_t dflt;      /* default, in the field's unit */
    bool is_real;      /* cpus: a number with 3 decimals (kept in milli units) */
};

static const struct limit LIMITS[] = {
    {"memory_mb", STORE_IMAGE_MEMORY_MIN_MB, STORE_IMAGE_MEMORY_MAX_MB, 1024 * 1024,
     TASKS_DOCKER_MEMORY_MB, false},
    {"cpus", STORE_IMAGE_CPUS_MIN_MILLI, STORE_IMAGE_CPUS_MAX_MILLI, 1000000,
     TASKS_DOCKER_NANO_CPUS / 1000000, true},
    {"pids_limit", STORE_IMAGE_PIDS_MIN, STORE_IMAGE_PIDS_MAX, 1, TASKS_DOCKER_PIDS, false},
};

/* v in the limit's unit (milli for cpus) into *out; false when v is absent/null. */
static bool value_of(const struct limit *l, const json_t *v, int64_t *out, bool *is_bad)
{
    *is_bad = false;
    if (!v || json_is_null(v))
        return false;
    if (l->is_real && json_is_number(v)) {
        double d = json_number_value(v) * 1000.0;
        *is_bad = !(d >= (double)l->min && d <= (double)l->max);
        *out = *is_bad ? 0 : (int64_t)(d + 0.5);
    } else if (!l->is_real && json_is_integer(v)) {
        *out = json_integer_value(v);
        *is_bad = *out < l->min || *out > l->max;
    } else {
        *is_bad = true;
    }
    return true;
}

/* The worker_limits object of the run's directive snapshot for task, and which directive
 * it came from (its key) in from; NULL when none sets it. *snap holds the parsed text. */
static const json_t *
directive_limits(const struct store_claim *c, json_t **snap, char *from, size_t from_cap)
{
    *snap = NULL;
    if (!c->directive_snapshot || jsonx_parse(c->directive_snapshot, strlen(c->directive_snapshot),
                                              TASKS_RESULT_MAX, snap, NULL) != ERR_OK)
        return NULL;
    const json_t *dirs[] = {*snap, json_object_get(json_object_get(*snap, "defaults"), c->task)};
    for (size_t i = 0; i < 2; i++) {
        const json_t *wl = json_object_get(json_object_get(dirs[i], "config"), "worker_limits");
        if (json_is_object(wl)) {
            const char *key = jsonx_get_str(dirs[i], "key");
            snprintf(from, from_cap, "%s", key ? key : "?");
            return wl;
        }
    }
    return NULL;
}

/* Set g's field for limit l. */
static void set(struct tasks_gate *g, const struct limit *l, int64_t v)
{
    if (strcmp(l->field, "memory_mb") == 0)
        g->memory_bytes = v * l->scale;
    else if (strcmp(l->field, "cpus") == 0)
        g->nano_cpus = v * l->scale;
    else
        g->pids_limit = v * l->scale;
}

enum err tasks_limits_resolve(const struct tasks_job *job,
                              const json_t *entry,
                              struct tasks_gate *g,
                              struct errbuf *eb)
{
    json_t *snap = NULL;
    char from[64] = "";
    const json_t *wl = directive_limits(&job->claim, &snap, from, sizeof(from));
    enum err e = ERR_OK;
    for (size_t i = 0; i < sizeof(LIMITS) / sizeof(LIMITS[0]) && e == ERR_OK; i++) {
        const struct limit *l = &LIMITS[i];
        int64_t ve = 0, vd = 0, v = l->dflt;
        bool bad_e = false, bad_d = false;
        bool has_e = value_of(l, json_object_get(entry, l->field), &ve, &bad_e) && !bad_e;
        bool has_d = value_of(l, json_object_get(wl, l->field), &vd, &bad_d);
        if (bad_d) {
            e = errbuf_set(eb, ERR_INVALID, "directive %s: worker_limits.%s must be %s %lld..%lld",
                           from, l->field, l->is_real ? "a number" : "an integer",
                           (long long)(l->is_real ? l->min / 1000 : l->min),
                           (long long)(l->is_real ? l->max / 1000 : l->max));
            break;
        }
        if (has_d)
            v = has_e && ve < vd ? ve : vd;
        else if (has_e)
            v = ve;
        set(g, l, v);
    }
    json_decref(snap);
    return e;
}
