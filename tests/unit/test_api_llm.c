/* SPDX-License-Identifier: MIT */
/* test_api_llm.c -- GET /api/runs/{id}/explain/ on a real server with an in-process stub LLM
 * on 127.0.0.1 (an OpenAI-style SSE stream it writes chunk by chunk): the chunks and the
 * counts reach the client, the call is recorded with the counts only; a client that goes
 * away stops the call ("cancelled"); stopping the server while an explanation streams
 * returns (the explanation thread sees its stream gone). The MCP tool explain_run shares the
 * explainer (explain/) with the endpoint: its progress carries the chunks, its result the
 * counts, a cancel stops the call, and the cap of explanations at once is one for both.
 * Threads: run under TSan too. */
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "mcp/mcp_int.h"
#include "unit/api_fixture.h"
}

/* ---- the stub LLM ---- */

struct stub {
    int fd;
    int port;
    pthread_t th;
    bool is_running;
    atomic_bool is_stopping;
    atomic_int n_conns; /* connections being answered (one thread each) */
    int n_chunks;       /* content chunks per answer */
    int chunk_wait_ms;  /* pause before each chunk */
};

static struct stub stub;

/* Read one request (headers and Content-Length body); returns its first line. */
static void read_request(int c, char *line, size_t cap)
{
    char buf[16384];
    size_t n = 0;
    ssize_t k;
    char *end = NULL;
    while (n < sizeof(buf) - 1 && (k = recv(c, buf + n, sizeof(buf) - 1 - n, 0)) > 0) {
        n += (size_t)k;
        buf[n] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (!end)
            continue;
        const char *cl = strcasestr(buf, "Content-Length: ");
        size_t want = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 16, NULL, 10) : 0);
        if (n >= want || want >= sizeof(buf))
            break;
    }
    buf[n] = '\0';
    char *nl = strstr(buf, "\r\n");
    snprintf(line, cap, "%.*s", nl ? (int)(nl - buf) : 0, buf);
}

static bool send_all(int c, const char *s)
{
    size_t len = strlen(s);
    while (len) {
        ssize_t k = send(c, s, len, MSG_NOSIGNAL);
        if (k <= 0)
            return false;
        s += k;
        len -= (size_t)k;
    }
    return true;
}

static void answer_chat(int c)
{
    send_all(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
    for (int i = 0; i < stub.n_chunks && !atomic_load(&stub.is_stopping); i++) {
        for (int w = 0; w < stub.chunk_wait_ms && !atomic_load(&stub.is_stopping); w += 10)
            usleep(10000);
        char line[256];
        snprintf(line, sizeof(line),
                 "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"part%d \"}}]}\n\n", i);
        if (!send_all(c, line))
            return;
    }
    send_all(c, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":3,"
                "\"total_tokens\":14}}\n\ndata: [DONE]\n\n");
}

static void *conn_main(void *arg)
{
    int c = (int)(intptr_t)arg;
    char line[256];
    read_request(c, line, sizeof(line));
    if (strncmp(line, "GET /v1/models", 14) == 0)
        send_all(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    "Content-Length: 27\r\nConnection: close\r\n\r\n"
                    "{\"object\":\"list\",\"data\":[]}");
    else if (strncmp(line, "POST /v1/chat/completions", 25) == 0)
        answer_chat(c);
    else
        send_all(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    close(c);
    atomic_fetch_sub(&stub.n_conns, 1);
    return NULL;
}

static void *stub_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&stub.is_stopping)) {
        struct pollfd p = {.fd = stub.fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(stub.fd, NULL, NULL);
        if (c < 0)
            continue;
        pthread_t th;
        atomic_fetch_add(&stub.n_conns, 1);
        ck_assert_int_eq(pthread_create(&th, NULL, conn_main, (void *)(intptr_t)c), 0);
        pthread_detach(th);
    }
    return NULL;
}

static void stub_start(int n_chunks, int chunk_wait_ms)
{
    memset(&stub, 0, sizeof(stub));
    stub.n_chunks = n_chunks;
    stub.chunk_wait_ms = chunk_wait_ms;
    stub.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(stub.fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(stub.fd, 8), 0);
    socklen_t al = sizeof(a);
    getsockname(stub.fd, (struct sockaddr *)&a, &al);
    stub.port = ntohs(a.sin_port);
    ck_assert_int_eq(pthread_create(&stub.th, NULL, stub_main, NULL), 0);
    stub.is_running = true;
    xfree(cfg.llm_base_url);
    cfg.llm_base_url = xasprintf("http://127.0.0.1:%d", stub.port);
}

