/* SPDX-License-Identifier: MIT */
/* app.h -- wiring: the subcommand table, configuration, logging and lifecycle.
 *
 * app_main parses the subcommand, loads the configuration (a bad value stops with a
 * message naming it), sets up logging through the redactor, and runs the command.
 * Single-threaded until a command starts its own threads. */
#pragma once

/* Run the cyberbrain command line; returns the process exit code. */
int app_main(int argc, char **argv);
