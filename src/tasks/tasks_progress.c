/* SPDX-License-Identifier: MIT */
/* tasks_progress.c -- a worker's stdout, split into lines; each line that is a JSON
 * object becomes a "progress" event of its run (at most TASKS_PROGRESS_MAX per job,
 * over-long lines dropped). Shared by the runtimes. */
#include "core/buf.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "tasks/tasks_int.h"

void tasks_progress_init(struct tasks_progress *p)
{
    p->is_line_long = false;
    p->n = 0;
    buf_init(&p->line, TASKS_PROGRESS_LINE);
}

/* Publish one complete stdout line as a progress event when it is a JSON object. */
static void progress_line(struct tasks_job *job, struct tasks_progress *p)
{
    json_t *j = NULL;
    if (p->n >= TASKS_PROGRESS_MAX || !job->t->opts.ev)
        return;
    if (jsonx_parse(buf_str(&p->line), buf_len(&p->line), TASKS_PROGRESS_LINE, &j, NULL) !=
            ERR_OK ||
        !json_is_object(j)) {
        json_decref(j);
        return;
    }
    /* Progress may name files: events reach API clients, so they are redacted. */
    tasks_redact_json(job->t->opts.cfg, j, NULL);
    json_object_set_new(j, "job_id", json_integer(job->claim.job_id));
    json_object_set_new(j, "run_id", json_integer(job->claim.run_id));
    json_object_set_new(j, "task", json_string(job->claim.task));
    char *s = jsonx_dumps(j);
    events_publish(job->t->opts.ev, job->claim.run_id, "progress", s);
    p->n++;
    xfree(s);
    json_decref(j);
}

void tasks_progress_feed(struct tasks_job *job,
                         struct tasks_progress *p,
                         const char *data,
                         size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            if (!p->is_line_long)
                progress_line(job, p);
            p->is_line_long = false;
            buf_reset(&p->line);
        } else if (!p->is_line_long && buf_append(&p->line, data + i, 1) != ERR_OK) {
            p->is_line_long = true;
        }
    }
}

void tasks_progress_flush(struct tasks_job *job, struct tasks_progress *p)
{
    if (buf_len(&p->line) && !p->is_line_long)
        progress_line(job, p);
    buf_reset(&p->line);
    p->is_line_long = false;
}

void tasks_progress_fini(struct tasks_progress *p)
{
    buf_fini(&p->line);
}
