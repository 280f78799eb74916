/* SPDX-License-Identifier: MIT */
/* fuzz_llm_parse.c -- fuzz the LLM answer parsers (an LLM server's bytes are untrusted): the
 * input goes, whole and in odd pieces, to the OpenAI and Ollama parsers, streamed and not.
 * Invariants: the text handed out never passes its cap and is what the callback counted;
 * a count is -1 or not negative; finish says OK only for a parse that is not bad. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#ifndef TESTABLE_EXTERN
#define TESTABLE_EXTERN /* the parsers are TESTABLE: external in every build of the library */
#endif
#include "llm/llm_int.h"

#define FUZZ_INPUT_MAX (256 * 1024)

static bool count_text(void *ctx, const char *text, size_t len)
{
    size_t *n = ctx;
    (void)text;
    *n += len;
    return true;
}

static void one(enum llm_api api, bool is_stream, const uint8_t *data, size_t size, size_t step)
{
    struct llm_parse p;
    struct errbuf eb = {{0}};
    size_t seen = 0;
    llm_parse_init(&p, api, is_stream, count_text, &seen);
    for (size_t i = 0; i < size; i += step)
        if (!llm_parse_feed(&p, (const char *)data + i, size - i < step ? size - i : step))
            break;
    enum err e = llm_parse_finish(&p, &eb);
    if (seen != p.text_len || seen > LLM_TEXT_MAX_BYTES)
        abort();
    if (p.prompt_tokens < -1 || p.completion_tokens < -1 || p.total_tokens < -1)
        abort();
    if (e == ERR_OK && (p.is_bad || p.has_error))
        abort();
    llm_parse_fini(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    size_t step = size ? (size_t)data[0] % 17 + 1 : 1;
    for (int api = LLM_API_OPENAI; api <= LLM_API_OLLAMA; api++) {
        one((enum llm_api)api, false, data, size, size ? size : 1);
        one((enum llm_api)api, true, data, size, step);
    }
    return 0;
}
