/* NVIDIA GPU/NVSwitch plugin against the real SPDM evidence and certificate
 * chains in $VERITEE_VECTORS/nvgpu: every sample at its MANIFEST time gives
 * the MANIFEST outcome; tampering, truncation, wrong and negative chains,
 * reference values and a wrong report_data are rejected for the right reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

#include "tee/cache.h"
#include "tee/nvgpu_spdm.h"
#include "tee/plugin.h"

#define AT "2025-06-01T00:00:00Z"

typedef struct sample {
    const char *dir;
    bool gpu;
    unsigned blocks;
    const char *nonce;
    const char *driver; /* NULL: none in the opaque data */
    const char *vbios;
    const char *fwid;   /* opaque FWID (GPUs) */
} sample;

#define PPCIE_NONCE "4760e30534a0621357d458b1a7936551b5dc4cd1e69718adf7ed9fb0252a537e"
#define PPCIE_FWID "956ecf09ee4191f115224d1cb09e76b897b77591c3ea7c2a22e1c50546aeba7961cd67edbb4a274e294fe1402036211d"
#define PPCIE_GPU(n) { "ppcie-h100-gpu" #n, true, 64, PPCIE_NONCE, "590.12", "96.00.A5.00.01", PPCIE_FWID }
#define PPCIE_SW(n) { "ppcie-nvswitch-ls10-" #n, false, 31, PPCIE_NONCE, NULL, "96.10.73.00.01", NULL }

static const sample samples[] = {
    { "nvtrust-h100-sample", true, 64, "931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb",
      "550.90.07", "96.00.9F.00.01",
      "f5c384aebb579217a2c66b17ed0f28e6a9b8d639041acd7b4721cec004f7275494ba94bb5cdfdb3055ee051762b1f75d" },
    PPCIE_GPU(0), PPCIE_GPU(1), PPCIE_GPU(2), PPCIE_GPU(3), PPCIE_GPU(4), PPCIE_GPU(5),
    PPCIE_SW(0), PPCIE_SW(1), PPCIE_SW(2),
};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static vt_collateral *coll_of(const char *rel, const char *ref_json)
{
    vt_collateral *c = NULL;
    vt_err err = { 0 };

    assert_int_equal(vt_collateral_new(&c, &err), VT_OK);
    if (rel != NULL) {
        vt_buf b = { 0 };

        vt_test_load(&b, rel);
        assert_int_equal(vt_collateral_add(c, "certchain.pem", b.data, b.len, &err), VT_OK);
        vt_buf_free(&b);
    }
    if (ref_json != NULL)
        assert_int_equal(vt_collateral_add(c, "ref.json", (const uint8_t *)ref_json, strlen(ref_json), &err), VT_OK);
    return c;
}

static vt_collateral *sample_coll(const sample *s, const char *ref_json)
{
    char rel[256];

    snprintf(rel, sizeof(rel), "nvgpu/%s/certchain.pem", s->dir);
    return coll_of(rel, ref_json);
}

static void load_report(vt_buf *b, const sample *s)
{
    char rel[256];

    snprintf(rel, sizeof(rel), "nvgpu/%s/report.bin", s->dir);
    vt_test_load(b, rel);
}

/* Runs the plugin directly with the pinned NVIDIA root. */
static vt_status run(vt_result *res, const uint8_t *p, size_t len, const vt_collateral *c, vt_time now,
                     vt_verify_cache *cache)
{
    vt_verify_opts o;
    vt__verify_req req;
    vt_x509 *roots[1];
    vt_err err = { 0 };

    assert_int_equal(vt__roots_nvidia_device(roots, &err), VT_OK);
    memset(&o, 0, sizeof(o));
    memset(&req, 0, sizeof(req));
    memset(res, 0, sizeof(*res));
    o.platform = VT_TEE_NVGPU;
    o.now = now;
    o.collateral = c;
    o.cache = cache;
    req.evidence = p;
    req.len = len;
    req.opts = &o;
    req.roots = roots;
    req.root_count = 1;
    req.prod_root_count = 1;
    return vt__tee_nvgpu.verify(&req, res, &err);
}

