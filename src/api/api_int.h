/* SPDX-License-Identifier: MIT */
/* api_int.h -- private declarations shared by the api_*.c files: the server, the route
 * handlers, and helpers for pagination, bodies, task names and store errors. */
#pragma once

#include <jansson.h>
#include <pthread.h>

#include "api/api.h"
#include "explain/explain.h"
#include "http/http.h"
#include "redact/redact.h"

#define API_VERSION           "0.1.0"
#define API_QUERY_MAX_LEN     256
#define API_TEXT_MAX_BYTES    (64 * 1024)
#define API_PAGE_SIZE_DEFAULT 20
#define API_PAGE_SIZE_MAX     200

struct api_server {
    struct api_ctx ctx;
    struct http_server *http;
    struct http_token_auth auth;
    struct redact_opts redact;   /* error details: keyed pseudonyms (cfg's key), else masks */
    struct explainer *explainer; /* ctx's (shared with /mcp: one cap), or the server's own */
    bool is_own_explainer;
    pthread_mutex_t llm_mu;
    pthread_cond_t llm_cv;
    int llm_active; /* explanation threads of this server (guarded by llm_mu); stop waits */
    struct api_sessions *sessions; /* the web UI's browser sessions (api_session.c) */
    pthread_mutex_t health_mu;     /* guards the three below (api_health.c) */
    json_t *llm_health;            /* the last LLM probe's answer, or NULL */
    int64_t llm_health_ms;         /* when it was taken (clock_mono_ms) */
    bool is_llm_probing;           /* a request is probing now; others answer the last */
};

struct api_page {
    int64_t page;      /* from 1 */
    int64_t page_size; /* 1..API_PAGE_SIZE_MAX */
};

/* Return the route table (static) and its length in *n. */
const struct http_route *api_routes_get(size_t *n);

/* ---- helpers (api_server.c) ---- */

/* Parse ?page=&page_size=; on bad input reply (404 Invalid page / 400) and return false. */
bool api_page_parse(const struct http_req *req, struct http_resp *resp, struct api_page *pg);
/* Reply 200 with {"count","next","previous","results"}; results are stolen. base is the
 * list path ("/api/runs/"), keep lists query keys to carry into next/previous (NULL-ended).
 * Replies 404 Invalid page when the page is past the end. */
void api_page_reply(const struct http_req *req,
                    struct http_resp *resp,
                    const char *base,
                    const char *const *keep,
                    const struct api_page *pg,
                    int64_t count,
                    json_t *results);
/* A store list without filters: offset/limit in, a results array and the total out. */
typedef enum err api_store_list_fn(struct store *st,
                                   int64_t offset,
                                   int64_t limit,
                                   json_t **results,
                                   int64_t *count,
                                   struct errbuf *eb);
/* Answer GET base with one page of list (no filters): parse the page, read, reply. */
void api_list_reply(struct api_server *a,
                    const struct http_req *req,
                    struct http_resp *resp,
                    const char *base,
                    api_store_list_fn *list);
/* Head room to reserve at the start of a results buffer for api_page_reply_text. */
#define API_PAGE_HEAD_ROOM 1024

/* Reply like api_page_reply with results as JSON array text that follows head_room bytes of
 * reserved room in the buffer: the envelope is written into that room and the buffer is
 * taken and sent without a copy (results is left empty). */
void api_page_reply_text(const struct http_req *req,
                         struct http_resp *resp,
                         const char *base,
                         const char *const *keep,
                         const struct api_page *pg,
                         int64_t count,
                         struct buf *results,
                         size_t head_room);
/* Parse the JSON body into *out (an object; {} when empty); on bad input reply and false. */
bool api_body_object(const struct api_server *a,
                     const struct http_req *req,
                     struct http_resp *resp,
                     json_t **out);
/* Reply for a failed store call: its status, with eb's detail (server errors are logged). */
void api_reply_err(struct http_resp *resp, enum err e, const struct errbuf *eb);
/* Read a capped query argument; false (after replying 400) when over API_QUERY_MAX_LEN. */
bool api_query_get(const struct http_req *req,
                   struct http_resp *resp,
                   const char *key,
                   const char **out);

/* ---- auth (api_auth.c) ---- */
bool api_auth_check(void *app, struct http_req *req, struct http_resp *resp);
/* The http_token_verify_fn over store_token_check (ctx: the store). */
enum err api_token_verify(void *ctx, const char *token, bool *is_valid, struct errbuf *eb);

/* ---- web UI sessions (api_session.c) and files (api_web.c) ---- */
struct api_sessions;
/* Return an empty session table / free one (NULL is fine). */
struct api_sessions *api_sessions_new(void);
void api_sessions_free(struct api_sessions *s);
/* Return true when req carries a session cookie (valid or not). */
bool api_session_has_cookie(const struct http_req *req);
/* Check req's session cookie (401 when unknown or expired) and, for POST/PUT/PATCH/DELETE,
 * its X-CSRF-Token header (403); false after replying. */
