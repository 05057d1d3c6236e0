/*
 * The TPM's endorsement key, checked (docs/formats/tpm.md "The TPM's identity"): its
 * certificate read from NV and verified against the operator's roots, and the EK made from
 * the standard template, which must hold the certificate's key.  A session salted to that
 * key can only be answered by the TPM that holds the EK's private half.
 */
#include <stdio.h>
#include <string.h>

#include "seal/tpm_ek.h"

/* The certificates of the EK chain indices (0x01c00100..0x01c001ff, at most
 * VT__TPM_EK_CHAIN_INDICES of them), appended to inter. */
static vt_status chain_read(vt__tpm_conn *c, vt__tpm_ek_certs *inter, vt_err *err)
{
    TPMS_CAPABILITY_DATA *cap = NULL;
    vt_status rc = VT_OK;
    TSS2_RC r;

    r = Esys_GetCapability(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES, VT__TPM_EK_NV_CHAIN,
                           VT__TPM_EK_CHAIN_INDICES, NULL, &cap);
    if (r != TSS2_RC_SUCCESS)
        return vt_err_set(err, VT_E_IO, "seal: listing the TPM's EK chain indices: %s", vt__tpm_rc(r));
    for (UINT32 i = 0; rc == VT_OK && i < cap->data.handles.count && i < VT__TPM_EK_CHAIN_INDICES; i++) {
        TPM2_HANDLE h = cap->data.handles.handle[i];
        vt_err e = { 0 };
        vt_buf b;

        if (h < VT__TPM_EK_NV_CHAIN || h >= VT__TPM_EK_NV_CHAIN_END)
            break;
        vt_buf_init(&b);
        rc = vt__tpm_nv_read(c, h, &b, VT__TPM_EK_NV_MAX, &e);
        if (rc == VT_OK)
            rc = vt__tpm_ek_der_split(inter, b.data, b.len, &e);
        vt_buf_free(&b);
        if (rc != VT_OK)
            rc = vt_err_set(err, rc, "seal: the TPM's EK chain index 0x%08x is unreadable: %s", h, e.msg);
    }
    Esys_Free(cap);
    return rc;
}

/* The EK certificate indices of the profile that are not used, and why. */
static const struct {
    uint32_t nv;
    const char *what;
} unused[] = {
    { VT__TPM_EK_NV_SM2, "ECC SM2 P-256 (template H-5): SM2 EKs are not supported" },
    { VT__TPM_EK_NV_ECC256_H, "ECC NIST P-256 of the high range (template H-2), which is not supported" },
    { VT__TPM_EK_NV_RSA2048_H, "RSA 2048 of the high range (template H-1), which is not supported" },
};

/* The EK certificate of the TPM into *leaf: the first kind, in the order of preference,
 * whose index the TPM lists (no other is tried when that one fails); *kind says which. */
static vt_status cert_read(vt__tpm_conn *c, vt__tpm_ek_certs *leaf, vt__tpm_ek_kind *kind, vt_err *err)
{
    vt_err e = { 0 };
    vt_status rc;
    TPM2_HANDLE index = 0;
    vt_buf b;

    for (int k = 0; k < VT__TPM_EK_KINDS && index == 0; k++) {
        if (vt__tpm_has_handle(c, vt__tpm_ek_nv_index((vt__tpm_ek_kind)k))) {
            *kind = (vt__tpm_ek_kind)k;
            index = vt__tpm_ek_nv_index(*kind);
        }
    }
    for (size_t i = 0; index == 0 && i < sizeof(unused) / sizeof(unused[0]); i++)
        if (vt__tpm_has_handle(c, unused[i].nv))
            return vt_err_set(err, VT_E_POLICY,
                              "seal: the TPM's identity cannot be checked: its EK certificate (NV 0x%08x) is %s",
                              unused[i].nv, unused[i].what);
    if (index == 0)
        return vt_err_set(err, VT_E_POLICY,
                          "seal: the TPM's identity cannot be checked: it holds no EK certificate (NV 0x%08x ECC "
                          "P-256, 0x%08x P-384, 0x%08x P-521, 0x%08x RSA 2048, 0x%08x RSA 3072, 0x%08x RSA 4096)",
                          VT__TPM_EK_NV_ECC256, VT__TPM_EK_NV_ECC384, VT__TPM_EK_NV_ECC521, VT__TPM_EK_NV_RSA2048,
                          VT__TPM_EK_NV_RSA3072, VT__TPM_EK_NV_RSA4096);
    vt_buf_init(&b);
    rc = vt__tpm_nv_read(c, index, &b, VT__TPM_EK_NV_MAX, &e);
    if (rc == VT_OK)
        rc = vt__tpm_ek_der_split(leaf, b.data, b.len, &e);
    vt_buf_free(&b);
    if (rc != VT_OK)
        return vt_err_set(err, rc == VT_E_IO ? VT_E_IO : VT_E_POLICY,
                          "seal: the TPM's %s EK certificate (NV 0x%08x) is unreadable: %s", vt__tpm_ek_name(*kind),
                          index, e.msg);
    return VT_OK;
}

