/* The real Azure CVM envelopes in $VERITEE_VECTORS/tpm/azure-<name>/evidence.orig.json
 * (v0 byte arrays, v1 and v2 hex/base64url; SEV-SNP Milan and Genoa, TDX),
 * verified through the registry with auto-detection at their MANIFEST times:
 * each verifies down to the AMD or Intel root with the nonce it quotes, and
 * its parts are byte for byte the sibling files MANIFEST decoded.  Then each
 * is refused for the right reason with: a tampered quote, signature, PCR
 * value or HCL report, a wrong nonce, another VCEK, v1 relabelled v2 (whose
 * runtime user-data then does not carry the nonce), a TDX envelope without
 * its TD quote.  And each passes the default environment's rules for the CPU
 * TEE beneath its HCL report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vt_test.h"

#include "tee/azure_envelope.h"
#include "tee/tpm_evidence.h"

typedef struct sample {
    const char *dir;
    int version; /* 0: byte arrays */
    const char *at;
    const char *nonce; /* the quote's extraData, hex */
    bool tdx;
    const char *pcr0;
} sample;

#define CHALLENGE "6368616c6c656e6765"
static const sample samples[] = {
    { "azure-snp-milan-v0", 0, "2025-02-27T16:26:55Z", CHALLENGE, false,
      "e15c44796beabf46abcec7c57e590942041e47497e4ec27571c8b7664f48dced" },
    { "azure-snp-milan-v1", 1, "2025-02-27T16:26:55Z", CHALLENGE, false,
      "e15c44796beabf46abcec7c57e590942041e47497e4ec27571c8b7664f48dced" },
    { "azure-snp-milan-v2-userdata", 2, "2025-02-27T16:33:43Z",
      "982f5c6e45df0ed3f10b6f60b02f0c8390e281300f3805e2279c16168cd6ae9aa398f647caa2338748cd0fd9f5f819ef", false,
      "84275b2f4312cd4fc6cbe6b152ad3c3683e513d9f1e23c34fca160c8cca7a6a7" },
    { "azure-snp-genoa", 0, "2025-02-23T02:21:48Z",
      "0218488bae25d2509232bf676f1a66a30d7372add909109b36016ef136f2938ca05475f8b46094de6b64270ea35d950f", false,
      "afd689d0bb1c5f36f023fbaf574135f555a28a10c1f6b938d2a25e70c7783338" },
    { "azure-tdx", 1, "2026-06-01T00:00:00Z", CHALLENGE, true,
      "782b20b10f55cc46e2142cc2145d548698073e5beb82752c8d7f9279f0d8a273" },
};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))
#define MILAN_V1 (&samples[1])
#define GENOA (&samples[3])

static int setup(void **state)
{
    (void)state;
    vt_test_require_vectors();
    return 0;
}

static json_t *load_json(const sample *s)
{
    char rel[256];
    vt_buf b;
    json_t *o;

    snprintf(rel, sizeof(rel), "tpm/%s/evidence.orig.json", s->dir);
    vt_buf_init(&b);
    vt_test_load(&b, rel);
    o = json_loadb((const char *)b.data, b.len, 0, NULL);
    assert_non_null(o);
    vt_buf_free(&b);
    return o;
}

static vt_result *verify_text(const sample *s, const char *text, size_t len, const char *nonce_hex, vt_status *rc_out)
{
    vt_result *r = calloc(1, sizeof(*r));
    uint8_t nonce[64];
    vt_verify_opts o;
    vt_err err = { 0 };
    vt_status rc;

    assert_non_null(r);
    memset(&o, 0, sizeof(o));
    o.now = vt_test_time(s->at);
    o.allow_missing_collateral = s->tdx; /* MANIFEST: no TCB Info exists for its FMSPC */
    if (nonce_hex != NULL) {
        assert_int_equal(vt_hex_decode(nonce, strlen(nonce_hex) / 2, nonce_hex, strlen(nonce_hex), NULL), VT_OK);
        o.expected_report_data = nonce;
        o.expected_report_data_len = strlen(nonce_hex) / 2;
    }
    rc = vt_evidence_verify(r, (const uint8_t *)text, len, &o, &err);
    if (rc_out != NULL)
        *rc_out = rc;
    else
        assert_int_equal(rc, VT_OK);
    return r;
}

