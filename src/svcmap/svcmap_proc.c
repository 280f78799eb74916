/* SPDX-License-Identifier: MIT */
/* svcmap_proc.c -- the socket table of /proc/<pid>/net/tcp and tcp6, parsed (pure).
 *
 * Each line after the header is "sl: local rem st ...", addresses as hex: 8 digits for
 * IPv4 (the 32-bit value in host order, so 0100007F is 127.0.0.1 on little-endian hosts),
 * 32 digits for IPv6 (four such words), then ":" and the port in 4 hex digits. Only
 * LISTEN (0A) and ESTABLISHED (01) entries are kept; any line that does not parse is
 * skipped. Addresses come out in network byte order, IPv4 as the IPv4-mapped IPv6 form. */
#include "svcmap/svcmap.h"

#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Read n hex digits at s into *v; false when one is not a hex digit. */
static bool hex(const char *s, size_t n, uint32_t *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = hexval(s[i]);
        if (d < 0)
            return false;
        *v = (*v << 4) | (uint32_t)d;
    }
    return true;
}

/* Store the host-order word w as 4 bytes in the kernel's (little-endian) memory order. */
static void word_bytes(uint32_t w, unsigned char *out)
{
    out[0] = (unsigned char)(w & 0xff);
    out[1] = (unsigned char)((w >> 8) & 0xff);
    out[2] = (unsigned char)((w >> 16) & 0xff);
    out[3] = (unsigned char)(w >> 24);
}

/* Parse "HEX:PORT" of 8 or 32 hex digits at s (len n) into addr (16 bytes) and *port. */
static bool endpoint(const char *s, size_t n, unsigned char *addr, uint16_t *port)
{
    uint32_t w, p;
    memset(addr, 0, 16);
    if (n == 13 && s[8] == ':') {
        if (!hex(s, 8, &w) || !hex(s + 9, 4, &p))
            return false;
        addr[10] = addr[11] = 0xff;
        word_bytes(w, addr + 12);
    } else if (n == 37 && s[32] == ':') {
        for (int k = 0; k < 4; k++) {
            if (!hex(s + 8 * k, 8, &w))
                return false;
            word_bytes(w, addr + 4 * k);
        }
        if (!hex(s + 33, 4, &p))
            return false;
    } else {
        return false;
    }
    *port = (uint16_t)p;
    return true;
}

/* The next blank-separated field of line [*p, end); false at the end. */
static bool field(const char **p, const char *end, const char **f, size_t *n)
{
    while (*p < end && (**p == ' ' || **p == '\t'))
        (*p)++;
    *f = *p;
    while (*p < end && **p != ' ' && **p != '\t')
        (*p)++;
    *n = (size_t)(*p - *f);
    return *n > 0;
}

static bool line(const char *s, const char *end, struct svcmap_sock *out)
{
    const char *f;
    size_t n;
    uint32_t st;
    if (!field(&s, end, &f, &n) || f[n - 1] != ':') /* "sl:" */
        return false;
    if (!field(&s, end, &f, &n) || !endpoint(f, n, out->local, &out->local_port))
        return false;
    if (!field(&s, end, &f, &n) || !endpoint(f, n, out->remote, &out->remote_port))
        return false;
    if (!field(&s, end, &f, &n) || n != 2 || !hex(f, 2, &st))
        return false;
    out->is_listen = st == 0x0a;
    return st == 0x0a || st == 0x01;
}

size_t svcmap_proc_tcp_parse(const char *text, size_t len, struct svcmap_sock *out, size_t max)
{
    size_t n = 0;
    const char *p = text, *end = text + len;
    while (p < end && n < max) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if (line(p, e, &out[n]))
            n++;
        p = nl ? nl + 1 : end;
    }
    return n;
}
