/* SPDX-License-Identifier: MIT */
/* mcp_http.c -- Streamable HTTP on /mcp: header rules, sessions, JSON or SSE answers, and
 * tool calls on their own threads.
 *
 * POST carries one JSON-RPC message. 2025-era requests need the Mcp-Session-Id issued by
 * initialize (400 without, 404 when unknown or ended); a request whose _meta names a protocol
 * version is 2026-07-28 (stateless: no session, the routing headers must match the body).
 * Notifications and responses get 202. Answers are application/json, except a tools/call
 * with a progressToken from a client that accepts text/event-stream, which gets an SSE
 * stream: progress notifications, then the response. Such a call, and any MCP_TOOL_LONG
 * one, runs on its own thread writing into an http_stream, so no pool thread waits on it. */
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "mcp/mcp_rpc.h"

#define STREAM_MAX_BYTES (8 * 1024 * 1024) /* backlog of one answer stream */

/* One tool call: the hooks the tool sees, and where its answer goes. */
struct mcp_job {
    struct mcp_call call; /* first: the tool's hooks get &job->call */
    struct mcp_server *m;
    struct mcp_rpc rpc;
    json_t *msg;            /* owned copy of the request */
    struct http_stream *st; /* NULL: answered in the handler */
    bool is_sse;
    double last_progress;
    char sid[MCP_SESSION_ID_LEN];
    char *id_text; /* the request id as JSON text, for notifications/cancelled */
    _Atomic bool is_cancelled;
    struct mcp_job *next; /* in m->jobs; guarded by m->mu */
};

static void reply_error(struct http_resp *resp, int status, int code, const char *msg, json_t *data)
{
    http_reply_json(resp, status, mcp_rpc_error_new(NULL, code, msg, data));
}

/* ---- Accept ---- */

/* Read Accept into *json and *sse; false when it names neither (406). */
static bool accept_parse(const struct http_req *req, bool *json, bool *sse)
{
    const char *a = http_req_header(req, "Accept");
    *json = !a;
    *sse = false;
    for (const char *p = a; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",;");
        if ((len == 16 && strncasecmp(p, "application/json", 16) == 0) ||
            (len == 13 && strncasecmp(p, "application/*", 13) == 0))
            *json = true;
        if ((len == 17 && strncasecmp(p, "text/event-stream", 17) == 0) ||
            (len == 6 && strncasecmp(p, "text/*", 6) == 0))
            *sse = true;
        if (len == 3 && strncmp(p, "*/*", 3) == 0)
            *json = *sse = true;
        p += strcspn(p, ",");
    }
    return *json || *sse;
}

/* ---- the call hooks ---- */

static void job_write_message(struct mcp_job *j, json_t *msg)
{
    char *text = jsonx_dumps(msg);
    json_decref(msg);
    if (j->is_sse) {
        (void)http_stream_write_event(j->st, "message", text);
    } else {
        (void)http_stream_write(j->st, text, strlen(text));
    }
    xfree(text);
}

static void on_progress(struct mcp_call *c, double progress, double total, const char *message)
{
    struct mcp_job *j = (struct mcp_job *)(void *)c;
    const json_t *token = mcp_rpc_progress_token(j->msg);
    if (!j->st || !j->is_sse || !token || progress <= j->last_progress)
        return;
    j->last_progress = progress;
    json_t *p = json_pack("{s:O, s:f}", "progressToken", token, "progress", progress);
    if (total > 0)
        json_object_set_new(p, "total", json_real(total));
    if (message)
        json_object_set_new(p, "message", json_string(message));
    job_write_message(j, json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0", "method",
                                   "notifications/progress", "params", p));
}

static bool on_is_cancelled(struct mcp_call *c)
{
    struct mcp_job *j = (struct mcp_job *)(void *)c;
    if (atomic_load(&j->is_cancelled) || (j->st && http_stream_is_gone(j->st)))
        return true;
    pthread_mutex_lock(&j->m->mu);
    bool stopping = j->m->is_stopping;
    pthread_mutex_unlock(&j->m->mu);
    return stopping;
}

static struct mcp_job *
job_new(struct mcp_server *m, const json_t *msg, bool is_modern, const char *sid)
{
    struct mcp_job *j = xcalloc(1, sizeof(*j));
    j->m = m;
    j->rpc = (struct mcp_rpc){.be = &m->be,
                              .env = &m->env,
                              .is_read_only = m->env.cfg->is_mcp_read_only,
                              .is_modern = is_modern};
    j->call = (struct mcp_call){
        .env = &m->env, .progress = on_progress, .is_cancelled = on_is_cancelled, .transport = j};
    j->msg = json_deep_copy(msg);
    j->last_progress = -1e300;
    j->id_text = jsonx_dumps(json_object_get(msg, "id"));
    snprintf(j->sid, sizeof(j->sid), "%s", sid ? sid : "");
    atomic_init(&j->is_cancelled, false);
    pthread_mutex_lock(&m->mu);
    j->next = m->jobs;
    m->jobs = j;
    pthread_mutex_unlock(&m->mu);
    return j;
}

