/* Tampering with simulated SEV-SNP evidence, through the real verifier:
 * a bit flip in every byte of the report (signed body, signature, unsigned
 * tail), in every byte of the VCEK and of the ASK, is rejected; every
 * truncation of the report and of a certificate table is a format error;
 * nothing crashes.  A verification cache is shared across the flips, so it
 * is also shown that a cached chain never vouches for a changed report. */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>

#include "tee/collect.h"

#define T0 1775001600 /* 2026-04-01T00:00:00Z */

typedef struct fx {
    char state[512];
    vt_buf rep;
    uint8_t vcek[2048], ask[2048];
    size_t vcek_len, ask_len;
    vt_verify_cache *cache;
    vt_result *res;
} fx;

static void der_of_pem(uint8_t *out, size_t *len, const vt_collateral *c, const char *name)
{
    for (size_t i = 0; i < vt_collateral_count(c); i++) {
        const char *n = NULL;
        size_t l = 0;
        const uint8_t *p = vt_collateral_get(c, i, &n, &l);
        vt_x509 *x[1] = { NULL };
        size_t cnt = 0;
        const uint8_t *der;
        size_t dl = 0;

        if (strcmp(n, name) != 0)
            continue;
        assert_int_equal(vt_x509_list_from_pem(x, &cnt, 1, (const char *)p, l, NULL), VT_OK);
        der = vt_x509_der(x[0], &dl);
        assert_true(dl <= 2048);
        memcpy(out, der, dl);
        *len = dl;
        vt_x509_free(x[0]);
        return;
    }
    fail_msg("no %s in the simulator's collateral", name);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    vt_sim_sevsnp_opts so;
    vt_collateral *c = NULL;
    vt_err err = { 0 };

    assert_non_null(f);
    vt_test_mkdtemp(f->state, sizeof(f->state));
    memset(&so, 0, sizeof(so));
    so.now = T0;
    so.state_dir = f->state;
    memset(so.report_data, 0x5c, sizeof(so.report_data));
    assert_int_equal(vt_collateral_new(&c, &err), VT_OK);
    vt_buf_init(&f->rep);
    assert_int_equal(vt_sim_sevsnp(&f->rep, c, &so, &err), VT_OK);
    der_of_pem(f->vcek, &f->vcek_len, c, "vcek.pem");
    der_of_pem(f->ask, &f->ask_len, c, "ask.pem");
    vt_collateral_free(c);
    assert_int_equal(vt_verify_cache_new(&f->cache, &err), VT_OK);
    f->res = calloc(1, sizeof(*f->res));
    assert_non_null(f->res);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    vt_test_rmdir(f->state);
    vt_buf_free(&f->rep);
    vt_verify_cache_free(f->cache);
    free(f->res);
    free(f);
    return 0;
}

/* Verifies rep with the given VCEK and ASK (DER); returns the status. */
static vt_status run(fx *f, const uint8_t *rep, size_t len, const uint8_t *vcek, size_t vl, const uint8_t *ask,
                     size_t al, vt_tee_kind platform)
{
    vt_verify_opts o;
    vt_collateral *c = NULL;
    vt_status rc;

    assert_int_equal(vt_collateral_new(&c, NULL), VT_OK);
    assert_int_equal(vt_collateral_add(c, "vcek.der", vcek, vl, NULL), VT_OK);
    assert_int_equal(vt_collateral_add(c, "ask.der", ask, al, NULL), VT_OK);
    memset(&o, 0, sizeof(o));
    o.platform = platform;
    o.now = T0;
    o.collateral = c;
    o.trust_sim = true;
    o.state_dir = f->state;
    o.cache = f->cache;
    memset(f->res, 0, sizeof(*f->res));
    rc = vt_evidence_verify(f->res, rep, len, &o, NULL);
    vt_collateral_free(c);
    return rc;
}

static void test_tee_sevsnp_tamper__baseline(void **state)
{
    fx *f = *state;

    assert_int_equal(run(f, f->rep.data, f->rep.len, f->vcek, f->vcek_len, f->ask, f->ask_len, VT_TEE_NONE), VT_OK);
    assert_true(f->res->valid);
    assert_int_equal(f->res->verdict, VT_VERDICT_WARNING); /* TCB status Unknown: no minimum given */
    assert_int_equal(f->res->error_count, 0);
    assert_int_equal(f->res->warning_count, 1);
}

