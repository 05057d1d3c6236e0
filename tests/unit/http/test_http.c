/* HTTP helpers without sockets: routing, JSON errors, query parameters, the
 * token bucket, and the Prometheus text format. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void h_echo(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"tag\":\"%s\",\"n\":%zu,\"p0\":\"%s\"}", (const char *)ctx, req->param_count,
             req->param_count > 0 ? req->params[0] : "");
    assert_int_equal(vt_http_reply_json(resp, 200, body, NULL), VT_OK);
}

static void h_silent(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    (void)resp;
    (void)req;
    (void)ctx;
}

static void setup_router(vt_http_router *r)
{
    vt_http_router_init(r);
    assert_int_equal(vt_http_router_add(r, "GET", "/v1/passports", h_echo, "list", NULL), VT_OK);
    assert_int_equal(vt_http_router_add(r, "GET", "/v1/passports/{id}", h_echo, "get", NULL), VT_OK);
    assert_int_equal(vt_http_router_add(r, "PUT", "/v1/environments/{id}", h_echo, "put", NULL), VT_OK);
    assert_int_equal(vt_http_router_add(r, "GET", "/static/*", h_echo, "static", NULL), VT_OK);
    assert_int_equal(vt_http_router_add(r, "GET", "/silent", h_silent, NULL, NULL), VT_OK);
}

static void dispatch(vt_http_resp *resp, const vt_http_router *r, const char *method, const char *path)
{
    vt_http_req req;
    memset(&req, 0, sizeof(req));
    memset(resp, 0, sizeof(*resp));
    req.method = method;
    req.path = path;
    vt_http_dispatch(resp, r, &req);
}

static void test_http_route__params_and_exact_match(void **state)
{
    vt_http_router r;
    vt_http_resp resp;

    (void)state;
    setup_router(&r);
    dispatch(&resp, &r, "GET", "/v1/passports/pass-12ab");
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr((const char *)resp.body.data, "\"tag\":\"get\",\"n\":1,\"p0\":\"pass-12ab\""));
    vt_buf_free(&resp.body);
    dispatch(&resp, &r, "GET", "/v1/passports");
    assert_non_null(strstr((const char *)resp.body.data, "\"tag\":\"list\""));
    vt_buf_free(&resp.body);
    dispatch(&resp, &r, "GET", "/static/a/b.css");
    assert_non_null(strstr((const char *)resp.body.data, "\"tag\":\"static\""));
    vt_buf_free(&resp.body);
}

static void test_http_route__errors_are_json(void **state)
{
    vt_http_router r;
    vt_http_resp resp;

    (void)state;
    setup_router(&r);
    dispatch(&resp, &r, "GET", "/v1/passports/a/b"); /* a param never spans '/' */
    assert_int_equal(resp.status, 404);
    assert_string_equal(resp.code, "not_found");
    assert_non_null(strstr((const char *)resp.body.data, "{\"error\":{\"code\":\"not_found\",\"message\":"));
    vt_buf_free(&resp.body);
    dispatch(&resp, &r, "GET", "/v1/passports/"); /* an empty param does not match */
    assert_int_equal(resp.status, 404);
    vt_buf_free(&resp.body);
    dispatch(&resp, &r, "DELETE", "/v1/environments/x");
    assert_int_equal(resp.status, 405);
    assert_string_equal(resp.code, "method_not_allowed");
    vt_buf_free(&resp.body);
    dispatch(&resp, &r, "GET", "/silent"); /* a handler that forgot to reply */
    assert_int_equal(resp.status, 500);
    vt_buf_free(&resp.body);
}

static void test_http_route__bad_patterns(void **state)
{
    vt_http_router r;

    (void)state;
    vt_http_router_init(&r);
    assert_int_equal(vt_http_router_add(&r, "GET", "nope", h_echo, NULL, NULL), VT_E_ARG);
    assert_int_equal(vt_http_router_add(&r, "GET", "/a{id}", h_echo, NULL, NULL), VT_E_ARG);
    assert_int_equal(vt_http_router_add(&r, "GET", "/a/*/b", h_echo, NULL, NULL), VT_E_ARG);
    for (int i = 0; i < VT_HTTP_MAX_ROUTES; i++)
        assert_int_equal(vt_http_router_add(&r, "GET", "/x", h_echo, NULL, NULL), VT_OK);
    assert_int_equal(vt_http_router_add(&r, "GET", "/y", h_echo, NULL, NULL), VT_E_LIMIT);
}

