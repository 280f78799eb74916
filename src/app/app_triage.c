/* SPDX-License-Identifier: MIT */
/* app_triage.c -- `cyberbrain triage [--format md|json] [--log-format FMT]
 * [--assignments OUT.csv] FILE...`: mine the templates of log files and print a summary.
 *
 * Lines are read in chunks and capped at TRIAGE_LINE_MAX bytes: a longer line, or one with
 * a NUL byte, is counted and skipped (it still gets an assignments row, with an empty
 * template). CRLF and a missing final newline are normal. Without --log-format each file's
 * header format is auto-detected (triage_detect.h); the message part is mined. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/xalloc.h"
#include "triage/triage_detect.h"
#include "triage/triage_format.h"
#include "triage/triage_miner.h"

#define TRIAGE_LINE_MAX (64 * 1024)
#define TRIAGE_CHUNK    (64 * 1024)
#define TRIAGE_MD_TOP   50
#define TRIAGE_LEVELS   8

/* Memory is bounded by the templates issued, not by the input: per issued template id the
 * line count per level; the template id of every line is kept only for --assignments. */
struct tally {
    uint64_t (*levels)[TRIAGE_LEVELS]; /* indexed by issued template id */
    size_t n_ids;
    uint32_t *line_tid; /* with --assignments: per input line, TRIAGE_TID_NONE when skipped */
    size_t cap;
    size_t n_lines;
    bool keep_lines;
};

struct ctx {
    struct triage_miner *m;
    struct triage_format *fmt;
    struct triage_detect *det; /* per file, without --log-format */
    char *scratch;             /* for the detector (Docker JSON unescaping) */
    struct tally ln;
    uint64_t skipped_long, skipped_binary, unmatched, files_unreadable;
};

static const char *const level_names[TRIAGE_LEVELS] = {
    "unknown", "trace", "debug", "info", "notice", "warn", "error", "critical",
};

static void lines_push(struct tally *l, uint32_t tid, enum triage_level lv)
{
    if (l->keep_lines) {
        if (l->n_lines == l->cap) {
            l->cap = l->cap ? 2 * l->cap : 4096;
            l->line_tid = xrealloc(l->line_tid, l->cap * sizeof(*l->line_tid));
        }
        l->line_tid[l->n_lines] = tid;
    }
    l->n_lines++;
    if (tid == TRIAGE_TID_NONE)
        return;
    if (tid >= l->n_ids) {
        size_t n = l->n_ids ? l->n_ids : 256;
        while (n <= tid)
            n *= 2;
        l->levels = xrealloc(l->levels, n * sizeof(*l->levels));
        memset(l->levels + l->n_ids, 0, (n - l->n_ids) * sizeof(*l->levels));
        l->n_ids = n;
    }
    l->levels[tid][(unsigned)lv < TRIAGE_LEVELS ? lv : 0]++;
}

static void one_line(struct ctx *c, const char *s, size_t n, bool is_long)
{
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (is_long) {
        c->skipped_long++;
        lines_push(&c->ln, TRIAGE_TID_NONE, TRIAGE_LEVEL_UNKNOWN);
        return;
    }
    if (memchr(s, '\0', n)) {
        c->skipped_binary++;
        lines_push(&c->ln, TRIAGE_TID_NONE, TRIAGE_LEVEL_UNKNOWN);
        return;
    }
    struct triage_record rec = {.msg = s, .msg_len = n, .ts_ms = -1};
    if (c->fmt && !triage_format_split_at(c->fmt, s, n, TRIAGE_FORMAT_NO_TIME, &rec))
        c->unmatched++;
    else if (!c->fmt && c->det)
        triage_detect_line(c->det, s, n, &rec, c->scratch, TRIAGE_LINE_MAX);
    uint32_t tid = triage_miner_add(c->m, rec.msg, rec.msg_len);
    lines_push(&c->ln, tid, rec.level);
}

