/* SEV-SNP plugin against the real reports and certificates in
 * $VERITEE_VECTORS/sevsnp: every sample at its MANIFEST time gives the
 * MANIFEST outcome; tampering, truncation, wrong certificates and a wrong
 * report_data are rejected for the right reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

#include "tee/cache.h"
#include "tee/plugin.h"
#include "tee/sevsnp_report.h"

typedef struct sample {
    const char *dir;
    const char *cert; /* vcek.der or vlek.der */
    const char *at;
    bool debug;
    bool vlek;
    uint32_t version;
    uint32_t vmpl;
    const char *measurement;
    const char *reported_tcb;
    const char *report_data;
} sample;

static const sample samples[] = {
    { "gosev-milan-v2", "vcek.der", "2022-09-24T01:00:00Z", true, false, 2, 0,
      "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01",
      "0200000000000544",
      "0102030405000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000" },
    { "virtee-milan-v2", "vcek.der", "2024-01-01T00:00:00Z", false, false, 2, 0,
      "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f",
      "0300000000000873",
      "d447b55d197491bfe15cf298f9de9986b7a7c4be2468b4f6e2d53b71d7c645810b0f2cdfca0040433be063fc1a8293f0f3f8dae7b79fecb3"
      "d1cd82bd6a93ebfd" },
    { "trustee-milan-v2", "vcek.der", "2024-01-01T00:00:00Z", false, false, 2, 0,
      "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f9050d3d38c",
      "0300000000000873",
      "ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e200000000000000000000000000000000000000000000000000"
      "00000000000000" },
    { "trustee-milan-vlek-aws-v3", "vlek.der", "2025-06-01T00:00:00Z", false, true, 3, 1,
      "8922ebbdd00ec2c541f36a6e7a82a8773a7accb451ed67bc94e740dbe92c93c4e8c9af857f5ceeb5a493df2a570d7bf0",
      "04000000000018d9",
      "819770b7e6ea6df8dd8fd4dd146b073c0bf4f3ce5b0977ecac486e3a05ed1bd54e2a7ac1f5d1ca02e7d7d5ef9f73b8574fd9359e3a480d74"
      "1a4478e8a7bc27ca" },
    { "lunal-genoa-v5", "vcek.der", "2026-06-01T00:00:00Z", false, false, 5, 0,
      "d9912ba396ce409c2947841d93a5076b6839b898c22b4aae05edb3b2b058a99927f8cf9a4f8617ee695deb14795496c8",
      "0a00000000001b1b",
      "68656c6c6f2d6174746573746174696f6e000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000" },
};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static vt_collateral *coll_with(const char *rel, ...)
{
    vt_collateral *c = NULL;
    vt_err err = { 0 };
    va_list ap;
    const char *r;

    assert_int_equal(vt_collateral_new(&c, &err), VT_OK);
    va_start(ap, rel);
    for (r = rel; r != NULL; r = va_arg(ap, const char *)) {
        vt_buf b = { 0 };
        const char *base = strrchr(r, '/');

        vt_test_load(&b, r);
        assert_int_equal(vt_collateral_add(c, base == NULL ? r : base + 1, b.data, b.len, &err), VT_OK);
        vt_buf_free(&b);
    }
    va_end(ap);
    return c;
}

static vt_collateral *sample_coll(const sample *s)
{
    char rel[256];

    snprintf(rel, sizeof(rel), "sevsnp/%s/%s", s->dir, s->cert);
    return coll_with(rel, NULL);
}

static void load_report(vt_buf *b, const sample *s)
{
    char rel[256];

    snprintf(rel, sizeof(rel), "sevsnp/%s/report.bin", s->dir);
    vt_test_load(b, rel);
    assert_int_equal(b->len, SNP_REPORT_LEN);
}

/* Runs the plugin directly with the pinned ARKs. */
static vt_status run(vt_result *res, const uint8_t *p, size_t len, const vt_collateral *c, vt_time now,
                     vt_verify_cache *cache)
{
    vt_verify_opts o;
    vt__verify_req req;
    vt_x509 *roots[VT_AMD_PRODUCTS];
    vt_err err = { 0 };

    assert_int_equal(vt__roots_amd_arks(roots, &err), VT_OK);
    memset(&o, 0, sizeof(o));
    memset(&req, 0, sizeof(req));
    memset(res, 0, sizeof(*res));
    o.platform = VT_TEE_SEVSNP;
    o.now = now;
    o.collateral = c;
    o.cache = cache;
    req.evidence = p;
    req.len = len;
    req.opts = &o;
    req.roots = roots;
    req.root_count = VT_AMD_PRODUCTS;
    req.prod_root_count = VT_AMD_PRODUCTS;
    return vt__tee_sevsnp.verify(&req, res, &err);
}

