/* The appraisal matrix over mock evidence verified through the registry. */
#include "appraise_fx.h"

static vt_appraisal ap_run(struct fx *f, const vt_mlog *log, vt_time evidence_time)
{
    vt_appraisal a;
    vt_err err = { 0 };

    assert_int_equal(vt_appraise(&a, &f->res, log, &f->env, evidence_time, f->now, &err), VT_OK);
    if (getenv("VT_TEST_VERBOSE") != NULL)
        print_message("tee %s: %s\n", vt_ear_status_name(a.sub[VT_SUBMOD_TEE].status), a.sub[VT_SUBMOD_TEE].reason);
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

/* Sets (or adds) a claim of the fixture's result. */
static void set_claim(struct fx *f, const char *name, const uint8_t *v, size_t len)
{
    vt_claims *c = &f->res.claims;
    vt_claim *cl = (vt_claim *)vt_claims_get(c, name);

    if (cl == NULL) {
        assert_true(c->field_count < VT_CLAIMS_MAX);
        cl = &c->fields[c->field_count++];
        snprintf(cl->name, sizeof(cl->name), "%s", name);
    }
    memcpy(cl->value, v, len);
    cl->len = len;
}

static void set_le(struct fx *f, const char *name, uint64_t v, size_t len)
{
    uint8_t b[8];

    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    set_claim(f, name, b, len);
}

/* Pins register name to the value the evidence has. */
static void pin(struct fx *f, const char *name)
{
    const vt_claim *cl = vt_claims_get(&f->res.claims, name);
    vt_env_register *r = &f->env.registers[f->env.register_count++];

    assert_non_null(cl);
    snprintf(r->name, sizeof(r->name), "%s", name);
    memcpy(r->value, cl->value, cl->len);
    r->len = cl->len;
}

/* Turns the mock result into what a hardware TDX result with this TCB would be:
 * TD_ATTRIBUTES SEPT_VE_DISABLE, and an environment pinning the TD image. */
static void as_tdx(struct fx *f, const char *tcb)
{
    static const uint8_t reg[48] = { 0x11 };

    f->res.claims.platform = VT_TEE_TDX;
    f->res.claims.hardware_attested = true;
    snprintf(f->res.claims.tcb_status, sizeof(f->res.claims.tcb_status), "%s", tcb);
    set_le(f, "td_attributes", 0x10000000, 8);
    if (vt_claims_get(&f->res.claims, "mrtd") == NULL) {
        set_claim(f, "mrtd", reg, 48);
        set_claim(f, "rtmr1", reg, 48);
        set_claim(f, "rtmr2", reg, 48);
        pin(f, "mrtd");
        pin(f, "rtmr1");
        pin(f, "rtmr2");
    }
}

/* A hardware SEV-SNP result: Milan, REPORTED_TCB bl 3 tee 0 snp 8 ucode 115, policy SMT, VMPL 0,
 * the measurement pinned. */
static void as_snp(struct fx *f)
{
    static const uint8_t meas[48] = { 0x22 };

    f->res.claims.platform = VT_TEE_SEVSNP;
    f->res.claims.hardware_attested = true;
    f->env.platforms = 0;
    snprintf(f->res.claims.tcb_status, sizeof(f->res.claims.tcb_status), "%s", "Unknown");
    set_le(f, "policy", 0x30000, 8);
    set_le(f, "vmpl", 0, 4);
    set_le(f, "amd_product", 0, 1);
    set_le(f, "reported_tcb_bl", 3, 1);
    set_le(f, "reported_tcb_tee", 0, 1);
    set_le(f, "reported_tcb_snp", 8, 1);
    set_le(f, "reported_tcb_ucode", 115, 1);
    if (vt_claims_get(&f->res.claims, "measurement") == NULL) {
        set_claim(f, "measurement", meas, 48);
        pin(f, "measurement");
    }
    f->env.snp_min_tcb[0] = (vt_env_snp_tcb){ .set = true, .bootloader = 3, .tee = 0, .snp = 8, .microcode = 115 };
}

/* Finding: an environment without TEE image reference values accepted any image as affirming. */
static void test_appraise_appraise__no_image_reference_is_warning(void **state)
{
    struct fx *f = *state;
    vt_appraisal a;

    as_tdx(f, "UpToDate");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);
    f->env.register_count = 1; /* mrtd only: rtmr1 (kernel) and rtmr2 (command line) are open */
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_WARNING);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_EXECUTABLES], 33);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "no reference value for rtmr1, rtmr2"));
    f->env.register_count = 0;
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_WARNING);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "mrtd, rtmr1, rtmr2"));

    as_snp(f);
    f->env.register_count = 0;
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_WARNING);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "no reference value for measurement"));
    pin(f, "measurement");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);
}

