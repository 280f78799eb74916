/* SPDX-License-Identifier: MIT */
/* worker_templates.c -- log_triage's template mining: every line in the window goes
 * through header detection (per file), multi-line joining (continuations count on their
 * record) and the template miner; at the end the templates with errors or warnings are
 * ranked by severity x count, and up to WORKER_TEMPLATES_REPORTED templates are reported
 * in "all" (those with errors or warnings first, then by count) for the orchestrator's
 * template history. Each template keeps one example: the first message of its own (or of
 * a template merged into it), cut to TPL_EXAMPLE_MAX bytes; examples of ids that merged or
 * were evicted are dropped every TPL_SWEEP_EVERY new ids, so they stay bounded by the
 * miner's template cap. Template text and examples pass the redactor before they leave the
 * worker, are made valid UTF-8 and cut; no other raw line is kept. */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "redact/redact.h"
#include "triage/triage_detect.h"
#include "triage/triage_miner.h"
#include "triage/triage_multiline.h"
#include "worker/worker_int.h"

#define TPL_SCRATCH               (64 * 1024) /* unescaped Docker JSON text */
#define TPL_TEXT_MAX              512         /* bytes of a reported template */
#define TPL_FORMATS_MAX           32
#define TPL_EXAMPLE_MAX           256  /* bytes of a template's example message */
#define TPL_SWEEP_EVERY           4096 /* new template ids between two example sweeps */
/* Templates reported in "all" (for the orchestrator's template history), at most. */
#define WORKER_TEMPLATES_REPORTED 2000

/* Per issued template id: the levels of its lines (folded into survivors at the end). */
struct tpl_count {
    uint64_t errors, warnings, critical;
};

struct worker_templates {
    struct triage_miner *miner;
    struct triage_detect *det;       /* of the current file */
    const struct triage_format *fmt; /* the current file's log_formats entry, or NULL */
    const char *fmt_name;
    bool is_headed; /* the last split line matched fmt */
    int64_t ref_ms; /* the current file's reference time (year-less timestamps) */
    struct triage_join join;
    char *scratch;
    struct tpl_count *counts; /* indexed by template id */
    size_t n_counts;
    char **examples; /* indexed by template id: the first message, raw (redacted when out) */
    size_t n_examples;
    uint32_t swept_at;                 /* the id of the last sweep of examples */
    bool is_no_errors, is_no_warnings; /* levels left out of the top findings */
    uint64_t lines, continuations;
    json_t *formats; /* {format name: files} */
    struct worker_bursts *bursts;
    struct redact_opts redact; /* how text leaves: masks unless worker_templates_redact */
};

void worker_templates_redact(struct worker_templates *w, const struct redact_opts *o)
{
    w->redact = *o;
}

struct worker_templates *worker_templates_new(void)
{
    struct worker_templates *w = xcalloc(1, sizeof(*w));
    w->miner = triage_miner_new(NULL);
    w->scratch = xmalloc(TPL_SCRATCH);
    w->formats = json_object();
    w->bursts = worker_bursts_new(WORKER_BURSTS_BUCKET_DEFAULT_S);
    return w;
}

void worker_templates_free(struct worker_templates *w)
{
    if (!w)
        return;
    triage_detect_free(w->det);
    triage_miner_free(w->miner);
    json_decref(w->formats);
    worker_bursts_free(w->bursts);
    for (size_t i = 0; i < w->n_examples; i++)
        xfree(w->examples[i]);
    xfree(w->examples);
    xfree(w->counts);
    xfree(w->scratch);
    xfree(w);
}

void worker_templates_file_begin(struct worker_templates *w, int64_t ref_time_ms)
{
    triage_detect_free(w->det);
    w->det = triage_detect_new(ref_time_ms);
    w->fmt = NULL;
    w->ref_ms = ref_time_ms;
    triage_join_init(&w->join);
}

void worker_templates_file_format(struct worker_templates *w,
                                  const struct triage_format *fmt,
                                  const char *name)
{
    w->fmt = fmt;
    w->fmt_name = name;
}

void worker_templates_file_end(struct worker_templates *w)
{
    if (!w->det)
        return;
    const char *name = w->fmt ? w->fmt_name : triage_detect_format_name(w->det);
    json_t *n = json_object_get(w->formats, name);
    if (n || json_object_size(w->formats) < TPL_FORMATS_MAX)
        json_object_set_new(w->formats, name, json_integer(n ? json_integer_value(n) + 1 : 1));
    triage_detect_free(w->det);
    w->det = NULL;
    w->fmt = NULL;
}

