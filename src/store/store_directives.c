/* SPDX-License-Identifier: MIT */
/* store_directives.c -- versioned directives: an edit inserts version+1 of the same key,
 * a delete marks every version of the key deleted (runs keep their snapshots). */
#include "store/store.h"

#include <ctype.h>
#include <string.h>

#include "core/clock.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "store/store_int.h"
#include "triage/triage_format.h"

#define NAME_MAX_LEN   200
#define KEY_MAX_LEN    64
#define DESC_MAX_LEN   2000
#define TEXT_MAX_LEN   (64 * 1024)
#define CONFIG_MAX_LEN (64 * 1024)

#define DIR_COLS                                                                     \
    "d.id, d.key, d.name, d.version, d.description, d.text, d.config, d.is_active, " \
    "d.created_at, d.updated_at"
#define LATEST_LIVE                                                                    \
    "d.deleted_at IS NULL AND d.version = (SELECT MAX(d2.version) FROM directives d2 " \
    "WHERE d2.key = d.key)"

/* Validated directive fields; strings borrowed from the request object. */
struct dir_fields {
    const char *name;
    const char *key;
    const char *text;
    const char *description;
    char *config;  /* owned JSON text or NULL */
    int is_active; /* -1 = not given */
};

static enum err
check_str(const json_t *fields, const char *k, size_t max, const char **out, struct errbuf *eb)
{
    json_t *v = json_object_get(fields, k);
    *out = NULL;
    if (!v || json_is_null(v))
        return ERR_OK;
    if (!json_is_string(v))
        return errbuf_set(eb, ERR_INVALID, "%s must be a string", k);
    if (json_string_length(v) > max)
        return errbuf_set(eb, ERR_TOO_LARGE, "%s is longer than %zu bytes", k, max);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return errbuf_set(eb, ERR_INVALID, "%s contains a NUL byte", k);
    *out = json_string_value(v);
    return ERR_OK;
}

static bool key_ok(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++)
        if (!isalnum((unsigned char)*k) && *k != '-' && *k != '_')
            return false;
    return true;
}

/* The numeric settings a directive's config may hold, with their ranges. */
static const struct {
    const char *key;
    double min, max;
    bool is_int;
} numeric[] = {
    {"burst_bucket_seconds", 10, 86400, true},         /* log_triage's burst bucket */
    {"max_bytes_per_file", 1048576, 1073741824, true}, /* bytes read per log file */
    {"lookback_hours", 0.001, 24 * 366, false},        /* a first job's look-back */
    /* gpu_report (D2): alert thresholds, the planning window, the nvidia-smi timeout */
    {"vram_used_pct_warn", 0, 100, false},
    {"temp_c_warn", 0, 150, false},
    {"temp_margin_c_warn", 0, 100, false},
    {"power_pct_warn", 0, 200, false},
    {"util_pct_warn", 0, 101, false},
    {"planning_window_hours", 1, 24 * 366, true},
    {"nvidia_smi_timeout_ms", 100, 60000, true},
};

/* Check config.levels (the levels log_triage ranks in its top findings) when present. */
static enum err check_levels(const json_t *cfg, struct errbuf *eb)
{
    static const char *const known[] = {"critical", "error", "warn", "warning", "info", "debug"};
    const json_t *lv = json_object_get(cfg, "levels");
    size_t i;
    const json_t *l;
    if (!lv)
        return ERR_OK;
    if (!json_is_array(lv) || json_array_size(lv) > 8)
        return errbuf_set(eb, ERR_INVALID, "config.levels must be an array of at most 8 levels");
    json_array_foreach(lv, i, l)
    {
        bool ok = false;
        for (size_t k = 0; k < sizeof(known) / sizeof(known[0]) && json_is_string(l); k++)
            ok |= strcmp(json_string_value(l), known[k]) == 0;
        if (!ok)
            return errbuf_set(eb, ERR_INVALID,
                              "config.levels[%zu] must be critical, error, warn, warning, info or "
                              "debug",
                              i);
    }
    return ERR_OK;
}