bool api_session_check(struct api_server *a, struct http_req *req, struct http_resp *resp);
void api_session_login(void *app, struct http_req *req, struct http_resp *resp);
void api_session_get(void *app, struct http_req *req, struct http_resp *resp);
void api_session_logout(void *app, struct http_req *req, struct http_resp *resp);
/* Add the UI's security headers (CSP, nosniff, no framing) to the reply that was set. */
void api_web_headers(struct http_resp *resp);
void api_web_index(void *app, struct http_req *req, struct http_resp *resp);
void api_web_static(void *app, struct http_req *req, struct http_resp *resp);

/* ---- handlers ---- */
void api_runs_launch(void *app, struct http_req *req, struct http_resp *resp);
void api_runs_list(void *app, struct http_req *req, struct http_resp *resp);
void api_runs_get(void *app, struct http_req *req, struct http_resp *resp);
void api_runs_report(void *app, struct http_req *req, struct http_resp *resp);
void api_runs_report_html(void *app, struct http_req *req, struct http_resp *resp);
void api_runs_jobs(void *app, struct http_req *req, struct http_resp *resp);
void api_runs_cancel(void *app, struct http_req *req, struct http_resp *resp);
void api_runs_since(void *app, struct http_req *req, struct http_resp *resp);
void api_runs_events(void *app, struct http_req *req, struct http_resp *resp);
void api_runs_explain(void *app, struct http_req *req, struct http_resp *resp);
void api_llm_calls_list(void *app, struct http_req *req, struct http_resp *resp);
void api_token_usage(void *app, struct http_req *req, struct http_resp *resp);
void api_jobs_list(void *app, struct http_req *req, struct http_resp *resp);
void api_jobs_get(void *app, struct http_req *req, struct http_resp *resp);
void api_directives_list(void *app, struct http_req *req, struct http_resp *resp);
void api_directives_create(void *app, struct http_req *req, struct http_resp *resp);
void api_directives_get(void *app, struct http_req *req, struct http_resp *resp);
void api_directives_put(void *app, struct http_req *req, struct http_resp *resp);
void api_directives_patch(void *app, struct http_req *req, struct http_resp *resp);
void api_directives_delete(void *app, struct http_req *req, struct http_resp *resp);
void api_directives_versions(void *app, struct http_req *req, struct http_resp *resp);
void api_directives_diff(void *app, struct http_req *req, struct http_resp *resp);
void api_artifacts_list(void *app, struct http_req *req, struct http_resp *resp);
void api_artifacts_download(void *app, struct http_req *req, struct http_resp *resp);
void api_gpus_list(void *app, struct http_req *req, struct http_resp *resp);
void api_gpus_containers(void *app, struct http_req *req, struct http_resp *resp);
void api_health_get(void *app, struct http_req *req, struct http_resp *resp);
void api_metrics_get(void *app, struct http_req *req, struct http_resp *resp);
void api_schema_get(void *app, struct http_req *req, struct http_resp *resp);
void api_images_list(void *app, struct http_req *req, struct http_resp *resp);
void api_images_create(void *app, struct http_req *req, struct http_resp *resp);
void api_images_get(void *app, struct http_req *req, struct http_resp *resp);
void api_images_put(void *app, struct http_req *req, struct http_resp *resp);
void api_images_patch(void *app, struct http_req *req, struct http_resp *resp);
void api_images_delete(void *app, struct http_req *req, struct http_resp *resp);
void api_containers_list(void *app, struct http_req *req, struct http_resp *resp);
void api_containers_create(void *app, struct http_req *req, struct http_resp *resp);
void api_containers_get(void *app, struct http_req *req, struct http_resp *resp);
void api_containers_put(void *app, struct http_req *req, struct http_resp *resp);
void api_containers_patch(void *app, struct http_req *req, struct http_resp *resp);
void api_containers_delete(void *app, struct http_req *req, struct http_resp *resp);
void api_audit_list(void *app, struct http_req *req, struct http_resp *resp);
void api_inventory_list(void *app, struct http_req *req, struct http_resp *resp);
void api_templates_list(void *app, struct http_req *req, struct http_resp *resp);
void api_templates_get(void *app, struct http_req *req, struct http_resp *resp);
void api_inventory_snapshot(void *app, struct http_req *req, struct http_resp *resp);
void api_inventory_latest(void *app, struct http_req *req, struct http_resp *resp);
void api_inventory_diff(void *app, struct http_req *req, struct http_resp *resp);
void api_inventory_get(void *app, struct http_req *req, struct http_resp *resp);
/* /api/service-map/ (api_service_map.c) */
void api_service_map_latest(void *app, struct http_req *req, struct http_resp *resp);
void api_service_map_svg(void *app, struct http_req *req, struct http_resp *resp);
void api_service_map_dot(void *app, struct http_req *req, struct http_resp *resp);
void api_service_map_mermaid(void *app, struct http_req *req, struct http_resp *resp);
void api_service_map_impact(void *app, struct http_req *req, struct http_resp *resp);

/* Return text redacted with a's options as a JSON string (for details outside
 * http_reply_error, which redacts its own). */
json_t *api_redacted(const struct api_server *a, const char *text);
