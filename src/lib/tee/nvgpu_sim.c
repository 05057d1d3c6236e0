/*
 * NVIDIA GPU simulator: SPDM 1.1 GET_MEASUREMENTS evidence as the driver
 * returns it (docs/formats/nvgpu.md), under the simulation root:
 *
 *   veritee Simulation Root CA  ->  veritee Simulation GH100 BROM (P-384, CA)
 *                               ->  veritee Simulation GH100 FMC LF (P-384, leaf)
 *
 * The leaf carries the TCG DICE TcbInfo extension with the FWID that the
 * opaque data repeats, as NVIDIA's do; the BROM certificate stands for the
 * device identity an OCSP responder answers about.  Keys are fresh per call
 * and wiped.  The verifier accepts it only with trust_sim, never as hardware.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tee/nvgpu_spdm.h"
#include "tee/sim_root.h"
#include "veritee/sim.h"

#define SIM_DAY 86400
#define SIM_BLOCKS 16u
#define SIM_DICE_TCBINFO_OID "2.23.133.5.4.1"
#define SIM_BROM_CN "veritee Simulation GH100 BROM"
#define SIM_LEAF_CN "veritee Simulation GH100 FMC LF"
#define SIM_ORG "veritee simulation (not NVIDIA, not hardware)"

static void put_u16(vt_buf *b, uint16_t v, vt_status *rc)
{
    uint8_t p[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

    if (*rc == VT_OK)
        *rc = vt_buf_append(b, p, 2, NULL);
}

static void put(vt_buf *b, const void *p, size_t n, vt_status *rc)
{
    if (*rc == VT_OK)
        *rc = vt_buf_append(b, p, n, NULL);
}

static void tlv(vt_buf *b, uint16_t type, const void *p, size_t n, vt_status *rc)
{
    put_u16(b, type, rc);
    put_u16(b, (uint16_t)n, rc);
    put(b, p, n, rc);
}

/* TcbInfo ::= SEQUENCE { fwids [6] IMPLICIT SEQUENCE OF SEQUENCE { hashAlg OID sha384, digest OCTET STRING } } */
static void dice_tcbinfo(uint8_t out[67], const uint8_t fwid[NVGPU_FWID_LEN])
{
    static const uint8_t head[] = { 0x30, 0x41, 0xa6, 0x3f, 0x30, 0x3d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x02, 0x04, 0x30 };

    memcpy(out, head, sizeof(head));
    memcpy(out + sizeof(head), fwid, NVGPU_FWID_LEN);
}

static vt_status sim_certs(vt_x509 **brom, vt_x509 **leaf, vt_pkey **leaf_key, const vt__sim_ca *ca,
                           const uint8_t fwid[NVGPU_FWID_LEN], vt_time now, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    uint8_t tcb[19 + NVGPU_FWID_LEN];
    vt_x509_ext_spec ext = { SIM_DICE_TCBINFO_OID, tcb, sizeof(tcb), false };
    vt_x509_spec spec;
    vt_pkey *bk = NULL, *lk = NULL;

    *brom = NULL;
    *leaf = NULL;
    *leaf_key = NULL;
    dice_tcbinfo(tcb, fwid);
    memset(&spec, 0, sizeof(spec));
    spec.subject_cn = SIM_BROM_CN;
    spec.subject_o = SIM_ORG;
    spec.not_before = now - SIM_DAY;
    spec.not_after = now + 3650 * (vt_time)SIM_DAY;
    spec.ca = true;
    spec.pathlen = 0;
    rc = vt__sim_random_serial(&spec.serial, err);
    if (rc == VT_OK)
        rc = vt_pkey_generate(&bk, VT_KEY_EC_P384, err);
    if (rc == VT_OK)
        rc = vt_x509_issue(brom, &spec, bk, ca->root, ca->root_key, err);
    if (rc != VT_OK)
        goto out;
    spec.subject_cn = SIM_LEAF_CN;
    spec.ca = false;
    spec.pathlen = -1;
    spec.exts = &ext;
    spec.ext_count = 1;
    rc = vt__sim_random_serial(&spec.serial, err);
    if (rc == VT_OK)
        rc = vt_pkey_generate(&lk, VT_KEY_EC_P384, err);
    if (rc == VT_OK)
        rc = vt_x509_issue(leaf, &spec, lk, *brom, bk, err);
    if (rc != VT_OK)
        goto out;
    *leaf_key = lk;
    lk = NULL;
out:
    if (rc != VT_OK) {
        vt_x509_free(*brom);
        vt_x509_free(*leaf);
        *brom = NULL;
        *leaf = NULL;
    }
    vt_pkey_free(bk); /* the BROM key signs one leaf, then is gone */
    vt_pkey_free(lk);
    return rc;
}

