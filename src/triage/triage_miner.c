/* SPDX-License-Identifier: MIT */
/* triage_miner.c -- online template mining: masking, a sequence cache, a Drain-like parse
 * tree (token count + first token), similarity join, generalisation and merging.
 *
 * The hot path is mask_msg() + one probe of the sequence cache: one pass over the bytes
 * into a reused buffer, no allocation. Only a sequence never seen before walks the tree. */
#include "triage/triage_miner.h"

#include <stdio.h>
#include <string.h>

#include "core/xalloc.h"

#define DEF_MAX_TEMPLATES 8192
#define DEF_MAX_MSG_LEN   4096
#define MAX_MSG_LEN_CAP   65536
#define DEF_SIM           0.5
#define FNV_OFF           0xcbf29ce484222325ULL
#define FNV_PRIME         0x100000001b3ULL

struct tpl {
    uint32_t id;
    uint32_t ntok;
    uint64_t count;
    uint64_t last_used; /* line number of the last use (LRU) */
    uint64_t bkey;      /* tree key: token count + first token */
    uint64_t *th;       /* token hashes; wild_hash marks <*> */
    char **tok;         /* token text (into strs) */
    char *strs;
    char *text; /* built on demand */
    bool is_dirty;
    struct tpl *next; /* tree chain */
};

struct seq {
    uint64_t h;
    uint32_t tid;
    uint32_t len;
    char *masked; /* NULL: empty slot */
};

struct triage_miner {
    struct triage_miner_opts o;
    uint64_t wild_hash;
    /* ids: tpls[id] is live, or NULL with fwd[id] the id it merged into (or NONE) */
    struct tpl **tpls;
    uint32_t *fwd;
    size_t n_ids, cap_ids;
    /* tree: chains by bkey */
    struct tpl **chains;
    size_t chain_mask;
    /* sequence cache */
    struct seq *seqs;
    size_t seq_mask, seq_count, seq_cap;
    /* scratch for one message */
    char *mbuf;
    size_t mbuf_cap;
    uint32_t toff[TRIAGE_MINER_MAX_TOKENS];
    uint32_t tlen[TRIAGE_MINER_MAX_TOKENS];
    uint64_t th[TRIAGE_MINER_MAX_TOKENS];
    struct triage_miner_stats st;
};

/* ---- hashing and masking ---- */

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = FNV_OFF;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
    return h;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h ^= h >> 31;
    return h * 0xbf58476d1ce4e5b9ULL;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_delim(unsigned char c)
{
    switch (c) {
    case '=':
    case ':':
    case ',':
    case ';':
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
    case '<':
    case '>':
    case '"':
    case '\'':
    case '|':
    case '/':
    case '\\':
        return true;
    default:
        return false;
    }
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Output cursor: writes are cut at cap-1 so the result stays a C string. */
struct out {
    char *p;
    size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o->len + 1 < o->cap; i++) {
        unsigned char c = (unsigned char)s[i];
        o->p[o->len++] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
    }
}

/* A piece with a digit is a variable; a leading word with _ or - ("blk_", "Thread-") stays. */
static void put_piece(struct out *o, const char *p, size_t n)
{
    bool has_digit = false;
    for (size_t i = 0; i < n && !has_digit; i++)
        has_digit = is_digit((unsigned char)p[i]);
    if (!has_digit) {
        put(o, p, n);
        return;
    }
    size_t k = 0;
    while (k < n && is_alpha((unsigned char)p[k]))
        k++;
    if (k > 0 && k < n && (p[k] == '_' || p[k] == '-')) {
        k++; /* one separator: a '-' after it is the number's sign */
        put(o, p, k);
    } else {
        k = 0;
    }
    put(o, "<*>", 3);
}

static void put_token(struct out *o, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (is_delim((unsigned char)s[i])) {
            put(o, s + i, 1);
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && !is_delim((unsigned char)s[j]))
            j++;
        put_piece(o, s + i, j - i);
        i = j;
    }
}

/* Tokenise and mask: tokens go to out separated by one space; offsets/lengths/hashes to
 * the arrays. Returns the token count; *is_cut says whether the token cap cut it. */
