/* SPDX-License-Identifier: MIT */
/* store_runs.c -- runs: launch (snapshot + run + jobs in one transaction), reads, cancel,
 * reports, and the run-ending rule shared with the dispatcher functions.
 *
 * Lock order on PostgreSQL: job rows first, then the run row. Every path that may end a
 * run (finish, cancel, recover) changes its job rows, then locks the run row, then counts
 * the open jobs, so two finishing jobs of one run cannot both miss the run's end. */
#include "store/store.h"

#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "store/store_int.h"

#define REPORT_MAX    (16 * 1024 * 1024)
#define TASK_NAME_MAX 31

/* Token totals live on the run row, kept equal to the llm_calls sums by triggers
 * (migration 003), so a list of N runs reads N rows and nothing else. */
#define RUN_COLS                                                                    \
    "r.id, r.status, r.tasks, r.directive_id, r.directive_snapshot, r.created_at, " \
    "r.started_at, r.finished_at, r.error, r.prompt_tokens AS tt_prompt, "          \
    "r.completion_tokens AS tt_completion, r.total_tokens AS tt_total"
#define JOB_COLS                                                                     \
    "j.id, j.run_id, j.task, j.status, j.window_start, j.window_end, j.created_at, " \
    "j.started_at, j.finished_at, j.deadline_at, j.error, j.summary, j.attempts"

bool store_run_is_terminal(const char *status)
{
    return status && strcmp(status, "queued") != 0 && strcmp(status, "running") != 0;
}

void store_job_shape(json_t *job)
{
    row_parse_json(job, "summary");
}

static enum err token_totals(struct db *db, int64_t run_id, json_t **out, struct errbuf *eb)
{
    return db_query_one(db,
                        "SELECT COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens, "
                        "COALESCE(SUM(completion_tokens), 0) AS completion_tokens, "
                        "COALESCE(SUM(COALESCE(total_tokens, COALESCE(prompt_tokens, 0) + "
                        "COALESCE(completion_tokens, 0))), 0) AS total_tokens "
                        "FROM llm_calls WHERE run_id = $1",
                        (struct db_param[]){DB_I(run_id)}, 1, out, eb);
}

static enum err run_jobs(struct db *db, int64_t run_id, json_t **jobs, struct errbuf *eb)
{
    enum err e = db_query(db, "SELECT " JOB_COLS " FROM jobs j WHERE j.run_id = $1 ORDER BY j.id",
                          (struct db_param[]){DB_I(run_id)}, 1, jobs, eb);
    size_t i;
    json_t *job;
    json_array_foreach(*jobs, i, job) store_job_shape(job);
    return e;
}

/* Move the tt_* columns of a RUN_COLS row into its token_totals object. */
static void run_totals_shape(json_t *run)
{
    static const char *const cols[][2] = {{"tt_prompt", "prompt_tokens"},
                                          {"tt_completion", "completion_tokens"},
                                          {"tt_total", "total_tokens"}};
    json_t *totals = json_object();
    for (size_t i = 0; i < 3; i++) {
        json_object_set_new(totals, cols[i][1], json_integer(row_int(run, cols[i][0])));
        json_object_del(run, cols[i][0]);
    }
    json_object_set_new(run, "token_totals", totals);
}

enum err store_run_decorate(struct db *db, json_t *run, bool with_jobs, struct errbuf *eb)
{
    int64_t id = row_int(run, "id");
    json_t *jobs = NULL;
    row_parse_json(run, "tasks");
    row_parse_json(run, "directive_snapshot");
    run_totals_shape(run);
    if (!with_jobs)
        return ERR_OK;
    enum err e = run_jobs(db, id, &jobs, eb);
    if (e == ERR_OK)
        json_object_set_new(run, "jobs", jobs);
    return e;
}

