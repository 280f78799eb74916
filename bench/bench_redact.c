/* SPDX-License-Identifier: MIT */
/* bench_redact.c -- redactor throughput on synthetic log lines; prints one result line. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "redact/redact.h"

static const char *const lines[] = {
    "2026-11-24T18:52:50.123Z info http event=req method=GET path=/api/runs/ status=200 ms=0.4",
    "Nov 24 18:52:50 host sshd[123]: Failed password for alice from 10.0.0.7 port 5522 ssh2",
    "user bob@example.com logged in, token=abcdef123456 session 3f4e1a2b9c0d ok",
    "GET /home/carol/.cache/x.json 404 from fe80::1 ua=curl/7.88",
};

int main(void)
{
    struct buf out;
    buf_init(&out, 1 << 16);
    size_t bytes = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int round = 0; round < 200000; round++) {
        const char *l = lines[round % 4];
        size_t n = strlen(l);
        buf_reset(&out);
        redact_text(l, n, &out);
        bytes += n;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("bench redact: %.1f MB/s (%zu bytes in %.3f s)\n", (double)bytes / s / 1e6, bytes, s);
    buf_fini(&out);
    return 0;
}
