/* SPDX-License-Identifier: MIT */
/* api_routes.c -- the route table of the service (one row per method and path). */
#include "api/api_int.h"

static const struct http_route routes[] = {
    {HTTP_GET, "/api/health/", api_health_get, HTTP_ROUTE_PUBLIC,
     "Health of the database, the Docker socket and the disk"},
    {HTTP_GET, "/api/schema/", api_schema_get, 0, "This OpenAPI 3.1 document"},
    {HTTP_POST, "/api/runs/launch/", api_runs_launch, 0, "Launch a run of one or more tasks"},
    {HTTP_GET, "/api/runs/since-last-success/", api_runs_since, 0,
     "The newest run whose job of ?task= succeeded, and its window end"},
    {HTTP_GET, "/api/runs/", api_runs_list, 0, "List runs (filters: status, task)"},
    {HTTP_GET, "/api/runs/{id}/", api_runs_get, 0, "Get a run with its jobs"},
    {HTTP_GET, "/api/runs/{id}/report/", api_runs_report, 0,
     "The run's report (markdown and json are null until the run ends)"},
    {HTTP_GET, "/api/runs/{id}/jobs/", api_runs_jobs, 0, "List the jobs of a run"},
    {HTTP_POST, "/api/runs/{id}/cancel/", api_runs_cancel, 0,
     "Cancel a run (409 when it already ended)"},
    {HTTP_GET, "/api/runs/{id}/events/", api_runs_events, 0,
     "Server-Sent Events of a run (job, progress, run); honours Last-Event-ID"},
    {HTTP_GET, "/api/runs/{id}/artifacts/", api_artifacts_list, 0, "List a run's artifacts"},
    {HTTP_GET, "/api/runs/{id}/artifacts/{name...}", api_artifacts_download, 0,
     "Download one artifact of a run"},
    {HTTP_GET, "/api/jobs/", api_jobs_list, 0, "List jobs (filter: run)"},
    {HTTP_GET, "/api/jobs/{id}/", api_jobs_get, 0, "Get a job"},
    {HTTP_GET, "/api/directives/", api_directives_list, 0, "List directives (latest versions)"},
    {HTTP_POST, "/api/directives/", api_directives_create, 0, "Create a directive"},
    {HTTP_GET, "/api/directives/{id}/", api_directives_get, 0, "Get a directive version"},
    {HTTP_PUT, "/api/directives/{id}/", api_directives_put, 0,
     "Replace a directive (makes a new version)"},
    {HTTP_PATCH, "/api/directives/{id}/", api_directives_patch, 0,
     "Edit a directive (makes a new version)"},
    {HTTP_DELETE, "/api/directives/{id}/", api_directives_delete, 0,
     "Delete a directive (runs keep their snapshots)"},
    {HTTP_GET, "/api/worker-images/", api_images_list, 0, "List the worker-image allowlist"},
    {HTTP_POST, "/api/worker-images/", api_images_create, 0,
     "Allowlist a worker image (the reference is normalised; 409 when listed)"},
    {HTTP_GET, "/api/worker-images/{id}/", api_images_get, 0, "Get a worker-image entry"},
    {HTTP_PUT, "/api/worker-images/{id}/", api_images_put, 0, "Replace a worker-image entry"},
    {HTTP_PATCH, "/api/worker-images/{id}/", api_images_patch, 0, "Edit a worker-image entry"},
    {HTTP_DELETE, "/api/worker-images/{id}/", api_images_delete, 0,
     "Remove a worker image from the allowlist"},
    {HTTP_GET, "/api/containers/", api_containers_list, 0, "List the container allowlist"},
    {HTTP_POST, "/api/containers/", api_containers_create, 0,
     "Allowlist a container by id or name (409 when listed)"},
    {HTTP_GET, "/api/containers/{id}/", api_containers_get, 0, "Get a container entry"},
    {HTTP_PUT, "/api/containers/{id}/", api_containers_put, 0, "Replace a container entry"},
    {HTTP_PATCH, "/api/containers/{id}/", api_containers_patch, 0, "Edit a container entry"},
    {HTTP_DELETE, "/api/containers/{id}/", api_containers_delete, 0,
     "Remove a container from the allowlist"},
    {HTTP_GET, "/api/audit/", api_audit_list, 0,
     "The worker audit trail, newest first (filters: action, run)"},
    {HTTP_GET, "/metrics", api_metrics_get, HTTP_ROUTE_PUBLIC,
     "Prometheus metrics (no token needed from loopback)"},
};

const struct http_route *api_routes_get(size_t *n)
{
    *n = sizeof(routes) / sizeof(routes[0]);
    return routes;
}
