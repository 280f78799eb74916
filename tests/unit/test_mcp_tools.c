/* SPDX-License-Identifier: MIT */
/* test_mcp_tools.c -- the MCP tools and resources called directly (no transport), on
 * SQLite and on PostgreSQL (loop index 0 and 1; see store_fixture.h): the table and its
 * schemas, every tool's structured result against its output schema, error paths
 * (isError texts), launch_run's wait with progress, the report resources. */
#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "explain/explain.h"
#include "mcp/mcp_int.h"
#include "mcp_tools_fixture.h"
#include "store/store_int.h"
#include "svcmap/svcmap.h"

static const char *const read_only[] = {
    "explain_run",     "get_directive", "get_inventory",
    "gpu_status",      "impact_of",     "service_map",
    "get_report",      "get_run",       "list_container_allowlist",
    "list_directives", "list_runs",     "list_worker_images",
    "recent_audit",    "token_usage",   NULL};

static bool in_list(const char *const *l, const char *s)
{
    for (size_t i = 0; l[i]; i++)
        if (strcmp(l[i], s) == 0)
            return true;
    return false;
}

START_TEST(test_table)
{
    size_t n = 0;
    const struct mcp_tool *tab = mcp_tools_get(&n);
    ck_assert_uint_eq(n, 17);
    for (size_t i = 0; i < n; i++) {
        const struct mcp_tool *t = &tab[i];
        json_error_t je;
        if (i > 0)
            ck_assert_msg(strcmp(tab[i - 1].name, t->name) < 0, "table not sorted at %s", t->name);
        ck_assert(t->title && t->title[0] && t->description && t->description[0] && t->call);
        json_t *in = json_loads(t->input_schema, 0, &je);
        ck_assert_msg(in, "%s input schema: %s", t->name, je.text);
        json_t *out = json_loads(t->output_schema, 0, &je);
        ck_assert_msg(out, "%s output schema: %s", t->name, je.text);
        ck_assert_str_eq(jsonx_get_str(in, "type"), "object");
        ck_assert_str_eq(jsonx_get_str(out, "type"), "object");
        ck_assert(json_is_object(json_object_get(in, "properties")));
        ck_assert(json_is_object(json_object_get(out, "properties")));
        /* Every required key of the output is described. */
        size_t k;
        json_t *r;
        json_array_foreach(json_object_get(out, "required"), k, r)
            ck_assert_msg(json_object_get(json_object_get(out, "properties"), json_string_value(r)),
                          "%s: required %s has no property", t->name, json_string_value(r));
        bool is_ro = (t->flags & MCP_TOOL_READ_ONLY) != 0;
        ck_assert_msg(is_ro == in_list(read_only, t->name), "%s read-only flag", t->name);
        bool is_destr = (t->flags & MCP_TOOL_DESTRUCTIVE) != 0;
        ck_assert_msg(is_destr == (strcmp(t->name, "cancel_run") == 0 ||
                                   strcmp(t->name, "set_container_allowlist") == 0),
                      "%s destructive flag", t->name);
        ck_assert_msg(!(is_ro && is_destr), "%s both read-only and destructive", t->name);
        ck_assert_msg(((t->flags & MCP_TOOL_LONG) != 0) == (strcmp(t->name, "launch_run") == 0 ||
                                                            strcmp(t->name, "explain_run") == 0),
                      "%s long flag", t->name);
        json_decref(in);
        json_decref(out);
    }
}
END_TEST

START_TEST(test_runs)
{
    struct tfx t;
    if (!tfx_open(&t, _i))
        return;
    json_t *r = tok(&t, "launch_run", "{\"tasks\":[\"task1\",\"log_triage\"]}");
    json_t *run = json_object_get(r, "run");
    int64_t id = id_of(run);
    ck_assert_int_gt(id, 0);
    ck_assert_str_eq(jsonx_get_str(run, "status"), "queued");
    ck_assert_uint_eq(json_array_size(json_object_get(run, "jobs")), 1);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(run, "tasks"), 0)),
                     "log_triage");
    ck_assert_int_eq(t.n_launch, 1);
    json_decref(r);
    /* The same checks as POST /api/runs/launch/. */
    tbad(&t, "launch_run", "{\"tasks\":[\"nope\"]}", ERR_INVALID, "tasks: Unknown task 'nope'");
    tbad(&t, "launch_run", "{\"tasks\":\"log_triage\"}", ERR_INVALID, "list of task names");
    tbad(&t, "launch_run", "{\"directive_id\":1,\"directive_text\":\"x\"}", ERR_INVALID,
         "not both");
    tbad(&t, "launch_run", "{\"directive_id\":0}", ERR_INVALID, "directive_id:");
    tbad(&t, "launch_run", "{\"directive_text\":\"\"}", ERR_INVALID, "blank");
    tbad(&t, "launch_run", "{\"directive_id\":99999}", ERR_NOT_FOUND, NULL);
    tbad(&t, "launch_run", "{\"wait\":\"yes\"}", ERR_INVALID, "wait");
    tbad(&t, "launch_run", "{\"taks\":[]}", ERR_INVALID, "unknown argument");
    ck_assert_int_eq(t.n_launch, 1);
    /* All three when none is given; a custom directive. */
    r = tok(&t, "launch_run", "{\"directive_text\":\"look at nginx\"}");
    ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(r, "run"), "jobs")), 3);
    json_decref(r);

    r = tok(&t, "get_run", "{\"run_id\":1}");
    ck_assert_int_eq(id_of(r), id);
    json_decref(r);
    tbad(&t, "get_run", "{\"run_id\":424242}", ERR_NOT_FOUND, "run 424242 not found");
    tbad(&t, "get_run", "{}", ERR_INVALID, "run_id is required");
    tbad(&t, "get_run", "{\"run_id\":\"1\"}", ERR_INVALID, "run_id");
    tbad(&t, "get_run", "{\"run_id\":-3}", ERR_INVALID, "run_id");

    /* A report only once the run ended. */
    tbad(&t, "get_report", "{\"run_id\":1}", ERR_NOT_FOUND, "no report yet");
    finish_run(&t, id, "success");
    char *text = NULL;
    struct errbuf eb;
    json_t *out = NULL;
    ck_assert_int_eq(tcall(&t, "get_report", "{\"run_id\":1}", &out, &text, &eb), ERR_OK);
    ck_assert_str_eq(text, "# Run 1\n\nall success\n");
    ck_assert_str_eq(jsonx_get_str(out, "markdown"), text);
    ck_assert_str_eq(jsonx_get_str(out, "format"), "markdown");
    json_decref(out);
    xfree(text);
    r = tok(&t, "get_report", "{\"run_id\":1,\"format\":\"json\"}");
    ck_assert_str_eq(jsonx_get_str(json_object_get(r, "report"), "status"), "success");
    ck_assert_ptr_null(json_object_get(r, "markdown"));
    json_decref(r);
    tbad(&t, "get_report", "{\"run_id\":1,\"format\":\"pdf\"}", ERR_INVALID, "markdown or json");
    tbad(&t, "get_report", "{\"run_id\":777}", ERR_NOT_FOUND, "run 777 not found");

    /* cancel_run: the queued run 2 is cancelled, an ended one is a conflict. */
    r = tok(&t, "cancel_run", "{\"run_id\":2}");
    ck_assert_str_eq(jsonx_get_str(r, "status"), "cancelled");
    json_decref(r);
    tbad(&t, "cancel_run", "{\"run_id\":2}", ERR_CONFLICT, NULL);
    tbad(&t, "cancel_run", "{\"run_id\":31337}", ERR_NOT_FOUND, NULL);
    tfx_close(&t);
}
END_TEST

