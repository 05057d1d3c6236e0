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

vt_status vt__tpm_ek_trust_load(vt__tpm_ek_certs *roots, vt__tpm_ek_certs *inter, const char *path, vt_err *err)
{
    vt_status rc = VT_OK;
    struct stat st;
    DIR *d = NULL;
    struct dirent *e;

    if (path == NULL || *path == '\0' || stat(path, &st) != 0)
        return vt_err_set(err, VT_E_ARG, "seal: EK roots %s: no such file or directory", path != NULL ? path : "");
    if (!S_ISDIR(st.st_mode)) {
        rc = load_file(roots, inter, path, err);
    } else {
        d = opendir(path);
        if (d == NULL)
            return vt_err_set(err, VT_E_IO, "seal: EK roots directory %s cannot be read", path);
        while (rc == VT_OK && (e = readdir(d)) != NULL) {
            char f[4096];
            int n;

            if (e->d_name[0] == '.')
                continue;
            n = snprintf(f, sizeof(f), "%s/%s", path, e->d_name);
            if (n < 0 || (size_t)n >= sizeof(f)) {
                rc = vt_err_set(err, VT_E_ARG, "seal: EK roots path too long");
            } else if (stat(f, &st) == 0 && S_ISREG(st.st_mode)) {
                rc = load_file(roots, inter, f, err);
            }
        }
        closedir(d);
    }
    if (rc == VT_OK && roots->count == 0)
        rc = vt_err_set(err, VT_E_ARG, "seal: EK roots %s hold no self-signed (root) certificate", path);
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
    vt_x509 *path[PATH_DEPTH + 1];
    vt_time now;
    size_t tried, nodes;
    vt_err first; /* why the first path that reached a root failed */
    bool have_first;
} path_search;

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
        if (vt_chain_verify(&cr, s->path, n, s->roots->c, s->roots->count, NULL, 0, s->now, &e) == VT_OK)
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

