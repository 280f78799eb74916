/* SPDX-License-Identifier: MIT */
/* test_worker_templates.c -- log_triage's template report for the orchestrator's history:
 * templates.all (order, counts, redaction, valid UTF-8, the 2000 cap) and the UTF-8 cleaner. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "worker/worker_int.h"

static void feed(struct worker_templates *w, const char *line)
{
    worker_templates_line(w, line, strlen(line));
}

static const json_t *entry_with(const json_t *all, const char *needle)
{
    size_t i;
    json_t *e;
    json_array_foreach(all, i, e)
    {
        if (strstr(jsonx_get_str(e, "template"), needle))
            return e;
    }
    return NULL;
}

START_TEST(test_all_order_and_counts)
{
    struct worker_templates *w = worker_templates_new();
    worker_templates_file_begin(w, -1);
    for (int i = 0; i < 3; i++) {
        char line[128];
        snprintf(line, sizeof(line), "2026-11-24T10:00:0%d.000Z INFO request served in %d ms", i,
                 10 + i);
        feed(w, line);
    }
    feed(w, "2026-11-24T10:00:04.000Z ERROR connection refused by upstream");
    feed(w, "2026-11-24T10:00:05.000Z WARN mail to bob@example.com bounced \xff\xfe");
    feed(w, "2026-11-24T10:00:06.000Z WARN mail to eve@example.org bounced \xff\xfe");
    json_t *r = worker_templates_result(w, 10);
    ck_assert_ptr_nonnull(r);
    const json_t *all = json_object_get(r, "all");
    ck_assert_uint_eq(json_array_size(all), 3);
    ck_assert(json_is_false(json_object_get(r, "all_truncated")));
    /* With warnings/errors first (then by count): the warning (2), the error (1), info (3). */
    const json_t *warn = json_array_get(all, 0), *err = json_array_get(all, 1);
    const json_t *info = json_array_get(all, 2);
    ck_assert_int_eq(json_integer_value(json_object_get(warn, "warnings")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(warn, "count")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(err, "errors")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(info, "count")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(info, "errors")), 0);
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(info, "template"), "request served in"));
    size_t i;
    json_t *e;
    json_array_foreach(all, i, e)
    {
        const char *t = jsonx_get_str(e, "template");
        ck_assert_uint_eq(strlen(jsonx_get_str(e, "key")), 16);
        ck_assert_ptr_null(strstr(t, "@example."));
        ck_assert_ptr_null(strchr(t, '\xff')); /* jansson only holds valid UTF-8 anyway */
        ck_assert_uint_le(strlen(t), 512);
    }
    ck_assert_ptr_nonnull(entry_with(all, "bounced"));
    json_decref(r);
    worker_templates_free(w);
}
END_TEST

/* Each template keeps its first message as a redacted, valid UTF-8 example of bounded size,
 * also when it merged into another; no example is longer than 256 bytes. */
START_TEST(test_examples)
{
    struct worker_templates *w = worker_templates_new();
    worker_templates_file_begin(w, -1);
    feed(w, "2026-11-24T10:00:00.000Z WARN mail to bob@example.com bounced \xff after 3 tries");
    feed(w, "2026-11-24T10:00:01.000Z WARN mail to eve@example.org bounced \xff after 9 tries");
    char big[2048];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "2026-11-24T10:00:02.000Z ERROR huge ", 36);
    feed(w, big);
    /* four values at one position: the templates of one group merge into "user <*> left" */
    static const char *const users[] = {"ann", "ben", "cid", "dot", "eli"};
    for (int i = 0; i < 5; i++) {
        char line[128];
        snprintf(line, sizeof(line), "2026-11-24T10:00:1%d.000Z INFO user %s left", i, users[i]);
        feed(w, line);
    }
    json_t *r = worker_templates_result(w, 10);
    const json_t *all = json_object_get(r, "all");
    const json_t *mail = entry_with(all, "bounced");
    ck_assert_ptr_nonnull(mail);
    const char *ex = jsonx_get_str(mail, "example");
    ck_assert_ptr_nonnull(ex);
    ck_assert_ptr_nonnull(strstr(ex, "mail to "));
    ck_assert_ptr_nonnull(strstr(ex, "after 3 tries")); /* the first message */
    ck_assert_ptr_null(strstr(ex, "@example."));        /* redacted */
    ck_assert_ptr_nonnull(strstr(ex, "\xef\xbf\xbd"));  /* the bad byte as U+FFFD */
    const json_t *huge = entry_with(all, "huge");
    ck_assert_ptr_nonnull(huge);
    ck_assert_uint_le(strlen(jsonx_get_str(huge, "example")), 256);
    const json_t *left = entry_with(all, "left");
    ck_assert_ptr_nonnull(left);
    ck_assert_int_eq(json_integer_value(json_object_get(left, "count")), 5);
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(left, "example"), "user "));
    const json_t *top = json_array_get(json_object_get(r, "top_findings"), 0);
    ck_assert_ptr_nonnull(jsonx_get_str(top, "example")); /* findings carry it too */
    json_decref(r);
    worker_templates_free(w);
}
END_TEST

