/* SPDX-License-Identifier: MIT */
/* xalloc.h -- allocation wrappers that abort on OOM, and die() for start-up.
 *
 * Every allocation in the tree goes through these (raw malloc/free are banned by
 * scripts/lint-banned.sh). xfree(NULL) is a no-op. Thread-safe. */
#pragma once

#include <stddef.h>

/* Allocate size bytes or abort. */
void *xmalloc(size_t size);
/* Allocate n*size zeroed bytes or abort (overflow-checked). */
void *xcalloc(size_t n, size_t size);
/* Resize ptr to size bytes or abort. */
void *xrealloc(void *ptr, size_t size);
/* Duplicate s (NULL gives NULL). */
char *xstrdup(const char *s);
/* Duplicate at most n bytes of s, always NUL-terminated. */
char *xstrndup(const char *s, size_t n);
/* Free ptr; NULL is fine. */
void xfree(void *ptr);
/* Overwrite len bytes of ptr with zeros (not optimised away), then free it. */
void xfree_zero(void *ptr, size_t len);
/* Format into a new heap string (caller frees). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Cap the allocator's per-thread arenas (a thread-pool server otherwise keeps one per
 * thread, each holding freed memory). Call once at start-up, before threads exist. */
void xalloc_limit_arenas(int max_arenas);
/* Give freed heap memory back to the system (after a burst of work). */
void xalloc_release_free(void);
/* Print a message to stderr and exit(1). Only at start-up and on OOM. */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
