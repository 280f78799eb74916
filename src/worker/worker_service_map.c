/* SPDX-License-Identifier: MIT */
/* worker_service_map.c -- task service_map: the container list and the service map graph.
 *
 * The orchestrator asks the engine (the worker never sees the socket) and passes the
 * inventory items in job.json as "inventory" (id, name, image, state, status for every
 * container; "details" only for allowlisted ones: networks with aliases, ports, mounts,
 * links, compose labels, variable names and the host names their values name), the
 * engine's "networks" (name, driver, scope, internal), or "inventory_error" when the
 * engine did not answer. The result holds the container list, counts per state, and
 * "graph" (svcmap_build: typed edges with evidence). The orchestrator checks the graph,
 * lays it out (SVG) and compares it with the last map. */
#include <string.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "svcmap/svcmap.h"
#include "worker/worker_int.h"

#define SERVICE_MAP_MAX_CONTAINERS 2000

/* The container's name, else its short id. */
static json_t *container_name(const json_t *c)
{
    const char *n = jsonx_get_str(c, "name");
    if (n && *n)
        return json_string(n);
    const char *id = jsonx_get_str(c, "container_id");
    return id ? json_stringn(id, strlen(id) < 12 ? strlen(id) : 12) : json_string("?");
}

/* The names of its networks (allowlisted containers only; else []). */
static json_t *container_networks(const json_t *details)
{
    json_t *out = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(details, "networks"), i, n)
    {
        const char *name = jsonx_get_str(n, "name");
        if (name)
            json_array_append_new(out, json_string(name));
    }
    return out;
}

/* Its published ports (allowlisted containers only; else []). */
static json_t *container_ports(const json_t *details)
{
    json_t *out = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(details, "ports"), i, p)
    {
        json_t *o = json_pack("{s:O?,s:O?}", "private", json_object_get(p, "container_port"),
                              "public", json_object_get(p, "host_port"));
        if (o)
            json_array_append_new(out, o);
    }
    return out;
}

static json_t *unreachable(const char *msg)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:[],s:{}}", "task", "service_map", "status", "success",
                     "docker", "unreachable", "message", msg, "containers", "counts");
}

json_t *worker_service_map(const json_t *job)
{
    const char *err = jsonx_get_str(job, "inventory_error");
    const json_t *inv = json_object_get(job, "inventory");
    if (err)
        return unreachable(err);
    if (!json_is_array(inv))
        return worker_result_failed("service_map", "job.json has no inventory array");
    worker_progress(30, "reading the container inventory");
    json_t *list = json_array(), *counts = json_object();
    size_t i;
    json_t *c;
    json_array_foreach(inv, i, c)
    {
        if (i >= SERVICE_MAP_MAX_CONTAINERS || !json_is_object(c))
            break;
        const char *state = jsonx_get_str(c, "state");
        state = state && *state ? state : "unknown";
        const json_t *details = json_object_get(c, "details");
        json_t *o = json_object();
        json_object_set_new(o, "name", container_name(c));
        jsonx_set_str_or_null(o, "image", jsonx_get_str(c, "image"));
        json_object_set_new(o, "state", json_string(state));
        jsonx_set_str_or_null(o, "status", jsonx_get_str(c, "status"));
        json_object_set_new(o, "is_allowlisted", json_boolean(json_is_object(details)));
        json_object_set_new(o, "networks", container_networks(details));
        json_object_set_new(o, "ports", container_ports(details));
        json_array_append_new(list, o);
        json_t *n = json_object_get(counts, state);
        json_object_set_new(counts, state, json_integer(n ? json_integer_value(n) + 1 : 1));
    }
    worker_progress(60, "building the service map");
    const json_t *stopped = json_object_get(json_object_get(job, "config"), "include_stopped");
    struct svcmap_opts o = {.include_stopped = !json_is_false(stopped),
                            .observed = json_object_get(job, "observed")};
    json_t *graph = svcmap_build(inv, json_object_get(job, "networks"), &o);
    json_t *r = json_pack("{s:s,s:s,s:s,s:o,s:o,s:I,s:b}", "task", "service_map", "status",
                          "success", "docker", "reachable", "containers", list, "counts", counts,
                          "container_count", (json_int_t)json_array_size(list), "is_truncated",
                          json_array_size(inv) > SERVICE_MAP_MAX_CONTAINERS);
    json_object_set_new(r, "node_count",
                        json_integer((json_int_t)json_array_size(json_object_get(graph, "nodes"))));
    json_object_set_new(r, "edge_count",
                        json_integer((json_int_t)json_array_size(json_object_get(graph, "edges"))));
    json_object_set_new(r, "graph", graph);
    return r;
}
