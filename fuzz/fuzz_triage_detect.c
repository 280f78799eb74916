/* SPDX-License-Identifier: MIT */
/* fuzz_triage_detect.c -- fuzz the header parsers, the format vote and the multi-line joiner:
 * the input is split on '\n' and fed to one detector, line by line. Invariants: msg lies in
 * the line or in the scratch buffer, ts is -1 or a plausible instant, the level is in range,
 * the component is NUL-terminated, and every format parses the first line without harm. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "triage/triage_detect.h"
#include "triage/triage_multiline.h"

#define MAX_TS 253402300799999LL /* 9999-12-31T23:59:59.999Z */

static void
check(const struct triage_record *r, const char *line, size_t len, const char *scratch, size_t cap)
{
    const char *m = r->msg;
    bool in_line = m >= line && m + r->msg_len <= line + len;
    bool in_scratch = m >= scratch && m + r->msg_len <= scratch + cap;
    if (!in_line && !in_scratch)
        abort();
    if (r->ts_ms < -1 || r->ts_ms > MAX_TS)
        abort();
    if (r->level < TRIAGE_LEVEL_UNKNOWN || r->level > TRIAGE_LEVEL_CRITICAL)
        abort();
    if (memchr(r->component, '\0', sizeof(r->component)) == NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char scratch[256];
    struct triage_record r;
    size_t first = size;
    const char *nl = memchr(s, '\n', size);
    if (nl)
        first = (size_t)(nl - s);
    for (int f = 0; f < TRIAGE_FMT_COUNT; f++) {
        triage_parse_as((enum triage_fmt)f, s, first, 1795546370000LL, &r, scratch,
                        sizeof(scratch));
        check(&r, s, first, scratch, sizeof(scratch));
    }
    struct triage_detect *d = triage_detect_new(1795546370000LL);
    struct triage_join j;
    triage_join_init(&j);
    size_t i = 0;
    while (i <= size) {
        const char *e = memchr(s + i, '\n', size - i);
        size_t n = e ? (size_t)(e - (s + i)) : size - i;
        enum triage_fmt f = triage_detect_line(d, s + i, n, &r, scratch, sizeof(scratch));
        check(&r, s + i, n, scratch, sizeof(scratch));
        if (f < TRIAGE_FMT_UNKNOWN || f >= TRIAGE_FMT_COUNT)
            abort();
        triage_join_line(&j, s + i, n, f != TRIAGE_FMT_UNKNOWN, triage_detect_headered(d));
        if (j.lines > TRIAGE_JOIN_MAX_LINES || j.bytes > TRIAGE_JOIN_MAX_BYTES)
            abort();
        i += n + 1;
    }
    triage_detect_free(d);
    return 0;
}
