/* SPDX-License-Identifier: MIT */
/* mcp_tools_gpu.c -- gpu_status: the newest stored GPU sample (per GPU and per container)
 * and each GPU's peaks over the last hours, the same data as GET /api/gpus/ and the
 * report's planning section reads (store_gpu_latest, store_gpu_peaks). Numbers only. */
#include "core/clock.h"
#include "mcp/mcp_tools_int.h"
#include "store/store.h"

#define GPU_HOURS_DEFAULT 24
#define GPU_HOURS_MAX     (24 * 366)

enum err mcp_tool_gpu_status(
    struct mcp_call *c, const json_t *args, json_t **out, char **text, struct errbuf *eb)
{
    static const char *const known[] = {"hours", NULL};
    int64_t hours = 0;
    char since[CLOCK_ISO_LEN];
    json_t *latest = NULL, *peaks = NULL;
    (void)text; /* the text content is the structured result as JSON */
    enum err e = mcp_args_known(args, known, eb);
    if (e == ERR_OK)
        e = mcp_arg_int(args, "hours", false, 1, GPU_HOURS_MAX, GPU_HOURS_DEFAULT, &hours, eb);
    clock_iso_from_ms(clock_now_ms() - hours * 3600 * 1000, since);
    if (e == ERR_OK)
        e = store_gpu_latest(c->env->st, &latest, eb);
    if (e == ERR_OK)
        e = store_gpu_peaks(c->env->st, since, &peaks, eb);
    if (e != ERR_OK) {
        json_decref(latest);
        json_decref(peaks);
        return mcp_tool_fail(c, e, eb);
    }
    *out = json_pack("{s:o,s:o,s:s,s:I}", "latest", latest ? latest : json_null(), "peaks",
                     peaks ? peaks : json_array(), "since", since, "hours", (json_int_t)hours);
    return ERR_OK;
}
