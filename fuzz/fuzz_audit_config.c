/* libFuzzer: the auditor chain configuration ("auditors" JSON: PII types and
 * patterns, policy terms and regexes, artifact digests, phases and actions).
 * Every user regex goes through Hyperscan's expression check; the compile of
 * the whole database is skipped (the built-in PII set takes seconds under the
 * sanitizers and does not depend on the input beyond those regexes). */
#include <stdint.h>

#include "audit/audit_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_audit_chain *c = NULL;
    uint8_t d[32];

    if (vt__audit_chain_parse(&c, (const char *)data, size, false, NULL) == VT_OK) {
        if (c == NULL)
            __builtin_trap();
        for (size_t i = 0; i < vt_audit_chain_count(c); i++)
            if (vt_audit_chain_get(c, i) == NULL || vt_audit_chain_get(c, i)->name == NULL)
                __builtin_trap();
        vt_audit_chain_digest(c, d);
        vt_audit_chain_free(c);
    } else if (c != NULL) {
        __builtin_trap(); /* a failed parse leaves nothing behind */
    }
    return 0;
}
