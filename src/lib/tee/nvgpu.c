/*
 * NVIDIA GPU (H100) and NVSwitch (LS10) plugin: verifies SPDM 1.1
 * GET_MEASUREMENTS evidence.  The signature (ECDSA P-384/SHA-384, raw r||s)
 * covers request || response up to the signature; the signing key is the
 * leaf of the device certificate chain, which comes as PEM collateral (leaf
 * first) and must chain to the pinned NVIDIA Device Identity CA.  The leaf's
 * FWID extension must equal the FWID in the opaque data.  Reference values
 * (NVIDIA RIMs) and OCSP need the network and are not checked; a local
 * reference-values file can be passed instead.  Claims, report_data mapping
 * and the order of checks are in docs/formats/nvgpu.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "tee/cache.h"
#include "tee/nvgpu_fetch.h"
#include "tee/nvgpu_rim.h"
#include "tee/nvgpu_spdm.h"
#include "tee/plugin.h"

#define NVGPU_CHAIN_MAX 8
#define NVGPU_REF_MAX (64u * 1024u)
#define NVGPU_REF_FORMAT "veritee-nvgpu-ref-v1"
#define NVGPU_FWID_OID "2.23.133.5.4.1"

/* A verified chain: cacheable, keyed by every certificate byte and the roots. */
typedef struct nvgpu_chain {
    vt__cached base;
    vt_pkey *leaf_key;
    char leaf_subject[232];
    bool fwid_present;
    uint8_t fwid[NVGPU_FWID_LEN];
    vt_time not_before, not_after;
    size_t root_index;
} nvgpu_chain;

typedef struct nvgpu_ctx {
    const vt__verify_req *req;
    vt_result *res;
    vt_time now;
    vt__nvgpu_evidence ev;
    vt_x509 *certs[NVGPU_CHAIN_MAX];
    size_t cert_count;
    /* The PEM collateral, parsed only when the chain is not cached: parsing
     * five certificates costs more than the signature check itself. */
    struct {
        const uint8_t *p;
        size_t len;
        const char *name;
    } pem[4];
    size_t pem_count;
    json_t *ref; /* reference values, when the collateral holds them */
    struct {
        const uint8_t *p;
        size_t len;
    } rim[2]; /* RIM blobs (SWID XML), borrowed from the collateral or rim_owned */
    size_t rim_count;
    vt_buf rim_owned[2]; /* RIMs fetched from the RIM service */
    char rim_id[2][VT_NVGPU_RIM_ID_MAX]; /* beside rim[]: the RIM service ID of a fetched one, else "" */
    nvgpu_chain *chain;
    bool chain_ok;
} nvgpu_ctx;

static void chain_destroy(vt__cached *base)
{
    nvgpu_chain *c = (nvgpu_chain *)base;

    vt_pkey_free(c->leaf_key);
    free(c);
}

/* ---- collateral: PEM certificates and an optional reference-values file ---- */

static bool contains(const uint8_t *p, size_t len, const char *needle, size_t window)
{
    size_t nl = strlen(needle);

    for (size_t i = 0; i + nl <= len && i < window; i++)
        if (memcmp(p + i, needle, nl) == 0)
            return true;
    return false;
}

