/* SPDX-License-Identifier: MIT */
/* api_auth.c -- authentication for every non-public route: a bearer token (http_token_auth
 * with the store as the verifier) or the web UI's session cookie with its CSRF check. */
#include "api/api_int.h"

enum err api_token_verify(void *ctx, const char *token, bool *is_valid, struct errbuf *eb)
{
    return store_token_check(ctx, token, is_valid, eb);
}

bool api_auth_check(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    /* The web UI's cookie session, when no Authorization header says otherwise. */
    if (!http_req_header(req, "Authorization") && api_session_has_cookie(req))
        return api_session_check(a, req, resp);
    return http_token_auth_check(&a->auth, req, resp);
}
