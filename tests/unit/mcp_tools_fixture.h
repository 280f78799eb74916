/* SPDX-License-Identifier: MIT */
/* mcp_tools_fixture.h -- the harness of the MCP tool tests: a store on backend i (see
 * store_fixture.h), an event bus, an mcp_env and an mcp_call that records progress, a
 * small JSON Schema checker (type, enum, required, properties, additionalProperties,
 * items, minimum, maximum) and helpers that call a tool by name and check its structured
 * result against the tool's output schema. */
#pragma once

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/events.h"
#include "core/xalloc.h"
#include "mcp/mcp_int.h"

#define STORE_FX_TAG "_mcpt"
#include "store_fixture.h"

#define PROGRESS_MAX 256

struct tfx {
    struct fx f;
    struct config cfg;
    struct events *ev;
    struct mcp_env env;
    struct mcp_call call;
    double progress[PROGRESS_MAX];
    double total[PROGRESS_MAX];
    char last_msg[160];
    int n_progress;
    int n_launch;
    bool is_cancelled;
};

static void on_progress(struct mcp_call *c, double progress, double total, const char *message)
{
    struct tfx *t = c->transport;
    if (t->n_progress < PROGRESS_MAX) {
        t->progress[t->n_progress] = progress;
        t->total[t->n_progress++] = total;
    }
    snprintf(t->last_msg, sizeof(t->last_msg), "%s", message ? message : "");
}

static bool on_is_cancelled(struct mcp_call *c)
{
    return ((struct tfx *)c->transport)->is_cancelled;
}

static void on_launch_cb(void *ctx)
{
    ((struct tfx *)ctx)->n_launch++;
}

/* Open the harness on backend i; false: skip (no PostgreSQL configured). */
static bool tfx_open(struct tfx *t, int i)
{
    memset(t, 0, sizeof(*t));
    if (!fx_open(&t->f, i))
        return false;
    t->cfg.job_timeout_ms = 60 * 1000;
    t->cfg.lookback_s = 3600;
    t->ev = events_new(256, 16);
    t->env = (struct mcp_env){
        .cfg = &t->cfg, .st = t->f.st, .ev = t->ev, .on_launch = on_launch_cb, .launch_ctx = t};
    t->call = (struct mcp_call){
        .env = &t->env, .progress = on_progress, .is_cancelled = on_is_cancelled, .transport = t};
    return true;
}

static void tfx_close(struct tfx *t)
{
    events_free(t->ev);
    fx_close(&t->f);
}

static const struct mcp_tool *tool_find(const char *name)
{
    size_t n = 0;
    const struct mcp_tool *tab = mcp_tools_get(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(tab[i].name, name) == 0)
            return &tab[i];
    ck_abort_msg("no tool %s", name);
    return NULL;
}

static bool type_is(const char *type, const json_t *v)
{
    if (strcmp(type, "object") == 0)
        return json_is_object(v);
    if (strcmp(type, "array") == 0)
        return json_is_array(v);
    if (strcmp(type, "string") == 0)
        return json_is_string(v);
    if (strcmp(type, "integer") == 0)
        return json_is_integer(v);
    if (strcmp(type, "number") == 0)
        return json_is_number(v);
    if (strcmp(type, "boolean") == 0)
        return json_is_boolean(v);
    if (strcmp(type, "null") == 0)
        return json_is_null(v);
    ck_abort_msg("schema type %s not known to the checker", type);
    return false;
}

static bool type_ok(const json_t *type, const json_t *v)
{
    size_t i;
    const json_t *t;
    if (json_is_string(type))
        return type_is(json_string_value(type), v);
    json_array_foreach(type, i, t) if (type_is(json_string_value(t), v)) return true;
    return false;
}

