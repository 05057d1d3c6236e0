/* The TPM plugin on hand-built quotes (runs without vectors): ECDSA P-256
 * and RSA (RSASSA bare, RSAPSS in a TPMT_SIGNATURE) attestation keys pinned
 * by the caller, the SHA-512(nonce || key) binding in extraData, each check
 * failing on its own (PCR value, missing PCR, signature, attributes, pin),
 * every truncation of TPMS_ATTEST, and a synthetic TCG2 event log replayed
 * against the quoted PCRs, with its caps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>

#include "vt_test.h"

#include "crypto/crypto_int.h"
#include "tee/tpm_attest.h"
#include "tee/tpm_eventlog.h"
#include "tee/tpm_evidence.h"

#define NPCR 8

static void put(vt_buf *b, const void *p, size_t n)
{
    assert_int_equal(vt_buf_append(b, p, n, NULL), VT_OK);
}
static void be16(vt_buf *b, uint16_t v)
{
    uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    put(b, x, 2);
}
static void be32(vt_buf *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    put(b, x, 4);
}
static void le16(vt_buf *b, uint16_t v)
{
    assert_int_equal(vt_buf_append_u16le(b, v, NULL), VT_OK);
}
static void le32(vt_buf *b, uint32_t v)
{
    assert_int_equal(vt_buf_append_u32le(b, v, NULL), VT_OK);
}
static void tpm2b(vt_buf *b, const uint8_t *p, size_t n)
{
    be16(b, (uint16_t)n);
    put(b, p, n);
}

typedef struct quote_spec {
    vt_key_type kt;
    bool pss;          /* RSA: RSAPSS in a header (else bare RSASSA) */
    uint32_t attrs;
    uint32_t mask;     /* PCRs selected (sha256 bank) */
    uint8_t extra[64];
    size_t extra_len;
} quote_spec;

static const uint32_t ak_attrs = VT_TPMA_FIXED_TPM | VT_TPMA_FIXED_PARENT | VT_TPMA_SENSITIVE_DATA_ORIGIN |
                                 VT_TPMA_RESTRICTED | VT_TPMA_SIGN;

static void pcr_values(uint8_t v[NPCR][32])
{
    for (unsigned i = 0; i < NPCR; i++)
        memset(v[i], 0x10 + i, 32);
}

static void public_area(vt_buf *b, const vt_pkey *k, uint32_t attrs)
{
    vt_key_type kt = vt_pkey_type(k);

    be16(b, kt == VT_KEY_RSA ? VT_TPM_ALG_RSA : VT_TPM_ALG_ECC);
    be16(b, VT_TPM_ALG_SHA256);
    be32(b, attrs);
    be16(b, 0); /* authPolicy */
    be16(b, VT_TPM_ALG_NULL);
    if (kt == VT_KEY_RSA) {
        BIGNUM *n = NULL;
        uint8_t mod[512];
        int nl;

        be16(b, VT_TPM_ALG_NULL); /* scheme */
        assert_int_equal(EVP_PKEY_get_bn_param(vt__pkey_get(k), OSSL_PKEY_PARAM_RSA_N, &n), 1);
        nl = BN_bn2bin(n, mod);
        BN_free(n);
        be16(b, (uint16_t)(8 * nl));
        be32(b, 0); /* default exponent */
        tpm2b(b, mod, (size_t)nl);
    } else {
        vt_buf raw = { 0 };

        be16(b, VT_TPM_ALG_ECDSA);
        be16(b, VT_TPM_ALG_SHA256);
        be16(b, VT_TPM_ECC_NIST_P256);
        be16(b, VT_TPM_ALG_NULL);
        assert_int_equal(vt_pkey_public_raw(&raw, k, NULL), VT_OK);
        tpm2b(b, raw.data, 32);
        tpm2b(b, raw.data + 32, 32);
        vt_buf_free(&raw);
    }
}

