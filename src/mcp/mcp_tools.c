/* SPDX-License-Identifier: MIT */
/* mcp_tools.c -- the MCP tool table: names, titles, descriptions, input and output JSON
 * Schemas and annotations, sorted by name. The functions live in the other mcp_tools_*.c
 * files; each answers a structured result that matches its output schema
 * (tests/unit/test_mcp_tools.c checks every one). */
#include "mcp/mcp_tools_int.h"

/* ---- schema pieces (JSON text); P(key, schema) is one property ---- */
/* clang-format off */
#define Q(s)          "\"" s "\""
#define P(k, v)       Q(k) ":" v
#define TYPE(t)       "{" P("type", Q(t)) "}"
#define NULLABLE(t)   "{" P("type", "[" Q(t) "," Q("null") "]") "}"
#define INT           TYPE("integer")
#define STR           TYPE("string")
#define BOOL          TYPE("boolean")
#define OBJ           TYPE("object")
#define INT_N         NULLABLE("integer")
#define STR_N         NULLABLE("string")
#define OBJ_N         NULLABLE("object")
#define ARR(it)       "{" P("type", Q("array")) "," P("items", it) "}"
#define ID_ARG        "{" P("type", Q("integer")) "," P("minimum", "1") "}"
#define ENUM(...)     "{" P("type", Q("string")) "," P("enum", "[" __VA_ARGS__ "]") "}"
#define OBJECT(props, req) \
    "{" P("type", Q("object")) "," P("properties", "{" props "}") "," P("required", "[" req "]") "}"
/* Arguments: additional properties are refused (an unknown argument is ERR_INVALID). */
#define ARGS(props, req) \
    "{" P("type", Q("object")) "," P("properties", "{" props "}") "," P("required", "[" req "]") \
    "," P("additionalProperties", "false") "}"
#define NO_ARGS       ARGS(, )

#define RUN_STATES    ENUM(Q("queued") "," Q("running") "," Q("success") "," Q("partial") "," \
                           Q("failed") "," Q("cancelled"))
#define TASK_NAMES    ENUM(Q("log_triage") "," Q("gpu_report") "," Q("service_map") "," \
                           Q("task1") "," Q("task2") "," Q("task3"))
#define TOKENS        OBJECT(P("prompt_tokens", INT) "," P("completion_tokens", INT) "," \
                             P("total_tokens", INT), \
                             Q("prompt_tokens") "," Q("completion_tokens") "," Q("total_tokens"))
#define JOB           OBJECT(P("id", INT) "," P("run_id", INT) "," P("task", STR) "," \
                             P("status", STR) "," P("window_start", STR_N) "," \
                             P("window_end", STR_N) "," P("started_at", STR_N) "," \
                             P("finished_at", STR_N) "," P("error", STR_N) "," \
                             P("summary", OBJ_N), \
                             Q("id") "," Q("task") "," Q("status"))
#define RUN_PROPS     P("id", INT) "," P("status", RUN_STATES) "," P("tasks", ARR(STR)) "," \
                      P("directive_id", INT_N) "," P("directive_snapshot", OBJ_N) "," \
                      P("created_at", STR) "," P("started_at", STR_N) "," \
                      P("finished_at", STR_N) "," P("error", STR_N) "," P("jobs", ARR(JOB)) "," \
                      P("token_totals", TOKENS)
#define RUN_REQ       Q("id") "," Q("status") "," Q("tasks") "," Q("created_at") "," \
                      Q("token_totals")
#define RUN           OBJECT(RUN_PROPS, RUN_REQ)
#define RUN_WITH_JOBS OBJECT(RUN_PROPS, RUN_REQ "," Q("jobs"))
#define LIST(key, item) \
    OBJECT(P(key, ARR(item)) "," P("count", INT) "," P("is_truncated", BOOL), \
           Q(key) "," Q("count") "," Q("is_truncated"))
