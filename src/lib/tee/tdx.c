/*
 * Intel TDX plugin: verifies DCAP quotes v4/v5 (ECDSA P-256 attestation key,
 * QE report certification data wrapping a PEM PCK chain) against the pinned
 * Intel SGX Root CA and, when given, Intel PCS collateral (TCB info v3, TD
 * QE identity v2, CRLs).  Order of checks and the verdict mapping are in
 * docs/formats/tdx.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/crypto_int.h"
#include "tee/collect.h"
#include "tee/cache.h"
#include "tee/plugin.h"
#include "tee/sim_root.h"
#include "tee/tdx_collateral.h"
#include "tee/tdx_format.h"
#include "tee/tdx_pck.h"
#include "tee/tdx_pck_leaf.h"
#include "tee/tdx_pcs.h"
#include "tee/tdx_quote.h"

#define PCK_LEAF_CN "Intel SGX PCK Certificate"
#define PCK_PLATFORM_CA_CN "Intel SGX PCK Platform CA"
#define PCK_PROCESSOR_CA_CN "Intel SGX PCK Processor CA"
#define PCK_CHAIN_CERTS 3
#define TDX_PCS_RECHECK_S 60 /* inside the refresh window, how long fetched collateral stays in memory */

/* A verified (or at least parsed) PCK chain: cacheable once verified. */
typedef struct tdx_pck {
    vt__cached base;
    vt_pkey *leaf_key;
    bool ext_ok;
    vt__tdx_pck_ext ext;
    char leaf_subject[232];
    vt_time not_before, not_after;
    size_t root_index;
    size_t crls_checked;
    size_t leaf_crls;       /* of those, the PCK CA's (applied to the leaf) */
} tdx_pck;

typedef struct tdx_ctx {
    const vt__verify_req *req;
    vt_result *res;
    vt_time now;
    vt__tdx_quote q;
    bool have_coll;
    uint8_t coll_digest[32];
    vt__tdx_coll_set set;
    bool set_loaded, set_failed;
    tdx_pck *pck;
    bool chain_ok;
    vt__tdx_coll *coll;
    vt__tdx_pcs_set *pcs;   /* collateral fetched from a PCS (or its disk cache) */
    vt__tdx_pck_leaf *leaf; /* the PCK leaf, read once (owned) */
    bool leaf_tried;
    size_t leaf_end;        /* offset in pck_pem just past the leaf's PEM block */
    char leaf_error[256];   /* why it could not be read */
    char pcs_error[256];    /* why it could not be had */
} tdx_ctx;

static void pck_destroy(vt__cached *base)
{
    tdx_pck *p = (tdx_pck *)base;

    vt_pkey_free(p->leaf_key);
    free(p);
}

/* ---- digests used as cache keys ---- */

static vt_status roots_digest(uint8_t out[32], vt_x509 *const *roots, size_t count, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_digest_ctx *d = NULL;
    uint8_t fp[32];

    rc = vt_digest_ctx_new(&d, VT_MD_SHA256, err);
    for (size_t i = 0; rc == VT_OK && i < count; i++) {
        vt_x509_fingerprint(roots[i], fp);
        rc = vt_digest_ctx_update(d, fp, sizeof(fp), err);
    }
    if (rc == VT_OK)
        rc = vt_digest_ctx_final(d, out, err);
    vt_digest_ctx_free(d);
    return rc;
}

/* ---- claims ---- */

static void add_claims(tdx_ctx *x)
{
    vt_claims *c = &x->res->claims;
    const vt__tdx_quote *q = &x->q;
    static const char *const rtmr[4] = { "rtmr0", "rtmr1", "rtmr2", "rtmr3" };

    c->platform = VT_TEE_TDX;
    c->version = q->version;
    memcpy(c->report_data, vt__tdx_body(q, TDX_B_REPORTDATA), VT_REPORT_DATA_LEN);
    c->debug = (vt__tdx_body(q, TDX_B_TD_ATTRIBUTES)[0] & TDX_TD_ATTR_DEBUG) != 0;
    vt__claims_add(c, "mrtd", vt__tdx_body(q, TDX_B_MRTD), 48);
    for (size_t i = 0; i < 4; i++)
        vt__claims_add(c, rtmr[i], vt__tdx_body(q, TDX_B_RTMR0 + 48 * i), 48);
    vt__claims_add(c, "mrconfigid", vt__tdx_body(q, TDX_B_MRCONFIGID), 48);
    vt__claims_add(c, "mrowner", vt__tdx_body(q, TDX_B_MROWNER), 48);
    vt__claims_add(c, "mrownerconfig", vt__tdx_body(q, TDX_B_MROWNERCONFIG), 48);
    vt__claims_add(c, "mrseam", vt__tdx_body(q, TDX_B_MRSEAM), 48);
    vt__claims_add(c, "mrsignerseam", vt__tdx_body(q, TDX_B_MRSIGNERSEAM), 48);
    vt__claims_add(c, "td_attributes", vt__tdx_body(q, TDX_B_TD_ATTRIBUTES), 8);
    vt__claims_add(c, "seam_attributes", vt__tdx_body(q, TDX_B_SEAM_ATTRIBUTES), 8);
    vt__claims_add(c, "xfam", vt__tdx_body(q, TDX_B_XFAM), 8);
    vt__claims_add(c, "tee_tcb_svn", vt__tdx_body(q, TDX_B_TEE_TCB_SVN), 16);
    if (q->body_type == TDX_V5_BODY_TDX15) {
        vt__claims_add(c, "tee_tcb_svn2", vt__tdx_body(q, TDX_B_TEE_TCB_SVN2), 16);
        vt__claims_add(c, "mrservicetd", vt__tdx_body(q, TDX_B_MRSERVICETD), 48);
    }
    vt__claims_add(c, "qe_mrenclave", q->qe_report + SGX_R_MRENCLAVE, 32);
    vt__claims_add(c, "qe_mrsigner", q->qe_report + SGX_R_MRSIGNER, 32);
}

/* ---- signatures over the quote ---- */

/* An imported attestation key.  Caching it is safe: it is only a decoded
 * point, trusted through the QE report binding checked on every quote. */
typedef struct tdx_attkey {
    vt__cached base;
    vt_pkey *key;
} tdx_attkey;

static void attkey_destroy(vt__cached *base)
{
    tdx_attkey *a = (tdx_attkey *)base;

    vt_pkey_free(a->key);
    free(a);
}

/* The attestation key as a vt_pkey: from the cache when there is one.
 * Returns a held reference in *held (release it) and the key in *out. */
