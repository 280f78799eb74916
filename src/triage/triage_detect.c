/* SPDX-License-Identifier: MIT */
/* triage_detect.c -- hand-written header scanners for common log formats and the per-source
 * format vote (see triage_detect.h). No allocation per line, no regexes. */
#include "triage/triage_detect.h"

#include <string.h>

#include "core/xalloc.h"
#include "triage/triage_time.h"

#define TOKEN_MAX  256 /* the longest header token (host, thread, logger) scanned */
#define NEAR_LEVEL 160 /* bytes searched for "level=" in a headerless line */

static const char *const fmt_names[TRIAGE_FMT_COUNT] = {
    "unknown",     "docker-json", "syslog5424", "syslog3164",   "access", "apache-error",
    "nginx-error", "klog",        "python",     "python-basic", "java",   "iso",
};

const char *triage_fmt_name(enum triage_fmt fmt)
{
    return fmt >= 0 && fmt < TRIAGE_FMT_COUNT ? fmt_names[fmt] : "unknown";
}

/* ---- small scanners ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static size_t skip_spaces(const char *s, size_t len, size_t i)
{
    while (i < len && is_space(s[i]))
        i++;
    return i;
}

/* End of the token at s[i] (up to a space), or 0 when it is empty or longer than TOKEN_MAX. */
static size_t token_end(const char *s, size_t len, size_t i)
{
    size_t j = i;
    while (j < len && !is_space(s[j]) && j - i <= TOKEN_MAX)
        j++;
    return j == i || j - i > TOKEN_MAX ? 0 : j;
}

/* Index of c in s[i..min(len, i+TOKEN_MAX)), or 0 when absent. */
static size_t find_near(const char *s, size_t len, size_t i, char c)
{
    size_t lim = len - i > TOKEN_MAX ? i + TOKEN_MAX : len;
    const char *p = memchr(s + i, c, lim - i);
    return p ? (size_t)(p - s) : 0;
}

static void set_component(struct triage_record *rec, const char *s, size_t n)
{
    if (n >= TRIAGE_COMPONENT_MAX)
        n = TRIAGE_COMPONENT_MAX - 1;
    memcpy(rec->component, s, n);
    rec->component[n] = '\0';
}

static void set_msg(struct triage_record *rec, const char *s, size_t len, size_t at)
{
    rec->msg = s + at;
    rec->msg_len = at < len ? len - at : 0;
}

static size_t trim_eol(const char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        len--;
    return len;
}

/* ---- level words ---- */

struct level_word {
    const char *w;
    unsigned char n;
    unsigned char level;
};

static const struct level_word level_words[] = {
    {"trace", 5, TRIAGE_LEVEL_TRACE},        {"debug", 5, TRIAGE_LEVEL_DEBUG},
    {"info", 4, TRIAGE_LEVEL_INFO},          {"notice", 6, TRIAGE_LEVEL_NOTICE},
    {"warn", 4, TRIAGE_LEVEL_WARN},          {"warning", 7, TRIAGE_LEVEL_WARN},
    {"err", 3, TRIAGE_LEVEL_ERROR},          {"error", 5, TRIAGE_LEVEL_ERROR},
    {"severe", 6, TRIAGE_LEVEL_ERROR},       {"crit", 4, TRIAGE_LEVEL_CRITICAL},
    {"critical", 8, TRIAGE_LEVEL_CRITICAL},  {"fatal", 5, TRIAGE_LEVEL_CRITICAL},
    {"alert", 5, TRIAGE_LEVEL_CRITICAL},     {"emerg", 5, TRIAGE_LEVEL_CRITICAL},
    {"emergency", 9, TRIAGE_LEVEL_CRITICAL}, {"panic", 5, TRIAGE_LEVEL_CRITICAL},
};

enum triage_level triage_level_word(const char *s, size_t len)
{
    if (len < 3 || len > 9)
        return TRIAGE_LEVEL_UNKNOWN;
    char w[10];
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        w[i] = c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
    }
    /* trace1..trace8 (apache) are trace too. */
    if (len == 6 && memcmp(w, "trace", 5) == 0 && w[5] >= '1' && w[5] <= '8')
        return TRIAGE_LEVEL_TRACE;
    for (size_t i = 0; i < sizeof(level_words) / sizeof(level_words[0]); i++)
        if (level_words[i].n == len && level_words[i].w[0] == w[0] &&
            memcmp(level_words[i].w, w, len) == 0)
            return (enum triage_level)level_words[i].level;
    return TRIAGE_LEVEL_UNKNOWN;
}

/* The level of the token at s[i..]: "ERROR", "[warn]", "<error>", "info:"; 0-length when none.
 * *end gets the index after the token. */
