/* SPDX-License-Identifier: MIT */
/* clock.c -- ISO 8601 timestamps and monotonic time. */
#include "core/clock.h"

#include <stdio.h>
#include <string.h>

void clock_iso_from_ms(int64_t ms, char out[CLOCK_ISO_LEN])
{
    /* Before the epoch nothing we store can be dated; clamp rather than print garbage. */
    if (ms < 0)
        ms = 0;
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(out, CLOCK_ISO_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, CLOCK_ISO_LEN - n, ".%03dZ", (int)(ms % 1000));
}

void clock_now_iso(char out[CLOCK_ISO_LEN])
{
    clock_iso_from_ms(clock_now_ms(), out);
}

int64_t clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool clock_iso_parse(const char *s, int64_t *ms_out)
{
    int y, mo, d, h, mi, sec, ms = 0;
    if (!s || strlen(s) < 19)
        return false;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        int scale = 100, n = 0;
        while (*p >= '0' && *p <= '9') {
            if (n < 3)
                ms += (*p - '0') * scale;
            scale /= 10;
            n++;
            p++;
        }
        if (n == 0)
            return false;
    }
    if (*p == 'Z')
        p++;
    else if (strncmp(p, "+00:00", 6) == 0)
        p += 6;
    else if (*p != '\0')
        return false;
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    *ms_out = (int64_t)t * 1000 + ms;
    return true;
}