static void attest(vt_buf *b, const quote_spec *q, const uint8_t v[NPCR][32])
{
    uint8_t name[34] = { 0x00, 0x0b }, dg[32];
    vt_digest_ctx *d = NULL;

    be32(b, VT_TPM_GENERATED);
    be16(b, VT_TPM_ST_ATTEST_QUOTE);
    tpm2b(b, name, sizeof(name));
    tpm2b(b, q->extra, q->extra_len);
    be32(b, 0);
    be32(b, 12345); /* clock */
    be32(b, 7);     /* resetCount */
    be32(b, 0);
    put(b, "\x01", 1);
    be32(b, 0x20160511);
    be32(b, 0x00162800);
    be32(b, 1);
    be16(b, VT_TPM_ALG_SHA256);
    put(b, "\x03", 1);
    put(b, (uint8_t[]){ (uint8_t)q->mask, (uint8_t)(q->mask >> 8), (uint8_t)(q->mask >> 16) }, 3);
    assert_int_equal(vt_digest_ctx_new(&d, VT_MD_SHA256, NULL), VT_OK);
    for (unsigned i = 0; i < NPCR; i++)
        if (q->mask & (1u << i))
            assert_int_equal(vt_digest_ctx_update(d, v[i], 32, NULL), VT_OK);
    assert_int_equal(vt_digest_ctx_final(d, dg, NULL), VT_OK);
    vt_digest_ctx_free(d);
    tpm2b(b, dg, sizeof(dg));
}

static void signature(vt_buf *b, const vt_pkey *k, const quote_spec *q, const vt_buf *att)
{
    vt_buf s = { 0 };

    if (q->kt == VT_KEY_RSA) {
        assert_int_equal(vt_sig_sign(&s, k, VT_MD_SHA256, q->pss, att->data, att->len, NULL), VT_OK);
        if (q->pss) {
            be16(b, VT_TPM_ALG_RSAPSS);
            be16(b, VT_TPM_ALG_SHA256);
            tpm2b(b, s.data, s.len);
        } else {
            put(b, s.data, s.len);
        }
    } else {
        assert_int_equal(vt_ecdsa_sign_raw(&s, k, VT_MD_SHA256, att->data, att->len, NULL), VT_OK);
        be16(b, VT_TPM_ALG_ECDSA);
        be16(b, VT_TPM_ALG_SHA256);
        tpm2b(b, s.data, 32);
        tpm2b(b, s.data + 32, 32);
    }
    vt_buf_free(&s);
}

/* A container: quote, signature, the sha256 PCR bank, the AK public area, optionally an event log. */
static void evidence(vt_buf *ev, vt_pkey *k, const quote_spec *q, uint8_t v[NPCR][32], const vt_buf *log)
{
    vt_buf att = { 0 }, sig = { 0 }, pub = { 0 };

    attest(&att, q, (const uint8_t(*)[32])v);
    signature(&sig, k, q, &att);
    public_area(&pub, k, q->attrs);
    memset(ev, 0, sizeof(*ev));
    assert_int_equal(vt_tpm_evidence_add(ev, VT_TPM_PART_ATTEST, 0, att.data, att.len, NULL), VT_OK);
    assert_int_equal(vt_tpm_evidence_add(ev, VT_TPM_PART_SIG, 0, sig.data, sig.len, NULL), VT_OK);
    assert_int_equal(vt_tpm_evidence_add(ev, VT_TPM_PART_PCRS, VT_TPM_ALG_SHA256, &v[0][0], NPCR * 32, NULL), VT_OK);
    assert_int_equal(vt_tpm_evidence_add(ev, VT_TPM_PART_AK_PUB, 0, pub.data, pub.len, NULL), VT_OK);
    if (log != NULL)
        assert_int_equal(vt_tpm_evidence_add(ev, VT_TPM_PART_EVENT_LOG, 0, log->data, log->len, NULL), VT_OK);
    vt_buf_free(&att);
    vt_buf_free(&sig);
    vt_buf_free(&pub);
}