static void test_http_route__query(void **state)
{
    char v[16];

    (void)state;
    assert_int_equal(vt_http_query_get(v, sizeof(v), "environment=prod%2Dllm&limit=5", "environment", NULL), VT_OK);
    assert_string_equal(v, "prod-llm");
    assert_int_equal(vt_http_query_get(v, sizeof(v), "environment=a&limit=5", "limit", NULL), VT_OK);
    assert_string_equal(v, "5");
    assert_int_equal(vt_http_query_get(v, sizeof(v), "xlimit=5", "limit", NULL), VT_E_NOTFOUND);
    assert_int_equal(vt_http_query_get(v, sizeof(v), NULL, "limit", NULL), VT_E_NOTFOUND);
    assert_int_equal(vt_http_query_get(v, sizeof(v), "a=%zz", "a", NULL), VT_E_FORMAT);
    assert_int_equal(vt_http_query_get(v, sizeof(v), "a=%00", "a", NULL), VT_E_FORMAT);
    assert_int_equal(vt_http_query_get(v, sizeof(v), "a=0123456789abcdefXYZ", "a", NULL), VT_E_LIMIT);
    /* A repeated parameter is ambiguous: refused, whatever its values; other names may repeat. */
    assert_int_equal(vt_http_query_get(v, sizeof(v), "nonce=aa&nonce=aa", "nonce", NULL), VT_E_FORMAT);
    assert_string_equal(v, "");
    assert_int_equal(vt_http_query_get(v, sizeof(v), "nonce=aa&x=1&&nonce=bb", "nonce", NULL), VT_E_FORMAT);
    assert_int_equal(vt_http_query_get(v, sizeof(v), "nonce=aa&nonce", "nonce", NULL), VT_OK);
    assert_int_equal(vt_http_query_get(v, sizeof(v), "x=1&nonce=aa&x=2&xnonce=3", "nonce", NULL), VT_OK);
    assert_string_equal(v, "aa");
}

static void test_http_ratelimit__bucket(void **state)
{
    vt_ratelimit *rl = NULL;

    (void)state;
    assert_int_equal(vt_ratelimit_new(&rl, 0, 1, 8, NULL), VT_E_ARG);
    assert_int_equal(vt_ratelimit_new(&rl, 2, 3, 8, NULL), VT_OK);
    /* burst of 3, then refused until time refills it at 2/s */
    assert_true(vt_ratelimit_take(rl, "10.0.0.1", 1000));
    assert_true(vt_ratelimit_take(rl, "10.0.0.1", 1000));
    assert_true(vt_ratelimit_take(rl, "10.0.0.1", 1000));
    assert_false(vt_ratelimit_take(rl, "10.0.0.1", 1000));
    assert_true(vt_ratelimit_take(rl, "10.0.0.2", 1000)); /* another client has its own bucket */
    assert_false(vt_ratelimit_take(rl, "10.0.0.1", 1400));
    assert_true(vt_ratelimit_take(rl, "10.0.0.1", 1500));
    assert_false(vt_ratelimit_take(rl, "10.0.0.1", 1500));
    /* a long pause refills only up to the burst */
    assert_true(vt_ratelimit_take(rl, "10.0.0.1", 100000));
    assert_true(vt_ratelimit_take(rl, "10.0.0.1", 100000));
    assert_true(vt_ratelimit_take(rl, "10.0.0.1", 100000));
    assert_false(vt_ratelimit_take(rl, "10.0.0.1", 100000));
    vt_ratelimit_free(rl);
}

static void test_http_ratelimit__table_is_bounded(void **state)
{
    vt_ratelimit *rl = NULL;
    char key[32];

    (void)state;
    assert_int_equal(vt_ratelimit_new(&rl, 1, 1, 4, NULL), VT_OK);
    /* many more clients than slots: memory stays fixed, newcomers still get a bucket */
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "192.0.2.%d", i);
        assert_true(vt_ratelimit_take(rl, key, 1000 + i));
    }
    vt_ratelimit_free(rl);
}

