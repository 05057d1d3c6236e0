/*
 * HPKE (RFC 9180): every Appendix A test vector for the implemented suites
 * (tests/data/hpke/rfc9180-vectors.json, generated from the RFC text by
 * gen_rfc9180_vectors.py), then the ways setup, open and keys must fail.
 */
#include "vt_test.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static json_t *vectors;

static int load_vectors(void **state)
{
    json_error_t je;

    (void)state;
    vectors = json_load_file(VT_TEST_DATA "/hpke/rfc9180-vectors.json", 0, &je);
    if (vectors == NULL)
        fprintf(stderr, "rfc9180-vectors.json: %s (line %d)\n", je.text, je.line);
    return vectors == NULL ? -1 : 0;
}

static int free_vectors(void **state)
{
    (void)state;
    json_decref(vectors);
    return 0;
}

/* Hex field f of o decoded into b (empty when absent or ""). */
static void hexf(vt_buf *b, const json_t *o, const char *f)
{
    const char *s = json_string_value(json_object_get(o, f));

    vt_buf_free(b);
    if (s == NULL || *s == '\0')
        return;
    assert_int_equal(vt_hex_decode_buf(b, s, strlen(s), 4096, NULL), VT_OK);
}

static void bytes_equal(const uint8_t *got, size_t got_len, const vt_buf *want)
{
    assert_int_equal(got_len, want->len);
    assert_memory_equal(got, want->data, want->len);
}

static vt_hpke_key *derive(uint16_t kem, const json_t *v, const char *ikm_f, const char *sk_f, const char *pk_f)
{
    vt_buf ikm = { 0 }, want = { 0 };
    vt_hpke_key *k = NULL;
    uint8_t sk[VT_HPKE_SK_MAX];
    size_t sk_len, pk_len;
    const uint8_t *pk;
    vt_err err = { 0 };

    hexf(&ikm, v, ikm_f);
    assert_int_equal(vt_hpke_key_derive(&k, kem, ikm.data, ikm.len, &err), VT_OK);
    assert_int_equal(vt_hpke_key_private(k, sk, &sk_len, &err), VT_OK);
    hexf(&want, v, sk_f);
    bytes_equal(sk, sk_len, &want);
    pk = vt_hpke_key_public(k, &pk_len);
    hexf(&want, v, pk_f);
    bytes_equal(pk, pk_len, &want);
    vt_buf_free(&ikm);
    vt_buf_free(&want);
    return k;
}

/* One (suite, mode) vector: keys, enc, every listed encryption at its
 * sequence number (messages in between are sealed and opened too), and every
 * export from both sides. */
