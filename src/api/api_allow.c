/* SPDX-License-Identifier: MIT */
/* api_allow.c -- /api/worker-images/, /api/containers/ (the allowlists) and /api/audit/. */
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/log.h"
#include "store/store.h"

/* One allowlist kind: its store calls and its list path. */
struct allow_kind {
    const char *what; /* for log events */
    const char *base;
    enum err (*validate)(const json_t *, bool, const char **, struct errbuf *);
    api_store_list_fn *list;
    enum err (*get)(struct store *, int64_t, json_t **, struct errbuf *);
    enum err (*save)(struct store *, int64_t, const json_t *, bool, json_t **, struct errbuf *);
    enum err (*del)(struct store *, int64_t, struct errbuf *);
};

static enum err image_save(
    struct store *st, int64_t id, const json_t *f, bool is_full, json_t **out, struct errbuf *eb)
{
    return id ? store_worker_image_update(st, id, f, is_full, out, eb)
              : store_worker_image_create(st, f, out, eb);
}

static const struct allow_kind images = {
    "worker_image",           "/api/worker-images/",  store_worker_image_validate,
    store_worker_image_list,  store_worker_image_get, image_save,
    store_worker_image_delete};
static const struct allow_kind containers = {
    "container",         "/api/containers/",   store_container_validate, store_container_list,
    store_container_get, store_container_save, store_container_delete};

static void
do_list(const struct allow_kind *k, void *app, struct http_req *req, struct http_resp *resp)
{
    api_list_reply(app, req, resp, k->base, k->list);
}

static void
do_get(const struct allow_kind *k, void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *d = NULL;
    enum err e = k->get(a->ctx.st, req->ids[0], &d, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    http_reply_json(resp, 200, d);
}

/* Create (id 0) or edit entry id from the request body. */
static void do_save(const struct allow_kind *k,
                    void *app,
                    struct http_req *req,
                    struct http_resp *resp,
                    int64_t id,
                    bool is_full)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *body = NULL, *d = NULL;
    const char *bad = NULL;
    if (!api_body_object(a, req, resp, &body))
        return;
    enum err e = k->validate(body, is_full, &bad, &eb);
    if (e == ERR_OK)
        e = k->save(a->ctx.st, id, body, is_full, &d, &eb);
    if (e == ERR_INVALID && bad)
        http_reply_field_error(resp, bad, errbuf_get(&eb, e));
    else if (e != ERR_OK)
        api_reply_err(resp, e, &eb);
    else {
        log_info("api", "event=%s.%s id=%lld", k->what, id ? "update" : "create",
                 (long long)json_integer_value(json_object_get(d, "id")));
        http_reply_json(resp, id ? 200 : 201, d);
        d = NULL;
    }
    json_decref(body);
    json_decref(d);
}

static void
do_delete(const struct allow_kind *k, void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    enum err e = k->del(a->ctx.st, req->ids[0], &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    log_info("api", "event=%s.delete id=%lld", k->what, (long long)req->ids[0]);
    http_reply_no_content(resp);
}

void api_images_list(void *app, struct http_req *req, struct http_resp *resp)
{
    do_list(&images, app, req, resp);
}

void api_images_create(void *app, struct http_req *req, struct http_resp *resp)
{
    do_save(&images, app, req, resp, 0, true);
}

void api_images_get(void *app, struct http_req *req, struct http_resp *resp)
{
    do_get(&images, app, req, resp);
}

void api_images_put(void *app, struct http_req *req, struct http_resp *resp)
{
    do_save(&images, app, req, resp, req->ids[0], true);
}

void api_images_patch(void *app, struct http_req *req, struct http_resp *resp)
{
    do_save(&images, app, req, resp, req->ids[0], false);
}

void api_images_delete(void *app, struct http_req *req, struct http_resp *resp)
{
    do_delete(&images, app, req, resp);
}

void api_containers_list(void *app, struct http_req *req, struct http_resp *resp)
{
    do_list(&containers, app, req, resp);
}

void api_containers_create(void *app, struct http_req *req, struct http_resp *resp)
{
    do_save(&containers, app, req, resp, 0, true);
}

void api_containers_get(void *app, struct http_req *req, struct http_resp *resp)
{
    do_get(&containers, app, req, resp);
}

void api_containers_put(void *app, struct http_req *req, struct http_resp *resp)
{
    do_save(&containers, app, req, resp, req->ids[0], true);
}

void api_containers_patch(void *app, struct http_req *req, struct http_resp *resp)
{
    do_save(&containers, app, req, resp, req->ids[0], false);
}

void api_containers_delete(void *app, struct http_req *req, struct http_resp *resp)
{
    do_delete(&containers, app, req, resp);
}

void api_audit_list(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    struct api_page pg;
    const char *action = NULL, *run = NULL;
    json_t *results = NULL;
    int64_t count = 0, run_id = 0;
    if (!api_page_parse(req, resp, &pg) || !api_query_get(req, resp, "action", &action) ||
        !api_query_get(req, resp, "run", &run))
        return;
    if (action && !store_audit_action_ok(action)) {
        http_reply_field_error(
            resp, "action",
            "Give one of spawn, deny, deadline_kill, exit, remove, reconcile, llm_refused.");
        return;
    }
    if (run) {
        char *end = NULL;
        run_id = strtoll(run, &end, 10);
        if (!*run || *end || run_id <= 0) {
            http_reply_field_error(resp, "run", "Give a positive integer run id.");
            return;
        }
    }
    enum err e = store_audit_list(a->ctx.st, action, run_id, (pg.page - 1) * pg.page_size,
                                  pg.page_size, &results, &count, &eb);
    if (e != ERR_OK) {
        json_decref(results);
        api_reply_err(resp, e, &eb);
        return;
    }
    static const char *const keep[] = {"action", "run", NULL};
    api_page_reply(req, resp, "/api/audit/", keep, &pg, count, results);
}
