/* SPDX-License-Identifier: MIT */
/* worker_gpu_parse.c -- gpu_report's pure parsers: nvidia-smi's CSV answers (GPUs and
 * compute processes), /proc/<pid>/cgroup (which container a process belongs to) and
 * /proc/<pid>/stat (its start time, the guard against PID reuse).
 *
 * nvidia-smi's "[N/A]", "[Not Supported]", "N/A", "[Unknown Error]" and any other value
 * that is not a number where a number is expected are unknown: JSON null, never zero. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "worker/worker_int.h"

enum kind { K_INT, K_REAL, K_STR, K_MIG };

/* The query fields the product knows, with their result keys. */
static const struct {
    const char *field;
    const char *key;
    enum kind kind;
} fields[] = {
    {"index", "index", K_INT},
    {"uuid", "uuid", K_STR},
    {"name", "name", K_STR},
    {"driver_version", "driver_version", K_STR},
    {"memory.total", "memory_total_mib", K_INT},
    {"memory.used", "memory_used_mib", K_INT},
    {"utilization.gpu", "utilization_gpu_pct", K_INT},
    {"utilization.memory", "utilization_memory_pct", K_INT},
    {"temperature.gpu", "temperature_c", K_INT},
    {"temperature.gpu.tlimit", "temperature_margin_c", K_INT},
    {"power.draw", "power_draw_w", K_REAL},
    {"power.limit", "power_limit_w", K_REAL},
    {"fan.speed", "fan_speed_pct", K_INT},
    {"clocks.current.graphics", "clock_graphics_mhz", K_INT},
    {"clocks.current.memory", "clock_memory_mhz", K_INT},
    {"mig.mode.current", "mig_mode", K_MIG},
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

/* Trim spaces around [*s, *e). */
static void trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s))
        (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

/* True for nvidia-smi's ways of saying "no value": empty, "N/A", "[...]". */
static bool is_unknown(const char *s, const char *e)
{
    size_t n = (size_t)(e - s);
    return n == 0 || (n == 3 && memcmp(s, "N/A", 3) == 0) || s[0] == '[';
}

/* The number in [s, e), or false when it is not one (whole field, finite). */
static bool parse_num(const char *s, const char *e, double *out)
{
    char tmp[64];
    size_t n = (size_t)(e - s);
    if (n == 0 || n >= sizeof(tmp))
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end = NULL;
    errno = 0;
    double v = strtod(tmp, &end);
    if (errno || end == tmp || *end != '\0' || v != v || v > 1e15 || v < -1e15)
        return false;
    *out = v;
    return true;
}

static json_t *value(enum kind k, const char *s, const char *e)
{
    double v;
    if (is_unknown(s, e))
        return json_null();
    switch (k) {
    case K_STR: {
        json_t *str = json_stringn(s, (size_t)(e - s)); /* NULL: not UTF-8 */
        return str ? str : json_null();
    }
    case K_MIG:
        if ((size_t)(e - s) == 7 && strncasecmp(s, "Enabled", 7) == 0)
            return json_string("enabled");
        if ((size_t)(e - s) == 8 && strncasecmp(s, "Disabled", 8) == 0)
            return json_string("disabled");
        return json_null();
    case K_INT:
        return parse_num(s, e, &v) ? json_integer((json_int_t)v) : json_null();
    case K_REAL:
        return parse_num(s, e, &v) ? json_real(v) : json_null();
    }
    return json_null();
}

/* Map the comma-separated query field names to table rows (idx[n]); false on an unknown
 * or too many fields. */
static bool map_fields(const char *query, int *idx, size_t *n)
{
    *n = 0;
    const char *p = query;
    while (*p) {
        size_t len = strcspn(p, ",");
        size_t f = 0;
        while (f < N_FIELDS &&
               !(strlen(fields[f].field) == len && strncmp(fields[f].field, p, len) == 0))
            f++;
        if (f == N_FIELDS || *n == N_FIELDS)
            return false;
        idx[(*n)++] = (int)f;
        p += len + (p[len] == ',');
    }
    return *n > 0;
}

/* Split [s, e) at commas into at most max fields; returns the count (max + 1: too many). */
static size_t split(const char *s, const char *e, const char **fs, const char **fe, size_t max)
{
    size_t n = 0;
    for (;;) {
        const char *c = memchr(s, ',', (size_t)(e - s));
        const char *end = c ? c : e;
        if (n == max)
            return max + 1;
        fs[n] = s;
        fe[n] = end;
        trim(&fs[n], &fe[n]);
        n++;
        if (!c)
            return n;
        s = c + 1;
    }
}

/* Call row(ctx, fs, fe, n) for each non-empty line of csv with exactly want fields. */
static enum err each_row(const char *csv,
                         size_t len,
                         size_t want,
                         size_t max_rows,
                         enum err (*row)(void *, const char **, const char **),
                         void *ctx,
                         struct errbuf *eb)
{
    const char *p = csv, *end = csv + len, *fs[WORKER_GPU_COLS_MAX + 1],
               *fe[WORKER_GPU_COLS_MAX + 1];
    size_t rows = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p, *e = nl ? nl : end;
        p = nl ? nl + 1 : end;
        trim(&s, &e);
        if (s == e)
            continue;
        if (memchr(s, '\0', (size_t)(e - s)))
            return errbuf_set(eb, ERR_PARSE, "nvidia-smi line %zu holds a NUL byte", rows + 1);
        if (rows++ == max_rows)
            return errbuf_set(eb, ERR_TOO_LARGE, "nvidia-smi listed more than %zu rows", max_rows);
        size_t n = split(s, e, fs, fe, want);
        if (n != want)
            return errbuf_set(eb, ERR_PARSE, "nvidia-smi line %zu has %s%zu fields, not %zu", rows,
                              n > want ? "more than " : "", n > want ? want : n, want);
        enum err er = row(ctx, fs, fe);
        if (er != ERR_OK)
            return errbuf_set(eb, er, "nvidia-smi line %zu is not a %s", rows,
                              want == 3 ? "process row (pid, gpu_uuid, used_memory)" : "GPU row");
    }
    return ERR_OK;
}

