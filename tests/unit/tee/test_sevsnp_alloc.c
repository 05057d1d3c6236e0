/*
 * Allocation failures inside OpenSSL while verifying SEV-SNP evidence (the
 * report parser, collateral scan, VCEK/ASK chain, extensions, signature): the
 * Nth OpenSSL allocation fails, for N = 1, 2, ... until a verification goes
 * through (every 7th N, from a different start for each report, so that the
 * test stays quick; VERITEE_TEST_EXHAUSTIVE=1 tries every N).  A genuine report is then either accepted exactly as without the
 * failure or rejected cleanly; a tampered one is never accepted; nothing
 * leaks (ASan) or crashes.
 */
#include "vt_test.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1775001600 /* 2026-04-01T00:00:00Z */

static long alloc_countdown = -1; /* -1: never fail */
static long alloc_seen;

static void *t_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    alloc_seen++;
    if (alloc_countdown >= 0 && alloc_countdown-- == 0)
        return NULL;
    return malloc(n);
}

static void *t_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    alloc_seen++;
    if (alloc_countdown >= 0 && alloc_countdown-- == 0)
        return NULL;
    return realloc(p, n);
}

static void t_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    free(p);
}

static char state_dir[512];
static vt_buf rep, bad;
static vt_collateral *coll;
static vt_result res;

static vt_status verify(const vt_buf *r)
{
    vt_verify_opts o;

    memset(&o, 0, sizeof(o));
    o.platform = VT_TEE_SEVSNP;
    o.now = T0;
    o.collateral = coll;
    o.trust_sim = true;
    o.state_dir = state_dir;
    memset(&res, 0, sizeof(res));
    return vt_evidence_verify(&res, r->data, r->len, &o, NULL);
}

static long stride = 7;

static long loop(const vt_buf *r, bool genuine, long start)
{
    long failures = 0;
    vt_status rc = VT_E_NOMEM;

    for (long k = start; k < 200000; k += stride) {
        alloc_seen = 0;
        alloc_countdown = k;
        rc = verify(r);
        alloc_countdown = -1;
        if (alloc_seen <= k) /* nothing was made to fail: done */
            break;
        failures++;
        assert_true(rc == VT_OK || rc == VT_E_NOMEM || rc == VT_E_INTERNAL || rc == VT_E_FORMAT ||
                    rc == VT_E_CRYPTO || rc == VT_E_UNSUPPORTED);
        if (res.valid) {
            if (!genuine)
                fail_msg("tampered report accepted with OpenSSL allocation %ld failing", k);
            /* accepted only with every check done */
            assert_true(res.signature_valid && res.chain_valid && res.collateral_verified);
            assert_int_equal(res.verdict, VT_VERDICT_WARNING); /* TCB status Unknown: no minimum given */
        }
    }
    assert_int_equal(rc, VT_OK);
    assert_int_equal(res.valid, genuine);
    return failures;
}

static void test_tee_sevsnp_alloc__genuine_accepted_or_cleanly_rejected(void **state)
{
    (void)state;
    long n = loop(&rep, true, 0);
    print_message("%ld failure points\n", n);
    assert_true(n > 50);
    assert_int_equal(verify(&rep), VT_OK); /* nothing left broken */
    assert_true(res.valid);
}

static void test_tee_sevsnp_alloc__tampered_never_accepted(void **state)
{
    (void)state;
    assert_true(loop(&bad, false, stride / 2) > 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_sevsnp_alloc__genuine_accepted_or_cleanly_rejected),
        cmocka_unit_test(test_tee_sevsnp_alloc__tampered_never_accepted),
    };
    vt_sim_sevsnp_opts so;
    int rc;

    /* Must come before OpenSSL's first allocation. */
    if (CRYPTO_set_mem_functions(t_malloc, t_realloc, t_free) != 1) {
        fprintf(stderr, "skipped: OpenSSL allocator already in use\n");
        return 77;
    }
    if (getenv("VERITEE_TEST_EXHAUSTIVE") != NULL)
        stride = 1;
    vt_test_mkdtemp(state_dir, sizeof(state_dir));
    memset(&so, 0, sizeof(so));
    so.now = T0;
    so.state_dir = state_dir;
    memset(so.report_data, 7, sizeof(so.report_data));
    vt_buf_init(&rep);
    vt_buf_init(&bad);
    if (vt_collateral_new(&coll, NULL) != VT_OK || vt_sim_sevsnp(&rep, coll, &so, NULL) != VT_OK ||
        vt_buf_append(&bad, rep.data, rep.len, NULL) != VT_OK) {
        fprintf(stderr, "cannot make the simulated report\n");
        return 1;
    }
    bad.data[0x90] ^= 1; /* MEASUREMENT */
    if (verify(&rep) != VT_OK || !res.valid) { /* warm up: pinned roots, providers */
        fprintf(stderr, "the simulated report does not verify\n");
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    vt_collateral_free(coll);
    vt_buf_free(&rep);
    vt_buf_free(&bad);
    vt_test_rmdir(state_dir);
    return rc;
}
