/* OCSP requests and response verification over OpenSSL (crypto/ocsp.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/ocsp.h"
#include "crypto_int.h"

static OCSP_CERTID *certid_new(const vt_x509 *cert, const vt_x509 *issuer)
{
    X509 *c = vt__x509_get(cert), *i = vt__x509_get(issuer);

    if (c == NULL || i == NULL)
        return NULL;
    return OCSP_cert_to_id(EVP_sha384(), c, i);
}

vt_status vt__ocsp_request(vt_buf *der_out, const vt_x509 *cert, const vt_x509 *issuer, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    OCSP_REQUEST *req = NULL;
    OCSP_CERTID *id = NULL;
    unsigned char *der = NULL;
    int n;

    if (der_out == NULL || cert == NULL || issuer == NULL)
        return vt_err_set(err, VT_E_ARG, "ocsp: request needs a certificate and its issuer");
    req = OCSP_REQUEST_new();
    id = certid_new(cert, issuer);
    if (req == NULL || id == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "ocsp: cannot make a CertID");
        goto out;
    }
    if (OCSP_request_add0_id(req, id) == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "ocsp: cannot add the CertID");
        goto out;
    }
    id = NULL; /* owned by req */
    n = i2d_OCSP_REQUEST(req, &der);
    if (n <= 0) {
        rc = vt_err_set(err, VT_E_INTERNAL, "ocsp: cannot encode the request");
        goto out;
    }
    rc = vt_buf_append(der_out, der, (size_t)n, err);
out:
    OPENSSL_free(der);
    OCSP_CERTID_free(id);
    OCSP_REQUEST_free(req);
    return rc;
}

/* The basic response inside der: successful, exactly one single response. */
static vt_status basic_parse(OCSP_RESPONSE **rsp_out, OCSP_BASICRESP **bs_out, const uint8_t *der, size_t len,
                             vt_err *err)
{
    const unsigned char *p = der;
    OCSP_RESPONSE *rsp = NULL;
    OCSP_BASICRESP *bs = NULL;
    int st;

    *rsp_out = NULL;
    *bs_out = NULL;
    if (der == NULL || len == 0)
        return vt_err_set(err, VT_E_FORMAT, "ocsp: empty response");
    if (len > VT_OCSP_RESPONSE_MAX)
        return vt_err_set(err, VT_E_LIMIT, "ocsp: %zu-byte response exceeds %u bytes", len, VT_OCSP_RESPONSE_MAX);
    rsp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    if (rsp == NULL || p != der + len) {
        OCSP_RESPONSE_free(rsp);
        return vt_err_set(err, VT_E_FORMAT, "ocsp: response is not one DER OCSPResponse");
    }
    st = OCSP_response_status(rsp);
    if (st != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        OCSP_RESPONSE_free(rsp);
        return vt_err_set(err, VT_E_FORMAT, "ocsp: responseStatus is %s (%d)", OCSP_response_status_str(st), st);
    }
    bs = OCSP_response_get1_basic(rsp);
    if (bs == NULL) {
        OCSP_RESPONSE_free(rsp);
        return vt_err_set(err, VT_E_FORMAT, "ocsp: response is not an id-pkix-ocsp-basic response");
    }
    if (OCSP_resp_count(bs) != 1) {
        int n = OCSP_resp_count(bs);
        OCSP_BASICRESP_free(bs);
        OCSP_RESPONSE_free(rsp);
        return vt_err_set(err, VT_E_FORMAT, "ocsp: responses holds %d single responses, want 1", n);
    }
    *rsp_out = rsp;
    *bs_out = bs;
    return VT_OK;
}

static bool gentime(vt_time *out, const ASN1_GENERALIZEDTIME *t)
{
    return t != NULL && vt__asn1_time(t, out);
}

/* thisUpdate and the expiry (nextUpdate, or an hour after thisUpdate) of the one single response. */
static vt_status response_times(vt_time *issued, vt_time *until, const uint8_t *der, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    OCSP_RESPONSE *rsp = NULL;
    OCSP_BASICRESP *bs = NULL;
    ASN1_GENERALIZEDTIME *tu = NULL, *nu = NULL, *rev = NULL;
    int reason = -1;
    vt_time t = 0;

    *until = 0;
    *issued = 0;
    rc = basic_parse(&rsp, &bs, der, len, err);
    if (rc != VT_OK)
        return rc;
    if (OCSP_single_get0_status(OCSP_resp_get0(bs, 0), &reason, &rev, &tu, &nu) < 0 || !gentime(&t, tu)) {
        rc = vt_err_set(err, VT_E_FORMAT, "ocsp: single response has no readable thisUpdate");
        goto out;
    }
    if (nu == NULL)
        *until = t + VT_OCSP_NO_NEXT_UPDATE_S;
    else if (!gentime(until, nu)) {
        rc = vt_err_set(err, VT_E_FORMAT, "ocsp: nextUpdate is malformed");
        goto out;
    }
    *issued = t;
    rc = VT_OK;
out:
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(rsp);
    return rc;
}

