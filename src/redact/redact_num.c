/* SPDX-License-Identifier: MIT */
/* redact_num.c -- numbers: payment cards (Luhn, IIN), phone numbers, US SSNs, IBANs
 * (per-country length, mod 97), container ids (12 or 64 lowercase hex) and PEM key bodies.
 *
 * Plain digit runs are left alone unless they are a whole card number: phones need a '+',
 * parentheses or separators in a known grouping, so timestamps, durations, PIDs and ports
 * are not taken; a run glued to a word, a dot or a dash is not looked at. */
#include <string.h>
#include <strings.h>

#include "redact/redact_int.h"

#define GROUPS_MAX 8

static bool set(struct redact_span *s, size_t start, size_t end, enum redact_type t)
{
    s->start = start;
    s->end = end;
    s->type = t;
    return true;
}

/* Digit groups from i separated by one consistent byte of seps; ends[g] is group g's end. */
struct groups {
    size_t n, len[GROUPS_MAX], ends[GROUPS_MAX], digits;
    char sep;
};

/* seps: bit 0 space, bit 1 '-', bit 2 '.'. */
#define SEP_SPACE 1u
#define SEP_DASH  2u
#define SEP_DOT   4u

static unsigned sep_bit(char c)
{
    return c == ' ' ? SEP_SPACE : c == '-' ? SEP_DASH : c == '.' ? SEP_DOT : 0;
}

static void parse_groups(const char *in, size_t len, size_t i, unsigned seps, struct groups *g)
{
    g->n = 0;
    g->digits = 0;
    g->sep = 0;
    size_t k = i;
    while (g->n < GROUPS_MAX) {
        size_t d = k;
        while (d < len && rc_is(in[d], RC_DIGIT) && d - k < 20)
            d++;
        if (d == k)
            break;
        g->len[g->n] = d - k;
        g->ends[g->n++] = d;
        g->digits += d - k;
        k = d;
        if (k + 1 >= len || !(sep_bit(in[k]) & seps) || !rc_is(in[k + 1], RC_DIGIT) ||
            (g->sep && in[k] != g->sep))
            break;
        g->sep = in[k++];
    }
}

static bool digits_at(const char *in, size_t len, size_t k, size_t n)
{
    if (k + n > len)
        return false;
    for (size_t j = k; j < k + n; j++)
        if (!rc_is(in[j], RC_DIGIT))
            return false;
    return true;
}

static bool luhn_ok(const char *in, size_t i, size_t end)
{
    unsigned sum = 0, k = 0;
    for (size_t p = end; p > i; p--) {
        if (!rc_is(in[p - 1], RC_DIGIT))
            continue;
        unsigned d = (unsigned)(in[p - 1] - '0');
        if (k++ % 2 == 1)
            d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
    }
    return sum % 10 == 0;
}

/* Issuer prefixes: 2221-2720 (Mastercard), 30 and 34-39 (Amex, JCB, Diners), 4, 50-55,
 * 6: this keeps Luhn's chance hits on timestamps and ids (20..., 1...) out. */
static bool iin_ok(const char *p)
{
    int two = (p[0] - '0') * 10 + (p[1] - '0');
    int four = two * 100 + (p[2] - '0') * 10 + (p[3] - '0');
    switch (p[0]) {
    case '2':
        return four >= 2221 && four <= 2720;
    case '3':
        return two == 30 || two >= 34;
    case '5':
        return two <= 55;
    case '4':
    case '6':
        return true;
    default:
        return false;
    }
}

/* The first n groups of g make a card: 13-19 digits, one run or 4-4-4-4(-1..4) or 4-6-4/5,
 * Luhn and issuer prefix. */
static size_t card_groups(const char *in, size_t len, size_t i, const struct groups *g, size_t n)
{
    size_t digits = 0;
    for (size_t k = 0; k < n; k++)
        digits += g->len[k];
    if (digits < 13 || digits > 19 || g->len[0] < 4 || (n > 1 && g->len[0] != 4))
        return 0;
    if (n > 1) {
        bool fours = g->len[n - 1] <= 4;
        for (size_t k = 1; k + 1 < n; k++)
            fours &= g->len[k] == 4;
        bool amex = n == 3 && g->len[1] == 6 && g->len[2] >= 4;
        if (!fours && !amex)
            return 0;
    }
    size_t e = g->ends[n - 1];
    if (e < len && rc_is(in[e], RC_WORD))
        return 0;
    return iin_ok(in + i) && luhn_ok(in, i, e) ? e : 0;
}