static bool has(const vt_finding *f, size_t n, const char *check, const char *text)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].check, check) == 0 && (text == NULL || strstr(f[i].msg, text) != NULL))
            return true;
    return false;
}
#define has_error(r, c, t) has((r)->errors, (r)->error_count, (c), (t))

static void dump(const vt_result *r)
{
    for (size_t i = 0; i < r->error_count; i++)
        fprintf(stderr, "  error %s: %s\n", r->errors[i].check, r->errors[i].msg);
    for (size_t i = 0; i < r->warning_count; i++)
        fprintf(stderr, "  warning %s: %s\n", r->warnings[i].check, r->warnings[i].msg);
}

static const char *signer(const vt_result *r, const char *role)
{
    for (size_t i = 0; i < r->claims.signer_count; i++)
        if (strcmp(r->claims.signers[i].role, role) == 0)
            return r->claims.signers[i].value;
    return NULL;
}

/* A text claim: printable, flagged as text, and written as a JSON string (not hex). */
static void claim_text(const vt_result *r, const char *name, const char *want)
{
    const vt_claim *c = vt_claims_get(&r->claims, name);
    char *json = NULL, line[128];

    if (want == NULL) {
        assert_null(c);
        return;
    }
    assert_non_null(c);
    assert_true(c->text);
    assert_int_equal(c->len, strlen(want));
    assert_memory_equal(c->value, want, c->len);
    assert_int_equal(vt_claims_to_json(&json, &r->claims, NULL), VT_OK);
    snprintf(line, sizeof(line), "\"%s\": \"%s\"", name, want);
    assert_non_null(strstr(json, line));
    free(json);
}

static void check_ok(const sample *s, vt_verify_cache *cache)
{
    vt_buf b = { 0 };
    vt_collateral *c = sample_coll(s, NULL);
    vt_result *r = calloc(1, sizeof(*r));
    char hex[129], want[129];

    assert_non_null(r);
    load_report(&b, s);
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time(AT), cache), VT_OK);
    fprintf(stderr, "%s: %zu errors, %zu warnings\n", s->dir, r->error_count, r->warning_count);
    dump(r);
    assert_int_equal(r->error_count, 0);
    assert_int_equal(r->warning_count, 2); /* RIMs and OCSP, each not checked (offline) */
    assert_string_equal(r->warnings[0].check, "rim");
    assert_string_equal(r->warnings[1].check, "ocsp");
    assert_true(r->signature_valid);
    assert_true(r->chain_valid);
    assert_false(r->collateral_verified);
    assert_true(r->claims.hardware_attested);
    assert_string_equal(r->claims.tcb_status, "unknown");
    assert_int_equal(r->claims.platform, VT_TEE_NVGPU);
    assert_int_equal(r->claims.version, 0x11);
    assert_false(r->claims.debug);
    vt_test_claim_hex(r, "nonce", s->nonce);
    snprintf(want, sizeof(want), "%s%064d", s->nonce, 0);
    vt_hex_encode(hex, r->claims.report_data, 64);
    assert_string_equal(hex, want);
    if (s->fwid != NULL)
        vt_test_claim_hex(r, "fwid", s->fwid);
    else
        assert_non_null(vt_claims_get(&r->claims, "fwid")); /* from the leaf certificate */
    claim_text(r, "driver_version", s->driver);
    claim_text(r, "vbios_version", s->vbios);
    /* Versions are claims, not signers (they used to appear twice). */
    assert_null(signer(r, "driver"));
    assert_null(signer(r, "vbios"));
    assert_non_null(strstr(signer(r, "nvgpu_cert"), s->gpu ? "GSP FMC LF" : "FSP FMC LF"));
    assert_non_null(vt_claims_get(&r->claims, "meas_record_sha384"));
    assert_non_null(vt_claims_get(&r->claims, "meas00"));
    if (!s->gpu) /* all 31 switch measurements fit */
        assert_non_null(vt_claims_get(&r->claims, "meas30"));
    assert_true(r->claims.field_count <= VT_CLAIMS_MAX);
    vt_collateral_free(c);
    vt_buf_free(&b);
    free(r);
}

