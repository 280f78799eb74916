/* SPDX-License-Identifier: MIT */
/* buf.h -- a growable byte buffer with a hard maximum (after curl's dynbuf).
 *
 * Appends past max_len fail with ERR_TOO_LARGE and leave the buffer unchanged.
 * The content is always NUL-terminated. Not thread-safe; the owner frees it. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "core/err.h"

/* Fields are private; use the API. */
struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max_len;
};

/* Initialise b with a maximum content length of max_len bytes. */
void buf_init(struct buf *b, size_t max_len);
/* Release b's memory; b may be re-initialised afterwards. */
void buf_fini(struct buf *b);
/* Empty b, keeping its allocation. */
void buf_reset(struct buf *b);
/* Empty b after zeroing its content (it held text that must not linger, e.g. a prompt). */
void buf_wipe(struct buf *b);
/* Make room for len more bytes without changing the content (a size hint; fails like
 * buf_append when over the maximum). */
enum err buf_reserve(struct buf *b, size_t len);
/* Append len bytes of data; ERR_TOO_LARGE when over the maximum. */
enum err buf_append(struct buf *b, const void *data, size_t len);
/* Append a NUL-terminated string. */
enum err buf_puts(struct buf *b, const char *s);
/* Append formatted text. */
enum err buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append formatted text from a va_list. */
enum err buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Return the content (never NULL; borrowed until the next change). */
const char *buf_str(const struct buf *b);
/* Return the content length in bytes. */
size_t buf_len(const struct buf *b);
/* Hand the heap content to the caller (never NULL) and reset b. */
char *buf_take(struct buf *b);
