/* The key broker's admin registration (keys.c, PUT /v1/admin/resources/{id}), driven through
 * the router without a socket: the bodies it refuses, and what a registration leaves in freed
 * memory.  jansson's allocations go through a free that looks for the secret in every block it
 * frees (json_set_alloc_funcs, before any jansson call), and this program's own frees, the
 * verifier's and the library's, through the same check (-Wl,--wrap=free): a block freed with
 * the secret, or its base64, still in it is counted.  Failure cases first. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "free_check.h"
#include "vt_test.h"

#include "verifier/verifier.h"

#define TOKEN "0123456789abcdef0123456789abcdef"
#define MARK "zebra-secret-4471"

static char mark64[64]; /* the start of the secret's base64, as the body carries it */

struct fx {
    char dir[4096];
    vf_service svc;
    void *st;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    vf_config cfg;
    vt_err err = { 0 };

    assert_non_null(f);
    vt_test_mkdtemp(f->dir, sizeof(f->dir));
    memset(&cfg, 0, sizeof(cfg));
    cfg.listen = "127.0.0.1:0";
    cfg.state_dir = f->dir;
    cfg.offline = true;
    cfg.quiet = true;
    cfg.admin_token = (const uint8_t *)TOKEN;
    cfg.admin_token_len = strlen(TOKEN);
    if (vf_service_init(&f->svc, &cfg, &err) != VT_OK)
        fail_msg("init: %s", err.msg);
    assert_int_equal(vf_thread_init(&f->st, &f->svc, 0, &err), VT_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    vf_thread_fini(f->st, &f->svc);
    vf_service_fini(&f->svc);
    vt_test_rmdir(f->dir);
    free(f);
    return 0;
}

/* PUT path with body (the test's own bytes, never freed by the verifier); the reply's body in
 * reply (may be NULL).  Returns the status. */
static int put(struct fx *f, const char *path, const char *body, char *reply, size_t reply_len)
{
    vt_http_req r;
    vt_http_resp resp;
    int status;

    memset(&r, 0, sizeof(r));
    memset(&resp, 0, sizeof(resp));
    r.method = "PUT";
    r.path = path;
    r.body = (const uint8_t *)body;
    r.body_len = strlen(body);
    r.authorization = "Bearer " TOKEN;
    r.client = "127.0.0.1";
    r.request_id = "0000000000000000";
    r.thread_ctx = f->st;
    vt_http_dispatch(&resp, &f->svc.router, &r);
    status = resp.status;
    if (reply != NULL)
        snprintf(reply, reply_len, "%.*s", (int)resp.body.len, resp.body.data != NULL ? (char *)resp.body.data : "");
    vt_buf_free(&resp.body);
    return status;
}

/* {"kind":"key","value":<base64 of a 48-byte secret holding MARK>,"policy":policy}; sets mark64. */
static char *body_with_secret(const char *policy)
{
    uint8_t secret[48];
    vt_buf b64;
    char *body = NULL;

    memset(secret, 's', sizeof(secret));
    memcpy(secret + 3, MARK, sizeof(MARK) - 1); /* at a multiple of 3: its base64 is fixed */
    vt_buf_init(&b64);
    assert_int_equal(vt_base64_encode(&b64, secret, sizeof(secret), false, NULL), VT_OK);
    snprintf(mark64, sizeof(mark64), "%.20s", (const char *)b64.data + 4);
    assert_int_not_equal(asprintf(&body, "{\"kind\":\"key\",\"value\":\"%.*s\",\"policy\":%s}", (int)b64.len,
                                  (const char *)b64.data, policy),
                         -1);
    vt_buf_free(&b64);
    vt_wipe(secret, sizeof(secret));
    return body;
}

static void free_body(char *body)
{
    vt_wipe(body, strlen(body));
    free(body);
}

/* Bodies that are not {"kind","value","policy"} are refused, naming the shape. */
static void test_verifier_keys__put_bodies_refused(void **state)
{
    struct fx *f = *state;
    static const char *const bad[] = {
        "",
        "[]",
        "{\"value\":\"c2VjcmV0\"}",                                                 /* no policy */
        "{\"policy\":{\"environment\":\"e\"}}",                                    /* no value */
        "{\"value\":5,\"policy\":{\"environment\":\"e\"}}",                        /* not a string */
        "{\"value\":\"c2VjcmV0\",\"policy\":[]}",                                   /* policy not an object */
        "{\"value\":\"c2VjcmV0\",\"value\":\"c2VjcmV0\",\"policy\":{\"environment\":\"e\"}}", /* twice */
        "{\"value\":\"c2VjcmV0\",\"policy\":{\"environment\":\"e\"},\"extra\":1}",
        "{\"kind\":\"other\",\"value\":\"c2VjcmV0\",\"policy\":{\"environment\":\"e\"}}",
        "{\"kind\":1,\"value\":\"c2VjcmV0\",\"policy\":{\"environment\":\"e\"}}",
        "{\"value\":\"c2VjcmV0\",\"policy\":{\"environment\":\"e\"}} x",             /* trailing bytes */
        "{\"value\":\"c2VjcmV0\",\"policy\":{\"environment\":\"e\"}",                /* truncated */
        "{\"value\":\"c2Vj*mV0\",\"policy\":{\"environment\":\"e\"}}",               /* not base64 */
        "{\"value\":\"\",\"policy\":{\"environment\":\"e\"}}",                       /* empty */
    };
    char reply[1024], *big = NULL;

    /* Values of VT_KBS_VALUE_MAX bytes (5462 base64 characters), 4098 (5464) and longer than
     * the base64 of the most (5468: refused before it is decoded). */
    static const int chars[] = { 5462, 5464, 5468 };
    for (size_t i = 0; i < 3; i++) {
        assert_int_not_equal(asprintf(&big, "{\"value\":\"%*s\",\"policy\":{\"environment\":\"e\"}}", chars[i], ""),
                             -1);
        for (char *c = big + 10; *c == ' '; c++)
            *c = 'A';
        assert_int_equal(put(f, "/v1/admin/resources/r1", big, reply, sizeof(reply)), i == 0 ? 200 : 400);
        assert_non_null(strstr(reply, i == 0 ? "\"size\":4096" : "value: base64 of 1..4096 bytes"));
        free(big);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (put(f, "/v1/admin/resources/r1", bad[i], reply, sizeof(reply)) != 400)
            fail_msg("body %zu accepted: %s", i, reply);
    assert_int_equal(put(f, "/v1/admin/resources/r1", "{\"value\":\"c2VjcmV0\",\"policy\":{}}", reply, sizeof(reply)),
                     400);
    assert_non_null(strstr(reply, "invalid_policy"));
    /* The same body with a valid policy is registered; \u escapes in the value are decoded. */
    assert_int_equal(put(f, "/v1/admin/resources/r1",
                         "{\"value\":\"c2Vj\\u0063mV0\",\"policy\":{\"environment\":\"e\"}}", reply, sizeof(reply)),
                     200);
    assert_non_null(strstr(reply, "\"size\":6"));
    assert_null(strstr(reply, "wrapped"));
}

/* A registration, and one refused for its policy after the value was read: no block freed on the
 * way (jansson's, the verifier's, the library's) holds the secret or its base64. */
static void test_verifier_keys__put_secret_not_left_in_freed_memory(void **state)
{
    struct fx *f = *state;
    char *ok = body_with_secret("{\"environment\":\"prod\",\"min_tcb_status\":\"any\"}");
    char *bad = body_with_secret("{\"environment\":\"prod\",\"min_tcb_status\":\"sometimes\"}");
    char reply[1024];

    vt_test_freed_reset();
    assert_int_equal(put(f, "/v1/admin/resources/model-key", ok, reply, sizeof(reply)), 200);
    assert_non_null(strstr(reply, "\"size\":48"));
    assert_int_equal(vt_test_freed_unwiped(), 0);
    assert_int_equal(put(f, "/v1/admin/resources/model-key", bad, reply, sizeof(reply)), 400);
    assert_non_null(strstr(reply, "invalid_policy"));
    assert_int_equal(vt_test_freed_unwiped(), 0);
    free_body(ok);
    free_body(bad);
    mark64[0] = '\0';
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_verifier_keys__put_bodies_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verifier_keys__put_secret_not_left_in_freed_memory, setup, teardown),
    };

    vt_test_free_marks(MARK, mark64);
    json_set_alloc_funcs(malloc, vt_test_free_checked); /* before any jansson allocation */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
