/*
 * AMD SEV-SNP plugin: verifies a raw 1184-byte attestation report (versions
 * 2..5; Milan, Genoa, Turin).  The VCEK or VLEK certificate comes from the
 * collateral (DER or PEM blobs, recognized by content; optional ASK/ASVK and
 * CRLs beside it); the ASK/ASVK are also pinned, and the chain must end at a
 * pinned AMD ARK.  A VCEK nobody passed comes from the fetch cache or, with
 * opts->fetch, from AMD KDS (tee/sevsnp_kds.c), and is verified the same way.
 * Order of checks and the verdict mapping are in docs/formats/sevsnp.md.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tee/collect.h"
#include "tee/cache.h"
#include "tee/plugin.h"
#include "tee/fetch.h"
#include "tee/sevsnp_kds.h"
#include "tee/sevsnp_report.h"

#define SNP_MAX_CERTS 16
#define SNP_MAX_CRLS 8
#define SNP_OID_TCB "1.3.6.1.4.1.3704.1.3."
#define SNP_OID_HWID "1.3.6.1.4.1.3704.1.4"
#define SNP_OID_PRODUCT "1.3.6.1.4.1.3704.1.2"
#define SNP_VCEK_CN "SEV-VCEK"
#define SNP_VLEK_CN "SEV-VLEK"

enum { SNP_MILAN = 0, SNP_GENOA = 1, SNP_TURIN = 2, SNP_UNKNOWN = -1 };
static const char *const product_names[VT_AMD_PRODUCTS] = { "Milan", "Genoa", "Turin" };

typedef vt__snp_tcb snp_tcb;

/* A verified VCEK/VLEK chain: cacheable.  Extension values are stored as
 * read; they are compared with each report on every verification. */
typedef struct snp_chain {
    vt__cached base;
    vt_pkey *leaf_key;
    char leaf_subject[232];
    bool vlek;
    int product;
    bool tcb_ok;           /* every needed TCB extension present and readable */
    char tcb_problem[128];
    snp_tcb tcb;
    uint8_t hwid[64];
    size_t hwid_len;       /* 0 when absent */
    vt_time not_before, not_after;
    size_t root_index;
    size_t crls_checked;
} snp_chain;

/* Certificates and CRLs found in the collateral; all owned. */
typedef struct snp_coll {
    vt_x509 *certs[SNP_MAX_CERTS];
    size_t cert_count;
    vt_crl *crls[SNP_MAX_CRLS];
    size_t crl_count;
} snp_coll;

typedef struct snp_ctx {
    const vt__verify_req *req;
    vt_result *res;
    vt_time now;
    vt__snp_report r;
    snp_coll coll;
    bool have_coll;
    uint8_t coll_digest[32];
    snp_chain *chain;
    bool chain_ok;
    vt_buf kds_crl;          /* the ARK's CRL from the fetch cache or AMD KDS; empty when none */
    uint8_t kds_crl_digest[32];
    char kds_crl_url[VT_FETCH_URL_MAX]; /* where it came from */
    const vt_x509 *kds_vcek;             /* the VCEK from the fetch cache or AMD KDS (in coll), or NULL */
    char kds_vcek_url[VT_FETCH_URL_MAX];
} snp_ctx;

static void chain_destroy(vt__cached *base)
{
    snp_chain *c = (snp_chain *)base;

    vt_pkey_free(c->leaf_key);
    free(c);
}

static void coll_free(snp_coll *c)
{
    for (size_t i = 0; i < c->cert_count; i++)
        vt_x509_free(c->certs[i]);
    for (size_t i = 0; i < c->crl_count; i++)
        vt_crl_free(c->crls[i]);
    memset(c, 0, sizeof(*c));
}

/* ---- TCB_VERSION per product ---- */

static snp_tcb tcb_decode(const uint8_t b[8], int product)
{
    return vt__snp_tcb_decode(b, product == SNP_TURIN);
}

static bool tcb_equal(const snp_tcb *a, const snp_tcb *b)
{
    return a->fmc == b->fmc && a->bl == b->bl && a->tee == b->tee && a->snp == b->snp && a->ucode == b->ucode;
}

static bool tcb_le(const snp_tcb *a, const snp_tcb *b)
{
    return a->fmc <= b->fmc && a->bl <= b->bl && a->tee <= b->tee && a->snp <= b->snp && a->ucode <= b->ucode;
}

static void tcb_format(char *out, size_t len, const snp_tcb *t, int product)
{
    if (product == SNP_TURIN)
        snprintf(out, len, "fmc %u bl %u tee %u snp %u ucode %u", t->fmc, t->bl, t->tee, t->snp, t->ucode);
    else
        snprintf(out, len, "bl %u tee %u snp %u ucode %u", t->bl, t->tee, t->snp, t->ucode);
}

/* ---- VCEK/VLEK extensions ---- */

/* A DER INTEGER 0..255: 02 01 xx (xx < 0x80) or 02 02 00 xx (xx >= 0x80). */
static bool der_small_uint(uint8_t *out, const uint8_t *p, size_t len)
{
    vt_rd r;
    uint8_t tag, n, v;

    vt_rd_init(&r, p, len);
    tag = vt_rd_u8(&r);
    n = vt_rd_u8(&r);
    if (tag != 0x02 || (n != 1 && n != 2))
        return false;
    if (n == 2 && vt_rd_u8(&r) != 0x00)
        return false;
    v = vt_rd_u8(&r);
    if (!vt_rd_ok_and_empty(&r))
        return false;
    if ((n == 1 && v >= 0x80) || (n == 2 && v < 0x80))
        return false; /* negative, or not minimal */
    *out = v;
    return true;
}

static bool ext_spl(uint8_t *out, const vt_x509 *c, unsigned arc)
{
    char oid[48];
    const uint8_t *v = NULL;
    size_t len = 0;

    snprintf(oid, sizeof(oid), SNP_OID_TCB "%u", arc);
    return vt_x509_ext(c, oid, &v, &len, NULL) == VT_OK && der_small_uint(out, v, len);
}

/* Reads the TCB and hwID extensions of a leaf for a product line. */
static void read_leaf_ext(snp_chain *ch, const vt_x509 *leaf)
{
    static const struct {
        unsigned arc;
        const char *name;
        size_t off;
    } spl[] = {
        { 1, "blSPL", offsetof(snp_tcb, bl) },   { 2, "teeSPL", offsetof(snp_tcb, tee) },
        { 3, "snpSPL", offsetof(snp_tcb, snp) }, { 8, "ucodeSPL", offsetof(snp_tcb, ucode) },
        { 9, "fmcSPL", offsetof(snp_tcb, fmc) },
    };
    const uint8_t *v = NULL;
    size_t len = 0;

    ch->tcb_ok = true;
    memset(&ch->tcb, 0, sizeof(ch->tcb));
    for (size_t i = 0; i < sizeof(spl) / sizeof(spl[0]); i++) {
        if (spl[i].arc == 9 && ch->product != SNP_TURIN)
            continue;
        if (!ext_spl((uint8_t *)&ch->tcb + spl[i].off, leaf, spl[i].arc)) {
            ch->tcb_ok = false;
            snprintf(ch->tcb_problem, sizeof(ch->tcb_problem), "%s (OID " SNP_OID_TCB "%u) missing or malformed",
                     spl[i].name, spl[i].arc);
            break;
        }
    }
    ch->hwid_len = 0;
    if (vt_x509_ext(leaf, SNP_OID_HWID, &v, &len, NULL) == VT_OK && len > 0 && len <= sizeof(ch->hwid)) {
        memcpy(ch->hwid, v, len);
        ch->hwid_len = len;
    }
}

