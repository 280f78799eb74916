/* SPDX-License-Identifier: MIT */
/* api_llm.c -- GET /api/runs/{id}/explain/ (a local LLM explains a run, streamed as SSE),
 * GET /api/llm-calls/ and GET /api/token-usage/.
 *
 * The explanation itself (the run's report.json redacted again into a prompt, the locality
 * check, the call, its llm_calls row, the cap) is explain/'s, shared with the MCP tool
 * explain_run; this file is the HTTP side. The answer is streamed to the caller as "chunk"
 * events while the model writes it; it is never written to the database, a file, a report
 * or a log line. The locality check and a short probe run on the request thread, before
 * the stream opens, so a refused or dead endpoint answers JSON (403 / 502-504); a failure
 * after that ends the stream with an "error" event. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "explain/explain.h"

#define EXPLAIN_QUEUE_MAX (4 * 1024 * 1024) /* SSE bytes not yet sent (a slow client) */

/* One explanation in flight, owned by its thread. */
struct api_explain {
    struct api_server *a;
    struct explain *x;     /* the check, prompt, call and count (explain/) */
    struct http_stream *q; /* the SSE body (the main's message stream) */
};

/* Write one SSE event; j is taken. jsonx_dumps writes one line (newlines in strings are
 * escaped), so the data is one "data:" line. False once the client went away. */
static bool put_event(struct http_stream *st, const char *type, json_t *j)
{
    char *data = jsonx_dumps(j);
    json_decref(j);
    bool ok = http_stream_write_event(st, type, data) == ERR_OK;
    xfree_zero(data, strlen(data));
    return ok;
}

static bool on_chunk(void *ctx, const char *text, size_t len)
{
    struct api_explain *ax = ctx;
    if (len == 0) /* the client's liveness check while the model thinks */
        return !http_stream_is_gone(ax->q);
    json_t *j = json_object();
    json_object_set_new(j, "text", json_stringn(text, len));
    return put_event(ax->q, "chunk", j);
}

static json_t *count_json(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

/* The last event ("done" or "error"), then the end of the stream. */
static void
explain_done(struct api_explain *ax, enum err e, const struct explain_result *r, struct errbuf *eb)
{
    const struct llm_result *l = &r->llm;
    json_t *j = json_pack("{s:I,s:s,s:s,s:o,s:o,s:o,s:I,s:I}", "run_id",
                          (json_int_t)explain_run_id(ax->x), "status", r->status, "model",
                          explain_model(ax->x), "prompt_tokens", count_json(l->prompt_tokens),
                          "completion_tokens", count_json(l->completion_tokens), "total_tokens",
                          count_json(l->total_tokens), "duration_ms", (json_int_t)l->duration_ms,
                          "llm_call_id", (json_int_t)r->llm_call_id);
    if (e != ERR_OK) {
        json_object_set_new(j, "detail", api_redacted(ax->a, errbuf_get(eb, e)));
        json_object_set_new(j, "http_status", json_integer(err_http_status(e)));
    }
    put_event(ax->q, e == ERR_OK ? "done" : "error", j);
    http_stream_close(ax->q);
}

/* Give back the thread's place (api_server_stop waits for all of them). */
static void thread_release(struct api_server *a)
{
    pthread_mutex_lock(&a->llm_mu);
    a->llm_active--;
    pthread_cond_broadcast(&a->llm_cv);
    pthread_mutex_unlock(&a->llm_mu);
}

/* Drop the producer's stream reference, end the explanation (its slot) and free ax. */
static void explain_finish(struct api_explain *ax)
{
    struct api_server *a = ax->a;
    http_stream_unref(ax->q);
    explain_end(ax->x);
    xfree(ax);
    thread_release(a);
}

static void *explain_main(void *arg)
{
    struct api_explain *ax = arg;
    struct explain_result r;
    struct errbuf eb = {{0}};
    enum err e = explain_stream(ax->x, on_chunk, ax, &r, &eb);
    explain_done(ax, e, &r, &eb);
    explain_finish(ax);
    return NULL;
}

/* Open the SSE stream and start the thread that fills it; false when the stream could not
 * open (the reply is already the error). */
static bool explain_start(struct api_explain *ax, struct http_req *req, struct http_resp *resp)
{
    ax->q = http_stream_new(EXPLAIN_QUEUE_MAX, ": keepalive\n\n");
    http_reply_stream(resp, req, ax->q, "text/event-stream; charset=utf-8");
    if (http_stream_is_gone(ax->q)) /* 503: too many streams */
        return false;
    http_resp_header_add(resp, "Cache-Control", "no-cache");
    http_resp_header_add(resp, "X-Accel-Buffering", "no");
    put_event(ax->q, "start",
              json_pack("{s:I,s:s,s:s}", "run_id", (json_int_t)explain_run_id(ax->x), "model",
                        explain_model(ax->x), "api", llm_api_name(explain_api(ax->x))));
    pthread_mutex_lock(&ax->a->llm_mu);
    ax->a->llm_active++;
    pthread_mutex_unlock(&ax->a->llm_mu);
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &attr, explain_main, ax) != 0) {
        struct explain_result r;
        struct errbuf eb = {{0}};
        errbuf_set(&eb, ERR_UNAVAILABLE, "cannot start a thread for the explanation");
        explain_abandon(ax->x, &r);
        explain_done(ax, ERR_UNAVAILABLE, &r, &eb);
        explain_finish(ax);
    }
    pthread_attr_destroy(&attr);
    return true;
}

