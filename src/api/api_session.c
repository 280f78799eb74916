/* SPDX-License-Identifier: MIT */
/* api_session.c -- browser sessions of the web UI: POST /api/session/ trades an API token for
 * an HttpOnly SameSite=Strict cookie (a random id; the token is never kept), GET answers the
 * session's CSRF token, DELETE logs out. The table lives in memory (a restart logs everyone
 * out); ids and CSRF tokens are kept as SHA-256 / plain random hex, compared in constant time.
 * A request with the cookie and no Authorization header is authenticated by api_auth_check;
 * POST/PUT/PATCH/DELETE made so must carry X-CSRF-Token (403 otherwise). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"

#define SESSION_COOKIE   "cb_session"
#define SESSION_ID_BYTES 32
#define SESSION_TTL_S    (12 * 3600)
#define SESSION_MAX      256

struct api_session_slot {
    char id_sha[CRYPTO_SHA256_HEX_LEN]; /* empty when free */
    char csrf[2 * SESSION_ID_BYTES + 1];
    int64_t expires_ms; /* monotonic */
};

struct api_sessions {
    pthread_mutex_t mu;
    struct api_session_slot slot[SESSION_MAX];
};

struct api_sessions *api_sessions_new(void)
{
    struct api_sessions *s = xcalloc(1, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void api_sessions_free(struct api_sessions *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    xfree_zero(s, sizeof(*s));
}

/* Copy the value of cookie name from the Cookie header into out; false when absent. */
static bool cookie_get(const struct http_req *req, const char *name, char *out, size_t cap)
{
    const char *h = http_req_header(req, "Cookie");
    size_t nl = strlen(name);
    while (h && *h) {
        while (*h == ' ' || *h == ';')
            h++;
        const char *end = strchr(h, ';');
        size_t len = end ? (size_t)(end - h) : strlen(h);
        if (len > nl && strncmp(h, name, nl) == 0 && h[nl] == '=') {
            size_t vl = len - nl - 1;
            if (vl == 0 || vl >= cap)
                return false;
            memcpy(out, h + nl + 1, vl);
            out[vl] = '\0';
            return true;
        }
        h = end;
    }
    return false;
}

/* Index of the live session of req's cookie (caller holds mu), or -1. */
static int find_locked(struct api_sessions *s, const struct http_req *req)
{
    char id[2 * SESSION_ID_BYTES + 2];
    if (!cookie_get(req, SESSION_COOKIE, id, sizeof(id)))
        return -1;
    char sha[CRYPTO_SHA256_HEX_LEN];
    crypto_sha256_hex(id, strlen(id), sha);
    explicit_bzero(id, sizeof(id));
    int64_t now = clock_mono_ms();
    for (int i = 0; i < SESSION_MAX; i++) {
        if (s->slot[i].id_sha[0] && s->slot[i].expires_ms > now &&
            crypto_streq_ct(s->slot[i].id_sha, sha))
            return i;
    }
    return -1;
}

bool api_session_has_cookie(const struct http_req *req)
{
    char id[2 * SESSION_ID_BYTES + 2];
    bool has = cookie_get(req, SESSION_COOKIE, id, sizeof(id));
    explicit_bzero(id, sizeof(id));
    return has;
}

static bool is_state_changing(enum http_method m)
{
    return m == HTTP_POST || m == HTTP_PUT || m == HTTP_PATCH || m == HTTP_DELETE;
}

/* Find req's session and check its CSRF token on a state-changing request; with do_end, also
 * end the session (logout), all under one lock. False after replying 401 or 403. */
static bool
session_verify(struct api_server *a, struct http_req *req, struct http_resp *resp, bool do_end)
{
    pthread_mutex_lock(&a->sessions->mu);
    int i = find_locked(a->sessions, req);
    bool csrf_ok = true;
    if (i >= 0 && is_state_changing(req->method)) {
        const char *h = http_req_header(req, "X-CSRF-Token");
        csrf_ok = h && crypto_streq_ct(h, a->sessions->slot[i].csrf);
    }
    if (i >= 0 && csrf_ok && do_end)
        memset(&a->sessions->slot[i], 0, sizeof(a->sessions->slot[i]));
    pthread_mutex_unlock(&a->sessions->mu);
    if (i < 0) {
        http_reply_error(resp, ERR_UNAUTHORIZED, "Session expired or unknown; log in again.");
        return false;
    }
    if (!csrf_ok) {
        http_reply_error(resp, ERR_FORBIDDEN, "CSRF token missing or incorrect.");
        return false;
    }
    return true;
}

bool api_session_check(struct api_server *a, struct http_req *req, struct http_resp *resp)
{
    return session_verify(a, req, resp, false);
}

/* Make a session; fill cookie_id and csrf (hex). */
static enum err session_create(struct api_sessions *s, char *id, char *csrf, struct errbuf *eb)
{
    enum err e = crypto_random_hex(SESSION_ID_BYTES, id, 2 * SESSION_ID_BYTES + 1);
    if (e == ERR_OK)
        e = crypto_random_hex(SESSION_ID_BYTES, csrf, 2 * SESSION_ID_BYTES + 1);
    if (e != ERR_OK)
        return errbuf_set(eb, e, "no random bytes for a session");
    int64_t now = clock_mono_ms();
    pthread_mutex_lock(&s->mu);
    int pick = 0; /* a free or expired slot, else the one closest to expiry */
    for (int i = 0; i < SESSION_MAX; i++) {
        if (!s->slot[i].id_sha[0] || s->slot[i].expires_ms <= now) {
            pick = i;
            break;
        }
        if (s->slot[i].expires_ms < s->slot[pick].expires_ms)
            pick = i;
    }
    crypto_sha256_hex(id, strlen(id), s->slot[pick].id_sha);
    memcpy(s->slot[pick].csrf, csrf, sizeof(s->slot[pick].csrf));
    s->slot[pick].expires_ms = now + (int64_t)SESSION_TTL_S * 1000;
    pthread_mutex_unlock(&s->mu);
    return ERR_OK;
}

/* Read and check {"token": "..."}; false after replying. */
static bool login_token_ok(struct api_server *a, struct http_req *req, struct http_resp *resp)
{
    json_t *body = NULL;
    if (!api_body_object(a, req, resp, &body))
        return false;
    const char *tok = jsonx_get_str(body, "token");
    bool ok = false, is_valid = false;
    struct errbuf eb = {{0}};
    if (!tok || !*tok || strlen(tok) > 256) {
        http_reply_field_error(resp, "token", "A token of 1 to 256 characters is required.");
        goto out;
    }
    enum err e = store_token_check(a->ctx.st, tok, &is_valid, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        goto out;
    }
    if (!is_valid) {
        http_reply_error(resp, ERR_UNAUTHORIZED, "Invalid token.");
        goto out;
    }
    ok = true;
out:
    json_decref(body);
    return ok;
}

void api_session_login(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    if (!login_token_ok(a, req, resp))
        return;
    char id[2 * SESSION_ID_BYTES + 1], csrf[2 * SESSION_ID_BYTES + 1];
    struct errbuf eb = {{0}};
    enum err e = session_create(a->sessions, id, csrf, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    /* Behind a TLS proxy (X-Forwarded-Proto: https) the cookie is also Secure. */
    const char *proto = http_req_header(req, "X-Forwarded-Proto");
    bool is_https = proto && strcasecmp(proto, "https") == 0;
    char cookie[256];
    snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
             SESSION_COOKIE, id, SESSION_TTL_S, is_https ? "; Secure" : "");
    explicit_bzero(id, sizeof(id));
    http_reply_json(resp, 200, json_pack("{s:s}", "csrf_token", csrf));
    http_resp_header_add(resp, "Set-Cookie", cookie);
    http_resp_header_add(resp, "Cache-Control", "no-store");
    explicit_bzero(cookie, sizeof(cookie));
    log_info("api", "event=session.login");
}

void api_session_get(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    char csrf[2 * SESSION_ID_BYTES + 1] = "";
    pthread_mutex_lock(&a->sessions->mu);
    int i = find_locked(a->sessions, req);
    if (i >= 0)
        memcpy(csrf, a->sessions->slot[i].csrf, sizeof(csrf));
    pthread_mutex_unlock(&a->sessions->mu);
    if (i < 0) {
        http_reply_error(resp, ERR_UNAUTHORIZED, "Not logged in.");
        return;
    }
    http_reply_json(resp, 200, json_pack("{s:s}", "csrf_token", csrf));
    http_resp_header_add(resp, "Cache-Control", "no-store");
}

void api_session_logout(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    if (!session_verify(a, req, resp, true))
        return;
    http_reply_no_content(resp);
    http_resp_header_add(resp, "Set-Cookie",
                         SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    log_info("api", "event=session.logout");
}
