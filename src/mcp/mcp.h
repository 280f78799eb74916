/* SPDX-License-Identifier: MIT */
/* mcp.h -- the MCP endpoint (/mcp): Streamable HTTP 2025-11-25 with sessions and SSE, and the
 * stateless 2026-07-28 revision on the same path.
 *
 * app/ creates the server with the service layer it shares with the REST API, hands
 * mcp_server_mount()'s route table to the API's HTTP server (api_ctx.mounts), and at exit
 * calls mcp_server_stop (long tool calls end) before stopping the HTTP server, then
 * mcp_server_free. Handlers run on the HTTP pool; a long tool call runs on its own thread. */
#pragma once

#include <jansson.h>

#include "core/config.h"
#include "core/err.h"
#include "core/events.h"
#include "http/http.h"
#include "store/store.h"

struct mcp_server;
struct explainer;

struct mcp_server_opts {
    const struct config *cfg;            /* borrowed; is_mcp_read_only, mcp_allowed_* */
    struct store *st;                    /* borrowed; tokens and the tools' data */
    struct events *ev;                   /* borrowed */
    void (*on_launch)(void *launch_ctx); /* wake the dispatcher after a run was queued */
    void *launch_ctx;
    enum err (*inventory_snapshot)(void *inventory_ctx, json_t **out, struct errbuf *eb);
    void *inventory_ctx;
    struct explainer *explainer; /* borrowed; shared with the REST API (explain/explain.h) */
};

/* Create the endpoint's state (sessions, the Origin/Host allowlist from cfg). */
enum err
mcp_server_new(const struct mcp_server_opts *o, struct mcp_server **out, struct errbuf *eb);
/* Return the route table for /mcp with its auth hook (borrowed; lives as long as m). */
const struct http_mount *mcp_server_mount(struct mcp_server *m);
/* Ask running tool calls to stop and wait for their threads. */
void mcp_server_stop(struct mcp_server *m);
/* Free m (after the HTTP server stopped); NULL is fine. */
void mcp_server_free(struct mcp_server *m);