/* Finding: TDX enforced DEBUG only; TD_ATTRIBUTES could only be pinned exactly. */
static void test_appraise_appraise__tdx_attributes_mask(void **state)
{
    struct fx *f = *state;
    vt_appraisal a;

    as_tdx(f, "UpToDate");
    set_le(f, "td_attributes", 0, 8); /* SEPT_VE_DISABLE clear: the host can inject #VE */
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_CONFIGURATION], 96);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "SEPT_VE_DISABLE clear"));

    /* PKS, KL and PERFMON are outside the default mask. */
    set_le(f, "td_attributes", 0x10000000 | (1ull << 30) | (1ull << 31) | (1ull << 63), 8);
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);

    /* An environment that also refuses PERFMON. */
    f->env.tdx_attributes_mask |= 1ull << 63;
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "PERFMON set"));

    /* DEBUG set: refused by the mask, unless allow_debug (then the debug rule gives warning). */
    f->env.tdx_attributes_mask = VT_ENV_TDX_ATTR_MASK_DEFAULT;
    set_le(f, "td_attributes", 0x10000001, 8);
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "DEBUG set"));
    f->env.allow_debug = true;
    a = ap_run(f, NULL, f->now);
    assert_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "DEBUG set"));
}

/* Finding: SEV-SNP had no policy for VMPL (0-3 all passed), SMT or the migration agent (a warning). */
static void test_appraise_appraise__snp_policy(void **state)
{
    struct fx *f = *state;
    vt_appraisal a;

    as_snp(f);
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);
    assert_string_equal(a.tcb_status, "UpToDate");

    set_le(f, "vmpl", 1, 4);
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_CONFIGURATION], 96);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "VMPL 1; environment prod accepts at most VMPL 0"));
    f->env.snp_max_vmpl = 1;
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);

    f->env.snp_allow_smt = false;
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "allows SMT"));
    set_le(f, "policy", 0x20000, 8);
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);

    set_le(f, "policy", 0x20000 | (1ull << 18), 8);
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "migration agent"));
    f->env.snp_allow_migration_agent = true;
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_WARNING);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_CONFIGURATION], 32);
}

/* Finding: SEV-SNP was UpToDate whenever the VCEK certified REPORTED_TCB. */
static void test_appraise_appraise__snp_min_tcb(void **state)
{
    struct fx *f = *state;
    vt_appraisal a;

    as_snp(f);
    f->env.snp_min_tcb[0].microcode = 116;
    a = ap_run(f, NULL, f->now);
    assert_string_equal(a.tcb_status, "OutOfDate");
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_HARDWARE], 96);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "microcode SPL 115 is below the Milan minimum 116"));
    snprintf(f->env.min_tcb_status, sizeof(f->env.min_tcb_status), "%s", "OutOfDate");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_WARNING);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_HARDWARE], 32);

    /* Each component counts; a minimum for another product line says nothing. */
    snprintf(f->env.min_tcb_status, sizeof(f->env.min_tcb_status), "%s", "UpToDate");
    f->env.snp_min_tcb[0] = (vt_env_snp_tcb){ .set = true, .bootloader = 4 };
    a = ap_run(f, NULL, f->now);
    assert_string_equal(a.tcb_status, "OutOfDate");
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "bootloader SPL 3"));
    f->env.snp_min_tcb[0].set = false;
    f->env.snp_min_tcb[1] = (vt_env_snp_tcb){ .set = true };
    a = ap_run(f, NULL, f->now);
    assert_string_equal(a.tcb_status, "Unknown");
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "states no sevsnp_min_tcb for Milan"));
    snprintf(f->env.min_tcb_status, sizeof(f->env.min_tcb_status), "%s", "any");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);
    assert_string_equal(a.tcb_status, "Unknown");
}

