/* Issuing certificates and CRLs (crypto/x509_build.c), checked with the
 * parsing and chain code of the crypto module. */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>

#define T0 1767225600 /* 2026-01-01T00:00:00Z */
#define DAY 86400

struct ca {
    vt_pkey *root_key, *int_key, *leaf_key;
    vt_x509 *root, *inter, *leaf;
};

static void spec_init(vt_x509_spec *s, const char *cn, uint64_t serial, bool ca)
{
    memset(s, 0, sizeof(*s));
    s->subject_cn = cn;
    s->subject_o = "veritee tests";
    s->serial = serial;
    s->not_before = T0 - DAY;
    s->not_after = T0 + 365 * DAY;
    s->ca = ca;
    s->pathlen = ca ? 1 : -1;
}

static int setup(void **state)
{
    struct ca *c = calloc(1, sizeof(*c));
    vt_x509_spec s;
    vt_err err = { 0 };

    assert_non_null(c);
    assert_int_equal(vt_pkey_generate(&c->root_key, VT_KEY_EC_P256, &err), VT_OK);
    assert_int_equal(vt_pkey_generate(&c->int_key, VT_KEY_EC_P256, &err), VT_OK);
    assert_int_equal(vt_pkey_generate(&c->leaf_key, VT_KEY_EC_P256, &err), VT_OK);
    spec_init(&s, "Test Root", 1, true);
    assert_int_equal(vt_x509_issue(&c->root, &s, c->root_key, NULL, c->root_key, &err), VT_OK);
    spec_init(&s, "Test Intermediate", 2, true);
    s.pathlen = 0;
    assert_int_equal(vt_x509_issue(&c->inter, &s, c->int_key, c->root, c->root_key, &err), VT_OK);
    spec_init(&s, "Test Leaf", 0x1234567890abcdefull, false);
    assert_int_equal(vt_x509_issue(&c->leaf, &s, c->leaf_key, c->inter, c->int_key, &err), VT_OK);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ca *c = *state;

    vt_x509_free(c->leaf);
    vt_x509_free(c->inter);
    vt_x509_free(c->root);
    vt_pkey_free(c->leaf_key);
    vt_pkey_free(c->int_key);
    vt_pkey_free(c->root_key);
    free(c);
    return 0;
}

static void test_crypto_x509_build__chain_verifies(void **state)
{
    struct ca *c = *state;
    vt_x509 *chain[2] = { c->leaf, c->inter };
    vt_x509 *roots[1] = { c->root };
    vt_chain_result res;
    vt_err err = { 0 };

    assert_int_equal(vt_chain_verify(&res, chain, 2, roots, 1, NULL, 0, T0, &err), VT_OK);
    assert_int_equal(res.root_index, 0);
    assert_int_equal(res.crls_checked, 0);
    assert_int_equal(res.not_before, T0 - DAY);
    assert_int_equal(res.not_after, T0 + 365 * DAY);
    /* Outside the validity window the same chain fails. */
    assert_int_equal(vt_chain_verify(&res, chain, 2, roots, 1, NULL, 0, T0 + 400 * DAY, &err), VT_E_CRYPTO);
}

static void test_crypto_x509_build__fields(void **state)
{
    struct ca *c = *state;
    char buf[256];
    vt_time nb, na;
    vt_pkey *pub = NULL;
    vt_buf a = { 0 }, b = { 0 };
    vt_err err = { 0 };

    vt_x509_subject_cn(c->leaf, buf, sizeof(buf));
    assert_string_equal(buf, "Test Leaf");
    vt_x509_issuer(c->leaf, buf, sizeof(buf));
    assert_non_null(strstr(buf, "CN=Test Intermediate"));
    vt_x509_subject(c->root, buf, sizeof(buf));
    assert_non_null(strstr(buf, "O=veritee tests"));
    vt_x509_serial_hex(c->leaf, buf, sizeof(buf));
    assert_string_equal(buf, "1234567890abcdef");
    vt_x509_validity(c->leaf, &nb, &na);
    assert_int_equal(nb, T0 - DAY);
    assert_int_equal(na, T0 + 365 * DAY);
    /* The certificate carries the subject key. */
    assert_int_equal(vt_x509_pubkey(&pub, c->leaf, &err), VT_OK);
    assert_int_equal(vt_pkey_public_raw(&a, pub, &err), VT_OK);
    assert_int_equal(vt_pkey_public_raw(&b, c->leaf_key, &err), VT_OK);
    assert_int_equal(a.len, 64);
    assert_memory_equal(a.data, b.data, 64);
    vt_pkey_free(pub);
    vt_buf_free(&a);
    vt_buf_free(&b);
}

