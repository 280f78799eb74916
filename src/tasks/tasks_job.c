/* SPDX-License-Identifier: MIT */
/* tasks_job.c -- one job from claim to finish: job folder, job.json, worker, result.json.
 *
 * Layout under CYBER_BRAIN_UPLOADS: runs/<run>/jobs/<job>/{input/job.json, output/} while
 * the worker runs; afterwards runs/<run>/jobs/<job>/result.json (and worker-stderr.log when
 * the worker wrote to stderr) stay as artifacts, both redacted, and the scratch folders
 * (job.json, which holds log_triage's redaction key, with them) are removed. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/fs.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "docker/docker.h"
#include "tasks/tasks_int.h"

char *tasks_run_dir(const struct tasks *t, int64_t run_id)
{
    return xasprintf("%s/runs/%lld", t->opts.cfg->uploads_dir, (long long)run_id);
}

void tasks_job_publish(struct tasks *t,
                       const struct store_claim *c,
                       const char *status,
                       const char *error)
{
    if (!t->opts.ev)
        return;
    json_t *j = json_pack("{s:I,s:I,s:s,s:s}", "job_id", (json_int_t)c->job_id, "run_id",
                          (json_int_t)c->run_id, "task", c->task, "status", status);
    jsonx_set_str_or_null(j, "error", error);
    char *s = jsonx_dumps(j);
    events_publish(t->opts.ev, c->run_id, "job", s);
    xfree(s);
    json_decref(j);
}

/* Return path made absolute against the working folder (caller frees). */
static char *abs_path(const char *path)
{
    char cwd[PATH_MAX];
    if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
        return xstrdup(path);
    return xasprintf("%s/%s", cwd, path[0] == '.' && path[1] == '/' ? path + 2 : path);
}

/* Add the container inventory (or why there is none) to job for service_map: id, name,
 * image, state for every container, details only for allowlisted ones (redacted). The
 * items of the run snapshot this job just took serve when there are some. */
static void add_inventory(const struct tasks_job *tj, json_t *job)
{
    struct errbuf eb = {0};
    json_t *inv = json_incref(tj->inventory);
    enum err e = inv ? ERR_OK : tasks_inventory_collect(tj->t->opts.cfg, tj->t->opts.st, &inv, &eb);
    if (e == ERR_OK) {
        json_object_set_new(job, "observed", tasks_observed_collect(tj->t->opts.cfg, inv));
        json_object_set_new(job, "inventory", inv);
    } else
        json_object_set_new(job, "inventory_error", json_string(errbuf_get(&eb, e)));
    /* The engine's networks (name, driver, scope, internal: no addresses) for the map. */
    json_t *nets = NULL;
    if (e == ERR_OK && docker_networks_list(tj->t->opts.cfg->docker_socket, &nets, &eb) == ERR_OK) {
        tasks_redact_json(tj->t->opts.cfg, nets, NULL);
        json_object_set_new(job, "networks", nets);
    }
}

/* Give gpu_report the allowlisted containers (id and redacted name, from the run's
 * inventory: the only ones it names) and where the host's /proc is: mounted at
 * TASKS_HOST_PROC in a docker worker (only for an image that requires a GPU; without the
 * mount the worker names no container), the real /proc for the process runtime. */
static void add_gpu_input(const struct tasks_job *tj, json_t *job)
{
    json_t *list = json_array(), *inv = json_incref(tj->inventory);
    size_t i;
    const json_t *it;
    /* The run's snapshot was taken by another of its jobs: read the engine again. */
    if (!inv && tasks_inventory_collect(tj->t->opts.cfg, tj->t->opts.st, &inv, NULL) != ERR_OK)
        inv = NULL;
    json_array_foreach(inv, i, it)
    {
        if (!json_is_true(json_object_get(it, "is_allowlisted")))
            continue;
        json_t *c = json_pack("{s:O?,s:O?}", "container_id", json_object_get(it, "container_id"),
                              "name", json_object_get(it, "name"));
        json_array_append_new(list, c);
    }
    json_decref(inv);
    json_object_set_new(job, "containers", list);
    bool is_docker = tj->t->rt == &tasks_runtime_docker;
    json_object_set_new(job, "proc_root", json_string(is_docker ? TASKS_HOST_PROC : "/proc"));
}

/* Give log_triage the redaction key (hex) so its template text and examples carry the same
 * pseudonyms as the orchestrator's. job.json lives in the job's input folder, which is
 * removed when the job ends, and is never kept as an artifact. */
