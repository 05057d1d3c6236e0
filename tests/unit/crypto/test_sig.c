/* Signatures: ECDSA raw and DER, Ed25519, RSA PKCS#1 v1.5 and RSA-PSS. */
#include "vt_test.h"

#include <pthread.h>
#include <string.h>

static const char msg[] = "veritee signs this message";

static vt_pkey *gen(vt_key_type t)
{
    vt_pkey *k = NULL;
    vt_err err = { 0 };

    if (vt_pkey_generate(&k, t, &err) != VT_OK)
        fail_msg("%s", err.msg);
    return k;
}

/* The public half alone, through raw X||Y. */
static vt_pkey *public_of(const vt_pkey *k)
{
    vt_pkey *pub = NULL;
    vt_buf raw;

    vt_buf_init(&raw);
    assert_int_equal(vt_pkey_public_raw(&raw, k, NULL), VT_OK);
    assert_int_equal(vt_pkey_from_ec_raw(&pub, vt_pkey_type(k), raw.data, raw.len, NULL), VT_OK);
    vt_buf_free(&raw);
    return pub;
}

static void raw_round_trip(vt_key_type t, vt_md md, size_t want_len)
{
    vt_pkey *k = gen(t), *pub = public_of(k), *other = gen(t);
    vt_buf sig;
    char m2[sizeof(msg)];
    vt_err err = { 0 };

    vt_buf_init(&sig);
    assert_int_equal(vt_ecdsa_sign_raw(&sig, k, md, msg, sizeof(msg), &err), VT_OK);
    assert_int_equal(sig.len, want_len);
    assert_int_equal(vt_ecdsa_verify_raw(pub, md, msg, sizeof(msg), sig.data, sig.len, &err), VT_OK);
    assert_int_equal(vt_ecdsa_verify_raw(k, md, msg, sizeof(msg), sig.data, sig.len, &err), VT_OK);
    /* every bit of the message */
    for (size_t i = 0; i < sizeof(msg) * 8; i += 7) {
        memcpy(m2, msg, sizeof(msg));
        m2[i / 8] ^= (char)(1u << (i % 8));
        assert_int_equal(vt_ecdsa_verify_raw(pub, md, m2, sizeof(m2), sig.data, sig.len, &err), VT_E_CRYPTO);
    }
    /* every bit of the signature */
    for (size_t i = 0; i < sig.len * 8; i++) {
        sig.data[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(vt_ecdsa_verify_raw(pub, md, msg, sizeof(msg), sig.data, sig.len, &err), VT_E_CRYPTO);
        sig.data[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    /* the key's reused verify contexts are as good after those refusals */
    assert_int_equal(vt_ecdsa_verify_raw(pub, md, msg, sizeof(msg), sig.data, sig.len, &err), VT_OK);
    /* another key, another digest */
    assert_int_equal(vt_ecdsa_verify_raw(other, md, msg, sizeof(msg), sig.data, sig.len, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "does not verify"));
    assert_int_equal(vt_ecdsa_verify_raw(pub, md == VT_MD_SHA256 ? VT_MD_SHA384 : VT_MD_SHA256, msg,
                                         sizeof(msg), sig.data, sig.len, &err), VT_E_CRYPTO);
    vt_buf_free(&sig);
    vt_pkey_free(k);
    vt_pkey_free(pub);
    vt_pkey_free(other);
}

static void test_crypto_sig__ecdsa_raw_p256(void **state) { (void)state; raw_round_trip(VT_KEY_EC_P256, VT_MD_SHA256, 64); }
static void test_crypto_sig__ecdsa_raw_p384(void **state) { (void)state; raw_round_trip(VT_KEY_EC_P384, VT_MD_SHA384, 96); }
static void test_crypto_sig__ecdsa_raw_p256_sha512(void **state) { (void)state; raw_round_trip(VT_KEY_EC_P256, VT_MD_SHA512, 64); }

static void test_crypto_sig__ecdsa_raw_wrong_length(void **state)
{
    vt_pkey *k = gen(VT_KEY_EC_P256);
    uint8_t rs[97] = { 1 };
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_ecdsa_verify_raw(k, VT_MD_SHA256, msg, sizeof(msg), rs, 63, &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "ecdsa: raw signature is 63 bytes"));
    assert_int_equal(vt_ecdsa_verify_raw(k, VT_MD_SHA256, msg, sizeof(msg), rs, 65, &err), VT_E_FORMAT);
    assert_int_equal(vt_ecdsa_verify_raw(k, VT_MD_SHA256, msg, sizeof(msg), rs, 96, &err), VT_E_FORMAT);
    assert_int_equal(vt_ecdsa_verify_raw(k, VT_MD_SHA256, msg, sizeof(msg), rs, 0, &err), VT_E_FORMAT);
    /* all-zero r and s */
    memset(rs, 0, sizeof(rs));
    assert_int_equal(vt_ecdsa_verify_raw(k, VT_MD_SHA256, msg, sizeof(msg), rs, 64, &err), VT_E_CRYPTO);
    /* r = s = n - 1 style junk: all 0xff */
    memset(rs, 0xff, sizeof(rs));
    assert_int_equal(vt_ecdsa_verify_raw(k, VT_MD_SHA256, msg, sizeof(msg), rs, 64, &err), VT_E_CRYPTO);
    vt_pkey_free(k);
}

static void test_crypto_sig__ecdsa_raw_wrong_key_type(void **state)
{
    vt_pkey *ed = gen(VT_KEY_ED25519);
    uint8_t rs[64] = { 0 };
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&out);
    assert_int_equal(vt_ecdsa_verify_raw(ed, VT_MD_SHA256, msg, sizeof(msg), rs, 64, &err), VT_E_ARG);
    assert_int_equal(vt_ecdsa_sign_raw(&out, ed, VT_MD_SHA256, msg, sizeof(msg), &err), VT_E_ARG);
    assert_int_equal(out.len, 0);
    vt_pkey_free(ed);
}

/* DER INTEGER content: strip leading zeros, add one when the top bit is set. */
static size_t der_int(uint8_t *out, const uint8_t *v, size_t n)
{
    size_t i = 0, o = 0;

    while (i + 1 < n && v[i] == 0)
        i++;
    out[o++] = 0x02;
    out[o++] = (uint8_t)(n - i + (v[i] & 0x80 ? 1 : 0));
    if (v[i] & 0x80)
        out[o++] = 0;
    memcpy(out + o, v + i, n - i);
    return o + n - i;
}

static size_t raw_to_der(uint8_t *der, const uint8_t *rs, size_t half)
{
    uint8_t body[128];
    size_t n = der_int(body, rs, half);

    n += der_int(body + n, rs + half, half);
    der[0] = 0x30;
    der[1] = (uint8_t)n;
    memcpy(der + 2, body, n);
    return n + 2;
}

/* Signatures whose r or s has leading zero bytes survive raw <-> DER both ways. */
static void test_crypto_sig__ecdsa_raw_der_leading_zeros(void **state)
{
    vt_pkey *k = gen(VT_KEY_EC_P256);
    int found_r = 0, found_s = 0;
    vt_err err = { 0 };

    (void)state;
    for (int tries = 0; tries < 20000 && (found_r < 2 || found_s < 2); tries++) {
        uint8_t m[8], der[80];
        vt_buf sig;
        size_t dl;

        memcpy(m, &tries, sizeof(tries));
        memset(m + sizeof(tries), 0, sizeof(m) - sizeof(tries));
        vt_buf_init(&sig);
        assert_int_equal(vt_ecdsa_sign_raw(&sig, k, VT_MD_SHA256, m, sizeof(m), &err), VT_OK);
        assert_int_equal(sig.len, 64);
        if (sig.data[0] == 0 || sig.data[32] == 0) {
            found_r += sig.data[0] == 0;
            found_s += sig.data[32] == 0;
            assert_int_equal(vt_ecdsa_verify_raw(k, VT_MD_SHA256, m, sizeof(m), sig.data, 64, &err), VT_OK);
            dl = raw_to_der(der, sig.data, 32);
            assert_true(dl < 72); /* shorter than the usual DER */
            assert_int_equal(vt_sig_verify(k, VT_MD_SHA256, false, m, sizeof(m), der, dl, &err), VT_OK);
        }
        vt_buf_free(&sig);
    }
    assert_true(found_r >= 1 && found_s >= 1);
    vt_pkey_free(k);
}

/* Non-canonical DER (an extra leading zero in r) is refused. */
static void test_crypto_sig__ecdsa_der_non_canonical(void **state)
{
    vt_pkey *k = gen(VT_KEY_EC_P256);
    vt_buf sig;
    uint8_t bad[80];
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&sig);
    assert_int_equal(vt_sig_sign(&sig, k, VT_MD_SHA256, false, msg, sizeof(msg), &err), VT_OK);
    assert_int_equal(vt_sig_verify(k, VT_MD_SHA256, false, msg, sizeof(msg), sig.data, sig.len, &err), VT_OK);
    /* 30 L 02 Lr r... : insert a 00 before r */
    assert_int_equal(sig.data[0], 0x30);
    assert_int_equal(sig.data[2], 0x02);
    bad[0] = 0x30;
    bad[1] = (uint8_t)(sig.data[1] + 1);
    bad[2] = 0x02;
    bad[3] = (uint8_t)(sig.data[3] + 1);
    bad[4] = 0x00;
    memcpy(bad + 5, sig.data + 4, sig.len - 4);
    assert_int_equal(vt_sig_verify(k, VT_MD_SHA256, false, msg, sizeof(msg), bad, sig.len + 1, &err),
                     VT_E_CRYPTO);
    /* trailing byte after the DER */
    assert_int_equal(vt_buf_append(&sig, "\0", 1, NULL), VT_OK);
    assert_int_equal(vt_sig_verify(k, VT_MD_SHA256, false, msg, sizeof(msg), sig.data, sig.len, &err),
                     VT_E_CRYPTO);
    vt_buf_free(&sig);
    vt_pkey_free(k);
}

