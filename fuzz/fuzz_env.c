/* libFuzzer: environments from untrusted JSON (PUT /v1/environments), and their
 * canonical form, which must parse back to the same environment. */
#include <stdlib.h>
#include <string.h>

#include "veritee/passport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_env *e = calloc(1, sizeof(*e)), *back = calloc(1, sizeof(*back));
    char *json = NULL;

    if (e != NULL && back != NULL && vt_env_parse(e, (const char *)data, size, "fuzz", NULL) == VT_OK) {
        if (vt_env_to_json(&json, e, NULL) != VT_OK)
            __builtin_trap(); /* a parsed environment always serializes */
        if (vt_env_parse(back, json, strlen(json), NULL, NULL) != VT_OK)
            __builtin_trap(); /* and its canonical form parses back */
        if (back->snp_max_vmpl != e->snp_max_vmpl || back->tdx_attributes != e->tdx_attributes ||
            back->tdx_attributes_mask != e->tdx_attributes_mask || back->snp_allow_smt != e->snp_allow_smt ||
            back->azure_tdx_attributes != e->azure_tdx_attributes ||
            back->azure_tdx_attributes_mask != e->azure_tdx_attributes_mask ||
            (e->azure_tdx_attributes & ~e->azure_tdx_attributes_mask) != 0 ||
            memcmp(back->snp_min_tcb, e->snp_min_tcb, sizeof(e->snp_min_tcb)) != 0)
            __builtin_trap();
        free(json);
    }
    free(e);
    free(back);
    return 0;
}
