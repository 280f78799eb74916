/* SPDX-License-Identifier: MIT */
/* api_llm.c -- GET /api/runs/{id}/explain/ (a local LLM explains a run, streamed as SSE),
 * GET /api/llm-calls/ and GET /api/token-usage/.
 *
 * The explanation is built from the run's report.json (redacted again on the way out) and
 * streamed to the caller as "chunk" events while the model writes it; it is never written
 * to the database, a file, a report or a log line. Only the call's token counts, model,
 * host, duration and status are kept (llm_calls). The locality check and a short probe run
 * before the stream opens, so a refused or dead endpoint answers JSON (403 / 502-504); a
 * failure after that ends the stream with an "error" event. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "llm/llm.h"

#define EXPLAIN_QUEUE_MAX  (4 * 1024 * 1024) /* SSE bytes not yet sent (a slow client) */
#define TASKS_TEXT_MAX     64
#define EXPLAIN_ACTIVE_MAX 4 /* explanations at once: a local LLM serves them one by one */

/* One explanation in flight, owned by its thread. */
struct explain {
    struct api_server *a;
    struct llm_opts o;
    struct http_stream *q; /* the SSE body (the main's message stream) */
    char *prompt;
    int64_t run_id, directive_id;
    char tasks[TASKS_TEXT_MAX + 1];
};

static void llm_opts_from(const struct config *cfg, struct llm_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->base_url = cfg->llm_base_url;
    if (!llm_api_parse(cfg->llm_api, &o->api))
        o->api = LLM_API_AUTO;
    o->model = cfg->llm_model;
    o->allowed_hosts = cfg->llm_allowed_hosts;
    o->connect_timeout_ms = cfg->llm_connect_timeout_ms;
    o->timeout_ms = cfg->llm_timeout_ms;
    o->max_tokens = cfg->llm_max_tokens;
    o->is_stream = cfg->is_llm_stream;
}

/* Record a call (token counts only); a failure is logged, never fatal. */
static int64_t record(struct api_server *a,
                      const struct explain *x,
                      const struct llm_result *r,
                      const char *status)
{
    struct store_llm_call c = {
        .run_id = x->run_id,
        .directive_id = x->directive_id,
        .task = x->tasks[0] ? x->tasks : NULL,
        .model = x->o.model,
        .endpoint_host = r->host[0] ? r->host : NULL,
        .api = r->api == LLM_API_AUTO ? NULL : llm_api_name(r->api),
        .prompt_tokens = r->prompt_tokens,
        .completion_tokens = r->completion_tokens,
        .total_tokens = r->total_tokens,
        .duration_ms = r->duration_ms,
        .status = status,
    };
    struct errbuf eb = {{0}};
    int64_t id = 0;
    if (store_llm_call_add(a->ctx.st, &c, &id, &eb) != ERR_OK)
        log_error("llm", "event=llm.record_failed run_id=%lld detail=\"%s\"", (long long)x->run_id,
                  errbuf_get(&eb, ERR_DB));
    return id;
}

/* A refused endpoint: an audit row with the reason, redacted like every audit reason (no
 * prompt, no answer in it). */
static void audit_refusal(struct api_server *a, int64_t run_id, const struct errbuf *eb)
{
    struct errbuf eb2 = {{0}};
    log_warn("llm", "event=llm.refused run_id=%lld", (long long)run_id);
    json_t *why = api_redacted(a, errbuf_get(eb, ERR_FORBIDDEN));
    if (store_audit_add(a->ctx.st, "llm_refused", NULL, NULL, run_id, 0, json_string_value(why),
                        &eb2) != ERR_OK)
        log_error("llm", "event=llm.audit_failed run_id=%lld", (long long)run_id);
    json_decref(why);
}

/* Write one SSE event; j is taken. jsonx_dumps writes one line (newlines in strings are
 * escaped), so the data is one "data:" line. False once the client went away. */
static bool put_event(struct http_stream *st, const char *type, json_t *j)
{
    char *data = jsonx_dumps(j);
    json_decref(j);
    struct buf b;
    buf_init(&b, strlen(data) + 64);
    buf_printf(&b, "event: %s\ndata: %s\n\n", type, data);
    bool ok = http_stream_write(st, buf_str(&b), buf_len(&b)) == ERR_OK;
    xfree_zero(data, strlen(data));
    buf_wipe(&b);
    buf_fini(&b);
    return ok;
}

