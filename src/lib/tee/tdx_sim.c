/*
 * TDX simulator: quotes in the real v4 / v5 (body type 3) layout of
 * tdx_format.h, and collateral in Intel PCS formats, all signed under the
 * simulation CA of sim_root.c.  The verifier in tdx.c reads them with the
 * same code as Intel quotes; only the root differs, and it is trusted only
 * with vt_verify_opts.trust_sim.
 *
 * The simulated platform (documented in docs, fixed so that collateral and
 * quotes made at different times agree):
 *   FMSPC 00ee00000000, PCE-ID 0000, SGX TCB components 03 03 02 02 04 01 00 05
 *   (rest 0), PCESVN 13, TEE_TCB_SVN 03 01 02 (TDX module 1.x, SVN 3),
 *   TD QE ISVPRODID 2, ISVSVN 4, MRSIGNER = SHA-256("veritee simulation TD QE signer").
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tee/sim_root.h"
#include "tee/tdx_format.h"
#include "veritee/crypto.h"
#include "veritee/sim.h"

#define SIM_DAY 86400
#define SIM_PCK_YEARS 7
#define SIM_TCB_EVAL_NUM 17
#define SIM_PCESVN 13
#define SIM_QE_ISVPRODID 2
#define SIM_QE_ISVSVN 4
#define SIM_FMSPC_HEX "00ee00000000"
#define SIM_PCEID_HEX "0000"
#define SIM_ADVISORY_A "INTEL-SA-00000"
#define SIM_ADVISORY_B "INTEL-SA-00001"
#define SIM_DATE_CURRENT "2024-11-13T00:00:00Z"
#define SIM_DATE_OLDER "2024-03-13T00:00:00Z"

static const uint8_t SIM_FMSPC[6] = { 0x00, 0xee, 0x00, 0x00, 0x00, 0x00 };
static const uint8_t SIM_PCEID[2] = { 0x00, 0x00 };
static const uint8_t SIM_SGX_SVN[16] = { 3, 3, 2, 2, 4, 1, 0, 5 };
static const uint8_t SIM_TEE_TCB_SVN[16] = { 3, 1, 2 };
/* QE: MISCSELECT 0; ATTRIBUTES INIT|PROVISIONKEY|MODE64BIT with XFRM 0xe7 (as Intel's TD QE). */
static const uint8_t SIM_QE_ATTRIBUTES[16] = { 0x15, 0, 0, 0, 0, 0, 0, 0, 0xe7 };
#define SIM_QE_ATTRIBUTES_HEX "11000000000000000000000000000000"
#define SIM_QE_ATTRIBUTES_MASK_HEX "FBFFFFFFFFFFFFFF0000000000000000"
static const uint8_t SIM_XFAM[8] = { 0xe7, 0x1a, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00 };

/* One platform TCB level of the simulated TCB Info. */
typedef struct sim_level {
    uint8_t sgx[16];
    int pcesvn;
    uint8_t tdx[16];
    const char *date;
    const char *status;
    bool advisories;
} sim_level;

/* The platform's own level, and levels above and below it. */
static const sim_level LEVEL_ABOVE = { { 4, 4, 3, 3, 5, 2, 0, 6 }, SIM_PCESVN + 1, { 4, 0, 3 }, SIM_DATE_CURRENT,
                                       "UpToDate", false };
static const sim_level LEVEL_PLATFORM_CURRENT = { { 3, 3, 2, 2, 4, 1, 0, 5 }, SIM_PCESVN, { 3, 0, 2 },
                                                  SIM_DATE_CURRENT, "UpToDate", false };
static const sim_level LEVEL_PLATFORM_OLD = { { 3, 3, 2, 2, 4, 1, 0, 5 }, SIM_PCESVN, { 3, 0, 2 },
                                              SIM_DATE_OLDER, "OutOfDate", true };
static const sim_level LEVEL_BELOW = { { 2, 2, 2, 2, 3, 1, 0, 5 }, SIM_PCESVN - 2, { 2, 0, 1 }, SIM_DATE_OLDER,
                                       "OutOfDate", true };

/* Categories/types Intel names for some TCB components (others carry only "svn"). */
static const char *const SGX_COMP_CAT[16][2] = {
    { "BIOS", "Early Microcode Update" }, { "OS/VMM", "SGX Late Microcode Update" }, { "OS/VMM", "TXT SINIT" },
    { "BIOS", NULL }, { "BIOS", NULL }, { "BIOS", NULL }, { NULL, NULL }, { "OS/VMM", "SEAMLDR ACM" },
};
static const char *const TDX_COMP_CAT[16][2] = {
    { "OS/VMM", "TDX Module" }, { "OS/VMM", "TDX Module" }, { "OS/VMM", "TDX Late Microcode Update" },
};

/* ---------------------------------------------------------------------------
 * A little DER writer for the SGX extension.
 */

/* Appends tag, length and value. */
static vt_status der_tlv(vt_buf *out, uint8_t tag, const uint8_t *v, size_t len, vt_err *err)
{
    uint8_t hdr[4];
    size_t n = 0;
    vt_status rc;

    hdr[n++] = tag;
    if (len < 0x80) {
        hdr[n++] = (uint8_t)len;
    } else if (len <= 0xff) {
        hdr[n++] = 0x81;
        hdr[n++] = (uint8_t)len;
    } else if (len <= 0xffff) {
        hdr[n++] = 0x82;
        hdr[n++] = (uint8_t)(len >> 8);
        hdr[n++] = (uint8_t)len;
    } else {
        return vt_err_set(err, VT_E_INTERNAL, "tdx sim: DER value of %zu bytes is too long", len);
    }
    rc = vt_buf_append(out, hdr, n, err);
    if (rc == VT_OK && len > 0)
        rc = vt_buf_append(out, v, len, err);
    return rc;
}