#define DIRECTIVE     OBJECT(P("id", INT) "," P("key", STR) "," P("name", STR) "," \
                             P("version", INT) "," P("text", STR_N) "," P("config", OBJ_N) "," \
                             P("is_active", BOOL), \
                             Q("id") "," Q("key") "," Q("name") "," Q("version"))
#define IMAGE         OBJECT(P("id", INT) "," P("image_name", STR) "," P("image_tag", STR) "," \
                             P("digest", STR_N) "," P("requires_gpu", BOOL) "," \
                             P("is_active", BOOL), \
                             Q("id") "," Q("image_name") "," Q("image_tag") "," Q("is_active"))
#define CONTAINER     OBJECT(P("id", INT) "," P("container_ref", STR) "," P("is_active", BOOL) "," \
                             P("note", STR_N) "," P("created_at", STR), \
                             Q("id") "," Q("container_ref") "," Q("is_active"))
#define AUDIT         OBJECT(P("id", INT) "," P("ts", STR) "," P("action", STR) "," \
                             P("image", STR_N) "," P("container_id", STR_N) "," \
                             P("run_id", INT_N) "," P("job_id", INT_N) "," P("reason", STR_N), \
                             Q("id") "," Q("ts") "," Q("action"))
#define USAGE_SUMS    P("calls", INT) "," P("calls_with_counts", INT) "," \
                      P("prompt_tokens", INT_N) "," P("completion_tokens", INT_N) "," \
                      P("total_tokens", INT_N)
#define USAGE_REQ     Q("calls") "," Q("calls_with_counts") "," Q("prompt_tokens") "," \
                      Q("completion_tokens") "," Q("total_tokens")
#define USAGE_BY(k, t) ARR(OBJECT(P(k, t) "," USAGE_SUMS, Q(k) "," USAGE_REQ))
#define MAP_NODE      OBJECT(P("id", STR) "," P("name", STR) "," \
                             P("kind", ENUM(Q("container") "," Q("network") "," Q("volume") "," \
                                            Q("port"))), \
                             Q("id") "," Q("name") "," Q("kind"))
#define MAP_EDGE      OBJECT(P("from", STR) "," P("to", STR) "," \
                             P("type", ENUM(Q("shares_network") "," Q("depends_on") "," \
                                            Q("env_reference") "," Q("link") "," \
                                            Q("shared_volume") "," Q("publishes") "," \
                                            Q("observed"))) "," \
                             P("evidence", STR), \
                             Q("from") "," Q("to") "," Q("type") "," Q("evidence"))
#define DESCRIBED(schema_head, text) "{" schema_head "," P("description", Q(text)) "}"

/* ---- input schemas ---- */
#define IN_LAUNCH \
    ARGS(P("tasks", "{" P("type", Q("array")) "," P("items", TASK_NAMES) "," \
                    P("maxItems", "16") "," \
                    P("description", Q("tasks to run; none or []: all three")) "}") "," \
         P("directive_id", ID_ARG) "," \
         P("directive_text", "{" P("type", Q("string")) "," P("minLength", "1") "," \
                             P("maxLength", "65536") "}") "," \
         P("wait", DESCRIBED(P("type", Q("boolean")), \
                             "stream progress until the run ends, then answer its report")) "," \
         P("wait_timeout_s", DESCRIBED(P("type", Q("integer")) "," P("minimum", "1") "," \
                                       P("maximum", "604800"), \
                                       "stop waiting sooner than the job-timeout bound")), )
#define IN_RUN_ID     ARGS(P("run_id", ID_ARG), Q("run_id"))
#define IN_LIST_RUNS \
    ARGS(P("status", RUN_STATES) "," P("task", TASK_NAMES) "," \
         P("cursor", DESCRIBED(P("type", Q("string")), "next_cursor of the page before")) "," \
         P("limit", "{" P("type", Q("integer")) "," P("minimum", "1") "," P("maximum", "100") "}"), )
