/* SPDX-License-Identifier: MIT */
/* worker_parse.c -- the worker's pure parsers: log levels, leading timestamps. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/xalloc.h"
#include "worker/worker_int.h"

static const char *const level_names[WORKER_LVL__COUNT] = {"error", "warn", "info", "debug",
                                                           "other"};

static const struct {
    const char *word;
    enum worker_level level;
} level_words[] = {
    {"error", WORKER_LVL_ERROR},    {"err", WORKER_LVL_ERROR},   {"fatal", WORKER_LVL_ERROR},
    {"critical", WORKER_LVL_ERROR}, {"warn", WORKER_LVL_WARN},   {"warning", WORKER_LVL_WARN},
    {"info", WORKER_LVL_INFO},      {"debug", WORKER_LVL_DEBUG}, {"trace", WORKER_LVL_DEBUG},
};

const char *worker_level_name(enum worker_level level)
{
    return level < WORKER_LVL__COUNT ? level_names[level] : "other";
}

static enum worker_level word_level(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof(level_words) / sizeof(level_words[0]); i++)
        if (strlen(level_words[i].word) == n && strncasecmp(w, level_words[i].word, n) == 0)
            return level_words[i].level;
    return WORKER_LVL__COUNT;
}

enum worker_level worker_level_detect(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && !isalnum((unsigned char)line[i]))
            i++;
        size_t start = i;
        while (i < len && isalnum((unsigned char)line[i]))
            i++;
        /* The longest token is "critical"; longer words cannot match. */
        if (i > start && i - start <= 8) {
            enum worker_level lv = word_level(line + start, i - start);
            if (lv != WORKER_LVL__COUNT)
                return lv;
        }
    }
    return WORKER_LVL_OTHER;
}

static bool num(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Parse "HH:MM:SS" at s into tm. */
static bool parse_hms(const char *s, struct tm *tm)
{
    return num(s, 2, &tm->tm_hour) && s[2] == ':' && num(s + 3, 2, &tm->tm_min) && s[5] == ':' &&
           num(s + 6, 2, &tm->tm_sec) && tm->tm_hour < 24 && tm->tm_min < 60 && tm->tm_sec <= 60;
}

/* Parse an optional ".frac" and zone after the seconds; adds ms, subtracts the offset. */
static int64_t zone_and_fraction(const char *p, const char *end, int64_t ms)
{
    if (p < end && (*p == '.' || *p == ',')) {
        int scale = 100;
        for (p++; p < end && isdigit((unsigned char)*p); p++) {
            ms += (*p - '0') * scale;
            scale /= 10;
        }
    }
    if (p < end && (*p == '+' || *p == '-') && end - p >= 5) {
        int hh, mm;
        int sign = *p == '-' ? -1 : 1;
        bool has_colon = p[3] == ':';
        if (num(p + 1, 2, &hh) &&
            (has_colon ? end - p >= 6 && num(p + 4, 2, &mm) : num(p + 3, 2, &mm)) && hh < 24 &&
            mm < 60)
            ms -= sign * ((int64_t)hh * 3600 + mm * 60) * 1000;
    }
    return ms;
}

static bool parse_iso(const char *s, size_t len, int64_t *ms_out)
{
    struct tm tm = {0};
    int y, mo, d;
    if (len < 19 || !num(s, 4, &y) || s[4] != '-' || !num(s + 5, 2, &mo) || s[7] != '-' ||
        !num(s + 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') || !parse_hms(s + 11, &tm))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    int64_t ms = (int64_t)timegm(&tm) * 1000;
    *ms_out = zone_and_fraction(s + 19, s + len, ms);
    return true;
}

static bool parse_syslog(const char *s, size_t len, int year, int64_t *ms_out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct tm tm = {0};
    if (len < 15 || s[3] != ' ')
        return false;
    const char *m = NULL;
    for (int i = 0; i < 12 && !m; i++)
        if (strncmp(s, months + i * 3, 3) == 0)
            m = months + i * 3;
    if (!m)
        return false;
    int d;
    if (s[4] == ' ' ? !num(s + 5, 1, &d) : !num(s + 4, 2, &d))
        return false;
    if (d < 1 || d > 31 || s[6] != ' ' || !parse_hms(s + 7, &tm))
        return false;
    tm.tm_year = year - 1900;
    tm.tm_mon = (int)((m - months) / 3);
    tm.tm_mday = d;
    *ms_out = (int64_t)timegm(&tm) * 1000;
    return true;
}

bool worker_ts_parse(const char *line, size_t len, int year, int64_t *ms_out)
{
    if (len > 0 && line[0] == '[') {
        line++;
        len--;
    }
    return parse_iso(line, len, ms_out) || parse_syslog(line, len, year, ms_out);
}
