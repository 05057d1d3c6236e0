/*
 * Internal: the Azure confidential VM attestation envelope, the JSON file
 * trustee's az-snp-vtpm / az-tdx-vtpm attesters produce
 * (docs/formats/azure-cvm.md):
 *
 *   v0 (no "version"):  {"quote": {"signature": [bytes], "message": [bytes],
 *                        "pcrs": [[32 bytes] x 1..24]}, "report": [bytes],
 *                        "vcek": "PEM"}
 *   v1, v2:             {"version": 1|2, "tpm_quote": {"signature": "hex",
 *                        "message": "hex", "pcrs": ["hex" x 1..24]},
 *                        "hcl_report": "base64url", "vcek": "base64url DER",
 *                        "td_quote": "base64url"}   (vcek and td_quote optional)
 *
 * Byte arrays are JSON arrays of integers 0..255.  The parts become a veritee
 * TPM evidence container (veritee/tpm.h) for the TPM plugin, which verifies
 * them: the HCL report's hardware report to the vendor root, the runtime data
 * it binds, the HCLAkPub AK in it, and the quote with that AK.  v2 also
 * promises that the runtime data's "user-data" carries the quote's nonce:
 * the container records that promise (VT_TPM_PART_HCL_BINDS_NONCE) and the
 * plugin checks it.  Nothing here is trusted before the plugin verifies it.
 */
#ifndef VT_TEE_AZURE_ENVELOPE_H
#define VT_TEE_AZURE_ENVELOPE_H

#include "tee/tpm_attest.h"
#include "tee/tpm_hcl.h"
#include "veritee/tpm.h"

#define VT_AZURE_ENVELOPE_MAX (512u * 1024u)   /* the whole JSON text (v0 byte arrays take ~4 chars a byte) */
#define VT_AZURE_QUOTE_MAX VT_TPM_ATTEST_MAX   /* TPMS_ATTEST ("message") */
#define VT_AZURE_SIG_MAX VT_TPM_SIG_MAX        /* the quote's signature */
#define VT_AZURE_HCL_MAX VT_HCL_MAX            /* the HCL report */
#define VT_AZURE_TD_QUOTE_MAX (64u * 1024u)    /* the TD quote (Azure TDX; the TDX plugin's own limit) */
#define VT_AZURE_VCEK_MAX (64u * 1024u)        /* the VCEK, PEM (v0) or DER (v1, v2) */
#define VT_AZURE_PCRS_MAX VT_TPM_PCR_COUNT     /* SHA-256 PCR values, PCR 0 first */

/* True when p looks like an Azure envelope: a JSON object whose first member
 * is one an envelope has ("quote", "report", "vcek", "tpm_quote",
 * "hcl_report", "td_quote"; or "version": N followed by one of those).
 * Reads a few dozen bytes whatever the size: no allocation, no crypto. */
bool vt__azure_envelope_probe(const uint8_t *p, size_t len);

/*
 * Appends the envelope's parts to out (empty, or a TPM evidence container)
 * as container records: the quote, its signature, the SHA-256 PCR bank, the
 * HCL report, the VCEK, the TD quote, and for v2 the nonce-binding record.
 * out is unchanged on failure.  VT_E_FORMAT naming the field (bad JSON, a
 * missing, unknown or mistyped member, bad hex, base64url or byte array),
 * VT_E_LIMIT for a field or envelope over its maximum above,
 * VT_E_UNSUPPORTED for a version other than 0 (absent), 1 or 2.
 */
VT_NODISCARD vt_status vt__azure_envelope_to_container(vt_buf *out, const uint8_t *p, size_t len, vt_err *err);

#endif
