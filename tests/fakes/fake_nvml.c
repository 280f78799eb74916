/* SPDX-License-Identifier: MIT */
/* fake_nvml.c -- a libnvidia-ml.so.1 for tests: the NVML entry points the worker uses,
 * answering from the "-q" section of a real nvidia-smi capture (tests/data/nvidia-smi), the
 * text nvidia-smi itself prints from NVML: product name, UUID, driver, FB memory, utilisation,
 * current / slowdown / shutdown temperatures, average power draw and current power limit,
 * fan, clocks, MIG mode, and the processes (Type C: compute, G: graphics, C+G: both); the
 * per-process SM utilisation from the capture's "pmon" section (what nvidia-smi pmon reads
 * from nvmlDeviceGetProcessUtilization; "-" is a process without a sample).
 * A value the capture gives as N/A answers NVML_ERROR_NOT_SUPPORTED.
 *
 * Environment: FAKE_NVML_CAPTURE (the file), FAKE_NVML_STATE (idle | load, default load),
 * FAKE_NVML_MODE (mismatch: nvmlInit_v2 fails with LIB_RM_VERSION_MISMATCH; procs-fail: the
 * process calls fail). One GPU (the captures hold one). Not thread-safe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OK            0
#define NOT_SUPPORTED 3
#define INVALID_ARG   2
#define UNKNOWN       999
#define MISMATCH      18
#define LINES_MAX     4096

struct util_sample {
    unsigned int pid;
    unsigned long long ts;
    unsigned int sm, mem, enc, dec;
};

struct proc_info {
    unsigned int pid;
    unsigned long long used;
    unsigned int gi, ci;
};

static char *lines[LINES_MAX];
static int n_lines;

static const char *env(const char *k, const char *def)
{
    const char *v = getenv(k);
    return v && v[0] ? v : def;
}

static int indent(const char *l)
{
    int n = 0;
    while (l[n] == ' ')
        n++;
    return n;
}

/* Load the -q section of the capture (once). */
static int load(void)
{
    char want[64], buf[4096];
    int in = 0;
    if (n_lines)
        return 0;
    FILE *f = fopen(env("FAKE_NVML_CAPTURE", ""), "r");
    if (!f)
        return -1;
    snprintf(want, sizeof(want), "# %s :: query (-q)", env("FAKE_NVML_STATE", "load"));
    while (fgets(buf, sizeof(buf), f) && n_lines < LINES_MAX) {
        buf[strcspn(buf, "\r\n")] = '\0';
        if (!in) {
            in = strncmp(buf, want, strlen(want)) == 0;
            continue;
        }
        if (strncmp(buf, "####", 4) == 0 && n_lines > 3)
            break;
        lines[n_lines++] = strdup(buf);
    }
    fclose(f);
    return n_lines ? 0 : -1;
}

/* The value of "key : value" at indent depth under the indent-4 header parent (NULL: any
 * line at that depth), or NULL. */
static const char *q(const char *parent, const char *key, int depth)
{
    const char *cur = NULL;
    for (int i = 0; i < n_lines; i++) {
        const char *l = lines[i];
        int ind = indent(l);
        if (ind == 4 && !strstr(l, " : "))
            cur = l + 4;
        if (ind != depth || strncmp(l + ind, key, strlen(key)) != 0)
            continue;
        const char *c = strstr(l, " : ");
        if (!c || (l[ind + strlen(key)] != ' '))
            continue;
        if (parent && (!cur || strcmp(cur, parent) != 0))
            continue;
        return c + 3;
    }
    return NULL;
}

/* A number from q(); NOT_SUPPORTED when N/A or absent. */
static int num(const char *parent, const char *key, int depth, double *v)
{
    const char *s = q(parent, key, depth);
    char *end = NULL;
    if (!s)
        return NOT_SUPPORTED;
    *v = strtod(s, &end);
    return end == s ? NOT_SUPPORTED : OK;
}

static int uns(const char *parent, const char *key, int depth, unsigned int *out)
{
    double v = 0;
    int r = num(parent, key, depth, &v);
    if (r == OK)
        *out = (unsigned int)v;
    return r;
}

