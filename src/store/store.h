/* SPDX-License-Identifier: MIT */
/* store.h -- the one storage interface, over SQLite (embedded) and PostgreSQL.
 *
 * A store holds a pool of connections; every function borrows one for its work
 * and returns it, so all functions are safe to call from any thread. Multi-step
 * changes run in one transaction: they commit whole or not at all.
 * Rows come back as jansson objects (caller owns the reference: json_decref);
 * timestamps are ISO 8601 UTC text, ids are integers, booleans are JSON booleans.
 * Task names here are always the canonical long names (log_triage, gpu_report,
 * service_map); front ends map aliases with store_task_canonical before calling. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct store;

enum store_kind { STORE_SQLITE, STORE_PG };

struct store_opts {
    const char *sqlite_path; /* used when pg_conninfo is NULL; parent folder must exist */
    const char *pg_conninfo; /* libpq conninfo string, or NULL for SQLite */
    int pool_size;           /* connections in the pool, >= 1 */
};

/* ---- lifecycle ---- */

/* Open a store (connects pool_size connections). */
enum err store_open(const struct store_opts *opts, struct store **out, struct errbuf *eb);
/* Close every connection and free st; NULL is fine. */
void store_close(struct store *st);
/* Return which backend st uses. */
enum store_kind store_kind_get(const struct store *st);
/* Run a trivial query; ERR_DB with detail when the database does not answer. */
enum err store_ping(struct store *st, struct errbuf *eb);

/* ---- migrations (src/store/migrations/{sqlite,pg}/NNN_name.sql, embedded) ---- */

/* Apply every pending migration, each in its own transaction; *applied gets the count. */
enum err store_migrate(struct store *st, int *applied, struct errbuf *eb);
/* Report the applied version and the latest embedded version (equal when current). */
enum err
store_migrate_status(struct store *st, int *db_version, int *latest_version, struct errbuf *eb);

/* ---- API tokens (only the SHA-256 of a token is stored) ---- */

/* Create a token named name; *token_out is the plain token (caller frees with xfree_zero). */
enum err
store_token_create(struct store *st, const char *name, char **token_out, struct errbuf *eb);
/* Set *is_valid when token matches an active stored token (updates last_used_at). */
enum err store_token_check(struct store *st, const char *token, bool *is_valid, struct errbuf *eb);

/* ---- directives (D1..D4 seeded; an edit makes a new version) ----
 * A directive object: {"id","key","name","version","description","text","config" (object),
 * "is_active","created_at","updated_at"}. List/get show only the latest live version of
 * each key; GET by an older id still answers (runs reference it). */

/* List the latest version of every live directive, ordered by key; paging by offset/limit. */
enum err store_directive_list(struct store *st,
                              int64_t offset,
                              int64_t limit,
                              json_t **results,
                              int64_t *count,
                              struct errbuf *eb);
/* Get directive id (any version, unless deleted) into *out; ERR_NOT_FOUND when absent. */
enum err store_directive_get(struct store *st, int64_t id, json_t **out, struct errbuf *eb);
/* Create a directive from fields {"name" (required), "text", "config", "description", "key"};
 * key defaults to a slug of the name; ERR_CONFLICT when key is taken. */
enum err
store_directive_create(struct store *st, const json_t *fields, json_t **out, struct errbuf *eb);
/* Edit directive id: inserts version+1 with fields merged over the old ones; *out is the new
 * version. ERR_NOT_FOUND when absent or deleted. */
enum err store_directive_update(
    struct store *st, int64_t id, const json_t *fields, json_t **out, struct errbuf *eb);
/* Delete (soft) every version of id's key; runs keep their snapshots. */
enum err store_directive_delete(struct store *st, int64_t id, struct errbuf *eb);
#define STORE_DIRECTIVE_VERSIONS_MAX 200
/* List the versions of live directive id's key, newest first, at most
 * STORE_DIRECTIVE_VERSIONS_MAX, without their text: *out is {"directive_id","key","count",
 * "is_truncated","results"}. ERR_NOT_FOUND when id is absent or deleted. */
enum err store_directive_versions(struct store *st, int64_t id, json_t **out, struct errbuf *eb);
/* Diff versions from and to of live directive id's key: *out is {"key","from","to" (id,
 * version, name, created_at),"changes" ([{"field","from","to"}] of name, description,
 * is_active, config),"lines" ([{"op": "=" | "-" | "+","text"}] of the text),"added",
 * "removed","is_approximate"}. ERR_NOT_FOUND for an unknown directive or version. */
