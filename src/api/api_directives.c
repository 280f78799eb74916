/* SPDX-License-Identifier: MIT */
/* api_directives.c -- CRUD /api/directives/; an edit (PUT or PATCH) makes a new version. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/log.h"

#define NAME_MAX_BYTES        200
#define KEY_MAX_BYTES         64
#define DESCRIPTION_MAX_BYTES 4096

struct field_rule {
    const char *name;
    size_t max_bytes; /* strings; 0 = an object field */
};

static const struct field_rule rules[] = {
    {"name", NAME_MAX_BYTES},     {"key", KEY_MAX_BYTES}, {"description", DESCRIPTION_MAX_BYTES},
    {"text", API_TEXT_MAX_BYTES}, {"config", 0},
};

/* Check one known field and copy it into fields; false after replying 400. */
static bool
take_field(const struct field_rule *r, const json_t *v, json_t *fields, struct http_resp *resp)
{
    char msg[96];
    if (r->max_bytes == 0) {
        if (!json_is_object(v)) {
            http_reply_field_error(resp, r->name, "Expected a JSON object.");
            return false;
        }
    } else if (!json_is_string(v)) {
        http_reply_field_error(resp, r->name, "Not a valid string.");
        return false;
    } else if (json_string_length(v) > r->max_bytes) {
        snprintf(msg, sizeof(msg), "Ensure this field has no more than %zu bytes.", r->max_bytes);
        http_reply_field_error(resp, r->name, msg);
        return false;
    } else if (strcmp(r->name, "name") == 0 && json_string_length(v) == 0) {
        http_reply_field_error(resp, r->name, "This field may not be blank.");
        return false;
    }
    json_object_set_new(fields, r->name, json_deep_copy(v));
    return true;
}

/* Build the validated fields object from body; name required when is_full. NULL on error. */
static json_t *parse_fields(const json_t *body, bool is_full, struct http_resp *resp)
{
    json_t *fields = json_object();
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const json_t *v = json_object_get(body, rules[i].name);
        if (!v || (json_is_null(v) && strcmp(rules[i].name, "name") != 0))
            continue;
        if (!take_field(&rules[i], v, fields, resp)) {
            json_decref(fields);
            return NULL;
        }
    }
    if (is_full && !json_object_get(fields, "name")) {
        json_decref(fields);
        http_reply_field_error(resp, "name", "This field is required.");
        return NULL;
    }
    return fields;
}

void api_directives_list(void *app, struct http_req *req, struct http_resp *resp)
{
    api_list_reply(app, req, resp, "/api/directives/", store_directive_list);
}

/* A store read of one object by the path's id. */
typedef enum err dir_read_fn(struct store *st, int64_t id, json_t **out, struct errbuf *eb);

/* Answer 200 with read(id), or the store's error. */
static void reply_read(struct api_server *a,
                       const struct http_req *req,
                       struct http_resp *resp,
                       dir_read_fn *read)
{
    struct errbuf eb = {{0}};
    json_t *d = NULL;
    enum err e = read(a->ctx.st, req->ids[0], &d, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    http_reply_json(resp, 200, d);
}

void api_directives_get(void *app, struct http_req *req, struct http_resp *resp)
{
    reply_read(app, req, resp, store_directive_get);
}

/* Create (id 0) or edit directive id from the request body. */
static void
save(struct api_server *a, struct http_req *req, struct http_resp *resp, int64_t id, bool is_full)
{
    struct errbuf eb = {{0}};
    json_t *body = NULL, *fields = NULL, *d = NULL;
    if (!api_body_object(a, req, resp, &body))
        goto out;
    fields = parse_fields(body, is_full, resp);
    if (!fields)
        goto out;
    enum err e = id ? store_directive_update(a->ctx.st, id, fields, &d, &eb)
                    : store_directive_create(a->ctx.st, fields, &d, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        goto out;
    }
    log_info("api", "event=directive.%s id=%lld", id ? "update" : "create",
             (long long)json_integer_value(json_object_get(d, "id")));
    http_reply_json(resp, id ? 200 : 201, d);
    d = NULL;
out:
    json_decref(body);
    json_decref(fields);
    json_decref(d);
}

void api_directives_create(void *app, struct http_req *req, struct http_resp *resp)
{
    save(app, req, resp, 0, true);
}

void api_directives_put(void *app, struct http_req *req, struct http_resp *resp)
{
    save(app, req, resp, req->ids[0], true);
}

void api_directives_patch(void *app, struct http_req *req, struct http_resp *resp)
{
    save(app, req, resp, req->ids[0], false);
}

void api_directives_delete(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    enum err e = store_directive_delete(a->ctx.st, req->ids[0], &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    log_info("api", "event=directive.delete id=%lld", (long long)req->ids[0]);
    http_reply_no_content(resp);
}

void api_directives_versions(void *app, struct http_req *req, struct http_resp *resp)
{
    reply_read(app, req, resp, store_directive_versions);
}

/* Read the required version number in query key; false after replying 400. */
static bool
version_arg(const struct http_req *req, struct http_resp *resp, const char *key, int64_t *v)
{
    const char *s = NULL;
    char msg[96];
    if (!api_query_get(req, resp, key, &s))
        return false;
    if (s && http_parse_int64(s, 1, INT32_MAX, v) == ERR_OK)
        return true;
    snprintf(msg, sizeof(msg), "%s: give a version number (a positive integer)", key);
    http_reply_error(resp, ERR_INVALID, msg);
    return false;
}

void api_directives_diff(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *d = NULL;
    int64_t from = 0, to = 0;
    if (!version_arg(req, resp, "from", &from) || !version_arg(req, resp, "to", &to))
        return;
    enum err e = store_directive_diff(a->ctx.st, req->ids[0], from, to, &d, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    http_reply_json(resp, 200, d);
}
