/* SPDX-License-Identifier: MIT */
/* store_launch.c -- the checks of a launch request and of run filters, shared by every
 * front end (REST API, MCP): task names and their aliases, the directive choice, run
 * states. Pure: no database. */
#include "store/store.h"

#include <string.h>

static const char *const run_states[] = {"queued", "running",   "success", "partial",
                                         "failed", "cancelled", NULL};

bool store_run_status_ok(const char *status)
{
    for (size_t i = 0; status && run_states[i]; i++)
        if (strcmp(status, run_states[i]) == 0)
            return true;
    return false;
}

const char *store_task_canonical(const char *name)
{
    static const char *const tab[][2] = {
        {"log_triage", "log_triage"}, {"task1", "log_triage"},        {"gpu_report", "gpu_report"},
        {"task2", "gpu_report"},      {"service_map", "service_map"}, {"task3", "service_map"},
    };
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (strcmp(name, tab[i][0]) == 0)
            return tab[i][1];
    return NULL;
}

enum err store_task_unknown(const char *name, struct errbuf *eb)
{
    char q[40];
    err_quote_user(q, sizeof(q), name);
    return errbuf_set(eb, ERR_INVALID,
                      "Unknown task '%s'. Use log_triage, gpu_report, service_map (or "
                      "task1..task3).",
                      q);
}

/* Fill l's tasks (canonical, no duplicates) from body.tasks; absent or [] = all three. */
static enum err
parse_tasks(const json_t *body, struct store_launch *l, const char **tasks, struct errbuf *eb)
{
    static const char *const all[] = {"log_triage", "gpu_report", "service_map"};
    const json_t *v = json_object_get(body, "tasks");
    size_t n = 0;
    if (v && !json_is_null(v) && !json_is_array(v))
        return errbuf_set(eb, ERR_INVALID, "Expected a list of task names.");
    if (json_array_size(v) > STORE_LAUNCH_MAX_TASKS)
        return errbuf_set(eb, ERR_INVALID, "Ensure this field has no more than %d elements.",
                          STORE_LAUNCH_MAX_TASKS);
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *t = json_array_get(v, i);
        if (!json_is_string(t))
            return errbuf_set(eb, ERR_INVALID, "Each task must be a string.");
        const char *canon = store_task_canonical(json_string_value(t));
        if (!canon)
            return store_task_unknown(json_string_value(t), eb);
        bool is_dup = false;
        for (size_t k = 0; k < n; k++)
            is_dup = is_dup || strcmp(tasks[k], canon) == 0;
        if (!is_dup)
            tasks[n++] = canon;
    }
    if (n == 0)
        for (; n < STORE_TASKS_N; n++)
            tasks[n] = all[n];
    l->tasks = tasks;
    l->n_tasks = n;
    return ERR_OK;
}

static enum err
parse_directive(const json_t *body, struct store_launch *l, const char **bad, struct errbuf *eb)
{
    const json_t *id = json_object_get(body, "directive_id");
    const json_t *text = json_object_get(body, "directive_text");
    if (id && !json_is_null(id)) {
        *bad = "directive_id";
        if (!json_is_integer(id) || json_integer_value(id) <= 0)
            return errbuf_set(eb, ERR_INVALID, "A valid positive integer is required.");
        l->directive_id = json_integer_value(id);
    }
    if (text && !json_is_null(text)) {
        *bad = "directive_text";
        if (!json_is_string(text))
            return errbuf_set(eb, ERR_INVALID, "Not a valid string.");
        if (json_string_length(text) == 0)
            return errbuf_set(eb, ERR_INVALID, "This field may not be blank.");
        if (json_string_length(text) > STORE_DIRECTIVE_TEXT_MAX)
            return errbuf_set(eb, ERR_INVALID, "Ensure this field has no more than %d bytes.",
                              STORE_DIRECTIVE_TEXT_MAX);
        l->directive_text = json_string_value(text);
    }
    *bad = NULL;
    if (l->directive_id && l->directive_text)
        return errbuf_set(eb, ERR_INVALID, "Give directive_id or directive_text, not both.");
    return ERR_OK;
}

enum err store_launch_parse(const json_t *body,
                            const char *tasks[STORE_TASKS_N],
                            struct store_launch *l,
                            const char **bad_field,
                            struct errbuf *eb)
{
    const char *bad = NULL;
    enum err e = ERR_OK;
    if (!json_is_object(body)) {
        e = errbuf_set(eb, ERR_INVALID, "The launch request must be an object.");
    } else {
        bad = "tasks";
        e = parse_tasks(body, l, tasks, eb);
        if (e == ERR_OK)
            e = parse_directive(body, l, &bad, eb);
    }
    if (bad_field)
        *bad_field = e == ERR_OK ? NULL : bad;
    return e;
}
