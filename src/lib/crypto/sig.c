/* Signatures: ECDSA (raw r||s and DER), Ed25519, RSA PKCS#1 v1.5 and RSA-PSS. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto_int.h"

/* DER ECDSA-Sig-Value for P-384: 2 + 2 * (2 + 1 + 48) = 104 bytes at most. */
#define ECDSA_DER_MAX 128
#define SIG_MAX 2048 /* RSA-16384 */

static vt_status ec_half(size_t *half, const vt_pkey *k, vt_err *err)
{
    switch (vt_pkey_type(k)) {
    case VT_KEY_EC_P256: *half = 32; return VT_OK;
    case VT_KEY_EC_P384: *half = 48; return VT_OK;
    default: break;
    }
    *half = 0;
    return vt_err_set(err, VT_E_ARG, "ecdsa: key is not a P-256 or P-384 key");
}

static vt_status md_check(const EVP_MD **m, vt_md md, const char *who, vt_err *err)
{
    *m = md == VT_MD_SHA1 ? NULL : vt__md_get(md); /* SHA-1 is for digests only */
    if (*m == NULL)
        return vt_err_set(err, VT_E_ARG, "%s: digest %d unknown or not allowed for signatures", who, (int)md);
    return VT_OK;
}

/* Hash-then-verify of a DER ECDSA signature; the EVP_MD was fetched once. */
static vt_status ecdsa_verify_der(const vt_pkey *k, vt_md md, const void *msg, size_t len,
                                  const uint8_t *der, size_t der_len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    uint8_t dgst[VT_MD_MAX];
    EVP_PKEY_CTX *ctx = NULL;
    int ok = 0;

    rc = vt_digest(md, msg, len, dgst, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    ctx = vt__pkey_ctx_take(k, false);
    if (ctx == NULL) {
        vt_err_set(err, rc, "ecdsa: verify init failed");
        goto out;
    }
    /* OpenSSL re-encodes the parsed signature and refuses non-canonical DER. */
    ok = EVP_PKEY_verify(ctx, der, der_len, dgst, vt_md_len(md));
    if (ok != 1) {
        rc = vt_err_set(err, VT_E_CRYPTO, "ecdsa: signature does not verify");
        goto out;
    }
    rc = VT_OK;
out:
    vt__pkey_ctx_give(k, ctx, false, ok >= 0); /* 0 is a signature that does not verify: the context is fine */
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

/* Hash-then-sign with ECDSA; the DER signature goes to der (at most ECDSA_DER_MAX). */
static vt_status ecdsa_sign_der(uint8_t *der, size_t *der_len, const vt_pkey *k, vt_md md,
                                const void *msg, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    uint8_t dgst[VT_MD_MAX];
    EVP_PKEY_CTX *ctx = NULL;
    size_t n = ECDSA_DER_MAX;

    rc = vt_digest(md, msg, len, dgst, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    ctx = vt__pkey_ctx_take(k, true);
    if (ctx == NULL || EVP_PKEY_sign(ctx, der, &n, dgst, vt_md_len(md)) != 1) {
        rc = vt_err_set(err, VT_E_ARG, "ecdsa: signing failed (no private key?)");
        goto out;
    }
    *der_len = n;
    rc = VT_OK;
out:
    vt__pkey_ctx_give(k, ctx, true, rc == VT_OK);
    OPENSSL_cleanse(dgst, sizeof(dgst));
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

vt_status vt_ecdsa_verify_raw(const vt_pkey *k, vt_md md, const void *msg, size_t len, const uint8_t *rs,
                              size_t rs_len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const EVP_MD *m;
    size_t half;
    ECDSA_SIG *sig = NULL;
    BIGNUM *r = NULL, *s = NULL;
    uint8_t der[ECDSA_DER_MAX];
    uint8_t *p = der;
    int der_len;

    rc = ec_half(&half, k, err);
    if (rc == VT_OK)
        rc = md_check(&m, md, "ecdsa", err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    if (rs_len != 2 * half) {
        rc = vt_err_set(err, VT_E_FORMAT, "ecdsa: raw signature is %zu bytes, want %zu", rs_len, 2 * half);
        goto out;
    }
    sig = ECDSA_SIG_new();
    r = BN_bin2bn(rs, (int)half, NULL);
    s = BN_bin2bn(rs + half, (int)half, NULL);
    if (sig == NULL || r == NULL || s == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "ecdsa: out of memory");
        goto out;
    }
    if (ECDSA_SIG_set0(sig, r, s) != 1) {
        vt_err_set(err, rc, "ecdsa: cannot build signature");
        goto out;
    }
    r = NULL; /* owned by sig */
    s = NULL;
    der_len = i2d_ECDSA_SIG(sig, NULL);
    if (der_len <= 0 || der_len > (int)sizeof(der) || i2d_ECDSA_SIG(sig, &p) != der_len) {
        vt_err_set(err, rc, "ecdsa: cannot encode signature");
        goto out;
    }
    rc = ecdsa_verify_der(k, md, msg, len, der, (size_t)der_len, err);
out:
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

vt_status vt_ecdsa_sign_raw(vt_buf *out, const vt_pkey *k, vt_md md, const void *msg, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const EVP_MD *m;
    size_t half, der_len = 0;
    uint8_t der[ECDSA_DER_MAX];
    uint8_t rs[96];
    const uint8_t *p = der;
    ECDSA_SIG *sig = NULL;
    const BIGNUM *r = NULL, *s = NULL;

    rc = ec_half(&half, k, err);
    if (rc == VT_OK)
        rc = md_check(&m, md, "ecdsa", err);
    if (rc == VT_OK)
        rc = ecdsa_sign_der(der, &der_len, k, md, msg, len, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (sig == NULL || p != der + der_len) {
        vt_err_set(err, rc, "ecdsa: cannot decode own signature");
        goto out;
    }
    ECDSA_SIG_get0(sig, &r, &s);
    if (BN_bn2binpad(r, rs, (int)half) != (int)half || BN_bn2binpad(s, rs + half, (int)half) != (int)half) {
        vt_err_set(err, rc, "ecdsa: signature values too large");
        goto out;
    }
    rc = vt_buf_append(out, rs, 2 * half, err);
out:
    ECDSA_SIG_free(sig);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

/* EVP_MD_CTX for one-shot DigestSign/DigestVerify with Ed25519 or RSA. */
static vt_status md_ctx_init(EVP_MD_CTX **out, const vt_pkey *k, const EVP_MD *m, bool pss, bool sign,
                             vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx = NULL; /* borrowed from mctx */
    bool rsa = vt_pkey_type(k) == VT_KEY_RSA;
    int ok;

    *out = NULL;
    mctx = EVP_MD_CTX_new();
    if (mctx == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "sig: out of memory");
        goto out;
    }
    if (sign)
        ok = EVP_DigestSignInit(mctx, &pctx, rsa ? m : NULL, NULL, vt__pkey_get(k));
    else
        ok = EVP_DigestVerifyInit(mctx, &pctx, rsa ? m : NULL, NULL, vt__pkey_get(k));
    if (ok != 1) {
        rc = vt_err_set(err, VT_E_ARG, "sig: key cannot %s", sign ? "sign" : "verify");
        goto out;
    }
    if (rsa) {
        if (pss) {
            ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
                 EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
                 EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, m) == 1;
        } else {
            ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
        }
        if (!ok) {
            rc = vt_err_set(err, VT_E_ARG, "sig: RSA %s padding refused by the key", pss ? "PSS" : "PKCS#1");
            goto out;
        }
    }
    *out = mctx;
    mctx = NULL;
    rc = VT_OK;
out:
    EVP_MD_CTX_free(mctx);
    return rc;
}

static vt_status sig_prepare(const EVP_MD **m, const vt_pkey *k, vt_md md, bool pss, vt_err *err)
{
    vt_key_type t = vt_pkey_type(k);

    *m = NULL;
    if (t == VT_KEY_NONE || t == VT_KEY_EC_P521) /* P-521: TPM EKs, which are never signature keys here */
        return vt_err_set(err, VT_E_UNSUPPORTED, "sig: key type not supported");
    if (pss && t != VT_KEY_RSA)
        return vt_err_set(err, VT_E_ARG, "sig: PSS requested for a non-RSA key");
    if (t == VT_KEY_ED25519)
        return VT_OK; /* pure EdDSA: md is not used */
    return md_check(m, md, "sig", err);
}

vt_status vt_sig_verify(const vt_pkey *k, vt_md md, bool pss, const void *msg, size_t len, const uint8_t *sig,
                        size_t sig_len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const EVP_MD *m = NULL;
    EVP_MD_CTX *mctx = NULL;

    rc = sig_prepare(&m, k, md, pss, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    if (sig_len == 0 || sig_len > SIG_MAX) {
        rc = vt_err_set(err, VT_E_CRYPTO, "sig: %zu-byte signature does not verify", sig_len);
        goto out;
    }
    if (vt_pkey_type(k) == VT_KEY_EC_P256 || vt_pkey_type(k) == VT_KEY_EC_P384) {
        rc = ecdsa_verify_der(k, md, msg, len, sig, sig_len, err);
        goto out;
    }
    rc = md_ctx_init(&mctx, k, m, pss, false, err);
    if (rc != VT_OK)
        goto out;
    if (EVP_DigestVerify(mctx, sig, sig_len, msg, len) != 1) {
        rc = vt_err_set(err, VT_E_CRYPTO, "sig: %s signature does not verify",
                        vt_pkey_type(k) == VT_KEY_ED25519 ? "Ed25519" : pss ? "RSA-PSS" : "RSA");
        goto out;
    }
    rc = VT_OK;
out:
    EVP_MD_CTX_free(mctx);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

vt_status vt_sig_sign(vt_buf *out, const vt_pkey *k, vt_md md, bool pss, const void *msg, size_t len,
                      vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const EVP_MD *m = NULL;
    EVP_MD_CTX *mctx = NULL;
    uint8_t der[ECDSA_DER_MAX];
    size_t n = 0;

    rc = sig_prepare(&m, k, md, pss, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    if (vt_pkey_type(k) == VT_KEY_EC_P256 || vt_pkey_type(k) == VT_KEY_EC_P384) {
        rc = ecdsa_sign_der(der, &n, k, md, msg, len, err);
        if (rc == VT_OK)
            rc = vt_buf_append(out, der, n, err);
        goto out;
    }
    rc = md_ctx_init(&mctx, k, m, pss, true, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    if (EVP_DigestSign(mctx, NULL, &n, msg, len) != 1 || n == 0 || n > SIG_MAX) {
        rc = vt_err_set(err, VT_E_ARG, "sig: signing failed (no private key?)");
        goto out;
    }
    rc = vt_buf_reserve(out, n, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    if (EVP_DigestSign(mctx, out->data + out->len, &n, msg, len) != 1) {
        rc = vt_err_set(err, VT_E_ARG, "sig: signing failed (no private key?)");
        goto out;
    }
    out->len += n;
    out->data[out->len] = 0; /* vt_buf keeps a spare byte */
    rc = VT_OK;
out:
    EVP_MD_CTX_free(mctx);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}
