/*
 * Chain verification on a small PKI made with vt_x509_issue/vt_crl_issue:
 * every rule of vt_chain_verify, each failure named in the message.
 */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>

#define T0 ((vt_time)1700000000)
#define DAY ((vt_time)86400)

typedef struct pki {
    vt_pkey *root_key, *inter_key, *leaf_key, *evil_key;
    vt_x509 *root, *inter, *leaf;
    vt_x509 *evil_inter; /* same name as inter, another key */
} pki;

static vt_pkey *gen(vt_key_type t)
{
    vt_pkey *k = NULL;

    assert_int_equal(vt_pkey_generate(&k, t, NULL), VT_OK);
    return k;
}

static vt_x509 *issue(const char *cn, uint64_t serial, vt_time nb, vt_time na, bool ca, int pathlen,
                      const vt_pkey *subject, const vt_x509 *issuer, const vt_pkey *issuer_key)
{
    vt_x509_spec s = { .subject_cn = cn, .subject_o = "Veritee Test", .serial = serial, .not_before = nb,
                       .not_after = na, .ca = ca, .pathlen = pathlen };
    vt_x509 *c = NULL;
    vt_err err = { 0 };

    if (vt_x509_issue(&c, &s, subject, issuer, issuer_key, &err) != VT_OK)
        fail_msg("%s", err.msg);
    return c;
}

static int setup(void **state)
{
    pki *p = calloc(1, sizeof(*p));

    assert_non_null(p);
    p->root_key = gen(VT_KEY_EC_P384);
    p->inter_key = gen(VT_KEY_EC_P256);
    p->leaf_key = gen(VT_KEY_EC_P256);
    p->evil_key = gen(VT_KEY_EC_P256);
    p->root = issue("Test Root", 1, T0, T0 + 3650 * DAY, true, -1, p->root_key, NULL, p->root_key);
    p->inter = issue("Test Inter", 2, T0 + DAY, T0 + 365 * DAY, true, 0, p->inter_key, p->root, p->root_key);
    p->leaf = issue("Test Leaf", 0x1a2b3c, T0 + 2 * DAY, T0 + 30 * DAY, false, 0, p->leaf_key, p->inter,
                    p->inter_key);
    p->evil_inter = issue("Test Inter", 2, T0 + DAY, T0 + 365 * DAY, true, 0, p->evil_key, NULL, p->evil_key);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    pki *p = *state;

    vt_x509_free(p->root);
    vt_x509_free(p->inter);
    vt_x509_free(p->leaf);
    vt_x509_free(p->evil_inter);
    vt_pkey_free(p->root_key);
    vt_pkey_free(p->inter_key);
    vt_pkey_free(p->leaf_key);
    vt_pkey_free(p->evil_key);
    free(p);
    return 0;
}

static vt_crl *crl(const vt_x509 *issuer, const vt_pkey *key, const uint64_t *serials, size_t n, vt_time tu,
                   vt_time nu)
{
    vt_buf der;
    vt_crl *c = NULL;
    vt_err err = { 0 };

    vt_buf_init(&der);
    if (vt_crl_issue(&der, issuer, key, serials, n, tu, nu, &err) != VT_OK ||
        vt_crl_parse(&c, der.data, der.len, &err) != VT_OK)
        fail_msg("%s", err.msg);
    vt_buf_free(&der);
    return c;
}

static void expect_fail(vt_status rc, const vt_err *err, const char *needle)
{
    assert_int_equal(rc, VT_E_CRYPTO);
    if (strstr(err->msg, needle) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err->msg, needle);
}

