/* SPDX-License-Identifier: MIT */
/* replay_main.c -- replay fuzz/corpus/<target>/ and fuzz/regression/<target>/ inputs.
 *
 * Usage: fuzz-replay [FUZZ_DIR] (default "fuzz"). Runs every file through its target
 * (see fuzz.h); a crash names the input on stderr. Prints per-target counts and a
 * last line "fuzz-replay: N passed, 0 failed". */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/xalloc.h"
#include "fuzz.h"

#define REPLAY_MAX_INPUT (1024 * 1024)

static char current[4096];

static void on_crash(int sig)
{
    static const char pre[] = "\nfuzz-replay: CRASH on input ";
    ssize_t w = write(2, pre, sizeof(pre) - 1);
    w = write(2, current, strlen(current));
    w = write(2, "\n", 1);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}

static int replay_file(const struct fuzz_target *t, const char *path)
{
    char *data = NULL;
    size_t len = 0;
    struct errbuf eb = {{0}};
    if (fs_read_file(path, REPLAY_MAX_INPUT, &data, &len, &eb) != ERR_OK) {
        fprintf(stderr, "fuzz-replay: %s: %s\n", path, errbuf_get(&eb, ERR_IO));
        return -1;
    }
    snprintf(current, sizeof(current), "%s (target %s)", path, t->name);
    t->fn((const uint8_t *)data, len);
    xfree(data);
    return 0;
}

/* Replay every regular file in dir; returns the count, or -1 on a read error. */
static int replay_dir(const struct fuzz_target *t, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s", dir, de->d_name);
        if (!fs_is_dir(path)) {
            if (replay_file(t, path) != 0)
                n = -1;
            else if (n >= 0)
                n++;
        }
        xfree(path);
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : "fuzz";
    signal(SIGSEGV, on_crash);
    signal(SIGABRT, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGFPE, on_crash);
    int total = 0, bad = 0;
    for (const struct fuzz_target *t = fuzz_targets; t->name; t++) {
        int count = 0;
        static const char *const kinds[] = {"corpus", "regression"};
        for (size_t k = 0; k < 2; k++) {
            char *dir = xasprintf("%s/%s/%s", root, kinds[k], t->name);
            int n = replay_dir(t, dir);
            xfree(dir);
            if (n < 0)
                bad++;
            else
                count += n;
        }
        printf("fuzz-replay: %s: %d inputs\n", t->name, count);
        total += count;
    }
    printf("fuzz-replay: %d passed, %d failed\n", total, bad);
    return bad ? 1 : 0;
}