static int read_file(struct ctx *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cyberbrain: triage: cannot read %s\n", path);
        c->files_unreadable++;
        return 1;
    }
    if (!c->fmt)
        c->det = triage_detect_new(clock_now_ms());
    char *chunk = xmalloc(TRIAGE_CHUNK);
    char *line = xmalloc(TRIAGE_LINE_MAX);
    size_t len = 0, got;
    bool is_long = false, has_partial = false;
    while ((got = fread(chunk, 1, TRIAGE_CHUNK, f)) > 0) {
        size_t i = 0;
        while (i < got) {
            const char *nl = memchr(chunk + i, '\n', got - i);
            size_t k = nl ? (size_t)(nl - chunk) - i : got - i;
            if (!is_long && len + k <= TRIAGE_LINE_MAX) {
                memcpy(line + len, chunk + i, k);
                len += k;
            } else {
                is_long = true;
            }
            has_partial = true;
            i += k;
            if (nl) {
                one_line(c, line, len, is_long);
                len = 0;
                is_long = false;
                has_partial = false;
                i++;
            }
        }
    }
    int rc = ferror(f) ? 1 : 0;
    if (rc)
        fprintf(stderr, "cyberbrain: triage: read error in %s\n", path);
    if (has_partial)
        one_line(c, line, len, is_long);
    fclose(f);
    triage_detect_free(c->det);
    c->det = NULL;
    xfree(chunk);
    xfree(line);
    return rc;
}

/* Quote s for CSV (RFC 4180). */
static void csv_field(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int write_assignments(struct ctx *c, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cyberbrain: triage: cannot write %s\n", path);
        return 1;
    }
    fputs("LineId,EventTemplate\n", f);
    for (size_t i = 0; i < c->ln.n_lines; i++) {
        const char *t = triage_miner_template_text(c->m, c->ln.line_tid[i]);
        fprintf(f, "%zu,", i + 1);
        csv_field(f, t ? t : "");
        fputc('\n', f);
    }
    int rc = fclose(f) == 0 ? 0 : 1;
    if (rc)
        fprintf(stderr, "cyberbrain: triage: write error in %s\n", path);
    return rc;
}

struct agg {
    uint32_t tid;
    uint64_t count;
    uint64_t levels[TRIAGE_LEVELS];
};

static int agg_cmp(const void *a, const void *b)
{
    const struct agg *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* One row per live template that has lines, by count (then id). */
static struct agg *aggregate(struct ctx *c, size_t *n_out)
{
    size_t n = 0, cur = 0;
    uint32_t tid, max_id = 0;
    while (triage_miner_next(c->m, &cur, &tid))
        max_id = tid + 1;
    uint32_t *row = xmalloc((max_id ? max_id : 1) * sizeof(*row));
    struct agg *rows = xcalloc(max_id ? max_id : 1, sizeof(*rows));
    for (uint32_t i = 0; i < max_id; i++)
        row[i] = UINT32_MAX;
    for (size_t i = 0; i < c->ln.n_ids; i++) { /* fold merged ids into their survivors */
        uint32_t r = triage_miner_resolve(c->m, (uint32_t)i);
        if (r == TRIAGE_TID_NONE || r >= max_id)
            continue;
        if (row[r] == UINT32_MAX) {
            row[r] = (uint32_t)n;
            rows[n++].tid = r;
        }
        for (int k = 0; k < TRIAGE_LEVELS; k++) {
            rows[row[r]].count += c->ln.levels[i][k];
            rows[row[r]].levels[k] += c->ln.levels[i][k];
        }
    }
    xfree(row);
    qsort(rows, n, sizeof(*rows), agg_cmp);
    *n_out = n;
    return rows;
}

/* Copy s with each byte of an invalid UTF-8 sequence replaced by '?'. */
static void utf8_clean(const char *s, struct buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    buf_reset(out);
    while (*p) {
        size_t k = *p < 0x80         ? 1
                   : (*p >> 5) == 6  ? 2
                   : (*p >> 4) == 14 ? 3
                   : (*p >> 3) == 30 ? 4
                                     : 0;
        bool is_ok = k > 0;
        for (size_t i = 1; i < k && is_ok; i++)
            is_ok = (p[i] & 0xC0) == 0x80;
        if (is_ok && k == 2 && *p < 0xC2)
            is_ok = false;
        if (is_ok) {
            buf_append(out, p, k);
            p += k;
        } else {
            buf_append(out, "?", 1);
            p++;
        }
    }
}

static json_t *summary_json(struct ctx *c, const struct agg *rows, size_t n)
{
    struct triage_miner_stats st;
    triage_miner_stats(c->m, &st);
    json_t *tpls = json_array();
    struct buf b;
    buf_init(&b, 4 * 65536);
    for (size_t i = 0; i < n; i++) {
        char key[17];
        triage_miner_template_key(c->m, rows[i].tid, key);
        utf8_clean(triage_miner_template_text(c->m, rows[i].tid), &b);
        json_t *lv = json_object();
        for (int k = 0; k < TRIAGE_LEVELS; k++)
            if (rows[i].levels[k])
                json_object_set_new(lv, level_names[k],
                                    json_integer((json_int_t)rows[i].levels[k]));
        json_array_append_new(tpls, json_pack("{s:i, s:s, s:s%, s:I, s:o}", "id", (int)rows[i].tid,
                                              "key", key, "text", buf_str(&b), buf_len(&b), "count",
                                              (json_int_t)rows[i].count, "levels", lv));
    }
    buf_fini(&b);
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "lines", (json_int_t)c->ln.n_lines,
                     "skipped_long", (json_int_t)c->skipped_long, "skipped_binary",
                     (json_int_t)c->skipped_binary, "format_unmatched", (json_int_t)c->unmatched,
                     "files_unreadable", (json_int_t)c->files_unreadable, "templates_evicted",
                     (json_int_t)st.evicted, "truncated", (json_int_t)st.truncated, "templates",
                     tpls);
}