enum err store_directive_diff(
    struct store *st, int64_t id, int64_t from, int64_t to, json_t **out, struct errbuf *eb);

/* The effective config of task in a run's directive snapshot (a new object): the config of
 * its default directive (D1 log_triage, D2 gpu_report, D3 service_map) as snapshotted, with
 * the run's own directive's config over it, unless that is another task's default. */
json_t *store_snapshot_task_config(const json_t *snap, const char *task);

/* ---- runs and jobs ----
 * A run object: {"id","status","tasks" (array),"directive_id","directive_snapshot" (object:
 * {"id","key","name","version","text","config"} or for custom text {"key":"custom","name":
 * "custom","text":...}),"created_at","started_at","finished_at","error","jobs" (array, only
 * from store_run_get/store_run_launch),"token_totals" {"prompt_tokens","completion_tokens",
 * "total_tokens"}}.
 * A job object: {"id","run_id","task","status","window_start","window_end","created_at",
 * "started_at","finished_at","deadline_at","error","summary" (object or null),"attempts"}.
 * Run states: queued running success partial failed cancelled.
 * Job states: queued running success failed cancelled. */

struct store_launch {
    const char *const *tasks; /* canonical task names, 1..3, no duplicates */
    size_t n_tasks;
    int64_t directive_id;       /* 0 = none */
    const char *directive_text; /* custom directive text (max 64 KiB) or NULL */
    int64_t lookback_ms;        /* window of a task's first run (no earlier success) */
};

#define STORE_TASKS_N            3  /* log_triage, gpu_report, service_map */
#define STORE_LAUNCH_MAX_TASKS   16 /* names one launch request may list (duplicates fold) */
#define STORE_DIRECTIVE_TEXT_MAX (64 * 1024)

/* ---- launch and filter checks (store_launch.c; pure, shared by the API and MCP) ---- */

/* Return the canonical task name for name or an alias (task1..task3), or NULL. */
const char *store_task_canonical(const char *name);
/* Write the "Unknown task" message naming name into eb; returns ERR_INVALID. */
enum err store_task_unknown(const char *name, struct errbuf *eb);
/* True when status is a run state (queued running success partial failed cancelled). */
bool store_run_status_ok(const char *status);
/* Check a launch request body {"tasks" ([] or absent: all three; names or aliases),
 * "directive_id" | "directive_text"} and fill l (tasks points into tasks[], the directive
 * text is borrowed from body; lookback_ms is left alone). ERR_INVALID with a message; the
 * field it is about goes to *bad_field (NULL: the request as a whole). */
enum err store_launch_parse(const json_t *body,
                            const char *tasks[STORE_TASKS_N],
                            struct store_launch *l,
                            const char **bad_field,
                            struct errbuf *eb);

/* In one transaction: snapshot the directive, insert the run (queued) and one queued job per
 * task whose window is [end of the last successful job of that task, now). ERR_NOT_FOUND
 * names an unknown directive. *run_out is the run with its jobs. */
enum err store_run_launch(struct store *st,
                          const struct store_launch *req,
                          json_t **run_out,
                          struct errbuf *eb);
/* Get run id with its jobs and token totals; ERR_NOT_FOUND when absent. */
enum err store_run_get(struct store *st, int64_t id, json_t **out, struct errbuf *eb);

struct store_run_filter {
    const char *status; /* NULL = any */
    const char *task;   /* NULL = any; runs that have a job of this task */
    int64_t offset;
    int64_t limit;
    int64_t max_id; /* 0 = any; else only runs with id <= max_id (a stable list to page) */
};

/* List runs newest first (without jobs); *count is the total matching the filter. */
enum err store_run_list(struct store *st,
                        const struct store_run_filter *f,
                        json_t **results,
                        int64_t *count,
                        struct errbuf *eb);
/* Append the runs store_run_list gives for f to out as JSON text (an array of the same
 * objects, members in the same order), without building jansson objects: the hot path of
 * GET /api/runs/. *count is the total matching the filter. On error out may hold part of the
 * array: discard it. */
enum err store_run_list_text(struct store *st,
                             const struct store_run_filter *f,
                             struct buf *out,
                             int64_t *count,
                             struct errbuf *eb);
