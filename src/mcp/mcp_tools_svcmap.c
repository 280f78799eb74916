/* SPDX-License-Identifier: MIT */
/* mcp_tools_svcmap.c -- the service map tools: service_map (the newest map: nodes, typed
 * edges with evidence, single points of failure, changes) and impact_of (what depends on
 * one node), the same data as GET /api/service-map/latest/ and /impact/. */
#include <string.h>

#include "core/jsonx.h"
#include "mcp/mcp_tools_int.h"
#include "store/store.h"
#include "svcmap/svcmap.h"

/* *m gets the newest map; a missing map is ERR_NOT_FOUND with a hint. */
static enum err latest(struct mcp_call *c, json_t **m, struct errbuf *eb)
{
    enum err e = store_service_map_latest(c->env->st, m, eb);
    if (e == ERR_NOT_FOUND)
        errbuf_set(eb, e, "no service map was made yet (a service_map run makes one)");
    return e;
}

enum err mcp_tool_service_map(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    static const char *const known[] = {"include_mermaid", NULL};
    json_t *m = NULL;
    bool with_mermaid = false;
    (void)text; /* the text content is the structured result as JSON */
    enum err e = mcp_args_known(args, known, eb);
    if (e == ERR_OK)
        e = mcp_arg_bool(args, "include_mermaid", false, &with_mermaid, eb);
    if (e == ERR_OK)
        e = latest(c, &m, eb);
    if (e != ERR_OK)
        return mcp_tool_fail(c, e, eb);
    const json_t *g = json_object_get(m, "graph"), *an = json_object_get(m, "analysis");
    json_t *o =
        json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:O}", "id", json_object_get(m, "id"), "run_id",
                  json_object_get(m, "run_id"), "created_at", json_object_get(m, "created_at"),
                  "nodes", json_object_get(g, "nodes"), "edges", json_object_get(g, "edges"),
                  "spof", json_object_get(an, "spof"), "changes", json_object_get(an, "diff"));
    if (with_mermaid) {
        struct buf b;
        buf_init(&b, 4 * 1024 * 1024);
        if (svcmap_mermaid(g, &b) == ERR_OK)
            json_object_set_new(o, "mermaid", json_stringn(buf_str(&b), buf_len(&b)));
        buf_fini(&b);
    }
    json_decref(m);
    *out = o;
    return ERR_OK;
}

enum err mcp_tool_impact_of(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    static const char *const known[] = {"node", NULL};
    const char *ref = NULL;
    json_t *m = NULL;
    (void)text;
    enum err e = mcp_args_known(args, known, eb);
    if (e == ERR_OK)
        e = mcp_arg_str(args, "node", SVCMAP_QUERY_NAME_MAX, &ref, eb);
    if (e == ERR_OK && (!ref || !*ref))
        e = errbuf_set(eb, ERR_INVALID, "node is required: a node name or id of the map");
    if (e == ERR_OK)
        e = latest(c, &m, eb);
    if (e != ERR_OK)
        return mcp_tool_fail(c, e, eb);
    const json_t *g = json_object_get(m, "graph");
    const json_t *node = svcmap_node_find(g, ref);
    if (!node) {
        json_decref(m);
        e = errbuf_set(eb, ERR_NOT_FOUND, "no node of that name or id in the newest map");
        return mcp_tool_fail(c, e, eb);
    }
    *out = svcmap_impact(g, node);
    json_object_set(*out, "map_id", json_object_get(m, "id"));
    json_object_set(*out, "run_id", json_object_get(m, "run_id"));
    json_decref(m);
    return ERR_OK;
}