/* Composite evidence (a CPU report bound to device reports) whose CPU is a hardware TD: its claims are
 * the CPU's under "cpu.", the CPU platform in cpu_platform, the TD image pinned under those names. */
static void as_composite(struct fx *f, const char *cpu)
{
    static const uint8_t reg[48] = { 0x11 };

    f->res.claims.platform = VT_TEE_COMPOSITE;
    f->res.claims.hardware_attested = true;
    f->env.platforms = 0;
    f->env.register_count = 0;
    snprintf(f->res.claims.tcb_status, sizeof(f->res.claims.tcb_status), "%s", "UpToDate");
    set_claim(f, "cpu_platform", (const uint8_t *)cpu, strlen(cpu));
    if (strcmp(cpu, "tdx") == 0) {
        set_le(f, "cpu.td_attributes", 0x10000000, 8);
        set_claim(f, "cpu.mrtd", reg, 48);
        set_claim(f, "cpu.rtmr1", reg, 48);
        set_claim(f, "cpu.rtmr2", reg, 48);
        pin(f, "cpu.mrtd");
        pin(f, "cpu.rtmr1");
        pin(f, "cpu.rtmr2");
    } else {
        set_le(f, "cpu.policy", 0x30000, 8);
        set_le(f, "cpu.vmpl", 0, 4);
        set_claim(f, "cpu.measurement", reg, 48);
        pin(f, "cpu.measurement");
    }
}

/* Finding: composite evidence skipped every CPU-platform rule: a TD with SEPT_VE_DISABLE clear, an SNP
 * guest at VMPL 3 or with a migration agent, and an unpinned CPU image were all affirming. */
static void test_appraise_appraise__composite_cpu_rules(void **state)
{
    struct fx *f = *state;
    vt_appraisal a;
    char json[256];
    vt_env env;
    vt_err err = { 0 };

    as_composite(f, "tdx");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);

    set_le(f, "cpu.td_attributes", 0, 8);
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "SEPT_VE_DISABLE clear"));
    set_le(f, "cpu.td_attributes", 0x10000000, 8);

    f->env.register_count = 1;
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_WARNING);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "no reference value for cpu.rtmr1, cpu.rtmr2"));

    /* Without the CPU's platform nothing can be judged. */
    as_composite(f, "tdx");
    set_claim(f, "cpu_platform", (const uint8_t *)"nvgpu", 5);
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "composite CPU platform"));
    snprintf(((vt_claim *)vt_claims_get(&f->res.claims, "cpu_platform"))->name, VT_CLAIM_NAME_MAX, "%s", "other");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "composite CPU platform"));

    f->res.claims.field_count = 0;
    as_composite(f, "sevsnp");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);
    set_le(f, "cpu.vmpl", 3, 4);
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "VMPL 3"));
    set_le(f, "cpu.vmpl", 0, 4);
    set_le(f, "cpu.policy", 0x30000 | (1ull << 18), 8);
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "migration agent"));
    f->res.claims.field_count = 0;
    as_composite(f, "sevsnp");
    f->res.claims.field_count--; /* no cpu.measurement */
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    f->env.register_count = 0;
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_WARNING);

    /* An environment pins a composite's CPU image under the claims' names. */
    snprintf(json, sizeof(json), "{\"id\":\"c\",\"registers\":{\"cpu.mrtd\":\"11\"}}");
    assert_int_equal(vt_env_parse(&env, json, strlen(json), NULL, &err), VT_OK);
    assert_string_equal(env.registers[0].name, "cpu.mrtd");
    snprintf(json, sizeof(json), "{\"id\":\"c\",\"registers\":{\".mrtd\":\"11\"}}");
    assert_int_equal(vt_env_parse(&env, json, strlen(json), NULL, NULL), VT_E_FORMAT);
}

/* Finding: a TPM's boot chain needed no reference value: with none pinned, any OS on a genuine TPM
 * (which can extend the application PCR with any log it likes) was affirming. */