/* Product line from the leaf's issuer CN: SEV-<P> for a VCEK, SEV-VLEK-<P> for a VLEK. */
static int product_of_issuer(const char *cn, bool vlek)
{
    const char *prefix = vlek ? "SEV-VLEK-" : "SEV-";
    size_t pl = strlen(prefix);

    if (strncmp(cn, prefix, pl) != 0)
        return SNP_UNKNOWN;
    for (int i = 0; i < VT_AMD_PRODUCTS; i++)
        if (strcmp(cn + pl, product_names[i]) == 0)
            return i;
    return SNP_UNKNOWN;
}

/* ---- collateral ---- */

static bool looks_pem(const uint8_t *p, size_t len, const char *label)
{
    size_t ll = strlen(label);

    for (size_t i = 0; i + ll <= len && i < 4096; i++)
        if (memcmp(p + i, label, ll) == 0)
            return true;
    return false;
}

/* Every certificate and CRL in the collateral; other blobs are ignored
 * (nothing in them could be trusted anyway).  Fails on a limit or on a blob
 * that claims to be a certificate or CRL but does not parse. */
static vt_status coll_load(snp_coll *out, const vt_collateral *c, vt_err *err)
{
    size_t n = c == NULL ? 0 : vt_collateral_count(c);

    for (size_t i = 0; i < n; i++) {
        const char *name = NULL;
        size_t len = 0;
        const uint8_t *p = vt_collateral_get(c, i, &name, &len);
        vt_x509 *x = NULL;
        vt_crl *crl = NULL;

        if (p == NULL || len == 0)
            continue;
        if (looks_pem(p, len, "-----BEGIN CERTIFICATE-----")) {
            vt_err e = { 0 };

            if (vt_x509_list_from_pem(out->certs, &out->cert_count, SNP_MAX_CERTS, (const char *)p, len, &e) !=
                VT_OK)
                return vt_err_set(err, e.code == VT_E_LIMIT ? VT_E_LIMIT : VT_E_FORMAT,
                                  "sevsnp: collateral %s: certificates do not parse (%s)", name ? name : "?", e.msg);
            continue;
        }
        if (looks_pem(p, len, "-----BEGIN X509 CRL-----")) {
            if (out->crl_count >= SNP_MAX_CRLS)
                return vt_err_set(err, VT_E_LIMIT, "sevsnp: collateral holds more than %d CRLs", SNP_MAX_CRLS);
            if (vt_crl_parse(&crl, p, len, NULL) != VT_OK)
                return vt_err_set(err, VT_E_FORMAT, "sevsnp: collateral %s: CRL does not parse", name ? name : "?");
            out->crls[out->crl_count++] = crl;
            continue;
        }
        if (p[0] != 0x30)
            continue; /* neither PEM nor DER: not for us */
        if (vt_x509_from_der(&x, p, len, NULL) == VT_OK) {
            if (out->cert_count >= SNP_MAX_CERTS) {
                vt_x509_free(x);
                return vt_err_set(err, VT_E_LIMIT, "sevsnp: collateral holds more than %d certificates",
                                  SNP_MAX_CERTS);
            }
            out->certs[out->cert_count++] = x;
            continue;
        }
        if (vt_crl_parse(&crl, p, len, NULL) == VT_OK) {
            if (out->crl_count >= SNP_MAX_CRLS) {
                vt_crl_free(crl);
                return vt_err_set(err, VT_E_LIMIT, "sevsnp: collateral holds more than %d CRLs", SNP_MAX_CRLS);
            }
            out->crls[out->crl_count++] = crl;
        }
    }
    return VT_OK;
}

/* ---- the chain ---- */

static bool is_self_issued(const vt_x509 *c)
{
    char s[256], i[256];

    vt_x509_subject(c, s, sizeof(s));
    vt_x509_issuer(c, i, sizeof(i));
    return strcmp(s, i) == 0;
}

/* True when this leaf's extensions fit the report (used only to choose among
 * several candidate leaves; the checks themselves run later). */
static bool leaf_fits(snp_ctx *x, const vt_x509 *leaf, bool vlek)
{
    snp_chain tmp;
    char cn[128];
    snp_tcb rep;

    memset(&tmp, 0, sizeof(tmp));
    vt_x509_issuer(leaf, cn, sizeof(cn));
    tmp.vlek = vlek;
    tmp.product = SNP_UNKNOWN;
    for (int p = 0; p < VT_AMD_PRODUCTS && tmp.product == SNP_UNKNOWN; p++) {
        char want[32];

        snprintf(want, sizeof(want), "CN=%s%s", vlek ? "SEV-VLEK-" : "SEV-", product_names[p]);
        if (strstr(cn, want) != NULL)
            tmp.product = p;
    }
    if (tmp.product == SNP_UNKNOWN)
        return false;
    read_leaf_ext(&tmp, leaf);
    rep = tcb_decode(x->r.reported_tcb, tmp.product);
    if (!tmp.tcb_ok || !tcb_equal(&tmp.tcb, &rep))
        return false;
    return vlek || (tmp.hwid_len > 0 && vt_ct_equal(tmp.hwid, x->r.chip_id, tmp.hwid_len));
}

/* Finds the leaf for the report's signing key among the collateral certificates. */
static const vt_x509 *pick_leaf(snp_ctx *x, bool vlek)
{
    const vt_x509 *first = NULL;
    char cn[128];

    for (size_t i = 0; i < x->coll.cert_count; i++) {
        vt_x509_subject_cn(x->coll.certs[i], cn, sizeof(cn));
        if (strcmp(cn, vlek ? SNP_VLEK_CN : SNP_VCEK_CN) != 0 || is_self_issued(x->coll.certs[i]))
            continue;
        if (first == NULL)
            first = x->coll.certs[i];
        if (leaf_fits(x, x->coll.certs[i], vlek))
            return x->coll.certs[i];
    }
    return first;
}