/* Cancel run id: queued jobs become cancelled now; running jobs are flagged and the
 * dispatcher stops them. ERR_CONFLICT when the run already ended. *out is the run. */
enum err store_run_cancel(struct store *st, int64_t id, json_t **out, struct errbuf *eb);
/* Find the newest run whose job of task succeeded. *out: {"task","run" (run or null),
 * "since" (that job's window_end or null)}. */
enum err
store_run_last_success(struct store *st, const char *task, json_t **out, struct errbuf *eb);
/* Write into status (cap >= 16) how run_id will end given its jobs now ("" while a job is
 * open): success, partial, failed or cancelled. Read-only. */
enum err store_run_outcome(
    struct store *st, int64_t run_id, char *status, size_t status_cap, struct errbuf *eb);
/* End run_id, whose jobs all ended, in one transaction: its status (store_run_outcome's),
 * finished_at, error, and its report (Markdown and JSON text; either may be NULL), so the
 * report is there the moment the run reads as ended. A run that already ended (cancel) keeps
 * its status and gets the report only if it has none. ERR_CONFLICT while a job is open. */
enum err store_run_end(struct store *st,
                       int64_t run_id,
                       const char *report_md,
                       const char *report_json,
                       struct errbuf *eb);
/* Store the run's report (Markdown and JSON text). */
enum err store_run_set_report(struct store *st,
                              int64_t run_id,
                              const char *report_md,
                              const char *report_json,
                              struct errbuf *eb);
/* Get {"run_id","status","markdown","json" (object or null),"token_totals"}; ERR_NOT_FOUND. */
enum err store_run_report_get(struct store *st, int64_t run_id, json_t **out, struct errbuf *eb);

/* List jobs, oldest first; run_id 0 = all runs. */
enum err store_job_list(struct store *st,
                        int64_t run_id,
                        int64_t offset,
                        int64_t limit,
                        json_t **results,
                        int64_t *count,
                        struct errbuf *eb);
/* Get job id; ERR_NOT_FOUND when absent. */
enum err store_job_get(struct store *st, int64_t id, json_t **out, struct errbuf *eb);

/* ---- dispatcher ---- */

/* A job handed to one dispatcher; owned by the caller, free with store_claim_fini. */
struct store_claim {
    int64_t job_id;
    int64_t run_id;
    char task[32];
    char *window_start;       /* ISO or NULL (first run) */
    char *window_end;         /* ISO */
    char *directive_snapshot; /* JSON text of the run's snapshot */
};

/* Atomically take the oldest queued job (FOR UPDATE SKIP LOCKED on PostgreSQL), of run_id
 * only when run_id > 0: it becomes running with started_at, deadline_at = now + timeout_ms,
 * attempts+1, claimed_by = instance; its run becomes running. *got is false when nothing is
 * queued. */
enum err store_job_claim(struct store *st,
                         const char *instance,
                         int64_t timeout_ms,
                         int64_t run_id,
                         struct store_claim *out,
                         bool *got,
                         struct errbuf *eb);
/* Free the strings of a claim. */
void store_claim_fini(struct store_claim *c);
/* ---- log_triage cursors (store_cursors.c) ----
 * A cursor: {"path" (relative to CYBER_BRAIN_LOGS, no "."/".." parts, <= 1024 bytes; or
 * "container:<ref>"), "device", "inode" (or null), "fingerprint" (SHA-256 hex of the first
 * fingerprint_len bytes, or null), "fingerprint_len" (0..4096), "offset_bytes",
 * "last_ts" (ISO or null)}; listed with "run_id", "job_id", "updated_at" too. */
#define STORE_CURSORS_MAX     5000
#define STORE_CURSOR_PATH_MAX 1024
#define STORE_CURSOR_FP_MAX   4096

/* Check an array of cursors (a worker's, untrusted); ERR_INVALID names the first bad one. */
enum err store_cursor_validate(const json_t *cursors, struct errbuf *eb);
/* List every cursor by path (at most STORE_CURSORS_MAX). */
enum err store_cursor_list(struct store *st, json_t **out, struct errbuf *eb);

