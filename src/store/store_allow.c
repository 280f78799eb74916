/* SPDX-License-Identifier: MIT */
/* store_allow.c -- the worker-image allowlist: normalised references, CRUD and the check
 * the runtime calls before it spawns (every refusal is audited). */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/docker_ref.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "store/store_int.h"

#define IMG_COLS                                                                \
    "id, image_name, image_tag, digest, requires_gpu, min_vram_mb, is_active, " \
    "created_at, memory_mb, cpus_milli, pids_limit"
#define VRAM_MAX_MB 16777216

/* The optional integer limits of an entry, with their ranges (NULL: the runtime default). */
static const struct {
    const char *key;
    int64_t min, max;
} int_fields[] = {
    {"min_vram_mb", 0, VRAM_MAX_MB},
    {"memory_mb", STORE_IMAGE_MEMORY_MIN_MB, STORE_IMAGE_MEMORY_MAX_MB},
    {"pids_limit", STORE_IMAGE_PIDS_MIN, STORE_IMAGE_PIDS_MAX},
};

/* A composed reference: name[:tag][@digest] (each part at most DOCKER_REF_MAX). */
struct ref_text {
    char s[3 * (DOCKER_REF_MAX + 2)];
};

/* True when name carries its own tag (a ':' after its last '/'). */
static bool name_has_tag(const char *name)
{
    const char *slash = strrchr(name, '/');
    return strchr(slash ? slash : name, ':') != NULL;
}

static enum err field_str(
    const json_t *fields, const char *k, const char **out, const char **bad, struct errbuf *eb)
{
    json_t *v = json_object_get(fields, k);
    *out = NULL;
    if (!v || json_is_null(v))
        return ERR_OK;
    *bad = k;
    if (!json_is_string(v))
        return errbuf_set(eb, ERR_INVALID, "Not a valid string.");
    if (json_string_length(v) > DOCKER_REF_MAX ||
        strlen(json_string_value(v)) != json_string_length(v))
        return errbuf_set(eb, ERR_INVALID, "Ensure this field has no more than %d bytes.",
                          DOCKER_REF_MAX);
    *bad = NULL;
    *out = json_string_value(v);
    return ERR_OK;
}

/* Check the reference parts given in fields, each on its own. */
static enum err check_parts(const json_t *fields, const char **bad, struct errbuf *eb)
{
    const char *name, *tag, *digest;
    struct docker_ref r;
    struct ref_text t;
    enum err e = field_str(fields, "image_name", &name, bad, eb);
    if (e == ERR_OK)
        e = field_str(fields, "image_tag", &tag, bad, eb);
    if (e == ERR_OK)
        e = field_str(fields, "digest", &digest, bad, eb);
    if (e != ERR_OK)
        return e;
    if (name && ((*bad = "image_name"), strchr(name, '@')))
        return errbuf_set(eb, ERR_INVALID, "Give the digest in the digest field.");
    if (name && tag && name_has_tag(name))
        return errbuf_set(eb, ERR_INVALID, "Give the tag in image_tag, not in the name.");
    if (name && (e = docker_ref_parse(name, &r, eb)) != ERR_OK)
        return e;
    *bad = "image_tag";
    snprintf(t.s, sizeof(t.s), "x:%s", tag ? tag : "");
    if (tag && (e = docker_ref_parse(t.s, &r, eb)) != ERR_OK)
        return e;
    *bad = "digest";
    snprintf(t.s, sizeof(t.s), "x@%s", digest ? digest : "");
    if (digest && (e = docker_ref_parse(t.s, &r, eb)) != ERR_OK)
        return e;
    *bad = NULL;
    return ERR_OK;
}

