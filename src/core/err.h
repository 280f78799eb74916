/* SPDX-License-Identifier: MIT */
/* err.h -- the one error enum of the tree, with its HTTP status and JSON-RPC code.
 *
 * Functions that can fail return enum err and write results through out-params;
 * the optional last parameter struct errbuf *eb carries text that is safe to show
 * a client (no secrets; user data cut to 32 bytes). */
#pragma once

#include <stddef.h>

/* name, HTTP status, JSON-RPC code, short text */
#define ERR_TABLE(X)                                                \
    X(ERR_OK, 200, 0, "ok")                                         \
    X(ERR_INVALID, 400, -32602, "invalid input")                    \
    X(ERR_PARSE, 400, -32700, "malformed JSON")                     \
    X(ERR_UNAUTHORIZED, 401, -32001, "authentication required")     \
    X(ERR_FORBIDDEN, 403, -32003, "forbidden")                      \
    X(ERR_NOT_FOUND, 404, -32004, "not found")                      \
    X(ERR_METHOD, 405, -32601, "method not allowed")                \
    X(ERR_CONFLICT, 409, -32009, "conflict")                        \
    X(ERR_TOO_LARGE, 413, -32013, "too large")                      \
    X(ERR_UNSUPPORTED_MEDIA, 415, -32015, "unsupported media type") \
    X(ERR_UNPROCESSABLE, 422, -32022, "unprocessable")              \
    X(ERR_BAD_GATEWAY, 502, -32052, "bad gateway")                  \
    X(ERR_UNAVAILABLE, 503, -32050, "service unavailable")          \
    X(ERR_TIMEOUT, 504, -32051, "timed out")                        \
    X(ERR_DB, 500, -32603, "database error")                        \
    X(ERR_IO, 500, -32603, "i/o error")                             \
    X(ERR_INTERNAL, 500, -32603, "internal error")

enum err {
#define ERR_ENUM(name, http, rpc, text) name,
    ERR_TABLE(ERR_ENUM)
#undef ERR_ENUM
        ERR__COUNT
};

/* Human detail for an error; fields are private, use errbuf_set/errbuf_get. */
struct errbuf {
    char msg[256];
};

/* Return the HTTP status for e. */
int err_http_status(enum err e);
/* Return the JSON-RPC error code for e. */
int err_jsonrpc_code(enum err e);
/* Return the short text for e ("not found"). */
const char *err_text(enum err e);
/* Return the enum name for e ("ERR_NOT_FOUND"). */
const char *err_name(enum err e);
/* Format a message into eb (NULL eb is fine); returns e so callers can `return errbuf_set(...)`. */
enum err errbuf_set(struct errbuf *eb, enum err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Return eb's text, or err_text(e) when eb is NULL or empty. */
const char *errbuf_get(const struct errbuf *eb, enum err e);
/* Copy at most 32 bytes of user text into out (cap 36) with "..." when cut; for messages. */
void err_quote_user(char *out, size_t out_cap, const char *user);