/* The EK from kind's template; *pub what the TPM says it is (Esys_Free), checked to be
 * that template in everything but the key. */
static vt_status ek_create(vt__tpm_conn *c, vt__tpm_ek_kind kind, ESYS_TR *ek, TPM2B_PUBLIC **pub, vt_err *err)
{
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_PUBLIC t;
    TPM2B_DATA outside;
    TPML_PCR_SELECTION none;
    TSS2_RC r;

    memset(&sens, 0, sizeof(sens));
    memset(&outside, 0, sizeof(outside));
    memset(&none, 0, sizeof(none));
    vt__tpm_ek_template(&t, kind);
    r = Esys_CreatePrimary(c->esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &t,
                           &outside, &none, ek, pub, NULL, NULL, NULL);
    if (r != TSS2_RC_SUCCESS)
        return vt_err_set(err, VT_E_IO,
                          "seal: creating the TPM's %s EK (endorsement hierarchy, whose auth must be empty): %s",
                          vt__tpm_ek_name(kind), vt__tpm_rc(r));
    return vt__tpm_ek_of_template(&(*pub)->publicArea, kind, err);
}

vt_status vt__tpm_ek_load(vt__tpm_conn *c, const vt_seal_tpm_ek *cfg, ESYS_TR *ek, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__tpm_ek_certs roots, inter, leaf;
    vt__tpm_ek_crls crls;
    TPM2B_PUBLIC *pub = NULL;
    ESYS_TR key = ESYS_TR_NONE;
    vt__tpm_ek_kind kind = VT__TPM_EK_ECC_P256;

    *ek = ESYS_TR_NONE;
    memset(&roots, 0, sizeof(roots));
    memset(&inter, 0, sizeof(inter));
    memset(&leaf, 0, sizeof(leaf));
    memset(&crls, 0, sizeof(crls));
    rc = vt__tpm_ek_trust_load(&roots, &inter, cfg->roots, err);
    if (rc == VT_OK && cfg->crls != NULL)
        rc = vt__tpm_ek_crls_load(&crls, cfg->crls, err);
    if (rc == VT_OK)
        rc = cert_read(c, &leaf, &kind, err);
    /* Certificates after the EK's in its index, then the chain indices: intermediates. */
    for (size_t i = 1; rc == VT_OK && i < leaf.count; i++) {
        if (inter.count == VT__TPM_EK_CERTS_MAX) {
            rc = vt_err_set(err, VT_E_LIMIT, "seal: more than %d EK intermediates", VT__TPM_EK_CERTS_MAX);
            break;
        }
        inter.c[inter.count++] = vt_x509_ref(leaf.c[i]);
    }
    if (rc == VT_OK)
        rc = chain_read(c, &inter, err);
    if (rc == VT_OK) {
        vt_err e = { 0 };

        rc = vt__tpm_ek_chain_verify(leaf.c[0], &inter, &roots, cfg->crls != NULL ? &crls : NULL, cfg->now, &e);
        if (rc != VT_OK && cfg->crls == NULL)
            rc = vt_err_set(err, rc,
                            "seal: the TPM's %s EK certificate (NV 0x%08x) does not chain to the EK roots %s: %s",
                            vt__tpm_ek_name(kind), vt__tpm_ek_nv_index(kind), cfg->roots, e.msg);
        else if (rc != VT_OK)
            rc = vt_err_set(err, rc,
                            "seal: the TPM's %s EK certificate (NV 0x%08x) does not verify against the EK roots and "
                            "CRLs: %s",
                            vt__tpm_ek_name(kind), vt__tpm_ek_nv_index(kind), e.msg);
    }
    if (rc == VT_OK)
        rc = ek_create(c, kind, &key, &pub, err);
    if (rc == VT_OK)
        rc = vt__tpm_ek_matches(&pub->publicArea, leaf.c[0], err);
    if (rc != VT_OK)
        goto out;
    *ek = key;
    key = ESYS_TR_NONE;
out:
    if (key != ESYS_TR_NONE)
        Esys_FlushContext(c->esys, key);
    Esys_Free(pub);
    vt__tpm_ek_certs_free(&leaf);
    vt__tpm_ek_certs_free(&inter);
    vt__tpm_ek_certs_free(&roots);
    vt__tpm_ek_crls_free(&crls);
    return rc;
}