static vt_status attkey_get(vt_pkey **out, vt__cached **held, tdx_ctx *x, vt_err *err)
{
    vt_verify_cache *cache = x->req->opts->cache;
    uint8_t key[32];
    tdx_attkey *a;
    vt_status rc;

    *out = NULL;
    *held = NULL;
    if (cache != NULL && vt_digest(VT_MD_SHA256, x->q.att_key, sizeof(x->q.att_key), key, NULL) == VT_OK) {
        a = (tdx_attkey *)vt__cache_get(cache, VT_CACHE_TDX_ATT_KEY, key, x->now);
        if (a != NULL) {
            *held = &a->base;
            *out = a->key;
            return VT_OK;
        }
    } else {
        cache = NULL;
    }
    a = calloc(1, sizeof(*a));
    if (a == NULL)
        return vt_err_set(err, VT_E_NOMEM, "tdx: out of memory");
    vt__cached_init(&a->base, attkey_destroy);
    rc = vt_pkey_from_ec_raw(&a->key, VT_KEY_EC_P256, x->q.att_key, sizeof(x->q.att_key), err);
    if (rc != VT_OK) {
        vt__cached_release(&a->base);
        return rc;
    }
    if (cache != NULL)
        vt__cache_put(cache, VT_CACHE_TDX_ATT_KEY, key, INT64_MIN, INT64_MAX, &a->base);
    *held = &a->base;
    *out = a->key;
    return VT_OK;
}

static bool check_quote_signature(tdx_ctx *x)
{
    vt_pkey *k = NULL;
    vt__cached *held = NULL;
    vt_err e = { 0 };
    bool ok = false;

    if (attkey_get(&k, &held, x, &e) != VT_OK) {
        vt__result_fail(x->res, "quote_signature", "tdx: attestation_key is not a P-256 point (%s)", e.msg);
        goto out;
    }
    if (vt_ecdsa_verify_raw(k, VT_MD_SHA256, x->q.signed_bytes, x->q.signed_len, x->q.sig, sizeof(x->q.sig), &e) !=
        VT_OK) {
        vt__result_fail(x->res, "quote_signature", "tdx: quote signature does not verify with the attestation key");
        goto out;
    }
    ok = true;
out:
    vt__cached_release(held);
    return ok;
}

static bool check_binding(tdx_ctx *x)
{
    const void *parts[2] = { x->q.att_key, x->q.qe_auth };
    size_t lens[2] = { sizeof(x->q.att_key), x->q.qe_auth_len };
    uint8_t want[64] = { 0 };

    if (vt_digestv(VT_MD_SHA256, parts, lens, 2, want, NULL) != VT_OK) {
        vt__result_fail(x->res, "qe_report_binding", "tdx: cannot hash the attestation key");
        return false;
    }
    if (!vt_ct_equal(want, x->q.qe_report + SGX_R_REPORTDATA, sizeof(want))) {
        vt__result_fail(x->res, "qe_report_binding",
                        "tdx: QE report_data is not SHA-256(attestation_key || qe_auth_data) || 32 zero bytes");
        return false;
    }
    return true;
}

/* ---- collateral set (CRLs, signing chains) ---- */

static void load_set(tdx_ctx *x)
{
    vt_err e = { 0 };
    vt_status rc;

    if (x->set_loaded || !x->have_coll)
        return;
    x->set_loaded = true;
    rc = vt__tdx_coll_set_load(&x->set, x->req->opts->collateral, &e);
    if (rc == VT_OK && x->pcs != NULL)
        rc = vt__tdx_coll_set_add(&x->set, x->pcs->coll, &e);
    if (rc != VT_OK) {
        vt__result_fail(x->res, "collateral", "%s", e.msg);
        x->set_failed = true;
    }
}

/* ---- collateral from a PCS ---- */

/* What a PCK leaf names for collateral: parsed only, trusted through the chain checks later. */
typedef struct tdx_pck_id {
    vt__cached base;
    uint8_t fmspc[6];
    const char *ca;  /* "platform" / "processor" */
    bool sim;        /* issued by the simulator's PCK CA */
} tdx_pck_id;

static void pck_id_destroy(vt__cached *base)
{
    free(base);
}

/* The quote's PCK leaf, read once per verification (NULL with x->leaf_error when it cannot be). */
static const vt__tdx_pck_leaf *leaf_get(tdx_ctx *x)
{
    vt_err e = { 0 };

    if (x->leaf_tried)
        return x->leaf;
    x->leaf_tried = true;
    x->leaf = malloc(sizeof(*x->leaf));
    if (x->leaf == NULL) {
        snprintf(x->leaf_error, sizeof(x->leaf_error), "tdx: out of memory");
        return NULL;
    }
    if (vt__tdx_pck_leaf_from_pem(x->leaf, x->q.pck_pem, x->q.pck_pem_len, &x->leaf_end, &e) != VT_OK) {
        snprintf(x->leaf_error, sizeof(x->leaf_error), "%s", e.msg);
        free(x->leaf);
        x->leaf = NULL;
    }
    return x->leaf;
}

static vt_status pck_id_parse(tdx_pck_id *id, tdx_ctx *x, vt_err *err)
{
    const vt__tdx_pck_leaf *leaf = leaf_get(x);

    if (leaf == NULL)
        return vt_err_set(err, VT_E_FORMAT, "%s", x->leaf_error);
    if (leaf->ext_rc != VT_OK)
        return vt_err_set(err, VT_E_FORMAT, "%s", leaf->ext_msg);
    memcpy(id->fmspc, leaf->ext.fmspc, 6);
    id->sim = strstr(leaf->issuer_cn, VT_SIM_PCK_CA_CN) != NULL;
    if (strstr(leaf->issuer_cn, "Processor CA") != NULL)
        id->ca = "processor";
    else if (strstr(leaf->issuer_cn, "Platform CA") != NULL)
        id->ca = "platform";
    else
        return vt_err_set(err, VT_E_FORMAT, "tdx: PCK leaf issuer is neither a PCK Platform nor a Processor CA");
    return VT_OK;
}

/* The PCK leaf's FMSPC and CA, from the cache when there is one.  A held reference in *out. */
static vt_status pck_id_get(tdx_pck_id **out, tdx_ctx *x, vt_err *err)
{
    static const char tag[] = "veritee/tdx/pck-id";
    vt_verify_cache *cache = x->req->opts->cache;
    const void *parts[2] = { tag, x->q.pck_pem };
    size_t lens[2] = { sizeof(tag), x->q.pck_pem_len };
    uint8_t key[32];
    tdx_pck_id *id;
    vt_status rc;

    *out = NULL;
    if (cache != NULL && vt_digestv(VT_MD_SHA256, parts, lens, 2, key, NULL) != VT_OK)
        cache = NULL;
    id = (tdx_pck_id *)vt__cache_get(cache, VT_CACHE_TDX_PCK_ID, key, x->now);
    if (id != NULL) {
        *out = id;
        return VT_OK;
    }
    id = calloc(1, sizeof(*id));
    if (id == NULL)
        return vt_err_set(err, VT_E_NOMEM, "tdx: out of memory");
    vt__cached_init(&id->base, pck_id_destroy);
    rc = pck_id_parse(id, x, err);
    if (rc != VT_OK) {
        vt__cached_release(&id->base);
        return rc;
    }
    vt__cache_put(cache, VT_CACHE_TDX_PCK_ID, key, INT64_MIN, INT64_MAX, &id->base);
    *out = id;
    return VT_OK;
}

