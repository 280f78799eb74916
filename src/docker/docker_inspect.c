/* SPDX-License-Identifier: MIT */
/* docker_inspect.c -- container inspect, cut down to a bounded, non-secret summary.
 *
 * The engine's answer holds the container's environment with its values; only the
 * variable names leave this file. Every list and string in the summary has a cap, so a
 * container with thousands of labels or mounts still yields a small object. */
#include "docker/docker.h"

#include <string.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "docker/docker_int.h"
#include "svcmap/svcmap.h"

#define INSPECT_BODY_MAX   (4u * 1024 * 1024) /* bytes of the engine's answer */
#define INSPECT_STR_MAX    128                /* bytes of a name, path or time */
#define INSPECT_LABEL_MAX  256                /* bytes of a label value */
#define INSPECT_NETS_MAX   8
#define INSPECT_ALIAS_MAX  8
#define INSPECT_PORTS_MAX  64
#define INSPECT_MOUNTS_MAX 32
#define INSPECT_LABELS_MAX 32
#define INSPECT_ENV_MAX    128
#define INSPECT_LINKS_MAX  32
#define INSPECT_HOSTS_MAX  64 /* host names taken from all variable values */
#define COMPOSE_PREFIX     "com.docker.compose."

/* A new JSON string of at most max bytes of s, cut on a UTF-8 boundary (null for NULL). */
static json_t *str_cut(const char *s, size_t max)
{
    if (!s)
        return json_null();
    size_t n = strnlen(s, max + 1);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    json_t *j = json_stringn(s, n);
    return j ? j : json_null();
}

/* obj[key] as a capped string, or null. */
static json_t *get_str(const json_t *obj, const char *key, size_t max)
{
    return str_cut(jsonx_get_str(obj, key), max);
}

/* obj[key] as an integer, or null. */
static json_t *get_int(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer(json_integer_value(v)) : json_null();
}

static bool is_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= DOCKER_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* Append {"target","alias"} of one link ("target:alias" on a user network, or
 * "/target:/this/alias" in HostConfig.Links) to out. */
static void link_add(json_t *out, const char *s)
{
    if (!s || json_array_size(out) >= INSPECT_LINKS_MAX)
        return;
    if (*s == '/')
        s++;
    size_t n = strcspn(s, ":");
    if (n == 0 || s[n] != ':')
        return;
    const char *alias = strrchr(s + n + 1, '/');
    alias = alias ? alias + 1 : s + n + 1;
    json_t *target = json_stringn(s, n > INSPECT_STR_MAX ? INSPECT_STR_MAX : n);
    if (target)
        json_array_append_new(out, json_pack("{s:o,s:o}", "target", target, "alias",
                                             str_cut(alias, INSPECT_STR_MAX)));
}

/* The links of a container, from its user networks and HostConfig.Links. */
static json_t *links(json_t *nets, const json_t *host_links)
{
    json_t *out = json_array();
    const char *name;
    json_t *n, *l;
    size_t i;
    json_object_foreach(nets, name, n)
    {
        json_array_foreach(json_object_get(n, "Links"), i, l) link_add(out, json_string_value(l));
    }
    json_array_foreach(host_links, i, l) link_add(out, json_string_value(l));
    return out;
}

/* [{"name","aliases":[...]}] from NetworkSettings.Networks (addresses left out). */
static json_t *networks(json_t *nets)
{
    json_t *out = json_array();
    const char *name;
    json_t *n;
    json_object_foreach(nets, name, n)
    {
        if (json_array_size(out) >= INSPECT_NETS_MAX)
            break;
        json_t *aliases = json_array();
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(n, "Aliases"), i, a)
        {
            if (i >= INSPECT_ALIAS_MAX)
                break;
            if (json_is_string(a))
                json_array_append_new(aliases, str_cut(json_string_value(a), INSPECT_STR_MAX));
        }
        json_array_append_new(out, json_pack("{s:o,s:o}", "name", str_cut(name, INSPECT_STR_MAX),
                                             "aliases", aliases));
    }
    return out;
}

/* [{"container_port":"80/tcp","host_port":"8080"}] for the published ports only. */
static json_t *ports(json_t *p)
{
    json_t *out = json_array();
    const char *key;
    json_t *binds;
    json_object_foreach(p, key, binds)
    {
        size_t i;
        json_t *b;
        json_array_foreach(binds, i, b)
        {
            if (json_array_size(out) >= INSPECT_PORTS_MAX)
                return out;
            json_array_append_new(out, json_pack("{s:o,s:o}", "container_port",
                                                 str_cut(key, INSPECT_STR_MAX), "host_port",
                                                 get_str(b, "HostPort", INSPECT_STR_MAX)));
        }
    }
    return out;
}

