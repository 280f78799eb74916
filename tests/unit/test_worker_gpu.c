/* SPDX-License-Identifier: MIT */
/* test_worker_gpu.c -- gpu_report's sampling: the CSV and cgroup parsers, per-container
 * attribution on a fixture /proc, and whole samples replayed from real nvidia-smi captures
 * (tests/data/nvidia-smi) through the fake nvidia-smi (tests/fakes) put first on PATH. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "worker/worker.h"
#include "worker/worker_int.h"

#define CAP_DIR   "tests/data/nvidia-smi/"
#define H100      CAP_DIR "linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt"
#define H100_MIG  CAP_DIR "linux-x86_64__nvidia-h100-mig__590.48.01.txt"
#define RTX2080   CAP_DIR "linux-x86_64__nvidia-geforce-rtx-2080-super__595.71.05.txt"
#define RTX2080_W CAP_DIR "windows-x86_64__nvidia-geforce-rtx-2080-super__591.86.txt"
#define RTX4080   CAP_DIR "linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05.txt"
#define ID_A      "3f2a9c1b7d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef"
#define ID_B      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char tmp_root[256];

static void setup(void)
{
    snprintf(tmp_root, sizeof(tmp_root), "/tmp/cb-test-gpu-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_root));
}

static void teardown(void)
{
    fs_rm_rf(tmp_root, NULL);
}

static json_int_t ival(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    ck_assert_msg(json_is_integer(v), "%s is not an integer", k);
    return json_integer_value(v);
}

static bool is_null(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return v && json_is_null(v);
}

static json_t *parse_gpus(const char *query, const char *csv, enum err want)
{
    json_t *g = NULL;
    struct errbuf eb = {0};
    ck_assert_int_eq(worker_nvidia_parse(query, csv, strlen(csv), &g, &eb), want);
    if (want != ERR_OK)
        ck_assert_ptr_null(g);
    return g;
}

START_TEST(test_parse_gpu_rows)
{
    /* The H100 load row and the MIG idle row as the fake prints them from the captures. */
    json_t *g = parse_gpus(WORKER_GPU_QUERY,
                           "0, GPU-00000000-0000-0000-0000-000000000000, NVIDIA H100 80GB HBM3, "
                           "590.48.01, 81559, 19818, 100, 11, 59, 26, 631.95, 700.00, [N/A], "
                           "1980, 2619, Disabled\n"
                           "1, GPU-1, NVIDIA H100 80GB HBM3, 590.48.01, 81559, 59, [N/A], [N/A], "
                           "42, 45, 71.15, 700.00, [N/A], 345, 2619, Enabled\n",
                           ERR_OK);
    ck_assert_uint_eq(json_array_size(g), 2);
    json_t *a = json_array_get(g, 0), *b = json_array_get(g, 1);
    ck_assert_str_eq(jsonx_get_str(a, "name"), "NVIDIA H100 80GB HBM3");
    ck_assert_int_eq(ival(a, "memory_used_mib"), 19818);
    ck_assert_int_eq(ival(a, "utilization_gpu_pct"), 100);
    ck_assert_int_eq(ival(a, "temperature_margin_c"), 26);
    ck_assert(json_real_value(json_object_get(a, "power_draw_w")) > 631.9);
    ck_assert(is_null(a, "fan_speed_pct")); /* [N/A], not 0 */
    ck_assert_str_eq(jsonx_get_str(a, "mig_mode"), "disabled");
    ck_assert(is_null(a, "temperature_slowdown_c")); /* NVML only */
    ck_assert(is_null(b, "utilization_gpu_pct"));
    ck_assert_str_eq(jsonx_get_str(b, "mig_mode"), "enabled");
    json_decref(g);
    /* Every unknown spelling is null; the old query leaves the margin null. */
    g = parse_gpus(WORKER_GPU_QUERY_OLD,
                   "0, [N/A], [Unknown Error], N/A, [Not Supported], , 5, 1, 40, 39.32, 250, 38, "
                   "765, 810, [N/A]\n",
                   ERR_OK);
    a = json_array_get(g, 0);
    ck_assert(is_null(a, "uuid") && is_null(a, "name") && is_null(a, "driver_version"));
    ck_assert(is_null(a, "memory_total_mib") && is_null(a, "memory_used_mib"));
    ck_assert(is_null(a, "temperature_margin_c") && is_null(a, "mig_mode"));
    ck_assert_int_eq(ival(a, "fan_speed_pct"), 38);
    json_decref(g);
    g = parse_gpus(WORKER_GPU_QUERY, "\n\n", ERR_OK);
    ck_assert_uint_eq(json_array_size(g), 0);
    json_decref(g);
}
END_TEST

