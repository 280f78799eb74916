/* SPDX-License-Identifier: MIT */
/* tasks_runtime_process.c -- the `process` runtime: the worker as a child process.
 *
 * NOT isolated: the child runs as the orchestrator's user with its file-system view. It
 * gets a minimal environment (PATH, LANG), its own process group (so a kill takes its
 * children too), /dev/null as stdin, and pipes for stdout (progress lines, published as
 * "progress" events) and stderr (kept, capped). The wait polls the pipes, checks for run
 * cancellation every TASKS_CANCEL_POLL_MS and notices the exit with waitid(WNOWAIT), so
 * the pid is cleared under the lock before it is reaped and a kill never hits a reused pid. */
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
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "tasks/tasks_int.h"

struct proc {
    int out_fd;                     /* stdout pipe, -1 once closed */
    int err_fd;                     /* stderr pipe, -1 once closed */
    struct tasks_progress progress; /* stdout lines to progress events */
    struct buf err;                 /* stderr, capped */
};

/* Exec the worker in the child; never returns. Only async-signal-safe calls here: the
 * parent has other threads, so argv and envp were built before the fork. */
static _Noreturn void child_exec(char *const argv[], char *const envp[], int out_w, int err_w)
{
    static const char msg[] = "cannot exec the worker binary\n";
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    signal(SIGPIPE, SIG_DFL);
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(out_w, 1);
    dup2(err_w, 2);
    execve(argv[0], argv, envp);
    ssize_t n = write(2, msg, sizeof(msg) - 1);
    (void)n;
    _exit(127);
}

static pid_t spawn(struct tasks_job *job, int out_w, int err_w)
{
    const struct config *cfg = job->t->opts.cfg;
    const char *bin = cfg->worker_bin ? cfg->worker_bin : "/proc/self/exe";
    const char *path = getenv("PATH");
    char *path_env = xasprintf("PATH=%s", path ? path : "/usr/local/bin:/usr/bin:/bin");
    char *envp[] = {path_env, "LANG=C.UTF-8", NULL};
    char *argv[] = {(char *)(uintptr_t)bin, "worker", "--input", job->input_dir, "--output",
                    job->output_dir,        NULL};
    pid_t pid = fork();
    if (pid == 0)
        child_exec(argv, envp, out_w, err_w);
    xfree(path_env);
    return pid;
}

static enum err proc_start(struct tasks_job *job, struct errbuf *eb)
{
    int out_p[2] = {-1, -1}, err_p[2] = {-1, -1};
    const char *bin = job->t->opts.cfg->worker_bin;
    if (bin && access(bin, X_OK) != 0)
        return errbuf_set(eb, ERR_UNAVAILABLE, "worker binary %s cannot be run: %s", bin,
                          strerror(errno));
    if (pipe2(out_p, O_CLOEXEC) != 0 || pipe2(err_p, O_CLOEXEC) != 0) {
        int saved = errno;
        for (int i = 0; i < 2; i++) {
            if (out_p[i] >= 0)
                close(out_p[i]);
            if (err_p[i] >= 0)
                close(err_p[i]);
        }
        return errbuf_set(eb, ERR_IO, "cannot create worker pipes: %s", strerror(saved));
    }
    pid_t pid = spawn(job, out_p[1], err_p[1]);
    close(out_p[1]);
    close(err_p[1]);
    if (pid < 0) {
        close(out_p[0]);
        close(err_p[0]);
        return errbuf_set(eb, ERR_IO, "cannot fork a worker: %s", strerror(errno));
    }
    setpgid(pid, pid); /* also in the child: whichever runs first wins the race */
    struct proc *p = xcalloc(1, sizeof(*p));
    p->out_fd = out_p[0];
    p->err_fd = err_p[0];
    tasks_progress_init(&p->progress);
    buf_init(&p->err, TASKS_STDERR_MAX);
    job->rt_data = p;
    pthread_mutex_lock(&job->t->mu);
    job->pid = pid;
    pthread_mutex_unlock(&job->t->mu);
    log_info("tasks", "event=worker.start runtime=process isolated=false job_id=%lld pid=%ld",
             (long long)job->claim.job_id, (long)pid);
    return ERR_OK;
}

