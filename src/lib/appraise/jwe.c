/* JWE to an EC P-256 key: ECDH-ES + A256GCM, through cjose (include/veritee/jwe.h). */
#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include <jansson.h>

#include "appraise/appraise_int.h"
#include "base/enc.h"
#include "crypto/crypto_int.h"
#include "veritee/jwe.h"

/* epk is a P-256 public key on the curve, read by our strict JWK reader: cjose 0.6 decodes its x
 * and y with a base64 decoder that asserts, and aborts the process, on some text. */
static vt_status epk_check(const json_t *epk, vt_err *err)
{
    vt_pkey *k = NULL;
    vt_status rc;

    if (!json_is_object(epk))
        return vt_err_set(err, VT_E_FORMAT, "jwe: the protected header has no epk object");
    rc = vt__jwk_from_object(&k, epk, NULL);
    if (rc == VT_OK && vt_pkey_type(k) != VT_KEY_EC_P256)
        rc = VT_E_UNSUPPORTED;
    vt_pkey_free(k);
    return rc == VT_OK ? VT_OK : vt_err_set(err, VT_E_FORMAT, "jwe: epk is not a P-256 public key");
}

/* v is absent, or base64url (apu and apv, RFC 7518 4.6.1.2): refused as malformed, not left to cjose. */
static bool b64url_or_absent(const json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);

    return v == NULL || (s != NULL && n % 4 != 1 && vt__b64url_prefix(s, n) == n);
}

/* The protected header, checked before cjose sees the token: "alg" ECDH-ES and
 * "enc" A256GCM, nothing else (no algorithm chosen by the sender), "epk" a P-256 point; and
 * when kid is not NULL, "kid" exactly kid (a header naming another, or none, is refused before
 * anything is decrypted; one that names it is authenticated by the decryption, as associated
 * data). */
static vt_status check_header(const char *jwe, size_t len, const char *kid, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const char *dot = memchr(jwe, '.', len), *alg, *enc, *hkid;
    json_t *h = NULL;
    vt_buf raw;

    vt_buf_init(&raw);
    if (dot == NULL)
        return vt_err_set(err, VT_E_FORMAT, "jwe: not a compact JWE (no '.')");
    rc = vt__b64url_decode(&raw, jwe, (size_t)(dot - jwe), 4096, "protected header", err);
    if (rc != VT_OK)
        goto out;
    h = json_loadb((const char *)raw.data, raw.len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(h)) {
        rc = vt_err_set(err, VT_E_FORMAT, "jwe: protected header is not a JSON object");
        goto out;
    }
    alg = json_string_value(json_object_get(h, "alg"));
    enc = json_string_value(json_object_get(h, "enc"));
    if (alg == NULL || strcmp(alg, "ECDH-ES") != 0)
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "jwe: alg %.32s is not ECDH-ES", alg != NULL ? alg : "(none)");
    else if (enc == NULL || strcmp(enc, "A256GCM") != 0)
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "jwe: enc %.32s is not A256GCM", enc != NULL ? enc : "(none)");
    else if (json_object_get(h, "zip") != NULL || json_object_get(h, "crit") != NULL)
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "jwe: zip and crit are not supported");
    else if (!b64url_or_absent(json_object_get(h, "apu")) || !b64url_or_absent(json_object_get(h, "apv")))
        rc = vt_err_set(err, VT_E_FORMAT, "jwe: apu and apv must be base64url");
    else
        rc = epk_check(json_object_get(h, "epk"), err);
    hkid = json_string_value(json_object_get(h, "kid"));
    if (rc == VT_OK && kid != NULL && hkid == NULL)
        rc = vt_err_set(err, VT_E_POLICY, "jwe: the protected header names no kid, expected '%.64s'", kid);
    else if (rc == VT_OK && kid != NULL && strcmp(hkid, kid) != 0)
        rc = vt_err_set(err, VT_E_POLICY, "jwe: the protected header's kid '%.64s' is not the expected '%.64s'",
                        hkid, kid);
