/* The Host rule against DNS rebinding (src/lib/http/host.c, --allow-host,
 * docs/operations.md): the allow-list's entries (names, IPv4, [IPv6], ports,
 * case; malformed and overlong ones refused, the list unchanged), and the
 * decision: an entry without a port allows any port, one with a port only that
 * port, a Host without a port matches :80 and :443 entries, loopback names
 * always pass, and no Host, two, or a malformed one are refused. */
#include "vt_test.h"

#include <stdio.h>
#include <string.h>

#include <event2/http.h>

static void allowed(const vt_host_list *l, const char *value)
{
    vt_err e = { 0 };

    if (vt_host_check(l, value, &e) != VT_OK)
        fail_msg("Host %s refused: %s", value != NULL ? value : "(none)", e.msg);
}

static void refused(const vt_host_list *l, const char *value)
{
    vt_err e = { 0 };

    if (vt_host_check(l, value, &e) != VT_E_POLICY)
        fail_msg("Host %s allowed", value != NULL ? value : "(none)");
    assert_int_equal(e.code, VT_E_POLICY);
    assert_true(strncmp(e.msg, "http: ", 6) == 0);
}

static void list_of(vt_host_list *l, const char *const *entries)
{
    vt_err e = { 0 };

    vt_host_list_init(l);
    for (; *entries != NULL; entries++)
        if (vt_host_list_add(l, *entries, &e) != VT_OK)
            fail_msg("%s: %s", *entries, e.msg);
}

/* The formatted entries of l, space-separated. */
static void formatted(char *out, size_t out_len, const vt_host_list *l)
{
    size_t n = 0;

    out[0] = '\0';
    for (size_t i = 0; i < l->count && n < out_len; i++) {
        char one[VT_ORIGIN_LEN_MAX + 16];
        vt_host_format(one, sizeof(one), &l->entries[i]);
        n += (size_t)snprintf(out + n, out_len - n, "%s%s", i > 0 ? " " : "", one);
    }
}

static void test_http_host__entries_parsed_and_normalised(void **state)
{
    static const char *const entries[] = {
        "API.Example.COM",     "api.example.com:8600", "10.0.0.5",          "10.0.0.5:443", "[2001:DB8:0:0::1]",
        "[2001:db8::2]:8443",  "a-b_c.d",              "x:1",               "x:65535",      NULL,
    };
    vt_host_list l;
    char text[1024];

    (void)state;
    list_of(&l, entries);
    assert_int_equal(l.count, 9);
    formatted(text, sizeof(text), &l);
    /* lowercase names, IPv6 in its RFC 5952 text and brackets, a port only where one was given */
    assert_string_equal(text, "api.example.com api.example.com:8600 10.0.0.5 10.0.0.5:443 [2001:db8::1] "
                              "[2001:db8::2]:8443 a-b_c.d x:1 x:65535");
    assert_int_equal(l.entries[0].port, 0); /* any port */
    assert_int_equal(l.entries[1].port, 8600);
    assert_false(l.entries[2].ipv6);
    assert_true(l.entries[4].ipv6);
    assert_false(l.entries[0].https);
}

static void test_http_host__same_entry_not_added_twice(void **state)
{
    static const char *const entries[] = { "api.example.com", "API.EXAMPLE.COM", "api.example.com:443",
                                           "api.example.com:443", "[::2]", "[0:0::2]", NULL };
    vt_host_list l;
    char text[256];

    (void)state;
    list_of(&l, entries);
    formatted(text, sizeof(text), &l);
    assert_string_equal(text, "api.example.com api.example.com:443 [::2]");
}

