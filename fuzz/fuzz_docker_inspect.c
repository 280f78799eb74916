/* SPDX-License-Identifier: MIT */
/* fuzz_docker_inspect.c -- fuzz docker_inspect_summary: arbitrary bytes parsed as JSON
 * (any shape, not only an inspect answer) and summarised. Invariants: the summary is an
 * object, serialises within 64 KiB, and no value of a Config.Env entry whose value is
 * long enough to be unambiguous (>= 16 bytes, no '"' or '\\') appears in it. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/xalloc.h"
#include "docker/docker.h"
#include "fuzz.h"

#define FUZZ_INSPECT_IN_MAX  (256 * 1024)
#define FUZZ_INSPECT_OUT_MAX (64 * 1024)

/* True when s is printable ASCII without '"' or '\\' (dumped as is) and >= 16 bytes. */
static bool is_plain(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (s[n] < 0x20 || s[n] > 0x7e || s[n] == '"' || s[n] == '\\')
            return false;
    return n >= 16;
}

/* abort() when the value of an env entry "K=V" shows in dump although nothing but the
 * env values holds it (the rest of raw and the env names may, legitimately). */
static void check_env(const json_t *raw, const char *dump)
{
    json_t *rest = json_deep_copy(raw);
    json_t *env = json_object_get(json_object_get(raw, "Config"), "Env");
    json_object_del(json_object_get(rest, "Config"), "Env");
    char *rest_dump = jsonx_dumps(rest);
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v)
    {
        const char *kv = json_string_value(v), *eq = kv ? strchr(kv, '=') : NULL;
        if (!eq || !is_plain(eq + 1) || !strstr(dump, eq + 1))
            continue;
        bool in_rest = rest_dump && strstr(rest_dump, eq + 1);
        size_t j;
        json_t *w;
        json_array_foreach(env, j, w)
        {
            const char *kw = json_string_value(w), *eqw = kw ? strchr(kw, '=') : NULL;
            size_t klen = eqw ? (size_t)(eqw - kw) : (kw ? strlen(kw) : 0);
            in_rest |= kw && memmem(kw, klen, eq + 1, strlen(eq + 1)) != NULL;
        }
        if (!in_rest)
            abort();
    }
    xfree(rest_dump);
    json_decref(rest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *raw = NULL;
    if (jsonx_parse((const char *)data, size, FUZZ_INSPECT_IN_MAX, &raw, NULL) != ERR_OK)
        return 0;
    json_t *sum = docker_inspect_summary(raw);
    if (!json_is_object(sum))
        abort();
    char *dump = jsonx_dumps(sum);
    if (!dump || strlen(dump) > FUZZ_INSPECT_OUT_MAX)
        abort();
    check_env(raw, dump);
    xfree(dump);
    json_decref(sum);
    json_decref(raw);
    return 0;
}
