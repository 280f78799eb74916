/* SPDX-License-Identifier: MIT */
/* bench_linediff.c -- the line diff of two directive texts at the 64 KiB cap: a small edit
 * (one line changed in 4,500), and the worst shape found (the same line 32,000 times on
 * both sides, one side 1,000 lines shorter: every diagonal runs a long snake until the
 * 1,000-edit cap gives the replacement). Prints the median and worst of BENCH_ROUNDS. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "core/buf.h"
#include "core/linediff.h"
#include "core/xalloc.h"

#define BENCH_ROUNDS 15

/* first, n lines of prefix (numbered: prefix and i), last; joined by '\n' (a new string). */
static char *
text(const char *first, int n, const char *prefix, bool numbered, int changed, const char *last)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_puts(&b, first);
    for (int i = 0; i < n; i++) {
        buf_puts(&b, "\n");
        if (i == changed)
            buf_puts(&b, "changed");
        else if (numbered)
            buf_printf(&b, "%s%07d", prefix, i);
        else
            buf_puts(&b, prefix);
    }
    buf_printf(&b, "\n%s", last);
    char *s = xstrdup(b.data);
    buf_fini(&b);
    return s;
}

static void bench(const char *name, const char *a, const char *b)
{
    double t[BENCH_ROUNDS];
    struct linediff d = {0};
    for (int r = 0; r < BENCH_ROUNDS; r++) {
        double t0 = bench_now_ms();
        if (linediff_compute(a, strlen(a), b, strlen(b), &d, NULL) != ERR_OK) {
            fprintf(stderr, "bench_linediff: %s: too large\n", name);
            exit(1);
        }
        t[r] = bench_now_ms() - t0;
        if (r < BENCH_ROUNDS - 1)
            linediff_fini(&d);
    }
    qsort(t, BENCH_ROUNDS, sizeof(t[0]), bench_cmp_double);
    printf("bench_linediff: %s (%zu + %zu bytes): +%zu -%zu%s median %.1f ms, worst %.1f ms\n",
           name, strlen(a), strlen(b), d.n_added, d.n_removed, d.is_approx ? " (approx)" : "",
           t[BENCH_ROUNDS / 2], t[BENCH_ROUNDS - 1]);
    linediff_fini(&d);
}

int main(void)
{
    char *a = text("head", 4500, "line ", true, -1, "tail");
    char *b = text("head", 4500, "line ", true, 2250, "tail");
    bench("one line changed in 4,500", a, b);
    xfree(a);
    xfree(b);
    a = text("x", 32000, "a", false, -1, "p");
    b = text("y", 31000, "a", false, -1, "q");
    bench("worst shape, 1,000 lines shorter", a, b);
    xfree(a);
    xfree(b);
    return 0;
}