static bool has(const vt_finding *f, size_t n, const char *check)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].check, check) == 0)
            return true;
    return false;
}
#define has_error(r, c) has((r)->errors, (r)->error_count, (c))

static void dump(const vt_result *r)
{
    for (size_t i = 0; i < r->error_count; i++)
        fprintf(stderr, "  error %s: %s\n", r->errors[i].check, r->errors[i].msg);
    for (size_t i = 0; i < r->warning_count; i++)
        fprintf(stderr, "  warning %s: %s\n", r->warnings[i].check, r->warnings[i].msg);
}

static void check_ok(const sample *s, vt_verify_cache *cache)
{
    vt_buf b = { 0 };
    vt_collateral *c = sample_coll(s);
    vt_result *r = calloc(1, sizeof(*r));
    char hex[129];

    assert_non_null(r);
    load_report(&b, s);
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time(s->at), cache), VT_OK);
    fprintf(stderr, "%s: %zu errors, %zu warnings\n", s->dir, r->error_count, r->warning_count);
    dump(r);
    assert_int_equal(r->error_count, 0);
    assert_true(r->signature_valid);
    assert_true(r->chain_valid);
    assert_true(r->collateral_verified);
    assert_true(r->claims.hardware_attested);
    /* Reported honestly: a genuine VCEK certifies REPORTED_TCB, which says which firmware runs, not
     * that it is current.  The components are claims; the status is Unknown until an environment's
     * minimum is compared, and the one warning says so. */
    assert_int_equal(r->warning_count, 1);
    assert_string_equal(r->warnings[0].check, "tcb_status");
    assert_string_equal(r->claims.tcb_status, "Unknown");
    {
        uint8_t tcb[8];
        assert_int_equal(vt_hex_decode(tcb, 8, s->reported_tcb, 16, NULL), VT_OK);
        assert_int_equal(vt_claims_get(&r->claims, "amd_product")->value[0], strstr(s->dir, "genoa") ? 1 : 0);
        assert_int_equal(vt_claims_get(&r->claims, "reported_tcb_bl")->value[0], tcb[0]);
        assert_int_equal(vt_claims_get(&r->claims, "reported_tcb_tee")->value[0], tcb[1]);
        assert_int_equal(vt_claims_get(&r->claims, "reported_tcb_snp")->value[0], tcb[6]);
        assert_int_equal(vt_claims_get(&r->claims, "reported_tcb_ucode")->value[0], tcb[7]);
        assert_null(vt_claims_get(&r->claims, "reported_tcb_fmc")); /* Turin only */
    }
    assert_int_equal(r->claims.platform, VT_TEE_SEVSNP);
    assert_int_equal(r->claims.version, s->version);
    assert_int_equal(r->claims.debug, s->debug);
    assert_int_equal(r->claims.signer_count, 1);
    assert_string_equal(r->claims.signers[0].role, s->vlek ? "vlek" : "vcek");
    vt_test_claim_hex(r, "measurement", s->measurement);
    vt_test_claim_hex(r, "reported_tcb", s->reported_tcb);
    assert_int_equal(vt_claims_get(&r->claims, "vmpl")->value[0], s->vmpl);
    vt_hex_encode(hex, r->claims.report_data, 64);
    assert_string_equal(hex, s->report_data);
    vt_collateral_free(c);
    vt_buf_free(&b);
    free(r);
}

static void test_tee_sevsnp_vectors__each_sample(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSAMPLES; i++)
        check_ok(&samples[i], NULL);
}

static void test_tee_sevsnp_vectors__cached_twice(void **state)
{
    vt_verify_cache *cache = NULL;
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_verify_cache_new(&cache, &err), VT_OK);
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < NSAMPLES; i++)
            check_ok(&samples[i], cache);
    assert_int_equal(vt__cache_count(cache), NSAMPLES);
    vt_verify_cache_free(cache);
}

