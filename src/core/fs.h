/* SPDX-License-Identifier: MIT */
/* fs.h -- small file-system helpers: mkdir -p, capped reads, atomic writes.
 *
 * All functions are thread-safe and report failures as enum err with errno text. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

/* Create dir and its parents with mode (like mkdir -p). */
enum err fs_mkdir_p(const char *dir, unsigned mode, struct errbuf *eb);
/* Read the whole file at path, at most max_len bytes (ERR_TOO_LARGE beyond); *out is
 * NUL-terminated, caller frees. */
enum err
fs_read_file(const char *path, size_t max_len, char **out, size_t *out_len, struct errbuf *eb);
/* Write data to path atomically (temp file in the same folder, fsync, rename). */
enum err fs_write_atomic(const char *path, const void *data, size_t len, struct errbuf *eb);
/* Remove dir and everything below it (no symlink following). */
enum err fs_rm_rf(const char *dir, struct errbuf *eb);
/* Return true when path names an existing directory. */
bool fs_is_dir(const char *path);
/* Return free bytes on the file system holding path, or -1. */
long long fs_free_bytes(const char *path);
