/* SPDX-License-Identifier: MIT */
/* http_stream.c -- a reply body written later by any thread (a message queue over a suspended
 * libmicrohttpd connection).
 *
 * Like http_sse.c, the content reader never blocks: with nothing queued it suspends the
 * connection and returns 0; a write, the keepalive timer or shutdown resumes it. The stream
 * has its own mutex for its queue and flags; the server's sse_mu guards the list of streams.
 * Lock order: srv->sse_mu, then st->mu, then MHD's own locks. Once the reply is freed the
 * stream is detached (gone): writes fail and the producer stops. */
#include "http/http.h"

#include <stdatomic.h>
#include <string.h>

#include "core/xalloc.h"
#include "http/http_int.h"

struct http_stream {
    _Atomic int refs;
    pthread_mutex_t mu;
    struct buf out; /* queued bytes; out_pos of them sent */
    size_t out_pos;
    char *keepalive;
    struct MHD_Connection *conn; /* NULL before the reply and after it ended */
    struct http_server *srv;     /* NULL when not listed */
    struct http_stream *next;    /* in srv->streams; guarded by srv->sse_mu */
    bool is_suspended;
    bool wants_keepalive;
    bool is_closed; /* no more writes: end after the queue drains */
    bool is_gone;   /* the client went away or the server stops */
};

struct http_stream *http_stream_new(size_t max_bytes, const char *keepalive)
{
    struct http_stream *st = xcalloc(1, sizeof(*st));
    atomic_init(&st->refs, 1);
    pthread_mutex_init(&st->mu, NULL);
    buf_init(&st->out, max_bytes);
    st->keepalive = keepalive ? xstrdup(keepalive) : NULL;
    return st;
}

void http_stream_unref(struct http_stream *st)
{
    if (!st || atomic_fetch_sub(&st->refs, 1) != 1)
        return;
    pthread_mutex_destroy(&st->mu);
    buf_wipe(&st->out); /* it may have carried text that must not linger (an explanation) */
    buf_fini(&st->out);
    xfree(st->keepalive);
    xfree(st);
}

/* Resume the connection if it is suspended; call with st->mu held. */
static void wake_locked(struct http_stream *st)
{
    if (st->is_suspended && st->conn) {
        st->is_suspended = false;
        MHD_resume_connection(st->conn);
    }
}

enum err http_stream_write(struct http_stream *st, const char *data, size_t len)
{
    enum err e = ERR_OK;
    pthread_mutex_lock(&st->mu);
    if (st->is_gone || st->is_closed) {
        e = ERR_UNAVAILABLE;
    } else {
        if (st->out_pos == buf_len(&st->out)) {
            buf_wipe(&st->out);
            st->out_pos = 0;
        }
        e = buf_append(&st->out, data, len);
        wake_locked(st);
    }
    pthread_mutex_unlock(&st->mu);
    return e;
}

enum err http_stream_write_event(struct http_stream *st, const char *type, const char *data)
{
    struct buf b;
    buf_init(&b, strlen(type) + strlen(data) + 16);
    enum err e = buf_printf(&b, "event: %s\ndata: %s\n\n", type, data);
    if (e == ERR_OK)
        e = http_stream_write(st, buf_str(&b), buf_len(&b));
    buf_wipe(&b);
    buf_fini(&b);
    return e;
}

void http_stream_close(struct http_stream *st)
{
    pthread_mutex_lock(&st->mu);
    st->is_closed = true;
    wake_locked(st);
    pthread_mutex_unlock(&st->mu);
}

bool http_stream_is_gone(struct http_stream *st)
{
    pthread_mutex_lock(&st->mu);
    bool gone = st->is_gone;
    pthread_mutex_unlock(&st->mu);
    return gone;
}

static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
    struct http_stream *st = cls;
    ssize_t n = 0;
    (void)pos;
    pthread_mutex_lock(&st->mu);
    size_t left = buf_len(&st->out) - st->out_pos;
    if (left == 0 && st->wants_keepalive && st->keepalive && !st->is_closed && !st->is_gone) {
        buf_wipe(&st->out);
        st->out_pos = 0;
        buf_puts(&st->out, st->keepalive);
        left = buf_len(&st->out);
    }
    st->wants_keepalive = false;
    if (left) {
        n = (ssize_t)(left < max ? left : max);
        memcpy(out, buf_str(&st->out) + st->out_pos, (size_t)n);
        st->out_pos += (size_t)n;
    } else if (st->is_closed || st->is_gone) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        st->is_suspended = true;
        MHD_suspend_connection(st->conn);
    }
    pthread_mutex_unlock(&st->mu);
    return n;
}

static void on_free(void *cls)
{
    struct http_stream *st = cls;
    struct http_server *s = st->srv;
    if (s) {
        pthread_mutex_lock(&s->sse_mu);
        for (struct http_stream **pp = &s->streams; *pp; pp = &(*pp)->next) {
            if (*pp == st) {
                *pp = st->next;
                break;
            }
        }
        s->n_sse--;
        pthread_mutex_unlock(&s->sse_mu);
    }
    pthread_mutex_lock(&st->mu);
    st->is_gone = true;
    st->conn = NULL;
    st->srv = NULL;
    pthread_mutex_unlock(&st->mu);
    http_stream_unref(st);
}

void http_reply_stream(struct http_resp *resp,
                       struct http_req *req,
                       struct http_stream *st,
                       const char *content_type)
{
    struct http_server *s = req->srv;
    pthread_mutex_lock(&s->sse_mu);
    bool ok = !s->is_stopping && s->n_sse < s->o.max_sse;
    if (ok) {
        s->n_sse++;
        pthread_mutex_lock(&st->mu);
        st->conn = req->conn;
        st->srv = s;
        pthread_mutex_unlock(&st->mu);
        st->next = s->streams;
        s->streams = st;
    }
    pthread_mutex_unlock(&s->sse_mu);
    if (!ok) {
        pthread_mutex_lock(&st->mu);
        st->is_gone = true;
        pthread_mutex_unlock(&st->mu);
        http_reply_error(resp, ERR_UNAVAILABLE, "Too many open streams; try again later.");
        return;
    }
    atomic_fetch_add(&st->refs, 1);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, st, on_free);
    if (!r)
        die("out of memory (MHD response)");
    MHD_add_response_header(r, "Content-Type", content_type);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    if (resp->mhd)
        MHD_destroy_response(resp->mhd);
    resp->status = 200;
    resp->mhd = r;
}

void http_stream_tick_locked(struct http_server *s)
{
    for (struct http_stream *st = s->streams; st; st = st->next) {
        pthread_mutex_lock(&st->mu);
        st->wants_keepalive = true;
        wake_locked(st);
        pthread_mutex_unlock(&st->mu);
    }
}

void http_stream_shutdown_locked(struct http_server *s)
{
    for (struct http_stream *st = s->streams; st; st = st->next) {
        pthread_mutex_lock(&st->mu);
        st->is_gone = true;
        wake_locked(st);
        pthread_mutex_unlock(&st->mu);
    }
}
