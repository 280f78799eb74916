/* SPDX-License-Identifier: MIT */
/* api_auth.c -- token authentication for every non-public route.
 *
 * Accepts "Authorization: Bearer TOKEN" or "Token TOKEN". Positive checks are cached for
 * API_TOKEN_CACHE_MS keyed by the token's SHA-256 (the token itself is never kept or
 * logged), so a revoked token can live on for up to that long. */
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"

#define TOKEN_MAX_LEN 256

static bool cache_has(struct api_server *a, const char *sha)
{
    int64_t now = clock_mono_ms();
    bool hit = false;
    pthread_mutex_lock(&a->auth_mu);
    for (size_t i = 0; i < API_TOKEN_CACHE_SLOTS && !hit; i++)
        hit = a->cache[i].expires_ms > now && strcmp(a->cache[i].sha256, sha) == 0;
    pthread_mutex_unlock(&a->auth_mu);
    return hit;
}

static void cache_put(struct api_server *a, const char *sha)
{
    pthread_mutex_lock(&a->auth_mu);
    struct api_token_cache_entry *c = &a->cache[a->cache_next++ % API_TOKEN_CACHE_SLOTS];
    memcpy(c->sha256, sha, sizeof(c->sha256));
    c->expires_ms = clock_mono_ms() + API_TOKEN_CACHE_MS;
    pthread_mutex_unlock(&a->auth_mu);
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

bool api_auth_check(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
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
    enum err e = store_token_check(a->ctx.st, token, &is_valid, &eb);
    explicit_bzero(token, sizeof(token));
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return false;
    }
    if (!is_valid)
        return deny(resp, "Invalid token.");
    cache_put(a, sha);
    return true;
}
