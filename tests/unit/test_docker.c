/* SPDX-License-Identifier: MIT */
/* test_docker.c -- the Docker client against the real engine and a missing socket.
 *
 * The engine is at DOCKER_SOCKET or /var/run/docker.sock. Without one the engine tests
 * are skipped, except with CI=true, where a missing engine fails them. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "docker/docker.h"
#include "docker/docker_int.h"
#include "version.h"

#define IMAGE "cyberbrain-worker:" CB_VERSION

static const char *sock_path(void)
{
    const char *p = getenv("DOCKER_SOCKET");
    return p && *p ? p : "/var/run/docker.sock";
}

/* True when the engine tests should run; fails the test under CI without an engine. */
static bool has_engine(void)
{
    struct stat st;
    bool is_ci = getenv("CI") && strcmp(getenv("CI"), "true") == 0;
    if (stat(sock_path(), &st) == 0 && S_ISSOCK(st.st_mode))
        return true;
    ck_assert_msg(!is_ci, "CI=true but no docker engine at %s", sock_path());
    fprintf(stderr, "SKIP: no docker engine at %s\n", sock_path());
    return false;
}

START_TEST(test_ping_real)
{
    if (!has_engine())
        return;
    char ver[16] = "";
    struct errbuf eb = {0};
    enum err e = docker_ping(sock_path(), ver, sizeof(ver), &eb);
    ck_assert_msg(e == ERR_OK, "ping: %s", errbuf_get(&eb, e));
    ck_assert_msg(strncmp(ver, "1.", 2) == 0, "version %s", ver);
    long minor = strtol(ver + 2, NULL, 10);
    ck_assert_int_ge(minor, 24);
    ck_assert_int_le(minor, 44);
}
END_TEST

START_TEST(test_list_real)
{
    if (!has_engine())
        return;
    json_t *arr = NULL;
    struct errbuf eb = {0};
    enum err e = docker_containers_list(sock_path(), 1, &arr, &eb);
    ck_assert_msg(e == ERR_OK, "list: %s", errbuf_get(&eb, e));
    ck_assert(json_is_array(arr));
    size_t i;
    json_t *c;
    json_array_foreach(arr, i, c)
    {
        ck_assert(json_is_object(c));
        ck_assert_ptr_nonnull(json_object_get(c, "Id"));
    }
    json_decref(arr);
}
END_TEST

START_TEST(test_missing_socket)
{
    char ver[16] = "unchanged";
    struct errbuf eb = {0};
    enum err e = docker_ping("/nonexistent/docker.sock", ver, sizeof(ver), &eb);
    ck_assert_int_eq(e, ERR_UNAVAILABLE);
    ck_assert_msg(strstr(errbuf_get(&eb, e), "docker socket /nonexistent/docker.sock not "
                                             "reachable") != NULL,
                  "%s", errbuf_get(&eb, e));
    ck_assert_ptr_nonnull(strstr(errbuf_get(&eb, e), "No such file"));
    json_t *arr = (json_t *)1;
    e = docker_containers_list("/nonexistent/docker.sock", 1, &arr, &eb);
    ck_assert_int_eq(e, ERR_UNAVAILABLE);
    ck_assert_ptr_null(arr);
}
END_TEST

START_TEST(test_not_a_socket)
{
    char ver[16];
    struct errbuf eb = {0};
    enum err e = docker_ping("/etc/hostname", ver, sizeof(ver), &eb);
    ck_assert_int_eq(e, ERR_UNAVAILABLE);
    ck_assert_ptr_nonnull(strstr(errbuf_get(&eb, e), "not reachable"));
}
END_TEST

/* True when the engine answers and the worker image exists (`make test` builds it);
 * under CI a missing image fails, elsewhere it skips. */
