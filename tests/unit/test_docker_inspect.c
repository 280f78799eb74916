/* SPDX-License-Identifier: MIT */
/* test_docker_inspect.c -- docker_inspect_summary: the bounded, non-secret subset of a
 * container inspect answer (pure; no engine needed). */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "docker/docker.h"

/* An inspect answer as Engine API 1.41 gives it (trimmed). */
static const char *const RAW =
    "{\"Id\":\"4f66ad9a0b2e\",\"Created\":\"2026-01-02T03:04:05.123Z\",\"Name\":\"/web\","
    "\"RestartCount\":3,"
    "\"State\":{\"Status\":\"running\",\"ExitCode\":0,\"StartedAt\":\"2026-01-02T03:04:06Z\","
    "\"FinishedAt\":\"0001-01-01T00:00:00Z\",\"Health\":{\"Status\":\"healthy\",\"Log\":"
    "[{\"Output\":\"probe said hunter2\"}]}},"
    "\"HostConfig\":{\"Memory\":268435456,\"NanoCpus\":500000000,\"RestartPolicy\":"
    "{\"Name\":\"unless-stopped\",\"MaximumRetryCount\":0},\"Binds\":[\"/srv/secret:/s\"]},"
    "\"Config\":{\"Image\":\"nginx:1\",\"Env\":[\"PATH=/usr/bin\",\"DB_PASSWORD=hunter2\","
    "\"EMPTY=\",\"NOEQUALS\"],\"Labels\":{\"com.docker.compose.project\":\"shop\","
    "\"com.docker.compose.service\":\"web\",\"owner.email\":\"a@b.example\"}},"
    "\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/srv/secret\",\"Destination\":\"/s\","
    "\"RW\":false},{\"Type\":\"volume\",\"Name\":\"shop_data\",\"Source\":"
    "\"/var/lib/docker/volumes/shop_data/_data\",\"Destination\":\"/data\",\"RW\":true}],"
    "\"NetworkSettings\":{\"IPAddress\":\"172.17.0.2\",\"Ports\":{\"80/tcp\":[{\"HostIp\":"
    "\"0.0.0.0\",\"HostPort\":\"8080\"}],\"443/tcp\":null},\"Networks\":{\"shop_default\":"
    "{\"Aliases\":[\"web\",\"4f66ad9a0b2e\"],\"IPAddress\":\"172.18.0.3\",\"MacAddress\":"
    "\"02:42:ac:12:00:03\"}}}}";

START_TEST(test_summary_fields)
{
    json_t *raw = json_loads(RAW, 0, NULL);
    ck_assert_ptr_nonnull(raw);
    json_t *s = docker_inspect_summary(raw);
    char *text = json_dumps(s, JSON_SORT_KEYS);
    /* Values of variables, bind sources, addresses and health output never come out. */
    const char *never[] = {"hunter2", "/usr/bin", "/srv/secret", "172.1", "0.0.0.0",
                           "02:42",   "a@b",      "owner.email", "/_data"};
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
        ck_assert_msg(strstr(text, never[i]) == NULL, "%s in %s", never[i], text);
    ck_assert_str_eq(json_string_value(json_object_get(s, "created")), "2026-01-02T03:04:05.123Z");
    ck_assert_int_eq(json_integer_value(json_object_get(s, "restart_count")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(s, "health")), "healthy");
    ck_assert_int_eq(json_integer_value(json_object_get(s, "exit_code")), 0);
    ck_assert(json_is_false(json_object_get(s, "tty"))); /* Config.Tty absent */
    ck_assert_int_eq(json_integer_value(json_object_get(s, "memory_bytes")), 268435456);
    ck_assert_int_eq(json_integer_value(json_object_get(s, "nano_cpus")), 500000000);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(s, "restart_policy"), "name")),
        "unless-stopped");
    json_t *env = json_object_get(s, "env_names");
    ck_assert_int_eq(json_array_size(env), 4);
    ck_assert_str_eq(json_string_value(json_array_get(env, 1)), "DB_PASSWORD");
    ck_assert_str_eq(json_string_value(json_array_get(env, 3)), "NOEQUALS");
    json_t *labels = json_object_get(s, "labels");
    ck_assert_int_eq(json_object_size(labels), 2);
    ck_assert_str_eq(json_string_value(json_object_get(labels, "com.docker.compose.service")),
                     "web");
    json_t *m = json_object_get(s, "mounts");
    ck_assert_int_eq(json_array_size(m), 2);
    ck_assert(json_is_true(json_object_get(json_array_get(m, 0), "read_only")));
    ck_assert(json_is_null(json_object_get(json_array_get(m, 0), "volume")));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(m, 1), "volume")),
                     "shop_data");
    ck_assert(json_is_false(json_object_get(json_array_get(m, 1), "read_only")));
    json_t *p = json_object_get(s, "ports");
    ck_assert_int_eq(json_array_size(p), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(p, 0), "host_port")), "8080");
    json_t *n = json_array_get(json_object_get(s, "networks"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(n, "name")), "shop_default");
    ck_assert_int_eq(json_array_size(json_object_get(n, "aliases")), 2);
    free(text);
    json_decref(s);
    json_decref(raw);
}
END_TEST

