/* SPDX-License-Identifier: MIT */
/* tasks_docker_gate.c -- what the docker runtime checks before it spawns a worker, the
 * worker audit rows, and the first start's allowlisting of the worker image.
 *
 * The gate: the job's image reference must pass the worker-image allowlist
 * (store_worker_image_check); the engine must resolve it, and when the entry pins a digest
 * the resolved image must be that digest (its Id, or a RepoDigests entry of the same
 * repository); the container is then created from the resolved Id, so retagging between
 * the check and the create changes nothing. Entries with requires_gpu need an NVIDIA GPU
 * on this host (nvidia-smi, run without a shell, killed after GATE_SMI_TIMEOUT_MS) with
 * at least min_vram_mb free. Every refusal is a "deny" audit row naming run and job. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/xalloc.h"
#include "docker/docker.h"
#include "tasks/tasks_int.h"

#define GATE_SMI_OUT_MAX    (64 * 1024)
#define GATE_SMI_TIMEOUT_MS 5000
#define GATE_SEEDED_KEY     "worker_images_seeded"

void tasks_audit(struct tasks_job *job,
                 const char *action,
                 const char *image,
                 const char *container_id,
                 const char *reason)
{
    struct errbuf eb = {0};
    char *why = tasks_redact_dup(job->t->opts.cfg, reason); /* may quote engine errors */
    enum err e = store_audit_add(job->t->opts.st, action, image, container_id, job->claim.run_id,
                                 job->claim.job_id, why, &eb);
    xfree(why);
    if (e != ERR_OK)
        log_error("tasks", "event=audit.fail action=%s job_id=%lld err=%s", action,
                  (long long)job->claim.job_id, err_name(e));
}

const char *tasks_job_image(const struct tasks_job *job)
{
    const struct config *cfg = job->t->opts.cfg;
    if (cfg->gpu_worker_image && strcmp(job->claim.task, "gpu_report") == 0)
        return cfg->gpu_worker_image;
    return cfg->worker_image;
}

/* Refuse job's image ref with the text in eb (already set): audit it and return e. */
static enum err deny(struct tasks_job *job, const char *ref, enum err e, struct errbuf *eb)
{
    tasks_audit(job, "deny", ref, NULL, errbuf_get(eb, e));
    log_warn("tasks", "event=worker.deny job_id=%lld run_id=%lld", (long long)job->claim.job_id,
             (long long)job->claim.run_id);
    return e;
}

/* True when img (docker_image_inspect's answer) is the image digest names: its Id, or a
 * RepoDigests entry of the repository r names. */
static bool is_digest_of(const json_t *img, const struct docker_ref *r, const char *digest)
{
    const char *id = jsonx_get_str(img, "Id");
    if (id && strcmp(id, digest) == 0)
        return true;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(img, "RepoDigests"), i, v)
    {
        struct docker_ref rd;
        if (json_is_string(v) && docker_ref_parse(json_string_value(v), &rd, NULL) == ERR_OK &&
            strcmp(rd.name, r->name) == 0 && strcmp(rd.digest, digest) == 0)
            return true;
    }
    return false;
}

/* Resolve ref on the engine into g->image_id, checking the pinned digest (entry's, or
 * the one ref carries). */
static enum err resolve(struct tasks_job *job,
                        const char *ref,
                        const json_t *entry,
                        struct tasks_gate *g,
                        struct errbuf *eb)
{
    char img_q[40];
    json_t *img = NULL;
    struct docker_ref r;
    err_quote_user(img_q, sizeof(img_q), ref);
    enum err e = docker_ref_parse(ref, &r, eb);
    if (e != ERR_OK)
        return e;
    e = docker_image_inspect(job->t->opts.cfg->docker_socket, ref, &img, eb);
    if (e == ERR_NOT_FOUND)
        return errbuf_set(eb, e, "worker image \"%s\" is not on the engine (nothing is pulled)",
                          img_q);
    if (e != ERR_OK)
        return e;
    const char *want = jsonx_get_str(entry, "digest");
    if (!want && r.digest[0])
        want = r.digest;
    const char *id = jsonx_get_str(img, "Id");
    if (want && !is_digest_of(img, &r, want)) {
        e = errbuf_set(eb, ERR_FORBIDDEN,
                       "worker image \"%s\" is refused: the engine resolves it to an image "
                       "that does not match the pinned digest %.19s...",
                       img_q, want);
        json_decref(img);
        return deny(job, ref, e, eb);
    }
    snprintf(g->image_id, sizeof(g->image_id), "%s", id);
    json_decref(img);
    return ERR_OK;
}

enum err tasks_gpu_parse(const char *text, int *n_gpus, int64_t *max_free_mb, bool *is_known)
{
    *n_gpus = 0;
    *max_free_mb = -1;
    *is_known = false;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char row[128];
        if (len >= sizeof(row))
            return ERR_PARSE;
        memcpy(row, line, len);
        row[len] = '\0';
        line = end ? end + 1 : NULL;
        char *comma = strchr(row, ',');
        if (!comma) {
            if (strspn(row, " \t\r") == len)
                continue; /* a blank line */
            return ERR_PARSE;
        }
        char *num = comma + 1, *stop = NULL;
        num += strspn(num, " \t");
        (*n_gpus)++;
        if (strncmp(num, "[N/A]", 5) == 0 || strncmp(num, "N/A", 3) == 0)
            continue; /* unknown, not zero */
        errno = 0;
        long long v = strtoll(num, &stop, 10);
        if (errno || stop == num || v < 0 || strspn(stop, " \t\r") != strlen(stop))
            return ERR_PARSE;
        *is_known = true;
        if (v > *max_free_mb)
            *max_free_mb = v;
    }
    return ERR_OK;
}

