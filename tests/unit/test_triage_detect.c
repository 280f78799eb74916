/* SPDX-License-Identifier: MIT */
/* test_triage_detect.c -- header parsers for each common format, the format vote, the
 * multi-line joiner, and golden files (tests/golden/triage_detect/NAME.log -> NAME.jsonl). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "triage/triage_detect.h"
#include "triage/triage_multiline.h"
#include "triage/triage_time.h"

#define T(y, mo, d, h, mi, s, ms) triage_time_civil_ms(y, mo, d, h, mi, s, ms)
#define REF                       T(2026, 11, 25, 0, 0, 0, 0)

static struct triage_record R;
static char scratch[8192];

/* Parse one line with a fresh detector (so the line alone decides the format). */
static enum triage_fmt parse_ref(const char *line, int64_t ref)
{
    struct triage_detect *d = triage_detect_new(ref);
    enum triage_fmt f = triage_detect_line(d, line, strlen(line), &R, scratch, sizeof(scratch));
    triage_detect_free(d);
    return f;
}

static enum triage_fmt parse(const char *line)
{
    return parse_ref(line, REF);
}

static const char *msg(void)
{
    static char b[8192];
    size_t n = R.msg_len < sizeof(b) - 1 ? R.msg_len : sizeof(b) - 1;
    memcpy(b, R.msg, n);
    b[n] = '\0';
    return b;
}

START_TEST(level_words)
{
    ck_assert_int_eq(triage_level_word("ERROR", 5), TRIAGE_LEVEL_ERROR);
    ck_assert_int_eq(triage_level_word("err", 3), TRIAGE_LEVEL_ERROR);
    ck_assert_int_eq(triage_level_word("Warning", 7), TRIAGE_LEVEL_WARN);
    ck_assert_int_eq(triage_level_word("WARN", 4), TRIAGE_LEVEL_WARN);
    ck_assert_int_eq(triage_level_word("fatal", 5), TRIAGE_LEVEL_CRITICAL);
    ck_assert_int_eq(triage_level_word("CRIT", 4), TRIAGE_LEVEL_CRITICAL);
    ck_assert_int_eq(triage_level_word("SEVERE", 6), TRIAGE_LEVEL_ERROR);
    ck_assert_int_eq(triage_level_word("notice", 6), TRIAGE_LEVEL_NOTICE);
    ck_assert_int_eq(triage_level_word("TRACE", 5), TRIAGE_LEVEL_TRACE);
    ck_assert_int_eq(triage_level_word("trace3", 6), TRIAGE_LEVEL_TRACE);
    ck_assert_int_eq(triage_level_word("Debug", 5), TRIAGE_LEVEL_DEBUG);
    ck_assert_int_eq(triage_level_word("info", 4), TRIAGE_LEVEL_INFO);
    ck_assert_int_eq(triage_level_word("errors", 6), TRIAGE_LEVEL_UNKNOWN);
    ck_assert_int_eq(triage_level_word("in", 2), TRIAGE_LEVEL_UNKNOWN);
}
END_TEST

START_TEST(iso_times)
{
    int64_t ms = 0;
    ck_assert_uint_eq(triage_time_iso("2026-11-24T18:52:50.123Z", 24, &ms), 24);
    ck_assert_int_eq(ms, T(2026, 11, 24, 18, 52, 50, 123));
    ck_assert_uint_eq(triage_time_iso("2026-11-24 18:52:50,5+01:00 x", 29, &ms), 27);
    ck_assert_int_eq(ms, T(2026, 11, 24, 17, 52, 50, 500));
    ck_assert_uint_eq(triage_time_iso("2026-11-24T18:52:50.123456789-0530", 34, &ms), 34);
    ck_assert_int_eq(ms, T(2026, 11, 25, 0, 22, 50, 123));
    ck_assert_uint_eq(triage_time_iso("2026-13-24T18:52:50Z", 20, &ms), 0);
    ck_assert_uint_eq(triage_time_iso("2026-11-24T18:52", 16, &ms), 0);
    /* Never reads past len: the digits after it do not count. */
    ck_assert_uint_eq(triage_time_iso("2026-11-24T18:52:50.999", 19, &ms), 19);
    ck_assert_int_eq(ms, T(2026, 11, 24, 18, 52, 50, 0));
    ck_assert_int_eq(T(2024, 2, 29, 0, 0, 0, 0), 1709164800000LL);
}
END_TEST