/* [{"type","destination","read_only","volume"}]: the source is named only for volumes. */
static json_t *mounts(const json_t *m)
{
    json_t *out = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(m, i, x)
    {
        if (i >= INSPECT_MOUNTS_MAX)
            break;
        const char *type = jsonx_get_str(x, "Type");
        bool is_volume = type && strcmp(type, "volume") == 0;
        json_t *rw = json_object_get(x, "RW");
        json_array_append_new(
            out, json_pack("{s:o,s:o,s:b,s:o}", "type", str_cut(type, INSPECT_STR_MAX),
                           "destination", get_str(x, "Destination", INSPECT_STR_MAX), "read_only",
                           json_is_boolean(rw) && !json_is_true(rw), "volume",
                           is_volume ? get_str(x, "Name", INSPECT_STR_MAX) : json_null()));
    }
    return out;
}

/* The com.docker.compose.* labels. */
static json_t *compose_labels(json_t *labels)
{
    json_t *out = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(labels, key, v)
    {
        if (json_object_size(out) >= INSPECT_LABELS_MAX)
            break;
        if (strncmp(key, COMPOSE_PREFIX, strlen(COMPOSE_PREFIX)) != 0 ||
            strlen(key) > INSPECT_STR_MAX || !json_is_string(v))
            continue;
        json_object_set_new(out, key, str_cut(json_string_value(v), INSPECT_LABEL_MAX));
    }
    return out;
}

/* The names of the variables in Config.Env ("NAME=value"): never the values. */
static json_t *env_names(const json_t *env)
{
    json_t *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(env, i, e)
    {
        if (i >= INSPECT_ENV_MAX)
            break;
        const char *s = json_string_value(e);
        if (!s)
            continue;
        size_t n = strcspn(s, "=");
        json_array_append_new(out, json_stringn(s, n > INSPECT_STR_MAX ? INSPECT_STR_MAX : n));
    }
    return out;
}

/* [{"name","hosts":[...]}]: the host names each variable's value names (never the value). */
static json_t *env_hosts(const json_t *env)
{
    json_t *out = json_array();
    char hosts[SVCMAP_HOSTS_PER_VAR][SVCMAP_HOST_MAX];
    size_t i, total = 0;
    json_t *e;
    json_array_foreach(env, i, e)
    {
        const char *s = json_string_value(e);
        if (i >= INSPECT_ENV_MAX || total >= INSPECT_HOSTS_MAX)
            break;
        const char *eq = s ? strchr(s, '=') : NULL;
        if (!eq || eq == s || (size_t)(eq - s) > INSPECT_STR_MAX)
            continue;
        char name[INSPECT_STR_MAX + 1];
        memcpy(name, s, (size_t)(eq - s));
        name[eq - s] = '\0';
        size_t n = svcmap_env_hosts(name, eq + 1, strlen(eq + 1), hosts, SVCMAP_HOSTS_PER_VAR);
        if (n == 0)
            continue;
        json_t *list = json_array();
        for (size_t k = 0; k < n && total < INSPECT_HOSTS_MAX; k++, total++)
            json_array_append_new(list, json_string(hosts[k]));
        json_array_append_new(out, json_pack("{s:s,s:o}", "name", name, "hosts", list));
    }
    explicit_bzero(hosts, sizeof(hosts));
    return out;
}

