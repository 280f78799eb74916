/* SPDX-License-Identifier: MIT */
/* tasks_gpu.c -- what the orchestrator adds to a gpu_report result: alerts from directive
 * D2's thresholds, and capacity planning (headroom over a window of the stored history,
 * which common local models fit where, and where each GPU worker image could go now).
 *
 * tasks_gpu_alerts and tasks_gpu_plan are pure (JSON in, JSON out); tasks_gpu_enrich reads
 * the store. Unknown values (null) never raise an alert and never count as free memory. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "tasks/tasks_int.h"

#define WINDOW_HOURS_DEFAULT 168
#define WINDOW_HOURS_MAX     (24 * 366)
#define IMAGES_MAX           200

/* The D2 thresholds: config key, default, alert kind, severity. */
static const struct {
    const char *key;
    double def;
    const char *kind, *severity;
} limits[] = {
    {"vram_used_pct_warn", 85, "vram", "warning"},
    {"temp_c_warn", 80, "temperature", "warning"},
    {"temp_margin_c_warn", 10, "slowdown_margin", "warning"},
    {"power_pct_warn", 90, "power", "warning"},
    {"util_pct_warn", 95, "utilization", "info"},
};
#define N_LIMITS (sizeof(limits) / sizeof(limits[0]))

/* The common local models of the "what fits" table (quantised Q4_K_M). */
static const struct {
    const char *name;
    int params_b;
} models[] = {{"7B", 7}, {"8B", 8}, {"13B", 13}, {"34B", 34}, {"70B", 70}};

int64_t tasks_gpu_model_footprint_mib(int params_b)
{
    /* Q4_K_M weights: about 0.6 GB (572 MiB) per billion parameters; plus a 4096-token
     * KV cache, the CUDA context and compute buffers: 1 GiB + 20 MiB per billion. */
    return (int64_t)params_b * (TASKS_GPU_WEIGHTS_MIB_PER_B + TASKS_GPU_KV_MIB_PER_B) +
           TASKS_GPU_OVERHEAD_MIB;
}

/* threshold i from cfg (a number in 0..1000), else its default. */
static double limit_of(const json_t *cfg, size_t i)
{
    const json_t *v = json_object_get(cfg, limits[i].key);
    double d = json_is_number(v) ? json_number_value(v) : -1;
    return d >= 0 && d <= 1000 ? d : limits[i].def;
}

/* g's value for threshold i (a percentage or degrees), or NAN when unknown. */
static double measure(const json_t *g, size_t i)
{
    const json_t *a = NULL, *b = NULL;
    switch (i) {
    case 0:
        a = json_object_get(g, "memory_used_mib");
        b = json_object_get(g, "memory_total_mib");
        break;
    case 1:
        a = json_object_get(g, "temperature_c");
        break;
    case 2:
        a = json_object_get(g, "temperature_margin_c");
        break;
    case 3:
        a = json_object_get(g, "power_draw_w");
        b = json_object_get(g, "power_limit_w");
        break;
    default:
        a = json_object_get(g, "utilization_gpu_pct");
    }
    if (!json_is_number(a) || (b && (!json_is_number(b) || json_number_value(b) <= 0)))
        return NAN;
    return b ? 100.0 * json_number_value(a) / json_number_value(b) : json_number_value(a);
}

static json_t *alert(const json_t *g, size_t i, double v, double lim)
{
    static const char *const what[] = {"VRAM used", "temperature", "margin to slowdown",
                                       "power draw of limit", "utilisation"};
    static const char *const unit[] = {"%", " C", " C", "%", "%"};
    char msg[160];
    json_int_t idx = json_integer_value(json_object_get(g, "index"));
    snprintf(msg, sizeof(msg), "GPU %lld: %s %.0f%s (threshold %.0f%s)", (long long)idx, what[i], v,
             unit[i], lim, unit[i]);
    return json_pack("{s:I,s:O?,s:s,s:s,s:f,s:f,s:s}", "gpu_index", idx, "gpu_uuid",
                     json_object_get(g, "uuid"), "kind", limits[i].kind, "severity",
                     limits[i].severity, "value", round(v * 10) / 10, "threshold", lim, "message",
                     msg);
}

