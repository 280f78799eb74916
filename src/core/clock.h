/* SPDX-License-Identifier: MIT */
/* clock.h -- wall-clock ISO 8601 timestamps and a monotonic clock.
 *
 * Timestamps are UTC with milliseconds, "2026-11-24T18:52:50.123Z", so they
 * sort as text in both databases. Thread-safe. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define CLOCK_ISO_LEN 32

/* Write the current UTC time as ISO 8601 into out (CLOCK_ISO_LEN bytes). */
void clock_now_iso(char out[CLOCK_ISO_LEN]);
/* Write the UTC time ms_since_epoch as ISO 8601 into out. */
void clock_iso_from_ms(int64_t ms_since_epoch, char out[CLOCK_ISO_LEN]);
/* Parse an ISO 8601 UTC timestamp (Z or +00:00, optional fraction); false when malformed. */
bool clock_iso_parse(const char *s, int64_t *ms_since_epoch);
/* Return wall-clock milliseconds since the epoch. */
int64_t clock_now_ms(void);
/* Return monotonic milliseconds (for deadlines and durations). */
int64_t clock_mono_ms(void);
