/* SPDX-License-Identifier: MIT */
/* svcmap_hosts.c -- host names in environment variable values.
 *
 * The value is split into words on blanks, ';' and quotes. A word with "://" is a URL:
 * its authority (after the last '@', so user and password are never taken) holds one host
 * or a comma list (mongodb://a:1,b:2/x). A word key=value is a DSN field when key names a
 * host (host, hostaddr, server, address, data source). Else a word may be a comma list of
 * host:port, and, in a variable whose name says it holds a host, of bare names. A host is
 * kept when it looks like a DNS name or an address: letters, digits, '-', '_', '.', with
 * a letter or a dot (numbers alone are ports, counts, versions). Variables named like
 * secrets (PASSWORD, TOKEN, API_KEY...) are skipped whole. */
#include "svcmap/svcmap.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

struct hosts {
    char (*v)[SVCMAP_HOST_MAX];
    size_t n, max;
};

static bool is_host_char(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.';
}

/* Keep s[0..n) as a host when it looks like one (lower-cased, deduplicated). */
static void add(struct hosts *h, const char *s, size_t n)
{
    bool has_alpha = false, has_dot = false;
    while (n > 0 && s[n - 1] == '.')
        n--;
    if (n == 0 || n >= SVCMAP_HOST_MAX || h->n >= h->max || !isalnum((unsigned char)s[0]))
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_host_char(c))
            return;
        has_alpha |= isalpha(c) != 0;
        has_dot |= c == '.';
    }
    if (!has_alpha && !has_dot)
        return;
    char low[SVCMAP_HOST_MAX];
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)s[i]);
    low[n] = '\0';
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->v[i], low) == 0)
            return;
    memcpy(h->v[h->n++], low, n + 1);
}

/* One "host[:port][/path]" or "[v6]:port" item; bare=false needs the port. */
static void host_port(struct hosts *h, const char *s, size_t n, bool bare)
{
    if (n > 0 && s[0] == '[')
        return; /* an IPv6 literal names no container */
    size_t host_len = 0;
    while (host_len < n && is_host_char((unsigned char)s[host_len]))
        host_len++;
    if (host_len == n || s[host_len] == '/') {
        if (bare)
            add(h, s, host_len);
        return;
    }
    if (s[host_len] != ':')
        return;
    size_t p = host_len + 1, digits = 0;
    while (p < n && isdigit((unsigned char)s[p]) && digits < 6) {
        p++;
        digits++;
    }
    if (digits > 0 && (p == n || s[p] == '/'))
        add(h, s, host_len);
}

/* A comma list of host_port items. */
static void host_list(struct hosts *h, const char *s, size_t n, bool bare)
{
    while (n > 0) {
        const char *comma = memchr(s, ',', n);
        size_t k = comma ? (size_t)(comma - s) : n;
        host_port(h, s, k, bare);
        if (!comma)
            break;
        s += k + 1;
        n -= k + 1;
    }
}

/* The word is a URL (scheme://authority/...). */
static void url(struct hosts *h, const char *w, size_t n, const char *sep)
{
    const char *a = sep + 3;
    size_t len = n - (size_t)(a - w);
    size_t auth = 0;
    while (auth < len && a[auth] != '/' && a[auth] != '?' && a[auth] != '#')
        auth++;
    for (size_t i = auth; i > 0; i--) {
        if (a[i - 1] == '@') {
            a += i;
            auth -= i;
            break;
        }
    }
    host_list(h, a, auth, true);
}

static bool is_host_key(const char *k, size_t n)
{
    static const char *const keys[] = {"host",    "hostaddr",    "hostname", "server",
                                       "address", "data source", "addr",     NULL};
    for (size_t i = 0; keys[i]; i++)
        if (strlen(keys[i]) == n && strncasecmp(k, keys[i], n) == 0)
            return true;
    return false;
}

/* A key=value DSN field naming a host ("host=db", "Server=tcp:db,1433"). */
static bool dsn_field(struct hosts *h, const char *w, size_t n)
{
    const char *eq = memchr(w, '=', n);
    if (!eq || !is_host_key(w, (size_t)(eq - w)))
        return false;
    const char *v = eq + 1;
    size_t vn = n - (size_t)(v - w);
    if (vn > 4 && strncasecmp(v, "tcp:", 4) == 0) {
        v += 4;
        vn -= 4;
    }
    const char *comma = memchr(v, ',', vn);
    host_port(h, v, comma ? (size_t)(comma - v) : vn, true);
    return true;
}

static void word(struct hosts *h, const char *w, size_t n, bool is_host_var)
{
    const char *sep = NULL;
    for (size_t i = 0; i + 2 < n && !sep; i++)
        if (w[i] == ':' && w[i + 1] == '/' && w[i + 2] == '/')
            sep = w + i;
    if (sep) {
        url(h, w, n, sep);
        return;
    }
    if (dsn_field(h, w, n))
        return;
    const char *at = NULL;
    for (size_t i = n; i > 0 && !at; i--)
        if (w[i - 1] == '@')
            at = w + i;
    if (at) { /* user:password@host:port without a scheme: the part after '@' only */
        n -= (size_t)(at - w);
        w = at;
    }
    host_list(h, w, n, is_host_var);
}

/* True when the variable's name says its value is a host (DB_HOST, REDIS_SERVER...). */
static bool is_host_var(const char *name)
{
    static const char *const ends[] = {"HOST",     "HOSTNAME", "HOSTS",   "SERVER", "SERVERS",
                                       "ADDR",     "ADDRESS",  "BROKERS", "BROKER", "ENDPOINT",
                                       "UPSTREAM", "NODES",    NULL};
    size_t n = name ? strlen(name) : 0;
    for (size_t i = 0; ends[i]; i++) {
        size_t k = strlen(ends[i]);
        if (n >= k && strcasecmp(name + n - k, ends[i]) == 0 && (n == k || name[n - k - 1] == '_'))
            return true;
    }
    return false;
}

static bool is_sep(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '"' || c == '\'';
}

/* True when the variable's name says it holds a secret: its value is never looked at (a
 * password like "word:2024" would read as host:port). URLs and DSNs are not secrets by
 * name; the parser takes no user or password from them. */
static bool is_secret_var(const char *name)
{
    static const char *const parts[] = {"PASS", "SECRET", "TOKEN",  "KEY",     "PWD", "CRED",
                                        "AUTH", "SALT",   "COOKIE", "PRIVATE", NULL};
    for (size_t i = 0; name && parts[i]; i++)
        if (strcasestr(name, parts[i]))
            return true;
    return false;
}

size_t svcmap_env_hosts(
    const char *var_name, const char *value, size_t len, char (*hosts)[SVCMAP_HOST_MAX], size_t max)
{
    struct hosts h = {hosts, 0, max};
    bool host_var = is_host_var(var_name);
    if (!value || is_secret_var(var_name))
        return 0;
    if (len > SVCMAP_VALUE_MAX)
        len = SVCMAP_VALUE_MAX;
    const char *nul = memchr(value, '\0', len);
    if (nul)
        len = (size_t)(nul - value);
    size_t i = 0;
    while (i < len && h.n < h.max) {
        while (i < len && is_sep(value[i]))
            i++;
        size_t start = i;
        while (i < len && !is_sep(value[i]))
            i++;
        if (i > start)
            word(&h, value + start, i - start, host_var);
    }
    return h.n;
}
