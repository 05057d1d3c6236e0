/* Simulated TDX evidence through the real verifier (vt_evidence_verify ->
 * tee/tdx.c): the same code path as Intel quotes, anchored in the simulation
 * root only with trust_sim, and never hardware_attested. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1775001600 /* 2026-04-01T00:00:00Z */

struct run {
    bool debug, out_of_date, revoked, untrusted;
    int version;
};

static void verify_sim(vt_result *res, const vt_test_state_dir *f, const struct run *r)
{
    vt_sim_tdx_opts so;
    vt_verify_opts vo;
    vt_buf q = { 0 };
    vt_collateral *c = NULL;
    vt_err err = { 0 };

    memset(&so, 0, sizeof(so));
    so.version = r->version != 0 ? r->version : 4;
    so.debug = r->debug;
    so.out_of_date = r->out_of_date;
    so.revoked = r->revoked;
    so.now = T0;
    so.state_dir = f->state;
    for (int i = 0; i < 64; i++)
        so.report_data[i] = (uint8_t)(i + 1);
    assert_int_equal(vt_collateral_new(&c, &err), VT_OK);
    if (vt_sim_tdx(&q, c, &so, &err) != VT_OK)
        fail_msg("vt_sim_tdx: %s", err.msg);

    memset(&vo, 0, sizeof(vo));
    vo.now = T0;
    vo.collateral = c;
    vo.expected_report_data = so.report_data;
    vo.expected_report_data_len = 64;
    vo.trust_sim = !r->untrusted;
    vo.state_dir = f->state;
    assert_int_equal(vt_evidence_verify(res, q.data, q.len, &vo, &err), VT_OK);
    assert_int_equal(res->claims.platform, VT_TEE_TDX);
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

static void check_affirming(const vt_test_state_dir *f, int version)
{
    static vt_result res;
    struct run r = { .version = version };

    verify_sim(&res, f, &r);
    if (res.verdict != VT_VERDICT_AFFIRMING)
        dump(&res);
    assert_int_equal(res.verdict, VT_VERDICT_AFFIRMING);
    assert_true(res.valid);
    assert_true(res.signature_valid);
    assert_true(res.chain_valid);
    assert_true(res.collateral_verified);
    assert_string_equal(res.claims.tcb_status, "UpToDate");
    assert_int_equal(res.claims.version, (uint32_t)version);
    assert_false(res.claims.debug);
    assert_int_equal(res.claims.advisory_count, 0);
    assert_non_null(vt_claims_get(&res.claims, "mrtd"));
}

static void test_tee_tdx_sim__verify_v4_affirming(void **state) { check_affirming(*state, 4); }
static void test_tee_tdx_sim__verify_v5_affirming(void **state) { check_affirming(*state, 5); }

static void test_tee_tdx_sim__verify_out_of_date(void **state)
{
    static vt_result res;
    struct run r = { .out_of_date = true };

    verify_sim(&res, *state, &r);
    if (res.verdict != VT_VERDICT_WARNING)
        dump(&res);
    assert_int_equal(res.verdict, VT_VERDICT_WARNING);
    assert_string_equal(res.claims.tcb_status, "OutOfDate");
    assert_int_equal(res.claims.advisory_count, 2);
    assert_string_equal(res.claims.advisory_ids[0], "INTEL-SA-00000");
    assert_string_equal(res.claims.advisory_ids[1], "INTEL-SA-00001");
}

static void test_tee_tdx_sim__verify_revoked(void **state)
{
    static vt_result res;
    struct run r = { .revoked = true };

    verify_sim(&res, *state, &r);
    assert_int_equal(res.verdict, VT_VERDICT_CONTRAINDICATED);
    assert_false(res.valid);
    assert_false(res.chain_valid);
    assert_true(has_error(&res, "pck_chain"));
}

static void test_tee_tdx_sim__verify_debug(void **state)
{
    static vt_result res;
    struct run r = { .debug = true };

    verify_sim(&res, *state, &r);
    assert_int_equal(res.verdict, VT_VERDICT_CONTRAINDICATED);
    assert_true(res.claims.debug);
    assert_true(has_error(&res, "debug"));
}

/* A second machine under a PCK CA already verified (cache): only its leaf is
 * checked -- and a leaf the CA's CRL lists is still refused. */
static void test_tee_tdx_sim__cached_ca_new_leaf(void **state)
{
    vt_test_state_dir *f = *state;
    static vt_result res;
    vt_sim_tdx_opts so;
    vt_verify_opts vo;
    vt_buf qa = { 0 }, qb = { 0 }, qc = { 0 };
    vt_collateral *cb = NULL;
    vt_verify_cache *cache = NULL;
    vt_err err = { 0 };

    memset(&so, 0, sizeof(so));
    so.version = 4;
    so.now = T0;
    so.state_dir = f->state;
    assert_int_equal(vt_verify_cache_new(&cache, &err), VT_OK);
    assert_int_equal(vt_collateral_new(&cb, &err), VT_OK);
    assert_int_equal(vt_sim_tdx(&qa, NULL, &so, &err), VT_OK);
    so.revoked = true; /* the CRL in cb lists machine B's PCK */
    assert_int_equal(vt_sim_tdx(&qb, cb, &so, &err), VT_OK);
    so.revoked = false;
    assert_int_equal(vt_sim_tdx(&qc, NULL, &so, &err), VT_OK);

    memset(&vo, 0, sizeof(vo));
    vo.now = T0;
    vo.collateral = cb;
    vo.trust_sim = true;
    vo.state_dir = f->state;
    vo.cache = cache;
    /* Machine A: full chain, and the CA is cached. */
    assert_int_equal(vt_evidence_verify(&res, qa.data, qa.len, &vo, &err), VT_OK);
    if (!res.valid)
        dump(&res);
    assert_true(res.valid);
    /* Machine C: new leaf, CA from the cache. */
    assert_int_equal(vt_evidence_verify(&res, qc.data, qc.len, &vo, &err), VT_OK);
    if (!res.valid)
        dump(&res);
    assert_true(res.valid);
    assert_string_equal(res.claims.tcb_status, "UpToDate");
    /* Machine B: new leaf, revoked by the cached CA's CRL. */
    assert_int_equal(vt_evidence_verify(&res, qb.data, qb.len, &vo, &err), VT_OK);
    assert_false(res.valid);
    assert_true(has_error(&res, "pck_chain"));
    assert_non_null(strstr(res.errors[0].msg, "revoked"));
    /* ... and the same without a cache (full chain). */
    vo.cache = NULL;
    assert_int_equal(vt_evidence_verify(&res, qb.data, qb.len, &vo, &err), VT_OK);
    assert_false(res.valid);
    assert_true(has_error(&res, "pck_chain"));
    vt_verify_cache_free(cache);
    vt_collateral_free(cb);
    vt_buf_free(&qa);
    vt_buf_free(&qb);
    vt_buf_free(&qc);
}

static void test_tee_tdx_sim__verify_untrusted(void **state)
{
    static vt_result res;
    struct run r = { .untrusted = true };

    verify_sim(&res, *state, &r);
    assert_int_equal(res.verdict, VT_VERDICT_CONTRAINDICATED);
    assert_false(res.chain_valid);
    assert_true(has_error(&res, "pck_chain"));
}

/* A prover with its own state directory (a gateway): its simulation CA is not
 * the verifier's.  Refused with a first error that says what to do; trusted
 * with sim_root_files naming its root, and still never hardware attested; a
 * file that is not a simulation root, or too many files, is an argument error. */
static void test_tee_tdx_sim__other_state_dir(void **state)
{
    vt_test_state_dir *f = *state;
    static vt_result res;
    char other[512], root[600], notroot[600];
    const char *files[VT_SIM_ROOT_FILES_MAX + 1];
    vt_sim_tdx_opts so;
    vt_verify_opts vo;
    vt_buf q = { 0 };
    vt_collateral *c = NULL;
    vt_err err = { 0 };

    vt_test_mkdtemp(other, sizeof(other));
    memset(&so, 0, sizeof(so));
    so.version = 4;
    so.now = T0;
    so.state_dir = other;
    assert_int_equal(vt_collateral_new(&c, &err), VT_OK);
    assert_int_equal(vt_sim_tdx(&q, c, &so, &err), VT_OK);
    assert_int_equal(vt_sim_root_path(root, sizeof(root), other, &err), VT_OK);
    snprintf(notroot, sizeof(notroot), "%s/sim/tdx_pck_platform_ca.pem", other);

    memset(&vo, 0, sizeof(vo));
    vo.now = T0;
    vo.collateral = c;
    vo.trust_sim = true;
    vo.state_dir = f->state;
    assert_int_equal(vt_evidence_verify(&res, q.data, q.len, &vo, &err), VT_OK);
    assert_false(res.valid);
    assert_string_equal(res.errors[0].check, "sim_root");
    assert_non_null(strstr(res.errors[0].msg, "--sim-root"));
    assert_true(has_error(&res, "pck_chain"));

    files[0] = root;
    vo.sim_root_files = files;
    vo.sim_root_file_count = 1;
    assert_int_equal(vt_evidence_verify(&res, q.data, q.len, &vo, &err), VT_OK);
    if (!res.valid)
        dump(&res);
    assert_int_equal(res.verdict, VT_VERDICT_AFFIRMING);
    assert_true(res.chain_valid);
    assert_false(res.claims.hardware_attested);

    /* Without trust_sim the extra root is not looked at, and the error says why. */
    vo.trust_sim = false;
    assert_int_equal(vt_evidence_verify(&res, q.data, q.len, &vo, &err), VT_OK);
    assert_false(res.valid);
    assert_string_equal(res.errors[0].check, "sim_root");
    assert_non_null(strstr(res.errors[0].msg, "--trust-sim"));
    vo.trust_sim = true;

    files[0] = notroot;
    assert_int_not_equal(vt_evidence_verify(&res, q.data, q.len, &vo, &err), VT_OK);
    assert_non_null(strstr(err.msg, "not a simulation root"));
    assert_false(res.valid);
    assert_int_not_equal(vt_sim_root_check(notroot, &err), VT_OK);
    assert_int_equal(vt_sim_root_check(root, &err), VT_OK);
    for (size_t i = 0; i <= VT_SIM_ROOT_FILES_MAX; i++)
        files[i] = root;
    vo.sim_root_file_count = VT_SIM_ROOT_FILES_MAX + 1;
    assert_int_not_equal(vt_evidence_verify(&res, q.data, q.len, &vo, &err), VT_OK);
    vo.sim_root_file_count = VT_SIM_ROOT_FILES_MAX;
    assert_int_equal(vt_evidence_verify(&res, q.data, q.len, &vo, &err), VT_OK);
    assert_true(res.valid);

    vt_collateral_free(c);
    vt_buf_free(&q);
    vt_test_rmdir(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_tdx_sim__verify_v4_affirming),
        cmocka_unit_test(test_tee_tdx_sim__verify_v5_affirming),
        cmocka_unit_test(test_tee_tdx_sim__verify_out_of_date),
        cmocka_unit_test(test_tee_tdx_sim__verify_revoked),
        cmocka_unit_test(test_tee_tdx_sim__verify_debug),
        cmocka_unit_test(test_tee_tdx_sim__verify_untrusted),
        cmocka_unit_test(test_tee_tdx_sim__cached_ca_new_leaf),
        cmocka_unit_test(test_tee_tdx_sim__other_state_dir),
    };
    return cmocka_run_group_tests(tests, vt_test_state_dir_setup, vt_test_state_dir_teardown);
}