/* A mutated envelope: verified, or refused as unreadable (then the check is "format"). */
static vt_result *verify_json(const sample *s, json_t *o, const char *nonce_hex)
{
    char *t = json_dumps(o, JSON_COMPACT);
    vt_result *r;
    vt_status rc;

    assert_non_null(t);
    r = verify_text(s, t, strlen(t), nonce_hex, &rc);
    if (rc != VT_OK) {
        assert_int_equal(rc, VT_E_FORMAT);
        assert_false(r->valid);
        assert_true(vt_test_has_error(r, "format"));
    }
    free(t);
    return r;
}

static void dump(const vt_result *r)
{
    for (size_t i = 0; i < r->error_count; i++)
        fprintf(stderr, "  error %s: %s\n", r->errors[i].check, r->errors[i].msg);
}

static void rejected_for(vt_result *r, const char *check)
{
    if (r->valid || !vt_test_has_error(r, check)) {
        dump(r);
        fail_msg("expected a rejection naming %s", check);
    }
    free(r);
}

/* ---- the envelope's fields in its own encoding ---- */

static json_t *quote_obj(const sample *s, json_t *o)
{
    return json_object_get(o, s->version == 0 ? "quote" : "tpm_quote");
}

static void get_bytes(vt_buf *out, const sample *s, json_t *v, bool b64)
{
    vt_buf_init(out);
    if (s->version == 0) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            uint8_t b = (uint8_t)json_integer_value(json_array_get(v, i));
            assert_int_equal(vt_buf_append(out, &b, 1, NULL), VT_OK);
        }
    } else if (b64) {
        assert_int_equal(vt_base64_decode(out, json_string_value(v), json_string_length(v), NULL), VT_OK);
    } else {
        assert_int_equal(vt_hex_decode_buf(out, json_string_value(v), json_string_length(v), 1 << 20, NULL), VT_OK);
    }
}

static json_t *make_bytes(const sample *s, const vt_buf *b, bool b64)
{
    json_t *a;
    vt_buf t;

    if (s->version == 0) {
        a = json_array();
        for (size_t i = 0; i < b->len; i++)
            json_array_append_new(a, json_integer(b->data[i]));
        return a;
    }
    vt_buf_init(&t);
    if (b64) {
        assert_int_equal(vt_base64_encode(&t, b->data, b->len, true, NULL), VT_OK);
        a = json_stringn((const char *)t.data, t.len);
    } else {
        char *h = malloc(2 * b->len + 1);
        assert_non_null(h);
        vt_hex_encode(h, b->data, b->len);
        a = json_string(h);
        free(h);
    }
    vt_buf_free(&t);
    return a;
}

/* Flips bit 0 of byte off of member key of obj (hex, or base64url when b64). */
static void flip(const sample *s, json_t *obj, const char *key, size_t off, bool b64)
{
    vt_buf b;

    get_bytes(&b, s, json_object_get(obj, key), b64);
    assert_true(off < b.len);
    b.data[off] ^= 1;
    json_object_set_new(obj, key, make_bytes(s, &b, b64));
    vt_buf_free(&b);
}

static const char *hcl_key(const sample *s)
{
    return s->version == 0 ? "report" : "hcl_report";
}

/* ---- tests ---- */

static void test_tee_azure_vectors__each_envelope_verifies(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSAMPLES; i++) {
        const sample *s = &samples[i];
        json_t *o = load_json(s);
        char rel[256];
        vt_buf b;
        vt_result *r;

        snprintf(rel, sizeof(rel), "tpm/%s/evidence.orig.json", s->dir);
        vt_buf_init(&b);
        vt_test_load(&b, rel);
        /* As it is on disk, auto-detected, with the nonce it quotes. */
        assert_int_equal(vt_evidence_probe(b.data, b.len), VT_TEE_TPM);
        r = verify_text(s, (const char *)b.data, b.len, s->nonce, NULL);
        fprintf(stderr, "%s: %zu errors %zu warnings\n", s->dir, r->error_count, r->warning_count);
        dump(r);
        assert_true(r->valid);
        assert_int_equal(r->error_count, 0);
        assert_true(r->signature_valid);
        assert_true(r->chain_valid);
        assert_true(r->claims.hardware_attested);
        assert_int_equal(r->claims.platform, VT_TEE_TPM);
        vt_test_claim_hex(r, "extra_data", s->nonce);
        vt_test_claim_hex(r, "pcr0", s->pcr0);
        assert_non_null(vt_claims_get(&r->claims, s->tdx ? "tdx_mrtd" : "snp_measurement"));
        free(r);
        vt_buf_free(&b);
        json_decref(o);
    }
}