static void run_vector(const json_t *v)
{
    vt_hpke_suite s = { (uint16_t)json_integer_value(json_object_get(v, "kem_id")),
                        (uint16_t)json_integer_value(json_object_get(v, "kdf_id")),
                        (uint16_t)json_integer_value(json_object_get(v, "aead_id")) };
    uint8_t mode = (uint8_t)json_integer_value(json_object_get(v, "mode"));
    vt_hpke_key *skR, *skE, *skS = NULL, *pkS = NULL;
    vt_hpke_ctx *snd = NULL, *rcv = NULL;
    vt_buf info = { 0 }, psk = { 0 }, psk_id = { 0 }, want = { 0 }, pt = { 0 }, aad = { 0 }, ct = { 0 }, back = { 0 };
    vt_buf ectx = { 0 };
    uint8_t enc[VT_HPKE_ENC_MAX], ex[64];
    size_t enc_len, i, seq, pk_len;
    const uint8_t *pk;
    const json_t *e;
    vt_err err = { 0 };
    bool auth = mode == VT_HPKE_MODE_AUTH || mode == VT_HPKE_MODE_AUTH_PSK;

    assert_true(vt_hpke_suite_ok(s));
    skR = derive(s.kem, v, "ikmR", "skRm", "pkRm");
    skE = derive(s.kem, v, "ikmE", "skEm", "pkEm");
    if (auth) {
        skS = derive(s.kem, v, "ikmS", "skSm", "pkSm");
        pk = vt_hpke_key_public(skS, &pk_len);
        assert_int_equal(vt_hpke_key_from_public(&pkS, s.kem, pk, pk_len, &err), VT_OK);
    }
    hexf(&info, v, "info");
    hexf(&psk, v, "psk");
    hexf(&psk_id, v, "psk_id");
    vt_hpke_params ps = { mode, info.data, info.len, psk.data, psk.len, psk_id.data, psk_id.len, skS };
    vt_hpke_params pr = ps;
    pr.auth = pkS;

    assert_int_equal(vt_hpke_setup_sender(&snd, enc, &enc_len, s, skR, &ps, skE, &err), VT_OK);
    hexf(&want, v, "enc");
    bytes_equal(enc, enc_len, &want);
    assert_int_equal(vt_hpke_setup_recipient(&rcv, s, skR, enc, enc_len, &pr, &err), VT_OK);

    seq = 0;
    json_array_foreach(json_object_get(v, "encryptions"), i, e) {
        size_t target = (size_t)json_integer_value(json_object_get(e, "seq"));
        hexf(&pt, e, "pt");
        hexf(&aad, e, "aad");
        for (; seq <= target; seq++) {
            vt_buf_free(&ct);
            vt_buf_free(&back);
            assert_int_equal(vt_hpke_seal(snd, &ct, aad.data, aad.len, pt.data, pt.len, &err), VT_OK);
            assert_int_equal(vt_hpke_open(rcv, &back, aad.data, aad.len, ct.data, ct.len, &err), VT_OK);
            bytes_equal(back.data, back.len, &pt);
        }
        hexf(&want, e, "ct");
        bytes_equal(ct.data, ct.len, &want);
    }
    json_array_foreach(json_object_get(v, "exports"), i, e) {
        size_t L = (size_t)json_integer_value(json_object_get(e, "L"));
        hexf(&ectx, e, "exporter_context");
        hexf(&want, e, "exported_value");
        assert_true(L <= sizeof(ex));
        assert_int_equal(vt_hpke_export(snd, ex, L, ectx.data, ectx.len, &err), VT_OK);
        bytes_equal(ex, L, &want);
        assert_int_equal(vt_hpke_export(rcv, ex, L, ectx.data, ectx.len, &err), VT_OK);
        bytes_equal(ex, L, &want);
    }
    vt_hpke_ctx_free(snd);
    vt_hpke_ctx_free(rcv);
    vt_hpke_key_free(skR);
    vt_hpke_key_free(skE);
    vt_hpke_key_free(skS);
    vt_hpke_key_free(pkS);
    vt_buf_free(&info);
    vt_buf_free(&psk);
    vt_buf_free(&psk_id);
    vt_buf_free(&want);
    vt_buf_free(&pt);
    vt_buf_free(&aad);
    vt_buf_free(&ct);
    vt_buf_free(&back);
    vt_buf_free(&ectx);
}

static void test_crypto_hpke__rfc9180_appendix_a(void **state)
{
    size_t i, seen[4] = { 0 }, suites = 0;
    const json_t *v;

    (void)state;
    json_array_foreach(vectors, i, v) {
        run_vector(v);
        seen[json_integer_value(json_object_get(v, "mode")) & 3]++;
        suites++;
    }
    /* 7 suites (X25519 and P-256 with every AEAD, P-256/SHA-512, P-521, export-only) x 4 modes. */
    assert_int_equal(suites, 28);
    for (i = 0; i < 4; i++)
        assert_int_equal(seen[i], 7);
}

/* A fixed X25519 base-mode exchange used by the failure tests. */
typedef struct pair {
    vt_hpke_suite s;
    vt_hpke_key *skR;
    vt_hpke_ctx *snd, *rcv;
    uint8_t enc[VT_HPKE_ENC_MAX];
    size_t enc_len;
} pair;

