/* SPDX-License-Identifier: MIT */
/* svcmap_build.c -- the map of an inventory: nodes and typed edges with their evidence.
 *
 * Nodes: every container (by name only when it is not allowlisted), and for allowlisted
 * ones their networks, published host ports and named volumes. Edges point from the
 * dependent to what it needs: container -> network (shares_network), -> volume
 * (shared_volume), -> container (depends_on from the compose label, link, env_reference
 * when a variable's value names the other container: its name, an alias on a network
 * both are on, or its compose service in the same project; observed for an established
 * TCP connection the orchestrator saw); publishes goes container -> host port. One edge
 * per (from, to, type); further evidence is appended to it. */
#include <string.h>
#include <strings.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "svcmap/svcmap_int.h"

#define SVCMAP_ITEMS_MAX      2000 /* containers looked at */
#define SVCMAP_UNRESOLVED_MAX 16   /* host names per container that named no container */
#define COMPOSE_PROJECT       "com.docker.compose.project"
#define COMPOSE_SERVICE       "com.docker.compose.service"
#define COMPOSE_DEPENDS       "com.docker.compose.depends_on"

struct ctr {
    const char *name;
    char *node_id;
    const json_t *details; /* NULL: not allowlisted */
    const char *project, *service;
    json_t *node; /* borrowed from the graph */
};

struct build {
    json_t *nodes, *edges;
    json_t *node_ix, *edge_ix; /* id -> index, "from\x1fto\x1ftype" -> index */
    const json_t *networks;
    struct ctr *c;
    size_t n_c;
};

/* Add the node id (kind, name) unless it exists; returns it (borrowed). */
static json_t *node_add(struct build *b, const char *kind, const char *name)
{
    char *id = xasprintf("%s:%s", kind, name);
    json_t *ix = json_object_get(b->node_ix, id);
    json_t *n = NULL;
    if (ix) {
        n = json_array_get(b->nodes, (size_t)json_integer_value(ix));
    } else if (json_array_size(b->nodes) < SVCMAP_NODES_MAX) {
        n = json_pack("{s:s,s:s,s:s}", "id", id, "name", name, "kind", kind);
        json_object_set_new(b->node_ix, id, json_integer((json_int_t)json_array_size(b->nodes)));
        json_array_append_new(b->nodes, n);
    }
    xfree(id);
    return n;
}

/* Add the edge from -> to of type with evidence, or append evidence to the one there. */
static void
edge_add(struct build *b, const char *from, const char *to, const char *type, const char *evidence)
{
    if (!from || !to || strcmp(from, to) == 0)
        return;
    char *key = xasprintf("%s\x1f%s\x1f%s", from, to, type);
    json_t *ix = json_object_get(b->edge_ix, key);
    if (ix) {
        json_t *e = json_array_get(b->edges, (size_t)json_integer_value(ix));
        const char *old = jsonx_get_str(e, "evidence");
        if (old && !strstr(old, evidence) &&
            strlen(old) + strlen(evidence) + 2 < SVCMAP_EVIDENCE_MAX) {
            char *both = xasprintf("%s; %s", old, evidence);
            json_object_set_new(e, "evidence", json_string(both));
            xfree(both);
        }
    } else if (json_array_size(b->edges) < SVCMAP_EDGES_MAX) {
        json_object_set_new(b->edge_ix, key, json_integer((json_int_t)json_array_size(b->edges)));
        json_array_append_new(b->edges, json_pack("{s:s,s:s,s:s,s:s}", "from", from, "to", to,
                                                  "type", type, "evidence", evidence));
    }
    xfree(key);
}

static const char *label(const json_t *details, const char *key)
{
    return jsonx_get_str(json_object_get(details, "labels"), key);
}

static bool is_running(const char *state)
{
    return state && (strcmp(state, "running") == 0 || strcmp(state, "restarting") == 0 ||
                     strcmp(state, "paused") == 0);
}

