/* Simulated SEV-SNP evidence through the real verifier (vt_evidence_verify ->
 * tee/sevsnp.c): anchored in the simulation root only with trust_sim, and
 * never hardware_attested. */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>

#define T0 1775001600 /* 2026-04-01T00:00:00Z */

struct run {
    bool debug, untrusted, wrong_rd, no_smt, migrate_ma;
    uint32_t vmpl;
};

static void verify_sim(vt_result *res, const vt_test_state_dir *f, const struct run *r)
{
    vt_sim_sevsnp_opts so;
    vt_verify_opts vo;
    uint8_t want[64];
    vt_buf q = { 0 };
    vt_collateral *c = NULL;
    vt_err err = { 0 };

    memset(&so, 0, sizeof(so));
    so.debug = r->debug;
    so.no_smt = r->no_smt;
    so.migrate_ma = r->migrate_ma;
    so.vmpl = r->vmpl;
    so.now = T0;
    so.state_dir = f->state;
    for (int i = 0; i < 64; i++)
        so.report_data[i] = (uint8_t)(i + 1);
    memcpy(want, so.report_data, sizeof(want));
    if (r->wrong_rd)
        want[0] ^= 1;
    assert_int_equal(vt_collateral_new(&c, &err), VT_OK);
    if (vt_sim_sevsnp(&q, c, &so, &err) != VT_OK)
        fail_msg("vt_sim_sevsnp: %s", err.msg);
    assert_int_equal(q.len, 1184);
    assert_int_equal(vt_collateral_count(c), 2);

    memset(&vo, 0, sizeof(vo));
    vo.now = T0;
    vo.collateral = c;
    vo.expected_report_data = want;
    vo.expected_report_data_len = 64;
    vo.trust_sim = !r->untrusted;
    vo.state_dir = f->state;
    assert_int_equal(vt_evidence_verify(res, q.data, q.len, &vo, &err), VT_OK);
    assert_int_equal(res->claims.platform, VT_TEE_SEVSNP);
    assert_false(res->claims.hardware_attested);
    vt_collateral_free(c);
    vt_buf_free(&q);
}

static bool has_error(const vt_result *res, const char *check)
{
    for (size_t i = 0; i < res->error_count; i++)
        if (strcmp(res->errors[i].check, check) == 0)
            return true;
    return false;
}

static void dump(const vt_result *res)
{
    for (size_t i = 0; i < res->error_count; i++)
        print_message("error %s: %s\n", res->errors[i].check, res->errors[i].msg);
    for (size_t i = 0; i < res->warning_count; i++)
        print_message("warning %s: %s\n", res->warnings[i].check, res->warnings[i].msg);
}

static void test_tee_sevsnp_sim__verify_affirming(void **state)
{
    static vt_result res;
    struct run r = { 0 };

    verify_sim(&res, *state, &r);
    if (res.verdict != VT_VERDICT_WARNING)
        dump(&res);
    /* Everything verifies; the only warning is the TCB status nobody compared with a minimum. */
    assert_int_equal(res.verdict, VT_VERDICT_WARNING);
    assert_int_equal(res.error_count, 0);
    assert_int_equal(res.warning_count, 1);
    assert_string_equal(res.warnings[0].check, "tcb_status");
    assert_true(res.valid);
    assert_true(res.signature_valid);
    assert_true(res.chain_valid);
    assert_true(res.collateral_verified);
    assert_string_equal(res.claims.tcb_status, "Unknown");
    assert_int_equal(res.claims.version, 3);
    assert_false(res.claims.debug);
    assert_non_null(vt_claims_get(&res.claims, "measurement"));
}

static void test_tee_sevsnp_sim__second_report_same_ca(void **state)
{
    static vt_result res;
    struct run r = { 0 };

    /* The ASK made by the first run is reused; the VCEK is fresh. */
    verify_sim(&res, *state, &r);
    verify_sim(&res, *state, &r);
    assert_int_equal(res.verdict, VT_VERDICT_WARNING);
    assert_int_equal(res.error_count, 0);
}

static uint64_t claim_le(const vt_result *res, const char *name)
{
    const vt_claim *c = vt_claims_get(&res->claims, name);
    uint64_t v = 0;

    assert_non_null(c);
    for (size_t i = c->len; i > 0; i--)
        v = (v << 8) | c->value[i - 1];
    return v;
}

/* The policy variants the appraisal judges (VMPL, SMT, migration agent) verify as evidence and
 * come out as claims; only the migration agent is also a verifier warning. */
static void test_tee_sevsnp_sim__policy_variants(void **state)
{
    static vt_result res;
    struct run r = { .vmpl = 2, .no_smt = true };

    verify_sim(&res, *state, &r);
    assert_int_equal(res.error_count, 0);
    assert_int_equal(claim_le(&res, "vmpl"), 2);
    assert_int_equal(claim_le(&res, "policy") & (1u << 16), 0);
    assert_int_equal(claim_le(&res, "platform_info") & 1, 0);
    r = (struct run){ .migrate_ma = true };
    verify_sim(&res, *state, &r);
    assert_int_equal(res.error_count, 0);
    assert_true(claim_le(&res, "policy") & (1u << 18));
    assert_int_equal(res.warning_count, 2);
    assert_true(strcmp(res.warnings[0].check, "migration_agent") == 0 ||
                strcmp(res.warnings[1].check, "migration_agent") == 0);
}

static void test_tee_sevsnp_sim__verify_debug(void **state)
{
    static vt_result res;
    struct run r = { .debug = true };

    verify_sim(&res, *state, &r);
    assert_int_equal(res.verdict, VT_VERDICT_CONTRAINDICATED);
    assert_false(res.valid);
    assert_true(res.claims.debug);
    assert_true(has_error(&res, "debug"));
}

static void test_tee_sevsnp_sim__untrusted_rejected(void **state)
{
    static vt_result res;
    struct run r = { .untrusted = true };

    verify_sim(&res, *state, &r);
    assert_int_equal(res.verdict, VT_VERDICT_CONTRAINDICATED);
    assert_false(res.valid);
    assert_false(res.chain_valid);
    assert_true(has_error(&res, "vcek_chain"));
}

static void test_tee_sevsnp_sim__wrong_report_data_rejected(void **state)
{
    static vt_result res;
    struct run r = { .wrong_rd = true };

    verify_sim(&res, *state, &r);
    assert_int_equal(res.verdict, VT_VERDICT_CONTRAINDICATED);
    assert_false(res.valid);
    assert_true(res.signature_valid);
    assert_true(has_error(&res, "report_data"));
}

/* A test with a fresh state directory of its own. */
#define IN_STATE_DIR(t) cmocka_unit_test_setup_teardown(t, vt_test_state_dir_setup, vt_test_state_dir_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        IN_STATE_DIR(test_tee_sevsnp_sim__verify_affirming),
        IN_STATE_DIR(test_tee_sevsnp_sim__second_report_same_ca),
        IN_STATE_DIR(test_tee_sevsnp_sim__verify_debug),
        IN_STATE_DIR(test_tee_sevsnp_sim__policy_variants),
        IN_STATE_DIR(test_tee_sevsnp_sim__untrusted_rejected),
        IN_STATE_DIR(test_tee_sevsnp_sim__wrong_report_data_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
