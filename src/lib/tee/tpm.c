/*
 * TPM 2.0 plugin: verifies quotes carried in the veritee TPM evidence
 * container (include/veritee/tpm.h, docs/formats/tpm.md).  For every quote:
 * TPMS_ATTEST (magic, type QUOTE), its signature with the AK, and the PCR
 * digest recomputed from the supplied PCR values; then the AK itself, from
 * one of: an AK certificate chaining to the pinned GCE vTPM CA, an Azure HCL
 * report whose SEV-SNP report (verified through the registry like any
 * evidence) binds the runtime data that holds the AK, or a key the caller
 * pinned.  A TCG2 event log, when present, must replay to the quoted PCRs;
 * only then are its secure boot, boot loader and kernel claims given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tee/azure_envelope.h"
#include "tee/cache.h"
#include "tee/plugin.h"
#include "tee/tpm_attest.h"
#include "tee/tpm_eventlog.h"
#include "tee/tpm_evidence.h"
#include "tee/tpm_hcl.h"
#include "tee/tpm_sim.h"
#include "tee/tpm_tss.h"

#define AK_CERT_MAX (16u * 1024u)
#define HW_CERTS_MAX (64u * 1024u)

typedef struct tpm_ctx {
    const vt__verify_req *req;
    vt_result *res;
    vt__tpm_evidence ev;
    vt__tpm_attest att[VT_TPM_QUOTES_MAX];
    vt_pkey *ak;               /* the key the quotes must verify with */
    bool ak_trusted;           /* chain, hardware report or pin holds */
    bool ak_hardware;          /* ... through a production root */
    bool has_pub;
    vt__tpm_public pub;        /* when ev.ak_pub is present */
    uint8_t ak_fp[32];         /* SHA-256 of the AK's SPKI, when has_fp */
    bool has_fp;
    vt_time cert_nb, cert_na;  /* the AK chain's window, when it verified */
    char cert_issuer[232];
    vt__tpm_hcl hcl;
    vt__tpm_evlog *log;
    vt_buf conv;               /* the container converted from attestation.pb (ev borrows it) */
    uint32_t quoted[VT_TPM_PCR_BANKS_MAX]; /* per supplied bank: PCRs a verified quote covers */
} tpm_ctx;

static bool tpm_probe(const uint8_t *p, size_t len)
{
    return vt__tpm_evidence_probe(p, len) || vt__tpm_pb_probe(p, len) || vt__azure_envelope_probe(p, len);
}

/* A JSON object: the only JSON TPM evidence is the Azure envelope. */
static bool json_object_start(const uint8_t *p, size_t len)
{
    size_t i = 0;

    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i < len && p[i] == '{';
}

/* The veritee container as it is, or converted into conv from go-tpm-tools'
 * protobuf or the Azure CVM JSON envelope (also when --platform tpm names
 * a JSON text too broken to probe, so that its error is the JSON's). */
static vt_status as_container(vt_buf *conv, const uint8_t **p, size_t *len, vt_err *err)
{
    vt_status rc;

    if (vt__tpm_evidence_probe(*p, *len))
        return VT_OK;
    if (vt__tpm_pb_probe(*p, *len))
        rc = vt__tpm_pb_to_container(conv, *p, *len, err);
    else if (json_object_start(*p, *len)) /* not probed again: the converter reads it once, strictly */
        rc = vt__azure_envelope_to_container(conv, *p, *len, err);
    else
        return VT_OK; /* the container parser names what is wrong */
    if (rc == VT_OK) {
        *p = conv->data;
        *len = conv->len;
    }
    return rc;
}

static const uint8_t *bank_values(const tpm_ctx *x, uint16_t alg, size_t *count, size_t *idx)
{
    for (size_t i = 0; i < x->ev.pcr_bank_count; i++) {
        if (x->ev.pcr_alg[i] != alg)
            continue;
        *count = x->ev.pcrs[i].len / vt_md_len(vt__tpm_alg_md(alg));
        *idx = i;
        return x->ev.pcrs[i].p;
    }
    *count = 0;
    return NULL;
}

/* ---- the attestation key ---- */

static void ak_add(tpm_ctx *x, vt_pkey *k, const char *source)
{
    uint8_t a[32], b[32];

    if (x->ak == NULL) {
        x->ak = k;
        return;
    }
    if (vt_pkey_spki_sha256(a, x->ak, NULL) != VT_OK || vt_pkey_spki_sha256(b, k, NULL) != VT_OK ||
        !vt_ct_equal(a, b, sizeof(a)))
        vt__result_fail(x->res, "ak", "tpm: the %s holds another key than the attestation key", source);
    vt_pkey_free(k);
}