/* The container node of item it (NULL when it is skipped); fills c. */
static json_t *container_node(struct build *b, const json_t *it, struct ctr *c)
{
    const json_t *d = json_object_get(it, "details");
    const char *name = jsonx_get_str(it, "name");
    const char *id = jsonx_get_str(it, "container_id");
    char shortid[13] = "";
    if (!name || !*name) {
        snprintf(shortid, sizeof(shortid), "%.12s", id ? id : "");
        name = shortid;
    }
    if (!*name || strlen(name) >= SVCMAP_NAME_MAX)
        return NULL;
    char *node_id = xasprintf("container:%s", name);
    bool dup = json_object_get(b->node_ix, node_id) != NULL;
    xfree(node_id);
    if (dup)
        return NULL;
    json_t *n = node_add(b, "container", name);
    if (!n)
        return NULL;
    c->name = jsonx_get_str(n, "name");
    c->node_id = xstrdup(jsonx_get_str(n, "id"));
    c->details =
        json_is_object(d) && json_is_true(json_object_get(it, "is_allowlisted")) ? d : NULL;
    c->node = n;
    json_object_set_new(n, "is_allowlisted", json_boolean(c->details != NULL));
    if (!c->details)
        return n; /* directive D3: containers outside the allowlist by name only */
    c->project = label(d, COMPOSE_PROJECT);
    c->service = label(d, COMPOSE_SERVICE);
    jsonx_set_str_or_null(n, "state", jsonx_get_str(it, "state"));
    jsonx_set_str_or_null(n, "image", jsonx_get_str(it, "image"));
    jsonx_set_str_or_null(n, "project", c->project);
    jsonx_set_str_or_null(n, "service", c->service);
    return n;
}

/* The engine's network named name (from the networks list), or NULL. */
static const json_t *network_info(const struct build *b, const char *name)
{
    return jsonx_find(b->networks, "name", name);
}

static void networks_of(struct build *b, const struct ctr *c)
{
    size_t i;
    json_t *net;
    json_array_foreach(json_object_get(c->details, "networks"), i, net)
    {
        const char *name = jsonx_get_str(net, "name");
        if (!name || !*name || strcmp(name, "none") == 0 || strlen(name) >= SVCMAP_NAME_MAX)
            continue;
        json_t *n = node_add(b, "network", name);
        if (!n)
            continue;
        const json_t *info = network_info(b, name);
        if (info && !json_object_get(n, "driver")) {
            jsonx_set_str_or_null(n, "driver", jsonx_get_str(info, "driver"));
            json_object_set_new(n, "internal",
                                json_boolean(json_is_true(json_object_get(info, "internal"))));
        }
        struct buf ev;
        buf_init(&ev, SVCMAP_EVIDENCE_MAX - 1);
        buf_printf(&ev, "attached to network %s", name);
        size_t k;
        json_t *a;
        json_array_foreach(json_object_get(net, "aliases"), k, a)
        {
            if (json_is_string(a))
                buf_printf(&ev, "%s%s", k ? ", " : " as ", json_string_value(a));
        }
        edge_add(b, c->node_id, jsonx_get_str(n, "id"), "shares_network", buf_str(&ev));
        buf_fini(&ev);
    }
}

static void ports_of(struct build *b, const struct ctr *c)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(c->details, "ports"), i, p)
    {
        const char *host = jsonx_get_str(p, "host_port");
        const char *cport = jsonx_get_str(p, "container_port");
        if (!host || !*host || !cport || strlen(host) > 16 || strlen(cport) > 32)
            continue;
        const char *slash = strchr(cport, '/');
        char name[64];
        snprintf(name, sizeof(name), "%s/%s", host, slash ? slash + 1 : "tcp");
        json_t *n = node_add(b, "port", name);
        if (!n)
            continue;
        char *ev = xasprintf("host port %s to container port %s", host, cport);
        edge_add(b, c->node_id, jsonx_get_str(n, "id"), "publishes", ev);
        xfree(ev);
    }
}

