/* SPDX-License-Identifier: MIT */
/* redact_int.h -- private declarations shared by the redact/ files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "redact/redact.h"

/* Find the findings that start at or after from (the bytes before it are context only). */
size_t redact_scan(const char *in, size_t len, size_t from, struct redact_span *out, size_t max);
/* Return the length of the placeholder ("[EMAIL]", "[IP:3f9a]") at in[0..len), or 0. */
size_t redact_placeholder_len(const char *in, size_t len);