static void chain_build(snp_ctx *x, snp_chain *ch)
{
    const vt__verify_req *req = x->req;
    uint32_t signing = SNP_INFO_SIGNING_KEY(x->r.signer_info);
    const vt_x509 *leaf;
    vt_x509 *pinned[2 * VT_AMD_PRODUCTS] = { NULL };
    vt_x509 *inters[2 * VT_AMD_PRODUCTS + SNP_MAX_CERTS];
    size_t ni = 0;
    char issuer[256], subj[256], cn[128], want[32];
    size_t vi = 0;
    int ip;
    vt_err e = { 0 };
    vt_chain_result cr;
    bool verified = false;

    if (signing != SNP_SIGNING_VCEK && signing != SNP_SIGNING_VLEK) {
        vt__result_fail(x->res, "signing_key", "sevsnp: signing_key %u is neither VCEK (0) nor VLEK (1)", signing);
        return;
    }
    ch->vlek = signing == SNP_SIGNING_VLEK;
    leaf = pick_leaf(x, ch->vlek);
    if (leaf == NULL) {
        if (ch->vlek)
            vt__result_fail(x->res, "vcek_chain",
                            "sevsnp: vlek certificate missing: pass it as collateral (CN=%s); AMD KDS does not serve "
                            "VLEKs, take it from the report's certificate table",
                            SNP_VLEK_CN);
        else
            vt__result_fail(x->res, "vcek_chain",
                            "sevsnp: vcek certificate missing: pass it as collateral (CN=%s), or allow fetching it "
                            "from AMD KDS (--fetch)",
                            SNP_VCEK_CN);
        return;
    }
    vt_x509_subject(leaf, ch->leaf_subject, sizeof(ch->leaf_subject));
    if (vt_x509_pubkey(&ch->leaf_key, leaf, &e) != VT_OK || vt_pkey_type(ch->leaf_key) != VT_KEY_EC_P384) {
        vt__result_fail(x->res, "vcek_chain", "sevsnp: %s key is not ECDSA P-384", ch->vlek ? "vlek" : "vcek");
        vt_pkey_free(ch->leaf_key);
        ch->leaf_key = NULL;
        return;
    }
    /* Intermediates named as the leaf's issuer: pinned ones first, then the collateral's. */
    vt_x509_issuer(leaf, issuer, sizeof(issuer));
    if (vt__roots_amd_intermediates(pinned, &e) != VT_OK) {
        vt__result_fail(x->res, "vcek_chain", "%s", e.msg);
        return;
    }
    for (size_t i = 0; i < 2 * VT_AMD_PRODUCTS; i++) {
        vt_x509_subject(pinned[i], subj, sizeof(subj));
        if (strcmp(subj, issuer) == 0)
            inters[ni++] = pinned[i];
    }
    for (size_t i = 0; i < x->coll.cert_count; i++) {
        vt_x509_subject(x->coll.certs[i], subj, sizeof(subj));
        if (strcmp(subj, issuer) == 0 && !is_self_issued(x->coll.certs[i]))
            inters[ni++] = x->coll.certs[i];
    }
    if (ni == 0) {
        vt__result_fail(x->res, "vcek_chain", "sevsnp: %s issuer %s is not a known ASK/ASVK",
                        ch->vlek ? "vlek" : "vcek", issuer);
        return;
    }
    for (size_t i = 0; i < ni && !verified; i++) {
        vt_x509 *chain[2] = { (vt_x509 *)leaf, inters[i] };

        if (vt_chain_verify(&cr, chain, 2, req->roots, req->root_count, x->coll.crls, x->coll.crl_count, x->now,
                            &e) == VT_OK) {
            verified = true;
            vi = i;
        }
    }
    if (!verified) {
        vt__result_fail(x->res, "vcek_chain", "sevsnp: %s chain does not verify: %s", ch->vlek ? "vlek" : "vcek",
                        e.msg);
        return;
    }
    /* The anchor names the product line. */
    ch->product = SNP_UNKNOWN;
    vt_x509_subject_cn(req->roots[cr.root_index], cn, sizeof(cn));
    for (int p = 0; p < VT_AMD_PRODUCTS; p++) {
        snprintf(want, sizeof(want), "ARK-%s", product_names[p]);
        if (strcmp(cn, want) == 0)
            ch->product = p;
    }
    if (ch->product == SNP_UNKNOWN && cr.root_index >= req->prod_root_count) {
        /* The simulation root (trusted only with trust_sim, never hardware
         * attested) has no product line: its ASK's CN names it. */
        char ask_cn[128];

        vt_x509_subject_cn(inters[vi], ask_cn, sizeof(ask_cn));
        ch->product = product_of_issuer(ask_cn, ch->vlek);
    }
    if (ch->product == SNP_UNKNOWN) {
        vt__result_fail(x->res, "vcek_chain", "sevsnp: chain anchored at \"%s\", not an AMD ARK", cn);
        return;
    }
    /* The leaf's issuer must be that line's ASK (VCEK) or ASVK (VLEK). */
    vt_x509_subject_cn(inters[vi], cn, sizeof(cn));
    ip = product_of_issuer(cn, ch->vlek);
    if (ip != ch->product) {
        vt__result_fail(x->res, "signing_key",
                        "sevsnp: signing_key says %s but the certificate is issued by \"%s\" (want %s%s)",
                        ch->vlek ? "VLEK" : "VCEK", cn, ch->vlek ? "SEV-VLEK-" : "SEV-", product_names[ch->product]);
        return;
    }
    read_leaf_ext(ch, leaf);
    ch->not_before = cr.not_before;
    ch->not_after = cr.not_after;
    ch->root_index = cr.root_index;
    ch->crls_checked = cr.crls_checked;
    x->chain_ok = true;
}

/* ---- certificates from the fetch cache or AMD KDS ---- */

static bool coll_push(snp_ctx *x, vt_x509 *c)
{
    if (x->coll.cert_count >= SNP_MAX_CERTS) {
        vt_x509_free(c);
        vt__result_fail(x->res, "collateral", "sevsnp: collateral holds more than %d certificates", SNP_MAX_CERTS);
        return false;
    }
    x->coll.certs[x->coll.cert_count++] = c;
    return true;
}

/* True when a pinned or collateral certificate is named as the leaf's issuer. */
static bool issuer_known(snp_ctx *x, const vt_x509 *leaf)
{
    vt_x509 *pinned[2 * VT_AMD_PRODUCTS] = { NULL };
    char issuer[256], subj[256];

    vt_x509_issuer(leaf, issuer, sizeof(issuer));
    if (vt__roots_amd_intermediates(pinned, NULL) == VT_OK)
        for (size_t i = 0; i < 2 * VT_AMD_PRODUCTS; i++) {
            vt_x509_subject(pinned[i], subj, sizeof(subj));
            if (strcmp(subj, issuer) == 0)
                return true;
        }
    for (size_t i = 0; i < x->coll.cert_count; i++) {
        vt_x509_subject(x->coll.certs[i], subj, sizeof(subj));
        if (x->coll.certs[i] != leaf && strcmp(subj, issuer) == 0)
            return true;
    }
    return false;
}

/* An ASK that AMD re-issued after this build pinned one: the product's
 * cert_chain (ASK, ARK).  The ARK in it is not trusted; the ASK still has to
 * chain to the pinned ARK. */