static void volumes_of(struct build *b, const struct ctr *c)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(c->details, "mounts"), i, m)
    {
        const char *vol = jsonx_get_str(m, "volume");
        if (!vol || !*vol || strlen(vol) >= SVCMAP_NAME_MAX)
            continue;
        json_t *n = node_add(b, "volume", vol);
        if (!n)
            continue;
        const char *dest = jsonx_get_str(m, "destination");
        char *ev = xasprintf("mounts volume %s at %s%s", vol, dest ? dest : "?",
                             json_is_true(json_object_get(m, "read_only")) ? " (read-only)" : "");
        edge_add(b, c->node_id, jsonx_get_str(n, "id"), "shared_volume", ev);
        xfree(ev);
    }
}

/* The container named name (case-insensitive), or NULL. */
static const struct ctr *by_name(const struct build *b, const char *name)
{
    for (size_t i = 0; i < b->n_c; i++)
        if (b->c[i].name && strcasecmp(b->c[i].name, name) == 0)
            return &b->c[i];
    return NULL;
}

/* The names of the compose depends_on label ("db:service_started:false,cache:...");
 * an edge to every container of each such service in c's project. */
static void depends_of(struct build *b, const struct ctr *c)
{
    const char *deps = label(c->details, COMPOSE_DEPENDS);
    if (!deps || !c->project)
        return;
    const char *p = deps;
    while (*p) {
        size_t n = strcspn(p, ",");
        size_t name_len = strcspn(p, ",:");
        const char *cond = p[name_len] == ':' ? p + name_len + 1 : NULL;
        size_t cond_len = cond ? strcspn(cond, ",:") : 0;
        for (size_t i = 0; i < b->n_c && name_len > 0; i++) {
            const struct ctr *t = &b->c[i];
            if (!t->details || !t->service || !t->project || strcmp(t->project, c->project) ||
                strlen(t->service) != name_len || strncmp(t->service, p, name_len))
                continue;
            char *ev =
                xasprintf("compose depends_on %.*s%s%.*s%s", (int)name_len, p, cond ? " (" : "",
                          (int)cond_len, cond ? cond : "", cond ? ")" : "");
            edge_add(b, c->node_id, t->node_id, "depends_on", ev);
            xfree(ev);
        }
        p += n;
        if (*p == ',')
            p++;
    }
}

static void links_of(struct build *b, const struct ctr *c)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(c->details, "links"), i, l)
    {
        const char *target = jsonx_get_str(l, "target");
        const char *alias = jsonx_get_str(l, "alias");
        const struct ctr *t = target ? by_name(b, target) : NULL;
        if (!t)
            continue;
        char *ev = xasprintf("link to %s as %s", target, alias ? alias : target);
        edge_add(b, c->node_id, t->node_id, "link", ev);
        xfree(ev);
    }
}

static bool is_on_network(const struct ctr *c, const char *net)
{
    return jsonx_find(json_object_get(c->details, "networks"), "name", net) != NULL;
}

/* The network on which t answers to host for a client a (t's alias there and a is on it
 * too), or NULL. */
static const char *alias_network(const struct ctr *a, const struct ctr *t, const char *host)
{
    size_t i, k;
    json_t *net, *al;
    json_array_foreach(json_object_get(t->details, "networks"), i, net)
    {
        const char *name = jsonx_get_str(net, "name");
        if (!name || !is_on_network(a, name))
            continue;
        json_array_foreach(json_object_get(net, "aliases"), k, al)
        {
            if (json_is_string(al) && strcasecmp(json_string_value(al), host) == 0)
                return name;
        }
    }
    return NULL;
}