START_TEST(test_list_runs_pages)
{
    struct tfx t;
    if (!tfx_open(&t, _i))
        return;
    for (int i = 0; i < 5; i++)
        json_decref(tok(&t, "launch_run", i % 2 ? "{\"tasks\":[\"gpu_report\"]}" : "{}"));
    json_t *seen = json_object();
    char args[256] = "{\"limit\":2}";
    int pages = 0;
    for (;;) {
        json_t *r = tok(&t, "list_runs", args);
        ck_assert_int_eq(json_integer_value(json_object_get(r, "count")), 5);
        size_t i;
        json_t *run;
        json_array_foreach(json_object_get(r, "runs"), i, run)
        {
            char k[32];
            snprintf(k, sizeof(k), "%lld", (long long)id_of(run));
            ck_assert_ptr_null(json_object_get(seen, k));
            json_object_set_new(seen, k, json_true());
        }
        pages++;
        const char *cur = jsonx_get_str(r, "next_cursor");
        if (!cur) {
            json_decref(r);
            break;
        }
        ck_assert_int_lt(pages, 5);
        /* A run launched between two pages shifts nothing: the cursor holds the list as it
         * was at the first page. */
        json_decref(tok(&t, "launch_run", "{}"));
        snprintf(args, sizeof(args), "{\"limit\":2,\"cursor\":\"%s\"}", cur);
        json_decref(r);
    }
    ck_assert_int_eq(pages, 3);
    ck_assert_uint_eq(json_object_size(seen), 5);
    json_decref(seen);
    /* Filters: status, task (an alias too); a cursor is bound to its filter. */
    json_t *r = tok(&t, "list_runs", "{\"task\":\"task2\",\"limit\":1}");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "count")), 7);
    char *bound = xasprintf("{\"cursor\":\"%s\"}", jsonx_get_str(r, "next_cursor"));
    json_decref(r);
    tbad(&t, "list_runs", bound, ERR_INVALID, "invalid cursor");
    xfree(bound);
    r = tok(&t, "list_runs", "{\"status\":\"cancelled\"}");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "count")), 0);
    ck_assert(json_is_null(json_object_get(r, "next_cursor")));
    json_decref(r);
    tbad(&t, "list_runs", "{\"cursor\":\"zz\"}", ERR_INVALID, "invalid cursor");
    tbad(&t, "list_runs", "{\"cursor\":\"72756e737c2d317c7c\"}", ERR_INVALID, "invalid cursor");
    tbad(&t, "list_runs", "{\"cursor\":\"\"}", ERR_INVALID, "invalid cursor");
    tbad(&t, "list_runs", "{\"status\":\"done\"}", ERR_INVALID, "status");
    tbad(&t, "list_runs", "{\"task\":\"x\"}", ERR_INVALID, "Unknown task");
    tbad(&t, "list_runs", "{\"limit\":0}", ERR_INVALID, "limit");
    tbad(&t, "list_runs", "{\"limit\":101}", ERR_INVALID, "limit");
    tfx_close(&t);
}
END_TEST

/* A stand-in dispatcher: runs the jobs of whatever run is queued, publishing events. */
struct fake_disp {
    struct tfx *t;
    int n_runs; /* runs to finish before stopping */
};

