/* SPDX-License-Identifier: MIT */
/* test_linediff.c -- unit tests for core/linediff: known diffs, empty texts and trailing
 * newlines, the Myers paper's example, the caps, the approximate fallback, and random
 * texts checked against an O(nm) LCS table and by rebuilding both sides. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/linediff.h"
#include "core/xalloc.h"

/* Render d as "op text|op text|..." for short comparisons. */
static char *render(const struct linediff *d)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    for (size_t i = 0; i < d->n_edits; i++)
        buf_printf(&b, "%s%s%.*s", i ? "|" : "", linediff_op_name(d->edits[i].op),
                   (int)d->edits[i].len, d->edits[i].text);
    char *s = xstrdup(b.data ? b.data : "");
    buf_fini(&b);
    return s;
}

static void expect(const char *a, const char *b, const char *want)
{
    struct linediff d;
    struct errbuf eb = {{0}};
    ck_assert_int_eq(linediff_compute(a, strlen(a), b, strlen(b), &d, &eb), ERR_OK);
    char *got = render(&d);
    ck_assert_str_eq(got, want);
    ck_assert(!d.is_approx);
    xfree(got);
    linediff_fini(&d);
}

/* Join the lines whose op is not skip with '\n' (a new string). */
static char *rebuild(const struct linediff *d, enum linediff_op skip)
{
    struct buf b;
    buf_init(&b, 8 << 20);
    size_t k = 0;
    for (size_t i = 0; i < d->n_edits; i++) {
        if (d->edits[i].op == skip)
            continue;
        if (k++)
            buf_append(&b, "\n", 1);
        buf_append(&b, d->edits[i].text, d->edits[i].len);
    }
    char *s = xstrdup(b.data ? b.data : "");
    buf_fini(&b);
    return s;
}

static void check_rebuild(const struct linediff *d, const char *a, const char *b)
{
    char *ra = rebuild(d, LINEDIFF_ADD), *rb = rebuild(d, LINEDIFF_DEL);
    ck_assert_str_eq(ra, a);
    ck_assert_str_eq(rb, b);
    xfree(ra);
    xfree(rb);
}

START_TEST(test_known_diffs)
{
    expect("a\nb\nc", "a\nc\nd", "=a|-b|=c|+d");
    expect("same\ntext", "same\ntext", "=same|=text");
    expect("", "", "");
    expect("", "x", "+x");
    expect("x", "", "-x");
    /* A trailing newline is one more (empty) line, so it shows. */
    expect("a\nb", "a\nb\n", "=a|=b|+");
    expect("\n", "", "-|-");
    /* Hostile text is only bytes here. */
    expect("<img src=x onerror=alert(1)>\nok", "ok", "-<img src=x onerror=alert(1)>|=ok");
}
END_TEST

/* Myers' paper: ABCABBA -> CBABAC takes 5 edits (LCS 4). */
START_TEST(test_myers_example)
{
    const char *a = "A\nB\nC\nA\nB\nB\nA", *b = "C\nB\nA\nB\nA\nC";
    struct linediff d;
    ck_assert_int_eq(linediff_compute(a, strlen(a), b, strlen(b), &d, NULL), ERR_OK);
    ck_assert_uint_eq(d.n_added + d.n_removed, 5);
    ck_assert_uint_eq(d.n_added, 2);
    ck_assert_uint_eq(d.n_removed, 3);
    check_rebuild(&d, a, b);
    linediff_fini(&d);
}
END_TEST

START_TEST(test_caps)
{
    struct linediff d;
    struct errbuf eb = {{0}};
    size_t big = LINEDIFF_MAX_BYTES + 1;
    char *s = xmalloc(big);
    memset(s, 'x', big);
    ck_assert_int_eq(linediff_compute(s, big, "a", 1, &d, &eb), ERR_TOO_LARGE);
    ck_assert_ptr_nonnull(strstr(errbuf_get(&eb, ERR_TOO_LARGE), "old text is over"));
    ck_assert_ptr_null(d.edits);
    ck_assert_int_eq(linediff_compute("a", 1, s, big, &d, &eb), ERR_TOO_LARGE);
    ck_assert_ptr_nonnull(strstr(errbuf_get(&eb, ERR_TOO_LARGE), "new text is over"));
    /* LINEDIFF_MAX_LINES newlines make one line too many. */
    memset(s, '\n', LINEDIFF_MAX_LINES);
    ck_assert_int_eq(linediff_compute(s, LINEDIFF_MAX_LINES, "", 0, &d, &eb), ERR_TOO_LARGE);
    ck_assert_ptr_nonnull(strstr(errbuf_get(&eb, ERR_TOO_LARGE), "lines"));
    ck_assert_int_eq(linediff_compute(s, LINEDIFF_MAX_LINES - 1, "", 0, &d, &eb), ERR_OK);
    ck_assert_uint_eq(d.n_removed, LINEDIFF_MAX_LINES);
    linediff_fini(&d);
    xfree(s);
}
END_TEST