static size_t mask_msg(const char *s,
                       size_t n,
                       struct out *o,
                       uint32_t *toff,
                       uint32_t *tlen,
                       uint64_t *th,
                       bool *is_cut)
{
    size_t nt = 0, i = 0;
    *is_cut = false;
    o->len = 0;
    while (i < n) {
        while (i < n && is_space((unsigned char)s[i]))
            i++;
        if (i >= n)
            break;
        size_t j = i;
        while (j < n && !is_space((unsigned char)s[j]))
            j++;
        if (nt == TRIAGE_MINER_MAX_TOKENS) {
            *is_cut = true;
            break;
        }
        if (nt > 0)
            put(o, " ", 1);
        size_t start = o->len;
        if (nt == TRIAGE_MINER_MAX_TOKENS - 1 && j < n) {
            put(o, "<*>", 3); /* the rest of a very long message is one variable */
            *is_cut = true;
            j = n;
        } else {
            put_token(o, s + i, j - i);
        }
        toff[nt] = (uint32_t)start;
        tlen[nt] = (uint32_t)(o->len - start);
        th[nt] = fnv(o->p + start, o->len - start);
        nt++;
        i = j;
    }
    o->p[o->len] = '\0';
    return nt;
}

size_t triage_miner_mask(const char *msg, size_t len, char *out, size_t cap)
{
    static const size_t n_max = TRIAGE_MINER_MAX_TOKENS;
    uint32_t toff[TRIAGE_MINER_MAX_TOKENS], tlen[TRIAGE_MINER_MAX_TOKENS];
    uint64_t th[TRIAGE_MINER_MAX_TOKENS];
    bool is_cut;
    if (cap == 0)
        return 0;
    struct out o = {out, 0, cap};
    size_t nt = mask_msg(msg, len, &o, toff, tlen, th, &is_cut);
    return nt < n_max ? nt : n_max;
}

/* ---- templates and ids ---- */

static struct tpl *tpl_new(struct triage_miner *m, size_t nt, uint64_t bkey)
{
    struct tpl *t = xcalloc(1, sizeof(*t));
    size_t bytes = 0;
    for (size_t i = 0; i < nt; i++)
        bytes += m->tlen[i] + 1;
    t->ntok = (uint32_t)nt;
    t->bkey = bkey;
    t->th = xmalloc((nt ? nt : 1) * sizeof(*t->th));
    t->tok = xmalloc((nt ? nt : 1) * sizeof(*t->tok));
    t->strs = xmalloc(bytes + 1);
    char *p = t->strs;
    for (size_t i = 0; i < nt; i++) {
        memcpy(p, m->mbuf + m->toff[i], m->tlen[i]);
        p[m->tlen[i]] = '\0';
        t->tok[i] = p;
        t->th[i] = m->th[i];
        p += m->tlen[i] + 1;
    }
    t->is_dirty = true;
    if (m->n_ids == m->cap_ids) {
        m->cap_ids = m->cap_ids ? 2 * m->cap_ids : 256;
        m->tpls = xrealloc(m->tpls, m->cap_ids * sizeof(*m->tpls));
        m->fwd = xrealloc(m->fwd, m->cap_ids * sizeof(*m->fwd));
    }
    t->id = (uint32_t)m->n_ids++;
    m->tpls[t->id] = t;
    m->fwd[t->id] = TRIAGE_TID_NONE;
    size_t c = bkey & m->chain_mask;
    t->next = m->chains[c];
    m->chains[c] = t;
    if (++m->st.templates > m->st.templates_peak)
        m->st.templates_peak = m->st.templates;
    return t;
}

/* Unlink t from the tree and free it; its id then forwards to into (or NONE). */
static void tpl_drop(struct triage_miner *m, struct tpl *t, uint32_t into)
{
    struct tpl **pp = &m->chains[t->bkey & m->chain_mask];
    while (*pp && *pp != t)
        pp = &(*pp)->next;
    if (*pp)
        *pp = t->next;
    m->tpls[t->id] = NULL;
    m->fwd[t->id] = into;
    m->st.templates--;
    xfree(t->th);
    xfree(t->tok);
    xfree(t->strs);
    xfree(t->text);
    xfree(t);
}

static void evict_lru(struct triage_miner *m)
{
    struct tpl *lru = NULL;
    for (size_t i = 0; i < m->n_ids; i++) {
        struct tpl *t = m->tpls[i];
        if (t && (!lru || t->last_used < lru->last_used))
            lru = t;
    }
    if (lru) {
        tpl_drop(m, lru, TRIAGE_TID_NONE);
        m->st.evicted++;
    }
}

uint32_t triage_miner_resolve(struct triage_miner *m, uint32_t tid)
{
    if (!m || tid >= m->n_ids)
        return TRIAGE_TID_NONE;
    uint32_t r = tid;
    while (r != TRIAGE_TID_NONE && !m->tpls[r])
        r = m->fwd[r];
    /* path compression keeps later lookups short */
    while (tid != r && tid != TRIAGE_TID_NONE && !m->tpls[tid]) {
        uint32_t nx = m->fwd[tid];
        m->fwd[tid] = r;
        tid = nx;
    }
    return r;
}

/* ---- the sequence cache ---- */

