/* SPDX-License-Identifier: MIT */
/* explain.c -- one explanation of a run: the slots, the run's report and directive, the
 * locality check and probe, the prompt, the streamed call, its llm_calls row and the
 * llm_refused audit row (see explain.h). Nothing here keeps or logs a prompt or an answer:
 * the prompt lives in struct explain until explain_end wipes it, the answer only passes
 * through to the caller's callback. */
#include "explain/explain.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"

#define TASKS_TEXT_MAX 64

struct explainer {
    const struct config *cfg;
    struct store *st;
    struct redact_opts redact; /* the prompt and audit reasons: keyed pseudonyms, else masks */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int active; /* explanations in flight (guarded by mu) */
};

struct explain {
    struct explainer *ex;
    struct llm_opts o;
    char *prompt;
    int64_t run_id, directive_id;
    char tasks[TASKS_TEXT_MAX + 1];
    llm_chunk_fn *on_chunk; /* the caller's, while explain_stream runs */
    void *ctx;
    bool is_stopped; /* on_chunk asked to stop */
};

struct explainer *explainer_new(const struct config *cfg, struct store *st)
{
    struct explainer *ex = xcalloc(1, sizeof(*ex));
    ex->cfg = cfg;
    ex->st = st;
    ex->redact.mode = cfg->redact_key_len ? REDACT_PSEUDONYM : REDACT_MASK;
    ex->redact.key = cfg->redact_key_len ? cfg->redact_key : NULL;
    ex->redact.key_len = cfg->redact_key_len;
    pthread_mutex_init(&ex->mu, NULL);
    pthread_cond_init(&ex->cv, NULL);
    return ex;
}

void explainer_free(struct explainer *ex)
{
    if (!ex)
        return;
    pthread_mutex_lock(&ex->mu);
    while (ex->active > 0)
        pthread_cond_wait(&ex->cv, &ex->mu);
    pthread_mutex_unlock(&ex->mu);
    pthread_mutex_destroy(&ex->mu);
    pthread_cond_destroy(&ex->cv);
    xfree(ex);
}

static bool slot_take(struct explainer *ex)
{
    pthread_mutex_lock(&ex->mu);
    bool ok = ex->active < EXPLAIN_ACTIVE_MAX;
    ex->active += ok;
    pthread_mutex_unlock(&ex->mu);
    return ok;
}

static void slot_give(struct explainer *ex)
{
    pthread_mutex_lock(&ex->mu);
    ex->active--;
    pthread_cond_broadcast(&ex->cv);
    pthread_mutex_unlock(&ex->mu);
}

void explain_llm_opts(const struct config *cfg, struct llm_opts *o)
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

static void result_unknown(struct llm_result *r)
{
    memset(r, 0, sizeof(*r));
    r->prompt_tokens = r->completion_tokens = r->total_tokens = r->duration_ms = -1;
}

/* Record a call (token counts only); a failure is logged, never fatal. Returns the row id. */
static int64_t record(const struct explain *x, const struct llm_result *r, const char *status)
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
    if (store_llm_call_add(x->ex->st, &c, &id, &eb) != ERR_OK)
        log_error("llm", "event=llm.record_failed run_id=%lld detail=\"%s\"", (long long)x->run_id,
                  errbuf_get(&eb, ERR_DB));
    return id;
}

/* A refused endpoint: an audit row with the reason, redacted like every audit reason (no
 * prompt, no answer in it). */
static void audit_refusal(const struct explain *x, const struct errbuf *eb)
{
    struct errbuf eb2 = {{0}};
    const char *why = errbuf_get(eb, ERR_FORBIDDEN);
    struct buf b;
    buf_init(&b, 4 * strlen(why) + 256);
    bool is_ok = redact_text_opts(why, strlen(why), &x->ex->redact, &b) == ERR_OK;
    log_warn("llm", "event=llm.refused run_id=%lld", (long long)x->run_id);
    if (store_audit_add(x->ex->st, "llm_refused", NULL, NULL, x->run_id, 0,
                        is_ok ? buf_str(&b) : "[REDACTED]", &eb2) != ERR_OK)
        log_error("llm", "event=llm.audit_failed run_id=%lld", (long long)x->run_id);
    buf_fini(&b);
}

/* A store error for the caller: its detail logged when it is the server's fault (5xx), the
 * caller told only what kind. */
static enum err store_failed(enum err e, struct errbuf *eb)
{
    if (err_http_status(e) < 500)
        return e;
    log_error("explain", "event=store.error err=%s detail=\"%s\"", err_name(e), errbuf_get(eb, e));
    return errbuf_set(eb, e, "%s", err_text(e));
}

/* The directive id and the run's tasks ("a,b", for llm_calls.task) from the run. */
static void run_facts(struct explain *x, const json_t *run)
{
    x->directive_id = json_integer_value(json_object_get(run, "directive_id"));
    char *tasks = jsonx_dumps(json_object_get(run, "tasks"));
    size_t k = 0;
    for (const char *p = tasks; p && *p && k < TASKS_TEXT_MAX; p++)
        if (*p != '[' && *p != ']' && *p != '"')
            x->tasks[k++] = *p;
    x->tasks[k] = '\0';
    xfree(tasks);
}

