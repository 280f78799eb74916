/* SPDX-License-Identifier: MIT */
/* tasks_observed.c -- the service map's observed edges: established TCP connections between
 * allowlisted containers, read from the host's /proc/<pid>/net/tcp{,6}.
 *
 * For each running allowlisted container the engine gives its main process id and its
 * addresses (kept in memory here only: addresses are never stored or passed on). A socket
 * of container A that is ESTABLISHED to an address of container B, on a port B LISTENs on,
 * is an observed connection A -> B:port. The tables are read as they are (a snapshot), never
 * by connecting to anything. Needs the host's /proc (the orchestrator on the host, or the
 * host's /proc mounted at /proc); without it there are simply no observed edges. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/fs.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "docker/docker.h"
#include "svcmap/svcmap.h"
#include "tasks/tasks_int.h"

#define OBS_CONTAINERS_MAX 256               /* running allowlisted containers looked at */
#define OBS_IPS_MAX        16                /* addresses per container */
#define OBS_SOCKS_MAX      4096              /* sockets per container */
#define OBS_TABLE_MAX      (4 * 1024 * 1024) /* bytes of one tcp table */
#define OBS_EDGES_MAX      2000              /* observed connections reported */

struct peer {
    const char *name; /* borrowed from the items */
    unsigned char ip[OBS_IPS_MAX][16];
    size_t n_ip;
    struct svcmap_sock *socks;
    size_t n_socks;
};

/* Parse ip (v4 or v6 text) into the 16-byte form svcmap_sock uses. */
static bool ip_bytes(const char *ip, unsigned char *out)
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, ip, out + 12) == 1) {
        out[10] = out[11] = 0xff;
        return true;
    }
    return inet_pton(AF_INET6, ip, out) == 1;
}

/* Read /proc/<pid>/net/tcp and tcp6 into p->socks. */
static void read_tables(struct peer *p, long long pid)
{
    static const char *const files[] = {"tcp", "tcp6"};
    p->socks = xcalloc(OBS_SOCKS_MAX, sizeof(*p->socks));
    for (size_t k = 0; k < 2; k++) {
        char path[64], *text = NULL;
        size_t len = 0;
        snprintf(path, sizeof(path), "/proc/%lld/net/%s", pid, files[k]);
        if (fs_read_file(path, OBS_TABLE_MAX, &text, &len, NULL) != ERR_OK)
            continue;
        p->n_socks +=
            svcmap_proc_tcp_parse(text, len, p->socks + p->n_socks, OBS_SOCKS_MAX - p->n_socks);
        xfree(text);
    }
}

/* Fill p for item it (a running allowlisted container); false when it is not usable. */
static bool peer_init(const struct config *cfg, const json_t *it, struct peer *p)
{
    json_t *ni = NULL;
    size_t i;
    json_t *ip;
    memset(p, 0, sizeof(*p));
    p->name = jsonx_get_str(it, "name");
    const char *id = jsonx_get_str(it, "container_id");
    if (!p->name || !id || docker_container_netinfo(cfg->docker_socket, id, &ni, NULL) != ERR_OK)
        return false;
    json_int_t pid = json_integer_value(json_object_get(ni, "pid"));
    json_array_foreach(json_object_get(ni, "ips"), i, ip)
    {
        if (p->n_ip < OBS_IPS_MAX && ip_bytes(json_string_value(ip), p->ip[p->n_ip]))
            p->n_ip++;
    }
    json_decref(ni);
    if (pid <= 0 || p->n_ip == 0)
        return false;
    read_tables(p, (long long)pid);
    return true;
}

static bool has_ip(const struct peer *p, const unsigned char *ip)
{
    for (size_t i = 0; i < p->n_ip; i++)
        if (memcmp(p->ip[i], ip, 16) == 0)
            return true;
    return false;
}

static bool listens_on(const struct peer *p, uint16_t port)
{
    for (size_t i = 0; i < p->n_socks; i++)
        if (p->socks[i].is_listen && p->socks[i].local_port == port)
            return true;
    return false;
}

/* Append the connections of a to the others (deduplicated by target and port). */
static void connections(const struct peer *peers, size_t n, size_t a, json_t *out)
{
    for (size_t s = 0; s < peers[a].n_socks; s++) {
        const struct svcmap_sock *k = &peers[a].socks[s];
        for (size_t b = 0; b < n && !k->is_listen; b++) {
            if (b == a || !has_ip(&peers[b], k->remote) || !listens_on(&peers[b], k->remote_port))
                continue;
            size_t i;
            json_t *x;
            bool dup = false;
            json_array_foreach(out, i, x)
            {
                dup |= !strcmp(jsonx_get_str(x, "from"), peers[a].name) &&
                       !strcmp(jsonx_get_str(x, "to"), peers[b].name) &&
                       json_integer_value(json_object_get(x, "port")) == k->remote_port;
            }
            if (!dup && json_array_size(out) < OBS_EDGES_MAX)
                json_array_append_new(out, json_pack("{s:s,s:s,s:i}", "from", peers[a].name, "to",
                                                     peers[b].name, "port", k->remote_port));
        }
    }
}

json_t *tasks_observed_collect(const struct config *cfg, const json_t *items)
{
    struct peer *peers = xcalloc(OBS_CONTAINERS_MAX, sizeof(*peers));
    size_t n = 0, i;
    json_t *it, *out = json_array();
    json_array_foreach(items, i, it)
    {
        const char *state = jsonx_get_str(it, "state");
        if (n >= OBS_CONTAINERS_MAX || !json_is_true(json_object_get(it, "is_allowlisted")) ||
            !state || strcmp(state, "running") != 0)
            continue;
        if (peer_init(cfg, it, &peers[n]))
            n++;
        else
            xfree(peers[n].socks);
    }
    for (i = 0; i < n; i++)
        connections(peers, n, i, out);
    for (i = 0; i < n; i++)
        xfree(peers[i].socks);
    xfree(peers);
    log_info("tasks", "event=service_map.observed containers=%zu connections=%zu", n,
             json_array_size(out));
    return out;
}
