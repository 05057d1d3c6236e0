/* libFuzzer: the compact serialiser (vt__json_dump_buf, base/json.c) against
 * jansson's own.  Any document jansson reads is written by both, compact,
 * sorted and in insertion order, and the bytes must be the same. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t flags[] = { JSON_COMPACT, JSON_COMPACT | JSON_SORT_KEYS, JSON_COMPACT | JSON_PRESERVE_ORDER };
    json_t *doc = json_loadb((const char *)data, size, JSON_ALLOW_NUL | JSON_DECODE_ANY, NULL);

    if (doc == NULL)
        return 0;
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        vt_buf out = { 0 };
        char *want = json_dumps(doc, flags[i]);
        vt_status rc = vt__json_dump_buf(&out, doc, flags[i], NULL);
        if ((want != NULL) != (rc == VT_OK))
            __builtin_trap();
        if (want != NULL && (out.len != strlen(want) || memcmp(out.data, want, out.len) != 0))
            __builtin_trap();
        free(want);
        vt_buf_free(&out);
    }
    json_decref(doc);
    return 0;
}
