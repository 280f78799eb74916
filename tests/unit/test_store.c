/* SPDX-License-Identifier: MIT */
/* test_store.c -- runs, jobs and directives in the store on real databases (tokens, settings,
 * cursors and artifacts: test_store_keep.c): every test runs on SQLite (a fresh file
 * under /tmp) and on PostgreSQL (a fresh schema) when CB_TEST_PG holds a libpq conninfo.
 * With CI=true a missing CB_TEST_PG fails the PostgreSQL half instead of skipping it. */
#include <check.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "store/store.h"
#include "store/store_int.h"
#include "store_fixture.h"

static const char *const TASKS3[] = {"log_triage", "gpu_report", "service_map"};

static int64_t directive_id_of(struct fx *f, const char *key)
{
    json_t *list = NULL;
    int64_t count = 0, id = 0;
    size_t i;
    json_t *d;
    OK(store_directive_list(f->st, 0, 100, &list, &count, EB));
    json_array_foreach(list, i, d) if (strcmp(fx_str(d, "key", NULL), key) == 0) id =
        fx_int(d, "id");
    json_decref(list);
    return id;
}

static void claim_finish(struct fx *f, const char *status, bool *run_done, int64_t *job_id)
{
    struct store_claim c;
    bool got = false;
    OK(store_job_claim(f->st, "test", 60000, 0, &c, &got, EB));
    ck_assert(got);
    if (job_id)
        *job_id = c.job_id;
    OK(store_job_finish(f->st, c.job_id, status, strcmp(status, "failed") == 0 ? "boom" : NULL,
                        "{\"lines\":3}", NULL, run_done, EB));
    if (*run_done)
        OK(store_run_end(f->st, c.run_id, NULL, NULL, EB));
    store_claim_fini(&c);
}

static json_t *run_get(struct fx *f, int64_t id)
{
    json_t *run = NULL;
    OK(store_run_get(f->st, id, &run, EB));
    return run;
}

START_TEST(test_migrate_and_seed)
{
    struct fx f;
    if (!fx_open_n(&f, _i, 2, false))
        return;
    int applied = -1, dbv = -1, latest = -1;
    OK(store_migrate_status(f.st, &dbv, &latest, EB));
    ck_assert_int_eq(dbv, 0);
    ck_assert_int_ge(latest, 2);
    OK(store_migrate(f.st, &applied, EB));
    ck_assert_int_eq(applied, latest);
    OK(store_migrate(f.st, &applied, EB));
    ck_assert_int_eq(applied, 0);
    OK(store_migrate_status(f.st, &dbv, &latest, EB));
    ck_assert_int_eq(dbv, latest);
    OK(store_ping(f.st, EB));
    ck_assert_int_eq(store_kind_get(f.st), _i ? STORE_PG : STORE_SQLITE);

    json_t *list = NULL;
    int64_t count = 0;
    OK(store_directive_list(f.st, 0, 50, &list, &count, EB));
    ck_assert_int_eq(count, 4);
    ck_assert_int_eq(json_array_size(list), 4);
    const char *keys[] = {"D1", "D2", "D3", "D4"};
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq(fx_str(json_array_get(list, i), "key", NULL), keys[i]);
    json_t *d1 = json_array_get(list, 0);
    ck_assert_str_eq(fx_str(d1, "name", NULL), "Log triage defaults");
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(d1, "config"), "lookback_hours")), 24);
    ck_assert(json_is_true(json_object_get(d1, "is_active")));
    ck_assert_int_eq(fx_int(d1, "version"), 1);
    ck_assert_str_eq(fx_str(json_array_get(list, 3), "name", NULL), "Custom");
    json_decref(list);
    OK(store_directive_list(f.st, 1, 2, &list, &count, EB));
    ck_assert_int_eq(count, 4);
    ck_assert_int_eq(json_array_size(list), 2);
    ck_assert_str_eq(fx_str(json_array_get(list, 0), "key", NULL), "D2");
    json_decref(list);
    fx_close(&f);
}
END_TEST

struct mig_arg {
    struct store *st;
    int applied;
    enum err e;
};

static void *mig_thread(void *p)
{
    struct mig_arg *a = p;
    a->e = store_migrate(a->st, &a->applied, NULL);
    return NULL;
}

START_TEST(test_migrate_concurrent)
{
    struct fx f;
    if (!fx_open_n(&f, _i, 4, false))
        return;
    struct mig_arg a[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        a[i] = (struct mig_arg){f.st, 0, ERR_OK};
        pthread_create(&th[i], NULL, mig_thread, &a[i]);
    }
    int total = 0, dbv = 0, latest = 0;
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(a[i].e, ERR_OK);
        total += a[i].applied;
    }
    OK(store_migrate_status(f.st, &dbv, &latest, EB));
    ck_assert_int_eq(total, latest);
    ck_assert_int_eq(dbv, latest);
    fx_close(&f);
}
END_TEST