/* OID 1.2.840.113741.1.13.1 followed by the small arcs a[0..n). */
static vt_status der_sgx_oid(vt_buf *out, const uint8_t *arcs, size_t n, vt_err *err)
{
    static const uint8_t base[] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01 };
    uint8_t v[sizeof(base) + 4];

    if (n > 4)
        return vt_err_set(err, VT_E_INTERNAL, "tdx sim: OID too deep");
    memcpy(v, base, sizeof(base));
    memcpy(v + sizeof(base), arcs, n); /* every arc is < 128: one byte each */
    return der_tlv(out, 0x06, v, sizeof(base) + n, err);
}

/* Minimal two's-complement encoding of a small non-negative INTEGER / ENUMERATED. */
static vt_status der_uint(vt_buf *out, uint8_t tag, unsigned v, vt_err *err)
{
    uint8_t b[3];
    size_t n;

    b[0] = 0;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)v;
    if (v < 0x80)
        n = 1;
    else if (v < 0x8000)
        n = 2;
    else
        n = 3;
    return der_tlv(out, tag, b + 3 - n, n, err);
}

/* SEQUENCE { OID <arcs>, <value TLV> } appended to out. */
static vt_status der_item(vt_buf *out, const uint8_t *arcs, size_t n, const vt_buf *value_tlv, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf s = { 0 };

    rc = der_sgx_oid(&s, arcs, n, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&s, value_tlv->data, value_tlv->len, err);
    if (rc == VT_OK)
        rc = der_tlv(out, 0x30, s.data, s.len, err);
    vt_buf_free(&s);
    return rc;
}

static vt_status der_item_octets(vt_buf *out, const uint8_t *arcs, size_t n, const uint8_t *v, size_t len,
                                 vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf t = { 0 };

    rc = der_tlv(&t, 0x04, v, len, err);
    if (rc == VT_OK)
        rc = der_item(out, arcs, n, &t, err);
    vt_buf_free(&t);
    return rc;
}

static vt_status der_item_uint(vt_buf *out, const uint8_t *arcs, size_t n, uint8_t tag, unsigned v, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf t = { 0 };

    rc = der_uint(&t, tag, v, err);
    if (rc == VT_OK)
        rc = der_item(out, arcs, n, &t, err);
    vt_buf_free(&t);
    return rc;
}

/*
 * The SGX Extensions value, in Intel's structure for a PCK issued by the
 * Platform CA: PPID, TCB (16 component SVNs, PCESVN, CPUSVN), PCE-ID, FMSPC,
 * SGX type (1 = scalable), platform instance id, configuration.
 */
