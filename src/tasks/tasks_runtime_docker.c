/* SPDX-License-Identifier: MIT */
/* tasks_runtime_docker.c -- the `docker` runtime: each job in an ephemeral, locked-down
 * container of the worker image, through the Engine API.
 *
 * The container has no network, a read-only root, no capabilities, no-new-privileges,
 * the user 65534:65534, memory/pids/CPU limits (the allowlist entry's, else defaults), a
 * small noexec tmpfs at /tmp, and three bind mounts: CYBER_BRAIN_LOGS read-only at /logs,
 * the job's input read-only at /input, its output read-write at /output. It is labelled
 * cyberbrain.run/.job/.instance. Before the create the gate (tasks_docker_gate.c) checks
 * the image and resolves it to the Id the container is created from. The wait asks the
 * engine to wait in short slices, reading the logs in between (progress lines become
 * events), checks cancellation and the deadline, kills the container when it must, and
 * always removes it. spawn, exit / deadline_kill and remove are audited. */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "docker/docker.h"
#include "tasks/tasks_int.h"

#define DOCKER_USER       "65534:65534"
#define DOCKER_UID        65534
#define DOCKER_SLICE_MS   250
#define DOCKER_LOGS_MAX   (4u * 1024 * 1024) /* bytes of logs read per poll */
#define DOCKER_LOG_POLLMS 500

struct dock {
    char id[DOCKER_ID_MAX];
    char image[DOCKER_REF_MAX + 1]; /* the reference as configured, for the audit */
    size_t out_seen;                /* stdout bytes already fed to progress */
    struct tasks_progress progress;
    atomic_bool is_kill_asked;
};

/* Make the output folder writable by the container user, job.json readable by it. */
static enum err share_dirs(struct tasks_job *job, struct errbuf *eb)
{
    char *jp = xasprintf("%s/job.json", job->input_dir);
    int rc = chmod(jp, 0644);
    xfree(jp);
    if (rc == 0 && geteuid() == 0)
        rc = chown(job->output_dir, DOCKER_UID, DOCKER_UID);
    else if (rc == 0)
        rc = chmod(job->output_dir, 0777);
    if (rc != 0)
        return errbuf_set(eb, ERR_IO, "cannot share the job folders with the container: %s",
                          strerror(errno));
    return ERR_OK;
}

size_t tasks_docker_mounts(const char *task,
                           bool is_gpu,
                           const char *logs,
                           const char *in,
                           const char *out,
                           struct docker_mount *m)
{
    size_t n = 0;
    m[n++] = (struct docker_mount){logs, "/logs", true};
    m[n++] = (struct docker_mount){in, "/input", true};
    m[n++] = (struct docker_mount){out, "/output", false};
    /* gpu_report names the container of each GPU process from the host's /proc (cgroup and
     * stat of the host PIDs NVML reports); only a GPU worker gets it, read-only. */
    if (is_gpu && strcmp(task, "gpu_report") == 0)
        m[n++] = (struct docker_mount){"/proc", TASKS_HOST_PROC, true};
    return n;
}

/* Make the engine's "no GPU driver" answer say what it means. */
static enum err gpu_error(const struct dock *d, enum err e, struct errbuf *eb)
{
    char img_q[40];
    if (e == ERR_OK || !strstr(errbuf_get(eb, e), "could not select device driver"))
        return e;
    err_quote_user(img_q, sizeof(img_q), d->image);
    return errbuf_set(eb, ERR_FORBIDDEN,
                      "worker image \"%s\" requires a GPU but the Docker engine has no NVIDIA "
                      "runtime (install the NVIDIA Container Toolkit)",
                      img_q);
}