/* Certificates of every PEM blob (in order), and the one reference file; other blobs are ignored. */
static bool coll_load(nvgpu_ctx *x)
{
    const vt_collateral *c = x->req->opts->collateral;
    size_t n = c == NULL ? 0 : vt_collateral_count(c);

    for (size_t i = 0; i < n; i++) {
        const char *name = NULL;
        size_t len = 0;
        const uint8_t *p = vt_collateral_get(c, i, &name, &len);

        if (p == NULL || len == 0)
            continue;
        if (contains(p, len, "-----BEGIN CERTIFICATE-----", 4096)) {
            if (x->pem_count == sizeof(x->pem) / sizeof(x->pem[0])) {
                vt__result_fail(x->res, "cert_chain", "nvgpu: more than %zu certificate files in the collateral",
                                sizeof(x->pem) / sizeof(x->pem[0]));
                return false;
            }
            x->pem[x->pem_count].p = p;
            x->pem[x->pem_count].len = len;
            x->pem[x->pem_count].name = name;
            x->pem_count++;
            continue;
        }
        if (contains(p, len, "<SoftwareIdentity", 4096)) {
            if (x->rim_count == 2) {
                vt__result_fail(x->res, "rim", "nvgpu: more than two RIMs (driver, VBIOS) in the collateral");
                return false;
            }
            x->rim[x->rim_count].p = p;
            x->rim[x->rim_count].len = len;
            x->rim_count++;
            continue;
        }
        if (p[0] == '{' && contains(p, len, NVGPU_REF_FORMAT, len)) {
            json_error_t je;

            if (x->ref != NULL) {
                vt__result_fail(x->res, "reference", "nvgpu: collateral holds two reference-value files");
                return false;
            }
            if (len > NVGPU_REF_MAX) {
                vt__result_fail(x->res, "reference", "nvgpu: reference-value file %s exceeds %u bytes",
                                name ? name : "?", NVGPU_REF_MAX);
                return false;
            }
            x->ref = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &je);
            if (x->ref == NULL) {
                vt__result_fail(x->res, "reference", "nvgpu: reference-value file %s is not JSON (line %d)",
                                name ? name : "?", je.line);
                return false;
            }
        }
    }
    return true;
}

/* ---- the certificate chain ---- */

/* FWID of the leaf's TCG DICE extension: the first SHA-384 digest in it
 * (OID 2.16.840.1.101.3.4.2.2 followed by a 48-byte OCTET STRING).  Hopper
 * puts one FWID last; Blackwell's TcbInfo lists FWID[0] first. */
static bool leaf_fwid(uint8_t out[NVGPU_FWID_LEN], const vt_x509 *leaf)
{
    static const uint8_t pat[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x04, 0x30 };
    const uint8_t *v = NULL;
    size_t len = 0;

    if (vt_x509_ext(leaf, NVGPU_FWID_OID, &v, &len, NULL) != VT_OK || v == NULL)
        return false;
    for (size_t i = 0; i + sizeof(pat) + NVGPU_FWID_LEN <= len; i++) {
        if (memcmp(v + i, pat, sizeof(pat)) == 0) {
            memcpy(out, v + i + sizeof(pat), NVGPU_FWID_LEN);
            return true;
        }
    }
    return false;
}

/* SHA-256 over a tag, the trusted roots' fingerprints and every certificate file's bytes (length-prefixed). */
static vt_status chain_key(uint8_t out[32], const nvgpu_ctx *x, vt_err *err)
{
    static const char tag[] = "veritee/nvgpu/chain";
    vt_status rc = VT_E_INTERNAL;
    vt_digest_ctx *d = NULL;
    uint8_t fp[32];

    rc = vt_digest_ctx_new(&d, VT_MD_SHA256, err);
    if (rc == VT_OK)
        rc = vt_digest_ctx_update(d, tag, sizeof(tag), err);
    for (size_t i = 0; rc == VT_OK && i < x->req->root_count; i++) {
        vt_x509_fingerprint(x->req->roots[i], fp);
        rc = vt_digest_ctx_update(d, fp, sizeof(fp), err);
    }
    for (size_t i = 0; rc == VT_OK && i < x->pem_count; i++)
        rc = vt__digest_update_lp(d, x->pem[i].p, x->pem[i].len, err);
    if (rc == VT_OK)
        rc = vt_digest_ctx_final(d, out, err);
    vt_digest_ctx_free(d);
    return rc;
}

