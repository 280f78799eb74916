/* SPDX-License-Identifier: MIT */
/* test_svcmap.c -- the service map engine (pure): host names in variable values, the edge
 * rules, checking a map from outside, impact, single points of failure, the difference,
 * and DOT / Mermaid escaping (golden text). */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "svcmap/svcmap.h"

/* ---- host names ---- */

/* Check that var=value yields exactly the hosts in want (comma-separated, "" for none). */
static void hosts_are(const char *var, const char *value, const char *want)
{
    char hosts[SVCMAP_HOSTS_PER_VAR][SVCMAP_HOST_MAX];
    size_t n = svcmap_env_hosts(var, value, strlen(value), hosts, SVCMAP_HOSTS_PER_VAR);
    char got[1024] = "";
    for (size_t i = 0; i < n; i++) {
        strcat(got, i ? "," : "");
        strcat(got, hosts[i]);
    }
    ck_assert_msg(strcmp(got, want) == 0, "%s=%s: got '%s', want '%s'", var, value, got, want);
}

START_TEST(test_hosts_urls)
{
    hosts_are("DATABASE_URL", "postgres://app:s3cret@db:5432/app", "db");
    hosts_are("DATABASE_URL", "postgresql://app:p@ss@DB.internal/app?sslmode=off", "db.internal");
    hosts_are("JDBC_URL", "jdbc:postgresql://pg-main:5432/x", "pg-main");
    hosts_are("MONGO_URL", "mongodb://u:p@mongo1:27017,mongo2:27017/db?replicaSet=rs",
              "mongo1,mongo2");
    hosts_are("API", "http://api:8080/v1 https://auth.example.org/token", "api,auth.example.org");
    hosts_are("REDIS_URL", "redis://:pw@cache:6379/0", "cache");
    hosts_are("X_URL", "http://[fd00::1]:80/", "");
    hosts_are("X_URL", "http://10.0.0.5:80/", "10.0.0.5");
    /* A user name never becomes a host, even without a password. */
    hosts_are("AMQP_URL", "amqp://guest@rabbit/", "rabbit");
}
END_TEST

START_TEST(test_hosts_pairs_and_dsn)
{
    hosts_are("REDIS_ADDR", "cache:6379", "cache");
    hosts_are("KAFKA", "k1:9092,k2:9092,k3:9092", "k1,k2,k3");
    hosts_are("PG_DSN", "host=db port=5432 dbname=app user=x password=y", "db");
    hosts_are("MSSQL", "Server=tcp:sql,1433;Database=app;User Id=sa;Password=x", "sql");
    hosts_are("CONN", "Data Source=ora;User Id=x", "");
    hosts_are("ADDR", "user:pass@broker:5672", "broker");
    /* Numbers, versions, times and plain words are no hosts. */
    hosts_are("TIMEOUT", "12:30", "");
    hosts_are("VERSION", "1.2.3", "");             /* no port, and no host variable */
    hosts_are("NTP_SERVER", "1.2.3.4", "1.2.3.4"); /* an address in a host variable */
    hosts_are("LOG_LEVEL", "info", "");
    hosts_are("TZ", "Europe/Paris", "");
}
END_TEST

START_TEST(test_hosts_bare_names_and_secrets)
{
    hosts_are("DB_HOST", "db", "db");
    hosts_are("SMTP_SERVER", "Mail.Example.com", "mail.example.com");
    hosts_are("UPSTREAM", "web", "web");
    hosts_are("GHOST", "db", ""); /* HOST must be a whole word of the name */
    hosts_are("NAME", "db", "");
    /* Secrets are never looked at, even when they look like host:port. */
    hosts_are("DB_PASSWORD", "hunter:2024", "");
    hosts_are("API_TOKEN", "http://tok:x@evil:1/", "");
    hosts_are("SECRET_HOST", "db", "");
    /* Duplicates once; the cap holds; quotes and blanks split words. */
    hosts_are("PEERS", "a:1 a:1 'b:2';\"c:3\"", "a,b,c");
    hosts_are("PEERS", "a:1,b:1,c:1,d:1,e:1,f:1,g:1,h:1,i:1,j:1", "a,b,c,d,e,f,g,h");
    char big[SVCMAP_VALUE_MAX + 64];
    memset(big, 'x', sizeof(big));
    memcpy(big + SVCMAP_VALUE_MAX + 8, " db:1", 5);
    big[sizeof(big) - 1] = '\0';
    hosts_are("BIG", big, ""); /* past the look-at cap */
}
END_TEST