/* Fetching is wanted when the options name a PCS or allow the network. */
static bool pcs_wanted(const vt_verify_opts *o)
{
    return o->fetch || (o->pcs_url != NULL && o->pcs_url[0] != '\0');
}

/*
 * The fetched collateral for this quote's FMSPC and CA: from the in-memory
 * cache until its nextUpdate (less the refresh margin), else from the disk
 * cache or the PCS.  A simulated PCK is never sent to Intel's default PCS
 * (only to a PCS the options name).  Failures are kept in x->pcs_error.
 */
static void pcs_obtain(tdx_ctx *x)
{
    static const char tag[] = "veritee/tdx/pcs";
    const vt_verify_opts *o = x->req->opts;
    tdx_pck_id *id = NULL;
    char base[VT_PCS_BASE_MAX];
    uint8_t key[32];
    uint8_t net = o->fetch ? 1 : 0;
    const char *rcrl = o->root_crl_url != NULL ? o->root_crl_url : "";
    vt__tdx_pcs_set *s = NULL;
    vt_verify_cache *cache = o->cache;
    vt_err e = { 0 };

    if (pck_id_get(&id, x, &e) != VT_OK)
        return; /* the PCK chain checks say what is wrong with it */
    if (id->sim && (o->pcs_url == NULL || o->pcs_url[0] == '\0'))
        goto out;
    if (vt__pcs_base(base, sizeof(base), o, &e) != VT_OK) {
        snprintf(x->pcs_error, sizeof(x->pcs_error), "%s", e.msg);
        goto out;
    }
    {
        const void *parts[6] = { tag, base, rcrl, id->fmspc, id->ca, &net };
        size_t lens[6] = { sizeof(tag), strlen(base) + 1, strlen(rcrl) + 1, 6, strlen(id->ca) + 1, 1 };
        if (vt_digestv(VT_MD_SHA256, parts, lens, 6, key, NULL) != VT_OK)
            cache = NULL;
    }
    s = (vt__tdx_pcs_set *)vt__cache_get(cache, VT_CACHE_TDX_PCS, key, x->now);
    if (s == NULL) {
        if (vt__tdx_pcs_get(&s, o, id->fmspc, id->ca, &e) != VT_OK) {
            snprintf(x->pcs_error, sizeof(x->pcs_error), "%s", e.msg);
            goto out;
        }
        /* Each answer on its own: a bad one is dropped from the disk cache (and not asked for again at
         * once); one that is fine stays, whatever becomes of this quote.  A simulated PCK under a
         * verifier that trusts no simulation root proves nothing about the answers: left alone. */
        if (!id->sim || x->req->root_count > x->req->prod_root_count) {
            char why[200];
            int bad = vt__tdx_pcs_check(s, id->fmspc, x->req->roots, x->req->root_count, x->req->prod_root_count,
                                        why, sizeof(why), &e);

            if (bad >= 0) {
                vt__tdx_pcs_forget_one(s, o, bad, why);
                snprintf(x->pcs_error, sizeof(x->pcs_error), "%s", e.msg);
                vt__tdx_pcs_set_release(s);
                s = NULL;
                goto out;
            }
        }
        /* Held in memory until the refresh window; inside it, a minute at a time
         * (the disk layer refreshes it then, or keeps serving it until nextUpdate). */
        if (s->until - (o->refresh_before_s > 0 ? o->refresh_before_s : 0) >= x->now)
            vt__cache_put(cache, VT_CACHE_TDX_PCS, key, INT64_MIN,
                          s->until - (o->refresh_before_s > 0 ? o->refresh_before_s : 0), &s->base);
        else if (s->until >= x->now)
            vt__cache_put(cache, VT_CACHE_TDX_PCS, key, INT64_MIN,
                          s->until - x->now > TDX_PCS_RECHECK_S ? x->now + TDX_PCS_RECHECK_S : s->until, &s->base);
    }
    x->pcs = s;
out:
    vt__cached_release(&id->base);
}

/* ---- the PCK chain ---- */

static bool pck_key(uint8_t key[32], tdx_ctx *x, const uint8_t rdig[32])
{
    static const char tag[] = "veritee/tdx/pck-chain";
    const void *parts[4] = { tag, x->q.pck_pem, rdig, x->coll_digest };
    size_t lens[4] = { sizeof(tag), x->q.pck_pem_len, 32, 32 };

    return vt_digestv(VT_MD_SHA256, parts, lens, 4, key, NULL) == VT_OK;
}

/*
 * A verified PCK CA: the intermediate and root of a PCK chain with the CRLs
 * that applied to them, shared by every machine of one platform CA.  Every
 * leaf is checked under it (tdx_pck_leaf.c); with it cached, a quote from a
 * machine never seen before costs one small DER parse and one signature more
 * than a cached one (the fleet case).
 */
#define TDX_CA_CRLS_MAX 4

typedef struct tdx_pck_ca {
    vt__cached base;
    vt_x509 *ca;                    /* owned reference */
    vt_pkey *key;                   /* owned: ca's P-256 key */
    uint8_t subject[512];           /* ca's subject Name, DER */
    size_t subject_len;
    vt_crl *crls[TDX_CA_CRLS_MAX];  /* owned: CRLs issued by ca, verified with it */
    size_t crl_count;
    size_t crls_checked;            /* CRLs that applied to [ca, root] */
    size_t root_index;
    vt_time not_before, not_after;  /* ca, root and those CRLs */
} tdx_pck_ca;

static void pck_ca_destroy(vt__cached *base)
{
    tdx_pck_ca *c = (tdx_pck_ca *)base;

    vt_x509_free(c->ca);
    vt_pkey_free(c->key);
    for (size_t i = 0; i < c->crl_count; i++)
        vt_crl_free(c->crls[i]);
    free(c);
}

static bool pck_ca_key(uint8_t key[32], const tdx_ctx *x, const uint8_t rdig[32], size_t leaf_len)
{
    static const char tag[] = "veritee/tdx/pck-ca";
    const void *parts[4] = { tag, x->q.pck_pem + leaf_len, rdig, x->coll_digest };
    size_t lens[4] = { sizeof(tag), x->q.pck_pem_len - leaf_len, 32, 32 };

    return vt_digestv(VT_MD_SHA256, parts, lens, 4, key, NULL) == VT_OK;
}

