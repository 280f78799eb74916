/* SPDX-License-Identifier: MIT */
/* docker_container.c -- container and image calls: create (hardened), start, wait,
 * kill, remove, logs, image inspect, list by label.
 *
 * Ids, image references and labels go into request paths, so they are checked against a
 * small character set first (ERR_INVALID otherwise); nothing is URL-decoded by us. */
#include "docker/docker.h"

#include <stdio.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "docker/docker_int.h"

#define DOCKER_REF_MAX   255
#define DOCKER_LABEL_MAX 128
#define DOCKER_SMALL_MAX (64u * 1024)

/* True when s is 1..max bytes of [A-Za-z0-9] and the characters in extra. */
static bool is_token(const char *s, size_t max, const char *extra)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr(extra, c);
        if (!ok)
            return false;
    }
    return true;
}

static enum err check_id(const char *id, struct errbuf *eb)
{
    if (!is_token(id, DOCKER_ID_MAX - 1, "_.-"))
        return errbuf_set(eb, ERR_INVALID, "not a container id or name");
    return ERR_OK;
}

static json_t *str_array(const char *const *v)
{
    json_t *a = json_array();
    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *host_config(const struct docker_create_opts *o)
{
    json_t *mounts = json_array();
    for (size_t i = 0; i < o->n_mounts; i++)
        json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:b}", "Type", "bind", "Source",
                                                o->mounts[i].source, "Target", o->mounts[i].target,
                                                "ReadOnly", o->mounts[i].is_read_only));
    json_t *hc =
        json_pack("{s:s,s:b,s:[s],s:[s],s:I,s:I,s:I,s:I,s:o,s:{s:s}}", "NetworkMode", "none",
                  "ReadonlyRootfs", 1, "CapDrop", "ALL", "SecurityOpt", "no-new-privileges",
                  "Memory", (json_int_t)o->memory_bytes, "MemorySwap", (json_int_t)o->memory_bytes,
                  "PidsLimit", (json_int_t)o->pids_limit, "NanoCpus", (json_int_t)o->nano_cpus,
                  "Mounts", mounts, "Tmpfs", "/tmp", "rw,size=16m,noexec");
    /* All NVIDIA GPUs, as `docker run --gpus all` asks for them. */
    if (hc && o->is_gpu)
        json_object_set_new(hc, "DeviceRequests",
                            json_pack("[{s:s,s:i,s:[[s]]}]", "Driver", "nvidia", "Count", -1,
                                      "Capabilities", "gpu"));
    return hc;
}

TESTABLE char *docker_create_body(const struct docker_create_opts *o)
{
    json_t *labels = json_object();
    for (size_t i = 0; o->labels && o->labels[i] && o->labels[i + 1]; i += 2)
        json_object_set_new(labels, o->labels[i], json_string(o->labels[i + 1]));
    json_t *hc = host_config(o);
    json_t *b = json_pack("{s:s,s:o,s:o,s:b,s:b}", "Image", o->image, "Labels", labels,
                          "HostConfig", hc, "NetworkDisabled", 1, "AttachStdin", 0);
    if (!b)
        return NULL;
    if (o->cmd)
        json_object_set_new(b, "Cmd", str_array(o->cmd));
    if (o->user)
        json_object_set_new(b, "User", json_string(o->user));
    char *s = jsonx_dumps(b);
    json_decref(b);
    return s;
}

enum err docker_container_create(const char *socket_path,
                                 const struct docker_create_opts *o,
                                 char *id,
                                 size_t id_cap,
                                 struct errbuf *eb)
{
    char path[DOCKER_PATH_MAX];
    char *body = NULL;
    json_t *j = NULL;
    id[0] = '\0';
    if (!is_token(o->image, DOCKER_REF_MAX, "_.-:/@"))
        return errbuf_set(eb, ERR_INVALID, "not an image reference");
    enum err e = docker_api_path(socket_path, path, sizeof(path), eb, "/containers/create");
    if (e != ERR_OK)
        return e;
    body = docker_create_body(o);
    if (!body)
        return errbuf_set(eb, ERR_INVALID, "docker container create: incomplete options");
    struct docker_call call = {"POST", path, body, 0, "container create"};
    e = docker_call_json(socket_path, &call, DOCKER_SMALL_MAX, false, &j, eb);
    if (e != ERR_OK)
        goto out;
    const char *cid = jsonx_get_str(j, "Id");
    if (!cid || strlen(cid) >= id_cap) {
        e = errbuf_set(eb, ERR_UNAVAILABLE, "docker container create: no usable Id in answer");
        goto out;
    }
    memcpy(id, cid, strlen(cid) + 1);
out:
    json_decref(j);
    xfree(body);
    return e;
}