out:
    json_decref(h);
    vt_buf_free(&raw);
    return rc;
}

/* The parts after the header, checked before cjose sees them (cjose 0.6 hands an IV of any length
 * to the cipher, which reads 12 bytes from it, and its base64 decoder asserts on some text that
 * is not base64url): exactly five parts, the encrypted key empty (ECDH-ES agrees the key
 * directly), a 12-byte IV, ciphertext in base64url, a 16-byte tag. */
static vt_status check_parts(const char *jwe, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const char *at[5], *end = jwe + len;
    size_t n[5];
    vt_buf iv, tag;

    at[0] = jwe;
    for (int i = 1; i < 5; i++) {
        const char *dot = memchr(at[i - 1], '.', (size_t)(end - at[i - 1]));
        if (dot == NULL)
            return vt_err_set(err, VT_E_FORMAT, "jwe: not a compact JWE (%d parts, not 5)", i);
        n[i - 1] = (size_t)(dot - at[i - 1]);
        at[i] = dot + 1;
    }
    n[4] = (size_t)(end - at[4]);
    if (memchr(at[4], '.', n[4]) != NULL)
        return vt_err_set(err, VT_E_FORMAT, "jwe: not a compact JWE (more than 5 parts)");
    if (n[1] != 0)
        return vt_err_set(err, VT_E_FORMAT, "jwe: the encrypted key must be empty for ECDH-ES");
    /* cjose's base64 decoder asserts (and aborts) on some non-canonical text: the URL alphabet only */
    if (n[3] % 4 == 1 || vt__b64url_prefix(at[3], n[3]) != n[3])
        return vt_err_set(err, VT_E_FORMAT, "jwe: the ciphertext is not base64url");
    vt_buf_init(&iv);
    vt_buf_init(&tag);
    if (vt__b64url_decode(&iv, at[2], n[2], 12, "IV", NULL) != VT_OK || iv.len != 12 ||
        vt__b64url_decode(&tag, at[4], n[4], 16, "tag", NULL) != VT_OK || tag.len != 16)
        rc = vt_err_set(err, VT_E_FORMAT, "jwe: the IV and the tag must be base64url of 12 and 16 bytes (A256GCM)");
    else
        rc = VT_OK;
    vt_buf_free(&iv);
    vt_buf_free(&tag);
    return rc;
}

/* The cjose JWK for k: public only, or with the private scalar. */
static vt_status to_cjose(cjose_jwk_t **out, const vt_pkey *k, bool priv, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    cjose_jwk_ec_keyspec spec;
    uint8_t d[32];
    BIGNUM *bn = NULL;
    cjose_err cerr;
    vt_buf pub;

    *out = NULL;
    vt_buf_init(&pub);
    memset(&spec, 0, sizeof(spec));
    if (k == NULL || vt_pkey_type(k) != VT_KEY_EC_P256)
        return vt_err_set(err, VT_E_UNSUPPORTED, "jwe: the key must be EC P-256");
    rc = vt_pkey_public_raw(&pub, k, err);
    if (rc != VT_OK)
        goto out;
    if (priv && (EVP_PKEY_get_bn_param(vt__pkey_get(k), OSSL_PKEY_PARAM_PRIV_KEY, &bn) != 1 ||
                 BN_bn2binpad(bn, d, sizeof(d)) != (int)sizeof(d))) {
        rc = vt_err_set(err, VT_E_ARG, "jwe: the key has no private part");
        goto out;
    }
    spec.crv = CJOSE_JWK_EC_P_256;
    spec.x = pub.data;
    spec.xlen = 32;
    spec.y = pub.data + 32;
    spec.ylen = 32;
    if (priv) {
        spec.d = d;
        spec.dlen = sizeof(d);
    }
    *out = cjose_jwk_create_EC_spec(&spec, &cerr);
    rc = *out != NULL ? VT_OK : vt_err_set(err, VT_E_CRYPTO, "jwe: key: %s", cerr.message);
out:
    OPENSSL_cleanse(d, sizeof(d));
    BN_clear_free(bn);
    vt_buf_free(&pub);
    return rc;
}