static void kds_chain(snp_ctx *x, const char *product)
{
    const vt_verify_opts *o = x->req->opts;
    char url[VT_FETCH_URL_MAX];
    vt_x509 *c[4] = { NULL };
    size_t n = 0;
    vt_buf pem;
    vt_err e = { 0 };

    vt_buf_init(&pem);
    if (vt__snp_kds_chain_url(url, sizeof(url), vt__snp_kds_base(o), product, false, &e) == VT_OK &&
        vt__snp_kds_get_chain(&pem, NULL, url, o, &e) == VT_OK &&
        vt_x509_list_from_pem(c, &n, 4, (const char *)pem.data, pem.len, &e) == VT_OK) {
        bool any = false;

        for (size_t i = 0; i < n; i++) {
            vt_x509 *t = c[i];
            vt_chain_result cr;
            vt_time nb = 0, na = 0;

            if (is_self_issued(t))
                continue; /* roots come only from the pinned set */
            /* An ASK that no trusted ARK issued (checked at its notBefore) is no answer: not kept. */
            vt_x509_validity(t, &nb, &na);
            if (vt_chain_verify(&cr, &t, 1, x->req->roots, x->req->root_count, NULL, 0, nb, NULL) != VT_OK)
                continue;
            any = true;
            c[i] = NULL;
            if (!coll_push(x, t)) /* owns t now, even when it refuses */
                break;
        }
        if (!any)
            vt__snp_kds_forget(url, o, "cert_chain holds no ASK issued by a trusted ARK");
    }
    for (size_t i = 0; i < n; i++)
        vt_x509_free(c[i]);
    vt_buf_free(&pem);
}

/*
 * When no collateral VCEK fits the report: the one KDS names for this chip
 * and REPORTED_TCB, from the disk cache or (opts->fetch) the network.  False
 * when it recorded why verification cannot go on.
 */
static bool kds_supplement(snp_ctx *x)
{
    const vt_verify_opts *o = x->req->opts;
    const char *base = vt__snp_kds_base(o), *product;
    const vt_x509 *leaf;
    char url[VT_FETCH_URL_MAX];
    vt_x509 *vcek = NULL;
    vt_buf der;
    vt_err e = { 0 };
    vt_status rc;

    if (SNP_INFO_SIGNING_KEY(x->r.signer_info) != SNP_SIGNING_VCEK)
        return true; /* a VLEK is not served by KDS; chain_build says where to get it */
    if (!o->fetch && (o->fetch_cache_dir == NULL || o->fetch_cache_dir[0] == '\0'))
        return true;
    leaf = pick_leaf(x, false);
    if (leaf != NULL && leaf_fits(x, leaf, false))
        return true;
    product = vt__snp_kds_product(&x->r);
    if (product == NULL) {
        if (leaf != NULL)
            return true;
        vt__result_fail(x->res, "vcek_chain",
                        "sevsnp: VCEK not in report or --certs, and CPUID family 0x%02x model 0x%02x names no "
                        "product line AMD KDS serves",
                        x->r.cpuid_fam, x->r.cpuid_mod);
        return false;
    }
    if (vt__snp_kds_vcek_url(url, sizeof(url), base, product, &x->r, &e) != VT_OK) {
        if (leaf != NULL)
            return true;
        vt__result_fail(x->res, "vcek_chain", "sevsnp: VCEK not in report or --certs, and cannot be fetched: %s",
                        e.msg);
        return false;
    }
    vt_buf_init(&der);
    rc = vt__snp_kds_get_vcek(&der, NULL, url, o, &e);
    if (rc == VT_E_NOTFOUND && !o->fetch) {
        vt_buf_free(&der);
        if (leaf != NULL)
            return true; /* the errors about that leaf say more */
        vt__result_fail(x->res, "vcek_chain",
                        "sevsnp: VCEK not in report, --certs or cache, and fetching is off (--fetch asks %s)", base);
        return false;
    }
    if (rc == VT_OK && vt_x509_from_der(&vcek, der.data, der.len, &e) != VT_OK)
        rc = VT_E_FORMAT;
    vt_buf_free(&der);
    if (rc != VT_OK) {
        vt__result_fail(x->res, "vcek_chain", "sevsnp: VCEK not in report, --certs or cache, and fetching from %s "
                        "failed: %s", base, e.msg);
        return false;
    }
    leaf = vcek;
    if (!coll_push(x, vcek))
        return false;
    x->kds_vcek = vcek;
    snprintf(x->kds_vcek_url, sizeof(x->kds_vcek_url), "%s", url);
    /* The URL names this chip and REPORTED_TCB: a certificate for another is a wrong answer, dropped
     * (whatever becomes of this report) instead of failing that chip's verifications for ever. */
    if (!leaf_fits(x, vcek, false))
        vt__snp_kds_forget(url, o, "VCEK for another chip or TCB than the URL names");
    if (!issuer_known(x, leaf))
        kds_chain(x, product);
    return true;
}

/*
 * The ARK's CRL for the report's product line ({kds}/{vcek|vlek}/v1/{product}/crl:
 * revoked ASKs/ASVKs), from the fetch cache or, with opts->fetch, AMD KDS; its
 * digest is part of the chain's cache key.  Offline and not cached: nothing
 * (as before).  With fetching on and no CRL to be had: a warning that
 * revocation was not checked, never silence.
 */
static void kds_crl_get(snp_ctx *x)
{
    const vt_verify_opts *o = x->req->opts;
    const char *base = vt__snp_kds_base(o), *product = vt__snp_kds_product(&x->r);
    bool vlek = SNP_INFO_SIGNING_KEY(x->r.signer_info) == SNP_SIGNING_VLEK;
    char url[VT_FETCH_URL_MAX];
    vt_err e = { 0 };
    vt_status rc;

    if (!o->fetch && (o->fetch_cache_dir == NULL || o->fetch_cache_dir[0] == '\0'))
        return;
    if (product == NULL)
        rc = vt_err_set(&e, VT_E_UNSUPPORTED, "no product line for CPUID family 0x%02x model 0x%02x",
                        x->r.cpuid_fam, x->r.cpuid_mod);
    else
        rc = vt__snp_kds_crl_url(url, sizeof(url), base, product, vlek, &e);
    if (rc == VT_OK) {
        rc = vt__snp_kds_get_crl(&x->kds_crl, NULL, url, o, &e);
        snprintf(x->kds_crl_url, sizeof(x->kds_crl_url), "%s", url);
    }
    if (rc == VT_OK && vt_digest(VT_MD_SHA256, x->kds_crl.data, x->kds_crl.len, x->kds_crl_digest, NULL) != VT_OK)
        rc = VT_E_NOMEM;
    if (rc != VT_OK) {
        vt_buf_free(&x->kds_crl);
        vt_buf_init(&x->kds_crl);
        memset(x->kds_crl_digest, 0, sizeof(x->kds_crl_digest));
        if (o->fetch)
            vt__result_warn(x->res, "crl", "sevsnp: AMD CRL not obtained from %s (%s): %s revocation not checked",
                            base, e.msg, vlek ? "ASVK" : "ASK");
    }
}

