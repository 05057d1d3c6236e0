/* Certificate revocation lists: parsing (DER or PEM) and accessors. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto_int.h"

struct vt_crl {
    X509_CRL *crl; /* owned */
    vt_time this_update;
    vt_time next_update;
};

X509_CRL *vt__crl_get(const vt_crl *c)
{
    return c == NULL ? NULL : c->crl;
}

/*
 * Only complete, direct CRLs are accepted: a delta CRL, a partitioned or
 * indirect one, or an unknown critical extension would make "not listed"
 * mean less than "not revoked", so they are refused (fail closed).
 */
static vt_status crl_check_scope(X509_CRL *crl, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    ISSUING_DIST_POINT *idp = NULL;
    STACK_OF(X509_REVOKED) *revoked;
    int crit = -1;

    for (int i = 0; i < X509_CRL_get_ext_count(crl); i++) {
        X509_EXTENSION *ext = X509_CRL_get_ext(crl, i);
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));

        if (nid == NID_delta_crl) {
            rc = vt_err_set(err, VT_E_UNSUPPORTED, "crl: delta CRLs are not supported");
            goto out;
        }
        if (X509_EXTENSION_get_critical(ext) && nid != NID_issuing_distribution_point) {
            rc = vt_err_set(err, VT_E_UNSUPPORTED, "crl: unsupported critical extension %s",
                            nid != NID_undef ? OBJ_nid2sn(nid) : "(unknown)");
            goto out;
        }
    }
    idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL);
    if (idp == NULL && crit != -1) {
        rc = vt_err_set(err, VT_E_FORMAT, "crl: issuingDistributionPoint %s",
                        crit == -2 ? "appears twice" : "is malformed");
        goto out;
    }
    if (idp != NULL && (idp->onlyuser || idp->onlyCA || idp->onlyattr || idp->indirectCRL ||
                        idp->onlysomereasons != NULL)) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "crl: partitioned or indirect CRLs are not supported");
        goto out;
    }
    revoked = X509_CRL_get_REVOKED(crl);
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); i++) {
        X509_REVOKED *r = sk_X509_REVOKED_value(revoked, i);

        for (int j = 0; j < X509_REVOKED_get_ext_count(r); j++) {
            if (X509_EXTENSION_get_critical(X509_REVOKED_get_ext(r, j))) {
                rc = vt_err_set(err, VT_E_UNSUPPORTED, "crl: entry %d has a critical extension", i);
                goto out;
            }
        }
    }
    rc = VT_OK;
out:
    ISSUING_DIST_POINT_free(idp);
    return rc;
}

vt_status vt_crl_parse(vt_crl **out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf pem_der;
    const uint8_t *der = p;
    size_t der_len = len, pos = 0;
    const unsigned char *q;
    unsigned char *re = NULL;
    int re_len;
    X509_CRL *crl = NULL;
    vt_crl *c = NULL;

    *out = NULL;
    vt_buf_init(&pem_der);
    if (len == 0 || len > 2 * VT__CRL_MAX) {
        rc = vt_err_set(err, len == 0 ? VT_E_FORMAT : VT_E_LIMIT, "crl: %zu bytes (max %u)", len,
                        VT__CRL_MAX);
        goto out;
    }
    if (memmem(p, len, "-----BEGIN X509 CRL-----", 24) != NULL) { /* PEM text, else DER */
        if (p[len - 1] == '\0')
            len--;
        if (memchr(p, '\0', len) != NULL) {
            rc = vt_err_set(err, VT_E_FORMAT, "crl: PEM text contains a NUL byte");
            goto out;
        }
        rc = vt__pem_next(&pem_der, (const char *)p, len, &pos, "X509 CRL", err);
        if (rc == VT_E_NOTFOUND)
            rc = vt_err_set(err, VT_E_FORMAT, "crl: no PEM X509 CRL block");
        if (rc != VT_OK)
            goto out;
        rc = VT_E_INTERNAL;
        der = pem_der.data;
        der_len = pem_der.len;
    }
    if (der_len > VT__CRL_MAX) {
        rc = vt_err_set(err, VT_E_LIMIT, "crl: %zu bytes of DER (max %u)", der_len, VT__CRL_MAX);
        goto out;
    }
    q = der;
    crl = d2i_X509_CRL(NULL, &q, (long)der_len);
    if (crl == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "crl: DER is malformed");
        goto out;
    }
    if (q != der + der_len) {
        rc = vt_err_set(err, VT_E_FORMAT, "crl: %zu trailing bytes after the CRL", der_len - (size_t)(q - der));
        goto out;
    }
    re_len = i2d_X509_CRL(crl, &re);
    if (re_len <= 0 || (size_t)re_len != der_len || CRYPTO_memcmp(re, der, der_len) != 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "crl: not in canonical DER");
        goto out;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "crl: out of memory");
        goto out;
    }
    c->crl = crl;
    crl = NULL;
    if (X509_CRL_get0_nextUpdate(c->crl) == NULL) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "crl: nextUpdate missing");
        goto out;
    }
    if (!vt__asn1_time(X509_CRL_get0_lastUpdate(c->crl), &c->this_update) ||
        !vt__asn1_time(X509_CRL_get0_nextUpdate(c->crl), &c->next_update)) {
        rc = vt_err_set(err, VT_E_FORMAT, "crl: thisUpdate or nextUpdate malformed");
        goto out;
    }
    rc = crl_check_scope(c->crl, err);
    if (rc != VT_OK)
        goto out;
    *out = c;
    c = NULL;