/* ---- log_triage template history (store_templates.c) ----
 * A template row: {"key" (16 lowercase hex, the miner's stable key),"template" (redacted
 * text, <= 512 bytes),"level" (highest seen: info, warning, error, critical),
 * "first_seen_job_id" (or null),"first_seen_at","last_seen_at","jobs_seen","total_count",
 * "rate_ewma" (lines per hour, a number),"ewma_seq"}. Successful log_triage jobs that
 * report templates are numbered 1, 2, ... (the sequence); each folds its rate (count /
 * window hours) into rate_ewma with weight STORE_TEMPLATE_ALPHA; a template absent from a
 * job decays lazily: see store_template_baseline. */
#define STORE_TEMPLATES_MAX     50000 /* rows kept; the least recently seen are evicted */
#define STORE_TEMPLATES_JOB_MAX 2000  /* templates one job may report */
#define STORE_TEMPLATE_TEXT_MAX 512   /* bytes of a template's text */
#define STORE_TEMPLATE_KEY_LEN  16
#define STORE_TEMPLATE_ALPHA    0.3

/* True when level is info, warning, error or critical. */
bool store_template_level_ok(const char *level);
/* Check a job's reported templates (a worker's, untrusted): an array of at most
 * STORE_TEMPLATES_JOB_MAX {"key","template","count","errors","warnings","critical"} with
 * distinct keys; ERR_INVALID / ERR_TOO_LARGE name the first bad one. */
enum err store_templates_validate(const json_t *templates, struct errbuf *eb);
/* Look up keys (an array of key strings, at most STORE_TEMPLATES_JOB_MAX): *found is an
 * object key -> template row for the known ones; *seq the number of the last successful
 * log_triage job folded in (0: none yet, the next job sets the baseline). */
enum err store_templates_lookup(
    struct store *st, const json_t *keys, json_t **found, int64_t *seq, struct errbuf *eb);
/* Every template text of the history as an array of strings (at most STORE_TEMPLATES_MAX):
 * what "new" is judged against beyond exact keys. */
enum err store_template_texts(struct store *st, json_t **out, struct errbuf *eb);
/* Return a row's expected rate (lines per hour) for job number seq_now (> ewma_seq):
 * rate_ewma x (1 - alpha)^(seq_now - 1 - ewma_seq), the decay of the jobs it missed. */
double store_template_baseline(const json_t *row, int64_t seq_now);

struct store_template_filter {
    const char *level;     /* NULL = any; else info, warning, error or critical */
    const char *new_since; /* NULL = any; ISO: first_seen_at >= new_since */
    int64_t offset;
    int64_t limit;
};

/* List template rows, most recently first seen first; *count is the total matching. */
enum err store_template_list(struct store *st,
                             const struct store_template_filter *f,
                             json_t **results,
                             int64_t *count,
                             struct errbuf *eb);
/* Get template key; ERR_NOT_FOUND when absent (or not a key). */
enum err store_template_get(struct store *st, const char *key, json_t **out, struct errbuf *eb);

/* ---- gpu_report history (store_gpu.c) ----
 * A GPU row: {"id","run_id","job_id","sampled_at","gpu_index","gpu_uuid","memory_total_mib",
 * "memory_used_mib","utilization_gpu_pct","utilization_memory_pct","temperature_c",
 * "temperature_margin_c","power_draw_w","power_limit_w"} (unknowns null). A container row:
 * {"id","run_id","job_id","sampled_at","gpu_uuid","container","used_memory_mib",
 * "utilization_gpu_pct","utilization_estimated","processes"}. */
#define STORE_GPU_ROWS_MAX 256 /* GPU rows and container rows kept per job, each */

struct store_gpu_filter {
    const char *from; /* NULL = any; ISO: sampled_at >= from (a bad one is ignored: check first) */
    const char *to;   /* NULL = any; ISO: sampled_at < to */
    const char *key;  /* NULL = any; gpu_uuid (GPU rows) or container (container rows) */
    int64_t offset;
    int64_t limit;
};
/* List GPU rows / container rows, newest first; *count is the total matching. */
enum err store_gpu_list(struct store *st,
                        const struct store_gpu_filter *f,
                        json_t **results,
                        int64_t *count,
                        struct errbuf *eb);
enum err store_gpu_container_list(struct store *st,
                                  const struct store_gpu_filter *f,
                                  json_t **results,
                                  int64_t *count,
                                  struct errbuf *eb);
/* The newest stored sample: {"job_id","run_id","sampled_at","gpus","containers"}, or NULL
 * when there is none. */
