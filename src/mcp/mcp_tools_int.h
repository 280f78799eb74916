/* SPDX-License-Identifier: MIT */
/* mcp_tools_int.h -- private to the tool and resource files (mcp_tools*.c,
 * mcp_resources.c): the tool functions of the table, argument readers, opaque cursors.
 *
 * Every helper that fails returns ERR_INVALID (or the store's error) with a text for the
 * client in eb; tool functions end through mcp_tool_fail so that text is redacted. */
#pragma once

#include "mcp/mcp_int.h"

#define MCP_PAGE_DEFAULT  20
#define MCP_PAGE_MAX      100
#define MCP_LIST_MAX      200 /* rows of the small lists (directives, images, allowlist) */
#define MCP_CURSOR_MAX    128 /* bytes of a cursor a client may send */
#define MCP_WAIT_MARGIN_S 60  /* launch_run wait: job timeout x tasks + this */

/* ---- helpers (mcp_tools_util.c) ---- */

/* Redact eb's text in place with the call's options (env->redact; NULL: masks) and return e. */
enum err mcp_tool_fail(const struct mcp_call *c, enum err e, struct errbuf *eb);
/* ERR_INVALID naming the first key of args not in known (NULL-ended). */
enum err mcp_args_known(const json_t *args, const char *const *known, struct errbuf *eb);
/* Read args[key] as an integer in [min, max]; absent: *out = def, or ERR_INVALID when
 * is_required. */
enum err mcp_arg_int(const json_t *args,
                     const char *key,
                     bool is_required,
                     int64_t min,
                     int64_t max,
                     int64_t def,
                     int64_t *out,
                     struct errbuf *eb);
/* Read args[key] as a string (borrowed) or NULL when absent/null; ERR_INVALID otherwise or
 * when longer than max_len bytes. */
enum err mcp_arg_str(
    const json_t *args, const char *key, size_t max_len, const char **out, struct errbuf *eb);
/* Read args[key] as a boolean (absent: def). */
enum err mcp_arg_bool(const json_t *args, const char *key, bool def, bool *out, struct errbuf *eb);
/* A position in a list: rows from offset, of the list as it was when its first page was read
 * (rows with an id up to max_id; 0: not known yet). */
struct mcp_pos {
    int64_t offset;
    int64_t max_id;
};

/* Return a new opaque cursor (caller frees) for pos in list kind under filter ("" none). */
char *mcp_cursor_new(const char *kind, const struct mcp_pos *pos, const char *filter);
/* Read cursor (NULL: the start, {0, 0}) given for list kind under filter; ERR_INVALID when
 * it is not one mcp_cursor_new gave for the same kind and filter. */
enum err mcp_cursor_parse(const char *cursor,
                          const char *kind,
                          const char *filter,
                          struct mcp_pos *pos,
                          struct errbuf *eb);

/* ---- tools (mcp_tools_runs.c, mcp_tools_wait.c, mcp_tools_admin.c, mcp_tools_usage.c,
 * mcp_tools_svcmap.c, mcp_tools_explain.c) ---- */
mcp_tool_fn mcp_tool_launch_run;
mcp_tool_fn mcp_tool_get_run;
mcp_tool_fn mcp_tool_list_runs;
mcp_tool_fn mcp_tool_get_report;
mcp_tool_fn mcp_tool_cancel_run;
mcp_tool_fn mcp_tool_list_directives;
mcp_tool_fn mcp_tool_get_directive;
mcp_tool_fn mcp_tool_list_worker_images;
mcp_tool_fn mcp_tool_list_container_allowlist;
mcp_tool_fn mcp_tool_set_container_allowlist;
mcp_tool_fn mcp_tool_get_inventory;
mcp_tool_fn mcp_tool_token_usage;
mcp_tool_fn mcp_tool_recent_audit;
mcp_tool_fn mcp_tool_gpu_status;
mcp_tool_fn mcp_tool_service_map; /* mcp_tools_svcmap.c */
mcp_tool_fn mcp_tool_impact_of;
mcp_tool_fn mcp_tool_explain_run; /* mcp_tools_explain.c */

/* Wait until run_id (of n_jobs jobs) ends, sending progress, at most timeout_ms; then set
 * *out to {"run","report"} and *text to the report's Markdown. ERR_TIMEOUT past the bound,
 * ERR_UNAVAILABLE when the call was cancelled (the run goes on either way). */
enum err mcp_run_wait(struct mcp_call *c,
                      int64_t run_id,
                      size_t n_jobs,
                      int64_t timeout_ms,
                      json_t **out,
                      char **text,
                      struct errbuf *eb);