static bool has_error(const vt_result *r, const char *check)
{
    for (size_t i = 0; i < r->error_count; i++)
        if (strcmp(r->errors[i].check, check) == 0)
            return true;
    return false;
}

typedef struct run {
    vt_result res;
    vt_status rc;
} run;

static void verify(run *out, const vt_buf *ev, const vt_pkey *pin, const uint8_t *want, size_t want_len)
{
    vt_verify_opts o;
    uint8_t fp[1][32];

    memset(&o, 0, sizeof(o));
    o.now = vt_test_time("2026-01-01T00:00:00Z");
    if (pin != NULL) {
        assert_int_equal(vt_pkey_spki_sha256(fp[0], pin, NULL), VT_OK);
        o.tpm_ak_sha256 = (const uint8_t(*)[32])fp;
        o.tpm_ak_count = 1;
    }
    o.expected_report_data = want;
    o.expected_report_data_len = want_len;
    out->rc = vt_evidence_verify(&out->res, ev->data, ev->len, &o, NULL);
}

static void bound_spec(quote_spec *q, vt_key_type kt, const uint8_t rd[64])
{
    memset(q, 0, sizeof(*q));
    q->kt = kt;
    q->attrs = ak_attrs;
    q->mask = 0xff;
    memcpy(q->extra, rd, 64);
    q->extra_len = 64;
}

static void test_tee_tpm_synth__nonce_binding_each_key_type(void **state)
{
    static const uint8_t nonce[16] = "veritee-nonce-16";
    uint8_t rd[64], v[NPCR][32];
    vt_key_type kts[3] = { VT_KEY_EC_P256, VT_KEY_RSA, VT_KEY_RSA };
    run *r = calloc(1, sizeof(*r));

    (void)state;
    pcr_values(v);
    for (size_t i = 0; i < 3; i++) {
        vt_pkey *k = NULL, *other = NULL;
        quote_spec q;
        vt_buf ev;
        uint8_t pub[8] = { 1, 2, 3, 4, 5, 6, 7, (uint8_t)i };

        assert_int_equal(vt_pkey_generate(&k, kts[i], NULL), VT_OK);
        assert_int_equal(vt_report_data_bind(rd, nonce, sizeof(nonce), pub, sizeof(pub), NULL), VT_OK);
        bound_spec(&q, kts[i], rd);
        q.pss = i == 2;
        evidence(&ev, k, &q, v, NULL);
        assert_true(vt_evidence_probe(ev.data, ev.len) == VT_TEE_TPM);
        verify(r, &ev, k, rd, sizeof(rd));
        assert_int_equal(r->rc, VT_OK);
        assert_true(r->res.valid);
        assert_int_equal(r->res.verdict, VT_VERDICT_AFFIRMING);
        assert_true(r->res.signature_valid);
        assert_false(r->res.claims.hardware_attested); /* a pin is not hardware */
        assert_non_null(vt_claims_get(&r->res.claims, "pcr7"));
        /* another nonce: report_data rejected */
        rd[5] ^= 1;
        verify(r, &ev, k, rd, sizeof(rd));
        assert_false(r->res.valid);
        assert_true(has_error(&r->res, "report_data"));
        /* not pinned, or another key pinned: the AK is not trusted */
        verify(r, &ev, NULL, NULL, 0);
        assert_false(r->res.valid);
        assert_true(has_error(&r->res, "ak_trust"));
        assert_int_equal(vt_pkey_generate(&other, kts[i], NULL), VT_OK);
        verify(r, &ev, other, NULL, 0);
        assert_true(has_error(&r->res, "ak_trust"));
        vt_pkey_free(other);
        vt_buf_free(&ev);
        vt_pkey_free(k);
    }
    free(r);
}

