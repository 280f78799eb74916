/* SPDX-License-Identifier: MIT */
/* fuzz_svcmap_graph.c -- fuzz the service map on JSON from outside: svcmap_check never
 * crashes; a map it accepts goes through impact, single points of failure, the difference,
 * DOT and Mermaid; the same JSON taken as inventory items builds a map that passes the
 * check. */
#include <stdlib.h>

#include "core/buf.h"
#include "fuzz.h"
#include "svcmap/svcmap.h"

static void use(const json_t *g)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    svcmap_dot(g, &b);
    buf_reset(&b);
    svcmap_mermaid(g, &b);
    buf_fini(&b);
    json_decref(svcmap_spof(g));
    json_decref(svcmap_diff(g, NULL));
    const json_t *n = json_array_get(json_object_get(g, "nodes"), 0);
    if (n)
        json_decref(svcmap_impact(g, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!j)
        return 0;
    json_t *clean = NULL;
    if (svcmap_check(j, &clean, NULL) == ERR_OK)
        use(clean);
    json_decref(clean);
    clean = NULL;
    json_t *g = svcmap_build(json_is_array(j) ? j : json_object_get(j, "inventory"),
                             json_object_get(j, "networks"), NULL);
    if (svcmap_check(g, &clean, NULL) != ERR_OK)
        abort();
    use(clean);
    json_decref(clean);
    json_decref(g);
    json_decref(j);
    return 0;
}
