/* Unit tests for admin API access control (src/protocol/admin_auth.c): the loopback classifier on
 * IPv4, IPv6 and IPv4-mapped addresses, bearer token matching, the access decision with and
 * without a token, and the actor text recorded in history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "protocol/admin_auth.h"

/* Parses an IPv4 or IPv6 address into storage; asserts it parses. */
static const struct sockaddr *addr(const char *text, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, text, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
    } else {
        assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
        in6->sin6_family = AF_INET6;
    }
    return (const struct sockaddr *)ss;
}

static bool loopback(const char *text)
{
    struct sockaddr_storage ss;
    return admin_auth_is_loopback(addr(text, &ss));
}

static void test_loopback_addresses(void **state)
{
    (void)state;
    assert_true(loopback("127.0.0.1"));
    assert_true(loopback("127.5.5.5"));
    assert_true(loopback("127.255.255.255"));
    assert_true(loopback("::1"));
    assert_true(loopback("::ffff:127.0.0.1"));
    assert_true(loopback("::ffff:127.9.8.7"));
}

static void test_remote_addresses(void **state)
{
    (void)state;
    assert_false(loopback("10.0.0.1"));
    assert_false(loopback("::ffff:10.0.0.1"));
    assert_false(loopback("192.168.1.1"));
    assert_false(loopback("2001:db8::1"));
    assert_false(loopback("128.0.0.1"));
    assert_false(loopback("126.255.255.255"));
    assert_false(loopback("0.0.0.0"));
    assert_false(loopback("::"));
    assert_false(loopback("::2"));
    assert_false(loopback("::127.0.0.1")); /* IPv4-compatible, not mapped: not loopback */
    assert_false(loopback("fe80::1"));
}

static void test_unknown_or_other_family_is_remote(void **state)
{
    (void)state;
    assert_false(admin_auth_is_loopback(NULL));
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_family = AF_UNIX;
    assert_false(admin_auth_is_loopback((const struct sockaddr *)&ss));
}

static void test_bearer_matching(void **state)
{
    (void)state;
    assert_true(admin_auth_bearer_matches("Bearer s3cret", "s3cret"));
    assert_true(admin_auth_bearer_matches("bearer s3cret", "s3cret"));
    assert_true(admin_auth_bearer_matches("Bearer   s3cret", "s3cret"));
    assert_false(admin_auth_bearer_matches("Bearer s3cre", "s3cret"));
    assert_false(admin_auth_bearer_matches("Bearer s3cretx", "s3cret"));
    assert_false(admin_auth_bearer_matches("Bearer S3CRET", "s3cret"));
    assert_false(admin_auth_bearer_matches("Bearer ", "s3cret"));
    assert_false(admin_auth_bearer_matches("Basic s3cret", "s3cret"));
    assert_false(admin_auth_bearer_matches("Bearers3cret", "s3cret"));
    assert_false(admin_auth_bearer_matches("s3cret", "s3cret"));
    assert_false(admin_auth_bearer_matches(NULL, "s3cret"));
    /* No token configured never matches anything, not even an empty bearer. */
    assert_false(admin_auth_bearer_matches("Bearer ", ""));
    assert_false(admin_auth_bearer_matches("Bearer x", NULL));
}

static void test_check_without_token(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    assert_int_equal(admin_auth_check(NULL, NULL, addr("127.0.0.1", &ss)), ADMIN_AUTH_OK);
    assert_int_equal(admin_auth_check("", NULL, addr("::1", &ss)), ADMIN_AUTH_OK);
    assert_int_equal(admin_auth_check(NULL, NULL, addr("10.0.0.1", &ss)), ADMIN_AUTH_NOT_LOOPBACK);
    assert_int_equal(admin_auth_check(NULL, "Bearer anything", addr("192.168.1.1", &ss)),
                     ADMIN_AUTH_NOT_LOOPBACK);
    assert_int_equal(admin_auth_check(NULL, NULL, NULL), ADMIN_AUTH_NOT_LOOPBACK);
}

static void test_check_with_token(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    /* With a token, every address needs it, loopback included. */
    assert_int_equal(admin_auth_check("tok", NULL, addr("127.0.0.1", &ss)), ADMIN_AUTH_NO_TOKEN);
    assert_int_equal(admin_auth_check("tok", "", addr("10.0.0.1", &ss)), ADMIN_AUTH_NO_TOKEN);
    assert_int_equal(admin_auth_check("tok", "Bearer nope", addr("::1", &ss)),
                     ADMIN_AUTH_BAD_TOKEN);
    assert_int_equal(admin_auth_check("tok", "Bearer tok", addr("10.0.0.1", &ss)), ADMIN_AUTH_OK);
    assert_int_equal(admin_auth_check("tok", "Bearer tok", addr("2001:db8::1", &ss)),
                     ADMIN_AUTH_OK);
    assert_int_equal(admin_auth_check("tok", "Bearer tok", NULL), ADMIN_AUTH_OK);
}

static void test_actor(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    char actor[ADMIN_AUTH_ACTOR_MAX];
    admin_auth_actor(addr("127.0.0.1", &ss), actor, sizeof actor);
    assert_string_equal(actor, "api@127.0.0.1");
    admin_auth_actor(addr("::ffff:10.1.2.3", &ss), actor, sizeof actor);
    assert_string_equal(actor, "api@10.1.2.3");
    admin_auth_actor(addr("2001:db8::1", &ss), actor, sizeof actor);
    assert_string_equal(actor, "api@2001:db8::1");
    admin_auth_actor(addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &ss), actor, sizeof actor);
    assert_string_equal(actor, "api@ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    admin_auth_actor(NULL, actor, sizeof actor);
    assert_string_equal(actor, "api");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_addresses),
        cmocka_unit_test(test_remote_addresses),
        cmocka_unit_test(test_unknown_or_other_family_is_remote),
        cmocka_unit_test(test_bearer_matching),
        cmocka_unit_test(test_check_without_token),
        cmocka_unit_test(test_check_with_token),
        cmocka_unit_test(test_actor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
