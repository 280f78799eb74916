/* SPDX-License-Identifier: MIT */
/* api_server.c -- start/stop of the REST service, and the helpers every resource shares:
 * task aliases, pagination, JSON bodies and store error replies. */
#include "api/api.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"

enum err api_server_start(const struct api_ctx *ctx,
                          struct api_server **out,
                          int *bound_port,
                          struct errbuf *eb)
{
    struct api_server *a = xcalloc(1, sizeof(*a));
    a->ctx = *ctx;
    a->redact.mode = ctx->cfg->redact_key_len ? REDACT_PSEUDONYM : REDACT_MASK;
    a->redact.key = ctx->cfg->redact_key_len ? ctx->cfg->redact_key : NULL;
    a->redact.key_len = ctx->cfg->redact_key_len;
    http_token_auth_init(&a->auth, api_token_verify, ctx->st);
    a->sessions = api_sessions_new();
    a->explainer = ctx->explainer;
    a->is_own_explainer = !a->explainer;
    if (a->is_own_explainer)
        a->explainer = explainer_new(ctx->cfg, ctx->st);
    pthread_mutex_init(&a->llm_mu, NULL);
    pthread_cond_init(&a->llm_cv, NULL);
    pthread_mutex_init(&a->health_mu, NULL);
    size_t n_routes = 0;
    const struct http_route *routes = api_routes_get(&n_routes);
    struct http_server_opts o = {
        .bind_addr = ctx->cfg->bind_addr,
        .port = ctx->cfg->port,
        .threads = ctx->cfg->http_threads,
        .max_body_bytes = ctx->cfg->max_body_bytes,
        .routes = routes,
        .n_routes = n_routes,
        .auth = api_auth_check,
        .app = a,
        .redact = &a->redact,
        .mounts = ctx->mounts,
        .n_mounts = ctx->n_mounts,
    };
    enum err e = http_server_start(&o, &a->http, bound_port, eb);
    if (e != ERR_OK) {
        http_token_auth_fini(&a->auth);
        api_sessions_free(a->sessions);
        pthread_mutex_destroy(&a->llm_mu);
        pthread_cond_destroy(&a->llm_cv);
        pthread_mutex_destroy(&a->health_mu);
        if (a->is_own_explainer)
            explainer_free(a->explainer);
        xfree(a);
        *out = NULL;
        return e;
    }
    *out = a;
    return ERR_OK;
}

void api_server_stop(struct api_server *s)
{
    if (!s)
        return;
    http_server_stop(s->http);
    /* The streams ended with the server: explanations see their queue abandoned and stop
     * (the LLM client checks it at least once a second). */
    pthread_mutex_lock(&s->llm_mu);
    while (s->llm_active > 0)
        pthread_cond_wait(&s->llm_cv, &s->llm_mu);
    pthread_mutex_unlock(&s->llm_mu);
    pthread_mutex_destroy(&s->llm_mu);
    pthread_cond_destroy(&s->llm_cv);
    pthread_mutex_destroy(&s->health_mu);
    json_decref(s->llm_health);
    if (s->is_own_explainer)
        explainer_free(s->explainer);
    http_token_auth_fini(&s->auth);
    api_sessions_free(s->sessions);
    xfree_zero(s, sizeof(*s));
}

bool api_query_get(const struct http_req *req,
                   struct http_resp *resp,
                   const char *key,
                   const char **out)
{
    const char *v = http_req_query(req, key);
    *out = NULL;
    if (v && strlen(v) > API_QUERY_MAX_LEN) {
        char msg[96];
        snprintf(msg, sizeof(msg), "Ensure this value has at most %d characters.",
                 API_QUERY_MAX_LEN);
        http_reply_field_error(resp, key, msg);
        return false;
    }
    *out = v;
    return true;
}

