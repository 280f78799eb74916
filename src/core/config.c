/* SPDX-License-Identifier: MIT */
/* config.c -- environment parsing and validation. */
#include "core/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "core/xalloc.h"
#include "version.h"

static const char *env2(const char *name, const char *alias)
{
    const char *v = getenv(name);
    if ((!v || !*v) && alias)
        v = getenv(alias);
    return (v && *v) ? v : NULL;
}

bool config_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

const char *config_runtime_name(enum config_runtime rt)
{
    switch (rt) {
    case CONFIG_RUNTIME_DOCKER:
        return "docker";
    case CONFIG_RUNTIME_PROCESS:
        return "process";
    case CONFIG_RUNTIME_AUTO:
        break;
    }
    return "auto";
}

static enum err
get_bool(const char *name, const char *alias, bool def, bool *out, struct errbuf *eb)
{
    const char *v = env2(name, alias);
    *out = def;
    if (v && !config_parse_bool(v, out))
        return errbuf_set(eb, ERR_INVALID, "%s must be true or false", name);
    return ERR_OK;
}

static enum err get_int(
    const char *name, long long def, long long lo, long long hi, long long *out, struct errbuf *eb)
{
    const char *v = env2(name, NULL);
    *out = def;
    if (!v)
        return ERR_OK;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end != '\0' || n < lo || n > hi)
        return errbuf_set(eb, ERR_INVALID, "%s must be an integer from %lld to %lld", name, lo, hi);
    *out = n;
    return ERR_OK;
}

static char *dup_env(const char *name, const char *alias, const char *def)
{
    const char *v = env2(name, alias);
    return xstrdup(v ? v : def);
}

/* libpq conninfo values are quoted so that spaces and quotes survive. */
static void conninfo_add(struct buf *b, const char *key, const char *val)
{
    if (!val)
        return;
    buf_printf(b, "%s='", key);
    for (const char *p = val; *p; p++) {
        if (*p == '\'' || *p == '\\')
            buf_append(b, "\\", 1);
        buf_append(b, p, 1);
    }
    buf_puts(b, "' ");
}

static enum err load_pg(struct config *cfg, struct errbuf *eb)
{
    const char *host = env2("POSTGRES_HOST", NULL);
    if (!host)
        return ERR_OK;
    long long port;
    enum err e = get_int("POSTGRES_PORT", 5432, 1, 65535, &port, eb);
    if (e != ERR_OK)
        return e;
    const char *db = env2("POSTGRES_DB", NULL);
    const char *user = env2("POSTGRES_USER", NULL);
    struct buf b;
    buf_init(&b, 4096);
    conninfo_add(&b, "host", host);
    buf_printf(&b, "port=%lld ", port);
    conninfo_add(&b, "dbname", db ? db : "cyberbrain");
    conninfo_add(&b, "user", user);
    conninfo_add(&b, "password", env2("POSTGRES_PASSWORD", NULL));
    buf_puts(&b, "connect_timeout=5 application_name=cyberbrain");
    cfg->pg_conninfo = buf_take(&b);
    cfg->pg_summary = xasprintf("%s@%s:%lld/%s", user ? user : "(default user)", host, port,
                                db ? db : "cyberbrain");
    return ERR_OK;
}

static enum err load_runtime(struct config *cfg, struct errbuf *eb)
{
    const char *rt = env2("CYBER_BRAIN_RUNTIME", NULL);
    cfg->runtime = CONFIG_RUNTIME_AUTO;
    if (!rt || strcmp(rt, "auto") == 0)
        return ERR_OK;
    if (strcmp(rt, "docker") == 0)
        cfg->runtime = CONFIG_RUNTIME_DOCKER;
    else if (strcmp(rt, "process") == 0)
        cfg->runtime = CONFIG_RUNTIME_PROCESS;
    else
        return errbuf_set(eb, ERR_INVALID, "CYBER_BRAIN_RUNTIME must be auto, docker or process");
    return ERR_OK;
}

static enum err load_docker(struct config *cfg, struct errbuf *eb)
{
    cfg->docker_host = dup_env("DOCKER_HOST", NULL, "unix:///var/run/docker.sock");
    if (strncmp(cfg->docker_host, "unix://", 7) != 0 || cfg->docker_host[7] != '/')
        return errbuf_set(eb, ERR_INVALID,
                          "DOCKER_HOST must be unix:///path/to/docker.sock (TCP is not supported)");
    cfg->docker_socket = xstrdup(cfg->docker_host + 7);
    return ERR_OK;
}