START_TEST(test_parse_gpu_malformed)
{
    parse_gpus(WORKER_GPU_QUERY, "0, NVIDIA H100, 81559\n", ERR_PARSE);
    parse_gpus("index,name", "0, a, b\n", ERR_PARSE);                /* too many fields */
    parse_gpus("index,name", "No devices, were found\n", ERR_PARSE); /* no integer index */
    parse_gpus("index,name,bogus.field", "0, a, b\n", ERR_INVALID);
    parse_gpus("", "0\n", ERR_INVALID);
    char nul[] = "0, a\0b\n";
    json_t *g = NULL;
    ck_assert_int_eq(worker_nvidia_parse("index,name", nul, sizeof(nul) - 1, &g, NULL), ERR_PARSE);
    struct buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i <= WORKER_GPU_MAX; i++)
        buf_printf(&b, "%d, x\n", i);
    ck_assert_int_eq(worker_nvidia_parse("index,name", buf_str(&b), buf_len(&b), &g, NULL),
                     ERR_TOO_LARGE);
    buf_fini(&b);
}
END_TEST

START_TEST(test_parse_apps)
{
    const char *csv = "11327, GPU-a, 2566\n12444, GPU-a, [N/A]\n";
    json_t *p = NULL;
    ck_assert_int_eq(worker_nvidia_apps_parse(csv, strlen(csv), &p, NULL), ERR_OK);
    ck_assert_uint_eq(json_array_size(p), 2);
    ck_assert_int_eq(ival(json_array_get(p, 0), "pid"), 11327);
    ck_assert_int_eq(ival(json_array_get(p, 0), "used_memory_mib"), 2566);
    ck_assert(is_null(json_array_get(p, 1), "used_memory_mib"));
    json_decref(p);
    ck_assert_int_eq(worker_nvidia_apps_parse("", 0, &p, NULL), ERR_OK);
    ck_assert_uint_eq(json_array_size(p), 0);
    json_decref(p);
    /* A uuid that is not UTF-8 is unknown; the row stays. */
    const char *latin = "7, GPU-\xe9, 3\n";
    ck_assert_int_eq(worker_nvidia_apps_parse(latin, strlen(latin), &p, NULL), ERR_OK);
    ck_assert_uint_eq(json_array_size(p), 1);
    ck_assert(is_null(json_array_get(p, 0), "gpu_uuid"));
    json_decref(p);
    const char *bad[] = {"x, GPU-a, 1\n", "-1, GPU-a, 1\n", "1.5, GPU-a, 1\n", "1, GPU-a\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(worker_nvidia_apps_parse(bad[i], strlen(bad[i]), &p, NULL), ERR_PARSE);
        ck_assert_ptr_null(p);
    }
}
END_TEST

static const char *cg(const char *text, char id[65])
{
    const char *rt = NULL;
    bool ok = worker_cgroup_container(text, strlen(text), id, &rt);
    ck_assert(ok == (rt != NULL));
    return ok ? rt : NULL;
}

START_TEST(test_cgroup_forms)
{
    char id[65];
    ck_assert_str_eq(cg("12:memory:/docker/" ID_A "\n11:cpu:/docker/" ID_A "\n", id), "docker");
    ck_assert_str_eq(id, ID_A);
    ck_assert_str_eq(cg("0::/system.slice/docker-" ID_A ".scope\n", id), "docker");
    ck_assert_str_eq(id, ID_A);
    ck_assert_str_eq(cg("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-pod1.slice/"
                        "cri-containerd-" ID_B ".scope\n",
                        id),
                     "containerd");
    ck_assert_str_eq(id, ID_B);
    ck_assert_str_eq(cg("0::/machine.slice/libpod-" ID_B ".scope/container\n", id), "podman");
    ck_assert_str_eq(id, ID_B);
    ck_assert_str_eq(cg("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_A
                        ".scope\n",
                        id),
                     "podman");
    ck_assert_str_eq(cg("0::/kubepods/besteffort/pod1/crio-" ID_A ".scope\n", id), "cri-o");
    /* Docker in docker: the innermost container is the one that runs the process. */
    ck_assert_str_eq(cg("0::/docker/" ID_B "/docker/" ID_A "\n", id), "docker");
    ck_assert_str_eq(id, ID_A);
}
END_TEST

