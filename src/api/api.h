/* SPDX-License-Identifier: MIT */
/* api.h -- the HTTP service: REST API under /api/, /metrics, and the web UI.
 *
 * api_server_start binds cfg->bind_addr:cfg->port with libmicrohttpd (epoll + thread
 * pool) and serves until api_server_stop. Handlers run on the pool threads and use the
 * store (thread-safe) and the event bus. */
#pragma once

#include "core/config.h"
#include "core/err.h"
#include "core/events.h"
#include "http/http.h"
#include "store/store.h"

struct api_server;
struct explainer; /* explain/explain.h */

struct api_ctx {
    const struct config *cfg;            /* borrowed */
    struct store *st;                    /* borrowed */
    struct events *ev;                   /* borrowed */
    void (*on_launch)(void *launch_ctx); /* called after a run was queued (wakes the dispatcher) */
    void *launch_ctx;
    /* Take an inventory snapshot now (source manual) into *out; ERR_UNAVAILABLE when the
     * engine does not answer. NULL: POST /api/inventory/snapshot/ answers 503. */
    enum err (*inventory_snapshot)(void *inventory_ctx, json_t **out, struct errbuf *eb);
    void *inventory_ctx;
    /* The explanations' shared state (explain.h; one cap with /mcp); borrowed. NULL: the
     * server makes its own. */
    struct explainer *explainer;
    /* Further route tables served next to the API (the MCP endpoint); borrowed. */
    const struct http_mount *mounts;
    size_t n_mounts;
};

/* Start serving; *bound_port gets the port actually bound (cfg->port 0 picks a free one). */
enum err api_server_start(const struct api_ctx *ctx,
                          struct api_server **out,
                          int *bound_port,
                          struct errbuf *eb);
/* Stop accepting, finish in-flight requests, and free s; NULL is fine. */
void api_server_stop(struct api_server *s);