/* Check the numeric settings of cfg that are present. */
static enum err check_numeric(const json_t *cfg, struct errbuf *eb)
{
    for (size_t i = 0; i < sizeof(numeric) / sizeof(numeric[0]); i++) {
        const json_t *v = json_object_get(cfg, numeric[i].key);
        if (!v)
            continue;
        bool ok = numeric[i].is_int ? json_is_integer(v) : json_is_number(v);
        if (!ok || json_number_value(v) < numeric[i].min || json_number_value(v) > numeric[i].max)
            return errbuf_set(eb, ERR_INVALID, "config.%s must be %s from %g to %g", numeric[i].key,
                              numeric[i].is_int ? "an integer" : "a number", numeric[i].min,
                              numeric[i].max);
    }
    return ERR_OK;
}

/* Check one log_formats entry: {"path": glob, "format": Loghub format string}. */
static enum err check_log_format(const json_t *item, size_t i, struct errbuf *eb)
{
    struct errbuf fe = {{0}};
    struct triage_format *fmt = NULL;
    const char *glob = jsonx_get_str(item, "path"), *text = jsonx_get_str(item, "format");
    if (!json_is_object(item))
        return errbuf_set(eb, ERR_INVALID, "config.log_formats[%zu] must be an object", i);
    if (!glob || !*glob || strlen(glob) > TRIAGE_LOG_GLOB_MAX)
        return errbuf_set(eb, ERR_INVALID,
                          "config.log_formats[%zu].path must be a glob of 1..%d bytes", i,
                          TRIAGE_LOG_GLOB_MAX);
    if (!text)
        return errbuf_set(eb, ERR_INVALID, "config.log_formats[%zu].format must be a string", i);
    if (triage_format_compile(text, &fmt, &fe) != ERR_OK)
        return errbuf_set(eb, ERR_INVALID, "config.log_formats[%zu].format: %s", i,
                          errbuf_get(&fe, ERR_INVALID));
    triage_format_free(fmt);
    return ERR_OK;
}

/* Check config.log_formats (log_triage's format strings per path glob) when present. */
static enum err check_log_formats(const json_t *cfg, struct errbuf *eb)
{
    const json_t *lf = json_object_get(cfg, "log_formats");
    if (!lf || json_is_null(lf))
        return ERR_OK;
    if (!json_is_array(lf) || json_array_size(lf) > TRIAGE_LOG_FORMATS_MAX)
        return errbuf_set(eb, ERR_INVALID, "config.log_formats must be an array of at most %d",
                          TRIAGE_LOG_FORMATS_MAX);
    size_t i;
    const json_t *item;
    json_array_foreach(lf, i, item)
    {
        enum err e = check_log_format(item, i, eb);
        if (e != ERR_OK)
            return e;
    }
    return ERR_OK;
}

static enum err parse_fields(const json_t *fields, struct dir_fields *f, struct errbuf *eb)
{
    memset(f, 0, sizeof(*f));
    f->is_active = -1;
    if (!json_is_object(fields))
        return errbuf_set(eb, ERR_INVALID, "directive fields must be an object");
    enum err e = check_str(fields, "name", NAME_MAX_LEN, &f->name, eb);
    if (e == ERR_OK)
        e = check_str(fields, "key", KEY_MAX_LEN, &f->key, eb);
    if (e == ERR_OK)
        e = check_str(fields, "text", TEXT_MAX_LEN, &f->text, eb);
    if (e == ERR_OK)
        e = check_str(fields, "description", DESC_MAX_LEN, &f->description, eb);
    if (e != ERR_OK)
        return e;
    if (f->name && !*f->name)
        return errbuf_set(eb, ERR_INVALID, "name must not be empty");
    if (f->key && !key_ok(f->key))
        return errbuf_set(eb, ERR_INVALID, "key may hold only letters, digits, - and _");
    json_t *cfg = json_object_get(fields, "config");
    if (cfg && !json_is_null(cfg)) {
        if (!json_is_object(cfg))
            return errbuf_set(eb, ERR_INVALID, "config must be an object");
        e = check_numeric(cfg, eb);
        if (e == ERR_OK)
            e = check_levels(cfg, eb);
        if (e == ERR_OK)
            e = check_log_formats(cfg, eb);
        if (e != ERR_OK)
            return e;
        f->config = jsonx_dumps(cfg);
        if (strlen(f->config) > CONFIG_MAX_LEN) {
            xfree(f->config);
            f->config = NULL;
            return errbuf_set(eb, ERR_TOO_LARGE, "config is larger than %d bytes", CONFIG_MAX_LEN);
        }
    }
    json_t *act = json_object_get(fields, "is_active");
    if (act && !json_is_boolean(act))
        return errbuf_set(eb, ERR_INVALID, "is_active must be a boolean");
    if (act)
        f->is_active = json_is_true(act);
    return ERR_OK;
}

