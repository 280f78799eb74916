/* SPDX-License-Identifier: MIT */
/* test_api_allow.c -- /api/worker-images/, /api/containers/ and /api/audit/ end to end: a
 * real server on 127.0.0.1 (ephemeral port) over a temporary SQLite store, driven with libcurl. */
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
#include "store/store.h"

#define TEST_MAX_BODY (64 * 1024)
#define HEX64         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char tmp_dir[64];
static struct config cfg;
static struct store *st;
static struct events *ev;
static struct api_server *srv;
static char *token;
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

static void on_launch(void *ctx)
{
    (void)ctx;
    n_launch_calls++;
}

static void setup(void)
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
    struct api_ctx ctx = {.cfg = &cfg, .st = st, .ev = ev, .on_launch = on_launch};
    ck_assert_msg(api_server_start(&ctx, &srv, &port, &eb) == ERR_OK, "%s", eb.msg);
    ck_assert_int_gt(port, 0);
    n_launch_calls = 0;
}

static void teardown(void)
{
    api_server_stop(srv);
    events_free(ev);
    store_close(st);
    fs_rm_rf(tmp_dir, NULL);
    xfree(token);
    xfree(cfg.bind_addr);
    xfree(cfg.uploads_dir);
    xfree(cfg.db_path);
    xfree(cfg.docker_socket);
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct reply *r = ctx;
    r->body = xrealloc(r->body, r->len + size * n + 1);
    memcpy(r->body + r->len, data, size * n);
    r->len += size * n;
    r->body[r->len] = '\0';
    return size * n;
}

static void header_copy(const char *line, size_t len, const char *name, char *out, size_t cap)
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

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct reply *r = ctx;
    header_copy(data, size * n, "Content-Type: ", r->ctype, sizeof(r->ctype));
    header_copy(data, size * n, "Allow: ", r->allow, sizeof(r->allow));
    header_copy(data, size * n, "WWW-Authenticate: ", r->www, sizeof(r->www));
    return size * n;
}

