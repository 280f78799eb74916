/* SPDX-License-Identifier: MIT */
/* embed.h -- files embedded into the binary at build time (scripts/gen-embed.sh).
 *
 * gen_migrations holds src/store/migrations/<backend>/NNN_name.sql, gen_web holds every file in
 * web/. Each table ends with a NULL path. Read-only data: any thread. */
#pragma once

#include <stddef.h>

struct embed_file {
    const char *path;          /* path as given at build time, e.g. "web/index.html" */
    const unsigned char *data; /* NUL-terminated */
    size_t len;                /* bytes, without the NUL */
    const char *sha256;        /* hex SHA-256 of data, computed at build time */
};

extern const struct embed_file gen_migrations[];
extern const struct embed_file gen_web[];

/* Return the embedded file whose path ends with suffix in table, or NULL. */
const struct embed_file *embed_find(const struct embed_file *table, const char *suffix);
