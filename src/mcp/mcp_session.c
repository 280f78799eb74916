/* SPDX-License-Identifier: MIT */
/* mcp_session.c -- the Mcp-Session-Id table: bounded, with idle expiry.
 *
 * A session holds only its id, its owner (the SHA-256 of the credentials that opened it: a
 * session id seen by someone else is no use with their own token), its protocol version
 * and when it was last used: tool calls keep no state between requests. When the table is full the
 * least recently used session ends (its client gets 404 and initializes again, as the transport
 * prescribes). Ids are 128 random bits in hex. One mutex; every call is O(max). */
#include <pthread.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/xalloc.h"
#include "mcp/mcp_rpc.h"

struct session {
    char id[MCP_SESSION_ID_LEN]; /* empty when free */
    char owner[CRYPTO_SHA256_HEX_LEN];
    char version[16];
    int64_t used_ms; /* monotonic */
};

struct mcp_sessions {
    pthread_mutex_t mu;
    struct session *tab;
    size_t max;
    int64_t idle_ms;
};

struct mcp_sessions *mcp_sessions_new(size_t max, int idle_s)
{
    struct mcp_sessions *s = xcalloc(1, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    s->max = max ? max : 1;
    s->tab = xcalloc(s->max, sizeof(*s->tab));
    s->idle_ms = (int64_t)idle_s * 1000;
    return s;
}

void mcp_sessions_free(struct mcp_sessions *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    xfree(s->tab);
    xfree(s);
}

static bool is_live(const struct mcp_sessions *s, const struct session *x, int64_t now)
{
    return x->id[0] && now - x->used_ms <= s->idle_ms;
}

/* Hash the credentials of a request (NULL: none) into out. */
static void owner_of(const char *credentials, char out[CRYPTO_SHA256_HEX_LEN])
{
    const char *c = credentials ? credentials : "";
    crypto_sha256_hex(c, strlen(c), out);
}

enum err mcp_sessions_open(struct mcp_sessions *s,
                           const char *version,
                           const char *credentials,
                           char id[MCP_SESSION_ID_LEN])
{
    enum err e = crypto_random_hex(16, id, MCP_SESSION_ID_LEN);
    if (e != ERR_OK)
        return e;
    int64_t now = clock_mono_ms();
    pthread_mutex_lock(&s->mu);
    struct session *pick = &s->tab[0];
    for (size_t i = 0; i < s->max; i++) {
        struct session *x = &s->tab[i];
        if (!is_live(s, x, now)) {
            pick = x;
            break;
        }
        if (x->used_ms < pick->used_ms)
            pick = x;
    }
    memcpy(pick->id, id, MCP_SESSION_ID_LEN);
    owner_of(credentials, pick->owner);
    snprintf(pick->version, sizeof(pick->version), "%s", version);
    pick->used_ms = now;
    pthread_mutex_unlock(&s->mu);
    return ERR_OK;
}

/* Find the live session id opened with credentials; call with s->mu held. */
static struct session *
find_locked(struct mcp_sessions *s, const char *id, const char *credentials, int64_t now)
{
    char owner[CRYPTO_SHA256_HEX_LEN];
    if (strlen(id) != MCP_SESSION_ID_LEN - 1)
        return NULL;
    owner_of(credentials, owner);
    for (size_t i = 0; i < s->max; i++)
        if (is_live(s, &s->tab[i], now) && crypto_streq_ct(s->tab[i].id, id))
            return crypto_streq_ct(s->tab[i].owner, owner) ? &s->tab[i] : NULL;
    return NULL;
}

enum err mcp_sessions_touch(struct mcp_sessions *s, const char *id, const char *credentials)
{
    int64_t now = clock_mono_ms();
    pthread_mutex_lock(&s->mu);
    struct session *x = find_locked(s, id, credentials, now);
    if (x)
        x->used_ms = now;
    pthread_mutex_unlock(&s->mu);
    return x ? ERR_OK : ERR_NOT_FOUND;
}

enum err mcp_sessions_end(struct mcp_sessions *s, const char *id, const char *credentials)
{
    pthread_mutex_lock(&s->mu);
    struct session *x = find_locked(s, id, credentials, clock_mono_ms());
    if (x)
        memset(x, 0, sizeof(*x));
    pthread_mutex_unlock(&s->mu);
    return x ? ERR_OK : ERR_NOT_FOUND;
}

size_t mcp_sessions_count(struct mcp_sessions *s)
{
    size_t n = 0;
    int64_t now = clock_mono_ms();
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->max; i++)
        n += is_live(s, &s->tab[i], now);
    pthread_mutex_unlock(&s->mu);
    return n;
}
