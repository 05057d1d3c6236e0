/* libFuzzer: TPMS_ATTEST, TPMT_SIGNATURE and TPMT_PUBLIC on arbitrary bytes.
 * The first byte picks the parser; the signature parser runs with no key,
 * an RSA key and a P-256 key so every bare-signature branch is reached. */
#include <stdlib.h>

#include "tee/tpm_attest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt__tpm_attest a;
    static vt__tpm_sig s;
    static vt__tpm_public pub;
    static vt_pkey *keys[2];
    vt_pkey *k = NULL;

    if (keys[0] == NULL) {
        if (vt_pkey_generate(&keys[0], VT_KEY_RSA, NULL) != VT_OK ||
            vt_pkey_generate(&keys[1], VT_KEY_EC_P256, NULL) != VT_OK)
            abort();
    }
    if (size == 0)
        return 0;
    switch (data[0] % 3) {
    case 0:
        if (vt__tpm_attest_parse(&a, data + 1, size - 1, NULL) == VT_OK && (a.sel_count == 0 || a.pcr_digest_len == 0))
            abort();
        break;
    case 1:
        (void)vt__tpm_sig_parse(&s, data + 1, size - 1, NULL, NULL);
        for (size_t i = 0; i < 2; i++)
            if (vt__tpm_sig_parse(&s, data + 1, size - 1, keys[i], NULL) == VT_OK &&
                vt__tpm_sig_verify(&s, keys[i], data, size, NULL) == VT_OK)
                abort(); /* a random signature never verifies */
        break;
    default:
        if (vt__tpm_public_parse(&pub, &k, data + 1, size - 1, NULL) == VT_OK && k == NULL)
            abort();
        vt_pkey_free(k);
        break;
    }
    return 0;
}
