/* SPDX-License-Identifier: MIT */
/* fuzz_linediff.c -- fuzz linediff_compute on "old\0new" (no NUL: the halves of the input).
 * Checks that the "=" and "-" lines give the old text back and "=" and "+" the new one,
 * that the counts add up, and, for small texts, that the edit count is minimal (equal to
 * n + m - 2 * LCS, from an O(nm) table). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "core/linediff.h"

#define SMALL_LINES 64

/* Join the lines of d whose op is not skip with '\n' and compare with text. */
static void
check_side(const struct linediff *d, enum linediff_op skip, const char *text, size_t len)
{
    size_t at = 0, k = 0;
    for (size_t i = 0; i < d->n_edits; i++) {
        const struct linediff_edit *e = &d->edits[i];
        if (e->op == skip)
            continue;
        if (k++ > 0) {
            if (at >= len || text[at] != '\n')
                abort();
            at++;
        }
        if (e->len > len - at || memcmp(text + at, e->text, e->len) != 0)
            abort();
        at += e->len;
    }
    if (at != len || (len > 0 && k == 0))
        abort();
}

static size_t split(const char *t, size_t len, const char **p, size_t *l)
{
    size_t n = 0;
    if (len == 0)
        return 0;
    const char *s = t, *end = t + len;
    for (;;) {
        const char *q = memchr(s, '\n', (size_t)(end - s));
        size_t ll = q ? (size_t)(q - s) : (size_t)(end - s);
        if (n == SMALL_LINES)
            return SMALL_LINES + 1;
        p[n] = s;
        l[n++] = ll;
        if (!q)
            return n;
        s = q + 1;
    }
}

/* The length of a longest common subsequence of the lines, or -1 when a side is large. */
static long lcs(const char *a, size_t al, const char *b, size_t bl)
{
    const char *ap[SMALL_LINES + 1], *bp[SMALL_LINES + 1];
    size_t all[SMALL_LINES + 1], bll[SMALL_LINES + 1];
    static long t[SMALL_LINES + 1][SMALL_LINES + 1];
    size_t n = split(a, al, ap, all), m = split(b, bl, bp, bll);
    if (n > SMALL_LINES || m > SMALL_LINES)
        return -1;
    for (size_t i = 0; i <= n; i++)
        for (size_t j = 0; j <= m; j++) {
            if (i == 0 || j == 0)
                t[i][j] = 0;
            else if (all[i - 1] == bll[j - 1] && memcmp(ap[i - 1], bp[j - 1], all[i - 1]) == 0)
                t[i][j] = t[i - 1][j - 1] + 1;
            else
                t[i][j] = t[i - 1][j] > t[i][j - 1] ? t[i - 1][j] : t[i][j - 1];
        }
    return (long)(n + m) - 2 * t[n][m];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nul = memchr(s, '\0', size);
    size_t al = nul ? (size_t)(nul - s) : size / 2;
    const char *b = nul ? nul + 1 : s + al;
    size_t bl = size - (size_t)(b - s);
    struct linediff d;
    if (linediff_compute(s, al, b, bl, &d, NULL) != ERR_OK)
        return 0;
    check_side(&d, LINEDIFF_ADD, s, al);
    check_side(&d, LINEDIFF_DEL, b, bl);
    size_t add = 0, del = 0;
    for (size_t i = 0; i < d.n_edits; i++) {
        add += d.edits[i].op == LINEDIFF_ADD;
        del += d.edits[i].op == LINEDIFF_DEL;
    }
    if (add != d.n_added || del != d.n_removed)
        abort();
    long want = lcs(s, al, b, bl);
    if (want >= 0 && (d.is_approx || (long)(add + del) != want))
        abort();
    linediff_fini(&d);
    return 0;
}
