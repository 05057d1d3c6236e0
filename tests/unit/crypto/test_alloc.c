/*
 * Allocation failures inside OpenSSL: every parse and verify either
 * succeeds exactly as without the failure or fails cleanly (no VT_OK with a
 * half-built result, no leak under ASan, no crash).  The Nth OpenSSL
 * allocation fails, for N = 1, 2, ... until the call goes through.
 */
#include "vt_test.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 ((vt_time)1700000000)
#define DAY ((vt_time)86400)

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

typedef struct fix {
    vt_pkey *root_key, *inter_key;
    vt_x509 *root, *inter, *leaf;
    vt_buf crl_der, pem, sig;
} fix;

static fix F;

static void build(void)
{
    vt_x509_spec rs = { .subject_cn = "Alloc Root", .serial = 1, .not_before = T0, .not_after = T0 + 100 * DAY,
                        .ca = true, .pathlen = -1 };
    vt_x509_spec is = { .subject_cn = "Alloc Inter", .serial = 2, .not_before = T0, .not_after = T0 + 90 * DAY,
                        .ca = true, .pathlen = 0 };
    vt_x509_spec ls = { .subject_cn = "Alloc Leaf", .serial = 3, .not_before = T0, .not_after = T0 + 30 * DAY };
    uint64_t serials[] = { 9, 10 };
    vt_pkey *leaf_key = NULL;

    assert_int_equal(vt_pkey_generate(&F.root_key, VT_KEY_EC_P384, NULL), VT_OK);
    assert_int_equal(vt_pkey_generate(&F.inter_key, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_pkey_generate(&leaf_key, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_x509_issue(&F.root, &rs, F.root_key, NULL, F.root_key, NULL), VT_OK);
    assert_int_equal(vt_x509_issue(&F.inter, &is, F.inter_key, F.root, F.root_key, NULL), VT_OK);
    assert_int_equal(vt_x509_issue(&F.leaf, &ls, leaf_key, F.inter, F.inter_key, NULL), VT_OK);
    assert_int_equal(vt_crl_issue(&F.crl_der, F.inter, F.inter_key, serials, 2, T0, T0 + 10 * DAY, NULL), VT_OK);
    assert_int_equal(vt_x509_to_pem(&F.pem, F.leaf, NULL), VT_OK);
    assert_int_equal(vt_x509_to_pem(&F.pem, F.inter, NULL), VT_OK);
    assert_int_equal(vt_ecdsa_sign_raw(&F.sig, F.inter_key, VT_MD_SHA256, "m", 1, NULL), VT_OK);
    vt_pkey_free(leaf_key);
}

/* One attempt of the whole pipeline; VT_OK only if every step passed. */
static vt_status pipeline(void)
{
    vt_status rc;
    vt_x509 *c[4] = { 0 };
    size_t n = 0;
    vt_crl *crl = NULL;
    vt_pkey *pub = NULL;
    vt_chain_result res;
    vt_err err = { 0 };

    rc = vt_x509_list_from_pem(c, &n, 4, (const char *)F.pem.data, F.pem.len, &err);
    if (rc == VT_OK)
        assert_int_equal(n, 2);
    else
        assert_int_equal(n, 0);
    if (rc == VT_OK)
        rc = vt_crl_parse(&crl, F.crl_der.data, F.crl_der.len, &err);
    if (rc == VT_OK)
        rc = vt_chain_verify(&res, c, n, &F.root, 1, &crl, 1, T0 + DAY, &err);
    if (rc == VT_OK) {
        assert_int_equal(res.crls_checked, 1);
        assert_int_equal(res.not_after, T0 + 10 * DAY);
    }
    if (rc == VT_OK)
        rc = vt_x509_pubkey(&pub, c[1], &err);
    if (rc == VT_OK)
        rc = vt_ecdsa_verify_raw(pub, VT_MD_SHA256, "m", 1, F.sig.data, F.sig.len, &err);
    if (rc != VT_OK)
        assert_int_not_equal(err.code, VT_OK); /* every failure explains itself */
    vt_pkey_free(pub);
    vt_crl_free(crl);
    for (size_t i = 0; i < n; i++)
        vt_x509_free(c[i]);
    return rc;
}

static void test_crypto_alloc__every_failure_is_clean(void **state)
{
    long failures = 0;
    vt_status rc = VT_E_NOMEM;

    (void)state;
    assert_int_equal(pipeline(), VT_OK); /* warm up: providers loaded, digests fetched */
    for (long k = 0; k < 100000; k++) {
        alloc_seen = 0;
        alloc_countdown = k;
        rc = pipeline();
        alloc_countdown = -1;
        if (alloc_seen <= k) /* nothing was made to fail: done */
            break;
        failures++;
        /* with an allocation failed, it either fails or (where OpenSSL recovers) fully succeeds */
        assert_true(rc == VT_OK || rc == VT_E_NOMEM || rc == VT_E_INTERNAL || rc == VT_E_FORMAT ||
                    rc == VT_E_CRYPTO || rc == VT_E_ARG || rc == VT_E_UNSUPPORTED);
    }
    assert_int_equal(rc, VT_OK);
    assert_true(failures > 50);
    assert_int_equal(pipeline(), VT_OK); /* nothing left broken */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto_alloc__every_failure_is_clean),
    };
    int rc;

    /* Must come before OpenSSL's first allocation. */
    if (CRYPTO_set_mem_functions(t_malloc, t_realloc, t_free) != 1) {
        fprintf(stderr, "skipped: OpenSSL allocator already in use\n");
        return 77;
    }
    build();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    vt_x509_free(F.root);
    vt_x509_free(F.inter);
    vt_x509_free(F.leaf);
    vt_pkey_free(F.root_key);
    vt_pkey_free(F.inter_key);
    vt_buf_free(&F.crl_der);
    vt_buf_free(&F.pem);
    vt_buf_free(&F.sig);
    return rc;
}
