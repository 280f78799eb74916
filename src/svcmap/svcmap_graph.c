/* SPDX-License-Identifier: MIT */
/* svcmap_graph.c -- checking a map from outside, impact (reverse closure), single points of
 * failure and the difference between two maps.
 *
 * An edge from -> to means "from needs to", except publishes (container -> host port),
 * where the port needs the container. The impact of a node is every node that needs it,
 * directly or through others: a breadth-first walk over the reversed needs. */
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "svcmap/svcmap_int.h"

static const char *const edge_types[] = {
#define X(stem, name) name,
    SVCMAP_EDGE_TYPES(X)
#undef X
        NULL};
static const char *const kinds[] = {"container", "network", "volume", "port", NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; s && list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

bool svcmap_is_edge_type(const char *type)
{
    return in_list(edge_types, type);
}

bool svcmap_is_node_kind(const char *kind)
{
    return in_list(kinds, kind);
}

/* ---- checking ---- */

static bool is_str_le(const json_t *v, size_t max)
{
    return json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= max &&
           strlen(json_string_value(v)) == json_string_length(v);
}

/* Copy the known fields of node n (checked) into a new object. */
static enum err check_node(const json_t *n, size_t i, json_t **out, struct errbuf *eb)
{
    static const char *const strs[] = {"state", "image", "project", "service", "driver", NULL};
    json_t *id = json_object_get(n, "id"), *name = json_object_get(n, "name");
    const char *kind = jsonx_get_str(n, "kind");
    if (!json_is_object(n) || !is_str_le(id, SVCMAP_ID_MAX) || !is_str_le(name, SVCMAP_NAME_MAX))
        return errbuf_set(eb, ERR_INVALID, "node %zu needs an id and a name (capped)", i);
    if (!svcmap_is_node_kind(kind))
        return errbuf_set(eb, ERR_INVALID, "node %zu has an unknown kind", i);
    json_t *c = json_pack("{s:O,s:O,s:s}", "id", id, "name", name, "kind", kind);
    if (!strcmp(kind, "container"))
        json_object_set_new(c, "is_allowlisted",
                            json_boolean(json_is_true(json_object_get(n, "is_allowlisted"))));
    for (size_t k = 0; strs[k]; k++) {
        json_t *v = json_object_get(n, strs[k]);
        if (is_str_le(v, SVCMAP_NAME_MAX))
            json_object_set(c, strs[k], v);
    }
    json_t *internal = json_object_get(n, "internal");
    if (json_is_boolean(internal))
        json_object_set(c, "internal", internal);
    json_t *un = json_object_get(n, "unresolved_hosts");
    if (json_is_array(un) && json_array_size(un) <= 64) {
        json_t *list = json_array();
        size_t k;
        json_t *h;
        json_array_foreach(un, k, h)
        {
            if (is_str_le(h, SVCMAP_HOST_MAX))
                json_array_append(list, h);
        }
        json_object_set_new(c, "unresolved_hosts", list);
    }
    *out = c;
    return ERR_OK;
}

static enum err
check_edge(const json_t *e, const json_t *ids, size_t i, json_t **out, struct errbuf *eb)
{
    json_t *from = json_object_get(e, "from"), *to = json_object_get(e, "to");
    json_t *ev = json_object_get(e, "evidence");
    const char *type = jsonx_get_str(e, "type");
    if (!json_is_object(e) || !is_str_le(from, SVCMAP_ID_MAX) || !is_str_le(to, SVCMAP_ID_MAX))
        return errbuf_set(eb, ERR_INVALID, "edge %zu needs from and to", i);
    if (!json_object_get(ids, json_string_value(from)) ||
        !json_object_get(ids, json_string_value(to)))
        return errbuf_set(eb, ERR_INVALID, "edge %zu joins an unknown node", i);
    if (!svcmap_is_edge_type(type))
        return errbuf_set(eb, ERR_INVALID, "edge %zu has an unknown type", i);
    if (!is_str_le(ev, SVCMAP_EVIDENCE_MAX))
        return errbuf_set(eb, ERR_INVALID, "edge %zu needs its evidence (capped)", i);
    *out = json_pack("{s:O,s:O,s:s,s:O}", "from", from, "to", to, "type", type, "evidence", ev);
    return ERR_OK;
}

enum err svcmap_check(const json_t *graph, json_t **out, struct errbuf *eb)
{
    const json_t *nodes = json_object_get(graph, "nodes"), *edges = json_object_get(graph, "edges");
    json_t *cn = json_array(), *ce = json_array(), *ids = json_object(), *x = NULL;
    enum err e = ERR_OK;
    size_t i;
    json_t *v;
    *out = NULL;
    if (!json_is_array(nodes) || !json_is_array(edges)) {
        e = errbuf_set(eb, ERR_INVALID, "a map needs nodes and edges arrays");
        goto out;
    }
    if (json_array_size(nodes) > SVCMAP_NODES_MAX || json_array_size(edges) > SVCMAP_EDGES_MAX) {
        e = errbuf_set(eb, ERR_TOO_LARGE, "a map holds at most %d nodes and %d edges",
                       SVCMAP_NODES_MAX, SVCMAP_EDGES_MAX);
        goto out;
    }
    json_array_foreach(nodes, i, v)
    {
        if ((e = check_node(v, i, &x, eb)) != ERR_OK)
            goto out;
        if (json_object_get(ids, jsonx_get_str(x, "id"))) {
            json_decref(x);
            e = errbuf_set(eb, ERR_INVALID, "node %zu: its id is not unique", i);
            goto out;
        }
        json_object_set_new(ids, jsonx_get_str(x, "id"), json_true());
        json_array_append_new(cn, x);
    }
    json_array_foreach(edges, i, v)
    {
        if ((e = check_edge(v, ids, i, &x, eb)) != ERR_OK)
            goto out;
        json_array_append_new(ce, x);
    }
    *out = json_pack("{s:O,s:O}", "nodes", cn, "edges", ce);
out:
    json_decref(cn);
    json_decref(ce);
    json_decref(ids);
    return e;
}

const json_t *svcmap_node_find(const json_t *g, const char *ref)
{
    const json_t *nodes = json_object_get(g, "nodes");
    const json_t *n = ref ? jsonx_find(nodes, "id", ref) : NULL;
    for (size_t k = 0; ref && !n && kinds[k]; k++) {
        size_t i;
        json_t *v;
        json_array_foreach(nodes, i, v)
        {
            const char *kind = jsonx_get_str(v, "kind"), *name = jsonx_get_str(v, "name");
            if (kind && name && !strcmp(kind, kinds[k]) && !strcmp(name, ref)) {
                n = v;
                break;
            }
        }
    }
    return n;
}

/* ---- the reversed needs, as adjacency lists ---- */

struct rev {
    size_t n;
    size_t *off; /* n + 1 offsets into by */
    size_t *by;  /* the nodes that need node i: by[off[i] .. off[i+1]) */
    size_t *queue, *depth;
    unsigned char *seen;
};

/* The index of node id in g (via ix), or (size_t)-1. */
static size_t index_of(const json_t *ix, const char *id)
{
    json_t *v = id ? json_object_get(ix, id) : NULL;
    return v ? (size_t)json_integer_value(v) : (size_t)-1;
}

static void rev_init(struct rev *r, const json_t *g)
{
    const json_t *nodes = json_object_get(g, "nodes"), *edges = json_object_get(g, "edges");
    json_t *ix = json_object();
    size_t i, m = json_array_size(edges);
    json_t *v;
    r->n = json_array_size(nodes);
    json_array_foreach(nodes, i, v) json_object_set_new(
        ix, jsonx_get_str(v, "id") ? jsonx_get_str(v, "id") : "", json_integer((json_int_t)i));
    size_t *need = xcalloc(m + 1, sizeof(*need)), *needed = xcalloc(m + 1, sizeof(*needed));
    r->off = xcalloc(r->n + 2, sizeof(*r->off));
    r->by = xcalloc(m + 1, sizeof(*r->by));
    json_array_foreach(edges, i, v)
    {
        bool is_pub =
            !strcmp(jsonx_get_str(v, "type") ? jsonx_get_str(v, "type") : "", "publishes");
        size_t f = index_of(ix, jsonx_get_str(v, "from")), t = index_of(ix, jsonx_get_str(v, "to"));
        need[i] = is_pub ? t : f;
        needed[i] = is_pub ? f : t;
        if (needed[i] < r->n && need[i] < r->n)
            r->off[needed[i] + 1]++;
    }
    for (i = 0; i < r->n; i++)
        r->off[i + 1] += r->off[i];
    size_t *fill = xcalloc(r->n + 1, sizeof(*fill));
    for (i = 0; i < m; i++)
        if (needed[i] < r->n && need[i] < r->n)
            r->by[r->off[needed[i]] + fill[needed[i]]++] = need[i];
    r->queue = xcalloc(r->n + 1, sizeof(*r->queue));
    r->depth = xcalloc(r->n + 1, sizeof(*r->depth));
    r->seen = xcalloc(r->n + 1, 1);
    xfree(fill);
    xfree(need);
    xfree(needed);
    json_decref(ix);
}

static void rev_fini(struct rev *r)
{
    xfree(r->off);
    xfree(r->by);
    xfree(r->queue);
    xfree(r->depth);
    xfree(r->seen);
}

/* Walk from node start; returns how many nodes need it (they sit in r->queue[1..]). */
static size_t walk(struct rev *r, size_t start)
{
    size_t head = 0, tail = 0;
    memset(r->seen, 0, r->n);
    r->queue[tail++] = start;
    r->depth[start] = 0;
    r->seen[start] = 1;
    while (head < tail) {
        size_t u = r->queue[head++];
        for (size_t k = r->off[u]; k < r->off[u + 1]; k++) {
            size_t w = r->by[k];
            if (r->seen[w])
                continue;
            r->seen[w] = 1;
            r->depth[w] = r->depth[u] + 1;
            r->queue[tail++] = w;
        }
    }
    return tail - 1;
}

static json_t *node_ref(const json_t *n)
{
    return json_pack("{s:O,s:O,s:O}", "id", json_object_get(n, "id"), "name",
                     json_object_get(n, "name"), "kind", json_object_get(n, "kind"));
}

json_t *svcmap_impact(const json_t *g, const json_t *node)
{
    const json_t *nodes = json_object_get(g, "nodes");
    struct rev r;
    size_t start = (size_t)-1, i;
    json_t *v;
    json_array_foreach(nodes, i, v)
    {
        if (v == node)
            start = i;
    }
    json_t *list = json_array();
    if (start != (size_t)-1) {
        rev_init(&r, g);
        size_t n = walk(&r, start);
        for (size_t k = 1; k <= n; k++) {
            json_t *o = node_ref(json_array_get(nodes, r.queue[k]));
            json_object_set_new(o, "depth", json_integer((json_int_t)r.depth[r.queue[k]]));
            json_array_append_new(list, o);
        }
        rev_fini(&r);
    }
    return json_pack("{s:o,s:I,s:o}", "node", node_ref(node), "count",
                     (json_int_t)json_array_size(list), "impacted", list);
}

static int by_impact(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t cx = json_integer_value(json_object_get(x, "impacted_containers"));
    json_int_t cy = json_integer_value(json_object_get(y, "impacted_containers"));
    if (cx != cy)
        return cx < cy ? 1 : -1;
    return strcmp(jsonx_get_str(x, "id"), jsonx_get_str(y, "id"));
}

json_t *svcmap_spof(const json_t *g)
{
    const json_t *nodes = json_object_get(g, "nodes");
    struct rev r;
    rev_init(&r, g);
    json_t **found = xcalloc(r.n + 1, sizeof(*found));
    size_t n_found = 0;
    for (size_t i = 0; i < r.n; i++) {
        size_t n = walk(&r, i), containers = 0;
        for (size_t k = 1; k <= n; k++) {
            const char *kind = jsonx_get_str(json_array_get(nodes, r.queue[k]), "kind");
            containers += kind && !strcmp(kind, "container");
        }
        if (containers < 2)
            continue;
        json_t *o = node_ref(json_array_get(nodes, i));
        json_object_set_new(o, "impacted", json_integer((json_int_t)n));
        json_object_set_new(o, "impacted_containers", json_integer((json_int_t)containers));
        found[n_found++] = o;
    }
    rev_fini(&r);
    qsort(found, n_found, sizeof(*found), by_impact);
    json_t *out = json_array();
    for (size_t i = 0; i < n_found; i++) {
        if (i < SVCMAP_SPOF_MAX)
            json_array_append(out, found[i]);
        json_decref(found[i]);
    }
    xfree(found);
    return out;
}

/* ---- difference ---- */

static char *edge_key(const json_t *e)
{
    return xasprintf("%s\x1f%s\x1f%s", jsonx_get_str(e, "from") ? jsonx_get_str(e, "from") : "",
                     jsonx_get_str(e, "to") ? jsonx_get_str(e, "to") : "",
                     jsonx_get_str(e, "type") ? jsonx_get_str(e, "type") : "");
}

/* The set of keys of list (node ids, or edge keys when is_edge). */
static json_t *key_set(const json_t *list, bool is_edge)
{
    json_t *set = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        char *k =
            is_edge ? edge_key(v) : xstrdup(jsonx_get_str(v, "id") ? jsonx_get_str(v, "id") : "");
        json_object_set_new(set, k, json_true());
        xfree(k);
    }
    return set;
}

