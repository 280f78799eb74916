/* SPDX-License-Identifier: MIT */
/* triage_miner.h -- online log template mining (Drain class): messages in, template ids out.
 *
 * Each message is tokenised on white space; variable parts are masked before clustering
 * (any token piece with a digit: numbers, hex, IPs, UUIDs, durations, sizes, ids; pieces are
 * split on punctuation such as = : , ; ( ) [ ] so "user=42" masks to "user=<*>"). A masked
 * sequence seen before maps to its template through a hash table (the hot path: one pass
 * over the bytes, no allocation). Month/weekday names are masked too, and a run of equal
 * masked tokens ("blk_<*> blk_<*> ...") counts as one. A new sequence goes down a parse tree
 * keyed by token count and first token and joins the most similar group (Drain cluster)
 * above a threshold. Within a group, a position with at most 3 distinct plain words
 * ("startup"/"shutdown") keeps them apart as constants: each combination is its own
 * template; once a position has more values, or a path or masked value, it is a variable and
 * the templates that differ only there merge. A line's id then resolves to the survivor.
 *
 * Bounded memory: at most max_templates live templates (the least recently used one is
 * evicted), messages are cut to max_msg_len bytes and max 256 tokens, the sequence cache is
 * capped. Template ids are dense and never reused within one miner (each id ever issued
 * keeps 8 bytes for its forward link). Deterministic: the same input in the same order gives
 * the same ids and texts. Pure: no I/O, no clock. Not thread-safe; the owner frees it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRIAGE_TID_NONE         UINT32_MAX /* no template (evicted) */
#define TRIAGE_MINER_MAX_TOKENS 256
#define TRIAGE_MINER_KEY_LEN    16 /* hex characters of a template key, NUL not counted */

struct triage_miner;

/* Options; a zero field takes its default. */
struct triage_miner_opts {
    size_t max_templates; /* live templates before LRU eviction (default 8192) */
    size_t max_msg_len;   /* bytes of a message looked at (default 4096, max 65536) */
    double sim_threshold; /* share of equal tokens to join a template (default 0.5) */
};

/* Counters for reports and benches. */
struct triage_miner_stats {
    uint64_t lines;        /* messages added */
    uint64_t truncated;    /* messages cut to max_msg_len or the token cap */
    uint64_t evicted;      /* templates evicted for the cap */
    uint64_t merged;       /* templates merged into another */
    size_t templates;      /* live templates now */
    size_t templates_peak; /* most live templates at once */
};

/* Create a miner (opts may be NULL for defaults). Never fails (aborts on OOM). */
struct triage_miner *triage_miner_new(const struct triage_miner_opts *opts);
/* Free m; NULL is fine. */
void triage_miner_free(struct triage_miner *m);
/* Add one message of len bytes (any bytes) and return its template id (never NONE). */
uint32_t triage_miner_add(struct triage_miner *m, const char *msg, size_t len);
/* Return the live template that tid now belongs to (after merges), or TRIAGE_TID_NONE when
 * it was evicted or never issued. */
uint32_t triage_miner_resolve(struct triage_miner *m, uint32_t tid);
/* Return the template text of tid's cluster ("<*>" marks a variable), or NULL when none.
 * Borrowed until the next call on m. */
const char *triage_miner_template_text(struct triage_miner *m, uint32_t tid);
/* Return the number of messages in tid's cluster (0 when none). */
uint64_t triage_miner_template_count(struct triage_miner *m, uint32_t tid);
/* Write the stable key of tid's template to out (16 hex + NUL): the FNV-1a 64-bit hash of
 * its text, so the same template text gives the same key in every run and process.
 * Returns false (out = "") when tid has no template. */
bool triage_miner_template_key(struct triage_miner *m, uint32_t tid, char out[17]);
/* Iterate live templates in id order: start with *cursor = 0; returns false at the end. */
bool triage_miner_next(const struct triage_miner *m, size_t *cursor, uint32_t *tid);
/* Fill st with the counters. */
void triage_miner_stats(const struct triage_miner *m, struct triage_miner_stats *st);
/* Mask message msg (len bytes) into out (cap bytes, NUL-terminated, cut at cap): the token
 * sequence the miner clusters, tokens separated by one space. Returns the token count. */
size_t triage_miner_mask(const char *msg, size_t len, char *out, size_t cap);
