/* SPDX-License-Identifier: MIT */
/* triage_format.c -- Loghub-style format strings: a tiny backtracking matcher.
 *
 * The compiled form is a flat list of items: a literal byte, a white-space run (\s+), a
 * lazy field (.*?), and optional groups as OPT (with the index after the group) ... END.
 * Matching tries the group first, then skips it, as a greedy "?" does. A step budget per
 * line bounds the work on pathological formats and lines. */
#include "triage/triage_format.h"

#include <string.h>

#include "core/xalloc.h"
#include "triage/triage_time.h"

#define MATCH_STEPS 200000 /* matcher steps per line before giving up */

enum item_kind { IT_LIT, IT_WS, IT_FIELD, IT_OPT, IT_END };

enum field_role {
    ROLE_NONE,
    ROLE_CONTENT,
    ROLE_LEVEL,
    ROLE_COMPONENT,
    ROLE_TIME_BASE, /* ROLE_TIME_BASE + enum triage_time_role: a date or time field */
};

struct item {
    enum item_kind kind;
    unsigned char c; /* IT_LIT */
    int field;       /* IT_FIELD: index into roles */
    int skip;        /* IT_OPT: the item after the group's END */
};

struct triage_format {
    struct item *items;
    int n_items;
    int n_fields;
    enum field_role roles[TRIAGE_FORMAT_MAX_FIELDS];
};

