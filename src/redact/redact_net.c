/* SPDX-License-Identifier: MIT */
/* redact_net.c -- network identifiers: e-mail addresses, URL credentials, IPv4, IPv6 and
 * MAC addresses (colon, dash and Cisco dotted forms).
 *
 * Left alone: 0.0.0.0, 127.0.0.0/8, :: and ::1 (they name no one), versions ("version
 * 1.2.3.4", "v1.2.3.4"), OIDs and dotted numbers inside longer dotted tokens, clock times
 * (18:52:50), and anything glued to a word. */
#include <string.h>
#include <strings.h>

#include "redact/redact_int.h"

static bool set(struct redact_span *s, size_t start, size_t end, enum redact_type t)
{
    s->start = start;
    s->end = end;
    s->type = t;
    return true;
}

/* A byte after a token that glues it to what follows: one of cls, or the '[' that may start
 * a placeholder (it stood for such bytes before redaction: keeps redaction idempotent). */
static bool glued(char c, unsigned cls)
{
    return c == '[' || rc_is(c, cls);
}

static size_t hex_run(const char *in, size_t len, size_t i, size_t max)
{
    size_t k = i;
    while (k < len && k - i <= max && rc_is(in[k], RC_HEX))
        k++;
    return k - i;
}

bool redact_det_email(const struct rscan *sc, size_t i, struct redact_span *s)
{
    const char *in = sc->in;
    size_t a = i;
    while (a > sc->lo && rc_is(in[a - 1], RC_LOCAL) && i - a < 128)
        a--;
    while (a < i && (in[a] == '.' || in[a] == '-' || in[a] == '+'))
        a++;
    if (a == i)
        return false;
    size_t d = i + 1;
    while (d < sc->len && (rc_is(in[d], RC_WORD) || in[d] == '-' || in[d] == '.') && d - i < 256)
        d++;
    if (d < sc->len && in[d] == '[' && redact_placeholder_len(in + d, sc->len - d))
        return false; /* glued to what the placeholder replaced */
    /* A sentence may end right after the address: its final dots are not the domain's. */
    while (d > i + 1 && (in[d - 1] == '.' || in[d - 1] == '-'))
        d--;
    const char *dot = d > i + 1 ? memrchr(in + i + 1, '.', d - i - 1) : NULL;
    size_t last_dot = dot ? (size_t)(dot - in) : 0;
    if (!dot || last_dot <= i + 1 || last_dot + 2 >= d || in[i + 1] == '-' ||
        memmem(in + i + 1, d - i - 1, "..", 2))
        return false;
    for (size_t k = last_dot + 1; k < d; k++)
        if (!rc_is(in[k], RC_ALPHA)) /* the top-level domain is letters */
            return false;
    return set(s, a, d, REDACT_EMAIL);
}

/* scheme://user:password@host: the span is user:password. */
bool redact_det_url_creds(const struct rscan *sc, size_t i, struct redact_span *s)
{
    const char *in = sc->in;
    size_t len = sc->len, k = i + 3, colon = 0, at = 0;
    if (k >= len || in[i + 1] != '/' || in[i + 2] != '/' || i <= sc->lo ||
        !rc_is(in[i - 1], RC_WORD))
        return false;
    if (redact_placeholder_len(in + k, len - k))
        return false;
    for (; k < len && k - i < 1024; k++) {
        char c = in[k];
        /* A placeholder ends it: it may stand for a space (and a pseudonym's ':' is no
         * password separator). */
        if (rc_is(c, RC_SPACE) || c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' ||
            c == '<' || c == '>' || (c == '[' && redact_placeholder_len(in + k, len - k)))
            break;
        if (c == '@')
            at = k; /* the last one: a user name may hold an '@' */
        else if (c == ':' && !colon)
            colon = k;
    }
    if (!at || !colon || colon > at || at == i + 3)
        return false;
    return set(s, i + 3, at, REDACT_URL_CREDENTIALS);
}

/* Parse dotted-quad IPv4 at i; returns its end or 0. */
static size_t ipv4_end(const char *in, size_t len, size_t i)
{
    for (int part = 0; part < 4; part++) {
        size_t n = 0;
        unsigned v = 0;
        while (i < len && rc_is(in[i], RC_DIGIT) && n < 4) {
            v = v * 10 + (unsigned)(in[i] - '0');
            i++;
            n++;
        }
        if (n == 0 || n > 3 || v > 255)
            return 0;
        if (part < 3) {
            if (i >= len || in[i] != '.')
                return 0;
            i++;
        }
    }
    return i;
}

/* The word before the token at i, when it names a version ("version 1.2.3.4"). */
static bool after_version_word(const char *in, size_t lo, size_t i)
{
    static const char *const words[] = {"version", "ver", "release", "build",   "firmware",
                                        "kernel",  "v",   "rev",     "revision"};
    size_t e = i;
    /* product/1.2.3.4, as in a User-Agent */
    if (i >= lo + 2 && in[i - 1] == '/' && rc_is(in[i - 2], RC_ALPHA))
        return true;
    while (e > lo && (in[e - 1] == ' ' || in[e - 1] == ':' || in[e - 1] == '='))
        e--;
    size_t b = e;
    while (b > lo && rc_is(in[b - 1], RC_ALPHA) && e - b < 12)
        b--;
    if (b == e || e == i)
        return false;
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
        if (strlen(words[w]) == e - b && strncasecmp(in + b, words[w], e - b) == 0)
            return true;
    return false;
}