static void seq_clear(struct triage_miner *m)
{
    for (size_t i = 0; i <= m->seq_mask; i++) {
        xfree(m->seqs[i].masked);
        m->seqs[i].masked = NULL;
    }
    m->seq_count = 0;
}

/* Find the slot of (h, masked): a hit or the empty slot where it goes. */
static struct seq *seq_slot(struct triage_miner *m, uint64_t h, const char *s, size_t n)
{
    size_t i = h & m->seq_mask;
    for (;;) {
        struct seq *e = &m->seqs[i];
        if (!e->masked || (e->h == h && e->len == n && memcmp(e->masked, s, n) == 0))
            return e;
        i = (i + 1) & m->seq_mask;
    }
}

static void seq_put(struct triage_miner *m, uint64_t h, const char *s, size_t n, uint32_t tid)
{
    if (m->seq_count >= m->seq_cap)
        seq_clear(m); /* a cache: clearing it costs only tree walks */
    struct seq *e = seq_slot(m, h, s, n);
    if (!e->masked) {
        e->masked = xstrndup(s, n);
        e->h = h;
        e->len = (uint32_t)n;
        m->seq_count++;
    }
    e->tid = tid;
}

/* ---- the tree ---- */

static bool tok_eq(const struct tpl *t, size_t i, uint64_t h)
{
    return t->th[i] == h;
}

/* Merge u into t (same key): t gets <*> wherever u has one or they differ. */
static void tpl_absorb(struct triage_miner *m, struct tpl *t, struct tpl *u)
{
    for (size_t i = 0; i < t->ntok; i++) {
        if (t->th[i] != u->th[i] && t->th[i] != m->wild_hash) {
            t->th[i] = m->wild_hash;
            t->tok[i] = NULL;
        }
    }
    t->count += u->count;
    if (u->last_used > t->last_used)
        t->last_used = u->last_used;
    t->is_dirty = true;
    tpl_drop(m, u, t->id);
    m->st.merged++;
}

/* Two templates of one key are compatible when every position is equal or a <*> in one. */
static bool compatible(const struct triage_miner *m, const struct tpl *a, const struct tpl *b)
{
    for (size_t i = 0; i < a->ntok; i++)
        if (a->th[i] != b->th[i] && a->th[i] != m->wild_hash && b->th[i] != m->wild_hash)
            return false;
    return true;
}

static void merge_around(struct triage_miner *m, struct tpl *t)
{
    bool again = true;
    while (again) {
        again = false;
        for (struct tpl *u = m->chains[t->bkey & m->chain_mask]; u; u = u->next) {
            if (u == t || u->bkey != t->bkey || u->ntok != t->ntok || !compatible(m, t, u))
                continue;
            tpl_absorb(m, t, u);
            again = true;
            break;
        }
    }
}

static struct tpl *tree_match(struct triage_miner *m, size_t nt, uint64_t bkey)
{
    struct tpl *best = NULL;
    size_t best_eq = 0, best_wild = 0;
    for (struct tpl *t = m->chains[bkey & m->chain_mask]; t; t = t->next) {
        if (t->bkey != bkey || t->ntok != nt)
            continue;
        size_t eq = 0, wild = 0;
        for (size_t i = 0; i < nt; i++) {
            if (tok_eq(t, i, m->th[i]))
                eq++;
            else if (t->th[i] == m->wild_hash)
                wild++;
        }
        if (!best || eq > best_eq || (eq == best_eq && wild > best_wild)) {
            best = t;
            best_eq = eq;
            best_wild = wild;
        }
    }
    if (best && nt > 0 && (double)best_eq < m->o.sim_threshold * (double)nt)
        return NULL;
    return best;
}

static struct tpl *tree_add(struct triage_miner *m, size_t nt, uint64_t bkey)
{
    struct tpl *t = tree_match(m, nt, bkey);
    if (!t) {
        if (m->st.templates >= m->o.max_templates)
            evict_lru(m);
        return tpl_new(m, nt, bkey);
    }
    bool changed = false;
    for (size_t i = 0; i < nt; i++) {
        if (!tok_eq(t, i, m->th[i]) && t->th[i] != m->wild_hash) {
            t->th[i] = m->wild_hash;
            t->tok[i] = NULL;
            changed = true;
        }
    }
    if (changed) {
        t->is_dirty = true;
        merge_around(m, t);
    }
    return t;
}

/* ---- the API ---- */