static void publish(struct tfx *t, int64_t run_id, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void publish(struct tfx *t, int64_t run_id, const char *type, const char *fmt, ...)
{
    char data[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(data, sizeof(data), fmt, ap);
    va_end(ap);
    events_publish(t->ev, run_id, type, data);
}

static void *fake_dispatcher(void *arg)
{
    struct fake_disp *d = arg;
    struct tfx *t = d->t;
    for (int spins = 0; d->n_runs > 0 && spins < 2000; spins++) {
        struct store_claim c;
        bool got = false, done = false;
        struct errbuf eb = {{0}};
        if (store_job_claim(t->f.st, "fake", 60000, 0, &c, &got, &eb) != ERR_OK || !got) {
            usleep(10 * 1000);
            continue;
        }
        long long rid = (long long)c.run_id;
        publish(t, c.run_id, "job", "{\"run_id\":%lld,\"task\":\"%s\",\"status\":\"running\"}", rid,
                c.task);
        for (int pct = 10; pct <= 90; pct += 40)
            publish(t, c.run_id, "progress",
                    "{\"run_id\":%lld,\"task\":\"%s\",\"message\":\"step\",\"progress\":%d}", rid,
                    c.task, pct);
        /* A value that does not grow is not sent. */
        publish(t, c.run_id, "progress",
                "{\"run_id\":%lld,\"task\":\"%s\",\"message\":\"again\",\"progress\":50}", rid,
                c.task);
        store_job_finish(t->f.st, c.job_id, "success", NULL, NULL, NULL, &done, &eb);
        publish(t, c.run_id, "job", "{\"run_id\":%lld,\"task\":\"%s\",\"status\":\"success\"}", rid,
                c.task);
        if (done) {
            store_run_end(t->f.st, c.run_id, "# Waited\n\nok\n", "{\"ok\":true}", &eb);
            publish(t, c.run_id, "run", "{\"run_id\":%lld,\"status\":\"success\"}", rid);
            d->n_runs--;
        }
        store_claim_fini(&c);
    }
    return NULL;
}

START_TEST(test_launch_wait)
{
    struct tfx t;
    if (!tfx_open(&t, _i))
        return;
    struct fake_disp d = {&t, 1};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, fake_dispatcher, &d), 0);
    json_t *out = NULL;
    char *text = NULL;
    struct errbuf eb;
    enum err e =
        tcall(&t, "launch_run", "{\"tasks\":[\"log_triage\",\"gpu_report\"],\"wait\":true}", &out,
              &text, &eb);
    pthread_join(th, NULL);
    ck_assert_msg(e == ERR_OK, "%s", eb.msg);
    ck_assert_str_eq(jsonx_get_str(json_object_get(out, "run"), "status"), "success");
    ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(out, "run"), "jobs")), 2);
    ck_assert(json_is_true(json_object_get(json_object_get(out, "report"), "ok")));
    ck_assert_str_eq(text, "# Waited\n\nok\n");
    /* Progress: from 0 to the job count, strictly increasing, the total the job count. */
    ck_assert_int_ge(t.n_progress, 4);
    ck_assert(t.progress[0] == 0.0);
    for (int i = 0; i < t.n_progress; i++) {
        ck_assert(t.total[i] == 2.0);
        if (i > 0)
            ck_assert_msg(t.progress[i] > t.progress[i - 1], "progress %d not increasing", i);
    }
    ck_assert(t.progress[t.n_progress - 1] == 2.0);
    ck_assert_str_eq(t.last_msg, "gpu_report: success");
    json_decref(out);
    xfree(text);
    tfx_close(&t);
}
END_TEST

START_TEST(test_launch_wait_bounds)
{
    struct tfx t;
    if (!tfx_open(&t, _i))
        return;
    /* No dispatcher: the wait ends at its bound with an error; the run stays queued. */
    tbad(&t, "launch_run", "{\"tasks\":[\"gpu_report\"],\"wait\":true,\"wait_timeout_s\":1}",
         ERR_TIMEOUT, "run 1 did not end within 1 s");
    json_t *r = tok(&t, "get_run", "{\"run_id\":1}");
    ck_assert_str_eq(jsonx_get_str(r, "status"), "queued");
    json_decref(r);
    /* The client cancelled: the wait stops at once. */
    t.is_cancelled = true;
    tbad(&t, "launch_run", "{\"wait\":true}", ERR_UNAVAILABLE, "cancelled");
    t.is_cancelled = false;
    json_decref(tok(&t, "cancel_run", "{\"run_id\":2}"));
    /* Without an event bus the store is polled. */
    t.env.ev = NULL;
    finish_run(&t, 1, "failed");
    json_t *out = NULL;
    char *text = NULL;
    struct errbuf eb;
    struct fake_disp d = {&t, 1};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, fake_dispatcher, &d), 0);
    enum err e = tcall(&t, "launch_run", "{\"tasks\":[\"task3\"],\"wait\":true}", &out, &text, &eb);
    pthread_join(th, NULL);
    ck_assert_msg(e == ERR_OK, "%s", eb.msg);
    ck_assert_str_eq(jsonx_get_str(json_object_get(out, "run"), "status"), "success");
    json_decref(out);
    xfree(text);
    tfx_close(&t);
}
END_TEST

