/* SPDX-License-Identifier: MIT */
/* store_templates.c -- log_triage's template history: one row per stable template key with
 * its redacted text, highest level, first/last sighting and an exponentially weighted rate.
 *
 * Templates come from the worker's result (untrusted), so they are validated. They are
 * folded in only inside the transaction that ends their job as success (store_job_finish):
 * the job takes the next number of the triage sequence (an UPDATE of the one triage_seq
 * row, which also serialises concurrent folds on PostgreSQL), each reported template gets
 * rate_ewma = alpha x rate now + (1 - alpha) x its decayed baseline, and the table is cut
 * back to its cap by evicting the least recently seen rows. Rates are bound as text: both
 * backends convert it into the REAL / DOUBLE PRECISION column. */
#include "store/store.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "store/store_int.h"

#define TPL_COLS                                                                        \
    "key, template, level, first_seen_job_id, first_seen_at, last_seen_at, jobs_seen, " \
    "total_count, rate_ewma, ewma_seq, example"
#define LOOKUP_CHUNK   100
#define TPL_COUNT_MAX  ((json_int_t)1 << 48) /* lines of one template in one job */
#define TPL_FILTER_MAX 64                    /* bytes of a level or new_since filter */

static const char *const levels[] = {"info", "warning", "error", "critical", NULL};

/* Rank of a level name (info 0 .. critical 3), -1 when unknown. */
static int level_rank(const char *level)
{
    for (int i = 0; level && levels[i]; i++)
        if (strcmp(level, levels[i]) == 0)
            return i;
    return -1;
}

bool store_template_level_ok(const char *level)
{
    return level_rank(level) >= 0;
}

static bool is_key(const char *s)
{
    if (!s || strlen(s) != STORE_TEMPLATE_KEY_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* obj[key] is absent (when !is_required) or an integer in [0, TPL_COUNT_MAX]. */
static bool count_ok(const json_t *obj, const char *key, bool is_required)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return !is_required;
    return json_is_integer(v) && json_integer_value(v) >= 0 &&
           json_integer_value(v) <= TPL_COUNT_MAX;
}

static enum err tpl_check(const json_t *t, size_t i, json_t *seen, struct errbuf *eb)
{
    const char *key = jsonx_get_str(t, "key");
    const json_t *text = json_object_get(t, "template");
    const json_t *ex = json_object_get(t, "example");
    const char *bad =
        !json_is_object(t)           ? "not an object"
        : !is_key(key)               ? "key"
        : json_object_get(seen, key) ? "key (duplicate)"
        : !json_is_string(text)      ? "template"
        : json_string_length(text) > STORE_TEMPLATE_TEXT_MAX ||
                strlen(json_string_value(text)) != json_string_length(text)
            ? "template (too long or NUL)"
        : ex && (!json_is_string(ex) || json_string_length(ex) > STORE_TEMPLATE_TEXT_MAX ||
                 strlen(json_string_value(ex)) != json_string_length(ex))
            ? "example"
        : !count_ok(t, "count", true)     ? "count"
        : !count_ok(t, "errors", false)   ? "errors"
        : !count_ok(t, "warnings", false) ? "warnings"
        : !count_ok(t, "critical", false) ? "critical"
                                          : NULL;
    if (bad)
        return errbuf_set(eb, ERR_INVALID, "template %zu: invalid %s", i, bad);
    json_object_set_new(seen, key, json_true());
    return ERR_OK;
}

enum err store_templates_validate(const json_t *templates, struct errbuf *eb)
{
    if (!json_is_array(templates))
        return errbuf_set(eb, ERR_INVALID, "templates must be an array");
    if (json_array_size(templates) > STORE_TEMPLATES_JOB_MAX)
        return errbuf_set(eb, ERR_TOO_LARGE, "more than %d templates", STORE_TEMPLATES_JOB_MAX);
    json_t *seen = json_object();
    enum err e = ERR_OK;
    size_t i;
    json_t *t;
    json_array_foreach(templates, i, t)
    {
        e = tpl_check(t, i, seen, eb);
        if (e != ERR_OK)
            break;
    }
    json_decref(seen);
    return e;
}

/* Add the rows of keys[from .. from + n) (n <= LOOKUP_CHUNK) to found. */
static enum err lookup_chunk(
    struct db *db, const json_t *keys, size_t from, size_t n, json_t *found, struct errbuf *eb)
{
    struct db_param p[LOOKUP_CHUNK];
    struct buf sql;
    json_t *rows = NULL;
    buf_init(&sql, 4096);
    buf_puts(&sql, "SELECT " TPL_COLS " FROM triage_templates WHERE key IN (");
    for (size_t i = 0; i < n; i++) {
        buf_printf(&sql, "%s$%zu", i ? ", " : "", i + 1);
        p[i] = DB_S(json_string_value(json_array_get(keys, from + i)));
    }
    buf_puts(&sql, ")");
    enum err e = db_query(db, buf_str(&sql), p, n, &rows, eb);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        json_object_set(found, jsonx_get_str(row, "key"), row);
    }
    json_decref(rows);
    buf_fini(&sql);
    return e;
}