START_TEST(test_directive_versions)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    json_t *d = NULL, *d2 = NULL, *old = NULL, *list = NULL;
    json_t *fields =
        json_pack("{s:s, s:s, s:{s:i}}", "name", "My Rules!", "text", "be brief", "config", "a", 1);
    OK(store_directive_create(f.st, fields, &d, EB));
    ck_assert_str_eq(fx_str(d, "key", NULL), "my-rules");
    ck_assert_int_eq(fx_int(d, "version"), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(d, "config"), "a")), 1);
    struct errbuf eb = {{0}};
    json_t *dup = NULL;
    ck_assert_int_eq(store_directive_create(f.st, fields, &dup, &eb), ERR_CONFLICT);
    ck_assert_ptr_null(dup);
    json_t *noname = json_pack("{s:s}", "text", "x");
    ck_assert_int_eq(store_directive_create(f.st, noname, &dup, &eb), ERR_INVALID);
    json_decref(noname);

    int64_t id1 = fx_int(d, "id");
    json_t *edit = json_pack("{s:s}", "text", "be very brief");
    OK(store_directive_update(f.st, id1, edit, &d2, EB));
    int64_t id2 = fx_int(d2, "id");
    ck_assert_int_ne(id1, id2);
    ck_assert_int_eq(fx_int(d2, "version"), 2);
    ck_assert_str_eq(fx_str(d2, "text", NULL), "be very brief");
    ck_assert_str_eq(fx_str(d2, "name", NULL), "My Rules!");
    ck_assert_str_eq(fx_str(d2, "key", NULL), "my-rules");
    OK(store_directive_get(f.st, id1, &old, EB));
    ck_assert_int_eq(fx_int(old, "version"), 1);
    ck_assert_str_eq(fx_str(old, "text", NULL), "be brief");

    int64_t count = 0;
    OK(store_directive_list(f.st, 0, 50, &list, &count, EB));
    ck_assert_int_eq(count, 5); /* D1..D4 + the latest version of my-rules */
    json_decref(list);

    json_t *run = fx_launch(&f, TASKS3, 1, id2, NULL);
    OK(store_directive_delete(f.st, id2, EB));
    json_t *gone = NULL;
    ck_assert_int_eq(store_directive_get(f.st, id1, &gone, &eb), ERR_NOT_FOUND);
    ck_assert_int_eq(store_directive_get(f.st, id2, &gone, &eb), ERR_NOT_FOUND);
    ck_assert_int_eq(store_directive_update(f.st, id2, edit, &gone, &eb), ERR_NOT_FOUND);
    ck_assert_int_eq(store_directive_delete(f.st, id2, &eb), ERR_NOT_FOUND);
    OK(store_directive_list(f.st, 0, 50, &list, &count, EB));
    ck_assert_int_eq(count, 4);
    json_decref(list);
    json_t *again = run_get(&f, fx_int(run, "id"));
    ck_assert_str_eq(fx_str(again, "directive_snapshot", "text"), "be very brief");
    ck_assert_str_eq(fx_str(again, "directive_snapshot", "name"), "My Rules!");
    json_decref(again);
    json_decref(run);
    json_decref(edit);
    json_decref(fields);
    json_decref(d);
    json_decref(d2);
    json_decref(old);
    fx_close(&f);
}
END_TEST

START_TEST(test_launch)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    int64_t d2 = directive_id_of(&f, "D2");
    ck_assert_int_gt(d2, 0);
    json_t *run = fx_launch(&f, TASKS3 + 1, 1, d2, NULL);
    ck_assert_str_eq(fx_str(run, "status", NULL), "queued");
    ck_assert_int_eq(json_array_size(json_object_get(run, "tasks")), 1);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(run, "tasks"), 0)),
                     "gpu_report");
    ck_assert_int_eq(fx_int(run, "directive_id"), d2);
    json_t *snap = json_object_get(run, "directive_snapshot");
    ck_assert_str_eq(fx_str(snap, "name", NULL), "GPU thresholds");
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(snap, "config"), "temp_c_warn")), 80);
    json_t *jobs = json_object_get(run, "jobs");
    ck_assert_int_eq(json_array_size(jobs), 1);
    ck_assert_str_eq(fx_str(json_array_get(jobs, 0), "status", NULL), "queued");
    ck_assert_ptr_nonnull(fx_str(json_array_get(jobs, 0), "window_end", NULL));
    ck_assert(json_is_null(json_object_get(json_array_get(jobs, 0), "summary")));
    ck_assert_int_eq(fx_int(json_object_get(run, "token_totals"), "total_tokens"), 0);
    ck_assert(json_is_null(json_object_get(run, "started_at")));
    json_decref(run);

    run = fx_launch(&f, TASKS3, 3, 0, "only look at nginx");
    ck_assert(json_is_null(json_object_get(run, "directive_id")));
    ck_assert_str_eq(fx_str(run, "directive_snapshot", "key"), "custom");
    ck_assert_str_eq(fx_str(run, "directive_snapshot", "text"), "only look at nginx");
    /* Every run also snapshots each task's default directive (D1..D3) as it is now. */
    json_t *defs = json_object_get(json_object_get(run, "directive_snapshot"), "defaults");
    ck_assert_str_eq(fx_str(defs, "log_triage", "key"), "D1");
    ck_assert_str_eq(fx_str(defs, "gpu_report", "key"), "D2");
    ck_assert_str_eq(fx_str(defs, "service_map", "key"), "D3");
    ck_assert_int_eq(
        json_integer_value(json_object_get(
            json_object_get(json_object_get(defs, "gpu_report"), "config"), "temp_c_warn")),
        80);
    ck_assert_int_eq(json_array_size(json_object_get(run, "jobs")), 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_str_eq(fx_str(json_array_get(json_object_get(run, "jobs"), i), "task", NULL),
                         TASKS3[i]);
    json_decref(run);

    struct errbuf eb = {{0}};
    struct store_launch bad = {TASKS3, 1, 4242, NULL, 1000};
    ck_assert_int_eq(store_run_launch(f.st, &bad, &run, &eb), ERR_NOT_FOUND);
    ck_assert_str_eq(errbuf_get(&eb, ERR_NOT_FOUND), "directive 4242 not found");
    ck_assert_ptr_null(run);
    char *big = xmalloc(64 * 1024 + 2);
    memset(big, 'x', 64 * 1024 + 1);
    big[64 * 1024 + 1] = '\0';
    struct store_launch large = {TASKS3, 1, 0, big, 1000};
    ck_assert_int_eq(store_run_launch(f.st, &large, &run, &eb), ERR_TOO_LARGE);
    xfree(big);
    const char *twice[] = {"log_triage", "log_triage"};
    struct store_launch dup = {twice, 2, 0, NULL, 1000};
    ck_assert_int_eq(store_run_launch(f.st, &dup, &run, &eb), ERR_INVALID);
    struct store_launch none = {TASKS3, 0, 0, NULL, 1000};
    ck_assert_int_eq(store_run_launch(f.st, &none, &run, &eb), ERR_INVALID);

    /* Nothing of the refused launches was written. */
    json_t *list = NULL;
    int64_t count = 0;
    struct store_run_filter all = {NULL, NULL, 0, 50, 0};
    OK(store_run_list(f.st, &all, &list, &count, EB));
    ck_assert_int_eq(count, 2);
    json_decref(list);
    OK(store_job_list(f.st, 0, 0, 50, &list, &count, EB));
    ck_assert_int_eq(count, 4);
    json_decref(list);
    ck_assert_int_eq(store_run_get(f.st, 999, &run, &eb), ERR_NOT_FOUND);
    fx_close(&f);
}
END_TEST

