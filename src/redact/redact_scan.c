/* SPDX-License-Identifier: MIT */
/* redact_scan.c -- the scan: skip bytes that start nothing, try detectors at triggers.
 *
 * The hot loop is one table lookup per byte; a detector runs only at a trigger byte
 * (digits, @ : = / \\ - + ( [ and A, which starts AWS key ids). After a failed try
 * at a digit the rest of its word is skipped, so a word is looked at once. */
#include <string.h>

#include "redact/redact_int.h"

const uint16_t redact_cls[256] = {
    ['\t'] = RC_SPACE | RC_VALEND,
    ['\n'] = RC_SPACE | RC_VALEND,
    ['\v'] = RC_SPACE | RC_VALEND,
    ['\f'] = RC_SPACE | RC_VALEND,
    ['\r'] = RC_SPACE | RC_VALEND,
    [' '] = RC_SPACE | RC_VALEND,
    ['"'] = RC_VALEND,
    ['%'] = RC_LOCAL,
    ['&'] = RC_VALEND,
    ['\''] = RC_VALEND,
    ['('] = RC_TRIG,
    [')'] = RC_VALEND,
    ['+'] = RC_LOCAL | RC_B64 | RC_TRIG,
    [','] = RC_VALEND,
    ['-'] = RC_KEY | RC_LOCAL | RC_TRIG,
    ['.'] = RC_KEY | RC_LOCAL,
    ['/'] = RC_B64 | RC_TRIG,
    ['0'] = RC_DIGIT | RC_HEX | RC_LHEX | RC_WORD | RC_KEY | RC_LOCAL | RC_B64 | RC_TRIG,
    ['1'] = RC_DIGIT | RC_HEX | RC_LHEX | RC_WORD | RC_KEY | RC_LOCAL | RC_B64 | RC_TRIG,
    ['2'] = RC_DIGIT | RC_HEX | RC_LHEX | RC_WORD | RC_KEY | RC_LOCAL | RC_B64 | RC_TRIG,
    ['3'] = RC_DIGIT | RC_HEX | RC_LHEX | RC_WORD | RC_KEY | RC_LOCAL | RC_B64 | RC_TRIG,
    ['4'] = RC_DIGIT | RC_HEX | RC_LHEX | RC_WORD | RC_KEY | RC_LOCAL | RC_B64 | RC_TRIG,
    ['5'] = RC_DIGIT | RC_HEX | RC_LHEX | RC_WORD | RC_KEY | RC_LOCAL | RC_B64 | RC_TRIG,
    ['6'] = RC_DIGIT | RC_HEX | RC_LHEX | RC_WORD | RC_KEY | RC_LOCAL | RC_B64 | RC_TRIG,
    ['7'] = RC_DIGIT | RC_HEX | RC_LHEX | RC_WORD | RC_KEY | RC_LOCAL | RC_B64 | RC_TRIG,
    ['8'] = RC_DIGIT | RC_HEX | RC_LHEX | RC_WORD | RC_KEY | RC_LOCAL | RC_B64 | RC_TRIG,
    ['9'] = RC_DIGIT | RC_HEX | RC_LHEX | RC_WORD | RC_KEY | RC_LOCAL | RC_B64 | RC_TRIG,
    [':'] = RC_TRIG,
    [';'] = RC_VALEND,
    ['<'] = RC_VALEND,
    ['='] = RC_B64 | RC_TRIG,
    ['>'] = RC_VALEND,
    ['@'] = RC_TRIG,
    ['A'] = RC_HEX | RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64 | RC_TRIG,
    ['B'] = RC_HEX | RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['C'] = RC_HEX | RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['D'] = RC_HEX | RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['E'] = RC_HEX | RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['F'] = RC_HEX | RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['G'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['H'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['I'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['J'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['K'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['L'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['M'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['N'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['O'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['P'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['Q'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['R'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['S'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['T'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['U'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['V'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['W'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['X'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['Y'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['Z'] = RC_ALPHA | RC_UPPER | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['['] = RC_TRIG,
    ['\\'] = RC_TRIG,
    [']'] = RC_VALEND,
    ['_'] = RC_WORD | RC_KEY | RC_LOCAL,
    ['a'] = RC_HEX | RC_LHEX | RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['b'] = RC_HEX | RC_LHEX | RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['c'] = RC_HEX | RC_LHEX | RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['d'] = RC_HEX | RC_LHEX | RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['e'] = RC_HEX | RC_LHEX | RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['f'] = RC_HEX | RC_LHEX | RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['g'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['h'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['i'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['j'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['k'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['l'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['m'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['n'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['o'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['p'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['q'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['r'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['s'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['t'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['u'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['v'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['w'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['x'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['y'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['z'] = RC_ALPHA | RC_WORD | RC_KEY | RC_LOCAL | RC_B64,
    ['}'] = RC_VALEND,
};

/* The detectors for the word that holds the digit at i ([ws, we) is that word). */
static bool try_digit(const struct rscan *sc, size_t i, struct redact_span *s, size_t *next)
{
    size_t we = i, ws = i;
    while (we < sc->len && rc_is(sc->in[we], RC_WORD))
        we++;
    *next = we;
    if (rc_starts(sc, i, RC_WORD | RC_KEY) && redact_det_number(sc, i, s))
        return true;
    while (ws > sc->lo && rc_is(sc->in[ws - 1], RC_WORD))
        ws--;
    return redact_det_in_word(sc, ws, we, s);
}

static bool try_at(const struct rscan *sc, size_t i, struct redact_span *s, size_t *next)
{
    char c = sc->in[i];
    *next = i + 1;
    if (rc_is(c, RC_DIGIT))
        return try_digit(sc, i, s, next);
    switch (c) {
    case '@':
        return redact_det_email(sc, i, s);
    case ':':
        /* "://" is a URL whatever comes before it: a scheme is no secret's key. */
        if (i + 2 < sc->len && sc->in[i + 1] == '/' && sc->in[i + 2] == '/')
            return redact_det_url_creds(sc, i, s);
        if (redact_det_keyed(sc, i, s, next))
            return true;
        /* A value already redacted: skip its key and scheme, as the first pass did. */
        return *next == i + 1 && redact_det_colon(sc, i, s);
    case '=':
        return redact_det_keyed(sc, i, s, next);
    case '/':
    case '\\':
        return redact_det_home(sc, i, s);
    case '-':
        return redact_det_pem(sc, i, s) || redact_det_mac_sep(sc, i, s) ||
               redact_det_token(sc, i, s);
    case '+':
    case '(':
        return redact_det_phone_intl(sc, i, s);
    default:
        return redact_det_token(sc, i, s);
    }
}

size_t redact_scan(const char *in, size_t len, size_t from, struct redact_span *out, size_t max)
{
    struct rscan sc = {in, len, from};
    size_t i = from, n = 0;
    while (n < max) {
        /* Four bytes a step while none is a trigger, then one at a time. */
        while (i + 4 <= len &&
               !((redact_cls[(unsigned char)in[i]] | redact_cls[(unsigned char)in[i + 1]] |
                  redact_cls[(unsigned char)in[i + 2]] | redact_cls[(unsigned char)in[i + 3]]) &
                 RC_TRIG))
            i += 4;
        while (i < len && !(redact_cls[(unsigned char)in[i]] & RC_TRIG))
            i++;
        if (i >= len)
            break;
        size_t next = i + 1;
        if (in[i] == '[') {
            size_t ph = redact_placeholder_len(in + i, len - i);
            i += ph ? ph : 1;
            sc.lo = ph ? i : sc.lo;
            continue;
        }
        struct redact_span *s = &out[n];
        /* A token found by its shape (it starts at or before its trigger) and glued to a
         * placeholder is left: it was glued to what the placeholder replaced. */
        if (try_at(&sc, i, s, &next) && s->start >= sc.lo && s->start < s->end && s->end <= len &&
            s->end > i &&
            !(s->start <= i && s->end < len && in[s->end] == '[' &&
              redact_placeholder_len(in + s->end, len - s->end))) {
            i = s->end;
            sc.lo = i;
            n++;
        } else {
            i = next;
        }
    }
    return n;
}
