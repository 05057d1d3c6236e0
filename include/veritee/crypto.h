/*
 * veritee crypto layer: a thin layer over OpenSSL 3 for digests, signatures,
 * keys, X.509 certificates, CRLs and chain verification at a given time.
 * OpenSSL types never appear in this header.
 */
#ifndef VERITEE_CRYPTO_H
#define VERITEE_CRYPTO_H

#include "veritee/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- digests ---- */
/* VT_MD_SHA1 is for digests only (TPM SHA-1 PCR banks and event logs):
 * signature functions refuse it. */
typedef enum vt_md { VT_MD_SHA256 = 1, VT_MD_SHA384 = 2, VT_MD_SHA512 = 3, VT_MD_SHA1 = 4 } vt_md;
#define VT_MD_MAX 64
/* Digest length in bytes (32/48/64), 0 for an unknown algorithm. */
VT_API size_t vt_md_len(vt_md md);
VT_API const char *vt_md_name(vt_md md); /* "sha256", ... */
/* One-shot digest; out must hold vt_md_len(md) bytes. */
VT_NODISCARD VT_API vt_status vt_digest(vt_md md, const void *p, size_t len, uint8_t *out, vt_err *err);
/* Digest over several pieces (p[i], len[i]) without copying them together. */
VT_NODISCARD VT_API vt_status vt_digestv(vt_md md, const void *const *p, const size_t *len,
                                         size_t count, uint8_t *out, vt_err *err);

/* Streaming digest; caller owns, free with vt_digest_ctx_free(). */
typedef struct vt_digest_ctx vt_digest_ctx;
VT_NODISCARD VT_API vt_status vt_digest_ctx_new(vt_digest_ctx **out, vt_md md, vt_err *err);
VT_NODISCARD VT_API vt_status vt_digest_ctx_update(vt_digest_ctx *c, const void *p, size_t len, vt_err *err);
VT_NODISCARD VT_API vt_status vt_digest_ctx_final(vt_digest_ctx *c, uint8_t *out, vt_err *err);
VT_API void vt_digest_ctx_free(vt_digest_ctx *c);

/* Fills p with len cryptographically random bytes. */
VT_NODISCARD VT_API vt_status vt_random(void *p, size_t len, vt_err *err);
/* The same, for public identifiers only (receipt, passport and request ids: never a key, a
 * nonce or anything secret): each thread takes them from a block of the generator's output
 * drawn at once, which a forked child drops.  len up to 64; more goes to vt_random. */
VT_NODISCARD VT_API vt_status vt_random_id(void *p, size_t len, vt_err *err);
/* An identifier that sorts by time: the first 6 bytes are the Unix time in milliseconds
 * (big-endian), the rest (len 8..64, so at least 2 bytes; 16 gives 80 bits) from
 * vt_random_id.  The layout of RFC 9562's UUIDv7, without its version bits.  Ids made
 * later sort after (to the millisecond), so a database index on them grows at its end
 * instead of taking a random page per insert (the verifier's log: 12% of its CPU per
 * receipt).  Public identifiers only; it reveals when it was made. */
VT_NODISCARD VT_API vt_status vt_sortable_id(void *p, size_t len, vt_err *err);

/* ---- key derivation and authenticated encryption ---- */
/* HKDF-SHA256 (RFC 5869): out_len (1..8160) bytes from ikm, salt and info
 * (each may be empty).  All buffers borrowed for the call. */
VT_NODISCARD VT_API vt_status vt_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *ikm, size_t ikm_len,
                                             const uint8_t *salt, size_t salt_len, const uint8_t *info,
                                             size_t info_len, vt_err *err);

/* AES-256-GCM (vt_aead_seal / vt_aead_open with VT_AEAD_AES_256_GCM): sealed blobs and model segments. */
#define VT_AEAD_KEY_LEN 32

/* ---- keys ---- */
typedef enum vt_key_type {
    VT_KEY_NONE = 0,
    VT_KEY_EC_P256 = 1,
    VT_KEY_EC_P384 = 2,
    VT_KEY_ED25519 = 3,
    VT_KEY_RSA = 4,
    VT_KEY_EC_P521 = 5, /* TPM endorsement keys (template H-4); no signing or JWS here */
} vt_key_type;

/* A public or private key; caller owns, free with vt_pkey_free() (wipes). */
typedef struct vt_pkey vt_pkey;

VT_NODISCARD VT_API vt_status vt_pkey_generate(vt_pkey **out, vt_key_type type, vt_err *err);
/* Public EC key from raw big-endian X||Y (64 bytes for P-256, 96 for P-384, 132 for P-521). */
VT_NODISCARD VT_API vt_status vt_pkey_from_ec_raw(vt_pkey **out, vt_key_type type, const uint8_t *xy,
                                                  size_t len, vt_err *err);
