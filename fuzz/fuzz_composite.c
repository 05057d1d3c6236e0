/* libFuzzer: composite evidence containers (docs/formats/composite.md) from
 * untrusted bytes: the container parser, its parts' inspection and the
 * verification path up to the parts' own verifiers (offline). */
#include <stdlib.h>
#include <string.h>

#include "veritee/composite.h"
#include "veritee/veritee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt_result r;
    vt_verify_opts o;
    char *json = NULL;
    vt_err e;

    if (vt_evidence_inspect(&json, VT_TEE_COMPOSITE, data, size, &e) == VT_OK && json == NULL)
        __builtin_trap();
    free(json);
    /* recognised from the bytes: the probe must not read past the input */
    json = NULL;
    (void)vt_evidence_inspect(&json, VT_TEE_NONE, data, size, NULL);
    free(json);
    /* the whole verify path: parts are verified by their own platforms (no
     * network: missing collateral allowed, no simulation root trusted) */
    memset(&o, 0, sizeof(o));
    o.platform = VT_TEE_COMPOSITE;
    o.now = 1748736000; /* 2025-06-01 */
    o.allow_missing_collateral = true;
    if (vt_evidence_verify(&r, data, size, &o, NULL) != VT_OK && r.valid)
        abort(); /* unreadable evidence must never come out valid */
    if (r.valid && r.claims.hardware_attested)
        abort(); /* nothing here chains to a hardware root */
    return 0;
}
