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
#include <zlib.h>

#include "core/buf.h"
#include "core/err.h"
#include "triage/triage_format.h"
#include "triage/triage_record.h"

#define WORKER_LINE_MAX        (64 * 1024)          /* longer log lines are cut */
#define WORKER_FILE_MAX        (64LL * 1024 * 1024) /* bytes read per log file (default) */
#define WORKER_FILE_MAX_MIN    (1LL * 1024 * 1024)  /* max_bytes_per_file: 1 MiB .. 1 GiB */
#define WORKER_FILE_MAX_MAX    (1024LL * 1024 * 1024)
#define WORKER_CURSOR_PATH_MAX 1024 /* longer paths get no cursor */

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
/* ---- gpu_report (worker_gpu_parse.c: pure; worker_gpu_sample.c, worker_gpu_nvml.c) ---- */
#define WORKER_GPU_MAX       64   /* GPUs in one answer */
#define WORKER_GPU_PROCS_MAX 4096 /* processes in one answer */
#define WORKER_GPU_COLS_MAX  16   /* fields in one query */
/* What the CSV path asks nvidia-smi (--query-gpu=...); the second form is for drivers that
 * do not know temperature.gpu.tlimit. */
#define WORKER_GPU_QUERY                                                                \
    "index,uuid,name,driver_version,memory.total,memory.used,utilization.gpu,"          \
    "utilization.memory,temperature.gpu,temperature.gpu.tlimit,power.draw,power.limit," \
    "fan.speed,clocks.current.graphics,clocks.current.memory,mig.mode.current"
#define WORKER_GPU_QUERY_OLD                                                   \
    "index,uuid,name,driver_version,memory.total,memory.used,utilization.gpu," \
    "utilization.memory,temperature.gpu,power.draw,power.limit,fan.speed,"     \
    "clocks.current.graphics,clocks.current.memory,mig.mode.current"
#define WORKER_GPU_APPS_QUERY "pid,gpu_uuid,used_memory"

/* Parse nvidia-smi's --format=csv,noheader,nounits answer to --query-gpu=query (a field list
 * the product knows, e.g. WORKER_GPU_QUERY) into a new array of GPU objects with every key
 * of the table (fields not asked for and unknown values are null). ERR_PARSE when a row
 * has another field count or no integer index; ERR_TOO_LARGE past WORKER_GPU_MAX rows. */
enum err worker_nvidia_parse(
    const char *query, const char *csv, size_t len, json_t **gpus_out, struct errbuf *eb);
/* Parse the answer to --query-compute-apps=pid,gpu_uuid,used_memory into a new array of
 * {"pid","gpu_uuid","used_memory_mib"} (memory null when unknown, as on Windows WDDM). */
enum err
worker_nvidia_apps_parse(const char *csv, size_t len, json_t **procs_out, struct errbuf *eb);
/* Find the container id (64 hex) in the text of a /proc/<pid>/cgroup file: cgroup v1
 * ".../docker/<id>", v2 ".../docker-<id>.scope", containerd "cri-containerd-<id>.scope",
 * libpod "libpod-<id>.scope", CRI-O "crio-<id>.scope"; *runtime names the form (static).
 * False (id "") when no line names a container. */
bool worker_cgroup_container(const char *text, size_t len, char id[65], const char **runtime);
/* Read field 22 (starttime, clock ticks after boot) of a /proc/<pid>/stat text. */
bool worker_proc_start_time(const char *text, size_t len, uint64_t *start);
/* Sample every GPU through NVML (dlopen of libnvidia-ml.so.1; lib: another path, or NULL):
 * *gpus as worker_nvidia_parse gives them plus the temperature thresholds, *procs the
 * compute and graphics processes (NULL, with *procs_reason, when they could not be read).
 * ERR_NOT_FOUND when the library is absent (or compiled out), ERR_UNAVAILABLE when it
 * fails to initialise (eb says why). */
enum err worker_nvml_sample(
    const char *lib, json_t **gpus, json_t **procs, char **procs_reason, struct errbuf *eb);
