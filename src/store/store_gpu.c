/* SPDX-License-Identifier: MIT */
/* store_gpu.c -- gpu_report's history: the numbers of each successful job's sample, per GPU
 * and per (GPU, container), written with the job's end; read back as pages filtered by
 * time, as the newest sample, and as per-GPU peaks over a window (capacity planning).
 *
 * Only numbers, the GPU's uuid and index, and the container's stored (redacted) name or
 * "other" are kept: no process ids, names, or anything else the worker reported. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "store/store_int.h"

#define GPU_COLS                                                                               \
    "id, run_id, job_id, sampled_at, gpu_index, gpu_uuid, memory_total_mib, memory_used_mib, " \
    "utilization_gpu_pct, utilization_memory_pct, temperature_c, temperature_margin_c, "       \
    "power_draw_w, power_limit_w"
#define CONT_COLS                                                            \
    "id, run_id, job_id, sampled_at, gpu_uuid, container, used_memory_mib, " \
    "utilization_gpu_pct, utilization_estimated, processes"
#define NAME_MAX_ 200

/* An integer member as a parameter (NULL when absent or not an integer). */
static struct db_param p_int(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? DB_I(json_integer_value(v)) : DB_N;
}

/* A number member as a text parameter the column converts (NULL when not a number). */
static struct db_param p_real(const json_t *o, const char *key, char *tmp, size_t cap)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        return DB_N;
    snprintf(tmp, cap, "%.3f", json_number_value(v));
    return DB_S(tmp);
}

static enum err save_gpu(struct db *db,
                         int64_t run_id,
                         int64_t job_id,
                         const char *at,
                         const json_t *g,
                         struct errbuf *eb)
{
    char pw[32], pl[32];
    const char *uuid = jsonx_get_str(g, "uuid");
    if (!json_is_integer(json_object_get(g, "index")))
        return ERR_OK; /* not a GPU row the worker could number: nothing to key it by */
    struct db_param p[] = {DB_I(run_id),
                           DB_I(job_id),
                           DB_S(at),
                           p_int(g, "index"),
                           DB_S(uuid ? uuid : ""),
                           p_int(g, "memory_total_mib"),
                           p_int(g, "memory_used_mib"),
                           p_int(g, "utilization_gpu_pct"),
                           p_int(g, "utilization_memory_pct"),
                           p_int(g, "temperature_c"),
                           p_int(g, "temperature_margin_c"),
                           p_real(g, "power_draw_w", pw, sizeof(pw)),
                           p_real(g, "power_limit_w", pl, sizeof(pl))};
    return db_exec(db,
                   "INSERT INTO gpu_samples (run_id, job_id, sampled_at, gpu_index, gpu_uuid, "
                   "memory_total_mib, memory_used_mib, utilization_gpu_pct, "
                   "utilization_memory_pct, temperature_c, temperature_margin_c, power_draw_w, "
                   "power_limit_w) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                   p, sizeof(p) / sizeof(p[0]), NULL, eb);
}

static enum err save_container(struct db *db,
                               int64_t run_id,
                               int64_t job_id,
                               const char *at,
                               const json_t *c,
                               struct errbuf *eb)
{
    const char *uuid = jsonx_get_str(c, "gpu_uuid"), *name = jsonx_get_str(c, "container");
    char cut[NAME_MAX_ + 1];
    snprintf(cut, sizeof(cut), "%s", name ? name : "other");
    struct db_param p[] = {DB_I(run_id),
                           DB_I(job_id),
                           DB_S(at),
                           DB_S(uuid ? uuid : ""),
                           DB_S(cut),
                           p_int(c, "used_memory_mib"),
                           p_int(c, "utilization_gpu_pct"),
                           DB_I(json_is_false(json_object_get(c, "utilization_estimated")) ? 0 : 1),
                           p_int(c, "processes")};
    return db_exec(db,
                   "INSERT INTO gpu_container_samples (run_id, job_id, sampled_at, gpu_uuid, "
                   "container, used_memory_mib, utilization_gpu_pct, utilization_estimated, "
                   "processes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, COALESCE($9, 0))",
                   p, sizeof(p) / sizeof(p[0]), NULL, eb);
}

enum err store_gpu_save_tx(
    struct db *db, int64_t run_id, int64_t job_id, const json_t *sample, struct errbuf *eb)
{
    char at[CLOCK_ISO_LEN];
    int64_t ms = 0;
    const char *s = jsonx_get_str(sample, "sampled_at");
    size_t i;
    const json_t *g;
    enum err e = ERR_OK;
    /* The stored form of the time, so text order is time order. */
    if (s && clock_iso_parse(s, &ms))
        clock_iso_from_ms(ms, at);
    else
        clock_now_iso(at);
    json_array_foreach(json_object_get(sample, "gpus"), i, g)
    {
        if (e != ERR_OK || i >= STORE_GPU_ROWS_MAX)
            break;
        e = save_gpu(db, run_id, job_id, at, g, eb);
    }
    json_array_foreach(json_object_get(sample, "containers"), i, g)
    {
        if (e != ERR_OK || i >= STORE_GPU_ROWS_MAX)
            break;
        e = save_container(db, run_id, job_id, at, g, eb);
    }
    return e;
}

/* The WHERE clause and parameters of filter f into p (from n); returns the new count. */
static size_t where(const struct store_gpu_filter *f,
                    const char *key_col,
                    struct db_param *p,
                    size_t n,
                    char *sql,
                    size_t cap,
                    char *from,
                    char *to)
{
    int64_t ms = 0;
    size_t len = 0;
    sql[0] = '\0';
    if (f->from && clock_iso_parse(f->from, &ms)) {
        clock_iso_from_ms(ms, from);
        p[n++] = DB_S(from);
        len += (size_t)snprintf(sql + len, cap - len, " WHERE sampled_at >= $%zu", n);
    }
    if (f->to && clock_iso_parse(f->to, &ms)) {
        clock_iso_from_ms(ms, to);
        p[n++] = DB_S(to);
        len += (size_t)snprintf(sql + len, cap - len, "%s sampled_at < $%zu",
                                len ? " AND" : " WHERE", n);
    }
    if (f->key) {
        p[n++] = DB_S(f->key);
        snprintf(sql + len, cap - len, "%s %s = $%zu", len ? " AND" : " WHERE", key_col, n);
    }
    return n;
}

static enum err list(struct store *st,
                     const struct store_gpu_filter *f,
                     bool is_containers,
                     json_t **results,
                     int64_t *count,
                     struct errbuf *eb)
{
    char w[200], sql[600], from[CLOCK_ISO_LEN], to[CLOCK_ISO_LEN];
    struct db_param p[5];
    const char *table = is_containers ? "gpu_container_samples" : "gpu_samples";
    size_t n = where(f, is_containers ? "container" : "gpu_uuid", p, 0, w, sizeof(w), from, to);
    *results = NULL;
    *count = 0;
    struct db *db = store_db_get(st);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) AS n FROM %s%s", table, w);
    enum err e = db_query_int(db, sql, p, n, "n", count, eb);
    snprintf(sql, sizeof(sql),
             "SELECT %s FROM %s%s ORDER BY sampled_at DESC, id DESC LIMIT $%zu OFFSET $%zu",
             is_containers ? CONT_COLS : GPU_COLS, table, w, n + 1, n + 2);
    p[n] = DB_I(f->limit);
    p[n + 1] = DB_I(f->offset);
    if (e == ERR_OK)
        e = db_query(db, sql, p, n + 2, results, eb);
    store_db_put(st, db);
    size_t i;
    json_t *r;
    if (is_containers)
        json_array_foreach(*results, i, r) json_object_set_new(
            r, "utilization_estimated", json_boolean(row_int(r, "utilization_estimated") != 0));
    return e;
}