/* Request || response up to the signature. */
static vt_status sim_body(vt_buf *b, const vt_sim_nvgpu_opts *o, const uint8_t fwid[NVGPU_FWID_LEN], vt_err *err)
{
    static const char mtag[] = "veritee/sim/nvgpu/measurement";
    static const uint8_t vbios[8] = { 0x00, 0x5e, 0x00, 0x96, 0x01, 0x00, 0x00, 0x00 }; /* 96.00.5E.00.01 */
    const char *drv = o->driver_version != NULL ? o->driver_version : "570.00";
    uint8_t req_head[4] = { NVGPU_SPDM_VERSION, NVGPU_CODE_GET_MEASUREMENTS, NVGPU_REQ_SIGNATURE, 0xff };
    uint8_t rsp_head[8] = { NVGPU_SPDM_VERSION, NVGPU_CODE_MEASUREMENTS, 0, 0, SIM_BLOCKS, 0, 0, 0 };
    uint8_t slot = 0, rnonce[NVGPU_NONCE_LEN];
    size_t rec_len = SIM_BLOCKS * (4u + 3u + 48u);
    vt_buf op;
    vt_status rc = VT_OK;

    if (strlen(drv) == 0 || strlen(drv) > 32)
        return vt_err_set(err, VT_E_ARG, "sim: nvgpu driver version must be 1..32 characters");
    vt_buf_init(&op);
    rsp_head[5] = (uint8_t)rec_len;
    rsp_head[6] = (uint8_t)(rec_len >> 8);
    put(b, req_head, sizeof(req_head), &rc);
    put(b, o->nonce, sizeof(o->nonce), &rc);
    put(b, &slot, 1, &rc);
    put(b, rsp_head, sizeof(rsp_head), &rc);
    for (unsigned i = 1; rc == VT_OK && i <= SIM_BLOCKS; i++) {
        uint8_t h[48], blk[7] = { (uint8_t)i, 0x01, 3 + 48, 0, 0x01, 48, 0 };
        const void *parts[2] = { mtag, &blk[0] };
        vt_digest_ctx *d = NULL;

        rc = vt_digest_ctx_new(&d, VT_MD_SHA384, err);
        if (rc == VT_OK)
            rc = vt_digest_ctx_update(d, parts[0], sizeof(mtag) - 1, err);
        if (rc == VT_OK)
            rc = vt_digest_ctx_update(d, parts[1], 1, err);
        if (rc == VT_OK)
            rc = vt_digest_ctx_final(d, h, err);
        vt_digest_ctx_free(d);
        put(b, blk, sizeof(blk), &rc);
        put(b, h, sizeof(h), &rc);
    }
    if (rc == VT_OK)
        rc = vt_random(rnonce, sizeof(rnonce), err);
    put(b, rnonce, sizeof(rnonce), &rc);
    tlv(&op, NVGPU_TLV_DRIVER_VERSION, drv, strlen(drv) + 1, &rc);
    tlv(&op, NVGPU_TLV_VBIOS_VERSION, vbios, sizeof(vbios), &rc);
    tlv(&op, 15, "882", 4, &rc);  /* chip SKU */
    tlv(&op, 17, "5555", 5, &rc); /* project: not a real NVIDIA board */
    tlv(&op, 18, "0000", 5, &rc); /* project SKU */
    tlv(&op, NVGPU_TLV_FWID, fwid, NVGPU_FWID_LEN, &rc);
    put_u16(b, (uint16_t)op.len, &rc);
    put(b, op.data, op.len, &rc);
    vt_buf_free(&op);
    if (rc != VT_OK && err != NULL && err->code == VT_OK)
        vt_err_set(err, rc, "sim: nvgpu: cannot build the evidence");
    return rc;
}