/* Name the container of each process of sample (its "processes") from <proc_root>/<pid>/
 * cgroup, guarded by the start time read before and after; only containers listed in allow
 * ([{"container_id","name"}]) are named, others are "other". Sets each process's
 * "container" (and "container_id" for allowlisted ones) and sample's "containers":
 * [{"gpu_uuid","container","container_id","used_memory_mib","processes",
 * "utilization_gpu_pct","utilization_estimated"}]. */
void worker_gpu_attribute(json_t *sample, const char *proc_root, const json_t *allow);

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
struct redact_opts;
/* Redact template text, examples and burst templates with o (copied; its key must outlive
 * w). Without a call: masks. */
void worker_templates_redact(struct worker_templates *w, const struct redact_opts *o);
void worker_templates_free(struct worker_templates *w);
/* Start a file (its header format is detected anew; ref_time_ms places year-less
 * timestamps, -1 for none) / end it. */
void worker_templates_file_begin(struct worker_templates *w, int64_t ref_time_ms);
void worker_templates_file_end(struct worker_templates *w);
/* Read the current file with fmt (borrowed; name for "formats") instead of detecting. */
void worker_templates_file_format(struct worker_templates *w,
                                  const struct triage_format *fmt,
                                  const char *name);
/* Add one line (its end of line may be included): detect, join, mine, count its level. */
void worker_templates_line(struct worker_templates *w, const char *line, size_t len);
/* The two halves of worker_templates_line: split the line into rec (pointers into line and
 * into w: valid until the next split), then join and mine it (a line not added is still
 * seen by the detector). */
void worker_templates_split(struct worker_templates *w,
                            const char *line,
                            size_t len,
                            struct triage_record *rec);
void worker_templates_add(struct worker_templates *w, const struct triage_record *rec);
/* {"records","continuation_lines","templates","templates_evicted","formats",
 * "top_findings": [{"key","template" (redacted),"count","critical","errors","warnings",
 * "level","score"}] ranked by 4 x critical + 3 x errors + 2 x warnings, at most top_n,
 * "all": [{"key","template" (redacted, valid UTF-8, <= 512 bytes),"count","errors",
 * "warnings","critical"}] (at most 2000: with errors/warnings/critical first, then by count),
 * "all_truncated" (more templates existed)}. */
json_t *worker_templates_result(struct worker_templates *w, size_t top_n);
/* Keep only the levels listed (an array of "error"/"critical", "warn"/"warning"; anything
 * else: both) in the top findings' score. */
void worker_templates_levels(struct worker_templates *w, const json_t *levels);
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
/* Decide where to read the open file fd (stat st) at rel, from the committed cursors (name:
 * rel's cursor name, its redacted form); a first read starts lookback bytes before the end. */
void worker_cursor_start(const json_t *cursors,
                         const char *name,
                         const char *rel,
                         int fd,
                         const struct stat *st,
                         int64_t lookback,
                         struct worker_start *out);
/* The bytes read per file, and looked back on a first read: job's
 * config.max_bytes_per_file within WORKER_FILE_MAX_MIN..MAX, else WORKER_FILE_MAX. */
int64_t worker_file_max_from_job(const json_t *job);
/* The cursor named name (a file's redacted path: no file name reaches the database) after
 * reading fd up to offset (NULL when name is too long to keep). */
json_t *worker_cursor_make(
    const char *name, int fd, const struct stat *st, int64_t offset, const char *last_ts);

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
json_t *worker_bursts_result(const struct worker_bursts *b,
                             struct triage_miner *m,
                             const struct redact_opts *ro,
                             json_t **stats);
/* Return the bucket size job asks for: its config.burst_bucket_seconds (the orchestrator's
 * store_snapshot_task_config), else (or when out of range) the default. */
int64_t worker_bursts_bucket_from_job(const json_t *job);