enum err tasks_gpu_probe(int *n_gpus, int64_t *max_free_mb, bool *is_known, struct errbuf *eb)
{
    int status = 0;
    struct buf out;
    *n_gpus = 0;
    *max_free_mb = -1;
    *is_known = false;
    char *bin = proc_find_on_path("nvidia-smi");
    if (!bin)
        return errbuf_set(eb, ERR_NOT_FOUND, "nvidia-smi is not on PATH");
    const char *path = getenv("PATH");
    char *path_env = xasprintf("PATH=%s", path ? path : "/usr/local/bin:/usr/bin:/bin");
    char *argv[] = {bin, "--query-gpu=index,memory.free", "--format=csv,noheader,nounits", NULL};
    char *envp[] = {path_env, "LC_ALL=C", NULL};
    buf_init(&out, GATE_SMI_OUT_MAX);
    enum err e = proc_run_capture(argv, envp, GATE_SMI_TIMEOUT_MS, &out, &status, eb);
    if (e == ERR_OK && status != 0)
        e = errbuf_set(eb, ERR_NOT_FOUND, "nvidia-smi exited with status %d", status);
    if (e == ERR_OK && tasks_gpu_parse(buf_str(&out), n_gpus, max_free_mb, is_known) != ERR_OK)
        e = errbuf_set(eb, ERR_UNAVAILABLE, "nvidia-smi's answer is not index,memory.free rows");
    buf_fini(&out);
    xfree(path_env);
    xfree(bin);
    return e;
}

/* Refuse a requires_gpu entry when this host has no NVIDIA GPU, or none with min_vram_mb
 * free (a GPU whose free memory nvidia-smi cannot tell might have it). */
static enum err
check_gpu(struct tasks_job *job, const char *ref, const json_t *entry, struct errbuf *eb)
{
    char img_q[40], why[160] = "";
    int n = 0;
    int64_t free_mb = -1;
    bool is_known = false;
    struct errbuf peb = {0};
    err_quote_user(img_q, sizeof(img_q), ref);
    enum err e = tasks_gpu_probe(&n, &free_mb, &is_known, &peb);
    if (e != ERR_OK)
        snprintf(why, sizeof(why), " (%s)", errbuf_get(&peb, e));
    if (e != ERR_OK || n == 0)
        return deny(job, ref,
                    errbuf_set(eb, ERR_FORBIDDEN,
                               "worker image \"%s\" requires a GPU but no NVIDIA GPU was found%s",
                               img_q, why),
                    eb);
    json_t *min = json_object_get(entry, "min_vram_mb");
    int64_t need = json_is_integer(min) ? json_integer_value(min) : 0;
    if (need > 0 && is_known && free_mb < need && n == 1)
        return deny(job, ref,
                    errbuf_set(eb, ERR_FORBIDDEN,
                               "worker image \"%s\" requires %lld MiB of free GPU memory but the "
                               "GPU has %lld MiB free",
                               img_q, (long long)need, (long long)free_mb),
                    eb);
    if (need > 0 && is_known && free_mb < need)
        return deny(job, ref,
                    errbuf_set(eb, ERR_FORBIDDEN,
                               "worker image \"%s\" requires %lld MiB of free GPU memory but the "
                               "most free on any of the %d GPUs is %lld MiB",
                               img_q, (long long)need, n, (long long)free_mb),
                    eb);
    return ERR_OK;
}

enum err tasks_gate_check(struct tasks_job *job, struct tasks_gate *g, struct errbuf *eb)
{
    const char *ref = tasks_job_image(job);
    json_t *entry = NULL;
    memset(g, 0, sizeof(*g));
    g->ref = ref;
    enum err e = store_worker_image_check(job->t->opts.st, ref, job->claim.run_id,
                                          job->claim.job_id, &entry, eb);
    if (e == ERR_FORBIDDEN)
        log_warn("tasks", "event=worker.deny job_id=%lld run_id=%lld", (long long)job->claim.job_id,
                 (long long)job->claim.run_id);
    if (e == ERR_OK)
        e = resolve(job, ref, entry, g, eb);
    if (e == ERR_OK && json_is_true(json_object_get(entry, "requires_gpu"))) {
        e = check_gpu(job, ref, entry, eb);
        g->is_gpu = true;
    }
    if (e == ERR_OK)
        e = tasks_limits_resolve(job, entry, g, eb);
    json_decref(entry);
    return e;
}

void tasks_docker_seed(const struct config *cfg, struct store *st)
{
    struct errbuf eb = {0};
    struct docker_ref r;
    bool is_first = false;
    json_t *out = NULL;
    enum err e = docker_ref_parse(cfg->worker_image, &r, &eb);
    if (e == ERR_OK)
        e = store_setting_set(st, GATE_SEEDED_KEY, "1", true, &is_first, &eb);
    if (e != ERR_OK || !is_first) {
        if (e != ERR_OK)
            log_error("tasks", "event=worker_image.seed.fail err=%s", err_name(e));
        return;
    }
    json_t *fields =
        json_pack("{s:s,s:s,s:b}", "image_name", r.name, "image_tag", r.tag, "is_active", 1);
    e = store_worker_image_create(st, fields, &out, &eb);
    if (e == ERR_OK)
        log_info("tasks", "event=worker_image.seed image=%s:%s id=%lld", r.name, r.tag,
                 (long long)json_integer_value(json_object_get(out, "id")));
    else if (e == ERR_CONFLICT)
        log_info("tasks", "event=worker_image.seed image=%s:%s note=already_listed", r.name, r.tag);
    else
        log_error("tasks", "event=worker_image.seed.fail err=%s", err_name(e));
    json_decref(fields);
    json_decref(out);
}