/* Public RSA key from its big-endian modulus and exponent (a TPM AK, a JWK).
 * The modulus must be 2048..8192 bits and the exponent odd and above 1. */
VT_NODISCARD VT_API vt_status vt_pkey_from_rsa_raw(vt_pkey **out, const uint8_t *n, size_t n_len, const uint8_t *e,
                                                   size_t e_len, vt_err *err);
/* The big-endian modulus and exponent of an RSA key (the inverse of
 * vt_pkey_from_rsa_raw), appended to n_out and e_out.  VT_E_ARG for another key type. */
VT_NODISCARD VT_API vt_status vt_pkey_rsa_public_raw(vt_buf *n_out, vt_buf *e_out, const vt_pkey *k, vt_err *err);
/* SHA-256 of the DER SubjectPublicKeyInfo of the public half: the fingerprint
 * `openssl pkey -pubin -outform DER | sha256sum` prints. */
VT_NODISCARD VT_API vt_status vt_pkey_spki_sha256(uint8_t out[32], const vt_pkey *k, vt_err *err);
/* Ed25519 key from its 32 raw bytes: the RFC 8032 public key, or (priv) the private seed. */
VT_NODISCARD VT_API vt_status vt_pkey_from_ed25519_raw(vt_pkey **out, const uint8_t key[32], bool priv, vt_err *err);
/* Key from PEM text (public or private, PKCS#8 or SubjectPublicKeyInfo). */
VT_NODISCARD VT_API vt_status vt_pkey_from_pem(vt_pkey **out, const char *pem, size_t len, vt_err *err);
/* The private key in the PEM file at path, which must be of `type` and private to its owner
 * (vt_file_read_private); when the file does not exist, a new key is made and written there
 * (0600, atomically). */
VT_NODISCARD VT_API vt_status vt_pkey_load_or_create(vt_pkey **out, const char *path, vt_key_type type, vt_err *err);
/* PEM of the private key (PKCS#8, unencrypted) or of the public key, appended to out. */
VT_NODISCARD VT_API vt_status vt_pkey_to_pem(vt_buf *out, const vt_pkey *k, bool priv, vt_err *err);
/* Raw public key: X||Y for EC (each half the curve's size: 32, 48 or 66 bytes), 32 bytes for
 * Ed25519.  Appended to out. */
VT_NODISCARD VT_API vt_status vt_pkey_public_raw(vt_buf *out, const vt_pkey *k, vt_err *err);
VT_API vt_key_type vt_pkey_type(const vt_pkey *k);
VT_API void vt_pkey_free(vt_pkey *k);
/* Another reference to the same key (cheap); free each with vt_pkey_free(). */
VT_API vt_pkey *vt_pkey_ref(vt_pkey *k);

/* ---- signatures ---- */
/*
 * ECDSA with the signature as raw r||s, big-endian, each half the curve size
 * (64 bytes for P-256, 96 for P-384).  VT_E_CRYPTO when it does not verify,
 * VT_E_FORMAT when rs_len is not twice the curve size.
 */
VT_NODISCARD VT_API vt_status vt_ecdsa_verify_raw(const vt_pkey *k, vt_md md, const void *msg, size_t len,
                                                  const uint8_t *rs, size_t rs_len, vt_err *err);
/* Signs; appends raw r||s to out. */
VT_NODISCARD VT_API vt_status vt_ecdsa_sign_raw(vt_buf *out, const vt_pkey *k, vt_md md, const void *msg,
                                                size_t len, vt_err *err);
/* Generic verify of a DER/native signature: ECDSA (DER), Ed25519, RSA PKCS#1 v1.5
 * or RSA-PSS (pss=true, salt length = digest length, MGF1 with md).  md is not
 * used for Ed25519 (PureEdDSA); pss with a non-RSA key is VT_E_ARG. */
VT_NODISCARD VT_API vt_status vt_sig_verify(const vt_pkey *k, vt_md md, bool pss, const void *msg,
                                            size_t len, const uint8_t *sig, size_t sig_len, vt_err *err);
VT_NODISCARD VT_API vt_status vt_sig_sign(vt_buf *out, const vt_pkey *k, vt_md md, bool pss,
                                          const void *msg, size_t len, vt_err *err);

/* ---- X.509 certificates ---- */
/* A parsed certificate; caller owns, free with vt_x509_free(). */
typedef struct vt_x509 vt_x509;

VT_NODISCARD VT_API vt_status vt_x509_from_der(vt_x509 **out, const uint8_t *der, size_t len, vt_err *err);
/*
 * Parses every certificate in PEM text (tolerating one trailing NUL and text
 * between blocks).  Appends to out[*count..max); VT_E_LIMIT beyond max.
 * Each out[i] is caller-owned.
 */