/* Add the env_reference edges of variable var naming host; false when none matched. */
static bool resolve(struct build *b, const struct ctr *a, const char *var, const char *host)
{
    bool found = false;
    for (size_t i = 0; i < b->n_c; i++) {
        const struct ctr *t = &b->c[i];
        char *ev = NULL;
        const char *net = NULL;
        if (t == a)
            continue;
        if (strcasecmp(t->name, host) == 0)
            ev = xasprintf("%s names host %s (container name)", var, host);
        else if (t->details && (net = alias_network(a, t, host)))
            ev = xasprintf("%s names host %s (alias on network %s)", var, host, net);
        else if (t->details && t->service && a->project && t->project &&
                 strcmp(a->project, t->project) == 0 && strcasecmp(t->service, host) == 0)
            ev = xasprintf("%s names host %s (compose service of project %s)", var, host,
                           t->project);
        if (ev) {
            edge_add(b, a->node_id, t->node_id, "env_reference", ev);
            found = true;
        }
        xfree(ev);
    }
    return found;
}

static bool has_str(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

static void env_of(struct build *b, const struct ctr *c)
{
    json_t *unresolved = json_array();
    size_t i, k;
    json_t *v, *h;
    json_array_foreach(json_object_get(c->details, "env_hosts"), i, v)
    {
        const char *var = jsonx_get_str(v, "name");
        json_array_foreach(json_object_get(v, "hosts"), k, h)
        {
            const char *host = json_string_value(h);
            if (!var || !host || strlen(host) >= SVCMAP_HOST_MAX || resolve(b, c, var, host))
                continue;
            if (json_array_size(unresolved) < SVCMAP_UNRESOLVED_MAX && !has_str(unresolved, host))
                json_array_append_new(unresolved, json_string(host));
        }
    }
    if (json_array_size(unresolved))
        json_object_set(c->node, "unresolved_hosts", unresolved);
    json_decref(unresolved);
}

/* The "observed" edges: established TCP connections the orchestrator saw between two
 * containers (o->observed, by name). */
static void observed_of(struct build *b, const json_t *observed)
{
    size_t i;
    json_t *x;
    json_array_foreach(observed, i, x)
    {
        const char *from = jsonx_get_str(x, "from"), *to = jsonx_get_str(x, "to");
        json_int_t port = json_integer_value(json_object_get(x, "port"));
        const struct ctr *f = from ? by_name(b, from) : NULL, *t = to ? by_name(b, to) : NULL;
        if (!f || !t || port <= 0 || port > 65535)
            continue;
        char *ev = xasprintf("established TCP connection to port %lld (observed)", (long long)port);
        edge_add(b, f->node_id, t->node_id, "observed", ev);
        xfree(ev);
    }
}

/* Containers first (so every name can be resolved), then each allowlisted one's edges. */
static void add_containers(struct build *b, const json_t *items, const struct svcmap_opts *o)
{
    size_t i;
    json_t *it;
    b->c = xcalloc(json_array_size(items) + 1, sizeof(*b->c));
    json_array_foreach(items, i, it)
    {
        if (i >= SVCMAP_ITEMS_MAX)
            break;
        if (!json_is_object(it) || (!o->include_stopped && !is_running(jsonx_get_str(it, "state"))))
            continue;
        if (container_node(b, it, &b->c[b->n_c]))
            b->n_c++;
    }
    for (i = 0; i < b->n_c; i++) {
        const struct ctr *c = &b->c[i];
        if (!c->details)
            continue;
        networks_of(b, c);
        ports_of(b, c);
        volumes_of(b, c);
        depends_of(b, c);
        links_of(b, c);
        env_of(b, c);
    }
    observed_of(b, o->observed);
}

json_t *svcmap_build(const json_t *items, const json_t *networks, const struct svcmap_opts *o)
{
    struct svcmap_opts dflt = {.include_stopped = true};
    struct build b = {.nodes = json_array(),
                      .edges = json_array(),
                      .node_ix = json_object(),
                      .edge_ix = json_object(),
                      .networks = networks};
    add_containers(&b, items, o ? o : &dflt);
    for (size_t i = 0; i < b.n_c; i++)
        xfree(b.c[i].node_id);
    xfree(b.c);
    json_decref(b.node_ix);
    json_decref(b.edge_ix);
    return json_pack("{s:o,s:o}", "nodes", b.nodes, "edges", b.edges);
}
