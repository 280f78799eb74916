/* SPDX-License-Identifier: MIT */
/* worker_parse.c -- the worker's pure parsers: log levels, leading timestamps, nvidia-smi CSV. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/xalloc.h"
#include "worker/worker_int.h"

#define NVIDIA_MAX_GPUS 64

static const char *const level_names[WORKER_LVL__COUNT] = {"error", "warn", "info", "debug",
                                                           "other"};

static const struct {
    const char *word;
    enum worker_level level;
} level_words[] = {
    {"error", WORKER_LVL_ERROR},    {"err", WORKER_LVL_ERROR},   {"fatal", WORKER_LVL_ERROR},
    {"critical", WORKER_LVL_ERROR}, {"warn", WORKER_LVL_WARN},   {"warning", WORKER_LVL_WARN},
    {"info", WORKER_LVL_INFO},      {"debug", WORKER_LVL_DEBUG}, {"trace", WORKER_LVL_DEBUG},
};

const char *worker_level_name(enum worker_level level)
{
    return level < WORKER_LVL__COUNT ? level_names[level] : "other";
}

static enum worker_level word_level(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof(level_words) / sizeof(level_words[0]); i++)
        if (strlen(level_words[i].word) == n && strncasecmp(w, level_words[i].word, n) == 0)
            return level_words[i].level;
    return WORKER_LVL__COUNT;
}

enum worker_level worker_level_detect(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && !isalnum((unsigned char)line[i]))
            i++;
        size_t start = i;
        while (i < len && isalnum((unsigned char)line[i]))
            i++;
        /* The longest token is "critical"; longer words cannot match. */
        if (i > start && i - start <= 8) {
            enum worker_level lv = word_level(line + start, i - start);
            if (lv != WORKER_LVL__COUNT)
                return lv;
        }
    }
    return WORKER_LVL_OTHER;
}

