/* SPDX-License-Identifier: MIT */
/* store_settings.c -- the settings table: small facts the orchestrator keeps about
 * itself (instance id, one-time flags). Keys and values are short plain text. */
#include "store/store.h"

#include <string.h>

#include "core/clock.h"
#include "core/xalloc.h"
#include "store/store_int.h"

#define SETTING_KEY_MAX   64
#define SETTING_VALUE_MAX 1024

static enum err check(const char *key, const char *value, struct errbuf *eb)
{
    if (!key || !*key || strlen(key) > SETTING_KEY_MAX)
        return errbuf_set(eb, ERR_INVALID, "a setting key is 1..%d bytes", SETTING_KEY_MAX);
    if (value && strlen(value) > SETTING_VALUE_MAX)
        return errbuf_set(eb, ERR_INVALID, "a setting value is at most %d bytes",
                          SETTING_VALUE_MAX);
    return ERR_OK;
}

enum err store_setting_get(struct store *st, const char *key, char **value, struct errbuf *eb)
{
    *value = NULL;
    enum err e = check(key, NULL, eb);
    if (e != ERR_OK)
        return e;
    json_t *row = NULL;
    struct db *db = store_db_get(st);
    e = db_query_one(db, "SELECT value FROM settings WHERE key = $1",
                     (struct db_param[]){DB_S(key)}, 1, &row, eb);
    store_db_put(st, db);
    if (e == ERR_OK && row)
        *value = xstrdup(json_string_value(json_object_get(row, "value")));
    else if (e == ERR_OK)
        e = ERR_NOT_FOUND;
    json_decref(row);
    return e;
}

enum err store_setting_set(struct store *st,
                           const char *key,
                           const char *value,
                           bool is_only_if_absent,
                           bool *is_set,
                           struct errbuf *eb)
{
    if (is_set)
        *is_set = false;
    enum err e = check(key, value, eb);
    if (e == ERR_OK && !value)
        e = errbuf_set(eb, ERR_INVALID, "a setting needs a value");
    if (e != ERR_OK)
        return e;
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now);
    const char *sql = is_only_if_absent
                          ? "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) "
                            "ON CONFLICT (key) DO NOTHING"
                          : "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) "
                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                            "updated_at = excluded.updated_at";
    int64_t n = 0;
    struct db *db = store_db_get(st);
    e = db_exec(db, sql, (struct db_param[]){DB_S(key), DB_S(value), DB_S(now)}, 3, &n, eb);
    store_db_put(st, db);
    if (e == ERR_OK && is_set)
        *is_set = n > 0;
    return e;
}
