/* SPDX-License-Identifier: MIT */
/* worker_gpu_sample.c -- one GPU sample: NVML when the library is there, else nvidia-smi's
 * CSV queries (no shell, output capped, killed after the timeout; never the XML of -q),
 * then each process's container from the host's /proc.
 *
 * A GPU query that fails is an error with nvidia-smi's first line as the reason; a process
 * query that fails leaves "processes" null with a reason (never [], which would read as an
 * idle GPU). "No devices were found" is no GPU, not an error. */
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/fs.h"
#include "core/jsonx.h"
#include "core/proc.h"
#include "core/xalloc.h"
#include "worker/worker.h"
#include "worker/worker_int.h"

#define SMI_OUT_MAX    (256 * 1024)
#define SMI_TIMEOUT_MS 5000
#define SMI_REASON_MAX 200
#define PROC_FILE_MAX  (64 * 1024)
#define NO_DEVICES     "No devices were found"

/* The first line of out (trimmed, cut), for a reason (caller frees). */
static char *first_line(const struct buf *out)
{
    const char *s = buf_str(out);
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
        s++;
    size_t n = strcspn(s, "\r\n");
    return xstrndup(s, n > SMI_REASON_MAX ? SMI_REASON_MAX : n);
}

/* Run nvidia-smi (bin) with query_arg and --format=csv,noheader,nounits into out. */
static enum err
run_smi(char *bin, const char *query_arg, int64_t timeout_ms, struct buf *out, struct errbuf *eb)
{
    int status = 0;
    char *q = xstrdup(query_arg), *fmt = xstrdup("--format=csv,noheader,nounits");
    char *argv[] = {bin, q, fmt, NULL};
    buf_reset(out);
    enum err e = proc_run_capture(argv, NULL, timeout_ms, out, &status, eb);
    xfree(q);
    xfree(fmt);
    if (e == ERR_TIMEOUT)
        return errbuf_set(eb, ERR_TIMEOUT, "nvidia-smi did not answer within %lld ms",
                          (long long)timeout_ms);
    if (e != ERR_OK)
        return e;
    if (status != 0) {
        char *line = first_line(out);
        e = errbuf_set(eb, ERR_UNAVAILABLE, "nvidia-smi exited with status %d%s%s", status,
                       line[0] ? ": " : "", line);
        xfree(line);
    }
    return e;
}

static bool says_no_devices(const struct buf *out)
{
    return strstr(buf_str(out), NO_DEVICES) != NULL;
}

/* The GPU query, retried without temperature.gpu.tlimit for drivers that lack it. */
static enum err
smi_gpus(char *bin, int64_t timeout_ms, struct buf *out, json_t **gpus, struct errbuf *eb)
{
    const char *query = WORKER_GPU_QUERY;
    enum err e = run_smi(bin, "--query-gpu=" WORKER_GPU_QUERY, timeout_ms, out, eb);
    if (e == ERR_UNAVAILABLE && strstr(buf_str(out), "is not a valid field")) {
        query = WORKER_GPU_QUERY_OLD;
        e = run_smi(bin, "--query-gpu=" WORKER_GPU_QUERY_OLD, timeout_ms, out, eb);
    }
    if (says_no_devices(out)) {
        *gpus = json_array();
        return ERR_OK;
    }
    if (e == ERR_OK)
        e = worker_nvidia_parse(query, buf_str(out), buf_len(out), gpus, eb);
    return e;
}

