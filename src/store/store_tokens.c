/* SPDX-License-Identifier: MIT */
/* store_tokens.c -- API tokens: "cb_" + 64 random hex chars; only the SHA-256 is stored. */
#include "store/store.h"

#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "store/store_int.h"

#define TOKEN_RANDOM_BYTES 32
#define TOKEN_NAME_MAX     200
#define TOKEN_MAX_LEN      256
#define TOKEN_TOUCH_MS     60000

enum err store_token_create(struct store *st, const char *name, char **token_out, struct errbuf *eb)
{
    char rnd[TOKEN_RANDOM_BYTES * 2 + 1];
    char hash[CRYPTO_SHA256_HEX_LEN];
    char now[CLOCK_ISO_LEN];
    *token_out = NULL;
    if (!name || !*name || strlen(name) > TOKEN_NAME_MAX)
        return errbuf_set(eb, ERR_INVALID, "token name must be 1..%d bytes", TOKEN_NAME_MAX);
    enum err e = crypto_random_hex(TOKEN_RANDOM_BYTES, rnd, sizeof(rnd));
    if (e != ERR_OK)
        return errbuf_set(eb, e, "no random bytes for a token");
    char *token = xasprintf("cb_%s", rnd);
    crypto_sha256_hex(token, strlen(token), hash);
    clock_now_iso(now);
    struct db *db = store_db_get(st);
    e = db_exec(db,
                "INSERT INTO api_tokens (name, token_hash, created_at, is_active) "
                "VALUES ($1, $2, $3, TRUE)",
                (struct db_param[]){DB_S(name), DB_S(hash), DB_S(now)}, 3, NULL, eb);
    store_db_put(st, db);
    if (e != ERR_OK) {
        xfree_zero(token, strlen(token));
        return e;
    }
    *token_out = token;
    return ERR_OK;
}

enum err store_token_check(struct store *st, const char *token, bool *is_valid, struct errbuf *eb)
{
    char hash[CRYPTO_SHA256_HEX_LEN];
    char now[CLOCK_ISO_LEN], stale[CLOCK_ISO_LEN];
    json_t *row = NULL;
    *is_valid = false;
    if (!token || !*token || strlen(token) > TOKEN_MAX_LEN)
        return ERR_OK;
    crypto_sha256_hex(token, strlen(token), hash);
    clock_now_iso(now);
    clock_iso_from_ms(clock_now_ms() - TOKEN_TOUCH_MS, stale);
    /* The lookup is by hash through the unique index. last_used_at is written at most
     * once a minute so that checking a token is a read, not a write, on the hot path. */
    struct db *db = store_db_get(st);
    enum err e = db_query_one(db,
                              "SELECT id, last_used_at FROM api_tokens "
                              "WHERE token_hash = $1 AND is_active = TRUE",
                              (struct db_param[]){DB_S(hash)}, 1, &row, eb);
    if (e == ERR_OK && row) {
        *is_valid = true;
        const char *last = jsonx_get_str(row, "last_used_at");
        if (!last || strcmp(last, stale) < 0)
            e = db_exec(db, "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1",
                        (struct db_param[]){DB_I(row_int(row, "id")), DB_S(now)}, 2, NULL, eb);
    }
    store_db_put(st, db);
    json_decref(row);
    return e;
}
