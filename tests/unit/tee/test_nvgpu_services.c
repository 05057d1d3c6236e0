/* NVIDIA's services and NVML, below the network (tee/nvgpu_fetch.c,
 * tee/nvgpu_collect.c, crypto/ocsp.c, tee/nvgpu_sim.c): RIM IDs derived from
 * the genuine H100 report, RIM service answers (valid, every field wrong),
 * NVML structures (the genuine report and chain, every bound), OCSP
 * requests and responses made here (good, revoked, signer, CertID, window),
 * and simulated GPU evidence verifying under the simulation root only. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ocsp.h"
#include "tee/nvgpu_fetch.h"
#include "tee/nvgpu_nvml.h"
#include "tee/nvgpu_spdm.h"
#include "veritee/sim.h"

#define DIR "nvgpu/nvtrust-h100-rim-sample/"

static void test_tee_nvgpu_services__rim_ids_genuine(void **state)
{
    vt__nvgpu_evidence *e = calloc(1, sizeof(*e));
    char drv[VT_NVGPU_RIM_ID_MAX], vb[VT_NVGPU_RIM_ID_MAX];
    vt_buf b = { 0 };

    (void)state;
    vt_test_require_vectors();
    vt_test_load(&b, DIR "report.bin");
    assert_int_equal(vt__nvgpu_parse(e, b.data, b.len, NULL), VT_OK);
    vt__nvgpu_rim_ids(drv, vb, e);
    assert_string_equal(drv, "NV_GPU_DRIVER_GH100_545.00");
    assert_string_equal(vb, "NV_GPU_VBIOS_1010_0200_882_96005E0001"); /* NVIDIA's file: 1010_0200_882_96005E0001 */
    vt_buf_free(&b);
    /* An NVSwitch report names no driver and no project: no IDs. */
    vt_test_load(&b, "nvgpu/ppcie-nvswitch-ls10-0/report.bin");
    assert_int_equal(vt__nvgpu_parse(e, b.data, b.len, NULL), VT_OK);
    vt__nvgpu_rim_ids(drv, vb, e);
    assert_string_equal(drv, "");
    assert_string_equal(vb, "");
    vt_buf_free(&b);
    free(e);
}

static vt_status decode(vt_buf *out, const char *json, const char *id)
{
    return vt__nvgpu_rim_service_decode(out, (const uint8_t *)json, strlen(json), id, NULL);
}

static void test_tee_nvgpu_services__rim_answer(void **state)
{
    /* "<SoftwareIdentity/>" */
    static const char b64[] = "PFNvZnR3YXJlSWRlbnRpdHkvPg==";
    static const char sum[] = "9c0ae3c4b2a0f1f36b0fa8c6d93e7f3e2b3e5f0b4b2b8e0e4c9a6f4d2f3a1b0c"; /* not its digest */
    char j[512], hex[65];
    uint8_t h[32];
    vt_buf out = { 0 };

    (void)state;
    snprintf(j, sizeof(j), "{\"id\":\"A\",\"rim\":\"%s\",\"rim_format\":\"TCG\"}", b64);
    assert_int_equal(decode(&out, j, "A"), VT_OK);
    assert_int_equal(out.len, 19);
    assert_memory_equal(out.data, "<SoftwareIdentity/>", 19);
    out.len = 0;
    assert_int_equal(vt_digest(VT_MD_SHA256, "<SoftwareIdentity/>", 19, h, NULL), VT_OK);
    vt_hex_encode(hex, h, sizeof(h));
    snprintf(j, sizeof(j), "{\"id\":\"A\",\"rim\":\"%s\",\"sha256\":\"%s\"}", b64, hex);
    assert_int_equal(decode(&out, j, "A"), VT_OK);
    out.len = 0;
    /* Failures leave out unchanged. */
    snprintf(j, sizeof(j), "{\"id\":\"A\",\"rim\":\"%s\",\"sha256\":\"%s\"}", b64, sum);
    assert_int_equal(decode(&out, j, "A"), VT_E_FORMAT);
    snprintf(j, sizeof(j), "{\"id\":\"B\",\"rim\":\"%s\"}", b64);
    assert_int_equal(decode(&out, j, "A"), VT_E_FORMAT);
    assert_int_equal(decode(&out, "{\"id\":\"A\",\"rim\":\"%%%\"}", "A"), VT_E_FORMAT);
    assert_int_equal(decode(&out, "{\"id\":\"A\",\"rim\":\"\"}", "A"), VT_E_FORMAT);
    assert_int_equal(decode(&out, "{\"id\":\"A\",\"rim\":7}", "A"), VT_E_FORMAT);
    assert_int_equal(decode(&out, "{\"id\":\"A\",\"id\":\"A\",\"rim\":\"QQ==\"}", "A"), VT_E_FORMAT);
    assert_int_equal(decode(&out, "[\"A\"]", "A"), VT_E_FORMAT);
    assert_int_equal(decode(&out, "{\"id\":\"A\",\"rim\":\"QQ==\",\"sha256\":\"zz\"}", "A"), VT_E_FORMAT);
    assert_int_equal(decode(&out, "{\"id\":\"A\",\"rim\":\"QQ==\"", "A"), VT_E_FORMAT); /* truncated */
    assert_int_equal(vt__nvgpu_rim_service_decode(&out, (const uint8_t *)"{}", VT_NVGPU_RIM_JSON_MAX + 1u, "A", NULL),
                     VT_E_LIMIT);
    assert_int_equal(out.len, 0);
    vt_buf_free(&out);
}