/* CRLs issued by ca among the collateral blobs (they were verified with the chain). */
static bool pck_ca_crls(tdx_pck_ca *c, const vt_collateral *coll)
{
    char subj[256], iss[256];
    size_t count = coll == NULL ? 0 : vt_collateral_count(coll);

    vt_x509_subject(c->ca, subj, sizeof(subj));
    for (size_t i = 0; i < count; i++) {
        size_t len = 0;
        const uint8_t *p = vt_collateral_get(coll, i, NULL, &len);
        vt_crl *crl = NULL;

        if (p == NULL || len == 0 || p[0] == '{' || memmem(p, len, "-----BEGIN CERTIFICATE", 22) != NULL ||
            vt_crl_parse(&crl, p, len, NULL) != VT_OK)
            continue;
        vt_crl_issuer(crl, iss, sizeof(iss));
        if (strcmp(iss, subj) != 0) {
            vt_crl_free(crl);
            continue;
        }
        if (c->crl_count >= TDX_CA_CRLS_MAX) {
            vt_crl_free(crl);
            return false;
        }
        c->crls[c->crl_count++] = crl;
    }
    return true;
}

/*
 * Verifies the chain's CA part, [PCK CA, root] (the PEM after the leaf), with
 * the collateral's CRLs, and what the PCK CA must be to issue the leaf.  On
 * failure records pck_chain and returns NULL; else a new reference.
 */
static tdx_pck_ca *pck_ca_build(tdx_ctx *x, size_t leaf_len)
{
    const vt__verify_req *req = x->req;
    vt_x509 *certs[PCK_CHAIN_CERTS] = { NULL };
    size_t n = 0, subj_len = 0;
    const uint8_t *subj;
    vt_chain_result cr;
    vt_err e = { 0 };
    char cn[128];
    uint8_t fp_last[32], fp_root[32];
    tdx_pck_ca *c = NULL, *ret = NULL;
    bool prod;

    if (vt_x509_list_from_pem(certs, &n, PCK_CHAIN_CERTS, x->q.pck_pem + leaf_len, x->q.pck_pem_len - leaf_len,
                              &e) != VT_OK) {
        if (e.code == VT_E_LIMIT)
            vt__result_fail(x->res, "pck_chain", "tdx: pck_chain has more than %d certificates (need 3: PCK, PCK CA, "
                            "root)", PCK_CHAIN_CERTS);
        else
            vt__result_fail(x->res, "pck_chain", "tdx: pck_chain does not parse (%s)", e.msg);
        goto out;
    }
    if (n + 1 != PCK_CHAIN_CERTS) {
        vt__result_fail(x->res, "pck_chain", "tdx: pck_chain has %zu certificates (need 3: PCK, PCK CA, root)", n + 1);
        goto out;
    }
    load_set(x);
    if (vt_chain_verify(&cr, certs, n, req->roots, req->root_count, x->set.crls, x->set.crl_count, x->now, &e) !=
        VT_OK) {
        vt__result_fail(x->res, "pck_chain", "tdx: pck_chain does not verify: %s", e.msg);
        goto out;
    }
    vt_x509_fingerprint(certs[n - 1], fp_last);
    if (cr.root_index >= req->root_count) {
        vt__result_fail(x->res, "pck_chain", "tdx: pck_chain anchored at an unknown root");
        goto out;
    }
    vt_x509_fingerprint(req->roots[cr.root_index], fp_root);
    if (!vt_ct_equal(fp_last, fp_root, sizeof(fp_root))) {
        vt__result_fail(x->res, "pck_chain", "tdx: pck_chain third certificate is not the trusted root itself");
        goto out;
    }
    /* Names: Intel's under the Intel root; the simulator's also accepted under a simulation root. */
    prod = cr.root_index < req->prod_root_count;
    vt_x509_subject_cn(certs[0], cn, sizeof(cn));
    if (strcmp(cn, PCK_PLATFORM_CA_CN) != 0 && strcmp(cn, PCK_PROCESSOR_CA_CN) != 0 &&
        (prod || strcmp(cn, VT_SIM_PCK_CA_CN) != 0)) {
        vt__result_fail(x->res, "pck_chain", "tdx: pck_chain intermediate CN \"%s\" is not an Intel SGX PCK CA", cn);
        goto out;
    }
    if (vt__chain_can_issue(certs[0], &e) != VT_OK) {
        vt__result_fail(x->res, "pck_chain", "tdx: pck_chain does not verify: %s", e.msg);
        goto out;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        vt__result_fail(x->res, "pck_chain", "tdx: out of memory");
        goto out;
    }
    vt__cached_init(&c->base, pck_ca_destroy);
    c->ca = vt_x509_ref(certs[0]);
    if (vt_x509_pubkey(&c->key, c->ca, &e) != VT_OK || vt_pkey_type(c->key) != VT_KEY_EC_P256) {
        vt__result_fail(x->res, "pck_chain", "tdx: pck_chain intermediate key is not ECDSA P-256");
        goto out;
    }
    subj = vt__x509_subject_der(c->ca, &subj_len);
    if (subj == NULL || subj_len > sizeof(c->subject)) {
        vt__result_fail(x->res, "pck_chain", "tdx: pck_chain intermediate subject of %zu bytes not usable",
                        subj_len);
        goto out;
    }
    memcpy(c->subject, subj, subj_len);
    c->subject_len = subj_len;
    c->crls_checked = cr.crls_checked;
    c->root_index = cr.root_index;
    c->not_before = cr.not_before;
    c->not_after = cr.not_after;
    if (!pck_ca_crls(c, req->opts->collateral) || (x->pcs != NULL && !pck_ca_crls(c, x->pcs->coll))) {
        vt__result_fail(x->res, "pck_chain", "tdx: pck_chain: more than %d CRLs of the PCK CA in the collateral",
                        TDX_CA_CRLS_MAX);
        goto out;
    }
    ret = c;
    c = NULL;
out:
    if (c != NULL)
        vt__cached_release(&c->base);
    for (size_t i = 0; i < n; i++)
        vt_x509_free(certs[i]);
    return ret;
}

/* The verified PCK CA of this quote's chain: from the cache, else verified (and cached). */
static tdx_pck_ca *pck_ca_get(tdx_ctx *x, const uint8_t rdig[32], size_t leaf_len)
{
    vt_verify_cache *cache = x->req->opts->cache;
    uint8_t key[32];
    tdx_pck_ca *c;

    if (cache == NULL || !pck_ca_key(key, x, rdig, leaf_len))
        cache = NULL;
    c = (tdx_pck_ca *)vt__cache_get(cache, VT_CACHE_TDX_PCK_CA, key, x->now);
    if (c != NULL)
        return c;
    c = pck_ca_build(x, leaf_len);
    if (c != NULL && !x->set_failed)
        vt__cache_put(cache, VT_CACHE_TDX_PCK_CA, key, c->not_before, c->not_after, &c->base);
    return c;
}

/* The PCK leaf's subject, P-256 key and SGX extensions into p (a missing or
 * bad extension is recorded as pck_extension); false when the key is unusable. */
