/* SPDX-License-Identifier: MIT */
/* worker_log_triage.c -- task log_triage, first version: count lines per level in a window.
 *
 * Walks the logs folder (recursive, sorted, symlinks followed only to files inside it),
 * reads plain and .gz files through zlib (gzread passes plain files through), cuts lines
 * at WORKER_LINE_MAX and files at file_max bytes (max_bytes_per_file), and counts the lines whose
 * timestamp falls in [window_start, window_end). A line without a timestamp takes the previous
 * line's; lines before a file's first timestamp count as inside the window. Files last
 * changed before window_start are skipped. Lines in the window are also mined for
 * templates (worker_templates.c: header detection, multi-line joining, the triage/ miner);
 * the templates with errors and warnings are ranked. Where each file is read from comes
 * from the committed cursors (worker_cursor.c); the result carries the new ones. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/fs.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "redact/redact.h"
#include "worker/worker_int.h"

#define TRIAGE_MAX_FILES    5000
#define TRIAGE_MAX_DEPTH    16
#define TRIAGE_TOP_FINDINGS 10

struct triage {
    char *root;      /* the logs folder, as given */
    char *root_real; /* its realpath, to keep symlinks inside */
    bool has_start, has_end;
    int64_t start_ms, end_ms;
    int year;         /* for syslog timestamps */
    int64_t file_max; /* bytes read per file, and looked back on a first read */
    int64_t counts[WORKER_LVL__COUNT];
    int64_t lines_total, lines_in_window;
    size_t n_files;
    json_t *files, *read, *skipped, *unreadable;
    struct worker_lines *lines;
    struct worker_input_stats in;
    struct worker_formats *formats; /* job.json's log_formats */
    bool fmt_active;                /* the file being read has one */
    struct worker_templates *tpl;
    const json_t *cursors_in;  /* the committed cursors from job.json */
    json_t *cursors_out;       /* where each file read now ends */
    unsigned char key[32];     /* job.json's redact_key */
    struct redact_opts redact; /* keyed pseudonyms with key, else masks */
};

/* Take job.json's redact_key (64 hex digits) into t: template text, examples and cursor
 * names then carry the orchestrator's pseudonyms. Without one, masks. */
static void read_key(struct triage *t, const json_t *job)
{
    const char *hex = jsonx_get_str(job, "redact_key");
    t->redact.mode = REDACT_MASK;
    if (!hex || strlen(hex) != 2 * sizeof(t->key) ||
        strspn(hex, "0123456789abcdef") != 2 * sizeof(t->key))
        return;
    for (size_t i = 0; i < sizeof(t->key); i++) {
        unsigned v = 0;
        sscanf(hex + 2 * i, "%2x", &v);
        t->key[i] = (unsigned char)v;
    }
    t->redact = (struct redact_opts){REDACT_PSEUDONYM, t->key, sizeof(t->key)};
}

/* The name rel's cursor has: rel redacted (caller frees). */
static char *cursor_name(const struct triage *t, const char *rel)
{
    struct buf b;
    buf_init(&b, 4 * strlen(rel) + 256);
    char *name = redact_text_opts(rel, strlen(rel), &t->redact, &b) == ERR_OK
                     ? xstrndup(buf_str(&b), buf_len(&b))
                     : xstrdup("[REDACTED]");
    buf_fini(&b);
    return name;
}

static void add_reason(json_t *arr, const char *rel, const char *reason)
{
    json_array_append_new(arr, json_pack("{s:s,s:s}", "path", rel, "reason", reason));
}

static bool in_window(const struct triage *t, bool has_ts, int64_t ts)
{
    if (!has_ts)
        return true;
    return (!t->has_start || ts >= t->start_ms) && (!t->has_end || ts < t->end_ms);
}

/* One file being read: where it started, how far it got. */
struct reading {
    const char *rel;
    struct worker_start start;
    int64_t bytes; /* read from start.offset */
    char last_ts[CLOCK_ISO_LEN];
};