static enum err run_get(struct db *db, int64_t id, bool with_jobs, json_t **out, struct errbuf *eb)
{
    enum err e = db_query_one(db, "SELECT " RUN_COLS " FROM runs r WHERE r.id = $1",
                              (struct db_param[]){DB_I(id)}, 1, out, eb);
    if (e != ERR_OK)
        return e;
    if (!*out)
        return errbuf_set(eb, ERR_NOT_FOUND, "run %lld not found", (long long)id);
    e = store_run_decorate(db, *out, with_jobs, eb);
    if (e != ERR_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return e;
}

/* Decide how a run whose jobs all ended ends. */
static const char *end_status(int64_t n_ok, int64_t n_failed, int64_t n_cancelled)
{
    if (n_cancelled > 0)
        return "cancelled";
    if (n_failed == 0)
        return "success";
    if (n_ok == 0)
        return "failed";
    return "partial";
}

/* Count run_id's jobs by state and decide its end: *status is NULL while a job is open.
 * msg (cap 96) gets the error text of a run with failures. */
static enum err
run_outcome(struct db *db, int64_t run_id, const char **status, char *msg, struct errbuf *eb)
{
    json_t *rows = NULL;
    int64_t n[5] = {0}; /* queued running success failed cancelled */
    static const char *const names[5] = {"queued", "running", "success", "failed", "cancelled"};
    *status = NULL;
    msg[0] = '\0';
    enum err e =
        db_query(db, "SELECT status, COUNT(*) AS n FROM jobs WHERE run_id = $1 GROUP BY status",
                 (struct db_param[]){DB_I(run_id)}, 1, &rows, eb);
    if (e != ERR_OK)
        return e;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *s = jsonx_get_str(row, "status");
        for (int k = 0; k < 5 && s; k++)
            if (strcmp(names[k], s) == 0)
                n[k] = row_int(row, "n");
    }
    json_decref(rows);
    if (n[0] + n[1] > 0)
        return ERR_OK;
    *status = end_status(n[2], n[3], n[4]);
    if (n[3] > 0 && n[4] == 0)
        snprintf(msg, 96, "%lld of %lld jobs failed", (long long)n[3],
                 (long long)(n[2] + n[3] + n[4]));
    return ERR_OK;
}

enum err
store_run_settle(struct db *db, int64_t run_id, bool do_end, bool *is_done, struct errbuf *eb)
{
    json_t *run = NULL;
    const char *status = NULL;
    char now[CLOCK_ISO_LEN], msg[96];
    *is_done = false;
    const char *lock = db->kind == STORE_PG
                           ? "SELECT r.status FROM runs r WHERE r.id = $1 FOR UPDATE"
                           : "SELECT r.status FROM runs r WHERE r.id = $1";
    enum err e = db_query_one(db, lock, (struct db_param[]){DB_I(run_id)}, 1, &run, eb);
    if (e == ERR_OK && !run)
        e = errbuf_set(eb, ERR_NOT_FOUND, "run %lld not found", (long long)run_id);
    if (e == ERR_OK && store_run_is_terminal(jsonx_get_str(run, "status")))
        *is_done = true;
    if (e != ERR_OK || *is_done)
        goto out;
    e = run_outcome(db, run_id, &status, msg, eb);
    if (e != ERR_OK || !status)
        goto out;
    if (!do_end) {
        *is_done = true;
        goto out;
    }
    clock_now_iso(now);
    e = db_exec(
        db,
        "UPDATE runs SET status = $2, finished_at = $3, error = COALESCE(error, $4) "
        "WHERE id = $1",
        (struct db_param[]){DB_I(run_id), DB_S(status), DB_S(now), msg[0] ? DB_S(msg) : DB_N}, 4,
        NULL, eb);
    *is_done = e == ERR_OK;
out:
    json_decref(run);
    return e;
}

enum err store_run_outcome(
    struct store *st, int64_t run_id, char *status, size_t status_cap, struct errbuf *eb)
{
    const char *s = NULL;
    char msg[96];
    struct db *db = store_db_get(st);
    enum err e = run_outcome(db, run_id, &s, msg, eb);
    store_db_put(st, db);
    snprintf(status, status_cap, "%s", e == ERR_OK && s ? s : "");
    return e;
}

static enum err check_reports(const char *report_md, const char *report_json, struct errbuf *eb)
{
    if ((report_md && strlen(report_md) > REPORT_MAX) ||
        (report_json && strlen(report_json) > REPORT_MAX))
        return errbuf_set(eb, ERR_TOO_LARGE, "a report is larger than %d bytes", REPORT_MAX);
    return ERR_OK;
}

