/* libFuzzer: the certificates of a TPM's EK NV index (seal/tpm_ek_cert.c) on arbitrary bytes:
 * split, then the first as an EK certificate chained through the others to the last, and its
 * key compared with an EK public area of one of the templates (L-2, H-3, H-4, L-1, H-6, H-7,
 * chosen by the first byte) holding the input's first bytes as its key; the input read as
 * the public area a TPM returns (TPMT_PUBLIC), checked against every template and that
 * certificate; and the input read as an EK CRL file (PEM CRLs or one DER CRL), applied to
 * the harness's own chain.
 * Invariants: a failed split or CRL read leaves the list as it was; a certificate the input
 * made never chains to a root the harness made; a public area the check takes as kind's
 * template is that template with a key of its size; the harness's chain, which verifies
 * without CRLs, never verifies with the input's CRLs (none can be its issuer's). */
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_mu.h>

#include "seal/tpm_ek.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness's chain: ours (a root) issued leaf, which verifies without CRLs. */
static vt__tpm_ek_certs ours, none;
static vt_x509 *leaf;

static void harness_init(void)
{
    vt_pkey *k = NULL, *lk = NULL;
    vt_x509_spec s = { .subject_cn = "fuzz root", .serial = 1, .not_before = 0, .not_after = 4000000000,
                       .ca = true, .pathlen = -1 };

    if (vt_pkey_generate(&k, VT_KEY_EC_P256, NULL) != VT_OK || vt_pkey_generate(&lk, VT_KEY_EC_P256, NULL) != VT_OK ||
        vt_x509_issue(&ours.c[0], &s, k, NULL, k, NULL) != VT_OK)
        abort();
    ours.count = 1;
    s.subject_cn = "fuzz EK";
    s.serial = 2;
    s.ca = false;
    if (vt_x509_issue(&leaf, &s, lk, ours.c[0], k, NULL) != VT_OK ||
        vt__tpm_ek_chain_verify(leaf, &none, &ours, NULL, 1700000000, NULL) != VT_OK)
        abort();
    vt_pkey_free(k);
    vt_pkey_free(lk);
}

/* The input as an EK CRL file against the harness's chain. */
static void crls_check(const uint8_t *data, size_t size)
{
    vt__tpm_ek_crls crls;

    memset(&crls, 0, sizeof(crls));
    if (vt__tpm_ek_crls_parse(&crls, data, size, "fuzz", NULL) != VT_OK) {
        if (crls.count != 0 || crls.c[0] != NULL)
            __builtin_trap();
        return;
    }
    if (crls.count == 0 || vt__tpm_ek_chain_verify(leaf, &none, &ours, &crls, 1700000000, NULL) == VT_OK)
        __builtin_trap();
    vt__tpm_ek_crls_free(&crls);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt__tpm_ek_certs l, inter, roots;
    TPM2B_PUBLIC t;
    TPMT_PUBLIC pub;
    vt__tpm_ek_kind kind;
    size_t off = 0, n;
    bool parsed;

    if (ours.count == 0)
        harness_init();
    if (size > VT__TPM_EK_NV_MAX)
        return 0;
    crls_check(data, size);
    /* The TPM's answer: accepted only as a template's EK with a key of the template's size. */
    memset(&pub, 0, sizeof(pub));
    parsed = Tss2_MU_TPMT_PUBLIC_Unmarshal(data, size, &off, &pub) == TSS2_RC_SUCCESS;
    if (parsed) {
        for (int k = 0; k < VT__TPM_EK_KINDS; k++) {
            if (vt__tpm_ek_of_template(&pub, (vt__tpm_ek_kind)k, NULL) != VT_OK)
                continue;
            vt__tpm_ek_template(&t, (vt__tpm_ek_kind)k);
            if (pub.type != t.publicArea.type || pub.nameAlg != t.publicArea.nameAlg ||
                pub.objectAttributes != t.publicArea.objectAttributes ||
                pub.authPolicy.size != t.publicArea.authPolicy.size ||
                memcmp(pub.authPolicy.buffer, t.publicArea.authPolicy.buffer, pub.authPolicy.size) != 0)
                __builtin_trap();
            n = vt__tpm_ek_key_len((vt__tpm_ek_kind)k);
            if (pub.type == TPM2_ALG_ECC ? pub.unique.ecc.x.size != n || pub.unique.ecc.y.size != n
                                         : pub.unique.rsa.size != n)
                __builtin_trap();
        }
    }
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
    (void)vt__tpm_ek_chain_verify(l.c[0], &inter, &roots, NULL, 1700000000, NULL);
    if (vt__tpm_ek_chain_verify(l.c[0], &inter, &ours, NULL, 1700000000, NULL) == VT_OK)
        __builtin_trap(); /* the input cannot hold a certificate our fresh key signed */
    kind = (vt__tpm_ek_kind)(size > 0 ? data[0] % VT__TPM_EK_KINDS : 0);
    vt__tpm_ek_template(&t, kind);
    n = vt__tpm_ek_key_len(kind);
    if (t.publicArea.type == TPM2_ALG_ECC && size >= 2 * n) {
        memcpy(t.publicArea.unique.ecc.x.buffer, data, n);
        memcpy(t.publicArea.unique.ecc.y.buffer, data + n, n);
        t.publicArea.unique.ecc.x.size = (UINT16)n;
        t.publicArea.unique.ecc.y.size = (UINT16)n;
    } else if (t.publicArea.type == TPM2_ALG_RSA && size >= n) {
        memcpy(t.publicArea.unique.rsa.buffer, data, n);
        t.publicArea.unique.rsa.size = (UINT16)n;
    }
    (void)vt__tpm_ek_matches(&t.publicArea, l.c[0], NULL);
    if (parsed)
        (void)vt__tpm_ek_matches(&pub, l.c[0], NULL);
    vt__tpm_ek_certs_free(&l);
    return 0;
}
