/* The TPM's identity without a TPM (seal/tpm_ek_cert.c): the EK templates byte for byte
 * (L-1, L-2, H-3, H-4, H-6, H-7), the EK the TPM made against its template (every flipped
 * bit outside the key refused) and against its certificate's key (ECC P-256, P-384, P-521
 * and RSA 2048, 3072, 4096, every flipped bit of an ECC key), the chain from an EK
 * certificate to the operator's roots through intermediates in any order, with and without
 * CRLs (revoked EK or CA, expired, forged or missing CRL), the certificates of an NV index
 * (padding, every truncation, trailing bytes, state unchanged on failure), and loading the
 * roots and the CRLs from a bundle or a directory. */
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
    vt_pkey *root_key, *int_key, *ek_key, *other_root_key, *rsa_ek, *p384_ek, *p521_ek, *rsa3072_ek, *rsa4096_ek;
    vt_x509 *root, *inter, *ek_cert, *other_root, *rsa_cert, *p384_cert, *p521_cert, *rsa3072_cert, *rsa4096_cert;
    uint8_t rsa_n[256], rsa3072_n[384], rsa4096_n[512];
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

/* An RSA public key of bits bits (vt_pkey_generate makes 3072-bit ones), its modulus in n. */
static vt_pkey *rsa_key(size_t bits, uint8_t *n)
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
    BIGNUM *bn = NULL;
    vt_pkey *k = NULL;
    const uint8_t e[3] = { 1, 0, 1 };

    assert_non_null(pk);
    assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
    assert_int_equal(BN_bn2binpad(bn, n, (int)(bits / 8)), (int)(bits / 8));
    assert_int_equal(vt_pkey_from_rsa_raw(&k, n, bits / 8, e, sizeof(e), NULL), VT_OK);
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
    assert_int_equal(vt_pkey_generate(&f->p521_ek, VT_KEY_EC_P521, NULL), VT_OK);
    f->rsa_ek = rsa_key(2048, f->rsa_n);
    f->rsa3072_ek = rsa_key(3072, f->rsa3072_n);
    f->rsa4096_ek = rsa_key(4096, f->rsa4096_n);
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
    spec_init(&s, "TPM EK P-521", 7, false);
    assert_int_equal(vt_x509_issue(&f->p521_cert, &s, f->p521_ek, f->inter, f->int_key, NULL), VT_OK);
    spec_init(&s, "TPM EK RSA 3072", 8, false);
    assert_int_equal(vt_x509_issue(&f->rsa3072_cert, &s, f->rsa3072_ek, f->inter, f->int_key, NULL), VT_OK);
    spec_init(&s, "TPM EK RSA 4096", 10, false);
    assert_int_equal(vt_x509_issue(&f->rsa4096_cert, &s, f->rsa4096_ek, f->inter, f->int_key, NULL), VT_OK);
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
    vt_pkey_free(f->p521_ek);
    vt_pkey_free(f->rsa3072_ek);
    vt_pkey_free(f->rsa4096_ek);
    vt_x509_free(f->p384_cert);
    vt_x509_free(f->p521_cert);
    vt_x509_free(f->rsa3072_cert);
    vt_x509_free(f->rsa4096_cert);
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
    size_t n = vt__tpm_ek_key_len(kind);
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

