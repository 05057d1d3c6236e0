/* libFuzzer: sealed blobs (veritee-seal-v1) from untrusted bytes, opened
 * under a fixed mock root; the first byte picks the key id's length. */
#include <string.h>

#include "veritee/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char ids[] = "model-key-of-some-length";
    vt_seal_root root;
    char id[sizeof(ids)];
    vt_buf out;
    size_t n;

    if (size == 0)
        return 0;
    memset(&root, 0, sizeof(root));
    root.platform = (data[0] & 0x80) ? VT_SEAL_SEVSNP : VT_SEAL_MOCK;
    memset(root.key, 0x42, sizeof(root.key));
    n = 1 + (size_t)(data[0] & 0x0f);
    memcpy(id, ids, n);
    id[n] = '\0';
    vt_buf_init(&out);
    if (vt_unseal(&out, &root, id, data + 1, size - 1, NULL) == VT_OK && out.len + VT_SEAL_OVERHEAD != size - 1)
        __builtin_trap(); /* what opens is exactly the blob minus nonce and tag */
    vt_buf_free(&out);
    return 0;
}