static void test_appraise_appraise__tpm_image(void **state)
{
    struct fx *f = *state;
    static const uint8_t v[32] = { 0x44 };
    vt_appraisal a;

    f->res.claims.platform = VT_TEE_TPM;
    f->res.claims.hardware_attested = true;
    f->env.platforms = 0;
    snprintf(f->res.claims.tcb_status, sizeof(f->res.claims.tcb_status), "%s", "NotApplicable");
    set_claim(f, "pcr0", v, 32);
    set_claim(f, "pcr4", v, 32);
    set_claim(f, "pcr8", v, 32);
    set_claim(f, "pcr9", v, 32);
    set_claim(f, "pcr23", v, 32);
    pin(f, "pcr23"); /* the application PCR is the log's, not the image */
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_WARNING);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_EXECUTABLES], 33);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "no reference value for pcr0, pcr4, pcr8, pcr9"));
    pin(f, "pcr0");
    pin(f, "pcr4");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_WARNING);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "no reference value for pcr8, pcr9 (any tpm image"));
    pin(f, "pcr8");
    pin(f, "pcr9");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);
}

/* A hardware Azure CVM: TPM evidence whose HCL report holds an SEV-SNP report or a TD's, named as
 * the TPM plugin names it (cpu_platform, cpu.policy and cpu.vmpl, or cpu.td_attributes), the boot
 * chain pinned by its PCRs. */
static void as_azure(struct fx *f, const char *cpu)
{
    static const uint8_t v[32] = { 0x44 };
    static const char *const pcrs[] = { "pcr0", "pcr4", "pcr8", "pcr9" };

    f->res.claims.field_count = 0;
    f->res.claims.platform = VT_TEE_TPM;
    f->res.claims.hardware_attested = true;
    f->env.platforms = 0;
    f->env.register_count = 0;
    snprintf(f->res.claims.tcb_status, sizeof(f->res.claims.tcb_status), "%s", "UpToDate");
    set_claim(f, "cpu_platform", (const uint8_t *)cpu, strlen(cpu));
    if (strcmp(cpu, "tdx") == 0) {
        set_le(f, "cpu.td_attributes", 0, 8);
    } else {
        set_le(f, "cpu.policy", 0x3001f, 8);
        set_le(f, "cpu.vmpl", 0, 4);
    }
    for (size_t i = 0; i < 4; i++) {
        set_claim(f, pcrs[i], v, 32);
        pin(f, pcrs[i]);
    }
}

/* Finding: an Azure CVM's SEV-SNP report or TD was not judged: a guest at VMPL 3, with a migration
 * agent, or a TD with attributes the environment pins were affirming. */
static void test_appraise_appraise__azure_cvm_cpu_rules(void **state)
{
    struct fx *f = *state;
    vt_appraisal a;

    as_azure(f, "sevsnp");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);
    /* Memory encrypted against the host; the image is the TPM's boot chain, not the paravisor's
     * MEASUREMENT (no cpu.measurement is asked for). */
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_RUNTIME_OPAQUE], 2);
    set_le(f, "cpu.vmpl", 3, 4);
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_CONFIGURATION], 96);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "sevsnp report is from VMPL 3"));
    set_le(f, "cpu.vmpl", 0, 4);
    set_le(f, "cpu.policy", 0x3001f | (1ull << 18), 8);
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "migration agent"));
    /* The SEV-SNP report's configuration is missing: refused, not passed. */
    f->res.claims.field_count = 0;
    as_azure(f, "sevsnp");
    snprintf(((vt_claim *)vt_claims_get(&f->res.claims, "cpu.vmpl"))->name, VT_CLAIM_NAME_MAX, "%s", "other");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "no policy or vmpl claim"));
    /* An HCL report holds an SEV-SNP report or a TD's, nothing else. */
    as_azure(f, "nitro");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "the tpm CPU platform (claim cpu_platform)"));

    /* A TD: the environment's Azure TD_ATTRIBUTES, DEBUG clear by default (SEPT_VE_DISABLE not judged). */
    as_azure(f, "tdx");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);
    set_le(f, "cpu.td_attributes", 1, 8);
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "Azure CVM td_attributes 0x0000000000000001"));
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "DEBUG set"));
    set_le(f, "cpu.td_attributes", 1ull << 29, 8);
    f->env.azure_tdx_attributes_mask |= 1ull << 29;
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "MIGRATABLE set"));
    f->env.azure_tdx_attributes_mask = VT_ENV_AZURE_TDX_ATTR_MASK_DEFAULT;

    /* A composite whose CPU part is an Azure CVM: the SEV-SNP rules under cpu.cpu., the image the
     * TPM's under cpu.  */
    as_azure(f, "sevsnp");
    f->res.claims.platform = VT_TEE_COMPOSITE;
    f->env.register_count = 0;
    for (size_t i = 0; i < f->res.claims.field_count; i++) {
        char name[VT_CLAIM_NAME_MAX];
        snprintf(name, sizeof(name), "cpu.%s", f->res.claims.fields[i].name);
        snprintf(f->res.claims.fields[i].name, sizeof(f->res.claims.fields[i].name), "%s", name);
    }
    set_claim(f, "cpu_platform", (const uint8_t *)"tpm", 3);
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_WARNING);
    assert_non_null(
        strstr(a.sub[VT_SUBMOD_TEE].reason, "no reference value for cpu.pcr0, cpu.pcr4, cpu.pcr8, cpu.pcr9"));
    assert_int_equal(a.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_CONFIGURATION], 2);
    set_le(f, "cpu.cpu.vmpl", 2, 4);
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "sevsnp report is from VMPL 2"));
}

