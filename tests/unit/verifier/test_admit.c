/* Admission: a gateway signing under a passport this verifier issued is limited
 * per gateway, not with the anonymous callers of its address; a forged, foreign,
 * altered or expired passport, or a request signed by another key, is 401. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

#include "verifier/verifier.h"

struct fx {
    char dir[4096];
    vf_service svc;
    void *st;
    vt_pkey *enclave, *other;
};

/* Issues a passport under the verifier's current key for the enclave key and stores it
 * (status, expiry as given).  *token_out: free(). */
static void issue(struct fx *f, char **token_out, const char *status, vt_time exp, bool store)
{
    vt_passport_claims pc;
    vs_passport row;
    vs_store *st = f->st;
    const char *kid = NULL;
    vt_err err = { 0 };

    memset(&pc, 0, sizeof(pc));
    memset(&row, 0, sizeof(row));
    assert_int_equal(vt_passport_new_id(pc.id, &err), VT_OK);
    snprintf(pc.environment, sizeof(pc.environment), "env-test");
    snprintf(pc.issuer, sizeof(pc.issuer), "veritee-verifier");
    pc.tee_type = VT_TEE_MOCK;
    memset(pc.appraisal.sub[VT_SUBMOD_MODEL].measured, '0', 64); /* the model receipt_for names */
    assert_int_equal(vt_jwk_from_pkey(&pc.attester_jwk, f->enclave, NULL, &err), VT_OK);
    pc.iat = vt_time_now() - 10;
    pc.exp = exp;
    const vt_pkey *signer = vt_keyring_current(f->svc.kr, &kid);
    if (vt_passport_issue(token_out, &pc, signer, kid, &err) != VT_OK)
        fail_msg("issue: %s", err.msg);
    snprintf(row.id, sizeof(row.id), "%s", pc.id);
    snprintf(row.environment, sizeof(row.environment), "env-test");
    snprintf(row.status, sizeof(row.status), "%s", status);
    snprintf(row.tee_type, sizeof(row.tee_type), "mock");
    row.issued_at = pc.iat;
    row.expires_at = exp;
    row.token = *token_out;
    row.components = (char *)"{}";
    if (store)
        assert_int_equal(st->ops->passport_put(st, &row, &err), VT_OK);
    vt_passport_claims_clear(&pc);
}

static int dispatch(struct fx *f, vt_http_resp *resp, const char *method, const char *path, const char *body,
                    const char *authz, const char *client)
{
    vt_http_req r;

    memset(&r, 0, sizeof(r));
    memset(resp, 0, sizeof(*resp));
    r.method = method;
    r.path = path;
    r.body = (const uint8_t *)(body != NULL ? body : "");
    r.body_len = body != NULL ? strlen(body) : 0;
    r.authorization = authz;
    r.client = client;
    r.request_id = "0000000000000000";
    r.thread_ctx = f->st;
    vt_http_dispatch(resp, &f->svc.router, &r);
    return resp->status;
}

static int call(struct fx *f, const char *method, const char *path, const char *body, const char *authz,
                const char *client, char *code_out)
{
    vt_http_resp resp;
    int s = dispatch(f, &resp, method, path, body, authz, client);
    if (code_out != NULL)
        snprintf(code_out, 48, "%s", resp.code);
    vt_buf_free(&resp.body);
    return s;
}

