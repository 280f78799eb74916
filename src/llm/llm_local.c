/* SPDX-License-Identifier: MIT */
/* llm_local.c -- the locality check: which endpoint an LLM call may connect to.
 *
 * The base URL is parsed by curl's own URL parser (curl_url), which normalises the numeric
 * IPv4 spellings (2130706433, 0177.0.0.1, 0x7f.1) to dotted quads, so what is judged is
 * what curl would connect to. The host is then resolved here and every address judged;
 * the caller pins the connection to the first one (CURLOPT_CONNECT_TO), so a second DNS
 * answer (rebinding) is never used. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "llm/llm_int.h"

static bool v4_is_local(const unsigned char *a)
{
    return a[0] == 127                             /* loopback 127/8 */
           || a[0] == 10                           /* RFC 1918 10/8 */
           || (a[0] == 172 && (a[1] & 0xf0) == 16) /* RFC 1918 172.16/12 */
           || (a[0] == 192 && a[1] == 168)         /* RFC 1918 192.168/16 */
           || (a[0] == 169 && a[1] == 254);        /* link-local 169.254/16 */
}

static bool v6_is_mapped(const unsigned char *a)
{
    static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a, prefix, sizeof(prefix)) == 0;
}

TESTABLE bool llm_addr_is_unspecified(int family, const unsigned char *addr)
{
    static const unsigned char zero[16] = {0};
    if (family == AF_INET)
        return addr[0] == 0;
    if (family != AF_INET6)
        return false;
    if (v6_is_mapped(addr))
        return addr[12] == 0;
    return memcmp(addr, zero, 16) == 0;
}

TESTABLE bool llm_addr_is_local(int family, const unsigned char *addr)
{
    static const unsigned char loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (llm_addr_is_unspecified(family, addr))
        return false;
    if (family == AF_INET)
        return v4_is_local(addr);
    if (family != AF_INET6)
        return false;
    if (v6_is_mapped(addr))
        return v4_is_local(addr + 12);
    return memcmp(addr, loop6, 16) == 0                      /* ::1 */
           || (addr[0] & 0xfe) == 0xfc                       /* RFC 4193 fc00::/7 */
           || (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80); /* link-local fe80::/10 */
}

/* Compare the entry [s, s+n) (spaces trimmed) with name, case-insensitively. */
static bool entry_is(const char *s, size_t n, const char *name)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
        s++, n -= 2;
    return n && name && strlen(name) == n && strncasecmp(s, name, n) == 0;
}

TESTABLE bool llm_host_is_listed(const char *host, const char *addr_text, const char *allowed)
{
    const char *p = allowed;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (entry_is(p, n, host) || entry_is(p, n, addr_text))
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

/* Address bytes and text of sa; false for a family other than IPv4/IPv6. */
static bool addr_of(const struct sockaddr_storage *sa,
                    int *family,
                    const unsigned char **bytes,
                    char *text,
                    size_t text_cap)
{
    *family = sa->ss_family;
    if (sa->ss_family == AF_INET)
        *bytes = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa->ss_family == AF_INET6)
        *bytes = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
    else
        return false;
    return inet_ntop(*family, *bytes, text, (socklen_t)text_cap) != NULL;
}

TESTABLE enum err llm_local_judge(const char *host,
                                  const struct sockaddr_storage *addrs,
                                  size_t n,
                                  const char *allowed,
                                  struct errbuf *eb)
{
    char q[64];
    err_quote_user(q, sizeof(q), host);
    if (n == 0)
        return errbuf_set(eb, ERR_FORBIDDEN, "LLM host %s has no address", q);
    for (size_t i = 0; i < n; i++) {
        int family;
        const unsigned char *bytes;
        char text[INET6_ADDRSTRLEN];
        if (!addr_of(&addrs[i], &family, &bytes, text, sizeof(text)))
            return errbuf_set(eb, ERR_FORBIDDEN, "LLM host %s has a non-IP address", q);
        if (llm_addr_is_unspecified(family, bytes))
            return errbuf_set(eb, ERR_FORBIDDEN,
                              "LLM host %s is the unspecified address %s, never a destination", q,
                              text);
        if (!llm_addr_is_local(family, bytes) && !llm_host_is_listed(host, text, allowed))
            return errbuf_set(eb, ERR_FORBIDDEN,
                              "LLM host %s resolves to %s, which is not a local address "
                              "(loopback, RFC 1918, RFC 4193, link-local) nor listed in "
                              "CYBER_BRAIN_LLM_ALLOWED_HOSTS",
                              q, text);
    }
    return ERR_OK;
}