START_TEST(test_cgroup_garbage)
{
    char id[65];
    const char *none[] = {
        "0::/user.slice/user-1000.slice/session-3.scope\n",
        "0::/\n",
        "",
        "garbage without colons\n",
        "0::/docker/" ID_A "0\n", /* 65 hex */
        "0::/docker/3F2A9C1B7D4E5F60718293A4B5C6D7E8F90112233445566778899AABBCCDDEEF\n",
        "0::/system.slice/docker-3f2a9c1b7d4e.scope\n", /* short id */
        "0::/system.slice/docker-" ID_A ".scopex\n",
        "0::/notdocker/" ID_A "\n",
        "12:memory\n",
    };
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        ck_assert_msg(cg(none[i], id) == NULL, "case %zu found %s", i, id);
        ck_assert_str_eq(id, "");
    }
}
END_TEST

START_TEST(test_proc_start_time)
{
    uint64_t t = 0;
    const char *st = "4242 (python3) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 "
                     "987654 10000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0\n";
    ck_assert(worker_proc_start_time(st, strlen(st), &t));
    ck_assert_uint_eq(t, 987654);
    const char *odd = "7 (a) b (c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 555 1 2\n";
    ck_assert(worker_proc_start_time(odd, strlen(odd), &t));
    ck_assert_uint_eq(t, 555);
    const char *cut = "7 (a) S 1 2 3\n";
    ck_assert(!worker_proc_start_time(cut, strlen(cut), &t));
    ck_assert(!worker_proc_start_time("no paren", 8, &t));
    const char *nan = "7 (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x5 1\n";
    ck_assert(!worker_proc_start_time(nan, strlen(nan), &t));
}
END_TEST

/* Write <tmp>/proc/<pid>/{stat,cgroup}. */
static void fake_proc(int pid, const char *cgroup, unsigned long start)
{
    char dir[400], path[420], stat[300];
    snprintf(dir, sizeof(dir), "%s/proc/%d", tmp_root, pid);
    ck_assert_int_eq(fs_mkdir_p(dir, 0755, NULL), ERR_OK);
    snprintf(path, sizeof(path), "%s/cgroup", dir);
    ck_assert_int_eq(fs_write_atomic(path, cgroup, strlen(cgroup), NULL), ERR_OK);
    snprintf(stat, sizeof(stat), "%d (ollama) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %lu 1 1 1\n",
             pid, start);
    snprintf(path, sizeof(path), "%s/stat", dir);
    ck_assert_int_eq(fs_write_atomic(path, stat, strlen(stat), NULL), ERR_OK);
}

static const json_t *row_of(const json_t *rows, const char *container)
{
    size_t i;
    const json_t *r;
    json_array_foreach(rows, i,
                       r) if (strcmp(jsonx_get_str(r, "container"), container) == 0) return r;
    return NULL;
}