/* Send one request; auth is "Bearer <token>" when use_token, or the literal auth text. */
static void request(const char *method,
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

static char *bearer(void)
{
    static char b[300];
    snprintf(b, sizeof(b), "Bearer %s", token);
    return b;
}

static void get(const char *path, struct reply *r)
{
    request("GET", path, bearer(), NULL, NULL, 0, r);
}

static void send_json(const char *method, const char *path, const char *body, struct reply *r)
{
    request(method, path, bearer(), "application/json", body, strlen(body), r);
}

static void reply_fini(struct reply *r)
{
    xfree(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

static const char *jstr(const json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

static json_int_t jint(const json_t *j, const char *key)
{
    return json_integer_value(json_object_get(j, key));
}

/* The first message of field's error list in r, or "". */
static const char *field_msg(const struct reply *r, const char *field)
{
    const char *s = json_string_value(json_array_get(json_object_get(r->json, field), 0));
    return s ? s : "";
}

START_TEST(test_images_crud)
{
    struct reply r;
    char path[128];
    send_json("POST", "/api/worker-images/", "{\"image_name\":\"nginx\",\"min_vram_mb\":512}", &r);
    ck_assert_msg(r.status == 201, "%s", r.body);
    ck_assert_str_eq(jstr(r.json, "image_name"), "docker.io/library/nginx");
    ck_assert_str_eq(jstr(r.json, "image_tag"), "latest");
    ck_assert_int_eq(jint(r.json, "min_vram_mb"), 512);
    json_int_t id = jint(r.json, "id");
    reply_fini(&r);
    const char *dups[] = {"{\"image_name\":\"docker.io/library/nginx:latest\"}",
                          "{\"image_name\":\"index.docker.io/library/nginx\"}",
                          "{\"image_name\":\"library/nginx\",\"image_tag\":\"latest\"}"};
    for (size_t i = 0; i < 3; i++) {
        send_json("POST", "/api/worker-images/", dups[i], &r);
        ck_assert_msg(r.status == 409, "%s -> %ld", dups[i], r.status);
        ck_assert_ptr_nonnull(jstr(r.json, "detail"));
        reply_fini(&r);
    }
    snprintf(path, sizeof(path), "/api/worker-images/%lld/", (long long)id);
    send_json("PATCH", path, "{\"image_tag\":\"1.25\",\"requires_gpu\":true}", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(jstr(r.json, "image_tag"), "1.25");
    ck_assert(json_is_true(json_object_get(r.json, "requires_gpu")));
    reply_fini(&r);
    send_json("PUT", path, "{\"image_tag\":\"1\"}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(field_msg(&r, "image_name"), "This field is required.");
    reply_fini(&r);
    get("/api/worker-images/?page_size=1", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(jint(r.json, "count"), 1);
    reply_fini(&r);
    request("DELETE", path, bearer(), NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 204);
    reply_fini(&r);
    get(path, &r);
    ck_assert_int_eq(r.status, 404);
    reply_fini(&r);
}
END_TEST

START_TEST(test_images_bypass_400)
{
    struct reply r;
    const char *bad[][2] = {
        {"{\"image_name\":\"Nginx\"}", "image_name"},
        {"{\"image_name\":\"nginx \"}", "image_name"},
        {"{\"image_name\":\"nginx@sha256:" HEX64 "\"}", "image_name"},
        {"{\"image_name\":\"docker.io//library/nginx\"}", "image_name"},
        {"{\"image_name\":\"nginx:\"}", "image_name"},
        {"{\"image_name\":\"nginx:a\",\"image_tag\":\"b\"}", "image_name"},
        {"{\"image_name\":\"nginx\",\"image_tag\":\"a:b\"}", "image_tag"},
        {"{\"image_name\":\"nginx\",\"digest\":\"sha256:" HEX64 "@x\"}", "digest"},
        {"{\"image_name\":\"nginx\",\"min_vram_mb\":1.5}", "min_vram_mb"},
        {"{\"image_name\":\"nginx\",\"is_active\":1}", "is_active"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        send_json("POST", "/api/worker-images/", bad[i][0], &r);
        ck_assert_msg(r.status == 400, "%s -> %ld %s", bad[i][0], r.status, r.body);
        ck_assert_msg(*field_msg(&r, bad[i][1]), "%s: %s", bad[i][0], r.body);
        reply_fini(&r);
    }
    get("/api/worker-images/", &r);
    ck_assert_int_eq(jint(r.json, "count"), 0);
    reply_fini(&r);
}
END_TEST

START_TEST(test_containers_and_audit)
{
    struct reply r;
    send_json("POST", "/api/containers/", "{\"container_ref\":\"db.primary\",\"note\":\"pg\"}", &r);
    ck_assert_msg(r.status == 201, "%s", r.body);
    ck_assert_str_eq(jstr(r.json, "container_ref"), "db.primary");
    reply_fini(&r);
    send_json("POST", "/api/containers/", "{\"container_ref\":\"db.primary\"}", &r);
    ck_assert_int_eq(r.status, 409);
    reply_fini(&r);
    send_json("POST", "/api/containers/", "{\"container_ref\":\".db\"}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_ne(field_msg(&r, "container_ref"), "");
    reply_fini(&r);
    struct errbuf eb = {{0}};
    json_t *entry = NULL;
    ck_assert_int_eq(store_worker_image_check(st, "alpine", &entry, &eb), ERR_FORBIDDEN);
    ck_assert_int_eq(store_audit_add(st, "spawn", "x", "c1", 7, 8, NULL, &eb), ERR_OK);
    get("/api/audit/?action=deny", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(jint(r.json, "count"), 1);
    json_t *row = json_array_get(json_object_get(r.json, "results"), 0);
    ck_assert_str_eq(jstr(row, "image"), "docker.io/library/alpine:latest");
    ck_assert_str_eq(jstr(row, "reason"), "image not allowlisted");
    reply_fini(&r);
    get("/api/audit/?run=7", &r);
    ck_assert_int_eq(jint(r.json, "count"), 1);
    reply_fini(&r);
    get("/api/audit/?action=bogus", &r);
    ck_assert_int_eq(r.status, 400);
    reply_fini(&r);
}
END_TEST

START_TEST(test_allow_auth)
{
    struct reply r;
    const char *paths[] = {"/api/worker-images/", "/api/containers/", "/api/audit/"};
    for (size_t i = 0; i < 3; i++) {
        request("GET", paths[i], NULL, NULL, NULL, 0, &r);
        ck_assert_int_eq(r.status, 401);
        reply_fini(&r);
    }
    request("POST", "/api/worker-images/", "Bearer nope", "application/json",
            "{\"image_name\":\"nginx\"}", 22, &r);
    ck_assert_int_eq(r.status, 401);
    reply_fini(&r);
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("api_allow");
    TCase *tc = tcase_create("server");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_images_crud);
    tcase_add_test(tc, test_images_bypass_400);
    tcase_add_test(tc, test_containers_and_audit);
    tcase_add_test(tc, test_allow_auth);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
