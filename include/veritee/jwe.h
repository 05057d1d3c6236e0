/*
 * veritee JWE (RFC 7516, compact serialization): a secret encrypted to an EC
 * P-256 public key — the key broker's answer, encrypted to the `cnf` key of
 * the caller's passport — with "alg":"ECDH-ES" (RFC 7518 4.6, direct key
 * agreement, Concat KDF) and "enc":"A256GCM", so any JOSE library opens it.
 * Built on cjose.
 */
#ifndef VERITEE_JWE_H
#define VERITEE_JWE_H

#include "veritee/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest JWE accepted by vt_jwe_decrypt, and plaintext by vt_jwe_encrypt. */
#define VT_JWE_MAX ((size_t)1 << 20)

/* Encrypts len (1..VT_JWE_MAX) bytes of p to recipient (an EC P-256 key; only its public part
 * is used).  kid may be NULL (else put in the protected header).  *jwe_out:
 * caller owns, free(). */
VT_NODISCARD VT_API vt_status vt_jwe_encrypt(char **jwe_out, const vt_pkey *recipient, const char *kid,
                                             const uint8_t *p, size_t len, vt_err *err);
/* Decrypts a compact JWE with the private key priv and appends the plaintext
 * to out.  Only "alg":"ECDH-ES" with "enc":"A256GCM" is accepted (VT_E_UNSUPPORTED
 * otherwise, named); VT_E_CRYPTO when it does not decrypt; VT_E_FORMAT when
 * it is not a JWE.  All borrowed. */
VT_NODISCARD VT_API vt_status vt_jwe_decrypt(vt_buf *out, const vt_pkey *priv, const char *jwe, size_t len,
                                             vt_err *err);
/* vt_jwe_decrypt of a JWE whose protected header's "kid" is exactly kid (the key broker's
 * answer names the resource there): VT_E_POLICY, naming what the header has, when it names
 * another or none, before anything is decrypted.  The protected header is the A256GCM
 * associated data, so a kid altered on the way does not decrypt.  ECDH-ES does not
 * authenticate the sender: this tells one answer of the broker from another, not the broker
 * from anyone else holding the recipient's public key.  All borrowed. */
VT_NODISCARD VT_API vt_status vt_jwe_decrypt_kid(vt_buf *out, const vt_pkey *priv, const char *kid, const char *jwe,
                                                 size_t len, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_JWE_H */
