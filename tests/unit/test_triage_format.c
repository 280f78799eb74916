/* SPDX-License-Identifier: MIT */
/* test_triage_format.c -- timestamps from the date and time fields of Loghub format strings
 * (triage_format_split_at, triage_time_parts_*), on lines of the Loghub data sets. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "triage/triage_format.h"
#include "triage/triage_time.h"

/* The ts_ms that fmt gives line (the line must match). */
static int64_t ts_of(const char *fmt, const char *line, int64_t ref_ms)
{
    struct triage_format *f = NULL;
    struct errbuf eb = {{0}};
    struct triage_record rec;
    ck_assert_msg(triage_format_compile(fmt, &f, &eb) == ERR_OK, "%s", errbuf_get(&eb, ERR_OK));
    ck_assert_msg(triage_format_split_at(f, line, strlen(line), ref_ms, &rec), "no match: %s",
                  line);
    triage_format_free(f);
    return rec.ts_ms;
}

static int64_t civil(int y, int mo, int d, int h, int mi, int s, int ms)
{
    return triage_time_civil_ms(y, mo, d, h, mi, s, ms);
}

START_TEST(test_dated_formats)
{
    /* HDFS: YYMMDD HHMMSS */
    ck_assert_int_eq(ts_of("<Date> <Time> <Pid> <Level> <Component>: <Content>",
                           "081109 203615 148 INFO dfs.DataNode: Receiving block", -1),
                     civil(2008, 11, 9, 20, 36, 15, 0));
    /* Hadoop / Zookeeper: ISO date, time with a comma fraction */
    ck_assert_int_eq(ts_of("<Date> <Time> <Level> \\[<Process>\\] <Component>: <Content>",
                           "2015-10-18 18:01:47,978 INFO [main] o.a.h.Job: Created", -1),
                     civil(2015, 10, 18, 18, 1, 47, 978));
    /* Spark: YY/MM/DD */
    ck_assert_int_eq(ts_of("<Date> <Time> <Level> <Component>: <Content>",
                           "17/06/09 20:10:40 INFO executor.Backend: Registered", -1),
                     civil(2017, 6, 9, 20, 10, 40, 0));
    /* Apache error log: a ctime-like <Time> */
    ck_assert_int_eq(ts_of("\\[<Time>\\] \\[<Level>\\] <Content>",
                           "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok", -1),
                     civil(2005, 12, 4, 4, 47, 44, 0));
    /* BGL: an epoch <Timestamp> wins over the other fields */
    ck_assert_int_eq(ts_of("<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> "
                           "<Component> <Level> <Content>",
                           "- 1117838570 2005.06.03 R02-M1 2005-06-03-15.42.50.675872 R02-M1 "
                           "RAS KERNEL INFO instruction cache parity error corrected",
                           -1),
                     1117838570000LL);
    /* A <Timestamp> holding ISO 8601 with a zone */
    ck_assert_int_eq(
        ts_of("<Timestamp> <Level> <Content>", "2026-11-24T10:00:00+01:00 ERROR x", -1),
        civil(2026, 11, 24, 9, 0, 0, 0));
}
END_TEST

START_TEST(test_yearless_formats)
{
    int64_t ref = civil(2026, 6, 20, 0, 0, 0, 0);
    /* Linux syslog: <Month> <Date> <Time>, the year from the reference */
    ck_assert_int_eq(ts_of("<Month> <Date> <Time> <Level> <Component>(\\[<PID>\\])?: <Content>",
                           "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: auth failure", ref),
                     civil(2026, 6, 14, 15, 16, 1, 0));
    /* OpenSSH: <Date> holds the month name, <Day> the day */
    ck_assert_int_eq(ts_of("<Date> <Day> <Time> <Component> sshd\\[<Pid>\\]: <Content>",
                           "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping failed", ref),
                     civil(2025, 12, 10, 6, 55, 46, 0)); /* December read in June: last year */
    /* Android: MM-DD */
    ck_assert_int_eq(ts_of("<Date> <Time> <Pid> <Tid> <Level> <Component>: <Content>",
                           "03-17 16:13:38.811 1702 2395 D WindowManager: printFreezingDisplay",
                           ref),
                     civil(2026, 3, 17, 16, 13, 38, 811));
    /* Without a reference, a year-less timestamp names no instant. */
    ck_assert_int_eq(ts_of("<Month> <Date> <Time> <Content>", "Jun 14 15:16:01 x", -1), -1);
    /* triage_format_split is split_at without a reference. */
    struct triage_format *f = NULL;
    struct triage_record rec;
    ck_assert_int_eq(triage_format_compile("<Date> <Time> <Content>", &f, NULL), ERR_OK);
    ck_assert(triage_format_split(f, "2026-01-02 03:04:05 hi", 22, &rec));
    ck_assert_int_eq(rec.ts_ms, civil(2026, 1, 2, 3, 4, 5, 0));
    ck_assert(triage_format_split_at(f, "2026-01-02 03:04:05 hi", 22, TRIAGE_FORMAT_NO_TIME, &rec));
    ck_assert_int_eq(rec.ts_ms, -1); /* no time wanted: not parsed */
    ck_assert(rec.msg_len == 2 && memcmp(rec.msg, "hi", 2) == 0);
    triage_format_free(f);
}
END_TEST

START_TEST(test_no_or_bad_timestamp)
{
    /* No date or time field: -1. */
    ck_assert_int_eq(ts_of("<Level> <Content>", "ERROR boom", -1), -1);
    /* Out of range or unknown shapes: -1, never a wrong instant. */
    ck_assert_int_eq(ts_of("<Date> <Time> <Content>", "2026-13-01 10:00:00 x", -1), -1);
    ck_assert_int_eq(ts_of("<Date> <Time> <Content>", "yesterday noon x", -1), -1);
    ck_assert_int_eq(ts_of("<Date> <Time> <Content>", "2026-01-01 25:00:00 x", -1), -1);
    /* Only a time: no day, no instant. */
    ck_assert_int_eq(ts_of("<Time> <Content>", "10:00:00 x", civil(2026, 1, 1, 0, 0, 0, 0)), -1);
    struct triage_time_parts tp;
    triage_time_parts_init(&tp);
    triage_time_parts_feed(&tp, TRIAGE_TIME_STAMP, "1700000000123", 13);
    ck_assert_int_eq(triage_time_parts_ms(&tp, -1), 1700000000123LL);
    triage_time_parts_init(&tp);
    triage_time_parts_feed(&tp, TRIAGE_TIME_DATE, "20171223", 8);
    ck_assert_int_eq(triage_time_parts_ms(&tp, -1), civil(2017, 12, 23, 0, 0, 0, 0));
}
END_TEST

int main(void)
{
    Suite *su = suite_create("triage_format");
    TCase *tc = tcase_create("timestamps");
    tcase_add_test(tc, test_dated_formats);
    tcase_add_test(tc, test_yearless_formats);
    tcase_add_test(tc, test_no_or_bad_timestamp);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
