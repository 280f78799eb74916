/* SPDX-License-Identifier: MIT */
/* worker_bursts.c -- log_triage's error bursts: errors (and critical) and warnings counted
 * per time bucket, the bursts among them, and each burst's most frequent error template.
 *
 * Buckets are floor(ts / bucket) in an open-addressing table of WORKER_BURSTS_TABLE slots,
 * of which at most WORKER_BURSTS_BUCKETS_MAX are used (records of a bucket that finds no
 * room count as overflow), so memory is fixed whatever the logs hold. Each bucket keeps a
 * Boyer-Moore majority candidate of its error templates: one id and one vote count, which
 * finds the template of most of the bucket's errors whenever one has more than half. A
 * burst is a bucket with errors >= max(WORKER_BURSTS_MIN_ERRORS, 3 x the mean errors per
 * bucket over the span of the job's window and of the buckets with errors). */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "redact/redact.h"
#include "triage/triage_miner.h"
#include "worker/worker_int.h"

#define BURSTS_TEXT_MAX 1024 /* bytes of a redacted template */
#define BURSTS_SHOW_MAX 200  /* bytes of a reported one (the findings carry it whole) */

struct bucket {
    int64_t idx; /* floor(ts / bucket_ms) */
    uint64_t errors, warnings;
    uint32_t cand; /* majority candidate among the error templates */
    uint64_t votes;
    bool is_used;
};

struct worker_bursts {
    int64_t bucket_ms;
    int64_t win_first, win_last; /* buckets of the window's ends; INT64_MAX / MIN: open */
    struct bucket *slots;        /* WORKER_BURSTS_TABLE, allocated on the first record */
    size_t n_used;
    uint64_t overflow; /* error/warning records whose bucket found no room */
    uint64_t untimed;  /* error/warning records without a time */
};

struct worker_bursts *worker_bursts_new(int64_t bucket_s)
{
    struct worker_bursts *b = xcalloc(1, sizeof(*b));
    if (bucket_s < WORKER_BURSTS_BUCKET_MIN_S || bucket_s > WORKER_BURSTS_BUCKET_MAX_S)
        bucket_s = WORKER_BURSTS_BUCKET_DEFAULT_S;
    b->bucket_ms = bucket_s * 1000;
    b->win_first = INT64_MAX;
    b->win_last = INT64_MIN;
    return b;
}

void worker_bursts_window(struct worker_bursts *b, int64_t start_ms, int64_t end_ms)
{
    b->win_first = start_ms >= 0 ? start_ms / b->bucket_ms : INT64_MAX;
    b->win_last = end_ms > 0 ? (end_ms - 1) / b->bucket_ms : INT64_MIN;
}

void worker_bursts_free(struct worker_bursts *b)
{
    if (!b)
        return;
    xfree(b->slots);
    xfree(b);
}

int64_t worker_bursts_bucket_s(const struct worker_bursts *b)
{
    return b->bucket_ms / 1000;
}

/* The slot of bucket idx, claimed when new and there is room; NULL when there is none. */
static struct bucket *slot_of(struct worker_bursts *b, int64_t idx)
{
    if (!b->slots)
        b->slots = xcalloc(WORKER_BURSTS_TABLE, sizeof(*b->slots));
    uint64_t h = (uint64_t)idx * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 40) & (WORKER_BURSTS_TABLE - 1);
    for (;; i = (i + 1) & (WORKER_BURSTS_TABLE - 1)) {
        struct bucket *s = &b->slots[i];
        if (s->is_used && s->idx == idx)
            return s;
        if (!s->is_used) {
            if (b->n_used >= WORKER_BURSTS_BUCKETS_MAX)
                return NULL;
            b->n_used++;
            *s = (struct bucket){.idx = idx, .is_used = true, .cand = TRIAGE_TID_NONE};
            return s;
        }
    }
}

void worker_bursts_add(
    struct worker_bursts *b, int64_t ts_ms, bool is_error, bool is_warning, uint32_t tid)
{
    if (!is_error && !is_warning)
        return;
    if (ts_ms < 0) {
        b->untimed++;
        return;
    }
    struct bucket *s = slot_of(b, ts_ms / b->bucket_ms);
    if (!s) {
        b->overflow++;
        return;
    }
    if (!is_error) {
        s->warnings++;
        return;
    }
    s->errors++;
    if (s->votes == 0) {
        s->cand = tid;
        s->votes = 1;
    } else {
        s->votes += s->cand == tid ? 1 : (uint64_t)-1;
    }
}