static enum triage_level level_token(const char *s, size_t len, size_t i, size_t *end)
{
    size_t e = token_end(s, len, i);
    if (e == 0)
        return TRIAGE_LEVEL_UNKNOWN;
    *end = e;
    size_t a = i, b = e;
    const char *colon = memchr(s + i, ':', e - i); /* "warning:root:x" */
    if (colon && (size_t)(colon - s) > i)
        b = (size_t)(colon - s);
    if (a < b && (s[a] == '[' || s[a] == '<' || s[a] == '('))
        a++;
    while (b > a && (s[b - 1] == ']' || s[b - 1] == '>' || s[b - 1] == ')' || s[b - 1] == ':' ||
                     s[b - 1] == ','))
        b--;
    return triage_level_word(s + a, b - a);
}

/* "level=error" / "lvl=warn" / "severity=..." in the first NEAR_LEVEL bytes. */
static enum triage_level level_kv(const char *s, size_t len)
{
    size_t lim = len > NEAR_LEVEL ? NEAR_LEVEL : len;
    for (size_t i = 3; i + 4 < lim; i++) {
        const char *eq = memchr(s + i, '=', lim - 4 - i);
        if (eq == NULL)
            break;
        i = (size_t)(eq - s);
        size_t k = i;
        while (k > 0 && ((s[k - 1] | 0x20) >= 'a' && (s[k - 1] | 0x20) <= 'z'))
            k--;
        size_t kn = i - k;
        if (!((kn == 5 && memcmp(s + k, "level", 5) == 0) ||
              (kn == 3 && memcmp(s + k, "lvl", 3) == 0) ||
              (kn == 8 && memcmp(s + k, "severity", 8) == 0)))
            continue;
        size_t v = i + 1, e;
        if (v < len && s[v] == '"')
            v++;
        e = v;
        while (e < len && e - v < 10 && ((s[e] | 0x20) >= 'a' && (s[e] | 0x20) <= 'z'))
            e++;
        return triage_level_word(s + v, e - v);
    }
    return TRIAGE_LEVEL_UNKNOWN;
}

/* A level word among the first two tokens of a message, or a level= pair. */
static enum triage_level level_near(const char *s, size_t len)
{
    size_t i = skip_spaces(s, len, 0), e = 0;
    enum triage_level lv = level_token(s, len, i, &e);
    if (lv == TRIAGE_LEVEL_UNKNOWN && e > 0)
        lv = level_token(s, len, skip_spaces(s, len, e), &e);
    if (lv == TRIAGE_LEVEL_UNKNOWN)
        lv = level_kv(s, len);
    return lv;
}

void triage_parse_unknown(const char *line, size_t len, struct triage_record *rec)
{
    len = trim_eol(line, len);
    rec->msg = line;
    rec->msg_len = len;
    rec->ts_ms = -1;
    rec->component[0] = '\0';
    rec->level = level_near(line, len);
}

/* Syslog severity 0..7 to a level. */
static enum triage_level syslog_level(int pri)
{
    static const unsigned char map[8] = {
        TRIAGE_LEVEL_CRITICAL, TRIAGE_LEVEL_CRITICAL, TRIAGE_LEVEL_CRITICAL, TRIAGE_LEVEL_ERROR,
        TRIAGE_LEVEL_WARN,     TRIAGE_LEVEL_NOTICE,   TRIAGE_LEVEL_INFO,     TRIAGE_LEVEL_DEBUG,
    };
    return (enum triage_level)map[pri & 7];
}

/* "<PRI>" at s[0]: returns the index after '>' and the PRI, or 0. */
static size_t syslog_pri(const char *s, size_t len, int *pri)
{
    if (len < 3 || s[0] != '<')
        return 0;
    int v = 0;
    size_t i = 1;
    while (i < len && i < 4 && is_digit(s[i]))
        v = v * 10 + (s[i++] - '0');
    if (i == 1 || i >= len || s[i] != '>' || v > 191)
        return 0;
    *pri = v;
    return i + 1;
}

/* ---- syslog ---- */

