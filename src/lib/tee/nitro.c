/*
 * AWS Nitro Enclaves plugin: verifies NSM attestation documents (COSE_Sign1,
 * ES384) against the pinned AWS Nitro Enclaves Root G1.  The certificate
 * chain is leaf `certificate` <- cabundle[N] <- ... <- cabundle[0], and
 * cabundle[0] must be byte-identical to a trusted root (the embedded copy is
 * never trusted).  Order of checks, claims and the report_data mapping are in
 * docs/formats/nitro.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tee/collect.h"
#include "tee/cache.h"
#include "tee/nitro_doc.h"
#include "veritee/register.h"
#include "tee/plugin.h"

#define NITRO_CHAIN_MAX (NITRO_CABUNDLE_MAX + 1)
#define NITRO_FUTURE_SKEW 300 /* seconds a document timestamp may run ahead of now */

/* A verified chain: cacheable, keyed by every certificate byte and the roots. */
typedef struct nitro_chain {
    vt__cached base;
    vt_pkey *leaf_key;
    char leaf_subject[232];
    vt_time not_before, not_after;
    size_t root_index;
} nitro_chain;

typedef struct nitro_ctx {
    const vt__verify_req *req;
    vt_result *res;
    vt_time now;
    vt__nitro_doc doc;
    nitro_chain *chain;
    bool chain_ok;
} nitro_ctx;

static void chain_destroy(vt__cached *base)
{
    nitro_chain *c = (nitro_chain *)base;

    vt_pkey_free(c->leaf_key);
    free(c);
}

/* ---- the certificate chain ---- */

/* SHA-256 over a tag, the trusted roots' fingerprints and every certificate (length-prefixed). */
static vt_status chain_key(uint8_t out[32], const nitro_ctx *x, vt_err *err)
{
    static const char tag[] = "veritee/nitro/chain";
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
    if (rc == VT_OK)
        rc = vt__digest_update_lp(d, x->doc.certificate.der, x->doc.certificate.len, err);
    for (size_t i = 0; rc == VT_OK && i < x->doc.cabundle_count; i++)
        rc = vt__digest_update_lp(d, x->doc.cabundle[i].der, x->doc.cabundle[i].len, err);
    if (rc == VT_OK)
        rc = vt_digest_ctx_final(d, out, err);
    vt_digest_ctx_free(d);
    return rc;
}

/* Which trusted root cabundle[0] is, byte for byte; root_count when none. */
static size_t pinned_root_index(const nitro_ctx *x)
{
    uint8_t fp[32], rfp[32];
    size_t i;

    if (vt_digest(VT_MD_SHA256, x->doc.cabundle[0].der, x->doc.cabundle[0].len, fp, NULL) != VT_OK)
        return x->req->root_count;
    for (i = 0; i < x->req->root_count; i++) {
        vt_x509_fingerprint(x->req->roots[i], rfp);
        if (vt_ct_equal(fp, rfp, sizeof(fp)))
            break;
    }
    return i;
}

/* Parses and verifies leaf <- cabundle[N..0]; records cert_chain failures. */
static void chain_build(nitro_ctx *x, nitro_chain *c)
{
    const vt__nitro_doc *d = &x->doc;
    vt_x509 *certs[NITRO_CHAIN_MAX] = { NULL };
    size_t n = 0, ri;
    vt_chain_result cr;
    vt_err e = { 0 };

    ri = pinned_root_index(x);
    if (ri >= x->req->root_count) {
        char cn[128] = "?";
        if (vt_x509_from_der(&certs[0], d->cabundle[0].der, d->cabundle[0].len, &e) == VT_OK)
            vt_x509_subject_cn(certs[0], cn, sizeof(cn));
        vt_x509_free(certs[0]);
        certs[0] = NULL;
        vt__result_fail(x->res, "cert_chain",
                        "nitro: cabundle[0] CN=%.64s is not a trusted root (not the pinned AWS Nitro Enclaves Root G1)",
                        cn);
        goto out;
    }
    if (vt_x509_from_der(&certs[n], d->certificate.der, d->certificate.len, &e) != VT_OK) {
        vt__result_fail(x->res, "cert_chain", "nitro: certificate does not parse (%s)", e.msg);
        goto out;
    }
    n++;
    for (size_t i = d->cabundle_count; i-- > 0;) {
        if (vt_x509_from_der(&certs[n], d->cabundle[i].der, d->cabundle[i].len, &e) != VT_OK) {
            vt__result_fail(x->res, "cert_chain", "nitro: cabundle[%zu] does not parse (%s)", i, e.msg);
            goto out;
        }
        n++;
    }
    vt_x509_subject(certs[0], c->leaf_subject, sizeof(c->leaf_subject));
    if (vt_x509_pubkey(&c->leaf_key, certs[0], &e) != VT_OK || vt_pkey_type(c->leaf_key) != VT_KEY_EC_P384) {
        vt__result_fail(x->res, "cert_chain", "nitro: certificate key is not ECDSA P-384");
        vt_pkey_free(c->leaf_key);
        c->leaf_key = NULL;
        goto out;
    }
    /* Anchored at exactly the root cabundle[0] matched. */
    if (vt_chain_verify(&cr, certs, n, &x->req->roots[ri], 1, NULL, 0, x->now, &e) != VT_OK) {
        vt__result_fail(x->res, "cert_chain", "nitro: certificate chain does not verify: %s", e.msg);
        vt_pkey_free(c->leaf_key);
        c->leaf_key = NULL;
        goto out;
    }
    c->not_before = cr.not_before;
    c->not_after = cr.not_after;
    c->root_index = ri;
    x->chain_ok = true;
out:
    for (size_t i = 0; i < n; i++)
        vt_x509_free(certs[i]);
}

