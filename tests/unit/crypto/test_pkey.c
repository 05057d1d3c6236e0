/* Keys: generation, raw EC import, PEM in and out, references. */
#include "vt_test.h"

#include <string.h>

static vt_pkey *gen(vt_key_type t)
{
    vt_pkey *k = NULL;
    vt_err err = { 0 };

    if (vt_pkey_generate(&k, t, &err) != VT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(vt_pkey_type(k), t);
    return k;
}

static void test_crypto_pkey__generate_each_type(void **state)
{
    vt_key_type types[] = { VT_KEY_EC_P256, VT_KEY_EC_P384, VT_KEY_EC_P521, VT_KEY_ED25519 };
    vt_pkey *k = (vt_pkey *)&k;
    vt_err err = { 0 };

    (void)state;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        vt_pkey_free(gen(types[i]));
    assert_int_equal(vt_pkey_generate(&k, VT_KEY_NONE, &err), VT_E_ARG);
    assert_null(k);
    assert_non_null(strstr(err.msg, "pkey:"));
    assert_int_equal(vt_pkey_type(NULL), VT_KEY_NONE);
}

static void test_crypto_pkey__raw_ec_round_trip(void **state)
{
    vt_key_type types[] = { VT_KEY_EC_P256, VT_KEY_EC_P384, VT_KEY_EC_P521 };
    const size_t lens[] = { 64, 96, 132 };

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        vt_pkey *k = gen(types[i]), *pub = NULL;
        vt_buf raw, raw2;
        vt_err err = { 0 };

        vt_buf_init(&raw);
        vt_buf_init(&raw2);
        assert_int_equal(vt_pkey_public_raw(&raw, k, &err), VT_OK);
        assert_int_equal(raw.len, lens[i]);
        assert_int_equal(vt_pkey_from_ec_raw(&pub, types[i], raw.data, raw.len, &err), VT_OK);
        assert_int_equal(vt_pkey_type(pub), types[i]);
        assert_int_equal(vt_pkey_public_raw(&raw2, pub, &err), VT_OK);
        assert_int_equal(raw.len, raw2.len);
        assert_memory_equal(raw.data, raw2.data, raw.len);
        vt_pkey_free(pub);
        vt_pkey_free(k);
        vt_buf_free(&raw);
        vt_buf_free(&raw2);
    }
}

/* P-521 keys are TPM endorsement keys here: imported and compared, never used to sign or verify. */
static void test_crypto_pkey__p521_neither_signs_nor_verifies(void **state)
{
    vt_pkey *k = gen(VT_KEY_EC_P521);
    vt_buf sig;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&sig);
    assert_int_equal(vt_pkey_type(k), VT_KEY_EC_P521);
    assert_int_equal(vt_sig_sign(&sig, k, VT_MD_SHA512, false, "m", 1, &err), VT_E_UNSUPPORTED);
    assert_int_equal(vt_sig_verify(k, VT_MD_SHA512, false, "m", 1, (const uint8_t *)"x", 1, &err), VT_E_UNSUPPORTED);
    assert_int_equal(sig.len, 0);
    vt_pkey_free(k);
    vt_buf_free(&sig);
}

static void test_crypto_pkey__raw_ec_wrong_length(void **state)
{
    uint8_t xy[133] = { 0 };
    vt_pkey *k = (vt_pkey *)&k;
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_pkey_from_ec_raw(&k, VT_KEY_EC_P256, xy, 63, &err), VT_E_FORMAT);
    assert_null(k);
    assert_int_equal(vt_pkey_from_ec_raw(&k, VT_KEY_EC_P256, xy, 65, &err), VT_E_FORMAT);
    assert_int_equal(vt_pkey_from_ec_raw(&k, VT_KEY_EC_P384, xy, 64, &err), VT_E_FORMAT);
    assert_int_equal(vt_pkey_from_ec_raw(&k, VT_KEY_EC_P521, xy, 96, &err), VT_E_FORMAT);
    assert_int_equal(vt_pkey_from_ec_raw(&k, VT_KEY_EC_P521, xy, 133, &err), VT_E_FORMAT);
    assert_int_equal(vt_pkey_from_ec_raw(&k, VT_KEY_ED25519, xy, 32, &err), VT_E_ARG);
    assert_int_equal(vt_pkey_from_ec_raw(&k, VT_KEY_RSA, xy, 64, &err), VT_E_ARG);
}

static void test_crypto_pkey__raw_ec_point_off_curve(void **state)
{
    vt_pkey *k = gen(VT_KEY_EC_P256), *pub = (vt_pkey *)&pub;
    uint8_t zero[64] = { 0 };
    vt_buf raw;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&raw);
    assert_int_equal(vt_pkey_public_raw(&raw, k, NULL), VT_OK);
    raw.data[63] ^= 1; /* y no longer matches x */
    assert_int_equal(vt_pkey_from_ec_raw(&pub, VT_KEY_EC_P256, raw.data, raw.len, &err), VT_E_CRYPTO);
    assert_null(pub);
    assert_non_null(strstr(err.msg, "not a point on the curve"));
    assert_int_equal(vt_pkey_from_ec_raw(&pub, VT_KEY_EC_P256, zero, 64, &err), VT_E_CRYPTO);
    vt_buf_free(&raw);
    vt_pkey_free(k);
}