static void generic_round_trip(vt_pkey *k, vt_md md, bool pss)
{
    vt_pkey *other = gen(vt_pkey_type(k));
    vt_buf sig;
    char m2[sizeof(msg)];
    vt_err err = { 0 };

    vt_buf_init(&sig);
    if (vt_sig_sign(&sig, k, md, pss, msg, sizeof(msg), &err) != VT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(vt_sig_verify(k, md, pss, msg, sizeof(msg), sig.data, sig.len, &err), VT_OK);
    memcpy(m2, msg, sizeof(msg));
    m2[3] ^= 0x10;
    assert_int_equal(vt_sig_verify(k, md, pss, m2, sizeof(m2), sig.data, sig.len, &err), VT_E_CRYPTO);
    for (size_t i = 0; i < sig.len; i += sig.len / 16 + 1) {
        sig.data[i] ^= 0x01;
        assert_int_equal(vt_sig_verify(k, md, pss, msg, sizeof(msg), sig.data, sig.len, &err), VT_E_CRYPTO);
        sig.data[i] ^= 0x01;
    }
    assert_int_equal(vt_sig_verify(other, md, pss, msg, sizeof(msg), sig.data, sig.len, &err), VT_E_CRYPTO);
    assert_int_equal(vt_sig_verify(k, md, pss, msg, sizeof(msg), sig.data, sig.len - 1, &err), VT_E_CRYPTO);
    assert_int_equal(vt_sig_verify(k, md, pss, msg, sizeof(msg), sig.data, 0, &err), VT_E_CRYPTO);
    vt_buf_free(&sig);
    vt_pkey_free(other);
}

static void test_crypto_sig__ecdsa_der_p256_p384(void **state)
{
    vt_pkey *a = gen(VT_KEY_EC_P256), *b = gen(VT_KEY_EC_P384);

    (void)state;
    generic_round_trip(a, VT_MD_SHA256, false);
    generic_round_trip(b, VT_MD_SHA384, false);
    vt_pkey_free(a);
    vt_pkey_free(b);
}

static void test_crypto_sig__ed25519(void **state)
{
    vt_pkey *k = gen(VT_KEY_ED25519);
    vt_buf sig;
    vt_err err = { 0 };

    (void)state;
    generic_round_trip(k, VT_MD_SHA256, false);
    vt_buf_init(&sig);
    assert_int_equal(vt_sig_sign(&sig, k, VT_MD_SHA512, false, msg, sizeof(msg), &err), VT_OK);
    assert_int_equal(sig.len, 64);
    assert_int_equal(vt_sig_sign(&sig, k, VT_MD_SHA256, true, msg, sizeof(msg), &err), VT_E_ARG);
    vt_buf_free(&sig);
    vt_pkey_free(k);
}

static void test_crypto_sig__rsa_pss_and_pkcs1(void **state)
{
    vt_pkey *k = gen(VT_KEY_RSA), *pub = NULL;
    vt_buf pem, sig;
    vt_err err = { 0 };

    (void)state;
    generic_round_trip(k, VT_MD_SHA384, true);
    generic_round_trip(k, VT_MD_SHA256, false);
    /* verify with the public key alone; PSS and PKCS#1 are not interchangeable */
    vt_buf_init(&pem);
    vt_buf_init(&sig);
    assert_int_equal(vt_pkey_to_pem(&pem, k, false, NULL), VT_OK);
    assert_int_equal(vt_pkey_from_pem(&pub, (const char *)pem.data, pem.len, NULL), VT_OK);
    assert_int_equal(vt_sig_sign(&sig, k, VT_MD_SHA256, true, msg, sizeof(msg), &err), VT_OK);
    assert_int_equal(sig.len, 384);
    assert_int_equal(vt_sig_verify(pub, VT_MD_SHA256, true, msg, sizeof(msg), sig.data, sig.len, &err), VT_OK);
    assert_int_equal(vt_sig_verify(pub, VT_MD_SHA256, false, msg, sizeof(msg), sig.data, sig.len, &err),
                     VT_E_CRYPTO);
    assert_int_equal(vt_sig_verify(pub, VT_MD_SHA384, true, msg, sizeof(msg), sig.data, sig.len, &err),
                     VT_E_CRYPTO);
    /* a public key cannot sign */
    assert_int_equal(vt_sig_sign(&sig, pub, VT_MD_SHA256, true, msg, sizeof(msg), &err), VT_E_ARG);
    vt_buf_free(&pem);
    vt_buf_free(&sig);
    vt_pkey_free(pub);
    vt_pkey_free(k);
}

static void test_crypto_sig__pss_on_ec_refused(void **state)
{
    vt_pkey *k = gen(VT_KEY_EC_P256);
    uint8_t s[72] = { 0 };
    vt_buf sig;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&sig);
    assert_int_equal(vt_sig_sign(&sig, k, VT_MD_SHA256, true, msg, sizeof(msg), &err), VT_E_ARG);
    assert_int_equal(vt_sig_verify(k, VT_MD_SHA256, true, msg, sizeof(msg), s, sizeof(s), &err), VT_E_ARG);
    assert_int_equal(vt_sig_verify(k, (vt_md)9, false, msg, sizeof(msg), s, sizeof(s), &err), VT_E_ARG);
    vt_buf_free(&sig);
    vt_pkey_free(k);
}