vt_status vt__ocsp_response_expiry(vt_time *until, const uint8_t *der, size_t len, vt_err *err)
{
    vt_time issued;

    return response_times(&issued, until, der, len, err);
}

vt_status vt__ocsp_response_issued(vt_time *issued, const uint8_t *der, size_t len, vt_err *err)
{
    vt_time until;

    return response_times(issued, &until, der, len, err);
}

vt_status vt__ocsp_response_verify(vt__ocsp_answer *out, const uint8_t *der, size_t len, const vt_x509 *cert,
                                   const vt_x509 *issuer, vt_time now, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    OCSP_RESPONSE *rsp = NULL;
    OCSP_BASICRESP *bs = NULL;
    OCSP_CERTID *id = NULL;
    X509_STORE *st = NULL;
    STACK_OF(X509) *extra = NULL;
    X509 *signer = NULL;
    ASN1_GENERALIZEDTIME *tu = NULL, *nu = NULL, *rev = NULL;
    int status = -1, reason = -1, idx;

    memset(out, 0, sizeof(*out));
    if (cert == NULL || issuer == NULL)
        return vt_err_set(err, VT_E_ARG, "ocsp: verify needs the certificate and its issuer");
    rc = basic_parse(&rsp, &bs, der, len, err);
    if (rc != VT_OK)
        return rc;
    id = certid_new(cert, issuer);
    st = X509_STORE_new();
    extra = sk_X509_new_null();
    if (id == NULL || st == NULL || extra == NULL || X509_STORE_add_cert(st, vt__x509_get(issuer)) != 1 ||
        sk_X509_push(extra, vt__x509_get(issuer)) <= 0) {
        rc = vt_err_set(err, VT_E_NOMEM, "ocsp: out of memory");
        goto out;
    }
    /* The issuer was verified with the device chain: it anchors the responder's chain. */
    X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN);
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(st), (time_t)now);
    /* Signature, then the signer's chain to the issuer, then that the signer is
     * the issuer or a responder the issuer delegated to (id-kp-OCSPSigning). */
    if (OCSP_basic_verify(bs, extra, st, 0) != 1) {
        rc = vt_err_set(err, VT_E_CRYPTO, "ocsp: response signature or signer does not verify "
                                          "(not signed by the issuer or a responder it delegated to)");
        goto out;
    }
    if (OCSP_resp_get0_signer(bs, &signer, extra) == 1 && signer != NULL)
        X509_NAME_oneline(X509_get_subject_name(signer), out->signer, sizeof(out->signer));
    idx = OCSP_resp_find(bs, id, -1);
    if (idx < 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "ocsp: response is for another certificate (CertID differs)");
        goto out;
    }
    status = OCSP_single_get0_status(OCSP_resp_get0(bs, idx), &reason, &rev, &tu, &nu);
    if (!gentime(&out->this_update, tu) || (nu != NULL && !gentime(&out->next_update, nu)) ||
        (rev != NULL && !gentime(&out->revoked_at, rev))) {
        rc = vt_err_set(err, VT_E_FORMAT, "ocsp: thisUpdate, nextUpdate or revocationTime is malformed");
        goto out;
    }
    if (nu == NULL)
        out->next_update = out->this_update + VT_OCSP_NO_NEXT_UPDATE_S;
    if (out->next_update < out->this_update) {
        rc = vt_err_set(err, VT_E_FORMAT, "ocsp: nextUpdate is before thisUpdate");
        goto out;
    }
    if (out->this_update > now + VT_OCSP_SKEW_S) {
        rc = vt_err_set(err, VT_E_POLICY, "ocsp: thisUpdate is in the future");
        goto out;
    }
    if (now > out->next_update + VT_OCSP_SKEW_S) {
        rc = vt_err_set(err, VT_E_POLICY, "ocsp: response expired (nextUpdate has passed)");
        goto out;
    }
    switch (status) {
    case V_OCSP_CERTSTATUS_GOOD: out->status = VT_OCSP_GOOD; break;
    case V_OCSP_CERTSTATUS_REVOKED: out->status = VT_OCSP_REVOKED; break;
    case V_OCSP_CERTSTATUS_UNKNOWN: out->status = VT_OCSP_UNKNOWN; break;
    default:
        rc = vt_err_set(err, VT_E_FORMAT, "ocsp: certStatus is unreadable");
        goto out;
    }
    out->reason = reason;
    rc = VT_OK;
out:
    if (rc != VT_OK)
        memset(out, 0, sizeof(*out));
    sk_X509_free(extra); /* borrowed members */
    X509_STORE_free(st);
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(rsp);
    return rc;
}