static void chain_obtain(nitro_ctx *x)
{
    vt_verify_cache *cache = x->req->opts->cache;
    uint8_t key[32];
    nitro_chain *c;

    if (chain_key(key, x, NULL) != VT_OK)
        cache = NULL; /* no key: verify without the cache */
    c = (nitro_chain *)vt__cache_get(cache, VT_CACHE_NITRO_CHAIN, key, x->now);
    if (c != NULL) {
        x->chain = c;
        x->chain_ok = true;
        return;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        vt__result_fail(x->res, "cert_chain", "nitro: out of memory");
        return;
    }
    vt__cached_init(&c->base, chain_destroy);
    chain_build(x, c);
    if (x->chain_ok)
        vt__cache_put(cache, VT_CACHE_NITRO_CHAIN, key, c->not_before, c->not_after, &c->base);
    x->chain = c;
}

static bool check_signature(nitro_ctx *x)
{
    if (x->chain == NULL || x->chain->leaf_key == NULL) {
        vt__result_fail(x->res, "doc_signature", "nitro: signature not checked: no trusted certificate key");
        return false;
    }
    if (vt_ecdsa_verify_raw(x->chain->leaf_key, VT_MD_SHA384, x->doc.tbs, x->doc.tbs_len, x->doc.sig,
                            sizeof(x->doc.sig), NULL) != VT_OK) {
        vt__result_fail(x->res, "doc_signature", "nitro: signature does not verify with the certificate key");
        return false;
    }
    return true;
}

/* ---- claims ---- */

/* name = value when it fits a claim, else name_sha256 = SHA-256(value). */
static void add_bytes_claim(vt_claims *c, const char *name, const uint8_t *p, size_t len)
{
    char hname[VT_CLAIM_NAME_MAX];
    uint8_t h[32];

    if (len <= VT_CLAIM_VALUE_MAX) {
        vt__claims_add(c, name, p, len);
        return;
    }
    snprintf(hname, sizeof(hname), "%s_sha256", name);
    if (vt_digest(VT_MD_SHA256, p, len, h, NULL) == VT_OK)
        vt__claims_add(c, hname, h, sizeof(h));
}

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;

    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