/* A public key read back from raw X||Y does not sign. */
static void test_crypto_sig__public_key_cannot_sign(void **state)
{
    vt_pkey *k = gen(VT_KEY_EC_P384), *pub = public_of(k);
    vt_buf sig;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&sig);
    assert_int_not_equal(vt_ecdsa_sign_raw(&sig, pub, VT_MD_SHA384, msg, sizeof(msg), &err), VT_OK);
    assert_int_equal(sig.len, 0);
    vt_buf_free(&sig);
    vt_pkey_free(pub);
    vt_pkey_free(k);
}

/* One key signing and verifying from several threads at once (its contexts are pooled and
 * reused): every signature verifies, a tampered one never does, and each differs. */
struct shared_key {
    vt_pkey *k;
    int bad; /* failures seen by the thread */
    uint8_t first[64];
};

static void *sign_verify_loop(void *arg)
{
    struct shared_key *s = arg;
    vt_buf sig;
    vt_err err = { 0 };

    vt_buf_init(&sig);
    for (int i = 0; i < 200; i++) {
        sig.len = 0;
        if (vt_ecdsa_sign_raw(&sig, s->k, VT_MD_SHA256, msg, sizeof(msg), &err) != VT_OK || sig.len != 64 ||
            vt_ecdsa_verify_raw(s->k, VT_MD_SHA256, msg, sizeof(msg), sig.data, sig.len, &err) != VT_OK)
            s->bad++;
        if (i == 0)
            memcpy(s->first, sig.data, 64);
        sig.data[i % 64] ^= 1;
        if (vt_ecdsa_verify_raw(s->k, VT_MD_SHA256, msg, sizeof(msg), sig.data, sig.len, &err) != VT_E_CRYPTO)
            s->bad++;
    }
    vt_buf_free(&sig);
    return NULL;
}