static void add_redact_key(const struct config *cfg, json_t *j)
{
    char hex[2 * CONFIG_REDACT_KEY_LEN + 1];
    if (cfg->redact_key_len == 0)
        return;
    for (size_t i = 0; i < cfg->redact_key_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", cfg->redact_key[i]);
    json_object_set_new(j, "redact_key", json_string(hex));
    explicit_bzero(hex, sizeof(hex));
}

static enum err write_job_json(struct tasks_job *job, struct errbuf *eb)
{
    const struct store_claim *c = &job->claim;
    json_t *j = json_pack("{s:s,s:I,s:I}", "task", c->task, "job_id", (json_int_t)c->job_id,
                          "run_id", (json_int_t)c->run_id);
    jsonx_set_str_or_null(j, "window_start", c->window_start);
    jsonx_set_str_or_null(j, "window_end", c->window_end);
    json_t *dir = NULL;
    if (c->directive_snapshot)
        jsonx_parse(c->directive_snapshot, strlen(c->directive_snapshot), TASKS_RESULT_MAX, &dir,
                    NULL);
    json_object_set_new(j, "directive", dir ? dir : json_null());
    json_t *cfg = store_snapshot_task_config(dir, c->task); /* the settings the task obeys */
    json_object_set_new(j, "config", cfg);
    const char *rt_logs = job->t->rt->logs_dir;
    char *logs = rt_logs ? xstrdup(rt_logs) : abs_path(job->t->opts.cfg->logs_dir);
    json_object_set_new(j, "logs_dir", json_string(logs));
    xfree(logs);
    if (strcmp(c->task, "service_map") == 0)
        add_inventory(job, j);
    if (strcmp(c->task, "gpu_report") == 0)
        add_gpu_input(job, j);
    json_t *cursors = NULL;
    enum err e = ERR_OK;
    if (strcmp(c->task, "log_triage") == 0) {
        add_redact_key(job->t->opts.cfg, j);
        tasks_contlogs_add(job, j);
        e = store_cursor_list(job->t->opts.st, &cursors, eb);
        json_object_set_new(j, "cursors", e == ERR_OK ? cursors : json_array());
        const json_t *lf = json_object_get(cfg, "log_formats");
        json_object_set_new(j, "log_formats",
                            json_is_array(lf) ? json_deep_copy(lf) : json_array());
    }
    char *text = jsonx_dumps(j);
    char *path = xasprintf("%s/job.json", job->input_dir);
    if (e == ERR_OK)
        e = fs_write_atomic(path, text, strlen(text), eb);
    xfree(path);
    xfree(text);
    json_decref(j);
    return e;
}

static enum err prepare(struct tasks_job *job, struct errbuf *eb)
{
    /* A folder left by an earlier attempt is stale: start clean. */
    enum err e = fs_rm_rf(job->input_dir, eb);
    if (e == ERR_OK)
        e = fs_rm_rf(job->output_dir, eb);
    if (e == ERR_OK)
        e = fs_mkdir_p(job->input_dir, 0755, eb);
    if (e == ERR_OK)
        e = fs_mkdir_p(job->output_dir, 0755, eb);
    if (e == ERR_OK)
        e = write_job_json(job, eb);
    return e;
}

/* Write data as <job_dir>/<name> and record it as an artifact of the run. */
static void save_artifact(
    struct tasks_job *job, const char *name, const char *data, size_t len, const char *content_type)
{
    struct errbuf eb = {0};
    char sha[CRYPTO_SHA256_HEX_LEN];
    char *path = xasprintf("%s/%s", job->job_dir, name);
    char *rel = xasprintf("jobs/%lld/%s", (long long)job->claim.job_id, name);
    enum err e = fs_write_atomic(path, data, len, &eb);
    if (e == ERR_OK) {
        crypto_sha256_hex(data, len, sha);
        e = store_artifact_add(job->t->opts.st, job->claim.run_id, job->claim.job_id, rel,
                               (int64_t)len, sha, content_type, &eb);
    }
    if (e != ERR_OK)
        log_error("tasks", "event=artifact.fail job_id=%lld name=%s err=%s",
                  (long long)job->claim.job_id, rel, err_name(e));
    xfree(rel);
    xfree(path);
}

#define COVERAGE_LIST_MAX 20  /* entries of each coverage list in a summary */
#define COVERAGE_PATH_MAX 120 /* bytes of a path there */

/* Copy the listed keys of result into summary when present. */
static void pick(json_t *summary, const json_t *result, const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++) {
        json_t *v = json_object_get(result, keys[i]);
        if (v)
            json_object_set(summary, keys[i], v);
    }
}

