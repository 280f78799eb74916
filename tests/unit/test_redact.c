/* SPDX-License-Identifier: MIT */
/* test_redact.c -- the redactor: each detector, and what must be left alone. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "redact/redact.h"

#define GOLDEN "tests/golden/redact/cases.tsv"

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

/* Redact in (len bytes) with o into a fresh heap string; *n gets its length. */
static char *red_buf(const char *in, size_t len, const struct redact_opts *o, size_t *n)
{
    struct buf b;
    buf_init(&b, len * (REDACT_PLACEHOLDER_MAX + 1) + 16);
    ck_assert_int_eq(redact_text_opts(in, len, o, &b), ERR_OK);
    *n = buf_len(&b);
    return buf_take(&b);
}

/* The invariants of one input: spans sorted, non-overlapping and in range; the output
 * bound; idempotence in mask and pseudonym mode. */
static void check_invariants(const char *in, size_t len)
{
    static const unsigned char key[] = "golden-key";
    struct redact_opts ps = {REDACT_PSEUDONYM, key, sizeof(key) - 1};
    struct redact_span sp[512];
    size_t n = redact_find(in, len, sp, 512), prev_end = 0;
    for (size_t k = 0; k < n; k++) {
        ck_assert_msg(sp[k].start >= prev_end && sp[k].start < sp[k].end && sp[k].end <= len,
                      "span %zu of '%.*s'", k, (int)len, in);
        ck_assert_int_lt(sp[k].type, REDACT__COUNT);
        prev_end = sp[k].end;
    }
    for (int mode = 0; mode < 2; mode++) {
        const struct redact_opts *o = mode ? &ps : NULL;
        size_t n1, n2;
        char *once = red_buf(in, len, o, &n1);
        ck_assert_uint_le(n1, len + n * REDACT_PLACEHOLDER_MAX);
        char *twice = red_buf(once, n1, o, &n2);
        ck_assert_msg(n1 == n2 && memcmp(once, twice, n1) == 0, "not idempotent: '%s' -> '%s'",
                      once, twice);
        free(once);
        free(twice);
    }
}

/* Every golden case: the mask output, then the invariants. */
START_TEST(golden_cases)
{
    FILE *f = fopen(GOLDEN, "r");
    ck_assert_msg(f != NULL, "missing " GOLDEN);
    char line[4096];
    int cases = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *tab = strchr(line, '\t');
        ck_assert_msg(tab != NULL, "no tab in golden line '%s'", line);
        *tab = '\0';
        size_t n;
        char *got = red_buf(line, strlen(line), NULL, &n);
        ck_assert_msg(strcmp(got, tab + 1) == 0, "\n in:   %s\n want: %s\n got:  %s", line, tab + 1,
                      got);
        free(got);
        check_invariants(line, strlen(line));
        cases++;
    }
    fclose(f);
    ck_assert_int_ge(cases, 50);
}
END_TEST

/* The pseudonym is the first 4 hex of HMAC-SHA256(key, "EMAIL", 0, value). */
START_TEST(pseudonym_is_hmac)
{
    static const unsigned char key[] = "k1";
    struct redact_opts o = {REDACT_PSEUDONYM, key, 2};
    unsigned char mac[CRYPTO_SHA256_LEN];
    crypto_hmac_sha256(key, 2, "EMAIL\0bob@example.com", 21, mac);
    char want[64];
    snprintf(want, sizeof(want), "to [EMAIL:%02x%02x].", mac[0], mac[1]);
    size_t n;
    char *got = red_buf("to bob@example.com.", 19, &o, &n);
    ck_assert_str_eq(got, want);
    free(got);
    /* No key, or mask mode: plain placeholders. */
    struct redact_opts nokey = {REDACT_PSEUDONYM, NULL, 0}, mask = {REDACT_MASK, key, 2};
    got = red_buf("to bob@example.com.", 19, &nokey, &n);
    ck_assert_str_eq(got, "to [EMAIL].");
    free(got);
    got = red_buf("to bob@example.com.", 19, &mask, &n);
    ck_assert_str_eq(got, "to [EMAIL].");
    free(got);
    for (int t = 0; t < REDACT__COUNT; t++)
        ck_assert_str_ne(redact_type_name((enum redact_type)t), "?");
    ck_assert_str_eq(redact_type_name(REDACT__COUNT), "?");
}
END_TEST

/* Binary bytes, NULs and invalid UTF-8 pass through; findings around them are found. */
START_TEST(binary_input)
{
    static const char in[] = "\xff\xfe\0a@example.com\0\xc3(10.0.0.1\x80";
    size_t n;
    char *got = red_buf(in, sizeof(in) - 1, NULL, &n);
    static const char want[] = "\xff\xfe\0[EMAIL]\0\xc3([IP]\x80";
    ck_assert_uint_eq(n, sizeof(want) - 1);
    ck_assert_mem_eq(got, want, n);
    free(got);
    check_invariants(in, sizeof(in) - 1);
    /* Pseudo-random bytes: the invariants hold. */
    static const char set[] = "0123456789abcdef:.-@/= +()[]AZaz\\_\n";
    char rnd[4096];
    unsigned x = 12345;
    for (int round = 0; round < 200; round++) {
        for (size_t k = 0; k < sizeof(rnd); k++) {
            x = x * 1103515245u + 12345u;
            rnd[k] = set[(x >> 16) % (sizeof(set) - 1)];
        }
        check_invariants(rnd, sizeof(rnd));
    }
}
END_TEST

/* More findings than fit one scan batch and a full out: all found, in order. */
START_TEST(many_findings)
{
    struct buf in;
    buf_init(&in, 1 << 20);
    for (int k = 0; k < 1000; k++)
        buf_printf(&in, "u%d@example.com 10.0.%d.%d ", k, k / 256, k % 256);
    struct redact_span sp[3000];
    ck_assert_uint_eq(redact_find(buf_str(&in), buf_len(&in), sp, 3000), 2000);
    ck_assert_uint_eq(redact_find(buf_str(&in), buf_len(&in), sp, 7), 7);
    size_t n;
    char *got = red_buf(buf_str(&in), buf_len(&in), NULL, &n);
    ck_assert_ptr_null(strstr(got, "@example.com"));
    ck_assert_ptr_null(strstr(got, "10.0."));
    free(got);
    /* A capped out fails with ERR_TOO_LARGE and holds no raw finding. */
    struct buf small;
    buf_init(&small, 100);
    ck_assert_int_eq(redact_text(buf_str(&in), buf_len(&in), &small), ERR_TOO_LARGE);
    ck_assert_ptr_null(strstr(buf_str(&small), "@example.com"));
    buf_fini(&small);
    buf_fini(&in);
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
    tcase_add_test(tc, golden_cases);
    tcase_add_test(tc, pseudonym_is_hmac);
    tcase_add_test(tc, binary_input);
    tcase_add_test(tc, many_findings);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
