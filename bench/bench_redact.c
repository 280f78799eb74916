/* SPDX-License-Identifier: MIT */
/* bench_redact.c -- redactor throughput on a realistic mixed log: 16+ MB of generated,
 * seeded lines (HTTP access, app key=value, syslog, JSON, stack traces; timestamps, ids,
 * durations, ports, paths, UUIDs, hashes), about one in ten carrying PII or a secret.
 * Each line is redacted on its own, as the log sink does. Prints one result line: the
 * median and the best of BENCH_ROUNDS passes (the machine may be shared). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "redact/redact.h"

#define BENCH_BYTES  (16u * 1024 * 1024)
#define BENCH_ROUNDS 7

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *const words[] = {
    "request",    "handler", "cache", "miss",    "worker",   "queue",   "scheduled", "completed",
    "connection", "reset",   "retry", "timeout", "upstream", "session", "started",   "flushed"};

static int plain_line(char *o, size_t cap, unsigned t)
{
    unsigned h = rnd(24), m = rnd(60), s = rnd(60), ms = rnd(1000);
    switch (rnd(5)) {
    case 0:
        return snprintf(o, cap,
                        "2026-11-%02uT%02u:%02u:%02u.%03uZ info http event=req method=GET "
                        "path=/api/runs/%u/jobs status=200 ms=%u.%u bytes=%u",
                        1 + t % 28, h, m, s, ms, rnd(100000), rnd(900), rnd(10), rnd(65536));
    case 1:
        return snprintf(o, cap,
                        "Nov 24 %02u:%02u:%02u host systemd[%u]: %s %s of unit "
                        "cron-%u.service in %u.%03us",
                        h, m, s, rnd(40000), words[rnd(16)], words[rnd(16)], rnd(100), rnd(60), ms);
    case 2:
        return snprintf(o, cap,
                        "{\"ts\":\"2026-11-24T%02u:%02u:%02uZ\",\"level\":\"warn\","
                        "\"msg\":\"%s %s\",\"trace_id\":\"%08x-%04x-4%03x-a%03x-%08x%04x\","
                        "\"attempt\":%u}",
                        h, m, s, words[rnd(16)], words[rnd(16)], rnd(~0u), rnd(65536), rnd(4096),
                        rnd(4096), rnd(~0u), rnd(65536), rnd(9));
    case 3:
        return snprintf(o, cap,
                        "    at com.example.service.%sHandler.process(%sHandler.java:%u)"
                        " version 1.%u.%u.%u",
                        words[rnd(16)], words[rnd(16)], rnd(900), rnd(20), rnd(20), rnd(200));
    default:
        return snprintf(o, cap,
                        "I1124 %02u:%02u:%02u.%06u %u block_id=blk_%u%u size=%u "
                        "sha=%08x%08x%08x%08x%08x took %ums",
                        h, m, s, rnd(999999), rnd(30000), rnd(1000000), rnd(1000000), rnd(1 << 26),
                        rnd(~0u), rnd(~0u), rnd(~0u), rnd(~0u), rnd(~0u), rnd(5000));
    }
}

static int pii_line(char *o, size_t cap)
{
    switch (rnd(6)) {
    case 0:
        return snprintf(o, cap,
                        "Nov 24 18:52:50 host sshd[%u]: Failed password for user%u "
                        "from 10.%u.%u.%u port %u ssh2",
                        rnd(40000), rnd(100), rnd(256), rnd(256), rnd(256), 1024 + rnd(60000));
    case 1:
        return snprintf(o, cap,
                        "user u%u@example.com logged in token=ab%08x session "
                        "3f4e1a2b%04x ok",
                        rnd(10000), rnd(~0u), 0x1000 + rnd(0xe000));
    case 2:
        return snprintf(o, cap, "GET /home/user%u/.cache/x.json 404 from fe80::%x ua=curl/7.88",
                        rnd(1000), rnd(65536));
    case 3:
        return snprintf(o, cap,
                        "billing: card 4111 1111 1111 1111 phone +1 415 555 %04u iban "
                        "DE89 3704 0044 0532 0130 00",
                        rnd(10000));
    case 4:
        return snprintf(o, cap,
                        "db url postgres://app:s%u@db:5432/x Authorization: Bearer "
                        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIx%uIn0.sig%u",
                        rnd(999), rnd(999), rnd(999));
    default:
        return snprintf(o, cap,
                        "mac 00:1a:2b:%02x:%02x:%02x ssn 123-45-%04u key AKIAIOSFODNN7"
                        "EXAMPLE",
                        rnd(256), rnd(256), rnd(256), 1000 + rnd(9000));
    }
}

int main(void)
{
    char *log = xmalloc(BENCH_BYTES + 1024);
    size_t len = 0, lines = 0;
    while (len < BENCH_BYTES) {
        int n = rnd(10) == 0 ? pii_line(log + len, 1000) : plain_line(log + len, 1000, rnd(99));
        len += (size_t)(n > 999 ? 999 : n);
        log[len++] = '\n';
        lines++;
    }
    struct buf out;
    buf_init(&out, 1 << 20);
    size_t changed = 0;
    double secs[BENCH_ROUNDS];
    for (int round = 0; round < BENCH_ROUNDS; round++) {
        struct timespec t0, t1;
        changed = 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (size_t i = 0; i < len;) {
            const char *nl = memchr(log + i, '\n', len - i);
            size_t n = (size_t)(nl - log) - i;
            buf_reset(&out);
            redact_text(log + i, n, &out);
            changed += buf_len(&out) != n;
            i += n + 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        secs[round] = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    }
    for (int a = 0; a < BENCH_ROUNDS; a++) /* sort the times (insertion) */
        for (int b = a; b > 0 && secs[b] < secs[b - 1]; b--) {
            double t = secs[b];
            secs[b] = secs[b - 1];
            secs[b - 1] = t;
        }
    printf("bench redact: %.1f MB/s median, %.1f MB/s best of %d passes (%zu lines, %.1f MB "
           "each; %zu lines changed)\n",
           (double)len / secs[BENCH_ROUNDS / 2] / 1e6, (double)len / secs[0] / 1e6, BENCH_ROUNDS,
           lines, (double)len / 1e6, changed);
    buf_fini(&out);
    xfree(log);
    return 0;
}
