/* SPDX-License-Identifier: MIT */
/* redact_secret.c -- secrets and user names: values of secret keys (key=value, "key":
 * "value", key: value), Authorization / Cookie / Set-Cookie header values, known token
 * formats (AWS key ids, GitHub, GitLab, Slack, JWTs), PEM private key blocks, and the
 * user name of home paths (/home/u/, /Users/u/, C:\Users\u\, C:/Users/u/).
 *
 * Prefix rules keep their prefix: the span is only the value ("password=" stays, and so
 * does an Authorization scheme like "Bearer "). A value that is already a placeholder is
 * left, which keeps redaction idempotent. */
#include <string.h>
#include <strings.h>

#include "redact/redact_int.h"

enum key_kind { KEY_NONE, KEY_SECRET, KEY_AUTH, KEY_COOKIE };

static bool set(struct redact_span *s, size_t start, size_t end, enum redact_type t)
{
    s->start = start;
    s->end = end;
    s->type = t;
    return true;
}

static bool ends_with(const char *k, size_t n, const char *suffix, size_t m)
{
    return n >= m && strncasecmp(k + n - m, suffix, m) == 0;
}

#define SUFFIX(s)        \
    {                    \
        s, sizeof(s) - 1 \
    }

static enum key_kind key_kind(const char *k, size_t n)
{
    static const struct {
        const char *s;
        size_t n;
    } by_d[] = {SUFFIX("password"), SUFFIX("passwd"), SUFFIX("pwd")}, by_t[] = {SUFFIX("secret")},
      by_n[] = {SUFFIX("token")},
      by_y[] = {SUFFIX("api_key"),    SUFFIX("apikey"),     SUFFIX("api-key"),
                SUFFIX("access_key"), SUFFIX("accesskey"),  SUFFIX("private_key"),
                SUFFIX("privatekey"), SUFFIX("secret_key"), SUFFIX("secretkey")},
      by_e[] = {SUFFIX("passphrase")}, by_l[] = {SUFFIX("credential")},
      by_s[] = {SUFFIX("credentials")};
#define TRY(list)                                               \
    for (size_t j = 0; j < sizeof(list) / sizeof(list[0]); j++) \
        if (ends_with(k, n, list[j].s, list[j].n))              \
            return KEY_SECRET;                                  \
    return KEY_NONE
    switch (k[n - 1] | 0x20) {
    case 'd':
        TRY(by_d);
    case 't':
        TRY(by_t);
    case 'n':
        if (ends_with(k, n, "authorization", 13) && (n == 13 || k[n - 14] == '-'))
            return KEY_AUTH;
        TRY(by_n);
    case 'y':
        TRY(by_y);
    case 'e':
        if ((n == 6 && strncasecmp(k, "cookie", 6) == 0) ||
            (n == 10 && strncasecmp(k, "set-cookie", 10) == 0))
            return KEY_COOKIE;
        TRY(by_e);
    case 'l':
        TRY(by_l);
    case 's':
        TRY(by_s);
    default:
        return KEY_NONE;
    }
#undef TRY
}

/* The end of the line that holds i (a '\r' or '\n' ends it), with trailing spaces cut. */
static size_t line_end(const char *in, size_t len, size_t i)
{
    size_t e = i;
    while (e < len && in[e] != '\n' && in[e] != '\r')
        e++;
    while (e > i && (in[e - 1] == ' ' || in[e - 1] == '\t'))
        e--;
    return e;
}

static size_t token_end(const char *in, size_t len, size_t i)
{
    while (i < len && !rc_is(in[i], RC_VALEND))
        i++;
    return i;
}

/* An Authorization value [vb, ve): "Scheme credentials" keeps the scheme; a one-token
 * scheme (Bearer, Basic, Token) hides one token, others (Digest, AWS4-...) the rest. */
static bool
auth_value(const char *in, size_t len, size_t vb, size_t ve, struct redact_span *s, size_t *next)
{
    size_t t = vb;
    while (t < ve && in[t] != ' ')
        t++;
    size_t cb = t;
    while (cb < ve && in[cb] == ' ')
        cb++;
    if (cb >= ve)
        return set(s, vb, token_end(in, ve, vb), REDACT_SECRET);
    if (redact_placeholder_len(in + cb, len - cb)) {
        *next = cb;
        return false;
    }
    bool one = (t - vb == 6 && strncasecmp(in + vb, "bearer", 6) == 0) ||
               (t - vb == 5 && strncasecmp(in + vb, "basic", 5) == 0) ||
               (t - vb == 5 && strncasecmp(in + vb, "token", 5) == 0);
    size_t ce = one ? token_end(in, ve, cb) : ve, stars = cb;
    while (stars < ce && in[stars] == '*')
        stars++;
    return stars < ce && set(s, cb, ce, REDACT_SECRET); /* "basic ***" is masked already */
}

