/* SPDX-License-Identifier: MIT */
/* docker_client.c -- Docker Engine API calls over the unix socket with libcurl.
 *
 * Each call makes its own easy handle (connect 2 s, total 10 s) and caps the response
 * body. The API version comes from /_ping's Api-Version header, clamped to the range we
 * speak: 1.44 at most (Docker 29+ refuses anything older), 1.24 at least; Debian 12's
 * engine answers 1.41, which we then use. The requests made here mean the same in
 * every version of that range. */
#include "docker/docker.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "docker/docker_int.h"

#define DOCKER_API_MAX_MINOR 44
#define DOCKER_API_MIN_MINOR 24
#define DOCKER_CONNECT_MS    2000L
#define DOCKER_TOTAL_MS      10000L

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct docker_reply *r = ctx;
    if (buf_append(&r->body, data, size * n) != ERR_OK) {
        r->is_too_large = true;
        return 0;
    }
    return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct docker_reply *r = ctx;
    size_t len = size * n;
    static const char name[] = "api-version:";
    if (len > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        const char *v = data + sizeof(name) - 1;
        size_t vlen = len - (sizeof(name) - 1);
        while (vlen && (*v == ' ' || *v == '\t')) {
            v++;
            vlen--;
        }
        while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
            vlen--;
        if (vlen < sizeof(r->api_version)) {
            memcpy(r->api_version, v, vlen);
            r->api_version[vlen] = '\0';
        }
    }
    return len;
}

static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void curl_once(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, curl_init);
}

/* Explain why the socket did not answer: the errno of stat, else curl's text. */
static enum err unreachable(const char *socket_path, const char *curl_msg, struct errbuf *eb)
{
    struct stat st;
    if (stat(socket_path, &st) != 0)
        return errbuf_set(eb, ERR_UNAVAILABLE, "docker socket %s not reachable: %s", socket_path,
                          strerror(errno));
    if (!S_ISSOCK(st.st_mode))
        return errbuf_set(eb, ERR_UNAVAILABLE, "docker socket %s not reachable: not a socket",
                          socket_path);
    return errbuf_set(eb, ERR_UNAVAILABLE, "docker socket %s not reachable: %s", socket_path,
                      curl_msg);
}

/* Map an engine error status to enum err, with the engine's message (cut) in eb. */
static enum err
engine_error(long status, const struct docker_reply *r, const char *what, struct errbuf *eb)
{
    enum err e = status == 404   ? ERR_NOT_FOUND
                 : status == 409 ? ERR_CONFLICT
                 : status == 400 ? ERR_INVALID
                                 : ERR_UNAVAILABLE;
    char msg[DOCKER_ENGINE_MSG_MAX + 3] = "";
    json_t *j = NULL;
    if (jsonx_parse(buf_str(&r->body), buf_len(&r->body), 65536, &j, NULL) == ERR_OK) {
        const char *m = jsonx_get_str(j, "message");
        if (m)
            snprintf(msg, sizeof(msg), ": %.*s", DOCKER_ENGINE_MSG_MAX, m);
    }
    json_decref(j);
    return errbuf_set(eb, e, "docker %s failed with HTTP %ld%s", what, status, msg);
}

/* Set up the easy handle c for one request. */
static void setup(CURL *c,
                  const char *socket_path,
                  const char *url,
                  long timeout_ms,
                  struct docker_reply *r,
                  char *cerr)
{
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket_path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, DOCKER_CONNECT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : DOCKER_TOTAL_MS);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
}

enum err docker_request(const char *socket_path,
                        const struct docker_call *call,
                        struct docker_reply *r,
                        struct errbuf *eb)
{
    enum err e = ERR_OK;
    char url[1024];
    char cerr[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    curl_once();
    if (!socket_path || !*socket_path)
        return errbuf_set(eb, ERR_UNAVAILABLE, "no docker socket configured");
    if ((size_t)snprintf(url, sizeof(url), "http://localhost%s", call->path) >= sizeof(url))
        return errbuf_set(eb, ERR_INVALID, "docker %s: request path too long", call->what);
    CURL *c = curl_easy_init();
    if (!c)
        return errbuf_set(eb, ERR_INTERNAL, "curl_easy_init failed");
    setup(c, socket_path, url, call->timeout_ms, r, cerr);
    if (call->method && strcmp(call->method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call->method);
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, call->body ? call->body : "");
    }
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->is_too_large) {
        e = errbuf_set(eb, ERR_TOO_LARGE, "docker answer to %s is larger than its cap", call->what);
    } else if (rc == CURLE_COULDNT_CONNECT) {
        e = unreachable(socket_path, cerr[0] ? cerr : curl_easy_strerror(rc), eb);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        e = errbuf_set(eb, ERR_TIMEOUT, "docker %s: no answer in time", call->what);
    } else if (rc != CURLE_OK) {
        e = errbuf_set(eb, ERR_UNAVAILABLE, "docker request failed: %s",
                       cerr[0] ? cerr : curl_easy_strerror(rc));
    } else if (r->status < 200 || r->status > 299) {
        e = engine_error(r->status, r, call->what, eb);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return e;
}

