/* SPDX-License-Identifier: MIT */
/* tasks_int.h -- private declarations of the tasks module: the job context, the runtime
 * interface every worker runtime implements, and the helpers shared by its files.
 *
 * A struct tasks_job lives on the stack of the thread that runs the job; other threads
 * touch only its pid (under tasks->mu) to kill it at shutdown. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"
#include "tasks/tasks.h"

#define TASKS_RESULT_MAX     (8 * 1024 * 1024) /* bytes of result.json */
#define TASKS_SUMMARY_MAX    (64 * 1024)       /* bytes of a job summary */
#define TASKS_PROGRESS_LINE  4096              /* longer stdout lines are dropped */
#define TASKS_PROGRESS_MAX   1000              /* progress events per job */
#define TASKS_STDERR_MAX     (64 * 1024)       /* bytes of worker stderr kept */
#define TASKS_CANCEL_POLL_MS 500

/* How a wait ended. */
enum tasks_outcome {
    TASKS_EXITED,    /* the worker exited; exit_code / term_signal say how */
    TASKS_TIMED_OUT, /* the deadline passed; the worker was killed */
    TASKS_CANCELLED, /* the run was cancelled; the worker was killed */
    TASKS_SHUTDOWN,  /* the dispatcher is stopping; the worker was killed */
    TASKS_LOST,      /* the engine stopped answering or lost the worker; stderr_text says */
};

struct tasks_job {
    struct tasks *t;
    struct store_claim claim;
    char *job_dir;    /* uploads/runs/<run>/jobs/<job> */
    char *input_dir;  /* job_dir/input */
    char *output_dir; /* job_dir/output */
    pid_t pid;        /* worker process (group leader); 0 when none; guarded by t->mu */
    int exit_code;    /* valid after TASKS_EXITED; -1 when killed by a signal */
    int term_signal;
    char *stderr_text; /* what the worker wrote on stderr (capped), or NULL */
    void *rt_data;     /* the runtime's own state */
    json_t *inventory; /* the run snapshot's items when this job took it, else NULL */
};

/* A worker's stdout being turned into progress events (see tasks_progress.c). */
struct tasks_progress {
    struct buf line;   /* the stdout line being assembled */
    bool is_line_long; /* dropping the rest of an over-long line */
    int n;             /* events published */
};

/* A worker runtime: start a worker for job, wait for it, kill it. */
struct tasks_runtime {
    const char *name;
    bool is_isolated;
    const char *logs_dir; /* CYBER_BRAIN_LOGS as the worker sees it; NULL: the host path */
    /* Start the worker for job (job.json is in job->input_dir). */
    enum err (*start)(struct tasks_job *job, struct errbuf *eb);
    /* Wait until the worker ends or deadline_mono_ms passes (checking cancel and shutdown). */
    enum tasks_outcome (*wait)(struct tasks_job *job, int64_t deadline_mono_ms);
    /* Kill the worker now (any thread, t->mu held); the waiting thread reaps it. */
    void (*kill)(struct tasks_job *job);
};

struct tasks {
    struct tasks_opts opts;
    const struct tasks_runtime *rt;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool is_stopping;
    bool has_work; /* set by tasks_wake */
    pthread_t *threads;
    int n_threads;
    struct tasks_job **running; /* n_slots + 1 slots (one for tasks_run_one) */
    int64_t *inflight;          /* n_running_cap ids of jobs claimed here, 0 = free; under mu */
    int n_running_cap;
    /* Held across a claim and its registration in inflight, and by reconcile across its
     * read of the running jobs, so reconcile never takes a job just claimed here as lost. */
    pthread_mutex_t claim_mu;
    pthread_t reconcile_thread;
    bool has_reconcile_thread;
    bool is_engine_down; /* the last reconcile pass found no engine (reconcile thread only) */
};

extern const struct tasks_runtime tasks_runtime_process;
extern const struct tasks_runtime tasks_runtime_docker;

/* Start, feed (stdout bytes), flush (a last line without '\n') and finish a progress reader. */
void tasks_progress_init(struct tasks_progress *p);
void tasks_progress_feed(struct tasks_job *job,
                         struct tasks_progress *p,
                         const char *data,
                         size_t len);
void tasks_progress_flush(struct tasks_job *job, struct tasks_progress *p);
void tasks_progress_fini(struct tasks_progress *p);
/* Pick the runtime for cfg (auto: docker when the engine answers and the worker image
 * exists, else process); NULL with eb set when the one asked for cannot run. */