static bool has_image(void)
{
    if (!has_engine())
        return false;
    json_t *img = NULL;
    struct errbuf eb = {0};
    enum err e = docker_image_inspect(sock_path(), IMAGE, &img, &eb);
    json_decref(img);
    if (e == ERR_OK)
        return true;
    bool is_ci = getenv("CI") && strcmp(getenv("CI"), "true") == 0;
    ck_assert_msg(!is_ci, "CI=true but no image %s (make worker-image): %s", IMAGE,
                  errbuf_get(&eb, e));
    fprintf(stderr, "SKIP: no image %s; run make worker-image\n", IMAGE);
    return false;
}

/* A job folder pair under /tmp with job.json; out is writable by the image's user. */
static void job_dirs(char *root, const char *job_json, char **in, char **out)
{
    ck_assert_ptr_nonnull(mkdtemp(root));
    ck_assert_int_eq(chmod(root, 0755), 0);
    *in = xasprintf("%s/in", root);
    *out = xasprintf("%s/out", root);
    ck_assert_int_eq(fs_mkdir_p(*in, 0755, NULL), ERR_OK);
    ck_assert_int_eq(fs_mkdir_p(*out, 0777, NULL), ERR_OK);
    ck_assert_int_eq(chmod(*out, 0777), 0);
    char *p = xasprintf("%s/job.json", *in);
    ck_assert_int_eq(fs_write_atomic(p, job_json, strlen(job_json), NULL), ERR_OK);
    ck_assert_int_eq(chmod(p, 0644), 0);
    xfree(p);
}

/* Create (hardened, labelled with tag) a container running job_json; returns its id. */
static void create_job(const char *tag, const char *in, const char *out, char *id)
{
    const char *labels[] = {"cyberbrain.test", tag, NULL};
    struct docker_mount mounts[] = {{in, "/input", true}, {out, "/output", false}};
    struct docker_create_opts o = {.image = IMAGE,
                                   .user = "65534:65534",
                                   .labels = labels,
                                   .mounts = mounts,
                                   .n_mounts = 2,
                                   .memory_bytes = 256LL << 20,
                                   .pids_limit = 64,
                                   .nano_cpus = 1000000000LL};
    struct errbuf eb = {0};
    enum err e = docker_container_create(sock_path(), &o, id, DOCKER_ID_MAX, &eb);
    ck_assert_msg(e == ERR_OK, "create: %s", errbuf_get(&eb, e));
    ck_assert_uint_ge(strlen(id), 12);
}

static json_t *read_result(const char *out)
{
    char *p = xasprintf("%s/result.json", out), *data = NULL;
    size_t len = 0;
    json_t *j = NULL;
    ck_assert_int_eq(fs_read_file(p, 1 << 20, &data, &len, NULL), ERR_OK);
    ck_assert_int_eq(jsonx_parse(data, len, 1 << 20, &j, NULL), ERR_OK);
    xfree(data);
    xfree(p);
    return j;
}

