/* CORS for allowed origins (src/lib/http/cors.c): a preflight is granted only for
 * the service's methods and the request headers it reads, never by echoing
 * what is asked; a refused origin (null, another site) is never echoed; an
 * answer names the origin byte for byte and exposes the service's headers. */
#include "vt_test.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/http_struct.h> /* the request's method, which evhttp sets only when it parses one */
#include <event2/keyvalq_struct.h>

/* The verifier's kind: a fixed list. */
static const vt_cors policy = { "GET, POST", "authorization, content-type, mcp-protocol-version",
                                "Veritee-Receipt, Retry-After", NULL };
/* The gateway's kind: the OpenAI SDKs' x-stainless-* too. */
static const vt_cors gw = { "GET, POST", "authorization, content-type, mcp-protocol-version",
                            "Veritee-Receipt, Retry-After", "x-stainless-" };
/* What openai 4.x sends from a browser (its preflight's list: lowercase, sorted). */
#define SDK_HEADERS                                                                                            \
    "authorization,content-type,x-stainless-arch,x-stainless-lang,x-stainless-os,x-stainless-package-version," \
    "x-stainless-retry-count,x-stainless-runtime,x-stainless-runtime-version,x-stainless-timeout"

static void granted(const char *method, const char *headers)
{
    vt_err e = { 0 };

    if (vt_cors_preflight_check(&policy, method, headers, &e) != VT_OK)
        fail_msg("%s [%s] refused: %s", method != NULL ? method : "(none)", headers != NULL ? headers : "(none)",
                 e.msg);
}

static vt_status refused(const char *method, const char *headers, vt_err *e)
{
    vt_status rc;

    memset(e, 0, sizeof(*e));
    rc = vt_cors_preflight_check(&policy, method, headers, e);
    if (rc == VT_OK)
        fail_msg("%s [%s] granted", method != NULL ? method : "(none)", headers != NULL ? headers : "(none)");
    assert_true(strncmp(e->msg, "cors: ", 6) == 0);
    return rc;
}

/* How many output headers of req are called name, and the value of the last one. */
static size_t count_out(struct evhttp_request *req, const char *name, const char **value)
{
    const struct evkeyval *h;
    size_t n = 0;

    *value = NULL;
    TAILQ_FOREACH(h, evhttp_request_get_output_headers(req), next) {
        if (strcasecmp(h->key, name) == 0) {
            n++;
            *value = h->value;
        }
    }
    return n;
}

static struct evhttp_request *preflight_req(const char *origin, const char *method, const char *headers)
{
    struct evhttp_request *req = evhttp_request_new(NULL, NULL);
    struct evkeyvalq *in;

    assert_non_null(req);
    req->type = EVHTTP_REQ_OPTIONS;
    in = evhttp_request_get_input_headers(req);
    if (origin != NULL)
        assert_int_equal(evhttp_add_header(in, "Origin", origin), 0);
    if (method != NULL)
        assert_int_equal(evhttp_add_header(in, "Access-Control-Request-Method", method), 0);
    if (headers != NULL)
        assert_int_equal(evhttp_add_header(in, "Access-Control-Request-Headers", headers), 0);
    return req;
}

static void no_grant(struct evhttp_request *req)
{
    static const char *const grants[] = { "Access-Control-Allow-Origin", "Access-Control-Allow-Methods",
                                          "Access-Control-Allow-Headers", "Access-Control-Max-Age",
                                          "Access-Control-Allow-Credentials", "Access-Control-Allow-Private-Network" };
    const char *v;

    for (size_t i = 0; i < sizeof(grants) / sizeof(grants[0]); i++)
        if (count_out(req, grants[i], &v) != 0)
            fail_msg("a refused preflight carries %s: %s", grants[i], v);
}

