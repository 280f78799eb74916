/* SPDX-License-Identifier: MIT */
/* docker_ref.h -- parse and normalise Docker image references (pure; docker.h includes it). */
#pragma once

#include "core/err.h"

/* Longest reference accepted, in bytes (as the Docker reference grammar). */
#define DOCKER_REF_MAX 255

/* A parsed, normalised image reference: "nginx" gives registry "docker.io",
 * repository "library/nginx", tag "latest", no digest, name "docker.io/library/nginx"
 * and canonical "docker.io/library/nginx:latest". */
struct docker_ref {
    char registry[DOCKER_REF_MAX + 1];   /* "docker.io", "ghcr.io", "localhost:5000" */
    char repository[DOCKER_REF_MAX + 1]; /* "library/nginx" */
    char tag[129];                       /* "latest" when the reference has none */
    char digest[72];                     /* "sha256:<64 lowercase hex>" or "" */
    char name[2 * DOCKER_REF_MAX + 2];   /* registry "/" repository */
    char canonical[2 * DOCKER_REF_MAX + 2 + 129 + 72]; /* name ":" tag ["@" digest] */
};

/* Parse and normalise ref after the Docker reference grammar (distribution/reference):
 * a first component with a '.' or ':' or equal to "localhost" is a registry, otherwise
 * the registry is docker.io; "index.docker.io" is docker.io; a one-component docker.io
 * repository gets "library/"; the tag defaults to "latest"; the only digest accepted is
 * sha256 with 64 lowercase hex digits. ERR_INVALID with a clear message for uppercase
 * in the registry or repository, whitespace or control characters, empty parts, more
 * than one '@', a bad digest or tag, "..", a leading or trailing '/' or ':', or a
 * reference longer than DOCKER_REF_MAX. *out is only meaningful on ERR_OK. */
enum err docker_ref_parse(const char *ref, struct docker_ref *out, struct errbuf *eb);