START_TEST(test_list_filters)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    int64_t ids[5];
    for (int i = 0; i < 5; i++) {
        json_t *run = fx_launch(&f, TASKS3 + (i < 3 ? 0 : 1), 1, 0, NULL);
        ids[i] = fx_int(run, "id");
        json_decref(run);
    }
    json_t *list = NULL;
    int64_t count = 0;
    struct store_run_filter flt = {NULL, "log_triage", 0, 2, 0};
    OK(store_run_list(f.st, &flt, &list, &count, EB));
    ck_assert_int_eq(count, 3);
    ck_assert_int_eq(json_array_size(list), 2);
    ck_assert_int_eq(fx_int(json_array_get(list, 0), "id"), ids[2]);
    ck_assert_int_eq(fx_int(json_array_get(list, 1), "id"), ids[1]);
    ck_assert_ptr_null(json_object_get(json_array_get(list, 0), "jobs"));
    ck_assert_ptr_nonnull(json_object_get(json_array_get(list, 0), "token_totals"));
    json_decref(list);
    flt.offset = 2;
    OK(store_run_list(f.st, &flt, &list, &count, EB));
    ck_assert_int_eq(count, 3);
    ck_assert_int_eq(json_array_size(list), 1);
    ck_assert_int_eq(fx_int(json_array_get(list, 0), "id"), ids[0]);
    json_decref(list);
    struct store_run_filter st_q = {"queued", "gpu_report", 0, 10, 0};
    OK(store_run_list(f.st, &st_q, &list, &count, EB));
    ck_assert_int_eq(count, 2);
    json_decref(list);
    struct store_run_filter st_s = {"success", NULL, 0, 10, 0};
    OK(store_run_list(f.st, &st_s, &list, &count, EB));
    ck_assert_int_eq(count, 0);
    ck_assert_int_eq(json_array_size(list), 0);
    json_decref(list);
    OK(store_job_list(f.st, ids[4], 0, 10, &list, &count, EB));
    ck_assert_int_eq(count, 1);
    ck_assert_int_eq(fx_int(json_array_get(list, 0), "run_id"), ids[4]);
    json_t *job = NULL;
    OK(store_job_get(f.st, fx_int(json_array_get(list, 0), "id"), &job, EB));
    ck_assert_str_eq(fx_str(job, "task", NULL), "gpu_report");
    json_decref(job);
    json_decref(list);
    OK(store_job_list(f.st, 0, 3, 10, &list, &count, EB));
    ck_assert_int_eq(count, 5);
    ck_assert_int_eq(json_array_size(list), 2);
    json_decref(list);
    fx_close(&f);
}
END_TEST

/* Return the fast path's text of f and check its count against store_run_list's. */
static char *list_text(struct fx *f, const struct store_run_filter *flt, int64_t want_count)
{
    struct buf out;
    int64_t count = -1;
    buf_init(&out, 1 << 20);
    OK(store_run_list_text(f->st, flt, &out, &count, EB));
    ck_assert_int_eq(count, want_count);
    return buf_take(&out);
}

/* The text fast path gives store_run_list's objects, byte for byte as jansson dumps them. */
static void check_list_text(struct fx *f, const struct store_run_filter *flt)
{
    json_t *list = NULL;
    int64_t count = 0;
    OK(store_run_list(f->st, flt, &list, &count, EB));
    char *want = jsonx_dumps(list);
    char *got = list_text(f, flt, count);
    json_t *parsed = json_loads(got, 0, NULL);
    ck_assert_msg(parsed != NULL, "fast path text is not JSON: %s", got);
    ck_assert(json_equal(parsed, list));
    ck_assert_str_eq(got, want);
    json_decref(parsed);
    json_decref(list);
    xfree(want);
    xfree(got);
}