static void test_http_cors__refused_origin_preflight_is_not_answered(void **state)
{
    static const char *const refused_origins[] = { "http://evil.example", "null", "NULL", "http://app.example.com",
                                                   "https://app.example.com:8443", "https://app.example.com/" };
    vt_origin_list l;
    vt_err e = { 0 };

    (void)state;
    vt_origin_list_init(&l);
    assert_int_equal(vt_origin_list_add(&l, "https://app.example.com", &e), VT_OK);
    /* Before CORS looks at it, the Origin rule refuses the preflight of another site, null and
     * look-alikes, and gives no value to echo: the 403 names nobody in Access-Control-Allow-Origin. */
    for (size_t i = 0; i < sizeof(refused_origins) / sizeof(refused_origins[0]); i++) {
        struct evhttp_request *req = preflight_req(refused_origins[i], "POST", "content-type");
        const char *value = "stale";
        assert_true(vt_cors_is_preflight(req));
        assert_int_equal(vt_origin_check_request(&value, &l, req, &e), VT_E_POLICY);
        assert_null(value);
        evhttp_request_free(req);
    }
}

static void test_http_cors__unknown_request_header_refused(void **state)
{
    static const char *const lists[] = {
        "x-stainless-os",                   /* an SDK's header the service does not read */
        "content-type, x-api-key",          /* one unknown among known ones */
        "authorization,cookie",             /* cookies: never */
        "content-type, openai-organization", /* dropped by the gateway: not granted */
        "Content-Typo",                     /* a near miss */
        "content-type-x",                   /* a known name's prefix is not the name */
        "content",                          /* nor is a prefix of one */
        "*",                                /* no wildcard from the client either */
    };
    struct evhttp_request *req;
    vt_err e;

    (void)state;
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        assert_int_equal(refused("POST", lists[i], &e), VT_E_POLICY);
    assert_int_equal(refused("POST", "content-type, x-api-key", &e), VT_E_POLICY);
    assert_non_null(strstr(e.msg, "request header x-api-key is not allowed"));
    assert_non_null(strstr(e.msg, "authorization, content-type, mcp-protocol-version"));
    /* The evhttp half: only Vary, nothing granted, nothing of the request echoed. */
    req = preflight_req("https://app.example.com", "POST", "content-type, x-stainless-os");
    assert_int_equal(vt_cors_preflight(&policy, req, "https://app.example.com", &e), VT_E_POLICY);
    no_grant(req);
    {
        const char *v;
        assert_int_equal(count_out(req, "Vary", &v), 1);
        assert_string_equal(v, "Origin");
    }
    evhttp_request_free(req);
}

static void test_http_cors__wrong_method_refused(void **state)
{
    static const char *const methods[] = { "DELETE", "PUT", "PATCH", "OPTIONS", "TRACE", "CONNECT", "post", "Get",
                                           "POS", "POSTS", "GET, POST", "" };
    struct evhttp_request *req;
    vt_err e;

    (void)state;
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        assert_int_equal(refused(methods[i], NULL, &e), VT_E_POLICY);
    assert_int_equal(refused("DELETE", NULL, &e), VT_E_POLICY);
    assert_string_equal(e.msg, "cors: method DELETE is not allowed (only GET, POST)");
    assert_int_equal(refused(NULL, "content-type", &e), VT_E_POLICY); /* no method: not a preflight to grant */
    /* A method that is not a token, or a long one, is not echoed. */
    assert_int_equal(refused("PO\"ST<script>", NULL, &e), VT_E_POLICY);
    assert_null(strstr(e.msg, "script"));
    {
        char longm[200];
        memset(longm, 'A', sizeof(longm) - 1);
        longm[sizeof(longm) - 1] = '\0';
        assert_int_equal(refused(longm, NULL, &e), VT_E_POLICY);
        assert_null(strstr(e.msg, "AAAAAAAA"));
    }
    req = preflight_req("https://app.example.com", "DELETE", NULL);
    assert_int_equal(vt_cors_preflight(&policy, req, "https://app.example.com", &e), VT_E_POLICY);
    no_grant(req);
    evhttp_request_free(req);
}

