/* SPDX-License-Identifier: MIT */
/* mcp_resources.c -- run reports as MCP resources: cyberbrain://runs/{id}/report.md
 * (text/markdown) and .../report.json (application/json), listed for ended runs newest
 * first with cursor pagination, and one resource template for each form. */
#include <stdio.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "mcp/mcp_tools_int.h"

#define URI_PREFIX "cyberbrain://runs/"
#define RES_PAGE   20 /* runs per page (two resources each) */

static const struct {
    const char *ext;
    const char *mime;
    const char *what;
} forms[] = {{"md", "text/markdown", "Markdown"}, {"json", "application/json", "JSON"}};

/* Append the two resources of run (which ended) to arr. */
static void add_run(json_t *arr, const json_t *run)
{
    long long id = (long long)json_integer_value(json_object_get(run, "id"));
    const char *status = jsonx_get_str(run, "status");
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        char uri[96], name[64], title[128];
        snprintf(uri, sizeof(uri), URI_PREFIX "%lld/report.%s", id, forms[i].ext);
        snprintf(name, sizeof(name), "run-%lld-report.%s", id, forms[i].ext);
        snprintf(title, sizeof(title), "Report of run %lld (%s), %s", id, status ? status : "?",
                 forms[i].what);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s}", "uri", uri, "name", name, "title",
                                             title, "mimeType", forms[i].mime));
    }
}

enum err mcp_resources_list(const struct mcp_env *env,
                            const char *cursor,
                            json_t **resources,
                            char **next_cursor,
                            struct errbuf *eb)
{
    struct store_run_filter f = {.limit = RES_PAGE};
    struct mcp_pos pos = {0, 0};
    json_t *runs = NULL, *run;
    int64_t count = 0;
    size_t i;
    *resources = NULL;
    *next_cursor = NULL;
    enum err e = mcp_cursor_parse(cursor, "reports", "", &pos, eb);
    f.offset = pos.offset;
    f.max_id = pos.max_id;
    if (e == ERR_OK)
        e = store_run_list(env->st, &f, &runs, &count, eb);
    if (e != ERR_OK) {
        json_decref(runs);
        return e;
    }
    *resources = json_array();
    json_array_foreach(runs, i, run)
    {
        const char *s = jsonx_get_str(run, "status");
        if (s && strcmp(s, "queued") != 0 && strcmp(s, "running") != 0)
            add_run(*resources, run);
    }
    if (!pos.max_id)
        pos.max_id = json_integer_value(json_object_get(json_array_get(runs, 0), "id"));
    pos.offset += (int64_t)json_array_size(runs);
    if (pos.offset < count && json_array_size(runs) > 0)
        *next_cursor = mcp_cursor_new("reports", &pos, "");
    json_decref(runs);
    return ERR_OK;
}

json_t *mcp_resource_templates_get(void)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        char tpl[64], name[32], title[64];
        snprintf(tpl, sizeof(tpl), URI_PREFIX "{run_id}/report.%s", forms[i].ext);
        snprintf(name, sizeof(name), "run-report-%s", forms[i].ext);
        snprintf(title, sizeof(title), "Report of a run (%s)", forms[i].what);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s}", "uriTemplate", tpl, "name",
                                             name, "title", title, "description",
                                             "The report a run wrote when it ended.", "mimeType",
                                             forms[i].mime));
    }
    return arr;
}

/* Parse URI_PREFIX "<id>/report.<ext>": the run id and the form; false when not one. */
static bool parse_uri(const char *uri, int64_t *id, size_t *form)
{
    size_t n = strlen(URI_PREFIX), digits = 0;
    int64_t v = 0;
    if (!uri || strncmp(uri, URI_PREFIX, n) != 0)
        return false;
    const char *p = uri + n;
    for (; p[digits] >= '0' && p[digits] <= '9'; digits++) {
        if (digits >= 18 || (digits == 0 && p[digits] == '0'))
            return false;
        v = v * 10 + (p[digits] - '0');
    }
    if (digits == 0)
        return false;
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        char tail[16];
        snprintf(tail, sizeof(tail), "/report.%s", forms[i].ext);
        if (strcmp(p + digits, tail) == 0) {
            *id = v;
            *form = i;
            return true;
        }
    }
    return false;
}

enum err
mcp_resource_read(const struct mcp_env *env, const char *uri, json_t **contents, struct errbuf *eb)
{
    int64_t id = 0;
    size_t form = 0;
    json_t *rep = NULL;
    char *text = NULL;
    *contents = NULL;
    if (!parse_uri(uri, &id, &form)) {
        char q[40];
        err_quote_user(q, sizeof(q), uri ? uri : "");
        return errbuf_set(eb, ERR_NOT_FOUND,
                          "no resource \"%s\" (give " URI_PREFIX "{run_id}/report.md or .json)", q);
    }
    enum err e = store_run_report_get(env->st, id, &rep, eb);
    if (e == ERR_OK) {
        const json_t *j = json_object_get(rep, "json");
        const char *md = jsonx_get_str(rep, "markdown");
        if (form == 0 && md)
            text = xstrdup(md);
        else if (form == 1 && json_is_object(j))
            text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (!text)
            e = errbuf_set(eb, ERR_NOT_FOUND, "run %lld has no report yet", (long long)id);
    }
    if (e == ERR_OK)
        *contents =
            json_pack("[{s:s,s:s,s:s}]", "uri", uri, "mimeType", forms[form].mime, "text", text);
    json_decref(rep);
    xfree(text);
    return e;
}
