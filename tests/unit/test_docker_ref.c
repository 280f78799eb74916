/* SPDX-License-Identifier: MIT */
/* test_docker_ref.c -- image reference parsing, normalisation and each bypass trick. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/docker_ref.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Parse ref, which must succeed, and return its canonical form (static storage). */
static const char *canon(const char *ref)
{
    static struct docker_ref r;
    struct errbuf eb = {{0}};
    enum err e = docker_ref_parse(ref, &r, &eb);
    ck_assert_msg(e == ERR_OK, "%s: %s", ref, errbuf_get(&eb, e));
    return r.canonical;
}

/* ref must be refused with ERR_INVALID and a message containing want. */
static void refused(const char *ref, const char *want)
{
    struct docker_ref r;
    struct errbuf eb = {{0}};
    enum err e = docker_ref_parse(ref, &r, &eb);
    ck_assert_msg(e == ERR_INVALID, "accepted: %s", ref);
    ck_assert_msg(strstr(errbuf_get(&eb, e), want), "%s: got \"%s\", want \"%s\"", ref,
                  errbuf_get(&eb, e), want);
}

START_TEST(test_equivalent_forms)
{
    const char *forms[] = {"nginx",
                           "nginx:latest",
                           "library/nginx",
                           "docker.io/library/nginx",
                           "docker.io/nginx",
                           "index.docker.io/library/nginx:latest",
                           "docker.io/library/nginx:latest"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        ck_assert_str_eq(canon(forms[i]), "docker.io/library/nginx:latest");
    struct docker_ref r;
    ck_assert_int_eq(docker_ref_parse("nginx:1.25", &r, NULL), ERR_OK);
    ck_assert_str_eq(r.registry, "docker.io");
    ck_assert_str_eq(r.repository, "library/nginx");
    ck_assert_str_eq(r.tag, "1.25");
    ck_assert_str_eq(r.digest, "");
    ck_assert_str_eq(r.name, "docker.io/library/nginx");
}
END_TEST

START_TEST(test_registries)
{
    ck_assert_str_eq(canon("ghcr.io/org/app:v1"), "ghcr.io/org/app:v1");
    ck_assert_str_eq(canon("localhost/app"), "localhost/app:latest");
    ck_assert_str_eq(canon("localhost:5000/a/b:t"), "localhost:5000/a/b:t");
    ck_assert_str_eq(canon("user/app"), "docker.io/user/app:latest");
    ck_assert_str_eq(canon("my-reg.example.com:443/x__y/a-b.c"),
                     "my-reg.example.com:443/x__y/a-b.c:latest");
    /* Without a '/', "localhost:5000" is an image "localhost" with tag "5000". */
    ck_assert_str_eq(canon("localhost:5000"), "docker.io/library/localhost:5000");
}
END_TEST

START_TEST(test_digest)
{
    ck_assert_str_eq(canon("nginx@sha256:" HEX64), "docker.io/library/nginx:latest@sha256:" HEX64);
    ck_assert_str_eq(canon("nginx:1.25@sha256:" HEX64),
                     "docker.io/library/nginx:1.25@sha256:" HEX64);
}
END_TEST

START_TEST(test_bypass_case)
{
    refused("NGINX", "lowercase");
    refused("library/Nginx", "lowercase");
    refused("Docker.io/library/nginx", "registry must be lowercase");
    refused("docker.io/Library/nginx", "lowercase");
    refused("nginx@sha256:"
            "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
            "digest");
}
END_TEST

START_TEST(test_bypass_registry_prefix)
{
    refused("docker.io//library/nginx", "empty path component");
    refused("/nginx", "starts or ends");
    refused("nginx/", "starts or ends");
    refused("-reg.io/nginx", "registry");
    refused("reg.io:/nginx", "registry");
    refused("reg.io:99999999/nginx", "registry");
    refused("reg..io/nginx", "\"..\"");
    refused("docker.io/../nginx", "\"..\"");
    /* A look-alike registry is a different registry, never docker.io. */
    ck_assert_str_eq(canon("docker.io.evil.com/library/nginx"),
                     "docker.io.evil.com/library/nginx:latest");
}
END_TEST

START_TEST(test_bypass_tag_digest)
{
    refused("nginx@sha256:abc", "digest");
    refused("nginx@md5:" HEX64, "digest");
    refused("nginx@" HEX64, "digest");
    refused("nginx@sha256:" HEX64 "@sha256:" HEX64, "more than one '@'");
    refused("nginx@sha256:" HEX64 "0", "digest");
    refused("nginx:-bad", "tag");
    refused("nginx:a+b", "tag");
    refused("nginx:a:b", "path component");
    char longtag[200];
    memset(longtag, 0, sizeof(longtag));
    memcpy(longtag, "nginx:", 6);
    memset(longtag + 6, 'a', 129);
    refused(longtag, "tag");
    longtag[6 + 128] = '\0';
    ck_assert_int_eq(docker_ref_parse(longtag, &(struct docker_ref){0}, NULL), ERR_OK);
}
END_TEST

START_TEST(test_bypass_whitespace_control)
{
    refused(" nginx", "whitespace");
    refused("nginx ", "whitespace");
    refused("ngi nx", "whitespace");
    refused("nginx\t", "whitespace");
    refused("nginx\n:latest", "whitespace");
    refused("ngin\x01x", "control");
    refused("ngin\x7fx", "control");
    refused("ngin\xc3\xa9x", "non-ASCII");
}
END_TEST

START_TEST(test_bypass_at_colon)
{
    refused("", "empty");
    refused(":latest", "starts or ends");
    refused("nginx:", "starts or ends");
    refused("@sha256:" HEX64, "name is empty");
    refused("nginx@", "digest");
    refused("nginx:@sha256:" HEX64, "tag");
    refused("nginx@sha256:" HEX64 ":latest", "digest");
    refused("nginx:latest@", "digest");
    refused("a/:tag", "name is empty");
    refused("nginx--", "path component");
    refused("ngi___nx", "path component");
    refused("_nginx", "path component");
}
END_TEST

START_TEST(test_length)
{
    char s[300];
    memset(s, 'a', 256);
    s[256] = '\0';
    refused(s, "longer than 255");
    /* Valid by itself, too long once normalised. */
    s[250] = '\0';
    refused(s, "repository is too long"); /* with "library/" it is 258 */
    s[240] = '\0';
    refused(s, "normalised");
    refused(NULL, "missing");
}
END_TEST

int main(void)
{
    Suite *su = suite_create("docker_ref");
    TCase *tc = tcase_create("ref");
    tcase_add_test(tc, test_equivalent_forms);
    tcase_add_test(tc, test_registries);
    tcase_add_test(tc, test_digest);
    tcase_add_test(tc, test_bypass_case);
    tcase_add_test(tc, test_bypass_registry_prefix);
    tcase_add_test(tc, test_bypass_tag_digest);
    tcase_add_test(tc, test_bypass_whitespace_control);
    tcase_add_test(tc, test_bypass_at_colon);
    tcase_add_test(tc, test_length);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
