/* SPDX-License-Identifier: MIT */
/* svcmap_text.c -- a map as Graphviz DOT and as Mermaid flowchart text.
 *
 * Names never become identifiers: nodes are n0, n1, ... in both languages and a name only
 * appears as a quoted label. In DOT the containers of one compose project sit in a cluster
 * labelled with the project (cluster_1, cluster_2, ...). DOT labels escape '"' and '\' (so "\N" or
 * "\G" in a name stay text) and drop control bytes; Mermaid labels keep letters, digits and "
 * _.:/-" and write every other character as an entity (#60; for '<'), so no name can close a label
 * or start markup. */
#include <string.h>

#include "core/jsonx.h"
#include "svcmap/svcmap_int.h"

struct style {
    const char *kind, *shape, *fill;
};

static const struct style styles[] = {
    {"container", "box", "#dbeafe"},
    {"network", "ellipse", "#dcfce7"},
    {"volume", "cylinder", "#fef3c7"},
    {"port", "hexagon", "#fce7f3"},
};

static const struct style *style_of(const char *kind)
{
    for (size_t i = 0; i < sizeof(styles) / sizeof(styles[0]); i++)
        if (kind && !strcmp(kind, styles[i].kind))
            return &styles[i];
    return &styles[0];
}

static const char *edge_color(const char *type)
{
    static const char *const colors[][2] = {
        {"shares_network", "#16a34a"}, {"depends_on", "#2563eb"},    {"env_reference", "#9333ea"},
        {"link", "#0891b2"},           {"shared_volume", "#d97706"}, {"publishes", "#db2777"},
        {"observed", "#dc2626"}};
    for (size_t i = 0; i < sizeof(colors) / sizeof(colors[0]); i++)
        if (type && !strcmp(type, colors[i][0]))
            return colors[i][1];
    return "#6b7280";
}

/* Append s as the inside of a DOT quoted string. */
static void dot_quote(struct buf *out, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            continue;
        if (c == '"' || c == '\\')
            buf_append(out, "\\", 1);
        buf_append(out, s, 1);
    }
}

/* The index of each node id (id -> n), for edges. */
static json_t *index_ids(const json_t *nodes)
{
    json_t *ix = json_object();
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        const char *id = jsonx_get_str(n, "id");
        if (id)
            json_object_set_new(ix, id, json_integer((json_int_t)i));
    }
    return ix;
}

/* The n index of id, or -1. */
static long long ix_of(const json_t *ix, const char *id)
{
    json_t *v = id ? json_object_get(ix, id) : NULL;
    return v ? (long long)json_integer_value(v) : -1;
}

/* Append node v (index i) as a DOT statement. */
static void dot_node(struct buf *out, const json_t *v, size_t i, const char *indent)
{
    const char *kind = jsonx_get_str(v, "kind");
    const struct style *st = style_of(kind);
    bool dim =
        kind && !strcmp(kind, "container") && !json_is_true(json_object_get(v, "is_allowlisted"));
    buf_printf(out, "%sn%zu [label=\"", indent, i);
    dot_quote(out, jsonx_get_str(v, "name"));
    buf_printf(out, "\", shape=%s, fillcolor=\"%s\", class=\"%s\"%s];\n", st->shape,
               dim ? "#f3f4f6" : st->fill, st->kind, dim ? ", style=\"filled,dashed\"" : "");
}

/* Append the nodes: containers of a compose project together in a cluster labelled with
 * the project (in order of first appearance), every other node on its own. */
static void dot_nodes(struct buf *out, const json_t *nodes)
{
    json_t *done = json_object(); /* projects already written */
    size_t i, k;
    json_t *v, *w;
    json_array_foreach(nodes, i, v)
    {
        const char *project = jsonx_get_str(v, "project");
        if (!project) {
            dot_node(out, v, i, "  ");
            continue;
        }
        if (json_object_get(done, project))
            continue;
        json_object_set_new(done, project, json_true());
        buf_printf(out, "  subgraph cluster_%zu {\n    label=\"", json_object_size(done));
        dot_quote(out, project);
        buf_puts(out, "\"; class=\"project\"; style=\"rounded,dashed\"; color=\"#9ca3af\"; "
                      "fontsize=9;\n");
        json_array_foreach(nodes, k, w)
        {
            const char *p = jsonx_get_str(w, "project");
            if (k >= i && p && !strcmp(p, project))
                dot_node(out, w, k, "    ");
        }
        buf_puts(out, "  }\n");
    }
    json_decref(done);
}

