/* SPDX-License-Identifier: MIT */
/* worker_selfcheck.c -- hidden task selfcheck: what the worker can do where it runs.
 *
 * Reports the uid, the effective capabilities (CapEff of /proc/self/status), the network
 * interfaces (/proc/net/dev), whether a TCP connect to 127.0.0.1:9 (a closed port on
 * loopback; no traffic ever leaves the host) is refused, and whether / is writable.
 * "sleep_s" (0..600) makes it sleep first, for deadline tests. Not a task the API offers. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/xalloc.h"
#include "worker/worker_int.h"

#define SELFCHECK_SLEEP_MAX 600
#define SELFCHECK_PROC_MAX  (64 * 1024)

/* The value of "CapEff:" in /proc/self/status, or "unknown". */
static json_t *cap_eff(void)
{
    char *data = NULL;
    size_t len = 0;
    json_t *v = NULL;
    if (fs_read_file("/proc/self/status", SELFCHECK_PROC_MAX, &data, &len, NULL) == ERR_OK) {
        const char *p = strstr(data, "\nCapEff:");
        char hex[32];
        if (p && sscanf(p + 8, " %31[0-9a-fA-F]", hex) == 1)
            v = json_string(hex);
    }
    xfree(data);
    return v ? v : json_string("unknown");
}

/* The interface names in /proc/net/dev (the lines after the two header lines). */
static json_t *net_ifaces(void)
{
    char *data = NULL;
    size_t len = 0;
    json_t *a = json_array();
    if (fs_read_file("/proc/net/dev", SELFCHECK_PROC_MAX, &data, &len, NULL) != ERR_OK)
        return a;
    int line = 0;
    for (char *p = data; p && *p; line++) {
        char *nl = strchr(p, '\n');
        char *colon = strchr(p, ':');
        if (line >= 2 && colon && (!nl || colon < nl)) {
            while (*p == ' ')
                p++;
            json_array_append_new(a, json_stringn(p, (size_t)(colon - p)));
        }
        p = nl ? nl + 1 : NULL;
    }
    xfree(data);
    return a;
}

/* Try a TCP connect to 127.0.0.1:9: "connected", "refused", or the error text. */
static json_t *tcp_probe(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return json_sprintf("socket: %s", strerror(errno));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
    int saved = errno;
    close(fd);
    if (rc == 0)
        return json_string("connected");
    return saved == ECONNREFUSED ? json_string("refused") : json_string(strerror(saved));
}

/* True when a file can be created at the root of the file system (removed again). */
static bool root_writable(void)
{
    int fd = open("/.cyberbrain-selfcheck", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    close(fd);
    unlink("/.cyberbrain-selfcheck");
    return true;
}

json_t *worker_selfcheck(const json_t *job)
{
    json_int_t secs = json_integer_value(json_object_get(job, "sleep_s"));
    if (secs < 0 || secs > SELFCHECK_SLEEP_MAX)
        return worker_result_failed("selfcheck", "sleep_s must be 0..600");
    for (json_int_t i = 0; i < secs; i++) {
        struct timespec ts = {.tv_sec = 1};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        worker_progress((int)(i * 100 / secs), "sleeping");
    }
    return json_pack("{s:s,s:I,s:I,s:o,s:o,s:o,s:b}", "status", "success", "uid",
                     (json_int_t)getuid(), "gid", (json_int_t)getgid(), "cap_eff", cap_eff(),
                     "net_ifaces", net_ifaces(), "tcp_connect", tcp_probe(), "root_writable",
                     root_writable());
}
