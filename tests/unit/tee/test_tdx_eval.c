/* TDX collateral rollback (tee/tdx_eval.c, tee/tdx_collateral.c): of several
 * TCB infos that verify, the one Intel published last rates the platform
 * whatever their order, and one older than an evaluation number verified
 * before is refused -- from the issueDate of that newer one on.  The
 * simulator signs both: evaluation number 17 rates its platform UpToDate,
 * 18 (a TCB recovery later) OutOfDate. */
#include "vt_test.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tee/tdx_eval.h"

#define T0 1775001600 /* 2026-04-01T00:00:00Z */
#define SIM_TCB_NAME "sim-tcb-00ee00000000"

typedef struct sim_run {
    vt_buf quote;
    vt_collateral *coll;
    uint8_t rd[64];
    const char *state; /* borrowed: where the simulation root lives */
} sim_run;

static void sim_make(sim_run *r, const char *state, bool recovered)
{
    vt_sim_tdx_opts so;
    vt_err err = { 0 };

    memset(&so, 0, sizeof(so));
    so.version = 4;
    so.out_of_date = recovered;
    so.tcb_eval_num = recovered ? 18 : 17;
    so.now = T0;
    so.state_dir = state;
    for (int i = 0; i < 64; i++)
        so.report_data[i] = (uint8_t)(i + 7);
    memcpy(r->rd, so.report_data, 64);
    r->state = state;
    vt_buf_init(&r->quote);
    assert_int_equal(vt_collateral_new(&r->coll, &err), VT_OK);
    if (vt_sim_tdx(&r->quote, r->coll, &so, &err) != VT_OK)
        fail_msg("vt_sim_tdx: %s", err.msg);
}

static void sim_free(sim_run *r)
{
    vt_buf_free(&r->quote);
    vt_collateral_free(r->coll);
}

/* Adds the items of src whose name starts with prefix ("" = all) to dst. */
static void coll_take(vt_collateral *dst, const vt_collateral *src, const char *prefix)
{
    for (size_t i = 0; i < vt_collateral_count(src); i++) {
        const char *name = NULL;
        size_t len = 0;
        const uint8_t *p = vt_collateral_get(src, i, &name, &len);

        if (strncmp(name, prefix, strlen(prefix)) == 0)
            assert_int_equal(vt_collateral_add(dst, name, p, len, NULL), VT_OK);
    }
}

static void verify(vt_result *res, const sim_run *q, const vt_collateral *c, vt_verify_cache *cache, const char *dir,
                   vt_time now)
{
    vt_verify_opts vo;
    vt_err err = { 0 };

    memset(&vo, 0, sizeof(vo));
    vo.now = now;
    vo.collateral = c;
    vo.expected_report_data = q->rd;
    vo.expected_report_data_len = 64;
    vo.trust_sim = true;
    vo.state_dir = q->state;
    vo.cache = cache;
    vo.fetch_cache_dir = dir;
    assert_int_equal(vt_evidence_verify(res, q->quote.data, q->quote.len, &vo, &err), VT_OK);
}

static bool error_says(const vt_result *res, const char *check, const char *needle)
{
    for (size_t i = 0; i < res->error_count; i++)
        if (strcmp(res->errors[i].check, check) == 0 && strstr(res->errors[i].msg, needle) != NULL)
            return true;
    return false;
}

/* The older TCB info first, the newer after it (and the other way round): the newer rates. */
static void test_tee_tdx_eval__newest_of_two_rates(void **state)
{
    const vt_test_state_dir *f = *state;
    static vt_result res;
    sim_run old, cur;
    vt_collateral *c = NULL;

    sim_make(&old, f->state, false);
    sim_make(&cur, f->state, true);
    for (int order = 0; order < 2; order++) {
        assert_int_equal(vt_collateral_new(&c, NULL), VT_OK);
        if (order == 0)
            coll_take(c, old.coll, "tcb_info_");
        coll_take(c, cur.coll, "");
        if (order == 1)
            coll_take(c, old.coll, "tcb_info_");
        verify(&res, &cur, c, NULL, NULL, T0);
        assert_true(res.collateral_verified);
        assert_string_equal(res.claims.tcb_status, "OutOfDate");
        vt_collateral_free(c);
    }
    sim_free(&old);
    sim_free(&cur);
}

/* Number 18 seen on disk (state, not cache): 17 is refused from 18's issueDate on, and still taken
 * before it (--at). */