static bool pck_leaf_read(tdx_ctx *x, tdx_pck *p, const vt__tdx_pck_leaf *leaf)
{
    vt_err e = { 0 };

    snprintf(p->leaf_subject, sizeof(p->leaf_subject), "%s", leaf->subject);
    if (vt_pkey_from_ec_raw(&p->leaf_key, VT_KEY_EC_P256, leaf->pub, sizeof(leaf->pub), &e) != VT_OK) {
        vt__result_fail(x->res, "pck_chain", "tdx: pck_chain leaf key is not ECDSA P-256 (%s)", e.msg);
        p->leaf_key = NULL;
        return false;
    }
    if (leaf->ext_rc != VT_OK) {
        vt__result_fail(x->res, "pck_extension", "%s", leaf->ext_msg);
    } else {
        p->ext = leaf->ext;
        p->ext_ok = true;
    }
    return true;
}

/* The leaf under its verified CA: issuer, signature, validity, the CA's CRLs, and its name. */
static void pck_leaf_check(tdx_ctx *x, tdx_pck *p, const tdx_pck_ca *ca, const vt__tdx_pck_leaf *leaf)
{
    const vt__tdx_pck_issuer iss = { ca->subject, ca->subject_len, ca->key, ca->crls, ca->crl_count };
    bool prod = ca->root_index < x->req->prod_root_count;
    vt_err e = { 0 };

    if (vt__tdx_pck_leaf_verify(leaf, &iss, x->now, &e) != VT_OK) {
        vt__result_fail(x->res, "pck_chain", "tdx: pck_chain does not verify: %s", e.msg);
        return;
    }
    if (strcmp(leaf->subject_cn, PCK_LEAF_CN) != 0 && (prod || strcmp(leaf->subject_cn, VT_SIM_PCK_CN) != 0)) {
        vt__result_fail(x->res, "pck_chain", "tdx: pck_chain leaf CN \"%s\" is not \"%s\"", leaf->subject_cn,
                        PCK_LEAF_CN);
        return;
    }
    p->not_before = leaf->not_before > ca->not_before ? leaf->not_before : ca->not_before;
    p->not_after = leaf->not_after < ca->not_after ? leaf->not_after : ca->not_after;
    p->root_index = ca->root_index;
    p->crls_checked = ca->crls_checked;
    p->leaf_crls = ca->crl_count;
    x->chain_ok = true;
}

/* Reads the leaf, verifies its CA (or takes it from the cache), then the leaf
 * under it; on failure records pck_chain / pck_extension. */
static void pck_build(tdx_ctx *x, tdx_pck *p, const uint8_t rdig[32])
{
    const vt__tdx_pck_leaf *leaf = leaf_get(x);
    tdx_pck_ca *ca;

    if (leaf == NULL) {
        vt__result_fail(x->res, "pck_chain", "tdx: pck_chain does not parse (%s)", x->leaf_error);
        return;
    }
    if (!pck_leaf_read(x, p, leaf))
        return;
    ca = pck_ca_get(x, rdig, x->leaf_end);
    if (ca == NULL)
        return;
    pck_leaf_check(x, p, ca, leaf);
    vt__cached_release(&ca->base);
}

static void pck_obtain(tdx_ctx *x, const uint8_t rdig[32])
{
    vt_verify_cache *cache = x->req->opts->cache;
    uint8_t key[32];
    tdx_pck *p = NULL;

    if (!pck_key(key, x, rdig))
        cache = NULL; /* no key: verify without the cache */
    p = (tdx_pck *)vt__cache_get(cache, VT_CACHE_TDX_PCK, key, x->now);
    if (p != NULL) {
        x->pck = p;
        x->chain_ok = true;
        return;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        vt__result_fail(x->res, "pck_chain", "tdx: out of memory");
        return;
    }
    vt__cached_init(&p->base, pck_destroy);
    pck_build(x, p, rdig);
    if (x->chain_ok && p->ext_ok && !x->set_failed)
        vt__cache_put(cache, VT_CACHE_TDX_PCK, key, p->not_before, p->not_after, &p->base);
    x->pck = p;
}

static bool check_qe_report_signature(tdx_ctx *x)
{
    if (x->pck == NULL || x->pck->leaf_key == NULL) {
        vt__result_fail(x->res, "qe_report_signature", "tdx: QE report signature not checked: no usable PCK leaf key");
        return false;
    }
    if (vt_ecdsa_verify_raw(x->pck->leaf_key, VT_MD_SHA256, x->q.qe_report, sizeof(x->q.qe_report),
                            x->q.qe_report_sig, sizeof(x->q.qe_report_sig), NULL) != VT_OK) {
        vt__result_fail(x->res, "qe_report_signature",
                        "tdx: QE report signature does not verify with the PCK leaf key");
        return false;
    }
    return true;
}

/* ---- collateral ---- */

/* Where the rollback floors are kept: state, not cache (clearing the cache keeps them), so
 * <state_dir>/collateral-floors, or the fetch cache directory without a state directory. */
static const char *floor_dir(char *buf, size_t cap, const vt_verify_opts *o)
{
    int n;

    if (o->state_dir == NULL || o->state_dir[0] == '\0')
        return o->fetch_cache_dir;
    n = snprintf(buf, cap, "%s/collateral-floors", o->state_dir);
    return n > 0 && (size_t)n < cap ? buf : NULL;
}

/* The rollback floors of the TCB info of this FMSPC and of the TD_QE identity (tdx_eval.h). */
static void eval_floors(char tcb_name[TDX_EVAL_NAME_MAX], char qe_name[TDX_EVAL_NAME_MAX], vt__tdx_eval_floor *tcb,
                        vt__tdx_eval_floor *qe, const tdx_ctx *x, const char *dir, bool sim)
{
    const vt_verify_opts *o = x->req->opts;
    char fhex[13];

    vt_hex_encode(fhex, x->pck->ext.fmspc, 6);
    vt__tdx_eval_name(tcb_name, sim, "tcb", fhex);
    vt__tdx_eval_name(qe_name, sim, "qe", "TD_QE");
    vt__tdx_eval_floor_get(tcb, o->cache, dir, tcb_name);
    vt__tdx_eval_floor_get(qe, o->cache, dir, qe_name);
}

