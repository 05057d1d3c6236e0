/* libFuzzer: Intel PCS collateral (TCB Info, QE Identity) splitting and parsing,
 * and the PCK certificate's SGX extension. */
#include <string.h>

#include "tee/tdx_collateral.h"
#include "tee/tdx_pck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt__tdx_tcb_info tcb;
    static vt__tdx_qe_identity qe;
    vt__tdx_pck_ext pck;
    vt__tdx_signed_doc doc;

    if (vt__tdx_signed_doc_split(&doc, data, size, "tcbInfo", NULL) == VT_OK)
        (void)vt__tdx_tcb_info_parse(&tcb, doc.value, doc.value_len, NULL);
    if (vt__tdx_signed_doc_split(&doc, data, size, "enclaveIdentity", NULL) == VT_OK)
        (void)vt__tdx_qe_identity_parse(&qe, doc.value, doc.value_len, NULL);
    /* The raw parsers also see input that did not come out of a split. */
    (void)vt__tdx_tcb_info_parse(&tcb, data, size, NULL);
    (void)vt__tdx_qe_identity_parse(&qe, data, size, NULL);
    (void)vt__tdx_pck_ext_parse(&pck, data, size, NULL);
    return 0;
}
