/* Simulated Nitro attestation documents (tee/nitro_sim.c) through the real
 * parser and verifier (tee/nitro_doc.c, tee/nitro.c): accepted only with
 * trust_sim, never hardware_attested; every signed byte and every truncation
 * is caught; debug (zero PCRs) is rejected unless allowed. */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>

#include "tee/nitro_doc.h"

#define T0 1748736000 /* 2025-06-01T00:00:00Z */

struct fx {
    char state[512];
    vt_buf doc;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    vt_test_mkdtemp(f->state, sizeof(f->state));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    vt_buf_free(&f->doc);
    vt_test_rmdir(f->state);
    free(f);
    return 0;
}

static const uint8_t nonce[64] = { 1, 2, 3, 4, 5, 6, 7, 8, [63] = 0x40 };
static const uint8_t ud[5] = { 'h', 'e', 'l', 'l', 'o' };
static const uint8_t pk[4] = { 0x04, 0xaa, 0xbb, 0xcc };

static void make(struct fx *f, bool debug)
{
    vt_sim_nitro_opts o;
    vt_err err = { 0 };

    memset(&o, 0, sizeof(o));
    o.debug = debug;
    o.nonce = nonce;
    o.nonce_len = sizeof(nonce);
    o.user_data = ud;
    o.user_data_len = sizeof(ud);
    o.public_key = pk;
    o.public_key_len = sizeof(pk);
    o.now = T0;
    o.state_dir = f->state;
    f->doc.len = 0;
    if (vt_sim_nitro(&f->doc, &o, &err) != VT_OK)
        fail_msg("vt_sim_nitro: %s", err.msg);
}

static vt_status verify(vt_result *res, const struct fx *f, const uint8_t *p, size_t len, bool trust, bool debug_ok)
{
    vt_verify_opts vo;
    vt_err err = { 0 };

    memset(&vo, 0, sizeof(vo));
    vo.now = T0 + 600;
    vo.trust_sim = trust;
    vo.state_dir = f->state;
    vo.allow_missing_collateral = true; /* no AWS PKI behind a simulation root: TCB unknown */
    vo.allow_debug = debug_ok;
    vo.expected_report_data = nonce;
    vo.expected_report_data_len = sizeof(nonce);
    return vt_evidence_verify(res, p, len, &vo, &err);
}

static bool has_error(const vt_result *r, const char *check)
{
    for (size_t i = 0; i < r->error_count; i++)
        if (strcmp(r->errors[i].check, check) == 0)
            return true;
    return false;
}

static void test_tee_nitro_sim__roundtrip(void **state)
{
    struct fx *f = *state;
    vt_result res;
    vt__nitro_doc *d = calloc(1, sizeof(*d));
    vt_err err = { 0 };

    assert_non_null(d);
    make(f, false);
    assert_int_equal(f->doc.data[0], 0x84); /* untagged COSE_Sign1, like the NSM */
    assert_int_equal(vt_evidence_probe(f->doc.data, f->doc.len), VT_TEE_NITRO);
    assert_int_equal(vt__nitro_doc_parse(d, f->doc.data, f->doc.len, &err), VT_OK);
    assert_int_equal(d->cabundle_count, 2);
    assert_int_equal(d->pcr_count, 16);
    assert_int_equal(d->timestamp_ms, (uint64_t)T0 * 1000);
    assert_memory_equal(d->nonce.data, nonce, sizeof(nonce));
    assert_memory_equal(d->user_data.data, ud, sizeof(ud));
    assert_memory_equal(d->public_key.data, pk, sizeof(pk));
    free(d);

    assert_int_equal(verify(&res, f, f->doc.data, f->doc.len, true, false), VT_OK);
    assert_true(res.valid);
    /* The simulator's PKI stands for AWS's: no TCB applies, as for a real chain; simulated
     * evidence is told apart by hardware_attested (and refused by appraisal without
     * allow_simulated), as for the TDX simulator. */
    assert_int_equal(res.verdict, VT_VERDICT_AFFIRMING);
    assert_string_equal(res.claims.tcb_status, "NotApplicable");
    assert_true(res.signature_valid);
    assert_true(res.chain_valid);
    assert_false(res.claims.hardware_attested);
    assert_false(res.claims.debug);
    assert_memory_equal(res.claims.report_data, nonce, sizeof(nonce));
    assert_non_null(vt_claims_get(&res.claims, "pcr8"));
    assert_memory_equal(vt_claims_get(&res.claims, "user_data")->value, ud, sizeof(ud));
}

