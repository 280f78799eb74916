/* SPDX-License-Identifier: MIT */
/* worker_service_map.c -- task service_map, first version: the container inventory as a list.
 *
 * The orchestrator asks the engine (the worker never sees the socket) and passes the
 * Engine's container list in job.json as "inventory", or "inventory_error" when the
 * engine did not answer. Per container: name, image, state, status, networks and
 * published ports; plus counts per state. Compose services and the graph come later. */
#include <string.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "worker/worker_int.h"

#define SERVICE_MAP_MAX_CONTAINERS 2000

/* The first name without Docker's leading '/', or the short id. */
static json_t *container_name(const json_t *c)
{
    const json_t *names = json_object_get(c, "Names");
    const char *n = json_string_value(json_array_get(names, 0));
    if (n)
        return json_string(n[0] == '/' ? n + 1 : n);
    const char *id = jsonx_get_str(c, "Id");
    return id ? json_stringn(id, strlen(id) < 12 ? strlen(id) : 12) : json_string("?");
}

static json_t *container_networks(const json_t *c)
{
    json_t *out = json_array();
    json_t *nets = json_object_get(json_object_get(c, "NetworkSettings"), "Networks");
    const char *key;
    json_t *v;
    json_object_foreach(nets, key, v)
    {
        json_array_append_new(out, json_string(key));
    }
    return out;
}

/* Published ports only (those with a PublicPort). */
static json_t *container_ports(const json_t *c)
{
    json_t *out = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(c, "Ports"), i, p)
    {
        json_t *pub = json_object_get(p, "PublicPort");
        if (!json_is_integer(pub))
            continue;
        json_t *o =
            json_pack("{s:O,s:O}", "public", pub, "private", json_object_get(p, "PrivatePort"));
        if (!o)
            continue;
        jsonx_set_str_or_null(o, "type", jsonx_get_str(p, "Type"));
        jsonx_set_str_or_null(o, "ip", jsonx_get_str(p, "IP"));
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
        const char *state = jsonx_get_str(c, "State");
        state = state ? state : "unknown";
        json_t *o = json_object();
        json_object_set_new(o, "name", container_name(c));
        jsonx_set_str_or_null(o, "image", jsonx_get_str(c, "Image"));
        json_object_set_new(o, "state", json_string(state));
        jsonx_set_str_or_null(o, "status", jsonx_get_str(c, "Status"));
        json_object_set_new(o, "networks", container_networks(c));
        json_object_set_new(o, "ports", container_ports(c));
        json_array_append_new(list, o);
        json_t *n = json_object_get(counts, state);
        json_object_set_new(counts, state, json_integer(n ? json_integer_value(n) + 1 : 1));
    }
    return json_pack("{s:s,s:s,s:s,s:o,s:o,s:I,s:b}", "task", "service_map", "status", "success",
                     "docker", "reachable", "containers", list, "counts", counts, "container_count",
                     (json_int_t)json_array_size(list), "is_truncated",
                     json_array_size(inv) > SERVICE_MAP_MAX_CONTAINERS);
}
