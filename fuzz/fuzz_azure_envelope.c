/* libFuzzer: the Azure CVM JSON envelope (tee/azure_envelope.c) on arbitrary
 * bytes, then the TPM plugin's inspect and verify paths on the same bytes.
 * Invariants: a converted envelope is a container that splits into exactly
 * one quote with its signature, one SHA-256 PCR bank and an HCL report, and
 * is byte for byte the same when converted again; a refused one leaves the
 * output untouched; bytes the plugin cannot read never come out valid
 * (the real seeds are valid, so that is the verdict checked). */
#include <stdlib.h>
#include <string.h>

#include "tee/azure_envelope.h"
#include "tee/tpm_evidence.h"
#include "veritee/veritee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt_result r;
    vt__tpm_evidence ev;
    vt_verify_opts o;
    vt_buf b, again;
    vt_status rc;
    char *json = NULL;

    (void)vt__azure_envelope_probe(data, size);
    vt_buf_init(&b);
    vt_buf_init(&again);
    rc = vt__azure_envelope_to_container(&b, data, size, NULL);
    if (rc != VT_OK) {
        if (b.len != 0)
            abort(); /* out unchanged on failure */
        goto out;
    }
    if (vt__tpm_evidence_parse(&ev, b.data, b.len, NULL) != VT_OK || ev.quote_count != 1 || ev.pcr_bank_count != 1 ||
        ev.pcrs[0].len % 32 != 0 || ev.hcl_report.p == NULL)
        abort();
    if (vt__azure_envelope_to_container(&again, data, size, NULL) != VT_OK || again.len != b.len ||
        memcmp(again.data, b.data, b.len) != 0)
        abort();
    if (vt_evidence_inspect(&json, VT_TEE_NONE, data, size, NULL) == VT_OK)
        free(json);
    memset(&o, 0, sizeof(o));
    o.platform = VT_TEE_TPM;
    o.now = 1740673615; /* 2025-02-27T16:26:55Z, inside the Milan seeds' VCEK window */
    if (vt_evidence_verify(&r, data, size, &o, NULL) != VT_OK && r.valid)
        abort();
out:
    vt_buf_free(&b);
    vt_buf_free(&again);
    return 0;
}