const struct tasks_runtime *tasks_runtime_pick(const struct config *cfg, struct errbuf *eb);

/* ---- log_triage template history (tasks_templates.c) ---- */
#define TASKS_FINDINGS_MAX    20  /* new templates and spikes listed, each */
#define TASKS_SPIKE_MIN_COUNT 10  /* lines of a template in the window, at least */
#define TASKS_SPIKE_RATIO     3.0 /* x the expected count, at least */

/* A log_triage job's templates: what to fold into the history and what they mean. */
struct tasks_templates {
    json_t *persist;     /* templates.all, text redacted again; NULL when the result has none */
    json_t *findings;    /* {"baseline","new_templates","new_templates_total","spikes",
                          * "spikes_total"} (or {"history_error"}); NULL with persist */
    double window_hours; /* of the job (see tasks_templates_window_hours) */
};

/* Judge the templates of a successful log_triage result against the stored history into
 * *out (free with tasks_templates_fini). ERR_INVALID (eb says which) when templates.all is
 * malformed: the job must fail. A history that cannot be read is not an error: findings
 * then say so. */
enum err tasks_templates_judge(struct tasks *t,
                               const struct store_claim *c,
                               const json_t *result,
                               struct tasks_templates *out,
                               struct errbuf *eb);
/* Free what tasks_templates_judge filled. */
void tasks_templates_fini(struct tasks_templates *tt);
/* Return the hours of c's window (window_start..window_end; without a start, the first-run
 * lookback), at least one minute. */
double tasks_templates_window_hours(const struct tasks *t, const struct store_claim *c);

/* Return true when the dispatcher is stopping (any thread). */
bool tasks_is_stopping(struct tasks *t);
/* Run one claimed job to its end: prepare, start, wait, validate, finish, report. */
void tasks_job_run(struct tasks *t, struct store_claim *claim);
/* Fill job for claim (borrowed: its strings must outlive job) and its folder paths. */
void tasks_job_init(struct tasks_job *job, struct tasks *t, const struct store_claim *claim);
/* The half after the wait: judge how it ended (oc; job->exit_code and stderr_text when
 * TASKS_EXITED), read and validate output/result.json, keep stderr, finish the job (and
 * write the report when its run is done), remove the scratch folders, free job's strings. */
void tasks_job_end(struct tasks_job *job, enum tasks_outcome oc);
/* Finish job as failed with error, with the same keeping, report and clean-up. */
void tasks_job_fail(struct tasks_job *job, const char *error);
/* Register job_id as handled by this process until tasks_job_run returns (t->mu). */
void tasks_job_claimed(struct tasks *t, int64_t job_id);
/* Return true when job_id is being handled by this process (any thread). */
bool tasks_job_is_inflight(struct tasks *t, int64_t job_id);
/* One reconciliation pass of the containers labelled with this instance (see
 * tasks_reconcile.c); is_start also ends runs left without an open job. Never fails:
 * problems are logged and the next pass tries again. */
void tasks_reconcile_pass(struct tasks *t, bool is_start);
/* Start the thread that runs tasks_reconcile_pass every reconcile_interval_s. */
enum err tasks_reconcile_start(struct tasks *t, struct errbuf *eb);
/* Publish a "job" event for job_id. */
void tasks_job_publish(struct tasks *t,
                       const struct store_claim *c,
                       const char *status,
                       const char *error);
/* Write the report of run_id (which just ended) and publish the "run" event. */
void tasks_report_write(struct tasks *t, int64_t run_id);

/* ---- the service map (tasks_svcmap.c) ---- */

/* Check the graph of job's successful service_map result r, analyse it against the last
 * map (single points of failure, changes), lay it out (SVG) and keep it; adds "map" (a
 * summary) to r. Returns why the job must fail (caller frees), or NULL. */
char *tasks_svcmap_keep(struct tasks_job *job, json_t *r);
/* Append the report section of a job summary's "map" to b. */
void tasks_svcmap_md(struct buf *b, const json_t *map);
/* Return the established TCP connections between the running allowlisted containers of
 * the inventory items, read from the host's /proc/<pid>/net/tcp{,6}: [{"from", "to",
 * "port"}] by the items' (redacted) names; [] when none or /proc is not the host's. */
json_t *tasks_observed_collect(const struct config *cfg, const json_t *items);
/* Return the folder of run_id under the uploads folder (caller frees). */
char *tasks_run_dir(const struct tasks *t, int64_t run_id);

/* ---- the docker runtime's spawn gate, audit and seeding (tasks_docker_gate.c) ---- */

