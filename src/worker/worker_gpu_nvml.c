/* SPDX-License-Identifier: MIT */
/* worker_gpu_nvml.c -- a GPU sample through NVML, loaded with dlopen("libnvidia-ml.so.1")
 * so that no NVIDIA header or library is needed to build and no process is spawned.
 *
 * The few prototypes used are declared here as NVML's public API documents them (the _v2 /
 * _v3 entry points where they exist). An answer of NOT_SUPPORTED or any other error for a
 * value makes it null, never zero. The static worker binary (the FROM scratch image) is
 * built with CB_WORKER_STATIC: glibc's dlopen from a static binary cannot load the
 * driver's library safely, so there the CSV path is used. Not thread-safe (one sample at a
 * time per process). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/xalloc.h"
#include "worker/worker_int.h"

#ifdef CB_WORKER_STATIC

enum err worker_nvml_sample(
    const char *lib, json_t **gpus, json_t **procs, char **procs_reason, struct errbuf *eb)
{
    (void)lib;
    *gpus = *procs = NULL;
    *procs_reason = NULL;
    return errbuf_set(eb, ERR_NOT_FOUND, "NVML is not used by the static worker");
}

#else

#include <dlfcn.h>

typedef int nvml_ret;
typedef void *nvml_dev;
struct nvml_memory {
    unsigned long long total, free, used;
};
struct nvml_util {
    unsigned int gpu, memory;
};
struct nvml_proc { /* nvmlProcessInfo_t of the _v3 calls */
    unsigned int pid;
    unsigned long long used;
    unsigned int gpu_instance, compute_instance;
};
struct nvml_proc_util { /* nvmlProcessUtilizationSample_t */
    unsigned int pid;
    unsigned long long ts;
    unsigned int sm, mem, enc, dec;
};

#define NVML_SUCCESS           0
#define NVML_INSUFFICIENT_SIZE 7
#define NVML_NOT_AVAILABLE     (~0ULL)
#define NVML_TEMP_GPU          0
#define NVML_THRESH_SHUTDOWN   0
#define NVML_THRESH_SLOWDOWN   1
#define NVML_CLOCK_GRAPHICS    0
#define NVML_CLOCK_MEM         2
#define NVML_PROCS_MAX         256
#define NVML_STR               96

/* The entry points, resolved by name (table-driven so a missing one is just null). */
struct nvml {
    void *h;
    nvml_ret (*init)(void);
    nvml_ret (*shutdown)(void);
    const char *(*error_string)(nvml_ret);
    nvml_ret (*count)(unsigned int *);
    nvml_ret (*handle)(unsigned int, nvml_dev *);
    nvml_ret (*uuid)(nvml_dev, char *, unsigned int);
    nvml_ret (*name)(nvml_dev, char *, unsigned int);
    nvml_ret (*driver)(char *, unsigned int);
    nvml_ret (*memory)(nvml_dev, struct nvml_memory *);
    nvml_ret (*util)(nvml_dev, struct nvml_util *);
    nvml_ret (*temp)(nvml_dev, int, unsigned int *);
    nvml_ret (*thresh)(nvml_dev, int, unsigned int *);
    nvml_ret (*power)(nvml_dev, unsigned int *);
    nvml_ret (*power_limit)(nvml_dev, unsigned int *);
    nvml_ret (*fan)(nvml_dev, unsigned int *);
    nvml_ret (*clock)(nvml_dev, int, unsigned int *);
    nvml_ret (*mig)(nvml_dev, unsigned int *, unsigned int *);
    nvml_ret (*index)(nvml_dev, unsigned int *);
    nvml_ret (*compute)(nvml_dev, unsigned int *, struct nvml_proc *);
    nvml_ret (*graphics)(nvml_dev, unsigned int *, struct nvml_proc *);
    nvml_ret (*proc_util)(nvml_dev, struct nvml_proc_util *, unsigned int *, unsigned long long);
};

static const struct {
    const char *sym;
    size_t off;
    bool is_required;
} syms[] = {
#define S(f, name, req)                     \
    {                                       \
        name, offsetof(struct nvml, f), req \
    }
    S(init, "nvmlInit_v2", true),
    S(shutdown, "nvmlShutdown", true),
    S(error_string, "nvmlErrorString", false),
    S(count, "nvmlDeviceGetCount_v2", true),
    S(handle, "nvmlDeviceGetHandleByIndex_v2", true),
    S(uuid, "nvmlDeviceGetUUID", false),
    S(name, "nvmlDeviceGetName", false),
    S(driver, "nvmlSystemGetDriverVersion", false),
    S(memory, "nvmlDeviceGetMemoryInfo", false),
    S(util, "nvmlDeviceGetUtilizationRates", false),
    S(temp, "nvmlDeviceGetTemperature", false),
    S(thresh, "nvmlDeviceGetTemperatureThreshold", false),
    S(power, "nvmlDeviceGetPowerUsage", false),
    S(power_limit, "nvmlDeviceGetEnforcedPowerLimit", false),
    S(fan, "nvmlDeviceGetFanSpeed", false),
    S(clock, "nvmlDeviceGetClockInfo", false),
    S(mig, "nvmlDeviceGetMigMode", false),
    S(index, "nvmlDeviceGetIndex", false),
    S(compute, "nvmlDeviceGetComputeRunningProcesses_v3", false),
    S(graphics, "nvmlDeviceGetGraphicsRunningProcesses_v3", false),
    S(proc_util, "nvmlDeviceGetProcessUtilization", false),
#undef S
};

