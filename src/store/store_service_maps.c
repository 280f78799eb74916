/* SPDX-License-Identifier: MIT */
/* store_service_maps.c -- one service map per successful service_map job: the checked graph,
 * its analysis and its SVG.
 *
 * The store keeps what it is given, within its caps; checking the graph (svcmap_check),
 * redacting it and laying it out is the caller's job (tasks_svcmap.c). */
#include <string.h>

#include "core/clock.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "store/store.h"
#include "store/store_int.h"

#define MAP_COLS "id, run_id, job_id, created_at, node_count, edge_count"

enum err store_service_map_add(struct store *st,
                               const struct store_service_map *m,
                               int64_t *id,
                               struct errbuf *eb)
{
    char now[CLOCK_ISO_LEN];
    json_t *row = NULL;
    *id = 0;
    if (m->run_id <= 0 || m->job_id <= 0 || !m->graph || !m->analysis)
        return errbuf_set(eb, ERR_INVALID, "a service map needs its run, job, graph and analysis");
    if (strlen(m->graph) + strlen(m->analysis) > STORE_SERVICE_MAP_MAX ||
        (m->svg && strlen(m->svg) > STORE_SERVICE_MAP_MAX))
        return errbuf_set(eb, ERR_TOO_LARGE, "a service map is larger than %d MiB",
                          STORE_SERVICE_MAP_MAX / (1024 * 1024));
    clock_now_iso(now);
    struct db_param p[] = {
        DB_I(m->run_id),     DB_I(m->job_id), DB_S(now),         DB_I(m->node_count),
        DB_I(m->edge_count), DB_S(m->graph),  DB_S(m->analysis), m->svg ? DB_S(m->svg) : DB_N};
    struct db *db = store_db_get(st);
    enum err e = db_query_one(db,
                              "INSERT INTO service_maps (run_id, job_id, created_at, node_count, "
                              "edge_count, graph, analysis, svg) VALUES ($1, $2, $3, $4, $5, $6, "
                              "$7, $8) RETURNING id",
                              p, 8, &row, eb);
    store_db_put(st, db);
    if (e == ERR_OK)
        *id = row_int(row, "id");
    json_decref(row);
    return e;
}

enum err store_service_map_latest(struct store *st, json_t **out, struct errbuf *eb)
{
    struct db *db = store_db_get(st);
    enum err e = db_query_one(db,
                              "SELECT " MAP_COLS ", graph, analysis FROM service_maps "
                              "ORDER BY id DESC LIMIT 1",
                              NULL, 0, out, eb);
    store_db_put(st, db);
    if (e == ERR_OK && !*out)
        return errbuf_set(eb, ERR_NOT_FOUND, "no service map has been made yet");
    if (e == ERR_OK) {
        row_parse_json(*out, "graph");
        row_parse_json(*out, "analysis");
    }
    return e;
}

enum err store_service_map_latest_svg(struct store *st, char **svg, struct errbuf *eb)
{
    json_t *row = NULL;
    *svg = NULL;
    struct db *db = store_db_get(st);
    enum err e = db_query_one(db, "SELECT id, svg FROM service_maps ORDER BY id DESC LIMIT 1", NULL,
                              0, &row, eb);
    store_db_put(st, db);
    if (e == ERR_OK && !row)
        e = errbuf_set(eb, ERR_NOT_FOUND, "no service map has been made yet");
    else if (e == ERR_OK && !jsonx_get_str(row, "svg"))
        e = errbuf_set(eb, ERR_NOT_FOUND, "the latest service map has no SVG (its layout failed)");
    if (e == ERR_OK)
        *svg = xstrdup(jsonx_get_str(row, "svg"));
    json_decref(row);
    return e;
}