out:
    vt_crl_free(c);
    X509_CRL_free(crl);
    OPENSSL_free(re);
    vt_buf_free(&pem_der);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

void vt_crl_free(vt_crl *c)
{
    if (c == NULL)
        return;
    X509_CRL_free(c->crl);
    free(c);
}

void vt_crl_validity(const vt_crl *c, vt_time *this_update, vt_time *next_update)
{
    if (this_update != NULL)
        *this_update = c->this_update;
    if (next_update != NULL)
        *next_update = c->next_update;
}

void vt_crl_issuer(const vt_crl *c, char *out, size_t out_len)
{
    vt__name_oneline(X509_CRL_get_issuer(c->crl), out, out_len);
}

bool vt_crl_lists(const vt_crl *crl, const vt_x509 *c)
{
    X509 *x = vt__x509_get(c);
    STACK_OF(X509_REVOKED) *revoked;
    const ASN1_INTEGER *serial;

    if (crl == NULL || x == NULL || X509_NAME_cmp(X509_CRL_get_issuer(crl->crl), X509_get_issuer_name(x)) != 0)
        return false;
    serial = X509_get0_serialNumber(x);
    revoked = X509_CRL_get_REVOKED(crl->crl);
    for (int j = 0; j < sk_X509_REVOKED_num(revoked); j++)
        if (ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, j)), serial) == 0)
            return true;
    return false;
}

vt_status vt__crl_lists_serial(bool *listed, const vt_crl *crl, const uint8_t *serial, size_t len, vt_err *err)
{
    uint8_t der[2 + 127];
    const unsigned char *q = der;
    ASN1_INTEGER *want = NULL;
    STACK_OF(X509_REVOKED) *revoked;

    *listed = false;
    if (crl == NULL || serial == NULL || len == 0 || len > sizeof(der) - 2)
        return vt_err_set(err, VT_E_ARG, "crl: serial number of %zu bytes cannot be looked up", len);
    der[0] = V_ASN1_INTEGER;
    der[1] = (uint8_t)len;
    memcpy(der + 2, serial, len);
    want = d2i_ASN1_INTEGER(NULL, &q, (long)(len + 2));
    if (want == NULL || q != der + len + 2) {
        ASN1_INTEGER_free(want);
        ERR_clear_error();
        return vt_err_set(err, VT_E_FORMAT, "crl: serial number to look up is not a DER INTEGER");
    }
    revoked = X509_CRL_get_REVOKED(crl->crl);
    for (int j = 0; j < sk_X509_REVOKED_num(revoked) && !*listed; j++)
        *listed = ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, j)), want) == 0;
    ASN1_INTEGER_free(want);
    return VT_OK;
}
