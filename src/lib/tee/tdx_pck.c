/*
 * The SGX extension of a PCK certificate, read with a hand-rolled, bounded
 * DER reader.  Only definite, minimal lengths up to 64 KiB and single-byte
 * tags are accepted; anything else is a format error.
 *
 *   SGXExtensions ::= SEQUENCE OF SEQUENCE { OBJECT IDENTIFIER, value }
 *     .1 PPID OCTET STRING(16)
 *     .2 TCB  SEQUENCE OF SEQUENCE { OID .2.n, INTEGER | OCTET STRING }
 *             .2.1-.2.16 SGX TCB comp SVN, .2.17 PCESVN, .2.18 CPUSVN(16)
 *     .3 PCE-ID OCTET STRING(2)
 *     .4 FMSPC OCTET STRING(6)
 *     .5 SGX type ENUMERATED
 *     .6 / .7 platform instance id / configuration (skipped)
 */
#include <string.h>

#include "tee/tdx_pck.h"

#define DER_INTEGER 0x02
#define DER_OCTET_STRING 0x04
#define DER_OID 0x06
#define DER_ENUMERATED 0x0a
#define DER_SEQUENCE 0x30

/* 1.2.840.113741.1.13.1 */
static const uint8_t sgx_oid[] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01 };

static void rd_fail(vt_rd *r)
{
    r->failed = true;
    r->left = 0;
}

vt_rd vt__tdx_der_tlv(vt_rd *r, uint8_t *tag)
{
    vt_rd bad = { NULL, 0, true };
    uint8_t l0;
    size_t len;

    *tag = vt_rd_u8(r);
    l0 = vt_rd_u8(r);
    if (!vt_rd_ok(r) || (*tag & 0x1f) == 0x1f) {
        rd_fail(r);
        return bad;
    }
    if (l0 < 0x80) {
        len = l0;
    } else if (l0 == 0x81) {
        len = vt_rd_u8(r);
        if (len < 0x80)
            rd_fail(r);
    } else if (l0 == 0x82) {
        len = vt_rd_u16be(r);
        if (len < 0x100)
            rd_fail(r);
    } else {
        rd_fail(r);
        return bad;
    }
    return vt_rd_sub(r, len);
}

vt_rd vt__tdx_der_expect(vt_rd *r, uint8_t want)
{
    uint8_t tag = 0;
    vt_rd c = vt__tdx_der_tlv(r, &tag);

    if (vt_rd_ok(r) && tag != want) {
        rd_fail(r);
        rd_fail(&c);
    }
    return c;
}

vt_rd vt__tdx_der_explicit(vt_rd *r, uint8_t wrapper, uint8_t inner)
{
    vt_rd w = vt__tdx_der_expect(r, wrapper);
    vt_rd c = vt__tdx_der_expect(&w, inner);

    if (vt_rd_ok(r) && !vt_rd_ok_and_empty(&w)) {
        rd_fail(r);
        rd_fail(&c);
    }
    return c;
}

