/* libFuzzer: signed notes, checkpoints and note verifier keys from untrusted bytes. */
#include <string.h>

#include "veritee/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Go's sumdb/note example key: lets the fuzzer reach the signature check of
 * notes that keep the example's name and key id. */
static const char vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt_note_verifier *v;
    vt_note_verifier *w = NULL;
    vt_checkpoint c;
    size_t tl = 0;
    vt_buf b;

    if (v == NULL && vt_note_verifier_parse(&v, vkey, strlen(vkey), NULL) != VT_OK)
        __builtin_trap();
    if (vt_note_open(&tl, data, size, v, NULL) == VT_OK && (tl == 0 || tl >= size || data[tl - 1] != '\n'))
        __builtin_trap(); /* the signed text is a proper prefix ending in its newline */
    if (vt_checkpoint_parse(&c, data, size, NULL) == VT_OK) {
        if (c.size > VT_TLOG_SIZE_MAX)
            __builtin_trap(); /* no size past the largest tree the library handles */
        /* a parsed checkpoint formats back to a prefix of its text (extension lines follow) */
        vt_buf_init(&b);
        if (vt_checkpoint_text(&b, &c, NULL) != VT_OK || b.len > size || memcmp(b.data, data, b.len) != 0)
            __builtin_trap();
        vt_buf_free(&b);
    }
    (void)vt_checkpoint_open(&c, data, size, v, "PeterNeumann", NULL);
    if (vt_note_verifier_parse(&w, (const char *)data, size, NULL) == VT_OK)
        vt_note_verifier_free(w);
    return 0;
}