/* RFC 5424: <PRI>1 TS HOST APP PROCID MSGID SD [MSG] */
static bool p_5424(const char *s, size_t len, int64_t ref, struct triage_record *rec)
{
    (void)ref;
    int pri = 0;
    size_t i = syslog_pri(s, len, &pri), e, app = 0, app_end = 0;
    if (i == 0 || i + 2 > len || s[i] != '1' || s[i + 1] != ' ')
        return false;
    i += 2;
    for (int field = 0; field < 5; field++) {
        if ((e = token_end(s, len, i)) == 0 || e >= len || s[e] != ' ')
            return false;
        if (field == 0 && !(e - i == 1 && s[i] == '-')) {
            int64_t ms;
            if (triage_time_iso(s + i, e - i, &ms) != e - i)
                return false;
            rec->ts_ms = ms;
        }
        if (field == 2 && !(e - i == 1 && s[i] == '-')) {
            app = i;
            app_end = e;
        }
        i = e + 1;
    }
    /* Structured data: "-" or one or more [id param="v\]"...]. */
    if (i < len && s[i] == '-') {
        i++;
    } else {
        if (i >= len || s[i] != '[')
            return false;
        while (i < len && s[i] == '[') {
            i++;
            while (i < len && s[i] != ']')
                i += s[i] == '\\' ? 2 : 1;
            if (i >= len)
                return false;
            i++;
        }
    }
    if (i < len && s[i] != ' ')
        return false;
    if (i < len)
        i++;
    if (len - i >= 3 && memcmp(s + i, "\xEF\xBB\xBF", 3) == 0)
        i += 3;
    set_component(rec, s + app, app_end - app);
    set_msg(rec, s, len, i);
    rec->level = syslog_level(pri);
    return true;
}

/* "Mmm dd hh:mm:ss" (day may be " 4", "04" or "4"); returns the index after it or 0. */
static size_t bsd_time(const char *s, size_t len, size_t i, int64_t ref, int64_t *ts)
{
    int mon = triage_time_month(s + i, len - i), day = 0, h, m, sec, ms;
    if (mon == 0 || i + 4 > len || s[i + 3] != ' ')
        return 0;
    i += 4;
    if (i < len && s[i] == ' ')
        i++;
    size_t d0 = i;
    while (i < len && i - d0 < 2 && is_digit(s[i]))
        day = day * 10 + (s[i++] - '0');
    if (i == d0 || i >= len || s[i] != ' ')
        return 0;
    size_t n = triage_time_hms(s + i + 1, len - i - 1, &h, &m, &sec, &ms);
    if (n == 0)
        return 0;
    *ts = triage_time_yearless(ref, mon, day, h, m, sec, ms);
    return i + 1 + n;
}

/* A syslog tag at s[i]: "prog[123]:" or "prog:"; returns the index after ':' (and the name's
 * end in *name_end), or 0 when the token is not a tag. */
static size_t bsd_tag(const char *s, size_t len, size_t i, size_t *name_end)
{
    size_t j = i;
    while (j < len && j - i < 64 && s[j] != '[' && s[j] != ':' && !is_space(s[j]))
        j++;
    if (j == i || j >= len)
        return 0;
    *name_end = j;
    if (s[j] == '[') {
        size_t k = find_near(s, len, j, ']');
        if (k == 0 || k + 1 >= len || s[k + 1] != ':')
            return 0;
        return k + 2;
    }
    return s[j] == ':' ? j + 1 : 0;
}

/* RFC 3164: [<PRI>]Mmm dd hh:mm:ss host tag: msg */
static bool p_3164(const char *s, size_t len, int64_t ref, struct triage_record *rec)
{
    int pri = -1;
    size_t i = syslog_pri(s, len, &pri), e, name_end = 0, t;
    if ((i = bsd_time(s, len, i, ref, &rec->ts_ms)) == 0 || i >= len || s[i] != ' ')
        return false;
    i++;
    /* A tag right after the time means the host was left out. */
    if ((t = bsd_tag(s, len, i, &name_end)) == 0) {
        if ((e = token_end(s, len, i)) == 0)
            return false;
        i = skip_spaces(s, len, e);
        t = bsd_tag(s, len, i, &name_end);
    }
    if (t != 0) {
        set_component(rec, s + i, name_end - i);
        i = t < len && s[t] == ' ' ? t + 1 : t;
    }
    set_msg(rec, s, len, i);
    rec->level = level_near(rec->msg, rec->msg_len);
    if (rec->level == TRIAGE_LEVEL_UNKNOWN && pri >= 0)
        rec->level = syslog_level(pri);
    return true;
}

/* ---- web servers ---- */