static char *slug(const char *name)
{
    size_t n = strlen(name), j = 0;
    char *s = xmalloc(n + 1 < KEY_MAX_LEN + 1 ? n + 1 : KEY_MAX_LEN + 1);
    for (size_t i = 0; i < n && j < KEY_MAX_LEN; i++) {
        unsigned char c = (unsigned char)name[i];
        if (isalnum(c))
            s[j++] = (char)tolower(c);
        else if (j > 0 && s[j - 1] != '-')
            s[j++] = '-';
    }
    while (j > 0 && s[j - 1] == '-')
        j--;
    s[j] = '\0';
    if (!j) {
        xfree(s);
        return xstrdup("directive");
    }
    return s;
}

static void shape(json_t *row)
{
    row_parse_json(row, "config");
    if (!json_is_object(json_object_get(row, "config")))
        json_object_set_new(row, "config", json_object());
}

static enum err get_live(struct db *db, int64_t id, json_t **out, struct errbuf *eb)
{
    enum err e = db_query_one(db,
                              "SELECT " DIR_COLS " FROM directives d "
                              "WHERE d.id = $1 AND d.deleted_at IS NULL",
                              (struct db_param[]){DB_I(id)}, 1, out, eb);
    if (e != ERR_OK)
        return e;
    if (!*out)
        return errbuf_set(eb, ERR_NOT_FOUND, "directive %lld not found", (long long)id);
    shape(*out);
    return ERR_OK;
}

enum err store_directive_list(struct store *st,
                              int64_t offset,
                              int64_t limit,
                              json_t **results,
                              int64_t *count,
                              struct errbuf *eb)
{
    struct db *db = store_db_get(st);
    enum err e = db_query_page(db, "SELECT COUNT(*) AS n FROM directives d WHERE " LATEST_LIVE,
                               "SELECT " DIR_COLS " FROM directives d WHERE " LATEST_LIVE
                               " ORDER BY d.key LIMIT $1 OFFSET $2",
                               offset, limit, results, count, eb);
    store_db_put(st, db);
    size_t i;
    json_t *row;
    json_array_foreach(*results, i, row) shape(row);
    return e;
}

enum err store_directive_get(struct store *st, int64_t id, json_t **out, struct errbuf *eb)
{
    struct db *db = store_db_get(st);
    enum err e = get_live(db, id, out, eb);
    store_db_put(st, db);
    return e;
}

static enum err insert_version(struct db *db,
                               const struct dir_fields *f,
                               const char *key,
                               int64_t version,
                               int64_t *id,
                               struct errbuf *eb)
{
    char now[CLOCK_ISO_LEN];
    json_t *row = NULL;
    clock_now_iso(now);
    struct db_param p[] = {DB_S(key),
                           DB_S(f->name),
                           DB_I(version),
                           DB_S(f->description ? f->description : ""),
                           DB_S(f->text ? f->text : ""),
                           DB_S(f->config ? f->config : "{}"),
                           DB_I(f->is_active != 0),
                           DB_S(now)};
    enum err e = db_query_one(db,
                              "INSERT INTO directives (key, name, version, description, text, "
                              "config, is_active, created_at, updated_at) VALUES ($1, $2, $3, "
                              "$4, $5, $6, $7 <> 0, $8, $8) RETURNING id",
                              p, 8, &row, eb);
    *id = row_int(row, "id");
    json_decref(row);
    return e;
}