static void test_http_metrics__text_format(void **state)
{
    vt_metrics *m = NULL;
    vt_buf out;
    char esc[32];

    (void)state;
    vt_buf_init(&out);
    assert_int_equal(vt_metrics_new(&m, NULL), VT_OK);
    assert_int_equal(vt_metrics_declare(m, "req_total", "counter", "Requests.", NULL), VT_OK);
    assert_int_equal(vt_metrics_declare(m, "lat_seconds", "histogram", "Latency.", NULL), VT_OK);
    assert_int_equal(vt_metrics_declare(m, "bad name", "counter", "x", NULL), VT_E_ARG);
    assert_int_equal(vt_metrics_declare(m, "x", "summary", "x", NULL), VT_E_ARG);
    assert_int_equal(vt_metrics_declare(m, "open_now", "gauge", "Open.", NULL), VT_OK);
    vt_metrics_inc(m, "open_now", NULL, 3);
    vt_metrics_inc(m, "open_now", NULL, -2); /* a gauge goes down too */
    vt_metrics_inc(m, "req_total", "code=\"200\"", 1);
    vt_metrics_inc(m, "req_total", "code=\"200\"", 2);
    vt_metrics_inc(m, "req_total", "code=\"404\"", 1);
    vt_metrics_inc(m, "undeclared", "", 1); /* ignored */
    vt_metrics_observe(m, "lat_seconds", "route=\"/a\"", 0.003);
    vt_metrics_observe(m, "lat_seconds", "route=\"/a\"", 20);
    assert_int_equal(vt_metrics_render(&out, m, NULL), VT_OK);
    assert_non_null(strstr((const char *)out.data, "# HELP req_total Requests.\n# TYPE req_total counter\n"));
    assert_non_null(strstr((const char *)out.data, "req_total{code=\"200\"} 3\n"));
    assert_non_null(strstr((const char *)out.data, "req_total{code=\"404\"} 1\n"));
    assert_non_null(strstr((const char *)out.data, "# TYPE lat_seconds histogram\n"));
    assert_non_null(strstr((const char *)out.data, "lat_seconds_bucket{route=\"/a\",le=\"0.0025\"} 0\n"));
    assert_non_null(strstr((const char *)out.data, "lat_seconds_bucket{route=\"/a\",le=\"0.005\"} 1\n"));
    assert_non_null(strstr((const char *)out.data, "lat_seconds_bucket{route=\"/a\",le=\"10\"} 1\n"));
    assert_non_null(strstr((const char *)out.data, "lat_seconds_bucket{route=\"/a\",le=\"+Inf\"} 2\n"));
    assert_non_null(strstr((const char *)out.data, "lat_seconds_count{route=\"/a\"} 2\n"));
    assert_null(strstr((const char *)out.data, "undeclared"));
    assert_non_null(strstr((const char *)out.data, "# TYPE open_now gauge\nopen_now 1\n"));
    vt_metrics_label_escape(esc, sizeof(esc), "a\"b\\c\nd");
    assert_string_equal(esc, "a\\\"b\\\\c\\nd");
    vt_buf_free(&out);
    vt_metrics_free(m);
}

static void test_http_client__errors(void **state)
{
    vt_http_response r;
    vt_err e = { 0 };

    (void)state;
    assert_int_equal(vt_http_request(&r, "GET", "ftp://x/", NULL, NULL, &e), VT_E_ARG);
    /* port 1 on loopback: nothing listens there */
    assert_int_equal(vt_http_request(&r, "GET", "http://127.0.0.1:1/healthz", NULL, NULL, &e), VT_E_IO);
    assert_non_null(strstr(e.msg, "cannot connect to http://127.0.0.1:1/healthz"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_route__params_and_exact_match),
        cmocka_unit_test(test_http_route__errors_are_json),
        cmocka_unit_test(test_http_route__bad_patterns),
        cmocka_unit_test(test_http_route__query),
        cmocka_unit_test(test_http_ratelimit__bucket),
        cmocka_unit_test(test_http_ratelimit__table_is_bounded),
        cmocka_unit_test(test_http_metrics__text_format),
        cmocka_unit_test(test_http_client__errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