/* Access log: host ident user [dd/Mon/yyyy:hh:mm:ss +zzzz] "METHOD path proto" status ... */
static bool p_access(const char *s, size_t len, int64_t ref, struct triage_record *rec)
{
    (void)ref;
    size_t i = 0, e;
    for (int field = 0; field < 3; field++) {
        if ((e = token_end(s, len, i)) == 0 || e >= len)
            return false;
        i = e + 1;
    }
    int d, y, h, m, sec, ms, zh, zm;
    if (len - i < 28 || s[i] != '[' || !is_digit(s[i + 1]) || !is_digit(s[i + 2]) ||
        s[i + 3] != '/' || s[i + 7] != '/' || s[i + 12] != ':' || s[i + 21] != ' ' ||
        s[i + 27] != ']' || (s[i + 22] != '+' && s[i + 22] != '-'))
        return false;
    int mon = triage_time_month(s + i + 4, 3);
    d = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
    y = 0;
    for (int k = 8; k < 12; k++)
        y = is_digit(s[i + k]) ? y * 10 + (s[i + k] - '0') : -1000000;
    zh = zm = 0;
    for (int k = 23; k < 27; k++) {
        if (!is_digit(s[i + k]))
            return false;
        if (k < 25)
            zh = zh * 10 + (s[i + k] - '0');
        else
            zm = zm * 10 + (s[i + k] - '0');
    }
    if (mon == 0 || triage_time_hms(s + i + 13, 8, &h, &m, &sec, &ms) != 8)
        return false;
    int64_t t = triage_time_civil_ms(y, mon, d, h, m, sec, 0);
    int64_t off = ((int64_t)zh * 60 + zm) * 60000 * (s[i + 22] == '-' ? -1 : 1);
    rec->ts_ms = t < 0 ? -1 : (t - off < 0 ? 0 : t - off);
    i += 28;
    if (i + 1 >= len || s[i] != ' ' || s[i + 1] != '"')
        return false;
    size_t req = i + 1, q = req + 1;
    while (q < len && s[q] != '"')
        q += s[q] == '\\' ? 2 : 1;
    if (q + 5 > len || s[q + 1] != ' ')
        return false;
    size_t st = q + 2;
    if (!is_digit(s[st]) || !is_digit(s[st + 1]) || !is_digit(s[st + 2]) ||
        (st + 3 < len && s[st + 3] != ' '))
        return false;
    rec->level = s[st] == '5'   ? TRIAGE_LEVEL_ERROR
                 : s[st] == '4' ? TRIAGE_LEVEL_WARN
                                : TRIAGE_LEVEL_INFO;
    size_t mb = req + 1, me = mb;
    while (me < q && me - mb < 16 && s[me] >= 'A' && s[me] <= 'Z')
        me++;
    if (me > mb && me < q && s[me] == ' ')
        set_component(rec, s + mb, me - mb);
    else
        set_component(rec, "access", 6);
    set_msg(rec, s, len, req);
    return true;
}

/* Apache error: [Www Mmm dd hh:mm:ss[.frac] yyyy] [module:level] [pid N] msg */
static bool p_apache_error(const char *s, size_t len, int64_t ref, struct triage_record *rec)
{
    (void)ref;
    int mon, day, h, m, sec, ms, y = 0;
    if (len < 26 || s[0] != '[' || s[4] != ' ' || (mon = triage_time_month(s + 5, 3)) == 0 ||
        s[8] != ' ' || !is_digit(s[10]))
        return false;
    size_t i = 9;
    if (s[i] == ' ')
        i++;
    day = 0;
    while (i < len && i < 11 && is_digit(s[i]))
        day = day * 10 + (s[i++] - '0');
    if (i >= len || s[i] != ' ')
        return false;
    size_t n = triage_time_hms(s + i + 1, len - i - 1, &h, &m, &sec, &ms);
    if (n == 0)
        return false;
    i += 1 + n;
    if (i + 6 > len || s[i] != ' ' || s[i + 5] != ']')
        return false;
    for (size_t k = i + 1; k < i + 5; k++)
        y = is_digit(s[k]) ? y * 10 + (s[k] - '0') : -1000000;
    rec->ts_ms = triage_time_civil_ms(y, mon, day, h, m, sec, ms);
    i += 6;
    if (i + 1 >= len || s[i] != ' ' || s[i + 1] != '[')
        return false;
    size_t a = i + 2, b = find_near(s, len, a, ']');
    if (b == 0)
        return false;
    const char *colon = memchr(s + a, ':', b - a);
    size_t lv = colon ? (size_t)(colon - s) + 1 : a;
    if ((rec->level = triage_level_word(s + lv, b - lv)) == TRIAGE_LEVEL_UNKNOWN)
        return false;
    if (colon)
        set_component(rec, s + a, (size_t)(colon - s) - a);
    i = skip_spaces(s, len, b + 1);
    if (len - i > 5 && memcmp(s + i, "[pid ", 5) == 0 && (b = find_near(s, len, i, ']')) != 0)
        i = skip_spaces(s, len, b + 1);
    set_msg(rec, s, len, i);
    return true;
}

