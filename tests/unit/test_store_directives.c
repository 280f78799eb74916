/* SPDX-License-Identifier: MIT */
/* test_store_directives.c -- the versions of a directive's key and the diff between two, on
 * both backends (loop index 0: SQLite in a fresh file, 1: PostgreSQL in a fresh schema on
 * CB_TEST_PG; skipped when unset, except with CI=true). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "store/store.h"

#define STORE_FX_TAG "_dirs"
#include "store_fixture.h"

static json_t *save(struct store *st, int64_t id, const char *fields_json)
{
    struct errbuf eb = {{0}};
    json_t *f = json_loads(fields_json, 0, NULL), *d = NULL;
    ck_assert_ptr_nonnull(f);
    enum err e =
        id ? store_directive_update(st, id, f, &d, &eb) : store_directive_create(st, f, &d, &eb);
    ck_assert_msg(e == ERR_OK, "save: %s", errbuf_get(&eb, e));
    json_decref(f);
    return d;
}

static int64_t id_of(const json_t *d)
{
    return json_integer_value(json_object_get(d, "id"));
}

/* The diff's lines as "op text|op text|...". */
static char *lines_str(const json_t *diff)
{
    char *out = xstrdup("");
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(diff, "lines"), i, l)
    {
        char *next = xasprintf("%s%s%s%s", out, i ? "|" : "", jsonx_get_str(l, "op"),
                               jsonx_get_str(l, "text"));
        xfree(out);
        out = next;
    }
    return out;
}

START_TEST(test_versions_and_diff)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    struct errbuf eb = {{0}};
    json_t *v1 = save(f.st, 0, "{\"name\":\"dir\",\"text\":\"a\\nb\\nc\",\"config\":{}}");
    json_t *v2 = save(f.st, id_of(v1), "{\"text\":\"a\\nc\\nd\"}");
    json_t *v3 = save(f.st, id_of(v2), "{\"name\":\"renamed\",\"config\":{\"lookback_hours\":3}}");
    json_t *other = save(f.st, 0, "{\"name\":\"other\",\"text\":\"x\"}");
    json_t *vs = NULL, *diff = NULL;
    OK(store_directive_versions(f.st, id_of(v1), &vs, EB));
    ck_assert_int_eq(json_integer_value(json_object_get(vs, "count")), 3);
    ck_assert(json_is_false(json_object_get(vs, "is_truncated")));
    json_t *res = json_object_get(vs, "results");
    ck_assert_uint_eq(json_array_size(res), 3);
    for (int k = 0; k < 3; k++) {
        json_t *row = json_array_get(res, (size_t)k);
        ck_assert_int_eq(json_integer_value(json_object_get(row, "version")), 3 - k);
        ck_assert_ptr_null(json_object_get(row, "text"));
    }
    ck_assert_int_eq(id_of(json_array_get(res, 0)), id_of(v3));
    json_decref(vs);
    OK(store_directive_diff(f.st, id_of(v3), 1, 2, &diff, EB));
    char *got = lines_str(diff);
    ck_assert_str_eq(got, "=a|-b|=c|+d");
    xfree(got);
    ck_assert_int_eq(json_integer_value(json_object_get(diff, "added")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(diff, "removed")), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(diff, "changes")), 0);
    json_decref(diff);
    OK(store_directive_diff(f.st, id_of(v1), 2, 3, &diff, EB));
    json_t *ch = json_object_get(diff, "changes");
    ck_assert_uint_eq(json_array_size(ch), 2);
    ck_assert_str_eq(jsonx_get_str(json_array_get(ch, 0), "field"), "name");
    ck_assert_str_eq(jsonx_get_str(json_array_get(ch, 0), "to"), "renamed");
    ck_assert_str_eq(jsonx_get_str(json_array_get(ch, 1), "field"), "config");
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(json_array_get(ch, 1), "to"), "lookback_hours")),
                     3);
    json_decref(diff);
    /* Unknown versions and directives, another key's version, a deleted key. */
    ck_assert_int_eq(store_directive_diff(f.st, id_of(v1), 1, 4, &diff, &eb), ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(errbuf_get(&eb, ERR_NOT_FOUND), "to:"));
    ck_assert_ptr_null(diff);
    ck_assert_int_eq(store_directive_diff(f.st, id_of(other), 1, 2, &diff, &eb), ERR_NOT_FOUND);
    ck_assert_int_eq(store_directive_diff(f.st, 999999, 1, 1, &diff, &eb), ERR_NOT_FOUND);
    ck_assert_int_eq(store_directive_versions(f.st, 999999, &vs, &eb), ERR_NOT_FOUND);
    ck_assert_ptr_null(vs);
    OK(store_directive_delete(f.st, id_of(v2), EB));
    ck_assert_int_eq(store_directive_versions(f.st, id_of(v1), &vs, &eb), ERR_NOT_FOUND);
    ck_assert_int_eq(store_directive_diff(f.st, id_of(v3), 1, 2, &diff, &eb), ERR_NOT_FOUND);
    OK(store_directive_versions(f.st, id_of(other), &vs, EB));
    ck_assert_int_eq(json_integer_value(json_object_get(vs, "count")), 1);
    json_decref(vs);
    json_decref(v1);
    json_decref(v2);
    json_decref(v3);
    json_decref(other);
    fx_close(&f);
}
END_TEST

/* More versions than the cap: the newest STORE_DIRECTIVE_VERSIONS_MAX, marked truncated. */
START_TEST(test_versions_cap)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    json_t *d = save(f.st, 0, "{\"name\":\"many\",\"text\":\"0\"}"), *vs = NULL;
    for (int k = 1; k <= STORE_DIRECTIVE_VERSIONS_MAX; k++) {
        char body[64];
        snprintf(body, sizeof(body), "{\"text\":\"%d\"}", k);
        json_t *next = save(f.st, id_of(d), body);
        json_decref(d);
        d = next;
    }
    OK(store_directive_versions(f.st, id_of(d), &vs, EB));
    ck_assert_int_eq(json_integer_value(json_object_get(vs, "count")),
                     STORE_DIRECTIVE_VERSIONS_MAX + 1);
    ck_assert(json_is_true(json_object_get(vs, "is_truncated")));
    json_t *res = json_object_get(vs, "results");
    ck_assert_uint_eq(json_array_size(res), STORE_DIRECTIVE_VERSIONS_MAX);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(res, 0), "version")),
                     STORE_DIRECTIVE_VERSIONS_MAX + 1);
    json_decref(vs);
    json_decref(d);
    fx_close(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("store_directives");
    TCase *tc = tcase_create("directives");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_versions_and_diff, 0, 2);
    tcase_add_loop_test(tc, test_versions_cap, 0, 2);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
