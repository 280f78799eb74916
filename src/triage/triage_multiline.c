/* SPDX-License-Identifier: MIT */
/* triage_multiline.c -- the multi-line record joiner (see triage_multiline.h). */
#include "triage/triage_multiline.h"

#include <string.h>

void triage_join_init(struct triage_join *j)
{
    memset(j, 0, sizeof(*j));
}

static bool starts(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(s, prefix, n) == 0;
}

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '$';
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* "pkg.Name: message" or "Name" alone: an exception line. With named_only, the name must end
 * in Exception, Error or Throwable (outside a traceback block). */
static bool exception_line(const char *s, size_t len, bool named_only)
{
    size_t i = 0;
    if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return false;
    while (i < len && i < 256 && ident_char(s[i]))
        i++;
    if (i < len && s[i] != ':')
        return false;
    if (!named_only)
        return true;
    /* "Error: x" alone is too common a message to be taken for a class name. */
    return i > 9 && (ends_with(s, i, "Exception") || ends_with(s, i, "Error") ||
                     ends_with(s, i, "Throwable"));
}

/* A line that belongs to a stack trace whatever the source looks like. */
static bool trace_line(struct triage_join *j, const char *s, size_t len)
{
    size_t ws = 0;
    while (ws < len && (s[ws] == ' ' || s[ws] == '\t'))
        ws++;
    const char *t = s + ws;
    size_t n = len - ws;
    if (n == 0)
        return true; /* blank lines inside a record */
    if (starts(s, len, "Traceback (most recent call last):")) {
        j->traceback = true;
        return true;
    }
    if (starts(s, len, "During handling of the above exception") ||
        starts(s, len, "The above exception was the direct cause"))
        return true;
    if (j->traceback && ws > 0)
        return true;
    if (j->traceback) {
        j->traceback = false;
        return exception_line(s, len, false);
    }
    if (ws > 0 && (starts(t, n, "at ") || starts(t, n, "... ") || starts(t, n, "File \"")))
        return true;
    if (starts(t, n, "Caused by:") || starts(t, n, "Suppressed:"))
        return true;
    return exception_line(s, len, true);
}

bool triage_join_line(
    struct triage_join *j, const char *line, size_t len, bool has_header, bool headered)
{
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    bool cont = false;
    if (has_header) {
        j->traceback = false;
    } else if (j->open && j->lines < TRIAGE_JOIN_MAX_LINES &&
               j->bytes + len <= TRIAGE_JOIN_MAX_BYTES) {
        bool traced = trace_line(j, line, len);
        cont = traced || headered;
    }
    if (cont) {
        j->lines++;
        j->bytes += len;
        return true;
    }
    j->open = true;
    j->lines = 0;
    j->bytes = 0;
    if (!has_header)
        j->traceback = starts(line, len, "Traceback (most recent call last):");
    return false;
}
