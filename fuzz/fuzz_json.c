/* SPDX-License-Identifier: MIT */
/* fuzz_json.c -- fuzz jsonx_parse: arbitrary bytes, 64 KiB cap; dump and re-parse. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/xalloc.h"

#define FUZZ_JSON_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct errbuf eb = {{0}};
    json_t *j = NULL;
    enum err e = jsonx_parse((const char *)data, size, FUZZ_JSON_MAX, &j, &eb);
    if (e != ERR_OK) {
        /* Failures carry a message and no value. */
        if (j || !eb.msg[0] || (e != ERR_PARSE && e != ERR_TOO_LARGE))
            abort();
        return 0;
    }
    if (!j)
        abort();
    /* What we accepted must dump to JSON that parses back to an equal value. */
    char *s = jsonx_dumps(j);
    json_t *k = NULL;
    if (jsonx_parse(s, strlen(s), 16 * FUZZ_JSON_MAX, &k, NULL) != ERR_OK || !json_equal(j, k))
        abort();
    json_decref(k);
    xfree(s);
    json_decref(j);
    return 0;
}
