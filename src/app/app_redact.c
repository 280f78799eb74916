/* SPDX-License-Identifier: MIT */
/* app_redact.c -- `cyberbrain redact [--spans] [--mask]`: redact stdin to stdout.
 *
 * Reads any bytes line by line ('\n'; a '\r' before it is kept as text). A line longer than
 * REDACT_LINE_MAX is cut there: its first REDACT_LINE_MAX bytes are redacted and written,
 * the rest is dropped and counted (stderr). Without --spans each line is written redacted;
 * with --spans one JSON object per finding, {"line": N, "start": B, "end": B, "type": T}
 * (line from 1, byte offsets within the line, end exclusive), and nothing else. Pseudonym
 * mode when CYBER_BRAIN_SECRET_KEY is set (keyed by HMAC-SHA256(secret,
 * "cyberbrain-redact-v1")) unless --mask; mask mode otherwise. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app/app_int.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "core/xalloc.h"
#include "redact/redact.h"

#define REDACT_LINE_MAX (1024 * 1024)
#define REDACT_CHUNK    (64 * 1024)
#define REDACT_SPANS    256

struct rctx {
    bool spans;
    const struct redact_opts *opts;
    struct buf out;
    unsigned long long line_no, cut;
    FILE *f;
};

static void put_spans(struct rctx *c, const char *s, size_t n)
{
    struct redact_span sp[REDACT_SPANS];
    size_t from = 0;
    for (;;) {
        size_t k = redact_find(s + from, n - from, sp, REDACT_SPANS);
        for (size_t j = 0; j < k; j++)
            fprintf(c->f, "{\"line\": %llu, \"start\": %zu, \"end\": %zu, \"type\": \"%s\"}\n",
                    c->line_no, from + sp[j].start, from + sp[j].end, redact_type_name(sp[j].type));
        if (k < REDACT_SPANS)
            break;
        from += sp[k - 1].end;
    }
}

static void one_line(struct rctx *c, const char *s, size_t n, bool has_nl)
{
    c->line_no++;
    if (c->spans) {
        put_spans(c, s, n);
        return;
    }
    buf_reset(&c->out);
    if (redact_text_opts(s, n, c->opts, &c->out) == ERR_OK)
        fwrite(buf_str(&c->out), 1, buf_len(&c->out), c->f);
    if (has_nl)
        fputc('\n', c->f);
}

static int read_all(struct rctx *c, FILE *in)
{
    char *chunk = xmalloc(REDACT_CHUNK);
    char *line = xmalloc(REDACT_LINE_MAX);
    size_t len = 0, got;
    bool is_long = false, has_partial = false;
    while ((got = fread(chunk, 1, REDACT_CHUNK, in)) > 0) {
        size_t i = 0;
        while (i < got) {
            const char *nl = memchr(chunk + i, '\n', got - i);
            size_t k = nl ? (size_t)(nl - chunk) - i : got - i;
            size_t take = k < REDACT_LINE_MAX - len ? k : REDACT_LINE_MAX - len;
            memcpy(line + len, chunk + i, take);
            len += take;
            is_long |= take < k;
            has_partial = true;
            i += k;
            if (nl) {
                c->cut += is_long;
                one_line(c, line, len, true);
                len = 0;
                is_long = has_partial = false;
                i++;
            }
        }
    }
    int rc = ferror(in) ? 1 : 0;
    if (has_partial) {
        c->cut += is_long;
        one_line(c, line, len, false);
    }
    xfree(chunk);
    xfree(line);
    return rc;
}

int app_cmd_redact(struct config *cfg, int argc, char **argv)
{
    struct rctx c = {.f = stdout};
    bool mask = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--spans") == 0) {
            c.spans = true;
        } else if (strcmp(argv[i], "--mask") == 0) {
            mask = true;
        } else {
            fprintf(stderr, "usage: cyberbrain redact [--spans] [--mask] < IN > OUT\n");
            return 2;
        }
    }
    unsigned char key[CRYPTO_SHA256_LEN];
    struct redact_opts opts = {.mode = REDACT_MASK};
    if (cfg->secret_key && !mask) {
        static const char label[] = "cyberbrain-redact-v1";
        crypto_hmac_sha256(cfg->secret_key, strlen(cfg->secret_key), label, sizeof(label) - 1, key);
        opts = (struct redact_opts){.mode = REDACT_PSEUDONYM, .key = key, .key_len = sizeof(key)};
    }
    c.opts = &opts;
    buf_init(&c.out, (size_t)REDACT_LINE_MAX * (REDACT_PLACEHOLDER_MAX + 1) + 1);
    int rc = read_all(&c, stdin);
    buf_fini(&c.out);
    memset(key, 0, sizeof(key));
    if (rc)
        fprintf(stderr, "cyberbrain: redact: read error on stdin\n");
    if (c.cut)
        fprintf(stderr, "cyberbrain: redact: %llu line(s) cut at %d bytes\n", c.cut,
                REDACT_LINE_MAX);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "cyberbrain: redact: write error\n");
        rc = 1;
    }
    return rc;
}