/* Probe: every report is recognized; its truncations and TDX quotes are not. */
static void test_tee_sevsnp_vectors__probe(void **state)
{
    vt_buf b = { 0 }, q = { 0 };

    (void)state;
    for (size_t i = 0; i < NSAMPLES; i++) {
        load_report(&b, &samples[i]);
        assert_int_equal(vt_evidence_probe(b.data, b.len), VT_TEE_SEVSNP);
        assert_int_equal(vt_evidence_probe(b.data, b.len - 1), VT_TEE_NONE);
        vt_buf_free(&b);
    }
    vt_test_load(&q, "tdx/gotdx-v5-tdx15/quote.bin");
    assert_int_equal(vt_evidence_probe(q.data, q.len), VT_TEE_TDX);
    vt_buf_free(&q);
}

/* Every truncation (and one trailing byte) is VT_E_FORMAT, with a format finding. */
static void test_tee_sevsnp_vectors__truncations(void **state)
{
    const sample *s = &samples[1];
    vt_buf b = { 0 };
    vt_collateral *c = sample_coll(s);
    vt_result *r = calloc(1, sizeof(*r));
    uint8_t *big;

    (void)state;
    assert_non_null(r);
    load_report(&b, s);
    for (size_t n = 0; n < b.len; n++) {
        uint8_t *cut = malloc(n + 1); /* exact-size copy so ASan sees any over-read */
        assert_non_null(cut);
        memcpy(cut, b.data, n);
        assert_int_equal(run(r, cut, n, c, vt_test_time(s->at), NULL), VT_E_FORMAT);
        assert_true(has_error(r, "report_format"));
        assert_false(r->signature_valid);
        free(cut);
    }
    big = calloc(1, b.len + 1);
    assert_non_null(big);
    memcpy(big, b.data, b.len);
    assert_int_equal(run(r, big, b.len + 1, c, vt_test_time(s->at), NULL), VT_E_FORMAT);
    free(big);
    vt_collateral_free(c);
    vt_buf_free(&b);
    free(r);
}

/* One bit flipped anywhere in the signed bytes or in R/S: never accepted. */
static void test_tee_sevsnp_vectors__bit_flips(void **state)
{
    vt_verify_cache *cache = NULL;
    vt_err err = { 0 };
    vt_result *r = calloc(1, sizeof(*r));

    (void)state;
    assert_non_null(r);
    assert_int_equal(vt_verify_cache_new(&cache, &err), VT_OK);
    for (size_t k = 0; k < NSAMPLES; k++) {
        const sample *s = &samples[k];
        vt_buf b = { 0 };
        vt_collateral *c = sample_coll(s);
        size_t step = k == 1 ? 1 : 7; /* every byte of one sample, a spread over the others */

        load_report(&b, s);
        for (size_t i = 0; i < 0x330; i += step) {
            uint8_t bit = (uint8_t)(1u << (i % 8));
            vt_status rc;

            b.data[i] ^= bit;
            rc = run(r, b.data, b.len, c, vt_test_time(s->at), cache);
            if (rc == VT_OK) {
                if (r->error_count == 0)
                    fail_msg("%s: flip at 0x%zx accepted", s->dir, i);
                assert_true(has_error(r, "report_signature") || has_error(r, "vcek_chain"));
            }
            b.data[i] ^= bit;
        }
        /* The unsigned reserved tail must be zero too. */
        b.data[0x400] ^= 1;
        assert_int_equal(run(r, b.data, b.len, c, vt_test_time(s->at), cache), VT_E_FORMAT);
        b.data[0x400] ^= 1;
        vt_collateral_free(c);
        vt_buf_free(&b);
    }
    vt_verify_cache_free(cache);
    free(r);
}

/* Trustee: byte 42 breaks the signature; byte 384 (REPORTED_TCB) breaks the signature and the TCB match. */
static void test_tee_sevsnp_vectors__trustee_bytes(void **state)
{
    const sample *s = &samples[2];
    vt_buf b = { 0 };
    vt_collateral *c = sample_coll(s);
    vt_result *r = calloc(1, sizeof(*r));

    (void)state;
    assert_non_null(r);
    load_report(&b, s);
    b.data[42] ^= 0x01;
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time(s->at), NULL), VT_OK);
    assert_true(has_error(r, "report_signature"));
    assert_string_equal(r->claims.tcb_status, "unknown");
    b.data[42] ^= 0x01;
    b.data[384] ^= 0x01;
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time(s->at), NULL), VT_OK);
    assert_true(has_error(r, "report_signature"));
    assert_true(has_error(r, "vcek_tcb"));
    vt_collateral_free(c);
    vt_buf_free(&b);
    free(r);
}

