/* SPDX-License-Identifier: MIT */
/* triage_time.h -- bounded timestamp scanners for log headers: calendar arithmetic without
 * libc time zones, ISO 8601 with fractions and offsets, month names, year inference for
 * headers that carry no year. Pure: every scanner reads at most the bytes it is given. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Unix ms of a UTC civil time; -1 when a field is out of range (month 1..12, day 1..31,
 * hour 0..23, minute 0..59, second 0..60, year 1970..9999). */
int64_t triage_time_civil_ms(int year, int mon, int day, int hour, int min, int sec, int ms);

/* Parse "YYYY-MM-DD[T ]HH:MM:SS[.,frac][Z|+hh[:mm]|-hh[:mm]]" (also "YYYY/MM/DD") at the start of
 * s[0..len). On success returns the bytes consumed and writes the UTC instant; returns 0
 * when the text is not such a timestamp. */
size_t triage_time_iso(const char *s, size_t len, int64_t *ms);

/* Parse "hh:mm:ss[.frac|,frac]" at the start of s; returns bytes consumed or 0. */
size_t triage_time_hms(const char *s, size_t len, int *h, int *m, int *sec, int *ms);

/* Month from a 3-letter English abbreviation (case-insensitive): 1..12, or 0. */
int triage_time_month(const char *s, size_t len);

/* The instant of a year-less month/day/time, placed in the year of ref_ms unless that puts
 * it more than 30 days after ref_ms (then the year before: December lines read in January).
 * -1 when ref_ms < 0 or a field is out of range. */
int64_t triage_time_yearless(int64_t ref_ms, int mon, int day, int hour, int min, int sec, int ms);

/* Timestamp pieces gathered from the fields of a format string (triage_format.c): feed the
 * value of each <Date>, <Time>, <Month>, <Day>, <Year>, <Timestamp> field, in line order,
 * then ask for the instant. Understood: ISO 8601 (whole or split into date and time),
 * YYYY-MM-DD / YYYY/MM/DD / YYYY.MM.DD, MM/DD/YYYY, YY/MM/DD, YYMMDD and YYYYMMDD dates, MM-DD,
 * month names, day numbers, 4-digit years, hh:mm:ss[.frac] and HHMMSS times, weekday names
 * (ignored), Unix epoch seconds (9-10 digits) or ms (12-13 digits) in a <Timestamp>. */
enum triage_time_role {
    TRIAGE_TIME_DATE,
    TRIAGE_TIME_TIME,
    TRIAGE_TIME_MONTH,
    TRIAGE_TIME_DAY,
    TRIAGE_TIME_YEAR,
    TRIAGE_TIME_STAMP,
};
struct triage_time_parts {
    int year, mon, day, hour, min, sec, ms; /* 0 when not seen */
    bool has_time;
    int64_t abs_ms; /* a whole instant (ISO, epoch), or -1 */
};
/* Start gathering. */
void triage_time_parts_init(struct triage_time_parts *p);
/* Add the value s[0..n) of a field of the given role. */
void triage_time_parts_feed(struct triage_time_parts *p,
                            enum triage_time_role role,
                            const char *s,
                            size_t n);
/* The instant the pieces name (year-less ones placed near ref_ms, see triage_time_yearless);
 * -1 when they name none (no month and day, or out of range). */
int64_t triage_time_parts_ms(const struct triage_time_parts *p, int64_t ref_ms);