struct gpu_ctx {
    json_t *out;
    const int *idx;
    size_t n;
};

static enum err gpu_row(void *vc, const char **fs, const char **fe)
{
    struct gpu_ctx *c = vc;
    json_t *g = json_object();
    for (size_t i = 0; i < N_FIELDS; i++)
        json_object_set_new(g, fields[i].key, json_null());
    /* The absolute thresholds come from NVML only (no CSV field gives them). */
    json_object_set_new(g, "temperature_slowdown_c", json_null());
    json_object_set_new(g, "temperature_shutdown_c", json_null());
    for (size_t i = 0; i < c->n; i++) {
        json_t *v = value(fields[c->idx[i]].kind, fs[i], fe[i]);
        /* Without an index the row is not a GPU (an error text that holds commas). */
        if (c->idx[i] == 0 && !json_is_integer(v)) {
            json_decref(v);
            json_decref(g);
            return ERR_PARSE;
        }
        json_object_set_new(g, fields[c->idx[i]].key, v);
    }
    json_array_append_new(c->out, g);
    return ERR_OK;
}

enum err worker_nvidia_parse(
    const char *query, const char *csv, size_t len, json_t **gpus_out, struct errbuf *eb)
{
    int idx[N_FIELDS];
    size_t n = 0;
    *gpus_out = NULL;
    if (!map_fields(query, idx, &n))
        return errbuf_set(eb, ERR_INVALID, "unknown nvidia-smi query field list");
    struct gpu_ctx c = {.out = json_array(), .idx = idx, .n = n};
    enum err e = each_row(csv, len, n, WORKER_GPU_MAX, gpu_row, &c, eb);
    if (e != ERR_OK) {
        json_decref(c.out);
        return e;
    }
    *gpus_out = c.out;
    return ERR_OK;
}

static enum err app_row(void *vc, const char **fs, const char **fe)
{
    double pid;
    if (!parse_num(fs[0], fe[0], &pid) || pid < 0 || pid > 4194304 || pid != (double)(int64_t)pid)
        return ERR_PARSE;
    json_t *p =
        json_pack("{s:I,s:o,s:o}", "pid", (json_int_t)pid, "gpu_uuid", value(K_STR, fs[1], fe[1]),
                  "used_memory_mib", value(K_INT, fs[2], fe[2]));
    json_array_append_new(vc, p);
    return ERR_OK;
}

