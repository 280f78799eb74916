/* SPDX-License-Identifier: MIT */
/* crypto.c -- SHA-256 and randomness through libcrypto / getrandom. */
#include "core/crypto.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

void crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEX_LEN])
{
    unsigned char md[32];
    unsigned int md_len = 0;
    EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = '\0';
}

enum err crypto_random_hex(size_t n_bytes, char *out, size_t out_cap)
{
    unsigned char raw[64];
    if (n_bytes > sizeof(raw) || out_cap < 2 * n_bytes + 1)
        return ERR_INVALID;
    size_t got = 0;
    while (got < n_bytes) {
        ssize_t n = getrandom(raw + got, n_bytes - got, 0);
        if (n < 0)
            return ERR_IO;
        got += (size_t)n;
    }
    for (size_t i = 0; i < n_bytes; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    out[2 * n_bytes] = '\0';
    return ERR_OK;
}

int crypto_streq_ct(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    size_t n = la < lb ? la : lb;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}
