/* SPDX-License-Identifier: MIT */
/* docker_ref.c -- parse and normalise image references (the Docker reference grammar).
 *
 * reference := name [":" tag] ["@" digest]; name := [domain "/"] component ("/" component)*;
 * component := alnum+ (separator alnum+)* with alnum [a-z0-9] and separator "." | "_" |
 * "__" | "-"+; domain := host-component ("." host-component)* [":" port]; tag :=
 * [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; digest := "sha256:" 64 lowercase hex. Pure code. */
#include "core/docker_ref.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* True when s[0..n) is one path component: alnum+ (sep alnum+)*. */
static bool component_ok(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t run = 0;
        while (i < n && is_lower_alnum(s[i])) {
            i++;
            run++;
        }
        if (run == 0)
            return false;
        if (i == n)
            return true;
        size_t sep = i;
        if (s[i] == '.') {
            i++;
        } else if (s[i] == '_') {
            i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
        } else {
            while (i < n && s[i] == '-')
                i++;
        }
        if (i == sep || i == n)
            return false;
    }
    return false;
}

/* True when s[0..n) is a domain: host components joined by '.', optional ":port". */
static bool domain_ok(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t host_n = colon ? (size_t)(colon - s) : n;
    if (colon) {
        size_t port_n = n - host_n - 1;
        if (port_n == 0 || port_n > 5)
            return false;
        for (size_t i = host_n + 1; i < n; i++)
            if (s[i] < '0' || s[i] > '9')
                return false;
    }
    size_t start = 0;
    for (size_t i = 0; i <= host_n; i++) {
        if (i < host_n && s[i] != '.') {
            if (!is_lower_alnum(s[i]) && s[i] != '-')
                return false;
            continue;
        }
        /* A host component: non-empty, no '-' at either end. */
        if (i == start || s[start] == '-' || s[i - 1] == '-')
            return false;
        start = i + 1;
    }
    return true;
}

static bool tag_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || !(is_alnum(s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
            return false;
    return true;
}

static bool digest_ok(const char *s)
{
    if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64)
        return false;
    for (size_t i = 7; i < 7 + 64; i++)
        if (!is_hex(s[i]))
            return false;
    return true;
}

/* Checks on the whole string before any splitting. */
static enum err check_chars(const char *ref, struct errbuf *eb)
{
    size_t n = strlen(ref);
    if (n == 0)
        return errbuf_set(eb, ERR_INVALID, "image reference is empty");
    if (n > DOCKER_REF_MAX)
        return errbuf_set(eb, ERR_INVALID, "image reference is longer than %d bytes",
                          DOCKER_REF_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)ref[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
            return errbuf_set(eb, ERR_INVALID, "image reference contains whitespace");
        if (c < 0x20 || c >= 0x7f)
            return errbuf_set(eb, ERR_INVALID,
                              "image reference contains a control or non-ASCII character");
    }
    if (strstr(ref, ".."))
        return errbuf_set(eb, ERR_INVALID, "image reference contains \"..\"");
    if (ref[0] == '/' || ref[0] == ':' || ref[n - 1] == '/' || ref[n - 1] == ':')
        return errbuf_set(eb, ERR_INVALID, "image reference starts or ends with '/' or ':'");
    if (strstr(ref, "//"))
        return errbuf_set(eb, ERR_INVALID, "image reference has an empty path component");
    return ERR_OK;
}

/* Split name (no tag, no digest) into registry and repository in out. */
static enum err split_name(const char *name, struct docker_ref *out, struct errbuf *eb)
{
    const char *slash = strchr(name, '/');
    const char *path = name;
    snprintf(out->registry, sizeof(out->registry), "docker.io");
    if (slash) {
        size_t dn = (size_t)(slash - name);
        bool has_upper = false;
        for (size_t i = 0; i < dn; i++)
            has_upper |= (name[i] >= 'A' && name[i] <= 'Z');
        bool is_domain = memchr(name, '.', dn) || memchr(name, ':', dn) ||
                         (dn == 9 && strncmp(name, "localhost", 9) == 0) || has_upper;
        if (is_domain) {
            if (has_upper)
                return errbuf_set(eb, ERR_INVALID, "image registry must be lowercase");
            if (!domain_ok(name, dn))
                return errbuf_set(eb, ERR_INVALID, "image registry is not a valid host[:port]");
            snprintf(out->registry, sizeof(out->registry), "%.*s", (int)dn, name);
            if (strcmp(out->registry, "index.docker.io") == 0)
                snprintf(out->registry, sizeof(out->registry), "docker.io");
            path = slash + 1;
        }
    }
    for (const char *p = path; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            return errbuf_set(eb, ERR_INVALID, "image repository must be lowercase");
    const char *c = path;
    while (*c) {
        const char *end = strchr(c, '/');
        size_t cn = end ? (size_t)(end - c) : strlen(c);
        if (!component_ok(c, cn))
            return errbuf_set(eb, ERR_INVALID, "image repository has an invalid path component");
        c += cn + (end ? 1 : 0);
    }
    bool official = strcmp(out->registry, "docker.io") == 0 && !strchr(path, '/');
    const char *prefix = official ? "library/" : "";
    size_t pn = strlen(prefix), n = strlen(path);
    if (pn + n > DOCKER_REF_MAX)
        return errbuf_set(eb, ERR_INVALID, "image repository is too long");
    memcpy(out->repository, prefix, pn);
    memcpy(out->repository + pn, path, n + 1);
    return ERR_OK;
}

enum err docker_ref_parse(const char *ref, struct docker_ref *out, struct errbuf *eb)
{
    memset(out, 0, sizeof(*out));
    if (!ref)
        return errbuf_set(eb, ERR_INVALID, "image reference is missing");
    enum err e = check_chars(ref, eb);
    if (e != ERR_OK)
        return e;
    char name[DOCKER_REF_MAX + 1];
    snprintf(name, sizeof(name), "%s", ref);
    char *at = strchr(name, '@');
    if (at) {
        if (strchr(at + 1, '@'))
            return errbuf_set(eb, ERR_INVALID, "image reference has more than one '@'");
        if (!digest_ok(at + 1))
            return errbuf_set(eb, ERR_INVALID,
                              "image digest must be sha256: and 64 lowercase hex digits");
        snprintf(out->digest, sizeof(out->digest), "%s", at + 1);
        *at = '\0';
    }
    char *slash = strrchr(name, '/');
    char *colon = strrchr(slash ? slash : name, ':');
    snprintf(out->tag, sizeof(out->tag), "latest");
    if (colon) {
        if (!tag_ok(colon + 1))
            return errbuf_set(eb, ERR_INVALID,
                              "image tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
        snprintf(out->tag, sizeof(out->tag), "%s", colon + 1);
        *colon = '\0';
    }
    if (name[0] == '\0' || name[strlen(name) - 1] == '/')
        return errbuf_set(eb, ERR_INVALID, "image name is empty");
    e = split_name(name, out, eb);
    if (e != ERR_OK)
        return e;
    snprintf(out->name, sizeof(out->name), "%s/%s", out->registry, out->repository);
    snprintf(out->canonical, sizeof(out->canonical), "%s:%s%s%s", out->name, out->tag,
             out->digest[0] ? "@" : "", out->digest);
    /* The normalised form must itself be a valid reference. */
    if (strlen(out->canonical) > DOCKER_REF_MAX)
        return errbuf_set(eb, ERR_INVALID, "normalised image reference is longer than %d bytes",
                          DOCKER_REF_MAX);
    return ERR_OK;
}