static bool load(struct nvml *n, const char *lib)
{
    memset(n, 0, sizeof(*n));
    n->h = dlopen(lib ? lib : "libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!n->h)
        return false;
    for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
        void *f = dlsym(n->h, syms[i].sym);
        if (!f && syms[i].is_required) {
            dlclose(n->h);
            n->h = NULL;
            return false;
        }
        memcpy((char *)n + syms[i].off, &f, sizeof(f));
    }
    return true;
}

static json_t *uint_or_null(nvml_ret r, unsigned int v)
{
    return r == NVML_SUCCESS ? json_integer(v) : json_null();
}

/* An unsigned value from getter f(dev, &v), or null. */
#define NV_UINT(f, dev) \
    (n->f ? (n->f(dev, &u) == NVML_SUCCESS ? json_integer(u) : json_null()) : json_null())

static json_t *str_of(nvml_ret (*f)(nvml_dev, char *, unsigned int), nvml_dev d)
{
    char buf[NVML_STR] = {0};
    if (!f || f(d, buf, sizeof(buf)) != NVML_SUCCESS)
        return json_null();
    buf[sizeof(buf) - 1] = '\0';
    return json_string(buf);
}

/* The temperature fields of g. */
static void temps(const struct nvml *n, nvml_dev d, json_t *g)
{
    unsigned int t = 0, slow = 0, shut = 0;
    nvml_ret rt = n->temp ? n->temp(d, NVML_TEMP_GPU, &t) : -1;
    nvml_ret rs = n->thresh ? n->thresh(d, NVML_THRESH_SLOWDOWN, &slow) : -1;
    nvml_ret rh = n->thresh ? n->thresh(d, NVML_THRESH_SHUTDOWN, &shut) : -1;
    json_object_set_new(g, "temperature_c", uint_or_null(rt, t));
    json_object_set_new(g, "temperature_slowdown_c", uint_or_null(rs, slow));
    json_object_set_new(g, "temperature_shutdown_c", uint_or_null(rh, shut));
    json_object_set_new(g, "temperature_margin_c",
                        rt == NVML_SUCCESS && rs == NVML_SUCCESS
                            ? json_integer((json_int_t)slow - t)
                            : json_null());
}

static json_t *gpu(const struct nvml *n, unsigned int i, nvml_dev d, const char *driver)
{
    struct nvml_memory m;
    struct nvml_util ut;
    unsigned int u = 0, mw = 0, lim = 0, cur = 0, pend = 0;
    json_t *g = json_pack("{s:I,s:o,s:o,s:s}", "index", (json_int_t)i, "uuid", str_of(n->uuid, d),
                          "name", str_of(n->name, d), "driver_version", driver);
    if (n->index && n->index(d, &u) == NVML_SUCCESS)
        json_object_set_new(g, "index", json_integer(u));
    bool has_m = n->memory && n->memory(d, &m) == NVML_SUCCESS;
    json_object_set_new(g, "memory_total_mib",
                        has_m ? json_integer((json_int_t)(m.total >> 20)) : json_null());
    json_object_set_new(g, "memory_used_mib",
                        has_m ? json_integer((json_int_t)(m.used >> 20)) : json_null());
    bool has_u = n->util && n->util(d, &ut) == NVML_SUCCESS;
    json_object_set_new(g, "utilization_gpu_pct", has_u ? json_integer(ut.gpu) : json_null());
    json_object_set_new(g, "utilization_memory_pct", has_u ? json_integer(ut.memory) : json_null());
    temps(n, d, g);
    bool has_p = n->power && n->power(d, &mw) == NVML_SUCCESS;
    bool has_l = n->power_limit && n->power_limit(d, &lim) == NVML_SUCCESS;
    json_object_set_new(g, "power_draw_w", has_p ? json_real(mw / 1000.0) : json_null());
    json_object_set_new(g, "power_limit_w", has_l ? json_real(lim / 1000.0) : json_null());
    json_object_set_new(g, "fan_speed_pct", NV_UINT(fan, d));
    nvml_ret rc = n->clock ? n->clock(d, NVML_CLOCK_GRAPHICS, &u) : -1;
    json_object_set_new(g, "clock_graphics_mhz", uint_or_null(rc, u));
    rc = n->clock ? n->clock(d, NVML_CLOCK_MEM, &u) : -1;
    json_object_set_new(g, "clock_memory_mhz", uint_or_null(rc, u));
    rc = n->mig ? n->mig(d, &cur, &pend) : -1;
    json_object_set_new(g, "mig_mode",
                        rc == NVML_SUCCESS ? json_string(cur ? "enabled" : "disabled")
                                           : json_null());
    return g;
}

