/* SPDX-License-Identifier: MIT */
/* test_core.c -- unit tests for core/: buf, err, clock, jsonx, fs, crypto, config, log. */
#include <check.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/err.h"
#include "core/fs.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/xalloc.h"

/* ---- helpers ---- */

static char *make_tmpdir(void)
{
    char *dir = xstrdup("/tmp/cb_test_core_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    return dir;
}

static void rm_tmpdir(char *dir)
{
    fs_rm_rf(dir, NULL);
    xfree(dir);
}

/* ---- buf ---- */

START_TEST(test_buf_append_and_cap)
{
    struct buf b;
    buf_init(&b, 8);
    ck_assert_str_eq(buf_str(&b), "");
    ck_assert_int_eq(buf_append(&b, "abcd", 4), ERR_OK);
    ck_assert_int_eq(buf_puts(&b, "efgh"), ERR_OK);
    ck_assert_str_eq(buf_str(&b), "abcdefgh");
    /* One byte over the maximum fails and leaves the content as it was. */
    ck_assert_int_eq(buf_append(&b, "i", 1), ERR_TOO_LARGE);
    ck_assert_str_eq(buf_str(&b), "abcdefgh");
    ck_assert_uint_eq(buf_len(&b), 8);
    ck_assert_int_eq(buf_printf(&b, "%d", 1), ERR_TOO_LARGE);
    ck_assert_str_eq(buf_str(&b), "abcdefgh");
    buf_reset(&b);
    ck_assert_uint_eq(buf_len(&b), 0);
    ck_assert_str_eq(buf_str(&b), "");
    /* A single append larger than the maximum fails on an empty buffer too. */
    ck_assert_int_eq(buf_append(&b, "123456789", 9), ERR_TOO_LARGE);
    ck_assert_uint_eq(buf_len(&b), 0);
    buf_fini(&b);
}
END_TEST

START_TEST(test_buf_printf_and_take)
{
    struct buf b;
    buf_init(&b, 1024);
    ck_assert_int_eq(buf_printf(&b, "id=%d name=%s", 42, "x"), ERR_OK);
    ck_assert_int_eq(buf_printf(&b, " %05.1f", 2.25), ERR_OK);
    ck_assert_str_eq(buf_str(&b), "id=42 name=x 002.2");
    /* Embedded NUL bytes count towards the length. */
    ck_assert_int_eq(buf_append(&b, "\0z", 2), ERR_OK);
    ck_assert_uint_eq(buf_len(&b), 20);
    char *s = buf_take(&b);
    ck_assert_str_eq(s, "id=42 name=x 002.2");
    ck_assert_int_eq(s[19], 'z');
    xfree(s);
    /* After take the buffer is empty and reusable. */
    ck_assert_uint_eq(buf_len(&b), 0);
    ck_assert_str_eq(buf_str(&b), "");
    char *empty = buf_take(&b);
    ck_assert_str_eq(empty, "");
    xfree(empty);
    ck_assert_int_eq(buf_puts(&b, "again"), ERR_OK);
    ck_assert_str_eq(buf_str(&b), "again");
    buf_fini(&b);
}
END_TEST

START_TEST(test_buf_grows_large)
{
    struct buf b;
    buf_init(&b, 100000);
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(buf_puts(&b, "0123456789"), ERR_OK);
    ck_assert_uint_eq(buf_len(&b), 100000);
    ck_assert_int_eq(buf_puts(&b, "x"), ERR_TOO_LARGE);
    ck_assert_int_eq(buf_str(&b)[99999], '9');
    ck_assert_int_eq(buf_str(&b)[100000], '\0');
    buf_fini(&b);
}
END_TEST

/* ---- err ---- */

START_TEST(test_err_table)
{
    ck_assert_int_eq(err_http_status(ERR_OK), 200);
    ck_assert_int_eq(err_http_status(ERR_INVALID), 400);
    ck_assert_int_eq(err_http_status(ERR_PARSE), 400);
    ck_assert_int_eq(err_http_status(ERR_UNAUTHORIZED), 401);
    ck_assert_int_eq(err_http_status(ERR_NOT_FOUND), 404);
    ck_assert_int_eq(err_http_status(ERR_CONFLICT), 409);
    ck_assert_int_eq(err_http_status(ERR_TOO_LARGE), 413);
    ck_assert_int_eq(err_http_status(ERR_UNAVAILABLE), 503);
    ck_assert_int_eq(err_http_status(ERR_DB), 500);
    ck_assert_int_eq(err_jsonrpc_code(ERR_PARSE), -32700);
    ck_assert_int_eq(err_jsonrpc_code(ERR_METHOD), -32601);
    ck_assert_str_eq(err_name(ERR_NOT_FOUND), "ERR_NOT_FOUND");
    ck_assert_str_eq(err_text(ERR_NOT_FOUND), "not found");
    /* Out-of-range values map to an internal error, never out of the table. */
    ck_assert_int_eq(err_http_status((enum err)999), 500);
    ck_assert_int_eq(err_http_status((enum err) - 1), 500);
    for (int e = 0; e < ERR__COUNT; e++) {
        ck_assert_ptr_nonnull(err_name((enum err)e));
        ck_assert_int_ge(err_http_status((enum err)e), 200);
        ck_assert_int_lt(err_http_status((enum err)e), 600);
    }
}
END_TEST

START_TEST(test_errbuf)
{
    struct errbuf eb = {{0}};
    ck_assert_str_eq(errbuf_get(&eb, ERR_CONFLICT), "conflict");
    ck_assert_str_eq(errbuf_get(NULL, ERR_TIMEOUT), "timed out");
    ck_assert_int_eq(errbuf_set(&eb, ERR_INVALID, "field %s must be %d", "port", 7), ERR_INVALID);
    ck_assert_str_eq(errbuf_get(&eb, ERR_INVALID), "field port must be 7");
    /* NULL errbuf is allowed and still returns the code. */
    ck_assert_int_eq(errbuf_set(NULL, ERR_DB, "x"), ERR_DB);
    /* Long messages are cut, not overflowed. */
    char big[600];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    errbuf_set(&eb, ERR_INVALID, "%s", big);
    ck_assert_uint_eq(strlen(errbuf_get(&eb, ERR_INVALID)), sizeof(eb.msg) - 1);
}
END_TEST

START_TEST(test_err_quote_user)
{
    char out[40];
    err_quote_user(out, sizeof(out), "short");
    ck_assert_str_eq(out, "short");
    err_quote_user(out, sizeof(out), "0123456789012345678901234567890123456789");
    ck_assert_str_eq(out, "01234567890123456789012345678901...");
    err_quote_user(out, sizeof(out), "01234567890123456789012345678901");
    ck_assert_str_eq(out, "01234567890123456789012345678901");
    /* Control and non-ASCII bytes never reach a message. */
    err_quote_user(out, sizeof(out), "a\nb\x1b\xff");
    ck_assert_str_eq(out, "a?b??");
    err_quote_user(out, sizeof(out), NULL);
    ck_assert_str_eq(out, "");
    char tiny[5];
    err_quote_user(tiny, sizeof(tiny), "abcdefgh");
    ck_assert_uint_le(strlen(tiny), 4);
    ck_assert_int_eq(strncmp(tiny, "abcd", strlen(tiny)), 0);
}
END_TEST

/* ---- clock ---- */

START_TEST(test_clock_round_trip)
{
    char s[CLOCK_ISO_LEN];
    clock_iso_from_ms(1795546370123LL, s);
    ck_assert_str_eq(s, "2026-11-24T18:52:50.123Z");
    int64_t ms = 0;
    ck_assert(clock_iso_parse(s, &ms));
    ck_assert_int_eq(ms, 1795546370123LL);
    clock_iso_from_ms(0, s);
    ck_assert_str_eq(s, "1970-01-01T00:00:00.000Z");
    ck_assert(clock_iso_parse("2026-11-24T18:52:50+00:00", &ms));
    ck_assert_int_eq(ms, 1795546370000LL);
    ck_assert(clock_iso_parse("2026-11-24T18:52:50.5Z", &ms));
    ck_assert_int_eq(ms, 1795546370500LL);
    ck_assert(clock_iso_parse("2026-11-24T18:52:50.123456Z", &ms));
    ck_assert_int_eq(ms, 1795546370123LL);
    /* now: formats, parses back, and text order follows time order. */
    char a[CLOCK_ISO_LEN], b[CLOCK_ISO_LEN];
    clock_iso_from_ms(1000, a);
    clock_iso_from_ms(999999999999LL, b);
    ck_assert_int_lt(strcmp(a, b), 0);
    clock_now_iso(s);
    ck_assert(clock_iso_parse(s, &ms));
    ck_assert_int_gt(ms, 1700000000000LL);
}
END_TEST

START_TEST(test_clock_rejects_garbage)
{
    static const char *const bad[] = {
        "",
        "garbage",
        "2026-11-24",
        "2026-11-24T18:52",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-11-32T00:00:00Z",
        "2026-11-24T24:00:00Z",
        "2026-11-24T18:60:00Z",
        "2026-11-24T18:52:50.Z",
        "2026-11-24T18:52:50+02:00",
        "2026-11-24T18:52:50Zjunk",
        "2026/11/24T18:52:50Z",
        "2O26-11-24T18:52:50Z",
        "-026-11-24T18:52:50Z",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms = 12345;
        ck_assert_msg(!clock_iso_parse(bad[i], &ms), "accepted '%s'", bad[i]);
    }
    int64_t ms;
    ck_assert(!clock_iso_parse(NULL, &ms));
}
END_TEST

START_TEST(test_clock_mono)
{
    int64_t a = clock_mono_ms();
    int64_t b = clock_mono_ms();
    ck_assert_int_ge(b, a);
}
END_TEST

/* ---- jsonx ---- */

START_TEST(test_jsonx_ok)
{
    struct errbuf eb = {{0}};
    json_t *j = NULL;
    const char *txt = "{\"name\":\"job\",\"n\":3,\"s\":\"a\\\"{[\"}";
    ck_assert_int_eq(jsonx_parse(txt, strlen(txt), 1024, &j, &eb), ERR_OK);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(jsonx_get_str(j, "name"), "job");
    ck_assert_ptr_null(jsonx_get_str(j, "n"));
    ck_assert_ptr_null(jsonx_get_str(j, "missing"));
    jsonx_set_str_or_null(j, "name", NULL);
    ck_assert(json_is_null(json_object_get(j, "name")));
    jsonx_set_str_or_null(j, "x", "y");
    char *s = jsonx_dumps(j);
    ck_assert_ptr_nonnull(strstr(s, "\"x\":\"y\""));
    ck_assert_ptr_nonnull(strstr(s, "\"name\":null"));
    xfree(s);
    json_decref(j);
    json_t *arr = json_loads(
        "[3,{\"p\":7},{\"p\":\"a\",\"n\":1},{\"p\":\"b\"},{\"p\":\"a\",\"n\":2}]", 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(jsonx_find(arr, "p", "a"), "n")), 1);
    ck_assert_ptr_null(jsonx_find(arr, "p", "c"));
    ck_assert_ptr_null(jsonx_find(arr, "p", NULL));
    ck_assert_ptr_null(jsonx_find(NULL, "p", "a"));
    json_decref(arr);
}
END_TEST

