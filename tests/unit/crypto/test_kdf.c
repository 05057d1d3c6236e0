/* HKDF-SHA256 against RFC 5869 appendix A, and AES-256-GCM against the GCM
 * specification's test cases 13 and 14 (McGrew and Viega), both ways. */
#include "vt_test.h"

#include <string.h>

static void unhex(uint8_t *out, const char *hex)
{
    assert_int_equal(vt_hex_decode(out, strlen(hex) / 2, hex, strlen(hex), NULL), VT_OK);
}

static void test_crypto_kdf__rfc5869_case1(void **state)
{
    uint8_t ikm[22], salt[13], info[10], okm[42], want[42];

    memset(ikm, 0x0b, sizeof(ikm));
    unhex(salt, "000102030405060708090a0b0c");
    unhex(info, "f0f1f2f3f4f5f6f7f8f9");
    unhex(want, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    assert_int_equal(vt_hkdf_sha256(okm, sizeof(okm), ikm, sizeof(ikm), salt, sizeof(salt), info, sizeof(info), NULL),
                     VT_OK);
    assert_memory_equal(okm, want, sizeof(want));
}

static void test_crypto_kdf__rfc5869_case3_empty_salt_and_info(void **state)
{
    uint8_t ikm[22], okm[42], want[42];

    memset(ikm, 0x0b, sizeof(ikm));
    unhex(want, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    assert_int_equal(vt_hkdf_sha256(okm, sizeof(okm), ikm, sizeof(ikm), NULL, 0, NULL, 0, NULL), VT_OK);
    assert_memory_equal(okm, want, sizeof(want));
}

static void test_crypto_kdf__refuses_bad_lengths(void **state)
{
    uint8_t ikm[32] = { 0 }, okm[32];
    vt_err err = { 0 };

    assert_int_equal(vt_hkdf_sha256(okm, 0, ikm, 32, NULL, 0, NULL, 0, &err), VT_E_ARG);
    assert_int_equal(vt_hkdf_sha256(okm, 255 * 32 + 1, ikm, 32, NULL, 0, NULL, 0, &err), VT_E_ARG);
    assert_int_equal(vt_hkdf_sha256(okm, 32, NULL, 5, NULL, 0, NULL, 0, &err), VT_E_ARG);
}

static void test_crypto_aead__gcm_spec_cases(void **state)
{
    uint8_t key[32] = { 0 }, nonce[12] = { 0 }, pt[16] = { 0 }, out[32], want[32], back[16];

    (void)state;
    /* case 13: empty plaintext: the tag alone */
    unhex(want, "530f8afbc74536b9a963b4f1c4cb738b");
    assert_int_equal(vt_aead_seal(out, VT_AEAD_AES_256_GCM, key, nonce, NULL, 0, NULL, 0, NULL), VT_OK);
    assert_memory_equal(out, want, 16);
    assert_int_equal(vt_aead_open(back, VT_AEAD_AES_256_GCM, key, nonce, NULL, 0, out, 16, NULL), VT_OK);
    /* case 14: one zero block: ciphertext then tag */
    unhex(want, "cea7403d4d606b6e074ec5d3baf39d18");
    unhex(want + 16, "d0d1c8a799996bf0265b98b5d48ab919");
    assert_int_equal(vt_aead_seal(out, VT_AEAD_AES_256_GCM, key, nonce, NULL, 0, pt, 16, NULL), VT_OK);
    assert_memory_equal(out, want, 32);
    assert_int_equal(vt_aead_open(back, VT_AEAD_AES_256_GCM, key, nonce, NULL, 0, out, 32, NULL), VT_OK);
    assert_memory_equal(back, pt, 16);
}

static void test_crypto_aead__any_change_fails_and_wipes(void **state)
{
    uint8_t key[32], nonce[12], pt[40], ct[40 + 16], back[40];
    const char aad[] = "bound";
    vt_err err = { 0 };
    const vt_aead A = VT_AEAD_AES_256_GCM;

    (void)state;
    memset(key, 7, sizeof(key));
    memset(nonce, 9, sizeof(nonce));
    memset(pt, 0x5a, sizeof(pt));
    assert_int_equal(vt_aead_seal(ct, A, key, nonce, aad, 5, pt, sizeof(pt), NULL), VT_OK);
    for (size_t bit = 0; bit < 8 * sizeof(ct); bit += 7) { /* ciphertext and tag */
        ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        memset(back, 0xee, sizeof(back));
        assert_int_equal(vt_aead_open(back, A, key, nonce, aad, 5, ct, sizeof(ct), &err), VT_E_CRYPTO);
        for (size_t i = 0; i < sizeof(back); i++)
            assert_int_equal(back[i], 0); /* no unauthenticated plaintext */
        ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    assert_int_equal(vt_aead_open(back, A, key, nonce, "bounD", 5, ct, sizeof(ct), &err), VT_E_CRYPTO);
    nonce[11] ^= 1;
    assert_int_equal(vt_aead_open(back, A, key, nonce, aad, 5, ct, sizeof(ct), &err), VT_E_CRYPTO);
    nonce[11] ^= 1;
    key[0] ^= 1;
    assert_int_equal(vt_aead_open(back, A, key, nonce, aad, 5, ct, sizeof(ct), &err), VT_E_CRYPTO);
    key[0] ^= 1;
    assert_int_equal(vt_aead_open(back, A, key, nonce, aad, 5, ct, sizeof(ct), &err), VT_OK);
    assert_memory_equal(back, pt, sizeof(pt));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto_kdf__rfc5869_case1),
        cmocka_unit_test(test_crypto_kdf__rfc5869_case3_empty_salt_and_info),
        cmocka_unit_test(test_crypto_kdf__refuses_bad_lengths),
        cmocka_unit_test(test_crypto_aead__gcm_spec_cases),
        cmocka_unit_test(test_crypto_aead__any_change_fails_and_wipes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
