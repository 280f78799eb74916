/* SPDX-License-Identifier: MIT */
/* api_service_map.c -- /api/service-map/: the newest service map as JSON, SVG, DOT and
 * Mermaid, and the impact of one node.
 *
 * Maps are made by service_map jobs (tasks_svcmap.c) and kept checked and redacted; this
 * file only reads them. The SVG was laid out by Graphviz from escaped labels; it is served
 * with a Content-Security-Policy that forbids scripts, so even a hostile name that Graphviz
 * passed through as text could not run. */
#include <string.h>

#include "api/api_int.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "store/store.h"
#include "svcmap/svcmap.h"

#define TEXT_MAX (8 * 1024 * 1024) /* bytes of DOT or Mermaid text */

/* *map gets the newest map; false after replying the error. */
static bool latest(struct api_server *a, struct http_resp *resp, json_t **map)
{
    struct errbuf eb = {{0}};
    enum err e = store_service_map_latest(a->ctx.st, map, &eb);
    if (e != ERR_OK)
        api_reply_err(resp, e, &eb);
    return e == ERR_OK;
}

void api_service_map_latest(void *app, struct http_req *req, struct http_resp *resp)
{
    json_t *m = NULL;
    (void)req;
    if (!latest(app, resp, &m))
        return;
    const json_t *g = json_object_get(m, "graph"), *an = json_object_get(m, "analysis");
    json_t *out =
        json_pack("{s:O,s:O,s:O,s:O,s:O,s:O}", "id", json_object_get(m, "id"), "run_id",
                  json_object_get(m, "run_id"), "job_id", json_object_get(m, "job_id"),
                  "created_at", json_object_get(m, "created_at"), "node_count",
                  json_object_get(m, "node_count"), "edge_count", json_object_get(m, "edge_count"));
    json_object_set(out, "nodes", json_object_get(g, "nodes"));
    json_object_set(out, "edges", json_object_get(g, "edges"));
    json_object_set(out, "spof", json_object_get(an, "spof"));
    json_object_set(out, "changes", json_object_get(an, "diff"));
    json_object_set(out, "previous_map_id", json_object_get(an, "previous_map_id"));
    json_decref(m);
    http_reply_json(resp, 200, out);
}

void api_service_map_svg(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    char *svg = NULL;
    (void)req;
    enum err e = store_service_map_latest_svg(a->ctx.st, &svg, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    http_reply_text(resp, 200, "image/svg+xml", svg, strlen(svg));
    http_resp_header_add(resp, "Content-Security-Policy",
                         "default-src 'none'; style-src 'unsafe-inline'; sandbox");
    http_resp_header_add(resp, "X-Content-Type-Options", "nosniff");
    xfree(svg);
}

/* Reply with the newest map as text made by fn (DOT or Mermaid). */
static void text_reply(struct api_server *a,
                       struct http_resp *resp,
                       enum err (*fn)(const json_t *, struct buf *),
                       const char *content_type)
{
    json_t *m = NULL;
    struct buf b;
    if (!latest(a, resp, &m))
        return;
    buf_init(&b, TEXT_MAX);
    if (fn(json_object_get(m, "graph"), &b) == ERR_OK)
        http_reply_text(resp, 200, content_type, buf_str(&b), buf_len(&b));
    else
        http_reply_error(resp, ERR_TOO_LARGE, "the map's text is over 8 MiB");
    buf_fini(&b);
    json_decref(m);
}

void api_service_map_dot(void *app, struct http_req *req, struct http_resp *resp)
{
    (void)req;
    text_reply(app, resp, svcmap_dot, "text/vnd.graphviz; charset=utf-8");
}

void api_service_map_mermaid(void *app, struct http_req *req, struct http_resp *resp)
{
    (void)req;
    text_reply(app, resp, svcmap_mermaid, "text/plain; charset=utf-8");
}

void api_service_map_impact(void *app, struct http_req *req, struct http_resp *resp)
{
    const char *ref = NULL;
    json_t *m = NULL;
    if (!api_query_get(req, resp, "node", &ref))
        return;
    if (!ref || !*ref) {
        http_reply_field_error(resp, "node", "Give a node name or id.");
        return;
    }
    if (strlen(ref) > SVCMAP_QUERY_NAME_MAX) {
        http_reply_field_error(resp, "node", "Ensure this value has at most 256 characters.");
        return;
    }
    if (!latest(app, resp, &m))
        return;
    const json_t *g = json_object_get(m, "graph");
    const json_t *node = svcmap_node_find(g, ref);
    if (!node) {
        http_reply_error(resp, ERR_NOT_FOUND, "no node of that name or id in the latest map");
        json_decref(m);
        return;
    }
    json_t *out = svcmap_impact(g, node);
    json_object_set(out, "map_id", json_object_get(m, "id"));
    json_object_set(out, "run_id", json_object_get(m, "run_id"));
    json_decref(m);
    http_reply_json(resp, 200, out);
}
