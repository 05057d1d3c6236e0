/* libFuzzer: the NVIDIA SPDM evidence parser, inspect, and the whole verify
 * path on arbitrary bytes (with and without a tail blob as collateral, so the
 * PEM / reference-value scanner gets fuzzed too). */
#include <stdlib.h>
#include <string.h>

#include "tee/nvgpu_spdm.h"
#include "veritee/veritee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt__nvgpu_evidence ev;
    static vt_result r;
    vt_verify_opts o;
    vt_collateral *c = NULL;
    char *json = NULL;
    size_t n = size / 2;

    (void)vt__nvgpu_parse(&ev, data, size, NULL);
    (void)vt__nvgpu_probe(data, size);
    if (vt_evidence_inspect(&json, VT_TEE_NVGPU, data, size, NULL) == VT_OK)
        free(json);
    memset(&o, 0, sizeof(o));
    o.platform = VT_TEE_NVGPU;
    o.now = 1748736000; /* 2025-06-01 */
    o.allow_missing_collateral = true;
    if (vt_evidence_verify(&r, data, size, &o, NULL) != VT_OK && r.valid)
        abort(); /* unreadable evidence must never come out valid */
    if (r.valid)
        abort(); /* no certificate chain: never accepted */
    /* The first half as the evidence, the rest as a collateral blob. */
    if (size > n && vt_collateral_new(&c, NULL) == VT_OK) {
        if (vt_collateral_add(c, "blob", data + n, size - n, NULL) == VT_OK) {
            o.collateral = c;
            if (vt_evidence_verify(&r, data, n, &o, NULL) != VT_OK && r.valid)
                abort();
        }
        vt_collateral_free(c);
    }
    return 0;
}