static void ak_from_public(tpm_ctx *x)
{
    const uint32_t need = VT_TPMA_FIXED_TPM | VT_TPMA_FIXED_PARENT | VT_TPMA_SENSITIVE_DATA_ORIGIN |
                          VT_TPMA_RESTRICTED | VT_TPMA_SIGN;
    vt_pkey *k = NULL;
    vt_err e = { 0 };

    if (x->ev.ak_pub.p == NULL)
        return;
    if (vt__tpm_public_parse(&x->pub, &k, x->ev.ak_pub.p, x->ev.ak_pub.len, &e) != VT_OK) {
        vt__result_fail(x->res, "ak", "%s", e.msg);
        return;
    }
    x->has_pub = true;
    /* An unrestricted key can sign any bytes that look like a quote. */
    if ((x->pub.attributes & need) != need || (x->pub.attributes & VT_TPMA_DECRYPT))
        vt__result_fail(x->res, "ak_attributes",
                        "tpm: AK attributes 0x%08x: not a restricted signing key (fixedTPM, fixedParent, "
                        "sensitiveDataOrigin, restricted, sign)",
                        x->pub.attributes);
    ak_add(x, k, "AK public area");
}

/* AK certificate <- one pinned GCE intermediate (or none) <- a trusted root. */
static void ak_from_cert(tpm_ctx *x)
{
    vt_x509 *cert = NULL, *inter[VT_GCE_TPM_INTERMEDIATES] = { NULL }, *chain[2];
    vt_pkey *k = NULL;
    vt_chain_result cr;
    vt_err e = { 0 };
    char subj[232];
    bool ok = false;

    if (x->ev.ak_cert.p == NULL)
        return;
    if (x->ev.ak_cert.len > AK_CERT_MAX || vt_x509_from_der(&cert, x->ev.ak_cert.p, x->ev.ak_cert.len, &e) != VT_OK) {
        vt__result_fail(x->res, "ak_cert", "tpm: AK certificate does not parse (%s)", e.msg);
        return;
    }
    if (vt_x509_pubkey(&k, cert, &e) != VT_OK) {
        vt__result_fail(x->res, "ak_cert", "tpm: AK certificate key unusable (%s)", e.msg);
        goto out;
    }
    chain[0] = cert;
    if (vt__roots_gce_tpm_intermediates(inter, &e) != VT_OK) {
        vt__result_fail(x->res, "ak_cert", "%s", e.msg);
        goto out;
    }
    /* Issued by a trusted root directly (simulation), or through a pinned intermediate. */
    ok = vt_chain_verify(&cr, chain, 1, x->req->roots, x->req->root_count, NULL, 0, x->req->opts->now, &e) == VT_OK;
    for (size_t i = 0; !ok && i < VT_GCE_TPM_INTERMEDIATES; i++) {
        chain[1] = inter[i];
        ok = vt_chain_verify(&cr, chain, 2, x->req->roots, x->req->root_count, NULL, 0, x->req->opts->now, &e) ==
             VT_OK;
    }
    if (!ok) {
        vt__result_fail(x->res, "ak_cert", "tpm: AK certificate does not chain to a trusted root: %s", e.msg);
        goto out;
    }
    vt__claims_window(&x->res->claims, cr.not_before, cr.not_after);
    x->cert_nb = cr.not_before;
    x->cert_na = cr.not_after;
    vt_x509_issuer(cert, subj, sizeof(subj));
    snprintf(x->cert_issuer, sizeof(x->cert_issuer), "%s", subj);
    vt__claims_add_signer(&x->res->claims, "ak_cert_issuer", subj);
    x->ak_trusted = true;
    x->ak_hardware = x->ak_hardware || cr.root_index < x->req->prod_root_count;
    ak_add(x, k, "AK certificate");
    k = NULL;
out:
    vt_pkey_free(k);
    vt_x509_free(cert);
}

/* Azure TDX: the TDREPORT in the HCL report is MACed for the local CPU only,
 * so what binds it remotely is the TD quote (verified by the caller, whose
 * claims c carries): every field the quote repeats must be the TDREPORT's,
 * and the TDREPORT's own hashes of TEE_TCB_INFO and TDINFO must hold.  Not
 * bound, and not used: REPORTTYPE, CPUSVN, the MAC and reserved bytes. */
static bool tdreport_matches_quote(tpm_ctx *x, const vt_claims *c)
{
    const uint8_t *tdr = x->hcl.hw;

    for (size_t i = 0; i < VT_HCL_TDR_FIELDS; i++) {
        const vt__hcl_tdr_field *f = &vt__hcl_tdr_fields[i];
        const vt_claim *q = vt_claims_get(c, f->claim);
        if (q == NULL || q->len != f->len || !vt_ct_equal(q->value, tdr + f->off, f->len)) {
            vt__result_fail(x->res, "hcl_report", "tpm: HCL TDREPORT %s differs from the TD quote's", f->claim);
            return false;
        }
    }
    if (!vt__hcl_tdr_hashes_hold(tdr)) {
        vt__result_fail(x->res, "hcl_report", "tpm: HCL TDREPORT TEE_TCB_INFO_HASH or TEE_INFO_HASH does not hold");
        return false;
    }
    return true;
}

