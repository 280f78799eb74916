/* SPDX-License-Identifier: MIT */
/* worker_cursor.c -- where log_triage starts reading a file, from the cursors the
 * orchestrator committed with the last successful job.
 *
 * A cursor names a file by its path (relative to the logs folder, redacted with the job's
 * key so no file name reaches the database: pseudonyms are stable, so the name of a file
 * stays the same from job to job) and identifies it by
 * device, inode and the SHA-256 of its first fingerprint_len bytes (at most 4 KiB). For a
 * file now:
 * - its path's cursor still identifies it (same device, inode, first bytes): continue at
 *   the cursor's offset, or from 0 when the file is now shorter (truncated in place);
 * - another path's cursor identifies it (it was renamed by rotation, app.log -> app.log.1):
 *   continue at that cursor's offset, so the tail written before the rotation is read;
 * - its path has a cursor that identifies another file (replaced): from 0;
 * - no cursor at all: a first read, the last lookback bytes (the directive's
 *   max_bytes_per_file, 64 MiB by default), filtered by the
 *   job's time window like before cursors existed.
 * Offsets of .gz files count uncompressed bytes (they are rewritten whole, never appended). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/crypto.h"
#include "core/jsonx.h"
#include "worker/worker_int.h"

#define FP_MAX 4096

/* SHA-256 hex of the first n bytes of fd (n <= FP_MAX); false when fewer can be read. */
static bool fingerprint(int fd, size_t n, char out[CRYPTO_SHA256_HEX_LEN])
{
    char buf[FP_MAX];
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    crypto_sha256_hex(buf, n, out);
    return true;
}

/* True when cursor c identifies the open file (dev, ino, first bytes). */
static bool identifies(const json_t *c, int fd, const struct stat *st)
{
    const json_t *dev = json_object_get(c, "device"), *ino = json_object_get(c, "inode");
    if (!json_is_integer(dev) || !json_is_integer(ino) ||
        json_integer_value(dev) != (json_int_t)st->st_dev ||
        json_integer_value(ino) != (json_int_t)st->st_ino)
        return false;
    const char *fp = jsonx_get_str(c, "fingerprint");
    json_int_t n = json_integer_value(json_object_get(c, "fingerprint_len"));
    if (!fp || n <= 0)
        return true; /* an empty file when it was read: nothing to compare */
    char now[CRYPTO_SHA256_HEX_LEN];
    return n <= FP_MAX && st->st_size >= n && fingerprint(fd, (size_t)n, now) &&
           strcmp(now, fp) == 0;
}

int64_t worker_file_max_from_job(const json_t *job)
{
    const json_t *v = json_object_get(json_object_get(job, "config"), "max_bytes_per_file");
    int64_t n = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
    return n >= WORKER_FILE_MAX_MIN && n <= WORKER_FILE_MAX_MAX ? n : WORKER_FILE_MAX;
}

void worker_cursor_start(const json_t *cursors,
                         const char *name,
                         const char *rel,
                         int fd,
                         const struct stat *st,
                         int64_t lookback,
                         struct worker_start *out)
{
    size_t i;
    const json_t *c, *mine = NULL, *moved = NULL;
    memset(out, 0, sizeof(*out));
    json_array_foreach(cursors, i, c)
    {
        const char *p = jsonx_get_str(c, "path");
        if (p && strcmp(p, name) == 0)
            mine = c;
        else if (!moved && identifies(c, fd, st))
            moved = c;
    }
    const json_t *from = mine && identifies(mine, fd, st) ? mine : moved;
    if (from) {
        int64_t off = json_integer_value(json_object_get(from, "offset_bytes"));
        bool is_gz = strlen(rel) > 3 && strcmp(rel + strlen(rel) - 3, ".gz") == 0;
        out->has_cursor = true;
        out->kind = from == mine ? "continued" : "rotated";
        out->offset = off;
        if (!is_gz && off > (int64_t)st->st_size) {
            out->kind = "truncated";
            out->offset = 0;
        }
        const char *ts = jsonx_get_str(from, "last_ts");
        snprintf(out->last_ts, sizeof(out->last_ts), "%s", ts ? ts : "");
    } else if (mine) {
        out->has_cursor = true;
        out->kind = "replaced";
    } else {
        out->kind = "first";
        out->offset = st->st_size > lookback ? st->st_size - lookback : 0;
    }
}

json_t *worker_cursor_make(
    const char *name, int fd, const struct stat *st, int64_t offset, const char *last_ts)
{
    char fp[CRYPTO_SHA256_HEX_LEN] = "";
    size_t n = st->st_size < FP_MAX ? (size_t)st->st_size : FP_MAX;
    if (strlen(name) > WORKER_CURSOR_PATH_MAX)
        return NULL;
    if (n > 0 && !fingerprint(fd, n, fp))
        n = 0;
    json_t *c = json_pack("{s:s,s:I,s:I,s:I,s:I}", "path", name, "device", (json_int_t)st->st_dev,
                          "inode", (json_int_t)st->st_ino, "fingerprint_len", (json_int_t)n,
                          "offset_bytes", (json_int_t)offset);
    json_object_set_new(c, "fingerprint", n ? json_string(fp) : json_null());
    jsonx_set_str_or_null(c, "last_ts", last_ts && *last_ts ? last_ts : NULL);
    return c;
}
