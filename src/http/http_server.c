/* SPDX-License-Identifier: MIT */
/* http_server.c -- the libmicrohttpd daemon: start/stop, body accumulation, dispatch.
 *
 * MHD calls the access handler several times per request: the first call only allocates
 * the per-request state, the middle ones hand over body bytes (kept up to the cap), and
 * the last one (no more data) dispatches and queues the response. Queuing on the first
 * call would cost keep-alive, so only an announced oversize body is answered early. */
#include "http/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "http/http_int.h"

#define HEADER_MEMORY_BYTES (64 * 1024)

struct conn_state {
    struct buf body;
    bool is_too_large;
    uint64_t received; /* body bytes seen, including discarded ones */
};

static void count_status(struct http_server *s, int status)
{
    int cls = status / 100;
    if (cls >= 1 && cls <= 5)
        atomic_fetch_add(&s->by_class[cls], 1);
}

static enum MHD_Result
queue(struct http_server *s, struct MHD_Connection *conn, struct http_resp *resp)
{
    count_status(s, resp->status);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, resp->mhd);
    MHD_destroy_response(resp->mhd);
    return ret;
}

static enum MHD_Result reply_too_large(struct http_server *s, struct MHD_Connection *conn)
{
    struct http_resp resp = {.redact = s->o.redact};
    char detail[96];
    snprintf(detail, sizeof(detail), "Request body is larger than %lld bytes.",
             (long long)s->o.max_body_bytes);
    http_reply_error(&resp, ERR_TOO_LARGE, detail);
    return queue(s, conn, &resp);
}

/* First call: allocate the state; answer 413 at once when Content-Length is over the cap. */
static enum MHD_Result on_first(struct http_server *s, struct MHD_Connection *conn, void **con_cls)
{
    struct conn_state *cs = xcalloc(1, sizeof(*cs));
    buf_init(&cs->body, (size_t)s->o.max_body_bytes);
    *con_cls = cs;
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    int64_t n = 0;
    if (cl && http_parse_int64(cl, 0, INT64_MAX, &n) == ERR_OK && n > s->o.max_body_bytes) {
        cs->is_too_large = true;
        return reply_too_large(s, conn);
    }
    return MHD_YES;
}

static enum MHD_Result
on_upload(struct http_server *s, struct conn_state *cs, const char *data, size_t *size)
{
    cs->received += *size;
    if (!cs->is_too_large && buf_append(&cs->body, data, *size) != ERR_OK) {
        cs->is_too_large = true;
        buf_fini(&cs->body);
        buf_init(&cs->body, 0);
    }
    *size = 0;
    /* A client that keeps sending far past the cap is cut off. */
    if (cs->is_too_large && cs->received > 4 * (uint64_t)s->o.max_body_bytes + 65536)
        return MHD_NO;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls,
                                  struct MHD_Connection *conn,
                                  const char *url,
                                  const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *s = cls;
    struct conn_state *cs = *con_cls;
    (void)version;
    if (!cs)
        return on_first(s, conn, con_cls);
    if (*upload_data_size)
        return on_upload(s, cs, upload_data, upload_data_size);
    if (cs->is_too_large)
        return reply_too_large(s, conn);
    struct http_req req = {
        .method = http_method_parse(method),
        .path = url,
        .body = buf_str(&cs->body),
        .body_len = buf_len(&cs->body),
        .conn = conn,
        .srv = s,
    };
    struct http_resp resp = {.redact = s->o.redact};
    http_router_dispatch(s, &req, &resp);
    xfree(req.tail);
    /* The path may hold what a client typed: the log sink redacts it (DEBUG_REDACTED_MODE). */
    log_debug("http", "event=request method=%s path=\"%.200s\" status=%d", method, url,
              resp.status);
    return queue(s, conn, &resp);
}

static void on_completed(void *cls,
                         struct MHD_Connection *conn,
                         void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn_state *cs = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (!cs)
        return;
    buf_fini(&cs->body);
    xfree(cs);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[256];
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_warn("http", "event=mhd msg=\"%s\"", msg);
}