static void test_http_host__malformed_entries_refused_list_unchanged(void **state)
{
    static const char *const bad[] = {
        "",                      /* empty */
        "http://api.example.com", /* a scheme */
        "api.example.com/",       /* a path */
        "api.example.com/v1",
        "user@api.example.com",   /* userinfo */
        "api example.com",        /* a space */
        " api.example.com",
        "api.example.com:",       /* an empty port */
        "api.example.com:0",      /* ports 1..65535 */
        "api.example.com:65536",
        "api.example.com:123456",
        "api.example.com:-1",
        "api.example.com:8a",
        "api.example.com?x",
        "api.example.com#x",
        "api.example.com:80:80",
        "::1",                    /* IPv6 without brackets */
        "[::1",
        "[::1]x",
        "[fe80::1%eth0]",         /* a zone */
        "[not:an:address:x]",
        "[]",
        "1.2.3.256",              /* numeric last label that is no IPv4 address */
        "1.2.3",
        "ap\xc3\xa9.example",     /* not [A-Za-z0-9._-] */
        "*",
        "*.example.com",
    };
    static const char *const one[] = { "api.example.com", NULL };
    vt_host_list l;
    vt_err e = { 0 };

    (void)state;
    list_of(&l, one);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&e, 0, sizeof(e));
        if (vt_host_list_add(&l, bad[i], &e) != VT_E_FORMAT)
            fail_msg("entry '%s' not refused as malformed", bad[i]);
        assert_true(strncmp(e.msg, "host: ", 6) == 0);
        assert_int_equal(l.count, 1);
        assert_string_equal(l.entries[0].host, "api.example.com");
    }
    /* and it still takes the entry it holds, once */
    assert_int_equal(vt_host_list_add(&l, "api.example.com", NULL), VT_OK);
    assert_int_equal(l.count, 1);
}

static void test_http_host__overlong_and_too_many_refused(void **state)
{
    char name[300];
    char entry[16];
    vt_host_list l;
    vt_err e = { 0 };

    (void)state;
    vt_host_list_init(&l);
    /* 248 bytes is the longest entry (an origin's 255 less "http://"), 249 too long */
    memset(name, 'a', sizeof(name));
    name[248] = '\0';
    assert_int_equal(vt_host_list_add(&l, name, &e), VT_OK);
    name[248] = 'a';
    name[249] = '\0';
    assert_int_equal(vt_host_list_add(&l, name, &e), VT_E_LIMIT);
    assert_int_equal(l.count, 1);
    /* the same limits for a Host header: the longest allowed, one more refused, not echoed */
    name[248] = '\0';
    allowed(&l, name);
    name[248] = 'a';
    memset(&e, 0, sizeof(e));
    assert_int_equal(vt_host_check(&l, name, &e), VT_E_POLICY);
    assert_null(strstr(e.msg, "aaaa"));
    /* VT_HOST_MAX entries, then a new one is refused; one already listed is still fine */
    for (unsigned i = 1; i < VT_HOST_MAX; i++) {
        snprintf(entry, sizeof(entry), "h%u", i);
        assert_int_equal(vt_host_list_add(&l, entry, NULL), VT_OK);
    }
    assert_int_equal(l.count, VT_HOST_MAX);
    assert_int_equal(vt_host_list_add(&l, "one.more", &e), VT_E_LIMIT);
    assert_int_equal(l.count, VT_HOST_MAX);
    assert_int_equal(vt_host_list_add(&l, "H1", NULL), VT_OK);
    assert_int_equal(l.count, VT_HOST_MAX);
    allowed(&l, "h31:8600");
    refused(&l, "one.more");
}

static void test_http_host__no_list_checks_nothing(void **state)
{
    vt_host_list l;

    (void)state;
    vt_host_list_init(&l);
    allowed(NULL, "rebind.evil.example");
    allowed(&l, "rebind.evil.example");
    allowed(&l, NULL);
    allowed(&l, "not a host/at all");
}

static void test_http_host__entry_without_port_allows_any_port(void **state)
{
    static const char *const entries[] = { "api.example.com", NULL };
    vt_host_list l;

    (void)state;
    list_of(&l, entries);
    allowed(&l, "api.example.com");
    allowed(&l, "api.example.com:80");
    allowed(&l, "api.example.com:443");
    allowed(&l, "api.example.com:8600");
    allowed(&l, "API.EXAMPLE.COM:1");
    allowed(&l, "Api.Example.Com:65535");
    /* look-alikes are other names */
    refused(&l, "rebind.evil.example");
    refused(&l, "rebind.evil.example:8600");
    refused(&l, "example.com");
    refused(&l, "xapi.example.com");
    refused(&l, "api.example.com.evil.example");
    refused(&l, "api.example.co");
    refused(&l, "api-example.com");
    refused(&l, "api.example.com."); /* compared as given: a trailing dot is another text */
}

