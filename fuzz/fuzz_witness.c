/* libFuzzer: C2SP tlog-witness add-checkpoint bodies and cosigned notes from
 * untrusted bytes (what a witness reads from a log, and a log from a witness). */
#include <string.h>

#include "veritee/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The known-answer cosigner of tests/unit/tlog/cosig_vectors.h: lets the fuzzer reach the
 * cosignature check of notes that keep its name and key id. */
static const char cosig_vkey[] = "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
static const char log_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt_note_verifier *cv, *lv;
    vt_witness_req r;
    vt_witness_state st = { 0 };
    size_t tl = 0;
    uint64_t t = 0;
    vt_buf b;

    if (cv == NULL && (vt_note_verifier_parse(&cv, cosig_vkey, strlen(cosig_vkey), NULL) != VT_OK ||
                       vt_note_verifier_parse(&lv, log_vkey, strlen(log_vkey), NULL) != VT_OK))
        __builtin_trap();
    if (vt_witness_req_parse(&r, data, size, NULL) == VT_OK) {
        int status;
        /* what was parsed builds back to the same bytes */
        vt_buf_init(&b);
        if (r.checkpoint < data || r.checkpoint + r.checkpoint_len != data + size || r.proof_count > 63)
            __builtin_trap();
        if (vt_witness_req_build(&b, r.old_size, (const uint8_t(*)[32])r.proof, r.proof_count, r.checkpoint,
                                 r.checkpoint_len, NULL) != VT_OK ||
            b.len != size || memcmp(b.data, data, size) != 0)
            __builtin_trap();
        vt_buf_free(&b);
        status = vt_witness_check(&st, &tl, &r, lv, NULL);
        if (status != 200 && status != 400 && status != 403 && status != 404 && status != 409 && status != 422)
            __builtin_trap();
        if (status == 200 && (!st.known || tl == 0 || tl > r.checkpoint_len))
            __builtin_trap();
    }
    if (vt_note_open_cosigned(&tl, &t, data, size, cv, NULL) == VT_OK && (tl == 0 || tl >= size || t > INT64_MAX))
        __builtin_trap();
    return 0;
}
