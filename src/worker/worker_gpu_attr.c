/* SPDX-License-Identifier: MIT */
/* worker_gpu_attr.c -- which container each GPU process belongs to, and the per-container
 * sums of a sample.
 *
 * A process's host PID leads to <proc_root>/<pid>/cgroup. PIDs are reused: the start time
 * (field 22 of <pid>/stat) is read before and after the cgroup file, and a process whose
 * start time changed or vanished is "unknown". Only containers on the allowlist the
 * orchestrator passed are named; every other process (other containers, the host, unknown)
 * is summed as "other". A container's utilisation is the GPU's utilisation times its share
 * of the VRAM the listed processes use, marked estimated, unless NVML gave per-process
 * utilisation ("utilization_sm_pct" on the processes). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fs.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "worker/worker_int.h"

#define PROC_FILE_MAX (64 * 1024)
#define OTHER         "other"

static bool start_time(const char *root, int64_t pid, uint64_t *t)
{
    char path[512], *data = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/%lld/stat", root, (long long)pid);
    bool ok = fs_read_file(path, PROC_FILE_MAX, &data, &len, NULL) == ERR_OK &&
              worker_proc_start_time(data, len, t);
    xfree(data);
    return ok;
}

/* The container id of host pid (id "" for none); false when the process could not be
 * read or changed while it was read. */
static bool container_of(const char *root, int64_t pid, char id[65])
{
    char path[512], *data = NULL;
    size_t len = 0;
    uint64_t t1 = 0, t2 = 0;
    const char *runtime = NULL;
    id[0] = '\0';
    if (!start_time(root, pid, &t1))
        return false;
    snprintf(path, sizeof(path), "%s/%lld/cgroup", root, (long long)pid);
    bool ok = fs_read_file(path, PROC_FILE_MAX, &data, &len, NULL) == ERR_OK;
    if (ok)
        worker_cgroup_container(data, len, id, &runtime);
    xfree(data);
    return ok && start_time(root, pid, &t2) && t1 == t2;
}

/* The allowlist entry whose container_id is id (or a prefix of it, at least 12 chars). */
static const json_t *allowed(const json_t *allow, const char *id)
{
    size_t i;
    const json_t *a;
    if (!id[0])
        return NULL;
    json_array_foreach(allow, i, a)
    {
        const char *aid = jsonx_get_str(a, "container_id");
        size_t n = aid ? strlen(aid) : 0;
        if (n >= 12 && n <= 64 && strncmp(aid, id, n) == 0)
            return a;
    }
    return NULL;
}

/* The summary row of (uuid, name) in rows, made when absent. */
static json_t *row_for(json_t *rows, const char *uuid, const char *name, const char *id)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        if (strcmp(jsonx_get_str(r, "gpu_uuid"), uuid) == 0 &&
            strcmp(jsonx_get_str(r, "container"), name) == 0)
            return r;
    }
    r = json_pack("{s:s,s:s,s:I,s:I,s:n,s:b}", "gpu_uuid", uuid, "container", name,
                  "used_memory_mib", (json_int_t)0, "processes", (json_int_t)0,
                  "utilization_gpu_pct", "utilization_estimated", true);
    jsonx_set_str_or_null(r, "container_id", id);
    json_array_append_new(rows, r);
    return r;
}

static void add_int(json_t *o, const char *key, json_int_t v)
{
    json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + v));
}

/* Name the container of p and add it to rows. */
static void attribute_one(json_t *p, const char *root, const json_t *allow, json_t *rows)
{
    char id[65];
    json_int_t pid = json_integer_value(json_object_get(p, "pid"));
    const char *uuid = jsonx_get_str(p, "gpu_uuid");
    bool ok = root && container_of(root, pid, id);
    const json_t *a = ok ? allowed(allow, id) : NULL;
    const char *name = a ? jsonx_get_str(a, "name") : NULL;
    if (a && (!name || !name[0]))
        name = jsonx_get_str(a, "container_id");
    json_object_set_new(p, "container", json_string(a ? name : OTHER));
    json_object_set_new(p, "container_id", a ? json_string(id) : json_null());
    json_object_set_new(p, "scope",
                        json_string(!ok     ? "unknown"
                                    : a     ? "allowlisted"
                                    : id[0] ? "container"
                                            : "host"));
    json_t *r = row_for(rows, uuid ? uuid : "", a ? name : OTHER, a ? id : NULL);
    add_int(r, "used_memory_mib", json_integer_value(json_object_get(p, "used_memory_mib")));
    add_int(r, "processes", 1);
    json_t *sm = json_object_get(p, "utilization_sm_pct");
    if (json_is_integer(sm)) {
        add_int(r, "utilization_gpu_pct", json_integer_value(sm));
        json_object_set_new(r, "utilization_estimated", json_false());
    }
}

/* The GPU of sample with uuid, or NULL. */
static const json_t *gpu_of(const json_t *gpus, const char *uuid)
{
    size_t i;
    const json_t *g;
    json_array_foreach(gpus, i, g)
    {
        const char *u = jsonx_get_str(g, "uuid");
        if (u && strcmp(u, uuid) == 0)
            return g;
    }
    return NULL;
}

/* Estimated utilisation of each row: the GPU's, shared by VRAM. */
static void estimate(json_t *rows, const json_t *gpus, const json_t *procs)
{
    size_t i, j;
    json_t *r;
    const json_t *p;
    json_array_foreach(rows, i, r)
    {
        if (!json_is_true(json_object_get(r, "utilization_estimated")))
            continue;
        const char *uuid = jsonx_get_str(r, "gpu_uuid");
        const json_t *util = json_object_get(gpu_of(gpus, uuid), "utilization_gpu_pct");
        json_int_t total = 0;
        json_array_foreach(procs, j, p)
        {
            const char *pu = jsonx_get_str(p, "gpu_uuid");
            if (pu && strcmp(pu, uuid) == 0)
                total += json_integer_value(json_object_get(p, "used_memory_mib"));
        }
        json_int_t mine = json_integer_value(json_object_get(r, "used_memory_mib"));
        if (json_is_integer(util) && total > 0)
            json_object_set_new(r, "utilization_gpu_pct",
                                json_integer(json_integer_value(util) * mine / total));
    }
}

void worker_gpu_attribute(json_t *sample, const char *proc_root, const json_t *allow)
{
    json_t *procs = json_object_get(sample, "processes");
    json_t *rows = json_array();
    size_t i;
    json_t *p;
    struct stat st;
    /* Without the host's /proc a host PID could name an unrelated process of this
     * namespace: name nothing then. */
    bool has_root = stat(proc_root, &st) == 0 && S_ISDIR(st.st_mode);
    if (!has_root)
        json_object_set_new(sample, "containers_reason",
                            json_string("the host's /proc is not mounted: no container named"));
    json_array_foreach(procs, i, p)
    {
        attribute_one(p, has_root ? proc_root : NULL, allow, rows);
    }
    estimate(rows, json_object_get(sample, "gpus"), procs);
    json_object_set_new(sample, "containers", rows);
}