static json_t *coverage_counts(const json_t *result)
{
    const json_t *cov = json_object_get(result, "coverage");
    return json_pack("{s:I,s:I,s:I}", "read",
                     (json_int_t)json_array_size(json_object_get(cov, "read")), "skipped",
                     (json_int_t)json_array_size(json_object_get(cov, "skipped")), "unreadable",
                     (json_int_t)json_array_size(json_object_get(cov, "unreadable")));
}

/* s, cut to COVERAGE_PATH_MAX bytes on a UTF-8 character boundary ("..." marks a cut). */
static json_t *short_path(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n <= COVERAGE_PATH_MAX)
        return json_string(s ? s : "");
    n = COVERAGE_PATH_MAX - 3;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    char *cut = xasprintf("%.*s...", (int)n, s);
    json_t *v = json_string(cut);
    xfree(cut);
    return v;
}

/* {"first": the first COVERAGE_LIST_MAX entries of list (paths cut), "more": the others}. */
static json_t *bounded(const json_t *list)
{
    json_t *first = json_array();
    size_t i, n = json_array_size(list);
    const json_t *e;
    json_array_foreach(list, i, e)
    {
        if (i == COVERAGE_LIST_MAX)
            break;
        if (json_is_string(e)) {
            json_array_append_new(first, short_path(json_string_value(e)));
            continue;
        }
        json_t *o = json_pack("{s:o}", "path", short_path(jsonx_get_str(e, "path")));
        json_object_set(o, "reason", json_object_get(e, "reason"));
        json_array_append_new(first, o);
    }
    return json_pack("{s:o,s:I}", "first", first, "more",
                     (json_int_t)(n > COVERAGE_LIST_MAX ? n - COVERAGE_LIST_MAX : 0));
}

/* What a log_triage job read, skipped and could not read, with reasons (bounded). */
static json_t *coverage_lists(const json_t *result)
{
    const json_t *cov = json_object_get(result, "coverage");
    return json_pack("{s:o,s:o,s:o}", "read", bounded(json_object_get(cov, "read")), "skipped",
                     bounded(json_object_get(cov, "skipped")), "unreadable",
                     bounded(json_object_get(cov, "unreadable")));
}

/* Return the job summary (JSON text, caller frees): the key figures, at most 16 KiB. */
static char *make_summary(const char *task, const json_t *result)
{
    static const char *const common[] = {"status", "reason", "message", NULL};
    static const char *const triage[] = {
        "counts", "lines_total", "lines_in_window", "templates", "container_logs", "input", NULL};
    static const char *const gpu[] = {
        "driver", "source",   "gpu_count",        "gpus",       "containers",
        "alerts", "planning", "processes_reason", "sampled_at", "containers_reason",
        NULL};
    static const char *const smap[] = {"docker", "container_count", "counts", "map", NULL};
    json_t *s = json_object();
    pick(s, result, common);
    if (strcmp(task, "log_triage") == 0) {
        pick(s, result, triage);
        json_object_set_new(s, "files", coverage_counts(result));
        json_object_set_new(s, "coverage", coverage_lists(result));
    } else if (strcmp(task, "gpu_report") == 0) {
        pick(s, result, gpu);
    } else if (strcmp(task, "service_map") == 0) {
        pick(s, result, smap);
    }
    json_t *tpl = json_object_get(s, "templates");
    if (json_is_object(tpl)) {
        /* templates.all (up to 2000) stays in result.json and the template history. */
        json_t *cp = json_copy(tpl);
        json_object_del(cp, "all");
        json_object_set_new(s, "templates", cp);
    }
    char *text = jsonx_dumps(s);
    if (strlen(text) > TASKS_SUMMARY_MAX && json_object_del(s, "coverage") == 0) {
        xfree(text); /* the lists are what can be cut: keep the figures */
        text = jsonx_dumps(s);
    }
    json_decref(s);
    if (strlen(text) > TASKS_SUMMARY_MAX) {
        xfree(text);
        text = xstrdup("{\"note\":\"summary too large; see result.json\"}");
    }
    return text;
}

struct verdict {
    const char *status;         /* success, failed, cancelled */
    char *error;                /* NULL on success */
    char *summary;              /* JSON text or NULL */
    json_t *cursors;            /* log_triage's new read positions (validated), or NULL */
    json_t *gpu;                /* gpu_report's result for the history, or NULL */
    struct tasks_templates tpl; /* log_triage's templates for the history, or empty */
};

