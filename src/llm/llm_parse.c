/* SPDX-License-Identifier: MIT */
/* llm_parse.c -- parse a chat answer: OpenAI (one JSON body, or SSE "data:" lines ending
 * with [DONE]; usage in the body or, with stream_options.include_usage, in the last chunk)
 * and Ollama (one JSON body, or NDJSON lines; counts in the done:true line).
 *
 * Text goes to the callback as it is parsed and is never kept beyond the pending line.
 * Token counts are taken only as the server reported them: -1 when absent. */
#include <string.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "llm/llm_int.h"

TESTABLE void llm_parse_init(
    struct llm_parse *p, enum llm_api api, bool is_stream, llm_chunk_fn *on_chunk, void *ctx)
{
    memset(p, 0, sizeof(*p));
    p->api = api;
    p->is_stream = is_stream;
    p->on_chunk = on_chunk;
    p->ctx = ctx;
    p->prompt_tokens = p->completion_tokens = p->total_tokens = -1;
    buf_init(&p->acc, LLM_RESPONSE_MAX_BYTES);
}

TESTABLE void llm_parse_fini(struct llm_parse *p)
{
    buf_wipe(&p->acc);
    buf_fini(&p->acc);
}

static void text_out(struct llm_parse *p, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || p->is_stopped)
        return;
    if (p->text_len + n > LLM_TEXT_MAX_BYTES) {
        p->is_bad = true;
        return;
    }
    p->text_len += n;
    if (p->on_chunk && !p->on_chunk(p->ctx, s, n))
        p->is_stopped = true;
}

/* A count as reported: a non-negative integer, else -1. */
static int64_t count_of(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
}

static void usage_openai(struct llm_parse *p, const json_t *usage)
{
    if (!json_is_object(usage))
        return;
    p->prompt_tokens = count_of(usage, "prompt_tokens");
    p->completion_tokens = count_of(usage, "completion_tokens");
    p->total_tokens = count_of(usage, "total_tokens");
}

static void obj_openai(struct llm_parse *p, const json_t *j)
{
    const json_t *choice = json_array_get(json_object_get(j, "choices"), 0);
    const char *part = p->is_stream ? "delta" : "message";
    text_out(p, jsonx_get_str(json_object_get(choice, part), "content"));
    usage_openai(p, json_object_get(j, "usage"));
}

static void obj_ollama(struct llm_parse *p, const json_t *j)
{
    text_out(p, jsonx_get_str(json_object_get(j, "message"), "content"));
    if (json_is_true(json_object_get(j, "done")) || !p->is_stream) {
        p->is_done = true;
        p->prompt_tokens = count_of(j, "prompt_eval_count");
        p->completion_tokens = count_of(j, "eval_count");
        /* Ollama reports no total; the sum of two reported counts is no invention. */
        if (p->prompt_tokens >= 0 && p->completion_tokens >= 0)
            p->total_tokens = p->prompt_tokens + p->completion_tokens;
    }
}

/* Parse one JSON object of the answer (a body, an SSE data payload or an NDJSON line). */
static void parse_obj(struct llm_parse *p, const char *s, size_t n)
{
    json_t *j = NULL;
    if (jsonx_parse(s, n, LLM_RESPONSE_MAX_BYTES, &j, NULL) != ERR_OK || !json_is_object(j)) {
        p->is_bad = true;
        json_decref(j);
        return;
    }
    if (json_object_get(j, "error"))
        p->has_error = true;
    else if (p->api == LLM_API_OLLAMA)
        obj_ollama(p, j);
    else
        obj_openai(p, j);
    json_decref(j);
}

/* One complete stream line (without its newline). */
static void parse_line(struct llm_parse *p, const char *s, size_t n)
{
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    if (n == 0 || p->is_done)
        return;
    if (p->api == LLM_API_OLLAMA) {
        parse_obj(p, s, n);
        return;
    }
    if (n < 5 || memcmp(s, "data:", 5) != 0)
        return; /* SSE comments, event:, id: lines */
    s += 5, n -= 5;
    while (n && *s == ' ')
        s++, n--;
    if (n == 6 && memcmp(s, "[DONE]", 6) == 0)
        p->is_done = true;
    else
        parse_obj(p, s, n);
}

TESTABLE bool llm_parse_feed(struct llm_parse *p, const char *data, size_t len)
{
    if (p->is_bad || p->is_stopped)
        return false;
    if (!p->is_stream) {
        if (buf_append(&p->acc, data, len) != ERR_OK)
            p->is_bad = true;
        return !p->is_bad;
    }
    while (len && !p->is_bad && !p->is_stopped) {
        const char *nl = memchr(data, '\n', len);
        size_t n = nl ? (size_t)(nl - data) : len;
        if (buf_append(&p->acc, data, n) != ERR_OK) {
            p->is_bad = true;
            break;
        }
        if (nl) {
            parse_line(p, buf_str(&p->acc), buf_len(&p->acc));
            buf_wipe(&p->acc);
            n++;
        }
        data += n;
        len -= n;
    }
    return !p->is_bad && !p->is_stopped;
}

TESTABLE enum err llm_parse_finish(struct llm_parse *p, struct errbuf *eb)
{
    if (!p->is_bad && !p->is_stopped && buf_len(&p->acc)) {
        if (p->is_stream)
            parse_line(p, buf_str(&p->acc), buf_len(&p->acc));
        else
            parse_obj(p, buf_str(&p->acc), buf_len(&p->acc));
    }
    if (p->is_stopped)
        return errbuf_set(eb, ERR_CONFLICT, "the LLM call was stopped by its reader");
    if (p->is_bad)
        return errbuf_set(eb, ERR_BAD_GATEWAY, "the LLM answer was malformed or too large");
    if (p->has_error)
        return errbuf_set(eb, ERR_BAD_GATEWAY, "the LLM answered with an error object");
    if (p->is_stream && !p->is_done)
        return errbuf_set(eb, ERR_BAD_GATEWAY, "the LLM stream ended before its last event");
    return ERR_OK;
}