START_TEST(test_directives_images)
{
    struct tfx t;
    if (!tfx_open(&t, _i))
        return;
    json_t *r = tok(&t, "list_directives", "{}");
    ck_assert_int_ge(json_integer_value(json_object_get(r, "count")), 4);
    ck_assert(json_is_false(json_object_get(r, "is_truncated")));
    int64_t did = id_of(json_array_get(json_object_get(r, "directives"), 0));
    json_decref(r);
    char args[64];
    snprintf(args, sizeof(args), "{\"directive_id\":%lld}", (long long)did);
    r = tok(&t, "get_directive", args);
    ck_assert_int_eq(id_of(r), did);
    json_decref(r);
    tbad(&t, "get_directive", "{\"directive_id\":9999}", ERR_NOT_FOUND, "not found");
    tbad(&t, "get_directive", "{}", ERR_INVALID, "directive_id is required");
    tbad(&t, "list_directives", "{\"page\":2}", ERR_INVALID, "takes none");

    r = tok(&t, "list_worker_images", "{}");
    size_t n0 = json_array_size(json_object_get(r, "images"));
    json_decref(r);
    json_t *f = json_pack("{s:s,s:s}", "image_name", "cyberbrain-worker", "image_tag", "9.9.9");
    json_t *img = NULL;
    OK(store_worker_image_create(t.f.st, f, &img, EB));
    json_decref(f);
    json_decref(img);
    r = tok(&t, "list_worker_images", "{}");
    ck_assert_uint_eq(json_array_size(json_object_get(r, "images")), n0 + 1);
    json_decref(r);
    tfx_close(&t);
}
END_TEST

static int64_t ct_count(struct store *st)
{
    json_t *rows = NULL;
    int64_t n = -1;
    ck_assert_int_eq(store_container_list(st, 0, 100, &rows, &n, NULL), ERR_OK);
    json_decref(rows);
    return n;
}

START_TEST(test_container_allowlist)
{
    struct tfx t;
    if (!tfx_open(&t, _i))
        return;
    json_t *r = tok(&t, "set_container_allowlist",
                    "{\"entries\":[{\"container_ref\":\"web-1\",\"note\":\"front\"},"
                    "{\"container_ref\":\"0123456789ab\",\"is_active\":false}]}");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "count")), 2);
    json_t *web = jsonx_find(json_object_get(r, "entries"), "container_ref", "web-1");
    ck_assert_ptr_nonnull(web);
    int64_t web_id = id_of(web);
    json_decref(r);
    r = tok(&t, "list_container_allowlist", "{}");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "count")), 2);
    json_decref(r);
    /* Replace: web-1 keeps its row, 0123456789ab goes, db-1 comes. */
    r = tok(&t, "set_container_allowlist",
            "{\"entries\":[{\"container_ref\":\"db-1\"},{\"container_ref\":\"web-1\","
            "\"is_active\":false}]}");
    web = jsonx_find(json_object_get(r, "entries"), "container_ref", "web-1");
    ck_assert_int_eq(id_of(web), web_id);
    ck_assert(json_is_false(json_object_get(web, "is_active")));
    ck_assert(json_is_null(json_object_get(web, "note")));
    ck_assert_ptr_null(jsonx_find(json_object_get(r, "entries"), "container_ref", "0123456789ab"));
    json_decref(r);
    /* Bad entries change nothing and name the entry and field. */
    tbad(&t, "set_container_allowlist",
         "{\"entries\":[{\"container_ref\":\"ok-1\"},{\"container_ref\":\"-bad\"}]}", ERR_INVALID,
         "entries[1].container_ref: Give a container id");
    tbad(&t, "set_container_allowlist", "{\"entries\":[{\"container_ref\":\"a\",\"note\":5}]}",
         ERR_INVALID, "entries[0].note");
    tbad(&t, "set_container_allowlist", "{\"entries\":[{\"container_ref\":\"a\",\"is_active\":1}]}",
         ERR_INVALID, "entries[0].is_active");
    tbad(&t, "set_container_allowlist",
         "{\"entries\":[{\"container_ref\":\"a\"},"
         "{\"container_ref\":\"a\"}]}",
         ERR_CONFLICT, "listed twice");
    tbad(&t, "set_container_allowlist", "{\"entries\":[7]}", ERR_INVALID, "entries[0]");
    tbad(&t, "set_container_allowlist", "{\"entries\":{}}", ERR_INVALID, "list");
    tbad(&t, "set_container_allowlist", "{}", ERR_INVALID, "entries is required");
    ck_assert_int_eq(ct_count(t.f.st), 2);
    /* Over the cap. */
    struct buf b;
    buf_init(&b, 1 << 20);
    buf_puts(&b, "{\"entries\":[");
    for (int i = 0; i <= STORE_CONTAINERS_MAX; i++)
        buf_printf(&b, "%s{\"container_ref\":\"c%d\"}", i ? "," : "", i);
    buf_puts(&b, "]}");
    tbad(&t, "set_container_allowlist", buf_str(&b), ERR_TOO_LARGE, "at most 1000");
    buf_fini(&b);
    ck_assert_int_eq(ct_count(t.f.st), 2);
    r = tok(&t, "set_container_allowlist", "{\"entries\":[]}");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "count")), 0);
    json_decref(r);
    ck_assert_int_eq(ct_count(t.f.st), 0);
    tfx_close(&t);
}
END_TEST

