/* X.509 certificates: parsing (DER, PEM lists), accessors, extensions. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "crypto_int.h"

#define X509_PEM_MAX (1024u * 1024u)

struct vt_x509 {
    X509 *x;          /* owned */
    uint8_t *der;     /* owned (OPENSSL_malloc), the exact DER */
    size_t der_len;
    uint8_t fp[32];   /* SHA-256 of der */
    vt_time not_before;
    vt_time not_after;
    bool times_ok;    /* false: validity unreadable, never valid */
    atomic_int refs;
};

bool vt__asn1_time(const ASN1_TIME *t, vt_time *out)
{
    struct tm tm;

    *out = 0;
    if (t == NULL || ASN1_TIME_check(t) != 1)
        return false;
    memset(&tm, 0, sizeof(tm));
    if (ASN1_TIME_to_tm(t, &tm) != 1)
        return false;
    *out = vt_time_from_utc(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return true;
}

/* Copies s[0..n) into out, replacing anything but printable ASCII with '?'. */
static void copy_printable(char *out, size_t out_len, const char *s, size_t n)
{
    size_t i;

    if (out_len == 0)
        return;
    for (i = 0; i < n && i + 1 < out_len; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[i] = '\0';
}

void vt__name_oneline(const X509_NAME *name, char *out, size_t out_len)
{
    BIO *bio;
    char *data = NULL;
    long n;

    if (out_len == 0)
        return;
    out[0] = '\0';
    if (name == NULL)
        return;
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        return;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        n = BIO_get_mem_data(bio, &data);
        if (n > 0 && data != NULL)
            copy_printable(out, out_len, data, (size_t)n);
    }
    BIO_free(bio);
    ERR_clear_error();
}

static void name_cn(const X509_NAME *name, char *out, size_t out_len)
{
    int idx;
    const X509_NAME_ENTRY *e;
    unsigned char *utf8 = NULL;
    int n;

    if (out_len == 0)
        return;
    out[0] = '\0';
    if (name == NULL)
        return;
    idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (idx < 0)
        return;
    e = X509_NAME_get_entry(name, idx);
    n = e == NULL ? -1 : ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (n >= 0)
        copy_printable(out, out_len, (const char *)utf8, (size_t)n);
    OPENSSL_free(utf8);
    ERR_clear_error();
}

void vt__name_label(const X509_NAME *name, char *out, size_t out_len)
{
    char cn[200];

    if (out_len == 0)
        return;
    name_cn(name, cn, sizeof(cn));
    if (cn[0] != '\0')
        snprintf(out, out_len, "CN=%s", cn);
    else
        vt__name_oneline(name, out, out_len);
}

X509 *vt__x509_get(const vt_x509 *c)
{
    return c == NULL ? NULL : c->x;
}

vt_x509 *vt__x509_wrap(X509 *x)
{
    vt_x509 *c = NULL;
    unsigned char *der = NULL;
    int n;
    bool ok_nb, ok_na;

    if (x == NULL)
        return NULL;
    c = calloc(1, sizeof(*c));
    n = i2d_X509(x, &der);
    if (c == NULL || n <= 0 || der == NULL || vt_digest(VT_MD_SHA256, der, (size_t)n, c->fp, NULL) != VT_OK) {
        OPENSSL_free(der);
        free(c);
        X509_free(x);
        ERR_clear_error();
        return NULL;
    }
    c->x = x;
    c->der = der;
    c->der_len = (size_t)n;
    ok_nb = vt__asn1_time(X509_get0_notBefore(x), &c->not_before);
    ok_na = vt__asn1_time(X509_get0_notAfter(x), &c->not_after);
    c->times_ok = ok_nb && ok_na;
    if (!c->times_ok) { /* fail closed: an empty window */
        c->not_before = INT64_MAX;
        c->not_after = INT64_MIN;
    }
    atomic_init(&c->refs, 1);
    ERR_clear_error();
    return c;
}

vt_status vt_x509_from_der(vt_x509 **out, const uint8_t *der, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const unsigned char *p = der;
    X509 *x = NULL;
    vt_x509 *c = NULL;

    *out = NULL;
    if (len == 0 || len > VT__X509_MAX_DER) {
        rc = vt_err_set(err, len == 0 ? VT_E_FORMAT : VT_E_LIMIT, "x509: certificate of %zu bytes (max %u)",
                        len, VT__X509_MAX_DER);
        goto out;
    }
    x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "x509: certificate DER is malformed");
        goto out;
    }
    if (p != der + len) {
        rc = vt_err_set(err, VT_E_FORMAT, "x509: %zu trailing bytes after certificate", len - (size_t)(p - der));
        goto out;
    }
    c = vt__x509_wrap(x);
    x = NULL;
    if (c == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "x509: out of memory");
        goto out;
    }
    /* Keep exactly one encoding per certificate: fingerprints and root pinning rely on it. */
    if (c->der_len != len || CRYPTO_memcmp(c->der, der, len) != 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "x509: certificate is not in canonical DER");
        goto out;
    }
    if (!c->times_ok) {
        rc = vt_err_set(err, VT_E_FORMAT, "x509: certificate validity times are malformed");
        goto out;
    }
    *out = c;
    c = NULL;
    rc = VT_OK;