/* Stop accepting, end the answers in progress (cut short) and wait for them. */
static void stub_stop(void)
{
    if (!stub.is_running)
        return;
    atomic_store(&stub.is_stopping, true);
    pthread_join(stub.th, NULL);
    while (atomic_load(&stub.n_conns) > 0)
        usleep(10000);
    close(stub.fd);
    stub.is_running = false;
}

static void llm_setup(void)
{
    setup();
    cfg.llm_api = xstrdup("openai");
    cfg.llm_model = xstrdup("stub");
    cfg.llm_connect_timeout_ms = 2000;
    cfg.llm_timeout_ms = 60000;
    cfg.llm_max_prompt_tokens = 4000;
    cfg.llm_max_tokens = 64;
    cfg.is_llm_stream = true;
}

static void llm_teardown(void)
{
    stub_stop();
    teardown();
    xfree(cfg.llm_base_url);
    xfree(cfg.llm_api);
    xfree(cfg.llm_model);
    cfg.llm_base_url = cfg.llm_api = cfg.llm_model = NULL;
}

/* A run of log_triage that ended with a report. */
static int64_t ended_run(void)
{
    struct errbuf eb = {{0}};
    static const char *const tasks[] = {"log_triage"};
    struct store_launch l = {.tasks = tasks, .n_tasks = 1, .lookback_ms = 3600000};
    json_t *run = NULL;
    ck_assert_msg(store_run_launch(st, &l, &run, &eb) == ERR_OK, "%s", eb.msg);
    int64_t run_id = json_integer_value(json_object_get(run, "id"));
    json_decref(run);
    struct store_claim c;
    bool got = false, done = false;
    ck_assert_int_eq(store_job_claim(st, "t", 60000, run_id, &c, &got, &eb), ERR_OK);
    ck_assert(got);
    ck_assert_int_eq(store_job_finish(st, c.job_id, "success", NULL,
                                      "{\"templates\":{\"top\":[{\"template\":\"disk full\","
                                      "\"count\":3}]}}",
                                      NULL, &done, &eb),
                     ERR_OK);
    store_claim_fini(&c);
    ck_assert_int_eq(store_run_end(st, run_id, "# r", "{\"run_id\":1,\"jobs\":[]}", &eb), ERR_OK);
    return run_id;
}

/* The newest llm_calls row, waiting (bounded) until there is one. */
static json_t *last_call(void)
{
    struct errbuf eb = {{0}};
    for (int i = 0; i < 1000; i++) {
        json_t *rows = NULL;
        int64_t count = 0;
        ck_assert_int_eq(store_llm_call_list(st, 0, 0, 1, &rows, &count, &eb), ERR_OK);
        if (count > 0) {
            json_t *row = json_incref(json_array_get(rows, 0));
            json_decref(rows);
            return row;
        }
        json_decref(rows);
        usleep(20000);
    }
    ck_abort_msg("no llm_calls row");
    return NULL;
}

/* ---- the MCP tool explain_run, called as the transport calls it ---- */

struct mcp_probe {
    struct mcp_call call;
    double progress[64];
    int n_progress;
    char said[1024];  /* the progress messages, concatenated */
    int cancel_after; /* > 0: cancelled once this many progress notifications came */
};

static void mp_progress(struct mcp_call *c, double progress, double total, const char *message)
{
    struct mcp_probe *p = c->transport;
    ck_assert(total <= 0);
    if (p->n_progress < 64)
        p->progress[p->n_progress] = progress;
    p->n_progress++;
    size_t used = strlen(p->said);
    snprintf(p->said + used, sizeof(p->said) - used, "%s", message ? message : "");
}

static bool mp_is_cancelled(struct mcp_call *c)
{
    struct mcp_probe *p = c->transport;
    return p->cancel_after > 0 && p->n_progress >= p->cancel_after;
}

