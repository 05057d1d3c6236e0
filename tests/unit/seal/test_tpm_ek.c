/* The TPM's identity without a TPM (seal/tpm_ek_cert.c): the EK the TPM made against its
 * certificate's key (ECC P-256 and RSA 2048, every flipped bit of the key), the chain from an
 * EK certificate to the operator's roots through intermediates in any order, the certificates
 * of an NV index (padding, every truncation, trailing bytes, state unchanged on failure), and
 * loading the roots from a bundle or a directory. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "seal/tpm_ek.h"

#define DAY 86400
#define T0 ((vt_time)1790000000) /* 2026-09 */

struct fx {
    vt_pkey *root_key, *int_key, *ek_key, *other_root_key, *rsa_ek;
    vt_x509 *root, *inter, *ek_cert, *other_root, *rsa_cert;
    uint8_t rsa_n[256];
};

static void spec_init(vt_x509_spec *s, const char *cn, uint64_t serial, bool ca)
{
    memset(s, 0, sizeof(*s));
    s->subject_cn = cn;
    s->serial = serial;
    s->not_before = T0 - DAY;
    s->not_after = T0 + 365 * DAY;
    s->ca = ca;
    s->pathlen = -1;
}

/* An RSA 2048 public key (vt_pkey_generate makes 3072-bit ones), its modulus in n. */
static vt_pkey *rsa2048(uint8_t n[256])
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    BIGNUM *bn = NULL;
    vt_pkey *k = NULL;
    const uint8_t e[3] = { 1, 0, 1 };

    assert_non_null(pk);
    assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
    assert_int_equal(BN_bn2binpad(bn, n, 256), 256);
    assert_int_equal(vt_pkey_from_rsa_raw(&k, n, 256, e, sizeof(e), NULL), VT_OK);
    BN_free(bn);
    EVP_PKEY_free(pk);
    return k;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    vt_x509_spec s;

    assert_non_null(f);
    assert_int_equal(vt_pkey_generate(&f->root_key, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_pkey_generate(&f->int_key, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_pkey_generate(&f->ek_key, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_pkey_generate(&f->other_root_key, VT_KEY_EC_P256, NULL), VT_OK);
    f->rsa_ek = rsa2048(f->rsa_n);
    spec_init(&s, "TPM Maker Root", 1, true);
    assert_int_equal(vt_x509_issue(&f->root, &s, f->root_key, NULL, f->root_key, NULL), VT_OK);
    spec_init(&s, "TPM Maker EK CA", 2, true);
    assert_int_equal(vt_x509_issue(&f->inter, &s, f->int_key, f->root, f->root_key, NULL), VT_OK);
    spec_init(&s, "TPM EK", 3, false);
    assert_int_equal(vt_x509_issue(&f->ek_cert, &s, f->ek_key, f->inter, f->int_key, NULL), VT_OK);
    spec_init(&s, "TPM EK RSA", 4, false);
    assert_int_equal(vt_x509_issue(&f->rsa_cert, &s, f->rsa_ek, f->inter, f->int_key, NULL), VT_OK);
    spec_init(&s, "TPM Maker Root", 5, true); /* the same name, another key */
    assert_int_equal(vt_x509_issue(&f->other_root, &s, f->other_root_key, NULL, f->other_root_key, NULL), VT_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    vt_pkey_free(f->root_key);
    vt_pkey_free(f->int_key);
    vt_pkey_free(f->ek_key);
    vt_pkey_free(f->other_root_key);
    vt_pkey_free(f->rsa_ek);
    vt_x509_free(f->root);
    vt_x509_free(f->inter);
    vt_x509_free(f->ek_cert);
    vt_x509_free(f->other_root);
    vt_x509_free(f->rsa_cert);
    free(f);
    return 0;
}

/* The EK as the TPM returns it: the template with k's point. */
static void ecc_public(TPMT_PUBLIC *p, const vt_pkey *k)
{
    TPM2B_PUBLIC t;
    vt_buf xy;

    vt__tpm_ek_template(&t, true);
    vt_buf_init(&xy);
    assert_int_equal(vt_pkey_public_raw(&xy, k, NULL), VT_OK);
    assert_int_equal(xy.len, 64);
    memcpy(t.publicArea.unique.ecc.x.buffer, xy.data, 32);
    memcpy(t.publicArea.unique.ecc.y.buffer, xy.data + 32, 32);
    vt_buf_free(&xy);
    *p = t.publicArea;
}

static void test_seal_tpm_ek__template_is_the_tcg_low_range(void **state)
{
    TPM2B_PUBLIC t;

    (void)state;
    vt__tpm_ek_template(&t, true);
    assert_int_equal(t.publicArea.objectAttributes, 0x000300b2);
    assert_int_equal(t.publicArea.type, TPM2_ALG_ECC);
    assert_int_equal(t.publicArea.unique.ecc.x.size, 32);
    assert_int_equal(t.publicArea.authPolicy.size, 32);
    assert_int_equal(t.publicArea.authPolicy.buffer[0], 0x83);
    vt__tpm_ek_template(&t, false);
    assert_int_equal(t.publicArea.objectAttributes, 0x000300b2);
    assert_int_equal(t.publicArea.parameters.rsaDetail.keyBits, 2048);
    assert_int_equal(t.publicArea.unique.rsa.size, 256);
}

static void test_seal_tpm_ek__ecc_ek_matches_only_its_certificate(void **state)
{
    struct fx *f = *state;
    TPMT_PUBLIC p, q;
    vt_err err = { 0 };

    ecc_public(&p, f->ek_key);
    assert_int_equal(vt__tpm_ek_matches(&p, f->ek_cert, &err), VT_OK);
    assert_int_equal(vt__tpm_ek_matches(&p, f->inter, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "differs from its EK certificate"));
    assert_int_not_equal(vt__tpm_ek_matches(&p, f->rsa_cert, &err), VT_OK);
    /* Every bit of the point flipped: another point, or none. */
    for (size_t i = 0; i < 64 * 8; i++) {
        q = p;
        if (i < 256)
            q.unique.ecc.x.buffer[i / 8] ^= (uint8_t)(1u << (i % 8));
        else
            q.unique.ecc.y.buffer[(i - 256) / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_not_equal(vt__tpm_ek_matches(&q, f->ek_cert, NULL), VT_OK);
    }
    q = p;
    q.parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
    assert_int_equal(vt__tpm_ek_matches(&q, f->ek_cert, &err), VT_E_FORMAT);
    q = p;
    q.unique.ecc.y.size = 31;
    assert_int_equal(vt__tpm_ek_matches(&q, f->ek_cert, &err), VT_E_FORMAT);
    q = p;
    q.type = TPM2_ALG_KEYEDHASH;
    assert_int_equal(vt__tpm_ek_matches(&q, f->ek_cert, &err), VT_E_FORMAT);
}

static void test_seal_tpm_ek__rsa_ek_matches_modulus_and_exponent(void **state)
{
    struct fx *f = *state;
    TPM2B_PUBLIC t;
    TPMT_PUBLIC q;
    vt_err err = { 0 };

    vt__tpm_ek_template(&t, false);
    memcpy(t.publicArea.unique.rsa.buffer, f->rsa_n, 256);
    assert_int_equal(vt__tpm_ek_matches(&t.publicArea, f->rsa_cert, &err), VT_OK); /* exponent 0 = 65537 */
    q = t.publicArea;
    q.parameters.rsaDetail.exponent = 65537;
    assert_int_equal(vt__tpm_ek_matches(&q, f->rsa_cert, &err), VT_OK);
    q.parameters.rsaDetail.exponent = 3;
    assert_int_equal(vt__tpm_ek_matches(&q, f->rsa_cert, &err), VT_E_CRYPTO);
    for (size_t i = 0; i < 256; i += 17) {
        q = t.publicArea;
        q.unique.rsa.buffer[i] ^= 0x10;
        assert_int_not_equal(vt__tpm_ek_matches(&q, f->rsa_cert, NULL), VT_OK);
    }
    assert_int_equal(vt__tpm_ek_matches(&t.publicArea, f->ek_cert, &err), VT_E_CRYPTO);
    q = t.publicArea;
    q.parameters.rsaDetail.keyBits = 3072;
    assert_int_equal(vt__tpm_ek_matches(&q, f->rsa_cert, &err), VT_E_FORMAT);
}

static void list_of(vt__tpm_ek_certs *l, vt_x509 *const *c, size_t n)
{
    memset(l, 0, sizeof(*l));
    for (size_t i = 0; i < n; i++)
        l->c[l->count++] = vt_x509_ref(c[i]);
}

static void test_seal_tpm_ek__chain_through_intermediates_in_any_order(void **state)
{
    struct fx *f = *state;
    vt__tpm_ek_certs roots, inter, none, other;
    vt_x509 *decoy = NULL;
    vt_pkey *dk = NULL;
    vt_x509_spec s;
    vt_err err = { 0 };

    /* A decoy intermediate with the EK CA's name and another key, listed first. */
    assert_int_equal(vt_pkey_generate(&dk, VT_KEY_EC_P256, NULL), VT_OK);
    spec_init(&s, "TPM Maker EK CA", 9, true);
    assert_int_equal(vt_x509_issue(&decoy, &s, dk, f->root, f->root_key, NULL), VT_OK);
    list_of(&roots, (vt_x509 *[]){ f->other_root, f->root }, 2);
    list_of(&inter, (vt_x509 *[]){ decoy, f->ek_cert, f->inter }, 3);
    memset(&none, 0, sizeof(none));
    assert_int_equal(vt__tpm_ek_chain_verify(f->ek_cert, &inter, &roots, T0, &err), VT_OK);
    assert_int_equal(vt__tpm_ek_chain_verify(f->rsa_cert, &inter, &roots, T0, &err), VT_OK);
    /* The intermediate missing. */
    assert_int_equal(vt__tpm_ek_chain_verify(f->ek_cert, &none, &roots, T0, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "no path"));
    /* Only the root of the same name and another key. */
    list_of(&other, (vt_x509 *[]){ f->other_root }, 1);
    assert_int_equal(vt__tpm_ek_chain_verify(f->ek_cert, &inter, &other, T0, &err), VT_E_CRYPTO);
    /* Expired, not yet valid. */
    assert_int_equal(vt__tpm_ek_chain_verify(f->ek_cert, &inter, &roots, T0 + 400 * DAY, &err), VT_E_CRYPTO);
    assert_int_equal(vt__tpm_ek_chain_verify(f->ek_cert, &inter, &roots, T0 - 2 * DAY, &err), VT_E_CRYPTO);
    /* No roots at all. */
    assert_int_equal(vt__tpm_ek_chain_verify(f->ek_cert, &inter, &none, T0, &err), VT_E_ARG);
    vt__tpm_ek_certs_free(&roots);
    vt__tpm_ek_certs_free(&inter);
    vt__tpm_ek_certs_free(&other);
    vt_x509_free(decoy);
    vt_pkey_free(dk);
}

static void test_seal_tpm_ek__nv_certificates_padding_truncation_trailing(void **state)
{
    struct fx *f = *state;
    vt__tpm_ek_certs l;
    uint8_t buf[8192];
    size_t a, b, n;
    const uint8_t *da = vt_x509_der(f->ek_cert, &a), *db = vt_x509_der(f->inter, &b);

    memset(&l, 0, sizeof(l));
    memcpy(buf, da, a);
    memcpy(buf + a, db, b);
    n = a + b;
    assert_int_equal(vt__tpm_ek_der_split(&l, buf, n, NULL), VT_OK);
    assert_int_equal(l.count, 2);
    assert_true(vt_x509_der(l.c[0], &a) != NULL && a == n - b);
    /* Padding of a fixed-size index: all zeros or all 0xff. */
    memset(buf + n, 0x00, 100);
    assert_int_equal(vt__tpm_ek_der_split(&l, buf, n + 100, NULL), VT_OK);
    assert_int_equal(l.count, 4);
    memset(buf + n, 0xff, 100);
    assert_int_equal(vt__tpm_ek_der_split(&l, buf, n + 100, NULL), VT_OK);
    assert_int_equal(l.count, 6);
    /* Mixed padding, other trailing bytes: refused, the list unchanged. */
    buf[n + 50] = 0x00;
    assert_int_equal(vt__tpm_ek_der_split(&l, buf, n + 100, NULL), VT_E_FORMAT);
    buf[n] = 0x30;
    assert_int_equal(vt__tpm_ek_der_split(&l, buf, n + 1, NULL), VT_E_FORMAT);
    assert_int_equal(l.count, 6);
    /* Every truncation of the pair. */
    for (size_t i = 0; i < n; i++) {
        vt_status rc = vt__tpm_ek_der_split(&l, buf, i, NULL);

        if (i == a) { /* exactly the first certificate */
            assert_int_equal(rc, VT_OK);
            assert_int_equal(l.count, 7);
            vt_x509_free(l.c[--l.count]);
            l.c[l.count] = NULL;
        } else {
            assert_int_not_equal(rc, VT_OK);
            assert_int_equal(l.count, 6);
        }
    }
    /* Nothing but padding holds no certificate. */
    memset(buf, 0, 64);
    assert_int_equal(vt__tpm_ek_der_split(&l, buf, 64, NULL), VT_E_FORMAT);
    assert_int_equal(vt__tpm_ek_der_split(&l, buf, 0, NULL), VT_E_FORMAT);
    assert_int_equal(l.count, 6);
    vt__tpm_ek_certs_free(&l);
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

static void test_seal_tpm_ek__roots_from_a_bundle_or_a_directory(void **state)
{
    struct fx *f = *state;
    vt__tpm_ek_certs roots, inter;
    char dir[512], path[600], sub[600];
    vt_buf pem;
    size_t n;
    const uint8_t *der;
    vt_err err = { 0 };

    vt_test_mkdtemp(dir, sizeof(dir));
    vt_buf_init(&pem);
    assert_int_equal(vt_x509_to_pem(&pem, f->root, NULL), VT_OK);
    assert_int_equal(vt_x509_to_pem(&pem, f->inter, NULL), VT_OK);
    snprintf(path, sizeof(path), "%s/bundle.pem", dir);
    write_file(path, pem.data, pem.len);
    memset(&roots, 0, sizeof(roots));
    memset(&inter, 0, sizeof(inter));
    assert_int_equal(vt__tpm_ek_trust_load(&roots, &inter, path, &err), VT_OK);
    assert_int_equal(roots.count, 1);
    assert_int_equal(inter.count, 1);
    assert_int_equal(vt__tpm_ek_chain_verify(f->ek_cert, &inter, &roots, T0, &err), VT_OK);
    vt__tpm_ek_certs_free(&roots);
    vt__tpm_ek_certs_free(&inter);
    /* A directory: the bundle, and an intermediate as DER. */
    snprintf(sub, sizeof(sub), "%s/inter.der", dir);
    der = vt_x509_der(f->inter, &n);
    write_file(sub, der, n);
    assert_int_equal(vt__tpm_ek_trust_load(&roots, &inter, dir, &err), VT_OK);
    assert_int_equal(roots.count, 1);
    assert_int_equal(inter.count, 2);
    vt__tpm_ek_certs_free(&roots);
    vt__tpm_ek_certs_free(&inter);
    /* Intermediates alone are no trust; a file that holds no certificate is an error. */
    assert_int_equal(vt__tpm_ek_trust_load(&roots, &inter, sub, &err), VT_E_ARG);
    assert_non_null(strstr(err.msg, "no self-signed"));
    vt__tpm_ek_certs_free(&inter);
    write_file(path, "not a certificate", 17);
    assert_int_not_equal(vt__tpm_ek_trust_load(&roots, &inter, path, &err), VT_OK);
    assert_non_null(strstr(err.msg, "bundle.pem"));
    vt__tpm_ek_certs_free(&roots);
    vt__tpm_ek_certs_free(&inter);
    snprintf(path, sizeof(path), "%s/absent", dir);
    assert_int_equal(vt__tpm_ek_trust_load(&roots, &inter, path, &err), VT_E_ARG);
    vt_buf_free(&pem);
    vt_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_tpm_ek__template_is_the_tcg_low_range),
        cmocka_unit_test_setup_teardown(test_seal_tpm_ek__ecc_ek_matches_only_its_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_tpm_ek__rsa_ek_matches_modulus_and_exponent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_tpm_ek__chain_through_intermediates_in_any_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_tpm_ek__nv_certificates_padding_truncation_trailing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_seal_tpm_ek__roots_from_a_bundle_or_a_directory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
