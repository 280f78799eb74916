/* SPDX-License-Identifier: MIT */
/* store_pg.c -- the PostgreSQL backend: one libpq connection per pooled connection.
 *
 * Parameters go as text with their types left to the server to infer. Result columns
 * of type bool become JSON booleans, int2/int4/int8 (and whole numerics) JSON integers,
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
#define OID_NUMERIC 1700
#define MAX_PARAMS  32

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

static json_t *cell(PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return json_null();
    const char *v = PQgetvalue(r, row, col);
    Oid t = PQftype(r, col);
    if (t == OID_BOOL)
        return json_boolean(v[0] == 't');
    if (t == OID_INT2 || t == OID_INT4 || t == OID_INT8 || (t == OID_NUMERIC && !strchr(v, '.')))
        return json_integer(strtoll(v, NULL, 10));
    return json_string(v);
}

static enum err pg_query(void *conn,
                         const char *sql,
                         const struct db_param *p,
                         size_t n,
                         json_t **rows,
                         struct errbuf *eb)
{
    PGresult *r = run(conn, sql, p, n);
    *rows = NULL;
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        enum err e = fail(conn, r, eb, "query");
        PQclear(r);
        return e;
    }
    json_t *arr = json_array();
    int n_rows = PQntuples(r), n_cols = PQnfields(r);
    for (int i = 0; i < n_rows; i++) {
        json_t *row = json_object();
        for (int j = 0; j < n_cols; j++)
            json_object_set_new(row, PQfname(r, j), cell(r, i, j));
        json_array_append_new(arr, row);
    }
    PQclear(r);
    *rows = arr;
    return ERR_OK;
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
    .query = pg_query,
    .script = pg_script,
    .begin_sql = "BEGIN",
};
