/* The TPM's identity without a TPM (seal/tpm_ek_cert.c): the EK templates byte for byte
 * (L-1, L-2, H-3), the EK the TPM made against its template (every flipped bit outside the
 * key refused) and against its certificate's key (ECC P-256, P-384 and RSA 2048, every
 * flipped bit of the key), the chain from an EK certificate to the operator's roots through
 * intermediates in any order, the certificates of an NV index (padding, every truncation,
 * trailing bytes, state unchanged on failure), and loading the roots from a bundle or a
 * directory. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "seal/tpm_ek.h"

#define DAY 86400
#define T0 ((vt_time)1790000000) /* 2026-09 */

struct fx {
    vt_pkey *root_key, *int_key, *ek_key, *other_root_key, *rsa_ek, *p384_ek;
    vt_x509 *root, *inter, *ek_cert, *other_root, *rsa_cert, *p384_cert;
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
    assert_int_equal(vt_pkey_generate(&f->p384_ek, VT_KEY_EC_P384, NULL), VT_OK);
    f->rsa_ek = rsa2048(f->rsa_n);
    spec_init(&s, "TPM Maker Root", 1, true);
    assert_int_equal(vt_x509_issue(&f->root, &s, f->root_key, NULL, f->root_key, NULL), VT_OK);
    spec_init(&s, "TPM Maker EK CA", 2, true);
    assert_int_equal(vt_x509_issue(&f->inter, &s, f->int_key, f->root, f->root_key, NULL), VT_OK);
    spec_init(&s, "TPM EK", 3, false);
    assert_int_equal(vt_x509_issue(&f->ek_cert, &s, f->ek_key, f->inter, f->int_key, NULL), VT_OK);
    spec_init(&s, "TPM EK RSA", 4, false);
    assert_int_equal(vt_x509_issue(&f->rsa_cert, &s, f->rsa_ek, f->inter, f->int_key, NULL), VT_OK);
    spec_init(&s, "TPM EK P-384", 6, false);
    assert_int_equal(vt_x509_issue(&f->p384_cert, &s, f->p384_ek, f->inter, f->int_key, NULL), VT_OK);
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
    vt_pkey_free(f->p384_ek);
    vt_x509_free(f->p384_cert);
    vt_x509_free(f->root);
    vt_x509_free(f->inter);
    vt_x509_free(f->ek_cert);
    vt_x509_free(f->other_root);
    vt_x509_free(f->rsa_cert);
    free(f);
    return 0;
}

/* The EK as the TPM returns it: kind's template with k's point. */
static void ecc_public(TPMT_PUBLIC *p, const vt_pkey *k, vt__tpm_ek_kind kind)
{
    TPM2B_PUBLIC t;
    size_t n = kind == VT__TPM_EK_ECC_P384 ? 48 : 32;
    vt_buf xy;

    vt__tpm_ek_template(&t, kind);
    vt_buf_init(&xy);
    assert_int_equal(vt_pkey_public_raw(&xy, k, NULL), VT_OK);
    assert_int_equal(xy.len, 2 * n);
    memcpy(t.publicArea.unique.ecc.x.buffer, xy.data, n);
    memcpy(t.publicArea.unique.ecc.y.buffer, xy.data + n, n);
    t.publicArea.unique.ecc.x.size = (UINT16)n;
    t.publicArea.unique.ecc.y.size = (UINT16)n;
    vt_buf_free(&xy);
    *p = t.publicArea;
}

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = 0;

    while (*hex != '\0') {
        unsigned v;

        if (*hex == ' ') {
            hex++;
            continue;
        }
        assert_true(n < cap && sscanf(hex, "%2x", &v) == 1);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* kind's template marshalled equals the TCG EK Credential Profile's, written out here. */
static void template_is(vt__tpm_ek_kind kind, const char *hex)
{
    uint8_t want[sizeof(TPMT_PUBLIC)], got[sizeof(TPMT_PUBLIC)];
    size_t wl, gl = 0;
    TPM2B_PUBLIC t;

    wl = unhex(want, sizeof(want), hex);
    vt__tpm_ek_template(&t, kind);
    assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(&t.publicArea, got, sizeof(got), &gl), TSS2_RC_SUCCESS);
    assert_int_equal(gl, wl);
    assert_memory_equal(got, want, wl);
}

#define POLICY_A "0020 837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa "
#define POLICY_B_SHA384                                                                                    \
    "0030 b26e7d28d11a50bc53d882bcf5fd3a1a074148bb35d3b4e4"                                                \
    "cb1c0ad9bde419cacb47ba09699646150f9fc000f3f80e12 "
