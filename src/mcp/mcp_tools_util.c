/* SPDX-License-Identifier: MIT */
/* mcp_tools_util.c -- what the tool functions share: argument readers (strict: unknown or
 * mistyped arguments are ERR_INVALID), opaque list cursors, redacted error texts. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "mcp/mcp_tools_int.h"

enum err mcp_tool_fail(const struct mcp_call *c, enum err e, struct errbuf *eb)
{
    struct buf b;
    if (!eb || !eb->msg[0])
        return e;
    buf_init(&b, sizeof(eb->msg) + 4 * REDACT_PLACEHOLDER_MAX);
    const struct redact_opts *o = c && c->env ? c->env->redact : NULL;
    enum err r = o ? redact_text_opts(eb->msg, strlen(eb->msg), o, &b)
                   : redact_text(eb->msg, strlen(eb->msg), &b);
    snprintf(eb->msg, sizeof(eb->msg), "%s", r == ERR_OK ? buf_str(&b) : "[REDACTED]");
    buf_fini(&b);
    return e;
}

enum err mcp_args_known(const json_t *args, const char *const *known, struct errbuf *eb)
{
    char names[160] = "";
    size_t n_known = 0, used = 0;
    if (!json_is_object(args))
        return errbuf_set(eb, ERR_INVALID, "arguments must be an object");
    for (size_t i = 0; known[i]; i++) {
        n_known += json_object_get(args, known[i]) != NULL;
        int w = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "", known[i]);
        used = w > 0 && used + (size_t)w < sizeof(names) ? used + (size_t)w : used;
    }
    if (n_known == json_object_size(args))
        return ERR_OK;
    return errbuf_set(eb, ERR_INVALID, "unknown argument (this tool takes %s)",
                      used ? names : "none");
}

enum err mcp_arg_int(const json_t *args,
                     const char *key,
                     bool is_required,
                     int64_t min,
                     int64_t max,
                     int64_t def,
                     int64_t *out,
                     struct errbuf *eb)
{
    const json_t *v = json_object_get(args, key);
    *out = def;
    if (!v || json_is_null(v))
        return is_required ? errbuf_set(eb, ERR_INVALID, "%s is required", key) : ERR_OK;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return errbuf_set(eb, ERR_INVALID, "%s: give an integer from %" PRId64 " to %" PRId64, key,
                          min, max);
    *out = json_integer_value(v);
    return ERR_OK;
}

enum err mcp_arg_str(
    const json_t *args, const char *key, size_t max_len, const char **out, struct errbuf *eb)
{
    const json_t *v = json_object_get(args, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return ERR_OK;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return errbuf_set(eb, ERR_INVALID, "%s: give a string", key);
    if (json_string_length(v) > max_len)
        return errbuf_set(eb, ERR_INVALID, "%s: give at most %zu bytes", key, max_len);
    *out = json_string_value(v);
    return ERR_OK;
}

enum err mcp_arg_bool(const json_t *args, const char *key, bool def, bool *out, struct errbuf *eb)
{
    const json_t *v = json_object_get(args, key);
    *out = def;
    if (!v || json_is_null(v))
        return ERR_OK;
    if (!json_is_boolean(v))
        return errbuf_set(eb, ERR_INVALID, "%s: give true or false", key);
    *out = json_is_true(v);
    return ERR_OK;
}

/* A cursor is the hex of "kind|offset|max_id|filter": opaque to clients, checked on return. */
char *mcp_cursor_new(const char *kind, const struct mcp_pos *pos, const char *filter)
{
    static const char hex[] = "0123456789abcdef";
    struct buf plain, out;
    buf_init(&plain, 4 * MCP_CURSOR_MAX);
    buf_init(&out, 8 * MCP_CURSOR_MAX);
    buf_printf(&plain, "%s|%" PRId64 "|%" PRId64 "|%s", kind, pos->offset, pos->max_id,
               filter ? filter : "");
    const unsigned char *p = (const unsigned char *)buf_str(&plain);
    for (size_t i = 0; i < buf_len(&plain); i++) {
        char two[2] = {hex[p[i] >> 4], hex[p[i] & 15]};
        buf_append(&out, two, 2);
    }
    buf_fini(&plain);
    char *s = buf_take(&out);
    buf_fini(&out);
    return s;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Read a decimal number in [0, 1e15] at *s followed by '|'; move *s past the '|'. */
static bool cursor_num(const char **s, int64_t *v)
{
    char *end = NULL;
    if (**s < '0' || **s > '9')
        return false;
    long long n = strtoll(*s, &end, 10);
    if (n < 0 || n > 1000000000000000LL || *end != '|')
        return false;
    *v = n;
    *s = end + 1;
    return true;
}

enum err mcp_cursor_parse(const char *cursor,
                          const char *kind,
                          const char *filter,
                          struct mcp_pos *pos,
                          struct errbuf *eb)
{
    char plain[MCP_CURSOR_MAX / 2 + 1], prefix[MCP_CURSOR_MAX];
    size_t n = cursor ? strlen(cursor) : 0;
    pos->offset = pos->max_id = 0;
    if (!cursor)
        return ERR_OK;
    if (n == 0 || n > MCP_CURSOR_MAX || n % 2)
        return errbuf_set(eb, ERR_INVALID, "invalid cursor");
    for (size_t i = 0; i < n; i += 2) {
        int hi = hexval(cursor[i]), lo = hexval(cursor[i + 1]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            return errbuf_set(eb, ERR_INVALID, "invalid cursor");
        plain[i / 2] = (char)(hi * 16 + lo);
    }
    plain[n / 2] = '\0';
    int len = snprintf(prefix, sizeof(prefix), "%s|", kind);
    const char *s = plain + len;
    struct mcp_pos got = {0, 0};
    if (strncmp(plain, prefix, (size_t)len) != 0)
        return errbuf_set(eb, ERR_INVALID, "invalid cursor (not one of this list)");
    if (!cursor_num(&s, &got.offset) || !cursor_num(&s, &got.max_id) ||
        strcmp(s, filter ? filter : "") != 0)
        return errbuf_set(eb, ERR_INVALID, "invalid cursor (another filter or no position)");
    *pos = got;
    return ERR_OK;
}
