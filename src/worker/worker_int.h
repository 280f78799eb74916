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

#include "core/buf.h"
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
 * "level","score"}] ranked by 4 x critical + 3 x errors + 2 x warnings, at most top_n,
 * "all": [{"key","template" (redacted, valid UTF-8, <= 512 bytes),"count","errors",
 * "warnings","critical"}] (at most 2000: with errors/warnings/critical first, then by count),
 * "all_truncated" (more templates existed)}. */
json_t *worker_templates_result(struct worker_templates *w, size_t top_n);
/* Append s (len bytes) to out as valid UTF-8 without NUL bytes (each invalid byte becomes
 * U+FFFD), stopping before max bytes without cutting a character. */
void worker_utf8_clean(const char *s, size_t len, struct buf *out, size_t max);
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

/* ---- log_triage's error bursts (worker_bursts.c) ---- */
#define WORKER_BURSTS_BUCKET_DEFAULT_S 300
#define WORKER_BURSTS_BUCKET_MIN_S     10
#define WORKER_BURSTS_BUCKET_MAX_S     86400
#define WORKER_BURSTS_TABLE            8192 /* hash slots (a power of two) */
#define WORKER_BURSTS_BUCKETS_MAX      4096 /* buckets kept; later ones count as overflow */
#define WORKER_BURSTS_MIN_ERRORS       10   /* a burst has at least this many errors */
#define WORKER_BURSTS_REPORT_MAX       10

struct worker_bursts;
struct triage_miner;
/* One burst: a bucket [start_ms, end_ms) with its counts and majority error template. */
struct worker_burst {
    int64_t start_ms, end_ms;
    uint64_t errors, warnings; /* errors include critical */
    uint32_t top_tid;          /* miner id (resolve it: it may have merged) */
};
/* Create (bucket_s outside 10..86400: the default 300) / free the counters. */
struct worker_bursts *worker_bursts_new(int64_t bucket_s);
void worker_bursts_free(struct worker_bursts *b);
/* Return the bucket size in seconds. */
int64_t worker_bursts_bucket_s(const struct worker_bursts *b);
/* The job's window [start_ms, end_ms) (< 0: open): the mean a burst is measured against
 * spreads the errors over all of it, so one busy bucket in a quiet day is a burst. */
void worker_bursts_window(struct worker_bursts *b, int64_t start_ms, int64_t end_ms);
/* Count one record at ts_ms (< 0: untimed) that is an error (or critical) or a warning, of
 * template tid; other records are ignored. */
void worker_bursts_add(
    struct worker_bursts *b, int64_t ts_ms, bool is_error, bool is_warning, uint32_t tid);
/* Write the bursts (at most max, the ones with most errors, in time order) to out; return
 * how many. *threshold_out is the error count a bucket needed (0: no errors at all). */
size_t worker_bursts_find(const struct worker_bursts *b,
                          struct worker_burst *out,
                          size_t max,
                          uint64_t *threshold_out);
/* Return the bursts as a new array of {"start","end" (ISO),"errors","warnings","top_key",
 * "top_template" (redacted; both null when the template is gone)}; *stats gets a new
 * {"bucket_seconds","buckets","overflow","untimed","threshold"}. */
json_t *worker_bursts_result(const struct worker_bursts *b, struct triage_miner *m, json_t **stats);
/* Return the bucket size job asks for: config.burst_bucket_seconds of its directive, else
 * of its default log_triage directive, else (or when out of range) the default. */
int64_t worker_bursts_bucket_from_job(const json_t *job);

/* ---- container logs as log_triage sources (worker_contlogs.c) ---- */
/* Where a log_triage source adds what it read (borrowed from the task's state). */
struct worker_sink {
    struct worker_templates *tpl;
    int64_t *counts; /* WORKER_LVL__COUNT entries */
    int64_t *lines_total, *lines_in_window;
    json_t *files, *read, *skipped, *unreadable;
    bool has_start, has_end;
    int64_t start_ms, end_ms; /* the window [start, end) */
};
/* Parse the engine's timestamp that starts a container log line ("2026-11-25T02:03:20.
 * 123456789Z " with 0..9 fraction digits, Z or +00:00) into *ms_out and the bytes up to
 * and with its space into *prefix_len; false when the line does not start with one. */
bool worker_docker_ts(const char *line, size_t len, int64_t *ms_out, size_t *prefix_len);
/* Read the container log files job.json lists ("containers", relative to job's
 * "input_dir") into s as sources named "container:<name>"; list "containers_failed" and
 * "container_logs_error" as unreadable. Returns {"read","failed","error" (or null)}. */
json_t *worker_contlogs_read(const json_t *job, const struct worker_sink *s);
/* Add one line with its time ts_ms (>= 0: it overrides the header's, as Docker's prefix
 * does; -1: the header's) like worker_templates_line. */
void worker_templates_line_ts(struct worker_templates *w,
                              const char *line,
                              size_t len,
                              int64_t ts_ms);
/* Use bucket_s seconds and the window [start_ms, end_ms) (< 0: open) for the error bursts
 * (before the first line). */
void worker_templates_bursts(struct worker_templates *w,
                             int64_t bucket_s,
                             int64_t start_ms,
                             int64_t end_ms);
