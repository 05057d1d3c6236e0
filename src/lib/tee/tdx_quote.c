/*
 * Intel TDX quote v4/v5 parser.  Every byte is read through vt_rd; every
 * length is checked against what is left before it is used; the result is
 * a struct of copies (the PEM chain is the one borrowed view).
 */
#include <string.h>

#include "tee/tdx_quote.h"

bool vt__tdx_quote_probe(const uint8_t *buf, size_t len)
{
    vt_rd r;
    uint16_t version, key_type;
    uint32_t tee_type;

    vt_rd_init(&r, buf, len);
    version = vt_rd_u16le(&r);
    key_type = vt_rd_u16le(&r);
    tee_type = vt_rd_u32le(&r);
    return vt_rd_ok(&r) && len >= TDX_HEADER_LEN && (version == 4 || version == 5) &&
           key_type == TDX_ATT_KEY_ECDSA_P256 && tee_type == TDX_TEE_TYPE;
}

/* The QE report certification data (type 6) and the PCK chain (type 5) inside it. */
static vt_status read_cert_data(vt__tdx_quote *q, vt_rd *c, vt_err *err)
{
    vt_rd pck;
    const uint8_t *pem;

    vt_rd_copy(c, q->qe_report, sizeof(q->qe_report));
    vt_rd_copy(c, q->qe_report_sig, sizeof(q->qe_report_sig));
    q->qe_auth_len = vt_rd_u16le(c);
    if (!vt_rd_ok(c))
        return vt_err_set(err, VT_E_FORMAT, "tdx: certification_data truncated before qe_auth_data (%u bytes)",
                          (unsigned)q->cert_len);
    if (q->qe_auth_len > TDX_QE_AUTH_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tdx: qe_auth_data_len %u above the %u-byte limit",
                          (unsigned)q->qe_auth_len, (unsigned)TDX_QE_AUTH_MAX);
    vt_rd_copy(c, q->qe_auth, q->qe_auth_len);
    q->pck_cert_type = vt_rd_u16le(c);
    q->pck_cert_len = vt_rd_u32le(c);
    if (!vt_rd_ok(c))
        return vt_err_set(err, VT_E_FORMAT, "tdx: certification_data truncated inside qe_auth_data or PCK header");
    if (q->pck_cert_len > c->left)
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_chain_len %u exceeds the %zu bytes left",
                          (unsigned)q->pck_cert_len, c->left);
    if (q->pck_cert_len != c->left)
        return vt_err_set(err, VT_E_FORMAT, "tdx: certification_data_len %u disagrees with its contents",
                          (unsigned)q->cert_len);
    if (q->pck_cert_type != TDX_CERT_PCK_CHAIN)
        return vt_err_set(err, VT_E_UNSUPPORTED,
                          "tdx: inner certification_data_type %u unsupported (need 5, PCK chain)",
                          (unsigned)q->pck_cert_type);
    if (q->pck_cert_len > TDX_PCK_CHAIN_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tdx: pck_chain_len %u above the %u-byte limit",
                          (unsigned)q->pck_cert_len, (unsigned)TDX_PCK_CHAIN_MAX);
    pck = vt_rd_sub(c, q->pck_cert_len);
    if (!vt_rd_ok_and_empty(c))
        return vt_err_set(err, VT_E_FORMAT, "tdx: certification_data_len %u disagrees with its contents",
                          (unsigned)q->cert_len);
    q->pck_pem_len = q->pck_cert_len;
    pem = vt_rd_take(&pck, q->pck_pem_len);
    if (pem == NULL || q->pck_pem_len == 0)
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_chain empty");
    if (pem[q->pck_pem_len - 1] == '\0')
        q->pck_pem_len--; /* exactly one trailing NUL is tolerated */
    if (memchr(pem, '\0', q->pck_pem_len) != NULL)
        return vt_err_set(err, VT_E_FORMAT, "tdx: pck_chain contains a NUL byte inside the PEM text");
    q->pck_pem = (const char *)pem;
    return VT_OK;
}

static vt_status read_sig_data(vt__tdx_quote *q, vt_rd *s, vt_err *err)
{
    vt_rd c;

    vt_rd_copy(s, q->sig, sizeof(q->sig));
    vt_rd_copy(s, q->att_key, sizeof(q->att_key));
    q->cert_type = vt_rd_u16le(s);
    q->cert_len = vt_rd_u32le(s);
    if (!vt_rd_ok(s))
        return vt_err_set(err, VT_E_FORMAT, "tdx: signature_data truncated (%u bytes)", (unsigned)q->sig_data_len);
    if (q->cert_len > s->left)
        return vt_err_set(err, VT_E_FORMAT, "tdx: certification_data_len %u exceeds the %zu bytes left",
                          (unsigned)q->cert_len, s->left);
    c = vt_rd_sub(s, q->cert_len);
    if (!vt_rd_ok_and_empty(s))
        return vt_err_set(err, VT_E_FORMAT, "tdx: signature_data_len %u disagrees with certification_data_len %u",
                          (unsigned)q->sig_data_len, (unsigned)q->cert_len);
    if (q->cert_type != TDX_CERT_QE_REPORT)
        return vt_err_set(err, VT_E_UNSUPPORTED,
                          "tdx: certification_data_type %u unsupported (need 6, QE report certification data)",
                          (unsigned)q->cert_type);
    return read_cert_data(q, &c, err);
}

