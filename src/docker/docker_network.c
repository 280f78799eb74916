/* SPDX-License-Identifier: MIT */
/* docker_network.c -- the engine's networks, cut down to names and kinds.
 *
 * GET /networks answers with every network and its IPAM settings (subnets, gateways):
 * only the name, driver, scope and the internal flag leave this file. */
#include "docker/docker.h"

#include <string.h>

#include "core/jsonx.h"
#include "docker/docker_int.h"

#define NETWORKS_MAX    256 /* networks kept */
#define NETWORK_STR_MAX 128 /* bytes of a name, driver or scope */

/* obj[key] when it is a string of at most NETWORK_STR_MAX bytes, else NULL. */
static const char *short_str(const json_t *obj, const char *key)
{
    const char *s = jsonx_get_str(obj, key);
    return s && strlen(s) <= NETWORK_STR_MAX ? s : NULL;
}

json_t *docker_networks_summary(const json_t *raw)
{
    json_t *out = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(raw, i, n)
    {
        const char *name = short_str(n, "Name");
        if (!name || !*name)
            continue;
        if (json_array_size(out) >= NETWORKS_MAX)
            break;
        json_t *o = json_pack("{s:s,s:b}", "name", name, "internal",
                              json_is_true(json_object_get(n, "Internal")));
        jsonx_set_str_or_null(o, "driver", short_str(n, "Driver"));
        jsonx_set_str_or_null(o, "scope", short_str(n, "Scope"));
        json_array_append_new(out, o);
    }
    return out;
}

enum err docker_networks_list(const char *socket_path, json_t **out, struct errbuf *eb)
{
    char path[DOCKER_PATH_MAX];
    json_t *raw = NULL;
    *out = NULL;
    enum err e = docker_api_path(socket_path, path, sizeof(path), eb, "/networks");
    if (e != ERR_OK)
        return e;
    struct docker_call call = {"GET", path, NULL, 0, "network list"};
    e = docker_call_json(socket_path, &call, DOCKER_BODY_MAX, false, &raw, eb);
    if (e == ERR_OK && !json_is_array(raw))
        e = errbuf_set(eb, ERR_UNAVAILABLE, "docker network list: not an array");
    if (e == ERR_OK)
        *out = docker_networks_summary(raw);
    json_decref(raw);
    return e;
}