START_TEST(test_jsonx_caps)
{
    struct errbuf eb = {{0}};
    json_t *j = (json_t *)1;
    const char *txt = "[1,2,3]";
    ck_assert_int_eq(jsonx_parse(txt, strlen(txt), 6, &j, &eb), ERR_TOO_LARGE);
    ck_assert_ptr_null(j);
    ck_assert_ptr_nonnull(strstr(eb.msg, "6 bytes"));

    /* Exactly JSONX_MAX_DEPTH levels parse; one more does not. */
    char deep[2 * (JSONX_MAX_DEPTH + 1) + 1];
    for (int n = JSONX_MAX_DEPTH; n <= JSONX_MAX_DEPTH + 1; n++) {
        memset(deep, '[', (size_t)n);
        memset(deep + n, ']', (size_t)n);
        deep[2 * n] = '\0';
        memset(&eb, 0, sizeof(eb));
        enum err e = jsonx_parse(deep, strlen(deep), 4096, &j, &eb);
        if (n == JSONX_MAX_DEPTH) {
            ck_assert_int_eq(e, ERR_OK);
            json_decref(j);
        } else {
            ck_assert_int_eq(e, ERR_TOO_LARGE);
            ck_assert_ptr_null(j);
            ck_assert_ptr_nonnull(strstr(eb.msg, "nested"));
        }
    }
    /* Brackets inside strings do not count as depth. */
    ck_assert_int_eq(jsonx_depth("[\"[[[[\\\"[[[\"]", 13, 100), 1);
}
END_TEST

