/* SPDX-License-Identifier: MIT */
/* jsonx.h -- jansson helpers: capped parsing and small accessors.
 *
 * JSON from clients is parsed only through jsonx_parse, which enforces a byte cap
 * and a nesting-depth cap before jansson sees it. Thread-safe. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"

#define JSONX_MAX_DEPTH 32

/* Parse len bytes into *out (caller decrefs). ERR_TOO_LARGE over max_len or too deep,
 * ERR_PARSE when malformed; eb says where. */
enum err jsonx_parse(const char *data, size_t len, size_t max_len, json_t **out, struct errbuf *eb);
/* Return the nesting depth of the JSON text (strings are skipped), stopping past limit. */
int jsonx_depth(const char *data, size_t len, int limit);
/* Return a new compact string for j (caller frees with xfree). */
char *jsonx_dumps(const json_t *j);
/* Return obj[key] as a string or NULL when absent / not a string (borrowed). */
const char *jsonx_get_str(const json_t *obj, const char *key);
/* The first object of the array arr whose string key equals value (borrowed), or NULL. */
json_t *jsonx_find(const json_t *arr, const char *key, const char *value);
/* Set obj[key] to a string, or to null when s is NULL. */
void jsonx_set_str_or_null(json_t *obj, const char *key, const char *s);
