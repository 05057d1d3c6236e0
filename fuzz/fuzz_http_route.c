/* libFuzzer: our side of HTTP request handling (libevent does the framing):
 * route matching with {param} captures and "*" tails, query parameter
 * decoding, and dispatch.  Input: method '\n' path ['?' query]. */
#include <stdlib.h>
#include <string.h>

#include "veritee/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vt_http_router router;

static void ok(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    char v[64];
    static const char *const names[] = { "nonce", "id", "n", "a", "" };

    (void)ctx;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (vt_http_query_get(v, sizeof(v), req->query != NULL ? req->query : "", names[i], NULL) == VT_OK &&
            strlen(v) >= sizeof(v))
            __builtin_trap();
    for (size_t i = 0; i < req->param_count; i++)
        if (req->params[i][0] == '\0' || strchr(req->params[i], '/') != NULL)
            __builtin_trap();
    (void)vt_http_reply_json(resp, 200, "{}", NULL);
}

static void forgets(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    (void)resp;
    (void)req;
    (void)ctx;
}

static void setup(void)
{
    static const char *const pats[][2] = {
        { "GET", "/healthz" },
        { "POST", "/v1/attest" },
        { "GET", "/v1/passports/{id}" },
        { "GET", "/v1/receipts/{id}" },
        { "POST", "/v1/receipts" },
        { "GET", "/v1/log/tile/*" },
        { "GET", "/v1/{a}/x/{b}/{c}" },
        { "PUT", "/v1/passports/{id}" },
    };

    vt_http_router_init(&router);
    for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
        if (vt_http_router_add(&router, pats[i][0], pats[i][1], ok, NULL, NULL) != VT_OK)
            __builtin_trap();
    if (vt_http_router_add(&router, "GET", "/forgets", forgets, NULL, NULL) != VT_OK)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s, *nl, *q;
    vt_http_req req;
    vt_http_resp resp;
    const vt_http_route *rt = NULL;
    char v[32];

    if (router.count == 0)
        setup();
    s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    nl = strchr(s, '\n');
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = s;
    if (nl != NULL) {
        *nl = '\0';
        req.method = s;
        req.path = nl + 1;
    }
    q = strchr(req.path, '?');
    if (q != NULL) {
        *q = '\0';
        req.query = q + 1;
        /* every name against the query, including an empty one */
        (void)vt_http_query_get(v, sizeof(v), req.query, req.path, NULL);
        (void)vt_http_query_get(v, 1, req.query, "nonce", NULL);
    }
    req.body = (const uint8_t *)"";
    req.client = "127.0.0.1";
    req.request_id = "0000000000000000";
    (void)vt_http_router_match(&rt, &router, req.method, req.path, &req);
    memset(&resp, 0, sizeof(resp));
    vt_buf_init(&resp.body);
    memset(req.params, 0, sizeof(req.params));
    req.param_count = 0;
    vt_http_dispatch(&resp, &router, &req);
    if (resp.status < 200 || resp.status > 599)
        __builtin_trap();
    vt_buf_free(&resp.body);
    free(s);
    return 0;
}
