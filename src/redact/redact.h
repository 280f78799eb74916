/* SPDX-License-Identifier: MIT */
/* redact.h -- PII/secret redaction of text (pure: bytes in, bytes out).
 *
 * redact_find() lists the findings of a text as typed byte spans; redact_text_opts()
 * replaces each span by a placeholder: "[EMAIL]" (mask mode) or "[EMAIL:3f9a]" (pseudonym
 * mode: the first 4 hex of HMAC-SHA256(key, type name, a 0 byte, value), so one value gives
 * one pseudonym per key). Rules that keep a prefix ("password=", "Authorization: Bearer ",
 * "/home/", "scheme://") leave it out of the span. Placeholders never match a detector, so
 * redacting twice gives the same as once. No I/O, no globals: safe from any thread. */
#pragma once

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* The finding types; redact_type_name() gives the name used in placeholders and --spans. */
enum redact_type {
    REDACT_EMAIL,
    REDACT_IP,
    REDACT_MAC,
    REDACT_PHONE,
    REDACT_CARD,
    REDACT_IBAN,
    REDACT_SSN,
    REDACT_SECRET,
    REDACT_URL_CREDENTIALS,
    REDACT_PATH_USER,
    REDACT_CONTAINER_ID,
    REDACT__COUNT
};

/* One finding: bytes [start, end) of the input. */
struct redact_span {
    size_t start, end;
    enum redact_type type;
};

enum redact_mode { REDACT_MASK, REDACT_PSEUDONYM };

/* How to replace: mode, and for REDACT_PSEUDONYM the key (borrowed; NULL/0 means mask). */
struct redact_opts {
    enum redact_mode mode;
    const unsigned char *key;
    size_t key_len;
};

/* The longest placeholder, "[URL_CREDENTIALS:abcd]": the output of redact_text_opts is at
 * most len + REDACT_PLACEHOLDER_MAX bytes per finding (and never more than out's cap). */
#define REDACT_PLACEHOLDER_MAX 22

/* Return the name of t ("EMAIL", "IP", ..., "CONTAINER_ID"); "?" when out of range. */
const char *redact_type_name(enum redact_type t);
/* Find the findings in in[0..len): sorted, non-overlapping; returns how many were written
 * to out (at most max; the first max when there are more). */
size_t redact_find(const char *in, size_t len, struct redact_span *out, size_t max);
/* Append the redacted form of in to out; ERR_TOO_LARGE when out's cap is hit (out then
 * holds a redacted prefix, never raw PII). o NULL means mask mode. */
enum err redact_text_opts(const char *in, size_t len, const struct redact_opts *o, struct buf *out);
/* Append the redacted form of in to out in mask mode. */
enum err redact_text(const char *in, size_t len, struct buf *out);
/* Redact line into out (cap out_cap, NUL-terminated; a line too long is cut after
 * redaction) and return the length: a core/log filter. ctx: const struct redact_opts *,
 * or NULL for mask mode. */
size_t redact_log_filter(void *ctx, const char *line, size_t len, char *out, size_t out_cap);