START_TEST(test_list_text)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    /* Quotes, backslash, control bytes, DEL, multi-byte UTF-8 and a slash. */
    const char *tricky = "say \"hi\" \\ tab\there\nnew \x01\x1f\x7f caf\xc3\xa9 \xe2\x9c\x93 "
                         "\xf0\x9f\x98\x80 </script>";
    json_t *run = fx_launch(&f, TASKS3, 3, 0, tricky);
    int64_t first = fx_int(run, "id");
    json_decref(run);
    json_decref(fx_launch(&f, TASKS3 + 1, 1, directive_id_of(&f, "D2"), NULL));
    json_decref(fx_launch(&f, TASKS3 + 2, 1, 0, NULL));
    bool run_done = false;
    claim_finish(&f, "failed", &run_done, NULL);
    struct db *db = store_db_get(f.st);
    for (int i = 0; i < 2; i++)
        OK(db_exec(db,
                   "INSERT INTO llm_calls (run_id, model, prompt_tokens, completion_tokens, "
                   "total_tokens, status, created_at) VALUES ($1, 'm', 7, 5, $2, 'success', "
                   "'2026-01-01T00:00:00.000Z')",
                   (struct db_param[]){DB_I(first), i ? DB_I(20) : DB_N}, 2, NULL, EB));
    store_db_put(f.st, db);
    /* The triggers keep the run's totals equal to the llm_calls sums (total = given or
     * prompt + completion). */
    json_t *got = run_get(&f, first);
    json_t *tt = json_object_get(got, "token_totals");
    ck_assert_int_eq(fx_int(tt, "prompt_tokens"), 14);
    ck_assert_int_eq(fx_int(tt, "completion_tokens"), 10);
    ck_assert_int_eq(fx_int(tt, "total_tokens"), 32);
    json_decref(got);
    struct store_run_filter all = {NULL, NULL, 0, 50, 0};
    check_list_text(&f, &all);
    struct store_run_filter page = {NULL, NULL, 1, 1, 0};
    check_list_text(&f, &page);
    struct store_run_filter by_task = {NULL, "gpu_report", 0, 50, 0};
    check_list_text(&f, &by_task);
    /* max_id: the list as it was when run `first` was the newest. */
    struct store_run_filter upto = {NULL, NULL, 0, 50, first};
    check_list_text(&f, &upto);
    json_t *upto_list = NULL;
    int64_t upto_count = 0;
    OK(store_run_list(f.st, &upto, &upto_list, &upto_count, EB));
    ck_assert_int_eq(upto_count, 1);
    ck_assert_int_eq(fx_int(json_array_get(upto_list, 0), "id"), first);
    json_decref(upto_list);
    struct store_run_filter none = {"cancelled", NULL, 0, 50, 0};
    char *text = list_text(&f, &none, 0);
    ck_assert_str_eq(text, "[]");
    xfree(text);
    db = store_db_get(f.st);
    OK(db_exec(db, "DELETE FROM llm_calls WHERE total_tokens IS NULL", NULL, 0, NULL, EB));
    store_db_put(f.st, db);
    got = run_get(&f, first);
    tt = json_object_get(got, "token_totals");
    ck_assert_int_eq(fx_int(tt, "prompt_tokens"), 7);
    ck_assert_int_eq(fx_int(tt, "total_tokens"), 20);
    json_decref(got);
    fx_close(&f);
}
END_TEST