/* ---- the graph ---- */

/* An inventory item; details NULL for a container outside the allowlist. */
static json_t *item(const char *name, const char *state, json_t *details)
{
    json_t *it =
        json_pack("{s:s,s:s,s:s,s:s,s:b}", "container_id", "0123456789abcdef", "name", name,
                  "image", "img:1", "state", state, "is_allowlisted", details != NULL);
    json_object_set_new(it, "details", details ? details : json_null());
    return it;
}

static json_t *details(const char *service, const char *nets_json, const char *extra_json)
{
    json_t *d = json_loads(extra_json ? extra_json : "{}", 0, NULL);
    ck_assert_ptr_nonnull(d);
    json_object_set_new(d, "networks", json_loads(nets_json, 0, NULL));
    json_t *labels = json_object();
    if (service) {
        json_object_set_new(labels, "com.docker.compose.project", json_string("shop"));
        json_object_set_new(labels, "com.docker.compose.service", json_string(service));
    }
    json_t *old = json_object_get(d, "labels");
    if (old)
        json_object_update(labels, old);
    json_object_set_new(d, "labels", labels);
    return d;
}

/* The compose-like shop: db (alias pg on back, volume data), api (back+front, port 8080,
 * DATABASE_URL -> pg, depends_on db), web (front, link to api, API=http://api),
 * worker (stopped, back, volume data ro, CACHE_HOST=redis: unresolved), spy (not
 * allowlisted). */
static json_t *shop(void)
{
    json_t *items = json_array();
    json_array_append_new(items,
                          item("shop-db-1", "running",
                               details("db", "[{\"name\":\"back\",\"aliases\":[\"pg\",\"db\"]}]",
                                       "{\"mounts\":[{\"type\":\"volume\",\"volume\":\"data\","
                                       "\"destination\":\"/var/lib/db\",\"read_only\":false}]}")));
    json_array_append_new(
        items, item("shop-api-1", "running",
                    details("api", "[{\"name\":\"back\",\"aliases\":[]},{\"name\":\"front\"}]",
                            "{\"ports\":[{\"container_port\":\"8080/tcp\",\"host_port\":\"8080\"},"
                            "{\"container_port\":\"8080/tcp\",\"host_port\":\"8080\"}],"
                            "\"env_hosts\":[{\"name\":\"DATABASE_URL\",\"hosts\":[\"pg\"]}],"
                            "\"labels\":{\"com.docker.compose.depends_on\":"
                            "\"db:service_healthy:true,ghost:service_started:false\"}}")));
    json_array_append_new(
        items, item("shop-web-1", "running",
                    details("web", "[{\"name\":\"front\",\"aliases\":[\"web\"]}]",
                            "{\"links\":[{\"target\":\"shop-api-1\",\"alias\":\"backend\"}],"
                            "\"env_hosts\":[{\"name\":\"API\",\"hosts\":[\"api\"]}]}")));
    json_array_append_new(
        items, item("shop-worker-1", "exited",
                    details(NULL, "[{\"name\":\"back\"},{\"name\":\"none\"}]",
                            "{\"mounts\":[{\"type\":\"volume\",\"volume\":\"data\","
                            "\"destination\":\"/d\",\"read_only\":true}],"
                            "\"env_hosts\":[{\"name\":\"CACHE_HOST\",\"hosts\":[\"redis\"]},"
                            "{\"name\":\"PG\",\"hosts\":[\"shop-db-1\"]}]}")));
    json_array_append_new(items, item("spy", "running", NULL));
    return items;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The edges of g as sorted "from>to:type" lines. */
static char *edge_lines(const json_t *g)
{
    static char out[8192];
    char *lines[256];
    size_t n = 0, i;
    json_t *e;
    json_array_foreach(json_object_get(g, "edges"), i, e)
    {
        char buf[512];
        snprintf(buf, sizeof(buf), "%s>%s:%s", json_string_value(json_object_get(e, "from")),
                 json_string_value(json_object_get(e, "to")),
                 json_string_value(json_object_get(e, "type")));
        lines[n++] = strdup(buf);
    }
    qsort(lines, n, sizeof(*lines), by_str);
    out[0] = '\0';
    for (i = 0; i < n; i++) {
        strcat(out, lines[i]);
        strcat(out, "\n");
        free(lines[i]);
    }
    return out;
}

static const char *evidence(const json_t *g, const char *from, const char *to, const char *type)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(g, "edges"), i, e)
    {
        if (!strcmp(json_string_value(json_object_get(e, "from")), from) &&
            !strcmp(json_string_value(json_object_get(e, "to")), to) &&
            !strcmp(json_string_value(json_object_get(e, "type")), type))
            return json_string_value(json_object_get(e, "evidence"));
    }
    return NULL;
}

