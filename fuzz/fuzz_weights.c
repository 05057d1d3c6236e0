/* libFuzzer: encrypted model files (veritee-weights-v1) from untrusted bytes:
 * the header parser, the size checks and the segment loop, under a fixed key
 * (scripts/fuzz.sh seeds files encrypted under it). */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "veritee/weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const vt_weights_opts one = { .threads = 1 };
    uint8_t key[VT_WEIGHTS_KEY_LEN];
    vt_weights_header h;
    vt_weights_info info;
    int in = memfd_create("in", MFD_CLOEXEC), out = memfd_create("out", MFD_CLOEXEC);

    memset(key, 0x42, sizeof(key));
    if (vt_weights_header_parse(&h, data, size, NULL) == VT_OK && h.size > VT_WEIGHTS_MAX_SIZE)
        __builtin_trap(); /* the limit holds */
    if (in >= 0 && out >= 0 && write(in, data, size) == (ssize_t)size &&
        vt_weights_decrypt_fd(&info, out, in, key, "m", &one, NULL) == VT_OK) {
        if (info.size != h.size || vt_weights_encrypted_size(info.size) != size)
            __builtin_trap(); /* what decrypts is exactly what the header declares */
    }
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return 0;
}
