/*
 * Internal: the TPM's endorsement key (EK) and its certificate, which prove that a
 * salt key belongs to a genuine TPM (docs/formats/tpm.md "The TPM's identity").
 *
 * tpm_ek_cert.c holds what needs no TPM (trust anchors, the certificates an NV index
 * holds, the chain, the EK template and the comparison of the EK with its certificate);
 * tpm_ek.c reads the certificate and makes the EK through tpm2-tss.
 */
#ifndef VT_SEAL_TPM_EK_H
#define VT_SEAL_TPM_EK_H

#include <stdbool.h>
#include <tss2/tss2_tpm2_types.h>

#include "tee/tpm_tss.h"
#include "veritee/crypto.h"
#include "veritee/seal.h"

/* NV indices of the TCG EK Credential Profile 2.x (section 2.2.1.4 and 2.2.1.5). */
#define VT__TPM_EK_NV_RSA2048 0x01c00002u  /* EK certificate, RSA 2048 (low range, template L-1) */
#define VT__TPM_EK_NV_ECC256 0x01c0000au   /* EK certificate, ECC NIST P-256 (low range, template L-2) */
#define VT__TPM_EK_NV_RSA2048_H 0x01c00012u /* RSA 2048 (high range, H-1): not used */
#define VT__TPM_EK_NV_ECC256_H 0x01c00014u /* ECC NIST P-256 (high range, H-2): not used */
#define VT__TPM_EK_NV_ECC384 0x01c00016u   /* EK certificate, ECC NIST P-384 (high range, template H-3) */
#define VT__TPM_EK_NV_ECC521 0x01c00018u   /* EK certificate, ECC NIST P-521 (high range, template H-4) */
#define VT__TPM_EK_NV_SM2 0x01c0001au      /* ECC SM2 P-256 (high range, H-5): refused */
#define VT__TPM_EK_NV_RSA3072 0x01c0001cu  /* EK certificate, RSA 3072 (high range, template H-6) */
#define VT__TPM_EK_NV_RSA4096 0x01c0001eu  /* EK certificate, RSA 4096 (high range, template H-7) */
#define VT__TPM_EK_NV_CHAIN 0x01c00100u    /* first index of the EK certificate chain */
#define VT__TPM_EK_NV_CHAIN_END 0x01c00200u
#define VT__TPM_EK_NV_MAX 8192             /* bytes one of these indices may hold */
#define VT__TPM_EK_CHAIN_INDICES 8         /* chain indices read at most */
#define VT__TPM_EK_CERTS_MAX 64            /* certificates in one list */
#define VT__TPM_EK_CRLS_MAX 64             /* CRLs in one list */
#define VT__TPM_EK_FILE_MAX (1u << 20)     /* one trust file */
#define VT__TPM_EK_CRL_FILE_MAX (4u << 20) /* one CRL file */

/*
 * The EKs whose certificates are read, in the order they are preferred when a TPM holds
 * several (docs/formats/tpm.md "The TPM's identity"): ECC before RSA, the smaller key first.
 */
typedef enum vt__tpm_ek_kind {
    VT__TPM_EK_ECC_P256 = 0, /* template L-2, certificate at VT__TPM_EK_NV_ECC256 */
    VT__TPM_EK_ECC_P384 = 1, /* template H-3, certificate at VT__TPM_EK_NV_ECC384 */
    VT__TPM_EK_ECC_P521 = 2, /* template H-4, certificate at VT__TPM_EK_NV_ECC521 */
    VT__TPM_EK_RSA_2048 = 3, /* template L-1, certificate at VT__TPM_EK_NV_RSA2048 */
    VT__TPM_EK_RSA_3072 = 4, /* template H-6, certificate at VT__TPM_EK_NV_RSA3072 */
    VT__TPM_EK_RSA_4096 = 5, /* template H-7, certificate at VT__TPM_EK_NV_RSA4096 */
    VT__TPM_EK_KINDS = 6
} vt__tpm_ek_kind;

/* The NV index of kind's EK certificate, a name for messages ("ECC NIST P-256"...), and the
 * size of its key in bytes: of x and of y for ECC (32, 48, 66), of the modulus for RSA. */
uint32_t vt__tpm_ek_nv_index(vt__tpm_ek_kind kind);
const char *vt__tpm_ek_name(vt__tpm_ek_kind kind);
size_t vt__tpm_ek_key_len(vt__tpm_ek_kind kind);

/* A list of certificates; each c[i] owned by the list. */
typedef struct vt__tpm_ek_certs {
    vt_x509 *c[VT__TPM_EK_CERTS_MAX];
    size_t count;
} vt__tpm_ek_certs;

void vt__tpm_ek_certs_free(vt__tpm_ek_certs *l);

/* A list of CRLs; each c[i] owned by the list. */
typedef struct vt__tpm_ek_crls {
    vt_crl *c[VT__TPM_EK_CRLS_MAX];
    size_t count;
} vt__tpm_ek_crls;

void vt__tpm_ek_crls_free(vt__tpm_ek_crls *l);

