/* libFuzzer: a gateway's attestation reply as a relying party parses it
 * (veritee/rp.h: veritee chat, and a gateway checking a downstream deployment).
 * The first 64 bytes of a reply that parses must have answered our nonce. */
#include <string.h>

#include "veritee/rp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_rp_gateway g;

    memset(&g, 0, sizeof(g));
    memset(g.nonce, 0xab, sizeof(g.nonce));
    vt_hex_encode(g.nonce_hex, g.nonce, sizeof(g.nonce));
    if (vt_rp_attestation_parse(&g, (const char *)data, size, NULL) == VT_OK &&
        (g.passport == NULL || g.enclave == NULL || g.log == NULL))
        __builtin_trap();
    (void)vt_rp_measurements(&g, NULL); /* against an empty passport: must refuse, never crash */
    vt_rp_gateway_clear(&g);
    return 0;
}
