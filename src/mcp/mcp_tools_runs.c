/* SPDX-License-Identifier: MIT */
/* mcp_tools_runs.c -- the run tools: launch_run (without its wait, mcp_tools_wait.c),
 * get_run, list_runs, get_report, cancel_run. The same store calls and checks as
 * /api/runs/ (store_launch_parse, store_run_*), so both front ends agree. */
#include <stdio.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "mcp/mcp_tools_int.h"

/* Bound of a wait: the job timeout for each task, plus a margin. */
static int64_t wait_bound_ms(const struct mcp_env *env, size_t n_tasks)
{
    int64_t job_ms =
        env->cfg && env->cfg->job_timeout_ms > 0 ? env->cfg->job_timeout_ms : 300 * 1000;
    return job_ms * (int64_t)n_tasks + MCP_WAIT_MARGIN_S * 1000;
}

/* Check launch_run's own arguments and the launch request; fill l and the wait options. */
static enum err launch_args(const json_t *args,
                            const char *tasks[STORE_TASKS_N],
                            struct store_launch *l,
                            bool *do_wait,
                            int64_t *wait_s,
                            struct errbuf *eb)
{
    static const char *const known[] = {"tasks", "directive_id",   "directive_text",
                                        "wait",  "wait_timeout_s", NULL};
    const char *bad = NULL;
    struct errbuf one = {{0}};
    enum err e = mcp_args_known(args, known, eb);
    if (e == ERR_OK)
        e = mcp_arg_bool(args, "wait", false, do_wait, eb);
    if (e == ERR_OK)
        e = mcp_arg_int(args, "wait_timeout_s", false, 1, 7 * 86400, 0, wait_s, eb);
    if (e != ERR_OK)
        return e;
    e = store_launch_parse(args, tasks, l, &bad, &one);
    if (e != ERR_OK)
        return errbuf_set(eb, e, "%s%s%s", bad ? bad : "", bad ? ": " : "", errbuf_get(&one, e));
    return ERR_OK;
}

enum err mcp_tool_launch_run(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    const struct mcp_env *env = c->env;
    const char *tasks[STORE_TASKS_N];
    struct store_launch l = {.lookback_ms = env->cfg ? env->cfg->lookback_s * 1000 : 0};
    bool do_wait = false;
    int64_t wait_s = 0;
    json_t *run = NULL;
    enum err e = launch_args(args, tasks, &l, &do_wait, &wait_s, eb);
    if (e == ERR_OK)
        e = store_run_launch(env->st, &l, &run, eb);
    if (e != ERR_OK)
        return mcp_tool_fail(c, e, eb);
    int64_t run_id = json_integer_value(json_object_get(run, "id"));
    log_info("mcp", "event=run.launch run_id=%lld n_tasks=%zu wait=%d", (long long)run_id,
             l.n_tasks, (int)do_wait);
    if (env->on_launch)
        env->on_launch(env->launch_ctx);
    if (!do_wait) {
        *out = json_pack("{s:o}", "run", run);
        return ERR_OK;
    }
    size_t n_jobs = json_array_size(json_object_get(run, "jobs"));
    json_decref(run);
    int64_t bound = wait_bound_ms(env, l.n_tasks);
    if (wait_s > 0 && wait_s * 1000 < bound)
        bound = wait_s * 1000;
    e = mcp_run_wait(c, run_id, n_jobs, bound, out, text, eb);
    return e == ERR_OK ? e : mcp_tool_fail(c, e, eb);
}

/* Read the required positive run_id of args that holds only the keys in known. */
static enum err
run_id_arg(const json_t *args, const char *const *known, int64_t *id, struct errbuf *eb)
{
    enum err e = mcp_args_known(args, known, eb);
    return e != ERR_OK ? e : mcp_arg_int(args, "run_id", true, 1, INT64_MAX, 0, id, eb);
}

/* A store call on one run id (store_run_get, store_run_cancel). */
typedef enum err run_fn(struct store *st, int64_t id, json_t **out, struct errbuf *eb);

/* Answer fn on args' run_id (the only argument); *id gets it. */
static enum err on_run(struct mcp_call *c,
                       const json_t *args,
                       run_fn *fn,
                       int64_t *id,
                       json_t **out,
                       struct errbuf *eb)
{
    static const char *const known[] = {"run_id", NULL};
    enum err e = run_id_arg(args, known, id, eb);
    if (e == ERR_OK)
        e = fn(c->env->st, *id, out, eb);
    return e == ERR_OK ? e : mcp_tool_fail(c, e, eb);
}

enum err mcp_tool_get_run(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    int64_t id = 0;
    (void)text;
    return on_run(c, args, store_run_get, &id, out, eb);
}

