/* The mock platform through the unified API: the same registry path every
 * platform takes, so these also cover nonce binding and verdict policy. */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>

struct fx {
    char state[512];
    vt_buf ev;
    uint8_t rd[64];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    vt_collect_opts co;
    vt_tee_kind kind;
    vt_err err = { 0 };

    vt_test_mkdtemp(f->state, sizeof(f->state));
    memset(&co, 0, sizeof(co));
    co.platform = VT_TEE_MOCK;
    co.state_dir = f->state;
    for (int i = 0; i < 64; i++)
        f->rd[i] = (uint8_t)(i * 7);
    memcpy(co.report_data, f->rd, 64);
    vt_buf_init(&f->ev);
    assert_int_equal(vt_evidence_collect(&f->ev, &kind, &co, &err), VT_OK);
    assert_int_equal(kind, VT_TEE_MOCK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    vt_buf_free(&f->ev);
    vt_test_rmdir(f->state);
    free(f);
    return 0;
}

static void opts_for(vt_verify_opts *o, struct fx *f)
{
    memset(o, 0, sizeof(*o));
    o->now = vt_time_now();
    o->trust_sim = true;
    o->state_dir = f->state;
    o->expected_report_data = f->rd;
    o->expected_report_data_len = 64;
}

static void test_tee_mock__verifies_with_trusted_key(void **state)
{
    struct fx *f = *state;
    vt_verify_opts o;
    vt_result r;
    vt_err err = { 0 };
    char *json = NULL;

    opts_for(&o, f);
    assert_int_equal(vt_evidence_probe(f->ev.data, f->ev.len), VT_TEE_MOCK);
    assert_int_equal(vt_evidence_verify(&r, f->ev.data, f->ev.len, &o, &err), VT_OK);
    assert_true(r.valid);
    assert_int_equal(r.verdict, VT_VERDICT_AFFIRMING);
    assert_false(r.claims.hardware_attested);
    assert_true(r.signature_valid);
    assert_true(r.chain_valid);
    assert_memory_equal(r.claims.report_data, f->rd, 64);
    assert_non_null(vt_claims_get(&r.claims, "mr"));
    assert_int_equal(vt_result_to_json(&json, &r, &err), VT_OK);
    assert_non_null(strstr(json, "\"hardware_attested\": false"));
    assert_non_null(strstr(json, "\"platform\": \"mock\""));
    free(json);
}

static void test_tee_mock__untrusted_without_trust_sim(void **state)
{
    struct fx *f = *state;
    vt_verify_opts o;
    vt_result r;

    opts_for(&o, f);
    o.trust_sim = false;
    assert_int_equal(vt_evidence_verify(&r, f->ev.data, f->ev.len, &o, NULL), VT_OK);
    assert_false(r.valid);
    assert_int_equal(r.verdict, VT_VERDICT_CONTRAINDICATED);
    assert_string_equal(r.errors[0].check, "mock_key");
}

static void test_tee_mock__other_state_dir_key_rejected(void **state)
{
    struct fx *f = *state;
    vt_verify_opts o;
    vt_result r;
    vt_collect_opts co;
    vt_tee_kind kind;
    vt_buf other;
    char dir[512];

    vt_test_mkdtemp(dir, sizeof(dir));
    memset(&co, 0, sizeof(co));
    co.platform = VT_TEE_MOCK;
    co.state_dir = dir;
    memcpy(co.report_data, f->rd, 64);
    vt_buf_init(&other);
    assert_int_equal(vt_evidence_collect(&other, &kind, &co, NULL), VT_OK);
    opts_for(&o, f); /* trusts f->state's key, not dir's */
    assert_int_equal(vt_evidence_verify(&r, other.data, other.len, &o, NULL), VT_OK);
    assert_false(r.valid);
    assert_true(r.signature_valid);
    assert_false(r.chain_valid);
    vt_buf_free(&other);
    vt_test_rmdir(dir);
}

static void test_tee_mock__wrong_report_data_rejected(void **state)
{
    struct fx *f = *state;
    vt_verify_opts o;
    vt_result r;
    uint8_t other[32] = { 1 };

    opts_for(&o, f);
    o.expected_report_data = other;
    o.expected_report_data_len = sizeof(other);
    assert_int_equal(vt_evidence_verify(&r, f->ev.data, f->ev.len, &o, NULL), VT_OK);
    assert_false(r.valid);
    assert_string_equal(r.errors[0].check, "report_data");
}

static void test_tee_mock__every_bit_flip_rejected(void **state)
{
    struct fx *f = *state;
    vt_verify_opts o;
    vt_result *r = malloc(sizeof(*r));

    opts_for(&o, f);
    o.expected_report_data = NULL; /* the signature alone must catch every flip */
    o.expected_report_data_len = 0;
    for (size_t i = 0; i < f->ev.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            f->ev.data[i] ^= (uint8_t)(1u << bit);
            if (vt_evidence_verify(r, f->ev.data, f->ev.len, &o, NULL) != VT_OK)
                assert_false(r->valid);
            if (r->valid)
                fail_msg("flip of byte %zu bit %d accepted", i, bit);
            f->ev.data[i] ^= (uint8_t)(1u << bit);
        }
    }
    free(r);
}