/* Certificates: none, the wrong VCEK, outside validity, the negative VCEKs, a VLEK for a VCEK report. */
static void test_tee_sevsnp_vectors__wrong_certs(void **state)
{
    vt_buf b = { 0 };
    vt_result *r = calloc(1, sizeof(*r));
    vt_collateral *c;
    const sample *s = &samples[1];

    (void)state;
    assert_non_null(r);
    load_report(&b, s);
    /* No collateral: rejected, not "missing collateral". */
    assert_int_equal(run(r, b.data, b.len, NULL, vt_test_time(s->at), NULL), VT_OK);
    assert_true(has_error(r, "vcek_chain"));
    assert_true(has_error(r, "report_signature"));
    assert_false(r->signature_valid);
    assert_false(r->collateral_verified);
    /* Another chip's VCEK (trustee's): chain fine, signature and chip_id fail. */
    c = coll_with("sevsnp/trustee-milan-v2/vcek.der", NULL);
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time(s->at), NULL), VT_OK);
    assert_true(r->chain_valid);
    assert_true(has_error(r, "report_signature"));
    assert_true(has_error(r, "chip_id"));
    vt_collateral_free(c);
    /* Genoa VCEK for a Milan report. */
    c = coll_with("sevsnp/lunal-genoa-v5/vcek.der", NULL);
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time("2026-06-01T00:00:00Z"), NULL), VT_OK);
    assert_true(r->chain_valid);
    assert_true(has_error(r, "report_signature"));
    assert_true(has_error(r, "vcek_tcb"));
    assert_true(has_error(r, "chip_id"));
    vt_collateral_free(c);
    /* The negative vectors: their signatures do not verify under the Milan ASK. */
    c = coll_with("sevsnp/negative/trustee-test-vcek-invalid-legacy.der", "sevsnp/negative/trustee-test-vcek-invalid-new.der",
                  NULL);
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time("2024-01-01T00:00:00Z"), NULL), VT_OK);
    assert_false(r->chain_valid);
    assert_true(has_error(r, "vcek_chain"));
    vt_collateral_free(c);
    /* Outside the VCEK validity. */
    c = sample_coll(s);
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time("2023-01-01T00:00:00Z"), NULL), VT_OK);
    assert_false(r->chain_valid);
    assert_true(has_error(r, "vcek_chain"));
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time("2031-01-01T00:00:00Z"), NULL), VT_OK);
    assert_false(r->chain_valid);
    vt_collateral_free(c);
    /* A VLEK offered for a VCEK-signed report is not even considered. */
    c = coll_with("sevsnp/trustee-milan-vlek-aws-v3/vlek.der", NULL);
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time("2025-06-01T00:00:00Z"), NULL), VT_OK);
    assert_true(has_error(r, "vcek_chain"));
    assert_false(r->signature_valid);
    vt_collateral_free(c);
    /* PEM and extra blobs in the collateral are fine. */
    c = coll_with("sevsnp/virtee-milan-v2/vcek.der", "sevsnp/virtee-milan-v2/report.bin", "roots/amd_milan_ask.pem",
                  "roots/amd_milan_ark.pem", NULL);
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time(s->at), NULL), VT_OK);
    dump(r);
    assert_int_equal(r->error_count, 0);
    vt_collateral_free(c);
    vt_buf_free(&b);
    free(r);
}