START_TEST(test_build_edges)
{
    json_t *items = shop();
    json_t *nets =
        json_loads("[{\"name\":\"back\",\"driver\":\"bridge\",\"internal\":true}]", 0, NULL);
    struct svcmap_opts o = {.include_stopped = true};
    json_t *g = svcmap_build(items, nets, &o);
    ck_assert_str_eq(edge_lines(g), "container:shop-api-1>container:shop-db-1:depends_on\n"
                                    "container:shop-api-1>container:shop-db-1:env_reference\n"
                                    "container:shop-api-1>network:back:shares_network\n"
                                    "container:shop-api-1>network:front:shares_network\n"
                                    "container:shop-api-1>port:8080/tcp:publishes\n"
                                    "container:shop-db-1>network:back:shares_network\n"
                                    "container:shop-db-1>volume:data:shared_volume\n"
                                    "container:shop-web-1>container:shop-api-1:env_reference\n"
                                    "container:shop-web-1>container:shop-api-1:link\n"
                                    "container:shop-web-1>network:front:shares_network\n"
                                    "container:shop-worker-1>container:shop-db-1:env_reference\n"
                                    "container:shop-worker-1>network:back:shares_network\n"
                                    "container:shop-worker-1>volume:data:shared_volume\n");
    ck_assert_str_eq(evidence(g, "container:shop-api-1", "container:shop-db-1", "env_reference"),
                     "DATABASE_URL names host pg (alias on network back)");
    ck_assert_str_eq(evidence(g, "container:shop-api-1", "container:shop-db-1", "depends_on"),
                     "compose depends_on db (service_healthy)");
    ck_assert_str_eq(evidence(g, "container:shop-web-1", "container:shop-api-1", "env_reference"),
                     "API names host api (compose service of project shop)");
    ck_assert_str_eq(evidence(g, "container:shop-worker-1", "container:shop-db-1", "env_reference"),
                     "PG names host shop-db-1 (container name)");
    ck_assert_str_eq(evidence(g, "container:shop-web-1", "container:shop-api-1", "link"),
                     "link to shop-api-1 as backend");
    ck_assert_str_eq(evidence(g, "container:shop-db-1", "network:back", "shares_network"),
                     "attached to network back as pg, db");
    ck_assert_str_eq(evidence(g, "container:shop-worker-1", "volume:data", "shared_volume"),
                     "mounts volume data at /d (read-only)");
    /* Nodes: details for the allowlisted, the name only for spy, network facts. */
    const json_t *spy = svcmap_node_find(g, "spy");
    ck_assert_int_eq(json_object_size(spy), 4);
    ck_assert(json_is_false(json_object_get(spy, "is_allowlisted")));
    const json_t *api = svcmap_node_find(g, "shop-api-1");
    ck_assert_str_eq(json_string_value(json_object_get(api, "service")), "api");
    ck_assert_str_eq(json_string_value(json_object_get(api, "state")), "running");
    const json_t *worker = svcmap_node_find(g, "shop-worker-1");
    ck_assert_str_eq(
        json_string_value(json_array_get(json_object_get(worker, "unresolved_hosts"), 0)), "redis");
    const json_t *back = svcmap_node_find(g, "back");
    ck_assert(json_is_true(json_object_get(back, "internal")));
    ck_assert_str_eq(json_string_value(json_object_get(back, "driver")), "bridge");
    ck_assert_ptr_null(svcmap_node_find(g, "none"));
    ck_assert_int_eq(json_array_size(json_object_get(g, "nodes")), 9); /* 5 + 2 + 1 + 1 */
    /* Without stopped containers the worker and its edges go. */
    o.include_stopped = false;
    json_t *g2 = svcmap_build(items, nets, &o);
    ck_assert_ptr_null(svcmap_node_find(g2, "shop-worker-1"));
    ck_assert_int_eq(json_array_size(json_object_get(g2, "edges")), 10);
    json_decref(g2);
    json_decref(g);
    json_decref(nets);
    json_decref(items);
}
END_TEST