/* Imported points are kept and shared by their bytes (pkey.c): every import must still be
 * exactly the key asked for — more keys than the table has slots, so slots are shared and
 * replaced — a kept key must outlive its first caller's reference, and a point one bit away
 * from a kept one must still be refused. */
static void test_crypto_pkey__raw_ec_imports_kept_exact(void **state)
{
    enum { N = 150 };
    vt_pkey *keys[N];
    vt_buf raw[N];
    vt_err err = { 0 };

    (void)state;
    for (int i = 0; i < N; i++) {
        keys[i] = gen(i % 5 == 0 ? VT_KEY_EC_P384 : VT_KEY_EC_P256);
        vt_buf_init(&raw[i]);
        assert_int_equal(vt_pkey_public_raw(&raw[i], keys[i], &err), VT_OK);
    }
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            vt_pkey *pub = NULL;
            vt_buf got;
            vt_buf sig;
            const char msg[] = "kept";
            vt_buf_init(&got);
            vt_buf_init(&sig);
            assert_int_equal(vt_pkey_from_ec_raw(&pub, vt_pkey_type(keys[i]), raw[i].data, raw[i].len, &err), VT_OK);
            assert_int_equal(vt_pkey_public_raw(&got, pub, &err), VT_OK);
            assert_int_equal(got.len, raw[i].len);
            assert_memory_equal(got.data, raw[i].data, got.len);
            assert_int_equal(vt_ecdsa_sign_raw(&sig, keys[i], VT_MD_SHA256, msg, sizeof(msg), &err), VT_OK);
            assert_int_equal(vt_ecdsa_verify_raw(pub, VT_MD_SHA256, msg, sizeof(msg), sig.data, sig.len, &err), VT_OK);
            vt_pkey_free(pub); /* the table's reference keeps it for the next round */
            vt_buf_free(&got);
            vt_buf_free(&sig);
        }
    }
    for (int i = 0; i < N; i++) {
        vt_pkey *pub = (vt_pkey *)&pub;
        raw[i].data[raw[i].len - 1] ^= 1; /* y no longer matches x */
        assert_int_equal(vt_pkey_from_ec_raw(&pub, vt_pkey_type(keys[i]), raw[i].data, raw[i].len, &err), VT_E_CRYPTO);
        assert_null(pub);
        vt_buf_free(&raw[i]);
        vt_pkey_free(keys[i]);
    }
}

static void pem_round_trip(vt_key_type t)
{
    vt_pkey *k = gen(t), *priv = NULL, *pub = NULL;
    vt_buf pem_priv, pem_pub, a, b;
    vt_err err = { 0 };

    vt_buf_init(&pem_priv);
    vt_buf_init(&pem_pub);
    vt_buf_init(&a);
    vt_buf_init(&b);
    assert_int_equal(vt_pkey_to_pem(&pem_priv, k, true, &err), VT_OK);
    assert_non_null(strstr((const char *)pem_priv.data, "-----BEGIN PRIVATE KEY-----"));
    assert_int_equal(vt_pkey_to_pem(&pem_pub, k, false, &err), VT_OK);
    assert_non_null(strstr((const char *)pem_pub.data, "-----BEGIN PUBLIC KEY-----"));
    /* with the trailing NUL counted, as a C string read from a file might be */
    assert_int_equal(vt_pkey_from_pem(&priv, (const char *)pem_priv.data, pem_priv.len + 1, &err), VT_OK);
    assert_int_equal(vt_pkey_from_pem(&pub, (const char *)pem_pub.data, pem_pub.len, &err), VT_OK);
    assert_int_equal(vt_pkey_type(priv), t);
    assert_int_equal(vt_pkey_type(pub), t);
    if (t != VT_KEY_RSA) {
        assert_int_equal(vt_pkey_public_raw(&a, priv, NULL), VT_OK);
        assert_int_equal(vt_pkey_public_raw(&b, pub, NULL), VT_OK);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
    } else {
        assert_int_equal(vt_pkey_public_raw(&a, pub, &err), VT_E_UNSUPPORTED);
    }
    /* a public key has no private PEM */
    assert_int_not_equal(vt_pkey_to_pem(&a, pub, true, &err), VT_OK);
    vt_pkey_free(priv);
    vt_pkey_free(pub);
    vt_pkey_free(k);
    vt_buf_free(&pem_priv);
    vt_buf_free(&pem_pub);
    vt_buf_free(&a);
    vt_buf_free(&b);
}

