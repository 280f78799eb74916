/* SPDX-License-Identifier: MIT */
/* tasks_contlogs.c -- the logs of allowlisted containers as a log_triage source.
 *
 * Before a log_triage worker starts, the orchestrator (never the worker: it has no socket)
 * lists the engine's containers, keeps those store_container_is_allowed accepts (the rule
 * the inventory uses), and asks the engine for each one's lines in the job's window
 * (`since`/`until`, stdout and stderr, with timestamps; a TTY container sends one raw
 * stream, the others a framed one). Each container's text is capped, and so is the total;
 * it is written as input/containers/<safe name>-<id12>.log, which the worker reads from its
 * input folder. job.json says what was written ("containers") and what could not be
 * ("containers_failed", or "container_logs_error" when the engine does not answer): a
 * missing container or a failed call never fails the job. */
#include <string.h>

#include "core/clock.h"
#include "core/fs.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "docker/docker.h"
#include "tasks/tasks_int.h"

#define ALLOW_LIST_MAX 1000   /* allowlist entries looked at for "gone" */
#define CALL_MAX_MS    60000L /* one logs call */
#define BUDGET_MS      120000 /* all the logs calls of one job */

/* obj[key] as a string, "" when absent. */
static const char *str_or_empty(const json_t *obj, const char *key)
{
    const char *s = jsonx_get_str(obj, key);
    return s ? s : "";
}