/* The NVML structures as the driver fills them, from the genuine report and chain. */
static void nvml_fill(vt__nvml_report *r, vt__nvml_certificate *c, const vt_buf *rep, const vt_buf *pem)
{
    memset(r, 0, sizeof(*r));
    memset(c, 0, sizeof(*c));
    r->report_size = (unsigned int)rep->len;
    memcpy(r->report, rep->data, rep->len);
    c->attestation_cert_chain_size = (unsigned int)pem->len;
    memcpy(c->attestation_cert_chain, pem->data, pem->len);
}

static vt_status nvml(vt_buf *a, vt_buf *b, const vt__nvml_report *r, const vt__nvml_certificate *c,
                      const uint8_t *nonce)
{
    return vt__nvml_evidence(a, b, (const uint8_t *)r, sizeof(*r), (const uint8_t *)c, sizeof(*c), nonce, NULL);
}

static void test_tee_nvgpu_services__nvml_structures(void **state)
{
    vt__nvml_report *r = calloc(1, sizeof(*r));
    vt__nvml_certificate *c = calloc(1, sizeof(*c));
    vt_buf rep = { 0 }, pem = { 0 }, a = { 0 }, b = { 0 };
    uint8_t nonce[32], other[32];

    (void)state;
    vt_test_require_vectors();
    vt_test_load(&rep, DIR "report.bin");
    vt_test_load(&pem, DIR "certchain.pem");
    memcpy(nonce, rep.data + 4, sizeof(nonce));
    nvml_fill(r, c, &rep, &pem);
    assert_int_equal(nvml(&a, &b, r, c, nonce), VT_OK);
    assert_int_equal(a.len, rep.len);
    assert_memory_equal(a.data, rep.data, rep.len);
    assert_int_equal(b.len, pem.len);
    a.len = b.len = 0;
    memcpy(other, nonce, sizeof(other));
    other[31] ^= 1;
    assert_int_equal(nvml(&a, &b, r, c, other), VT_E_FORMAT); /* answered for another nonce */
    r->report_size = VT_NVML_REPORT_SIZE + 1;
    assert_int_equal(nvml(&a, &b, r, c, nonce), VT_E_LIMIT);
    r->report_size = 0;
    assert_int_equal(nvml(&a, &b, r, c, nonce), VT_E_LIMIT);
    r->report_size = (unsigned int)rep.len - 1; /* truncated evidence */
    assert_int_equal(nvml(&a, &b, r, c, nonce), VT_E_FORMAT);
    r->report_size = (unsigned int)rep.len;
    r->cec_present = 7;
    assert_int_equal(nvml(&a, &b, r, c, nonce), VT_E_FORMAT);
    r->cec_present = 0;
    c->attestation_cert_chain_size = VT_NVML_ATTESTATION_CERT_CHAIN_SIZE + 1;
    assert_int_equal(nvml(&a, &b, r, c, nonce), VT_E_LIMIT);
    c->attestation_cert_chain_size = 0;
    assert_int_equal(nvml(&a, &b, r, c, nonce), VT_E_LIMIT);
    c->attestation_cert_chain_size = 700; /* the first certificate, cut */
    assert_int_not_equal(nvml(&a, &b, r, c, nonce), VT_OK);
    assert_int_equal(vt__nvml_evidence(&a, &b, (const uint8_t *)r, sizeof(*r) - 1, (const uint8_t *)c, sizeof(*c),
                                       nonce, NULL),
                     VT_E_FORMAT);
    assert_int_equal(a.len + b.len, 0);
    vt_buf_free(&rep);
    vt_buf_free(&pem);
    vt_buf_free(&a);
    vt_buf_free(&b);
    free(r);
    free(c);
}

/* An issuer, its CA child and an unrelated key: OCSP made here with OpenSSL through vt_x509_issue. */
typedef struct pki {
    vt_pkey *ik, *ck, *other;
    vt_x509 *issuer, *cert;
} pki;

static void pki_make(pki *p)
{
    vt_x509_spec s;

    memset(p, 0, sizeof(*p));
    memset(&s, 0, sizeof(s));
    assert_int_equal(vt_pkey_generate(&p->ik, VT_KEY_EC_P384, NULL), VT_OK);
    assert_int_equal(vt_pkey_generate(&p->ck, VT_KEY_EC_P384, NULL), VT_OK);
    assert_int_equal(vt_pkey_generate(&p->other, VT_KEY_EC_P384, NULL), VT_OK);
    s.subject_cn = "test issuer";
    s.serial = 1;
    s.not_before = 0;
    s.not_after = 4102444800;
    s.ca = true;
    s.pathlen = 1;
    assert_int_equal(vt_x509_issue(&p->issuer, &s, p->ik, NULL, p->ik, NULL), VT_OK);
    s.subject_cn = "test device CA";
    s.serial = 2;
    s.pathlen = 0;
    assert_int_equal(vt_x509_issue(&p->cert, &s, p->ck, p->issuer, p->ik, NULL), VT_OK);
}

