/*
 * Internal: the veritee TPM evidence container (include/veritee/tpm.h):
 * "VTTPMEV1", then records {u8 part, u16be alg, u32be len, bytes}.  The
 * parsed view borrows the input: valid while the caller's bytes live.
 */
#ifndef VT_TEE_TPM_EVIDENCE_H
#define VT_TEE_TPM_EVIDENCE_H

#include "veritee/tpm.h"

#define VT_TPM_QUOTES_MAX 4
#define VT_TPM_PCR_BANKS_MAX 4

typedef struct vt__tpm_blob {
    const uint8_t *p; /* borrowed from the container */
    size_t len;
} vt__tpm_blob;

typedef struct vt__tpm_evidence {
    vt__tpm_blob attest[VT_TPM_QUOTES_MAX], sig[VT_TPM_QUOTES_MAX];
    size_t quote_count;
    uint16_t pcr_alg[VT_TPM_PCR_BANKS_MAX];
    vt__tpm_blob pcrs[VT_TPM_PCR_BANKS_MAX];
    size_t pcr_bank_count;
    vt__tpm_blob event_log, ak_pub, ak_cert, hcl_report, hw_certs, td_quote;
    bool hcl_binds_nonce; /* VT_TPM_PART_HCL_BINDS_NONCE present */
} vt__tpm_evidence;

bool vt__tpm_evidence_probe(const uint8_t *p, size_t len);
/* Splits a container into its parts: every quote has its signature, no part
 * twice (PCR banks once each), nothing left over.  VT_E_FORMAT naming the record. */
VT_NODISCARD vt_status vt__tpm_evidence_parse(vt__tpm_evidence *out, const uint8_t *p, size_t len, vt_err *err);

/* go-tpm-tools attest.Attestation (protobuf, tpm_pb.c).  probe: cheap, no
 * crypto.  to_container: appends the equivalent veritee container to out
 * (out empty or a container); out unchanged on failure. */
bool vt__tpm_pb_probe(const uint8_t *p, size_t len);
VT_NODISCARD vt_status vt__tpm_pb_to_container(vt_buf *out, const uint8_t *p, size_t len, vt_err *err);

#endif
