/* SPDX-License-Identifier: MIT */
/* http_int.h -- private declarations shared by the http_*.c files, and TESTABLE helpers. */
#pragma once

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "http/http.h"

#ifdef TESTABLE_EXTERN
#define TESTABLE
#else
#define TESTABLE static
#endif

#define HTTP_JSON_TYPE "application/json; charset=utf-8"

struct http_resp {
    int status;
    struct MHD_Response *mhd;         /* NULL until a reply was set */
    const struct redact_opts *redact; /* the server's (error details); NULL: masks */
};

/* What a pattern captured from a path. */
struct http_match {
    int64_t ids[HTTP_MAX_IDS];
    size_t n_ids;
    const char *tail; /* start of the {name...} capture in path, or NULL */
    size_t tail_len;
};

struct sse_stream;

/* A fixed slot an SSE subscription's notify points at; slots live as long as the server. */
struct sse_slot {
    struct http_server *srv;
    struct sse_stream *stream; /* NULL when free; guarded by srv->sse_mu */
};

struct http_server {
    struct MHD_Daemon *d;
    struct http_server_opts o;
    _Atomic uint64_t by_class[6];
    pthread_mutex_t sse_mu;
    pthread_cond_t sse_cv;
    struct sse_slot *slots;      /* o.max_sse of them */
    struct http_stream *streams; /* message streams (http_stream.c), counted in n_sse */
    size_t n_sse;
    bool is_stopping;
    bool has_timer;
    pthread_t timer;
};

/* Return true when path matches pattern (trailing slashes ignored); fills *m. */
TESTABLE bool http_route_match(const char *pattern, const char *path, struct http_match *m);
/* Find the route for method and path; NULL with *allow = methods the path takes (0: none). */
TESTABLE const struct http_route *http_router_find(const struct http_route *routes,
                                                   size_t n,
                                                   enum http_method method,
                                                   const char *path,
                                                   struct http_match *m,
                                                   unsigned *allow);
/* Map a method string to its enum (HTTP_OTHER when unknown). */
TESTABLE enum http_method http_method_parse(const char *s);
/* Write "GET, POST" for the methods in mask into out (cap out_cap). */
TESTABLE void http_allow_format(unsigned mask, char *out, size_t out_cap);

/* Dispatch one complete request (router + auth + handler) into resp. */
void http_router_dispatch(struct http_server *s, struct http_req *req, struct http_resp *resp);
/* Start the SSE keepalive timer; false on failure. */
bool http_sse_init(struct http_server *s);
/* End every SSE stream and stop the timer (before MHD_stop_daemon). */
void http_sse_shutdown(struct http_server *s);
/* Ask every message stream for a keepalive; call with s->sse_mu held. */
void http_stream_tick_locked(struct http_server *s);
/* Mark every message stream gone and wake it; call with s->sse_mu held. */
void http_stream_shutdown_locked(struct http_server *s);
/* Free the SSE slots (after MHD_stop_daemon). */
void http_sse_fini(struct http_server *s);
