/*
 * veritee sim azure: an Azure confidential VM attestation envelope
 * (docs/formats/azure-cvm.md) in the attesters' own JSON format, built the
 * way an Azure CVM builds its evidence: a fresh RSA attestation key (the vTPM
 * AK) published as the "HCLAkPub" JWK in the runtime data, an HCL report
 * whose hardware report carries SHA-256(runtime data) in its report data,
 * and a TPM2 quote (TPMS_ATTEST over 24 SHA-256 PCRs, extraData = the
 * caller's report data) signed RSASSA-PKCS1-v1_5/SHA-256 with that AK.  The
 * hardware report is a SEV-SNP report (vt_sim_sevsnp: a simulated VCEK), or
 * for TDX a TDREPORT made to agree field by field with a TD quote of it
 * (vt_sim_tdx), both under the simulation root.  Verified by the TPM plugin
 * like a real envelope, and never hardware attested.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tee/azure_envelope.h"
#include "tee/tpm_tss.h"
#include "veritee/sim.h"

#define HCL_SIM_LEN 2600u              /* the size Azure's HCL reports come in (zero-padded) */
#define RUNTIME_HDR_LEN 20u            /* IGVM runtime header: data_size, version, report_type, hash_type, var size */
#define SIM_FIRMWARE 0x2020031200120003ull /* the firmwareVersion Azure's vTPM reports */

typedef struct sim_parts {
    vt_pkey *ak;                       /* owned */
    char *runtime;                     /* the runtime data JSON */
    uint8_t runtime_sha256[32];
    uint8_t hw[VT_HCL_HW_LEN];         /* the SEV-SNP report, or the TDREPORT (zero-padded) */
    vt_buf td_quote;                   /* TDX: the TD quote of the TDREPORT */
    vt_collateral *hw_coll;            /* SNP: vcek.pem, ask.pem; TDX: the PCS collateral */
    uint8_t hcl[VT_HCL_MAX];
    size_t hcl_len;
    uint8_t pcrs[VT_TPM_PCR_COUNT][32];
    vt_buf attest, sig;
} sim_parts;