static void test_http_cors__malformed_or_overlong_list_refused(void **state)
{
    static const char *const lists[] = { "content-type;authorization", "content-type authorization",
                                         "content-type:", "content\x01type", "\"content-type\"",
                                         "content-type\r\nx-evil: 1", "(authorization)", "content-type/json" };
    char big[VT_CORS_REQUEST_HEADERS_LEN_MAX + 2];
    vt_err e;

    (void)state;
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        assert_int_equal(refused("POST", lists[i], &e), VT_E_FORMAT);
    /* Long lists of allowed names are still bounded. */
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    for (size_t at = 0; at + sizeof("content-type,") <= sizeof(big); at += sizeof("content-type,") - 1)
        memcpy(big + at, "content-type,", sizeof("content-type,") - 1);
    assert_int_equal(strlen(big), VT_CORS_REQUEST_HEADERS_LEN_MAX + 1);
    assert_int_equal(refused("POST", big, &e), VT_E_LIMIT);
    big[VT_CORS_REQUEST_HEADERS_LEN_MAX] = '\0'; /* at the limit: spaces and allowed names */
    granted("POST", big);
    /* An unknown long name is refused without being echoed. */
    memset(big, 'x', 200);
    big[200] = '\0';
    assert_int_equal(refused("POST", big, &e), VT_E_POLICY);
    assert_null(strstr(e.msg, "xxxxxxxx"));
}

static void test_http_cors__every_truncation_of_a_granted_list(void **state)
{
    static const char list[] = "authorization, content-type, mcp-protocol-version";
    char buf[sizeof(list)];

    (void)state;
    granted("POST", list);
    /* A prefix that cuts a name is another name (refused); one that ends at a name or its
     * separator is granted. */
    for (size_t k = 0; k < sizeof(list) - 1; k++) {
        vt_err e = { 0 };
        vt_status rc;
        bool at_boundary = k == 0 || list[k] == ',' || list[k - 1] == ',' || list[k - 1] == ' ';
        snprintf(buf, sizeof(buf), "%.*s", (int)k, list);
        rc = vt_cors_preflight_check(&policy, "POST", buf, &e);
        if (at_boundary && rc != VT_OK)
            fail_msg("[%s] refused: %s", buf, e.msg);
        if (!at_boundary && rc != VT_E_POLICY)
            fail_msg("[%s] not refused as an unknown header", buf);
    }
}

static void test_http_cors__granted_lists(void **state)
{
    (void)state;
    granted("POST", NULL);
    granted("GET", NULL);
    granted("POST", "content-type");
    granted("POST", "Content-Type, Authorization");   /* browsers send lowercase; case does not matter */
    granted("POST", "authorization,content-type");
    granted("POST", " content-type\t, ,authorization ,"); /* spaces, tabs, empty elements (RFC 9110 5.6.1) */
    granted("POST", "");
    granted("POST", "mcp-protocol-version");
}

static void test_http_cors__preflight_grant_headers(void **state)
{
    struct evhttp_request *req;
    const char *v;
    vt_err e = { 0 };

    (void)state;
    req = preflight_req("http://127.0.0.1:3000", "POST", "authorization, content-type");
    assert_true(vt_cors_is_preflight(req));
    assert_int_equal(vt_cors_preflight(&policy, req, "http://127.0.0.1:3000", &e), VT_OK);
    assert_int_equal(count_out(req, "Access-Control-Allow-Origin", &v), 1);
    assert_string_equal(v, "http://127.0.0.1:3000");
    assert_int_equal(count_out(req, "Vary", &v), 1);
    assert_string_equal(v, "Origin");
    assert_int_equal(count_out(req, "Access-Control-Allow-Methods", &v), 1);
    assert_string_equal(v, "GET, POST");
    assert_int_equal(count_out(req, "Access-Control-Allow-Headers", &v), 1);
    assert_string_equal(v, "authorization, content-type, mcp-protocol-version"); /* the policy, not the request */
    assert_int_equal(count_out(req, "Access-Control-Max-Age", &v), 1);
    assert_string_equal(v, VT_CORS_MAX_AGE);
    assert_int_equal(count_out(req, "Access-Control-Allow-Credentials", &v), 0);
    assert_int_equal(count_out(req, "Access-Control-Allow-Private-Network", &v), 0); /* not asked */
    assert_int_equal(count_out(req, "Access-Control-Expose-Headers", &v), 0);       /* answers only */
    evhttp_request_free(req);
    /* Private Network Access: granted to the allowed origin when its preflight asks. */
    req = preflight_req("https://app.example.com", "GET", NULL);
    assert_int_equal(evhttp_add_header(evhttp_request_get_input_headers(req), "Access-Control-Request-Private-Network",
                                       "true"), 0);
    assert_int_equal(vt_cors_preflight(&policy, req, "https://app.example.com", &e), VT_OK);
    assert_int_equal(count_out(req, "Access-Control-Allow-Private-Network", &v), 1);
    assert_string_equal(v, "true");
    evhttp_request_free(req);
}