/* Resolve host into at most LLM_ADDRS_MAX addresses (more is refused). */
static enum err
resolve(const char *host, struct sockaddr_storage *addrs, size_t *n, struct errbuf *eb)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char q[64];
    err_quote_user(q, sizeof(q), host);
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0)
        return errbuf_set(eb, ERR_UNAVAILABLE, "LLM host %s does not resolve: %s", q,
                          gai_strerror(rc));
    *n = 0;
    enum err e = ERR_OK;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (*n == LLM_ADDRS_MAX) {
            e = errbuf_set(eb, ERR_FORBIDDEN, "LLM host %s has too many addresses", q);
            break;
        }
        if (ai->ai_addrlen > sizeof(addrs[0]))
            continue;
        memset(&addrs[*n], 0, sizeof(addrs[0]));
        memcpy(&addrs[*n], ai->ai_addr, ai->ai_addrlen);
        (*n)++;
    }
    freeaddrinfo(res);
    return e;
}

/* Fill t's URL parts from u; ERR_INVALID for what a base URL may not hold. */
static enum err url_parts(CURLU *u, struct llm_target *t, struct errbuf *eb)
{
    char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *query = NULL, *url = NULL;
    char *zone = NULL;
    enum err e = ERR_OK;
    curl_url_get(u, CURLUPART_USER, &user, 0);
    curl_url_get(u, CURLUPART_QUERY, &query, 0);
    curl_url_get(u, CURLUPART_ZONEID, &zone, 0);
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
        e = errbuf_set(eb, ERR_INVALID, "LLM_BASE_URL must be an http:// or https:// URL");
        goto out;
    }
    if (user || query || zone) {
        e = errbuf_set(eb, ERR_INVALID,
                       "LLM_BASE_URL may hold no credentials, query or IPv6 zone id");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
        e = errbuf_set(eb, ERR_INVALID, "LLM_BASE_URL has no host");
        goto out;
    }
    size_t hl = strlen(host);
    if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') /* IPv6 literal */
        snprintf(t->host, sizeof(t->host), "%.*s", (int)(hl - 2), host + 1);
    else if (hl > LLM_HOST_MAX || strchr(host, '%'))
        e = errbuf_set(eb, ERR_INVALID, "LLM_BASE_URL has an unusable host");
    else
        snprintf(t->host, sizeof(t->host), "%s", host);
    t->port = (int)strtol(port, NULL, 10); /* curl checked it: 1..65535 */
    t->is_https = strcmp(scheme, "https") == 0;
    size_t ul = strlen(url);
    while (ul && url[ul - 1] == '/')
        ul--;
    if (ul >= sizeof(t->base))
        e = errbuf_set(eb, ERR_INVALID, "LLM_BASE_URL is too long");
    else
        snprintf(t->base, sizeof(t->base), "%.*s", (int)ul, url);
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(user);
    curl_free(query);
    curl_free(zone);
    curl_free(url);
    return e;
}

enum err llm_target_resolve(const char *base_url,
                            const char *allowed,
                            struct llm_target *t,
                            struct errbuf *eb)
{
    memset(t, 0, sizeof(*t));
    if (!base_url || !*base_url)
        return errbuf_set(eb, ERR_INVALID, "LLM_BASE_URL is not set");
    CURLU *u = curl_url();
    struct sockaddr_storage *addrs = NULL;
    if (!u)
        die("out of memory (curl_url)");
    enum err e = ERR_OK;
    if (curl_url_set(u, CURLUPART_URL, base_url, 0) != CURLUE_OK) {
        e = errbuf_set(eb, ERR_INVALID, "LLM_BASE_URL is not a valid URL");
        goto out;
    }
    if ((e = url_parts(u, t, eb)) != ERR_OK)
        goto out;
    addrs = xcalloc(LLM_ADDRS_MAX, sizeof(*addrs));
    size_t n = 0;
    if ((e = resolve(t->host, addrs, &n, eb)) != ERR_OK)
        goto out;
    if ((e = llm_local_judge(t->host, addrs, n, allowed, eb)) != ERR_OK)
        goto out;
    const unsigned char *bytes;
    if (!addr_of(&addrs[0], &t->family, &bytes, t->addr, sizeof(t->addr)))
        e = errbuf_set(eb, ERR_FORBIDDEN, "LLM host has no usable address");
out:
    xfree(addrs);
    curl_url_cleanup(u);
    return e;
}
