/* SPDX-License-Identifier: MIT */
/* bench_triage.c -- template-miner throughput on 1 M synthetic HDFS-like and BGL-like
 * messages generated in memory (one core); prints lines/s and peak templates. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"
#include "triage/triage_miner.h"

#define N_LINES 1000000
#define LINE_W  160

static unsigned long long rng = 88172645463325252ULL;

static unsigned long long next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int hdfs(char *b)
{
    unsigned long long r = next();
    switch (r % 4) {
    case 0:
        return snprintf(b, LINE_W, "PacketResponder %llu for block blk_%lld terminating", r % 3,
                        (long long)(next() >> 1) * (r & 8 ? -1 : 1));
    case 1:
        return snprintf(b, LINE_W,
                        "Receiving block blk_%llu src: /10.250.%llu.%llu:%llu dest: "
                        "/10.250.%llu.%llu:50010",
                        next() >> 1, r % 255, (r >> 8) % 255, 40000 + r % 9999, (r >> 16) % 255,
                        (r >> 24) % 255);
    case 2:
        return snprintf(b, LINE_W,
                        "BLOCK* NameSystem.addStoredBlock: blockMap updated: "
                        "10.251.%llu.%llu:50010 is added to blk_%llu size %llu",
                        r % 255, (r >> 8) % 255, next() >> 1, r % 67108864);
    default:
        return snprintf(b, LINE_W, "Verification succeeded for blk_%llu", next() >> 1);
    }
}

static int bgl(char *b)
{
    unsigned long long r = next();
    switch (r % 4) {
    case 0:
        return snprintf(b, LINE_W, "instruction cache parity error corrected");
    case 1:
        return snprintf(b, LINE_W, "generating core.%llu", r % 100000);
    case 2:
        return snprintf(b, LINE_W, "%llu double-hummer alignment exceptions", r % 1000);
    default:
        return snprintf(b, LINE_W,
                        "ciod: failed to read message prefix on control stream "
                        "(CioStream socket to 172.16.%llu.%llu:%llu",
                        r % 255, (r >> 8) % 255, 30000 + r % 9999);
    }
}

static void run(const char *name, int (*gen)(char *))
{
    char *lines = xmalloc((size_t)N_LINES * LINE_W);
    int *lens = xmalloc(N_LINES * sizeof(*lens));
    size_t bytes = 0;
    for (int i = 0; i < N_LINES; i++) {
        lens[i] = gen(lines + (size_t)i * LINE_W);
        bytes += (size_t)lens[i];
    }
    struct triage_miner *m = triage_miner_new(NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned sum = 0;
    for (int i = 0; i < N_LINES; i++)
        sum += triage_miner_add(m, lines + (size_t)i * LINE_W, (size_t)lens[i]);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    struct triage_miner_stats st;
    triage_miner_stats(m, &st);
    printf("bench triage %s: %.2f M lines/s (%d lines, %.1f MB, %.3f s), peak templates %zu "
           "(check %u)\n",
           name, N_LINES / s / 1e6, N_LINES, (double)bytes / 1e6, s, st.templates_peak, sum & 1);
    triage_miner_free(m);
    xfree(lines);
    xfree(lens);
}

int main(void)
{
    run("hdfs-like", hdfs);
    run("bgl-like", bgl);
    return 0;
}
