/* SPDX-License-Identifier: MIT */
/* mcp_load.c -- the MCP load client of `make bench` (scripts/bench-mcp.sh runs it against a
 * live `cyberbrain serve`): SESSIONS threads each open their own MCP session (initialize +
 * notifications/initialized, keep-alive connection) and send CALLS tools/call get_run
 * requests one after another; prints p50/p99 latency and calls/s. Bounded in count and time
 * (a 20 s timeout per request); exits 1 when any call failed or returned isError.
 *
 *   mcp_load URL TOKEN RUN_ID [SESSIONS=50] [CALLS=200] */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bench_util.h"

struct worker {
    const char *url;
    const char *token;
    long run_id;
    int calls;
    double *lat_ms; /* calls of them */
    int n_ok;
    int n_bad;
    char sid[128];
};

struct body {
    char buf[65536];
    size_t len;
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct body *b = ctx;
    size_t k = size * n;
    size_t room = sizeof(b->buf) - 1 - b->len;
    memcpy(b->buf + b->len, data, k < room ? k : room);
    b->len += k < room ? k : room;
    b->buf[b->len] = '\0';
    return k;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct worker *w = ctx;
    size_t k = size * n;
    if (k > 16 && strncasecmp(data, "Mcp-Session-Id: ", 16) == 0) {
        size_t v = k - 16;
        while (v && (data[16 + v - 1] == '\r' || data[16 + v - 1] == '\n'))
            v--;
        snprintf(w->sid, sizeof(w->sid), "%.*s", (int)v, data + 16);
    }
    return k;
}

/* POST one message; returns the HTTP status (0 on a transport error). */
static long post(CURL *c, struct worker *w, const char *msg, struct body *b)
{
    char auth[512], sid[200];
    struct curl_slist *h = NULL;
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", w->token);
    snprintf(sid, sizeof(sid), "Mcp-Session-Id: %s", w->sid);
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json, text/event-stream");
    if (w->sid[0]) {
        h = curl_slist_append(h, sid);
        h = curl_slist_append(h, "MCP-Protocol-Version: 2025-11-25");
    }
    b->len = 0;
    b->buf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, msg);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    return status;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct body b;
    char msg[512];
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, w->url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, w);
    long st = post(c, w,
                   "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
                   "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{"
                   "\"name\":\"mcp_load\",\"version\":\"1\"}}}",
                   &b);
    if (st != 200 || !w->sid[0]) {
        w->n_bad = w->calls;
        goto out;
    }
    post(c, w, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", &b);
    for (int i = 0; i < w->calls; i++) {
        snprintf(msg, sizeof(msg),
                 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{\"name\":"
                 "\"get_run\",\"arguments\":{\"run_id\":%ld}}}",
                 i + 1, w->run_id);
        double t0 = bench_now_ms();
        st = post(c, w, msg, &b);
        w->lat_ms[i] = bench_now_ms() - t0;
        if (st == 200 && strstr(b.buf, "\"result\"") && strstr(b.buf, "\"isError\":false"))
            w->n_ok++;
        else
            w->n_bad++;
    }
out:
    curl_easy_cleanup(c);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: mcp_load URL TOKEN RUN_ID [SESSIONS] [CALLS]\n");
        return 2;
    }
    int sessions = argc > 4 ? atoi(argv[4]) : 50;
    int calls = argc > 5 ? atoi(argv[5]) : 200;
    if (sessions < 1 || sessions > 1000 || calls < 1 || calls > 100000)
        return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct worker *w = calloc((size_t)sessions, sizeof(*w));
    pthread_t *th = calloc((size_t)sessions, sizeof(*th));
    double *all = calloc((size_t)sessions * (size_t)calls, sizeof(*all));
    if (!w || !th || !all)
        return 1;
    double t0 = bench_now_ms();
    for (int i = 0; i < sessions; i++) {
        w[i] = (struct worker){.url = argv[1],
                               .token = argv[2],
                               .run_id = atol(argv[3]),
                               .calls = calls,
                               .lat_ms = all + (size_t)i * (size_t)calls};
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    int ok = 0, bad = 0;
    for (int i = 0; i < sessions; i++) {
        pthread_join(th[i], NULL);
        ok += w[i].n_ok;
        bad += w[i].n_bad;
    }
    double secs = (bench_now_ms() - t0) / 1e3;
    size_t n = (size_t)sessions * (size_t)calls;
    qsort(all, n, sizeof(*all), bench_cmp_double);
    printf("mcp tools/call get_run: %d sessions x %d calls: p50 %.2f ms, p99 %.2f ms, "
           "%.0f calls/s, %d ok, %d failed\n",
           sessions, calls, all[n / 2], all[(n * 99) / 100], (double)n / secs, ok, bad);
    free(all);
    free(th);
    free(w);
    curl_global_cleanup();
    return bad ? 1 : 0;
}