/* Through the registry: report_data binding, debug policy, auto-detection. */
static void test_tee_sevsnp_vectors__registry(void **state)
{
    vt_result *r = calloc(1, sizeof(*r));
    vt_verify_opts o;
    vt_err err = { 0 };
    uint8_t rd[64];

    (void)state;
    assert_non_null(r);
    for (size_t i = 0; i < NSAMPLES; i++) {
        const sample *s = &samples[i];
        vt_buf b = { 0 };
        vt_collateral *c = sample_coll(s);

        load_report(&b, s);
        memset(&o, 0, sizeof(o));
        o.now = vt_test_time(s->at);
        o.collateral = c;
        assert_int_equal(vt_hex_decode(rd, 64, s->report_data, 128, &err), VT_OK);
        o.expected_report_data = rd;
        o.expected_report_data_len = 64;
        assert_int_equal(vt_evidence_verify(r, b.data, b.len, &o, &err), VT_OK);
        assert_int_equal(r->claims.platform, VT_TEE_SEVSNP);
        assert_int_equal(r->valid, !s->debug);
        assert_int_equal(has_error(r, "debug"), s->debug);
        o.allow_debug = true;
        assert_int_equal(vt_evidence_verify(r, b.data, b.len, &o, &err), VT_OK);
        assert_true(r->valid);
        rd[63] ^= 0x80;
        assert_int_equal(vt_evidence_verify(r, b.data, b.len, &o, &err), VT_OK);
        assert_false(r->valid);
        assert_true(has_error(r, "report_data"));
        vt_collateral_free(c);
        vt_buf_free(&b);
    }
    free(r);
}

static const vt_finding *finding(const vt_result *r, const char *check)
{
    for (size_t i = 0; i < r->warning_count; i++)
        if (strcmp(r->warnings[i].check, check) == 0)
            return &r->warnings[i];
    return NULL;
}

/* vt_verify_opts.sevsnp_min_tcb: REPORTED_TCB (virtee-milan-v2: bl 3, tee 0, snp 8,
 * ucode 115) at the minimum is UpToDate and affirming; one SPL below is OutOfDate (a
 * warning naming the component, rejected when strict); a minimum for another product
 * line leaves it Unknown; evidence that fails verification never gets a status. */
static void test_tee_sevsnp_vectors__min_tcb(void **state)
{
    const sample *s = &samples[1];
    vt_result *r = calloc(1, sizeof(*r));
    vt_env_snp_tcb min[VT_ENV_SNP_PRODUCTS];
    vt_verify_opts o;
    vt_err err = { 0 };
    vt_buf b = { 0 };
    vt_collateral *c = sample_coll(s);
    const vt_finding *f;
    char why[128];

    (void)state;
    assert_non_null(r);
    assert_string_equal(s->dir, "virtee-milan-v2");
    load_report(&b, s);
    memset(&o, 0, sizeof(o));
    memset(min, 0, sizeof(min));
    o.now = vt_test_time(s->at);
    o.collateral = c;
    o.sevsnp_min_tcb = min;
    min[0] = (vt_env_snp_tcb){ .set = true, .bootloader = 3, .tee = 0, .snp = 8, .microcode = 115 };
    assert_int_equal(vt_evidence_verify(r, b.data, b.len, &o, &err), VT_OK);
    assert_string_equal(r->claims.tcb_status, "UpToDate");
    assert_int_equal(r->verdict, VT_VERDICT_AFFIRMING);
    assert_null(finding(r, "tcb_status"));
    assert_string_equal(vt_sevsnp_tcb_status(why, sizeof(why), &r->claims, min, "x"), "UpToDate");
    assert_string_equal(why, "");

    min[0].snp = 9;
    assert_int_equal(vt_evidence_verify(r, b.data, b.len, &o, &err), VT_OK);
    assert_string_equal(r->claims.tcb_status, "OutOfDate");
    assert_int_equal(r->verdict, VT_VERDICT_WARNING);
    assert_true(r->valid);
    f = finding(r, "tcb_status");
    assert_non_null(f);
    assert_non_null(strstr(f->msg, "REPORTED_TCB snp SPL 8 is below the Milan minimum 9"));
    o.strict = true;
    assert_int_equal(vt_evidence_verify(r, b.data, b.len, &o, &err), VT_OK);
    assert_false(r->valid);
    o.strict = false;

    min[0].set = false;
    min[1] = (vt_env_snp_tcb){ .set = true };
    assert_int_equal(vt_evidence_verify(r, b.data, b.len, &o, &err), VT_OK);
    assert_string_equal(r->claims.tcb_status, "Unknown");
    f = finding(r, "tcb_status");
    assert_non_null(f);
    assert_non_null(strstr(f->msg, "states no sevsnp_min_tcb for Milan"));

    /* A flipped signature byte: no certified TCB, so no status from the minimum. */
    min[0] = (vt_env_snp_tcb){ .set = true };
    b.data[0x2a0 + 5] ^= 1; /* signature R */
    assert_int_equal(vt_evidence_verify(r, b.data, b.len, &o, &err), VT_OK);
    assert_false(r->valid);
    assert_string_not_equal(r->claims.tcb_status, "UpToDate");
    assert_null(vt_sevsnp_tcb_status(why, sizeof(why), &r->claims, min, "x"));
    vt_collateral_free(c);
    vt_buf_free(&b);
    free(r);
}