enum err store_gpu_latest(struct store *st, json_t **out, struct errbuf *eb);
/* Per GPU since the ISO time since: [{"gpu_uuid","peak_used_mib","peak_temperature_c",
 * "peak_power_draw_w","samples","first_at"}]. */
enum err store_gpu_peaks(struct store *st, const char *since, json_t **out, struct errbuf *eb);

/* What a successful job hands over with its end, written in the same transaction. */
struct store_job_outputs {
    const json_t *cursors;    /* log_triage read positions (an array), or NULL */
    const json_t *templates;  /* log_triage templates (see store_templates_validate), or NULL */
    const json_t *gpu_sample; /* gpu_report's sample (gpus, containers) for the history, or NULL */
    double window_hours;      /* the job's window, for the rate of templates (> 0) */
    int64_t templates_cap;    /* template rows kept (0: STORE_TEMPLATES_MAX) */
};

/* Finish job_id as success|failed|cancelled with an error text (or NULL) and a summary
 * (JSON text or NULL). If it was the run's last open job, *run_done is set: the caller
 * then writes the report and ends the run with store_run_end (until then the run reads as
 * running; crash recovery ends such runs). A job that already ended is left alone
 * (ERR_CONFLICT). outputs (or NULL) are saved in the same transaction, and only when status
 * is success: cursors, and templates (folded into the history, which is then cut to
 * templates_cap rows); invalid outputs (ERR_INVALID) leave the job as it was. */
enum err store_job_finish(struct store *st,
                          int64_t job_id,
                          const char *status,
                          const char *error,
                          const char *summary_json,
                          const struct store_job_outputs *outputs,
                          bool *run_done,
                          struct errbuf *eb);
/* Set *is_cancelled when job_id's run was cancelled (checked while a job runs). */
enum err
store_job_is_cancelled(struct store *st, int64_t job_id, bool *is_cancelled, struct errbuf *eb);
/* After a crash: jobs left running by any instance become failed ("orchestrator restarted
 * while the job ran") and their runs end when nothing else is open. *n_jobs gets the count. */
enum err store_recover(struct store *st, int *n_jobs, struct errbuf *eb);
/* List the jobs running now, of any instance, by id (at most 10000): {"id","run_id","task",
 * "claimed_by","started_at","deadline_at"} (reconciliation with the containers). */
enum err store_job_list_running(struct store *st, json_t **results, struct errbuf *eb);
/* List the runs that still read as queued or running although none of their jobs is open
 * (a crash between a job's end and its run's report): [{"id"}], at most 10000. */
enum err store_run_list_unsettled(struct store *st, json_t **run_ids, struct errbuf *eb);

/* ---- artifacts ---- */

/* Record a file written under the run's folder: {"id","run_id","job_id","name","size_bytes",
 * "sha256","content_type","created_at"}. name is relative to the run folder. */
enum err store_artifact_add(struct store *st,
                            int64_t run_id,
                            int64_t job_id,
                            const char *name,
                            int64_t size_bytes,
                            const char *sha256,
                            const char *content_type,
                            struct errbuf *eb);
/* List the artifacts of run_id, by name. */
enum err store_artifact_list(struct store *st, int64_t run_id, json_t **results, struct errbuf *eb);

/* ---- worker-image allowlist (store_allow.c) ----
 * An entry: {"id","image_name","image_tag","digest" (or null),"requires_gpu","min_vram_mb"
 * (or null),"is_active","created_at","memory_mb","cpus","pids_limit" (each or null)}.
 * image_name is kept normalised by docker_ref_parse:
 * image "nginx" tag "latest" is stored as image_name "docker.io/library/nginx", image_tag
 * "latest"; (image_name, image_tag) is unique (ERR_CONFLICT). Fields for create/update:
 * image_name (a reference without digest; it may carry the tag when image_tag is not given),
 * image_tag, digest ("sha256:<64 hex>" or null), requires_gpu, min_vram_mb (0..16777216),
 * is_active, and the container limits (null: the runtime's default of 512 MiB, 1 CPU, 128
 * processes): memory_mb (16..1048576), cpus (a number, 0.01..256; stored as thousandths,
 * so it comes back rounded to 0.001), pids_limit (16..32768). */
#define STORE_IMAGE_MEMORY_MIN_MB  16
#define STORE_IMAGE_MEMORY_MAX_MB  1048576
#define STORE_IMAGE_CPUS_MIN_MILLI 10
#define STORE_IMAGE_CPUS_MAX_MILLI 256000
#define STORE_IMAGE_PIDS_MIN       16
#define STORE_IMAGE_PIDS_MAX       32768