#define TASKS_DOCKER_MEMORY_MB 512          /* default container memory (no entry limit) */
#define TASKS_DOCKER_PIDS      128          /* default container pids limit */
#define TASKS_DOCKER_NANO_CPUS 1000000000LL /* default: one CPU */

/* What the gate allowed for one job. */
struct tasks_gate {
    const char *ref;    /* the image reference as configured (borrowed from the config) */
    char image_id[128]; /* what the engine resolved it to ("sha256:..."): create from this */
    int64_t memory_bytes;
    int64_t nano_cpus;
    int64_t pids_limit;
    bool is_gpu; /* the entry requires a GPU: request every NVIDIA GPU */
};

#define TASKS_DOCKER_MOUNTS_MAX 4
#define TASKS_HOST_PROC         "/host/proc" /* where a GPU worker sees the host's /proc */
struct docker_mount;
/* Fill m (TASKS_DOCKER_MOUNTS_MAX entries) with the mounts of a worker container: logs and
 * input read-only, output read-write, and for a gpu_report job whose image entry requires a
 * GPU (is_gpu) the host's /proc read-only at TASKS_HOST_PROC. Returns how many. */
size_t tasks_docker_mounts(const char *task,
                           bool is_gpu,
                           const char *logs,
                           const char *in,
                           const char *out,
                           struct docker_mount *m);
/* Return the image job runs: CYBER_BRAIN_GPU_WORKER_IMAGE for gpu_report when set, else
 * CYBER_BRAIN_WORKER_IMAGE (borrowed from the config). */
const char *tasks_job_image(const struct tasks_job *job);
/* Set g's memory, CPU and pids limits for job: the run's directive (config.worker_limits
 * of the chosen directive, else of the task's default one) capped by the image entry's
 * value, else the entry's, else the defaults. ERR_INVALID when the directive's value is
 * out of range (eb names the directive and the field). */
enum err tasks_limits_resolve(const struct tasks_job *job,
                              const json_t *entry,
                              struct tasks_gate *g,
                              struct errbuf *eb);
/* Decide whether job may spawn its image (allowlist, the engine's resolution against a
 * pinned digest, a GPU when required) and fill g. A refusal has eb naming the image and
 * the reason and a "deny" audit row (ERR_FORBIDDEN); other errors (store, engine: an
 * image the engine lacks is ERR_NOT_FOUND) are not audited. */
enum err tasks_gate_check(struct tasks_job *job, struct tasks_gate *g, struct errbuf *eb);
/* Append a worker audit row for job (its run and job ids); a failure is logged only. */
void tasks_audit(struct tasks_job *job,
                 const char *action,
                 const char *image,
                 const char *container_id,
                 const char *reason);
/* Parse nvidia-smi's "index, memory.free" CSV rows (no header, no units): *n_gpus rows,
 * *max_free_mb the most free MiB among rows that say ("[N/A]" is unknown, not zero),
 * *is_known whether any did. ERR_PARSE on anything else. */
enum err tasks_gpu_parse(const char *text, int *n_gpus, int64_t *max_free_mb, bool *is_known);
/* Ask nvidia-smi (looked up on PATH, no shell, killed after 5 s, output capped) about
 * this host's GPUs, as tasks_gpu_parse says. ERR_NOT_FOUND when it is absent or fails. */
enum err tasks_gpu_probe(int *n_gpus, int64_t *max_free_mb, bool *is_known, struct errbuf *eb);
/* On the first start ever (settings key worker_images_seeded absent; set now, once, across
 * processes), allowlist cfg->worker_image (normalised name and tag, no digest) unless an
 * entry exists. Failures are logged. */
void tasks_docker_seed(const struct config *cfg, struct store *st);

/* Take run c->run_id's inventory snapshot (source run) when c is its first gpu_report or
 * service_map job to start; any other job is a no-op. Returns the items it collected (the
 * caller decrefs), or NULL when it took none. Failures are logged, never returned: the job
 * goes on. */
json_t *tasks_inventory_on_job(struct tasks *t, const struct store_claim *c);

/* ---- gpu_report: alerts and capacity planning (tasks_gpu.c) ---- */

#define TASKS_GPU_WEIGHTS_MIB_PER_B 572  /* Q4_K_M weights: ~0.6 GB per billion parameters */
#define TASKS_GPU_KV_MIB_PER_B      20   /* KV cache (4096 tokens, GQA) per billion */
#define TASKS_GPU_OVERHEAD_MIB      1024 /* CUDA context and compute buffers */
#define TASKS_GPU_ASSUMPTIONS                                                                  \
    "Q4_K_M weights ~0.6 GB (572 MiB) per billion parameters, plus 20 MiB per billion for a "  \
    "4096-token KV cache and 1 GiB for the CUDA context and buffers; headroom = total - peak " \
    "used over the window"

