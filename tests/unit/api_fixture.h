/* SPDX-License-Identifier: MIT */
/* api_fixture.h -- the shared harness of the API tests: a real server on 127.0.0.1
 * (ephemeral port) over a temporary SQLite store and a real event bus, plus libcurl
 * request helpers. Included by one test file each; the helpers are static per binary. */
#pragma once

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "core/fs.h"
#include "core/xalloc.h"
#include "explain/explain.h"
#include "store/store.h"

#ifndef TEST_MAX_BODY
#define TEST_MAX_BODY (64 * 1024)
#endif

static char tmp_dir[64];
static struct config cfg;
static struct store *st;
static struct events *ev;
static struct api_server *srv;
static struct explainer *explainer; /* as serve does: shared by the API and /mcp */
__attribute__((unused)) static char *token;
static int port;
static int n_launch_calls;

struct reply {
    long status;
    char *body;
    size_t len;
    json_t *json;
    char ctype[128];
    char allow[64];
    char www[64];
};

__attribute__((unused)) static void on_launch(void *ctx)
{
    (void)ctx;
    n_launch_calls++;
}

__attribute__((unused)) static void setup(void)
{
    snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/cb-api-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
    memset(&cfg, 0, sizeof(cfg));
    cfg.bind_addr = xstrdup("127.0.0.1");
    cfg.uploads_dir = xasprintf("%s/uploads", tmp_dir);
    cfg.db_path = xasprintf("%s/db.sqlite", tmp_dir);
    cfg.docker_socket = xstrdup("/var/run/docker.sock");
    cfg.http_threads = 2;
    cfg.max_body_bytes = TEST_MAX_BODY;
    cfg.lookback_s = 86400;
    ck_assert_int_eq(fs_mkdir_p(cfg.uploads_dir, 0755, NULL), ERR_OK);
    struct store_opts so = {.sqlite_path = cfg.db_path, .pool_size = 4};
    struct errbuf eb = {{0}};
    ck_assert_msg(store_open(&so, &st, &eb) == ERR_OK, "%s", eb.msg);
    int applied = 0;
    ck_assert_msg(store_migrate(st, &applied, &eb) == ERR_OK, "%s", eb.msg);
    ck_assert_int_eq(store_token_create(st, "test", &token, &eb), ERR_OK);
    ev = events_new(64, 8);
    explainer = explainer_new(&cfg, st);
    struct api_ctx ctx = {
        .cfg = &cfg, .st = st, .ev = ev, .on_launch = on_launch, .explainer = explainer};
    ck_assert_msg(api_server_start(&ctx, &srv, &port, &eb) == ERR_OK, "%s", eb.msg);
    ck_assert_int_gt(port, 0);
    n_launch_calls = 0;
}

__attribute__((unused)) static void teardown(void)
{
    api_server_stop(srv);
    explainer_free(explainer);
    events_free(ev);
    store_close(st);
    fs_rm_rf(tmp_dir, NULL);
    xfree(token);
    xfree(cfg.bind_addr);
    xfree(cfg.uploads_dir);
    xfree(cfg.db_path);
    xfree(cfg.docker_socket);
}

__attribute__((unused)) static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct reply *r = ctx;
    r->body = xrealloc(r->body, r->len + size * n + 1);
    memcpy(r->body + r->len, data, size * n);
    r->len += size * n;
    r->body[r->len] = '\0';
    return size * n;
}

__attribute__((unused)) static void
header_copy(const char *line, size_t len, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0)
        return;
    const char *v = line + nl;
    size_t vl = len - nl;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
        vl--;
    snprintf(out, cap, "%.*s", (int)vl, v);
}

__attribute__((unused)) static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct reply *r = ctx;
    header_copy(data, size * n, "Content-Type: ", r->ctype, sizeof(r->ctype));
    header_copy(data, size * n, "Allow: ", r->allow, sizeof(r->allow));
    header_copy(data, size * n, "WWW-Authenticate: ", r->www, sizeof(r->www));
    return size * n;
}

/* Send one request; auth is "Bearer <token>" when use_token, or the literal auth text. */
__attribute__((unused)) static void request(const char *method,
                                            const char *path,
                                            const char *auth,
                                            const char *ctype,
                                            const char *body,
                                            size_t body_len,
                                            struct reply *r)
{
    memset(r, 0, sizeof(*r));
    CURL *c = curl_easy_init();
    char url[512], hdr[512];
    struct curl_slist *h = NULL;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    if (auth) {
        snprintf(hdr, sizeof(hdr), "Authorization: %s", auth);
        h = curl_slist_append(h, hdr);
    }
    if (ctype) {
        snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
        h = curl_slist_append(h, hdr);
    }
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
    }
    CURLcode rc = curl_easy_perform(c);
    ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (r->body && strncmp(r->ctype, "application/json", 16) == 0)
        r->json = json_loads(r->body, 0, NULL);
}

__attribute__((unused)) static char *bearer(void)
{
    static char b[300];
    snprintf(b, sizeof(b), "Bearer %s", token);
    return b;
}

__attribute__((unused)) static void get(const char *path, struct reply *r)
{
    request("GET", path, bearer(), NULL, NULL, 0, r);
}

/* GET path with the bearer token (and extra_header when not NULL), handing the body to fn
 * as it arrives (a stream); returns curl's code, *status (may be NULL) the HTTP status. */
__attribute__((unused)) static CURLcode stream_get(const char *path,
                                                   const char *extra_header,
                                                   long timeout_s,
                                                   curl_write_callback fn,
                                                   void *ctx,
                                                   long *status)
{
    char url[256], hdr[300];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
    struct curl_slist *hl = curl_slist_append(NULL, hdr);
    if (extra_header)
        hl = curl_slist_append(hl, extra_header);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fn);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, ctx);
    CURLcode rc = curl_easy_perform(c);
    if (status)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return rc;
}

__attribute__((unused)) static void
send_json(const char *method, const char *path, const char *body, struct reply *r)
{
    request(method, path, bearer(), "application/json", body, strlen(body), r);
}

__attribute__((unused)) static void reply_fini(struct reply *r)
{
    xfree(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

__attribute__((unused)) static const char *jstr(const json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

__attribute__((unused)) static json_int_t jint(const json_t *j, const char *key)
{
    return json_integer_value(json_object_get(j, key));
