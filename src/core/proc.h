/* SPDX-License-Identifier: MIT */
/* proc.h -- run a helper program (nvidia-smi and the like) without a shell: look it up on
 * PATH, fork/exec it with stdin and stderr on /dev/null, capture its stdout into a capped
 * buffer, and kill it when it does not finish in time. */
#pragma once

#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* Return the full path of the executable prog on $PATH (default /usr/local/bin:/usr/bin:/bin)
 * or NULL (caller frees). */
char *proc_find_on_path(const char *prog);
/* Run argv[0] (a full path) with envp (NULL: this process's environment), its stdout into
 * out (past out's cap the rest is dropped); *status gets its exit status, -1 when a signal
 * ended it. ERR_TIMEOUT (the child killed) when it has not closed stdout after timeout_ms.
 * Only async-signal-safe calls in the child: callers may have other threads. */
enum err proc_run_capture(char *const argv[],
                          char *const envp[],
                          int64_t timeout_ms,
                          struct buf *out,
                          int *status,
                          struct errbuf *eb);
