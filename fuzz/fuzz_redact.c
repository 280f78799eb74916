/* SPDX-License-Identifier: MIT */
/* fuzz_redact.c -- fuzz the redactor on any bytes: never crash; spans sorted,
 * non-overlapping and in range; output within len + REDACT_PLACEHOLDER_MAX per finding;
 * idempotent in mask and pseudonym mode; the log filter's output bounded and terminated;
 * an e-mail address planted between spaces never survives. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "redact/redact.h"

#define FUZZ_LINE_MAX 8192
#define FUZZ_SPANS    (FUZZ_LINE_MAX + 64)

static const char needle[] = "alice.secret@example.org";

static size_t count(const char *s, size_t len)
{
    size_t n = 0, k = sizeof(needle) - 1;
    for (size_t i = 0; i + k <= len; i++)
        n += memcmp(s + i, needle, k) == 0;
    return n;
}

static void check_spans(const char *in, size_t len, size_t *n_out)
{
    static struct redact_span sp[FUZZ_SPANS];
    size_t n = redact_find(in, len, sp, FUZZ_SPANS), end = 0;
    for (size_t k = 0; k < n; k++) {
        if (sp[k].start < end || sp[k].start >= sp[k].end || sp[k].end > len ||
            (unsigned)sp[k].type >= REDACT__COUNT)
            abort();
        end = sp[k].end;
    }
    *n_out = n;
}

/* Redact in with o: bounded, and the same again when redacted twice. */
static void check_text(const char *in, size_t len, size_t n_spans, const struct redact_opts *o)
{
    struct buf once, twice;
    buf_init(&once, len + n_spans * REDACT_PLACEHOLDER_MAX);
    buf_init(&twice, len + n_spans * REDACT_PLACEHOLDER_MAX);
    if (redact_text_opts(in, len, o, &once) != ERR_OK)
        abort(); /* over the documented bound */
    if (redact_text_opts(buf_str(&once), buf_len(&once), o, &twice) != ERR_OK ||
        buf_len(&twice) != buf_len(&once) ||
        memcmp(buf_str(&once), buf_str(&twice), buf_len(&once)) != 0)
        abort();
    buf_fini(&once);
    buf_fini(&twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char key[] = "fuzz-key";
    static const struct redact_opts ps = {REDACT_PSEUDONYM, key, sizeof(key) - 1};
    if (size > FUZZ_LINE_MAX)
        return 0;
    const char *in = (const char *)data;
    char out[1024];
    size_t n = redact_log_filter(NULL, in, size, out, sizeof(out));
    if (n >= sizeof(out) || out[n] != '\0')
        abort();
    size_t n_spans;
    check_spans(in, size, &n_spans);
    check_text(in, size, n_spans, NULL);
    check_text(in, size, n_spans, &ps);
    /* Plant an address between spaces: whatever surrounds it, it must not come out. The
     * input may carry the same text itself, so the output may hold at most as many copies
     * as the raw input did. */
    struct buf planted, red;
    buf_init(&planted, FUZZ_LINE_MAX + 64);
    buf_init(&red, (FUZZ_LINE_MAX + 64) * (REDACT_PLACEHOLDER_MAX + 1));
    buf_append(&planted, data, size);
    buf_puts(&planted, " ");
    buf_puts(&planted, needle);
    buf_puts(&planted, " ");
    if (redact_text(buf_str(&planted), buf_len(&planted), &red) != ERR_OK)
        abort();
    if (count(buf_str(&red), buf_len(&red)) > count(in, size))
        abort();
    buf_fini(&planted);
    buf_fini(&red);
    return 0;
}