json_t *tasks_gpu_alerts(const json_t *gpus, const json_t *cfg)
{
    json_t *out = json_array();
    size_t n;
    const json_t *g;
    json_array_foreach(gpus, n, g)
    {
        for (size_t i = 0; i < N_LIMITS; i++) {
            double v = measure(g, i), lim = limit_of(cfg, i);
            /* The margin alerts when it is small; every other figure when it is large. */
            bool hit = !isnan(v) && (i == 2 ? v <= lim : v >= lim);
            if (hit)
                json_array_append_new(out, alert(g, i, v, lim));
        }
    }
    return out;
}

/* The peak row of uuid in peaks, or NULL. */
static const json_t *peak_of(const json_t *peaks, const char *uuid)
{
    size_t i;
    const json_t *p;
    json_array_foreach(peaks, i, p)
    {
        const char *u = jsonx_get_str(p, "gpu_uuid");
        if (uuid && u && strcmp(u, uuid) == 0)
            return p;
    }
    return NULL;
}

/* Per GPU: now, the window's peak (the history's and this sample's), headroom, free now. */
static json_t *plan_gpus(const json_t *gpus, const json_t *peaks)
{
    json_t *out = json_array();
    size_t i;
    const json_t *g;
    json_array_foreach(gpus, i, g)
    {
        const json_t *tot = json_object_get(g, "memory_total_mib");
        const json_t *used = json_object_get(g, "memory_used_mib");
        const json_t *pk = peak_of(peaks, jsonx_get_str(g, "uuid"));
        const json_t *hist = json_object_get(pk, "peak_used_mib");
        json_t *row =
            json_pack("{s:O?,s:O?,s:O?,s:O?,s:O?,s:I}", "index", json_object_get(g, "index"),
                      "uuid", json_object_get(g, "uuid"), "name", json_object_get(g, "name"),
                      "memory_total_mib", tot, "memory_used_mib", used, "samples",
                      json_integer_value(json_object_get(pk, "samples")) + 1);
        json_int_t peak = json_integer_value(used);
        if (json_is_integer(hist) && json_integer_value(hist) > peak)
            peak = json_integer_value(hist);
        bool known = json_is_integer(tot) && (json_is_integer(used) || json_is_integer(hist));
        json_object_set_new(row, "peak_used_mib", known ? json_integer(peak) : json_null());
        json_object_set_new(row, "headroom_mib",
                            known ? json_integer(json_integer_value(tot) - peak) : json_null());
        json_object_set_new(row, "free_now_mib",
                            json_is_integer(tot) && json_is_integer(used)
                                ? json_integer(json_integer_value(tot) - json_integer_value(used))
                                : json_null());
        json_array_append_new(out, row);
    }
    return out;
}

/* The indexes of the GPUs whose key (headroom_mib / free_now_mib) is at least need. */
static json_t *fitting(const json_t *pg, const char *key, int64_t need)
{
    json_t *out = json_array();
    size_t i;
    const json_t *g;
    json_array_foreach(pg, i, g)
    {
        const json_t *v = json_object_get(g, key);
        if (json_is_integer(v) && json_integer_value(v) >= need)
            json_array_append(out, json_object_get(g, "index"));
    }
    return out;
}

static json_t *plan_models(const json_t *pg)
{
    json_t *out = json_array();
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        int64_t need = tasks_gpu_model_footprint_mib(models[i].params_b);
        json_array_append_new(out, json_pack("{s:s,s:i,s:s,s:I,s:o,s:o}", "model", models[i].name,
                                             "params_b", models[i].params_b, "quantization",
                                             "Q4_K_M", "footprint_mib", (json_int_t)need, "fits_on",
                                             fitting(pg, "headroom_mib", need), "fits_now_on",
                                             fitting(pg, "free_now_mib", need)));
    }
    return out;
}