START_TEST(test_service_map_tools)
{
    struct tfx t;
    if (!tfx_open(&t, _i))
        return;
    tbad(&t, "service_map", "{}", ERR_NOT_FOUND, "no service map");
    tbad(&t, "impact_of", "{\"node\":\"db\"}", ERR_NOT_FOUND, "no service map");
    json_t *r = tok(&t, "launch_run", "{\"tasks\":[\"service_map\"]}");
    json_t *run = json_object_get(r, "run");
    json_t *items = json_loads(
        "[{\"container_id\":\"1\",\"name\":\"db\",\"state\":\"running\",\"is_allowlisted\":true,"
        "\"details\":{\"networks\":[{\"name\":\"back\",\"aliases\":[\"pg\"]}]}},"
        "{\"container_id\":\"2\",\"name\":\"api\",\"state\":\"running\",\"is_allowlisted\":true,"
        "\"details\":{\"networks\":[{\"name\":\"back\"}],\"env_hosts\":[{\"name\":\"DB_URL\","
        "\"hosts\":[\"pg\"]}],\"ports\":[{\"container_port\":\"80/"
        "tcp\",\"host_port\":\"8080\"}]}}]",
        0, NULL);
    json_t *g = svcmap_build(items, NULL, NULL);
    json_t *an = json_pack("{s:o,s:o,s:n}", "spof", svcmap_spof(g), "diff", svcmap_diff(NULL, g),
                           "previous_map_id");
    char *gt = jsonx_dumps(g), *at = jsonx_dumps(an);
    struct store_service_map m = {.run_id = id_of(run),
                                  .job_id = id_of(json_array_get(json_object_get(run, "jobs"), 0)),
                                  .graph = gt,
                                  .analysis = at};
    int64_t map_id = 0;
    OK(store_service_map_add(t.f.st, &m, &map_id, EB));
    json_t *out = tok(&t, "service_map", "{}");
    ck_assert_int_eq(id_of(out), map_id);
    ck_assert_uint_eq(json_array_size(json_object_get(out, "nodes")), 4);
    ck_assert_uint_eq(json_array_size(json_object_get(out, "edges")), 4);
    ck_assert_ptr_null(json_object_get(out, "mermaid"));
    json_decref(out);
    out = tok(&t, "service_map", "{\"include_mermaid\":true}");
    ck_assert_ptr_nonnull(strstr(jsonx_get_str(out, "mermaid"), "graph LR"));
    json_decref(out);
    out = tok(&t, "impact_of", "{\"node\":\"db\"}");
    ck_assert_int_eq(json_integer_value(json_object_get(out, "count")), 2); /* api, its port */
    ck_assert_int_eq(json_integer_value(json_object_get(out, "map_id")), map_id);
    json_decref(out);
    out = tok(&t, "impact_of", "{\"node\":\"network:back\"}");
    ck_assert_int_eq(json_integer_value(json_object_get(out, "count")), 3);
    json_decref(out);
    tbad(&t, "impact_of", "{\"node\":\"nope\"}", ERR_NOT_FOUND, "no node");
    tbad(&t, "impact_of", "{}", ERR_INVALID, "node is required");
    tbad(&t, "impact_of", "{\"node\":7}", ERR_INVALID, "node");
    tbad(&t, "service_map", "{\"x\":1}", ERR_INVALID, "unknown argument");
    char big[400];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    char *args = xasprintf("{\"node\":\"%s\"}", big);
    tbad(&t, "impact_of", args, ERR_INVALID, "node");
    xfree(args);
    xfree(gt);
    xfree(at);
    json_decref(an);
    json_decref(g);
    json_decref(items);
    json_decref(r);
    tfx_close(&t);
}
END_TEST

START_TEST(test_inventory_audit)
{
    struct tfx t;
    if (!tfx_open(&t, _i))
        return;
    tbad(&t, "get_inventory", "{}", ERR_NOT_FOUND, "no inventory snapshot");
    json_t *items =
        json_pack("[{s:s,s:s,s:s,s:s,s:b,s:n}]", "container_id", "abc123abc123", "name", "web-1",
                  "image", "nginx:1", "state", "running", "is_allowlisted", 1, "details");
    json_t *snap = NULL;
    OK(store_inventory_add(t.f.st, "manual", 0, items, &snap, EB));
    json_decref(snap);
    json_t *none = json_array();
    OK(store_inventory_add(t.f.st, "manual", 0, none, &snap, EB));
    json_decref(none);
    int64_t second = id_of(snap);
    json_decref(snap);
    json_decref(items);
    json_t *r = tok(&t, "get_inventory", "{}");
    ck_assert_int_eq(id_of(r), second);
    ck_assert_uint_eq(json_array_size(json_object_get(r, "items")), 0);
    json_decref(r);
    r = tok(&t, "get_inventory", "{\"snapshot_id\":1}");
    ck_assert_uint_eq(json_array_size(json_object_get(r, "items")), 1);
    json_decref(r);
    tbad(&t, "get_inventory", "{\"snapshot_id\":50}", ERR_NOT_FOUND, NULL);
    tbad(&t, "get_inventory", "{\"latest\":true}", ERR_INVALID, "snapshot_id");

    r = tok(&t, "recent_audit", "{}");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "count")), 0);
    json_decref(r);
    for (int i = 0; i < 3; i++)
        OK(store_audit_add(t.f.st, i ? "spawn" : "deny", "img:1", NULL, 0, 0, "why", EB));
    r = tok(&t, "recent_audit", "{\"limit\":2}");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "count")), 3);
    ck_assert_uint_eq(json_array_size(json_object_get(r, "entries")), 2);
    json_decref(r);
    r = tok(&t, "recent_audit", "{\"action\":\"deny\"}");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "count")), 1);
    json_decref(r);
    /* Every action the store writes is in the input schema (the LLM locality refusal too). */
    OK(store_audit_add(t.f.st, "llm_refused", NULL, NULL, 0, 0, "not local", EB));
    r = tok(&t, "recent_audit", "{\"action\":\"llm_refused\"}");
    ck_assert_int_eq(json_integer_value(json_object_get(r, "count")), 1);
    json_decref(r);
    tbad(&t, "recent_audit", "{\"action\":\"boom\"}", ERR_INVALID, "action");
    tbad(&t, "recent_audit", "{\"limit\":1000}", ERR_INVALID, "limit");
    tfx_close(&t);
}
END_TEST

