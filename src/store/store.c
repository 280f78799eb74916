/* SPDX-License-Identifier: MIT */
/* store.c -- store lifecycle, the connection pool and the backend-neutral db helpers. */
#include "store/store.h"

#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "store/store_int.h"

#define POOL_MAX 64

enum err store_open(const struct store_opts *opts, struct store **out, struct errbuf *eb)
{
    *out = NULL;
    if (!opts || (!opts->pg_conninfo && !opts->sqlite_path))
        return errbuf_set(eb, ERR_INVALID, "no database configured");
    if (opts->pool_size < 1 || opts->pool_size > POOL_MAX)
        return errbuf_set(eb, ERR_INVALID, "pool size must be 1..%d", POOL_MAX);
    struct store *st = xcalloc(1, sizeof(*st));
    st->kind = opts->pg_conninfo ? STORE_PG : STORE_SQLITE;
    st->be = st->kind == STORE_PG ? &store_backend_pg : &store_backend_sqlite;
    st->pool = xcalloc((size_t)opts->pool_size, sizeof(*st->pool));
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    for (int i = 0; i < opts->pool_size; i++) {
        struct db *db = &st->pool[i];
        db->be = st->be;
        db->kind = st->kind;
        enum err e = st->be->connect(opts, &db->conn, eb);
        if (e != ERR_OK) {
            store_close(st);
            return e;
        }
        st->n_pool++;
    }
    log_info("store", "event=store.open backend=%s pool=%d",
             st->kind == STORE_PG ? "postgresql" : "sqlite", st->n_pool);
    *out = st;
    return ERR_OK;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    for (int i = 0; i < st->n_pool; i++)
        st->be->disconnect(st->pool[i].conn);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
    xfree(st->pool);
    xfree(st);
}

enum store_kind store_kind_get(const struct store *st)
{
    return st->kind;
}

struct db *store_db_get(struct store *st)
{
    struct db *db = NULL;
    pthread_mutex_lock(&st->mu);
    for (;;) {
        for (int i = 0; i < st->n_pool && !db; i++)
            if (!st->pool[i].is_busy)
                db = &st->pool[i];
        if (db)
            break;
        pthread_cond_wait(&st->cv, &st->mu);
    }
    db->is_busy = true;
    pthread_mutex_unlock(&st->mu);
    db->be->check(db->conn);
    return db;
}

