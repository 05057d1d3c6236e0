/*
 * The TPM sealing root (docs/keys.md, docs/formats/tpm.md "Sealing"): 32
 * random bytes sealed into a TPM sealed-data object under the owner
 * hierarchy's storage key, bound by a PolicyPCR to the SHA-256 values of the
 * chosen PCRs at sealing time.  The object (public and encrypted private
 * parts, useless off this TPM) is kept in the state directory; each use
 * unseals it through a policy session, which the TPM refuses once any of
 * those PCRs holds another value.
 *
 *   <state>/seal-root.tpm = "VTTPMSL1" ‖ u32be PCR mask ‖ TPM2B_PUBLIC ‖ TPM2B_PRIVATE
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>

#include "tee/tpm_tss.h"
#include "veritee/crypto.h"
#include "veritee/seal.h"

#define SEALED_MAGIC "VTTPMSL1"
#define SEALED_MAX 4096

/* The storage root key: ECC P-256, restricted decrypt, AES-128-CFB (the TCG
 * "SRK template"), derived from the owner seed: the same every time. */
static vt_status srk_load(vt__tpm_conn *c, ESYS_TR *srk, vt_err *err)
{
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_PUBLIC t;
    TPM2B_DATA outside;
    TPML_PCR_SELECTION none;
    TSS2_RC r;

    memset(&sens, 0, sizeof(sens));
    memset(&t, 0, sizeof(t));
    memset(&outside, 0, sizeof(outside));
    memset(&none, 0, sizeof(none));
    t.publicArea.type = TPM2_ALG_ECC;
    t.publicArea.nameAlg = TPM2_ALG_SHA256;
    t.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_NODA;
    t.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
    t.publicArea.parameters.eccDetail.symmetric.keyBits.aes = 128;
    t.publicArea.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
    t.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    t.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    t.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    r = Esys_CreatePrimary(c->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &t,
                           &outside, &none, srk, NULL, NULL, NULL, NULL);
    if (r != TSS2_RC_SUCCESS)
        return vt_err_set(err, VT_E_IO, "seal: TPM storage key (owner hierarchy): %s", vt__tpm_rc(r));
    return VT_OK;
}

/* A policy (or trial) session with PolicyPCR over the current values of mask. */
static vt_status pcr_session(vt__tpm_conn *c, TPM2_SE type, uint32_t mask, ESYS_TR *s, TPM2B_DIGEST **digest,
                             vt_err *err)
{
    TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
    TPM2B_DIGEST empty = { .size = 0 };
    TPML_PCR_SELECTION sel;
    TSS2_RC r;

    *s = ESYS_TR_NONE;
    vt__tpm_pcr_select(&sel, TPM2_ALG_SHA256, mask);
    r = Esys_StartAuthSession(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
                              type, &sym, TPM2_ALG_SHA256, s);
    if (r == TSS2_RC_SUCCESS)
        r = Esys_PolicyPCR(c->esys, *s, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &empty, &sel);
    if (r == TSS2_RC_SUCCESS && digest != NULL)
        r = Esys_PolicyGetDigest(c->esys, *s, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, digest);
    if (r != TSS2_RC_SUCCESS) {
        if (*s != ESYS_TR_NONE)
            Esys_FlushContext(c->esys, *s);
        *s = ESYS_TR_NONE;
        return vt_err_set(err, VT_E_IO, "seal: TPM PCR policy session: %s", vt__tpm_rc(r));
    }
    return VT_OK;
}

/* Seals 32 fresh random bytes to the PCRs of mask; the object goes to path. */
static vt_status seal_new(vt__tpm_conn *c, ESYS_TR srk, uint32_t mask, const char *path, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    ESYS_TR trial = ESYS_TR_NONE;
    TPM2B_DIGEST *policy = NULL;
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_PUBLIC t, *pub = NULL;
    TPM2B_PRIVATE *priv = NULL;
    TPM2B_DATA outside;
    TPML_PCR_SELECTION none;
    uint8_t blob[SEALED_MAX];
    size_t off = 0;
    TSS2_RC r;

    memset(&sens, 0, sizeof(sens));
    memset(&t, 0, sizeof(t));
    memset(&outside, 0, sizeof(outside));
    memset(&none, 0, sizeof(none));
    rc = pcr_session(c, TPM2_SE_TRIAL, mask, &trial, &policy, err);
    if (rc != VT_OK)
        goto out;
    sens.sensitive.data.size = 32;
    rc = vt_random(sens.sensitive.data.buffer, 32, err);
    if (rc != VT_OK)
        goto out;
    /* A sealed-data object: no userWithAuth, so only the PCR policy opens it. */
    t.publicArea.type = TPM2_ALG_KEYEDHASH;
    t.publicArea.nameAlg = TPM2_ALG_SHA256;
    t.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_NODA;
    t.publicArea.authPolicy = *policy;
    t.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
    r = Esys_Create(c->esys, srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &t, &outside, &none, &priv, &pub,
                    NULL, NULL, NULL);
    if (r != TSS2_RC_SUCCESS) {
        rc = vt_err_set(err, VT_E_IO, "seal: TPM2_Create of the sealed root: %s", vt__tpm_rc(r));
        goto out;
    }
    memcpy(blob, SEALED_MAGIC, 8);
    blob[8] = (uint8_t)(mask >> 24);
    blob[9] = (uint8_t)(mask >> 16);
    blob[10] = (uint8_t)(mask >> 8);
    blob[11] = (uint8_t)mask;
    off = 12;
    if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, blob, sizeof(blob), &off) != TSS2_RC_SUCCESS ||
        Tss2_MU_TPM2B_PRIVATE_Marshal(priv, blob, sizeof(blob), &off) != TSS2_RC_SUCCESS) {
        rc = vt_err_set(err, VT_E_INTERNAL, "seal: cannot marshal the sealed root");
        goto out;
    }
    rc = vt_file_create(NULL, path, blob, off, 0600, err); /* or the root another process made meanwhile */
