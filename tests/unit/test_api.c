/* SPDX-License-Identifier: MIT */
/* test_api.c -- the REST service end to end: a real server on 127.0.0.1 (ephemeral port)
 * over a temporary SQLite store and a real event bus, driven with libcurl. */
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

#define TEST_MAX_BODY (64 * 1024)
#define ZERO_SHA      "0000000000000000000000000000000000000000000000000000000000000000"

#include "unit/api_fixture.h"
}

/* Launch a run of body; returns its id. */
static json_int_t launch(const char *body)
{
    struct reply r;
    send_json("POST", "/api/runs/launch/", body, &r);
    ck_assert_msg(r.status == 201, "launch %s -> %ld %s", body, r.status, r.body);
    json_int_t id = jint(r.json, "id");
    reply_fini(&r);
    return id;
}

START_TEST(test_auth_required)
{
    struct reply r;
    request("GET", "/api/runs/", NULL, NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_str_eq(jstr(r.json, "detail"), "Authentication credentials were not provided.");
    ck_assert_str_eq(r.www, "Bearer");
    reply_fini(&r);
    request("GET", "/api/runs/", "Bearer not-a-real-token", NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 401);
    ck_assert_str_eq(jstr(r.json, "detail"), "Invalid token.");
    reply_fini(&r);
    char tok[300];
    snprintf(tok, sizeof(tok), "Token %s", token);
    request("GET", "/api/runs/", tok, NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    reply_fini(&r);
    request("GET", "/api/health/", NULL, NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    reply_fini(&r);
}
END_TEST

START_TEST(test_health)
{
    struct reply r;
    request("GET", "/api/health/", NULL, NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.ctype, "application/json; charset=utf-8");
    const json_t *db = json_object_get(r.json, "database");
    ck_assert(json_is_true(json_object_get(db, "ok")));
    ck_assert_str_eq(jstr(db, "backend"), "sqlite");
    ck_assert(json_is_boolean(json_object_get(json_object_get(r.json, "docker"), "ok")));
    ck_assert(json_is_integer(json_object_get(json_object_get(r.json, "disk"), "free_bytes")));
    const char *status = jstr(r.json, "status");
    ck_assert(strcmp(status, "ok") == 0 || strcmp(status, "degraded") == 0);
    reply_fini(&r);
}
END_TEST

START_TEST(test_launch_namings)
{
    struct reply r;
    send_json("POST", "/api/runs/launch/", "{\"tasks\":[\"task1\",\"gpu_report\",\"log_triage\"]}",
              &r);
    ck_assert_int_eq(r.status, 201);
    const json_t *tasks = json_object_get(r.json, "tasks");
    ck_assert_uint_eq(json_array_size(tasks), 2);
    ck_assert_str_eq(json_string_value(json_array_get(tasks, 0)), "log_triage");
    ck_assert_str_eq(json_string_value(json_array_get(tasks, 1)), "gpu_report");
    ck_assert_uint_eq(json_array_size(json_object_get(r.json, "jobs")), 2);
    ck_assert_str_eq(jstr(r.json, "status"), "queued");
    reply_fini(&r);
    send_json("POST", "/api/runs/launch/", "{}", &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert_uint_eq(json_array_size(json_object_get(r.json, "jobs")), 3);
    reply_fini(&r);
    request("POST", "/api/runs/launch/", bearer(), NULL, "", 0, &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert_uint_eq(json_array_size(json_object_get(r.json, "jobs")), 3);
    reply_fini(&r);
    send_json("POST", "/api/runs/launch/",
              "{\"tasks\":[\"task3\"],\"directive_text\":\"be brief\"}", &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert_str_eq(jstr(json_object_get(r.json, "directive_snapshot"), "text"), "be brief");
    reply_fini(&r);
    ck_assert_int_eq(n_launch_calls, 4);
}
END_TEST

START_TEST(test_launch_errors)
{
    struct reply r;
    send_json("POST", "/api/runs/launch/", "{\"tasks\":[\"task1\",\"foo\"]}", &r);
    ck_assert_int_eq(r.status, 400);
    const char *msg = json_string_value(json_array_get(json_object_get(r.json, "tasks"), 0));
    ck_assert_ptr_nonnull(msg);
    ck_assert_ptr_nonnull(strstr(msg, "'foo'"));
    reply_fini(&r);
    send_json("POST", "/api/runs/launch/", "{\"directive_id\":999999}", &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_ptr_nonnull(jstr(r.json, "detail"));
    reply_fini(&r);
    send_json("POST", "/api/runs/launch/", "{\"tasks\": [", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(jstr(r.json, "detail"), "malformed JSON"));
    reply_fini(&r);
    request("POST", "/api/runs/launch/", bearer(), "text/plain", "{}", 2, &r);
    ck_assert_int_eq(r.status, 415);
    reply_fini(&r);
    send_json("POST", "/api/runs/launch/", "{\"directive_id\":1,\"directive_text\":\"x\"}", &r);
    ck_assert_int_eq(r.status, 400);
    reply_fini(&r);
    send_json("POST", "/api/runs/launch/", "[1,2]", &r);
    ck_assert_int_eq(r.status, 400);
    reply_fini(&r);
    send_json("POST", "/api/runs/launch/", "{\"tasks\":\"task1\"}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert(json_is_array(json_object_get(r.json, "tasks")));
    reply_fini(&r);
    /* Error details never echo personal data: the task name comes back redacted. */
    send_json("POST", "/api/runs/launch/", "{\"tasks\":[\"bob@example.com\"]}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_null(strstr(r.body, "bob@"));
    ck_assert_ptr_nonnull(strstr(r.body, "'[EMAIL]'"));
    reply_fini(&r);
    ck_assert_int_eq(n_launch_calls, 0);
}
END_TEST

START_TEST(test_body_caps)
{
    struct reply r;
    size_t n = TEST_MAX_BODY + 4096;
    char *big = xmalloc(n + 1);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = '\0';
    send_json("POST", "/api/runs/launch/", big, &r);
    ck_assert_int_eq(r.status, 413);
    ck_assert_ptr_nonnull(jstr(r.json, "detail"));
    reply_fini(&r);
    xfree(big);
    char deep[400];
    size_t k = 0;
    deep[k++] = '{';
    memcpy(deep + k, "\"tasks\":", 8);
    k += 8;
    for (int i = 0; i < 100; i++)
        deep[k++] = '[';
    for (int i = 0; i < 100; i++)
        deep[k++] = ']';
    deep[k++] = '}';
    deep[k] = '\0';
    send_json("POST", "/api/runs/launch/", deep, &r);
    ck_assert_int_eq(r.status, 413);
    reply_fini(&r);
    /* The server still answers on a fresh connection. */
    get("/api/runs/", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(jint(r.json, "count"), 0);
    reply_fini(&r);
}
END_TEST

START_TEST(test_pagination)
{
    struct reply r;
    for (int i = 0; i < 5; i++)
        launch("{\"tasks\":[\"task2\"]}");
    get("/api/runs/?page_size=2&status=queued", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(jint(r.json, "count"), 5);
    ck_assert_uint_eq(json_array_size(json_object_get(r.json, "results")), 2);
    ck_assert_str_eq(jstr(r.json, "next"), "/api/runs/?page=2&page_size=2&status=queued");
    ck_assert(json_is_null(json_object_get(r.json, "previous")));
    reply_fini(&r);
    get("/api/runs/?page=3&page_size=2&status=queued", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r.json, "results")), 1);
    ck_assert(json_is_null(json_object_get(r.json, "next")));
    ck_assert_str_eq(jstr(r.json, "previous"), "/api/runs/?page=2&page_size=2&status=queued");
    reply_fini(&r);
    get("/api/runs/?page=4&page_size=2", &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(jstr(r.json, "detail"), "Invalid page.");
    reply_fini(&r);
    get("/api/runs/?page=abc", &r);
    ck_assert_int_eq(r.status, 404);
    reply_fini(&r);
    get("/api/runs/?page_size=0", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert(json_is_array(json_object_get(r.json, "page_size")));
    reply_fini(&r);
    get("/api/runs/?page_size=201", &r);
    ck_assert_int_eq(r.status, 400);
    reply_fini(&r);
    get("/api/runs/?status=bogus", &r);
    ck_assert_int_eq(r.status, 400);
    reply_fini(&r);
    get("/api/runs/?task=task2", &r);
    ck_assert_int_eq(jint(r.json, "count"), 5);
    reply_fini(&r);
    get("/api/runs/?task=log_triage", &r);
    ck_assert_int_eq(jint(r.json, "count"), 0);
    reply_fini(&r);
    get("/api/runs/?task=nope", &r);
    ck_assert_int_eq(r.status, 400);
    reply_fini(&r);
    get("/api/runs?page_size=1", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(jint(r.json, "count"), 5);
    reply_fini(&r);
}
END_TEST

START_TEST(test_runs_get_jobs_cancel_report)
{
    struct reply r;
    char path[128];
    json_int_t id = launch("{\"tasks\":[\"task1\",\"task2\"]}");
    snprintf(path, sizeof(path), "/api/runs/%lld/", (long long)id);
    get(path, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(jint(r.json, "id"), id);
    json_int_t job_id = jint(json_array_get(json_object_get(r.json, "jobs"), 0), "id");
    reply_fini(&r);
    snprintf(path, sizeof(path), "/api/runs/%lld/jobs/", (long long)id);
    get(path, &r);
    ck_assert_int_eq(jint(r.json, "count"), 2);
    reply_fini(&r);
    snprintf(path, sizeof(path), "/api/jobs/?run=%lld", (long long)id);
    get(path, &r);
    ck_assert_int_eq(jint(r.json, "count"), 2);
    reply_fini(&r);
    snprintf(path, sizeof(path), "/api/jobs/%lld/", (long long)job_id);
    get(path, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(jint(r.json, "run_id"), id);
    reply_fini(&r);
    snprintf(path, sizeof(path), "/api/runs/%lld/report/", (long long)id);
    get(path, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(json_is_null(json_object_get(r.json, "markdown")));
    reply_fini(&r);
    get("/api/runs/987654/report/", &r);
    ck_assert_int_eq(r.status, 404);
    reply_fini(&r);
    get("/api/runs/987654/", &r);
    ck_assert_int_eq(r.status, 404);
    reply_fini(&r);
    snprintf(path, sizeof(path), "/api/runs/%lld/cancel/", (long long)id);
    request("POST", path, bearer(), NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(jstr(r.json, "status"), "cancelled");
    reply_fini(&r);
    request("POST", path, bearer(), NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 409);
    ck_assert_ptr_nonnull(jstr(r.json, "detail"));
    reply_fini(&r);
    get("/api/runs/since-last-success/", &r);
    ck_assert_int_eq(r.status, 400);
    reply_fini(&r);
    get("/api/runs/since-last-success/?task=task1", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(jstr(r.json, "task"), "log_triage");
    ck_assert(json_is_null(json_object_get(r.json, "run")));
    reply_fini(&r);
}
END_TEST

START_TEST(test_directives_crud)
{
    struct reply r;
    char path[128];
    send_json("POST", "/api/directives/", "{\"description\":\"no name\"}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r.json, "name"), 0)),
                     "This field is required.");
    reply_fini(&r);
    send_json("POST", "/api/directives/", "{\"name\":\"x\",\"config\":[1]}", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert(json_is_array(json_object_get(r.json, "config")));
    reply_fini(&r);
    send_json("POST", "/api/directives/",
              "{\"name\":\"Night shift\",\"text\":\"v1\",\"config\":{\"a\":1}}", &r);
    ck_assert_int_eq(r.status, 201);
    json_int_t id1 = jint(r.json, "id");
    ck_assert_int_eq(jint(r.json, "version"), 1);
    reply_fini(&r);
    snprintf(path, sizeof(path), "/api/directives/%lld/", (long long)id1);
    send_json("PATCH", path, "{\"text\":\"v2\"}", &r);
    ck_assert_int_eq(r.status, 200);
    json_int_t id2 = jint(r.json, "id");
    ck_assert_int_ne(id2, id1);
    ck_assert_int_eq(jint(r.json, "version"), 2);
    ck_assert_str_eq(jstr(r.json, "text"), "v2");
    ck_assert_str_eq(jstr(r.json, "name"), "Night shift");
    reply_fini(&r);
    get(path, &r); /* the old version still answers */
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(jstr(r.json, "text"), "v1");
    reply_fini(&r);
    get("/api/directives/?page_size=200", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_ge(jint(r.json, "count"), 1);
    reply_fini(&r);
    char body[64];
    snprintf(body, sizeof(body), "{\"directive_id\":%lld}", (long long)id2);
    launch(body);
    snprintf(path, sizeof(path), "/api/directives/%lld/", (long long)id2);
    request("DELETE", path, bearer(), NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 204);
    reply_fini(&r);
    get(path, &r);
    ck_assert_int_eq(r.status, 404);
    reply_fini(&r);
    send_json("POST", "/api/runs/launch/", body, &r);
    ck_assert_int_eq(r.status, 404);
    reply_fini(&r);
    get("/api/runs/", &r); /* deleting the directive kept the run */
    ck_assert_int_eq(jint(r.json, "count"), 1);
    reply_fini(&r);
}
END_TEST

START_TEST(test_not_found_and_method)
{
    struct reply r;
    get("/api/nothing/", &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(r.ctype, "application/json; charset=utf-8");
    ck_assert_str_eq(jstr(r.json, "detail"), "Not found.");
    reply_fini(&r);
    get("/api/runs/launch/", &r);
    ck_assert_int_eq(r.status, 405);
    ck_assert_str_eq(r.allow, "POST");
    ck_assert_ptr_nonnull(jstr(r.json, "detail"));
    reply_fini(&r);
    request("DELETE", "/api/runs/", bearer(), NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 405);
    ck_assert_str_eq(r.allow, "GET");
    reply_fini(&r);
    get("/api/schema/", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(jstr(r.json, "openapi"), "3.1.0");
    ck_assert_ptr_nonnull(json_object_get(json_object_get(r.json, "paths"), "/api/runs/{id}/"));
    reply_fini(&r);
    request("GET", "/metrics", NULL, NULL, NULL, 0, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "cyberbrain_http_requests_total{code=\"4xx\"}"));
    ck_assert_ptr_nonnull(strstr(r.body, "process_resident_memory_bytes"));
    reply_fini(&r);
}
END_TEST

static void write_file(const char *path, const char *text)
{
    ck_assert_int_eq(fs_write_atomic(path, text, strlen(text), NULL), ERR_OK);
}

START_TEST(test_artifacts)
{
    struct reply r;
    char path[256];
    json_int_t id = launch("{\"tasks\":[\"task1\"]}");
    char *dir = xasprintf("%s/runs/%lld", cfg.uploads_dir, (long long)id);
    char *f = xasprintf("%s/report.md", dir);
    char *secret = xasprintf("%s/secret.txt", tmp_dir);
    char *link = xasprintf("%s/evil.txt", dir);
    json_t *run = NULL;
    ck_assert_int_eq(store_run_get(st, id, &run, NULL), ERR_OK);
    json_int_t job = jint(json_array_get(json_object_get(run, "jobs"), 0), "id");
    json_decref(run);
    ck_assert_int_eq(fs_mkdir_p(dir, 0755, NULL), ERR_OK);
    write_file(f, "# Report\n");
    write_file(secret, "top secret\n");
    ck_assert_int_eq(symlink(secret, link), 0);
    ck_assert_int_eq(
        store_artifact_add(st, id, job, "report.md", 9, ZERO_SHA, "text/markdown", NULL), ERR_OK);
    ck_assert_int_eq(store_artifact_add(st, id, job, "evil.txt", 11, ZERO_SHA, "text/plain", NULL),
                     ERR_OK);
    snprintf(path, sizeof(path), "/api/runs/%lld/artifacts/", (long long)id);
    get(path, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(jint(r.json, "count"), 2);
    reply_fini(&r);
    snprintf(path, sizeof(path), "/api/runs/%lld/artifacts/report.md", (long long)id);
    get(path, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "# Report\n");
    reply_fini(&r);
    const char *bad[] = {"evil.txt", "../../secret.txt", "..%2F..%2Fsecret.txt", "%2Fetc%2Fpasswd",
                         "nothere.md"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(path, sizeof(path), "/api/runs/%lld/artifacts/%s", (long long)id, bad[i]);
        get(path, &r);
        ck_assert_msg(r.status == 404 || r.status == 400, "%s -> %ld", bad[i], r.status);
        ck_assert(r.body == NULL || strstr(r.body, "top secret") == NULL);
        reply_fini(&r);
    }
    xfree(dir);
    xfree(f);
    xfree(secret);
    xfree(link);
}
END_TEST

struct sse_client {
    json_int_t run_id;
    char *body;
    size_t len;
    bool published;
};

static size_t on_sse(char *data, size_t size, size_t n, void *ctx)
{
    struct sse_client *c = ctx;
    c->body = xrealloc(c->body, c->len + size * n + 1);
    memcpy(c->body + c->len, data, size * n);
    c->len += size * n;
    c->body[c->len] = '\0';
    /* Once the backlog event arrived, publish live events: the stream must wake up. */
    if (!c->published && strstr(c->body, "event: job")) {
        c->published = true;
        events_publish(ev, c->run_id, "progress", "{\"line\":\"half way\"}");
        events_publish(ev, c->run_id, "run", "{\"status\":\"success\"}");
    }
    return size * n;
}

static void sse_get(struct sse_client *c, const char *last_id)
{
    char path[96], last[64];
    snprintf(path, sizeof(path), "/api/runs/%lld/events/", (long long)c->run_id);
    if (last_id)
        snprintf(last, sizeof(last), "Last-Event-ID: %s", last_id);
    long status = 0;
    CURLcode rc = stream_get(path, last_id ? last : NULL, 30L, on_sse, c, &status);
    ck_assert_msg(rc == CURLE_OK, "sse: %s", curl_easy_strerror(rc));
    ck_assert_int_eq(status, 200);
}

START_TEST(test_sse_stream)
{
    struct sse_client c = {.run_id = launch("{\"tasks\":[\"task1\"]}")};
    events_publish(ev, c.run_id, "job", "{\"status\":\"running\"}");
    sse_get(&c, NULL); /* returns only because the server closed after the run event */
    ck_assert_ptr_nonnull(strstr(c.body, "id: 1\nevent: job\ndata: {\"status\":\"running\"}\n\n"));
    ck_assert_ptr_nonnull(strstr(c.body, "id: 2\nevent: progress\n"));
    ck_assert_ptr_nonnull(strstr(c.body, "id: 3\nevent: run\ndata: {\"status\":\"success\"}"));
    xfree(c.body);
    struct sse_client again = {.run_id = c.run_id, .published = true};
    sse_get(&again, "2");
    ck_assert_ptr_null(strstr(again.body, "id: 1\n"));
    ck_assert_ptr_null(strstr(again.body, "id: 2\n"));
    ck_assert_ptr_nonnull(strstr(again.body, "id: 3\nevent: run"));
    xfree(again.body);
    struct reply r;
    get("/api/runs/99999/events/", &r);
    ck_assert_int_eq(r.status, 404);
    reply_fini(&r);
}
END_TEST

struct idle_client {
    json_int_t run_id;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool is_open;
    CURLcode rc;
};

static size_t on_idle(char *data, size_t size, size_t n, void *ctx)
{
    struct idle_client *c = ctx;
    (void)data;
    pthread_mutex_lock(&c->mu);
    c->is_open = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return size * n;
}

static void *idle_main(void *arg)
{
    struct idle_client *c = arg;
    char path[96];
    snprintf(path, sizeof(path), "/api/runs/%lld/events/", (long long)c->run_id);
    c->rc = stream_get(path, NULL, 30L, on_idle, c, NULL);
    return NULL;
}

/* Stopping the server while a stream sits suspended ends the stream (no hang, no leak). */
START_TEST(test_sse_stop_with_idle_stream)
{
    struct idle_client c = {.run_id = launch("{}")};
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, idle_main, &c), 0);
    pthread_mutex_lock(&c.mu);
    while (!c.is_open)
        pthread_cond_wait(&c.cv, &c.mu);
    pthread_mutex_unlock(&c.mu);
    api_server_stop(srv);
    srv = NULL;
    pthread_join(th, NULL);
    ck_assert_int_ne(c.rc, CURLE_OPERATION_TIMEDOUT);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("server");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_auth_required);
    tcase_add_test(tc, test_health);
    tcase_add_test(tc, test_launch_namings);
    tcase_add_test(tc, test_launch_errors);
    tcase_add_test(tc, test_body_caps);
    tcase_add_test(tc, test_pagination);
    tcase_add_test(tc, test_runs_get_jobs_cancel_report);
    tcase_add_test(tc, test_directives_crud);
    tcase_add_test(tc, test_not_found_and_method);
    tcase_add_test(tc, test_artifacts);
    tcase_add_test(tc, test_sse_stream);
    tcase_add_test(tc, test_sse_stop_with_idle_stream);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    SRunner *sr = srunner_create(api_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
