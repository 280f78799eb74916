/* SPDX-License-Identifier: MIT */
/* tasks_report.c -- the run report (report.json + report.md), written when a run ends.
 *
 * Built from the stored run (jobs, summaries, token totals), never from raw worker output,
 * so it is small and holds only the key figures each task put in its job summary. */
#include <string.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "core/fs.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "tasks/tasks_int.h"

#define REPORT_MD_MAX (1024 * 1024)

void tasks_md_text(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\n' || *s == '\r')
            buf_puts(b, " ");
        else if (strchr("\\`*_[]<>|#", *s))
            buf_printf(b, "\\%c", *s);
        else
            buf_append(b, s, 1);
    }
}

void tasks_md_value(struct buf *b, const json_t *v)
{
    if (json_is_string(v)) {
        tasks_md_text(b, json_string_value(v));
    } else if (!v || json_is_null(v)) {
        buf_puts(b, "n/a");
    } else {
        char *s = jsonx_dumps(v);
        tasks_md_text(b, s);
        xfree(s);
    }
}

static void md_counts(struct buf *b, const char *title, json_t *counts)
{
    const char *k;
    json_t *v;
    if (!json_is_object(counts) || json_object_size(counts) == 0)
        return;
    buf_printf(b, "\n| %s | count |\n|---|---:|\n", title);
    json_object_foreach(counts, k, v)
    {
        buf_puts(b, "| ");
        tasks_md_text(b, k);
        buf_puts(b, " | ");
        tasks_md_value(b, v);
        buf_puts(b, " |\n");
    }
}

/* The ranked error and warning templates of a log_triage job (text already redacted). */
static void md_findings(struct buf *b, const json_t *tpl)
{
    const json_t *top = json_object_get(tpl, "top_findings");
    size_t i;
    json_t *f;
    if (!json_is_object(tpl))
        return;
    buf_printf(b, "- Records: %lld, templates: %lld\n",
               (long long)json_integer_value(json_object_get(tpl, "records")),
               (long long)json_integer_value(json_object_get(tpl, "templates")));
    if (json_array_size(top) == 0)
        return;
    buf_puts(b, "\n### Top errors and warnings\n\n| level | count | template | example |\n"
                "|---|---:|---|---|\n");
    json_array_foreach(top, i, f)
    {
        buf_puts(b, "| ");
        tasks_md_text(b, jsonx_get_str(f, "level"));
        buf_printf(b, " | %lld | ", (long long)json_integer_value(json_object_get(f, "count")));
        tasks_md_text(b, jsonx_get_str(f, "template"));
        buf_puts(b, " | ");
        tasks_md_text(b, jsonx_get_str(f, "example"));
        buf_puts(b, " |\n");
    }
}

/* The error bursts of a log_triage job: buckets with many more errors than the mean. */
static void md_bursts(struct buf *b, const json_t *tpl)
{
    const json_t *bursts = json_object_get(tpl, "bursts");
    size_t i;
    json_t *x;
    if (json_array_size(bursts) == 0)
        return;
    buf_printf(
        b,
        "\n### Error bursts\n\n%lld s buckets with at least %lld errors.\n\n"
        "| start | end | errors | warnings | top error template |\n|---|---|---:|---:|---|\n",
        (long long)json_integer_value(
            json_object_get(json_object_get(tpl, "burst_stats"), "bucket_seconds")),
        (long long)json_integer_value(
            json_object_get(json_object_get(tpl, "burst_stats"), "threshold")));
    json_array_foreach(bursts, i, x)
    {
        buf_puts(b, "| ");
        tasks_md_text(b, jsonx_get_str(x, "start"));
        buf_puts(b, " | ");
        tasks_md_text(b, jsonx_get_str(x, "end"));
        buf_printf(b, " | %lld | %lld | ",
                   (long long)json_integer_value(json_object_get(x, "errors")),
                   (long long)json_integer_value(json_object_get(x, "warnings")));
        tasks_md_value(b, json_object_get(x, "top_template"));
        buf_puts(b, " |\n");
    }
}

