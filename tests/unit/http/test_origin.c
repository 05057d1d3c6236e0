/* The Origin rule (src/lib/http/origin.c): no Origin allowed, null refused,
 * loopback origins allowed, the allow-list compared after normalising case and
 * default ports, look-alikes and malformed or overlong values refused. */
#include "vt_test.h"

#include <stdio.h>
#include <string.h>

#include <event2/http.h>

static void allowed(const vt_origin_list *l, const char *value)
{
    vt_err e = { 0 };

    if (vt_origin_check(l, value, &e) != VT_OK)
        fail_msg("%s refused: %s", value != NULL ? value : "(none)", e.msg);
}

static void refused(const vt_origin_list *l, const char *value)
{
    vt_err e = { 0 };

    if (vt_origin_check(l, value, &e) != VT_E_POLICY)
        fail_msg("%s allowed", value);
    assert_int_equal(e.code, VT_E_POLICY);
    assert_true(strncmp(e.msg, "http: ", 6) == 0);
}

static void list_of(vt_origin_list *l, const char *const *entries)
{
    vt_err e = { 0 };

    vt_origin_list_init(l);
    for (; *entries != NULL; entries++)
        if (vt_origin_list_add(l, *entries, &e) != VT_OK)
            fail_msg("%s: %s", *entries, e.msg);
}

static void test_http_origin__no_origin_is_allowed(void **state)
{
    vt_origin_list l;

    (void)state;
    vt_origin_list_init(&l);
    allowed(&l, NULL);
    allowed(NULL, NULL);
}

static void test_http_origin__listed_allowed_others_refused(void **state)
{
    static const char *const entries[] = { "https://app.example.com", "http://intranet.example:8080", NULL };
    vt_origin_list l;
    vt_err e = { 0 };

    (void)state;
    list_of(&l, entries);
    allowed(&l, "https://app.example.com");
    allowed(&l, "http://intranet.example:8080");
    refused(&l, "http://evil.example");
    refused(&l, "http://app.example.com");        /* another scheme */
    refused(&l, "https://app.example.com:8443");  /* another port */
    refused(&l, "https://sub.app.example.com");   /* another host */
    refused(&l, "https://example.com");
    refused(&l, "http://intranet.example");       /* port 80, not 8080 */
    /* The message names the normalised origin, and nothing of a malformed one. */
    assert_int_equal(vt_origin_check(&l, "HTTP://Evil.Example:80", &e), VT_E_POLICY);
    assert_string_equal(e.msg, "http: Origin http://evil.example is not allowed");
    assert_int_equal(vt_origin_check(&l, "http://evil.example/\x01<script>", &e), VT_E_POLICY);
    assert_null(strstr(e.msg, "script"));
}

static void test_http_origin__null_is_refused(void **state)
{
    vt_origin_list l;
    vt_err e = { 0 };

    (void)state;
    vt_origin_list_init(&l);
    refused(&l, "null");
    refused(&l, "NULL");
    refused(NULL, "null");
    assert_int_equal(vt_origin_list_add(&l, "null", &e), VT_E_ARG);
    assert_int_equal(vt_origin_list_add(&l, "*", &e), VT_E_ARG);
    assert_int_equal(l.count, 0);
}

static void test_http_origin__default_ports_normalised(void **state)
{
    static const char *const entries[] = { "http://a.example:80", "https://b.example", "https://c.example:8443",
                                           NULL };
    vt_origin_list l;

    (void)state;
    list_of(&l, entries);
    allowed(&l, "http://a.example");
    allowed(&l, "http://a.example:80");
    allowed(&l, "https://b.example:443");
    allowed(&l, "https://b.example");
    allowed(&l, "https://c.example:8443");
    refused(&l, "https://c.example");
    refused(&l, "http://b.example:443"); /* 443 is https's default, not http's */
    refused(&l, "https://a.example:80");
}

static void test_http_origin__case_insensitive_scheme_and_host(void **state)
{
    static const char *const entries[] = { "HTTPS://App.Example.COM", NULL };
    vt_origin_list l;

    (void)state;
    list_of(&l, entries);
    allowed(&l, "https://app.example.com");
    allowed(&l, "HttpS://APP.EXAMPLE.COM");
    refused(&l, "https://app.example.co");
}

static void test_http_origin__loopback_allowed_by_default(void **state)
{
    static const char *const ok[] = {
        "http://127.0.0.1", "http://127.0.0.1:8600", "https://127.0.0.1:443", "http://127.0.0.2:3000",
        "http://localhost", "http://localhost:5173", "https://LOCALHOST:8443", "http://[::1]", "http://[::1]:8080",
        "https://[0:0:0:0:0:0:0:1]:9", "http://[0::1]",
    };
    vt_origin_list l;

    (void)state;
    vt_origin_list_init(&l);
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        allowed(&l, ok[i]);
        allowed(NULL, ok[i]);
    }
}

