/* libFuzzer: the Nitro attestation document parser, inspect, and the whole
 * verify path on arbitrary bytes (signatures fail, but every CBOR head, the
 * payload map and the DER certificates get parsed). */
#include <stdlib.h>
#include <string.h>

#include "tee/nitro_doc.h"
#include "veritee/veritee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt__nitro_doc d;
    static vt_result r;
    vt_verify_opts o;
    char *json = NULL;

    (void)vt__nitro_doc_parse(&d, data, size, NULL);
    (void)vt_evidence_probe(data, size);
    if (vt_evidence_inspect(&json, VT_TEE_NITRO, data, size, NULL) == VT_OK)
        free(json);
    memset(&o, 0, sizeof(o));
    o.platform = VT_TEE_NITRO;
    o.now = 1725719859; /* 2024-09-07T14:37:39Z: the nitrite sample's time */
    o.allow_debug = true;
    if (vt_evidence_verify(&r, data, size, &o, NULL) != VT_OK && r.valid)
        abort(); /* unreadable evidence must never come out valid */
    return 0;
}
