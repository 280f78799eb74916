/* SPDX-License-Identifier: MIT */
/* mcp_tools.c -- PLACEHOLDER until the tools helper lands the real table (issue #6): no tools
 * and no resources, so that the transport links. Replace this file whole. */
#include "mcp/mcp_int.h"

const struct mcp_tool *mcp_tools_get(size_t *n)
{
    *n = 0;
    return NULL;
}

enum err mcp_resources_list(const struct mcp_env *env,
                            const char *cursor,
                            json_t **resources,
                            char **next_cursor,
                            struct errbuf *eb)
{
    (void)env;
    *resources = json_array();
    *next_cursor = NULL;
    if (cursor)
        return errbuf_set(eb, ERR_INVALID, "invalid cursor");
    return ERR_OK;
}

json_t *mcp_resource_templates_get(void)
{
    return json_array();
}

enum err
mcp_resource_read(const struct mcp_env *env, const char *uri, json_t **contents, struct errbuf *eb)
{
    (void)env;
    (void)uri;
    *contents = NULL;
    return errbuf_set(eb, ERR_NOT_FOUND, "no such resource");
}