static vt_status sim_sgx_ext(vt_buf *der, const uint8_t ppid[16], const uint8_t instance[16], vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf items = { 0 }, tcb = { 0 }, conf = { 0 }, t = { 0 };
    uint8_t arcs[3];

    arcs[0] = 1;
    rc = der_item_octets(&items, arcs, 1, ppid, 16, err);

    arcs[0] = 2;
    for (unsigned i = 1; rc == VT_OK && i <= 16; i++) {
        arcs[1] = (uint8_t)i;
        rc = der_item_uint(&tcb, arcs, 2, 0x02, SIM_SGX_SVN[i - 1], err);
    }
    arcs[1] = 17;
    if (rc == VT_OK)
        rc = der_item_uint(&tcb, arcs, 2, 0x02, SIM_PCESVN, err);
    arcs[1] = 18;
    if (rc == VT_OK)
        rc = der_item_octets(&tcb, arcs, 2, SIM_SGX_SVN, 16, err); /* CPUSVN */
    if (rc == VT_OK)
        rc = der_tlv(&t, 0x30, tcb.data, tcb.len, err);
    if (rc == VT_OK)
        rc = der_item(&items, arcs, 1, &t, err);

    arcs[0] = 3;
    if (rc == VT_OK)
        rc = der_item_octets(&items, arcs, 1, SIM_PCEID, sizeof(SIM_PCEID), err);
    arcs[0] = 4;
    if (rc == VT_OK)
        rc = der_item_octets(&items, arcs, 1, SIM_FMSPC, sizeof(SIM_FMSPC), err);
    arcs[0] = 5;
    if (rc == VT_OK)
        rc = der_item_uint(&items, arcs, 1, 0x0a, 1, err); /* ENUMERATED scalable */
    arcs[0] = 6;
    if (rc == VT_OK)
        rc = der_item_octets(&items, arcs, 1, instance, 16, err);

    /* .7 configuration: dynamicPlatform, cachedKeys, smtEnabled (all TRUE). */
    arcs[0] = 7;
    for (unsigned i = 1; rc == VT_OK && i <= 3; i++) {
        static const uint8_t yes[1] = { 0xff };
        vt_buf b = { 0 };
        arcs[1] = (uint8_t)i;
        rc = der_tlv(&b, 0x01, yes, 1, err);
        if (rc == VT_OK)
            rc = der_item(&conf, arcs, 2, &b, err);
        vt_buf_free(&b);
    }
    t.len = 0;
    if (rc == VT_OK)
        rc = der_tlv(&t, 0x30, conf.data, conf.len, err);
    if (rc == VT_OK)
        rc = der_item(&items, arcs, 1, &t, err);

    if (rc == VT_OK)
        rc = der_tlv(der, 0x30, items.data, items.len, err);
    vt_buf_free(&items);
    vt_buf_free(&tcb);
    vt_buf_free(&conf);
    vt_buf_free(&t);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Deterministic values.
 */

/* SHA-256 or SHA-384 of a label, truncated/copied into out[len]. */
static vt_status sim_derive(uint8_t *out, size_t len, vt_md md, const char *label, vt_err *err)
{
    uint8_t d[VT_MD_MAX];
    vt_status rc = vt_digest(md, label, strlen(label), d, err);

    if (rc == VT_OK)
        memcpy(out, d, len);
    return rc;
}

static void put_u16le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* ---------------------------------------------------------------------------
 * PCK leaf.
 */

static vt_status sim_pck_issue(vt_x509 **leaf, vt_pkey **leaf_key, uint64_t *serial, const vt__sim_ca *ca,
                               vt_time now, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf ext = { 0 };
    vt_pkey *k = NULL;
    uint8_t ppid[16], instance[16];
    vt_x509_ext_spec es;
    vt_x509_spec spec;

    *leaf = NULL;
    *leaf_key = NULL;
    memset(&spec, 0, sizeof(spec));
    rc = sim_derive(ppid, sizeof(ppid), VT_MD_SHA256, "veritee simulation PPID", err);
    if (rc == VT_OK)
        rc = sim_derive(instance, sizeof(instance), VT_MD_SHA256, "veritee simulation platform instance", err);
    if (rc == VT_OK)
        rc = sim_sgx_ext(&ext, ppid, instance, err);
    if (rc == VT_OK)
        rc = vt__sim_random_serial(&spec.serial, err);
    if (rc == VT_OK)
        rc = vt_pkey_generate(&k, VT_KEY_EC_P256, err);
    if (rc != VT_OK)
        goto out;
    es.oid = SGX_EXT_OID;
    es.der = ext.data;
    es.len = ext.len;
    es.critical = false;
    spec.subject_cn = VT_SIM_PCK_CN;
    spec.subject_o = VT_SIM_ORG;
    spec.not_before = now - SIM_DAY;
    spec.not_after = now + (vt_time)SIM_PCK_YEARS * 365 * SIM_DAY;
    spec.exts = &es;
    spec.ext_count = 1;
    rc = vt_x509_issue(leaf, &spec, k, ca->pck_ca, ca->pck_ca_key, err);
    if (rc != VT_OK)
        goto out;
    *serial = spec.serial;
    *leaf_key = k;
    k = NULL;
out:
    vt_pkey_free(k);
    vt_buf_free(&ext);
    return rc;
}

/* leaf ‖ next ‖ ... as PEM. */
static vt_status sim_pem_chain(vt_buf *out, const vt_x509 *const *certs, size_t n, vt_err *err)
{
    vt_status rc = VT_OK;

    for (size_t i = 0; rc == VT_OK && i < n; i++)
        rc = vt_x509_to_pem(out, certs[i], err);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Quote.
 */

static vt_status sim_td_body(uint8_t *body, size_t body_len, const vt_sim_tdx_opts *opts, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    uint32_t attr = TDX_TD_ATTR_SEPT_VE_DISABLE | (opts->debug ? TDX_TD_ATTR_DEBUG : 0);
    char label[48];

    memset(body, 0, body_len);
    memcpy(body + TDX_B_TEE_TCB_SVN, SIM_TEE_TCB_SVN, 16);
    rc = sim_derive(body + TDX_B_MRSEAM, 48, VT_MD_SHA384, "veritee simulation MRSEAM", err);
    /* MRSIGNERSEAM and SEAM_ATTRIBUTES stay zero: an Intel-signed TDX module. */
    if (opts->td_attributes_set) {
        for (int i = 0; i < 8; i++)
            body[TDX_B_TD_ATTRIBUTES + i] = (uint8_t)(opts->td_attributes >> (8 * i));
    } else {
        put_u32le(body + TDX_B_TD_ATTRIBUTES, attr);
    }
    memcpy(body + TDX_B_XFAM, SIM_XFAM, sizeof(SIM_XFAM));
    if (rc == VT_OK)
        rc = sim_derive(body + TDX_B_MRTD, 48, VT_MD_SHA384, "veritee simulation MRTD", err);
    /* MRCONFIGID, MROWNER, MROWNERCONFIG: zero, as in most deployments. */
    for (int i = 0; rc == VT_OK && i < 4; i++) {
        (void)snprintf(label, sizeof(label), "veritee simulation RTMR%d", i);
        rc = sim_derive(body + TDX_B_RTMR0 + 48 * (size_t)i, 48, VT_MD_SHA384, label, err);
    }
    if (opts->rtmr3 != NULL) /* the runtime register a measurement log extended */
        memcpy(body + TDX_B_RTMR0 + 48 * 3, opts->rtmr3, 48);
    memcpy(body + TDX_B_REPORTDATA, opts->report_data, VT_REPORT_DATA_LEN);
    if (body_len == TDX_BODY15_LEN)
        memcpy(body + TDX_B_TEE_TCB_SVN2, SIM_TEE_TCB_SVN, 16); /* MRSERVICETD stays zero */
    return rc;
}

static vt_status sim_qe_mrsigner(uint8_t out[32], vt_err *err)
{
    return sim_derive(out, 32, VT_MD_SHA256, "veritee simulation TD QE signer", err);
}

/* The QE's SGX report body, its REPORTDATA binding the attestation key. */
static vt_status sim_qe_report(uint8_t rep[TDX_QE_REPORT_LEN], const uint8_t att_key[TDX_ATT_KEY_LEN],
                               const uint8_t *auth, size_t auth_len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const void *parts[2] = { att_key, auth };
    size_t lens[2] = { TDX_ATT_KEY_LEN, auth_len };

    memset(rep, 0, TDX_QE_REPORT_LEN);
    memcpy(rep + SGX_R_CPUSVN, SIM_SGX_SVN, 16);
    put_u32le(rep + SGX_R_MISCSELECT, 0);
    memcpy(rep + SGX_R_ATTRIBUTES, SIM_QE_ATTRIBUTES, 16);
    rc = sim_derive(rep + SGX_R_MRENCLAVE, 32, VT_MD_SHA256, "veritee simulation TD QE enclave", err);
    if (rc == VT_OK)
        rc = sim_qe_mrsigner(rep + SGX_R_MRSIGNER, err);
    put_u16le(rep + SGX_R_ISVPRODID, SIM_QE_ISVPRODID);
    put_u16le(rep + SGX_R_ISVSVN, SIM_QE_ISVSVN);
    if (rc == VT_OK)
        rc = vt_digestv(VT_MD_SHA256, parts, lens, 2, rep + SGX_R_REPORTDATA, err); /* [32..64) stay zero */
    return rc;
}

/*
 * Certification data type 6 onto cd: QE report ‖ its signature by the PCK leaf ‖ auth data ‖
 * type 5 PCK chain.  The QE reports its attestation key (att, raw) once, when the key is
 * certified, so on one machine these bytes are the same in every quote.
 */
static vt_status sim_cert_data(vt_buf *cd, const vt__sim_ca *ca, const vt_x509 *leaf, const vt_pkey *leaf_key,
                               const uint8_t *att, vt_err *err)
{
    vt_status rc;
    vt_buf qsig = { 0 }, pem = { 0 };
    uint8_t rep[TDX_QE_REPORT_LEN], auth[TDX_QE_AUTH_DATA_LEN];
    const vt_x509 *chain[3] = { leaf, ca->pck_ca, ca->root };
    static const uint8_t nul = 0;

    for (size_t i = 0; i < sizeof(auth); i++)
        auth[i] = (uint8_t)i; /* Intel's QE sends 00 01 .. 1f */
    rc = sim_qe_report(rep, att, auth, sizeof(auth), err);
    if (rc == VT_OK)
        rc = vt_ecdsa_sign_raw(&qsig, leaf_key, VT_MD_SHA256, rep, sizeof(rep), err);
    if (rc == VT_OK)
        rc = sim_pem_chain(&pem, chain, 3, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&pem, &nul, 1, err); /* real quotes end the chain with a NUL */
    if (rc == VT_OK && qsig.len != TDX_QE_REPORT_SIG_LEN)
        rc = vt_err_set(err, VT_E_INTERNAL, "tdx sim: signature is not 64 bytes");
    if (rc == VT_OK)
        rc = vt_buf_append(cd, rep, sizeof(rep), err);
    if (rc == VT_OK)
        rc = vt_buf_append(cd, qsig.data, qsig.len, err);
    if (rc == VT_OK)
        rc = vt_buf_append_u16le(cd, (uint16_t)sizeof(auth), err);
    if (rc == VT_OK)
        rc = vt_buf_append(cd, auth, sizeof(auth), err);
    if (rc == VT_OK)
        rc = vt_buf_append_u16le(cd, TDX_CERT_PCK_CHAIN, err);
    if (rc == VT_OK)
        rc = vt_buf_append_u32le(cd, (uint32_t)pem.len, err);
    if (rc == VT_OK)
        rc = vt_buf_append(cd, pem.data, pem.len, err);
    vt_buf_free(&qsig);
    vt_buf_free(&pem);
    return rc;
}

static vt_status sim_machine_cert_data(vt_buf *cd, const vt_sim_tdx_opts *opts, const vt__sim_ca *ca,
                                       const vt_x509 *leaf, const vt_pkey *leaf_key, const uint8_t *att,
                                       vt_err *err);

static vt_status sim_quote(vt_buf *out, const vt_sim_tdx_opts *opts, const vt__sim_ca *ca, const vt_x509 *leaf,
                           const vt_pkey *leaf_key, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf q = { 0 }, sig = { 0 }, att = { 0 }, cd = { 0 };
    uint8_t hdr[TDX_HEADER_LEN], body[TDX_BODY15_LEN];
    uint8_t bt[6], qeid[32];
    size_t body_len = opts->version == 5 ? TDX_BODY15_LEN : TDX_BODY10_LEN;

    rc = vt_pkey_public_raw(&att, ca->qe_key, err);
    if (rc == VT_OK && att.len != TDX_ATT_KEY_LEN)
        rc = vt_err_set(err, VT_E_INTERNAL, "tdx sim: attestation key has %zu raw bytes", att.len);
    if (rc == VT_OK)
        rc = vt_digest(VT_MD_SHA256, att.data, att.len, qeid, err);
    if (rc != VT_OK)
        goto out;

    /* Header: version, key type, TEE type, 4 reserved, vendor, user data (QE id ‖ 0000). */
    memset(hdr, 0, sizeof(hdr));
    put_u16le(hdr + 0, (uint16_t)opts->version);
    put_u16le(hdr + 2, TDX_ATT_KEY_ECDSA_P256);
    put_u32le(hdr + 4, TDX_TEE_TYPE);
    memcpy(hdr + 12, TDX_QE_VENDOR_INTEL, 16);
    memcpy(hdr + 28, qeid, 16);
    rc = sim_td_body(body, body_len, opts, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&q, hdr, sizeof(hdr), err);
    if (rc == VT_OK && opts->version == 5) {
        put_u16le(bt, TDX_V5_BODY_TDX15);
        put_u32le(bt + 2, (uint32_t)body_len);
        rc = vt_buf_append(&q, bt, sizeof(bt), err);
    }
    if (rc == VT_OK)
        rc = vt_buf_append(&q, body, body_len, err);
    /* Quote signature over everything so far. */
    if (rc == VT_OK)
        rc = vt_ecdsa_sign_raw(&sig, ca->qe_key, VT_MD_SHA256, q.data, q.len, err);
    if (rc == VT_OK && sig.len != TDX_SIG_LEN)
        rc = vt_err_set(err, VT_E_INTERNAL, "tdx sim: signature is not 64 bytes");
    if (rc == VT_OK)
        rc = sim_machine_cert_data(&cd, opts, ca, leaf, leaf_key, att.data, err);
    /* Signature data: sig ‖ attestation key ‖ type 6 ‖ size ‖ certification data. */
    if (rc == VT_OK)
        rc = vt_buf_append_u32le(&q, (uint32_t)(TDX_SIG_LEN + TDX_ATT_KEY_LEN + 6 + cd.len), err);
    if (rc == VT_OK)
        rc = vt_buf_append(&q, sig.data, sig.len, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&q, att.data, att.len, err);
    if (rc == VT_OK)
        rc = vt_buf_append_u16le(&q, TDX_CERT_QE_REPORT, err);
    if (rc == VT_OK)
        rc = vt_buf_append_u32le(&q, (uint32_t)cd.len, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&q, cd.data, cd.len, err);
    if (rc == VT_OK && q.len > TDX_QUOTE_MAX)
        rc = vt_err_set(err, VT_E_INTERNAL, "tdx sim: quote of %zu bytes is over the limit", q.len);
    if (rc == VT_OK)
        rc = vt_buf_append(out, q.data, q.len, err);
out:
    vt_buf_free(&q);
    vt_buf_free(&sig);
    vt_buf_free(&att);
    vt_buf_free(&cd);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Collateral in Intel PCS formats.
 */

static void hex_upper(char *out, const uint8_t *in, size_t len)
{
    static const char digits[] = "0123456789ABCDEF";

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0xf];
    }
    out[2 * len] = '\0';
}

/* json_object_set_new that remembers the first failure. */
static void jset(json_t *o, const char *k, json_t *v, bool *ok)
{
    if (v == NULL || json_object_set_new(o, k, v) != 0)
        *ok = false;
}

static void jappend(json_t *a, json_t *v, bool *ok)
{
    if (v == NULL || json_array_append_new(a, v) != 0)
        *ok = false;
}

static json_t *sim_components(const uint8_t svn[16], const char *const cat[16][2], bool *ok)
{
    json_t *a = json_array();

    if (a == NULL) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < 16; i++) {
        json_t *c = json_object();
        if (c == NULL) {
            *ok = false;
            break;
        }
        jset(c, "svn", json_integer(svn[i]), ok);
        if (cat[i][0] != NULL)
            jset(c, "category", json_string(cat[i][0]), ok);
        if (cat[i][1] != NULL)
            jset(c, "type", json_string(cat[i][1]), ok);
        jappend(a, c, ok);
    }
    return a;
}

