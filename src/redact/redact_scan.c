/* SPDX-License-Identifier: MIT */
/* redact_scan.c -- a single left-to-right scan; at each position the detectors are tried
 * in order and the first match becomes a span. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "redact/redact_int.h"

/* A detector returns the length of its match at in[0..len) or 0. */
typedef size_t detect_fn(const char *in, size_t len);

static bool is_word(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static bool is_hex(char c)
{
    return isxdigit((unsigned char)c) != 0;
}

static size_t span(const char *in, size_t len, const char *set)
{
    size_t i = 0;
    while (i < len && strchr(set, in[i]) && in[i])
        i++;
    return i;
}

static size_t detect_email(const char *in, size_t len)
{
    static const char local[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-";
    static const char dom[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-";
    size_t l = span(in, len, local);
    if (l == 0 || l >= len || in[l] != '@')
        return 0;
    size_t d = span(in + l + 1, len - l - 1, dom);
    /* A sentence may end right after the address: its final dots are not the domain's. */
    while (d > 0 && (in[l + d] == '.' || in[l + d] == '-'))
        d--;
    const char *dot = memchr(in + l + 1, '.', d);
    if (d < 3 || !dot || dot == in + l + 1)
        return 0;
    return l + 1 + d;
}

static size_t detect_ipv4(const char *in, size_t len)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        size_t n = 0;
        int v = 0;
        while (i < len && isdigit((unsigned char)in[i]) && n < 4) {
            v = v * 10 + (in[i] - '0');
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
    if (i < len && (isdigit((unsigned char)in[i]) ||
                    (in[i] == '.' && i + 1 < len && isdigit((unsigned char)in[i + 1]))))
        return 0;
    /* The unspecified address and loopback name no one: keep them readable. */
    if ((i == 7 && strncmp(in, "0.0.0.0", 7) == 0) || strncmp(in, "127.", 4) == 0)
        return 0;
    return i;
}

/* MAC (aa:bb:cc:dd:ee:ff) or IPv6; plain clock times like 18:52:50 are not matched. */
static size_t detect_colon_hex(const char *in, size_t len)
{
    size_t i = 0, colons = 0, group = 0, groups = 0;
    bool has_alpha = false, has_double = false, all_pairs = true;
    while (i < len && (is_hex(in[i]) || in[i] == ':')) {
        if (in[i] == ':') {
            if (group == 0 && i > 0 && in[i - 1] == ':')
                has_double = true;
            all_pairs &= group == 2;
            groups += group > 0;
            group = 0;
            colons++;
        } else {
            has_alpha |= isalpha((unsigned char)in[i]) != 0;
            if (++group > 4)
                return 0;
        }
        i++;
    }
    groups += group > 0;
    all_pairs &= group == 2;
    if (i < len && is_word(in[i]))
        return 0;
    if (colons == 5 && groups == 6 && all_pairs)
        return i;
    if (colons >= 2 && (has_double || (has_alpha && colons >= 3) || colons == 7) && groups >= 2)
        return i;
    return 0;
}

static bool luhn_ok(const char *digits, size_t n)
{
    int sum = 0;
    for (size_t k = 0; k < n; k++) {
        int d = digits[n - 1 - k] - '0';
        if (k % 2 == 1) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return sum % 10 == 0;
}

static size_t detect_card(const char *in, size_t len)
{
    char digits[20];
    size_t n = 0, i = 0, last = 0;
    while (i < len && n < 19 && (isdigit((unsigned char)in[i]) || in[i] == ' ' || in[i] == '-')) {
        if (isdigit((unsigned char)in[i])) {
            digits[n++] = in[i];
            last = i + 1;
        } else if (i + 1 >= len || !isdigit((unsigned char)in[i + 1])) {
            break;
        }
        i++;
    }
    if (n < 13 || (last < len && isdigit((unsigned char)in[last])) || !luhn_ok(digits, n))
        return 0;
    return last;
}

/* Container ids and other long hex strings: 12 or 64 hex characters as a word. */
static size_t detect_hex_id(const char *in, size_t len)
{
    size_t n = 0;
    bool has_alpha = false;
    while (n < len && is_hex(in[n])) {
        has_alpha |= isalpha((unsigned char)in[n]) != 0;
        n++;
    }
    if ((n == 12 || n == 64) && has_alpha && (n >= len || !is_word(in[n])))
        return n;
    return 0;
}

/* MAC when six pairs of hex, else IPv6 (detect_colon_hex matched). */
static enum redact_type colon_type(const char *in, size_t n)
{
    return n == 17 && in[2] == ':' && in[5] == ':' && in[14] == ':' ? REDACT_MAC : REDACT_IP;
}

static const struct {
    detect_fn *fn;
    enum redact_type type;
} detectors[] = {
    {detect_email, REDACT_EMAIL}, {detect_colon_hex, REDACT_IP},        {detect_ipv4, REDACT_IP},
    {detect_card, REDACT_CARD},   {detect_hex_id, REDACT_CONTAINER_ID},
};

static const char *const secret_keys[] = {"password",   "passwd",      "pwd",        "secret",
                                          "token",      "api_key",     "apikey",     "auth",
                                          "credential", "private_key", "access_key", "session"};

/* key=value or key: value where key names a secret: returns bytes up to the value. */
static size_t secret_prefix(const char *in, size_t len)
{
    size_t k = 0;
    while (k < len && (is_word(in[k]) || in[k] == '-'))
        k++;
    if (k == 0 || k >= len)
        return 0;
    bool is_secret = false;
    for (size_t s = 0; s < sizeof(secret_keys) / sizeof(secret_keys[0]) && !is_secret; s++) {
        size_t sl = strlen(secret_keys[s]);
        for (size_t j = 0; j + sl <= k && !is_secret; j++)
            is_secret = strncasecmp(in + j, secret_keys[s], sl) == 0;
    }
    if (!is_secret)
        return 0;
    size_t i = k;
    if (i < len && in[i] == '"')
        i++;
    if (i < len && (in[i] == '=' || in[i] == ':')) {
        i++;
        while (i < len && (in[i] == ' ' || in[i] == '"' || in[i] == '\''))
            i++;
        /* "Authorization: Bearer x" keeps the scheme and hides the credential. */
        if (len - i > 7 && strncasecmp(in + i, "bearer ", 7) == 0)
            i += 7;
        else if (len - i > 6 && strncasecmp(in + i, "basic ", 6) == 0)
            i += 6;
        return i < len ? i : 0;
    }
    return 0;
}

static size_t value_len(const char *in, size_t len)
{
    size_t i = 0;
    while (i < len && !isspace((unsigned char)in[i]) && in[i] != '"' && in[i] != '\'' &&
           in[i] != ',' && in[i] != ';' && in[i] != '&')
        i++;
    return i;
}

/* Rules that keep a prefix: the span is the value after it. Returns bytes consumed or 0. */
static size_t try_prefixed(const char *in, size_t len, bool at_start, struct redact_span *s)
{
    size_t p = 0, v = 0;
    s->type = REDACT_SECRET;
    if (len > 7 && strncasecmp(in, "bearer ", 7) == 0 && at_start) {
        p = 7;
    } else if (len > 3 && strncmp(in, "://", 3) == 0) {
        const char *at = memchr(in + 3, '@', len - 3);
        const char *colon = memchr(in + 3, ':', len - 3);
        v = value_len(in + 3, len - 3);
        if (!at || !colon || colon > at || (size_t)(at - in) > 3 + v ||
            redact_placeholder_len(in + 3, len - 3))
            return 0;
        s->start = 3;
        s->end = (size_t)(at - in);
        s->type = REDACT_URL_CREDENTIALS;
        return s->end;
    } else if (len > 6 && (strncmp(in, "/home/", 6) == 0 || strncmp(in, "/Users/", 7) == 0)) {
        p = in[1] == 'h' ? 6 : 7;
        s->type = REDACT_PATH_USER;
    } else if (at_start) {
        p = secret_prefix(in, len);
    }
    if (p == 0 || redact_placeholder_len(in + p, len - p))
        return 0;
    if (s->type == REDACT_PATH_USER) {
        while (p + v < len && in[p + v] != '/' && !isspace((unsigned char)in[p + v]))
            v++;
    } else {
        v = value_len(in + p, len - p);
    }
    if (v == 0)
        return 0;
    s->start = p;
    s->end = p + v;
    return p + v;
}

static size_t try_at(const char *in, size_t len, size_t i, struct redact_span *s)
{
    /* A dot before a match means it is the tail of a longer dotted token. */
    bool at_start = i == 0 || (!is_word(in[i - 1]) && in[i - 1] != '.');
    size_t n = try_prefixed(in + i, len - i, at_start, s);
    if (n) {
        s->start += i;
        s->end += i;
        return n;
    }
    for (size_t d = 0; at_start && d < sizeof(detectors) / sizeof(detectors[0]); d++) {
        n = detectors[d].fn(in + i, len - i);
        if (n) {
            s->start = i;
            s->end = i + n;
            s->type = detectors[d].type;
            if (detectors[d].fn == detect_colon_hex)
                s->type = colon_type(in + i, n);
            return n;
        }
    }
    return 0;
}

size_t redact_scan(const char *in, size_t len, size_t from, struct redact_span *out, size_t max)
{
    size_t i = from, n_out = 0;
    while (i < len && n_out < max) {
        size_t ph = redact_placeholder_len(in + i, len - i);
        if (ph) {
            i += ph;
            continue;
        }
        size_t n = try_at(in, len, i, &out[n_out]);
        if (n) {
            n_out++;
            i += n;
        } else {
            i++;
        }
    }
    return n_out;
}
