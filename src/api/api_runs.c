/* SPDX-License-Identifier: MIT */
/* api_runs.c -- /api/runs/: launch, list, get, report (JSON, and its Markdown as sanitised
 * HTML for the web UI), jobs, cancel, since-last-success and the SSE event stream of a run. */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "markdown/markdown.h"

#define RUNS_LIST_MAX_BYTES (256u * 1024 * 1024) /* 200 runs with 64 KiB directives escaped */
#define REPORT_HTML_MAX     (16u * 1024 * 1024)  /* bytes of a report rendered as HTML */

/* The rendered report is read by the web UI and may be opened on its own: no script, style,
 * plugin, form or frame of any origin, and no framing of it. */
static const char report_csp[] = "default-src 'none'; img-src 'self' data:; base-uri 'none'; "
                                 "form-action 'none'; frame-ancestors 'none'; sandbox";

static bool is_final_state(const char *s)
{
    return s && store_run_status_ok(s) && strcmp(s, "queued") != 0 && strcmp(s, "running") != 0;
}

static void reply_unknown_task(struct http_resp *resp, const char *field, const char *name)
{
    struct errbuf eb = {{0}};
    enum err e = store_task_unknown(name, &eb);
    http_reply_field_error(resp, field, errbuf_get(&eb, e));
}

void api_runs_launch(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *body = NULL, *run = NULL;
    const char *tasks[STORE_TASKS_N], *bad = NULL;
    struct store_launch l = {.lookback_ms = a->ctx.cfg->lookback_s * 1000};
    if (!api_body_object(a, req, resp, &body))
        goto out;
    enum err e = store_launch_parse(body, tasks, &l, &bad, &eb);
    if (e != ERR_OK) {
        if (bad)
            http_reply_field_error(resp, bad, errbuf_get(&eb, e));
        else
            http_reply_error(resp, e, errbuf_get(&eb, e));
        goto out;
    }
    e = store_run_launch(a->ctx.st, &l, &run, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        goto out;
    }
    log_info("api", "event=run.launch run_id=%lld n_tasks=%zu",
             (long long)json_integer_value(json_object_get(run, "id")), l.n_tasks);
    if (a->ctx.on_launch)
        a->ctx.on_launch(a->ctx.launch_ctx);
    http_reply_json(resp, 201, run);
    run = NULL;
out:
    json_decref(body);
    json_decref(run);
}

void api_runs_list(void *app, struct http_req *req, struct http_resp *resp)
{
    static const char *const keep[] = {"status", "task", NULL};
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    struct api_page pg;
    const char *status = NULL, *task = NULL;
    struct buf results;
    int64_t count = 0;
    if (!api_page_parse(req, resp, &pg) || !api_query_get(req, resp, "status", &status) ||
        !api_query_get(req, resp, "task", &task))
        return;
    if (status && !store_run_status_ok(status)) {
        char q[40], msg[128];
        err_quote_user(q, sizeof(q), status);
        snprintf(msg, sizeof(msg), "Select a valid choice. '%s' is not one of the choices.", q);
        http_reply_field_error(resp, "status", msg);
        return;
    }
    const char *canon = task ? store_task_canonical(task) : NULL;
    if (task && !canon) {
        reply_unknown_task(resp, "task", task);
        return;
    }
    struct store_run_filter f = {.status = status,
                                 .task = canon,
                                 .offset = (pg.page - 1) * pg.page_size,
                                 .limit = pg.page_size};
    /* The hot list: rows go straight to JSON text (same body as store_run_list's). */
    buf_init(&results, RUNS_LIST_MAX_BYTES);
    /* About 1 KiB a run: one allocation instead of a chain of doublings; the first
     * API_PAGE_HEAD_ROOM bytes are room for the envelope. */
    buf_reserve(&results, API_PAGE_HEAD_ROOM + (size_t)pg.page_size * 1024);
    for (size_t i = 0; i < API_PAGE_HEAD_ROOM; i += 64)
        buf_append(&results, "                                                                ",
                   64);
    enum err e = store_run_list_text(a->ctx.st, &f, &results, &count, &eb);
    if (e != ERR_OK)
        api_reply_err(resp, e, &eb);
    else
        api_page_reply_text(req, resp, "/api/runs/", keep, &pg, count, &results,
                            API_PAGE_HEAD_ROOM);
    buf_fini(&results);
}

