/* libFuzzer: an external auditor's answer (veritee-auditor/1) against a fixed
 * request; whatever parses must apply to every text without error. */
#include <stdlib.h>

#include "audit/external.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const vt_xaud_text texts[] = { { "a", "hello wide world", 16 }, { "b", "caf\xc3\xa9", 5 }, { "c", "", 0 } };
    static const vt_xaud_request rq = { "fuzz", VT_AUDIT_RESPONSE, "x", "/v1/chat/completions", false, 0, false,
                                        texts, 3, NULL };
    vt_xaud_answer a;

    if (vt_xaud_answer_parse(&a, &rq, (const char *)data, size, NULL) == VT_OK) {
        for (size_t i = 0; i < rq.text_count; i++) {
            vt_buf out;
            vt_buf_init(&out);
            if (vt_xaud_apply(&out, &a, &rq, i, NULL) != VT_OK)
                __builtin_trap();
            vt_buf_free(&out);
        }
        vt_xaud_answer_clear(&a);
    }
    return 0;
}