static void pair_new(pair *p, uint16_t kem, uint16_t aead)
{
    vt_hpke_params bp = { .mode = VT_HPKE_MODE_BASE, .info = (const uint8_t *)"info", .info_len = 4 };
    vt_err err = { 0 };

    memset(p, 0, sizeof(*p));
    p->s = (vt_hpke_suite){ kem, VT_HPKE_KDF_SHA256, aead };
    assert_int_equal(vt_hpke_key_generate(&p->skR, kem, &err), VT_OK);
    assert_int_equal(vt_hpke_setup_sender(&p->snd, p->enc, &p->enc_len, p->s, p->skR, &bp, NULL, &err), VT_OK);
    assert_int_equal(vt_hpke_setup_recipient(&p->rcv, p->s, p->skR, p->enc, p->enc_len, &bp, &err), VT_OK);
}

static void pair_free(pair *p)
{
    vt_hpke_ctx_free(p->snd);
    vt_hpke_ctx_free(p->rcv);
    vt_hpke_key_free(p->skR);
}

static void test_crypto_hpke__open_refuses_every_bit_flip(void **state)
{
    static const uint8_t msg[] = "the prompt nobody else may read";
    pair p;
    vt_buf ct = { 0 }, out = { 0 };
    vt_err err = { 0 };

    (void)state;
    pair_new(&p, VT_HPKE_KEM_X25519_SHA256, VT_HPKE_AEAD_CHACHA20_POLY1305);
    assert_int_equal(vt_hpke_seal(p.snd, &ct, "aad", 3, msg, sizeof(msg), &err), VT_OK);
    for (size_t i = 0; i < ct.len * 8; i++) {
        ct.data[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(vt_hpke_open(p.rcv, &out, "aad", 3, ct.data, ct.len, &err), VT_E_CRYPTO);
        assert_int_equal(out.len, 0); /* state unchanged on failure */
        ct.data[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    /* Wrong aad, truncated tag, empty input. */
    assert_int_equal(vt_hpke_open(p.rcv, &out, "aaD", 3, ct.data, ct.len, &err), VT_E_CRYPTO);
    assert_int_equal(vt_hpke_open(p.rcv, &out, "aad", 3, ct.data, ct.len - 1, &err), VT_E_CRYPTO);
    assert_int_equal(vt_hpke_open(p.rcv, &out, "aad", 3, ct.data, 15, &err), VT_E_FORMAT);
    /* The sequence number did not move: the genuine message still opens. */
    assert_int_equal(vt_hpke_open(p.rcv, &out, "aad", 3, ct.data, ct.len, &err), VT_OK);
    assert_int_equal(out.len, sizeof(msg));
    assert_memory_equal(out.data, msg, sizeof(msg));
    /* ...exactly once: a replay within the context is the wrong nonce. */
    assert_int_equal(vt_hpke_open(p.rcv, &out, "aad", 3, ct.data, ct.len, &err), VT_E_CRYPTO);
    vt_buf_free(&ct);
    vt_buf_free(&out);
    pair_free(&p);
}

static void test_crypto_hpke__enc_tampered_or_truncated(void **state)
{
    vt_hpke_params bp = { .mode = VT_HPKE_MODE_BASE, .info = (const uint8_t *)"info", .info_len = 4 };
    static const uint8_t zero[32];
    pair p;
    vt_hpke_ctx *c = NULL;
    vt_buf ct = { 0 }, out = { 0 };
    vt_err err = { 0 };

    (void)state;
    pair_new(&p, VT_HPKE_KEM_P256_SHA256, VT_HPKE_AEAD_AES_128_GCM);
    assert_int_equal(vt_hpke_seal(p.snd, &ct, NULL, 0, (const uint8_t *)"x", 1, &err), VT_OK);
    for (size_t n = 0; n < p.enc_len; n++) {
        assert_int_equal(vt_hpke_setup_recipient(&c, p.s, p.skR, p.enc, n, &bp, &err), VT_E_FORMAT);
        assert_null(c);
    }
    /* Any flipped byte of a P-256 enc is off the curve, not uncompressed, or a different key. */
    for (size_t i = 0; i < p.enc_len; i++) {
        vt_status rc;
        p.enc[i] ^= 0x01;
        rc = vt_hpke_setup_recipient(&c, p.s, p.skR, p.enc, p.enc_len, &bp, &err);
        if (rc == VT_OK) {
            assert_int_equal(vt_hpke_open(c, &out, NULL, 0, ct.data, ct.len, &err), VT_E_CRYPTO);
            vt_hpke_ctx_free(c);
        } else {
            assert_true(rc == VT_E_CRYPTO || rc == VT_E_FORMAT);
            assert_null(c);
        }
        p.enc[i] ^= 0x01;
    }
    pair_free(&p);
    vt_buf_free(&ct);

    /* X25519: the all-zero (low-order) public key yields an all-zero DH and is refused. */
    pair_new(&p, VT_HPKE_KEM_X25519_SHA256, VT_HPKE_AEAD_AES_128_GCM);
    assert_int_equal(vt_hpke_setup_recipient(&c, p.s, p.skR, zero, 32, &bp, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "Diffie-Hellman"));
    pair_free(&p);
}

static void test_crypto_hpke__keys_out_of_range(void **state)
{
    /* The P-256 group order n: neither 0 nor n is a private key, n-1 is. */
    static const char n_hex[] = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
    uint8_t sk[32] = { 0 }, pk[65];
    vt_hpke_key *k = NULL;
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_hpke_key_from_private(&k, VT_HPKE_KEM_P256_SHA256, sk, 32, &err), VT_E_CRYPTO);
    assert_int_equal(vt_hex_decode(sk, 32, n_hex, 64, NULL), VT_OK);
    assert_int_equal(vt_hpke_key_from_private(&k, VT_HPKE_KEM_P256_SHA256, sk, 32, &err), VT_E_CRYPTO);
    sk[31]--;
    assert_int_equal(vt_hpke_key_from_private(&k, VT_HPKE_KEM_P256_SHA256, sk, 32, &err), VT_OK);
    vt_hpke_key_free(k);
    k = NULL;
    assert_int_equal(vt_hpke_key_from_private(&k, VT_HPKE_KEM_P256_SHA256, sk, 31, &err), VT_E_FORMAT);
    /* Public points: wrong prefix, off the curve, wrong length, unknown KEM. */
    memset(pk, 0, sizeof(pk));
    assert_int_equal(vt_hpke_key_from_public(&k, VT_HPKE_KEM_P256_SHA256, pk, 65, &err), VT_E_FORMAT);
    pk[0] = 0x04;
    pk[64] = 1;
    assert_int_equal(vt_hpke_key_from_public(&k, VT_HPKE_KEM_P256_SHA256, pk, 65, &err), VT_E_CRYPTO);
    assert_int_equal(vt_hpke_key_from_public(&k, VT_HPKE_KEM_P256_SHA256, pk, 64, &err), VT_E_FORMAT);
    assert_int_equal(vt_hpke_key_from_public(&k, 0x0021, pk, 56, &err), VT_E_UNSUPPORTED);
    assert_null(k);
    /* DeriveKeyPair wants at least Nsk bytes of ikm. */
    assert_int_equal(vt_hpke_key_derive(&k, VT_HPKE_KEM_X25519_SHA256, sk, 31, &err), VT_E_ARG);
    assert_null(k);
}

static void test_crypto_hpke__mode_and_parameter_mismatch(void **state)
{
    static const uint8_t psk[32] = { 1 };
    vt_hpke_suite s = { VT_HPKE_KEM_X25519_SHA256, VT_HPKE_KDF_SHA256, VT_HPKE_AEAD_AES_128_GCM };
    vt_hpke_key *skR = NULL, *skS = NULL, *p256 = NULL;
    vt_hpke_ctx *c = NULL;
    uint8_t enc[VT_HPKE_ENC_MAX];
    size_t enc_len;
    vt_err err = { 0 };
    vt_hpke_params bad[] = {
        { .mode = VT_HPKE_MODE_BASE, .psk = psk, .psk_len = 32, .psk_id = psk, .psk_id_len = 1 },
        { .mode = VT_HPKE_MODE_PSK },
        { .mode = VT_HPKE_MODE_PSK, .psk = psk, .psk_len = 32 },
        { .mode = VT_HPKE_MODE_PSK, .psk = psk, .psk_len = 16, .psk_id = psk, .psk_id_len = 1 },
        { .mode = VT_HPKE_MODE_AUTH },
        { .mode = VT_HPKE_MODE_BASE, .auth = NULL, .info = NULL },
        { .mode = 4 },
    };

    (void)state;
    assert_int_equal(vt_hpke_key_generate(&skR, s.kem, &err), VT_OK);
    assert_int_equal(vt_hpke_key_generate(&skS, s.kem, &err), VT_OK);
    assert_int_equal(vt_hpke_key_generate(&p256, VT_HPKE_KEM_P256_SHA256, &err), VT_OK);
    bad[5].auth = skS; /* a sender key in base mode */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(vt_hpke_setup_sender(&c, enc, &enc_len, s, skR, &bad[i], NULL, &err), VT_E_ARG);
        assert_null(c);
        assert_int_equal(enc_len, 0);
    }
    vt_hpke_params base = { .mode = VT_HPKE_MODE_BASE };
    assert_int_equal(vt_hpke_setup_sender(&c, enc, &enc_len, s, p256, &base, NULL, &err), VT_E_ARG);
    s.aead = 0x0004;
    assert_int_equal(vt_hpke_setup_sender(&c, enc, &enc_len, s, skR, &base, NULL, &err), VT_E_UNSUPPORTED);
    /* Export-only: no seal, but export works. */
    s.aead = VT_HPKE_AEAD_EXPORT_ONLY;
    assert_int_equal(vt_hpke_setup_sender(&c, enc, &enc_len, s, skR, &base, NULL, &err), VT_OK);
    vt_buf ct = { 0 };
    uint8_t ex[32];
    assert_int_equal(vt_hpke_seal(c, &ct, NULL, 0, psk, 1, &err), VT_E_UNSUPPORTED);
    assert_int_equal(vt_hpke_export(c, ex, sizeof(ex), NULL, 0, &err), VT_OK);
    assert_int_equal(vt_hpke_export(c, ex, 255 * 32 + 1, NULL, 0, &err), VT_E_ARG);
    /* A sender context does not open. */
    assert_int_equal(vt_hpke_open(c, &ct, NULL, 0, psk, 32, &err), VT_E_ARG);
    vt_hpke_ctx_free(c);
    vt_hpke_key_free(skR);
    vt_hpke_key_free(skS);
    vt_hpke_key_free(p256);
}

/* A different recipient key, info or psk all derive a context that cannot open. */
static void test_crypto_hpke__wrong_recipient_inputs(void **state)
{
    static const uint8_t psk[32] = { 7 }, psk2[32] = { 8 };
    vt_hpke_suite s = { VT_HPKE_KEM_X25519_SHA256, VT_HPKE_KDF_SHA256, VT_HPKE_AEAD_AES_256_GCM };
    vt_hpke_params ps = { .mode = VT_HPKE_MODE_PSK, .info = (const uint8_t *)"a", .info_len = 1, .psk = psk,
                          .psk_len = 32, .psk_id = (const uint8_t *)"id", .psk_id_len = 2 };
    vt_hpke_params variants[3];
    vt_hpke_key *skR = NULL, *other = NULL;
    vt_hpke_ctx *snd = NULL, *rcv = NULL;
    uint8_t enc[VT_HPKE_ENC_MAX];
    size_t enc_len;
    vt_buf ct = { 0 }, out = { 0 };
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_hpke_key_generate(&skR, s.kem, &err), VT_OK);
    assert_int_equal(vt_hpke_key_generate(&other, s.kem, &err), VT_OK);
    assert_int_equal(vt_hpke_setup_sender(&snd, enc, &enc_len, s, skR, &ps, NULL, &err), VT_OK);
    assert_int_equal(vt_hpke_seal(snd, &ct, NULL, 0, (const uint8_t *)"hello", 5, &err), VT_OK);
    for (int i = 0; i < 3; i++)
        variants[i] = ps;
    variants[0].info = (const uint8_t *)"b";
    variants[1].psk = psk2;
    variants[2].psk_id = (const uint8_t *)"ie";
    for (int i = 0; i < 3; i++) {
        assert_int_equal(vt_hpke_setup_recipient(&rcv, s, skR, enc, enc_len, &variants[i], &err), VT_OK);
        assert_int_equal(vt_hpke_open(rcv, &out, NULL, 0, ct.data, ct.len, &err), VT_E_CRYPTO);
        vt_hpke_ctx_free(rcv);
    }
    assert_int_equal(vt_hpke_setup_recipient(&rcv, s, other, enc, enc_len, &ps, &err), VT_OK);
    assert_int_equal(vt_hpke_open(rcv, &out, NULL, 0, ct.data, ct.len, &err), VT_E_CRYPTO);
    vt_hpke_ctx_free(rcv);
    assert_int_equal(vt_hpke_setup_recipient(&rcv, s, skR, enc, enc_len, &ps, &err), VT_OK);
    assert_int_equal(vt_hpke_open(rcv, &out, NULL, 0, ct.data, ct.len, &err), VT_OK);
    assert_int_equal(out.len, 5);
    vt_hpke_ctx_free(rcv);
    vt_hpke_ctx_free(snd);
    vt_hpke_key_free(skR);
    vt_hpke_key_free(other);
    vt_buf_free(&ct);
    vt_buf_free(&out);
}

