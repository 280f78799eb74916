/* SPDX-License-Identifier: MIT */
/* log.h -- leveled, one-line key=value logging with a redaction filter at the sink.
 *
 * Every record is formatted, passed through the filter set by log_set_filter()
 * (app/ wires it to the redactor), then written with one write(2). The level is
 * tested before arguments are formatted. Thread-safe after log_init(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Rewrite line (len bytes) into out (cap out_cap, NUL-terminated); returns bytes written. */
typedef size_t log_filter_fn(void *ctx, const char *line, size_t len, char *out, size_t out_cap);

/* Set the sink file descriptor (default 2), the level and JSON-lines mode. */
void log_init(int fd, enum log_level level, bool is_json);
/* Install the filter every line passes before it is written (NULL removes it). */
void log_set_filter(log_filter_fn *fn, void *ctx);
/* Return true when records at level would be written. */
bool log_is_enabled(enum log_level level);
/* Parse "error|warn|info|debug"; returns false on an unknown name. */
bool log_level_parse(const char *name, enum log_level *out);
/* Write one record; use the log_* macros instead. */
void log_write(enum log_level level, const char *subsys, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(subsys, ...) log_write(LOG_ERROR, subsys, __VA_ARGS__)
#define log_warn(subsys, ...)                         \
    do {                                              \
        if (log_is_enabled(LOG_WARN))                 \
            log_write(LOG_WARN, subsys, __VA_ARGS__); \
    } while (0)
#define log_info(subsys, ...)                         \
    do {                                              \
        if (log_is_enabled(LOG_INFO))                 \
            log_write(LOG_INFO, subsys, __VA_ARGS__); \
    } while (0)
#define log_debug(subsys, ...)                         \
    do {                                               \
        if (log_is_enabled(LOG_DEBUG))                 \
            log_write(LOG_DEBUG, subsys, __VA_ARGS__); \
    } while (0)
