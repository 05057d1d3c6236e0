/*
 * TPM 2.0 collection through tpm2-tss ESAPI (docs/formats/tpm.md,
 * "Collection"): the attestation key, a quote of the selected PCRs over the
 * caller's report data, the PCR values, the UEFI event log and, on an Azure
 * confidential VM, the HCL report from its NV index, all in one veritee TPM
 * evidence container.  Also the PCR extend and read the gateway's measurement
 * register uses (include/veritee/tpm.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "tee/plugin.h"
#include "tee/tpm_attest.h"
#include "tee/tpm_tss.h"

#define EVENT_LOG_PATH "/sys/kernel/security/tpm0/binary_bios_measurements"
#define EVENT_LOG_MAX (16u << 20) /* the replay's own cap */
#define HCL_MAX (16u * 1024u)
#define HW_CERTS_MAX (64u * 1024u) /* the plugin's own cap */
#define NV_CHUNK 512u             /* below every TPM's MAX_NV_BUFFER_SIZE */
#define QUOTE_TRIES 3             /* a PCR extended between the quote and the read: try again */
#define DEFAULT_PCRS 0x00ffffffu

/* ---- the connection ---- */

const char *vt__tpm_rc(TSS2_RC rc)
{
    return Tss2_RC_Decode(rc);
}

vt_status vt__tpm_open(vt__tpm_conn *c, const char *tcti, const char *sysroot, vt_err *err)
{
    TSS2_RC r;
    int n;

    memset(c, 0, sizeof(*c));
    if (tcti != NULL && *tcti != '\0')
        n = snprintf(c->conf, sizeof(c->conf), "%s", tcti);
    else
        n = snprintf(c->conf, sizeof(c->conf), "device:%s/dev/tpmrm0", sysroot == NULL ? "" : sysroot);
    if (n < 0 || (size_t)n >= sizeof(c->conf))
        return vt_err_set(err, VT_E_ARG, "tpm: TCTI configuration longer than %zu bytes", sizeof(c->conf) - 1);
    r = Tss2_TctiLdr_Initialize(c->conf, &c->tcti);
    if (r != TSS2_RC_SUCCESS)
        return vt_err_set(err, VT_E_UNSUPPORTED, "tpm: no TPM through TCTI \"%s\" (%s)", c->conf, vt__tpm_rc(r));
    r = Esys_Initialize(&c->esys, c->tcti, NULL);
    if (r != TSS2_RC_SUCCESS) {
        Tss2_TctiLdr_Finalize(&c->tcti);
        return vt_err_set(err, VT_E_IO, "tpm: ESAPI initialization on \"%s\": %s", c->conf, vt__tpm_rc(r));
    }
    return VT_OK;
}

void vt__tpm_close(vt__tpm_conn *c)
{
    if (c == NULL)
        return;
    if (c->esys != NULL)
        Esys_Finalize(&c->esys);
    if (c->tcti != NULL)
        Tss2_TctiLdr_Finalize(&c->tcti);
}

bool vt__tpm_has_handle(vt__tpm_conn *c, TPM2_HANDLE h)
{
    TPMS_CAPABILITY_DATA *cap = NULL;
    TPMI_YES_NO more = TPM2_NO;
    bool found = false;

    if (Esys_GetCapability(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES, h, 1, &more, &cap) !=
        TSS2_RC_SUCCESS)
        return false;
    found = cap->data.handles.count >= 1 && cap->data.handles.handle[0] == h;
    Esys_Free(cap);
    return found;
}

void vt__tpm_pcr_select(TPML_PCR_SELECTION *sel, TPMI_ALG_HASH alg, uint32_t mask)
{
    memset(sel, 0, sizeof(*sel));
    sel->count = 1;
    sel->pcrSelections[0].hash = alg;
    sel->pcrSelections[0].sizeofSelect = 3;
    sel->pcrSelections[0].pcrSelect[0] = (uint8_t)mask;
    sel->pcrSelections[0].pcrSelect[1] = (uint8_t)(mask >> 8);
    sel->pcrSelections[0].pcrSelect[2] = (uint8_t)(mask >> 16);
}