static void test_tee_tpm_synth__each_check_fails_alone(void **state)
{
    uint8_t rd[64] = { 0 }, v[NPCR][32];
    vt_pkey *k = NULL;
    quote_spec q;
    vt_buf ev, att = { 0 };
    run *r = calloc(1, sizeof(*r));

    (void)state;
    pcr_values(v);
    assert_int_equal(vt_pkey_generate(&k, VT_KEY_EC_P256, NULL), VT_OK);
    bound_spec(&q, VT_KEY_EC_P256, rd);
    /* the AK public area's point changed: another (or no) key, signature fails */
    evidence(&ev, k, &q, v, NULL);
    ev.data[ev.len - 3] ^= 1;
    verify(r, &ev, k, NULL, 0);
    assert_false(r->res.valid);
    vt_buf_free(&ev);
    /* a PCR value that is not the quoted one */
    {
        uint8_t w[NPCR][32];
        vt_buf att2 = { 0 }, sig = { 0 }, pub = { 0 };

        memcpy(w, v, sizeof(w));
        attest(&att2, &q, (const uint8_t(*)[32])v);
        signature(&sig, k, &q, &att2);
        public_area(&pub, k, q.attrs);
        w[3][0] ^= 1;
        memset(&ev, 0, sizeof(ev));
        assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_ATTEST, 0, att2.data, att2.len, NULL), VT_OK);
        assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_SIG, 0, sig.data, sig.len, NULL), VT_OK);
        assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_PCRS, VT_TPM_ALG_SHA256, &w[0][0], sizeof(w), NULL),
                         VT_OK);
        assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_AK_PUB, 0, pub.data, pub.len, NULL), VT_OK);
        verify(r, &ev, k, NULL, 0);
        assert_true(has_error(&r->res, "pcr_digest"));
        assert_true(r->res.signature_valid == false);
        vt_buf_free(&ev);
        /* fewer PCR values than the quote selects */
        memset(&ev, 0, sizeof(ev));
        assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_ATTEST, 0, att2.data, att2.len, NULL), VT_OK);
        assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_SIG, 0, sig.data, sig.len, NULL), VT_OK);
        assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_PCRS, VT_TPM_ALG_SHA256, &v[0][0], 4 * 32, NULL), VT_OK);
        assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_AK_PUB, 0, pub.data, pub.len, NULL), VT_OK);
        verify(r, &ev, k, NULL, 0);
        assert_true(has_error(&r->res, "pcr_values"));
        vt_buf_free(&ev);
        /* a signature by another key */
        {
            vt_pkey *o = NULL;
            vt_buf sig2 = { 0 };
            assert_int_equal(vt_pkey_generate(&o, VT_KEY_EC_P256, NULL), VT_OK);
            signature(&sig2, o, &q, &att2);
            memset(&ev, 0, sizeof(ev));
            assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_ATTEST, 0, att2.data, att2.len, NULL), VT_OK);
            assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_SIG, 0, sig2.data, sig2.len, NULL), VT_OK);
            assert_int_equal(
                vt_tpm_evidence_add(&ev, VT_TPM_PART_PCRS, VT_TPM_ALG_SHA256, &v[0][0], sizeof(v), NULL), VT_OK);
            assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_AK_PUB, 0, pub.data, pub.len, NULL), VT_OK);
            verify(r, &ev, k, NULL, 0);
            assert_true(has_error(&r->res, "quote_signature"));
            vt_buf_free(&ev);
            vt_buf_free(&sig2);
            vt_pkey_free(o);
        }
        vt_buf_free(&att2);
        vt_buf_free(&sig);
        vt_buf_free(&pub);
    }
    /* an unrestricted key could sign anything that looks like a quote */
    q.attrs = ak_attrs & ~VT_TPMA_RESTRICTED;
    evidence(&ev, k, &q, v, NULL);
    verify(r, &ev, k, NULL, 0);
    assert_true(has_error(&r->res, "ak_attributes"));
    vt_buf_free(&ev);
    vt_buf_free(&att);
    vt_pkey_free(k);
    free(r);
}

