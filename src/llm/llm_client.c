/* SPDX-License-Identifier: MIT */
/* llm_client.c -- the HTTP side of an LLM call (libcurl, one easy handle per request).
 *
 * Every request goes to the address the locality check accepted (CURLOPT_CONNECT_TO for
 * any host and port: curl resolves nothing), without a proxy (CURLOPT_PROXY "" beats the
 * environment's http_proxy, CURLOPT_NOPROXY "*"), without redirects (a 3xx is an error),
 * over http or https only. Bodies of an error status are counted, never parsed or kept. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/jsonx.h"
#include "core/xalloc.h"
#include "llm/llm_int.h"

#define PROBE_MAX_BYTES  (64 * 1024)
#define PROBE_TIMEOUT_MS 5000

static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void llm_global_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, curl_init);
}

static const char *const api_names[] = {"auto", "openai", "ollama"};

bool llm_api_parse(const char *s, enum llm_api *out)
{
    for (size_t i = 0; s && i < 3; i++)
        if (strcmp(s, api_names[i]) == 0) {
            *out = (enum llm_api)i;
            return true;
        }
    return false;
}

const char *llm_api_name(enum llm_api api)
{
    return (unsigned)api < 3 ? api_names[api] : "auto";
}

/* One request's state, seen by the write callback. */
struct req {
    CURL *c;
    struct llm_parse *parse; /* NULL: collect into probe */
    struct buf *probe;
    long status; /* the response status, once headers are in */
    size_t discarded;
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct req *r = ctx;
    size_t len = size * nmemb;
    if (!r->status)
        curl_easy_getinfo(r->c, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->status < 200 || r->status > 299) {
        r->discarded += len; /* an error body: counted, never parsed or kept */
        return r->discarded > PROBE_MAX_BYTES ? 0 : len;
    }
    if (!r->parse)
        return buf_append(r->probe, data, len) == ERR_OK ? len : 0;
    return llm_parse_feed(r->parse, data, len) ? len : 0;
}

/* Called by curl at least once a second: ask the reader whether to go on (a chunk of 0
 * bytes), so a call whose client went away stops while the model is still thinking. */
static int
on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    struct req *r = ctx;
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    if (!r->parse || !r->parse->on_chunk || r->parse->on_chunk(r->parse->ctx, "", 0))
        return 0;
    r->parse->is_stopped = true;
    return 1;
}

/* A configured easy handle for url, pinned to t's address. */
static CURL *easy_new(const struct llm_target *t,
                      const char *url,
                      int64_t connect_ms,
                      int64_t total_ms,
                      struct curl_slist **pin)
{
    CURL *c = curl_easy_init();
    if (!c)
        die("out of memory (curl_easy_init)");
    char to[INET6_ADDRSTRLEN + 16];
    if (t->family == AF_INET6)
        snprintf(to, sizeof(to), "::[%s]:%d", t->addr, t->port);
    else
        snprintf(to, sizeof(to), "::%s:%d", t->addr, t->port);
    *pin = curl_slist_append(NULL, to);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CONNECT_TO, *pin);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)total_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    return c;
}

/* Map a finished transfer to an error; messages name no text of the answer. */
static enum err transfer_err(CURLcode rc, long status, struct errbuf *eb)
{
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return errbuf_set(eb, ERR_TIMEOUT, "the LLM did not answer in time");
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
        rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION)
        return errbuf_set(eb, ERR_UNAVAILABLE, "cannot connect to the LLM: %s",
                          curl_easy_strerror(rc));
    if (status >= 300 && status <= 399)
        return errbuf_set(eb, ERR_BAD_GATEWAY,
                          "the LLM answered a redirect (HTTP %ld); redirects are not followed",
                          status);
    if (status && (status < 200 || status > 299))
        return errbuf_set(eb, ERR_BAD_GATEWAY, "the LLM answered HTTP %ld", status);
    if (rc != CURLE_OK && rc != CURLE_WRITE_ERROR)
        return errbuf_set(eb, ERR_BAD_GATEWAY, "the LLM call failed: %s", curl_easy_strerror(rc));
    return ERR_OK;
}