START_TEST(test_build_hostile_input)
{
    /* Garbage items, empty names, duplicate names: no crash, no duplicate nodes. */
    json_t *items = json_loads("[1,\"x\",null,{},{\"name\":\"\"},{\"name\":\"a\",\"details\":"
                               "{\"networks\":7,\"ports\":[{}],\"mounts\":[null],\"env_hosts\":"
                               "[{\"name\":\"X\",\"hosts\":[\"a\",7]}]},\"is_allowlisted\":true},"
                               "{\"name\":\"a\"}]",
                               0, NULL);
    json_t *g = svcmap_build(items, NULL, NULL);
    ck_assert_int_eq(json_array_size(json_object_get(g, "nodes")), 1);
    ck_assert_int_eq(json_array_size(json_object_get(g, "edges")), 0); /* no self edges */
    json_t *clean = NULL;
    ck_assert_int_eq(svcmap_check(g, &clean, NULL), ERR_OK);
    json_decref(clean);
    json_decref(g);
    json_decref(items);
}
END_TEST

START_TEST(test_check)
{
    static const struct {
        const char *json;
        enum err want;
    } cases[] = {
        {"{\"nodes\":[],\"edges\":[]}", ERR_OK},
        {"{\"nodes\":[]}", ERR_INVALID},
        {"{\"nodes\":[{\"id\":\"a\",\"name\":\"a\",\"kind\":\"robot\"}],\"edges\":[]}",
         ERR_INVALID},
        {"{\"nodes\":[{\"id\":\"a\",\"name\":\"a\",\"kind\":\"volume\"},{\"id\":\"a\",\"name\":"
         "\"b\",\"kind\":\"volume\"}],\"edges\":[]}",
         ERR_INVALID},
        {"{\"nodes\":[{\"id\":\"a\",\"name\":\"a\",\"kind\":\"volume\"}],\"edges\":[{\"from\":"
         "\"a\",\"to\":\"b\",\"type\":\"link\",\"evidence\":\"e\"}]}",
         ERR_INVALID},
        {"{\"nodes\":[{\"id\":\"a\",\"name\":\"a\",\"kind\":\"volume\"},{\"id\":\"b\",\"name\":"
         "\"b\",\"kind\":\"port\"}],\"edges\":[{\"from\":\"a\",\"to\":\"b\",\"type\":\"likes\","
         "\"evidence\":\"e\"}]}",
         ERR_INVALID},
        {"{\"nodes\":[{\"id\":\"a\",\"name\":\"a\",\"kind\":\"volume\"},{\"id\":\"b\",\"name\":"
         "\"b\",\"kind\":\"port\"}],\"edges\":[{\"from\":\"a\",\"to\":\"b\",\"type\":\"link\"}]}",
         ERR_INVALID},
        {"{\"nodes\":[{\"id\":\"a\\u0000b\",\"name\":\"a\",\"kind\":\"volume\"}],\"edges\":[]}",
         ERR_INVALID},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *g = json_loads(cases[i].json, JSON_ALLOW_NUL, NULL), *out = NULL;
        ck_assert_ptr_nonnull(g);
        struct errbuf eb = {{0}};
        ck_assert_msg(svcmap_check(g, &out, &eb) == cases[i].want, "case %zu: %s", i, eb.msg);
        ck_assert((out != NULL) == (cases[i].want == ERR_OK));
        json_decref(out);
        json_decref(g);
    }
    /* Too many nodes; unknown fields are dropped. */
    json_t *g = json_pack("{s:[],s:[]}", "nodes", "edges"), *out = NULL;
    for (int i = 0; i <= SVCMAP_NODES_MAX; i++)
        json_array_append_new(json_object_get(g, "nodes"), json_pack("{s:s}", "id", "x"));
    ck_assert_int_eq(svcmap_check(g, &out, NULL), ERR_TOO_LARGE);
    json_decref(g);
    g = json_loads("{\"nodes\":[{\"id\":\"v\",\"name\":\"v\",\"kind\":\"volume\",\"evil\":1}],"
                   "\"edges\":[]}",
                   0, NULL);
    ck_assert_int_eq(svcmap_check(g, &out, NULL), ERR_OK);
    ck_assert_ptr_null(json_object_get(json_array_get(json_object_get(out, "nodes"), 0), "evil"));
    json_decref(out);
    json_decref(g);
}
END_TEST