static enum err lookup_tx(struct db *db, const json_t *keys, json_t *found, struct errbuf *eb)
{
    enum err e = ERR_OK;
    size_t n = json_array_size(keys);
    for (size_t from = 0; from < n && e == ERR_OK; from += LOOKUP_CHUNK)
        e = lookup_chunk(db, keys, from, n - from < LOOKUP_CHUNK ? n - from : LOOKUP_CHUNK, found,
                         eb);
    return e;
}

enum err store_templates_lookup(
    struct store *st, const json_t *keys, json_t **found, int64_t *seq, struct errbuf *eb)
{
    *found = NULL;
    *seq = 0;
    if (!json_is_array(keys) || json_array_size(keys) > STORE_TEMPLATES_JOB_MAX)
        return errbuf_set(eb, ERR_INVALID, "keys must be an array of at most %d",
                          STORE_TEMPLATES_JOB_MAX);
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        if (!is_key(json_string_value(k)))
            return errbuf_set(eb, ERR_INVALID, "key %zu is not 16 lowercase hex digits", i);
    }
    struct db *db = store_db_get(st);
    json_t *out = json_object();
    enum err e = db_read_begin(db, eb);
    if (e == ERR_OK) {
        e = db_query_int(db, "SELECT seq FROM triage_seq WHERE id = 1", NULL, 0, "seq", seq, eb);
        if (e == ERR_OK)
            e = lookup_tx(db, keys, out, eb);
        db_read_end(db);
    }
    store_db_put(st, db);
    if (e == ERR_OK)
        *found = out;
    else
        json_decref(out);
    return e;
}

enum err store_template_texts(struct store *st, json_t **out, struct errbuf *eb)
{
    json_t *rows = NULL;
    *out = NULL;
    struct db *db = store_db_get(st);
    enum err e = db_query(db, "SELECT template FROM triage_templates", NULL, 0, &rows, eb);
    store_db_put(st, db);
    if (e != ERR_OK)
        return e;
    json_t *texts = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        json_array_append(texts, json_object_get(row, "template"));
    }
    json_decref(rows);
    *out = texts;
    return ERR_OK;
}

double store_template_baseline(const json_t *row, int64_t seq_now)
{
    double rate = json_number_value(json_object_get(row, "rate_ewma"));
    int64_t missed = seq_now - 1 - row_int(row, "ewma_seq");
    if (missed <= 0 || rate <= 0)
        return rate > 0 ? rate : 0;
    return rate * pow(1.0 - STORE_TEMPLATE_ALPHA, (double)missed);
}

/* The level of a reported template in its job: critical, error, warning or info. */
static int job_level(const json_t *t)
{
    return row_int(t, "critical") > 0   ? 3
           : row_int(t, "errors") > 0   ? 2
           : row_int(t, "warnings") > 0 ? 1
                                        : 0;
}

/* What one fold shares for every template of a job. */
struct fold {
    int64_t job_id;
    int64_t seq;
    double hours;
    char now[CLOCK_ISO_LEN];
};

/* Insert or update one template t (old: its row before this job, or NULL). */
static enum err
upsert(struct db *db, const struct fold *f, const json_t *t, const json_t *old, struct errbuf *eb)
{
    int64_t count = row_int(t, "count");
    double rate = (double)count / f->hours;
    if (old)
        rate = STORE_TEMPLATE_ALPHA * rate +
               (1.0 - STORE_TEMPLATE_ALPHA) * store_template_baseline(old, f->seq);
    int level = job_level(t);
    int old_level = old ? level_rank(jsonx_get_str(old, "level")) : -1;
    char rate_s[48];
    snprintf(rate_s, sizeof(rate_s), "%.6f", rate);
    struct db_param p[] = {DB_S(jsonx_get_str(t, "key")),
                           DB_S(jsonx_get_str(t, "template")),
                           DB_S(levels[old_level > level ? old_level : level]),
                           DB_I(f->job_id),
                           DB_S(f->now),
                           DB_I(old ? row_int(old, "jobs_seen") + 1 : 1),
                           DB_I((old ? row_int(old, "total_count") : 0) + count),
                           DB_S(rate_s),
                           DB_I(f->seq),
                           DB_S(jsonx_get_str(t, "example"))};
    return db_exec(db,
                   "INSERT INTO triage_templates (" TPL_COLS ") VALUES ($1, $2, $3, $4, $5, $5, "
                   "$6, $7, $8, $9, $10) ON CONFLICT (key) DO UPDATE SET "
                   "template = excluded.template, level = excluded.level, "
                   "last_seen_at = excluded.last_seen_at, jobs_seen = excluded.jobs_seen, "
                   "total_count = excluded.total_count, rate_ewma = excluded.rate_ewma, "
                   "ewma_seq = excluded.ewma_seq, "
                   "example = COALESCE(excluded.example, triage_templates.example)",
                   p, 10, NULL, eb);
}