out:
    vt_x509_free(c);
    X509_free(x);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

vt_status vt_x509_list_from_pem(vt_x509 **out, size_t *count, size_t max, const char *pem, size_t len,
                                vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    size_t start = *count, pos = 0;
    vt_buf der;

    vt_buf_init(&der);
    if (start > max) {
        rc = vt_err_set(err, VT_E_ARG, "x509: count %zu beyond max %zu", start, max);
        goto out;
    }
    if (len > 0 && pem[len - 1] == '\0')
        len--; /* one trailing NUL, as in TDX quote certification data */
    if (len > X509_PEM_MAX) {
        rc = vt_err_set(err, VT_E_LIMIT, "x509: PEM text of %zu bytes exceeds %u", len, X509_PEM_MAX);
        goto out;
    }
    if (memchr(pem, '\0', len) != NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "x509: PEM text contains a NUL byte");
        goto out;
    }
    for (;;) {
        der.len = 0;
        rc = vt__pem_next(&der, pem, len, &pos, "CERTIFICATE", err);
        if (rc == VT_E_NOTFOUND)
            break;
        if (rc != VT_OK)
            goto out;
        if (*count >= max) {
            rc = vt_err_set(err, VT_E_LIMIT, "x509: more than %zu certificates in PEM text", max);
            goto out;
        }
        rc = vt_x509_from_der(&out[*count], der.data, der.len, err);
        if (rc != VT_OK)
            goto out;
        (*count)++;
    }
    if (*count == start) {
        rc = vt_err_set(err, VT_E_FORMAT, "x509: no certificate in PEM text");
        goto out;
    }
    rc = VT_OK;
out:
    if (rc != VT_OK) { /* state unchanged on failure */
        while (*count > start) {
            (*count)--;
            vt_x509_free(out[*count]);
            out[*count] = NULL;
        }
    }
    vt_buf_free(&der);
    return rc;
}

void vt_x509_free(vt_x509 *c)
{
    if (c == NULL)
        return;
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    X509_free(c->x);
    OPENSSL_free(c->der);
    free(c);
}

vt_x509 *vt_x509_ref(vt_x509 *c)
{
    if (c != NULL)
        atomic_fetch_add(&c->refs, 1);
    return c;
}

const uint8_t *vt_x509_der(const vt_x509 *c, size_t *len)
{
    *len = c->der_len;
    return c->der;
}

void vt_x509_fingerprint(const vt_x509 *c, uint8_t out[32])
{
    memcpy(out, c->fp, 32);
}

