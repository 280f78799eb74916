/* SPDX-License-Identifier: MIT */
/* worker_contlogs.c -- log_triage's container sources: the container log files the
 * orchestrator wrote into the job's input folder (one line per log line, each with the
 * engine's timestamp prefix).
 *
 * Each file is a source named "container:<name>". A line's time is its prefix; the rest
 * of the line is the message, which goes through the same level count, header detection
 * and mining as a file's lines. There is no cursor: the job's window is one (the
 * orchestrator asked the engine for that window; lines outside it, to the millisecond,
 * are still dropped here so that two windows never count a line twice). File names come
 * from job.json but must be "containers/<name>" with no '/' and no leading '.' in name. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "worker/worker_int.h"

#define CONT_PREFIX_MAX 40 /* bytes of a timestamp prefix, its space included */
#define CONT_DIR        "containers/"

bool worker_docker_ts(const char *line, size_t len, int64_t *ms_out, size_t *prefix_len)
{
    char ts[CONT_PREFIX_MAX];
    size_t n = 0;
    while (n < len && n < sizeof(ts) - 1 && line[n] != ' ')
        n++;
    if (n < 20 || n >= len || line[n] != ' ' || n >= sizeof(ts) - 1)
        return false;
    memcpy(ts, line, n);
    ts[n] = '\0';
    if (!clock_iso_parse(ts, ms_out))
        return false;
    *prefix_len = n + 1;
    return true;
}

/* True when file is "containers/<name>" with a plain name (no '/', no leading '.'). */
static bool file_ok(const char *file)
{
    size_t n = strlen(CONT_DIR);
    if (!file || strncmp(file, CONT_DIR, n) != 0)
        return false;
    const char *name = file + n;
    return name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) < 256;
}

static void add_reason(json_t *arr, const char *path, const char *reason)
{
    json_array_append_new(arr, json_pack("{s:s,s:s}", "path", path, "reason", reason));
}

/* One source being read. */
struct cread {
    const struct worker_sink *s;
    int64_t lines, inwin, ts;
    bool has_ts;
};

/* Count and mine one line (cleaned, without its end of line). */
static void one_line(struct cread *r, const char *line, size_t len)
{
    const struct worker_sink *s = r->s;
    size_t skip = 0;
    int64_t v;
    if (worker_docker_ts(line, len, &v, &skip)) {
        r->ts = v;
        r->has_ts = true;
    }
    r->lines++;
    if (r->has_ts && ((s->has_start && r->ts < s->start_ms) || (s->has_end && r->ts >= s->end_ms)))
        return;
    r->inwin++;
    s->counts[worker_level_detect(line + skip, len - skip)]++;
    worker_templates_line_ts(s->tpl, line + skip, len - skip, r->has_ts ? r->ts : -1);
}

/* Read the open file gz with the job's exact line reader (NUL bytes, invalid UTF-8, long
 * lines: see worker_lines.c; counted in the job's input counters). */
static void scan(struct cread *r, gzFile gz)
{
    char *line;
    size_t len;
    worker_lines_begin(r->s->lines, gz, INT64_MAX, r->s->input);
    while (worker_lines_next(r->s->lines, &line, &len))
        one_line(r, line, len);
}

/* Read the container source c (an entry of job.json's "containers"). */
static void one(const struct worker_sink *s, const char *dir, const json_t *c)
{
    const char *name = jsonx_get_str(c, "name");
    const char *file = jsonx_get_str(c, "file");
    char *src = xasprintf("container:%s", name ? name : "?");
    struct cread r = {.s = s};
    gzFile gz = NULL;
    if (!name || !file_ok(file)) {
        add_reason(s->skipped, src, "job.json names no plain file in containers/");
        goto out;
    }
    char *path = xasprintf("%s/%s", dir, file);
    errno = 0;
    gz = gzopen(path, "rbe"); /* a plain file passes through */
    xfree(path);
    if (!gz) {
        add_reason(s->unreadable, src, errno ? strerror(errno) : "cannot open");
        goto out;
    }
    worker_templates_file_begin(s->tpl, -1);
    scan(&r, gz);
    worker_templates_file_end(s->tpl);
    *s->lines_total += r.lines;
    *s->lines_in_window += r.inwin;
    json_array_append_new(s->files, json_pack("{s:s,s:I,s:I,s:b,s:s,s:I}", "path", src, "lines",
                                              (json_int_t)r.lines, "in_window", (json_int_t)r.inwin,
                                              "is_truncated",
                                              json_is_true(json_object_get(c, "is_truncated")),
                                              "start", "window", "from_offset", (json_int_t)0));
    json_array_append_new(s->read, json_string(src));
out:
    if (gz)
        gzclose(gz);
    xfree(src);
}

json_t *worker_contlogs_read(const json_t *job, const struct worker_sink *s)
{
    const char *dir = jsonx_get_str(job, "input_dir");
    const char *why = jsonx_get_str(job, "container_logs_error");
    const json_t *list = json_object_get(job, "containers");
    const json_t *failed = json_object_get(job, "containers_failed");
    size_t i, n_read = json_array_size(s->read);
    const json_t *c;
    json_array_foreach(list, i, c) one(s, dir ? dir : ".", c);
    json_array_foreach(failed, i, c)
    {
        const char *name = jsonx_get_str(c, "name");
        const char *reason = jsonx_get_str(c, "reason");
        char *src = xasprintf("container:%s", name ? name : "?");
        add_reason(s->unreadable, src, reason ? reason : "not read");
        xfree(src);
    }
    if (why)
        add_reason(s->unreadable, "container:*", why);
    json_t *r = json_pack("{s:I,s:I}", "read", (json_int_t)(json_array_size(s->read) - n_read),
                          "failed", (json_int_t)json_array_size(failed));
    jsonx_set_str_or_null(r, "error", why);
    return r;
}
