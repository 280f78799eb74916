/* SPDX-License-Identifier: MIT */
/* mcp_rpc.c -- JSON-RPC 2.0 framing and the MCP methods: initialize, ping, tools (list, call),
 * resources (list, read, templates), server/discover (2026-07-28), logging/setLevel.
 *
 * Everything here works on decoded JSON and a backend (the tool table and resource
 * functions), never on HTTP, so tests and the fuzzer drive it directly. Tool failures become
 * results with isError: true and a redacted text; protocol mistakes become JSON-RPC errors. */
#include "mcp/mcp_rpc.h"

#include <string.h>

#include "core/buf.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "version.h"

#define TEXT_OUT_MAX (256 * 1024) /* bytes of a redacted tool error text */

static const char *const versions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

void mcp_backend_default(struct mcp_backend *be)
{
    be->tools = mcp_tools_get(&be->n_tools);
    be->resources_list = mcp_resources_list;
    be->templates_get = mcp_resource_templates_get;
    be->resource_read = mcp_resource_read;
}

bool mcp_version_is_supported(const char *v)
{
    for (size_t i = 0; v && i < sizeof(versions) / sizeof(versions[0]); i++)
        if (strcmp(v, versions[i]) == 0)
            return true;
    return false;
}

const char *mcp_version_negotiate(const char *requested)
{
    return mcp_version_is_supported(requested) ? requested : MCP_VERSION_LATEST;
}

static bool is_id(const json_t *id)
{
    return json_is_string(id) || json_is_integer(id);
}

enum mcp_msg_kind mcp_rpc_classify(const json_t *msg)
{
    if (!json_is_object(msg) || !json_is_string(json_object_get(msg, "jsonrpc")) ||
        strcmp(json_string_value(json_object_get(msg, "jsonrpc")), "2.0") != 0)
        return MCP_MSG_INVALID;
    const json_t *method = json_object_get(msg, "method");
    const json_t *id = json_object_get(msg, "id");
    const json_t *params = json_object_get(msg, "params");
    if (method) {
        if (!json_is_string(method) || (params && !json_is_object(params)))
            return MCP_MSG_INVALID;
        if (!id)
            return MCP_MSG_NOTIFICATION;
        return is_id(id) ? MCP_MSG_REQUEST : MCP_MSG_INVALID;
    }
    bool has_result = json_object_get(msg, "result") != NULL;
    bool has_error = json_is_object(json_object_get(msg, "error"));
    if ((is_id(id) || json_is_null(id)) && has_result != has_error)
        return MCP_MSG_RESPONSE;
    return MCP_MSG_INVALID;
}

json_t *mcp_rpc_error_new(const json_t *id, int code, const char *message, json_t *data)
{
    json_t *err = json_object();
    json_object_set_new(err, "code", json_integer(code));
    json_object_set_new(err, "message", json_string(message ? message : "error"));
    if (data)
        json_object_set_new(err, "data", data);
    json_t *j = json_object();
    json_object_set_new(j, "jsonrpc", json_string("2.0"));
    json_object_set_new(j, "id", id ? json_deep_copy(id) : json_null());
    json_object_set_new(j, "error", err);
    return j;
}

static json_t *result_new(const json_t *id, json_t *result)
{
    json_t *j = json_object();
    json_object_set_new(j, "jsonrpc", json_string("2.0"));
    json_object_set_new(j, "id", json_deep_copy(id));
    json_object_set_new(j, "result", result);
    return j;
}

static const json_t *params_of(const json_t *msg)
{
    const json_t *p = json_object_get(msg, "params");
    return json_is_object(p) ? p : NULL;
}

static const json_t *meta_of(const json_t *msg)
{
    const json_t *m = json_object_get(params_of(msg), "_meta");
    return json_is_object(m) ? m : NULL;
}

const json_t *mcp_rpc_progress_token(const json_t *msg)
{
    const json_t *t = json_object_get(meta_of(msg), "progressToken");
    return is_id(t) ? t : NULL;
}