static void test_tee_mock__every_truncation_is_format_error(void **state)
{
    struct fx *f = *state;
    vt_verify_opts o;
    vt_result r;

    opts_for(&o, f);
    o.platform = VT_TEE_MOCK;
    for (size_t n = 0; n < f->ev.len; n++) {
        vt_err err = { 0 };
        assert_int_equal(vt_evidence_verify(&r, f->ev.data, n, &o, &err), VT_E_FORMAT);
        assert_false(r.valid);
        assert_true(err.msg[0] != '\0');
    }
}

static void test_tee_mock__garbage_is_not_evidence(void **state)
{
    vt_verify_opts o;
    vt_result r;
    vt_err err = { 0 };
    const uint8_t junk[] = "this is not evidence";

    (void)state;
    memset(&o, 0, sizeof(o));
    o.now = vt_time_now();
    assert_int_equal(vt_evidence_probe(junk, sizeof(junk)), VT_TEE_NONE);
    assert_int_equal(vt_evidence_verify(&r, junk, sizeof(junk), &o, &err), VT_E_FORMAT);
    assert_false(r.valid);
    assert_int_equal(r.verdict, VT_VERDICT_CONTRAINDICATED);
    o.now = 0;
    assert_int_equal(vt_evidence_verify(&r, junk, sizeof(junk), &o, &err), VT_E_ARG);
}

static void test_tee_mock__strict_and_debug_policy(void **state)
{
    struct fx *f = *state;
    vt_verify_opts o;
    vt_result r;

    /* Mock evidence has no warnings, so strict changes nothing. */
    opts_for(&o, f);
    o.strict = true;
    assert_int_equal(vt_evidence_verify(&r, f->ev.data, f->ev.len, &o, NULL), VT_OK);
    assert_int_equal(r.verdict, VT_VERDICT_AFFIRMING);
}

static void test_tee_mock__inspect(void **state)
{
    struct fx *f = *state;
    char *json = NULL;

    assert_int_equal(vt_evidence_inspect(&json, VT_TEE_NONE, f->ev.data, f->ev.len, NULL), VT_OK);
    assert_non_null(strstr(json, "\"public_key\""));
    free(json);
    assert_int_equal(vt_evidence_inspect(&json, VT_TEE_MOCK, f->ev.data, 10, NULL), VT_E_FORMAT);
    assert_null(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tee_mock__verifies_with_trusted_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_mock__untrusted_without_trust_sim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_mock__other_state_dir_key_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_mock__wrong_report_data_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_mock__every_bit_flip_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_mock__every_truncation_is_format_error, setup, teardown),
        cmocka_unit_test(test_tee_mock__garbage_is_not_evidence),
        cmocka_unit_test_setup_teardown(test_tee_mock__strict_and_debug_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_mock__inspect, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
