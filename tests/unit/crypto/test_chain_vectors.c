/*
 * Chain verification, CRLs and raw ECDSA on REAL evidence: the Intel PCK
 * chains inside TDX quotes with Intel's CRLs, AMD SEV-SNP VCEK chains
 * (RSA-PSS) and NVIDIA GPU chains.  Skipped (exit 77) without the vectors.
 */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXC 8

static const char intel_root[] = "roots/intel_sgx_root_ca.pem";
static const char spr[] = "tdx/gotdx-spr-e4-v4/quote.bin";
static const char lunal[] = "tdx/gotdx-spr-e4-v4/collateral-2026-03-lunal";
static const char gotdx23[] = "tdx/gotdx-spr-e4-v4/collateral-2023-06-gotdx";

typedef struct certs {
    vt_x509 *c[MAXC];
    size_t n;
} certs;

static void certs_free(certs *s)
{
    for (size_t i = 0; i < s->n; i++)
        vt_x509_free(s->c[i]);
    s->n = 0;
}

static void load_pem(certs *s, const char *rel)
{
    vt_buf b;
    vt_err err = { 0 };

    vt_buf_init(&b);
    vt_test_load(&b, rel);
    if (vt_x509_list_from_pem(s->c, &s->n, MAXC, (const char *)b.data, b.len, &err) != VT_OK)
        fail_msg("%s: %s", rel, err.msg);
    vt_buf_free(&b);
}

static void load_der(certs *s, const char *rel)
{
    vt_buf b;
    vt_err err = { 0 };

    vt_buf_init(&b);
    vt_test_load(&b, rel);
    assert_true(s->n < MAXC);
    if (vt_x509_from_der(&s->c[s->n], b.data, b.len, &err) != VT_OK)
        fail_msg("%s: %s", rel, err.msg);
    s->n++;
    vt_buf_free(&b);
}

/* The PCK chain PEM embedded in a TDX quote: from the first BEGIN to the last END. */
static void load_quote_chain(certs *s, const char *rel)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    static const char end[] = "-----END CERTIFICATE-----";
    vt_buf b;
    const uint8_t *p, *e = NULL, *q;
    vt_err err = { 0 };

    vt_buf_init(&b);
    vt_test_load(&b, rel);
    p = memmem(b.data, b.len, begin, sizeof(begin) - 1);
    assert_non_null(p);
    for (q = p; (q = memmem(q, b.len - (size_t)(q - b.data), end, sizeof(end) - 1)) != NULL; q++)
        e = q + sizeof(end) - 1;
    assert_non_null(e);
    if (vt_x509_list_from_pem(s->c, &s->n, MAXC, (const char *)p, (size_t)(e - p), &err) != VT_OK)
        fail_msg("%s: %s", rel, err.msg);
    assert_int_equal(s->n, 3);
    vt_buf_free(&b);
}

static vt_crl *load_crl(const char *dir, const char *name)
{
    char rel[512];
    vt_buf b;
    vt_crl *c = NULL;
    vt_err err = { 0 };

    snprintf(rel, sizeof(rel), "%s/%s", dir, name);
    vt_buf_init(&b);
    vt_test_load(&b, rel);
    if (vt_crl_parse(&c, b.data, b.len, &err) != VT_OK)
        fail_msg("%s: %s", rel, err.msg);
    vt_buf_free(&b);
    return c;
}

static vt_status verify(const certs *chain, size_t n, const certs *roots, vt_crl *const *crls, size_t ncrl,
                        const char *when, vt_chain_result *res, vt_err *err)
{
    vt_err_clear(err);
    return vt_chain_verify(res, chain->c, n, roots->c, roots->n, crls, ncrl, vt_test_time(when), err);
}

static void expect_fail(vt_status rc, const vt_err *err, const char *needle)
{
    assert_int_equal(rc, VT_E_CRYPTO);
    if (strstr(err->msg, needle) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err->msg, needle);
}

