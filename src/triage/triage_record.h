/* SPDX-License-Identifier: MIT */
/* triage_record.h -- one log record split into header and message: the contract between
 * the header parsers (triage_detect.c: common formats, auto-detected; triage_format.c:
 * Loghub-style format strings) and the template miner (triage_miner.c).
 *
 * The triage module is pure: bytes in, structures out, no I/O, no globals that change. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum triage_level {
    TRIAGE_LEVEL_UNKNOWN = 0,
    TRIAGE_LEVEL_TRACE,
    TRIAGE_LEVEL_DEBUG,
    TRIAGE_LEVEL_INFO,
    TRIAGE_LEVEL_NOTICE,
    TRIAGE_LEVEL_WARN,
    TRIAGE_LEVEL_ERROR,
    TRIAGE_LEVEL_CRITICAL, /* also fatal, alert, emerg, panic */
};

#define TRIAGE_COMPONENT_MAX 128 /* bytes of a component name, NUL included */

/* A record: pointers into the caller's line (valid as long as it is). */
struct triage_record {
    const char *msg; /* the message (what templates are mined from) */
    size_t msg_len;
    int64_t ts_ms; /* Unix ms, UTC; -1 when the header has none or it does not parse */
    enum triage_level level;
    char component[TRIAGE_COMPONENT_MAX]; /* "" when none */
};
