/* SPDX-License-Identifier: MIT */
/* fuzz_docker_ref.c -- fuzz docker_ref_parse; the canonical form must parse to itself. */
#include <stdlib.h>
#include <string.h>

#include "core/docker_ref.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[DOCKER_REF_MAX + 8];
    if (size >= sizeof(s))
        size = sizeof(s) - 1;
    memcpy(s, data, size);
    s[size] = '\0';
    struct docker_ref r;
    if (docker_ref_parse(s, &r, NULL) != ERR_OK)
        return 0;
    /* Invariants: parts are non-empty, the repository is lowercase, and the canonical
     * form parses back to the same canonical form and parts. */
    if (!r.registry[0] || !r.repository[0] || !r.tag[0] || strlen(r.canonical) > DOCKER_REF_MAX)
        abort();
    for (const char *p = r.repository; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            abort();
    struct docker_ref back;
    if (docker_ref_parse(r.canonical, &back, NULL) != ERR_OK)
        abort();
    if (strcmp(back.canonical, r.canonical) != 0 || strcmp(back.name, r.name) != 0 ||
        strcmp(back.tag, r.tag) != 0 || strcmp(back.digest, r.digest) != 0)
        abort();
    return 0;
}