/* The CPU TEE's configuration beneath the HCL report, in its plugin's claims, named as
 * composite evidence names its CPU part's: the platform in cpu_platform, the claims under
 * "cpu.".  The appraisal's debug, SEV-SNP policy (VMPL, SMT, migration agent) and
 * TD_ATTRIBUTES rules judge them as they judge a plain report (docs/passport.md). */
static void hcl_cpu_claims(tpm_ctx *x, vt_tee_kind kind, const vt_claims *hw)
{
    static const char *const snp[] = { "policy", "vmpl", NULL }, *const tdx[] = { "td_attributes", NULL };
    const char *const *names = kind == VT_TEE_TDX ? tdx : snp;
    char full[VT_CLAIM_NAME_MAX];

    vt__claims_add_text(&x->res->claims, "cpu_platform", vt_tee_name(kind));
    for (size_t i = 0; names[i] != NULL; i++) {
        const vt_claim *f = vt_claims_get(hw, names[i]);
        snprintf(full, sizeof(full), "cpu.%s", names[i]);
        if (f != NULL)
            vt__claims_copy(&x->res->claims, full, f);
    }
    x->res->claims.debug = x->res->claims.debug || hw->debug; /* SEV-SNP POLICY.DEBUG, TD_ATTRIBUTES.DEBUG */
}

/* The SEV-SNP report inside the HCL report (or the TD quote of its TDREPORT),
 * verified through the registry with the caller's policy but debug, which
 * the registry applies to this result; its REPORT_DATA must be
 * SHA-256(runtime data).  Its configuration becomes claims (hcl_cpu_claims). */
static void hcl_hardware(tpm_ctx *x)
{
    const vt_verify_opts *o = x->req->opts;
    vt_verify_opts sub = *o;
    vt_collateral *coll = NULL;
    vt_result *r = NULL;
    vt_err e = { 0 };

    const uint8_t *hw = x->hcl.hw;
    size_t hw_len = VT_HCL_SNP_REPORT_LEN;

    /* TDX: the TDREPORT is MACed for the local platform only; the TD quote of
     * the same report carries the REPORTDATA under Intel's PCK chain. */
    if (x->hcl.report_type == VT_HCL_TYPE_TDX) {
        if (x->ev.td_quote.p == NULL) {
            vt__result_fail(x->res, "hcl_report", "tpm: HCL report holds a TDREPORT but no TD quote came with it");
            return;
        }
        if (!vt_ct_equal(x->hcl.hw + VT_HCL_TDREPORT_DATA, x->hcl.runtime_sha256, 32)) {
            vt__result_fail(x->res, "hcl_report", "tpm: HCL TDREPORT REPORTDATA is not SHA-256(runtime data)");
            return;
        }
        hw = x->ev.td_quote.p;
        hw_len = x->ev.td_quote.len;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL || vt_collateral_new(&coll, &e) != VT_OK) {
        vt__result_fail(x->res, "hcl_report", "tpm: out of memory");
        goto out;
    }
    if (o->collateral != NULL)
        for (size_t i = 0; i < vt_collateral_count(o->collateral); i++) {
            const char *name;
            size_t n;
            const uint8_t *b = vt_collateral_get(o->collateral, i, &name, &n);
            if (vt_collateral_add(coll, name, b, n, &e) != VT_OK)
                break;
        }
    if (x->ev.hw_certs.p != NULL &&
        (x->ev.hw_certs.len > HW_CERTS_MAX ||
         vt_collateral_add(coll, "hcl-vcek.pem", x->ev.hw_certs.p, x->ev.hw_certs.len, &e) != VT_OK)) {
        vt__result_fail(x->res, "hcl_report", "tpm: hardware report certificates unusable");
        goto out;
    }
    sub.platform = x->hcl.report_type == VT_HCL_TYPE_TDX ? VT_TEE_TDX : VT_TEE_SEVSNP;
    sub.collateral = coll;
    sub.expected_report_data = x->hcl.runtime_sha256;
    sub.expected_report_data_len = sizeof(x->hcl.runtime_sha256);
    sub.mlog = NULL;
    /* A debug CPU TEE is judged once, on this result (claims.debug, below): refused as debug
     * unless allowed, not as a hardware report that does not verify. */
    sub.allow_debug = true;
    sub.tpm_ak_sha256 = NULL;
    sub.tpm_ak_count = 0;
    if (vt_evidence_verify(r, hw, hw_len, &sub, &e) != VT_OK && r->error_count == 0)
        vt__result_fail(x->res, "hcl_report", "tpm: HCL hardware report: %s", e.msg);
    for (size_t i = 0; i < r->error_count; i++)
        vt__result_fail(x->res, "hcl_report", "%s %s: %s", vt_tee_name(sub.platform), r->errors[i].check,
                        r->errors[i].msg);
    /* Warnings keep their check: the environment judges the hardware report's TCB status,
     * simulation root and collateral as it does for that platform's own evidence. */
    for (size_t i = 0; i < r->warning_count; i++)
        if (strcmp(r->warnings[i].check, "debug") != 0)
            vt__result_warn(x->res, r->warnings[i].check, "HCL %s report: %s", vt_tee_name(sub.platform),
                            r->warnings[i].msg);
    snprintf(x->res->claims.tcb_status, sizeof(x->res->claims.tcb_status), "%s", r->claims.tcb_status);
    x->res->collateral_verified = r->collateral_verified;
    for (size_t i = 0; i < r->claims.signer_count; i++)
        vt__claims_add_signer(&x->res->claims, r->claims.signers[i].role, r->claims.signers[i].value);
    if (vt_claims_get(&r->claims, "measurement") != NULL) {
        const vt_claim *m = vt_claims_get(&r->claims, "measurement");
        vt__claims_add(&x->res->claims, "snp_measurement", m->value, m->len);
    }
    if (vt_claims_get(&r->claims, "mrtd") != NULL) {
        const vt_claim *m = vt_claims_get(&r->claims, "mrtd");
        vt__claims_add(&x->res->claims, "tdx_mrtd", m->value, m->len);
    }
    hcl_cpu_claims(x, sub.platform, &r->claims);
    vt__claims_window(&x->res->claims, r->claims.not_before, r->claims.not_after);
    if (r->valid && (x->hcl.report_type != VT_HCL_TYPE_TDX || tdreport_matches_quote(x, &r->claims))) {
        x->ak_trusted = true;
        x->ak_hardware = r->claims.hardware_attested && r->signature_valid && r->chain_valid;
    }
out:
    vt_collateral_free(coll);
    free(r);
}

