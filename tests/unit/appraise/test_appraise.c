/* The appraisal matrix over mock evidence verified through the registry. */
#include "appraise_fx.h"

static vt_appraisal ap_run(struct fx *f, const vt_mlog *log, vt_time evidence_time)
{
    vt_appraisal a;
    vt_err err = { 0 };

    assert_int_equal(vt_appraise(&a, &f->res, log, &f->env, evidence_time, f->now, &err), VT_OK);
    return a;
}

static void test_appraise_appraise__good_is_affirming(void **state)
{
    struct fx *f = *state;
    vt_appraisal a = ap_run(f, f->log, f->now - 5);
    char hex[65];

    assert_int_equal(a.status, VT_EAR_AFFIRMING);
    for (int s = 0; s < VT_SUBMOD_COUNT; s++) {
        assert_int_equal(a.sub[s].status, VT_EAR_AFFIRMING);
        assert_string_equal(a.sub[s].reason, "");
    }
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_INSTANCE_IDENTITY], 2);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_HARDWARE], 0); /* mock: no hardware claim */
    assert_int_equal(a.sub[VT_SUBMOD_MODEL].tv[VT_AR4SI_FILE_SYSTEM], 2);
    fx_hex(hex, f->model, 32);
    assert_string_equal(a.sub[VT_SUBMOD_MODEL].measured, hex);
    assert_non_null(strchr(a.sub[VT_SUBMOD_AUDITORS].measured, ','));
}

static void test_appraise_appraise__wrong_model_digest(void **state)
{
    struct fx *f = *state;
    uint8_t other[32];
    vt_appraisal a;

    /* An environment that lists another model. */
    fx_digest(other, "other weights");
    memcpy(f->env.digests[VT_SUBMOD_MODEL][0].value, other, 32);
    a = ap_run(f, f->log, f->now);
    assert_int_equal(a.status, VT_EAR_CONTRAINDICATED);
    assert_int_equal(a.sub[VT_SUBMOD_MODEL].status, VT_EAR_CONTRAINDICATED);
    assert_int_equal(a.sub[VT_SUBMOD_MODEL].tv[VT_AR4SI_FILE_SYSTEM], 96);
    assert_true(strncmp(a.sub[VT_SUBMOD_MODEL].reason, "model: digest ", 14) == 0);
    assert_non_null(strstr(a.sub[VT_SUBMOD_MODEL].reason, "is not a reference value of environment prod"));
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);
    assert_int_equal(a.sub[VT_SUBMOD_AUDITORS].status, VT_EAR_AFFIRMING);
}

static void test_appraise_appraise__unlisted_auditor(void **state)
{
    struct fx *f = *state;
    vt_appraisal a;

    f->env.digest_count[VT_SUBMOD_AUDITORS] = 1; /* only the first auditor is allowed */
    a = ap_run(f, f->log, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_AUDITORS].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_AUDITORS].reason, "(policy)"));
}

static void test_appraise_appraise__missing_component(void **state)
{
    struct fx *f = *state;
    vt_mlog *partial = NULL;
    vt_appraisal a;

    /* A log without the model, replayed into a fresh state. */
    assert_int_equal(vt_mlog_new(&partial, NULL), VT_OK);
    for (size_t i = 1; i < vt_mlog_count(f->log); i++) {
        const vt_mlog_event *e = vt_mlog_get(f->log, i);
        assert_int_equal(vt_mlog_append(partial, e->component, e->name, e->alg, e->digest, e->digest_len, NULL, NULL),
                         VT_OK);
    }
    a = ap_run(f, partial, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_MODEL].status, VT_EAR_CONTRAINDICATED);
    assert_string_equal(a.sub[VT_SUBMOD_MODEL].reason, "model: not measured (no event in the measurement log)");
    /* The partial log also does not replay to the register the evidence shows. */
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "measurement log"));
    vt_mlog_free(partial);

    a = ap_run(f, NULL, f->now);
    assert_string_equal(a.sub[VT_SUBMOD_CONFIG].reason, "config: not measured (no measurement log)");
    assert_int_equal(a.status, VT_EAR_CONTRAINDICATED);
}