/* The longest card among the group prefixes: what follows a card may be another number. */
static size_t card_end(const char *in, size_t len, size_t i)
{
    struct groups g;
    parse_groups(in, len, i, SEP_SPACE | SEP_DASH, &g);
    for (size_t n = g.n; n >= 1; n--) {
        size_t e = card_groups(in, len, i, &g, n);
        if (e)
            return e;
    }
    return 0;
}

static bool same_len(const struct groups *g, size_t n, const size_t *want)
{
    for (size_t k = 0; k < n; k++)
        if (g->len[k] != want[k])
            return false;
    return true;
}

/* National phone formats: 415-555-2671, 1-800-555-0199, 020 7946 0958, 06 12 34 56 78. */
static size_t phone_end(const char *in, size_t len, size_t i)
{
    static const size_t nanp[] = {3, 3, 4}, nanp1[] = {1, 3, 3, 4};
    struct groups g;
    parse_groups(in, len, i, SEP_SPACE | SEP_DASH | SEP_DOT, &g);
    for (size_t n = g.n; n >= 2; n--) {
        size_t digits = 0;
        bool trunk = in[i] == '0' && i + 1 < len && in[i + 1] != '0' && g.sep != '.';
        for (size_t k = 0; k < n; k++) {
            digits += g.len[k];
            trunk &= g.len[k] >= 2 && g.len[k] <= 5;
        }
        size_t e = g.ends[n - 1];
        /* Only spaces may end a number early: "020 7946 0958 200 OK". */
        if ((e < len && rc_is(in[e], RC_WORD)) || (n < g.n && g.sep != ' '))
            continue;
        if ((n == 3 && same_len(&g, 3, nanp)) ||
            (n == 4 && in[i] == '1' && same_len(&g, 4, nanp1)) ||
            (trunk && digits >= 10 && digits <= 11))
            return e;
    }
    return 0;
}

/* AAA-GG-SSSS with a valid area (not 000, 666, 9xx), group and serial. */
static size_t ssn_end(const char *in, size_t len, size_t i)
{
    static const size_t want[] = {3, 2, 4};
    struct groups g;
    parse_groups(in, len, i, SEP_DASH, &g);
    if (g.n != 3 || !same_len(&g, 3, want))
        return 0;
    size_t e = g.ends[2];
    if (e < len && rc_is(in[e], RC_WORD))
        return 0;
    const char *p = in + i;
    if (memcmp(p, "000", 3) == 0 || memcmp(p, "666", 3) == 0 || p[0] == '9' ||
        memcmp(p + 4, "00", 2) == 0 || memcmp(p + 7, "0000", 4) == 0)
        return 0;
    return e;
}

/* At a digit that starts a word: the digit run and the byte after it pick the detectors
 * worth trying, so most numbers in a log (times, counts, ids) cost a few compares. */
bool redact_det_number(const struct rscan *sc, size_t i, struct redact_span *s)
{
    const char *in = sc->in;
    size_t len = sc->len, r = i, e;
    while (r < len && rc_is(in[r], RC_DIGIT) && r - i < 20)
        r++;
    char c = r < len ? in[r] : 0;
    r -= i;
    if (c == 0 && r < 13)
        return false;
    if (rc_is(c, RC_HEX))
        return redact_det_mac_sep(sc, i, s);
    if (((r == 2 && c == '-') || (r == 4 && c == '.')) && redact_det_mac_sep(sc, i, s))
        return true;
    if (r == 3 && c == '-' && (e = ssn_end(in, len, i)) != 0)
        return set(s, i, e, REDACT_SSN);
    /* 4-digit groups: the next group has 4 digits too (not a date like 2026-11-24). */
    bool fours = r == 4 && (c == ' ' || c == '-') && digits_at(in, len, i + 5, 4);
    if ((r >= 13 || fours) && (e = card_end(in, len, i)) != 0)
        return set(s, i, e, REDACT_CARD);
    bool after_digits = i >= sc->lo + 2 && in[i - 1] == ' ' && rc_is(in[i - 2], RC_DIGIT);
    bool phone_like = r == 3 || (r == 1 && in[i] == '1') || in[i] == '0';
    if (r <= 5 && sep_bit(c) && phone_like && !after_digits && (e = phone_end(in, len, i)) != 0)
        return set(s, i, e, REDACT_PHONE);
    return r <= 3 && c == '.' && redact_det_ipv4(sc, i, s);
}

/* +E.164 ("+14155552671", "+44 20 7946 0958", "+1 (415) 555-2671") at '+', or a national
 * number with an area code in parentheses ("(415) 555-2671", "(020) 7946 0958") at '('. */