/* The gateway's grant: the fixed names, then exactly the x-stainless names asked for, checked,
 * lowercase, each once; the request's other text is never echoed. */
static void test_http_cors__sdk_headers_granted_on_the_gateway(void **state)
{
    char allow[VT_CORS_ALLOW_HEADERS_LEN_MAX];
    struct evhttp_request *req;
    const char *v;
    vt_err e = { 0 };

    (void)state;
    assert_int_equal(vt_cors_preflight_grant(allow, sizeof(allow), &gw, "POST", SDK_HEADERS, &e), VT_OK);
    assert_string_equal(allow, "authorization, content-type, mcp-protocol-version, x-stainless-arch, "
                               "x-stainless-lang, x-stainless-os, x-stainless-package-version, "
                               "x-stainless-retry-count, x-stainless-runtime, x-stainless-runtime-version, "
                               "x-stainless-timeout");
    /* case, spaces and a repeat: written lowercase, once, in the order asked */
    assert_int_equal(vt_cors_preflight_grant(allow, sizeof(allow), &gw, "GET",
                                             " X-Stainless-OS ,content-type,,x-stainless-os,X-STAINLESS-helper-method",
                                             &e),
                     VT_OK);
    assert_string_equal(allow, "authorization, content-type, mcp-protocol-version, x-stainless-os, "
                               "x-stainless-helper-method");
    /* nothing asked beyond the fixed list: the fixed list */
    assert_int_equal(vt_cors_preflight_grant(allow, sizeof(allow), &gw, "POST", "content-type", &e), VT_OK);
    assert_string_equal(allow, "authorization, content-type, mcp-protocol-version");
    assert_int_equal(vt_cors_preflight_grant(allow, sizeof(allow), &gw, "POST", NULL, &e), VT_OK);
    assert_string_equal(allow, "authorization, content-type, mcp-protocol-version");
    /* the evhttp half */
    req = preflight_req("http://127.0.0.1:5173", "POST", SDK_HEADERS);
    assert_int_equal(vt_cors_preflight(&gw, req, "http://127.0.0.1:5173", &e), VT_OK);
    assert_int_equal(count_out(req, "Access-Control-Allow-Headers", &v), 1);
    assert_non_null(strstr(v, ", x-stainless-os, "));
    assert_int_equal(strncmp(v, "authorization, content-type, mcp-protocol-version, x-stainless-arch", 67), 0);
    assert_int_equal(count_out(req, "Access-Control-Allow-Origin", &v), 1);
    assert_string_equal(v, "http://127.0.0.1:5173");
    evhttp_request_free(req);
}

/* A name that only looks like the SDK's, too long a name, too many of them: refused, nothing
 * granted; and the fixed list stays what it was for everything else. */
