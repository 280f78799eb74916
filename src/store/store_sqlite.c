/* SPDX-License-Identifier: MIT */
/* store_sqlite.c -- the SQLite backend: one sqlite3 handle per pooled connection.
 *
 * WAL mode, busy_timeout 5000 ms, foreign keys on, synchronous NORMAL. Writers open
 * their transactions with BEGIN IMMEDIATE so they queue on the lock instead of failing
 * on upgrade. Parameters $1..$n are bound by name, so one may appear twice.
 * Each connection keeps its last STMT_CACHE prepared statements, keyed by SQL text, and
 * resets them after every use, so a statement never holds a read snapshot between calls. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/store_int.h"

#define STMT_CACHE 16
#define MAX_COLS   64

struct cached {
    char *sql;
    uint64_t hash; /* of sql, compared before the text */
    sqlite3_stmt *stmt;
    uint64_t used; /* tick of the last use; 0 = empty slot */
};

struct sq {
    sqlite3 *h;
    uint64_t tick;
    struct cached cache[STMT_CACHE];
};

static enum err fail(sqlite3 *h, struct errbuf *eb, const char *what)
{
    int code = sqlite3_extended_errcode(h);
    if ((code & 0xff) == SQLITE_CONSTRAINT)
        return errbuf_set(eb, ERR_CONFLICT, "%s: %s", what, sqlite3_errmsg(h));
    log_warn("store", "event=sqlite.error what=%s code=%d msg=\"%s\"", what, code,
             sqlite3_errmsg(h));
    return errbuf_set(eb, ERR_DB, "database error (%s): %s", what, sqlite3_errmsg(h));
}