enum err svcmap_dot(const json_t *g, struct buf *out)
{
    const json_t *nodes = json_object_get(g, "nodes"), *edges = json_object_get(g, "edges");
    json_t *ix = index_ids(nodes);
    size_t i;
    json_t *v;
    buf_puts(out, "digraph service_map {\n"
                  "  graph [rankdir=LR, charset=\"UTF-8\", fontname=\"Helvetica\", "
                  "nodesep=0.25, ranksep=0.6, mclimit=0.5];\n"
                  "  node [fontname=\"Helvetica\", fontsize=10, style=\"filled\", "
                  "penwidth=0.8];\n"
                  "  edge [fontname=\"Helvetica\", fontsize=8, arrowsize=0.6];\n");
    dot_nodes(out, nodes);
    json_array_foreach(edges, i, v)
    {
        const char *type = jsonx_get_str(v, "type");
        long long f = ix_of(ix, jsonx_get_str(v, "from")), t = ix_of(ix, jsonx_get_str(v, "to"));
        if (f < 0 || t < 0 || !svcmap_is_edge_type(type))
            continue;
        buf_printf(out, "  n%lld -> n%lld [color=\"%s\", class=\"%s\", tooltip=\"", f, t,
                   edge_color(type), type);
        dot_quote(out, type);
        buf_puts(out, ": ");
        dot_quote(out, jsonx_get_str(v, "evidence"));
        buf_printf(out, "\"%s];\n",
                   !strcmp(type, "shares_network") ? ", style=dashed"
                   : !strcmp(type, "observed")     ? ", style=bold"
                                                   : "");
    }
    json_decref(ix);
    return buf_puts(out, "}\n");
}

/* Append s as a Mermaid label: safe characters as they are, others as #NNN; entities. */
static void mermaid_label(struct buf *out, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    strchr(" _.:/-", c);
        if (safe && c) {
            buf_append(out, s, 1);
        } else if (c >= 0x80) {
            /* A UTF-8 sequence: decode it to one code point entity. */
            unsigned cp = 0;
            int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
            cp = more == 3 ? c & 0x07 : more == 2 ? c & 0x0f : c & 0x1f;
            for (int k = 0; k < more && (s[1] & 0xc0) == 0x80; k++)
                cp = (cp << 6) | ((unsigned char)*++s & 0x3f);
            buf_printf(out, "#%u;", cp);
        } else if (c >= 0x20) {
            buf_printf(out, "#%u;", c);
        }
    }
}

enum err svcmap_mermaid(const json_t *g, struct buf *out)
{
    static const char *const shapes[][3] = {{"container", "[\"", "\"]"},
                                            {"network", "([\"", "\"])"},
                                            {"volume", "[(\"", "\")]"},
                                            {"port", "{{\"", "\"}}"}};
    const json_t *nodes = json_object_get(g, "nodes"), *edges = json_object_get(g, "edges");
    json_t *ix = index_ids(nodes);
    size_t i;
    json_t *v;
    buf_puts(out, "graph LR\n");
    json_array_foreach(nodes, i, v)
    {
        const char *kind = jsonx_get_str(v, "kind");
        size_t s = 0;
        for (size_t k = 0; k < 4; k++)
            if (kind && !strcmp(kind, shapes[k][0]))
                s = k;
        buf_printf(out, "  n%zu%s", i, shapes[s][1]);
        mermaid_label(out, jsonx_get_str(v, "name"));
        buf_printf(out, "%s\n", shapes[s][2]);
    }
    json_array_foreach(edges, i, v)
    {
        const char *type = jsonx_get_str(v, "type");
        long long f = ix_of(ix, jsonx_get_str(v, "from")), t = ix_of(ix, jsonx_get_str(v, "to"));
        if (f < 0 || t < 0 || !svcmap_is_edge_type(type))
            continue;
        buf_printf(out, "  n%lld %s|%s| n%lld\n", f,
                   !strcmp(type, "shares_network") ? "-.->" : "-->", type, t);
    }
    json_decref(ix);
    return buf_puts(out, "%% end of the service map\n"); /* fails when the text was cut */
}
