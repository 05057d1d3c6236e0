/*
 * TPM 2.0 evidence (docs/formats/tpm.md).  A TPM quote does not travel alone:
 * it needs its signature, the PCR values it digests, the attestation key
 * (AK) or the AK certificate, and usually the UEFI event log; on an Azure
 * confidential VM also the HCL report that binds the AK to the SEV-SNP
 * report.  veritee carries these parts in one container ("VTTPMEV1" then
 * typed records) that vt_evidence_verify() recognizes as VT_TEE_TPM; it
 * also recognizes, and converts to this container, go-tpm-tools'
 * attestation.pb and the Azure CVM JSON envelope (docs/formats/azure-cvm.md).
 */
#ifndef VERITEE_TPM_H
#define VERITEE_TPM_H

#include "veritee/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_TPM_EVIDENCE_MAGIC "VTTPMEV1" /* 8 bytes, no NUL */
#define VT_TPM_EVIDENCE_MAX (20u << 20)  /* the whole container */
#define VT_TPM_EVIDENCE_RECORDS_MAX 64

/* Record types (append only: the numbers are the format). */
typedef enum vt_tpm_part {
    VT_TPM_PART_ATTEST = 1,     /* TPMS_ATTEST of a quote; the next SIG record is its signature */
    VT_TPM_PART_SIG = 2,        /* TPMT_SIGNATURE, or the bare signature */
    VT_TPM_PART_PCRS = 3,       /* alg = the bank (TPM_ALG_SHA1/256/384); PCR 0.. values concatenated */
    VT_TPM_PART_EVENT_LOG = 4,  /* TCG2 crypto-agile UEFI event log (binary_bios_measurements) */
    VT_TPM_PART_AK_PUB = 5,     /* TPMT_PUBLIC of the AK (no TPM2B size) */
    VT_TPM_PART_AK_CERT = 6,    /* DER AK certificate */
    VT_TPM_PART_HCL_REPORT = 7, /* Azure CVM HCL report (hardware report + runtime data) */
    VT_TPM_PART_HW_CERTS = 8,   /* certificates of the hardware report (Azure: VCEK [+ ASK + ARK], PEM or DER) */
    VT_TPM_PART_TD_QUOTE = 9,   /* Azure TDX: the TD quote of the HCL's TDREPORT */
    VT_TPM_PART_HCL_BINDS_NONCE = 10, /* empty: the HCL runtime "user-data" must be the quote's extraData,
                                         zero-padded to 64 bytes (Azure envelope v2) */
} vt_tpm_part;

/*
 * Appends one record to a container in out, starting the container (magic)
 * when out is empty.  alg is the PCR bank for VT_TPM_PART_PCRS, else 0.
 * VT_E_LIMIT past VT_TPM_EVIDENCE_MAX or VT_TPM_EVIDENCE_RECORDS_MAX records.
 */
VT_NODISCARD VT_API vt_status vt_tpm_evidence_add(vt_buf *out, vt_tpm_part part, uint16_t alg, const uint8_t *p,
                                                  size_t len, vt_err *err);

/*
 * Builds a container from an evidence directory laid out as documented
 * (docs/formats/tpm.md): quote_{sha1,sha256,sha384}.{attest,sig} or
 * tpm_quote.{attest,sig}, pcrs_<bank>.bin, event_log.bin, ak_pub.tpmt,
 * ak_cert.der, hcl_report.bin, vcek.pem, td_quote.bin; or, without quote
 * files, attestation.pb (go-tpm-tools) or evidence.orig.json (the Azure
 * envelope) alone, converted.  Appends to out.
 * VT_E_FORMAT when the directory holds no quote; VT_E_IO when unreadable.
 */
VT_NODISCARD VT_API vt_status vt_tpm_evidence_load_dir(vt_buf *out, const char *dir, vt_err *err);

/* True when dir looks like a TPM evidence directory (holds a quote, attestation.pb or evidence.orig.json). */
VT_API bool vt_tpm_evidence_dir_probe(const char *dir);

/* ---- a TPM on this machine, through tpm2-tss (docs/formats/tpm.md) ----
 * tcti (borrowed; NULL for the default): a tpm2-tss TCTI configuration such
 * as "device:/dev/tpmrm0" or "swtpm:host=127.0.0.1,port=2321"; NULL =
 * device:/dev/tpmrm0 (the CLI passes $VERITEE_TPM_TCTI or $TPM2TOOLS_TCTI).
 * VT_E_UNSUPPORTED when no TPM answers there, VT_E_IO when the TPM refuses. */

/* Azure confidential VMs: the HCL report, and the index whose 64 bytes become its user-data. */
#define VT_TPM_HCL_NV_INDEX 0x01400001u
#define VT_TPM_HCL_USERDATA_NV_INDEX 0x01400002u
/* The application PCR the gateway's measurement log extends (TCG: PCR 23 is resettable, for applications). */
#define VT_TPM_APP_PCR 23u

/* PCR[pcr] := H(PCR[pcr] || digest) in bank alg (TPM_ALG_SHA1 0x0004, SHA256
 * 0x000b, SHA384 0x000c, SHA512 0x000d); len must be the bank's digest size. */
VT_NODISCARD VT_API vt_status vt_tpm_pcr_extend(const char *tcti, unsigned pcr, uint16_t alg, const uint8_t *digest,
                                                size_t len, vt_err *err);
/* Reads PCR[pcr] of bank alg into out (out_len = the bank's digest size). */
VT_NODISCARD VT_API vt_status vt_tpm_pcr_read(const char *tcti, unsigned pcr, uint16_t alg, uint8_t *out,
                                              size_t out_len, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_TPM_H */
