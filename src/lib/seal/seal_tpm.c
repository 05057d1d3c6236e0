/*
 * The TPM sealing root (docs/keys.md, docs/formats/tpm.md "Sealing"): an HMAC the TPM computes
 * with a key it derives itself, so the root is never stored and nobody chooses it.
 *
 *   K    = TPM2_CreatePrimary(owner hierarchy, keyedHash HMAC-SHA256 template with
 *          fixedTPM | fixedParent | sensitiveDataOrigin | sign | noDA, no userWithAuth,
 *          authPolicy = PolicyPCR over the SHA-256 values of the chosen PCRs now)
 *   root = TPM2_HMAC(K, "veritee-seal-root-v2" ‖ u32be PCR mask), through a PolicyPCR session,
 *          the answer encrypted by an HMAC session salted to the TPM's endorsement key, checked
 *          against its certificate (tpm_ek.c), or - when no EK roots are given - to a
 *          null-hierarchy ECC key whose owner nothing proves
 *
 * A primary key is derived from the hierarchy's seed and its whole template, so the same PCR
 * values give the same K on every use, other values give another K, and only a session whose
 * PCRs match the template's policy may use it.  The first version kept 32 random bytes in a
 * sealed-data object in the state directory; whoever could write that directory and reach the
 * TPM (the host, another OS booted on the machine) could plant an object holding bytes of their
 * choice under the good state's policy, and every secret sealed after that opened off the TPM.
 *
 * The state directory keeps only a pin of the policy, to say clearly why a root changed:
 *
 *   <state>/seal-root-tpm.pin = "VTTPMSL2" ‖ u32be PCR mask ‖ policy digest (32)
 *
 * It holds nothing secret; removing it loses nothing (the same PCRs give the same root).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "seal/tpm_ek.h"
#include "tee/tpm_tss.h"
#include "veritee/crypto.h"
#include "veritee/seal.h"

#define PIN_MAGIC "VTTPMSL2"
#define PIN_LEN (8 + 4 + 32)
#define ROOT_LABEL "veritee-seal-root-v2"

static void put_u32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
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

/* A primary key of template t under hierarchy, with no auth value, outside info or PCR selection. */
static TSS2_RC create_primary(vt__tpm_conn *c, ESYS_TR hierarchy, const TPM2B_PUBLIC *t, ESYS_TR *key)
{
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_DATA outside;
    TPML_PCR_SELECTION none;

    memset(&sens, 0, sizeof(sens));
    memset(&outside, 0, sizeof(outside));
    memset(&none, 0, sizeof(none));
    return Esys_CreatePrimary(c->esys, hierarchy, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, t, &outside,
                              &none, key, NULL, NULL, NULL, NULL);
}

/* K: the HMAC key the owner seed and this template give; usable only under policy. */
static vt_status root_key_load(vt__tpm_conn *c, const TPM2B_DIGEST *policy, ESYS_TR *key, vt_err *err)
{
    TPM2B_PUBLIC t;
    TSS2_RC r;

    memset(&t, 0, sizeof(t));
    t.publicArea.type = TPM2_ALG_KEYEDHASH;
    t.publicArea.nameAlg = TPM2_ALG_SHA256;
    /* sensitiveDataOrigin: the TPM makes the key; no userWithAuth: only the PCR policy uses it. */
    t.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_NODA;
    t.publicArea.authPolicy = *policy;
    t.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_HMAC;
    t.publicArea.parameters.keyedHashDetail.scheme.details.hmac.hashAlg = TPM2_ALG_SHA256;
    /* unique names this primary apart from any other keyedHash primary under the owner seed. */
    if (vt_digest(VT_MD_SHA256, ROOT_LABEL, strlen(ROOT_LABEL), t.publicArea.unique.keyedHash.buffer, err) != VT_OK)
        return VT_E_INTERNAL;
    t.publicArea.unique.keyedHash.size = 32;
    r = create_primary(c, ESYS_TR_RH_OWNER, &t, key);
    if (r != TSS2_RC_SUCCESS)
        return vt_err_set(err, VT_E_IO, "seal: TPM sealing key (owner hierarchy): %s", vt__tpm_rc(r));
    return VT_OK;
}

/*
 * The key the session for the root is salted to.  With EK roots: the TPM's endorsement key,
 * its certificate verified and its public key the certificate's (tpm_ek.c), so only the TPM
 * that holds the EK's private half can read the salt.  Without: an ECC P-256 key the TPM makes
 * in its null hierarchy, which keeps the root from whoever only reads the bus or relays a
 * virtual TPM's traffic, but not from one who answers in the TPM's place with a key of its own
 * (the TPM's identity is not checked).
 */
