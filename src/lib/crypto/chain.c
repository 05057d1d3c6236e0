/*
 * Certificate chain verification at a given time, written out by hand so
 * that each rule of crypto.h is visible and each failure names the
 * certificate and the check: trust anchor, names, signatures, CA
 * constraints, validity windows, CRLs.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto_int.h"

#define CHAIN_MAX 16
#define MIN_SECBITS 112 /* RSA-2048, P-256 and up; refuses SHA-1 and MD5 signatures */

struct link {
    const vt_x509 *c; /* borrowed from the caller's chain or roots */
    X509 *x;          /* borrowed from c */
    char label[160];  /* "CN=..." for messages */
};

static void label_of(struct link *l)
{
    vt__name_label(X509_get_subject_name(l->x), l->label, sizeof(l->label));
}

static bool der_equal(const vt_x509 *a, const vt_x509 *b)
{
    size_t la, lb;
    const uint8_t *da = vt_x509_der(a, &la);
    const uint8_t *db = vt_x509_der(b, &lb);

    return la == lb && CRYPTO_memcmp(da, db, la) == 0;
}

static bool self_issued(X509 *x)
{
    return X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
}

bool vt__x509_ce_critical_ok(unsigned arc)
{
    switch (arc) {
    case 14: /* subjectKeyIdentifier */
    case 15: /* keyUsage */
    case 17: /* subjectAltName */
    case 18: /* issuerAltName */
    case 19: /* basicConstraints */
    case 32: /* certificatePolicies */
    case 35: /* authorityKeyIdentifier */
    case 37: /* extKeyUsage */
        return true;
    default:
        return false;
    }
}

/* Critical extensions we understand (or that constrain nothing we rely on): id-ce arcs only. */
static bool critical_ok(const ASN1_OBJECT *obj)
{
    const unsigned char *d = OBJ_get0_data(obj);

    return d != NULL && OBJ_length(obj) == 3 && d[0] == 0x55 && d[1] == 0x1d && vt__x509_ce_critical_ok(d[2]);
}

static vt_status check_extensions(const struct link *l, vt_err *err)
{
    uint32_t flags = X509_get_extension_flags(l->x);

    if (flags & EXFLAG_INVALID)
        return vt_err_set(err, VT_E_CRYPTO, "chain: certificate %s has malformed or duplicate extensions",
                          l->label);
    for (int i = 0; i < X509_get_ext_count(l->x); i++) {
        X509_EXTENSION *ext = X509_get_ext(l->x, i);

        if (X509_EXTENSION_get_critical(ext) && !critical_ok(X509_EXTENSION_get_object(ext))) {
            char oid[80];

            OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 1);
            return vt_err_set(err, VT_E_CRYPTO, "chain: certificate %s has unsupported critical extension %s",
                              l->label, oid);
        }
    }
    return VT_OK;
}

/* What parent must be to issue a certificate with `below` CA certificates under it. */
static vt_status check_issuer(const struct link *parent, size_t below, vt_err *err)
{
    uint32_t flags = X509_get_extension_flags(parent->x);
    long pathlen;

    if (!(flags & EXFLAG_CA))
        return vt_err_set(err, VT_E_CRYPTO, "chain: issuer %s is not a CA (basicConstraints)", parent->label);
    if ((flags & EXFLAG_KUSAGE) && !(X509_get_key_usage(parent->x) & KU_KEY_CERT_SIGN))
        return vt_err_set(err, VT_E_CRYPTO, "chain: issuer %s may not sign certificates (keyUsage)",
                          parent->label);
    pathlen = X509_get_pathlen(parent->x);
    if (pathlen >= 0 && below > (size_t)pathlen)
        return vt_err_set(err, VT_E_CRYPTO, "chain: issuer %s path length constraint %ld exceeded",
                          parent->label, pathlen);
    return VT_OK;
}