static void test_tee_nvgpu_vectors__each_sample(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSAMPLES; i++)
        check_ok(&samples[i], NULL);
}

static void test_tee_nvgpu_vectors__cached_twice(void **state)
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

/* Probe and parse: every report is recognized and parses to the MANIFEST layout;
 * other platforms' evidence is not taken for NVIDIA's. */
static void test_tee_nvgpu_vectors__probe_parse(void **state)
{
    static const char *const others[] = { "tdx/gotdx-v5-tdx15/quote.bin", "sevsnp/virtee-milan-v2/report.bin",
                                          "nitro/sparsity-attestation-2.cbor" };
    vt__nvgpu_evidence *e = calloc(1, sizeof(*e));
    vt_buf b = { 0 };
    vt_err err = { 0 };

    (void)state;
    assert_non_null(e);
    for (size_t i = 0; i < NSAMPLES; i++) {
        load_report(&b, &samples[i]);
        assert_int_equal(vt_evidence_probe(b.data, b.len), VT_TEE_NVGPU);
        assert_int_equal(vt__nvgpu_parse(e, b.data, b.len, &err), VT_OK);
        assert_int_equal(e->block_count, samples[i].blocks);
        assert_int_equal(e->req_param1, 0x01);
        assert_int_equal(e->req_param2, 0xFF);
        assert_int_equal(e->signed_len, b.len - NVGPU_SIG_LEN);
        assert_int_equal(e->fwid_present, samples[i].fwid != NULL);
        assert_int_equal(e->opaque_len, samples[i].gpu ? (b.len == 4117 ? 422 : 579) : 292);
        vt_buf_free(&b);
    }
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        vt_test_load(&b, others[i]);
        assert_int_not_equal(vt_evidence_probe(b.data, b.len), VT_TEE_NVGPU);
        assert_int_not_equal(vt_evidence_probe(b.data, b.len), VT_TEE_NONE);
        vt_buf_free(&b);
    }
    free(e);
}

/* Every truncation (and one trailing byte) is VT_E_FORMAT, with a format finding. */
static void test_tee_nvgpu_vectors__truncations(void **state)
{
    vt_result *r = calloc(1, sizeof(*r));

    (void)state;
    assert_non_null(r);
    for (size_t k = 0; k < NSAMPLES; k += 7) { /* one GPU, one switch */
        const sample *s = &samples[k];
        vt_buf b = { 0 };
        vt_collateral *c = sample_coll(s, NULL);
        uint8_t *big;

        load_report(&b, s);
        for (size_t n = 0; n < b.len; n++) {
            uint8_t *cut = malloc(n + 1); /* exact-size copy so ASan sees any over-read */

            assert_non_null(cut);
            memcpy(cut, b.data, n);
            assert_int_equal(run(r, cut, n, c, vt_test_time(AT), NULL), VT_E_FORMAT);
            assert_true(has_error(r, "format", NULL));
            assert_false(r->signature_valid);
            free(cut);
        }
        big = calloc(1, b.len + 1);
        assert_non_null(big);
        memcpy(big, b.data, b.len);
        assert_int_equal(run(r, big, b.len + 1, c, vt_test_time(AT), NULL), VT_E_FORMAT);
        free(big);
        vt_collateral_free(c);
        vt_buf_free(&b);
    }
    free(r);
}

