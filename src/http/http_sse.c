/* SPDX-License-Identifier: MIT */
/* http_sse.c -- Server-Sent Events over a suspended libmicrohttpd connection.
 *
 * The content reader never blocks: it sends what the subscription has, and when nothing
 * is pending it suspends the connection and returns 0. The event bus notify (any thread)
 * and a keepalive timer resume it. Notify callbacks point at a slot that lives as long as
 * the server, never at the stream, so a late notify after a stream ended is harmless.
 * Lock order: srv->sse_mu, then MHD's own locks (suspend/resume). */
#include "http/http.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "http/http_int.h"

#define SSE_EVENT_MAX_BYTES (256 * 1024)

struct sse_stream {
    struct http_server *srv;
    struct sse_slot *slot;
    struct MHD_Connection *conn;
    struct events_sub *sub;
    bool is_suspended;    /* guarded by srv->sse_mu */
    bool is_notified;     /* guarded: an event may have arrived since the last look */
    bool wants_keepalive; /* guarded */
    bool is_run_ended;    /* the run had ended when the stream opened */
    bool is_done;         /* the final run event went out: end after the buffer drains */
    char *end_data;
    struct buf out;
    size_t out_pos;
};

static bool is_final_status(const char *st)
{
    return st && (strcmp(st, "success") == 0 || strcmp(st, "partial") == 0 ||
                  strcmp(st, "failed") == 0 || strcmp(st, "cancelled") == 0);
}

static bool is_final_run_event(const char *type, const char *data)
{
    if (strcmp(type, "run") != 0)
        return false;
    json_t *j = json_loads(data, 0, NULL);
    bool is_final = j && is_final_status(json_string_value(json_object_get(j, "status")));
    json_decref(j);
    return is_final;
}

/* Append one event; data lines are split on newlines as SSE requires. */
static void put_event(struct buf *b, uint64_t seq, const char *type, const char *data)
{
    if (seq)
        buf_printf(b, "id: %llu\n", (unsigned long long)seq);
    buf_printf(b, "event: %s\n", type);
    const char *p = data;
    do {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        buf_puts(b, "data: ");
        buf_append(b, p, n);
        buf_puts(b, "\n");
        p = nl ? nl + 1 : NULL;
    } while (p);
    buf_puts(b, "\n");
}

/* Fill st->out with the next thing to send; false when there is nothing (caller suspends). */
static bool refill(struct sse_stream *st)
{
    struct events_item it;
    if (events_sub_next(st->sub, &it)) {
        put_event(&st->out, it.seq, it.type, it.data ? it.data : "null");
        if (is_final_run_event(it.type, it.data ? it.data : ""))
            st->is_done = true;
        events_item_fini(&it);
        return true;
    }
    if (st->is_run_ended) {
        put_event(&st->out, 0, "run", st->end_data ? st->end_data : "{}");
        st->is_done = true;
        return true;
    }
    return false;
}

