/* SPDX-License-Identifier: MIT */
/* crypto.c -- SHA-256 and HMAC-SHA256 (in-tree) and randomness through getrandom. */
#include "core/crypto.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

/* SHA-256 (FIPS 180-4) in-tree: libcrypto's EVP path does a provider fetch per call and
 * pages in megabytes of library code, on the hot path of every authenticated request. */
struct sha256 {
    uint32_t h[8];
    uint64_t n_bytes;
    unsigned char block[64];
    size_t used;
};

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64], v[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, h, sizeof(v));
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
                      ((v[4] & v[5]) ^ (~v[4] & v[6])) + K[i] + w[i];
        uint32_t t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
                      ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof(v[0]));
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++)
        h[i] += v[i];
}

static void sha256_update(struct sha256 *c, const unsigned char *p, size_t len)
{
    c->n_bytes += len;
    while (len > 0) {
        size_t take = 64 - c->used < len ? 64 - c->used : len;
        memcpy(c->block + c->used, p, take);
        c->used += take;
        p += take;
        len -= take;
        if (c->used == 64) {
            sha256_block(c->h, c->block);
            c->used = 0;
        }
    }
}

static void sha256_init(struct sha256 *c)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, iv, sizeof(iv));
    c->n_bytes = 0;
    c->used = 0;
}

static void sha256_final(struct sha256 *c, unsigned char out[CRYPTO_SHA256_LEN])
{
    unsigned char pad[72] = {0x80};
    uint64_t bits = c->n_bytes * 8;
    size_t n_pad = (c->used < 56 ? 56 : 120) - c->used;
    for (int i = 0; i < 8; i++)
        pad[n_pad + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_update(c, pad, n_pad + 8);
    for (int i = 0; i < 32; i++)
        out[i] = (unsigned char)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}

void crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEX_LEN])
{
    static const char hex[] = "0123456789abcdef";
    struct sha256 c;
    unsigned char d[CRYPTO_SHA256_LEN];
    sha256_init(&c);
    sha256_update(&c, data, len);
    sha256_final(&c, d);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[64] = '\0';
}

/* HMAC (RFC 2104): H((K ^ opad) || H((K ^ ipad) || m)), K padded (or hashed) to 64 bytes. */
void crypto_hmac_sha256_init(struct crypto_hmac *h, const void *key, size_t key_len)
{
    unsigned char k[64] = {0}, pad[64];
    if (key_len > 64) {
        struct sha256 c;
        sha256_init(&c);
        sha256_update(&c, key, key_len);
        sha256_final(&c, k);
    } else if (key_len > 0) {
        memcpy(k, key, key_len);
    }
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    struct sha256 c;
    sha256_init(&c);
    sha256_update(&c, pad, 64);
    memcpy(h->inner, c.h, sizeof(h->inner));
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    sha256_init(&c);
    sha256_update(&c, pad, 64);
    memcpy(h->outer, c.h, sizeof(h->outer));
    memset(k, 0, sizeof(k));
    memset(pad, 0, sizeof(pad));
}

void crypto_hmac_sha256_parts(const struct crypto_hmac *h,
                              const void *a,
                              size_t a_len,
                              const void *b,
                              size_t b_len,
                              unsigned char out[CRYPTO_SHA256_LEN])
{
    struct sha256 c;
    unsigned char d[CRYPTO_SHA256_LEN];
    memcpy(c.h, h->inner, sizeof(c.h));
    c.n_bytes = 64;
    c.used = 0;
    sha256_update(&c, a, a_len);
    sha256_update(&c, b, b_len);
    sha256_final(&c, d);
    memcpy(c.h, h->outer, sizeof(c.h));
    c.n_bytes = 64;
    c.used = 0;
    sha256_update(&c, d, sizeof(d));
    sha256_final(&c, out);
}

void crypto_hmac_sha256(const void *key,
                        size_t key_len,
                        const void *data,
                        size_t len,
                        unsigned char out[CRYPTO_SHA256_LEN])
{
    struct crypto_hmac h;
    crypto_hmac_sha256_init(&h, key, key_len);
    crypto_hmac_sha256_parts(&h, data, len, "", 0, out);
    memset(&h, 0, sizeof(h));
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
