/* SPDX-License-Identifier: MIT */
/* store_pg.c -- the PostgreSQL backend: one libpq connection per pooled connection.
 *
 * Parameters go as text with their types left to the server to infer. Result columns
 * of type bool become boolean cells, int2/int4/int8 (and whole numerics) integer cells,
 * everything else text. A connection found broken is reset before use. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/store_int.h"

#define OID_BOOL    16
#define OID_INT8    20
#define OID_INT2    21
#define OID_INT4    23
#define OID_FLOAT4  700
#define OID_FLOAT8  701
#define OID_NUMERIC 1700
#define MAX_PARAMS  32
#define MAX_COLS    64

static void quiet_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static enum err pg_connect(const struct store_opts *opts, void **conn, struct errbuf *eb)
{
    PGconn *c = PQconnectdb(opts->pg_conninfo);
    *conn = NULL;
    if (!c || PQstatus(c) != CONNECTION_OK) {
        /* libpq's message names host/port/user, never the password. */
        enum err e = errbuf_set(eb, ERR_DB, "cannot connect to PostgreSQL: %s",
                                c ? PQerrorMessage(c) : "out of memory");
        PQfinish(c);
        return e;
    }
    PQsetNoticeProcessor(c, quiet_notice, NULL);
    PGresult *r = PQexec(c, "SET TIME ZONE 'UTC'");
    PQclear(r);
    *conn = c;
    return ERR_OK;
}

static void pg_disconnect(void *conn)
{
    PQfinish(conn);
}

static bool pg_check(void *conn)
{
    if (PQstatus(conn) == CONNECTION_OK)
        return true;
    log_warn("store", "event=pg.reset");
    PQreset(conn);
    return PQstatus(conn) == CONNECTION_OK;
}

static enum err fail(PGconn *c, PGresult *r, struct errbuf *eb, const char *what)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
    char clean[200];
    snprintf(clean, sizeof(clean), "%s", msg ? msg : "");
    clean[strcspn(clean, "\n")] = '\0';
    if (state && strncmp(state, "23", 2) == 0)
        return errbuf_set(eb, ERR_CONFLICT, "%s: %s", what, clean);
    log_warn("store", "event=pg.error what=%s sqlstate=%s msg=\"%s\"", what, state ? state : "-",
             clean);
    return errbuf_set(eb, ERR_DB, "database error (%s): %s", what, clean);
}

static PGresult *run(PGconn *c, const char *sql, const struct db_param *p, size_t n)
{
    char nums[MAX_PARAMS][24];
    const char *vals[MAX_PARAMS];
    if (n > MAX_PARAMS)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (p[i].type == DB_INT) {
            snprintf(nums[i], sizeof(nums[i]), "%lld", (long long)p[i].i);
            vals[i] = nums[i];
        } else {
            vals[i] = p[i].type == DB_TEXT ? p[i].s : NULL;
        }
    }
    bool was_idle = PQtransactionStatus(c) == PQTRANS_IDLE;
    PGresult *r = PQexecParams(c, sql, (int)n, NULL, vals, NULL, NULL, 0);
    if (!was_idle || PQstatus(c) != CONNECTION_BAD)
        return r;
    /* The server dropped us (restart, idle kill) outside a transaction: nothing was
     * half done, so reconnect and try the statement once more. */
    PQclear(r);
    log_warn("store", "event=pg.reconnect");
    PQreset(c);
    if (PQstatus(c) != CONNECTION_OK)
        return NULL;
    return PQexecParams(c, sql, (int)n, NULL, vals, NULL, NULL, 0);
}

static enum err pg_exec(void *conn,
                        const char *sql,
                        const struct db_param *p,
                        size_t n,
                        int64_t *changes,
                        struct errbuf *eb)
{
    PGresult *r = run(conn, sql, p, n);
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    enum err e = ERR_OK;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        e = fail(conn, r, eb, "exec");
    else if (changes)
        *changes = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return e;
}

/* Fill *c from row, col of r (text in the server's format, typed by the column's OID). */
static void cell_get(PGresult *r, int row, int col, Oid t, struct db_cell *c)
{
    if (PQgetisnull(r, row, col)) {
        c->type = DB_C_NULL;
        return;
    }
    const char *v = PQgetvalue(r, row, col);
    if (t == OID_BOOL) {
        c->type = DB_C_BOOL;
        c->i = v[0] == 't';
    } else if (t == OID_INT2 || t == OID_INT4 || t == OID_INT8 ||
               (t == OID_NUMERIC && !strchr(v, '.'))) {
        c->type = DB_C_INT;
        c->i = strtoll(v, NULL, 10);
    } else if (t == OID_FLOAT4 || t == OID_FLOAT8) {
        c->type = DB_C_REAL;
        c->d = strtod(v, NULL);
    } else {
        c->type = DB_C_TEXT;
        c->s = v;
        c->len = strlen(v);
    }
}

static enum err pg_query_each(void *conn,
                              const char *sql,
                              const struct db_param *p,
                              size_t n,
                              db_row_fn *fn,
                              void *ctx,
                              struct errbuf *eb)
{
    struct db_cell cells[MAX_COLS];
    enum err e = ERR_OK;
    PGresult *r = run(conn, sql, p, n);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        e = fail(conn, r, eb, "query");
        goto out;
    }
    int n_rows = PQntuples(r), n_cols = PQnfields(r);
    if (n_cols > MAX_COLS) {
        e = errbuf_set(eb, ERR_DB, "database error (query): more than %d columns", MAX_COLS);
        goto out;
    }
    for (int j = 0; j < n_cols; j++)
        cells[j].name = PQfname(r, j);
    for (int i = 0; i < n_rows && e == ERR_OK; i++) {
        for (int j = 0; j < n_cols; j++)
            cell_get(r, i, j, PQftype(r, j), &cells[j]);
        e = fn(ctx, cells, (size_t)n_cols, eb);
    }
out:
    PQclear(r);
    return e;
}

static enum err pg_script(void *conn, const char *sql, struct errbuf *eb)
{
    PGresult *r = PQexec(conn, sql);
    enum err e = ERR_OK;
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
        e = fail(conn, r, eb, "script");
    PQclear(r);
    return e;
}

const struct store_backend store_backend_pg = {
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .check = pg_check,
    .exec = pg_exec,
    .query_each = pg_query_each,
    .script = pg_script,
    .begin_sql = "BEGIN",
};
