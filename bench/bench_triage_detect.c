/* SPDX-License-Identifier: MIT */
/* bench_triage_detect.c -- header-parser throughput: 1 M synthetic lines per source kind
 * (syslog 3164, ISO + level, Java, Docker JSON) through one detector; prints lines/s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "triage/triage_detect.h"

#define LINES 1000000

static const char *level_of(unsigned i)
{
    static const char *const l[] = {"INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"};
    return l[i % 6];
}

static int make_line(int kind, unsigned i, char *out, size_t cap)
{
    unsigned s = i % 60, m = (i / 60) % 60, h = (i / 3600) % 24;
    switch (kind) {
    case 0:
        return snprintf(out, cap,
                        "Nov %2u %02u:%02u:%02u host%u sshd[%u]: Failed password for user%u "
                        "from 10.0.%u.%u port %u ssh2",
                        1 + i % 28, h, m, s, i % 7, 1000 + i % 9000, i % 50, i % 256, (i * 7) % 256,
                        1024 + i % 60000);
    case 1:
        return snprintf(out, cap,
                        "2026-11-24T%02u:%02u:%02u.%03uZ %s [dfs.DataNode] Receiving block "
                        "blk_%u src: /10.250.%u.%u:%u dest: /10.250.%u.%u:50010",
                        h, m, s, i % 1000, level_of(i), i * 2654435761u, i % 256, i % 200,
                        40000 + i % 20000, (i / 3) % 256, i % 100);
    case 2:
        return snprintf(out, cap,
                        "2026-11-24 %02u:%02u:%02u,%03u %s [http-nio-8080-exec-%u] "
                        "com.shop.OrderService - order %u placed in %u ms",
                        h, m, s, i % 1000, level_of(i), i % 20, i, i % 900);
    default:
        return snprintf(out, cap,
                        "{\"log\":\"%s request id=%u path=\\\"/api/v1/items\\\" took %ums\\n\","
                        "\"stream\":\"stdout\",\"time\":\"2026-11-24T%02u:%02u:%02u.%09uZ\"}",
                        level_of(i), i, i % 500, h, m, s, i % 1000000000u);
    }
}

static void run(int kind, const char *name)
{
    size_t cap = (size_t)LINES * 200;
    char *buf = malloc(cap);
    size_t *off = malloc(sizeof(size_t) * (LINES + 1));
    if (!buf || !off)
        exit(1);
    size_t at = 0;
    for (unsigned i = 0; i < LINES; i++) {
        off[i] = at;
        at += (size_t)make_line(kind, i, buf + at, cap - at);
    }
    off[LINES] = at;
    struct triage_detect *d = triage_detect_new(1795546370000LL);
    struct triage_record r;
    char scratch[4096];
    size_t sum = 0, unknown = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned i = 0; i < LINES; i++) {
        enum triage_fmt f =
            triage_detect_line(d, buf + off[i], off[i + 1] - off[i], &r, scratch, sizeof(scratch));
        unknown += f == TRIAGE_FMT_UNKNOWN;
        sum += r.msg_len + (size_t)r.level;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("bench triage_detect %-11s %-11s %.2f M lines/s (%.0f ns/line, %.1f MB/s, "
           "unknown %zu, check %zu)\n",
           name, triage_detect_format_name(d), LINES / sec / 1e6, sec * 1e9 / LINES,
           (double)at / sec / 1e6, unknown, sum % 1000);
    triage_detect_free(d);
    free(off);
    free(buf);
}

int main(void)
{
    run(0, "syslog");
    run(1, "iso");
    run(2, "java");
    run(3, "docker");
    return 0;
}