static json_t *sim_advisories(bool *ok)
{
    json_t *a = json_array();

    if (a == NULL) {
        *ok = false;
        return NULL;
    }
    jappend(a, json_string(SIM_ADVISORY_A), ok);
    jappend(a, json_string(SIM_ADVISORY_B), ok);
    return a;
}

static json_t *sim_tcb_level(const sim_level *l, bool *ok)
{
    json_t *lv = json_object(), *tcb = json_object();

    if (lv == NULL || tcb == NULL) {
        json_decref(lv);
        json_decref(tcb);
        *ok = false;
        return NULL;
    }
    jset(tcb, "sgxtcbcomponents", sim_components(l->sgx, SGX_COMP_CAT, ok), ok);
    jset(tcb, "pcesvn", json_integer(l->pcesvn), ok);
    jset(tcb, "tdxtcbcomponents", sim_components(l->tdx, TDX_COMP_CAT, ok), ok);
    jset(lv, "tcb", tcb, ok);
    jset(lv, "tcbDate", json_string(l->date), ok);
    jset(lv, "tcbStatus", json_string(l->status), ok);
    if (l->advisories)
        jset(lv, "advisoryIDs", sim_advisories(ok), ok);
    return lv;
}

/* {"tcb":{"isvsvn":n},"tcbDate":...,"tcbStatus":...} inside an array. */
static json_t *sim_isv_levels(int isvsvn, const char *date, bool *ok)
{
    json_t *a = json_array(), *lv = json_object(), *tcb = json_object();

    if (a == NULL || lv == NULL || tcb == NULL) {
        json_decref(a);
        json_decref(lv);
        json_decref(tcb);
        *ok = false;
        return NULL;
    }
    jset(tcb, "isvsvn", json_integer(isvsvn), ok);
    jset(lv, "tcb", tcb, ok);
    jset(lv, "tcbDate", json_string(date), ok);
    jset(lv, "tcbStatus", json_string("UpToDate"), ok);
    jappend(a, lv, ok);
    return a;
}

