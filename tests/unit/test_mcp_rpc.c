/* SPDX-License-Identifier: MIT */
/* test_mcp_rpc.c -- the MCP transport: JSON-RPC framing and dispatch over a stub tool table,
 * sessions, header decoding, and the HTTP side (a real server on 127.0.0.1 with the /mcp
 * mount) for SSE progress streams and long calls off the pool. */
#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "mcp/mcp_rpc.h"

/* ---- a stub backend ---- */

static enum err
echo_fn(struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    (void)c;
    (void)text;
    (void)eb;
    *out = json_pack("{s:O}", "echo", json_object_get(args, "text"));
    return ERR_OK;
}

static enum err
fail_fn(struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    (void)c;
    (void)args;
    (void)out;
    (void)text;
    return errbuf_set(eb, ERR_NOT_FOUND, "run 7 owned by alice@example.com not found");
}

static enum err
count_fn(struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    (void)text;
    (void)eb;
    json_int_t n = json_integer_value(json_object_get(args, "n"));
    json_int_t done = 0;
    for (json_int_t i = 1; i <= n; i++) {
        if (c->is_cancelled(c))
            break;
        usleep(20000);
        c->progress(c, (double)i, (double)n, "step");
        c->progress(c, (double)i, (double)n, "again"); /* not increasing: dropped */
        done = i;
    }
    *out = json_pack("{s:I}", "counted", done);
    return ERR_OK;
}

static const struct mcp_tool stub_tools[] = {
    {"count", "Count", "Counts with progress",
     "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}},\"required\":[\"n\"]}",
     "{\"type\":\"object\"}", MCP_TOOL_READ_ONLY | MCP_TOOL_LONG, count_fn},
    {"echo", "Echo", "Echoes text",
     "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},"
     "\"required\":[\"text\"],\"additionalProperties\":false}",
     "{\"type\":\"object\"}", MCP_TOOL_READ_ONLY, echo_fn},
    {"fail", "Fail", "Always fails", "{\"type\":\"object\"}", NULL, MCP_TOOL_DESTRUCTIVE, fail_fn},
};

static enum err stub_list(const struct mcp_env *env,
                          const char *cursor,
                          json_t **resources,
                          char **next_cursor,
                          struct errbuf *eb)
{
    (void)env;
    *next_cursor = NULL;
    *resources = json_array();
    if (cursor)
        return errbuf_set(eb, ERR_INVALID, "bad cursor");
    json_array_append_new(*resources, json_pack("{s:s,s:s}", "uri", "x://1", "name", "one"));
    return ERR_OK;
}

static json_t *stub_templates(void)
{
    return json_pack("[{s:s,s:s}]", "uriTemplate", "x://{id}", "name", "t");
}

static enum err
stub_read(const struct mcp_env *env, const char *uri, json_t **contents, struct errbuf *eb)
{
    (void)env;
    if (strcmp(uri, "x://1") != 0)
        return errbuf_set(eb, ERR_NOT_FOUND, "no");
    *contents = json_pack("[{s:s,s:s}]", "uri", uri, "text", "hello");
    return ERR_OK;
}

static const struct mcp_backend stub_be = {stub_tools, 3, stub_list, stub_templates, stub_read};

static bool no_cancel(struct mcp_call *c)
{
    (void)c;
    return false;
}

static void no_progress(struct mcp_call *c, double p, double t, const char *m)
{
    (void)c;
    (void)p;
    (void)t;
    (void)m;
}

/* Answer the request text with the stub backend; returns the response. */
static json_t *ask(const char *text, bool read_only, bool modern)
{
    json_t *msg = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(msg);
    ck_assert_int_eq(mcp_rpc_classify(msg), MCP_MSG_REQUEST);
    struct mcp_rpc r = {.be = &stub_be, .is_read_only = read_only, .is_modern = modern};
    struct mcp_call c = {.progress = no_progress, .is_cancelled = no_cancel};
    json_t *resp = mcp_rpc_answer(&r, msg, &c);
    json_decref(msg);
    ck_assert_ptr_nonnull(resp);
    return resp;
}

static int err_code(const json_t *resp)
{
    return (int)json_integer_value(json_object_get(json_object_get(resp, "error"), "code"));
}

