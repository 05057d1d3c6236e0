/* libFuzzer: workflow graphs from untrusted JSON (veritee workflow), and their
 * compilation, which must succeed for every workflow that parses. */
#include <stdlib.h>

#include "veritee/workflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_workflow *w = malloc(sizeof(*w));
    char *out = NULL;

    if (w != NULL && vt_workflow_parse(w, (const char *)data, size, NULL) == VT_OK) {
        if (vt_workflow_compile(&out, w, NULL) != VT_OK)
            __builtin_trap();
        free(out);
    }
    free(w);
    return 0;
}
