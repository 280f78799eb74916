/* SPDX-License-Identifier: MIT */
/* app_redact_key.c -- the redaction key and the log sink's redactor (DEBUG_REDACTED_MODE).
 *
 * The key that makes pseudonyms ("[EMAIL:3f9a]") stable is HMAC-SHA256(secret,
 * "cyberbrain-redact-v1") when CYBER_BRAIN_SECRET_KEY is set, else 32 random bytes kept
 * in the settings table (written by the first serve or run, read by every later one). It
 * lives in cfg->redact_key only: never logged, never in a report or an answer. Until it
 * is known the log sink masks ("[EMAIL]"); the switch happens before any thread starts. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app/app_int.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "redact/redact.h"

#define REDACT_KEY_LABEL   "cyberbrain-redact-v1"
#define REDACT_KEY_SETTING "redact_key"

/* What the log filter reads; changed only before threads start. */
static struct redact_opts log_opts = {.mode = REDACT_MASK};
static bool is_redacted = true; /* DEBUG_REDACTED_MODE */

/* Parse 2*n lowercase hex digits into out; false when hex is not exactly that. */
static bool hex_decode(const char *hex, unsigned char *out, size_t n)
{
    if (strlen(hex) != 2 * n || strspn(hex, "0123456789abcdef") != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
    return true;
}

/* Point the log filter at cfg's key (pseudonyms) once there is one. */
static void log_use_key(const struct config *cfg)
{
    if (cfg->redact_key_len == 0)
        return;
    log_opts.key = cfg->redact_key;
    log_opts.key_len = cfg->redact_key_len;
    log_opts.mode = REDACT_PSEUDONYM;
}

void app_redact_setup(struct config *cfg)
{
    if (cfg->secret_key && cfg->secret_key[0]) {
        crypto_hmac_sha256(cfg->secret_key, strlen(cfg->secret_key), REDACT_KEY_LABEL,
                           strlen(REDACT_KEY_LABEL), cfg->redact_key);
        cfg->redact_key_len = CONFIG_REDACT_KEY_LEN;
    }
    log_use_key(cfg);
    is_redacted = cfg->is_redacted;
    if (cfg->is_redacted) {
        /* Redaction happens at the sink so no caller can forget it. */
        log_set_filter(redact_log_filter, &log_opts);
        return;
    }
    log_set_filter(NULL, NULL);
    log_warn("app", "event=redaction.off detail=\"DEBUG_REDACTED_MODE=false: log lines are NOT "
                    "redacted and may hold personal data and secrets; use for isolated "
                    "debugging only\"");
}

enum err app_redact_key_load(struct config *cfg, struct store *st)
{
    struct errbuf eb = {{0}};
    char fresh[2 * CONFIG_REDACT_KEY_LEN + 1];
    char *hex = NULL;
    if (cfg->redact_key_len)
        return ERR_OK; /* derived from the secret key */
    enum err e = crypto_random_hex(CONFIG_REDACT_KEY_LEN, fresh, sizeof(fresh));
    if (e == ERR_OK)
        e = store_setting_set(st, REDACT_KEY_SETTING, fresh, true, NULL, &eb);
    if (e == ERR_OK)
        e = store_setting_get(st, REDACT_KEY_SETTING, &hex, &eb);
    if (e == ERR_OK && !hex_decode(hex, cfg->redact_key, CONFIG_REDACT_KEY_LEN))
        e = errbuf_set(&eb, ERR_INVALID, "setting redact_key is not 64 lowercase hex digits");
    if (e == ERR_OK) {
        cfg->redact_key_len = CONFIG_REDACT_KEY_LEN;
        log_use_key(cfg);
    } else {
        app_errorf("cannot load the redaction key: %s", errbuf_get(&eb, e));
    }
    if (hex)
        xfree_zero(hex, strlen(hex));
    explicit_bzero(fresh, sizeof(fresh));
    return e;
}

void app_errorf(const char *fmt, ...)
{
    char msg[1024], clean[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (is_redacted)
        redact_log_filter(&log_opts, msg, strlen(msg), clean, sizeof(clean));
    fprintf(stderr, "cyberbrain: %s\n", is_redacted ? clean : msg);
}
