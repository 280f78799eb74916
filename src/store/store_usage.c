/* SPDX-License-Identifier: MIT */
/* store_usage.c -- LLM token usage: totals by model, task and period from llm_calls (token
 * counts only, never a prompt or a response), with the grand totals kept on the run rows. */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/jsonx.h"
#include "store/store_int.h"

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* The civil date of days since 1970-01-01, as YYYY-MM-DD. */
static void civil_from_days(int64_t z, char out[11])
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
    snprintf(out, 11, "%04lld-%02u-%02u", (long long)(y % 10000), m % 100, d % 100);
}

/* Write the bucket of day ("YYYY-MM-DD") for period into out (cap 16). */
static void bucket_of(const char *period, const char *day, char out[16])
{
    unsigned y = 0, m = 0, d = 0;
    if (strcmp(period, "all") == 0 || !day || sscanf(day, "%4u-%2u-%2u", &y, &m, &d) != 3 ||
        m < 1 || m > 12 || d < 1 || d > 31) {
        snprintf(out, 16, "%s", strcmp(period, "all") == 0 ? "all" : "unknown");
    } else if (strcmp(period, "month") == 0) {
        snprintf(out, 16, "%04u-%02u", y % 10000, m);
    } else if (strcmp(period, "week") == 0) {
        int64_t z = days_from_civil(y, m, d);
        int64_t dow = ((z % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday; Monday = 0 */
        civil_from_days(z - dow, out);
    } else {
        snprintf(out, 16, "%04u-%02u-%02u", y % 10000, m, d);
    }
}

bool store_usage_period_ok(const char *period)
{
    static const char *const ok[] = {"day", "week", "month", "all", NULL};
    for (size_t i = 0; period && ok[i]; i++)
        if (strcmp(period, ok[i]) == 0)
            return true;
    return false;
}

static bool same_str(const json_t *a, const json_t *b)
{
    return (json_is_null(a) && json_is_null(b)) ||
           (json_is_string(a) && json_is_string(b) &&
            strcmp(json_string_value(a), json_string_value(b)) == 0);
}

/* Fold one (model, task, day) row into the groups of its bucket. */
static void fold(json_t *groups, const char *period, const json_t *row)
{
    static const char *const sums[] = {"calls", "prompt_tokens", "completion_tokens",
                                       "total_tokens"};
    char b[16];
    bucket_of(period, jsonx_get_str(row, "day"), b);
    json_t *model = json_object_get(row, "model"), *task = json_object_get(row, "task");
    json_t *g = NULL, *it;
    size_t i;
    json_array_foreach(groups, i, it)
    {
        if (strcmp(jsonx_get_str(it, "period"), b) == 0 &&
            same_str(json_object_get(it, "model"), model) &&
            same_str(json_object_get(it, "task"), task)) {
            g = it;
            break;
        }
    }
    if (!g) {
        g = json_pack("{s:s,s:O,s:O,s:I,s:I,s:I,s:I}", "period", b, "model",
                      model ? model : json_null(), "task", task ? task : json_null(), "calls",
                      (json_int_t)0, "prompt_tokens", (json_int_t)0, "completion_tokens",
                      (json_int_t)0, "total_tokens", (json_int_t)0);
        json_array_append_new(groups, g);
    }
    for (i = 0; i < sizeof(sums) / sizeof(sums[0]); i++)
        json_object_set_new(g, sums[i], json_integer(row_int(g, sums[i]) + row_int(row, sums[i])));
}

static enum err read_usage(struct db *db, json_t **days, json_t **totals, struct errbuf *eb)
{
    enum err e = db_query(
        db,
        "SELECT l.model AS model, j.task AS task, SUBSTR(l.created_at, 1, 10) AS day, "
        "COUNT(*) AS calls, COALESCE(SUM(l.prompt_tokens), 0) AS prompt_tokens, "
        "COALESCE(SUM(l.completion_tokens), 0) AS completion_tokens, "
        "COALESCE(SUM(COALESCE(l.total_tokens, l.prompt_tokens + l.completion_tokens)), 0) "
        "AS total_tokens FROM llm_calls l LEFT JOIN jobs j ON j.id = l.job_id "
        "GROUP BY l.model, j.task, SUBSTR(l.created_at, 1, 10) "
        "ORDER BY day DESC, model, task LIMIT $1",
        (struct db_param[]){DB_I(STORE_USAGE_ROWS_MAX + 1)}, 1, days, eb);
    if (e == ERR_OK)
        e = db_query_one(db,
                         "SELECT COUNT(*) AS runs, COALESCE(SUM(prompt_tokens), 0) AS "
                         "prompt_tokens, COALESCE(SUM(completion_tokens), 0) AS "
                         "completion_tokens, COALESCE(SUM(total_tokens), 0) AS total_tokens, "
                         "(SELECT COUNT(*) FROM llm_calls) AS calls FROM runs "
                         "WHERE total_tokens > 0",
                         NULL, 0, totals, eb);
    return e;
}

enum err store_token_usage(struct store *st, const char *period, json_t **out, struct errbuf *eb)
{
    json_t *days = NULL, *totals = NULL, *groups = NULL, *row;
    size_t i;
    *out = NULL;
    if (!store_usage_period_ok(period))
        return errbuf_set(eb, ERR_INVALID, "period: give day, week, month or all");
    struct db *db = store_db_get(st);
    enum err e = db_read_begin(db, eb);
    if (e == ERR_OK) {
        e = read_usage(db, &days, &totals, eb);
        db_read_end(db);
    }
    store_db_put(st, db);
    if (e != ERR_OK)
        goto out;
    bool is_cut = json_array_size(days) > STORE_USAGE_ROWS_MAX;
    groups = json_array();
    json_array_foreach(days, i, row)
    {
        if (i >= STORE_USAGE_ROWS_MAX)
            break;
        fold(groups, period, row);
    }
    *out = json_pack("{s:s,s:o,s:O,s:b}", "period", period, "groups", groups, "totals",
                     totals ? totals : json_object(), "is_truncated", is_cut);
    groups = NULL;
out:
    json_decref(days);
    json_decref(totals);
    json_decref(groups);
    return e;
}
