/* SPDX-License-Identifier: MIT */
/* test_tasks_gpu.c -- gpu_report's alerts (D2 thresholds) and capacity planning: pure JSON
 * in, JSON out. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "tasks/tasks_int.h"

static json_t *
gpu(int idx, int total, int used, int temp, int margin, double draw, double limit, int util)
{
    json_t *g =
        json_pack("{s:i,s:s,s:s}", "index", idx, "uuid", idx ? "GPU-b" : "GPU-a", "name", "test");
    json_object_set_new(g, "memory_total_mib", total >= 0 ? json_integer(total) : json_null());
    json_object_set_new(g, "memory_used_mib", used >= 0 ? json_integer(used) : json_null());
    json_object_set_new(g, "temperature_c", temp >= 0 ? json_integer(temp) : json_null());
    json_object_set_new(g, "temperature_margin_c",
                        margin >= 0 ? json_integer(margin) : json_null());
    json_object_set_new(g, "power_draw_w", draw >= 0 ? json_real(draw) : json_null());
    json_object_set_new(g, "power_limit_w", limit >= 0 ? json_real(limit) : json_null());
    json_object_set_new(g, "utilization_gpu_pct", util >= 0 ? json_integer(util) : json_null());
    return g;
}

static char *kinds(const json_t *alerts)
{
    static char out[256];
    size_t i;
    const json_t *a;
    out[0] = '\0';
    json_array_foreach(alerts, i, a)
    {
        strcat(out, jsonx_get_str(a, "kind"));
        strcat(out, ",");
    }
    return out;
}

START_TEST(test_alerts_defaults_and_unknowns)
{
    json_t *gpus = json_array(), *cfg = json_object();
    json_array_append_new(gpus, gpu(0, 1000, 900, 85, 5, 95, 100, 99)); /* everything over */
    json_array_append_new(gpus, gpu(1, 1000, 100, 40, 40, 10, 100, 5)); /* nothing over */
    json_array_append_new(gpus, gpu(2, -1, -1, -1, -1, -1, -1, -1));    /* all unknown */
    json_t *a = tasks_gpu_alerts(gpus, cfg);
    ck_assert_str_eq(kinds(a), "vram,temperature,slowdown_margin,power,utilization,");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(a, 0), "gpu_index")), 0);
    ck_assert_str_eq(jsonx_get_str(json_array_get(a, 4), "severity"), "info");
    ck_assert_str_eq(jsonx_get_str(json_array_get(a, 0), "message"),
                     "GPU 0: VRAM used 90% (threshold 85%)");
    json_decref(a);
    /* Thresholds from the directive; bad values fall back to the defaults. */
    json_object_set_new(cfg, "vram_used_pct_warn", json_integer(95));
    json_object_set_new(cfg, "temp_c_warn", json_string("hot"));
    json_object_set_new(cfg, "temp_margin_c_warn", json_integer(1));
    json_object_set_new(cfg, "power_pct_warn", json_integer(-5));
    json_object_set_new(cfg, "util_pct_warn", json_integer(100));
    a = tasks_gpu_alerts(gpus, cfg);
    ck_assert_str_eq(kinds(a), "temperature,power,");
    json_decref(a);
    /* A power limit of 0 is no limit to measure against. */
    json_t *z = json_array();
    json_array_append_new(z, gpu(0, 0, 0, 10, 50, 50, 0, 0));
    a = tasks_gpu_alerts(z, NULL);
    ck_assert_str_eq(kinds(a), "");
    json_decref(a);
    json_decref(z);
    json_decref(gpus);
    json_decref(cfg);
}
END_TEST