/* The simulated golden values: every measurement of the evidence, as a veritee-nvgpu-ref-v1 file. */
static vt_status add_reference(vt_collateral *c, const uint8_t *ev, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__nvgpu_evidence *e = calloc(1, sizeof(*e));
    vt_buf j;
    char hex[2 * NVGPU_MEAS_VALUE_MAX + 1], line[2 * NVGPU_MEAS_VALUE_MAX + 32];

    vt_buf_init(&j);
    if (e == NULL)
        return vt_err_set(err, VT_E_NOMEM, "sim: out of memory");
    rc = vt__nvgpu_parse(e, ev, len, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(&j, "{\"format\": \"veritee-nvgpu-ref-v1\", \"source\": \"veritee simulation\", "
                                   "\"measurements\": {", err);
    for (unsigned i = 0; rc == VT_OK && i < e->block_count; i++) {
        vt_hex_encode(hex, e->meas[i].value, e->meas[i].len);
        snprintf(line, sizeof(line), "%s\"%u\": \"%s\"", i > 0 ? ", " : "", e->meas[i].index - 1u, hex);
        rc = vt_buf_append_str(&j, line, err);
    }
    if (rc == VT_OK)
        rc = vt_buf_append_str(&j, "}}\n", err);
    if (rc == VT_OK)
        rc = vt_collateral_add(c, "reference.json", j.data, j.len, err);
    vt_buf_free(&j);
    free(e);
    return rc;
}

static vt_status add_chain(vt_collateral *c, vt_x509 *const *certs, size_t n, vt_err *err)
{
    vt_status rc = VT_OK;
    vt_buf b;

    vt_buf_init(&b);
    for (size_t i = 0; i < n && rc == VT_OK; i++)
        rc = vt_x509_to_pem(&b, certs[i], err);
    if (rc == VT_OK)
        rc = vt_collateral_add(c, "certchain.pem", b.data, b.len, err);
    vt_buf_free(&b);
    return rc;
}

vt_status vt_sim_nvgpu(vt_buf *evidence_out, vt_collateral *coll_out, const vt_sim_nvgpu_opts *opts, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__sim_ca ca;
    vt_x509 *brom = NULL, *leaf = NULL;
    vt_pkey *leaf_key = NULL;
    uint8_t fwid[NVGPU_FWID_LEN];
    vt_buf ev, sig;

    memset(&ca, 0, sizeof(ca));
    vt_buf_init(&ev);
    vt_buf_init(&sig);
    if (evidence_out == NULL || opts == NULL)
        return vt_err_set(err, VT_E_ARG, "sim: evidence_out and opts are required");
    rc = vt__sim_ca_load(&ca, opts->state_dir, err);
    if (rc == VT_OK)
        rc = vt_random(fwid, sizeof(fwid), err);
    if (rc == VT_OK)
        rc = sim_certs(&brom, &leaf, &leaf_key, &ca, fwid, opts->now, err);
    if (rc == VT_OK)
        rc = sim_body(&ev, opts, fwid, err);
    if (rc == VT_OK)
        rc = vt_ecdsa_sign_raw(&sig, leaf_key, VT_MD_SHA384, ev.data, ev.len, err);
    if (rc == VT_OK && sig.len != NVGPU_SIG_LEN)
        rc = vt_err_set(err, VT_E_INTERNAL, "sim: P-384 signature is %zu bytes, not %u", sig.len, NVGPU_SIG_LEN);
    if (rc == VT_OK)
        rc = vt_buf_append(&ev, sig.data, sig.len, err);
    if (rc == VT_OK && coll_out != NULL) {
        vt_x509 *chain[3] = { leaf, brom, ca.root };
        rc = add_chain(coll_out, chain, 3, err);
        if (rc == VT_OK)
            rc = add_reference(coll_out, ev.data, ev.len, err);
    }
    if (rc == VT_OK)
        rc = vt_buf_append(evidence_out, ev.data, ev.len, err);
    vt_buf_free(&ev);
    vt_buf_free(&sig);
    vt_x509_free(brom);
    vt_x509_free(leaf);
    vt_pkey_free(leaf_key); /* one report per key */
    vt__sim_ca_clear(&ca);
    return rc;
}