static void test_http_cors__bad_sdk_headers_refused(void **state)
{
    static const char *const policy_refused[] = {
        "x-stainless-",                      /* the prefix alone */
        "x-stainless-os_name",               /* a token, but not letters, digits and '-' */
        "x-stainless-a!b",                   /* likewise */
        "x-stainless-a'b",                   /* likewise */
        "x-stainlessos",                     /* not the prefix */
        "y-stainless-os",                    /* nor this */
        "xx-stainless-os",                   /* nor this */
        "content-type, openai-organization", /* ignored by the gateway: not granted (docs/gateway.md) */
        "openai-project",
        "cookie, x-stainless-os",
    };
    char allow[VT_CORS_ALLOW_HEADERS_LEN_MAX], name[VT_CORS_PREFIXED_NAME_MAX + 2], list[512];
    struct evhttp_request *req;
    size_t used = 0;
    vt_err e = { 0 };

    (void)state;
    for (size_t i = 0; i < sizeof(policy_refused) / sizeof(policy_refused[0]); i++) {
        snprintf(allow, sizeof(allow), "stale");
        if (vt_cors_preflight_grant(allow, sizeof(allow), &gw, "POST", policy_refused[i], &e) != VT_E_POLICY)
            fail_msg("[%s] not refused", policy_refused[i]);
        assert_string_equal(allow, "");
    }
    assert_int_equal(vt_cors_preflight_grant(allow, sizeof(allow), &gw, "POST", "x-stainless-a!b", &e), VT_E_POLICY);
    assert_string_equal(e.msg, "cors: request header x-stainless-a!b is not allowed (only authorization, "
                               "content-type, mcp-protocol-version, x-stainless-*)");
    /* malformed lists stay malformed */
    assert_int_equal(vt_cors_preflight_grant(allow, sizeof(allow), &gw, "POST", "x-stainless-os;x", &e), VT_E_FORMAT);
    assert_int_equal(vt_cors_preflight_grant(allow, sizeof(allow), &gw, "POST", "x-stainless-os\r\nx: 1", &e),
                     VT_E_FORMAT);
    /* at the name bound: granted; one byte more: refused, and not echoed */
    memcpy(name, "x-stainless-", 12);
    memset(name + 12, 'a', VT_CORS_PREFIXED_NAME_MAX - 12);
    name[VT_CORS_PREFIXED_NAME_MAX] = '\0';
    assert_int_equal(vt_cors_preflight_grant(allow, sizeof(allow), &gw, "POST", name, &e), VT_OK);
    assert_non_null(strstr(allow, name));
    name[VT_CORS_PREFIXED_NAME_MAX] = 'a';
    name[VT_CORS_PREFIXED_NAME_MAX + 1] = '\0';
    assert_int_equal(vt_cors_preflight_grant(allow, sizeof(allow), &gw, "POST", name, &e), VT_E_POLICY);
    assert_null(strstr(e.msg, "aaaaaaaa"));
    assert_string_equal(allow, "");
    /* at the count bound: granted; one more: refused */
    for (int i = 0; i < VT_CORS_PREFIXED_MAX; i++)
        used += (size_t)snprintf(list + used, sizeof(list) - used, "%sx-stainless-h%d", i > 0 ? "," : "", i);
    assert_int_equal(vt_cors_preflight_grant(allow, sizeof(allow), &gw, "POST", list, &e), VT_OK);
    assert_non_null(strstr(allow, ", x-stainless-h15"));
    snprintf(list + used, sizeof(list) - used, ",x-stainless-h%d", VT_CORS_PREFIXED_MAX);
    assert_int_equal(vt_cors_preflight_grant(allow, sizeof(allow), &gw, "POST", list, &e), VT_E_LIMIT);
    assert_string_equal(allow, "");
    /* repeats count too: the work is bounded by the elements, not the distinct names */
    used = 0;
    for (int i = 0; i <= VT_CORS_PREFIXED_MAX; i++)
        used += (size_t)snprintf(list + used, sizeof(list) - used, "%sx-stainless-os", i > 0 ? "," : "");
    assert_int_equal(vt_cors_preflight_grant(allow, sizeof(allow), &gw, "POST", list, &e), VT_E_LIMIT);
    /* too small a buffer for the grant: refused, not cut */
    assert_int_equal(vt_cors_preflight_grant(allow, 60, &gw, "POST", SDK_HEADERS, &e), VT_E_LIMIT);
    assert_string_equal(allow, "");
    assert_int_equal(vt_cors_preflight_grant(allow, 20, &gw, "POST", NULL, &e), VT_E_LIMIT);
    /* the evhttp half: a refused one grants nothing */
    req = preflight_req("https://app.example.com", "POST", "content-type, x-stainless-a!b");
    assert_int_equal(vt_cors_preflight(&gw, req, "https://app.example.com", &e), VT_E_POLICY);
    no_grant(req);
    evhttp_request_free(req);
}

