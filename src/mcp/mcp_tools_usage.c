/* SPDX-License-Identifier: MIT */
/* mcp_tools_usage.c -- token_usage: LLM token counts by model, by task and by period, from
 * store_llm_usage (the aggregate GET /api/token-usage/ answers), with the day groups folded
 * into weeks (from Monday), months or one "all" group. A sum is null when no call of its
 * group reported that count: an unknown is never shown as 0. */
#include <stdio.h>
#include <string.h>

#include "core/jsonx.h"
#include "mcp/mcp_tools_int.h"

#define USAGE_GROUPS_MAX 1000 /* groups read per dimension (days: about three years) */

static const char *const periods[] = {"day", "week", "month", "all", NULL};

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

/* Write the civil date of days since 1970-01-01 as YYYY-MM-DD into out. */
static void civil_from_days(int64_t z, char out[16])
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
    snprintf(out, 16, "%04lld-%02u-%02u", (long long)(y % 10000), m % 100, d % 100);
}

/* Write the bucket of day ("YYYY-MM-DD") for period into out. */
static void bucket_of(const char *period, const char *day, char out[16])
{
    unsigned y = 0, m = 0, d = 0;
    bool is_date = day && sscanf(day, "%4u-%2u-%2u", &y, &m, &d) == 3 && m >= 1 && m <= 12 &&
                   d >= 1 && d <= 31;
    if (strcmp(period, "all") == 0 || !is_date) {
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

/* A new group {key: value, calls 0, calls_with_counts 0, the sums null}. */
static json_t *group_new(const char *key, const char *value)
{
    return json_pack("{s:s?,s:I,s:I,s:n,s:n,s:n}", key, value, "calls", (json_int_t)0,
                     "calls_with_counts", (json_int_t)0, "prompt_tokens", "completion_tokens",
                     "total_tokens");
}

/* Add row's counts to g: sums stay null until a row reports a count. */
static void add_counts(json_t *g, const json_t *row)
{
    static const char *const keys[] = {"calls", "calls_with_counts", "prompt_tokens",
                                       "completion_tokens", "total_tokens"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const json_t *v = json_object_get(row, keys[i]);
        if (json_is_integer(v))
            json_object_set_new(g, keys[i],
                                json_integer(json_integer_value(json_object_get(g, keys[i])) +
                                             json_integer_value(v)));
    }
}

/* Fold the day groups into period buckets (in the days' order, oldest first). */
static json_t *by_period(const json_t *days, const char *period)
{
    json_t *out = json_array(), *row, *g;
    size_t i;
    json_array_foreach(days, i, row)
    {
        char b[16];
        bucket_of(period, jsonx_get_str(row, "day"), b);
        g = jsonx_find(out, "period", b);
        if (!g) {
            g = group_new("period", b);
            json_array_append_new(out, g);
        }
        add_counts(g, row);
    }
    return out;
}

/* Read one dimension of store_llm_usage; *is_cut when it has more groups than were read. */
static enum err
dim(struct store *st, const char *by, json_t **rows, bool *is_cut, struct errbuf *eb)
{
    int64_t count = 0;
    enum err e = store_llm_usage(st, by, NULL, 0, USAGE_GROUPS_MAX, rows, &count, eb);
    *is_cut = *is_cut || (e == ERR_OK && count > (int64_t)json_array_size(*rows));
    return e;
}

enum err mcp_tool_token_usage(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    static const char *const known[] = {"period", NULL};
    const char *period = NULL;
    json_t *models = NULL, *tasks = NULL, *days = NULL, *row;
    bool is_cut = false, is_ok = false;
    size_t i;
    (void)text;
    enum err e = mcp_args_known(args, known, eb);
    if (e == ERR_OK)
        e = mcp_arg_str(args, "period", 16, &period, eb);
    for (i = 0; e == ERR_OK && periods[i] && !is_ok; i++)
        is_ok = !period || strcmp(period, periods[i]) == 0;
    if (e == ERR_OK && !is_ok)
        e = errbuf_set(eb, ERR_INVALID, "period: give day, week, month or all");
    if (e == ERR_OK)
        e = dim(c->env->st, "model", &models, &is_cut, eb);
    if (e == ERR_OK)
        e = dim(c->env->st, "task", &tasks, &is_cut, eb);
    if (e == ERR_OK)
        e = dim(c->env->st, "day", &days, &is_cut, eb);
    if (e == ERR_OK) {
        json_t *totals = group_new("of", NULL);
        json_object_del(totals, "of");
        json_array_foreach(models, i, row) add_counts(totals, row);
        period = period ? period : "day";
        *out = json_pack("{s:s,s:O,s:O,s:o,s:o,s:b}", "period", period, "by_model", models,
                         "by_task", tasks, "by_period", by_period(days, period), "totals", totals,
                         "is_truncated", is_cut);
    }
    json_decref(models);
    json_decref(tasks);
    json_decref(days);
    return e == ERR_OK ? e : mcp_tool_fail(c, e, eb);
}
