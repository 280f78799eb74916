/* SPDX-License-Identifier: MIT */
/* mcp_server.c -- the endpoint's lifecycle, its route table and auth hook, and the Origin/Host
 * allowlist that keeps a browser page on a foreign name (DNS rebinding) away from /mcp.
 *
 * Allowed Host values: localhost, 127.0.0.1 and [::1] on any port; the machine's own host
 * name when bound to all addresses, or the bound address itself; and CYBER_BRAIN_MCP_ALLOWED_HOSTS
 * ("name" for any port, "name:port", "*" to turn the check off). A request without Origin
 * (not a browser) passes; an Origin passes when it is http(s)://<an allowed host> or listed
 * in CYBER_BRAIN_MCP_ALLOWED_ORIGINS ("*": any). */
#include "mcp/mcp.h"

#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "mcp/mcp_rpc.h"

static void list_add(char ***list, size_t *n, const char *s, size_t len)
{
    *list = xrealloc(*list, (*n + 1) * sizeof(**list));
    (*list)[(*n)++] = xstrndup(s, len);
}

/* Split a comma list into list; "*" sets *any instead. */
static void list_parse(const char *csv, char ***list, size_t *n, bool *any)
{
    for (const char *p = csv; p && *p;) {
        size_t len = strcspn(p, ",");
        const char *a = p, *b = p + len;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '/'))
            b--;
        if (b - a == 1 && *a == '*')
            *any = true;
        else if (b > a)
            list_add(list, n, a, (size_t)(b - a));
        p += len + (p[len] == ',');
    }
}

static void hosts_default(struct mcp_server *m, const char *bind)
{
    static const char *const loop[] = {"localhost", "127.0.0.1", "[::1]"};
    for (size_t i = 0; i < 3; i++)
        list_add(&m->hosts, &m->n_hosts, loop[i], strlen(loop[i]));
    if (!bind || strcmp(bind, "127.0.0.1") == 0 || strcmp(bind, "::1") == 0)
        return;
    if (strcmp(bind, "0.0.0.0") == 0 || strcmp(bind, "::") == 0) {
        char name[256] = {0};
        if (gethostname(name, sizeof(name) - 1) == 0 && name[0])
            list_add(&m->hosts, &m->n_hosts, name, strlen(name));
        return;
    }
    char lit[80];
    snprintf(lit, sizeof(lit), strchr(bind, ':') ? "[%s]" : "%s", bind);
    list_add(&m->hosts, &m->n_hosts, lit, strlen(lit));
}

/* True when hostport ("name", "name:port", "[v6]:port"; len bytes) is allowed. */
static bool host_allowed(const struct mcp_server *m, const char *hostport, size_t len)
{
    size_t name_len = len;
    if (len && hostport[0] == '[') {
        const char *rb = memchr(hostport, ']', len);
        name_len = rb ? (size_t)(rb - hostport) + 1 : len;
    } else {
        const char *colon = memchr(hostport, ':', len);
        name_len = colon ? (size_t)(colon - hostport) : len;
    }
    for (size_t i = 0; i < m->n_hosts; i++) {
        const char *h = m->hosts[i];
        size_t hl = strlen(h);
        bool has_port = h[0] == '[' ? strstr(h, "]:") != NULL : strchr(h, ':') != NULL;
        if (has_port ? (hl == len && strncasecmp(h, hostport, len) == 0)
                     : (hl == name_len && strncasecmp(h, hostport, name_len) == 0))
            return true;
    }
    return false;
}

static bool origin_allowed(const struct mcp_server *m, const char *origin)
{
    if (m->is_any_origin)
        return true;
    size_t olen = strlen(origin);
    while (olen && origin[olen - 1] == '/')
        olen--;
    for (size_t i = 0; i < m->n_origins; i++)
        if (strlen(m->origins[i]) == olen && strncasecmp(m->origins[i], origin, olen) == 0)
            return true;
    const char *rest = NULL;
    if (strncasecmp(origin, "http://", 7) == 0)
        rest = origin + 7;
    else if (strncasecmp(origin, "https://", 8) == 0)
        rest = origin + 8;
    if (!rest)
        return false;
    size_t len = strcspn(rest, "/?#");
    return len > 0 && host_allowed(m, rest, len);
}