static void test_appraise_appraise__component_not_listed_is_none(void **state)
{
    struct fx *f = *state;
    vt_appraisal a;

    f->env.digest_count[VT_SUBMOD_RUNTIME] = 0;
    a = ap_run(f, f->log, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_RUNTIME].status, VT_EAR_NONE);
    assert_non_null(strstr(a.sub[VT_SUBMOD_RUNTIME].reason, "not appraised"));
    assert_int_equal(a.status, VT_EAR_AFFIRMING);
}

static void test_appraise_appraise__log_mismatch_in_registry(void **state)
{
    struct fx *f = *state;
    vt_mlog *other = NULL;
    vt_appraisal a;
    uint8_t d[32];

    /* The registry replays the log the caller gives; one that does not match
     * the register is an error finding that the tee submodule names. */
    fx_digest(d, "something else");
    assert_int_equal(vt_mlog_new(&other, NULL), VT_OK);
    assert_int_equal(vt_mlog_append(other, VT_COMPONENT_MODEL, "llama-3-8b", VT_MD_SHA256, f->model, 32, NULL, NULL),
                     VT_OK);
    fx_verify(f, other);
    assert_false(f->res.valid);
    a = ap_run(f, other, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_EXECUTABLES], 96);
    assert_true(strncmp(a.sub[VT_SUBMOD_TEE].reason, "tee: the measurement log does not match the evidence", 52) == 0);
    assert_int_equal(a.status, VT_EAR_CONTRAINDICATED);
    vt_mlog_free(other);
}

static void test_appraise_appraise__debug(void **state)
{
    struct fx *f = *state;
    vt_appraisal a;

    f->res.claims.debug = true;
    a = ap_run(f, f->log, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_CONFIGURATION], 96);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "debug"));
    f->env.allow_debug = true;
    a = ap_run(f, f->log, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_WARNING);
    assert_int_equal(a.status, VT_EAR_WARNING);
}

static void test_appraise_appraise__simulated_not_allowed(void **state)
{
    struct fx *f = *state;
    vt_appraisal a;

    f->env.allow_simulated = false;
    a = ap_run(f, f->log, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_HARDWARE], 97);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "not hardware-attested"));
}

static void test_appraise_appraise__platform_not_allowed(void **state)
{
    struct fx *f = *state;
    vt_appraisal a;

    f->env.platforms = 1u << VT_TEE_TDX;
    a = ap_run(f, f->log, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "platform mock is not allowed"));
}

/* Turns the mock result into what a hardware TDX result with this TCB would be. */
static void as_tdx(struct fx *f, const char *tcb)
{
    f->res.claims.platform = VT_TEE_TDX;
    f->res.claims.hardware_attested = true;
    snprintf(f->res.claims.tcb_status, sizeof(f->res.claims.tcb_status), "%s", tcb);
}

static void test_appraise_appraise__tcb_levels(void **state)
{
    struct fx *f = *state;
    vt_appraisal a;

    as_tdx(f, "UpToDate");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_HARDWARE], 2);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_RUNTIME_OPAQUE], 2);

    as_tdx(f, "OutOfDate"); /* min UpToDate by default */
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "tcb_status OutOfDate is below UpToDate"));

    snprintf(f->env.min_tcb_status, sizeof(f->env.min_tcb_status), "%s", "ConfigurationNeeded");
    as_tdx(f, "ConfigurationAndSWHardeningNeeded");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_WARNING);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_HARDWARE], 32);
    as_tdx(f, "OutOfDateConfigurationNeeded");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);

    snprintf(f->env.min_tcb_status, sizeof(f->env.min_tcb_status), "%s", "any");
    as_tdx(f, "Revoked");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    as_tdx(f, "unknown");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);

    /* Hardware evidence without TCB information fails any TCB requirement. */
    snprintf(f->env.min_tcb_status, sizeof(f->env.min_tcb_status), "%s", "OutOfDate");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "tcb_status unknown"));
}

