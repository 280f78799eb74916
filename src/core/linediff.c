/* SPDX-License-Identifier: MIT */
/* linediff.c -- Myers' greedy line diff with the common prefix and suffix cut off first.
 *
 * The forward pass keeps, for each step d, the furthest x reached on every diagonal
 * k = x - y in [-d, d] (a triangle of d*d values in all, so d is capped); the backtrack
 * replays the same choices from that trace. A diagonal whose move would leave the grid is
 * unreached (-1), so every point stays inside it and the path ends exactly at (n, m). */
#include "core/linediff.h"

#include <stdint.h>
#include <string.h>

#include "core/xalloc.h"

struct line {
    const char *p;
    size_t len;
    uint64_t hash; /* FNV-1a of the bytes */
};

struct side {
    struct line *lines;
    size_t n;
};

struct trace {
    int32_t *v; /* step d's diagonals -d..d at v[d*d .. d*d+2d] */
    size_t cap;
};

static uint64_t fnv1a(const char *p, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static enum err
split(const char *text, size_t len, const char *what, struct side *s, struct errbuf *eb)
{
    size_t nl = 0;
    s->lines = NULL;
    s->n = 0;
    if (len > LINEDIFF_MAX_BYTES)
        return errbuf_set(eb, ERR_TOO_LARGE, "the %s text is over %d bytes", what,
                          LINEDIFF_MAX_BYTES);
    if (len == 0)
        return ERR_OK;
    for (size_t i = 0; i < len; i++)
        nl += text[i] == '\n';
    if (nl + 1 > LINEDIFF_MAX_LINES)
        return errbuf_set(eb, ERR_TOO_LARGE, "the %s text has over %d lines", what,
                          LINEDIFF_MAX_LINES);
    s->lines = xcalloc(nl + 1, sizeof(*s->lines));
    const char *p = text, *end = text + len;
    while (s->n <= nl) {
        const char *q = memchr(p, '\n', (size_t)(end - p));
        size_t l = q ? (size_t)(q - p) : (size_t)(end - p);
        s->lines[s->n++] = (struct line){p, l, fnv1a(p, l)};
        p += l + 1;
    }
    return ERR_OK;
}

static bool line_eq(const struct line *a, const struct line *b)
{
    return a->hash == b->hash && a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static void emit(struct linediff *d, enum linediff_op op, const struct line *l)
{
    d->edits[d->n_edits++] = (struct linediff_edit){op, l->p, l->len};
    d->n_added += op == LINEDIFF_ADD;
    d->n_removed += op == LINEDIFF_DEL;
}

/* The furthest x on diagonal k at step d from step d-1's values prev(k-1), prev(k+1)
 * (-1: unreached); *is_down tells the move taken. -1 when neither move stays on the grid. */
static int32_t
step_x(int32_t from_left, int32_t from_up, int32_t k, int32_t n, int32_t m, bool *is_down)
{
    int32_t x_right = from_left >= 0 && from_left + 1 <= n ? from_left + 1 : -1;
    int32_t x_down = from_up >= 0 && from_up - k <= m ? from_up : -1;
    *is_down = !(x_right >= 0 && x_right > x_down);
    return *is_down ? x_down : x_right;
}

static int32_t prev_at(const struct trace *t, int32_t d, int32_t k)
{
    if (d < 0 || k < -d || k > d)
        return -1;
    return t->v[(size_t)d * (size_t)d + (size_t)(k + d)];
}

static void trace_save(struct trace *t, const int32_t *v, int32_t off, int32_t d)
{
    size_t need = (size_t)(d + 1) * (size_t)(d + 1);
    if (need > t->cap) {
        t->cap = need * 2;
        t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
    }
    memcpy(t->v + (size_t)d * (size_t)d, v + off - d, (size_t)(2 * d + 1) * sizeof(*v));
}

/* Forward pass: the step count D of a shortest edit path, or -1 past max_d. */
static int32_t forward(const struct line *a,
                       int32_t n,
                       const struct line *b,
                       int32_t m,
                       int32_t max_d,
                       struct trace *t)
{
    int32_t off = max_d + 1, found = -1;
    int32_t *v = xmalloc((size_t)(2 * max_d + 3) * sizeof(*v));
    for (int32_t i = 0; i < 2 * max_d + 3; i++)
        v[i] = -1;
    for (int32_t d = 0; d <= max_d && found < 0; d++) {
        for (int32_t k = -d; k <= d; k += 2) {
            bool is_down = false;
            int32_t x = d == 0 ? 0 : step_x(v[off + k - 1], v[off + k + 1], k, n, m, &is_down);
            if (x >= 0) {
                while (x < n && x - k < m && line_eq(&a[x], &b[x - k]))
                    x++;
                if (x == n && x - k == m)
                    found = d;
            }
            v[off + k] = x;
            if (found >= 0)
                break;
        }
        if (found < 0)
            trace_save(t, v, off, d);
    }
    xfree(v);
    return found;
}

/* Backtrack from (n, m) over steps D..1 and append the edits in order. */
static void backtrack(const struct line *a,
                      int32_t n,
                      const struct line *b,
                      int32_t m,
                      int32_t D,
                      const struct trace *t,
                      struct linediff *out)
{
    size_t start = out->n_edits;
    int32_t x = n, y = m;
    for (int32_t d = D; d > 0; d--) {
        int32_t k = x - y;
        bool is_down = false;
        /* Where step d entered diagonal k; the snake from there reached (x, y). */
        int32_t sx = step_x(prev_at(t, d - 1, k - 1), prev_at(t, d - 1, k + 1), k, n, m, &is_down);
        for (; x > sx; x--, y--)
            emit(out, LINEDIFF_SAME, &a[x - 1]);
        if (is_down)
            emit(out, LINEDIFF_ADD, &b[--y]);
        else
            emit(out, LINEDIFF_DEL, &a[--x]);
    }
    for (; x > 0; x--)
        emit(out, LINEDIFF_SAME, &a[x - 1]);
    for (size_t i = start, j = out->n_edits; i + 1 < j; i++, j--) {
        struct linediff_edit tmp = out->edits[i];
        out->edits[i] = out->edits[j - 1];
        out->edits[j - 1] = tmp;
    }
}

/* Diff the middles a[a0..a1) and b[b0..b1) into out, exactly or as a replacement. */
static void middle(const struct side *sa,
                   size_t a0,
                   size_t a1,
                   const struct side *sb,
                   size_t b0,
                   size_t b1,
                   struct linediff *out)
{
    struct trace t = {NULL, 0};
    const struct line *a = sa->lines + a0, *b = sb->lines + b0;
    int32_t n = (int32_t)(a1 - a0), m = (int32_t)(b1 - b0);
    int32_t max_d = n + m < LINEDIFF_MAX_EDITS ? n + m : LINEDIFF_MAX_EDITS;
    int32_t D = forward(a, n, b, m, max_d, &t);
    if (D >= 0) {
        backtrack(a, n, b, m, D, &t, out);
    } else {
        out->is_approx = true;
        for (int32_t i = 0; i < n; i++)
            emit(out, LINEDIFF_DEL, &a[i]);
        for (int32_t i = 0; i < m; i++)
            emit(out, LINEDIFF_ADD, &b[i]);
    }
    xfree(t.v);
}

enum err linediff_compute(const char *old,
                          size_t old_len,
                          const char *new_,
                          size_t new_len,
                          struct linediff *out,
                          struct errbuf *eb)
{
    struct side sa = {NULL, 0}, sb = {NULL, 0};
    memset(out, 0, sizeof(*out));
    enum err e = split(old, old_len, "old", &sa, eb);
    if (e == ERR_OK)
        e = split(new_, new_len, "new", &sb, eb);
    if (e != ERR_OK)
        goto out;
    out->edits = xcalloc(sa.n + sb.n + 1, sizeof(*out->edits));
    size_t pre = 0, suf = 0;
    while (pre < sa.n && pre < sb.n && line_eq(&sa.lines[pre], &sb.lines[pre]))
        pre++;
    while (suf < sa.n - pre && suf < sb.n - pre &&
           line_eq(&sa.lines[sa.n - 1 - suf], &sb.lines[sb.n - 1 - suf]))
        suf++;
    for (size_t i = 0; i < pre; i++)
        emit(out, LINEDIFF_SAME, &sa.lines[i]);
    middle(&sa, pre, sa.n - suf, &sb, pre, sb.n - suf, out);
    for (size_t i = sa.n - suf; i < sa.n; i++)
        emit(out, LINEDIFF_SAME, &sa.lines[i]);
out:
    xfree(sa.lines);
    xfree(sb.lines);
    return e;
}

void linediff_fini(struct linediff *d)
{
    xfree(d->edits);
    memset(d, 0, sizeof(*d));
}

const char *linediff_op_name(enum linediff_op op)
{
    switch (op) {
    case LINEDIFF_SAME:
        return "=";
    case LINEDIFF_DEL:
        return "-";
    case LINEDIFF_ADD:
        return "+";
    }
    return "?";
}
