/* SPDX-License-Identifier: MIT */
/* tasks_redact.c -- the orchestrator's side of redaction: keyed pseudonyms for what it
 * stores (job errors, summaries, result.json, inventory, templates).
 *
 * Every text that came from outside the process (worker output and stderr, engine errors,
 * file and container names) passes here before it reaches a row, a report, an artifact or
 * an event, whatever DEBUG_REDACTED_MODE says (that switch is for log lines only).
 * TODO(#7): the LLM prompt must be built from these redacted findings only. */
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "redact/redact.h"
#include "tasks/tasks_int.h"

#define REDACT_SPANS_MAX 64 /* findings looked at to tell ids from personal data */
#define REDACT_FACTOR    4  /* output cap per input byte (placeholders are longer than digits) */

void tasks_redact_opts(const struct config *cfg, struct redact_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->mode = cfg->redact_key_len ? REDACT_PSEUDONYM : REDACT_MASK;
    o->key = cfg->redact_key_len ? cfg->redact_key : NULL;
    o->key_len = cfg->redact_key_len;
}

/* Append the redacted form of s (len bytes) to b (created here); false when it failed. */
static bool redact_into(const struct config *cfg, const char *s, size_t len, struct buf *b)
{
    struct redact_opts o;
    tasks_redact_opts(cfg, &o);
    buf_init(b, REDACT_FACTOR * len + 256);
    return redact_text_opts(s, len, &o, b) == ERR_OK;
}

char *tasks_redact_dup(const struct config *cfg, const char *s)
{
    struct buf b;
    if (!s)
        return NULL;
    char *out = redact_into(cfg, s, strlen(s), &b) ? xstrndup(buf_str(&b), buf_len(&b))
                                                   : xstrdup("[REDACTED]");
    buf_fini(&b);
    return out;
}

/* True when every finding in s is a container id (or there is none): such a string is kept
 * as it is. Container ids are no personal data and the stored rows hold them raw anyway
 * (inventory, audit); masking them would only break names like "web-3f2a9c1b7d4e". */
static bool has_only_ids(const char *s, size_t len)
{
    struct redact_span spans[REDACT_SPANS_MAX];
    size_t n = redact_find(s, len, spans, REDACT_SPANS_MAX);
    if (n == REDACT_SPANS_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (spans[i].type != REDACT_CONTAINER_ID)
            return false;
    return true;
}

static bool is_skipped(const char *key, const char *const *skip)
{
    for (size_t i = 0; skip && skip[i]; i++)
        if (strcmp(key, skip[i]) == 0)
            return true;
    return false;
}

void tasks_redact_json(const struct config *cfg, json_t *j, const char *const *skip)
{
    size_t i;
    const char *k;
    json_t *v;
    if (json_is_object(j)) {
        json_object_foreach(j, k, v)
        {
            if (!is_skipped(k, skip))
                tasks_redact_json(cfg, v, skip);
        }
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v) tasks_redact_json(cfg, v, skip);
    } else if (json_is_string(j) && !has_only_ids(json_string_value(j), json_string_length(j))) {
        struct buf b;
        if (redact_into(cfg, json_string_value(j), json_string_length(j), &b))
            json_string_setn(j, buf_str(&b), buf_len(&b));
        else
            json_string_set(j, "[REDACTED]");
        buf_fini(&b);
    }
}
