/* SPDX-License-Identifier: MIT */
/* store_int.h -- the store's private parts: the backend function table and db helpers.
 *
 * SQL is written once with $1, $2 placeholders: PostgreSQL takes them natively and SQLite
 * binds them as named parameters. Backends hand each result row to a callback as an array
 * of typed cells; db_query turns rows into an array of JSON objects keyed by column name
 * (integers as integers, NULL as null, booleans as booleans, the rest text) and
 * db_cell_json_append renders the same values straight into JSON text (for hot lists).
 * A struct db is one pooled connection, used by one thread between store_db_get and
 * store_db_put. */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"

enum db_ptype { DB_NULL, DB_INT, DB_TEXT };

/* One query parameter; s is borrowed for the call. */
struct db_param {
    enum db_ptype type;
    int64_t i;
    const char *s;
};

#define DB_I(v) ((struct db_param){DB_INT, (int64_t)(v), NULL})
#define DB_S(v) db_param_str(v)
#define DB_N    ((struct db_param){DB_NULL, 0, NULL})

/* Return a text parameter, or NULL when s is NULL. */
static inline struct db_param db_param_str(const char *s)
{
    struct db_param p = {s ? DB_TEXT : DB_NULL, 0, s};
    return p;
}

enum db_ctype { DB_C_NULL, DB_C_INT, DB_C_BOOL, DB_C_REAL, DB_C_TEXT };

/* One cell of a result row; name and s are borrowed until the row callback returns. */
struct db_cell {
    const char *name; /* column name */
    enum db_ctype type;
    int64_t i;     /* DB_C_INT, DB_C_BOOL (0/1) */
    double d;      /* DB_C_REAL */
    const char *s; /* DB_C_TEXT: NUL-terminated text of len bytes */
    size_t len;
};

/* Called once per result row; an error stops the query and is returned by it. */
typedef enum err db_row_fn(void *ctx, const struct db_cell *cells, size_t n, struct errbuf *eb);

/* What a backend provides; conn is the backend's own connection object. */
struct store_backend {
    enum err (*connect)(const struct store_opts *opts, void **conn, struct errbuf *eb);
    void (*disconnect)(void *conn);
    /* Make conn usable again when it broke (PostgreSQL reset); false when it stays down. */
    bool (*check)(void *conn);
    /* Run one statement; *changes (may be NULL) gets the rows changed. */
    enum err (*exec)(void *conn,
                     const char *sql,
                     const struct db_param *p,
                     size_t n,
                     int64_t *changes,
                     struct errbuf *eb);
    /* Run one query; fn gets each row in order. */
    enum err (*query_each)(void *conn,
                           const char *sql,
                           const struct db_param *p,
                           size_t n,
                           db_row_fn *fn,
                           void *ctx,
                           struct errbuf *eb);
    /* Run a multi-statement script without parameters. */
    enum err (*script)(void *conn, const char *sql, struct errbuf *eb);
    const char *begin_sql; /* "BEGIN IMMEDIATE" on SQLite: writers serialise up front */
    /* Opens one read snapshot for several queries, or NULL (each statement its own). */
    const char *read_begin_sql;
};

extern const struct store_backend store_backend_sqlite;
extern const struct store_backend store_backend_pg;

/* One pooled connection. */
struct db {
    const struct store_backend *be;
    enum store_kind kind;
    void *conn;
    bool is_busy;
};

