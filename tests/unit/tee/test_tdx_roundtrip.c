/* The TDX plugin over evidence made by the simulator (tdx_sim.c): same
 * parser and checks as for real quotes, anchored at the simulation root.
 * Runs everywhere (no vectors needed). */
#include "test_tdx_util.h"

#include <pthread.h>

#include "veritee/sim.h"

#include "tee/cache.h"

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
    assert_true(tdx_has_warning(f->r, "revocation"));
    vt_collateral_free(c);
    vt_buf_free(&q);
}

/* The PCK CA's CRL left out and the root CA's CRL given twice: two CRLs applied, but the
 * leaf (revoked here) was checked against none, which must still be said. */
static void test_tee_tdx__sim_root_crl_twice_no_pck_crl(void **state)
{
    fx *f = *state;
    vt_buf q;
    vt_collateral *c, *c2 = NULL;
    const uint8_t *root_crl = NULL;
    size_t root_crl_len = 0;

    make(f, &q, &c, 4, false, false, true, false);
    assert_int_equal(vt_collateral_new(&c2, NULL), VT_OK);
    for (size_t i = 0; i < vt_collateral_count(c); i++) {
        const char *name = NULL;
        size_t len = 0;
        const uint8_t *b = vt_collateral_get(c, i, &name, &len);

        if (strcmp(name, "pck_crl_platform.der") == 0)
            continue;
        if (strcmp(name, "root_ca_crl.der") == 0) {
            root_crl = b;
            root_crl_len = len;
        }
        assert_int_equal(vt_collateral_add(c2, name, b, len, NULL), VT_OK);
    }
    assert_non_null(root_crl);
    assert_int_equal(vt_collateral_add(c2, "root_ca_crl_again.der", root_crl, root_crl_len, NULL), VT_OK);
    assert_int_equal(tdx_test_run(f->r, q.data, q.len, c2, f->now, f->roots, 2, 1, NULL), VT_OK);
    tdx_test_dump(f->r);
    assert_true(f->r->chain_valid);
    assert_true(tdx_has_warning(f->r, "revocation"));
    vt_collateral_free(c2);
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

/* Many threads, one cache: every verification still gives the full answer. */
typedef struct worker {
    fx *f;
    const vt_buf *q;
    const vt_collateral *c;
    vt_verify_cache *cache;
    int bad;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    vt_result *r = calloc(1, sizeof(*r));

    for (int i = 0; r != NULL && i < 60; i++) {
        /* every third call is outside the PCK validity: it must miss the cache and fail */
        bool late = i % 3 == 2;
        vt_time at = late ? vt_test_time("2040-01-01T00:00:00Z") : w->f->now;
        vt_status rc = tdx_test_run(r, w->q->data, w->q->len, w->c, at, w->f->roots, 2, 1, w->cache);
        bool ok = tdx_test_accepted(rc, r) && strcmp(r->claims.tcb_status, "UpToDate") == 0;
        if (ok == late)
            w->bad++;
    }
    if (r == NULL)
        w->bad++;
    free(r);
    return NULL;
}

static void test_tee_tdx__sim_cache_threads(void **state)
{
    fx *f = *state;
    vt_buf q4, q5;
    vt_collateral *c4, *c5;
    vt_verify_cache *cache = NULL;
    pthread_t th[6];
    worker w[6];

    make(f, &q4, &c4, 4, false, false, false, false);
    make(f, &q5, &c5, 5, false, false, false, false);
    assert_int_equal(vt_verify_cache_new(&cache, NULL), VT_OK);
    for (int i = 0; i < 6; i++) {
        w[i].f = f;
        w[i].q = i % 2 ? &q5 : &q4;
        w[i].c = i % 2 ? c5 : c4;
        w[i].cache = cache;
        w[i].bad = 0;
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].bad, 0);
    }
    /* A chain, its PCK CA and a collateral set per quote, and the one
     * attestation key the simulated QE signs both quotes with. */
    assert_int_equal(vt__cache_count(cache), 7);
    vt_verify_cache_free(cache);
    vt_collateral_free(c4);
    vt_collateral_free(c5);
    vt_buf_free(&q4);
    vt_buf_free(&q5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_v4_up_to_date, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_v5_debug, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_out_of_date, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_revoked_pck, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_no_crl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_root_crl_twice_no_pck_crl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_untrusted_without_sim_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_registry_verdicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_tdx__sim_cache_threads, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
