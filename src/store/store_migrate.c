/* SPDX-License-Identifier: MIT */
/* store_migrate.c -- numbered SQL migrations, embedded at build time (gen_migrations).
 *
 * Files are src/store/migrations/<backend>/NNN_name.sql; each pending one is applied in
 * its own transaction together with its schema_migrations row. On PostgreSQL a
 * transaction-scoped advisory lock makes concurrent `migrate` runs wait for each other. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/embed.h"
#include "core/log.h"
#include "store/store_int.h"

#define MIGRATIONS_MAX  128
#define PG_MIGRATE_LOCK "SELECT pg_advisory_xact_lock(7150012026) AS locked"

struct migration {
    int version;
    const char *name; /* file name, e.g. "001_init.sql" */
    const char *sql;
};

static int by_version(const void *a, const void *b)
{
    const struct migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

/* Collect the embedded migrations of kind, sorted by version; returns the count. */
static size_t collect(enum store_kind kind, struct migration *out, size_t cap)
{
    const char *dir = kind == STORE_PG ? "/pg/" : "/sqlite/";
    size_t n = 0;
    for (const struct embed_file *f = gen_migrations; f->path && n < cap; f++) {
        const char *d = strstr(f->path, dir);
        if (!d)
            continue;
        const char *base = d + strlen(dir);
        char *end = NULL;
        long v = strtol(base, &end, 10);
        if (v <= 0 || end == base || *end != '_')
            continue;
        out[n].version = (int)v;
        out[n].name = base;
        out[n].sql = (const char *)f->data;
        n++;
    }
    qsort(out, n, sizeof(*out), by_version);
    return n;
}

static enum err ensure_table(struct db *db, struct errbuf *eb)
{
    enum err e = db_begin(db, eb);
    if (e != ERR_OK)
        return e;
    if (db->kind == STORE_PG)
        e = db_exec(db, PG_MIGRATE_LOCK, NULL, 0, NULL, eb);
    if (e == ERR_OK)
        e = db->be->script(db->conn,
                           "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER "
                           "PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
                           eb);
    if (e == ERR_OK)
        return db_commit(db, eb);
    db_rollback(db);
    return e;
}

/* Apply m unless present; *did tells whether it ran. */
static enum err apply_one(struct db *db, const struct migration *m, bool *did, struct errbuf *eb)
{
    char now[CLOCK_ISO_LEN];
    int64_t n = 0;
    *did = false;
    enum err e = db_begin(db, eb);
    if (e != ERR_OK)
        return e;
    if (db->kind == STORE_PG)
        e = db_exec(db, PG_MIGRATE_LOCK, NULL, 0, NULL, eb);
    if (e == ERR_OK)
        e = db_query_int(db, "SELECT COUNT(*) AS n FROM schema_migrations WHERE version = $1",
                         (struct db_param[]){DB_I(m->version)}, 1, "n", &n, eb);
    if (e != ERR_OK || n > 0)
        goto out;
    e = db->be->script(db->conn, m->sql, eb);
    clock_now_iso(now);
    if (e == ERR_OK)
        e = db_exec(db,
                    "INSERT INTO schema_migrations (version, name, applied_at) "
                    "VALUES ($1, $2, $3)",
                    (struct db_param[]){DB_I(m->version), DB_S(m->name), DB_S(now)}, 3, NULL, eb);
    *did = e == ERR_OK;
out:
    if (e != ERR_OK) {
        db_rollback(db);
        *did = false;
        return e;
    }
    return db_commit(db, eb);
}

enum err store_migrate(struct store *st, int *applied, struct errbuf *eb)
{
    struct migration ms[MIGRATIONS_MAX];
    size_t n = collect(st->kind, ms, MIGRATIONS_MAX);
    struct db *db = store_db_get(st);
    *applied = 0;
    enum err e = ensure_table(db, eb);
    for (size_t i = 0; i < n && e == ERR_OK; i++) {
        bool did = false;
        e = apply_one(db, &ms[i], &did, eb);
        if (did) {
            (*applied)++;
            log_info("store", "event=migrate.applied version=%d", ms[i].version);
        }
    }
    store_db_put(st, db);
    return e;
}

enum err
store_migrate_status(struct store *st, int *db_version, int *latest_version, struct errbuf *eb)
{
    struct migration ms[MIGRATIONS_MAX];
    size_t n = collect(st->kind, ms, MIGRATIONS_MAX);
    int64_t has = 0, v = 0;
    *db_version = 0;
    *latest_version = n ? ms[n - 1].version : 0;
    const char *sql =
        st->kind == STORE_PG
            ? "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = "
              "current_schema() AND table_name = 'schema_migrations'"
            : "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = "
              "'schema_migrations'";
    struct db *db = store_db_get(st);
    enum err e = db_query_int(db, sql, NULL, 0, "n", &has, eb);
    if (e == ERR_OK && has)
        e = db_query_int(db, "SELECT MAX(version) AS v FROM schema_migrations", NULL, 0, "v", &v,
                         eb);
    store_db_put(st, db);
    *db_version = (int)v;
    return e;
}
