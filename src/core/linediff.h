/* SPDX-License-Identifier: MIT */
/* linediff.h -- a line diff of two texts (Myers' O((N+M)D) algorithm), pure and bounded.
 *
 * A text is split on '\n' into k+1 lines for k newlines ("" has no lines), so joining the
 * "=" and "-" lines with '\n' gives the old text back and the "=" and "+" lines the new one.
 * Each side is capped (LINEDIFF_MAX_BYTES, LINEDIFF_MAX_LINES); past LINEDIFF_MAX_EDITS
 * differing lines the middle is given as one removal and one addition (is_approx), so the
 * time and memory stay bounded. Edits point into the caller's texts. Thread-safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define LINEDIFF_MAX_BYTES (128 * 1024) /* per side */
#define LINEDIFF_MAX_LINES 70000        /* per side: a 64 KiB text of empty lines fits */
#define LINEDIFF_MAX_EDITS 1000         /* added + removed lines searched for exactly */

enum linediff_op {
    LINEDIFF_SAME, /* "=" a line of both texts */
    LINEDIFF_DEL,  /* "-" a line only in the old text */
    LINEDIFF_ADD,  /* "+" a line only in the new text */
};

struct linediff_edit {
    enum linediff_op op;
    const char *text; /* into the old (SAME, DEL) or new (ADD) text; not NUL-terminated */
    size_t len;       /* bytes, without the '\n' */
};

/* The result; fields are read-only for callers. */
struct linediff {
    struct linediff_edit *edits; /* in order */
    size_t n_edits;
    size_t n_added, n_removed;
    bool is_approx; /* over LINEDIFF_MAX_EDITS: the changed middle is not minimal */
};

/* Diff old (old_len bytes) against new_ (new_len bytes) into *out (free with linediff_fini).
 * ERR_TOO_LARGE (with eb's detail) when a side is over the byte or line cap. */
enum err linediff_compute(const char *old,
                          size_t old_len,
                          const char *new_,
                          size_t new_len,
                          struct linediff *out,
                          struct errbuf *eb);
/* Free the edits of d (zeroed; a zeroed d is fine). */
void linediff_fini(struct linediff *d);
/* Return the one-character name of op: "=", "-" or "+". */
const char *linediff_op_name(enum linediff_op op);