/* Create the container for job into d->id, from the image the gate resolved. */
static enum err create(struct tasks_job *job, struct dock *d, struct errbuf *eb)
{
    const struct config *cfg = job->t->opts.cfg;
    struct tasks_gate g;
    char run[24], jid[24], in[PATH_MAX], out[PATH_MAX], logs[PATH_MAX];
    if (!realpath(job->input_dir, in) || !realpath(job->output_dir, out))
        return errbuf_set(eb, ERR_IO, "cannot resolve the job folders: %s", strerror(errno));
    if (!realpath(cfg->logs_dir, logs))
        return errbuf_set(eb, ERR_UNAVAILABLE, "CYBER_BRAIN_LOGS cannot be mounted: %s",
                          strerror(errno));
    enum err e = tasks_gate_check(job, &g, eb);
    if (e != ERR_OK)
        return e;
    snprintf(d->image, sizeof(d->image), "%s", g.ref);
    snprintf(run, sizeof(run), "%lld", (long long)job->claim.run_id);
    snprintf(jid, sizeof(jid), "%lld", (long long)job->claim.job_id);
    const char *labels[] = {"cyberbrain.run", run, "cyberbrain.job", jid, "cyberbrain.instance",
                            cfg->instance_id, NULL};
    struct docker_mount mounts[TASKS_DOCKER_MOUNTS_MAX];
    size_t n_mounts = tasks_docker_mounts(job->claim.task, g.is_gpu, logs, in, out, mounts);
    struct docker_create_opts o = {.image = g.image_id,
                                   .user = DOCKER_USER,
                                   .labels = labels,
                                   .mounts = mounts,
                                   .n_mounts = n_mounts,
                                   .memory_bytes = g.memory_bytes,
                                   .pids_limit = g.pids_limit,
                                   .nano_cpus = g.nano_cpus,
                                   .is_gpu = g.is_gpu};
    e = docker_container_create(cfg->docker_socket, &o, d->id, sizeof(d->id), eb);
    return gpu_error(d, e, eb);
}

static enum err dock_start(struct tasks_job *job, struct errbuf *eb)
{
    const char *sock = job->t->opts.cfg->docker_socket;
    struct dock *d = xcalloc(1, sizeof(*d));
    enum err e = share_dirs(job, eb);
    if (e == ERR_OK)
        e = create(job, d, eb);
    if (e == ERR_OK) {
        e = gpu_error(d, docker_container_start(sock, d->id, eb), eb);
        if (e != ERR_OK && docker_container_remove(sock, d->id, NULL) == ERR_OK)
            tasks_audit(job, "remove", d->image, d->id, "the container did not start");
    }
    if (e != ERR_OK) {
        xfree(d);
        return e;
    }
    tasks_audit(job, "spawn", d->image, d->id, NULL);
    tasks_progress_init(&d->progress);
    pthread_mutex_lock(&job->t->mu);
    job->rt_data = d;
    pthread_mutex_unlock(&job->t->mu);
    log_info("tasks", "event=worker.start runtime=docker isolated=true job_id=%lld container=%.12s",
             (long long)job->claim.job_id, d->id);
    return ERR_OK;
}

/* Read the logs; feed new stdout to progress; keep stderr when is_last. */
static void read_logs(struct tasks_job *job, struct dock *d, bool is_last)
{
    struct buf out, err;
    buf_init(&out, DOCKER_LOGS_MAX);
    buf_init(&err, TASKS_STDERR_MAX);
    struct errbuf eb = {0};
    enum err e = docker_container_logs(job->t->opts.cfg->docker_socket, d->id, DOCKER_LOGS_MAX,
                                       &out, &err, &eb);
    if (e != ERR_OK) {
        log_warn("tasks", "event=worker.logs.fail job_id=%lld err=%s", (long long)job->claim.job_id,
                 err_name(e));
    } else if (buf_len(&out) > d->out_seen) {
        tasks_progress_feed(job, &d->progress, buf_str(&out) + d->out_seen,
                            buf_len(&out) - d->out_seen);
        d->out_seen = buf_len(&out);
    }
    if (is_last && buf_len(&err))
        job->stderr_text = buf_take(&err);
    buf_fini(&out);
    buf_fini(&err);
}

