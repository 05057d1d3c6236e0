/* libFuzzer: the go-tpm-tools attestation container (protobuf) on arbitrary
 * bytes: the hand-written reader must stay inside the input, and whatever it
 * turns into a veritee container must split into its parts again. */
#include <stdlib.h>

#include "tee/tpm_evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt__tpm_evidence ev;
    vt_buf b;

    (void)vt__tpm_pb_probe(data, size);
    vt_buf_init(&b);
    if (vt__tpm_pb_to_container(&b, data, size, NULL) == VT_OK) {
        /* Every record the converter wrote is well formed; the parse may
         * still refuse a part twice (a bank quoted twice) but never crash. */
        if (b.len < 8 || !vt__tpm_evidence_probe(b.data, b.len))
            abort();
        (void)vt__tpm_evidence_parse(&ev, b.data, b.len, NULL);
    } else if (b.len != 0) {
        abort(); /* out unchanged on failure */
    }
    vt_buf_free(&b);
    return 0;
}