static void ak_from_hcl(tpm_ctx *x)
{
    vt_err e = { 0 };
    uint8_t v;

    if (x->ev.hcl_report.p == NULL)
        return;
    if (vt__tpm_hcl_parse(&x->hcl, x->ev.hcl_report.p, x->ev.hcl_report.len, &e) != VT_OK) {
        vt__result_fail(x->res, "hcl_report", "%s", e.msg);
        return;
    }
    vt__claims_add(&x->res->claims, "hcl_runtime_sha256", x->hcl.runtime_sha256, 32);
    if (x->hcl.secure_boot >= 0) {
        v = (uint8_t)x->hcl.secure_boot;
        vt__claims_add(&x->res->claims, "azure_secure_boot", &v, 1);
    }
    hcl_hardware(x);
    ak_add(x, x->hcl.ak, "HCL runtime data");
    x->hcl.ak = NULL;
}

/* Azure envelope v2: the runtime data's "user-data" (bound by the hardware
 * report with the rest of the runtime data) is the quote's extraData,
 * zero-padded to its 64 bytes. */
static void check_hcl_user_data(tpm_ctx *x)
{
    static const uint8_t zero[sizeof(x->hcl.user_data)] = { 0 };
    const vt__tpm_attest *a = &x->att[0];
    const vt__tpm_hcl *h = &x->hcl;

    if (!x->ev.hcl_binds_nonce)
        return;
    if (x->ev.hcl_report.p == NULL || h->runtime == NULL) {
        vt__result_fail(x->res, "hcl_user_data", "tpm: the evidence binds the nonce in HCL user-data, but has no "
                                                 "readable HCL report");
        return;
    }
    if (h->user_data_len != sizeof(h->user_data) || a->extra_len > h->user_data_len ||
        !vt_ct_equal(h->user_data, a->extra, a->extra_len) ||
        !vt_ct_equal(h->user_data + a->extra_len, zero, h->user_data_len - a->extra_len))
        vt__result_fail(x->res, "hcl_user_data",
                        "tpm: HCL runtime data \"user-data\" is not the quote's extraData (the nonce) zero-padded to "
                        "64 bytes");
}

/* ---- the AK cache: what the AK public area and certificate establish,
 * keyed by their bytes and the trusted roots; only error-free outcomes ---- */

typedef struct ak_cached {
    vt__cached base;
    vt_pkey *ak;
    uint8_t fp[32];
    bool trusted, hardware, has_cert;
    vt_time nb, na;
    char issuer[232];
} ak_cached;

static void ak_cached_destroy(vt__cached *v)
{
    ak_cached *a = (ak_cached *)v;
    vt_pkey_free(a->ak);
    free(a);
}