struct match {
    const struct triage_format *f;
    const char *s;
    size_t n;
    long steps;
    size_t beg[TRIAGE_FORMAT_MAX_FIELDS];
    size_t end[TRIAGE_FORMAT_MAX_FIELDS];
};

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static enum field_role role_of(const char *name, size_t n)
{
    static const struct {
        const char *name;
        enum field_role role;
    } roles[] = {
        {"Content", ROLE_CONTENT},
        {"Level", ROLE_LEVEL},
        {"Type", ROLE_NONE},
        {"Component", ROLE_COMPONENT},
        {"Date", ROLE_TIME_BASE + TRIAGE_TIME_DATE},
        {"Time", ROLE_TIME_BASE + TRIAGE_TIME_TIME},
        {"Month", ROLE_TIME_BASE + TRIAGE_TIME_MONTH},
        {"Day", ROLE_TIME_BASE + TRIAGE_TIME_DAY},
        {"Year", ROLE_TIME_BASE + TRIAGE_TIME_YEAR},
        {"Timestamp", ROLE_TIME_BASE + TRIAGE_TIME_STAMP},
    };
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (strlen(roles[i].name) == n && memcmp(roles[i].name, name, n) == 0)
            return roles[i].role;
    return ROLE_NONE;
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static struct item *push(struct triage_format *f, enum item_kind k)
{
    f->items = xrealloc(f->items, (size_t)(f->n_items + 1) * sizeof(*f->items));
    struct item *it = &f->items[f->n_items++];
    memset(it, 0, sizeof(*it));
    it->kind = k;
    return it;
}

/* Compile one field "<Name>" at fmt[*i]; returns false on a bad name. */
static bool compile_field(struct triage_format *f, const char *fmt, size_t *i, bool *has_content)
{
    size_t j = *i + 1;
    while (fmt[j] && is_name_char(fmt[j]))
        j++;
    if (fmt[j] != '>' || j == *i + 1 || f->n_fields == TRIAGE_FORMAT_MAX_FIELDS)
        return false;
    enum field_role r = role_of(fmt + *i + 1, j - *i - 1);
    if (r == ROLE_CONTENT) {
        if (*has_content)
            return false;
        *has_content = true;
    }
    f->roles[f->n_fields] = r;
    push(f, IT_FIELD)->field = f->n_fields++;
    *i = j + 1;
    return true;
}

static enum err compile_items(struct triage_format *f, const char *fmt, struct errbuf *eb)
{
    int stack[16], depth = 0;
    bool has_content = false;
    size_t i = 0;
    while (fmt[i]) {
        char c = fmt[i];
        if (c == '<' && is_name_char(fmt[i + 1])) {
            if (!compile_field(f, fmt, &i, &has_content))
                return errbuf_set(eb, ERR_INVALID, "format: bad or repeated field name");
        } else if (c == ' ') {
            while (fmt[i] == ' ')
                i++;
            push(f, IT_WS);
        } else if (c == '\\') {
            if (!fmt[i + 1])
                return errbuf_set(eb, ERR_INVALID, "format: trailing backslash");
            push(f, IT_LIT)->c = (unsigned char)fmt[i + 1];
            i += 2;
        } else if (c == '(') {
            if (depth == 16)
                return errbuf_set(eb, ERR_INVALID, "format: groups nested too deep");
            stack[depth++] = f->n_items;
            push(f, IT_OPT);
            i++;
        } else if (c == ')' && fmt[i + 1] == '?') {
            if (depth == 0)
                return errbuf_set(eb, ERR_INVALID, "format: unbalanced ')'");
            push(f, IT_END);
            f->items[stack[--depth]].skip = f->n_items;
            i += 2;
        } else if (c == ')' || c == '*' || c == '+' || c == '?' || c == '|' || c == '[' ||
                   c == ']' || c == '.' || c == '^' || c == '$' || c == '{' || c == '}') {
            /* regex meta characters other than ( )? must be escaped, as in a regex */
            if (c != '.')
                return errbuf_set(eb, ERR_INVALID, "format: unescaped '%c'", c);
            push(f, IT_LIT)->c = (unsigned char)c; /* "." matches itself: close enough */
            i++;
        } else {
            push(f, IT_LIT)->c = (unsigned char)c;
            i++;
        }
    }
    if (depth != 0)
        return errbuf_set(eb, ERR_INVALID, "format: unbalanced '('");
    if (!has_content)
        return errbuf_set(eb, ERR_INVALID, "format: no <Content> field");
    return ERR_OK;
}

enum err triage_format_compile(const char *fmt, struct triage_format **out, struct errbuf *eb)
{
    *out = NULL;
    if (!fmt || strlen(fmt) > TRIAGE_FORMAT_MAX_LEN)
        return errbuf_set(eb, ERR_INVALID, "format: missing or longer than %d bytes",
                          TRIAGE_FORMAT_MAX_LEN);
    struct triage_format *f = xcalloc(1, sizeof(*f));
    enum err e = compile_items(f, fmt, eb);
    if (e != ERR_OK) {
        triage_format_free(f);
        return e;
    }
    push(f, IT_END); /* the end of the pattern: the line must end here */
    f->items[f->n_items - 1].skip = -1;
    *out = f;
    return ERR_OK;
}

void triage_format_free(struct triage_format *f)
{
    if (!f)
        return;
    xfree(f->items);
    xfree(f);
}

/* The first end q >= p of a lazy field at which item ii can start to match: only where its
 * byte is (a literal), where white space is (\s+), at the end of the line (the end of the
 * pattern), else anywhere. SIZE_MAX when there is none. Same matches, far fewer steps. */
static size_t next_stop(const struct match *mt, int ii, size_t p)
{
    const struct item *it = &mt->f->items[ii];
    if (p > mt->n)
        return SIZE_MAX;
    if (it->kind == IT_END && it->skip == -1)
        return mt->n;
    if (it->kind == IT_LIT) {
        const char *hit = memchr(mt->s + p, it->c, mt->n - p);
        return hit ? (size_t)(hit - mt->s) : SIZE_MAX;
    }
    if (it->kind == IT_WS) {
        while (p < mt->n && !is_ws((unsigned char)mt->s[p]))
            p++;
        return p < mt->n ? p : SIZE_MAX;
    }
    return p;
}

static bool match_at(struct match *mt, int ii, size_t p)
{
    if (++mt->steps > MATCH_STEPS)
        return false;
    const struct item *it = &mt->f->items[ii];
    switch (it->kind) {
    case IT_END:
        if (it->skip == -1)
            return p == mt->n;
        return match_at(mt, ii + 1, p);
    case IT_OPT:
        return match_at(mt, ii + 1, p) || match_at(mt, it->skip, p);
    case IT_LIT:
        return p < mt->n && (unsigned char)mt->s[p] == it->c && match_at(mt, ii + 1, p + 1);
    case IT_WS: {
        size_t q = p;
        while (q < mt->n && is_ws((unsigned char)mt->s[q]))
            q++;
        for (; q > p; q--) /* greedy, like \s+ */
            if (match_at(mt, ii + 1, q))
                return true;
        return false;
    }
    case IT_FIELD:
        for (size_t q = next_stop(mt, ii + 1, p); q <= mt->n; q = next_stop(mt, ii + 1, q + 1)) {
            mt->beg[it->field] = p; /* lazy, like .*? */
            mt->end[it->field] = q;
            if (match_at(mt, ii + 1, q))
                return true;
            if (mt->steps > MATCH_STEPS)
                return false;
        }
        mt->beg[it->field] = mt->end[it->field] = SIZE_MAX;
        return false;
    }
    return false;
}

static bool word_is(const char *s, size_t n, const char *w)
{
    if (strlen(w) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != w[i])
            return false;
    }
    return true;
}