static void verdict_fail(struct verdict *v, const char *status, char *error_take)
{
    v->status = status;
    xfree(v->error);
    v->error = error_take;
}

/* For a successful log_triage result r: check its cursors and templates into v, and add
 * what the templates mean (new, spikes) to r's templates. Returns why the job must fail
 * (caller frees) or NULL. */
static char *triage_outputs(struct tasks_job *job, json_t *r, struct verdict *v)
{
    struct errbuf eb = {0};
    json_t *cur = json_object_get(r, "cursors");
    if (cur && store_cursor_validate(cur, &eb) != ERR_OK)
        return xasprintf("result.json: %s", errbuf_get(&eb, ERR_INVALID));
    enum err e = tasks_templates_judge(job->t, &job->claim, r, &v->tpl, &eb);
    if (e != ERR_OK)
        return xasprintf("result.json: %s", errbuf_get(&eb, e));
    json_t *tpl = json_object_get(r, "templates");
    if (v->tpl.findings && json_is_object(tpl))
        json_object_update(tpl, v->tpl.findings);
    v->cursors = json_incref(cur);
    return NULL;
}

/* Keep result.json (redacted) as an artifact. */
static void keep_result(struct tasks_job *job, const json_t *r)
{
    char *text = json_dumps(r, JSON_COMPACT);
    if (text)
        save_artifact(job, "result.json", text, strlen(text), "application/json");
    xfree(text);
}

/* Parse output/result.json into *r (a result object of the job's task); false after
 * failing v. */
static bool
read_result(struct tasks_job *job, struct verdict *v, char **data, size_t *len, json_t **r)
{
    struct errbuf eb = {0};
    char *path = xasprintf("%s/result.json", job->output_dir);
    enum err e = fs_read_file(path, TASKS_RESULT_MAX, data, len, &eb);
    xfree(path);
    if (e == ERR_TOO_LARGE) {
        verdict_fail(
            v, "failed",
            xasprintf("result.json is larger than %d MiB", TASKS_RESULT_MAX / (1024 * 1024)));
        return false;
    }
    if (e != ERR_OK) {
        verdict_fail(v, "failed", xstrdup("the worker wrote no result.json"));
        return false;
    }
    e = jsonx_parse(*data, *len, TASKS_RESULT_MAX, r, &eb);
    if (e != ERR_OK) {
        verdict_fail(v, "failed",
                     xasprintf("result.json is not valid JSON: %s", errbuf_get(&eb, e)));
        return false;
    }
    const char *task = jsonx_get_str(*r, "task");
    if (!json_is_object(*r) || !task || strcmp(task, job->claim.task) != 0) {
        verdict_fail(v, "failed",
                     xasprintf("result.json is not a result object of task %s", job->claim.task));
        return false;
    }
    return true;
}

/* Read, check and keep output/result.json; fills v. */
static void collect(struct tasks_job *job, struct verdict *v)
{
    char *data = NULL, *bad = NULL;
    size_t len = 0;
    json_t *r = NULL;
    /* What the worker wrote (paths, reasons, names) is text from outside: the artifact, the
     * summary and the error keep it redacted. Cursors carry the worker's redacted names and
     * their digests; keys are the miner's. */
    static const char *const keep[] = {"cursors",  "key",  "top_key", "container_id",
                                       "gpu_uuid", "uuid", NULL};
    if (!read_result(job, v, &data, &len, &r))
        goto out;
    tasks_redact_json(job->t->opts.cfg, r, keep);
    const char *status = jsonx_get_str(r, "status");
    const char *reason = jsonx_get_str(r, "reason");
    bool is_success = status && strcmp(status, "success") == 0;
    bool is_triage = strcmp(job->claim.task, "log_triage") == 0;
    if (is_success && is_triage)
        bad = triage_outputs(job, r, v);
    if (is_success && strcmp(job->claim.task, "gpu_report") == 0) {
        tasks_gpu_enrich(job->t, &job->claim, r);
        v->gpu = json_incref(r);
    }
    if (is_success && strcmp(job->claim.task, "service_map") == 0 && json_object_get(r, "graph"))
        bad = tasks_svcmap_keep(job, r);
    keep_result(job, r);
    v->summary = make_summary(job->claim.task, r);
    if (bad) {
        verdict_fail(v, "failed", bad);
        tasks_templates_fini(&v->tpl);
        json_decref(v->cursors);
        v->cursors = NULL;
    } else if (is_success)
        v->status = "success";
    else if (status && strcmp(status, "failed") == 0)
        verdict_fail(v, "failed", xstrdup(reason ? reason : "the task reported a failure"));
    else
        verdict_fail(v, "failed", xstrdup("result.json has no status success or failed"));
out:
    json_decref(r);
    xfree(data);
}

