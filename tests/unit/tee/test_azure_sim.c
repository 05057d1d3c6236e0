/* Simulated Azure confidential VMs (vt_sim_azure) verified through the TPM
 * plugin and appraised as the verifier does (verify with the environment's
 * allow_debug, then vt_appraise): the CPU TEE beneath the HCL report is judged
 * by the same rules as a plain SEV-SNP report or TD quote.  As Azure makes
 * them, an SEV-SNP CVM (SMT allowed, VMPL 0) and a TDX CVM (TD_ATTRIBUTES 0)
 * pass the default environment; a debug guest, one at a higher VMPL, one with
 * a migration agent, one with SMT under an environment that refuses it, and a
 * TD with DEBUG or an attribute the environment pins are each refused, for
 * that reason. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1775001600 /* 2026-04-01T00:00:00Z */

typedef struct outcome {
    vt_result res;
    vt_appraisal ap;
} outcome;

/* Makes the envelope, verifies it with env's allow_debug and appraises it under env
 * ({"id":"azure","allow_simulated":true} plus extra). */
static void run(outcome *out, const vt_test_state_dir *f, const vt_sim_azure_opts *given, const char *extra)
{
    vt_sim_azure_opts o = *given;
    vt_verify_opts vo;
    vt_collateral *coll = NULL;
    vt_buf ev;
    vt_env env;
    vt_err err = { 0 };
    char json[512];

    snprintf(json, sizeof(json), "{\"id\":\"azure\",\"allow_simulated\":true%s}", extra != NULL ? extra : "");
    if (vt_env_parse(&env, json, strlen(json), NULL, &err) != VT_OK)
        fail_msg("env: %s", err.msg);
    o.version = 1;
    o.now = T0;
    o.state_dir = f->state;
    o.report_data_len = 32;
    memset(o.report_data, 0x5a, 32);
    vt_buf_init(&ev);
    assert_int_equal(vt_collateral_new(&coll, &err), VT_OK);
    if (vt_sim_azure(&ev, coll, &o, &err) != VT_OK)
        fail_msg("vt_sim_azure: %s", err.msg);
    memset(&vo, 0, sizeof(vo));
    vo.now = T0;
    vo.collateral = coll;
    vo.expected_report_data = o.report_data;
    vo.expected_report_data_len = o.report_data_len;
    vo.allow_debug = env.allow_debug;
    vo.trust_sim = true;
    vo.state_dir = f->state;
    memset(out, 0, sizeof(*out));
    assert_int_equal(vt_evidence_verify(&out->res, ev.data, ev.len, &vo, &err), VT_OK);
    assert_int_equal(out->res.claims.platform, VT_TEE_TPM);
    assert_int_equal(vt_appraise(&out->ap, &out->res, NULL, &env, T0, T0, &err), VT_OK);
    if (getenv("VT_TEST_VERBOSE") != NULL)
        print_message("tee %s: %s\n", vt_ear_status_name(out->ap.sub[VT_SUBMOD_TEE].status),
                      out->ap.sub[VT_SUBMOD_TEE].reason);
    vt_collateral_free(coll);
    vt_buf_free(&ev);
}

static const vt_appraisal_sub *tee(const outcome *o)
{
    return &o->ap.sub[VT_SUBMOD_TEE];
}

/* Passed the CPU TEE's rules: configuration approved, nothing worse than the warnings
 * simulated evidence and unpinned images always get. */
static void cpu_rules_pass(const outcome *o)
{
    if (tee(o)->status == VT_EAR_CONTRAINDICATED || tee(o)->tv[VT_AR4SI_CONFIGURATION] != 2)
        fail_msg("refused: %s", tee(o)->reason);
}

/* Refused with configuration 96, the reason saying why. */
static void refused_for(const outcome *o, const char *why)
{
    assert_int_equal(tee(o)->status, VT_EAR_CONTRAINDICATED);
    assert_int_equal(tee(o)->tv[VT_AR4SI_CONFIGURATION], 96);
    if (strstr(tee(o)->reason, why) == NULL)
        fail_msg("reason \"%s\" does not say \"%s\"", tee(o)->reason, why);
}

static const vt_claim *claim(const outcome *o, const char *name)
{
    const vt_claim *c = vt_claims_get(&o->res.claims, name);

    if (c == NULL)
        fail_msg("no claim %s", name);
    return c;
}

static uint64_t claim_le(const outcome *o, const char *name)
{
    const vt_claim *c = claim(o, name);
    uint64_t v = 0;

    for (size_t i = c->len; i > 0; i--)
        v = (v << 8) | c->value[i - 1];
    return v;
}

static void test_tee_azure_sim__snp_as_azure_makes_it_passes(void **state)
{
    static outcome o;
    vt_sim_azure_opts a = { 0 };

    run(&o, *state, &a, NULL);
    assert_true(o.res.valid);
    cpu_rules_pass(&o);
    /* The SEV-SNP report's configuration, named as composite evidence names its CPU's. */
    assert_int_equal(claim(&o, "cpu_platform")->len, 6);
    assert_memory_equal(claim(&o, "cpu_platform")->value, "sevsnp", 6);
    assert_int_equal(claim(&o, "cpu.policy")->len, 8);
    assert_true(claim_le(&o, "cpu.policy") & (1u << 16)); /* SMT allowed */
    assert_int_equal(claim(&o, "cpu.vmpl")->len, 4);
    assert_int_equal(claim_le(&o, "cpu.vmpl"), 0);
    assert_false(o.res.claims.debug);
}