/* The whole cycle, and the isolation seen from inside (task selfcheck). */
START_TEST(test_container_cycle_hardened)
{
    if (!has_image())
        return;
    char root[] = "/tmp/cb-docker-XXXXXX", id[DOCKER_ID_MAX], tag[32];
    char *in, *out;
    struct errbuf eb = {0};
    snprintf(tag, sizeof(tag), "cycle-%ld", (long)getpid());
    job_dirs(root, "{\"task\":\"selfcheck\",\"job_id\":5}", &in, &out);
    create_job(tag, in, out, id);
    json_t *list = NULL;
    ck_assert_int_eq(docker_containers_by_label(sock_path(), "cyberbrain.test", tag, &list, &eb),
                     ERR_OK);
    ck_assert_int_eq(json_array_size(list), 1);
    json_decref(list);
    enum err e = docker_container_start(sock_path(), id, &eb);
    ck_assert_msg(e == ERR_OK, "start: %s", errbuf_get(&eb, e));
    int code = -1;
    e = docker_container_wait(sock_path(), id, 60000, &code, &eb);
    ck_assert_msg(e == ERR_OK, "wait: %s", errbuf_get(&eb, e));
    ck_assert_int_eq(code, 0);
    struct buf o, er;
    buf_init(&o, 65536);
    buf_init(&er, 65536);
    ck_assert_int_eq(docker_container_logs(sock_path(), id, 1 << 20, &o, &er, &eb), ERR_OK);
    ck_assert_ptr_nonnull(strstr(buf_str(&o), "\"progress\":100"));
    buf_fini(&o);
    buf_fini(&er);
    json_t *r = read_result(out);
    ck_assert_str_eq(jsonx_get_str(r, "status"), "success");
    ck_assert_int_ne(json_integer_value(json_object_get(r, "uid")), 0);
    ck_assert_str_eq(jsonx_get_str(r, "cap_eff"), "0000000000000000");
    ck_assert_str_ne(jsonx_get_str(r, "tcp_connect"), "connected");
    ck_assert(json_is_false(json_object_get(r, "root_writable")));
    json_t *ifs = json_object_get(r, "net_ifaces");
    ck_assert_int_eq(json_array_size(ifs), 1);
    ck_assert_str_eq(json_string_value(json_array_get(ifs, 0)), "lo");
    json_decref(r);
    ck_assert_int_eq(docker_container_remove(sock_path(), id, &eb), ERR_OK);
    ck_assert_int_eq(docker_container_remove(sock_path(), id, &eb), ERR_NOT_FOUND);
    ck_assert_int_eq(docker_containers_by_label(sock_path(), "cyberbrain.test", tag, &list, &eb),
                     ERR_OK);
    ck_assert_int_eq(json_array_size(list), 0);
    json_decref(list);
    fs_rm_rf(root, NULL);
    xfree(in);
    xfree(out);
}
END_TEST

/* Read the window q of container id's logs into *out (cap max); returns the error. */
static enum err window(const char *id, int64_t since_ms, size_t max, struct buf *out, bool *cut)
{
    struct errbuf eb = {0};
    struct docker_logs_query q = {.since_ms = since_ms, .until_ms = -1, .max_bytes = max};
    buf_init(out, max);
    return docker_container_logs_window(sock_path(), id, &q, out, cut, &eb);
}

/* A window of a finished container's logs: timestamped lines in order, the cap (whole
 * frames only), a window in the future, and a container that is gone. */
START_TEST(test_logs_window)
{
    if (!has_image())
        return;
    char root[] = "/tmp/cb-docker-XXXXXX", id[DOCKER_ID_MAX], tag[32];
    char *in, *out;
    struct errbuf eb = {0};
    struct buf o;
    bool cut = true;
    int code = -1;
    snprintf(tag, sizeof(tag), "window-%ld", (long)getpid());
    job_dirs(root, "{\"task\":\"selfcheck\",\"job_id\":6}", &in, &out);
    create_job(tag, in, out, id);
    ck_assert_int_eq(docker_container_start(sock_path(), id, &eb), ERR_OK);
    ck_assert_int_eq(docker_container_wait(sock_path(), id, 60000, &code, &eb), ERR_OK);
    ck_assert_int_eq(window(id, -1, 1 << 20, &o, &cut), ERR_OK);
    ck_assert(!cut);
    ck_assert_ptr_nonnull(strstr(buf_str(&o), "Z {\"progress\":0,"));
    ck_assert_ptr_nonnull(strstr(buf_str(&o), "Z {\"progress\":100,"));
    ck_assert(buf_str(&o)[0] == '2' && buf_str(&o)[buf_len(&o) - 1] == '\n');
    size_t all = buf_len(&o);
    buf_fini(&o);
    ck_assert_int_eq(window(id, -1, 100, &o, &cut), ERR_OK);
    ck_assert(cut);
    ck_assert_uint_lt(buf_len(&o), all);
    ck_assert_ptr_nonnull(strstr(buf_str(&o), "{\"progress\":0,"));
    buf_fini(&o);
    ck_assert_int_eq(window(id, 4102444800000LL, 1 << 20, &o, &cut), ERR_OK); /* 2100 */
    ck_assert_uint_eq(buf_len(&o), 0);
    buf_fini(&o);
    ck_assert_int_eq(docker_container_remove(sock_path(), id, &eb), ERR_OK);
    ck_assert_int_eq(window(id, -1, 1 << 20, &o, &cut), ERR_NOT_FOUND);
    buf_fini(&o);
    fs_rm_rf(root, NULL);
    xfree(in);
    xfree(out);
}
END_TEST