/* One bit flipped in every byte (signed bytes and signature): never accepted. */
static void test_tee_nvgpu_vectors__bit_flips(void **state)
{
    const sample *s = &samples[7]; /* NVSwitch: the shortest evidence */
    vt_buf b = { 0 };
    vt_collateral *c = sample_coll(s, NULL);
    vt_result *r = calloc(1, sizeof(*r));
    vt_verify_cache *cache = NULL;
    vt_err err = { 0 };
    size_t sig_off;

    (void)state;
    assert_non_null(r);
    assert_int_equal(vt_verify_cache_new(&cache, &err), VT_OK);
    load_report(&b, s);
    sig_off = b.len - NVGPU_SIG_LEN;
    for (size_t i = 0; i < b.len; i++) {
        vt_status rc;

        b.data[i] ^= (uint8_t)(1u << (i % 8));
        rc = run(r, b.data, b.len, c, vt_test_time(AT), cache);
        if (rc == VT_OK) {
            assert_false(r->signature_valid);
            assert_true(has_error(r, "signature", "does not verify"));
        } else {
            assert_true(i < sig_off); /* a length or code changed: unreadable, never valid */
            assert_false(r->signature_valid);
        }
        b.data[i] ^= (uint8_t)(1u << (i % 8));
    }
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time(AT), cache), VT_OK);
    assert_true(r->signature_valid);
    vt_verify_cache_free(cache);
    vt_collateral_free(c);
    vt_buf_free(&b);
    free(r);
}

/* The trustee negative chains with the H100 sample report, for the MANIFEST reasons. */
static void test_tee_nvgpu_vectors__negative_chains(void **state)
{
    vt_buf b = { 0 };
    vt_result *r = calloc(1, sizeof(*r));
    vt_collateral *c;

    (void)state;
    assert_non_null(r);
    load_report(&b, &samples[0]);
    /* case 2: only the root CA. */
    c = coll_of("nvgpu/negative/trustee-hopper-certchain-case2.pem", NULL);
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time(AT), NULL), VT_OK);
    dump(r);
    assert_true(has_error(r, "cert_chain", "signing certificate and the root"));
    assert_false(r->signature_valid);
    assert_false(r->chain_valid);
    vt_collateral_free(c);
    /* case 3: an intermediate missing. */
    c = coll_of("nvgpu/negative/trustee-hopper-certchain-case3.pem", NULL);
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time(AT), NULL), VT_OK);
    dump(r);
    assert_true(has_error(r, "cert_chain", "does not verify"));
    assert_false(r->chain_valid);
    vt_collateral_free(c);
    /* case 4: the signing (leaf) certificate missing: a valid chain, but no FWID and the wrong key. */
    c = coll_of("nvgpu/negative/trustee-hopper-certchain-case4.pem", NULL);
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time(AT), NULL), VT_OK);
    dump(r);
    assert_true(has_error(r, "fwid", "not found in the signing certificate"));
    assert_true(has_error(r, "signature", "does not verify"));
    assert_false(r->signature_valid);
    vt_collateral_free(c);
    /* No chain at all. */
    c = coll_of(NULL, NULL);
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time(AT), NULL), VT_OK);
    assert_true(has_error(r, "cert_chain", "no certificate chain"));
    assert_false(r->claims.hardware_attested);
    vt_collateral_free(c);
    vt_buf_free(&b);
    free(r);
}

/* Another device's chain, a switch chain for a GPU, a time before the chain, a forged FWID. */
static void test_tee_nvgpu_vectors__wrong_chain(void **state)
{
    vt_buf b = { 0 };
    vt_result *r = calloc(1, sizeof(*r));
    vt_collateral *c;
    vt__nvgpu_evidence *e = calloc(1, sizeof(*e));
    const vt__nvgpu_tlv *t;
    vt_err err = { 0 };

    (void)state;
    assert_non_null(r);
    assert_non_null(e);
    load_report(&b, &samples[1]); /* gpu0 */
    c = sample_coll(&samples[2], NULL); /* gpu1's chain */
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time(AT), NULL), VT_OK);
    assert_true(r->chain_valid);
    assert_true(has_error(r, "signature", "does not verify"));
    vt_collateral_free(c);
    c = sample_coll(&samples[7], NULL); /* a switch chain: FWID differs too */
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time(AT), NULL), VT_OK);
    assert_true(has_error(r, "signature", "does not verify"));
    assert_true(has_error(r, "fwid", "does not match"));
    vt_collateral_free(c);
    c = sample_coll(&samples[1], NULL);
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time("2021-01-01T00:00:00Z"), NULL), VT_OK);
    assert_true(has_error(r, "cert_chain", NULL));
    assert_false(r->chain_valid);
    /* The opaque FWID changed: no longer the certified firmware (and no longer signed). */
    assert_int_equal(vt__nvgpu_parse(e, b.data, b.len, &err), VT_OK);
    t = vt__nvgpu_tlv_find(e, NVGPU_TLV_FWID);
    assert_non_null(t);
    b.data[NVGPU_REQ_LEN + 8 + e->record_len + NVGPU_NONCE_LEN + 2 + t->off] ^= 1;
    assert_int_equal(run(r, b.data, b.len, c, vt_test_time(AT), NULL), VT_OK);
    assert_true(has_error(r, "fwid", "does not match"));
    assert_true(has_error(r, "signature", NULL));
    vt_collateral_free(c);
    vt_buf_free(&b);
    free(e);
    free(r);
}

