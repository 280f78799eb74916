/* SPDX-License-Identifier: MIT */
/* worker_lines.c -- exact line reading for log_triage: gzread into one large buffer, memchr
 * for the ends of lines, and a byte count that is exact whatever the bytes are (NUL bytes
 * included), so the cursor committed after a read lands on the byte after the last line.
 *
 * Each line comes out without its "\n" (and without a "\r" before it), with NUL bytes
 * replaced by spaces and bytes that are not valid UTF-8 replaced by '?' (in place: the
 * length does not change), so what is mined and what reaches JSON is valid UTF-8. A line
 * longer than WORKER_LINE_MAX is cut: its first part comes out (cut on a character
 * boundary), the rest is skipped. A last line without "\n" comes out too and its bytes are
 * counted as read, so the cursor lands after it; the next read, seeing the byte before its
 * start is no "\n", skips what completes that line (worker_lines_skip_rest). */
#include <string.h>

#include "core/xalloc.h"
#include "worker/worker_int.h"

#define LINES_BUF    (1024 * 1024) /* read buffer; must exceed WORKER_LINE_MAX */
#define BINARY_PROBE 4096

_Static_assert(LINES_BUF > 2 * WORKER_LINE_MAX, "the read buffer must hold a cut line");

struct worker_lines {
    gzFile gz;
    char *buf;
    size_t beg, end; /* unread bytes are buf[beg, end) */
    size_t scanned;  /* bytes after beg known to hold no '\n' */
    bool is_eof;
    bool is_skipping;  /* the rest of a cut line is still to be skipped */
    int64_t bytes;     /* consumed since worker_lines_begin */
    int64_t max_bytes; /* no line starts at or after this count */
    struct worker_input_stats *st;
};

struct worker_lines *worker_lines_new(void)
{
    struct worker_lines *lr = xcalloc(1, sizeof(*lr));
    lr->buf = xmalloc(LINES_BUF);
    return lr;
}

void worker_lines_free(struct worker_lines *lr)
{
    if (!lr)
        return;
    xfree(lr->buf);
    xfree(lr);
}

void worker_lines_begin(struct worker_lines *lr,
                        gzFile gz,
                        int64_t max_bytes,
                        struct worker_input_stats *st)
{
    lr->gz = gz;
    lr->beg = lr->end = lr->scanned = 0;
    lr->is_eof = lr->is_skipping = false;
    lr->bytes = 0;
    lr->max_bytes = max_bytes;
    lr->st = st;
}

int64_t worker_lines_bytes(const struct worker_lines *lr)
{
    return lr->bytes;
}

/* Move the unread bytes to the front and read more; false at the end or on an error. */
static bool fill(struct worker_lines *lr)
{
    if (lr->is_eof)
        return false;
    if (lr->beg > 0) {
        memmove(lr->buf, lr->buf + lr->beg, lr->end - lr->beg);
        lr->end -= lr->beg;
        lr->beg = 0;
    }
    int n = gzread(lr->gz, lr->buf + lr->end, (unsigned)(LINES_BUF - lr->end));
    if (n <= 0) {
        lr->is_eof = true; /* the caller asks gzerror whether it was an error */
        return false;
    }
    lr->end += (size_t)n;
    return true;
}

static void consume(struct worker_lines *lr, size_t n)
{
    lr->beg += n;
    lr->bytes += (int64_t)n;
    lr->scanned = 0;
}

size_t worker_utf8_seq(const unsigned char *u, size_t n)
{
    unsigned char c = u[0];
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (c < 0xC2 || c > 0xF4 || n < len)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((u[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && u[1] < 0xA0) || (c == 0xED && u[1] > 0x9F) || (c == 0xF0 && u[1] < 0x90) ||
        (c == 0xF4 && u[1] > 0x8F))
        return 0;
    return len;
}

size_t worker_utf8_fix(char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t bad = 0, i = 0;
    while (i < len) {
        uint64_t w;
        if (i + 8 <= len) { /* ASCII fast path, 8 bytes at a time */
            memcpy(&w, u + i, 8);
            if (!(w & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = worker_utf8_seq(u + i, len - i);
        if (n == 0) {
            s[i++] = '?';
            bad++;
        } else {
            i += n;
        }
    }
    return bad;
}

/* Make line[0..*len) clean: no "\r" at the end, no NUL bytes, valid UTF-8. */
static void clean(struct worker_lines *lr, char *line, size_t *len)
{
    if (*len && line[*len - 1] == '\r') {
        (*len)--;
        lr->st->crlf_lines++;
    }
    int64_t nul = 0;
    char *p = line, *e = line + *len;
    while (p < e && (p = memchr(p, '\0', (size_t)(e - p))) != NULL) {
        *p++ = ' ';
        nul++;
    }
    if (nul) {
        lr->st->nul_bytes += nul;
        lr->st->nul_lines++;
    }
    if (worker_utf8_fix(line, *len))
        lr->st->invalid_utf8_lines++;
}

/* Cut a line at WORKER_LINE_MAX bytes, backing off to the start of a UTF-8 character. */
static size_t cut_len(const char *s)
{
    size_t n = WORKER_LINE_MAX;
    for (int i = 0; i < 3 && ((unsigned char)s[n] & 0xC0) == 0x80; i++)
        n--;
    return n;
}

bool worker_lines_skip_rest(struct worker_lines *lr)
{
    for (;;) {
        char *s = lr->buf + lr->beg;
        char *nl = memchr(s, '\n', lr->end - lr->beg);
        if (nl) {
            consume(lr, (size_t)(nl - s) + 1);
            return true;
        }
        consume(lr, lr->end - lr->beg);
        if (!fill(lr))
            return false;
    }
}

/* Hand out buf[beg, beg + n) as the next line (consuming used bytes), cleaned. */
static bool yield(struct worker_lines *lr, size_t n, size_t used, char **line, size_t *len)
{
    *line = lr->buf + lr->beg;
    *len = n;
    consume(lr, used);
    clean(lr, *line, len);
    return true;
}

bool worker_lines_next(struct worker_lines *lr, char **line, size_t *len)
{
    for (;;) {
        if (lr->is_skipping) {
            lr->is_skipping = false;
            if (!worker_lines_skip_rest(lr))
                return false;
        }
        if (lr->bytes >= lr->max_bytes)
            return false;
        char *s = lr->buf + lr->beg;
        size_t avail = lr->end - lr->beg;
        char *nl = memchr(s + lr->scanned, '\n', avail - lr->scanned);
        if (nl) {
            size_t n = (size_t)(nl - s);
            if (n <= WORKER_LINE_MAX)
                return yield(lr, n, n + 1, line, len);
            lr->st->lines_cut++;
            return yield(lr, cut_len(s), n + 1, line, len);
        }
        lr->scanned = avail;
        if (avail > WORKER_LINE_MAX) { /* no end in sight: cut, skip the rest */
            size_t n = cut_len(s);
            lr->st->lines_cut++;
            lr->is_skipping = true; /* the next call skips up to the end of the line */
            return yield(lr, n, avail, line, len);
        }
        if (!fill(lr)) {
            if (avail == 0)
                return false;
            lr->st->unterminated_lines++;
            return yield(lr, avail, avail, line, len);
        }
    }
}

bool worker_is_binary(const char *buf, size_t n)
{
    size_t odd = 0;
    if (n > BINARY_PROBE)
        n = BINARY_PROBE;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        odd += (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' &&
                c != 0x1b) ||
               c == 0x7f;
    }
    return n > 0 && odd * 10 > n * 3;
}
