/* Tampering with real quotes: every single-bit flip inside a signed or
 * signature-carrying region is rejected, every truncation is a format
 * error, and nothing crashes. */
#include "test_tdx_util.h"

#include "tee/tdx_quote.h"

typedef struct layout {
    size_t sig;      /* start of the signature data */
    size_t sig_end;  /* end of the signature data */
    size_t signed_len;
    size_t auth_len;
    size_t pem;      /* start of the PEM chain */
    size_t pem_len;  /* including a trailing NUL */
} layout;

static void get_layout(layout *l, const vt_buf *q)
{
    vt__tdx_quote *p = calloc(1, sizeof(*p));

    assert_non_null(p);
    assert_int_equal(vt__tdx_quote_parse(p, q->data, q->len, NULL), VT_OK);
    l->signed_len = p->signed_len;
    l->sig = p->signed_len + 4;
    l->sig_end = l->sig + p->sig_data_len;
    l->auth_len = p->qe_auth_len;
    l->pem = l->sig + 590 + l->auth_len;
    l->pem_len = p->pck_cert_len;
    assert_int_equal(l->pem + l->pem_len, l->sig_end);
    free(p);
}

typedef struct fixture {
    const char *name;
    const char *at;
    vt_buf q;
    layout l;
    vt_x509 *root;
    vt_verify_cache *cache;
    vt_result *r;
    vt_time now;
    uint8_t ders[3][2048];
    size_t der_len[3];
} fixture;

static int setup(void **state, const char *name, const char *at)
{
    fixture *f = calloc(1, sizeof(*f));
    char rel[256];
    vt_x509 *certs[3] = { NULL };
    size_t n = 0;

    assert_non_null(f);
    f->name = name;
    f->at = at;
    f->now = vt_test_time(at);
    snprintf(rel, sizeof(rel), "tdx/%s/quote.bin", name);
    vt_test_load(&f->q, rel);
    get_layout(&f->l, &f->q);
    f->root = tdx_test_intel_root();
    f->r = calloc(1, sizeof(*f->r));
    assert_int_equal(vt_verify_cache_new(&f->cache, NULL), VT_OK);
    assert_int_equal(vt_x509_list_from_pem(certs, &n, 3, (const char *)f->q.data + f->l.pem, f->l.pem_len, NULL),
                     VT_OK);
    for (size_t i = 0; i < 3; i++) {
        size_t len = 0;
        const uint8_t *der = vt_x509_der(certs[i], &len);
        assert_true(len <= sizeof(f->ders[i]));
        memcpy(f->ders[i], der, len);
        f->der_len[i] = len;
        vt_x509_free(certs[i]);
    }
    /* the untouched quote is accepted (and warms the cache) */
    assert_true(tdx_test_accepted(
        tdx_test_run(f->r, f->q.data, f->q.len, NULL, f->now, &f->root, 1, 1, f->cache), f->r));
    *state = f;
    return 0;
}

static int setup_v4(void **state)
{
    return setup(state, "gotdx-spr-e4-v4", "2023-07-01T01:00:00Z");
}

static int setup_v5(void **state)
{
    return setup(state, "gotdx-v5-tdx15", "2026-04-01T00:00:00Z");
}

static int teardown(void **state)
{
    fixture *f = *state;

    vt_buf_free(&f->q);
    vt_verify_cache_free(f->cache);
    free(f->r);
    free(f);
    return 0;
}

/* Flips bit `bit` of byte `off`, verifies (with or without the cache), restores. */
static void flip_reject(fixture *f, size_t off, unsigned bit, bool cached, const char *check)
{
    vt_status rc;

    f->q.data[off] ^= (uint8_t)(1u << bit);
    rc = tdx_test_run(f->r, f->q.data, f->q.len, NULL, f->now, &f->root, 1, 1, cached ? f->cache : NULL);
    f->q.data[off] ^= (uint8_t)(1u << bit);
    if (tdx_test_accepted(rc, f->r))
        fail_msg("%s: flip of bit %u at byte %zu accepted", f->name, bit, off);
    if (rc == VT_OK && check != NULL && !tdx_has_error(f->r, check)) {
        tdx_test_dump(f->r);
        fail_msg("%s: flip of bit %u at byte %zu not reported as %s", f->name, bit, off, check);
    }
}

static void test_tee_tdx__flip_signed_bytes(void **state)
{
    fixture *f = *state;

    /* header + body (+ v5 type/size): the quote signature must fail or the header must not parse */
    for (size_t i = 0; i < f->l.signed_len; i++)
        flip_reject(f, i, (unsigned)(i % 8), true, "quote_signature");
}

static void test_tee_tdx__flip_quote_signature(void **state)
{
    fixture *f = *state;

    for (size_t i = f->l.sig; i < f->l.sig + 64; i++)
        for (unsigned b = 0; b < 8; b++)
            flip_reject(f, i, b, true, "quote_signature");
}

static void test_tee_tdx__flip_attestation_key(void **state)
{
    fixture *f = *state;

    for (size_t i = f->l.sig + 64; i < f->l.sig + 128; i++)
        for (unsigned b = 0; b < 8; b++)
            flip_reject(f, i, b, true, "qe_report_binding");
}

static void test_tee_tdx__flip_qe_report(void **state)
{
    fixture *f = *state;

    for (size_t i = f->l.sig + 134; i < f->l.sig + 134 + 384; i++)
        flip_reject(f, i, (unsigned)(i % 8), true, "qe_report_signature");
}

static void test_tee_tdx__flip_qe_report_signature(void **state)
{
    fixture *f = *state;

    for (size_t i = f->l.sig + 518; i < f->l.sig + 582; i++)
        for (unsigned b = 0; b < 8; b++)
            flip_reject(f, i, b, true, "qe_report_signature");
}