/* ---- container logs as log_triage sources (worker_contlogs.c) ---- */
/* Where a log_triage source adds what it read (borrowed from the task's state). */
struct worker_sink {
    struct worker_templates *tpl;
    int64_t *counts; /* WORKER_LVL__COUNT entries */
    int64_t *lines_total, *lines_in_window;
    json_t *files, *read, *skipped, *unreadable;
    bool has_start, has_end;
    int64_t start_ms, end_ms;         /* the window [start, end) */
    struct worker_lines *lines;       /* the job's line reader */
    struct worker_input_stats *input; /* bad-input counters */
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

/* ---- exact line reading (worker_lines.c) ---- */
/* What log_triage met in its input, counted over a job (the result's "input"). */
struct worker_input_stats {
    int64_t lines_cut;             /* longer than WORKER_LINE_MAX: the rest was skipped */
    int64_t nul_bytes;             /* NUL bytes inside lines (read as spaces) */
    int64_t nul_lines;             /* lines holding them */
    int64_t invalid_utf8_lines;    /* lines with bytes that are not UTF-8 (read as '?') */
    int64_t crlf_lines;            /* lines ended by "\r\n" */
    int64_t unterminated_lines;    /* last lines of a file without "\n" */
    int64_t partial_lines_skipped; /* a read started inside a line: its rest skipped */
    int64_t binary_files, vanished_files, unreadable_files, changed_during_read;
};
struct worker_lines;
/* Create / free a line reader (one buffer, reused for every file of a job). */
struct worker_lines *worker_lines_new(void);
void worker_lines_free(struct worker_lines *lr);
/* Start reading gz at its current position; no line starts after max_bytes; counts go to st. */
void worker_lines_begin(struct worker_lines *lr,
                        gzFile gz,
                        int64_t max_bytes,
                        struct worker_input_stats *st);
/* Give the next line (no end of line, cleaned: see worker_lines.c) in *line (valid until the
 * next call) and *len; false at the end, at max_bytes or on a read error (ask gzerror). */
bool worker_lines_next(struct worker_lines *lr, char **line, size_t *len);
/* Skip up to and including the next "\n"; false when the input ended first. */
bool worker_lines_skip_rest(struct worker_lines *lr);
/* Return the bytes consumed since worker_lines_begin (ends of lines and cut parts included). */
int64_t worker_lines_bytes(const struct worker_lines *lr);
/* The length of the valid multi-byte UTF-8 sequence at u[0..n), 0 when it is not one (an
 * ASCII byte is not one; overlong forms, surrogates and values above U+10FFFF are not, as
 * jansson's check says). */
size_t worker_utf8_seq(const unsigned char *u, size_t n);
/* Replace the bytes of s[0..len) that are not valid UTF-8 by '?'; returns how many. */
size_t worker_utf8_fix(char *s, size_t len);
/* True when the first 4 KiB of buf (n bytes) are more than 30% NUL or control bytes. */
bool worker_is_binary(const char *buf, size_t n);

/* How opening a file the walk listed went. */
enum worker_open {
    WORKER_OPEN_OK,
    WORKER_OPEN_VANISHED,    /* gone since the walk (ENOENT) */
    WORKER_OPEN_UNREADABLE,  /* errno says why */
    WORKER_OPEN_NOT_REGULAR, /* swapped for a folder, FIFO, device... */
};
/* Open path read-only (no blocking on FIFOs) into *fd and *st; *fd is -1 unless OK. */
enum worker_open worker_file_open(const char *path, int *fd, struct stat *st);

/* ---- log_formats of the directive (worker_formats.c) ---- */
#define WORKER_LOG_FORMATS_MAX TRIAGE_LOG_FORMATS_MAX
#define WORKER_LOG_GLOB_MAX    TRIAGE_LOG_GLOB_MAX
struct worker_formats;
/* Compile job.json's log_formats (an array of {path, format}; NULL or invalid: none); a
 * bad entry is kept with its error and matches nothing. */
struct worker_formats *worker_formats_new(const json_t *log_formats);
void worker_formats_free(struct worker_formats *f);
/* Give the current file of w (rel: its path under the logs folder) the format of the first
 * entry whose glob (fnmatch, no flags: "*" also matches "/") matches; true when one did. */
bool worker_formats_apply(struct worker_formats *f, struct worker_templates *w, const char *rel);
/* [{"path","format","files","error"}] for the result ([] when none were given). */
json_t *worker_formats_result(const struct worker_formats *f);