START_TEST(test_json_text_cells)
{
    /* Every byte below 0x80 escapes as jansson escapes it. */
    char all[128];
    for (int i = 0; i < 128; i++)
        all[i] = (char)i;
    json_t *j = json_stringn(all, sizeof(all));
    char *want = jsonx_dumps(j);
    struct buf out;
    buf_init(&out, 4096);
    ck_assert_int_eq(db_json_str_append(all, sizeof(all), &out), ERR_OK);
    ck_assert_str_eq(buf_str(&out), want);
    xfree(want);
    json_decref(j);
    /* Text that is not UTF-8 (bad lead byte, overlong, surrogate, truncated) becomes null. */
    static const char *const bad[] = {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x9c"};
    for (size_t i = 0; i < 4; i++) {
        buf_reset(&out);
        ck_assert_int_eq(db_json_str_append(bad[i], strlen(bad[i]), &out), ERR_OK);
        ck_assert_str_eq(buf_str(&out), "null");
    }
    struct db_cell cells[] = {
        {.type = DB_C_INT, .i = INT64_MIN},
        {.type = DB_C_BOOL, .i = 1},
        {.type = DB_C_NULL},
        {.type = DB_C_TEXT, .s = "", .len = 0},
        {.type = DB_C_TEXT, .s = "[1]", .len = 3},
    };
    buf_reset(&out);
    for (size_t i = 0; i < 5; i++) {
        ck_assert_int_eq(db_cell_json_append(&cells[i], i >= 3, &out), ERR_OK);
        buf_append(&out, " ", 1);
    }
    ck_assert_str_eq(buf_str(&out), "-9223372036854775808 true null null [1] ");
    buf_fini(&out);
}
END_TEST

START_TEST(test_lifecycle)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    json_t *run = fx_launch(&f, TASKS3, 3, 0, NULL);
    int64_t id = fx_int(run, "id");
    json_decref(run);
    struct store_claim c[3];
    bool got = false, done = false;
    for (int i = 0; i < 3; i++) {
        OK(store_job_claim(f.st, "inst-1", 60000, 0, &c[i], &got, EB));
        ck_assert(got);
        ck_assert_int_eq(c[i].run_id, id);
        ck_assert_str_eq(c[i].task, TASKS3[i]);
        ck_assert_ptr_nonnull(c[i].window_end);
        ck_assert_ptr_nonnull(c[i].directive_snapshot);
    }
    struct store_claim none;
    OK(store_job_claim(f.st, "inst-1", 60000, 0, &none, &got, EB));
    ck_assert(!got);
    run = run_get(&f, id);
    ck_assert_str_eq(fx_str(run, "status", NULL), "running");
    ck_assert_ptr_nonnull(fx_str(run, "started_at", NULL));
    json_t *j0 = json_array_get(json_object_get(run, "jobs"), 0);
    ck_assert_str_eq(fx_str(j0, "status", NULL), "running");
    ck_assert_int_eq(fx_int(j0, "attempts"), 1);
    ck_assert_ptr_nonnull(fx_str(j0, "deadline_at", NULL));
    json_decref(run);

    OK(store_job_finish(f.st, c[0].job_id, "success", NULL, "{\"templates\":2}", NULL, &done, EB));
    ck_assert(!done);
    OK(store_job_finish(f.st, c[1].job_id, "failed", "nvidia-smi missing", NULL, NULL, &done, EB));
    ck_assert(!done);
    OK(store_job_finish(f.st, c[2].job_id, "success", NULL, NULL, NULL, &done, EB));
    ck_assert(done);
    /* The last job ended: the run waits for its report, then ends with it in one step. */
    run = run_get(&f, id);
    ck_assert_str_eq(fx_str(run, "status", NULL), "running");
    json_decref(run);
    char outcome[16];
    OK(store_run_outcome(f.st, id, outcome, sizeof(outcome), EB));
    ck_assert_str_eq(outcome, "partial");
    OK(store_run_end(f.st, id, "# Run", "{\"status\":\"partial\"}", EB));
    json_t *ended = NULL;
    OK(store_run_report_get(f.st, id, &ended, EB));
    ck_assert_str_eq(fx_str(ended, "markdown", NULL), "# Run");
    ck_assert_str_eq(fx_str(ended, "status", NULL), "partial");
    json_decref(ended);
    struct errbuf eb = {{0}};
    ck_assert_int_eq(store_job_finish(f.st, c[2].job_id, "failed", NULL, NULL, NULL, &done, &eb),
                     ERR_CONFLICT);
    ck_assert_int_eq(store_job_finish(f.st, c[2].job_id, "done", NULL, NULL, NULL, &done, &eb),
                     ERR_INVALID);
    ck_assert_int_eq(store_job_finish(f.st, 9999, "success", NULL, NULL, NULL, &done, &eb),
                     ERR_NOT_FOUND);
    for (int i = 0; i < 3; i++)
        store_claim_fini(&c[i]);
    run = run_get(&f, id);
    ck_assert_str_eq(fx_str(run, "status", NULL), "partial");
    ck_assert_ptr_nonnull(fx_str(run, "finished_at", NULL));
    ck_assert_ptr_nonnull(fx_str(run, "error", NULL));
    j0 = json_array_get(json_object_get(run, "jobs"), 0);
    ck_assert_int_eq(fx_int(json_object_get(j0, "summary"), "templates"), 2);
    ck_assert_str_eq(fx_str(json_array_get(json_object_get(run, "jobs"), 1), "error", NULL),
                     "nvidia-smi missing");
    json_decref(run);

    run = fx_launch(&f, TASKS3, 1, 0, NULL);
    id = fx_int(run, "id");
    json_decref(run);
    claim_finish(&f, "success", &done, NULL);
    ck_assert(done);
    run = run_get(&f, id);
    ck_assert_str_eq(fx_str(run, "status", NULL), "success");
    ck_assert(json_is_null(json_object_get(run, "error")));
    json_decref(run);

    run = fx_launch(&f, TASKS3, 2, 0, NULL);
    id = fx_int(run, "id");
    json_decref(run);
    claim_finish(&f, "failed", &done, NULL);
    ck_assert(!done);
    claim_finish(&f, "failed", &done, NULL);
    ck_assert(done);
    run = run_get(&f, id);
    ck_assert_str_eq(fx_str(run, "status", NULL), "failed");
    json_decref(run);

    OK(store_run_set_report(f.st, id, "# Report", "{\"ok\":false}", EB));
    json_t *rep = NULL;
    OK(store_run_report_get(f.st, id, &rep, EB));
    ck_assert_str_eq(fx_str(rep, "markdown", NULL), "# Report");
    ck_assert(json_is_false(json_object_get(json_object_get(rep, "json"), "ok")));
    ck_assert_str_eq(fx_str(rep, "status", NULL), "failed");
    ck_assert_int_eq(fx_int(json_object_get(rep, "token_totals"), "prompt_tokens"), 0);
    json_decref(rep);
    ck_assert_int_eq(store_run_report_get(f.st, 999, &rep, &eb), ERR_NOT_FOUND);
    ck_assert_int_eq(store_run_set_report(f.st, 999, "x", NULL, &eb), ERR_NOT_FOUND);
    fx_close(&f);
}
END_TEST

/* A task's config: its default directive's, with the run's own over it unless that is
 * another task's default. */
START_TEST(test_snapshot_task_config)
{
    json_t *snap = json_loads("{\"key\":\"D4\",\"config\":{\"lookback_hours\":2},"
                              "\"defaults\":{\"log_triage\":{\"config\":{\"lookback_hours\":24,"
                              "\"burst_bucket_seconds\":60}}}}",
                              0, NULL);
    json_t *c = store_snapshot_task_config(snap, "log_triage");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "lookback_hours")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "burst_bucket_seconds")), 60);
    json_decref(c);
    c = store_snapshot_task_config(snap, "gpu_report"); /* no default of its own in snap */
    ck_assert_int_eq(json_integer_value(json_object_get(c, "lookback_hours")), 2);
    json_decref(c);
    json_object_set_new(snap, "key", json_string("D2")); /* gpu_report's: not for log_triage */
    c = store_snapshot_task_config(snap, "log_triage");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "lookback_hours")), 24);
    json_decref(c);
    json_decref(snap);
    c = store_snapshot_task_config(NULL, "log_triage");
    ck_assert(json_is_object(c) && json_object_size(c) == 0);
    json_decref(c);
}
END_TEST

