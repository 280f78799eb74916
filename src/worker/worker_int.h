/* SPDX-License-Identifier: MIT */
/* worker_int.h -- private declarations shared by the worker's files (and its tests).
 *
 * The parsers here are pure: bytes in, values out, no I/O. Each task function takes the
 * parsed job.json (borrowed) and returns a new result object that always has "task" and
 * "status" ("success" or "failed" with "reason"). Single-threaded. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/err.h"

#define WORKER_LINE_MAX        (64 * 1024)          /* longer log lines are cut */
#define WORKER_FILE_MAX        (64LL * 1024 * 1024) /* bytes read per log file */
#define WORKER_FIRST_LOOKBACK  (64LL * 1024 * 1024) /* bytes of a file read the first time */
#define WORKER_CURSOR_PATH_MAX 1024                 /* longer paths get no cursor */

enum worker_level {
    WORKER_LVL_ERROR,
    WORKER_LVL_WARN,
    WORKER_LVL_INFO,
    WORKER_LVL_DEBUG,
    WORKER_LVL_OTHER,
    WORKER_LVL__COUNT
};

/* Return the name of level ("error", "warn", "info", "debug", "other"). */
const char *worker_level_name(enum worker_level level);
/* Detect the level of a log line: the first word (case-insensitive) that is a level token. */
enum worker_level worker_level_detect(const char *line, size_t len);
/* Parse the timestamp that starts line (ISO 8601 with 'T' or ' ', or syslog "Nov 24 18:52:50"
 * in year; no zone means UTC); false when the line starts with none. */
bool worker_ts_parse(const char *line, size_t len, int year, int64_t *ms_out);
/* Parse nvidia-smi's csv,noheader,nounits output of index,name,memory.used,memory.total,
 * utilization.gpu,temperature.gpu,power.draw into a new array of GPU objects. */
enum err worker_nvidia_parse(const char *csv, size_t len, json_t **gpus_out, struct errbuf *eb);

/* Print one progress line ({"progress":pct,"message":msg}) on stdout. */
void worker_progress(int pct, const char *msg);
/* Return a new failed result for task with reason. */
json_t *worker_result_failed(const char *task, const char *reason);

/* The tasks: job is the parsed job.json; each returns a new result object. */
json_t *worker_log_triage(const json_t *job);

/* ---- log_triage's template mining (worker_templates.c) ---- */
struct worker_templates;
/* Create / free the miner state of one log_triage job. */
struct worker_templates *worker_templates_new(void);
void worker_templates_free(struct worker_templates *w);
/* Start a file (its header format is detected anew; ref_time_ms places year-less
 * timestamps, -1 for none) / end it. */
void worker_templates_file_begin(struct worker_templates *w, int64_t ref_time_ms);
void worker_templates_file_end(struct worker_templates *w);
/* Add one line (its end of line may be included): detect, join, mine, count its level. */
void worker_templates_line(struct worker_templates *w, const char *line, size_t len);
/* {"records","continuation_lines","templates","templates_evicted","formats",
 * "top_findings": [{"key","template" (redacted),"count","critical","errors","warnings",
 * "level","score"}]} ranked by 4 x critical + 3 x errors + 2 x warnings, at most top_n. */
json_t *worker_templates_result(struct worker_templates *w, size_t top_n);
json_t *worker_gpu_report(const json_t *job);
json_t *worker_service_map(const json_t *job);
/* The hidden task selfcheck (not offered by the API; for isolation tests). */
json_t *worker_selfcheck(const json_t *job);

/* ---- log_triage cursors (worker_cursor.c) ---- */
/* Where reading a file starts. */
struct worker_start {
    bool has_cursor;  /* a committed cursor decided it (no time-window filter then) */
    const char *kind; /* first, continued, rotated, truncated, replaced */
    int64_t offset;   /* byte offset (uncompressed for .gz) */
    char last_ts[32]; /* the cursor's last timestamp, or "" */
};
/* Decide where to read the open file fd (stat st) at rel, from the committed cursors. */
void worker_cursor_start(const json_t *cursors,
                         const char *rel,
                         int fd,
                         const struct stat *st,
                         struct worker_start *out);
/* The cursor after reading fd at rel up to offset (NULL when rel is too long to keep). */
json_t *worker_cursor_make(
    const char *rel, int fd, const struct stat *st, int64_t offset, const char *last_ts);
