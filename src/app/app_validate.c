/* SPDX-License-Identifier: MIT */
/* app_validate.c -- `cyberbrain validate`: one line per check, exit 0 when all pass. */
#include <stdio.h>
#include <unistd.h>

#include "app/app_int.h"
#include "core/fs.h"
#include "docker/docker.h"
#include "explain/explain.h"
#include "llm/llm.h"

enum check_state { CHECK_OK, CHECK_WARN, CHECK_FAIL };

static int report(enum check_state s, const char *name, const char *detail)
{
    static const char *const label[] = {"ok  ", "warn", "FAIL"};
    printf("%s %-10s %s\n", label[s], name, detail);
    return s == CHECK_FAIL;
}

static int check_database(const struct config *cfg)
{
    struct errbuf eb = {{0}};
    struct store *st = NULL;
    char label[300], line[600];
    int have = 0, want = 0, failed = 0;
    app_db_label(cfg, label, sizeof(label));
    if (app_store_open(cfg, 1, &st, &eb) != ERR_OK || store_ping(st, &eb) != ERR_OK) {
        snprintf(line, sizeof(line), "%s: %s", label, eb.msg);
        failed += report(CHECK_FAIL, "database", line);
        failed += report(CHECK_FAIL, "migrations", "database unreachable");
        goto out;
    }
    failed += report(CHECK_OK, "database", label);
    if (store_migrate_status(st, &have, &want, &eb) != ERR_OK) {
        failed += report(CHECK_FAIL, "migrations", eb.msg);
        goto out;
    }
    snprintf(line, sizeof(line), "at %d of %d%s", have, want,
             have == want ? "" : " (run `cyberbrain migrate`)");
    failed += report(have == want ? CHECK_OK : CHECK_FAIL, "migrations", line);
out:
    store_close(st);
    return failed;
}

static int check_folders(const struct config *cfg)
{
    char line[600];
    int failed = 0;
    bool logs_ok = fs_is_dir(cfg->logs_dir) && access(cfg->logs_dir, R_OK | X_OK) == 0;
    snprintf(line, sizeof(line), "%s (CYBER_BRAIN_LOGS)%s", cfg->logs_dir,
             logs_ok ? " readable" : " is not a readable folder");
    failed += report(logs_ok ? CHECK_OK : CHECK_FAIL, "logs", line);
    bool up_ok = fs_is_dir(cfg->uploads_dir) && access(cfg->uploads_dir, W_OK | X_OK) == 0;
    long long free_b = fs_free_bytes(cfg->uploads_dir);
    snprintf(line, sizeof(line), "%s (CYBER_BRAIN_UPLOADS)%s, %lld MiB free", cfg->uploads_dir,
             up_ok ? " writable" : " is not a writable folder", free_b / (1024 * 1024));
    failed += report(up_ok ? CHECK_OK : CHECK_FAIL, "uploads", line);
    return failed;
}

static int check_docker(const struct config *cfg)
{
    struct errbuf eb = {{0}};
    char version[16] = "", line[600];
    if (docker_ping(cfg->docker_socket, version, sizeof(version), &eb) == ERR_OK) {
        snprintf(line, sizeof(line), "%s answers, API %s", cfg->docker_socket, version);
        return report(CHECK_OK, "docker", line);
    }
    /* Without an engine the process runtime still works, unless docker was demanded. */
    bool is_required = cfg->runtime == CONFIG_RUNTIME_DOCKER;
    snprintf(line, sizeof(line), "%s%s", eb.msg,
             is_required ? "" : " (runtime falls back to process; service_map cannot list)");
    return report(is_required ? CHECK_FAIL : CHECK_WARN, "docker", line);
}

/* The LLM endpoint: the locality check, then whether it answers (no chat call). */
static int check_llm(const struct config *cfg)
{
    struct errbuf eb = {{0}};
    struct llm_result r;
    char line[600];
    if (!cfg->llm_base_url)
        return report(CHECK_OK, "llm", "not configured (LLM_BASE_URL unset: no explanations)");
    struct llm_opts o;
    explain_llm_opts(cfg, &o);
    enum err e = llm_probe(&o, &r, &eb);
    if (e == ERR_OK) {
        snprintf(line, sizeof(line), "%s is local and answers (%s, model %s)", r.host,
                 llm_api_name(r.api), cfg->llm_model);
        return report(CHECK_OK, "llm", line);
    }
    /* A refused or malformed endpoint is a configuration error; a silent one may come up. */
    bool is_config = e == ERR_FORBIDDEN || e == ERR_INVALID;
    snprintf(line, sizeof(line), "%s", eb.msg);
    return report(is_config ? CHECK_FAIL : CHECK_WARN, "llm", line);
}

int app_cmd_validate(struct config *cfg, int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "usage: cyberbrain validate\n");
        return 2;
    }
    char line[300];
    snprintf(line, sizeof(line), "runtime=%s redacted=%s port=%d",
             config_runtime_name(cfg->runtime), cfg->is_redacted ? "true" : "false", cfg->port);
    int failed = report(CHECK_OK, "config", line);
    failed += check_database(cfg);
    failed += check_folders(cfg);
    failed += check_docker(cfg);
    failed += check_llm(cfg);
    return failed ? 1 : 0;
}