/* The fetched CRL joins the collateral's CRLs: the chain verification checks
 * its signature against the ARK, its dates, and every serial it revokes. */
static bool kds_crl_push(snp_ctx *x)
{
    vt_crl *crl = NULL;

    if (x->kds_crl.len == 0)
        return true;
    if (x->coll.crl_count >= SNP_MAX_CRLS) {
        vt__result_fail(x->res, "collateral", "sevsnp: collateral holds more than %d CRLs", SNP_MAX_CRLS);
        return false;
    }
    if (vt_crl_parse(&crl, x->kds_crl.data, x->kds_crl.len, NULL) != VT_OK) {
        vt__result_fail(x->res, "crl", "sevsnp: the AMD CRL does not parse");
        return false;
    }
    x->coll.crls[x->coll.crl_count++] = crl;
    return true;
}

/* Whether c signed the CRL: c (with the pinned or collateral certificates above it) verifies to a
 * trusted root with the CRL applied to it, at the CRL's own thisUpdate. */
static bool crl_signed_by(const vt_x509 *c, vt_crl *crl, const snp_ctx *x)
{
    const vt__verify_req *req = x->req;
    vt_x509 *chain[2] = { (vt_x509 *)c, NULL };
    vt_x509 *pinned[2 * VT_AMD_PRODUCTS] = { NULL };
    vt_chain_result cr;
    vt_time tu = 0, nu = 0;
    char issuer[256], subj[256];

    vt_crl_validity(crl, &tu, &nu);
    if (vt_chain_verify(&cr, chain, 1, req->roots, req->root_count, &crl, 1, tu, NULL) == VT_OK && cr.crls_checked > 0)
        return true;
    /* An ASK (or ASVK) under its ARK. */
    vt_x509_issuer(c, issuer, sizeof(issuer));
    for (size_t i = 0; i < req->root_count; i++) {
        vt_x509_subject(req->roots[i], subj, sizeof(subj));
        if (strcmp(subj, issuer) == 0)
            return false; /* the check above covered it */
    }
    if (vt__roots_amd_intermediates(pinned, NULL) == VT_OK)
        for (size_t i = 0; i < 2 * VT_AMD_PRODUCTS; i++) {
            vt_x509_subject(pinned[i], subj, sizeof(subj));
            chain[1] = pinned[i];
            if (strcmp(subj, issuer) == 0 &&
                vt_chain_verify(&cr, chain, 2, req->roots, req->root_count, &crl, 1, tu, NULL) == VT_OK &&
                cr.crls_checked > 0)
                return true;
        }
    return false;
}

/*
 * After a chain failed with the fetched CRL in it: whether that CRL is bad on
 * its own (signed by none of the trusted roots, pinned ASKs/ASVKs and
 * collateral certificates named as its issuer).  A bad one is dropped from the
 * cache (and remembered as a failure), instead of failing every verification
 * until the nextUpdate it gives itself; a good one that revokes stays.
 */
static void kds_crl_blame(snp_ctx *x)
{
    const vt__verify_req *req = x->req;
    vt_x509 *pinned[2 * VT_AMD_PRODUCTS] = { NULL };
    vt_crl *crl = NULL;
    bool good = false;

    if (x->kds_crl.len == 0 || vt_crl_parse(&crl, x->kds_crl.data, x->kds_crl.len, NULL) != VT_OK)
        return;
    for (size_t i = 0; i < req->root_count && !good; i++)
        good = crl_signed_by(req->roots[i], crl, x);
    if (vt__roots_amd_intermediates(pinned, NULL) == VT_OK)
        for (size_t i = 0; i < 2 * VT_AMD_PRODUCTS && !good; i++)
            good = crl_signed_by(pinned[i], crl, x);
    for (size_t i = 0; i < x->coll.cert_count && !good; i++)
        good = crl_signed_by(x->coll.certs[i], crl, x);
    vt_crl_free(crl);
    if (!good)
        vt__snp_kds_forget(x->kds_crl_url, req->opts, "CRL not signed by an AMD ARK, ASK or ASVK");
}

/*
 * After a chain failed with the fetched VCEK as its leaf: whether that VCEK is
 * bad on its own (issued, at its notBefore, by no pinned ASK and no collateral
 * certificate that chains to a trusted root).  A bad one is dropped from the
 * cache (and remembered as a failure) instead of being kept for ever.
 */
static void kds_vcek_blame(snp_ctx *x)
{
    const vt__verify_req *req = x->req;
    vt_x509 *pinned[2 * VT_AMD_PRODUCTS] = { NULL };
    vt_x509 *chain[2] = { (vt_x509 *)x->kds_vcek, NULL };
    vt_chain_result cr;
    vt_time nb = 0, na = 0;
    char issuer[256], subj[256];
    bool good = false;

    if (x->kds_vcek == NULL)
        return;
    vt_x509_validity(x->kds_vcek, &nb, &na);
    vt_x509_issuer(x->kds_vcek, issuer, sizeof(issuer));
    if (vt__roots_amd_intermediates(pinned, NULL) == VT_OK)
        for (size_t i = 0; i < 2 * VT_AMD_PRODUCTS && !good; i++) {
            vt_x509_subject(pinned[i], subj, sizeof(subj));
            chain[1] = pinned[i];
            good = strcmp(subj, issuer) == 0 &&
                   vt_chain_verify(&cr, chain, 2, req->roots, req->root_count, NULL, 0, nb, NULL) == VT_OK;
        }
    for (size_t i = 0; i < x->coll.cert_count && !good; i++) {
        vt_x509_subject(x->coll.certs[i], subj, sizeof(subj));
        chain[1] = x->coll.certs[i];
        good = x->coll.certs[i] != x->kds_vcek && strcmp(subj, issuer) == 0 &&
               vt_chain_verify(&cr, chain, 2, req->roots, req->root_count, NULL, 0, nb, NULL) == VT_OK;
    }
    if (!good)
        vt__snp_kds_forget(x->kds_vcek_url, req->opts, "VCEK not issued by an AMD ASK under a trusted ARK");
}

static bool chain_key(uint8_t key[32], snp_ctx *x)
{
    static const char tag[] = "veritee/sevsnp/chain";
    uint8_t rdig[32] = { 0 };
    vt_digest_ctx *d = NULL;
    uint8_t fp[32];
    bool ok;
    uint8_t info = (uint8_t)SNP_INFO_SIGNING_KEY(x->r.signer_info);
    const void *parts[7] = { tag, x->coll_digest, rdig, &info, x->r.reported_tcb, x->r.chip_id, x->kds_crl_digest };
    size_t lens[7] = { sizeof(tag), 32, 32, 1, 8, 64, 32 };

    if (vt_digest_ctx_new(&d, VT_MD_SHA256, NULL) != VT_OK)
        return false;
    ok = true;
    for (size_t i = 0; ok && i < x->req->root_count; i++) {
        vt_x509_fingerprint(x->req->roots[i], fp);
        ok = vt_digest_ctx_update(d, fp, sizeof(fp), NULL) == VT_OK;
    }
    ok = ok && vt_digest_ctx_final(d, rdig, NULL) == VT_OK;
    vt_digest_ctx_free(d);
    return ok && vt_digestv(VT_MD_SHA256, parts, lens, 7, key, NULL) == VT_OK;
}

