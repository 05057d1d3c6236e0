/* The TDX plugin over evidence made by the simulator (tdx_sim.c): same
 * parser and checks as for real quotes, anchored at the simulation root.
 * Runs everywhere (no vectors needed). */
#include "test_tdx_util.h"

#include "veritee/sim.h"

typedef struct fx {
    char state[4096];
    vt_x509 *sim_root;
    vt_x509 *roots[2]; /* Intel (production), simulation */
    vt_result *r;
    vt_time now;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    vt_err err = { 0 };

    assert_non_null(f);
    vt_test_mkdtemp(f->state, sizeof(f->state));
    f->now = vt_test_time("2026-03-01T12:00:00Z");
    f->r = calloc(1, sizeof(*f->r));
    /* make the simulation CA first */
    {
        char path[4200];
        assert_int_equal(vt_sim_root_path(path, sizeof(path), f->state, &err), VT_OK);
    }
    if (vt__sim_root_load(&f->sim_root, f->state, &err) != VT_OK)
        fail_msg("%s", err.msg);
    f->roots[0] = tdx_test_intel_root();
    f->roots[1] = f->sim_root;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    vt_x509_free(f->sim_root);
    vt_test_rmdir(f->state);
    free(f->r);
    free(f);
    return 0;
}

static void make(fx *f, vt_buf *q, vt_collateral **c, int version, bool debug, bool out_of_date, bool revoked,
                 bool no_crl)
{
    vt_sim_tdx_opts o;
    vt_err err = { 0 };

    memset(&o, 0, sizeof(o));
    o.version = version;
    o.debug = debug;
    o.out_of_date = out_of_date;
    o.revoked = revoked;
    o.no_crl = no_crl;
    o.now = f->now;
    o.state_dir = f->state;
    for (int i = 0; i < 64; i++)
        o.report_data[i] = (uint8_t)(0x5a ^ i);
    vt_buf_init(q);
    *c = NULL;
    assert_int_equal(vt_collateral_new(c, &err), VT_OK);
    if (vt_sim_tdx(q, *c, &o, &err) != VT_OK)
        fail_msg("vt_sim_tdx: %s", err.msg);
}

static void test_tee_tdx__sim_v4_up_to_date(void **state)
{
    fx *f = *state;
    vt_buf q;
    vt_collateral *c;

    make(f, &q, &c, 4, false, false, false, false);
    assert_int_equal(tdx_test_run(f->r, q.data, q.len, c, f->now, f->roots, 2, 1, NULL), VT_OK);
    tdx_test_dump(f->r);
    assert_true(f->r->signature_valid);
    assert_true(f->r->chain_valid);
    assert_false(f->r->claims.hardware_attested); /* simulation root */
    assert_true(f->r->collateral_verified);
    assert_string_equal(f->r->claims.tcb_status, "UpToDate");
    assert_int_equal(f->r->error_count, 0);
    assert_int_equal(f->r->warning_count, 0);
    assert_int_equal(f->r->claims.version, 4);
    assert_int_equal(f->r->claims.report_data[1], 0x5a ^ 1);
    assert_false(f->r->claims.debug);
    vt_collateral_free(c);
    vt_buf_free(&q);
}

static void test_tee_tdx__sim_v5_debug(void **state)
{
    fx *f = *state;
    vt_buf q;
    vt_collateral *c;

    make(f, &q, &c, 5, true, false, false, false);
    assert_int_equal(tdx_test_run(f->r, q.data, q.len, c, f->now, f->roots, 2, 1, NULL), VT_OK);
    tdx_test_dump(f->r);
    assert_true(tdx_test_accepted(VT_OK, f->r));
    assert_int_equal(f->r->claims.version, 5);
    assert_true(f->r->claims.debug); /* the registry decides what to do with it */
    assert_non_null(vt_claims_get(&f->r->claims, "mrservicetd"));
    vt_collateral_free(c);
    vt_buf_free(&q);
}

