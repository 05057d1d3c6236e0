/*
 * Azure CVM HCL report parsing.  Layout (little-endian): 0x00 "HCLA", u32
 * version, u32 total size, u32 report type; 0x20 the hardware report (0x4A0
 * bytes); 0x4C0 IGVM runtime header {u32 data_size, version, report_type,
 * hash_type, variable_data_size}; 0x4D4 the runtime data JSON.  Only the
 * runtime data's SHA-256 is bound by hardware: nothing in it is trusted
 * until the hardware report verifies and carries that digest (tpm.c).
 */
#include <string.h>

#include <jansson.h>

#include "tee/tpm_hcl.h"

#define HCL_HASH_SHA256 1

const vt__hcl_tdr_field vt__hcl_tdr_fields[VT_HCL_TDR_FIELDS] = {
    { "tee_tcb_svn", VT_HCL_TDR_TCB_INFO + 8, 16 },   { "mrseam", VT_HCL_TDR_TCB_INFO + 24, 48 },
    { "mrsignerseam", VT_HCL_TDR_TCB_INFO + 72, 48 }, { "seam_attributes", VT_HCL_TDR_TCB_INFO + 120, 8 },
    { "td_attributes", VT_HCL_TDR_TDINFO, 8 },        { "xfam", VT_HCL_TDR_TDINFO + 8, 8 },
    { "mrtd", VT_HCL_TDR_TDINFO + 16, 48 },           { "mrconfigid", VT_HCL_TDR_TDINFO + 64, 48 },
    { "mrowner", VT_HCL_TDR_TDINFO + 112, 48 },       { "mrownerconfig", VT_HCL_TDR_TDINFO + 160, 48 },
    { "rtmr0", VT_HCL_TDR_TDINFO + 208, 48 },         { "rtmr1", VT_HCL_TDR_TDINFO + 256, 48 },
    { "rtmr2", VT_HCL_TDR_TDINFO + 304, 48 },         { "rtmr3", VT_HCL_TDR_TDINFO + 352, 48 },
};

static vt_status tdr_hashes(const uint8_t *tdr, uint8_t tcb[48], uint8_t tee[48], vt_err *err)
{
    vt_status rc = vt_digest(VT_MD_SHA384, tdr + VT_HCL_TDR_TCB_INFO, VT_HCL_TDR_TCB_INFO_LEN, tcb, err);

    if (rc == VT_OK)
        rc = vt_digest(VT_MD_SHA384, tdr + VT_HCL_TDR_TDINFO, VT_HCL_TDR_TDINFO_LEN, tee, err);
    return rc;
}

bool vt__hcl_tdr_hashes_hold(const uint8_t tdr[VT_HCL_TDREPORT_LEN])
{
    uint8_t tcb[48], tee[48];

    return tdr_hashes(tdr, tcb, tee, NULL) == VT_OK && vt_ct_equal(tcb, tdr + VT_HCL_TDR_TCB_INFO_HASH, 48) &&
           vt_ct_equal(tee, tdr + VT_HCL_TDR_TEE_INFO_HASH, 48);
}

vt_status vt__hcl_tdr_hashes_set(uint8_t tdr[VT_HCL_TDREPORT_LEN], vt_err *err)
{
    uint8_t tcb[48], tee[48];
    vt_status rc = tdr_hashes(tdr, tcb, tee, err);

    if (rc == VT_OK) {
        memcpy(tdr + VT_HCL_TDR_TCB_INFO_HASH, tcb, 48);
        memcpy(tdr + VT_HCL_TDR_TEE_INFO_HASH, tee, 48);
    }
    return rc;
}

void vt__tpm_hcl_clear(vt__tpm_hcl *h)
{
    if (h == NULL)
        return;
    vt_pkey_free(h->ak);
    memset(h, 0, sizeof(*h));
    h->secure_boot = h->tpm_enabled = -1;
}

static vt_status b64url_field(vt_buf *out, json_t *o, const char *key, size_t max, vt_err *err)
{
    const char *s = json_string_value(json_object_get(o, key));

    if (s == NULL || strlen(s) > max)
        return vt_err_set(err, VT_E_FORMAT, "tpm: HCL runtime data HCLAkPub \"%s\" missing or too long", key);
    if (vt_base64_decode(out, s, strlen(s), err) != VT_OK)
        return vt_err_set(err, VT_E_FORMAT, "tpm: HCL runtime data HCLAkPub \"%s\" is not base64url", key);
    return VT_OK;
}

static vt_status ak_from_jwk(vt__tpm_hcl *h, json_t *keys, vt_err *err)
{
    vt_status rc = VT_E_FORMAT;
    json_t *k = NULL, *it;
    size_t i;
    vt_buf n, e;

    json_array_foreach(keys, i, it) {
        const char *kid = json_string_value(json_object_get(it, "kid"));
        if (kid != NULL && strcmp(kid, "HCLAkPub") == 0) {
            if (k != NULL)
                return vt_err_set(err, VT_E_FORMAT, "tpm: HCL runtime data has two HCLAkPub keys");
            k = it;
        }
    }
    if (k == NULL)
        return vt_err_set(err, VT_E_FORMAT, "tpm: HCL runtime data has no HCLAkPub key");
    if (json_string_value(json_object_get(k, "kty")) == NULL || strcmp(json_string_value(json_object_get(k, "kty")), "RSA") != 0)
        return vt_err_set(err, VT_E_FORMAT, "tpm: HCL runtime data HCLAkPub is not an RSA key");
    vt_buf_init(&n);
    vt_buf_init(&e);
    rc = b64url_field(&n, k, "n", 1400, err);
    if (rc == VT_OK)
        rc = b64url_field(&e, k, "e", 12, err);
    if (rc == VT_OK)
        rc = vt_pkey_from_rsa_raw(&h->ak, n.data, n.len, e.data, e.len, err);
    vt_buf_free(&n);
    vt_buf_free(&e);
    return rc;
}