static bool is_cancelled(struct tasks_job *job)
{
    bool yes = false;
    enum err e = store_job_is_cancelled(job->t->opts.st, job->claim.job_id, &yes, NULL);
    return e == ERR_OK && yes;
}

/* Why the wait must stop now (TASKS_EXITED: it need not). */
static enum tasks_outcome
must_stop(struct tasks_job *job, struct dock *d, int64_t deadline, int64_t *next_cancel)
{
    int64_t now = clock_mono_ms();
    if (tasks_is_stopping(job->t) || atomic_load(&d->is_kill_asked))
        return TASKS_SHUTDOWN;
    if (now >= deadline)
        return TASKS_TIMED_OUT;
    if (now >= *next_cancel) {
        *next_cancel = now + TASKS_CANCEL_POLL_MS;
        if (is_cancelled(job))
            return TASKS_CANCELLED;
    }
    return TASKS_EXITED;
}

/* Wait in slices until the container stops or the wait must end; fills exit fields. */
static enum tasks_outcome wait_loop(struct tasks_job *job, struct dock *d, int64_t deadline)
{
    const char *sock = job->t->opts.cfg->docker_socket;
    int64_t next_cancel = clock_mono_ms() + TASKS_CANCEL_POLL_MS;
    int64_t next_logs = clock_mono_ms() + DOCKER_LOG_POLLMS;
    for (;;) {
        enum tasks_outcome oc = must_stop(job, d, deadline, &next_cancel);
        if (oc != TASKS_EXITED)
            return oc;
        int64_t left = deadline - clock_mono_ms();
        struct errbuf eb = {0};
        int code = 0;
        enum err e = docker_container_wait(
            sock, d->id, left < DOCKER_SLICE_MS ? (long)left + 1 : DOCKER_SLICE_MS, &code, &eb);
        if (e == ERR_OK) {
            job->exit_code = code;
            return TASKS_EXITED;
        }
        if (e != ERR_TIMEOUT) {
            job->exit_code = -1;
            job->stderr_text =
                e == ERR_UNAVAILABLE
                    ? xasprintf("docker engine unavailable at %s during the run: %s", sock,
                                errbuf_get(&eb, e))
                    : xasprintf("the worker container was lost: %s", errbuf_get(&eb, e));
            return TASKS_LOST;
        }
        if (clock_mono_ms() >= next_logs) {
            read_logs(job, d, false);
            next_logs = clock_mono_ms() + DOCKER_LOG_POLLMS;
        }
    }
}

/* Audit how the container ended: its exit code, or why it was killed. */
static void audit_end(struct tasks_job *job, struct dock *d, enum tasks_outcome oc)
{
    char why[64];
    const char *action = "exit";
    if (oc == TASKS_EXITED) {
        snprintf(why, sizeof(why), "exit code %d", job->exit_code);
    } else if (oc == TASKS_TIMED_OUT) {
        action = "deadline_kill";
        int64_t ms = job->t->opts.cfg->job_timeout_ms;
        if (ms % 1000 == 0)
            snprintf(why, sizeof(why), "deadline of %lld s exceeded", (long long)(ms / 1000));
        else
            snprintf(why, sizeof(why), "deadline of %lld ms exceeded", (long long)ms);
    } else {
        snprintf(why, sizeof(why), "%s",
                 oc == TASKS_CANCELLED ? "cancelled"
                 : oc == TASKS_LOST    ? "engine stopped answering"
                                       : "orchestrator shutting down");
    }
    tasks_audit(job, action, d->image, d->id, why);
}