enum err store_run_end(struct store *st,
                       int64_t run_id,
                       const char *report_md,
                       const char *report_json,
                       struct errbuf *eb)
{
    bool is_done = false;
    enum err e = check_reports(report_md, report_json, eb);
    if (e != ERR_OK)
        return e;
    struct db *db = store_db_get(st);
    e = db_begin(db, eb);
    if (e == ERR_OK)
        e = store_run_settle(db, run_id, true, &is_done, eb);
    if (e == ERR_OK && !is_done)
        e = errbuf_set(eb, ERR_CONFLICT, "run %lld still has open jobs", (long long)run_id);
    /* A run that ended another way meanwhile (cancel) keeps its status and first report. */
    if (e == ERR_OK && (report_md || report_json))
        e = db_exec(db,
                    "UPDATE runs SET report_md = COALESCE(report_md, $2), "
                    "report_json = COALESCE(report_json, $3) WHERE id = $1",
                    (struct db_param[]){DB_I(run_id), DB_S(report_md), DB_S(report_json)}, 3, NULL,
                    eb);
    if (e == ERR_OK)
        e = db_commit(db, eb);
    else
        db_rollback(db);
    store_db_put(st, db);
    return e;
}

static enum err check_launch(const struct store_launch *req, struct errbuf *eb)
{
    if (!req->tasks || req->n_tasks < 1 || req->n_tasks > 3)
        return errbuf_set(eb, ERR_INVALID, "a run needs 1 to 3 tasks");
    for (size_t i = 0; i < req->n_tasks; i++) {
        const char *t = req->tasks[i];
        if (!t || !*t || strlen(t) > TASK_NAME_MAX)
            return errbuf_set(eb, ERR_INVALID, "task names must be 1..%d bytes", TASK_NAME_MAX);
        for (size_t k = 0; k < i; k++)
            if (strcmp(req->tasks[k], t) == 0)
                return errbuf_set(eb, ERR_INVALID, "task %s is listed twice", t);
    }
    if (req->directive_text && strlen(req->directive_text) > STORE_DIRECTIVE_TEXT_MAX)
        return errbuf_set(eb, ERR_TOO_LARGE, "directive_text is longer than %d bytes",
                          STORE_DIRECTIVE_TEXT_MAX);
    if (req->directive_text && req->directive_id > 0)
        return errbuf_set(eb, ERR_INVALID, "give directive_id or directive_text, not both");
    if (req->directive_id < 0)
        return errbuf_set(eb, ERR_INVALID, "directive_id must be positive");
    return ERR_OK;
}

/* The directive each task falls back to (D1..D3), snapshotted on every run. */
static const char *const default_keys[][2] = {
    {"log_triage", "D1"}, {"gpu_report", "D2"}, {"service_map", "D3"}};

static const char *task_default_key(const char *task)
{
    for (size_t i = 0; i < sizeof(default_keys) / sizeof(default_keys[0]); i++)
        if (strcmp(task, default_keys[i][0]) == 0)
            return default_keys[i][1];
    return NULL;
}

/* True when key is the default directive of a task other than task (D2 for log_triage). */
static bool is_others_default(const char *key, const char *task)
{
    for (size_t i = 0; i < sizeof(default_keys) / sizeof(default_keys[0]); i++)
        if (strcmp(key, default_keys[i][1]) == 0 && strcmp(task, default_keys[i][0]) != 0)
            return true;
    return false;
}

/* Add "defaults": {task: latest live version of its default directive} to snap. */
static enum err
snapshot_defaults(struct db *db, const struct store_launch *req, json_t *snap, struct errbuf *eb)
{
    json_t *defaults = json_object();
    enum err e = ERR_OK;
    for (size_t i = 0; i < req->n_tasks && e == ERR_OK; i++) {
        const char *key = task_default_key(req->tasks[i]);
        json_t *row = NULL;
        if (!key)
            continue;
        e = db_query_one(db,
                         "SELECT id, key, name, version, text, config FROM directives "
                         "WHERE key = $1 AND deleted_at IS NULL ORDER BY version DESC LIMIT 1",
                         (struct db_param[]){DB_S(key)}, 1, &row, eb);
        if (e == ERR_OK && row) {
            row_parse_json(row, "config");
            json_object_set_new(defaults, req->tasks[i], row);
        }
    }
    json_object_set_new(snap, "defaults", defaults);
    return e;
}

/* Build the directive snapshot as JSON text into *out: the chosen directive (or custom text,
 * or key "defaults" when none) plus each task's default directive as it is now. */
