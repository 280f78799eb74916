/* SPDX-License-Identifier: MIT */
/* jsonx.c -- capped JSON parsing on top of jansson. */
#include "core/jsonx.h"

#include <string.h>

#include "core/xalloc.h"

int jsonx_depth(const char *data, size_t len, int limit)
{
    int depth = 0, max = 0;
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                max = depth;
            if (max > limit)
                return max;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return max;
}

enum err jsonx_parse(const char *data, size_t len, size_t max_len, json_t **out, struct errbuf *eb)
{
    *out = NULL;
    if (len > max_len)
        return errbuf_set(eb, ERR_TOO_LARGE, "JSON body is larger than %zu bytes", max_len);
    if (jsonx_depth(data, len, JSONX_MAX_DEPTH) > JSONX_MAX_DEPTH)
        return errbuf_set(eb, ERR_TOO_LARGE, "JSON is nested deeper than %d levels",
                          JSONX_MAX_DEPTH);
    json_error_t jerr;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        return errbuf_set(eb, ERR_PARSE, "malformed JSON at line %d column %d: %.80s", jerr.line,
                          jerr.column, jerr.text);
    *out = j;
    return ERR_OK;
}

char *jsonx_dumps(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        die("out of memory (json_dumps)");
    /* jansson and xalloc share the C heap, so xfree releases this. */
    return s;
}

const char *jsonx_get_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *jsonx_find(const json_t *arr, const char *key, const char *value)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        const char *s = jsonx_get_str(e, key);
        if (s && value && strcmp(s, value) == 0)
            return e;
    }
    return NULL;
}

void jsonx_set_str_or_null(json_t *obj, const char *key, const char *s)
{
    json_object_set_new(obj, key, s ? json_string(s) : json_null());
}
