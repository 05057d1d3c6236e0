/* HKDF-SHA256 (RFC 5869), extract and expand in one call. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "crypto_int.h"

#define HKDF_MAX_OUT (255 * 32)

vt_status vt_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
                         size_t salt_len, const uint8_t *info, size_t info_len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    EVP_KDF *kdf = NULL;
    EVP_KDF_CTX *ctx = NULL;
    OSSL_PARAM params[5], *p = params;
    static const uint8_t empty[1] = { 0 };

    if (out == NULL || out_len == 0 || out_len > HKDF_MAX_OUT || (ikm == NULL && ikm_len > 0) ||
        (salt == NULL && salt_len > 0) || (info == NULL && info_len > 0))
        return vt_err_set(err, VT_E_ARG, "kdf: output length must be 1..%d bytes", HKDF_MAX_OUT);
    kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (kdf != NULL)
        ctx = EVP_KDF_CTX_new(kdf);
    if (ctx == NULL) {
        rc = vt_err_set(err, VT_E_CRYPTO, "kdf: HKDF unavailable");
        goto out;
    }
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    /* OpenSSL refuses a zero-length key: RFC 5869 allows it, HMAC pads it with zeros anyway. */
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm_len ? (void *)ikm : (void *)empty,
                                             ikm_len ? ikm_len : 1);
    if (salt_len > 0)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    if (info_len > 0)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    *p = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(ctx, out, out_len, params) != 1) {
        ERR_clear_error();
        rc = vt_err_set(err, VT_E_CRYPTO, "kdf: HKDF derivation failed");
        goto out;
    }
    rc = VT_OK;
out:
    if (rc != VT_OK)
        OPENSSL_cleanse(out, out_len);
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return rc;
}
