/* SPDX-License-Identifier: MIT */
/* worker_gpu_report.c -- task gpu_report, first version: one nvidia-smi query per GPU.
 *
 * nvidia-smi is looked up on PATH and run with fork/exec (no shell), stdout captured up to
 * NVIDIA_OUT_MAX, killed after NVIDIA_TIMEOUT_MS. No nvidia-smi means no NVIDIA driver:
 * the task still succeeds and says so. Per-container figures come later. */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/proc.h"
#include "core/xalloc.h"
#include "worker/worker_int.h"

#define NVIDIA_OUT_MAX    (256 * 1024)
#define NVIDIA_TIMEOUT_MS 10000

json_t *worker_gpu_report(const json_t *job)
{
    (void)job;
    struct errbuf eb = {0};
    struct buf out;
    json_t *gpus = NULL, *result = NULL;
    int status = 0;
    char *bin = proc_find_on_path("nvidia-smi");
    if (!bin)
        return json_pack("{s:s,s:s,s:s,s:[],s:s}", "task", "gpu_report", "status", "success",
                         "driver", "absent", "gpus", "message",
                         "no NVIDIA driver found (nvidia-smi not on PATH)");
    buf_init(&out, NVIDIA_OUT_MAX);
    worker_progress(20, "querying nvidia-smi");
    char *argv[] = {bin,
                    "--query-gpu=index,name,memory.used,memory.total,utilization.gpu,"
                    "temperature.gpu,power.draw",
                    "--format=csv,noheader,nounits", NULL};
    enum err e = proc_run_capture(argv, NULL, NVIDIA_TIMEOUT_MS, &out, &status, &eb);
    if (e == ERR_OK && status != 0)
        e = errbuf_set(&eb, ERR_UNAVAILABLE, "nvidia-smi exited with status %d", status);
    if (e == ERR_OK)
        e = worker_nvidia_parse(buf_str(&out), buf_len(&out), &gpus, &eb);
    if (e != ERR_OK) {
        result = worker_result_failed("gpu_report", errbuf_get(&eb, e));
        goto out;
    }
    result = json_pack("{s:s,s:s,s:s,s:o,s:I}", "task", "gpu_report", "status", "success", "driver",
                       "present", "gpus", gpus, "gpu_count", (json_int_t)json_array_size(gpus));
out:
    buf_fini(&out);
    xfree(bin);
    return result;
}
