/* SPDX-License-Identifier: MIT */
/* fuzz_svcmap_hosts.c -- fuzz svcmap_env_hosts on "NAME=value": every host found is a
 * non-empty, lower-case DNS-like word of the value, within the caps, and never repeated. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "svcmap/svcmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[128];
    const char *s = (const char *)data;
    const char *eq = memchr(s, '=', size);
    size_t n = eq ? (size_t)(eq - s) : 0;
    if (n >= sizeof(name))
        n = sizeof(name) - 1;
    memcpy(name, s, n);
    name[n] = '\0';
    const char *value = eq ? eq + 1 : s;
    size_t len = size - (size_t)(value - s);
    char hosts[SVCMAP_HOSTS_PER_VAR][SVCMAP_HOST_MAX];
    size_t found = svcmap_env_hosts(name, value, len, hosts, SVCMAP_HOSTS_PER_VAR);
    if (found > SVCMAP_HOSTS_PER_VAR)
        abort();
    for (size_t i = 0; i < found; i++) {
        size_t k = strlen(hosts[i]);
        if (k == 0 || k >= SVCMAP_HOST_MAX || !isalnum((unsigned char)hosts[i][0]))
            abort();
        for (size_t j = 0; j < k; j++) {
            unsigned char c = (unsigned char)hosts[i][j];
            if (!(islower(c) || isdigit(c) || c == '-' || c == '_' || c == '.'))
                abort();
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(hosts[i], hosts[j]) == 0)
                abort();
        /* It came from the value (compared case-blind within the looked-at part). */
        size_t look = len < SVCMAP_VALUE_MAX ? len : SVCMAP_VALUE_MAX;
        bool seen = false;
        for (size_t p = 0; p + k <= look && !seen; p++)
            seen = strncasecmp(value + p, hosts[i], k) == 0;
        if (!seen)
            abort();
    }
    return 0;
}