/* parent issues child; below = CA certificates between parent and the leaf. */
static vt_status check_link(const struct link *child, const struct link *parent, size_t below,
                            bool sig_checked, vt_err *err)
{
    EVP_PKEY *pk = X509_get0_pubkey(parent->x); /* borrowed */
    int secbits = 0;

    if (X509_NAME_cmp(X509_get_issuer_name(child->x), X509_get_subject_name(parent->x)) != 0)
        return vt_err_set(err, VT_E_CRYPTO, "chain: issuer of certificate %s does not match subject of %s",
                          child->label, parent->label);
    if (pk == NULL)
        return vt_err_set(err, VT_E_CRYPTO, "chain: public key of %s cannot be decoded", parent->label);
    if (!sig_checked && X509_verify(child->x, pk) != 1) {
        char serial[80];

        vt_x509_serial_hex(child->c, serial, sizeof(serial));
        return vt_err_set(err, VT_E_CRYPTO, "chain: certificate %s serial %s has a bad signature (issuer %s)",
                          child->label, serial, parent->label);
    }
    if (X509_get_signature_info(child->x, NULL, NULL, &secbits, NULL) != 1 || secbits < MIN_SECBITS ||
        EVP_PKEY_get_security_bits(pk) < MIN_SECBITS)
        return vt_err_set(err, VT_E_CRYPTO, "chain: certificate %s has a weak signature (%d-bit security)",
                          child->label, secbits);
    return check_issuer(parent, below, err);
}

vt_status vt__chain_can_issue(const vt_x509 *ca, vt_err *err)
{
    struct link l;
    EVP_PKEY *pk;
    vt_status rc;

    if (ca == NULL)
        return vt_err_set(err, VT_E_ARG, "chain: no issuer");
    l.c = ca;
    l.x = vt__x509_get(ca);
    label_of(&l);
    pk = X509_get0_pubkey(l.x);
    if (pk == NULL || EVP_PKEY_get_security_bits(pk) < MIN_SECBITS)
        rc = vt_err_set(err, VT_E_CRYPTO, "chain: issuer %s has %s", l.label,
                        pk == NULL ? "a public key that cannot be decoded" : "a weak key");
    else
        rc = check_issuer(&l, 0, err);
    ERR_clear_error();
    return rc;
}

static vt_status check_time(const struct link *l, vt_time now, vt_time *nb, vt_time *na, vt_err *err)
{
    vt_time b, a;
    char t[32];

    vt_x509_validity(l->c, &b, &a);
    if (now < b) {
        vt_time_format(t, b);
        return vt_err_set(err, VT_E_CRYPTO, "chain: certificate %s is not yet valid (notBefore %s)", l->label,
                          b == INT64_MAX ? "unreadable" : t);
    }
    if (now > a) {
        vt_time_format(t, a);
        return vt_err_set(err, VT_E_CRYPTO, "chain: certificate %s has expired (notAfter %s)", l->label, t);
    }
    if (b > *nb)
        *nb = b;
    if (a < *na)
        *na = a;
    return VT_OK;
}

static bool crl_sig_weak(const X509_CRL *crl)
{
    const X509_ALGOR *alg = NULL;
    const ASN1_OBJECT *obj = NULL;
    int mdnid = NID_undef, pknid = NID_undef;

    X509_CRL_get0_signature(crl, NULL, &alg);
    if (alg == NULL)
        return true;
    X509_ALGOR_get0(&obj, NULL, NULL, alg);
    if (OBJ_find_sigid_algs(OBJ_obj2nid(obj), &mdnid, &pknid) != 1)
        return true;
    return mdnid == NID_md5 || mdnid == NID_sha1 || mdnid == NID_md4;
}

