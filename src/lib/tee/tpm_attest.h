/*
 * Internal: TPM 2.0 wire structures a quote verifier needs (TPM 2.0 Library
 * Part 2; all big-endian): TPMS_ATTEST of type QUOTE, TPMT_SIGNATURE (or a
 * bare signature), and TPMT_PUBLIC of an attestation key.  Parsed with vt_rd
 * into fixed structs; no pointer into the input outlives a call (HS-10).
 */
#ifndef VT_TEE_TPM_ATTEST_H
#define VT_TEE_TPM_ATTEST_H

#include "veritee/crypto.h"

#define VT_TPM_GENERATED 0xff544347u /* TPM_GENERATED_VALUE */
#define VT_TPM_ST_ATTEST_QUOTE 0x8018u
#define VT_TPM_ALG_RSA 0x0001u
#define VT_TPM_ALG_SHA1 0x0004u
#define VT_TPM_ALG_SHA256 0x000bu
#define VT_TPM_ALG_SHA384 0x000cu
#define VT_TPM_ALG_SHA512 0x000du
#define VT_TPM_ALG_NULL 0x0010u
#define VT_TPM_ALG_RSASSA 0x0014u
#define VT_TPM_ALG_RSAPSS 0x0016u
#define VT_TPM_ALG_ECDSA 0x0018u
#define VT_TPM_ALG_ECC 0x0023u
#define VT_TPM_ECC_NIST_P256 0x0003u
#define VT_TPM_ECC_NIST_P384 0x0004u

/* TPMA_OBJECT bits an attestation key must have. */
#define VT_TPMA_FIXED_TPM 0x00000002u
#define VT_TPMA_FIXED_PARENT 0x00000010u
#define VT_TPMA_SENSITIVE_DATA_ORIGIN 0x00000020u
#define VT_TPMA_RESTRICTED 0x00010000u
#define VT_TPMA_DECRYPT 0x00020000u
#define VT_TPMA_SIGN 0x00040000u

#define VT_TPM_PCR_COUNT 24
#define VT_TPM_DIGEST_MAX 64
#define VT_TPM_BANKS_MAX 4          /* selections in one quote (sha1, sha256, sha384, sha512) */
#define VT_TPM_ATTEST_MAX 1024      /* a QUOTE TPMS_ATTEST is ~120-250 bytes */
#define VT_TPM_SIG_MAX 1024         /* RSA up to 8192 bits */
#define VT_TPM_PUBLIC_MAX 1024      /* TPMT_PUBLIC of an RSA-8192 key is ~1 KiB */

typedef struct vt__tpm_pcr_sel {
    uint16_t alg;   /* TPM_ALG_SHA1/256/384/512 */
    uint32_t mask;  /* bit i = PCR i (PCRs 0..23) */
} vt__tpm_pcr_sel;

/* A parsed TPMS_ATTEST of type QUOTE. */
typedef struct vt__tpm_attest {
    uint8_t signer_name[2 + VT_TPM_DIGEST_MAX]; /* qualifiedSigner: nameAlg || digest */
    size_t signer_name_len;
    uint8_t extra[VT_TPM_DIGEST_MAX];           /* extraData (the caller's nonce) */
    size_t extra_len;
    uint64_t clock;
    uint32_t reset_count, restart_count;
    uint8_t safe;
    uint64_t firmware_version;
    vt__tpm_pcr_sel sel[VT_TPM_BANKS_MAX];
    size_t sel_count;
    uint8_t pcr_digest[VT_TPM_DIGEST_MAX];
    size_t pcr_digest_len;
} vt__tpm_attest;

/* A parsed signature.  has_header: it came as a TPMT_SIGNATURE. */
typedef struct vt__tpm_sig {
    bool has_header;
    uint16_t alg;                  /* RSASSA, RSAPSS or ECDSA */
    uint16_t hash;                 /* TPM_ALG_SHA256/384/512 */
    uint8_t sig[VT_TPM_SIG_MAX];   /* RSA: the signature; ECDSA: r || s, each left-padded to the curve size */
    size_t sig_len;
    uint8_t r[VT_TPM_DIGEST_MAX], s[VT_TPM_DIGEST_MAX]; /* ECDSA halves as sent (unpadded) */
    size_t r_len, s_len;
} vt__tpm_sig;

/* A parsed TPMT_PUBLIC of a signing key, and the key it holds. */
typedef struct vt__tpm_public {
    uint16_t type;                 /* TPM_ALG_RSA or TPM_ALG_ECC */
    uint16_t name_alg;
    uint32_t attributes;
    uint16_t scheme, scheme_hash;  /* TPM_ALG_NULL when the key has no fixed scheme */
    uint8_t name[2 + VT_TPM_DIGEST_MAX]; /* nameAlg || H(TPMT_PUBLIC): what qualifiedSigner names */
    size_t name_len;
} vt__tpm_public;

/* TPM_ALG_SHA* to vt_md, 0 when the algorithm is not a digest veritee knows. */
vt_md vt__tpm_alg_md(uint16_t alg);
const char *vt__tpm_alg_name(uint16_t alg);

/* Parses TPMS_ATTEST (magic, type QUOTE, every field, nothing left over).
 * VT_E_FORMAT naming the field; out is zeroed on failure. */
VT_NODISCARD vt_status vt__tpm_attest_parse(vt__tpm_attest *out, const uint8_t *p, size_t len, vt_err *err);

/*
 * Parses a signature: a TPMT_SIGNATURE (RSASSA, RSAPSS, ECDSA), or - when the
 * bytes are not one - a bare signature, read according to the key: RSA
 * RSASSA with SHA-256 when it is the modulus size, ECDSA r||s with the
 * curve's hash when it is twice the curve size.  key may be NULL only for a
 * TPMT_SIGNATURE.  out is zeroed on failure.
 */
VT_NODISCARD vt_status vt__tpm_sig_parse(vt__tpm_sig *out, const uint8_t *p, size_t len, const vt_pkey *key,
                                         vt_err *err);

/* Verifies sig over msg with key (scheme, hash and key type must agree).
 * VT_E_CRYPTO when it does not verify. */
VT_NODISCARD vt_status vt__tpm_sig_verify(const vt__tpm_sig *sig, const vt_pkey *key, const uint8_t *msg,
                                          size_t len, vt_err *err);

/* Parses TPMT_PUBLIC (RSA or ECC P-256/P-384) and builds its key (caller owns
 * *key_out, free with vt_pkey_free()).  pub is zeroed on failure. */
VT_NODISCARD vt_status vt__tpm_public_parse(vt__tpm_public *pub, vt_pkey **key_out, const uint8_t *p, size_t len,
                                            vt_err *err);

#endif