static bool on_chunk(void *ctx, const char *text, size_t len)
{
    struct explain *x = ctx;
    if (len == 0) /* the client's liveness check while the model thinks */
        return !http_stream_is_gone(x->q);
    json_t *j = json_object();
    json_object_set_new(j, "text", json_stringn(text, len));
    return put_event(x->q, "chunk", j);
}

static json_t *count_json(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

static void
explain_done(struct explain *x, enum err e, const struct llm_result *r, const struct errbuf *eb)
{
    bool is_gone = http_stream_is_gone(x->q);
    const char *status = e == ERR_OK ? "success" : is_gone ? "cancelled" : "error";
    int64_t id = record(x->a, x, r, status);
    json_t *j = json_pack(
        "{s:I,s:s,s:s,s:o,s:o,s:o,s:I,s:I}", "run_id", (json_int_t)x->run_id, "status", status,
        "model", x->o.model, "prompt_tokens", count_json(r->prompt_tokens), "completion_tokens",
        count_json(r->completion_tokens), "total_tokens", count_json(r->total_tokens),
        "duration_ms", (json_int_t)r->duration_ms, "llm_call_id", (json_int_t)id);
    if (e != ERR_OK) {
        json_object_set_new(j, "detail", api_redacted(x->a, errbuf_get(eb, e)));
        json_object_set_new(j, "http_status", json_integer(err_http_status(e)));
    }
    put_event(x->q, e == ERR_OK ? "done" : "error", j);
    http_stream_close(x->q);
    log_info("llm", "event=llm.explained run_id=%lld status=%s duration_ms=%lld",
             (long long)x->run_id, status, (long long)r->duration_ms);
}

/* Give back an explanation slot (api_server_stop waits for all of them). */
static void slot_release(struct api_server *a)
{
    pthread_mutex_lock(&a->llm_mu);
    a->llm_active--;
    pthread_cond_broadcast(&a->llm_cv);
    pthread_mutex_unlock(&a->llm_mu);
}

/* Drop the producer's stream reference, free x and give its slot back. */
static void explain_finish(struct explain *x)
{
    struct api_server *a = x->a;
    http_stream_unref(x->q);
    xfree_zero(x->prompt, strlen(x->prompt));
    xfree(x);
    slot_release(a);
}

static void *explain_main(void *arg)
{
    struct explain *x = arg;
    struct llm_result r;
    struct errbuf eb = {{0}};
    enum err e = llm_chat(&x->o, llm_prompt_system(), x->prompt, on_chunk, x, &r, &eb);
    if (e == ERR_FORBIDDEN) /* the name's answer changed since the probe */
        audit_refusal(x->a, x->run_id, &eb);
    explain_done(x, e, &r, &eb);
    explain_finish(x);
    return NULL;
}

/* The run's report.json and directive facts; false after replying 404/409. */
static bool load_run(struct api_server *a,
                     struct http_req *req,
                     struct http_resp *resp,
                     struct explain *x,
                     json_t **report,
                     char **directive_text)
{
    struct errbuf eb = {{0}};
    json_t *run = NULL, *rep = NULL;
    enum err e = store_run_get(a->ctx.st, req->ids[0], &run, &eb);
    if (e == ERR_OK)
        e = store_run_report_get(a->ctx.st, req->ids[0], &rep, &eb);
    if (e != ERR_OK) {
        json_decref(run);
        api_reply_err(resp, e, &eb);
        return false;
    }
    *report = json_incref(json_object_get(rep, "json"));
    json_decref(rep);
    if (!json_is_object(*report)) {
        json_decref(*report);
        json_decref(run);
        http_reply_error(resp, ERR_CONFLICT, "The run has no report yet (it has not ended).");
        return false;
    }
    x->run_id = req->ids[0];
    x->directive_id = json_integer_value(json_object_get(run, "directive_id"));
    const json_t *snap = json_object_get(run, "directive_snapshot");
    const char *text = jsonx_get_str(snap, "text");
    *directive_text = text ? xstrdup(text) : NULL;
    char *tasks = jsonx_dumps(json_object_get(run, "tasks"));
    size_t k = 0;
    for (const char *p = tasks; p && *p && k < TASKS_TEXT_MAX; p++)
        if (*p != '[' && *p != ']' && *p != '"')
            x->tasks[k++] = *p;
    xfree(tasks);
    json_decref(run);
    return true;
}

/* Locality and a probe before the stream opens; false after replying the error. */
static bool preflight(struct api_server *a, struct explain *x, struct http_resp *resp)
{
    struct llm_result r;
    struct errbuf eb = {{0}};
    enum err e = llm_probe(&x->o, &r, &eb);
    if (e == ERR_OK) {
        x->o.api = r.api;
        return true;
    }
    if (r.is_refused)
        audit_refusal(a, x->run_id, &eb);
    record(a, x, &r, r.is_refused ? "refused" : "error");
    http_reply_error(resp, e, errbuf_get(&eb, e));
    return false;
}

static void explain_free(struct explain *x)
{
    if (x->prompt)
        xfree_zero(x->prompt, strlen(x->prompt));
    xfree(x);
}

void api_runs_explain(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    const struct config *cfg = a->ctx.cfg;
    json_t *report = NULL;
    char *dtext = NULL;
    if (!cfg->llm_base_url) {
        http_reply_error(resp, ERR_CONFLICT, "No LLM is configured: set LLM_BASE_URL.");
        return;
    }
    /* Take a slot first (given back on failure, or by the thread when it ends). */
    pthread_mutex_lock(&a->llm_mu);
    bool has_slot = a->llm_active < EXPLAIN_ACTIVE_MAX;
    a->llm_active += has_slot;
    pthread_mutex_unlock(&a->llm_mu);
    if (!has_slot) {
        http_reply_error(resp, ERR_UNAVAILABLE,
                         "Too many explanations in progress; try again later.");
        return;
    }
    struct explain *x = xcalloc(1, sizeof(*x));
    x->a = a;
    llm_opts_from(cfg, &x->o);
    if (!load_run(a, req, resp, x, &report, &dtext) || !preflight(a, x, resp))
        goto fail;
    x->prompt = llm_prompt_build(report, dtext, &a->redact, cfg->llm_max_prompt_tokens, NULL);
    x->q = http_stream_new(EXPLAIN_QUEUE_MAX, ": keepalive\n\n");
    http_reply_stream(resp, req, x->q, "text/event-stream; charset=utf-8");
    if (http_stream_is_gone(x->q)) /* 503: too many streams */
        goto fail;
    http_resp_header_add(resp, "Cache-Control", "no-cache");
    http_resp_header_add(resp, "X-Accel-Buffering", "no");
    put_event(x->q, "start",
              json_pack("{s:I,s:s,s:s}", "run_id", (json_int_t)x->run_id, "model", x->o.model,
                        "api", llm_api_name(x->o.api)));
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &attr, explain_main, x) != 0) {
        struct llm_result r;
        struct errbuf eb = {{0}};
        memset(&r, 0, sizeof(r));
        r.prompt_tokens = r.completion_tokens = r.total_tokens = r.duration_ms = -1;
        errbuf_set(&eb, ERR_UNAVAILABLE, "cannot start a thread for the explanation");
        explain_done(x, ERR_UNAVAILABLE, &r, &eb);
        explain_finish(x);
    }
    pthread_attr_destroy(&attr);
    json_decref(report);
    xfree(dtext);
    return;
fail:
    http_stream_unref(x->q);
    explain_free(x);
    slot_release(a);
    json_decref(report);
    xfree(dtext);
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
    const char *by = NULL;
    json_t *results = NULL;
    int64_t count = 0;
    if (!api_page_parse(req, resp, &pg) || !api_query_get(req, resp, "by", &by))
        return;
    if (!by)
        by = "model";
    if (!store_llm_usage_by_ok(by)) {
        http_reply_field_error(resp, "by", "Give one of model, task, directive, day.");
        return;
    }
    enum err e = store_llm_usage(a->ctx.st, by, (pg.page - 1) * pg.page_size, pg.page_size,
                                 &results, &count, &eb);
    if (e != ERR_OK) {
        json_decref(results);
        api_reply_err(resp, e, &eb);
        return;
    }
    static const char *const keep[] = {"by", NULL};
    api_page_reply(req, resp, "/api/token-usage/", keep, &pg, count, results);
}