/* Applies one CRL to the path; *applied is false when no certificate in the path issued it. */
static vt_status check_crl(bool *applied, const vt_crl *vc, const struct link *path, size_t m, vt_time now,
                           vt_time *nb, vt_time *na, vt_err *err)
{
    X509_CRL *crl = vt__crl_get(vc);
    const X509_NAME *iname = X509_CRL_get_issuer(crl);
    const struct link *issuer = NULL;
    STACK_OF(X509_REVOKED) *revoked;
    char ilabel[160], t[32];
    vt_time tu, nu;
    bool named = false;

    *applied = false;
    for (size_t i = 0; i < m && issuer == NULL; i++) {
        if (X509_NAME_cmp(iname, X509_get_subject_name(path[i].x)) != 0)
            continue;
        named = true;
        if (X509_get0_pubkey(path[i].x) != NULL && X509_CRL_verify(crl, X509_get0_pubkey(path[i].x)) == 1)
            issuer = &path[i];
    }
    if (!named)
        return VT_OK; /* issued by someone outside this chain: ignored */
    vt__name_label(iname, ilabel, sizeof(ilabel));
    if (issuer == NULL)
        return vt_err_set(err, VT_E_CRYPTO, "chain: CRL of %s has a bad signature", ilabel);
    if (crl_sig_weak(crl))
        return vt_err_set(err, VT_E_CRYPTO, "chain: CRL of %s has a weak signature algorithm", ilabel);
    if ((X509_get_extension_flags(issuer->x) & EXFLAG_KUSAGE) &&
        !(X509_get_key_usage(issuer->x) & KU_CRL_SIGN))
        return vt_err_set(err, VT_E_CRYPTO, "chain: CRL issuer %s may not sign CRLs (keyUsage)", ilabel);
    vt_crl_validity(vc, &tu, &nu);
    if (now < tu) {
        vt_time_format(t, tu);
        return vt_err_set(err, VT_E_CRYPTO, "chain: CRL of %s is not yet valid (thisUpdate %s)", ilabel, t);
    }
    if (now > nu) {
        vt_time_format(t, nu);
        return vt_err_set(err, VT_E_CRYPTO, "chain: CRL of %s has expired (nextUpdate %s)", ilabel, t);
    }
    revoked = X509_CRL_get_REVOKED(crl);
    for (size_t i = 0; i + 1 < m; i++) {
        const ASN1_INTEGER *serial = X509_get0_serialNumber(path[i].x);

        if (X509_NAME_cmp(X509_get_issuer_name(path[i].x), iname) != 0)
            continue;
        /* The CRL covers path[i] only if signed by the key that issued it. */
        if (EVP_PKEY_eq(X509_get0_pubkey(path[i + 1].x), X509_get0_pubkey(issuer->x)) != 1)
            return vt_err_set(err, VT_E_CRYPTO, "chain: CRL of %s is signed by another key than the issuer of %s",
                              ilabel, path[i].label);
        for (int j = 0; j < sk_X509_REVOKED_num(revoked); j++) {
            const X509_REVOKED *r = sk_X509_REVOKED_value(revoked, j);

            if (ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(r), serial) == 0) {
                char hex[80];

                vt_x509_serial_hex(path[i].c, hex, sizeof(hex));
                return vt_err_set(err, VT_E_CRYPTO, "chain: certificate %s serial %s is revoked by CRL of %s",
                                  path[i].label, hex, ilabel);
            }
        }
    }
    if (tu > *nb)
        *nb = tu;
    if (nu < *na)
        *na = nu;
    *applied = true;
    return VT_OK;
}

/* Finds the trusted root for the last chain certificate; appends it when implicit. */
static vt_status find_anchor(size_t *root_index, bool *implicit, const struct link *last,
                             vt_x509 *const *roots, size_t root_count, vt_err *err)
{
    char ilabel[160];
    bool named = false;

    *implicit = false;
    for (size_t j = 0; j < root_count; j++) {
        if (der_equal(last->c, roots[j])) {
            *root_index = j;
            return VT_OK;
        }
    }
    if (self_issued(last->x))
        return vt_err_set(err, VT_E_CRYPTO, "chain: root %s is not a trusted root", last->label);
    for (size_t j = 0; j < root_count; j++) {
        X509 *r = vt__x509_get(roots[j]);

        if (X509_NAME_cmp(X509_get_issuer_name(last->x), X509_get_subject_name(r)) != 0)
            continue;
        named = true;
        if (X509_get0_pubkey(r) != NULL && X509_verify(last->x, X509_get0_pubkey(r)) == 1) {
            *root_index = j;
            *implicit = true;
            return VT_OK;
        }
    }
    vt__name_label(X509_get_issuer_name(last->x), ilabel, sizeof(ilabel));
    if (named)
        return vt_err_set(err, VT_E_CRYPTO, "chain: certificate %s has a bad signature (issuer %s, trusted root)",
                          last->label, ilabel);
    return vt_err_set(err, VT_E_CRYPTO, "chain: issuer %s of %s is not a trusted root", ilabel, last->label);
}