#define IN_REPORT \
    ARGS(P("run_id", ID_ARG) "," P("format", ENUM(Q("markdown") "," Q("json"))), Q("run_id"))
#define IN_SET_CT \
    ARGS(P("entries", "{" P("type", Q("array")) "," P("maxItems", "1000") "," \
                      P("items", OBJECT(P("container_ref", STR) "," P("is_active", BOOL) "," \
                                      P("note", STR_N), Q("container_ref"))) "}"), \
         Q("entries"))
#define IN_DIRECTIVE  ARGS(P("directive_id", ID_ARG), Q("directive_id"))
#define IN_INVENTORY  ARGS(P("snapshot_id", ID_ARG), )
#define IN_SVCMAP \
    ARGS(P("include_mermaid", DESCRIBED(P("type", Q("boolean")), \
                                        "also answer the map as Mermaid flowchart text")), )
#define IN_IMPACT \
    ARGS(P("node", "{" P("type", Q("string")) "," P("minLength", "1") "," P("maxLength", "256") \
                   "," P("description", Q("a node name (container, network, volume, port) " \
                                          "or id such as container:db")) "}"), \
         Q("node"))
#define IN_GPU \
    ARGS(P("hours", "{" P("type", Q("integer")) "," P("minimum", "1") "," P("maximum", "8784") \
                    "," P("description", Q("window of the peaks, in hours; default 24")) "}"), )
#define IN_USAGE \
    ARGS(P("period", "{" P("type", Q("string")) "," \
                     P("enum", "[" Q("day") "," Q("week") "," Q("month") "," Q("all") "]") "," \
                     P("description", Q("bucket size; default day")) "}"), )
#define IN_AUDIT \
    ARGS(P("limit", "{" P("type", Q("integer")) "," P("minimum", "1") "," P("maximum", "100") "}") \
         "," P("action", ENUM(Q("spawn") "," Q("deny") "," Q("deadline_kill") "," Q("exit") "," \
                              Q("remove") "," Q("reconcile") "," Q("llm_refused"))) "," \
         P("run_id", ID_ARG), )

/* ---- output schemas ---- */
#define OUT_LAUNCH    OBJECT(P("run", RUN_WITH_JOBS) "," P("report", OBJ_N), Q("run"))
#define OUT_RUNS      OBJECT(P("runs", ARR(RUN)) "," P("count", INT) "," P("next_cursor", STR_N), \
                             Q("runs") "," Q("count") "," Q("next_cursor"))
#define OUT_REPORT    OBJECT(P("run_id", INT) "," P("status", RUN_STATES) "," P("format", STR) "," \
                             P("markdown", STR) "," P("report", OBJ_N) "," \
                             P("token_totals", TOKENS), \
                             Q("run_id") "," Q("status") "," Q("format") "," Q("token_totals"))
#define OUT_INVENTORY OBJECT(P("id", INT) "," P("taken_at", STR) "," P("source", STR) "," \
                             P("run_id", INT_N) "," P("container_count", INT) "," \
                             P("items", ARR(OBJ)), \
                             Q("id") "," Q("taken_at") "," Q("source") "," \
                             Q("container_count") "," Q("items"))
#define OUT_USAGE     OBJECT(P("period", STR) "," P("by_model", USAGE_BY("model", STR)) "," \
                             P("by_task", USAGE_BY("task", STR_N)) "," \
                             P("by_period", USAGE_BY("period", STR)) "," \
                             P("totals", OBJECT(USAGE_SUMS, USAGE_REQ)) "," \
                             P("is_truncated", BOOL), \
                             Q("period") "," Q("by_model") "," Q("by_task") "," Q("by_period") \
                             "," Q("totals") "," Q("is_truncated"))
#define OUT_AUDIT     OBJECT(P("entries", ARR(AUDIT)) "," P("count", INT), \
                             Q("entries") "," Q("count"))