/* GET base + path; ERR_OK with *is_json when it answered 2xx with a JSON object. */
static enum err probe_get(const struct llm_target *t,
                          const struct llm_opts *o,
                          const char *path,
                          bool *is_json,
                          struct errbuf *eb)
{
    struct buf body;
    struct curl_slist *pin = NULL;
    char url[sizeof(t->base) + 32];
    snprintf(url, sizeof(url), "%s%s", t->base, path);
    buf_init(&body, PROBE_MAX_BYTES);
    int64_t total = o->timeout_ms < PROBE_TIMEOUT_MS ? o->timeout_ms : PROBE_TIMEOUT_MS;
    struct req r = {.probe = &body};
    r.c = easy_new(t, url, o->connect_timeout_ms, total, &pin);
    curl_easy_setopt(r.c, CURLOPT_WRITEDATA, &r);
    CURLcode rc = curl_easy_perform(r.c);
    curl_easy_getinfo(r.c, CURLINFO_RESPONSE_CODE, &r.status);
    enum err e = transfer_err(rc, r.status, eb);
    json_t *j = NULL;
    *is_json = e == ERR_OK && rc == CURLE_OK &&
               jsonx_parse(buf_str(&body), buf_len(&body), PROBE_MAX_BYTES, &j, NULL) == ERR_OK &&
               json_is_object(j);
    json_decref(j);
    curl_easy_cleanup(r.c);
    curl_slist_free_all(pin);
    buf_fini(&body);
    return e;
}

/* Find the API of an "auto" endpoint (Ollama answers /api/version, OpenAI /v1/models), or
 * check that a fixed one answers its probe path. */
static enum err probe_api(const struct llm_target *t,
                          const struct llm_opts *o,
                          enum llm_api *api,
                          struct errbuf *eb)
{
    bool is_json = false;
    enum err e = ERR_OK;
    if (o->api != LLM_API_OPENAI) {
        e = probe_get(t, o, "/api/version", &is_json, eb);
        if (e == ERR_OK && is_json) {
            *api = LLM_API_OLLAMA;
            return ERR_OK;
        }
        if (o->api == LLM_API_OLLAMA || (e != ERR_OK && e != ERR_BAD_GATEWAY))
            return e != ERR_OK ? e
                               : errbuf_set(eb, ERR_BAD_GATEWAY,
                                            "the LLM does not answer /api/version with JSON");
    }
    e = probe_get(t, o, "/v1/models", &is_json, eb);
    if (e == ERR_OK && is_json) {
        *api = LLM_API_OPENAI;
        return ERR_OK;
    }
    if (e != ERR_OK)
        return e;
    return errbuf_set(eb, ERR_BAD_GATEWAY,
                      o->api == LLM_API_AUTO
                          ? "LLM_API=auto: the endpoint answers neither /api/version nor "
                            "/v1/models"
                          : "the LLM does not answer /v1/models with JSON");
}

static void result_init(struct llm_result *res)
{
    memset(res, 0, sizeof(*res));
    res->prompt_tokens = res->completion_tokens = res->total_tokens = -1;
}

/* Start res and run the locality check into *t; res gets the host and is_refused. */
static enum err check_into(const struct llm_opts *o,
                           struct llm_target *t,
                           struct llm_result *res,
                           struct errbuf *eb)
{
    result_init(res);
    llm_global_init();
    enum err e = llm_target_resolve(o->base_url, o->allowed_hosts, t, eb);
    snprintf(res->host, sizeof(res->host), "%s", t->host);
    res->is_refused = e == ERR_FORBIDDEN;
    res->api = o->api;
    return e;
}

enum err llm_check(const struct llm_opts *o, struct llm_result *res, struct errbuf *eb)
{
    struct llm_target t;
    struct llm_result tmp;
    return check_into(o, &t, res ? res : &tmp, eb);
}

enum err llm_probe(const struct llm_opts *o, struct llm_result *res, struct errbuf *eb)
{
    struct llm_target t;
    int64_t t0 = clock_mono_ms();
    enum err e = check_into(o, &t, res, eb);
    if (e == ERR_OK)
        e = probe_api(&t, o, &res->api, eb);
    res->duration_ms = clock_mono_ms() - t0;
    return e;
}

