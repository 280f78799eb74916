/* SPDX-License-Identifier: MIT */
/* test_tasks_svcmap.c -- the service map's SVG (Graphviz through libgvc): hostile names stay
 * text, bad DOT is an error (no crash, nothing on stderr), and many threads can lay out maps
 * at once (every use of Graphviz is serialised). */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "svcmap/svcmap.h"
#include "tasks/tasks.h"

#define N_THREADS 8

static json_t *hostile(void)
{
    return json_loads(
        "{\"nodes\":[{\"id\":\"container:a\",\"name\":\"x\\\"];evil[label=\\\"\\\\G\","
        "\"kind\":\"container\",\"is_allowlisted\":true},"
        "{\"id\":\"network:n\",\"name\":\"<script>alert(1)</script>\",\"kind\":\"network\"},"
        "{\"id\":\"volume:v\",\"name\":\"&amp;<svg onload=alert(2)>\",\"kind\":\"volume\"}],"
        "\"edges\":[{\"from\":\"container:a\",\"to\":\"network:n\",\"type\":\"shares_network\","
        "\"evidence\":\"<img src=x onerror=alert(3)>\"},{\"from\":\"container:a\",\"to\":"
        "\"volume:v\",\"type\":\"shared_volume\",\"evidence\":\"e\"}]}",
        0, NULL);
}

START_TEST(test_svg_hostile_names)
{
    json_t *g = hostile();
    char *svg = NULL;
    struct errbuf eb = {{0}};
    ck_assert_int_eq(tasks_svcmap_graph_svg(g, &svg, &eb), ERR_OK);
    ck_assert_ptr_nonnull(strstr(svg, "<svg"));
    /* No markup from a name: only escaped text. */
    ck_assert_ptr_null(strstr(svg, "<script"));
    ck_assert_ptr_null(strstr(svg, "<svg onload"));
    ck_assert_ptr_null(strstr(svg, "<img"));
    /* The quote in a name closed no label: three nodes, no node "evil". */
    int n_nodes = 0;
    for (const char *p = svg; (p = strstr(p, "<g id=\"node")); p++)
        n_nodes++;
    ck_assert_int_eq(n_nodes, 3);
    ck_assert_ptr_nonnull(strstr(svg, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    ck_assert_ptr_nonnull(strstr(svg, "&lt;img src=x onerror=alert(3)&gt;"));
    /* "\G" in a name is text, not the graph's name. */
    ck_assert_ptr_nonnull(strstr(svg, "\\G"));
    xfree(svg);
    json_decref(g);
}
END_TEST

START_TEST(test_svg_bad_dot)
{
    char *svg = NULL;
    struct errbuf eb = {{0}};
    ck_assert_int_eq(tasks_svcmap_svg("digraph { a -> ", &svg, &eb), ERR_INVALID);
    ck_assert_ptr_null(svg);
    ck_assert_int_eq(tasks_svcmap_svg("", &svg, &eb), ERR_INVALID);
    /* It still works after a failure. */
    ck_assert_int_eq(tasks_svcmap_svg("digraph { a -> b }", &svg, &eb), ERR_OK);
    ck_assert_ptr_nonnull(strstr(svg, "</svg>"));
    xfree(svg);
}
END_TEST

static void *render_many(void *arg)
{
    const json_t *g = arg;
    for (int i = 0; i < 5; i++) {
        char *svg = NULL;
        if (tasks_svcmap_graph_svg(g, &svg, NULL) != ERR_OK || !strstr(svg, "</svg>")) {
            xfree(svg);
            return (void *)1;
        }
        xfree(svg);
    }
    return NULL;
}

START_TEST(test_svg_many_threads)
{
    /* A map of 40 containers on 4 networks, laid out by 8 threads at once. */
    json_t *items = json_array();
    for (int i = 0; i < 40; i++) {
        char name[32], net[32];
        snprintf(name, sizeof(name), "c%d", i);
        snprintf(net, sizeof(net), "net%d", i % 4);
        json_array_append_new(items,
                              json_pack("{s:s,s:s,s:s,s:b,s:{s:[{s:s}]}}", "container_id", "0123",
                                        "name", name, "state", "running", "is_allowlisted", 1,
                                        "details", "networks", "name", net));
    }
    json_t *g = svcmap_build(items, NULL, NULL);
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, render_many, g), 0);
    for (int i = 0; i < N_THREADS; i++) {
        void *rc = NULL;
        pthread_join(th[i], &rc);
        ck_assert_ptr_null(rc);
    }
    char *mmd = tasks_svcmap_mermaid(g);
    ck_assert_ptr_nonnull(mmd);
    ck_assert_ptr_nonnull(strstr(mmd, "n0 -.->|shares_network| n40"));
    xfree(mmd);
    json_decref(g);
    json_decref(items);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tasks_svcmap");
    TCase *tc = tcase_create("svg");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_svg_hostile_names);
    tcase_add_test(tc, test_svg_bad_dot);
    tcase_add_test(tc, test_svg_many_threads);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