VT_NODISCARD VT_API vt_status vt_x509_list_from_pem(vt_x509 **out, size_t *count, size_t max,
                                                    const char *pem, size_t len, vt_err *err);
VT_API void vt_x509_free(vt_x509 *c);
VT_API vt_x509 *vt_x509_ref(vt_x509 *c);
/* Borrowed, valid while c lives. */
VT_API const uint8_t *vt_x509_der(const vt_x509 *c, size_t *len);
/* SHA-256 of the DER. */
VT_API void vt_x509_fingerprint(const vt_x509 *c, uint8_t out[32]);
/* Public key of the certificate (a new reference; free with vt_pkey_free). */
VT_NODISCARD VT_API vt_status vt_x509_pubkey(vt_pkey **out, const vt_x509 *c, vt_err *err);
VT_API void vt_x509_validity(const vt_x509 *c, vt_time *not_before, vt_time *not_after);
/* One-line RFC 2253 subject / issuer (truncated to fit). */
VT_API void vt_x509_subject(const vt_x509 *c, char *out, size_t out_len);
VT_API void vt_x509_issuer(const vt_x509 *c, char *out, size_t out_len);
/* Subject common name (empty if none). */
VT_API void vt_x509_subject_cn(const vt_x509 *c, char *out, size_t out_len);
/* Serial as lowercase hex. */
VT_API void vt_x509_serial_hex(const vt_x509 *c, char *out, size_t out_len);
/* The DER value (contents of the OCTET STRING) of the extension with this
 * dotted OID, borrowed while c lives.  VT_E_NOTFOUND when absent. */
VT_NODISCARD VT_API vt_status vt_x509_ext(const vt_x509 *c, const char *oid, const uint8_t **val,
                                          size_t *len, vt_err *err);

/* ---- CRLs ---- */
typedef struct vt_crl vt_crl; /* caller owns, free with vt_crl_free() */
/* DER or PEM, recognized by content. */
VT_NODISCARD VT_API vt_status vt_crl_parse(vt_crl **out, const uint8_t *p, size_t len, vt_err *err);
VT_API void vt_crl_free(vt_crl *c);
VT_API void vt_crl_validity(const vt_crl *c, vt_time *this_update, vt_time *next_update);
VT_API void vt_crl_issuer(const vt_crl *c, char *out, size_t out_len);
/* True when crl lists c's serial number and is issued by c's issuer (names
 * compared).  Checks neither the CRL's signature nor its time: for a CRL that
 * vt_chain_verify() already accepted. */
VT_API bool vt_crl_lists(const vt_crl *crl, const vt_x509 *c);

/* ---- chain verification ---- */
/*
 * Verifies chain[0] (leaf) .. chain[n-1] at time `now`:
 *   - each certificate's signature by the next one's key, names chained,
 *     CA basic constraints on issuers, every certificate valid at now;
 *   - the last certificate must be byte-identical to one of `roots`, or be
 *     issued by one of them (then the root is appended implicitly);
 *   - for each CRL whose issuer is a certificate in the chain: its signature by
 *     that certificate, validity at now (thisUpdate <= now <= nextUpdate), and
 *     that no certificate it covers is revoked.  CRLs issued by someone else
 *     are ignored; crls_checked counts those that applied.
 * Fails with VT_E_CRYPTO and a message naming the certificate and the check.
 */
typedef struct vt_chain_result {
    size_t root_index;   /* which of roots anchored the chain */
    size_t crls_checked; /* CRLs that applied and were checked */
    vt_time not_before;  /* intersection of the validity of all certificates */
    vt_time not_after;   /*  and CRLs used */
} vt_chain_result;

VT_NODISCARD VT_API vt_status vt_chain_verify(vt_chain_result *out, vt_x509 *const *chain, size_t n,
                                              vt_x509 *const *roots, size_t root_count,
                                              vt_crl *const *crls, size_t crl_count, vt_time now,
                                              vt_err *err);

/* ---- issuing certificates and CRLs (simulation roots, tests) ---- */
/* One extension to put in a certificate: dotted OID and its DER value. */
typedef struct vt_x509_ext_spec {
    const char *oid;
    const uint8_t *der;
    size_t len;
    bool critical;
} vt_x509_ext_spec;

typedef struct vt_x509_spec {
    const char *subject_cn;    /* required */
    const char *subject_o;     /* optional organization */
    uint64_t serial;           /* non-zero */
    vt_time not_before;
    vt_time not_after;
    bool ca;                   /* basicConstraints CA:TRUE + keyCertSign/cRLSign */
    int pathlen;               /* for CAs; -1 = unlimited */
    const vt_x509_ext_spec *exts; /* borrowed; extra extensions */
    size_t ext_count;
} vt_x509_spec;

