/* SPDX-License-Identifier: MIT */
/* markdown.h -- Markdown (GitHub flavour) to safe HTML, for the run report in the web UI.
 *
 * Pure: bytes in, HTML out, no I/O, no clock. Thread-safe: the one global step (registering
 * cmark-gfm's extensions) runs once under pthread_once. Debian's cmark-gfm parses with the
 * table, strikethrough, autolink and tagfilter extensions and renders without
 * CMARK_OPT_UNSAFE: raw HTML (blocks and inline) becomes a comment "raw HTML omitted", links
 * and images whose URL is javascript:, vbscript:, file: or data: (but for data:image/png, gif,
 * jpeg, webp) lose the URL, and every text and attribute is escaped. Invalid UTF-8 becomes
 * U+FFFD. */
#pragma once

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define MARKDOWN_INPUT_MAX    (1024 * 1024) /* bytes of Markdown rendered */
#define MARKDOWN_CELLS_MAX    200000        /* table cells (cmark-gfm pads short rows) */
#define MARKDOWN_NESTING_MAX  64            /* block quote / list markers opening a line */
#define MARKDOWN_BRACKETS_MAX 10000         /* unescaped '[' (link and image openers) */
#define MARKDOWN_AT_MAX       20000         /* '@' (the autolink's e-mail scan) */

/* Render len bytes of Markdown md (need not be NUL-terminated) as an HTML fragment appended
 * to out. ERR_TOO_LARGE (out unchanged, eb says why) when md is over
 * MARKDOWN_INPUT_MAX, could make more than MARKDOWN_CELLS_MAX table cells, opens a line with
 * more than MARKDOWN_NESTING_MAX containers, holds more than MARKDOWN_BRACKETS_MAX unescaped
 * '[' or MARKDOWN_AT_MAX '@', or the HTML is over out's maximum. */
enum err markdown_render_html(const char *md, size_t len, struct buf *out, struct errbuf *eb);