static vt_status salt_key_load(vt__tpm_conn *c, const vt_seal_tpm_ek *ek, ESYS_TR *salt_key, vt_err *err)
{
    TPM2B_PUBLIC t;
    TSS2_RC r;

    *salt_key = ESYS_TR_NONE;
    if (ek != NULL)
        return vt__tpm_ek_load(c, ek, salt_key, err);
    memset(&t, 0, sizeof(t));
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
    r = create_primary(c, ESYS_TR_RH_NULL, &t, salt_key);
    if (r != TSS2_RC_SUCCESS)
        return vt_err_set(err, VT_E_IO, "seal: TPM salt key (null hierarchy): %s", vt__tpm_rc(r));
    return VT_OK;
}

/*
 * A session that encrypts the TPM's answer (AES-128-CFB), salted to salt_key: the salt reaches
 * the TPM encrypted to that key, so neither the session key nor the HMAC it encrypts (the root)
 * crosses the wire in the clear.
 */
static vt_status enc_session(vt__tpm_conn *c, ESYS_TR salt_key, ESYS_TR *s, vt_err *err)
{
    TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB };
    TSS2_RC r;

    *s = ESYS_TR_NONE;
    r = Esys_StartAuthSession(c->esys, salt_key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
                              TPM2_SE_HMAC, &sym, TPM2_ALG_SHA256, s);
    if (r == TSS2_RC_SUCCESS)
        r = Esys_TRSess_SetAttributes(c->esys, *s, TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION, 0xff);
    if (r != TSS2_RC_SUCCESS)
        return vt_err_set(err, VT_E_IO, "seal: TPM salted session for the root: %s", vt__tpm_rc(r));
    return VT_OK;
}

static vt_status root_hmac(vt__tpm_conn *c, ESYS_TR key, ESYS_TR salt_key, uint32_t mask, uint8_t out[32],
                           vt_err *err)
{
    vt_status rc;
    TPM2B_MAX_BUFFER msg;
    TPM2B_DIGEST *mac = NULL;
    ESYS_TR s = ESYS_TR_NONE, enc = ESYS_TR_NONE;
    size_t ll = strlen(ROOT_LABEL);
    TSS2_RC r;

    memset(&msg, 0, sizeof(msg));
    memcpy(msg.buffer, ROOT_LABEL, ll);
    put_u32be(msg.buffer + ll, mask);
    msg.size = (UINT16)(ll + 4);
    rc = enc_session(c, salt_key, &enc, err);
    if (rc == VT_OK)
        rc = pcr_session(c, TPM2_SE_POLICY, mask, &s, NULL, err);
    if (rc != VT_OK)
        goto out;
    /* The policy session authorizes the key; the salted one encrypts the answer. */
    r = Esys_HMAC(c->esys, key, s, enc, ESYS_TR_NONE, &msg, TPM2_ALG_SHA256, &mac);
    if (r != TSS2_RC_SUCCESS) {
        rc = vt_err_set(err, VT_E_CRYPTO,
                        "seal: the TPM refuses the sealing key: PCRs 0x%06x changed while it was derived (%s)", mask,
                        vt__tpm_rc(r));
    } else if (mac->size != 32) {
        rc = vt_err_set(err, VT_E_FORMAT, "seal: the TPM's HMAC has %u bytes, not 32", mac->size);
    } else {
        memcpy(out, mac->buffer, 32);
        rc = VT_OK;
    }
    if (mac != NULL)
        OPENSSL_cleanse(mac, sizeof(*mac));
    Esys_Free(mac);
out:
    if (s != ESYS_TR_NONE)
        Esys_FlushContext(c->esys, s); /* a policy session that did not authorize stays loaded */
    if (enc != ESYS_TR_NONE)
        Esys_FlushContext(c->esys, enc);
    return rc;
}

/*
 * The pin: made on first use; afterwards the PCRs must hold the values it names, or the TPM
 * would derive another root and nothing sealed before would open.  Saying so here is clearer
 * than an AEAD failure per blob, and keeps a changed boot chain from sealing new data under a
 * root that old data does not share.
 */