static bool ak_cache_key(tpm_ctx *x, uint8_t key[32])
{
    static const char tag[] = "veritee/tpm/ak";
    uint8_t pub[32], cert[32], roots[32], fp[32];
    uint32_t prod = (uint32_t)x->req->prod_root_count;
    vt_digest_ctx *d = NULL;
    bool ok;
    const void *parts[5] = { tag, pub, cert, roots, &prod };
    size_t lens[5] = { sizeof(tag), 32, 32, 32, sizeof(prod) };

    if (vt_digest(VT_MD_SHA256, x->ev.ak_pub.p, x->ev.ak_pub.len, pub, NULL) != VT_OK ||
        vt_digest(VT_MD_SHA256, x->ev.ak_cert.p, x->ev.ak_cert.len, cert, NULL) != VT_OK ||
        vt_digest_ctx_new(&d, VT_MD_SHA256, NULL) != VT_OK)
        return false;
    ok = true;
    for (size_t i = 0; ok && i < x->req->root_count; i++) {
        vt_x509_fingerprint(x->req->roots[i], fp);
        ok = vt_digest_ctx_update(d, fp, sizeof(fp), NULL) == VT_OK;
    }
    ok = ok && vt_digest_ctx_final(d, roots, NULL) == VT_OK;
    vt_digest_ctx_free(d);
    return ok && vt_digestv(VT_MD_SHA256, parts, lens, 5, key, NULL) == VT_OK;
}

/* A cache hit: the AK and what its certificate proved, as ak_from_public and ak_from_cert would. */
static bool ak_from_cache(tpm_ctx *x, const uint8_t key[32])
{
    ak_cached *a = (ak_cached *)vt__cache_get(x->req->opts->cache, VT_CACHE_TPM_AK, key, x->req->opts->now);

    if (a == NULL)
        return false;
    x->ak = vt_pkey_ref(a->ak);
    memcpy(x->ak_fp, a->fp, 32);
    x->has_fp = true;
    if (a->has_cert) {
        vt__claims_window(&x->res->claims, a->nb, a->na);
        vt__claims_add_signer(&x->res->claims, "ak_cert_issuer", a->issuer);
    }
    x->ak_trusted = a->trusted;
    x->ak_hardware = a->hardware;
    vt__cached_release(&a->base);
    return true;
}

static void ak_to_cache(tpm_ctx *x, const uint8_t key[32], vt_time nb, vt_time na, const char *issuer)
{
    ak_cached *a;

    if (x->ak == NULL || !x->has_fp || (x->ev.ak_pub.p == NULL && x->ev.ak_cert.p == NULL))
        return;
    a = calloc(1, sizeof(*a));
    if (a == NULL)
        return;
    vt__cached_init(&a->base, ak_cached_destroy);
    a->ak = vt_pkey_ref(x->ak);
    memcpy(a->fp, x->ak_fp, 32);
    a->trusted = x->ak_trusted;
    a->hardware = x->ak_hardware;
    a->has_cert = x->ev.ak_cert.p != NULL;
    a->nb = nb;
    a->na = na;
    snprintf(a->issuer, sizeof(a->issuer), "%s", issuer);
    vt__cache_put(x->req->opts->cache, VT_CACHE_TPM_AK, key, nb, na, &a->base);
    vt__cached_release(&a->base);
}

static void ak_fingerprint(tpm_ctx *x)
{
    if (x->ak != NULL && !x->has_fp && vt_pkey_spki_sha256(x->ak_fp, x->ak, NULL) == VT_OK)
        x->has_fp = true;
}

static void ak_pinned(tpm_ctx *x)
{
    const vt_verify_opts *o = x->req->opts;
    const uint8_t *fp = x->ak_fp;

    ak_fingerprint(x);
    if (!x->has_fp)
        return;
    vt__claims_add(&x->res->claims, "ak_sha256", fp, sizeof(x->ak_fp));
    for (size_t i = 0; o->tpm_ak_sha256 != NULL && i < o->tpm_ak_count; i++)
        if (vt_ct_equal(fp, o->tpm_ak_sha256[i], sizeof(x->ak_fp))) {
            x->ak_trusted = true;
            vt__claims_add_signer(&x->res->claims, "ak_pinned", "attestation key pinned by the verifier");
            return;
        }
    /* The simulated TPM's AK (tpm_sim.c), only when simulation is trusted. */
    if (o->trust_sim && !x->ak_trusted && vt__sim_tpm_ak_pinned(o->state_dir, fp)) {
        x->ak_trusted = true;
        vt__claims_add_signer(&x->res->claims, "ak_pinned", "the simulated TPM's attestation key (trust_sim)");
    }
}

/* ---- the quotes ---- */