json_t *docker_inspect_summary(const json_t *raw)
{
    const json_t *state = json_object_get(raw, "State");
    const json_t *cfg = json_object_get(raw, "Config");
    const json_t *host = json_object_get(raw, "HostConfig");
    const json_t *net = json_object_get(raw, "NetworkSettings");
    const json_t *policy = json_object_get(host, "RestartPolicy");
    json_t *health = json_object_get(json_object_get(state, "Health"), "Status");
    json_t *s = json_object();
    json_object_set_new(s, "created", get_str(raw, "Created", INSPECT_STR_MAX));
    json_object_set_new(s, "started_at", get_str(state, "StartedAt", INSPECT_STR_MAX));
    json_object_set_new(s, "finished_at", get_str(state, "FinishedAt", INSPECT_STR_MAX));
    json_object_set_new(s, "restart_count", get_int(raw, "RestartCount"));
    json_object_set_new(s, "health", str_cut(json_string_value(health), INSPECT_STR_MAX));
    json_object_set_new(s, "exit_code", get_int(state, "ExitCode"));
    json_object_set_new(s, "tty", json_boolean(json_is_true(json_object_get(cfg, "Tty"))));
    json_object_set_new(s, "restart_policy",
                        json_pack("{s:o,s:o}", "name", get_str(policy, "Name", INSPECT_STR_MAX),
                                  "maximum_retry_count", get_int(policy, "MaximumRetryCount")));
    json_object_set_new(s, "memory_bytes", get_int(host, "Memory"));
    json_object_set_new(s, "nano_cpus", get_int(host, "NanoCpus"));
    json_object_set_new(s, "networks", networks(json_object_get(net, "Networks")));
    /* A container that never ran has its bindings in HostConfig only. */
    json_t *pb = json_object_get(net, "Ports");
    if (!json_is_object(pb) || json_object_size(pb) == 0)
        pb = json_object_get(host, "PortBindings");
    json_object_set_new(s, "ports", ports(pb));
    json_object_set_new(s, "links",
                        links(json_object_get(net, "Networks"), json_object_get(host, "Links")));
    json_object_set_new(s, "mounts", mounts(json_object_get(raw, "Mounts")));
    json_object_set_new(s, "labels", compose_labels(json_object_get(cfg, "Labels")));
    json_object_set_new(s, "env_names", env_names(json_object_get(cfg, "Env")));
    json_object_set_new(s, "env_hosts", env_hosts(json_object_get(cfg, "Env")));
    return s;
}

/* Ask the engine for container id's inspect answer (*raw, caller decrefs); the answer's
 * text, which held the environment's values, is wiped. */
static enum err get_raw(const char *socket_path, const char *id, json_t **raw, struct errbuf *eb)
{
    char path[DOCKER_PATH_MAX];
    *raw = NULL;
    if (!is_name_ok(id))
        return errbuf_set(eb, ERR_INVALID, "not a container id or name");
    enum err e = docker_api_path(socket_path, path, sizeof(path), eb, "/containers/%s/json", id);
    if (e != ERR_OK)
        return e;
    struct docker_call call = {"GET", path, NULL, 0, "container inspect"};
    e = docker_call_json(socket_path, &call, INSPECT_BODY_MAX, true, raw, eb);
    if (e == ERR_OK && !json_is_object(*raw))
        e = errbuf_set(eb, ERR_UNAVAILABLE, "docker container inspect: not an object");
    if (e != ERR_OK) {
        json_decref(*raw);
        *raw = NULL;
    }
    return e;
}

enum err
docker_container_inspect(const char *socket_path, const char *id, json_t **out, struct errbuf *eb)
{
    json_t *raw = NULL;
    *out = NULL;
    enum err e = get_raw(socket_path, id, &raw, eb);
    if (e == ERR_OK)
        *out = docker_inspect_summary(raw);
    json_decref(raw);
    return e;
}

json_t *docker_inspect_netinfo(const json_t *raw)
{
    const json_t *state = json_object_get(raw, "State");
    json_t *pid = json_object_get(state, "Pid");
    json_t *ips = json_array();
    const char *name;
    json_t *n;
    json_object_foreach(json_object_get(json_object_get(raw, "NetworkSettings"), "Networks"), name,
                        n)
    {
        static const char *const keys[] = {"IPAddress", "GlobalIPv6Address", NULL};
        for (size_t k = 0; keys[k]; k++) {
            const char *ip = jsonx_get_str(n, keys[k]);
            if (ip && *ip && strlen(ip) < 64 && json_array_size(ips) < 2 * INSPECT_NETS_MAX)
                json_array_append_new(ips, json_string(ip));
        }
    }
    return json_pack("{s:I,s:b,s:o}", "pid", json_is_integer(pid) ? json_integer_value(pid) : 0,
                     "running", json_is_true(json_object_get(state, "Running")), "ips", ips);
}

enum err
docker_container_netinfo(const char *socket_path, const char *id, json_t **out, struct errbuf *eb)
{
    json_t *raw = NULL;
    *out = NULL;
    enum err e = get_raw(socket_path, id, &raw, eb);
    if (e == ERR_OK)
        *out = docker_inspect_netinfo(raw);
    json_decref(raw);
    return e;
}