/* Start reading at r->start.offset. A read that starts inside a line (the lookback of a first
 * read, or a cursor after a last line that had no "\n" then) skips the rest of that line:
 * it was counted by the read that ended there, or lies before the lookback. */
static bool seek_start(struct triage *t, gzFile gz, struct reading *r)
{
    char prev = '\n';
    if (r->start.offset > 0 &&
        (gzseek(gz, r->start.offset - 1, SEEK_SET) < 0 || gzread(gz, &prev, 1) != 1)) {
        add_reason(t->unreadable, r->rel, "cannot seek to the cursor");
        return false;
    }
    worker_lines_begin(t->lines, gz, t->file_max, &t->in);
    if (prev != '\n') {
        worker_lines_skip_rest(t->lines);
        t->in.partial_lines_skipped++;
    }
    return true;
}

/* The timestamp of a line: from the file's format when it has one, else the line's start. */
static bool line_ts(
    struct triage *t, const struct triage_record *rec, const char *line, size_t len, int64_t *ts)
{
    if (t->fmt_active) {
        *ts = rec->ts_ms;
        return rec->ts_ms >= 0;
    }
    return worker_ts_parse(line, len, t->year, ts);
}

/* Count the lines of one open file; returns false on a read error. A file read from a
 * cursor counts every line after it; a first read only the lines in the time window. */
static bool scan_file(struct triage *t, gzFile gz, struct reading *r)
{
    int64_t lines = 0, inwin = 0, ts = 0;
    bool has_ts = false;
    char *line;
    size_t len;
    if (!seek_start(t, gz, r))
        return false;
    while (worker_lines_next(t->lines, &line, &len)) {
        struct triage_record rec;
        int64_t v;
        worker_templates_split(t->tpl, line, len, &rec);
        if (line_ts(t, &rec, line, len, &v)) {
            ts = v;
            has_ts = true;
        }
        lines++;
        if (r->start.has_cursor || in_window(t, has_ts, ts)) {
            inwin++;
            t->counts[worker_level_detect(line, len)]++;
            worker_templates_add(t->tpl, &rec);
        }
    }
    r->bytes = worker_lines_bytes(t->lines);
    if (has_ts)
        clock_iso_from_ms(ts, r->last_ts);
    int errnum = 0;
    gzerror(gz, &errnum);
    if (errnum != Z_OK && errnum != Z_BUF_ERROR) {
        add_reason(t->unreadable, r->rel, "read error (corrupt or truncated gzip?)");
        return false;
    }
    t->lines_total += lines;
    t->lines_in_window += inwin;
    json_array_append_new(
        t->files, json_pack("{s:s,s:I,s:I,s:b,s:s,s:I}", "path", r->rel, "lines", (json_int_t)lines,
                            "in_window", (json_int_t)inwin, "is_truncated", r->bytes >= t->file_max,
                            "start", r->start.kind, "from_offset", (json_int_t)r->start.offset));
    json_array_append_new(t->read, json_string(r->rel));
    return true;
}

/* Keep the cursor of rel after reading it up to offset. */
static void add_cursor(struct triage *t,
                       const char *rel,
                       int fd,
                       const struct stat *st,
                       int64_t offset,
                       const char *last_ts)
{
    char *name = cursor_name(t, rel);
    json_t *c = worker_cursor_make(name, fd, st, offset, last_ts);
    xfree(name);
    if (c)
        json_array_append_new(t->cursors_out, c);
}

enum worker_open worker_file_open(const char *path, int *fd, struct stat *st)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (*fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? WORKER_OPEN_VANISHED : WORKER_OPEN_UNREADABLE;
    if (fstat(*fd, st) != 0) {
        close(*fd);
        *fd = -1;
        return WORKER_OPEN_UNREADABLE;
    }
    if (!S_ISREG(st->st_mode)) { /* swapped for something else since the walk saw it */
        close(*fd);
        *fd = -1;
        return WORKER_OPEN_NOT_REGULAR;
    }
    return WORKER_OPEN_OK;
}

