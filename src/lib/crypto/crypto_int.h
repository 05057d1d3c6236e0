/*
 * Internals of the crypto module shared with other library files (HS-1):
 * access to the OpenSSL objects behind the opaque public types.  Never
 * exported (vt__ prefix, hidden by the version script).
 */
#ifndef VT_CRYPTO_INT_H
#define VT_CRYPTO_INT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "veritee/crypto.h"

/* Largest DER certificate or CRL we accept (Intel PCK CRLs are a few KiB). */
#define VT__X509_MAX_DER (64u * 1024u)
#define VT__CRL_MAX (4u * 1024u * 1024u)

/* The fetched EVP_MD for md (fetched once per process), NULL when unknown.
 * Borrowed for the life of the process. */
const EVP_MD *vt__md_get(vt_md md);

/* AES-256-GCM in pieces, on a context the caller owns and reuses (the
 * weights workers hash each decrypted piece while it is still in cache).
 * vt__aead_final checks (decrypt) or writes (encrypt) the tag; until it
 * returns VT_OK, plaintext from update is unauthenticated. */
vt_status vt__aead_init(EVP_CIPHER_CTX *c, bool enc, const uint8_t key[VT_AEAD_KEY_MAX],
                        const uint8_t nonce[VT_AEAD_NONCE_LEN], const void *aad, size_t aad_len, vt_err *err);
vt_status vt__aead_update(EVP_CIPHER_CTX *c, uint8_t *out, const uint8_t *in, size_t len, vt_err *err);
vt_status vt__aead_final(EVP_CIPHER_CTX *c, bool enc, uint8_t tag[VT_AEAD_TAG_LEN], vt_err *err);

/* The EVP_PKEY inside k, borrowed while k lives. */
EVP_PKEY *vt__pkey_get(const vt_pkey *k);
/*
 * Ready contexts for ECDSA signing (sign true) and verifying with k, reused: OpenSSL 3
 * builds a context, fetches the algorithm and sets up the key on every
 * EVP_PKEY_CTX_new + *_init, about 2.5 us of a 20 us P-256 signature.  take gives one
 * (from k's small pool, or new and initialised; NULL when out of memory or when the key
 * cannot do it) for one caller at a time; give returns it (ok false after a failed
 * operation: it is freed rather than kept).  Safe from any thread.
 */
/* k's RFC 7638 thumbprint (43 base64url characters and a NUL), kept once computed
 * (vt_jwk_thumbprint: JSON, SHA-256 and base64 for every receipt otherwise): cached
 * copies it to out and returns true; keep stores it the first time.  Safe from any
 * thread, like the raw public key's cache. */
bool vt__pkey_thumb_cached(const vt_pkey *k, char out[44]);
void vt__pkey_thumb_keep(const vt_pkey *k, const char thumb[44]);
EVP_PKEY_CTX *vt__pkey_ctx_take(const vt_pkey *k, bool sign);
void vt__pkey_ctx_give(const vt_pkey *k, EVP_PKEY_CTX *ctx, bool sign, bool ok);
/* Wraps pk, taking ownership of it (also on failure: pk is freed and NULL
 * returned when out of memory).  Caller owns the result, free with
 * vt_pkey_free().  Keys of other types wrap with vt_pkey_type() == VT_KEY_NONE. */
vt_pkey *vt__pkey_wrap(EVP_PKEY *pk);

/* The X509 inside c, borrowed while c lives. */
X509 *vt__x509_get(const vt_x509 *c);
/* Wraps x, taking ownership of it (also on failure: x is freed and NULL
 * returned when out of memory or when x cannot be DER-encoded).  Caller
 * owns the result, free with vt_x509_free(). */
vt_x509 *vt__x509_wrap(X509 *x);

/* The X509_CRL inside c, borrowed while c lives. */
X509_CRL *vt__crl_get(const vt_crl *c);

/* ASN1_TIME to unix seconds; false when t is missing or malformed. */
bool vt__asn1_time(const ASN1_TIME *t, vt_time *out);

/* RFC 2253 one-line form of a name into out (always NUL-terminated,
 * truncated to fit, non-printable bytes replaced by '?'). */
void vt__name_oneline(const X509_NAME *name, char *out, size_t out_len);
/* "CN=<common name>" of a name, or its RFC 2253 form when it has no CN. */
void vt__name_label(const X509_NAME *name, char *out, size_t out_len);

/*
 * Finds the next "-----BEGIN <label>-----" ... "-----END <label>-----"
 * block in text[*pos..len) and appends its decoded body to der.  Text
 * outside blocks is skipped.  Returns VT_E_NOTFOUND (without touching err)
 * when no further BEGIN line exists, VT_E_FORMAT for a broken block.
 * On success *pos is just past the END line.
 */
vt_status vt__pem_next(vt_buf *der, const char *text, size_t len, size_t *pos,
                       const char *label, vt_err *err);

/* The subject Name of c as its DER (SEQUENCE header included), borrowed
 * while c lives; NULL (and *len 0) when it cannot be had. */
const uint8_t *vt__x509_subject_der(const vt_x509 *c, size_t *len);

/*
 * Whether ca may issue an end-entity certificate, as vt_chain_verify()
 * checks an issuer: basicConstraints CA, keyCertSign when keyUsage is
 * present, a path length that allows one more certificate below, and a
 * key of at least 112-bit security.  VT_E_CRYPTO naming the rule.
 */
vt_status vt__chain_can_issue(const vt_x509 *ca, vt_err *err);

/* Whether a critical extension id-ce.arc (2.5.29.arc) is one vt_chain_verify()
 * understands; any other critical extension makes a certificate unusable. */
bool vt__x509_ce_critical_ok(unsigned arc);

/* *listed = whether crl lists the serial number whose DER INTEGER contents
 * are serial[0..len) (1..127 bytes, minimal).  Like vt_crl_lists(), checks
 * neither the CRL's issuer, signature nor time (for a CRL of the
 * certificate's issuer that vt_chain_verify() accepted).  Fails closed:
 * VT_E_ARG / VT_E_FORMAT when the serial cannot be looked up. */
vt_status vt__crl_lists_serial(bool *listed, const vt_crl *crl, const uint8_t *serial, size_t len, vt_err *err);

#endif /* VT_CRYPTO_INT_H */