static enum err create_tx(struct db *db, const struct dir_fields *f, int64_t *id, struct errbuf *eb)
{
    char *key = f->key ? xstrdup(f->key) : slug(f->name);
    int64_t taken = 0;
    enum err e = db_query_int(db, "SELECT COUNT(*) AS n FROM directives WHERE key = $1",
                              (struct db_param[]){DB_S(key)}, 1, "n", &taken, eb);
    if (e == ERR_OK && taken) {
        char q[40];
        err_quote_user(q, sizeof(q), key);
        e = errbuf_set(eb, ERR_CONFLICT, "directive key \"%s\" is taken", q);
    }
    if (e == ERR_OK)
        e = insert_version(db, f, key, 1, id, eb);
    xfree(key);
    return e;
}

enum err
store_directive_create(struct store *st, const json_t *fields, json_t **out, struct errbuf *eb)
{
    struct dir_fields f;
    int64_t id = 0;
    *out = NULL;
    enum err e = parse_fields(fields, &f, eb);
    if (e == ERR_OK && !f.name)
        e = errbuf_set(eb, ERR_INVALID, "name is required");
    if (e != ERR_OK)
        goto out;
    if (f.is_active < 0)
        f.is_active = 1;
    struct db *db = store_db_get(st);
    e = db_begin(db, eb);
    if (e == ERR_OK) {
        e = create_tx(db, &f, &id, eb);
        if (e == ERR_OK)
            e = db_commit(db, eb);
        else
            db_rollback(db);
    }
    if (e == ERR_OK)
        e = get_live(db, id, out, eb);
    store_db_put(st, db);
out:
    xfree(f.config);
    return e;
}

/* Merge f over the old row and insert the next version of its key. */
static enum err
update_tx(struct db *db, int64_t id, struct dir_fields *f, int64_t *new_id, struct errbuf *eb)
{
    json_t *old = NULL;
    int64_t max_v = 0;
    enum err e = get_live(db, id, &old, eb);
    if (e != ERR_OK)
        return e;
    const char *key = jsonx_get_str(old, "key");
    if (f->key && strcmp(f->key, key) != 0) {
        e = errbuf_set(eb, ERR_INVALID, "the key of a directive cannot change");
        goto out;
    }
    e = db_query_int(db, "SELECT MAX(version) AS v FROM directives WHERE key = $1",
                     (struct db_param[]){DB_S(key)}, 1, "v", &max_v, eb);
    if (e != ERR_OK)
        goto out;
    if (!f->name)
        f->name = jsonx_get_str(old, "name");
    if (!f->text)
        f->text = jsonx_get_str(old, "text");
    if (!f->description)
        f->description = jsonx_get_str(old, "description");
    if (!f->config)
        f->config = jsonx_dumps(json_object_get(old, "config"));
    if (f->is_active < 0)
        f->is_active = json_is_true(json_object_get(old, "is_active"));
    e = insert_version(db, f, key, max_v + 1, new_id, eb);
out:
    json_decref(old);
    return e;
}

enum err store_directive_update(
    struct store *st, int64_t id, const json_t *fields, json_t **out, struct errbuf *eb)
{
    struct dir_fields f;
    int64_t new_id = 0;
    *out = NULL;
    enum err e = parse_fields(fields, &f, eb);
    if (e != ERR_OK)
        goto out;
    struct db *db = store_db_get(st);
    e = db_begin(db, eb);
    if (e == ERR_OK) {
        e = update_tx(db, id, &f, &new_id, eb);
        if (e == ERR_OK)
            e = db_commit(db, eb);
        else
            db_rollback(db);
    }
    if (e == ERR_OK)
        e = get_live(db, new_id, out, eb);
    store_db_put(st, db);
out:
    xfree(f.config);
    return e;
}

enum err store_directive_delete(struct store *st, int64_t id, struct errbuf *eb)
{
    char now[CLOCK_ISO_LEN];
    int64_t changed = 0;
    clock_now_iso(now);
    struct db *db = store_db_get(st);
    enum err e = db_exec(db,
                         "UPDATE directives SET deleted_at = $2, is_active = FALSE, "
                         "updated_at = $2 WHERE deleted_at IS NULL AND key = "
                         "(SELECT key FROM directives WHERE id = $1 AND deleted_at IS NULL)",
                         (struct db_param[]){DB_I(id), DB_S(now)}, 2, &changed, eb);
    store_db_put(st, db);
    if (e == ERR_OK && changed == 0)
        e = errbuf_set(eb, ERR_NOT_FOUND, "directive %lld not found", (long long)id);
    return e;
}