uint32_t vt__tdx_der_uint(vt_rd *c, uint32_t max, bool *ok)
{
    uint32_t v = 0;
    size_t n = c->left;
    const uint8_t *p = vt_rd_take(c, n);

    if (p == NULL || n == 0 || n > 4 || (p[0] & 0x80) || (n > 1 && p[0] == 0 && !(p[1] & 0x80))) {
        *ok = false;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    if (v > max)
        *ok = false;
    return v;
}

/* The arc of `oid` below the SGX extension OID (`depth` arcs: 1 → .n, 2 → .a.b). */
static bool oid_arcs(const vt_rd *oid, size_t depth, uint8_t arcs[2])
{
    vt_rd o = *oid;
    const uint8_t *p;

    if (o.failed || o.left != sizeof(sgx_oid) + depth)
        return false;
    p = vt_rd_take(&o, sizeof(sgx_oid));
    if (p == NULL || memcmp(p, sgx_oid, sizeof(sgx_oid)) != 0)
        return false;
    for (size_t i = 0; i < depth; i++) {
        arcs[i] = vt_rd_u8(&o);
        if (arcs[i] & 0x80)
            return false; /* arcs above 127 are not used by Intel */
    }
    return vt_rd_ok_and_empty(&o);
}

static bool octets(vt_rd *val, uint8_t tag, void *out, size_t n)
{
    if (tag != DER_OCTET_STRING || val->left != n)
        return false;
    vt_rd_copy(val, out, n);
    return vt_rd_ok_and_empty(val);
}

static vt_status parse_tcb(vt__tdx_pck_ext *out, vt_rd *tcb, vt_err *err)
{
    uint32_t seen = 0;

    while (vt_rd_ok(tcb) && tcb->left > 0) {
        vt_rd item = vt__tdx_der_expect(tcb, DER_SEQUENCE);
        vt_rd oid = vt__tdx_der_expect(&item, DER_OID);
        uint8_t tag = 0, arcs[2] = { 0, 0 };
        vt_rd val = vt__tdx_der_tlv(&item, &tag);
        bool ok = vt_rd_ok(tcb) && vt_rd_ok_and_empty(&item) && oid_arcs(&oid, 2, arcs) && arcs[0] == 2;
        unsigned idx = arcs[1];

        if (!ok || idx < 1 || idx > 18)
            return vt_err_set(err, VT_E_FORMAT, "tdx: pck_extension TCB entry malformed");
        if (seen & (1u << idx))
            return vt_err_set(err, VT_E_FORMAT, "tdx: pck_extension TCB component %u repeated", idx);
        seen |= 1u << idx;
        if (idx <= 16) {
            out->comp_svn[idx - 1] = (uint8_t)(tag == DER_INTEGER ? vt__tdx_der_uint(&val, 255, &ok) : 0);
            ok = ok && tag == DER_INTEGER;
        } else if (idx == 17) {
            out->pcesvn = (uint16_t)(tag == DER_INTEGER ? vt__tdx_der_uint(&val, 65535, &ok) : 0);
            ok = ok && tag == DER_INTEGER;
        } else {
            ok = octets(&val, tag, out->cpusvn, sizeof(out->cpusvn));
        }
        if (!ok)
            return vt_err_set(err, VT_E_FORMAT, "tdx: pck_extension TCB component %u has a bad value", idx);
    }
    if (!vt_rd_ok(tcb))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_extension TCB sequence malformed");
    if (seen != 0x7fffeu) /* bits 1..18 */
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_extension TCB incomplete (components 0x%x)", (unsigned)seen);
    return VT_OK;
}

static vt_status parse(vt__tdx_pck_ext *out, const uint8_t *der, size_t len, vt_err *err)
{
    vt_rd r, top;
    uint32_t seen = 0;
    vt_status rc;

    vt_rd_init(&r, der, len);
    top = vt__tdx_der_expect(&r, DER_SEQUENCE);
    if (!vt_rd_ok_and_empty(&r))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_extension is not one DER SEQUENCE");
    while (vt_rd_ok(&top) && top.left > 0) {
        vt_rd item = vt__tdx_der_expect(&top, DER_SEQUENCE);
        vt_rd oid = vt__tdx_der_expect(&item, DER_OID);
        uint8_t tag = 0, arcs[2] = { 0, 0 };
        vt_rd val = vt__tdx_der_tlv(&item, &tag);
        bool ok = vt_rd_ok(&top) && vt_rd_ok_and_empty(&item) && oid_arcs(&oid, 1, arcs);
        unsigned idx = arcs[0];

        if (!ok)
            return vt_err_set(err, VT_E_FORMAT, "tdx: pck_extension entry malformed");
        if (idx < 32) {
            if (seen & (1u << idx))
                return vt_err_set(err, VT_E_FORMAT, "tdx: pck_extension entry .%u repeated", idx);
            seen |= 1u << idx;
        }
        switch (idx) {
        case 1:
            ok = octets(&val, tag, out->ppid, sizeof(out->ppid));
            break;
        case 2:
            if (tag != DER_SEQUENCE)
                return vt_err_set(err, VT_E_FORMAT, "tdx: pck_extension TCB is not a SEQUENCE");
            rc = parse_tcb(out, &val, err);
            if (rc != VT_OK)
                return rc;
            break;
        case 3:
            ok = octets(&val, tag, out->pceid, sizeof(out->pceid));
            break;
        case 4:
            ok = octets(&val, tag, out->fmspc, sizeof(out->fmspc));
            break;
        case 5:
            out->sgx_type = (int)(tag == DER_ENUMERATED ? vt__tdx_der_uint(&val, 255, &ok) : 0);
            ok = ok && tag == DER_ENUMERATED;
            break;
        default:
            break; /* platform instance id, configuration, future entries */
        }
        if (!ok)
            return vt_err_set(err, VT_E_FORMAT, "tdx: pck_extension entry .%u has a bad value", idx);
    }
    if (!vt_rd_ok(&top))
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_extension sequence malformed");
    if ((seen & 0x1eu) != 0x1eu)
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_extension lacks %s",
                          !(seen & 0x2u)    ? "PPID"
                          : !(seen & 0x4u)  ? "TCB"
                          : !(seen & 0x8u)  ? "PCE-ID"
                                            : "FMSPC");
    return VT_OK;
}

vt_status vt__tdx_pck_ext_parse(vt__tdx_pck_ext *out, const uint8_t *der, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;

    memset(out, 0, sizeof(*out));
    out->sgx_type = -1;
    if (der == NULL || len == 0)
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_extension empty");
    if (len > TDX_PCK_EXT_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tdx: pck_extension of %zu bytes above the %u-byte limit", len,
                          (unsigned)TDX_PCK_EXT_MAX);
    rc = parse(out, der, len, err);
    if (rc != VT_OK) {
        memset(out, 0, sizeof(*out));
        out->sgx_type = -1;
    }
    return rc;
}
