/*
 * Hybrid Public Key Encryption (RFC 9180) over OpenSSL 3.0 primitives.
 *
 * KEMs: DHKEM(P-256, HKDF-SHA256), DHKEM(P-521, HKDF-SHA512),
 *       DHKEM(X25519, HKDF-SHA256).
 * KDFs: HKDF-SHA256, HKDF-SHA384, HKDF-SHA512.
 * AEADs: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305, and export-only.
 * Modes: base, psk, auth, auth_psk.  Single-shot use is setup + one seal/open.
 */
#ifndef VERITEE_HPKE_H
#define VERITEE_HPKE_H

#include "veritee/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Identifiers are the RFC 9180 registry values (§7). */
#define VT_HPKE_KEM_P256_SHA256 0x0010u
#define VT_HPKE_KEM_P521_SHA512 0x0012u
#define VT_HPKE_KEM_X25519_SHA256 0x0020u
#define VT_HPKE_KDF_SHA256 0x0001u
#define VT_HPKE_KDF_SHA384 0x0002u
#define VT_HPKE_KDF_SHA512 0x0003u
#define VT_HPKE_AEAD_AES_128_GCM 0x0001u
#define VT_HPKE_AEAD_AES_256_GCM 0x0002u
#define VT_HPKE_AEAD_CHACHA20_POLY1305 0x0003u
#define VT_HPKE_AEAD_EXPORT_ONLY 0xffffu

#define VT_HPKE_MODE_BASE 0u
#define VT_HPKE_MODE_PSK 1u
#define VT_HPKE_MODE_AUTH 2u
#define VT_HPKE_MODE_AUTH_PSK 3u

/* Largest encapsulated key / public key (P-521 uncompressed point) and private key. */
#define VT_HPKE_ENC_MAX 133
#define VT_HPKE_SK_MAX 66
#define VT_HPKE_TAG_LEN 16
/* Shortest PSK accepted (RFC 9180 §5.1.2: at least 32 bytes of entropy). */
#define VT_HPKE_PSK_MIN 32

typedef struct vt_hpke_suite {
    uint16_t kem, kdf, aead;
} vt_hpke_suite;

/* True when every algorithm of s is implemented. */
VT_API bool vt_hpke_suite_ok(vt_hpke_suite s);
/* Npk (= Nenc) of a KEM, 0 when unknown. */
VT_API size_t vt_hpke_kem_pk_len(uint16_t kem);
/* Nk / Nn of an AEAD (0 for export-only and unknown ones). */
VT_API size_t vt_hpke_aead_key_len(uint16_t aead);
VT_API size_t vt_hpke_aead_nonce_len(uint16_t aead);

/* A KEM key pair, or a public key alone.  Caller owns, free with
 * vt_hpke_key_free() (wipes the private key). */
typedef struct vt_hpke_key vt_hpke_key;

VT_NODISCARD VT_API vt_status vt_hpke_key_generate(vt_hpke_key **out, uint16_t kem, vt_err *err);
/* DeriveKeyPair(ikm) (§7.1.3); ikm must be at least Nsk bytes long. */
VT_NODISCARD VT_API vt_status vt_hpke_key_derive(vt_hpke_key **out, uint16_t kem, const uint8_t *ikm,
                                                 size_t ikm_len, vt_err *err);
/* DeserializePrivateKey: the public key is computed. */
VT_NODISCARD VT_API vt_status vt_hpke_key_from_private(vt_hpke_key **out, uint16_t kem, const uint8_t *sk,
                                                       size_t sk_len, vt_err *err);
/* DeserializePublicKey: VT_E_FORMAT for a wrong length, VT_E_CRYPTO for a point
 * not on the curve. */
VT_NODISCARD VT_API vt_status vt_hpke_key_from_public(vt_hpke_key **out, uint16_t kem, const uint8_t *pk,
                                                      size_t pk_len, vt_err *err);
