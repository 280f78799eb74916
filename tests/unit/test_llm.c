/* SPDX-License-Identifier: MIT */
/* test_llm.c -- unit tests of the LLM client's pure parts: the locality judge (addresses,
 * mixed answers, the operator's list), URL spellings through curl's parser, the answer
 * parsers (OpenAI / Ollama, whole and streamed) and the prompt (redaction, size cap). */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "llm/llm_int.h"

static bool is_local_text(const char *text)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, text, a) == 1)
        return llm_addr_is_local(AF_INET, a);
    ck_assert_int_eq(inet_pton(AF_INET6, text, a), 1);
    return llm_addr_is_local(AF_INET6, a);
}

START_TEST(test_addr_local)
{
    static const char *const local[] = {"127.0.0.1",      "127.255.0.9",      "10.0.0.1",
                                        "10.255.255.255", "172.16.0.1",       "172.31.255.254",
                                        "192.168.1.10",   "169.254.1.2",      "::1",
                                        "fc00::1",        "fd12:3456::7",     "fe80::1",
                                        "febf::1",        "::ffff:127.0.0.1", "::ffff:192.168.0.3"};
    static const char *const public[] = {
        "8.8.8.8",    "172.32.0.1",     "172.15.255.255", "192.169.0.1", "169.253.0.1",
        "11.0.0.1",   "0.0.0.0",        "0.1.2.3",        "::",          "2001:4860:4860::8888",
        "fec0::1",    "::ffff:8.8.8.8", "::ffff:0.0.0.0", "::8.8.8.8",   "64:ff9b::808:808",
        "100.64.0.1", "255.255.255.255"};
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
        ck_assert_msg(is_local_text(local[i]), "%s should be local", local[i]);
    for (size_t i = 0; i < sizeof(public) / sizeof(public[0]); i++)
        ck_assert_msg(!is_local_text(public[i]), "%s should not be local", public[i]);
}
END_TEST

START_TEST(test_addr_unspecified)
{
    unsigned char a[16];
    inet_pton(AF_INET, "0.0.0.0", a);
    ck_assert(llm_addr_is_unspecified(AF_INET, a));
    inet_pton(AF_INET6, "::", a);
    ck_assert(llm_addr_is_unspecified(AF_INET6, a));
    inet_pton(AF_INET6, "::ffff:0.0.0.0", a);
    ck_assert(llm_addr_is_unspecified(AF_INET6, a));
    inet_pton(AF_INET6, "::1", a);
    ck_assert(!llm_addr_is_unspecified(AF_INET6, a));
}
END_TEST