static bool num(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Parse "HH:MM:SS" at s into tm. */
static bool parse_hms(const char *s, struct tm *tm)
{
    return num(s, 2, &tm->tm_hour) && s[2] == ':' && num(s + 3, 2, &tm->tm_min) && s[5] == ':' &&
           num(s + 6, 2, &tm->tm_sec) && tm->tm_hour < 24 && tm->tm_min < 60 && tm->tm_sec <= 60;
}

/* Parse an optional ".frac" and zone after the seconds; adds ms, subtracts the offset. */
static int64_t zone_and_fraction(const char *p, const char *end, int64_t ms)
{
    if (p < end && (*p == '.' || *p == ',')) {
        int scale = 100;
        for (p++; p < end && isdigit((unsigned char)*p); p++) {
            ms += (*p - '0') * scale;
            scale /= 10;
        }
    }
    if (p < end && (*p == '+' || *p == '-') && end - p >= 5) {
        int hh, mm;
        int sign = *p == '-' ? -1 : 1;
        bool has_colon = p[3] == ':';
        if (num(p + 1, 2, &hh) &&
            (has_colon ? end - p >= 6 && num(p + 4, 2, &mm) : num(p + 3, 2, &mm)) && hh < 24 &&
            mm < 60)
            ms -= sign * ((int64_t)hh * 3600 + mm * 60) * 1000;
    }
    return ms;
}

static bool parse_iso(const char *s, size_t len, int64_t *ms_out)
{
    struct tm tm = {0};
    int y, mo, d;
    if (len < 19 || !num(s, 4, &y) || s[4] != '-' || !num(s + 5, 2, &mo) || s[7] != '-' ||
        !num(s + 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') || !parse_hms(s + 11, &tm))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    int64_t ms = (int64_t)timegm(&tm) * 1000;
    *ms_out = zone_and_fraction(s + 19, s + len, ms);
    return true;
}

static bool parse_syslog(const char *s, size_t len, int year, int64_t *ms_out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct tm tm = {0};
    if (len < 15 || s[3] != ' ')
        return false;
    const char *m = NULL;
    for (int i = 0; i < 12 && !m; i++)
        if (strncmp(s, months + i * 3, 3) == 0)
            m = months + i * 3;
    if (!m)
        return false;
    int d;
    if (s[4] == ' ' ? !num(s + 5, 1, &d) : !num(s + 4, 2, &d))
        return false;
    if (d < 1 || d > 31 || s[6] != ' ' || !parse_hms(s + 7, &tm))
        return false;
    tm.tm_year = year - 1900;
    tm.tm_mon = (int)((m - months) / 3);
    tm.tm_mday = d;
    *ms_out = (int64_t)timegm(&tm) * 1000;
    return true;
}

bool worker_ts_parse(const char *line, size_t len, int year, int64_t *ms_out)
{
    if (len > 0 && line[0] == '[') {
        line++;
        len--;
    }
    return parse_iso(line, len, ms_out) || parse_syslog(line, len, year, ms_out);
}

/* Trim spaces around [s, e) in place of pointers. */
static void trim(const char **s, const char **e)
{
    while (*s < *e && isspace((unsigned char)**s))
        (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

/* A number field, or null for "[N/A]", "[Not Supported]" and anything else not numeric. */
static json_t *num_field(const char *s, const char *e, bool is_int)
{
    char tmp[64];
    size_t n = (size_t)(e - s);
    if (n == 0 || n >= sizeof(tmp))
        return json_null();
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end = NULL;
    errno = 0;
    double v = strtod(tmp, &end);
    if (errno || end == tmp || *end != '\0')
        return json_null();
    return is_int ? json_integer((json_int_t)v) : json_real(v);
}

static const struct {
    const char *key;
    bool is_int;
} gpu_fields[] = {
    {"index", true},           {"name", false},
    {"memory_used_mib", true}, {"memory_total_mib", true},
    {"utilization_pct", true}, {"temperature_c", true},
    {"power_draw_w", false},
};
#define GPU_NFIELDS (sizeof(gpu_fields) / sizeof(gpu_fields[0]))

/* Parse one CSV line [s, e) into a GPU object or NULL when it has the wrong shape. */
static json_t *gpu_line(const char *s, const char *e)
{
    json_t *gpu = json_object();
    for (size_t f = 0; f < GPU_NFIELDS; f++) {
        const char *comma = memchr(s, ',', (size_t)(e - s));
        const char *fe = f + 1 < GPU_NFIELDS ? comma : e;
        if (!fe || (f + 1 == GPU_NFIELDS && comma)) {
            json_decref(gpu);
            return NULL;
        }
        const char *fs = s, *fe2 = fe;
        trim(&fs, &fe2);
        json_t *v = f == 1 ? json_stringn(fs, (size_t)(fe2 - fs))
                           : num_field(fs, fe2, gpu_fields[f].is_int);
        json_object_set_new(gpu, gpu_fields[f].key, v ? v : json_null());
        s = fe + (fe < e ? 1 : 0);
    }
    return gpu;
}

enum err worker_nvidia_parse(const char *csv, size_t len, json_t **gpus_out, struct errbuf *eb)
{
    json_t *gpus = json_array();
    const char *p = csv, *end = csv + len;
    *gpus_out = NULL;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p, *e = le;
        trim(&s, &e);
        p = nl ? nl + 1 : end;
        if (s == e)
            continue;
        if (json_array_size(gpus) >= NVIDIA_MAX_GPUS) {
            json_decref(gpus);
            return errbuf_set(eb, ERR_TOO_LARGE, "nvidia-smi listed more than %d GPUs",
                              NVIDIA_MAX_GPUS);
        }
        json_t *gpu = gpu_line(s, e);
        if (!gpu) {
            json_decref(gpus);
            return errbuf_set(eb, ERR_PARSE, "nvidia-smi line %zu has not %zu fields",
                              json_array_size(gpus) + 1, GPU_NFIELDS);
        }
        json_array_append_new(gpus, gpu);
    }
    *gpus_out = gpus;
    return ERR_OK;
}
