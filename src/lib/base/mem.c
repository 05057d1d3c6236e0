/* Constant-time comparison and wiping; both delegate to OpenSSL, whose
 * implementations are written so the compiler cannot shortcut them. */
#include <openssl/crypto.h>

#include "veritee/base.h"

bool vt_ct_equal(const void *a, const void *b, size_t len)
{
    if (len == 0)
        return true;
    return CRYPTO_memcmp(a, b, len) == 0;
}

void vt_wipe(void *p, size_t len)
{
    if (p != NULL && len > 0)
        OPENSSL_cleanse(p, len);
}
