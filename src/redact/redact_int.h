/* SPDX-License-Identifier: MIT */
/* redact_int.h -- private declarations shared by the redact/ files.
 *
 * The scan (redact_scan.c) skips bytes that cannot start a finding with one table lookup
 * each, and calls a detector only at a trigger byte. A detector gets the whole text, the
 * trigger position i and lo, the first byte a span may cover (the end of the previous
 * span); it may look back to lo and forward to len. On a match it fills s (lo <= start <
 * end <= len) and returns true; the scan resumes at s->end. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redact/redact.h"

/* Byte classes (redact_cls). */
#define RC_DIGIT  0x001u /* 0-9 */
#define RC_HEX    0x002u /* 0-9 a-f A-F */
#define RC_LHEX   0x004u /* 0-9 a-f */
#define RC_ALPHA  0x008u /* A-Z a-z */
#define RC_UPPER  0x010u /* A-Z */
#define RC_WORD   0x020u /* A-Z a-z 0-9 _ */
#define RC_KEY    0x040u /* A-Z a-z 0-9 _ - . (a key of key=value) */
#define RC_LOCAL  0x080u /* the local part of an e-mail: A-Z a-z 0-9 . _ % + - */
#define RC_B64    0x100u /* A-Z a-z 0-9 + / = */
#define RC_TRIG   0x200u /* a byte where a detector may be tried */
#define RC_SPACE  0x400u /* space, tab, CR, LF, VT, FF */
#define RC_VALEND 0x800u /* ends an unquoted value: space and , ; & " ' ) } ] > */

extern const uint16_t redact_cls[256];

static inline bool rc_is(char c, unsigned mask)
{
    return (redact_cls[(unsigned char)c] & mask) != 0;
}

struct rscan {
    const char *in;
    size_t len;
    size_t lo;
};

/* True when a token may start at i: the byte before it is none of glue. The end of a
 * finding (i <= lo) counts as a boundary, as its placeholder's ']' will: so a second pass
 * over the output sees what the first saw, which keeps redaction idempotent. */
static inline bool rc_starts(const struct rscan *sc, size_t i, unsigned glue)
{
    return i <= sc->lo || !rc_is(sc->in[i - 1], glue);
}

/* Find the findings that start at or after from (the bytes before it are context only). */
size_t redact_scan(const char *in, size_t len, size_t from, struct redact_span *out, size_t max);
/* Return the length of the placeholder ("[EMAIL]", "[IP:3f9a]") at in[0..len), or 0. */
size_t redact_placeholder_len(const char *in, size_t len);

/* redact_net.c: at '@' (e-mail), ':' (URL credentials, IPv6, MAC) and at a digit (IPv4,
 * MACs with dashes or dots). */
bool redact_det_email(const struct rscan *sc, size_t i, struct redact_span *s);
bool redact_det_url_creds(const struct rscan *sc, size_t i, struct redact_span *s);
bool redact_det_colon(const struct rscan *sc, size_t i, struct redact_span *s);
bool redact_det_ipv4(const struct rscan *sc, size_t i, struct redact_span *s);
bool redact_det_mac_sep(const struct rscan *sc, size_t i, struct redact_span *s);
/* redact_num.c: at a digit at a word start (cards, phones, SSNs), inside a word (IBANs,
 * container ids, key bodies), and at '+' or '(' (phones). */
bool redact_det_number(const struct rscan *sc, size_t i, struct redact_span *s);
bool redact_det_in_word(const struct rscan *sc, size_t ws, size_t we, struct redact_span *s);
bool redact_det_phone_intl(const struct rscan *sc, size_t i, struct redact_span *s);
/* redact_secret.c: at '=' and ':' (key=value, headers), at '/' and '\\' (home paths), at
 * '-' (PEM) and at a letter that starts a token (AKIA, gh*_, glpat-, xox?-, eyJ). */
/* redact_det_keyed sets *next past the key and scheme when the value is a placeholder
 * already, so a second pass skips what the first one did. */
bool redact_det_keyed(const struct rscan *sc, size_t i, struct redact_span *s, size_t *next);
bool redact_det_home(const struct rscan *sc, size_t i, struct redact_span *s);
bool redact_det_pem(const struct rscan *sc, size_t i, struct redact_span *s);
bool redact_det_token(const struct rscan *sc, size_t i, struct redact_span *s);
