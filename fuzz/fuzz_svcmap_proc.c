/* SPDX-License-Identifier: MIT */
/* fuzz_svcmap_proc.c -- fuzz svcmap_proc_tcp_parse: never more sockets than lines or than
 * the cap, and parsing a prefix never finds more than the whole. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "svcmap/svcmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct svcmap_sock s[64];
    const char *text = (const char *)data;
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += text[i] == '\n';
    size_t n = svcmap_proc_tcp_parse(text, size, s, 64);
    if (n > 64 || n > lines)
        abort();
    if (svcmap_proc_tcp_parse(text, size / 2, s, 64) > n + 1)
        abort(); /* the cut line may parse on its own, no more */
    if (svcmap_proc_tcp_parse(text, size, s, 3) > 3)
        abort();
    return 0;
}