START_TEST(test_impact_spof_diff)
{
    json_t *items = shop();
    json_t *g = svcmap_build(items, NULL, NULL);
    json_t *imp = svcmap_impact(g, svcmap_node_find(g, "shop-db-1"));
    /* api (depends), worker (env), web (through api), the port api publishes. */
    ck_assert_int_eq(json_integer_value(json_object_get(imp, "count")), 4);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(imp, "impacted"), i, x)
    {
        const char *id = json_string_value(json_object_get(x, "id"));
        json_int_t d = json_integer_value(json_object_get(x, "depth"));
        ck_assert_msg(!strcmp(id, "container:shop-api-1")      ? d == 1
                      : !strcmp(id, "container:shop-worker-1") ? d == 1
                      : !strcmp(id, "container:shop-web-1")
                          ? d == 2
                          : !strcmp(id, "port:8080/tcp") && d == 2,
                      "%s at %lld", id, (long long)d);
    }
    json_decref(imp);
    imp = svcmap_impact(g, svcmap_node_find(g, "port:8080/tcp"));
    ck_assert_int_eq(json_integer_value(json_object_get(imp, "count")), 0);
    json_decref(imp);
    /* Single points of failure: back and data (db and what needs it: 4 containers each),
     * db (api, worker, web), front (api, web). */
    json_t *spof = svcmap_spof(g);
    static const struct {
        const char *id;
        int n;
    } want[] = {
        {"network:back", 4}, {"volume:data", 4}, {"container:shop-db-1", 3}, {"network:front", 2}};
    ck_assert_int_eq(json_array_size(spof), 4);
    for (i = 0; i < 4; i++) {
        json_t *e = json_array_get(spof, i);
        ck_assert_str_eq(json_string_value(json_object_get(e, "id")), want[i].id);
        ck_assert_int_eq(json_integer_value(json_object_get(e, "impacted_containers")), want[i].n);
    }
    json_decref(spof);
    /* The difference: drop the worker. */
    json_array_remove(items, 3);
    json_t *g2 = svcmap_build(items, NULL, NULL);
    json_t *d = svcmap_diff(g, g2);
    ck_assert_int_eq(json_array_size(json_object_get(d, "nodes_added")), 0);
    ck_assert_int_eq(json_array_size(json_object_get(d, "nodes_removed")), 1);
    ck_assert_int_eq(json_array_size(json_object_get(d, "edges_removed")), 3);
    ck_assert_int_eq(json_array_size(json_object_get(d, "edges_added")), 0);
    json_decref(d);
    d = svcmap_diff(NULL, g2);
    ck_assert_int_eq(json_array_size(json_object_get(d, "nodes_added")),
                     json_array_size(json_object_get(g2, "nodes")));
    json_decref(d);
    json_decref(g2);
    json_decref(g);
    json_decref(items);
}
END_TEST

