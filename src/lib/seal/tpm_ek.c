/*
 * The TPM's endorsement key, checked (docs/formats/tpm.md "The TPM's identity"): its
 * certificate read from NV and verified against the operator's roots, and the EK made from
 * the standard template, which must hold the certificate's key.  A session salted to that
 * key can only be answered by the TPM that holds the EK's private half.
 */
#include <stdio.h>
#include <string.h>

#include "seal/tpm_ek.h"

#define NV_CHUNK_DEFAULT 512u /* below every TPM's MAX_NV_BUFFER_SIZE */

/* The most one TPM2_NV_Read returns (TPM2_PT_NV_BUFFER_MAX), within what ESYS carries. */
static UINT16 nv_chunk(vt__tpm_conn *c)
{
    TPMS_CAPABILITY_DATA *cap = NULL;
    UINT32 v = NV_CHUNK_DEFAULT;
    TSS2_RC r;

    r = Esys_GetCapability(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
                           TPM2_PT_NV_BUFFER_MAX, 1, NULL, &cap);
    if (r == TSS2_RC_SUCCESS && cap->data.tpmProperties.count == 1 &&
        cap->data.tpmProperties.tpmProperty[0].property == TPM2_PT_NV_BUFFER_MAX)
        v = cap->data.tpmProperties.tpmProperty[0].value;
    Esys_Free(cap);
    if (v < 64 || v > TPM2_MAX_NV_BUFFER_SIZE)
        v = v < 64 ? NV_CHUNK_DEFAULT : TPM2_MAX_NV_BUFFER_SIZE;
    return (UINT16)v;
}

/* The whole of NV index `index` (1..VT__TPM_EK_NV_MAX bytes), appended to out; read with
 * the index's own (empty) auth when it allows, else the owner's. */
static vt_status nv_read(vt__tpm_conn *c, TPM2_HANDLE index, vt_buf *out, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    ESYS_TR nv = ESYS_TR_NONE, auth;
    TPM2B_NV_PUBLIC *pub = NULL;
    size_t size, off = 0;
    UINT16 chunk = nv_chunk(c);
    TSS2_RC r;

    r = Esys_TR_FromTPMPublic(c->esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
    if (r == TSS2_RC_SUCCESS)
        r = Esys_NV_ReadPublic(c->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL);
    if (r != TSS2_RC_SUCCESS) {
        rc = vt_err_set(err, VT_E_IO, "seal: TPM NV index 0x%08x: %s", index, vt__tpm_rc(r));
        goto out;
    }
    size = pub->nvPublic.dataSize;
    auth = (pub->nvPublic.attributes & TPMA_NV_AUTHREAD) ? nv : ESYS_TR_RH_OWNER;
    if (size == 0 || size > VT__TPM_EK_NV_MAX) {
        rc = vt_err_set(err, VT_E_LIMIT, "seal: TPM NV index 0x%08x holds %zu bytes (1..%d expected)", index, size,
                        VT__TPM_EK_NV_MAX);
        goto out;
    }
    while (off < size) {
        TPM2B_MAX_NV_BUFFER *data = NULL;
        UINT16 n = (UINT16)(size - off < chunk ? size - off : chunk);

        r = Esys_NV_Read(c->esys, auth, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, n, (UINT16)off, &data);
        if (r != TSS2_RC_SUCCESS || data->size != n) {
            Esys_Free(data);
            rc = vt_err_set(err, VT_E_IO, "seal: reading TPM NV index 0x%08x at %zu: %s", index, off,
                            r != TSS2_RC_SUCCESS ? vt__tpm_rc(r) : "short read");
            goto out;
        }
        rc = vt_buf_append(out, data->buffer, n, err);
        Esys_Free(data);
        if (rc != VT_OK)
            goto out;
        off += n;
    }
    rc = VT_OK;
out:
    Esys_Free(pub);
    if (nv != ESYS_TR_NONE)
        Esys_TR_Close(c->esys, &nv);
    return rc;
}

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
        rc = nv_read(c, h, &b, &e);
        if (rc == VT_OK)
            rc = vt__tpm_ek_der_split(inter, b.data, b.len, &e);
        vt_buf_free(&b);
        if (rc != VT_OK)
            rc = vt_err_set(err, rc, "seal: the TPM's EK chain index 0x%08x is unreadable: %s", h, e.msg);
    }
    Esys_Free(cap);
    return rc;
}

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
    if (index == 0)
        return vt_err_set(err, VT_E_POLICY,
                          "seal: the TPM's identity cannot be checked: it holds no EK certificate (NV 0x%08x ECC "
                          "P-256, 0x%08x ECC P-384, 0x%08x RSA 2048)",
                          VT__TPM_EK_NV_ECC256, VT__TPM_EK_NV_ECC384, VT__TPM_EK_NV_RSA2048);
    vt_buf_init(&b);
    rc = nv_read(c, index, &b, &e);
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
    TPM2B_PUBLIC *pub = NULL;
    ESYS_TR key = ESYS_TR_NONE;
    vt__tpm_ek_kind kind = VT__TPM_EK_ECC_P256;

    *ek = ESYS_TR_NONE;
    memset(&roots, 0, sizeof(roots));
    memset(&inter, 0, sizeof(inter));
    memset(&leaf, 0, sizeof(leaf));
    rc = vt__tpm_ek_trust_load(&roots, &inter, cfg->roots, err);
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

        rc = vt__tpm_ek_chain_verify(leaf.c[0], &inter, &roots, cfg->now, &e);
        if (rc != VT_OK)
            rc = vt_err_set(err, rc,
                            "seal: the TPM's %s EK certificate (NV 0x%08x) does not chain to the EK roots %s: %s",
                            vt__tpm_ek_name(kind), vt__tpm_ek_nv_index(kind), cfg->roots, e.msg);
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
    return rc;
}
