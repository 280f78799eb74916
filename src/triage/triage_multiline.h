/* SPDX-License-Identifier: MIT */
/* triage_multiline.h -- decide whether a line continues the record before it (stack traces,
 * Python tracebacks, headerless lines in a source whose lines carry headers), so that a
 * record's first line stands for the whole record: continuations are counted, not mined.
 *
 * Pure and bounded: a record takes at most TRIAGE_JOIN_MAX_LINES continuation lines and
 * TRIAGE_JOIN_MAX_BYTES continuation bytes; the line after that starts a new record. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define TRIAGE_JOIN_MAX_LINES 512
#define TRIAGE_JOIN_MAX_BYTES (256 * 1024)

struct triage_join {
    bool open;      /* a record has started (its first line was seen) */
    bool traceback; /* inside a Python "Traceback (most recent call last):" block */
    size_t lines;   /* continuation lines joined to the open record */
    size_t bytes;   /* their bytes */
};

void triage_join_init(struct triage_join *j);

/* Feed one line: its record's msg as triage_detect_line filled it (the whole line when it has
 * no header; for Docker JSON logs the unescaped log text); trailing CR/LF ignored.
 * has_header: triage_detect_line_headed(); headered: triage_detect_headered(), the source's
 * lines normally carry a header. Returns true when the line
 * continues the open record, false when it starts a new record. */
bool triage_join_line(
    struct triage_join *j, const char *line, size_t len, bool has_header, bool headered);