static json_t *result_of(const json_t *resp)
{
    return json_object_get(resp, "result");
}

START_TEST(test_classify)
{
    static const struct {
        const char *text;
        enum mcp_msg_kind kind;
    } cases[] = {
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", MCP_MSG_REQUEST},
        {"{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\",\"params\":{}}", MCP_MSG_REQUEST},
        {"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", MCP_MSG_NOTIFICATION},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}", MCP_MSG_RESPONSE},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1,\"message\":\"x\"}}",
         MCP_MSG_RESPONSE},
        {"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", MCP_MSG_INVALID},
        {"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", MCP_MSG_INVALID},
        {"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", MCP_MSG_INVALID},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", MCP_MSG_INVALID},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":[1]}", MCP_MSG_INVALID},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{}}", MCP_MSG_INVALID},
        {"{\"hello\":\"world\"}", MCP_MSG_INVALID},
        {"[1,2]", MCP_MSG_INVALID},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *j = json_loads(cases[i].text, 0, NULL);
        ck_assert_msg(mcp_rpc_classify(j) == cases[i].kind, "%s", cases[i].text);
        json_decref(j);
    }
}
END_TEST

START_TEST(test_initialize_negotiates)
{
#define INIT_FMT                                                          \
    "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"initialize\",\"params\":" \
    "{\"protocolVersion\":\"%s\",\"capabilities\":{}}}"
    static const char *const in[][2] = {{"2025-03-26", "2025-03-26"},
                                        {"2025-06-18", "2025-06-18"},
                                        {"2025-11-25", "2025-11-25"},
                                        {"1999-01-01", "2025-11-25"},
                                        {"2026-07-28", "2025-11-25"}};
    for (size_t i = 0; i < 5; i++) {
        char text[256];
        snprintf(text, sizeof(text), INIT_FMT, in[i][0]);
        json_t *r = ask(text, false, false);
        json_t *res = result_of(r);
        ck_assert_str_eq(jsonx_get_str(res, "protocolVersion"), in[i][1]);
        ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 7);
        ck_assert_ptr_nonnull(json_object_get(json_object_get(res, "capabilities"), "tools"));
        ck_assert_str_eq(jsonx_get_str(json_object_get(res, "serverInfo"), "name"), "cyberbrain");
        json_decref(r);
    }
}
END_TEST

START_TEST(test_tools_list_and_read_only)
{
    json_t *r = ask("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"tools/list\"}", false, false);
    json_t *tools = json_object_get(result_of(r), "tools");
    ck_assert_int_eq(json_array_size(tools), 3);
    json_t *fail = jsonx_find(tools, "name", "fail");
    ck_assert_ptr_nonnull(fail);
    json_t *ann = json_object_get(fail, "annotations");
    ck_assert(json_is_true(json_object_get(ann, "destructiveHint")));
    ck_assert(json_is_false(json_object_get(ann, "readOnlyHint")));
    ck_assert_str_eq(jsonx_get_str(json_object_get(fail, "inputSchema"), "type"), "object");
    json_decref(r);
    r = ask("{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"tools/list\"}", true, false);
    tools = json_object_get(result_of(r), "tools");
    ck_assert_int_eq(json_array_size(tools), 2);
    ck_assert_ptr_null(jsonx_find(tools, "name", "fail"));
    json_decref(r);
    r = ask(
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"fail\"}}",
        true, false);
    ck_assert_int_eq(err_code(r), -32602);
    json_decref(r);
    r = ask(
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":\"z\"}}",
        false, false);
    ck_assert_int_eq(err_code(r), -32602);
    json_decref(r);
}
END_TEST

