/*
 * Internal: the PCK leaf certificate of a TDX quote, read with a small
 * bounded DER reader (vt_rd, no OpenSSL decoding), and verified under its
 * PCK CA once that CA has been verified (and cached) on its own.
 *
 * What verification needs and nothing more: the signed TBS bytes, the
 * ecdsa-with-SHA256 signature, issuer and subject names (as DER, for
 * matching the CA, and as text for claims and messages), the validity, the
 * serial (for the CA's CRLs), the P-256 public key and the Intel SGX
 * extension (FMSPC, PCE-ID, TCB).  Anything outside strict DER or outside
 * that profile is refused (docs/formats/tdx.md, "PCK leaf").
 */
#ifndef VT_TEE_TDX_PCK_LEAF_H
#define VT_TEE_TDX_PCK_LEAF_H

#include "veritee/base.h"
#include "veritee/crypto.h"

#include "tee/tdx_pck.h"

#define TDX_PCK_LEAF_MAX 4096   /* a PCK leaf is ~1.2 KiB */
#define TDX_PCK_SERIAL_MAX 32   /* INTEGER contents (RFC 5280: at most 20 octets) */
#define TDX_PCK_NAME_TEXT 232

typedef struct vt__tdx_pck_leaf {
    uint8_t der[TDX_PCK_LEAF_MAX];     /* a copy of the certificate */
    size_t der_len;
    size_t tbs_off, tbs_len;           /* the signed TBSCertificate, in der */
    size_t issuer_off, issuer_len;     /* issuer Name as DER (with its header), in der */
    size_t subject_off, subject_len;   /* subject Name as DER, in der */
    uint8_t serial[TDX_PCK_SERIAL_MAX]; /* INTEGER contents, minimal */
    size_t serial_len;
    uint8_t sig[64];                   /* ECDSA r||s (ecdsa-with-SHA256) */
    vt_time not_before, not_after;
    uint8_t pub[64];                   /* P-256 X||Y (uncompressed point) */
    char subject[TDX_PCK_NAME_TEXT];   /* RFC 2253 one-line, as vt_x509_subject() */
    char subject_cn[128];
    char issuer_cn[128];
    /* The SGX extension: ext_rc VT_OK when present and well formed, else
     * VT_E_NOTFOUND (absent) or the parse error, with its message. */
    vt_status ext_rc;
    char ext_msg[256];
    vt__tdx_pck_ext ext;
} vt__tdx_pck_leaf;

/*
 * Reads one DER certificate (len <= TDX_PCK_LEAF_MAX).  VT_E_FORMAT naming
 * the field for anything malformed or outside the profile (v3; ECDSA P-256
 * key; ecdsa-with-SHA256 in both algorithm fields; no unique IDs; no
 * duplicate extension; no unknown critical extension), VT_E_LIMIT when too
 * long.  A missing or malformed SGX extension is not a parse failure: it is
 * reported in ext_rc / ext_msg.  out is cleared on failure.
 */
VT_NODISCARD vt_status vt__tdx_pck_leaf_parse(vt__tdx_pck_leaf *out, const uint8_t *der, size_t len, vt_err *err);

/*
 * The first CERTIFICATE block of PEM text (the quote's PCK chain), read as
 * above.  *end (when not NULL) is the offset just past that block's END line:
 * the rest of the chain starts there, so the leaf checked and the CA part
 * verified apart never overlap or leave a block out.
 */
VT_NODISCARD vt_status vt__tdx_pck_leaf_from_pem(vt__tdx_pck_leaf *out, const char *pem, size_t len, size_t *end,
                                                 vt_err *err);

/* A verified PCK CA, borrowed for the call. */
typedef struct vt__tdx_pck_issuer {
    const uint8_t *subject_der;  /* its subject Name as DER */
    size_t subject_len;
    const vt_pkey *key;          /* its P-256 key */
    vt_crl *const *crls;         /* the CRLs it issued, already verified with it */
    size_t crl_count;
} vt__tdx_pck_issuer;

/*
 * The checks vt_chain_verify() makes on a leaf under its issuer, on the
 * parsed leaf: the issuer name is the CA's subject (byte for byte), the
 * signature verifies with the CA's key, now is within the validity, and no
 * CRL of the CA lists the serial.  VT_E_CRYPTO with a message naming the
 * check ("tdx: pck_leaf ..."); the CA itself must have been verified.
 */
VT_NODISCARD vt_status vt__tdx_pck_leaf_verify(const vt__tdx_pck_leaf *leaf, const vt__tdx_pck_issuer *ca, vt_time now,
                                               vt_err *err);

/* Lowercase hex of the serial into out (as vt_x509_serial_hex()). */
void vt__tdx_pck_leaf_serial_hex(const vt__tdx_pck_leaf *leaf, char *out, size_t out_len);

#endif