static void test_http_origin__look_alikes_refused(void **state)
{
    static const char *const bad[] = {
        "http://127.0.0.1.evil.com", "http://localhost.evil.com", "http://evil.com.localhost.evil.com",
        "http://127.0.0.1@evil.com", "http://evil.com@127.0.0.1", "http://evil.com/127.0.0.1",
        "http://evil.com#@127.0.0.1", "http://evil.com?127.0.0.1", "http://[::1].evil.com", "http://[::1]evil",
        "http://localhost.", "http://sub.localhost", "http://127.1", "http://0x7f.0.0.1", "http://0177.0.0.1",
        "http://2130706433", "http://127.0.0.1.", "http://[::ffff:127.0.0.1]", "http://[::2]", "http://128.0.0.1",
        "file://localhost", "ws://localhost", "httpx://localhost", "http:/localhost", "http//localhost",
        "//localhost", "localhost", "http://localhost/", "http://localhost:", "http://localhost:0",
        "http://localhost:65536", "http://localhost:123456", "http://localhost:80a", "http://localhost:-1",
        " http://localhost", "http://localhost ", "http://local host", "http://localhost\n", "http://",
        "http://:80", "http://[]", "http://[::1", "http://[zz::1]", "http://127.0.0.1 http://evil.com", "",
        "http://local\xc3\xa9host",
    };
    vt_origin_list l;

    (void)state;
    vt_origin_list_init(&l);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refused(&l, bad[i]);
}

static void test_http_origin__overlong_refused(void **state)
{
    char s[VT_ORIGIN_LEN_MAX + 2];
    vt_origin o;
    vt_origin_list l;
    vt_err e = { 0 };

    (void)state;
    vt_origin_list_init(&l);
    memcpy(s, "http://", 7);
    memset(s + 7, 'a', sizeof(s) - 8);
    s[VT_ORIGIN_LEN_MAX] = '\0'; /* exactly the limit: parses */
    assert_int_equal(vt_origin_parse(&o, s, strlen(s), &e), VT_OK);
    assert_int_equal(vt_origin_list_add(&l, s, &e), VT_OK);
    allowed(&l, s);
    s[VT_ORIGIN_LEN_MAX] = 'a'; /* one past */
    s[VT_ORIGIN_LEN_MAX + 1] = '\0';
    assert_int_equal(vt_origin_parse(&o, s, strlen(s), &e), VT_E_LIMIT);
    refused(&l, s);
    assert_int_equal(vt_origin_list_add(&l, s, &e), VT_E_LIMIT);
    assert_int_equal(l.count, 1);
}

static void test_http_origin__every_truncation_and_trailing_byte(void **state)
{
    static const char *const full[] = { "https://app.example.com:8443", "http://[2001:db8::1]:8080",
                                        "http://10.1.2.3:81" };

    (void)state;
    for (size_t i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
        static const char *const tails[] = { "/", "x", " ", ":", "]", "@", "\t", "?", "#" };
        vt_origin_list l;
        vt_origin want, got;
        char buf[64];
        size_t n = strlen(full[i]);
        vt_err e = { 0 };

        assert_int_equal(vt_origin_parse(&want, full[i], n, &e), VT_OK);
        vt_origin_list_init(&l);
        assert_int_equal(vt_origin_list_add(&l, full[i], &e), VT_OK);
        allowed(&l, full[i]);
        /* A prefix either does not parse or names another origin. */
        for (size_t k = 0; k < n; k++) {
            snprintf(buf, sizeof(buf), "%.*s", (int)k, full[i]);
            if (vt_origin_parse(&got, buf, k, NULL) == VT_OK)
                assert_true(got.port != want.port || strcmp(got.host, want.host) != 0);
            else
                assert_int_equal(got.port, 0); /* zeroed on failure */
            refused(&l, buf);
        }
        for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
            snprintf(buf, sizeof(buf), "%s%s", full[i], tails[t]);
            assert_int_not_equal(vt_origin_parse(&got, buf, strlen(buf), NULL), VT_OK);
            refused(&l, buf);
        }
    }
}

static void test_http_origin__list_bounded_and_unchanged_on_failure(void **state)
{
    vt_origin_list l, before;
    char s[64];
    vt_err e = { 0 };

    (void)state;
    vt_origin_list_init(&l);
    for (int i = 0; i < VT_ORIGIN_MAX; i++) {
        snprintf(s, sizeof(s), "https://app%d.example", i);
        assert_int_equal(vt_origin_list_add(&l, s, &e), VT_OK);
    }
    assert_int_equal(vt_origin_list_add(&l, "https://app0.example:443", &e), VT_OK); /* already listed */
    assert_int_equal(l.count, VT_ORIGIN_MAX);
    memcpy(&before, &l, sizeof(l));
    assert_int_equal(vt_origin_list_add(&l, "https://one-too-many.example", &e), VT_E_LIMIT);
    assert_int_equal(vt_origin_list_add(&l, "https://app.example/", &e), VT_E_FORMAT);
    assert_non_null(strstr(e.msg, "no path"));
    assert_int_equal(vt_origin_list_add(&l, "ftp://app.example", &e), VT_E_FORMAT);
    assert_memory_equal(&before, &l, sizeof(l));
}