/* What the genuine CVMs report beneath their HCL report (MANIFEST, read from the bytes): SEV-SNP
 * POLICY 0x3001f (SMT allowed, no debug, no migration agent) at VMPL 0, Azure's paravisor; the TD
 * TD_ATTRIBUTES 0 (SEPT_VE_DISABLE clear).  Each passes the CPU TEE's rules of the default
 * environment (only the TCB minimum is left out: the SEV-SNP samples' product minimums are the
 * deployment's to state, and no TCB Info exists for the TD's FMSPC). */
static void test_tee_azure_vectors__default_environment_passes(void **state)
{
    static const char json[] = "{\"id\":\"azure\",\"min_tcb_status\":\"any\"}";
    vt_env env;
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_env_parse(&env, json, strlen(json), NULL, &err), VT_OK);
    for (size_t i = 0; i < NSAMPLES; i++) {
        const sample *s = &samples[i];
        char rel[256];
        vt_buf b;
        vt_result *r;
        vt_appraisal a;
        const vt_appraisal_sub *t = &a.sub[VT_SUBMOD_TEE];

        snprintf(rel, sizeof(rel), "tpm/%s/evidence.orig.json", s->dir);
        vt_buf_init(&b);
        vt_test_load(&b, rel);
        r = verify_text(s, (const char *)b.data, b.len, s->nonce, NULL);
        assert_true(r->valid);
        vt_test_claim_hex(r, "cpu_platform", s->tdx ? "746478" : "736576736e70");
        if (s->tdx) {
            vt_test_claim_hex(r, "cpu.td_attributes", "0000000000000000");
        } else {
            vt_test_claim_hex(r, "cpu.policy", "1f00030000000000");
            vt_test_claim_hex(r, "cpu.vmpl", "00000000");
        }
        assert_false(r->claims.debug);
        assert_int_equal(vt_appraise(&a, r, NULL, &env, vt_test_time(s->at), vt_test_time(s->at), &err), VT_OK);
        if (t->status == VT_EAR_CONTRAINDICATED || t->tv[VT_AR4SI_CONFIGURATION] != 2)
            fail_msg("%s refused: %s", s->dir, t->reason);
        /* Hardware, memory encrypted against the host; the image only unpinned (executables 33). */
        assert_int_equal(t->tv[VT_AR4SI_HARDWARE], 2);
        assert_int_equal(t->tv[VT_AR4SI_RUNTIME_OPAQUE], 2);
        assert_int_equal(t->status, VT_EAR_WARNING);
        assert_non_null(strstr(t->reason, "no reference value for pcr0, pcr4, pcr8, pcr9 (any tpm image"));
        free(r);
        vt_buf_free(&b);
    }
}

static void blob_is_file(const vt__tpm_blob *b, const sample *s, const char *file)
{
    char rel[256];
    vt_buf f;

    snprintf(rel, sizeof(rel), "tpm/%s/%s", s->dir, file);
    vt_buf_init(&f);
    vt_test_load(&f, rel);
    assert_non_null(b->p);
    assert_int_equal(b->len, f.len);
    assert_memory_equal(b->p, f.data, f.len);
    vt_buf_free(&f);
}

/* The VCEK in the container and vcek.pem are the same certificate (PEM in v0, DER in v1/v2). */
static void same_vcek(const vt__tpm_blob *b, const sample *s)
{
    char rel[256];
    vt_buf f;
    vt_x509 *pem[4] = { NULL }, *got[4] = { NULL };
    size_t n = 0, m = 0;
    uint8_t a[32], c[32];

    snprintf(rel, sizeof(rel), "tpm/%s/vcek.pem", s->dir);
    vt_buf_init(&f);
    vt_test_load(&f, rel);
    assert_int_equal(vt_x509_list_from_pem(pem, &n, 4, (const char *)f.data, f.len, NULL), VT_OK);
    if (s->version == 0)
        assert_int_equal(vt_x509_list_from_pem(got, &m, 4, (const char *)b->p, b->len, NULL), VT_OK);
    else {
        assert_int_equal(vt_x509_from_der(&got[0], b->p, b->len, NULL), VT_OK);
        m = 1;
    }
    assert_true(n >= 1 && m >= 1);
    vt_x509_fingerprint(pem[0], a);
    vt_x509_fingerprint(got[0], c);
    assert_memory_equal(a, c, 32);
    for (size_t i = 0; i < 4; i++) {
        vt_x509_free(pem[i]);
        vt_x509_free(got[i]);
    }
    vt_buf_free(&f);
}

