/* libFuzzer: the NSM's ExtendPCR / LockPCR responses (nitro_collect.c), what
 * the gateway's Nitro register reads back from /dev/nsm. */
#include <stdlib.h>

#include "tee/collect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t out[48];

    (void)vt__nsm_pcr_response(out, false, data, size, NULL);
    (void)vt__nsm_pcr_response(out, true, data, size, NULL);
    return 0;
}
