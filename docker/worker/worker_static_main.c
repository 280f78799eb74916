/* SPDX-License-Identifier: MIT */
/* worker_static_main.c -- entry of the static worker binary in the worker image.
 *
 * Built by `make worker-image` from src/worker/ and the few src/core/ files it needs
 * (no store, HTTP, libpq, libmicrohttpd or libcurl), linked with -static so the image
 * can be FROM scratch. Invoked as `cyberbrain-worker worker [--input DIR] [--output DIR]`. */
#include "worker/worker.h"

int main(int argc, char **argv)
{
    return worker_main(argc, argv);
}
