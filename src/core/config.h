/* SPDX-License-Identifier: MIT */
/* config.h -- the service configuration, read once from the environment.
 *
 * config_load() validates every variable; a bad value fails with a message that
 * names it. The struct is filled at start-up and read-only afterwards, so any
 * thread may read it. Strings are owned by the struct (config_fini frees them). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

#define CONFIG_REDACT_KEY_LEN 32

enum config_runtime { CONFIG_RUNTIME_AUTO, CONFIG_RUNTIME_DOCKER, CONFIG_RUNTIME_PROCESS };

struct config {
    char *logs_dir;              /* CYBER_BRAIN_LOGS, default ./logs */
    char *uploads_dir;           /* CYBER_BRAIN_UPLOADS, default ./uploads */
    char *db_path;               /* CYBER_BRAIN_DB, default ./data/cyberbrain.db (SQLite) */
    char *pg_conninfo;           /* built from POSTGRES_*; NULL when POSTGRES_HOST is unset */
    char *pg_summary;            /* "user@host:port/db", no password, for messages */
    char *secret_key;            /* CYBER_BRAIN_SECRET_KEY or DJANGO_SECRET_KEY; may be NULL */
    char *bind_addr;             /* CYBER_BRAIN_BIND, default 0.0.0.0 */
    int port;                    /* CYBER_BRAIN_PORT, default 9595, 1..65535 (0 = pick one) */
    enum config_runtime runtime; /* CYBER_BRAIN_RUNTIME auto|docker|process */
    char *docker_host;           /* DOCKER_HOST, default unix:///var/run/docker.sock */
    char *docker_socket;         /* the socket path from docker_host */
    bool is_redacted;            /* DEBUG_REDACTED_MODE, default true */
    bool is_debug;               /* CYBER_BRAIN_DEBUG or DJANGO_DEBUG, default false */
    char *log_level;             /* CYBER_BRAIN_LOG_LEVEL error|warn|info|debug, default info */
    bool is_log_json;            /* CYBER_BRAIN_LOG_FORMAT=json */
    int http_threads;            /* CYBER_BRAIN_HTTP_THREADS, default cores/2 (1..8), 1..64 */
    int db_pool;                 /* CYBER_BRAIN_DB_POOL, default 8, 1..64 */
    int max_concurrent_jobs;     /* CYBER_BRAIN_MAX_JOBS, default 2, 1..64 */
    int64_t job_timeout_ms;      /* CYBER_BRAIN_JOB_TIMEOUT (seconds), default 300 */
    int64_t max_body_bytes;      /* CYBER_BRAIN_MAX_BODY (bytes), default 1 MiB */
    int64_t lookback_s;          /* CYBER_BRAIN_LOOKBACK (seconds) of a first run, default 86400 */
    char *worker_bin;            /* CYBER_BRAIN_WORKER_BIN, default: this executable */
    char *worker_image;          /* CYBER_BRAIN_WORKER_IMAGE, default cyberbrain-worker:<version> */
    char *gpu_worker_image;    /* CYBER_BRAIN_GPU_WORKER_IMAGE for gpu_report; NULL: worker_image */
    char *instance_id;         /* random per process, set by config_load; serve replaces it with
                                * the installation's id from the database */
    int reconcile_interval_s;  /* CYBER_BRAIN_RECONCILE_INTERVAL, default 30, 1..3600 */
    bool is_mcp_read_only;     /* CYBER_BRAIN_MCP_READONLY, default false */
    char *mcp_allowed_origins; /* CYBER_BRAIN_MCP_ALLOWED_ORIGINS: comma list, or NULL */
    char *mcp_allowed_hosts;   /* CYBER_BRAIN_MCP_ALLOWED_HOSTS: comma list, or NULL */
    int mcp_max_sessions;      /* CYBER_BRAIN_MCP_MAX_SESSIONS, default 256, 1..100000 */
    int mcp_session_idle_s;    /* CYBER_BRAIN_MCP_SESSION_IDLE (seconds), default 3600 */
    char *llm_base_url;        /* LLM_BASE_URL; NULL: no LLM (explanations answer 409) */
    char *llm_api;             /* LLM_API openai|ollama|auto, default auto */
    char *llm_model;           /* LLM_MODEL, default "local" */
    char *llm_allowed_hosts;   /* CYBER_BRAIN_LLM_ALLOWED_HOSTS (comma-separated) or NULL */
    int64_t llm_connect_timeout_ms; /* LLM_CONNECT_TIMEOUT (seconds), default 5, 1..120 */
    int64_t llm_timeout_ms;         /* LLM_TIMEOUT (seconds) of a whole call, default 300 */
    int llm_max_prompt_tokens;      /* LLM_MAX_PROMPT_TOKENS, default 4000, 500..4000 */
    int llm_max_tokens;             /* LLM_MAX_TOKENS (answer cap), default 512, 1..8192 */
    bool is_llm_stream;             /* LLM_STREAM: ask the LLM to stream, default true */
    unsigned char redact_key[CONFIG_REDACT_KEY_LEN]; /* keys the redactor's pseudonyms; set by
                                                      * app/ (never logged, never shown) */
    size_t redact_key_len; /* CONFIG_REDACT_KEY_LEN once set, 0 before (mask mode) */
};

/* Read and validate the environment into cfg. On error eb names the variable. */
enum err config_load(struct config *cfg, struct errbuf *eb);
/* Free the strings of cfg. */
void config_fini(struct config *cfg);
/* Parse a boolean ("1/0/true/false/yes/no/on/off", any case); false when not one. */
bool config_parse_bool(const char *s, bool *out);
/* Return the canonical name of a runtime setting ("auto", "docker", "process"). */
const char *config_runtime_name(enum config_runtime rt);
