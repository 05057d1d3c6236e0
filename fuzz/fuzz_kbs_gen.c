/*
 * The key broker's generations (src/verifier/kbs_gen.c) read from log entries: the input is
 * split at NUL bytes into entries, each told to the learner in turn.  Whatever they hold: no
 * crash, and a resource it knows has a generation in 1..2^53 (from entries that name it).  The
 * map it learnt saves to text that loads back to the same map (STATE/log-follow), and the input
 * itself, read as such text, loads or is refused without a fault.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/kbs_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vf_kbs_gen *g = NULL;
    size_t start = 0;
    uint64_t gen;
    bool reg;

    if (vf_kbs_gen_new(&g, NULL) != VT_OK)
        return 0;
    for (size_t i = 0; i <= size; i++)
        if (i == size || data[i] == 0) {
            vf_kbs_gen_learn(g, 0, data + start, i - start);
            start = i + 1;
        }
    if (vf_kbs_gen_get(g, "model-key", &gen, &reg) && (gen == 0 || gen > VF_KBS_GENERATION_MAX))
        abort();
    {
        vf_kbs_gen *back = NULL, *raw = NULL;
        vt_buf one, two;
        vt_buf_init(&one);
        vt_buf_init(&two);
        if (vf_kbs_gen_new(&back, NULL) != VT_OK || vf_kbs_gen_new(&raw, NULL) != VT_OK ||
            vf_kbs_gen_save(g, &one, NULL) != VT_OK || vf_kbs_gen_load(back, one.data, one.len, NULL) != VT_OK ||
            vf_kbs_gen_save(back, &two, NULL) != VT_OK || one.len != two.len ||
            (one.len > 0 && memcmp(one.data, two.data, one.len) != 0))
            abort();
        (void)vf_kbs_gen_load(raw, data, size, NULL);
        vt_buf_free(&one);
        vt_buf_free(&two);
        vf_kbs_gen_free(back);
        vf_kbs_gen_free(raw);
    }
    vf_kbs_gen_free(g);
    return 0;
}