/* A wait that times out, a kill, and a kill of a stopped container (409). */
START_TEST(test_wait_timeout_and_kill)
{
    if (!has_image())
        return;
    char root[] = "/tmp/cb-docker-XXXXXX", id[DOCKER_ID_MAX], tag[32];
    char *in, *out;
    struct errbuf eb = {0};
    snprintf(tag, sizeof(tag), "kill-%ld", (long)getpid());
    job_dirs(root, "{\"task\":\"selfcheck\",\"sleep_s\":60}", &in, &out);
    create_job(tag, in, out, id);
    ck_assert_int_eq(docker_container_start(sock_path(), id, &eb), ERR_OK);
    int code = 12345;
    enum err e = docker_container_wait(sock_path(), id, 300, &code, &eb);
    ck_assert_msg(e == ERR_TIMEOUT, "wait: %s", errbuf_get(&eb, e));
    ck_assert_int_eq(code, 12345);
    e = docker_container_kill(sock_path(), id, &eb);
    ck_assert_msg(e == ERR_OK, "kill: %s", errbuf_get(&eb, e));
    ck_assert_int_eq(docker_container_wait(sock_path(), id, 30000, &code, &eb), ERR_OK);
    ck_assert_int_eq(code, 137);
    e = docker_container_kill(sock_path(), id, &eb);
    ck_assert_int_eq(e, ERR_CONFLICT);
    ck_assert_ptr_nonnull(strstr(errbuf_get(&eb, e), "is not running"));
    ck_assert_int_eq(docker_container_remove(sock_path(), id, &eb), ERR_OK);
    fs_rm_rf(root, NULL);
    xfree(in);
    xfree(out);
}
END_TEST

START_TEST(test_engine_errors)
{
    if (!has_image())
        return;
    struct errbuf eb = {0};
    char id[DOCKER_ID_MAX];
    struct docker_create_opts o = {.image = "cyberbrain-no-such-image:0"};
    enum err e = docker_container_create(sock_path(), &o, id, sizeof(id), &eb);
    ck_assert_int_eq(e, ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(errbuf_get(&eb, e), "No such image"));
    ck_assert_uint_lt(strlen(errbuf_get(&eb, e)), sizeof(eb.msg));
    e = docker_container_start(sock_path(), "0123456789ab0123456789ab", &eb);
    ck_assert_int_eq(e, ERR_NOT_FOUND);
    ck_assert_int_eq(docker_container_start(sock_path(), "../images", &eb), ERR_INVALID);
    ck_assert_int_eq(docker_container_remove(sock_path(), "", &eb), ERR_INVALID);
    o.image = "x?all=1";
    ck_assert_int_eq(docker_container_create(sock_path(), &o, id, sizeof(id), &eb), ERR_INVALID);
    json_t *img = NULL;
    ck_assert_int_eq(docker_image_inspect(sock_path(), IMAGE, &img, &eb), ERR_OK);
    ck_assert_int_eq(strncmp(jsonx_get_str(img, "Id"), "sha256:", 7), 0);
    ck_assert(json_is_array(json_object_get(img, "RepoDigests")));
    json_decref(img);
    e = docker_image_inspect(sock_path(), "cyberbrain-no-such-image:0", &img, &eb);
    ck_assert_int_eq(e, ERR_NOT_FOUND);
    ck_assert_ptr_null(img);
    json_t *list = NULL;
    ck_assert_int_eq(docker_containers_by_label(sock_path(), "a\"b", "c", &list, &eb), ERR_INVALID);
}
END_TEST