void api_runs_get(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *run = NULL;
    enum err e = store_run_get(a->ctx.st, req->ids[0], &run, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    http_reply_json(resp, 200, run);
}

void api_runs_report(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *rep = NULL;
    enum err e = store_run_report_get(a->ctx.st, req->ids[0], &rep, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    http_reply_json(resp, 200, rep);
}

void api_runs_report_html(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *rep = NULL;
    struct buf html;
    buf_init(&html, REPORT_HTML_MAX);
    enum err e = store_run_report_get(a->ctx.st, req->ids[0], &rep, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        goto out;
    }
    const char *md = jsonx_get_str(rep, "markdown");
    if (!md) {
        char msg[96];
        snprintf(msg, sizeof(msg), "The run has no report yet (it is %s).",
                 jsonx_get_str(rep, "status") ? jsonx_get_str(rep, "status") : "unknown");
        http_reply_error(resp, ERR_CONFLICT, msg);
        goto out;
    }
    e = markdown_render_html(md, strlen(md), &html, &eb);
    if (e != ERR_OK) {
        log_warn("api", "event=report.render_refused run_id=%lld md_bytes=%zu",
                 (long long)req->ids[0], strlen(md));
        http_reply_error(resp, e, errbuf_get(&eb, e));
        goto out;
    }
    http_reply_text(resp, 200, "text/html; charset=utf-8", buf_str(&html), buf_len(&html));
    http_resp_header_add(resp, "Content-Security-Policy", report_csp);
    http_resp_header_add(resp, "X-Content-Type-Options", "nosniff");
    http_resp_header_add(resp, "Referrer-Policy", "no-referrer");
    http_resp_header_add(resp, "Cache-Control", "no-store");
out:
    buf_fini(&html);
    json_decref(rep);
}

void api_runs_jobs(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    struct api_page pg;
    json_t *run = NULL, *results = NULL;
    int64_t count = 0;
    char base[64];
    if (!api_page_parse(req, resp, &pg))
        return;
    enum err e = store_run_get(a->ctx.st, req->ids[0], &run, &eb);
    json_decref(run);
    if (e == ERR_OK)
        e = store_job_list(a->ctx.st, req->ids[0], (pg.page - 1) * pg.page_size, pg.page_size,
                           &results, &count, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    snprintf(base, sizeof(base), "/api/runs/%lld/jobs/", (long long)req->ids[0]);
    api_page_reply(req, resp, base, NULL, &pg, count, results);
}

void api_runs_cancel(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *run = NULL;
    enum err e = store_run_cancel(a->ctx.st, req->ids[0], &run, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    log_info("api", "event=run.cancel run_id=%lld", (long long)req->ids[0]);
    if (a->ctx.on_launch)
        a->ctx.on_launch(a->ctx.launch_ctx);
    http_reply_json(resp, 200, run);
}

void api_runs_since(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    const char *task = NULL;
    json_t *out = NULL;
    if (!api_query_get(req, resp, "task", &task))
        return;
    if (!task || !task[0]) {
        http_reply_field_error(resp, "task", "This query parameter is required.");
        return;
    }
    const char *canon = store_task_canonical(task);
    if (!canon) {
        reply_unknown_task(resp, "task", task);
        return;
    }
    enum err e = store_run_last_success(a->ctx.st, canon, &out, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    http_reply_json(resp, 200, out);
}

void api_runs_events(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *run = NULL;
    char *end = NULL;
    int64_t after = 0;
    enum err e = store_run_get(a->ctx.st, req->ids[0], &run, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    const char *last = http_req_header(req, "Last-Event-ID");
    if (last && http_parse_int64(last, 0, INT64_MAX, &after) != ERR_OK)
        after = 0;
    struct events_sub *sub =
        a->ctx.ev ? events_subscribe(a->ctx.ev, req->ids[0], (uint64_t)after) : NULL;
    if (!sub) {
        json_decref(run);
        http_reply_error(resp, ERR_UNAVAILABLE, "Too many event streams; try again later.");
        return;
    }
    const char *status = jsonx_get_str(run, "status");
    bool is_ended = is_final_state(status);
    if (is_ended) {
        json_t *d = json_pack("{s:I,s:s}", "run_id", (json_int_t)req->ids[0], "status", status);
        end = jsonx_dumps(d);
        json_decref(d);
    }
    http_reply_sse_take(resp, req, sub, is_ended, end);
    json_decref(run);
    xfree(end);
}