bool mcp_server_origin_ok(const struct mcp_server *m, const struct http_req *req)
{
    const char *host = http_req_header(req, "Host");
    if (host && !m->is_any_host && !host_allowed(m, host, strlen(host)))
        return false;
    const char *origin = http_req_header(req, "Origin");
    return !origin || origin_allowed(m, origin);
}

static bool auth_hook(void *app, struct http_req *req, struct http_resp *resp)
{
    struct mcp_server *m = app;
    if (!mcp_server_origin_ok(m, req)) {
        http_reply_error(resp, ERR_FORBIDDEN,
                         "Origin or Host not allowed (see CYBER_BRAIN_MCP_ALLOWED_ORIGINS and "
                         "CYBER_BRAIN_MCP_ALLOWED_HOSTS).");
        return false;
    }
    return http_token_auth_check(&m->auth, req, resp);
}

static enum err verify_token(void *ctx, const char *token, bool *is_valid, struct errbuf *eb)
{
    return store_token_check(ctx, token, is_valid, eb);
}

enum err mcp_server_new(const struct mcp_server_opts *o, struct mcp_server **out, struct errbuf *eb)
{
    (void)eb;
    struct mcp_server *m = xcalloc(1, sizeof(*m));
    const struct config *cfg = o->cfg;
    m->redact.mode = cfg->redact_key_len ? REDACT_PSEUDONYM : REDACT_MASK;
    m->redact.key = cfg->redact_key_len ? cfg->redact_key : NULL;
    m->redact.key_len = cfg->redact_key_len;
    m->env = (struct mcp_env){.cfg = cfg,
                              .st = o->st,
                              .ev = o->ev,
                              .on_launch = o->on_launch,
                              .launch_ctx = o->launch_ctx,
                              .inventory_snapshot = o->inventory_snapshot,
                              .inventory_ctx = o->inventory_ctx,
                              .redact = &m->redact,
                              .explainer = o->explainer};
    mcp_backend_default(&m->be);
    m->sessions = mcp_sessions_new((size_t)cfg->mcp_max_sessions, cfg->mcp_session_idle_s);
    http_token_auth_init(&m->auth, verify_token, o->st);
    hosts_default(m, cfg->bind_addr);
    list_parse(cfg->mcp_allowed_hosts, &m->hosts, &m->n_hosts, &m->is_any_host);
    list_parse(cfg->mcp_allowed_origins, &m->origins, &m->n_origins, &m->is_any_origin);
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    m->max_threads = MCP_MAX_CALL_THREADS;
    m->routes[0] = (struct http_route){HTTP_POST, "/mcp", mcp_http_post, 0,
                                       "MCP endpoint (JSON-RPC 2.0, Streamable HTTP)"};
    m->routes[1] = (struct http_route){HTTP_DELETE, "/mcp", mcp_http_delete, 0,
                                       "End an MCP session (Mcp-Session-Id)"};
    m->mount = (struct http_mount){m->routes, 2, auth_hook, m};
    *out = m;
    return ERR_OK;
}

const struct http_mount *mcp_server_mount(struct mcp_server *m)
{
    return &m->mount;
}

void mcp_server_stop(struct mcp_server *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    m->is_stopping = true;
    while (m->n_threads > 0)
        pthread_cond_wait(&m->cv, &m->mu);
    pthread_mutex_unlock(&m->mu);
}

void mcp_server_free(struct mcp_server *m)
{
    if (!m)
        return;
    mcp_server_stop(m);
    for (size_t i = 0; i < m->n_hosts; i++)
        xfree(m->hosts[i]);
    for (size_t i = 0; i < m->n_origins; i++)
        xfree(m->origins[i]);
    xfree(m->hosts);
    xfree(m->origins);
    mcp_sessions_free(m->sessions);
    http_token_auth_fini(&m->auth);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    xfree(m);
}