/* nginx error: yyyy/mm/dd hh:mm:ss [level] pid#tid: msg */
static bool p_nginx_error(const char *s, size_t len, int64_t ref, struct triage_record *rec)
{
    (void)ref;
    size_t i = triage_time_iso(s, len, &rec->ts_ms), e;
    if (i != 19 || s[4] != '/' || i + 2 >= len || s[i] != ' ' || s[i + 1] != '[')
        return false;
    size_t b = find_near(s, len, i + 2, ']');
    if (b == 0 || (rec->level = triage_level_word(s + i + 2, b - i - 2)) == TRIAGE_LEVEL_UNKNOWN)
        return false;
    i = skip_spaces(s, len, b + 1);
    e = token_end(s, len, i);
    if (e != 0 && s[e - 1] == ':' && memchr(s + i, '#', e - i) != NULL)
        i = skip_spaces(s, len, e);
    set_msg(rec, s, len, i);
    return true;
}

/* ---- klog, Python, Java, plain ISO ---- */

/* klog: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg */
static bool p_klog(const char *s, size_t len, int64_t ref, struct triage_record *rec)
{
    static const char letters[] = "IWEF";
    static const unsigned char levels[] = {TRIAGE_LEVEL_INFO, TRIAGE_LEVEL_WARN, TRIAGE_LEVEL_ERROR,
                                           TRIAGE_LEVEL_CRITICAL};
    const char *l = len > 0 && s[0] != '\0' ? strchr(letters, s[0]) : NULL;
    int h, m, sec, ms;
    if (!l || len < 22 || s[5] != ' ')
        return false;
    for (int k = 1; k < 5; k++)
        if (!is_digit(s[k]))
            return false;
    int mon = (s[1] - '0') * 10 + (s[2] - '0'), day = (s[3] - '0') * 10 + (s[4] - '0');
    size_t n = triage_time_hms(s + 6, len - 6, &h, &m, &sec, &ms);
    if (n == 0)
        return false;
    size_t i = skip_spaces(s, len, 6 + n), e = token_end(s, len, i);
    if (e == 0 || e == len)
        return false;
    for (size_t k = i; k < e; k++)
        if (!is_digit(s[k]))
            return false;
    i = e + 1;
    size_t b = find_near(s, len, i, ']');
    const char *colon = b ? memchr(s + i, ':', b - i) : NULL;
    if (!colon || memchr(s + i, ' ', b - i) != NULL)
        return false;
    rec->ts_ms = triage_time_yearless(ref, mon, day, h, m, sec, ms);
    rec->level = (enum triage_level)levels[l - letters];
    set_component(rec, s + i, (size_t)(colon - s) - i);
    set_msg(rec, s, len, b + 1 < len && s[b + 1] == ' ' ? b + 2 : b + 1);
    return true;
}

/* The logger/module name at s[i] ending right before stop (" - " or ":"); 0 when none. */
static size_t name_until(const char *s, size_t len, size_t i, const char *stop, size_t stop_n)
{
    size_t j = i;
    while (j < len && j - i < TOKEN_MAX) {
        if (len - j >= stop_n && memcmp(s + j, stop, stop_n) == 0)
            return j > i ? j : 0;
        if (stop_n == 1 && is_space(s[j]))
            return 0;
        j++;
    }
    return 0;
}

/* Python: yyyy-mm-dd hh:mm:ss,mmm - name - LEVEL - msg */
static bool p_python(const char *s, size_t len, int64_t ref, struct triage_record *rec)
{
    (void)ref;
    size_t i = triage_time_iso(s, len, &rec->ts_ms);
    if (i == 0 || len - i < 3 || memcmp(s + i, " - ", 3) != 0)
        return false;
    i += 3;
    size_t ne = name_until(s, len, i, " - ", 3);
    if (ne == 0)
        return false;
    size_t lv = ne + 3, le = name_until(s, len, lv, " - ", 3);
    if (le == 0 || (rec->level = triage_level_word(s + lv, le - lv)) == TRIAGE_LEVEL_UNKNOWN)
        return false;
    set_component(rec, s + i, ne - i);
    set_msg(rec, s, len, le + 3);
    return true;
}

/* Python basicConfig: LEVEL:name:msg with LEVEL one of Python's five names, upper case. */
static bool p_python_basic(const char *s, size_t len, int64_t ref, struct triage_record *rec)
{
    (void)ref;
    static const char *const names[] = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};
    size_t lv = 0;
    for (size_t k = 0; k < 5 && lv == 0; k++) {
        size_t n = strlen(names[k]);
        if (len > n && memcmp(s, names[k], n) == 0 && s[n] == ':')
            lv = n;
    }
    if (lv == 0)
        return false;
    size_t ne = name_until(s, len, lv + 1, ":", 1);
    if (ne == 0)
        return false;
    rec->level = triage_level_word(s, lv);
    set_component(rec, s + lv + 1, ne - lv - 1);
    set_msg(rec, s, len, ne + 1);
    return true;
}