static void add_claims(nitro_ctx *x)
{
    vt_claims *c = &x->res->claims;
    const vt__nitro_doc *d = &x->doc;
    uint8_t ts[8];
    char name[8];

    c->platform = VT_TEE_NITRO;
    c->version = 1;
    /* PCRs 0-8 describe the image; 16 is the enclave's own register, reported once the
     * enclave locked it, that the gateway's measurement log extends (register.h). */
    for (unsigned i = 0; i <= VT_NITRO_APP_PCR; i++) {
        if ((i > 8 && i < VT_NITRO_APP_PCR) || !(d->pcr_mask & (1u << i)))
            continue;
        snprintf(name, sizeof(name), "pcr%u", i);
        vt__claims_add(c, name, d->pcrs[i], NITRO_PCR_LEN);
    }
    if (strlen(d->module_id) <= VT_CLAIM_VALUE_MAX)
        vt__claims_add_text(c, "module_id", d->module_id);
    else
        add_bytes_claim(c, "module_id", (const uint8_t *)d->module_id, strlen(d->module_id));
    vt__claims_add_text(c, "digest", d->digest);
    for (size_t k = 0; k < 8; k++)
        ts[k] = (uint8_t)(d->timestamp_ms >> (56 - 8 * k));
    vt__claims_add(c, "timestamp", ts, sizeof(ts));
    if (d->public_key.present)
        add_bytes_claim(c, "public_key", d->public_key.data, d->public_key.len);
    if (d->user_data.present)
        add_bytes_claim(c, "user_data", d->user_data.data, d->user_data.len);
    if (d->nonce.present)
        add_bytes_claim(c, "nonce", d->nonce.data, d->nonce.len);
    /* report_data := nonce, zero-padded, when it fits (docs/formats/nitro.md). */
    memset(c->report_data, 0, sizeof(c->report_data));
    if (d->nonce.present && d->nonce.len <= VT_REPORT_DATA_LEN)
        memcpy(c->report_data, d->nonce.data, d->nonce.len);
    /* Debug-mode enclaves report PCR0..2 as zeros (parser guarantees they are present). */
    c->debug = all_zero(d->pcrs[0], NITRO_PCR_LEN) && all_zero(d->pcrs[1], NITRO_PCR_LEN) &&
               all_zero(d->pcrs[2], NITRO_PCR_LEN);
}

/* ---- the plugin ---- */

static bool nitro_probe(const uint8_t *p, size_t len)
{
    return vt__nitro_doc_probe(p, len);
}

static vt_status nitro_verify(const vt__verify_req *req, vt_result *res, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    nitro_ctx *x = NULL;
    vt_err e = { 0 };
    bool sig_ok, prod;
    vt_time ts;

    if (req == NULL || res == NULL || req->opts == NULL || (req->evidence == NULL && req->len > 0))
        return vt_err_set(err, VT_E_ARG, "nitro: verify request incomplete");
    snprintf(res->claims.tcb_status, sizeof(res->claims.tcb_status), "%s", "unknown");
    res->claims.platform = VT_TEE_NITRO;
    x = calloc(1, sizeof(*x));
    if (x == NULL)
        return vt_err_set(err, VT_E_NOMEM, "nitro: out of memory");
    x->req = req;
    x->res = res;
    x->now = req->opts->now;
    rc = vt__nitro_doc_parse(&x->doc, req->evidence, req->len, &e);
    if (rc != VT_OK) {
        vt__result_fail(res, "doc_format", "%s", e.msg);
        rc = vt_err_set(err, rc, "%s", e.msg);
        goto out;
    }
    add_claims(x);
    chain_obtain(x);
    sig_ok = check_signature(x);
    res->signature_valid = sig_ok;
    res->chain_valid = x->chain_ok;
    prod = x->chain_ok && x->chain->root_index < req->prod_root_count;
    res->claims.hardware_attested = prod;
    if (x->chain != NULL && x->chain->leaf_subject[0] != '\0')
        vt__claims_add_signer(&res->claims, "nitro_cert", x->chain->leaf_subject);
    if (x->chain_ok)
        vt__claims_window(&res->claims, x->chain->not_before, x->chain->not_after);
    ts = (vt_time)(x->doc.timestamp_ms / 1000);
    if (ts > x->now + NITRO_FUTURE_SKEW)
        vt__result_fail(res, "timestamp", "nitro: timestamp is %lld s after the verification time",
                        (long long)(ts - x->now));
    /* Nitro has no versioned TCB to compare (AWS runs and updates the Nitro hypervisor; the
     * attestation names no firmware version): the AWS PKI is the collateral, and the status says
     * that no TCB applies rather than that one is current (docs/formats/nitro.md).  A chain to
     * the simulation root (trusted only with trust_sim) is the simulator's PKI, the same way. */
    if (x->chain_ok) {
        res->collateral_verified = true;
        snprintf(res->claims.tcb_status, sizeof(res->claims.tcb_status), "%s", "NotApplicable");
    }
    rc = VT_OK;
out:
    if (x != NULL) {
        if (x->chain != NULL)
            vt__cached_release(&x->chain->base);
        free(x);
    }
    return rc;
}

/* ---- inspect ---- */

static json_t *jopt(const vt__nitro_bytes *b)
{
    return b->present ? vt__json_hex(b->data, b->len) : json_null();
}

static json_t *jtime(vt_time t)
{
    char buf[32];

    vt_time_format(buf, t);
    return json_string(buf);
}

