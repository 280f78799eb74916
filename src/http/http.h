/* SPDX-License-Identifier: MIT */
/* http.h -- a small HTTP framework over libmicrohttpd: server, route table, JSON replies, SSE.
 *
 * http_server_start runs an epoll thread pool. Each request is read whole (body capped at
 * max_body_bytes, 413 beyond), matched against a static route table ({id} = positive int64,
 * {name...} = the rest of the path; trailing slash optional) and handed to its handler on a
 * pool thread; unknown paths get 404 JSON and wrong methods 405 JSON with Allow. Handlers
 * fill a struct http_resp with one http_reply_* call; the server queues it. SSE streams are
 * suspended while idle and resumed by the event bus or a keepalive timer. */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/events.h"
#include "redact/redact.h"

struct http_server;
struct http_resp;

enum http_method {
    HTTP_GET = 1,
    HTTP_POST = 2,
    HTTP_PUT = 4,
    HTTP_PATCH = 8,
    HTTP_DELETE = 16,
    HTTP_HEAD = 32,
    HTTP_OPTIONS = 64,
    HTTP_OTHER = 128,
};

#define HTTP_MAX_IDS 2

/* One request as a handler sees it; fields are read-only for handlers (valid during the call). */
struct http_req {
    enum http_method method;
    const char *path;          /* decoded path, as received */
    int64_t ids[HTTP_MAX_IDS]; /* the {id} captures, in order */
    size_t n_ids;
    char *tail;       /* the {name...} capture (decoded) or NULL */
    const char *body; /* NUL-terminated request body (may be empty) */
    size_t body_len;
    void *conn;              /* the MHD connection (private) */
    struct http_server *srv; /* private */
};

/* A route handler: read req, answer with exactly one http_reply_* on resp. */
typedef void http_handler_fn(void *app, struct http_req *req, struct http_resp *resp);
/* Called before every non-public route; return false after replying (e.g. 401). */
typedef bool http_auth_fn(void *app, struct http_req *req, struct http_resp *resp);

#define HTTP_ROUTE_PUBLIC 1u /* no auth hook */

/* One row of the route table. */
struct http_route {
    enum http_method method;
    const char *pattern; /* "/api/runs/{id}/report/", "/api/runs/{id}/artifacts/{name...}" */
    http_handler_fn *handler;
    unsigned flags;      /* HTTP_ROUTE_* */
    const char *summary; /* one line for the OpenAPI document */
};

/* A further route table served by the same server, with its own auth hook and handler
 * context (the MCP endpoint next to the REST API). Borrowed for the server's life. */
struct http_mount {
    const struct http_route *routes;
    size_t n_routes;
    http_auth_fn *auth; /* may be NULL */
    void *app;          /* passed to this table's handlers and auth */
};

struct http_server_opts {
    const char *bind_addr;           /* IPv4 or IPv6 literal */
    int port;                        /* 0 = pick a free one */
    int threads;                     /* pool size, >= 1 */
    int64_t max_body_bytes;          /* request body cap (413 beyond) */
    unsigned max_connections;        /* 0 = 1024 */
    unsigned timeout_s;              /* idle connection timeout; 0 = 30 */
    size_t max_sse;                  /* SSE streams at once; 0 = 256 */
    int keepalive_ms;                /* SSE keepalive comment period; 0 = 15000 */
    const struct http_route *routes; /* borrowed for the server's life */
    size_t n_routes;
    http_auth_fn *auth;              /* may be NULL */
    void *app;                       /* passed to handlers and auth */
    const struct http_mount *mounts; /* further tables, looked up after routes; borrowed */
    size_t n_mounts;
    /* How error details are redacted (every {"detail"} and per-field message, whatever
     * DEBUG_REDACTED_MODE says); borrowed; NULL: masks. */
    const struct redact_opts *redact;
};

/* Per-status-class request counters (index 1..5 = 1xx..5xx). */
struct http_stats {
    uint64_t by_class[6];
    uint64_t sse_open;
};

/* Start serving; *bound_port gets the bound port. */
enum err http_server_start(const struct http_server_opts *opts,
                           struct http_server **out,
                           int *bound_port,
                           struct errbuf *eb);
/* Stop: end SSE streams, stop accepting, finish in-flight requests, free s. NULL is fine. */
void http_server_stop(struct http_server *s);
/* Copy the request counters of s into *out. */
void http_server_stats_get(struct http_server *s, struct http_stats *out);

/* ---- request accessors (borrowed strings, valid during the handler) ---- */

/* Return the value of header name (case-insensitive) or NULL. */
const char *http_req_header(const struct http_req *req, const char *name);
/* Return the decoded query argument key or NULL. */
const char *http_req_query(const struct http_req *req, const char *key);
/* Return true when the peer address is loopback (127/8 or ::1). */
bool http_req_is_loopback(const struct http_req *req);
/* Return the method as text ("GET"). */
const char *http_method_name(enum http_method m);

/* ---- replies (exactly one per request) ---- */

/* Reply with status and j as JSON; steals the reference to j (NULL replies null). */
void http_reply_json(struct http_resp *resp, int status, json_t *j);
/* Reply with status and text (len bytes of JSON, heap-allocated with xmalloc; taken: freed
 * by the server), without parsing it. */
void http_reply_json_take(struct http_resp *resp, int status, char *text, size_t len);
/* Reply with the len bytes of JSON at owned + offset, taking owned (a heap block from
 * xmalloc or buf_take), which is freed once sent: a body built behind reserved head room
 * goes out without a copy. */
