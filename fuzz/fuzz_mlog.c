/* libFuzzer: measurement logs from untrusted bytes, and their replay. */
#include "veritee/mlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_mlog *l = NULL;
    uint8_t reg[VT_REGISTER_LEN];

    if (vt_mlog_parse(&l, data, size, NULL) == VT_OK) {
        if (vt_mlog_replay(reg, l, NULL) != VT_OK)
            __builtin_trap(); /* a parsed log always replays */
        vt_mlog_free(l);
    }
    return 0;
}
