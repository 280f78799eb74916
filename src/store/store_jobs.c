/* SPDX-License-Identifier: MIT */
/* store_jobs.c -- the dispatcher's side: claim, finish, cancellation check, crash recovery.
 *
 * A claim is one transaction: on PostgreSQL the oldest queued job is locked with
 * FOR UPDATE SKIP LOCKED so concurrent claimers take different jobs; on SQLite the
 * BEGIN IMMEDIATE write lock serialises claimers. Either way a job is handed out once. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "store/store_int.h"

#define INSTANCE_MAX  128
#define ERROR_MAX     4096
#define SUMMARY_MAX   (1024 * 1024)
#define RECOVER_ERROR "orchestrator restarted while the job ran"

static enum err claim_tx(struct db *db,
                         const char *instance,
                         int64_t timeout_ms,
                         int64_t only_run_id,
                         struct store_claim *out,
                         bool *got,
                         struct errbuf *eb)
{
    json_t *row = NULL;
    char now[CLOCK_ISO_LEN], deadline[CLOCK_ISO_LEN];
    const char *sql = db->kind == STORE_PG
                          ? "SELECT j.id, j.run_id, j.task, j.window_start, j.window_end, "
                            "r.directive_snapshot FROM jobs j JOIN runs r ON r.id = j.run_id "
                            "WHERE j.status = 'queued' AND ($1 = 0 OR j.run_id = $1) ORDER BY j.id "
                            "LIMIT 1 FOR UPDATE OF j SKIP LOCKED"
                          : "SELECT j.id, j.run_id, j.task, j.window_start, j.window_end, "
                            "r.directive_snapshot FROM jobs j JOIN runs r ON r.id = j.run_id "
                            "WHERE j.status = 'queued' AND ($1 = 0 OR j.run_id = $1) ORDER BY j.id "
                            "LIMIT 1";
    enum err e = db_query_one(db, sql, (struct db_param[]){DB_I(only_run_id)}, 1, &row, eb);
    if (e != ERR_OK || !row)
        goto out;
    int64_t now_ms = clock_now_ms();
    clock_iso_from_ms(now_ms, now);
    clock_iso_from_ms(now_ms + timeout_ms, deadline);
    int64_t job_id = row_int(row, "id"), run_id = row_int(row, "run_id");
    int64_t changed = 0;
    e = db_exec(db,
                "UPDATE jobs SET status = 'running', started_at = $2, deadline_at = $3, "
                "attempts = attempts + 1, claimed_by = $4 WHERE id = $1 AND status = 'queued'",
                (struct db_param[]){DB_I(job_id), DB_S(now), DB_S(deadline), DB_S(instance)}, 4,
                &changed, eb);
    if (e != ERR_OK || changed != 1)
        goto out; /* someone else took it: report nothing claimed rather than a duplicate */
    e = db_exec(db,
                "UPDATE runs SET status = 'running', started_at = COALESCE(started_at, $2) "
                "WHERE id = $1 AND status IN ('queued', 'running')",
                (struct db_param[]){DB_I(run_id), DB_S(now)}, 2, NULL, eb);
    if (e != ERR_OK)
        goto out;
    out->job_id = job_id;
    out->run_id = run_id;
    snprintf(out->task, sizeof(out->task), "%s", jsonx_get_str(row, "task"));
    out->window_start = xstrdup(jsonx_get_str(row, "window_start"));
    out->window_end = xstrdup(jsonx_get_str(row, "window_end"));
    out->directive_snapshot = xstrdup(jsonx_get_str(row, "directive_snapshot"));
    *got = true;
out:
    json_decref(row);
    return e;
}