START_TEST(test_tools_call)
{
    json_t *r = ask("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
                    "{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}",
                    false, false);
    json_t *res = result_of(r);
    ck_assert(json_is_false(json_object_get(res, "isError")));
    ck_assert_str_eq(jsonx_get_str(json_object_get(res, "structuredContent"), "echo"), "hi");
    json_t *c0 = json_array_get(json_object_get(res, "content"), 0);
    ck_assert_str_eq(jsonx_get_str(c0, "type"), "text");
    ck_assert_str_eq(jsonx_get_str(c0, "text"), "{\"echo\":\"hi\"}");
    json_decref(r);
    /* a tool failure: isError with the text redacted (the e-mail never goes out) */
    r = ask(
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"fail\"}}",
        false, false);
    res = result_of(r);
    ck_assert(json_is_true(json_object_get(res, "isError")));
    const char *text = jsonx_get_str(json_array_get(json_object_get(res, "content"), 0), "text");
    ck_assert_ptr_nonnull(strstr(text, "not found"));
    ck_assert_ptr_null(strstr(text, "alice@example.com"));
    json_decref(r);
    static const char *const bad_args[] = {"{\"text\":5}", "{}", "{\"text\":\"a\",\"extra\":1}"};
    for (size_t i = 0; i < 3; i++) {
        char req[256];
        snprintf(req, sizeof(req),
                 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":"
                 "{\"name\":\"echo\",\"arguments\":%s}}",
                 bad_args[i]);
        r = ask(req, false, false);
        ck_assert_msg(json_is_true(json_object_get(result_of(r), "isError")), "%s", bad_args[i]);
        json_decref(r);
    }
    r = ask("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":"
            "{\"name\":\"echo\",\"arguments\":[1]}}",
            false, false);
    ck_assert_int_eq(err_code(r), -32602);
    json_decref(r);
    r = ask(
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"nope\"}}",
        false, false);
    ck_assert_int_eq(err_code(r), -32602);
    json_decref(r);
    r = ask("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{}}", false, false);
    ck_assert_int_eq(err_code(r), -32602);
    json_decref(r);
}
END_TEST

START_TEST(test_resources_and_methods)
{
    json_t *r = ask("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/list\"}", false, false);
    ck_assert_int_eq(json_array_size(json_object_get(result_of(r), "resources")), 1);
    json_decref(r);
    r = ask("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/list\",\"params\":"
            "{\"cursor\":\"bad\"}}",
            false, false);
    ck_assert_int_eq(err_code(r), -32602);
    json_decref(r);
    r = ask("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/templates/list\"}", false, false);
    ck_assert_int_eq(json_array_size(json_object_get(result_of(r), "resourceTemplates")), 1);
    json_decref(r);
    r = ask("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":"
            "{\"uri\":\"x://1\"}}",
            false, false);
    ck_assert_str_eq(
        jsonx_get_str(json_array_get(json_object_get(result_of(r), "contents"), 0), "text"),
        "hello");
    json_decref(r);
    const char *missing = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\","
                          "\"params\":{\"uri\":\"x://2\"}}";
    r = ask(missing, false, false);
    ck_assert_int_eq(err_code(r), -32002);
    json_decref(r);
    r = ask(missing, false, true);
    ck_assert_int_eq(err_code(r), -32602);
    json_decref(r);
    r = ask("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nope\"}", false, false);
    ck_assert_int_eq(err_code(r), -32601);
    json_decref(r);
    r = ask("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", false, false);
    ck_assert_int_eq(json_object_size(result_of(r)), 0);
    json_decref(r);
}
END_TEST

START_TEST(test_modern_results)
{
    json_t *r = ask("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}", false, true);
    json_t *res = result_of(r);
    ck_assert_str_eq(jsonx_get_str(res, "resultType"), "complete");
    ck_assert_str_eq(jsonx_get_str(res, "cacheScope"), "private");
    ck_assert(json_is_integer(json_object_get(res, "ttlMs")));
    ck_assert_ptr_nonnull(json_object_get(json_object_get(res, "_meta"), MCP_META_SERVER_INFO));
    json_decref(r);
    r = ask("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\"}", false, true);
    res = result_of(r);
    ck_assert_str_eq(
        json_string_value(json_array_get(json_object_get(res, "supportedVersions"), 0)),
        MCP_VERSION_MODERN);
    json_decref(r);
    json_t *m =
        json_loads("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":"
                   "{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}",
                   0, NULL);
    const char *why = NULL;
    ck_assert(mcp_rpc_is_modern(m));
    ck_assert_int_eq(mcp_rpc_envelope_check(m, &why), MCP_RPC_INVALID_PARAMS);
    json_decref(m);
}
END_TEST