static char *sign(const char *passport, const vt_pkey *k, const char *path, const char *body, vt_time ts)
{
    char *v = NULL;
    vt_err err;
    assert_int_equal(vt_passport_auth_sign(&v, passport, k, "POST", path, (const uint8_t *)body, strlen(body), ts, &err),
                     VT_OK);
    return v;
}

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
    cfg.rate = 1;
    cfg.burst = 2;
    cfg.gateway_rate = 1000;
    if (vf_service_init(&f->svc, &cfg, &err) != VT_OK)
        fail_msg("init: %s", err.msg);
    assert_int_equal(vf_thread_init(&f->st, &f->svc, 0, &err), VT_OK);
    if (vt_keyring_current(f->svc.kr, NULL) == NULL)
        assert_int_equal(vf_rotate(&f->svc, &err), VT_OK);
    assert_int_equal(vt_pkey_generate(&f->enclave, VT_KEY_EC_P256, &err), VT_OK);
    assert_int_equal(vt_pkey_generate(&f->other, VT_KEY_EC_P256, &err), VT_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    vf_thread_fini(f->st, &f->svc);
    vf_service_fini(&f->svc);
    vt_pkey_free(f->enclave);
    vt_pkey_free(f->other);
    vt_test_rmdir(f->dir);
    free(f);
    return 0;
}

static void test_verifier_admit__gateway_exempt_from_anonymous_limit(void **state)
{
    struct fx *f = *state;
    const char *body = "{\"receipts\":[\"not-a-receipt\"]}";
    char *pass = NULL, code[48];
    vt_http_resp resp;

    issue(f, &pass, "affirming", vt_time_now() + 600, true);
    /* the address's anonymous budget (burst 2) is spent */
    assert_int_equal(call(f, "GET", "/.well-known/jwks.json", NULL, NULL, "10.0.0.1", NULL), 200);
    assert_int_equal(call(f, "GET", "/.well-known/jwks.json", NULL, NULL, "10.0.0.1", NULL), 200);
    assert_int_equal(call(f, "GET", "/.well-known/jwks.json", NULL, NULL, "10.0.0.1", code), 429);
    assert_string_equal(code, "rate_limited");
    assert_int_equal(call(f, "POST", "/v1/receipts:batch", body, NULL, "10.0.0.1", NULL), 429);
    /* /healthz is never limited */
    assert_int_equal(call(f, "GET", "/healthz", NULL, NULL, "10.0.0.1", NULL), 200);
    /* the gateway on the same address goes on: its batch is answered per receipt */
    for (int i = 0; i < 20; i++) {
        char *authz = sign(pass, f->enclave, "/v1/receipts:batch", body, vt_time_now());
        assert_int_equal(dispatch(f, &resp, "POST", "/v1/receipts:batch", body, authz, "10.0.0.1"), 200);
        assert_non_null(strstr((const char *)resp.body.data, "\"accepted\":0"));
        assert_non_null(strstr((const char *)resp.body.data, "bad_receipt"));
        vt_buf_free(&resp.body);
        free(authz);
    }
    free(pass);
}

/* A receipt signed under passport pid's name by key k for environment env and model byte m, served at
 * unix second at (free() it). */
static char *receipt_as(const char *pid, const vt_pkey *k, const char *env, uint8_t m, vt_time at)
{
    vt_receipt r;
    char *tok = NULL;

    assert_int_equal(vt_receipt_init(&r, NULL), VT_OK);
    snprintf(r.passport, sizeof(r.passport), "%s", pid);
    snprintf(r.environment, sizeof(r.environment), "%s", env);
    memset(r.model, m, sizeof(r.model));
    snprintf(r.endpoint, sizeof(r.endpoint), "/v1/chat/completions");
    snprintf(r.verdict, sizeof(r.verdict), "allow");
    snprintf(r.content_type, sizeof(r.content_type), "application/json");
    r.status = r.upstream_status = 200;
    r.received_ms = r.completed_ms = (int64_t)at * 1000;
    assert_int_equal(vt_receipt_sign(&tok, &r, k, NULL), VT_OK);
    vt_receipt_clear(&r);
    return tok;
}

/* A receipt signed under passport pid's name by key k (free() it). */
static char *receipt_for(const char *pid, const vt_pkey *k)
{
    return receipt_as(pid, k, "env-test", 0, vt_time_now());
}

/* A batch is judged receipt by receipt, each parsed once: kept; signed by a key that is not the
 * passport's enclave key; naming a passport never issued here; not a receipt; kept again (the
 * cached key serves the next receipt of the same passport). */