static vt_status put_be(vt_buf *b, uint64_t v, size_t n, vt_err *err)
{
    uint8_t x[8];

    for (size_t i = 0; i < n; i++)
        x[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return vt_buf_append(b, x, n, err);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (size_t i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static json_t *b64url(const uint8_t *p, size_t n, bool pad)
{
    json_t *j = NULL;
    vt_buf b;

    vt_buf_init(&b);
    if (vt_base64_encode(&b, p, n, true, NULL) == VT_OK) {
        while (pad && b.len % 4 != 0 && vt_buf_append(&b, "=", 1, NULL) == VT_OK)
            ;
        j = json_stringn((const char *)b.data, b.len);
    }
    vt_buf_free(&b);
    return j;
}

static json_t *hexj(const uint8_t *p, size_t n, bool upper)
{
    char *s = malloc(2 * n + 1);
    json_t *j = NULL;

    if (s == NULL)
        return NULL;
    vt_hex_encode(s, p, n);
    for (size_t i = 0; upper && i < 2 * n; i++)
        if (s[i] >= 'a' && s[i] <= 'f')
            s[i] = (char)(s[i] - 'a' + 'A');
    j = json_string(s);
    free(s);
    return j;
}

static json_t *bytes_json(const uint8_t *p, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < n; i++)
        if (json_array_append_new(a, json_integer(p[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* The runtime data: HCLAkPub, the VM configuration, and user-data (v2: the report data). */
static vt_status runtime_data(sim_parts *s, const vt_sim_azure_opts *o, vt_err *err)
{
    vt_status rc;
    uint8_t ud[VT_REPORT_DATA_LEN] = { 0 }, uid[16];
    char uid_s[40];
    json_t *root = NULL;
    vt_buf n, e;

    vt_buf_init(&n);
    vt_buf_init(&e);
    rc = vt_pkey_rsa_public_raw(&n, &e, s->ak, err);
    if (rc == VT_OK)
        rc = vt_random(uid, sizeof(uid), err);
    if (rc != VT_OK)
        goto out;
    snprintf(uid_s, sizeof(uid_s), "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", uid[0],
             uid[1], uid[2], uid[3], uid[4], uid[5], uid[6], uid[7], uid[8], uid[9], uid[10], uid[11], uid[12], uid[13],
             uid[14], uid[15]);
    if (o->version == 2)
        memcpy(ud, o->report_data, o->report_data_len);
    root = json_pack("{s:[{s:s, s:[s], s:s, s:o, s:o}], s:{s:b, s:b, s:b, s:s}, s:o}", "keys", "kid", "HCLAkPub",
                     "key_ops", "sign", "kty", "RSA", "e", b64url(e.data, e.len, false), "n",
                     b64url(n.data, n.len, false), "vm-configuration", "console-enabled", 0, "secure-boot", 1,
                     "tpm-enabled", 1, "vmUniqueId", uid_s, "user-data", hexj(ud, sizeof(ud), true));
    s->runtime = root == NULL ? NULL : json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s->runtime == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "sim: out of memory");
        goto out;
    }
    rc = vt_digest(VT_MD_SHA256, s->runtime, strlen(s->runtime), s->runtime_sha256, err);
out:
    json_decref(root);
    vt_buf_free(&n);
    vt_buf_free(&e);
    return rc;
}

/* "HCLA" header, the SEV-SNP report, the IGVM runtime header, the runtime data, zero padding. */
static vt_status hcl_report(sim_parts *s, bool tdx, vt_err *err)
{
    size_t rt = strlen(s->runtime), total = VT_HCL_RUNTIME_OFFSET + RUNTIME_HDR_LEN + rt;

    if (total > sizeof(s->hcl))
        return vt_err_set(err, VT_E_INTERNAL, "sim: HCL report parts do not fit (%zu bytes)", total);
    memset(s->hcl, 0, sizeof(s->hcl));
    memcpy(s->hcl, "HCLA", 4);
    put_le32(s->hcl + 4, 2);              /* version */
    put_le32(s->hcl + 8, (uint32_t)total);
    put_le32(s->hcl + 12, 2);             /* request type */
    memcpy(s->hcl + VT_HCL_HW_OFFSET, s->hw, sizeof(s->hw));
    put_le32(s->hcl + VT_HCL_RUNTIME_OFFSET, (uint32_t)(RUNTIME_HDR_LEN + rt));
    put_le32(s->hcl + VT_HCL_RUNTIME_OFFSET + 4, 1);  /* runtime header version */
    put_le32(s->hcl + VT_HCL_RUNTIME_OFFSET + 8, tdx ? VT_HCL_TYPE_TDX : VT_HCL_TYPE_SNP);
    put_le32(s->hcl + VT_HCL_RUNTIME_OFFSET + 12, 1); /* hash type: SHA-256 */
    put_le32(s->hcl + VT_HCL_RUNTIME_OFFSET + 16, (uint32_t)rt);
    memcpy(s->hcl + VT_HCL_RUNTIME_OFFSET + RUNTIME_HDR_LEN, s->runtime, rt);
    s->hcl_len = total;
    return VT_OK;
}

/* SEV-SNP: a report whose REPORT_DATA is SHA-256(runtime data) || zeros. */
static vt_status snp_hardware(sim_parts *s, const vt_sim_azure_opts *o, vt_err *err)
{
    vt_sim_sevsnp_opts so;
    vt_buf rep;
    vt_status rc;

    memset(&so, 0, sizeof(so));
    so.debug = o->debug;
    so.no_smt = o->no_smt;
    so.migrate_ma = o->migrate_ma;
    so.vmpl = o->vmpl;
    memcpy(so.report_data, s->runtime_sha256, sizeof(s->runtime_sha256));
    so.now = o->now;
    so.state_dir = o->state_dir;
    vt_buf_init(&rep);
    rc = vt_sim_sevsnp(&rep, s->hw_coll, &so, err);
    if (rc == VT_OK && rep.len != VT_HCL_SNP_REPORT_LEN)
        rc = vt_err_set(err, VT_E_INTERNAL, "sim: SEV-SNP report of %zu bytes", rep.len);
    if (rc == VT_OK)
        memcpy(s->hw, rep.data, rep.len);
    vt_buf_free(&rep);
    return rc;
}

/* TDX: a TD quote with REPORTDATA = SHA-256(runtime data) || zeros, and the
 * TDREPORT it would be the quote of: every field the quote repeats (as the
 * TDX plugin reads them from the verified quote), REPORTDATA, the hashes of
 * TEE_TCB_INFO and TDINFO, a random MAC. */
static vt_status tdx_hardware(sim_parts *s, const vt_sim_azure_opts *o, vt_err *err)
{
    static const uint8_t valid[8] = { 0xff, 0x01, 0x03 }; /* TEE_TCB_INFO.VALID, as Azure's TDREPORTs have it */
    vt_sim_tdx_opts to;
    vt_verify_opts vo;
    vt_result *r = NULL;
    uint8_t *tdr = s->hw;
    vt_status rc;

    memset(&to, 0, sizeof(to));
    to.version = 4;
    to.td_attributes_set = true;
    to.td_attributes = o->td_attributes | (o->debug ? 1u : 0u); /* bit 0: DEBUG */
    memcpy(to.report_data, s->runtime_sha256, sizeof(s->runtime_sha256));
    to.now = o->now;
    to.state_dir = o->state_dir;
    rc = vt_sim_tdx(&s->td_quote, s->hw_coll, &to, err);
    r = rc == VT_OK ? calloc(1, sizeof(*r)) : NULL;
    if (rc == VT_OK && r == NULL)
        rc = vt_err_set(err, VT_E_NOMEM, "sim: out of memory");
    if (rc == VT_OK) {
        memset(&vo, 0, sizeof(vo));
        vo.platform = VT_TEE_TDX;
        vo.now = o->now;
        vo.collateral = s->hw_coll;
        vo.trust_sim = true;
        vo.allow_debug = true; /* only its fields are read here: a debug TD is the caller's to make */
        vo.state_dir = o->state_dir;
        rc = vt_evidence_verify(r, s->td_quote.data, s->td_quote.len, &vo, err);
    }
    if (rc == VT_OK && !r->valid)
        rc = vt_err_set(err, VT_E_INTERNAL, "sim: the simulated TD quote does not verify (%s)",
                        r->error_count > 0 ? r->errors[0].msg : "?");
    for (size_t i = 0; rc == VT_OK && i < VT_HCL_TDR_FIELDS; i++) {
        const vt__hcl_tdr_field *f = &vt__hcl_tdr_fields[i];
        const vt_claim *c = vt_claims_get(&r->claims, f->claim);
        if (c == NULL || c->len != f->len)
            rc = vt_err_set(err, VT_E_INTERNAL, "sim: the simulated TD quote has no %s", f->claim);
        else
            memcpy(tdr + f->off, c->value, f->len);
    }
    if (rc == VT_OK) {
        tdr[0] = 0x81; /* REPORTTYPE: TDX */
        memcpy(tdr + VT_HCL_TDR_TCB_INFO, valid, sizeof(valid));
        memcpy(tdr + VT_HCL_TDREPORT_DATA, s->runtime_sha256, sizeof(s->runtime_sha256));
        rc = vt_random(tdr + VT_HCL_TDREPORT_DATA + 96, 32, err); /* MAC: the local CPU's, unverifiable remotely */
    }
    if (rc == VT_OK)
        rc = vt__hcl_tdr_hashes_set(tdr, err);
    free(r);
    return rc;
}

/* TPMS_ATTEST (QUOTE) over PCR 0..23 of the SHA-256 bank, then its signature with the AK. */
static vt_status quote(sim_parts *s, const vt_sim_azure_opts *o, vt_err *err)
{
    static const uint8_t select[4] = { 3, 0xff, 0xff, 0xff }; /* sizeofSelect, PCR 0..23 */
    uint8_t name[32], digest[32];
    vt_status rc;

    for (unsigned i = 0; i < VT_TPM_PCR_COUNT; i++) {
        char tag[40];
        int n = snprintf(tag, sizeof(tag), "veritee sim azure PCR %u", i);
        /* PCR 0..15 as if measured; 16..23 (debug, locality, application) still zero. */
        if (i >= 16)
            continue;
        rc = vt_digest(VT_MD_SHA256, tag, (size_t)n, s->pcrs[i], err);
        if (rc != VT_OK)
            return rc;
    }
    rc = vt_digest(VT_MD_SHA256, s->pcrs, sizeof(s->pcrs), digest, err);
    if (rc == VT_OK)
        rc = vt_pkey_spki_sha256(name, s->ak, err); /* stands in for the AK's TPM Name */
    if (rc == VT_OK)
        rc = put_be(&s->attest, VT_TPM_GENERATED, 4, err);
    if (rc == VT_OK)
        rc = put_be(&s->attest, VT_TPM_ST_ATTEST_QUOTE, 2, err);
    if (rc == VT_OK)
        rc = put_be(&s->attest, 2 + sizeof(name), 2, err);
    if (rc == VT_OK)
        rc = put_be(&s->attest, VT_TPM_ALG_SHA256, 2, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&s->attest, name, sizeof(name), err);
    if (rc == VT_OK)
        rc = put_be(&s->attest, o->report_data_len, 2, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&s->attest, o->report_data, o->report_data_len, err);
    if (rc == VT_OK)
        rc = put_be(&s->attest, (uint64_t)o->now * 1000u, 8, err); /* clock (ms) */
    if (rc == VT_OK)
        rc = put_be(&s->attest, 1, 4, err); /* resetCount */
    if (rc == VT_OK)
        rc = put_be(&s->attest, 0, 4, err); /* restartCount */
    if (rc == VT_OK)
        rc = put_be(&s->attest, 1, 1, err); /* safe */
    if (rc == VT_OK)
        rc = put_be(&s->attest, SIM_FIRMWARE, 8, err);
    if (rc == VT_OK)
        rc = put_be(&s->attest, 1, 4, err); /* one selection */
    if (rc == VT_OK)
        rc = put_be(&s->attest, VT_TPM_ALG_SHA256, 2, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&s->attest, select, sizeof(select), err);
    if (rc == VT_OK)
        rc = put_be(&s->attest, sizeof(digest), 2, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&s->attest, digest, sizeof(digest), err);
    if (rc == VT_OK)
        rc = vt_sig_sign(&s->sig, s->ak, VT_MD_SHA256, false, s->attest.data, s->attest.len, err);
    return rc;
}

/* The VCEK as the envelope carries it: PEM (v0), DER in base64url (v1, v2). */
static json_t *vcek_json(const sim_parts *s, int version, vt_err *err)
{
    const uint8_t *pem = NULL, *der;
    size_t pem_len = 0, der_len, count = 0;
    vt_x509 *c = NULL;
    json_t *j = NULL;

    for (size_t i = 0; i < vt_collateral_count(s->hw_coll); i++) {
        const char *name;
        size_t n;
        const uint8_t *b = vt_collateral_get(s->hw_coll, i, &name, &n);
        if (name != NULL && strcmp(name, "vcek.pem") == 0) {
            pem = b;
            pem_len = n;
        }
    }
    if (pem == NULL) {
        vt_err_set(err, VT_E_INTERNAL, "sim: the simulated SEV-SNP report came without its VCEK");
        return NULL;
    }
    if (version == 0)
        return json_stringn((const char *)pem, pem_len);
    if (vt_x509_list_from_pem(&c, &count, 1, (const char *)pem, pem_len, err) != VT_OK)
        return NULL;
    der = vt_x509_der(c, &der_len);
    j = der == NULL ? NULL : b64url(der, der_len, true);
    vt_x509_free(c);
    return j;
}

static vt_status envelope(vt_buf *out, const sim_parts *s, const vt_sim_azure_opts *o, vt_err *err)
{
    bool v0 = o->version == 0;
    size_t hcl_len = s->hcl_len > HCL_SIM_LEN ? s->hcl_len : HCL_SIM_LEN; /* zero-padded, as Azure's */
    json_t *root = NULL, *q = NULL, *pcrs = json_array();
    json_t *vcek = o->tdx ? b64url(s->td_quote.data, s->td_quote.len, false) : vcek_json(s, o->version, err);
    vt_status rc = VT_E_NOMEM;
    char *text = NULL;

    if (vcek == NULL || pcrs == NULL) {
        rc = err != NULL && err->code != VT_OK ? err->code : VT_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < VT_TPM_PCR_COUNT; i++)
        if (json_array_append_new(pcrs, v0 ? bytes_json(s->pcrs[i], 32) : hexj(s->pcrs[i], 32, false)) != 0)
            goto out;
    q = json_pack("{s:o, s:o, s:O}", "signature",
                  v0 ? bytes_json(s->sig.data, s->sig.len) : hexj(s->sig.data, s->sig.len, false), "message",
                  v0 ? bytes_json(s->attest.data, s->attest.len) : hexj(s->attest.data, s->attest.len, false), "pcrs",
                  pcrs);
    if (q == NULL)
        goto out;
    if (v0)
        root = json_pack("{s:O, s:o, s:O}", "quote", q, "report", bytes_json(s->hcl, hcl_len), "vcek", vcek);
    else
        root = json_pack("{s:i, s:O, s:o, s:O}", "version", o->version, "tpm_quote", q, "hcl_report",
                         b64url(s->hcl, hcl_len, true), o->tdx ? "td_quote" : "vcek", vcek);
    text = root == NULL ? NULL : json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text == NULL)
        goto out;
    rc = vt_buf_append(out, text, strlen(text), err);
out:
    if (rc == VT_E_NOMEM && (err == NULL || err->code == VT_OK))
        vt_err_set(err, VT_E_NOMEM, "sim: out of memory");
    free(text);
    json_decref(root);
    json_decref(q);
    json_decref(pcrs);
    json_decref(vcek);
    return rc;
}

static sim_parts *parts_new(vt_err *err)
{
    sim_parts *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        vt_err_set(err, VT_E_NOMEM, "sim: out of memory");
        return NULL;
    }
    vt_buf_init(&s->td_quote);
    vt_buf_init(&s->attest);
    vt_buf_init(&s->sig);
    return s;
}

static void parts_free(sim_parts *s)
{
    if (s == NULL)
        return;
    vt_pkey_free(s->ak); /* wipes a simulated AK: one envelope per key */
    free(s->runtime);
    vt_buf_free(&s->td_quote);
    vt_buf_free(&s->attest);
    vt_buf_free(&s->sig);
    vt_collateral_free(s->hw_coll);
    free(s);
}

/* The runtime data naming s->ak, the hardware report binding it, the HCL report. */
static vt_status parts_hcl(sim_parts *s, const vt_sim_azure_opts *o, vt_err *err)
{
    vt_status rc = runtime_data(s, o, err);

    if (rc == VT_OK)
        rc = vt_collateral_new(&s->hw_coll, err);
    if (rc == VT_OK)
        rc = o->tdx ? tdx_hardware(s, o, err) : snp_hardware(s, o, err);
    if (rc == VT_OK)
        rc = hcl_report(s, o->tdx, err);
    return rc;
}

/* What the verifier needs beside the hardware report: all of it, or all but the VCEK. */
static vt_status parts_collateral(vt_collateral *out, const sim_parts *s, bool with_vcek, vt_err *err)
{
    vt_status rc = VT_OK;

    for (size_t i = 0; rc == VT_OK && out != NULL && i < vt_collateral_count(s->hw_coll); i++) {
        const char *name;
        size_t n;
        const uint8_t *b = vt_collateral_get(s->hw_coll, i, &name, &n);
        if (name != NULL && (with_vcek || strcmp(name, "vcek.pem") != 0))
            rc = vt_collateral_add(out, name, b, n, err);
    }
    return rc;
}

vt_status vt_sim_azure(vt_buf *envelope_out, vt_collateral *coll_out, const vt_sim_azure_opts *opts, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    sim_parts *s = NULL;
    size_t start;

    if (envelope_out == NULL || opts == NULL)
        return vt_err_set(err, VT_E_ARG, "sim: envelope_out and opts are required");
    if (opts->version < 0 || opts->version > 2 || opts->report_data_len > VT_REPORT_DATA_LEN)
        return vt_err_set(err, VT_E_ARG, "sim: azure envelope version 0..2 and at most %d bytes of report data",
                          VT_REPORT_DATA_LEN);
    if (opts->tdx && opts->version == 0)
        return vt_err_set(err, VT_E_ARG, "sim: the v0 envelope carries SEV-SNP evidence only");
    start = envelope_out->len;
    s = parts_new(err);
    if (s == NULL)
        return VT_E_NOMEM;
    rc = vt_pkey_generate(&s->ak, VT_KEY_RSA, err);
    if (rc == VT_OK)
        rc = parts_hcl(s, opts, err);
    if (rc == VT_OK)
        rc = quote(s, opts, err);
    if (rc == VT_OK)
        rc = envelope(envelope_out, s, opts, err);
    /* The VCEK travels in the envelope, as Azure's do; the verifier needs the rest beside it
     * (SNP: the ASK; TDX: the PCS collateral). */
    if (rc == VT_OK)
        rc = parts_collateral(coll_out, s, false, err);
    if (rc != VT_OK)
        envelope_out->len = start;
    parts_free(s);
    return rc;
}

vt_status vt_sim_azure_tpm(vt_collateral *certs_out, const vt_collect_opts *tpm, const vt_sim_azure_opts *opts,
                           vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    sim_parts *s = NULL;
    vt__tpm_conn c;

    if (certs_out == NULL || tpm == NULL || opts == NULL)
        return vt_err_set(err, VT_E_ARG, "sim: certs_out, tpm and opts are required");
    if (opts->tdx || opts->version == 2)
        return vt_err_set(err, VT_E_ARG, "sim: a simulated vTPM is an SEV-SNP CVM's, without user-data");
    if (tpm->tpm_ak_ecc)
        return vt_err_set(err, VT_E_ARG, "sim: HCLAkPub is an RSA key: the vTPM's AK cannot be ECC");
    s = parts_new(err);
    if (s == NULL)
        return VT_E_NOMEM;
    rc = vt__tpm_open(&c, tpm->tpm_tcti, tpm->sysroot, err);
    if (rc != VT_OK)
        goto out;
    rc = vt__tpm_ak_key(&c, tpm, &s->ak, err);
    if (rc == VT_OK)
        rc = parts_hcl(s, opts, err);
    if (rc == VT_OK)
        rc = vt__tpm_nv_store(&c, VT_TPM_HCL_NV_INDEX, s->hcl, s->hcl_len, err);
    if (rc == VT_OK)
        rc = parts_collateral(certs_out, s, true, err);
    vt__tpm_close(&c);
out:
    parts_free(s);
    return rc;
}
