/*
 * Internal: a TPM reached through tpm2-tss ESAPI (collection, PCR extend,
 * sealing).  The TCTI is the caller's configuration string, else
 * "device:<sysroot>/dev/tpmrm0" (the library reads no environment).
 */
#ifndef VT_TEE_TPM_TSS_H
#define VT_TEE_TPM_TSS_H

#include <tss2/tss2_esys.h>

#include "tee/plugin.h"
#include "veritee/tpm.h"

typedef struct vt__tpm_conn {
    TSS2_TCTI_CONTEXT *tcti;
    ESYS_CONTEXT *esys;
    char conf[512]; /* the TCTI configuration in use (for messages) */
} vt__tpm_conn;

/* Opens the TPM.  tcti and sysroot borrowed, NULL for the defaults.
 * VT_E_UNSUPPORTED when no TPM answers there. */
VT_NODISCARD vt_status vt__tpm_open(vt__tpm_conn *c, const char *tcti, const char *sysroot, vt_err *err);
void vt__tpm_close(vt__tpm_conn *c);
/* A TSS2 return code as text (static storage, from tss2-rc). */
const char *vt__tpm_rc(TSS2_RC rc);
/* True when the TPM holds the persistent or NV handle h. */
bool vt__tpm_has_handle(vt__tpm_conn *c, TPM2_HANDLE h);
/* PCR selection for one bank from a 24-bit mask. */
void vt__tpm_pcr_select(TPML_PCR_SELECTION *sel, TPMI_ALG_HASH alg, uint32_t mask);
/* Reads the PCRs of mask in bank alg into out (PCR i at i * digest size;
 * others untouched).  out holds 24 digests of the bank. */
VT_NODISCARD vt_status vt__tpm_pcrs_read(vt__tpm_conn *c, TPMI_ALG_HASH alg, uint32_t mask, uint8_t *out,
                                         size_t dlen, vt_err *err);

/* The AK collection quotes with (co: tpm_ak_ecc, tpm_ak_handle), as a key
 * (caller owns *out, free with vt_pkey_free()). */
VT_NODISCARD vt_status vt__tpm_ak_key(vt__tpm_conn *c, const vt_collect_opts *co, vt_pkey **out, vt_err *err);
/* (Re)defines NV index `index` as an owner-read, owner-write index of len
 * bytes and writes p into it (a simulated vTPM's HCL report). */
/* Every byte of NV index `index` (1..max bytes, else VT_E_LIMIT), appended to out; read with the
 * index's own empty auth or the owner's (the other tried when the first is refused). */
VT_NODISCARD vt_status vt__tpm_nv_read(vt__tpm_conn *c, TPM2_HANDLE index, vt_buf *out, size_t max, vt_err *err);
VT_NODISCARD vt_status vt__tpm_nv_store(vt__tpm_conn *c, TPM2_HANDLE index, const uint8_t *p, size_t len,
                                        vt_err *err);

/* The plugin's detect and collect (tpm_collect.c). */
void vt__tpm_detect(vt_hw_entry *hw, const char *sysroot);
vt_status vt__tpm_collect(const vt__collect_req *req, vt_buf *out, vt_err *err);

#endif