static void test_crypto_chain_vectors__pck_chain_valid_with_crls(void **state)
{
    certs chain = { 0 }, roots = { 0 };
    vt_crl *crls[2];
    vt_chain_result res;
    vt_err err = { 0 };
    char cn[128];

    (void)state;
    load_quote_chain(&chain, spr);
    load_pem(&roots, intel_root);
    vt_x509_subject_cn(chain.c[0], cn, sizeof(cn));
    assert_string_equal(cn, "Intel SGX PCK Certificate");
    crls[0] = load_crl(lunal, "pck_crl_platform.der");
    crls[1] = load_crl(lunal, "root_ca_crl.der");
    if (verify(&chain, 3, &roots, crls, 2, "2026-04-01T00:00:00Z", &res, &err) != VT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(res.root_index, 0);
    assert_int_equal(res.crls_checked, 2);
    /* intersection: the PCK CRL's window is the narrowest */
    assert_int_equal(res.not_before, vt_test_time("2026-03-16T22:34:05Z"));
    assert_int_equal(res.not_after, vt_test_time("2026-04-15T22:34:05Z"));
    vt_crl_free(crls[0]);
    vt_crl_free(crls[1]);
    certs_free(&chain);
    certs_free(&roots);
}

static void test_crypto_chain_vectors__pck_chain_window_without_crls(void **state)
{
    certs chain = { 0 }, roots = { 0 };
    vt_chain_result res;
    vt_err err = { 0 };

    (void)state;
    load_quote_chain(&chain, spr);
    load_pem(&roots, intel_root);
    if (verify(&chain, 3, &roots, NULL, 0, "2022-09-22T13:20:31Z", &res, &err) != VT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(res.crls_checked, 0);
    assert_int_equal(res.not_before, vt_test_time("2022-09-20T13:20:31Z"));
    assert_int_equal(res.not_after, vt_test_time("2029-09-20T13:20:31Z"));
    /* the edges are inclusive */
    assert_int_equal(verify(&chain, 3, &roots, NULL, 0, "2022-09-20T13:20:31Z", &res, &err), VT_OK);
    assert_int_equal(verify(&chain, 3, &roots, NULL, 0, "2029-09-20T13:20:31Z", &res, &err), VT_OK);
    certs_free(&chain);
    certs_free(&roots);
}

static void test_crypto_chain_vectors__before_not_before(void **state)
{
    certs chain = { 0 }, roots = { 0 };
    vt_chain_result res;
    vt_err err = { 0 };

    (void)state;
    load_quote_chain(&chain, spr);
    load_pem(&roots, intel_root);
    expect_fail(verify(&chain, 3, &roots, NULL, 0, "2022-09-20T13:20:30Z", &res, &err), &err, "not yet valid");
    assert_non_null(strstr(err.msg, "CN=Intel SGX PCK"));
    assert_int_equal(res.not_after, 0); /* output cleared on failure */
    certs_free(&chain);
    certs_free(&roots);
}

static void test_crypto_chain_vectors__after_not_after(void **state)
{
    certs chain = { 0 }, roots = { 0 };
    vt_chain_result res;
    vt_err err = { 0 };

    (void)state;
    load_quote_chain(&chain, spr);
    load_pem(&roots, intel_root);
    expect_fail(verify(&chain, 3, &roots, NULL, 0, "2029-09-20T13:20:32Z", &res, &err), &err, "has expired");
    assert_non_null(strstr(err.msg, "CN=Intel SGX PCK"));
    certs_free(&chain);
    certs_free(&roots);
}

static void test_crypto_chain_vectors__root_not_trusted(void **state)
{
    certs chain = { 0 }, roots = { 0 };
    vt_chain_result res;
    vt_err err = { 0 };

    (void)state;
    load_quote_chain(&chain, spr);
    load_pem(&roots, "roots/aws_nitro_enclaves_root_g1.pem");
    /* the chain carries Intel's root itself: never trusted for being there */
    expect_fail(verify(&chain, 3, &roots, NULL, 0, "2023-07-01T01:00:00Z", &res, &err), &err,
                "root CN=Intel SGX Root CA is not a trusted root");
    /* without it: the issuer is not among the roots */
    expect_fail(verify(&chain, 2, &roots, NULL, 0, "2023-07-01T01:00:00Z", &res, &err), &err,
                "is not a trusted root");
    assert_non_null(strstr(err.msg, "CN=Intel SGX Root CA"));
    certs_free(&chain);
    certs_free(&roots);
}

static void test_crypto_chain_vectors__root_appended_implicitly(void **state)
{
    certs chain = { 0 }, roots = { 0 };
    vt_chain_result res;
    vt_err err = { 0 };

    (void)state;
    load_quote_chain(&chain, spr);
    load_pem(&roots, "roots/aws_nitro_enclaves_root_g1.pem");
    load_pem(&roots, intel_root);
    assert_int_equal(roots.n, 2);
    if (verify(&chain, 2, &roots, NULL, 0, "2023-07-01T01:00:00Z", &res, &err) != VT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(res.root_index, 1);
    if (verify(&chain, 3, &roots, NULL, 0, "2023-07-01T01:00:00Z", &res, &err) != VT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(res.root_index, 1);
    /* the leaf alone does not reach a root */
    expect_fail(verify(&chain, 1, &roots, NULL, 0, "2023-07-01T01:00:00Z", &res, &err), &err,
                "is not a trusted root");
    certs_free(&chain);
    certs_free(&roots);
}

static void test_crypto_chain_vectors__crl_outside_window(void **state)
{
    certs chain = { 0 }, roots = { 0 };
    vt_crl *crl = load_crl(lunal, "pck_crl_platform.der");
    vt_crl *old = load_crl(gotdx23, "pck_crl_platform.der");
    vt_chain_result res;
    vt_err err = { 0 };
    vt_time tu, nu;

    (void)state;
    load_quote_chain(&chain, spr);
    load_pem(&roots, intel_root);
    vt_crl_validity(crl, &tu, &nu);
    assert_int_equal(tu, vt_test_time("2026-03-16T22:34:05Z"));
    assert_int_equal(nu, vt_test_time("2026-04-15T22:34:05Z"));
    expect_fail(verify(&chain, 3, &roots, &crl, 1, "2026-04-15T22:34:06Z", &res, &err), &err,
                "CRL of CN=Intel SGX PCK Platform CA has expired");
    expect_fail(verify(&chain, 3, &roots, &crl, 1, "2026-03-16T22:34:04Z", &res, &err), &err,
                "CRL of CN=Intel SGX PCK Platform CA is not yet valid");
    expect_fail(verify(&chain, 3, &roots, &old, 1, "2026-04-01T00:00:00Z", &res, &err), &err, "has expired");
    assert_int_equal(verify(&chain, 3, &roots, &old, 1, "2023-07-01T01:00:00Z", &res, &err), VT_OK);
    assert_int_equal(res.crls_checked, 1);
    vt_crl_free(crl);
    vt_crl_free(old);
    certs_free(&chain);
    certs_free(&roots);
}

static void test_crypto_chain_vectors__crl_bad_signature(void **state)
{
    certs chain = { 0 }, roots = { 0 };
    vt_buf b;
    vt_crl *crl = NULL;
    vt_chain_result res;
    vt_err err = { 0 };

    (void)state;
    load_quote_chain(&chain, spr);
    load_pem(&roots, intel_root);
    vt_buf_init(&b);
    vt_test_load(&b, "tdx/gotdx-spr-e4-v4/collateral-2026-03-lunal/pck_crl_platform.der");
    b.data[b.len - 1] ^= 0x01; /* last byte of the signature's s */
    assert_int_equal(vt_crl_parse(&crl, b.data, b.len, &err), VT_OK);
    expect_fail(verify(&chain, 3, &roots, &crl, 1, "2026-04-01T00:00:00Z", &res, &err), &err,
                "CRL of CN=Intel SGX PCK Platform CA has a bad signature");
    vt_crl_free(crl);
    vt_buf_free(&b);
    certs_free(&chain);
    certs_free(&roots);
}

static void test_crypto_chain_vectors__crl_of_other_issuer_ignored(void **state)
{
    certs chain = { 0 }, roots = { 0 };
    vt_crl *crl = load_crl("tdx/trustee-quote6-00a06d/collateral-2026-01-tinfoil", "pck_crl_processor.der");
    vt_chain_result res;
    vt_err err = { 0 };
    char issuer[256];

    (void)state;
    vt_crl_issuer(crl, issuer, sizeof(issuer));
    assert_non_null(strstr(issuer, "CN=Intel SGX PCK Processor CA"));
    load_quote_chain(&chain, spr);
    load_pem(&roots, intel_root);
    if (verify(&chain, 3, &roots, &crl, 1, "2023-07-01T01:00:00Z", &res, &err) != VT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(res.crls_checked, 0);
    vt_crl_free(crl);
    certs_free(&chain);
    certs_free(&roots);
}

static void test_crypto_chain_vectors__tampered_certificate(void **state)
{
    certs chain = { 0 }, roots = { 0 }, bad = { 0 }; /* bad borrows */
    vt_x509 *tampered = NULL;
    const uint8_t *der;
    size_t len;
    uint8_t *copy;
    vt_chain_result res;
    vt_err err = { 0 };

    (void)state;
    load_quote_chain(&chain, spr);
    load_pem(&roots, intel_root);
    der = vt_x509_der(chain.c[0], &len);
    copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, der, len);
    copy[len - 1] ^= 0x01; /* the leaf's signature */
    assert_int_equal(vt_x509_from_der(&tampered, copy, len, &err), VT_OK);
    bad.c[0] = tampered;
    bad.c[1] = chain.c[1];
    bad.c[2] = chain.c[2];
    expect_fail(verify(&bad, 3, &roots, NULL, 0, "2023-07-01T01:00:00Z", &res, &err), &err, "bad signature");
    assert_non_null(strstr(err.msg, "CN=Intel SGX PCK Certificate"));
    /* out of order: names no longer chain */
    bad.c[1] = chain.c[0];
    bad.c[0] = chain.c[1];
    expect_fail(verify(&bad, 3, &roots, NULL, 0, "2023-07-01T01:00:00Z", &res, &err), &err, "does not match");
    vt_x509_free(tampered);
    free(copy);
    certs_free(&chain);
    certs_free(&roots);
}

static void test_crypto_chain_vectors__every_tdx_quote(void **state)
{
    static const struct {
        const char *quote, *when;
    } q[] = {
        { "tdx/gotdx-cos113-gce/quote.bin", "2024-07-04T12:07:37Z" },
        { "tdx/gotdx-spr-e4-v4/quote.bin", "2022-09-22T13:20:31Z" },
        { "tdx/gotdx-v5-tdx15/quote.bin", "2026-01-29T14:36:27Z" },
        { "tdx/trustee-quote4-debug/quote.bin", "2023-02-09T08:02:55Z" },
        { "tdx/trustee-quote5-v5/quote.bin", "2024-03-20T08:43:51Z" },
        { "tdx/trustee-quote6-00a06d/quote.bin", "2025-04-10T09:58:52Z" },
    };
    certs roots = { 0 };

    (void)state;
    load_pem(&roots, intel_root);
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        certs chain = { 0 };
        vt_chain_result res;
        vt_err err = { 0 };

        load_quote_chain(&chain, q[i].quote);
        if (verify(&chain, 3, &roots, NULL, 0, q[i].when, &res, &err) != VT_OK)
            fail_msg("%s: %s", q[i].quote, err.msg);
        certs_free(&chain);
    }
    certs_free(&roots);
}

/* The TCB Signing cert re-issued in 2025 keeps serial, subject and key; only DER and validity differ. */
static void test_crypto_chain_vectors__tcb_signing_reissue(void **state)
{
    certs old = { 0 }, cur = { 0 }, roots = { 0 };
    char s1[80], s2[80];
    uint8_t f1[32], f2[32];
    vt_chain_result res;
    vt_err err = { 0 };

    (void)state;
    load_pem(&old, "tdx/gotdx-spr-e4-v4/collateral-2023-06-gotdx/tcb_signing_chain.pem");
    load_pem(&cur, "tdx/gotdx-spr-e4-v4/collateral-2026-03-lunal/tcb_signing_chain.pem");
    load_pem(&roots, intel_root);
    assert_int_equal(old.n, 2);
    assert_int_equal(cur.n, 2);
    vt_x509_serial_hex(old.c[0], s1, sizeof(s1));
    vt_x509_serial_hex(cur.c[0], s2, sizeof(s2));
    assert_string_equal(s1, s2);
    vt_x509_fingerprint(old.c[0], f1);
    vt_x509_fingerprint(cur.c[0], f2);
    assert_memory_not_equal(f1, f2, 32);
    assert_int_equal(verify(&old, 2, &roots, NULL, 0, "2023-07-01T01:00:00Z", &res, &err), VT_OK);
    expect_fail(verify(&old, 2, &roots, NULL, 0, "2025-06-01T00:00:00Z", &res, &err), &err, "has expired");
    assert_non_null(strstr(err.msg, "CN=Intel SGX TCB Signing"));
    assert_int_equal(verify(&cur, 2, &roots, NULL, 0, "2026-04-01T00:00:00Z", &res, &err), VT_OK);
    assert_int_equal(res.not_after, vt_test_time("2032-05-06T09:25:00Z"));
    certs_free(&old);
    certs_free(&cur);
    certs_free(&roots);
}

/* Raw r||s ECDSA on real bytes: the quote signature (attestation key) and
 * the QE report signature (PCK leaf key) of a v4 quote. */
static void test_crypto_chain_vectors__tdx_quote_signatures(void **state)
{
    certs chain = { 0 };
    vt_buf b;
    vt_pkey *att = NULL, *pck = NULL;
    vt_err err = { 0 };
    const uint8_t *q;

    (void)state;
    vt_buf_init(&b);
    vt_test_load(&b, spr);
    assert_true(b.len > 1154 + 64);
    q = b.data;
    assert_int_equal(q[0] | q[1] << 8, 4);
    assert_int_equal(vt_pkey_from_ec_raw(&att, VT_KEY_EC_P256, q + 700, 64, &err), VT_OK);
    if (vt_ecdsa_verify_raw(att, VT_MD_SHA256, q, 632, q + 636, 64, &err) != VT_OK)
        fail_msg("quote signature: %s", err.msg);
    load_quote_chain(&chain, spr);
    assert_int_equal(vt_x509_pubkey(&pck, chain.c[0], &err), VT_OK);
    assert_int_equal(vt_pkey_type(pck), VT_KEY_EC_P256);
    if (vt_ecdsa_verify_raw(pck, VT_MD_SHA256, q + 770, 384, q + 1154, 64, &err) != VT_OK)
        fail_msg("QE report signature: %s", err.msg);
    /* one flipped bit in the signed body */
    b.data[100] ^= 0x04;
    assert_int_equal(vt_ecdsa_verify_raw(att, VT_MD_SHA256, q, 632, q + 636, 64, &err), VT_E_CRYPTO);
    vt_pkey_free(att);
    vt_pkey_free(pck);
    vt_buf_free(&b);
    certs_free(&chain);
}

/* PCK extensions: FMSPC sits inside the SGX extension 1.2.840.113741.1.13.1. */
static void test_crypto_chain_vectors__pck_extension(void **state)
{
    certs chain = { 0 };
    const uint8_t *v = NULL;
    size_t len = 0;
    vt_err err = { 0 };
    static const uint8_t fmspc[6] = { 0x50, 0x80, 0x6f, 0x00, 0x00, 0x00 };

    (void)state;
    load_quote_chain(&chain, spr);
    assert_int_equal(vt_x509_ext(chain.c[0], "1.2.840.113741.1.13.1", &v, &len, &err), VT_OK);
    assert_true(len > 100);
    assert_int_equal(v[0], 0x30); /* SEQUENCE */
    assert_non_null(memmem(v, len, fmspc, sizeof(fmspc)));
    assert_int_equal(vt_x509_ext(chain.c[2], "1.2.840.113741.1.13.1", &v, &len, &err), VT_E_NOTFOUND);
    assert_null(v);
    certs_free(&chain);
}

/* AMD SEV-SNP: VCEK <- ASK <- ARK, RSA-PSS with SHA-384. */
static void test_crypto_chain_vectors__amd_vcek_chains(void **state)
{
    static const struct {
        const char *leaf, *ask, *ark, *when;
    } v[] = {
        { "sevsnp/gosev-milan-v2/vcek.der", "roots/amd_milan_ask.pem", "roots/amd_milan_ark.pem", "2022-09-26T00:55:28Z" },
        { "sevsnp/lunal-genoa-v5/vcek.der", "roots/amd_genoa_ask.pem", "roots/amd_genoa_ark.pem", "2026-02-19T23:01:36Z" },
        { "sevsnp/virtee-turin-vcek-only/vcek.der", "roots/amd_turin_ask.pem", "roots/amd_turin_ark.pem", "2024-11-08T21:14:00Z" },
        { "sevsnp/trustee-milan-vlek-aws-v3/vlek.der", "roots/amd_milan_asvk.pem", "roots/amd_milan_ark.pem", "2024-12-12T22:14:21Z" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        certs chain = { 0 }, roots = { 0 };
        vt_chain_result res;
        vt_err err = { 0 };

        load_der(&chain, v[i].leaf);
        load_pem(&chain, v[i].ask);
        load_pem(&roots, v[i].ark);
        if (verify(&chain, 2, &roots, NULL, 0, v[i].when, &res, &err) != VT_OK)
            fail_msg("%s: %s", v[i].leaf, err.msg);
        certs_free(&chain);
        certs_free(&roots);
    }
}

static void test_crypto_chain_vectors__amd_invalid_vceks(void **state)
{
    static const char *bad[] = { "sevsnp/negative/trustee-test-vcek-invalid-legacy.der",
                                 "sevsnp/negative/trustee-test-vcek-invalid-new.der" };

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        certs chain = { 0 }, roots = { 0 };
        vt_chain_result res;
        vt_err err = { 0 };

        load_der(&chain, bad[i]);
        load_pem(&chain, "roots/amd_milan_ask.pem");
        load_pem(&roots, "roots/amd_milan_ark.pem");
        assert_int_equal(verify(&chain, 2, &roots, NULL, 0, "2023-01-26T17:58:26Z", &res, &err), VT_E_CRYPTO);
        certs_free(&chain);
        certs_free(&roots);
    }
}

/* NVIDIA GPU and NVSwitch: 5 P-384 certificates ending at the device identity root. */
static void test_crypto_chain_vectors__nvidia_chains(void **state)
{
    static const char *dirs[] = { "nvtrust-h100-sample", "ppcie-h100-gpu0", "ppcie-nvswitch-ls10-0" };

    (void)state;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        certs chain = { 0 }, roots = { 0 };
        char rel[256];
        vt_time nb, na, late = 0;
        vt_chain_result res;
        vt_err err = { 0 };

        snprintf(rel, sizeof(rel), "nvgpu/%s/certchain.pem", dirs[i]);
        load_pem(&chain, rel);
        load_pem(&roots, "roots/nvidia_device_identity_ca.pem");
        assert_int_equal(chain.n, 5);
        for (size_t j = 0; j < chain.n; j++) { /* device leaves predate their CAs */
            vt_x509_validity(chain.c[j], &nb, &na);
            late = nb > late ? nb : late;
        }
        if (vt_chain_verify(&res, chain.c, chain.n, roots.c, roots.n, NULL, 0, late + 86400, &err) != VT_OK)
            fail_msg("%s: %s", rel, err.msg);
        assert_int_equal(res.not_before, late);
        certs_free(&chain);
        certs_free(&roots);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto_chain_vectors__pck_chain_valid_with_crls),
        cmocka_unit_test(test_crypto_chain_vectors__pck_chain_window_without_crls),
        cmocka_unit_test(test_crypto_chain_vectors__before_not_before),
        cmocka_unit_test(test_crypto_chain_vectors__after_not_after),
        cmocka_unit_test(test_crypto_chain_vectors__root_not_trusted),
        cmocka_unit_test(test_crypto_chain_vectors__root_appended_implicitly),
        cmocka_unit_test(test_crypto_chain_vectors__crl_outside_window),
        cmocka_unit_test(test_crypto_chain_vectors__crl_bad_signature),
        cmocka_unit_test(test_crypto_chain_vectors__crl_of_other_issuer_ignored),
        cmocka_unit_test(test_crypto_chain_vectors__tampered_certificate),
        cmocka_unit_test(test_crypto_chain_vectors__every_tdx_quote),
        cmocka_unit_test(test_crypto_chain_vectors__tcb_signing_reissue),
        cmocka_unit_test(test_crypto_chain_vectors__tdx_quote_signatures),
        cmocka_unit_test(test_crypto_chain_vectors__pck_extension),
        cmocka_unit_test(test_crypto_chain_vectors__amd_vcek_chains),
        cmocka_unit_test(test_crypto_chain_vectors__amd_invalid_vceks),
        cmocka_unit_test(test_crypto_chain_vectors__nvidia_chains),
    };

    vt_test_require_vectors();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