static enum err
snapshot(struct db *db, const struct store_launch *req, json_t **out, struct errbuf *eb)
{
    json_t *snap = NULL;
    *out = NULL;
    if (req->directive_id > 0) {
        enum err e = db_query_one(db,
                                  "SELECT id, key, name, version, text, config FROM directives "
                                  "WHERE id = $1 AND deleted_at IS NULL",
                                  (struct db_param[]){DB_I(req->directive_id)}, 1, &snap, eb);
        if (e != ERR_OK)
            return e;
        if (!snap)
            return errbuf_set(eb, ERR_NOT_FOUND, "directive %lld not found",
                              (long long)req->directive_id);
        row_parse_json(snap, "config");
    } else if (req->directive_text) {
        snap = json_pack("{s:s, s:s, s:s}", "key", "custom", "name", "custom", "text",
                         req->directive_text);
        if (!snap)
            return errbuf_set(eb, ERR_INVALID, "directive_text is not valid UTF-8");
    } else {
        snap = json_pack("{s:s, s:s}", "key", "defaults", "name", "task defaults");
    }
    enum err e = snapshot_defaults(db, req, snap, eb);
    if (e == ERR_OK)
        *out = snap;
    else
        json_decref(snap);
    return e;
}

json_t *store_snapshot_task_config(const json_t *snap, const char *task)
{
    const char *key = jsonx_get_str(snap, "key");
    const json_t *def =
        json_object_get(json_object_get(json_object_get(snap, "defaults"), task), "config");
    const json_t *own = json_object_get(snap, "config");
    json_t *cfg = json_is_object(def) ? json_deep_copy(def) : json_object();
    if (key && !is_others_default(key, task) && json_is_object(own))
        json_object_update(cfg, (json_t *)(uintptr_t)own);
    return cfg;
}

/* How far the first job of task looks back: lookback_hours of its config (see
 * store_snapshot_task_config), else fallback_ms (the environment). */
static int64_t task_lookback_ms(const json_t *snap, const char *task, int64_t fallback_ms)
{
    json_t *cfg = store_snapshot_task_config(snap, task);
    const json_t *h = json_object_get(cfg, "lookback_hours");
    int64_t ms = fallback_ms;
    if (json_is_number(h) && json_number_value(h) > 0 && json_number_value(h) <= 24 * 366)
        ms = (int64_t)(json_number_value(h) * 3600.0 * 1000.0);
    json_decref(cfg);
    return ms;
}

static enum err insert_job(struct db *db,
                           int64_t run_id,
                           const char *task,
                           int64_t lookback_ms,
                           const char *now,
                           struct errbuf *eb)
{
    json_t *row = NULL;
    char start[CLOCK_ISO_LEN];
    enum err e = db_query_one(db,
                              "SELECT MAX(window_end) AS last_end FROM jobs "
                              "WHERE task = $1 AND status = 'success'",
                              (struct db_param[]){DB_S(task)}, 1, &row, eb);
    if (e != ERR_OK)
        return e;
    const char *last = jsonx_get_str(row, "last_end");
    struct db_param ws = DB_S(last);
    if (!last && lookback_ms > 0) {
        int64_t now_ms = 0;
        clock_iso_parse(now, &now_ms);
        clock_iso_from_ms(now_ms - lookback_ms, start);
        ws = DB_S(start);
    }
    e = db_exec(db,
                "INSERT INTO jobs (run_id, task, status, window_start, window_end, created_at, "
                "attempts) VALUES ($1, $2, 'queued', $3, $4, $4, 0)",
                (struct db_param[]){DB_I(run_id), DB_S(task), ws, DB_S(now)}, 4, NULL, eb);
    json_decref(row);
    return e;
}

