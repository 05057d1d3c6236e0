/* libFuzzer: the certificates of a TPM's EK NV index (seal/tpm_ek_cert.c) on arbitrary bytes:
 * split, then the first as an EK certificate chained through the others to the last, and its
 * key compared with an EK public area taken from the input's first bytes.  Invariants: a
 * failed split leaves the list as it was; a certificate the input made never chains to a
 * root the harness made. */
#include <stdlib.h>
#include <string.h>

#include "seal/tpm_ek.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt__tpm_ek_certs ours;
    vt__tpm_ek_certs l, inter, roots;
    TPM2B_PUBLIC t;

    if (ours.count == 0) {
        vt_pkey *k = NULL;
        vt_x509_spec s = { .subject_cn = "fuzz root", .serial = 1, .not_before = 0, .not_after = 4000000000,
                           .ca = true, .pathlen = -1 };

        if (vt_pkey_generate(&k, VT_KEY_EC_P256, NULL) != VT_OK ||
            vt_x509_issue(&ours.c[0], &s, k, NULL, k, NULL) != VT_OK)
            abort();
        ours.count = 1;
        vt_pkey_free(k);
    }
    if (size > VT__TPM_EK_NV_MAX)
        return 0;
    memset(&l, 0, sizeof(l));
    if (vt__tpm_ek_der_split(&l, data, size, NULL) != VT_OK) {
        if (l.count != 0 || l.c[0] != NULL)
            __builtin_trap();
        return 0;
    }
    memset(&inter, 0, sizeof(inter));
    memset(&roots, 0, sizeof(roots));
    for (size_t i = 1; i + 1 < l.count; i++)
        inter.c[inter.count++] = l.c[i];
    roots.c[roots.count++] = l.c[l.count - 1];
    (void)vt__tpm_ek_chain_verify(l.c[0], &inter, &roots, 1700000000, NULL);
    if (vt__tpm_ek_chain_verify(l.c[0], &inter, &ours, 1700000000, NULL) == VT_OK)
        __builtin_trap(); /* the input cannot hold a certificate our fresh key signed */
    vt__tpm_ek_template(&t, size > 0 && (data[0] & 1));
    if (size >= 64) {
        memcpy(t.publicArea.unique.ecc.x.buffer, data, 32);
        memcpy(t.publicArea.unique.ecc.y.buffer, data + 32, 32);
    }
    (void)vt__tpm_ek_matches(&t.publicArea, l.c[0], NULL);
    vt__tpm_ek_certs_free(&l);
    return 0;
}
