/* SPDX-License-Identifier: MIT */
/* fuzz_markdown.c -- fuzz markdown_render_html on any bytes: never crash; the HTML is
 * NUL-free text within the cap, or ERR_TOO_LARGE leaves it empty; and nothing in it runs:
 * no script-like tag, no on* attribute outside a quoted value, no javascript:, vbscript: or
 * data:text URL in an attribute. */
#include "fuzz.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "markdown/markdown.h"

#define FUZZ_OUT_MAX (4 * 1024 * 1024)

static bool has_tag(const char *html, const char *tag)
{
    return strcasestr(html, tag) != NULL;
}

/* Return true when an attribute named on* opens inside a tag (quoted values skipped). */
static bool has_handler(const char *html)
{
    bool in_tag = false;
    for (const char *p = html; *p; p++) {
        if (*p == '<') {
            in_tag = true;
        } else if (in_tag && *p == '"') {
            const char *q = strchr(p + 1, '"');
            if (!q)
                return true; /* an unterminated value: not HTML the renderer writes */
            p = q;
        } else if (*p == '>') {
            in_tag = false;
        } else if (in_tag && p > html && (p[-1] == ' ' || p[-1] == '/') &&
                   strncasecmp(p, "on", 2) == 0) {
            return true;
        }
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const bad[] = {
        "<script", "<iframe", "<object", "<embed",         "<style",       "<svg",        "<form",
        "<base",   "<meta",   "<link",   "=\"javascript:", "=\"vbscript:", "=\"data:text"};
    struct buf out;
    buf_init(&out, FUZZ_OUT_MAX);
    enum err e = markdown_render_html((const char *)data, size, &out, NULL);
    const char *h = buf_str(&out);
    if (e != ERR_OK && (e != ERR_TOO_LARGE || buf_len(&out) != 0))
        abort();
    if (strlen(h) != buf_len(&out))
        abort(); /* a NUL in the HTML */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (has_tag(h, bad[i]))
            abort();
    if (has_handler(h))
        abort();
    buf_fini(&out);
    return 0;
}