/* Check fields (is_full: image_name required); ERR_INVALID with a message for one field,
 * whose name goes to *bad_field (may be NULL). */
enum err store_worker_image_validate(const json_t *fields,
                                     bool is_full,
                                     const char **bad_field,
                                     struct errbuf *eb);
/* List entries by image_name, image_tag; paging by offset/limit. */
enum err store_worker_image_list(struct store *st,
                                 int64_t offset,
                                 int64_t limit,
                                 json_t **results,
                                 int64_t *count,
                                 struct errbuf *eb);
/* Get entry id; ERR_NOT_FOUND when absent. */
enum err store_worker_image_get(struct store *st, int64_t id, json_t **out, struct errbuf *eb);
/* Create an entry from fields; *out is the stored entry. */
enum err
store_worker_image_create(struct store *st, const json_t *fields, json_t **out, struct errbuf *eb);
/* Edit entry id: is_full replaces every field (PUT), else fields are merged (PATCH). */
enum err store_worker_image_update(struct store *st,
                                   int64_t id,
                                   const json_t *fields,
                                   bool is_full,
                                   json_t **out,
                                   struct errbuf *eb);
/* Delete entry id; ERR_NOT_FOUND when absent. */
enum err store_worker_image_delete(struct store *st, int64_t id, struct errbuf *eb);
/* THE spawn gate. Normalise ref (any form docker_ref_parse takes) and look it up by
 * name and tag. ERR_OK: allowed, *entry_out is the entry (caller decrefs); when the entry
 * pins a digest, ref carried no digest or the same one, and the caller must still check
 * that the engine resolves the image to it (docker_image_inspect Id or RepoDigests) before
 * it spawns. ERR_FORBIDDEN (eb says why, naming the image: 'worker image "x:1" is not on
 * the worker-image allowlist'): an invalid reference, no entry, an inactive entry, or a
 * digest in ref that contradicts the pinned one; a "deny" audit row with run_id and job_id
 * (<= 0: none) and that text as reason has been written. ERR_DB: the store failed (nothing
 * decided; refuse). */
enum err store_worker_image_check(struct store *st,
                                  const char *ref,
                                  int64_t run_id,
                                  int64_t job_id,
                                  json_t **entry_out,
                                  struct errbuf *eb);

/* ---- container allowlist (store_containers.c) ----
 * An entry: {"id","container_ref","is_active","note" (or null),"created_at"}; container_ref
 * (unique, ERR_CONFLICT) is a container id (12..64 lowercase hex) or a name matching
 * [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 bytes). */

/* True when ref is a valid container_ref. */
bool store_container_ref_ok(const char *ref);
/* Check fields {container_ref, is_active, note}; like store_worker_image_validate. */
enum err store_container_validate(const json_t *fields,
                                  bool is_full,
                                  const char **bad_field,
                                  struct errbuf *eb);
/* List entries by container_ref; paging by offset/limit. */
enum err store_container_list(struct store *st,
                              int64_t offset,
                              int64_t limit,
                              json_t **results,
                              int64_t *count,
                              struct errbuf *eb);
/* Get entry id; ERR_NOT_FOUND when absent. */
enum err store_container_get(struct store *st, int64_t id, json_t **out, struct errbuf *eb);
/* Create (id 0) or edit entry id (is_full: replace, else merge); *out is the entry. */
enum err store_container_save(struct store *st,
                              int64_t id,
                              const json_t *fields,
                              bool is_full,
                              json_t **out,
                              struct errbuf *eb);
/* Delete entry id; ERR_NOT_FOUND when absent. */
enum err store_container_delete(struct store *st, int64_t id, struct errbuf *eb);
#define STORE_CONTAINERS_MAX 1000 /* entries one replacement may hold */

/* Replace the whole allowlist by entries (an array of at most STORE_CONTAINERS_MAX field
 * objects, each checked like store_container_validate with is_full; no container_ref twice)
 * in one transaction: an entry whose container_ref is already listed keeps its row (id,
 * created_at) and takes the new is_active/note; the rows no entry names are deleted.
 * ERR_INVALID / ERR_CONFLICT / ERR_TOO_LARGE name the first bad entry ("entries[3].note:
 * ..."); nothing is changed then. *out is the new list by container_ref. */