/* Verifies certs[0] (leaf) .. certs[n-1] to a trusted root; records cert_chain failures. */
static void chain_build(nvgpu_ctx *x, nvgpu_chain *c)
{
    vt_chain_result cr;
    vt_err e = { 0 };

    if (x->cert_count == 0) {
        vt__result_fail(x->res, "cert_chain",
                        "nvgpu: no certificate chain: pass the device's certchain.pem (leaf first) as collateral");
        return;
    }
    if (x->cert_count < 2) {
        vt__result_fail(x->res, "cert_chain",
                        "nvgpu: certificate chain must hold the signing certificate and the root (got %zu)",
                        x->cert_count);
        return;
    }
    vt_x509_subject(x->certs[0], c->leaf_subject, sizeof(c->leaf_subject));
    c->fwid_present = leaf_fwid(c->fwid, x->certs[0]);
    if (vt_x509_pubkey(&c->leaf_key, x->certs[0], &e) != VT_OK || vt_pkey_type(c->leaf_key) != VT_KEY_EC_P384) {
        vt__result_fail(x->res, "cert_chain", "nvgpu: signing certificate key is not ECDSA P-384");
        vt_pkey_free(c->leaf_key);
        c->leaf_key = NULL;
        return;
    }
    if (vt_chain_verify(&cr, x->certs, x->cert_count, x->req->roots, x->req->root_count, NULL, 0, x->now, &e) !=
        VT_OK) {
        vt__result_fail(x->res, "cert_chain", "nvgpu: certificate chain does not verify: %s", e.msg);
        return;
    }
    c->not_before = cr.not_before;
    c->not_after = cr.not_after;
    c->root_index = cr.root_index;
    x->chain_ok = true;
}

/* The certificates of the PEM collateral into x->certs (once). */
static bool certs_parse(nvgpu_ctx *x)
{
    if (x->cert_count > 0)
        return true;
    for (size_t i = 0; i < x->pem_count; i++) {
        vt_err e = { 0 };
        if (vt_x509_list_from_pem(x->certs, &x->cert_count, NVGPU_CHAIN_MAX, (const char *)x->pem[i].p,
                                  x->pem[i].len, &e) != VT_OK) {
            vt__result_fail(x->res, "cert_chain", "nvgpu: collateral %s: certificates do not parse (%s)",
                            x->pem[i].name ? x->pem[i].name : "?", e.msg);
            return false;
        }
    }
    return true;
}

static void chain_obtain(nvgpu_ctx *x)
{
    vt_verify_cache *cache = x->req->opts->cache;
    uint8_t key[32];
    nvgpu_chain *c;

    if (chain_key(key, x, NULL) != VT_OK)
        cache = NULL; /* no key: verify without the cache */
    c = (nvgpu_chain *)vt__cache_get(cache, VT_CACHE_NVGPU_CHAIN, key, x->now);
    if (c != NULL) {
        x->chain = c;
        x->chain_ok = true;
        return;
    }
    if (!certs_parse(x))
        return;
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        vt__result_fail(x->res, "cert_chain", "nvgpu: out of memory");
        return;
    }
    vt__cached_init(&c->base, chain_destroy);
    chain_build(x, c);
    if (x->chain_ok)
        vt__cache_put(cache, VT_CACHE_NVGPU_CHAIN, key, c->not_before, c->not_after, &c->base);
    x->chain = c;
}

static bool check_signature(nvgpu_ctx *x)
{
    if (x->chain == NULL || x->chain->leaf_key == NULL) {
        vt__result_fail(x->res, "signature", "nvgpu: signature not checked: no signing certificate key");
        return false;
    }
    if (vt_ecdsa_verify_raw(x->chain->leaf_key, VT_MD_SHA384, x->req->evidence, x->ev.signed_len, x->ev.sig,
                            sizeof(x->ev.sig), NULL) != VT_OK) {
        vt__result_fail(x->res, "signature", "nvgpu: signature does not verify with the signing certificate key");
        return false;
    }
    return true;
}

/* The opaque FWID is what the device measured; the leaf certifies it. */
static bool check_fwid(nvgpu_ctx *x)
{
    if (x->chain == NULL || x->chain->leaf_subject[0] == '\0')
        return false;
    if (!x->ev.fwid_present)
        return true;
    if (!x->chain->fwid_present) {
        vt__result_fail(x->res, "fwid",
                        "nvgpu: fwid extension (" NVGPU_FWID_OID ") not found in the signing certificate");
        return false;
    }
    if (!vt_ct_equal(x->ev.fwid, x->chain->fwid, NVGPU_FWID_LEN)) {
        vt__result_fail(x->res, "fwid", "nvgpu: fwid in the opaque data does not match the signing certificate");
        return false;
    }
    return true;
}

/* ---- reference values ---- */

