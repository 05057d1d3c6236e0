/* libFuzzer: tile paths, entry bundles and proofs from untrusted bytes. */
#include <string.h>

#include "veritee/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[VT_TILE_PATH_MAX];
    uint8_t root[32] = { 0 }, leaf[32] = { 0 };
    const uint8_t *e;
    size_t el, n = 0;
    uint64_t a = 0, s = 0;
    vt_tile t;
    vt_rd r;

    /* a parsed path is canonical: it formats back to the same bytes */
    if (vt_tile_path_parse(&t, (const char *)data, size, NULL) == VT_OK &&
        (vt_tile_path(path, &t, NULL) != VT_OK || strlen(path) != size || memcmp(path, data, size) != 0))
        __builtin_trap();
    vt_rd_init(&r, data, size);
    while (vt_tile_bundle_next(&r, &e, &el))
        if (e == NULL || el > VT_TLOG_ENTRY_MAX || ++n > size)
            __builtin_trap();
    /* proofs: 16 bytes of sizes, then whole hashes */
    if (size >= 16) {
        for (int i = 0; i < 8; i++) {
            a = a << 8 | data[i];
            s = s << 8 | data[8 + i];
        }
        n = (size - 16) / 32;
        (void)vt_tlog_verify_inclusion(leaf, a, s, (const uint8_t(*)[32])(data + 16), n, root, NULL);
        (void)vt_tlog_verify_consistency(a, s, (const uint8_t(*)[32])(data + 16), n, root, root, NULL);
    }
    return 0;
}
