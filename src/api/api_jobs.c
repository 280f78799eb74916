/* SPDX-License-Identifier: MIT */
/* api_jobs.c -- /api/jobs/: list (filter ?run=) and get. */
#include "api/api_int.h"

void api_jobs_list(void *app, struct http_req *req, struct http_resp *resp)
{
    static const char *const keep[] = {"run", NULL};
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    struct api_page pg;
    const char *run = NULL;
    int64_t run_id = 0, count = 0;
    json_t *results = NULL;
    if (!api_page_parse(req, resp, &pg) || !api_query_get(req, resp, "run", &run))
        return;
    if (run && http_parse_int64(run, 1, INT64_MAX, &run_id) != ERR_OK) {
        http_reply_field_error(resp, "run", "A valid positive integer is required.");
        return;
    }
    enum err e = store_job_list(a->ctx.st, run_id, (pg.page - 1) * pg.page_size, pg.page_size,
                                &results, &count, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    api_page_reply(req, resp, "/api/jobs/", keep, &pg, count, results);
}

void api_jobs_get(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *job = NULL;
    enum err e = store_job_get(a->ctx.st, req->ids[0], &job, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    http_reply_json(resp, 200, job);
}
