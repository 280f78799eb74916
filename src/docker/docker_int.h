/* SPDX-License-Identifier: MIT */
/* docker_int.h -- private declarations shared by the docker module's files: one request
 * to the engine, and the versioned path it goes to. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#ifdef TESTABLE_EXTERN
#define TESTABLE
#else
#define TESTABLE static
#endif

#define DOCKER_BODY_MAX       (8u * 1024 * 1024) /* bytes of an engine answer */
#define DOCKER_PATH_MAX       768                /* bytes of a request path */
#define DOCKER_ENGINE_MSG_MAX 200                /* bytes of the engine's message kept */

/* One request: method ("GET" when NULL), path with the /v1.NN prefix, JSON body (or
 * NULL), total timeout (0: the default 10 s), and a short name for messages. */
struct docker_call {
    const char *method;
    const char *path;
    const char *body;
    long timeout_ms;
    const char *what;
};

/* The answer; the caller initialises body with its cap and finalises it. */
struct docker_reply {
    struct buf body;
    bool is_too_large;
    char api_version[16]; /* from the Api-Version header, if any */
    long status;
};

/* Make the request; ERR_OK for a 2xx answer, else the mapped error (ERR_TIMEOUT when no
 * answer came within the timeout, ERR_UNAVAILABLE when the socket does not answer). */
enum err docker_request(const char *socket_path,
                        const struct docker_call *call,
                        struct docker_reply *r,
                        struct errbuf *eb);
/* Make the request with an answer capped at cap bytes; *out gets the parsed JSON when out is
 * not NULL (ERR_UNAVAILABLE naming call->what when it is not JSON). With is_wipe the
 * answer's text is zeroed before it is freed (it may hold environment values). */
enum err docker_call_json(const char *socket_path,
                          const struct docker_call *call,
                          size_t cap,
                          bool is_wipe,
                          json_t **out,
                          struct errbuf *eb);
/* Ping the engine and write "/v<version>" followed by the formatted rest into out. */
enum err docker_api_path(
    const char *socket_path, char *out, size_t cap, struct errbuf *eb, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Return the body of a container create for o as JSON text (caller frees), or NULL when an
 * argument is missing. */
struct docker_create_opts;
TESTABLE char *docker_create_body(const struct docker_create_opts *o);
