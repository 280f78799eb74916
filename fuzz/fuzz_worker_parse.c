/* SPDX-License-Identifier: MIT */
/* fuzz_worker_parse.c -- fuzz the worker's pure parsers: level detection, log timestamps,
 * nvidia-smi CSV (GPU and process rows), /proc cgroup and stat texts, and the UTF-8 repair and
 * binary probe of the line reader (what worker_utf8_fix leaves must be a string jansson takes, of
 * the same length). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "fuzz.h"
#include "worker/worker_int.h"

#define FUZZ_INPUT_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    const char *s = (const char *)data;
    enum worker_level level = worker_level_detect(s, size);
    if (!worker_level_name(level))
        abort();
    int64_t ms = 0;
    (void)worker_ts_parse(s, size, 2026, &ms);
    json_t *gpus = NULL;
    struct errbuf eb = {{0}};
    if (worker_nvidia_parse(WORKER_GPU_QUERY, s, size, &gpus, &eb) == ERR_OK) {
        if (!json_is_array(gpus) || json_array_size(gpus) > WORKER_GPU_MAX)
            abort();
    } else if (gpus) {
        abort();
    }
    json_decref(gpus);
    json_t *procs = NULL;
    if (worker_nvidia_apps_parse(s, size, &procs, &eb) == ERR_OK) {
        if (!json_is_array(procs) || json_array_size(procs) > WORKER_GPU_PROCS_MAX)
            abort();
    } else if (procs) {
        abort();
    }
    json_decref(procs);
    char id[65];
    const char *runtime = NULL;
    if (worker_cgroup_container(s, size, id, &runtime) != (runtime != NULL) ||
        (runtime && strlen(id) != 64) || (!runtime && id[0]))
        abort();
    uint64_t start = 0;
    (void)worker_proc_start_time(s, size, &start);
    (void)worker_is_binary(s, size);
    char *copy = xmalloc(size + 1);
    memcpy(copy, s, size);
    size_t bad = worker_utf8_fix(copy, size);
    json_t *str = json_stringn(copy, size);
    if (!str || bad > size || (bad == 0 && memcmp(copy, s, size) != 0))
        abort();
    json_decref(str);
    xfree(copy);
    return 0;
}