out:
    OPENSSL_cleanse(&sens, sizeof(sens));
    if (trial != ESYS_TR_NONE)
        Esys_FlushContext(c->esys, trial);
    Esys_Free(policy);
    Esys_Free(pub);
    Esys_Free(priv);
    return rc;
}

static vt_status unseal_root(vt__tpm_conn *c, ESYS_TR srk, const uint8_t *p, size_t len, uint8_t key[32],
                             vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    TPM2B_PUBLIC pub;
    TPM2B_PRIVATE priv;
    TPM2B_SENSITIVE_DATA *data = NULL;
    ESYS_TR obj = ESYS_TR_NONE, s = ESYS_TR_NONE;
    uint32_t mask;
    size_t off = 12;
    TSS2_RC r;

    memset(&pub, 0, sizeof(pub));
    memset(&priv, 0, sizeof(priv));
    if (len < 12 || !vt_ct_equal(p, SEALED_MAGIC, 8) ||
        Tss2_MU_TPM2B_PUBLIC_Unmarshal(p, len, &off, &pub) != TSS2_RC_SUCCESS ||
        Tss2_MU_TPM2B_PRIVATE_Unmarshal(p, len, &off, &priv) != TSS2_RC_SUCCESS || off != len)
        return vt_err_set(err, VT_E_FORMAT, "seal: the TPM sealed root file is malformed");
    mask = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
    if (mask == 0 || mask > 0x00ffffffu)
        return vt_err_set(err, VT_E_FORMAT, "seal: the TPM sealed root names no PCR");
    r = Esys_Load(c->esys, srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &obj);
    if (r != TSS2_RC_SUCCESS) {
        rc = vt_err_set(err, VT_E_CRYPTO, "seal: this TPM cannot load the sealed root (another TPM, or the owner "
                                          "seed changed): %s", vt__tpm_rc(r));
        goto out;
    }
    rc = pcr_session(c, TPM2_SE_POLICY, mask, &s, NULL, err);
    if (rc != VT_OK)
        goto out;
    r = Esys_Unseal(c->esys, obj, s, ESYS_TR_NONE, ESYS_TR_NONE, &data);
    if (r != TSS2_RC_SUCCESS) {
        rc = vt_err_set(err, VT_E_CRYPTO,
                        "seal: the TPM refuses to unseal the root: PCRs 0x%06x hold other values than at sealing (%s)",
                        mask, vt__tpm_rc(r));
        goto out;
    }
    if (data->size != 32) {
        rc = vt_err_set(err, VT_E_FORMAT, "seal: the TPM sealed root holds %u bytes, not 32", data->size);
        goto out;
    }
    memcpy(key, data->buffer, 32);
    rc = VT_OK;
out:
    if (data != NULL)
        OPENSSL_cleanse(data, sizeof(*data));
    Esys_Free(data);
    if (s != ESYS_TR_NONE)
        Esys_FlushContext(c->esys, s); /* a policy session that did not authorize stays loaded */
    if (obj != ESYS_TR_NONE)
        Esys_FlushContext(c->esys, obj);
    return rc;
}

vt_status vt_seal_root_tpm(vt_seal_root *out, const char *tcti, const char *state_dir, uint32_t pcr_mask,
                           vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    ESYS_TR srk = ESYS_TR_NONE;
    vt__tpm_conn c;
    char path[4096];
    vt_buf b;
    int n;

    memset(out, 0, sizeof(*out));
    memset(&c, 0, sizeof(c));
    vt_buf_init(&b);
    if (pcr_mask == 0)
        pcr_mask = VT_SEAL_TPM_PCRS;
    if (state_dir == NULL || pcr_mask > 0x00ffffffu)
        return vt_err_set(err, VT_E_ARG, "seal: TPM sealing needs a state directory and PCRs 0..23");
    n = snprintf(path, sizeof(path), "%s/seal-root.tpm", state_dir);
    if (n < 0 || (size_t)n >= sizeof(path))
        return vt_err_set(err, VT_E_ARG, "seal: state directory path too long");
    rc = vt_dir_private(state_dir, err);
    if (rc == VT_OK)
        rc = vt__tpm_open(&c, tcti, NULL, err);
    if (rc == VT_OK)
        rc = srk_load(&c, &srk, err);
    if (rc == VT_OK && access(path, F_OK) != 0)
        rc = seal_new(&c, srk, pcr_mask, path, err);
    if (rc == VT_OK)
        rc = vt_file_read(&b, path, SEALED_MAX, err);
    if (rc == VT_OK)
        rc = unseal_root(&c, srk, b.data, b.len, out->key, err);
    if (rc != VT_OK) {
        vt_seal_root_wipe(out);
        goto out;
    }
    out->platform = VT_SEAL_TPM;
    out->hardware = true;
out:
    if (srk != ESYS_TR_NONE)
        Esys_FlushContext(c.esys, srk);
    vt__tpm_close(&c);
    vt_buf_free(&b);
    return rc;
}