/* Record a call through the store (as the LLM client does), then date it at. */
static void add_call(struct tfx *t,
                     int64_t run_id,
                     const char *task,
                     const char *model,
                     int64_t prompt,
                     int64_t completion,
                     int64_t total,
                     const char *at)
{
    struct store_llm_call c = {.run_id = run_id,
                               .task = task,
                               .model = model,
                               .prompt_tokens = prompt,
                               .completion_tokens = completion,
                               .total_tokens = total,
                               .duration_ms = -1,
                               .status = "success"};
    int64_t id = 0;
    OK(store_llm_call_add(t->f.st, &c, &id, EB));
    struct db *db = store_db_get(t->f.st);
    OK(db_exec(db, "UPDATE llm_calls SET created_at = $1 WHERE id = $2",
               (struct db_param[]){DB_S(at), DB_I(id)}, 2, NULL, EB));
    store_db_put(t->f.st, db);
}

/* The group of rows (an array) whose key is value (NULL: null); fails when absent. */
static json_t *group(const json_t *rows, const char *key, const char *value)
{
    size_t i;
    json_t *g;
    json_array_foreach(rows, i, g)
    {
        const char *v = jsonx_get_str(g, key);
        if ((!value && json_is_null(json_object_get(g, key))) || (value && v && !strcmp(v, value)))
            return g;
    }
    ck_abort_msg("no group %s=%s", key, value ? value : "null");
    return NULL;
}

static int64_t num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_integer(v), "%s is not an integer", key);
    return json_integer_value(v);
}

/* Return token_usage's by_period for period (a new reference). */
static json_t *periods_of(struct tfx *t, const char *period, size_t want_groups)
{
    char args[64];
    snprintf(args, sizeof(args), "{\"period\":\"%s\"}", period);
    json_t *r = tok(t, "token_usage", args);
    json_t *p = json_incref(json_object_get(r, "by_period"));
    ck_assert_uint_eq(json_array_size(p), want_groups);
    json_decref(r);
    return p;
}

START_TEST(test_token_usage)
{
    struct tfx t;
    if (!tfx_open(&t, _i))
        return;
    /* No LLM call yet: no groups, zero calls, sums null (nothing was reported). */
    json_t *r = tok(&t, "token_usage", "{}");
    ck_assert_str_eq(jsonx_get_str(r, "period"), "day");
    ck_assert_uint_eq(json_array_size(json_object_get(r, "by_model")), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(r, "by_period")), 0);
    ck_assert_int_eq(num(json_object_get(r, "totals"), "calls"), 0);
    ck_assert(json_is_null(json_object_get(json_object_get(r, "totals"), "total_tokens")));
    json_decref(r);
    r = tok(&t, "launch_run", "{\"tasks\":[\"log_triage\",\"gpu_report\"]}");
    int64_t run = id_of(json_object_get(r, "run"));
    json_decref(r);
    /* 2026-11-30 is a Monday; 2026-12-06 the Sunday of the same week. */
    add_call(&t, run, "log_triage", "qwen", 10, 5, 15, "2026-11-30T10:00:00.000Z");
    add_call(&t, run, "log_triage", "qwen", 20, 5, 25, "2026-12-06T23:59:00.000Z");
    add_call(&t, run, "gpu_report", "qwen", -1, -1, -1, "2026-12-07T00:00:00.000Z");
    add_call(&t, run, NULL, "llama", 100, 0, 100, "2026-12-07T01:00:00.000Z");
    r = tok(&t, "token_usage", "{\"period\":\"day\"}");
    json_t *g = group(json_object_get(r, "by_model"), "model", "qwen");
    ck_assert_int_eq(num(g, "calls"), 3);
    ck_assert_int_eq(num(g, "calls_with_counts"), 2);
    ck_assert_int_eq(num(g, "total_tokens"), 40);
    json_t *tasks = json_object_get(r, "by_task");
    g = group(tasks, "task", "gpu_report");
    ck_assert_int_eq(num(g, "calls"), 1);
    ck_assert(json_is_null(json_object_get(g, "total_tokens"))); /* not reported, not 0 */
    ck_assert_int_eq(num(group(tasks, "task", NULL), "prompt_tokens"), 100);
    json_t *tot = json_object_get(r, "totals");
    ck_assert_int_eq(num(tot, "calls"), 4);
    ck_assert_int_eq(num(tot, "calls_with_counts"), 3);
    ck_assert_int_eq(num(tot, "prompt_tokens"), 130);
    ck_assert_int_eq(num(tot, "completion_tokens"), 10);
    ck_assert_int_eq(num(tot, "total_tokens"), 140);
    ck_assert(json_is_false(json_object_get(r, "is_truncated")));
    json_decref(r);
    json_t *p = periods_of(&t, "day", 3);
    ck_assert_str_eq(jsonx_get_str(json_array_get(p, 0), "period"), "2026-11-30");
    g = group(p, "period", "2026-12-07");
    ck_assert_int_eq(num(g, "calls"), 2);
    ck_assert_int_eq(num(g, "total_tokens"), 100);
    json_decref(p);
    p = periods_of(&t, "week", 2);
    ck_assert_int_eq(num(group(p, "period", "2026-11-30"), "total_tokens"), 40);
    ck_assert_int_eq(num(group(p, "period", "2026-12-07"), "calls_with_counts"), 1);
    json_decref(p);
    p = periods_of(&t, "month", 2);
    ck_assert_int_eq(num(group(p, "period", "2026-11"), "total_tokens"), 15);
    ck_assert_int_eq(num(group(p, "period", "2026-12"), "total_tokens"), 125);
    json_decref(p);
    p = periods_of(&t, "all", 1);
    ck_assert_int_eq(num(group(p, "period", "all"), "calls"), 4);
    json_decref(p);
    tbad(&t, "token_usage", "{\"period\":\"year\"}", ERR_INVALID, "period");
    tbad(&t, "token_usage", "{\"by\":\"model\"}", ERR_INVALID, "unknown argument");
    tfx_close(&t);
}
END_TEST

