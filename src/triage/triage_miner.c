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
#define MANY_VALUES       3 /* distinct tokens at a position before it is a variable */
#define FNV_OFF           0xcbf29ce484222325ULL
#define FNV_PRIME         0x100000001b3ULL

struct tpl {
    uint32_t id;
    uint32_t ntok;
    uint64_t count;
    uint64_t last_used; /* line number of the last use (LRU) */
    struct grp *g;      /* the group it belongs to */
    uint64_t *th;       /* token hashes; wild_hash marks <*> */
    char **tok;         /* token text (into strs); NULL for <*> */
    char *strs;
    char *text;       /* built on demand */
    struct tpl *next; /* the group's list */
};

/* A group: a Drain cluster (the tree matches on it); its templates are the value
 * combinations of its few-valued positions. A position with more than MANY_VALUES
 * distinct tokens is a variable, and the templates that differ only there merge. */
struct grp {
    uint32_t ntok;
    uint32_t n_tpls;
    uint64_t bkey;   /* tree key: token count + first token */
    uint64_t *th;    /* generalised token hashes (wild_hash: differs) */
    uint64_t *vals;  /* ntok x MANY_VALUES distinct token hashes per position */
    uint8_t *n_vals; /* per position; MANY_VALUES + 1 = a variable */
    struct tpl *tpls;
    struct grp *next; /* tree chain */
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
    /* tree: groups chained by bkey */
    struct grp **chains;
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

/* Month and weekday names are parts of dates: variables. */
static bool is_date_word(const char *p, size_t n)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDecMonTueWedThuFriSatSun";
    if (n != 3)
        return false;
    for (size_t i = 0; i + 3 <= sizeof(names) - 1; i += 3)
        if (memcmp(names + i, p, 3) == 0)
            return true;
    return false;
}

/* A piece with a digit is a variable (a leading word with _ or - such as "blk_" or
 * "Thread-" stays); so is an e-mail address. */