static void pki_free(pki *p)
{
    vt_pkey_free(p->ik);
    vt_pkey_free(p->ck);
    vt_pkey_free(p->other);
    vt_x509_free(p->issuer);
    vt_x509_free(p->cert);
}

static void test_tee_nvgpu_services__ocsp_request_and_garbage(void **state)
{
    pki p;
    vt_buf req = { 0 };
    vt__ocsp_answer a;
    vt_time until = 0;
    static const uint8_t not_ok[] = { 0x30, 0x03, 0x0a, 0x01, 0x06 }; /* OCSPResponse { unauthorized } */

    (void)state;
    pki_make(&p);
    assert_int_equal(vt__ocsp_request(&req, p.cert, p.issuer, NULL), VT_OK);
    assert_true(req.len > 60 && req.data[0] == 0x30);
    /* The CertID uses SHA-384: its OID 2.16.840.1.101.3.4.2.2 is in the request. */
    {
        static const uint8_t sha384[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02 };
        bool found = false;
        for (size_t i = 0; i + sizeof(sha384) <= req.len; i++)
            found = found || memcmp(req.data + i, sha384, sizeof(sha384)) == 0;
        assert_true(found);
    }
    assert_int_equal(vt__ocsp_response_expiry(&until, not_ok, sizeof(not_ok), NULL), VT_E_FORMAT);
    assert_int_equal(vt__ocsp_response_verify(&a, not_ok, sizeof(not_ok), p.cert, p.issuer, 0, NULL), VT_E_FORMAT);
    assert_int_equal(vt__ocsp_response_verify(&a, req.data, req.len, p.cert, p.issuer, 0, NULL), VT_E_FORMAT);
    for (size_t n = 0; n < req.len; n++)
        assert_int_not_equal(vt__ocsp_response_expiry(&until, req.data, n, NULL), VT_OK);
    assert_int_equal(vt__ocsp_response_expiry(&until, req.data, VT_OCSP_RESPONSE_MAX + 1u, NULL), VT_E_LIMIT);
    vt_buf_free(&req);
    pki_free(&p);
}

/* Simulated GPU evidence verifies under the simulation root only, and a flipped byte fails. */
static void test_tee_nvgpu_services__sim_roundtrip(void **state)
{
    char dir[4096];
    vt_sim_nvgpu_opts o;
    vt_buf ev = { 0 };
    vt_collateral *c = NULL;
    vt_verify_opts vo;
    vt_result *r = calloc(1, sizeof(*r));

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    memset(&o, 0, sizeof(o));
    memset(o.nonce, 0x5a, sizeof(o.nonce));
    o.now = vt_test_time("2026-06-01T00:00:00Z");
    o.state_dir = dir;
    assert_int_equal(vt_collateral_new(&c, NULL), VT_OK);
    assert_int_equal(vt_sim_nvgpu(&ev, c, &o, NULL), VT_OK);
    assert_int_equal(vt_collateral_count(c), 2); /* certchain.pem, reference.json */
    memset(&vo, 0, sizeof(vo));
    vo.now = o.now;
    vo.collateral = c;
    vo.state_dir = dir;
    vo.expected_report_data = o.nonce;
    vo.expected_report_data_len = sizeof(o.nonce);
    assert_int_equal(vt_evidence_verify(r, ev.data, ev.len, &vo, NULL), VT_OK);
    assert_false(r->valid); /* not trusted without trust_sim */
    vo.trust_sim = true;
    assert_int_equal(vt_evidence_verify(r, ev.data, ev.len, &vo, NULL), VT_OK);
    assert_true(r->valid);
    assert_true(r->signature_valid);
    assert_true(r->collateral_verified);
    assert_false(r->claims.hardware_attested);
    assert_string_equal(r->claims.tcb_status, "Unknown"); /* no OCSP asked */
    ev.data[ev.len - 10] ^= 1;
    assert_int_equal(vt_evidence_verify(r, ev.data, ev.len, &vo, NULL), VT_OK);
    assert_false(r->valid);
    assert_false(r->signature_valid);
    vt_collateral_free(c);
    vt_buf_free(&ev);
    vt_test_rmdir(dir);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_nvgpu_services__rim_ids_genuine),
        cmocka_unit_test(test_tee_nvgpu_services__rim_answer),
        cmocka_unit_test(test_tee_nvgpu_services__nvml_structures),
        cmocka_unit_test(test_tee_nvgpu_services__ocsp_request_and_garbage),
        cmocka_unit_test(test_tee_nvgpu_services__sim_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