#define ZEROS32 "0000000000000000000000000000000000000000000000000000000000000000"

static void test_seal_tpm_ek__templates_are_the_tcg_ones(void **state)
{
    char rsa[2048];

    (void)state;
    /* L-2: ECC, SHA-256, 0x000300b2, PolicyA, AES-128-CFB, scheme NULL, P-256, KDF NULL,
     * unique 32 + 32 zero bytes. */
    template_is(VT__TPM_EK_ECC_P256,
                "0023 000b 000300b2 " POLICY_A "0006 0080 0043 0010 0003 0010 0020 " ZEROS32 " 0020 " ZEROS32);
    /* H-3: ECC, SHA-384, 0x000300f2 (userWithAuth set), PolicyB, AES-256-CFB, scheme NULL,
     * P-384, KDF NULL, unique empty. */
    template_is(VT__TPM_EK_ECC_P384, "0023 000c 000300f2 " POLICY_B_SHA384 "0006 0100 0043 0010 0004 0010 0000 0000");
    /* L-1: RSA, SHA-256, 0x000300b2, PolicyA, AES-128-CFB, scheme NULL, 2048 bits,
     * exponent 0, unique 256 zero bytes. */
    snprintf(rsa, sizeof(rsa), "0001 000b 000300b2 " POLICY_A "0006 0080 0043 0010 0800 00000000 0100 %s%s%s%s%s%s%s%s",
             ZEROS32, ZEROS32, ZEROS32, ZEROS32, ZEROS32, ZEROS32, ZEROS32, ZEROS32);
    template_is(VT__TPM_EK_RSA_2048, rsa);
    assert_int_equal(vt__tpm_ek_nv_index(VT__TPM_EK_ECC_P256), 0x01c0000a);
    assert_int_equal(vt__tpm_ek_nv_index(VT__TPM_EK_ECC_P384), 0x01c00016);
    assert_int_equal(vt__tpm_ek_nv_index(VT__TPM_EK_RSA_2048), 0x01c00002);
}

/* pub is kind's EK: accepted; every other template's EK check refuses it, and so does
 * kind's for every bit flipped outside the key (the last unique_len bytes). */