static void test_appraise_appraise__register_mismatch(void **state)
{
    struct fx *f = *state;
    const vt_claim *mr = vt_claims_get(&f->res.claims, "mr");
    vt_appraisal a;

    assert_non_null(mr);
    snprintf(f->env.registers[0].name, sizeof(f->env.registers[0].name), "%s", "mr");
    memcpy(f->env.registers[0].value, mr->value, mr->len);
    f->env.registers[0].len = mr->len;
    f->env.register_count = 1;
    a = ap_run(f, f->log, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_EXECUTABLES], 2);

    f->env.registers[0].value[0] ^= 1;
    a = ap_run(f, f->log, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "tee: mr is "));
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "environment prod expects"));

    snprintf(f->env.registers[0].name, sizeof(f->env.registers[0].name), "%s", "rtmr0");
    a = ap_run(f, f->log, f->now);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "has no register rtmr0"));
}

static void test_appraise_appraise__evidence_age(void **state)
{
    struct fx *f = *state;
    vt_appraisal a;

    a = ap_run(f, f->log, f->now - 300);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);
    a = ap_run(f, f->log, f->now - 301);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "evidence is 301 s old"));
    a = ap_run(f, f->log, f->now + 3600);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "future"));
}

static void test_appraise_appraise__rejected_evidence(void **state)
{
    struct fx *f = *state;
    vt_verify_opts o;
    vt_appraisal a;
    vt_err err = { 0 };

    /* Without trusting the mock key the registry rejects the chain. */
    memset(&o, 0, sizeof(o));
    o.now = f->now;
    o.state_dir = f->state;
    assert_int_equal(vt_evidence_verify(&f->res, f->ev.data, f->ev.len, &o, NULL), VT_OK);
    assert_false(f->res.valid);
    a = ap_run(f, f->log, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "evidence rejected"));
    assert_int_equal(vt_appraise(&a, NULL, f->log, &f->env, 0, f->now, &err), VT_E_ARG);
}

static void test_appraise_ear__names(void **state)
{
    vt_ear_status s;

    (void)state;
    assert_string_equal(vt_ear_status_name(VT_EAR_CONTRAINDICATED), "contraindicated");
    assert_int_equal(vt_ear_status_parse(&s, "warning", NULL), VT_OK);
    assert_int_equal(s, VT_EAR_WARNING);
    assert_int_equal(vt_ear_status_parse(&s, "ok", NULL), VT_E_FORMAT);
    assert_string_equal(vt_ar4si_name(VT_AR4SI_RUNTIME_OPAQUE), "runtime-opaque");
    assert_int_equal(vt_ar4si_tier(1), VT_EAR_NONE);
    assert_int_equal(vt_ar4si_tier(-1), VT_EAR_NONE);
    assert_int_equal(vt_ar4si_tier(31), VT_EAR_AFFIRMING);
    assert_int_equal(vt_ar4si_tier(32), VT_EAR_WARNING);
    assert_int_equal(vt_ar4si_tier(96), VT_EAR_CONTRAINDICATED);
    assert_int_equal(vt_ar4si_tier(-128), VT_EAR_CONTRAINDICATED);
    assert_string_equal(vt_submod_name(VT_SUBMOD_AUDITORS), "auditors");
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_appraise_appraise__good_is_affirming),
        T(test_appraise_appraise__wrong_model_digest),
        T(test_appraise_appraise__unlisted_auditor),
        T(test_appraise_appraise__missing_component),
        T(test_appraise_appraise__component_not_listed_is_none),
        T(test_appraise_appraise__log_mismatch_in_registry),
        T(test_appraise_appraise__debug),
        T(test_appraise_appraise__simulated_not_allowed),
        T(test_appraise_appraise__platform_not_allowed),
        T(test_appraise_appraise__tcb_levels),
        T(test_appraise_appraise__register_mismatch),
        T(test_appraise_appraise__evidence_age),
        T(test_appraise_appraise__rejected_evidence),
        cmocka_unit_test(test_appraise_ear__names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