VT_API uint16_t vt_hpke_key_kem(const vt_hpke_key *k);
VT_API bool vt_hpke_key_has_private(const vt_hpke_key *k);
/* SerializePublicKey, borrowed while k lives; *len = Npk. */
VT_API const uint8_t *vt_hpke_key_public(const vt_hpke_key *k, size_t *len);
/* SerializePrivateKey into out (VT_HPKE_SK_MAX bytes); VT_E_ARG for a public key. */
VT_NODISCARD VT_API vt_status vt_hpke_key_private(const vt_hpke_key *k, uint8_t *out, size_t *len, vt_err *err);
VT_API void vt_hpke_key_free(vt_hpke_key *k);

/* Setup parameters; everything borrowed for the call.  mode selects which of
 * psk/psk_id (psk modes) and the sender's key (auth modes) must be present:
 * the sender's private key when setting up a sender, its public key when
 * setting up a recipient.  Anything given that the mode does not use is VT_E_ARG. */
typedef struct vt_hpke_params {
    uint8_t mode;
    const uint8_t *info;
    size_t info_len;
    const uint8_t *psk;
    size_t psk_len;
    const uint8_t *psk_id;
    size_t psk_id_len;
    const vt_hpke_key *auth; /* skS (sender) or pkS (recipient) */
} vt_hpke_params;

/* An encryption context (§5.2); caller owns, free with vt_hpke_ctx_free() (wipes). */
typedef struct vt_hpke_ctx vt_hpke_ctx;

/*
 * Sender setup: encapsulates to pkR and writes enc (Nenc bytes) into
 * enc[0..*enc_len).  eph is the ephemeral key pair, NULL for a fresh random
 * one (given only by known-answer tests).
 */
VT_NODISCARD VT_API vt_status vt_hpke_setup_sender(vt_hpke_ctx **out, uint8_t enc[VT_HPKE_ENC_MAX],
                                                   size_t *enc_len, vt_hpke_suite suite,
                                                   const vt_hpke_key *pkR, const vt_hpke_params *p,
                                                   const vt_hpke_key *eph, vt_err *err);
/* Recipient setup: decapsulates enc with skR.  VT_E_FORMAT for a wrong enc
 * length, VT_E_CRYPTO when enc is not a valid public key or DH fails. */
VT_NODISCARD VT_API vt_status vt_hpke_setup_recipient(vt_hpke_ctx **out, vt_hpke_suite suite,
                                                      const vt_hpke_key *skR, const uint8_t *enc,
                                                      size_t enc_len, const vt_hpke_params *p, vt_err *err);
/* Seals pt with the next sequence number; appends pt_len + 16 bytes to out.
 * Sender contexts only; VT_E_UNSUPPORTED for an export-only suite. */
VT_NODISCARD VT_API vt_status vt_hpke_seal(vt_hpke_ctx *c, vt_buf *out, const void *aad, size_t aad_len,
                                           const uint8_t *pt, size_t pt_len, vt_err *err);
/* Opens ct with the next sequence number; appends the plaintext to out.
 * Recipient contexts only.  VT_E_CRYPTO when it does not authenticate (the
 * sequence number does not advance and out is unchanged). */
VT_NODISCARD VT_API vt_status vt_hpke_open(vt_hpke_ctx *c, vt_buf *out, const void *aad, size_t aad_len,
                                           const uint8_t *ct, size_t ct_len, vt_err *err);
/* Secret export (§5.3): L (<= 255 * Nh) bytes into out. */
VT_NODISCARD VT_API vt_status vt_hpke_export(const vt_hpke_ctx *c, uint8_t *out, size_t L,
                                             const void *exporter_context, size_t ctx_len, vt_err *err);
VT_API vt_hpke_suite vt_hpke_ctx_suite(const vt_hpke_ctx *c);
VT_API void vt_hpke_ctx_free(vt_hpke_ctx *c);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_HPKE_H */