static const vt__nvgpu_meas *meas_at(const vt__nvgpu_evidence *e, unsigned idx0)
{
    for (unsigned i = 0; i < e->block_count; i++)
        if ((unsigned)e->meas[i].index == idx0 + 1u)
            return &e->meas[i];
    return NULL;
}

/* Every listed measurement must be present and equal; true when all match. */
static bool check_reference(nvgpu_ctx *x)
{
    json_t *fmt = json_object_get(x->ref, "format"), *ms = json_object_get(x->ref, "measurements"), *v;
    const char *k;
    size_t matched = 0;
    bool ok = true;

    if (!json_is_string(fmt) || strcmp(json_string_value(fmt), NVGPU_REF_FORMAT) != 0 || !json_is_object(ms) ||
        json_object_size(ms) == 0) {
        vt__result_fail(x->res, "reference",
                        "nvgpu: reference format is not " NVGPU_REF_FORMAT " with a non-empty measurements object");
        return false;
    }
    json_object_foreach(ms, k, v) {
        uint8_t want[NVGPU_MEAS_VALUE_MAX];
        const vt__nvgpu_meas *m;
        const char *hex = json_string_value(v);
        char *end = NULL;
        unsigned long idx;

        idx = strtoul(k, &end, 10);
        if (k[0] < '0' || k[0] > '9' || end == NULL || *end != '\0' || idx > 254 || hex == NULL) {
            vt__result_fail(x->res, "reference", "nvgpu: reference entry \"%.16s\" is not index: hex", k);
            ok = false;
            continue;
        }
        m = meas_at(&x->ev, (unsigned)idx);
        if (m == NULL) {
            vt__result_fail(x->res, "measurements", "nvgpu: measurement %lu is in the reference but not the evidence",
                            idx);
            ok = false;
            continue;
        }
        if (strlen(hex) != 2u * m->len || vt_hex_decode(want, m->len, hex, strlen(hex), NULL) != VT_OK ||
            !vt_ct_equal(want, m->value, m->len)) {
            vt__result_fail(x->res, "measurements", "nvgpu: measurement %lu does not match the reference value",
                            idx);
            ok = false;
            continue;
        }
        matched++;
    }
    return ok && matched > 0;
}

/*
 * The driver and VBIOS RIMs: each must verify (XML-DSig, chain to the pinned
 * NVIDIA RIM root at now), be for the evidence's driver or VBIOS version, and
 * no index may be active in both; every active index must be in the evidence
 * with one of the RIM's alternatives.  True when both RIMs were given and all
 * of that holds.
 */