static json_t *jcert(const vt__nitro_cert *c)
{
    json_t *o = json_object();
    vt_x509 *x = NULL;
    char s[256];
    uint8_t fp[32];

    json_object_set_new(o, "der", vt__json_hex(c->der, c->len));
    if (vt_digest(VT_MD_SHA256, c->der, c->len, fp, NULL) == VT_OK)
        json_object_set_new(o, "sha256", vt__json_hex(fp, sizeof(fp)));
    if (vt_x509_from_der(&x, c->der, c->len, NULL) == VT_OK) {
        vt_time nb, na;

        vt_x509_subject(x, s, sizeof(s));
        json_object_set_new(o, "subject", json_string(s));
        vt_x509_issuer(x, s, sizeof(s));
        json_object_set_new(o, "issuer", json_string(s));
        vt_x509_serial_hex(x, s, sizeof(s));
        json_object_set_new(o, "serial", json_string(s));
        vt_x509_validity(x, &nb, &na);
        json_object_set_new(o, "not_before", jtime(nb));
        json_object_set_new(o, "not_after", jtime(na));
        vt_x509_free(x);
    }
    return o;
}

static vt_status nitro_inspect(const uint8_t *p, size_t len, char **json_out, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__nitro_doc *d = NULL;
    json_t *o = NULL, *pl, *pcrs, *cab;
    char key[8];

    *json_out = NULL;
    d = calloc(1, sizeof(*d));
    if (d == NULL)
        return vt_err_set(err, VT_E_NOMEM, "nitro: out of memory");
    rc = vt__nitro_doc_parse(d, p, len, err);
    if (rc != VT_OK)
        goto out;
    o = json_object();
    pl = json_object();
    pcrs = json_object();
    cab = json_array();
    json_object_set_new(o, "platform", json_string("nitro"));
    json_object_set_new(o, "cose_tagged", json_boolean(d->tagged));
    json_object_set_new(o, "protected", json_pack("{s:I, s:s}", "alg", (json_int_t)d->alg, "alg_name", "ES384"));
    json_object_set_new(o, "unprotected", json_object());
    json_object_set_new(pl, "module_id", json_string(d->module_id));
    json_object_set_new(pl, "digest", json_string(d->digest));
    json_object_set_new(pl, "timestamp", json_integer((json_int_t)d->timestamp_ms));
    json_object_set_new(pl, "timestamp_utc", jtime((vt_time)(d->timestamp_ms / 1000)));
    for (unsigned i = 0; i < NITRO_PCR_MAX; i++) {
        if (!(d->pcr_mask & (1u << i)))
            continue;
        snprintf(key, sizeof(key), "%u", i);
        json_object_set_new(pcrs, key, vt__json_hex(d->pcrs[i], NITRO_PCR_LEN));
    }
    json_object_set_new(pl, "pcrs", pcrs);
    json_object_set_new(pl, "debug_pcrs_zero",
                        json_boolean(all_zero(d->pcrs[0], NITRO_PCR_LEN) && all_zero(d->pcrs[1], NITRO_PCR_LEN) &&
                                     all_zero(d->pcrs[2], NITRO_PCR_LEN)));
    json_object_set_new(pl, "certificate", jcert(&d->certificate));
    for (size_t i = 0; i < d->cabundle_count; i++)
        json_array_append_new(cab, jcert(&d->cabundle[i]));
    json_object_set_new(pl, "cabundle", cab);
    json_object_set_new(pl, "public_key", jopt(&d->public_key));
    json_object_set_new(pl, "user_data", jopt(&d->user_data));
    json_object_set_new(pl, "nonce", jopt(&d->nonce));
    json_object_set_new(o, "payload", pl);
    json_object_set_new(o, "payload_length", json_integer((json_int_t)d->payload_len));
    json_object_set_new(o, "signature", vt__json_hex(d->sig, sizeof(d->sig)));
    *json_out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (*json_out == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "nitro: cannot serialize the document as JSON");
        goto out;
    }
    rc = VT_OK;
out:
    json_decref(o);
    free(d);
    return rc;
}

const vt__tee_ops vt__tee_nitro = {
    .abi = VT_TEE_OPS_ABI,
    .kind = VT_TEE_NITRO,
    .name = "nitro",
    .caps = VT_TEE_CAN_DETECT | VT_TEE_CAN_COLLECT | VT_TEE_CAN_VERIFY,
    .probe = nitro_probe,
    .detect = vt__nitro_detect,   /* tee/nitro_collect.c: /dev/nsm inside an enclave */
    .collect = vt__nitro_collect,
    .verify = nitro_verify,
    .inspect = nitro_inspect,
};
