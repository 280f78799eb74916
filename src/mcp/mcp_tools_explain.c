/* SPDX-License-Identifier: MIT */
/* mcp_tools_explain.c -- explain_run: the local LLM explains an ended run, through the same
 * explain/ module as GET /api/runs/{id}/explain/ (the locality check, the prompt from the
 * run's report.json redacted again, the llm_calls row, the one cap on explanations at once).
 *
 * While the model writes, each piece of the answer goes to the caller as a progress
 * notification (progress = pieces so far, message = the piece); the whole answer is the
 * result's text, the counts its structured content. The answer goes to the caller only:
 * nothing here stores or logs it. A cancelled call (notifications/cancelled, the client
 * gone, the server stopping) stops the model within a second and is recorded cancelled. */
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "explain/explain.h"
#include "mcp/mcp_tools_int.h"

/* The answer so far, and the call whose caller gets it. */
struct explain_sink {
    struct mcp_call *c;
    struct buf text;
    double n_chunks;
};

static bool on_chunk(void *ctx, const char *text, size_t len)
{
    struct explain_sink *s = ctx;
    if (s->c->is_cancelled && s->c->is_cancelled(s->c))
        return false;
    if (len == 0) /* the liveness check while the model thinks */
        return true;
    if (buf_append(&s->text, text, len) != ERR_OK)
        return false;
    s->n_chunks++;
    if (s->c->progress) {
        char *piece = xstrndup(text, len);
        s->c->progress(s->c, s->n_chunks, 0, piece);
        xfree_zero(piece, len);
    }
    return true;
}

static json_t *count_json(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

static json_t *answer_json(const struct explain *x, const struct explain_result *r)
{
    const struct llm_result *l = &r->llm;
    return json_pack("{s:I,s:s,s:s,s:o,s:o,s:o,s:I,s:o}", "run_id", (json_int_t)explain_run_id(x),
                     "model", explain_model(x), "api", llm_api_name(explain_api(x)),
                     "prompt_tokens", count_json(l->prompt_tokens), "completion_tokens",
                     count_json(l->completion_tokens), "total_tokens", count_json(l->total_tokens),
                     "duration_ms", (json_int_t)(l->duration_ms >= 0 ? l->duration_ms : 0),
                     "llm_call_id",
                     r->llm_call_id > 0 ? json_integer(r->llm_call_id) : json_null());
}

enum err mcp_tool_explain_run(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    static const char *const known[] = {"run_id", NULL};
    struct explainer *ex = c->env->explainer;
    struct explain *x = NULL;
    int64_t run_id = 0;
    enum err e = mcp_args_known(args, known, eb);
    if (e == ERR_OK)
        e = mcp_arg_int(args, "run_id", true, 1, INT64_MAX, 0, &run_id, eb);
    if (e == ERR_OK && !ex)
        e = errbuf_set(eb, ERR_UNAVAILABLE, "Explanations are not available on this server.");
    if (e == ERR_OK)
        e = explain_begin(ex, run_id, &x, eb);
    if (e != ERR_OK)
        return mcp_tool_fail(c, e, eb);
    struct explain_sink s = {.c = c};
    struct explain_result r;
    buf_init(&s.text, LLM_TEXT_MAX_BYTES);
    e = explain_stream(x, on_chunk, &s, &r, eb);
    if (e == ERR_OK) {
        *out = answer_json(x, &r);
        *text = buf_take(&s.text);
    } else if (strcmp(r.status, "cancelled") == 0) {
        e = errbuf_set(eb, ERR_CONFLICT, "The explanation of run %lld was cancelled.",
                       (long long)run_id);
    }
    buf_wipe(&s.text);
    buf_fini(&s.text);
    explain_end(x);
    return e == ERR_OK ? e : mcp_tool_fail(c, e, eb);
}