static void test_http_host__entry_with_port_allows_that_port(void **state)
{
    static const char *const entries[] = { "api.example.com:8600", NULL };
    vt_host_list l;

    (void)state;
    list_of(&l, entries);
    allowed(&l, "api.example.com:8600");
    allowed(&l, "API.example.com:8600");
    refused(&l, "api.example.com:8601");
    refused(&l, "api.example.com:860");
    refused(&l, "api.example.com:80");
    refused(&l, "api.example.com:443");
    refused(&l, "api.example.com"); /* no port is :80 or :443, not :8600 */
}

static void test_http_host__no_port_matches_80_and_443_entries(void **state)
{
    static const char *const tls[] = { "secure.example:443", NULL };
    static const char *const plain[] = { "plain.example:80", NULL };
    vt_host_list l;

    (void)state;
    list_of(&l, tls);
    allowed(&l, "secure.example");
    allowed(&l, "secure.example:443");
    refused(&l, "secure.example:80"); /* a port given is compared as given */
    refused(&l, "secure.example:8443");
    list_of(&l, plain);
    allowed(&l, "plain.example");
    allowed(&l, "plain.example:80");
    refused(&l, "plain.example:443");
}

static void test_http_host__ip_literals_compared_not_resolved(void **state)
{
    static const char *const entries[] = { "10.0.0.5", "[2001:db8::1]:8600", NULL };
    vt_host_list l;

    (void)state;
    list_of(&l, entries);
    allowed(&l, "10.0.0.5");
    allowed(&l, "10.0.0.5:8600");
    refused(&l, "10.0.0.6");
    refused(&l, "10.0.0.50");
    refused(&l, "010.0.0.5");
    refused(&l, "10.0.5"); /* not a dotted quad */
    refused(&l, "[::ffff:10.0.0.5]"); /* the mapped IPv6 address is another literal */
    /* every spelling of the IPv6 address is its RFC 5952 text */
    allowed(&l, "[2001:db8::1]:8600");
    allowed(&l, "[2001:DB8:0:0:0:0:0:1]:8600");
    allowed(&l, "[2001:0db8::0001]:8600");
    refused(&l, "[2001:db8::1]");
    refused(&l, "[2001:db8::1]:8601");
    refused(&l, "[2001:db8::2]:8600");
    refused(&l, "2001:db8::1"); /* unbracketed */
}

static void test_http_host__loopback_always_allowed(void **state)
{
    static const char *const entries[] = { "api.example.com:8600", NULL };
    vt_host_list l;

    (void)state;
    list_of(&l, entries);
    allowed(&l, "localhost");
    allowed(&l, "LOCALHOST:3000");
    allowed(&l, "127.0.0.1");
    allowed(&l, "127.0.0.1:8600");
    allowed(&l, "127.255.255.254:1");
    allowed(&l, "[::1]");
    allowed(&l, "[::1]:8080");
    allowed(&l, "[0:0:0:0:0:0:0:1]:8080");
    /* names that only look like the loopback are other names */
    refused(&l, "localhost.evil.example");
    refused(&l, "localhost.");
    refused(&l, "evil-localhost");
    refused(&l, "128.0.0.1");
    refused(&l, "126.255.255.255");
    refused(&l, "0.0.0.0");
    refused(&l, "[::]");
    refused(&l, "[::2]");
    refused(&l, "[::ffff:127.0.0.1]");
}