static void test_tee_tdx__flip_qe_auth_data(void **state)
{
    fixture *f = *state;

    for (size_t i = f->l.sig + 584; i < f->l.sig + 584 + f->l.auth_len; i++)
        for (unsigned b = 0; b < 8; b++)
            flip_reject(f, i, b, true, "qe_report_binding");
}

/* True when the (flipped) PEM still decodes to exactly the original certificates. */
static bool same_ders(fixture *f)
{
    vt_x509 *certs[4] = { NULL };
    size_t n = 0;
    bool same;

    if (vt_x509_list_from_pem(certs, &n, 4, (const char *)f->q.data + f->l.pem, f->l.pem_len, NULL) != VT_OK) {
        for (size_t i = 0; i < n; i++)
            vt_x509_free(certs[i]);
        return false;
    }
    same = n == 3;
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const uint8_t *der = vt_x509_der(certs[i], &len);
        if (same && (len != f->der_len[i] || memcmp(der, f->ders[i], len) != 0))
            same = false;
        vt_x509_free(certs[i]);
    }
    return same;
}

static void test_tee_tdx__flip_pck_chain_pem(void **state)
{
    fixture *f = *state;
    size_t same = 0, rejected = 0;

    /* One bit per byte, without the cache (the chain must be parsed and
     * verified every time).  A flip in base64 text either changes the DER
     * (then it must be rejected) or decodes to the very same certificates
     * (whitespace, the trailing NUL): then acceptance is correct. */
    for (size_t i = f->l.pem; i < f->l.pem + f->l.pem_len; i++) {
        unsigned b = (unsigned)(i % 8);
        vt_status rc;
        bool ok;

        f->q.data[i] ^= (uint8_t)(1u << b);
        rc = tdx_test_run(f->r, f->q.data, f->q.len, NULL, f->now, &f->root, 1, 1, NULL);
        ok = tdx_test_accepted(rc, f->r);
        if (ok && !same_ders(f))
            fail_msg("%s: PEM flip of bit %u at byte %zu accepted with different certificates", f->name, b, i);
        same += ok;
        rejected += !ok;
        f->q.data[i] ^= (uint8_t)(1u << b);
    }
    fprintf(stderr, "%s: %zu PEM flips rejected, %zu decoded to the same certificates\n", f->name, rejected, same);
    assert_true(rejected > (f->l.pem_len * 9) / 10);
}

static void test_tee_tdx__every_truncation(void **state)
{
    fixture *f = *state;

    for (size_t len = 0; len < f->l.sig_end; len++) {
        vt_status rc = tdx_test_run(f->r, f->q.data, len, NULL, f->now, &f->root, 1, 1, f->cache);
        if (rc != VT_E_FORMAT)
            fail_msg("%s: truncation to %zu bytes gave %d, not VT_E_FORMAT", f->name, len, (int)rc);
        assert_true(tdx_has_error(f->r, "quote_format"));
        assert_false(f->r->signature_valid);
    }
    /* padding after the signature data is tolerated, whatever its length */
    for (size_t len = f->l.sig_end; len <= f->q.len; len++)
        assert_true(tdx_test_accepted(
            tdx_test_run(f->r, f->q.data, len, NULL, f->now, &f->root, 1, 1, f->cache), f->r));
}

static void test_tee_tdx__flip_header_lengths(void **state)
{
    fixture *f = *state;
    size_t len_off = f->l.signed_len; /* u32 signature_data_len, not signed */

    /* any change of the length fields is a format error, never a crash */
    for (size_t i = len_off; i < len_off + 4; i++)
        for (unsigned b = 0; b < 8; b++) {
            vt_status rc;
            f->q.data[i] ^= (uint8_t)(1u << b);
            rc = tdx_test_run(f->r, f->q.data, f->q.len, NULL, f->now, &f->root, 1, 1, f->cache);
            f->q.data[i] ^= (uint8_t)(1u << b);
            /* a shorter length can only be "accepted" if the bytes still line up, which they cannot */
            assert_false(tdx_test_accepted(rc, f->r));
        }
    for (size_t i = f->l.sig + 128; i < f->l.sig + 134; i++) /* cert type + size */
        for (unsigned b = 0; b < 8; b++) {
            vt_status rc;
            f->q.data[i] ^= (uint8_t)(1u << b);
            rc = tdx_test_run(f->r, f->q.data, f->q.len, NULL, f->now, &f->root, 1, 1, f->cache);
            f->q.data[i] ^= (uint8_t)(1u << b);
            assert_true(rc == VT_E_FORMAT || rc == VT_E_UNSUPPORTED || rc == VT_E_LIMIT);
        }
}

int main(void)
{
    const struct CMUnitTest v4[] = {
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_signed_bytes, setup_v4, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_quote_signature, setup_v4, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_attestation_key, setup_v4, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_qe_report, setup_v4, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_qe_report_signature, setup_v4, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_qe_auth_data, setup_v4, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_pck_chain_pem, setup_v4, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__every_truncation, setup_v4, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_header_lengths, setup_v4, teardown),
    };
    const struct CMUnitTest v5[] = {
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_signed_bytes, setup_v5, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_quote_signature, setup_v5, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_attestation_key, setup_v5, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_qe_report, setup_v5, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_qe_report_signature, setup_v5, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_qe_auth_data, setup_v5, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_pck_chain_pem, setup_v5, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__every_truncation, setup_v5, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__flip_header_lengths, setup_v5, teardown),
    };
    int failed;

    vt_test_require_vectors();
    failed = cmocka_run_group_tests_name("tdx_quote_v4", v4, NULL, NULL);
    failed += cmocka_run_group_tests_name("tdx_quote_v5", v5, NULL, NULL);
    return failed;
}
