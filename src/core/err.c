/* SPDX-License-Identifier: MIT */
/* err.c -- error table lookups and the error buffer. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int http;
    int rpc;
    const char *text;
} table[] = {
#define ERR_ROW(name, http, rpc, text) {#name, http, rpc, text},
    ERR_TABLE(ERR_ROW)
#undef ERR_ROW
};

static int idx(enum err e)
{
    return (e >= 0 && e < ERR__COUNT) ? (int)e : (int)ERR_INTERNAL;
}

int err_http_status(enum err e)
{
    return table[idx(e)].http;
}

int err_jsonrpc_code(enum err e)
{
    return table[idx(e)].rpc;
}

const char *err_text(enum err e)
{
    return table[idx(e)].text;
}

const char *err_name(enum err e)
{
    return table[idx(e)].name;
}

enum err errbuf_set(struct errbuf *eb, enum err e, const char *fmt, ...)
{
    if (!eb)
        return e;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
    va_end(ap);
    return e;
}

const char *errbuf_get(const struct errbuf *eb, enum err e)
{
    if (eb && eb->msg[0])
        return eb->msg;
    return err_text(e);
}

void err_quote_user(char *out, size_t out_cap, const char *user)
{
    if (!out_cap)
        return;
    if (!user)
        user = "";
    size_t len = strlen(user);
    size_t keep = len > 32 ? 32 : len;
    if (keep > out_cap - 1)
        keep = out_cap - 1;
    /* Only printable ASCII reaches a client message. */
    size_t j = 0;
    for (size_t i = 0; i < keep; i++)
        out[j++] = (user[i] >= 0x20 && user[i] < 0x7f) ? user[i] : '?';
    out[j] = '\0';
    if (len > keep && j + 3 < out_cap) {
        memcpy(out + j, "...", 4);
    }
}
