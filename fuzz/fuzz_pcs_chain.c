/* libFuzzer: Intel PCS issuer-chain headers (URL-encoded PEM), as a PCS or
 * PCCS sends them in TCB-Info-Issuer-Chain and the other *-Issuer-Chain headers. */
#include "tee/tdx_pcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_buf pem;

    vt_buf_init(&pem);
    if (vt__pcs_chain_decode(&pem, data, size, NULL) == VT_OK && pem.len == 0)
        __builtin_trap(); /* success always yields the PEM text */
    vt_buf_free(&pem);
    return 0;
}
