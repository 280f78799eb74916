/* SPDX-License-Identifier: MIT */
/* test_worker_input.c -- log_triage on bad input: the exact line reader (worker_lines.c),
 * NUL bytes, invalid UTF-8, long lines, CRLF, no final newline, binary, vanished and
 * shrinking files, and the directive's log_formats. */
#include <check.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/fs.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "worker/worker.h"
#include "worker/worker_int.h"

#define BIG_LINE (10 * 1024 * 1024) /* a 10 MB single line */

static char tmp_root[256];

static void setup(void)
{
    snprintf(tmp_root, sizeof(tmp_root), "/tmp/cb-test-winput-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_root));
}

static void teardown(void)
{
    fs_rm_rf(tmp_root, NULL);
}

static void write_bytes(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void append_bytes(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "ab");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Run the worker on job_json; returns the parsed result (never NULL). */
static json_t *run_worker(const char *job_json)
{
    char in[300], out[300], path[320];
    snprintf(in, sizeof(in), "%s/in", tmp_root);
    snprintf(out, sizeof(out), "%s/out", tmp_root);
    fs_mkdir_p(in, 0755, NULL);
    fs_mkdir_p(out, 0755, NULL);
    snprintf(path, sizeof(path), "%s/job.json", in);
    write_bytes(path, job_json, strlen(job_json));
    snprintf(path, sizeof(path), "%s/result.json", out);
    unlink(path);
    char *argv[] = {"worker", "--input", in, "--output", out, NULL};
    ck_assert_int_eq(worker_main(5, argv), 0);
    char *data = NULL;
    size_t len = 0;
    json_t *r = NULL;
    ck_assert_int_eq(fs_read_file(path, 8 << 20, &data, &len, NULL), ERR_OK);
    ck_assert_int_eq(jsonx_parse(data, len, 8 << 20, &r, NULL), ERR_OK);
    xfree(data);
    return r;
}

/* Run log_triage on logs with cursors (borrowed, may be NULL) and log_formats (may be NULL). */
static json_t *triage(const char *logs, const json_t *cursors, const json_t *formats)
{
    json_t *job = json_pack("{s:s,s:s}", "task", "log_triage", "logs_dir", logs);
    if (cursors)
        json_object_set(job, "cursors", (json_t *)(uintptr_t)cursors);
    if (formats)
        json_object_set(job, "log_formats", (json_t *)(uintptr_t)formats);
    char *text = jsonx_dumps(job);
    json_t *r = run_worker(text);
    ck_assert_str_eq(jsonx_get_str(r, "status"), "success");
    xfree(text);
    json_decref(job);
    return r;
}

static int64_t input_count(const json_t *r, const char *k)
{
    const json_t *v = json_object_get(json_object_get(r, "input"), k);
    ck_assert_msg(json_is_integer(v), "input.%s missing", k);
    return json_integer_value(v);
}

static const json_t *cursor_of(const json_t *r, const char *path)
{
    return jsonx_find(json_object_get(r, "cursors"), "path", path);
}

static const json_t *file_of(const json_t *r, const char *path)
{
    return jsonx_find(json_object_get(r, "files"), "path", path);
}

/* The reason coverage.<list> gives for path, or NULL. */
static const char *reason_of(const json_t *r, const char *list, const char *path)
{
    return jsonx_get_str(
        jsonx_find(json_object_get(json_object_get(r, "coverage"), list), "path", path), "reason");
}

/* Open path through zlib for the reader. */
static gzFile gz_open(const char *path)
{
    gzFile gz = gzopen(path, "rb");
    ck_assert_ptr_nonnull(gz);
    return gz;
}

START_TEST(test_reader_exact)
{
    char *p = xasprintf("%s/mixed.log", tmp_root);
    struct buf_parts {
        const char *s;
        size_t n;
    } parts[] = {
        {"crlf line\r\n", 11},
        {"nul\0in\0line\n", 12},
        {"bad \xff\xfe utf8 \xc3\xa9 ok\n", 18},
        {"\n", 1},
        {"tail without newline", 20},
    };
    size_t total = 0;
    write_bytes(p, "", 0);
    for (size_t i = 0; i < 5; i++) {
        append_bytes(p, parts[i].s, parts[i].n);
        total += parts[i].n;
    }
    struct worker_input_stats st = {0};
    struct worker_lines *lr = worker_lines_new();
    gzFile gz = gz_open(p);
    worker_lines_begin(lr, gz, WORKER_FILE_MAX, &st);
    char *line;
    size_t len;
    const char *want[] = {"crlf line", "nul in line", "bad ?? utf8 \xc3\xa9 ok", "",
                          "tail without newline"};
    for (size_t i = 0; i < 5; i++) {
        ck_assert(worker_lines_next(lr, &line, &len));
        ck_assert_uint_eq(len, strlen(want[i]));
        ck_assert(memcmp(line, want[i], len) == 0);
    }
    ck_assert(!worker_lines_next(lr, &line, &len));
    ck_assert_int_eq(worker_lines_bytes(lr), (int64_t)total); /* every byte, NULs included */
    ck_assert_int_eq(st.crlf_lines, 1);
    ck_assert_int_eq(st.nul_bytes, 2);
    ck_assert_int_eq(st.nul_lines, 1);
    ck_assert_int_eq(st.invalid_utf8_lines, 1);
    ck_assert_int_eq(st.unterminated_lines, 1);
    ck_assert_int_eq(st.lines_cut, 0);
    gzclose(gz);
    worker_lines_free(lr);
    xfree(p);
}
END_TEST

/* A 10 MB line, ended or not: its first WORKER_LINE_MAX bytes come out, cut on a character
 * boundary, the rest is skipped and counted in the bytes. */
START_TEST(test_reader_long_lines)
{
    char *p = xasprintf("%s/long.log", tmp_root);
    char *big = xmalloc(BIG_LINE + 1);
    memset(big, 'a', BIG_LINE);
    memcpy(big + WORKER_LINE_MAX - 1, "\xc3\xa9", 2); /* a character across the cut */
    big[BIG_LINE] = '\n';
    write_bytes(p, big, BIG_LINE + 1);
    append_bytes(p, "after\n", 6);
    append_bytes(p, big, BIG_LINE); /* a last line of 10 MB without newline */
    struct worker_input_stats st = {0};
    struct worker_lines *lr = worker_lines_new();
    gzFile gz = gz_open(p);
    worker_lines_begin(lr, gz, WORKER_FILE_MAX, &st);
    char *line;
    size_t len;
    ck_assert(worker_lines_next(lr, &line, &len));
    ck_assert_uint_eq(len, WORKER_LINE_MAX - 1); /* backed off the split character */
    ck_assert(worker_lines_next(lr, &line, &len));
    ck_assert_uint_eq(len, 5);
    ck_assert(memcmp(line, "after", 5) == 0);
    ck_assert(worker_lines_next(lr, &line, &len));
    ck_assert_uint_eq(len, WORKER_LINE_MAX - 1);
    ck_assert(!worker_lines_next(lr, &line, &len));
    ck_assert_int_eq(worker_lines_bytes(lr), 2LL * BIG_LINE + 1 + 6);
    ck_assert_int_eq(st.lines_cut, 2);
    ck_assert_int_eq(st.invalid_utf8_lines, 0);
    gzclose(gz);
    worker_lines_free(lr);
    xfree(big);
    xfree(p);
}
END_TEST

/* A file cut short while it is read: the reader ends with what it got, no crash. */
START_TEST(test_reader_truncated_mid_read)
{
    char *p = xasprintf("%s/shrink.log", tmp_root);
    size_t n = 3 * 1024 * 1024;
    char *data = xmalloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = i % 100 == 99 ? '\n' : 'x';
    write_bytes(p, data, n);
    struct worker_input_stats st = {0};
    struct worker_lines *lr = worker_lines_new();
    gzFile gz = gz_open(p);
    worker_lines_begin(lr, gz, WORKER_FILE_MAX, &st);
    char *line;
    size_t len, lines = 1;
    ck_assert(worker_lines_next(lr, &line, &len));
    ck_assert_int_eq(truncate(p, 100), 0);
    while (worker_lines_next(lr, &line, &len))
        lines++;
    /* What the first buffer fill got (1 MiB) is read, then the file has no more. */
    ck_assert_int_eq(worker_lines_bytes(lr), 1024 * 1024);
    ck_assert_uint_lt(lines, n / 100);
    gzclose(gz);
    worker_lines_free(lr);
    xfree(data);
    xfree(p);
}
END_TEST

START_TEST(test_utf8_and_binary)
{
    char s1[] = "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 end"; /* valid: unchanged */
    ck_assert_uint_eq(worker_utf8_fix(s1, strlen(s1)), 0);
    ck_assert_str_eq(s1, "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 end");
    char s2[] = "\xc0\x80|\xed\xa0\x80|\xf5\x80\x80\x80|\xe2\x82|\x80";
    ck_assert_uint_eq(worker_utf8_fix(s2, strlen(s2)), 12);
    ck_assert_str_eq(s2, "??|???|????|??|?");
    char bin[4096];
    memset(bin, 0, sizeof(bin));
    memcpy(bin,
           "\x7f"
           "ELF",
           4);
    ck_assert(worker_is_binary(bin, sizeof(bin)));
    const char *text = "2026-11-24 10:00:00 \x1b[31mERROR\x1b[0m colored\tline\r\n";
    ck_assert(!worker_is_binary(text, strlen(text)));
    ck_assert(!worker_is_binary("", 0));
}
END_TEST

START_TEST(test_file_open_reasons)
{
    int fd = -1;
    struct stat st;
    char *gone = xasprintf("%s/gone.log", tmp_root), *fifo = xasprintf("%s/fifo", tmp_root);
    char *file = xasprintf("%s/here.log", tmp_root);
    ck_assert_int_eq(worker_file_open(gone, &fd, &st), WORKER_OPEN_VANISHED);
    ck_assert_int_eq(fd, -1);
    ck_assert_int_eq(worker_file_open(tmp_root, &fd, &st), WORKER_OPEN_NOT_REGULAR);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(worker_file_open(fifo, &fd, &st), WORKER_OPEN_NOT_REGULAR);
    write_bytes(file, "x\n", 2);
    ck_assert_int_eq(worker_file_open(file, &fd, &st), WORKER_OPEN_OK);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(st.st_size, 2);
    close(fd);
    xfree(gone);
    xfree(fifo);
    xfree(file);
}
END_TEST

/* A folder of bad input: the job succeeds, counts what it met, and every string in the
 * result is valid UTF-8 (jansson would refuse anything else: the result parsed). */
START_TEST(test_triage_bad_folder)
{
    char *logs = xasprintf("%s/logs", tmp_root);
    ck_assert_int_eq(fs_mkdir_p(logs, 0755, NULL), ERR_OK);
    char *p = xasprintf("%s/nul.log", logs);
    write_bytes(p, "2026-11-24T10:00:00Z ERROR a\0b failed\n2026-11-24T10:00:01Z INFO ok\n", 67);
    xfree(p);
    p = xasprintf("%s/utf8.log", logs);
    const char *bad = "2026-11-24T10:00:00Z ERROR user \xff\xfe\xc3 failed\r\n"
                      "2026-11-24T10:00:01Z ERROR user \xff\xfe\xc3 failed\r\n";
    write_bytes(p, bad, strlen(bad));
    xfree(p);
    p = xasprintf("%s/bin.dat", logs);
    char bin[8192] = {0};
    memcpy(bin,
           "\x7f"
           "ELF\2\1\1",
           7);
    write_bytes(p, bin, sizeof(bin));
    xfree(p);
    p = xasprintf("%s/long.log", logs);
    char *big = xmalloc(BIG_LINE);
    memset(big, 'z', BIG_LINE);
    write_bytes(p, "2026-11-24T10:00:00Z WARN long: ", 32);
    append_bytes(p, big, BIG_LINE);
    append_bytes(p, "\n2026-11-24T10:00:02Z INFO short\nno final newline", 49);
    xfree(big);
    xfree(p);
    p = xasprintf("%s/name-\xff.log", logs); /* a file name that is not UTF-8 */
    write_bytes(p, "hello\n", 6);
    xfree(p);

    json_t *r = triage(logs, NULL, NULL);
    ck_assert_int_eq(input_count(r, "nul_bytes"), 1);
    ck_assert_int_eq(input_count(r, "nul_lines"), 1);
    ck_assert_int_eq(input_count(r, "invalid_utf8_lines"), 2);
    ck_assert_int_eq(input_count(r, "crlf_lines"), 2);
    ck_assert_int_eq(input_count(r, "lines_cut"), 1);
    ck_assert_int_eq(input_count(r, "unterminated_lines"), 1);
    ck_assert_int_eq(input_count(r, "binary_files"), 1);
    ck_assert_str_eq(reason_of(r, "skipped", "bin.dat"), "binary");
    ck_assert_ptr_nonnull(file_of(r, "name-?.log"));
    ck_assert_int_eq(json_integer_value(json_object_get(file_of(r, "long.log"), "lines")), 3);
    /* Exact byte counts: each cursor ends where its file does. */
    ck_assert_int_eq(json_integer_value(json_object_get(cursor_of(r, "nul.log"), "offset_bytes")),
                     67);
    ck_assert_int_eq(json_integer_value(json_object_get(cursor_of(r, "long.log"), "offset_bytes")),
                     32 + BIG_LINE + 49);
    /* The invalid bytes reached the miner as '?': the template text is valid UTF-8. */
    const json_t *top = json_object_get(json_object_get(r, "templates"), "top_findings");
    ck_assert_uint_ge(json_array_size(top), 1);
    /* The 10 MB line's template: redacted whole, then cut to 512 bytes (never emptied). */
    size_t i;
    json_t *f;
    int n_long = 0;
    json_array_foreach(top, i, f)
    {
        const char *text = jsonx_get_str(f, "template");
        if (strncmp(text, "long:", 5) == 0) {
            n_long++;
            ck_assert_uint_le(strlen(text), 512);
            ck_assert_uint_gt(strlen(text), 5);
        }
    }
    ck_assert_int_eq(n_long, 1);
    json_decref(r);
    xfree(logs);
}
END_TEST

/* A last line without newline is read once: the cursor lands after it, and the next read
 * skips what completes it. */
START_TEST(test_triage_unterminated_cursor)
{
    char *logs = xasprintf("%s/ulogs", tmp_root), *p = xasprintf("%s/ulogs/app.log", tmp_root);
    ck_assert_int_eq(fs_mkdir_p(logs, 0755, NULL), ERR_OK);
    write_bytes(p, "2026-11-24T10:00:00Z ERROR one\n2026-11-24T10:00:01Z ERROR half", 62);
    json_t *r = triage(logs, NULL, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "lines_in_window")), 2);
    json_t *cur = json_incref(json_object_get(r, "cursors"));
    ck_assert_int_eq(json_integer_value(json_object_get(cursor_of(r, "app.log"), "offset_bytes")),
                     62);
    json_decref(r);
    append_bytes(p, " written\n2026-11-24T10:00:02Z ERROR two\n", 40);
    r = triage(logs, cur, NULL);
    ck_assert_str_eq(jsonx_get_str(file_of(r, "app.log"), "start"), "continued");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "lines_in_window")), 1);
    ck_assert_int_eq(input_count(r, "partial_lines_skipped"), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(cursor_of(r, "app.log"), "offset_bytes")),
                     102);
    json_decref(r);
    json_decref(cur);
    xfree(p);
    xfree(logs);
}
END_TEST