/* Check the optional limits: integers in their ranges, cpus a number in its range. */
static enum err check_limits(const json_t *fields, const char **bad, struct errbuf *eb)
{
    for (size_t i = 0; i < sizeof(int_fields) / sizeof(int_fields[0]); i++) {
        json_t *v = json_object_get(fields, int_fields[i].key);
        if (!v || json_is_null(v))
            continue;
        if (!json_is_integer(v) || json_integer_value(v) < int_fields[i].min ||
            json_integer_value(v) > int_fields[i].max) {
            *bad = int_fields[i].key;
            return errbuf_set(eb, ERR_INVALID, "Must be an integer from %lld to %lld.",
                              (long long)int_fields[i].min, (long long)int_fields[i].max);
        }
    }
    json_t *cpus = json_object_get(fields, "cpus");
    if (cpus && !json_is_null(cpus) &&
        (!json_is_number(cpus) ||
         !(json_number_value(cpus) >= STORE_IMAGE_CPUS_MIN_MILLI / 1000.0 &&
           json_number_value(cpus) <= STORE_IMAGE_CPUS_MAX_MILLI / 1000.0))) {
        *bad = "cpus";
        return errbuf_set(eb, ERR_INVALID, "Must be a number from %g to %g.",
                          STORE_IMAGE_CPUS_MIN_MILLI / 1000.0, STORE_IMAGE_CPUS_MAX_MILLI / 1000.0);
    }
    return ERR_OK;
}

enum err store_worker_image_validate(const json_t *fields,
                                     bool is_full,
                                     const char **bad_field,
                                     struct errbuf *eb)
{
    const char *bad = NULL;
    enum err e = ERR_OK;
    if (!json_is_object(fields))
        return errbuf_set(eb, ERR_INVALID, "worker image fields must be an object");
    json_t *name = json_object_get(fields, "image_name");
    if (is_full && (!name || json_is_null(name))) {
        bad = "image_name";
        e = errbuf_set(eb, ERR_INVALID, "This field is required.");
    }
    if (e == ERR_OK)
        e = check_parts(fields, &bad, eb);
    const char *flags[] = {"requires_gpu", "is_active"};
    for (size_t i = 0; e == ERR_OK && i < 2; i++) {
        json_t *v = json_object_get(fields, flags[i]);
        if (v && !json_is_boolean(v)) {
            bad = flags[i];
            e = errbuf_set(eb, ERR_INVALID, "Must be a valid boolean.");
        }
    }
    if (e == ERR_OK)
        e = check_limits(fields, &bad, eb);
    if (bad_field)
        *bad_field = bad;
    return e;
}

/* Merge fields over old (NULL on create) and normalise into *r. */
static enum err
compose(const json_t *old, const json_t *fields, struct docker_ref *r, struct errbuf *eb)
{
    const char *name = jsonx_get_str(fields, "image_name");
    const char *tag = jsonx_get_str(fields, "image_tag");
    json_t *dv = json_object_get(fields, "digest");
    const char *digest = dv ? json_string_value(dv) : jsonx_get_str(old, "digest");
    if (!name)
        name = jsonx_get_str(old, "image_name");
    if (!tag && (!jsonx_get_str(fields, "image_name") || !name_has_tag(name)))
        tag = jsonx_get_str(old, "image_tag");
    if (!name)
        return errbuf_set(eb, ERR_INVALID, "image_name is required");
    struct ref_text t;
    snprintf(t.s, sizeof(t.s), "%s%s%s%s%s", name, tag ? ":" : "", tag ? tag : "",
             digest ? "@" : "", digest ? digest : "");
    return docker_ref_parse(t.s, r, eb);
}

static void shape(json_t *row)
{
    if (!json_is_object(row))
        return;
    json_t *d = json_object_get(row, "digest");
    if (json_is_string(d) && !*json_string_value(d))
        json_object_set_new(row, "digest", json_null());
    json_t *milli = json_object_get(row, "cpus_milli");
    json_object_set_new(row, "cpus",
                        json_is_integer(milli)
                            ? json_real((double)json_integer_value(milli) / 1000.0)
                            : json_null());
    json_object_del(row, "cpus_milli");
}

static enum err get_img(struct db *db, int64_t id, json_t **out, struct errbuf *eb)
{
    enum err e = db_query_one(db, "SELECT " IMG_COLS " FROM worker_images WHERE id = $1",
                              (struct db_param[]){DB_I(id)}, 1, out, eb);
    if (e == ERR_OK && !*out)
        e = errbuf_set(eb, ERR_NOT_FOUND, "worker image %lld not found", (long long)id);
    shape(*out);
    return e;
}