void tasks_contlogs_file_name(const char *name, const char *id, char *out, size_t cap)
{
    size_t n = 0;
    const char *s = name ? name : "";
    if (cap < 32) {
        if (cap)
            out[0] = '\0';
        return;
    }
    /* Room for "-" + 12 id characters + ".log" + NUL. */
    size_t room = cap - 18 < TASKS_CONTLOGS_NAME_MAX ? cap - 18 : TASKS_CONTLOGS_NAME_MAX;
    for (; *s && n < room; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || (c == '.' && n > 0);
        out[n++] = ok ? c : '_';
    }
    if (n == 0)
        out[n++] = 'c';
    out[n++] = '-';
    for (size_t i = 0; id && id[i] && i < 12; i++) {
        char c = id[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        out[n++] = ok ? c : '_';
    }
    memcpy(out + n, ".log", 5);
}

/* True when allowlist reference ref names the container id / name (the store's rule). */
static bool ref_names(const char *ref, const char *id, const char *name)
{
    size_t n = strlen(ref);
    return strcmp(ref, name) == 0 || strcmp(ref, id) == 0 || (n >= 12 && strncmp(id, ref, n) == 0);
}

struct collect {
    struct tasks_job *job;
    json_t *done;        /* [{name, id, file, bytes, is_truncated, is_tty}] */
    json_t *failed;      /* [{name, id (or null), reason}] */
    size_t total;        /* bytes written so far */
    int64_t deadline_ms; /* monotonic: no logs call starts after it */
};

static void fail(struct collect *c, const char *name, const char *id, const char *reason)
{
    json_t *f = json_pack("{s:s,s:s}", "name", name, "reason", reason);
    jsonx_set_str_or_null(f, "id", id);
    json_array_append_new(c->failed, f);
    log_warn("tasks", "event=contlogs.skip job_id=%lld container=%.64s reason=\"%.120s\"",
             (long long)c->job->claim.job_id, name, reason);
}

/* The window of the job as the engine's query, with the caps left. */
static void make_query(const struct collect *c, bool is_tty, struct docker_logs_query *q)
{
    const struct store_claim *cl = &c->job->claim;
    size_t left = TASKS_CONTLOGS_TOTAL_MAX - c->total;
    memset(q, 0, sizeof(*q));
    q->since_ms = q->until_ms = -1;
    if (cl->window_start && !clock_iso_parse(cl->window_start, &q->since_ms))
        q->since_ms = -1;
    if (cl->window_end && !clock_iso_parse(cl->window_end, &q->until_ms))
        q->until_ms = -1;
    q->is_tty = is_tty;
    q->max_bytes = left < TASKS_CONTLOGS_FILE_MAX ? left : TASKS_CONTLOGS_FILE_MAX;
    int64_t ms = c->deadline_ms - clock_mono_ms();
    q->timeout_ms = ms < CALL_MAX_MS ? (long)(ms > 1000 ? ms : 1000) : CALL_MAX_MS;
}

/* Write the text of one container (cut to whole lines when truncated) and list it. */
static enum err
save(struct collect *c, const char *name, const char *id, struct buf *text, bool is_cut, bool tty)
{
    struct errbuf eb = {{0}};
    char file[TASKS_CONTLOGS_NAME_MAX + 32];
    size_t len = buf_len(text);
    if (is_cut) {
        const char *nl = memrchr(buf_str(text), '\n', len);
        len = nl ? (size_t)(nl - buf_str(text)) + 1 : 0;
    }
    tasks_contlogs_file_name(name, id, file, sizeof(file));
    char *path = xasprintf("%s/containers/%s", c->job->input_dir, file);
    enum err e = fs_write_atomic(path, buf_str(text), len, &eb);
    xfree(path);
    if (e != ERR_OK) {
        fail(c, name, id, errbuf_get(&eb, e));
        return e;
    }
    c->total += len;
    char *rel = xasprintf("containers/%s", file);
    json_array_append_new(c->done, json_pack("{s:s,s:s,s:s,s:I,s:b,s:b}", "name", name, "id", id,
                                             "file", rel, "bytes", (json_int_t)len, "is_truncated",
                                             is_cut, "is_tty", tty));
    xfree(rel);
    return ERR_OK;
}

/* Fetch and save the logs of one allowlisted container. */
static void one(struct collect *c, const char *name, const char *id)
{
    struct errbuf eb = {{0}};
    json_t *info = NULL;
    struct docker_logs_query q;
    struct buf text;
    bool is_cut = false;
    const char *sock = c->job->t->opts.cfg->docker_socket;
    if (c->total >= TASKS_CONTLOGS_TOTAL_MAX) {
        fail(c, name, id, "the total cap of container logs is reached");
        return;
    }
    if (clock_mono_ms() >= c->deadline_ms) {
        fail(c, name, id, "the time budget of container logs (120 s) is spent");
        return;
    }
    enum err e = docker_container_inspect(sock, id, &info, &eb);
    if (e != ERR_OK) {
        fail(c, name, id, e == ERR_NOT_FOUND ? "container is gone" : errbuf_get(&eb, e));
        return;
    }
    make_query(c, json_is_true(json_object_get(info, "tty")), &q);
    json_decref(info);
    buf_init(&text, q.max_bytes);
    e = docker_container_logs_window(sock, id, &q, &text, &is_cut, &eb);
    if (e == ERR_NOT_FOUND)
        fail(c, name, id, "container is gone");
    else if (e != ERR_OK)
        fail(c, name, id, errbuf_get(&eb, e));
    else
        save(c, name, id, &text, is_cut, q.is_tty);
    buf_fini(&text);
}

/* Report the active allowlist entries that name no container the engine knows. */
static void add_gone(struct collect *c, const json_t *entries, const json_t *list)
{
    json_t *en, *ct;
    size_t i, k;
    json_array_foreach(entries, i, en)
    {
        const char *ref = jsonx_get_str(en, "container_ref");
        bool is_found = false;
        if (!ref || !json_is_true(json_object_get(en, "is_active")))
            continue;
        json_array_foreach(list, k, ct)
        {
            const char *nm = json_string_value(json_array_get(json_object_get(ct, "Names"), 0));
            nm = nm && nm[0] == '/' ? nm + 1 : nm ? nm : "";
            is_found = is_found || ref_names(ref, str_or_empty(ct, "Id"), nm);
        }
        if (!is_found)
            fail(c, ref, NULL, "container is gone (no container has this name or id)");
    }
}

/* The number of active entries in the allowlist entries. */
static size_t n_active(const json_t *entries)
{
    size_t i, n = 0;
    json_t *en;
    json_array_foreach(entries, i, en) n += json_is_true(json_object_get(en, "is_active"));
    return n;
}

/* Walk the engine's list: fetch the allowlisted containers (up to the cap). */
static void walk(struct collect *c, const json_t *list)
{
    struct errbuf eb = {{0}};
    size_t i;
    json_t *ct;
    json_array_foreach(list, i, ct)
    {
        const char *id = jsonx_get_str(ct, "Id");
        const char *name = json_string_value(json_array_get(json_object_get(ct, "Names"), 0));
        bool is_allowed = false;
        if (!id)
            continue;
        name = name && name[0] == '/' ? name + 1 : name ? name : id;
        if (store_container_is_allowed(c->job->t->opts.st, id, name, &is_allowed, &eb) != ERR_OK) {
            fail(c, name, id, errbuf_get(&eb, ERR_UNAVAILABLE));
            continue;
        }
        if (!is_allowed)
            continue;
        if (json_array_size(c->done) + json_array_size(c->failed) >= TASKS_CONTLOGS_MAX)
            fail(c, name, id, "too many allowlisted containers; this one was not read");
        else
            one(c, name, id);
    }
}

void tasks_contlogs_add(struct tasks_job *job, json_t *job_json)
{
    struct errbuf eb = {{0}};
    json_t *list = NULL, *entries = NULL;
    int64_t n = 0;
    struct collect c = {.job = job,
                        .done = json_array(),
                        .failed = json_array(),
                        .deadline_ms = clock_mono_ms() + BUDGET_MS};
    char *dir = xasprintf("%s/containers", job->input_dir);
    enum err e = store_container_list(job->t->opts.st, 0, ALLOW_LIST_MAX, &entries, &n, &eb);
    if (e != ERR_OK)
        json_object_set_new(job_json, "container_logs_error",
                            json_string("container logs unavailable: the allowlist is unreadable"));
    if (e != ERR_OK || n_active(entries) == 0) /* nothing allowlisted: no engine call */
        goto out;
    e = docker_containers_list(job->t->opts.cfg->docker_socket, 1, &list, &eb);
    if (e != ERR_OK) {
        char *why = xasprintf("container logs unavailable: the Docker engine does not answer: %s",
                              errbuf_get(&eb, e));
        json_object_set_new(job_json, "container_logs_error", json_string(why));
        log_warn("tasks", "event=contlogs.unavailable job_id=%lld err=%s",
                 (long long)job->claim.job_id, err_name(e));
        xfree(why);
        goto out;
    }
    e = fs_mkdir_p(dir, 0755, &eb);
    if (e == ERR_OK) {
        walk(&c, list);
        add_gone(&c, entries, list);
    } else {
        fail(&c, "*", NULL, errbuf_get(&eb, e));
    }
    log_info("tasks", "event=contlogs.collected job_id=%lld containers=%zu failed=%zu bytes=%zu",
             (long long)job->claim.job_id, json_array_size(c.done), json_array_size(c.failed),
             c.total);
out:
    json_object_set_new(job_json, "containers", c.done);
    json_object_set_new(job_json, "containers_failed", c.failed);
    json_decref(entries);
    json_decref(list);
    xfree(dir);
}
