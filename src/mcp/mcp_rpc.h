/* SPDX-License-Identifier: MIT */
/* mcp_rpc.h -- the transport's private interface: JSON-RPC 2.0 framing and the MCP method
 * dispatch (mcp_rpc.c), sessions (mcp_session.c), and the HTTP side (mcp_http.c).
 *
 * mcp_rpc_* functions are pure apart from the backend they call (tools, resources), so the
 * unit tests and the fuzzer drive them with a stub backend. */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"
#include "mcp/mcp.h"
#include "mcp/mcp_int.h"

#define MCP_VERSION_LATEST   "2025-11-25"
#define MCP_VERSION_MODERN   "2026-07-28"
#define MCP_META_VERSION     "io.modelcontextprotocol/protocolVersion"
#define MCP_META_CLIENT_CAPS "io.modelcontextprotocol/clientCapabilities"
#define MCP_META_SERVER_INFO "io.modelcontextprotocol/serverInfo"

/* JSON-RPC and MCP error codes. */
enum mcp_rpc_code {
    MCP_RPC_PARSE = -32700,
    MCP_RPC_INVALID_REQUEST = -32600,
    MCP_RPC_METHOD_NOT_FOUND = -32601,
    MCP_RPC_INVALID_PARAMS = -32602,
    MCP_RPC_INTERNAL = -32603,
    MCP_RPC_SERVER = -32000,
    MCP_RPC_RESOURCE_NOT_FOUND = -32002,
    MCP_RPC_HEADER_MISMATCH = -32020,
    MCP_RPC_UNSUPPORTED_VERSION = -32022,
};

/* What the dispatcher calls for tools and resources (mcp_int.h's functions by default). */
struct mcp_backend {
    const struct mcp_tool *tools; /* sorted by name */
    size_t n_tools;
    enum err (*resources_list)(const struct mcp_env *env,
                               const char *cursor,
                               json_t **resources,
                               char **next_cursor,
                               struct errbuf *eb);
    json_t *(*templates_get)(void);
    enum err (*resource_read)(const struct mcp_env *env,
                              const char *uri,
                              json_t **contents,
                              struct errbuf *eb);
};

/* The context of one message. */
struct mcp_rpc {
    const struct mcp_backend *be;
    const struct mcp_env *env;
    bool is_read_only; /* hide and refuse tools without MCP_TOOL_READ_ONLY */
    bool is_modern;    /* 2026-07-28: resultType, cache hints, -32602 for unknown resources */
};

enum mcp_msg_kind {
    MCP_MSG_INVALID,
    MCP_MSG_REQUEST,
    MCP_MSG_NOTIFICATION,
    MCP_MSG_RESPONSE,
};

/* Fill *be with the tool table and resource functions of mcp_int.h. */
void mcp_backend_default(struct mcp_backend *be);
/* Classify one decoded message (a JSON-RPC 2.0 request, notification or response). */
enum mcp_msg_kind mcp_rpc_classify(const json_t *msg);
/* Return true when v is a protocol version this server speaks with sessions. */
bool mcp_version_is_supported(const char *v);
/* Return the version to answer initialize with for the requested one (NULL: the latest). */
const char *mcp_version_negotiate(const char *requested);
/* Return a new error response {"jsonrpc","id","error":{code,message[,data]}}; id may be NULL
 * (null), data is stolen (may be NULL). */
json_t *mcp_rpc_error_new(const json_t *id, int code, const char *message, json_t *data);
/* Return the tool called name, or NULL when unknown or hidden by read-only mode. */
const struct mcp_tool *mcp_rpc_tool_find(const struct mcp_rpc *r, const char *name);
/* Answer one request (msg classified MCP_MSG_REQUEST); call gives tools/call its progress
 * and cancel hooks (its env is r->env). Returns the response (never NULL). */
json_t *mcp_rpc_answer(const struct mcp_rpc *r, const json_t *msg, struct mcp_call *call);
/* Return the progressToken of a request (string or integer; borrowed) or NULL. */
const json_t *mcp_rpc_progress_token(const json_t *msg);
/* Check a request's 2026-07-28 _meta envelope: ERR_OK, or the code and message to answer. */
int mcp_rpc_envelope_check(const json_t *msg, const char **message);
/* Return true when the message carries a 2026-07-28 style _meta protocol version. */
bool mcp_rpc_is_modern(const json_t *msg);
/* Return the value the Mcp-Name header must carry for msg (borrowed) or NULL when none. */
const char *mcp_rpc_name_of(const json_t *msg);

/* ---- sessions (mcp_session.c) ---- */

#define MCP_SESSION_ID_LEN 33 /* 32 hex + NUL */

struct mcp_sessions;

/* Return a table of at most max sessions that expire after idle_s seconds unused. */
struct mcp_sessions *mcp_sessions_new(size_t max, int idle_s);
/* Free s; NULL is fine. */
void mcp_sessions_free(struct mcp_sessions *s);
/* Open a session for version, owned by credentials (the Authorization header; NULL: none);
 * the least recently used one is ended when the table is full. */
enum err mcp_sessions_open(struct mcp_sessions *s,
                           const char *version,
                           const char *credentials,
                           char id[MCP_SESSION_ID_LEN]);
/* Mark id used now; ERR_NOT_FOUND when unknown, ended, expired or opened with other
 * credentials. */
enum err mcp_sessions_touch(struct mcp_sessions *s, const char *id, const char *credentials);
/* End id; ERR_NOT_FOUND when unknown or opened with other credentials. */
enum err mcp_sessions_end(struct mcp_sessions *s, const char *id, const char *credentials);
/* Return the number of live sessions. */
size_t mcp_sessions_count(struct mcp_sessions *s);

/* ---- the endpoint (mcp_server.c, mcp_http.c) ---- */

#define MCP_MAX_CALL_THREADS 64 /* tool calls on their own threads at once */

struct mcp_job;

struct mcp_server {
    struct mcp_env env;
    struct redact_opts redact;
    struct mcp_backend be;
    struct mcp_sessions *sessions;
    struct http_token_auth auth;
    struct http_route routes[2];
    struct http_mount mount;
    char **hosts; /* allowed Host values: "name" (any port) or "name:port" */
    size_t n_hosts;
    char **origins; /* allowed Origin values besides http(s)://<allowed host> */
    size_t n_origins;
    bool is_any_host;
    bool is_any_origin;
    pthread_mutex_t mu; /* guards what follows */
    pthread_cond_t cv;
    size_t n_threads;
    size_t max_threads; /* MCP_MAX_CALL_THREADS */
    bool is_stopping;
    struct mcp_job *jobs; /* calls in flight (for notifications/cancelled) */
};

/* Return true when the request's Host and Origin headers are allowed. */
bool mcp_server_origin_ok(const struct mcp_server *m, const struct http_req *req);
/* The handlers of POST and DELETE /mcp (mcp_http.c). */
void mcp_http_post(void *app, struct http_req *req, struct http_resp *resp);
void mcp_http_delete(void *app, struct http_req *req, struct http_resp *resp);
/* Decode an Mcp-Name header value ("=?base64?...?=" or plain) into a new string, or NULL. */
char *mcp_header_decode(const char *v);