static struct tpl_count *count_of(struct worker_templates *w, uint32_t tid)
{
    if (tid >= w->n_counts) {
        size_t n = w->n_counts ? w->n_counts : 256;
        while (n <= tid)
            n *= 2;
        w->counts = xrealloc(w->counts, n * sizeof(*w->counts));
        memset(w->counts + w->n_counts, 0, (n - w->n_counts) * sizeof(*w->counts));
        w->n_counts = n;
    }
    return &w->counts[tid];
}

/* Hand the examples of ids that merged to their survivors (when these have none) and drop
 * those of ids that are gone. */
static void sweep_examples(struct worker_templates *w)
{
    for (size_t i = 0; i < w->n_examples; i++) {
        if (!w->examples[i])
            continue;
        uint32_t to = triage_miner_resolve(w->miner, (uint32_t)i);
        if (to == (uint32_t)i)
            continue;
        if (to != TRIAGE_TID_NONE && to < w->n_examples && !w->examples[to]) {
            w->examples[to] = w->examples[i];
        } else {
            xfree(w->examples[i]);
        }
        w->examples[i] = NULL;
    }
}

/* Keep msg as tid's example when it has none. */
static void keep_example(struct worker_templates *w, uint32_t tid, const char *msg, size_t len)
{
    if (tid == TRIAGE_TID_NONE)
        return;
    if (tid >= w->n_examples) {
        size_t n = w->n_examples ? w->n_examples : 256;
        while (n <= tid)
            n *= 2;
        w->examples = xrealloc(w->examples, n * sizeof(*w->examples));
        memset(w->examples + w->n_examples, 0, (n - w->n_examples) * sizeof(*w->examples));
        w->n_examples = n;
    }
    if (!w->examples[tid])
        w->examples[tid] = xstrndup(msg, len < TPL_EXAMPLE_MAX ? len : TPL_EXAMPLE_MAX);
    if (tid >= w->swept_at + TPL_SWEEP_EVERY) {
        sweep_examples(w);
        w->swept_at = tid;
    }
}

void worker_templates_levels(struct worker_templates *w, const json_t *levels)
{
    bool has_err = false, has_warn = false;
    size_t i;
    const json_t *l;
    if (!json_is_array(levels))
        return;
    json_array_foreach(levels, i, l)
    {
        const char *s = json_string_value(l);
        has_err |= s && (strcmp(s, "error") == 0 || strcmp(s, "critical") == 0);
        has_warn |= s && (strcmp(s, "warn") == 0 || strcmp(s, "warning") == 0);
    }
    w->is_no_errors = !has_err;
    w->is_no_warnings = !has_warn;
}

void worker_templates_bursts(struct worker_templates *w,
                             int64_t bucket_s,
                             int64_t start_ms,
                             int64_t end_ms)
{
    worker_bursts_free(w->bursts);
    w->bursts = worker_bursts_new(bucket_s);
    worker_bursts_window(w->bursts, start_ms, end_ms);
}

void worker_templates_split(struct worker_templates *w,
                            const char *line,
                            size_t len,
                            struct triage_record *rec)
{
    if (!w->det)
        worker_templates_file_begin(w, -1);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (w->fmt)
        w->is_headed = triage_format_split_at(w->fmt, line, len, w->ref_ms, rec);
    else
        triage_detect_line(w->det, line, len, rec, w->scratch, TPL_SCRATCH);
}

void worker_templates_add(struct worker_templates *w, const struct triage_record *rec)
{
    bool is_headed = w->fmt ? w->is_headed : triage_detect_line_headed(w->det);
    bool is_headered = w->fmt ? true : triage_detect_headered(w->det);
    if (triage_join_line(&w->join, rec->msg, rec->msg_len, is_headed, is_headered)) {
        w->continuations++;
        return;
    }
    w->lines++;
    uint32_t tid = triage_miner_add(w->miner, rec->msg, rec->msg_len);
    keep_example(w, tid, rec->msg, rec->msg_len);
    struct tpl_count *c = count_of(w, tid);
    worker_bursts_add(w->bursts, rec->ts_ms, rec->level >= TRIAGE_LEVEL_ERROR,
                      rec->level == TRIAGE_LEVEL_WARN, tid);
    c->critical += rec->level >= TRIAGE_LEVEL_CRITICAL;
    c->errors += rec->level == TRIAGE_LEVEL_ERROR;
    c->warnings += rec->level == TRIAGE_LEVEL_WARN;
}