START_TEST(test_plan_headroom_models_images)
{
    json_t *gpus = json_array();
    json_array_append_new(gpus, gpu(0, 24576, 2000, 40, 40, 10, 100, 5)); /* 24 GiB */
    json_array_append_new(gpus, gpu(1, 8192, 7000, 40, 40, 10, 100, 5));  /* 8 GiB, busy */
    json_t *peaks =
        json_pack("[{s:s,s:i,s:i}]", "gpu_uuid", "GPU-a", "peak_used_mib", 10000, "samples", 4);
    json_t *images = json_pack(
        "[{s:s,s:s,s:b,s:i,s:b},{s:s,s:s,s:b,s:n,s:b},{s:s,s:s,s:b,s:i,s:b},{s:s,s:s,s:b,s:i,s:b}]",
        "image_name", "big", "image_tag", "1", "requires_gpu", 1, "min_vram_mb", 30000, "is_active",
        1, "image_name", "any", "image_tag", "1", "requires_gpu", 1, "min_vram_mb", "is_active", 1,
        "image_name", "cpu", "image_tag", "1", "requires_gpu", 0, "min_vram_mb", 1, "is_active", 1,
        "image_name", "off", "image_tag", "1", "requires_gpu", 1, "min_vram_mb", 1, "is_active", 0);
    json_t *p = tasks_gpu_plan(gpus, peaks, images, 24);
    ck_assert_int_eq(json_integer_value(json_object_get(p, "window_hours")), 24);
    const json_t *g0 = json_array_get(json_object_get(p, "gpus"), 0);
    const json_t *g1 = json_array_get(json_object_get(p, "gpus"), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(g0, "peak_used_mib")), 10000);
    ck_assert_int_eq(json_integer_value(json_object_get(g0, "headroom_mib")), 14576);
    ck_assert_int_eq(json_integer_value(json_object_get(g0, "free_now_mib")), 22576);
    ck_assert_int_eq(json_integer_value(json_object_get(g0, "samples")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(g1, "peak_used_mib")), 7000);
    const json_t *m;
    size_t i;
    json_array_foreach(json_object_get(p, "models"), i, m)
    {
        const char *name = jsonx_get_str(m, "model");
        int64_t need = json_integer_value(json_object_get(m, "footprint_mib"));
        size_t fits = json_array_size(json_object_get(m, "fits_on"));
        size_t now = json_array_size(json_object_get(m, "fits_now_on"));
        if (strcmp(name, "7B") == 0) {
            ck_assert_int_eq(need, 7 * 592 + 1024); /* 5168 MiB */
            ck_assert_uint_eq(fits, 1);             /* GPU 0 only: GPU 1 has 1192 free */
        } else if (strcmp(name, "13B") == 0) {
            ck_assert_int_eq(need, 13 * 592 + 1024); /* 8720: within 14576 headroom */
            ck_assert_uint_eq(fits, 1);
        } else if (strcmp(name, "34B") == 0) {
            ck_assert_uint_eq(fits, 0); /* 21152 > headroom 14576 (the peak) ... */
            ck_assert_uint_eq(now, 1);  /* ... but <= 22576 free right now */
        }
    }
    const json_t *im = json_object_get(p, "images");
    ck_assert_uint_eq(json_array_size(im), 2); /* GPU images that are active */
    ck_assert(json_is_null(json_object_get(json_array_get(im, 0), "gpu_index")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(im, 1), "gpu_index")), 0);
    ck_assert_str_eq(jsonx_get_str(p, "assumptions"), TASKS_GPU_ASSUMPTIONS);
    json_decref(p);
    /* No GPUs: nothing fits, no image has a place. */
    json_t *none = json_array();
    p = tasks_gpu_plan(none, NULL, images, 168);
    ck_assert_uint_eq(json_array_size(json_object_get(
                          json_array_get(json_object_get(p, "models"), 0), "fits_on")),
                      0);
    ck_assert_str_eq(jsonx_get_str(json_array_get(json_object_get(p, "images"), 0), "reason"),
                     "no GPU");
    json_decref(p);
    json_decref(none);
    json_decref(gpus);
    json_decref(peaks);
    json_decref(images);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("tasks_gpu");
    TCase *tc = tcase_create("plan");
    tcase_add_test(tc, test_alerts_defaults_and_unknowns);
    tcase_add_test(tc, test_plan_headroom_models_images);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