START_TEST(test_jsonx_malformed)
{
    static const char *const bad[] = {"{", "{\"a\":}", "[1,]", "nul", "{\"a\" 1}", "\"\\x\"", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct errbuf eb = {{0}};
        json_t *j = NULL;
        ck_assert_int_eq(jsonx_parse(bad[i], strlen(bad[i]), 1024, &j, &eb), ERR_PARSE);
        ck_assert_ptr_null(j);
        ck_assert_msg(strstr(eb.msg, "malformed JSON") != NULL, "detail: %s", eb.msg);
        ck_assert_ptr_nonnull(strstr(eb.msg, "line"));
    }
}
END_TEST

START_TEST(test_jsonx_duplicate_keys)
{
    struct errbuf eb = {{0}};
    json_t *j = NULL;
    const char *txt = "{\"a\":1,\"a\":2}";
    ck_assert_int_eq(jsonx_parse(txt, strlen(txt), 1024, &j, &eb), ERR_PARSE);
    ck_assert_ptr_null(j);
    ck_assert_ptr_nonnull(strstr(eb.msg, "duplicate"));
}
END_TEST

/* ---- fs ---- */

START_TEST(test_fs_mkdir_write_read)
{
    char *dir = make_tmpdir();
    char *deep = xasprintf("%s/a/b/c", dir);
    ck_assert_int_eq(fs_mkdir_p(deep, 0700, NULL), ERR_OK);
    ck_assert(fs_is_dir(deep));
    /* Again: already there is fine. */
    ck_assert_int_eq(fs_mkdir_p(deep, 0700, NULL), ERR_OK);

    char *path = xasprintf("%s/file.txt", deep);
    ck_assert_int_eq(fs_write_atomic(path, "hello\0world", 11, NULL), ERR_OK);
    ck_assert(!fs_is_dir(path));
    char *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(fs_read_file(path, 1024, &data, &len, NULL), ERR_OK);
    ck_assert_uint_eq(len, 11);
    ck_assert_int_eq(memcmp(data, "hello\0world", 11), 0);
    ck_assert_int_eq(data[11], '\0');
    xfree(data);

    /* Overwrite replaces the content whole. */
    ck_assert_int_eq(fs_write_atomic(path, "x", 1, NULL), ERR_OK);
    ck_assert_int_eq(fs_read_file(path, 1024, &data, &len, NULL), ERR_OK);
    ck_assert_str_eq(data, "x");
    xfree(data);

    ck_assert(fs_free_bytes(dir) > 0);
    ck_assert_int_eq(fs_rm_rf(dir, NULL), ERR_OK);
    ck_assert(!fs_is_dir(dir));
    xfree(path);
    xfree(deep);
    xfree(dir);
}
END_TEST