/* log_formats: matching files are split by their format (timestamps included, so the window
 * filter works), others detected; a bad entry is reported and matches nothing. */
START_TEST(test_triage_log_formats)
{
    char *logs = xasprintf("%s/flogs", tmp_root);
    char *sub = xasprintf("%s/hdfs", logs), *p = xasprintf("%s/hdfs/dn.log", logs);
    ck_assert_int_eq(fs_mkdir_p(sub, 0755, NULL), ERR_OK);
    write_bytes(p,
                "081109 203615 148 INFO dfs.DataNode: Receiving block blk_1\n"
                "081109 213615 148 ERROR dfs.DataNode: Failed block blk_2\n"
                "081109 213616 148 ERROR dfs.DataNode: Failed block blk_3\n"
                "  continuation of the error\n",
                201);
    json_t *formats =
        json_pack("[{s:s,s:s},{s:s,s:s}]", "path", "nomatch/*", "format", "<Date> <Content", "path",
                  "hdfs/*.log", "format", "<Date> <Time> <Pid> <Level> <Component>: <Content>");
    json_t *job = json_pack("{s:s,s:s,s:O,s:s,s:s}", "task", "log_triage", "logs_dir", logs,
                            "log_formats", formats, "window_start", "2008-11-09T21:00:00Z",
                            "window_end", "2008-11-09T22:00:00Z");
    char *text = jsonx_dumps(job);
    json_t *r = run_worker(text);
    ck_assert_str_eq(jsonx_get_str(r, "status"), "success");
    /* 20:36:15 is outside the window; the two 21:36 errors and their continuation inside. */
    ck_assert_int_eq(json_integer_value(json_object_get(r, "lines_in_window")), 3);
    const json_t *t = json_object_get(r, "templates");
    ck_assert_int_eq(json_integer_value(json_object_get(t, "records")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "continuation_lines")), 1);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(t, "formats"), "log_formats[1]")), 1);
    const json_t *f0 = json_array_get(json_object_get(t, "top_findings"), 0);
    ck_assert_str_eq(jsonx_get_str(f0, "template"), "Failed block blk_<*>");
    const json_t *lf = json_object_get(r, "log_formats");
    ck_assert_uint_eq(json_array_size(lf), 2);
    ck_assert_ptr_nonnull(jsonx_get_str(json_array_get(lf, 0), "error"));
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(lf, 1), "files")), 1);
    ck_assert(json_is_null(json_object_get(json_array_get(lf, 1), "error")));
    json_decref(r);
    json_decref(job);
    json_decref(formats);
    xfree(text);
    xfree(p);
    xfree(sub);
    xfree(logs);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("worker_input");
    TCase *tc = tcase_create("input");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reader_exact);
    tcase_add_test(tc, test_reader_long_lines);
    tcase_add_test(tc, test_reader_truncated_mid_read);
    tcase_add_test(tc, test_utf8_and_binary);
    tcase_add_test(tc, test_file_open_reasons);
    tcase_add_test(tc, test_triage_bad_folder);
    tcase_add_test(tc, test_triage_unterminated_cursor);
    tcase_add_test(tc, test_triage_log_formats);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