enum err store_gpu_list(struct store *st,
                        const struct store_gpu_filter *f,
                        json_t **results,
                        int64_t *count,
                        struct errbuf *eb)
{
    return list(st, f, false, results, count, eb);
}

enum err store_gpu_container_list(struct store *st,
                                  const struct store_gpu_filter *f,
                                  json_t **results,
                                  int64_t *count,
                                  struct errbuf *eb)
{
    return list(st, f, true, results, count, eb);
}

enum err store_gpu_latest(struct store *st, json_t **out, struct errbuf *eb)
{
    json_t *gpus = NULL, *conts = NULL;
    int64_t job_id = 0;
    *out = NULL;
    struct db *db = store_db_get(st);
    enum err e = db_query_int(db,
                              "SELECT job_id FROM gpu_samples ORDER BY sampled_at DESC, id DESC "
                              "LIMIT 1",
                              NULL, 0, "job_id", &job_id, eb);
    struct db_param p[] = {DB_I(job_id)};
    if (e == ERR_OK && job_id > 0)
        e = db_query(db,
                     "SELECT " GPU_COLS " FROM gpu_samples WHERE job_id = $1 ORDER BY gpu_index", p,
                     1, &gpus, eb);
    if (e == ERR_OK && job_id > 0)
        e = db_query(db,
                     "SELECT " CONT_COLS " FROM gpu_container_samples WHERE job_id = $1 "
                     "ORDER BY gpu_uuid, container",
                     p, 1, &conts, eb);
    store_db_put(st, db);
    if (e == ERR_OK && job_id > 0) {
        json_t *g0 = json_array_get(gpus, 0);
        size_t i;
        json_t *r;
        json_array_foreach(conts, i, r) json_object_set_new(
            r, "utilization_estimated", json_boolean(row_int(r, "utilization_estimated") != 0));
        *out = json_pack("{s:I,s:O?,s:O?,s:O?,s:O?}", "job_id", (json_int_t)job_id, "run_id",
                         json_object_get(g0, "run_id"), "sampled_at",
                         json_object_get(g0, "sampled_at"), "gpus", gpus, "containers", conts);
    }
    json_decref(gpus);
    json_decref(conts);
    return e;
}

enum err store_gpu_peaks(struct store *st, const char *since, json_t **out, struct errbuf *eb)
{
    struct db *db = store_db_get(st);
    enum err e = db_query(db,
                          "SELECT gpu_uuid, MAX(memory_used_mib) AS peak_used_mib, "
                          "MAX(temperature_c) AS peak_temperature_c, "
                          "MAX(power_draw_w) AS peak_power_draw_w, COUNT(*) AS samples, "
                          "MIN(sampled_at) AS first_at FROM gpu_samples WHERE sampled_at >= $1 "
                          "GROUP BY gpu_uuid ORDER BY gpu_uuid",
                          (struct db_param[]){DB_S(since)}, 1, out, eb);
    store_db_put(st, db);
    return e;
}
