/* SPDX-License-Identifier: MIT */
/* mcp_int.h -- the contract between the MCP transport (mcp_rpc*.c, mcp_http*.c, mcp_session*.c)
 * and the tools and resources (mcp_tools*.c, mcp_resources.c).
 *
 * The transport parses JSON-RPC, checks auth/Origin/Host/session/version, and calls a tool's
 * `call` on a thread of its choosing (a MCP_TOOL_LONG tool off the HTTP pool, with its
 * progress streamed as SSE when the client accepts it). Tools use the same service layer as
 * the REST API (store.h, events.h) and never see HTTP or JSON-RPC. Everything a tool returns
 * (structured result, text, error text) is owned by the transport afterwards. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "core/err.h"
#include "core/events.h"
#include "redact/redact.h"
#include "store/store.h"

struct explainer; /* explain/explain.h */

/* What a tool or resource may use; borrowed for the server's life, read-only. */
struct mcp_env {
    const struct config *cfg;
    struct store *st;
    struct events *ev;
    void (*on_launch)(void *launch_ctx); /* wake the dispatcher after a run was queued */
    void *launch_ctx;
    /* Take an inventory snapshot now (NULL: none can be taken; ERR_UNAVAILABLE). */
    enum err (*inventory_snapshot)(void *inventory_ctx, json_t **out, struct errbuf *eb);
    void *inventory_ctx;
    const struct redact_opts *redact; /* for error texts; NULL: masks */
    /* The explanations' shared state (one cap with GET /api/runs/{id}/explain/); NULL:
     * explain_run answers that explanations are not available. */
    struct explainer *explainer;
};

/* One tool call in flight, given by the transport. */
struct mcp_call {
    const struct mcp_env *env;
    /* Send notifications/progress for this call: progress strictly increases (the transport
     * drops a value that does not), total <= 0 means unknown, message may be NULL. A no-op
     * when the client sent no progressToken or takes JSON only. */
    void (*progress)(struct mcp_call *c, double progress, double total, const char *message);
    /* Return true once the client cancelled (notifications/cancelled), went away, or the
     * server is stopping: a waiting tool stops waiting and answers. */
    bool (*is_cancelled)(struct mcp_call *c);
    void *transport; /* private to the transport */
};

enum mcp_tool_flags {
    MCP_TOOL_READ_ONLY = 1u,   /* readOnlyHint; the only tools listed in read-only mode */
    MCP_TOOL_DESTRUCTIVE = 2u, /* destructiveHint (cancel, replace an allowlist) */
    MCP_TOOL_IDEMPOTENT = 4u,  /* idempotentHint */
    MCP_TOOL_LONG = 8u,        /* may wait for minutes (launch_run with wait) */
};

/* Run a tool. args is an object (never NULL; {} when the client sent none). On success set
 * *out to the structured result (an object that matches output_schema) and return ERR_OK;
 * *text may be set to the text content (heap, NUL-terminated; NULL: the transport sends
 * *out serialised). On failure return the error with eb's text for the user: the transport
 * answers a result with isError: true and that text (redacted), never a crash. */
typedef enum err
mcp_tool_fn(struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb);

/* One row of the tool table. */
struct mcp_tool {
    const char *name;          /* "launch_run" */
    const char *title;         /* "Launch a run" */
    const char *description;   /* one or two sentences for the model */
    const char *input_schema;  /* JSON Schema (object) as text */
    const char *output_schema; /* JSON Schema (object) as text */
    unsigned flags;            /* enum mcp_tool_flags */
    mcp_tool_fn *call;
};

/* Return the tool table (static, sorted by name) and its length in *n. */
const struct mcp_tool *mcp_tools_get(size_t *n);

/* List the resources (reports of recent runs), one page from cursor (NULL: the first):
 * *resources an array of {uri, name, title, mimeType}, *next_cursor heap text or NULL.
 * ERR_INVALID for a cursor that is not one this server gave. */
enum err mcp_resources_list(const struct mcp_env *env,
                            const char *cursor,
                            json_t **resources,
                            char **next_cursor,
                            struct errbuf *eb);
/* Return the resource templates: an array of {uriTemplate, name, title, mimeType}. */
json_t *mcp_resource_templates_get(void);
/* Read uri into *contents, an array of {uri, mimeType, text}. ERR_NOT_FOUND when there is no
 * such resource (the transport answers JSON-RPC -32002). */
enum err
mcp_resource_read(const struct mcp_env *env, const char *uri, json_t **contents, struct errbuf *eb);
