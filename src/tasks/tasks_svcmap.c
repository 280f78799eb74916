/* SPDX-License-Identifier: MIT */
/* tasks_svcmap.c -- the orchestrator's side of the service map: check the worker's graph,
 * analyse it (single points of failure, what changed since the last map), lay it out with
 * Graphviz into an SVG, keep it, and write its report section.
 *
 * Graphviz keeps global state (its graph reader, error handling, plugin tables): every use
 * of it in this process goes through one mutex, and one context made on first use serves
 * all layouts. The context holds only the two plugins linked in (dot layout, core SVG
 * renderer), never the installed set: no pango/fontconfig (text widths come from Graphviz's
 * built-in metrics), so the output does not depend on the fonts of the machine and no
 * plugin is loaded at run time. The DOT text is written here from the checked graph (svcmap_dot),
 * never taken from the worker, so names are labels and cannot become DOT syntax. */
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <graphviz/gvplugin.h>
#include <pthread.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "svcmap/svcmap.h"
#include "tasks/tasks_int.h"

#define SVCMAP_DOT_MAX      (8 * 1024 * 1024) /* bytes of DOT text */
#define SVCMAP_MERMAID_MAX  (4 * 1024 * 1024) /* bytes of Mermaid text */
#define SVCMAP_MD_MERMAID   (24 * 1024)       /* Mermaid in a summary up to this size */
#define SVCMAP_SUMMARY_LIST 20                /* entries of each list in a job summary */

/* The plugin libraries' entry points (libgvplugin_dot_layout, libgvplugin_core). */
extern gvplugin_library_t gvplugin_dot_layout_LTX_library;
extern gvplugin_library_t gvplugin_core_LTX_library;

static pthread_mutex_t gv_mu = PTHREAD_MUTEX_INITIALIZER;
static GVC_t *gv_ctx; /* under gv_mu */
static lt_symlist_t gv_builtins[] = {
    {"gvplugin_dot_layout_LTX_library", &gvplugin_dot_layout_LTX_library},
    {"gvplugin_core_LTX_library", &gvplugin_core_LTX_library},
    {NULL, NULL},
};

/* Lay out and render dot (gv_mu held); *svg is new (caller frees). */
static enum err render(const char *dot, char **svg, struct errbuf *eb)
{
    char *data = NULL;
    unsigned int len = 0;
    if (!gv_ctx)
        gv_ctx = gvContextPlugins(gv_builtins, 0); /* 0: no plugin config is read */
    if (!gv_ctx)
        return errbuf_set(eb, ERR_INTERNAL, "Graphviz: no context");
    agseterr(AGMAX); /* no messages on stderr: the result says what went wrong */
    Agraph_t *g = agmemread(dot);
    if (!g)
        return errbuf_set(eb, ERR_INVALID, "Graphviz: the DOT text does not parse");
    enum err e = ERR_OK;
    if (gvLayout(gv_ctx, g, "dot") != 0) {
        e = errbuf_set(eb, ERR_INTERNAL, "Graphviz: the layout failed");
    } else {
        if (gvRenderData(gv_ctx, g, "svg", &data, &len) != 0 || !data)
            e = errbuf_set(eb, ERR_INTERNAL, "Graphviz: SVG rendering failed");
        else
            *svg = xstrndup(data, len);
        gvFreeRenderData(data);
        gvFreeLayout(gv_ctx, g);
    }
    agclose(g);
    return e;
}

enum err tasks_svcmap_svg(const char *dot, char **svg, struct errbuf *eb)
{
    *svg = NULL;
    if (!dot || strlen(dot) > SVCMAP_DOT_MAX)
        return errbuf_set(eb, ERR_TOO_LARGE, "DOT text over %d MiB", SVCMAP_DOT_MAX >> 20);
    pthread_mutex_lock(&gv_mu);
    enum err e = render(dot, svg, eb);
    pthread_mutex_unlock(&gv_mu);
    return e;
}

enum err tasks_svcmap_graph_svg(const json_t *graph, char **svg, struct errbuf *eb)
{
    struct buf dot;
    buf_init(&dot, SVCMAP_DOT_MAX);
    enum err e = svcmap_dot(graph, &dot);
    if (e == ERR_OK)
        e = tasks_svcmap_svg(buf_str(&dot), svg, eb);
    else
        e = errbuf_set(eb, ERR_TOO_LARGE, "the map's DOT text is over %d MiB",
                       SVCMAP_DOT_MAX >> 20);
    buf_fini(&dot);
    return e;
}

