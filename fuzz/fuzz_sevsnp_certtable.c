/* libFuzzer: the SEV-SNP certificate table (GHCB extended-report / configfs
 * auxblob) parser on arbitrary bytes.  Invariants: no crash or overread
 * (ASan), nothing added when the table is refused, every blob kept is no
 * larger than the input and is a byte-exact slice of it. */
#include <stdlib.h>
#include <string.h>

#include "tee/collect.h"
#include "veritee/veritee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_slice(const uint8_t *hay, size_t hl, const uint8_t *p, size_t n)
{
    for (size_t i = 0; n <= hl && i <= hl - n; i++)
        if (memcmp(hay + i, p, n) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_collateral *c = NULL;
    vt_status rc;

    if (vt_collateral_new(&c, NULL) != VT_OK)
        return 0;
    rc = vt__sevsnp_cert_table(c, data, size, NULL);
    if (rc != VT_OK && rc != VT_E_NOMEM && vt_collateral_count(c) != 0)
        abort(); /* a refused table adds nothing */
    if (rc == VT_OK && size == 0 && vt_collateral_count(c) != 0)
        abort();
    for (size_t i = 0; i < vt_collateral_count(c); i++) {
        const char *name = NULL;
        size_t len = 0;
        const uint8_t *p = vt_collateral_get(c, i, &name, &len);

        if (p == NULL || name == NULL || len == 0 || len > size || !is_slice(data, size, p, len))
            abort();
        if (strcmp(name, "vcek.der") != 0 && strcmp(name, "vlek.der") != 0 && strcmp(name, "ask.der") != 0 &&
            strcmp(name, "ark.der") != 0)
            abort();
    }
    vt_collateral_free(c);
    return 0;
}