static void chain_obtain(snp_ctx *x)
{
    vt_verify_cache *cache = x->req->opts->cache;
    uint8_t key[32];
    snp_chain *ch;
    vt_err e = { 0 };

    if (!chain_key(key, x))
        cache = NULL;
    ch = (snp_chain *)vt__cache_get(cache, VT_CACHE_SNP_CHAIN, key, x->now);
    if (ch != NULL) {
        x->chain = ch;
        x->chain_ok = true;
        return;
    }
    ch = calloc(1, sizeof(*ch));
    if (ch == NULL) {
        vt__result_fail(x->res, "vcek_chain", "sevsnp: out of memory");
        return;
    }
    vt__cached_init(&ch->base, chain_destroy);
    ch->product = SNP_UNKNOWN;
    x->chain = ch;
    if (coll_load(&x->coll, x->req->opts->collateral, &e) != VT_OK) {
        vt__result_fail(x->res, "collateral", "%s", e.msg);
        return;
    }
    if (!kds_supplement(x) || !kds_crl_push(x))
        return;
    chain_build(x, ch);
    if (!x->chain_ok) {
        kds_crl_blame(x);
        kds_vcek_blame(x);
    }
    if (x->chain_ok)
        vt__cache_put(cache, VT_CACHE_SNP_CHAIN, key, ch->not_before, ch->not_after, &ch->base);
}

/* ---- checks on the report ---- */

static bool check_signature(snp_ctx *x)
{
    if (x->chain == NULL || x->chain->leaf_key == NULL) {
        vt__result_fail(x->res, "report_signature", "sevsnp: signature not checked: no usable %s key",
                        SNP_INFO_SIGNING_KEY(x->r.signer_info) == SNP_SIGNING_VLEK ? "vlek" : "vcek");
        return false;
    }
    if (vt_ecdsa_verify_raw(x->chain->leaf_key, VT_MD_SHA384, x->r.raw, SNP_SIGNED_LEN, x->r.sig_rs,
                            sizeof(x->r.sig_rs), NULL) != VT_OK) {
        vt__result_fail(x->res, "report_signature", "sevsnp: signature does not verify with the %s key",
                        x->chain->vlek ? "vlek" : "vcek");
        return false;
    }
    return true;
}

static bool check_tcb(snp_ctx *x)
{
    const snp_chain *ch = x->chain;
    snp_tcb rep, cur;
    char a[80], b[80];

    rep = tcb_decode(x->r.reported_tcb, ch->product);
    cur = tcb_decode(x->r.current_tcb, ch->product);
    if (!ch->tcb_ok) {
        vt__result_fail(x->res, "vcek_tcb", "sevsnp: %s %s", ch->vlek ? "vlek" : "vcek", ch->tcb_problem);
        return false;
    }
    if (!tcb_equal(&ch->tcb, &rep)) {
        tcb_format(a, sizeof(a), &ch->tcb, ch->product);
        tcb_format(b, sizeof(b), &rep, ch->product);
        vt__result_fail(x->res, "vcek_tcb", "sevsnp: reported_tcb (%s) differs from the %s TCB extensions (%s)", b,
                        ch->vlek ? "vlek" : "vcek", a);
        return false;
    }
    if (!tcb_le(&rep, &cur)) {
        tcb_format(a, sizeof(a), &cur, ch->product);
        tcb_format(b, sizeof(b), &rep, ch->product);
        vt__result_fail(x->res, "reported_tcb", "sevsnp: reported_tcb (%s) is above current_tcb (%s)", b, a);
        return false;
    }
    return true;
}

static bool check_hwid(snp_ctx *x)
{
    const snp_chain *ch = x->chain;
    size_t want = ch->product == SNP_TURIN ? 8 : 64;
    static const uint8_t zero[64] = { 0 };

    if (ch->vlek)
        return true; /* a VLEK names the cloud provider, not the chip */
    if (x->r.signer_info & SNP_INFO_MASK_CHIP_KEY) {
        vt__result_fail(x->res, "chip_id", "sevsnp: chip_id masked (MASK_CHIP_KEY) but signed by a vcek");
        return false;
    }
    if (ch->hwid_len != want) {
        vt__result_fail(x->res, "chip_id", "sevsnp: vcek hwID extension (" SNP_OID_HWID ") is %zu bytes, not %zu",
                        ch->hwid_len, want);
        return false;
    }
    if (!vt_ct_equal(ch->hwid, x->r.chip_id, want) || (want < 64 && !vt_ct_equal(x->r.chip_id + want, zero, 64 - want))) {
        vt__result_fail(x->res, "chip_id", "sevsnp: chip_id differs from the vcek hwID extension");
        return false;
    }
    return true;
}

static void check_product(snp_ctx *x)
{
    const snp_chain *ch = x->chain;
    uint8_t fam = x->r.cpuid_fam;

    if (x->r.version < 3 || fam == 0)
        return;
    if ((ch->product == SNP_TURIN) != (fam == 0x1A) || (ch->product != SNP_TURIN && fam != 0x19))
        vt__result_fail(x->res, "product", "sevsnp: cpuid_fam_id 0x%02x does not fit the %s chain", fam,
                        product_names[ch->product]);
}

static void check_policy(snp_ctx *x)
{
    uint64_t pol = x->r.policy;

    x->res->claims.debug = (pol & SNP_POLICY_DEBUG) != 0;
    if (!(pol & SNP_POLICY_RESERVED_ONE))
        vt__result_fail(x->res, "policy", "sevsnp: policy bit 17 (reserved, must be one) is zero");
    if (pol & SNP_POLICY_MBZ)
        vt__result_fail(x->res, "policy", "sevsnp: policy bits 63:26 are not zero (0x%016llx)",
                        (unsigned long long)pol);
    if (pol & SNP_POLICY_MIGRATE_MA)
        vt__result_warn(x->res, "migration_agent", "sevsnp: policy allows a migration agent (MIGRATE_MA)");
    if (x->r.signer_info & SNP_INFO_MBZ)
        vt__result_fail(x->res, "signing_key", "sevsnp: signer info bits 31:5 are not zero");
    if (x->r.vmpl > 3)
        vt__result_fail(x->res, "vmpl", "sevsnp: vmpl %u is above 3", x->r.vmpl);
}

/* ---- claims ---- */

static void add_le(vt_claims *c, const char *name, uint64_t v, size_t n)
{
    uint8_t b[8];

    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    vt__claims_add(c, name, b, n);
}