static bool check_rims(nvgpu_ctx *x)
{
    static const char *const roles[2] = { "driver", "vbios" };
    vt__nvgpu_rim *rim[2] = { NULL, NULL }, *r;
    char ver[2][64];
    vt_x509 *root = NULL;
    vt_err e = { 0 };
    bool ok = true;

    vt__nvgpu_driver_string(ver[0], sizeof(ver[0]), &x->ev);
    vt__nvgpu_vbios_string(ver[1], sizeof(ver[1]), &x->ev);
    if (vt__roots_nvidia_rim(&root, &e) != VT_OK) {
        vt__result_fail(x->res, "rim", "%s", e.msg);
        return false;
    }
    for (size_t i = 0; i < x->rim_count && ok; i++) {
        int role = -1;

        r = calloc(1, sizeof(*r));
        if (r == NULL) {
            vt__result_fail(x->res, "rim", "nvgpu: out of memory");
            ok = false;
            break;
        }
        if (vt__nvgpu_rim_verify(r, x->rim[i].p, x->rim[i].len, &root, 1, x->now, &e) != VT_OK) {
            vt__result_fail(x->res, "rim", "%s", e.msg);
            /* A fetched RIM that does not verify now either (tampered, or its signer expired) is dropped
             * from the cache, so that the service is asked again after the backoff instead of never;
             * one that fails only at a request's own time ("at") stays. */
            if (x->rim_id[i][0] != '\0' &&
                vt__nvgpu_rim_verify(r, x->rim[i].p, x->rim[i].len, &root, 1, vt_time_now(), NULL) != VT_OK)
                vt__nvgpu_rim_forget(x->rim_id[i], x->req->opts, e.msg);
            free(r);
            ok = false;
            break;
        }
        for (int k = 0; k < 2; k++)
            if (ver[k][0] != '\0' && strcasecmp(r->version, ver[k]) == 0)
                role = k;
        if (role < 0 || rim[role] != NULL) {
            vt__result_fail(x->res, "rim", "nvgpu: RIM for version %.40s is not for this driver (%s) or VBIOS (%s)%s",
                            r->version, ver[0][0] ? ver[0] : "none", ver[1], role >= 0 ? ", or is given twice" : "");
            free(r);
            ok = false;
            break;
        }
        rim[role] = r;
        vt__claims_window(&x->res->claims, r->not_before, r->not_after);
        vt__claims_add_signer(&x->res->claims, role == 0 ? "driver_rim" : "vbios_rim", r->signer);
    }
    for (int k = 0; k < 2 && ok; k++) {
        if (rim[k] == NULL)
            continue;
        for (size_t i = 0; i < rim[k]->meas_count; i++) {
            const vt__nvgpu_rim_meas *m = &rim[k]->meas[i], *o;
            const vt__nvgpu_meas *got;
            bool match = false;

            if (!m->active)
                continue;
            o = rim[1 - k] != NULL ? vt__nvgpu_rim_find(rim[1 - k], m->index) : NULL;
            if (k == 0 && o != NULL && o->active) {
                vt__result_fail(x->res, "rim", "nvgpu: measurement %u is active in both the driver and VBIOS RIM",
                                m->index);
                ok = false;
                continue;
            }
            got = meas_at(&x->ev, m->index);
            for (size_t a = 0; got != NULL && got->len == m->len && a < m->alt_count; a++)
                match = match || vt_ct_equal(got->value, m->alt[a], m->len);
            if (!match) {
                vt__result_fail(x->res, "measurements", "nvgpu: measurement %u %s the %s RIM (%s)", m->index,
                                got == NULL ? "is missing; required by" : "does not match", roles[k], rim[k]->version);
                ok = false;
            }
        }
    }
    if (ok && (rim[0] == NULL || rim[1] == NULL)) {
        vt__result_warn(x->res, "rim", "nvgpu: only the %s RIM given: %s measurements not checked",
                        rim[0] != NULL ? "driver" : "VBIOS", rim[0] != NULL ? "VBIOS" : "driver");
        ok = false;
    }
    free(rim[0]);
    free(rim[1]);
    return ok;
}

/* ---- NVIDIA's services: RIMs by ID, OCSP ---- */

static bool url_set(const char *u)
{
    return u != NULL && u[0] != '\0';
}

/* Simulated chains are never sent to NVIDIA: only to a service named explicitly. */
static bool service_wanted(const nvgpu_ctx *x, const char *url)
{
    bool sim = x->chain_ok && x->chain->root_index >= x->req->prod_root_count;

    return url_set(url) || (x->req->opts->fetch && !sim);
}

/* Fetches the driver and VBIOS RIMs the evidence names; warnings say what could not be had. */
static void rims_fetch(nvgpu_ctx *x)
{
    char id[2][VT_NVGPU_RIM_ID_MAX];

    vt__nvgpu_rim_ids(id[0], id[1], &x->ev);
    for (int k = 0; k < 2; k++) {
        vt_err e = { 0 };

        if (id[k][0] == '\0') {
            vt__result_warn(x->res, "rim", "nvgpu: the evidence does not name a %s RIM (no %s in the opaque data)",
                            k == 0 ? "driver" : "VBIOS", k == 0 ? "driver version" : "project, SKU or VBIOS version");
            continue;
        }
        if (vt__nvgpu_rim_fetch(&x->rim_owned[k], id[k], x->req->opts, &e) != VT_OK) {
            vt__result_warn(x->res, "rim", "%s", e.msg);
            continue;
        }
        x->rim[x->rim_count].p = x->rim_owned[k].data;
        x->rim[x->rim_count].len = x->rim_owned[k].len;
        memcpy(x->rim_id[x->rim_count], id[k], sizeof(x->rim_id[0])); /* both VT_NVGPU_RIM_ID_MAX, terminated */
        x->rim_count++;
    }
}