START_TEST(syslog_3164)
{
    ck_assert_int_eq(parse("Nov 24 18:52:50 web1 sshd[123]: Failed password for bob"),
                     TRIAGE_FMT_SYSLOG3164);
    ck_assert_int_eq(R.ts_ms, T(2026, 11, 24, 18, 52, 50, 0));
    ck_assert_str_eq(R.component, "sshd");
    ck_assert_str_eq(msg(), "Failed password for bob");
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_UNKNOWN);
    /* Single-digit day padded with a space, a tag without pid, a level word in the message. */
    ck_assert_int_eq(parse("Nov  4 01:02:03 host kernel: ERROR: disk sda failed"),
                     TRIAGE_FMT_SYSLOG3164);
    ck_assert_int_eq(R.ts_ms, T(2026, 11, 4, 1, 2, 3, 0));
    ck_assert_str_eq(R.component, "kernel");
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_ERROR);
    ck_assert_str_eq(msg(), "ERROR: disk sda failed");
    /* A leading PRI gives the severity (3 = err); CRLF is ignored. */
    ck_assert_int_eq(parse("<11>Nov 24 18:52:50 host app[9]: it broke\r\n"), TRIAGE_FMT_SYSLOG3164);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_ERROR);
    ck_assert_str_eq(msg(), "it broke");
    /* Loghub Linux style tag with parentheses. */
    ck_assert_int_eq(parse("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure;"),
                     TRIAGE_FMT_SYSLOG3164);
    ck_assert_str_eq(R.component, "sshd(pam_unix)");
    /* No tag at all: the message follows the host. */
    ck_assert_int_eq(parse("Nov 24 18:52:50 host just text here"), TRIAGE_FMT_SYSLOG3164);
    ck_assert_str_eq(R.component, "");
    ck_assert_str_eq(msg(), "just text here");
}
END_TEST

START_TEST(syslog_3164_year_rollover)
{
    int64_t jan2 = T(2027, 1, 2, 8, 0, 0, 0);
    ck_assert_int_eq(parse_ref("Dec 31 23:59:59 h cron[1]: x", jan2), TRIAGE_FMT_SYSLOG3164);
    ck_assert_int_eq(R.ts_ms, T(2026, 12, 31, 23, 59, 59, 0));
    ck_assert_int_eq(parse_ref("Jan  1 00:00:01 h cron[1]: x", jan2), TRIAGE_FMT_SYSLOG3164);
    ck_assert_int_eq(R.ts_ms, T(2027, 1, 1, 0, 0, 1, 0));
    /* Without a reference time there is no year: the header still parses, ts is -1. */
    ck_assert_int_eq(parse_ref("Jan  1 00:00:01 h cron[1]: x", -1), TRIAGE_FMT_SYSLOG3164);
    ck_assert_int_eq(R.ts_ms, -1);
}
END_TEST

START_TEST(syslog_5424)
{
    ck_assert_int_eq(parse("<34>1 2026-11-24T18:52:50.123Z mymachine su 123 ID47 "
                           "[exampleSDID@32473 iut=\"3\" eventSource=\"App\\]\"] 'su root' failed"),
                     TRIAGE_FMT_SYSLOG5424);
    ck_assert_int_eq(R.ts_ms, T(2026, 11, 24, 18, 52, 50, 123));
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_CRITICAL); /* 34 = auth.crit */
    ck_assert_str_eq(R.component, "su");
    ck_assert_str_eq(msg(), "'su root' failed");
    ck_assert_int_eq(parse("<165>1 2026-11-24T18:52:50+02:00 host - - - - \xEF\xBB\xBFhello"),
                     TRIAGE_FMT_SYSLOG5424);
    ck_assert_int_eq(R.ts_ms, T(2026, 11, 24, 16, 52, 50, 0));
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_NOTICE);
    ck_assert_str_eq(R.component, "");
    ck_assert_str_eq(msg(), "hello");
    /* Nil timestamp and no message. */
    ck_assert_int_eq(parse("<14>1 - host app - - -"), TRIAGE_FMT_SYSLOG5424);
    ck_assert_int_eq(R.ts_ms, -1);
    ck_assert_uint_eq(R.msg_len, 0);
}
END_TEST