/* Fill *ss from an IPv4 or IPv6 literal and port; false when addr is not one. */
static bool make_addr(const char *addr, int port, struct sockaddr_storage *ss, bool *is_v6)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *in = (struct sockaddr_in *)(void *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)ss;
    if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        *is_v6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *is_v6 = true;
        return true;
    }
    return false;
}

static size_t on_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return http_unescape(s);
}

static struct MHD_Daemon *
start_daemon(struct http_server *s, unsigned flags, struct sockaddr_storage *ss)
{
    /* One thread: MHD's own epoll thread, no pool (a pool size option would only warn). */
    struct MHD_OptionItem pool[] = {
        {MHD_OPTION_THREAD_POOL_SIZE, s->o.threads > 1 ? s->o.threads : 0, NULL},
        {MHD_OPTION_END, 0, NULL}};
    if (s->o.threads <= 1)
        pool[0].option = MHD_OPTION_END;
    /* The logger must be the first option or MHD logs to stderr before it is set. */
    return MHD_start_daemon(flags, (uint16_t)s->o.port, NULL, NULL, on_request, s,
                            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, MHD_OPTION_SOCK_ADDR, ss,
                            MHD_OPTION_ARRAY, pool, MHD_OPTION_CONNECTION_LIMIT,
                            s->o.max_connections, MHD_OPTION_CONNECTION_TIMEOUT, s->o.timeout_s,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY_BYTES,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, NULL, MHD_OPTION_END);
}

static void opts_defaults(struct http_server_opts *o)
{
    if (o->max_connections == 0)
        o->max_connections = 1024;
    if (o->timeout_s == 0)
        o->timeout_s = 30;
    if (o->max_sse == 0)
        o->max_sse = 256;
    if (o->keepalive_ms <= 0)
        o->keepalive_ms = 15000;
    if (o->max_body_bytes <= 0)
        o->max_body_bytes = 1024 * 1024;
}

enum err http_server_start(const struct http_server_opts *opts,
                           struct http_server **out,
                           int *bound_port,
                           struct errbuf *eb)
{
    struct sockaddr_storage ss;
    bool is_v6 = false;
    *out = NULL;
    if (!make_addr(opts->bind_addr, opts->port, &ss, &is_v6))
        return errbuf_set(eb, ERR_INVALID, "bind address '%.64s' is not an IP literal",
                          opts->bind_addr);
    struct http_server *s = xcalloc(1, sizeof(*s));
    s->o = *opts;
    opts_defaults(&s->o);
    if (!http_sse_init(s)) {
        xfree(s);
        return errbuf_set(eb, ERR_INTERNAL, "cannot start the SSE timer");
    }
    unsigned extra = MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | (is_v6 ? MHD_USE_IPv6 : 0);
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
        s->d = start_daemon(s, MHD_USE_EPOLL_INTERNAL_THREAD | extra, &ss);
    if (!s->d)
        s->d = start_daemon(s, MHD_USE_INTERNAL_POLLING_THREAD | extra, &ss);
    if (!s->d) {
        http_sse_shutdown(s);
        http_sse_fini(s);
        xfree(s);
        return errbuf_set(eb, ERR_IO, "cannot listen on %.64s port %d", opts->bind_addr,
                          opts->port);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    *bound_port = di ? (int)di->port : opts->port;
    log_info("http", "event=listen addr=%s port=%d threads=%d", opts->bind_addr, *bound_port,
             s->o.threads);
    *out = s;
    return ERR_OK;
}

void http_server_stop(struct http_server *s)
{
    if (!s)
        return;
    http_sse_shutdown(s);
    MHD_stop_daemon(s->d);
    http_sse_fini(s);
    xfree(s);
}

void http_server_stats_get(struct http_server *s, struct http_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 1; i <= 5; i++)
        out->by_class[i] = atomic_load(&s->by_class[i]);
    pthread_mutex_lock(&s->sse_mu);
    out->sse_open = s->n_sse;
    pthread_mutex_unlock(&s->sse_mu);
}