static enum err
launch_tx(struct db *db, const struct store_launch *req, int64_t *run_id, struct errbuf *eb)
{
    char now[CLOCK_ISO_LEN];
    char *snap_text = NULL, *tasks = NULL;
    json_t *row = NULL, *snap = NULL, *arr = json_array();
    enum err e = snapshot(db, req, &snap, eb);
    if (e != ERR_OK)
        goto out;
    snap_text = jsonx_dumps(snap);
    for (size_t i = 0; i < req->n_tasks; i++)
        json_array_append_new(arr, json_string(req->tasks[i]));
    tasks = jsonx_dumps(arr);
    clock_now_iso(now);
    e = db_query_one(db,
                     "INSERT INTO runs (status, tasks, directive_id, directive_snapshot, "
                     "created_at, cancel_requested) VALUES ('queued', $1, $2, $3, $4, FALSE) "
                     "RETURNING id",
                     (struct db_param[]){DB_S(tasks),
                                         req->directive_id > 0 ? DB_I(req->directive_id) : DB_N,
                                         DB_S(snap_text), DB_S(now)},
                     4, &row, eb);
    *run_id = row_int(row, "id");
    for (size_t i = 0; i < req->n_tasks && e == ERR_OK; i++)
        e = insert_job(db, *run_id, req->tasks[i],
                       task_lookback_ms(snap, req->tasks[i], req->lookback_ms), now, eb);
out:
    xfree(snap_text);
    json_decref(snap);
    xfree(tasks);
    json_decref(row);
    json_decref(arr);
    return e;
}

enum err store_run_launch(struct store *st,
                          const struct store_launch *req,
                          json_t **run_out,
                          struct errbuf *eb)
{
    int64_t run_id = 0;
    *run_out = NULL;
    enum err e = check_launch(req, eb);
    if (e != ERR_OK)
        return e;
    struct db *db = store_db_get(st);
    e = db_begin(db, eb);
    if (e == ERR_OK) {
        e = launch_tx(db, req, &run_id, eb);
        if (e == ERR_OK)
            e = db_commit(db, eb);
        else
            db_rollback(db);
    }
    if (e == ERR_OK)
        e = run_get(db, run_id, true, run_out, eb);
    store_db_put(st, db);
    return e;
}

enum err store_run_get(struct store *st, int64_t id, json_t **out, struct errbuf *eb)
{
    struct db *db = store_db_get(st);
    enum err e = run_get(db, id, true, out, eb);
    store_db_put(st, db);
    return e;
}

/* Append the WHERE clause of f to sql; params go to p (3 at most). */
static size_t run_where(const struct store_run_filter *f, struct buf *sql, struct db_param *p)
{
    size_t n = 0;
    buf_puts(sql, " WHERE 1 = 1");
    if (f->status) {
        p[n++] = DB_S(f->status);
        buf_printf(sql, " AND r.status = $%zu", n);
    }
    if (f->task) {
        p[n++] = DB_S(f->task);
        buf_printf(sql,
                   " AND EXISTS (SELECT 1 FROM jobs j WHERE j.run_id = r.id AND j.task = $%zu)", n);
    }
    if (f->max_id > 0) {
        p[n++] = DB_I(f->max_id);
        buf_printf(sql, " AND r.id <= $%zu", n);
    }
    return n;
}

/* Write the count and page queries of f into cnt and sql; *n_where gets the number of
 * parameters the count takes (the page query takes two more). */
static void list_sql(const struct store_run_filter *f,
                     struct buf *cnt,
                     struct buf *sql,
                     struct db_param p[5],
                     size_t *n_where)
{
    buf_puts(cnt, "SELECT COUNT(*) AS n FROM runs r");
    buf_puts(sql, "SELECT " RUN_COLS " FROM runs r");
    size_t n = run_where(f, cnt, p);
    run_where(f, sql, p);
    buf_printf(sql, " ORDER BY r.id DESC LIMIT $%zu OFFSET $%zu", n + 1, n + 2);
    p[n] = DB_I(f->limit);
    p[n + 1] = DB_I(f->offset);
    *n_where = n;
}

enum err store_run_list(struct store *st,
                        const struct store_run_filter *f,
                        json_t **results,
                        int64_t *count,
                        struct errbuf *eb)
{
    struct buf cnt, sql;
    struct db_param p[5];
    size_t n = 0;
    *results = NULL;
    *count = 0;
    buf_init(&cnt, 1024);
    buf_init(&sql, 1024);
    list_sql(f, &cnt, &sql, p, &n);
    struct db *db = store_db_get(st);
    enum err e = db_query_int(db, buf_str(&cnt), p, n, "n", count, eb);
    if (e == ERR_OK)
        e = db_query(db, buf_str(&sql), p, n + 2, results, eb);
    size_t i;
    json_t *run;
    json_array_foreach(*results, i, run)
    {
        if (e == ERR_OK)
            e = store_run_decorate(db, run, false, eb);
    }
    store_db_put(st, db);
    buf_fini(&cnt);
    buf_fini(&sql);
    if (e != ERR_OK) {
        json_decref(*results);
        *results = NULL;
    }
    return e;
}