/* Append to out the members of list whose key is not in other; true when some were cut. */
static bool missing_from(const json_t *list, const json_t *other, bool is_edge, json_t *out)
{
    bool cut = false;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        char *k =
            is_edge ? edge_key(v) : xstrdup(jsonx_get_str(v, "id") ? jsonx_get_str(v, "id") : "");
        if (!json_object_get(other, k)) {
            if (json_array_size(out) >= SVCMAP_DIFF_LIST_MAX)
                cut = true;
            else if (is_edge)
                json_array_append_new(
                    out, json_pack("{s:O,s:O,s:O}", "from", json_object_get(v, "from"), "to",
                                   json_object_get(v, "to"), "type", json_object_get(v, "type")));
            else
                json_array_append_new(out, node_ref(v));
        }
        xfree(k);
    }
    return cut;
}

json_t *svcmap_diff(const json_t *old, const json_t *cur)
{
    const json_t *on = json_object_get(old, "nodes"), *oe = json_object_get(old, "edges");
    const json_t *cn = json_object_get(cur, "nodes"), *ce = json_object_get(cur, "edges");
    json_t *son = key_set(on, false), *soe = key_set(oe, true);
    json_t *scn = key_set(cn, false), *sce = key_set(ce, true);
    json_t *na = json_array(), *nr = json_array(), *ea = json_array(), *er = json_array();
    bool cut = missing_from(cn, son, false, na);
    cut |= missing_from(on, scn, false, nr);
    cut |= missing_from(ce, soe, true, ea);
    cut |= missing_from(oe, sce, true, er);
    json_decref(son);
    json_decref(soe);
    json_decref(scn);
    json_decref(sce);
    return json_pack("{s:o,s:o,s:o,s:o,s:b}", "nodes_added", na, "nodes_removed", nr, "edges_added",
                     ea, "edges_removed", er, "is_truncated", cut);
}