/* False for values that hold no secret: "password: YES" (MySQL's "using password"),
 * already masked "***", and PWD=/a/path (the working directory, not a password). */
static bool secret_value(const char *key, size_t key_len, const char *v, size_t n)
{
    static const char *const flags[] = {"yes", "no", "true", "false", "null", "none"};
    for (size_t j = 0; j < sizeof(flags) / sizeof(flags[0]); j++)
        if (strlen(flags[j]) == n && strncasecmp(v, flags[j], n) == 0)
            return false;
    size_t stars = 0;
    while (stars < n && v[stars] == '*')
        stars++;
    if (stars == n)
        return false;
    return !(key_len == 3 && strncasecmp(key, "pwd", 3) == 0 && (v[0] == '/' || v[0] == '~'));
}

/* At '=' or ':': the value of a secret key, an Authorization or a Cookie header. */
bool redact_det_keyed(const struct rscan *sc, size_t i, struct redact_span *s, size_t *next)
{
    const char *in = sc->in;
    size_t len = sc->len, ke = i, kb, vb = i + 1, ve;
    while (ke > sc->lo && in[ke - 1] == ' ' && i - ke < 4)
        ke--;
    if (ke > sc->lo && (in[ke - 1] == '"' || in[ke - 1] == '\''))
        ke--;
    kb = ke;
    while (kb > sc->lo && rc_is(in[kb - 1], RC_KEY) && ke - kb < 64)
        kb--;
    enum key_kind kind = kb < ke ? key_kind(in + kb, ke - kb) : KEY_NONE;
    if (kind == KEY_NONE)
        return false;
    while (vb < len && (in[vb] == ' ' || in[vb] == '\t') && vb - i < 16)
        vb++;
    if (vb >= len)
        return false;
    char q = in[vb];
    if (q == '"' || q == '\'') {
        const char *close = memchr(in + vb + 1, q, line_end(in, len, vb + 1) - vb - 1);
        vb++;
        ve = close ? (size_t)(close - in) : line_end(in, len, vb);
    } else {
        ve = kind == KEY_SECRET ? token_end(in, len, vb) : line_end(in, len, vb);
    }
    if (vb < len && redact_placeholder_len(in + vb, len - vb)) {
        *next = vb;
        return false;
    }
    if (vb >= ve || !secret_value(in + kb, ke - kb, in + vb, ve - vb))
        return false;
    /* "private_key": "-----BEGIN ...-----\n": the block, as where it stands alone. */
    if (len - vb > 11 && memcmp(in + vb, "-----BEGIN ", 11) == 0 && redact_det_pem(sc, vb, s))
        return true;
    if (kind == KEY_AUTH)
        return auth_value(in, len, vb, ve, s, next);
    return set(s, vb, ve, REDACT_SECRET);
}

/* The user segment at u: up to a separator; not empty, not a placeholder. */
static bool user_segment(const struct rscan *sc, size_t u, struct redact_span *s)
{
    size_t e = u;
    while (e < sc->len && e - u < 256 && sc->in[e] != '/' && sc->in[e] != '\\' &&
           sc->in[e] != ':' && !rc_is(sc->in[e], RC_VALEND))
        e++;
    if (e == u || redact_placeholder_len(sc->in + u, sc->len - u))
        return false;
    return set(s, u, e, REDACT_PATH_USER);
}

/* At '/': /home/u, /Users/u (also C:/Users/u); at '\\': C:\Users\u and C:\\Users\\u. */
bool redact_det_home(const struct rscan *sc, size_t i, struct redact_span *s)
{
    const char *in = sc->in;
    size_t len = sc->len;
    if (in[i] == '/') {
        if (len - i > 6 && memcmp(in + i, "/home/", 6) == 0)
            return user_segment(sc, i + 6, s);
        if (len - i > 7 && memcmp(in + i, "/Users/", 7) == 0)
            return user_segment(sc, i + 7, s);
        return false;
    }
    if (i < sc->lo + 2 || in[i - 1] != ':' || !rc_is(in[i - 2], RC_ALPHA))
        return false;
    size_t n = i + 1 < len && in[i + 1] == '\\' ? 2 : 1;
    if (len - i < 2 * n + 6 || strncasecmp(in + i + n, "users", 5) != 0 || in[i + n + 5] != '\\' ||
        (n == 2 && in[i + n + 6] != '\\'))
        return false;
    return user_segment(sc, i + 2 * n + 5, s);
}