/* Read the run's report.json and directive text (*directive_text heap or NULL). */
static enum err
load_run(struct explain *x, json_t **report, char **directive_text, struct errbuf *eb)
{
    json_t *run = NULL, *rep = NULL;
    enum err e = store_run_get(x->ex->st, x->run_id, &run, eb);
    if (e == ERR_OK)
        e = store_run_report_get(x->ex->st, x->run_id, &rep, eb);
    if (e != ERR_OK) {
        json_decref(run);
        return store_failed(e, eb);
    }
    *report = json_incref(json_object_get(rep, "json"));
    json_decref(rep);
    if (!json_is_object(*report)) {
        json_decref(*report);
        *report = NULL;
        json_decref(run);
        return errbuf_set(eb, ERR_CONFLICT, "The run has no report yet (it has not ended).");
    }
    run_facts(x, run);
    const char *text = jsonx_get_str(json_object_get(run, "directive_snapshot"), "text");
    *directive_text = text ? xstrdup(text) : NULL;
    json_decref(run);
    return ERR_OK;
}

/* Locality and a probe before the model is asked; a failure is recorded (and audited when
 * refused). */
static enum err preflight(struct explain *x, struct errbuf *eb)
{
    struct llm_result r;
    enum err e = llm_probe(&x->o, &r, eb);
    if (e == ERR_OK) {
        x->o.api = r.api;
        return ERR_OK;
    }
    if (r.is_refused)
        audit_refusal(x, eb);
    record(x, &r, r.is_refused ? "refused" : "error");
    return e;
}

enum err
explain_begin(struct explainer *ex, int64_t run_id, struct explain **out, struct errbuf *eb)
{
    const struct config *cfg = ex->cfg;
    json_t *report = NULL;
    char *dtext = NULL;
    *out = NULL;
    if (!cfg->llm_base_url)
        return errbuf_set(eb, ERR_CONFLICT, "No LLM is configured: set LLM_BASE_URL.");
    if (!slot_take(ex))
        return errbuf_set(eb, ERR_UNAVAILABLE,
                          "Too many explanations in progress; try again later.");
    struct explain *x = xcalloc(1, sizeof(*x));
    x->ex = ex;
    x->run_id = run_id;
    explain_llm_opts(cfg, &x->o);
    enum err e = load_run(x, &report, &dtext, eb);
    if (e == ERR_OK)
        e = preflight(x, eb);
    if (e == ERR_OK) {
        x->prompt = llm_prompt_build(report, dtext, &ex->redact, cfg->llm_max_prompt_tokens, NULL);
        *out = x;
    } else {
        explain_end(x);
    }
    json_decref(report);
    xfree(dtext);
    return e;
}

int64_t explain_run_id(const struct explain *x)
{
    return x->run_id;
}

const char *explain_model(const struct explain *x)
{
    return x->o.model;
}

enum llm_api explain_api(const struct explain *x)
{
    return x->o.api;
}

/* Pass a piece of the answer on; remember when the caller asked to stop. */
static bool on_llm_chunk(void *ctx, const char *text, size_t len)
{
    struct explain *x = ctx;
    if (x->on_chunk && !x->on_chunk(x->ctx, text, len))
        x->is_stopped = true;
    return !x->is_stopped;
}

static void finish(const struct explain *x, struct explain_result *res, const char *status)
{
    res->status = status;
    res->llm_call_id = record(x, &res->llm, status);
    log_info("llm", "event=llm.explained run_id=%lld status=%s duration_ms=%lld",
             (long long)x->run_id, status, (long long)res->llm.duration_ms);
}

enum err explain_stream(struct explain *x,
                        llm_chunk_fn *on_chunk,
                        void *ctx,
                        struct explain_result *res,
                        struct errbuf *eb)
{
    memset(res, 0, sizeof(*res));
    x->on_chunk = on_chunk;
    x->ctx = ctx;
    x->is_stopped = false;
    enum err e = llm_chat(&x->o, llm_prompt_system(), x->prompt, on_llm_chunk, x, &res->llm, eb);
    if (e == ERR_FORBIDDEN) /* the name's answer changed since the probe */
        audit_refusal(x, eb);
    finish(x, res, e == ERR_OK ? "success" : x->is_stopped ? "cancelled" : "error");
    x->on_chunk = NULL;
    x->ctx = NULL;
    return e;
}

void explain_abandon(struct explain *x, struct explain_result *res)
{
    memset(res, 0, sizeof(*res));
    result_unknown(&res->llm);
    finish(x, res, "error");
}

void explain_end(struct explain *x)
{
    if (!x)
        return;
    struct explainer *ex = x->ex;
    if (x->prompt)
        xfree_zero(x->prompt, strlen(x->prompt));
    xfree(x);
    slot_give(ex);
}