START_TEST(test_resources)
{
    struct tfx t;
    if (!tfx_open(&t, _i))
        return;
    json_t *res = NULL, *contents = NULL;
    char *next = NULL;
    struct errbuf eb = {{0}};
    ck_assert_int_eq(mcp_resources_list(&t.env, NULL, &res, &next, &eb), ERR_OK);
    ck_assert_uint_eq(json_array_size(res), 0);
    ck_assert_ptr_null(next);
    json_decref(res);
    /* 22 ended runs and one still queued: 44 resources over two pages. */
    for (int i = 0; i < 23; i++) {
        json_t *r = tok(&t, "launch_run", "{\"tasks\":[\"gpu_report\"]}");
        if (i < 22)
            finish_run(&t, id_of(json_object_get(r, "run")), i % 2 ? "success" : "failed");
        json_decref(r);
    }
    size_t total = 0;
    int pages = 0;
    char *cursor = NULL;
    do {
        ck_assert_int_eq(mcp_resources_list(&t.env, cursor, &res, &next, &eb), ERR_OK);
        size_t i;
        json_t *it;
        json_array_foreach(res, i, it)
        {
            const char *uri = jsonx_get_str(it, "uri"), *mime = jsonx_get_str(it, "mimeType");
            ck_assert(jsonx_get_str(it, "name") && jsonx_get_str(it, "title"));
            ck_assert_ptr_ne(strstr(uri, "cyberbrain://runs/"), NULL);
            ck_assert_str_ne(uri, "cyberbrain://runs/23/report.md");
            ck_assert_str_eq(mime, strstr(uri, ".md") ? "text/markdown" : "application/json");
        }
        total += json_array_size(res);
        pages++;
        json_decref(res);
        xfree(cursor);
        cursor = next;
    } while (cursor && pages < 5);
    ck_assert_int_eq(pages, 2);
    ck_assert_uint_eq(total, 44);
    ck_assert_int_eq(mcp_resources_list(&t.env, "00", &res, &next, &eb), ERR_INVALID);
    ck_assert_int_eq(mcp_resources_list(&t.env, "72756e737c327c7c", &res, &next, &eb),
                     ERR_INVALID); /* a list_runs cursor */

    json_t *tpl = mcp_resource_templates_get();
    ck_assert_uint_eq(json_array_size(tpl), 2);
    ck_assert_str_eq(jsonx_get_str(json_array_get(tpl, 0), "uriTemplate"),
                     "cyberbrain://runs/{run_id}/report.md");
    ck_assert_str_eq(jsonx_get_str(json_array_get(tpl, 1), "mimeType"), "application/json");
    json_decref(tpl);

    ck_assert_int_eq(mcp_resource_read(&t.env, "cyberbrain://runs/2/report.md", &contents, &eb),
                     ERR_OK);
    json_t *c0 = json_array_get(contents, 0);
    ck_assert_str_eq(jsonx_get_str(c0, "text"), "# Run 2\n\nall success\n");
    ck_assert_str_eq(jsonx_get_str(c0, "mimeType"), "text/markdown");
    ck_assert_str_eq(jsonx_get_str(c0, "uri"), "cyberbrain://runs/2/report.md");
    json_decref(contents);
    ck_assert_int_eq(mcp_resource_read(&t.env, "cyberbrain://runs/1/report.json", &contents, &eb),
                     ERR_OK);
    json_t *j = json_loads(jsonx_get_str(json_array_get(contents, 0), "text"), 0, NULL);
    ck_assert_str_eq(jsonx_get_str(j, "status"), "failed");
    json_decref(j);
    json_decref(contents);
    static const char *const bad[] = {"cyberbrain://runs/23/report.md", /* no report yet */
                                      "cyberbrain://runs/99/report.md",
                                      "cyberbrain://runs/1/report.txt",
                                      "cyberbrain://runs/01/report.md",
                                      "cyberbrain://runs//report.md",
                                      "cyberbrain://runs/1/report.md?x",
                                      "cyberbrain://runs/99999999999999999999/report.md",
                                      "file:///etc/passwd",
                                      "",
                                      NULL};
    for (size_t i = 0; bad[i]; i++) {
        memset(&eb, 0, sizeof(eb));
        ck_assert_msg(mcp_resource_read(&t.env, bad[i], &contents, &eb) == ERR_NOT_FOUND, "%s",
                      bad[i]);
        ck_assert_ptr_null(contents);
        ck_assert(eb.msg[0]);
    }
    tfx_close(&t);
}
END_TEST

