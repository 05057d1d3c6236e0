/* The proxy's upstream response parser and its front's routing, without sockets:
 * status lines, header lines, body framing (RFC 9112 section 6.3), routes and model ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

#include "gateway/proxy_int.h"

/* An upstream connection for a request with the given method, no socket behind it. */
struct fixture {
    struct exchange ex;
    struct upconn c;
};

static void fx_init(struct fixture *f, const char *method)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->ex.method, sizeof(f->ex.method), "%s", method);
    f->c.ex = &f->ex;
    gwp_uh_init(&f->c.headers);
}

/* Parses each "Name: value" line into f's headers; false at the first refused one. */
static bool fx_headers(struct fixture *f, const char *const *lines)
{
    for (; *lines != NULL; lines++) {
        char buf[256];
        snprintf(buf, sizeof(buf), "%s", *lines);
        if (!gwp_parse_header(&f->c, buf))
            return false;
    }
    return true;
}

static void test_gateway_upstream__status_refused(void **state)
{
    static const char *const bad[] = {
        "", "HTTP/1.1", "HTTP/1.1 ", "HTTP/1.1 20", "HTTP/1.1 2000", "HTTP/1.1 200x", "HTTP/1.2 200 OK",
        "HTTP/2 200", "http/1.1 200 OK", "HTTP/1.1 600 Nope", "HTTP/1.1 099 Low", "HTTP/1.1  200 OK",
        "HTTP/1.1 2a0 OK", "ICY 200 OK",
    };
    struct fixture f;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fx_init(&f, "POST");
        if (gwp_parse_status(&f.c, bad[i]))
            fail_msg("status line \"%s\" was accepted", bad[i]);
    }
}

static void test_gateway_upstream__status(void **state)
{
    struct fixture f;
    (void)state;

    fx_init(&f, "POST");
    assert_true(gwp_parse_status(&f.c, "HTTP/1.1 200 OK"));
    assert_int_equal(f.c.status, 200);
    assert_true(f.c.keepalive);
    fx_init(&f, "POST");
    assert_true(gwp_parse_status(&f.c, "HTTP/1.0 503"));
    assert_int_equal(f.c.status, 503);
    assert_false(f.c.keepalive); /* HTTP/1.0 closes unless told otherwise */
    fx_init(&f, "POST");
    assert_true(gwp_parse_status(&f.c, "HTTP/1.1 100 Continue"));
    assert_int_equal(f.c.status, 100);
}

static void test_gateway_upstream__header_refused(void **state)
{
    static const char *const bad[] = {
        "no colon", ": empty name", "Bad Name: space in the name", "Tab\tName: x", "Del\x7fName: x", "\x01X: ctl",
        "X-Split: a\rb", "X-Split: a\r", /* a bare CR in a value: response splitting, refused */
    };
    struct fixture f;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *one[] = { bad[i], NULL };
        fx_init(&f, "POST");
        if (fx_headers(&f, one))
            fail_msg("header line \"%s\" was accepted", bad[i]);
        gwp_uh_free(&f.c.headers);
    }
}

static void test_gateway_upstream__header_trimmed(void **state)
{
    const char *lines[] = { "Content-Type: \t application/json \t", "X-Empty:", NULL };
    struct fixture f;
    (void)state;

    fx_init(&f, "POST");
    assert_true(fx_headers(&f, lines));
    assert_string_equal(gwp_uh_find(&f.c.headers, "content-type"), "application/json");
    assert_string_equal(gwp_uh_find(&f.c.headers, "X-Empty"), "");
    gwp_uh_free(&f.c.headers);
}

/* The flat header store: the first header of a name wins, names compare ASCII case-insensitively
 * and whole (a prefix or a longer name is another header), values keep their bytes, and a
 * cleared store is reused (more headers than its first table). */
