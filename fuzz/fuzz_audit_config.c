/* libFuzzer: the auditor chain configuration ("auditors" JSON: PII types,
 * policy terms and regexes, artifact rules), compiled into a chain. */
#include <stdint.h>

#include "veritee/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_audit_chain *c = NULL;
    vt_audit_ctx *x = NULL;
    uint8_t d[32];

    if (vt_audit_chain_new(&c, (const char *)data, size, NULL) == VT_OK) {
        if (c == NULL)
            __builtin_trap();
        for (size_t i = 0; i < vt_audit_chain_count(c); i++)
            if (vt_audit_chain_get(c, i) == NULL)
                __builtin_trap();
        vt_audit_chain_digest(c, d);
        if (vt_audit_ctx_new(&x, c, NULL) == VT_OK)
            vt_audit_ctx_free(x);
        vt_audit_chain_free(c);
    }
    return 0;
}
