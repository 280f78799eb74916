/* SPDX-License-Identifier: MIT */
/* tasks_templates.c -- what a successful log_triage job's templates mean against the
 * history kept by the store: templates never seen before ("new since the last run") and
 * known templates whose count in this job's window is a spike against their baseline rate.
 *
 * Each job mines its window afresh, so one message can come out a little more or less
 * general than in an earlier job ("disk sda full" then, "disk <*> full" now, as more disks
 * appear): a different text, so a different key. Such a variant is not new: a template
 * whose key is unknown is new only when no known template agrees with it token by token,
 * where either side's <*> agrees with anything. Variants are counted (variants_total).
 *
 * The worker reports up to 2000 templates in result.templates.all (untrusted: validated
 * here, and their text passes the redactor again). A template is new when its key is not
 * in the history; on the very first successful log_triage job nothing is new (the result
 * says baseline). A known template spikes when its count is >= TASKS_SPIKE_MIN_COUNT and
 * >= TASKS_SPIKE_RATIO x its expected count (baseline rate x window hours). Each list is
 * ranked by level, then ratio or count, and cut to TASKS_FINDINGS_MAX. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "redact/redact.h"
#include "tasks/tasks_int.h"

#define FINDING_TEXT_MAX 200          /* bytes of template text in a finding */
#define WINDOW_MIN_HOURS (1.0 / 60.0) /* a shorter window counts as one minute */
#define RATIO_MAX        1e6          /* shown for a baseline of (almost) zero */

/* One judged template. */
struct judged {
    const json_t *t; /* the entry of templates.all */
    int level;       /* 0 info .. 3 critical */
    int64_t count;
    double expected; /* spikes: baseline rate x window hours */
    double ratio;
};

static const char *const level_names[] = {"info", "warning", "error", "critical"};

static int64_t int_of(const json_t *obj, const char *key)
{
    return (int64_t)json_integer_value(json_object_get(obj, key));
}

static int level_of(const json_t *t)
{
    return int_of(t, "critical") > 0   ? 3
           : int_of(t, "errors") > 0   ? 2
           : int_of(t, "warnings") > 0 ? 1
                                       : 0;
}

static int by_new(const void *a, const void *b)
{
    const struct judged *x = a, *y = b;
    if (x->level != y->level)
        return y->level - x->level;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(jsonx_get_str(x->t, "key"), jsonx_get_str(y->t, "key"));
}

static int by_spike(const void *a, const void *b)
{
    const struct judged *x = a, *y = b;
    if (x->level != y->level)
        return y->level - x->level;
    if (x->ratio != y->ratio)
        return x->ratio < y->ratio ? 1 : -1;
    return by_new(a, b);
}

/* Cut s to at most max bytes without splitting a UTF-8 character (s is valid UTF-8). */
static json_t *cut_text(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    json_t *j = json_stringn(s, n);
    return j ? j : json_string("");
}

static double round_to(double v, double unit)
{
    return round(v / unit) * unit;
}

static json_t *finding(const struct judged *j, bool is_spike)
{
    json_t *o = json_pack("{s:O,s:o,s:s,s:I}", "key", json_object_get(j->t, "key"), "template",
                          cut_text(jsonx_get_str(j->t, "template"), FINDING_TEXT_MAX), "level",
                          level_names[j->level], "count", (json_int_t)j->count);
    const char *ex = jsonx_get_str(j->t, "example");
    if (ex)
        json_object_set_new(o, "example", cut_text(ex, FINDING_TEXT_MAX));
    if (is_spike) {
        json_object_set_new(o, "expected", json_real(round_to(j->expected, 0.0001)));
        json_object_set_new(o, "ratio", json_real(round_to(j->ratio, 0.1)));
    }
    return o;
}

/* Rank v (n entries) and return the first TASKS_FINDINGS_MAX as findings. */
static json_t *top(struct judged *v, size_t n, bool is_spike)
{
    json_t *arr = json_array();
    qsort(v, n, sizeof(*v), is_spike ? by_spike : by_new);
    for (size_t i = 0; i < n && i < TASKS_FINDINGS_MAX; i++)
        json_array_append_new(arr, finding(&v[i], is_spike));
    return arr;
}

