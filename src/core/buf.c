/* SPDX-License-Identifier: MIT */
/* buf.c -- growable byte buffer with a hard maximum. */
#include "core/buf.h"

#include <stdio.h>
#include <string.h>

#include "core/xalloc.h"

void buf_init(struct buf *b, size_t max_len)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max_len = max_len;
}

void buf_fini(struct buf *b)
{
    xfree(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void buf_wipe(struct buf *b)
{
    if (b->data)
        memset(b->data, 0, b->len);
    buf_reset(b);
}

static enum err reserve(struct buf *b, size_t extra)
{
    if (extra > b->max_len || b->len > b->max_len - extra)
        return ERR_TOO_LARGE;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return ERR_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    if (cap > b->max_len + 1)
        cap = b->max_len + 1;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    return ERR_OK;
}

enum err buf_reserve(struct buf *b, size_t len)
{
    return reserve(b, len);
}

enum err buf_append(struct buf *b, const void *data, size_t len)
{
    /* Fast path: it fits the allocation, which never exceeds max_len + 1. */
    if (b->data && len < b->cap - b->len) {
        memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
        return ERR_OK;
    }
    enum err e = reserve(b, len);
    if (e != ERR_OK)
        return e;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return ERR_OK;
}

enum err buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

enum err buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return ERR_INTERNAL;
    enum err e = reserve(b, (size_t)n);
    if (e != ERR_OK)
        return e;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return ERR_OK;
}

enum err buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum err e = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return e;
}

const char *buf_str(const struct buf *b)
{
    return b->data ? b->data : "";
}

size_t buf_len(const struct buf *b)
{
    return b->len;
}

char *buf_take(struct buf *b)
{
    char *p = b->data ? b->data : xstrdup("");
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