/* GET path (starting with '/') on the engine into r; status 2xx or an error. */
static enum err
get(const char *socket_path, const char *path, struct docker_reply *r, struct errbuf *eb)
{
    struct docker_call call = {.method = "GET", .path = path, .what = "GET"};
    enum err e = docker_request(socket_path, &call, r, eb);
    if (e == ERR_TIMEOUT)
        return unreachable(socket_path, "timed out", eb);
    return e;
}

/* Clamp the engine's "1.NN" to the range we speak; false when it is not a version. */
static bool clamp_version(const char *v, char *out, size_t out_cap)
{
    char *end = NULL;
    errno = 0;
    long major = strtol(v, &end, 10);
    if (errno || end == v || *end != '.' || major != 1)
        return false;
    const char *p = end + 1;
    long minor = strtol(p, &end, 10);
    if (errno || end == p || *end != '\0' || minor < 0)
        return false;
    if (minor > DOCKER_API_MAX_MINOR)
        minor = DOCKER_API_MAX_MINOR;
    if (minor < DOCKER_API_MIN_MINOR)
        return false;
    snprintf(out, out_cap, "1.%ld", minor);
    return true;
}

enum err
docker_ping(const char *socket_path, char *api_version, size_t api_version_cap, struct errbuf *eb)
{
    struct docker_reply r = {0};
    buf_init(&r.body, 4096);
    enum err e = get(socket_path, "/_ping", &r, eb);
    if (e != ERR_OK)
        goto out;
    if (!r.api_version[0]) {
        e = errbuf_set(eb, ERR_UNAVAILABLE, "docker engine at %s sent no Api-Version header",
                       socket_path);
        goto out;
    }
    if (!clamp_version(r.api_version, api_version, api_version_cap)) {
        e = errbuf_set(eb, ERR_UNAVAILABLE, "docker engine API version %s is not supported",
                       r.api_version);
        goto out;
    }
out:
    buf_fini(&r.body);
    return e;
}

enum err docker_containers_list(const char *socket_path, int all, json_t **out, struct errbuf *eb)
{
    char ver[16], path[128];
    struct docker_reply r = {0};
    json_t *j = NULL;
    *out = NULL;
    buf_init(&r.body, DOCKER_BODY_MAX);
    enum err e = docker_ping(socket_path, ver, sizeof(ver), eb);
    if (e != ERR_OK)
        goto out;
    snprintf(path, sizeof(path), "/v%s/containers/json?all=%d", ver, all ? 1 : 0);
    e = get(socket_path, path, &r, eb);
    if (e != ERR_OK)
        goto out;
    e = jsonx_parse(buf_str(&r.body), buf_len(&r.body), DOCKER_BODY_MAX, &j, eb);
    if (e != ERR_OK)
        goto out;
    if (!json_is_array(j)) {
        e = errbuf_set(eb, ERR_UNAVAILABLE, "docker container list is not a JSON array");
        goto out;
    }
    *out = j;
    j = NULL;
out:
    json_decref(j);
    buf_fini(&r.body);
    return e;
}

enum err docker_call_json(const char *socket_path,
                          const struct docker_call *call,
                          size_t cap,
                          bool is_wipe,
                          json_t **out,
                          struct errbuf *eb)
{
    struct docker_reply r = {0};
    buf_init(&r.body, cap);
    enum err e = docker_request(socket_path, call, &r, eb);
    if (e == ERR_OK && out) {
        e = jsonx_parse(buf_str(&r.body), buf_len(&r.body), cap, out, eb);
        if (e != ERR_OK)
            e = errbuf_set(eb, ERR_UNAVAILABLE, "docker %s: the engine's answer is not JSON",
                           call->what);
    }
    if (is_wipe) {
        size_t n = buf_len(&r.body);
        xfree_zero(buf_take(&r.body), n);
    }
    buf_fini(&r.body);
    return e;
}

enum err docker_api_path(
    const char *socket_path, char *out, size_t cap, struct errbuf *eb, const char *fmt, ...)
{
    char ver[16], rest[DOCKER_PATH_MAX];
    va_list ap;
    enum err e = docker_ping(socket_path, ver, sizeof(ver), eb);
    if (e != ERR_OK)
        return e;
    va_start(ap, fmt);
    int n = vsnprintf(rest, sizeof(rest), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(rest) ||
        (size_t)snprintf(out, cap, "/v%s%s", ver, rest) >= cap)
        return errbuf_set(eb, ERR_INVALID, "docker request path too long");
    return ERR_OK;
}
