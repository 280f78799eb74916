/* SPDX-License-Identifier: MIT */
/* log.c -- the log sink: format, filter (redact), write one line atomically. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"

#define LOG_LINE_MAX 4096

static struct {
    int fd;
    enum log_level level;
    bool is_json;
    log_filter_fn *filter;
    void *filter_ctx;
} sink = {2, LOG_INFO, false, NULL, NULL};

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_init(int fd, enum log_level level, bool is_json)
{
    sink.fd = fd;
    sink.level = level;
    sink.is_json = is_json;
}

void log_set_filter(log_filter_fn *fn, void *ctx)
{
    sink.filter = fn;
    sink.filter_ctx = ctx;
}

bool log_is_enabled(enum log_level level)
{
    return level <= sink.level;
}

bool log_level_parse(const char *name, enum log_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

static size_t json_escape(char *out, size_t cap, const char *in)
{
    size_t j = 0;
    for (; *in && j + 7 < cap; in++) {
        unsigned char c = (unsigned char)*in;
        if (c == '"' || c == '\\') {
            out[j++] = '\\';
            out[j++] = (char)c;
        } else if (c < 0x20) {
            j += (size_t)snprintf(out + j, cap - j, "\\u%04x", c);
        } else {
            out[j++] = (char)c;
        }
    }
    out[j] = '\0';
    return j;
}

void log_write(enum log_level level, const char *subsys, const char *fmt, ...)
{
    if (!log_is_enabled(level))
        return;
    char msg[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* Control characters would let a value forge a second record. */
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';

    char ts[CLOCK_ISO_LEN];
    clock_now_iso(ts);

    char clean[LOG_LINE_MAX];
    const char *body = msg;
    if (sink.filter) {
        sink.filter(sink.filter_ctx, msg, strlen(msg), clean, sizeof(clean));
        body = clean;
    }
    char line[LOG_LINE_MAX + 128];
    int n;
    if (sink.is_json) {
        char esc[LOG_LINE_MAX];
        json_escape(esc, sizeof(esc), body);
        n = snprintf(line, sizeof(line),
                     "{\"ts\":\"%s\",\"level\":\"%s\",\"subsys\":\"%s\",\"msg\":\"%s\"}\n", ts,
                     level_names[level], subsys, esc);
    } else {
        n = snprintf(line, sizeof(line), "%s %s %s %s\n", ts, level_names[level], subsys, body);
    }
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    if (line[len - 1] != '\n')
        line[len - 1] = '\n';
    ssize_t w = write(sink.fd, line, len);
    (void)w;
}