static enum err sq_connect(const struct store_opts *opts, void **conn, struct errbuf *eb)
{
    sqlite3 *h = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    *conn = NULL;
    if (sqlite3_open_v2(opts->sqlite_path, &h, flags, NULL) != SQLITE_OK) {
        enum err e = errbuf_set(eb, ERR_DB, "cannot open SQLite database: %s",
                                h ? sqlite3_errmsg(h) : "out of memory");
        sqlite3_close(h);
        return e;
    }
    sqlite3_busy_timeout(h, 5000);
    const char *pragmas = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
                          "PRAGMA synchronous=NORMAL;";
    if (sqlite3_exec(h, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
        enum err e = fail(h, eb, "pragma");
        sqlite3_close(h);
        return e;
    }
    struct sq *c = xcalloc(1, sizeof(*c));
    c->h = h;
    *conn = c;
    return ERR_OK;
}

static void sq_disconnect(void *conn)
{
    struct sq *c = conn;
    if (!c)
        return;
    for (size_t i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(c->cache[i].stmt);
        xfree(c->cache[i].sql);
    }
    sqlite3_close(c->h);
    xfree(c);
}

static bool sq_check(void *conn)
{
    return conn != NULL;
}

/* Return the FNV-1a hash of s. */
static uint64_t hash_of(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Return the cached statement for sql, preparing it (and evicting the least recently used
 * one) when absent. */
static enum err stmt_get(struct sq *c, const char *sql, sqlite3_stmt **out, struct errbuf *eb)
{
    struct cached *slot = &c->cache[0];
    uint64_t h = hash_of(sql);
    c->tick++;
    for (size_t i = 0; i < STMT_CACHE; i++) {
        struct cached *k = &c->cache[i];
        if (k->used && k->hash == h && strcmp(k->sql, sql) == 0) {
            k->used = c->tick;
            *out = k->stmt;
            return ERR_OK;
        }
        if (k->used < slot->used)
            slot = k;
    }
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
        return fail(c->h, eb, "prepare");
    sqlite3_finalize(slot->stmt);
    xfree(slot->sql);
    slot->sql = xstrdup(sql);
    slot->hash = h;
    slot->stmt = stmt;
    slot->used = c->tick;
    *out = stmt;
    return ERR_OK;
}

/* Make a used statement ready for its next use (drops its read snapshot). */
static void stmt_done(sqlite3_stmt *stmt)
{
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

static enum err prepare(struct sq *c,
                        const char *sql,
                        const struct db_param *p,
                        size_t n,
                        sqlite3_stmt **out,
                        struct errbuf *eb)
{
    sqlite3_stmt *stmt = NULL;
    *out = NULL;
    enum err e = stmt_get(c, sql, &stmt, eb);
    if (e != ERR_OK)
        return e;
    for (size_t i = 0; i < n; i++) {
        static const char *const names[] = {"$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8"};
        char tmp[24];
        const char *name = names[i < 8 ? i : 0];
        if (i >= 8) {
            snprintf(tmp, sizeof(tmp), "$%zu", i + 1);
            name = tmp;
        }
        int idx = sqlite3_bind_parameter_index(stmt, name);
        int rc = SQLITE_OK;
        if (idx == 0)
            continue;
        if (p[i].type == DB_INT)
            rc = sqlite3_bind_int64(stmt, idx, p[i].i);
        else if (p[i].type == DB_TEXT)
            rc = sqlite3_bind_text(stmt, idx, p[i].s, -1, SQLITE_TRANSIENT);
        else
            rc = sqlite3_bind_null(stmt, idx);
        if (rc != SQLITE_OK) {
            e = fail(c->h, eb, "bind");
            stmt_done(stmt);
            return e;
        }
    }
    *out = stmt;
    return ERR_OK;
}

static enum err sq_exec(void *conn,
                        const char *sql,
                        const struct db_param *p,
                        size_t n,
                        int64_t *changes,
                        struct errbuf *eb)
{
    struct sq *c = conn;
    sqlite3_stmt *stmt = NULL;
    enum err e = prepare(c, sql, p, n, &stmt, eb);
    if (e != ERR_OK)
        return e;
    int rc;
    do {
        rc = sqlite3_step(stmt);
    } while (rc == SQLITE_ROW);
    if (rc != SQLITE_DONE)
        e = fail(c->h, eb, "exec");
    else if (changes)
        *changes = sqlite3_changes64(c->h);
    stmt_done(stmt);
    return e;
}

/* Fill cells[i] from column i of the current row; is_bool marks BOOLEAN columns. */
static void cell_get(sqlite3_stmt *stmt, int i, bool is_bool, struct db_cell *cell)
{
    switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_NULL:
        cell->type = DB_C_NULL;
        break;
    case SQLITE_INTEGER:
        cell->type = is_bool ? DB_C_BOOL : DB_C_INT;
        cell->i = sqlite3_column_int64(stmt, i);
        break;
    case SQLITE_FLOAT:
        cell->type = DB_C_REAL;
        cell->d = sqlite3_column_double(stmt, i);
        break;
    default:
        cell->type = DB_C_TEXT;
        cell->s = (const char *)sqlite3_column_text(stmt, i);
        cell->len = (size_t)sqlite3_column_bytes(stmt, i);
        if (!cell->s)
            cell->type = DB_C_NULL;
        break;
    }
}

/* Read the column names and BOOLEAN flags; only valid after the first step, which may
 * re-prepare the statement (schema change) and free what was read before it. */
static enum err
columns(sqlite3_stmt *stmt, struct db_cell *cells, bool *is_bool, int *n_cols, struct errbuf *eb)
{
    *n_cols = sqlite3_column_count(stmt);
    if (*n_cols > MAX_COLS)
        return errbuf_set(eb, ERR_DB, "database error (query): more than %d columns", MAX_COLS);
    for (int i = 0; i < *n_cols; i++) {
        const char *decl = sqlite3_column_decltype(stmt, i);
        cells[i].name = sqlite3_column_name(stmt, i);
        is_bool[i] = decl && strcmp(decl, "BOOLEAN") == 0;
    }
    return ERR_OK;
}

static enum err rows(struct sq *c, sqlite3_stmt *stmt, db_row_fn *fn, void *ctx, struct errbuf *eb)
{
    struct db_cell cells[MAX_COLS];
    bool is_bool[MAX_COLS];
    int n_cols = -1, rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        enum err e = n_cols < 0 ? columns(stmt, cells, is_bool, &n_cols, eb) : ERR_OK;
        for (int i = 0; i < n_cols && e == ERR_OK; i++)
            cell_get(stmt, i, is_bool[i], &cells[i]);
        if (e == ERR_OK)
            e = fn(ctx, cells, (size_t)n_cols, eb);
        if (e != ERR_OK)
            return e;
    }
    return rc == SQLITE_DONE ? ERR_OK : fail(c->h, eb, "query");
}

static enum err sq_query_each(void *conn,
                              const char *sql,
                              const struct db_param *p,
                              size_t n,
                              db_row_fn *fn,
                              void *ctx,
                              struct errbuf *eb)
{
    struct sq *c = conn;
    sqlite3_stmt *stmt = NULL;
    enum err e = prepare(c, sql, p, n, &stmt, eb);
    if (e != ERR_OK)
        return e;
    e = rows(c, stmt, fn, ctx, eb);
    stmt_done(stmt);
    return e;
}

static enum err sq_script(void *conn, const char *sql, struct errbuf *eb)
{
    struct sq *c = conn;
    if (sqlite3_exec(c->h, sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail(c->h, eb, "script");
    return ERR_OK;
}

const struct store_backend store_backend_sqlite = {
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .check = sq_check,
    .exec = sq_exec,
    .query_each = sq_query_each,
    .script = sq_script,
    .begin_sql = "BEGIN IMMEDIATE",
};
