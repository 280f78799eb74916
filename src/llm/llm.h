/* SPDX-License-Identifier: MIT */
/* llm.h -- a client for a local LLM (OpenAI-compatible /v1/chat/completions or Ollama
 * /api/chat) that refuses any endpoint outside the local network.
 *
 * Before each call the endpoint's host is resolved here and every address must be loopback,
 * RFC 1918, RFC 4193, link-local or listed by the operator; libcurl then connects only to
 * the address that was checked (no second resolution), follows no redirect and uses no
 * proxy. Text chunks of the answer go to a callback and are never kept by this module; only
 * token counts come back. Functions are thread-safe (no shared state); llm_global_init runs
 * once before threads start. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "redact/redact.h"

enum llm_api { LLM_API_AUTO, LLM_API_OPENAI, LLM_API_OLLAMA };

#define LLM_HOST_MAX           255
#define LLM_RESPONSE_MAX_BYTES (1024 * 1024) /* a whole answer (non-stream) or one stream line */
#define LLM_TEXT_MAX_BYTES     (256 * 1024)  /* text handed to the callback, in all */
#define LLM_PROMPT_TOKENS_MAX  4000
#define LLM_BYTES_PER_TOKEN    3 /* the conservative estimate: tokens ~ bytes / 3 */

struct llm_opts {
    const char *base_url;      /* http(s)://host[:port][/prefix] */
    enum llm_api api;          /* AUTO: probe /api/version, then /v1/models */
    const char *model;         /* model name sent to the server */
    const char *allowed_hosts; /* CYBER_BRAIN_LLM_ALLOWED_HOSTS: comma-separated names or
                                * addresses allowed although not local; may be NULL */
    int64_t connect_timeout_ms;
    int64_t timeout_ms; /* the whole call */
    int max_tokens;     /* completion cap sent to the server */
    bool is_stream;
};

/* What a call reported; a count the server did not report is -1 (stored as null). */
struct llm_result {
    char host[LLM_HOST_MAX + 1]; /* the endpoint host as written in the URL (no port) */
    enum llm_api api;            /* the API used (after auto) */
    int64_t prompt_tokens;
    int64_t completion_tokens;
    int64_t total_tokens;
    int64_t duration_ms;
    int http_status; /* of the chat call; 0 when none was made */
    bool is_refused; /* the locality check refused the endpoint */
    size_t text_len; /* bytes of answer text delivered */
};

/* Receive len bytes of answer text (not NUL-terminated); return false to stop the call.
 * Also called with len 0 at least once a second while waiting: return false to stop. */
typedef bool llm_chunk_fn(void *ctx, const char *text, size_t len);

/* Initialise libcurl once (before threads start). */
void llm_global_init(void);
/* Parse "auto", "openai" or "ollama"; false when none. */
bool llm_api_parse(const char *s, enum llm_api *out);
/* Return "auto", "openai" or "ollama". */
const char *llm_api_name(enum llm_api api);

/* Check o->base_url's locality (as llm_chat does) without calling; ERR_FORBIDDEN with the
 * reason when refused, ERR_INVALID for a bad URL, ERR_UNAVAILABLE when the name does not
 * resolve. res (may be NULL) gets the host and is_refused. */
enum err llm_check(const struct llm_opts *o, struct llm_result *res, struct errbuf *eb);
/* Check locality as llm_check does, then ask the endpoint whether it answers (GET
 * /api/version for ollama, /v1/models for openai, both in turn for auto; at most 5 s):
 * res->api gets the API found. Errors as llm_chat's. */
enum err llm_probe(const struct llm_opts *o, struct llm_result *res, struct errbuf *eb);
/* Ask the model: system and user messages, the answer's text to on_chunk (may be NULL) as it
 * arrives. res is filled whatever happens (counts -1 when unknown). Errors: ERR_FORBIDDEN
 * (locality refused: is_refused set), ERR_INVALID (bad URL or options), ERR_UNAVAILABLE
 * (cannot connect), ERR_TIMEOUT, ERR_BAD_GATEWAY (an error status, a redirect, a malformed
 * or too large answer), ERR_CONFLICT (on_chunk stopped the call). eb never holds text of
 * the prompt or the answer. */
enum err llm_chat(const struct llm_opts *o,
                  const char *system,
                  const char *user,
                  llm_chunk_fn *on_chunk,
                  void *ctx,
                  struct llm_result *res,
                  struct errbuf *eb);

/* ---- the prompt (llm_prompt.c) ---- */

/* Build the user message explaining a run from its report (report.json: the structured
 * findings, never raw logs) and the directive's text (may be NULL): every string passes the
 * redactor with ro, and sections are trimmed so that the estimate (bytes / 3, rounded up) of
 * system + message stays within max_tokens (<= LLM_PROMPT_TOKENS_MAX). Returns a heap string
 * (caller frees with xfree_zero); *est_tokens (may be NULL) gets the estimate. */
char *llm_prompt_build(const json_t *report,
                       const char *directive_text,
                       const struct redact_opts *ro,
                       int max_tokens,
                       int64_t *est_tokens);
/* The system message of an explanation (static text). */
const char *llm_prompt_system(void);
/* Return the token estimate of len bytes: ceil(len / LLM_BYTES_PER_TOKEN). */
int64_t llm_tokens_estimate(size_t len);