bool redact_det_ipv4(const struct rscan *sc, size_t i, struct redact_span *s)
{
    const char *in = sc->in;
    size_t e = ipv4_end(in, sc->len, i);
    if (e == 0)
        return false;
    /* A longer dotted token (OIDs, 1.2.3.4.5) or a glued word is no address. */
    if (e < sc->len &&
        (rc_is(in[e], RC_WORD) || (in[e] == '.' && e + 1 < sc->len && glued(in[e + 1], RC_WORD))))
        return false;
    if ((e - i == 7 && memcmp(in + i, "0.0.0.0", 7) == 0) || memcmp(in + i, "127.", 4) == 0)
        return false;
    if (after_version_word(in, sc->lo, i))
        return false;
    return set(s, i, e, REDACT_IP);
}

/* Six pairs of hex separated by sep, or Cisco's three quads separated by '.'. */
static size_t mac_end(const char *in, size_t len, size_t i, char sep)
{
    size_t groups = sep == '.' ? 3 : 6, glen = sep == '.' ? 4 : 2, k = i;
    bool has_alpha = false;
    for (size_t g = 0; g < groups; g++) {
        if (hex_run(in, len, k, glen) != glen)
            return 0;
        for (size_t j = k; j < k + glen; j++)
            has_alpha |= rc_is(in[j], RC_ALPHA);
        k += glen;
        if (g + 1 < groups) {
            if (k >= len || in[k] != sep)
                return 0;
            k++;
        }
    }
    if (k < len && (rc_is(in[k], RC_WORD) || ((in[k] == sep || in[k] == ':' || in[k] == '-') &&
                                              k + 1 < len && glued(in[k + 1], RC_HEX))))
        return 0;
    return sep == '.' && !has_alpha ? 0 : k;
}

/* A MAC with '-' or '.' at ws, or (trigger '-') at the hex pair before i. */
bool redact_det_mac_sep(const struct rscan *sc, size_t i, struct redact_span *s)
{
    size_t ws = i;
    if (sc->in[i] == '-') {
        if (i < sc->lo + 2 || i < 2)
            return false;
        ws = i - 2;
    }
    if (!rc_starts(sc, ws, RC_WORD | RC_KEY | RC_LOCAL))
        return false;
    char sep = ws + 2 < sc->len ? sc->in[ws + 2] : 0;
    if (sep != '-' && !(ws + 4 < sc->len && sc->in[ws + 4] == '.'))
        return false;
    size_t e = mac_end(sc->in, sc->len, ws, sep == '-' ? '-' : '.');
    return e ? set(s, ws, e, REDACT_MAC) : false;
}

/* Parse IPv6 at k (groups of 1-4 hex, one "::" at most, an IPv4 tail); returns its end. */
static size_t ipv6_end(const char *in, size_t len, size_t k, size_t *groups, bool *dbl)
{
    *groups = 0;
    *dbl = false;
    if (k + 1 < len && in[k] == ':' && in[k + 1] == ':') {
        *dbl = true;
        k += 2;
    }
    while (k < len && *groups < 8) {
        size_t h = hex_run(in, len, k, 4);
        if (h == 0 || h > 4)
            return h > 4 ? 0 : k;
        if (k + h < len && in[k + h] == '.' && *groups <= 6) {
            size_t e = ipv4_end(in, len, k);
            if (e == 0)
                return 0;
            *groups += 2;
            return e;
        }
        k += h;
        (*groups)++;
        if (k + 1 < len && in[k] == ':' && in[k + 1] == ':' && !*dbl) {
            *dbl = true;
            k += 2;
        } else if (k + 1 < len && in[k] == ':' && rc_is(in[k + 1], RC_HEX)) {
            k++;
        } else {
            break;
        }
    }
    return k;
}

/* At ':': a colon MAC or an IPv6 address that starts with the hex group before i (or with
 * "::" at i). Clock times (18:52:50) have no "::" and too few groups. */
bool redact_det_colon(const struct rscan *sc, size_t i, struct redact_span *s)
{
    const char *in = sc->in;
    size_t ws = i;
    while (ws > sc->lo && rc_is(in[ws - 1], RC_HEX) && i - ws < 5)
        ws--;
    if (i - ws > 4 || (ws == i && (i + 1 >= sc->len || in[i + 1] != ':')))
        return false;
    if (!rc_starts(sc, ws, RC_WORD | RC_KEY | RC_LOCAL) || (ws > sc->lo && in[ws - 1] == ':'))
        return false;
    size_t e = i - ws == 2 ? mac_end(in, sc->len, ws, ':') : 0;
    if (e)
        return set(s, ws, e, REDACT_MAC);
    size_t groups;
    bool dbl;
    e = ipv6_end(in, sc->len, ws, &groups, &dbl);
    if (e == 0 || (e < sc->len && (rc_is(in[e], RC_WORD) || in[e] == ':')) ||
        (e + 1 < sc->len && in[e] == '.' && glued(in[e + 1], RC_WORD)))
        return false;
    if (!(dbl ? groups <= 7 : groups == 8))
        return false;
    /* "a::b" in code (C++, Rust paths): a short address needs a digit. */
    bool has_digit = false;
    for (size_t k = ws; k < e && !has_digit; k++)
        has_digit = rc_is(in[k], RC_DIGIT);
    if (!has_digit && groups < 3)
        return false;
    /* :: and ::1 name no one. */
    if ((e - ws == 2 && dbl) || (e - ws == 3 && memcmp(in + ws, "::1", 3) == 0))
        return false;
    return set(s, ws, e, REDACT_IP);
}
