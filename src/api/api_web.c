/* SPDX-License-Identifier: MIT */
/* api_web.c -- the built-in web UI: GET / (web/index.html) and GET /static/NAME (the other
 * files of web/, embedded at build time by scripts/gen-embed.sh). Every answer carries a strict
 * Content-Security-Policy (no inline script or style), nosniff and no framing; files are
 * revalidated with a strong ETag (the content's SHA-256), 304 on If-None-Match. */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/embed.h"

#define WEB_NAME_MAX 128

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                          "form-action 'self'; frame-ancestors 'none'";

void api_web_headers(struct http_resp *resp)
{
    http_resp_header_add(resp, "Content-Security-Policy", csp);
    http_resp_header_add(resp, "X-Content-Type-Options", "nosniff");
    http_resp_header_add(resp, "X-Frame-Options", "DENY");
    http_resp_header_add(resp, "Referrer-Policy", "no-referrer");
}

static const char *content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".json", "application/json"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    }
    return "application/octet-stream";
}

/* The embedded file web/NAME, or NULL. */
static const struct embed_file *web_find(const char *name)
{
    if (!name || !http_relpath_is_safe(name, WEB_NAME_MAX))
        return NULL;
    for (const struct embed_file *f = gen_web; f->path; f++) {
        if (strncmp(f->path, "web/", 4) == 0 && strcmp(f->path + 4, name) == 0)
            return f;
    }
    return NULL;
}

static void web_send(struct http_req *req, struct http_resp *resp, const struct embed_file *f)
{
    if (!f) {
        http_reply_error(resp, ERR_NOT_FOUND, "Not found.");
        api_web_headers(resp);
        return;
    }
    char etag[36];
    snprintf(etag, sizeof(etag), "\"%.32s\"", f->sha256); /* hashed at build time */
    const char *inm = http_req_header(req, "If-None-Match");
    if (inm && strstr(inm, etag))
        http_reply_text(resp, 304, content_type(f->path), "", 0);
    else
        http_reply_text(resp, 200, content_type(f->path), (const char *)f->data, f->len);
    http_resp_header_add(resp, "ETag", etag);
    http_resp_header_add(resp, "Cache-Control", "no-cache");
    api_web_headers(resp);
}

void api_web_index(void *app, struct http_req *req, struct http_resp *resp)
{
    (void)app;
    web_send(req, resp, web_find("index.html"));
}

void api_web_static(void *app, struct http_req *req, struct http_resp *resp)
{
    (void)app;
    web_send(req, resp, web_find(req->tail));
}