START_TEST(test_attribute_containers)
{
    char root[300];
    snprintf(root, sizeof(root), "%s/proc", tmp_root);
    fake_proc(100, "0::/system.slice/docker-" ID_A ".scope\n", 5000);
    fake_proc(101, "12:memory:/docker/" ID_B "\n", 6000);
    fake_proc(102, "0::/user.slice/session-1.scope\n", 7000);
    /* 103 does not exist (gone). */
    json_t *s =
        json_pack("{s:[{s:s,s:i}],s:[{s:i,s:s,s:i},{s:i,s:s,s:i},{s:i,s:s,s:i},{s:i,s:s,s:i}]}",
                  "gpus", "uuid", "GPU-a", "utilization_gpu_pct", 80, "processes", "pid", 100,
                  "gpu_uuid", "GPU-a", "used_memory_mib", 3000, "pid", 101, "gpu_uuid", "GPU-a",
                  "used_memory_mib", 500, "pid", 102, "gpu_uuid", "GPU-a", "used_memory_mib", 400,
                  "pid", 103, "gpu_uuid", "GPU-a", "used_memory_mib", 100);
    json_t *allow = json_pack("[{s:s,s:s}]", "container_id", ID_A, "name", "ollama");
    worker_gpu_attribute(s, root, allow);
    const json_t *procs = json_object_get(s, "processes"), *rows = json_object_get(s, "containers");
    ck_assert_str_eq(jsonx_get_str(json_array_get(procs, 0), "container"), "ollama");
    ck_assert_str_eq(jsonx_get_str(json_array_get(procs, 0), "container_id"), ID_A);
    ck_assert_str_eq(jsonx_get_str(json_array_get(procs, 1), "container"), "other");
    ck_assert(is_null(json_array_get(procs, 1), "container_id")); /* not allowlisted: unnamed */
    ck_assert_str_eq(jsonx_get_str(json_array_get(procs, 1), "scope"), "container");
    ck_assert_str_eq(jsonx_get_str(json_array_get(procs, 2), "scope"), "host");
    ck_assert_str_eq(jsonx_get_str(json_array_get(procs, 3), "scope"), "unknown");
    ck_assert_uint_eq(json_array_size(rows), 2);
    const json_t *o = row_of(rows, "ollama"), *other = row_of(rows, "other");
    ck_assert_int_eq(ival(o, "used_memory_mib"), 3000);
    ck_assert_int_eq(ival(o, "utilization_gpu_pct"), 60); /* 80 % x 3000/4000 */
    ck_assert(json_is_true(json_object_get(o, "utilization_estimated")));
    ck_assert_int_eq(ival(other, "used_memory_mib"), 1000);
    ck_assert_int_eq(ival(other, "processes"), 3);
    json_decref(s);
    /* A short allowlisted id (12+ chars) matches; an 11-char one never does. */
    json_t *s2 = json_pack("{s:[],s:[{s:i,s:s,s:i}]}", "gpus", "processes", "pid", 100, "gpu_uuid",
                           "GPU-a", "used_memory_mib", 1);
    json_t *allow2 = json_pack("[{s:s,s:s},{s:s,s:s}]", "container_id", "3f2a9c1b7d4", "name",
                               "short", "container_id", "3f2a9c1b7d4e", "name", "web");
    worker_gpu_attribute(s2, root, allow2);
    ck_assert_str_eq(
        jsonx_get_str(json_array_get(json_object_get(s2, "processes"), 0), "container"), "web");
    ck_assert(is_null(
        json_object_get(s2, "gpus") ? json_array_get(json_object_get(s2, "containers"), 0) : NULL,
        "utilization_gpu_pct"));
    json_decref(s2);
    json_decref(allow2);
    json_decref(allow);
}
END_TEST

/* Without the host's /proc (a docker worker without the mount) nothing is named. */
START_TEST(test_attribute_without_host_proc)
{
    json_t *s = json_pack("{s:[],s:[{s:i,s:s,s:i}]}", "gpus", "processes", "pid", 1, "gpu_uuid",
                          "GPU-a", "used_memory_mib", 5);
    json_t *allow = json_pack("[{s:s,s:s}]", "container_id", ID_A, "name", "ollama");
    worker_gpu_attribute(s, "/nonexistent/host/proc", allow);
    const json_t *p = json_array_get(json_object_get(s, "processes"), 0);
    ck_assert_str_eq(jsonx_get_str(p, "container"), "other");
    ck_assert_str_eq(jsonx_get_str(p, "scope"), "unknown");
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(s, "containers_reason"), "not mounted"));
    json_decref(s);
    json_decref(allow);
}
END_TEST

START_TEST(test_attribute_per_process_util)
{
    char root[300];
    snprintf(root, sizeof(root), "%s/proc", tmp_root);
    fake_proc(200, "0::/system.slice/docker-" ID_A ".scope\n", 1);
    json_t *s = json_pack("{s:[{s:s,s:i}],s:[{s:i,s:s,s:i,s:i}]}", "gpus", "uuid", "GPU-a",
                          "utilization_gpu_pct", 90, "processes", "pid", 200, "gpu_uuid", "GPU-a",
                          "used_memory_mib", 10, "utilization_sm_pct", 33);
    json_t *allow = json_pack("[{s:s,s:s}]", "container_id", ID_A, "name", "llm");
    worker_gpu_attribute(s, root, allow);
    const json_t *r = json_array_get(json_object_get(s, "containers"), 0);
    ck_assert_int_eq(ival(r, "utilization_gpu_pct"), 33);
    ck_assert(json_is_false(json_object_get(r, "utilization_estimated")));
    json_decref(s);
    json_decref(allow);
}
END_TEST