/* Call explain_run on run_id with the fixture's explainer; *out and *text as the tool set. */
static enum err
mcp_explain(struct mcp_probe *p, int64_t run_id, json_t **out, char **text, struct errbuf *eb)
{
    static struct mcp_env env;
    size_t n = 0;
    const struct mcp_tool *tab = mcp_tools_get(&n), *t = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(tab[i].name, "explain_run") == 0)
            t = &tab[i];
    ck_assert_ptr_nonnull(t);
    ck_assert(t->flags & MCP_TOOL_LONG);
    env = (struct mcp_env){.cfg = &cfg, .st = st, .ev = ev, .explainer = explainer};
    p->call = (struct mcp_call){
        .env = &env, .progress = mp_progress, .is_cancelled = mp_is_cancelled, .transport = p};
    json_t *args = json_pack("{s:I}", "run_id", (json_int_t)run_id);
    *out = NULL;
    *text = NULL;
    memset(eb, 0, sizeof(*eb));
    enum err e = t->call(&p->call, args, out, text, eb);
    json_decref(args);
    return e;
}

START_TEST(test_explain_streams_and_records)
{
    stub_start(3, 0);
    int64_t run_id = ended_run();
    char path[64];
    snprintf(path, sizeof(path), "/api/runs/%lld/explain/", (long long)run_id);
    struct reply r;
    get(path, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.ctype, "text/event-stream; charset=utf-8");
    ck_assert_ptr_nonnull(strstr(r.body, "event: start\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "event: chunk\ndata: {\"text\":\"part0 \"}\n\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "event: chunk\ndata: {\"text\":\"part2 \"}\n\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "event: done\n"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"prompt_tokens\":11"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"total_tokens\":14"));
    reply_fini(&r);
    json_t *call = last_call();
    ck_assert_str_eq(json_string_value(json_object_get(call, "status")), "success");
    ck_assert_int_eq(json_integer_value(json_object_get(call, "prompt_tokens")), 11);
    ck_assert_int_eq(json_integer_value(json_object_get(call, "completion_tokens")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(call, "total_tokens")), 14);
    ck_assert_str_eq(json_string_value(json_object_get(call, "endpoint_host")), "127.0.0.1");
    json_decref(call);
    snprintf(path, sizeof(path), "/api/runs/%lld/", (long long)run_id);
    get(path, &r);
    ck_assert_int_eq(json_integer_value(
                         json_object_get(json_object_get(r.json, "token_totals"), "total_tokens")),
                     14);
    reply_fini(&r);
}
END_TEST

/* Stop reading after the first chunk. */
static size_t on_first_chunk(char *data, size_t size, size_t n, void *ctx)
{
    struct reply *r = ctx;
    on_body(data, size, n, r);
    return strstr(r->body, "event: chunk") ? 0 : size * n;
}

START_TEST(test_explain_client_gone_cancels)
{
    stub_start(200, 100);
    int64_t run_id = ended_run();
    char path[96];
    snprintf(path, sizeof(path), "/api/runs/%lld/explain/", (long long)run_id);
    struct reply r = {0};
    ck_assert_int_eq(stream_get(path, NULL, 30L, on_first_chunk, &r, NULL), CURLE_WRITE_ERROR);
    xfree(r.body);
    json_t *call = last_call(); /* written when the call stopped, long before 200 chunks */
    ck_assert_str_eq(json_string_value(json_object_get(call, "status")), "cancelled");
    ck_assert(json_is_null(json_object_get(call, "total_tokens")));
    json_decref(call);
}
END_TEST

struct bg_get {
    int64_t run_id;
    atomic_bool has_chunk;
    CURLcode rc;
    struct reply r;
};

static size_t on_bg(char *data, size_t size, size_t n, void *ctx)
{
    struct bg_get *g = ctx;
    on_body(data, size, n, &g->r);
    if (strstr(g->r.body, "event: chunk"))
        atomic_store(&g->has_chunk, true);
    return size * n;
}

static void *bg_main(void *arg)
{
    struct bg_get *g = arg;
    char path[96];
    snprintf(path, sizeof(path), "/api/runs/%lld/explain/", (long long)g->run_id);
    g->rc = stream_get(path, NULL, 50L, on_bg, g, NULL);
    return NULL;
}

/* Stopping the server while an explanation streams returns: the thread sees its stream gone
 * and stops the LLM call (the Check timeout catches a hang). */
START_TEST(test_stop_while_explaining)
{
    stub_start(10000, 200);
    struct bg_get g = {.run_id = ended_run()};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, bg_main, &g), 0);
    while (!atomic_load(&g.has_chunk))
        usleep(10000);
    api_server_stop(srv);
    srv = NULL;
    pthread_join(th, NULL);
    ck_assert_int_ne(g.rc, CURLE_OPERATION_TIMEDOUT);
    ck_assert_ptr_null(strstr(g.r.body, "event: done"));
    xfree(g.r.body);
    json_t *call = last_call();
    ck_assert_str_eq(json_string_value(json_object_get(call, "status")), "cancelled");
    json_decref(call);
}
END_TEST