static int json_bool_field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    return json_is_boolean(v) ? json_is_true(v) : -1;
}

static vt_status runtime_json(vt__tpm_hcl *h, vt_err *err)
{
    vt_status rc = VT_E_FORMAT;
    json_error_t je;
    json_t *root, *keys, *cfg, *ud;

    root = json_loadb((const char *)h->runtime, h->runtime_len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL || !json_is_object(root)) {
        rc = vt_err_set(err, VT_E_FORMAT, "tpm: HCL runtime data is not a JSON object");
        goto out;
    }
    keys = json_object_get(root, "keys");
    if (!json_is_array(keys)) {
        rc = vt_err_set(err, VT_E_FORMAT, "tpm: HCL runtime data has no \"keys\" array");
        goto out;
    }
    rc = ak_from_jwk(h, keys, err);
    if (rc != VT_OK)
        goto out;
    cfg = json_object_get(root, "vm-configuration");
    if (json_is_object(cfg)) {
        h->secure_boot = json_bool_field(cfg, "secure-boot");
        h->tpm_enabled = json_bool_field(cfg, "tpm-enabled");
    }
    ud = json_object_get(root, "user-data");
    if (json_is_string(ud) && json_string_length(ud) <= 2 * sizeof(h->user_data) &&
        json_string_length(ud) % 2 == 0 &&
        vt_hex_decode(h->user_data, json_string_length(ud) / 2, json_string_value(ud), json_string_length(ud), NULL) ==
            VT_OK)
        h->user_data_len = json_string_length(ud) / 2;
    rc = VT_OK;
out:
    json_decref(root);
    return rc;
}

vt_status vt__tpm_hcl_parse(vt__tpm_hcl *out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__tpm_hcl h;
    vt_rd r, hdr;
    uint32_t total, data_size, rt_type, hash_type, var_size;
    const uint8_t *m;

    memset(&h, 0, sizeof(h));
    h.secure_boot = h.tpm_enabled = -1;
    memset(out, 0, sizeof(*out));
    out->secure_boot = out->tpm_enabled = -1;
    if (len > VT_HCL_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tpm: HCL report is %zu bytes, over %d", len, VT_HCL_MAX);
    vt_rd_init(&r, p, len);
    hdr = vt_rd_sub(&r, VT_HCL_HW_OFFSET);
    m = vt_rd_take(&hdr, 4);
    vt_rd_skip(&hdr, 4); /* version */
    total = vt_rd_u32le(&hdr);
    vt_rd_skip(&hdr, 4); /* request type (2 on both SNP and TDX machines) */
    if (hdr.failed || memcmp(m, "HCLA", 4) != 0)
        return vt_err_set(err, VT_E_FORMAT, "tpm: HCL report header missing or not \"HCLA\"");
    if (total > len || total < VT_HCL_RUNTIME_OFFSET + 20)
        return vt_err_set(err, VT_E_FORMAT, "tpm: HCL report size %u does not fit its %zu bytes", total, len);
    h.hw = vt_rd_take(&r, VT_HCL_HW_LEN);
    data_size = vt_rd_u32le(&r);
    vt_rd_skip(&r, 4); /* runtime header version */
    rt_type = vt_rd_u32le(&r);
    hash_type = vt_rd_u32le(&r);
    var_size = vt_rd_u32le(&r);
    if (r.failed)
        return vt_err_set(err, VT_E_FORMAT, "tpm: HCL report truncated before its runtime data");
    if (rt_type != VT_HCL_TYPE_SNP && rt_type != VT_HCL_TYPE_TDX)
        return vt_err_set(err, VT_E_FORMAT, "tpm: HCL runtime report_type %u is not SNP (2) or TDX (4)", rt_type);
    h.report_type = rt_type;
    if (hash_type != HCL_HASH_SHA256)
        return vt_err_set(err, VT_E_FORMAT, "tpm: HCL runtime hash_type %u is not SHA-256 (1)", hash_type);
    if (var_size == 0 || var_size > VT_HCL_RUNTIME_MAX || data_size != var_size + 20 ||
        (size_t)VT_HCL_RUNTIME_OFFSET + data_size != total)
        return vt_err_set(err, VT_E_FORMAT, "tpm: HCL runtime data size %u inconsistent", var_size);
    h.runtime = vt_rd_take(&r, var_size);
    h.runtime_len = var_size;
    if (h.runtime == NULL)
        return vt_err_set(err, VT_E_FORMAT, "tpm: HCL runtime data truncated");
    /* Past the declared size only zero padding may follow. */
    while (r.left > 0)
        if (vt_rd_u8(&r) != 0)
            return vt_err_set(err, VT_E_FORMAT, "tpm: HCL report has non-zero bytes after its runtime data");
    rc = vt_digest(VT_MD_SHA256, h.runtime, h.runtime_len, h.runtime_sha256, err);
    if (rc == VT_OK)
        rc = runtime_json(&h, err);
    if (rc != VT_OK) {
        vt__tpm_hcl_clear(&h);
        return rc;
    }
    *out = h;
    return VT_OK;
}
