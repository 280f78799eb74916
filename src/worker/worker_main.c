/* SPDX-License-Identifier: MIT */
/* worker_main.c -- `cyberbrain worker`: read job.json, run the task, write result.json.
 *
 * Exit codes: 0 when result.json was written (the result says whether the task itself
 * failed), 2 on bad input (job.json missing, malformed, or naming no known task),
 * 1 when the result could not be written. */
#include "worker/worker.h"

#include <stdio.h>
#include <string.h>

#include "core/fs.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "worker/worker_int.h"

#define WORKER_JOB_MAX (1024 * 1024)

struct task_entry {
    const char *name;
    json_t *(*run)(const json_t *job);
};

static const struct task_entry task_table[] = {
    {"log_triage", worker_log_triage},
    {"gpu_report", worker_gpu_report},
    {"service_map", worker_service_map},
    {"selfcheck", worker_selfcheck}, /* hidden: isolation tests */
};

void worker_progress(int pct, const char *msg)
{
    json_t *j = json_pack("{s:i,s:s}", "progress", pct, "message", msg);
    char *s = jsonx_dumps(j);
    printf("%s\n", s);
    fflush(stdout);
    xfree(s);
    json_decref(j);
}

json_t *worker_result_failed(const char *task, const char *reason)
{
    return json_pack("{s:s,s:s,s:s}", "task", task, "status", "failed", "reason", reason);
}

static void usage_error(const char *msg)
{
    fprintf(stderr,
            "cyberbrain worker: %s\nusage: cyberbrain worker [--input DIR] [--output DIR]\n", msg);
}

/* Read and check <input>/job.json; returns the job or NULL after printing why. */
static json_t *read_job(const char *input_dir)
{
    struct errbuf eb = {0};
    char *path = xasprintf("%s/job.json", input_dir);
    char *data = NULL;
    size_t len = 0;
    json_t *job = NULL;
    enum err e = fs_read_file(path, WORKER_JOB_MAX, &data, &len, &eb);
    if (e == ERR_OK)
        e = jsonx_parse(data, len, WORKER_JOB_MAX, &job, &eb);
    if (e != ERR_OK) {
        fprintf(stderr, "cyberbrain worker: %s\n", errbuf_get(&eb, e));
        goto out;
    }
    if (!json_is_object(job) || !jsonx_get_str(job, "task")) {
        fprintf(stderr, "cyberbrain worker: %s is not an object with a \"task\" string\n", path);
        json_decref(job);
        job = NULL;
    }
out:
    xfree(data);
    xfree(path);
    return job;
}

static const struct task_entry *find_task(const char *name)
{
    for (size_t i = 0; i < sizeof(task_table) / sizeof(task_table[0]); i++)
        if (strcmp(task_table[i].name, name) == 0)
            return &task_table[i];
    return NULL;
}

/* Write result to <output>/result.json; 0 or 1. */
static int write_result(const char *output_dir, json_t *result)
{
    struct errbuf eb = {0};
    char *path = xasprintf("%s/result.json", output_dir);
    char *text = json_dumps(result, JSON_INDENT(2) | JSON_SORT_KEYS);
    int rc = 0;
    enum err e = text ? fs_write_atomic(path, text, strlen(text), &eb)
                      : errbuf_set(&eb, ERR_INTERNAL, "cannot encode the result");
    if (e != ERR_OK) {
        fprintf(stderr, "cyberbrain worker: %s\n", errbuf_get(&eb, e));
        rc = 1;
    }
    xfree(text);
    xfree(path);
    return rc;
}

int worker_main(int argc, char **argv)
{
    const char *input = "/input", *output = "/output";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "worker") == 0 && i == 1)
            continue;
        if (i + 1 < argc && strcmp(argv[i], "--input") == 0) {
            input = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--output") == 0) {
            output = argv[++i];
        } else {
            usage_error("unknown or incomplete argument");
            return 2;
        }
    }
    json_t *job = read_job(input);
    if (!job)
        return 2;
    /* Where the job's input files (container logs) are, as this process sees them. */
    json_object_set_new(job, "input_dir", json_string(input));
    const char *task = jsonx_get_str(job, "task");
    const struct task_entry *te = find_task(task);
    if (!te) {
        char q[40];
        err_quote_user(q, sizeof(q), task);
        fprintf(stderr, "cyberbrain worker: unknown task \"%s\"\n", q);
        json_decref(job);
        return 2;
    }
    worker_progress(0, "started");
    json_t *result = te->run(job);
    json_object_set_new(result, "task", json_string(te->name));
    json_t *id = json_object_get(job, "job_id");
    if (json_is_integer(id))
        json_object_set(result, "job_id", id);
    int rc = write_result(output, result);
    if (rc == 0)
        worker_progress(100, "done");
    json_decref(result);
    json_decref(job);
    return rc;
}
