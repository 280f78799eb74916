/* SPDX-License-Identifier: MIT */
/* fuzz_mcp_dispatch.c -- fuzz MCP message dispatch: capped JSON parsing, JSON-RPC
 * classification, the 2026-07-28 envelope checks, and mcp_rpc_answer over a stub tool table
 * (argument checks, tool results and errors, resources, cursors, read-only mode). Each request
 * gets exactly one response with its id and either a result or an error with a negative
 * code; header decoding never yields a string with a NUL inside. */
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "fuzz.h"
#include "mcp/mcp_rpc.h"

#define FUZZ_MSG_MAX (64 * 1024)

static enum err
ok_fn(struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    (void)eb;
    c->progress(c, 1, 2, "half");
    if (c->is_cancelled(c))
        return ERR_UNAVAILABLE;
    if (json_object_get(args, "text_too"))
        *text = xstrdup("plain text");
    *out = json_pack("{s:O}", "args", args);
    return ERR_OK;
}

static enum err
fail_fn(struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    (void)c;
    (void)out;
    (void)text;
    const char *s = jsonx_get_str(args, "why");
    return errbuf_set(eb, ERR_INVALID, "bad: %.64s", s ? s : "none");
}

static enum err
empty_fn(struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    (void)c;
    (void)args;
    (void)out;
    (void)text;
    (void)eb;
    return ERR_OK; /* no structured result: the transport must cope */
}

static const struct mcp_tool tools[] = {
    {"empty", NULL, NULL, NULL, NULL, MCP_TOOL_READ_ONLY, empty_fn},
    {"fail", "Fail", "fails",
     "{\"type\":\"object\",\"properties\":{\"why\":{\"type\":\"string\"}}}", NULL, 0, fail_fn},
    {"ok", "Ok", "works",
     "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":[\"integer\",\"null\"]},"
     "\"s\":{\"type\":\"string\"},\"a\":{\"type\":\"array\"},\"o\":{\"type\":\"object\"},"
     "\"b\":{\"type\":\"boolean\"},\"f\":{\"type\":\"number\"}},\"required\":[\"n\"],"
     "\"additionalProperties\":false}",
     "{\"type\":\"object\"}", MCP_TOOL_READ_ONLY | MCP_TOOL_LONG, ok_fn},
};

static enum err
res_list(const struct mcp_env *e, const char *cursor, json_t **out, char **next, struct errbuf *eb)
{
    (void)e;
    *out = json_array();
    *next = NULL;
    if (cursor && strcmp(cursor, "p2") != 0)
        return errbuf_set(eb, ERR_INVALID, "bad cursor");
    if (!cursor)
        *next = xstrdup("p2");
    return ERR_OK;
}

static json_t *res_templates(void)
{
    return json_array();
}

static enum err res_read(const struct mcp_env *e, const char *uri, json_t **out, struct errbuf *eb)
{
    (void)e;
    if (strncmp(uri, "x://", 4) != 0)
        return errbuf_set(eb, ERR_NOT_FOUND, "no");
    *out = json_pack("[{s:s,s:s}]", "uri", uri, "text", "t");
    return ERR_OK;
}

static const struct mcp_backend be = {tools, 3, res_list, res_templates, res_read};

static void progress(struct mcp_call *c, double p, double t, const char *m)
{
    (void)c;
    (void)p;
    (void)t;
    (void)m;
}

static bool cancelled(struct mcp_call *c)
{
    (void)c;
    return false;
}

static void check_response(const json_t *msg, const json_t *resp)
{
    if (!json_is_object(resp) ||
        !json_equal(json_object_get(resp, "id"), json_object_get(msg, "id")))
        abort();
    const json_t *res = json_object_get(resp, "result");
    const json_t *err = json_object_get(resp, "error");
    if ((res != NULL) == (err != NULL))
        abort();
    if (err && json_integer_value(json_object_get(err, "code")) >= 0)
        abort();
    if (res && !json_is_object(res))
        abort();
    char *text = jsonx_dumps(resp);
    if (!text)
        abort();
    xfree(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MSG_MAX)
        return 0;
    char *s = xstrndup((const char *)data, size);
    if (strlen(s) == size) {
        char *d = mcp_header_decode(s);
        if (d && memchr(d, '\0', strlen(d) + 1) != d + strlen(d))
            abort();
        xfree(d);
    }
    xfree(s);
    json_t *msg = NULL;
    if (jsonx_parse((const char *)data, size, FUZZ_MSG_MAX, &msg, NULL) != ERR_OK)
        return 0;
    enum mcp_msg_kind kind = mcp_rpc_classify(msg);
    if (kind == MCP_MSG_REQUEST) {
        const char *why = NULL;
        if (mcp_rpc_is_modern(msg) && mcp_rpc_envelope_check(msg, &why) != 0 && !why)
            abort();
        (void)mcp_rpc_name_of(msg);
        (void)mcp_rpc_progress_token(msg);
        for (int mode = 0; mode < 4; mode++) {
            struct mcp_rpc r = {.be = &be, .is_read_only = mode & 1, .is_modern = mode & 2};
            struct mcp_call c = {.progress = progress, .is_cancelled = cancelled};
            json_t *resp = mcp_rpc_answer(&r, msg, &c);
            check_response(msg, resp);
            json_decref(resp);
        }
    }
    json_decref(msg);
    return 0;
}