/* Read what is there on fd; closes it (sets *fd = -1) at EOF. */
static void drain(struct tasks_job *job, struct proc *p, int *fd)
{
    char chunk[4096];
    ssize_t n = read(*fd, chunk, sizeof(chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        close(*fd);
        *fd = -1;
        return;
    }
    if (fd == &p->out_fd)
        tasks_progress_feed(job, &p->progress, chunk, (size_t)n);
    else
        buf_append(&p->err, chunk, (size_t)n); /* past the cap the rest is dropped */
}

/* Poll the pipes for up to timeout_ms (sleeps when both are closed). */
static void pump(struct tasks_job *job, struct proc *p, int timeout_ms)
{
    struct pollfd pfd[2];
    int n = 0;
    int *fds[2];
    if (p->out_fd >= 0) {
        pfd[n] = (struct pollfd){.fd = p->out_fd, .events = POLLIN};
        fds[n++] = &p->out_fd;
    }
    if (p->err_fd >= 0) {
        pfd[n] = (struct pollfd){.fd = p->err_fd, .events = POLLIN};
        fds[n++] = &p->err_fd;
    }
    if (n == 0)
        timeout_ms = timeout_ms > 50 ? 50 : timeout_ms;
    if (poll(pfd, (nfds_t)n, timeout_ms) <= 0)
        return;
    for (int i = 0; i < n; i++)
        if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
            drain(job, p, fds[i]);
}

/* True when the worker has exited (not reaped yet). */
static bool has_exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno == ECHILD;
    return si.si_pid == pid;
}

/* Kill the group (if still alive), clear the pid under the lock, reap; fills exit fields. */
static void reap(struct tasks_job *job, bool is_kill)
{
    pthread_mutex_lock(&job->t->mu);
    pid_t pid = job->pid;
    if (is_kill)
        kill(-pid, SIGKILL);
    job->pid = 0;
    pthread_mutex_unlock(&job->t->mu);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    kill(-pid, SIGKILL); /* grandchildren left in the group */
    job->exit_code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    job->term_signal = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
}

static bool is_cancelled(struct tasks_job *job)
{
    bool yes = false;
    struct errbuf eb = {0};
    enum err e = store_job_is_cancelled(job->t->opts.st, job->claim.job_id, &yes, &eb);
    if (e != ERR_OK)
        log_warn("tasks", "event=cancel_check.fail job_id=%lld err=%s",
                 (long long)job->claim.job_id, err_name(e));
    return e == ERR_OK && yes;
}

static enum tasks_outcome proc_wait(struct tasks_job *job, int64_t deadline)
{
    struct proc *p = job->rt_data;
    enum tasks_outcome oc = TASKS_EXITED;
    int64_t next_cancel = clock_mono_ms() + TASKS_CANCEL_POLL_MS;
    for (;;) {
        int64_t now = clock_mono_ms();
        bool is_gone = has_exited(job->pid);
        if (is_gone && p->out_fd < 0 && p->err_fd < 0)
            break;
        if (is_gone) { /* exited: take what is left in the pipes without waiting long */
            pump(job, p, 10);
            if (p->out_fd >= 0 || p->err_fd >= 0)
                continue;
            break;
        }
        if (tasks_is_stopping(job->t)) {
            oc = TASKS_SHUTDOWN;
            break;
        }
        if (now >= deadline) {
            oc = TASKS_TIMED_OUT;
            break;
        }
        if (now >= next_cancel) {
            next_cancel = now + TASKS_CANCEL_POLL_MS;
            if (is_cancelled(job)) {
                oc = TASKS_CANCELLED;
                break;
            }
        }
        int64_t left = deadline - now;
        pump(job, p, (int)(left < 100 ? left : 100));
    }
    reap(job, oc != TASKS_EXITED);
    tasks_progress_flush(job, &p->progress); /* a last line without '\n' */
    if (buf_len(&p->err))
        job->stderr_text = buf_take(&p->err);
    if (p->out_fd >= 0)
        close(p->out_fd);
    if (p->err_fd >= 0)
        close(p->err_fd);
    tasks_progress_fini(&p->progress);
    buf_fini(&p->err);
    xfree(p);
    job->rt_data = NULL;
    return oc;
}

static void proc_kill(struct tasks_job *job)
{
    if (job->pid > 0)
        kill(-job->pid, SIGKILL);
}

const struct tasks_runtime tasks_runtime_process = {
    .name = "process",
    .is_isolated = false,
    .start = proc_start,
    .wait = proc_wait,
    .kill = proc_kill,
};