vt_status vt_jwe_encrypt(char **jwe_out, const vt_pkey *recipient, const char *kid, const uint8_t *p, size_t len,
                         vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    cjose_jwk_t *jwk = NULL;
    cjose_header_t *hdr = NULL;
    cjose_jwe_t *jwe = NULL;
    cjose_err cerr;
    char *s = NULL;

    *jwe_out = NULL;
    if (p == NULL || len == 0)
        return vt_err_set(err, VT_E_ARG, "jwe: nothing to encrypt");
    if (len > VT_JWE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "jwe: plaintext of %zu bytes above the %zu-byte maximum", len, VT_JWE_MAX);
    rc = to_cjose(&jwk, recipient, false, err);
    if (rc != VT_OK)
        goto out;
    hdr = cjose_header_new(&cerr);
    if (hdr == NULL || !cjose_header_set(hdr, CJOSE_HDR_ALG, CJOSE_HDR_ALG_ECDH_ES, &cerr) ||
        !cjose_header_set(hdr, CJOSE_HDR_ENC, CJOSE_HDR_ENC_A256GCM, &cerr) ||
        (kid != NULL && !cjose_header_set(hdr, CJOSE_HDR_KID, kid, &cerr))) {
        rc = vt_err_set(err, VT_E_NOMEM, "jwe: header: %s", cerr.message);
        goto out;
    }
    jwe = cjose_jwe_encrypt(jwk, hdr, p, len, &cerr);
    if (jwe != NULL)
        s = cjose_jwe_export(jwe, &cerr);
    if (s == NULL) {
        rc = vt_err_set(err, VT_E_CRYPTO, "jwe: encrypt: %s", cerr.message);
        goto out;
    }
    *jwe_out = s;
    rc = VT_OK;
out:
    cjose_jwe_release(jwe);
    cjose_header_release(hdr);
    cjose_jwk_release(jwk);
    return rc;
}

vt_status vt_jwe_decrypt_kid(vt_buf *out, const vt_pkey *priv, const char *kid, const char *jwe, size_t len,
                             vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    cjose_jwk_t *jwk = NULL;
    cjose_jwe_t *j = NULL;
    cjose_err cerr;
    uint8_t *pt = NULL;
    size_t pt_len = 0;

    if (jwe == NULL || len == 0 || len > VT_JWE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "jwe: token of %zu bytes (1..%zu)", jwe == NULL ? 0 : len, VT_JWE_MAX);
    rc = check_header(jwe, len, kid, err);
    if (rc == VT_OK)
        rc = check_parts(jwe, len, err);
    if (rc != VT_OK)
        goto out;
    j = cjose_jwe_import(jwe, len, &cerr);
    if (j == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "jwe: not a compact JWE: %s", cerr.message);
        goto out;
    }
    rc = to_cjose(&jwk, priv, true, err);
    if (rc != VT_OK)
        goto out;
    pt = cjose_jwe_decrypt(j, jwk, &pt_len, &cerr);
    if (pt == NULL) {
        rc = vt_err_set(err, VT_E_CRYPTO, "jwe: does not decrypt under this key (another recipient, or altered)");
        goto out;
    }
    rc = vt_buf_append(out, pt, pt_len, err);
out:
    if (pt != NULL) {
        OPENSSL_cleanse(pt, pt_len);
        free(pt);
    }
    cjose_jwe_release(j);
    cjose_jwk_release(jwk);
    return rc;
}

vt_status vt_jwe_decrypt(vt_buf *out, const vt_pkey *priv, const char *jwe, size_t len, vt_err *err)
{
    return vt_jwe_decrypt_kid(out, priv, NULL, jwe, len, err);
}
