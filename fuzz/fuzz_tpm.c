/* libFuzzer: the TPM evidence container, the Azure HCL report and the whole
 * TPM verify path (inspect too) on arbitrary bytes.  The first byte picks
 * raw container bytes or an HCL report placed in a container beside a
 * fixed, well-formed quote, so the HCL and runtime-data JSON parsers are
 * reached through the plugin. */
#include <stdlib.h>
#include <string.h>

#include "tee/tpm_evidence.h"
#include "tee/tpm_hcl.h"
#include "veritee/veritee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t quote[] = { 0xff, 0x54, 0x43, 0x47, 0x80, 0x18, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0,
                                 0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0, 0, 0, 0, 0, 0,
                                 0,    0,    0,    0,    0,    1,    0,    0x0b, 3,    1,    0, 0, 0, 1, 0x5a };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt_result r;
    static vt__tpm_hcl h;
    vt_verify_opts o;
    vt_buf ev;
    char *json = NULL;

    if (size == 0)
        return 0;
    vt_buf_init(&ev);
    if (data[0] & 1) {
        if (vt__tpm_hcl_parse(&h, data + 1, size - 1, NULL) == VT_OK && h.ak == NULL)
            abort();
        vt__tpm_hcl_clear(&h);
        if (vt_tpm_evidence_add(&ev, VT_TPM_PART_ATTEST, 0, quote, sizeof(quote), NULL) != VT_OK ||
            vt_tpm_evidence_add(&ev, VT_TPM_PART_SIG, 0, quote, 8, NULL) != VT_OK ||
            vt_tpm_evidence_add(&ev, VT_TPM_PART_HCL_REPORT, 0, data + 1, size - 1, NULL) != VT_OK)
            goto out;
    } else if (vt_buf_append(&ev, data + 1, size - 1, NULL) != VT_OK) {
        goto out;
    }
    if (vt_evidence_inspect(&json, VT_TEE_TPM, ev.data, ev.len, NULL) == VT_OK)
        free(json);
    memset(&o, 0, sizeof(o));
    o.platform = VT_TEE_TPM;
    o.now = 1640995200; /* 2022-01-01 */
    o.allow_missing_collateral = true;
    if (vt_evidence_verify(&r, ev.data, ev.len, &o, NULL) != VT_OK && r.valid)
        abort(); /* unreadable evidence must never come out valid (the real seeds are valid) */
out:
    vt_buf_free(&ev);
    return 0;
}