START_TEST(test_proc_tcp_and_observed)
{
    const char *tcp =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
        "   0: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n"
        "   1: 030012AC:C350 020012AC:1538 01 00000000:00000000 00:00000000 00000000 0 0 2 1\n"
        "   2: 030012AC:C351 020012AC:1539 06 00000000:00000000 00:00000000 00000000 0 0 3 1\n"
        "   3: zz0012AC:C351 020012AC:1539 01\n"
        "garbage\n\n   4: 0100007F:0050";
    struct svcmap_sock s[8];
    size_t n = svcmap_proc_tcp_parse(tcp, strlen(tcp), s, 8);
    ck_assert_uint_eq(n, 2); /* LISTEN and ESTABLISHED; TIME_WAIT and bad lines skipped */
    ck_assert(s[0].is_listen);
    ck_assert_uint_eq(s[0].local_port, 5432);
    ck_assert(!s[1].is_listen);
    ck_assert_uint_eq(s[1].remote_port, 5432);
    ck_assert_uint_eq(s[1].local_port, 50000);
    static const unsigned char want[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 172, 18, 0, 2};
    ck_assert(memcmp(s[1].remote, want, 16) == 0); /* 172.18.0.2, IPv4-mapped */
    const char *tcp6 = "  sl  local_address                         remote_address   st\n"
                       "   0: 0000000000000000FFFF0000030012AC:C350 "
                       "00000000000000000000000001000000:1538 01 0\n";
    n = svcmap_proc_tcp_parse(tcp6, strlen(tcp6), s, 8);
    ck_assert_uint_eq(n, 1);
    static const unsigned char lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    ck_assert(memcmp(s[0].remote, lo6, 16) == 0);                        /* ::1 */
    ck_assert_uint_eq(svcmap_proc_tcp_parse(tcp, strlen(tcp), s, 1), 1); /* the cap holds */

    /* Observed connections become "observed" edges between known containers only. */
    json_t *items = shop();
    json_t *obs = json_loads("[{\"from\":\"shop-api-1\",\"to\":\"shop-db-1\",\"port\":5432},"
                             "{\"from\":\"shop-api-1\",\"to\":\"ghost\",\"port\":1},"
                             "{\"from\":\"shop-web-1\",\"to\":\"shop-api-1\",\"port\":0},"
                             "{\"from\":\"shop-db-1\",\"to\":\"shop-db-1\",\"port\":5}]",
                             0, NULL);
    struct svcmap_opts o = {.include_stopped = true, .observed = obs};
    json_t *g = svcmap_build(items, NULL, &o);
    ck_assert_str_eq(evidence(g, "container:shop-api-1", "container:shop-db-1", "observed"),
                     "established TCP connection to port 5432 (observed)");
    size_t i, n_obs = 0;
    json_t *e;
    json_array_foreach(json_object_get(g, "edges"), i, e) n_obs +=
        !strcmp(json_string_value(json_object_get(e, "type")), "observed");
    ck_assert_uint_eq(n_obs, 1);
    json_decref(g);
    json_decref(obs);
    json_decref(items);
}
END_TEST

/* ---- text ---- */

static json_t *hostile(void)
{
    return json_loads(
        "{\"nodes\":[{\"id\":\"container:a\",\"name\":\"a\\\"];evil[label=\\\"x\\\\N\\n\","
        "\"kind\":\"container\",\"is_allowlisted\":true},"
        "{\"id\":\"network:n\",\"name\":\"<script>alert(1)</script>\",\"kind\":\"network\"},"
        "{\"id\":\"container:o\",\"name\":\"caf\\u00e9 |x|\",\"kind\":\"container\"}],"
        "\"edges\":[{\"from\":\"container:a\",\"to\":\"network:n\",\"type\":\"shares_network\","
        "\"evidence\":\"attached \\\"q\\\"\"},{\"from\":\"container:a\",\"to\":\"container:o\","
        "\"type\":\"depends_on\",\"evidence\":\"e\"}]}",
        0, NULL);
}

START_TEST(test_dot_golden)
{
    json_t *g = hostile();
    struct buf b;
    buf_init(&b, 1 << 20);
    ck_assert_int_eq(svcmap_dot(g, &b), ERR_OK);
    const char *want =
        "digraph service_map {\n"
        "  graph [rankdir=LR, charset=\"UTF-8\", fontname=\"Helvetica\", nodesep=0.25, "
        "ranksep=0.6, mclimit=0.5];\n"
        "  node [fontname=\"Helvetica\", fontsize=10, style=\"filled\", penwidth=0.8];\n"
        "  edge [fontname=\"Helvetica\", fontsize=8, arrowsize=0.6];\n"
        "  n0 [label=\"a\\\"];evil[label=\\\"x\\\\N\", shape=box, fillcolor=\"#dbeafe\", "
        "class=\"container\"];\n"
        "  n1 [label=\"<script>alert(1)</script>\", shape=ellipse, fillcolor=\"#dcfce7\", "
        "class=\"network\"];\n"
        "  n2 [label=\"caf\xc3\xa9 |x|\", shape=box, fillcolor=\"#f3f4f6\", class=\"container\", "
        "style=\"filled,dashed\"];\n"
        "  n0 -> n1 [color=\"#16a34a\", class=\"shares_network\", tooltip=\"shares_network: "
        "attached \\\"q\\\"\", style=dashed];\n"
        "  n0 -> n2 [color=\"#2563eb\", class=\"depends_on\", tooltip=\"depends_on: e\"];\n"
        "}\n";
    ck_assert_str_eq(buf_str(&b), want);
    buf_fini(&b);
    json_decref(g);
}
END_TEST

