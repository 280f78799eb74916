/* SPDX-License-Identifier: MIT */
/* worker_formats.c -- the log_formats of log_triage's directive: per path glob, a Loghub
 * format string that splits the lines of the matching files (instead of auto-detection).
 * The orchestrator validates them when the directive is saved; the worker checks again
 * (a job.json is input) and keeps a bad entry with its error, matching nothing. */
#include <fnmatch.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "worker/worker_int.h"

struct entry {
    char *glob;
    char *text; /* the format string */
    char *name; /* "log_formats[i]" */
    struct triage_format *fmt;
    char error[256];
    int64_t files;
};

struct worker_formats {
    struct entry e[WORKER_LOG_FORMATS_MAX];
    size_t n;
};

static void compile(struct entry *e, size_t i, const json_t *item)
{
    struct errbuf eb = {{0}};
    const char *glob = jsonx_get_str(item, "path"), *text = jsonx_get_str(item, "format");
    e->glob = xstrdup(glob ? glob : "");
    e->text = xstrdup(text ? text : "");
    e->name = xasprintf("log_formats[%zu]", i);
    worker_utf8_fix(e->glob, strlen(e->glob));
    worker_utf8_fix(e->text, strlen(e->text));
    if (!glob || !*glob || strlen(glob) > WORKER_LOG_GLOB_MAX)
        snprintf(e->error, sizeof(e->error), "path must be a glob of 1..%d bytes",
                 WORKER_LOG_GLOB_MAX);
    else if (triage_format_compile(text, &e->fmt, &eb) != ERR_OK)
        snprintf(e->error, sizeof(e->error), "%s", errbuf_get(&eb, ERR_INVALID));
}

struct worker_formats *worker_formats_new(const json_t *log_formats)
{
    struct worker_formats *f = xcalloc(1, sizeof(*f));
    size_t i;
    const json_t *item;
    json_array_foreach(log_formats, i, item)
    {
        if (f->n == WORKER_LOG_FORMATS_MAX)
            break;
        compile(&f->e[f->n], i, item);
        f->n++;
    }
    return f;
}

void worker_formats_free(struct worker_formats *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        triage_format_free(f->e[i].fmt);
        xfree(f->e[i].glob);
        xfree(f->e[i].text);
        xfree(f->e[i].name);
    }
    xfree(f);
}

bool worker_formats_apply(struct worker_formats *f, struct worker_templates *w, const char *rel)
{
    for (size_t i = 0; i < f->n; i++) {
        struct entry *e = &f->e[i];
        if (e->fmt && fnmatch(e->glob, rel, 0) == 0) {
            worker_templates_file_format(w, e->fmt, e->name);
            e->files++;
            return true;
        }
    }
    return false;
}

json_t *worker_formats_result(const struct worker_formats *f)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < f->n; i++) {
        const struct entry *e = &f->e[i];
        json_t *o = json_pack("{s:s,s:s,s:I}", "path", e->glob, "format", e->text, "files",
                              (json_int_t)e->files);
        jsonx_set_str_or_null(o, "error", e->error[0] ? e->error : NULL);
        json_array_append_new(arr, o);
    }
    return arr;
}