static void test_verifier_admit__batch_verdicts_per_receipt(void **state)
{
    struct fx *f = *state;
    vt_passport_claims pc;
    char *pass = NULL, *good, *forged, *unknown, *again, *body, *authz;
    vt_http_resp resp;
    const char *out, *p;

    issue(f, &pass, "affirming", vt_time_now() + 600, true);
    memset(&pc, 0, sizeof(pc));
    assert_int_equal(vt_passport_decode(&pc, pass, strlen(pass), NULL), VT_OK);
    good = receipt_for(pc.id, f->enclave);
    forged = receipt_for(pc.id, f->other);
    unknown = receipt_for("pass-00000000000000000000000000000000", f->enclave);
    again = receipt_for(pc.id, f->enclave);
    assert_true(asprintf(&body, "{\"receipts\":[\"%s\",\"%s\",\"%s\",\"x.y.z\",\"%s\"]}", good, forged, unknown,
                         again) > 0);
    authz = sign(pass, f->enclave, "/v1/receipts:batch", body, vt_time_now());
    assert_int_equal(dispatch(f, &resp, "POST", "/v1/receipts:batch", body, authz, "10.0.0.3"), 200);
    out = (const char *)resp.body.data;
    assert_non_null(strstr(out, "\"accepted\":2"));
    /* in the order sent */
    assert_non_null(p = strstr(out, "\"log_index\""));
    assert_non_null(p = strstr(p, "receipt_invalid"));
    assert_non_null(p = strstr(p, "passport_unknown"));
    assert_non_null(p = strstr(p, "bad_receipt"));
    assert_non_null(strstr(p, "\"log_index\""));
    vt_buf_free(&resp.body);
    vt_passport_claims_clear(&pc);
    free(authz);
    free(body);
    free(good);
    free(forged);
    free(unknown);
    free(again);
    free(pass);
}

static void test_verifier_admit__refused_authorizations(void **state)
{
    struct fx *f = *state;
    const char *body = "{\"receipts\":[\"not-a-receipt\"]}";
    char *good = NULL, *expired = NULL, *foreign = NULL, *contra = NULL, *authz, code[48];
    vt_time now = vt_time_now();

    issue(f, &good, "affirming", now + 600, true);
    issue(f, &expired, "affirming", now - 1, true);
    issue(f, &foreign, "affirming", now + 600, false); /* validly signed, never stored (issued elsewhere) */
    issue(f, &contra, "contraindicated", now + 600, true);
    /* signed by a key that is not the passport's cnf */
    authz = sign(good, f->other, "/v1/receipts:batch", body, now);
    assert_int_equal(call(f, "POST", "/v1/receipts:batch", body, authz, "10.0.0.2", code), 401);
    assert_string_equal(code, "gateway_unauthorized");
    free(authz);
    /* signed for another path, or another body */
    authz = sign(good, f->enclave, "/v1/receipts", body, now);
    assert_int_equal(call(f, "POST", "/v1/receipts:batch", body, authz, "10.0.0.2", NULL), 401);
    free(authz);
    authz = sign(good, f->enclave, "/v1/receipts:batch", "{\"receipts\":[]}", now);
    assert_int_equal(call(f, "POST", "/v1/receipts:batch", body, authz, "10.0.0.2", NULL), 401);
    free(authz);
    /* stale */
    authz = sign(good, f->enclave, "/v1/receipts:batch", body, now - VT_PASSPORT_AUTH_SKEW - 5);
    assert_int_equal(call(f, "POST", "/v1/receipts:batch", body, authz, "10.0.0.2", NULL), 401);
    free(authz);
    /* expired, unknown, contraindicated */
    authz = sign(expired, f->enclave, "/v1/receipts:batch", body, now);
    assert_int_equal(call(f, "POST", "/v1/receipts:batch", body, authz, "10.0.0.2", NULL), 401);
    free(authz);
    authz = sign(foreign, f->enclave, "/v1/receipts:batch", body, now);
    assert_int_equal(call(f, "POST", "/v1/receipts:batch", body, authz, "10.0.0.2", NULL), 401);
    free(authz);
    authz = sign(contra, f->enclave, "/v1/receipts:batch", body, now);
    assert_int_equal(call(f, "POST", "/v1/receipts:batch", body, authz, "10.0.0.2", NULL), 401);
    free(authz);
    /* the stored passport with its signature part altered */
    {
        char *alt = strdup(good);
        size_t n = strlen(alt);
        alt[n - 2] = alt[n - 2] == 'A' ? 'B' : 'A';
        authz = sign(alt, f->enclave, "/v1/receipts:batch", body, now);
        assert_int_equal(call(f, "POST", "/v1/receipts:batch", body, authz, "10.0.0.2", NULL), 401);
        free(authz);
        free(alt);
    }
    /* a well-formed one passes */
    authz = sign(good, f->enclave, "/v1/receipts:batch", body, now);
    assert_int_equal(call(f, "POST", "/v1/receipts:batch", body, authz, "10.0.0.2", NULL), 200);
    free(authz);
    free(good);
    free(expired);
    free(foreign);
    free(contra);
}