/* At most 4 explanations at once: the fifth answers 503 while they stream, and goes
 * through once they ended. */
START_TEST(test_explain_slots)
{
    stub_start(10000, 100);
    int64_t run_id = ended_run();
    struct bg_get g[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        memset(&g[i], 0, sizeof(g[i]));
        g[i].run_id = run_id;
        ck_assert_int_eq(pthread_create(&th[i], NULL, bg_main, &g[i]), 0);
        while (!atomic_load(&g[i].has_chunk))
            usleep(10000);
    }
    char path[64];
    snprintf(path, sizeof(path), "/api/runs/%lld/explain/", (long long)run_id);
    struct reply r;
    get(path, &r);
    ck_assert_int_eq(r.status, 503);
    ck_assert_ptr_nonnull(strstr(r.body, "Too many explanations"));
    reply_fini(&r);
    /* One cap for both front ends: the MCP tool finds no slot either. */
    struct mcp_probe p = {0};
    json_t *out = NULL;
    char *text = NULL;
    struct errbuf eb;
    ck_assert_int_eq(mcp_explain(&p, run_id, &out, &text, &eb), ERR_UNAVAILABLE);
    ck_assert_ptr_nonnull(strstr(eb.msg, "Too many explanations"));
    stub_stop(); /* the four answers end (cut short) */
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ck_assert_ptr_nonnull(strstr(g[i].r.body, "event: done"));
        xfree(g[i].r.body);
    }
    stub_start(1, 0);
    /* A slot comes back when its thread has recorded the call, just after the stream ended. */
    for (int i = 0; i < 500; i++) {
        get(path, &r);
        if (r.status != 503)
            break;
        reply_fini(&r);
        usleep(10000);
    }
    ck_assert_int_eq(r.status, 200);
    reply_fini(&r);
}
END_TEST

START_TEST(test_explain_errors)
{
    stub_start(1, 0);
    struct reply r;
    get("/api/runs/424242/explain/", &r);
    ck_assert_int_eq(r.status, 404);
    reply_fini(&r);
    int64_t run_id = ended_run();
    char path[64];
    snprintf(path, sizeof(path), "/api/runs/%lld/explain/", (long long)run_id);
    xfree(cfg.llm_base_url);
    cfg.llm_base_url = xstrdup("http://0.0.0.0:1/");
    get(path, &r);
    ck_assert_int_eq(r.status, 403);
    ck_assert_ptr_nonnull(strstr(r.body, "unspecified"));
    reply_fini(&r);
    json_t *call = last_call();
    ck_assert_str_eq(json_string_value(json_object_get(call, "status")), "refused");
    json_decref(call);
    xfree(cfg.llm_base_url);
    cfg.llm_base_url = NULL;
    get(path, &r);
    ck_assert_int_eq(r.status, 409);
    reply_fini(&r);
}
END_TEST

/* explain_run: each chunk a progress notification (1, 2, 3; the message is the chunk), the
 * whole text as the result, the counts as the server reported them and as recorded. */
START_TEST(test_mcp_explain_streams_and_records)
{
    stub_start(3, 0);
    int64_t run_id = ended_run();
    struct mcp_probe p = {0};
    json_t *out = NULL;
    char *text = NULL;
    struct errbuf eb;
    enum err e = mcp_explain(&p, run_id, &out, &text, &eb);
    ck_assert_msg(e == ERR_OK, "%s", eb.msg);
    ck_assert_str_eq(text, "part0 part1 part2 ");
    ck_assert_str_eq(p.said, text);
    ck_assert_int_eq(p.n_progress, 3);
    for (int i = 0; i < 3; i++)
        ck_assert(p.progress[i] == (double)(i + 1));
    ck_assert_int_eq(json_integer_value(json_object_get(out, "run_id")), run_id);
    ck_assert_str_eq(json_string_value(json_object_get(out, "model")), "stub");
    ck_assert_str_eq(json_string_value(json_object_get(out, "api")), "openai");
    ck_assert_int_eq(json_integer_value(json_object_get(out, "prompt_tokens")), 11);
    ck_assert_int_eq(json_integer_value(json_object_get(out, "completion_tokens")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(out, "total_tokens")), 14);
    json_t *call = last_call();
    ck_assert_int_eq(json_integer_value(json_object_get(call, "id")),
                     json_integer_value(json_object_get(out, "llm_call_id")));
    ck_assert_str_eq(json_string_value(json_object_get(call, "status")), "success");
    ck_assert_int_eq(json_integer_value(json_object_get(call, "total_tokens")), 14);
    json_decref(call);
    json_decref(out);
    xfree(text);
}
END_TEST

