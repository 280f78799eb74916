/* SPDX-License-Identifier: MIT */
/* api_health.c -- GET /api/health/ (no auth): database, Docker socket, disk and the LLM.
 *
 * 200 when the database answers (status "ok" when the database, Docker and the disk are,
 * else "degraded"; the LLM is optional and does not count), 503 when it does not. The LLM
 * probe (no chat call) is kept for LLM_HEALTH_TTL_MS so the page can poll cheaply. */
#include "api/api_int.h"
#include "core/clock.h"
#include "core/fs.h"
#include "docker/docker.h"
#include "llm/llm.h"

#define LLM_HEALTH_TTL_MS 30000

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

/* Probe the configured LLM endpoint: {"configured","ok","model","api","host"|"detail",
 * "checked_at"}; the locality check comes first, so nothing leaves for a non-local host. */
static json_t *probe_llm(struct api_server *a)
{
    const struct config *cfg = a->ctx.cfg;
    struct errbuf eb = {{0}};
    struct llm_opts o;
    struct llm_result r;
    char at[CLOCK_ISO_LEN];
    explain_llm_opts(cfg, &o);
    enum err e = llm_probe(&o, &r, &eb);
    json_t *j = json_object();
    json_object_set_new(j, "configured", json_true());
    json_object_set_new(j, "ok", json_boolean(e == ERR_OK));
    json_object_set_new(j, "model", cfg->llm_model ? json_string(cfg->llm_model) : json_null());
    if (e == ERR_OK) {
        json_object_set_new(j, "api", json_string(llm_api_name(r.api)));
        json_object_set_new(j, "host", json_string(r.host));
    } else {
        json_object_set_new(j, "detail", api_redacted(a, errbuf_get(&eb, e)));
    }
    clock_now_iso(at);
    json_object_set_new(j, "checked_at", json_string(at));
    return j;
}

/* The LLM's health: not configured, the cached probe, or a new probe when it is older than
 * the TTL. Only one request probes at a time; the others answer the last result. */
static json_t *check_llm(struct api_server *a)
{
    if (!a->ctx.cfg->llm_base_url)
        return json_pack("{s:b, s:n}", "configured", 0, "ok");
    pthread_mutex_lock(&a->health_mu);
    int64_t now = clock_mono_ms();
    bool is_fresh = a->llm_health && now - a->llm_health_ms < LLM_HEALTH_TTL_MS;
    if (is_fresh || a->is_llm_probing) {
        json_t *last = a->llm_health ? json_deep_copy(a->llm_health)
                                     : json_pack("{s:b, s:n, s:s}", "configured", 1, "ok", "detail",
                                                 "checking");
        pthread_mutex_unlock(&a->health_mu);
        return last;
    }
    a->is_llm_probing = true;
    pthread_mutex_unlock(&a->health_mu);
    json_t *j = probe_llm(a);
    pthread_mutex_lock(&a->health_mu);
    json_decref(a->llm_health);
    a->llm_health = json_deep_copy(j);
    a->llm_health_ms = clock_mono_ms();
    a->is_llm_probing = false;
    pthread_mutex_unlock(&a->health_mu);
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
    json_object_set_new(j, "llm", check_llm(a));
    json_object_set_new(j, "status",
                        json_string(db_ok && docker_ok && disk_ok ? "ok" : "degraded"));
    json_object_set_new(j, "version", json_string(API_VERSION));
    http_reply_json(resp, db_ok ? 200 : 503, j);
}