static vt_status parse(vt__tdx_quote *q, const uint8_t *buf, size_t len, vt_err *err)
{
    vt_rd r, s, whole;

    if (len > TDX_QUOTE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tdx: quote of %zu bytes above the %u-byte limit", len,
                          (unsigned)TDX_QUOTE_MAX);
    vt_rd_init(&r, buf, len);
    q->version = vt_rd_u16le(&r);
    q->att_key_type = vt_rd_u16le(&r);
    q->tee_type = vt_rd_u32le(&r);
    vt_rd_skip(&r, 4); /* reserved (QE/PCE SVN in the v3 layout; zero in TDX quotes) */
    vt_rd_copy(&r, q->qe_vendor_id, sizeof(q->qe_vendor_id));
    vt_rd_copy(&r, q->user_data, sizeof(q->user_data));
    if (!vt_rd_ok(&r))
        return vt_err_set(err, VT_E_FORMAT, "tdx: header truncated (%zu of %u bytes)", len,
                          (unsigned)TDX_HEADER_LEN);
    if (q->version != 4 && q->version != 5)
        return vt_err_set(err, VT_E_UNSUPPORTED, "tdx: version %u unsupported (need 4 or 5)", (unsigned)q->version);
    if (q->att_key_type != TDX_ATT_KEY_ECDSA_P256)
        return vt_err_set(err, VT_E_UNSUPPORTED, "tdx: attestation_key_type %u unsupported (need 2, ECDSA P-256)",
                          (unsigned)q->att_key_type);
    if (q->tee_type != TDX_TEE_TYPE)
        return vt_err_set(err, VT_E_UNSUPPORTED, "tdx: tee_type 0x%x is not TDX (0x81)", (unsigned)q->tee_type);
    if (!vt_ct_equal(q->qe_vendor_id, TDX_QE_VENDOR_INTEL, sizeof(q->qe_vendor_id)))
        return vt_err_set(err, VT_E_UNSUPPORTED, "tdx: qe_vendor_id is not the Intel QE");
    if (q->version == 4) {
        q->body_type = TDX_V5_BODY_TDX10;
        q->body_len = TDX_BODY10_LEN;
    } else {
        q->body_type = vt_rd_u16le(&r);
        q->body_len = vt_rd_u32le(&r);
        if (!vt_rd_ok(&r))
            return vt_err_set(err, VT_E_FORMAT, "tdx: v5 body descriptor truncated");
        if (q->body_type != TDX_V5_BODY_TDX10 && q->body_type != TDX_V5_BODY_TDX15)
            return vt_err_set(err, VT_E_UNSUPPORTED, "tdx: v5 body_type %u unsupported (need 2 or 3)",
                              (unsigned)q->body_type);
        if (q->body_len != (q->body_type == TDX_V5_BODY_TDX10 ? TDX_BODY10_LEN : TDX_BODY15_LEN))
            return vt_err_set(err, VT_E_FORMAT, "tdx: v5 body_size %u wrong for body_type %u",
                              (unsigned)q->body_len, (unsigned)q->body_type);
    }
    vt_rd_copy(&r, q->body, q->body_len);
    if (!vt_rd_ok(&r))
        return vt_err_set(err, VT_E_FORMAT, "tdx: td_report body truncated (need %u bytes)", (unsigned)q->body_len);
    q->signed_len = len - r.left;
    vt_rd_init(&whole, buf, len);
    vt_rd_copy(&whole, q->signed_bytes, q->signed_len);
    q->sig_data_len = vt_rd_u32le(&r);
    if (!vt_rd_ok(&r))
        return vt_err_set(err, VT_E_FORMAT, "tdx: signature_data_len truncated");
    if (q->sig_data_len > r.left)
        return vt_err_set(err, VT_E_FORMAT, "tdx: signature_data_len %u exceeds the %zu bytes left",
                          (unsigned)q->sig_data_len, r.left);
    s = vt_rd_sub(&r, q->sig_data_len);
    /* Bytes after the signature data are not signed and not used: real
     * quotes carry zero padding (or, in one Intel sample, a text note). */
    q->trailing_len = r.left;
    vt_rd_skip(&r, q->trailing_len);
    if (!vt_rd_ok_and_empty(&r) || !vt_rd_ok(&whole))
        return vt_err_set(err, VT_E_INTERNAL, "tdx: quote reader out of step");
    return read_sig_data(q, &s, err);
}

vt_status vt__tdx_quote_parse(vt__tdx_quote *q, const uint8_t *buf, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;

    memset(q, 0, sizeof(*q));
    if (buf == NULL && len > 0)
        return vt_err_set(err, VT_E_ARG, "tdx: quote buffer missing");
    rc = parse(q, buf, len, err);
    if (rc != VT_OK)
        memset(q, 0, sizeof(*q));
    return rc;
}