START_TEST(test_fs_read_cap_and_missing)
{
    char *dir = make_tmpdir();
    char *path = xasprintf("%s/big", dir);
    ck_assert_int_eq(fs_write_atomic(path, "0123456789", 10, NULL), ERR_OK);
    char *data = NULL;
    size_t len = 0;
    struct errbuf eb = {{0}};
    ck_assert_int_eq(fs_read_file(path, 9, &data, &len, &eb), ERR_TOO_LARGE);
    ck_assert_ptr_null(data);
    ck_assert_int_eq(fs_read_file(path, 10, &data, &len, NULL), ERR_OK);
    ck_assert_uint_eq(len, 10);
    xfree(data);
    data = NULL;
    char *missing = xasprintf("%s/nope", dir);
    memset(&eb, 0, sizeof(eb));
    ck_assert_int_ne(fs_read_file(missing, 10, &data, &len, &eb), ERR_OK);
    ck_assert_ptr_null(data);
    ck_assert(eb.msg[0] != '\0');
    /* mkdir_p through a regular file fails. */
    char *under = xasprintf("%s/big/sub", dir);
    ck_assert_int_ne(fs_mkdir_p(under, 0700, NULL), ERR_OK);
    xfree(under);
    xfree(missing);
    xfree(path);
    rm_tmpdir(dir);
}
END_TEST

/* ---- crypto ---- */

START_TEST(test_crypto)
{
    char hex[CRYPTO_SHA256_HEX_LEN];
    crypto_sha256_hex("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    crypto_sha256_hex("", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* Every length around the block and padding edges, and a long input, agree with
     * libcrypto. */
    static unsigned char data[70000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 131 + (i >> 8));
    for (size_t len = 0; len <= sizeof(data); len = len < 300 ? len + 1 : len * 3 + 7) {
        unsigned char md[32];
        unsigned md_len = 0;
        char want[CRYPTO_SHA256_HEX_LEN];
        EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL);
        for (unsigned i = 0; i < 32; i++)
            snprintf(want + 2 * i, 3, "%02x", md[i]);
        crypto_sha256_hex(data, len, hex);
        ck_assert_msg(strcmp(hex, want) == 0, "sha256 of %zu bytes", len);
    }

    char r1[33], r2[33];
    ck_assert_int_eq(crypto_random_hex(16, r1, sizeof(r1)), ERR_OK);
    ck_assert_int_eq(crypto_random_hex(16, r2, sizeof(r2)), ERR_OK);
    ck_assert_uint_eq(strlen(r1), 32);
    ck_assert_uint_eq(strspn(r1, "0123456789abcdef"), 32);
    ck_assert_str_ne(r1, r2);
    /* Too small an output buffer is refused, not overflowed. */
    ck_assert_int_ne(crypto_random_hex(16, r1, 32), ERR_OK);

    ck_assert(crypto_streq_ct("secret", "secret"));
    ck_assert(!crypto_streq_ct("secret", "secreT"));
    ck_assert(!crypto_streq_ct("secret", "secrets"));
    ck_assert(!crypto_streq_ct("", "x"));
}
END_TEST