/*
 * Issues a certificate for subject_key signed by issuer_key (ECDSA with
 * SHA-256 for P-256 keys, SHA-384 for P-384).  issuer NULL = self-signed.
 */
VT_NODISCARD VT_API vt_status vt_x509_issue(vt_x509 **out, const vt_x509_spec *spec, const vt_pkey *subject_key,
                                            const vt_x509 *issuer, const vt_pkey *issuer_key, vt_err *err);
/* PEM of a certificate, appended to out. */
VT_NODISCARD VT_API vt_status vt_x509_to_pem(vt_buf *out, const vt_x509 *c, vt_err *err);
/* Issues a DER CRL listing `serials` (appended to der_out). */
VT_NODISCARD VT_API vt_status vt_crl_issue(vt_buf *der_out, const vt_x509 *issuer, const vt_pkey *issuer_key,
                                           const uint64_t *serials, size_t serial_count, vt_time this_update,
                                           vt_time next_update, vt_err *err);

/* ---- HMAC and HKDF (RFC 5869) ---- */
/* HMAC over the concatenation of p[i] (len[i] bytes each); out holds vt_md_len(md) bytes. */
VT_NODISCARD VT_API vt_status vt_hmacv(uint8_t *out, vt_md md, const void *key, size_t key_len,
                                       const void *const *p, const size_t *len, size_t count, vt_err *err);
/* HKDF-Extract: prk (vt_md_len(md) bytes) = HMAC(salt, ikm); an empty salt is HashLen zeros.
 * The v form takes the ikm as pieces. */
VT_NODISCARD VT_API vt_status vt_hkdf_extract(uint8_t *prk, vt_md md, const void *salt, size_t salt_len,
                                              const void *ikm, size_t ikm_len, vt_err *err);
VT_NODISCARD VT_API vt_status vt_hkdf_extractv(uint8_t *prk, vt_md md, const void *salt, size_t salt_len,
                                               const void *const *ikm, const size_t *ikm_len, size_t count,
                                               vt_err *err);
/* HKDF-Expand: out_len (<= 255 * HashLen) bytes; info as up to 8 pieces in the v form.
 * out is wiped on failure. */
VT_NODISCARD VT_API vt_status vt_hkdf_expand(uint8_t *out, size_t out_len, vt_md md, const uint8_t *prk,
                                             size_t prk_len, const void *info, size_t info_len, vt_err *err);
VT_NODISCARD VT_API vt_status vt_hkdf_expandv(uint8_t *out, size_t out_len, vt_md md, const uint8_t *prk,
                                              size_t prk_len, const void *const *info, const size_t *info_len,
                                              size_t count, vt_err *err);

/* ---- AEAD (one-shot, 96-bit nonce, 128-bit tag) ---- */
/* Numbers are the HPKE (RFC 9180) AEAD identifiers. */
typedef enum vt_aead {
    VT_AEAD_AES_128_GCM = 1,
    VT_AEAD_AES_256_GCM = 2,
    VT_AEAD_CHACHA20_POLY1305 = 3,
} vt_aead;
#define VT_AEAD_NONCE_LEN 12
#define VT_AEAD_TAG_LEN 16
#define VT_AEAD_KEY_MAX 32
/* Key length in bytes (16 or 32), 0 for an unknown algorithm. */
VT_API size_t vt_aead_key_len(vt_aead a);
VT_API const char *vt_aead_name(vt_aead a);
/* Seals pt into out (pt_len + VT_AEAD_TAG_LEN bytes: ciphertext then tag).
 * out may be pt itself.  key holds vt_aead_key_len(a) bytes. */
VT_NODISCARD VT_API vt_status vt_aead_seal(uint8_t *out, vt_aead a, const uint8_t *key,
                                           const uint8_t nonce[VT_AEAD_NONCE_LEN], const void *aad,
                                           size_t aad_len, const uint8_t *pt, size_t pt_len, vt_err *err);
/* Opens ct (ciphertext then tag) into out (ct_len - VT_AEAD_TAG_LEN bytes; out may be ct).
 * VT_E_CRYPTO when it does not authenticate (out is then wiped), VT_E_FORMAT
 * when ct is shorter than a tag. */
VT_NODISCARD VT_API vt_status vt_aead_open(uint8_t *out, vt_aead a, const uint8_t *key,
                                           const uint8_t nonce[VT_AEAD_NONCE_LEN], const void *aad,
                                           size_t aad_len, const uint8_t *ct, size_t ct_len, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_CRYPTO_H */