static ssize_t copy_out(struct sse_stream *st, char *buf, size_t max)
{
    size_t left = buf_len(&st->out) - st->out_pos;
    size_t n = left < max ? left : max;
    memcpy(buf, buf_str(&st->out) + st->out_pos, n);
    st->out_pos += n;
    return (ssize_t)n;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct sse_stream *st = cls;
    struct http_server *s = st->srv;
    (void)pos;
    for (;;) {
        if (st->out_pos < buf_len(&st->out))
            return copy_out(st, buf, max);
        buf_reset(&st->out);
        st->out_pos = 0;
        if (st->is_done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (refill(st))
            continue;
        pthread_mutex_lock(&s->sse_mu);
        if (s->is_stopping) {
            pthread_mutex_unlock(&s->sse_mu);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (st->wants_keepalive || st->is_notified) {
            if (st->wants_keepalive)
                buf_puts(&st->out, ": keepalive\n\n");
            st->wants_keepalive = false;
            st->is_notified = false;
            pthread_mutex_unlock(&s->sse_mu);
            continue;
        }
        st->is_suspended = true;
        MHD_suspend_connection(st->conn);
        pthread_mutex_unlock(&s->sse_mu);
        return 0;
    }
}

/* Resume st if it is suspended; call with srv->sse_mu held. */
static void wake_locked(struct sse_stream *st)
{
    if (st->is_suspended) {
        st->is_suspended = false;
        MHD_resume_connection(st->conn);
    }
}

static void on_notify(void *ctx)
{
    struct sse_slot *slot = ctx;
    pthread_mutex_lock(&slot->srv->sse_mu);
    if (slot->stream) {
        slot->stream->is_notified = true;
        wake_locked(slot->stream);
    }
    pthread_mutex_unlock(&slot->srv->sse_mu);
}

static void stream_free(void *cls)
{
    struct sse_stream *st = cls;
    struct http_server *s = st->srv;
    pthread_mutex_lock(&s->sse_mu);
    st->slot->stream = NULL;
    s->n_sse--;
    pthread_mutex_unlock(&s->sse_mu);
    events_sub_set_notify(st->sub, NULL, NULL);
    events_unsubscribe(st->sub);
    buf_fini(&st->out);
    xfree(st->end_data);
    xfree(st);
}

/* Take a free slot for st; false when full or stopping. */
static bool slot_take(struct http_server *s, struct sse_stream *st)
{
    bool ok = false;
    pthread_mutex_lock(&s->sse_mu);
    for (size_t i = 0; !s->is_stopping && i < s->o.max_sse; i++) {
        if (!s->slots[i].stream) {
            s->slots[i].stream = st;
            st->slot = &s->slots[i];
            s->n_sse++;
            ok = true;
            break;
        }
    }
    pthread_mutex_unlock(&s->sse_mu);
    return ok;
}

bool http_sse_has_room(struct http_server *s)
{
    pthread_mutex_lock(&s->sse_mu);
    bool ok = !s->is_stopping && s->n_sse < s->o.max_sse;
    pthread_mutex_unlock(&s->sse_mu);
    return ok;
}

void http_reply_sse_take(struct http_resp *resp,
                         struct http_req *req,
                         struct events_sub *sub,
                         bool is_ended,
                         const char *end_data)
{
    struct http_server *s = req->srv;
    struct sse_stream *st = xcalloc(1, sizeof(*st));
    st->srv = s;
    st->conn = req->conn;
    st->sub = sub;
    st->is_run_ended = is_ended;
    st->end_data = xstrdup(end_data);
    buf_init(&st->out, SSE_EVENT_MAX_BYTES);
    if (!slot_take(s, st)) {
        events_unsubscribe(sub);
        buf_fini(&st->out);
        xfree(st->end_data);
        xfree(st);
        http_reply_error(resp, ERR_UNAVAILABLE, "Too many event streams; try again later.");
        return;
    }
    /* A first comment makes MHD send the headers before the stream goes idle. */
    buf_puts(&st->out, "retry: 3000\n: connected\n\n");
    events_sub_set_notify(sub, on_notify, st->slot);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, st, stream_free);
    if (!r)
        die("out of memory (MHD response)");
    MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    if (resp->mhd)
        MHD_destroy_response(resp->mhd);
    resp->status = 200;
    resp->mhd = r;
}

static void *timer_main(void *arg)
{
    struct http_server *s = arg;
    pthread_mutex_lock(&s->sse_mu);
    while (!s->is_stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += s->o.keepalive_ms / 1000;
        ts.tv_nsec += (long)(s->o.keepalive_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        int rc = pthread_cond_timedwait(&s->sse_cv, &s->sse_mu, &ts);
        if (s->is_stopping || rc != ETIMEDOUT)
            continue;
        for (size_t i = 0; i < s->o.max_sse; i++) {
            struct sse_stream *st = s->slots[i].stream;
            if (st) {
                st->wants_keepalive = true;
                wake_locked(st);
            }
        }
        http_stream_tick_locked(s);
    }
    pthread_mutex_unlock(&s->sse_mu);
    return NULL;
}

bool http_sse_init(struct http_server *s)
{
    pthread_mutex_init(&s->sse_mu, NULL);
    pthread_cond_init(&s->sse_cv, NULL);
    s->slots = xcalloc(s->o.max_sse, sizeof(*s->slots));
    for (size_t i = 0; i < s->o.max_sse; i++)
        s->slots[i].srv = s;
    s->has_timer = pthread_create(&s->timer, NULL, timer_main, s) == 0;
    if (!s->has_timer) {
        xfree(s->slots);
        pthread_cond_destroy(&s->sse_cv);
        pthread_mutex_destroy(&s->sse_mu);
    }
    return s->has_timer;
}

void http_sse_shutdown(struct http_server *s)
{
    pthread_mutex_lock(&s->sse_mu);
    s->is_stopping = true;
    for (size_t i = 0; i < s->o.max_sse; i++)
        if (s->slots[i].stream)
            wake_locked(s->slots[i].stream);
    http_stream_shutdown_locked(s);
    pthread_cond_broadcast(&s->sse_cv);
    pthread_mutex_unlock(&s->sse_mu);
    if (s->has_timer) {
        pthread_join(s->timer, NULL);
        s->has_timer = false;
    }
}

void http_sse_fini(struct http_server *s)
{
    xfree(s->slots);
    pthread_cond_destroy(&s->sse_cv);
    pthread_mutex_destroy(&s->sse_mu);
}