/* config.levels keeps only the levels listed in the top findings (all keeps everything). */
START_TEST(test_levels)
{
    static const char *const cases[][2] = {
        {"[\"error\"]", "error"}, {"[\"warn\"]", "warning"}, {"[\"info\"]", ""}, {"7", "both"}};
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct worker_templates *w = worker_templates_new();
        json_t *lv = json_loads(cases[k][0], JSON_DECODE_ANY, NULL);
        worker_templates_levels(w, lv);
        json_decref(lv);
        worker_templates_file_begin(w, -1);
        feed(w, "2026-11-24T10:00:00.000Z ERROR disk failed");
        feed(w, "2026-11-24T10:00:01.000Z WARN queue slow");
        feed(w, "2026-11-24T10:00:02.000Z WARN queue slow");
        json_t *r = worker_templates_result(w, 10);
        const json_t *top = json_object_get(r, "top_findings");
        if (strcmp(cases[k][1], "both") == 0) {
            ck_assert_uint_eq(json_array_size(top), 2);
        } else if (!cases[k][1][0]) {
            ck_assert_uint_eq(json_array_size(top), 0);
        } else {
            ck_assert_uint_eq(json_array_size(top), 1);
            ck_assert_str_eq(jsonx_get_str(json_array_get(top, 0), "level"), cases[k][1]);
        }
        ck_assert_uint_eq(json_array_size(json_object_get(r, "all")), 2);
        json_decref(r);
        worker_templates_free(w);
    }
}
END_TEST

/* Write n as letters only (the miner masks digits), e.g. 0 -> "a", 26 -> "ba". */
static void letters(unsigned n, char *out)
{
    char tmp[16];
    int k = 0;
    do {
        tmp[k++] = (char)('a' + n % 26);
        n /= 26;
    } while (n);
    for (int i = 0; i < k; i++)
        out[i] = tmp[k - 1 - i];
    out[k] = '\0';
}

START_TEST(test_all_capped)
{
    struct worker_templates *w = worker_templates_new();
    worker_templates_file_begin(w, -1);
    for (unsigned i = 0; i < 2100; i++) {
        char word[16], line[64];
        letters(i, word);
        snprintf(line, sizeof(line), "%s happened", word);
        feed(w, line);
    }
    feed(w, "a happened"); /* a template seen twice ranks first among equals */
    json_t *r = worker_templates_result(w, 10);
    const json_t *all = json_object_get(r, "all");
    ck_assert_uint_eq(json_array_size(all), 2000);
    ck_assert(json_is_true(json_object_get(r, "all_truncated")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(all, 0), "count")), 2);
    json_decref(r);
    worker_templates_free(w);
}
END_TEST

static void clean_is(const char *in, size_t len, size_t max, const char *want)
{
    struct buf b;
    buf_init(&b, 1024);
    worker_utf8_clean(in, len, &b, max);
    ck_assert_uint_eq(buf_len(&b), strlen(want));
    ck_assert_mem_eq(buf_str(&b), want, strlen(want));
    buf_fini(&b);
}

START_TEST(test_utf8_clean)
{
    clean_is("plain", 5, 512, "plain");
    clean_is("a\xff"
             "b",
             3, 512,
             "a\xef\xbf\xbd"
             "b");
    clean_is("\xc3\xa9\xc3\xa9\xc3\xa9", 6, 5, "\xc3\xa9\xc3\xa9"); /* not cut inside */
    clean_is("a\0b", 3, 512,
             "a\xef\xbf\xbd"
             "b");                                                            /* NUL */
    clean_is("\xc0\xaf", 2, 512, "\xef\xbf\xbd\xef\xbf\xbd");                 /* overlong */
    clean_is("\xed\xa0\x80", 3, 512, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
    clean_is("\xf0\x9f\x98\x80!", 5, 512, "\xf0\x9f\x98\x80!");               /* 4-byte kept */
    clean_is("\xe2\x82", 2, 512, "\xef\xbf\xbd\xef\xbf\xbd"); /* truncated sequence */
    clean_is("ab\xff", 3, 4, "ab");                           /* no room for U+FFFD */
}
END_TEST

int main(void)
{
    Suite *su = suite_create("worker_templates");
    TCase *tc = tcase_create("templates");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_all_order_and_counts);
    tcase_add_test(tc, test_examples);
    tcase_add_test(tc, test_levels);
    tcase_add_test(tc, test_all_capped);
    tcase_add_test(tc, test_utf8_clean);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
