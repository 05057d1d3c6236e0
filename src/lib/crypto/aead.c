/* One-shot AEAD (AES-GCM, ChaCha20-Poly1305) with 96-bit nonces and 128-bit
 * tags, the shape HPKE and Oblivious HTTP use. */
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto_int.h"

static EVP_CIPHER *c_aes128gcm, *c_aes256gcm, *c_chacha;
static pthread_once_t cipher_once = PTHREAD_ONCE_INIT;

static void cipher_fetch(void)
{
    c_aes128gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    c_aes256gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    c_chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
    ERR_clear_error();
}

size_t vt_aead_key_len(vt_aead a)
{
    switch (a) {
    case VT_AEAD_AES_128_GCM: return 16;
    case VT_AEAD_AES_256_GCM: return 32;
    case VT_AEAD_CHACHA20_POLY1305: return 32;
    }
    return 0;
}

const char *vt_aead_name(vt_aead a)
{
    switch (a) {
    case VT_AEAD_AES_128_GCM: return "AES-128-GCM";
    case VT_AEAD_AES_256_GCM: return "AES-256-GCM";
    case VT_AEAD_CHACHA20_POLY1305: return "ChaCha20-Poly1305";
    }
    return "unknown";
}

static vt_status cipher_get(const EVP_CIPHER **out, vt_aead a, vt_err *err)
{
    *out = NULL;
    if (vt_aead_key_len(a) == 0)
        return vt_err_set(err, VT_E_ARG, "aead: algorithm %d unknown", (int)a);
    if (pthread_once(&cipher_once, cipher_fetch) != 0)
        return vt_err_set(err, VT_E_INTERNAL, "aead: initialisation failed");
    *out = a == VT_AEAD_AES_128_GCM ? c_aes128gcm : a == VT_AEAD_AES_256_GCM ? c_aes256gcm : c_chacha;
    if (*out == NULL)
        return vt_err_set(err, VT_E_INTERNAL, "aead: %s unavailable in OpenSSL", vt_aead_name(a));
    return VT_OK;
}

/* enc: seal when true, open otherwise.  in/out may be the same buffer. */
static vt_status aead_run(uint8_t *out, bool enc, vt_aead a, const uint8_t *key,
                          const uint8_t nonce[VT_AEAD_NONCE_LEN], const void *aad, size_t aad_len,
                          const uint8_t *in, size_t in_len, uint8_t tag[VT_AEAD_TAG_LEN], vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const EVP_CIPHER *c = NULL;
    EVP_CIPHER_CTX *ctx = NULL;
    int n = 0;

    rc = cipher_get(&c, a, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    if (in_len > INT_MAX || aad_len > INT_MAX) {
        rc = vt_err_set(err, VT_E_LIMIT, "aead: %zu-byte message or %zu-byte aad too large", in_len, aad_len);
        goto out;
    }
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "aead: out of memory");
        goto out;
    }
    /* The default IV length of all three ciphers is the 12 bytes used here. */
    if (EVP_CipherInit_ex2(ctx, c, key, nonce, enc ? 1 : 0, NULL) != 1) {
        rc = vt_err_set(err, VT_E_CRYPTO, "aead: %s init failed", vt_aead_name(a));
        goto out;
    }
    if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, VT_AEAD_TAG_LEN, tag) != 1) {
        rc = vt_err_set(err, VT_E_CRYPTO, "aead: %s tag refused", vt_aead_name(a));
        goto out;
    }
    if ((aad_len > 0 && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1) ||
        (in_len > 0 && EVP_CipherUpdate(ctx, out, &n, in, (int)in_len) != 1)) {
        rc = vt_err_set(err, VT_E_CRYPTO, "aead: %s update failed", vt_aead_name(a));
        goto out;
    }
    if (EVP_CipherFinal_ex(ctx, out + (in_len > 0 ? (size_t)n : 0), &n) != 1) {
        /* Only open can fail here: the tag did not match. */
        rc = vt_err_set(err, VT_E_CRYPTO, "aead: %s authentication failed", vt_aead_name(a));
        goto out;
    }
    if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, VT_AEAD_TAG_LEN, tag) != 1) {
        rc = vt_err_set(err, VT_E_CRYPTO, "aead: %s tag unavailable", vt_aead_name(a));
        goto out;
    }
    rc = VT_OK;
out:
    EVP_CIPHER_CTX_free(ctx); /* cleanses the key schedule */
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

vt_status vt_aead_seal(uint8_t *out, vt_aead a, const uint8_t *key, const uint8_t nonce[VT_AEAD_NONCE_LEN],
                       const void *aad, size_t aad_len, const uint8_t *pt, size_t pt_len, vt_err *err)
{
    vt_status rc;
    uint8_t tag[VT_AEAD_TAG_LEN];

    if (pt_len > SIZE_MAX - VT_AEAD_TAG_LEN)
        return vt_err_set(err, VT_E_LIMIT, "aead: plaintext too large");
    rc = aead_run(out, true, a, key, nonce, aad, aad_len, pt, pt_len, tag, err);
    if (rc == VT_OK)
        memcpy(out + pt_len, tag, VT_AEAD_TAG_LEN);
    return rc;
}

vt_status vt_aead_open(uint8_t *out, vt_aead a, const uint8_t *key, const uint8_t nonce[VT_AEAD_NONCE_LEN],
                       const void *aad, size_t aad_len, const uint8_t *ct, size_t ct_len, vt_err *err)
{
    vt_status rc;
    uint8_t tag[VT_AEAD_TAG_LEN];

    if (ct_len < VT_AEAD_TAG_LEN)
        return vt_err_set(err, VT_E_FORMAT, "aead: %zu-byte ciphertext shorter than its tag", ct_len);
    memcpy(tag, ct + ct_len - VT_AEAD_TAG_LEN, VT_AEAD_TAG_LEN);
    rc = aead_run(out, false, a, key, nonce, aad, aad_len, ct, ct_len - VT_AEAD_TAG_LEN, tag, err);
    /* Nothing of an unauthenticated plaintext is left for the caller. */
    if (rc != VT_OK && ct_len > VT_AEAD_TAG_LEN)
        vt_wipe(out, ct_len - VT_AEAD_TAG_LEN);
    return rc;
}

/* ---- AES-256-GCM in pieces (crypto_int.h) ---- */

vt_status vt__aead_init(EVP_CIPHER_CTX *c, bool enc, const uint8_t key[VT_AEAD_KEY_MAX],
                        const uint8_t nonce[VT_AEAD_NONCE_LEN], const void *aad, size_t aad_len, vt_err *err)
{
    const EVP_CIPHER *cipher = NULL;
    int n = 0;

    if (cipher_get(&cipher, VT_AEAD_AES_256_GCM, err) != VT_OK)
        return VT_E_CRYPTO;
    if ((aad == NULL && aad_len > 0) || aad_len > INT_MAX)
        return vt_err_set(err, VT_E_ARG, "aead: missing associated data");
    if (EVP_CipherInit_ex2(c, cipher, key, nonce, enc ? 1 : 0, NULL) != 1 ||
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
