/* SPDX-License-Identifier: MIT */
/* fuzz_redact.c -- fuzz the redactor: any bytes, bounded output, and an e-mail address
 * planted in the input never survives. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "redact/redact.h"

#define FUZZ_LINE_MAX 8192

static size_t count(const char *s, size_t len)
{
    static const char needle[] = "alice.secret@example.org";
    size_t n = 0, k = sizeof(needle) - 1;
    for (size_t i = 0; i + k <= len; i++)
        n += memcmp(s + i, needle, k) == 0;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_LINE_MAX)
        return 0;
    char out[1024];
    size_t n = redact_log_filter(NULL, (const char *)data, size, out, sizeof(out));
    if (n >= sizeof(out) || out[n] != '\0')
        abort();
    /* Plant an address between spaces: whatever surrounds it, it must not come out. The
     * input may carry the same text itself, so the output may hold at most as many copies
     * as the raw input did. */
    static const char planted[] = " alice.secret@example.org ";
    struct buf in, red;
    buf_init(&in, FUZZ_LINE_MAX + sizeof(planted));
    buf_init(&red, 9 * (FUZZ_LINE_MAX + sizeof(planted))); /* a label is at most 8x its input */
    buf_append(&in, data, size);
    buf_puts(&in, planted);
    if (redact_text(buf_str(&in), buf_len(&in), &red) != ERR_OK)
        abort();
    if (count(buf_str(&red), buf_len(&red)) > count((const char *)data, size))
        abort();
    buf_fini(&in);
    buf_fini(&red);
    return 0;
}