static void test_tee_nitro_sim__untrusted_root(void **state)
{
    struct fx *f = *state;
    vt_result res;

    make(f, false);
    assert_int_equal(verify(&res, f, f->doc.data, f->doc.len, false, false), VT_OK);
    assert_false(res.valid);
    assert_false(res.chain_valid);
    assert_true(has_error(&res, "cert_chain"));
}

static void test_tee_nitro_sim__debug_rejected(void **state)
{
    struct fx *f = *state;
    vt_result res;
    const vt_claim *p0;

    make(f, true);
    assert_int_equal(verify(&res, f, f->doc.data, f->doc.len, true, false), VT_OK);
    assert_false(res.valid);
    assert_true(res.signature_valid);
    assert_true(res.claims.debug);
    assert_true(has_error(&res, "debug"));
    p0 = vt_claims_get(&res.claims, "pcr0");
    assert_non_null(p0);
    for (size_t i = 0; i < p0->len; i++)
        assert_int_equal(p0->value[i], 0);
    assert_int_equal(verify(&res, f, f->doc.data, f->doc.len, true, true), VT_OK);
    assert_true(res.valid); /* allowed explicitly: a warning */
}

static void test_tee_nitro_sim__wrong_nonce(void **state)
{
    struct fx *f = *state;
    vt_result res;
    vt_verify_opts vo;
    uint8_t other[64];
    vt_err err = { 0 };

    make(f, false);
    memcpy(other, nonce, sizeof(other));
    other[0] ^= 1;
    memset(&vo, 0, sizeof(vo));
    vo.now = T0 + 600;
    vo.trust_sim = true;
    vo.state_dir = f->state;
    vo.allow_missing_collateral = true;
    vo.expected_report_data = other;
    vo.expected_report_data_len = sizeof(other);
    assert_int_equal(vt_evidence_verify(&res, f->doc.data, f->doc.len, &vo, &err), VT_OK);
    assert_false(res.valid);
    assert_true(has_error(&res, "report_data"));
}

/* Every byte of the payload and signature is signed: flipping one is never accepted. */
static void test_tee_nitro_sim__bit_flips(void **state)
{
    struct fx *f = *state;
    vt_result res;
    uint8_t *p;
    size_t step;

    make(f, false);
    p = malloc(f->doc.len);
    assert_non_null(p);
    step = f->doc.len / 97 + 1;
    for (size_t i = 0; i < f->doc.len; i += step) {
        vt_status rc;

        memcpy(p, f->doc.data, f->doc.len);
        p[i] ^= 0x01;
        rc = verify(&res, f, p, f->doc.len, true, false);
        if (rc == VT_OK && res.valid)
            fail_msg("flip at byte %zu of %zu accepted", i, f->doc.len);
    }
    /* The last byte of the signature. */
    memcpy(p, f->doc.data, f->doc.len);
    p[f->doc.len - 1] ^= 0x80;
    assert_int_equal(verify(&res, f, p, f->doc.len, true, false), VT_OK);
    assert_false(res.signature_valid);
    free(p);
}

static void test_tee_nitro_sim__truncations(void **state)
{
    struct fx *f = *state;
    vt_result res;

    make(f, false);
    for (size_t n = 0; n < f->doc.len; n += (n < 64 ? 1 : 37)) {
        vt_status rc = verify(&res, f, f->doc.data, n, true, false);
        if (rc != VT_E_FORMAT)
            fail_msg("prefix of %zu bytes: status %d, not a format error", n, rc);
        assert_false(res.valid);
    }
}

static void test_tee_nitro_sim__bad_args(void **state)
{
    struct fx *f = *state;
    vt_sim_nitro_opts o;
    vt_err err = { 0 };
    static uint8_t big[NITRO_OPT_MAX + 1];

    memset(&o, 0, sizeof(o));
    o.state_dir = f->state;
    assert_int_equal(vt_sim_nitro(&f->doc, &o, &err), VT_E_ARG); /* no time */
    o.now = T0;
    o.nonce = big;
    o.nonce_len = sizeof(big);
    assert_int_equal(vt_sim_nitro(&f->doc, &o, &err), VT_E_ARG);
    assert_int_equal(f->doc.len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tee_nitro_sim__roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_nitro_sim__untrusted_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_nitro_sim__debug_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_nitro_sim__wrong_nonce, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_nitro_sim__bit_flips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_nitro_sim__truncations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_nitro_sim__bad_args, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
