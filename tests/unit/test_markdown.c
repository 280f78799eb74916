/* SPDX-License-Identifier: MIT */
/* test_markdown.c -- Markdown to safe HTML (cmark-gfm): the extensions render, hostile input
 * (script, event handlers, javascript: links, raw HTML blocks, entities) comes out inert,
 * and the caps (size, table cells, nesting, output) answer ERR_TOO_LARGE. */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "markdown/markdown.h"

#define OUT_MAX (16 * 1024 * 1024)

/* Render md into a new string (caller frees); fails the test on an error. */
static char *render(const char *md)
{
    struct buf b;
    struct errbuf eb = {{0}};
    buf_init(&b, OUT_MAX);
    enum err e = markdown_render_html(md, strlen(md), &b, &eb);
    ck_assert_msg(e == ERR_OK, "render failed: %s", errbuf_get(&eb, e));
    return buf_take(&b);
}

static enum err render_err(const char *md, size_t len, size_t out_max, struct errbuf *eb)
{
    struct buf b;
    buf_init(&b, out_max);
    enum err e = markdown_render_html(md, len, &b, eb);
    if (e != ERR_OK)
        ck_assert_uint_eq(buf_len(&b), 0);
    buf_fini(&b);
    return e;
}

/* Check that html holds nothing that runs: no tag named script/iframe/object/embed/style,
 * no on*= attribute inside a tag, no javascript:/vbscript: URL in an attribute. */
static void assert_inert(const char *html)
{
    static const char *const tags[] = {"<script", "<iframe", "<object", "<embed",
                                       "<style",  "<svg",    "<math",   "<form",
                                       "<input",  "<meta",   "<link",   "<base"};
    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
        ck_assert_msg(strcasestr(html, tags[i]) == NULL, "%s in: %s", tags[i], html);
    bool in_tag = false;
    for (const char *p = html; *p; p++) {
        if (*p == '<') {
            in_tag = true;
        } else if (in_tag && *p == '"') {
            const char *q = strchr(p + 1, '"'); /* a quoted value: text, whatever it says */
            ck_assert_ptr_nonnull(q);
            p = q;
        } else if (*p == '>') {
            in_tag = false;
        } else if (in_tag && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n' || p[-1] == '/') &&
                   strncasecmp(p, "on", 2) == 0) {
            ck_abort_msg("an on* attribute in: %s", html);
        }
    }
    ck_assert_msg(strcasestr(html, "=\"javascript:") == NULL, "javascript: in %s", html);
    ck_assert_msg(strcasestr(html, "=\"vbscript:") == NULL, "vbscript: in %s", html);
    ck_assert_msg(strcasestr(html, "=\"data:text") == NULL, "data:text in %s", html);
}

/* Render each of the n cases and check that nothing in the HTML runs. */
static void render_inert(const char *const *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *h = render(cases[i]);
        assert_inert(h);
        xfree(h);
    }
}

START_TEST(test_gfm_extensions)
{
    char *h = render("# Run 7\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\n~~old~~ and "
                     "https://example.org/x and **bold**\n");
    ck_assert_ptr_nonnull(strstr(h, "<h1>Run 7</h1>"));
    ck_assert_ptr_nonnull(strstr(h, "<table>"));
    ck_assert_ptr_nonnull(strstr(h, "<th>a</th>"));
    ck_assert_ptr_nonnull(strstr(h, "<td align=\"right\">2</td>"));
    ck_assert_ptr_nonnull(strstr(h, "<del>old</del>"));
    ck_assert_ptr_nonnull(strstr(h, "<a href=\"https://example.org/x\">"));
    ck_assert_ptr_nonnull(strstr(h, "<strong>bold</strong>"));
    xfree(h);
}
END_TEST

START_TEST(test_hostile_html)
{
    static const char *const cases[] = {
        "<script>alert(1)</script>\n",
        "text <script>window.__xss=1</script> more\n",
        "<img src=x onerror=alert(1)>\n",
        "inline <img src=x onerror=\"alert(1)\"> image\n",
        "<div onclick=\"x()\">\n\nblock\n\n</div>\n",
        "<iframe src=\"https://evil\"></iframe>\n",
        "<svg onload=alert(1)>\n",
        "<style>body{display:none}</style>\n",
        "<!-- comment --><object data=x></object>\n",
        "<a href=\"javascript:alert(1)\">x</a>\n",
        "| h |\n|---|\n| <script>alert(1)</script> |\n| <img src=x onerror=alert(1)> |\n",
        "> <script>alert(1)</script>\n",
        "- <details open ontoggle=alert(1)>\n",
        "<textarea><script>alert(1)</script></textarea>\n",
    };
    render_inert(cases, sizeof(cases) / sizeof(cases[0]));
    /* Raw HTML is replaced, not escaped into text. */
    char *h = render("<script>alert(1)</script>\n");
    ck_assert_ptr_nonnull(strstr(h, "raw HTML omitted"));
    xfree(h);
}
END_TEST

