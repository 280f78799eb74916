/* SPDX-License-Identifier: MIT */
/* app_int.h -- private declarations shared by the app/ files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "core/err.h"
#include "store/store.h"

/* One subcommand: argv[0] is the subcommand name. Returns the exit code. */
typedef int app_cmd_fn(struct config *cfg, int argc, char **argv);

int app_cmd_serve(struct config *cfg, int argc, char **argv);
int app_cmd_migrate(struct config *cfg, int argc, char **argv);
int app_cmd_validate(struct config *cfg, int argc, char **argv);
int app_cmd_token(struct config *cfg, int argc, char **argv);
int app_cmd_run(struct config *cfg, int argc, char **argv);
int app_cmd_triage(struct config *cfg, int argc, char **argv);
int app_cmd_redact(struct config *cfg, int argc, char **argv);
int app_cmd_gpu_sample(struct config *cfg, int argc, char **argv);

/* Open the configured store (SQLite or PostgreSQL), creating the SQLite folder. */
enum err
app_store_open(const struct config *cfg, int pool_size, struct store **out, struct errbuf *eb);
/* Open the store; migrate it when do_migrate, else fail unless it is current. Prints why. */
enum err app_store_open_current(const struct config *cfg,
                                int pool_size,
                                bool do_migrate,
                                struct store **out);
/* Write a label for the configured database ("sqlite:./x.db", "postgresql:u@h:p/db") to out. */
void app_db_label(const struct config *cfg, char *out, size_t out_cap);
/* Install the log sink's redactor (or, with DEBUG_REDACTED_MODE=false, none and one warning
 * line); derive the redaction key from the secret key when there is one. */
void app_redact_setup(struct config *cfg);
/* Load (or create once) the random redaction key kept in the settings table when no secret
 * key is set, and switch the log sink to keyed pseudonyms. Prints why on failure. */
enum err app_redact_key_load(struct config *cfg, struct store *st);
/* Print "cyberbrain: <message>" on stderr, redacted like a log line: for errors that quote
 * text from outside (engine, database, store errors). */
void app_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