static void test_tee_azure_vectors__parts_are_the_decoded_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSAMPLES; i++) {
        const sample *s = &samples[i];
        char rel[256];
        vt_buf b, c;
        vt__tpm_evidence ev;

        snprintf(rel, sizeof(rel), "tpm/%s/evidence.orig.json", s->dir);
        vt_buf_init(&b);
        vt_buf_init(&c);
        vt_test_load(&b, rel);
        assert_int_equal(vt__azure_envelope_to_container(&c, b.data, b.len, NULL), VT_OK);
        assert_int_equal(vt__tpm_evidence_parse(&ev, c.data, c.len, NULL), VT_OK);
        blob_is_file(&ev.attest[0], s, "tpm_quote.attest");
        blob_is_file(&ev.sig[0], s, "tpm_quote.sig");
        blob_is_file(&ev.pcrs[0], s, "pcrs_sha256.bin");
        blob_is_file(&ev.hcl_report, s, "hcl_report.bin");
        if (s->tdx)
            blob_is_file(&ev.td_quote, s, "td_quote.bin");
        else
            same_vcek(&ev.hw_certs, s);
        assert_int_equal(ev.hcl_binds_nonce, s->version == 2);
        vt_buf_free(&b);
        vt_buf_free(&c);
    }
}

static void test_tee_azure_vectors__tampered_quote(void **state)
{
    static const size_t offs[] = { 10, 40, 60, 100, 121 }; /* signer, extraData/clock, firmware, selection, digest */

    (void)state;
    for (size_t i = 0; i < NSAMPLES; i++)
        for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
            const sample *s = &samples[i];
            json_t *o = load_json(s);

            vt_result *r;

            flip(s, quote_obj(s, o), "message", offs[k], false);
            r = verify_json(s, o, NULL);
            /* A flip in a length or the selection can make TPMS_ATTEST unreadable. */
            rejected_for(r, vt_test_has_error(r, "format") ? "format" : "quote_signature");
            json_decref(o);
        }
}

static void test_tee_azure_vectors__tampered_signature_and_pcrs(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSAMPLES; i++) {
        const sample *s = &samples[i];
        json_t *o = load_json(s);

        flip(s, quote_obj(s, o), "signature", 0, false);
        rejected_for(verify_json(s, o, NULL), "quote_signature");
        json_decref(o);
        o = load_json(s);
        {
            json_t *pa = json_object_get(quote_obj(s, o), "pcrs");
            json_t *holder = json_object();
            json_object_set(holder, "v", json_array_get(pa, 7));
            flip(s, holder, "v", 31, false);
            json_array_set(pa, 7, json_object_get(holder, "v"));
            json_decref(holder);
        }
        rejected_for(verify_json(s, o, NULL), "pcr_digest");
        json_decref(o);
    }
}

static void test_tee_azure_vectors__tampered_hcl_report(void **state)
{
    /* SNP: the report (its fields, REPORT_DATA, signature); TDX: the TDREPORT's
     * hashes, REPORTDATA, TEE_TCB_INFO, TDINFO (MRTD, RTMR3, SERVTD_HASH);
     * both: the runtime header, the runtime JSON (the AK's modulus, user-data). */
    static const size_t snp[] = { 0x30, 0x70, 0x90, 0x2a0, 0x4c8, 0x4d8, 0x600, 0x900 };
    static const size_t tdx[] = { 0x20 + 0x20, 0x20 + 0x50, 0x20 + 0x80, 0x20 + 0x108, 0x20 + 0x118, 0x20 + 0x210,
                                  0x20 + 0x2d0, 0x20 + 0x3a0, 0x4c8, 0x4d8, 0x600, 0x900 };

    (void)state;
    for (size_t i = 0; i < NSAMPLES; i++)
        for (size_t k = 0; k < (samples[i].tdx ? sizeof(tdx) / sizeof(tdx[0]) : sizeof(snp) / sizeof(snp[0])); k++) {
            const sample *s = &samples[i];
            const size_t *offs = s->tdx ? tdx : snp;
            json_t *o = load_json(s);
            vt_result *r;

            flip(s, o, hcl_key(s), offs[k], true);
            r = verify_json(s, o, NULL);
            /* Each flip breaks the hardware report's signature or REPORT_DATA, the runtime data's parse,
             * or the AK, so that the quote no longer verifies. */
            if (r->valid || r->claims.hardware_attested || r->error_count == 0) {
                dump(r);
                fail_msg("%s: HCL report flipped at 0x%zx accepted", s->dir, offs[k]);
            }
            assert_true(vt_test_has_error(r, "hcl_report") || vt_test_has_error(r, "quote_signature") || vt_test_has_error(r, "format"));
            free(r);
            json_decref(o);
        }
}