/* RFC 5869 Appendix A.1 and A.3: HKDF-SHA256 with and without salt/info. */
static void test_crypto_hpke__hkdf_rfc5869(void **state)
{
    uint8_t ikm[22], salt[13], info[10], prk[32], okm[42];
    char h[2 * 42 + 1];

    (void)state;
    memset(ikm, 0x0b, sizeof(ikm));
    for (int i = 0; i < 13; i++)
        salt[i] = (uint8_t)i;
    for (int i = 0; i < 10; i++)
        info[i] = (uint8_t)(0xf0 + i);
    assert_int_equal(vt_hkdf_extract(prk, VT_MD_SHA256, salt, 13, ikm, 22, NULL), VT_OK);
    vt_hex_encode(h, prk, 32);
    assert_string_equal(h, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
    assert_int_equal(vt_hkdf_expand(okm, 42, VT_MD_SHA256, prk, 32, info, 10, NULL), VT_OK);
    vt_hex_encode(h, okm, 42);
    assert_string_equal(h, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    assert_int_equal(vt_hkdf_extract(prk, VT_MD_SHA256, NULL, 0, ikm, 22, NULL), VT_OK);
    assert_int_equal(vt_hkdf_expand(okm, 42, VT_MD_SHA256, prk, 32, NULL, 0, NULL), VT_OK);
    vt_hex_encode(h, okm, 42);
    assert_string_equal(h, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    assert_int_equal(vt_hkdf_expand(okm, 255 * 32 + 1, VT_MD_SHA256, prk, 32, NULL, 0, NULL), VT_E_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto_hpke__hkdf_rfc5869),
        cmocka_unit_test(test_crypto_hpke__rfc9180_appendix_a),
        cmocka_unit_test(test_crypto_hpke__open_refuses_every_bit_flip),
        cmocka_unit_test(test_crypto_hpke__enc_tampered_or_truncated),
        cmocka_unit_test(test_crypto_hpke__keys_out_of_range),
        cmocka_unit_test(test_crypto_hpke__mode_and_parameter_mismatch),
        cmocka_unit_test(test_crypto_hpke__wrong_recipient_inputs),
    };
    return cmocka_run_group_tests(tests, load_vectors, free_vectors);
}
