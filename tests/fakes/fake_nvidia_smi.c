/* SPDX-License-Identifier: MIT */
/* fake_nvidia_smi.c -- an `nvidia-smi` for tests: answers --query-gpu= and
 * --query-compute-apps= with --format=csv[,noheader][,nounits] from a real capture
 * (tests/data/nvidia-smi), mapping each requested field to the capture's column by name.
 *
 * Environment:
 *   FAKE_NVSMI_CAPTURE  the capture file (required unless the mode needs none)
 *   FAKE_NVSMI_STATE    idle | load (default load): which section answers
 *   FAKE_NVSMI_GPUS     N: the GPU rows repeated for N GPUs (index and uuid changed)
 *   FAKE_NVSMI_PIDS     a,b,c: the process rows' pids replaced in order
 *   FAKE_NVSMI_LOG      a file each call's arguments are appended to
 *   FAKE_NVSMI_MODE     hang | mismatch | nodev | malformed | apps-fail | na | old-driver
 * When FAKE_NVSMI_CAPTURE is not in the environment (the process runtime gives its worker
 * only PATH and LANG), the same KEY=VALUE lines are read from "fake-nvidia-smi.conf" in
 * the folder of argv[0].
 * A requested field the capture lacks fails like nvidia-smi ('Field "x" is not a valid
 * field to query.', exit 2), so a changed query never replays silently. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_COLS  256
#define LINE_MAX_ 65536

static char conf[8192];

static const char *env(const char *k)
{
    const char *v = getenv(k);
    if (v || !conf[0])
        return v ? v : "";
    size_t n = strlen(k);
    for (char *p = conf; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ? 1 : 0))
        if (strncmp(p, k, n) == 0 && p[n] == '=') {
            return strndup(p + n + 1, strcspn(p + n + 1, "\n")); /* a short-lived process */
        }
    return "";
}

/* Read fake-nvidia-smi.conf beside argv0 when the environment has no capture. */
static void load_conf(const char *argv0)
{
    char path[4096];
    const char *slash = strrchr(argv0, '/');
    if (getenv("FAKE_NVSMI_CAPTURE") || !slash)
        return;
    snprintf(path, sizeof(path), "%.*s/fake-nvidia-smi.conf", (int)(slash - argv0), argv0);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(conf, 1, sizeof(conf) - 1, f);
    conf[n] = '\0';
    fclose(f);
}

/* Split s at ", " into at most MAX_COLS fields (in place); returns the count. */
static int split(char *s, char **f)
{
    int n = 0;
    f[n++] = s;
    for (char *p = s; (p = strstr(p, ", ")) && n < MAX_COLS; p += 2) {
        *p = '\0';
        f[n++] = p + 2;
    }
    return n;
}

/* The column name of a header field ("memory.total [MiB]" -> "memory.total", unit "MiB"). */
static void col_name(char *h, char **unit)
{
    char *b = strstr(h, " [");
    *unit = NULL;
    if (b) {
        *b = '\0';
        *unit = b + 2;
        char *e = strchr(*unit, ']');
        if (e)
            *e = '\0';
    }
}

static const char *alias(const char *section, const char *f)
{
    if (strcmp(section, "query-compute-apps") != 0)
        return f;
    if (strcmp(f, "used_memory") == 0)
        return "used_gpu_memory";
    if (strcmp(f, "name") == 0)
        return "process_name";
    return f;
}

/* Read the header and rows of section "# <state> :: <section> " of the capture. */
static int read_section(
    const char *path, const char *state, const char *section, char **hdr, char **rows, int *n_rows)
{
    FILE *f = fopen(path, "r");
    char line[LINE_MAX_], want[128];
    int hashes = -1;
    if (!f) {
        fprintf(stderr, "fake nvidia-smi: cannot open FAKE_NVSMI_CAPTURE '%s'\n", path);
        return -1;
    }
    snprintf(want, sizeof(want), "# %s :: %s ", state, section);
    *hdr = NULL;
    *n_rows = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (hashes < 0) {
            if (strncmp(line, want, strlen(want)) == 0)
                hashes = 1;
            continue;
        }
        if (hashes == 1) {
            if (strncmp(line, "####", 4) == 0)
                hashes = 2;
            continue;
        }
        if (!*hdr) {
            *hdr = strdup(line);
            continue;
        }
        if (!line[0] || line[0] == '#' || *n_rows == 64)
            break;
        rows[(*n_rows)++] = strdup(line);
    }
    fclose(f);
    if (!*hdr) {
        fprintf(stderr, "fake nvidia-smi: no section '%s' in %s\n", want, path);
        return -1;
    }
    return 0;
}

/* Print value v of column unit, without the unit when nounits. */
static void put(const char *v, const char *unit, int nounits, int is_key)
{
    size_t n = strlen(v);
    if (nounits && unit && n > strlen(unit) + 1 && strcmp(v + n - strlen(unit), unit) == 0 &&
        v[n - strlen(unit) - 1] == ' ')
        n -= strlen(unit) + 1;
    if (!is_key && strcmp(env("FAKE_NVSMI_MODE"), "na") == 0 && v[0] >= '0' && v[0] <= '9')
        fputs("[N/A]", stdout);
    else
        fwrite(v, 1, n, stdout);
}