START_TEST(iso_level)
{
    ck_assert_int_eq(parse("2026-11-24T18:52:50.123Z ERROR [db] connection lost"), TRIAGE_FMT_ISO);
    ck_assert_int_eq(R.ts_ms, T(2026, 11, 24, 18, 52, 50, 123));
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_ERROR);
    ck_assert_str_eq(R.component, "db");
    ck_assert_str_eq(msg(), "connection lost");
    ck_assert_int_eq(parse("2026-11-24 18:52:50.5+01:00 [warning] slow query"), TRIAGE_FMT_ISO);
    ck_assert_int_eq(R.ts_ms, T(2026, 11, 24, 17, 52, 50, 500));
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_WARN);
    ck_assert_str_eq(msg(), "slow query");
    ck_assert_int_eq(parse("[2026-11-24T18:52:50Z] info: ready"), TRIAGE_FMT_ISO);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_INFO);
    ck_assert_str_eq(msg(), "ready");
    /* No level word: the line still has a time; logfmt level= is found. */
    ck_assert_int_eq(parse("2026-11-24T18:52:50Z msg=\"x\" level=warn"), TRIAGE_FMT_ISO);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_WARN);
    ck_assert_str_eq(msg(), "msg=\"x\" level=warn");
}
END_TEST

START_TEST(docker_json)
{
    const char *l = "{\"log\":\"2026-11-24 18:52:50,123 ERROR [main] c.x.Y - boom \\\"q\\\"\\n\","
                    "\"stream\":\"stdout\",\"time\":\"2026-11-24T18:52:51.000000001Z\"}";
    ck_assert_int_eq(parse(l), TRIAGE_FMT_DOCKER_JSON);
    ck_assert_int_eq(R.ts_ms, T(2026, 11, 24, 18, 52, 51, 0));
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_ERROR);
    ck_assert_str_eq(R.component, "c.x.Y");
    ck_assert_str_eq(msg(), "boom \"q\"");
    ck_assert_ptr_eq(R.msg >= scratch && R.msg < scratch + sizeof(scratch) ? R.msg : NULL, R.msg);
    /* stderr without a level is unknown, not error; \u escapes become UTF-8. */
    ck_assert_int_eq(parse("{\"log\":\"caf\\u00e9 \\ud83d\\ude00 done\\n\",\"stream\":\"stderr\","
                           "\"time\":\"2026-11-24T18:52:50Z\"}"),
                     TRIAGE_FMT_DOCKER_JSON);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_UNKNOWN);
    ck_assert_str_eq(msg(), "caf\xC3\xA9 \xF0\x9F\x98\x80 done");
    /* Unescaping stops at the scratch capacity. */
    struct triage_detect *d = triage_detect_new(REF);
    char small[4];
    const char *j = "{\"log\":\"abcdefgh\",\"stream\":\"stdout\",\"time\":\"-\"}";
    ck_assert_int_eq(triage_detect_line(d, j, strlen(j), &R, small, sizeof(small)),
                     TRIAGE_FMT_DOCKER_JSON);
    ck_assert_uint_eq(R.msg_len, 4);
    ck_assert_int_eq(R.ts_ms, -1);
    triage_detect_free(d);
    /* Not JSON-file shaped: unknown. */
    ck_assert_int_eq(parse("{\"log\":\"x\""), TRIAGE_FMT_UNKNOWN);
}
END_TEST