static void test_crypto_sig__ecdsa_shared_key_threads(void **state)
{
    vt_pkey *k = gen(VT_KEY_EC_P256);
    struct shared_key s[6];
    pthread_t th[6];

    (void)state;
    for (int i = 0; i < 6; i++) {
        s[i] = (struct shared_key){ .k = k };
        assert_int_equal(pthread_create(&th[i], NULL, sign_verify_loop, &s[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(s[i].bad, 0);
        for (int j = 0; j < i; j++) /* fresh randomness per signature, pooled context or not */
            assert_memory_not_equal(s[i].first, s[j].first, 64);
    }
    vt_pkey_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto_sig__ecdsa_raw_p256),
        cmocka_unit_test(test_crypto_sig__ecdsa_raw_p384),
        cmocka_unit_test(test_crypto_sig__ecdsa_raw_p256_sha512),
        cmocka_unit_test(test_crypto_sig__ecdsa_raw_wrong_length),
        cmocka_unit_test(test_crypto_sig__ecdsa_raw_wrong_key_type),
        cmocka_unit_test(test_crypto_sig__ecdsa_raw_der_leading_zeros),
        cmocka_unit_test(test_crypto_sig__ecdsa_der_non_canonical),
        cmocka_unit_test(test_crypto_sig__ecdsa_der_p256_p384),
        cmocka_unit_test(test_crypto_sig__ed25519),
        cmocka_unit_test(test_crypto_sig__rsa_pss_and_pkcs1),
        cmocka_unit_test(test_crypto_sig__pss_on_ec_refused),
        cmocka_unit_test(test_crypto_sig__public_key_cannot_sign),
        cmocka_unit_test(test_crypto_sig__ecdsa_shared_key_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