static void test_tee_tdx_eval__older_refused_after_newer(void **state)
{
    const vt_test_state_dir *f = *state;
    static vt_result res;
    sim_run old;
    char dir[600], cache[600], path[700];

    sim_make(&old, f->state, false);
    snprintf(dir, sizeof(dir), "%s/collateral-floors", f->state);
    snprintf(cache, sizeof(cache), "%s/cache", f->state);
    verify(&res, &old, old.coll, NULL, cache, T0);
    assert_string_equal(res.claims.tcb_status, "UpToDate");
    vt__tdx_eval_floor_raise(NULL, dir, SIM_TCB_NAME, 18, T0 - 3600);
    /* With the fetch cache or without it (cleared): the floor is state. */
    for (int k = 0; k < 2; k++) {
        verify(&res, &old, old.coll, NULL, k == 0 ? cache : NULL, T0);
        assert_false(res.collateral_verified);
        assert_int_not_equal(res.verdict, VT_VERDICT_AFFIRMING);
        assert_string_equal(res.claims.tcb_status, "unknown");
        if (!error_says(&res, "tcb_info", "tcbEvaluationDataNumber 17 is older than 18"))
            fail_msg("tcb_info not refused as a rollback: %s", res.error_count > 0 ? res.errors[0].msg : "no error");
    }
    /* Before the newer one was issued, the older one was the current one. */
    verify(&res, &old, old.coll, NULL, cache, T0 - 7200);
    assert_string_equal(res.claims.tcb_status, "UpToDate");
    snprintf(path, sizeof(path), "%s/tdx-eval-" SIM_TCB_NAME, dir);
    assert_int_equal(unlink(path), 0); /* the other tests share the state directory */
    sim_free(&old);
}

/* Verified once and cached in memory, then a newer number is seen: the cached verdict is not reused. */
static void test_tee_tdx_eval__cached_verdict_refused_after_newer(void **state)
{
    const vt_test_state_dir *f = *state;
    static vt_result res;
    vt_verify_cache *cache = NULL;
    sim_run old;
    char dir[600], path[700];

    assert_int_equal(vt_verify_cache_new(&cache, NULL), VT_OK);
    sim_make(&old, f->state, false);
    verify(&res, &old, old.coll, cache, NULL, T0);
    assert_string_equal(res.claims.tcb_status, "UpToDate");
    verify(&res, &old, old.coll, cache, NULL, T0);
    assert_string_equal(res.claims.tcb_status, "UpToDate");
    /* In memory only (the state directory's file is not there): the memory's floor holds. */
    snprintf(dir, sizeof(dir), "%s/collateral-floors", f->state);
    vt__tdx_eval_floor_raise(cache, NULL, "sim-qe-TD_QE", 18, T0 - 3600);
    vt__tdx_eval_floor_raise(cache, dir, "sim-qe-TD_QE", 18, T0 - 3600);
    snprintf(path, sizeof(path), "%s/tdx-eval-sim-qe-TD_QE", dir);
    assert_int_equal(unlink(path), 0);
    verify(&res, &old, old.coll, cache, NULL, T0);
    assert_false(res.collateral_verified);
    assert_true(error_says(&res, "qe_identity", "tcbEvaluationDataNumber 17 is older than 18"));
    sim_free(&old);
    vt_verify_cache_free(cache);
}

/* The floor file: read back, never lowered, unreadable counts as none. */
static void test_tee_tdx_eval__floor_file(void **state)
{
    const vt_test_state_dir *f = *state;
    vt__tdx_eval_floor fl;
    char dir[600], path[700];

    snprintf(dir, sizeof(dir), "%s/floor", f->state);
    vt__tdx_eval_floor_get(&fl, NULL, dir, "tcb-00aa00000000");
    assert_int_equal(fl.num, 0);
    vt__tdx_eval_floor_raise(NULL, dir, "tcb-00aa00000000", 18, 1000);
    vt__tdx_eval_floor_raise(NULL, dir, "tcb-00aa00000000", 17, 2000);
    vt__tdx_eval_floor_get(&fl, NULL, dir, "tcb-00aa00000000");
    assert_int_equal(fl.num, 18);
    assert_int_equal(fl.since, 1000);
    assert_false(vt__tdx_eval_refused(&fl, 18, 5000));
    assert_true(vt__tdx_eval_refused(&fl, 17, 1000));
    assert_false(vt__tdx_eval_refused(&fl, 17, 999));
    snprintf(path, sizeof(path), "%s/tdx-eval-tcb-00aa00000000", dir);
    {
        static const char *const bad[] = { "v1 18 x\n", "v118 1000\n", "v1 -4294967295 0\n", "v1 18 1000\nx",
                                           "v1 18 1000", "v1  18 1000\n", "v1 4294967296 0\n", "v2 18 1000\n" };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            assert_int_equal(vt_file_write(path, bad[i], strlen(bad[i]), 0600, NULL), VT_OK);
            vt__tdx_eval_floor_get(&fl, NULL, dir, "tcb-00aa00000000");
            if (fl.num != 0)
                fail_msg("floor file \"%s\" taken as %u", bad[i], fl.num);
        }
    }
    assert_int_equal(vt_file_write(path, "v1 4294967295 -5\n", 17, 0600, NULL), VT_OK);
    vt__tdx_eval_floor_get(&fl, NULL, dir, "tcb-00aa00000000");
    assert_int_equal(fl.num, UINT32_MAX);
    assert_int_equal(fl.since, -5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_tdx_eval__newest_of_two_rates),
        cmocka_unit_test(test_tee_tdx_eval__older_refused_after_newer),
        cmocka_unit_test(test_tee_tdx_eval__cached_verdict_refused_after_newer),
        cmocka_unit_test(test_tee_tdx_eval__floor_file),
    };
    return cmocka_run_group_tests(tests, vt_test_state_dir_setup, vt_test_state_dir_teardown);
}