double tasks_templates_window_hours(const struct tasks *t, const struct store_claim *c)
{
    int64_t start = 0, end = 0;
    double hours = 0;
    if (c->window_end && clock_iso_parse(c->window_end, &end) && c->window_start &&
        clock_iso_parse(c->window_start, &start))
        hours = (double)(end - start) / 3600000.0;
    else
        hours = t->opts.cfg->lookback_s > 0 ? (double)t->opts.cfg->lookback_s / 3600.0 : 24.0;
    return hours < WINDOW_MIN_HOURS ? WINDOW_MIN_HOURS : hours;
}

/* The known template texts by token count: what unknown keys are compared with. */
struct shape {
    size_t ntok;
    const char *text;
};

struct shapes {
    struct shape *v;
    size_t n;
};

static size_t ntok_of(const char *s)
{
    size_t n = *s ? 1 : 0;
    for (; *s; s++)
        n += *s == ' ';
    return n;
}

static int by_ntok(const void *a, const void *b)
{
    const struct shape *x = a, *y = b;
    return (x->ntok > y->ntok) - (x->ntok < y->ntok);
}

static void shapes_init(struct shapes *sh, const json_t *texts)
{
    size_t i;
    json_t *t;
    sh->v = xcalloc(json_array_size(texts) + 1, sizeof(*sh->v));
    sh->n = 0;
    json_array_foreach(texts, i, t)
    {
        if (json_is_string(t))
            sh->v[sh->n++] = (struct shape){ntok_of(json_string_value(t)), json_string_value(t)};
    }
    qsort(sh->v, sh->n, sizeof(*sh->v), by_ntok);
}

static bool is_wild(const char *tok, size_t n)
{
    return n == 3 && memcmp(tok, "<*>", 3) == 0;
}

/* True when a and b agree at every token, or one of them has <*> there. */
static bool agree(const char *a, const char *b)
{
    for (;;) {
        size_t la = strcspn(a, " "), lb = strcspn(b, " ");
        if (!is_wild(a, la) && !is_wild(b, lb) && (la != lb || memcmp(a, b, la) != 0))
            return false;
        a += la;
        b += lb;
        if (!*a || !*b)
            return !*a && !*b;
        a++;
        b++;
    }
}

/* True when a known template agrees with text (a variant of it, not a new template). */
static bool is_variant(const struct shapes *sh, const char *text)
{
    size_t n = ntok_of(text), lo = 0, hi = sh->n;
    while (lo < hi) { /* the first shape with n tokens */
        size_t mid = lo + (hi - lo) / 2;
        if (sh->v[mid].ntok < n)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < sh->n && sh->v[i].ntok == n; i++)
        if (agree(sh->v[i].text, text))
            return true;
    return false;
}

/* Sort all into new (unknown keys that no known template agrees with) and spikes (known,
 * over the thresholds); the findings. sh: the known texts, or NULL (nothing is a variant). */
static json_t *
judge(const json_t *all, const json_t *found, const struct shapes *sh, int64_t seq, double hours)
{
    size_t n = json_array_size(all), n_new = 0, n_spike = 0, n_variant = 0, i;
    struct judged *fresh = xcalloc(n + 1, sizeof(*fresh));
    struct judged *spikes = xcalloc(n + 1, sizeof(*spikes));
    json_t *t;
    json_array_foreach(all, i, t)
    {
        struct judged j = {t, level_of(t), int_of(t, "count"), 0, 0};
        const json_t *row = json_object_get(found, jsonx_get_str(t, "key"));
        if (!row && sh && is_variant(sh, jsonx_get_str(t, "template"))) {
            n_variant++;
            continue;
        }
        if (!row) {
            fresh[n_new++] = j;
            continue;
        }
        j.expected = store_template_baseline(row, seq + 1) * hours;
        j.ratio =
            j.expected * RATIO_MAX > (double)j.count ? (double)j.count / j.expected : RATIO_MAX;
        if (j.count >= TASKS_SPIKE_MIN_COUNT && (double)j.count >= TASKS_SPIKE_RATIO * j.expected)
            spikes[n_spike++] = j;
    }
    bool is_baseline = seq == 0;
    json_t *out =
        json_pack("{s:b,s:o,s:I,s:I,s:o,s:I}", "baseline", is_baseline, "new_templates",
                  top(fresh, is_baseline ? 0 : n_new, false), "new_templates_total",
                  (json_int_t)(is_baseline ? 0 : n_new), "variants_total", (json_int_t)n_variant,
                  "spikes", top(spikes, n_spike, true), "spikes_total", (json_int_t)n_spike);
    xfree(fresh);
    xfree(spikes);
    return out;
}