static void test_tee_tpm_synth__attest_every_truncation(void **state)
{
    uint8_t v[NPCR][32];
    quote_spec q;
    vt_buf att = { 0 };
    vt__tpm_attest a;

    (void)state;
    pcr_values(v);
    memset(&q, 0, sizeof(q));
    q.mask = 0x81;
    q.extra_len = 5;
    attest(&att, &q, (const uint8_t(*)[32])v);
    assert_int_equal(vt__tpm_attest_parse(&a, att.data, att.len, NULL), VT_OK);
    assert_int_equal(a.extra_len, 5);
    assert_int_equal(a.sel[0].mask, 0x81);
    assert_int_equal(a.reset_count, 7);
    for (size_t n = 0; n < att.len; n++) {
        assert_int_equal(vt__tpm_attest_parse(&a, att.data, n, NULL), VT_E_FORMAT);
        assert_int_equal(a.sel_count, 0); /* state cleared on failure */
    }
    assert_int_equal(vt_buf_append(&att, "\0", 1, NULL), VT_OK);
    assert_int_equal(vt__tpm_attest_parse(&a, att.data, att.len, NULL), VT_E_FORMAT); /* trailing byte */
    att.len--;
    att.data[5] = 0x17; /* TPM_ST_ATTEST_CERTIFY */
    assert_int_equal(vt__tpm_attest_parse(&a, att.data, att.len, NULL), VT_E_FORMAT);
    att.data[5] = 0x18;
    att.data[0] = 0;
    assert_int_equal(vt__tpm_attest_parse(&a, att.data, att.len, NULL), VT_E_FORMAT);
    /* inspect: a good quote, then a bad one (it once leaked the quotes array; ASan run) */
    {
        vt_buf ev = { 0 }, good = { 0 };
        char *json = NULL;

        attest(&good, &q, (const uint8_t(*)[32])v);
        assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_ATTEST, 0, good.data, good.len, NULL), VT_OK);
        assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_SIG, 0, good.data, 8, NULL), VT_OK);
        assert_int_equal(vt_evidence_inspect(&json, VT_TEE_TPM, ev.data, ev.len, NULL), VT_OK);
        assert_non_null(strstr(json, "\"pcr_digest\""));
        free(json);
        assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_ATTEST, 0, att.data, att.len, NULL), VT_OK);
        assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_SIG, 0, good.data, 8, NULL), VT_OK);
        assert_int_equal(vt_evidence_inspect(&json, VT_TEE_TPM, ev.data, ev.len, NULL), VT_E_FORMAT);
        assert_null(json);
        vt_buf_free(&ev);
        vt_buf_free(&good);
    }
    vt_buf_free(&att);
}

/* ---- event logs ---- */

static void spec_id_header(vt_buf *b, uint16_t alg, uint16_t size)
{
    vt_buf ev = { 0 };
    uint8_t zero[20] = { 0 };

    put(&ev, "Spec ID Event03", 16);
    le32(&ev, 0);
    put(&ev, "\x00\x02\x00\x02", 4);
    le32(&ev, 1);
    le16(&ev, alg);
    le16(&ev, size);
    put(&ev, "\0", 1);
    le32(b, 0);
    le32(b, VT_TPM_EV_NO_ACTION);
    put(b, zero, 20);
    le32(b, (uint32_t)ev.len);
    put(b, ev.data, ev.len);
    vt_buf_free(&ev);
}

static void event(vt_buf *b, uint32_t pcr, uint32_t type, const uint8_t dig[32], const void *data, size_t n)
{
    le32(b, pcr);
    le32(b, type);
    le32(b, 1);
    le16(b, VT_TPM_ALG_SHA256);
    put(b, dig, 32);
    le32(b, (uint32_t)n);
    if (n > 0)
        put(b, data, n);
}

static void extend(uint8_t pcr[32], const uint8_t d[32])
{
    const void *p[2] = { pcr, d };
    size_t l[2] = { 32, 32 };
    assert_int_equal(vt_digestv(VT_MD_SHA256, p, l, 2, pcr, NULL), VT_OK);
}

