/* SPDX-License-Identifier: MIT */
/* store_llm.c -- LLM calls: token counts only (no prompt, no answer: the table has no
 * column for them), their list and the token-usage aggregates. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/xalloc.h"
#include "store/store_int.h"

#define LLM_COLS                                                                         \
    "id, run_id, job_id, directive_id, task, model, endpoint_host, api, prompt_tokens, " \
    "completion_tokens, total_tokens, duration_ms, status, created_at"

bool store_llm_status_ok(const char *status)
{
    static const char *const ok[] = {"success", "error", "refused", "cancelled"};
    for (size_t i = 0; status && i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strcmp(status, ok[i]) == 0)
            return true;
    return false;
}

static struct db_param count_param(int64_t v)
{
    return v >= 0 ? DB_I(v) : DB_N;
}

enum err
store_llm_call_add(struct store *st, const struct store_llm_call *c, int64_t *id, struct errbuf *eb)
{
    if (!store_llm_status_ok(c->status) || !c->model)
        return errbuf_set(eb, ERR_INVALID, "an LLM call needs a model and a known status");
    if (c->api && strcmp(c->api, "openai") != 0 && strcmp(c->api, "ollama") != 0)
        return errbuf_set(eb, ERR_INVALID, "unknown LLM api");
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now);
    char *task = store_str_cut(c->task, 64), *model = store_str_cut(c->model, 128);
    char *host = store_str_cut(c->endpoint_host, 255);
    struct db_param p[] = {c->run_id > 0 ? DB_I(c->run_id) : DB_N,
                           c->job_id > 0 ? DB_I(c->job_id) : DB_N,
                           c->directive_id > 0 ? DB_I(c->directive_id) : DB_N,
                           DB_S(task),
                           DB_S(model),
                           DB_S(host),
                           DB_S(c->api),
                           count_param(c->prompt_tokens),
                           count_param(c->completion_tokens),
                           count_param(c->total_tokens),
                           c->duration_ms >= 0 ? DB_I(c->duration_ms) : DB_N,
                           DB_S(c->status),
                           DB_S(now)};
    struct db *db = store_db_get(st);
    json_t *row = NULL;
    enum err e = db_query_one(db,
                              "INSERT INTO llm_calls (run_id, job_id, directive_id, task, model, "
                              "endpoint_host, api, prompt_tokens, completion_tokens, "
                              "total_tokens, duration_ms, status, created_at) VALUES ($1, $2, "
                              "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                              p, 13, &row, eb);
    store_db_put(st, db);
    if (e == ERR_OK && id)
        *id = row_int(row, "id");
    json_decref(row);
    xfree(task);
    xfree(model);
    xfree(host);
    return e;
}

enum err store_llm_call_list(struct store *st,
                             int64_t run_id,
                             int64_t offset,
                             int64_t limit,
                             json_t **results,
                             int64_t *count,
                             struct errbuf *eb)
{
    *results = NULL;
    *count = 0;
    struct db_param p[3];
    size_t n = 0;
    if (run_id > 0)
        p[n++] = DB_I(run_id);
    const char *where = run_id > 0 ? " WHERE run_id = $1" : "";
    char sql[512];
    struct db *db = store_db_get(st);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) AS n FROM llm_calls%s", where);
    enum err e = db_query_int(db, sql, p, n, "n", count, eb);
    snprintf(sql, sizeof(sql),
             "SELECT " LLM_COLS " FROM llm_calls%s ORDER BY id DESC LIMIT $%zu OFFSET $%zu", where,
             n + 1, n + 2);
    p[n] = DB_I(limit);
    p[n + 1] = DB_I(offset);
    if (e == ERR_OK)
        e = db_query(db, sql, p, n + 2, results, eb);
    store_db_put(st, db);
    return e;
}

/* The grouping column of each "by" (a fixed table: nothing of the client reaches the SQL). */
static const char *const usage_by[][2] = {{"model", "model"},
                                          {"task", "task"},
                                          {"directive", "directive_id"},
                                          {"day", "substr(created_at, 1, 10)"}};

bool store_llm_usage_by_ok(const char *by)
{
    for (size_t i = 0; by && i < sizeof(usage_by) / sizeof(usage_by[0]); i++)
        if (strcmp(by, usage_by[i][0]) == 0)
            return true;
    return false;
}

enum err store_llm_usage(struct store *st,
                         const char *by,
                         const char *since,
                         int64_t offset,
                         int64_t limit,
                         json_t **results,
                         int64_t *count,
                         struct errbuf *eb)
{
    *results = NULL;
    *count = 0;
    const char *col = NULL;
    for (size_t i = 0; by && i < sizeof(usage_by) / sizeof(usage_by[0]); i++)
        if (strcmp(by, usage_by[i][0]) == 0)
            col = usage_by[i][1];
    if (!col)
        return errbuf_set(eb, ERR_INVALID, "by must be model, task, directive or day");
    const char *key = strcmp(by, "directive") == 0 ? "directive_id" : by;
    char sql[1024];
    struct db *db = store_db_get(st);
    /* Groups, a NULL group (calls of no task or directive) included. */
    struct db_param p[] = {DB_S(since), DB_I(limit), DB_I(offset)};
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) AS n FROM (SELECT %s AS k FROM llm_calls %s GROUP BY %s) g", col,
             since ? "WHERE created_at >= $1" : "", col);
    enum err e = db_query_int(db, sql, since ? p : NULL, since ? 1 : 0, "n", count, eb);
    snprintf(sql, sizeof(sql),
             "SELECT %s AS %s, COUNT(*) AS calls, COUNT(total_tokens) AS calls_with_counts, "
             "CAST(SUM(prompt_tokens) AS BIGINT) AS prompt_tokens, "
             "CAST(SUM(completion_tokens) AS BIGINT) AS completion_tokens, "
             "CAST(SUM(total_tokens) AS BIGINT) AS total_tokens FROM llm_calls %s "
             "GROUP BY %s ORDER BY %s LIMIT $%d OFFSET $%d",
             col, key, since ? "WHERE created_at >= $1" : "", col, col, since ? 2 : 1,
             since ? 3 : 2);
    if (e == ERR_OK)
        e = db_query(db, sql, since ? p : p + 1, since ? 3 : 2, results, eb);
    store_db_put(st, db);
    return e;
}
