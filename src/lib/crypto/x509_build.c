/*
 * Issuing X.509 certificates and CRLs: the simulation roots and the tests
 * need a small CA.  Only ECDSA P-256 (SHA-256) and P-384 (SHA-384) issuers,
 * plus Ed25519/RSA for completeness; X.509 v3 with the extensions a CA
 * hierarchy needs (basicConstraints, keyUsage, subject/authority key ids)
 * and any extra extension given as raw DER.
 */
#include <limits.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/crypto_int.h"
#include "veritee/crypto.h"

#define X509_BUILD_MAX_EXTS 32
#define CRL_MAX_SERIALS 100000

/* The digest an issuer key signs with (NULL for Ed25519: no separate digest). */
static vt_status issuer_md(const EVP_MD **md, const vt_pkey *key, vt_err *err)
{
    switch (vt_pkey_type(key)) {
    case VT_KEY_EC_P256:
    case VT_KEY_RSA:
        *md = EVP_sha256();
        return VT_OK;
    case VT_KEY_EC_P384:
        *md = EVP_sha384();
        return VT_OK;
    case VT_KEY_ED25519:
        *md = NULL;
        return VT_OK;
    default:
        return vt_err_set(err, VT_E_ARG, "x509: issuer key type %d cannot sign certificates",
                          (int)vt_pkey_type(key));
    }
}

static vt_status set_time(ASN1_TIME *t, vt_time when, const char *what, vt_err *err)
{
    if (when < 0 || ASN1_TIME_set(t, (time_t)when) == NULL)
        return vt_err_set(err, VT_E_ARG, "x509: %s %lld cannot be encoded", what, (long long)when);
    return VT_OK;
}

/* Adds one extension given in OpenSSL's config syntax ("critical,CA:TRUE"). */
static vt_status add_conf_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, vt_err *err)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    vt_status rc = VT_E_INTERNAL;

    if (ext == NULL)
        return vt_err_set(err, VT_E_CRYPTO, "x509: extension %s '%s' cannot be made", OBJ_nid2sn(nid), value);
    if (X509_add_ext(x, ext, -1) != 1)
        rc = vt_err_set(err, VT_E_NOMEM, "x509: cannot add extension %s", OBJ_nid2sn(nid));
    else
        rc = VT_OK;
    X509_EXTENSION_free(ext);
    return rc;
}

/* Adds an extension with a dotted OID and a raw DER value. */
static vt_status add_raw_ext(X509 *x, const vt_x509_ext_spec *e, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    ASN1_OBJECT *obj = NULL;
    ASN1_OCTET_STRING *os = NULL;
    X509_EXTENSION *ext = NULL;

    if (e->oid == NULL || (e->der == NULL && e->len > 0) || e->len > INT_MAX) {
        rc = vt_err_set(err, VT_E_ARG, "x509: extension spec is incomplete");
        goto out;
    }
    obj = OBJ_txt2obj(e->oid, 1);
    if (obj == NULL) {
        rc = vt_err_set(err, VT_E_ARG, "x509: extension oid '%.64s' is not a dotted OID", e->oid);
        goto out;
    }
    os = ASN1_OCTET_STRING_new();
    if (os == NULL || ASN1_OCTET_STRING_set(os, e->der, (int)e->len) != 1) {
        rc = vt_err_set(err, VT_E_NOMEM, "x509: out of memory for extension %.64s", e->oid);
        goto out;
    }
    ext = X509_EXTENSION_create_by_OBJ(NULL, obj, e->critical ? 1 : 0, os);
    if (ext == NULL || X509_add_ext(x, ext, -1) != 1) {
        rc = vt_err_set(err, VT_E_NOMEM, "x509: cannot add extension %.64s", e->oid);
        goto out;
    }
    rc = VT_OK;
out:
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
    return rc;
}

static vt_status check_spec(const vt_x509_spec *spec, const vt_pkey *subject_key, const vt_x509 *issuer,
                            const vt_pkey *issuer_key, vt_err *err)
{
    if (spec == NULL || subject_key == NULL || issuer_key == NULL)
        return vt_err_set(err, VT_E_ARG, "x509: spec, subject key and issuer key are required");
    if (spec->subject_cn == NULL || spec->subject_cn[0] == '\0' || strlen(spec->subject_cn) > 64)
        return vt_err_set(err, VT_E_ARG, "x509: subject_cn is missing or longer than 64 characters");
    if (spec->subject_o != NULL && strlen(spec->subject_o) > 64)
        return vt_err_set(err, VT_E_ARG, "x509: subject_o is longer than 64 characters");
    if (spec->serial == 0)
        return vt_err_set(err, VT_E_ARG, "x509: serial must be non-zero");
    if (spec->not_before > spec->not_after)
        return vt_err_set(err, VT_E_ARG, "x509: not_before is after not_after");
    if (spec->ext_count > X509_BUILD_MAX_EXTS || (spec->ext_count > 0 && spec->exts == NULL))
        return vt_err_set(err, VT_E_ARG, "x509: ext_count %zu is invalid", spec->ext_count);
    if (spec->ca && spec->pathlen < -1)
        return vt_err_set(err, VT_E_ARG, "x509: pathlen %d is invalid", spec->pathlen);
    if (issuer != NULL && X509_check_private_key(vt__x509_get(issuer), vt__pkey_get(issuer_key)) != 1)
        return vt_err_set(err, VT_E_ARG, "x509: issuer key does not match the issuer certificate");
    if (issuer == NULL && EVP_PKEY_eq(vt__pkey_get(subject_key), vt__pkey_get(issuer_key)) != 1)
        return vt_err_set(err, VT_E_ARG, "x509: a self-signed certificate must be signed by its own key");
    return VT_OK;
}