/* A log with StartupLocality 3, SecureBoot=1 in PCR 7, a boot loader and a kernel in PCR 4. */
static void make_log(vt_buf *b, uint8_t v[NPCR][32])
{
    static const uint8_t guid[16] = { 0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
                                      0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c };
    uint8_t var[16 + 8 + 8 + 20 + 1], d[32], loc[17];
    uint8_t sep[4] = { 0 };

    memset(b, 0, sizeof(*b));
    memset(v, 0, NPCR * 32);
    spec_id_header(b, VT_TPM_ALG_SHA256, 32);
    memcpy(loc, "StartupLocality", 16);
    loc[16] = 3;
    memset(d, 0, sizeof(d));
    event(b, 0, VT_TPM_EV_NO_ACTION, d, loc, sizeof(loc));
    v[0][31] = 3;
    memset(d, 0xa0, sizeof(d));
    event(b, 0, 0x8, d, "crtm", 4);
    extend(v[0], d);
    memcpy(var, guid, 16);
    memset(var + 16, 0, 16);
    var[16] = 10;
    var[24] = 1;
    for (size_t i = 0; i < 10; i++) {
        var[32 + 2 * i] = (uint8_t)"SecureBoot"[i];
        var[33 + 2 * i] = 0;
    }
    var[52] = 1;
    assert_int_equal(vt_digest(VT_MD_SHA256, var, sizeof(var), d, NULL), VT_OK);
    event(b, 7, VT_TPM_EV_EFI_VARIABLE_DRIVER_CONFIG, d, var, sizeof(var));
    extend(v[7], d);
    memset(d, 0xb1, sizeof(d));
    event(b, 4, VT_TPM_EV_EFI_BOOT_SERVICES_APPLICATION, d, "shim", 4);
    extend(v[4], d);
    memset(d, 0xc2, sizeof(d));
    event(b, 4, VT_TPM_EV_EFI_BOOT_SERVICES_APPLICATION, d, "linux", 5);
    extend(v[4], d);
    assert_int_equal(vt_digest(VT_MD_SHA256, sep, 4, d, NULL), VT_OK);
    event(b, 7, VT_TPM_EV_SEPARATOR, d, sep, 4);
    extend(v[7], d);
}

static void test_tee_tpm_synth__event_log_replay_and_claims(void **state)
{
    uint8_t v[NPCR][32], rd[64] = { 0 };
    vt__tpm_evlog *log = calloc(1, sizeof(*log));
    const vt__tpm_evlog_bank *bank;
    vt_buf b, ev;
    vt_pkey *k = NULL;
    quote_spec q;
    run *r = calloc(1, sizeof(*r));
    const vt_claim *c;

    (void)state;
    make_log(&b, v);
    assert_int_equal(vt__tpm_evlog_replay(log, b.data, b.len, NULL), VT_OK);
    bank = vt__tpm_evlog_bank_get(log, VT_TPM_ALG_SHA256);
    assert_non_null(bank);
    for (unsigned i = 0; i < NPCR; i++)
        if (log->touched & (1u << i))
            assert_memory_equal(bank->pcr[i], v[i], 32);
    assert_int_equal(log->secure_boot, 1);
    assert_int_equal(log->boot_apps, 2);
    /* every truncation fails cleanly (or parses a shorter, still valid log) */
    for (size_t n = 0; n < b.len; n++) {
        vt_status rc = vt__tpm_evlog_replay(log, b.data, n, NULL);
        assert_true(rc == VT_E_FORMAT || rc == VT_OK);
        if (rc != VT_OK)
            assert_int_equal(log->secure_boot, -1);
    }
    /* the whole chain: the quote covers PCRs 0..7, the log replays to them */
    assert_int_equal(vt_pkey_generate(&k, VT_KEY_EC_P256, NULL), VT_OK);
    bound_spec(&q, VT_KEY_EC_P256, rd);
    evidence(&ev, k, &q, v, &b);
    verify(r, &ev, k, NULL, 0);
    assert_true(r->res.valid);
    c = vt_claims_get(&r->res.claims, "secure_boot");
    assert_non_null(c);
    assert_int_equal(c->value[0], 1);
    c = vt_claims_get(&r->res.claims, "kernel");
    assert_non_null(c);
    assert_int_equal(c->value[0], 0xc2);
    assert_non_null(vt_claims_get(&r->res.claims, "boot_loader"));
    vt_buf_free(&ev);
    /* a log that replays elsewhere: rejected, and no claims from it */
    v[4][0] ^= 1;
    q.mask = 0xff;
    evidence(&ev, k, &q, v, &b);
    verify(r, &ev, k, NULL, 0);
    assert_false(r->res.valid);
    assert_true(has_error(&r->res, "event_log"));
    assert_null(vt_claims_get(&r->res.claims, "kernel"));
    vt_buf_free(&ev);
    vt_buf_free(&b);
    vt_pkey_free(k);
    free(log);
    free(r);
}