static bool phone_digits_ok(bool plus, size_t digits)
{
    return plus ? digits >= 8 && digits <= 15 : digits >= 10 && digits <= 11;
}

bool redact_det_phone_intl(const struct rscan *sc, size_t i, struct redact_span *s)
{
    const char *in = sc->in;
    size_t len = sc->len, k = i + 1, digits = 0, end = 0, best = 0;
    bool plus = in[i] == '+', paren = !plus;
    if (!rc_starts(sc, i, RC_WORD | (plus ? RC_LOCAL : 0)) || k >= len ||
        in[k] < (plus ? '1' : '0') || in[k] > '9')
        return false;
    /* best: the longest number so far that ends a group; what follows may be another. */
    while (k < len && digits <= 15) {
        char c = in[k];
        if (rc_is(c, RC_DIGIT)) {
            digits++;
            end = ++k;
            continue;
        }
        if (end == k && !paren && phone_digits_ok(plus, digits) && !rc_is(c, RC_WORD))
            best = end;
        if (c == ')' && paren && digits >= 2 && digits <= 5) {
            paren = false;
            end = 0;
            k += k + 1 < len && in[k + 1] == ' ' ? 2 : 1;
        } else if ((c == ' ' || c == '-' || c == '.') && end == k && k + 1 < len &&
                   (rc_is(in[k + 1], RC_DIGIT) || (in[k + 1] == '(' && plus)) &&
                   !(c == ' ' && digits >= 10) && !paren) {
            k++;
        } else if (c == '(' && plus && !paren && k + 1 < len && rc_is(in[k + 1], RC_DIGIT)) {
            paren = true;
            k++;
        } else {
            break;
        }
    }
    if (end == k && k == len && !paren && phone_digits_ok(plus, digits))
        best = end;
    return best ? set(s, i, best, REDACT_PHONE) : false;
}

/* IBAN: country, 2 check digits, BBAN; spaces allowed between groups of 4. */
static const char iban_lengths[] = "AD24AE23AL28AT20AZ28BA20BE16BG22BH22BR29CH21CR22CY28CZ24DE22"
                                   "DK18DO28EE20EG29ES24FI18FO18FR27GB22GE22GI23GL18GR27GT28HR21"
                                   "HU28IE22IL23IQ23IS26IT27JO30KW30KZ20LB28LC32LI21LT20LU20LV21"
                                   "MC27MD24ME22MK19MR27MT31MU30NL18NO15PK24PL28PS29PT25QA29RO24"
                                   "RS22SA24SC31SE24SI19SK24SM27ST25SV28TL23TN24TR26UA29VA22VG24"
                                   "XK20";

static size_t iban_len(const char *cc)
{
    for (const char *p = iban_lengths; *p; p += 4)
        if (p[0] == cc[0] && p[1] == cc[1])
            return (size_t)((p[2] - '0') * 10 + (p[3] - '0'));
    return 0;
}

static size_t iban_end(const char *in, size_t len, size_t ws)
{
    size_t want = iban_len(in + ws), n = 0, k = ws, mod = 0;
    char acc[40];
    bool spaced = ws + 4 < len && in[ws + 4] == ' ';
    while (want && k < len && n < want) {
        if (spaced && n > 0 && n % 4 == 0 && in[k] == ' ')
            k++;
        if (k >= len || !(rc_is(in[k], RC_DIGIT) || rc_is(in[k], RC_UPPER)))
            return 0;
        acc[n++] = in[k++];
    }
    if (!want || n != want || (k < len && rc_is(in[k], RC_WORD)))
        return 0;
    /* Move the first four to the end, letters to 10..35, and check mod 97 == 1. */
    for (size_t j = 0; j < n; j++) {
        char c = acc[(j + 4) % n];
        unsigned v = rc_is(c, RC_DIGIT) ? (unsigned)(c - '0') : (unsigned)(c - 'A' + 10);
        mod = (v >= 10 ? mod * 100 : mod * 10) + v;
        mod %= 97;
    }
    return mod == 1 ? k : 0;
}