struct triage_miner *triage_miner_new(const struct triage_miner_opts *opts)
{
    struct triage_miner *m = xcalloc(1, sizeof(*m));
    if (opts)
        m->o = *opts;
    if (m->o.max_templates == 0)
        m->o.max_templates = DEF_MAX_TEMPLATES;
    if (m->o.max_msg_len == 0)
        m->o.max_msg_len = DEF_MAX_MSG_LEN;
    if (m->o.max_msg_len > MAX_MSG_LEN_CAP)
        m->o.max_msg_len = MAX_MSG_LEN_CAP;
    if (!(m->o.sim_threshold > 0.0 && m->o.sim_threshold <= 1.0))
        m->o.sim_threshold = DEF_SIM;
    m->wild_hash = fnv("<*>", 3);
    size_t n = 64;
    while (n < 2 * m->o.max_templates)
        n *= 2;
    m->chains = xcalloc(n, sizeof(*m->chains));
    m->chain_mask = n - 1;
    m->seq_cap = 4 * m->o.max_templates;
    n = 64;
    while (n < 2 * m->seq_cap)
        n *= 2;
    m->seqs = xcalloc(n, sizeof(*m->seqs));
    m->seq_mask = n - 1;
    m->mbuf_cap = 3 * m->o.max_msg_len + 8; /* a 1-byte piece masks to 3 bytes */
    m->mbuf = xmalloc(m->mbuf_cap);
    return m;
}

void triage_miner_free(struct triage_miner *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_ids; i++)
        if (m->tpls[i])
            tpl_drop(m, m->tpls[i], TRIAGE_TID_NONE);
    seq_clear(m);
    xfree(m->seqs);
    xfree(m->chains);
    xfree(m->tpls);
    xfree(m->fwd);
    xfree(m->mbuf);
    xfree(m);
}

uint32_t triage_miner_add(struct triage_miner *m, const char *msg, size_t len)
{
    bool is_cut = false;
    m->st.lines++;
    if (len > m->o.max_msg_len) {
        len = m->o.max_msg_len;
        is_cut = true;
    }
    struct out o = {m->mbuf, 0, m->mbuf_cap};
    bool tok_cut;
    size_t nt = mask_msg(msg ? msg : "", msg ? len : 0, &o, m->toff, m->tlen, m->th, &tok_cut);
    if (is_cut || tok_cut)
        m->st.truncated++;
    uint64_t h = mix(FNV_OFF, nt);
    for (size_t i = 0; i < nt; i++)
        h = mix(h, m->th[i]);
    struct seq *e = seq_slot(m, h, o.p, o.len);
    struct tpl *t = NULL;
    if (e->masked) {
        uint32_t r = triage_miner_resolve(m, e->tid);
        if (r != TRIAGE_TID_NONE)
            t = m->tpls[r];
    }
    if (!t) {
        uint64_t bkey = mix(mix(FNV_OFF, nt), nt ? m->th[0] : 0);
        t = tree_add(m, nt, bkey);
        seq_put(m, h, o.p, o.len, t->id);
    }
    t->count++;
    t->last_used = m->st.lines;
    return t->id;
}

static struct tpl *get(struct triage_miner *m, uint32_t tid)
{
    uint32_t r = triage_miner_resolve(m, tid);
    return r == TRIAGE_TID_NONE ? NULL : m->tpls[r];
}

const char *triage_miner_template_text(struct triage_miner *m, uint32_t tid)
{
    struct tpl *t = get(m, tid);
    if (!t)
        return NULL;
    if (t->is_dirty || !t->text) {
        size_t n = 1;
        for (size_t i = 0; i < t->ntok; i++)
            n += (t->tok[i] ? strlen(t->tok[i]) : 3) + 1;
        xfree(t->text);
        t->text = xmalloc(n);
        size_t len = 0;
        for (size_t i = 0; i < t->ntok; i++) {
            const char *s = t->tok[i] ? t->tok[i] : "<*>";
            size_t k = strlen(s);
            if (i > 0)
                t->text[len++] = ' ';
            memcpy(t->text + len, s, k);
            len += k;
        }
        t->text[len] = '\0';
        t->is_dirty = false;
    }
    return t->text;
}

uint64_t triage_miner_template_count(struct triage_miner *m, uint32_t tid)
{
    struct tpl *t = get(m, tid);
    return t ? t->count : 0;
}

bool triage_miner_template_key(struct triage_miner *m, uint32_t tid, char out[17])
{
    const char *s = triage_miner_template_text(m, tid);
    out[0] = '\0';
    if (!s)
        return false;
    snprintf(out, 17, "%016llx", (unsigned long long)fnv(s, strlen(s)));
    return true;
}

bool triage_miner_next(const struct triage_miner *m, size_t *cursor, uint32_t *tid)
{
    while (*cursor < m->n_ids) {
        size_t i = (*cursor)++;
        if (m->tpls[i]) {
            *tid = (uint32_t)i;
            return true;
        }
    }
    return false;
}

void triage_miner_stats(const struct triage_miner *m, struct triage_miner_stats *st)
{
    *st = m->st;
}