static void test_tee_tdx__sim_out_of_date(void **state)
{
    fx *f = *state;
    vt_buf q;
    vt_collateral *c;

    make(f, &q, &c, 4, false, true, false, false);
    assert_int_equal(tdx_test_run(f->r, q.data, q.len, c, f->now, f->roots, 2, 1, NULL), VT_OK);
    tdx_test_dump(f->r);
    assert_string_equal(f->r->claims.tcb_status, "OutOfDate");
    assert_true(f->r->claims.advisory_count > 0);
    assert_true(tdx_has_warning(f->r, "tcb_status"));
    assert_int_equal(f->r->error_count, 0);
    vt_collateral_free(c);
    vt_buf_free(&q);
}

static void test_tee_tdx__sim_revoked_pck(void **state)
{
    fx *f = *state;
    vt_buf q;
    vt_collateral *c;

    make(f, &q, &c, 4, false, false, true, false);
    assert_int_equal(tdx_test_run(f->r, q.data, q.len, c, f->now, f->roots, 2, 1, NULL), VT_OK);
    tdx_test_dump(f->r);
    assert_false(f->r->chain_valid);
    assert_true(tdx_has_error(f->r, "pck_chain"));
    vt_collateral_free(c);
    vt_buf_free(&q);
}

static void test_tee_tdx__sim_no_crl(void **state)
{
    fx *f = *state;
    vt_buf q;
    vt_collateral *c;

    make(f, &q, &c, 4, false, false, false, true);
    assert_int_equal(tdx_test_run(f->r, q.data, q.len, c, f->now, f->roots, 2, 1, NULL), VT_OK);
    tdx_test_dump(f->r);
    assert_true(tdx_test_accepted(VT_OK, f->r));
    assert_true(f->r->collateral_verified);
    vt_collateral_free(c);
    vt_buf_free(&q);
}

static void test_tee_tdx__sim_untrusted_without_sim_root(void **state)
{
    fx *f = *state;
    vt_buf q;
    vt_collateral *c;

    make(f, &q, &c, 4, false, false, false, false);
    assert_int_equal(tdx_test_run(f->r, q.data, q.len, c, f->now, f->roots, 1, 1, NULL), VT_OK);
    tdx_test_dump(f->r);
    assert_false(f->r->chain_valid);
    assert_false(f->r->collateral_verified);
    assert_true(tdx_has_error(f->r, "pck_chain"));
    /* and the simulator's names are only good under a simulation root: treating
     * the simulation root as production must reject them */
    assert_int_equal(tdx_test_run(f->r, q.data, q.len, c, f->now, &f->roots[1], 1, 1, NULL), VT_OK);
    tdx_test_dump(f->r);
    assert_false(f->r->chain_valid);
    assert_true(tdx_has_error(f->r, "pck_chain"));
    vt_collateral_free(c);
    vt_buf_free(&q);
}

/* Through the registry: the verdicts the plugin's findings lead to. */
static void test_tee_tdx__sim_registry_verdicts(void **state)
{
    fx *f = *state;
    vt_buf q;
    vt_collateral *c;
    vt_verify_opts o;
    vt_err err = { 0 };

    make(f, &q, &c, 4, false, true, false, false);
    memset(&o, 0, sizeof(o));
    o.now = f->now;
    o.collateral = c;
    o.trust_sim = true;
    o.state_dir = f->state;
    assert_int_equal(vt_evidence_verify(f->r, q.data, q.len, &o, &err), VT_OK);
    tdx_test_dump(f->r);
    assert_int_equal(f->r->verdict, VT_VERDICT_WARNING);
    o.strict = true;
    assert_int_equal(vt_evidence_verify(f->r, q.data, q.len, &o, &err), VT_OK);
    assert_int_equal(f->r->verdict, VT_VERDICT_CONTRAINDICATED);
    vt_collateral_free(c);
    vt_buf_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_v4_up_to_date, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_v5_debug, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_out_of_date, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_revoked_pck, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_no_crl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_untrusted_without_sim_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_registry_verdicts, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
