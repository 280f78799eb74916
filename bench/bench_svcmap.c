/* SPDX-License-Identifier: MIT */
/* bench_svcmap.c -- the service map of 200 containers from synthetic inspect answers: 25
 * compose projects of 8 services (db, cache, api, worker, web, ...) on their own network,
 * every web also on one shared proxy network, volumes, ports, links, depends_on labels and
 * URLs in variables. Times the inspect summaries (with host extraction), the graph, its
 * analysis (check, single points of failure, difference), DOT, and the Graphviz SVG; best
 * and median of 5 passes. Goal (issue #9): graph + SVG well under a second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "core/buf.h"
#include "docker/docker.h"
#include "svcmap/svcmap.h"
#include "tasks/tasks.h"

#define PROJECTS 25
#define SERVICES 8
#define PASSES   5

static const char *const svc[SERVICES] = {"db",  "cache", "api",    "worker",
                                          "web", "queue", "search", "metrics"};

/* The engine's inspect answer for service s of project p. */
static json_t *inspect(int p, int s)
{
    char proj[16], net[32], name[64], vol[48], dep[64], port[8], env1[128], env2[96];
    snprintf(proj, sizeof(proj), "proj%02d", p);
    snprintf(net, sizeof(net), "%s_default", proj);
    snprintf(name, sizeof(name), "%s-%s-1", proj, svc[s]);
    snprintf(vol, sizeof(vol), "%s_%s", proj, s == 3 ? "db" : svc[s]);
    snprintf(dep, sizeof(dep), "%s:service_started:false,cache:service_healthy:true",
             s == 4 ? "api" : "db");
    snprintf(port, sizeof(port), "%d", 10000 + p * SERVICES + s);
    snprintf(env1, sizeof(env1), "DATABASE_URL=postgres://app:s3cret-%d@db:5432/app", p);
    snprintf(env2, sizeof(env2), "UPSTREAM_URL=http://%s:8080/v1", s == 4 ? "api" : "search");
    json_t *nets = json_pack("{s:{s:[s,s],s:[]}}", net, "Aliases", svc[s], name, "Links");
    if (s == 4) {
        json_object_set_new(nets, "proxy", json_pack("{s:[s]}", "Aliases", name));
        json_array_append_new(json_object_get(json_object_get(nets, net), "Links"),
                              json_sprintf("%s-api-1:backend", proj));
    }
    json_t *labels = json_pack("{s:s,s:s,s:s}", "com.docker.compose.project", proj,
                               "com.docker.compose.service", svc[s], "com.example.owner", "ops");
    if (s >= 2)
        json_object_set_new(labels, "com.docker.compose.depends_on", json_string(dep));
    json_t *mounts = json_array();
    if (s == 0 || s == 3 || s == 6)
        json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:b}", "Type", "volume", "Name", vol,
                                                "Destination", "/data", "RW", s != 3));
    json_t *ports = json_object();
    if (s == 2 || s == 4)
        json_object_set_new(ports, "8080/tcp",
                            json_pack("[{s:s,s:s}]", "HostIp", "0.0.0.0", "HostPort", port));
    return json_pack("{s:s,s:{s:s},s:{s:[s,s,s,s],s:o},s:{s:o,s:o},s:o,s:{}}", "Name", name,
                     "State", "Status", "running", "Config", "Env", env1, env2,
                     "REDIS_ADDR=cache:6379", "LOG_LEVEL=info", "Labels", labels, "NetworkSettings",
                     "Networks", nets, "Ports", ports, "Mounts", mounts, "HostConfig");
}

static json_t *raw_all(void)
{
    json_t *all = json_array();
    for (int p = 0; p < PROJECTS; p++)
        for (int s = 0; s < SERVICES; s++)
            json_array_append_new(all, inspect(p, s));
    return all;
}

/* The inventory items for the raw answers (what tasks_inventory_collect makes). */
static json_t *items_of(const json_t *raw)
{
    json_t *items = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(raw, i, r)
    {
        json_t *it = json_pack("{s:s,s:O,s:s,s:s,s:b}", "container_id", "0123456789ab", "name",
                               json_object_get(r, "Name"), "image", "img:1", "state", "running",
                               "is_allowlisted", 1);
        json_object_set_new(it, "details", docker_inspect_summary(r));
        json_array_append_new(items, it);
    }
    return items;
}

static void report(const char *what, double *t, const char *extra)
{
    qsort(t, PASSES, sizeof(*t), bench_cmp_double);
    printf("bench_svcmap: %-26s best %8.2f ms  median %8.2f ms%s\n", what, t[0], t[PASSES / 2],
           extra);
}

int main(void)
{
    double t_inspect[PASSES], t_graph[PASSES], t_analysis[PASSES], t_svg[PASSES], t_total[PASSES];
    json_t *raw = raw_all();
    size_t n_nodes = 0, n_edges = 0, svg_len = 0;
    for (int k = 0; k < PASSES; k++) {
        double t0 = bench_now_ms();
        json_t *items = items_of(raw);
        double t1 = bench_now_ms();
        json_t *g = svcmap_build(items, NULL, NULL);
        double t2 = bench_now_ms();
        json_t *clean = NULL;
        if (svcmap_check(g, &clean, NULL) != ERR_OK)
            return 1;
        json_t *spof = svcmap_spof(clean), *diff = svcmap_diff(g, clean);
        double t3 = bench_now_ms();
        char *svg = NULL;
        if (tasks_svcmap_graph_svg(clean, &svg, NULL) != ERR_OK)
            return 1;
        double t4 = bench_now_ms();
        t_inspect[k] = t1 - t0;
        t_graph[k] = t2 - t1;
        t_analysis[k] = t3 - t2;
        t_svg[k] = t4 - t3;
        t_total[k] = t4 - t1;
        n_nodes = json_array_size(json_object_get(clean, "nodes"));
        n_edges = json_array_size(json_object_get(clean, "edges"));
        svg_len = strlen(svg);
        free(svg);
        json_decref(spof);
        json_decref(diff);
        json_decref(clean);
        json_decref(g);
        json_decref(items);
    }
    char extra[96];
    snprintf(extra, sizeof(extra), "  (%d containers)", PROJECTS * SERVICES);
    report("inspect summaries", t_inspect, extra);
    snprintf(extra, sizeof(extra), "  (%zu nodes, %zu edges)", n_nodes, n_edges);
    report("graph", t_graph, extra);
    report("check + spof + diff", t_analysis, "");
    snprintf(extra, sizeof(extra), "  (%zu KiB)", svg_len / 1024);
    report("DOT + Graphviz SVG", t_svg, extra);
    report("graph to SVG, total", t_total, "  (goal: well under 1000 ms)");
    json_decref(raw);
    return 0;
}