/* The module signer / attributes triple of tdxModule and of each module identity. */
static void sim_module_fields(json_t *o, bool *ok)
{
    char zero48[97];
    static const uint8_t z[48];

    hex_upper(zero48, z, sizeof(z));
    jset(o, "mrsigner", json_string(zero48), ok);
    jset(o, "attributes", json_string("0000000000000000"), ok);
    jset(o, "attributesMask", json_string("FFFFFFFFFFFFFFFF"), ok);
}

static json_int_t sim_eval_num(const vt_sim_tdx_opts *opts)
{
    return opts->tcb_eval_num != 0 ? (json_int_t)opts->tcb_eval_num : SIM_TCB_EVAL_NUM;
}

static json_t *sim_tcb_info(const vt_sim_tdx_opts *opts, bool *ok)
{
    json_t *ti = json_object(), *mod = json_object(), *ids = json_array(), *id = json_object();
    json_t *levels = json_array();
    char issue[32], next[32], mod_id[8];

    if (ti == NULL || mod == NULL || ids == NULL || id == NULL || levels == NULL) {
        json_decref(ti);
        json_decref(mod);
        json_decref(ids);
        json_decref(id);
        json_decref(levels);
        *ok = false;
        return NULL;
    }
    vt_time_format(issue, opts->now - SIM_DAY);
    vt_time_format(next, opts->now + 29 * SIM_DAY);
    (void)snprintf(mod_id, sizeof(mod_id), "TDX_%02x", SIM_TEE_TCB_SVN[1]);

    jset(ti, "id", json_string("TDX"), ok);
    jset(ti, "version", json_integer(3), ok);
    jset(ti, "issueDate", json_string(issue), ok);
    jset(ti, "nextUpdate", json_string(next), ok);
    jset(ti, "fmspc", json_string(SIM_FMSPC_HEX), ok);
    jset(ti, "pceId", json_string(SIM_PCEID_HEX), ok);
    jset(ti, "tcbType", json_integer(0), ok);
    jset(ti, "tcbEvaluationDataNumber", json_integer(sim_eval_num(opts)), ok);
    sim_module_fields(mod, ok);
    jset(ti, "tdxModule", mod, ok);

    jset(id, "id", json_string(mod_id), ok);
    sim_module_fields(id, ok);
    jset(id, "tcbLevels", sim_isv_levels(SIM_TEE_TCB_SVN[0], SIM_DATE_CURRENT, ok), ok);
    jappend(ids, id, ok);
    jset(ti, "tdxModuleIdentities", ids, ok);

    /* Descending: the first level the platform meets decides its status. */
    if (opts->out_of_date) {
        jappend(levels, sim_tcb_level(&LEVEL_ABOVE, ok), ok);
        jappend(levels, sim_tcb_level(&LEVEL_PLATFORM_OLD, ok), ok);
    } else {
        jappend(levels, sim_tcb_level(&LEVEL_PLATFORM_CURRENT, ok), ok);
        jappend(levels, sim_tcb_level(&LEVEL_BELOW, ok), ok);
    }
    jset(ti, "tcbLevels", levels, ok);
    return ti;
}