/* A reference-values file built from the evidence itself: matched, but Unknown without OCSP (it
 * used to say UpToDate with revocation unchecked); one value changed: rejected. */
static void build_ref(vt_buf *out, const vt__nvgpu_evidence *e, int corrupt_index, bool extra)
{
    vt_err err = { 0 };
    char hex[2 * NVGPU_MEAS_VALUE_MAX + 1], item[200];

    assert_int_equal(vt_buf_append_str(out, "{\"format\":\"veritee-nvgpu-ref-v1\",\"measurements\":{", &err), VT_OK);
    for (unsigned i = 0; i < e->block_count; i++) {
        vt_hex_encode(hex, e->meas[i].value, e->meas[i].len);
        if ((int)i == corrupt_index)
            hex[0] = hex[0] == '0' ? '1' : '0';
        snprintf(item, sizeof(item), "%s\"%u\":\"%s\"", i ? "," : "", e->meas[i].index - 1u, hex);
        assert_int_equal(vt_buf_append_str(out, item, &err), VT_OK);
    }
    if (extra)
        assert_int_equal(vt_buf_append_str(out, ",\"200\":\"00\"", &err), VT_OK);
    assert_int_equal(vt_buf_append_str(out, "}}", &err), VT_OK);
    assert_int_equal(vt_buf_terminate(out, &err), VT_OK);
}

static void test_tee_nvgpu_vectors__reference_values(void **state)
{
    vt_buf b = { 0 };
    vt_result *r = calloc(1, sizeof(*r));
    vt__nvgpu_evidence *e = calloc(1, sizeof(*e));
    vt_err err = { 0 };

    (void)state;
    assert_non_null(r);
    assert_non_null(e);
    for (size_t k = 0; k < NSAMPLES; k += 7) {
        vt_buf ref = { 0 };
        vt_collateral *c;

        load_report(&b, &samples[k]);
        assert_int_equal(vt__nvgpu_parse(e, b.data, b.len, &err), VT_OK);
        build_ref(&ref, e, -1, false);
        c = sample_coll(&samples[k], (const char *)ref.data);
        assert_int_equal(run(r, b.data, b.len, c, vt_test_time(AT), NULL), VT_OK);
        dump(r);
        assert_int_equal(r->error_count, 0);
        assert_true(r->collateral_verified);
        assert_string_equal(r->claims.tcb_status, "Unknown");
        assert_int_equal(r->warning_count, 1);
        assert_string_equal(r->warnings[0].check, "ocsp");
        vt_collateral_free(c);
        vt_buf_free(&ref);
        build_ref(&ref, e, 3, false);
        c = sample_coll(&samples[k], (const char *)ref.data);
        assert_int_equal(run(r, b.data, b.len, c, vt_test_time(AT), NULL), VT_OK);
        assert_true(has_error(r, "measurements", "measurement 3 does not match"));
        assert_false(r->collateral_verified);
        assert_string_equal(r->claims.tcb_status, "unknown");
        vt_collateral_free(c);
        vt_buf_free(&ref);
        build_ref(&ref, e, -1, true);
        c = sample_coll(&samples[k], (const char *)ref.data);
        assert_int_equal(run(r, b.data, b.len, c, vt_test_time(AT), NULL), VT_OK);
        assert_true(has_error(r, "measurements", "measurement 200 is in the reference"));
        vt_collateral_free(c);
        vt_buf_free(&ref);
        c = sample_coll(&samples[k], "{\"format\":\"veritee-nvgpu-ref-v1\",\"measurements\":[]}");
        assert_int_equal(run(r, b.data, b.len, c, vt_test_time(AT), NULL), VT_OK);
        assert_true(has_error(r, "reference", NULL));
        vt_collateral_free(c);
        vt_buf_free(&b);
    }
    free(e);
    free(r);
}

