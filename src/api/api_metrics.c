/* SPDX-License-Identifier: MIT */
/* api_metrics.c -- GET /metrics in the Prometheus text format.
 *
 * Open without a token from loopback (a local scraper); from elsewhere it needs the same
 * token as /api/. Shows HTTP requests by status class, runs by status and process RSS. */
#include <stdio.h>
#include <unistd.h>

#include "api/api_int.h"
#include "core/buf.h"

static const char *const states[] = {"queued",  "running", "success",
                                     "partial", "failed",  "cancelled"};

static long long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long long size = 0, rss = -1;
    if (!f)
        return -1;
    if (fscanf(f, "%lld %lld", &size, &rss) != 2)
        rss = -1;
    fclose(f);
    return rss < 0 ? -1 : rss * sysconf(_SC_PAGESIZE);
}

static void put_runs(struct api_server *a, struct buf *b)
{
    buf_puts(b, "# HELP cyberbrain_runs Runs stored, by status.\n# TYPE cyberbrain_runs gauge\n");
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        struct store_run_filter f = {.status = states[i], .offset = 0, .limit = 1};
        json_t *results = NULL;
        int64_t count = 0;
        if (store_run_list(a->ctx.st, &f, &results, &count, NULL) == ERR_OK)
            buf_printf(b, "cyberbrain_runs{status=\"%s\"} %lld\n", states[i], (long long)count);
        json_decref(results);
    }
}

void api_metrics_get(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    if (!http_req_is_loopback(req) && !api_auth_check(app, req, resp))
        return;
    struct http_stats hs;
    struct buf b;
    buf_init(&b, 64 * 1024);
    http_server_stats_get(a->http, &hs);
    buf_puts(&b, "# HELP cyberbrain_http_requests_total HTTP requests answered, by status "
                 "class.\n# TYPE cyberbrain_http_requests_total counter\n");
    for (int i = 1; i <= 5; i++)
        buf_printf(&b, "cyberbrain_http_requests_total{code=\"%dxx\"} %llu\n", i,
                   (unsigned long long)hs.by_class[i]);
    buf_printf(&b,
               "# HELP cyberbrain_sse_streams Open event streams.\n"
               "# TYPE cyberbrain_sse_streams gauge\ncyberbrain_sse_streams %llu\n",
               (unsigned long long)hs.sse_open);
    put_runs(a, &b);
    buf_printf(&b,
               "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
               "# TYPE process_resident_memory_bytes gauge\n"
               "process_resident_memory_bytes %lld\n",
               rss_bytes());
    http_reply_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", buf_str(&b),
                    buf_len(&b));
    buf_fini(&b);
}