/* At '-': a PEM private key block, whole: to its END line when there is one, else to the
 * end of the line (a key logged one line at a time). */
bool redact_det_pem(const struct rscan *sc, size_t i, struct redact_span *s)
{
    const char *in = sc->in;
    size_t len = sc->len;
    if (len - i < 31 || memcmp(in + i, "-----BEGIN ", 11) != 0)
        return false;
    size_t le = line_end(in, len, i), k = i + 11;
    /* The label: capitals and spaces ("RSA PRIVATE KEY", "OPENSSH PRIVATE KEY"). */
    while (k < le && k - i < 64 && (rc_is(in[k], RC_UPPER) || in[k] == ' '))
        k++;
    if (le - k < 5 || memcmp(in + k, "-----", 5) != 0 ||
        !memmem(in + i + 11, k - i - 11, "PRIVATE KEY", 11))
        return false;
    const char *label_end = in + k;
    const char *end = memmem(label_end + 5, len - (size_t)(label_end + 5 - in), "-----END ", 9);
    const char *close = end ? memmem(end + 9, len - (size_t)(end + 9 - in), "-----", 5) : NULL;
    return set(s, i, close ? (size_t)(close - in) + 5 : le, REDACT_SECRET);
}

static size_t run(const char *in, size_t len, size_t i, const char *extra)
{
    while (i < len && (rc_is(in[i], RC_ALPHA | RC_DIGIT) || (in[i] && strchr(extra, in[i]))))
        i++;
    return i;
}

/* eyJ...: three base64url parts (the last may be empty). */
static size_t jwt_end(const char *in, size_t len, size_t i)
{
    size_t a = run(in, len, i, "_-");
    if (a - i < 10 || a >= len || in[a] != '.')
        return 0;
    size_t b = run(in, len, a + 1, "_-");
    if (b - a - 1 < 10 || b >= len || in[b] != '.')
        return 0;
    return run(in, len, b + 1, "_-");
}

/* The end of a token that starts at i with one of the known prefixes, or 0. */
static size_t token_at(const char *in, size_t len, size_t i)
{
    const char *p = in + i;
    size_t n = len - i, e;
    if (n >= 20 && (memcmp(p, "AKIA", 4) == 0 || memcmp(p, "ASIA", 4) == 0)) {
        e = i + 4;
        while (e < len && e - i < 20 && (rc_is(in[e], RC_UPPER) || rc_is(in[e], RC_DIGIT)))
            e++;
        return e - i == 20 ? e : 0;
    }
    if (n > 24 && p[0] == 'g' && p[1] == 'h' && strchr("pousr", p[2]) && p[3] == '_')
        return (e = run(in, len, i + 4, "")) - i >= 24 ? e : 0;
    if (n > 31 && memcmp(p, "github_pat_", 11) == 0)
        return (e = run(in, len, i + 11, "_")) - i >= 31 ? e : 0;
    if (n > 26 && memcmp(p, "glpat-", 6) == 0)
        return (e = run(in, len, i + 6, "_-")) - i >= 26 ? e : 0;
    if (n > 15 && memcmp(p, "xox", 3) == 0 && strchr("abprs", p[3]) && p[3] && p[4] == '-')
        return (e = run(in, len, i + 5, "-")) - i >= 15 ? e : 0;
    if (n > 23 && memcmp(p, "eyJ", 3) == 0)
        return jwt_end(in, len, i);
    return 0;
}

/* At a word that starts with A, e or g, or (trigger '-') after "xox?" or "glpat": AWS key
 * ids, GitHub/GitLab/Slack tokens, JWTs. */
bool redact_det_token(const struct rscan *sc, size_t i, struct redact_span *s)
{
    if (sc->in[i] == '-') {
        if (i >= sc->lo + 4 && i >= 4 && memcmp(sc->in + i - 4, "xox", 3) == 0)
            i -= 4;
        else if (i >= sc->lo + 5 && i >= 5 && memcmp(sc->in + i - 5, "glpat", 5) == 0)
            i -= 5;
        else
            return false;
    }
    if (!rc_starts(sc, i, RC_WORD))
        return false;
    size_t e = token_at(sc->in, sc->len, i);
    if (e == 0 || (e < sc->len && rc_is(sc->in[e], RC_WORD)))
        return false;
    return set(s, i, e, REDACT_SECRET);
}