/* POST /containers/<id>/<verb>[query] with no body and no answer needed. */
static enum err
post_simple(const char *socket_path, const char *id, const char *verb, struct errbuf *eb)
{
    char path[DOCKER_PATH_MAX];
    enum err e = check_id(id, eb);
    if (e == ERR_OK)
        e = docker_api_path(socket_path, path, sizeof(path), eb, "/containers/%s/%s", id, verb);
    if (e != ERR_OK)
        return e;
    struct docker_call call = {"POST", path, NULL, 0, verb};
    return docker_call_json(socket_path, &call, DOCKER_SMALL_MAX, false, NULL, eb);
}

enum err docker_container_start(const char *socket_path, const char *id, struct errbuf *eb)
{
    return post_simple(socket_path, id, "start", eb);
}

enum err docker_container_kill(const char *socket_path, const char *id, struct errbuf *eb)
{
    return post_simple(socket_path, id, "kill?signal=KILL", eb);
}

enum err docker_container_wait(
    const char *socket_path, const char *id, long timeout_ms, int *exit_code, struct errbuf *eb)
{
    char path[DOCKER_PATH_MAX];
    json_t *j = NULL;
    enum err e = check_id(id, eb);
    if (e == ERR_OK)
        e = docker_api_path(socket_path, path, sizeof(path), eb, "/containers/%s/wait", id);
    if (e != ERR_OK)
        return e;
    struct docker_call call = {"POST", path, NULL, timeout_ms > 0 ? timeout_ms : 1, "wait"};
    e = docker_call_json(socket_path, &call, DOCKER_SMALL_MAX, false, &j, eb);
    if (e != ERR_OK)
        return e;
    json_t *code = json_object_get(j, "StatusCode");
    if (!json_is_integer(code))
        e = errbuf_set(eb, ERR_UNAVAILABLE, "docker wait: no StatusCode in answer");
    else
        *exit_code = (int)json_integer_value(code);
    json_decref(j);
    return e;
}

enum err docker_container_remove(const char *socket_path, const char *id, struct errbuf *eb)
{
    char path[DOCKER_PATH_MAX];
    enum err e = check_id(id, eb);
    if (e == ERR_OK)
        e = docker_api_path(socket_path, path, sizeof(path), eb, "/containers/%s?force=1&v=1", id);
    if (e != ERR_OK)
        return e;
    struct docker_call call = {"DELETE", path, NULL, 0, "container remove"};
    return docker_call_json(socket_path, &call, DOCKER_SMALL_MAX, false, NULL, eb);
}

enum err docker_container_logs(const char *socket_path,
                               const char *id,
                               size_t max_bytes,
                               struct buf *out,
                               struct buf *err,
                               struct errbuf *eb)
{
    char path[DOCKER_PATH_MAX];
    struct docker_reply r = {0};
    size_t used = 0;
    enum err e = check_id(id, eb);
    if (e == ERR_OK)
        e = docker_api_path(socket_path, path, sizeof(path), eb,
                            "/containers/%s/logs?stdout=1&stderr=1", id);
    if (e != ERR_OK)
        return e;
    buf_init(&r.body, max_bytes);
    struct docker_call call = {"GET", path, NULL, 0, "logs"};
    e = docker_request(socket_path, &call, &r, eb);
    if (e == ERR_OK &&
        docker_logs_demux(buf_str(&r.body), buf_len(&r.body), out, err, &used) != ERR_OK)
        e = errbuf_set(eb, ERR_UNAVAILABLE, "docker logs: not a multiplexed stream");
    buf_fini(&r.body);
    return e;
}

