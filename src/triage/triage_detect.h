/* SPDX-License-Identifier: MIT */
/* triage_detect.h -- header parsers for common log formats, and a per-source detector that
 * votes on the first lines to learn which format a source uses.
 *
 * Every parser is a hand-written scanner: it reads only line[0..len) (NUL bytes, invalid
 * UTF-8 and CR are ordinary bytes), allocates nothing, and does work bounded by a small
 * constant for the header plus one linear pass for Docker JSON unescaping. A trailing CR/LF
 * is ignored. The record's msg points into the line, or into the caller's scratch buffer for
 * Docker JSON logs (unescaped text, cut at scratch_cap). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "triage/triage_record.h"

/* Formats, most specific first: on a tie in the vote the lower value wins. */
enum triage_fmt {
    TRIAGE_FMT_UNKNOWN = 0,  /* no header: the whole line is the message */
    TRIAGE_FMT_DOCKER_JSON,  /* {"log":"...\n","stream":"stderr","time":"..."} */
    TRIAGE_FMT_SYSLOG5424,   /* <34>1 2026-11-24T18:52:50.123Z host app 123 ID47 [sd] msg */
    TRIAGE_FMT_SYSLOG3164,   /* [<34>]Nov 24 18:52:50 host prog[123]: msg */
    TRIAGE_FMT_ACCESS,       /* nginx/apache common or combined access log */
    TRIAGE_FMT_APACHE_ERROR, /* [Tue Nov 24 18:52:50.123 2026] [core:error] [pid 1] msg */
    TRIAGE_FMT_NGINX_ERROR,  /* 2026/11/24 18:52:50 [error] 12#12: msg */
    TRIAGE_FMT_KLOG,         /* E1124 18:52:50.123456   12345 file.go:123] msg */
    TRIAGE_FMT_PYTHON,       /* 2026-11-24 18:52:50,123 - name - ERROR - msg */
    TRIAGE_FMT_PYTHON_BASIC, /* ERROR:name:msg */
    TRIAGE_FMT_JAVA,         /* 2026-11-24 18:52:50,123 ERROR [thread] c.x.Y - msg (and variants) */
    TRIAGE_FMT_ISO,          /* 2026-11-24T18:52:50.123Z [level] msg */
    TRIAGE_FMT_COUNT
};

/* The format's short name ("syslog3164", "iso", "unknown", ...). */
const char *triage_fmt_name(enum triage_fmt fmt);

/* The level of a level word (case-insensitive: TRACE DEBUG INFO NOTICE WARN WARNING ERR ERROR
 * CRIT CRITICAL FATAL SEVERE ALERT EMERG PANIC ...); TRIAGE_LEVEL_UNKNOWN when it is none. */
enum triage_level triage_level_word(const char *s, size_t len);

/* Parse line with one format. Returns true and fills rec when the line fits; on false rec
 * is left as an unknown-format record (whole line, ts -1, level from a word near the start).
 * ref_ms places year-less timestamps (syslog 3164, klog); pass the source's "now". */
bool triage_parse_as(enum triage_fmt fmt,
                     const char *line,
                     size_t len,
                     int64_t ref_ms,
                     struct triage_record *rec,
                     char *scratch,
                     size_t scratch_cap);

/* Fill rec as a line of no known format: msg = the line, ts -1, level from a word near the
 * start ("ERROR ...", "[warn] ...", "level=error"), component "". */
void triage_parse_unknown(const char *line, size_t len, struct triage_record *rec);

/* A per-source detector: learns the format from the first TRIAGE_DETECT_VOTE_LINES
 * non-empty lines (each line votes for every format it fits), then parses every line with
 * the winner and falls back, per line, to the other formats in order, then to unknown. */
#define TRIAGE_DETECT_VOTE_LINES 64

struct triage_detect;

struct triage_detect *triage_detect_new(int64_t ref_time_ms);
void triage_detect_free(struct triage_detect *d);

/* Split one line (without or with its trailing newline) into rec. Returns the format that
 * parsed it (TRIAGE_FMT_UNKNOWN when none did: a line without a header). */
enum triage_fmt triage_detect_line(struct triage_detect *d,
                                   const char *line,
                                   size_t len,
                                   struct triage_record *rec,
                                   char *scratch,
                                   size_t scratch_cap);

/* The source's format: the vote's leader so far (the winner once the vote is over). */
enum triage_fmt triage_detect_format(const struct triage_detect *d);
const char *triage_detect_format_name(const struct triage_detect *d);

/* True when the last line given to triage_detect_line carried a header: a format fitted it
 * and, for Docker JSON logs, a format fitted the log text inside. This is the has_header
 * that the multi-line joiner (triage_multiline.h) wants. */
bool triage_detect_line_headed(const struct triage_detect *d);

/* True when most lines voted on so far carried a header (so a line without one is likely a
 * continuation of the record before it). */
bool triage_detect_headered(const struct triage_detect *d);
