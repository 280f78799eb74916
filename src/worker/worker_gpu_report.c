/* SPDX-License-Identifier: MIT */
/* worker_gpu_report.c -- task gpu_report: one GPU sample (worker_gpu_sample) with each
 * process's container.
 *
 * job.json may carry "containers" ([{"container_id","name"}]: the allowlisted ones, the
 * only ones named), "proc_root" (where the host's /proc is mounted: /host/proc in a GPU
 * worker container, /proc for the process runtime) and config.nvidia_smi_timeout_ms. No
 * driver is a success that says so; a driver that answers with an error is a failure with
 * its reason. Thresholds, history and planning are the orchestrator's (tasks_gpu.c). */
#include <string.h>

#include "core/jsonx.h"
#include "worker/worker.h"
#include "worker/worker_int.h"

#define TIMEOUT_MIN_MS 100
#define TIMEOUT_MAX_MS 60000

json_t *worker_gpu_report(const json_t *job)
{
    const json_t *cfg = json_object_get(job, "config");
    json_int_t t = json_integer_value(json_object_get(cfg, "nvidia_smi_timeout_ms"));
    struct worker_gpu_opts o = {
        .source = "auto",
        .timeout_ms = t >= TIMEOUT_MIN_MS && t <= TIMEOUT_MAX_MS ? t : 0,
        .proc_root = jsonx_get_str(job, "proc_root"),
        .allow = json_object_get(job, "containers"),
    };
    bool is_error = false;
    worker_progress(20, "sampling the GPUs");
    json_t *s = worker_gpu_sample(&o, &is_error);
    if (is_error) {
        json_t *r = worker_result_failed("gpu_report", jsonx_get_str(s, "reason"));
        json_object_set_new(r, "sample", s);
        return r;
    }
    json_object_set_new(s, "task", json_string("gpu_report"));
    json_object_set_new(s, "status", json_string("success"));
    json_object_set_new(s, "gpu_count",
                        json_integer((json_int_t)json_array_size(json_object_get(s, "gpus"))));
    const char *reason = jsonx_get_str(s, "reason");
    if (reason)
        json_object_set_new(s, "message", json_string(reason));
    return s;
}