/* The EK as the TPM returns it: kind's template with the modulus n. */
static void rsa_public(TPMT_PUBLIC *p, const uint8_t *n, vt__tpm_ek_kind kind)
{
    TPM2B_PUBLIC t;

    vt__tpm_ek_template(&t, kind);
    memcpy(t.publicArea.unique.rsa.buffer, n, vt__tpm_ek_key_len(kind));
    t.publicArea.unique.rsa.size = (UINT16)vt__tpm_ek_key_len(kind);
    *p = t.publicArea;
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
#define POLICY_B_SHA512                                                                                    \
    "0040 b8221ca69e8550a4914de3faa6a18c072cc01208073a928d5d66d59ef79e49a4"                                \
    "29c41a6b269571d57edb25fbdb1838425608b413cd616a5f6db5b6071af99bea "
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
    /* H-4: ECC, SHA-512, 0x000300f2, PolicyB in SHA-512, AES-256-CFB, scheme NULL, P-521,
     * KDF NULL, unique empty. */
    template_is(VT__TPM_EK_ECC_P521, "0023 000d 000300f2 " POLICY_B_SHA512 "0006 0100 0043 0010 0005 0010 0000 0000");
    /* H-6 and H-7: RSA, SHA-384, 0x000300f2, PolicyB in SHA-384, AES-256-CFB, scheme NULL,
     * 3072 or 4096 bits, exponent 0, unique empty. */
    template_is(VT__TPM_EK_RSA_3072, "0001 000c 000300f2 " POLICY_B_SHA384 "0006 0100 0043 0010 0c00 00000000 0000");
    template_is(VT__TPM_EK_RSA_4096, "0001 000c 000300f2 " POLICY_B_SHA384 "0006 0100 0043 0010 1000 00000000 0000");
    assert_int_equal(vt__tpm_ek_nv_index(VT__TPM_EK_ECC_P256), 0x01c0000a);
    assert_int_equal(vt__tpm_ek_nv_index(VT__TPM_EK_ECC_P384), 0x01c00016);
    assert_int_equal(vt__tpm_ek_nv_index(VT__TPM_EK_ECC_P521), 0x01c00018);
    assert_int_equal(vt__tpm_ek_nv_index(VT__TPM_EK_RSA_2048), 0x01c00002);
    assert_int_equal(vt__tpm_ek_nv_index(VT__TPM_EK_RSA_3072), 0x01c0001c);
    assert_int_equal(vt__tpm_ek_nv_index(VT__TPM_EK_RSA_4096), 0x01c0001e);
    assert_int_equal(vt__tpm_ek_key_len(VT__TPM_EK_ECC_P521), 66);
    assert_int_equal(vt__tpm_ek_key_len(VT__TPM_EK_RSA_4096), 512);
    assert_int_equal(vt__tpm_ek_nv_index(VT__TPM_EK_KINDS), 0);
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
    TPMT_PUBLIC p, q;
    vt_err err = { 0 };

    ecc_public(&p, f->ek_key, VT__TPM_EK_ECC_P256);
    every_flip_refused(&p, VT__TPM_EK_ECC_P256, 2 + 32 + 2 + 32);
    ecc_public(&p, f->p384_ek, VT__TPM_EK_ECC_P384);
    every_flip_refused(&p, VT__TPM_EK_ECC_P384, 2 + 48 + 2 + 48);
    ecc_public(&p, f->p521_ek, VT__TPM_EK_ECC_P521);
    every_flip_refused(&p, VT__TPM_EK_ECC_P521, 2 + 66 + 2 + 66);
    rsa_public(&p, f->rsa_n, VT__TPM_EK_RSA_2048);
    every_flip_refused(&p, VT__TPM_EK_RSA_2048, 2 + 256);
    rsa_public(&p, f->rsa3072_n, VT__TPM_EK_RSA_3072);
    every_flip_refused(&p, VT__TPM_EK_RSA_3072, 2 + 384);
    rsa_public(&p, f->rsa4096_n, VT__TPM_EK_RSA_4096);
    every_flip_refused(&p, VT__TPM_EK_RSA_4096, 2 + 512);

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

static void test_seal_tpm_ek__p521_ek_matches_only_its_certificate(void **state)
{
    struct fx *f = *state;
    TPMT_PUBLIC p, q;
    vt_err err = { 0 };

    ecc_public(&p, f->p521_ek, VT__TPM_EK_ECC_P521);
    assert_int_equal(vt__tpm_ek_matches(&p, f->p521_cert, &err), VT_OK);
    assert_int_equal(vt__tpm_ek_matches(&p, f->p384_cert, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "differs from its EK certificate"));
    /* Every bit of the point flipped: another point, or none. */
    for (size_t i = 0; i < 132 * 8; i++) {
        q = p;
        if (i < 66 * 8)
            q.unique.ecc.x.buffer[i / 8] ^= (uint8_t)(1u << (i % 8));
        else
            q.unique.ecc.y.buffer[(i - 66 * 8) / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_not_equal(vt__tpm_ek_matches(&q, f->p521_cert, NULL), VT_OK);
    }
    q = p;
    q.unique.ecc.x.size = 65;
    assert_int_equal(vt__tpm_ek_matches(&q, f->p521_cert, &err), VT_E_FORMAT);
    ecc_public(&q, f->p384_ek, VT__TPM_EK_ECC_P384);
    assert_int_equal(vt__tpm_ek_matches(&q, f->p521_cert, &err), VT_E_CRYPTO);
}

static void test_seal_tpm_ek__rsa3072_and_4096_eks_match_only_their_certificates(void **state)
{
    struct fx *f = *state;
    TPMT_PUBLIC p3, p4, q;
    vt_err err = { 0 };

    rsa_public(&p3, f->rsa3072_n, VT__TPM_EK_RSA_3072);
    rsa_public(&p4, f->rsa4096_n, VT__TPM_EK_RSA_4096);
    assert_int_equal(vt__tpm_ek_matches(&p3, f->rsa3072_cert, &err), VT_OK);
    assert_int_equal(vt__tpm_ek_matches(&p4, f->rsa4096_cert, &err), VT_OK);
    assert_int_equal(vt__tpm_ek_matches(&p3, f->rsa4096_cert, &err), VT_E_CRYPTO);
    assert_int_equal(vt__tpm_ek_matches(&p4, f->rsa3072_cert, &err), VT_E_CRYPTO);
    assert_int_equal(vt__tpm_ek_matches(&p3, f->rsa_cert, &err), VT_E_CRYPTO);
    for (size_t i = 0; i < 384; i += 23) {
        q = p3;
        q.unique.rsa.buffer[i] ^= 0x01;
        assert_int_not_equal(vt__tpm_ek_matches(&q, f->rsa3072_cert, NULL), VT_OK);
    }
    for (size_t i = 0; i < 512; i += 31) {
        q = p4;
        q.unique.rsa.buffer[i] ^= 0x80;
        assert_int_not_equal(vt__tpm_ek_matches(&q, f->rsa4096_cert, NULL), VT_OK);
    }
    /* The size the template says, and no other. */
    q = p4;
    q.parameters.rsaDetail.keyBits = 3072;
    assert_int_equal(vt__tpm_ek_matches(&q, f->rsa4096_cert, &err), VT_E_FORMAT);
    q = p3;
    q.unique.rsa.size = 256;
    assert_int_equal(vt__tpm_ek_matches(&q, f->rsa3072_cert, &err), VT_E_FORMAT);
    q = p3;
    q.parameters.rsaDetail.keyBits = 1024;
    q.unique.rsa.size = 128;
    assert_int_equal(vt__tpm_ek_matches(&q, f->rsa3072_cert, &err), VT_E_FORMAT);
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
    assert_int_equal(vt__tpm_ek_chain_verify(f->ek_cert, &inter, &roots, NULL, T0, &err), VT_OK);
    assert_int_equal(vt__tpm_ek_chain_verify(f->rsa_cert, &inter, &roots, NULL, T0, &err), VT_OK);
    /* The intermediate missing. */
    assert_int_equal(vt__tpm_ek_chain_verify(f->ek_cert, &none, &roots, NULL, T0, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "no path"));
    /* Only the root of the same name and another key. */
    list_of(&other, (vt_x509 *[]){ f->other_root }, 1);
    assert_int_equal(vt__tpm_ek_chain_verify(f->ek_cert, &inter, &other, NULL, T0, &err), VT_E_CRYPTO);
    /* Expired, not yet valid. */
    assert_int_equal(vt__tpm_ek_chain_verify(f->ek_cert, &inter, &roots, NULL, T0 + 400 * DAY, &err), VT_E_CRYPTO);
    assert_int_equal(vt__tpm_ek_chain_verify(f->ek_cert, &inter, &roots, NULL, T0 - 2 * DAY, &err), VT_E_CRYPTO);
    /* No roots at all. */
    assert_int_equal(vt__tpm_ek_chain_verify(f->ek_cert, &inter, &none, NULL, T0, &err), VT_E_ARG);
    vt__tpm_ek_certs_free(&roots);
    vt__tpm_ek_certs_free(&inter);
    vt__tpm_ek_certs_free(&other);
    vt_x509_free(decoy);
    vt_pkey_free(dk);
}

/* A DER CRL of issuer (its key k) listing n serials, current over [tu, nu], into der. */
static void crl_der(vt_buf *der, const vt_x509 *issuer, const vt_pkey *k, const uint64_t *serials, size_t n, vt_time tu,
                    vt_time nu)
{
    vt_buf_init(der);
    assert_int_equal(vt_crl_issue(der, issuer, k, serials, n, tu, nu, NULL), VT_OK);
}

/* That CRL appended to l. */
static void crl_add(vt__tpm_ek_crls *l, const vt_x509 *issuer, const vt_pkey *k, const uint64_t *serials, size_t n,
                    vt_time tu, vt_time nu)
{
    vt_buf der;

    crl_der(&der, issuer, k, serials, n, tu, nu);
    assert_int_equal(vt__tpm_ek_crls_parse(l, der.data, der.len, "test", NULL), VT_OK);
    vt_buf_free(&der);
}

/* The EK certificate f->ek_cert (serial 3) under f->inter (serial 2) under f->root, with
 * crls: VT_OK or the status, err holding the message. */
static vt_status verify_with(struct fx *f, const vt__tpm_ek_crls *crls, vt_err *err)
{
    vt__tpm_ek_certs roots, inter;
    vt_status rc;

    list_of(&roots, (vt_x509 *[]){ f->root }, 1);
    list_of(&inter, (vt_x509 *[]){ f->inter }, 1);
    rc = vt__tpm_ek_chain_verify(f->ek_cert, &inter, &roots, crls, T0, err);
    vt__tpm_ek_certs_free(&roots);
    vt__tpm_ek_certs_free(&inter);
    return rc;
}

static void test_seal_tpm_ek__crls_revoked_expired_forged_or_missing_refused(void **state)
{
    struct fx *f = *state;
    const uint64_t leaf = 3, ca = 2, others[] = { 7, 8 };
    vt__tpm_ek_crls l;
    vt_x509 *decoy = NULL;
    vt_pkey *dk = NULL;
    vt_x509_spec s;
    vt_err err = { 0 };

    memset(&l, 0, sizeof(l));
    /* Revocation checked: the empty list covers nothing. */
    assert_int_equal(verify_with(f, &l, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "no CRL of"));
    assert_int_equal(verify_with(f, NULL, &err), VT_OK);
    /* Both issuers' CRLs, current, listing others: accepted. */
    crl_add(&l, f->inter, f->int_key, others, 2, T0 - DAY, T0 + 30 * DAY);
    crl_add(&l, f->root, f->root_key, others, 1, T0 - DAY, T0 + 30 * DAY);
    assert_int_equal(verify_with(f, &l, &err), VT_OK);
    vt__tpm_ek_crls_free(&l);
    /* The EK CA's CRL only: the root's is missing, so the CA's revocation is unknown. */
    crl_add(&l, f->inter, f->int_key, others, 2, T0 - DAY, T0 + 30 * DAY);
    assert_int_equal(verify_with(f, &l, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "no CRL of"));
    assert_non_null(strstr(err.msg, "TPM Maker Root"));
    /* Another maker's root's CRL does not stand in for it (and is otherwise ignored). */
    assert_int_equal(vt_pkey_generate(&dk, VT_KEY_EC_P256, NULL), VT_OK);
    spec_init(&s, "Other Maker Root", 11, true);
    assert_int_equal(vt_x509_issue(&decoy, &s, dk, NULL, dk, NULL), VT_OK);
    crl_add(&l, decoy, dk, others, 1, T0 - DAY, T0 + 30 * DAY);
    assert_int_equal(verify_with(f, &l, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "no CRL of"));
    crl_add(&l, f->root, f->root_key, others, 1, T0 - DAY, T0 + 30 * DAY);
    assert_int_equal(verify_with(f, &l, &err), VT_OK);
    vt_x509_free(decoy);
    vt_pkey_free(dk);
    decoy = NULL;
    dk = NULL;
    /* A CRL in the root's name by another key (the other root of that name): refused. */
    crl_add(&l, f->other_root, f->other_root_key, others, 1, T0 - DAY, T0 + 30 * DAY);
    assert_int_equal(verify_with(f, &l, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "bad signature"));
    vt__tpm_ek_crls_free(&l);
    /* The EK certificate revoked by its CA. */
    crl_add(&l, f->inter, f->int_key, &leaf, 1, T0 - DAY, T0 + 30 * DAY);
    crl_add(&l, f->root, f->root_key, others, 1, T0 - DAY, T0 + 30 * DAY);
    assert_int_equal(verify_with(f, &l, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "is revoked"));
    assert_non_null(strstr(err.msg, "TPM EK"));
    vt__tpm_ek_crls_free(&l);
    /* The EK CA revoked by the root. */
    crl_add(&l, f->inter, f->int_key, others, 1, T0 - DAY, T0 + 30 * DAY);
    crl_add(&l, f->root, f->root_key, &ca, 1, T0 - DAY, T0 + 30 * DAY);
    assert_int_equal(verify_with(f, &l, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "TPM Maker EK CA"));
    assert_non_null(strstr(err.msg, "is revoked"));
    vt__tpm_ek_crls_free(&l);
    /* Expired, and not yet current. */
    crl_add(&l, f->inter, f->int_key, others, 1, T0 - 30 * DAY, T0 - DAY);
    crl_add(&l, f->root, f->root_key, others, 1, T0 - DAY, T0 + 30 * DAY);
    assert_int_equal(verify_with(f, &l, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "has expired"));
    vt__tpm_ek_crls_free(&l);
    crl_add(&l, f->inter, f->int_key, others, 1, T0 + DAY, T0 + 30 * DAY);
    crl_add(&l, f->root, f->root_key, others, 1, T0 - DAY, T0 + 30 * DAY);
    assert_int_equal(verify_with(f, &l, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "not yet valid"));
    vt__tpm_ek_crls_free(&l);
    /* Last month's expired CRL beside the current one: the newest of an issuer is used, so
     * one that revokes is not hidden behind an older one either. */
    crl_add(&l, f->inter, f->int_key, others, 1, T0 - 60 * DAY, T0 - 30 * DAY);
    crl_add(&l, f->root, f->root_key, others, 1, T0 - DAY, T0 + 30 * DAY);
    crl_add(&l, f->inter, f->int_key, others, 1, T0 - DAY, T0 + 30 * DAY);
    assert_int_equal(verify_with(f, &l, &err), VT_OK);
    crl_add(&l, f->inter, f->int_key, &leaf, 1, T0 - DAY / 2, T0 + 30 * DAY);
    assert_int_equal(verify_with(f, &l, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "is revoked"));
    vt__tpm_ek_crls_free(&l);
    /* A CRL in the EK CA's name by another key, beside the genuine ones: refused. */
    assert_int_equal(vt_pkey_generate(&dk, VT_KEY_EC_P256, NULL), VT_OK);
    spec_init(&s, "TPM Maker EK CA", 9, true);
    assert_int_equal(vt_x509_issue(&decoy, &s, dk, f->root, f->root_key, NULL), VT_OK);
    crl_add(&l, f->inter, f->int_key, others, 1, T0 - DAY, T0 + 30 * DAY);
    crl_add(&l, f->root, f->root_key, others, 1, T0 - DAY, T0 + 30 * DAY);
    crl_add(&l, decoy, dk, others, 1, T0 - DAY, T0 + 30 * DAY);
    assert_int_equal(verify_with(f, &l, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "bad signature"));
    vt__tpm_ek_crls_free(&l);
    vt_x509_free(decoy);
    vt_pkey_free(dk);
}

/* PEM of a DER CRL, appended to out. */
static void crl_pem(vt_buf *out, const vt_buf *der)
{
    vt_buf b64;
    static const char begin[] = "-----BEGIN X509 CRL-----\n", end[] = "-----END X509 CRL-----\n";

    vt_buf_init(&b64);
    assert_int_equal(vt_base64_encode(&b64, der->data, der->len, false, NULL), VT_OK);
    assert_int_equal(vt_buf_append(out, begin, strlen(begin), NULL), VT_OK);
    for (size_t i = 0; i < b64.len; i += 64) {
        size_t n = b64.len - i < 64 ? b64.len - i : 64;

        assert_int_equal(vt_buf_append(out, b64.data + i, n, NULL), VT_OK);
        assert_int_equal(vt_buf_append(out, "\n", 1, NULL), VT_OK);
    }
    assert_int_equal(vt_buf_append(out, end, strlen(end), NULL), VT_OK);
    vt_buf_free(&b64);
}

static void write_file(const char *path, const void *p, size_t n);

static void test_seal_tpm_ek__crl_files_pem_der_truncated_or_a_directory(void **state)
{
    struct fx *f = *state;
    const uint64_t others[] = { 7 };
    vt__tpm_ek_crls l;
    vt_buf a, b, pem;
    char dir[512], path[600];
    vt_err err = { 0 };

    memset(&l, 0, sizeof(l));
    crl_der(&a, f->inter, f->int_key, others, 1, T0 - DAY, T0 + 30 * DAY);
    crl_der(&b, f->root, f->root_key, others, 1, T0 - DAY, T0 + 30 * DAY);
    vt_buf_init(&pem);
    assert_int_equal(vt_buf_append(&pem, "text before\n", 12, NULL), VT_OK);
    crl_pem(&pem, &a);
    crl_pem(&pem, &b);
    /* Two PEM blocks, one DER CRL; a trailing NUL. */
    assert_int_equal(vt__tpm_ek_crls_parse(&l, pem.data, pem.len, "bundle", &err), VT_OK);
    assert_int_equal(l.count, 2);
    assert_int_equal(verify_with(f, &l, &err), VT_OK);
    assert_int_equal(vt__tpm_ek_crls_parse(&l, a.data, a.len, "der", &err), VT_OK);
    assert_int_equal(l.count, 3);
    assert_int_equal(vt_buf_append(&pem, "", 1, NULL), VT_OK);
    assert_int_equal(vt__tpm_ek_crls_parse(&l, pem.data, pem.len, "bundle", &err), VT_OK);
    assert_int_equal(l.count, 5);
    pem.len--;
    /* Every truncation of the DER, a trailing byte, and a PEM bundle whose second block is
     * broken: refused, the list as it was. */
    for (size_t i = 0; i < a.len; i++)
        assert_int_not_equal(vt__tpm_ek_crls_parse(&l, a.data, i, "der", NULL), VT_OK);
    assert_int_equal(vt_buf_append(&a, "\0", 1, NULL), VT_OK);
    assert_int_equal(vt__tpm_ek_crls_parse(&l, a.data, a.len, "der", &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "EK CRL file der"));
    a.len--;
    pem.data[pem.len - 40] = '*';
    assert_int_equal(vt__tpm_ek_crls_parse(&l, pem.data, pem.len, "bundle", &err), VT_E_FORMAT);
    pem.len -= 30; /* END line cut */
    assert_int_equal(vt__tpm_ek_crls_parse(&l, pem.data, pem.len, "bundle", &err), VT_E_FORMAT);
    assert_int_equal(l.count, 5);
    vt__tpm_ek_crls_free(&l);

    /* Files and directories: a DER file and a PEM file (with a certificate beside the CRL). */
    vt_test_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/ca.crl", dir);
    write_file(path, a.data, a.len);
    assert_int_equal(vt__tpm_ek_crls_load(&l, path, &err), VT_OK);
    assert_int_equal(l.count, 1);
    vt__tpm_ek_crls_free(&l);
    pem.len = 0;
    assert_int_equal(vt_x509_to_pem(&pem, f->root, NULL), VT_OK);
    crl_pem(&pem, &b);
    snprintf(path, sizeof(path), "%s/root.pem", dir);
    write_file(path, pem.data, pem.len);
    assert_int_equal(vt__tpm_ek_crls_load(&l, dir, &err), VT_OK);
    assert_int_equal(l.count, 2);
    assert_int_equal(verify_with(f, &l, &err), VT_OK);
    vt__tpm_ek_crls_free(&l);
    /* A file that holds no CRL: the load fails naming it. */
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    write_file(path, "not a CRL", 9);
    assert_int_equal(vt__tpm_ek_crls_load(&l, dir, &err), VT_E_ARG);
    assert_non_null(strstr(err.msg, "notes.txt"));
    vt__tpm_ek_crls_free(&l);
    assert_int_equal(remove(path), 0);
    snprintf(path, sizeof(path), "%s/absent", dir);
    assert_int_equal(vt__tpm_ek_crls_load(&l, path, &err), VT_E_ARG);
    vt_test_rmdir(dir);
    vt_test_mkdtemp(dir, sizeof(dir));
    assert_int_equal(vt__tpm_ek_crls_load(&l, dir, &err), VT_E_ARG);
    assert_non_null(strstr(err.msg, "hold no CRL"));
    vt_test_rmdir(dir);
    vt_buf_free(&a);
    vt_buf_free(&b);
    vt_buf_free(&pem);
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
    assert_int_equal(vt__tpm_ek_chain_verify(f->ek_cert, &inter, &roots, NULL, T0, &err), VT_OK);
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
        cmocka_unit_test(test_seal_tpm_ek__ek_of_template_every_flipped_field_refused),
        cmocka_unit_test(test_seal_tpm_ek__p384_ek_matches_only_its_certificate),
        cmocka_unit_test(test_seal_tpm_ek__p521_ek_matches_only_its_certificate),
        cmocka_unit_test(test_seal_tpm_ek__rsa3072_and_4096_eks_match_only_their_certificates),
        cmocka_unit_test(test_seal_tpm_ek__ecc_ek_matches_only_its_certificate),
        cmocka_unit_test(test_seal_tpm_ek__rsa_ek_matches_modulus_and_exponent),
        cmocka_unit_test(test_seal_tpm_ek__chain_through_intermediates_in_any_order),
        cmocka_unit_test(test_seal_tpm_ek__crls_revoked_expired_forged_or_missing_refused),
        cmocka_unit_test(test_seal_tpm_ek__crl_files_pem_der_truncated_or_a_directory),
        cmocka_unit_test(test_seal_tpm_ek__nv_certificates_padding_truncation_trailing),
        cmocka_unit_test(test_seal_tpm_ek__roots_from_a_bundle_or_a_directory),
    };
    return cmocka_run_group_tests(tests, setup, teardown); /* the keys are made once (RSA 4096 takes a while) */
}