static int by_errors(const void *a, const void *b)
{
    const struct worker_burst *x = a, *y = b;
    if (x->errors != y->errors)
        return x->errors < y->errors ? 1 : -1;
    return (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

static int by_start(const void *a, const void *b)
{
    const struct worker_burst *x = a, *y = b;
    return (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

/* The error threshold of a burst: max(MIN, 3 x total / span), rounded up. */
static uint64_t threshold(const struct worker_bursts *b)
{
    int64_t first = b->win_first, last = b->win_last;
    uint64_t total = 0;
    for (size_t i = 0; b->slots && i < WORKER_BURSTS_TABLE; i++) {
        const struct bucket *s = &b->slots[i];
        if (!s->is_used || !s->errors)
            continue;
        first = s->idx < first ? s->idx : first;
        last = s->idx > last ? s->idx : last;
        total += s->errors;
    }
    if (!total)
        return UINT64_MAX;
    uint64_t span = (uint64_t)(last - first) + 1;
    uint64_t t = (3 * total + span - 1) / span;
    return t > WORKER_BURSTS_MIN_ERRORS ? t : WORKER_BURSTS_MIN_ERRORS;
}

size_t worker_bursts_find(const struct worker_bursts *b,
                          struct worker_burst *out,
                          size_t max,
                          uint64_t *threshold_out)
{
    uint64_t t = threshold(b);
    size_t n = 0;
    *threshold_out = t == UINT64_MAX ? 0 : t;
    struct worker_burst *all = xcalloc(b->n_used + 1, sizeof(*all));
    for (size_t i = 0; b->slots && i < WORKER_BURSTS_TABLE; i++) {
        const struct bucket *s = &b->slots[i];
        if (s->is_used && s->errors >= t)
            all[n++] = (struct worker_burst){s->idx * b->bucket_ms, (s->idx + 1) * b->bucket_ms,
                                             s->errors, s->warnings, s->cand};
    }
    qsort(all, n, sizeof(*all), by_errors);
    n = n < max ? n : max;
    memcpy(out, all, n * sizeof(*all));
    qsort(out, n, sizeof(*out), by_start);
    xfree(all);
    return n;
}

/* One burst as JSON: its bucket, counts and top error template (key and redacted text). */
static json_t *
burst_json(const struct worker_burst *w, struct triage_miner *m, const struct redact_opts *ro)
{
    char start[CLOCK_ISO_LEN], end[CLOCK_ISO_LEN], key[17];
    struct buf text;
    uint32_t tid = w->top_tid;
    if (tid != TRIAGE_TID_NONE)
        tid = triage_miner_resolve(m, tid);
    const char *raw = tid != TRIAGE_TID_NONE ? triage_miner_template_text(m, tid) : NULL;
    clock_iso_from_ms(w->start_ms, start);
    clock_iso_from_ms(w->end_ms, end);
    json_t *j = json_pack("{s:s,s:s,s:I,s:I}", "start", start, "end", end, "errors",
                          (json_int_t)w->errors, "warnings", (json_int_t)w->warnings);
    buf_init(&text, BURSTS_TEXT_MAX);
    if (raw &&
        (ro ? redact_text_opts(raw, strlen(raw), ro, &text)
            : redact_text(raw, strlen(raw), &text)) == ERR_OK &&
        triage_miner_template_key(m, tid, key)) {
        json_object_set_new(j, "top_key", json_string(key));
        size_t n = buf_len(&text);
        if (n > BURSTS_SHOW_MAX) { /* cut on a UTF-8 boundary */
            n = BURSTS_SHOW_MAX;
            while (n && ((unsigned char)buf_str(&text)[n] & 0xC0) == 0x80)
                n--;
        }
        json_object_set_new(j, "top_template", json_stringn(buf_str(&text), n));
    } else {
        json_object_set_new(j, "top_key", json_null());
        json_object_set_new(j, "top_template", json_null());
    }
    buf_fini(&text);
    return j;
}

json_t *worker_bursts_result(const struct worker_bursts *b,
                             struct triage_miner *m,
                             const struct redact_opts *ro,
                             json_t **stats)
{
    struct worker_burst found[WORKER_BURSTS_REPORT_MAX];
    uint64_t t = 0;
    size_t n = worker_bursts_find(b, found, WORKER_BURSTS_REPORT_MAX, &t);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, burst_json(&found[i], m, ro));
    *stats = json_pack("{s:I,s:I,s:I,s:I,s:I}", "bucket_seconds", (json_int_t)(b->bucket_ms / 1000),
                       "buckets", (json_int_t)b->n_used, "overflow", (json_int_t)b->overflow,
                       "untimed", (json_int_t)b->untimed, "threshold", (json_int_t)t);
    return arr;
}

int64_t worker_bursts_bucket_from_job(const json_t *job)
{
    const json_t *v = json_object_get(json_object_get(job, "config"), "burst_bucket_seconds");
    int64_t s = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
    if (s < WORKER_BURSTS_BUCKET_MIN_S || s > WORKER_BURSTS_BUCKET_MAX_S)
        s = WORKER_BURSTS_BUCKET_DEFAULT_S;
    return s;
}