static void coll_obtain(tdx_ctx *x)
{
    static const char tag[] = "veritee/tdx/collateral";
    const vt__verify_req *req = x->req;
    vt_x509 *const *roots = req->roots;
    size_t root_count = req->root_count;
    uint8_t rdig[32], key[32];
    vt__tdx_coll *c = NULL;
    vt__tdx_eval_floor tcb_floor, qe_floor;
    char tcb_name[TDX_EVAL_NAME_MAX], qe_name[TDX_EVAL_NAME_MAX], fbuf[4096];
    const char *fdir = floor_dir(fbuf, sizeof(fbuf), req->opts);

    size_t prod_count = req->prod_root_count;

    /* Collateral must be signed under the same root as the PCK chain. */
    if (x->chain_ok) {
        roots = &req->roots[x->pck->root_index];
        root_count = 1;
        prod_count = x->pck->root_index < req->prod_root_count ? 1 : 0;
    }
    if (roots_digest(rdig, roots, root_count, NULL) != VT_OK) {
        vt__result_fail(x->res, "collateral", "tdx: cannot digest the trusted roots");
        return;
    }
    {
        uint8_t pc = (uint8_t)prod_count;
        const void *parts[6] = { tag, x->coll_digest, rdig, x->pck->ext.fmspc, x->pck->ext.pceid, &pc };
        size_t lens[6] = { sizeof(tag), 32, 32, 6, 2, 1 };
        if (vt_digestv(VT_MD_SHA256, parts, lens, 6, key, NULL) != VT_OK) {
            vt__result_fail(x->res, "collateral", "tdx: cannot digest the collateral");
            return;
        }
    }
    eval_floors(tcb_name, qe_name, &tcb_floor, &qe_floor, x, fdir, prod_count == 0);
    c = (vt__tdx_coll *)vt__cache_get(req->opts->cache, VT_CACHE_TDX_COLLATERAL, key, x->now);
    if (c != NULL && !vt__tdx_eval_refused(&tcb_floor, c->tcb.tcb_eval_num, x->now) &&
        !vt__tdx_eval_refused(&qe_floor, c->qe.tcb_eval_num, x->now)) {
        x->coll = c;
        return;
    }
    vt__tdx_coll_release(c); /* verified once, but older than what was verified since: checked again, and refused */
    c = NULL;
    load_set(x);
    if (x->set_failed)
        return;
    vt__tdx_coll_verify(&c, &x->set, x->pck->ext.fmspc, x->pck->ext.pceid, roots, root_count, prod_count, x->now,
                        &tcb_floor, &qe_floor, x->res);
    if (c == NULL)
        return;
    /* Only collateral fetched by the verifier itself, under the PCK chain's own root, raises a floor:
     * what a caller passes (a genuine document of Intel's early stream, say) could otherwise make the
     * fetched standard one look like a rollback for everyone. */
    if (x->chain_ok && x->pcs != NULL && vt_collateral_count(req->opts->collateral) == 0) {
        vt__tdx_eval_floor_raise(req->opts->cache, fdir, tcb_name, c->tcb.tcb_eval_num,
                                 c->tcb.issue_date);
        vt__tdx_eval_floor_raise(req->opts->cache, fdir, qe_name, c->qe.tcb_eval_num,
                                 c->qe.issue_date);
    }
    vt__cache_put(req->opts->cache, VT_CACHE_TDX_COLLATERAL, key, c->not_before, c->not_after, &c->base);
    x->coll = c;
}

static void evaluate_tcb(tdx_ctx *x)
{
    vt_claims *cl = &x->res->claims;
    const vt__tdx_quote *q = &x->q;
    vt__tdx_tcb_input in;
    vt__tdx_tcb_eval ev;
    char module[48] = "";

    memset(&in, 0, sizeof(in));
    memcpy(in.pck_comp_svn, x->pck->ext.comp_svn, 16);
    in.pck_pcesvn = x->pck->ext.pcesvn;
    memcpy(in.tee_tcb_svn, vt__tdx_body(q, TDX_B_TEE_TCB_SVN), 16);
    memcpy(in.mrsignerseam, vt__tdx_body(q, TDX_B_MRSIGNERSEAM), 48);
    memcpy(in.seam_attributes, vt__tdx_body(q, TDX_B_SEAM_ATTRIBUTES), 8);
    memcpy(in.qe_miscselect, q->qe_report + SGX_R_MISCSELECT, 4);
    memcpy(in.qe_attributes, q->qe_report + SGX_R_ATTRIBUTES, 16);
    memcpy(in.qe_mrsigner, q->qe_report + SGX_R_MRSIGNER, 32);
    in.qe_isvprodid = (uint16_t)(q->qe_report[SGX_R_ISVPRODID] | (q->qe_report[SGX_R_ISVPRODID + 1] << 8));
    in.qe_isvsvn = (uint16_t)(q->qe_report[SGX_R_ISVSVN] | (q->qe_report[SGX_R_ISVSVN + 1] << 8));
    vt__tdx_tcb_evaluate(&ev, &x->coll->tcb, &x->coll->qe, &in);

    if (!ev.module_ok)
        vt__result_fail(x->res, "tdx_module", "%s", ev.module_problem);
    if (!ev.qe_ok)
        vt__result_fail(x->res, "qe_identity", "%s", ev.qe_problem);
    snprintf(cl->tcb_status, sizeof(cl->tcb_status), "%s", vt__tdx_status_name(ev.combined));
    for (size_t i = 0; i < ev.advisory_count; i++)
        vt__claims_add_advisory(cl, ev.advisories[i]);
    if (ev.module_id[0] != '\0')
        snprintf(module, sizeof(module), "module %s %s", ev.module_id, vt__tdx_status_name(ev.module));
    else
        snprintf(module, sizeof(module), "module (TDX 1.0) %s", vt__tdx_status_name(ev.module));
    if (ev.combined == TDX_ST_UP_TO_DATE)
        return;
    if (ev.combined == TDX_ST_REVOKED || ev.combined == TDX_ST_NO_MATCH)
        vt__result_fail(x->res, "tcb_status", "tdx: tcb_status %s (platform %s, %s, QE %s)",
                        vt__tdx_status_name(ev.combined), vt__tdx_status_name(ev.platform), module,
                        vt__tdx_status_name(ev.qe));
    else
        vt__result_warn(x->res, "tcb_status", "tdx: tcb_status %s (platform %s, %s, QE %s; %zu advisories)",
                        vt__tdx_status_name(ev.combined), vt__tdx_status_name(ev.platform), module,
                        vt__tdx_status_name(ev.qe), ev.advisory_count);
}

/* ---- the plugin ---- */

static bool tdx_probe(const uint8_t *p, size_t len)
{
    return vt__tdx_quote_probe(p, len);
}

