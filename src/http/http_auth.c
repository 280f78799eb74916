/* SPDX-License-Identifier: MIT */
/* http_auth.c -- bearer token checks with a short positive cache (the API and /mcp share it).
 *
 * Accepts "Authorization: Bearer TOKEN" or "Token TOKEN". Positive checks are cached for
 * HTTP_TOKEN_CACHE_MS keyed by the token's SHA-256 (the token itself is never kept or
 * logged), so a revoked token can live on for up to that long. */
#include "http/http.h"

#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"

#define TOKEN_MAX_LEN 256

void http_token_auth_init(struct http_token_auth *a, http_token_verify_fn *verify, void *ctx)
{
    memset(a, 0, sizeof(*a));
    pthread_mutex_init(&a->mu, NULL);
    a->verify = verify;
    a->ctx = ctx;
}

void http_token_auth_fini(struct http_token_auth *a)
{
    pthread_mutex_destroy(&a->mu);
    explicit_bzero(a->cache, sizeof(a->cache));
}

static bool cache_has(struct http_token_auth *a, const char *sha)
{
    int64_t now = clock_mono_ms();
    bool hit = false;
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < HTTP_TOKEN_CACHE_SLOTS && !hit; i++)
        hit = a->cache[i].expires_ms > now && strcmp(a->cache[i].sha256, sha) == 0;
    pthread_mutex_unlock(&a->mu);
    return hit;
}

static void cache_put(struct http_token_auth *a, const char *sha)
{
    pthread_mutex_lock(&a->mu);
    size_t i = a->next++ % HTTP_TOKEN_CACHE_SLOTS;
    memcpy(a->cache[i].sha256, sha, sizeof(a->cache[i].sha256));
    a->cache[i].expires_ms = clock_mono_ms() + HTTP_TOKEN_CACHE_MS;
    pthread_mutex_unlock(&a->mu);
}

/* Point *tok at the token in an Authorization value; false when the scheme is not ours. */
static bool split_header(const char *h, const char **tok, size_t *len)
{
    size_t skip = 0;
    if (strncasecmp(h, "Bearer ", 7) == 0)
        skip = 7;
    else if (strncasecmp(h, "Token ", 6) == 0)
        skip = 6;
    else
        return false;
    const char *p = h + skip;
    while (*p == ' ')
        p++;
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    *tok = p;
    *len = n;
    return true;
}

static bool deny(struct http_resp *resp, const char *detail)
{
    http_reply_error(resp, ERR_UNAUTHORIZED, detail);
    return false;
}

bool http_token_auth_check(struct http_token_auth *a, struct http_req *req, struct http_resp *resp)
{
    const char *h = http_req_header(req, "Authorization");
    const char *tok = NULL;
    size_t len = 0;
    if (!h || !split_header(h, &tok, &len))
        return deny(resp, "Authentication credentials were not provided.");
    if (len == 0)
        return deny(resp, "Invalid token header. No credentials provided.");
    if (len > TOKEN_MAX_LEN || memchr(tok, ' ', len))
        return deny(resp, "Invalid token.");
    char sha[CRYPTO_SHA256_HEX_LEN];
    crypto_sha256_hex(tok, len, sha);
    if (cache_has(a, sha))
        return true;
    char token[TOKEN_MAX_LEN + 1];
    memcpy(token, tok, len);
    token[len] = '\0';
    bool is_valid = false;
    struct errbuf eb = {{0}};
    enum err e = a->verify(a->ctx, token, &is_valid, &eb);
    explicit_bzero(token, sizeof(token));
    if (e != ERR_OK) {
        if (err_http_status(e) >= 500) {
            log_error("http", "event=auth.error err=%s detail=\"%s\"", err_name(e),
                      errbuf_get(&eb, e));
            http_reply_error(resp, e, NULL);
        } else {
            http_reply_error(resp, e, errbuf_get(&eb, e));
        }
        return false;
    }
    if (!is_valid)
        return deny(resp, "Invalid token.");
    cache_put(a, sha);
    return true;
}
