/* SPDX-License-Identifier: MIT */
/* app_store.c -- open the configured store; the migrate and token commands. */
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "app/app_int.h"
#include "core/fs.h"
#include "core/xalloc.h"

void app_db_label(const struct config *cfg, char *out, size_t out_cap)
{
    if (cfg->pg_conninfo)
        snprintf(out, out_cap, "postgresql:%s", cfg->pg_summary);
    else
        snprintf(out, out_cap, "sqlite:%s", cfg->db_path);
}

enum err
app_store_open(const struct config *cfg, int pool_size, struct store **out, struct errbuf *eb)
{
    struct store_opts opts = {
        .sqlite_path = cfg->db_path, .pg_conninfo = cfg->pg_conninfo, .pool_size = pool_size};
    if (!cfg->pg_conninfo) {
        char *copy = xstrdup(cfg->db_path);
        enum err e = fs_mkdir_p(dirname(copy), 0750, eb);
        xfree(copy);
        if (e != ERR_OK)
            return e;
    }
    return store_open(&opts, out, eb);
}

enum err
app_store_open_current(const struct config *cfg, int pool_size, bool do_migrate, struct store **out)
{
    struct errbuf eb = {{0}};
    char label[300];
    struct store *st = NULL;
    app_db_label(cfg, label, sizeof(label));
    enum err e = app_store_open(cfg, pool_size, &st, &eb);
    if (e != ERR_OK) {
        app_errorf("cannot open database %s: %s", label, eb.msg);
        return e;
    }
    int applied = 0, have = 0, want = 0;
    if (do_migrate)
        e = store_migrate(st, &applied, &eb);
    if (e == ERR_OK)
        e = store_migrate_status(st, &have, &want, &eb);
    if (e != ERR_OK) {
        app_errorf("database %s: %s", label, eb.msg);
        store_close(st);
        return e;
    }
    if (have != want) {
        app_errorf("database %s is at migration %d, this build needs %d: run `cyberbrain migrate`",
                   label, have, want);
        store_close(st);
        return ERR_CONFLICT;
    }
    *out = st;
    return ERR_OK;
}

int app_cmd_migrate(struct config *cfg, int argc, char **argv)
{
    bool is_check = argc > 1 && strcmp(argv[1], "--check") == 0;
    if (argc > 2 || (argc == 2 && !is_check)) {
        fprintf(stderr, "usage: cyberbrain migrate [--check]\n");
        return 2;
    }
    struct errbuf eb = {{0}};
    struct store *st = NULL;
    char label[300];
    int rc = 1, applied = 0, have = 0, want = 0;
    app_db_label(cfg, label, sizeof(label));
    if (app_store_open(cfg, 1, &st, &eb) != ERR_OK) {
        app_errorf("cannot open database %s: %s", label, eb.msg);
        goto out;
    }
    if (!is_check && store_migrate(st, &applied, &eb) != ERR_OK) {
        app_errorf("migration failed on %s: %s", label, eb.msg);
        goto out;
    }
    if (store_migrate_status(st, &have, &want, &eb) != ERR_OK) {
        app_errorf("%s: %s", label, eb.msg);
        goto out;
    }
    if (is_check) {
        printf("%s: at migration %d of %d: %s\n", label, have, want,
               have == want ? "current" : "behind, run `cyberbrain migrate`");
        rc = have == want ? 0 : 1;
    } else {
        printf("%s: applied %d migration(s), now at %d\n", label, applied, have);
        rc = 0;
    }
out:
    store_close(st);
    return rc;
}

int app_cmd_token(struct config *cfg, int argc, char **argv)
{
    const char *name = NULL;
    if (argc >= 2 && strcmp(argv[1], "create") == 0) {
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
                name = argv[++i];
            else if (strncmp(argv[i], "--name=", 7) == 0)
                name = argv[i] + 7;
        }
    }
    if (!name || !*name || strlen(name) > 100) {
        fprintf(stderr, "usage: cyberbrain token create --name NAME (1..100 characters)\n");
        return 2;
    }
    struct store *st = NULL;
    struct errbuf eb = {{0}};
    char *token = NULL;
    if (app_store_open_current(cfg, 1, false, &st) != ERR_OK)
        return 1;
    enum err e = store_token_create(st, name, &token, &eb);
    store_close(st);
    if (e != ERR_OK) {
        app_errorf("cannot create token: %s", eb.msg);
        return 1;
    }
    /* Only the token on stdout, so scripts can capture it. */
    printf("%s\n", token);
    xfree_zero(token, strlen(token));
    return 0;
}
