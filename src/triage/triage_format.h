/* SPDX-License-Identifier: MIT */
/* triage_format.h -- Loghub-style header format strings: "<Date> <Time> <Level> <Content>".
 *
 * A format is text with <Field> names. As in logpai's loghub tooling it reads as a regular
 * expression anchored at both ends: each field matches as few bytes as possible, a run of
 * spaces matches one or more white-space bytes, "\x" matches x literally, "( ... )?" is an
 * optional group; other bytes match themselves. The line is trimmed of white space first.
 * Field names with a meaning: Content (the message), Level (or Type), Component, and Date,
 * Time, Month, Day, Year, Timestamp, which give ts_ms (see triage_time_parts_feed for the
 * shapes understood; -1 when they name no instant). Compile once, split many lines; a compiled
 * format is read-only and can be shared between threads. Pure: no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "triage/triage_record.h"

#define TRIAGE_FORMAT_MAX_LEN    512 /* bytes of a format string */
#define TRIAGE_FORMAT_MAX_FIELDS 32
#define TRIAGE_LOG_FORMATS_MAX   32  /* entries of a directive's log_formats */
#define TRIAGE_LOG_GLOB_MAX      256 /* bytes of a log_formats path glob */

struct triage_format;

/* Compile fmt (NUL-terminated); ERR_INVALID with a reason in eb when it is malformed (no
 * <Content>, unbalanced group, too long, bad field name). */
enum err triage_format_compile(const char *fmt, struct triage_format **out, struct errbuf *eb);
/* Free f; NULL is fine. */
void triage_format_free(struct triage_format *f);
/* Split line (len bytes) into rec (pointers into line). Returns false when the line does
 * not match the format (rec then holds the whole trimmed line as msg, no header). */
bool triage_format_split(const struct triage_format *f,
                         const char *line,
                         size_t len,
                         struct triage_record *rec);
/* ref_ms for triage_format_split_at when no time is wanted: the time fields are not parsed
 * (ts_ms stays -1), which saves a sixth of the split on a BGL-like line. */
#define TRIAGE_FORMAT_NO_TIME INT64_MIN
/* triage_format_split, placing timestamps without a year near ref_ms (Unix ms; -1: such
 * timestamps give ts_ms -1; TRIAGE_FORMAT_NO_TIME: no timestamps at all). */
bool triage_format_split_at(const struct triage_format *f,
                            const char *line,
                            size_t len,
                            int64_t ref_ms,
                            struct triage_record *rec);
