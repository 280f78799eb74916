/* SPDX-License-Identifier: MIT */
/* worker.h -- what runs inside a worker (container or child process).
 *
 * Contract: read <input>/job.json, do the task, write <output>/result.json atomically,
 * print one JSON progress line per step on stdout ({"progress":0..100,"message":...}).
 * Exit 0 when result.json was written (even for a task-level failure, which the
 * result says), non-zero when the worker itself failed. */
#pragma once

/* Run `cyberbrain worker [--input DIR] [--output DIR]` (defaults /input, /output); returns the exit
 * code. */
int worker_main(int argc, char **argv);