START_TEST(access_log)
{
    ck_assert_int_eq(parse("203.0.113.9 - alice [24/Nov/2026:18:52:50 +0100] \"GET /api/x?a=1 "
                           "HTTP/1.1\" 503 12 \"-\" \"curl/8.0\""),
                     TRIAGE_FMT_ACCESS);
    ck_assert_int_eq(R.ts_ms, T(2026, 11, 24, 17, 52, 50, 0));
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_ERROR);
    ck_assert_str_eq(R.component, "GET");
    ck_assert_str_eq(msg(), "\"GET /api/x?a=1 HTTP/1.1\" 503 12 \"-\" \"curl/8.0\"");
    ck_assert_int_eq(parse("::1 - - [04/Nov/2026:01:02:03 -0000] \"POST /login HTTP/2.0\" 404 0"),
                     TRIAGE_FMT_ACCESS);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_WARN);
    ck_assert_str_eq(R.component, "POST");
    ck_assert_int_eq(parse("10.0.0.1 - - [24/Nov/2026:18:52:50 +0000] \"-\" 200 0"),
                     TRIAGE_FMT_ACCESS);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_INFO);
    ck_assert_str_eq(R.component, "access");
}
END_TEST

START_TEST(web_error_logs)
{
    ck_assert_int_eq(parse("[Tue Nov 24 18:52:50.123456 2026] [core:error] [pid 1:tid 2] "
                           "[client 1.2.3.4:5] AH00037: Symbolic link not allowed"),
                     TRIAGE_FMT_APACHE_ERROR);
    ck_assert_int_eq(R.ts_ms, T(2026, 11, 24, 18, 52, 50, 123));
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_ERROR);
    ck_assert_str_eq(R.component, "core");
    ck_assert_str_eq(msg(), "[client 1.2.3.4:5] AH00037: Symbolic link not allowed");
    ck_assert_int_eq(parse("[Sun Dec  4 04:47:44 2005] [notice] workerEnv.init() ok"),
                     TRIAGE_FMT_APACHE_ERROR);
    ck_assert_int_eq(R.ts_ms, T(2005, 12, 4, 4, 47, 44, 0));
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_NOTICE);
    ck_assert_str_eq(msg(), "workerEnv.init() ok");
    ck_assert_int_eq(parse("2026/11/24 18:52:50 [error] 12#12: *3 open() \"/x\" failed"),
                     TRIAGE_FMT_NGINX_ERROR);
    ck_assert_int_eq(R.ts_ms, T(2026, 11, 24, 18, 52, 50, 0));
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_ERROR);
    ck_assert_str_eq(msg(), "*3 open() \"/x\" failed");
    ck_assert_int_eq(parse("2026/11/24 18:52:50 [emerg] 1#1: bind() failed"),
                     TRIAGE_FMT_NGINX_ERROR);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_CRITICAL);
}
END_TEST

START_TEST(python_logging)
{
    ck_assert_int_eq(parse("2026-11-24 18:52:50,123 - app.db - ERROR - query failed - retry"),
                     TRIAGE_FMT_PYTHON);
    ck_assert_int_eq(R.ts_ms, T(2026, 11, 24, 18, 52, 50, 123));
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_ERROR);
    ck_assert_str_eq(R.component, "app.db");
    ck_assert_str_eq(msg(), "query failed - retry");
    ck_assert_int_eq(parse("WARNING:root:disk almost full: 91%"), TRIAGE_FMT_PYTHON_BASIC);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_WARN);
    ck_assert_str_eq(R.component, "root");
    ck_assert_str_eq(msg(), "disk almost full: 91%");
    ck_assert_int_eq(R.ts_ms, -1);
    /* Lower case or an unknown level is not basicConfig output. */
    ck_assert_int_eq(parse("warning:root:x"), TRIAGE_FMT_UNKNOWN);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_WARN);
}
END_TEST