static enum err load_numbers(struct config *cfg, struct errbuf *eb)
{
    long long v;
    enum err e;
    if ((e = get_int("CYBER_BRAIN_PORT", 9595, 0, 65535, &v, eb)) != ERR_OK)
        return e;
    cfg->port = (int)v;
    /* Half the cores, 1..8: the rest is for the dispatcher, the workers and the database.
     * On 2 cores one event-loop thread gave the best tail latency (see README, bench). */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long threads = cores >= 2 ? cores / 2 : 1;
    if (threads > 8)
        threads = 8;
    if ((e = get_int("CYBER_BRAIN_HTTP_THREADS", threads, 1, 64, &v, eb)) != ERR_OK)
        return e;
    cfg->http_threads = (int)v;
    if ((e = get_int("CYBER_BRAIN_DB_POOL", 8, 1, 64, &v, eb)) != ERR_OK)
        return e;
    cfg->db_pool = (int)v;
    if ((e = get_int("CYBER_BRAIN_MAX_JOBS", 2, 1, 64, &v, eb)) != ERR_OK)
        return e;
    cfg->max_concurrent_jobs = (int)v;
    if ((e = get_int("CYBER_BRAIN_JOB_TIMEOUT", 300, 1, 86400, &v, eb)) != ERR_OK)
        return e;
    cfg->job_timeout_ms = v * 1000;
    if ((e = get_int("CYBER_BRAIN_MAX_BODY", 1 << 20, 1024, 64 << 20, &v, eb)) != ERR_OK)
        return e;
    cfg->max_body_bytes = v;
    if ((e = get_int("CYBER_BRAIN_LOOKBACK", 86400, 60, 366LL * 86400, &v, eb)) != ERR_OK)
        return e;
    cfg->lookback_s = v;
    if ((e = get_int("CYBER_BRAIN_RECONCILE_INTERVAL", 30, 1, 3600, &v, eb)) != ERR_OK)
        return e;
    cfg->reconcile_interval_s = (int)v;
    return ERR_OK;
}

static enum err load_mcp(struct config *cfg, struct errbuf *eb)
{
    long long v;
    enum err e;
    if ((e = get_bool("CYBER_BRAIN_MCP_READONLY", NULL, false, &cfg->is_mcp_read_only, eb)) !=
        ERR_OK)
        return e;
    const char *o = env2("CYBER_BRAIN_MCP_ALLOWED_ORIGINS", NULL);
    cfg->mcp_allowed_origins = o ? xstrdup(o) : NULL;
    const char *h = env2("CYBER_BRAIN_MCP_ALLOWED_HOSTS", NULL);
    cfg->mcp_allowed_hosts = h ? xstrdup(h) : NULL;
    if ((e = get_int("CYBER_BRAIN_MCP_MAX_SESSIONS", 256, 1, 100000, &v, eb)) != ERR_OK)
        return e;
    cfg->mcp_max_sessions = (int)v;
    if ((e = get_int("CYBER_BRAIN_MCP_SESSION_IDLE", 3600, 10, 7 * 86400, &v, eb)) != ERR_OK)
        return e;
    cfg->mcp_session_idle_s = (int)v;
    return ERR_OK;
}

static enum err load_log(struct config *cfg, struct errbuf *eb)
{
    cfg->log_level = dup_env("CYBER_BRAIN_LOG_LEVEL", NULL, "info");
    if (strcmp(cfg->log_level, "error") && strcmp(cfg->log_level, "warn") &&
        strcmp(cfg->log_level, "info") && strcmp(cfg->log_level, "debug"))
        return errbuf_set(eb, ERR_INVALID,
                          "CYBER_BRAIN_LOG_LEVEL must be error, warn, info or debug");
    const char *fmt = env2("CYBER_BRAIN_LOG_FORMAT", NULL);
    if (fmt && strcmp(fmt, "json") && strcmp(fmt, "text"))
        return errbuf_set(eb, ERR_INVALID, "CYBER_BRAIN_LOG_FORMAT must be text or json");
    cfg->is_log_json = fmt && strcmp(fmt, "json") == 0;
    return ERR_OK;
}

