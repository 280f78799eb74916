/* SPDX-License-Identifier: MIT */
/* api_auth.c -- token authentication for every non-public route (http_token_auth with the
 * store as the verifier). */
#include "api/api_int.h"

enum err api_token_verify(void *ctx, const char *token, bool *is_valid, struct errbuf *eb)
{
    return store_token_check(ctx, token, is_valid, eb);
}

bool api_auth_check(void *app, struct http_req *req, struct http_resp *resp)
{
    struct api_server *a = app;
    return http_token_auth_check(&a->auth, req, resp);
}