void worker_templates_line(struct worker_templates *w, const char *line, size_t len)
{
    worker_templates_line_ts(w, line, len, -1);
}

void worker_templates_line_ts(struct worker_templates *w,
                              const char *line,
                              size_t len,
                              int64_t ts_ms)
{
    struct triage_record rec;
    worker_templates_split(w, line, len, &rec);
    if (ts_ms >= 0)
        rec.ts_ms = ts_ms;
    worker_templates_add(w, &rec);
}

/* Fold the counts of merged ids into their survivors. */
static void fold(struct worker_templates *w)
{
    for (size_t i = 0; i < w->n_counts; i++) {
        uint32_t to = triage_miner_resolve(w->miner, (uint32_t)i);
        if (to == (uint32_t)i || to == TRIAGE_TID_NONE || to >= w->n_counts)
            continue;
        w->counts[to].critical += w->counts[i].critical;
        w->counts[to].errors += w->counts[i].errors;
        w->counts[to].warnings += w->counts[i].warnings;
        memset(&w->counts[i], 0, sizeof(w->counts[i]));
    }
}

struct ranked {
    uint32_t tid;
    uint64_t score; /* 4 x critical + 3 x errors + 2 x warnings */
    uint64_t count;
    uint64_t top; /* the score of the levels the top findings keep */
};

static int by_score(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->top != y->top)
        return x->top < y->top ? 1 : -1;
    return (x->tid > y->tid) - (x->tid < y->tid);
}

/* Templates with errors, warnings or critical lines first, then by count. */
static int by_severity_count(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if ((x->score != 0) != (y->score != 0))
        return x->score ? -1 : 1;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return (x->tid > y->tid) - (x->tid < y->tid);
}

/* Length of the valid UTF-8 character at p (n bytes left), 0 when invalid or NUL. */
static size_t utf8_char(const unsigned char *p, size_t n)
{
    if (p[0] == 0)
        return 0;
    return p[0] < 0x80 ? 1 : worker_utf8_seq(p, n);
}

/* Append s (len bytes) to out as valid UTF-8 without NUL: each invalid byte becomes U+FFFD;
 * stops before max bytes without cutting a character. */
void worker_utf8_clean(const char *s, size_t len, struct buf *out, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_char(p + i, len - i);
        const char *add = n ? s + i : "\xef\xbf\xbd";
        size_t add_len = n ? n : 3;
        if (buf_len(out) + add_len > max)
            break;
        buf_append(out, add, add_len);
        i += n ? n : 1;
    }
}

/* Append tid's template text to out: redacted, then made valid UTF-8 and cut to
 * TPL_TEXT_MAX bytes (cut after redaction, so no secret is half kept). */
static void template_text(struct worker_templates *w, uint32_t tid, struct buf *out)
{
    struct buf red;
    const char *text = triage_miner_template_text(w->miner, tid);
    size_t len = text ? strlen(text) : 0;
    buf_init(&red, 4 * len + 256);
    if (text && redact_text_opts(text, len, &w->redact, &red) == ERR_OK)
        worker_utf8_clean(buf_str(&red), buf_len(&red), out, TPL_TEXT_MAX);
    buf_fini(&red);
}

/* Append tid's example to out: redacted, then made valid UTF-8 and cut to TPL_EXAMPLE_MAX. */
static void example_text(struct worker_templates *w, uint32_t tid, struct buf *out)
{
    const char *ex = tid < w->n_examples ? w->examples[tid] : NULL;
    struct buf red;
    size_t len = ex ? strlen(ex) : 0;
    buf_init(&red, 4 * len + 256);
    if (ex && redact_text_opts(ex, len, &w->redact, &red) == ERR_OK)
        worker_utf8_clean(buf_str(&red), buf_len(&red), out, TPL_EXAMPLE_MAX);
    buf_fini(&red);
}

/* Set obj.example to tid's example (redacted), when it has one. */
static void add_example(struct worker_templates *w, uint32_t tid, json_t *obj)
{
    struct buf b;
    buf_init(&b, TPL_EXAMPLE_MAX);
    example_text(w, tid, &b);
    if (buf_len(&b) > 0)
        json_object_set_new(obj, "example", json_stringn(buf_str(&b), buf_len(&b)));
    buf_fini(&b);
}