/* Two frames, stdout then stderr, then a partial one. */
START_TEST(test_logs_demux)
{
    static const char s[] = "\x01\0\0\0\0\0\0\x03out\x02\0\0\0\0\0\0\x02"
                            "er\x01\0\0\0\0\0\0\x09part";
    struct buf o, e;
    buf_init(&o, 64);
    buf_init(&e, 64);
    size_t used = 0;
    ck_assert_int_eq(docker_logs_demux(s, sizeof(s) - 1, &o, &e, &used), ERR_OK);
    ck_assert_str_eq(buf_str(&o), "out");
    ck_assert_str_eq(buf_str(&e), "er");
    ck_assert_uint_eq(used, 8 + 3 + 8 + 2);
    buf_reset(&o);
    ck_assert_int_eq(docker_logs_demux("\x03\0\0\0\0\0\0\x01x", 9, &o, &e, &used), ERR_PARSE);
    ck_assert_uint_eq(used, 0);
    ck_assert_int_eq(docker_logs_demux("\x01\0\x01\0\0\0\0\x01x", 9, &o, &e, &used), ERR_PARSE);
    struct buf tiny;
    buf_init(&tiny, 2);
    ck_assert_int_eq(docker_logs_demux(s, sizeof(s) - 1, &tiny, NULL, &used), ERR_OK);
    ck_assert_uint_eq(buf_len(&tiny), 0); /* over the cap: dropped, not cut mid-frame */
    ck_assert_uint_eq(used, 21);
    buf_fini(&tiny);
    buf_fini(&o);
    buf_fini(&e);
}
END_TEST

/* The create body: the hardening, the limits, and the GPU request only when asked. */
START_TEST(test_create_body)
{
    const char *labels[] = {"cyberbrain.run", "7", NULL};
    struct docker_mount m = {"/h/out", "/output", false};
    struct docker_create_opts o = {.image = "sha256:"
                                            "0123456789abcdef0123456789abcdef"
                                            "0123456789abcdef0123456789abcdef",
                                   .user = "65534:65534",
                                   .labels = labels,
                                   .mounts = &m,
                                   .n_mounts = 1,
                                   .memory_bytes = 64LL << 20,
                                   .pids_limit = 32,
                                   .nano_cpus = 250000000};
    for (int gpu = 0; gpu < 2; gpu++) {
        o.is_gpu = gpu;
        char *text = docker_create_body(&o);
        ck_assert_ptr_nonnull(text);
        json_t *b = NULL;
        ck_assert_int_eq(jsonx_parse(text, strlen(text), 1 << 16, &b, NULL), ERR_OK);
        xfree(text);
        ck_assert_str_eq(jsonx_get_str(b, "Image"), o.image);
        json_t *hc = json_object_get(b, "HostConfig");
        ck_assert_str_eq(jsonx_get_str(hc, "NetworkMode"), "none");
        ck_assert_int_eq(json_integer_value(json_object_get(hc, "Memory")), 64LL << 20);
        ck_assert_int_eq(json_integer_value(json_object_get(hc, "PidsLimit")), 32);
        ck_assert_int_eq(json_integer_value(json_object_get(hc, "NanoCpus")), 250000000);
        json_t *dr = json_object_get(hc, "DeviceRequests");
        if (!gpu) {
            ck_assert_ptr_null(dr);
        } else {
            char *got = json_dumps(dr, JSON_COMPACT | JSON_SORT_KEYS);
            ck_assert_str_eq(got,
                             "[{\"Capabilities\":[[\"gpu\"]],\"Count\":-1,\"Driver\":\"nvidia\"}]");
            xfree(got); /* jansson and xalloc share the C heap */
        }
        json_decref(b);
    }
}
END_TEST

int main(void)
{
    Suite *su = suite_create("docker");
    TCase *tc = tcase_create("client");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_ping_real);
    tcase_add_test(tc, test_list_real);
    tcase_add_test(tc, test_missing_socket);
    tcase_add_test(tc, test_not_a_socket);
    tcase_add_test(tc, test_container_cycle_hardened);
    tcase_add_test(tc, test_wait_timeout_and_kill);
    tcase_add_test(tc, test_engine_errors);
    tcase_add_test(tc, test_logs_demux);
    tcase_add_test(tc, test_logs_window);
    tcase_add_test(tc, test_create_body);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