char *tasks_svcmap_mermaid(const json_t *graph)
{
    struct buf b;
    buf_init(&b, SVCMAP_MERMAID_MAX);
    if (svcmap_mermaid(graph, &b) != ERR_OK) {
        buf_fini(&b);
        return NULL;
    }
    return buf_take(&b);
}

/* The first SVCMAP_SUMMARY_LIST entries of list. */
static json_t *head(const json_t *list)
{
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (i >= SVCMAP_SUMMARY_LIST)
            break;
        json_array_append(out, v);
    }
    return out;
}

/* The job summary's "map": counts, edge types, the first single points of failure and
 * changes, and the Mermaid text when it is small. */
static json_t *summary(const json_t *graph, const json_t *analysis, int64_t map_id)
{
    json_t *types = json_object();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(graph, "edges"), i, e)
    {
        const char *t = jsonx_get_str(e, "type");
        json_int_t n = json_integer_value(json_object_get(types, t));
        json_object_set_new(types, t, json_integer(n + 1));
    }
    const json_t *diff = json_object_get(analysis, "diff");
    json_t *d = json_object();
    static const char *const lists[] = {"nodes_added", "nodes_removed", "edges_added",
                                        "edges_removed", NULL};
    for (size_t k = 0; lists[k]; k++)
        json_object_set_new(d, lists[k], head(json_object_get(diff, lists[k])));
    json_object_set(d, "previous_map_id", json_object_get(analysis, "previous_map_id"));
    json_t *s =
        json_pack("{s:I,s:I,s:I,s:o,s:o,s:o}", "id", (json_int_t)map_id, "node_count",
                  (json_int_t)json_array_size(json_object_get(graph, "nodes")), "edge_count",
                  (json_int_t)json_array_size(json_object_get(graph, "edges")), "edge_types", types,
                  "spof", head(json_object_get(analysis, "spof")), "changes", d);
    char *mmd = tasks_svcmap_mermaid(graph);
    if (mmd && strlen(mmd) <= SVCMAP_MD_MERMAID)
        json_object_set_new(s, "mermaid", json_string(mmd));
    xfree(mmd);
    return s;
}

/* The analysis of graph against the latest map before it (if any). */
static json_t *analyse(struct store *st, const json_t *graph)
{
    struct errbuf eb = {0};
    json_t *prev = NULL;
    enum err e = store_service_map_latest(st, &prev, &eb);
    if (e != ERR_OK && e != ERR_NOT_FOUND)
        log_warn("tasks", "event=service_map.prev_fail err=%s", err_name(e));
    json_t *diff = svcmap_diff(json_object_get(prev, "graph"), graph);
    json_t *a = json_pack("{s:o,s:o}", "spof", svcmap_spof(graph), "diff", diff);
    json_object_set_new(a, "previous_map_id",
                        prev ? json_integer(json_integer_value(json_object_get(prev, "id")))
                             : json_null());
    json_decref(prev);
    return a;
}

char *tasks_svcmap_keep(struct tasks_job *job, json_t *r)
{
    struct errbuf eb = {0};
    json_t *graph = NULL, *analysis = NULL;
    char *svg = NULL, *gtext = NULL, *atext = NULL, *bad = NULL;
    int64_t id = 0;
    enum err e = svcmap_check(json_object_get(r, "graph"), &graph, &eb);
    if (e != ERR_OK)
        return xasprintf("result.json holds no valid service map: %s", errbuf_get(&eb, e));
    analysis = analyse(job->t->opts.st, graph);
    e = tasks_svcmap_graph_svg(graph, &svg, &eb);
    if (e == ERR_OK && strlen(svg) > STORE_SERVICE_MAP_MAX) {
        xfree(svg); /* the map is kept without its picture */
        svg = NULL;
        e = ERR_TOO_LARGE;
    }
    if (e != ERR_OK)
        log_warn("tasks", "event=service_map.svg_fail job_id=%lld err=%s",
                 (long long)job->claim.job_id, err_name(e));
    gtext = jsonx_dumps(graph);
    atext = jsonx_dumps(analysis);
    struct store_service_map m = {
        .run_id = job->claim.run_id,
        .job_id = job->claim.job_id,
        .node_count = (int64_t)json_array_size(json_object_get(graph, "nodes")),
        .edge_count = (int64_t)json_array_size(json_object_get(graph, "edges")),
        .graph = gtext,
        .analysis = atext,
        .svg = svg};
    e = store_service_map_add(job->t->opts.st, &m, &id, &eb);
    if (e != ERR_OK)
        bad = xasprintf("the service map could not be kept: %s", errbuf_get(&eb, e));
    else
        json_object_set_new(r, "map", summary(graph, analysis, id));
    xfree(svg);
    xfree(gtext);
    xfree(atext);
    json_decref(graph);
    json_decref(analysis);
    return bad;
}