static json_t *sim_qe_identity(const vt_sim_tdx_opts *opts, const uint8_t mrsigner[32], bool *ok)
{
    json_t *qi = json_object();
    char issue[32], next[32], mrs[65];

    if (qi == NULL) {
        *ok = false;
        return NULL;
    }
    vt_time_format(issue, opts->now - SIM_DAY);
    vt_time_format(next, opts->now + 29 * SIM_DAY);
    hex_upper(mrs, mrsigner, 32);
    jset(qi, "id", json_string("TD_QE"), ok);
    jset(qi, "version", json_integer(2), ok);
    jset(qi, "issueDate", json_string(issue), ok);
    jset(qi, "nextUpdate", json_string(next), ok);
    jset(qi, "tcbEvaluationDataNumber", json_integer(sim_eval_num(opts)), ok);
    jset(qi, "miscselect", json_string("00000000"), ok);
    jset(qi, "miscselectMask", json_string("FFFFFFFF"), ok);
    jset(qi, "attributes", json_string(SIM_QE_ATTRIBUTES_HEX), ok);
    jset(qi, "attributesMask", json_string(SIM_QE_ATTRIBUTES_MASK_HEX), ok);
    jset(qi, "mrsigner", json_string(mrs), ok);
    jset(qi, "isvprodid", json_integer(SIM_QE_ISVPRODID), ok);
    jset(qi, "tcbLevels", sim_isv_levels(SIM_QE_ISVSVN, SIM_DATE_CURRENT, ok), ok);
    return qi;
}

/*
 * {"<key>":<inner>,"signature":"<hex r||s>"}: the inner object is serialized
 * once and those exact bytes are both signed and written, as Intel does.
 */
static vt_status sim_signed_json(vt_buf *out, const char *key, const json_t *inner, const vt_pkey *signer,
                                 vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char *text = NULL, hex[2 * 96 + 1];
    vt_buf sig = { 0 };

    text = json_dumps(inner, JSON_COMPACT);
    if (text == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "tdx sim: cannot serialize %s", key);
        goto out;
    }
    rc = vt_ecdsa_sign_raw(&sig, signer, VT_MD_SHA256, text, strlen(text), err);
    if (rc == VT_OK && sig.len != 64)
        rc = vt_err_set(err, VT_E_INTERNAL, "tdx sim: %s signature is %zu bytes", key, sig.len);
    if (rc != VT_OK)
        goto out;
    vt_hex_encode(hex, sig.data, sig.len);
    rc = vt_buf_append_str(out, "{\"", err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, key, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, "\":", err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, text, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, ",\"signature\":\"", err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, hex, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, "\"}", err);
out:
    free(text);
    vt_buf_free(&sig);
    return rc;
}