/* A service without a prefix (the verifier) keeps refusing the SDK's headers. */
static void test_http_cors__sdk_headers_refused_without_prefix(void **state)
{
    char allow[VT_CORS_ALLOW_HEADERS_LEN_MAX];
    struct evhttp_request *req;
    vt_err e = { 0 };

    (void)state;
    assert_int_equal(vt_cors_preflight_grant(allow, sizeof(allow), &policy, "POST", SDK_HEADERS, &e), VT_E_POLICY);
    assert_string_equal(e.msg, "cors: request header x-stainless-arch is not allowed (only authorization, "
                               "content-type, mcp-protocol-version)");
    req = preflight_req("https://app.example.com", "POST", SDK_HEADERS);
    assert_int_equal(vt_cors_preflight(&policy, req, "https://app.example.com", &e), VT_E_POLICY);
    no_grant(req);
    evhttp_request_free(req);
}

static void test_http_cors__is_preflight(void **state)
{
    struct evhttp_request *req;

    (void)state;
    req = preflight_req("https://app.example.com", NULL, NULL); /* OPTIONS without the method: not a preflight */
    assert_false(vt_cors_is_preflight(req));
    evhttp_request_free(req);
    req = preflight_req("https://app.example.com", "POST", NULL);
    assert_true(vt_cors_is_preflight(req));
    req->type = EVHTTP_REQ_POST; /* the header on another method: an actual request */
    assert_false(vt_cors_is_preflight(req));
    evhttp_request_free(req);
}

static void test_http_cors__answer_headers(void **state)
{
    static const vt_cors quiet = { "GET", "authorization", NULL, NULL };
    struct evhttp_request *req = evhttp_request_new(NULL, NULL);
    struct evkeyvalq *out;
    const char *v;

    (void)state;
    assert_non_null(req);
    out = evhttp_request_get_output_headers(req);
    vt_cors_add(&policy, out, "http://localhost:3000");
    assert_int_equal(count_out(req, "Access-Control-Allow-Origin", &v), 1);
    assert_string_equal(v, "http://localhost:3000");
    assert_int_equal(count_out(req, "Vary", &v), 1);
    assert_string_equal(v, "Origin");
    assert_int_equal(count_out(req, "Access-Control-Expose-Headers", &v), 1);
    assert_string_equal(v, "Veritee-Receipt, Retry-After");
    assert_int_equal(count_out(req, "Access-Control-Allow-Credentials", &v), 0);
    assert_int_equal(count_out(req, "Access-Control-Allow-Methods", &v), 0); /* preflights only */
    evhttp_clear_headers(out);
    vt_cors_add(&quiet, out, "https://app.example.com");
    assert_int_equal(count_out(req, "Access-Control-Expose-Headers", &v), 0);
    assert_int_equal(count_out(req, "Access-Control-Allow-Origin", &v), 1);
    evhttp_request_free(req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_cors__refused_origin_preflight_is_not_answered),
        cmocka_unit_test(test_http_cors__unknown_request_header_refused),
        cmocka_unit_test(test_http_cors__wrong_method_refused),
        cmocka_unit_test(test_http_cors__malformed_or_overlong_list_refused),
        cmocka_unit_test(test_http_cors__every_truncation_of_a_granted_list),
        cmocka_unit_test(test_http_cors__granted_lists),
        cmocka_unit_test(test_http_cors__preflight_grant_headers),
        cmocka_unit_test(test_http_cors__sdk_headers_granted_on_the_gateway),
        cmocka_unit_test(test_http_cors__bad_sdk_headers_refused),
        cmocka_unit_test(test_http_cors__sdk_headers_refused_without_prefix),
        cmocka_unit_test(test_http_cors__is_preflight),
        cmocka_unit_test(test_http_cors__answer_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
