/* SPDX-License-Identifier: MIT */
/* app.c -- the subcommand table and process set-up (config, logging, redaction). */
#include "app/app.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "app/app_int.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "version.h"
#include "worker/worker.h"

#define APP_VERSION CB_VERSION

static const struct {
    const char *name;
    app_cmd_fn *fn;
    const char *usage;
} commands[] = {
    {"serve", app_cmd_serve, "serve [--migrate]     HTTP API, web UI, dispatcher on :9595"},
    {"migrate", app_cmd_migrate, "migrate [--check]     apply (or check) database migrations"},
    {"validate", app_cmd_validate, "validate              check config, database, folders, docker"},
    {"run", app_cmd_run, "run TASK...           launch a run, wait, print its report"},
    {"triage", app_cmd_triage,
     "triage [--format md|json] [--log-format FMT] [--assignments OUT.csv] FILE...\n"
     "                        mine log templates and print a summary"},
    {"redact", app_cmd_redact,
     "redact [--spans] [--mask]  redact stdin to stdout (--spans: JSON findings)"},
    {"gpu-sample", app_cmd_gpu_sample,
     "gpu-sample [--format text|json] [--source auto|nvml|nvidia-smi] [--timeout-ms N]\n"
     "                        sample this machine's GPUs once (NVML, else nvidia-smi)"},
    {"token", app_cmd_token, "token create --name N create an API token (printed once)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: cyberbrain COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %s\n", commands[i].usage);
    fprintf(f, "  worker [--input D] [--output D]  run one job (inside a worker)\n");
    fprintf(f, "  version               print the version\n");
    fprintf(f, "\nTasks: log_triage (task1), gpu_report (task2), service_map (task3).\n");
    fprintf(f, "Configuration comes from the environment; see README.md.\n");
}

static void setup_logging(struct config *cfg)
{
    enum log_level level = LOG_INFO;
    log_level_parse(cfg->log_level, &level);
    log_init(2, level, cfg->is_log_json);
    app_redact_setup(cfg);
}

int app_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("cyberbrain %s\n", APP_VERSION);
        return 0;
    }
    json_set_alloc_funcs(xmalloc, xfree);
    signal(SIGPIPE, SIG_IGN);
    /* The worker reads only its job file: it needs none of the service configuration. */
    if (strcmp(argv[1], "worker") == 0)
        return worker_main(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        struct config cfg;
        struct errbuf eb = {{0}};
        if (config_load(&cfg, &eb) != ERR_OK) {
            fprintf(stderr, "cyberbrain: configuration error: %s\n", eb.msg);
            config_fini(&cfg);
            /* validate reports a bad setting as a failed check (exit 1), like its others. */
            if (commands[i].fn == app_cmd_validate) {
                printf("FAIL config     %s\n", eb.msg);
                return 1;
            }
            return 2;
        }
        setup_logging(&cfg);
        int rc = commands[i].fn(&cfg, argc - 1, argv + 1);
        config_fini(&cfg);
        return rc;
    }
    fprintf(stderr, "cyberbrain: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