START_TEST(java_logging)
{
    ck_assert_int_eq(parse("2026-11-24 18:52:50,123 ERROR [http-nio-8080-exec-1] "
                           "com.x.OrderService - order 42 failed"),
                     TRIAGE_FMT_JAVA);
    ck_assert_int_eq(R.ts_ms, T(2026, 11, 24, 18, 52, 50, 123));
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_ERROR);
    ck_assert_str_eq(R.component, "com.x.OrderService");
    ck_assert_str_eq(msg(), "order 42 failed");
    ck_assert_int_eq(parse("2026-11-24 18:52:50.123 [main] WARN  c.x.Y - low memory"),
                     TRIAGE_FMT_JAVA);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_WARN);
    ck_assert_str_eq(R.component, "c.x.Y");
    ck_assert_str_eq(msg(), "low memory");
    ck_assert_int_eq(parse("2026-11-24T18:52:50.123Z  INFO 4711 --- [app] [main] "
                           "o.s.b.StartupInfoLogger : Started in 2.1 s"),
                     TRIAGE_FMT_JAVA);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_INFO);
    ck_assert_str_eq(R.component, "o.s.b.StartupInfoLogger");
    ck_assert_str_eq(msg(), "Started in 2.1 s");
}
END_TEST

START_TEST(klog_lines)
{
    ck_assert_int_eq(parse("E1124 18:52:50.123456   12345 reflector.go:138] watch failed"),
                     TRIAGE_FMT_KLOG);
    ck_assert_int_eq(R.ts_ms, T(2026, 11, 24, 18, 52, 50, 123));
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_ERROR);
    ck_assert_str_eq(R.component, "reflector.go");
    ck_assert_str_eq(msg(), "watch failed");
    ck_assert_int_eq(parse("W0104 00:00:01.000001 7 main.go:9] x"), TRIAGE_FMT_KLOG);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_WARN);
    ck_assert_int_eq(parse("F1124 18:52:50.1 1 a.go:1] dead"), TRIAGE_FMT_KLOG);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_CRITICAL);
    ck_assert_int_eq(parse("X1124 18:52:50.123456 1 a.go:1] x"), TRIAGE_FMT_UNKNOWN);
}
END_TEST

START_TEST(unknown_lines)
{
    ck_assert_int_eq(parse("ERROR something broke"), TRIAGE_FMT_UNKNOWN);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_ERROR);
    ck_assert_int_eq(R.ts_ms, -1);
    ck_assert_str_eq(msg(), "ERROR something broke");
    ck_assert_int_eq(parse("app: [warn] low disk"), TRIAGE_FMT_UNKNOWN);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_WARN);
    ck_assert_int_eq(parse("everything is fine"), TRIAGE_FMT_UNKNOWN);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_UNKNOWN);
    ck_assert_int_eq(parse(""), TRIAGE_FMT_UNKNOWN);
    ck_assert_uint_eq(R.msg_len, 0);
    /* NUL bytes and invalid UTF-8 are ordinary bytes. */
    struct triage_detect *d = triage_detect_new(REF);
    const char bin[] = "Nov 24 18:52:50 h p[1]: a\0b\xff\xfe";
    ck_assert_int_eq(triage_detect_line(d, bin, sizeof(bin) - 1, &R, scratch, sizeof(scratch)),
                     TRIAGE_FMT_SYSLOG3164);
    ck_assert_uint_eq(R.msg_len, 5);
    triage_detect_free(d);
}
END_TEST