/* The request body as JSON text (heap; it holds the prompt: caller wipes and frees). */
static char *body_new(const struct llm_opts *o, enum llm_api api, const char *sys, const char *user)
{
    json_t *msgs = json_array();
    json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "system", "content", sys));
    json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "user", "content", user));
    json_t *b = json_pack("{s:s,s:o,s:b}", "model", o->model ? o->model : "local", "messages", msgs,
                          "stream", o->is_stream);
    if (api == LLM_API_OLLAMA) {
        json_object_set_new(b, "options",
                            json_pack("{s:i,s:i}", "num_predict", o->max_tokens, "temperature", 0));
    } else {
        json_object_set_new(b, "max_tokens", json_integer(o->max_tokens));
        json_object_set_new(b, "temperature", json_integer(0));
        if (o->is_stream)
            json_object_set_new(b, "stream_options", json_pack("{s:b}", "include_usage", 1));
    }
    char *s = jsonx_dumps(b);
    json_decref(b);
    return s;
}

/* POST the chat request and parse the answer into p. */
static enum err chat_post(const struct llm_target *t,
                          const struct llm_opts *o,
                          enum llm_api api,
                          const char *body,
                          struct llm_parse *p,
                          struct llm_result *res,
                          struct errbuf *eb)
{
    char url[sizeof(t->base) + 32];
    snprintf(url, sizeof(url), "%s%s", t->base,
             api == LLM_API_OLLAMA ? "/api/chat" : "/v1/chat/completions");
    struct curl_slist *pin = NULL, *hdrs = NULL;
    struct req r = {.parse = p};
    r.c = easy_new(t, url, o->connect_timeout_ms, o->timeout_ms, &pin);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs =
        curl_slist_append(hdrs, o->is_stream && api == LLM_API_OPENAI ? "Accept: text/event-stream"
                                                                      : "Accept: application/json");
    curl_easy_setopt(r.c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(r.c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(r.c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(r.c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(r.c, CURLOPT_XFERINFODATA, &r);
    curl_easy_setopt(r.c, CURLOPT_NOPROGRESS, 0L);
    CURLcode rc = curl_easy_perform(r.c);
    curl_easy_getinfo(r.c, CURLINFO_RESPONSE_CODE, &r.status);
    res->http_status = (int)r.status;
    enum err e = transfer_err(rc, r.status, eb);
    if (rc == CURLE_ABORTED_BY_CALLBACK || p->is_stopped)
        e = errbuf_set(eb, ERR_CONFLICT, "the LLM call was stopped by its reader");
    else if (e == ERR_OK && rc == CURLE_WRITE_ERROR && !p->is_bad)
        e = errbuf_set(eb, ERR_BAD_GATEWAY, "the LLM error body was too large");
    if (e == ERR_OK)
        e = llm_parse_finish(p, eb);
    curl_easy_cleanup(r.c);
    curl_slist_free_all(pin);
    curl_slist_free_all(hdrs);
    return e;
}

enum err llm_chat(const struct llm_opts *o,
                  const char *system,
                  const char *user,
                  llm_chunk_fn *on_chunk,
                  void *ctx,
                  struct llm_result *res,
                  struct errbuf *eb)
{
    struct llm_target t;
    struct llm_parse p;
    int64_t t0 = clock_mono_ms();
    enum err e = check_into(o, &t, res, eb);
    if (e != ERR_OK)
        return e;
    enum llm_api api = o->api;
    if (api == LLM_API_AUTO && (e = probe_api(&t, o, &api, eb)) != ERR_OK)
        goto out;
    res->api = api;
    char *body = body_new(o, api, system, user);
    llm_parse_init(&p, api, o->is_stream, on_chunk, ctx);
    e = chat_post(&t, o, api, body, &p, res, eb);
    res->prompt_tokens = p.prompt_tokens;
    res->completion_tokens = p.completion_tokens;
    res->total_tokens = p.total_tokens;
    res->text_len = p.text_len;
    llm_parse_fini(&p);
    xfree_zero(body, strlen(body));
out:
    res->duration_ms = clock_mono_ms() - t0;
    return e;
}