static void summary_md(struct ctx *c, const struct agg *rows, size_t n)
{
    struct buf b;
    buf_init(&b, 4 * 65536);
    printf("# Log triage\n\n%zu lines, %zu templates; skipped: %llu too long, %llu binary; "
           "%llu did not match the format; %llu files unreadable.\n\n",
           c->ln.n_lines, n, (unsigned long long)c->skipped_long,
           (unsigned long long)c->skipped_binary, (unsigned long long)c->unmatched,
           (unsigned long long)c->files_unreadable);
    printf("| count | errors | warnings | key | template |\n|---:|---:|---:|---|---|\n");
    for (size_t i = 0; i < n && i < TRIAGE_MD_TOP; i++) {
        char key[17];
        triage_miner_template_key(c->m, rows[i].tid, key);
        utf8_clean(triage_miner_template_text(c->m, rows[i].tid), &b);
        printf("| %llu | %llu | %llu | `%s` | ", (unsigned long long)rows[i].count,
               (unsigned long long)(rows[i].levels[TRIAGE_LEVEL_ERROR] +
                                    rows[i].levels[TRIAGE_LEVEL_CRITICAL]),
               (unsigned long long)rows[i].levels[TRIAGE_LEVEL_WARN], key);
        for (const char *p = buf_str(&b); *p; p++) {
            if (*p == '|' || *p == '`' || *p == '\\' || *p == '*' || *p == '<' || *p == '_')
                putchar('\\');
            putchar(*p);
        }
        printf(" |\n");
    }
    if (n > TRIAGE_MD_TOP)
        printf("\n(%zu more templates; use --format json for all)\n", n - TRIAGE_MD_TOP);
    buf_fini(&b);
}

static int usage_err(const char *why)
{
    fprintf(stderr,
            "cyberbrain: triage: %s\nusage: cyberbrain triage [--format md|json] "
            "[--log-format FMT] [--assignments OUT.csv] FILE...\n",
            why);
    return 2;
}

int app_cmd_triage(struct config *cfg, int argc, char **argv)
{
    (void)cfg;
    const char *out_fmt = "md", *log_fmt = NULL, *assign = NULL;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc)
            return usage_err("option needs a value");
        if (strcmp(argv[i], "--format") == 0)
            out_fmt = argv[++i];
        else if (strcmp(argv[i], "--log-format") == 0)
            log_fmt = argv[++i];
        else if (strcmp(argv[i], "--assignments") == 0)
            assign = argv[++i];
        else
            return usage_err("unknown option");
    }
    if (strcmp(out_fmt, "md") != 0 && strcmp(out_fmt, "json") != 0)
        return usage_err("--format is md or json");
    if (i >= argc)
        return usage_err("no FILE");
    struct ctx c = {0};
    if (log_fmt) {
        struct errbuf eb = {{0}};
        if (triage_format_compile(log_fmt, &c.fmt, &eb) != ERR_OK)
            return usage_err(eb.msg);
    }
    c.ln.keep_lines = assign != NULL;
    c.m = triage_miner_new(NULL);
    c.scratch = xmalloc(TRIAGE_LINE_MAX);
    int rc = 0;
    for (; i < argc; i++)
        rc |= read_file(&c, argv[i]);
    if (assign)
        rc |= write_assignments(&c, assign);
    size_t n = 0;
    struct agg *rows = aggregate(&c, &n);
    if (strcmp(out_fmt, "json") == 0) {
        json_t *j = summary_json(&c, rows, n);
        json_dumpf(j, stdout, JSON_INDENT(1));
        putchar('\n');
        json_decref(j);
    } else {
        summary_md(&c, rows, n);
    }
    xfree(rows);
    xfree(c.ln.line_tid);
    xfree(c.ln.levels);
    xfree(c.scratch);
    triage_miner_free(c.m);
    triage_format_free(c.fmt);
    return rc;
}