enum err
docker_image_inspect(const char *socket_path, const char *ref, json_t **out, struct errbuf *eb)
{
    char path[DOCKER_PATH_MAX];
    json_t *j = NULL;
    *out = NULL;
    if (!is_token(ref, DOCKER_REF_MAX, "_.-:/@"))
        return errbuf_set(eb, ERR_INVALID, "not an image reference");
    enum err e = docker_api_path(socket_path, path, sizeof(path), eb, "/images/%s/json", ref);
    if (e != ERR_OK)
        return e;
    struct docker_call call = {"GET", path, NULL, 0, "image inspect"};
    e = docker_call_json(socket_path, &call, DOCKER_BODY_MAX, false, &j, eb);
    if (e != ERR_OK)
        return e;
    json_t *id = json_object_get(j, "Id");
    json_t *digests = json_object_get(j, "RepoDigests");
    if (!json_is_string(id)) {
        json_decref(j);
        return errbuf_set(eb, ERR_UNAVAILABLE, "docker image inspect: no Id in answer");
    }
    *out = json_pack("{s:O,s:o}", "Id", id, "RepoDigests",
                     json_is_array(digests) ? json_incref(digests) : json_array());
    json_decref(j);
    return ERR_OK;
}

enum err docker_containers_by_label(
    const char *socket_path, const char *key, const char *value, json_t **out, struct errbuf *eb)
{
    char path[DOCKER_PATH_MAX];
    json_t *j = NULL;
    *out = NULL;
    if (!is_token(key, DOCKER_LABEL_MAX, "_.-") || !is_token(value, DOCKER_LABEL_MAX, "_.-"))
        return errbuf_set(eb, ERR_INVALID, "not a label key and value");
    /* filters={"label":["key=value"]}, percent-encoded */
    enum err e = docker_api_path(socket_path, path, sizeof(path), eb,
                                 "/containers/json?all=1&filters=%%7B%%22label%%22%%3A%%5B%%22%s%%"
                                 "3D%s%%22%%5D%%7D",
                                 key, value);
    if (e != ERR_OK)
        return e;
    struct docker_call call = {"GET", path, NULL, 0, "container list"};
    e = docker_call_json(socket_path, &call, DOCKER_BODY_MAX, false, &j, eb);
    if (e != ERR_OK)
        return e;
    if (!json_is_array(j)) {
        json_decref(j);
        return errbuf_set(eb, ERR_UNAVAILABLE, "docker container list is not a JSON array");
    }
    *out = j;
    return ERR_OK;
}

/* Write ms as the engine's "seconds.nanoseconds" into out. */
static void unix_nanos(int64_t ms, char *out, size_t cap)
{
    snprintf(out, cap, "%lld.%03d000000", (long long)(ms / 1000), (int)(ms % 1000));
}

enum err docker_container_logs_window(const char *socket_path,
                                      const char *id,
                                      const struct docker_logs_query *q,
                                      struct buf *out,
                                      bool *is_truncated,
                                      struct errbuf *eb)
{
    char path[DOCKER_PATH_MAX], since[32] = "0", until[40] = "";
    struct docker_reply r = {0};
    size_t used = 0;
    *is_truncated = false;
    enum err e = check_id(id, eb);
    if (q->since_ms > 0)
        unix_nanos(q->since_ms, since, sizeof(since));
    if (q->until_ms >= 0) {
        memcpy(until, "&until=", 7);
        unix_nanos(q->until_ms, until + 7, sizeof(until) - 7);
    }
    if (e == ERR_OK)
        e = docker_api_path(socket_path, path, sizeof(path), eb,
                            "/containers/%s/logs?stdout=1&stderr=1&timestamps=1&since=%s%s", id,
                            since, until);
    if (e != ERR_OK)
        return e;
    buf_init(&r.body, q->max_bytes);
    struct docker_call call = {"GET", path, NULL, q->timeout_ms > 0 ? q->timeout_ms : 60000L,
                               "logs"};
    e = docker_request(socket_path, &call, &r, eb);
    if (e == ERR_TOO_LARGE && r.status == 200) {
        *is_truncated = true;
        e = ERR_OK;
    }
    if (e == ERR_OK && q->is_tty)
        e = buf_append(out, buf_str(&r.body), buf_len(&r.body));
    else if (e == ERR_OK &&
             docker_logs_demux(buf_str(&r.body), buf_len(&r.body), out, out, &used) != ERR_OK)
        e = errbuf_set(eb, ERR_UNAVAILABLE, "docker logs: not a multiplexed stream");
    if (e == ERR_TOO_LARGE)
        e = errbuf_set(eb, e, "docker logs: the output buffer is smaller than the cap");
    if (e == ERR_OK && !q->is_tty && used < buf_len(&r.body))
        *is_truncated = true; /* a partial last frame */
    buf_fini(&r.body);
    return e;
}