/* Put the fake nvidia-smi first on PATH, replaying capture in state (idle/load). */
static void use_fake(const char *capture, const char *state, const char *mode)
{
    char exe[PATH_MAX], path[PATH_MAX + 64], cwd[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    ck_assert(n > 0);
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0';
    snprintf(path, sizeof(path), "%s/fake-bin", exe);
    char probe[PATH_MAX + 80];
    snprintf(probe, sizeof(probe), "%s/nvidia-smi", path);
    ck_assert_msg(access(probe, X_OK) == 0, "%s missing (make builds it)", probe);
    setenv("PATH", path, 1);
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    char cap[PATH_MAX * 2];
    snprintf(cap, sizeof(cap), "%s/%s", cwd, capture ? capture : "none");
    setenv("FAKE_NVSMI_CAPTURE", cap, 1);
    setenv("FAKE_NVSMI_STATE", state, 1);
    setenv("FAKE_NVSMI_MODE", mode ? mode : "", 1);
}

static json_t *sample(bool want_error)
{
    struct worker_gpu_opts o = {.source = "nvidia-smi", .timeout_ms = 2000};
    bool is_error = !want_error;
    json_t *s = worker_gpu_sample(&o, &is_error);
    ck_assert_msg(is_error == want_error, "is_error %d: %s", is_error, jsonx_get_str(s, "reason"));
    return s;
}

START_TEST(test_replay_captures)
{
    /* Each capture under load: the figures its CSV section holds, unknowns as null. */
    use_fake(H100, "load", NULL);
    json_t *s = sample(false);
    ck_assert_str_eq(jsonx_get_str(s, "source"), "nvidia-smi");
    json_t *g = json_array_get(json_object_get(s, "gpus"), 0);
    ck_assert_int_eq(ival(g, "memory_total_mib"), 81559);
    ck_assert_int_eq(ival(g, "memory_used_mib"), 19818);
    ck_assert_int_eq(ival(g, "temperature_c"), 59);
    ck_assert_int_eq(ival(g, "temperature_margin_c"), 26);
    ck_assert(is_null(g, "fan_speed_pct"));
    ck_assert_uint_eq(json_array_size(json_object_get(s, "processes")), 3);
    ck_assert_int_eq(ival(json_array_get(json_object_get(s, "processes"), 2), "used_memory_mib"),
                     15690);
    json_decref(s);

    use_fake(H100_MIG, "load", NULL);
    s = sample(false);
    g = json_array_get(json_object_get(s, "gpus"), 0);
    ck_assert_str_eq(jsonx_get_str(g, "mig_mode"), "enabled");
    ck_assert(is_null(g, "utilization_gpu_pct"));
    ck_assert_int_eq(ival(g, "memory_used_mib"), 11125);
    /* No utilisation to share: the containers' estimate stays unknown. */
    ck_assert(is_null(json_array_get(json_object_get(s, "containers"), 0), "utilization_gpu_pct"));
    json_decref(s);

    use_fake(RTX2080, "idle", NULL);
    s = sample(false);
    g = json_array_get(json_object_get(s, "gpus"), 0);
    ck_assert_str_eq(jsonx_get_str(g, "name"), "NVIDIA GeForce RTX 2080 SUPER");
    ck_assert_int_eq(ival(g, "fan_speed_pct"), 38);
    ck_assert(is_null(g, "temperature_margin_c"));
    ck_assert(is_null(g, "mig_mode"));
    json_decref(s);

    use_fake(RTX2080_W, "load", NULL);
    s = sample(false);
    g = json_array_get(json_object_get(s, "gpus"), 0);
    ck_assert_str_eq(jsonx_get_str(g, "driver_version"), "591.86");
    json_t *procs = json_object_get(s, "processes");
    ck_assert_uint_gt(json_array_size(procs), 5);
    ck_assert(is_null(json_array_get(procs, 0), "used_memory_mib")); /* WDDM: unknown */
    json_decref(s);

    use_fake(RTX4080, "load", NULL);
    s = sample(false);
    g = json_array_get(json_object_get(s, "gpus"), 0);
    ck_assert_int_eq(ival(g, "memory_total_mib"), 16376);
    ck_assert(json_real_value(json_object_get(g, "power_draw_w")) > 84.2);
    ck_assert_uint_eq(json_array_size(json_object_get(s, "processes")), 3);
    /* Processes of the test runner's machine are no container of the allowlist: "other". */
    ck_assert_str_eq(
        jsonx_get_str(json_array_get(json_object_get(s, "containers"), 0), "container"), "other");
    json_decref(s);
}
END_TEST

START_TEST(test_replay_four_gpus_and_queries)
{
    char log[400], *text = NULL;
    size_t len = 0;
    snprintf(log, sizeof(log), "%s/calls.log", tmp_root);
    use_fake(RTX4080, "idle", NULL);
    setenv("FAKE_NVSMI_GPUS", "4", 1);
    setenv("FAKE_NVSMI_LOG", log, 1);
    json_t *s = sample(false);
    unsetenv("FAKE_NVSMI_GPUS");
    unsetenv("FAKE_NVSMI_LOG");
    ck_assert_uint_eq(json_array_size(json_object_get(s, "gpus")), 4);
    ck_assert_int_eq(ival(json_array_get(json_object_get(s, "gpus"), 3), "index"), 3);
    json_decref(s);
    ck_assert_int_eq(fs_read_file(log, 1 << 16, &text, &len, NULL), ERR_OK);
    /* Two CSV questions, never the XML of -q. */
    ck_assert_ptr_nonnull(
        strstr(text, "--query-gpu=" WORKER_GPU_QUERY " --format=csv,noheader,nounits\n"));
    ck_assert_ptr_nonnull(strstr(text, "--query-compute-apps=pid,gpu_uuid,used_memory"));
    ck_assert_ptr_null(strstr(text, "-q "));
    ck_assert_ptr_null(strstr(text, "xml"));
    xfree(text);
}
END_TEST

START_TEST(test_replay_failures)
{
    use_fake(H100, "load", "mismatch");
    json_t *s = sample(true);
    ck_assert_str_eq(jsonx_get_str(s, "driver"), "error");
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(s, "reason"), "status 18"));
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(s, "reason"), "Driver/library version mismatch"));
    ck_assert_uint_eq(json_array_size(json_object_get(s, "gpus")), 0);
    ck_assert(is_null(s, "processes"));
    json_decref(s);

    use_fake(H100, "load", "nodev");
    s = sample(false);
    ck_assert_uint_eq(json_array_size(json_object_get(s, "gpus")), 0);
    ck_assert_str_eq(jsonx_get_str(s, "reason"), "No devices were found");
    json_decref(s);

    use_fake(H100, "load", "malformed");
    s = sample(true);
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(s, "reason"), "line 1"));
    json_decref(s);

    /* The process query fails: processes null with a reason, never [] (an idle GPU). */
    use_fake(H100, "load", "apps-fail");
    s = sample(false);
    ck_assert_uint_eq(json_array_size(json_object_get(s, "gpus")), 1);
    ck_assert(is_null(s, "processes"));
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(s, "processes_reason"), "status 15"));
    json_decref(s);

    /* Every number [N/A]: all null, none zero. */
    use_fake(H100, "load", "na");
    s = sample(false);
    json_t *g = json_array_get(json_object_get(s, "gpus"), 0);
    ck_assert(is_null(g, "memory_used_mib") && is_null(g, "temperature_c") &&
              is_null(g, "power_draw_w") && is_null(g, "utilization_gpu_pct"));
    json_decref(s);

    /* A driver without temperature.gpu.tlimit: asked again without it. */
    use_fake(H100, "load", "old-driver");
    s = sample(false);
    g = json_array_get(json_object_get(s, "gpus"), 0);
    ck_assert(is_null(g, "temperature_margin_c"));
    ck_assert_int_eq(ival(g, "memory_used_mib"), 19818);
    json_decref(s);
}
END_TEST

