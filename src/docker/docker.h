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
