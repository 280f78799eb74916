/* SPDX-License-Identifier: MIT */
/* test_triage_miner.c -- the template miner (masking, clustering, merging, the cap,
 * determinism) and the Loghub-style format strings. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "triage/triage_format.h"
#include "triage/triage_miner.h"

static const char *mask(const char *s)
{
    static char out[1024];
    triage_miner_mask(s, strlen(s), out, sizeof(out));
    return out;
}

static uint32_t add(struct triage_miner *m, const char *s)
{
    return triage_miner_add(m, s, strlen(s));
}

START_TEST(masking)
{
    ck_assert_str_eq(mask("PacketResponder 1 for block blk_-6952295868487656571 terminating"),
                     "PacketResponder <*> for block blk_<*> terminating");
    ck_assert_str_eq(mask("  from 10.251.73.220:50010\tsize 67108864 "), "from <*>:<*> size <*>");
    ck_assert_str_eq(mask("took 12ms id=3f2a9c0d-1b2c-4d5e-8f90-0123456789ab user=bob"),
                     "took <*> id=<*> user=bob");
    ck_assert_str_eq(mask("open /var/log/app1.log (0x7f3a)"), "open /var/log/<*> (<*>)");
    ck_assert_str_eq(mask("nul\x01"
                          "ctl"),
                     "nul?ctl");
    ck_assert_str_eq(mask(""), "");
    ck_assert_str_eq(mask("at Sun Jul 10 03:55:15 2005"), "at <*> <*>:<*>:<*> <*>");
}
END_TEST

START_TEST(clustering)
{
    struct triage_miner *m = triage_miner_new(NULL);
    uint32_t a = add(m, "Connection closed by 10.0.0.1 port 22");
    uint32_t b = add(m, "Connection closed by 10.0.0.2 port 2222");
    uint32_t c = add(m, "Invalid user alice from 10.0.0.3");
    uint32_t d = add(m, "Invalid user bob from 10.0.0.4");
    /* two words at a position are constants until the position has more than three */
    ck_assert_uint_ne(triage_miner_resolve(m, c), triage_miner_resolve(m, d));
    add(m, "Invalid user carol from 10.0.0.5");
    add(m, "Invalid user dave from 10.0.0.6");
    uint32_t s1 = add(m, "cupsd startup succeeded");
    uint32_t s2 = add(m, "cupsd shutdown succeeded");
    ck_assert_uint_ne(triage_miner_resolve(m, s1), triage_miner_resolve(m, s2));
    uint32_t l1 = add(m, "ask 10.0.0.1:50010 to delete blk_1 blk_2");
    uint32_t l2 = add(m, "ask 10.0.0.2:50010 to delete blk_3 blk_4 blk_5 blk_6");
    ck_assert_uint_eq(triage_miner_resolve(m, l1), triage_miner_resolve(m, l2));
    ck_assert_str_eq(triage_miner_template_text(m, l1), "ask <*>:<*> to delete blk_<*>");
    uint32_t e = add(m, "Server listening on 0.0.0.0");
    ck_assert_uint_eq(a, b);
    ck_assert_uint_eq(triage_miner_resolve(m, c), triage_miner_resolve(m, d));
    ck_assert_uint_ne(triage_miner_resolve(m, a), triage_miner_resolve(m, c));
    ck_assert_uint_ne(triage_miner_resolve(m, e), triage_miner_resolve(m, c));
    ck_assert_str_eq(triage_miner_template_text(m, a), "Connection closed by <*> port <*>");
    ck_assert_str_eq(triage_miner_template_text(m, c), "Invalid user <*> from <*>");
    ck_assert_uint_eq(triage_miner_template_count(m, d), 4);
    char k1[17], k2[17];
    ck_assert(triage_miner_template_key(m, c, k1));
    ck_assert_uint_eq(strlen(k1), 16);
    struct triage_miner *m2 = triage_miner_new(NULL);
    uint32_t x = add(m2, "Invalid user carol from 10.0.0.9");
    add(m2, "Invalid user dave from 10.0.0.9");
    add(m2, "Invalid user erin from 10.0.0.9");
    add(m2, "Invalid user frank from 10.0.0.9");
    ck_assert(triage_miner_template_key(m2, x, k2));
    ck_assert_str_eq(k1, k2); /* the key depends only on the text */
    triage_miner_free(m2);
    triage_miner_free(m);
}
END_TEST

START_TEST(eviction_bound)
{
    struct triage_miner_opts o = {.max_templates = 16};
    struct triage_miner *m = triage_miner_new(&o);
    char line[64];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(line, sizeof(line), "w%c%c x%c event", 'a' + i % 26, 'a' + i / 26 % 26,
                         'a' + i % 7);
        uint32_t t = triage_miner_add(m, line, (size_t)n);
        ck_assert_uint_ne(t, TRIAGE_TID_NONE);
        ck_assert_ptr_nonnull(triage_miner_template_text(m, t));
        struct triage_miner_stats st;
        triage_miner_stats(m, &st);
        ck_assert_uint_le(st.templates, 16);
    }
    struct triage_miner_stats st;
    triage_miner_stats(m, &st);
    ck_assert_uint_gt(st.evicted, 0);
    ck_assert_uint_eq(triage_miner_resolve(m, 0), TRIAGE_TID_NONE);
    ck_assert_ptr_null(triage_miner_template_text(m, 0));
    triage_miner_free(m);
}
END_TEST

