/* SPDX-License-Identifier: MIT */
/* worker_gpu_report.c -- task gpu_report, first version: one nvidia-smi query per GPU.
 *
 * nvidia-smi is looked up on PATH and run with fork/exec (no shell), stdout captured up to
 * NVIDIA_OUT_MAX, killed after NVIDIA_TIMEOUT_MS. No nvidia-smi means no NVIDIA driver:
 * the task still succeeds and says so. Per-container figures come later. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/xalloc.h"
#include "worker/worker_int.h"

#define NVIDIA_OUT_MAX    (256 * 1024)
#define NVIDIA_TIMEOUT_MS 10000

/* Return the full path of prog on PATH (caller frees) or NULL. */
static char *find_on_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char *copy = xstrdup(path), *found = NULL, *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char *cand = xasprintf("%s/%s", *dir ? dir : ".", prog);
        if (access(cand, X_OK) == 0)
            found = cand;
        else
            xfree(cand);
    }
    xfree(copy);
    return found;
}

/* Read the child's stdout into out until EOF or the deadline; false on timeout. */
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
        if (n == 0)
            return false;
        if (n < 0)
            return true;
        ssize_t got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return true;
        /* Past the cap the rest is dropped; the parser then sees what fitted. */
        buf_append(out, chunk, (size_t)got);
    }
}

/* Run argv[0] (a full path) with stdout captured; *status is the exit status or -1. */
static enum err run_capture(char *const argv[], struct buf *out, int *status, struct errbuf *eb)
{
    int pfd[2];
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
        dup2(pfd[1], 1);
        if (devnull >= 0)
            dup2(devnull, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    close(pfd[1]);
    bool is_done = read_until(pfd[0], out, clock_mono_ms() + NVIDIA_TIMEOUT_MS);
    close(pfd[0]);
    if (!is_done)
        kill(pid, SIGKILL);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    if (!is_done)
        return errbuf_set(eb, ERR_TIMEOUT, "nvidia-smi did not answer within %d s",
                          NVIDIA_TIMEOUT_MS / 1000);
    return ERR_OK;
}

json_t *worker_gpu_report(const json_t *job)
{
    (void)job;
    struct errbuf eb = {0};
    struct buf out;
    json_t *gpus = NULL, *result = NULL;
    int status = 0;
    char *bin = find_on_path("nvidia-smi");
    if (!bin)
        return json_pack("{s:s,s:s,s:s,s:[],s:s}", "task", "gpu_report", "status", "success",
                         "driver", "absent", "gpus", "message",
                         "no NVIDIA driver found (nvidia-smi not on PATH)");
    buf_init(&out, NVIDIA_OUT_MAX);
    worker_progress(20, "querying nvidia-smi");
    char *argv[] = {bin,
                    "--query-gpu=index,name,memory.used,memory.total,utilization.gpu,"
                    "temperature.gpu,power.draw",
                    "--format=csv,noheader,nounits", NULL};
    enum err e = run_capture(argv, &out, &status, &eb);
    if (e == ERR_OK && status != 0)
        e = errbuf_set(&eb, ERR_UNAVAILABLE, "nvidia-smi exited with status %d", status);
    if (e == ERR_OK)
        e = worker_nvidia_parse(buf_str(&out), buf_len(&out), &gpus, &eb);
    if (e != ERR_OK) {
        result = worker_result_failed("gpu_report", errbuf_get(&eb, e));
        goto out;
    }
    result = json_pack("{s:s,s:s,s:s,s:o,s:I}", "task", "gpu_report", "status", "success", "driver",
                       "present", "gpus", gpus, "gpu_count", (json_int_t)json_array_size(gpus));
out:
    buf_fini(&out);
    xfree(bin);
    return result;
}