START_TEST(test_header_decode)
{
    char *s = mcp_header_decode("=?base64?aMOpbGxv?=");
    ck_assert_str_eq(s, "h\xc3\xa9llo");
    xfree(s);
    s = mcp_header_decode("plain");
    ck_assert_str_eq(s, "plain");
    xfree(s);
    ck_assert_ptr_null(mcp_header_decode("=?base64?a!b?="));
    ck_assert_ptr_null(mcp_header_decode("=?base64?AAAA?=")); /* decodes to NULs */
}
END_TEST

START_TEST(test_sessions)
{
    struct mcp_sessions *s = mcp_sessions_new(2, 3600);
    char a[MCP_SESSION_ID_LEN], b[MCP_SESSION_ID_LEN], c[MCP_SESSION_ID_LEN];
    ck_assert_int_eq(mcp_sessions_open(s, "2025-11-25", "Bearer t1", a), ERR_OK);
    ck_assert_int_eq((int)strlen(a), 32);
    usleep(2000);
    ck_assert_int_eq(mcp_sessions_open(s, "2025-11-25", "Bearer t1", b), ERR_OK);
    ck_assert_str_ne(a, b);
    usleep(2000);
    ck_assert_int_eq(mcp_sessions_touch(s, a, "Bearer t1"), ERR_OK); /* b is now the least recent */
    /* A session is no use with other credentials (or none). */
    ck_assert_int_eq(mcp_sessions_touch(s, a, "Bearer t2"), ERR_NOT_FOUND);
    ck_assert_int_eq(mcp_sessions_touch(s, a, NULL), ERR_NOT_FOUND);
    ck_assert_int_eq(mcp_sessions_end(s, a, "Bearer t2"), ERR_NOT_FOUND);
    usleep(2000);
    ck_assert_int_eq(mcp_sessions_open(s, "2025-11-25", NULL, c), ERR_OK);
    ck_assert_int_eq((int)mcp_sessions_count(s), 2);
    ck_assert_int_eq(mcp_sessions_touch(s, b, "Bearer t1"), ERR_NOT_FOUND);
    ck_assert_int_eq(mcp_sessions_touch(s, a, "Bearer t1"), ERR_OK);
    ck_assert_int_eq(mcp_sessions_touch(s, c, NULL), ERR_OK);
    ck_assert_int_eq(mcp_sessions_end(s, a, "Bearer t1"), ERR_OK);
    ck_assert_int_eq(mcp_sessions_end(s, a, "Bearer t1"), ERR_NOT_FOUND);
    ck_assert_int_eq(mcp_sessions_touch(s, "short", NULL), ERR_NOT_FOUND);
    mcp_sessions_free(s);
}
END_TEST

/* ---- over HTTP: a real server with the /mcp mount and the stub backend ---- */

static char tmp_dir[64];
static struct config cfg;
static struct store *st;
static struct mcp_server *mcp;
static struct http_server *hs;
static char *token;
static int port;

static void http_setup(void)
{
    snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/cb-mcp-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
    memset(&cfg, 0, sizeof(cfg));
    cfg.bind_addr = xstrdup("127.0.0.1");
    cfg.db_path = xasprintf("%s/db.sqlite", tmp_dir);
    cfg.max_body_bytes = 64 * 1024;
    cfg.mcp_max_sessions = 8;
    cfg.mcp_session_idle_s = 3600;
    struct store_opts so = {.sqlite_path = cfg.db_path, .pool_size = 2};
    struct errbuf eb = {{0}};
    int applied = 0;
    ck_assert_msg(store_open(&so, &st, &eb) == ERR_OK, "%s", eb.msg);
    ck_assert_msg(store_migrate(st, &applied, &eb) == ERR_OK, "%s", eb.msg);
    ck_assert_int_eq(store_token_create(st, "test", &token, &eb), ERR_OK);
    struct mcp_server_opts mo = {.cfg = &cfg, .st = st};
    ck_assert_int_eq(mcp_server_new(&mo, &mcp, &eb), ERR_OK);
    mcp->be = stub_be;
    struct http_server_opts ho = {.bind_addr = "127.0.0.1",
                                  .threads = 2,
                                  .max_body_bytes = cfg.max_body_bytes,
                                  .keepalive_ms = 100,
                                  .mounts = mcp_server_mount(mcp),
                                  .n_mounts = 1};
    ck_assert_msg(http_server_start(&ho, &hs, &port, &eb) == ERR_OK, "%s", eb.msg);
}

