/* SPDX-License-Identifier: MIT */
/* http_router.c -- match a path against the static route table and dispatch.
 *
 * Patterns are '/'-separated segments: literals, {id} (a positive int64 without sign or
 * leading zeros) and a last {name...} that takes the rest of the path. Trailing slashes
 * are ignored on both sides, so "/api/runs" and "/api/runs/" are one route. */
#include "http/http.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "http/http_int.h"

static size_t seg_len(const char *s)
{
    const char *slash = strchr(s, '/');
    return slash ? (size_t)(slash - s) : strlen(s);
}

/* Parse a positive int64 from len bytes; false when not one. */
static bool parse_id(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 19 || s[0] == '0')
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        int d = s[i] - '0';
        if (v > (INT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* Length of s without its trailing slashes (but keep a lone "/"). */
static size_t trimmed_len(const char *s)
{
    size_t n = strlen(s);
    while (n > 1 && s[n - 1] == '/')
        n--;
    return n;
}

TESTABLE bool http_route_match(const char *pattern, const char *path, struct http_match *m)
{
    memset(m, 0, sizeof(*m));
    size_t p_end = trimmed_len(pattern), s_end = trimmed_len(path);
    size_t pi = 0, si = 0;
    while (pi < p_end && si < s_end) {
        if (pattern[pi] == '/' || path[si] == '/') {
            if (pattern[pi] != path[si])
                return false;
            pi++;
            si++;
            continue;
        }
        size_t pl = seg_len(pattern + pi), sl = seg_len(path + si);
        if (pi + pl > p_end)
            pl = p_end - pi;
        if (si + sl > s_end)
            sl = s_end - si;
        if (pl == 9 && memcmp(pattern + pi, "{name...}", 9) == 0) {
            m->tail = path + si;
            m->tail_len = s_end - si;
            return true;
        }
        if (pl == 4 && memcmp(pattern + pi, "{id}", 4) == 0) {
            if (m->n_ids >= HTTP_MAX_IDS || !parse_id(path + si, sl, &m->ids[m->n_ids]))
                return false;
            m->n_ids++;
        } else if (pl != sl || memcmp(pattern + pi, path + si, pl) != 0) {
            return false;
        }
        pi += pl;
        si += sl;
    }
    return pi == p_end && si == s_end;
}

TESTABLE const struct http_route *http_router_find(const struct http_route *routes,
                                                   size_t n,
                                                   enum http_method method,
                                                   const char *path,
                                                   struct http_match *m,
                                                   unsigned *allow)
{
    struct http_match tmp;
    *allow = 0;
    for (size_t i = 0; i < n; i++) {
        if (!http_route_match(routes[i].pattern, path, &tmp))
            continue;
        if (routes[i].method == method) {
            *m = tmp;
            return &routes[i];
        }
        *allow |= (unsigned)routes[i].method;
    }
    return NULL;
}

TESTABLE enum http_method http_method_parse(const char *s)
{
    static const struct {
        const char *name;
        enum http_method m;
    } tab[] = {{"GET", HTTP_GET},        {"POST", HTTP_POST},     {"PUT", HTTP_PUT},
               {"PATCH", HTTP_PATCH},    {"DELETE", HTTP_DELETE}, {"HEAD", HTTP_HEAD},
               {"OPTIONS", HTTP_OPTIONS}};
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (strcmp(s, tab[i].name) == 0)
            return tab[i].m;
    return HTTP_OTHER;
}

const char *http_method_name(enum http_method m)
{
    switch (m) {
    case HTTP_GET:
        return "GET";
    case HTTP_POST:
        return "POST";
    case HTTP_PUT:
        return "PUT";
    case HTTP_PATCH:
        return "PATCH";
    case HTTP_DELETE:
        return "DELETE";
    case HTTP_HEAD:
        return "HEAD";
    case HTTP_OPTIONS:
        return "OPTIONS";
    case HTTP_OTHER:
        break;
    }
    return "OTHER";
}

TESTABLE void http_allow_format(unsigned mask, char *out, size_t out_cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (unsigned bit = HTTP_GET; bit <= HTTP_OPTIONS; bit <<= 1) {
        if (!(mask & bit))
            continue;
        int n = snprintf(out + len, out_cap - len, "%s%s", len ? ", " : "",
                         http_method_name((enum http_method)bit));
        if (n < 0 || (size_t)n >= out_cap - len)
            return;
        len += (size_t)n;
    }
}

/* Find the route in the main table, then in each mount; *set_auth and *set_app get the hook and
 * context of the table it came from. */
static const struct http_route *find_any(struct http_server *s,
                                         const struct http_req *req,
                                         struct http_match *m,
                                         unsigned *allow,
                                         http_auth_fn **set_auth,
                                         void **set_app)
{
    unsigned more = 0;
    const struct http_route *r =
        http_router_find(s->o.routes, s->o.n_routes, req->method, req->path, m, allow);
    *set_auth = s->o.auth;
    *set_app = s->o.app;
    for (size_t i = 0; !r && i < s->o.n_mounts; i++) {
        const struct http_mount *mt = &s->o.mounts[i];
        r = http_router_find(mt->routes, mt->n_routes, req->method, req->path, m, &more);
        *allow |= more;
        *set_auth = mt->auth;
        *set_app = mt->app;
    }
    return r;
}

void http_router_dispatch(struct http_server *s, struct http_req *req, struct http_resp *resp)
{
    struct http_match m;
    unsigned allow = 0;
    http_auth_fn *auth = NULL;
    void *app = NULL;
    const struct http_route *r = find_any(s, req, &m, &allow, &auth, &app);
    if (!r) {
        if (!allow) {
            http_reply_error(resp, ERR_NOT_FOUND, "Not found.");
            return;
        }
        char allow_txt[64], detail[96];
        http_allow_format(allow, allow_txt, sizeof(allow_txt));
        snprintf(detail, sizeof(detail), "Method \"%s\" not allowed.",
                 http_method_name(req->method));
        http_reply_error(resp, ERR_METHOD, detail);
        http_resp_header_add(resp, "Allow", allow_txt);
        return;
    }
    memcpy(req->ids, m.ids, sizeof(req->ids));
    req->n_ids = m.n_ids;
    if (m.tail)
        req->tail = xstrndup(m.tail, m.tail_len);
    if (!(r->flags & HTTP_ROUTE_PUBLIC) && auth && !auth(app, req, resp))
        return;
    r->handler(app, req, resp);
    if (!resp->mhd) {
        log_error("http", "event=handler.no_reply pattern=%s", r->pattern);
        http_reply_error(resp, ERR_INTERNAL, NULL);
    }
}