enum err
worker_nvidia_apps_parse(const char *csv, size_t len, json_t **procs_out, struct errbuf *eb)
{
    json_t *procs = json_array();
    *procs_out = NULL;
    enum err e = each_row(csv, len, 3, WORKER_GPU_PROCS_MAX, app_row, procs, eb);
    if (e != ERR_OK) {
        json_decref(procs);
        return e;
    }
    *procs_out = procs;
    return ERR_OK;
}

/* True when [s, s+n) is exactly 64 lowercase hex digits. */
static bool is_id64(const char *s, size_t n)
{
    if (n != 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return false;
    return true;
}

/* The container id a cgroup path names, per runtime; false when it names none. Forms:
 * v1 ".../docker/<id>", v2 ".../docker-<id>.scope", containerd "cri-containerd-<id>.scope"
 * (and ".../cri-containerd/<id>"), libpod "libpod-<id>.scope" (and ".../libpod-<id>"). */
static bool path_id(const char *s, size_t n, char *id, const char **runtime)
{
    static const struct {
        const char *prefix, *runtime;
    } forms[] = {{"docker-", "docker"}, {"cri-containerd-", "containerd"},
                 {"libpod-", "podman"}, {"crio-", "cri-o"},
                 {"docker/", "docker"}, {"cri-containerd/", "containerd"},
                 {"libpod/", "podman"}};
    /* Scan the path's components from the last one back: the innermost container wins. */
    for (size_t end = n; end > 0;) {
        size_t start = end;
        while (start > 0 && s[start - 1] != '/')
            start--;
        const char *c = s + start;
        size_t cl = end - start;
        if (cl > 6 && memcmp(c + cl - 6, ".scope", 6) == 0)
            cl -= 6;
        for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
            size_t pl = strlen(forms[f].prefix);
            bool is_dir = forms[f].prefix[pl - 1] == '/';
            /* "docker/<id>": the previous component is "docker" */
            const char *pre = is_dir ? c - pl : c;
            bool ok = is_dir ? start >= pl && memcmp(pre, forms[f].prefix, pl) == 0 &&
                                   (start == pl || pre[-1] == '/') && is_id64(c, cl)
                             : cl == pl + 64 && memcmp(c, forms[f].prefix, pl) == 0 &&
                                   is_id64(c + pl, 64);
            if (ok) {
                memcpy(id, is_dir ? c : c + pl, 64);
                id[64] = '\0';
                *runtime = forms[f].runtime;
                return true;
            }
        }
        end = start > 0 ? start - 1 : 0;
    }
    return false;
}

bool worker_cgroup_container(const char *text, size_t len, char id[65], const char **runtime)
{
    const char *p = text, *end = text + len;
    id[0] = '\0';
    *runtime = NULL;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        /* "hierarchy-id:controllers:path"; the path is after the second colon. */
        const char *c1 = memchr(p, ':', (size_t)(le - p));
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(le - c1 - 1)) : NULL;
        if (c2 && path_id(c2 + 1, (size_t)(le - c2 - 1), id, runtime))
            return true;
        p = nl ? nl + 1 : end;
    }
    return false;
}

bool worker_proc_start_time(const char *text, size_t len, uint64_t *start)
{
    /* "pid (comm) state ppid ...": comm may hold spaces and ')', so start after the last
     * ')'; field 22 (starttime) is the 20th after it. */
    const char *p = NULL;
    for (size_t i = len; i > 0; i--)
        if (text[i - 1] == ')') {
            p = text + i;
            break;
        }
    if (!p)
        return false;
    const char *end = text + len;
    for (int field = 3; field <= 22; field++) {
        while (p < end && *p == ' ')
            p++;
        const char *s = p;
        while (p < end && *p != ' ' && *p != '\n')
            p++;
        if (s == p)
            return false;
        if (field == 22) {
            uint64_t v = 0;
            for (const char *q = s; q < p; q++) {
                if (!isdigit((unsigned char)*q) || v > UINT64_MAX / 10 - 10)
                    return false;
                v = v * 10 + (uint64_t)(*q - '0');
            }
            *start = v;
            return true;
        }
    }
    return false;
}