enum err
store_container_replace(struct store *st, const json_t *entries, json_t **out, struct errbuf *eb);
/* Set *is_allowed when an active entry names the container: its name, its full id, or an
 * id prefix of at least 12 digits. */
enum err store_container_is_allowed(
    struct store *st, const char *id, const char *name, bool *is_allowed, struct errbuf *eb);

/* ---- worker audit (store_audit.c) ----
 * A row: {"id","ts","action","image","container_id","run_id","job_id","reason"} (absent
 * values null). Never pass env, tokens or prompts: reason is a short human text. */

/* True when action is one of spawn, deny, deadline_kill, exit, remove, reconcile,
 * llm_refused (an LLM endpoint the locality check refused). */
bool store_audit_action_ok(const char *action);
/* Append a row (image cut to 512 bytes, container_id to 128, reason to 1024; run_id/job_id
 * <= 0 mean none). ERR_INVALID for an unknown action. */
enum err store_audit_add(struct store *st,
                         const char *action,
                         const char *image,
                         const char *container_id,
                         int64_t run_id,
                         int64_t job_id,
                         const char *reason,
                         struct errbuf *eb);
/* List rows newest first; action NULL and run_id <= 0 mean no filter. */
enum err store_audit_list(struct store *st,
                          const char *action,
                          int64_t run_id,
                          int64_t offset,
                          int64_t limit,
                          json_t **results,
                          int64_t *count,
                          struct errbuf *eb);

/* ---- LLM calls (store_llm.c) ----
 * Token counts only: the table has no column for a prompt or an answer. A row: {"id",
 * "run_id","job_id","directive_id","task","model","endpoint_host","api" ("openai" or
 * "ollama" or null),"prompt_tokens","completion_tokens","total_tokens" (each null when the
 * server reported none),"duration_ms","status" (success, error, refused, cancelled),
 * "created_at"}. Inserting keeps the run's token totals (triggers, migrations 003/010). */

struct store_llm_call {
    int64_t run_id, job_id, directive_id; /* <= 0: none */
    const char *task;                     /* the job's task, or the run's tasks "a,b"; cut to 64 */
    const char *model;                    /* required; cut to 128 bytes */
    const char *endpoint_host;            /* cut to 255 bytes */
    const char *api;                      /* "openai", "ollama" or NULL */
    int64_t prompt_tokens, completion_tokens, total_tokens; /* -1: not reported (null) */
    int64_t duration_ms;                                    /* -1: unknown */
    const char *status;
};

/* True when status is success, error, refused or cancelled. */
bool store_llm_status_ok(const char *status);
/* Record one call; *id (may be NULL) gets its id. ERR_INVALID for a bad status or api. */
enum err store_llm_call_add(struct store *st,
                            const struct store_llm_call *c,
                            int64_t *id,
                            struct errbuf *eb);
/* List calls newest first; run_id <= 0: all runs. */
enum err store_llm_call_list(struct store *st,
                             int64_t run_id,
                             int64_t offset,
                             int64_t limit,
                             json_t **results,
                             int64_t *count,
                             struct errbuf *eb);
/* True when by is model, task, directive or day. */
bool store_llm_usage_by_ok(const char *by);
/* Aggregate calls by model, task, directive or day (UTC): rows {<model|task|directive_id|
 * day>, "calls","calls_with_counts","prompt_tokens","completion_tokens","total_tokens"}
 * (sums of the reported counts; null when no call of the group reported one), ordered by
 * the key; *count is the number of groups. since (ISO 8601 as the store writes it, or NULL
 * for all) keeps the calls made at or after it. */
enum err store_llm_usage(struct store *st,
                         const char *by,
                         const char *since,
                         int64_t offset,
                         int64_t limit,
                         json_t **results,
                         int64_t *count,
                         struct errbuf *eb);

/* ---- settings (store_settings.c) ----
 * Small facts the orchestrator keeps about itself: key (1..64 bytes) -> value (<= 1 KiB
 * text). No secrets, except redact_key: the redactor's random key when no secret key is
 * set (app_redact_key.c), which is never answered or logged. */

/* *value gets key's value (caller frees); ERR_NOT_FOUND when the key is not set. */
enum err store_setting_get(struct store *st, const char *key, char **value, struct errbuf *eb);
/* Set key to value; is_only_if_absent keeps an existing value (first writer wins, also
 * across processes). *is_set (may be NULL) says whether this call wrote the row. */