START_TEST(vote_picks_and_falls_back)
{
    /* Java lines also fit plain ISO; the vote and the tie rule pick Java. A syslog line in
     * between is parsed by the fallback, and a headerless line is unknown. */
    const char *lines[] = {
        "2026-11-24 18:52:50,123 INFO [main] c.x.A - started",
        "2026-11-24 18:52:51,001 ERROR [main] c.x.B - failed",
        "Nov 24 18:52:52 host cron[1]: tick",
        "    at c.x.B.run(B.java:10)",
        "2026-11-24 18:52:53,000 WARN [w-1] c.x.C - slow",
    };
    static const enum triage_fmt want[] = {TRIAGE_FMT_JAVA, TRIAGE_FMT_JAVA, TRIAGE_FMT_SYSLOG3164,
                                           TRIAGE_FMT_UNKNOWN, TRIAGE_FMT_JAVA};
    struct triage_detect *d = triage_detect_new(REF);
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq(
            triage_detect_line(d, lines[i], strlen(lines[i]), &R, scratch, sizeof(scratch)),
            want[i]);
    ck_assert_str_eq(triage_detect_format_name(d), "java");
    ck_assert(triage_detect_headered(d));
    triage_detect_free(d);
    /* A Python source whose lines also fit ISO: python wins, ISO-only lines still parse. */
    d = triage_detect_new(REF);
    const char *py = "2026-11-24 18:52:50,123 - a - INFO - x";
    const char *iso = "2026-11-24T18:52:50Z ERROR y";
    for (int i = 0; i < 3; i++)
        triage_detect_line(d, py, strlen(py), &R, scratch, sizeof(scratch));
    ck_assert_int_eq(triage_detect_line(d, iso, strlen(iso), &R, scratch, sizeof(scratch)),
                     TRIAGE_FMT_ISO);
    ck_assert_int_eq(R.level, TRIAGE_LEVEL_ERROR);
    ck_assert_int_eq(triage_detect_format(d), TRIAGE_FMT_PYTHON);
    triage_detect_free(d);
    /* No header anywhere: unknown, not headered. */
    d = triage_detect_new(REF);
    triage_detect_line(d, "plain text", 10, &R, scratch, sizeof(scratch));
    ck_assert_str_eq(triage_detect_format_name(d), "unknown");
    ck_assert(!triage_detect_headered(d));
    triage_detect_free(d);
}
END_TEST

/* Feed lines through a detector and a joiner; returns a string of 'F' (first line of a
 * record) and 'c' (continuation) per line. */
static const char *join_all(const char *const *lines, size_t n)
{
    static char out[64];
    struct triage_detect *d = triage_detect_new(REF);
    struct triage_join j;
    triage_join_init(&j);
    for (size_t i = 0; i < n && i < sizeof(out) - 1; i++) {
        triage_detect_line(d, lines[i], strlen(lines[i]), &R, scratch, sizeof(scratch));
        out[i] = triage_join_line(&j, R.msg, R.msg_len, triage_detect_line_headed(d),
                                  triage_detect_headered(d))
                     ? 'c'
                     : 'F';
        out[i + 1] = '\0';
    }
    triage_detect_free(d);
    return out;
}

START_TEST(join_java_trace)
{
    const char *lines[] = {
        "2026-11-24 18:52:50,123 ERROR [main] c.x.Y - request failed",
        "java.lang.IllegalStateException: boom",
        "\tat c.x.Y.handle(Y.java:42)",
        "\tat c.x.Z.run(Z.java:7)",
        "Caused by: java.io.IOException: reset",
        "\t... 12 more",
        "2026-11-24 18:52:51,000 INFO [main] c.x.Y - next",
    };
    ck_assert_str_eq(join_all(lines, 7), "FcccccF");
}
END_TEST

START_TEST(join_python_traceback)
{
    /* Headerless source: only the traceback's own shape joins lines. */
    const char *lines[] = {
        "request failed",
        "Traceback (most recent call last):",
        "  File \"/app/x.py\", line 3, in <module>",
        "    main()",
        "ValueError: bad value",
        "",
        "During handling of the above exception, another exception occurred:",
        "Traceback (most recent call last):",
        "  File \"/app/x.py\", line 5, in <module>",
        "KeyError: 'k'",
        "next message",
        "Error: not a class name",
    };
    ck_assert_str_eq(join_all(lines, 12), "FcccccccccFF");
}
END_TEST

START_TEST(join_is_bounded)
{
    struct triage_join j;
    triage_join_init(&j);
    ck_assert(!triage_join_line(&j, "head", 4, true, true));
    size_t k = 0;
    while (triage_join_line(&j, "  at x", 6, false, true))
        k++;
    ck_assert_uint_eq(k, TRIAGE_JOIN_MAX_LINES);
    /* The line over the cap starts a new record, and the count starts again. */
    ck_assert(triage_join_line(&j, "  at x", 6, false, true));
    /* A headerless line before any record starts one. */
    triage_join_init(&j);
    ck_assert(!triage_join_line(&j, "\tat x", 5, false, true));
}
END_TEST

