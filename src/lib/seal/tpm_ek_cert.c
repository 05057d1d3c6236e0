/*
 * The TPM's endorsement key and its certificate, without a TPM: the operator's trust (the
 * CAs of TPM makers or of a cloud's vTPMs), the certificates an NV index holds, the chain
 * from the EK certificate to a trusted root, the standard EK template, and whether the EK
 * the TPM made is the certificate's key (docs/formats/tpm.md "The TPM's identity").
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include "crypto/crypto_int.h"
#include "seal/tpm_ek.h"

#define PATH_DEPTH 6   /* intermediates between an EK certificate and its root */
#define PATH_NODES 512 /* paths the search extends at most (the TPM chooses its NV intermediates) */

void vt__tpm_ek_certs_free(vt__tpm_ek_certs *l)
{
    for (size_t i = 0; i < l->count; i++)
        vt_x509_free(l->c[i]);
    memset(l, 0, sizeof(*l));
}

static bool self_issued(const vt_x509 *c)
{
    X509 *x = vt__x509_get(c);

    return X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
}

/* Sorts the certificates of one file into anchors and intermediates (taking them). */
static vt_status sort_in(vt__tpm_ek_certs *roots, vt__tpm_ek_certs *inter, vt_x509 **got, size_t n, vt_err *err)
{
    vt_status rc = VT_OK;

    for (size_t i = 0; i < n; i++) {
        vt__tpm_ek_certs *l = self_issued(got[i]) ? roots : inter;

        if (rc == VT_OK && l->count == VT__TPM_EK_CERTS_MAX)
            rc = vt_err_set(err, VT_E_LIMIT, "seal: more than %d EK trust certificates", VT__TPM_EK_CERTS_MAX);
        if (rc == VT_OK) {
            l->c[l->count++] = got[i];
        } else {
            vt_x509_free(got[i]);
        }
        got[i] = NULL;
    }
    return rc;
}

static vt_status load_file(vt__tpm_ek_certs *roots, vt__tpm_ek_certs *inter, const char *path, vt_err *err)
{
    vt_x509 *got[VT__TPM_EK_CERTS_MAX];
    vt_err e = { 0 };
    size_t n = 0;
    vt_status rc;
    vt_buf b;

    vt_buf_init(&b);
    rc = vt_file_read(&b, path, VT__TPM_EK_FILE_MAX, &e);
    if (rc == VT_OK && b.len > 10 && memmem(b.data, b.len, "-----BEGIN", 10) != NULL) {
        rc = vt_x509_list_from_pem(got, &n, VT__TPM_EK_CERTS_MAX, (const char *)b.data, b.len, &e);
    } else if (rc == VT_OK) {
        rc = vt_x509_from_der(&got[0], b.data, b.len, &e);
        n = rc == VT_OK ? 1 : 0;
    }
    vt_buf_free(&b);
    if (rc != VT_OK) {
        for (size_t i = 0; i < n; i++)
            vt_x509_free(got[i]);
        return vt_err_set(err, rc, "seal: EK trust file %s: %s", path, e.msg);
    }
    return sort_in(roots, inter, got, n, err);
}

typedef vt_status (*file_loader)(void *ctx, const char *file, vt_err *err);

/* Calls load(ctx, file) for path, or for each regular file of the directory path (not
 * recursive, dot files skipped); what names the setting in messages. */