/* "| level | count | ... template |" rows of new templates or spikes (text redacted). */
static void md_template_rows(struct buf *b, const json_t *list, bool is_spike)
{
    size_t i;
    json_t *f;
    json_array_foreach(list, i, f)
    {
        buf_puts(b, "| ");
        tasks_md_text(b, jsonx_get_str(f, "level"));
        buf_printf(b, " | %lld | ", (long long)json_integer_value(json_object_get(f, "count")));
        if (is_spike)
            buf_printf(b, "%.3g | %.1f | ", json_number_value(json_object_get(f, "expected")),
                       json_number_value(json_object_get(f, "ratio")));
        buf_puts(b, "`");
        tasks_md_text(b, jsonx_get_str(f, "key"));
        buf_puts(b, "` | ");
        tasks_md_text(b, jsonx_get_str(f, "template"));
        if (!is_spike) {
            buf_puts(b, " | ");
            tasks_md_text(b, jsonx_get_str(f, "example"));
        }
        buf_puts(b, " |\n");
    }
}

/* What was read of the allowlisted containers' logs. */
static void md_containers(struct buf *b, const json_t *cl)
{
    if (!json_is_object(cl))
        return;
    buf_printf(b, "- Container logs read: %lld, failed: %lld\n",
               (long long)json_integer_value(json_object_get(cl, "read")),
               (long long)json_integer_value(json_object_get(cl, "failed")));
    const char *why = jsonx_get_str(cl, "error");
    if (why) {
        buf_puts(b, "- ");
        tasks_md_text(b, why);
        buf_puts(b, "\n");
    }
}

/* New templates and rate spikes against the template history (see tasks_templates.c). */
static void md_history(struct buf *b, const json_t *tpl)
{
    const json_t *fresh = json_object_get(tpl, "new_templates");
    const json_t *spikes = json_object_get(tpl, "spikes");
    if (json_is_true(json_object_get(tpl, "baseline"))) {
        buf_puts(b, "\n### New templates\n\nBaseline: this is the first log_triage run with a "
                    "template history, so no template counts as new and no rate as a spike.\n");
        return;
    }
    if (json_object_get(tpl, "history_error")) {
        buf_puts(b, "\n### New templates\n\nThe template history could not be read: no new "
                    "templates or rate spikes this time.\n");
        return;
    }
    if (!fresh && !spikes)
        return;
    buf_printf(b, "\n### New templates\n\n%lld template(s) never seen before",
               (long long)json_integer_value(json_object_get(tpl, "new_templates_total")));
    json_int_t variants = json_integer_value(json_object_get(tpl, "variants_total"));
    if (variants > 0)
        buf_printf(b, " (and %lld variant(s) of known templates, not counted as new)",
                   (long long)variants);
    if (json_array_size(fresh) > 0) {
        buf_puts(b, ":\n\n| level | count | key | template | example |\n|---|---:|---|---|---|\n");
        md_template_rows(b, fresh, false);
    } else {
        buf_puts(b, ".\n");
    }
    buf_printf(b,
               "\n### Rate spikes\n\n%lld template(s) at >= %d lines and >= %.0fx their "
               "expected count",
               (long long)json_integer_value(json_object_get(tpl, "spikes_total")),
               TASKS_SPIKE_MIN_COUNT, TASKS_SPIKE_RATIO);
    if (json_array_size(spikes) > 0) {
        buf_puts(b, ":\n\n| level | count | expected | ratio | key | template |\n"
                    "|---|---:|---:|---:|---|---|\n");
        md_template_rows(b, spikes, true);
    } else {
        buf_puts(b, ".\n");
    }
}