static bool check_pcr_digest(tpm_ctx *x, size_t qi, uint16_t hash)
{
    const vt__tpm_attest *a = &x->att[qi];
    vt_md md = vt__tpm_alg_md(hash);
    vt_digest_ctx *d = NULL;
    uint8_t got[VT_MD_MAX];
    bool ok = false;

    if (vt_digest_ctx_new(&d, md, NULL) != VT_OK)
        return false;
    for (size_t s = 0; s < a->sel_count; s++) {
        size_t count, bi;
        const uint8_t *v = bank_values(x, a->sel[s].alg, &count, &bi);
        size_t dl = vt_md_len(vt__tpm_alg_md(a->sel[s].alg));

        for (unsigned i = 0; i < VT_TPM_PCR_COUNT; i++) {
            if (!(a->sel[s].mask & (1u << i)))
                continue;
            if (v == NULL || i >= count) {
                vt__result_fail(x->res, "pcr_values", "tpm: quote %zu covers %s PCR %u but no value was supplied", qi,
                                vt__tpm_alg_name(a->sel[s].alg), i);
                goto out;
            }
            if (vt_digest_ctx_update(d, v + i * dl, dl, NULL) != VT_OK)
                goto out;
        }
    }
    if (vt_digest_ctx_final(d, got, NULL) != VT_OK)
        goto out;
    if (a->pcr_digest_len != vt_md_len(md) || !vt_ct_equal(got, a->pcr_digest, a->pcr_digest_len)) {
        vt__result_fail(x->res, "pcr_digest", "tpm: quote %zu pcrDigest does not match the supplied PCR values", qi);
        goto out;
    }
    ok = true;
out:
    vt_digest_ctx_free(d);
    return ok;
}

static bool check_quote(tpm_ctx *x, size_t qi)
{
    const vt__tpm_attest *a = &x->att[qi];
    vt__tpm_sig *sig = NULL;
    vt_err e = { 0 };
    bool ok = false;

    sig = calloc(1, sizeof(*sig));
    if (sig == NULL) {
        vt__result_fail(x->res, "quote_signature", "tpm: out of memory");
        return false;
    }
    if (vt__tpm_sig_parse(sig, x->ev.sig[qi].p, x->ev.sig[qi].len, x->ak, &e) != VT_OK) {
        vt__result_fail(x->res, "quote_signature", "tpm: quote %zu: %s", qi, e.msg);
        goto out;
    }
    if (vt__tpm_sig_verify(sig, x->ak, x->ev.attest[qi].p, x->ev.attest[qi].len, &e) != VT_OK) {
        vt__result_fail(x->res, "quote_signature", "tpm: quote %zu: %s", qi, e.msg);
        goto out;
    }
    ok = true;
    /* qualifiedSigner is the AK's Qualified Name (it folds in every parent's
     * name), so it cannot be recomputed from the AK alone: not checked. */
    if (!check_pcr_digest(x, qi, sig->hash))
        ok = false;
    if (qi > 0 && (a->extra_len != x->att[0].extra_len || !vt_ct_equal(a->extra, x->att[0].extra, a->extra_len))) {
        vt__result_fail(x->res, "extra_data", "tpm: quote %zu extraData differs from quote 0's", qi);
        ok = false;
    }
    if (ok)
        for (size_t s = 0; s < a->sel_count; s++) {
            size_t count, bi;
            if (bank_values(x, a->sel[s].alg, &count, &bi) != NULL)
                x->quoted[bi] |= a->sel[s].mask;
        }
out:
    free(sig);
    return ok;
}

/* ---- the event log ---- */

static void check_event_log(tpm_ctx *x)
{
    vt_err e = { 0 };
    size_t compared = 0;
    bool sha256_pcr4 = false;

    if (x->ev.event_log.p == NULL)
        return;
    x->log = calloc(1, sizeof(*x->log));
    if (x->log == NULL) {
        vt__result_fail(x->res, "event_log", "tpm: out of memory");
        return;
    }
    if (vt__tpm_evlog_replay(x->log, x->ev.event_log.p, x->ev.event_log.len, &e) != VT_OK) {
        vt__result_fail(x->res, "event_log", "%s", e.msg);
        goto bad;
    }
    for (size_t b = 0; b < x->ev.pcr_bank_count; b++) {
        const vt__tpm_evlog_bank *lb = vt__tpm_evlog_bank_get(x->log, x->ev.pcr_alg[b]);
        size_t count, bi;
        const uint8_t *v = bank_values(x, x->ev.pcr_alg[b], &count, &bi);

        if (lb == NULL)
            continue;
        for (unsigned i = 0; i < VT_TPM_PCR_COUNT; i++) {
            if (!(x->log->touched & (1u << i)))
                continue;
            if (!(x->quoted[b] & (1u << i)) || i >= count) {
                vt__result_fail(x->res, "event_log", "tpm: the event log extends %s PCR %u, which no quote covers",
                                vt__tpm_alg_name(lb->alg), i);
                goto bad;
            }
            if (!vt_ct_equal(lb->pcr[i], v + i * lb->len, lb->len)) {
                vt__result_fail(x->res, "event_log", "tpm: the event log replays %s PCR %u to another value",
                                vt__tpm_alg_name(lb->alg), i);
                goto bad;
            }
            compared++;
            if (lb->alg == VT_TPM_ALG_SHA256 && i == 4)
                sha256_pcr4 = true;
        }
    }
    if (compared == 0) {
        vt__result_fail(x->res, "event_log", "tpm: the event log shares no digest bank with the quoted PCRs");
        goto bad;
    }
    /* boot_loader and kernel are SHA-256 digests: bound only when that bank's PCR 4 was compared. */
    if (!sha256_pcr4)
        x->log->has_boot_loader = x->log->has_kernel = false;
    return;
bad:
    free(x->log);
    x->log = NULL;
}

