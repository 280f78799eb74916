/* SPDX-License-Identifier: MIT */
/* api_artifacts.c -- list and download the files of a run.
 *
 * A download is served only when the name is recorded for the run, is a safe relative
 * path, and its real path (symlinks resolved) lies inside uploads/runs/<id>/; it is then
 * opened with O_NOFOLLOW and streamed from the descriptor. Anything else is 404. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api_int.h"
#include "core/log.h"
#include "core/xalloc.h"

#define ARTIFACT_NAME_MAX 255

void api_artifacts_list(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *run = NULL, *results = NULL;
    enum err e = store_run_get(a->ctx.st, req->ids[0], &run, &eb);
    json_decref(run);
    if (e == ERR_OK)
        e = store_artifact_list(a->ctx.st, req->ids[0], &results, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    json_t *j = json_object();
    json_object_set_new(j, "count", json_integer((json_int_t)json_array_size(results)));
    json_object_set_new(j, "results", results);
    http_reply_json(resp, 200, j);
}

/* Return the recorded artifact named name (borrowed from list) or NULL. */
static const json_t *find_recorded(const json_t *list, const char *name)
{
    size_t i;
    const json_t *it;
    json_array_foreach(list, i, it)
    {
        const char *n = json_string_value(json_object_get(it, "name"));
        if (n && strcmp(n, name) == 0)
            return it;
    }
    return NULL;
}

/* Open name under dir only when its real path stays inside dir; -1 otherwise. */
static int open_inside(const char *dir, const char *name, struct stat *st)
{
    char root[PATH_MAX], real[PATH_MAX];
    char *full = NULL;
    int fd = -1;
    if (!realpath(dir, root))
        goto out;
    full = xasprintf("%s/%s", root, name);
    size_t rl = strlen(root);
    if (!realpath(full, real) || strncmp(real, root, rl) != 0 || real[rl] != '/')
        goto out;
    fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && (fstat(fd, st) != 0 || !S_ISREG(st->st_mode))) {
        close(fd);
        fd = -1;
    }
out:
    xfree(full);
    return fd;
}

static void reply_not_found(struct http_resp *resp)
{
    http_reply_error(resp, ERR_NOT_FOUND, "Not found.");
}

void api_artifacts_download(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    struct errbuf eb = {{0}};
    json_t *list = NULL;
    char *dir = NULL;
    struct stat st;
    if (!req->tail || !http_relpath_is_safe(req->tail, ARTIFACT_NAME_MAX)) {
        reply_not_found(resp);
        return;
    }
    enum err e = store_artifact_list(a->ctx.st, req->ids[0], &list, &eb);
    if (e != ERR_OK) {
        api_reply_err(resp, e, &eb);
        return;
    }
    const json_t *rec = find_recorded(list, req->tail);
    if (!rec) {
        reply_not_found(resp);
        goto out;
    }
    dir = xasprintf("%s/runs/%lld", a->ctx.cfg->uploads_dir, (long long)req->ids[0]);
    int fd = open_inside(dir, req->tail, &st);
    if (fd < 0) {
        log_warn("api", "event=artifact.refused run_id=%lld", (long long)req->ids[0]);
        reply_not_found(resp);
        goto out;
    }
    const char *slash = strrchr(req->tail, '/');
    http_reply_fd_take(resp, fd, (uint64_t)st.st_size,
                       json_string_value(json_object_get(rec, "content_type")),
                       slash ? slash + 1 : req->tail);
out:
    json_decref(list);
    xfree(dir);
}