/* Nitro has no TCB: NotApplicable passes the TCB rule (nothing to compare), anything else does not. */
static void test_appraise_appraise__nitro_not_applicable(void **state)
{
    struct fx *f = *state;
    static const uint8_t pcr0[48] = { 0x33 };
    vt_appraisal a;

    f->res.claims.platform = VT_TEE_NITRO;
    f->res.claims.hardware_attested = true;
    f->env.platforms = 0;
    snprintf(f->res.claims.tcb_status, sizeof(f->res.claims.tcb_status), "%s", "NotApplicable");
    set_claim(f, "pcr0", pcr0, 48);
    pin(f, "pcr0");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_AFFIRMING);
    assert_string_equal(a.tcb_status, "NotApplicable");
    snprintf(f->res.claims.tcb_status, sizeof(f->res.claims.tcb_status), "%s", "unknown");
    a = ap_run(f, NULL, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
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

/* Finding: a passport lived iat + passport_lifetime even when a certificate or collateral item the
 * evidence was verified with (a PCK certificate, TDX TCB info, a VCEK) stopped being valid sooner. */
static void test_appraise_appraise__expiry_within_evidence_validity(void **state)
{
    struct fx *f = *state;
    vt_appraisal a;

    a = ap_run(f, f->log, f->now);
    assert_int_equal(f->res.claims.not_after, 0); /* mock: no certificate window */
    assert_true(a.expires == f->now + f->env.passport_lifetime);

    f->res.claims.not_before = f->now - 86400;
    f->res.claims.not_after = f->now + 600;
    a = ap_run(f, f->log, f->now);
    assert_int_equal(a.status, VT_EAR_AFFIRMING);
    assert_true(a.expires == f->now + 600);
    f->res.claims.not_after = f->now + f->env.passport_lifetime + 1;
    a = ap_run(f, f->log, f->now);
    assert_true(a.expires == f->now + f->env.passport_lifetime);

    /* A window already over (or not yet begun) leaves nothing to issue. */
    f->res.claims.not_after = f->now;
    a = ap_run(f, f->log, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "validity ended"));
    f->res.claims.not_after = f->now + 600;
    f->res.claims.not_before = f->now + 3600;
    a = ap_run(f, f->log, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_TEE].status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_TEE].reason, "validity begins"));

    /* Times whose sums would overflow are refused, not wrapped. */
    assert_int_equal(vt_appraise(&a, &f->res, f->log, &f->env, 0, INT64_MAX, NULL), VT_E_ARG);
    assert_int_equal(vt_appraise(&a, &f->res, f->log, &f->env, INT64_MIN, f->now, NULL), VT_E_ARG);
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