START_TEST(test_replay_hang_times_out)
{
    use_fake(H100, "load", "hang");
    struct worker_gpu_opts o = {.source = "nvidia-smi", .timeout_ms = 300};
    bool is_error = false;
    json_t *s = worker_gpu_sample(&o, &is_error);
    ck_assert(is_error);
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(s, "reason"), "did not answer within 300 ms"));
    json_decref(s);
}
END_TEST

/* The fake libnvidia-ml.so.1 (tests/fakes/fake_nvml.c) beside this binary, answering from
 * capture's -q section; out gets its path. */
static void use_fake_nvml(const char *capture, const char *mode, char *out, size_t cap)
{
    char exe[PATH_MAX], cwd[PATH_MAX], path[PATH_MAX * 2];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    ck_assert(n > 0);
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0';
    snprintf(out, cap, "%s/fake-nvml/libnvidia-ml.so.1", exe);
    ck_assert_msg(access(out, R_OK) == 0, "%s missing (make builds it)", out);
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    snprintf(path, sizeof(path), "%s/%s", cwd, capture);
    setenv("FAKE_NVML_CAPTURE", path, 1);
    setenv("FAKE_NVML_STATE", "load", 1);
    setenv("FAKE_NVML_MODE", mode ? mode : "", 1);
}