static vt_status tdx_verify(const vt__verify_req *req, vt_result *res, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    tdx_ctx *x = NULL;
    vt_err e = { 0 };
    uint8_t rdig[32];
    bool sig_ok, bind_ok, qe_ok;
    char hex[65];

    if (req == NULL || res == NULL || req->opts == NULL || (req->evidence == NULL && req->len > 0))
        return vt_err_set(err, VT_E_ARG, "tdx: verify request incomplete");
    snprintf(res->claims.tcb_status, sizeof(res->claims.tcb_status), "%s", "unknown");
    res->claims.platform = VT_TEE_TDX;
    x = calloc(1, sizeof(*x));
    if (x == NULL)
        return vt_err_set(err, VT_E_NOMEM, "tdx: out of memory");
    x->req = req;
    x->res = res;
    x->now = req->opts->now;
    rc = vt__tdx_quote_parse(&x->q, req->evidence, req->len, &e);
    if (rc != VT_OK) {
        vt__result_fail(res, "quote_format", "%s", e.msg);
        rc = vt_err_set(err, rc, "%s", e.msg);
        goto out;
    }
    add_claims(x);
    x->have_coll = req->opts->collateral != NULL && vt_collateral_count(req->opts->collateral) > 0;
    if (x->have_coll && vt__collateral_digest(x->coll_digest, req->opts->collateral, &e) != VT_OK) {
        rc = vt_err_set(err, VT_E_INTERNAL, "%s", e.msg);
        goto out;
    }
    if (pcs_wanted(req->opts))
        pcs_obtain(x);
    if (x->pcs != NULL) {
        static const char tag[] = "veritee/tdx/with-pcs";
        const void *parts[3] = { tag, x->coll_digest, x->pcs->digest };
        size_t lens[3] = { sizeof(tag), 32, 32 };
        if (vt_digestv(VT_MD_SHA256, parts, lens, 3, x->coll_digest, &e) != VT_OK) {
            rc = vt_err_set(err, VT_E_INTERNAL, "%s", e.msg);
            goto out;
        }
        x->have_coll = true;
    }
    if (roots_digest(rdig, req->roots, req->root_count, &e) != VT_OK) {
        rc = vt_err_set(err, VT_E_INTERNAL, "%s", e.msg);
        goto out;
    }

    sig_ok = check_quote_signature(x);
    bind_ok = check_binding(x);
    pck_obtain(x, rdig);
    qe_ok = check_qe_report_signature(x);
    res->signature_valid = sig_ok && bind_ok && qe_ok;
    res->chain_valid = x->chain_ok;
    res->claims.hardware_attested = x->chain_ok && x->pck->root_index < req->prod_root_count;

    vt_hex_encode(hex, x->q.qe_report + SGX_R_MRSIGNER, 32);
    if (x->pck != NULL && x->pck->leaf_subject[0] != '\0')
        vt__claims_add_signer(&res->claims, "pck", x->pck->leaf_subject);
    vt__claims_add_signer(&res->claims, "qe", hex);
    if (x->pck != NULL && x->pck->ext_ok) {
        vt__claims_add(&res->claims, "fmspc", x->pck->ext.fmspc, 6);
        vt__claims_add(&res->claims, "pceid", x->pck->ext.pceid, 2);
    }
    if (x->chain_ok)
        vt__claims_window(&res->claims, x->pck->not_before, x->pck->not_after);
    /* With collateral, both CRLs (PCK CA's and the root's) should have applied: one of each issuer,
     * not two of one. */
    if (x->have_coll && x->chain_ok && !x->set_failed &&
        (x->pck->leaf_crls == 0 || x->pck->crls_checked <= x->pck->leaf_crls))
        vt__result_warn(res, "revocation",
                        "tdx: revocation not fully checked: %zu of 2 CRLs (PCK CA, root CA) in the collateral apply "
                        "to the PCK chain",
                        (size_t)(x->pck->leaf_crls > 0) + (size_t)(x->pck->crls_checked > x->pck->leaf_crls));

    if (x->have_coll && x->pck != NULL && x->pck->ext_ok)
        coll_obtain(x);
    if (x->coll == NULL && x->pcs_error[0] != '\0') {
        if (req->opts->allow_missing_collateral)
            vt__result_warn(res, "collateral", "%s", x->pcs_error);
        else
            vt__result_fail(res, "collateral", "%s", x->pcs_error);
    }
    if (x->coll != NULL) {
        res->collateral_verified = true;
        vt__claims_add_signer(&res->claims, "tcb_signer", x->coll->tcb_signer);
        vt__claims_window(&res->claims, x->coll->not_before, x->coll->not_after);
        evaluate_tcb(x);
    }
    rc = VT_OK;
out:
    if (x != NULL) {
        vt__tdx_coll_set_free(&x->set);
        if (x->pck != NULL)
            vt__cached_release(&x->pck->base);
        vt__tdx_coll_release(x->coll);
        vt__tdx_pcs_set_release(x->pcs);
        free(x->leaf);
        free(x);
    }
    return rc;
}

/* ---- inspect ---- */

static json_t *jhex(const uint8_t *p, size_t n)
{
    char buf[2 * TDX_QE_AUTH_MAX + 1];

    if (n > TDX_QE_AUTH_MAX)
        return json_null();
    vt_hex_encode(buf, p, n);
    return json_string(buf);
}

static json_t *jtime(vt_time t)
{
    char buf[32];

    vt_time_format(buf, t);
    return json_string(buf);
}

static json_t *inspect_pck(const vt__tdx_quote *q)
{
    json_t *arr = json_array(), *o;
    vt__tdx_pck_leaf *leaf = malloc(sizeof(*leaf));
    vt_x509 *certs[PCK_CHAIN_CERTS + 1] = { NULL };
    size_t n = 0;
    char s[256];

    if (vt_x509_list_from_pem(certs, &n, PCK_CHAIN_CERTS + 1, q->pck_pem, q->pck_pem_len, NULL) != VT_OK) {
        for (size_t i = 0; i < n; i++)
            vt_x509_free(certs[i]);
        free(leaf);
        return arr;
    }
    for (size_t i = 0; i < n; i++) {
        vt_time nb, na;
        size_t der_len = 0;
        const uint8_t *der = vt_x509_der(certs[i], &der_len);

        o = json_object();
        vt_x509_subject(certs[i], s, sizeof(s));
        json_object_set_new(o, "subject", json_string(s));
        vt_x509_issuer(certs[i], s, sizeof(s));
        json_object_set_new(o, "issuer", json_string(s));
        vt_x509_serial_hex(certs[i], s, sizeof(s));
        json_object_set_new(o, "serial", json_string(s));
        vt_x509_validity(certs[i], &nb, &na);
        json_object_set_new(o, "not_before", jtime(nb));
        json_object_set_new(o, "not_after", jtime(na));
        if (i == 0 && leaf != NULL && vt__tdx_pck_leaf_parse(leaf, der, der_len, NULL) == VT_OK &&
            leaf->ext_rc == VT_OK) {
            const vt__tdx_pck_ext pe = leaf->ext;
            json_t *e = json_object();
            json_object_set_new(e, "ppid", jhex(pe.ppid, 16));
            json_object_set_new(e, "fmspc", jhex(pe.fmspc, 6));
            json_object_set_new(e, "pceid", jhex(pe.pceid, 2));
            json_object_set_new(e, "pcesvn", json_integer(pe.pcesvn));
            json_object_set_new(e, "cpusvn", jhex(pe.cpusvn, 16));
            json_object_set_new(e, "tcb_comp_svn", jhex(pe.comp_svn, 16));
            json_object_set_new(e, "sgx_type", json_integer(pe.sgx_type));
            json_object_set_new(o, "sgx_extension", e);
        }
        json_array_append_new(arr, o);
        vt_x509_free(certs[i]);
    }
    free(leaf);
    return arr;
}

