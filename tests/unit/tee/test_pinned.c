/* Pinned certificate sets (tee/pinned.c): a set loads only when every
 * certificate's text hashes to its pin, once, all or nothing. */
#include "vt_test.h"

#include <string.h>

#include "tee/pinned.h"

struct made {
    vt_buf pem;
    uint8_t sha256[32];
};

static void make_cert(struct made *m, const char *cn)
{
    vt_pkey *k = NULL;
    vt_x509 *c = NULL;
    vt_x509_spec spec;
    vt_err err = { 0 };

    memset(&spec, 0, sizeof(spec));
    spec.subject_cn = cn;
    spec.serial = 7;
    spec.not_before = 1700000000;
    spec.not_after = 1900000000;
    spec.ca = true;
    spec.pathlen = -1;
    vt_buf_init(&m->pem);
    assert_int_equal(vt_pkey_generate(&k, VT_KEY_EC_P256, &err), VT_OK);
    assert_int_equal(vt_x509_issue(&c, &spec, k, NULL, k, &err), VT_OK);
    assert_int_equal(vt_x509_to_pem(&m->pem, c, &err), VT_OK);
    vt_x509_fingerprint(c, m->sha256);
    vt_x509_free(c);
    vt_pkey_free(k);
}

static void test_tee_pinned__loads_when_every_pin_matches(void **state)
{
    struct made a, b;
    vt_x509 *certs[2] = { NULL, NULL };
    vt__pin pins[2];
    vt__pinned_set set;
    vt_err err = { 0 };
    uint8_t fp[32];

    (void)state;
    make_cert(&a, "pinned A");
    make_cert(&b, "pinned B");
    pins[0] = (vt__pin){ (const char *)a.pem.data, a.pem.len, a.sha256 };
    pins[1] = (vt__pin){ (const char *)b.pem.data, b.pem.len, b.sha256 };
    set = (vt__pinned_set){ pins, 2, "test pair", certs, 0 };
    assert_int_equal(vt__pinned_load(&set, &err), VT_OK);
    assert_non_null(certs[0]);
    assert_non_null(certs[1]);
    vt_x509_fingerprint(certs[1], fp);
    assert_memory_equal(fp, b.sha256, 32);
    /* Loaded once: a second call hands out the same certificates. */
    assert_int_equal(vt__pinned_load(&set, &err), VT_OK);
    vt_x509_free(certs[0]);
    vt_x509_free(certs[1]);
    vt_buf_free(&a.pem);
    vt_buf_free(&b.pem);
}

static void test_tee_pinned__one_wrong_pin_disables_the_set(void **state)
{
    struct made a, b;
    vt_x509 *certs[2] = { NULL, NULL };
    vt__pin pins[2];
    vt__pinned_set set;
    vt_err err = { 0 };

    (void)state;
    make_cert(&a, "pinned A");
    make_cert(&b, "pinned B");
    b.sha256[31] ^= 1;
    pins[0] = (vt__pin){ (const char *)a.pem.data, a.pem.len, a.sha256 };
    pins[1] = (vt__pin){ (const char *)b.pem.data, b.pem.len, b.sha256 };
    set = (vt__pinned_set){ pins, 2, "test pair", certs, 0 };
    assert_int_equal(vt__pinned_load(&set, &err), VT_E_INTERNAL);
    assert_non_null(strstr(err.msg, "pinned test pair failed to load"));
    assert_null(certs[0]); /* all or nothing */
    assert_null(certs[1]);
    vt_err_clear(&err);
    assert_int_equal(vt__pinned_load(&set, &err), VT_E_INTERNAL); /* and it stays refused */
    vt_buf_free(&a.pem);
    vt_buf_free(&b.pem);
}

static void test_tee_pinned__text_that_is_not_one_certificate(void **state)
{
    struct made a, b;
    vt_buf both;
    vt_x509 *certs[1] = { NULL };
    vt__pin pins[1];
    vt__pinned_set set;
    vt_err err = { 0 };

    (void)state;
    make_cert(&a, "pinned A");
    make_cert(&b, "pinned B");
    vt_buf_init(&both);
    assert_int_equal(vt_buf_append(&both, a.pem.data, a.pem.len, &err), VT_OK);
    assert_int_equal(vt_buf_append(&both, b.pem.data, b.pem.len, &err), VT_OK);
    pins[0] = (vt__pin){ (const char *)both.data, both.len, a.sha256 };
    set = (vt__pinned_set){ pins, 1, "two in one", certs, 0 };
    assert_int_equal(vt__pinned_load(&set, &err), VT_E_INTERNAL);
    pins[0] = (vt__pin){ "not a certificate", 17, a.sha256 };
    set = (vt__pinned_set){ pins, 1, "garbage", certs, 0 };
    assert_int_equal(vt__pinned_load(&set, &err), VT_E_INTERNAL);
    assert_null(certs[0]);
    vt_buf_free(&both);
    vt_buf_free(&a.pem);
    vt_buf_free(&b.pem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_pinned__loads_when_every_pin_matches),
        cmocka_unit_test(test_tee_pinned__one_wrong_pin_disables_the_set),
        cmocka_unit_test(test_tee_pinned__text_that_is_not_one_certificate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