static void test_tee_azure_vectors__wrong_nonce(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSAMPLES; i++) {
        const sample *s = &samples[i];
        json_t *o = load_json(s);
        char other[129], longer[131];

        snprintf(other, sizeof(other), "%s", s->nonce);
        other[strlen(other) - 1] = other[strlen(other) - 1] == '0' ? '1' : '0';
        snprintf(longer, sizeof(longer), "%s00", s->nonce);
        rejected_for(verify_json(s, o, other), "report_data");
        rejected_for(verify_json(s, o, longer), "report_data");
        json_decref(o);
    }
}

static void test_tee_azure_vectors__another_vcek(void **state)
{
    json_t *o = load_json(MILAN_V1), *g = load_json(GENOA);
    const char *pem = json_string_value(json_object_get(g, "vcek"));
    const char *body = strchr(pem, '\n') + 1, *end = strstr(pem, "-----END");
    vt_buf b64, der;

    (void)state;
    /* Genoa's VCEK (a real AMD certificate, for another chip), as v1 carries it: DER in base64url. */
    vt_buf_init(&b64);
    vt_buf_init(&der);
    for (const char *c = body; c < end; c++)
        if (*c != '\n')
            assert_int_equal(vt_buf_append(&b64, c, 1, NULL), VT_OK);
    assert_int_equal(vt_base64_decode(&der, (const char *)b64.data, b64.len, NULL), VT_OK);
    json_object_set_new(o, "vcek", make_bytes(MILAN_V1, &der, true));
    rejected_for(verify_json(MILAN_V1, o, NULL), "hcl_report");
    vt_buf_free(&b64);
    vt_buf_free(&der);
    json_decref(o);
    json_decref(g);
}

/* v2 promises the runtime user-data carries the nonce; v1's user-data is zero. */
static void test_tee_azure_vectors__v1_relabelled_v2(void **state)
{
    json_t *o = load_json(MILAN_V1);

    (void)state;
    json_object_set_new(o, "version", json_integer(2));
    rejected_for(verify_json(MILAN_V1, o, NULL), "hcl_user_data");
    json_decref(o);
    /* The genuine v2 envelope's user-data is its nonce (each_envelope_verifies); as v1 it still verifies. */
    o = load_json(&samples[2]);
    json_object_set_new(o, "version", json_integer(1));
    {
        vt_result *r = verify_json(&samples[2], o, samples[2].nonce);
        assert_true(r->valid);
        free(r);
    }
    json_decref(o);
}

static void test_tee_azure_vectors__tdx_without_td_quote(void **state)
{
    const sample *s = &samples[4];
    json_t *o = load_json(s);

    (void)state;
    json_object_del(o, "td_quote");
    rejected_for(verify_json(s, o, NULL), "hcl_report");
    json_decref(o);
}

static void test_tee_azure_vectors__inspect(void **state)
{
    char rel[256], *js = NULL;
    vt_buf b;

    (void)state;
    snprintf(rel, sizeof(rel), "tpm/%s/evidence.orig.json", samples[2].dir);
    vt_buf_init(&b);
    vt_test_load(&b, rel);
    assert_int_equal(vt_evidence_inspect(&js, VT_TEE_NONE, b.data, b.len, NULL), VT_OK);
    assert_non_null(strstr(js, "\"hcl_binds_nonce\": true"));
    assert_non_null(strstr(js, "\"extra_data\": \"982f5c6e"));
    free(js);
    vt_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_azure_vectors__each_envelope_verifies),
        cmocka_unit_test(test_tee_azure_vectors__default_environment_passes),
        cmocka_unit_test(test_tee_azure_vectors__parts_are_the_decoded_files),
        cmocka_unit_test(test_tee_azure_vectors__tampered_quote),
        cmocka_unit_test(test_tee_azure_vectors__tampered_signature_and_pcrs),
        cmocka_unit_test(test_tee_azure_vectors__tampered_hcl_report),
        cmocka_unit_test(test_tee_azure_vectors__wrong_nonce),
        cmocka_unit_test(test_tee_azure_vectors__another_vcek),
        cmocka_unit_test(test_tee_azure_vectors__v1_relabelled_v2),
        cmocka_unit_test(test_tee_azure_vectors__tdx_without_td_quote),
        cmocka_unit_test(test_tee_azure_vectors__inspect),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