vt_status vt_x509_pubkey(vt_pkey **out, const vt_x509 *c, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    EVP_PKEY *pk;
    vt_pkey *k = NULL;

    *out = NULL;
    pk = X509_get_pubkey(c->x); /* a new reference */
    if (pk == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "x509: public key cannot be decoded");
        goto out;
    }
    k = vt__pkey_wrap(pk);
    if (k == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "x509: out of memory");
        goto out;
    }
    if (vt_pkey_type(k) == VT_KEY_NONE) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "x509: public key type is not supported");
        goto out;
    }
    *out = k;
    k = NULL;
    rc = VT_OK;
out:
    vt_pkey_free(k);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

void vt_x509_validity(const vt_x509 *c, vt_time *not_before, vt_time *not_after)
{
    if (not_before != NULL)
        *not_before = c->not_before;
    if (not_after != NULL)
        *not_after = c->not_after;
}

void vt_x509_subject(const vt_x509 *c, char *out, size_t out_len)
{
    vt__name_oneline(X509_get_subject_name(c->x), out, out_len);
}

void vt_x509_issuer(const vt_x509 *c, char *out, size_t out_len)
{
    vt__name_oneline(X509_get_issuer_name(c->x), out, out_len);
}

void vt_x509_subject_cn(const vt_x509 *c, char *out, size_t out_len)
{
    name_cn(X509_get_subject_name(c->x), out, out_len);
}

void vt_x509_serial_hex(const vt_x509 *c, char *out, size_t out_len)
{
    static const char hex[] = "0123456789abcdef";
    const ASN1_INTEGER *sn = X509_get0_serialNumber(c->x);
    const unsigned char *d = ASN1_STRING_get0_data(sn);
    int n = ASN1_STRING_length(sn);
    size_t o = 0;

    if (out_len == 0)
        return;
    if (ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER && o + 1 < out_len)
        out[o++] = '-';
    if (n <= 0 || d == NULL) {
        if (o + 1 < out_len)
            out[o++] = '0';
    }
    for (int i = 0; i < n && d != NULL && o + 2 < out_len; i++) {
        out[o++] = hex[d[i] >> 4];
        out[o++] = hex[d[i] & 15];
    }
    out[o] = '\0';
}

vt_status vt_x509_ext(const vt_x509 *c, const char *oid, const uint8_t **val, size_t *len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    ASN1_OBJECT *obj = NULL;
    const X509_EXTENSION *ext;
    const ASN1_OCTET_STRING *data;
    int idx;

    *val = NULL;
    *len = 0;
    obj = OBJ_txt2obj(oid, 1); /* dotted numbers only */
    if (obj == NULL) {
        rc = vt_err_set(err, VT_E_ARG, "x509: extension OID \"%.64s\" is not a dotted OID", oid);
        goto out;
    }
    idx = X509_get_ext_by_OBJ(c->x, obj, -1);
    if (idx < 0) {
        rc = vt_err_set(err, VT_E_NOTFOUND, "x509: extension %.64s absent", oid);
        goto out;
    }
    if (X509_get_ext_by_OBJ(c->x, obj, idx) >= 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "x509: extension %.64s appears twice", oid);
        goto out;
    }
    ext = X509_get_ext(c->x, idx);
    data = ext == NULL ? NULL : X509_EXTENSION_get_data((X509_EXTENSION *)ext);
    if (data == NULL) {
        vt_err_set(err, rc, "x509: extension %.64s unreadable", oid);
        goto out;
    }
    *val = ASN1_STRING_get0_data(data);
    *len = (size_t)ASN1_STRING_length(data);
    rc = VT_OK;
out:
    ASN1_OBJECT_free(obj);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

const uint8_t *vt__x509_subject_der(const vt_x509 *c, size_t *len)
{
    const unsigned char *der = NULL;
    size_t n = 0;

    *len = 0;
    if (c == NULL || X509_NAME_get0_der(X509_get_subject_name(c->x), &der, &n) != 1 || der == NULL) {
        ERR_clear_error();
        return NULL;
    }
    *len = n;
    return der;
}
