/* SPDX-License-Identifier: MIT */
/* fuzz_route.c -- fuzz the request path helpers: unescape, route matching against the
 * real route table, integer query values and the artifact-name safety check. */
#include "fuzz.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/xalloc.h"
#include "http/http_int.h"

#define FUZZ_PATH_MAX 4096

/* True when some /-separated component of s is exactly "..". */
static bool has_dotdot(const char *s)
{
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p += n;
        if (*p == '/')
            p++;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_PATH_MAX)
        return 0;
    char *path = xstrndup((const char *)data, size);
    size_t before = strlen(path);
    /* Unescaping only ever shortens, and never yields an embedded NUL. */
    if (http_unescape(path) > before || strlen(path) > before)
        abort();
    size_t n = 0;
    const struct http_route *routes = api_routes_get(&n);
    struct http_match m;
    unsigned allow = 0;
    const struct http_route *r = http_router_find(routes, n, HTTP_GET, path, &m, &allow);
    if (r) {
        if (m.n_ids > HTTP_MAX_IDS)
            abort();
        for (size_t i = 0; i < m.n_ids; i++)
            if (m.ids[i] <= 0)
                abort();
        if (m.tail && (m.tail < path || m.tail + m.tail_len > path + strlen(path)))
            abort();
    }
    int64_t v = 0;
    if (http_parse_int64(path, 1, 200, &v) == ERR_OK && (v < 1 || v > 200))
        abort();
    /* A name judged safe never climbs out of its folder or starts at the root. */
    if (http_relpath_is_safe(path, 255) && (path[0] == '/' || has_dotdot(path)))
        abort();
    xfree(path);
    return 0;
}
