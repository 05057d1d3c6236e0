/*
 * NVIDIA SPDM 1.1 GET_MEASUREMENTS evidence parser (HS-10): one pass with
 * vt_rd over request || response, copying every field.  Each variable part
 * (measurement record, opaque data) becomes a child reader, so a length that
 * disagrees with the bytes fails once, at the end of its part.
 */
#include <stdio.h>
#include <string.h>

#include "tee/nvgpu_spdm.h"

bool vt__nvgpu_probe(const uint8_t *p, size_t len)
{
    return p != NULL && len >= NVGPU_REQ_LEN + 8u && p[0] == NVGPU_SPDM_VERSION &&
           p[1] == NVGPU_CODE_GET_MEASUREMENTS && p[NVGPU_REQ_LEN] == NVGPU_SPDM_VERSION &&
           p[NVGPU_REQ_LEN + 1] == NVGPU_CODE_MEASUREMENTS;
}

static uint32_t rd_u24le(vt_rd *r)
{
    const uint8_t *b = vt_rd_take(r, 3);

    if (b == NULL)
        return 0;
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16);
}

/* The measurement record: exactly block_count DMTF blocks, strictly increasing indices. */
static vt_status read_record(vt__nvgpu_evidence *e, vt_rd *rec, vt_err *err)
{
    unsigned prev = 0;

    for (unsigned i = 0; i < e->block_count; i++) {
        vt__nvgpu_meas *m = &e->meas[i];
        uint16_t size, vsize;
        vt_rd blk;

        m->index = vt_rd_u8(rec);
        m->spec = vt_rd_u8(rec);
        size = vt_rd_u16le(rec);
        blk = vt_rd_sub(rec, size);
        m->type = vt_rd_u8(&blk);
        vsize = vt_rd_u16le(&blk);
        if (!vt_rd_ok(rec) || !vt_rd_ok(&blk))
            return vt_err_set(err, VT_E_FORMAT, "nvgpu: measurement block %u runs past the record", i);
        if (m->spec != 0x01)
            return vt_err_set(err, VT_E_UNSUPPORTED, "nvgpu: measurement block %u specification 0x%02x is not DMTF",
                              i, m->spec);
        if (vsize > NVGPU_MEAS_VALUE_MAX)
            return vt_err_set(err, VT_E_LIMIT, "nvgpu: measurement block %u value size %u exceeds %u", i, vsize,
                              NVGPU_MEAS_VALUE_MAX);
        m->len = vsize;
        vt_rd_copy(&blk, m->value, vsize);
        if (!vt_rd_ok_and_empty(&blk))
            return vt_err_set(err, VT_E_FORMAT, "nvgpu: measurement block %u size %u disagrees with value size %u",
                              i, size, vsize);
        if (m->index == 0 || m->index <= prev)
            return vt_err_set(err, VT_E_FORMAT, "nvgpu: measurement block %u index %u is not increasing", i,
                              m->index);
        prev = m->index;
    }
    if (!vt_rd_ok_and_empty(rec))
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: measurement record length %u disagrees with %u blocks",
                          e->record_len, e->block_count);
    return VT_OK;
}

/* Opaque data: u16 type, u16 length TLVs filling it exactly. */
static vt_status read_opaque(vt__nvgpu_evidence *e, vt_err *err)
{
    vt_rd r;

    vt_rd_init(&r, e->opaque, e->opaque_len);
    while (r.left > 0 && !r.failed) {
        vt__nvgpu_tlv *t;
        size_t off;

        if (e->tlv_count >= NVGPU_TLV_MAX)
            return vt_err_set(err, VT_E_LIMIT, "nvgpu: opaque data holds more than %u TLVs", NVGPU_TLV_MAX);
        t = &e->tlv[e->tlv_count];
        t->type = vt_rd_u16le(&r);
        t->len = vt_rd_u16le(&r);
        off = e->opaque_len - r.left;
        vt_rd_skip(&r, t->len);
        if (!vt_rd_ok(&r))
            return vt_err_set(err, VT_E_FORMAT, "nvgpu: opaque TLV %zu runs past the opaque data", e->tlv_count);
        t->off = (uint16_t)off;
        e->tlv_count++;
        if (t->type == NVGPU_TLV_FWID) {
            if (t->len != NVGPU_FWID_LEN)
                return vt_err_set(err, VT_E_FORMAT, "nvgpu: opaque FWID length %u, want %u", t->len,
                                  NVGPU_FWID_LEN);
            if (e->fwid_present)
                return vt_err_set(err, VT_E_FORMAT, "nvgpu: opaque data holds two FWIDs");
            memcpy(e->fwid, e->opaque + t->off, NVGPU_FWID_LEN);
            e->fwid_present = true;
        }
    }
    return VT_OK;
}