static void add_claims(snp_ctx *x)
{
    vt_claims *c = &x->res->claims;
    const vt__snp_report *r = &x->r;

    c->platform = VT_TEE_SEVSNP;
    c->version = r->version;
    memcpy(c->report_data, r->report_data, VT_REPORT_DATA_LEN);
    c->debug = (r->policy & SNP_POLICY_DEBUG) != 0;
    vt__claims_add(c, "measurement", r->measurement, 48);
    vt__claims_add(c, "host_data", r->host_data, 32);
    vt__claims_add(c, "id_key_digest", r->id_key_digest, 48);
    vt__claims_add(c, "author_key_digest", r->author_key_digest, 48);
    vt__claims_add(c, "family_id", r->family_id, 16);
    vt__claims_add(c, "image_id", r->image_id, 16);
    add_le(c, "guest_svn", r->guest_svn, 4);
    add_le(c, "policy", r->policy, 8);
    add_le(c, "vmpl", r->vmpl, 4);
    vt__claims_add(c, "chip_id", r->chip_id, 64);
    vt__claims_add(c, "reported_tcb", r->reported_tcb, 8);
    vt__claims_add(c, "current_tcb", r->current_tcb, 8);
    vt__claims_add(c, "committed_tcb", r->committed_tcb, 8);
    vt__claims_add(c, "launch_tcb", r->launch_tcb, 8);
    add_le(c, "platform_info", r->platform_info, 8);
    add_le(c, "signer_info", r->signer_info, 4);
    vt__claims_add(c, "report_id", r->report_id, 32);
}

/* ---- the plugin ---- */

static bool sevsnp_probe(const uint8_t *p, size_t len)
{
    return vt__snp_report_probe(p, len);
}

static vt_status sevsnp_verify(const vt__verify_req *req, vt_result *res, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    snp_ctx *x = NULL;
    vt_err e = { 0 };
    bool sig_ok = false, tcb_ok = false, hwid_ok = false;

    if (req == NULL || res == NULL || req->opts == NULL || (req->evidence == NULL && req->len > 0))
        return vt_err_set(err, VT_E_ARG, "sevsnp: verify request incomplete");
    snprintf(res->claims.tcb_status, sizeof(res->claims.tcb_status), "%s", "unknown");
    res->claims.platform = VT_TEE_SEVSNP;
    x = calloc(1, sizeof(*x));
    if (x == NULL)
        return vt_err_set(err, VT_E_NOMEM, "sevsnp: out of memory");
    x->req = req;
    x->res = res;
    x->now = req->opts->now;
    rc = vt__snp_report_parse(&x->r, req->evidence, req->len, &e);
    if (rc != VT_OK) {
        vt__result_fail(res, "report_format", "%s", e.msg);
        rc = vt_err_set(err, rc, "%s", e.msg);
        goto out;
    }
    add_claims(x);
    x->have_coll = req->opts->collateral != NULL && vt_collateral_count(req->opts->collateral) > 0;
    if (x->have_coll && vt__collateral_digest(x->coll_digest, req->opts->collateral, &e) != VT_OK) {
        rc = vt_err_set(err, VT_E_INTERNAL, "%s", e.msg);
        goto out;
    }
    check_policy(x);
    kds_crl_get(x);
    chain_obtain(x);
    sig_ok = check_signature(x);
    if (x->chain_ok) {
        tcb_ok = check_tcb(x);
        hwid_ok = check_hwid(x);
        check_product(x);
    }
    res->signature_valid = sig_ok;
    res->chain_valid = x->chain_ok;
    res->claims.hardware_attested = x->chain_ok && sig_ok && x->chain->root_index < req->prod_root_count;
    if (x->chain != NULL && x->chain->leaf_subject[0] != '\0')
        vt__claims_add_signer(&res->claims, x->chain->vlek ? "vlek" : "vcek", x->chain->leaf_subject);
    if (x->chain_ok)
        vt__claims_window(&res->claims, x->chain->not_before, x->chain->not_after);
    /* SNP has no TCB status service, and AMD issues a VCEK for every TCB: a certified REPORTED_TCB says
     * which firmware runs, not that it is current.  Its components become claims; the status stays
     * Unknown until an environment's minimum TCB is compared with them (docs/formats/sevsnp.md). */
    if (sig_ok && x->chain_ok && tcb_ok && hwid_ok) {
        snp_tcb rep = tcb_decode(x->r.reported_tcb, x->chain->product);
        char t[80];
        uint8_t prod = (uint8_t)x->chain->product;

        res->collateral_verified = true;
        vt__claims_add(&res->claims, "amd_product", &prod, 1);
        if (x->chain->product == SNP_TURIN)
            vt__claims_add(&res->claims, "reported_tcb_fmc", &rep.fmc, 1);
        vt__claims_add(&res->claims, "reported_tcb_bl", &rep.bl, 1);
        vt__claims_add(&res->claims, "reported_tcb_tee", &rep.tee, 1);
        vt__claims_add(&res->claims, "reported_tcb_snp", &rep.snp, 1);
        vt__claims_add(&res->claims, "reported_tcb_ucode", &rep.ucode, 1);
        tcb_format(t, sizeof(t), &rep, x->chain->product);
        if (req->opts->sevsnp_min_tcb == NULL) {
            snprintf(res->claims.tcb_status, sizeof(res->claims.tcb_status), "%s", "Unknown");
            vt__result_warn(res, "tcb_status",
                            "sevsnp: %s REPORTED_TCB (%s) is certified but not compared with a minimum TCB: Unknown",
                            product_names[x->chain->product], t);
        } else {
            char why[112];
            const char *st = vt_sevsnp_tcb_status(why, sizeof(why), &res->claims, req->opts->sevsnp_min_tcb,
                                                  "the given minimum");
            snprintf(res->claims.tcb_status, sizeof(res->claims.tcb_status), "%s", st != NULL ? st : "Unknown");
            if (st == NULL || strcmp(st, "UpToDate") != 0)
                vt__result_warn(res, "tcb_status", "sevsnp: %s REPORTED_TCB (%s): %s%s", product_names[x->chain->product],
                                t, res->claims.tcb_status, why);
        }
    }
    rc = VT_OK;
out:
    if (x != NULL) {
        vt_buf_free(&x->kds_crl);
        coll_free(&x->coll);
        if (x->chain != NULL)
            vt__cached_release(&x->chain->base);
        free(x);
    }
    return rc;
}

/* ---- inspect ---- */

static json_t *jtcb(const uint8_t b[8])
{
    json_t *o = json_object();
    snp_tcb l = tcb_decode(b, SNP_MILAN), t = tcb_decode(b, SNP_TURIN);

    /* The layout depends on the product line, which only the chain proves: show both. */
    json_object_set_new(o, "raw", vt__json_hex(b, 8));
    json_object_set_new(o, "milan_genoa", json_pack("{s:i, s:i, s:i, s:i}", "bl", l.bl, "tee", l.tee, "snp", l.snp,
                                                    "ucode", l.ucode));
    json_object_set_new(o, "turin", json_pack("{s:i, s:i, s:i, s:i, s:i}", "fmc", t.fmc, "bl", t.bl, "tee", t.tee,
                                              "snp", t.snp, "ucode", t.ucode));
    return o;
}