enum err store_job_claim(struct store *st,
                         const char *instance,
                         int64_t timeout_ms,
                         int64_t run_id,
                         struct store_claim *out,
                         bool *got,
                         struct errbuf *eb)
{
    memset(out, 0, sizeof(*out));
    *got = false;
    if (!instance || strlen(instance) > INSTANCE_MAX)
        return errbuf_set(eb, ERR_INVALID, "instance id must be 0..%d bytes", INSTANCE_MAX);
    if (timeout_ms <= 0)
        return errbuf_set(eb, ERR_INVALID, "job timeout must be positive");
    struct db *db = store_db_get(st);
    enum err e = db_begin(db, eb);
    if (e == ERR_OK) {
        e = claim_tx(db, instance, timeout_ms, run_id > 0 ? run_id : 0, out, got, eb);
        if (e == ERR_OK)
            e = db_commit(db, eb);
        else
            db_rollback(db);
    }
    store_db_put(st, db);
    if (e != ERR_OK) {
        store_claim_fini(out);
        *got = false;
    }
    return e;
}

void store_claim_fini(struct store_claim *c)
{
    if (!c)
        return;
    xfree(c->window_start);
    xfree(c->window_end);
    xfree(c->directive_snapshot);
    c->window_start = c->window_end = c->directive_snapshot = NULL;
}

static enum err finish_tx(struct db *db,
                          int64_t job_id,
                          const char *status,
                          const char *error,
                          const char *summary,
                          const struct store_job_outputs *o,
                          bool *run_done,
                          struct errbuf *eb)
{
    json_t *job = NULL;
    char now[CLOCK_ISO_LEN];
    int64_t changed = 0;
    enum err e = db_query_one(db, "SELECT run_id, status FROM jobs WHERE id = $1",
                              (struct db_param[]){DB_I(job_id)}, 1, &job, eb);
    if (e == ERR_OK && !job)
        e = errbuf_set(eb, ERR_NOT_FOUND, "job %lld not found", (long long)job_id);
    if (e != ERR_OK)
        goto out;
    clock_now_iso(now);
    e = db_exec(
        db,
        "UPDATE jobs SET status = $2, finished_at = $3, error = $4, summary = $5 "
        "WHERE id = $1 AND status IN ('queued', 'running')",
        (struct db_param[]){DB_I(job_id), DB_S(status), DB_S(now), DB_S(error), DB_S(summary)}, 5,
        &changed, eb);
    if (e == ERR_OK && changed == 0)
        e = errbuf_set(eb, ERR_CONFLICT, "job %lld already ended (%s)", (long long)job_id,
                       jsonx_get_str(job, "status"));
    bool is_success = strcmp(status, "success") == 0;
    if (e == ERR_OK && o && o->cursors && is_success)
        e = store_cursors_save_tx(db, row_int(job, "run_id"), job_id, o->cursors, eb);
    if (e == ERR_OK && o && o->templates && is_success)
        e = store_templates_save_tx(db, job_id, o->templates, o->window_hours,
                                    o->templates_cap > 0 ? o->templates_cap : STORE_TEMPLATES_MAX,
                                    eb);
    if (e == ERR_OK && o && o->gpu_sample && is_success)
        e = store_gpu_save_tx(db, row_int(job, "run_id"), job_id, o->gpu_sample, eb);
    if (e == ERR_OK)
        e = store_run_settle(db, row_int(job, "run_id"), false, run_done, eb);
out:
    json_decref(job);
    return e;
}

static enum err
check_finish(const char *status, const char *error, const char *summary, struct errbuf *eb)
{
    if (!status || (strcmp(status, "success") != 0 && strcmp(status, "failed") != 0 &&
                    strcmp(status, "cancelled") != 0))
        return errbuf_set(eb, ERR_INVALID, "a job ends as success, failed or cancelled");
    if (error && strlen(error) > ERROR_MAX)
        return errbuf_set(eb, ERR_TOO_LARGE, "job error is longer than %d bytes", ERROR_MAX);
    if (!summary)
        return ERR_OK;
    json_t *j = NULL;
    enum err e = jsonx_parse(summary, strlen(summary), SUMMARY_MAX, &j, eb);
    json_decref(j);
    return e;
}