enum err store_worker_image_list(struct store *st,
                                 int64_t offset,
                                 int64_t limit,
                                 json_t **results,
                                 int64_t *count,
                                 struct errbuf *eb)
{
    struct db *db = store_db_get(st);
    enum err e = db_query_page(db, "SELECT COUNT(*) AS n FROM worker_images",
                               "SELECT " IMG_COLS " FROM worker_images "
                               "ORDER BY image_name, image_tag LIMIT $1 OFFSET $2",
                               offset, limit, results, count, eb);
    store_db_put(st, db);
    size_t i;
    json_t *row;
    json_array_foreach(*results, i, row) shape(row);
    return e;
}

enum err store_worker_image_get(struct store *st, int64_t id, json_t **out, struct errbuf *eb)
{
    struct db *db = store_db_get(st);
    enum err e = get_img(db, id, out, eb);
    store_db_put(st, db);
    return e;
}

/* Flag value: fields[k] when a boolean, else old[k], else dflt. */
static int flag(const json_t *fields, const json_t *old, const char *k, int dflt)
{
    json_t *v = json_object_get(fields, k);
    if (json_is_boolean(v))
        return json_is_true(v);
    v = json_object_get(old, k);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* Integer field k: fields[k] when given (null clears it), else old[k]. */
static struct db_param int_param(const json_t *fields, const json_t *old, const char *k)
{
    json_t *v = json_object_get(fields, k);
    if (!v)
        v = json_object_get(old, k);
    return json_is_integer(v) ? DB_I(json_integer_value(v)) : DB_N;
}

/* "cpus" (a number of CPUs) as thousandths, rounded; like int_param. */
static struct db_param cpus_param(const json_t *fields, const json_t *old)
{
    json_t *v = json_object_get(fields, "cpus");
    if (!v)
        v = json_object_get(old, "cpus");
    return json_is_number(v) ? DB_I((int64_t)(json_number_value(v) * 1000.0 + 0.5)) : DB_N;
}

/* Write fields merged over old (NULL for a full replacement) into row *id (0: insert one
 * and set *id) inside a transaction. */
static enum err
save_tx(struct db *db, const json_t *old, const json_t *fields, int64_t *id, struct errbuf *eb)
{
    struct docker_ref r;
    int64_t taken = 0, old_id = *id;
    enum err e = compose(old, fields, &r, eb);
    if (e == ERR_OK)
        e = db_query_int(db,
                         "SELECT COUNT(*) AS n FROM worker_images WHERE image_name = $1 AND "
                         "image_tag = $2 AND id <> $3",
                         (struct db_param[]){DB_S(r.name), DB_S(r.tag), DB_I(old_id)}, 3, "n",
                         &taken, eb);
    if (e == ERR_OK && taken)
        return errbuf_set(eb, ERR_CONFLICT, "worker image %s:%s is already allowlisted", r.name,
                          r.tag);
    if (e != ERR_OK)
        return e;
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now);
    struct db_param p[] = {DB_S(r.name),
                           DB_S(r.tag),
                           DB_S(r.digest[0] ? r.digest : NULL),
                           DB_I(flag(fields, old, "requires_gpu", 0)),
                           int_param(fields, old, "min_vram_mb"),
                           DB_I(flag(fields, old, "is_active", 1)),
                           old_id ? DB_I(old_id) : DB_S(now),
                           int_param(fields, old, "memory_mb"),
                           cpus_param(fields, old),
                           int_param(fields, old, "pids_limit")};
    if (old_id)
        return db_exec(db,
                       "UPDATE worker_images SET image_name = $1, image_tag = $2, digest = $3, "
                       "requires_gpu = ($4 <> 0), min_vram_mb = $5, is_active = ($6 <> 0), "
                       "memory_mb = $8, cpus_milli = $9, pids_limit = $10 WHERE id = $7",
                       p, 10, NULL, eb);
    json_t *row = NULL;
    e = db_query_one(db,
                     "INSERT INTO worker_images (image_name, image_tag, digest, requires_gpu, "
                     "min_vram_mb, is_active, created_at, memory_mb, cpus_milli, pids_limit) "
                     "VALUES ($1, $2, $3, $4 <> 0, $5, $6 <> 0, $7, $8, $9, $10) RETURNING id",
                     p, 10, &row, eb);
    *id = row_int(row, "id");
    json_decref(row);
    return e;
}

