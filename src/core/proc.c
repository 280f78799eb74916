/* SPDX-License-Identifier: MIT */
/* proc.c -- run a helper program without a shell and capture its stdout (see proc.h). */
#include "core/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/xalloc.h"

extern char **environ;

char *proc_find_on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char *found = NULL;
    for (const char *dir = path; dir && !found;) {
        const char *colon = strchr(dir, ':');
        int n = colon ? (int)(colon - dir) : (int)strlen(dir);
        char *cand = xasprintf("%.*s/%s", n ? n : 1, n ? dir : ".", prog);
        if (access(cand, X_OK) == 0)
            found = cand;
        else
            xfree(cand);
        dir = colon ? colon + 1 : NULL;
    }
    return found;
}

/* Read fd into out until EOF or the deadline; false on timeout. */
static bool read_until(int fd, struct buf *out, int64_t deadline)
{
    char chunk[4096];
    for (;;) {
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0)
            return false;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0;
        ssize_t got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return true;
        buf_append(out, chunk, (size_t)got); /* past the cap the rest is dropped */
    }
}

enum err proc_run_capture(char *const argv[],
                          char *const envp[],
                          int64_t timeout_ms,
                          struct buf *out,
                          int *status,
                          struct errbuf *eb)
{
    int pfd[2];
    *status = -1;
    if (pipe2(pfd, O_CLOEXEC) != 0)
        return errbuf_set(eb, ERR_IO, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return errbuf_set(eb, ERR_IO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 2);
        }
        dup2(pfd[1], 1);
        execve(argv[0], argv, envp ? envp : environ);
        _exit(127);
    }
    close(pfd[1]);
    bool is_done = read_until(pfd[0], out, clock_mono_ms() + timeout_ms);
    close(pfd[0]);
    if (!is_done)
        kill(pid, SIGKILL);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    if (!is_done)
        return errbuf_set(eb, ERR_TIMEOUT, "%s did not answer within %lld ms", argv[0],
                          (long long)timeout_ms);
    return ERR_OK;
}