/* Return "300 s" or "500 ms" for a timeout (caller frees). */
static char *timeout_text(int64_t ms)
{
    if (ms % 1000 == 0)
        return xasprintf("%lld s", (long long)(ms / 1000));
    return xasprintf("%lld ms", (long long)ms);
}

/* The first line of the worker's stderr, cut, for error messages (caller frees) or NULL. */
static char *stderr_hint(const struct tasks_job *job)
{
    if (!job->stderr_text || !job->stderr_text[0])
        return NULL;
    size_t n = strcspn(job->stderr_text, "\n");
    return xstrndup(job->stderr_text, n > 160 ? 160 : n);
}

/* Turn how the wait ended into a verdict. */
static void judge(struct tasks_job *job, enum tasks_outcome oc, struct verdict *v)
{
    int64_t timeout_ms = job->t->opts.cfg->job_timeout_ms;
    /* A worker killed by tasks_stop may be seen as exited before the flag is. */
    if (oc == TASKS_EXITED && job->exit_code != 0 && tasks_is_stopping(job->t))
        oc = TASKS_SHUTDOWN;
    if (oc == TASKS_TIMED_OUT) {
        char *t = timeout_text(timeout_ms);
        verdict_fail(v, "failed", xasprintf("deadline of %s exceeded", t));
        xfree(t);
    } else if (oc == TASKS_CANCELLED) {
        verdict_fail(v, "cancelled", xstrdup("run cancelled"));
    } else if (oc == TASKS_SHUTDOWN) {
        verdict_fail(v, "failed", xstrdup("orchestrator shut down"));
    } else if (oc == TASKS_LOST) {
        verdict_fail(v, "failed", xstrdup(job->stderr_text ? job->stderr_text : "worker lost"));
    } else if (job->exit_code != 0) {
        char *hint = stderr_hint(job);
        char *what = job->exit_code < 0 ? xasprintf("killed by signal %d", job->term_signal)
                                        : xasprintf("exited with status %d", job->exit_code);
        verdict_fail(v, "failed",
                     xasprintf("worker %s%s%s", what, hint ? ": " : "", hint ? hint : ""));
        xfree(what);
        xfree(hint);
    } else {
        collect(job, v);
    }
}

/* Put job in a free running slot (or take it out); the slot lets tasks_stop kill it. */
static void track(struct tasks *t, struct tasks_job *job, bool is_add)
{
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < t->n_running_cap; i++) {
        if (is_add ? t->running[i] == NULL : t->running[i] == job) {
            t->running[i] = is_add ? job : NULL;
            break;
        }
    }
    pthread_mutex_unlock(&t->mu);
}

static void finish(struct tasks_job *job, struct verdict *v)
{
    struct errbuf eb = {0};
    bool is_run_done = false;
    const struct store_claim *c = &job->claim;
    struct store_job_outputs out = {.cursors = v->cursors,
                                    .templates = v->tpl.persist,
                                    .window_hours = v->tpl.window_hours,
                                    .gpu_sample = v->gpu};
    /* Errors quote worker stderr, result.json reasons and engine errors: never raw. */
    char *error = tasks_redact_dup(job->t->opts.cfg, v->error);
    xfree(v->error);
    v->error = error;
    enum err e = store_job_finish(job->t->opts.st, c->job_id, v->status, v->error, v->summary, &out,
                                  &is_run_done, &eb);
    if (e != ERR_OK) {
        log_error("tasks", "event=job.finish_fail job_id=%lld err=%s", (long long)c->job_id,
                  err_name(e));
        return;
    }
    log_info("tasks", "event=job.end job_id=%lld run_id=%lld task=%s status=%s",
             (long long)c->job_id, (long long)c->run_id, c->task, v->status);
    tasks_job_publish(job->t, c, v->status, v->error);
    if (is_run_done)
        tasks_report_write(job->t, c->run_id);
}

