/* SPDX-License-Identifier: MIT */
/* triage_time.c -- timestamp scanners for log headers (see triage_time.h). */
#include "triage/triage_time.h"

#define DAY_MS 86400000LL

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int year_of_ms(int64_t ms)
{
    int64_t z = ms / DAY_MS + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t y = yoe + era * 400 + (mp >= 10);
    return (int)y;
}

int64_t triage_time_civil_ms(int year, int mon, int day, int hour, int min, int sec, int ms)
{
    if (year < 1970 || year > 9999 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 ||
        hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60 || ms < 0 || ms > 999)
        return -1;
    int64_t days = days_from_civil(year, mon, day);
    return ((days * 24 + hour) * 60 + min) * 60000LL + sec * 1000LL + ms;
}

static bool num(const char *s, size_t len, size_t at, int n, int *out)
{
    if (at + (size_t)n > len)
        return false;
    int v = 0;
    for (int i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[at + (size_t)i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
}

/* Fraction after '.' or ',' at s[at]: up to 9 digits used, more skipped (bounded by len). */
static size_t fraction(const char *s, size_t len, size_t at, int *ms)
{
    if (at >= len || (s[at] != '.' && s[at] != ','))
        return at;
    size_t i = at + 1;
    int v = 0, n = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (n < 3)
            v = v * 10 + (s[i] - '0');
        n++;
        i++;
    }
    if (n == 0)
        return at;
    for (; n < 3; n++)
        v *= 10;
    *ms = v;
    return i;
}

size_t triage_time_hms(const char *s, size_t len, int *h, int *m, int *sec, int *ms)
{
    if (!num(s, len, 0, 2, h) || len < 8 || s[2] != ':' || !num(s, len, 3, 2, m) || s[5] != ':' ||
        !num(s, len, 6, 2, sec))
        return 0;
    *ms = 0;
    return fraction(s, len, 8, ms);
}

/* "Z", "+hh", "+hhmm", "+hh:mm" (also "-") at s[at]; adds the offset in ms to *off. */
static size_t zone(const char *s, size_t len, size_t at, int64_t *off)
{
    *off = 0;
    if (at < len && s[at] == 'Z')
        return at + 1;
    if (at >= len || (s[at] != '+' && s[at] != '-'))
        return at;
    int sign = s[at] == '-' ? 1 : -1, hh, mm = 0;
    if (!num(s, len, at + 1, 2, &hh) || hh > 14)
        return at;
    size_t i = at + 3;
    if (i < len && s[i] == ':' && num(s, len, i + 1, 2, &mm))
        i += 3;
    else if (num(s, len, i, 2, &mm))
        i += 2;
    else
        mm = 0;
    if (mm > 59)
        return at;
    *off = sign * ((int64_t)hh * 60 + mm) * 60000;
    return i;
}

size_t triage_time_iso(const char *s, size_t len, int64_t *ms_out)
{
    int y, mo, d, h, mi, sec, ms = 0;
    if (len < 19 || !num(s, len, 0, 4, &y) || (s[4] != '-' && s[4] != '/') ||
        !num(s, len, 5, 2, &mo) || s[7] != s[4] || !num(s, len, 8, 2, &d) ||
        (s[10] != 'T' && s[10] != ' '))
        return 0;
    size_t n = triage_time_hms(s + 11, len - 11, &h, &mi, &sec, &ms);
    if (n == 0)
        return 0;
    int64_t off = 0;
    size_t end = zone(s, len, 11 + n, &off);
    int64_t t = triage_time_civil_ms(y, mo, d, h, mi, sec, ms);
    if (t < 0)
        return 0;
    *ms_out = t + off < 0 ? 0 : t + off;
    return end;
}

int triage_time_month(const char *s, size_t len)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    if (len < 3)
        return 0;
    char a = (char)(s[0] | 0x20), b = (char)(s[1] | 0x20), c = (char)(s[2] | 0x20);
    for (int i = 0; i < 12; i++)
        if (names[i * 3] == a && names[i * 3 + 1] == b && names[i * 3 + 2] == c)
            return i + 1;
    return 0;
}

int64_t triage_time_yearless(int64_t ref_ms, int mon, int day, int hour, int min, int sec, int ms)
{
    if (ref_ms < 0)
        return -1;
    int year = year_of_ms(ref_ms);
    int64_t t = triage_time_civil_ms(year, mon, day, hour, min, sec, ms);
    if (t >= 0 && t - ref_ms > 30 * DAY_MS)
        t = triage_time_civil_ms(year - 1, mon, day, hour, min, sec, ms);
    return t;
}