static int answer(const char *section, const char *query, int header, int nounits)
{
    char *hdr = NULL, *rows[64], *hf[MAX_COLS], *want[MAX_COLS], *units[MAX_COLS];
    int n_rows = 0, col[MAX_COLS], n_want = 0;
    const char *state = env("FAKE_NVSMI_STATE")[0] ? env("FAKE_NVSMI_STATE") : "load";
    if (read_section(env("FAKE_NVSMI_CAPTURE"), state, section, &hdr, rows, &n_rows) != 0)
        return 9;
    int n_h = split(hdr, hf);
    for (int i = 0; i < n_h; i++)
        col_name(hf[i], &units[i]);
    char *q = strdup(query);
    for (char *t = strtok(q, ","); t && n_want < MAX_COLS; t = strtok(NULL, ",")) {
        int c = -1;
        for (int i = 0; i < n_h && c < 0; i++)
            if (strcmp(hf[i], alias(section, t)) == 0)
                c = i;
        if (c < 0 || (strcmp(t, "temperature.gpu.tlimit") == 0 &&
                      strcmp(env("FAKE_NVSMI_MODE"), "old-driver") == 0)) {
            printf("Field \"%s\" is not a valid field to query.\n\n", t);
            return 2;
        }
        want[n_want] = t;
        col[n_want++] = c;
    }
    if (header) {
        for (int i = 0; i < n_want; i++)
            printf("%s%s", i ? ", " : "", want[i]);
        printf("\n");
    }
    int gpus = atoi(env("FAKE_NVSMI_GPUS")) > 0 ? atoi(env("FAKE_NVSMI_GPUS")) : 1;
    char pids[4096];
    snprintf(pids, sizeof(pids), "%s", env("FAKE_NVSMI_PIDS"));
    char *pid_next = pids[0] ? pids : NULL;
    for (int g = 0; g < gpus; g++) {
        for (int r = 0; r < n_rows; r++) {
            char *rf[MAX_COLS], *copy = strdup(rows[r]);
            int n = split(copy, rf);
            if (n != n_h) {
                fprintf(stderr, "fake nvidia-smi: capture row has %d fields, header %d\n", n, n_h);
                return 9;
            }
            for (int i = 0; i < n_want; i++) {
                const char *v = rf[col[i]];
                char buf[4096];
                if (strcmp(want[i], "index") == 0) {
                    snprintf(buf, sizeof(buf), "%d", g);
                    v = buf;
                } else if ((strcmp(want[i], "uuid") == 0 || strcmp(want[i], "gpu_uuid") == 0) &&
                           strlen(v) > 1 && gpus > 1) {
                    snprintf(buf, sizeof(buf), "%.*s%d", (int)strlen(v) - 1, v, g % 10);
                    v = buf;
                } else if (strcmp(want[i], "pid") == 0 && pid_next) {
                    char *comma = strchr(pid_next, ',');
                    if (comma)
                        *comma = '\0';
                    snprintf(buf, sizeof(buf), "%s", pid_next);
                    v = buf;
                    pid_next = comma ? comma + 1 : NULL;
                }
                printf("%s", i ? ", " : "");
                put(v, units[col[i]], nounits,
                    strcmp(want[i], "index") == 0 || strcmp(want[i], "pid") == 0);
            }
            printf("\n");
            free(copy);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = env("FAKE_NVSMI_MODE"), *query = NULL, *section = NULL;
    int header = 1, nounits = 0, is_csv = 0;
    load_conf(argv[0]);
    mode = env("FAKE_NVSMI_MODE");
    if (env("FAKE_NVSMI_LOG")[0]) {
        FILE *f = fopen(env("FAKE_NVSMI_LOG"), "a");
        for (int i = 1; f && i < argc; i++)
            fprintf(f, "%s%s", argv[i], i + 1 < argc ? " " : "\n");
        if (f)
            fclose(f);
    }
    if (strcmp(mode, "hang") == 0)
        for (;;)
            pause();
    if (strcmp(mode, "mismatch") == 0) {
        printf("Failed to initialize NVML: Driver/library version mismatch\n"
               "NVML library version: 590.48\n");
        return 18;
    }
    if (strcmp(mode, "nodev") == 0) {
        printf("No devices were found\n");
        return 6;
    }
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--query-gpu=", 12) == 0) {
            query = argv[i] + 12;
            section = "query-gpu";
        } else if (strncmp(argv[i], "--query-compute-apps=", 21) == 0) {
            query = argv[i] + 21;
            section = "query-compute-apps";
        } else if (strncmp(argv[i], "--format=", 9) == 0) {
            is_csv = strstr(argv[i], "csv") != NULL;
            header = strstr(argv[i], "noheader") == NULL;
            nounits = strstr(argv[i], "nounits") != NULL;
        } else {
            fprintf(stderr, "fake nvidia-smi: unsupported argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!query || !is_csv) {
        fprintf(stderr, "fake nvidia-smi: only --query-gpu/--query-compute-apps with csv\n");
        return 2;
    }
    if (strcmp(mode, "malformed") == 0 && strcmp(section, "query-gpu") == 0) {
        printf("0, NVIDIA H100, 81559\ngarbage line without commas\n");
        return 0;
    }
    if (strcmp(mode, "apps-fail") == 0 && strcmp(section, "query-compute-apps") == 0) {
        printf("Unable to determine the device handle for GPU0000:01:00.0: Unknown Error\n");
        return 15;
    }
    return answer(section, query, header, nounits);
}