/* Open rel for reading, with its reason in coverage when it cannot be; -1 then. */
static int open_file(struct triage *t, const char *path, const char *rel, struct stat *st)
{
    int fd = -1;
    enum worker_open o = worker_file_open(path, &fd, st);
    int errnum = errno;
    if (o == WORKER_OPEN_VANISHED) {
        add_reason(t->skipped, rel, "vanished");
        t->in.vanished_files++;
    } else if (o == WORKER_OPEN_UNREADABLE) {
        add_reason(t->unreadable, rel, strerror(errnum));
        t->in.unreadable_files++;
    } else if (o == WORKER_OPEN_NOT_REGULAR) {
        add_reason(t->skipped, rel, "not a regular file");
    }
    return fd;
}

/* True (with rel skipped as "binary") when the first 4 KiB of gz look binary; rewinds gz. */
static bool skip_binary(struct triage *t, gzFile gz, const char *rel)
{
    char probe[4096];
    int n = gzread(gz, probe, sizeof(probe));
    gzrewind(gz);
    if (n <= 0 || !worker_is_binary(probe, (size_t)n))
        return false;
    add_reason(t->skipped, rel, "binary");
    t->in.binary_files++;
    return true;
}

/* Note a file that shrank or was swapped at its path while it was read. */
static void check_changed(
    struct triage *t, const char *path, int fd, const struct stat *st, const struct reading *r)
{
    struct stat now, at_path;
    bool is_gz = strlen(r->rel) > 3 && strcmp(r->rel + strlen(r->rel) - 3, ".gz") == 0;
    bool shrank = fstat(fd, &now) == 0 && !is_gz && now.st_size < r->start.offset + r->bytes;
    bool moved =
        stat(path, &at_path) != 0 || at_path.st_ino != st->st_ino || at_path.st_dev != st->st_dev;
    if (shrank || moved)
        t->in.changed_during_read++;
}

static void
read_file(struct triage *t, const char *path, int fd, const struct stat *st, struct reading *r)
{
    int gfd = dup(fd);
    gzFile gz = gfd >= 0 ? gzdopen(gfd, "rb") : NULL;
    if (!gz) {
        if (gfd >= 0)
            close(gfd);
        add_reason(t->unreadable, r->rel, "cannot open");
        t->in.unreadable_files++;
        return;
    }
    gzbuffer(gz, 128 * 1024);
    if (!skip_binary(t, gz, r->rel)) {
        worker_templates_file_begin(t->tpl, (int64_t)st->st_mtime * 1000);
        t->fmt_active = worker_formats_apply(t->formats, t->tpl, r->rel);
        if (scan_file(t, gz, r)) {
            add_cursor(t, r->rel, fd, st, r->start.offset + r->bytes, r->last_ts);
            check_changed(t, path, fd, st, r);
        }
        worker_templates_file_end(t->tpl);
    }
    gzclose(gz);
}

static void do_file(struct triage *t, const char *path, const char *rel)
{
    struct reading r = {.rel = rel};
    struct stat st;
    if (t->n_files >= TRIAGE_MAX_FILES) {
        add_reason(t->skipped, rel, "file limit reached");
        return;
    }
    t->n_files++;
    int fd = open_file(t, path, rel, &st);
    if (fd < 0)
        return;
    char *name = cursor_name(t, rel);
    worker_cursor_start(t->cursors_in, name, rel, fd, &st, t->file_max, &r.start);
    xfree(name);
    snprintf(r.last_ts, sizeof(r.last_ts), "%s", r.start.last_ts);
    if (!r.start.has_cursor && t->has_start && (int64_t)st.st_mtime * 1000 + 999 < t->start_ms) {
        add_reason(t->skipped, rel, "not changed since window start");
        add_cursor(t, rel, fd, &st, (int64_t)st.st_size, NULL);
    } else {
        read_file(t, path, fd, &st, &r);
    }
    close(fd);
}

