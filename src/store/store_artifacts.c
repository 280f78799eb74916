/* SPDX-License-Identifier: MIT */
/* store_artifacts.c -- the files a run wrote under its folder (name relative to it). */
#include "store/store.h"

#include <string.h>

#include "core/clock.h"
#include "store/store_int.h"

#define ARTIFACT_NAME_MAX 255
#define CTYPE_MAX         128

enum err store_artifact_add(struct store *st,
                            int64_t run_id,
                            int64_t job_id,
                            const char *name,
                            int64_t size_bytes,
                            const char *sha256,
                            const char *content_type,
                            struct errbuf *eb)
{
    char now[CLOCK_ISO_LEN];
    if (!name || !*name || strlen(name) > ARTIFACT_NAME_MAX || name[0] == '/' || strstr(name, ".."))
        return errbuf_set(eb, ERR_INVALID, "artifact name must be a relative path of 1..%d bytes",
                          ARTIFACT_NAME_MAX);
    if (size_bytes < 0)
        return errbuf_set(eb, ERR_INVALID, "artifact size must not be negative");
    if (sha256 && strlen(sha256) != 64)
        return errbuf_set(eb, ERR_INVALID, "sha256 must be 64 hex characters");
    if (content_type && strlen(content_type) > CTYPE_MAX)
        return errbuf_set(eb, ERR_INVALID, "content type is longer than %d bytes", CTYPE_MAX);
    clock_now_iso(now);
    struct db *db = store_db_get(st);
    enum err e =
        db_exec(db,
                "INSERT INTO artifacts (run_id, job_id, name, size_bytes, sha256, "
                "content_type, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                (struct db_param[]){DB_I(run_id), job_id > 0 ? DB_I(job_id) : DB_N, DB_S(name),
                                    DB_I(size_bytes), DB_S(sha256), DB_S(content_type), DB_S(now)},
                7, NULL, eb);
    store_db_put(st, db);
    return e;
}

enum err store_artifact_list(struct store *st, int64_t run_id, json_t **results, struct errbuf *eb)
{
    struct db *db = store_db_get(st);
    enum err e = db_query(db,
                          "SELECT id, run_id, job_id, name, size_bytes, sha256, content_type, "
                          "created_at FROM artifacts WHERE run_id = $1 ORDER BY name",
                          (struct db_param[]){DB_I(run_id)}, 1, results, eb);
    store_db_put(st, db);
    return e;
}