vt_status vt__tpm_ek_chain_verify(const vt_x509 *leaf, const vt__tpm_ek_certs *inter, const vt__tpm_ek_certs *roots,
                                  vt_time now, vt_err *err)
{
    path_search s;
    char issuer[160];

    memset(&s, 0, sizeof(s));
    s.inter = inter;
    s.roots = roots;
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

uint32_t vt__tpm_ek_nv_index(vt__tpm_ek_kind kind)
{
    static const uint32_t idx[VT__TPM_EK_KINDS] = { VT__TPM_EK_NV_ECC256, VT__TPM_EK_NV_ECC384,
                                                    VT__TPM_EK_NV_RSA2048 };

    return (unsigned)kind < VT__TPM_EK_KINDS ? idx[kind] : 0;
}

const char *vt__tpm_ek_name(vt__tpm_ek_kind kind)
{
    static const char *const name[VT__TPM_EK_KINDS] = { "ECC NIST P-256", "ECC NIST P-384", "RSA 2048" };

    return (unsigned)kind < VT__TPM_EK_KINDS ? name[kind] : "?";
}

/* PolicySecret(TPM_RH_ENDORSEMENT) in SHA-256, PolicyA, the authPolicy of the low-range
 * templates (B.3.2). */
static const uint8_t policy_a_sha256[32] = {
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
    0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

/* PolicyB in SHA-384, the authPolicy of the SHA-384 high-range templates (B.4): PolicyOR of
 * PolicyA (PolicySecret(TPM_RH_ENDORSEMENT)) and PolicyC (PolicyAuthorizeNV of the EK policy
 * index), both in SHA-384. */
static const uint8_t policy_b_sha384[48] = {
    0xb2, 0x6e, 0x7d, 0x28, 0xd1, 0x1a, 0x50, 0xbc, 0x53, 0xd8, 0x82, 0xbc, 0xf5, 0xfd, 0x3a, 0x1a,
    0x07, 0x41, 0x48, 0xbb, 0x35, 0xd3, 0xb4, 0xe4, 0xcb, 0x1c, 0x0a, 0xd9, 0xbd, 0xe4, 0x19, 0xca,
    0xcb, 0x47, 0xba, 0x09, 0x69, 0x96, 0x46, 0x15, 0x0f, 0x9f, 0xc0, 0x00, 0xf3, 0xf8, 0x0e, 0x12,
};

static void ecc_template(TPMT_PUBLIC *p, TPMI_ECC_CURVE curve, uint16_t aes_bits)
{
    p->type = TPM2_ALG_ECC;
    p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
    p->parameters.eccDetail.symmetric.keyBits.aes = aes_bits;
    p->parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
    p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    p->parameters.eccDetail.curveID = curve;
    p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
}

void vt__tpm_ek_template(TPM2B_PUBLIC *t, vt__tpm_ek_kind kind)
{
    TPMT_PUBLIC *p = &t->publicArea;

    memset(t, 0, sizeof(*t));
    /* 0x000300b2: fixedTPM, fixedParent, sensitiveDataOrigin, adminWithPolicy, restricted, decrypt */
    p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                          TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
    if (kind == VT__TPM_EK_ECC_P384) {
        /* H-3: 0x000300f2, userWithAuth set (B.4); SHA-384, PolicyB, AES-256, unique empty. */
        p->objectAttributes |= TPMA_OBJECT_USERWITHAUTH;
        p->nameAlg = TPM2_ALG_SHA384;
        p->authPolicy.size = sizeof(policy_b_sha384);
        memcpy(p->authPolicy.buffer, policy_b_sha384, sizeof(policy_b_sha384));
        ecc_template(p, TPM2_ECC_NIST_P384, 256);
        return;
    }
    p->nameAlg = TPM2_ALG_SHA256;
    p->authPolicy.size = sizeof(policy_a_sha256);
    memcpy(p->authPolicy.buffer, policy_a_sha256, sizeof(policy_a_sha256));
    if (kind == VT__TPM_EK_ECC_P256) {
        ecc_template(p, TPM2_ECC_NIST_P256, 128);
        p->unique.ecc.x.size = 32; /* 32 zero bytes each */
        p->unique.ecc.y.size = 32;
    } else {
        p->type = TPM2_ALG_RSA;
        p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
        p->parameters.rsaDetail.symmetric.keyBits.aes = 128;
        p->parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
        p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
        p->parameters.rsaDetail.keyBits = 2048;
        p->parameters.rsaDetail.exponent = 0;
        p->unique.rsa.size = 256; /* 256 zero bytes */
    }
}

vt_status vt__tpm_ek_of_template(const TPMT_PUBLIC *pub, vt__tpm_ek_kind kind, vt_err *err)
{
    TPM2B_PUBLIC t;
    TPMT_PUBLIC got;
    uint8_t a[sizeof(TPMT_PUBLIC)], b[sizeof(TPMT_PUBLIC)];
    size_t al = 0, bl = 0, n;
    bool sized;

    vt__tpm_ek_template(&t, kind);
    /* The key's size in unique, then everything else byte for byte as marshalled. */
    n = kind == VT__TPM_EK_ECC_P384 ? 48 : kind == VT__TPM_EK_ECC_P256 ? 32 : 256;
    if (pub->type == TPM2_ALG_ECC)
        sized = kind != VT__TPM_EK_RSA_2048 && pub->unique.ecc.x.size == n && pub->unique.ecc.y.size == n;
    else
        sized = kind == VT__TPM_EK_RSA_2048 && pub->type == TPM2_ALG_RSA && pub->unique.rsa.size == n;
    got = *pub;
    got.unique = t.publicArea.unique;
    if (!sized || Tss2_MU_TPMT_PUBLIC_Marshal(&t.publicArea, a, sizeof(a), &al) != TSS2_RC_SUCCESS ||
        Tss2_MU_TPMT_PUBLIC_Marshal(&got, b, sizeof(b), &bl) != TSS2_RC_SUCCESS || al != bl ||
        !vt_ct_equal(a, b, al))
        return vt_err_set(err, VT_E_CRYPTO, "seal: the TPM's EK is not of the %s EK template it was asked for",
                          vt__tpm_ek_name(kind));
    return VT_OK;
}

/* The key pub holds: ECC P-256, P-384 or RSA 2048, as the EK templates make. */
static vt_status pub_key(vt_pkey **out, const TPMT_PUBLIC *pub, vt_err *err)
{
    *out = NULL;
    if (pub->type == TPM2_ALG_ECC) {
        TPMI_ECC_CURVE curve = pub->parameters.eccDetail.curveID;
        size_t n = curve == TPM2_ECC_NIST_P256 ? 32 : curve == TPM2_ECC_NIST_P384 ? 48 : 0;
        uint8_t xy[96];

        if (n == 0 || pub->unique.ecc.x.size != n || pub->unique.ecc.y.size != n)
            return vt_err_set(err, VT_E_FORMAT, "seal: the TPM's EK is not an ECC P-256 or P-384 key");
        memcpy(xy, pub->unique.ecc.x.buffer, n);
        memcpy(xy + n, pub->unique.ecc.y.buffer, n);
        return vt_pkey_from_ec_raw(out, n == 32 ? VT_KEY_EC_P256 : VT_KEY_EC_P384, xy, 2 * n, err);
    }
    if (pub->type == TPM2_ALG_RSA) {
        uint32_t x = pub->parameters.rsaDetail.exponent != 0 ? pub->parameters.rsaDetail.exponent : 65537;
        uint8_t e[4] = { (uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x };

        if (pub->parameters.rsaDetail.keyBits != 2048 || pub->unique.rsa.size != 256)
            return vt_err_set(err, VT_E_FORMAT, "seal: the TPM's EK is not an RSA 2048 key");
        return vt_pkey_from_rsa_raw(out, pub->unique.rsa.buffer, 256, e, sizeof(e), err);
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
