/* SPDX-License-Identifier: MIT */
/* worker.h -- what runs inside a worker (container or child process).
 *
 * Contract: read <input>/job.json, do the task, write <output>/result.json atomically,
 * print one JSON progress line per step on stdout ({"progress":0..100,"message":...}).
 * Exit 0 when result.json was written (even for a task-level failure, which the
 * result says), non-zero when the worker itself failed. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* How to take a GPU sample. */
struct worker_gpu_opts {
    const char *source;    /* "auto" (NVML, else nvidia-smi), "nvml" or "nvidia-smi"; NULL: auto */
    int64_t timeout_ms;    /* per nvidia-smi call (<= 0: 5000) */
    const char *proc_root; /* the host's /proc as this process sees it (NULL: "/proc") */
    const json_t *allow;   /* allowlisted containers [{"container_id","name"}] or NULL */
    const char *nvml_lib;  /* NULL: "libnvidia-ml.so.1" */
};

/* Run `cyberbrain worker [--input DIR] [--output DIR]` (defaults /input, /output); returns the exit
 * code. */
int worker_main(int argc, char **argv);
/* Take one sample of this machine's GPUs: a new {"source","driver" (present, absent,
 * error),"gpus","processes" (null with "processes_reason" when unreadable),"containers",
 * "reason" (when there are no GPUs or it failed),"sampled_at","sample_ms"}. *is_error is
 * set when the driver answered with an error (timeout, mismatch, malformed output). */
json_t *worker_gpu_sample(const struct worker_gpu_opts *o, bool *is_error);