START_TEST(test_hostile_links)
{
    static const char *const cases[] = {
        "[x](javascript:alert(1))\n",
        "[x](JAVASCRIPT:alert(1))\n",
        "[x](  javascript:alert(1) )\n",
        "[x](vbscript:msgbox)\n",
        "[x](data:text/html;base64,PHNjcmlwdD4=)\n",
        "![x](javascript:alert(1))\n",
        "<javascript:alert(1)>\n",
        "[x][r]\n\n[r]: javascript:alert(1)\n",
        "[x](java&#115;cript:alert(1))\n",
        "[x](jav\tascript:alert(1))\n",
        "[x\"onmouseover=\"alert(1)](https://a.example/\"onmouseover=\"alert(1))\n",
        "![a\" onerror=\"alert(1)](x.png)\n",
    };
    render_inert(cases, sizeof(cases) / sizeof(cases[0]));
    /* Safe links stay links. */
    char *h = render("[ok](https://example.org/a?b=1&c=2)\n");
    ck_assert_ptr_nonnull(strstr(h, "href=\"https://example.org/a?b=1&amp;c=2\""));
    xfree(h);
}
END_TEST

START_TEST(test_entities_and_bytes)
{
    char *h = render("&lt;script&gt;alert(1)&lt;/script&gt; &#60;img&#62; &amp; &quot;\n");
    assert_inert(h);
    ck_assert_ptr_nonnull(strstr(h, "&lt;script&gt;"));
    ck_assert_ptr_nonnull(strstr(h, "&lt;img&gt;"));
    xfree(h);
    /* Escaped text stays text (the report escapes what it quotes). */
    h = render("\\<img src=x onerror=alert(1)\\>\n");
    ck_assert_ptr_nonnull(strstr(h, "&lt;img src=x onerror=alert(1)&gt;"));
    xfree(h);
    /* Invalid UTF-8 and NUL bytes: replaced, never passed through. */
    static const char bad[] = "a\xff\xfe b\0c <x>";
    struct buf b;
    buf_init(&b, OUT_MAX);
    ck_assert_int_eq(markdown_render_html(bad, sizeof(bad) - 1, &b, NULL), ERR_OK);
    ck_assert_ptr_null(memchr(buf_str(&b), '\xff', buf_len(&b)));
    ck_assert_ptr_nonnull(strstr(buf_str(&b), "\xef\xbf\xbd"));
    buf_fini(&b);
    /* Empty input: empty output. */
    h = render("");
    ck_assert_str_eq(h, "");
    xfree(h);
}
END_TEST

START_TEST(test_caps)
{
    struct errbuf eb = {{0}};
    size_t n = MARKDOWN_INPUT_MAX + 1;
    char *big = xmalloc(n + 1);
    memset(big, 'a', n);
    big[n] = '\0';
    ck_assert_int_eq(render_err(big, n, OUT_MAX, &eb), ERR_TOO_LARGE);
    ck_assert_ptr_nonnull(strstr(eb.msg, "larger than"));
    /* Just under the cap renders. */
    ck_assert_int_eq(render_err(big, n - 1, OUT_MAX, &eb), ERR_OK);
    /* The output cap holds too. */
    ck_assert_int_eq(render_err(big, 1000, 100, &eb), ERR_TOO_LARGE);
    xfree(big);
}
END_TEST