/* Text of n lines "<tag><i>" joined by '\n' between head and tail lines. */
static char *lines(const char *tag, int n, int step)
{
    struct buf b;
    buf_init(&b, 8 << 20);
    buf_puts(&b, "head");
    for (int i = 0; i < n; i++)
        buf_printf(&b, "\n%s%d", tag, i * step);
    buf_puts(&b, "\ntail");
    char *s = xstrdup(b.data);
    buf_fini(&b);
    return s;
}

START_TEST(test_large_exact_and_approx)
{
    struct linediff d;
    /* 10,000 lines with every 1000th changed: exact, 10 removed and 10 added. */
    char *a = lines("l", 10000, 1), *b = xstrdup(a);
    for (char *p = b; (p = strstr(p, "\nl")) != NULL; p++) {
        long v = strtol(p + 2, NULL, 10);
        if (v % 1000 == 500)
            p[1] = 'L';
    }
    ck_assert_int_eq(linediff_compute(a, strlen(a), b, strlen(b), &d, NULL), ERR_OK);
    ck_assert(!d.is_approx);
    ck_assert_uint_eq(d.n_added, 10);
    ck_assert_uint_eq(d.n_removed, 10);
    check_rebuild(&d, a, b);
    linediff_fini(&d);
    xfree(a);
    xfree(b);
    /* 2 x 800 different lines: past the edit cap, one replacement; head and tail kept. */
    a = lines("a", 800, 1);
    b = lines("b", 800, 1);
    ck_assert_int_eq(linediff_compute(a, strlen(a), b, strlen(b), &d, NULL), ERR_OK);
    ck_assert(d.is_approx);
    ck_assert_uint_eq(d.n_removed, 800);
    ck_assert_uint_eq(d.n_added, 800);
    ck_assert_int_eq(d.edits[0].op, LINEDIFF_SAME);
    ck_assert_int_eq(d.edits[d.n_edits - 1].op, LINEDIFF_SAME);
    check_rebuild(&d, a, b);
    linediff_fini(&d);
    xfree(a);
    xfree(b);
}
END_TEST

static char *random_text(unsigned *seed, int max_lines)
{
    static const char *const words[] = {"a", "b", "c", "", "dd", "a "};
    struct buf b;
    buf_init(&b, 1 << 16);
    int n = rand_r(seed) % (max_lines + 1);
    for (int i = 0; i < n; i++)
        buf_printf(&b, "%s%s", i ? "\n" : "", words[rand_r(seed) % 6]);
    char *s = xstrdup(b.data ? b.data : "");
    buf_fini(&b);
    return s;
}

static size_t split_lines(const char *s, const char **p, size_t *l, size_t cap)
{
    size_t n = 0;
    if (!*s)
        return 0;
    for (;;) {
        const char *q = strchr(s, '\n');
        ck_assert_uint_lt(n, cap);
        p[n] = s;
        l[n++] = q ? (size_t)(q - s) : strlen(s);
        if (!q)
            return n;
        s = q + 1;
    }
}

static size_t min_edits(const char *a, const char *b)
{
    const char *ap[64], *bp[64];
    size_t al[64], bl[64], t[65][65];
    size_t n = split_lines(a, ap, al, 64), m = split_lines(b, bp, bl, 64);
    for (size_t i = 0; i <= n; i++)
        for (size_t j = 0; j <= m; j++) {
            if (!i || !j)
                t[i][j] = 0;
            else if (al[i - 1] == bl[j - 1] && memcmp(ap[i - 1], bp[j - 1], al[i - 1]) == 0)
                t[i][j] = t[i - 1][j - 1] + 1;
            else
                t[i][j] = t[i - 1][j] > t[i][j - 1] ? t[i - 1][j] : t[i][j - 1];
        }
    return n + m - 2 * t[n][m];
}

START_TEST(test_random_minimal)
{
    unsigned seed = 12345;
    for (int iter = 0; iter < 2000; iter++) {
        char *a = random_text(&seed, 30), *b = random_text(&seed, 30);
        struct linediff d;
        ck_assert_int_eq(linediff_compute(a, strlen(a), b, strlen(b), &d, NULL), ERR_OK);
        check_rebuild(&d, a, b);
        ck_assert_uint_eq(d.n_added + d.n_removed, min_edits(a, b));
        linediff_fini(&d);
        xfree(a);
        xfree(b);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("linediff");
    TCase *tc = tcase_create("linediff");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_known_diffs);
    tcase_add_test(tc, test_myers_example);
    tcase_add_test(tc, test_caps);
    tcase_add_test(tc, test_large_exact_and_approx);
    tcase_add_test(tc, test_random_minimal);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