static vt_status each_file(const char *path, const char *what, file_loader load, void *ctx, vt_err *err)
{
    vt_status rc = VT_OK;
    struct stat st;
    DIR *d = NULL;
    struct dirent *e;

    if (path == NULL || *path == '\0' || stat(path, &st) != 0)
        return vt_err_set(err, VT_E_ARG, "seal: %s %s: no such file or directory", what, path != NULL ? path : "");
    if (!S_ISDIR(st.st_mode))
        return load(ctx, path, err);
    d = opendir(path);
    if (d == NULL)
        return vt_err_set(err, VT_E_IO, "seal: %s directory %s cannot be read", what, path);
    while (rc == VT_OK && (e = readdir(d)) != NULL) {
        char f[4096];
        int n;

        if (e->d_name[0] == '.')
            continue;
        n = snprintf(f, sizeof(f), "%s/%s", path, e->d_name);
        if (n < 0 || (size_t)n >= sizeof(f)) {
            rc = vt_err_set(err, VT_E_ARG, "seal: %s path too long", what);
        } else if (stat(f, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = load(ctx, f, err);
        }
    }
    closedir(d);
    return rc;
}

typedef struct trust_lists {
    vt__tpm_ek_certs *roots, *inter;
} trust_lists;

static vt_status trust_file(void *ctx, const char *file, vt_err *err)
{
    trust_lists *t = ctx;

    return load_file(t->roots, t->inter, file, err);
}

vt_status vt__tpm_ek_trust_load(vt__tpm_ek_certs *roots, vt__tpm_ek_certs *inter, const char *path, vt_err *err)
{
    trust_lists t = { roots, inter };
    vt_status rc;

    rc = each_file(path, "EK roots", trust_file, &t, err);
    if (rc == VT_OK && roots->count == 0)
        rc = vt_err_set(err, VT_E_ARG, "seal: EK roots %s hold no self-signed (root) certificate", path);
    return rc;
}

void vt__tpm_ek_crls_free(vt__tpm_ek_crls *l)
{
    for (size_t i = 0; i < l->count; i++)
        vt_crl_free(l->c[i]);
    memset(l, 0, sizeof(*l));
}

static vt_status crl_add(vt__tpm_ek_crls *out, const uint8_t *der, size_t len, vt_err *err)
{
    if (out->count == VT__TPM_EK_CRLS_MAX)
        return vt_err_set(err, VT_E_LIMIT, "more than %d CRLs", VT__TPM_EK_CRLS_MAX);
    if (vt_crl_parse(&out->c[out->count], der, len, err) != VT_OK)
        return VT_E_FORMAT;
    out->count++;
    return VT_OK;
}

vt_status vt__tpm_ek_crls_parse(vt__tpm_ek_crls *out, const uint8_t *p, size_t len, const char *what, vt_err *err)
{
    vt_status rc = VT_OK;
    size_t before = out->count, pos = 0, blocks = 0;
    vt_err e = { 0 };
    vt_buf der;

    vt_buf_init(&der);
    if (len > 24 && memmem(p, len, "-----BEGIN X509 CRL-----", 24) != NULL) {
        if (p[len - 1] == '\0') /* one trailing NUL, as vt_crl_parse takes */
            len--;
        if (memchr(p, '\0', len) != NULL)
            rc = vt_err_set(&e, VT_E_FORMAT, "PEM text contains a NUL byte");
        while (rc == VT_OK) {
            der.len = 0;
            rc = vt__pem_next(&der, (const char *)p, len, &pos, "X509 CRL", &e);
            if (rc == VT_E_NOTFOUND && blocks > 0) {
                rc = VT_OK;
                break;
            }
            if (rc == VT_OK)
                rc = crl_add(out, der.data, der.len, &e);
            blocks++;
        }
    } else {
        rc = crl_add(out, p, len, &e);
    }
    vt_buf_free(&der);
    if (rc != VT_OK) {
        while (out->count > before) {
            vt_crl_free(out->c[--out->count]);
            out->c[out->count] = NULL;
        }
        return vt_err_set(err, rc == VT_E_LIMIT ? VT_E_LIMIT : VT_E_FORMAT, "seal: EK CRL file %s: %s", what,
                          e.msg);
    }
    return VT_OK;
}

/* One CRL file; what it holds that is not CRLs is the operator's error (VT_E_ARG). */
static vt_status crl_file(void *ctx, const char *file, vt_err *err)
{
    vt_err e = { 0 }, r = { 0 };
    vt_status rc;
    vt_buf b;

    vt_buf_init(&b);
    rc = vt_file_read(&b, file, VT__TPM_EK_CRL_FILE_MAX, &r);
    if (rc == VT_OK)
        rc = vt__tpm_ek_crls_parse(ctx, b.data, b.len, file, &e);
    else
        rc = vt_err_set(&e, rc, "seal: EK CRL file %s: %s", file, r.msg);
    vt_buf_free(&b);
    return rc == VT_OK ? VT_OK : vt_err_set(err, rc == VT_E_IO ? VT_E_IO : VT_E_ARG, "%s", e.msg);
}

vt_status vt__tpm_ek_crls_load(vt__tpm_ek_crls *out, const char *path, vt_err *err)
{
    vt_status rc;

    rc = each_file(path, "EK CRLs", crl_file, out, err);
    if (rc == VT_OK && out->count == 0)
        rc = vt_err_set(err, VT_E_ARG, "seal: EK CRLs %s hold no CRL", path);
    return rc;
}

/* The length of the DER SEQUENCE starting r (header included), 0 when it is not one. */
static size_t der_seq_len(vt_rd *r)
{
    vt_rd h = *r;
    uint8_t b;
    size_t len = 0, hdr = 2;

    if (vt_rd_u8(&h) != 0x30)
        return 0;
    b = vt_rd_u8(&h);
    if (b < 0x80) {
        len = b;
    } else if (b >= 0x81 && b <= 0x83) { /* at most 16 MiB, far above any NV index */
        for (uint8_t i = 0; i < (uint8_t)(b & 0x7f); i++)
            len = (len << 8) | vt_rd_u8(&h);
        hdr += b & 0x7f;
    } else {
        return 0;
    }
    return vt_rd_ok(&h) ? hdr + len : 0;
}

static bool all_padding(const uint8_t *p, size_t n)
{
    size_t zeros = 0, ones = 0;

    for (size_t i = 0; i < n; i++) {
        zeros += p[i] == 0x00;
        ones += p[i] == 0xff;
    }
    return zeros == n || ones == n;
}

vt_status vt__tpm_ek_der_split(vt__tpm_ek_certs *out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_OK;
    size_t before = out->count;
    vt_rd r;

    vt_rd_init(&r, p, len);
    while (rc == VT_OK && r.left > 0 && !all_padding(r.p, r.left)) {
        size_t off = len - r.left, n = der_seq_len(&r);
        const uint8_t *der = n > 0 ? vt_rd_take(&r, n) : NULL;

        if (der == NULL) {
            rc = vt_err_set(err, VT_E_FORMAT, "seal: no DER certificate at offset %zu of %zu bytes", off, len);
        } else if (out->count == VT__TPM_EK_CERTS_MAX) {
            rc = vt_err_set(err, VT_E_LIMIT, "seal: more than %d certificates", VT__TPM_EK_CERTS_MAX);
        } else {
            rc = vt_x509_from_der(&out->c[out->count], der, n, err);
            if (rc == VT_OK)
                out->count++;
        }
    }
    if (rc == VT_OK && out->count == before)
        rc = vt_err_set(err, VT_E_FORMAT, "seal: %zu bytes hold no certificate", len);
    if (rc != VT_OK) {
        while (out->count > before) {
            vt_x509_free(out->c[--out->count]);
            out->c[out->count] = NULL;
        }
    }
    return rc;
}

static bool issued_by_name(const vt_x509 *child, const vt_x509 *parent)
{
    return X509_NAME_cmp(X509_get_issuer_name(vt__x509_get(child)), X509_get_subject_name(vt__x509_get(parent))) == 0;
}

typedef struct path_search {
    const vt__tpm_ek_certs *inter, *roots;
    vt_crl *const *crls; /* the newest CRL of each issuer; NULL: revocation not checked */
    size_t crl_count;
    vt_x509 *path[PATH_DEPTH + 1];
    vt_time now;
    size_t tried, nodes;
    vt_err first; /* why the first path that reached a root failed */
    bool have_first;
} path_search;

/* With CRLs, that every certificate of the verified path[0..n) below its root has a CRL of
 * its issuer among them (vt_chain_verify checked each such CRL: signature by the issuer's
 * key, time, and that it does not list the certificate). */
static vt_status crl_covered(const path_search *s, size_t n, vt_err *err)
{
    for (size_t i = 0; s->crls != NULL && i < n; i++) {
        X509 *x = vt__x509_get(s->path[i]);
        bool covered = self_issued(s->path[i]); /* the anchor */
        char subject[160], issuer[160];

        for (size_t k = 0; k < s->crl_count && !covered; k++)
            covered = X509_NAME_cmp(X509_CRL_get_issuer(vt__crl_get(s->crls[k])), X509_get_issuer_name(x)) == 0;
        if (!covered) {
            vt_x509_subject(s->path[i], subject, sizeof(subject));
            vt_x509_issuer(s->path[i], issuer, sizeof(issuer));
            return vt_err_set(err, VT_E_CRYPTO,
                              "crl: no CRL of %s among the EK CRLs, so whether it revoked %s cannot be checked", issuer,
                              subject);
        }
    }
    return VT_OK;
}

/* Depth-first: path[0..n) ends with a certificate; verify when a root names its issuer,
 * else extend it with each intermediate that does (none twice).  Bounded: PATH_DEPTH deep,
 * PATH_NODES extended, 64 paths verified. */
static bool search(path_search *s, size_t n)
{
    const vt_x509 *last = s->path[n - 1];
    bool anchored = false;

    for (size_t j = 0; j < s->roots->count && !anchored; j++)
        anchored = issued_by_name(last, s->roots->c[j]);
    if (anchored && s->tried < 64) {
        vt_chain_result cr;
        vt_err e = { 0 };

        s->tried++;
        if (vt_chain_verify(&cr, s->path, n, s->roots->c, s->roots->count, s->crls, s->crl_count, s->now, &e) ==
                VT_OK &&
            crl_covered(s, n, &e) == VT_OK)
            return true;
        if (!s->have_first) {
            s->first = e;
            s->have_first = true;
        }
    }
    if (n > PATH_DEPTH || self_issued(last) || ++s->nodes > PATH_NODES)
        return false;
    for (size_t i = 0; i < s->inter->count; i++) {
        bool used = false;

        for (size_t k = 0; k < n && !used; k++)
            used = s->path[k] == s->inter->c[i];
        if (used || !issued_by_name(last, s->inter->c[i]))
            continue;
        s->path[n] = s->inter->c[i];
        if (search(s, n + 1))
            return true;
    }
    return false;
}

/* Into use (crls->count entries), the CRLs of crls that no other CRL of the same issuer
 * name follows (a later thisUpdate): an operator's directory may keep last quarter's CRL
 * beside this one, and only the newest says what is revoked now.  Their count. */
static size_t crls_newest(vt_crl **use, const vt__tpm_ek_crls *crls)
{
    size_t n = 0;

    for (size_t i = 0; i < crls->count; i++) {
        const X509_NAME *name = X509_CRL_get_issuer(vt__crl_get(crls->c[i]));
        vt_time ti, tj;
        bool newer = false;

        vt_crl_validity(crls->c[i], &ti, NULL);
        for (size_t j = 0; j < crls->count && !newer; j++) {
            vt_crl_validity(crls->c[j], &tj, NULL);
            newer = tj > ti && X509_NAME_cmp(X509_CRL_get_issuer(vt__crl_get(crls->c[j])), name) == 0;
        }
        if (!newer)
            use[n++] = crls->c[i];
    }
    return n;
}

vt_status vt__tpm_ek_chain_verify(const vt_x509 *leaf, const vt__tpm_ek_certs *inter, const vt__tpm_ek_certs *roots,
                                  const vt__tpm_ek_crls *crls, vt_time now, vt_err *err)
{
    vt_crl *use[VT__TPM_EK_CRLS_MAX];
    path_search s;
    char issuer[160];

    memset(&s, 0, sizeof(s));
    s.inter = inter;
    s.roots = roots;
    if (crls != NULL) {
        s.crl_count = crls_newest(use, crls);
        s.crls = use;
    }
    s.now = now;
    s.path[0] = (vt_x509 *)leaf; /* vt_chain_verify only reads it */
    if (roots->count == 0)
        return vt_err_set(err, VT_E_ARG, "seal: no EK roots");
    if (search(&s, 1))
        return VT_OK;
    if (s.have_first)
        return vt_err_set(err, VT_E_CRYPTO, "%s", s.first.msg);
    vt_x509_issuer(leaf, issuer, sizeof(issuer));
    return vt_err_set(err, VT_E_CRYPTO, "chain: no path from the issuer %s to a trusted root", issuer);
}

/* PolicySecret(TPM_RH_ENDORSEMENT) in SHA-256, PolicyA, the authPolicy of the low-range
 * templates (B.3.2). */
static const uint8_t policy_a_sha256[32] = {
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
    0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

/* PolicyB, the authPolicy of the high-range templates (B.4): PolicyOR of PolicyA
 * (PolicySecret(TPM_RH_ENDORSEMENT)) and PolicyC (PolicyAuthorizeNV of the EK policy index
 * of that digest), all in the template's nameAlg.  SHA-384: H-3, H-6, H-7. */
static const uint8_t policy_b_sha384[48] = {
    0xb2, 0x6e, 0x7d, 0x28, 0xd1, 0x1a, 0x50, 0xbc, 0x53, 0xd8, 0x82, 0xbc, 0xf5, 0xfd, 0x3a, 0x1a,
    0x07, 0x41, 0x48, 0xbb, 0x35, 0xd3, 0xb4, 0xe4, 0xcb, 0x1c, 0x0a, 0xd9, 0xbd, 0xe4, 0x19, 0xca,
    0xcb, 0x47, 0xba, 0x09, 0x69, 0x96, 0x46, 0x15, 0x0f, 0x9f, 0xc0, 0x00, 0xf3, 0xf8, 0x0e, 0x12,
};

/* PolicyB in SHA-512: H-4. */
static const uint8_t policy_b_sha512[64] = {
    0xb8, 0x22, 0x1c, 0xa6, 0x9e, 0x85, 0x50, 0xa4, 0x91, 0x4d, 0xe3, 0xfa, 0xa6, 0xa1, 0x8c, 0x07,
    0x2c, 0xc0, 0x12, 0x08, 0x07, 0x3a, 0x92, 0x8d, 0x5d, 0x66, 0xd5, 0x9e, 0xf7, 0x9e, 0x49, 0xa4,
    0x29, 0xc4, 0x1a, 0x6b, 0x26, 0x95, 0x71, 0xd5, 0x7e, 0xdb, 0x25, 0xfb, 0xdb, 0x18, 0x38, 0x42,
    0x56, 0x08, 0xb4, 0x13, 0xcd, 0x61, 0x6a, 0x5f, 0x6d, 0xb5, 0xb6, 0x07, 0x1a, 0xf9, 0x9b, 0xea,
};

/* One EK kind: where its certificate is and what its template holds. */
typedef struct ek_kind_info {
    uint32_t nv;
    const char *name;
    TPMI_ALG_PUBLIC type;
    uint16_t param;          /* the curve (ECC) or the key's bits (RSA) */
    TPMI_ALG_HASH name_alg;
    const uint8_t *policy;   /* authPolicy */
    uint16_t policy_len;
    uint16_t aes_bits;       /* the symmetric key of its children: AES-CFB */
    uint16_t key_len;        /* bytes of x and of y, or of the modulus */
    bool low;                /* low range: userWithAuth clear, unique = key_len zero bytes (each of x, y) */
} ek_kind_info;

static const ek_kind_info kinds[VT__TPM_EK_KINDS] = {
    [VT__TPM_EK_ECC_P256] = { VT__TPM_EK_NV_ECC256, "ECC NIST P-256", TPM2_ALG_ECC, TPM2_ECC_NIST_P256,
                              TPM2_ALG_SHA256, policy_a_sha256, 32, 128, 32, true },
    [VT__TPM_EK_ECC_P384] = { VT__TPM_EK_NV_ECC384, "ECC NIST P-384", TPM2_ALG_ECC, TPM2_ECC_NIST_P384,
                              TPM2_ALG_SHA384, policy_b_sha384, 48, 256, 48, false },
    [VT__TPM_EK_ECC_P521] = { VT__TPM_EK_NV_ECC521, "ECC NIST P-521", TPM2_ALG_ECC, TPM2_ECC_NIST_P521,
                              TPM2_ALG_SHA512, policy_b_sha512, 64, 256, 66, false },
    [VT__TPM_EK_RSA_2048] = { VT__TPM_EK_NV_RSA2048, "RSA 2048", TPM2_ALG_RSA, 2048, TPM2_ALG_SHA256,
                              policy_a_sha256, 32, 128, 256, true },
    [VT__TPM_EK_RSA_3072] = { VT__TPM_EK_NV_RSA3072, "RSA 3072", TPM2_ALG_RSA, 3072, TPM2_ALG_SHA384,
                              policy_b_sha384, 48, 256, 384, false },
    [VT__TPM_EK_RSA_4096] = { VT__TPM_EK_NV_RSA4096, "RSA 4096", TPM2_ALG_RSA, 4096, TPM2_ALG_SHA384,
                              policy_b_sha384, 48, 256, 512, false },
};

uint32_t vt__tpm_ek_nv_index(vt__tpm_ek_kind kind)
{
    return (unsigned)kind < VT__TPM_EK_KINDS ? kinds[kind].nv : 0;
}

const char *vt__tpm_ek_name(vt__tpm_ek_kind kind)
{
    return (unsigned)kind < VT__TPM_EK_KINDS ? kinds[kind].name : "?";
}

size_t vt__tpm_ek_key_len(vt__tpm_ek_kind kind)
{
    return (unsigned)kind < VT__TPM_EK_KINDS ? kinds[kind].key_len : 0;
}

void vt__tpm_ek_template(TPM2B_PUBLIC *t, vt__tpm_ek_kind kind)
{
    const ek_kind_info *k = &kinds[(unsigned)kind < VT__TPM_EK_KINDS ? kind : 0];
    TPMT_PUBLIC *p = &t->publicArea;
    TPMT_SYM_DEF_OBJECT *sym;

    memset(t, 0, sizeof(*t));
    p->type = k->type;
    p->nameAlg = k->name_alg;
    /* 0x000300b2: fixedTPM, fixedParent, sensitiveDataOrigin, adminWithPolicy, restricted,
     * decrypt; the high range's 0x000300f2 sets userWithAuth too (B.4). */
    p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                          TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
    if (!k->low)
        p->objectAttributes |= TPMA_OBJECT_USERWITHAUTH;
    p->authPolicy.size = k->policy_len;
    memcpy(p->authPolicy.buffer, k->policy, k->policy_len);
    if (k->type == TPM2_ALG_ECC) {
        sym = &p->parameters.eccDetail.symmetric;
        p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
        p->parameters.eccDetail.curveID = k->param;
        p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
        if (k->low) { /* key_len zero bytes each; the high range's are empty */
            p->unique.ecc.x.size = k->key_len;
            p->unique.ecc.y.size = k->key_len;
        }
    } else {
        sym = &p->parameters.rsaDetail.symmetric;
        p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
        p->parameters.rsaDetail.keyBits = k->param;
        p->parameters.rsaDetail.exponent = 0;
        if (k->low)
            p->unique.rsa.size = k->key_len;
    }
    sym->algorithm = TPM2_ALG_AES;
    sym->keyBits.aes = k->aes_bits;
    sym->mode.aes = TPM2_ALG_CFB;
}

vt_status vt__tpm_ek_of_template(const TPMT_PUBLIC *pub, vt__tpm_ek_kind kind, vt_err *err)
{
    TPM2B_PUBLIC t;
    TPMT_PUBLIC got;
    uint8_t a[sizeof(TPMT_PUBLIC)], b[sizeof(TPMT_PUBLIC)];
    size_t al = 0, bl = 0, n = vt__tpm_ek_key_len(kind);
    bool sized;

    vt__tpm_ek_template(&t, kind);
    /* The key's size in unique, then everything else byte for byte as marshalled. */
    if (t.publicArea.type != pub->type)
        sized = false;
    else if (pub->type == TPM2_ALG_ECC)
        sized = pub->unique.ecc.x.size == n && pub->unique.ecc.y.size == n;
    else
        sized = pub->type == TPM2_ALG_RSA && pub->unique.rsa.size == n;
    got = *pub;
    got.unique = t.publicArea.unique;
    if (!sized || Tss2_MU_TPMT_PUBLIC_Marshal(&t.publicArea, a, sizeof(a), &al) != TSS2_RC_SUCCESS ||
        Tss2_MU_TPMT_PUBLIC_Marshal(&got, b, sizeof(b), &bl) != TSS2_RC_SUCCESS || al != bl ||
        !vt_ct_equal(a, b, al))
        return vt_err_set(err, VT_E_CRYPTO, "seal: the TPM's EK is not of the %s EK template it was asked for",
                          vt__tpm_ek_name(kind));
    return VT_OK;
}

/* The key pub holds: ECC P-256, P-384, P-521 or RSA 2048, 3072, 4096, as the EK templates
 * make. */
static vt_status pub_key(vt_pkey **out, const TPMT_PUBLIC *pub, vt_err *err)
{
    *out = NULL;
    if (pub->type == TPM2_ALG_ECC) {
        TPMI_ECC_CURVE curve = pub->parameters.eccDetail.curveID;
        size_t n = curve == TPM2_ECC_NIST_P256   ? 32
                   : curve == TPM2_ECC_NIST_P384 ? 48
                   : curve == TPM2_ECC_NIST_P521 ? 66
                                                 : 0;
        uint8_t xy[2 * 66];

        if (n == 0 || pub->unique.ecc.x.size != n || pub->unique.ecc.y.size != n)
            return vt_err_set(err, VT_E_FORMAT, "seal: the TPM's EK is not an ECC P-256, P-384 or P-521 key");
        memcpy(xy, pub->unique.ecc.x.buffer, n);
        memcpy(xy + n, pub->unique.ecc.y.buffer, n);
        return vt_pkey_from_ec_raw(out, n == 32 ? VT_KEY_EC_P256 : n == 48 ? VT_KEY_EC_P384 : VT_KEY_EC_P521, xy,
                                   2 * n, err);
    }
    if (pub->type == TPM2_ALG_RSA) {
        uint32_t x = pub->parameters.rsaDetail.exponent != 0 ? pub->parameters.rsaDetail.exponent : 65537;
        uint8_t e[4] = { (uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x };
        TPMI_RSA_KEY_BITS bits = pub->parameters.rsaDetail.keyBits;

        if ((bits != 2048 && bits != 3072 && bits != 4096) || pub->unique.rsa.size != bits / 8)
            return vt_err_set(err, VT_E_FORMAT, "seal: the TPM's EK is not an RSA 2048, 3072 or 4096 key");
        return vt_pkey_from_rsa_raw(out, pub->unique.rsa.buffer, pub->unique.rsa.size, e, sizeof(e), err);
    }
    return vt_err_set(err, VT_E_FORMAT, "seal: the TPM's EK is of type 0x%04x, not ECC or RSA", pub->type);
}

vt_status vt__tpm_ek_matches(const TPMT_PUBLIC *pub, const vt_x509 *cert, vt_err *err)
{
    vt_status rc;
    vt_pkey *tk = NULL, *ck = NULL;
    uint8_t th[32], ch[32];

    rc = pub_key(&tk, pub, err);
    if (rc == VT_OK)
        rc = vt_x509_pubkey(&ck, cert, err);
    if (rc == VT_OK)
        rc = vt_pkey_spki_sha256(th, tk, err);
    if (rc == VT_OK)
        rc = vt_pkey_spki_sha256(ch, ck, err);
    if (rc == VT_OK && !vt_ct_equal(th, ch, sizeof(th)))
        rc = vt_err_set(err, VT_E_CRYPTO,
                        "seal: the TPM's EK public key differs from its EK certificate's (a TPM answering with "
                        "another's certificate)");
    vt_pkey_free(tk);
    vt_pkey_free(ck);
    return rc;
}