static enum tasks_outcome dock_wait(struct tasks_job *job, int64_t deadline)
{
    struct dock *d = job->rt_data;
    const char *sock = job->t->opts.cfg->docker_socket;
    struct errbuf eb = {0};
    job->term_signal = 0;
    enum tasks_outcome oc = wait_loop(job, d, deadline);
    if (oc != TASKS_EXITED)
        docker_container_kill(sock, d->id, NULL); /* 409 when it just ended: fine */
    audit_end(job, d, oc);
    if (!job->stderr_text)
        read_logs(job, d, true);
    tasks_progress_flush(job, &d->progress);
    enum err e = docker_container_remove(sock, d->id, &eb);
    if (e != ERR_OK)
        log_error("tasks", "event=worker.remove.fail job_id=%lld container=%.12s err=%s",
                  (long long)job->claim.job_id, d->id, err_name(e));
    else
        tasks_audit(job, "remove", d->image, d->id, NULL);
    if (e == ERR_OK)
        log_info("tasks", "event=worker.end runtime=docker job_id=%lld container=%.12s exit=%d",
                 (long long)job->claim.job_id, d->id, oc == TASKS_EXITED ? job->exit_code : -1);
    pthread_mutex_lock(&job->t->mu);
    job->rt_data = NULL;
    pthread_mutex_unlock(&job->t->mu);
    tasks_progress_fini(&d->progress);
    xfree(d);
    return oc;
}

/* Called with t->mu held: only flag it; the waiting thread kills within one slice. */
static void dock_kill(struct tasks_job *job)
{
    struct dock *d = job->rt_data;
    if (d)
        atomic_store(&d->is_kill_asked, true);
}

const struct tasks_runtime tasks_runtime_docker = {
    .name = "docker",
    .is_isolated = true,
    .logs_dir = "/logs",
    .start = dock_start,
    .wait = dock_wait,
    .kill = dock_kill,
};

/* Why the docker runtime cannot run here, in eb; ERR_OK when it can. *is_down tells an
 * engine that does not answer from one that answers without the worker image. */
static enum err docker_usable(const struct config *cfg, bool *is_down, struct errbuf *eb)
{
    char ver[16];
    json_t *img = NULL;
    enum err e = docker_ping(cfg->docker_socket, ver, sizeof(ver), eb);
    *is_down = e != ERR_OK;
    if (e == ERR_OK)
        e = docker_image_inspect(cfg->docker_socket, cfg->worker_image, &img, eb);
    json_decref(img);
    return e;
}

/* Pick docker although the engine is down: jobs fail with a clear reason until it
 * answers again, rather than running unisolated. */
static const struct tasks_runtime *pick_down(const struct config *cfg, struct errbuf *why)
{
    log_warn("tasks",
             "event=runtime.pick runtime=docker setting=%s engine=down detail=\"%s\" note=%s",
             config_runtime_name(cfg->runtime), errbuf_get(why, ERR_UNAVAILABLE),
             "jobs fail until the engine answers");
    return &tasks_runtime_docker;
}

const struct tasks_runtime *tasks_runtime_pick(const struct config *cfg, struct errbuf *eb)
{
    struct errbuf why = {0};
    struct stat sb;
    bool is_down = false;
    if (cfg->runtime == CONFIG_RUNTIME_PROCESS)
        return &tasks_runtime_process;
    enum err e = docker_usable(cfg, &is_down, &why);
    if (e == ERR_OK) {
        log_info("tasks", "event=runtime.pick runtime=docker setting=%s",
                 config_runtime_name(cfg->runtime));
        return &tasks_runtime_docker;
    }
    /* auto falls back to process only when there is no engine at all (no socket file)
     * or one that answers without the worker image. */
    if (is_down && (cfg->runtime == CONFIG_RUNTIME_DOCKER ||
                    (stat(cfg->docker_socket, &sb) == 0 && S_ISSOCK(sb.st_mode))))
        return pick_down(cfg, &why);
    if (cfg->runtime == CONFIG_RUNTIME_DOCKER) {
        errbuf_set(eb, e, "CYBER_BRAIN_RUNTIME=docker: %s", errbuf_get(&why, e));
        return NULL;
    }
    log_info("tasks", "event=runtime.pick runtime=process setting=auto reason=\"%s\"",
             errbuf_get(&why, e));
    return &tasks_runtime_process;
}
