/* SPDX-License-Identifier: MIT */
/* markdown.c -- Markdown to safe HTML through Debian's cmark-gfm (see markdown.h).
 *
 * cmark-gfm 0.29.0.gfm.6 pads every short table row with empty cells while parsing, so a
 * wide delimiter row followed by many one-character lines asks for rows x columns nodes
 * (gigabytes from a megabyte); and deep block nesting is slow in it. Before parsing, one pass
 * over the lines bounds both: the cells any table could make (each delimiter-like line, with
 * or without pipes, starts a table of its pipes + 1 columns that lasts until a blank line, an
 * upper bound of what the parser builds) and the container markers opening a line. Two of
 * its inline scans are super-linear too (unmatched "![" and "[" openers: 35 s for 256 KiB of
 * "![[]()"; the autolink's e-mail scan: 7 s for 1 MiB of "x@y."), so the unescaped '[' and
 * the '@' are counted and capped where they still render in well under a second. */
#include "markdown/markdown.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "core/xalloc.h"

/* Without CMARK_OPT_UNSAFE: raw HTML omitted, dangerous URLs dropped. */
#define OPTIONS (CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8)

static const char *const extensions[] = {"table", "strikethrough", "autolink", "tagfilter"};

static pthread_once_t registered = PTHREAD_ONCE_INIT;

static void register_extensions(void)
{
    cmark_gfm_core_extensions_ensure_registered();
}

static void *mem_calloc(size_t n, size_t size)
{
    return xcalloc(n, size);
}

static void *mem_realloc(void *p, size_t size)
{
    return xrealloc(p, size);
}

static void mem_free(void *p)
{
    xfree(p);
}

static cmark_mem mem = {mem_calloc, mem_realloc, mem_free};

/* Skip the block quote and list markers (and indentation) that open line [p, end); returns
 * the first byte after them and their count in *depth. */
static const char *skip_containers(const char *p, const char *end, size_t *depth)
{
    *depth = 0;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *q = p;
        if (q < end && *q == '>') {
            q++;
        } else if (q < end && strchr("-*+", *q)) {
            q++;
            if (q < end && *q != ' ' && *q != '\t')
                return p;
        } else {
            while (q < end && q - p < 10 && *q >= '0' && *q <= '9')
                q++;
            if (q == p || q == end || (*q != '.' && *q != ')') || q + 1 == end ||
                (q[1] != ' ' && q[1] != '\t'))
                return p;
            q++;
        }
        (*depth)++;
        p = q;
    }
}

/* Return the columns a delimiter-like line could give a table (pipes + 1), or 0 when
 * [p, end) is not one: only '|', '-', ':', blanks, and at least one '-'. */
static size_t delimiter_columns(const char *p, const char *end)
{
    size_t pipes = 0;
    bool has_dash = false;
    for (; p < end; p++) {
        if (*p == '|')
            pipes++;
        else if (*p == '-')
            has_dash = true;
        else if (*p != ':' && *p != ' ' && *p != '\t' && *p != '\r')
            return 0;
    }
    return has_dash ? pipes + 1 : 0;
}

static bool is_blank(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r')
            return false;
    return true;
}

/* Count the unescaped '[' (after an even run of backslashes) and the '@' of md; ERR_TOO_LARGE
 * when over the caps. */
static enum err count_inline(const char *md, size_t len, struct errbuf *eb)
{
    size_t brackets = 0, ats = 0, slashes = 0;
    for (size_t i = 0; i < len; i++) {
        if (md[i] == '[' && slashes % 2 == 0)
            brackets++;
        else if (md[i] == '@')
            ats++;
        slashes = md[i] == '\\' ? slashes + 1 : 0;
    }
    if (brackets > MARKDOWN_BRACKETS_MAX)
        return errbuf_set(eb, ERR_TOO_LARGE, "more than %d unescaped '['", MARKDOWN_BRACKETS_MAX);
    if (ats > MARKDOWN_AT_MAX)
        return errbuf_set(eb, ERR_TOO_LARGE, "more than %d '@'", MARKDOWN_AT_MAX);
    return ERR_OK;
}

/* Bound the table cells and the nesting md could make; ERR_TOO_LARGE when over the caps. */
static enum err precheck(const char *md, size_t len, struct errbuf *eb)
{
    const char *p = md, *end = md + len;
    size_t cells = 0, columns = 0, line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end, *body;
        size_t depth, cols;
        line++;
        body = skip_containers(p, eol, &depth);
        if (depth > MARKDOWN_NESTING_MAX)
            return errbuf_set(eb, ERR_TOO_LARGE,
                              "line %zu opens more than %d block quotes or lists", line,
                              MARKDOWN_NESTING_MAX);
        if (is_blank(body, eol)) {
            columns = 0;
        } else if ((cols = delimiter_columns(body, eol)) > 0) {
            columns = cols;
            cells += 2 * cols; /* the header row and this one */
        } else {
            cells += columns;
        }
        if (cells > MARKDOWN_CELLS_MAX)
            return errbuf_set(eb, ERR_TOO_LARGE, "the tables could make more than %d cells",
                              MARKDOWN_CELLS_MAX);
        p = eol + (nl != NULL);
    }
    return ERR_OK;
}

enum err markdown_render_html(const char *md, size_t len, struct buf *out, struct errbuf *eb)
{
    cmark_parser *parser = NULL;
    cmark_node *doc = NULL;
    char *html = NULL;
    enum err e = ERR_OK;
    if (len > MARKDOWN_INPUT_MAX) {
        e = errbuf_set(eb, ERR_TOO_LARGE, "the Markdown is larger than %d bytes",
                       MARKDOWN_INPUT_MAX);
        goto out;
    }
    e = precheck(md, len, eb);
    if (e == ERR_OK)
        e = count_inline(md, len, eb);
    if (e != ERR_OK)
        goto out;
    pthread_once(&registered, register_extensions);
    parser = cmark_parser_new_with_mem(OPTIONS, &mem);
    for (size_t i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
        cmark_syntax_extension *ext = cmark_find_syntax_extension(extensions[i]);
        if (!ext || !cmark_parser_attach_syntax_extension(parser, ext)) {
            e = errbuf_set(eb, ERR_INTERNAL, "cmark-gfm has no %s extension", extensions[i]);
            goto out;
        }
    }
    cmark_parser_feed(parser, md, len);
    doc = cmark_parser_finish(parser);
    html =
        cmark_render_html_with_mem(doc, OPTIONS, cmark_parser_get_syntax_extensions(parser), &mem);
    e = buf_puts(out, html);
    if (e != ERR_OK)
        errbuf_set(eb, e, "the HTML is larger than the reply may be");
out:
    xfree(html);
    if (doc)
        cmark_node_free(doc);
    if (parser)
        cmark_parser_free(parser);
    return e;
}
