/* SPDX-License-Identifier: MIT */
/* test_redact.c -- the redactor: each detector, and what must be left alone. */
#include <check.h>
#include <stdio.h>
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
                     "user [EMAIL] from [IP] failed");
    ck_assert_str_eq(red("addr 2001:db8::1 mac 00:1a:2b:3c:4d:5e"), "addr [IP] mac [MAC]");
    /* Found by fuzz_redact: a sentence-final dot hid the whole address. */
    ck_assert_str_eq(red("write to bob@example.com."), "write to [EMAIL].");
}
END_TEST

START_TEST(leaves_times_and_versions)
{
    ck_assert_str_eq(red("2026-11-24T18:52:50.123Z info run_id=42 v1.2.3"),
                     "2026-11-24T18:52:50.123Z info run_id=42 v1.2.3");
    ck_assert_str_eq(red("1.2.3.4.5 is not an ip"), "1.2.3.4.5 is not an ip");
    ck_assert_str_eq(red("listen addr=0.0.0.0 peer=127.0.0.1 lan=192.168.1.20"),
                     "listen addr=0.0.0.0 peer=127.0.0.1 lan=[IP]");
}
END_TEST

START_TEST(secrets)
{
    ck_assert_str_eq(red("password=hunter2 user=bob"), "password=[SECRET] user=bob");
    ck_assert_str_eq(red("Authorization: Bearer abc.def.ghi"), "Authorization: Bearer [SECRET]");
    ck_assert_str_eq(red("db postgres://app:s3cr3t@db:5432/x"),
                     "db postgres://[URL_CREDENTIALS]@db:5432/x");
    ck_assert_str_eq(red("\"api_key\": \"k-123\""), "\"api_key\": \"[SECRET]\"");
}
END_TEST

START_TEST(paths_cards_ids)
{
    ck_assert_str_eq(red("read /home/alice/notes.txt"), "read /home/[PATH_USER]/notes.txt");
    ck_assert_str_eq(red("card 4111 1111 1111 1111 ok"), "card [CARD] ok");
    ck_assert_str_eq(red("card 4111 1111 1111 1112 ok"), "card 4111 1111 1111 1112 ok");
    ck_assert_str_eq(red("container 3f4e1a2b9c0d stopped"), "container [CONTAINER_ID] stopped");
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

START_TEST(spans_cover_only_the_value)
{
    static const char in[] = "password=hunter2 mail bob@example.com";
    struct redact_span sp[4];
    size_t n = redact_find(in, strlen(in), sp, 4);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(sp[0].start, 9);
    ck_assert_uint_eq(sp[0].end, 16);
    ck_assert_int_eq(sp[0].type, REDACT_SECRET);
    ck_assert_uint_eq(sp[1].start, 22);
    ck_assert_uint_eq(sp[1].end, strlen(in));
    ck_assert_str_eq(redact_type_name(sp[1].type), "EMAIL");
    ck_assert_str_eq(redact_type_name(REDACT_CONTAINER_ID), "CONTAINER_ID");
    ck_assert_uint_eq(redact_find(in, strlen(in), sp, 1), 1); /* at most max */
}
END_TEST

static char *red_opts(const char *in, const char *key)
{
    static char out[1024];
    struct redact_opts o = {REDACT_PSEUDONYM, (const unsigned char *)key, strlen(key)};
    redact_log_filter(&o, in, strlen(in), out, sizeof(out));
    return out;
}

START_TEST(pseudonyms)
{
    char a[1024], b[1024];
    snprintf(a, sizeof(a), "%s", red_opts("from bob@example.com to bob@example.com", "k1"));
    ck_assert_uint_eq(strlen(a), strlen("from [EMAIL:xxxx] to [EMAIL:xxxx]"));
    ck_assert(strncmp(a + 5, a + 21, 12) == 0); /* same value, same pseudonym */
    snprintf(b, sizeof(b), "%s", red_opts("from bob@example.com to bob@example.com", "k2"));
    ck_assert_str_ne(a, b); /* another key, another pseudonym */
    snprintf(b, sizeof(b), "%s", red_opts("from ann@example.com to bob@example.com", "k1"));
    ck_assert(strncmp(a + 5, b + 5, 12) != 0);
    ck_assert(strncmp(a + 21, b + 21, 12) == 0);
    /* Redacting again changes nothing, in both modes. */
    ck_assert_str_eq(red_opts(a, "k1"), a);
    ck_assert_str_eq(red_opts(a, "k2"), a);
    ck_assert_str_eq(red(a), a);
    snprintf(b, sizeof(b), "%s", red_opts("password=x postgres://u:p@h /home/al/x", "k1"));
    ck_assert_str_eq(red_opts(b, "k1"), b);
    ck_assert_str_eq(red(b), b);
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
    tcase_add_test(tc, spans_cover_only_the_value);
    tcase_add_test(tc, pseudonyms);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