/* A batch body of n "x" tokens, in the gateway's shape (NUL-terminated). */
static void batch_of(vt_buf *b, int n)
{
    vt_buf_init(b);
    assert_int_equal(vt_buf_append_str(b, "{\"receipts\":[", NULL), VT_OK);
    for (int i = 0; i < n; i++)
        assert_int_equal(vt_buf_append_str(b, i ? ",\"x\"" : "\"x\"", NULL), VT_OK);
    assert_int_equal(vt_buf_append_str(b, "]}", NULL), VT_OK);
    assert_int_equal(vt_buf_terminate(b, NULL), VT_OK);
}

static void test_verifier_admit__batch_limits(void **state)
{
    struct fx *f = *state;
    char code[48];
    vt_buf b;

    batch_of(&b, VF_RECEIPT_BATCH_ANON + 1);
    assert_int_equal(call(f, "POST", "/v1/receipts:batch", (const char *)b.data, NULL, "10.0.0.3", code), 413);
    assert_string_equal(code, "batch_too_large");
    assert_int_equal(call(f, "POST", "/v1/receipts:batch", "{\"receipts\":[]}", NULL, "10.0.0.4", code), 400);
    vt_buf_free(&b);
}

/* The batch body's two roads (api.c): the gateway's shape read by the token reader, anything else by
 * the tree, with the same answers — a non-string is refused on its own, other members are ignored, an
 * escaped token is the same token, a NUL or bad JSON is 400, the batch cap is 413. */