static void put_addr(struct sockaddr_storage *ss, const char *text)
{
    memset(ss, 0, sizeof(*ss));
    if (strchr(text, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        ck_assert_int_eq(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        ck_assert_int_eq(inet_pton(AF_INET, text, &s4->sin_addr), 1);
    }
}

static enum err
judge(const char *host, const char *a1, const char *a2, const char *allowed, struct errbuf *eb)
{
    struct sockaddr_storage ss[2];
    size_t n = 0;
    if (a1)
        put_addr(&ss[n++], a1);
    if (a2)
        put_addr(&ss[n++], a2);
    return llm_local_judge(host, ss, n, allowed, eb);
}

START_TEST(test_judge_mixed_answers)
{
    struct errbuf eb = {{0}};
    ck_assert_int_eq(judge("llm.lan", "192.168.1.5", "fd00::5", NULL, &eb), ERR_OK);
    /* A name whose answers mix a local and a public address is refused whole. */
    ck_assert_int_eq(judge("llm.lan", "127.0.0.1", "8.8.8.8", NULL, &eb), ERR_FORBIDDEN);
    ck_assert_ptr_nonnull(strstr(eb.msg, "8.8.8.8"));
    ck_assert_ptr_nonnull(strstr(eb.msg, "not a local address"));
    ck_assert_int_eq(judge("llm.lan", "2001:db8::1", "10.0.0.1", NULL, &eb), ERR_FORBIDDEN);
    ck_assert_int_eq(judge("api.example.com", "93.184.216.34", NULL, NULL, &eb), ERR_FORBIDDEN);
    ck_assert_int_eq(judge("llm.lan", NULL, NULL, NULL, &eb), ERR_FORBIDDEN);
    /* The operator's list: by name (any case, spaces) or by address. */
    ck_assert_int_eq(judge("gpu-box.corp", "203.0.113.7", NULL, "a.b, GPU-BOX.corp ,c", &eb),
                     ERR_OK);
    ck_assert_int_eq(judge("gpu-box.corp", "203.0.113.7", NULL, "203.0.113.7", &eb), ERR_OK);
    ck_assert_int_eq(judge("gpu-box.corp", "203.0.113.7", NULL, "203.0.113.8,gpu-box", &eb),
                     ERR_FORBIDDEN);
    ck_assert_int_eq(judge("h", "2001:db8::7", NULL, "[2001:db8::7]", &eb), ERR_OK);
    /* The unspecified address is never a destination, listed or not. */
    ck_assert_int_eq(judge("0.0.0.0", "0.0.0.0", NULL, "0.0.0.0", &eb), ERR_FORBIDDEN);
    ck_assert_ptr_nonnull(strstr(eb.msg, "unspecified"));
    ck_assert_int_eq(judge("x", "::", NULL, "x", &eb), ERR_FORBIDDEN);
}
END_TEST

START_TEST(test_listed)
{
    ck_assert(llm_host_is_listed("a.lan", "1.2.3.4", "x,a.lan"));
    ck_assert(llm_host_is_listed("a.lan", "1.2.3.4", " 1.2.3.4 "));
    ck_assert(!llm_host_is_listed("a.lan", "1.2.3.4", "a.la,1.2.3.44,,"));
    ck_assert(!llm_host_is_listed("a.lan", "1.2.3.4", NULL));
    ck_assert(!llm_host_is_listed("a.lan", "1.2.3.4", ""));
}
END_TEST

struct url_case {
    const char *url;
    enum err want;
    const char *addr; /* when allowed */
};

START_TEST(test_resolve_spellings)
{
    static const struct url_case cases[] = {
        {"http://127.0.0.1:11434", ERR_OK, "127.0.0.1"},
        {"http://2130706433:11434/", ERR_OK, "127.0.0.1"}, /* decimal */
        {"http://0177.0.0.1/", ERR_OK, "127.0.0.1"},       /* octal */
        {"http://0x7f.1/", ERR_OK, "127.0.0.1"},           /* hex, short form */
        {"http://017700000001/", ERR_OK, "127.0.0.1"},     /* one octal number */
        {"http://[::1]:8080/v", ERR_OK, "::1"},
        {"http://[::ffff:127.0.0.1]/", ERR_OK, NULL},
        {"http://134744072/", ERR_FORBIDDEN, NULL}, /* 8.8.8.8 in decimal */
        {"http://0x8.0x8.0x8.0x8/", ERR_FORBIDDEN, NULL},
        {"http://010.010.010.010/", ERR_FORBIDDEN, NULL}, /* 8.8.8.8 in octal */
        {"http://8.8.8.8/", ERR_FORBIDDEN, NULL},
        {"https://8.8.8.8/", ERR_FORBIDDEN, NULL},
        {"http://0.0.0.0:11434/", ERR_FORBIDDEN, NULL},
        {"http://0/", ERR_FORBIDDEN, NULL},
        {"http://[::]:11434/", ERR_FORBIDDEN, NULL},
        {"http://[::ffff:8.8.8.8]/", ERR_FORBIDDEN, NULL},
        {"http://[2001:4860:4860::8888]/", ERR_FORBIDDEN, NULL},
        {"ftp://127.0.0.1/", ERR_INVALID, NULL},
        {"http://user:pw@127.0.0.1/", ERR_INVALID, NULL},
        {"http://127.0.0.1/?q=1", ERR_INVALID, NULL},
        {"http://[fe80::1%25eth0]:11434/", ERR_INVALID, NULL},
        {"not a url", ERR_INVALID, NULL},
        {"", ERR_INVALID, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct llm_target t;
        struct errbuf eb = {{0}};
        enum err e = llm_target_resolve(cases[i].url, NULL, &t, &eb);
        ck_assert_msg(e == cases[i].want, "%s: got %s (%s), want %s", cases[i].url, err_name(e),
                      eb.msg, err_name(cases[i].want));
        if (cases[i].addr)
            ck_assert_str_eq(t.addr, cases[i].addr);
    }
}
END_TEST

START_TEST(test_resolve_parts)
{
    struct llm_target t;
    struct errbuf eb = {{0}};
    ck_assert_int_eq(llm_target_resolve("http://[::1]:8080/llm/", NULL, &t, &eb), ERR_OK);
    ck_assert_str_eq(t.host, "::1");
    ck_assert_int_eq(t.port, 8080);
    ck_assert_int_eq(t.family, AF_INET6);
    ck_assert_str_eq(t.base, "http://[::1]:8080/llm");
    ck_assert_int_eq(llm_target_resolve("https://localhost", NULL, &t, &eb), ERR_OK);
    ck_assert_int_eq(t.port, 443);
    ck_assert(t.is_https);
    ck_assert(strcmp(t.addr, "127.0.0.1") == 0 || strcmp(t.addr, "::1") == 0);
    /* A listed public address passes (the operator said so). */
    ck_assert_int_eq(llm_target_resolve("http://8.8.8.8:1/", "8.8.8.8", &t, &eb), ERR_OK);
}
END_TEST

/* ---- parsers ---- */

struct sink {
    char text[4096];
    size_t len;
    int calls;
    int stop_after; /* 0: never */
};

static bool sink_fn(void *ctx, const char *text, size_t len)
{
    struct sink *s = ctx;
    if (len == 0)
        return true;
    ck_assert_uint_lt(s->len + len, sizeof(s->text));
    memcpy(s->text + s->len, text, len);
    s->len += len;
    s->text[s->len] = '\0';
    s->calls++;
    return !(s->stop_after && s->calls >= s->stop_after);
}

/* Feed body to a parser in pieces of step bytes; return finish's result. */
static enum err parse_all(enum llm_api api,
                          bool is_stream,
                          const char *body,
                          size_t step,
                          struct sink *s,
                          struct llm_parse *out)
{
    struct llm_parse p;
    struct errbuf eb = {{0}};
    llm_parse_init(&p, api, is_stream, sink_fn, s);
    size_t len = strlen(body);
    for (size_t i = 0; i < len; i += step)
        if (!llm_parse_feed(&p, body + i, len - i < step ? len - i : step))
            break;
    enum err e = llm_parse_finish(&p, &eb);
    *out = p;
    llm_parse_fini(&p);
    return e;
}

static const char openai_body[] =
    "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
    "\"Hello, world!\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":26,"
    "\"completion_tokens\":5,\"total_tokens\":31}}";

static const char openai_sse[] =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\r\n\r\n"
    ": a comment\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\", world!\"}}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":5,"
    "\"total_tokens\":25}}\n\n"
    "data: [DONE]\n\n";

static const char ollama_nd[] =
    "{\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"done\":false}\n"
    "{\"message\":{\"role\":\"assistant\",\"content\":\", world!\"},\"done\":false}\n"
    "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
    "\"prompt_eval_count\":20,\"eval_count\":5}\n";

START_TEST(test_parse_openai)
{
    struct sink s = {0};
    struct llm_parse p;
    ck_assert_int_eq(parse_all(LLM_API_OPENAI, false, openai_body, 7, &s, &p), ERR_OK);
    ck_assert_str_eq(s.text, "Hello, world!");
    ck_assert_int_eq(p.prompt_tokens, 26);
    ck_assert_int_eq(p.completion_tokens, 5);
    ck_assert_int_eq(p.total_tokens, 31);
    for (size_t step = 1; step < 40; step += 13) {
        memset(&s, 0, sizeof(s));
        ck_assert_int_eq(parse_all(LLM_API_OPENAI, true, openai_sse, step, &s, &p), ERR_OK);
        ck_assert_str_eq(s.text, "Hello, world!");
        ck_assert_int_eq(p.prompt_tokens, 20);
        ck_assert_int_eq(p.completion_tokens, 5);
        ck_assert_int_eq(p.total_tokens, 25);
    }
}
END_TEST

START_TEST(test_parse_no_usage_is_null)
{
    struct sink s = {0};
    struct llm_parse p;
    const char *body = "{\"choices\":[{\"message\":{\"content\":\"hi\"}}]}";
    ck_assert_int_eq(parse_all(LLM_API_OPENAI, false, body, 100, &s, &p), ERR_OK);
    ck_assert_int_eq(p.prompt_tokens, -1);
    ck_assert_int_eq(p.completion_tokens, -1);
    ck_assert_int_eq(p.total_tokens, -1);
    const char *sse = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n";
    ck_assert_int_eq(parse_all(LLM_API_OPENAI, true, sse, 5, &s, &p), ERR_OK);
    ck_assert_int_eq(p.total_tokens, -1);
    /* Nonsense counts are no counts. */
    body = "{\"choices\":[],\"usage\":{\"prompt_tokens\":-3,\"completion_tokens\":\"5\"}}";
    ck_assert_int_eq(parse_all(LLM_API_OPENAI, false, body, 100, &s, &p), ERR_OK);
    ck_assert_int_eq(p.prompt_tokens, -1);
    ck_assert_int_eq(p.completion_tokens, -1);
    const char *nd = "{\"message\":{\"content\":\"x\"},\"done\":true,\"eval_count\":3}\n";
    ck_assert_int_eq(parse_all(LLM_API_OLLAMA, true, nd, 4, &s, &p), ERR_OK);
    ck_assert_int_eq(p.prompt_tokens, -1);
    ck_assert_int_eq(p.completion_tokens, 3);
    ck_assert_int_eq(p.total_tokens, -1);
}
END_TEST

START_TEST(test_parse_ollama)
{
    struct sink s = {0};
    struct llm_parse p;
    ck_assert_int_eq(parse_all(LLM_API_OLLAMA, true, ollama_nd, 3, &s, &p), ERR_OK);
    ck_assert_str_eq(s.text, "Hello, world!");
    ck_assert_int_eq(p.prompt_tokens, 20);
    ck_assert_int_eq(p.completion_tokens, 5);
    ck_assert_int_eq(p.total_tokens, 25);
    memset(&s, 0, sizeof(s));
    const char *whole = "{\"message\":{\"content\":\"Hello, world!\"},\"done\":true,"
                        "\"prompt_eval_count\":26,\"eval_count\":5}";
    ck_assert_int_eq(parse_all(LLM_API_OLLAMA, false, whole, 9, &s, &p), ERR_OK);
    ck_assert_str_eq(s.text, "Hello, world!");
    ck_assert_int_eq(p.total_tokens, 31);
}
END_TEST

START_TEST(test_parse_bad)
{
    struct sink s = {0};
    struct llm_parse p;
    ck_assert_int_eq(parse_all(LLM_API_OPENAI, false, "{\"error\":{\"message\":\"x\"}}", 5, &s, &p),
                     ERR_BAD_GATEWAY);
    ck_assert_int_eq(parse_all(LLM_API_OPENAI, false, "not json", 5, &s, &p), ERR_BAD_GATEWAY);
    /* A stream cut before its end is not a whole answer. */
    ck_assert_int_eq(parse_all(LLM_API_OPENAI, true, "data: {\"choices\":[]}\n", 5, &s, &p),
                     ERR_BAD_GATEWAY);
    ck_assert_int_eq(parse_all(LLM_API_OLLAMA, true, "{\"done\":false}\n", 5, &s, &p),
                     ERR_BAD_GATEWAY);
    /* The reader stops the call. */
    memset(&s, 0, sizeof(s));
    s.stop_after = 1;
    ck_assert_int_eq(parse_all(LLM_API_OLLAMA, true, ollama_nd, 1, &s, &p), ERR_CONFLICT);
    ck_assert_str_eq(s.text, "Hello");
    /* A line over the cap. */
    char *big = xmalloc(LLM_RESPONSE_MAX_BYTES + 16);
    memset(big, 'a', LLM_RESPONSE_MAX_BYTES + 8);
    big[LLM_RESPONSE_MAX_BYTES + 8] = '\0';
    ck_assert_int_eq(parse_all(LLM_API_OLLAMA, true, big, 65536, &s, &p), ERR_BAD_GATEWAY);
    xfree(big);
}
END_TEST

/* ---- prompt ---- */

static json_t *report_with(size_t n_templates, const char *planted)
{
    json_t *tpl = json_array();
    for (size_t i = 0; i < n_templates; i++)
        json_array_append_new(tpl, json_pack("{s:s,s:i,s:s}", "template",
                                             "connection refused to db <*> by user <*>", "count",
                                             (int)(1000 - i), "level", "error"));
    json_array_append_new(tpl, json_pack("{s:s,s:i}", "template", planted, "count", 1));
    json_t *job = json_pack("{s:s,s:s,s:{s:{s:o},s:i}}", "task", "log_triage", "status", "success",
                            "summary", "templates", "top", tpl, "lines_total", 42);
    return json_pack("{s:i,s:s,s:[s],s:s,s:s,s:[o]}", "run_id", 7, "status", "success", "tasks",
                     "log_triage", "started_at", "2026-12-04T10:00:00Z", "finished_at",
                     "2026-12-04T10:01:00Z", "jobs", job);
}

START_TEST(test_prompt_redacted)
{
    static const unsigned char key[32] = {1, 2, 3};
    struct redact_opts ro = {REDACT_PSEUDONYM, key, sizeof(key)};
    json_t *rep = report_with(2, "login failed for zoe.planted@example.com from 198.51.100.23");
    int64_t est = 0;
    char *p = llm_prompt_build(rep, "Focus on mallory.planted@example.org please", &ro, 4000, &est);
    ck_assert_ptr_null(strstr(p, "zoe.planted@example.com"));
    ck_assert_ptr_null(strstr(p, "198.51.100.23"));
    ck_assert_ptr_null(strstr(p, "mallory.planted@example.org"));
    ck_assert_ptr_nonnull(strstr(p, "[EMAIL:"));
    ck_assert_ptr_nonnull(strstr(p, "connection refused to db"));
    ck_assert_ptr_nonnull(strstr(p, "Run 7, status success"));
    ck_assert_ptr_nonnull(strstr(p, "Focus on"));
    ck_assert_int_eq(est, llm_tokens_estimate(strlen(p) + strlen(llm_prompt_system())));
    xfree(p);
    json_decref(rep);
}
END_TEST

START_TEST(test_prompt_capped)
{
    struct redact_opts ro = {REDACT_MASK, NULL, 0};
    json_t *rep = report_with(5000, "the last one");
    int caps[] = {200, 1000, 4000, 100000};
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        int64_t est = 0;
        char *p = llm_prompt_build(rep, NULL, &ro, caps[i], &est);
        int cap = caps[i] > LLM_PROMPT_TOKENS_MAX ? LLM_PROMPT_TOKENS_MAX : caps[i];
        ck_assert_int_le(est, cap < 400 ? 400 : cap);
        ck_assert_int_le(llm_tokens_estimate(strlen(p) + strlen(llm_prompt_system())),
                         cap < 400 ? 400 : cap);
        ck_assert_ptr_nonnull(strstr(p, "log_triage"));
        if (cap >= 1000) /* trimmed arrays still show the top templates */
            ck_assert_ptr_nonnull(strstr(p, "connection refused to db"));
        xfree(p);
    }
    json_decref(rep);
    ck_assert_int_eq(llm_tokens_estimate(0), 0);
    ck_assert_int_eq(llm_tokens_estimate(1), 1);
    ck_assert_int_eq(llm_tokens_estimate(3), 1);
    ck_assert_int_eq(llm_tokens_estimate(4), 2);
}
END_TEST

START_TEST(test_api_names)
{
    enum llm_api a;
    ck_assert(llm_api_parse("ollama", &a) && a == LLM_API_OLLAMA);
    ck_assert(llm_api_parse("openai", &a) && a == LLM_API_OPENAI);
    ck_assert(llm_api_parse("auto", &a) && a == LLM_API_AUTO);
    ck_assert(!llm_api_parse("OpenAI", &a));
    ck_assert(!llm_api_parse(NULL, &a));
    ck_assert_str_eq(llm_api_name(LLM_API_OLLAMA), "ollama");
}
END_TEST

int main(void)
{
    llm_global_init();
    Suite *su = suite_create("llm");
    TCase *tc = tcase_create("llm");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_addr_local);
    tcase_add_test(tc, test_addr_unspecified);
    tcase_add_test(tc, test_judge_mixed_answers);
    tcase_add_test(tc, test_listed);
    tcase_add_test(tc, test_resolve_spellings);
    tcase_add_test(tc, test_resolve_parts);
    tcase_add_test(tc, test_parse_openai);
    tcase_add_test(tc, test_parse_no_usage_is_null);
    tcase_add_test(tc, test_parse_ollama);
    tcase_add_test(tc, test_parse_bad);
    tcase_add_test(tc, test_prompt_redacted);
    tcase_add_test(tc, test_prompt_capped);
    tcase_add_test(tc, test_api_names);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