static void test_gateway_upstream__header_store(void **state)
{
    vt_gw_upheaders h;
    char name[32], value[32];
    (void)state;

    gwp_uh_init(&h);
    assert_null(gwp_uh_find(&h, "Content-Length"));
    assert_true(gwp_uh_add(&h, "Content-Length", 14, "12", 2));
    assert_true(gwp_uh_add(&h, "content-length", 14, "99", 2));
    assert_true(gwp_uh_add(&h, "X-\xc3\xa9", 4, "caf\xc3\xa9", 5));
    assert_string_equal(gwp_uh_find(&h, "CONTENT-LENGTH"), "12");
    assert_null(gwp_uh_find(&h, "Content-Lengt"));
    assert_null(gwp_uh_find(&h, "Content-Length2"));
    assert_string_equal(gwp_uh_find(&h, "x-\xc3\xa9"), "caf\xc3\xa9");
    assert_null(gwp_uh_find(&h, "X-\xc3\x89")); /* only ASCII folds */
    gwp_uh_clear(&h);
    assert_null(gwp_uh_find(&h, "Content-Length"));
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "X-H%d", i);
        snprintf(value, sizeof(value), "v%d", i);
        assert_true(gwp_uh_add(&h, name, strlen(name), value, strlen(value)));
    }
    assert_int_equal(h.n, 100);
    assert_string_equal(gwp_uh_find(&h, "x-h0"), "v0");
    assert_string_equal(gwp_uh_find(&h, "X-H99"), "v99");
    gwp_uh_free(&h);
}

/* One framing case: the response's status and header lines, the request's method, and
 * what the parser must conclude. */
struct framing_case {
    const char *what;
    const char *method;
    int status;
    const char *headers[4];
    bool ok;
    enum up_state st;
    bool no_body;
    bool keepalive;
    uint64_t remaining;
};

static void test_gateway_upstream__framing(void **state)
{
    static const struct framing_case cases[] = {
        /* refused first: a body the gateway cannot delimit safely */
        { "TE other than chunked", "POST", 200, { "Transfer-Encoding: gzip, chunked" }, false, UP_IDLE, false, true, 0 },
        { "TE gzip", "POST", 200, { "Transfer-Encoding: gzip" }, false, UP_IDLE, false, true, 0 },
        { "negative length", "POST", 200, { "Content-Length: -1" }, false, UP_IDLE, false, true, 0 },
        { "length with junk", "POST", 200, { "Content-Length: 12x" }, false, UP_IDLE, false, true, 0 },
        { "length with a sign", "POST", 200, { "Content-Length: +5" }, false, UP_IDLE, false, true, 0 },
        { "empty length", "POST", 200, { "Content-Length:" }, false, UP_IDLE, false, true, 0 },
        { "19-digit length", "POST", 200, { "Content-Length: 1000000000000000000" }, false, UP_IDLE, false, true, 0 },
        /* RFC 9112 section 6.3: lengths that disagree are an unrecoverable error (the first alone would leave
         * the rest of the body to be read as the next request's response on the pooled connection) */
        { "two lengths", "POST", 200, { "Content-Length: 2", "Content-Length: 60" }, false, UP_IDLE, false, true, 0 },
        { "two lengths, case", "POST", 200, { "content-length: 60", "Content-Length: 2" }, false, UP_IDLE, false, true,
          0 },
        /* accepted */
        { "chunked", "POST", 200, { "Transfer-Encoding: Chunked" }, true, UP_CHUNK_SIZE, false, true, 0 },
        /* two codings lists: which is final depends on the reader's joining of them */
        { "two TE headers", "POST", 200, { "Transfer-Encoding: chunked", "Transfer-Encoding: gzip" }, false, UP_IDLE,
          false, true, 0 },
        /* RFC 9112 section 6.3: chunked overrides a length, but such a reply "ought to be handled as an
         * error": read as chunked, and the connection is not pooled for another client's request */
        { "chunked wins over a length", "POST", 200, { "Content-Length: 5", "Transfer-Encoding: chunked" }, true,
          UP_CHUNK_SIZE, false, false, 0 },
        { "length", "POST", 200, { "Content-Length: 12" }, true, UP_BODY_LEN, false, true, 12 },
        { "the same length twice", "POST", 200, { "Content-Length: 12", "content-length: 12" }, true, UP_BODY_LEN, false,
          true, 12 },
        { "zero length", "POST", 200, { "Content-Length: 0" }, true, UP_BODY_LEN, true, true, 0 },
        { "18-digit length", "POST", 200, { "Content-Length: 999999999999999999" }, true, UP_BODY_LEN, false, true,
          999999999999999999ULL },
        { "until close", "POST", 200, { "Content-Type: text/plain" }, true, UP_BODY_CLOSE, false, false, 0 },
        { "Connection: close", "POST", 200, { "Connection: close", "Content-Length: 3" }, true, UP_BODY_LEN, false, false,
          3 },
        { "204 has no body", "POST", 204, { "Content-Length: 7" }, true, UP_IDLE, true, true, 0 },
        { "304 has no body", "GET", 304, { NULL }, true, UP_IDLE, true, true, 0 },
        { "HEAD has no body", "HEAD", 200, { "Content-Length: 7" }, true, UP_IDLE, true, true, 0 },
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct framing_case *k = &cases[i];
        struct fixture f;
        bool no_body = false, ok;

        fx_init(&f, k->method);
        f.c.status = k->status;
        f.c.keepalive = true;
        assert_true(fx_headers(&f, k->headers));
        ok = gwp_framing(&f.c, &no_body);
        if (ok != k->ok)
            fail_msg("%s: framing %s", k->what, ok ? "accepted" : "refused");
        if (ok) {
            if (f.c.st != k->st || no_body != k->no_body || f.c.keepalive != k->keepalive || f.c.remaining != k->remaining)
                fail_msg("%s: state %d no_body %d keepalive %d remaining %llu", k->what, (int)f.c.st, no_body,
                         f.c.keepalive, (unsigned long long)f.c.remaining);
        }
        gwp_uh_free(&f.c.headers);
    }
}