vt_status vt_x509_issue(vt_x509 **out, const vt_x509_spec *spec, const vt_pkey *subject_key,
                        const vt_x509 *issuer, const vt_pkey *issuer_key, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    X509 *x = NULL;
    X509_NAME *name = NULL;
    const EVP_MD *md = NULL;
    X509V3_CTX ctx;
    char bc[48];

    *out = NULL;
    rc = check_spec(spec, subject_key, issuer, issuer_key, err);
    if (rc == VT_OK)
        rc = issuer_md(&md, issuer_key, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;

    x = X509_new();
    name = X509_NAME_new();
    if (x == NULL || name == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "x509: out of memory");
        goto out;
    }
    if (X509_set_version(x, X509_VERSION_3) != 1 ||
        ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), spec->serial) != 1 ||
        X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                   (const unsigned char *)spec->subject_cn, -1, -1, 0) != 1 ||
        (spec->subject_o != NULL &&
         X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
                                    (const unsigned char *)spec->subject_o, -1, -1, 0) != 1) ||
        X509_set_subject_name(x, name) != 1 ||
        X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(vt__x509_get(issuer)) : name) != 1 ||
        X509_set_pubkey(x, vt__pkey_get(subject_key)) != 1) {
        rc = vt_err_set(err, VT_E_CRYPTO, "x509: cannot set the certificate fields of '%s'", spec->subject_cn);
        goto out;
    }
    rc = set_time(X509_getm_notBefore(x), spec->not_before, "not_before", err);
    if (rc == VT_OK)
        rc = set_time(X509_getm_notAfter(x), spec->not_after, "not_after", err);
    if (rc != VT_OK)
        goto out;

    /* The issuer is the certificate itself when self-signed (for the AKI). */
    X509V3_set_ctx(&ctx, issuer != NULL ? vt__x509_get(issuer) : x, x, NULL, NULL, 0);
    if (spec->ca) {
        if (spec->pathlen >= 0)
            (void)snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%d", spec->pathlen);
        else
            (void)snprintf(bc, sizeof(bc), "critical,CA:TRUE");
        rc = add_conf_ext(x, &ctx, NID_basic_constraints, bc, err);
        if (rc == VT_OK)
            rc = add_conf_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign", err);
    } else {
        rc = add_conf_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE", err);
        if (rc == VT_OK)
            rc = add_conf_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,nonRepudiation", err);
    }
    if (rc == VT_OK)
        rc = add_conf_ext(x, &ctx, NID_subject_key_identifier, "hash", err);
    if (rc == VT_OK)
        rc = add_conf_ext(x, &ctx, NID_authority_key_identifier, "keyid:always", err);
    for (size_t i = 0; rc == VT_OK && i < spec->ext_count; i++)
        rc = add_raw_ext(x, &spec->exts[i], err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;

    if (X509_sign(x, vt__pkey_get(issuer_key), md) <= 0) {
        rc = vt_err_set(err, VT_E_CRYPTO, "x509: signing '%s' failed", spec->subject_cn);
        goto out;
    }
    *out = vt__x509_wrap(x);
    x = NULL; /* owned by the wrapper (freed by it on failure) */
    if (*out == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "x509: out of memory");
        goto out;
    }
    rc = VT_OK;
out:
    X509_NAME_free(name);
    X509_free(x);
    return rc;
}

vt_status vt_x509_to_pem(vt_buf *out, const vt_x509 *c, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    BIO *bio = NULL;
    char *p = NULL;
    long n;

    if (c == NULL)
        return vt_err_set(err, VT_E_ARG, "x509: no certificate to encode");
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || PEM_write_bio_X509(bio, vt__x509_get(c)) != 1) {
        rc = vt_err_set(err, VT_E_NOMEM, "x509: cannot write PEM");
        goto out;
    }
    n = BIO_get_mem_data(bio, &p);
    if (n <= 0 || p == NULL) {
        rc = vt_err_set(err, VT_E_INTERNAL, "x509: PEM output is empty");
        goto out;
    }
    rc = vt_buf_append(out, p, (size_t)n, err);