/*
 * The CRLs in p (the bytes of one file, named by what for messages): PEM text of any number
 * of "X509 CRL" blocks, or one DER CRL, each as vt_crl_parse takes it (complete and direct,
 * with a nextUpdate).  Appended to out; on failure out holds what it held before.
 */
VT_NODISCARD vt_status vt__tpm_ek_crls_parse(vt__tpm_ek_crls *out, const uint8_t *p, size_t len, const char *what,
                                             vt_err *err);

/*
 * The CRLs at path (borrowed): a file as vt__tpm_ek_crls_parse takes it, or a directory of
 * such files (regular files only, not recursive), appended to out; the caller frees it.
 * VT_E_ARG when path holds no CRL or one does not parse.
 */
VT_NODISCARD vt_status vt__tpm_ek_crls_load(vt__tpm_ek_crls *out, const char *path, vt_err *err);

/*
 * The certificates at path (borrowed): a PEM file of any number of certificates, a DER
 * file of one, or a directory of such files (regular files only, not recursive).
 * Self-issued certificates become anchors (*roots), the others intermediates a chain
 * may pass through (*inter).  Both lists are appended to; the caller frees them.
 * VT_E_ARG when path holds no self-issued certificate.
 */
VT_NODISCARD vt_status vt__tpm_ek_trust_load(vt__tpm_ek_certs *roots, vt__tpm_ek_certs *inter, const char *path,
                                             vt_err *err);

/*
 * The DER certificates one after another in p (an NV index), appended to out.  After the
 * last one only padding may follow: bytes all 0x00 or all 0xff (indices of a fixed size).
 * VT_E_FORMAT naming the offset otherwise; at least one certificate is required.
 * On failure out holds what it held before.
 */
VT_NODISCARD vt_status vt__tpm_ek_der_split(vt__tpm_ek_certs *out, const uint8_t *p, size_t len, vt_err *err);

/*
 * Verifies that leaf chains at now to one of roots, through certificates of inter (in any
 * order; a path is searched among those whose subject names the issuer, at most 6 deep,
 * 512 paths extended and 64 verified).  With crls (NULL: revocation not checked) every
 * certificate of the path below its root must be covered by a CRL of its issuer: one whose
 * issuer is named, signed by the issuer's key, current at now (vt_chain_verify's checks of
 * a CRL, which also refuse one of a path certificate's name that does not verify), and
 * that does not list it.  Of the CRLs of one issuer name only the newest (thisUpdate) are
 * used; CRLs of other issuers are ignored.
 * VT_E_CRYPTO naming the check that failed on the first path that reached a root.
 */
VT_NODISCARD vt_status vt__tpm_ek_chain_verify(const vt_x509 *leaf, const vt__tpm_ek_certs *inter,
                                               const vt__tpm_ek_certs *roots, const vt__tpm_ek_crls *crls,
                                               vt_time now, vt_err *err);

/* The standard EK template of kind (TCG EK Credential Profile 2.x, B.3.3/B.3.4 and B.4):
 * L-2 (ECC NIST P-256), H-3 (P-384), H-4 (P-521), L-1 (RSA 2048), H-6 (RSA 3072) or H-7
 * (RSA 4096). */
void vt__tpm_ek_template(TPM2B_PUBLIC *t, vt__tpm_ek_kind kind);

/*
 * VT_OK when pub (the EK as the TPM made it from kind's template) is that template in
 * every field but unique, and unique holds a key of the template's size
 * (vt__tpm_ek_key_len: x and y of 32, 48 or 66 bytes; a modulus of 256, 384 or 512).
 * VT_E_CRYPTO otherwise.
 */
VT_NODISCARD vt_status vt__tpm_ek_of_template(const TPMT_PUBLIC *pub, vt__tpm_ek_kind kind, vt_err *err);

/*
 * VT_OK when pub (the EK as the TPM made it) holds exactly the key of cert: ECC P-256,
 * P-384 or P-521 (x, y) or RSA 2048, 3072 or 4096 (modulus, exponent; 0 = 65537), compared
 * as SubjectPublicKeyInfo.
 * VT_E_CRYPTO when they differ; VT_E_FORMAT when pub is not such a key.
 */
VT_NODISCARD vt_status vt__tpm_ek_matches(const TPMT_PUBLIC *pub, const vt_x509 *cert, vt_err *err);

/*
 * The EK of the TPM at c, checked: its certificate read from NV (the first kind, in
 * vt__tpm_ek_kind's order, whose index the TPM lists; no other is tried), verified
 * against cfg->roots at cfg->now with intermediates from that trust and from the chain
 * indices (and against cfg->crls when set), and the EK made from that kind's template,
 * which must be the template in everything but the key and whose public key must equal
 * the certificate's.  *ek is then the loaded EK (flush it).
 * VT_E_POLICY when the TPM holds no EK certificate of these kinds (naming an SM2 or other
 * high-range one it holds), VT_E_CRYPTO when the chain does not verify, a certificate is
 * revoked or the key differs, VT_E_ARG when the roots or CRLs cannot be loaded, VT_E_IO
 * when the TPM refuses.
 */
VT_NODISCARD vt_status vt__tpm_ek_load(vt__tpm_conn *c, const vt_seal_tpm_ek *cfg, ESYS_TR *ek, vt_err *err);

#endif
