/*
 * veritee sealing: data encrypted to this enclave (format "veritee-seal-v1",
 * docs/keys.md).
 *
 *   blob = nonce(12) ‖ AES-256-GCM ciphertext ‖ tag(16)
 *   key  = HKDF-SHA256(ikm = the platform's sealing root, salt = none,
 *                      info = "veritee-seal-v1" 0x00 key_id 0x00 platform_tag)
 *
 * The sealing root comes from the platform: on SEV-SNP the firmware's derived
 * key (SNP_GET_DERIVED_KEY, VCEK root, mixing the guest's measurement and
 * policy), so a blob opens only in a guest with the same launch measurement
 * and policy on the same chip; in mock or simulation a random key kept in the
 * state directory (platform tag "mock": never hardware, and never opening
 * under a hardware root).  TDX and Nitro have no hardware sealing key: there
 * the verifier's key broker releases keys to attested gateways instead.
 */
#ifndef VERITEE_SEAL_H
#define VERITEE_SEAL_H

#include "veritee/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_SEAL_FORMAT "veritee-seal-v1"
#define VT_SEAL_OVERHEAD 28 /* nonce and tag */
#define VT_SEAL_MAX ((size_t)64 << 20)
#define VT_SEAL_KEY_ID_MAX 255

typedef enum vt_seal_platform {
    VT_SEAL_MOCK = 1,   /* state-directory key: simulation only */
    VT_SEAL_SEVSNP = 2, /* SNP_GET_DERIVED_KEY (VCEK root; measurement and policy mixed in) */
    VT_SEAL_TPM = 3,    /* an HMAC by a TPM-derived key bound to PCR values (seal/seal_tpm.c) */
} vt_seal_platform;

/* PCRs the TPM root is bound to by default: firmware, boot loader, secure boot (0-7). */
#define VT_SEAL_TPM_PCRS 0x000000ffu

/* A sealing root.  Holds a secret: wipe with vt_seal_root_wipe() when done. */
typedef struct vt_seal_root {
    vt_seal_platform platform;
    bool hardware;     /* false for VT_SEAL_MOCK */
    uint8_t key[32];
} vt_seal_root;

/* "mock" / "sevsnp": the platform tag mixed into every key. */
VT_API const char *vt_seal_platform_tag(vt_seal_platform p);

/* The SEV-SNP derived key from <sysroot>/dev/sev-guest (sysroot "" or NULL
 * = "/"), selecting the guest policy and measurement.  VT_E_UNSUPPORTED when
 * there is no device, VT_E_IO when the firmware refuses. */
VT_NODISCARD VT_API vt_status vt_seal_root_sevsnp(vt_seal_root *out, const char *sysroot, vt_err *err);
/* The mock root: <state_dir>/seal-root.key (32 random bytes, mode 0600),
 * created on first use.  Borrowed path. */
VT_NODISCARD VT_API vt_status vt_seal_root_mock(vt_seal_root *out, const char *state_dir, vt_err *err);
/* The TPM root (tcti as for vt_tpm_pcr_extend, NULL = device:/dev/tpmrm0): an
 * HMAC-SHA256 computed by the TPM with a primary key it derives from its owner
 * seed and a template whose authPolicy is PolicyPCR over the current SHA-256
 * values of pcr_mask (0 = VT_SEAL_TPM_PCRS).  Nothing secret is stored: the same
 * TPM and PCR values give the same root.  <state_dir>/seal-root-tpm.pin records
 * the policy first seen; VT_E_CRYPTO when the PCRs now hold other values.
 * VT_E_POLICY when a first-format <state_dir>/seal-root.tpm is present (a stored
 * root anyone with write access could have planted: never used). */
VT_NODISCARD VT_API vt_status vt_seal_root_tpm(vt_seal_root *out, const char *tcti, const char *state_dir,
                                               uint32_t pcr_mask, vt_err *err);

/* What proves the TPM genuine: its endorsement key's certificate must chain to `roots`
 * (and not be revoked by `crls`). */
typedef struct vt_seal_tpm_ek {
    /* Borrowed: a PEM file, or a directory of PEM or DER files, of the CAs of TPM makers
     * (or of a cloud's vTPMs).  Self-issued certificates are the trust anchors; the
     * others are intermediates a chain may pass through. */
    const char *roots;
    vt_time now; /* the certificates (and CRLs) must be valid then */
    /* Borrowed, NULL = revocation not checked: a PEM file of CRLs, a DER CRL, or a directory
     * of such files, the makers' CRLs as the operator downloaded them (nothing is fetched).
     * Then every certificate of the chain below its root needs a current CRL of its issuer
     * that verifies and does not list it; a chain without one is refused. */
    const char *crls;
} vt_seal_tpm_ek;

/*
 * vt_seal_root_tpm, and the TPM's identity checked (docs/formats/tpm.md "The TPM's
 * identity"): the EK certificate in NV (the first of ECC P-256 at 0x01c0000a, P-384 at
 * 0x01c00016, P-521 at 0x01c00018, RSA 2048 at 0x01c00002, RSA 3072 at 0x01c0001c, RSA 4096
 * at 0x01c0001e) must chain to ek->roots (not revoked by ek->crls when set), the EK the TPM
 * makes from the standard template must hold the certificate's key, and the root comes
 * back under a session salted to
 * that EK, so only the TPM holding its private key can read the salt.  ek NULL: as
 * vt_seal_root_tpm, the identity not checked (a salt key in the null hierarchy).
 * VT_E_POLICY when the TPM holds no EK certificate of those kinds (an SM2 one: not
 * supported); VT_E_CRYPTO when its chain does not verify, a certificate of it is revoked or
 * has no current CRL of its issuer, or the EK differs from the certificate; VT_E_ARG when
 * roots holds no self-issued certificate or crls no CRL.
 */
VT_NODISCARD VT_API vt_status vt_seal_root_tpm_ek(vt_seal_root *out, const char *tcti, const char *state_dir,
                                                  uint32_t pcr_mask, const vt_seal_tpm_ek *ek, vt_err *err);
VT_API void vt_seal_root_wipe(vt_seal_root *r);

/* Seals len bytes of p (at most VT_SEAL_MAX) under key_id (1..255 bytes) and
 * appends the blob to out.  All borrowed. */
VT_NODISCARD VT_API vt_status vt_seal(vt_buf *out, const vt_seal_root *root, const char *key_id, const uint8_t *p,
                                      size_t len, vt_err *err);
/* Opens a blob and appends the plaintext to out.  VT_E_FORMAT when it is too
 * short or too long to be one; VT_E_CRYPTO when it does not open: another key
 * id, platform or measurement, or any altered bit.  out unchanged on failure. */
VT_NODISCARD VT_API vt_status vt_unseal(vt_buf *out, const vt_seal_root *root, const char *key_id,
                                        const uint8_t *blob, size_t len, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_SEAL_H */
