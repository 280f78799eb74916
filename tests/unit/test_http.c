/* SPDX-License-Identifier: MIT */
/* test_http.c -- unit tests of the pure parts of the HTTP layer: route matching, method
 * lookup, Allow formatting, integer query parsing, URL encoding and path safety. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "http/http_int.h"

START_TEST(test_match_literal_and_slash)
{
    struct http_match m;
    ck_assert(http_route_match("/api/runs/", "/api/runs/", &m));
    ck_assert(http_route_match("/api/runs/", "/api/runs", &m));
    ck_assert(http_route_match("/metrics", "/metrics/", &m));
    ck_assert(!http_route_match("/api/runs/", "/api/run", &m));
    ck_assert(!http_route_match("/api/runs/", "/api/runs/x/", &m));
    ck_assert(!http_route_match("/api/runs/", "/api/runsx/", &m));
    ck_assert(!http_route_match("/api/runs/", "/", &m));
}
END_TEST

START_TEST(test_match_ids)
{
    struct http_match m;
    ck_assert(http_route_match("/api/runs/{id}/report/", "/api/runs/42/report/", &m));
    ck_assert_uint_eq(m.n_ids, 1);
    ck_assert_int_eq(m.ids[0], 42);
    ck_assert(http_route_match("/api/runs/{id}/", "/api/runs/9223372036854775807", &m));
    ck_assert_int_eq(m.ids[0], INT64_MAX);
    ck_assert(!http_route_match("/api/runs/{id}/", "/api/runs/9223372036854775808/", &m));
    ck_assert(!http_route_match("/api/runs/{id}/", "/api/runs/0/", &m));
    ck_assert(!http_route_match("/api/runs/{id}/", "/api/runs/-1/", &m));
    ck_assert(!http_route_match("/api/runs/{id}/", "/api/runs/01/", &m));
    ck_assert(!http_route_match("/api/runs/{id}/", "/api/runs/1a/", &m));
    ck_assert(!http_route_match("/api/runs/{id}/", "/api/runs//", &m));
    ck_assert(!http_route_match("/api/runs/{id}/", "/api/runs/launch/", &m));
}
END_TEST

START_TEST(test_match_tail)
{
    struct http_match m;
    const char *p = "/api/runs/{id}/artifacts/{name...}";
    ck_assert(http_route_match(p, "/api/runs/3/artifacts/jobs/7/result.json", &m));
    ck_assert_int_eq(m.ids[0], 3);
    ck_assert_uint_eq(m.tail_len, strlen("jobs/7/result.json"));
    ck_assert(strncmp(m.tail, "jobs/7/result.json", m.tail_len) == 0);
    ck_assert(http_route_match(p, "/api/runs/3/artifacts/report.md/", &m));
    ck_assert_uint_eq(m.tail_len, strlen("report.md"));
    ck_assert(!http_route_match(p, "/api/runs/3/artifacts/", &m));
    ck_assert(!http_route_match(p, "/api/runs/3/artifacts", &m));
}
END_TEST

static void h_dummy(void *app, struct http_req *req, struct http_resp *resp)
{
    (void)app;
    (void)req;
    (void)resp;
}

START_TEST(test_router_find_and_allow)
{
    static const struct http_route routes[] = {
        {HTTP_GET, "/api/directives/", h_dummy, 0, NULL},
        {HTTP_POST, "/api/directives/", h_dummy, 0, NULL},
        {HTTP_GET, "/api/directives/{id}/", h_dummy, 0, NULL},
        {HTTP_DELETE, "/api/directives/{id}/", h_dummy, 0, NULL},
    };
    struct http_match m;
    unsigned allow = 0;
    const struct http_route *r =
        http_router_find(routes, 4, HTTP_DELETE, "/api/directives/5", &m, &allow);
    ck_assert_ptr_eq(r, &routes[3]);
    ck_assert_int_eq(m.ids[0], 5);
    r = http_router_find(routes, 4, HTTP_PUT, "/api/directives/", &m, &allow);
    ck_assert_ptr_null(r);
    ck_assert_uint_eq(allow, HTTP_GET | HTTP_POST);
    char txt[64];
    http_allow_format(allow, txt, sizeof(txt));
    ck_assert_str_eq(txt, "GET, POST");
    r = http_router_find(routes, 4, HTTP_GET, "/api/nothing/", &m, &allow);
    ck_assert_ptr_null(r);
    ck_assert_uint_eq(allow, 0);
}
END_TEST

START_TEST(test_method_parse)
{
    ck_assert_int_eq(http_method_parse("GET"), HTTP_GET);
    ck_assert_int_eq(http_method_parse("PATCH"), HTTP_PATCH);
    ck_assert_int_eq(http_method_parse("get"), HTTP_OTHER);
    ck_assert_int_eq(http_method_parse("BREW"), HTTP_OTHER);
    ck_assert_str_eq(http_method_name(HTTP_DELETE), "DELETE");
}
END_TEST

START_TEST(test_parse_int64)
{
    int64_t v = 0;
    ck_assert_int_eq(http_parse_int64("20", 1, 200, &v), ERR_OK);
    ck_assert_int_eq(v, 20);
    ck_assert_int_eq(http_parse_int64("0", 1, 200, &v), ERR_INVALID);
    ck_assert_int_eq(http_parse_int64("201", 1, 200, &v), ERR_INVALID);
    ck_assert_int_eq(http_parse_int64("2x", 1, 200, &v), ERR_INVALID);
    ck_assert_int_eq(http_parse_int64("", 1, 200, &v), ERR_INVALID);
    ck_assert_int_eq(http_parse_int64(" 2", 1, 200, &v), ERR_INVALID);
    ck_assert_int_eq(http_parse_int64("+2", 1, 200, &v), ERR_INVALID);
    ck_assert_int_eq(http_parse_int64("99999999999999999999999", 1, INT64_MAX, &v), ERR_INVALID);
    ck_assert_int_eq(http_parse_int64(NULL, 1, 200, &v), ERR_INVALID);
}
END_TEST

START_TEST(test_url_encode)
{
    struct buf b;
    buf_init(&b, 256);
    http_url_encode(&b, "a b&c=d/é~_.-");
    ck_assert_str_eq(buf_str(&b), "a%20b%26c%3Dd%2F%C3%A9~_.-");
    buf_fini(&b);
}
END_TEST

START_TEST(test_unescape_keeps_nul)
{
    char a[] = "report.md%00.txt";
    ck_assert_uint_eq(http_unescape(a), strlen("report.md%00.txt"));
    ck_assert_str_eq(a, "report.md%00.txt");
    char b[] = "jobs%2F7%2fresult.json%20x%zz%4";
    http_unescape(b);
    ck_assert_str_eq(b, "jobs/7/result.json x%zz%4");
}
END_TEST

START_TEST(test_relpath_safety)
{
    ck_assert(http_relpath_is_safe("report.md", 255));
    ck_assert(http_relpath_is_safe("jobs/7/result.json", 255));
    ck_assert(http_relpath_is_safe("..hidden", 255));
    ck_assert(!http_relpath_is_safe("", 255));
    ck_assert(!http_relpath_is_safe("/etc/passwd", 255));
    ck_assert(!http_relpath_is_safe("../secret", 255));
    ck_assert(!http_relpath_is_safe("jobs/../../x", 255));
    ck_assert(!http_relpath_is_safe("jobs/..", 255));
    ck_assert(!http_relpath_is_safe("./x", 255));
    ck_assert(!http_relpath_is_safe("a//b", 255));
    ck_assert(!http_relpath_is_safe("a\\..\\b", 255));
    ck_assert(!http_relpath_is_safe("a\nb", 255));
    ck_assert(!http_relpath_is_safe("abcdef", 5));
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, test_match_literal_and_slash);
    tcase_add_test(tc, test_match_ids);
    tcase_add_test(tc, test_match_tail);
    tcase_add_test(tc, test_router_find_and_allow);
    tcase_add_test(tc, test_method_parse);
    tcase_add_test(tc, test_parse_int64);
    tcase_add_test(tc, test_url_encode);
    tcase_add_test(tc, test_relpath_safety);
    tcase_add_test(tc, test_unescape_keeps_nul);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(http_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