static void test_crypto_pkey__pem_round_trip_p256(void **state) { (void)state; pem_round_trip(VT_KEY_EC_P256); }
static void test_crypto_pkey__pem_round_trip_p384(void **state) { (void)state; pem_round_trip(VT_KEY_EC_P384); }
static void test_crypto_pkey__pem_round_trip_ed25519(void **state) { (void)state; pem_round_trip(VT_KEY_ED25519); }
static void test_crypto_pkey__pem_round_trip_rsa(void **state) { (void)state; pem_round_trip(VT_KEY_RSA); }

static void test_crypto_pkey__pem_garbage(void **state)
{
    static const char junk[] = "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n";
    static const char enc[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    vt_pkey *k = (vt_pkey *)&k;
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_pkey_from_pem(&k, junk, sizeof(junk) - 1, &err), VT_E_FORMAT);
    assert_null(k);
    assert_int_equal(vt_pkey_from_pem(&k, "", 0, &err), VT_E_FORMAT);
    assert_int_equal(vt_pkey_from_pem(&k, enc, sizeof(enc) - 1, &err), VT_E_FORMAT);
}

static void test_crypto_pkey__ed25519_raw_is_32_bytes(void **state)
{
    vt_pkey *ed = gen(VT_KEY_ED25519);
    vt_buf raw;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&raw);
    assert_int_equal(vt_pkey_public_raw(&raw, ed, &err), VT_OK);
    assert_int_equal(raw.len, 32);
    vt_pkey_free(ed);
    vt_buf_free(&raw);
}

static void test_crypto_pkey__references(void **state)
{
    vt_pkey *k = gen(VT_KEY_EC_P256);
    vt_pkey *r = vt_pkey_ref(k);
    vt_buf raw;

    (void)state;
    assert_ptr_equal(r, k);
    vt_pkey_free(k);
    vt_buf_init(&raw);
    assert_int_equal(vt_pkey_public_raw(&raw, r, NULL), VT_OK); /* still alive */
    vt_pkey_free(r);
    vt_buf_free(&raw);
    assert_null(vt_pkey_ref(NULL));
    vt_pkey_free(NULL);
}

/* The modulus and exponent out of an RSA key import back as the same key; other types refused. */
static void test_crypto_pkey__rsa_raw_round_trip(void **state)
{
    vt_pkey *k = NULL, *back = NULL, *ec = NULL;
    uint8_t a[32], b[32];
    vt_buf n, e;

    (void)state;
    vt_buf_init(&n);
    vt_buf_init(&e);
    assert_int_equal(vt_pkey_generate(&k, VT_KEY_RSA, NULL), VT_OK);
    assert_int_equal(vt_pkey_rsa_public_raw(&n, &e, k, NULL), VT_OK);
    assert_true(n.len >= 256 && n.data[0] != 0);
    assert_int_equal(e.len, 3); /* 65537 */
    assert_int_equal(vt_pkey_from_rsa_raw(&back, n.data, n.len, e.data, e.len, NULL), VT_OK);
    assert_int_equal(vt_pkey_spki_sha256(a, k, NULL), VT_OK);
    assert_int_equal(vt_pkey_spki_sha256(b, back, NULL), VT_OK);
    assert_memory_equal(a, b, 32);
    assert_int_equal(vt_pkey_generate(&ec, VT_KEY_EC_P256, NULL), VT_OK);
    n.len = e.len = 0;
    assert_int_equal(vt_pkey_rsa_public_raw(&n, &e, ec, NULL), VT_E_ARG);
    assert_int_equal(n.len + e.len, 0);
    vt_pkey_free(k);
    vt_pkey_free(back);
    vt_pkey_free(ec);
    vt_buf_free(&n);
    vt_buf_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto_pkey__generate_each_type),
        cmocka_unit_test(test_crypto_pkey__raw_ec_round_trip),
        cmocka_unit_test(test_crypto_pkey__p521_neither_signs_nor_verifies),
        cmocka_unit_test(test_crypto_pkey__raw_ec_wrong_length),
        cmocka_unit_test(test_crypto_pkey__raw_ec_point_off_curve),
        cmocka_unit_test(test_crypto_pkey__raw_ec_imports_kept_exact),
        cmocka_unit_test(test_crypto_pkey__pem_round_trip_p256),
        cmocka_unit_test(test_crypto_pkey__pem_round_trip_p384),
        cmocka_unit_test(test_crypto_pkey__pem_round_trip_ed25519),
        cmocka_unit_test(test_crypto_pkey__pem_round_trip_rsa),
        cmocka_unit_test(test_crypto_pkey__pem_garbage),
        cmocka_unit_test(test_crypto_pkey__ed25519_raw_is_32_bytes),
        cmocka_unit_test(test_crypto_pkey__references),
        cmocka_unit_test(test_crypto_pkey__rsa_raw_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