void http_reply_json_take_at(
    struct http_resp *resp, int status, char *owned, size_t offset, size_t len);
/* Reply {"detail": detail or err_text(e)} with err_http_status(e); detail is redacted. */
void http_reply_error(struct http_resp *resp, enum err e, const char *detail);
/* Reply 400 {"field": ["message"], "detail": "field: message"} (detail cut at 511 bytes). */
void http_reply_field_error(struct http_resp *resp, const char *field, const char *message);
/* Reply with status and a plain body of content_type (copied). */
void http_reply_text(
    struct http_resp *resp, int status, const char *content_type, const char *body, size_t len);
/* Reply 204 with no body. */
void http_reply_no_content(struct http_resp *resp);
/* Reply with the open file fd (size bytes; taken: closed by the server). */
void http_reply_fd_take(
    struct http_resp *resp, int fd, uint64_t size, const char *content_type, const char *filename);
/* Add a header to the reply that was set (call after http_reply_*). */
void http_resp_header_add(struct http_resp *resp, const char *name, const char *value);

/* Reply with an SSE stream fed by sub (taken: unsubscribed when the stream ends). The stream
 * closes after a "run" event whose status is final; when is_ended is set and nothing is
 * pending it sends end_data (JSON, copied; may be NULL) as a "run" event and closes. */
void http_reply_sse_take(struct http_resp *resp,
                         struct http_req *req,
                         struct events_sub *sub,
                         bool is_ended,
                         const char *end_data);
/* Return true when another SSE stream may open (under max_sse). */
bool http_sse_has_room(struct http_server *s);

/* ---- message streams: a reply body produced later, from any thread ----
 * The handler replies with http_reply_stream (the connection is suspended while the queue
 * is empty, so no pool thread waits) and a producer appends with http_stream_write and ends
 * with http_stream_close. Keepalive text (an SSE comment, or JSON whitespace) goes out every
 * keepalive period while idle, which is also how a client that went away is noticed. A
 * stream is counted with the SSE streams (max_sse). Refcounted: the creator holds one
 * reference, the reply another. */
struct http_stream;

/* Return a new stream (one reference) whose backlog is capped at max_bytes. keepalive is the
 * text sent while idle (copied; NULL: none). */
struct http_stream *http_stream_new(size_t max_bytes, const char *keepalive);
/* Drop one reference; NULL is fine. */
void http_stream_unref(struct http_stream *st);
/* Reply 200 with st as the body (content_type; the reply takes its own reference). Replies 503
 * when too many streams are open (the stream is then closed). */
void http_reply_stream(struct http_resp *resp,
                       struct http_req *req,
                       struct http_stream *st,
                       const char *content_type);
/* Append len bytes; ERR_UNAVAILABLE once the client went away or the server stops,
 * ERR_TOO_LARGE when the backlog would pass its cap. Thread-safe. */
enum err http_stream_write(struct http_stream *st, const char *data, size_t len);
/* Append one Server-Sent Event "event: type\ndata: data\n\n" (data must hold no newline, as
 * one-line JSON does) in a single write; the staging copy is wiped. Errors as above. */
enum err http_stream_write_event(struct http_stream *st, const char *type, const char *data);
/* End the body once what was written has been sent. Thread-safe; idempotent. */
void http_stream_close(struct http_stream *st);
/* Return true once the client went away or the server is stopping. */
bool http_stream_is_gone(struct http_stream *st);

/* ---- bearer tokens, shared by the API and the MCP endpoint ---- */

/* Check a token (NUL-terminated) against the store: set *is_valid; ERR_* on failure. */
typedef enum err
http_token_verify_fn(void *ctx, const char *token, bool *is_valid, struct errbuf *eb);

#define HTTP_TOKEN_CACHE_SLOTS 64
#define HTTP_TOKEN_CACHE_MS    5000

/* Token checks with a small cache of positive answers keyed by the token's SHA-256 (the
 * token itself is never kept). Fields are private; use the API. */
struct http_token_auth {
    pthread_mutex_t mu;
    struct {
        char sha256[65];    /* hex of the token; empty when free */
        int64_t expires_ms; /* monotonic */
    } cache[HTTP_TOKEN_CACHE_SLOTS];
    size_t next;
    http_token_verify_fn *verify;
    void *ctx;
};

/* Set up a (caller-owned storage) with its verifier. */
void http_token_auth_init(struct http_token_auth *a, http_token_verify_fn *verify, void *ctx);
/* Release a's mutex. */
void http_token_auth_fini(struct http_token_auth *a);
/* Check "Authorization: Bearer TOKEN" (or "Token TOKEN"); false after replying 401 (with
 * WWW-Authenticate: Bearer) or the verifier's error. A positive answer is cached for
 * HTTP_TOKEN_CACHE_MS, so a revoked token can live on for up to that long. */
bool http_token_auth_check(struct http_token_auth *a, struct http_req *req, struct http_resp *resp);

/* ---- small pure helpers ---- */

/* Parse a decimal integer in [min, max] (whole string); ERR_INVALID otherwise. */
enum err http_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Append s to b percent-encoded for a query value (unreserved bytes kept). */
void http_url_encode(struct buf *b, const char *s);
/* Return true when name is a safe relative path: 1..max_len bytes, no leading '/', no empty,
 * "." or ".." segment, no backslash or control byte. */
bool http_relpath_is_safe(const char *name, size_t max_len);
/* Decode %XX escapes of s in place, except %00, which stays literal text so that a decoded
 * NUL cannot cut a name short; returns the new length. */
size_t http_unescape(char *s);