/* Hours between a first job's window start and end. */
static double window_hours(const json_t *run)
{
    const json_t *j = json_array_get(json_object_get(run, "jobs"), 0);
    int64_t a = 0, b = 0;
    ck_assert(clock_iso_parse(fx_str(j, "window_start", NULL), &a));
    ck_assert(clock_iso_parse(fx_str(j, "window_end", NULL), &b));
    return (double)(b - a) / 3600000.0;
}

/* A first job looks back the lookback_hours of its task's directive, else the fallback. */
START_TEST(test_lookback_directive)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    static const char *const one[] = {"log_triage"};
    json_t *r = fx_launch(&f, one, 1, 0, NULL);
    ck_assert(window_hours(r) == 24.0); /* D1 as seeded */
    json_decref(r);
    json_t *fields = json_pack("{s:{s:i}}", "config", "lookback_hours", 6), *d = NULL;
    OK(store_directive_update(f.st, directive_id_of(&f, "D1"), fields, &d, EB));
    json_decref(fields);
    json_decref(d);
    r = fx_launch(&f, one, 1, 0, NULL);
    ck_assert(window_hours(r) == 6.0);
    json_decref(r);
    r = fx_launch(&f, one, 1, directive_id_of(&f, "D2"), NULL); /* another task's: D1 still */
    ck_assert(window_hours(r) == 6.0);
    json_decref(r);
    fields = json_pack("{s:{s:f}}", "config", "lookback_hours", 0.5);
    OK(store_directive_update(f.st, directive_id_of(&f, "D4"), fields, &d, EB));
    json_decref(fields);
    json_decref(d);
    r = fx_launch(&f, one, 1, directive_id_of(&f, "D4"), NULL); /* the run's own directive */
    ck_assert(window_hours(r) == 0.5);
    json_decref(r);
    fields = json_pack("{s:{s:i}}", "config", "lookback_hours", -3); /* refused on save */
    struct errbuf eb = {{0}};
    ck_assert_int_eq(store_directive_update(f.st, directive_id_of(&f, "D1"), fields, &d, &eb),
                     ERR_INVALID);
    json_decref(fields);
    fields = json_pack("{s:{}}", "config"); /* none: the fallback */
    OK(store_directive_update(f.st, directive_id_of(&f, "D1"), fields, &d, EB));
    json_decref(fields);
    json_decref(d);
    r = fx_launch(&f, one, 1, 0, NULL);
    ck_assert(window_hours(r) == 1.0);
    json_decref(r);
    fx_close(&f);
}
END_TEST

START_TEST(test_windowing)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    json_t *out = NULL;
    OK(store_run_last_success(f.st, "log_triage", &out, EB));
    ck_assert(json_is_null(json_object_get(out, "run")));
    ck_assert(json_is_null(json_object_get(out, "since")));
    json_decref(out);

    json_t *r1 = fx_launch(&f, TASKS3, 1, 0, NULL);
    json_t *j1 = json_array_get(json_object_get(r1, "jobs"), 0);
    /* A first run looks back lookback_ms (one hour) from its window end. */
    ck_assert_ptr_nonnull(fx_str(j1, "window_start", NULL));
    ck_assert_str_lt(fx_str(j1, "window_start", NULL), fx_str(j1, "window_end", NULL));
    char *end1 = xstrdup(fx_str(j1, "window_end", NULL));
    bool done = false;
    claim_finish(&f, "success", &done, NULL);

    json_t *r2 = fx_launch(&f, TASKS3, 2, 0, NULL);
    json_t *j2 = json_array_get(json_object_get(r2, "jobs"), 0);
    ck_assert_str_eq(fx_str(j2, "window_start", NULL), end1);
    claim_finish(&f, "failed", &done, NULL);
    claim_finish(&f, "success", &done, NULL); /* gpu_report of r2 */

    json_t *r3 = fx_launch(&f, TASKS3, 1, 0, NULL);
    json_t *j3 = json_array_get(json_object_get(r3, "jobs"), 0);
    ck_assert_str_eq(fx_str(j3, "window_start", NULL), end1); /* the failure did not move it */

    OK(store_run_last_success(f.st, "log_triage", &out, EB));
    ck_assert_str_eq(fx_str(out, "task", NULL), "log_triage");
    ck_assert_str_eq(fx_str(out, "since", NULL), end1);
    ck_assert_int_eq(fx_int(json_object_get(out, "run"), "id"), fx_int(r1, "id"));
    json_decref(out);
    OK(store_run_last_success(f.st, "gpu_report", &out, EB));
    ck_assert_int_eq(fx_int(json_object_get(out, "run"), "id"), fx_int(r2, "id"));
    json_decref(out);
    xfree(end1);
    json_decref(r1);
    json_decref(r2);
    json_decref(r3);
    fx_close(&f);
}
END_TEST