static void test_tee_tpm_synth__event_log_caps(void **state)
{
    vt__tpm_evlog *log = calloc(1, sizeof(*log));
    uint8_t d[32] = { 0 };
    vt_buf b = { 0 };
    vt_err e = { 0 };

    (void)state;
    spec_id_header(&b, VT_TPM_ALG_SHA256, 32);
    for (uint32_t i = 0; i < VT_TPM_EVLOG_MAX_EVENTS; i++)
        event(&b, 8, 0xd, d, NULL, 0);
    assert_int_equal(vt__tpm_evlog_replay(log, b.data, b.len, &e), VT_E_LIMIT);
    assert_non_null(strstr(e.msg, "events"));
    b.len = 0; /* a second log: one event over the per-event data cap */
    spec_id_header(&b, VT_TPM_ALG_SHA256, 32);
    le32(&b, 1);
    le32(&b, 0xd);
    le32(&b, 1);
    le16(&b, VT_TPM_ALG_SHA256);
    put(&b, d, 32);
    le32(&b, VT_TPM_EVLOG_EVENT_MAX + 1);
    assert_int_equal(vt__tpm_evlog_replay(log, b.data, b.len, NULL), VT_E_LIMIT);
    assert_int_equal(vt__tpm_evlog_replay(log, b.data, VT_TPM_EVLOG_MAX_BYTES + 1, NULL), VT_E_LIMIT);
    vt_buf_free(&b);
    free(log);
}

/* A log with SHA-384 and SHA-256 digests whose PCR 4 applications are a boot loader and a
 * kernel; the SHA-384 digests are what was measured, the SHA-256 ones another boot's. */
static void make_log_two_banks(vt_buf *b, uint8_t v384[NPCR][48])
{
    vt_buf id = { 0 };
    uint8_t zero[20] = { 0 }, d384[48], d256[32];
    static const uint8_t fill[2][2] = { { 0xb1, 0x5b }, { 0xc2, 0x6c } }; /* measured, claimed */

    memset(b, 0, sizeof(*b));
    memset(v384, 0, NPCR * 48);
    put(&id, "Spec ID Event03", 16);
    le32(&id, 0);
    put(&id, "\x00\x02\x00\x02", 4);
    le32(&id, 2);
    le16(&id, VT_TPM_ALG_SHA384);
    le16(&id, 48);
    le16(&id, VT_TPM_ALG_SHA256);
    le16(&id, 32);
    put(&id, "\0", 1);
    le32(b, 0);
    le32(b, VT_TPM_EV_NO_ACTION);
    put(b, zero, 20);
    le32(b, (uint32_t)id.len);
    put(b, id.data, id.len);
    vt_buf_free(&id);
    for (size_t i = 0; i < 2; i++) {
        const void *p[2] = { v384[4], d384 };
        size_t l[2] = { 48, 48 };

        memset(d384, fill[i][0], sizeof(d384));
        memset(d256, fill[i][1], sizeof(d256));
        le32(b, 4);
        le32(b, VT_TPM_EV_EFI_BOOT_SERVICES_APPLICATION);
        le32(b, 2);
        le16(b, VT_TPM_ALG_SHA384);
        put(b, d384, 48);
        le16(b, VT_TPM_ALG_SHA256);
        put(b, d256, 32);
        le32(b, 4);
        put(b, i == 0 ? "shim" : "kern", 4);
        assert_int_equal(vt_digestv(VT_MD_SHA384, p, l, 2, v384[4], NULL), VT_OK);
    }
}