#define RUN_TEXT_COLS 16

enum col_role { COL_PLAIN, COL_RAW, COL_TT };

/* State of one run list query rendered as text. */
struct run_text {
    struct buf *out;
    size_t n_rows;
    size_t n_cols;                     /* 0 until the first row named the columns */
    enum col_role role[RUN_TEXT_COLS]; /* what each column is */
    const struct db_cell *tt[3];       /* the token total cells of the current row */
    size_t tt_of[RUN_TEXT_COLS];       /* COL_TT: which total */
    size_t name_len[RUN_TEXT_COLS];
};

/* Work out what each RUN_COLS column is, once per query. */
static enum err
run_text_cols(struct run_text *t, const struct db_cell *c, size_t n, struct errbuf *eb)
{
    static const char *const tt_names[3] = {"tt_prompt", "tt_completion", "tt_total"};
    if (n > RUN_TEXT_COLS)
        return errbuf_set(eb, ERR_INTERNAL, "run rows have more than %d columns", RUN_TEXT_COLS);
    for (size_t i = 0; i < n; i++) {
        t->role[i] = COL_PLAIN;
        t->name_len[i] = strlen(c[i].name);
        if (strcmp(c[i].name, "tasks") == 0 || strcmp(c[i].name, "directive_snapshot") == 0)
            t->role[i] = COL_RAW;
        for (size_t k = 0; k < 3; k++)
            if (strcmp(c[i].name, tt_names[k]) == 0) {
                t->role[i] = COL_TT;
                t->tt_of[i] = k;
            }
    }
    t->n_cols = n;
    return ERR_OK;
}

/* Append a token total the way row_int reads it (0 unless an integer or boolean). */
static enum err total_append(struct buf *out, const char *key, const struct db_cell *c)
{
    enum err e = buf_puts(out, key);
    int64_t v = c && (c->type == DB_C_INT || c->type == DB_C_BOOL) ? c->i : 0;
    return e == ERR_OK ? db_int_append(v, out) : e;
}

/* Append one row's members; keys are our own SQL column names (plain identifiers). */
static enum err run_text_members(struct run_text *t, const struct db_cell *c)
{
    struct buf *out = t->out;
    bool is_first = true;
    enum err e = ERR_OK;
    for (size_t i = 0; i < t->n_cols && e == ERR_OK; i++) {
        if (t->role[i] == COL_TT) {
            t->tt[t->tt_of[i]] = &c[i];
            continue;
        }
        e = buf_append(out, is_first ? "\"" : ",\"", is_first ? 1 : 2);
        is_first = false;
        if (e == ERR_OK)
            e = buf_append(out, c[i].name, t->name_len[i]);
        if (e == ERR_OK)
            e = buf_append(out, "\":", 2);
        if (e == ERR_OK)
            e = db_cell_json_append(&c[i], t->role[i] == COL_RAW, out);
    }
    return e;
}

/* Append one RUN_COLS row as the run object store_run_decorate makes (same members in the
 * same order; tasks and directive_snapshot embedded as stored, the tt_* cells nested last
 * as token_totals). */
static enum err run_text_row(void *ctx, const struct db_cell *c, size_t n, struct errbuf *eb)
{
    struct run_text *t = ctx;
    enum err e = t->n_cols ? ERR_OK : run_text_cols(t, c, n, eb);
    if (e != ERR_OK)
        return e;
    t->tt[0] = t->tt[1] = t->tt[2] = NULL;
    bool is_first_row = t->n_rows++ == 0;
    e = is_first_row ? buf_append(t->out, "{", 1) : buf_append(t->out, ",{", 2);
    if (e == ERR_OK)
        e = run_text_members(t, c);
    if (e == ERR_OK)
        e = total_append(t->out, ",\"token_totals\":{\"prompt_tokens\":", t->tt[0]);
    if (e == ERR_OK)
        e = total_append(t->out, ",\"completion_tokens\":", t->tt[1]);
    if (e == ERR_OK)
        e = total_append(t->out, ",\"total_tokens\":", t->tt[2]);
    if (e == ERR_OK)
        e = buf_append(t->out, "}}", 2);
    if (e != ERR_OK)
        return errbuf_set(eb, ERR_INTERNAL, "the run list is too large to send");
    return ERR_OK;
}