/* RFC 4231 test cases 1-4, 6 and 7 (5 is a truncated MAC), and libcrypto's HMAC on
 * keys and data around the block size. */
static void hmac_hex(const void *key, size_t key_len, const void *data, size_t len, char *hex)
{
    unsigned char mac[CRYPTO_SHA256_LEN];
    crypto_hmac_sha256(key, key_len, data, len, mac);
    for (int i = 0; i < CRYPTO_SHA256_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
}

START_TEST(test_hmac_sha256)
{
    char hex[CRYPTO_SHA256_HEX_LEN];
    unsigned char k20[20], kaa[131], d50[50], d50b[50], k25[25];
    memset(k20, 0x0b, sizeof(k20));
    hmac_hex(k20, 20, "Hi There", 8, hex);
    ck_assert_str_eq(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    hmac_hex("Jefe", 4, "what do ya want for nothing?", 28, hex);
    ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(k20, 0xaa, sizeof(k20));
    memset(d50, 0xdd, sizeof(d50));
    hmac_hex(k20, 20, d50, 50, hex);
    ck_assert_str_eq(hex, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (int i = 0; i < 25; i++)
        k25[i] = (unsigned char)(i + 1);
    memset(d50b, 0xcd, sizeof(d50b));
    hmac_hex(k25, 25, d50b, 50, hex);
    ck_assert_str_eq(hex, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(kaa, 0xaa, sizeof(kaa));
    static const char m6[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    hmac_hex(kaa, 131, m6, sizeof(m6) - 1, hex);
    ck_assert_str_eq(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    static const char m7[] = "This is a test using a larger than block-size key and a larger "
                             "than block-size data. The key needs to be hashed before being "
                             "used by the HMAC algorithm.";
    hmac_hex(kaa, 131, m7, sizeof(m7) - 1, hex);
    ck_assert_str_eq(hex, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
    /* The two-part form equals HMAC of the concatenation. */
    struct crypto_hmac h;
    unsigned char a[CRYPTO_SHA256_LEN], b[CRYPTO_SHA256_LEN];
    crypto_hmac_sha256_init(&h, "Jefe", 4);
    crypto_hmac_sha256_parts(&h, "what do ya ", 11, "want for nothing?", 17, a);
    crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, b);
    ck_assert_mem_eq(a, b, sizeof(a));
    static unsigned char data[300];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 7 + 3);
    for (size_t kl = 0; kl <= 130; kl += 13) {
        for (size_t len = 0; len <= sizeof(data); len += 37) {
            unsigned char md[32];
            unsigned md_len = 0;
            char want[CRYPTO_SHA256_HEX_LEN];
            HMAC(EVP_sha256(), data, (int)kl, data + 1, len, md, &md_len);
            for (unsigned i = 0; i < 32; i++)
                snprintf(want + 2 * i, 3, "%02x", md[i]);
            hmac_hex(data, kl, data + 1, len, hex);
            ck_assert_msg(strcmp(hex, want) == 0, "hmac key %zu data %zu", kl, len);
        }
    }
}
END_TEST

/* ---- config ---- */

static void clear_config_env(void)
{
    static const char *const vars[] = {
        "CYBER_BRAIN_LOGS",
        "CYBER_BRAIN_UPLOADS",
        "CYBER_BRAIN_DB",
        "CYBER_BRAIN_BIND",
        "CYBER_BRAIN_SECRET_KEY",
        "DJANGO_SECRET_KEY",
        "CYBER_BRAIN_WORKER_BIN",
        "DEBUG_REDACTED_MODE",
        "CYBER_BRAIN_DEBUG",
        "DJANGO_DEBUG",
        "CYBER_BRAIN_PORT",
        "CYBER_BRAIN_HTTP_THREADS",
        "CYBER_BRAIN_DB_POOL",
        "CYBER_BRAIN_MAX_JOBS",
        "CYBER_BRAIN_JOB_TIMEOUT",
        "CYBER_BRAIN_MAX_BODY",
        "CYBER_BRAIN_LOOKBACK",
        "CYBER_BRAIN_RUNTIME",
        "DOCKER_HOST",
        "CYBER_BRAIN_LOG_LEVEL",
        "CYBER_BRAIN_LOG_FORMAT",
        "POSTGRES_HOST",
        "POSTGRES_PORT",
        "POSTGRES_DB",
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
    };
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
}

START_TEST(test_config_defaults)
{
    clear_config_env();
    struct config cfg;
    struct errbuf eb = {{0}};
    ck_assert_int_eq(config_load(&cfg, &eb), ERR_OK);
    ck_assert_int_eq(cfg.port, 9595);
    ck_assert_str_eq(cfg.bind_addr, "0.0.0.0");
    ck_assert_str_eq(cfg.logs_dir, "./logs");
    ck_assert_str_eq(cfg.db_path, "./data/cyberbrain.db");
    ck_assert(cfg.is_redacted);
    ck_assert(!cfg.is_debug);
    ck_assert_ptr_null(cfg.pg_conninfo);
    ck_assert_ptr_null(cfg.secret_key);
    ck_assert_int_eq(cfg.runtime, CONFIG_RUNTIME_AUTO);
    ck_assert_str_eq(cfg.docker_socket, "/var/run/docker.sock");
    ck_assert_str_eq(cfg.log_level, "info");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long want_threads = cores >= 2 ? (cores / 2 > 8 ? 8 : cores / 2) : 1;
    ck_assert_int_eq(cfg.http_threads, want_threads);
    ck_assert_int_eq(cfg.job_timeout_ms, 300000);
    ck_assert_int_eq(cfg.max_body_bytes, 1 << 20);
    ck_assert_uint_eq(strlen(cfg.instance_id), 16);
    config_fini(&cfg);
    ck_assert_ptr_null(cfg.bind_addr);
}
END_TEST

START_TEST(test_config_set_values)
{
    clear_config_env();
    setenv("CYBER_BRAIN_PORT", "8080", 1);
    setenv("DEBUG_REDACTED_MODE", "off", 1);
    setenv("DJANGO_DEBUG", "TRUE", 1);
    setenv("CYBER_BRAIN_RUNTIME", "process", 1);
    setenv("DJANGO_SECRET_KEY", "0123456789abcdef-django", 1);
    setenv("CYBER_BRAIN_LOG_FORMAT", "json", 1);
    struct config cfg;
    struct errbuf eb = {{0}};
    ck_assert_int_eq(config_load(&cfg, &eb), ERR_OK);
    ck_assert_int_eq(cfg.port, 8080);
    ck_assert(!cfg.is_redacted);
    ck_assert(cfg.is_debug);
    ck_assert_int_eq(cfg.runtime, CONFIG_RUNTIME_PROCESS);
    ck_assert_str_eq(config_runtime_name(cfg.runtime), "process");
    ck_assert_str_eq(cfg.secret_key, "0123456789abcdef-django");
    ck_assert(cfg.is_log_json);
    config_fini(&cfg);

    /* The CYBER_BRAIN_ name wins over the Django alias. */
    setenv("CYBER_BRAIN_SECRET_KEY", "cyberbrain-secret-key-1", 1);
    ck_assert_int_eq(config_load(&cfg, &eb), ERR_OK);
    ck_assert_str_eq(cfg.secret_key, "cyberbrain-secret-key-1");
    config_fini(&cfg);
}
END_TEST

START_TEST(test_config_errors_name_variable)
{
    static const struct {
        const char *name, *value;
    } cases[] = {
        {"CYBER_BRAIN_PORT", "70000"},       {"CYBER_BRAIN_PORT", "12ab"},
        {"CYBER_BRAIN_PORT", "-1"},          {"DEBUG_REDACTED_MODE", "maybe"},
        {"CYBER_BRAIN_RUNTIME", "kube"},     {"CYBER_BRAIN_LOG_LEVEL", "loud"},
        {"DOCKER_HOST", "tcp://x:2375"},     {"CYBER_BRAIN_HTTP_THREADS", "0"},
        {"CYBER_BRAIN_SECRET_KEY", "short"}, {"POSTGRES_PORT", "x"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        clear_config_env();
        setenv(cases[i].name, cases[i].value, 1);
        if (strcmp(cases[i].name, "POSTGRES_PORT") == 0)
            setenv("POSTGRES_HOST", "db", 1);
        struct config cfg;
        struct errbuf eb = {{0}};
        enum err e = config_load(&cfg, &eb);
        ck_assert_msg(e == ERR_INVALID, "%s=%s gave %s", cases[i].name, cases[i].value,
                      err_name(e));
        ck_assert_msg(strstr(eb.msg, cases[i].name) != NULL, "message '%s' does not name %s",
                      eb.msg, cases[i].name);
        config_fini(&cfg);
    }
}
END_TEST

START_TEST(test_config_postgres)
{
    clear_config_env();
    setenv("POSTGRES_HOST", "db.local", 1);
    setenv("POSTGRES_DB", "brain", 1);
    setenv("POSTGRES_USER", "cb", 1);
    setenv("POSTGRES_PASSWORD", "pa's s", 1);
    struct config cfg;
    struct errbuf eb = {{0}};
    ck_assert_int_eq(config_load(&cfg, &eb), ERR_OK);
    ck_assert_ptr_nonnull(cfg.pg_conninfo);
    ck_assert_ptr_nonnull(strstr(cfg.pg_conninfo, "host='db.local'"));
    ck_assert_ptr_nonnull(strstr(cfg.pg_conninfo, "port=5432"));
    ck_assert_ptr_nonnull(strstr(cfg.pg_conninfo, "dbname='brain'"));
    ck_assert_ptr_nonnull(strstr(cfg.pg_conninfo, "user='cb'"));
    ck_assert_ptr_nonnull(strstr(cfg.pg_conninfo, "password='pa\\'s s'"));
    /* The summary is for messages: no password. */
    ck_assert_str_eq(cfg.pg_summary, "cb@db.local:5432/brain");
    ck_assert_ptr_null(strstr(cfg.pg_summary, "pa"));
    config_fini(&cfg);
}
END_TEST

START_TEST(test_config_parse_bool)
{
    bool v = false;
    ck_assert(config_parse_bool("Yes", &v) && v);
    ck_assert(config_parse_bool("0", &v) && !v);
    ck_assert(config_parse_bool("ON", &v) && v);
    ck_assert(!config_parse_bool("2", &v));
    ck_assert(!config_parse_bool("", &v));
}
END_TEST

/* ---- log ---- */

static char *read_log(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(fs_read_file(path, 1 << 20, &data, &len, NULL), ERR_OK);
    return data;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static size_t redact_filter(void *ctx, const char *line, size_t len, char *out, size_t out_cap)
{
    const char *word = ctx;
    size_t wl = strlen(word), j = 0;
    for (size_t i = 0; i < len && j + 1 < out_cap;) {
        if (i + wl <= len && memcmp(line + i, word, wl) == 0 && j + 10 < out_cap) {
            memcpy(out + j, "[REDACTED]", 10);
            j += 10;
            i += wl;
        } else {
            out[j++] = line[i++];
        }
    }
    out[j] = '\0';
    return j;
}

START_TEST(test_log_lines_levels_filter)
{
    char *dir = make_tmpdir();
    char *path = xasprintf("%s/log", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    log_init(fd, LOG_INFO, false);
    ck_assert(log_is_enabled(LOG_WARN));
    ck_assert(!log_is_enabled(LOG_DEBUG));
    log_info("test", "event=one id=%d", 1);
    log_debug("test", "event=hidden");
    log_warn("test", "event=two value=%s", "line1\nline2\rx\x1b");
    log_set_filter(redact_filter, (void *)"hunter2");
    log_error("auth", "event=login password=hunter2 ok");
    log_set_filter(NULL, NULL);
    log_info("test", "event=after hunter2");
    close(fd);

    char *s = read_log(path);
    ck_assert_int_eq(count_lines(s), 4);
    ck_assert_ptr_nonnull(strstr(s, " info test event=one id=1\n"));
    ck_assert_ptr_null(strstr(s, "hidden"));
    ck_assert_ptr_nonnull(strstr(s, " warn test event=two value=line1 line2 x \n"));
    ck_assert_ptr_nonnull(strstr(s, " error auth event=login password=[REDACTED] ok\n"));
    ck_assert_ptr_nonnull(strstr(s, "event=after hunter2\n"));
    /* Every line starts with an ISO timestamp. */
    int64_t ms;
    char ts[25];
    memcpy(ts, s, 24);
    ts[24] = '\0';
    ck_assert(clock_iso_parse(ts, &ms));
    xfree(s);
    xfree(path);
    rm_tmpdir(dir);
}
END_TEST

START_TEST(test_log_json_and_long)
{
    char *dir = make_tmpdir();
    char *path = xasprintf("%s/log", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    log_init(fd, LOG_DEBUG, true);
    log_debug("store", "event=q text=%s", "say \"hi\"\\");
    char big[10000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log_init(fd, LOG_DEBUG, false);
    log_info("big", "v=%s", big);
    close(fd);

    char *s = read_log(path);
    ck_assert_int_eq(count_lines(s), 2);
    char *nl = strchr(s, '\n');
    *nl = '\0';
    json_t *j = NULL;
    ck_assert_int_eq(jsonx_parse(s, strlen(s), 8192, &j, NULL), ERR_OK);
    ck_assert_str_eq(jsonx_get_str(j, "level"), "debug");
    ck_assert_str_eq(jsonx_get_str(j, "subsys"), "store");
    ck_assert_str_eq(jsonx_get_str(j, "msg"), "event=q text=say \"hi\"\\");
    json_decref(j);
    /* An over-long record is cut but still ends in exactly one newline. */
    ck_assert_uint_lt(strlen(nl + 1), sizeof(big));
    ck_assert_int_eq(nl[1 + strlen(nl + 1) - 1], '\n');
    xfree(s);
    xfree(path);
    rm_tmpdir(dir);

    enum log_level lv;
    ck_assert(log_level_parse("warn", &lv));
    ck_assert_int_eq(lv, LOG_WARN);
    ck_assert(!log_level_parse("verbose", &lv));
}
END_TEST

START_TEST(test_proc_capture)
{
    char *sh = proc_find_on_path("sh");
    ck_assert_ptr_nonnull(sh);
    ck_assert_ptr_null(proc_find_on_path("cyberbrain-no-such-program"));
    struct buf out;
    int status = 0;
    struct errbuf eb = {0};
    buf_init(&out, 8);
    char *ok[] = {sh, "-c", "echo hello world; exit 3", NULL};
    ck_assert_int_eq(proc_run_capture(ok, NULL, 10000, &out, &status, &eb), ERR_OK);
    ck_assert_int_eq(status, 3);
    ck_assert_uint_le(buf_len(&out), 8); /* capped: the rest is dropped */
    ck_assert_int_eq(strncmp(buf_str(&out), "hello wo", buf_len(&out)), 0);
    buf_reset(&out);
    char *slow[] = {sh, "-c", "exec sleep 30", NULL};
    ck_assert_int_eq(proc_run_capture(slow, NULL, 200, &out, &status, &eb), ERR_TIMEOUT);
    ck_assert_int_eq(status, -1); /* killed */
    char *missing[] = {"/nonexistent/prog", NULL};
    ck_assert_int_eq(proc_run_capture(missing, NULL, 10000, &out, &status, &eb), ERR_OK);
    ck_assert_int_eq(status, 127);
    buf_fini(&out);
    xfree(sh);
}
END_TEST

static Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_buf_append_and_cap);
    tcase_add_test(tc, test_buf_printf_and_take);
    tcase_add_test(tc, test_buf_grows_large);
    tcase_add_test(tc, test_err_table);
    tcase_add_test(tc, test_errbuf);
    tcase_add_test(tc, test_err_quote_user);
    tcase_add_test(tc, test_clock_round_trip);
    tcase_add_test(tc, test_clock_rejects_garbage);
    tcase_add_test(tc, test_clock_mono);
    tcase_add_test(tc, test_jsonx_ok);
    tcase_add_test(tc, test_jsonx_caps);
    tcase_add_test(tc, test_jsonx_malformed);
    tcase_add_test(tc, test_jsonx_duplicate_keys);
    tcase_add_test(tc, test_fs_mkdir_write_read);
    tcase_add_test(tc, test_fs_read_cap_and_missing);
    tcase_add_test(tc, test_crypto);
    tcase_add_test(tc, test_hmac_sha256);
    tcase_add_test(tc, test_config_defaults);
    tcase_add_test(tc, test_config_set_values);
    tcase_add_test(tc, test_config_errors_name_variable);
    tcase_add_test(tc, test_config_postgres);
    tcase_add_test(tc, test_config_parse_bool);
    tcase_add_test(tc, test_log_lines_levels_filter);
    tcase_add_test(tc, test_log_json_and_long);
    tcase_add_test(tc, test_proc_capture);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(core_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
