/* The gateway's chunked OHTTP answer (ohttp.c): a piece that fails to seal ends the answer,
 * and the failure is logged once per response, not once per piece the inner answer still
 * brings (vt__gw_log is counted through -Wl,--wrap=vt__gw_log). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

#include "gateway/ohttp.h"
#include "gateway/oplog.h"

static unsigned seal_logs;

void __real_vt__gw_log(const char *level, const char *event, const char *detail);
void __wrap_vt__gw_log(const char *level, const char *event, const char *detail);
void __wrap_vt__gw_log(const char *level, const char *event, const char *detail)
{
    if (strcmp(event, "ohttp_encapsulate") == 0)
        seal_logs++;
    __real_vt__gw_log(level, event, detail);
}

/* A chunked exchange as the gateway holds it after decapsulating a client's request. */
static vt_ohttp_ctx *gateway_ctx(void)
{
    vt_hpke_key *key = NULL;
    vt_ohttp_key_config cfg;
    vt_ohttp_ctx *cl = NULL, *gw = NULL;
    vt_buf req = { 0 }, enc = { 0 }, inner = { 0 };
    const uint8_t *pk;
    vt_err err = { 0 };

    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(vt_hpke_key_generate(&key, VT_HPKE_KEM_X25519_SHA256, &err), VT_OK);
    cfg.key_id = 1;
    cfg.kem = VT_HPKE_KEM_X25519_SHA256;
    pk = vt_hpke_key_public(key, &cfg.pk_len);
    memcpy(cfg.pk, pk, cfg.pk_len);
    cfg.algs[0] = (vt_ohttp_alg){ VT_HPKE_KDF_SHA256, VT_HPKE_AEAD_AES_128_GCM };
    cfg.alg_count = 1;
    assert_int_equal(vt_bhttp_encode_request(&req, "GET", "https", "gateway", "/v1/models", NULL, 0, NULL, 0, &err),
                     VT_OK);
    assert_int_equal(vt_ohttp_chunked_encap_request(&enc, &cl, &cfg, cfg.algs[0], req.data, req.len, &err), VT_OK);
    assert_int_equal(vt_ohttp_chunked_decap_request(&inner, &gw, &cfg, key, enc.data, enc.len, &err), VT_OK);
    vt_ohttp_ctx_free(cl);
    vt_hpke_key_free(key);
    vt_buf_free(&req);
    vt_buf_free(&enc);
    vt_buf_free(&inner);
    return gw;
}

static void test_gateway_ohttp__seal_failure_logged_once(void **state)
{
    vt_ohttp_ctx *gw = gateway_ctx();
    vt_buf out = { 0 }, piece = { 0 }, big = { 0 };
    vt_err err = { 0 };
    bool failed = false;

    (void)state;
    seal_logs = 0;
    assert_int_equal(vt_bhttp_encode_response_head(&piece, 200, NULL, 0, &err), VT_OK);
    assert_true(vt__gw_ohttp_seal_chunk(&out, gw, &failed, &piece, false));
    assert_false(failed);
    assert_int_equal(seal_logs, 0);
    /* A piece the sealer refuses (past the chunk limit; out of memory is the same case). */
    assert_int_equal(vt_buf_reserve(&big, (size_t)VT_BHTTP_MAX + 1, &err), VT_OK);
    memset(big.data, 'e', (size_t)VT_BHTTP_MAX + 1);
    big.len = (size_t)VT_BHTTP_MAX + 1;
    assert_false(vt__gw_ohttp_seal_chunk(&out, gw, &failed, &big, false));
    assert_true(failed);
    assert_int_equal(seal_logs, 1);
    /* The rest of a long stream, then its end: nothing sealed, nothing more logged. */
    piece.len = 0;
    assert_int_equal(vt_bhttp_encode_content_chunk(&piece, (const uint8_t *)"data: more\n\n", 12, &err), VT_OK);
    for (int i = 0; i < 50; i++)
        assert_false(vt__gw_ohttp_seal_chunk(&out, gw, &failed, &piece, false));
    piece.len = 0;
    assert_int_equal(vt_bhttp_encode_response_end(&piece, &err), VT_OK);
    assert_false(vt__gw_ohttp_seal_chunk(&out, gw, &failed, &piece, true));
    assert_int_equal(seal_logs, 1);
    vt_ohttp_ctx_free(gw);
    vt_buf_free(&out);
    vt_buf_free(&piece);
    vt_buf_free(&big);
}

/* Another response has its own flag: its failure is logged too. */
static void test_gateway_ohttp__each_response_logs_its_failure(void **state)
{
    vt_ohttp_ctx *a = gateway_ctx(), *b = gateway_ctx();
    vt_buf out = { 0 }, big = { 0 };
    vt_err err = { 0 };
    bool fa = false, fb = false;

    (void)state;
    seal_logs = 0;
    assert_int_equal(vt_buf_reserve(&big, (size_t)VT_BHTTP_MAX + 1, &err), VT_OK);
    memset(big.data, 'e', (size_t)VT_BHTTP_MAX + 1);
    big.len = (size_t)VT_BHTTP_MAX + 1;
    assert_false(vt__gw_ohttp_seal_chunk(&out, a, &fa, &big, false));
    assert_false(vt__gw_ohttp_seal_chunk(&out, a, &fa, &big, false));
    assert_false(vt__gw_ohttp_seal_chunk(&out, b, &fb, &big, false));
    assert_int_equal(seal_logs, 2);
    vt_ohttp_ctx_free(a);
    vt_ohttp_ctx_free(b);
    vt_buf_free(&out);
    vt_buf_free(&big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gateway_ohttp__seal_failure_logged_once),
        cmocka_unit_test(test_gateway_ohttp__each_response_logs_its_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