#define OUT_SVCMAP    OBJECT(P("id", INT) "," P("run_id", INT) "," P("created_at", STR) "," \
                             P("nodes", ARR(MAP_NODE)) "," P("edges", ARR(MAP_EDGE)) "," \
                             P("spof", ARR(OBJ)) "," P("changes", OBJ) "," P("mermaid", STR), \
                             Q("id") "," Q("run_id") "," Q("nodes") "," Q("edges") "," \
                             Q("spof") "," Q("changes"))
#define GPU_PEAK      OBJECT(P("gpu_uuid", STR) "," P("peak_used_mib", INT_N) "," \
                             P("peak_temperature_c", INT_N) "," \
                             P("peak_power_draw_w", NULLABLE("number")) "," \
                             P("samples", INT) "," P("first_at", STR), \
                             Q("gpu_uuid") "," Q("samples"))
#define GPU_LATEST    "{" P("type", "[" Q("object") "," Q("null") "]") "," \
                      P("properties", "{" P("job_id", INT) "," P("run_id", INT) "," \
                                      P("sampled_at", STR) "," P("gpus", ARR(OBJ)) "," \
                                      P("containers", ARR(OBJ)) "}") "}"
#define OUT_GPU       OBJECT(P("latest", GPU_LATEST) "," P("peaks", ARR(GPU_PEAK)) "," \
                             P("since", STR) "," P("hours", INT), \
                             Q("latest") "," Q("peaks") "," Q("since") "," Q("hours"))
#define IMPACTED      OBJECT(P("id", STR) "," P("name", STR) "," P("kind", STR) "," \
                             P("depth", INT), \
                             Q("id") "," Q("name") "," Q("kind") "," Q("depth"))
#define OUT_IMPACT    OBJECT(P("node", MAP_NODE) "," P("impacted", ARR(IMPACTED)) "," \
                             P("count", INT) "," P("map_id", INT) "," P("run_id", INT), \
                             Q("node") "," Q("impacted") "," Q("count") "," Q("map_id"))
#define OUT_EXPLAIN   OBJECT(P("run_id", INT) "," P("model", STR) "," \
                             P("api", ENUM(Q("openai") "," Q("ollama"))) "," \
                             P("prompt_tokens", INT_N) "," P("completion_tokens", INT_N) "," \
                             P("total_tokens", INT_N) "," P("duration_ms", INT) "," \
                             P("llm_call_id", INT_N), \
                             Q("run_id") "," Q("model") "," Q("prompt_tokens") "," \
                             Q("completion_tokens") "," Q("total_tokens") "," Q("duration_ms"))
/* clang-format on */

#define RO (MCP_TOOL_READ_ONLY | MCP_TOOL_IDEMPOTENT)