START_TEST(test_cancel)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    json_t *run = fx_launch(&f, TASKS3, 2, 0, NULL);
    int64_t id = fx_int(run, "id");
    json_decref(run);
    struct store_claim c;
    bool got = false, is_cancelled = true, done = false;
    OK(store_job_claim(f.st, "i", 60000, 0, &c, &got, EB));
    ck_assert(got);
    OK(store_job_is_cancelled(f.st, c.job_id, &is_cancelled, EB));
    ck_assert(!is_cancelled);
    OK(store_run_cancel(f.st, id, &run, EB));
    ck_assert_str_eq(fx_str(run, "status", NULL), "running");
    json_t *jobs = json_object_get(run, "jobs");
    ck_assert_str_eq(fx_str(json_array_get(jobs, 0), "status", NULL), "running");
    ck_assert_str_eq(fx_str(json_array_get(jobs, 1), "status", NULL), "cancelled");
    json_decref(run);
    OK(store_job_is_cancelled(f.st, c.job_id, &is_cancelled, EB));
    ck_assert(is_cancelled);
    OK(store_job_finish(f.st, c.job_id, "cancelled", "cancelled by request", NULL, NULL, &done,
                        EB));
    ck_assert(done);
    OK(store_run_end(f.st, id, NULL, NULL, EB));
    store_claim_fini(&c);
    run = run_get(&f, id);
    ck_assert_str_eq(fx_str(run, "status", NULL), "cancelled");
    ck_assert_ptr_nonnull(fx_str(run, "finished_at", NULL));
    json_decref(run);

    struct errbuf eb = {{0}};
    ck_assert_int_eq(store_run_cancel(f.st, id, &run, &eb), ERR_CONFLICT);
    char want[64];
    snprintf(want, sizeof(want), "run %lld already ended (cancelled)", (long long)id);
    ck_assert_str_eq(errbuf_get(&eb, ERR_CONFLICT), want);
    ck_assert_int_eq(store_run_cancel(f.st, 999, &run, &eb), ERR_NOT_FOUND);

    run = fx_launch(&f, TASKS3, 3, 0, NULL);
    id = fx_int(run, "id");
    json_decref(run);
    OK(store_run_cancel(f.st, id, &run, EB));
    ck_assert_str_eq(fx_str(run, "status", NULL), "cancelled");
    ck_assert_ptr_nonnull(fx_str(run, "finished_at", NULL));
    json_decref(run);
    OK(store_job_claim(f.st, "i", 60000, 0, &c, &got, EB));
    ck_assert(!got); /* nothing of the cancelled run is handed out */
    fx_close(&f);
}
END_TEST

START_TEST(test_recover)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    json_t *ra = fx_launch(&f, TASKS3, 1, 0, NULL);
    json_t *rb = fx_launch(&f, TASKS3, 2, 0, NULL);
    struct store_claim c1, c2, c3;
    bool got = false, done = false;
    OK(store_job_claim(f.st, "dead", 60000, 0, &c1, &got, EB));
    OK(store_job_claim(f.st, "dead", 60000, 0, &c2, &got, EB));
    int n = 0;
    OK(store_recover(f.st, &n, EB));
    ck_assert_int_eq(n, 2);
    json_t *a = run_get(&f, fx_int(ra, "id"));
    ck_assert_str_eq(fx_str(a, "status", NULL), "failed");
    ck_assert_str_eq(fx_str(json_array_get(json_object_get(a, "jobs"), 0), "error", NULL),
                     "orchestrator restarted while the job ran");
    json_t *b = run_get(&f, fx_int(rb, "id"));
    ck_assert_str_eq(fx_str(b, "status", NULL), "running");
    ck_assert_str_eq(fx_str(json_array_get(json_object_get(b, "jobs"), 1), "status", NULL),
                     "queued");
    json_decref(b);
    ck_assert_int_eq(store_job_finish(f.st, c1.job_id, "success", NULL, NULL, NULL, &done, NULL),
                     ERR_CONFLICT);
    OK(store_recover(f.st, &n, EB));
    ck_assert_int_eq(n, 0);
    OK(store_job_claim(f.st, "new", 60000, 0, &c3, &got, EB));
    ck_assert(got);
    OK(store_job_finish(f.st, c3.job_id, "success", NULL, NULL, NULL, &done, EB));
    ck_assert(done);
    OK(store_run_end(f.st, fx_int(rb, "id"), NULL, NULL, EB));
    b = run_get(&f, fx_int(rb, "id"));
    ck_assert_str_eq(fx_str(b, "status", NULL), "partial");
    store_claim_fini(&c1);
    store_claim_fini(&c2);
    store_claim_fini(&c3);
    json_decref(a);
    json_decref(b);
    json_decref(ra);
    json_decref(rb);
    fx_close(&f);
}
END_TEST

/* The running jobs (reconcile) and the runs left without an open job. */
START_TEST(test_running_and_unsettled)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    json_t *ra = fx_launch(&f, TASKS3, 1, 0, NULL);
    struct store_claim c1;
    bool got = false, done = false;
    json_t *rows = NULL;
    OK(store_job_list_running(f.st, &rows, EB));
    ck_assert_uint_eq(json_array_size(rows), 0);
    json_decref(rows);
    OK(store_job_claim(f.st, "inst-a", 60000, 0, &c1, &got, EB));
    OK(store_job_list_running(f.st, &rows, EB));
    ck_assert_uint_eq(json_array_size(rows), 1);
    json_t *r0 = json_array_get(rows, 0);
    ck_assert_int_eq(fx_int(r0, "id"), c1.job_id);
    ck_assert_int_eq(fx_int(r0, "run_id"), fx_int(ra, "id"));
    ck_assert_str_eq(fx_str(r0, "claimed_by", NULL), "inst-a");
    ck_assert_str_eq(fx_str(r0, "task", NULL), c1.task);
    ck_assert_ptr_nonnull(fx_str(r0, "deadline_at", NULL));
    json_decref(rows);
    OK(store_run_list_unsettled(f.st, &rows, EB));
    ck_assert_uint_eq(json_array_size(rows), 0);
    json_decref(rows);
    /* The run's only job ends but nobody ends the run (a crash before the report). */
    OK(store_job_finish(f.st, c1.job_id, "success", NULL, NULL, NULL, &done, EB));
    ck_assert(done);
    OK(store_run_list_unsettled(f.st, &rows, EB));
    ck_assert_uint_eq(json_array_size(rows), 1);
    ck_assert_int_eq(fx_int(json_array_get(rows, 0), "id"), fx_int(ra, "id"));
    json_decref(rows);
    OK(store_run_end(f.st, fx_int(ra, "id"), NULL, NULL, EB));
    OK(store_run_list_unsettled(f.st, &rows, EB));
    ck_assert_uint_eq(json_array_size(rows), 0);
    json_decref(rows);
    store_claim_fini(&c1);
    json_decref(ra);
    fx_close(&f);
}
END_TEST

