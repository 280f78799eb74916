/* SPDX-License-Identifier: MIT */
/* docker.h -- a small Docker Engine API client over the unix socket (libcurl).
 *
 * Every call opens its own connection, so functions are thread-safe. The API version
 * is negotiated from /_ping (Api-Version header) and capped at what we speak.
 * Errors from the engine come back as enum err with its message (cut) in eb. */
#pragma once

#include <jansson.h>

#include "core/err.h"

/* Ping the engine at socket_path; on success writes its API version ("1.41") to
 * api_version (cap 16). ERR_UNAVAILABLE when the socket does not answer. */
enum err
docker_ping(const char *socket_path, char *api_version, size_t api_version_cap, struct errbuf *eb);
/* List containers (all=true includes stopped) as the Engine's JSON array (caller decrefs). */
enum err docker_containers_list(const char *socket_path, int all, json_t **out, struct errbuf *eb);

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define DOCKER_ID_MAX 128 /* bytes of a container id or name, NUL included */

/* A bind mount of the host folder source at target in the container. */
struct docker_mount {
    const char *source;
    const char *target;
    bool is_read_only;
};

/* A hardened container: NetworkMode none, read-only root, all capabilities dropped,
 * no-new-privileges, a 16 MiB noexec tmpfs at /tmp, the limits below (0: none), and with
 * is_gpu a request for every NVIDIA GPU (DeviceRequests: driver nvidia, count -1,
 * capabilities [["gpu"]]). */
struct docker_create_opts {
    const char *image;
    const char *const *cmd;    /* NULL-terminated arguments after the entrypoint, or NULL */
    const char *user;          /* "uid:gid"; NULL keeps the image's */
    const char *const *labels; /* key, value, key, value, ..., NULL */
    const struct docker_mount *mounts;
    size_t n_mounts;
    int64_t memory_bytes;
    int64_t pids_limit;
    int64_t nano_cpus;
    bool is_gpu;
};

/* Create a container (not started); writes its id into id (cap DOCKER_ID_MAX).
 * ERR_NOT_FOUND when the image does not exist locally (nothing is pulled). */
enum err docker_container_create(const char *socket_path,
                                 const struct docker_create_opts *o,
                                 char *id,
                                 size_t id_cap,
                                 struct errbuf *eb);
/* Start the created container id. */
enum err docker_container_start(const char *socket_path, const char *id, struct errbuf *eb);
/* Wait up to timeout_ms for container id to stop; writes its exit status.
 * ERR_TIMEOUT when it is still running after timeout_ms. */
enum err docker_container_wait(
    const char *socket_path, const char *id, long timeout_ms, int *exit_code, struct errbuf *eb);
/* Send SIGKILL to container id (ERR_CONFLICT when it is not running). */
enum err docker_container_kill(const char *socket_path, const char *id, struct errbuf *eb);
/* Remove container id, killing it first if it runs (ERR_NOT_FOUND when it is gone). */
enum err docker_container_remove(const char *socket_path, const char *id, struct errbuf *eb);
/* Read container id's stdout and stderr so far (each capped by its buffer; the rest is
 * dropped). The engine's body is capped at max_bytes. */
enum err docker_container_logs(const char *socket_path,
                               const char *id,
                               size_t max_bytes,
                               struct buf *out,
                               struct buf *err,
                               struct errbuf *eb);
/* A window of a container's logs (docker_container_logs_window). */
struct docker_logs_query {
    int64_t since_ms; /* lines at or after this Unix time (ms); < 0: from the first line */
    int64_t until_ms; /* lines at or before this Unix time (ms); < 0: up to now */
    bool is_tty;      /* the container has a TTY: its logs are one raw stream, not framed */
    size_t max_bytes; /* cap of the engine's answer; beyond it the rest is dropped */
    long timeout_ms;  /* of the whole call; 0: 60 s */
};
/* Read the log lines container id wrote in q's window, stdout and stderr in the order the
 * engine sends them, each line prefixed with the engine's RFC 3339 nano timestamp and a
 * space, into out (its cap should be at least q->max_bytes). When the answer is over the
 * cap, *is_truncated is set and only whole lines are kept. ERR_NOT_FOUND when there is no
 * such container; ERR_UNAVAILABLE when the engine does not answer or a framed stream is
 * malformed. */