START_TEST(test_dot_clusters)
{
    /* Containers of a compose project sit in one cluster labelled with it (escaped). */
    json_t *items = shop();
    json_object_set_new(
        json_object_get(json_object_get(json_array_get(items, 0), "details"), "labels"),
        "com.docker.compose.project", json_string("sh\"op"));
    json_t *g = svcmap_build(items, NULL, NULL);
    struct buf b;
    buf_init(&b, 1 << 20);
    ck_assert_int_eq(svcmap_dot(g, &b), ERR_OK);
    const char *d = buf_str(&b);
    const char *c1 = strstr(d, "  subgraph cluster_1 {\n    label=\"sh\\\"op\"; class=\"project\"");
    const char *c2 = strstr(d, "  subgraph cluster_2 {\n    label=\"shop\"; class=\"project\"");
    ck_assert_msg(c1 && c2 && c1 < c2, "%s", d);
    ck_assert_ptr_nonnull(strstr(c1, "    n0 [label=\"shop-db-1\""));
    ck_assert_ptr_nonnull(strstr(c2, "    n1 [label=\"shop-api-1\""));
    ck_assert_ptr_nonnull(strstr(c2, "    n2 [label=\"shop-web-1\""));
    ck_assert_ptr_null(strstr(d, "cluster_3"));
    /* The worker has no project: a node of its own, outside every cluster. */
    ck_assert_ptr_nonnull(strstr(d, "\n  n3 [label=\"shop-worker-1\""));
    buf_fini(&b);
    json_decref(g);
    json_decref(items);
}
END_TEST

START_TEST(test_mermaid_golden)
{
    json_t *g = hostile();
    struct buf b;
    buf_init(&b, 1 << 20);
    ck_assert_int_eq(svcmap_mermaid(g, &b), ERR_OK);
    const char *want = "graph LR\n"
                       "  n0[\"a#34;#93;#59;evil#91;label#61;#34;x#92;N\"]\n"
                       "  n1([\"#60;script#62;alert#40;1#41;#60;/script#62;\"])\n"
                       "  n2[\"caf#233; #124;x#124;\"]\n"
                       "  n0 -.->|shares_network| n1\n"
                       "  n0 -->|depends_on| n2\n"
                       "%% end of the service map\n";
    ck_assert_str_eq(buf_str(&b), want);
    /* A cap too small fails instead of cutting silently. */
    struct buf small;
    buf_init(&small, 32);
    ck_assert_int_ne(svcmap_mermaid(g, &small), ERR_OK);
    buf_fini(&small);
    buf_fini(&b);
    json_decref(g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svcmap");
    TCase *tc = tcase_create("hosts");
    tcase_add_test(tc, test_hosts_urls);
    tcase_add_test(tc, test_hosts_pairs_and_dsn);
    tcase_add_test(tc, test_hosts_bare_names_and_secrets);
    suite_add_tcase(s, tc);
    tc = tcase_create("graph");
    tcase_add_test(tc, test_build_edges);
    tcase_add_test(tc, test_build_hostile_input);
    tcase_add_test(tc, test_check);
    tcase_add_test(tc, test_impact_spof_diff);
    tcase_add_test(tc, test_proc_tcp_and_observed);
    suite_add_tcase(s, tc);
    tc = tcase_create("text");
    tcase_add_test(tc, test_dot_golden);
    tcase_add_test(tc, test_dot_clusters);
    tcase_add_test(tc, test_mermaid_golden);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
