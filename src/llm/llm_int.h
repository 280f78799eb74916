/* SPDX-License-Identifier: MIT */
/* llm_int.h -- private declarations shared by the llm_*.c files, and TESTABLE helpers (the
 * pure parts of the locality check and of the answer parsers). */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "core/buf.h"
#include "llm/llm.h"

#ifdef TESTABLE_EXTERN
#define TESTABLE
#else
#define TESTABLE static
#endif

#define LLM_ADDRS_MAX 32 /* addresses of one name looked at; more is refused */

/* The endpoint after the locality check: connect only to addr. */
struct llm_target {
    char host[LLM_HOST_MAX + 1]; /* as curl's URL parser gives it (IPv6 without brackets) */
    char addr[INET6_ADDRSTRLEN]; /* the checked address, numeric */
    int family;                  /* AF_INET or AF_INET6 */
    int port;                    /* explicit or the scheme's default */
    bool is_https;
    char base[2048]; /* the base URL as curl normalised it, without a trailing / */
};

/* True when the address (4 bytes for AF_INET, 16 for AF_INET6) is loopback, RFC 1918,
 * RFC 4193 (fc00::/7) or link-local (169.254/16, fe80::/10); an IPv4-mapped IPv6 address is
 * judged as its IPv4 address. Unspecified (0.0.0.0, ::) is never local. */
TESTABLE bool llm_addr_is_local(int family, const unsigned char *addr);
/* True when the address is 0.0.0.0/8 or :: (or ::ffff:0.0.0.0/104). */
TESTABLE bool llm_addr_is_unspecified(int family, const unsigned char *addr);
/* True when host (case-insensitive) or addr_text is an entry of the comma-separated list. */
TESTABLE bool llm_host_is_listed(const char *host, const char *addr_text, const char *allowed);
/* Judge the n addresses host resolved to: ERR_OK when every one is local or listed (and
 * none is unspecified); ERR_FORBIDDEN naming the first bad address otherwise (n == 0 too). */
TESTABLE enum err llm_local_judge(const char *host,
                                  const struct sockaddr_storage *addrs,
                                  size_t n,
                                  const char *allowed,
                                  struct errbuf *eb);
/* Parse base_url with curl's URL parser, resolve its host and judge every address; *t is
 * the endpoint to connect to (the first address). */
enum err llm_target_resolve(const char *base_url,
                            const char *allowed,
                            struct llm_target *t,
                            struct errbuf *eb);

/* An answer being parsed: the whole body (non-stream) or stream lines (SSE / NDJSON). */
struct llm_parse {
    enum llm_api api; /* OPENAI or OLLAMA */
    bool is_stream;
    struct buf acc; /* the pending line, or the whole body */
    llm_chunk_fn *on_chunk;
    void *ctx;
    int64_t prompt_tokens; /* -1 = not reported */
    int64_t completion_tokens;
    int64_t total_tokens;
    size_t text_len;
    bool is_done;    /* [DONE] or a done:true line was seen */
    bool is_stopped; /* on_chunk returned false */
    bool is_bad;     /* malformed or over a cap */
    bool has_error;  /* the server sent an error object */
};

/* Start a parser (buffers capped at LLM_RESPONSE_MAX_BYTES). */
TESTABLE void llm_parse_init(
    struct llm_parse *p, enum llm_api api, bool is_stream, llm_chunk_fn *on_chunk, void *ctx);
/* Free its buffer (wiped: it may hold answer text). */
TESTABLE void llm_parse_fini(struct llm_parse *p);
/* Feed len bytes of the body; false when the parse must stop (bad, stopped). */
TESTABLE bool llm_parse_feed(struct llm_parse *p, const char *data, size_t len);
/* End of body: parse what is left; ERR_BAD_GATEWAY when the answer was malformed, too
 * large or an error object, ERR_CONFLICT when on_chunk stopped it. */
TESTABLE enum err llm_parse_finish(struct llm_parse *p, struct errbuf *eb);
