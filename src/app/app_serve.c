/* SPDX-License-Identifier: MIT */
/* app_serve.c -- `cyberbrain serve`: store, event bus, dispatcher and HTTP server. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app/app_int.h"
#include "core/crypto.h"
#include "core/events.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "explain/explain.h"
#include "mcp/mcp.h"
#include "tasks/tasks.h"

static void wake_dispatcher(void *ctx)
{
    tasks_wake(ctx);
}

static enum err prepare_folders(const struct config *cfg)
{
    struct errbuf eb = {{0}};
    enum err e = fs_mkdir_p(cfg->uploads_dir, 0750, &eb);
    if (e != ERR_OK) {
        fprintf(stderr, "cyberbrain: CYBER_BRAIN_UPLOADS: %s\n", eb.msg);
        return e;
    }
    if (!fs_is_dir(cfg->logs_dir))
        log_warn("app", "event=logs.missing detail=\"CYBER_BRAIN_LOGS folder does not exist; "
                        "log_triage jobs will fail until it does\"");
    return ERR_OK;
}

/* True when id is 8..64 lowercase hex digits (also a valid container label value). */
static bool is_instance_id(const char *id)
{
    size_t n = strspn(id, "0123456789abcdef");
    return id[n] == '\0' && n >= 8 && n <= 64;
}

/* Replace the per-process instance id with the installation's, kept in the settings table:
 * the first serve writes a random one, every later one (and a restart after kill -9) reads
 * it, so the containers and jobs it left are recognised as its own. */
static enum err load_instance_id(struct config *cfg, struct store *st)
{
    struct errbuf eb = {{0}};
    char fresh[17];
    char *id = NULL;
    enum err e = crypto_random_hex(8, fresh, sizeof(fresh));
    if (e == ERR_OK)
        e = store_setting_set(st, "instance_id", fresh, true, NULL, &eb);
    if (e == ERR_OK)
        e = store_setting_get(st, "instance_id", &id, &eb);
    if (e == ERR_OK && !is_instance_id(id))
        e = errbuf_set(&eb, ERR_INVALID, "setting instance_id is not 8..64 lowercase hex digits");
    if (e != ERR_OK) {
        fprintf(stderr, "cyberbrain: cannot load the instance id: %s\n", errbuf_get(&eb, e));
        xfree(id);
        return e;
    }
    xfree(cfg->instance_id);
    cfg->instance_id = id;
    return ERR_OK;
}

int app_cmd_serve(struct config *cfg, int argc, char **argv)
{
    bool do_migrate = argc > 1 && strcmp(argv[1], "--migrate") == 0;
    if (argc > 2 || (argc == 2 && !do_migrate)) {
        fprintf(stderr, "usage: cyberbrain serve [--migrate]\n");
        return 2;
    }
    struct store *st = NULL;
    struct events *ev = NULL;
    struct tasks *tk = NULL;
    struct api_server *srv = NULL;
    struct mcp_server *mcp = NULL;
    struct explainer *ex = NULL;
    struct errbuf eb = {{0}};
    int rc = 1, port = 0;
    sigset_t stop_set;

    /* Block the stop signals before any thread starts, so only sigwait() sees them. */
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);

    xalloc_limit_arenas(2);
    if (prepare_folders(cfg) != ERR_OK)
        goto out;
    if (app_store_open_current(cfg, cfg->db_pool, do_migrate, &st) != ERR_OK)
        goto out;
    if (load_instance_id(cfg, st) != ERR_OK || app_redact_key_load(cfg, st) != ERR_OK)
        goto out;
    ev = events_new(1024, 512);
    struct tasks_opts topts = {.cfg = cfg, .st = st, .ev = ev, .n_slots = cfg->max_concurrent_jobs};
    if (tasks_start(&topts, &tk, &eb) != ERR_OK) {
        app_errorf("cannot start the dispatcher: %s", eb.msg);
        goto out;
    }
    ex = explainer_new(cfg, st); /* one cap on explanations for /api and /mcp */
    struct api_ctx actx = {
        .cfg = cfg, .st = st, .ev = ev, .on_launch = wake_dispatcher, .launch_ctx = tk};
    actx.explainer = ex;
    actx.inventory_snapshot = tasks_inventory_snapshot;
    actx.inventory_ctx = tk;
    struct mcp_server_opts mopts = {.cfg = cfg,
                                    .st = st,
                                    .ev = ev,
                                    .on_launch = wake_dispatcher,
                                    .launch_ctx = tk,
                                    .inventory_snapshot = tasks_inventory_snapshot,
                                    .inventory_ctx = tk,
                                    .explainer = ex};
    if (mcp_server_new(&mopts, &mcp, &eb) != ERR_OK) {
        app_errorf("cannot set up /mcp: %s", eb.msg);
        goto out;
    }
    actx.mounts = mcp_server_mount(mcp);
    actx.n_mounts = 1;
    if (api_server_start(&actx, &srv, &port, &eb) != ERR_OK) {
        fprintf(stderr, "cyberbrain: cannot serve on %s:%d: %s\n", cfg->bind_addr, cfg->port,
                eb.msg);
        goto out;
    }
    char label[300];
    app_db_label(cfg, label, sizeof(label));
    log_info("app", "event=serve.ready bind=%s port=%d db=%s instance=%s", cfg->bind_addr, port,
             store_kind_get(st) == STORE_PG ? "postgresql" : "sqlite", cfg->instance_id);
    fprintf(stderr, "listening on %s:%d\n", cfg->bind_addr, port);
    int sig = 0;
    sigwait(&stop_set, &sig);
    log_info("app", "event=serve.stop signal=%d", sig);
    rc = 0;
out:
    mcp_server_stop(mcp); /* long tool calls end before the HTTP server goes */
    api_server_stop(srv);
    mcp_server_free(mcp);
    explainer_free(ex); /* after both front ends: their explanations ended */
    if (tk)
        tasks_stop(tk);
    events_free(ev);
    store_close(st);
    return rc;
}
