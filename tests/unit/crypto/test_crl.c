/* CRL parsing: DER or PEM by content, validity, issuer; broken input refused. */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>

#define T0 ((vt_time)1700000000)

typedef struct fix {
    vt_pkey *key;
    vt_x509 *ca;
    vt_buf der;
} fix;

static int setup(void **state)
{
    fix *f = calloc(1, sizeof(*f));
    vt_x509_spec s = { .subject_cn = "CRL Test CA", .subject_o = "Veritee", .serial = 7, .not_before = T0,
                       .not_after = T0 + 86400 * 30, .ca = true, .pathlen = 0 };
    uint64_t serials[] = { 0x1a2b3c, 5, 0x8000000000000000ull };
    vt_err err = { 0 };

    assert_non_null(f);
    vt_buf_init(&f->der);
    assert_int_equal(vt_pkey_generate(&f->key, VT_KEY_EC_P256, NULL), VT_OK);
    if (vt_x509_issue(&f->ca, &s, f->key, NULL, f->key, &err) != VT_OK ||
        vt_crl_issue(&f->der, f->ca, f->key, serials, 3, T0 + 100, T0 + 86400, &err) != VT_OK)
        fail_msg("%s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fix *f = *state;

    vt_buf_free(&f->der);
    vt_x509_free(f->ca);
    vt_pkey_free(f->key);
    free(f);
    return 0;
}

static void test_crypto_crl__der(void **state)
{
    fix *f = *state;
    vt_crl *c = NULL;
    vt_time tu, nu;
    char s[128];
    vt_err err = { 0 };

    if (vt_crl_parse(&c, f->der.data, f->der.len, &err) != VT_OK)
        fail_msg("%s", err.msg);
    vt_crl_validity(c, &tu, &nu);
    assert_int_equal(tu, T0 + 100);
    assert_int_equal(nu, T0 + 86400);
    vt_crl_issuer(c, s, sizeof(s));
    assert_string_equal(s, "O=Veritee,CN=CRL Test CA");
    vt_crl_free(c);
    vt_crl_free(NULL);
}

static void test_crypto_crl__pem_with_junk_and_nul(void **state)
{
    fix *f = *state;
    vt_buf pem;
    vt_crl *c = NULL;
    vt_time tu, nu;
    vt_err err = { 0 };

    vt_buf_init(&pem);
    assert_int_equal(vt_buf_append_str(&pem, "issuer: test\n-----BEGIN X509 CRL-----\n", NULL), VT_OK);
    for (size_t i = 0; i < f->der.len; i += 48) { /* 64-column base64 lines */
        size_t n = f->der.len - i < 48 ? f->der.len - i : 48;

        assert_int_equal(vt_base64_encode(&pem, f->der.data + i, n, false, NULL), VT_OK);
        assert_int_equal(vt_buf_append_str(&pem, "\r\n", NULL), VT_OK);
    }
    assert_int_equal(vt_buf_append_str(&pem, "-----END X509 CRL-----\n", NULL), VT_OK);
    assert_int_equal(vt_buf_append(&pem, "", 1, NULL), VT_OK);
    if (vt_crl_parse(&c, pem.data, pem.len, &err) != VT_OK)
        fail_msg("%s", err.msg);
    vt_crl_validity(c, &tu, &nu);
    assert_int_equal(tu, T0 + 100);
    vt_crl_free(c);
    /* END missing */
    pem.len -= 25;
    assert_int_equal(vt_crl_parse(&c, pem.data, pem.len, &err), VT_E_FORMAT);
    assert_null(c);
    vt_buf_free(&pem);
}

static void test_crypto_crl__truncations_and_trailing(void **state)
{
    fix *f = *state;
    vt_crl *c = NULL;
    vt_buf d;
    vt_err err = { 0 };

    for (size_t n = 0; n < f->der.len; n++) {
        assert_int_not_equal(vt_crl_parse(&c, f->der.data, n, &err), VT_OK);
        assert_null(c);
    }
    vt_buf_init(&d);
    assert_int_equal(vt_buf_append(&d, f->der.data, f->der.len, NULL), VT_OK);
    assert_int_equal(vt_buf_append(&d, "\0", 1, NULL), VT_OK);
    assert_int_equal(vt_crl_parse(&c, d.data, d.len, &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "trailing"));
    vt_buf_free(&d);
}

static void test_crypto_crl__garbage(void **state)
{
    static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
    vt_crl *c = NULL;
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_crl_parse(&c, junk, sizeof(junk), &err), VT_E_FORMAT);
    assert_int_equal(vt_crl_parse(&c, (const uint8_t *)"hello", 5, &err), VT_E_FORMAT);
    assert_int_equal(vt_crl_parse(&c, (const uint8_t *)"", 0, &err), VT_E_FORMAT);
    assert_null(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto_crl__der),
        cmocka_unit_test(test_crypto_crl__pem_with_junk_and_nul),
        cmocka_unit_test(test_crypto_crl__truncations_and_trailing),
        cmocka_unit_test(test_crypto_crl__garbage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