/* Create (id 0) or edit worker image id. */
static enum err save(struct store *st,
                     int64_t id,
                     const json_t *fields,
                     bool is_full,
                     json_t **out,
                     struct errbuf *eb)
{
    *out = NULL;
    enum err e = store_worker_image_validate(fields, is_full, NULL, eb);
    if (e != ERR_OK)
        return e;
    return store_row_save(st, id, fields, is_full, get_img, save_tx, out, eb);
}

enum err
store_worker_image_create(struct store *st, const json_t *fields, json_t **out, struct errbuf *eb)
{
    return save(st, 0, fields, true, out, eb);
}

enum err store_worker_image_update(struct store *st,
                                   int64_t id,
                                   const json_t *fields,
                                   bool is_full,
                                   json_t **out,
                                   struct errbuf *eb)
{
    if (id <= 0)
        return errbuf_set(eb, ERR_NOT_FOUND, "worker image %lld not found", (long long)id);
    return save(st, id, fields, is_full, out, eb);
}

enum err store_worker_image_delete(struct store *st, int64_t id, struct errbuf *eb)
{
    int64_t changed = 0;
    struct db *db = store_db_get(st);
    enum err e = db_exec(db, "DELETE FROM worker_images WHERE id = $1",
                         (struct db_param[]){DB_I(id)}, 1, &changed, eb);
    store_db_put(st, db);
    if (e == ERR_OK && changed == 0)
        e = errbuf_set(eb, ERR_NOT_FOUND, "worker image %lld not found", (long long)id);
    return e;
}

/* Decide whether r is allowed; *reason is set on a refusal. An entry that pins a digest
 * accepts a reference without one: the caller checks what the engine resolves. */
static enum err check_ref(struct db *db,
                          const struct docker_ref *r,
                          json_t **entry,
                          const char **reason,
                          struct errbuf *eb)
{
    enum err e = db_query_one(db,
                              "SELECT " IMG_COLS " FROM worker_images WHERE image_name = $1 AND "
                              "image_tag = $2",
                              (struct db_param[]){DB_S(r->name), DB_S(r->tag)}, 2, entry, eb);
    if (e != ERR_OK)
        return e;
    shape(*entry);
    const char *want = jsonx_get_str(*entry, "digest");
    if (!*entry)
        *reason = "is not on the worker-image allowlist";
    else if (!json_is_true(json_object_get(*entry, "is_active")))
        *reason = "is refused: its allowlist entry is inactive";
    else if (want && r->digest[0] && strcmp(want, r->digest) != 0)
        *reason = "is refused: its digest does not match the digest pinned on the allowlist";
    return ERR_OK;
}

enum err store_worker_image_check(struct store *st,
                                  const char *ref,
                                  int64_t run_id,
                                  int64_t job_id,
                                  json_t **entry_out,
                                  struct errbuf *eb)
{
    struct docker_ref r;
    struct errbuf perr = {{0}};
    json_t *entry = NULL;
    const char *reason = NULL;
    char why[200], img[40], msg[300];
    *entry_out = NULL;
    if (docker_ref_parse(ref, &r, &perr) != ERR_OK) {
        snprintf(why, sizeof(why), "is refused: invalid image reference: %s",
                 errbuf_get(&perr, ERR_INVALID));
        reason = why;
    } else {
        struct db *db = store_db_get(st);
        enum err e = check_ref(db, &r, &entry, &reason, eb);
        store_db_put(st, db);
        if (e != ERR_OK)
            return e;
    }
    if (!reason) {
        *entry_out = entry;
        return ERR_OK;
    }
    json_decref(entry);
    err_quote_user(img, sizeof(img), ref ? ref : "");
    snprintf(msg, sizeof(msg), "worker image \"%s\" %s", img, reason);
    enum err e = store_audit_add(st, "deny", reason == why ? img : r.canonical, NULL, run_id,
                                 job_id, msg, eb);
    if (e != ERR_OK)
        return e;
    return errbuf_set(eb, ERR_FORBIDDEN, "%s", msg);
}
