/* SPDX-License-Identifier: MIT */
/* fs.c -- file-system helpers. */
#include "core/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/xalloc.h"

enum err fs_mkdir_p(const char *dir, unsigned mode, struct errbuf *eb)
{
    char *tmp = xstrdup(dir);
    enum err e = ERR_OK;
    size_t len = strlen(tmp);
    for (size_t i = 1; i <= len; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0')
            continue;
        char saved = tmp[i];
        tmp[i] = '\0';
        if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST) {
            e = errbuf_set(eb, ERR_IO, "cannot create folder %s: %s", tmp, strerror(errno));
            goto out;
        }
        tmp[i] = saved;
    }
    if (!fs_is_dir(dir))
        e = errbuf_set(eb, ERR_IO, "%s is not a folder", dir);
out:
    xfree(tmp);
    return e;
}

enum err
fs_read_file(const char *path, size_t max_len, char **out, size_t *out_len, struct errbuf *eb)
{
    enum err e = ERR_OK;
    char *data = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errbuf_set(eb, ERR_IO, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    data = xmalloc(cap + 1);
    for (;;) {
        if (len == cap) {
            if (cap > max_len) {
                e = errbuf_set(eb, ERR_TOO_LARGE, "%s is larger than %zu bytes", path, max_len);
                goto out;
            }
            cap *= 2;
            data = xrealloc(data, cap + 1);
        }
        ssize_t n = read(fd, data + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = errbuf_set(eb, ERR_IO, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max_len) {
            e = errbuf_set(eb, ERR_TOO_LARGE, "%s is larger than %zu bytes", path, max_len);
            goto out;
        }
    }
    data[len] = '\0';
    *out = data;
    data = NULL;
    if (out_len)
        *out_len = len;
out:
    close(fd);
    xfree(data);
    return e;
}

enum err fs_write_atomic(const char *path, const void *data, size_t len, struct errbuf *eb)
{
    enum err e = ERR_OK;
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        e = errbuf_set(eb, ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = errbuf_set(eb, ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            goto out;
        }
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        e = errbuf_set(eb, ERR_IO, "cannot flush %s: %s", tmp, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        e = errbuf_set(eb, ERR_IO, "cannot rename to %s: %s", path, strerror(errno));
        unlink(tmp);
    }
out:
    xfree(tmp);
    return e;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

enum err fs_rm_rf(const char *dir, struct errbuf *eb)
{
    if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        return errbuf_set(eb, ERR_IO, "cannot remove %s: %s", dir, strerror(errno));
    return ERR_OK;
}

bool fs_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

long long fs_free_bytes(const char *path)
{
    struct statvfs vfs;
    if (statvfs(path, &vfs) != 0)
        return -1;
    return (long long)vfs.f_bavail * (long long)vfs.f_frsize;
}