void store_db_put(struct store *st, struct db *db)
{
    if (!db)
        return;
    pthread_mutex_lock(&st->mu);
    db->is_busy = false;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

enum err store_ping(struct store *st, struct errbuf *eb)
{
    struct db *db = store_db_get(st);
    int64_t one = 0;
    enum err e = db_query_int(db, "SELECT 1 AS one", NULL, 0, "one", &one, eb);
    store_db_put(st, db);
    if (e == ERR_OK && one != 1)
        e = errbuf_set(eb, ERR_DB, "database gave a wrong answer to SELECT 1");
    return e;
}

enum err db_exec(struct db *db,
                 const char *sql,
                 const struct db_param *p,
                 size_t n,
                 int64_t *changes,
                 struct errbuf *eb)
{
    return db->be->exec(db->conn, sql, p, n, changes, eb);
}

enum err db_query_each(struct db *db,
                       const char *sql,
                       const struct db_param *p,
                       size_t n,
                       db_row_fn *fn,
                       void *ctx,
                       struct errbuf *eb)
{
    return db->be->query_each(db->conn, sql, p, n, fn, ctx, eb);
}

static json_t *cell_json(const struct db_cell *c)
{
    switch (c->type) {
    case DB_C_INT:
        return json_integer(c->i);
    case DB_C_BOOL:
        return json_boolean(c->i != 0);
    case DB_C_REAL:
        return json_real(c->d);
    case DB_C_TEXT:
        return json_stringn(c->s, c->len);
    case DB_C_NULL:
    default:
        return json_null();
    }
}

static enum err row_object(void *ctx, const struct db_cell *cells, size_t n, struct errbuf *eb)
{
    (void)eb;
    json_t *row = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(row, cells[i].name, cell_json(&cells[i]));
    json_array_append_new(ctx, row);
    return ERR_OK;
}

enum err db_query(struct db *db,
                  const char *sql,
                  const struct db_param *p,
                  size_t n,
                  json_t **rows,
                  struct errbuf *eb)
{
    json_t *arr = json_array();
    enum err e = db_query_each(db, sql, p, n, row_object, arr, eb);
    if (e != ERR_OK) {
        json_decref(arr);
        arr = NULL;
    }
    *rows = arr;
    return e;
}

enum err db_query_one(struct db *db,
                      const char *sql,
                      const struct db_param *p,
                      size_t n,
                      json_t **row,
                      struct errbuf *eb)
{
    json_t *rows = NULL;
    *row = NULL;
    enum err e = db_query(db, sql, p, n, &rows, eb);
    if (e != ERR_OK)
        return e;
    if (json_array_size(rows) > 0)
        *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return ERR_OK;
}

enum err db_query_int(struct db *db,
                      const char *sql,
                      const struct db_param *p,
                      size_t n,
                      const char *col,
                      int64_t *v,
                      struct errbuf *eb)
{
    json_t *row = NULL;
    *v = 0;
    enum err e = db_query_one(db, sql, p, n, &row, eb);
    if (e == ERR_OK && row)
        *v = row_int(row, col);
    json_decref(row);
    return e;
}

enum err db_query_page(struct db *db,
                       const char *count_sql,
                       const char *page_sql,
                       int64_t offset,
                       int64_t limit,
                       json_t **results,
                       int64_t *count,
                       struct errbuf *eb)
{
    *results = NULL;
    *count = 0;
    enum err e = db_query_int(db, count_sql, NULL, 0, "n", count, eb);
    if (e == ERR_OK)
        e = db_query(db, page_sql, (struct db_param[]){DB_I(limit), DB_I(offset)}, 2, results, eb);
    return e;
}

enum err db_begin(struct db *db, struct errbuf *eb)
{
    return db_exec(db, db->be->begin_sql, NULL, 0, NULL, eb);
}

enum err db_commit(struct db *db, struct errbuf *eb)
{
    enum err e = db_exec(db, "COMMIT", NULL, 0, NULL, eb);
    /* A failed COMMIT can leave SQLite inside the transaction: never hand such a
     * connection back to the pool. */
    if (e != ERR_OK)
        db_rollback(db);
    return e;
}

enum err db_read_begin(struct db *db, struct errbuf *eb)
{
    if (!db->be->read_begin_sql)
        return ERR_OK;
    return db_exec(db, db->be->read_begin_sql, NULL, 0, NULL, eb);
}

void db_read_end(struct db *db)
{
    if (db->be->read_begin_sql)
        db_rollback(db);
}

void db_rollback(struct db *db)
{
    struct errbuf eb = {{0}};
    if (db_exec(db, "ROLLBACK", NULL, 0, NULL, &eb) != ERR_OK)
        log_warn("store", "event=rollback.failed");
}

char *store_str_cut(const char *s, size_t max)
{
    if (!s)
        return NULL;
    size_t n = strnlen(s, max + 1);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    return xstrndup(s, n);
}

int64_t row_int(const json_t *row, const char *key)
{
    json_t *v = json_object_get(row, key);
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_boolean(v))
        return json_is_true(v) ? 1 : 0;
    return 0;
}

void row_parse_json(json_t *row, const char *key)
{
    json_t *v = json_object_get(row, key);
    if (!json_is_string(v))
        return;
    json_t *parsed = json_loads(json_string_value(v), JSON_DECODE_ANY, NULL);
    json_object_set_new(row, key, parsed ? parsed : json_null());
}

enum err store_row_save(struct store *st,
                        int64_t id,
                        const json_t *fields,
                        bool is_full,
                        store_row_get_fn *get,
                        store_row_save_fn *save,
                        json_t **out,
                        struct errbuf *eb)
{
    json_t *old = NULL;
    *out = NULL;
    struct db *db = store_db_get(st);
    enum err e = db_begin(db, eb);
    if (e != ERR_OK)
        goto out;
    if (id)
        e = get(db, id, &old, eb);
    if (e == ERR_OK)
        e = save(db, is_full ? NULL : old, fields, &id, eb);
    if (e == ERR_OK)
        e = db_commit(db, eb);
    else
        db_rollback(db);
    if (e == ERR_OK)
        e = get(db, id, out, eb);
out:
    store_db_put(st, db);
    json_decref(old);
    return e;
}