/* Every collateral item, in a local container first so coll_out gets all or nothing new. */
static vt_status sim_collateral(vt_collateral *c, const vt_sim_tdx_opts *opts, const vt__sim_ca *ca,
                                uint64_t pck_serial, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf tcb = { 0 }, qe = { 0 }, chain = { 0 }, pck_chain = { 0 }, pck_crl = { 0 }, root_crl = { 0 };
    json_t *ti = NULL, *qi = NULL;
    uint8_t mrsigner[32];
    bool ok = true;
    const vt_x509 *signing[2] = { ca->tcb, ca->root };
    const vt_x509 *crl_issuer[2] = { ca->pck_ca, ca->root };

    rc = sim_qe_mrsigner(mrsigner, err);
    if (rc != VT_OK)
        goto out;
    ti = sim_tcb_info(opts, &ok);
    qi = sim_qe_identity(opts, mrsigner, &ok);
    if (!ok || ti == NULL || qi == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "tdx sim: out of memory building collateral JSON");
        goto out;
    }
    rc = sim_signed_json(&tcb, "tcbInfo", ti, ca->tcb_key, err);
    if (rc == VT_OK)
        rc = sim_signed_json(&qe, "enclaveIdentity", qi, ca->tcb_key, err);
    if (rc == VT_OK)
        rc = sim_pem_chain(&chain, signing, 2, err);
    if (rc == VT_OK)
        rc = vt_collateral_add(c, "tcb_info_" SIM_FMSPC_HEX ".json", tcb.data, tcb.len, err);
    if (rc == VT_OK)
        rc = vt_collateral_add(c, "td_qe_identity.json", qe.data, qe.len, err);
    if (rc == VT_OK)
        rc = vt_collateral_add(c, "tcb_signing_chain.pem", chain.data, chain.len, err);
    if (rc == VT_OK)
        rc = vt_collateral_add(c, "qe_identity_signing_chain.pem", chain.data, chain.len, err);
    if (rc != VT_OK || opts->no_crl)
        goto out;

    rc = vt_crl_issue(&pck_crl, ca->pck_ca, ca->pck_ca_key, &pck_serial, opts->revoked ? 1 : 0,
                      opts->now - SIM_DAY, opts->now + 29 * SIM_DAY, err);
    if (rc == VT_OK)
        rc = vt_crl_issue(&root_crl, ca->root, ca->root_key, NULL, 0, opts->now - SIM_DAY,
                          opts->now + 29 * SIM_DAY, err);
    if (rc == VT_OK)
        rc = sim_pem_chain(&pck_chain, crl_issuer, 2, err);
    if (rc == VT_OK)
        rc = vt_collateral_add(c, "pck_crl_platform.der", pck_crl.data, pck_crl.len, err);
    if (rc == VT_OK)
        rc = vt_collateral_add(c, "pck_crl_issuer_chain.pem", pck_chain.data, pck_chain.len, err);
    if (rc == VT_OK)
        rc = vt_collateral_add(c, "root_ca_crl.der", root_crl.data, root_crl.len, err);
out:
    json_decref(ti);
    json_decref(qi);
    vt_buf_free(&tcb);
    vt_buf_free(&qe);
    vt_buf_free(&chain);
    vt_buf_free(&pck_chain);
    vt_buf_free(&pck_crl);
    vt_buf_free(&root_crl);
    return rc;
}

static vt_status sim_collateral_copy(vt_collateral *dst, const vt_collateral *src, vt_err *err)
{
    vt_status rc = VT_OK;

    for (size_t i = 0; rc == VT_OK && i < vt_collateral_count(src); i++) {
        const char *name = NULL;
        size_t len = 0;
        const uint8_t *p = vt_collateral_get(src, i, &name, &len);
        rc = vt_collateral_add(dst, name, p, len, err);
    }
    return rc;
}

/* ---------------------------------------------------------------------------
 * One simulated machine (opts->same_machine).  A real platform keeps its PCK
 * certificate for years and its FMSPC's collateral changes monthly; a
 * simulator that issued both afresh per quote would make every verification
 * pay the cold path (new leaf, new signed collateral).  The machine is tied to
 * the CA objects it was issued under (held by reference, so a reloaded CA is a
 * new machine) and reused while `now` lies in its certificate's validity; its
 * collateral is reused for an hour of `now` with the same options.
 */
#define SIM_COLL_REUSE_SECS 3600
static pthread_mutex_t machine_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    vt_x509 *pck_ca; /* reference: identifies the CA the machine belongs to */
    vt_x509 *leaf;
    vt_pkey *leaf_key;
    uint64_t serial;
    vt_time not_before, not_after;
    vt_collateral *coll;
    vt_time coll_now;
    bool out_of_date, revoked, no_crl;
    uint32_t tcb_eval_num;
    vt_buf cd;                       /* certification data of cd_leaf and the key cd_att */
    const vt_x509 *cd_leaf;          /* identity only: machine.leaf when cd was made */
    uint8_t cd_att[TDX_ATT_KEY_LEN];
} machine;

static void machine_forget(void)
{
    vt_x509_free(machine.pck_ca);
    vt_x509_free(machine.leaf);
    vt_pkey_free(machine.leaf_key);
    vt_collateral_free(machine.coll);
    vt_buf_free(&machine.cd);
    memset(&machine, 0, sizeof(machine));
}

/* The machine's certification data onto cd: made once per leaf and attestation key, as the
 * QE makes it once when its key is certified (one ECDSA signature and three PEM encodings
 * fewer per quote). */
static vt_status sim_machine_cert_data(vt_buf *cd, const vt_sim_tdx_opts *opts, const vt__sim_ca *ca,
                                       const vt_x509 *leaf, const vt_pkey *leaf_key, const uint8_t *att,
                                       vt_err *err)
{
    vt_buf fresh = { 0 };
    vt_status rc;

    if (!opts->same_machine)
        return sim_cert_data(cd, ca, leaf, leaf_key, att, err);
    pthread_mutex_lock(&machine_lock);
    if (machine.cd.len > 0 && machine.cd_leaf == leaf && machine.leaf == leaf &&
        memcmp(machine.cd_att, att, TDX_ATT_KEY_LEN) == 0) {
        rc = vt_buf_append(cd, machine.cd.data, machine.cd.len, err);
        pthread_mutex_unlock(&machine_lock);
        return rc;
    }
    pthread_mutex_unlock(&machine_lock);
    rc = sim_cert_data(&fresh, ca, leaf, leaf_key, att, err);
    if (rc == VT_OK)
        rc = vt_buf_append(cd, fresh.data, fresh.len, err);
    if (rc == VT_OK) {
        pthread_mutex_lock(&machine_lock);
        if (machine.leaf == leaf) { /* still this machine: keep it for the next quote */
            vt_buf_free(&machine.cd);
            machine.cd = fresh;
            memset(&fresh, 0, sizeof(fresh));
            machine.cd_leaf = leaf;
            memcpy(machine.cd_att, att, TDX_ATT_KEY_LEN);
        }
        pthread_mutex_unlock(&machine_lock);
    }
    vt_buf_free(&fresh);
    return rc;
}