static void every_flip_refused(const TPMT_PUBLIC *pub, vt__tpm_ek_kind kind, size_t unique_len)
{
    uint8_t m[sizeof(TPMT_PUBLIC)];
    size_t ml = 0, parsed = 0;
    vt_err err = { 0 };

    assert_int_equal(vt__tpm_ek_of_template(pub, kind, &err), VT_OK);
    for (int k = 0; k < VT__TPM_EK_KINDS; k++)
        if (k != (int)kind)
            assert_int_equal(vt__tpm_ek_of_template(pub, (vt__tpm_ek_kind)k, NULL), VT_E_CRYPTO);
    assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(pub, m, sizeof(m), &ml), TSS2_RC_SUCCESS);
    assert_true(ml > unique_len);
    for (size_t i = 0; i < (ml - unique_len) * 8; i++) {
        TPMT_PUBLIC q;
        size_t off = 0;

        m[i / 8] ^= (uint8_t)(1u << (i % 8));
        memset(&q, 0, sizeof(q));
        if (Tss2_MU_TPMT_PUBLIC_Unmarshal(m, ml, &off, &q) == TSS2_RC_SUCCESS) {
            parsed++;
            assert_int_equal(vt__tpm_ek_of_template(&q, kind, &err), VT_E_CRYPTO);
        }
        m[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    assert_true(parsed > (ml - unique_len) * 4); /* most flips still parse, so the check saw them */
    assert_non_null(strstr(err.msg, "is not of the"));
}

static void test_seal_tpm_ek__ek_of_template_every_flipped_field_refused(void **state)
{
    struct fx *f = *state;
    TPM2B_PUBLIC t;
    TPMT_PUBLIC p, q;
    vt_err err = { 0 };

    ecc_public(&p, f->ek_key, VT__TPM_EK_ECC_P256);
    every_flip_refused(&p, VT__TPM_EK_ECC_P256, 2 + 32 + 2 + 32);
    ecc_public(&p, f->p384_ek, VT__TPM_EK_ECC_P384);
    every_flip_refused(&p, VT__TPM_EK_ECC_P384, 2 + 48 + 2 + 48);
    vt__tpm_ek_template(&t, VT__TPM_EK_RSA_2048);
    memcpy(t.publicArea.unique.rsa.buffer, f->rsa_n, 256);
    every_flip_refused(&t.publicArea, VT__TPM_EK_RSA_2048, 2 + 256);

    /* What the high range changes, one field at a time back to the low range's. */
    ecc_public(&p, f->p384_ek, VT__TPM_EK_ECC_P384);
    q = p;
    q.objectAttributes &= ~(TPMA_OBJECT)TPMA_OBJECT_USERWITHAUTH;
    assert_int_equal(vt__tpm_ek_of_template(&q, VT__TPM_EK_ECC_P384, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "ECC NIST P-384 EK template"));
    q = p;
    q.nameAlg = TPM2_ALG_SHA256;
    assert_int_equal(vt__tpm_ek_of_template(&q, VT__TPM_EK_ECC_P384, NULL), VT_E_CRYPTO);
    q = p;
    q.parameters.eccDetail.symmetric.keyBits.aes = 128;
    assert_int_equal(vt__tpm_ek_of_template(&q, VT__TPM_EK_ECC_P384, NULL), VT_E_CRYPTO);
    q = p;
    q.authPolicy.size = 32;
    assert_int_equal(vt__tpm_ek_of_template(&q, VT__TPM_EK_ECC_P384, NULL), VT_E_CRYPTO);
    /* The key's size: a P-384 point is 48 + 48 bytes, no shorter, none at all. */
    q = p;
    q.unique.ecc.y.size = 47;
    assert_int_equal(vt__tpm_ek_of_template(&q, VT__TPM_EK_ECC_P384, NULL), VT_E_CRYPTO);
    q = p;
    q.unique.ecc.x.size = 32;
    q.unique.ecc.y.size = 32;
    assert_int_equal(vt__tpm_ek_of_template(&q, VT__TPM_EK_ECC_P384, NULL), VT_E_CRYPTO);
    q = p;
    q.unique.ecc.x.size = 0;
    q.unique.ecc.y.size = 0;
    assert_int_equal(vt__tpm_ek_of_template(&q, VT__TPM_EK_ECC_P384, NULL), VT_E_CRYPTO);
}

static void test_seal_tpm_ek__p384_ek_matches_only_its_certificate(void **state)
{
    struct fx *f = *state;
    TPMT_PUBLIC p, q;
    vt_err err = { 0 };

    ecc_public(&p, f->p384_ek, VT__TPM_EK_ECC_P384);
    assert_int_equal(vt__tpm_ek_matches(&p, f->p384_cert, &err), VT_OK);
    assert_int_equal(vt__tpm_ek_matches(&p, f->ek_cert, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "differs from its EK certificate"));
    assert_int_equal(vt__tpm_ek_matches(&p, f->rsa_cert, &err), VT_E_CRYPTO);
    /* Every bit of the point flipped: another point, or none. */
    for (size_t i = 0; i < 96 * 8; i++) {
        q = p;
        if (i < 384)
            q.unique.ecc.x.buffer[i / 8] ^= (uint8_t)(1u << (i % 8));
        else
            q.unique.ecc.y.buffer[(i - 384) / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_not_equal(vt__tpm_ek_matches(&q, f->p384_cert, NULL), VT_OK);
    }
    ecc_public(&q, f->ek_key, VT__TPM_EK_ECC_P256); /* a P-256 EK against the P-384 certificate */
    assert_int_equal(vt__tpm_ek_matches(&q, f->p384_cert, &err), VT_E_CRYPTO);
    q = p;
    q.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    assert_int_equal(vt__tpm_ek_matches(&q, f->p384_cert, &err), VT_E_FORMAT);
    q = p;
    q.parameters.eccDetail.curveID = TPM2_ECC_NIST_P521;
    assert_int_equal(vt__tpm_ek_matches(&q, f->p384_cert, &err), VT_E_FORMAT);
}

static void test_seal_tpm_ek__ecc_ek_matches_only_its_certificate(void **state)
{
    struct fx *f = *state;
    TPMT_PUBLIC p, q;
    vt_err err = { 0 };

    ecc_public(&p, f->ek_key, VT__TPM_EK_ECC_P256);
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

    vt__tpm_ek_template(&t, VT__TPM_EK_RSA_2048);
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
        cmocka_unit_test(test_seal_tpm_ek__templates_are_the_tcg_ones),
        cmocka_unit_test_setup_teardown(test_seal_tpm_ek__ek_of_template_every_flipped_field_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_seal_tpm_ek__p384_ek_matches_only_its_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_tpm_ek__ecc_ek_matches_only_its_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_tpm_ek__rsa_ek_matches_modulus_and_exponent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_tpm_ek__chain_through_intermediates_in_any_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_tpm_ek__nv_certificates_padding_truncation_trailing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_seal_tpm_ek__roots_from_a_bundle_or_a_directory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