/* A level field's word; the detect parsers know more spellings of free text. */
static enum triage_level level_word(const char *s, size_t n)
{
    static const struct {
        const char *w;
        enum triage_level l;
    } words[] = {
        {"TRACE", TRIAGE_LEVEL_TRACE},       {"DEBUG", TRIAGE_LEVEL_DEBUG},
        {"INFO", TRIAGE_LEVEL_INFO},         {"NOTICE", TRIAGE_LEVEL_NOTICE},
        {"WARN", TRIAGE_LEVEL_WARN},         {"WARNING", TRIAGE_LEVEL_WARN},
        {"ERR", TRIAGE_LEVEL_ERROR},         {"ERROR", TRIAGE_LEVEL_ERROR},
        {"SEVERE", TRIAGE_LEVEL_ERROR},      {"CRIT", TRIAGE_LEVEL_CRITICAL},
        {"CRITICAL", TRIAGE_LEVEL_CRITICAL}, {"FATAL", TRIAGE_LEVEL_CRITICAL},
        {"ALERT", TRIAGE_LEVEL_CRITICAL},    {"EMERG", TRIAGE_LEVEL_CRITICAL},
        {"PANIC", TRIAGE_LEVEL_CRITICAL},
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (word_is(s, n, words[i].w))
            return words[i].l;
    return TRIAGE_LEVEL_UNKNOWN;
}

static void set_whole(struct triage_record *rec, const char *s, size_t n)
{
    rec->msg = s;
    rec->msg_len = n;
}

bool triage_format_split(const struct triage_format *f,
                         const char *line,
                         size_t len,
                         struct triage_record *rec)
{
    return triage_format_split_at(f, line, len, -1, rec);
}

/* Fill rec from the field values of a matched line. */
static void take_fields(const struct triage_format *f,
                        const struct match *mt,
                        int64_t ref_ms,
                        struct triage_record *rec)
{
    struct triage_time_parts tp;
    bool has_time = false;
    triage_time_parts_init(&tp);
    for (int i = 0; i < f->n_fields; i++) {
        if (mt->beg[i] == SIZE_MAX)
            continue;
        const char *v = mt->s + mt->beg[i];
        size_t n = mt->end[i] - mt->beg[i];
        if (f->roles[i] == ROLE_CONTENT) {
            set_whole(rec, v, n);
        } else if (f->roles[i] == ROLE_LEVEL) {
            rec->level = level_word(v, n);
        } else if (f->roles[i] == ROLE_COMPONENT) {
            if (n >= TRIAGE_COMPONENT_MAX)
                n = TRIAGE_COMPONENT_MAX - 1;
            memcpy(rec->component, v, n);
            rec->component[n] = '\0';
        } else if (f->roles[i] >= ROLE_TIME_BASE && ref_ms != TRIAGE_FORMAT_NO_TIME) {
            triage_time_parts_feed(&tp, (enum triage_time_role)(f->roles[i] - ROLE_TIME_BASE), v,
                                   n);
            has_time = true;
        }
    }
    if (has_time)
        rec->ts_ms = triage_time_parts_ms(&tp, ref_ms);
}

bool triage_format_split_at(const struct triage_format *f,
                            const char *line,
                            size_t len,
                            int64_t ref_ms,
                            struct triage_record *rec)
{
    while (len > 0 && is_ws((unsigned char)line[0])) {
        line++;
        len--;
    }
    while (len > 0 && is_ws((unsigned char)line[len - 1]))
        len--;
    rec->ts_ms = -1;
    rec->level = TRIAGE_LEVEL_UNKNOWN;
    rec->component[0] = '\0';
    set_whole(rec, line, len);
    struct match mt = {.f = f, .s = line, .n = len};
    for (int i = 0; i < f->n_fields; i++)
        mt.beg[i] = mt.end[i] = SIZE_MAX;
    if (!match_at(&mt, 0, 0))
        return false;
    take_fields(f, &mt, ref_ms, rec);
    return true;
}