/* A log with n auditor events (auditor-0..n-1 over "auditor i"), without the fixture's own. */
static vt_mlog *auditors_log(size_t n)
{
    vt_mlog *log = NULL;
    uint8_t d[32];
    char name[32];

    assert_int_equal(vt_mlog_new(&log, NULL), VT_OK);
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "auditor %zu", i);
        fx_digest(d, name);
        assert_int_equal(vt_mlog_append(log, VT_COMPONENT_AUDITOR, name, VT_MD_SHA256, d, 32, NULL, NULL), VT_OK);
    }
    return log;
}

static size_t listed_digests(const char *measured)
{
    size_t n = measured[0] != '\0';

    for (const char *p = measured; *p != '\0'; p++)
        n += *p == ',';
    return n;
}

static void test_appraise_appraise__every_event_recorded(void **state)
{
    struct fx *f = *state;
    vt_mlog *log = auditors_log(VT_APPRAISAL_MAX_DIGESTS);
    vt_appraisal a;

    /* The passport names every auditor the log measured, up to the documented bound, listed or not. */
    f->env.digest_count[VT_SUBMOD_AUDITORS] = 0;
    a = ap_run(f, log, f->now);
    assert_int_equal(listed_digests(a.sub[VT_SUBMOD_AUDITORS].measured), VT_APPRAISAL_MAX_DIGESTS);
    assert_int_equal(a.sub[VT_SUBMOD_AUDITORS].status, VT_EAR_NONE);
    vt_mlog_free(log);
}

static void test_appraise_appraise__too_many_events_fail_closed(void **state)
{
    struct fx *f = *state;
    vt_mlog *log = auditors_log(VT_APPRAISAL_MAX_DIGESTS + 1);
    vt_appraisal a;

    /* More events than a passport can name: never a passport that names only some of them,
     * whether or not the environment lists the component. */
    f->env.digest_count[VT_SUBMOD_AUDITORS] = 0;
    a = ap_run(f, log, f->now);
    assert_int_equal(a.sub[VT_SUBMOD_AUDITORS].status, VT_EAR_CONTRAINDICATED);
    assert_int_equal(a.status, VT_EAR_CONTRAINDICATED);
    assert_non_null(strstr(a.sub[VT_SUBMOD_AUDITORS].reason, "auditors: the log measures 17 events"));
    vt_mlog_free(log);
}

/* The relying party compares the log it is shown with the passport's; an auditor added after
 * the passport was issued must show, wherever it falls in the log. */
static void test_appraise_rp__event_added_after_the_passport(void **state)
{
    struct fx *f = *state;
    vt_mlog *before = auditors_log(VT_APPRAISAL_MAX_DIGESTS - 1), *after = auditors_log(VT_APPRAISAL_MAX_DIGESTS);
    vt_mlog *over = auditors_log(VT_APPRAISAL_MAX_DIGESTS + 1);
    vt_rp_gateway g;
    vt_err err = { 0 };

    memset(&g, 0, sizeof(g));
    f->env.digest_count[VT_SUBMOD_AUDITORS] = 0;
    g.pc.appraisal = ap_run(f, before, f->now);
    g.pc.tee_type = f->res.claims.platform;
    g.result = f->res;
    g.log = before;
    assert_int_equal(vt_rp_measurements(&g, &err), VT_OK);
    g.log = after;
    assert_int_equal(vt_rp_measurements(&g, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "auditors: the log measures"));
    /* A log longer than any passport can name is refused as such, not compared in part. */
    g.pc.appraisal = ap_run(f, after, f->now);
    g.log = over;
    assert_int_equal(vt_rp_measurements(&g, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "more than"));
    g.log = NULL;
    memset(&g.result, 0, sizeof(g.result));
    vt_mlog_free(before);
    vt_mlog_free(after);
    vt_mlog_free(over);
}

/* A passport's cnf key and its measured digests compared with a key and a log directly (what a
 * gateway does with the passport it was just issued): another key, no key, another model digest
 * and no log are refused. */