/* OCSP for the device chain: true only when every certificate asked about is good. */
static bool check_ocsp(nvgpu_ctx *x)
{
    vt__nvgpu_ocsp_result r;
    vt_err e = { 0 };
    vt_status rc;

    if (!x->chain_ok || !certs_parse(x))
        return false;
    if (x->cert_count < 3) {
        vt__result_warn(x->res, "ocsp", "nvgpu: chain of %zu certificates: no CA below the root to ask OCSP about",
                        x->cert_count);
        return false;
    }
    rc = vt__nvgpu_ocsp_check(&r, x->certs, x->cert_count, x->req->opts, &e);
    if (rc == VT_E_IO || rc == VT_E_NOTFOUND || rc == VT_E_NOMEM || rc == VT_E_LIMIT) {
        vt__result_warn(x->res, "ocsp", "%s (revocation not checked)", e.msg);
        return false;
    }
    if (rc != VT_OK) {
        vt__result_fail(x->res, "ocsp", "%s", e.msg);
        return false;
    }
    if (r.revoked > 0) {
        vt__result_fail(x->res, "ocsp", "nvgpu: OCSP: %s", r.first_bad);
        return false;
    }
    if (r.unknown > 0) {
        vt__result_warn(x->res, "ocsp", "nvgpu: OCSP: %s", r.first_bad);
        return false;
    }
    vt__claims_window(&x->res->claims, x->now, r.until);
    return r.good == r.checked && r.checked > 0;
}

/* ---- claims ---- */

static void add_claims(nvgpu_ctx *x)
{
    vt_claims *c = &x->res->claims;
    const vt__nvgpu_evidence *e = &x->ev;
    char s[64];
    uint8_t h[48];

    c->platform = VT_TEE_NVGPU;
    c->version = e->rsp_version;
    c->debug = false; /* SPDM evidence has no debug notion; CC mode is implied by the signed report */
    vt__claims_add(c, "nonce", e->nonce, sizeof(e->nonce));
    /* report_data := the 32-byte request nonce, zero-padded (docs/formats/nvgpu.md). */
    memset(c->report_data, 0, sizeof(c->report_data));
    memcpy(c->report_data, e->nonce, sizeof(e->nonce));
    if (e->fwid_present)
        vt__claims_add(c, "fwid", e->fwid, sizeof(e->fwid));
    vt__nvgpu_driver_string(s, sizeof(s), e);
    if (s[0] != '\0')
        vt__claims_add_text(c, "driver_version", s);
    vt__nvgpu_vbios_string(s, sizeof(s), e);
    if (s[0] != '\0')
        vt__claims_add_text(c, "vbios_version", s);
    /* All measurements in one claim, then as many single ones as fit. */
    if (vt_digest(VT_MD_SHA384, x->req->evidence + NVGPU_REQ_LEN + 8, e->record_len, h, NULL) == VT_OK)
        vt__claims_add(c, "meas_record_sha384", h, sizeof(h));
    for (unsigned i = 0; i < e->block_count && c->field_count < VT_CLAIMS_MAX; i++) {
        char name[VT_CLAIM_NAME_MAX];

        snprintf(name, sizeof(name), "meas%02u", (unsigned)e->meas[i].index - 1u);
        vt__claims_add(c, name, e->meas[i].value, e->meas[i].len);
    }
}

/* ---- the plugin ---- */

static bool nvgpu_probe(const uint8_t *p, size_t len)
{
    return vt__nvgpu_probe(p, len);
}