bool mcp_rpc_is_modern(const json_t *msg)
{
    return json_object_get(meta_of(msg), MCP_META_VERSION) != NULL;
}

int mcp_rpc_envelope_check(const json_t *msg, const char **message)
{
    const json_t *meta = meta_of(msg);
    const char *v = json_string_value(json_object_get(meta, MCP_META_VERSION));
    if (!meta || !v) {
        *message = "the _meta envelope needs a string io.modelcontextprotocol/protocolVersion";
        return MCP_RPC_INVALID_PARAMS;
    }
    if (strcmp(v, MCP_VERSION_MODERN) != 0) {
        *message = "Unsupported protocol version";
        return MCP_RPC_UNSUPPORTED_VERSION;
    }
    if (!json_is_object(json_object_get(meta, MCP_META_CLIENT_CAPS))) {
        *message = "the _meta envelope needs an object io.modelcontextprotocol/clientCapabilities";
        return MCP_RPC_INVALID_PARAMS;
    }
    *message = NULL;
    return 0;
}

const char *mcp_rpc_name_of(const json_t *msg)
{
    const char *method = jsonx_get_str(msg, "method");
    const json_t *p = params_of(msg);
    if (!method)
        return NULL;
    if (strcmp(method, "tools/call") == 0 || strcmp(method, "prompts/get") == 0)
        return jsonx_get_str(p, "name");
    if (strcmp(method, "resources/read") == 0)
        return jsonx_get_str(p, "uri");
    return NULL;
}

static json_t *server_info(void)
{
    return json_pack("{s:s, s:s, s:s}", "name", "cyberbrain", "title", "Cyberbrain Orchestrator",
                     "version", CB_VERSION);
}

static json_t *capabilities(void)
{
    return json_pack("{s:{s:b}, s:{s:b, s:b}}", "tools", "listChanged", 0, "resources", "subscribe",
                     0, "listChanged", 0);
}

static const char instructions[] =
    "Cyberbrain Orchestrator runs log triage, GPU reports and service maps over the local "
    "Docker engine. Launch runs, read their reports (also as resources), and manage the "
    "allowlists with the tools.";

static json_t *do_initialize(const json_t *msg)
{
    const char *want = jsonx_get_str(params_of(msg), "protocolVersion");
    json_t *r = json_object();
    json_object_set_new(r, "protocolVersion", json_string(mcp_version_negotiate(want)));
    json_object_set_new(r, "capabilities", capabilities());
    json_object_set_new(r, "serverInfo", server_info());
    json_object_set_new(r, "instructions", json_string(instructions));
    return r;
}

static json_t *do_discover(void)
{
    json_t *r = json_object();
    json_t *vs = json_array();
    json_array_append_new(vs, json_string(MCP_VERSION_MODERN));
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
        json_array_append_new(vs, json_string(versions[i]));
    json_object_set_new(r, "supportedVersions", vs);
    json_object_set_new(r, "capabilities", capabilities());
    json_object_set_new(r, "instructions", json_string(instructions));
    return r;
}

static bool is_visible(const struct mcp_rpc *r, const struct mcp_tool *t)
{
    return !r->is_read_only || (t->flags & MCP_TOOL_READ_ONLY);
}

const struct mcp_tool *mcp_rpc_tool_find(const struct mcp_rpc *r, const char *name)
{
    for (size_t i = 0; name && i < r->be->n_tools; i++)
        if (strcmp(r->be->tools[i].name, name) == 0)
            return is_visible(r, &r->be->tools[i]) ? &r->be->tools[i] : NULL;
    return NULL;
}

static json_t *schema_of(const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    if (json_is_object(j))
        return j;
    json_decref(j);
    return json_pack("{s:s}", "type", "object");
}