void api_runs_explain(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    struct explain *x = NULL;
    enum err e = explain_begin(a->explainer, req->ids[0], &x, &eb);
    if (e != ERR_OK) {
        http_reply_error(resp, e, errbuf_get(&eb, e));
        return;
    }
    struct api_explain *ax = xcalloc(1, sizeof(*ax));
    ax->a = a;
    ax->x = x;
    if (!explain_start(ax, req, resp)) {
        http_stream_unref(ax->q);
        explain_end(ax->x);
        xfree(ax);
    }
}

void api_llm_calls_list(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    struct api_page pg;
    const char *run = NULL;
    json_t *results = NULL;
    int64_t count = 0, run_id = 0;
    if (!api_page_parse(req, resp, &pg) || !api_query_get(req, resp, "run", &run))
        return;
    if (run && http_parse_int64(run, 1, INT64_MAX, &run_id) != ERR_OK) {
        http_reply_field_error(resp, "run", "Give a positive integer run id.");
        return;
    }
    enum err e = store_llm_call_list(a->ctx.st, run_id, (pg.page - 1) * pg.page_size, pg.page_size,
                                     &results, &count, &eb);
    if (e != ERR_OK) {
        json_decref(results);
        api_reply_err(resp, e, &eb);
        return;
    }
    static const char *const keep[] = {"run", NULL};
    api_page_reply(req, resp, "/api/llm-calls/", keep, &pg, count, results);
}

void api_token_usage(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    struct api_page pg;
    const char *by = NULL, *since_q = NULL;
    char since[CLOCK_ISO_LEN];
    int64_t since_ms = 0;
    json_t *results = NULL;
    int64_t count = 0;
    if (!api_page_parse(req, resp, &pg) || !api_query_get(req, resp, "by", &by) ||
        !api_query_get(req, resp, "since", &since_q))
        return;
    if (!by)
        by = "model";
    if (!store_llm_usage_by_ok(by)) {
        http_reply_field_error(resp, "by", "Give one of model, task, directive, day.");
        return;
    }
    if (since_q && !clock_iso_parse(since_q, &since_ms)) {
        http_reply_field_error(resp, "since",
                               "Give an ISO 8601 UTC time, e.g. 2026-11-24T00:00:00Z.");
        return;
    }
    /* The store compares text: write since the way it writes created_at. */
    if (since_q)
        clock_iso_from_ms(since_ms, since);
    enum err e = store_llm_usage(a->ctx.st, by, since_q ? since : NULL,
                                 (pg.page - 1) * pg.page_size, pg.page_size, &results, &count, &eb);
    if (e != ERR_OK) {
        json_decref(results);
        api_reply_err(resp, e, &eb);
        return;
    }
    static const char *const keep[] = {"by", "since", NULL};
    api_page_reply(req, resp, "/api/token-usage/", keep, &pg, count, results);
}
