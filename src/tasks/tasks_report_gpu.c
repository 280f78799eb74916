/* SPDX-License-Identifier: MIT */
/* tasks_report_gpu.c -- the gpu_report section of the run report (Markdown): the GPUs,
 * the alerts, VRAM per container, and the capacity plan, from the job summary. */
#include <string.h>

#include "core/buf.h"
#include "core/jsonx.h"
#include "tasks/tasks_int.h"

/* Append "| v1 | v2 | ... |" for the keys of o. */
static void row(struct buf *b, const json_t *o, const char *const *keys)
{
    for (size_t c = 0; keys[c]; c++) {
        buf_puts(b, "| ");
        tasks_md_value(b, json_object_get(o, keys[c]));
        buf_puts(b, " ");
    }
    buf_puts(b, "|\n");
}

static void gpus(struct buf *b, const json_t *list)
{
    static const char *const cols[] = {"index",
                                       "name",
                                       "memory_used_mib",
                                       "memory_total_mib",
                                       "utilization_gpu_pct",
                                       "temperature_c",
                                       "temperature_margin_c",
                                       "power_draw_w",
                                       "power_limit_w",
                                       "mig_mode",
                                       NULL};
    size_t i;
    const json_t *g;
    if (json_array_size(list) == 0)
        return;
    buf_puts(b, "\n| GPU | name | memory used (MiB) | memory total (MiB) | utilisation (%) | "
                "temperature (C) | margin to slowdown (C) | power (W) | power limit (W) | MIG |\n"
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
    json_array_foreach(list, i, g) row(b, g, cols);
}

static void alerts(struct buf *b, const json_t *list)
{
    size_t i;
    const json_t *a;
    if (!json_is_array(list))
        return;
    buf_puts(b, "\n### Alerts (directive D2 thresholds)\n\n");
    if (json_array_size(list) == 0)
        buf_puts(b, "None.\n");
    json_array_foreach(list, i, a)
    {
        buf_puts(b, "- **");
        tasks_md_value(b, json_object_get(a, "severity"));
        buf_puts(b, "** ");
        tasks_md_value(b, json_object_get(a, "message"));
        buf_puts(b, "\n");
    }
}

static void containers(struct buf *b, const json_t *s)
{
    static const char *const cols[] = {"gpu_uuid",  "container",           "used_memory_mib",
                                       "processes", "utilization_gpu_pct", "utilization_estimated",
                                       NULL};
    const json_t *list = json_object_get(s, "containers");
    size_t i;
    const json_t *c;
    buf_puts(b, "\n### VRAM per container\n\n");
    if (json_is_null(json_object_get(s, "processes")) || jsonx_get_str(s, "processes_reason")) {
        buf_puts(b, "Processes unknown: ");
        tasks_md_value(b, json_object_get(s, "processes_reason"));
        buf_puts(b, "\n");
        return;
    }
    if (json_array_size(list) == 0) {
        buf_puts(b, "No GPU processes.\n");
        return;
    }
    buf_puts(b, "| GPU | container | VRAM (MiB) | processes | utilisation (%) | estimated |\n"
                "|---|---|---:|---:|---:|---|\n");
    json_array_foreach(list, i, c) row(b, c, cols);
    if (jsonx_get_str(s, "containers_reason")) {
        buf_puts(b, "\n");
        tasks_md_value(b, json_object_get(s, "containers_reason"));
        buf_puts(b, "\n");
    }
}

/* A JSON array of GPU indexes as "0, 1" or "none". */
static void indexes(struct buf *b, const json_t *list)
{
    size_t i;
    const json_t *v;
    if (json_array_size(list) == 0)
        buf_puts(b, "none");
    json_array_foreach(list, i, v)
        buf_printf(b, "%s%lld", i ? ", " : "", (long long)json_integer_value(v));
}

static void planning(struct buf *b, const json_t *p)
{
    static const char *const cols[] = {
        "index", "memory_total_mib", "peak_used_mib", "headroom_mib", "free_now_mib", "samples",
        NULL};
    size_t i;
    const json_t *r;
    if (!json_is_object(p))
        return;
    buf_printf(b,
               "\n### Capacity (last %lld hours)\n\n| GPU | total (MiB) | peak used (MiB) | "
               "headroom (MiB) | free now (MiB) | samples |\n|---|---:|---:|---:|---:|---:|\n",
               (long long)json_integer_value(json_object_get(p, "window_hours")));
    json_array_foreach(json_object_get(p, "gpus"), i, r) row(b, r, cols);
    buf_puts(b,
             "\n| model (Q4_K_M) | needs (MiB) | fits within headroom on GPU | fits now on GPU |\n"
             "|---|---:|---|---|\n");
    json_array_foreach(json_object_get(p, "models"), i, r)
    {
        buf_puts(b, "| ");
        tasks_md_value(b, json_object_get(r, "model"));
        buf_printf(b, " | %lld | ",
                   (long long)json_integer_value(json_object_get(r, "footprint_mib")));
        indexes(b, json_object_get(r, "fits_on"));
        buf_puts(b, " | ");
        indexes(b, json_object_get(r, "fits_now_on"));
        buf_puts(b, " |\n");
    }
    buf_puts(b, "\nAssumptions: ");
    tasks_md_value(b, json_object_get(p, "assumptions"));
    buf_puts(b, ".\n");
    json_array_foreach(json_object_get(p, "images"), i, r)
    {
        buf_puts(b, i ? "" : "\nGPU worker images:\n\n");
        buf_puts(b, "- ");
        tasks_md_value(b, json_object_get(r, "image"));
        buf_puts(b, " (min VRAM ");
        tasks_md_value(b, json_object_get(r, "min_vram_mb"));
        buf_puts(b, " MiB): ");
        if (json_is_integer(json_object_get(r, "gpu_index"))) {
            buf_printf(b, "GPU %lld now",
                       (long long)json_integer_value(json_object_get(r, "gpu_index")));
        } else {
            tasks_md_value(b, json_object_get(r, "reason"));
        }
        buf_puts(b, "\n");
    }
}

void tasks_report_gpu_md(struct buf *b, const json_t *s)
{
    buf_puts(b, "\n- NVIDIA driver: ");
    tasks_md_value(b, json_object_get(s, "driver"));
    buf_puts(b, ", source: ");
    tasks_md_value(b, json_object_get(s, "source"));
    buf_puts(b, "\n");
    gpus(b, json_object_get(s, "gpus"));
    if (json_array_size(json_object_get(s, "gpus")) == 0)
        return;
    alerts(b, json_object_get(s, "alerts"));
    containers(b, s);
    planning(b, json_object_get(s, "planning"));
}
