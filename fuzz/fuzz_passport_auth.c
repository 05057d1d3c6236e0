/* libFuzzer: the Veritee-Gateway Authorization value parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "veritee/veritee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_passport_auth a;
    char *s = malloc(size + 1);

    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (vt_passport_auth_parse(&a, s, size, NULL) == VT_OK)
        vt_passport_auth_clear(&a);
    free(s);
    return 0;
}