static void test_http_origin__format_round_trip(void **state)
{
    static const char *const cases[][2] = {
        { "HTTPS://App.Example.com:443", "https://app.example.com" },
        { "http://a.example:80", "http://a.example" },
        { "http://a.example:8080", "http://a.example:8080" },
        { "https://[2001:DB8:0:0:0:0:0:1]:443", "https://[2001:db8::1]" },
        { "http://[::1]:8600", "http://[::1]:8600" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vt_origin o;
        char out[VT_ORIGIN_LEN_MAX + 16];
        assert_int_equal(vt_origin_parse(&o, cases[i][0], strlen(cases[i][0]), NULL), VT_OK);
        vt_origin_format(out, sizeof(out), &o);
        assert_string_equal(out, cases[i][1]);
    }
}

static void test_http_origin__request_headers(void **state)
{
    static const char *const entries[] = { "https://app.example.com", NULL };
    struct evhttp_request *req;
    struct evkeyvalq *h;
    vt_origin_list l;
    const char *value = "stale";
    vt_err e = { 0 };

    (void)state;
    list_of(&l, entries);
    req = evhttp_request_new(NULL, NULL);
    assert_non_null(req);
    h = evhttp_request_get_input_headers(req);
    assert_int_equal(vt_origin_check_request(&value, &l, req, &e), VT_OK); /* none */
    assert_null(value);
    assert_int_equal(evhttp_add_header(h, "origin", "https://app.example.com"), 0);
    assert_int_equal(vt_origin_check_request(&value, &l, req, &e), VT_OK);
    assert_string_equal(value, "https://app.example.com"); /* what CORS echoes: the header as sent */
    assert_int_equal(vt_origin_check_request(NULL, &l, req, &e), VT_OK);
    /* A second Origin header, even an allowed one, makes the request ambiguous. */
    assert_int_equal(evhttp_add_header(h, "Origin", "https://app.example.com"), 0);
    assert_int_equal(vt_origin_check_request(&value, &l, req, &e), VT_E_POLICY);
    assert_non_null(strstr(e.msg, "more than one"));
    assert_null(value);
    evhttp_clear_headers(h);
    assert_int_equal(evhttp_add_header(h, "ORIGIN", "http://evil.example"), 0);
    value = "stale";
    assert_int_equal(vt_origin_check_request(&value, &l, req, &e), VT_E_POLICY);
    assert_null(value); /* a refused origin is never echoed */
    evhttp_clear_headers(h);
    assert_int_equal(evhttp_add_header(h, "Origin", "HTTP://LOCALHOST:3000"), 0);
    assert_int_equal(vt_origin_check_request(&value, &l, req, &e), VT_OK);
    assert_string_equal(value, "HTTP://LOCALHOST:3000"); /* byte for byte, as the browser compares it */
    evhttp_request_free(req);
}

/* A URL's way to the loopback (what `veritee chat` and the gateway's deployments decide a plain
 * http:// URL by): its origin part only, the path ignored; look-alikes are other hosts. */
static void test_http_origin__url_loopback(void **state)
{
    static const char *const yes[] = {
        "http://localhost", "http://127.0.0.1:8080/v1", "http://127.255.0.9", "http://[::1]:9001/",
        "http://[0:0:0:0:0:0:0:1]", "HTTP://LOCALHOST:1/x", "https://localhost:8443",
    };
    static const char *const no[] = {
        "http://[::ffff:127.0.0.1]:9001", "http://192.0.2.1", "http://localhost.example", "http://127.0.0.1.example",
        "http://user@127.0.0.1", "http://127.1", "http://0177.0.0.1", "127.0.0.1:80", "http://", "",
        "http://10.0.0.1/http://localhost", "ftp://localhost",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (!vt_url_loopback(yes[i]))
            fail_msg("not loopback: %s", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (vt_url_loopback(no[i]))
            fail_msg("loopback: %s", no[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_origin__no_origin_is_allowed),
        cmocka_unit_test(test_http_origin__listed_allowed_others_refused),
        cmocka_unit_test(test_http_origin__null_is_refused),
        cmocka_unit_test(test_http_origin__default_ports_normalised),
        cmocka_unit_test(test_http_origin__case_insensitive_scheme_and_host),
        cmocka_unit_test(test_http_origin__loopback_allowed_by_default),
        cmocka_unit_test(test_http_origin__url_loopback),
        cmocka_unit_test(test_http_origin__look_alikes_refused),
        cmocka_unit_test(test_http_origin__overlong_refused),
        cmocka_unit_test(test_http_origin__every_truncation_and_trailing_byte),
        cmocka_unit_test(test_http_origin__list_bounded_and_unchanged_on_failure),
        cmocka_unit_test(test_http_origin__format_round_trip),
        cmocka_unit_test(test_http_origin__request_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
