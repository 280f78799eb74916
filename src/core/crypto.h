/* SPDX-License-Identifier: MIT */
/* crypto.h -- random tokens and SHA-256 digests (in-tree SHA-256, getrandom).
 *
 * Used for API tokens (stored as SHA-256 hex only) and instance ids. Thread-safe. */
#pragma once

#include <stddef.h>

#include "core/err.h"

#define CRYPTO_SHA256_HEX_LEN 65

/* Write the lowercase SHA-256 hex digest of data into out (65 bytes with NUL). */
void crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEX_LEN]);
/* Fill out with n_bytes random bytes rendered as 2*n_bytes hex chars plus NUL. */
enum err crypto_random_hex(size_t n_bytes, char *out, size_t out_cap);
/* Compare two strings in time independent of where they differ; true when equal. */
int crypto_streq_ct(const char *a, const char *b);