/* The VRAM a Q4_K_M model of params_b billion parameters needs (MiB), as assumed above. */
int64_t tasks_gpu_model_footprint_mib(int params_b);
/* Alerts for gpus (a sample's "gpus") from the D2 config cfg: vram_used_pct_warn (85),
 * temp_c_warn (80), temp_margin_c_warn (10; alert at or below), power_pct_warn (90),
 * util_pct_warn (95, severity info); a new array of {"gpu_index","gpu_uuid","kind",
 * "severity","value","threshold","message"}. Unknown figures raise none. */
json_t *tasks_gpu_alerts(const json_t *gpus, const json_t *cfg);
/* Capacity planning for gpus with the window's stored peaks (store_gpu_peaks rows) and the
 * worker-image entries: a new {"window_hours","gpus": [{"index","uuid","name",
 * "memory_total_mib","memory_used_mib","peak_used_mib","headroom_mib","free_now_mib",
 * "samples"}],"models": [{"model","params_b","quantization","footprint_mib","fits_on",
 * "fits_now_on"}],"images": [{"image","min_vram_mb","gpu_index","free_now_mib","reason"}],
 * "assumptions"}. */
json_t *
tasks_gpu_plan(const json_t *gpus, const json_t *peaks, const json_t *images, int64_t window_hours);
/* Add "alerts" and "planning" to a successful gpu_report result r of claim c (its run's D2
 * config; planning_window_hours, default 168). Store failures are logged; the plan then
 * uses this sample alone. */
void tasks_gpu_enrich(struct tasks *t, const struct store_claim *c, json_t *r);

/* ---- reports (tasks_report.c, tasks_report_gpu.c) ---- */
struct buf;
/* Append s with Markdown's special characters escaped and line breaks flattened. */
void tasks_md_text(struct buf *b, const char *s);
/* Append the JSON value as text: strings escaped, numbers as is, null as "n/a". */
void tasks_md_value(struct buf *b, const json_t *v);
/* Append the gpu_report section of a job summary s (GPUs, alerts, containers, capacity). */
void tasks_report_gpu_md(struct buf *b, const json_t *s);

/* ---- container logs for log_triage (tasks_contlogs.c) ---- */

#define TASKS_CONTLOGS_MAX       64                   /* containers read per job */
#define TASKS_CONTLOGS_FILE_MAX  (64u * 1024 * 1024)  /* bytes kept per container */
#define TASKS_CONTLOGS_TOTAL_MAX (256u * 1024 * 1024) /* bytes kept per job */
#define TASKS_CONTLOGS_NAME_MAX  100                  /* bytes of a sanitised name */

/* Write into out (cap >= 32) the file name for container name with id: the name with every
 * byte outside [A-Za-z0-9_.-] (and a leading '.') replaced by '_', cut to
 * TASKS_CONTLOGS_NAME_MAX, then "-", the first 12 id characters (hex kept, others '_') and
 * ".log". It never holds '/' and never starts with '.', so it stays inside its folder. */
void tasks_contlogs_file_name(const char *name, const char *id, char *out, size_t cap);
/* For a log_triage job: write the window of each allowlisted container's logs under
 * job->input_dir/containers/ and add "containers" [{name,id,file,bytes,is_truncated,
 * is_tty}] and "containers_failed" [{name,id,reason}] (and "container_logs_error" when the
 * engine does not answer) to job_json. Never fails: problems are listed and logged. */
void tasks_contlogs_add(struct tasks_job *job, json_t *job_json);

/* ---- redaction of what the orchestrator stores (tasks_redact.c) ---- */

struct redact_opts;

/* Fill o from cfg: keyed pseudonyms when cfg has a redaction key, else masks. */
void tasks_redact_opts(const struct config *cfg, struct redact_opts *o);
/* Return s redacted (caller frees); NULL for NULL. */
char *tasks_redact_dup(const struct config *cfg, const char *s);
/* Replace every string value in j by its redacted form, except under the object members
 * named in skip (NULL-terminated, may be NULL): ids and digests the product needs raw.
 * A string whose only findings are container ids is kept as it is. */
void tasks_redact_json(const struct config *cfg, json_t *j, const char *const *skip);