/* Check v against schema; fail the test naming path when it does not match. */
static void schema_check(const json_t *schema, const json_t *v, const char *path)
{
    const json_t *type = json_object_get(schema, "type"), *en = json_object_get(schema, "enum");
    const json_t *props = json_object_get(schema, "properties"), *x, *sub;
    const char *key;
    size_t i;
    char p[256];
    ck_assert_msg(!type || type_ok(type, v), "%s: not of type %s", path,
                  json_dumps(type, JSON_ENCODE_ANY));
    if (en) {
        bool found = false;
        json_array_foreach(en, i, x) found = found || json_equal(x, v);
        ck_assert_msg(found, "%s: not in enum", path);
    }
    if (json_is_number(v) && json_object_get(schema, "minimum"))
        ck_assert_msg(json_number_value(v) >= json_number_value(json_object_get(schema, "minimum")),
                      "%s: below minimum", path);
    if (json_is_object(v)) {
        json_array_foreach(json_object_get(schema, "required"), i, x)
            ck_assert_msg(json_object_get(v, json_string_value(x)), "%s: no required key %s", path,
                          json_string_value(x));
        json_t *copy = json_deep_copy(v);
        json_object_foreach(copy, key, sub)
        {
            const json_t *ps = json_object_get(props, key);
            snprintf(p, sizeof(p), "%s.%s", path, key);
            ck_assert_msg(ps || !json_is_false(json_object_get(schema, "additionalProperties")),
                          "%s: not allowed", p);
            if (ps)
                schema_check(ps, sub, p);
        }
        json_decref(copy);
    }
    if (json_is_array(v) && json_object_get(schema, "items"))
        json_array_foreach(v, i, sub)
        {
            snprintf(p, sizeof(p), "%s[%zu]", path, i);
            schema_check(json_object_get(schema, "items"), sub, p);
        }
}

/* Call tool name with args (JSON text); on success check *out against its output schema
 * and its arguments against the input schema. Returns the error; eb gets the text. */
static enum err tcall(
    struct tfx *t, const char *name, const char *args, json_t **out, char **text, struct errbuf *eb)
{
    const struct mcp_tool *tool = tool_find(name);
    json_t *a = json_loads(args, 0, NULL);
    ck_assert_msg(a, "bad test args %s", args);
    *out = NULL;
    *text = NULL;
    memset(eb, 0, sizeof(*eb));
    enum err e = tool->call(&t->call, a, out, text, eb);
    if (e == ERR_OK) {
        json_t *os = json_loads(tool->output_schema, 0, NULL),
               *is = json_loads(tool->input_schema, 0, NULL);
        ck_assert_ptr_nonnull(*out);
        schema_check(os, *out, name);
        schema_check(is, a, "arguments");
        json_decref(os);
        json_decref(is);
    } else {
        ck_assert_ptr_null(*out);
        ck_assert_msg(eb->msg[0], "%s failed (%s) without a text", name, err_name(e));
    }
    json_decref(a);
    return e;
}

/* Call and require success; returns the structured result (caller decrefs). */
static json_t *tok(struct tfx *t, const char *name, const char *args)
{
    json_t *out = NULL;
    char *text = NULL;
    struct errbuf eb;
    enum err e = tcall(t, name, args, &out, &text, &eb);
    ck_assert_msg(e == ERR_OK, "%s %s: %s", name, args, errbuf_get(&eb, e));
    xfree(text);
    return out;
}

/* Call and require error want; returns nothing, checks that eb's text holds needle. */
static void
tbad(struct tfx *t, const char *name, const char *args, enum err want, const char *needle)
{
    json_t *out = NULL;
    char *text = NULL;
    struct errbuf eb;
    enum err e = tcall(t, name, args, &out, &text, &eb);
    ck_assert_msg(e == want, "%s %s: got %s (%s), want %s", name, args, err_name(e), eb.msg,
                  err_name(want));
    ck_assert_msg(!needle || strstr(eb.msg, needle), "%s: '%s' lacks '%s'", name, eb.msg, needle);
    ck_assert_ptr_null(text);
}

static int64_t id_of(const json_t *o)
{
    return json_integer_value(json_object_get(o, "id"));
}

/* Claim every queued job of run_id and finish it with status; end the run with a report. */
static void finish_run(struct tfx *t, int64_t run_id, const char *status)
{
    for (;;) {
        struct store_claim c;
        bool got = false, done = false;
        OK(store_job_claim(t->f.st, "test", 60000, run_id, &c, &got, EB));
        if (!got)
            break;
        OK(store_job_finish(t->f.st, c.job_id, status, NULL, "{\"lines\":1}", NULL, &done, EB));
        if (done) {
            char *md = xasprintf("# Run %lld\n\nall %s\n", (long long)run_id, status);
            char *js = xasprintf("{\"run_id\":%lld,\"status\":\"%s\"}", (long long)run_id, status);
            OK(store_run_end(t->f.st, run_id, md, js, EB));
            xfree(md);
            xfree(js);
        }
        store_claim_fini(&c);
    }
}
