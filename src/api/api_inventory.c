/* SPDX-License-Identifier: MIT */
/* api_inventory.c -- /api/inventory/: container inventory snapshots and their difference.
 *
 * Taking a snapshot needs the engine and the tasks module, which this layer cannot
 * include: app/ hands the api a callback (api_ctx.inventory_snapshot). */
#include <stdint.h>
#include <stdio.h>

#include "api/api_int.h"
#include "core/log.h"
#include "store/store.h"

void api_inventory_list(void *app, struct http_req *req, struct http_resp *resp)
{
    api_list_reply(app, req, resp, "/api/inventory/", store_inventory_list);
}

void api_inventory_snapshot(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *snap = NULL;
    (void)req;
    if (!a->ctx.inventory_snapshot) {
        http_reply_error(resp, ERR_UNAVAILABLE, "inventory snapshots are not available here");
        return;
    }
    enum err e = a->ctx.inventory_snapshot(a->ctx.inventory_ctx, &snap, &eb);
    if (e == ERR_UNAVAILABLE) {
        log_warn("api", "event=inventory.unavailable");
        http_reply_error(resp, e, errbuf_get(&eb, e));
        return;
    }
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    http_reply_json(resp, 201, snap);
}

void api_inventory_get(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *snap = NULL;
    enum err e = store_inventory_get(a->ctx.st, req->ids[0], &snap, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    http_reply_json(resp, 200, snap);
}

void api_inventory_latest(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *snap = NULL;
    (void)req;
    enum err e = store_inventory_latest(a->ctx.st, &snap, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    http_reply_json(resp, 200, snap);
}

/* Read the snapshot id in query key (absent: 0); false after replying 400 when bad. */
static bool
snap_id(const struct http_req *req, struct http_resp *resp, const char *key, int64_t *id)
{
    const char *v = NULL;
    *id = 0;
    if (!api_query_get(req, resp, key, &v))
        return false;
    if (v && http_parse_int64(v, 1, INT64_MAX, id) != ERR_OK) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%s: give a positive integer snapshot id", key);
        http_reply_error(resp, ERR_INVALID, msg);
        return false;
    }
    return true;
}

void api_inventory_diff(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *diff = NULL;
    int64_t from = 0, to = 0;
    if (!snap_id(req, resp, "from", &from) || !snap_id(req, resp, "to", &to))
        return;
    enum err e = store_inventory_diff(a->ctx.st, from, to, &diff, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    http_reply_json(resp, 200, diff);
}