enum err store_setting_set(struct store *st,
                           const char *key,
                           const char *value,
                           bool is_only_if_absent,
                           bool *is_set,
                           struct errbuf *eb);

/* ---- container inventory (store_inventory.c) ----
 * A snapshot: {"id","taken_at","source" ("manual" or "run"),"run_id" (or null),
 * "container_count"}; from store_inventory_get/_latest also "items": each
 * {"container_id","name","image","state","status","is_allowlisted","details" (object or
 * null)}, ordered by name then container_id. The caller decides what details may hold
 * (allowlisted containers only, never variable values); the store keeps it as given. */

#define STORE_INVENTORY_ITEMS_MAX   2000        /* containers in one snapshot */
#define STORE_INVENTORY_DETAILS_MAX (64 * 1024) /* bytes of one item's details as JSON */

/* Check items (an array of at most STORE_INVENTORY_ITEMS_MAX item objects, each with a
 * container_id and details an object of at most STORE_INVENTORY_DETAILS_MAX bytes or
 * null); ERR_INVALID or ERR_TOO_LARGE with the reason. */
enum err store_inventory_check(const json_t *items, struct errbuf *eb);
/* Store a snapshot of items (checked as above; text fields are cut to their caps) in one
 * transaction; source "manual" (run_id 0) or "run" (run_id > 0). ERR_CONFLICT when run_id
 * already has a snapshot (one per run). *out is the snapshot without items. */
enum err store_inventory_add(struct store *st,
                             const char *source,
                             int64_t run_id,
                             const json_t *items,
                             json_t **out,
                             struct errbuf *eb);
/* List snapshots newest first, without items; paging by offset/limit. */
enum err store_inventory_list(struct store *st,
                              int64_t offset,
                              int64_t limit,
                              json_t **results,
                              int64_t *count,
                              struct errbuf *eb);
/* Get snapshot id with its items; ERR_NOT_FOUND when absent. */
enum err store_inventory_get(struct store *st, int64_t id, json_t **out, struct errbuf *eb);
/* Get the newest snapshot with its items; ERR_NOT_FOUND when none was taken. */
enum err store_inventory_latest(struct store *st, json_t **out, struct errbuf *eb);
/* Set *has when run_id already has a snapshot. */
enum err store_inventory_has_run(struct store *st, int64_t run_id, bool *has, struct errbuf *eb);
/* Compare snapshot from_id with to_id, matching containers by id. to_id <= 0: the newest;
 * from_id <= 0: the one before to_id. *out: {"from","to" (snapshots without items),
 * "added","removed" ([{"id","name","image","state"}]),"changed" ([{"id","name","fields":
 * {"<field>": [old, new]}}]: name, image, state, is_allowlisted and, from details,
 * restart_count, health, exit_code, started_at)}. ERR_NOT_FOUND when a snapshot is absent
 * or fewer than two exist for the defaults. */
enum err store_inventory_diff(
    struct store *st, int64_t from_id, int64_t to_id, json_t **out, struct errbuf *eb);

/* ---- service maps (store_service_maps.c) ---- */

#define STORE_SERVICE_MAP_MAX (16 * 1024 * 1024) /* bytes of a map's graph + analysis, or SVG */

/* One service map to keep (all strings borrowed). */
struct store_service_map {
    int64_t run_id, job_id;
    int64_t node_count, edge_count;
    const char *graph;    /* JSON {"nodes","edges"} */
    const char *analysis; /* JSON {"spof","diff",...} */
    const char *svg;      /* NULL when the layout failed */
};

/* Keep map m; *id gets its id. ERR_TOO_LARGE over STORE_SERVICE_MAP_MAX; ERR_CONFLICT when
 * its job already has one. */
enum err store_service_map_add(struct store *st,
                               const struct store_service_map *m,
                               int64_t *id,
                               struct errbuf *eb);
/* *out gets the newest map: {"id","run_id","job_id","created_at","node_count","edge_count",
 * "graph","analysis"} (caller decrefs). ERR_NOT_FOUND when there is none. */
enum err store_service_map_latest(struct store *st, json_t **out, struct errbuf *eb);
/* *svg gets the newest map's SVG (caller frees). ERR_NOT_FOUND when there is no map or
 * its layout failed. */
enum err store_service_map_latest_svg(struct store *st, char **svg, struct errbuf *eb);