static void test_crypto_chain__valid_and_window(void **state)
{
    pki *p = *state;
    vt_x509 *chain[3] = { p->leaf, p->inter, p->root };
    vt_chain_result r;
    vt_err err = { 0 };

    if (vt_chain_verify(&r, chain, 3, &p->root, 1, NULL, 0, T0 + 3 * DAY, &err) != VT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(r.root_index, 0);
    assert_int_equal(r.crls_checked, 0);
    assert_int_equal(r.not_before, T0 + 2 * DAY);
    assert_int_equal(r.not_after, T0 + 30 * DAY);
    /* root implicit */
    assert_int_equal(vt_chain_verify(&r, chain, 2, &p->root, 1, NULL, 0, T0 + 3 * DAY, &err), VT_OK);
    /* the root alone */
    assert_int_equal(vt_chain_verify(&r, &p->root, 1, &p->root, 1, NULL, 0, T0 + 3 * DAY, &err), VT_OK);
    assert_int_equal(r.not_after, T0 + 3650 * DAY);
}

static void test_crypto_chain__times_name_the_certificate(void **state)
{
    pki *p = *state;
    vt_x509 *chain[3] = { p->leaf, p->inter, p->root };
    vt_chain_result r;
    vt_err err = { 0 };

    expect_fail(vt_chain_verify(&r, chain, 3, &p->root, 1, NULL, 0, T0 + DAY + 1, &err), &err,
                "certificate CN=Test Leaf is not yet valid");
    expect_fail(vt_chain_verify(&r, chain, 3, &p->root, 1, NULL, 0, T0 + 31 * DAY, &err), &err,
                "certificate CN=Test Leaf has expired");
    expect_fail(vt_chain_verify(&r, chain + 1, 2, &p->root, 1, NULL, 0, T0 + 366 * DAY, &err), &err,
                "certificate CN=Test Inter has expired");
    expect_fail(vt_chain_verify(&r, &p->root, 1, &p->root, 1, NULL, 0, T0 - 1, &err), &err,
                "certificate CN=Test Root is not yet valid");
}

static void test_crypto_chain__untrusted_roots(void **state)
{
    pki *p = *state;
    vt_x509 *chain[3] = { p->leaf, p->inter, p->root };
    vt_chain_result r;
    vt_err err = { 0 };

    /* a self-signed cert that is not a root of ours */
    expect_fail(vt_chain_verify(&r, &p->evil_inter, 1, &p->root, 1, NULL, 0, T0 + 3 * DAY, &err), &err,
                "root CN=Test Inter is not a trusted root");
    /* a chain ending in our root, checked against another root */
    expect_fail(vt_chain_verify(&r, chain, 3, &p->evil_inter, 1, NULL, 0, T0 + 3 * DAY, &err), &err,
                "root CN=Test Root is not a trusted root");
    expect_fail(vt_chain_verify(&r, chain, 2, &p->evil_inter, 1, NULL, 0, T0 + 3 * DAY, &err), &err,
                "issuer CN=Test Root of CN=Test Inter is not a trusted root");
    /* a "root" with the right name but another key */
    {
        vt_x509 *impostor = issue("Test Root", 1, T0, T0 + 3650 * DAY, true, -1, p->evil_key, NULL, p->evil_key);

        expect_fail(vt_chain_verify(&r, chain, 2, &impostor, 1, NULL, 0, T0 + 3 * DAY, &err), &err, "bad signature");
        vt_x509_free(impostor);
    }
}

static void test_crypto_chain__bad_signature(void **state)
{
    pki *p = *state;
    vt_x509 *forged = issue("Test Leaf", 0x1a2b3c, T0 + 2 * DAY, T0 + 30 * DAY, false, 0, p->leaf_key,
                            p->evil_inter, p->evil_key);
    vt_x509 *chain[3] = { forged, p->inter, p->root };
    vt_chain_result r;
    vt_err err = { 0 };

    expect_fail(vt_chain_verify(&r, chain, 3, &p->root, 1, NULL, 0, T0 + 3 * DAY, &err), &err,
                "certificate CN=Test Leaf serial 1a2b3c has a bad signature (issuer CN=Test Inter)");
    vt_x509_free(forged);
}

static void test_crypto_chain__issuer_must_be_ca(void **state)
{
    pki *p = *state;
    vt_pkey *k = gen(VT_KEY_EC_P256);
    vt_x509 *sub = issue("Below Leaf", 9, T0 + 2 * DAY, T0 + 30 * DAY, false, 0, k, p->leaf, p->leaf_key);
    vt_x509 *chain[4] = { sub, p->leaf, p->inter, p->root };
    vt_chain_result r;
    vt_err err = { 0 };

    expect_fail(vt_chain_verify(&r, chain, 4, &p->root, 1, NULL, 0, T0 + 3 * DAY, &err), &err,
                "issuer CN=Test Leaf is not a CA");
    vt_x509_free(sub);
    vt_pkey_free(k);
}

static void test_crypto_chain__path_length(void **state)
{
    pki *p = *state;
    vt_pkey *k1 = gen(VT_KEY_EC_P256), *k2 = gen(VT_KEY_EC_P256);
    /* inter has pathlen 0: it may not issue another CA that issues */
    vt_x509 *sub = issue("Sub CA", 3, T0 + DAY, T0 + 60 * DAY, true, -1, k1, p->inter, p->inter_key);
    vt_x509 *leaf = issue("Deep Leaf", 4, T0 + DAY, T0 + 60 * DAY, false, 0, k2, sub, k1);
    vt_x509 *chain[4] = { leaf, sub, p->inter, p->root };
    vt_chain_result r;
    vt_err err = { 0 };

    expect_fail(vt_chain_verify(&r, chain, 4, &p->root, 1, NULL, 0, T0 + 3 * DAY, &err), &err,
                "issuer CN=Test Inter path length constraint 0 exceeded");
    /* the sub-CA itself is fine under inter */
    assert_int_equal(vt_chain_verify(&r, chain + 1, 3, &p->root, 1, NULL, 0, T0 + 3 * DAY, &err), VT_OK);
    vt_x509_free(sub);
    vt_x509_free(leaf);
    vt_pkey_free(k1);
    vt_pkey_free(k2);
}

static void test_crypto_chain__unknown_critical_extension(void **state)
{
    pki *p = *state;
    static const uint8_t null_der[] = { 0x05, 0x00 };
    vt_x509_ext_spec ext = { .oid = "1.3.6.1.4.1.99999.1", .der = null_der, .len = 2, .critical = true };
    vt_x509_spec s = { .subject_cn = "Odd Leaf", .serial = 11, .not_before = T0 + DAY,
                       .not_after = T0 + 30 * DAY, .exts = &ext, .ext_count = 1 };
    vt_x509 *odd = NULL, *chain[2];
    vt_chain_result r;
    vt_err err = { 0 };

    assert_int_equal(vt_x509_issue(&odd, &s, p->leaf_key, p->inter, p->inter_key, &err), VT_OK);
    chain[0] = odd;
    chain[1] = p->inter;
    expect_fail(vt_chain_verify(&r, chain, 2, &p->root, 1, NULL, 0, T0 + 3 * DAY, &err), &err,
                "certificate CN=Odd Leaf has unsupported critical extension 1.3.6.1.4.1.99999.1");
    /* the same extension, not critical: fine */
    ext.critical = false;
    vt_x509_free(odd);
    assert_int_equal(vt_x509_issue(&odd, &s, p->leaf_key, p->inter, p->inter_key, &err), VT_OK);
    chain[0] = odd;
    assert_int_equal(vt_chain_verify(&r, chain, 2, &p->root, 1, NULL, 0, T0 + 3 * DAY, &err), VT_OK);
    vt_x509_free(odd);
}

static void test_crypto_chain__revoked_leaf(void **state)
{
    pki *p = *state;
    uint64_t serials[] = { 77, 0x1a2b3c };
    vt_crl *c = crl(p->inter, p->inter_key, serials, 2, T0 + 2 * DAY, T0 + 9 * DAY);
    vt_x509 *chain[3] = { p->leaf, p->inter, p->root };
    vt_chain_result r;
    vt_err err = { 0 };

    expect_fail(vt_chain_verify(&r, chain, 3, &p->root, 1, &c, 1, T0 + 3 * DAY, &err), &err,
                "certificate CN=Test Leaf serial 1a2b3c is revoked by CRL of CN=Test Inter");
    vt_crl_free(c);
}

static void test_crypto_chain__revoked_intermediate(void **state)
{
    pki *p = *state;
    uint64_t serials[] = { 2 };
    vt_crl *c = crl(p->root, p->root_key, serials, 1, T0, T0 + 100 * DAY);
    vt_x509 *chain[2] = { p->leaf, p->inter };
    vt_chain_result r;
    vt_err err = { 0 };

    expect_fail(vt_chain_verify(&r, chain, 2, &p->root, 1, &c, 1, T0 + 3 * DAY, &err), &err,
                "certificate CN=Test Inter serial 02 is revoked by CRL of CN=Test Root");
    vt_crl_free(c);
}

static void test_crypto_chain__crls_applied_and_window(void **state)
{
    pki *p = *state;
    uint64_t other[] = { 5, 6 };
    vt_crl *crls[3];
    vt_x509 *chain[3] = { p->leaf, p->inter, p->root };
    vt_chain_result r;
    vt_err err = { 0 };

    crls[0] = crl(p->inter, p->inter_key, other, 2, T0 + 2 * DAY + 5, T0 + 9 * DAY);
    crls[1] = crl(p->root, p->root_key, NULL, 0, T0, T0 + 100 * DAY);
    crls[2] = crl(p->evil_inter, p->evil_key, other, 0, T0, T0 + DAY); /* name matches, wrong key */
    if (vt_chain_verify(&r, chain, 3, &p->root, 1, crls, 2, T0 + 3 * DAY, &err) != VT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(r.crls_checked, 2);
    assert_int_equal(r.not_before, T0 + 2 * DAY + 5);
    assert_int_equal(r.not_after, T0 + 9 * DAY);
    expect_fail(vt_chain_verify(&r, chain, 3, &p->root, 1, crls, 3, T0 + 3 * DAY, &err), &err,
                "CRL of CN=Test Inter has a bad signature");
    expect_fail(vt_chain_verify(&r, chain, 3, &p->root, 1, crls, 2, T0 + 10 * DAY, &err), &err,
                "CRL of CN=Test Inter has expired");
    expect_fail(vt_chain_verify(&r, chain, 3, &p->root, 1, crls, 2, T0 + 2 * DAY + 4, &err), &err,
                "CRL of CN=Test Inter is not yet valid");
    for (size_t i = 0; i < 3; i++)
        vt_crl_free(crls[i]);
}

static void test_crypto_chain__crl_of_stranger_ignored(void **state)
{
    pki *p = *state;
    uint64_t serials[] = { 0x1a2b3c, 2 };
    vt_pkey *k = gen(VT_KEY_EC_P256);
    vt_x509 *stranger = issue("Stranger CA", 40, T0, T0 + 100 * DAY, true, -1, k, NULL, k);
    vt_crl *c = crl(stranger, k, serials, 2, T0, T0 + DAY);
    vt_x509 *chain[2] = { p->leaf, p->inter };
    vt_chain_result r;
    vt_err err = { 0 };

    assert_int_equal(vt_chain_verify(&r, chain, 2, &p->root, 1, &c, 1, T0 + 3 * DAY, &err), VT_OK);
    assert_int_equal(r.crls_checked, 0);
    assert_int_equal(r.not_after, T0 + 30 * DAY);
    vt_crl_free(c);
    vt_x509_free(stranger);
    vt_pkey_free(k);
}

static void test_crypto_chain__arguments(void **state)
{
    pki *p = *state;
    vt_x509 *chain[17];
    vt_chain_result r;
    vt_err err = { 0 };

    for (size_t i = 0; i < 17; i++)
        chain[i] = p->leaf;
    assert_int_equal(vt_chain_verify(&r, chain, 0, &p->root, 1, NULL, 0, T0, &err), VT_E_ARG);
    assert_int_equal(vt_chain_verify(&r, chain, 1, NULL, 0, NULL, 0, T0, &err), VT_E_ARG);
    assert_int_equal(vt_chain_verify(&r, chain, 17, &p->root, 1, NULL, 0, T0, &err), VT_E_LIMIT);
    assert_int_equal(vt_chain_verify(&r, chain, 1, &p->root, 1, NULL, 2, T0, &err), VT_E_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto_chain__valid_and_window),
        cmocka_unit_test(test_crypto_chain__times_name_the_certificate),
        cmocka_unit_test(test_crypto_chain__untrusted_roots),
        cmocka_unit_test(test_crypto_chain__bad_signature),
        cmocka_unit_test(test_crypto_chain__issuer_must_be_ca),
        cmocka_unit_test(test_crypto_chain__path_length),
        cmocka_unit_test(test_crypto_chain__unknown_critical_extension),
        cmocka_unit_test(test_crypto_chain__revoked_leaf),
        cmocka_unit_test(test_crypto_chain__revoked_intermediate),
        cmocka_unit_test(test_crypto_chain__crls_applied_and_window),
        cmocka_unit_test(test_crypto_chain__crl_of_stranger_ignored),
        cmocka_unit_test(test_crypto_chain__arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