vt_status vt__tpm_pcrs_read(vt__tpm_conn *c, TPMI_ALG_HASH alg, uint32_t mask, uint8_t *out, size_t dlen,
                            vt_err *err)
{
    uint32_t left = mask & DEFAULT_PCRS;

    /* TPM2_PCR_Read answers at most 8 digests per call; the selection it
     * returns says which. */
    for (int guard = 0; left != 0 && guard < VT_TPM_PCR_COUNT; guard++) {
        TPML_PCR_SELECTION sel, *sel_out = NULL;
        TPML_DIGEST *vals = NULL;
        UINT32 counter;
        uint32_t got;
        size_t k = 0;
        TSS2_RC r;

        vt__tpm_pcr_select(&sel, alg, left);
        r = Esys_PCR_Read(c->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &counter, &sel_out, &vals);
        if (r != TSS2_RC_SUCCESS)
            return vt_err_set(err, VT_E_IO, "tpm: PCR_Read %s: %s", vt__tpm_alg_name(alg), vt__tpm_rc(r));
        got = sel_out->count == 1 ? (uint32_t)sel_out->pcrSelections[0].pcrSelect[0] |
                                        (uint32_t)sel_out->pcrSelections[0].pcrSelect[1] << 8 |
                                        (uint32_t)sel_out->pcrSelections[0].pcrSelect[2] << 16
                                  : 0;
        for (unsigned i = 0; i < VT_TPM_PCR_COUNT && got != 0; i++) {
            if (!(got & (1u << i)))
                continue;
            if (k >= vals->count || vals->digests[k].size != dlen) {
                Esys_Free(sel_out);
                Esys_Free(vals);
                return vt_err_set(err, VT_E_IO, "tpm: PCR_Read %s answered a malformed digest list",
                                  vt__tpm_alg_name(alg));
            }
            memcpy(out + i * dlen, vals->digests[k++].buffer, dlen);
        }
        Esys_Free(sel_out);
        Esys_Free(vals);
        if ((got & left) == 0)
            return vt_err_set(err, VT_E_UNSUPPORTED, "tpm: the TPM has no %s PCR bank (or not these PCRs)",
                              vt__tpm_alg_name(alg));
        left &= ~got;
    }
    return left == 0 ? VT_OK : vt_err_set(err, VT_E_IO, "tpm: PCR_Read did not answer every PCR");
}

/* ---- the attestation key ---- */

/* The AK template of go-tpm-tools and tpm2_createprimary -C e -G rsa2048:rsassa-sha256:null
 * (or ecc256:ecdsa-sha256:null): a restricted signing key, derived from the
 * endorsement seed, so the same TPM gives the same key every time. */
static void ak_template(TPM2B_PUBLIC *t, bool ecc)
{
    memset(t, 0, sizeof(*t));
    t->publicArea.nameAlg = TPM2_ALG_SHA256;
    t->publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                     TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                     TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_NODA;
    if (ecc) {
        t->publicArea.type = TPM2_ALG_ECC;
        t->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
        t->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
        t->publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
        t->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
        t->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    } else {
        t->publicArea.type = TPM2_ALG_RSA;
        t->publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
        t->publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
        t->publicArea.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
        t->publicArea.parameters.rsaDetail.keyBits = 2048;
    }
}

typedef struct ak_opts {
    bool ecc;
    TPM2_HANDLE persist; /* 0 = a transient primary each time */
} ak_opts;

static vt_status ak_from_opts(ak_opts *o, const vt_collect_opts *co, vt_err *err)
{
    memset(o, 0, sizeof(*o));
    o->ecc = co->tpm_ak_ecc;
    if (co->tpm_ak_handle != 0 && (co->tpm_ak_handle < 0x81000000u || co->tpm_ak_handle > 0x81ffffffu))
        return vt_err_set(err, VT_E_ARG, "tpm: AK handle 0x%08x is not a persistent handle 0x81xxxxxx",
                          co->tpm_ak_handle);
    o->persist = co->tpm_ak_handle;
    return VT_OK;
}

/* Loads the AK at the persistent handle, or creates the primary AK (and
 * persists it there when a handle is named).  *tr is the key; *pub_out its
 * public area (Esys_Free). */