vt_status vt_chain_verify(vt_chain_result *out, vt_x509 *const *chain, size_t n, vt_x509 *const *roots,
                          size_t root_count, vt_crl *const *crls, size_t crl_count, vt_time now, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    struct link path[CHAIN_MAX + 1];
    size_t m, root_index = 0, checked = 0;
    vt_time nb = INT64_MIN, na = INT64_MAX;
    bool implicit = false, applied;

    memset(out, 0, sizeof(*out));
    if (n == 0 || chain == NULL || root_count == 0 || roots == NULL || (crl_count > 0 && crls == NULL)) {
        rc = vt_err_set(err, VT_E_ARG, "chain: %s", n == 0 || chain == NULL ? "empty chain" : "no trusted roots");
        goto out;
    }
    if (n > CHAIN_MAX) {
        rc = vt_err_set(err, VT_E_LIMIT, "chain: %zu certificates (max %d)", n, CHAIN_MAX);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (chain[i] == NULL) {
            rc = vt_err_set(err, VT_E_ARG, "chain: certificate %zu is NULL", i);
            goto out;
        }
        path[i].c = chain[i];
        path[i].x = vt__x509_get(chain[i]);
        label_of(&path[i]);
    }
    for (size_t j = 0; j < root_count; j++) {
        if (roots[j] == NULL) {
            rc = vt_err_set(err, VT_E_ARG, "chain: root %zu is NULL", j);
            goto out;
        }
    }
    for (size_t k = 0; k < crl_count; k++) {
        if (crls[k] == NULL) {
            rc = vt_err_set(err, VT_E_ARG, "chain: CRL %zu is NULL", k);
            goto out;
        }
    }

    /* 1. Trust: the last certificate is a pinned root or is issued by one. */
    rc = find_anchor(&root_index, &implicit, &path[n - 1], roots, root_count, err);
    if (rc != VT_OK)
        goto out;
    m = n;
    if (implicit) {
        path[m].c = roots[root_index];
        path[m].x = vt__x509_get(roots[root_index]);
        label_of(&path[m]);
        m++;
    }

    /* 2. Each link: names, signature, issuer is a CA allowed this deep. */
    for (size_t i = 0; i + 1 < m; i++) {
        rc = check_link(&path[i], &path[i + 1], i, implicit && i + 2 == m, err);
        if (rc != VT_OK)
            goto out;
    }
    /* 3. Extensions and validity of every certificate, the anchor included. */
    for (size_t i = 0; i < m; i++) {
        rc = check_extensions(&path[i], err);
        if (rc == VT_OK)
            rc = check_time(&path[i], now, &nb, &na, err);
        if (rc != VT_OK)
            goto out;
    }
    /* 4. CRLs issued by a certificate of the path. */
    for (size_t k = 0; k < crl_count; k++) {
        rc = check_crl(&applied, crls[k], path, m, now, &nb, &na, err);
        if (rc != VT_OK)
            goto out;
        if (applied)
            checked++;
    }
    out->root_index = root_index;
    out->crls_checked = checked;
    out->not_before = nb;
    out->not_after = na;
    rc = VT_OK;
out:
    if (rc == VT_OK && out->not_before > out->not_after)
        rc = vt_err_set(err, VT_E_INTERNAL, "chain: empty validity window");
    if (rc != VT_OK) {
        memset(out, 0, sizeof(*out));
        ERR_clear_error();
    }
    return rc;
}