bool api_page_parse(const struct http_req *req, struct http_resp *resp, struct api_page *pg)
{
    const char *page = NULL, *size = NULL;
    pg->page = 1;
    pg->page_size = API_PAGE_SIZE_DEFAULT;
    if (!api_query_get(req, resp, "page", &page) || !api_query_get(req, resp, "page_size", &size))
        return false;
    if (page && http_parse_int64(page, 1, 1000000000, &pg->page) != ERR_OK) {
        http_reply_error(resp, ERR_NOT_FOUND, "Invalid page.");
        return false;
    }
    if (size && http_parse_int64(size, 1, API_PAGE_SIZE_MAX, &pg->page_size) != ERR_OK) {
        http_reply_field_error(resp, "page_size", "Ensure this value is an integer from 1 to 200.");
        return false;
    }
    return true;
}

void api_list_reply(struct api_server *a,
                    const struct http_req *req,
                    struct http_resp *resp,
                    const char *base,
                    api_store_list_fn *list)
{
    struct errbuf eb = {{0}};
    struct api_page pg;
    json_t *results = NULL;
    int64_t count = 0;
    if (!api_page_parse(req, resp, &pg))
        return;
    enum err e = list(a->ctx.st, (pg.page - 1) * pg.page_size, pg.page_size, &results, &count, &eb);
    if (e != ERR_OK) {
        json_decref(results);
        api_reply_err(resp, e, &eb);
        return;
    }
    api_page_reply(req, resp, base, NULL, &pg, count, results);
}

/* Append the URL of page (only unreserved bytes, '%', '/', '?', '&', '=': JSON-safe). */
static void page_url_append(const struct http_req *req,
                            const char *base,
                            const char *const *keep,
                            int64_t page,
                            int64_t page_size,
                            struct buf *b)
{
    buf_printf(b, "%s?page=%lld&page_size=%lld", base, (long long)page, (long long)page_size);
    for (size_t i = 0; keep && keep[i]; i++) {
        const char *v = http_req_query(req, keep[i]);
        if (!v)
            continue;
        buf_printf(b, "&%s=", keep[i]);
        http_url_encode(b, v);
    }
}

static json_t *page_url(const struct http_req *req,
                        const char *base,
                        const char *const *keep,
                        int64_t page,
                        int64_t page_size)
{
    struct buf b;
    buf_init(&b, 4096);
    page_url_append(req, base, keep, page, page_size, &b);
    json_t *j = json_string(buf_str(&b));
    buf_fini(&b);
    return j;
}

void api_page_reply(const struct http_req *req,
                    struct http_resp *resp,
                    const char *base,
                    const char *const *keep,
                    const struct api_page *pg,
                    int64_t count,
                    json_t *results)
{
    int64_t offset = (pg->page - 1) * pg->page_size;
    if (pg->page > 1 && offset >= count) {
        json_decref(results);
        http_reply_error(resp, ERR_NOT_FOUND, "Invalid page.");
        return;
    }
    json_t *j = json_object();
    json_object_set_new(j, "count", json_integer(count));
    json_object_set_new(j, "next",
                        offset + pg->page_size < count
                            ? page_url(req, base, keep, pg->page + 1, pg->page_size)
                            : json_null());
    json_object_set_new(j, "previous",
                        pg->page > 1 ? page_url(req, base, keep, pg->page - 1, pg->page_size)
                                     : json_null());
    json_object_set_new(j, "results", results ? results : json_array());
    http_reply_json(resp, 200, j);
}

/* Append "key":"<url of page>" (or null when !is_there) to b. */
static void page_link_text(const struct http_req *req,
                           const char *base,
                           const char *const *keep,
                           const char *key,
                           bool is_there,
                           int64_t page,
                           int64_t page_size,
                           struct buf *b)
{
    buf_printf(b, ",\"%s\":", key);
    if (!is_there) {
        buf_puts(b, "null");
        return;
    }
    buf_puts(b, "\"");
    page_url_append(req, base, keep, page, page_size, b);
    buf_puts(b, "\"");
}