START_TEST(test_huge_tables)
{
    /* 2000 columns, then 200 one-character rows: cmark-gfm would pad to 400000 cells. */
    struct buf md;
    struct errbuf eb = {{0}};
    buf_init(&md, MARKDOWN_INPUT_MAX);
    for (int i = 0; i < 2000; i++)
        buf_puts(&md, "|a");
    buf_puts(&md, "|\n");
    for (int i = 0; i < 2000; i++)
        buf_puts(&md, "|-");
    buf_puts(&md, "|\n");
    for (int i = 0; i < 200; i++)
        buf_puts(&md, "x\n");
    ck_assert_int_eq(render_err(buf_str(&md), buf_len(&md), OUT_MAX, &eb), ERR_TOO_LARGE);
    ck_assert_ptr_nonnull(strstr(eb.msg, "cells"));
    /* In a block quote and a list item the bound still counts. */
    buf_reset(&md);
    buf_puts(&md, "> - | a | b |\n> - ");
    for (int i = 0; i < 3000; i++)
        buf_puts(&md, "|:-:");
    buf_puts(&md, "|\n");
    for (int i = 0; i < 100; i++)
        buf_puts(&md, ">   x\n");
    ck_assert_int_eq(render_err(buf_str(&md), buf_len(&md), OUT_MAX, &eb), ERR_TOO_LARGE);
    /* A blank line ends a table: many small tables are fine. */
    buf_reset(&md);
    for (int t = 0; t < 300; t++) {
        buf_puts(&md, "| k | v |\n|---|---|\n");
        for (int i = 0; i < 20; i++)
            buf_puts(&md, "| key | value |\n");
        buf_puts(&md, "\n");
    }
    ck_assert_int_eq(render_err(buf_str(&md), buf_len(&md), OUT_MAX, &eb), ERR_OK);
    buf_fini(&md);
}
END_TEST

START_TEST(test_nesting)
{
    struct buf md;
    struct errbuf eb = {{0}};
    buf_init(&md, MARKDOWN_INPUT_MAX);
    for (int i = 0; i < MARKDOWN_NESTING_MAX + 1; i++)
        buf_puts(&md, "> ");
    buf_puts(&md, "deep\n");
    ck_assert_int_eq(render_err(buf_str(&md), buf_len(&md), OUT_MAX, &eb), ERR_TOO_LARGE);
    ck_assert_ptr_nonnull(strstr(eb.msg, "block quotes"));
    buf_reset(&md);
    for (int i = 0; i < 10; i++)
        buf_puts(&md, "> - 1. ");
    buf_puts(&md, "ok\n");
    ck_assert_int_eq(render_err(buf_str(&md), buf_len(&md), OUT_MAX, &eb), ERR_OK);
    buf_fini(&md);
}
END_TEST

/* Repeat pat to n bytes into md (reset first). */
static void repeat(struct buf *md, const char *pat, size_t n)
{
    buf_reset(md);
    while (buf_len(md) + strlen(pat) <= n)
        buf_puts(md, pat);
}

START_TEST(test_superlinear_inlines)
{
    /* Unmatched image openers and e-mail-like runs are slow in cmark-gfm 0.29.0.gfm.6: the
     * counts are capped; escaped brackets do not count. */
    struct buf md;
    struct errbuf eb = {{0}};
    buf_init(&md, MARKDOWN_INPUT_MAX);
    repeat(&md, "![[]()", MARKDOWN_INPUT_MAX);
    ck_assert_int_eq(render_err(buf_str(&md), buf_len(&md), OUT_MAX, &eb), ERR_TOO_LARGE);
    ck_assert_ptr_nonnull(strstr(eb.msg, "'['"));
    repeat(&md, "x@y.", MARKDOWN_INPUT_MAX);
    ck_assert_int_eq(render_err(buf_str(&md), buf_len(&md), OUT_MAX, &eb), ERR_TOO_LARGE);
    ck_assert_ptr_nonnull(strstr(eb.msg, "'@'"));
    /* \\[ : an escaped backslash, then a bracket that counts. */
    repeat(&md, "\\\\[", MARKDOWN_INPUT_MAX);
    ck_assert_int_eq(render_err(buf_str(&md), buf_len(&md), OUT_MAX, &eb), ERR_TOO_LARGE);
    /* \[ : an escaped bracket, text (the report escapes what it quotes this way). */
    repeat(&md, "a \\[x\\] ", MARKDOWN_INPUT_MAX);
    ck_assert_int_eq(render_err(buf_str(&md), buf_len(&md), OUT_MAX, &eb), ERR_OK);
    /* Under the caps: renders. */
    repeat(&md, "![[]()", 6 * (MARKDOWN_BRACKETS_MAX / 2));
    ck_assert_int_eq(render_err(buf_str(&md), buf_len(&md), OUT_MAX, &eb), ERR_OK);
    buf_fini(&md);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("markdown");
    TCase *tc = tcase_create("render");
    tcase_add_test(tc, test_gfm_extensions);
    tcase_add_test(tc, test_hostile_html);
    tcase_add_test(tc, test_hostile_links);
    tcase_add_test(tc, test_entities_and_bytes);
    suite_add_tcase(s, tc);
    tc = tcase_create("caps");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_caps);
    tcase_add_test(tc, test_huge_tables);
    tcase_add_test(tc, test_nesting);
    tcase_add_test(tc, test_superlinear_inlines);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
