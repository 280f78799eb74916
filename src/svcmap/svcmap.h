/* SPDX-License-Identifier: MIT */
/* svcmap.h -- the service map: a typed dependency graph of containers, networks, published
 * host ports and volumes, each edge with its evidence; impact analysis, the difference
 * between two maps, and DOT / Mermaid text.
 *
 * Pure: JSON in, JSON or text out, no I/O, no clock. Thread-safe (no shared state).
 * Graphs are jansson objects {"nodes": [...], "edges": [...]}; inputs are borrowed,
 * results are new (caller decrefs / finalises). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define SVCMAP_HOST_MAX       254   /* bytes of a host name, NUL included */
#define SVCMAP_HOSTS_PER_VAR  8     /* host names kept from one variable's value */
#define SVCMAP_VALUE_MAX      4096  /* bytes of a value looked at for host names */
#define SVCMAP_NODES_MAX      8000  /* nodes in a map */
#define SVCMAP_EDGES_MAX      32000 /* edges in a map */
#define SVCMAP_ID_MAX         300   /* bytes of a node id */
#define SVCMAP_NAME_MAX       256   /* bytes of a node name */
#define SVCMAP_EVIDENCE_MAX   512   /* bytes of an edge's evidence */
#define SVCMAP_DIFF_LIST_MAX  200   /* entries in each list of a difference */
#define SVCMAP_SPOF_MAX       50    /* single points of failure listed */
#define SVCMAP_QUERY_NAME_MAX 256   /* bytes of a node name or id in a query */

/* The edge types (one row each: enum stem, name). */
#define SVCMAP_EDGE_TYPES(X)            \
    X(SHARES_NETWORK, "shares_network") \
    X(DEPENDS_ON, "depends_on")         \
    X(ENV_REFERENCE, "env_reference")   \
    X(LINK, "link")                     \
    X(SHARED_VOLUME, "shared_volume")   \
    X(PUBLISHES, "publishes")           \
    X(OBSERVED, "observed")

/* Options of svcmap_build. */
struct svcmap_opts {
    bool include_stopped;   /* containers that are not running are nodes too (directive D3) */
    const json_t *observed; /* [{"from","to","port"}] by container name (svcmap_observed), or
                               NULL: each an "observed" edge from -> to */
};

/* One TCP socket of a /proc/<pid>/net/tcp{,6} table. */
struct svcmap_sock {
    unsigned char local[16], remote[16]; /* IPv6 bytes; IPv4 as ::ffff:a.b.c.d */
    uint16_t local_port, remote_port;
    bool is_listen; /* LISTEN; else ESTABLISHED */
};

/* Parse the text of /proc/<pid>/net/tcp or tcp6 (len bytes): writes the LISTEN and
 * ESTABLISHED sockets to out (at most max) and returns how many. Lines that do not parse
 * are skipped. */
size_t svcmap_proc_tcp_parse(const char *text, size_t len, struct svcmap_sock *out, size_t max);

/* Find the host names in one environment variable's value (URLs, host:port, lists of
 * them, libpq / ADO key=value DSNs; a bare name too when var_name ends in HOST, SERVER,
 * ADDR...). Writes at most max lower-cased names (each < SVCMAP_HOST_MAX) to hosts and
 * returns how many. User names and passwords in URLs are never taken. Looks at the first
 * SVCMAP_VALUE_MAX bytes of value only. */
size_t svcmap_env_hosts(const char *var_name,
                        const char *value,
                        size_t len,
                        char (*hosts)[SVCMAP_HOST_MAX],
                        size_t max);

/* Build the map of inventory items (job.json's "inventory": id, name, image, state for
 * every container, "details" for allowlisted ones) and networks (the engine's networks as
 * [{"name","driver","scope","internal"}], may be NULL). Non-allowlisted containers are
 * nodes by name only. Returns {"nodes","edges"} (caller decrefs). */
json_t *svcmap_build(const json_t *items, const json_t *networks, const struct svcmap_opts *o);

/* Check a map that came from outside (a worker's result): caps, node kinds, edge types,
 * unique ids, edges between known nodes. On success *out is a new copy holding only the
 * known fields. ERR_INVALID / ERR_TOO_LARGE with the reason in eb. */
enum err svcmap_check(const json_t *graph, json_t **out, struct errbuf *eb);

/* Return the node of g whose id is ref, else the first node named ref (containers first,
 * then networks, volumes, ports); NULL when none (borrowed from g). */
const json_t *svcmap_node_find(const json_t *g, const char *ref);

/* Return the impact of node (a node of g): {"node": {...}, "impacted": [{"id","name",
 * "kind","depth"}], "count"} -- every node that depends on it, directly or not. */
json_t *svcmap_impact(const json_t *g, const json_t *node);

/* Return the single points of failure of g: [{"id","name","kind","impacted",
 * "impacted_containers"}] for each node whose failure takes down two containers or more,
 * most impact first (at most SVCMAP_SPOF_MAX). */
json_t *svcmap_spof(const json_t *g);

/* Return what changed from old to cur (old may be NULL: everything is added):
 * {"nodes_added","nodes_removed": [{"id","name","kind"}], "edges_added","edges_removed":
 * [{"from","to","type"}]} (each list at most SVCMAP_DIFF_LIST_MAX; "is_truncated"). */
json_t *svcmap_diff(const json_t *old, const json_t *cur);

/* Append g as Graphviz DOT to out (names are escaped labels; node ids are n0, n1, ...). */
enum err svcmap_dot(const json_t *g, struct buf *out);

/* Append g as Mermaid flowchart text to out (labels entity-encoded). */
enum err svcmap_mermaid(const json_t *g, struct buf *out);