/* Turin: the VCEK-only vector chains to the pinned ARK-Turin through the pinned
 * ASK; its 8-byte hwID and fmcSPL are read with the Turin layout (the Milan
 * report does not fit it, which is the point). */
static void test_tee_sevsnp_vectors__turin_chain(void **state)
{
    vt_buf b = { 0 };
    vt_result *r = calloc(1, sizeof(*r));
    vt_collateral *c = coll_with("sevsnp/virtee-turin-vcek-only/vcek.der", NULL);

    (void)state;
    assert_non_null(r);
    load_report(&b, &samples[1]);
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time("2025-06-01T00:00:00Z"), NULL), VT_OK);
    dump(r);
    assert_true(r->chain_valid);
    assert_false(r->signature_valid);
    assert_true(has_error(r, "report_signature"));
    assert_true(has_error(r, "vcek_tcb"));
    assert_true(has_error(r, "chip_id"));
    assert_string_equal(r->claims.tcb_status, "unknown");
    /* Before its validity: chain rejected. */
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time("2024-01-01T00:00:00Z"), NULL), VT_OK);
    assert_false(r->chain_valid);
    vt_collateral_free(c);
    vt_buf_free(&b);
    free(r);
}

/* The pinned roots load and are the ones MANIFEST documents. */
static void test_tee_sevsnp_vectors__pinned_roots(void **state)
{
    static const char *const files[3] = { "roots/amd_milan_ark.pem", "roots/amd_genoa_ark.pem",
                                          "roots/amd_turin_ark.pem" };
    vt_x509 *arks[VT_AMD_PRODUCTS], *inter[2 * VT_AMD_PRODUCTS];
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt__roots_amd_arks(arks, &err), VT_OK);
    assert_int_equal(vt__roots_amd_intermediates(inter, &err), VT_OK);
    for (size_t i = 0; i < 3; i++) {
        vt_buf b = { 0 };
        vt_x509 *x[1] = { NULL };
        size_t n = 0;
        uint8_t a[32], want[32];

        vt_test_load(&b, files[i]);
        assert_int_equal(vt_x509_list_from_pem(x, &n, 1, (const char *)b.data, b.len, &err), VT_OK);
        vt_x509_fingerprint(x[0], want);
        vt_x509_fingerprint(arks[i], a);
        assert_memory_equal(a, want, 32);
        vt_x509_free(x[0]);
        vt_buf_free(&b);
    }
}

static void test_tee_sevsnp_vectors__inspect(void **state)
{
    vt_buf b = { 0 };
    char *json = NULL;
    vt_err err = { 0 };

    (void)state;
    load_report(&b, &samples[4]);
    assert_int_equal(vt_evidence_inspect(&json, VT_TEE_NONE, b.data, b.len, &err), VT_OK);
    assert_non_null(strstr(json, samples[4].measurement));
    assert_non_null(strstr(json, "\"current_mit_vector\""));
    free(json);
    assert_int_equal(vt_evidence_inspect(&json, VT_TEE_SEVSNP, b.data, b.len - 1, &err), VT_E_FORMAT);
    assert_null(json);
    vt_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_sevsnp_vectors__each_sample),
        cmocka_unit_test(test_tee_sevsnp_vectors__cached_twice),
        cmocka_unit_test(test_tee_sevsnp_vectors__probe),
        cmocka_unit_test(test_tee_sevsnp_vectors__truncations),
        cmocka_unit_test(test_tee_sevsnp_vectors__bit_flips),
        cmocka_unit_test(test_tee_sevsnp_vectors__trustee_bytes),
        cmocka_unit_test(test_tee_sevsnp_vectors__wrong_certs),
        cmocka_unit_test(test_tee_sevsnp_vectors__registry),
        cmocka_unit_test(test_tee_sevsnp_vectors__min_tcb),
        cmocka_unit_test(test_tee_sevsnp_vectors__turin_chain),
        cmocka_unit_test(test_tee_sevsnp_vectors__pinned_roots),
        cmocka_unit_test(test_tee_sevsnp_vectors__inspect),
    };

    vt_test_require_vectors();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