START_TEST(test_summary_caps)
{
    /* Thousands of variables, mounts and long strings still give a small object. */
    json_t *env = json_array(), *mounts = json_array(), *labels = json_object();
    char k[64];
    char *longname = xmalloc(5001);
    memset(longname, 'A', 5000);
    longname[5000] = '\0';
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof(k), "V%d=%s", i, "value");
        json_array_append_new(env, json_string(i == 0 ? longname : k));
        json_array_append_new(
            mounts, json_pack("{s:s,s:s,s:b}", "Type", "tmpfs", "Destination", longname, "RW", 1));
        snprintf(k, sizeof(k), "com.docker.compose.x%d", i);
        json_object_set_new(labels, k, json_string(longname));
    }
    json_t *raw = json_pack("{s:s,s:{s:o,s:o},s:o,s:[]}", "Created", longname, "Config", "Env", env,
                            "Labels", labels, "Mounts", mounts, "State");
    xfree(longname);
    json_t *s = docker_inspect_summary(raw);
    char *text = json_dumps(s, 0);
    ck_assert_msg(strlen(text) < 64 * 1024, "summary is %zu bytes", strlen(text));
    ck_assert_int_eq(json_string_length(json_object_get(s, "created")), 128);
    ck_assert_int_eq(json_array_size(json_object_get(s, "env_names")), 128);
    ck_assert_int_eq(json_array_size(json_object_get(s, "mounts")), 32);
    ck_assert_int_eq(json_object_size(json_object_get(s, "labels")), 32);
    ck_assert(json_is_null(json_object_get(s, "health")));
    ck_assert(json_is_null(json_object_get(s, "restart_count")));
    ck_assert(json_is_false(json_object_get(s, "tty")));
    free(text);
    json_decref(s);
    json_decref(raw);
}
END_TEST