static void test_tee_azure_sim__snp_debug_refused(void **state)
{
    static outcome o;
    vt_sim_azure_opts a = { .debug = true };

    run(&o, *state, &a, NULL);
    assert_true(o.res.claims.debug);
    refused_for(&o, "debug mode");
    /* Allowed by the environment: a warning, never affirming. */
    run(&o, *state, &a, ",\"allow_debug\":true");
    assert_int_equal(tee(&o)->status, VT_EAR_WARNING);
    assert_int_equal(tee(&o)->tv[VT_AR4SI_CONFIGURATION], 32);
}

static void test_tee_azure_sim__snp_vmpl_above_the_environment_refused(void **state)
{
    static outcome o;
    vt_sim_azure_opts a = { .vmpl = 2 };

    run(&o, *state, &a, NULL);
    assert_int_equal(claim_le(&o, "cpu.vmpl"), 2);
    refused_for(&o, "sevsnp report is from VMPL 2; environment azure accepts at most VMPL 0");
    run(&o, *state, &a, ",\"sevsnp_max_vmpl\":2");
    cpu_rules_pass(&o);
}

static void test_tee_azure_sim__snp_smt_refused_when_the_environment_does(void **state)
{
    static outcome o;
    vt_sim_azure_opts a = { 0 };

    run(&o, *state, &a, ",\"sevsnp_allow_smt\":false");
    refused_for(&o, "sevsnp policy allows SMT; environment azure refuses it");
    a.no_smt = true;
    run(&o, *state, &a, ",\"sevsnp_allow_smt\":false");
    cpu_rules_pass(&o);
}

static void test_tee_azure_sim__snp_migration_agent_refused(void **state)
{
    static outcome o;
    vt_sim_azure_opts a = { .migrate_ma = true };

    run(&o, *state, &a, NULL);
    refused_for(&o, "sevsnp policy allows a migration agent; environment refuses it");
    run(&o, *state, &a, ",\"sevsnp_allow_migration_agent\":true");
    assert_int_equal(tee(&o)->status, VT_EAR_WARNING);
    assert_int_equal(tee(&o)->tv[VT_AR4SI_CONFIGURATION], 32);
}

static void test_tee_azure_sim__tdx_as_azure_makes_it_passes(void **state)
{
    static outcome o;
    vt_sim_azure_opts a = { .tdx = true };

    run(&o, *state, &a, NULL);
    assert_true(o.res.valid);
    /* TD_ATTRIBUTES 0, SEPT_VE_DISABLE clear as Azure's paravisor TD reports it: not judged by
     * the plain TD default (tdx_td_attributes), which would refuse it. */
    cpu_rules_pass(&o);
    assert_int_equal(claim(&o, "cpu_platform")->len, 3);
    assert_memory_equal(claim(&o, "cpu_platform")->value, "tdx", 3);
    assert_int_equal(claim(&o, "cpu.td_attributes")->len, 8);
    assert_int_equal(claim_le(&o, "cpu.td_attributes"), 0);
    assert_false(o.res.claims.debug);
}

static void test_tee_azure_sim__tdx_debug_refused(void **state)
{
    static outcome o;
    vt_sim_azure_opts a = { .tdx = true, .debug = true };

    run(&o, *state, &a, NULL);
    assert_true(o.res.claims.debug);
    assert_int_equal(claim_le(&o, "cpu.td_attributes"), 1);
    refused_for(&o, "debug mode");
    refused_for(&o, "Azure CVM td_attributes 0x0000000000000001 differ from environment azure's ");
    run(&o, *state, &a, ",\"allow_debug\":true");
    assert_int_equal(tee(&o)->status, VT_EAR_WARNING);
    assert_int_equal(tee(&o)->tv[VT_AR4SI_CONFIGURATION], 32);
}

/* Bits the environment pins for Azure TDs (here MIGRATABLE and PERFMON clear) are judged like a
 * plain TD's under tdx_td_attributes; the plain TD's pins do not apply to Azure's TD. */
static void test_tee_azure_sim__tdx_attributes_under_the_environment_mask(void **state)
{
    static outcome o;
    vt_sim_azure_opts a = { .tdx = true, .td_attributes = (1ull << 29) | (1ull << 63) };
    const char *pin = ",\"azure_tdx_td_attributes_mask\":\"0100002000000080\"";

    run(&o, *state, &a, NULL);
    cpu_rules_pass(&o); /* outside the default mask */
    run(&o, *state, &a, ",\"tdx_td_attributes\":\"0000001000000000\",\"tdx_td_attributes_mask\":\"0100003000000080\"");
    cpu_rules_pass(&o);
    run(&o, *state, &a, pin);
    refused_for(&o, "MIGRATABLE set, PERFMON set");
    a.td_attributes = 0;
    run(&o, *state, &a, pin);
    cpu_rules_pass(&o);
}

#define IN_STATE_DIR(t) cmocka_unit_test_setup_teardown(t, vt_test_state_dir_setup, vt_test_state_dir_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        IN_STATE_DIR(test_tee_azure_sim__snp_as_azure_makes_it_passes),
        IN_STATE_DIR(test_tee_azure_sim__snp_debug_refused),
        IN_STATE_DIR(test_tee_azure_sim__snp_vmpl_above_the_environment_refused),
        IN_STATE_DIR(test_tee_azure_sim__snp_smt_refused_when_the_environment_does),
        IN_STATE_DIR(test_tee_azure_sim__snp_migration_agent_refused),
        IN_STATE_DIR(test_tee_azure_sim__tdx_as_azure_makes_it_passes),
        IN_STATE_DIR(test_tee_azure_sim__tdx_debug_refused),
        IN_STATE_DIR(test_tee_azure_sim__tdx_attributes_under_the_environment_mask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