static const struct mcp_tool tools[] = {
    {"cancel_run", "Cancel a run",
     "Cancel a queued or running run: its queued jobs end as cancelled and running jobs are "
     "stopped. Fails when the run already ended.",
     IN_RUN_ID, RUN_WITH_JOBS, MCP_TOOL_DESTRUCTIVE | MCP_TOOL_IDEMPOTENT, mcp_tool_cancel_run},
    {"explain_run", "Explain a run",
     "Ask the local LLM to explain an ended run from its redacted report (findings, never raw "
     "logs). The text is streamed as progress messages and returned whole; it is never stored. "
     "Read-only: it changes no run, directive or allowlist, only records the call's token "
     "counts (and an audit row when the endpoint is refused as not local). Not idempotent: "
     "each call asks the model again.",
     IN_RUN_ID, OUT_EXPLAIN, MCP_TOOL_READ_ONLY | MCP_TOOL_LONG, mcp_tool_explain_run},
    {"get_directive", "Get a directive",
     "Read one directive (a version of the instructions and config a run follows) by id.",
     IN_DIRECTIVE, DIRECTIVE, RO, mcp_tool_get_directive},
    {"get_inventory", "Get a container inventory snapshot",
     "Read the newest container inventory snapshot, or the one with snapshot_id, with its "
     "containers.",
     IN_INVENTORY, OUT_INVENTORY, RO, mcp_tool_get_inventory},
    {"get_report", "Get a run's report",
     "Read the report of an ended run as Markdown (default) or as JSON.", IN_REPORT, OUT_REPORT, RO,
     mcp_tool_get_report},
    {"get_run", "Get a run", "Read one run with its jobs, their state and the token totals.",
     IN_RUN_ID, RUN_WITH_JOBS, RO, mcp_tool_get_run},
    {"gpu_status", "GPU status",
     "Read the newest GPU sample a gpu_report run stored (per GPU: memory, utilisation, "
     "temperature and margin, power; per container: VRAM and utilisation, estimated or "
     "measured) and each GPU's peaks over the last hours (default 24). Unknown values are "
     "null, never 0; latest is null before the first gpu_report run.",
     IN_GPU, OUT_GPU, RO, mcp_tool_gpu_status},
    {"impact_of", "Impact of a node",
     "What breaks when one node of the newest service map (a container, network, volume or "
     "published port; by name or id) goes away: every node that depends on it, directly or "
     "through others, with its distance.",
     IN_IMPACT, OUT_IMPACT, RO, mcp_tool_impact_of},
    {"launch_run", "Launch a run",
     "Queue a run of tasks (log_triage, gpu_report, service_map; all three when none is "
     "given) with a directive (directive_id or a custom directive_text). With wait: true, "
     "progress is reported until the run ends and the answer is the run with its report.",
     IN_LAUNCH, OUT_LAUNCH, MCP_TOOL_LONG, mcp_tool_launch_run},
    {"list_container_allowlist", "List the container allowlist",
     "List the containers (by id or name) whose details the inventory and log tasks may read.",
     NO_ARGS, LIST("entries", CONTAINER), RO, mcp_tool_list_container_allowlist},
    {"list_directives", "List directives", "List the latest version of every directive.", NO_ARGS,
     LIST("directives", DIRECTIVE), RO, mcp_tool_list_directives},
    {"list_runs", "List runs",
     "List runs newest first, optionally by status or task; pass next_cursor back as cursor "
     "for the next page.",
     IN_LIST_RUNS, OUT_RUNS, RO, mcp_tool_list_runs},
    {"list_worker_images", "List the worker-image allowlist",
     "List the worker images a job may run in, with their digests and limits.", NO_ARGS,
     LIST("images", IMAGE), RO, mcp_tool_list_worker_images},
    {"recent_audit", "Recent worker audit",
     "List the newest worker audit rows (spawn, deny, deadline_kill, exit, remove, reconcile).",
     IN_AUDIT, OUT_AUDIT, RO, mcp_tool_recent_audit},
    {"service_map", "The service map",
     "Read the newest service map: containers, networks, volumes and published ports, typed "
     "edges (shares_network, depends_on, env_reference, link, shared_volume, publishes) each "
     "with its evidence, single points of failure and the changes since the map before.",
     IN_SVCMAP, OUT_SVCMAP, RO, mcp_tool_service_map},
    {"set_container_allowlist", "Replace the container allowlist",
     "Replace the whole container allowlist by entries (each {container_ref, is_active, "
     "note}); containers not listed are removed. [] empties it.",
     IN_SET_CT, LIST("entries", CONTAINER), MCP_TOOL_DESTRUCTIVE | MCP_TOOL_IDEMPOTENT,
     mcp_tool_set_container_allowlist},
    {"token_usage", "LLM token usage",
     "Sum the LLM token counts by model, by task and by period (day, week, month or all), "
     "with the totals. A sum is null when no call reported that count; no call: no groups.",
     IN_USAGE, OUT_USAGE, RO, mcp_tool_token_usage},
};

const struct mcp_tool *mcp_tools_get(size_t *n)
{
    *n = sizeof(tools) / sizeof(tools[0]);
    return tools;
}
