/* SPDX-License-Identifier: MIT */
/* api_schema.c -- GET /api/schema/: an OpenAPI 3.1 document built from the route table. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/buf.h"

/* "/api/runs/{id}/artifacts/{name...}" -> "/api/runs/{id}/artifacts/{name}" */
static void openapi_path(const char *pattern, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; pattern[i] && j + 1 < cap; i++) {
        if (strncmp(pattern + i, "...", 3) == 0) {
            i += 2;
            continue;
        }
        out[j++] = pattern[i];
    }
    out[j] = '\0';
}

static json_t *path_params(const char *pattern)
{
    json_t *arr = json_array();
    if (strstr(pattern, "{id}"))
        json_array_append_new(arr,
                              json_pack("{s:s,s:s,s:b,s:{s:s,s:i}}", "name", "id", "in", "path",
                                        "required", 1, "schema", "type", "integer", "minimum", 1));
    if (strstr(pattern, "{name...}"))
        json_array_append_new(arr, json_pack("{s:s,s:s,s:b,s:{s:s}}", "name", "name", "in", "path",
                                             "required", 1, "schema", "type", "string"));
    return arr;
}

static json_t *operation(const struct http_route *r)
{
    char id[128];
    size_t j = 0;
    const char *m = http_method_name(r->method);
    for (size_t i = 0; m[i] && j + 1 < sizeof(id); i++)
        id[j++] = (char)tolower((unsigned char)m[i]);
    for (size_t i = 0; r->pattern[i] && j + 1 < sizeof(id); i++)
        id[j++] = isalnum((unsigned char)r->pattern[i]) ? r->pattern[i] : '_';
    id[j] = '\0';
    int ok = r->method == HTTP_POST && strstr(r->pattern, "/cancel/") == NULL ? 201 : 200;
    if (r->method == HTTP_DELETE)
        ok = 204;
    char code[8];
    snprintf(code, sizeof(code), "%d", ok);
    json_t *resp = json_pack("{s:{s:s},s:{s:s},s:{s:s},s:{s:s}}", code, "description", "Success",
                             "400", "description", "Invalid input ({\"field\": [\"message\"]})",
                             "401", "description", "Missing or invalid token", "404", "description",
                             "Not found ({\"detail\": ...})");
    json_t *op =
        json_pack("{s:s,s:s,s:o,s:o}", "summary", r->summary ? r->summary : "", "operationId", id,
                  "parameters", path_params(r->pattern), "responses", resp);
    if (r->flags & HTTP_ROUTE_PUBLIC)
        json_object_set_new(op, "security", json_array());
    return op;
}

void api_schema_get(void *app, struct http_req *req, struct http_resp *resp)
{
    size_t n = 0;
    const struct http_route *routes = api_routes_get(&n);
    (void)app;
    (void)req;
    json_t *paths = json_object();
    for (size_t i = 0; i < n; i++) {
        char path[160], method[16];
        openapi_path(routes[i].pattern, path, sizeof(path));
        const char *m = http_method_name(routes[i].method);
        size_t k = 0;
        for (; m[k] && k + 1 < sizeof(method); k++)
            method[k] = (char)tolower((unsigned char)m[k]);
        method[k] = '\0';
        json_t *item = json_object_get(paths, path);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, path, item);
        }
        json_object_set_new(item, method, operation(&routes[i]));
    }
    json_t *doc = json_pack(
        "{s:s,s:{s:s,s:s,s:s},s:o,s:{s:{s:{s:s,s:s}}},s:[{s:[]}]}", "openapi", "3.1.0", "info",
        "title", "Cyberbrain Orchestrator API", "version", API_VERSION, "description",
        "Lists paginate as {count,next,previous,results} (?page=, ?page_size= 1..200). Errors "
        "are {\"detail\"} or {\"field\": [\"message\"]}. Task names accept log_triage|task1, "
        "gpu_report|task2, service_map|task3. GET /api/runs/{id}/report/ answers 200 with "
        "markdown and json null while the run has not ended.",
        "paths", paths, "components", "securitySchemes", "bearer", "type", "http", "scheme",
        "bearer", "security", "bearer");
    http_reply_json(resp, 200, doc);
}
