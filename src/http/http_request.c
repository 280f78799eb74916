/* SPDX-License-Identifier: MIT */
/* http_request.c -- request accessors, JSON/text/file replies and small parsing helpers. */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "http/http_int.h"

const char *http_req_header(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_req_query(const struct http_req *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool http_req_is_loopback(const struct http_req *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return false;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

/* Replace any earlier reply (a handler answers once; the last one wins). */
static void set_reply(struct http_resp *resp, int status, struct MHD_Response *r)
{
    if (resp->mhd)
        MHD_destroy_response(resp->mhd);
    resp->status = status;
    resp->mhd = r;
}

static void free_cb(void *p)
{
    xfree(p);
}

void http_reply_text(
    struct http_resp *resp, int status, const char *content_type, const char *body, size_t len)
{
    char *copy = xmalloc(len + 1);
    memcpy(copy, body, len);
    copy[len] = '\0';
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, copy, free_cb);
    if (!r)
        die("out of memory (MHD response)");
    MHD_add_response_header(r, "Content-Type", content_type);
    set_reply(resp, status, r);
}

void http_reply_json(struct http_resp *resp, int status, json_t *j)
{
    char *text = j ? jsonx_dumps(j) : xstrdup("null");
    json_decref(j);
    http_reply_json_take(resp, status, text, strlen(text));
}

void http_reply_json_take(struct http_resp *resp, int status, char *text, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, text, free_cb);
    if (!r)
        die("out of memory (MHD response)");
    MHD_add_response_header(r, "Content-Type", HTTP_JSON_TYPE);
    set_reply(resp, status, r);
}

void http_reply_json_take_at(
    struct http_resp *resp, int status, char *owned, size_t offset, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer_with_free_callback_cls(len, owned + offset, free_cb, owned);
    if (!r)
        die("out of memory (MHD response)");
    MHD_add_response_header(r, "Content-Type", HTTP_JSON_TYPE);
    set_reply(resp, status, r);
}

#define DETAIL_OUT_MAX 4096 /* bytes of a redacted error detail */

/* text redacted (resp's options; masks without) as a JSON string. Error details quote
 * client input, file names and engine errors: they never leave the process raw. */
static json_t *redacted_string(const struct http_resp *resp, const char *text)
{
    struct buf b;
    size_t len = strlen(text);
    buf_init(&b, DETAIL_OUT_MAX);
    enum err e =
        resp->redact ? redact_text_opts(text, len, resp->redact, &b) : redact_text(text, len, &b);
    json_t *s = e == ERR_OK ? json_stringn(buf_str(&b), buf_len(&b)) : NULL;
    buf_fini(&b);
    return s ? s : json_string("[REDACTED]");
}

void http_reply_error(struct http_resp *resp, enum err e, const char *detail)
{
    json_t *j = json_object();
    json_object_set_new(j, "detail",
                        redacted_string(resp, detail && detail[0] ? detail : err_text(e)));
    int status = err_http_status(e);
    http_reply_json(resp, status, j);
    if (status == 401)
        http_resp_header_add(resp, "WWW-Authenticate", "Bearer");
}

void http_reply_field_error(struct http_resp *resp, const char *field, const char *message)
{
    json_t *j = json_object();
    json_t *arr = json_array();
    json_array_append_new(arr, redacted_string(resp, message));
    json_t *name = redacted_string(resp, field); /* a field name may echo input too */
    json_object_set_new(j, json_string_value(name), arr);
    /* And one line for clients that read only "detail" (the web UI). */
    char line[512];
    snprintf(line, sizeof(line), "%s: %s", json_string_value(name),
             json_string_value(json_array_get(arr, 0)));
    if (strcmp(json_string_value(name), "detail") != 0)
        json_object_set_new(j, "detail", json_string(line));
    json_decref(name);
    http_reply_json(resp, 400, j);
}

void http_reply_no_content(struct http_resp *resp)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!r)
        die("out of memory (MHD response)");
    set_reply(resp, 204, r);
}

void http_reply_fd_take(
    struct http_resp *resp, int fd, uint64_t size, const char *content_type, const char *filename)
{
    struct MHD_Response *r = MHD_create_response_from_fd64(size, fd);
    if (!r) {
        close(fd);
        http_reply_error(resp, ERR_IO, "cannot send the file");
        return;
    }
    MHD_add_response_header(r, "Content-Type",
                            content_type ? content_type : "application/octet-stream");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (filename) {
        char disp[300];
        int n = snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", filename);
        /* Keep the header well-formed whatever the name holds. */
        for (int i = 22; n > 0 && i < n - 1 && disp[i]; i++)
            if ((unsigned char)disp[i] < 0x20 || disp[i] == '"' || disp[i] == '\\')
                disp[i] = '_';
        MHD_add_response_header(r, "Content-Disposition", disp);
    }
    set_reply(resp, 200, r);
}

void http_resp_header_add(struct http_resp *resp, const char *name, const char *value)
{
    if (resp->mhd)
        MHD_add_response_header(resp->mhd, name, value);
}

enum err http_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !s[0] || strlen(s) > 20 || s[0] == ' ' || s[0] == '+')
        return ERR_INVALID;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || !end || *end || v < min || v > max)
        return ERR_INVALID;
    *out = v;
    return ERR_OK;
}

void http_url_encode(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            buf_append(b, p, 1);
        } else {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_append(b, enc, 3);
        }
    }
}

bool http_relpath_is_safe(const char *name, size_t max_len)
{
    size_t len = strlen(name);
    if (len == 0 || len > max_len || name[0] == '/')
        return false;
    const char *seg = name;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '/' || c == '\0') {
            size_t sl = (size_t)(name + i - seg);
            if (sl == 0 || (sl == 1 && seg[0] == '.') ||
                (sl == 2 && seg[0] == '.' && seg[1] == '.'))
                return false;
            seg = name + i + 1;
            continue;
        }
        if (c < 0x20 || c == 0x7f || c == '\\')
            return false;
    }
    return true;
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t http_unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        int hi = r[0] == '%' ? hex_val(r[1]) : -1;
        int lo = hi >= 0 ? hex_val(r[2]) : -1;
        /* %00 stays as text: a decoded NUL would cut the string and hide what followed it. */
        if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}
