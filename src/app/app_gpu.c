/* SPDX-License-Identifier: MIT */
/* app_gpu.c -- `cyberbrain gpu-sample`: one GPU sample of this machine, as text or JSON.
 *
 * Exit 0 with a sample (also with no driver: "gpus": [] and a reason), 1 when the driver
 * answered with an error (timeout, version mismatch, malformed output; the reason is
 * printed), 2 on bad arguments. Containers are not named here (no allowlist is read):
 * their processes count as "other". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "worker/worker.h"

static void print_value(const json_t *v, const char *unit)
{
    if (json_is_integer(v))
        printf("%lld%s", (long long)json_integer_value(v), unit);
    else if (json_is_real(v))
        printf("%.1f%s", json_real_value(v), unit);
    else if (json_is_string(v))
        printf("%s", json_string_value(v));
    else
        printf("n/a");
}

static void print_gpu(const json_t *g)
{
    static const struct {
        const char *key, *label, *unit;
    } rows[] = {
        {"memory_used_mib", "memory used", " MiB"},
        {"memory_total_mib", "memory total", " MiB"},
        {"utilization_gpu_pct", "utilisation", " %"},
        {"temperature_c", "temperature", " C"},
        {"temperature_margin_c", "margin to slowdown", " C"},
        {"power_draw_w", "power draw", " W"},
        {"power_limit_w", "power limit", " W"},
        {"fan_speed_pct", "fan", " %"},
        {"mig_mode", "MIG", ""},
    };
    printf("GPU ");
    print_value(json_object_get(g, "index"), "");
    printf(": ");
    print_value(json_object_get(g, "name"), "");
    printf(" (driver ");
    print_value(json_object_get(g, "driver_version"), "");
    printf(")\n");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        printf("  %-20s ", rows[i].label);
        print_value(json_object_get(g, rows[i].key), rows[i].unit);
        printf("\n");
    }
}

static void print_text(const json_t *s)
{
    size_t i;
    const json_t *g;
    const char *src = jsonx_get_str(s, "source");
    printf("source: %s\n", src ? src : "none");
    if (jsonx_get_str(s, "reason"))
        printf("reason: %s\n", jsonx_get_str(s, "reason"));
    json_array_foreach(json_object_get(s, "gpus"), i, g) print_gpu(g);
    const json_t *procs = json_object_get(s, "processes");
    if (!json_is_array(procs)) {
        const char *why = jsonx_get_str(s, "processes_reason");
        printf("processes: unknown (%s)\n", why ? why : "not read");
        return;
    }
    printf("processes: %zu\n", json_array_size(procs));
    json_array_foreach(procs, i, g)
    {
        printf("  pid %lld on %s: ", (long long)json_integer_value(json_object_get(g, "pid")),
               jsonx_get_str(g, "gpu_uuid") ? jsonx_get_str(g, "gpu_uuid") : "?");
        print_value(json_object_get(g, "used_memory_mib"), " MiB");
        printf(" (%s)\n", jsonx_get_str(g, "container") ? jsonx_get_str(g, "container") : "?");
    }
}

/* A timeout of 1..600000 ms. */
static bool ms_arg(const char *v, int64_t *out)
{
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    if (!end || *end || n < 1 || n > 600000)
        return false;
    *out = n;
    return true;
}

static int usage_error(const char *msg)
{
    fprintf(stderr,
            "cyberbrain gpu-sample: %s\nusage: cyberbrain gpu-sample [--format text|json] "
            "[--source auto|nvml|nvidia-smi] [--timeout-ms N] [--proc-root DIR]\n",
            msg);
    return 2;
}

int app_cmd_gpu_sample(struct config *cfg, int argc, char **argv)
{
    (void)cfg;
    struct worker_gpu_opts o = {.source = "auto"};
    bool is_json = false, is_error = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage_error("unknown or incomplete argument");
        if (strcmp(a, "--format") == 0 && (strcmp(v, "json") == 0 || strcmp(v, "text") == 0))
            is_json = strcmp(v, "json") == 0;
        else if (strcmp(a, "--source") == 0)
            o.source = v;
        else if (strcmp(a, "--proc-root") == 0)
            o.proc_root = v;
        else if (strcmp(a, "--timeout-ms") == 0 && ms_arg(v, &o.timeout_ms))
            ;
        else
            return usage_error("unknown or incomplete argument");
        i++;
    }
    if (strcmp(o.source, "auto") && strcmp(o.source, "nvml") && strcmp(o.source, "nvidia-smi"))
        return usage_error("--source must be auto, nvml or nvidia-smi");
    json_t *s = worker_gpu_sample(&o, &is_error);
    if (is_json) {
        char *text = json_dumps(s, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", text);
        xfree(text);
    } else {
        print_text(s);
    }
    if (is_error)
        fprintf(stderr, "cyberbrain gpu-sample: %s\n", jsonx_get_str(s, "reason"));
    json_decref(s);
    return is_error ? 1 : 0;
}