static void test_verifier_admit__batch_body_shapes(void **state)
{
    struct fx *f = *state;
    vt_passport_claims pc;
    char *pass = NULL, *tok[4], *body, *authz, code[48];
    vt_http_resp resp;
    const char *out;
    static const char *const bad[] = { "{\"receipts\":[]}", "{\"receipts\":\"a\"}", "[\"a\"]", "{\"receipts\":[\"a\"]",
                                       "{\"receipts\":[\"a\\u0000b\"]}", "{\"receipts\":[\"a\"],\"receipts\":[\"b\"]}" };

    issue(f, &pass, "affirming", vt_time_now() + 600, true);
    memset(&pc, 0, sizeof(pc));
    assert_int_equal(vt_passport_decode(&pc, pass, strlen(pass), NULL), VT_OK);
    for (int i = 0; i < 4; i++)
        tok[i] = receipt_for(pc.id, f->enclave);
    /* the gateway's shape; a non-string among them; another member beside; one character escaped */
    {
        const char *shapes[4];
        char *bodies[4];
        assert_true(asprintf(&bodies[0], "{\"receipts\":[\"%s\"]}", tok[0]) > 0);
        assert_true(asprintf(&bodies[1], "{\"receipts\":[7,\"%s\"]}", tok[1]) > 0);
        assert_true(asprintf(&bodies[2], "{\"note\":\"x\", \"receipts\":[\"%s\"]}", tok[2]) > 0);
        assert_true(asprintf(&bodies[3], "{\"receipts\":[\"\\u00%02x%s\"]}", (unsigned char)tok[3][0], tok[3] + 1) > 0);
        shapes[0] = "\"accepted\":1,\"results\":[{\"id\"";
        shapes[1] = "\"accepted\":1,\"results\":[{\"error\":{\"code\":\"bad_request\"";
        shapes[2] = "\"accepted\":1,\"results\":[{\"id\"";
        shapes[3] = "\"accepted\":1,\"results\":[{\"id\"";
        for (int i = 0; i < 4; i++) {
            authz = sign(pass, f->enclave, "/v1/receipts:batch", bodies[i], vt_time_now());
            assert_int_equal(dispatch(f, &resp, "POST", "/v1/receipts:batch", bodies[i], authz, "10.0.0.5"), 200);
            out = (const char *)resp.body.data;
            if (strstr(out, shapes[i]) == NULL)
                fail_msg("body %d: %s", i, out);
            vt_buf_free(&resp.body);
            free(authz);
            free(bodies[i]);
        }
    }
    /* what was logged is the token itself, escaped or not */
    {
        vs_store *st = f->st;
        vt_receipt r;
        uint64_t index;
        char *stored = NULL;
        size_t len = 0;
        vt_err err = { 0 };
        for (int i = 0; i < 4; i++) {
            memset(&r, 0, sizeof(r));
            assert_int_equal(vt_receipt_decode(&r, tok[i], strlen(tok[i]), NULL), VT_OK);
            assert_int_equal(st->log->find(st, &index, &stored, &len, "receipt", r.id, &err), VT_OK);
            assert_int_equal(len, strlen(tok[i]));
            assert_memory_equal(stored, tok[i], len);
            free(stored);
            vt_receipt_clear(&r);
        }
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        authz = sign(pass, f->enclave, "/v1/receipts:batch", bad[i], vt_time_now());
        assert_int_equal(dispatch(f, &resp, "POST", "/v1/receipts:batch", bad[i], authz, "10.0.0.5"), 400);
        snprintf(code, sizeof(code), "%s", resp.code);
        if (strcmp(code, i < 2 ? "bad_request" : "bad_json") != 0)
            fail_msg("bad %zu: %s", i, code);
        vt_buf_free(&resp.body);
        free(authz);
    }
    /* a token past VT_RECEIPT_MAX among good ones: refused on its own, the others kept */
    {
        size_t n = VT_RECEIPT_MAX + 1;
        char *huge = malloc(n + 1);
        memset(huge, 'a', n);
        huge[n] = '\0';
        assert_true(asprintf(&body, "{\"receipts\":[\"%s\",\"%s\"]}", huge, tok[0]) > 0);
        authz = sign(pass, f->enclave, "/v1/receipts:batch", body, vt_time_now());
        assert_int_equal(dispatch(f, &resp, "POST", "/v1/receipts:batch", body, authz, "10.0.0.5"), 200);
        out = (const char *)resp.body.data;
        if (strstr(out, "\"accepted\":1,\"results\":[{\"error\":{\"code\":\"bad_request\"") == NULL)
            fail_msg("oversized token: %s", out);
        vt_buf_free(&resp.body);
        free(authz);
        free(body);
        free(huge);
    }
    /* one past the gateway's cap, as the gateway's shape */
    {
        vt_buf b;
        batch_of(&b, VF_RECEIPT_BATCH_MAX + 1);
        body = (char *)b.data;
        authz = sign(pass, f->enclave, "/v1/receipts:batch", body, vt_time_now());
        assert_int_equal(dispatch(f, &resp, "POST", "/v1/receipts:batch", body, authz, "10.0.0.5"), 413);
        assert_string_equal(resp.code, "batch_too_large");
        vt_buf_free(&resp.body);
        free(authz);
        vt_buf_free(&b);
    }
    for (int i = 0; i < 4; i++)
        free(tok[i]);
    vt_passport_claims_clear(&pc);
    free(pass);
}