enum err docker_container_logs_window(const char *socket_path,
                                      const char *id,
                                      const struct docker_logs_query *q,
                                      struct buf *out,
                                      bool *is_truncated,
                                      struct errbuf *eb);
/* Inspect the local image ref; *out is {"Id": ..., "RepoDigests": [...]} (caller decrefs).
 * ERR_NOT_FOUND when there is no such image. */
enum err
docker_image_inspect(const char *socket_path, const char *ref, json_t **out, struct errbuf *eb);
/* List all containers (running or not) with the label "key=value" as the Engine's JSON
 * array (caller decrefs). */
enum err docker_containers_by_label(
    const char *socket_path, const char *key, const char *value, json_t **out, struct errbuf *eb);

/* Split a multiplexed log stream (8-byte headers: stream 1 stdout / 2 stderr, 3 zero
 * bytes, big-endian length) into out and err (each capped by its buffer; what does not
 * fit is dropped). Writes the bytes of complete frames used to *consumed; a partial last
 * frame is left. ERR_PARSE on a header that is not a stdout/stderr frame. */
enum err
docker_logs_demux(const char *data, size_t len, struct buf *out, struct buf *err, size_t *consumed);

/* ---- image references: docker_ref_parse lives in core/docker_ref.h (pure code, so the
 * store can normalise references without depending on the engine client) ---- */
#include "core/docker_ref.h"

/* ---- container inspect, summarised (docker_inspect.c) ---- */

/* Summarise an inspect answer raw into a new bounded object (caller decrefs):
 * {"created","started_at","finished_at","restart_count","health" (or null),"exit_code",
 * "tty" (Config.Tty: the logs are one raw stream),
 * "restart_policy" {"name","maximum_retry_count"},"memory_bytes","nano_cpus",
 * "networks" [{"name","aliases"}],"ports" [{"container_port","host_port"}],
 * "mounts" [{"type","destination","read_only","volume" (volumes only, else null)}],
 * "links" [{"target","alias"}], "labels" (com.docker.compose.* only),
 * "env_names" (names only, never values), "env_hosts" [{"name","hosts"}] (the host names
 * each value names: svcmap_env_hosts; never the value)}. Ports fall back to
 * HostConfig.PortBindings for a container that never ran.
 * Lists and strings are capped; absent values are null. Pure: no I/O. */
json_t *docker_inspect_summary(const json_t *raw);
/* Inspect container id (an id or name) and return docker_inspect_summary of the answer
 * in *out (caller decrefs). ERR_NOT_FOUND when there is no such container. */
enum err
docker_container_inspect(const char *socket_path, const char *id, json_t **out, struct errbuf *eb);

/* Return {"pid", "running", "ips": ["172.18.0.3", ...]} of an inspect answer raw: its main
 * process id on the host (0 when it is not running) and its addresses on every network
 * (caller decrefs). Addresses are for the orchestrator's own use (observed connections):
 * they are never stored or passed on. Pure: no I/O. */
json_t *docker_inspect_netinfo(const json_t *raw);
/* Inspect container id and return docker_inspect_netinfo of the answer in *out. */
enum err
docker_container_netinfo(const char *socket_path, const char *id, json_t **out, struct errbuf *eb);

/* ---- networks (docker_network.c) ---- */

/* Summarise the engine's network list raw into [{"name","driver","scope","internal"}]
 * (no addresses; at most 256; caller decrefs). Pure: no I/O. */
json_t *docker_networks_summary(const json_t *raw);
/* List the engine's networks (GET /networks) as docker_networks_summary (caller decrefs). */
enum err docker_networks_list(const char *socket_path, json_t **out, struct errbuf *eb);
