/* SPDX-License-Identifier: MIT */
/* store_cursors.c -- log_triage's read position per source (a file under CYBER_BRAIN_LOGS
 * or a container's log stream): device, inode, the SHA-256 of the first bytes, the byte
 * offset and the last timestamp read. Cursors come from the worker's result (untrusted),
 * so each is validated; they are written only inside the transaction that ends their job
 * as success (store_job_finish), so a failed run never moves the window. */
#include "store/store.h"

#include <string.h>

#include "core/clock.h"
#include "core/jsonx.h"
#include "store/store_int.h"

#define CURSOR_COLS                                                                              \
    "path, device, inode, fingerprint, fingerprint_len, offset_bytes, last_ts, run_id, job_id, " \
    "updated_at"

/* True when s is 64 lowercase hex digits. */
static bool is_sha256_hex(const char *s)
{
    if (!s || strlen(s) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* True when path is relative, without "." or ".." parts, empty parts or control bytes;
 * or "container:" followed by a container reference. */
static bool path_ok(const char *p)
{
    size_t n = p ? strlen(p) : 0;
    if (n == 0 || n > STORE_CURSOR_PATH_MAX)
        return false;
    if (strncmp(p, "container:", 10) == 0)
        return store_container_ref_ok(p + 10);
    if (p[0] == '/' || p[n - 1] == '/')
        return false;
    for (const char *s = p; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    for (const char *part = p; part;) {
        const char *slash = strchr(part, '/');
        size_t len = slash ? (size_t)(slash - part) : strlen(part);
        if (len == 0 || (len == 1 && part[0] == '.') ||
            (len == 2 && part[0] == '.' && part[1] == '.'))
            return false;
        part = slash ? slash + 1 : NULL;
    }
    return true;
}

/* obj[key] is absent/null, or an integer in [0, max]. */
static bool int_ok(const json_t *obj, const char *key, json_int_t max, bool is_required)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return !is_required;
    return json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= max;
}

static enum err cursor_check(const json_t *c, size_t i, struct errbuf *eb)
{
    const char *path = jsonx_get_str(c, "path");
    const char *fp = jsonx_get_str(c, "fingerprint");
    const json_t *ts = json_object_get(c, "last_ts");
    int64_t ms = 0;
    const char *bad =
        !json_is_object(c)                                          ? "not an object"
        : !path_ok(path)                                            ? "path"
        : !int_ok(c, "device", INT64_MAX, false)                    ? "device"
        : !int_ok(c, "inode", INT64_MAX, false)                     ? "inode"
        : !int_ok(c, "offset_bytes", INT64_MAX, true)               ? "offset_bytes"
        : !int_ok(c, "fingerprint_len", STORE_CURSOR_FP_MAX, false) ? "fingerprint_len"
        : (json_object_get(c, "fingerprint") && !json_is_null(json_object_get(c, "fingerprint")) &&
           !is_sha256_hex(fp))
            ? "fingerprint"
        : (ts && !json_is_null(ts) && !clock_iso_parse(json_string_value(ts), &ms)) ? "last_ts"
                                                                                    : NULL;
    if (bad)
        return errbuf_set(eb, ERR_INVALID, "cursor %zu: invalid %s", i, bad);
    return ERR_OK;
}

enum err store_cursor_validate(const json_t *cursors, struct errbuf *eb)
{
    if (!json_is_array(cursors))
        return errbuf_set(eb, ERR_INVALID, "cursors must be an array");
    if (json_array_size(cursors) > STORE_CURSORS_MAX)
        return errbuf_set(eb, ERR_TOO_LARGE, "more than %d cursors", STORE_CURSORS_MAX);
    size_t i;
    json_t *c;
    json_array_foreach(cursors, i, c)
    {
        enum err e = cursor_check(c, i, eb);
        if (e != ERR_OK)
            return e;
    }
    return ERR_OK;
}

/* A nullable integer parameter from obj[key]. */
static struct db_param int_param(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? DB_I(json_integer_value(v)) : DB_N;
}

enum err store_cursors_save_tx(
    struct db *db, int64_t run_id, int64_t job_id, const json_t *cursors, struct errbuf *eb)
{
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now);
    size_t i;
    json_t *c;
    enum err e = store_cursor_validate(cursors, eb);
    json_array_foreach(cursors, i, c)
    {
        if (e != ERR_OK)
            break;
        const json_t *fl = json_object_get(c, "fingerprint_len");
        struct db_param p[] = {DB_S(jsonx_get_str(c, "path")),
                               int_param(c, "device"),
                               int_param(c, "inode"),
                               DB_S(jsonx_get_str(c, "fingerprint")),
                               DB_I(json_is_integer(fl) ? json_integer_value(fl) : 0),
                               DB_I(json_integer_value(json_object_get(c, "offset_bytes"))),
                               DB_S(jsonx_get_str(c, "last_ts")),
                               DB_I(run_id),
                               DB_I(job_id),
                               DB_S(now)};
        e = db_exec(db,
                    "INSERT INTO log_cursors (" CURSOR_COLS ") VALUES ($1, $2, $3, $4, $5, $6, "
                    "$7, $8, $9, $10) ON CONFLICT (path) DO UPDATE SET device = excluded.device, "
                    "inode = excluded.inode, fingerprint = excluded.fingerprint, "
                    "fingerprint_len = excluded.fingerprint_len, "
                    "offset_bytes = excluded.offset_bytes, last_ts = excluded.last_ts, "
                    "run_id = excluded.run_id, job_id = excluded.job_id, "
                    "updated_at = excluded.updated_at",
                    p, 10, NULL, eb);
    }
    return e;
}

enum err store_cursor_list(struct store *st, json_t **out, struct errbuf *eb)
{
    struct db *db = store_db_get(st);
    enum err e = db_query(db, "SELECT " CURSOR_COLS " FROM log_cursors ORDER BY path LIMIT $1",
                          (struct db_param[]){DB_I(STORE_CURSORS_MAX)}, 1, out, eb);
    store_db_put(st, db);
    return e;
}