static vt_status tdx_inspect(const uint8_t *p, size_t len, char **json_out, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__tdx_quote *q = NULL;
    json_t *o = NULL, *h, *b, *s, *r;
    static const char *const rtmr[4] = { "rtmr0", "rtmr1", "rtmr2", "rtmr3" };

    *json_out = NULL;
    q = calloc(1, sizeof(*q));
    if (q == NULL)
        return vt_err_set(err, VT_E_NOMEM, "tdx: out of memory");
    rc = vt__tdx_quote_parse(q, p, len, err);
    if (rc != VT_OK)
        goto out;
    o = json_object();
    h = json_object();
    b = json_object();
    s = json_object();
    r = json_object();
    json_object_set_new(o, "platform", json_string("tdx"));
    json_object_set_new(h, "version", json_integer(q->version));
    json_object_set_new(h, "attestation_key_type", json_integer(q->att_key_type));
    json_object_set_new(h, "tee_type", json_integer(q->tee_type));
    json_object_set_new(h, "qe_vendor_id", jhex(q->qe_vendor_id, 16));
    json_object_set_new(h, "user_data", jhex(q->user_data, 20));
    json_object_set_new(o, "header", h);
    json_object_set_new(b, "body_type", json_integer(q->body_type));
    json_object_set_new(b, "body_size", json_integer(q->body_len));
    json_object_set_new(b, "tee_tcb_svn", jhex(vt__tdx_body(q, TDX_B_TEE_TCB_SVN), 16));
    json_object_set_new(b, "mrseam", jhex(vt__tdx_body(q, TDX_B_MRSEAM), 48));
    json_object_set_new(b, "mrsignerseam", jhex(vt__tdx_body(q, TDX_B_MRSIGNERSEAM), 48));
    json_object_set_new(b, "seam_attributes", jhex(vt__tdx_body(q, TDX_B_SEAM_ATTRIBUTES), 8));
    json_object_set_new(b, "td_attributes", jhex(vt__tdx_body(q, TDX_B_TD_ATTRIBUTES), 8));
    json_object_set_new(b, "debug", json_boolean(vt__tdx_body(q, TDX_B_TD_ATTRIBUTES)[0] & TDX_TD_ATTR_DEBUG));
    json_object_set_new(b, "xfam", jhex(vt__tdx_body(q, TDX_B_XFAM), 8));
    json_object_set_new(b, "mrtd", jhex(vt__tdx_body(q, TDX_B_MRTD), 48));
    json_object_set_new(b, "mrconfigid", jhex(vt__tdx_body(q, TDX_B_MRCONFIGID), 48));
    json_object_set_new(b, "mrowner", jhex(vt__tdx_body(q, TDX_B_MROWNER), 48));
    json_object_set_new(b, "mrownerconfig", jhex(vt__tdx_body(q, TDX_B_MROWNERCONFIG), 48));
    for (size_t i = 0; i < 4; i++)
        json_object_set_new(b, rtmr[i], jhex(vt__tdx_body(q, TDX_B_RTMR0 + 48 * i), 48));
    json_object_set_new(b, "report_data", jhex(vt__tdx_body(q, TDX_B_REPORTDATA), 64));
    if (q->body_type == TDX_V5_BODY_TDX15) {
        json_object_set_new(b, "tee_tcb_svn2", jhex(vt__tdx_body(q, TDX_B_TEE_TCB_SVN2), 16));
        json_object_set_new(b, "mrservicetd", jhex(vt__tdx_body(q, TDX_B_MRSERVICETD), 48));
    }
    json_object_set_new(o, "body", b);
    json_object_set_new(r, "cpusvn", jhex(q->qe_report + SGX_R_CPUSVN, 16));
    json_object_set_new(r, "miscselect", jhex(q->qe_report + SGX_R_MISCSELECT, 4));
    json_object_set_new(r, "attributes", jhex(q->qe_report + SGX_R_ATTRIBUTES, 16));
    json_object_set_new(r, "mrenclave", jhex(q->qe_report + SGX_R_MRENCLAVE, 32));
    json_object_set_new(r, "mrsigner", jhex(q->qe_report + SGX_R_MRSIGNER, 32));
    json_object_set_new(r, "isvprodid",
                        json_integer(q->qe_report[SGX_R_ISVPRODID] | (q->qe_report[SGX_R_ISVPRODID + 1] << 8)));
    json_object_set_new(r, "isvsvn", json_integer(q->qe_report[SGX_R_ISVSVN] | (q->qe_report[SGX_R_ISVSVN + 1] << 8)));
    json_object_set_new(r, "report_data", jhex(q->qe_report + SGX_R_REPORTDATA, 64));
    json_object_set_new(s, "length", json_integer(q->sig_data_len));
    json_object_set_new(s, "quote_signature", jhex(q->sig, sizeof(q->sig)));
    json_object_set_new(s, "attestation_key", jhex(q->att_key, sizeof(q->att_key)));
    json_object_set_new(s, "certification_data_type", json_integer(q->cert_type));
    json_object_set_new(s, "qe_report", r);
    json_object_set_new(s, "qe_report_signature", jhex(q->qe_report_sig, sizeof(q->qe_report_sig)));
    json_object_set_new(s, "qe_auth_data", jhex(q->qe_auth, q->qe_auth_len));
    json_object_set_new(s, "pck_cert_chain_type", json_integer(q->pck_cert_type));
    json_object_set_new(s, "pck_cert_chain", json_stringn(q->pck_pem, q->pck_pem_len));
    json_object_set_new(s, "pck_certificates", inspect_pck(q));
    json_object_set_new(o, "signature_data", s);
    json_object_set_new(o, "trailing_bytes", json_integer((json_int_t)q->trailing_len));
    *json_out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (*json_out == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "tdx: cannot serialize the quote as JSON");
        goto out;
    }
    rc = VT_OK;
out:
    json_decref(o);
    free(q);
    return rc;
}

const vt__tee_ops vt__tee_tdx = {
    .abi = VT_TEE_OPS_ABI,
    .kind = VT_TEE_TDX,
    .name = "tdx",
    .caps = VT_TEE_CAN_DETECT | VT_TEE_CAN_COLLECT | VT_TEE_CAN_VERIFY,
    .probe = tdx_probe,
    .detect = vt__tdx_detect,   /* tee/tdx_collect.c: configfs-tsm on a Linux guest */
    .collect = vt__tdx_collect,
    .verify = tdx_verify,
    .inspect = tdx_inspect,
};