static json_t *tool_json(const struct mcp_tool *t)
{
    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(t->name));
    if (t->title)
        json_object_set_new(j, "title", json_string(t->title));
    if (t->description)
        json_object_set_new(j, "description", json_string(t->description));
    json_object_set_new(j, "inputSchema", schema_of(t->input_schema));
    if (t->output_schema)
        json_object_set_new(j, "outputSchema", schema_of(t->output_schema));
    json_t *ann = json_object();
    if (t->title)
        json_object_set_new(ann, "title", json_string(t->title));
    json_object_set_new(ann, "readOnlyHint", json_boolean(t->flags & MCP_TOOL_READ_ONLY));
    json_object_set_new(ann, "destructiveHint", json_boolean(t->flags & MCP_TOOL_DESTRUCTIVE));
    json_object_set_new(ann, "idempotentHint", json_boolean(t->flags & MCP_TOOL_IDEMPOTENT));
    json_object_set_new(ann, "openWorldHint", json_false());
    json_object_set_new(j, "annotations", ann);
    return j;
}

/* Every tool fits one page (the table is small): any cursor is one this server never gave. */
static json_t *do_tools_list(const struct mcp_rpc *r, const json_t *msg, json_t **err)
{
    const json_t *cursor = json_object_get(params_of(msg), "cursor");
    if (cursor && !json_is_null(cursor)) {
        *err = mcp_rpc_error_new(json_object_get(msg, "id"), MCP_RPC_INVALID_PARAMS,
                                 "Invalid cursor", NULL);
        return NULL;
    }
    json_t *tools = json_array();
    for (size_t i = 0; i < r->be->n_tools; i++)
        if (is_visible(r, &r->be->tools[i]))
            json_array_append_new(tools, tool_json(&r->be->tools[i]));
    return json_pack("{s:o}", "tools", tools);
}

static bool type_matches(const char *type, const json_t *v)
{
    if (strcmp(type, "string") == 0)
        return json_is_string(v);
    if (strcmp(type, "integer") == 0)
        return json_is_integer(v);
    if (strcmp(type, "number") == 0)
        return json_is_number(v);
    if (strcmp(type, "boolean") == 0)
        return json_is_boolean(v);
    if (strcmp(type, "array") == 0)
        return json_is_array(v);
    if (strcmp(type, "object") == 0)
        return json_is_object(v);
    if (strcmp(type, "null") == 0)
        return json_is_null(v);
    return true;
}

/* True when v has one of the types of prop ("type": "x" or ["x","y"]; none: anything). */
static bool prop_type_ok(const json_t *prop, const json_t *v)
{
    const json_t *type = json_object_get(prop, "type");
    if (json_is_string(type))
        return type_matches(json_string_value(type), v);
    if (!json_is_array(type))
        return true;
    size_t i;
    const json_t *t;
    json_array_foreach(type, i, t) if (json_is_string(t) &&
                                       type_matches(json_string_value(t), v)) return true;
    return false;
}

/* Check args against the top level of the tool's input schema: required properties, the
 * type of each one given, no unknown ones when additionalProperties is false. Deeper checks
 * are the tool's. Writes a message for the model into msg. */
static bool args_ok(const struct mcp_tool *t, const json_t *args, char *msg, size_t cap)
{
    json_t *schema = schema_of(t->input_schema);
    const json_t *props = json_object_get(schema, "properties");
    const json_t *req = json_object_get(schema, "required");
    bool ok = true;
    size_t i;
    const json_t *v;
    const char *key;
    json_array_foreach(req, i,
                       v) if (json_is_string(v) && !json_object_get(args, json_string_value(v)))
    {
        snprintf(msg, cap, "Missing required argument \"%.64s\".", json_string_value(v));
        ok = false;
        goto out;
    }
    json_object_foreach((json_t *)(uintptr_t)args, key, v)
    {
        const json_t *prop = json_object_get(props, key);
        if (!prop && json_is_false(json_object_get(schema, "additionalProperties"))) {
            snprintf(msg, cap, "Unknown argument \"%.64s\".", key);
            ok = false;
            goto out;
        }
        if (prop && !prop_type_ok(prop, v)) {
            snprintf(msg, cap, "Argument \"%.64s\" has the wrong type.", key);
            ok = false;
            goto out;
        }
    }
out:
    json_decref(schema);
    return ok;
}