void api_page_reply_text(const struct http_req *req,
                         struct http_resp *resp,
                         const char *base,
                         const char *const *keep,
                         const struct api_page *pg,
                         int64_t count,
                         struct buf *results,
                         size_t head_room)
{
    int64_t offset = (pg->page - 1) * pg->page_size;
    if (pg->page > 1 && offset >= count) {
        http_reply_error(resp, ERR_NOT_FOUND, "Invalid page.");
        return;
    }
    if (buf_len(results) <= head_room || buf_append(results, "}", 1) != ERR_OK) {
        http_reply_error(resp, ERR_INTERNAL, "the list could not be built");
        return;
    }
    struct buf head;
    buf_init(&head, 64 * 1024);
    buf_printf(&head, "{\"count\":%lld", (long long)count);
    page_link_text(req, base, keep, "next", offset + pg->page_size < count, pg->page + 1,
                   pg->page_size, &head);
    page_link_text(req, base, keep, "previous", pg->page > 1, pg->page - 1, pg->page_size, &head);
    buf_puts(&head, ",\"results\":");
    size_t head_len = buf_len(&head), len = buf_len(results);
    if (head_len <= head_room) {
        /* The envelope goes right in front of the array: no copy of the body. */
        size_t start = head_room - head_len;
        char *owned = buf_take(results);
        memcpy(owned + start, buf_str(&head), head_len);
        http_reply_json_take_at(resp, 200, owned, start, len - start);
    } else {
        buf_append(&head, buf_str(results) + head_room, len - head_room);
        len = buf_len(&head);
        http_reply_json_take(resp, 200, buf_take(&head), len);
    }
    buf_fini(&head);
}

/* True when the Content-Type names JSON (application/json or +json, any parameters). */
static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
        return true;
    return n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0;
}

bool api_body_object(const struct api_server *a,
                     const struct http_req *req,
                     struct http_resp *resp,
                     json_t **out)
{
    struct errbuf eb = {{0}};
    *out = NULL;
    size_t i = 0;
    while (i < req->body_len && strchr(" \t\r\n", req->body[i]))
        i++;
    if (i == req->body_len) {
        *out = json_object();
        return true;
    }
    const char *ct = http_req_header(req, "Content-Type");
    if (!is_json_type(ct)) {
        char q[40], detail[96];
        err_quote_user(q, sizeof(q), ct ? ct : "");
        snprintf(detail, sizeof(detail), "Unsupported media type \"%s\" in request.", q);
        http_reply_error(resp, ERR_UNSUPPORTED_MEDIA, detail);
        return false;
    }
    json_t *j = NULL;
    enum err e = jsonx_parse(req->body, req->body_len, (size_t)a->ctx.cfg->max_body_bytes, &j, &eb);
    if (e != ERR_OK) {
        http_reply_error(resp, e, errbuf_get(&eb, e));
        return false;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        http_reply_error(resp, ERR_INVALID, "Expected a JSON object as the request body.");
        return false;
    }
    *out = j;
    return true;
}

void api_reply_err(struct http_resp *resp, enum err e, const struct errbuf *eb)
{
    if (err_http_status(e) >= 500) {
        log_error("api", "event=store.error err=%s detail=\"%s\"", err_name(e), errbuf_get(eb, e));
        http_reply_error(resp, e, NULL);
        return;
    }
    http_reply_error(resp, e, errbuf_get(eb, e));
}

json_t *api_redacted(const struct api_server *a, const char *text)
{
    struct buf b;
    buf_init(&b, 4 * strlen(text) + 256);
    enum err e = redact_text_opts(text, strlen(text), &a->redact, &b);
    json_t *s = e == ERR_OK ? json_stringn(buf_str(&b), buf_len(&b)) : json_string("[REDACTED]");
    buf_fini(&b);
    return s;
}
