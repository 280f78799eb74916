/* SPDX-License-Identifier: MIT */
/* redact.h -- PII/secret redaction of text (pure: bytes in, bytes out).
 *
 * Detectors: e-mail addresses, IPv4/IPv6 and MAC addresses, card numbers (Luhn),
 * secrets in key=value / key: value pairs and Bearer tokens, passwords in URLs,
 * user names in home-directory paths, and container-style hex ids (masked to 4 chars).
 * No I/O, no globals: safe from any thread. The first version for issue #2; the full
 * engine (IBANs, national ids, phone numbers, golden files) is issue #5. */
#pragma once

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Append the redacted form of in (len bytes) to out; ERR_TOO_LARGE when out's cap is hit. */
enum err redact_text(const char *in, size_t len, struct buf *out);
/* log_filter_fn for core/log: redact line into out (cap out_cap, NUL-terminated). */
size_t redact_log_filter(void *ctx, const char *line, size_t len, char *out, size_t out_cap);