static vt_status ak_load(vt__tpm_conn *c, const ak_opts *o, ESYS_TR *tr, TPM2B_PUBLIC **pub_out, vt_err *err)
{
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_PUBLIC tmpl, *pub = NULL;
    TPM2B_DATA outside;
    TPML_PCR_SELECTION none;
    TPM2B_CREATION_DATA *cd = NULL;
    TPM2B_DIGEST *ch = NULL;
    TPMT_TK_CREATION *tk = NULL;
    ESYS_TR key = ESYS_TR_NONE, kept = ESYS_TR_NONE;
    TSS2_RC r;

    *tr = ESYS_TR_NONE;
    *pub_out = NULL;
    if (o->persist != 0 && vt__tpm_has_handle(c, o->persist)) {
        r = Esys_TR_FromTPMPublic(c->esys, o->persist, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &key);
        if (r == TSS2_RC_SUCCESS)
            r = Esys_ReadPublic(c->esys, key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL, NULL);
        if (r != TSS2_RC_SUCCESS)
            return vt_err_set(err, VT_E_IO, "tpm: AK at 0x%08x: %s", o->persist, vt__tpm_rc(r));
        *tr = key;
        *pub_out = pub;
        return VT_OK;
    }
    memset(&sens, 0, sizeof(sens));
    memset(&outside, 0, sizeof(outside));
    memset(&none, 0, sizeof(none));
    ak_template(&tmpl, o->ecc);
    r = Esys_CreatePrimary(c->esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl,
                           &outside, &none, &key, &pub, &cd, &ch, &tk);
    Esys_Free(cd);
    Esys_Free(ch);
    Esys_Free(tk);
    if (r != TSS2_RC_SUCCESS)
        return vt_err_set(err, VT_E_IO, "tpm: creating the AK under the endorsement hierarchy: %s", vt__tpm_rc(r));
    if (o->persist != 0) {
        r = Esys_EvictControl(c->esys, ESYS_TR_RH_OWNER, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, o->persist,
                              &kept);
        Esys_FlushContext(c->esys, key);
        if (r != TSS2_RC_SUCCESS) {
            Esys_Free(pub);
            return vt_err_set(err, VT_E_IO, "tpm: persisting the AK at 0x%08x: %s", o->persist, vt__tpm_rc(r));
        }
        key = kept;
    }
    *tr = key;
    *pub_out = pub;
    return VT_OK;
}

static void ak_release(vt__tpm_conn *c, const ak_opts *o, ESYS_TR tr)
{
    if (tr == ESYS_TR_NONE)
        return;
    if (o->persist == 0)
        Esys_FlushContext(c->esys, tr);
    else
        Esys_TR_Close(c->esys, &tr);
}

vt_status vt__tpm_ak_key(vt__tpm_conn *c, const vt_collect_opts *co, vt_pkey **out, vt_err *err)
{
    uint8_t wire[sizeof(TPMT_PUBLIC)];
    TPM2B_PUBLIC *pub = NULL;
    ESYS_TR key = ESYS_TR_NONE;
    vt__tpm_public parsed;
    size_t off = 0;
    ak_opts ak;
    vt_status rc;

    *out = NULL;
    rc = ak_from_opts(&ak, co, err);
    if (rc == VT_OK)
        rc = ak_load(c, &ak, &key, &pub, err);
    if (rc == VT_OK && Tss2_MU_TPMT_PUBLIC_Marshal(&pub->publicArea, wire, sizeof(wire), &off) != TSS2_RC_SUCCESS)
        rc = vt_err_set(err, VT_E_INTERNAL, "tpm: cannot marshal the AK public area");
    if (rc == VT_OK)
        rc = vt__tpm_public_parse(&parsed, out, wire, off, err);
    Esys_Free(pub);
    ak_release(c, &ak, key);
    return rc;
}

/* ---- what to quote ---- */

/* pcrDigest of the values read = the quote's?  (SHA-256: the AK's scheme hash.) */
static bool digest_matches(const uint8_t *attest, size_t attest_len, const uint8_t *pcrs, size_t dlen, uint32_t mask)
{
    vt__tpm_attest a;
    vt_digest_ctx *d = NULL;
    uint8_t got[VT_MD_MAX];
    bool ok = false;

    if (vt__tpm_attest_parse(&a, attest, attest_len, NULL) != VT_OK || vt_digest_ctx_new(&d, VT_MD_SHA256, NULL) != VT_OK)
        return false;
    for (unsigned i = 0; i < VT_TPM_PCR_COUNT; i++)
        if ((mask & (1u << i)) && vt_digest_ctx_update(d, pcrs + i * dlen, dlen, NULL) != VT_OK)
            goto out;
    ok = vt_digest_ctx_final(d, got, NULL) == VT_OK && a.pcr_digest_len == 32 && vt_ct_equal(got, a.pcr_digest, 32);
out:
    vt_digest_ctx_free(d);
    return ok;
}