static void job_free(struct mcp_job *j)
{
    struct mcp_server *m = j->m;
    pthread_mutex_lock(&m->mu);
    for (struct mcp_job **pp = &m->jobs; *pp; pp = &(*pp)->next) {
        if (*pp == j) {
            *pp = j->next;
            break;
        }
    }
    pthread_mutex_unlock(&m->mu);
    json_decref(j->msg);
    xfree(j->id_text);
    http_stream_unref(j->st);
    xfree(j);
}

/* notifications/cancelled: flag the call of this session with that request id. */
static void cancel_request(struct mcp_server *m, const char *sid, const json_t *msg)
{
    const json_t *rid = json_object_get(json_object_get(msg, "params"), "requestId");
    if (!rid)
        return;
    char *text = jsonx_dumps(rid);
    pthread_mutex_lock(&m->mu);
    for (struct mcp_job *j = m->jobs; j; j = j->next)
        if (strcmp(j->sid, sid ? sid : "") == 0 && strcmp(j->id_text, text) == 0)
            atomic_store(&j->is_cancelled, true);
    pthread_mutex_unlock(&m->mu);
    xfree(text);
}

static void *job_main(void *arg)
{
    struct mcp_job *j = arg;
    struct mcp_server *m = j->m;
    job_write_message(j, mcp_rpc_answer(&j->rpc, j->msg, &j->call));
    http_stream_close(j->st);
    job_free(j);
    pthread_mutex_lock(&m->mu);
    m->n_threads--;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* Take a thread slot; false when too many calls run or the server stops. */
static bool thread_slot_take(struct mcp_server *m)
{
    pthread_mutex_lock(&m->mu);
    bool ok = !m->is_stopping && m->n_threads < m->max_threads;
    if (ok)
        m->n_threads++;
    pthread_mutex_unlock(&m->mu);
    return ok;
}

static void thread_slot_give(struct mcp_server *m)
{
    pthread_mutex_lock(&m->mu);
    m->n_threads--;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

/* Answer a request: in the handler, or (a tools/call that streams progress, or a long
 * one) on a thread of its own feeding a stream. */
static void answer(struct mcp_server *m,
                   struct http_req *req,
                   struct http_resp *resp,
                   const json_t *msg,
                   bool is_modern,
                   const char *sid,
                   bool accepts_sse)
{
    struct mcp_job *j = job_new(m, msg, is_modern, sid);
    const char *method = jsonx_get_str(msg, "method");
    const struct mcp_tool *t =
        strcmp(method, "tools/call") == 0
            ? mcp_rpc_tool_find(&j->rpc, jsonx_get_str(json_object_get(msg, "params"), "name"))
            : NULL;
    bool is_sse = t && accepts_sse && mcp_rpc_progress_token(msg);
    bool is_long = t && (t->flags & MCP_TOOL_LONG);
    if ((is_sse || is_long) && thread_slot_take(m)) {
        j->is_sse = is_sse;
        j->st = http_stream_new(STREAM_MAX_BYTES, is_sse ? ": keepalive\n\n" : " ");
        http_reply_stream(resp, req, j->st,
                          is_sse ? "text/event-stream" : "application/json; charset=utf-8");
        /* Something to send at once, so the headers go out before the tool has news. */
        const char *first = is_sse ? ": call\n\n" : " ";
        (void)http_stream_write(j->st, first, strlen(first));
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&th, &attr, job_main, j);
        pthread_attr_destroy(&attr);
        if (rc == 0)
            return;
        thread_slot_give(m);
        job_write_message(j, mcp_rpc_answer(&j->rpc, j->msg, &j->call));
        http_stream_close(j->st);
        job_free(j);
        return;
    }
    /* A long call never waits on a pool thread: past the thread cap it is refused. */
    json_t *r =
        is_long
            ? mcp_rpc_error_new(
                  json_object_get(msg, "id"), MCP_RPC_SERVER,
                  "The server is busy (too many tool calls) or stopping; try again later.", NULL)
            : mcp_rpc_answer(&j->rpc, msg, &j->call);
    job_free(j);
    http_reply_json(resp, 200, r);
}

static void reply_accepted(struct http_resp *resp)
{
    http_reply_text(resp, 202, "text/plain; charset=utf-8", "", 0);
}

/* The routing headers, when sent, must say what the body says. */
static bool headers_match(const struct http_req *req, const json_t *msg, struct http_resp *resp)
{
    const char *hm = http_req_header(req, "Mcp-Method");
    const char *method = jsonx_get_str(msg, "method");
    if (hm && method && strcmp(hm, method) != 0) {
        reply_error(resp, 400, MCP_RPC_HEADER_MISMATCH,
                    "The Mcp-Method header does not match the body's method.", NULL);
        return false;
    }
    const char *hn = http_req_header(req, "Mcp-Name");
    const char *name = mcp_rpc_name_of(msg);
    if (hn && name) {
        char *dec = mcp_header_decode(hn);
        bool same = dec && strcmp(dec, name) == 0;
        xfree(dec);
        if (!same) {
            reply_error(resp, 400, MCP_RPC_HEADER_MISMATCH,
                        "The Mcp-Name header does not match the body.", NULL);
            return false;
        }
    }
    return true;
}

static json_t *supported_data(const char *requested)
{
    json_t *d = json_pack("{s:[s,s,s,s]}", "supported", MCP_VERSION_MODERN, "2025-11-25",
                          "2025-06-18", "2025-03-26");
    if (requested)
        json_object_set_new(d, "requested", json_string(requested));
    return d;
}

/* 2026-07-28: no session; the envelope and the routing headers are checked. */
static void post_modern(struct mcp_server *m,
                        struct http_req *req,
                        struct http_resp *resp,
                        const json_t *msg,
                        enum mcp_msg_kind kind,
                        bool accepts_sse)
{
    const char *why = NULL;
    if (kind != MCP_MSG_REQUEST) {
        if (kind == MCP_MSG_NOTIFICATION &&
            strcmp(jsonx_get_str(msg, "method"), "notifications/cancelled") == 0)
            cancel_request(m, "", msg);
        reply_accepted(resp);
        return;
    }
    int code = mcp_rpc_envelope_check(msg, &why);
    const char *v =
        jsonx_get_str(json_object_get(json_object_get(msg, "params"), "_meta"), MCP_META_VERSION);
    if (code) {
        reply_error(resp, 400, code, why,
                    code == MCP_RPC_UNSUPPORTED_VERSION ? supported_data(v) : NULL);
        return;
    }
    const char *hv = http_req_header(req, "MCP-Protocol-Version");
    if (hv && strcmp(hv, v) != 0) {
        reply_error(resp, 400, MCP_RPC_HEADER_MISMATCH,
                    "The MCP-Protocol-Version header does not match _meta.", NULL);
        return;
    }
    if (!http_req_header(req, "Mcp-Method") ||
        (mcp_rpc_name_of(msg) && !http_req_header(req, "Mcp-Name"))) {
        reply_error(resp, 400, MCP_RPC_HEADER_MISMATCH,
                    "A 2026-07-28 request needs the Mcp-Method (and Mcp-Name) headers.", NULL);
        return;
    }
    answer(m, req, resp, msg, true, NULL, accepts_sse);
}

static void post_initialize(struct mcp_server *m,
                            struct http_req *req,
                            struct http_resp *resp,
                            const json_t *msg)
{
    struct mcp_rpc r = {.be = &m->be, .env = &m->env, .is_read_only = true};
    struct mcp_call none = {.env = &m->env};
    json_t *ans = mcp_rpc_answer(&r, msg, &none);
    const char *v = jsonx_get_str(json_object_get(ans, "result"), "protocolVersion");
    char sid[MCP_SESSION_ID_LEN];
    if (mcp_sessions_open(m->sessions, v ? v : MCP_VERSION_LATEST,
                          http_req_header(req, "Authorization"), sid) != ERR_OK) {
        json_decref(ans);
        reply_error(resp, 503, MCP_RPC_INTERNAL, "Cannot open a session now.", NULL);
        return;
    }
    log_info("mcp", "event=session.open version=%s sessions=%zu", v ? v : "?",
             mcp_sessions_count(m->sessions));
    http_reply_json(resp, 200, ans);
    http_resp_header_add(resp, "Mcp-Session-Id", sid);
}

/* 2025 era: initialize opens a session; everything else needs one. */
static void post_legacy(struct mcp_server *m,
                        struct http_req *req,
                        struct http_resp *resp,
                        const json_t *msg,
                        enum mcp_msg_kind kind,
                        bool accepts_sse)
{
    const char *hv = http_req_header(req, "MCP-Protocol-Version");
    const char *method = jsonx_get_str(msg, "method");
    if (hv && !mcp_version_is_supported(hv)) {
        bool modern = strcmp(hv, MCP_VERSION_MODERN) == 0;
        reply_error(resp, 400, modern ? MCP_RPC_INVALID_PARAMS : MCP_RPC_INVALID_REQUEST,
                    modern ? "A 2026-07-28 request needs the _meta envelope."
                           : "Unsupported MCP-Protocol-Version.",
                    modern ? NULL : supported_data(hv));
        return;
    }
    if (kind == MCP_MSG_REQUEST && strcmp(method, "initialize") == 0) {
        post_initialize(m, req, resp, msg);
        return;
    }
    if (kind == MCP_MSG_REQUEST && strcmp(method, "server/discover") == 0) {
        answer(m, req, resp, msg, false, NULL, false);
        return;
    }
    const char *sid = http_req_header(req, "Mcp-Session-Id");
    if (!sid) {
        reply_error(resp, 400, MCP_RPC_SERVER, "Bad Request: Mcp-Session-Id header is required.",
                    NULL);
        return;
    }
    if (mcp_sessions_touch(m->sessions, sid, http_req_header(req, "Authorization")) != ERR_OK) {
        reply_error(resp, 404, -32001, "Session not found.", NULL);
        return;
    }
    if (kind != MCP_MSG_REQUEST) {
        if (kind == MCP_MSG_NOTIFICATION && strcmp(method, "notifications/cancelled") == 0)
            cancel_request(m, sid, msg);
        reply_accepted(resp);
        return;
    }
    answer(m, req, resp, msg, false, sid, accepts_sse);
}

void mcp_http_post(void *app, struct http_req *req, struct http_resp *resp)
{
    struct mcp_server *m = app;
    json_t *msg = NULL;
    struct errbuf eb = {{0}};
    bool json_ok = false, sse_ok = false;
    enum err e =
        jsonx_parse(req->body, req->body_len, (size_t)m->env.cfg->max_body_bytes, &msg, &eb);
    if (e != ERR_OK) {
        reply_error(resp, e == ERR_TOO_LARGE ? 413 : 400,
                    e == ERR_PARSE ? MCP_RPC_PARSE : MCP_RPC_INVALID_REQUEST, errbuf_get(&eb, e),
                    NULL);
        return;
    }
    enum mcp_msg_kind kind = mcp_rpc_classify(msg);
    if (json_is_array(msg))
        reply_error(resp, 400, MCP_RPC_INVALID_REQUEST,
                    "JSON-RPC batches are not supported: send one message per request.", NULL);
    else if (kind == MCP_MSG_INVALID)
        reply_error(resp, 400, MCP_RPC_INVALID_REQUEST, "Not a JSON-RPC 2.0 message.", NULL);
    else if (!accept_parse(req, &json_ok, &sse_ok) || !json_ok)
        reply_error(resp, 406, MCP_RPC_SERVER,
                    "Not Acceptable: Accept must include application/json.", NULL);
    else if (!headers_match(req, msg, resp))
        ;
    else if (mcp_rpc_is_modern(msg))
        post_modern(m, req, resp, msg, kind, sse_ok);
    else
        post_legacy(m, req, resp, msg, kind, sse_ok);
    json_decref(msg);
}

void mcp_http_delete(void *app, struct http_req *req, struct http_resp *resp)
{
    struct mcp_server *m = app;
    const char *sid = http_req_header(req, "Mcp-Session-Id");
    if (!sid) {
        reply_error(resp, 400, MCP_RPC_SERVER, "Bad Request: Mcp-Session-Id header is required.",
                    NULL);
        return;
    }
    if (mcp_sessions_end(m->sessions, sid, http_req_header(req, "Authorization")) != ERR_OK) {
        reply_error(resp, 404, -32001, "Session not found.", NULL);
        return;
    }
    pthread_mutex_lock(&m->mu);
    for (struct mcp_job *j = m->jobs; j; j = j->next)
        if (strcmp(j->sid, sid) == 0)
            atomic_store(&j->is_cancelled, true);
    pthread_mutex_unlock(&m->mu);
    http_reply_no_content(resp);
}

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

char *mcp_header_decode(const char *v)
{
    size_t n = strlen(v);
    if (n < 11 || strncmp(v, "=?base64?", 9) != 0 || strcmp(v + n - 2, "?=") != 0)
        return xstrdup(v);
    char *out = xmalloc(n);
    size_t o = 0, bits = 0;
    unsigned acc = 0;
    for (size_t i = 9; i < n - 2; i++) {
        if (v[i] == '=')
            break;
        int d = b64_val((unsigned char)v[i]);
        if (d < 0) {
            xfree(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    if (strlen(out) != o) {
        xfree(out);
        return NULL;
    }
    return out;
}