static void http_teardown(void)
{
    mcp_server_stop(mcp);
    http_server_stop(hs);
    mcp_server_free(mcp);
    store_close(st);
    fs_rm_rf(tmp_dir, NULL);
    xfree(token);
    xfree(cfg.bind_addr);
    xfree(cfg.db_path);
}

struct hreply {
    long status;
    char *body;
    size_t len;
    char ctype[128];
    char sid[64];
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct hreply *r = ctx;
    r->body = xrealloc(r->body, r->len + size * n + 1);
    memcpy(r->body + r->len, data, size * n);
    r->len += size * n;
    r->body[r->len] = '\0';
    return size * n;
}

static void hcopy(const char *line, size_t len, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0)
        return;
    size_t vl = len - nl;
    while (vl && (line[nl + vl - 1] == '\r' || line[nl + vl - 1] == '\n'))
        vl--;
    snprintf(out, cap, "%.*s", (int)vl, line + nl);
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct hreply *r = ctx;
    hcopy(data, size * n, "Content-Type: ", r->ctype, sizeof(r->ctype));
    hcopy(data, size * n, "Mcp-Session-Id: ", r->sid, sizeof(r->sid));
    return size * n;
}

/* POST body to /mcp with the token, Accept and (when given) the session. */
static void mcp_post(const char *body, const char *accept, const char *sid, struct hreply *r)
{
    memset(r, 0, sizeof(*r));
    CURL *c = curl_easy_init();
    char url[128], h1[400], h2[200], h3[128];
    struct curl_slist *h = NULL;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/mcp", port);
    snprintf(h1, sizeof(h1), "Authorization: Bearer %s", token);
    snprintf(h2, sizeof(h2), "Accept: %s", accept);
    snprintf(h3, sizeof(h3), "Mcp-Session-Id: %s", sid ? sid : "");
    h = curl_slist_append(h, h1);
    h = curl_slist_append(h, h2);
    h = curl_slist_append(h, "Content-Type: application/json");
    if (sid)
        h = curl_slist_append(h, h3);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

static void open_session(char *sid, size_t cap)
{
    struct hreply r;
    mcp_post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
             "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}}",
             "application/json, text/event-stream", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq((int)strlen(r.sid), 32);
    snprintf(sid, cap, "%s", r.sid);
    xfree(r.body);
}

static const char count_call[] =
    "{\"jsonrpc\":\"2.0\",\"id\":\"c1\",\"method\":\"tools/call\",\"params\":{\"name\":\"count\","
    "\"arguments\":{\"n\":3},\"_meta\":{\"progressToken\":\"tok\"}}}";

START_TEST(test_http_sse_progress_then_result)
{
    char sid[64];
    open_session(sid, sizeof(sid));
    struct hreply r;
    mcp_post(count_call, "application/json, text/event-stream", sid, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.ctype, "text/event-stream");
    /* three strictly increasing progress events (the repeats were dropped), then the result */
    const char *p = r.body;
    double last = 0;
    int n_progress = 0;
    while ((p = strstr(p, "data: ")) != NULL) {
        p += 6;
        json_t *j = json_loadb(p, strcspn(p, "\n"), 0, NULL);
        ck_assert_ptr_nonnull(j);
        const char *method = jsonx_get_str(j, "method");
        if (method) {
            ck_assert_str_eq(method, "notifications/progress");
            json_t *params = json_object_get(j, "params");
            ck_assert_str_eq(jsonx_get_str(params, "progressToken"), "tok");
            double v = json_number_value(json_object_get(params, "progress"));
            ck_assert(v > last);
            last = v;
            n_progress++;
        } else {
            ck_assert_int_eq(n_progress, 3);
            ck_assert_str_eq(jsonx_get_str(j, "id"), "c1");
            json_t *sc = json_object_get(json_object_get(j, "result"), "structuredContent");
            ck_assert_int_eq(json_integer_value(json_object_get(sc, "counted")), 3);
        }
        json_decref(j);
    }
    ck_assert_int_eq(n_progress, 3);
    ck_assert_ptr_nonnull(strstr(r.body, "\"counted\":3"));
    xfree(r.body);
}
END_TEST

START_TEST(test_http_long_call_json_only)
{
    char sid[64];
    open_session(sid, sizeof(sid));
    struct hreply r;
    /* JSON only: never SSE; the long call runs off the pool and the body is one response */
    mcp_post(count_call, "application/json", sid, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.ctype, "application/json; charset=utf-8");
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_msg(j != NULL, "%s", r.body);
    ck_assert_str_eq(jsonx_get_str(j, "id"), "c1");
    ck_assert_ptr_null(strstr(r.body, "notifications/progress"));
    json_decref(j);
    xfree(r.body);
    /* a short call answers in the handler, as application/json */
    mcp_post(
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
        "\"arguments\":{\"text\":\"x\"},\"_meta\":{\"progressToken\":1}}}",
        "application/json, text/event-stream", sid, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.ctype, "text/event-stream");
    ck_assert_ptr_nonnull(strstr(r.body, "\"echo\":\"x\""));
    xfree(r.body);
}
END_TEST

struct bg_call {
    char sid[64];
    struct hreply r;
};

static void *bg_main(void *arg)
{
    struct bg_call *b = arg;
    mcp_post("{\"jsonrpc\":\"2.0\",\"id\":\"long\",\"method\":\"tools/call\",\"params\":"
             "{\"name\":\"count\",\"arguments\":{\"n\":500}}}",
             "application/json", b->sid, &b->r);
    return NULL;
}

START_TEST(test_http_cancel_stops_a_long_call)
{
    struct bg_call b;
    memset(&b, 0, sizeof(b));
    open_session(b.sid, sizeof(b.sid));
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, bg_main, &b), 0);
    usleep(300000);
    struct hreply r;
    mcp_post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":"
             "{\"requestId\":\"long\",\"reason\":\"test\"}}",
             "application/json, text/event-stream", b.sid, &r);
    ck_assert_int_eq(r.status, 202);
    ck_assert_uint_eq(r.len, 0);
    xfree(r.body);
    pthread_join(th, NULL);
    ck_assert_int_eq(b.r.status, 200);
    json_t *j = json_loads(b.r.body, 0, NULL);
    ck_assert_msg(j != NULL, "%s", b.r.body);
    json_int_t counted = json_integer_value(json_object_get(
        json_object_get(json_object_get(j, "result"), "structuredContent"), "counted"));
    ck_assert_msg(counted > 0 && counted < 500, "counted %lld", (long long)counted);
    json_decref(j);
    xfree(b.r.body);
}
END_TEST

