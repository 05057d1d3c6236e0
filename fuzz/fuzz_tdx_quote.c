/* libFuzzer: the TDX quote parser, and the whole verify path on arbitrary bytes
 * (signatures fail, but every length field and the PEM chain get parsed). */
#include <stdlib.h>
#include <string.h>

#include "tee/tdx_quote.h"
#include "veritee/veritee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt__tdx_quote q;
    static vt_result r;
    vt_verify_opts o;
    char *json = NULL;

    (void)vt__tdx_quote_parse(&q, data, size, NULL);
    if (vt_evidence_inspect(&json, VT_TEE_TDX, data, size, NULL) == VT_OK)
        free(json);
    memset(&o, 0, sizeof(o));
    o.platform = VT_TEE_TDX;
    o.now = 1775001600; /* 2026-04-01 */
    o.allow_missing_collateral = true;
    if (vt_evidence_verify(&r, data, size, &o, NULL) != VT_OK && r.valid)
        abort(); /* unreadable evidence must never come out valid */
    return 0;
}