struct store {
    enum store_kind kind;
    const struct store_backend *be;
    struct db *pool;
    int n_pool;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* Borrow a connection (waits while all are busy). */
struct db *store_db_get(struct store *st);
/* Return a connection borrowed with store_db_get. */
void store_db_put(struct store *st, struct db *db);

/* Run one statement on db. */
enum err db_exec(struct db *db,
                 const char *sql,
                 const struct db_param *p,
                 size_t n,
                 int64_t *changes,
                 struct errbuf *eb);
/* Run a query; *rows is a new array of row objects. */
enum err db_query(struct db *db,
                  const char *sql,
                  const struct db_param *p,
                  size_t n,
                  json_t **rows,
                  struct errbuf *eb);
/* Run a query; fn gets each row in order. */
enum err db_query_each(struct db *db,
                       const char *sql,
                       const struct db_param *p,
                       size_t n,
                       db_row_fn *fn,
                       void *ctx,
                       struct errbuf *eb);
/* Append cell's value to out as JSON text, the value db_query would give it; is_raw: the cell
 * holds JSON text this program wrote (embedded as is; empty or NULL text becomes null). */
enum err db_cell_json_append(const struct db_cell *cell, bool is_raw, struct buf *out);
/* Append v to out in decimal. */
enum err db_int_append(int64_t v, struct buf *out);
/* Append s (len bytes) to out as a JSON string: UTF-8 kept, control bytes escaped; text that
 * is not valid UTF-8 becomes null. */
enum err db_json_str_append(const char *s, size_t len, struct buf *out);
/* Run a query; *row is the first row (new reference) or NULL when none. */
enum err db_query_one(struct db *db,
                      const char *sql,
                      const struct db_param *p,
                      size_t n,
                      json_t **row,
                      struct errbuf *eb);
/* Run a query whose first row's column col is an integer; *v gets it (0 when no row/NULL). */
enum err db_query_int(struct db *db,
                      const char *sql,
                      const struct db_param *p,
                      size_t n,
                      const char *col,
                      int64_t *v,
                      struct errbuf *eb);
/* Count the rows with count_sql, then fetch one page with page_sql, which takes $1 = limit
 * and $2 = offset; *results is an array (new reference, NULL on error). */
enum err db_query_page(struct db *db,
                       const char *count_sql,
                       const char *page_sql,
                       int64_t offset,
                       int64_t limit,
                       json_t **results,
                       int64_t *count,
                       struct errbuf *eb);
/* Start a write transaction. */
enum err db_begin(struct db *db, struct errbuf *eb);
/* Commit the transaction (rolled back when the commit fails). */
enum err db_commit(struct db *db, struct errbuf *eb);
/* Run the next queries in one read snapshot where that is cheap (SQLite: one read
 * transaction, so the WAL read lock is taken once, not per query); end with db_read_end. */
enum err db_read_begin(struct db *db, struct errbuf *eb);
/* End what db_read_begin started (errors are logged, not returned). */
void db_read_end(struct db *db);
/* Roll the transaction back (errors are logged, not returned). */
void db_rollback(struct db *db);

/* Return a copy of at most max bytes of s cut on a UTF-8 boundary (NULL stays NULL); the
 * caller frees it. For text columns with a cap. */
char *store_str_cut(const char *s, size_t max);
/* Return obj[key] as an integer (0 when absent or not an integer). */
int64_t row_int(const json_t *row, const char *key);
/* Replace obj[key], a JSON text, by its parsed value (null when empty or unparsable). */
void row_parse_json(json_t *row, const char *key);

/* Shared run/job helpers (store_runs.c). */
/* Fill run with "jobs" (when with_jobs) and "token_totals", parse its JSON fields. */
/* Write the numbers of a gpu_report sample ({"sampled_at","gpus","containers"}) as history
 * rows of job_id (at most STORE_GPU_ROWS_MAX of each kind), inside the caller's transaction. */
enum err store_gpu_save_tx(
    struct db *db, int64_t run_id, int64_t job_id, const json_t *sample, struct errbuf *eb);
enum err store_run_decorate(struct db *db, json_t *run, bool with_jobs, struct errbuf *eb);
/* End run_id when none of its jobs is open; *is_done tells whether it is (now) ended. */
/* Decide run_id's end when no job is open (*is_done); when do_end, also end it (status,
 * finished_at, error). A run that already ended counts as done. */
enum err
store_run_settle(struct db *db, int64_t run_id, bool do_end, bool *is_done, struct errbuf *eb);
/* Turn a job row into the job object (parses summary, drops internal columns). */
void store_job_shape(json_t *job);
/* Return true when a run status is terminal. */
bool store_run_is_terminal(const char *status);

/* Save cursors (validated here) as committed by job_id of run_id, inside db's transaction. */
enum err store_cursors_save_tx(
    struct db *db, int64_t run_id, int64_t job_id, const json_t *cursors, struct errbuf *eb);

/* Fold a successful job's templates (validated here) into the history inside db's
 * transaction: next sequence number, upserts, eviction down to cap rows. */
enum err store_templates_save_tx(struct db *db,
                                 int64_t job_id,
                                 const json_t *templates,
                                 double window_hours,
                                 int64_t cap,
                                 struct errbuf *eb);

/* Read row id of one table into *out (ERR_NOT_FOUND when absent). */
typedef enum err store_row_get_fn(struct db *db, int64_t id, json_t **out, struct errbuf *eb);
/* Insert (*id 0) or update row *id from fields merged over old (NULL: replace). */
typedef enum err store_row_save_fn(
    struct db *db, const json_t *old, const json_t *fields, int64_t *id, struct errbuf *eb);
/* Create (id 0) or edit row id in one transaction: read the old row (merged unless
 * is_full), save, commit, then read the stored row into *out. fields are validated by
 * the caller. */
enum err store_row_save(struct store *st,
                        int64_t id,
                        const json_t *fields,
                        bool is_full,
                        store_row_get_fn *get,
                        store_row_save_fn *save,
                        json_t **out,
                        struct errbuf *eb);