/* Set c[field] to the text of t[field] passed through the redactor again (the worker is not
 * trusted to have done it), cut to STORE_TEMPLATE_TEXT_MAX bytes; absent stays absent. */
static void redact_field(const struct redact_opts *o, const json_t *t, json_t *c, const char *field)
{
    const char *text = jsonx_get_str(t, field);
    if (!text)
        return;
    struct buf b;
    buf_init(&b, 4 * strlen(text) + 256);
    bool ok = redact_text_opts(text, strlen(text), o, &b) == ERR_OK;
    json_object_set_new(c, field, cut_text(ok ? buf_str(&b) : "", STORE_TEMPLATE_TEXT_MAX));
    buf_fini(&b);
}

/* A copy of all whose template texts and examples passed the redactor again (keyed
 * pseudonyms, the worker's key: already redacted text stays as it is). */
static json_t *redacted_copy(const struct config *cfg, const json_t *all)
{
    struct redact_opts o;
    tasks_redact_opts(cfg, &o);
    json_t *out = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(all, i, t)
    {
        json_t *c = json_copy((json_t *)(uintptr_t)t);
        redact_field(&o, t, c, "template");
        redact_field(&o, t, c, "example");
        json_array_append_new(out, c);
    }
    return out;
}

/* An array of the keys of all. */
static json_t *keys_of(const json_t *all)
{
    json_t *keys = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(all, i, t)
    {
        json_array_append(keys, json_object_get(t, "key"));
    }
    return keys;
}

enum err tasks_templates_judge(struct tasks *t,
                               const struct store_claim *c,
                               const json_t *result,
                               struct tasks_templates *out,
                               struct errbuf *eb)
{
    memset(out, 0, sizeof(*out));
    const json_t *all = json_object_get(json_object_get(result, "templates"), "all");
    if (!all)
        return ERR_OK; /* a worker without template history support */
    enum err e = store_templates_validate(all, eb);
    if (e != ERR_OK)
        return e;
    out->window_hours = tasks_templates_window_hours(t, c);
    out->persist = redacted_copy(t->opts.cfg, all);
    json_t *keys = keys_of(out->persist), *found = NULL;
    int64_t seq = 0;
    struct errbuf leb = {{0}};
    enum err le = store_templates_lookup(t->opts.st, keys, &found, &seq, &leb);
    json_t *texts = NULL;
    if (le == ERR_OK && seq > 0 && json_object_size(found) < json_array_size(keys))
        le = store_template_texts(t->opts.st, &texts, &leb);
    if (le == ERR_OK) {
        struct shapes sh = {NULL, 0};
        if (texts)
            shapes_init(&sh, texts);
        out->findings = judge(out->persist, found, texts ? &sh : NULL, seq, out->window_hours);
        xfree(sh.v);
    } else {
        log_error("tasks", "event=templates.lookup_fail job_id=%lld err=%s", (long long)c->job_id,
                  err_name(le));
        out->findings = json_pack("{s:s}", "history_error", "template history unavailable");
    }
    json_decref(texts);
    json_decref(keys);
    json_decref(found);
    return ERR_OK;
}

void tasks_templates_fini(struct tasks_templates *tt)
{
    json_decref(tt->persist);
    json_decref(tt->findings);
    tt->persist = tt->findings = NULL;
}
