/* SPDX-License-Identifier: MIT */
/* api_templates.c -- /api/templates/: log_triage's template history (read-only). Only the
 * redacted template text is stored, so only that can be shown. */
#include <stdint.h>
#include <string.h>

#include "api/api_int.h"
#include "core/clock.h"
#include "store/store.h"

void api_templates_list(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    struct api_page pg;
    struct store_template_filter f = {0};
    json_t *results = NULL;
    int64_t count = 0, ms = 0;
    if (!api_page_parse(req, resp, &pg) || !api_query_get(req, resp, "level", &f.level) ||
        !api_query_get(req, resp, "new_since", &f.new_since))
        return;
    if (f.level && !store_template_level_ok(f.level)) {
        http_reply_field_error(resp, "level", "Give one of info, warning, error, critical.");
        return;
    }
    if (f.new_since && !clock_iso_parse(f.new_since, &ms)) {
        http_reply_field_error(resp, "new_since",
                               "Give an ISO 8601 UTC timestamp, e.g. 2026-11-24T10:00:00Z.");
        return;
    }
    f.offset = (pg.page - 1) * pg.page_size;
    f.limit = pg.page_size;
    enum err e = store_template_list(a->ctx.st, &f, &results, &count, &eb);
    if (e != ERR_OK) {
        json_decref(results);
        api_reply_err(resp, e, &eb);
        return;
    }
    static const char *const keep[] = {"level", "new_since", NULL};
    api_page_reply(req, resp, "/api/templates/", keep, &pg, count, results);
}

void api_templates_get(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *row = NULL;
    enum err e = store_template_get(a->ctx.st, req->tail ? req->tail : "", &row, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    http_reply_json(resp, 200, row);
}