/* ---- claims ---- */

static void add_claims(tpm_ctx *x)
{
    vt_claims *c = &x->res->claims;
    const vt__tpm_attest *a = &x->att[0];
    uint8_t be[8];
    size_t count, bi;
    const uint8_t *v = bank_values(x, VT_TPM_ALG_SHA256, &count, &bi);
    char name[8];

    c->version = 2;
    memset(c->report_data, 0, sizeof(c->report_data));
    memcpy(c->report_data, a->extra, a->extra_len);
    vt__claims_add(c, "extra_data", a->extra, a->extra_len);
    for (size_t k = 0; k < 8; k++)
        be[k] = (uint8_t)(a->firmware_version >> (56 - 8 * k));
    vt__claims_add(c, "firmware_version", be, 8);
    for (size_t k = 0; k < 4; k++)
        be[k] = (uint8_t)(a->reset_count >> (24 - 8 * k));
    vt__claims_add(c, "reset_count", be, 4);
    /* PCR claims only for what a verified quote covers: SHA-256 bank. */
    for (unsigned i = 0; v != NULL && i < VT_TPM_PCR_COUNT && i < count; i++) {
        if (!(x->quoted[bi] & (1u << i)))
            continue;
        snprintf(name, sizeof(name), "pcr%u", i);
        vt__claims_add(c, name, v + 32 * i, 32);
    }
    if (x->log != NULL) {
        if (x->log->secure_boot >= 0) {
            uint8_t sb = (uint8_t)x->log->secure_boot;
            vt__claims_add(c, "secure_boot", &sb, 1);
        }
        if (x->log->has_boot_loader)
            vt__claims_add(c, "boot_loader", x->log->boot_loader, 32);
        if (x->log->has_kernel)
            vt__claims_add(c, "kernel", x->log->kernel, 32);
    }
}

/* ---- the plugin ---- */

static void ctx_free(tpm_ctx *x)
{
    if (x == NULL)
        return;
    vt_pkey_free(x->ak);
    vt__tpm_hcl_clear(&x->hcl);
    free(x->log);
    vt_buf_free(&x->conv);
    free(x);
}

static vt_status tpm_verify(const vt__verify_req *req, vt_result *res, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const vt_verify_opts *o;
    tpm_ctx *x = NULL;
    bool all = true;

    if (req == NULL || res == NULL || req->opts == NULL || (req->evidence == NULL && req->len > 0))
        return vt_err_set(err, VT_E_ARG, "tpm: verify request incomplete");
    o = req->opts;
    res->claims.platform = VT_TEE_TPM;
    x = calloc(1, sizeof(*x));
    if (x == NULL)
        return vt_err_set(err, VT_E_NOMEM, "tpm: out of memory");
    x->req = req;
    x->res = res;
    x->hcl.secure_boot = x->hcl.tpm_enabled = -1;
    vt_buf_init(&x->conv);
    {
        const uint8_t *p = req->evidence;
        size_t n = req->len;
        rc = as_container(&x->conv, &p, &n, err);
        if (rc == VT_OK)
            rc = vt__tpm_evidence_parse(&x->ev, p, n, err);
    }
    for (size_t i = 0; rc == VT_OK && i < x->ev.quote_count; i++) {
        vt_err e = { 0 };
        rc = vt__tpm_attest_parse(&x->att[i], x->ev.attest[i].p, x->ev.attest[i].len, &e);
        if (rc != VT_OK)
            vt_err_set(err, rc, "%s (quote %zu)", e.msg, i);
    }
    if (rc != VT_OK)
        goto out;
    {
        uint8_t key[32];
        bool keyed = o->cache != NULL && ak_cache_key(x, key);
        size_t errors = res->error_count;

        if (!keyed || !ak_from_cache(x, key)) {
            x->cert_nb = INT64_MIN;
            x->cert_na = INT64_MAX;
            ak_from_public(x);
            ak_from_cert(x);
            ak_fingerprint(x);
            if (keyed && res->error_count == errors)
                ak_to_cache(x, key, x->cert_nb, x->cert_na, x->cert_issuer);
        }
    }
    ak_from_hcl(x);
    check_hcl_user_data(x);
    ak_pinned(x);
    if (x->ak == NULL) {
        vt__result_fail(res, "ak", "tpm: no attestation key (AK public area, AK certificate or HCL report)");
        all = false;
    }
    for (size_t i = 0; x->ak != NULL && i < x->ev.quote_count; i++)
        if (!check_quote(x, i))
            all = false;
    res->signature_valid = x->ak != NULL && all;
    if (!x->ak_trusted)
        vt__result_fail(res, "ak_trust",
                        "tpm: the attestation key is not trusted: no AK certificate to a trusted root, no verified "
                        "hardware report, and not pinned");
    res->chain_valid = x->ak_trusted;
    res->claims.hardware_attested = x->ak_hardware && x->ak_trusted && res->signature_valid;
    if (res->signature_valid)
        check_event_log(x);
    add_claims(x);
    /* --report-data compares extraData exactly: the length too. */
    if (o->expected_report_data != NULL && o->expected_report_data_len != x->att[0].extra_len)
        vt__result_fail(res, "report_data", "tpm: extraData is %zu bytes, the expected report_data %zu",
                        x->att[0].extra_len, o->expected_report_data_len);
    /* A TPM has no TCB collateral; an Azure CVM's comes from its SNP report. */
    if (x->ev.hcl_report.p == NULL && x->ak_trusted) {
        snprintf(res->claims.tcb_status, sizeof(res->claims.tcb_status), "%s", "NotApplicable");
        res->collateral_verified = true;
    }
    rc = VT_OK;
out:
    ctx_free(x);
    return rc;
}