static void test_tee_sevsnp_tamper__every_report_byte(void **state)
{
    fx *f = *state;
    uint8_t *b = malloc(f->rep.len);
    size_t sig_fail = 0, fmt_fail = 0;

    assert_non_null(b);
    /* warm the cache with the genuine report first */
    assert_int_equal(run(f, f->rep.data, f->rep.len, f->vcek, f->vcek_len, f->ask, f->ask_len, VT_TEE_SEVSNP), VT_OK);
    assert_true(f->res->valid);
    for (size_t i = 0; i < f->rep.len; i++) {
        vt_status rc;

        memcpy(b, f->rep.data, f->rep.len);
        b[i] ^= (uint8_t)(1u << (i % 8));
        rc = run(f, b, f->rep.len, f->vcek, f->vcek_len, f->ask, f->ask_len, VT_TEE_SEVSNP);
        if (f->res->valid)
            fail_msg("flip at report offset 0x%zx accepted", i);
        assert_int_equal(f->res->verdict, VT_VERDICT_CONTRAINDICATED);
        if (rc == VT_OK) {
            /* read, but rejected: in the signed body or the signature */
            assert_true(i < 0x330);
            sig_fail++;
        } else {
            assert_true(rc == VT_E_FORMAT || rc == VT_E_UNSUPPORTED);
            fmt_fail++;
        }
    }
    /* the unsigned tail (0x330..0x4A0) and the upper halves of R and S are must-be-zero */
    assert_true(fmt_fail >= 0x4A0 - 0x330 + 48);
    assert_true(sig_fail > 0x2A0 - 0x100);
    free(b);
}

static void flip_cert(fx *f, bool vcek)
{
    uint8_t c[2048];
    size_t len = vcek ? f->vcek_len : f->ask_len;

    for (size_t i = 0; i < len; i++) {
        memcpy(c, vcek ? f->vcek : f->ask, len);
        c[i] ^= (uint8_t)(1u << (i % 8));
        if (vcek)
            (void)run(f, f->rep.data, f->rep.len, c, len, f->ask, f->ask_len, VT_TEE_SEVSNP);
        else
            (void)run(f, f->rep.data, f->rep.len, f->vcek, f->vcek_len, c, len, VT_TEE_SEVSNP);
        if (f->res->valid)
            fail_msg("flip at %s offset %zu accepted", vcek ? "vcek" : "ask", i);
    }
}

static void test_tee_sevsnp_tamper__every_vcek_byte(void **state)
{
    flip_cert(*state, true);
}

static void test_tee_sevsnp_tamper__every_ask_byte(void **state)
{
    flip_cert(*state, false);
}

static void test_tee_sevsnp_tamper__every_truncation(void **state)
{
    fx *f = *state;
    uint8_t *b = malloc(f->rep.len + 1);

    assert_non_null(b);
    memcpy(b, f->rep.data, f->rep.len);
    for (size_t n = 0; n < f->rep.len; n++) {
        assert_int_equal(run(f, b, n, f->vcek, f->vcek_len, f->ask, f->ask_len, VT_TEE_SEVSNP), VT_E_FORMAT);
        assert_false(f->res->valid);
        /* without naming the platform, nothing recognizes it */
        assert_int_not_equal(run(f, b, n, f->vcek, f->vcek_len, f->ask, f->ask_len, VT_TEE_NONE), VT_OK);
        assert_false(f->res->valid);
    }
    b[f->rep.len] = 0; /* one trailing byte */
    assert_int_equal(run(f, b, f->rep.len + 1, f->vcek, f->vcek_len, f->ask, f->ask_len, VT_TEE_SEVSNP), VT_E_FORMAT);
    assert_false(f->res->valid);
    free(b);
}

/* A tight certificate table (VCEK, ASK, terminator, then the DER blobs, the
 * last ending at the last byte): every shorter prefix is refused and adds
 * nothing. */
static void test_tee_sevsnp_tamper__cert_table_truncation(void **state)
{
    static const uint8_t g_vcek[16] = { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
                                        0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd };
    static const uint8_t g_ask[16] = { 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
                                       0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82 };
    fx *f = *state;
    size_t len = 3 * 24 + f->vcek_len + f->ask_len;
    uint8_t *t = calloc(1, len);
    uint32_t off = 3 * 24, l;
    vt_collateral *c = NULL;

    assert_non_null(t);
    memcpy(t, g_vcek, 16);
    l = (uint32_t)f->vcek_len;
    memcpy(t + 16, &off, 4);
    memcpy(t + 20, &l, 4);
    memcpy(t + off, f->vcek, f->vcek_len);
    off += l;
    memcpy(t + 24, g_ask, 16);
    l = (uint32_t)f->ask_len;
    memcpy(t + 40, &off, 4);
    memcpy(t + 44, &l, 4);
    memcpy(t + off, f->ask, f->ask_len);
    assert_int_equal(vt_collateral_new(&c, NULL), VT_OK);
    for (size_t n = 1; n < len; n++) {
        assert_int_equal(vt__sevsnp_cert_table(c, t, n, NULL), VT_E_FORMAT);
        assert_int_equal(vt_collateral_count(c), 0);
    }
    assert_int_equal(vt__sevsnp_cert_table(c, t, len, NULL), VT_OK);
    assert_int_equal(vt_collateral_count(c), 2);
    vt_collateral_free(c);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tee_sevsnp_tamper__baseline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_sevsnp_tamper__every_report_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_sevsnp_tamper__every_vcek_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_sevsnp_tamper__every_ask_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_sevsnp_tamper__every_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_sevsnp_tamper__cert_table_truncation, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