#define N_THREADS 8
#define N_JOBS    50

struct claimer {
    struct store *st;
    int64_t ids[N_JOBS + 1];
    int n;
    enum err e;
};

static void *claim_thread(void *p)
{
    struct claimer *cl = p;
    for (;;) {
        struct store_claim c;
        bool got = false;
        cl->e = store_job_claim(cl->st, "t", 60000, 0, &c, &got, NULL);
        if (cl->e != ERR_OK || !got || cl->n > N_JOBS)
            break;
        cl->ids[cl->n++] = c.job_id;
        store_claim_fini(&c);
    }
    return NULL;
}

START_TEST(test_concurrent_claims)
{
    struct fx f;
    if (!fx_open_n(&f, _i, N_THREADS, true))
        return;
    for (int i = 0; i < N_JOBS / 2; i++)
        json_decref(fx_launch(&f, TASKS3, 2, 0, NULL));
    static struct claimer cl[N_THREADS];
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        cl[i] = (struct claimer){.st = f.st};
        pthread_create(&th[i], NULL, claim_thread, &cl[i]);
    }
    int seen[N_JOBS * 2 + 2] = {0};
    int total = 0;
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(cl[i].e, ERR_OK);
        for (int k = 0; k < cl[i].n; k++) {
            int64_t id = cl[i].ids[k];
            ck_assert(id > 0 && id <= N_JOBS);
            ck_assert_int_eq(seen[id], 0); /* never handed out twice */
            seen[id]++;
            total++;
        }
    }
    ck_assert_int_eq(total, N_JOBS);
    json_t *list = NULL;
    int64_t count = 0;
    OK(store_job_list(f.st, 0, 0, 100, &list, &count, EB));
    ck_assert_int_eq(count, N_JOBS);
    size_t i;
    json_t *job;
    json_array_foreach(list, i, job)
    {
        ck_assert_str_eq(fx_str(job, "status", NULL), "running");
        ck_assert_int_eq(fx_int(job, "attempts"), 1);
    }
    json_decref(list);
    fx_close(&f);
}
END_TEST

START_TEST(test_pg_reconnect)
{
    struct fx f;
    if (!fx_open_n(&f, 1, 1, true))
        return;
    int64_t pid = 0;
    struct db *db = store_db_get(f.st);
    OK(db_query_int(db, "SELECT pg_backend_pid() AS pid", NULL, 0, "pid", &pid, EB));
    store_db_put(f.st, db);
    ck_assert_int_gt(pid, 0);
    char sql[96];
    snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%lld)", (long long)pid);
    PGconn *c = PQconnectdb(getenv("CB_TEST_PG"));
    PGresult *r = PQexec(c, sql);
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    PQfinish(c);
    /* The pooled connection was killed; the store notices and reconnects. */
    OK(store_ping(f.st, EB));
    json_t *run = fx_launch(&f, TASKS3, 1, 0, NULL);
    ck_assert_int_gt(fx_int(run, "id"), 0);
    json_decref(run);
    fx_close(&f);
}
END_TEST

START_TEST(test_claim_one_run)
{
    struct fx f;
    if (!fx_open(&f, _i))
        return;
    json_t *first = fx_launch(&f, TASKS3, 1, 0, NULL);
    json_t *second = fx_launch(&f, TASKS3, 1, 0, NULL);
    int64_t second_id = fx_int(second, "id");
    json_decref(first);
    json_decref(second);
    struct store_claim c;
    bool got = false;
    /* Bound to the second run, the claim skips the older job of the first. */
    OK(store_job_claim(f.st, "cli", 60000, second_id, &c, &got, EB));
    ck_assert(got);
    ck_assert_int_eq(c.run_id, second_id);
    store_claim_fini(&c);
    OK(store_job_claim(f.st, "cli", 60000, second_id, &c, &got, EB));
    ck_assert(!got);
    OK(store_job_claim(f.st, "serve", 60000, 0, &c, &got, EB));
    ck_assert(got);
    ck_assert_int_ne(c.run_id, second_id);
    store_claim_fini(&c);
    fx_close(&f);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    /* Loop index 0 = SQLite, 1 = PostgreSQL. */
    tcase_add_loop_test(tc, test_migrate_and_seed, 0, 2);
    tcase_add_loop_test(tc, test_migrate_concurrent, 0, 2);
    tcase_add_loop_test(tc, test_directive_versions, 0, 2);
    tcase_add_loop_test(tc, test_launch, 0, 2);
    tcase_add_loop_test(tc, test_list_filters, 0, 2);
    tcase_add_loop_test(tc, test_list_text, 0, 2);
    tcase_add_test(tc, test_json_text_cells);
    tcase_add_loop_test(tc, test_lifecycle, 0, 2);
    tcase_add_loop_test(tc, test_claim_one_run, 0, 2);
    tcase_add_loop_test(tc, test_windowing, 0, 2);
    tcase_add_loop_test(tc, test_lookback_directive, 0, 2);
    tcase_add_test(tc, test_snapshot_task_config);
    tcase_add_loop_test(tc, test_cancel, 0, 2);
    tcase_add_loop_test(tc, test_recover, 0, 2);
    tcase_add_loop_test(tc, test_running_and_unsettled, 0, 2);
    tcase_add_loop_test(tc, test_concurrent_claims, 0, 2);
    tcase_add_test(tc, test_pg_reconnect);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    srand((unsigned)getpid());
    log_init(2, LOG_WARN, false);
    SRunner *sr = srunner_create(store_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
