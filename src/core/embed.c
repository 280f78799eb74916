/* SPDX-License-Identifier: MIT */
/* embed.c -- lookups in the embedded file tables. */
#include "core/embed.h"

#include <string.h>

const struct embed_file *embed_find(const struct embed_file *table, const char *suffix)
{
    size_t slen = strlen(suffix);
    for (const struct embed_file *f = table; f->path; f++) {
        size_t plen = strlen(f->path);
        if (plen >= slen && strcmp(f->path + plen - slen, suffix) == 0)
            return f;
    }
    return NULL;
}