static void test_http_host__missing_and_malformed_refused(void **state)
{
    static const char *const entries[] = { "api.example.com", NULL };
    static const char *const bad[] = {
        "", "api.example.com/", "user@api.example.com", "api.example.com api.example.com", "api.example.com:",
        "api.example.com:0", "api.example.com:99999", "[::1", "::1", "http://api.example.com", "api.example.com\t",
    };
    vt_host_list l;
    vt_err e = { 0 };

    (void)state;
    list_of(&l, entries);
    assert_int_equal(vt_host_check(&l, NULL, &e), VT_E_POLICY);
    assert_non_null(strstr(e.msg, "without Host"));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&e, 0, sizeof(e));
        if (vt_host_check(&l, bad[i], &e) != VT_E_POLICY)
            fail_msg("Host '%s' not refused", bad[i]);
        assert_non_null(strstr(e.msg, "malformed"));
        assert_null(strstr(e.msg, "api.example")); /* a malformed value is not echoed */
    }
    /* another name is named, normalised, without its port */
    memset(&e, 0, sizeof(e));
    assert_int_equal(vt_host_check(&l, "Rebind.EVIL.example:8600", &e), VT_E_POLICY);
    assert_string_equal(e.msg, "http: Host rebind.evil.example is not a name of this service");
    memset(&e, 0, sizeof(e));
    assert_int_equal(vt_host_check(&l, "[2001:DB8::0:1]", &e), VT_E_POLICY);
    assert_string_equal(e.msg, "http: Host [2001:db8::1] is not a name of this service");
}

static void test_http_host__request_one_host_header(void **state)
{
    static const char *const entries[] = { "api.example.com", NULL };
    struct evhttp_request *req;
    struct evkeyvalq *h;
    vt_host_list l, empty;
    vt_err e = { 0 };

    (void)state;
    list_of(&l, entries);
    vt_host_list_init(&empty);
    req = evhttp_request_new(NULL, NULL);
    assert_non_null(req);
    h = evhttp_request_get_input_headers(req);
    /* none: refused with a list, nothing checked without one */
    assert_int_equal(vt_host_check_request(&l, req, &e), VT_E_POLICY);
    assert_non_null(strstr(e.msg, "without Host"));
    assert_int_equal(vt_host_check_request(&empty, req, &e), VT_OK);
    assert_int_equal(vt_host_check_request(NULL, req, &e), VT_OK);
    /* one, the header name in any case */
    assert_int_equal(evhttp_add_header(h, "hOsT", "API.example.com:8600"), 0);
    assert_int_equal(vt_host_check_request(&l, req, &e), VT_OK);
    /* two, even both allowed: refused */
    assert_int_equal(evhttp_add_header(h, "Host", "api.example.com"), 0);
    memset(&e, 0, sizeof(e));
    assert_int_equal(vt_host_check_request(&l, req, &e), VT_E_POLICY);
    assert_non_null(strstr(e.msg, "more than one Host"));
    assert_int_equal(vt_host_check_request(&empty, req, &e), VT_OK);
    /* two loopback names: refused too (the count comes before the names) */
    evhttp_clear_headers(h);
    assert_int_equal(evhttp_add_header(h, "Host", "localhost"), 0);
    assert_int_equal(evhttp_add_header(h, "HOST", "127.0.0.1"), 0);
    assert_int_equal(vt_host_check_request(&l, req, &e), VT_E_POLICY);
    /* one other name among other headers */
    evhttp_clear_headers(h);
    assert_int_equal(evhttp_add_header(h, "X-Forwarded-Host", "api.example.com"), 0);
    assert_int_equal(evhttp_add_header(h, "Host", "rebind.evil.example"), 0);
    memset(&e, 0, sizeof(e));
    assert_int_equal(vt_host_check_request(&l, req, &e), VT_E_POLICY);
    assert_non_null(strstr(e.msg, "rebind.evil.example"));
    evhttp_request_free(req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_host__entries_parsed_and_normalised),
        cmocka_unit_test(test_http_host__same_entry_not_added_twice),
        cmocka_unit_test(test_http_host__malformed_entries_refused_list_unchanged),
        cmocka_unit_test(test_http_host__overlong_and_too_many_refused),
        cmocka_unit_test(test_http_host__no_list_checks_nothing),
        cmocka_unit_test(test_http_host__entry_without_port_allows_any_port),
        cmocka_unit_test(test_http_host__entry_with_port_allows_that_port),
        cmocka_unit_test(test_http_host__no_port_matches_80_and_443_entries),
        cmocka_unit_test(test_http_host__ip_literals_compared_not_resolved),
        cmocka_unit_test(test_http_host__loopback_always_allowed),
        cmocka_unit_test(test_http_host__missing_and_malformed_refused),
        cmocka_unit_test(test_http_host__request_one_host_header),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