START_TEST(determinism_and_long)
{
    static const char *lines[] = {"a b c 1", "a b d 2", "x y", "a q c 3", "x z", "a b c"};
    char t1[6][256], t2[6][256];
    for (int r = 0; r < 2; r++) {
        struct triage_miner *m = triage_miner_new(NULL);
        uint32_t id[6];
        for (int i = 0; i < 6; i++)
            id[i] = add(m, lines[i]);
        for (int i = 0; i < 6; i++)
            snprintf(r ? t2[i] : t1[i], 256, "%u %s", triage_miner_resolve(m, id[i]),
                     triage_miner_template_text(m, id[i]));
        triage_miner_free(m);
    }
    for (int i = 0; i < 6; i++)
        ck_assert_str_eq(t1[i], t2[i]);
    struct triage_miner *m = triage_miner_new(NULL);
    size_t n = 1 << 20;
    char *big = calloc(n, 1);
    for (size_t i = 0; i < n; i++)
        big[i] = i % 3 ? 'a' : ' ';
    uint32_t t = triage_miner_add(m, big, n);
    ck_assert_uint_le(strlen(triage_miner_template_text(m, t)), 3 * 4096 + 8);
    struct triage_miner_stats st;
    triage_miner_stats(m, &st);
    ck_assert_uint_eq(st.truncated, 1);
    free(big);
    triage_miner_free(m);
}
END_TEST

/* A lazy field stops at the first place where the rest of the pattern matches. */
START_TEST(format_lazy_stops)
{
    struct triage_format *f = NULL;
    struct errbuf eb = {{0}};
    struct triage_record r;
    ck_assert_int_eq(triage_format_compile("<Component>: <Content>", &f, &eb), ERR_OK);
    ck_assert(triage_format_split(f, "a: b: c", 7, &r));
    ck_assert_str_eq(r.component, "a");
    ck_assert(r.msg_len == 4 && strncmp(r.msg, "b: c", 4) == 0);
    ck_assert(!triage_format_split(f, "a:b", 3, &r)); /* ": " needs its white space */
    triage_format_free(f);
    ck_assert_int_eq(triage_format_compile("<Component>( \\(<Addr>\\))?: <Content>", &f, &eb),
                     ERR_OK);
    const char *l = "kernel[0] (0x1f): IOThunderbolt: up";
    ck_assert(triage_format_split(f, l, strlen(l), &r));
    ck_assert_str_eq(r.component, "kernel[0]");
    ck_assert(r.msg_len == 17 && strncmp(r.msg, "IOThunderbolt: up", 17) == 0);
    triage_format_free(f);
}
END_TEST

START_TEST(format_split)
{
    struct triage_format *f = NULL;
    struct errbuf eb = {{0}};
    ck_assert_int_eq(triage_format_compile("<Month> <Date> <Time> <Level> "
                                           "<Component>(\\[<PID>\\])?: <Content>",
                                           &f, &eb),
                     ERR_OK);
    struct triage_record r;
    const char *l1 = "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown\r";
    ck_assert(triage_format_split(f, l1, strlen(l1), &r));
    ck_assert_int_eq((int)r.msg_len, (int)strlen("check pass; user unknown"));
    ck_assert(strncmp(r.msg, "check pass; user unknown", r.msg_len) == 0);
    ck_assert_str_eq(r.component, "sshd(pam_unix)");
    const char *l2 = "Jun 9 06:06:20 combo kernel: Linux version 2.6.5";
    ck_assert(triage_format_split(f, l2, strlen(l2), &r));
    ck_assert_str_eq(r.component, "kernel");
    ck_assert(!triage_format_split(f, "nothing", 7, &r));
    ck_assert(r.msg_len == 7);
    triage_format_free(f);
    ck_assert_int_eq(triage_format_compile("\\[<Time>\\] \\[<Level>\\] <Content>", &f, &eb),
                     ERR_OK);
    const char *l3 = "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6";
    ck_assert(triage_format_split(f, l3, strlen(l3), &r));
    ck_assert_int_eq(r.level, TRIAGE_LEVEL_ERROR);
    triage_format_free(f);
    ck_assert_int_eq(triage_format_compile("<Date> <Level>", &f, &eb), ERR_INVALID);
    ck_assert_int_eq(triage_format_compile("(<Content>", &f, &eb), ERR_INVALID);
    ck_assert_int_eq(triage_format_compile("<Content> [x]", &f, &eb), ERR_INVALID);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("triage_miner");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, masking);
    tcase_add_test(tc, clustering);
    tcase_add_test(tc, eviction_bound);
    tcase_add_test(tc, determinism_and_long);
    tcase_add_test(tc, format_split);
    tcase_add_test(tc, format_lazy_stops);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