START_TEST(test_nvml_replay)
{
    char lib[PATH_MAX + 64];
    bool is_error = true;
    use_fake_nvml(RTX4080, NULL, lib, sizeof(lib));
    struct worker_gpu_opts o = {.source = "nvml", .nvml_lib = lib};
    json_t *s = worker_gpu_sample(&o, &is_error);
    ck_assert_msg(!is_error, "%s", jsonx_get_str(s, "reason"));
    ck_assert_str_eq(jsonx_get_str(s, "source"), "nvml");
    json_t *g = json_array_get(json_object_get(s, "gpus"), 0);
    ck_assert_str_eq(jsonx_get_str(g, "name"), "NVIDIA GeForce RTX 4080 SUPER");
    ck_assert_str_eq(jsonx_get_str(g, "driver_version"), "595.71.05");
    ck_assert_int_eq(ival(g, "memory_total_mib"), 16376);
    ck_assert_int_eq(ival(g, "memory_used_mib"), 1474);
    ck_assert_int_eq(ival(g, "utilization_gpu_pct"), 7);
    /* The thresholds only NVML gives, and the margin from them. */
    ck_assert_int_eq(ival(g, "temperature_c"), 45);
    ck_assert_int_eq(ival(g, "temperature_slowdown_c"), 96);
    ck_assert_int_eq(ival(g, "temperature_shutdown_c"), 101);
    ck_assert_int_eq(ival(g, "temperature_margin_c"), 51);
    ck_assert(json_real_value(json_object_get(g, "power_draw_w")) > 84.0);
    ck_assert_int_eq((int)json_real_value(json_object_get(g, "power_limit_w")), 320);
    ck_assert_int_eq(ival(g, "clock_graphics_mhz"), 2805);
    ck_assert(is_null(g, "mig_mode")); /* N/A on GeForce */
    /* Compute and graphics processes, each pid once. */
    json_t *procs = json_object_get(s, "processes");
    ck_assert_uint_gt(json_array_size(procs), 3);
    json_int_t sum = 0;
    size_t i;
    json_t *p;
    json_array_foreach(procs, i, p) sum +=
        json_integer_value(json_object_get(p, "used_memory_mib"));
    ck_assert_int_gt(sum, 1000);
    json_decref(s);

    use_fake_nvml(H100_MIG, NULL, lib, sizeof(lib));
    s = worker_gpu_sample(&o, &is_error);
    g = json_array_get(json_object_get(s, "gpus"), 0);
    ck_assert_str_eq(jsonx_get_str(g, "mig_mode"), "enabled");
    ck_assert(is_null(g, "utilization_gpu_pct")); /* N/A with MIG */
    ck_assert_uint_eq(json_array_size(json_object_get(s, "processes")), 3);
    json_decref(s);

    /* Per-process SM utilisation (the capture's pmon: gpu_burn at 99 %, the memhogs without
     * a sample): the container figure is NVML's, not an estimate. */
    use_fake_nvml(H100, NULL, lib, sizeof(lib));
    s = worker_gpu_sample(&o, &is_error);
    procs = json_object_get(s, "processes");
    ck_assert_uint_eq(json_array_size(procs), 3);
    ck_assert_int_eq(ival(json_array_get(procs, 2), "utilization_sm_pct"), 99);
    ck_assert_ptr_null(json_object_get(json_array_get(procs, 0), "utilization_sm_pct"));
    const json_t *row = json_array_get(json_object_get(s, "containers"), 0);
    ck_assert(json_is_false(json_object_get(row, "utilization_estimated")));
    ck_assert_int_eq(ival(row, "utilization_gpu_pct"), 99);
    json_decref(s);

    /* The process calls fail: processes null with a reason, the GPUs still there. */
    use_fake_nvml(H100, "procs-fail", lib, sizeof(lib));
    s = worker_gpu_sample(&o, &is_error);
    ck_assert(!is_error);
    ck_assert(is_null(s, "processes"));
    ck_assert_ptr_nonnull(jsonx_get_str(s, "processes_reason"));
    ck_assert_int_eq(ival(json_array_get(json_object_get(s, "gpus"), 0), "memory_used_mib"), 19818);
    json_decref(s);
}
END_TEST