/* A receipt that verifies under its passport's enclave key but that the passport does not cover is
 * refused, alone and in a batch, as `veritee receipt verify` refuses it: served after the passport
 * expired (a gateway still serving on an expired passport), before it was issued, under another
 * environment, or with another model.  Only the covered one is logged. */
static void test_verifier_admit__receipt_outside_passport_refused(void **state)
{
    struct fx *f = *state;
    vt_passport_claims pc, old;
    vt_time now = vt_time_now();
    char *pass = NULL, *gone = NULL, *tok[6], *body, *authz;
    vt_http_resp resp;
    const char *out;
    vs_store *st = f->st;

    issue(f, &pass, "affirming", now + 600, true);
    issue(f, &gone, "affirming", now - 1, true);
    memset(&pc, 0, sizeof(pc));
    memset(&old, 0, sizeof(old));
    assert_int_equal(vt_passport_decode(&pc, pass, strlen(pass), NULL), VT_OK);
    assert_int_equal(vt_passport_decode(&old, gone, strlen(gone), NULL), VT_OK);
    tok[0] = receipt_as(pc.id, f->enclave, "env-test", 0, now + 3600); /* after it expires */
    tok[1] = receipt_as(pc.id, f->enclave, "env-test", 0, now - 3600); /* before it was issued */
    tok[2] = receipt_as(pc.id, f->enclave, "env-other", 0, now);
    tok[3] = receipt_as(pc.id, f->enclave, "env-test", 0xab, now);
    tok[4] = receipt_as(old.id, f->enclave, "env-test", 0, now + 5); /* its passport has expired */
    tok[5] = receipt_as(pc.id, f->enclave, "env-test", 0, now);
    for (int i = 0; i < 5; i++) {
        char *one, client[32], code[48];
        assert_true(asprintf(&one, "{\"token\":\"%s\"}", tok[i]) > 0);
        snprintf(client, sizeof(client), "10.0.1.%d", 10 + i); /* each within the anonymous rate */
        if (call(f, "POST", "/v1/receipts", one, NULL, client, code) != 422 || strcmp(code, "receipt_invalid") != 0)
            fail_msg("receipt %d outside its passport: %s", i, code);
        free(one);
    }
    assert_true(asprintf(&body, "{\"receipts\":[\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"]}", tok[0], tok[1],
                         tok[2], tok[3], tok[4], tok[5]) > 0);
    authz = sign(pass, f->enclave, "/v1/receipts:batch", body, now);
    assert_int_equal(dispatch(f, &resp, "POST", "/v1/receipts:batch", body, authz, "10.0.1.2"), 200);
    out = (const char *)resp.body.data;
    if (strstr(out, "\"accepted\":1,") == NULL)
        fail_msg("batch: %s", out);
    vt_buf_free(&resp.body);
    /* nothing but the covered receipt reached the log */
    for (int i = 0; i < 6; i++) {
        vt_receipt r;
        uint64_t index;
        vt_err err = { 0 };
        memset(&r, 0, sizeof(r));
        assert_int_equal(vt_receipt_decode(&r, tok[i], strlen(tok[i]), NULL), VT_OK);
        assert_int_equal(st->log->find(st, &index, NULL, NULL, "receipt", r.id, &err),
                         i == 5 ? VT_OK : VT_E_NOTFOUND);
        vt_receipt_clear(&r);
        free(tok[i]);
    }
    vt_passport_claims_clear(&pc);
    vt_passport_claims_clear(&old);
    free(authz);
    free(body);
    free(pass);
    free(gone);
}

/* Two receipts under one id, signed by the gateway, differ in their bytes: the first is logged; the
 * second is not (its bytes are not in the log), so it must not be acknowledged with the first's
 * log_index, alone or in a batch, where the receipt beside it is still logged.  The first re-posted is
 * a retry: acknowledged with its index. */