static void put_piece(struct out *o, const char *p, size_t n)
{
    if (is_date_word(p, n)) {
        put(o, "<*>", 3);
        return;
    }
    bool has_digit = false;
    for (size_t i = 0; i < n && !has_digit; i++)
        has_digit = is_digit((unsigned char)p[i]);
    const char *at = memchr(p, '@', n);
    if (at && at > p && memchr(at, '.', n - (size_t)(at - p))) {
        put(o, "<*>", 3); /* an e-mail address: a value, never a constant */
        return;
    }
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
        size_t tl = o->len - start;
        uint64_t h = fnv(o->p + start, tl);
        /* a list of values ("blk_<*> blk_<*> ...") is one variable, whatever its length */
        if (nt > 0 && th[nt - 1] == h && memchr(o->p + start, '*', tl)) {
            o->len = start - 1;
            i = j;
            continue;
        }
        toff[nt] = (uint32_t)start;
        tlen[nt] = (uint32_t)tl;
        th[nt] = h;
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

static bool is_many(const struct grp *g, size_t i)
{
    return g->n_vals[i] > MANY_VALUES;
}

static struct grp *grp_new(struct triage_miner *m, size_t nt, uint64_t bkey)
{
    struct grp *g = xcalloc(1, sizeof(*g));
    g->ntok = (uint32_t)nt;
    g->bkey = bkey;
    g->th = xmalloc((nt ? nt : 1) * sizeof(*g->th));
    g->vals = xmalloc((nt ? nt : 1) * MANY_VALUES * sizeof(*g->vals));
    g->n_vals = xcalloc(nt ? nt : 1, 1);
    for (size_t i = 0; i < nt; i++) {
        g->th[i] = m->th[i];
        g->vals[i * MANY_VALUES] = m->th[i];
        g->n_vals[i] = 1;
    }
    size_t c = bkey & m->chain_mask;
    g->next = m->chains[c];
    m->chains[c] = g;
    return g;
}

static void grp_free(struct triage_miner *m, struct grp *g)
{
    struct grp **pp = &m->chains[g->bkey & m->chain_mask];
    while (*pp && *pp != g)
        pp = &(*pp)->next;
    if (*pp)
        *pp = g->next;
    xfree(g->th);
    xfree(g->vals);
    xfree(g->n_vals);
    xfree(g);
}

static struct tpl *tpl_new(struct triage_miner *m, struct grp *g)
{
    size_t nt = g->ntok;
    struct tpl *t = xcalloc(1, sizeof(*t));
    size_t bytes = 0;
    for (size_t i = 0; i < nt; i++)
        bytes += m->tlen[i] + 1;
    t->ntok = (uint32_t)nt;
    t->g = g;
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
    if (m->n_ids == m->cap_ids) {
        m->cap_ids = m->cap_ids ? 2 * m->cap_ids : 256;
        m->tpls = xrealloc(m->tpls, m->cap_ids * sizeof(*m->tpls));
        m->fwd = xrealloc(m->fwd, m->cap_ids * sizeof(*m->fwd));
    }
    t->id = (uint32_t)m->n_ids++;
    m->tpls[t->id] = t;
    m->fwd[t->id] = TRIAGE_TID_NONE;
    t->next = g->tpls;
    g->tpls = t;
    g->n_tpls++;
    if (++m->st.templates > m->st.templates_peak)
        m->st.templates_peak = m->st.templates;
    return t;
}

/* Unlink t from its group (freeing an empty group) and free it; its id then forwards to
 * into (or NONE). */
static void tpl_drop(struct triage_miner *m, struct tpl *t, uint32_t into)
{
    struct grp *g = t->g;
    struct tpl **pp = &g->tpls;
    while (*pp && *pp != t)
        pp = &(*pp)->next;
    if (*pp)
        *pp = t->next;
    if (--g->n_tpls == 0)
        grp_free(m, g);
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

/* u and t of one group are one template when each position is equal, a <*> in either, or a
 * variable of the group. */
static bool compatible(const struct triage_miner *m, const struct tpl *a, const uint64_t *th)
{
    for (size_t i = 0; i < a->ntok; i++)
        if (a->th[i] != th[i] && a->th[i] != m->wild_hash && th[i] != m->wild_hash &&
            !is_many(a->g, i))
            return false;
    return true;
}

static void generalise(struct triage_miner *m, struct tpl *t, const uint64_t *th)
{
    for (size_t i = 0; i < t->ntok; i++) {
        if (t->th[i] != th[i] && t->th[i] != m->wild_hash) {
            t->th[i] = m->wild_hash;
            t->tok[i] = NULL;
        }
    }
}

/* Merge the templates of g that became one when a position turned variable. */
static void merge_group(struct triage_miner *m, struct grp *g)
{
    for (struct tpl *t = g->tpls; t; t = t->next) {
        struct tpl **pp = &t->next;
        while (*pp) {
            struct tpl *u = *pp;
            if (!compatible(m, t, u->th)) {
                pp = &u->next;
                continue;
            }
            generalise(m, t, u->th);
            t->count += u->count;
            if (u->last_used > t->last_used)
                t->last_used = u->last_used;
            tpl_drop(m, u, t->id); /* unlinks u: *pp is now u's successor */
            m->st.merged++;
        }
    }
}

static struct grp *grp_match(struct triage_miner *m, size_t nt, uint64_t bkey)
{
    struct grp *best = NULL;
    size_t best_eq = 0, best_wild = 0;
    for (struct grp *g = m->chains[bkey & m->chain_mask]; g; g = g->next) {
        if (g->bkey != bkey || g->ntok != nt)
            continue;
        size_t eq = 0, wild = 0;
        for (size_t i = 0; i < nt; i++) {
            if (g->th[i] == m->th[i])
                eq++;
            else if (g->th[i] == m->wild_hash)
                wild++;
        }
        if (!best || eq > best_eq || (eq == best_eq && wild > best_wild)) {
            best = g;
            best_eq = eq;
            best_wild = wild;
        }
    }
    if (best && nt > 0 && (double)best_eq < m->o.sim_threshold * (double)nt)
        return NULL;
    return best;
}

/* Words (also dotted names) can be few-valued constants ("startup"/"shutdown"); a token with
 * a slash or a masked part is a path or a value. */
static bool is_wordlike(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == '*')
            return false;
    return true;
}

/* Note the current sequence's tokens in g; true when a position just became variable. */
static bool grp_note(struct triage_miner *m, struct grp *g)
{
    bool turned = false;
    for (size_t i = 0; i < g->ntok; i++) {
        if (g->th[i] != m->th[i])
            g->th[i] = m->wild_hash;
        if (is_many(g, i))
            continue;
        if (!is_wordlike(m->mbuf + m->toff[i], m->tlen[i])) {
            g->n_vals[i] = MANY_VALUES + 1; /* paths, names with dots, masked parts */
            turned = true;
            continue;
        }
        uint64_t *v = g->vals + i * MANY_VALUES;
        size_t k = 0;
        while (k < g->n_vals[i] && v[k] != m->th[i])
            k++;
        if (k < g->n_vals[i])
            continue;
        if (g->n_vals[i] < MANY_VALUES)
            v[g->n_vals[i]] = m->th[i];
        g->n_vals[i]++;
        turned |= is_many(g, i);
    }
    return turned;
}

static struct tpl *tree_add(struct triage_miner *m, size_t nt, uint64_t bkey)
{
    struct grp *g = grp_match(m, nt, bkey);
    if (!g) {
        if (m->st.templates >= m->o.max_templates)
            evict_lru(m);
        return tpl_new(m, grp_new(m, nt, bkey));
    }
    if (grp_note(m, g))
        merge_group(m, g);
    for (struct tpl *t = g->tpls; t; t = t->next) {
        if (compatible(m, t, m->th)) {
            generalise(m, t, m->th);
            return t;
        }
    }
    if (m->st.templates >= m->o.max_templates) {
        /* evicting may free g itself when it is the LRU's only template */
        evict_lru(m);
        return tree_add(m, nt, bkey);
    }
    return tpl_new(m, g);
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
    {
        size_t n = 1; /* sized with the same choice of token as the copy below */
        for (size_t i = 0; i < t->ntok; i++)
            n += (t->tok[i] && !is_many(t->g, i) ? strlen(t->tok[i]) : 3) + 1;
        xfree(t->text);
        t->text = xmalloc(n);
        size_t len = 0;
        for (size_t i = 0; i < t->ntok; i++) {
            const char *s = t->tok[i] && !is_many(t->g, i) ? t->tok[i] : "<*>";
            size_t k = strlen(s);
            if (i > 0)
                t->text[len++] = ' ';
            memcpy(t->text + len, s, k);
            len += k;
        }
        t->text[len] = '\0';
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
