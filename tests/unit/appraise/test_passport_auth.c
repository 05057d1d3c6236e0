/* Veritee-Gateway authorization: a signed request verifies under the passport's
 * enclave key; every change to method, path, body, time, key or value is refused. */
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

static const char *PASSPORT = "eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJwYXNzLTEifQ.c2ln";

static void test_appraise_passport_auth__roundtrip_and_tamper(void **state)
{
    vt_pkey *k = NULL, *other = NULL;
    char *jwk = NULL, *jwk2 = NULL, *v = NULL;
    vt_passport_auth a;
    vt_err err;
    const uint8_t body[] = "{\"receipts\":[]}";
    vt_time now = 1800000000;
    (void)state;

    assert_int_equal(vt_pkey_generate(&k, VT_KEY_EC_P256, &err), VT_OK);
    assert_int_equal(vt_pkey_generate(&other, VT_KEY_EC_P256, &err), VT_OK);
    assert_int_equal(vt_jwk_from_pkey(&jwk, k, NULL, &err), VT_OK);
    assert_int_equal(vt_jwk_from_pkey(&jwk2, other, NULL, &err), VT_OK);
    assert_int_equal(vt_passport_auth_sign(&v, PASSPORT, k, "POST", "http://127.0.0.1:8600/v1/receipts:batch?x=1", body,
                                           sizeof(body) - 1, now, &err),
                     VT_OK);
    assert_true(strncmp(v, "Veritee-Gateway passport=", 25) == 0);
    assert_int_equal(vt_passport_auth_parse(&a, v, strlen(v), &err), VT_OK);
    assert_string_equal(a.passport, PASSPORT);
    assert_int_equal(a.ts, now);
    assert_int_equal(vt_passport_auth_check(&a, jwk, "POST", "/v1/receipts:batch", body, sizeof(body) - 1, now + 10, &err),
                     VT_OK);
    /* each part of the request is covered */
    assert_int_equal(vt_passport_auth_check(&a, jwk, "PUT", "/v1/receipts:batch", body, sizeof(body) - 1, now, &err),
                     VT_E_CRYPTO);
    assert_int_equal(vt_passport_auth_check(&a, jwk, "POST", "/v1/receipts", body, sizeof(body) - 1, now, &err),
                     VT_E_CRYPTO);
    assert_int_equal(vt_passport_auth_check(&a, jwk, "POST", "/v1/receipts:batch", body, sizeof(body) - 2, now, &err),
                     VT_E_CRYPTO);
    assert_int_equal(vt_passport_auth_check(&a, jwk2, "POST", "/v1/receipts:batch", body, sizeof(body) - 1, now, &err),
                     VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "enclave key"));
    /* stale or future timestamps */
    assert_int_equal(vt_passport_auth_check(&a, jwk, "POST", "/v1/receipts:batch", body, sizeof(body) - 1,
                                            now + VT_PASSPORT_AUTH_SKEW + 1, &err),
                     VT_E_POLICY);
    assert_int_equal(vt_passport_auth_check(&a, jwk, "POST", "/v1/receipts:batch", body, sizeof(body) - 1,
                                            now - VT_PASSPORT_AUTH_SKEW - 1, &err),
                     VT_E_POLICY);
    assert_int_equal(vt_passport_auth_check(&a, NULL, "POST", "/v1/receipts:batch", body, sizeof(body) - 1, now, &err),
                     VT_E_POLICY);
    /* a bit flip in the signature */
    a.sig[10] ^= 1;
    assert_int_equal(vt_passport_auth_check(&a, jwk, "POST", "/v1/receipts:batch", body, sizeof(body) - 1, now, &err),
                     VT_E_CRYPTO);
    vt_passport_auth_clear(&a);
    /* every truncation of the value is refused without a crash */
    for (size_t n = 0; n < strlen(v); n++) {
        vt_status rc = vt_passport_auth_parse(&a, v, n, &err);
        assert_int_not_equal(rc, VT_OK);
        assert_null(a.passport);
    }
    free(v);
    vt_pkey_free(k);
    vt_pkey_free(other);
    free(jwk);
    free(jwk2);
}

static void test_appraise_passport_auth__malformed(void **state)
{
    static const struct {
        const char *v;
        vt_status rc;
    } bad[] = {
        { "Bearer abc", VT_E_NOTFOUND },
        { "Veritee-Gateway", VT_E_NOTFOUND },
        { "Veritee-Gateway ts=1, passport=a.b.c, sig=AA", VT_E_FORMAT },
        { "Veritee-Gateway passport=a.b.c, ts=12x, sig=AAAA", VT_E_FORMAT },
        { "Veritee-Gateway passport=a.b.c, ts=1234567890123, sig=AAAA", VT_E_FORMAT },
        { "Veritee-Gateway passport=a b, ts=1, sig=AAAA", VT_E_FORMAT },
        { "Veritee-Gateway passport=a.b.c, ts=1, sig=AAAA", VT_E_FORMAT }, /* 3 bytes, not 64 */
        { "Veritee-Gateway passport=a.b.c, ts=1, sig=", VT_E_FORMAT },
        { "Veritee-Gateway passport=, ts=1, sig=AAAA", VT_E_FORMAT },
        { "Veritee-Gateway passport=a.b.c, ts=1", VT_E_FORMAT },
    };
    vt_passport_auth a;
    vt_err err;
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vt_status rc = vt_passport_auth_parse(&a, bad[i].v, strlen(bad[i].v), &err);
        if (rc != bad[i].rc)
            fail_msg("%s: %d, want %d (%s)", bad[i].v, rc, bad[i].rc, err.msg);
        assert_null(a.passport);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appraise_passport_auth__roundtrip_and_tamper),
        cmocka_unit_test(test_appraise_passport_auth__malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
