/* SPDX-License-Identifier: MIT */
/* test_tasks_contlogs.c -- the file names container logs are written under: whatever the
 * container's name, the file stays inside its folder. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tasks/tasks_int.h"

static const char *fname(const char *name, const char *id)
{
    static char out[TASKS_CONTLOGS_NAME_MAX + 32];
    tasks_contlogs_file_name(name, id, out, sizeof(out));
    return out;
}

START_TEST(test_plain_names)
{
    ck_assert_str_eq(fname("web", "0123456789abcdef0123"), "web-0123456789ab.log");
    ck_assert_str_eq(fname("my_app.v2-1", "abc"), "my_app.v2-1-abc.log");
}
END_TEST

START_TEST(test_hostile_names)
{
    ck_assert_str_eq(fname("../../etc/passwd", "0123456789ab"),
                     "_._.._etc_passwd-0123456789ab.log");
    ck_assert_str_eq(fname(".hidden", "0123456789ab"), "_hidden-0123456789ab.log");
    ck_assert_str_eq(fname("..", "0123456789ab"), "_.-0123456789ab.log");
    ck_assert_str_eq(fname("", "0123456789ab"), "c-0123456789ab.log");
    ck_assert_str_eq(fname(NULL, NULL), "c-.log");
    ck_assert_str_eq(fname("a/b\\c\nd", "../x/y"), "a_b_c_d-___x_y.log");
    ck_assert_str_eq(fname("caf\xc3\xa9", "ABCDEF"), "caf__-______.log");
}
END_TEST

START_TEST(test_long_names_cut)
{
    char name[600];
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    const char *f = fname(name, "0123456789abcdef");
    ck_assert_uint_eq(strlen(f), TASKS_CONTLOGS_NAME_MAX + 17);
    ck_assert_str_eq(f + TASKS_CONTLOGS_NAME_MAX, "-0123456789ab.log");
    char small[40];
    tasks_contlogs_file_name(name, "0123456789abcdef", small, sizeof(small));
    ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
    ck_assert_str_eq(small + strlen(small) - 17, "-0123456789ab.log");
    tasks_contlogs_file_name(name, "0123", small, 8); /* too small: empty, no overflow */
    ck_assert_str_eq(small, "");
}
END_TEST

int main(void)
{
    Suite *su = suite_create("tasks_contlogs");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, test_plain_names);
    tcase_add_test(tc, test_hostile_names);
    tcase_add_test(tc, test_long_names_cut);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