/* True when the hex at ws follows "sha256:", "sha256=", "digest " or "SHA256 (f) = ". */
static bool after_hash_name(const struct rscan *sc, size_t ws)
{
    static const char *const names[] = {"sha256", "sha512", "sha384", "sha1",
                                        "md5",    "digest", "hash",   "checksum"};
    const char *in = sc->in;
    size_t e = ws;
    while (e > sc->lo && ws - e < 4 && (in[e - 1] == ' ' || in[e - 1] == ':' || in[e - 1] == '='))
        e--;
    if (e > sc->lo && in[e - 1] == ')')
        return true;
    size_t b = e;
    while (b > sc->lo && rc_is(in[b - 1], RC_ALPHA | RC_DIGIT) && e - b < 16)
        b--;
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        size_t m = strlen(names[k]);
        if (e - b >= m && strncasecmp(in + e - m, names[k], m) == 0)
            return true;
    }
    return false;
}

/* Container id: 12 or 64 lowercase hex as a word (12 with a letter and a digit); not a
 * UUID's last group, not a 40-hex git SHA. */
static bool is_container_id(const struct rscan *sc, size_t ws, size_t we)
{
    size_t n = we - ws;
    unsigned seen = 0;
    if (n != 12 && n != 64)
        return false;
    for (size_t k = ws; k < we; k++) {
        if (!rc_is(sc->in[k], RC_LHEX))
            return false;
        seen |= rc_is(sc->in[k], RC_DIGIT) ? 1u : 2u;
    }
    if (n == 12)
        return seen == 3 && rc_starts(sc, ws, RC_WORD | RC_KEY) &&
               !(we < sc->len && sc->in[we] == '-');
    /* 64: docker-<id>.scope and <id>-json.log are ids; sha256:<64> is a digest. */
    return rc_starts(sc, ws, RC_WORD) && !after_hash_name(sc, ws);
}

/* A line of a PEM key body: 60-80 base64 bytes mixing cases and digits. */
static bool key_body(const struct rscan *sc, size_t ws, size_t we, struct redact_span *s)
{
    const char *in = sc->in;
    size_t b = ws, e = we, slashes = 0;
    unsigned seen = 0;
    while (b > sc->lo && rc_is(in[b - 1], RC_B64) && we - b < 100)
        b--;
    while (e < sc->len && rc_is(in[e], RC_B64) && e - b < 100)
        e++;
    if (e - b < 40 || e - b > 80 || in[b] == '/' || (b > sc->lo && rc_is(in[b - 1], RC_KEY)))
        return false;
    for (size_t k = b; k < e; k++) {
        seen |= rc_is(in[k], RC_DIGIT) ? 1u : rc_is(in[k], RC_UPPER) ? 2u : 4u;
        slashes += in[k] == '/';
    }
    if (seen != 7 || slashes > 6 || e - b < 60)
        return false;
    return set(s, b, e, REDACT_SECRET);
}

bool redact_det_in_word(const struct rscan *sc, size_t ws, size_t we, struct redact_span *s)
{
    const char *in = sc->in;
    char before = ws > sc->lo ? in[ws - 1] : 0, after = we < sc->len ? in[we] : 0;
    /* A Cisco MAC whose first quads hold no digit ("dcba.e767.45dd"): its first digit is
     * in the second or third quad. */
    if (we - ws == 4 && before == '.') {
        for (size_t back = 5; back <= 10 && ws >= sc->lo + back; back += 5)
            if (in[ws - back + 4] == '.' && redact_det_mac_sep(sc, ws - back, s))
                return true;
    }
    /* Most words here are plain numbers: only an id or a key body may start with a digit. */
    bool b64_edge = before == '+' || before == '/' || after == '+' || after == '/' || after == '=';
    if (rc_is(in[ws], RC_DIGIT) && we - ws < 12 && !b64_edge)
        return false;
    if ((in[ws] == 'e' || in[ws] == 'g' || in[ws] == 'A') && redact_det_token(sc, ws, s))
        return true;
    if (((we - ws == 4 && after == '.') || (we - ws == 2 && after == '-')) &&
        redact_det_mac_sep(sc, ws, s))
        return true;
    if (is_container_id(sc, ws, we))
        return set(s, ws, we, REDACT_CONTAINER_ID);
    if (we - ws >= 4 && rc_is(in[ws], RC_UPPER) && rc_is(in[ws + 1], RC_UPPER) &&
        rc_is(in[ws + 2], RC_DIGIT) && rc_is(in[ws + 3], RC_DIGIT) &&
        rc_starts(sc, ws, RC_WORD | RC_KEY)) {
        size_t e = iban_end(in, sc->len, ws);
        if (e)
            return set(s, ws, e, REDACT_IBAN);
    }
    /* A key body line is one long base64 word; '+' and '/' may split it. */
    if (we - ws >= 40 || b64_edge)
        return key_body(sc, ws, we, s);
    return false;
}