static void test_crypto_x509_build__pem_roundtrip(void **state)
{
    struct ca *c = *state;
    vt_buf pem = { 0 };
    vt_x509 *got[3] = { 0 };
    size_t n = 0;
    uint8_t f1[32], f2[32];
    vt_err err = { 0 };

    assert_int_equal(vt_x509_to_pem(&pem, c->leaf, &err), VT_OK);
    assert_int_equal(vt_x509_to_pem(&pem, c->inter, &err), VT_OK);
    assert_non_null(memmem(pem.data, pem.len, "-----BEGIN CERTIFICATE-----", 27));
    assert_int_equal(vt_x509_list_from_pem(got, &n, 3, (const char *)pem.data, pem.len, &err), VT_OK);
    assert_int_equal(n, 2);
    vt_x509_fingerprint(c->leaf, f1);
    vt_x509_fingerprint(got[0], f2);
    assert_memory_equal(f1, f2, 32);
    vt_x509_fingerprint(c->inter, f1);
    vt_x509_fingerprint(got[1], f2);
    assert_memory_equal(f1, f2, 32);
    vt_x509_free(got[0]);
    vt_x509_free(got[1]);
    vt_buf_free(&pem);
}

static void test_crypto_x509_build__raw_extension(void **state)
{
    struct ca *c = *state;
    static const uint8_t der[] = { 0x30, 0x06, 0x04, 0x04, 0xde, 0xad, 0xbe, 0xef };
    vt_x509_ext_spec e = { "1.2.840.113741.1.13.1", der, sizeof(der), false };
    vt_x509_spec s;
    vt_x509 *x = NULL;
    const uint8_t *val = NULL;
    size_t len = 0;
    vt_err err = { 0 };

    spec_init(&s, "With Extension", 7, false);
    s.exts = &e;
    s.ext_count = 1;
    assert_int_equal(vt_x509_issue(&x, &s, c->leaf_key, c->inter, c->int_key, &err), VT_OK);
    assert_int_equal(vt_x509_ext(x, "1.2.840.113741.1.13.1", &val, &len, &err), VT_OK);
    assert_int_equal(len, sizeof(der));
    assert_memory_equal(val, der, sizeof(der));
    assert_int_equal(vt_x509_ext(x, "1.2.3.4", &val, &len, NULL), VT_E_NOTFOUND);
    vt_x509_free(x);

    /* A malformed OID is refused. */
    e.oid = "not.an.oid";
    assert_int_equal(vt_x509_issue(&x, &s, c->leaf_key, c->inter, c->int_key, &err), VT_E_ARG);
    assert_null(x);
}

static void test_crypto_x509_build__bad_spec(void **state)
{
    struct ca *c = *state;
    vt_x509_spec s;
    vt_x509 *x = (vt_x509 *)(uintptr_t)1;
    vt_err err = { 0 };

    spec_init(&s, "Bad", 0, false); /* serial 0 */
    assert_int_equal(vt_x509_issue(&x, &s, c->leaf_key, c->inter, c->int_key, &err), VT_E_ARG);
    assert_null(x);
    assert_non_null(strstr(err.msg, "serial"));
    spec_init(&s, NULL, 3, false);
    assert_int_equal(vt_x509_issue(&x, &s, c->leaf_key, c->inter, c->int_key, &err), VT_E_ARG);
    spec_init(&s, "Bad", 3, false);
    s.not_before = s.not_after + 1;
    assert_int_equal(vt_x509_issue(&x, &s, c->leaf_key, c->inter, c->int_key, &err), VT_E_ARG);
    /* The issuer key must belong to the issuer certificate. */
    spec_init(&s, "Bad", 3, false);
    assert_int_equal(vt_x509_issue(&x, &s, c->leaf_key, c->inter, c->root_key, &err), VT_E_ARG);
    assert_non_null(strstr(err.msg, "issuer key"));
    assert_null(x);
    /* Self-signed means signed by the subject key. */
    assert_int_equal(vt_x509_issue(&x, &s, c->leaf_key, NULL, c->root_key, &err), VT_E_ARG);
    assert_null(x);
}