enum err store_run_list_text(struct store *st,
                             const struct store_run_filter *f,
                             struct buf *out,
                             int64_t *count,
                             struct errbuf *eb)
{
    struct buf cnt, sql;
    struct db_param p[5];
    struct run_text t = {.out = out};
    size_t n = 0;
    *count = 0;
    buf_init(&cnt, 1024);
    buf_init(&sql, 1024);
    list_sql(f, &cnt, &sql, p, &n);
    struct db *db = store_db_get(st);
    enum err e = db_read_begin(db, eb);
    bool is_reading = e == ERR_OK;
    if (e == ERR_OK)
        e = db_query_int(db, buf_str(&cnt), p, n, "n", count, eb);
    if (e == ERR_OK && buf_append(out, "[", 1) != ERR_OK)
        e = errbuf_set(eb, ERR_INTERNAL, "the run list is too large to send");
    if (e == ERR_OK)
        e = db_query_each(db, buf_str(&sql), p, n + 2, run_text_row, &t, eb);
    if (is_reading)
        db_read_end(db);
    store_db_put(st, db);
    if (e == ERR_OK && buf_append(out, "]", 1) != ERR_OK)
        e = errbuf_set(eb, ERR_INTERNAL, "the run list is too large to send");
    buf_fini(&cnt);
    buf_fini(&sql);
    return e;
}

static enum err cancel_tx(struct db *db, int64_t id, struct errbuf *eb)
{
    json_t *run = NULL;
    char now[CLOCK_ISO_LEN];
    int64_t changed = 0;
    bool is_done = false;
    clock_now_iso(now);
    enum err e = db_query_one(db, "SELECT status FROM runs WHERE id = $1",
                              (struct db_param[]){DB_I(id)}, 1, &run, eb);
    if (e == ERR_OK && !run)
        e = errbuf_set(eb, ERR_NOT_FOUND, "run %lld not found", (long long)id);
    if (e == ERR_OK && store_run_is_terminal(jsonx_get_str(run, "status")))
        e = errbuf_set(eb, ERR_CONFLICT, "run %lld already ended (%s)", (long long)id,
                       jsonx_get_str(run, "status"));
    json_decref(run);
    if (e != ERR_OK)
        return e;
    e = db_exec(db,
                "UPDATE jobs SET status = 'cancelled', finished_at = $2, error = 'cancelled' "
                "WHERE run_id = $1 AND status = 'queued'",
                (struct db_param[]){DB_I(id), DB_S(now)}, 2, NULL, eb);
    if (e == ERR_OK)
        e = db_exec(db,
                    "UPDATE runs SET cancel_requested = TRUE WHERE id = $1 AND status IN "
                    "('queued', 'running')",
                    (struct db_param[]){DB_I(id)}, 1, &changed, eb);
    if (e == ERR_OK && changed == 0)
        e = errbuf_set(eb, ERR_CONFLICT, "run %lld already ended", (long long)id);
    if (e == ERR_OK)
        e = store_run_settle(db, id, true, &is_done, eb);
    return e;
}

enum err store_run_cancel(struct store *st, int64_t id, json_t **out, struct errbuf *eb)
{
    *out = NULL;
    struct db *db = store_db_get(st);
    enum err e = db_begin(db, eb);
    if (e == ERR_OK) {
        e = cancel_tx(db, id, eb);
        if (e == ERR_OK)
            e = db_commit(db, eb);
        else
            db_rollback(db);
    }
    if (e == ERR_OK)
        e = run_get(db, id, true, out, eb);
    store_db_put(st, db);
    return e;
}

enum err store_run_last_success(struct store *st, const char *task, json_t **out, struct errbuf *eb)
{
    json_t *row = NULL, *run = NULL;
    *out = NULL;
    if (!task || !*task || strlen(task) > TASK_NAME_MAX)
        return errbuf_set(eb, ERR_INVALID, "task names must be 1..%d bytes", TASK_NAME_MAX);
    struct db *db = store_db_get(st);
    enum err e = db_query_one(db,
                              "SELECT run_id, window_end FROM jobs WHERE task = $1 AND status = "
                              "'success' ORDER BY window_end DESC, id DESC LIMIT 1",
                              (struct db_param[]){DB_S(task)}, 1, &row, eb);
    if (e == ERR_OK && row)
        e = run_get(db, row_int(row, "run_id"), true, &run, eb);
    store_db_put(st, db);
    if (e == ERR_OK) {
        *out = json_pack("{s:s, s:o, s:o}", "task", task, "run", run ? run : json_null(), "since",
                         row ? json_incref(json_object_get(row, "window_end")) : json_null());
        run = NULL;
    }
    json_decref(run);
    json_decref(row);
    return e;
}

