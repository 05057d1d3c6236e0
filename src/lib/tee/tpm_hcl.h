/*
 * Internal: the Azure confidential VM HCL report (docs/formats/tpm.md): an
 * "HCLA" header, the hardware report (SEV-SNP report or TDREPORT), the IGVM
 * runtime-data header and the runtime data JSON, whose SHA-256 the hardware
 * report's REPORT_DATA[0:32] carries and whose "HCLAkPub" JWK is the vTPM AK.
 */
#ifndef VT_TEE_TPM_HCL_H
#define VT_TEE_TPM_HCL_H

#include "veritee/crypto.h"

#define VT_HCL_HW_OFFSET 0x20
#define VT_HCL_HW_LEN 0x4a0
#define VT_HCL_RUNTIME_OFFSET 0x4c0
#define VT_HCL_RUNTIME_MAX 8192
#define VT_HCL_MAX 8192
#define VT_HCL_TYPE_SNP 2
#define VT_HCL_TYPE_TDX 4
#define VT_HCL_SNP_REPORT_LEN 0x4a0
#define VT_HCL_TDREPORT_DATA 0x80 /* REPORTDATA inside the TDREPORT (REPORTMACSTRUCT) */
/* TDREPORT (1024 bytes): REPORTMACSTRUCT (0x000, 256: type, reserved, CPUSVN,
 * TEE_TCB_INFO_HASH at 0x20, TEE_INFO_HASH at 0x50, REPORTDATA, reserved,
 * MAC), TEE_TCB_INFO (0x100, 239: VALID, TEE_TCB_SVN, MRSEAM, MRSIGNERSEAM,
 * ATTRIBUTES, ...), reserved, TDINFO (0x200, 512: ATTRIBUTES, XFAM, MRTD,
 * MRCONFIGID, MROWNER, MROWNERCONFIG, RTMR0..3, SERVTD_HASH, reserved). */
#define VT_HCL_TDR_TCB_INFO_HASH 0x20
#define VT_HCL_TDR_TEE_INFO_HASH 0x50
#define VT_HCL_TDR_TCB_INFO 0x100
#define VT_HCL_TDR_TCB_INFO_LEN 239
#define VT_HCL_TDR_TDINFO 0x200
#define VT_HCL_TDR_TDINFO_LEN 512
#define VT_HCL_TDREPORT_LEN 1024

/* A TDREPORT field the TD quote repeats, named by the TDX plugin's claim for it. */
typedef struct vt__hcl_tdr_field {
    const char *claim;
    size_t off, len;
} vt__hcl_tdr_field;
#define VT_HCL_TDR_FIELDS 14
extern const vt__hcl_tdr_field vt__hcl_tdr_fields[VT_HCL_TDR_FIELDS];

/* TEE_TCB_INFO_HASH and TEE_INFO_HASH (SHA-384 of TEE_TCB_INFO and TDINFO):
 * check that they hold, or (set) write them. */
bool vt__hcl_tdr_hashes_hold(const uint8_t tdr[VT_HCL_TDREPORT_LEN]);
VT_NODISCARD vt_status vt__hcl_tdr_hashes_set(uint8_t tdr[VT_HCL_TDREPORT_LEN], vt_err *err);

typedef struct vt__tpm_hcl {
    uint32_t report_type;            /* VT_HCL_TYPE_SNP or _TDX */
    const uint8_t *hw;               /* borrowed: the hardware report (VT_HCL_HW_LEN bytes) */
    const uint8_t *runtime;          /* borrowed: the runtime data JSON */
    size_t runtime_len;
    uint8_t runtime_sha256[32];
    vt_pkey *ak;                     /* owned: HCLAkPub */
    int secure_boot, tpm_enabled;    /* vm-configuration; -1 when absent */
    uint8_t user_data[64];           /* runtime "user-data", decoded (hex) */
    size_t user_data_len;
} vt__tpm_hcl;

/* Parses the report and its runtime data (bounded); out->ak owned by out,
 * free with vt__tpm_hcl_clear().  VT_E_FORMAT naming the field. */
VT_NODISCARD vt_status vt__tpm_hcl_parse(vt__tpm_hcl *out, const uint8_t *p, size_t len, vt_err *err);
void vt__tpm_hcl_clear(vt__tpm_hcl *h);

#endif
