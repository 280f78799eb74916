/* SPDX-License-Identifier: MIT */
/* explain.h -- one explanation of a run by the local LLM: check, prompt, stream, count.
 *
 * Shared by GET /api/runs/{id}/explain/ (SSE) and the MCP tool explain_run, so both front
 * ends check, count and refuse alike. explain_begin takes one of EXPLAIN_ACTIVE_MAX slots of
 * the explainer (one counter for every front end), reads the run's report.json and directive,
 * checks the endpoint's locality and probes it, and builds the prompt (redacted again);
 * explain_stream asks the model and hands each piece of the answer to the caller's callback,
 * then records the call's counts (llm_calls) and logs one line without text; explain_end
 * frees the prompt and gives the slot back. The prompt and the answer are never written to
 * the database, a file, a report or a log line: the callback is the only way out.
 *
 * Thread-safe: an explainer serves any number of threads; one struct explain belongs to one
 * thread at a time. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "llm/llm.h"
#include "store/store.h"

#define EXPLAIN_ACTIVE_MAX 4 /* explanations at once: a local LLM serves them one by one */

/* The shared state: configuration, store, redaction options and the slots in use. */
struct explainer;
/* One explanation, from explain_begin to explain_end. */
struct explain;

/* What an explanation's call reported. */
struct explain_result {
    struct llm_result llm; /* counts -1 when the server did not report them */
    const char *status;    /* as recorded: "success", "cancelled", "error", "refused" */
    int64_t llm_call_id;   /* the llm_calls row; 0 when it could not be written */
};

/* Create the explainer; cfg (its llm_* fields are read at each explain_begin, its redaction
 * key now) and st are borrowed for its life. */
struct explainer *explainer_new(const struct config *cfg, struct store *st);
/* Wait until no explanation is in flight, then free ex; NULL is fine. */
void explainer_free(struct explainer *ex);

/* The LLM client options cfg's llm_* settings give (an unknown LLM_API means auto). */
void explain_llm_opts(const struct config *cfg, struct llm_opts *o);

/* Start explaining run_id: take a slot, read the run, check and probe the endpoint, build the
 * prompt. Errors, with a text for the caller in eb (no prompt, no secret): ERR_CONFLICT (no
 * LLM configured, or the run has no report yet), ERR_UNAVAILABLE (all slots busy, or the
 * endpoint does not answer), ERR_NOT_FOUND (no such run), ERR_FORBIDDEN (locality refused:
 * audited as llm_refused), ERR_INVALID, ERR_TIMEOUT, ERR_BAD_GATEWAY, or a store error (its
 * detail logged, eb says only what kind). A failed probe is recorded (status refused or
 * error). On failure nothing is held. */
enum err
explain_begin(struct explainer *ex, int64_t run_id, struct explain **out, struct errbuf *eb);
/* The run, the model and the API (found by the probe) of x. */
int64_t explain_run_id(const struct explain *x);
const char *explain_model(const struct explain *x);
enum llm_api explain_api(const struct explain *x);
/* Ask the model; each piece of the answer goes to on_chunk (see llm_chunk_fn: also called with
 * len 0 at least once a second; false stops the call, recorded as cancelled). res is filled
 * whatever happens, the call recorded and logged (without text). Errors as llm_chat's. */
enum err explain_stream(struct explain *x,
                        llm_chunk_fn *on_chunk,
                        void *ctx,
                        struct explain_result *res,
                        struct errbuf *eb);
/* Record that x ended before the model was asked (a thread could not start): status error,
 * counts unknown. */
void explain_abandon(struct explain *x, struct explain_result *res);
/* Free x and give its slot back; NULL is fine. */
void explain_end(struct explain *x);