static int str(const char *parent, const char *key, int depth, char *out, unsigned int len)
{
    const char *s = q(parent, key, depth);
    if (!s)
        return NOT_SUPPORTED;
    snprintf(out, len, "%s", s);
    return OK;
}

int nvmlInit_v2(void)
{
    if (strcmp(env("FAKE_NVML_MODE", ""), "mismatch") == 0)
        return MISMATCH;
    return load() == 0 ? OK : UNKNOWN;
}

int nvmlShutdown(void)
{
    for (int i = 0; i < n_lines; i++)
        free(lines[i]);
    n_lines = 0;
    return OK;
}

const char *nvmlErrorString(int r)
{
    return r == MISMATCH ? "RM has detected an NVML/RM version mismatch." : "Unknown Error";
}

int nvmlDeviceGetCount_v2(unsigned int *n)
{
    return uns(NULL, "Attached GPUs", 0, n);
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **dev)
{
    *dev = (void *)(size_t)(i + 1);
    return i == 0 ? OK : INVALID_ARG;
}

int nvmlDeviceGetIndex(void *dev, unsigned int *i)
{
    (void)dev;
    return uns(NULL, "Minor Number", 4, i);
}

int nvmlDeviceGetUUID(void *dev, char *out, unsigned int len)
{
    (void)dev;
    return str(NULL, "GPU UUID", 4, out, len);
}

int nvmlDeviceGetName(void *dev, char *out, unsigned int len)
{
    (void)dev;
    return str(NULL, "Product Name", 4, out, len);
}

int nvmlSystemGetDriverVersion(char *out, unsigned int len)
{
    return str(NULL, "Driver Version", 0, out, len);
}

int nvmlDeviceGetMemoryInfo(void *dev, unsigned long long *m)
{
    double t = 0, u = 0, f = 0;
    (void)dev;
    if (num("FB Memory Usage", "Total", 8, &t) || num("FB Memory Usage", "Used", 8, &u) ||
        num("FB Memory Usage", "Free", 8, &f))
        return NOT_SUPPORTED;
    m[0] = (unsigned long long)t << 20;
    m[1] = (unsigned long long)f << 20;
    m[2] = (unsigned long long)u << 20;
    return OK;
}

int nvmlDeviceGetUtilizationRates(void *dev, unsigned int *u)
{
    (void)dev;
    if (uns("Utilization", "GPU", 8, &u[0]) && uns("Utilization", "Gpu", 8, &u[0]))
        return NOT_SUPPORTED;
    return uns("Utilization", "Memory", 8, &u[1]);
}

int nvmlDeviceGetTemperature(void *dev, int sensor, unsigned int *t)
{
    (void)dev;
    return sensor == 0 ? uns("Temperature", "GPU Current Temp", 8, t) : INVALID_ARG;
}

int nvmlDeviceGetTemperatureThreshold(void *dev, int which, unsigned int *t)
{
    (void)dev;
    if (which == 0)
        return uns("Temperature", "GPU Shutdown Temp", 8, t);
    if (which == 1)
        return uns("Temperature", "GPU Slowdown Temp", 8, t);
    return NOT_SUPPORTED;
}

int nvmlDeviceGetPowerUsage(void *dev, unsigned int *mw)
{
    double w = 0;
    (void)dev;
    int r = num("GPU Power Readings", "Average Power Draw", 8, &w);
    if (r == OK)
        *mw = (unsigned int)(w * 1000 + 0.5);
    return r;
}

int nvmlDeviceGetEnforcedPowerLimit(void *dev, unsigned int *mw)
{
    double w = 0;
    (void)dev;
    int r = num("GPU Power Readings", "Current Power Limit", 8, &w);
    if (r == OK)
        *mw = (unsigned int)(w * 1000 + 0.5);
    return r;
}

int nvmlDeviceGetFanSpeed(void *dev, unsigned int *pct)
{
    (void)dev;
    return uns(NULL, "Fan Speed", 4, pct);
}