static void test_appraise_rp__passport_key_and_log(void **state)
{
    struct fx *f = *state;
    vt_passport_claims pc;
    vt_pkey *mine = NULL, *other = NULL;
    vt_err err = { 0 };

    memset(&pc, 0, sizeof(pc));
    snprintf(pc.id, sizeof(pc.id), "pass-00000000000000000000000000000000");
    assert_int_equal(vt_pkey_generate(&mine, VT_KEY_EC_P256, &err), VT_OK);
    assert_int_equal(vt_pkey_generate(&other, VT_KEY_EC_P256, &err), VT_OK);
    assert_int_equal(vt_passport_check_key(&pc, mine, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "carries no enclave key"));
    assert_int_equal(vt_jwk_from_pkey(&pc.attester_jwk, mine, NULL, &err), VT_OK);
    assert_int_equal(vt_passport_check_key(&pc, mine, &err), VT_OK);
    assert_int_equal(vt_passport_check_key(&pc, other, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "is not the attested enclave key"));
    assert_int_equal(vt_passport_check_key(&pc, NULL, &err), VT_E_ARG);

    pc.appraisal = ap_run(f, f->log, f->now);
    assert_int_equal(vt_passport_check_log(&pc, f->log, &err), VT_OK);
    pc.appraisal.sub[VT_SUBMOD_MODEL].measured[0] ^= 1;
    assert_int_equal(vt_passport_check_log(&pc, f->log, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "model: the log measures"));
    assert_int_equal(vt_passport_check_log(&pc, NULL, &err), VT_E_ARG);
    vt_passport_claims_clear(&pc);
    vt_pkey_free(mine);
    vt_pkey_free(other);
}

/* A key release that pins the auditors releases only to a passport that names exactly them:
 * one auditor more is refused, wherever it falls in the log. */
static void test_appraise_kbs__one_auditor_more_is_refused(void **state)
{
    struct fx *f = *state;
    vt_mlog *pinned = auditors_log(VT_APPRAISAL_MAX_DIGESTS - 1), *more = auditors_log(VT_APPRAISAL_MAX_DIGESTS);
    vt_appraisal a;
    char *policy = NULL, json[4096], clause[64];
    vt_kbs_subject s;
    vt_err err = { 0 };

    f->env.digest_count[VT_SUBMOD_AUDITORS] = 0;
    a = ap_run(f, pinned, f->now);
    snprintf(json, sizeof(json), "{\"environment\":\"prod\",\"hardware_attested\":false,\"min_tcb_status\":\"any\","
             "\"measurements\":{\"auditors\":\"%s\"}}", a.sub[VT_SUBMOD_AUDITORS].measured);
    assert_int_equal(vt_kbs_policy_parse(&policy, json, strlen(json), &err), VT_OK);
    memset(&s, 0, sizeof(s));
    s.environment = "prod";
    s.tee_type = "mock";
    s.status = "affirming";
    s.tcb_status = "UpToDate";
    s.measured[VT_SUBMOD_AUDITORS] = a.sub[VT_SUBMOD_AUDITORS].measured;
    assert_int_equal(vt_kbs_policy_check(policy, &s, clause, sizeof(clause), &err), VT_OK);
    a = ap_run(f, more, f->now);
    s.measured[VT_SUBMOD_AUDITORS] = a.sub[VT_SUBMOD_AUDITORS].measured;
    assert_int_equal(vt_kbs_policy_check(policy, &s, clause, sizeof(clause), &err), VT_E_POLICY);
    assert_string_equal(clause, "measurements.auditors");
    free(policy);
    vt_mlog_free(pinned);
    vt_mlog_free(more);
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
        T(test_appraise_appraise__no_image_reference_is_warning),
        T(test_appraise_appraise__tdx_attributes_mask),
        T(test_appraise_appraise__snp_policy),
        T(test_appraise_appraise__snp_min_tcb),
        T(test_appraise_appraise__nitro_not_applicable),
        T(test_appraise_appraise__tpm_image),
        T(test_appraise_appraise__composite_cpu_rules),
        T(test_appraise_appraise__azure_cvm_cpu_rules),
        T(test_appraise_appraise__register_mismatch),
        T(test_appraise_appraise__evidence_age),
        T(test_appraise_appraise__rejected_evidence),
        T(test_appraise_appraise__expiry_within_evidence_validity),
        T(test_appraise_appraise__every_event_recorded),
        T(test_appraise_appraise__too_many_events_fail_closed),
        T(test_appraise_rp__event_added_after_the_passport),
        T(test_appraise_rp__passport_key_and_log),
        T(test_appraise_kbs__one_auditor_more_is_refused),
        cmocka_unit_test(test_appraise_ear__names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
