/* libFuzzer: compact JWEs from untrusted bytes (what a gateway receives from
 * the key broker), decrypted with a fixed P-256 key, without and with an
 * expected kid. */
#include <string.h>

#include "veritee/jwe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt_pkey *key;
    vt_buf out;

    if (key == NULL && vt_pkey_generate(&key, VT_KEY_EC_P256, NULL) != VT_OK)
        return 0;
    vt_buf_init(&out);
    (void)!vt_jwe_decrypt(&out, key, (const char *)data, size, NULL);
    (void)!vt_jwe_decrypt_kid(&out, key, "model-key", (const char *)data, size, NULL); /* the gateway's */
    vt_buf_free(&out);
    return 0;
}
