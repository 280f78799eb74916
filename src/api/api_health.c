/* SPDX-License-Identifier: MIT */
/* api_health.c -- GET /api/health/ (no auth): database, Docker socket and disk.
 *
 * 200 when the database answers (status "ok" when everything does, else "degraded"),
 * 503 when it does not. */
#include "api/api_int.h"
#include "core/fs.h"
#include "docker/docker.h"

#define DISK_MIN_FREE_BYTES (64LL * 1024 * 1024)

static json_t *check_database(struct api_server *a, bool *ok)
{
    struct errbuf eb = {{0}};
    enum err e = store_ping(a->ctx.st, &eb);
    *ok = e == ERR_OK;
    json_t *j = json_object();
    json_object_set_new(j, "ok", json_boolean(*ok));
    json_object_set_new(
        j, "backend", json_string(store_kind_get(a->ctx.st) == STORE_PG ? "postgresql" : "sqlite"));
    if (!*ok)
        json_object_set_new(j, "detail", api_redacted(a, errbuf_get(&eb, e)));
    return j;
}

static json_t *check_docker(struct api_server *a, bool *ok)
{
    struct errbuf eb = {{0}};
    char version[16] = "";
    enum err e = a->ctx.cfg->docker_socket
                     ? docker_ping(a->ctx.cfg->docker_socket, version, sizeof(version), &eb)
                     : errbuf_set(&eb, ERR_UNAVAILABLE, "no Docker socket configured");
    *ok = e == ERR_OK;
    json_t *j = json_object();
    json_object_set_new(j, "ok", json_boolean(*ok));
    if (*ok)
        json_object_set_new(j, "api_version", json_string(version));
    else
        json_object_set_new(j, "detail", api_redacted(a, errbuf_get(&eb, e)));
    return j;
}

static json_t *check_disk(struct api_server *a, bool *ok)
{
    const char *path = a->ctx.cfg->uploads_dir ? a->ctx.cfg->uploads_dir : ".";
    long long free_bytes = fs_free_bytes(path);
    *ok = free_bytes >= DISK_MIN_FREE_BYTES;
    json_t *j = json_object();
    json_object_set_new(j, "ok", json_boolean(*ok));
    json_object_set_new(j, "free_bytes", free_bytes >= 0 ? json_integer(free_bytes) : json_null());
    json_object_set_new(j, "path", json_string(path));
    return j;
}

void api_health_get(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    bool db_ok = false, docker_ok = false, disk_ok = false;
    (void)req;
    json_t *j = json_object();
    json_object_set_new(j, "database", check_database(a, &db_ok));
    json_object_set_new(j, "docker", check_docker(a, &docker_ok));
    json_object_set_new(j, "disk", check_disk(a, &disk_ok));
    json_object_set_new(j, "status",
                        json_string(db_ok && docker_ok && disk_ok ? "ok" : "degraded"));
    json_object_set_new(j, "version", json_string(API_VERSION));
    http_reply_json(resp, db_ok ? 200 : 503, j);
}