/* One finding: the redacted template, its counts and severity. */
static json_t *finding(struct worker_templates *w, uint32_t tid, uint64_t score)
{
    const struct tpl_count *c = &w->counts[tid];
    char key[17];
    struct buf b;
    buf_init(&b, TPL_TEXT_MAX);
    template_text(w, tid, &b);
    triage_miner_template_key(w->miner, tid, key);
    json_t *f =
        json_pack("{s:s,s:s%,s:I,s:I,s:I,s:I,s:s,s:I}", "key", key, "template", buf_str(&b),
                  buf_len(&b), "count", (json_int_t)triage_miner_template_count(w->miner, tid),
                  "critical", (json_int_t)c->critical, "errors", (json_int_t)c->errors, "warnings",
                  (json_int_t)c->warnings, "level",
                  c->critical ? "critical"
                  : c->errors ? "error"
                              : "warning",
                  "score", (json_int_t)score);
    buf_fini(&b);
    add_example(w, tid, f);
    return f;
}

/* One entry of "all": {key, template, count, errors, warnings, critical}. */
static json_t *reported(struct worker_templates *w, uint32_t tid, uint64_t count)
{
    static const struct tpl_count none;
    const struct tpl_count *c = tid < w->n_counts ? &w->counts[tid] : &none;
    char key[17];
    struct buf b;
    buf_init(&b, TPL_TEXT_MAX);
    template_text(w, tid, &b);
    triage_miner_template_key(w->miner, tid, key);
    json_t *o = json_pack("{s:s,s:s%,s:I,s:I,s:I,s:I}", "key", key, "template", buf_str(&b),
                          buf_len(&b), "count", (json_int_t)count, "errors", (json_int_t)c->errors,
                          "warnings", (json_int_t)c->warnings, "critical", (json_int_t)c->critical);
    buf_fini(&b);
    add_example(w, tid, o);
    return o;
}

/* Every live template with its score and count; *n gets how many. */
static struct ranked *rank_all(struct worker_templates *w, size_t cap, size_t *n)
{
    struct ranked *r = xcalloc(cap, sizeof(*r));
    size_t cursor = 0;
    uint32_t tid;
    *n = 0;
    while (triage_miner_next(w->miner, &cursor, &tid) && *n < cap) {
        const struct tpl_count *c = tid < w->n_counts ? &w->counts[tid] : NULL;
        uint64_t err = c ? 4 * c->critical + 3 * c->errors : 0, warn = c ? 2 * c->warnings : 0;
        r[(*n)++] = (struct ranked){tid, err + warn, triage_miner_template_count(w->miner, tid),
                                    (w->is_no_errors ? 0 : err) + (w->is_no_warnings ? 0 : warn)};
    }
    return r;
}

json_t *worker_templates_result(struct worker_templates *w, size_t top_n)
{
    struct triage_miner_stats st;
    worker_templates_file_end(w);
    fold(w);
    sweep_examples(w);
    triage_miner_stats(w->miner, &st);
    size_t n = 0;
    struct ranked *r = rank_all(w, st.templates + 1, &n);
    qsort(r, n, sizeof(*r), by_score);
    json_t *top = json_array();
    for (size_t i = 0; i < n && i < top_n && r[i].top; i++)
        json_array_append_new(top, finding(w, r[i].tid, r[i].top));
    qsort(r, n, sizeof(*r), by_severity_count);
    json_t *all = json_array();
    for (size_t i = 0; i < n && i < WORKER_TEMPLATES_REPORTED; i++)
        json_array_append_new(all, reported(w, r[i].tid, r[i].count));
    xfree(r);
    json_t *res = json_pack("{s:I,s:I,s:I,s:I,s:O,s:o,s:o,s:b}", "records", (json_int_t)w->lines,
                            "continuation_lines", (json_int_t)w->continuations, "templates",
                            (json_int_t)st.templates, "templates_evicted", (json_int_t)st.evicted,
                            "formats", w->formats, "top_findings", top, "all", all, "all_truncated",
                            n > WORKER_TEMPLATES_REPORTED);
    json_t *stats = NULL;
    json_object_set_new(res, "bursts",
                        worker_bursts_result(w->bursts, w->miner, &w->redact, &stats));
    json_object_set_new(res, "burst_stats", stats);
    return res;
}
