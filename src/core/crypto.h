/* SPDX-License-Identifier: MIT */
/* crypto.h -- random tokens, SHA-256 digests and HMAC-SHA256 (in-tree SHA-256, getrandom).
 *
 * Used for API tokens (stored as SHA-256 hex only) and instance ids. Thread-safe. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define CRYPTO_SHA256_HEX_LEN 65
#define CRYPTO_SHA256_LEN     32

/* An HMAC-SHA256 key schedule: the hash states after the inner and outer padded keys.
 * Fields are private; use the API. Read-only once set up, so threads may share one. */
struct crypto_hmac {
    uint32_t inner[8];
    uint32_t outer[8];
};

/* Write the lowercase SHA-256 hex digest of data into out (65 bytes with NUL). */
void crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEX_LEN]);
/* Set up h for HMAC-SHA256 (RFC 2104) with key (any length; longer than 64 is hashed). */
void crypto_hmac_sha256_init(struct crypto_hmac *h, const void *key, size_t key_len);
/* Write HMAC-SHA256(key, a || b) into out (the two parts spare the caller a copy). */
void crypto_hmac_sha256_parts(const struct crypto_hmac *h,
                              const void *a,
                              size_t a_len,
                              const void *b,
                              size_t b_len,
                              unsigned char out[CRYPTO_SHA256_LEN]);
/* Write HMAC-SHA256(key, data) into out. */
void crypto_hmac_sha256(const void *key,
                        size_t key_len,
                        const void *data,
                        size_t len,
                        unsigned char out[CRYPTO_SHA256_LEN]);
/* Fill out with n_bytes random bytes rendered as 2*n_bytes hex chars plus NUL. */
enum err crypto_random_hex(size_t n_bytes, char *out, size_t out_cap);
/* Compare two strings in time independent of where they differ; true when equal. */
int crypto_streq_ct(const char *a, const char *b);