int nvmlDeviceGetClockInfo(void *dev, int type, unsigned int *mhz)
{
    (void)dev;
    if (type == 0)
        return uns("Clocks", "Graphics", 8, mhz);
    if (type == 2)
        return uns("Clocks", "Memory", 8, mhz);
    return NOT_SUPPORTED;
}

int nvmlDeviceGetMigMode(void *dev, unsigned int *cur, unsigned int *pend)
{
    const char *c = q("MIG Mode", "Current", 8), *p = q("MIG Mode", "Pending", 8);
    (void)dev;
    if (!c || strcmp(c, "N/A") == 0)
        return NOT_SUPPORTED;
    *cur = strcmp(c, "Enabled") == 0;
    *pend = p && strcmp(p, "Enabled") == 0;
    return OK;
}

/* The processes of the capture whose Type holds kind ('C' or 'G'). */
static int procs(char kind, unsigned int *count, struct proc_info *out)
{
    unsigned int n = 0, cap = *count;
    if (strcmp(env("FAKE_NVML_MODE", ""), "procs-fail") == 0)
        return UNKNOWN;
    for (int i = 0; i < n_lines; i++) {
        const char *l = lines[i], *c = strstr(l, " : ");
        if (indent(l) != 8 || strncmp(l + 8, "Process ID", 10) != 0 || !c)
            continue;
        unsigned int pid = (unsigned int)strtoul(c + 3, NULL, 10);
        const char *type = "";
        unsigned long long used = ~0ULL;
        for (int j = i + 1; j < n_lines && indent(lines[j]) == 12; j++) {
            const char *v = strstr(lines[j], " : ");
            if (v && strncmp(lines[j] + 12, "Type", 4) == 0)
                type = v + 3;
            if (v && strncmp(lines[j] + 12, "Used GPU Memory", 15) == 0 && strcmp(v + 3, "N/A"))
                used = strtoull(v + 3, NULL, 10) << 20;
        }
        if (!strchr(type, kind))
            continue;
        if (n < cap)
            out[n] = (struct proc_info){pid, used, 0, 0};
        n++;
    }
    *count = n;
    return n > cap ? 7 : OK;
}

int nvmlDeviceGetComputeRunningProcesses_v3(void *dev, unsigned int *count, struct proc_info *p)
{
    (void)dev;
    return procs('C', count, p);
}

int nvmlDeviceGetGraphicsRunningProcesses_v3(void *dev, unsigned int *count, struct proc_info *p)
{
    (void)dev;
    return procs('G', count, p);
}

/* The first pmon block of the capture's state: one sample per pid with a number for sm. */
int nvmlDeviceGetProcessUtilization(void *dev,
                                    struct util_sample *out,
                                    unsigned int *count,
                                    unsigned long long since)
{
    char want[64], buf[1024];
    unsigned int n = 0, cap = *count, seen[256];
    int in = 0, n_seen = 0;
    (void)dev;
    (void)since;
    FILE *f = fopen(env("FAKE_NVML_CAPTURE", ""), "r");
    if (!f)
        return UNKNOWN;
    snprintf(want, sizeof(want), "# %s :: pmon", env("FAKE_NVML_STATE", "load"));
    while (fgets(buf, sizeof(buf), f)) {
        if (!in) {
            in = strncmp(buf, want, strlen(want)) == 0;
            continue;
        }
        if (buf[0] == '\n' && n_seen > 0)
            break;
        unsigned int gpu, pid;
        char type[8], sm[16], mem[16];
        if (buf[0] == '#' || sscanf(buf, "%u %u %7s %15s %15s", &gpu, &pid, type, sm, mem) != 5)
            continue;
        int dup = 0;
        for (int i = 0; i < n_seen; i++)
            dup |= seen[i] == pid;
        if (dup || n_seen == 256)
            break; /* the next round of samples */
        seen[n_seen++] = pid;
        if (sm[0] == '-')
            continue;
        if (n < cap && out)
            out[n] = (struct util_sample){
                pid, 1, (unsigned)atoi(sm), mem[0] == '-' ? 0 : (unsigned)atoi(mem), 0, 0};
        n++;
    }
    fclose(f);
    *count = n;
    return n > cap || !out ? 7 : OK;
}