START_TEST(test_nvml_mismatch_and_fallback)
{
    char lib[PATH_MAX + 64];
    bool is_error = false;
    use_fake_nvml(H100, "mismatch", lib, sizeof(lib));
    struct worker_gpu_opts o = {.source = "nvml", .nvml_lib = lib};
    json_t *s = worker_gpu_sample(&o, &is_error);
    ck_assert(is_error);
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(s, "reason"), "Failed to initialize NVML"));
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(s, "reason"), "version mismatch"));
    json_decref(s);
    /* auto: NVML fails, nvidia-smi answers; the NVML error is kept. */
    use_fake(RTX2080, "load", NULL);
    o.source = "auto";
    s = worker_gpu_sample(&o, &is_error);
    ck_assert(!is_error);
    ck_assert_str_eq(jsonx_get_str(s, "source"), "nvidia-smi");
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(s, "nvml_error"), "mismatch"));
    json_decref(s);
}
END_TEST

START_TEST(test_sources)
{
    char empty[300];
    snprintf(empty, sizeof(empty), "%s/empty", tmp_root);
    fs_mkdir_p(empty, 0755, NULL);
    setenv("PATH", empty, 1);
    bool is_error = true;
    /* No driver: success with no GPUs and a reason. */
    struct worker_gpu_opts o = {.source = "auto", .nvml_lib = "/nonexistent/libnvidia-ml.so.1"};
    json_t *s = worker_gpu_sample(&o, &is_error);
    ck_assert(!is_error);
    ck_assert_str_eq(jsonx_get_str(s, "driver"), "absent");
    ck_assert_ptr_nonnull(jsonx_get_str(s, "reason"));
    json_decref(s);
    /* Asking for NVML where there is none is an error that says so. */
    o.source = "nvml";
    s = worker_gpu_sample(&o, &is_error);
    ck_assert(is_error);
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(s, "reason"), "libnvidia-ml"));
    json_decref(s);
    o.source = "xml";
    s = worker_gpu_sample(&o, &is_error);
    ck_assert(is_error);
    json_decref(s);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("worker_gpu");
    TCase *tp = tcase_create("parsers");
    tcase_add_test(tp, test_parse_gpu_rows);
    tcase_add_test(tp, test_parse_gpu_malformed);
    tcase_add_test(tp, test_parse_apps);
    tcase_add_test(tp, test_cgroup_forms);
    tcase_add_test(tp, test_cgroup_garbage);
    tcase_add_test(tp, test_proc_start_time);
    suite_add_tcase(su, tp);
    TCase *ta = tcase_create("sample");
    tcase_add_checked_fixture(ta, setup, teardown);
    tcase_set_timeout(ta, 30);
    tcase_add_test(ta, test_attribute_containers);
    tcase_add_test(ta, test_attribute_per_process_util);
    tcase_add_test(ta, test_attribute_without_host_proc);
    tcase_add_test(ta, test_replay_captures);
    tcase_add_test(ta, test_replay_four_gpus_and_queries);
    tcase_add_test(ta, test_replay_failures);
    tcase_add_test(ta, test_replay_hang_times_out);
    tcase_add_test(ta, test_sources);
    tcase_add_test(ta, test_nvml_replay);
    tcase_add_test(ta, test_nvml_mismatch_and_fallback);
    suite_add_tcase(su, ta);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