START_TEST(test_gpu_status)
{
    struct tfx t;
    if (!tfx_open(&t, _i))
        return;
    /* Before any gpu_report run: no sample, no peaks. */
    json_t *r = tok(&t, "gpu_status", "{}");
    ck_assert(json_is_null(json_object_get(r, "latest")));
    ck_assert_uint_eq(json_array_size(json_object_get(r, "peaks")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "hours")), 24);
    json_decref(r);
    /* A successful gpu_report job stores its sample with its end. */
    r = tok(&t, "launch_run", "{\"tasks\":[\"gpu_report\"]}");
    int64_t run_id = id_of(json_object_get(r, "run"));
    json_decref(r);
    char now[CLOCK_ISO_LEN];
    clock_now_iso(now);
    json_t *sample =
        json_pack("{s:s,s:[{s:i,s:s,s:i,s:i,s:n,s:i,s:n,s:f,s:f}],s:[{s:s,s:s,s:i,s:n,s:b,s:i}]}",
                  "sampled_at", now, "gpus", "index", 0, "uuid", "GPU-5e1f", "memory_total_mib",
                  81559, "memory_used_mib", 1000, "utilization_gpu_pct", "temperature_c", 40,
                  "temperature_margin_c", "power_draw_w", 70.5, "power_limit_w", 700.0,
                  "containers", "gpu_uuid", "GPU-5e1f", "container", "llm", "used_memory_mib", 900,
                  "utilization_gpu_pct", "utilization_estimated", 1, "processes", 1);
    struct store_job_outputs o = {.gpu_sample = sample, .window_hours = 1};
    struct store_claim c;
    bool got = false, done = false;
    OK(store_job_claim(t.f.st, "test", 60000, run_id, &c, &got, EB));
    ck_assert(got);
    OK(store_job_finish(t.f.st, c.job_id, "success", NULL, "{}", &o, &done, EB));
    store_claim_fini(&c);
    json_decref(sample);
    r = tok(&t, "gpu_status", "{\"hours\":1}");
    const json_t *latest = json_object_get(r, "latest");
    const json_t *g = json_array_get(json_object_get(latest, "gpus"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(latest, "run_id")), run_id);
    ck_assert_int_eq(json_integer_value(json_object_get(g, "memory_used_mib")), 1000);
    ck_assert(json_is_null(json_object_get(g, "utilization_gpu_pct"))); /* unknown, not 0 */
    const json_t *ct = json_array_get(json_object_get(latest, "containers"), 0);
    ck_assert_str_eq(jsonx_get_str(ct, "container"), "llm");
    const json_t *pk = json_array_get(json_object_get(r, "peaks"), 0);
    ck_assert_str_eq(jsonx_get_str(pk, "gpu_uuid"), "GPU-5e1f");
    ck_assert_int_eq(json_integer_value(json_object_get(pk, "peak_used_mib")), 1000);
    ck_assert_int_eq(json_integer_value(json_object_get(pk, "samples")), 1);
    json_decref(r);
    tbad(&t, "gpu_status", "{\"hours\":0}", ERR_INVALID, "hours");
    tbad(&t, "gpu_status", "{\"hours\":\"24\"}", ERR_INVALID, "hours");
    tbad(&t, "gpu_status", "{\"gpu\":0}", ERR_INVALID, "unknown argument");
    tfx_close(&t);
}
END_TEST

START_TEST(test_error_redacted)
{
    struct tfx t;
    if (!tfx_open(&t, _i))
        return;
    json_t *out = NULL;
    char *text = NULL;
    struct errbuf eb;
    ck_assert_int_eq(tcall(&t, "launch_run", "{\"tasks\":[\"bob@example.com\"]}", &out, &text, &eb),
                     ERR_INVALID);
    ck_assert_ptr_null(strstr(eb.msg, "bob@example.com"));
    ck_assert_ptr_nonnull(strstr(eb.msg, "Unknown task"));
    tfx_close(&t);
}
END_TEST

/* explain_run before the model is asked (test_api_llm.c streams it): no explainer wired, bad
 * arguments, no LLM configured, no such run, a run without a report. */
START_TEST(test_explain_run_checks)
{
    struct tfx t;
    if (!tfx_open(&t, _i))
        return;
    tbad(&t, "explain_run", "{\"run_id\":1}", ERR_UNAVAILABLE, "not available");
    t.env.explainer = explainer_new(&t.cfg, t.f.st);
    tbad(&t, "explain_run", "{}", ERR_INVALID, "run_id");
    tbad(&t, "explain_run", "{\"run_id\":0}", ERR_INVALID, "run_id");
    tbad(&t, "explain_run", "{\"run_id\":1,\"model\":\"x\"}", ERR_INVALID, "unknown argument");
    tbad(&t, "explain_run", "{\"run_id\":1}", ERR_CONFLICT, "LLM_BASE_URL");
    t.cfg.llm_base_url = "http://127.0.0.1:1";
    t.cfg.llm_model = "m";
    tbad(&t, "explain_run", "{\"run_id\":424242}", ERR_NOT_FOUND, NULL);
    json_t *r = tok(&t, "launch_run", "{\"tasks\":[\"task1\"]}");
    char args[64];
    snprintf(args, sizeof(args), "{\"run_id\":%lld}", (long long)id_of(json_object_get(r, "run")));
    tbad(&t, "explain_run", args, ERR_CONFLICT, "no report");
    json_decref(r);
    ck_assert_int_eq(t.n_progress, 0);
    explainer_free(t.env.explainer);
    tfx_close(&t);
}
END_TEST

int main(void)
{
    srand((unsigned)getpid());
    Suite *s = suite_create("mcp_tools");
    TCase *tc = tcase_create("tools");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_table);
    tcase_add_loop_test(tc, test_explain_run_checks, 0, 2);
    tcase_add_loop_test(tc, test_runs, 0, 2);
    tcase_add_loop_test(tc, test_list_runs_pages, 0, 2);
    tcase_add_loop_test(tc, test_launch_wait, 0, 2);
    tcase_add_loop_test(tc, test_launch_wait_bounds, 0, 2);
    tcase_add_loop_test(tc, test_directives_images, 0, 2);
    tcase_add_loop_test(tc, test_container_allowlist, 0, 2);
    tcase_add_loop_test(tc, test_inventory_audit, 0, 2);
    tcase_add_loop_test(tc, test_service_map_tools, 0, 2);
    tcase_add_loop_test(tc, test_token_usage, 0, 2);
    tcase_add_loop_test(tc, test_resources, 0, 2);
    tcase_add_loop_test(tc, test_gpu_status, 0, 2);
    tcase_add_loop_test(tc, test_error_redacted, 0, 2);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