static json_t *text_block(const char *text)
{
    json_t *c = json_array();
    json_array_append_new(c, json_pack("{s:s, s:s}", "type", "text", "text", text));
    return c;
}

static json_t *tool_error_result(const struct mcp_env *env, const char *text)
{
    struct buf b;
    buf_init(&b, TEXT_OUT_MAX);
    size_t len = strlen(text);
    const struct redact_opts *ro = env ? env->redact : NULL;
    enum err e = ro ? redact_text_opts(text, len, ro, &b) : redact_text(text, len, &b);
    json_t *r = json_pack("{s:o, s:b}", "content",
                          text_block(e == ERR_OK ? buf_str(&b) : "[REDACTED]"), "isError", 1);
    buf_fini(&b);
    return r;
}

static json_t *run_tool(const struct mcp_tool *t, const json_t *args, struct mcp_call *call)
{
    json_t *out = NULL;
    char *text = NULL;
    struct errbuf eb = {{0}};
    json_t *r = NULL;
    enum err e = t->call(call, args, &out, &text, &eb);
    if (e != ERR_OK) {
        r = tool_error_result(call->env, errbuf_get(&eb, e));
        goto out;
    }
    if (!json_is_object(out)) {
        r = tool_error_result(call->env, "The tool returned no structured result.");
        goto out;
    }
    if (!text)
        text = jsonx_dumps(out);
    r = json_pack("{s:o, s:O, s:b}", "content", text_block(text), "structuredContent", out,
                  "isError", 0);
out:
    json_decref(out);
    xfree(text);
    return r;
}

static json_t *
do_tools_call(const struct mcp_rpc *r, const json_t *msg, struct mcp_call *call, json_t **err)
{
    const json_t *id = json_object_get(msg, "id");
    const json_t *p = params_of(msg);
    const char *name = jsonx_get_str(p, "name");
    const json_t *args = json_object_get(p, "arguments");
    char why[160];
    if (!name) {
        *err = mcp_rpc_error_new(id, MCP_RPC_INVALID_PARAMS, "params.name must be a string", NULL);
        return NULL;
    }
    const struct mcp_tool *t = mcp_rpc_tool_find(r, name);
    if (!t) {
        char q[40];
        err_quote_user(q, sizeof(q), name);
        snprintf(why, sizeof(why), "Unknown tool: %s", q);
        *err = mcp_rpc_error_new(id, MCP_RPC_INVALID_PARAMS, why, NULL);
        return NULL;
    }
    if (args && !json_is_object(args) && !json_is_null(args)) {
        *err = mcp_rpc_error_new(id, MCP_RPC_INVALID_PARAMS, "params.arguments must be an object",
                                 NULL);
        return NULL;
    }
    json_t *empty = json_is_object(args) ? NULL : json_object();
    const json_t *a = empty ? empty : args;
    json_t *res =
        args_ok(t, a, why, sizeof(why)) ? run_tool(t, a, call) : tool_error_result(call->env, why);
    json_decref(empty);
    return res;
}

static json_t *do_resources_list(const struct mcp_rpc *r, const json_t *msg, json_t **err)
{
    const json_t *id = json_object_get(msg, "id");
    const json_t *c = json_object_get(params_of(msg), "cursor");
    json_t *list = NULL;
    char *next = NULL;
    struct errbuf eb = {{0}};
    if (c && !json_is_string(c) && !json_is_null(c)) {
        *err = mcp_rpc_error_new(id, MCP_RPC_INVALID_PARAMS, "Invalid cursor", NULL);
        return NULL;
    }
    enum err e = r->be->resources_list(r->env, json_string_value(c), &list, &next, &eb);
    if (e != ERR_OK) {
        json_decref(list);
        xfree(next);
        *err = mcp_rpc_error_new(id, e == ERR_INVALID ? MCP_RPC_INVALID_PARAMS : MCP_RPC_INTERNAL,
                                 e == ERR_INVALID ? "Invalid cursor" : err_text(e), NULL);
        return NULL;
    }
    json_t *res = json_pack("{s:o}", "resources", json_is_array(list) ? list : json_array());
    if (!json_is_array(list))
        json_decref(list);
    if (next)
        json_object_set_new(res, "nextCursor", json_string(next));
    xfree(next);
    return res;
}