START_TEST(test_http_long_calls_capped)
{
    struct bg_call b;
    memset(&b, 0, sizeof(b));
    open_session(b.sid, sizeof(b.sid));
    pthread_mutex_lock(&mcp->mu);
    mcp->max_threads = 1;
    pthread_mutex_unlock(&mcp->mu);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, bg_main, &b), 0);
    usleep(300000);
    /* the one thread is busy: a second long call is refused at once, not run on the pool */
    struct hreply r;
    mcp_post(count_call, "application/json", b.sid, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_msg(j != NULL, "%s", r.body);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "error"), "code")),
                     -32000);
    json_decref(j);
    xfree(r.body);
    mcp_post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":"
             "{\"requestId\":\"long\"}}",
             "application/json", b.sid, &r);
    xfree(r.body);
    pthread_join(th, NULL);
    ck_assert_int_eq(b.r.status, 200);
    xfree(b.r.body);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("mcp_rpc");
    TCase *tc = tcase_create("rpc");
    tcase_add_test(tc, test_classify);
    tcase_add_test(tc, test_initialize_negotiates);
    tcase_add_test(tc, test_tools_list_and_read_only);
    tcase_add_test(tc, test_tools_call);
    tcase_add_test(tc, test_resources_and_methods);
    tcase_add_test(tc, test_modern_results);
    tcase_add_test(tc, test_header_decode);
    tcase_add_test(tc, test_sessions);
    suite_add_tcase(s, tc);
    TCase *th = tcase_create("http");
    tcase_add_checked_fixture(th, http_setup, http_teardown);
    tcase_set_timeout(th, 30);
    tcase_add_test(th, test_http_sse_progress_then_result);
    tcase_add_test(th, test_http_long_call_json_only);
    tcase_add_test(th, test_http_cancel_stops_a_long_call);
    tcase_add_test(th, test_http_long_calls_capped);
    suite_add_tcase(s, th);
    return s;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
