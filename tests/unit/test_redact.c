/* SPDX-License-Identifier: MIT */
/* test_redact.c -- the redactor: each detector, and what must be left alone. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "redact/redact.h"

static char *red(const char *in)
{
    static char out[1024];
    redact_log_filter(NULL, in, strlen(in), out, sizeof(out));
    return out;
}

START_TEST(email_and_ip)
{
    ck_assert_str_eq(red("user alice.b@example.com from 10.1.2.3 failed"),
                     "user [email] from [ip] failed");
    ck_assert_str_eq(red("addr 2001:db8::1 mac 00:1a:2b:3c:4d:5e"), "addr [addr] mac [addr]");
    /* Found by fuzz_redact: a sentence-final dot hid the whole address. */
    ck_assert_str_eq(red("write to bob@example.com."), "write to [email].");
}
END_TEST

START_TEST(leaves_times_and_versions)
{
    ck_assert_str_eq(red("2026-11-24T18:52:50.123Z info run_id=42 v1.2.3"),
                     "2026-11-24T18:52:50.123Z info run_id=42 v1.2.3");
    ck_assert_str_eq(red("1.2.3.4.5 is not an ip"), "1.2.3.4.5 is not an ip");
    ck_assert_str_eq(red("listen addr=0.0.0.0 peer=127.0.0.1 lan=192.168.1.20"),
                     "listen addr=0.0.0.0 peer=127.0.0.1 lan=[ip]");
}
END_TEST

START_TEST(secrets)
{
    ck_assert_str_eq(red("password=hunter2 user=bob"), "password=[secret] user=bob");
    ck_assert_str_eq(red("Authorization: Bearer abc.def.ghi"), "Authorization: Bearer [secret]");
    ck_assert_str_eq(red("db postgres://app:s3cr3t@db:5432/x"),
                     "db postgres://[user]:[secret]@db:5432/x");
    ck_assert_str_eq(red("\"api_key\": \"k-123\""), "\"api_key\": \"[secret]\"");
}
END_TEST

START_TEST(paths_cards_ids)
{
    ck_assert_str_eq(red("read /home/alice/notes.txt"), "read /home/[user]/notes.txt");
    ck_assert_str_eq(red("card 4111 1111 1111 1111 ok"), "card [card] ok");
    ck_assert_str_eq(red("card 4111 1111 1111 1112 ok"), "card 4111 1111 1111 1112 ok");
    ck_assert_str_eq(red("container 3f4e1a2b9c0d stopped"), "container 3f4e[id] stopped");
}
END_TEST

START_TEST(long_line_is_cut_not_leaked)
{
    char in[600];
    memset(in, 'a', sizeof(in));
    memcpy(in + 590, " x@ex.io", 8);
    in[598] = '\0';
    char out[64];
    size_t n = redact_log_filter(NULL, in, strlen(in), out, sizeof(out));
    ck_assert_uint_le(n, 63);
    ck_assert_ptr_null(strstr(out, "x@ex.io"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("redact");
    TCase *tc = tcase_create("detectors");
    tcase_add_test(tc, email_and_ip);
    tcase_add_test(tc, leaves_times_and_versions);
    tcase_add_test(tc, secrets);
    tcase_add_test(tc, paths_cards_ids);
    tcase_add_test(tc, long_line_is_cut_not_leaked);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
