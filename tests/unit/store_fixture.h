/* SPDX-License-Identifier: MIT */
/* store_fixture.h -- the shared fixture of the store tests: a fresh store on backend i
 * (0: SQLite in a new file under /tmp, 1: PostgreSQL in a new schema on CB_TEST_PG; the
 * PostgreSQL half is skipped when CB_TEST_PG is unset, except with CI=true, where it
 * fails), migrated, and dropped afterwards. Define STORE_FX_TAG ("_allow") before
 * including to tell the files and schemas of one test binary from another's. */
#pragma once

#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "store/store.h"

#ifndef STORE_FX_TAG
#define STORE_FX_TAG ""
#endif

struct fx {
    struct store *st;
    bool is_pg;
    char path[256];
    char schema[64];
};

static inline void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static inline void pg_admin(const char *sql)
{
    PGconn *c = PQconnectdb(getenv("CB_TEST_PG"));
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "CB_TEST_PG: %s", PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet, NULL);
    PGresult *r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

/* Open a fresh store for backend i (0 SQLite, 1 PostgreSQL); false = skip (PG not set). */
static inline bool fx_open_n(struct fx *f, int i, int pool, bool do_migrate)
{
    struct errbuf eb = {{0}};
    struct store_opts o = {.pool_size = pool};
    char *conninfo = NULL;
    memset(f, 0, sizeof(*f));
    if (i == 1) {
        const char *pg = getenv("CB_TEST_PG");
        const char *ci = getenv("CI");
        if (!pg || !*pg) {
            ck_assert_msg(!(ci && strcmp(ci, "true") == 0),
                          "CI=true but CB_TEST_PG is unset: the PostgreSQL tests must run");
            return false;
        }
        f->is_pg = true;
        snprintf(f->schema, sizeof(f->schema), "cbt%s_%d_%d", STORE_FX_TAG, (int)getpid(),
                 rand() % 100000);
        char *sql = xasprintf("CREATE SCHEMA %s", f->schema);
        pg_admin(sql);
        xfree(sql);
        conninfo = xasprintf("%s options='-csearch_path=%s'", pg, f->schema);
        o.pg_conninfo = conninfo;
    } else {
        snprintf(f->path, sizeof(f->path), "/tmp/cb_test_store%s_%d_%d.db", STORE_FX_TAG,
                 (int)getpid(), rand() % 100000);
        unlink(f->path);
        o.sqlite_path = f->path;
    }
    enum err e = store_open(&o, &f->st, &eb);
    xfree(conninfo);
    ck_assert_msg(e == ERR_OK, "store_open: %s", errbuf_get(&eb, e));
    if (do_migrate) {
        int applied = 0;
        e = store_migrate(f->st, &applied, &eb);
        ck_assert_msg(e == ERR_OK, "migrate: %s", errbuf_get(&eb, e));
    }
    return true;
}

static inline bool fx_open(struct fx *f, int i)
{
    return fx_open_n(f, i, 4, true);
}

static inline void fx_close(struct fx *f)
{
    store_close(f->st);
    if (f->is_pg) {
        char *sql = xasprintf("DROP SCHEMA %s CASCADE", f->schema);
        pg_admin(sql);
        xfree(sql);
    } else {
        char side[300];
        unlink(f->path);
        snprintf(side, sizeof(side), "%s-wal", f->path);
        unlink(side);
        snprintf(side, sizeof(side), "%s-shm", f->path);
        unlink(side);
    }
}

#define OK(call)                                                            \
    do {                                                                    \
        struct errbuf eb_ = {{0}};                                          \
        enum err e_ = (call);                                               \
        ck_assert_msg(e_ == ERR_OK, "%s: %s", #call, errbuf_get(&eb_, e_)); \
    } while (0)
#define EB (&eb_)

/* Launch a run of tasks (a 1 h window) and return it (caller decrefs). */
static inline json_t *
fx_launch(struct fx *f, const char *const *tasks, size_t n, int64_t directive_id, const char *text)
{
    struct store_launch req = {tasks, n, directive_id, text, 3600 * 1000};
    json_t *run = NULL;
    OK(store_run_launch(f->st, &req, &run, EB));
    return run;
}

/* o[path1] (or o[path1][path2]) as a string, NULL when absent. */
static inline const char *fx_str(const json_t *o, const char *path1, const char *path2)
{
    const json_t *v = json_object_get(o, path1);
    if (path2)
        v = json_object_get(v, path2);
    return json_string_value(v);
}

static inline int64_t fx_int(const json_t *o, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(o, k));
}