static long long int_at(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* One sentence on a log_triage job: what it read and what it found. */
static void md_triage_summary(struct buf *b, const json_t *s)
{
    const json_t *tpl = json_object_get(s, "templates");
    const json_t *counts = json_object_get(s, "counts");
    const json_t *cl = json_object_get(s, "container_logs");
    if (!json_is_object(tpl))
        return;
    buf_printf(b,
               "\n**Summary:** %lld record(s) (%lld error(s), %lld warning(s)) in %lld template(s)",
               int_at(tpl, "records"), int_at(counts, "error"), int_at(counts, "warn"),
               int_at(tpl, "templates"));
    if (json_is_true(json_object_get(tpl, "baseline")))
        buf_puts(b, "; the first run with a template history, so nothing is new yet");
    else if (json_object_get(tpl, "new_templates_total"))
        buf_printf(b, "; %lld new template(s), %lld rate spike(s)",
                   int_at(tpl, "new_templates_total"), int_at(tpl, "spikes_total"));
    buf_printf(b, "; %zu error burst(s); %lld file(s)",
               json_array_size(json_object_get(tpl, "bursts")),
               int_at(json_object_get(s, "files"), "read"));
    if (json_is_object(cl))
        buf_printf(b, " and %lld container log(s)", int_at(cl, "read"));
    buf_puts(b, " read.\n");
}

/* One coverage list ({"first": [...], "more": n}) under title, with its total. */
static void md_cov_list(struct buf *b, const char *title, const json_t *list, json_int_t total)
{
    const json_t *first = json_object_get(list, "first");
    json_int_t more = json_integer_value(json_object_get(list, "more"));
    size_t i;
    const json_t *e;
    buf_printf(b, "- %s: %lld\n", title, (long long)total);
    json_array_foreach(first, i, e)
    {
        buf_puts(b, "  - ");
        tasks_md_text(b, json_is_string(e) ? json_string_value(e) : jsonx_get_str(e, "path"));
        if (jsonx_get_str(e, "reason")) {
            buf_puts(b, ": ");
            tasks_md_text(b, jsonx_get_str(e, "reason"));
        }
        buf_puts(b, "\n");
    }
    if (more > 0)
        buf_printf(b, "  - and %lld more\n", (long long)more);
}

/* What a log_triage job read, skipped and could not read (with reasons), and what it met
 * in the bytes it read (cut lines, NUL bytes, invalid UTF-8...). */
static void md_coverage(struct buf *b, const json_t *s)
{
    const json_t *cov = json_object_get(s, "coverage");
    const json_t *f = json_object_get(s, "files");
    json_t *in = json_object_get(s, "input");
    if (json_is_object(cov)) {
        buf_puts(b, "\n### Coverage\n\n");
        md_cov_list(b, "Read", json_object_get(cov, "read"),
                    json_integer_value(json_object_get(f, "read")));
        md_cov_list(b, "Skipped", json_object_get(cov, "skipped"),
                    json_integer_value(json_object_get(f, "skipped")));
        md_cov_list(b, "Unreadable", json_object_get(cov, "unreadable"),
                    json_integer_value(json_object_get(f, "unreadable")));
    }
    if (json_is_object(in))
        md_counts(b, "input", in);
}

static void md_figures(struct buf *b, const char *task, const json_t *s)
{
    if (strcmp(task, "log_triage") == 0) {
        const json_t *f = json_object_get(s, "files");
        md_triage_summary(b, s);
        buf_printf(b,
                   "\n- Lines in window: %lld of %lld\n- Files read: %lld, skipped: %lld, "
                   "unreadable: %lld\n",
                   (long long)json_integer_value(json_object_get(s, "lines_in_window")),
                   (long long)json_integer_value(json_object_get(s, "lines_total")),
                   (long long)json_integer_value(json_object_get(f, "read")),
                   (long long)json_integer_value(json_object_get(f, "skipped")),
                   (long long)json_integer_value(json_object_get(f, "unreadable")));
        md_containers(b, json_object_get(s, "container_logs"));
        md_findings(b, json_object_get(s, "templates"));
        md_history(b, json_object_get(s, "templates"));
        md_bursts(b, json_object_get(s, "templates"));
        buf_puts(b, "\n### Lines per level\n");
        md_counts(b, "level", json_object_get(s, "counts"));
        md_coverage(b, s);
    } else if (strcmp(task, "gpu_report") == 0) {
        tasks_report_gpu_md(b, s);
    } else if (strcmp(task, "service_map") == 0) {
        buf_puts(b, "\n- Docker: ");
        tasks_md_value(b, json_object_get(s, "docker"));
        buf_printf(b, "\n- Containers: %lld\n",
                   (long long)json_integer_value(json_object_get(s, "container_count")));
        md_counts(b, "state", json_object_get(s, "counts"));
        tasks_svcmap_md(b, json_object_get(s, "map"));
    }
    const char *msg = jsonx_get_str(s, "message");
    if (msg) {
        buf_puts(b, "\n");
        tasks_md_text(b, msg);
        buf_puts(b, "\n");
    }
}

static void md_job(struct buf *b, const json_t *job)
{
    const char *task = jsonx_get_str(job, "task");
    buf_puts(b, "\n## ");
    tasks_md_text(b, task);
    buf_puts(b, ": ");
    tasks_md_text(b, jsonx_get_str(job, "status"));
    buf_puts(b, "\n\nWindow: ");
    tasks_md_value(b, json_object_get(job, "window_start"));
    buf_puts(b, " to ");
    tasks_md_value(b, json_object_get(job, "window_end"));
    buf_puts(b, "\n");
    const char *error = jsonx_get_str(job, "error");
    if (error) {
        buf_puts(b, "\n**Error:** ");
        tasks_md_text(b, error);
        buf_puts(b, "\n");
    }
    const json_t *s = json_object_get(job, "summary");
    if (task && json_is_object(s))
        md_figures(b, task, s);
}

static char *build_md(const json_t *rep)
{
    struct buf b;
    buf_init(&b, REPORT_MD_MAX);
    const json_t *d = json_object_get(rep, "directive");
    const json_t *tt = json_object_get(rep, "token_totals");
    buf_printf(&b, "# Cyberbrain run %lld\n\n- Status: **",
               (long long)json_integer_value(json_object_get(rep, "run_id")));
    tasks_md_text(&b, jsonx_get_str(rep, "status"));
    buf_puts(&b, "**\n- Directive: ");
    if (json_is_object(d)) {
        tasks_md_value(&b, json_object_get(d, "name"));
        buf_puts(&b, " (");
        tasks_md_value(&b, json_object_get(d, "key"));
        buf_puts(&b, ", version ");
        tasks_md_value(&b, json_object_get(d, "version"));
        buf_puts(&b, ")");
    } else {
        buf_puts(&b, "none");
    }
    buf_puts(&b, "\n- Started: ");
    tasks_md_value(&b, json_object_get(rep, "started_at"));
    buf_puts(&b, "\n- Finished: ");
    tasks_md_value(&b, json_object_get(rep, "finished_at"));
    buf_puts(&b, "\n");
    size_t i;
    json_t *job;
    json_array_foreach(json_object_get(rep, "jobs"), i, job)
    {
        md_job(&b, job);
    }
    buf_puts(&b, "\n## Tokens\n\n- Prompt: ");
    tasks_md_value(&b, json_object_get(tt, "prompt_tokens"));
    buf_puts(&b, "\n- Completion: ");
    tasks_md_value(&b, json_object_get(tt, "completion_tokens"));
    buf_puts(&b, "\n- Total: ");
    tasks_md_value(&b, json_object_get(tt, "total_tokens"));
    buf_puts(&b, "\n");
    return buf_take(&b);
}

static json_t *build_json(const json_t *run)
{
    const json_t *snap = json_object_get(run, "directive_snapshot");
    json_t *rep = json_pack(
        "{s:O,s:O,s:O,s:O,s:O,s:O}", "run_id", json_object_get(run, "id"), "status",
        json_object_get(run, "status"), "tasks", json_object_get(run, "tasks"), "token_totals",
        json_object_get(run, "token_totals"), "created_at", json_object_get(run, "created_at"),
        "finished_at", json_object_get(run, "finished_at"));
    if (!rep)
        return NULL;
    json_object_set(rep, "started_at", json_object_get(run, "started_at"));
    json_t *d = json_null();
    if (json_is_object(snap)) {
        d = json_object();
        static const char *const keys[] = {"id", "key", "name", "version", NULL};
        for (size_t k = 0; keys[k]; k++)
            if (json_object_get(snap, keys[k]))
                json_object_set(d, keys[k], json_object_get(snap, keys[k]));
    }
    json_object_set_new(rep, "directive", d);
    json_t *jobs = json_array();
    size_t i;
    json_t *j;
    json_array_foreach(json_object_get(run, "jobs"), i, j)
    {
        static const char *const keys[] = {"task",         "status",     "error",
                                           "window_start", "window_end", "started_at",
                                           "finished_at",  "summary",    NULL};
        json_t *o = json_pack("{s:O}", "job_id", json_object_get(j, "id"));
        for (size_t k = 0; o && keys[k]; k++)
            json_object_set(o, keys[k], json_object_get(j, keys[k]));
        if (o)
            json_array_append_new(jobs, o);
    }
    json_object_set_new(rep, "jobs", jobs);
    return rep;
}

/* Write one report file and record it as a run artifact. */
static enum err save(struct tasks *t,
                     int64_t run_id,
                     const char *name,
                     const char *text,
                     const char *content_type,
                     struct errbuf *eb)
{
    char sha[CRYPTO_SHA256_HEX_LEN];
    char *dir = tasks_run_dir(t, run_id);
    char *path = xasprintf("%s/%s", dir, name);
    size_t len = strlen(text);
    enum err e = fs_mkdir_p(dir, 0755, eb);
    if (e == ERR_OK)
        e = fs_write_atomic(path, text, len, eb);
    if (e == ERR_OK) {
        crypto_sha256_hex(text, len, sha);
        e = store_artifact_add(t->opts.st, run_id, 0, name, (int64_t)len, sha, content_type, eb);
    }
    xfree(path);
    xfree(dir);
    return e;
}

/* The run's finished_at is set by store_run_end, after the report is built: until then the
 * report says the run finished when its last job did (ISO text sorts as time). */
static void set_finished(json_t *run)
{
    const char *last = NULL;
    size_t i;
    json_t *j;
    if (json_is_string(json_object_get(run, "finished_at")))
        return;
    json_array_foreach(json_object_get(run, "jobs"), i, j)
    {
        const char *f = jsonx_get_str(j, "finished_at");
        if (f && (!last || strcmp(f, last) > 0))
            last = f;
    }
    if (last)
        json_object_set_new(run, "finished_at", json_string(last));
}

void tasks_report_write(struct tasks *t, int64_t run_id)
{
    struct errbuf eb = {0};
    json_t *run = NULL, *rep = NULL;
    char *md = NULL, *js = NULL;
    char status[16] = "";
    /* The report carries the status the run is about to get; store_run_end then sets both
     * in one transaction, so nobody sees an ended run without its report. */
    enum err e = store_run_outcome(t->opts.st, run_id, status, sizeof(status), &eb);
    if (e == ERR_OK)
        e = store_run_get(t->opts.st, run_id, &run, &eb);
    if (e == ERR_OK && status[0])
        json_object_set_new(run, "status", json_string(status));
    if (e == ERR_OK)
        set_finished(run);
    if (e == ERR_OK) {
        rep = build_json(run);
        e = rep ? ERR_OK
                : errbuf_set(&eb, ERR_INTERNAL, "run %lld is missing fields", (long long)run_id);
    }
    if (e == ERR_OK) {
        /* Reports leave the process (files, API): the directive text and every stored text
         * pass the redactor once more (idempotent on what was redacted before). */
        static const char *const keep[] = {"key", "top_key", "container_id", NULL};
        tasks_redact_json(t->opts.cfg, rep, keep);
    }
    if (e == ERR_OK) {
        md = build_md(rep);
        js = json_dumps(rep, JSON_INDENT(2));
        e = save(t, run_id, "report.json", js, "application/json", &eb);
    }
    if (e == ERR_OK)
        e = save(t, run_id, "report.md", md, "text/markdown", &eb);
    if (e != ERR_OK)
        log_error("tasks", "event=report.fail run_id=%lld err=%s", (long long)run_id, err_name(e));
    /* The run ends even when its report could not be written. */
    e = store_run_end(t->opts.st, run_id, e == ERR_OK ? md : NULL, e == ERR_OK ? js : NULL, &eb);
    if (e != ERR_OK)
        log_error("tasks", "event=run.end_fail run_id=%lld err=%s", (long long)run_id, err_name(e));
    log_info("tasks", "event=run.end run_id=%lld status=%s", (long long)run_id,
             status[0] ? status : "?");
    if (t->opts.ev) {
        json_t *ev = json_pack("{s:I,s:s}", "run_id", (json_int_t)run_id, "status",
                               status[0] ? status : "unknown");
        char *s = jsonx_dumps(ev);
        events_publish(t->opts.ev, run_id, "run", s);
        xfree(s);
        json_decref(ev);
    }
    xfree(md);
    xfree(js);
    json_decref(rep);
    json_decref(run);
}