/* Append a list as "a (c)" items: node refs ({"name","kind"}) with to_key NULL, or edges
 * ({"from","to","type"}) as "from -> to (type)". */
static void md_list(struct buf *b,
                    const char *title,
                    const json_t *list,
                    const char *from_key,
                    const char *to_key,
                    const char *kind_key)
{
    size_t i;
    json_t *x;
    if (!json_array_size(list))
        return;
    buf_printf(b, "\n%s: ", title);
    json_array_foreach(list, i, x)
    {
        buf_puts(b, i ? ", " : "");
        tasks_md_text(b, jsonx_get_str(x, from_key));
        if (to_key) {
            buf_puts(b, " -> ");
            tasks_md_text(b, jsonx_get_str(x, to_key));
        }
        buf_puts(b, " (");
        tasks_md_text(b, jsonx_get_str(x, kind_key));
        buf_puts(b, ")");
    }
    buf_puts(b, "\n");
}

static void md_nodes(struct buf *b, const char *title, const json_t *list)
{
    md_list(b, title, list, "name", NULL, "kind");
}

static void md_edges(struct buf *b, const char *title, const json_t *list)
{
    md_list(b, title, list, "from", "to", "type");
}

static void md_changes(struct buf *b, const json_t *ch)
{
    md_nodes(b, "Nodes added", json_object_get(ch, "nodes_added"));
    md_nodes(b, "Nodes removed", json_object_get(ch, "nodes_removed"));
    md_edges(b, "Edges added", json_object_get(ch, "edges_added"));
    md_edges(b, "Edges removed", json_object_get(ch, "edges_removed"));
}

void tasks_svcmap_md(struct buf *b, const json_t *map)
{
    const json_t *spof = json_object_get(map, "spof"), *ch = json_object_get(map, "changes");
    const char *k;
    json_t *v;
    size_t i;
    if (!json_is_object(map))
        return;
    buf_printf(b, "\n### Service map\n\n- Nodes: %lld, edges: %lld\n",
               (long long)json_integer_value(json_object_get(map, "node_count")),
               (long long)json_integer_value(json_object_get(map, "edge_count")));
    json_object_foreach(json_object_get(map, "edge_types"), k, v)
    {
        buf_puts(b, "- ");
        tasks_md_text(b, k);
        buf_printf(b, ": %lld\n", (long long)json_integer_value(v));
    }
    if (json_array_size(spof)) {
        buf_puts(b, "\n#### Single points of failure\n\n| node | kind | containers impacted |\n"
                    "|---|---|---:|\n");
        json_array_foreach(spof, i, v)
        {
            buf_puts(b, "| ");
            tasks_md_text(b, jsonx_get_str(v, "name"));
            buf_puts(b, " | ");
            tasks_md_text(b, jsonx_get_str(v, "kind"));
            buf_printf(b, " | %lld |\n",
                       (long long)json_integer_value(json_object_get(v, "impacted_containers")));
        }
    }
    buf_puts(b, "\n#### Changes since the last map\n");
    if (!json_is_integer(json_object_get(ch, "previous_map_id")))
        buf_puts(b, "\nThis is the first map.\n");
    else if (!json_array_size(json_object_get(ch, "nodes_added")) &&
             !json_array_size(json_object_get(ch, "nodes_removed")) &&
             !json_array_size(json_object_get(ch, "edges_added")) &&
             !json_array_size(json_object_get(ch, "edges_removed")))
        buf_puts(b, "\nNo change.\n");
    else
        md_changes(b, ch);
    const char *mmd = jsonx_get_str(map, "mermaid");
    if (mmd)
        buf_printf(b, "\n```mermaid\n%s```\n", mmd);
}