static vt_status pin_check(const char *path, uint32_t mask, const TPM2B_DIGEST *policy, vt_err *err)
{
    uint8_t pin[PIN_LEN];
    vt_status rc;
    vt_buf b;

    if (policy->size != 32)
        return vt_err_set(err, VT_E_INTERNAL, "seal: PolicyPCR digest of %u bytes", policy->size);
    memcpy(pin, PIN_MAGIC, 8);
    put_u32be(pin + 8, mask);
    memcpy(pin + 12, policy->buffer, 32);
    if (access(path, F_OK) != 0)
        return vt_file_create(NULL, path, pin, sizeof(pin), 0600, err); /* or the one made meanwhile */
    vt_buf_init(&b);
    rc = vt_file_read(&b, path, 4 * PIN_LEN, err);
    if (rc == VT_OK && (b.len != PIN_LEN || !vt_ct_equal(b.data, PIN_MAGIC, 8)))
        rc = vt_err_set(err, VT_E_FORMAT, "seal: %s is not a TPM sealing root pin", path);
    else if (rc == VT_OK && !vt_ct_equal(b.data + 8, pin + 8, 4))
        rc = vt_err_set(err, VT_E_ARG, "seal: %s pins PCRs 0x%02x%02x%02x, not 0x%06x", path, b.data[9], b.data[10],
                        b.data[11], mask);
    else if (rc == VT_OK && !vt_ct_equal(b.data + 12, pin + 12, 32))
        rc = vt_err_set(err, VT_E_CRYPTO,
                        "seal: the TPM refuses the sealing root: PCRs 0x%06x hold other values than when it was "
                        "first used (a changed boot chain); remove %s to seal under the values they hold now",
                        mask, path);
    vt_buf_free(&b);
    return rc;
}

vt_status vt_seal_root_tpm(vt_seal_root *out, const char *tcti, const char *state_dir, uint32_t pcr_mask,
                           vt_err *err)
{
    return vt_seal_root_tpm_ek(out, tcti, state_dir, pcr_mask, NULL, err);
}

vt_status vt_seal_root_tpm_ek(vt_seal_root *out, const char *tcti, const char *state_dir, uint32_t pcr_mask,
                              const vt_seal_tpm_ek *ek, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    ESYS_TR trial = ESYS_TR_NONE, key = ESYS_TR_NONE, salt_key = ESYS_TR_NONE;
    TPM2B_DIGEST *policy = NULL;
    vt__tpm_conn c;
    char pin[4096], v1[4096];
    int n, m;

    memset(out, 0, sizeof(*out));
    memset(&c, 0, sizeof(c));
    if (pcr_mask == 0)
        pcr_mask = VT_SEAL_TPM_PCRS;
    if (state_dir == NULL || pcr_mask > 0x00ffffffu || (ek != NULL && ek->roots == NULL))
        return vt_err_set(err, VT_E_ARG, "seal: TPM sealing needs a state directory, PCRs 0..23 and EK roots when "
                                         "the TPM's identity is checked");
    n = snprintf(pin, sizeof(pin), "%s/seal-root-tpm.pin", state_dir);
    m = snprintf(v1, sizeof(v1), "%s/seal-root.tpm", state_dir);
    if (n < 0 || (size_t)n >= sizeof(pin) || m < 0 || (size_t)m >= sizeof(v1))
        return vt_err_set(err, VT_E_ARG, "seal: state directory path too long");
    rc = vt_dir_private(state_dir, err);
    if (rc != VT_OK)
        return rc;
    if (access(v1, F_OK) == 0)
        return vt_err_set(err, VT_E_POLICY,
                          "seal: %s is a TPM sealing root of the first format, a stored object that whoever can "
                          "write this directory and reach the TPM could have planted; it is not used (the root is "
                          "now derived inside the TPM, docs/formats/tpm.md). Unseal what was sealed under it with "
                          "the release that made it, remove the file, and seal again",
                          v1);
    rc = vt__tpm_open(&c, tcti, NULL, err);
    /* The TPM's identity first: nothing (not even the pin) is written for a TPM refused. */
    if (rc == VT_OK)
        rc = salt_key_load(&c, ek, &salt_key, err);
    if (rc == VT_OK)
        rc = pcr_session(&c, TPM2_SE_TRIAL, pcr_mask, &trial, &policy, err);
    if (trial != ESYS_TR_NONE) { /* its digest is all it was for: a TPM has as few as 3 session slots */
        Esys_FlushContext(c.esys, trial);
        trial = ESYS_TR_NONE;
    }
    if (rc == VT_OK)
        rc = pin_check(pin, pcr_mask, policy, err);
    if (rc == VT_OK)
        rc = root_key_load(&c, policy, &key, err);
    if (rc == VT_OK)
        rc = root_hmac(&c, key, salt_key, pcr_mask, out->key, err);
    if (rc != VT_OK) {
        vt_seal_root_wipe(out);
        goto out;
    }
    out->platform = VT_SEAL_TPM;
    out->hardware = true;
out:
    if (trial != ESYS_TR_NONE)
        Esys_FlushContext(c.esys, trial);
    if (key != ESYS_TR_NONE)
        Esys_FlushContext(c.esys, key);
    if (salt_key != ESYS_TR_NONE)
        Esys_FlushContext(c.esys, salt_key);
    Esys_Free(policy);
    vt__tpm_close(&c);
    return rc;
}