/* For each active GPU image: the GPU with the most free memory now that has its
 * min_vram_mb (any GPU when it sets none), or null with a reason. */
static json_t *plan_images(const json_t *pg, const json_t *images)
{
    json_t *out = json_array();
    size_t i, j;
    const json_t *im, *g;
    json_array_foreach(images, i, im)
    {
        if (!json_is_true(json_object_get(im, "requires_gpu")) ||
            json_is_false(json_object_get(im, "is_active")))
            continue;
        const json_t *minv = json_object_get(im, "min_vram_mb");
        int64_t need = json_is_integer(minv) ? json_integer_value(minv) : 0;
        const json_t *best = NULL;
        json_array_foreach(pg, j, g)
        {
            const json_t *f = json_object_get(g, "free_now_mib");
            if (json_is_integer(f) && json_integer_value(f) >= need &&
                (!best ||
                 json_integer_value(f) > json_integer_value(json_object_get(best, "free_now_mib"))))
                best = g;
        }
        char ref[300];
        snprintf(ref, sizeof(ref), "%s:%s", jsonx_get_str(im, "image_name"),
                 jsonx_get_str(im, "image_tag") ? jsonx_get_str(im, "image_tag") : "latest");
        json_t *row =
            json_pack("{s:s,s:O?,s:O?}", "image", ref, "min_vram_mb", minv ? minv : json_null(),
                      "gpu_index", best ? json_object_get(best, "index") : json_null());
        json_object_set(row, "free_now_mib",
                        best ? json_object_get(best, "free_now_mib") : json_null());
        if (!best)
            json_object_set_new(row, "reason",
                                json_string(json_array_size(pg)
                                                ? "no GPU has that much free memory now"
                                                : "no GPU"));
        json_array_append_new(out, row);
    }
    return out;
}

json_t *
tasks_gpu_plan(const json_t *gpus, const json_t *peaks, const json_t *images, int64_t window_hours)
{
    json_t *pg = plan_gpus(gpus, peaks);
    return json_pack("{s:I,s:o,s:o,s:o,s:s}", "window_hours", (json_int_t)window_hours, "models",
                     plan_models(pg), "images", plan_images(pg, images), "gpus", pg, "assumptions",
                     TASKS_GPU_ASSUMPTIONS);
}

/* The planning window of cfg (planning_window_hours, 1..WINDOW_HOURS_MAX). */
static int64_t window_of(const json_t *cfg)
{
    const json_t *v = json_object_get(cfg, "planning_window_hours");
    json_int_t h = json_is_integer(v) ? json_integer_value(v) : 0;
    return h >= 1 && h <= WINDOW_HOURS_MAX ? h : WINDOW_HOURS_DEFAULT;
}

void tasks_gpu_enrich(struct tasks *t, const struct store_claim *c, json_t *r)
{
    struct errbuf eb = {{0}};
    json_t *snap = NULL, *peaks = NULL, *images = NULL;
    char since[CLOCK_ISO_LEN];
    int64_t n_images = 0;
    if (c->directive_snapshot)
        jsonx_parse(c->directive_snapshot, strlen(c->directive_snapshot), TASKS_RESULT_MAX, &snap,
                    NULL);
    json_t *cfg = store_snapshot_task_config(snap, "gpu_report");
    const json_t *gpus = json_object_get(r, "gpus");
    int64_t hours = window_of(cfg);
    clock_iso_from_ms(clock_now_ms() - hours * 3600 * 1000, since);
    if (store_gpu_peaks(t->opts.st, since, &peaks, &eb) != ERR_OK ||
        store_worker_image_list(t->opts.st, 0, IMAGES_MAX, &images, &n_images, &eb) != ERR_OK)
        log_warn("tasks", "event=gpu.plan_store_fail job_id=%lld", (long long)c->job_id);
    json_object_set_new(r, "alerts", tasks_gpu_alerts(gpus, cfg));
    json_object_set_new(r, "planning", tasks_gpu_plan(gpus, peaks, images, hours));
    json_decref(peaks);
    json_decref(images);
    json_decref(cfg);
    json_decref(snap);
}