START_TEST(test_summary_links_env_hosts_bindings)
{
    /* A container that never ran: bindings in HostConfig, a link on a user network and one
     * legacy link; variables whose values name hosts (the values never come out). */
    json_t *raw =
        json_loads("{\"HostConfig\":{\"PortBindings\":{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\","
                   "\"HostPort\":\"18080\"}]},\"Links\":[\"/db:/web/database\"]},"
                   "\"Config\":{\"Env\":[\"DATABASE_URL=postgres://app:hunter2@pg:5432/app\","
                   "\"DB_PASSWORD=hunter2:99\",\"CACHE_HOST=redis\",\"LEVEL=info\",\"=x\"]},"
                   "\"NetworkSettings\":{\"Ports\":{},\"Networks\":{\"back\":{\"Links\":"
                   "[\"api-1:backend\",\"bad\"],\"Aliases\":null}}}}",
                   0, NULL);
    ck_assert_ptr_nonnull(raw);
    json_t *s = docker_inspect_summary(raw);
    char *text = json_dumps(s, JSON_SORT_KEYS);
    ck_assert_msg(strstr(text, "hunter2") == NULL && strstr(text, "app:") == NULL, "%s", text);
    json_t *p = json_array_get(json_object_get(s, "ports"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(p, "host_port")), "18080");
    ck_assert_str_eq(json_string_value(json_object_get(p, "container_port")), "8080/tcp");
    json_t *links = json_object_get(s, "links");
    ck_assert_int_eq(json_array_size(links), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(links, 0), "target")),
                     "api-1");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(links, 0), "alias")),
                     "backend");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(links, 1), "target")), "db");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(links, 1), "alias")),
                     "database");
    json_t *hosts = json_object_get(s, "env_hosts");
    ck_assert_int_eq(json_array_size(hosts), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(hosts, 0), "name")),
                     "DATABASE_URL");
    ck_assert_str_eq(
        json_string_value(json_array_get(json_object_get(json_array_get(hosts, 0), "hosts"), 0)),
        "pg");
    ck_assert_str_eq(
        json_string_value(json_array_get(json_object_get(json_array_get(hosts, 1), "hosts"), 0)),
        "redis");
    free(text);
    json_decref(s);
    json_decref(raw);
}
END_TEST

START_TEST(test_netinfo)
{
    json_t *raw = json_loads("{\"State\":{\"Pid\":4242,\"Running\":true},\"NetworkSettings\":"
                             "{\"Networks\":{\"a\":{\"IPAddress\":\"172.18.0.3\","
                             "\"GlobalIPv6Address\":\"fd00::3\"},\"b\":{\"IPAddress\":\"\"}}}}",
                             0, NULL);
    json_t *ni = docker_inspect_netinfo(raw);
    char *text = json_dumps(ni, JSON_SORT_KEYS);
    ck_assert_str_eq(text, "{\"ips\": [\"172.18.0.3\", \"fd00::3\"], \"pid\": 4242, "
                           "\"running\": true}");
    free(text);
    json_decref(ni);
    json_decref(raw);
    /* Not running: pid 0, no addresses. */
    raw = json_loads("{\"State\":{\"Pid\":0}}", 0, NULL);
    ni = docker_inspect_netinfo(raw);
    ck_assert_int_eq(json_integer_value(json_object_get(ni, "pid")), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(ni, "ips")), 0);
    json_decref(ni);
    json_decref(raw);
}
END_TEST

START_TEST(test_networks_summary)
{
    json_t *raw = json_loads(
        "[{\"Name\":\"back\",\"Driver\":\"bridge\",\"Scope\":\"local\",\"Internal\":true,"
        "\"IPAM\":{\"Config\":[{\"Subnet\":\"172.30.0.0/16\"}]}},{\"Driver\":\"x\"},7,"
        "{\"Name\":\"host\",\"Driver\":\"host\"}]",
        0, NULL);
    json_t *s = docker_networks_summary(raw);
    char *text = json_dumps(s, JSON_SORT_KEYS);
    ck_assert_str_eq(text, "[{\"driver\": \"bridge\", \"internal\": true, \"name\": \"back\", "
                           "\"scope\": \"local\"}, {\"driver\": \"host\", \"internal\": false, "
                           "\"name\": \"host\", \"scope\": null}]");
    free(text);
    json_decref(s);
    json_decref(raw);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("docker_inspect");
    TCase *tc = tcase_create("summary");
    tcase_add_test(tc, test_summary_fields);
    tcase_add_test(tc, test_summary_caps);
    tcase_add_test(tc, test_summary_links_env_hosts_bindings);
    tcase_add_test(tc, test_networks_summary);
    tcase_add_test(tc, test_netinfo);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
