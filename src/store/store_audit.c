/* SPDX-License-Identifier: MIT */
/* store_audit.c -- the worker audit trail: spawn, deny, deadline_kill, exit, remove and
 * reconcile rows, and llm_refused (the LLM locality check); never env, tokens or prompts (only the
 * columns below exist). */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/xalloc.h"
#include "store/store_int.h"

#define AUDIT_IMAGE_MAX     512
#define AUDIT_CONTAINER_MAX 128
#define AUDIT_REASON_MAX    1024
#define AUDIT_COLS          "id, ts, action, image, container_id, run_id, job_id, reason"

static const char *const actions[] = {"spawn",  "deny",      "deadline_kill", "exit",
                                      "remove", "reconcile", "llm_refused"};

bool store_audit_action_ok(const char *action)
{
    for (size_t i = 0; action && i < sizeof(actions) / sizeof(actions[0]); i++)
        if (strcmp(action, actions[i]) == 0)
            return true;
    return false;
}

enum err store_audit_add(struct store *st,
                         const char *action,
                         const char *image,
                         const char *container_id,
                         int64_t run_id,
                         int64_t job_id,
                         const char *reason,
                         struct errbuf *eb)
{
    if (!store_audit_action_ok(action))
        return errbuf_set(eb, ERR_INVALID, "unknown audit action");
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now);
    char *img = store_str_cut(image, AUDIT_IMAGE_MAX);
    char *cid = store_str_cut(container_id, AUDIT_CONTAINER_MAX);
    char *why = store_str_cut(reason, AUDIT_REASON_MAX);
    struct db_param p[] = {DB_S(now),
                           DB_S(action),
                           DB_S(img),
                           DB_S(cid),
                           run_id > 0 ? DB_I(run_id) : DB_N,
                           job_id > 0 ? DB_I(job_id) : DB_N,
                           DB_S(why)};
    struct db *db = store_db_get(st);
    enum err e = db_exec(db,
                         "INSERT INTO worker_audit (ts, action, image, container_id, run_id, "
                         "job_id, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                         p, 7, NULL, eb);
    store_db_put(st, db);
    xfree(img);
    xfree(cid);
    xfree(why);
    return e;
}

/* The WHERE clauses for the four filter combinations ($1.. numbered in use order). */
static const char *const wheres[4] = {"", " WHERE action = $1", " WHERE run_id = $1",
                                      " WHERE action = $1 AND run_id = $2"};

enum err store_audit_list(struct store *st,
                          const char *action,
                          int64_t run_id,
                          int64_t offset,
                          int64_t limit,
                          json_t **results,
                          int64_t *count,
                          struct errbuf *eb)
{
    *results = NULL;
    *count = 0;
    struct db_param p[4];
    size_t n = 0;
    if (action)
        p[n++] = DB_S(action);
    if (run_id > 0)
        p[n++] = DB_I(run_id);
    const char *where = wheres[(action ? 1 : 0) + (run_id > 0 ? 2 : 0)];
    char sql[256];
    struct db *db = store_db_get(st);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) AS n FROM worker_audit%s", where);
    enum err e = db_query_int(db, sql, p, n, "n", count, eb);
    snprintf(sql, sizeof(sql),
             "SELECT " AUDIT_COLS " FROM worker_audit%s ORDER BY id DESC "
             "LIMIT $%zu OFFSET $%zu",
             where, n + 1, n + 2);
    p[n] = DB_I(limit);
    p[n + 1] = DB_I(offset);
    if (e == ERR_OK)
        e = db_query(db, sql, p, n + 2, results, eb);
    store_db_put(st, db);
    return e;
}