static vt_status sevsnp_inspect(const uint8_t *p, size_t len, char **json_out, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__snp_report *r = NULL;
    json_t *o = NULL, *pol, *pi, *si;

    *json_out = NULL;
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return vt_err_set(err, VT_E_NOMEM, "sevsnp: out of memory");
    rc = vt__snp_report_parse(r, p, len, err);
    if (rc != VT_OK)
        goto out;
    o = json_object();
    pol = json_object();
    pi = json_object();
    si = json_object();
    json_object_set_new(o, "platform", json_string("sevsnp"));
    json_object_set_new(o, "version", json_integer(r->version));
    json_object_set_new(o, "guest_svn", json_integer(r->guest_svn));
    json_object_set_new(pol, "value", json_integer((json_int_t)r->policy));
    json_object_set_new(pol, "abi_minor", json_integer((json_int_t)(r->policy & 0xff)));
    json_object_set_new(pol, "abi_major", json_integer((json_int_t)((r->policy >> 8) & 0xff)));
    json_object_set_new(pol, "smt", json_boolean(r->policy & SNP_POLICY_SMT));
    json_object_set_new(pol, "migrate_ma", json_boolean(r->policy & SNP_POLICY_MIGRATE_MA));
    json_object_set_new(pol, "debug", json_boolean(r->policy & SNP_POLICY_DEBUG));
    json_object_set_new(pol, "single_socket", json_boolean(r->policy & (1ull << 20)));
    json_object_set_new(pol, "cxl_allow", json_boolean(r->policy & (1ull << 21)));
    json_object_set_new(pol, "mem_aes_256_xts", json_boolean(r->policy & (1ull << 22)));
    json_object_set_new(pol, "rapl_dis", json_boolean(r->policy & (1ull << 23)));
    json_object_set_new(pol, "ciphertext_hiding", json_boolean(r->policy & (1ull << 24)));
    json_object_set_new(pol, "page_swap_disable", json_boolean(r->policy & (1ull << 25)));
    json_object_set_new(o, "policy", pol);
    json_object_set_new(o, "family_id", vt__json_hex(r->family_id, 16));
    json_object_set_new(o, "image_id", vt__json_hex(r->image_id, 16));
    json_object_set_new(o, "vmpl", json_integer(r->vmpl));
    json_object_set_new(o, "signature_algo", json_integer(r->sig_algo));
    json_object_set_new(o, "current_tcb", jtcb(r->current_tcb));
    json_object_set_new(pi, "value", json_integer((json_int_t)r->platform_info));
    json_object_set_new(pi, "smt_en", json_boolean(r->platform_info & 0x1));
    json_object_set_new(pi, "tsme_en", json_boolean(r->platform_info & 0x2));
    json_object_set_new(pi, "ecc_en", json_boolean(r->platform_info & 0x4));
    json_object_set_new(pi, "rapl_dis", json_boolean(r->platform_info & 0x8));
    json_object_set_new(pi, "ciphertext_hiding_en", json_boolean(r->platform_info & 0x10));
    json_object_set_new(pi, "alias_check_complete", json_boolean(r->platform_info & 0x20));
    json_object_set_new(pi, "tio_en", json_boolean(r->platform_info & 0x80));
    json_object_set_new(o, "platform_info", pi);
    json_object_set_new(si, "value", json_integer(r->signer_info));
    json_object_set_new(si, "author_key_en", json_boolean(r->signer_info & SNP_INFO_AUTHOR_KEY_EN));
    json_object_set_new(si, "mask_chip_key", json_boolean(r->signer_info & SNP_INFO_MASK_CHIP_KEY));
    json_object_set_new(si, "signing_key", json_string(SNP_INFO_SIGNING_KEY(r->signer_info) == SNP_SIGNING_VCEK
                                                           ? "vcek"
                                                           : SNP_INFO_SIGNING_KEY(r->signer_info) == SNP_SIGNING_VLEK
                                                                 ? "vlek"
                                                                 : "none"));
    json_object_set_new(o, "signer_info", si);
    json_object_set_new(o, "report_data", vt__json_hex(r->report_data, 64));
    json_object_set_new(o, "measurement", vt__json_hex(r->measurement, 48));
    json_object_set_new(o, "host_data", vt__json_hex(r->host_data, 32));
    json_object_set_new(o, "id_key_digest", vt__json_hex(r->id_key_digest, 48));
    json_object_set_new(o, "author_key_digest", vt__json_hex(r->author_key_digest, 48));
    json_object_set_new(o, "report_id", vt__json_hex(r->report_id, 32));
    json_object_set_new(o, "report_id_ma", vt__json_hex(r->report_id_ma, 32));
    json_object_set_new(o, "reported_tcb", jtcb(r->reported_tcb));
    if (r->version >= 3) {
        json_object_set_new(o, "cpuid_fam_id", json_integer(r->cpuid_fam));
        json_object_set_new(o, "cpuid_mod_id", json_integer(r->cpuid_mod));
        json_object_set_new(o, "cpuid_step", json_integer(r->cpuid_step));
    }
    json_object_set_new(o, "chip_id", vt__json_hex(r->chip_id, 64));
    json_object_set_new(o, "committed_tcb", jtcb(r->committed_tcb));
    json_object_set_new(o, "current_version", json_pack("{s:i, s:i, s:i}", "major", r->current_major, "minor",
                                                        r->current_minor, "build", r->current_build));
    json_object_set_new(o, "committed_version", json_pack("{s:i, s:i, s:i}", "major", r->committed_major, "minor",
                                                          r->committed_minor, "build", r->committed_build));
    json_object_set_new(o, "launch_tcb", jtcb(r->launch_tcb));
    if (r->version >= 5) {
        json_object_set_new(o, "launch_mit_vector", json_integer((json_int_t)r->launch_mit_vector));
        json_object_set_new(o, "current_mit_vector", json_integer((json_int_t)r->current_mit_vector));
    }
    json_object_set_new(o, "signature", json_pack("{s:o, s:o}", "r", vt__json_hex(r->sig_rs, 48), "s", vt__json_hex(r->sig_rs + 48, 48)));
    *json_out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (*json_out == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "sevsnp: cannot serialize the report as JSON");
        goto out;
    }
    rc = VT_OK;
out:
    json_decref(o);
    free(r);
    return rc;
}

const vt__tee_ops vt__tee_sevsnp = {
    .abi = VT_TEE_OPS_ABI,
    .kind = VT_TEE_SEVSNP,
    .name = "sevsnp",
    .caps = VT_TEE_CAN_DETECT | VT_TEE_CAN_COLLECT | VT_TEE_CAN_VERIFY,
    .probe = sevsnp_probe,
    .detect = vt__sevsnp_detect,
    .collect = vt__sevsnp_collect,
    .verify = sevsnp_verify,
    .inspect = sevsnp_inspect,
};
