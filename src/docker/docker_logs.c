/* SPDX-License-Identifier: MIT */
/* docker_logs.c -- decode the Engine's multiplexed log stream (no TTY).
 *
 * Each frame is an 8-byte header { stream, 0, 0, 0, size (4 bytes, big-endian) } and
 * size bytes of payload; stream 1 is stdout, 2 is stderr (0, stdin, never comes back
 * from /logs). Pure: bytes in, buffers out. */
#include "docker/docker.h"

#define FRAME_HEADER 8

enum err
docker_logs_demux(const char *data, size_t len, struct buf *out, struct buf *err, size_t *consumed)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t off = 0;
    enum err e = ERR_OK;
    while (len - off >= FRAME_HEADER) {
        const unsigned char *h = p + off;
        if ((h[0] != 1 && h[0] != 2) || h[1] || h[2] || h[3]) {
            e = ERR_PARSE;
            break;
        }
        size_t size = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 | h[7];
        if (size > len - off - FRAME_HEADER)
            break; /* partial frame */
        struct buf *dst = h[0] == 1 ? out : err;
        if (dst)
            (void)buf_append(dst, data + off + FRAME_HEADER, size); /* over the cap: dropped */
        off += FRAME_HEADER + size;
    }
    *consumed = off;
    return e;
}