vt_status vt__nvgpu_parse(vt__nvgpu_evidence *out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_rd r, rec;

    memset(out, 0, sizeof(*out));
    if (p == NULL && len > 0)
        return vt_err_set(err, VT_E_ARG, "nvgpu: no evidence");
    if (len > NVGPU_EVIDENCE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "nvgpu: %zu-byte evidence exceeds %u bytes", len,
                          (unsigned)NVGPU_EVIDENCE_MAX);
    vt_rd_init(&r, p, len);
    out->req_version = vt_rd_u8(&r);
    out->req_code = vt_rd_u8(&r);
    out->req_param1 = vt_rd_u8(&r);
    out->req_param2 = vt_rd_u8(&r);
    vt_rd_copy(&r, out->nonce, sizeof(out->nonce));
    out->slot = vt_rd_u8(&r);
    out->rsp_version = vt_rd_u8(&r);
    out->rsp_code = vt_rd_u8(&r);
    out->rsp_param1 = vt_rd_u8(&r);
    out->rsp_param2 = vt_rd_u8(&r);
    out->block_count = vt_rd_u8(&r);
    out->record_len = rd_u24le(&r);
    if (!vt_rd_ok(&r)) {
        rc = vt_err_set(err, VT_E_FORMAT, "nvgpu: %zu bytes are too short for a request and response header", len);
        goto out;
    }
    if (out->req_version != NVGPU_SPDM_VERSION || out->rsp_version != NVGPU_SPDM_VERSION) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "nvgpu: SPDM version 0x%02x/0x%02x, only 1.1 (0x11) is supported",
                        out->req_version, out->rsp_version);
        goto out;
    }
    if (out->req_code != NVGPU_CODE_GET_MEASUREMENTS || out->rsp_code != NVGPU_CODE_MEASUREMENTS) {
        rc = vt_err_set(err, VT_E_FORMAT, "nvgpu: request code 0x%02x / response code 0x%02x are not "
                        "GET_MEASUREMENTS / MEASUREMENTS", out->req_code, out->rsp_code);
        goto out;
    }
    if (!(out->req_param1 & NVGPU_REQ_SIGNATURE)) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "nvgpu: request param1 0x%02x did not ask for a signature",
                        out->req_param1);
        goto out;
    }
    if (out->record_len > NVGPU_RECORD_MAX) {
        rc = vt_err_set(err, VT_E_LIMIT, "nvgpu: measurement record length %u exceeds %u", out->record_len,
                        NVGPU_RECORD_MAX);
        goto out;
    }
    rec = vt_rd_sub(&r, out->record_len);
    if (!vt_rd_ok(&r)) {
        rc = vt_err_set(err, VT_E_FORMAT, "nvgpu: measurement record length %u runs past the evidence",
                        out->record_len);
        goto out;
    }
    rc = read_record(out, &rec, err);
    if (rc != VT_OK)
        goto out;
    vt_rd_copy(&r, out->rsp_nonce, sizeof(out->rsp_nonce));
    out->opaque_len = vt_rd_u16le(&r);
    if (vt_rd_ok(&r) && out->opaque_len > NVGPU_OPAQUE_MAX) {
        rc = vt_err_set(err, VT_E_LIMIT, "nvgpu: opaque length %u exceeds %u", out->opaque_len, NVGPU_OPAQUE_MAX);
        goto out;
    }
    vt_rd_copy(&r, out->opaque, out->opaque_len);
    out->signed_len = len - r.left;
    vt_rd_copy(&r, out->sig, sizeof(out->sig));
    if (!vt_rd_ok_and_empty(&r)) {
        rc = vt_err_set(err, VT_E_FORMAT, "nvgpu: %zu-byte evidence disagrees with opaque length %u and a "
                        "%u-byte signature", len, out->opaque_len, NVGPU_SIG_LEN);
        goto out;
    }
    rc = read_opaque(out, err);
out:
    if (rc != VT_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

const vt__nvgpu_tlv *vt__nvgpu_tlv_find(const vt__nvgpu_evidence *e, uint16_t type)
{
    for (size_t i = 0; i < e->tlv_count; i++)
        if (e->tlv[i].type == type)
            return &e->tlv[i];
    return NULL;
}

static bool printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return false;
    return true;
}

/* Printable ASCII up to the first NUL; "" when anything else is in it. */
static void tlv_ascii(char *out, size_t out_len, const vt__nvgpu_evidence *e, const vt__nvgpu_tlv *t)
{
    const uint8_t *d = e->opaque + t->off;
    size_t n = 0;

    while (n < t->len && d[n] != 0)
        n++;
    if (n == 0 || !printable(d, n)) {
        out[0] = '\0';
        return;
    }
    snprintf(out, out_len, "%.*s", (int)n, (const char *)d);
}

void vt__nvgpu_vbios_string(char *out, size_t out_len, const vt__nvgpu_evidence *e)
{
    const vt__nvgpu_tlv *t = vt__nvgpu_tlv_find(e, NVGPU_TLV_VBIOS_VERSION);
    const uint8_t *b;

    out[0] = '\0';
    if (t == NULL)
        return;
    b = e->opaque + t->off;
    /* GPUs: 8 raw bytes, printed the way NVIDIA's verifier does (byte-swapped). */
    if (t->len == 8 && !printable(b, 8)) {
        snprintf(out, out_len, "%02X.%02X.%02X.%02X.%02X", b[3], b[2], b[1], b[0], b[4]);
        return;
    }
    tlv_ascii(out, out_len, e, t); /* NVSwitch: ASCII "96.10.73.00.01" */
}

void vt__nvgpu_driver_string(char *out, size_t out_len, const vt__nvgpu_evidence *e)
{
    const vt__nvgpu_tlv *t = vt__nvgpu_tlv_find(e, NVGPU_TLV_DRIVER_VERSION);

    out[0] = '\0';
    if (t != NULL)
        tlv_ascii(out, out_len, e, t);
}