/* True when the symlink at path resolves to something inside the logs folder. */
static bool link_inside(const struct triage *t, const char *path)
{
    char real[PATH_MAX];
    if (!realpath(path, real))
        return false;
    size_t n = strlen(t->root_real);
    return strncmp(real, t->root_real, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

static void walk(struct triage *t, const char *dir, const char *rel_dir, int depth);

static void
do_entry(struct triage *t, const char *dir, const char *rel_dir, const char *name, int depth)
{
    char *path = xasprintf("%s/%s", dir, name);
    char *rel = rel_dir[0] ? xasprintf("%s/%s", rel_dir, name) : xstrdup(name);
    struct stat st;
    worker_utf8_fix(rel, strlen(rel)); /* it reaches JSON: names need not be UTF-8 */
    if (lstat(path, &st) != 0) {
        bool is_gone = errno == ENOENT;
        add_reason(is_gone ? t->skipped : t->unreadable, rel,
                   is_gone ? "vanished" : strerror(errno));
        if (is_gone)
            t->in.vanished_files++;
        else
            t->in.unreadable_files++;
        goto out;
    }
    if (S_ISLNK(st.st_mode)) {
        /* Follow only links to plain files inside the folder (no loops, no escapes). */
        if (!link_inside(t, path) || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            add_reason(t->skipped, rel, "symlink leaves the logs folder or is not a file");
            goto out;
        }
    }
    if (S_ISDIR(st.st_mode)) {
        if (depth >= TRIAGE_MAX_DEPTH)
            add_reason(t->skipped, rel, "folder nested too deep");
        else
            walk(t, path, rel, depth + 1);
    } else if (S_ISREG(st.st_mode)) {
        do_file(t, path, rel);
    } else {
        add_reason(t->skipped, rel, "not a regular file");
    }
out:
    xfree(rel);
    xfree(path);
}

static void walk(struct triage *t, const char *dir, const char *rel_dir, int depth)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        add_reason(t->unreadable, rel_dir[0] ? rel_dir : ".", strerror(errno));
        t->in.unreadable_files++;
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
            do_entry(t, dir, rel_dir, name, depth);
        xfree(names[i]); /* scandir allocates on the C heap, which xfree releases */
    }
    xfree(names);
}

/* Read window_start / window_end (ISO or null); false with reason when malformed. */
static bool read_window(struct triage *t, const json_t *job, const char **reason)
{
    const json_t *ws = json_object_get(job, "window_start");
    const json_t *we = json_object_get(job, "window_end");
    if (ws && !json_is_null(ws)) {
        t->has_start = json_is_string(ws) && clock_iso_parse(json_string_value(ws), &t->start_ms);
        if (!t->has_start) {
            *reason = "window_start is not an ISO 8601 timestamp";
            return false;
        }
    }
    if (we && !json_is_null(we)) {
        t->has_end = json_is_string(we) && clock_iso_parse(json_string_value(we), &t->end_ms);
        if (!t->has_end) {
            *reason = "window_end is not an ISO 8601 timestamp";
            return false;
        }
    }
    return true;
}

static json_t *input_counts(const struct worker_input_stats *in)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "lines_cut",
                     (json_int_t)in->lines_cut, "nul_bytes", (json_int_t)in->nul_bytes, "nul_lines",
                     (json_int_t)in->nul_lines, "invalid_utf8_lines",
                     (json_int_t)in->invalid_utf8_lines, "crlf_lines", (json_int_t)in->crlf_lines,
                     "unterminated_lines", (json_int_t)in->unterminated_lines,
                     "partial_lines_skipped", (json_int_t)in->partial_lines_skipped, "binary_files",
                     (json_int_t)in->binary_files, "vanished_files", (json_int_t)in->vanished_files,
                     "unreadable_files", (json_int_t)in->unreadable_files, "changed_during_read",
                     (json_int_t)in->changed_during_read);
}

