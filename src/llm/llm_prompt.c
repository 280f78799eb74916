/* SPDX-License-Identifier: MIT */
/* llm_prompt.c -- the prompt that asks a local model to explain a run.
 *
 * Built only from the run's report.json (the structured findings each task left in its job
 * summary: template counts, new templates and spikes, error bursts, GPU and service-map
 * facts; never raw log lines) and the directive's text. Every piece passes the redactor
 * again on the way out, whatever was done before. The size is capped by an estimate:
 * tokens ~ ceil(bytes / 3), which over-counts for the BPE tokenizers of real models (about
 * 4 bytes per token in English and JSON); a section that does not fit is trimmed: its
 * arrays are cut to fewer items, then its text is cut. */
#include "llm/llm.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/jsonx.h"
#include "core/xalloc.h"

#define DIRECTIVE_MAX_BYTES 1000
#define SECTION_MIN_BYTES   200
#define REDACT_GROWTH       4 /* placeholders are longer than what they replace */

static const char system_text[] =
    "You are an operations assistant. Explain, in a few short paragraphs for an on-call "
    "engineer, what the findings of this monitoring run mean: the most important problems "
    "first, their likely causes, and what to check next. The findings are redacted: "
    "placeholders like [EMAIL:ab12] stand for values that were removed. Do not guess them.";

const char *llm_prompt_system(void)
{
    return system_text;
}

int64_t llm_tokens_estimate(size_t len)
{
    return (int64_t)((len + LLM_BYTES_PER_TOKEN - 1) / LLM_BYTES_PER_TOKEN);
}

/* Append the redacted form of s (len bytes) to out; a failure appends a mask. */
static void put_redacted(struct buf *out, const char *s, size_t len, const struct redact_opts *ro)
{
    struct buf r;
    buf_init(&r, REDACT_GROWTH * len + 256);
    if (redact_text_opts(s, len, ro, &r) == ERR_OK)
        buf_append(out, buf_str(&r), buf_len(&r));
    else
        buf_puts(out, "[REDACTED]");
    buf_wipe(&r);
    buf_fini(&r);
}

/* Cut every array in v (recursively) to at most max_items items. */
static void shrink(json_t *v, size_t max_items)
{
    size_t i;
    const char *k;
    json_t *x;
    if (json_is_array(v)) {
        while (json_array_size(v) > max_items)
            json_array_remove(v, json_array_size(v) - 1);
        json_array_foreach(v, i, x) shrink(x, max_items);
    } else if (json_is_object(v)) {
        json_object_foreach(v, k, x) shrink(x, max_items);
    }
}

/* Append len bytes of s cut to at most max bytes on a UTF-8 boundary. */
static void put_cut(struct buf *out, const char *s, size_t len, size_t max)
{
    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
            len--;
    }
    buf_append(out, s, len);
}

/* Append one job's findings (redacted compact JSON of its summary) in at most max bytes. */
static void put_job(struct buf *out, const json_t *job, const struct redact_opts *ro, size_t max)
{
    static const size_t items[] = {25, 12, 6, 3, 1, 0};
    struct buf line, red;
    buf_init(&line, LLM_RESPONSE_MAX_BYTES);
    buf_init(&red, LLM_RESPONSE_MAX_BYTES);
    const char *task = jsonx_get_str(job, "task");
    const char *status = jsonx_get_str(job, "status");
    const char *error = jsonx_get_str(job, "error");
    buf_printf(&line, "\n## %s (%s)\n", task ? task : "?", status ? status : "?");
    if (error)
        buf_printf(&line, "error: %.300s\n", error);
    json_t *sum = json_deep_copy(json_object_get(job, "summary"));
    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
        buf_wipe(&red);
        shrink(sum, items[i]);
        char *text = sum ? jsonx_dumps(sum) : xstrdup("null");
        put_redacted(&red, buf_str(&line), buf_len(&line), ro);
        put_redacted(&red, text, strlen(text), ro);
        xfree(text);
        if (buf_len(&red) + 1 <= max)
            break;
    }
    json_decref(sum);
    put_cut(out, buf_str(&red), buf_len(&red), max > 1 ? max - 1 : 0);
    buf_puts(out, "\n");
    buf_fini(&line);
    buf_wipe(&red);
    buf_fini(&red);
}

/* The header: run facts and the directive (redacted); at most max bytes. */
static void put_head(struct buf *out,
                     const json_t *report,
                     const char *directive_text,
                     const struct redact_opts *ro,
                     size_t max)
{
    struct buf h;
    buf_init(&h, 16 * 1024);
    json_t *tasks = json_object_get(report, "tasks");
    char *tasks_text = tasks ? jsonx_dumps(tasks) : xstrdup("[]");
    json_int_t run_id = json_integer_value(json_object_get(report, "run_id"));
    const char *status = jsonx_get_str(report, "status");
    const char *started = jsonx_get_str(report, "started_at");
    const char *finished = jsonx_get_str(report, "finished_at");
    buf_printf(&h, "Run %lld, status %s, tasks %s, from %s to %s.\n", (long long)run_id,
               status ? status : "?", tasks_text, started ? started : "?",
               finished ? finished : "?");
    xfree(tasks_text);
    const json_t *d = json_object_get(report, "directive");
    const char *dname = jsonx_get_str(d, "name");
    if (dname)
        buf_printf(&h, "Directive: %.200s\n", dname);
    if (directive_text && *directive_text) {
        buf_puts(&h, "Directive text: ");
        put_cut(&h, directive_text, strlen(directive_text), DIRECTIVE_MAX_BYTES);
        buf_puts(&h, "\n");
    }
    buf_puts(&h, "Findings per job (JSON; arrays may be trimmed to their first items):\n");
    struct buf red;
    buf_init(&red, REDACT_GROWTH * buf_len(&h) + 256);
    put_redacted(&red, buf_str(&h), buf_len(&h), ro);
    put_cut(out, buf_str(&red), buf_len(&red), max);
    buf_wipe(&h);
    buf_fini(&h);
    buf_wipe(&red);
    buf_fini(&red);
}

char *llm_prompt_build(const json_t *report,
                       const char *directive_text,
                       const struct redact_opts *ro,
                       int max_tokens,
                       int64_t *est_tokens)
{
    if (max_tokens <= 0 || max_tokens > LLM_PROMPT_TOKENS_MAX)
        max_tokens = LLM_PROMPT_TOKENS_MAX;
    size_t sys_len = strlen(system_text);
    size_t budget = (size_t)max_tokens * LLM_BYTES_PER_TOKEN;
    budget = budget > sys_len + 2 * SECTION_MIN_BYTES ? budget - sys_len : 2 * SECTION_MIN_BYTES;
    struct buf out;
    buf_init(&out, budget + 1);
    put_head(&out, report, directive_text, ro, budget / 3);
    const json_t *jobs = json_object_get(report, "jobs");
    size_t n = json_array_size(jobs);
    for (size_t i = 0; i < n; i++) {
        size_t left = budget > buf_len(&out) ? budget - buf_len(&out) : 0;
        size_t share = left / (n - i); /* what later jobs do not use stays for them */
        if (share < SECTION_MIN_BYTES)
            break;
        put_job(&out, json_array_get(jobs, i), ro, share);
    }
    if (n == 0)
        buf_puts(&out, "(no jobs)\n");
    if (est_tokens)
        *est_tokens = llm_tokens_estimate(sys_len + buf_len(&out));
    return buf_take(&out);
}