static void test_gateway_upstream__routes(void **state)
{
    bool post = false;
    (void)state;

    assert_int_equal(gwp_route_of("/v1/chat/completions/", &post), R_NONE);
    assert_int_equal(gwp_route_of("/V1/models", &post), R_NONE);
    assert_int_equal(gwp_route_of("/v1/chat/completions", &post), R_CHAT);
    assert_true(post);
    assert_int_equal(gwp_route_of("/v1/completions", &post), R_COMPLETIONS);
    assert_true(post);
    assert_int_equal(gwp_route_of("/v1/embeddings", &post), R_EMBEDDINGS);
    assert_true(post);
    assert_int_equal(gwp_route_of("/v1/models", &post), R_MODELS);
    assert_false(post);
    assert_int_equal(gwp_route_of("/v1/models/llama-3.1:8b", &post), R_MODEL);
    assert_int_equal(gwp_route_of("/healthz", &post), R_HEALTH);
    assert_int_equal(gwp_route_of("/v1/attestation", &post), R_ATTESTATION);
}

static void test_gateway_upstream__model_id(void **state)
{
    char longest[MODEL_ID_MAX + 2];
    (void)state;

    assert_false(gwp_model_id_ok(""));
    assert_false(gwp_model_id_ok(".."));
    assert_false(gwp_model_id_ok(".hidden"));
    assert_false(gwp_model_id_ok("a/b"));
    assert_false(gwp_model_id_ok("a%2fb"));
    assert_false(gwp_model_id_ok("a b"));
    assert_false(gwp_model_id_ok("a?x=1"));
    memset(longest, 'm', MODEL_ID_MAX + 1);
    longest[MODEL_ID_MAX + 1] = '\0';
    assert_false(gwp_model_id_ok(longest));
    longest[MODEL_ID_MAX] = '\0';
    assert_true(gwp_model_id_ok(longest));
    assert_true(gwp_model_id_ok("llama-3.1:8b_Q4.gguf"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gateway_upstream__status_refused),
        cmocka_unit_test(test_gateway_upstream__status),
        cmocka_unit_test(test_gateway_upstream__header_refused),
        cmocka_unit_test(test_gateway_upstream__header_trimmed),
        cmocka_unit_test(test_gateway_upstream__header_store),
        cmocka_unit_test(test_gateway_upstream__framing),
        cmocka_unit_test(test_gateway_upstream__routes),
        cmocka_unit_test(test_gateway_upstream__model_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