static json_t *build_result(struct triage *t, const json_t *job)
{
    json_t *counts = json_object();
    for (int i = 0; i < WORKER_LVL__COUNT; i++)
        json_object_set_new(counts, worker_level_name((enum worker_level)i),
                            json_integer(t->counts[i]));
    json_t *r =
        json_pack("{s:s,s:s,s:O,s:o,s:I,s:I,s:{s:O,s:O,s:O}}", "task", "log_triage", "status",
                  "success", "files", t->files, "counts", counts, "lines_total",
                  (json_int_t)t->lines_total, "lines_in_window", (json_int_t)t->lines_in_window,
                  "coverage", "read", t->read, "skipped", t->skipped, "unreadable", t->unreadable);
    json_object_set(r, "window_start", json_object_get(job, "window_start"));
    json_object_set(r, "window_end", json_object_get(job, "window_end"));
    json_object_set_new(r, "logs_dir", json_string(t->root));
    json_object_set_new(r, "templates", worker_templates_result(t->tpl, TRIAGE_TOP_FINDINGS));
    json_object_set(r, "cursors", t->cursors_out);
    json_object_set_new(r, "input", input_counts(&t->in));
    json_object_set_new(r, "log_formats", worker_formats_result(t->formats));
    return r;
}

/* Add the container log files of job.json as sources (worker_contlogs.c). */
static json_t *read_containers(struct triage *t, const json_t *job)
{
    struct worker_sink s = {t->tpl,       t->counts,  &t->lines_total, &t->lines_in_window,
                            t->files,     t->read,    t->skipped,      t->unreadable,
                            t->has_start, t->has_end, t->start_ms,     t->end_ms,
                            t->lines,     &t->in};
    return worker_contlogs_read(job, &s);
}

json_t *worker_log_triage(const json_t *job)
{
    struct triage t = {0};
    json_t *result = NULL;
    const char *reason = NULL;
    const char *dir = jsonx_get_str(job, "logs_dir");
    char real[PATH_MAX];
    if (!dir)
        return worker_result_failed("log_triage", "job.json has no logs_dir");
    if (!read_window(&t, job, &reason))
        return worker_result_failed("log_triage", reason);
    if (!realpath(dir, real) || !fs_is_dir(real)) {
        char *msg = xasprintf("logs folder %s does not exist", dir);
        result = worker_result_failed("log_triage", msg);
        xfree(msg);
        return result;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    t.year = tm.tm_year + 1900;
    t.file_max = worker_file_max_from_job(job);
    t.root = xstrdup(dir);
    t.root_real = xstrdup(real);
    t.files = json_array();
    t.read = json_array();
    t.skipped = json_array();
    t.unreadable = json_array();
    t.lines = worker_lines_new();
    t.formats = worker_formats_new(json_object_get(job, "log_formats"));
    read_key(&t, job);
    t.tpl = worker_templates_new();
    worker_templates_redact(t.tpl, &t.redact);
    worker_templates_levels(t.tpl, json_object_get(json_object_get(job, "config"), "levels"));
    worker_templates_bursts(t.tpl, worker_bursts_bucket_from_job(job),
                            t.has_start ? t.start_ms : -1, t.has_end ? t.end_ms : -1);
    t.cursors_in = json_object_get(job, "cursors");
    t.cursors_out = json_array();
    worker_progress(10, "reading logs");
    walk(&t, real, "", 0);
    worker_progress(70, "reading container logs");
    json_t *cont = read_containers(&t, job);
    worker_progress(90, "counting");
    result = build_result(&t, job);
    json_object_set_new(result, "container_logs", cont);
    json_decref(t.files);
    json_decref(t.read);
    json_decref(t.skipped);
    json_decref(t.unreadable);
    worker_lines_free(t.lines);
    worker_formats_free(t.formats);
    worker_templates_free(t.tpl);
    json_decref(t.cursors_out);
    xfree(t.root);
    xfree(t.root_real);
    explicit_bzero(t.key, sizeof(t.key));
    return result;
}