static vt_status nvgpu_verify(const vt__verify_req *req, vt_result *res, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    nvgpu_ctx *x = NULL;
    vt_err e = { 0 };
    bool sig_ok = false, fwid_ok = false, ref_ok = false, ocsp_ok = false;

    if (req == NULL || res == NULL || req->opts == NULL || (req->evidence == NULL && req->len > 0))
        return vt_err_set(err, VT_E_ARG, "nvgpu: verify request incomplete");
    snprintf(res->claims.tcb_status, sizeof(res->claims.tcb_status), "%s", "unknown");
    res->claims.platform = VT_TEE_NVGPU;
    x = calloc(1, sizeof(*x));
    if (x == NULL)
        return vt_err_set(err, VT_E_NOMEM, "nvgpu: out of memory");
    x->req = req;
    x->res = res;
    vt_buf_init(&x->rim_owned[0]);
    vt_buf_init(&x->rim_owned[1]);
    x->now = req->opts->now;
    rc = vt__nvgpu_parse(&x->ev, req->evidence, req->len, &e);
    if (rc != VT_OK) {
        vt__result_fail(res, "format", "%s", e.msg);
        rc = vt_err_set(err, rc, "%s", e.msg);
        goto out;
    }
    add_claims(x);
    if (coll_load(x)) {
        chain_obtain(x);
        sig_ok = check_signature(x);
        fwid_ok = check_fwid(x);
    }
    if (!x->ev.fwid_present && x->chain != NULL && x->chain->fwid_present)
        vt__claims_add(&res->claims, "fwid", x->chain->fwid, NVGPU_FWID_LEN);
    res->signature_valid = sig_ok;
    res->chain_valid = x->chain_ok;
    res->claims.hardware_attested = x->chain_ok && sig_ok && x->chain->root_index < req->prod_root_count;
    if (x->chain != NULL && x->chain->leaf_subject[0] != '\0')
        vt__claims_add_signer(&res->claims, "nvgpu_cert", x->chain->leaf_subject);
    if (x->chain_ok)
        vt__claims_window(&res->claims, x->chain->not_before, x->chain->not_after);
    if (x->rim_count == 0 && x->ref == NULL && x->chain_ok && service_wanted(x, req->opts->rim_url))
        rims_fetch(x);
    if (x->rim_count > 0)
        ref_ok = check_rims(x);
    else if (x->ref != NULL)
        ref_ok = check_reference(x);
    else
        vt__result_warn(res, "rim", "nvgpu: reference measurements (RIMs) not checked: pass them as collateral, "
                                    "or fetch them (--fetch / --rim-url)");
    if (service_wanted(x, req->opts->ocsp_url))
        ocsp_ok = check_ocsp(x);
    else
        vt__result_warn(res, "ocsp", "nvgpu: OCSP revocation of the device certificates not checked (offline: "
                                     "--fetch or --ocsp-url asks)");
    if (ref_ok && sig_ok && x->chain_ok && fwid_ok) {
        res->collateral_verified = true;
        /* UpToDate needs both halves: reference values matched, and OCSP said good. */
        snprintf(res->claims.tcb_status, sizeof(res->claims.tcb_status), "%s", ocsp_ok ? "UpToDate" : "Unknown");
    }
    rc = VT_OK;
out:
    if (x != NULL) {
        for (size_t i = 0; i < x->cert_count; i++)
            vt_x509_free(x->certs[i]);
        json_decref(x->ref);
        vt_buf_free(&x->rim_owned[0]);
        vt_buf_free(&x->rim_owned[1]);
        if (x->chain != NULL)
            vt__cached_release(&x->chain->base);
        free(x);
    }
    return rc;
}

/* ---- inspect ---- */

static const char *tlv_name(uint16_t t)
{
    static const char *const names[] = {
        [3] = "driver_version", [4] = "gpu_info", [5] = "sku", [6] = "vbios_version",
        [7] = "manufacturer_id", [8] = "tamper_detection", [9] = "smc", [10] = "vpr",
        [11] = "nvdec0_status", [12] = "msrscnt", [13] = "cprinfo", [14] = "board_id",
        [15] = "chip_sku", [16] = "chip_sku_mod", [17] = "project", [18] = "project_sku",
        [19] = "project_sku_mod", [20] = "fwid", [21] = "protected_pcie_status", [22] = "switch_pdi",
        [23] = "floorswept_ports", [24] = "position_id", [25] = "lock_switch_status",
        [32] = "gpu_link_conn", [33] = "sys_enable_status", [34] = "opaque_data_version",
        [35] = "chip_info", [36] = "feature_flag",
    };

    if (t < sizeof(names) / sizeof(names[0]) && names[t] != NULL)
        return names[t];
    return "unknown";
}