enum err store_run_set_report(struct store *st,
                              int64_t run_id,
                              const char *report_md,
                              const char *report_json,
                              struct errbuf *eb)
{
    int64_t changed = 0;
    enum err e = check_reports(report_md, report_json, eb);
    if (e != ERR_OK)
        return e;
    struct db *db = store_db_get(st);
    e = db_exec(db, "UPDATE runs SET report_md = $2, report_json = $3 WHERE id = $1",
                (struct db_param[]){DB_I(run_id), DB_S(report_md), DB_S(report_json)}, 3, &changed,
                eb);
    store_db_put(st, db);
    if (e == ERR_OK && changed == 0)
        e = errbuf_set(eb, ERR_NOT_FOUND, "run %lld not found", (long long)run_id);
    return e;
}

enum err store_run_report_get(struct store *st, int64_t run_id, json_t **out, struct errbuf *eb)
{
    json_t *row = NULL, *totals = NULL;
    *out = NULL;
    struct db *db = store_db_get(st);
    enum err e =
        db_query_one(db, "SELECT id, status, report_md, report_json FROM runs WHERE id = $1",
                     (struct db_param[]){DB_I(run_id)}, 1, &row, eb);
    if (e == ERR_OK && !row)
        e = errbuf_set(eb, ERR_NOT_FOUND, "run %lld not found", (long long)run_id);
    if (e == ERR_OK)
        e = token_totals(db, run_id, &totals, eb);
    store_db_put(st, db);
    if (e == ERR_OK) {
        row_parse_json(row, "report_json");
        *out = json_pack(
            "{s:I, s:O, s:O, s:O, s:o}", "run_id", (json_int_t)run_id, "status",
            json_object_get(row, "status"), "markdown", json_object_get(row, "report_md"), "json",
            json_object_get(row, "report_json"), "token_totals", totals ? totals : json_object());
        totals = NULL;
    }
    json_decref(totals);
    json_decref(row);
    return e;
}

enum err store_job_list(struct store *st,
                        int64_t run_id,
                        int64_t offset,
                        int64_t limit,
                        json_t **results,
                        int64_t *count,
                        struct errbuf *eb)
{
    struct db_param by_run[] = {DB_I(limit), DB_I(offset), DB_I(run_id)};
    *results = NULL;
    *count = 0;
    struct db *db = store_db_get(st);
    enum err e = db_query_int(db,
                              run_id ? "SELECT COUNT(*) AS n FROM jobs WHERE run_id = $1"
                                     : "SELECT COUNT(*) AS n FROM jobs",
                              by_run + 2, run_id ? 1 : 0, "n", count, eb);
    if (e == ERR_OK)
        e = db_query(db,
                     run_id ? "SELECT " JOB_COLS " FROM jobs j WHERE j.run_id = $3 "
                              "ORDER BY j.id LIMIT $1 OFFSET $2"
                            : "SELECT " JOB_COLS " FROM jobs j ORDER BY j.id LIMIT $1 OFFSET $2",
                     by_run, run_id ? 3 : 2, results, eb);
    store_db_put(st, db);
    size_t i;
    json_t *job;
    json_array_foreach(*results, i, job) store_job_shape(job);
    return e;
}

enum err store_job_get(struct store *st, int64_t id, json_t **out, struct errbuf *eb)
{
    struct db *db = store_db_get(st);
    enum err e = db_query_one(db, "SELECT " JOB_COLS " FROM jobs j WHERE j.id = $1",
                              (struct db_param[]){DB_I(id)}, 1, out, eb);
    store_db_put(st, db);
    if (e == ERR_OK && !*out)
        e = errbuf_set(eb, ERR_NOT_FOUND, "job %lld not found", (long long)id);
    if (e == ERR_OK)
        store_job_shape(*out);
    return e;
}
