/* SPDX-License-Identifier: MIT */
/* fuzz_iso_time.c -- fuzz clock_iso_parse on a NUL-terminated copy; check round trips. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[128];
    if (size >= sizeof(s))
        size = sizeof(s) - 1;
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t ms = 0;
    if (!clock_iso_parse(s, &ms))
        return 0;
    /* Times from the epoch on must format and parse back to the same instant. */
    if (ms < 0)
        return 0;
    char out[CLOCK_ISO_LEN];
    clock_iso_from_ms(ms, out);
    int64_t back = -1;
    if (!clock_iso_parse(out, &back) || back != ms)
        abort();
    return 0;
}
