/* SPDX-License-Identifier: MIT */
/* fuzz_triage_miner.c -- fuzz the template miner and the format strings: the first line of
 * the input is a format string (tried, may be invalid), the rest are log lines split by it
 * and mined with a small template cap. Invariants: no crash, every line gets a valid id, at
 * most the cap of templates live, template text bounded by the masked message size. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "triage/triage_format.h"
#include "triage/triage_miner.h"

#define FUZZ_CAP     8
#define FUZZ_MSG_MAX 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    size_t flen = nl ? (size_t)(nl - s) : size;
    char fmt[TRIAGE_FORMAT_MAX_LEN + 1];
    struct triage_format *f = NULL;
    if (flen <= TRIAGE_FORMAT_MAX_LEN) {
        memcpy(fmt, s, flen);
        fmt[flen] = '\0';
        if (triage_format_compile(fmt, &f, NULL) != ERR_OK && f)
            abort();
    }
    struct triage_miner_opts o = {.max_templates = FUZZ_CAP, .max_msg_len = FUZZ_MSG_MAX};
    struct triage_miner *m = triage_miner_new(&o);
    size_t i = nl ? flen + 1 : size;
    while (i < size) {
        const char *e = memchr(s + i, '\n', size - i);
        size_t n = e ? (size_t)(e - (s + i)) : size - i;
        struct triage_record rec = {.msg = s + i, .msg_len = n, .ts_ms = -1};
        if (f) {
            bool is_ok = triage_format_split_at(f, s + i, n, 1700000000000LL, &rec);
            (void)is_ok;
            if (rec.msg < s + i || rec.msg + rec.msg_len > s + i + n)
                abort();
            if (strlen(rec.component) >= TRIAGE_COMPONENT_MAX)
                abort();
        }
        uint32_t t = triage_miner_add(m, rec.msg, rec.msg_len);
        const char *txt = triage_miner_template_text(m, t);
        if (t == TRIAGE_TID_NONE || !txt || strlen(txt) > 3 * FUZZ_MSG_MAX + 8)
            abort();
        struct triage_miner_stats st;
        triage_miner_stats(m, &st);
        if (st.templates > FUZZ_CAP || st.templates == 0)
            abort();
        i += n + 1;
    }
    triage_miner_free(m);
    triage_format_free(f);
    return 0;
}