static vt_status nvgpu_inspect(const uint8_t *p, size_t len, char **json_out, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__nvgpu_evidence *e = NULL;
    json_t *o = NULL, *rq, *rs, *ms, *op;
    char s[64];

    *json_out = NULL;
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return vt_err_set(err, VT_E_NOMEM, "nvgpu: out of memory");
    rc = vt__nvgpu_parse(e, p, len, err);
    if (rc != VT_OK)
        goto out;
    o = json_object();
    rq = json_object();
    rs = json_object();
    ms = json_array();
    op = json_array();
    json_object_set_new(o, "platform", json_string("nvgpu"));
    json_object_set_new(rq, "spdm_version", json_integer(e->req_version));
    json_object_set_new(rq, "code", json_integer(e->req_code));
    json_object_set_new(rq, "param1", json_integer(e->req_param1));
    json_object_set_new(rq, "param2", json_integer(e->req_param2));
    json_object_set_new(rq, "nonce", vt__json_hex(e->nonce, sizeof(e->nonce)));
    json_object_set_new(rq, "slot", json_integer(e->slot));
    json_object_set_new(o, "request", rq);
    json_object_set_new(rs, "spdm_version", json_integer(e->rsp_version));
    json_object_set_new(rs, "code", json_integer(e->rsp_code));
    json_object_set_new(rs, "param1", json_integer(e->rsp_param1));
    json_object_set_new(rs, "param2", json_integer(e->rsp_param2));
    json_object_set_new(rs, "number_of_blocks", json_integer(e->block_count));
    json_object_set_new(rs, "measurement_record_length", json_integer((json_int_t)e->record_len));
    for (unsigned i = 0; i < e->block_count; i++) {
        const vt__nvgpu_meas *m = &e->meas[i];

        json_array_append_new(ms, json_pack("{s:i, s:i, s:i, s:i, s:o}", "index", m->index, "specification",
                                            m->spec, "type", m->type, "size", m->len, "value",
                                            vt__json_hex(m->value, m->len)));
    }
    json_object_set_new(rs, "measurements", ms);
    json_object_set_new(rs, "responder_nonce", vt__json_hex(e->rsp_nonce, sizeof(e->rsp_nonce)));
    json_object_set_new(rs, "opaque_length", json_integer(e->opaque_len));
    for (size_t i = 0; i < e->tlv_count; i++) {
        const vt__nvgpu_tlv *t = &e->tlv[i];

        json_array_append_new(op, json_pack("{s:i, s:s, s:i, s:o}", "type", t->type, "name", tlv_name(t->type),
                                            "length", t->len, "data", vt__json_hex(e->opaque + t->off, t->len)));
    }
    json_object_set_new(rs, "opaque", op);
    vt__nvgpu_driver_string(s, sizeof(s), e);
    json_object_set_new(rs, "driver_version", s[0] ? json_string(s) : json_null());
    vt__nvgpu_vbios_string(s, sizeof(s), e);
    json_object_set_new(rs, "vbios_version", s[0] ? json_string(s) : json_null());
    json_object_set_new(rs, "fwid", e->fwid_present ? vt__json_hex(e->fwid, sizeof(e->fwid)) : json_null());
    json_object_set_new(rs, "signature", vt__json_hex(e->sig, sizeof(e->sig)));
    json_object_set_new(o, "response", rs);
    json_object_set_new(o, "signed_length", json_integer((json_int_t)e->signed_len));
    *json_out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (*json_out == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "nvgpu: cannot serialize the evidence as JSON");
        goto out;
    }
    rc = VT_OK;
out:
    json_decref(o);
    free(e);
    return rc;
}

const vt__tee_ops vt__tee_nvgpu = {
    .abi = VT_TEE_OPS_ABI,
    .kind = VT_TEE_NVGPU,
    .name = "nvgpu",
    .caps = VT_TEE_CAN_VERIFY,
    .probe = nvgpu_probe,
    .detect = NULL,   /* verify and inspect only: NVML collection is open work (issue 3); the registry reports the device nodes */
    .collect = NULL,
    .verify = nvgpu_verify,
    .inspect = nvgpu_inspect,
};