/* A cancelled call stops the model (long before its 200 chunks) and is recorded cancelled. */
START_TEST(test_mcp_explain_cancel)
{
    stub_start(200, 100);
    int64_t run_id = ended_run();
    struct mcp_probe p = {.cancel_after = 1};
    json_t *out = NULL;
    char *text = NULL;
    struct errbuf eb;
    enum err e = mcp_explain(&p, run_id, &out, &text, &eb);
    ck_assert_int_eq(e, ERR_CONFLICT);
    ck_assert_ptr_nonnull(strstr(eb.msg, "cancelled"));
    ck_assert_ptr_null(out);
    ck_assert_ptr_null(text);
    ck_assert_int_lt(p.n_progress, 10);
    json_t *call = last_call();
    ck_assert_str_eq(json_string_value(json_object_get(call, "status")), "cancelled");
    json_decref(call);
}
END_TEST

/* The tool's errors: not configured, no such run, refused (audited), bad arguments. */
START_TEST(test_mcp_explain_errors)
{
    struct mcp_probe p = {0};
    json_t *out = NULL;
    char *text = NULL;
    struct errbuf eb;
    int64_t run_id = ended_run();
    ck_assert_int_eq(mcp_explain(&p, run_id, &out, &text, &eb), ERR_CONFLICT);
    ck_assert_ptr_nonnull(strstr(eb.msg, "LLM_BASE_URL"));
    cfg.llm_base_url = xstrdup("http://0.0.0.0:1/");
    ck_assert_int_eq(mcp_explain(&p, 424242, &out, &text, &eb), ERR_NOT_FOUND);
    ck_assert_int_eq(mcp_explain(&p, run_id, &out, &text, &eb), ERR_FORBIDDEN);
    ck_assert_ptr_nonnull(strstr(eb.msg, "unspecified"));
    json_t *call = last_call(), *audit = NULL;
    ck_assert_str_eq(json_string_value(json_object_get(call, "status")), "refused");
    json_decref(call);
    int64_t count = 0;
    ck_assert_int_eq(store_audit_list(st, "llm_refused", run_id, 0, 10, &audit, &count, &eb),
                     ERR_OK);
    ck_assert_int_eq(count, 1);
    json_decref(audit);
    size_t n = 0;
    const struct mcp_tool *tab = mcp_tools_get(&n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(tab[i].name, "explain_run") != 0)
            continue;
        json_t *bad = json_pack("{s:I,s:b}", "run_id", (json_int_t)run_id, "stream", 1);
        ck_assert_int_eq(tab[i].call(&p.call, bad, &out, &text, &eb), ERR_INVALID);
        json_decref(bad);
        bad = json_pack("{s:s}", "run_id", "1");
        ck_assert_int_eq(tab[i].call(&p.call, bad, &out, &text, &eb), ERR_INVALID);
        json_decref(bad);
    }
    ck_assert_ptr_null(out);
    ck_assert_int_eq(p.n_progress, 0);
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("api_llm");
    TCase *tc = tcase_create("explain");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, llm_setup, llm_teardown);
    tcase_add_test(tc, test_explain_streams_and_records);
    tcase_add_test(tc, test_explain_client_gone_cancels);
    tcase_add_test(tc, test_stop_while_explaining);
    tcase_add_test(tc, test_explain_slots);
    tcase_add_test(tc, test_explain_errors);
    tcase_add_test(tc, test_mcp_explain_streams_and_records);
    tcase_add_test(tc, test_mcp_explain_cancel);
    tcase_add_test(tc, test_mcp_explain_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