/* The CSV path: fills s's gpus, processes (or processes_reason) and reason. */
static enum err smi_sample(const struct worker_gpu_opts *o, json_t *s, struct errbuf *eb)
{
    struct buf out;
    json_t *gpus = NULL, *procs = NULL;
    struct errbuf peb = {0};
    int64_t timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : SMI_TIMEOUT_MS;
    char *bin = proc_find_on_path("nvidia-smi");
    if (!bin) {
        json_object_set_new(s, "driver", json_string("absent"));
        json_object_set_new(s, "reason",
                            json_string("no NVIDIA driver found (nvidia-smi not on PATH)"));
        return ERR_OK;
    }
    buf_init(&out, SMI_OUT_MAX);
    json_object_set_new(s, "source", json_string("nvidia-smi"));
    json_object_set_new(s, "driver", json_string("present"));
    enum err e = smi_gpus(bin, timeout_ms, &out, &gpus, eb);
    if (e != ERR_OK)
        goto out;
    json_object_set_new(s, "gpus", gpus);
    if (json_array_size(gpus) == 0) {
        json_object_set_new(s, "reason", json_string(NO_DEVICES));
        json_object_set_new(s, "processes", json_array());
        goto out;
    }
    enum err pe =
        run_smi(bin, "--query-compute-apps=" WORKER_GPU_APPS_QUERY, timeout_ms, &out, &peb);
    if (pe == ERR_OK)
        pe = worker_nvidia_apps_parse(buf_str(&out), buf_len(&out), &procs, &peb);
    if (pe == ERR_OK) {
        json_object_set_new(s, "processes", procs);
    } else {
        json_object_set_new(s, "processes", json_null());
        json_object_set_new(s, "processes_reason", json_string(errbuf_get(&peb, pe)));
    }
out:
    buf_fini(&out);
    xfree(bin);
    return e;
}

/* The NVML path; ERR_NOT_FOUND when there is no library (fall back to CSV). */
static enum err nvml_sample(const struct worker_gpu_opts *o, json_t *s, struct errbuf *eb)
{
    json_t *gpus = NULL, *procs = NULL;
    char *reason = NULL;
    enum err e = worker_nvml_sample(o->nvml_lib, &gpus, &procs, &reason, eb);
    if (e != ERR_OK)
        return e;
    json_object_set_new(s, "source", json_string("nvml"));
    json_object_set_new(s, "driver", json_string("present"));
    json_object_set_new(s, "gpus", gpus);
    json_object_set_new(s, "processes", procs ? procs : json_null());
    if (reason)
        json_object_set_new(s, "processes_reason", json_string(reason));
    if (json_array_size(gpus) == 0)
        json_object_set_new(s, "reason", json_string(NO_DEVICES));
    xfree(reason);
    return ERR_OK;
}

static enum err take(const struct worker_gpu_opts *o, json_t *s, struct errbuf *eb)
{
    const char *src = o->source ? o->source : "auto";
    bool want_nvml = strcmp(src, "auto") == 0 || strcmp(src, "nvml") == 0;
    bool want_smi = strcmp(src, "auto") == 0 || strcmp(src, "nvidia-smi") == 0;
    if (!want_nvml && !want_smi)
        return errbuf_set(eb, ERR_INVALID, "unknown GPU source (use auto, nvml or nvidia-smi)");
    if (want_nvml) {
        struct errbuf neb = {0};
        enum err e = nvml_sample(o, s, &neb);
        if (e == ERR_OK)
            return ERR_OK;
        if (!want_smi)
            return errbuf_set(eb, e, "%s", errbuf_get(&neb, e));
        if (e != ERR_NOT_FOUND)
            json_object_set_new(s, "nvml_error", json_string(errbuf_get(&neb, e)));
    }
    return smi_sample(o, s, eb);
}

json_t *worker_gpu_sample(const struct worker_gpu_opts *o, bool *is_error)
{
    struct errbuf eb = {0};
    char now[CLOCK_ISO_LEN];
    int64_t t0 = clock_mono_ms();
    clock_now_iso(now);
    json_t *s = json_pack("{s:n,s:s,s:[],s:[],s:[]}", "source", "driver", "absent", "gpus",
                          "processes", "containers");
    json_object_set_new(s, "sampled_at", json_string(now));
    *is_error = false;
    enum err e = take(o, s, &eb);
    if (e != ERR_OK) {
        *is_error = true;
        json_object_set_new(s, "driver", json_string("error"));
        json_object_set_new(s, "gpus", json_array());
        json_object_set_new(s, "processes", json_null());
        json_object_set_new(s, "reason", json_string(errbuf_get(&eb, e)));
    } else {
        worker_gpu_attribute(s, o->proc_root ? o->proc_root : "/proc", o->allow);
    }
    json_object_set_new(s, "sample_ms", json_integer(clock_mono_ms() - t0));
    return s;
}
