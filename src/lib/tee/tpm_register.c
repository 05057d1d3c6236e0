/*
 * TPM 2.0 (a TPM-measured machine, swtpm under simulation, the vTPM of an
 * Azure confidential VM): PCR 23 of the SHA-256 bank, through tpm2-tss ESAPI.
 * PCR 23 is the PC Client profile's application PCR: no firmware or OS
 * component extends it, and it is resettable at locality 0, so a boot resets
 * it first (a TPM only resets it at its own restart).  Anyone who can open
 * the TPM can reset and extend it too: what it holds is as trustworthy as the
 * booted OS that guards /dev/tpmrm0, which the quote's PCRs 0-9 (and the
 * event log) describe (docs/formats/registers.md).
 */
#include <string.h>

#include "tee/register_impl.h"
#include "tee/tpm_tss.h"

#define TPM_BANK 0x000b /* TPM_ALG_SHA256 */

static vt_status tpm_reset(vt_register *r, vt_err *err)
{
    vt_status rc;
    vt__tpm_conn c;
    TSS2_RC tr;

    rc = vt__tpm_open(&c, r->o.tpm_tcti, r->o.sysroot, err);
    if (rc != VT_OK)
        return rc;
    tr = Esys_PCR_Reset(c.esys, ESYS_TR_PCR0 + VT_TPM_APP_PCR, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE);
    rc = tr == TSS2_RC_SUCCESS ? VT_OK
                               : vt_err_set(err, VT_E_IO, "register: TPM2_PCR_Reset %u on %s: %s", VT_TPM_APP_PCR,
                                            c.conf, vt__tpm_rc(tr));
    vt__tpm_close(&c);
    return rc;
}

static vt_status tpm_extend(vt_register *r, const uint8_t *d, uint8_t *out, vt_err *err)
{
    vt_status rc = vt_tpm_pcr_extend(r->o.tpm_tcti, VT_TPM_APP_PCR, TPM_BANK, d, 32, err);

    if (rc == VT_OK && out != NULL && vt_tpm_pcr_read(r->o.tpm_tcti, VT_TPM_APP_PCR, TPM_BANK, out, 32, NULL) != VT_OK)
        memset(out, 0, 32);
    return rc;
}

const vt__register_ops vt__register_tpm = {
    .describe = "tpm PCR 23 (sha256 bank)",
    .md = VT_MD_SHA256,
    .reset = tpm_reset,
    .extend = tpm_extend,
};