/* ---- golden files ---- */

#define GOLDEN_DIR "tests/golden/triage_detect"

static const char *const level_names[] = {"unknown", "trace", "debug", "info",
                                          "notice",  "warn",  "error", "critical"};

static void json_str(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* Run NAME.log through detector + joiner and render one JSON object per line. */
static char *golden_render(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.log", GOLDEN_DIR, name);
    FILE *in = fopen(path, "r");
    ck_assert_msg(in != NULL, "missing %s", path);
    char *out = NULL;
    size_t out_len = 0;
    FILE *o = open_memstream(&out, &out_len);
    struct triage_detect *d = triage_detect_new(REF);
    struct triage_join j;
    triage_join_init(&j);
    char line[8192];
    while (fgets(line, sizeof(line), in)) {
        size_t n = strlen(line);
        enum triage_fmt f = triage_detect_line(d, line, n, &R, scratch, sizeof(scratch));
        bool cont = triage_join_line(&j, R.msg, R.msg_len, triage_detect_line_headed(d),
                                     triage_detect_headered(d));
        fprintf(o, "{\"fmt\":\"%s\",\"cont\":%s,\"ts\":%lld,\"level\":\"%s\",\"component\":",
                triage_fmt_name(f), cont ? "true" : "false", (long long)R.ts_ms,
                level_names[R.level]);
        json_str(o, R.component, strlen(R.component));
        fputs(",\"msg\":", o);
        json_str(o, R.msg, R.msg_len);
        fputs("}\n", o);
    }
    fprintf(o, "{\"source_format\":\"%s\"}\n", triage_detect_format_name(d));
    triage_detect_free(d);
    fclose(in);
    fclose(o);
    return out;
}

static void golden_check(const char *name)
{
    char *got = golden_render(name);
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.jsonl", GOLDEN_DIR, name);
    if (getenv("TRIAGE_GOLDEN_UPDATE")) {
        FILE *f = fopen(path, "w");
        ck_assert(f != NULL);
        fputs(got, f);
        fclose(f);
    }
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "missing %s (TRIAGE_GOLDEN_UPDATE=1 writes it)", path);
    static char want[1 << 16];
    size_t n = fread(want, 1, sizeof(want) - 1, f);
    want[n] = '\0';
    fclose(f);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(golden_java_app)
{
    golden_check("java_app");
}
END_TEST

START_TEST(golden_python_app)
{
    golden_check("python_app");
}
END_TEST

START_TEST(golden_syslog)
{
    golden_check("syslog");
}
END_TEST

START_TEST(golden_docker)
{
    golden_check("docker");
}
END_TEST

START_TEST(golden_web)
{
    golden_check("web");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("triage_detect");
    TCase *tc = tcase_create("formats");
    tcase_add_test(tc, level_words);
    tcase_add_test(tc, iso_times);
    tcase_add_test(tc, syslog_3164);
    tcase_add_test(tc, syslog_3164_year_rollover);
    tcase_add_test(tc, syslog_5424);
    tcase_add_test(tc, iso_level);
    tcase_add_test(tc, docker_json);
    tcase_add_test(tc, access_log);
    tcase_add_test(tc, web_error_logs);
    tcase_add_test(tc, python_logging);
    tcase_add_test(tc, java_logging);
    tcase_add_test(tc, klog_lines);
    tcase_add_test(tc, unknown_lines);
    tcase_add_test(tc, vote_picks_and_falls_back);
    suite_add_tcase(s, tc);
    TCase *tj = tcase_create("multiline");
    tcase_add_test(tj, join_java_trace);
    tcase_add_test(tj, join_python_traceback);
    tcase_add_test(tj, join_is_bounded);
    suite_add_tcase(s, tj);
    TCase *tg = tcase_create("golden");
    tcase_add_test(tg, golden_java_app);
    tcase_add_test(tg, golden_python_app);
    tcase_add_test(tg, golden_syslog);
    tcase_add_test(tg, golden_docker);
    tcase_add_test(tg, golden_web);
    suite_add_tcase(s, tg);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