/* Through the public API: registry policy (collateral, report_data) and inspect. */
static void test_tee_nvgpu_vectors__registry_inspect(void **state)
{
    const sample *s = &samples[0];
    vt_buf b = { 0 };
    vt_result *r = calloc(1, sizeof(*r));
    vt_collateral *c = sample_coll(s, NULL);
    vt_verify_opts o;
    vt_err err = { 0 };
    uint8_t nonce[32];
    char *json = NULL;

    (void)state;
    assert_non_null(r);
    load_report(&b, s);
    memset(&o, 0, sizeof(o));
    o.now = vt_test_time(AT);
    o.collateral = c;
    assert_int_equal(vt_evidence_verify(r, b.data, b.len, &o, &err), VT_OK);
    assert_int_equal(r->verdict, VT_VERDICT_CONTRAINDICATED);
    assert_true(has_error(r, "collateral", NULL));
    o.allow_missing_collateral = true;
    assert_int_equal(vt_hex_decode(nonce, sizeof(nonce), s->nonce, 64, &err), VT_OK);
    o.expected_report_data = nonce;
    o.expected_report_data_len = sizeof(nonce);
    assert_int_equal(vt_evidence_verify(r, b.data, b.len, &o, &err), VT_OK);
    dump(r);
    assert_int_equal(r->verdict, VT_VERDICT_WARNING);
    assert_true(r->valid);
    o.strict = true;
    assert_int_equal(vt_evidence_verify(r, b.data, b.len, &o, &err), VT_OK);
    assert_false(r->valid);
    o.strict = false;
    nonce[0] ^= 1;
    assert_int_equal(vt_evidence_verify(r, b.data, b.len, &o, &err), VT_OK);
    assert_true(has_error(r, "report_data", NULL));
    assert_false(r->valid);
    assert_int_equal(vt_evidence_inspect(&json, VT_TEE_NONE, b.data, b.len, &err), VT_OK);
    assert_non_null(strstr(json, "\"platform\": \"nvgpu\""));
    assert_non_null(strstr(json, "\"driver_version\": \"550.90.07\""));
    assert_non_null(strstr(json, "\"vbios_version\": \"96.00.9F.00.01\""));
    assert_non_null(strstr(json, s->nonce));
    free(json);
    assert_int_equal(vt_evidence_inspect(&json, VT_TEE_NVGPU, b.data, b.len - 1, &err), VT_E_FORMAT);
    assert_null(json);
    vt_collateral_free(c);
    vt_buf_free(&b);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_nvgpu_vectors__each_sample),
        cmocka_unit_test(test_tee_nvgpu_vectors__cached_twice),
        cmocka_unit_test(test_tee_nvgpu_vectors__probe_parse),
        cmocka_unit_test(test_tee_nvgpu_vectors__truncations),
        cmocka_unit_test(test_tee_nvgpu_vectors__bit_flips),
        cmocka_unit_test(test_tee_nvgpu_vectors__negative_chains),
        cmocka_unit_test(test_tee_nvgpu_vectors__wrong_chain),
        cmocka_unit_test(test_tee_nvgpu_vectors__reference_values),
        cmocka_unit_test(test_tee_nvgpu_vectors__registry_inspect),
    };

    vt_test_require_vectors();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
