/* HMAC and HKDF (RFC 5869) over SHA-2, with gathering variants so callers such
 * as HPKE's labeled extract/expand never copy their pieces together. */
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto_int.h"

#define HKDF_PIECES_MAX 8

/* One HMAC context per digest, keyed never: each use duplicates it and sets a
 * key, which avoids a provider lookup per call. */
static EVP_MAC *hmac;
static EVP_MAC_CTX *hmac_tmpl[3];
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
    static const char *const names[3] = { "SHA2-256", "SHA2-384", "SHA2-512" };
    OSSL_PARAM params[2];

    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (hmac == NULL)
        return;
    for (size_t i = 0; i < 3; i++) {
        hmac_tmpl[i] = EVP_MAC_CTX_new(hmac);
        if (hmac_tmpl[i] == NULL)
            continue;
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)names[i], 0);
        params[1] = OSSL_PARAM_construct_end();
        if (EVP_MAC_CTX_set_params(hmac_tmpl[i], params) != 1) {
            EVP_MAC_CTX_free(hmac_tmpl[i]);
            hmac_tmpl[i] = NULL;
        }
    }
    ERR_clear_error();
}

static EVP_MAC_CTX *hmac_new(vt_md md, vt_err *err)
{
    EVP_MAC_CTX *c;
    int i = md == VT_MD_SHA256 ? 0 : md == VT_MD_SHA384 ? 1 : md == VT_MD_SHA512 ? 2 : -1;

    if (i < 0) {
        vt_err_set(err, VT_E_ARG, "kdf: digest %d unknown", (int)md);
        return NULL;
    }
    if (pthread_once(&hmac_once, hmac_fetch) != 0 || hmac_tmpl[i] == NULL) {
        vt_err_set(err, VT_E_INTERNAL, "kdf: HMAC-%s unavailable in OpenSSL", vt_md_name(md));
        return NULL;
    }
    c = EVP_MAC_CTX_dup(hmac_tmpl[i]);
    if (c == NULL)
        vt_err_set(err, VT_E_NOMEM, "kdf: out of memory");
    return c;
}

vt_status vt_hmacv(uint8_t *out, vt_md md, const void *key, size_t key_len, const void *const *p,
                   const size_t *len, size_t count, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    EVP_MAC_CTX *c = NULL;
    size_t n = 0;
    static const uint8_t zero;

    c = hmac_new(md, err);
    if (c == NULL) {
        rc = err != NULL ? err->code : VT_E_INTERNAL;
        goto out;
    }
    /* An empty key is legal in HKDF (no salt); OpenSSL wants a pointer. */
    if (EVP_MAC_init(c, key_len > 0 ? key : &zero, key_len, NULL) != 1) {
        rc = vt_err_set(err, VT_E_CRYPTO, "kdf: HMAC key refused");
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        if (len[i] > 0 && EVP_MAC_update(c, p[i], len[i]) != 1) {
            rc = vt_err_set(err, VT_E_CRYPTO, "kdf: HMAC update failed");
            goto out;
        }
    }
    if (EVP_MAC_final(c, out, &n, vt_md_len(md)) != 1 || n != vt_md_len(md)) {
        rc = vt_err_set(err, VT_E_CRYPTO, "kdf: HMAC final failed");
        goto out;
    }
    rc = VT_OK;
out:
    EVP_MAC_CTX_free(c); /* OpenSSL cleanses the key schedule */
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

vt_status vt_hkdf_extractv(uint8_t *prk, vt_md md, const void *salt, size_t salt_len,
                           const void *const *ikm, const size_t *ikm_len, size_t count, vt_err *err)
{
    uint8_t zeros[VT_MD_MAX] = { 0 };

    if (vt_md_len(md) == 0)
        return vt_err_set(err, VT_E_ARG, "kdf: digest %d unknown", (int)md);
    /* RFC 5869 §2.2: no salt means HashLen zero bytes. */
    if (salt_len == 0)
        return vt_hmacv(prk, md, zeros, vt_md_len(md), ikm, ikm_len, count, err);
    return vt_hmacv(prk, md, salt, salt_len, ikm, ikm_len, count, err);
}

vt_status vt_hkdf_expandv(uint8_t *out, size_t out_len, vt_md md, const uint8_t *prk, size_t prk_len,
                          const void *const *info, const size_t *info_len, size_t count, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const void *p[HKDF_PIECES_MAX + 2];
    size_t len[HKDF_PIECES_MAX + 2];
    uint8_t t[VT_MD_MAX];
    size_t h = vt_md_len(md), done = 0, n;
    uint8_t ctr = 0;

    if (h == 0)
        return vt_err_set(err, VT_E_ARG, "kdf: digest %d unknown", (int)md);
    if (count > HKDF_PIECES_MAX)
        return vt_err_set(err, VT_E_ARG, "kdf: %zu info pieces, at most %d", count, HKDF_PIECES_MAX);
    if (out_len > 255 * h)
        return vt_err_set(err, VT_E_ARG, "kdf: expand length %zu passes 255 * %zu", out_len, h);
    while (done < out_len) {
        /* T(i) = HMAC(PRK, T(i-1) || info || i) */
        size_t k = 0;
        if (ctr > 0) {
            p[k] = t;
            len[k++] = h;
        }
        for (size_t i = 0; i < count; i++) {
            p[k] = info[i];
            len[k++] = info_len[i];
        }
        ctr++;
        p[k] = &ctr;
        len[k++] = 1;
        rc = vt_hmacv(t, md, prk, prk_len, p, len, k, err);
        if (rc != VT_OK)
            goto out;
        n = out_len - done < h ? out_len - done : h;
        memcpy(out + done, t, n);
        done += n;
    }
    rc = VT_OK;
out:
    vt_wipe(t, sizeof(t));
    if (rc != VT_OK && out_len > 0)
        vt_wipe(out, out_len);
    return rc;
}

vt_status vt_hkdf_extract(uint8_t *prk, vt_md md, const void *salt, size_t salt_len, const void *ikm,
                          size_t ikm_len, vt_err *err)
{
    return vt_hkdf_extractv(prk, md, salt, salt_len, &ikm, &ikm_len, 1, err);
}

vt_status vt_hkdf_expand(uint8_t *out, size_t out_len, vt_md md, const uint8_t *prk, size_t prk_len,
                         const void *info, size_t info_len, vt_err *err)
{
    return vt_hkdf_expandv(out, out_len, md, prk, prk_len, &info, &info_len, 1, err);
}

vt_status vt_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
                         size_t salt_len, const uint8_t *info, size_t info_len, vt_err *err)
{
    uint8_t prk[32];
    vt_status rc;

    if (out == NULL || out_len == 0 || out_len > 255 * 32 || (ikm == NULL && ikm_len > 0) ||
        (salt == NULL && salt_len > 0) || (info == NULL && info_len > 0))
        return vt_err_set(err, VT_E_ARG, "kdf: output length must be 1..%d bytes", 255 * 32);
    rc = vt_hkdf_extract(prk, VT_MD_SHA256, salt, salt_len, ikm, ikm_len, err);
    if (rc == VT_OK)
        rc = vt_hkdf_expand(out, out_len, VT_MD_SHA256, prk, sizeof(prk), info, info_len, err);
    OPENSSL_cleanse(prk, sizeof(prk));
    return rc;
}