/* Append the processes f lists on d to procs (skipping pids already there); false when
 * the call failed. */
static bool add_procs(nvml_ret (*f)(nvml_dev, unsigned int *, struct nvml_proc *),
                      nvml_dev d,
                      const json_t *g,
                      json_t *procs)
{
    struct nvml_proc p[NVML_PROCS_MAX];
    unsigned int cnt = NVML_PROCS_MAX;
    if (!f)
        return true;
    if (f(d, &cnt, p) != NVML_SUCCESS)
        return false;
    for (unsigned int i = 0; i < cnt && i < NVML_PROCS_MAX; i++) {
        size_t j;
        json_t *q;
        bool is_dup = false;
        json_array_foreach(procs, j, q) is_dup |=
            json_integer_value(json_object_get(q, "pid")) == p[i].pid &&
            json_equal(json_object_get(q, "gpu_uuid"), json_object_get(g, "uuid"));
        if (is_dup)
            continue;
        json_t *o = json_pack("{s:I,s:O}", "pid", (json_int_t)p[i].pid, "gpu_uuid",
                              json_object_get(g, "uuid"));
        json_object_set_new(o, "used_memory_mib",
                            p[i].used == NVML_NOT_AVAILABLE
                                ? json_null()
                                : json_integer((json_int_t)(p[i].used >> 20)));
        json_array_append_new(procs, o);
    }
    return true;
}

/* Per-process SM utilisation on d (when the driver keeps it) onto procs of that GPU. */
static void proc_util(const struct nvml *n, nvml_dev d, const json_t *g, json_t *procs)
{
    struct nvml_proc_util s[NVML_PROCS_MAX];
    unsigned int cnt = NVML_PROCS_MAX;
    if (!n->proc_util || n->proc_util(d, s, &cnt, 0) != NVML_SUCCESS)
        return;
    for (unsigned int i = 0; i < cnt && i < NVML_PROCS_MAX; i++) {
        size_t j;
        json_t *q;
        json_array_foreach(procs, j, q)
        {
            if (json_integer_value(json_object_get(q, "pid")) == s[i].pid &&
                json_equal(json_object_get(q, "gpu_uuid"), json_object_get(g, "uuid")))
                json_object_set_new(q, "utilization_sm_pct", json_integer(s[i].sm));
        }
    }
}

static const char *why(const struct nvml *n, nvml_ret r)
{
    const char *s = n->error_string ? n->error_string(r) : NULL;
    return s ? s : "unknown error";
}

enum err worker_nvml_sample(
    const char *lib, json_t **gpus, json_t **procs, char **procs_reason, struct errbuf *eb)
{
    struct nvml n;
    unsigned int count = 0;
    char driver[NVML_STR] = "";
    *gpus = *procs = NULL;
    *procs_reason = NULL;
    if (!load(&n, lib))
        return errbuf_set(eb, ERR_NOT_FOUND, "libnvidia-ml.so.1 is not available");
    nvml_ret r = n.init();
    if (r != NVML_SUCCESS) {
        enum err e =
            errbuf_set(eb, ERR_UNAVAILABLE, "Failed to initialize NVML: %s (%d)", why(&n, r), r);
        dlclose(n.h);
        return e;
    }
    enum err e = ERR_OK;
    r = n.count(&count);
    if (r != NVML_SUCCESS) {
        e = errbuf_set(eb, ERR_UNAVAILABLE, "NVML cannot count the GPUs: %s", why(&n, r));
        goto out;
    }
    if (n.driver)
        n.driver(driver, sizeof(driver));
    driver[sizeof(driver) - 1] = '\0';
    *gpus = json_array();
    *procs = json_array();
    bool procs_ok = true;
    for (unsigned int i = 0; i < count && i < WORKER_GPU_MAX; i++) {
        nvml_dev d = NULL;
        if (n.handle(i, &d) != NVML_SUCCESS)
            continue;
        json_t *g = gpu(&n, i, d, driver);
        procs_ok &= add_procs(n.compute, d, g, *procs) && add_procs(n.graphics, d, g, *procs);
        proc_util(&n, d, g, *procs);
        json_array_append_new(*gpus, g);
    }
    if (!procs_ok) {
        json_decref(*procs);
        *procs = NULL;
        *procs_reason = xstrdup("NVML could not list the processes of every GPU");
    }
out:
    n.shutdown();
    dlclose(n.h);
    return e;
}

#endif