/* Cut the table to cap rows: the least recently seen go first (then the rarest). */
static enum err evict(struct db *db, int64_t cap, struct errbuf *eb)
{
    int64_t n = 0;
    enum err e =
        db_query_int(db, "SELECT COUNT(*) AS n FROM triage_templates", NULL, 0, "n", &n, eb);
    if (e == ERR_OK && n > cap)
        e = db_exec(db,
                    "DELETE FROM triage_templates WHERE key IN (SELECT key FROM "
                    "triage_templates ORDER BY ewma_seq, total_count, key LIMIT $1)",
                    (struct db_param[]){DB_I(n - cap)}, 1, NULL, eb);
    return e;
}

enum err store_templates_save_tx(struct db *db,
                                 int64_t job_id,
                                 const json_t *templates,
                                 double window_hours,
                                 int64_t cap,
                                 struct errbuf *eb)
{
    struct fold f = {.job_id = job_id, .hours = window_hours};
    json_t *keys = json_array(), *found = json_object();
    size_t i;
    json_t *t;
    clock_now_iso(f.now);
    enum err e = store_templates_validate(templates, eb);
    if (e == ERR_OK && !(window_hours > 0 && window_hours < 1e9))
        e = errbuf_set(eb, ERR_INVALID, "a template window must be a positive number of hours");
    if (e == ERR_OK)
        e = db_exec(db, "UPDATE triage_seq SET seq = seq + 1 WHERE id = 1", NULL, 0, NULL, eb);
    if (e == ERR_OK)
        e = db_query_int(db, "SELECT seq FROM triage_seq WHERE id = 1", NULL, 0, "seq", &f.seq, eb);
    json_array_foreach(templates, i, t)
    {
        json_array_append(keys, json_object_get(t, "key"));
    }
    if (e == ERR_OK)
        e = lookup_tx(db, keys, found, eb);
    json_array_foreach(templates, i, t)
    {
        if (e != ERR_OK)
            break;
        e = upsert(db, &f, t, json_object_get(found, jsonx_get_str(t, "key")), eb);
    }
    if (e == ERR_OK)
        e = evict(db, cap, eb);
    json_decref(keys);
    json_decref(found);
    return e;
}

/* The WHERE clauses for the four filter combinations ($1.. numbered in use order). */
static const char *const wheres[4] = {"", " WHERE level = $1", " WHERE first_seen_at >= $1",
                                      " WHERE level = $1 AND first_seen_at >= $2"};

enum err store_template_list(struct store *st,
                             const struct store_template_filter *f,
                             json_t **results,
                             int64_t *count,
                             struct errbuf *eb)
{
    *results = NULL;
    *count = 0;
    int64_t ms = 0;
    if (f->level && level_rank(f->level) < 0)
        return errbuf_set(eb, ERR_INVALID, "level is one of info, warning, error, critical");
    if (f->new_since &&
        (strlen(f->new_since) > TPL_FILTER_MAX || !clock_iso_parse(f->new_since, &ms)))
        return errbuf_set(eb, ERR_INVALID, "new_since is an ISO 8601 timestamp");
    char since[CLOCK_ISO_LEN];
    struct db_param p[4];
    size_t n = 0;
    if (f->level)
        p[n++] = DB_S(f->level);
    if (f->new_since) {
        clock_iso_from_ms(ms, since); /* the stored form, so text order is time order */
        p[n++] = DB_S(since);
    }
    const char *where = wheres[(f->level ? 1 : 0) + (f->new_since ? 2 : 0)];
    char sql[320];
    struct db *db = store_db_get(st);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) AS n FROM triage_templates%s", where);
    enum err e = db_query_int(db, sql, p, n, "n", count, eb);
    snprintf(sql, sizeof(sql),
             "SELECT " TPL_COLS " FROM triage_templates%s ORDER BY first_seen_at DESC, key "
             "LIMIT $%zu OFFSET $%zu",
             where, n + 1, n + 2);
    p[n] = DB_I(f->limit);
    p[n + 1] = DB_I(f->offset);
    if (e == ERR_OK)
        e = db_query(db, sql, p, n + 2, results, eb);
    store_db_put(st, db);
    return e;
}

enum err store_template_get(struct store *st, const char *key, json_t **out, struct errbuf *eb)
{
    *out = NULL;
    if (!is_key(key))
        return errbuf_set(eb, ERR_NOT_FOUND, "no such template");
    struct db *db = store_db_get(st);
    enum err e = db_query_one(db, "SELECT " TPL_COLS " FROM triage_templates WHERE key = $1",
                              (struct db_param[]){DB_S(key)}, 1, out, eb);
    store_db_put(st, db);
    if (e == ERR_OK && !*out)
        e = errbuf_set(eb, ERR_NOT_FOUND, "no such template");
    return e;
}
