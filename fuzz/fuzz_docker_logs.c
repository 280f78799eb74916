/* SPDX-License-Identifier: MIT */
/* fuzz_docker_logs.c -- fuzz docker_logs_demux: arbitrary bytes as a multiplexed stream.
 * Invariants: consumed never passes the input, lands on a frame boundary (re-demuxing the
 * consumed prefix consumes all of it), and the payload bytes split into stdout and stderr
 * add up to the consumed bytes less 8 per frame. */
#include <stdlib.h>

#include "core/buf.h"
#include "docker/docker.h"
#include "fuzz.h"

#define FUZZ_LOGS_CAP (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf o, e, o2, e2;
    size_t used = 0, used2 = 0, frames = 0;
    buf_init(&o, FUZZ_LOGS_CAP);
    buf_init(&e, FUZZ_LOGS_CAP);
    buf_init(&o2, FUZZ_LOGS_CAP);
    buf_init(&e2, FUZZ_LOGS_CAP);
    (void)docker_logs_demux((const char *)data, size, &o, &e, &used);
    if (used > size)
        abort();
    for (size_t off = 0; off < used; frames++) /* count the frames of the prefix */
        off += 8 + ((size_t)data[off + 4] << 24 | (size_t)data[off + 5] << 16 |
                    (size_t)data[off + 6] << 8 | data[off + 7]);
    if (buf_len(&o) + buf_len(&e) != used - 8 * frames)
        abort();
    if (docker_logs_demux((const char *)data, used, &o2, &e2, &used2) != ERR_OK || used2 != used)
        abort();
    buf_fini(&o);
    buf_fini(&e);
    buf_fini(&o2);
    buf_fini(&e2);
    return 0;
}