void tasks_job_init(struct tasks_job *job, struct tasks *t, const struct store_claim *claim)
{
    memset(job, 0, sizeof(*job));
    job->t = t;
    job->claim = *claim;
    char *run_dir = tasks_run_dir(t, claim->run_id);
    job->job_dir = xasprintf("%s/jobs/%lld", run_dir, (long long)claim->job_id);
    job->input_dir = xasprintf("%s/input", job->job_dir);
    job->output_dir = xasprintf("%s/output", job->job_dir);
    xfree(run_dir);
}

/* Keep stderr, finish the job with v, remove the scratch folders, free v and job's strings. */
static void conclude(struct tasks_job *job, struct verdict *v)
{
    if (job->stderr_text)
        save_artifact(job, "worker-stderr.log", job->stderr_text, strlen(job->stderr_text),
                      "text/plain");
    finish(job, v);
    fs_rm_rf(job->input_dir, NULL);
    fs_rm_rf(job->output_dir, NULL);
    xfree(v->error);
    xfree(v->summary);
    json_decref(v->cursors);
    json_decref(v->gpu);
    tasks_templates_fini(&v->tpl);
    json_decref(job->inventory);
    job->inventory = NULL;
    xfree(job->stderr_text);
    xfree(job->job_dir);
    xfree(job->input_dir);
    xfree(job->output_dir);
    job->stderr_text = job->job_dir = job->input_dir = job->output_dir = NULL;
}

/* Redact the worker's stderr once, before it is quoted in an error or kept as an artifact. */
static void redact_stderr(struct tasks_job *job)
{
    char *red = tasks_redact_dup(job->t->opts.cfg, job->stderr_text);
    xfree(job->stderr_text);
    job->stderr_text = red;
}

void tasks_job_end(struct tasks_job *job, enum tasks_outcome oc)
{
    struct verdict v = {.status = "failed"};
    redact_stderr(job);
    judge(job, oc, &v);
    conclude(job, &v);
}

void tasks_job_fail(struct tasks_job *job, const char *error)
{
    struct verdict v = {.status = "failed", .error = xstrdup(error)};
    redact_stderr(job);
    conclude(job, &v);
}

/* Register job_id as handled by this process (or forget it); see tasks_run_one. */
static void track_id(struct tasks *t, int64_t job_id, bool is_add)
{
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < t->n_running_cap; i++) {
        if (t->inflight[i] == (is_add ? 0 : job_id)) {
            t->inflight[i] = is_add ? job_id : 0;
            break;
        }
    }
    pthread_mutex_unlock(&t->mu);
}

void tasks_job_claimed(struct tasks *t, int64_t job_id)
{
    track_id(t, job_id, true);
}

bool tasks_job_is_inflight(struct tasks *t, int64_t job_id)
{
    bool yes = false;
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < t->n_running_cap && !yes; i++)
        yes = t->inflight[i] == job_id;
    pthread_mutex_unlock(&t->mu);
    return yes;
}

/* The reason a worker could not start (caller frees): an engine that does not answer is
 * named as such, so the job error says what to fix. */
static char *start_error(const struct tasks *t, enum err e, struct errbuf *eb)
{
    if (e == ERR_UNAVAILABLE && t->rt == &tasks_runtime_docker)
        return xasprintf("docker engine unavailable at %s: %s", t->opts.cfg->docker_socket,
                         errbuf_get(eb, e));
    return xasprintf("cannot start the worker: %s", errbuf_get(eb, e));
}

void tasks_job_run(struct tasks *t, struct store_claim *claim)
{
    struct tasks_job job;
    struct errbuf eb = {0};
    enum tasks_outcome oc = TASKS_EXITED;
    tasks_job_init(&job, t, claim);
    log_info("tasks", "event=job.start job_id=%lld run_id=%lld task=%s runtime=%s",
             (long long)claim->job_id, (long long)claim->run_id, claim->task, t->rt->name);
    tasks_job_publish(t, claim, "running", NULL);
    job.inventory = tasks_inventory_on_job(t, claim);
    enum err e = prepare(&job, &eb);
    if (e == ERR_OK) {
        track(t, &job, true);
        e = t->rt->start(&job, &eb);
        if (e == ERR_OK)
            oc = t->rt->wait(&job, clock_mono_ms() + t->opts.cfg->job_timeout_ms);
        track(t, &job, false);
    }
    if (e == ERR_OK) {
        tasks_job_end(&job, oc);
    } else {
        char *why = start_error(t, e, &eb);
        tasks_job_fail(&job, why);
        xfree(why);
    }
    track_id(t, claim->job_id, false);
}
