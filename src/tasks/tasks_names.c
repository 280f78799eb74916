/* SPDX-License-Identifier: MIT */
/* tasks_names.c -- the three task names and their aliases (task1..task3). */
#include "tasks/tasks.h"

#include <string.h>

static const char *const canonical[] = {"log_triage", "gpu_report", "service_map", NULL};
static const char *const aliases[] = {"task1", "task2", "task3"};

const char *tasks_canonical_name(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; canonical[i]; i++)
        if (strcmp(name, canonical[i]) == 0 || strcmp(name, aliases[i]) == 0)
            return canonical[i];
    return NULL;
}

const char *const *tasks_all_names(void)
{
    return canonical;
}
