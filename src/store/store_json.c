/* SPDX-License-Identifier: MIT */
/* store_json.c -- result cells as JSON: jansson values for db_query, and JSON text written
 * straight into a buffer for the hot list paths (no per-cell objects).
 *
 * The text matches jansson's compact output (json_dumps with JSON_COMPACT): UTF-8 kept,
 * '"' and '\\' escaped, \b \f \n \r \t short, other control bytes as \u00XX. */
#include <stdio.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "store/store_int.h"

/* Return the length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid
 * (overlong forms, surrogates and code points past U+10FFFF are invalid, as in jansson). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* 1 for the bytes that need an escape (control bytes, '"', '\\'), 2 for non-ASCII bytes. */
static const unsigned char byte_class[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* Return whether s is valid UTF-8; *has_escapes tells whether a byte needs an escape. */
static bool is_utf8(const char *s, size_t n, bool *has_escapes)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    *has_escapes = false;
    while (i < n) {
        unsigned char cls = byte_class[u[i]];
        if (cls != 2) {
            *has_escapes = *has_escapes || cls == 1;
            i++;
            continue;
        }
        size_t k = utf8_len(u + i, n - i);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

/* Return the escape for byte c into esc (NUL-terminated). */
static const char *escape(unsigned char c, char esc[8])
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    default:
        snprintf(esc, 8, "\\u%04X", c);
        return esc;
    }
}

/* Append s escaped (between the quotes). */
static enum err escaped_append(const char *s, size_t len, struct buf *out)
{
    enum err e = ERR_OK;
    size_t run = 0; /* start of the bytes not yet copied */
    for (size_t i = 0; i < len && e == ERR_OK; i++) {
        char tmp[8];
        if (byte_class[(unsigned char)s[i]] != 1)
            continue;
        e = buf_append(out, s + run, i - run);
        if (e == ERR_OK)
            e = buf_puts(out, escape((unsigned char)s[i], tmp));
        run = i + 1;
    }
    return e == ERR_OK ? buf_append(out, s + run, len - run) : e;
}

enum err db_json_str_append(const char *s, size_t len, struct buf *out)
{
    bool has_escapes = false;
    if (!is_utf8(s, len, &has_escapes))
        return buf_append(out, "null", 4);
    enum err e = buf_append(out, "\"", 1);
    if (e == ERR_OK)
        e = has_escapes ? escaped_append(s, len, out) : buf_append(out, s, len);
    return e == ERR_OK ? buf_append(out, "\"", 1) : e;
}

enum err db_int_append(int64_t v, struct buf *out)
{
    char tmp[24];
    char *p = tmp + sizeof(tmp);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return buf_append(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

enum err db_cell_json_append(const struct db_cell *cell, bool is_raw, struct buf *out)
{
    switch (cell->type) {
    case DB_C_INT:
        return db_int_append(cell->i, out);
    case DB_C_BOOL:
        return cell->i ? buf_append(out, "true", 4) : buf_append(out, "false", 5);
    case DB_C_REAL: {
        /* Rare: let jansson format it, so the digits match db_query's. */
        json_t *j = json_real(cell->d);
        char *text = j ? jsonx_dumps(j) : NULL;
        enum err e = text ? buf_puts(out, text) : buf_append(out, "null", 4);
        xfree(text);
        json_decref(j);
        return e;
    }
    case DB_C_TEXT:
        if (is_raw)
            return cell->len ? buf_append(out, cell->s, cell->len) : buf_append(out, "null", 4);
        return db_json_str_append(cell->s, cell->len, out);
    case DB_C_NULL:
    default:
        return buf_append(out, "null", 4);
    }
}