/* A "[...]" group at s[i] closed by "] " or "]" at the end; returns the index after ']'. */
static size_t bracket(const char *s, size_t len, size_t i)
{
    if (i >= len || s[i] != '[')
        return 0;
    size_t lim = len - i > TOKEN_MAX ? i + TOKEN_MAX : len;
    for (size_t j = i + 1; j < lim; j++)
        if (s[j] == ']' && (j + 1 == len || is_space(s[j + 1])))
            return j + 1;
    return 0;
}

/* Java (log4j, logback, Spring Boot): TS [thread] LEVEL logger - msg,
 * TS LEVEL [thread] logger - msg, TS LEVEL pid --- [app] [thread] logger : msg */
static bool p_java(const char *s, size_t len, int64_t ref, struct triage_record *rec)
{
    (void)ref;
    size_t i = triage_time_iso(s, len, &rec->ts_ms), e;
    int groups = 0;
    if (i == 0 || i >= len || !is_space(s[i]))
        return false;
    i = skip_spaces(s, len, i);
    if ((e = bracket(s, len, i)) != 0) {
        groups++;
        i = skip_spaces(s, len, e);
    }
    if ((rec->level = level_token(s, len, i, &e)) == TRIAGE_LEVEL_UNKNOWN)
        return false;
    i = skip_spaces(s, len, e);
    e = token_end(s, len, i);
    if (e != 0 && is_digit(s[i]) && len - e > 5 && memcmp(s + e, " --- ", 5) == 0)
        i = e + 5;
    while (groups < 3 && (e = bracket(s, len, i)) != 0) {
        groups++;
        i = skip_spaces(s, len, e);
    }
    if (groups == 0 || (e = token_end(s, len, i)) == 0)
        return false;
    size_t sep = skip_spaces(s, len, e);
    if (sep >= len || (s[sep] != '-' && s[sep] != ':') || (sep + 1 < len && !is_space(s[sep + 1])))
        return false;
    set_component(rec, s + i, e - i);
    set_msg(rec, s, len, sep + 1 < len ? sep + 2 : sep + 1);
    return true;
}

/* Plain ISO: [TS] or TS, then an optional level word, then an optional [component]. */
static bool p_iso(const char *s, size_t len, int64_t ref, struct triage_record *rec)
{
    (void)ref;
    size_t i = len > 0 && s[0] == '[' ? 1 : 0, n, e = 0;
    if ((n = triage_time_iso(s + i, len - i, &rec->ts_ms)) == 0)
        return false;
    i += n;
    if (s[0] == '[') {
        if (i >= len || s[i] != ']')
            return false;
        i++;
    }
    if (i < len && !is_space(s[i]) && s[i] != '|')
        return false;
    i = skip_spaces(s, len, i);
    if (i < len && s[i] == '|')
        i = skip_spaces(s, len, i + 1);
    if ((rec->level = level_token(s, len, i, &e)) != TRIAGE_LEVEL_UNKNOWN) {
        i = skip_spaces(s, len, e);
        if ((e = bracket(s, len, i)) != 0) {
            set_component(rec, s + i + 1, e - i - 2);
            i = skip_spaces(s, len, e);
        }
    } else {
        rec->level = level_near(s + i, len - i);
    }
    set_msg(rec, s, len, i);
    return true;
}

/* ---- Docker JSON-file ---- */

/* The index after the JSON string starting at s[i] ('"'), or 0 when it does not close. */
static size_t json_string_end(const char *s, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return 0;
}

/* The index after the JSON value at s[i] (strings, numbers, literals, nested containers). */
static size_t json_value_end(const char *s, size_t len, size_t i)
{
    if (i >= len)
        return 0;
    if (s[i] == '"')
        return json_string_end(s, len, i);
    size_t depth = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c == '"') {
            if ((i = json_string_end(s, len, i)) == 0)
                return 0;
            i--;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return i;
            depth--;
        } else if (c == ',' && depth == 0) {
            return i;
        }
    }
    return 0;
}

static size_t put_utf8(char *out, size_t o, size_t cap, unsigned cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    if (o + n > cap)
        return cap;
    memcpy(out + o, b, n);
    return o + n;
}

