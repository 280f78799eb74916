/* SPDX-License-Identifier: MIT */
/* tasks_inventory.c -- container inventory snapshots: list every container the engine
 * knows, inspect only the allowlisted ones, redact, store.
 *
 * Non-allowlisted containers are seen only as id, name, image and state: they are never
 * inspected. The details of allowlisted ones come from docker_container_inspect (which
 * keeps variable names, never values) and every string in them passes the redactor
 * before it is stored. A run that holds gpu_report or service_map gets one snapshot,
 * taken when its first such job starts; a failure there is logged, never fatal. */
#include <pthread.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "docker/docker.h"
#include "tasks/tasks_int.h"

/* Serialises run snapshots in this process, so parallel jobs of one run take one. */
static pthread_mutex_t run_mu = PTHREAD_MUTEX_INITIALIZER;

/* The details of allowlisted container id: the redacted inspect summary, or a note. */
static json_t *details(const struct config *cfg, const char *id)
{
    struct errbuf eb = {{0}};
    json_t *d = NULL;
    enum err e = docker_container_inspect(cfg->docker_socket, id, &d, &eb);
    if (e != ERR_OK)
        d = json_pack("{s:s}", "error", errbuf_get(&eb, e));
    tasks_redact_json(cfg, d, NULL);
    char *text = jsonx_dumps(d);
    size_t n = strlen(text);
    xfree(text);
    if (n > STORE_INVENTORY_DETAILS_MAX) {
        json_decref(d);
        return json_pack("{s:s}", "error", "details too large");
    }
    return d;
}

/* obj[key] as a string, "" when absent. */
static const char *str_or_empty(const json_t *obj, const char *key)
{
    const char *s = jsonx_get_str(obj, key);
    return s ? s : "";
}

/* The item for one entry of the engine's container list (*out NULL: an entry without id). */
static enum err
item(const struct config *cfg, struct store *st, json_t *c, json_t **out, struct errbuf *eb)
{
    const char *id = jsonx_get_str(c, "Id");
    const char *name = json_string_value(json_array_get(json_object_get(c, "Names"), 0));
    bool is_allowed = false;
    *out = NULL;
    if (!id)
        return ERR_OK;
    if (name && name[0] == '/')
        name++;
    enum err e = store_container_is_allowed(st, id, name, &is_allowed, eb);
    if (e != ERR_OK)
        return e;
    json_t *it =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "container_id", id, "name", name ? name : "",
                  "image", str_or_empty(c, "Image"), "state", str_or_empty(c, "State"), "status",
                  str_or_empty(c, "Status"), "is_allowlisted", is_allowed);
    /* Names, images and states are text from outside too; the id stays (it is the key). */
    static const char *const keep[] = {"container_id", "details", NULL};
    tasks_redact_json(cfg, it, keep);
    json_object_set_new(it, "details", is_allowed ? details(cfg, id) : json_null());
    *out = it;
    return ERR_OK;
}

enum err tasks_inventory_collect(const struct config *cfg,
                                 struct store *st,
                                 json_t **items_out,
                                 struct errbuf *eb)
{
    json_t *list = NULL, *items = json_array();
    size_t i;
    json_t *c;
    *items_out = NULL;
    enum err e = docker_containers_list(cfg->docker_socket, 1, &list, eb);
    if (e != ERR_OK) {
        e = errbuf_set(eb, ERR_UNAVAILABLE, "the Docker engine does not answer: %s",
                       errbuf_get(eb, e));
        goto out;
    }
    json_array_foreach(list, i, c)
    {
        json_t *it = NULL;
        if (json_array_size(items) >= STORE_INVENTORY_ITEMS_MAX) {
            log_warn("tasks", "event=inventory.capped listed=%zu kept=%d", json_array_size(list),
                     STORE_INVENTORY_ITEMS_MAX);
            break;
        }
        e = item(cfg, st, c, &it, eb);
        if (e != ERR_OK)
            goto out;
        if (it)
            json_array_append_new(items, it);
    }
    *items_out = json_incref(items);
out:
    json_decref(list);
    json_decref(items);
    return e;
}

/* Collect and store a snapshot; *items_out (may be NULL) keeps the items collected. */
static enum err take(const struct config *cfg,
                     struct store *st,
                     const char *source,
                     int64_t run_id,
                     json_t **out,
                     json_t **items_out,
                     struct errbuf *eb)
{
    json_t *items = NULL;
    size_t i, n_detailed = 0;
    json_t *it;
    *out = NULL;
    enum err e = tasks_inventory_collect(cfg, st, &items, eb);
    if (e == ERR_OK)
        e = store_inventory_add(st, source, run_id, items, out, eb);
    json_array_foreach(items, i, it) n_detailed +=
        json_is_true(json_object_get(it, "is_allowlisted"));
    if (e == ERR_OK)
        log_info("tasks",
                 "event=inventory.snapshot id=%lld source=%s run_id=%lld containers=%zu "
                 "detailed=%zu",
                 (long long)json_integer_value(json_object_get(*out, "id")), source,
                 (long long)run_id, json_array_size(items), n_detailed);
    if (e == ERR_OK && items_out)
        *items_out = json_incref(items);
    json_decref(items);
    return e;
}

enum err tasks_inventory_take(const struct config *cfg,
                              struct store *st,
                              const char *source,
                              int64_t run_id,
                              json_t **out,
                              struct errbuf *eb)
{
    return take(cfg, st, source, run_id, out, NULL, eb);
}

enum err tasks_inventory_snapshot(void *tasks, json_t **out, struct errbuf *eb)
{
    struct tasks *t = tasks;
    return tasks_inventory_take(t->opts.cfg, t->opts.st, "manual", 0, out, eb);
}

json_t *tasks_inventory_on_job(struct tasks *t, const struct store_claim *c)
{
    struct errbuf eb = {{0}};
    json_t *snap = NULL, *items = NULL;
    bool has = false;
    if (strcmp(c->task, "gpu_report") != 0 && strcmp(c->task, "service_map") != 0)
        return NULL;
    pthread_mutex_lock(&run_mu);
    enum err e = store_inventory_has_run(t->opts.st, c->run_id, &has, &eb);
    if (e == ERR_OK && !has)
        e = take(t->opts.cfg, t->opts.st, "run", c->run_id, &snap, &items, &eb);
    pthread_mutex_unlock(&run_mu);
    /* ERR_CONFLICT: another process took this run's snapshot first; that is fine. */
    if (e != ERR_OK && e != ERR_CONFLICT)
        log_warn("tasks", "event=inventory.fail run_id=%lld job_id=%lld err=%s",
                 (long long)c->run_id, (long long)c->job_id, err_name(e));
    json_decref(snap);
    return items;
}