enum err mcp_tool_cancel_run(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    int64_t id = 0;
    (void)text;
    enum err e = on_run(c, args, store_run_cancel, &id, out, eb);
    if (e != ERR_OK)
        return e;
    log_info("mcp", "event=run.cancel run_id=%lld", (long long)id);
    if (c->env->on_launch)
        c->env->on_launch(c->env->launch_ctx);
    return ERR_OK;
}

/* Read list_runs' filters: status (a run state) and task (a name or an alias). */
static enum err
runs_filter(const json_t *args, struct store_run_filter *f, char filter[64], struct errbuf *eb)
{
    static const char *const known[] = {"status", "task", "cursor", "limit", NULL};
    const char *task = NULL;
    enum err e = mcp_args_known(args, known, eb);
    if (e == ERR_OK)
        e = mcp_arg_str(args, "status", 32, &f->status, eb);
    if (e == ERR_OK)
        e = mcp_arg_str(args, "task", 32, &task, eb);
    if (e == ERR_OK)
        e = mcp_arg_int(args, "limit", false, 1, MCP_PAGE_MAX, MCP_PAGE_DEFAULT, &f->limit, eb);
    if (e != ERR_OK)
        return e;
    if (f->status && !store_run_status_ok(f->status))
        return errbuf_set(eb, ERR_INVALID,
                          "status: give queued, running, success, partial, failed or cancelled");
    f->task = task ? store_task_canonical(task) : NULL;
    if (task && !f->task)
        return store_task_unknown(task, eb);
    snprintf(filter, 64, "%s|%s", f->status ? f->status : "", f->task ? f->task : "");
    return ERR_OK;
}

enum err mcp_tool_list_runs(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    struct store_run_filter f = {0};
    struct mcp_pos pos = {0, 0};
    const char *cursor = NULL;
    char filter[64];
    json_t *runs = NULL;
    int64_t count = 0;
    (void)text;
    enum err e = runs_filter(args, &f, filter, eb);
    if (e == ERR_OK)
        e = mcp_arg_str(args, "cursor", MCP_CURSOR_MAX, &cursor, eb);
    if (e == ERR_OK)
        e = mcp_cursor_parse(cursor, "runs", filter, &pos, eb);
    f.offset = pos.offset;
    f.max_id = pos.max_id;
    if (e == ERR_OK)
        e = store_run_list(c->env->st, &f, &runs, &count, eb);
    if (e != ERR_OK)
        return mcp_tool_fail(c, e, eb);
    /* Later pages read the list as it was now: runs launched meanwhile do not shift it. */
    if (!pos.max_id)
        pos.max_id = json_integer_value(json_object_get(json_array_get(runs, 0), "id"));
    pos.offset += (int64_t)json_array_size(runs);
    *out = json_pack("{s:o,s:I}", "runs", runs, "count", (json_int_t)count);
    char *cur = pos.offset < count && json_array_size(runs) > 0
                    ? mcp_cursor_new("runs", &pos, filter)
                    : NULL;
    json_object_set_new(*out, "next_cursor", cur ? json_string(cur) : json_null());
    xfree(cur);
    return ERR_OK;
}

enum err mcp_tool_get_report(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    static const char *const known[] = {"run_id", "format", NULL};
    const char *format = NULL;
    int64_t id = 0;
    json_t *rep = NULL;
    enum err e = run_id_arg(args, known, &id, eb);
    if (e == ERR_OK)
        e = mcp_arg_str(args, "format", 16, &format, eb);
    if (e == ERR_OK && format && strcmp(format, "markdown") != 0 && strcmp(format, "json") != 0)
        e = errbuf_set(eb, ERR_INVALID, "format: give markdown or json");
    if (e == ERR_OK)
        e = store_run_report_get(c->env->st, id, &rep, eb);
    if (e == ERR_OK && !jsonx_get_str(rep, "markdown"))
        e = errbuf_set(eb, ERR_NOT_FOUND, "run %lld has no report yet (status %s)", (long long)id,
                       jsonx_get_str(rep, "status"));
    if (e != ERR_OK) {
        json_decref(rep);
        return mcp_tool_fail(c, e, eb);
    }
    bool is_md = !format || strcmp(format, "markdown") == 0;
    *out = json_pack("{s:I,s:O,s:s,s:O}", "run_id", (json_int_t)id, "status",
                     json_object_get(rep, "status"), "format", is_md ? "markdown" : "json",
                     "token_totals", json_object_get(rep, "token_totals"));
    if (is_md) {
        json_object_set(*out, "markdown", json_object_get(rep, "markdown"));
        *text = xstrdup(jsonx_get_str(rep, "markdown"));
    } else {
        json_t *j = json_object_get(rep, "json");
        json_object_set(*out, "report", j ? j : json_null());
    }
    json_decref(rep);
    return ERR_OK;
}