static void test_verifier_admit__receipt_id_reused_not_acknowledged(void **state)
{
    struct fx *f = *state;
    vt_passport_claims pc;
    vt_time now = vt_time_now();
    char *pass = NULL, *tok[3], *body, *one, *authz, id[48];
    vt_http_resp resp;
    const char *out;
    vs_store *st = f->st;
    char *stored = NULL;
    uint64_t index;
    size_t len = 0;
    vt_receipt r;
    vt_err err = { 0 };

    issue(f, &pass, "affirming", now + 600, true);
    memset(&pc, 0, sizeof(pc));
    assert_int_equal(vt_passport_decode(&pc, pass, strlen(pass), NULL), VT_OK);
    tok[0] = receipt_as(pc.id, f->enclave, "env-test", 0, now);
    tok[1] = receipt_as(pc.id, f->enclave, "env-test", 0, now + 1);
    memset(&r, 0, sizeof(r));
    assert_int_equal(vt_receipt_decode(&r, tok[0], strlen(tok[0]), NULL), VT_OK);
    snprintf(id, sizeof(id), "%s", r.id);
    vt_receipt_clear(&r);
    /* tok[1] again under tok[0]'s id */
    memset(&r, 0, sizeof(r));
    assert_int_equal(vt_receipt_decode(&r, tok[1], strlen(tok[1]), NULL), VT_OK);
    snprintf(r.id, sizeof(r.id), "%s", id);
    free(tok[1]);
    assert_int_equal(vt_receipt_sign(&tok[1], &r, f->enclave, NULL), VT_OK);
    vt_receipt_clear(&r);
    tok[2] = receipt_as(pc.id, f->enclave, "env-test", 0, now);

    assert_true(asprintf(&one, "{\"token\":\"%s\"}", tok[0]) > 0);
    assert_int_equal(call(f, "POST", "/v1/receipts", one, NULL, "10.0.2.1", NULL), 201);
    assert_int_equal(call(f, "POST", "/v1/receipts", one, NULL, "10.0.2.2", NULL), 201); /* a retry */
    free(one);
    assert_true(asprintf(&one, "{\"token\":\"%s\"}", tok[1]) > 0);
    if (call(f, "POST", "/v1/receipts", one, NULL, "10.0.2.3", NULL) == 201)
        fail_msg("a receipt whose id is another's was acknowledged");
    free(one);
    assert_true(asprintf(&body, "{\"receipts\":[\"%s\",\"%s\"]}", tok[1], tok[2]) > 0);
    authz = sign(pass, f->enclave, "/v1/receipts:batch", body, now);
    assert_int_equal(dispatch(f, &resp, "POST", "/v1/receipts:batch", body, authz, "10.0.2.4"), 200);
    out = (const char *)resp.body.data;
    if (strstr(out, "\"accepted\":1,\"results\":[{\"error\"") == NULL)
        fail_msg("batch: %s", out);
    vt_buf_free(&resp.body);
    /* the log holds tok[0] under the id, and tok[2] */
    assert_int_equal(st->log->find(st, &index, &stored, &len, "receipt", id, &err), VT_OK);
    assert_int_equal(len, strlen(tok[0]));
    assert_memory_equal(stored, tok[0], len);
    free(stored);
    memset(&r, 0, sizeof(r));
    assert_int_equal(vt_receipt_decode(&r, tok[2], strlen(tok[2]), NULL), VT_OK);
    assert_int_equal(st->log->find(st, &index, NULL, NULL, "receipt", r.id, &err), VT_OK);
    vt_receipt_clear(&r);
    for (int i = 0; i < 3; i++)
        free(tok[i]);
    vt_passport_claims_clear(&pc);
    free(authz);
    free(body);
    free(pass);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_verifier_admit__gateway_exempt_from_anonymous_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verifier_admit__refused_authorizations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verifier_admit__batch_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verifier_admit__batch_verdicts_per_receipt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verifier_admit__batch_body_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verifier_admit__receipt_outside_passport_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verifier_admit__receipt_id_reused_not_acknowledged, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