static void test_crypto_x509_build__p384_issuer(void **state)
{
    struct ca *c = *state;
    vt_pkey *k = NULL;
    vt_x509 *root = NULL, *leaf = NULL;
    vt_x509_spec s;
    vt_chain_result res;
    vt_err err = { 0 };

    assert_int_equal(vt_pkey_generate(&k, VT_KEY_EC_P384, &err), VT_OK);
    spec_init(&s, "P-384 Root", 9, true);
    assert_int_equal(vt_x509_issue(&root, &s, k, NULL, k, &err), VT_OK);
    spec_init(&s, "P-256 leaf under P-384", 10, false);
    assert_int_equal(vt_x509_issue(&leaf, &s, c->leaf_key, root, k, &err), VT_OK);
    assert_int_equal(vt_chain_verify(&res, &leaf, 1, &root, 1, NULL, 0, T0, &err), VT_OK);
    vt_x509_free(leaf);
    vt_x509_free(root);
    vt_pkey_free(k);
}

static void test_crypto_x509_build__crl_revokes(void **state)
{
    struct ca *c = *state;
    vt_x509 *chain[2] = { c->leaf, c->inter };
    vt_x509 *roots[1] = { c->root };
    uint64_t serials[2] = { 99, 0x1234567890abcdefull };
    vt_buf der = { 0 };
    vt_crl *crl = NULL;
    vt_chain_result res;
    vt_time tu, nu;
    char issuer[256];
    vt_err err = { 0 };

    /* A CRL that lists another serial: checked, chain passes. */
    assert_int_equal(vt_crl_issue(&der, c->inter, c->int_key, serials, 1, T0 - DAY, T0 + 29 * DAY, &err), VT_OK);
    assert_int_equal(vt_crl_parse(&crl, der.data, der.len, &err), VT_OK);
    vt_crl_validity(crl, &tu, &nu);
    assert_int_equal(tu, T0 - DAY);
    assert_int_equal(nu, T0 + 29 * DAY);
    vt_crl_issuer(crl, issuer, sizeof(issuer));
    assert_non_null(strstr(issuer, "CN=Test Intermediate"));
    assert_int_equal(vt_chain_verify(&res, chain, 2, roots, 1, &crl, 1, T0, &err), VT_OK);
    assert_int_equal(res.crls_checked, 1);
    /* Expired CRL. */
    assert_int_not_equal(vt_chain_verify(&res, chain, 2, roots, 1, &crl, 1, T0 + 30 * DAY, &err), VT_OK);
    vt_crl_free(crl);
    crl = NULL;
    vt_buf_free(&der);

    /* A CRL that lists the leaf: revoked. */
    assert_int_equal(vt_crl_issue(&der, c->inter, c->int_key, serials, 2, T0 - DAY, T0 + 29 * DAY, &err), VT_OK);
    assert_int_equal(vt_crl_parse(&crl, der.data, der.len, &err), VT_OK);
    assert_int_equal(vt_chain_verify(&res, chain, 2, roots, 1, &crl, 1, T0, &err), VT_E_CRYPTO);
    vt_crl_free(crl);
    crl = NULL;
    vt_buf_free(&der);

    /* An empty CRL from the root covers the intermediate. */
    assert_int_equal(vt_crl_issue(&der, c->root, c->root_key, NULL, 0, T0 - DAY, T0 + 29 * DAY, &err), VT_OK);
    assert_int_equal(vt_crl_parse(&crl, der.data, der.len, &err), VT_OK);
    assert_int_equal(vt_chain_verify(&res, chain, 2, roots, 1, &crl, 1, T0, &err), VT_OK);
    assert_int_equal(res.crls_checked, 1);
    vt_crl_free(crl);
    vt_buf_free(&der);
}

static void test_crypto_x509_build__crl_bad_args(void **state)
{
    struct ca *c = *state;
    vt_buf der = { 0 };
    vt_err err = { 0 };

    assert_int_equal(vt_crl_issue(&der, c->inter, c->root_key, NULL, 0, T0, T0 + DAY, &err), VT_E_ARG);
    assert_int_equal(vt_crl_issue(&der, c->inter, c->int_key, NULL, 3, T0, T0 + DAY, &err), VT_E_ARG);
    assert_int_equal(vt_crl_issue(&der, c->inter, c->int_key, NULL, 0, T0 + DAY, T0, &err), VT_E_ARG);
    assert_int_equal(der.len, 0);
    vt_buf_free(&der);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto_x509_build__chain_verifies),
        cmocka_unit_test(test_crypto_x509_build__fields),
        cmocka_unit_test(test_crypto_x509_build__pem_roundtrip),
        cmocka_unit_test(test_crypto_x509_build__raw_extension),
        cmocka_unit_test(test_crypto_x509_build__bad_spec),
        cmocka_unit_test(test_crypto_x509_build__p384_issuer),
        cmocka_unit_test(test_crypto_x509_build__crl_revokes),
        cmocka_unit_test(test_crypto_x509_build__crl_bad_args),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