static int hex4(const char *s, size_t len, size_t i)
{
    if (i + 4 > len)
        return -1;
    int v = 0;
    for (size_t k = i; k < i + 4; k++) {
        char c = s[k];
        int d = is_digit(c)                              ? c - '0'
                : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                         : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Unescape the JSON string body s[a..b) into out (at most cap bytes); returns bytes written. */
static size_t json_unescape(const char *s, size_t a, size_t b, char *out, size_t cap)
{
    static const char from[] = "nt\"\\/rbf", to[] = "\n\t\"\\/\r\b\f";
    size_t o = 0;
    for (size_t i = a; i < b && o < cap; i++) {
        if (s[i] != '\\' || i + 1 >= b) {
            out[o++] = s[i];
            continue;
        }
        char c = s[++i];
        const char *p = c != '\0' ? strchr(from, c) : NULL;
        if (p) {
            out[o++] = to[p - from];
        } else if (c == 'u') {
            int cp = hex4(s, b, i + 1);
            i += cp < 0 ? 0 : 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 2 < b && s[i + 1] == '\\' && s[i + 2] == 'u') {
                int lo = hex4(s, b, i + 3);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            o = put_utf8(out, o, cap,
                         cp < 0 || (cp >= 0xD800 && cp < 0xE000) ? 0xFFFD : (unsigned)cp);
        } else {
            out[o++] = c;
        }
    }
    return o;
}

static bool parse_first(const char *s,
                        size_t len,
                        int64_t ref,
                        struct triage_record *rec,
                        char *scratch,
                        size_t cap,
                        enum triage_fmt *fmt);

/* {"log":"...","stream":"stdout|stderr","time":"..."}: the log text is unescaped into scratch
 * and parsed again with the other formats (level, component); the time is Docker's. */
static bool p_docker(
    const char *s, size_t len, int64_t ref, struct triage_record *rec, char *scratch, size_t cap)
{
    size_t i = skip_spaces(s, len, 0), log_a = 0, log_b = 0;
    int64_t ts = -1;
    bool have_log = false;
    if (i >= len || s[i] != '{' || scratch == NULL || cap == 0)
        return false;
    i = skip_spaces(s, len, i + 1);
    while (i < len && s[i] == '"') {
        size_t ke = json_string_end(s, len, i), ve;
        if (ke == 0)
            return false;
        size_t v = skip_spaces(s, len, ke);
        if (v >= len || s[v] != ':')
            return false;
        v = skip_spaces(s, len, v + 1);
        if ((ve = json_value_end(s, len, v)) == 0)
            return false;
        size_t kn = ke - i - 2;
        if (kn == 3 && memcmp(s + i + 1, "log", 3) == 0 && s[v] == '"') {
            log_a = v + 1;
            log_b = ve - 1;
            have_log = true;
        } else if (kn == 4 && memcmp(s + i + 1, "time", 4) == 0 && s[v] == '"') {
            int64_t t;
            if (triage_time_iso(s + v + 1, ve - v - 2, &t) == ve - v - 2)
                ts = t;
        }
        i = skip_spaces(s, len, ve);
        if (i < len && s[i] == ',')
            i = skip_spaces(s, len, i + 1);
    }
    if (!have_log || i >= len || s[i] != '}' || skip_spaces(s, len, i + 1) != len)
        return false;
    size_t n = trim_eol(scratch, json_unescape(s, log_a, log_b, scratch, cap));
    enum triage_fmt inner = TRIAGE_FMT_DOCKER_JSON; /* not again inside */
    if (!parse_first(scratch, n, ref, rec, NULL, 0, &inner))
        triage_parse_unknown(scratch, n, rec);
    if (ts >= 0)
        rec->ts_ms = ts;
    return true;
}

/* ---- dispatch ---- */

static void rec_reset(struct triage_record *rec)
{
    rec->msg = NULL;
    rec->msg_len = 0;
    rec->ts_ms = -1;
    rec->level = TRIAGE_LEVEL_UNKNOWN;
    rec->component[0] = '\0';
}

/* One format on a trimmed line; rec is reset first and left partly filled on false. */
static bool parse_one(enum triage_fmt fmt,
                      const char *s,
                      size_t len,
                      int64_t ref,
                      struct triage_record *rec,
                      char *scratch,
                      size_t cap)
{
    rec_reset(rec);
    switch (fmt) {
    case TRIAGE_FMT_DOCKER_JSON:
        return p_docker(s, len, ref, rec, scratch, cap);
    case TRIAGE_FMT_SYSLOG5424:
        return p_5424(s, len, ref, rec);
    case TRIAGE_FMT_SYSLOG3164:
        return p_3164(s, len, ref, rec);
    case TRIAGE_FMT_ACCESS:
        return p_access(s, len, ref, rec);
    case TRIAGE_FMT_APACHE_ERROR:
        return p_apache_error(s, len, ref, rec);
    case TRIAGE_FMT_NGINX_ERROR:
        return p_nginx_error(s, len, ref, rec);
    case TRIAGE_FMT_KLOG:
        return p_klog(s, len, ref, rec);
    case TRIAGE_FMT_PYTHON:
        return p_python(s, len, ref, rec);
    case TRIAGE_FMT_PYTHON_BASIC:
        return p_python_basic(s, len, ref, rec);
    case TRIAGE_FMT_JAVA:
        return p_java(s, len, ref, rec);
    case TRIAGE_FMT_ISO:
        return p_iso(s, len, ref, rec);
    case TRIAGE_FMT_UNKNOWN:
    case TRIAGE_FMT_COUNT:
        break;
    }
    return false;
}

bool triage_parse_as(enum triage_fmt fmt,
                     const char *line,
                     size_t len,
                     int64_t ref_ms,
                     struct triage_record *rec,
                     char *scratch,
                     size_t scratch_cap)
{
    len = trim_eol(line, len);
    if (parse_one(fmt, line, len, ref_ms, rec, scratch, scratch_cap))
        return true;
    triage_parse_unknown(line, len, rec);
    return false;
}

/* The first format (in enum order, skipping *fmt when it is set) that fits. */
static bool parse_first(const char *s,
                        size_t len,
                        int64_t ref,
                        struct triage_record *rec,
                        char *scratch,
                        size_t cap,
                        enum triage_fmt *fmt)
{
    enum triage_fmt skip = *fmt;
    for (int f = 1; f < TRIAGE_FMT_COUNT; f++) {
        if ((enum triage_fmt)f == skip)
            continue;
        if (parse_one((enum triage_fmt)f, s, len, ref, rec, scratch, cap)) {
            *fmt = (enum triage_fmt)f;
            return true;
        }
    }
    *fmt = TRIAGE_FMT_UNKNOWN;
    return false;
}

/* ---- the per-source detector ---- */

struct triage_detect {
    int64_t ref_ms;
    unsigned voted;  /* lines that took part in the vote */
    unsigned headed; /* of those, lines some format fitted */
    unsigned votes[TRIAGE_FMT_COUNT];
    enum triage_fmt leader;
};

struct triage_detect *triage_detect_new(int64_t ref_time_ms)
{
    struct triage_detect *d = xcalloc(1, sizeof(*d));
    d->ref_ms = ref_time_ms;
    return d;
}

void triage_detect_free(struct triage_detect *d)
{
    xfree(d);
}

static void vote(struct triage_detect *d, const char *s, size_t len, char *scratch, size_t cap)
{
    /* A line votes for the most specific format that fits it: plain ISO also fits Java and
     * Python lines, and must not outvote them. */
    struct triage_record tmp;
    enum triage_fmt f = TRIAGE_FMT_UNKNOWN;
    if (parse_first(s, len, d->ref_ms, &tmp, scratch, cap, &f))
        d->votes[f]++;
    d->voted++;
    d->headed += f != TRIAGE_FMT_UNKNOWN;
    enum triage_fmt best = TRIAGE_FMT_UNKNOWN;
    for (int k = 1; k < TRIAGE_FMT_COUNT; k++)
        if (d->votes[k] > d->votes[best])
            best = (enum triage_fmt)k;
    d->leader = best;
}

enum triage_fmt triage_detect_line(struct triage_detect *d,
                                   const char *line,
                                   size_t len,
                                   struct triage_record *rec,
                                   char *scratch,
                                   size_t scratch_cap)
{
    len = trim_eol(line, len);
    if (len > 0 && d->voted < TRIAGE_DETECT_VOTE_LINES)
        vote(d, line, len, scratch, scratch_cap);
    enum triage_fmt fmt = d->leader;
    if (fmt != TRIAGE_FMT_UNKNOWN &&
        parse_one(fmt, line, len, d->ref_ms, rec, scratch, scratch_cap))
        return fmt;
    if (parse_first(line, len, d->ref_ms, rec, scratch, scratch_cap, &fmt))
        return fmt;
    triage_parse_unknown(line, len, rec);
    return TRIAGE_FMT_UNKNOWN;
}

enum triage_fmt triage_detect_format(const struct triage_detect *d)
{
    return d->leader;
}

const char *triage_detect_format_name(const struct triage_detect *d)
{
    return triage_fmt_name(d->leader);
}

bool triage_detect_headered(const struct triage_detect *d)
{
    return d->voted > 0 && d->headed * 2 > d->voted;
}