static json_t *do_resources_read(const struct mcp_rpc *r, const json_t *msg, json_t **err)
{
    const json_t *id = json_object_get(msg, "id");
    const char *uri = jsonx_get_str(params_of(msg), "uri");
    json_t *contents = NULL;
    struct errbuf eb = {{0}};
    if (!uri) {
        *err = mcp_rpc_error_new(id, MCP_RPC_INVALID_PARAMS, "params.uri must be a string", NULL);
        return NULL;
    }
    enum err e = r->be->resource_read(r->env, uri, &contents, &eb);
    if (e == ERR_OK && json_is_array(contents))
        return json_pack("{s:o}", "contents", contents);
    json_decref(contents);
    if (e == ERR_NOT_FOUND || e == ERR_INVALID || e == ERR_OK) {
        int code = r->is_modern ? MCP_RPC_INVALID_PARAMS : MCP_RPC_RESOURCE_NOT_FOUND;
        *err = mcp_rpc_error_new(id, code, "Resource not found", json_pack("{s:s}", "uri", uri));
    } else {
        *err = mcp_rpc_error_new(id, MCP_RPC_INTERNAL, err_text(e), NULL);
    }
    return NULL;
}

/* 2026-07-28: every result says resultType, lists and reads carry cache hints, and the
 * server names itself in _meta. */
static void stamp_modern(const char *method, json_t *res)
{
    json_object_set_new(res, "resultType", json_string("complete"));
    if (strstr(method, "/list") || strcmp(method, "resources/read") == 0 ||
        strcmp(method, "server/discover") == 0) {
        json_object_set_new(res, "ttlMs", json_integer(0));
        json_object_set_new(res, "cacheScope", json_string("private"));
    }
    json_t *meta = json_object();
    json_object_set_new(meta, MCP_META_SERVER_INFO, server_info());
    json_object_set_new(res, "_meta", meta);
}

static json_t *dispatch(const struct mcp_rpc *r,
                        const char *method,
                        const json_t *msg,
                        struct mcp_call *call,
                        json_t **err)
{
    if (strcmp(method, "initialize") == 0 && !r->is_modern)
        return do_initialize(msg);
    if (strcmp(method, "ping") == 0 || strcmp(method, "logging/setLevel") == 0)
        return json_object();
    if (strcmp(method, "server/discover") == 0)
        return do_discover();
    if (strcmp(method, "tools/list") == 0)
        return do_tools_list(r, msg, err);
    if (strcmp(method, "tools/call") == 0)
        return do_tools_call(r, msg, call, err);
    if (strcmp(method, "resources/list") == 0)
        return do_resources_list(r, msg, err);
    if (strcmp(method, "resources/templates/list") == 0) {
        json_t *t = r->be->templates_get();
        return json_pack("{s:o}", "resourceTemplates", json_is_array(t) ? t : json_array());
    }
    if (strcmp(method, "resources/read") == 0)
        return do_resources_read(r, msg, err);
    char m[40], why[96];
    err_quote_user(m, sizeof(m), method);
    snprintf(why, sizeof(why), "Method not found: %s", m);
    *err = mcp_rpc_error_new(json_object_get(msg, "id"), MCP_RPC_METHOD_NOT_FOUND, why, NULL);
    return NULL;
}

json_t *mcp_rpc_answer(const struct mcp_rpc *r, const json_t *msg, struct mcp_call *call)
{
    const char *method = jsonx_get_str(msg, "method");
    json_t *err = NULL;
    json_t *res = method ? dispatch(r, method, msg, call, &err) : NULL;
    if (!res)
        return err ? err
                   : mcp_rpc_error_new(json_object_get(msg, "id"), MCP_RPC_INVALID_REQUEST,
                                       "Invalid request", NULL);
    if (r->is_modern)
        stamp_modern(method, res);
    return result_new(json_object_get(msg, "id"), res);
}