/* ---- Azure: the HCL report ---- */

/* Every byte of NV index `index` (1..max bytes), appended to out.  Read with the index's own
 * (empty) auth when its attributes allow that, else with the owner's (Azure's HCL index is
 * owner-readable; EK certificate indices are usually both), the other tried if the first is
 * refused. */
vt_status vt__tpm_nv_read(vt__tpm_conn *c, TPM2_HANDLE index, vt_buf *out, size_t max, vt_err *err)
{
    ESYS_TR nv = ESYS_TR_NONE, first, second;
    TPM2B_NV_PUBLIC *pub = NULL;
    vt_status rc = VT_E_INTERNAL;
    size_t size, off = 0;
    TSS2_RC r;

    r = Esys_TR_FromTPMPublic(c->esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
    if (r == TSS2_RC_SUCCESS)
        r = Esys_NV_ReadPublic(c->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL);
    if (r != TSS2_RC_SUCCESS) {
        rc = vt_err_set(err, VT_E_IO, "tpm: NV index 0x%08x: %s", index, vt__tpm_rc(r));
        goto out;
    }
    size = pub->nvPublic.dataSize;
    if (size == 0 || size > max) {
        rc = vt_err_set(err, VT_E_LIMIT, "tpm: NV index 0x%08x holds %zu bytes (1..%zu expected)", index, size, max);
        goto out;
    }
    first = (pub->nvPublic.attributes & TPMA_NV_AUTHREAD) ? nv : ESYS_TR_RH_OWNER;
    second = first == nv ? ESYS_TR_RH_OWNER : nv;
    while (off < size) {
        TPM2B_MAX_NV_BUFFER *data = NULL;
        UINT16 n = (UINT16)(size - off < NV_CHUNK ? size - off : NV_CHUNK);
        r = Esys_NV_Read(c->esys, first, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, n, (UINT16)off, &data);
        if (r != TSS2_RC_SUCCESS && off == 0) {
            ESYS_TR t = first;
            first = second; /* this auth for the rest of the index */
            second = t;
            r = Esys_NV_Read(c->esys, first, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, n, (UINT16)off, &data);
        }
        if (r != TSS2_RC_SUCCESS || data->size != n) {
            Esys_Free(data);
            rc = vt_err_set(err, VT_E_IO, "tpm: reading NV index 0x%08x at %zu: %s", index, off,
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

vt_status vt__tpm_nv_store(vt__tpm_conn *c, TPM2_HANDLE index, const uint8_t *p, size_t len, vt_err *err)
{
    TPM2B_AUTH auth = { .size = 0 };
    TPM2B_NV_PUBLIC pub;
    ESYS_TR nv = ESYS_TR_NONE;
    TSS2_RC r = TSS2_RC_SUCCESS;

    if (len == 0 || len > UINT16_MAX)
        return vt_err_set(err, VT_E_ARG, "tpm: NV index 0x%08x cannot hold %zu bytes", index, len);
    if (vt__tpm_has_handle(c, index)) {
        r = Esys_TR_FromTPMPublic(c->esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
        if (r == TSS2_RC_SUCCESS)
            r = Esys_NV_UndefineSpace(c->esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE);
        if (r != TSS2_RC_SUCCESS)
            return vt_err_set(err, VT_E_IO, "tpm: undefining NV index 0x%08x: %s", index, vt__tpm_rc(r));
        nv = ESYS_TR_NONE;
    }
    memset(&pub, 0, sizeof(pub));
    pub.nvPublic.nvIndex = index;
    pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
    pub.nvPublic.attributes = TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD | TPMA_NV_NO_DA;
    pub.nvPublic.dataSize = (UINT16)len;
    r = Esys_NV_DefineSpace(c->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &auth, &pub, &nv);
    if (r != TSS2_RC_SUCCESS)
        return vt_err_set(err, VT_E_IO, "tpm: defining NV index 0x%08x of %zu bytes: %s", index, len, vt__tpm_rc(r));
    for (size_t off = 0; r == TSS2_RC_SUCCESS && off < len; off += NV_CHUNK) {
        TPM2B_MAX_NV_BUFFER data = { .size = (UINT16)(len - off < NV_CHUNK ? len - off : NV_CHUNK) };
        memcpy(data.buffer, p + off, data.size);
        r = Esys_NV_Write(c->esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &data,
                          (UINT16)off);
    }
    Esys_TR_Close(c->esys, &nv);
    return r == TSS2_RC_SUCCESS ? VT_OK
                                : vt_err_set(err, VT_E_IO, "tpm: writing NV index 0x%08x: %s", index, vt__tpm_rc(r));
}

/* The HCL report, refreshed first with the report data as its user-data
 * where the VM offers the user-data index (Azure: 0x01400002, 64 bytes). */
static vt_status hcl_report(vt__tpm_conn *c, const uint8_t rd[VT_REPORT_DATA_LEN], vt_buf *out, vt_err *err)
{
    if (vt__tpm_has_handle(c, VT_TPM_HCL_USERDATA_NV_INDEX)) {
        ESYS_TR nv = ESYS_TR_NONE;
        TPM2B_MAX_NV_BUFFER data = { .size = VT_REPORT_DATA_LEN };
        TSS2_RC r;

        memcpy(data.buffer, rd, VT_REPORT_DATA_LEN);
        r = Esys_TR_FromTPMPublic(c->esys, VT_TPM_HCL_USERDATA_NV_INDEX, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                  &nv);
        if (r == TSS2_RC_SUCCESS)
            r = Esys_NV_Write(c->esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &data, 0);
        if (nv != ESYS_TR_NONE)
            Esys_TR_Close(c->esys, &nv);
        if (r != TSS2_RC_SUCCESS)
            return vt_err_set(err, VT_E_IO, "tpm: writing the HCL user-data (NV 0x%08x): %s",
                              VT_TPM_HCL_USERDATA_NV_INDEX, vt__tpm_rc(r));
    }
    return vt__tpm_nv_read(c, VT_TPM_HCL_NV_INDEX, out, HCL_MAX, err);
}

/* ---- collection ---- */

void vt__tpm_detect(vt_hw_entry *hw, const char *sysroot)
{
    char path[4096];
    struct stat st;

    hw->kind = VT_TEE_TPM;
    snprintf(path, sizeof(path), "%s/dev/tpmrm0", sysroot == NULL ? "" : sysroot);
    if (stat(path, &st) == 0) {
        hw->present = true;
        snprintf(hw->evidence, sizeof(hw->evidence), "/dev/tpmrm0 present");
    } else {
        hw->present = false;
        snprintf(hw->evidence, sizeof(hw->evidence), "/dev/tpmrm0 absent");
    }
}

vt_status vt__tpm_collect(const vt__collect_req *req, vt_buf *out, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const vt_collect_opts *o = req->opts;
    vt__tpm_conn c;
    ak_opts ak;
    ESYS_TR key = ESYS_TR_NONE;
    TPM2B_PUBLIC *pub = NULL;
    TPM2B_ATTEST *quoted = NULL;
    TPMT_SIGNATURE *sig = NULL;
    TPMI_ALG_HASH bank;
    uint32_t mask;
    uint8_t pcrs[VT_TPM_PCR_COUNT * 48], wire[sizeof(TPMT_SIGNATURE) + sizeof(TPMT_PUBLIC)];
    size_t dlen, rd_len = o->report_data_len == 0 ? VT_REPORT_DATA_LEN : o->report_data_len, off;
    size_t start = out->len;
    char path[4096];
    vt_buf extra;
    bool matched = false;

    vt_buf_init(&extra);
    memset(&c, 0, sizeof(c));
    if (rd_len > VT_REPORT_DATA_LEN)
        return vt_err_set(err, VT_E_ARG, "tpm: report data of %zu bytes (at most %d)", rd_len, VT_REPORT_DATA_LEN);
    mask = o->tpm_pcrs == 0 ? DEFAULT_PCRS : o->tpm_pcrs;
    bank = o->tpm_bank == 0 ? TPM2_ALG_SHA256 : o->tpm_bank;
    if (mask > DEFAULT_PCRS || (bank != TPM2_ALG_SHA1 && bank != TPM2_ALG_SHA256 && bank != TPM2_ALG_SHA384))
        return vt_err_set(err, VT_E_ARG, "tpm: PCRs must be 0..23 and the bank SHA-1, SHA-256 or SHA-384");
    rc = ak_from_opts(&ak, o, err);
    if (rc == VT_OK)
        rc = vt__tpm_open(&c, o->tpm_tcti, o->sysroot, err);
    if (rc == VT_OK)
        rc = ak_load(&c, &ak, &key, &pub, err);
    if (rc != VT_OK)
        goto out;
    dlen = vt_md_len(vt__tpm_alg_md(bank));
    memset(pcrs, 0, sizeof(pcrs));
    for (int t = 0; t < QUOTE_TRIES && !matched; t++) {
        TPM2B_DATA q = { .size = (UINT16)rd_len };
        TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL }; /* the AK's own */
        TPML_PCR_SELECTION sel;
        TSS2_RC r;

        memcpy(q.buffer, o->report_data, rd_len);
        vt__tpm_pcr_select(&sel, bank, mask);
        Esys_Free(quoted);
        Esys_Free(sig);
        quoted = NULL;
        sig = NULL;
        r = Esys_Quote(c.esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &q, &scheme, &sel, &quoted, &sig);
        if ((r & TPM2_RC_FMT1) && (r & 0xbf) == (TPM2_RC_SIZE & 0xbf)) {
            rc = vt_err_set(err, VT_E_UNSUPPORTED,
                            "tpm: the TPM refuses %zu bytes of qualifyingData (without a SHA-512 bank it takes at most "
                            "48 or 32): use --report-data with fewer bytes",
                            rd_len);
            goto out;
        }
        if (r != TSS2_RC_SUCCESS) {
            rc = vt_err_set(err, VT_E_IO, "tpm: TPM2_Quote: %s", vt__tpm_rc(r));
            goto out;
        }
        rc = vt__tpm_pcrs_read(&c, bank, DEFAULT_PCRS, pcrs, dlen, err);
        if (rc != VT_OK)
            goto out;
        matched = digest_matches(quoted->attestationData, quoted->size, pcrs, dlen, mask);
    }
    if (!matched) {
        rc = vt_err_set(err, VT_E_IO, "tpm: the PCRs kept changing between the quote and reading them (%d tries)",
                        QUOTE_TRIES);
        goto out;
    }
    rc = vt_tpm_evidence_add(out, VT_TPM_PART_ATTEST, 0, quoted->attestationData, quoted->size, err);
    off = 0;
    if (rc == VT_OK && Tss2_MU_TPMT_SIGNATURE_Marshal(sig, wire, sizeof(wire), &off) != TSS2_RC_SUCCESS)
        rc = vt_err_set(err, VT_E_INTERNAL, "tpm: cannot marshal the quote's signature");
    if (rc == VT_OK)
        rc = vt_tpm_evidence_add(out, VT_TPM_PART_SIG, 0, wire, off, err);
    if (rc == VT_OK)
        rc = vt_tpm_evidence_add(out, VT_TPM_PART_PCRS, bank, pcrs, VT_TPM_PCR_COUNT * dlen, err);
    off = 0;
    if (rc == VT_OK && Tss2_MU_TPMT_PUBLIC_Marshal(&pub->publicArea, wire, sizeof(wire), &off) != TSS2_RC_SUCCESS)
        rc = vt_err_set(err, VT_E_INTERNAL, "tpm: cannot marshal the AK public area");
    if (rc == VT_OK)
        rc = vt_tpm_evidence_add(out, VT_TPM_PART_AK_PUB, 0, wire, off, err);
    if (rc != VT_OK)
        goto out;
    /* The UEFI event log, where the kernel exposes one. */
    snprintf(path, sizeof(path), "%s" EVENT_LOG_PATH, o->sysroot == NULL ? "" : o->sysroot);
    if (access(path, R_OK) == 0) {
        rc = vt_file_read(&extra, path, EVENT_LOG_MAX, err);
        if (rc == VT_OK && extra.len > 0)
            rc = vt_tpm_evidence_add(out, VT_TPM_PART_EVENT_LOG, 0, extra.data, extra.len, err);
        if (rc != VT_OK)
            goto out;
    }
    /* Azure confidential VM: the HCL report binds the AK to the SNP or TDX report. */
    if (vt__tpm_has_handle(&c, VT_TPM_HCL_NV_INDEX)) {
        extra.len = 0;
        rc = hcl_report(&c, o->report_data, &extra, err);
        if (rc == VT_OK)
            rc = vt_tpm_evidence_add(out, VT_TPM_PART_HCL_REPORT, 0, extra.data, extra.len, err);
        /* The hardware report's certificates, which the VM gets elsewhere (Azure: THIM). */
        if (rc == VT_OK && o->tpm_hw_certs != NULL) {
            extra.len = 0;
            rc = vt_file_read(&extra, o->tpm_hw_certs, HW_CERTS_MAX, err);
            if (rc == VT_OK)
                rc = vt_tpm_evidence_add(out, VT_TPM_PART_HW_CERTS, 0, extra.data, extra.len, err);
        }
        if (rc != VT_OK)
            goto out;
    }
    rc = VT_OK;
out:
    if (rc != VT_OK)
        out->len = start;
    Esys_Free(quoted);
    Esys_Free(sig);
    Esys_Free(pub);
    if (c.esys != NULL)
        ak_release(&c, &ak, key);
    vt__tpm_close(&c);
    vt_buf_free(&extra);
    return rc;
}

/* ---- the measurement register ---- */

static vt_status bank_digest(TPMI_ALG_HASH *alg, size_t *dlen, uint16_t want, vt_err *err)
{
    if (want != TPM2_ALG_SHA1 && want != TPM2_ALG_SHA256 && want != TPM2_ALG_SHA384 && want != TPM2_ALG_SHA512)
        return vt_err_set(err, VT_E_ARG, "tpm: PCR bank 0x%04x is not SHA-1/256/384/512", want);
    *alg = want;
    *dlen = vt_md_len(vt__tpm_alg_md(want));
    return VT_OK;
}

vt_status vt_tpm_pcr_extend(const char *tcti, unsigned pcr, uint16_t alg, const uint8_t *digest, size_t len,
                            vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    TPML_DIGEST_VALUES v;
    TPMI_ALG_HASH a;
    vt__tpm_conn c;
    size_t dlen;
    TSS2_RC r;

    if (pcr >= VT_TPM_PCR_COUNT || digest == NULL)
        return vt_err_set(err, VT_E_ARG, "tpm: PCR %u is not 0..23 (or no digest)", pcr);
    rc = bank_digest(&a, &dlen, alg, err);
    if (rc != VT_OK)
        return rc;
    if (len != dlen)
        return vt_err_set(err, VT_E_ARG, "tpm: digest of %zu bytes for a %zu-byte PCR bank", len, dlen);
    memset(&v, 0, sizeof(v));
    v.count = 1;
    v.digests[0].hashAlg = a;
    memcpy(&v.digests[0].digest, digest, dlen);
    rc = vt__tpm_open(&c, tcti, NULL, err);
    if (rc != VT_OK)
        return rc;
    r = Esys_PCR_Extend(c.esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &v);
    rc = r == TSS2_RC_SUCCESS ? VT_OK : vt_err_set(err, VT_E_IO, "tpm: PCR_Extend %u: %s", pcr, vt__tpm_rc(r));
    vt__tpm_close(&c);
    return rc;
}

vt_status vt_tpm_pcr_read(const char *tcti, unsigned pcr, uint16_t alg, uint8_t *out, size_t out_len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    uint8_t all[VT_TPM_PCR_COUNT * 64];
    TPMI_ALG_HASH a;
    vt__tpm_conn c;
    size_t dlen;

    if (pcr >= VT_TPM_PCR_COUNT || out == NULL)
        return vt_err_set(err, VT_E_ARG, "tpm: PCR %u is not 0..23 (or no output)", pcr);
    rc = bank_digest(&a, &dlen, alg, err);
    if (rc != VT_OK)
        return rc;
    if (out_len != dlen)
        return vt_err_set(err, VT_E_ARG, "tpm: %zu-byte output for a %zu-byte PCR bank", out_len, dlen);
    rc = vt__tpm_open(&c, tcti, NULL, err);
    if (rc == VT_OK)
        rc = vt__tpm_pcrs_read(&c, a, 1u << pcr, all, dlen, err);
    if (rc == VT_OK)
        memcpy(out, all + pcr * dlen, dlen);
    vt__tpm_close(&c);
    return rc;
}
