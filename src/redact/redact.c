/* SPDX-License-Identifier: MIT */
/* redact.c -- placeholders, pseudonyms and the text/log entry points over redact_scan(). */
#include "redact/redact.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/crypto.h"
#include "redact/redact_int.h"

#define BATCH 64 /* spans found per scan call */

static const char *const type_names[REDACT__COUNT] = {
    [REDACT_EMAIL] = "EMAIL",
    [REDACT_IP] = "IP",
    [REDACT_MAC] = "MAC",
    [REDACT_PHONE] = "PHONE",
    [REDACT_CARD] = "CARD",
    [REDACT_IBAN] = "IBAN",
    [REDACT_SSN] = "SSN",
    [REDACT_SECRET] = "SECRET",
    [REDACT_URL_CREDENTIALS] = "URL_CREDENTIALS",
    [REDACT_PATH_USER] = "PATH_USER",
    [REDACT_CONTAINER_ID] = "CONTAINER_ID",
};

const char *redact_type_name(enum redact_type t)
{
    return (unsigned)t < REDACT__COUNT ? type_names[t] : "?";
}

static bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

size_t redact_placeholder_len(const char *in, size_t len)
{
    if (len < 3 || in[0] != '[')
        return 0;
    for (int t = 0; t < REDACT__COUNT; t++) {
        size_t n = strlen(type_names[t]);
        if (len < n + 2 || memcmp(in + 1, type_names[t], n) != 0)
            continue;
        if (in[n + 1] == ']')
            return n + 2;
        if (len >= n + 7 && in[n + 1] == ':' && is_lower_hex(in[n + 2]) &&
            is_lower_hex(in[n + 3]) && is_lower_hex(in[n + 4]) && is_lower_hex(in[n + 5]) &&
            in[n + 6] == ']')
            return n + 7;
    }
    return 0;
}

size_t redact_find(const char *in, size_t len, struct redact_span *out, size_t max)
{
    return redact_scan(in, len, 0, out, max);
}

static enum err put_placeholder(struct buf *out,
                                const struct crypto_hmac *h,
                                const char *in,
                                const struct redact_span *s)
{
    const char *name = redact_type_name(s->type);
    char ph[REDACT_PLACEHOLDER_MAX + 1];
    size_t n = strlen(name);
    ph[0] = '[';
    memcpy(ph + 1, name, n);
    n++;
    if (h) {
        static const char hex[] = "0123456789abcdef";
        unsigned char mac[CRYPTO_SHA256_LEN];
        /* The type name and its NUL: one e-mail and one secret of the same text differ. */
        crypto_hmac_sha256_parts(h, name, strlen(name) + 1, in + s->start, s->end - s->start, mac);
        ph[n++] = ':';
        ph[n++] = hex[mac[0] >> 4];
        ph[n++] = hex[mac[0] & 15];
        ph[n++] = hex[mac[1] >> 4];
        ph[n++] = hex[mac[1] & 15];
    }
    ph[n++] = ']';
    return buf_append(out, ph, n);
}

enum err redact_text_opts(const char *in, size_t len, const struct redact_opts *o, struct buf *out)
{
    struct crypto_hmac h;
    bool keyed = o && o->mode == REDACT_PSEUDONYM && o->key && o->key_len > 0;
    if (keyed)
        crypto_hmac_sha256_init(&h, o->key, o->key_len);
    struct redact_span sp[BATCH];
    size_t pos = 0;
    enum err e = ERR_OK;
    while (e == ERR_OK) {
        size_t n = redact_scan(in, len, pos, sp, BATCH);
        for (size_t k = 0; k < n && e == ERR_OK; k++) {
            e = buf_append(out, in + pos, sp[k].start - pos);
            if (e == ERR_OK)
                e = put_placeholder(out, keyed ? &h : NULL, in, &sp[k]);
            pos = sp[k].end;
        }
        if (n < BATCH) {
            if (e == ERR_OK)
                e = buf_append(out, in + pos, len - pos);
            break;
        }
    }
    if (keyed)
        memset(&h, 0, sizeof(h));
    return e;
}

enum err redact_text(const char *in, size_t len, struct buf *out)
{
    return redact_text_opts(in, len, NULL, out);
}

size_t redact_log_filter(void *ctx, const char *line, size_t len, char *out, size_t out_cap)
{
    if (out_cap == 0)
        return 0;
    struct buf b;
    /* The output bound: a finding is at least one byte and grows to at most a placeholder. */
    buf_init(&b, len * (REDACT_PLACEHOLDER_MAX + 1) + 1);
    enum err e = redact_text_opts(line, len, (const struct redact_opts *)ctx, &b);
    /* Cut after redaction, so a long line is shortened rather than written unredacted. */
    size_t n = e == ERR_OK && buf_len(&b) < out_cap ? buf_len(&b) : out_cap - 1;
    if (n > buf_len(&b))
        n = buf_len(&b);
    memcpy(out, buf_str(&b), n);
    out[n] = '\0';
    buf_fini(&b);
    return n;
}
