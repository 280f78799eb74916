/* SPDX-License-Identifier: MIT */
/* store_sqlite.c -- the SQLite backend: one sqlite3 handle per pooled connection.
 *
 * WAL mode, busy_timeout 5000 ms, foreign keys on, synchronous NORMAL. Writers open
 * their transactions with BEGIN IMMEDIATE so they queue on the lock instead of failing
 * on upgrade. Parameters $1..$n are bound by name, so one may appear twice. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "store/store_int.h"

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
    *conn = h;
    return ERR_OK;
}

static void sq_disconnect(void *conn)
{
    sqlite3_close(conn);
}

static bool sq_check(void *conn)
{
    return conn != NULL;
}

static enum err prepare(sqlite3 *h,
                        const char *sql,
                        const struct db_param *p,
                        size_t n,
                        sqlite3_stmt **out,
                        struct errbuf *eb)
{
    sqlite3_stmt *stmt = NULL;
    *out = NULL;
    if (sqlite3_prepare_v2(h, sql, -1, &stmt, NULL) != SQLITE_OK)
        return fail(h, eb, "prepare");
    for (size_t i = 0; i < n; i++) {
        char name[24];
        snprintf(name, sizeof(name), "$%zu", i + 1);
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
            sqlite3_finalize(stmt);
            return fail(h, eb, "bind");
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
    sqlite3 *h = conn;
    sqlite3_stmt *stmt = NULL;
    enum err e = prepare(h, sql, p, n, &stmt, eb);
    if (e != ERR_OK)
        return e;
    int rc;
    do {
        rc = sqlite3_step(stmt);
    } while (rc == SQLITE_ROW);
    if (rc != SQLITE_DONE)
        e = fail(h, eb, "exec");
    else if (changes)
        *changes = sqlite3_changes64(h);
    sqlite3_finalize(stmt);
    return e;
}

static json_t *column_value(sqlite3_stmt *stmt, int i)
{
    const char *decl = sqlite3_column_decltype(stmt, i);
    switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_NULL:
        return json_null();
    case SQLITE_INTEGER:
        if (decl && strcmp(decl, "BOOLEAN") == 0)
            return json_boolean(sqlite3_column_int64(stmt, i) != 0);
        return json_integer(sqlite3_column_int64(stmt, i));
    case SQLITE_FLOAT:
        return json_real(sqlite3_column_double(stmt, i));
    default:
        return json_stringn((const char *)sqlite3_column_text(stmt, i),
                            (size_t)sqlite3_column_bytes(stmt, i));
    }
}

static enum err sq_query(void *conn,
                         const char *sql,
                         const struct db_param *p,
                         size_t n,
                         json_t **rows,
                         struct errbuf *eb)
{
    sqlite3 *h = conn;
    sqlite3_stmt *stmt = NULL;
    *rows = NULL;
    enum err e = prepare(h, sql, p, n, &stmt, eb);
    if (e != ERR_OK)
        return e;
    json_t *arr = json_array();
    int n_cols = sqlite3_column_count(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        json_t *row = json_object();
        for (int i = 0; i < n_cols; i++)
            json_object_set_new(row, sqlite3_column_name(stmt, i), column_value(stmt, i));
        json_array_append_new(arr, row);
    }
    if (rc != SQLITE_DONE) {
        e = fail(h, eb, "query");
        json_decref(arr);
    } else {
        *rows = arr;
    }
    sqlite3_finalize(stmt);
    return e;
}

static enum err sq_script(void *conn, const char *sql, struct errbuf *eb)
{
    if (sqlite3_exec(conn, sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail(conn, eb, "script");
    return ERR_OK;
}

const struct store_backend store_backend_sqlite = {
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .check = sq_check,
    .exec = sq_exec,
    .query = sq_query,
    .script = sq_script,
    .begin_sql = "BEGIN IMMEDIATE",
};