out:
    BIO_free(bio);
    return rc;
}

static vt_status crl_add_serials(X509_CRL *crl, const uint64_t *serials, size_t count, ASN1_TIME *when,
                                 vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    X509_REVOKED *rev = NULL;
    ASN1_INTEGER *sn = NULL;

    for (size_t i = 0; i < count; i++) {
        rev = X509_REVOKED_new();
        sn = ASN1_INTEGER_new();
        if (rev == NULL || sn == NULL || ASN1_INTEGER_set_uint64(sn, serials[i]) != 1 ||
            X509_REVOKED_set_serialNumber(rev, sn) != 1 || X509_REVOKED_set_revocationDate(rev, when) != 1 ||
            X509_CRL_add0_revoked(crl, rev) != 1) {
            rc = vt_err_set(err, VT_E_NOMEM, "crl: cannot add revoked serial %zu", i);
            goto out;
        }
        rev = NULL; /* owned by the CRL */
        ASN1_INTEGER_free(sn);
        sn = NULL;
    }
    rc = VT_OK;
out:
    X509_REVOKED_free(rev);
    ASN1_INTEGER_free(sn);
    return rc;
}

vt_status vt_crl_issue(vt_buf *der_out, const vt_x509 *issuer, const vt_pkey *issuer_key,
                       const uint64_t *serials, size_t serial_count, vt_time this_update,
                       vt_time next_update, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    X509_CRL *crl = NULL;
    ASN1_TIME *tu = NULL, *nu = NULL;
    ASN1_INTEGER *num = NULL;
    const EVP_MD *md = NULL;
    unsigned char *der = NULL;
    X509V3_CTX ctx;
    X509_EXTENSION *aki = NULL;
    int n;

    if (issuer == NULL || issuer_key == NULL || (serials == NULL && serial_count > 0) ||
        serial_count > CRL_MAX_SERIALS)
        return vt_err_set(err, VT_E_ARG, "crl: issuer, issuer key or serials are invalid");
    if (this_update > next_update)
        return vt_err_set(err, VT_E_ARG, "crl: this_update is after next_update");
    if (X509_check_private_key(vt__x509_get(issuer), vt__pkey_get(issuer_key)) != 1)
        return vt_err_set(err, VT_E_ARG, "crl: issuer key does not match the issuer certificate");
    rc = issuer_md(&md, issuer_key, err);
    if (rc != VT_OK)
        return rc;
    rc = VT_E_INTERNAL;

    crl = X509_CRL_new();
    tu = ASN1_TIME_new();
    nu = ASN1_TIME_new();
    num = ASN1_INTEGER_new();
    if (crl == NULL || tu == NULL || nu == NULL || num == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "crl: out of memory");
        goto out;
    }
    rc = set_time(tu, this_update, "this_update", err);
    if (rc == VT_OK)
        rc = set_time(nu, next_update, "next_update", err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    if (X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
        X509_CRL_set_issuer_name(crl, X509_get_subject_name(vt__x509_get(issuer))) != 1 ||
        X509_CRL_set1_lastUpdate(crl, tu) != 1 || X509_CRL_set1_nextUpdate(crl, nu) != 1) {
        rc = vt_err_set(err, VT_E_CRYPTO, "crl: cannot set the CRL fields");
        goto out;
    }
    rc = crl_add_serials(crl, serials, serial_count, tu, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    /* CRL number: the issue time is monotonic enough for a simulation CA. */
    X509V3_set_ctx(&ctx, vt__x509_get(issuer), NULL, NULL, crl, 0);
    aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
    if (ASN1_INTEGER_set_int64(num, this_update) != 1 ||
        X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, X509V3_ADD_DEFAULT) != 1 || aki == NULL ||
        X509_CRL_add_ext(crl, aki, -1) != 1) {
        rc = vt_err_set(err, VT_E_CRYPTO, "crl: cannot add the CRL extensions");
        goto out;
    }
    if (X509_CRL_sort(crl) != 1 || X509_CRL_sign(crl, vt__pkey_get(issuer_key), md) <= 0) {
        rc = vt_err_set(err, VT_E_CRYPTO, "crl: signing failed");
        goto out;
    }
    n = i2d_X509_CRL(crl, &der);
    if (n <= 0 || der == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "crl: cannot encode DER");
        goto out;
    }
    rc = vt_buf_append(der_out, der, (size_t)n, err);
out:
    OPENSSL_free(der);
    X509_EXTENSION_free(aki);
    ASN1_INTEGER_free(num);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    X509_CRL_free(crl);
    return rc;
}