/* The boot_loader and kernel claims are SHA-256 digests: a log that replays only in another
 * bank (the quote covers SHA-384 alone) does not vouch for them. */
static void test_tee_tpm_synth__event_log_claims_need_the_sha256_bank(void **state)
{
    uint8_t v[NPCR][48], name[34] = { 0x00, 0x0b }, dg[32];
    vt_buf log, att = { 0 }, sig = { 0 }, pub = { 0 }, ev = { 0 };
    vt_pkey *k = NULL;
    run *r = calloc(1, sizeof(*r));
    vt_digest_ctx *d = NULL;

    (void)state;
    make_log_two_banks(&log, v);
    assert_int_equal(vt_pkey_generate(&k, VT_KEY_EC_P256, NULL), VT_OK);
    be32(&att, VT_TPM_GENERATED);
    be16(&att, VT_TPM_ST_ATTEST_QUOTE);
    tpm2b(&att, name, sizeof(name));
    tpm2b(&att, (const uint8_t *)"n", 1);
    be32(&att, 0);
    be32(&att, 12345);
    be32(&att, 7);
    be32(&att, 0);
    put(&att, "\x01", 1);
    be32(&att, 0x20160511);
    be32(&att, 0x00162800);
    be32(&att, 1);
    be16(&att, VT_TPM_ALG_SHA384);
    put(&att, "\x03\xff\x00\x00", 4);
    assert_int_equal(vt_digest_ctx_new(&d, VT_MD_SHA256, NULL), VT_OK);
    assert_int_equal(vt_digest_ctx_update(d, v, sizeof(v), NULL), VT_OK);
    assert_int_equal(vt_digest_ctx_final(d, dg, NULL), VT_OK);
    vt_digest_ctx_free(d);
    tpm2b(&att, dg, sizeof(dg));
    assert_int_equal(vt_ecdsa_sign_raw(&sig, k, VT_MD_SHA256, att.data, att.len, NULL), VT_OK);
    public_area(&pub, k, ak_attrs);
    assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_ATTEST, 0, att.data, att.len, NULL), VT_OK);
    assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_SIG, 0, sig.data, sig.len, NULL), VT_OK);
    assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_PCRS, VT_TPM_ALG_SHA384, &v[0][0], sizeof(v), NULL),
                     VT_OK);
    assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_AK_PUB, 0, pub.data, pub.len, NULL), VT_OK);
    assert_int_equal(vt_tpm_evidence_add(&ev, VT_TPM_PART_EVENT_LOG, 0, log.data, log.len, NULL), VT_OK);
    verify(r, &ev, k, NULL, 0);
    assert_int_equal(r->rc, VT_OK);
    assert_true(r->res.valid); /* the SHA-384 bank replays */
    assert_null(vt_claims_get(&r->res.claims, "boot_loader"));
    assert_null(vt_claims_get(&r->res.claims, "kernel"));
    vt_buf_free(&ev);
    vt_buf_free(&pub);
    vt_buf_free(&sig);
    vt_buf_free(&att);
    vt_buf_free(&log);
    vt_pkey_free(k);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_tpm_synth__nonce_binding_each_key_type),
        cmocka_unit_test(test_tee_tpm_synth__each_check_fails_alone),
        cmocka_unit_test(test_tee_tpm_synth__attest_every_truncation),
        cmocka_unit_test(test_tee_tpm_synth__event_log_replay_and_claims),
        cmocka_unit_test(test_tee_tpm_synth__event_log_caps),
        cmocka_unit_test(test_tee_tpm_synth__event_log_claims_need_the_sha256_bank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