static vt_status sim_machine(vt_x509 **leaf, vt_pkey **leaf_key, uint64_t *serial, const vt__sim_ca *ca,
                             const vt_sim_tdx_opts *opts, vt_err *err)
{
    vt_status rc;

    if (!opts->same_machine)
        return sim_pck_issue(leaf, leaf_key, serial, ca, opts->now, err);
    pthread_mutex_lock(&machine_lock);
    if (machine.leaf == NULL || machine.pck_ca != ca->pck_ca || opts->now < machine.not_before ||
        opts->now > machine.not_after) {
        machine_forget();
        rc = sim_pck_issue(&machine.leaf, &machine.leaf_key, &machine.serial, ca, opts->now, err);
        if (rc != VT_OK) {
            machine_forget();
            pthread_mutex_unlock(&machine_lock);
            return rc;
        }
        machine.pck_ca = vt_x509_ref(ca->pck_ca);
        machine.not_before = opts->now - SIM_DAY;
        machine.not_after = opts->now + (vt_time)SIM_PCK_YEARS * 365 * SIM_DAY;
    }
    *leaf = vt_x509_ref(machine.leaf);
    *leaf_key = vt_pkey_ref(machine.leaf_key);
    *serial = machine.serial;
    pthread_mutex_unlock(&machine_lock);
    return VT_OK;
}

/* The machine's collateral into coll (empty), reusing the last one made for the same machine
 * and options within the hour. */
static vt_status sim_machine_collateral(vt_collateral *coll, const vt_sim_tdx_opts *opts, const vt__sim_ca *ca,
                                        const vt_x509 *leaf, uint64_t serial, vt_err *err)
{
    vt_status rc;
    vt_collateral *fresh = NULL;

    if (!opts->same_machine)
        return sim_collateral(coll, opts, ca, serial, err);
    pthread_mutex_lock(&machine_lock);
    if (machine.coll != NULL && machine.leaf == leaf && machine.out_of_date == opts->out_of_date &&
        machine.revoked == opts->revoked && machine.no_crl == opts->no_crl &&
        machine.tcb_eval_num == opts->tcb_eval_num && opts->now >= machine.coll_now &&
        opts->now - machine.coll_now < SIM_COLL_REUSE_SECS) {
        rc = sim_collateral_copy(coll, machine.coll, err);
        pthread_mutex_unlock(&machine_lock);
        return rc;
    }
    pthread_mutex_unlock(&machine_lock);
    rc = vt_collateral_new(&fresh, err);
    if (rc == VT_OK)
        rc = sim_collateral(fresh, opts, ca, serial, err);
    if (rc == VT_OK)
        rc = sim_collateral_copy(coll, fresh, err);
    if (rc == VT_OK) {
        pthread_mutex_lock(&machine_lock);
        if (machine.leaf == leaf) { /* still this machine: keep it for the next quote */
            vt_collateral_free(machine.coll);
            machine.coll = fresh;
            fresh = NULL;
            machine.coll_now = opts->now;
            machine.out_of_date = opts->out_of_date;
            machine.revoked = opts->revoked;
            machine.no_crl = opts->no_crl;
            machine.tcb_eval_num = opts->tcb_eval_num;
        }
        pthread_mutex_unlock(&machine_lock);
    }
    vt_collateral_free(fresh);
    return rc;
}

vt_status vt_sim_tdx(vt_buf *quote_out, vt_collateral *coll_out, const vt_sim_tdx_opts *opts, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__sim_ca ca;
    vt_x509 *leaf = NULL;
    vt_pkey *leaf_key = NULL;
    vt_collateral *coll = NULL;
    vt_buf q = { 0 };
    uint64_t serial = 0;

    memset(&ca, 0, sizeof(ca));
    if (quote_out == NULL || opts == NULL)
        return vt_err_set(err, VT_E_ARG, "tdx sim: quote_out and opts are required");
    if (opts->version != 4 && opts->version != 5)
        return vt_err_set(err, VT_E_ARG, "tdx sim: version %d is not 4 or 5", opts->version);
    if (opts->now < 2 * SIM_DAY)
        return vt_err_set(err, VT_E_ARG, "tdx sim: now is required");
    if (opts->state_dir == NULL || opts->state_dir[0] == '\0')
        return vt_err_set(err, VT_E_ARG, "tdx sim: state_dir is required");

    rc = vt__sim_ca_load(&ca, opts->state_dir, err);
    if (rc == VT_OK)
        rc = sim_machine(&leaf, &leaf_key, &serial, &ca, opts, err);
    if (rc == VT_OK)
        rc = sim_quote(&q, opts, &ca, leaf, leaf_key, err);
    if (rc == VT_OK && coll_out != NULL) {
        rc = vt_collateral_new(&coll, err);
        if (rc == VT_OK)
            rc = sim_machine_collateral(coll, opts, &ca, leaf, serial, err);
        if (rc == VT_OK)
            rc = sim_collateral_copy(coll_out, coll, err);
    }
    if (rc == VT_OK)
        rc = vt_buf_append(quote_out, q.data, q.len, err);
    vt_buf_free(&q);
    vt_collateral_free(coll);
    vt_x509_free(leaf);
    vt_pkey_free(leaf_key);
    vt__sim_ca_clear(&ca);
    return rc;
}