static enum err load_llm(struct config *cfg, struct errbuf *eb)
{
    long long v;
    enum err e;
    const char *url = env2("LLM_BASE_URL", NULL);
    cfg->llm_base_url = url && *url ? xstrdup(url) : NULL;
    cfg->llm_api = dup_env("LLM_API", NULL, "auto");
    if (strcmp(cfg->llm_api, "auto") && strcmp(cfg->llm_api, "openai") &&
        strcmp(cfg->llm_api, "ollama"))
        return errbuf_set(eb, ERR_INVALID, "LLM_API must be auto, openai or ollama");
    cfg->llm_model = dup_env("LLM_MODEL", NULL, "local");
    if (!*cfg->llm_model || strlen(cfg->llm_model) > 128)
        return errbuf_set(eb, ERR_INVALID, "LLM_MODEL must be 1 to 128 bytes");
    const char *allowed = env2("CYBER_BRAIN_LLM_ALLOWED_HOSTS", NULL);
    cfg->llm_allowed_hosts = allowed && *allowed ? xstrdup(allowed) : NULL;
    if ((e = get_int("LLM_CONNECT_TIMEOUT", 5, 1, 120, &v, eb)) != ERR_OK)
        return e;
    cfg->llm_connect_timeout_ms = v * 1000;
    if ((e = get_int("LLM_TIMEOUT", 300, 1, 3600, &v, eb)) != ERR_OK)
        return e;
    cfg->llm_timeout_ms = v * 1000;
    if ((e = get_int("LLM_MAX_PROMPT_TOKENS", 4000, 500, 4000, &v, eb)) != ERR_OK)
        return e;
    cfg->llm_max_prompt_tokens = (int)v;
    if ((e = get_int("LLM_MAX_TOKENS", 512, 1, 8192, &v, eb)) != ERR_OK)
        return e;
    cfg->llm_max_tokens = (int)v;
    return get_bool("LLM_STREAM", NULL, true, &cfg->is_llm_stream, eb);
}

enum err config_load(struct config *cfg, struct errbuf *eb)
{
    enum err e;
    memset(cfg, 0, sizeof(*cfg));
    cfg->logs_dir = dup_env("CYBER_BRAIN_LOGS", NULL, "./logs");
    cfg->uploads_dir = dup_env("CYBER_BRAIN_UPLOADS", NULL, "./uploads");
    cfg->db_path = dup_env("CYBER_BRAIN_DB", NULL, "./data/cyberbrain.db");
    cfg->bind_addr = dup_env("CYBER_BRAIN_BIND", NULL, "0.0.0.0");
    const char *secret = env2("CYBER_BRAIN_SECRET_KEY", "DJANGO_SECRET_KEY");
    cfg->secret_key = secret ? xstrdup(secret) : NULL;
    const char *wb = env2("CYBER_BRAIN_WORKER_BIN", NULL);
    cfg->worker_bin = wb ? xstrdup(wb) : NULL;
    cfg->worker_image = dup_env("CYBER_BRAIN_WORKER_IMAGE", NULL, "cyberbrain-worker:" CB_VERSION);
    const char *gi = env2("CYBER_BRAIN_GPU_WORKER_IMAGE", NULL);
    cfg->gpu_worker_image = gi && *gi ? xstrdup(gi) : NULL;
    char id[17];
    if (crypto_random_hex(8, id, sizeof(id)) != ERR_OK)
        return errbuf_set(eb, ERR_IO, "cannot read random bytes for the instance id");
    cfg->instance_id = xstrdup(id);
    if ((e = get_bool("DEBUG_REDACTED_MODE", NULL, true, &cfg->is_redacted, eb)) != ERR_OK)
        return e;
    if ((e = get_bool("CYBER_BRAIN_DEBUG", "DJANGO_DEBUG", false, &cfg->is_debug, eb)) != ERR_OK)
        return e;
    if ((e = load_numbers(cfg, eb)) != ERR_OK)
        return e;
    if ((e = load_runtime(cfg, eb)) != ERR_OK)
        return e;
    if ((e = load_docker(cfg, eb)) != ERR_OK)
        return e;
    if ((e = load_log(cfg, eb)) != ERR_OK)
        return e;
    if ((e = load_mcp(cfg, eb)) != ERR_OK)
        return e;
    if ((e = load_llm(cfg, eb)) != ERR_OK)
        return e;
    if (secret && strlen(secret) < 16)
        return errbuf_set(eb, ERR_INVALID, "CYBER_BRAIN_SECRET_KEY must be at least 16 characters");
    return load_pg(cfg, eb);
}

void config_fini(struct config *cfg)
{
    xfree(cfg->logs_dir);
    xfree(cfg->uploads_dir);
    xfree(cfg->db_path);
    if (cfg->pg_conninfo)
        xfree_zero(cfg->pg_conninfo, strlen(cfg->pg_conninfo));
    xfree(cfg->pg_summary);
    if (cfg->secret_key)
        xfree_zero(cfg->secret_key, strlen(cfg->secret_key));
    xfree(cfg->bind_addr);
    xfree(cfg->docker_host);
    xfree(cfg->docker_socket);
    xfree(cfg->log_level);
    xfree(cfg->worker_bin);
    xfree(cfg->worker_image);
    xfree(cfg->gpu_worker_image);
    xfree(cfg->instance_id);
    xfree(cfg->mcp_allowed_origins);
    xfree(cfg->mcp_allowed_hosts);
    xfree(cfg->llm_base_url);
    xfree(cfg->llm_api);
    xfree(cfg->llm_model);
    xfree(cfg->llm_allowed_hosts);
    memset(cfg, 0, sizeof(*cfg));
}