/* ---- inspect ---- */

static json_t *attest_json(const vt__tpm_attest *a)
{
    json_t *o = json_object(), *sel = json_array();

    json_object_set_new(o, "type", json_string("quote"));
    json_object_set_new(o, "qualified_signer", vt__json_hex(a->signer_name, a->signer_name_len));
    json_object_set_new(o, "extra_data", vt__json_hex(a->extra, a->extra_len));
    json_object_set_new(o, "clock", json_integer((json_int_t)a->clock));
    json_object_set_new(o, "reset_count", json_integer(a->reset_count));
    json_object_set_new(o, "restart_count", json_integer(a->restart_count));
    json_object_set_new(o, "safe", json_boolean(a->safe));
    json_object_set_new(o, "firmware_version", json_integer((json_int_t)a->firmware_version));
    for (size_t i = 0; i < a->sel_count; i++) {
        json_t *pcrs = json_array();
        for (unsigned j = 0; j < VT_TPM_PCR_COUNT; j++)
            if (a->sel[i].mask & (1u << j))
                json_array_append_new(pcrs, json_integer(j));
        json_array_append_new(sel, json_pack("{s:s, s:o}", "bank", vt__tpm_alg_name(a->sel[i].alg), "pcrs", pcrs));
    }
    json_object_set_new(o, "pcr_select", sel);
    json_object_set_new(o, "pcr_digest", vt__json_hex(a->pcr_digest, a->pcr_digest_len));
    return o;
}

static vt_status tpm_inspect(const uint8_t *p, size_t len, char **json_out, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__tpm_evidence ev;
    vt__tpm_attest a;
    json_t *o = NULL, *qs;

    vt_buf conv;

    *json_out = NULL;
    vt_buf_init(&conv);
    rc = as_container(&conv, &p, &len, err);
    if (rc == VT_OK)
        rc = vt__tpm_evidence_parse(&ev, p, len, err);
    if (rc != VT_OK) {
        vt_buf_free(&conv);
        return rc;
    }
    o = json_object();
    qs = json_array();
    json_object_set_new(o, "platform", json_string("tpm"));
    json_object_set_new(o, "quotes", qs); /* o owns qs from here: freed with o on every path */
    for (size_t i = 0; i < ev.quote_count; i++) {
        rc = vt__tpm_attest_parse(&a, ev.attest[i].p, ev.attest[i].len, err);
        if (rc != VT_OK)
            goto out;
        json_array_append_new(qs, attest_json(&a));
    }
    json_object_set_new(o, "pcr_banks", json_integer((json_int_t)ev.pcr_bank_count));
    json_object_set_new(o, "event_log_bytes", json_integer((json_int_t)ev.event_log.len));
    json_object_set_new(o, "ak_public", json_boolean(ev.ak_pub.p != NULL));
    json_object_set_new(o, "ak_certificate", json_boolean(ev.ak_cert.p != NULL));
    json_object_set_new(o, "hcl_report", json_boolean(ev.hcl_report.p != NULL));
    json_object_set_new(o, "hcl_binds_nonce", json_boolean(ev.hcl_binds_nonce));
    *json_out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    rc = *json_out != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "tpm: cannot serialize the evidence as JSON");
out:
    json_decref(o);
    vt_buf_free(&conv);
    return rc;
}

const vt__tee_ops vt__tee_tpm = {
    .abi = VT_TEE_OPS_ABI,
    .kind = VT_TEE_TPM,
    .name = "tpm",
    .caps = VT_TEE_CAN_VERIFY | VT_TEE_CAN_COLLECT,
    .probe = tpm_probe,
    .detect = vt__tpm_detect,   /* tpm_collect.c: /dev/tpmrm0 or a configured TCTI */
    .collect = vt__tpm_collect, /* tpm2-tss ESAPI */
    .verify = tpm_verify,
    .inspect = tpm_inspect,
};