enum err store_job_finish(struct store *st,
                          int64_t job_id,
                          const char *status,
                          const char *error,
                          const char *summary_json,
                          const struct store_job_outputs *outputs,
                          bool *run_done,
                          struct errbuf *eb)
{
    bool done = false;
    enum err e = check_finish(status, error, summary_json, eb);
    if (e != ERR_OK)
        return e;
    struct db *db = store_db_get(st);
    e = db_begin(db, eb);
    if (e == ERR_OK) {
        e = finish_tx(db, job_id, status, error, summary_json, outputs, &done, eb);
        if (e == ERR_OK)
            e = db_commit(db, eb);
        else
            db_rollback(db);
    }
    store_db_put(st, db);
    if (run_done)
        *run_done = e == ERR_OK && done;
    return e;
}

enum err
store_job_is_cancelled(struct store *st, int64_t job_id, bool *is_cancelled, struct errbuf *eb)
{
    json_t *row = NULL;
    *is_cancelled = false;
    struct db *db = store_db_get(st);
    enum err e = db_query_one(db,
                              "SELECT r.cancel_requested, r.status FROM jobs j JOIN runs r ON "
                              "r.id = j.run_id WHERE j.id = $1",
                              (struct db_param[]){DB_I(job_id)}, 1, &row, eb);
    store_db_put(st, db);
    if (e == ERR_OK && !row)
        e = errbuf_set(eb, ERR_NOT_FOUND, "job %lld not found", (long long)job_id);
    if (e == ERR_OK) {
        const char *rs = jsonx_get_str(row, "status");
        *is_cancelled =
            row_int(row, "cancel_requested") != 0 || (rs && strcmp(rs, "cancelled") == 0);
    }
    json_decref(row);
    return e;
}

#define UNSETTLED_SQL                                                                           \
    "SELECT r.id FROM runs r WHERE r.status IN ('queued', 'running') AND NOT EXISTS (SELECT 1 " \
    "FROM jobs j WHERE j.run_id = r.id AND j.status IN ('queued', 'running')) ORDER BY r.id "   \
    "LIMIT 10000"

static enum err recover_tx(struct db *db, int *n_jobs, struct errbuf *eb)
{
    char now[CLOCK_ISO_LEN];
    int64_t changed = 0;
    json_t *runs = NULL;
    clock_now_iso(now);
    enum err e = db_exec(db,
                         "UPDATE jobs SET status = 'failed', finished_at = $1, error = $2 "
                         "WHERE status = 'running'",
                         (struct db_param[]){DB_S(now), DB_S(RECOVER_ERROR)}, 2, &changed, eb);
    *n_jobs = (int)changed;
    if (e == ERR_OK)
        e = db_query(db, UNSETTLED_SQL, NULL, 0, &runs, eb);
    size_t i;
    json_t *run;
    json_array_foreach(runs, i, run)
    {
        bool done = false;
        if (e == ERR_OK)
            e = store_run_settle(db, row_int(run, "id"), true, &done, eb);
    }
    json_decref(runs);
    return e;
}

enum err store_recover(struct store *st, int *n_jobs, struct errbuf *eb)
{
    *n_jobs = 0;
    struct db *db = store_db_get(st);
    enum err e = db_begin(db, eb);
    if (e == ERR_OK) {
        e = recover_tx(db, n_jobs, eb);
        if (e == ERR_OK)
            e = db_commit(db, eb);
        else
            db_rollback(db);
    }
    store_db_put(st, db);
    if (e != ERR_OK)
        *n_jobs = 0;
    return e;
}

enum err store_job_list_running(struct store *st, json_t **results, struct errbuf *eb)
{
    *results = NULL;
    struct db *db = store_db_get(st);
    enum err e = db_query(db,
                          "SELECT id, run_id, task, claimed_by, started_at, deadline_at FROM jobs "
                          "WHERE status = 'running' ORDER BY id LIMIT 10000",
                          NULL, 0, results, eb);
    store_db_put(st, db);
    return e;
}

enum err store_run_list_unsettled(struct store *st, json_t **run_ids, struct errbuf *eb)
{
    *run_ids = NULL;
    struct db *db = store_db_get(st);
    enum err e = db_query(db, UNSETTLED_SQL, NULL, 0, run_ids, eb);
    store_db_put(st, db);
    return e;
}
