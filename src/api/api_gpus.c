/* SPDX-License-Identifier: MIT */
/* api_gpus.c -- /api/gpus/: gpu_report's history (read-only). Without from/to: the newest
 * stored sample; with ?from= and/or ?to= (ISO 8601 UTC): the GPU rows in [from, to),
 * newest first, paginated (?gpu_uuid= narrows). /api/gpus/containers/ pages the per
 * container rows the same way (?container=). Bad dates are 400 with the field named. */
#include <stdint.h>
#include <string.h>

#include "api/api_int.h"
#include "core/clock.h"
#include "store/store.h"

/* Read page, from, to and key_name into pg and f; false after replying 400/404. */
static bool read_filter(const struct http_req *req,
                        struct http_resp *resp,
                        const char *key_name,
                        struct api_page *pg,
                        struct store_gpu_filter *f)
{
    int64_t from_ms = 0, to_ms = 0;
    memset(f, 0, sizeof(*f));
    if (!api_page_parse(req, resp, pg) || !api_query_get(req, resp, "from", &f->from) ||
        !api_query_get(req, resp, "to", &f->to) || !api_query_get(req, resp, key_name, &f->key))
        return false;
    if (f->from && !clock_iso_parse(f->from, &from_ms)) {
        http_reply_field_error(resp, "from",
                               "Give an ISO 8601 UTC timestamp, e.g. 2026-11-24T10:00:00Z.");
        return false;
    }
    if (f->to && !clock_iso_parse(f->to, &to_ms)) {
        http_reply_field_error(resp, "to",
                               "Give an ISO 8601 UTC timestamp, e.g. 2026-11-24T10:00:00Z.");
        return false;
    }
    if (f->from && f->to && to_ms <= from_ms) {
        http_reply_field_error(resp, "to", "Give a time after from.");
        return false;
    }
    f->offset = (pg->page - 1) * pg->page_size;
    f->limit = pg->page_size;
    return true;
}

static void list(void *app, struct http_req *req, struct http_resp *resp, bool is_containers)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    struct api_page pg;
    struct store_gpu_filter f;
    json_t *results = NULL;
    int64_t count = 0;
    const char *key = is_containers ? "container" : "gpu_uuid";
    if (!read_filter(req, resp, key, &pg, &f))
        return;
    enum err e = is_containers ? store_gpu_container_list(a->ctx.st, &f, &results, &count, &eb)
                               : store_gpu_list(a->ctx.st, &f, &results, &count, &eb);
    if (e != ERR_OK) {
        json_decref(results);
        api_reply_err(resp, e, &eb);
        return;
    }
    const char *const keep[] = {"from", "to", key, NULL};
    api_page_reply(req, resp, is_containers ? "/api/gpus/containers/" : "/api/gpus/", keep, &pg,
                   count, results);
}

void api_gpus_list(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    const char *from = NULL, *to = NULL;
    json_t *latest = NULL;
    if (!api_query_get(req, resp, "from", &from) || !api_query_get(req, resp, "to", &to))
        return;
    if (from || to) {
        list(app, req, resp, false);
        return;
    }
    enum err e = store_gpu_latest(a->ctx.st, &latest, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    if (!latest)
        latest = json_pack("{s:n,s:n,s:n,s:[],s:[]}", "job_id", "run_id", "sampled_at", "gpus",
                           "containers");
    http_reply_json(resp, 200, latest);
}

void api_gpus_containers(void *app, struct http_req *req, struct http_resp *resp)
{
    list(app, req, resp, true);
}
