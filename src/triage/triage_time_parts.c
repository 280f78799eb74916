/* SPDX-License-Identifier: MIT */
/* triage_time_parts.c -- the instant named by the date and time fields of a format string
 * (see triage_time.h). Each field value is cut into space-separated tokens; each token is
 * recognised by its shape. Pure, bounded by the bytes given. */
#include "triage/triage_time.h"

#include <string.h>

#define TOKEN_MAX 64 /* longer tokens are no date or time */

void triage_time_parts_init(struct triage_time_parts *p)
{
    memset(p, 0, sizeof(*p));
    p->abs_ms = -1;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Digits of s[*i..n) as a number (at most 9 of them); their count in *nd. */
static long digits(const char *s, size_t n, size_t *i, int *nd)
{
    long v = 0;
    *nd = 0;
    while (*i < n && is_digit(s[*i]) && *nd < 9) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        (*nd)++;
    }
    return v;
}

static bool is_weekday(const char *s, size_t n)
{
    static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    if (n < 3)
        return false;
    for (size_t i = 0; i < 7; i++)
        if ((s[0] | 0x20) == (days[i][0] | 0x20) && (s[1] | 0x20) == days[i][1] &&
            (s[2] | 0x20) == days[i][2])
            return true;
    return false;
}

static void set_date(struct triage_time_parts *p, long y, long m, long d)
{
    p->year = (int)y;
    p->mon = (int)m;
    p->day = (int)d;
}

/* A date of 2 or 3 digit groups separated by '-', '/' or '.'; false when it is none. */
static bool date_groups(struct triage_time_parts *p, const char *s, size_t n)
{
    long v[3];
    int nd[3], groups = 0;
    size_t i = 0;
    while (groups < 3) {
        v[groups] = digits(s, n, &i, &nd[groups]);
        if (nd[groups] == 0)
            return false;
        groups++;
        if (i == n)
            break;
        if (s[i] != '-' && s[i] != '/' && s[i] != '.')
            return false;
        i++;
    }
    if (i != n || groups < 2)
        return false;
    if (groups == 2) { /* MM-DD */
        p->mon = (int)v[0];
        p->day = (int)v[1];
    } else if (nd[0] == 4) {
        set_date(p, v[0], v[1], v[2]);
    } else if (nd[2] == 4) {
        set_date(p, v[2], v[0], v[1]);
    } else {
        set_date(p, 2000 + v[0], v[1], v[2]); /* YY/MM/DD, as Spark writes it */
    }
    return true;
}

/* A token of only digits: an epoch, a year, a day, or a packed date or time. */
static void
all_digits(struct triage_time_parts *p, enum triage_time_role role, const char *s, size_t n)
{
    long v = 0;
    for (size_t i = 0; i < n && i < 9; i++)
        v = v * 10 + (s[i] - '0');
    if (role == TRIAGE_TIME_STAMP && n >= 9 && n <= 13) {
        int64_t e = 0;
        for (size_t i = 0; i < n; i++)
            e = e * 10 + (s[i] - '0');
        p->abs_ms = n <= 10 ? e * 1000 : e;
    } else if (n == 4) {
        p->year = (int)v;
    } else if (n <= 2 && role != TRIAGE_TIME_YEAR) { /* a day, also in a ctime-like <Time> */
        p->day = (int)v;
    } else if (n == 6 && role == TRIAGE_TIME_TIME) { /* HHMMSS, as HDFS writes it */
        p->hour = (int)(v / 10000);
        p->min = (int)(v / 100 % 100);
        p->sec = (int)(v % 100);
        p->has_time = true;
    } else if (n == 6) { /* YYMMDD */
        set_date(p, 2000 + v / 10000, v / 100 % 100, v % 100);
    } else if (n == 8) { /* YYYYMMDD */
        set_date(p, v / 10000, v / 100 % 100, v % 100);
    }
}

static void token(struct triage_time_parts *p, enum triage_time_role role, const char *s, size_t n)
{
    int64_t ms;
    size_t nd = 0;
    int h, mi, sec, frac;
    while (nd < n && is_digit(s[nd]))
        nd++;
    if (n > TOKEN_MAX) {
        return;
    } else if (nd == n) {
        all_digits(p, role, s, n);
    } else if (triage_time_iso(s, n, &ms) > 0) {
        p->abs_ms = ms;
    } else if (triage_time_hms(s, n, &h, &mi, &sec, &frac) > 0) {
        p->hour = h;
        p->min = mi;
        p->sec = sec;
        p->ms = frac;
        p->has_time = true;
    } else if (triage_time_month(s, n > 3 ? 3 : n) && !is_digit(s[0])) {
        p->mon = triage_time_month(s, 3);
    } else if (!is_weekday(s, n)) {
        date_groups(p, s, n);
    }
}

void triage_time_parts_feed(struct triage_time_parts *p,
                            enum triage_time_role role,
                            const char *s,
                            size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
            i++;
        size_t b = i;
        while (i < n && s[i] != ' ' && s[i] != '\t')
            i++;
        if (i > b)
            token(p, role, s + b, i - b);
    }
}

int64_t triage_time_parts_ms(const struct triage_time_parts *p, int64_t ref_ms)
{
    if (p->abs_ms >= 0)
        return p->abs_ms;
    if (p->mon == 0 || p->day == 0)
        return -1;
    if (p->year)
        return triage_time_civil_ms(p->year, p->mon, p->day, p->hour, p->min, p->sec, p->ms);
    return triage_time_yearless(ref_ms, p->mon, p->day, p->hour, p->min, p->sec, p->ms);
}
