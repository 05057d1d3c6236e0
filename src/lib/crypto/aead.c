/* AES-256-GCM in one call (96-bit nonce, 128-bit tag): the AEAD under sealed
 * blobs and encrypted model segments. */
#include <limits.h>
#include <string.h>
#include <pthread.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto_int.h"

/* Fetched once: an implicit fetch in every EVP_CipherInit costs a lookup per segment. */
static EVP_CIPHER *aes256gcm;
static pthread_once_t aead_once = PTHREAD_ONCE_INIT;

static void aead_fetch(void)
{
    aes256gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

vt_status vt__aead_init(EVP_CIPHER_CTX *c, bool enc, const uint8_t key[VT_AEAD_KEY_LEN],
                        const uint8_t nonce[VT_AEAD_NONCE_LEN], const void *aad, size_t aad_len, vt_err *err)
{
    int n = 0;

    if (pthread_once(&aead_once, aead_fetch) != 0 || aes256gcm == NULL)
        return vt_err_set(err, VT_E_CRYPTO, "aead: AES-256-GCM unavailable");
    if ((aad == NULL && aad_len > 0) || aad_len > INT_MAX)
        return vt_err_set(err, VT_E_ARG, "aead: missing associated data");
    if (EVP_CipherInit_ex2(c, aes256gcm, key, nonce, enc ? 1 : 0, NULL) != 1 ||
        (aad_len > 0 && EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) != 1)) {
        ERR_clear_error();
        return vt_err_set(err, VT_E_CRYPTO, "aead: cipher setup failed");
    }
    return VT_OK;
}

vt_status vt__aead_update(EVP_CIPHER_CTX *c, uint8_t *out, const uint8_t *in, size_t len, vt_err *err)
{
    size_t done = 0;
    int n = 0;

    if (in == NULL && len > 0)
        return vt_err_set(err, VT_E_ARG, "aead: missing input");
    while (done < len) {
        size_t step = len - done > (size_t)1 << 30 ? (size_t)1 << 30 : len - done;
        if (EVP_CipherUpdate(c, out + done, &n, in + done, (int)step) != 1) {
            ERR_clear_error();
            return vt_err_set(err, VT_E_CRYPTO, "aead: cipher failed");
        }
        done += step;
    }
    return VT_OK;
}

vt_status vt__aead_final(EVP_CIPHER_CTX *c, bool enc, uint8_t tag[VT_AEAD_TAG_LEN], vt_err *err)
{
    uint8_t fin[32]; /* GCM's final writes nothing; somewhere valid to point at */
    int n = 0;

    if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, VT_AEAD_TAG_LEN, tag) != 1) {
        ERR_clear_error();
        return vt_err_set(err, VT_E_CRYPTO, "aead: cannot set the tag");
    }
    if (EVP_CipherFinal_ex(c, fin, &n) != 1) {
        ERR_clear_error();
        return vt_err_set(err, VT_E_CRYPTO, "aead: authentication failed (wrong key, or the data was altered)");
    }
    if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, VT_AEAD_TAG_LEN, tag) != 1) {
        ERR_clear_error();
        return vt_err_set(err, VT_E_CRYPTO, "aead: cannot read the tag");
    }
    return VT_OK;
}

static vt_status gcm(bool enc, uint8_t *out, uint8_t tag[VT_AEAD_TAG_LEN], const uint8_t key[VT_AEAD_KEY_LEN],
                     const uint8_t nonce[VT_AEAD_NONCE_LEN], const void *aad, size_t aad_len, const uint8_t *in,
                     size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

    if (c == NULL)
        return vt_err_set(err, VT_E_NOMEM, "aead: out of memory");
    rc = vt__aead_init(c, enc, key, nonce, aad, aad_len, err);
    if (rc == VT_OK)
        rc = vt__aead_update(c, out, in, len, err);
    if (rc == VT_OK)
        rc = vt__aead_final(c, enc, tag, err);
    if (rc != VT_OK && len > 0)
        OPENSSL_cleanse(out, len); /* no unauthenticated plaintext leaves */
    EVP_CIPHER_CTX_free(c);
    return rc;
}

vt_status vt_aead_seal(uint8_t *ct, uint8_t tag[VT_AEAD_TAG_LEN], const uint8_t key[VT_AEAD_KEY_LEN],
                       const uint8_t nonce[VT_AEAD_NONCE_LEN], const void *aad, size_t aad_len, const uint8_t *pt,
                       size_t len, vt_err *err)
{
    return gcm(true, ct, tag, key, nonce, aad, aad_len, pt, len, err);
}

vt_status vt_aead_open(uint8_t *pt, const uint8_t key[VT_AEAD_KEY_LEN], const uint8_t nonce[VT_AEAD_NONCE_LEN],
                       const void *aad, size_t aad_len, const uint8_t *ct, size_t len,
                       const uint8_t tag[VT_AEAD_TAG_LEN], vt_err *err)
{
    uint8_t t[VT_AEAD_TAG_LEN];
    vt_status rc;

    memcpy(t, tag, sizeof(t)); /* tag may alias a buffer the caller reuses */
    rc = gcm(false, pt, t, key, nonce, aad, aad_len, ct, len, err);
    return rc;
}
