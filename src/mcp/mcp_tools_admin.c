/* SPDX-License-Identifier: MIT */
/* mcp_tools_admin.c -- the tools over directives, the allowlists, the inventory and the
 * worker audit: the store calls of /api/directives/, /api/worker-images/,
 * /api/containers/, /api/inventory/ and /api/audit/, with the same checks. */
#include <stdio.h>

#include "core/log.h"
#include "mcp/mcp_tools_int.h"

static const char *const no_args[] = {NULL};

/* Answer {"<key>": first MCP_LIST_MAX rows of list, "count", "is_truncated"}. */
static enum err small_list(
    struct mcp_call *c,
    const json_t *args,
    enum err (*list)(struct store *, int64_t, int64_t, json_t **, int64_t *, struct errbuf *),
    const char *key,
    json_t **out,
    struct errbuf *eb)
{
    json_t *rows = NULL;
    int64_t count = 0;
    enum err e = mcp_args_known(args, no_args, eb);
    if (e == ERR_OK)
        e = list(c->env->st, 0, MCP_LIST_MAX, &rows, &count, eb);
    if (e != ERR_OK) {
        json_decref(rows);
        return mcp_tool_fail(c, e, eb);
    }
    *out = json_pack("{s:o,s:I,s:b}", key, rows, "count", (json_int_t)count, "is_truncated",
                     count > (int64_t)json_array_size(rows));
    return ERR_OK;
}

enum err mcp_tool_list_directives(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    (void)text;
    return small_list(c, args, store_directive_list, "directives", out, eb);
}

enum err mcp_tool_list_worker_images(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    (void)text;
    return small_list(c, args, store_worker_image_list, "images", out, eb);
}

enum err mcp_tool_list_container_allowlist(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    (void)text;
    return small_list(c, args, store_container_list, "entries", out, eb);
}

enum err mcp_tool_get_directive(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    static const char *const known[] = {"directive_id", NULL};
    int64_t id = 0;
    (void)text;
    enum err e = mcp_args_known(args, known, eb);
    if (e == ERR_OK)
        e = mcp_arg_int(args, "directive_id", true, 1, INT64_MAX, 0, &id, eb);
    if (e == ERR_OK)
        e = store_directive_get(c->env->st, id, out, eb);
    return e == ERR_OK ? e : mcp_tool_fail(c, e, eb);
}

enum err mcp_tool_set_container_allowlist(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    static const char *const known[] = {"entries", NULL};
    json_t *rows = NULL;
    (void)text;
    enum err e = mcp_args_known(args, known, eb);
    if (e == ERR_OK && !json_object_get(args, "entries"))
        e = errbuf_set(eb, ERR_INVALID, "entries is required (a list; [] empties the allowlist)");
    if (e == ERR_OK)
        e = store_container_replace(c->env->st, json_object_get(args, "entries"), &rows, eb);
    if (e != ERR_OK)
        return mcp_tool_fail(c, e, eb);
    log_info("mcp", "event=container.replace count=%zu", json_array_size(rows));
    *out = json_pack("{s:o,s:I,s:b}", "entries", rows, "count", (json_int_t)json_array_size(rows),
                     "is_truncated", 0);
    return ERR_OK;
}

enum err mcp_tool_get_inventory(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    static const char *const known[] = {"snapshot_id", NULL};
    int64_t id = 0;
    (void)text;
    enum err e = mcp_args_known(args, known, eb);
    if (e == ERR_OK)
        e = mcp_arg_int(args, "snapshot_id", false, 1, INT64_MAX, 0, &id, eb);
    if (e == ERR_OK)
        e = id ? store_inventory_get(c->env->st, id, out, eb)
               : store_inventory_latest(c->env->st, out, eb);
    if (e == ERR_NOT_FOUND && !id)
        errbuf_set(eb, e,
                   "no inventory snapshot was taken yet (a run or POST "
                   "/api/inventory/snapshot/ takes one)");
    return e == ERR_OK ? e : mcp_tool_fail(c, e, eb);
}

enum err mcp_tool_recent_audit(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    static const char *const known[] = {"limit", "action", "run_id", NULL};
    const char *action = NULL;
    int64_t limit = 0, run_id = 0, count = 0;
    json_t *rows = NULL;
    (void)text;
    enum err e = mcp_args_known(args, known, eb);
    if (e == ERR_OK)
        e = mcp_arg_int(args, "limit", false, 1, MCP_PAGE_MAX, MCP_PAGE_DEFAULT, &limit, eb);
    if (e == ERR_OK)
        e = mcp_arg_int(args, "run_id", false, 1, INT64_MAX, 0, &run_id, eb);
    if (e == ERR_OK)
        e = mcp_arg_str(args, "action", 32, &action, eb);
    if (e == ERR_OK && action && !store_audit_action_ok(action))
        e = errbuf_set(eb, ERR_INVALID,
                       "action: give one of spawn, deny, deadline_kill, exit, remove, reconcile");
    if (e == ERR_OK)
        e = store_audit_list(c->env->st, action, run_id, 0, limit, &rows, &count, eb);
    if (e != ERR_OK) {
        json_decref(rows);
        return mcp_tool_fail(c, e, eb);
    }
    *out = json_pack("{s:o,s:I}", "entries", rows, "count", (json_int_t)count);
    return ERR_OK;
}
