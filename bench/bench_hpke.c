/*
 * HPKE and Oblivious HTTP throughput for a 1 KiB message next to the
 * primitive limit measured in the same run with OpenSSL alone.
 *
 * One single-shot HPKE exchange (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * AES-128-GCM) costs three X25519 scalar multiplications (the sender's
 * ephemeral key, the sender's DH, the recipient's DH) plus one AES-128-GCM
 * seal and one open of the message: that is the limit.  What HPKE adds on
 * top is HKDF (a dozen HMAC-SHA256 calls), key import and the context.
 */
#include "bench_common.h"

#include <openssl/rand.h>

#define MSG 1024

static const uint8_t info[] = "bench";

/* OpenSSL alone: keygen (base multiplication) + 2 DH + AES-128-GCM seal + open of MSG bytes. */
static double limit_rate(double secs)
{
    uint8_t skR[32], skE[32], pkR[32], pkE[32], z[32], key[16] = { 1 }, iv[12] = { 2 }, msg[MSG] = { 0 },
        ct[MSG + 16], pt[MSG], tag[16];
    EVP_PKEY *r = NULL, *rpub = NULL;
    long n = 0;
    size_t len;
    double t0, t;

    RAND_bytes(skR, 32);
    r = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, skR, 32);
    len = 32;
    if (r == NULL || EVP_PKEY_get_raw_public_key(r, pkR, &len) != 1)
        abort();
    rpub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pkR, 32);
    EVP_CIPHER *aes = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    t0 = bench_now();
    do {
        EVP_PKEY *e, *epub;
        EVP_PKEY_CTX *c;
        EVP_CIPHER_CTX *cc;
        int l;
        RAND_bytes(skE, 32);
        e = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, skE, 32); /* computes pkE */
        len = 32;
        if (e == NULL || EVP_PKEY_get_raw_public_key(e, pkE, &len) != 1)
            abort();
        c = EVP_PKEY_CTX_new(e, NULL);
        len = 32;
        if (EVP_PKEY_derive_init(c) != 1 || EVP_PKEY_derive_set_peer(c, rpub) != 1 || EVP_PKEY_derive(c, z, &len) != 1)
            abort();
        EVP_PKEY_CTX_free(c);
        epub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pkE, 32);
        c = EVP_PKEY_CTX_new(r, NULL);
        len = 32;
        if (EVP_PKEY_derive_init(c) != 1 || EVP_PKEY_derive_set_peer(c, epub) != 1 || EVP_PKEY_derive(c, z, &len) != 1)
            abort();
        EVP_PKEY_CTX_free(c);
        EVP_PKEY_free(epub);
        EVP_PKEY_free(e);
        cc = EVP_CIPHER_CTX_new();
        if (EVP_EncryptInit_ex2(cc, aes, key, iv, NULL) != 1 || EVP_EncryptUpdate(cc, ct, &l, msg, MSG) != 1 ||
            EVP_EncryptFinal_ex(cc, ct + l, &l) != 1 || EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1)
            abort();
        EVP_CIPHER_CTX_free(cc);
        cc = EVP_CIPHER_CTX_new();
        if (EVP_DecryptInit_ex2(cc, aes, key, iv, NULL) != 1 || EVP_DecryptUpdate(cc, pt, &l, ct, MSG) != 1 ||
            EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_AEAD_SET_TAG, 16, tag) != 1 || EVP_DecryptFinal_ex(cc, pt + l, &l) != 1)
            abort();
        EVP_CIPHER_CTX_free(cc);
        n++;
        t = bench_now() - t0;
    } while (t < secs);
    EVP_CIPHER_free(aes);
    EVP_PKEY_free(r);
    EVP_PKEY_free(rpub);
    return (double)n / t;
}

static double hpke_rate(uint16_t aead, double secs)
{
    vt_hpke_suite s = { VT_HPKE_KEM_X25519_SHA256, VT_HPKE_KDF_SHA256, aead };
    vt_hpke_params p = { .mode = VT_HPKE_MODE_BASE, .info = info, .info_len = sizeof(info) - 1 };
    vt_hpke_key *skR = NULL;
    uint8_t msg[MSG] = { 0 }, enc[VT_HPKE_ENC_MAX];
    size_t enc_len;
    vt_buf ct, pt;
    vt_err err = { 0 };
    long n = 0;
    double t0, t;

    vt_buf_init(&ct);
    vt_buf_init(&pt);
    if (vt_hpke_key_generate(&skR, s.kem, &err) != VT_OK)
        abort();
    t0 = bench_now();
    do {
        vt_hpke_ctx *snd = NULL, *rcv = NULL;
        ct.len = 0;
        pt.len = 0;
        if (vt_hpke_setup_sender(&snd, enc, &enc_len, s, skR, &p, NULL, &err) != VT_OK ||
            vt_hpke_seal(snd, &ct, NULL, 0, msg, MSG, &err) != VT_OK ||
            vt_hpke_setup_recipient(&rcv, s, skR, enc, enc_len, &p, &err) != VT_OK ||
            vt_hpke_open(rcv, &pt, NULL, 0, ct.data, ct.len, &err) != VT_OK || pt.len != MSG) {
            fprintf(stderr, "bench: %s\n", err.msg);
            abort();
        }
        vt_hpke_ctx_free(snd);
        vt_hpke_ctx_free(rcv);
        n++;
        t = bench_now() - t0;
    } while (t < secs);
    vt_hpke_key_free(skR);
    vt_buf_free(&ct);
    vt_buf_free(&pt);
    return (double)n / t;
}

/* A whole OHTTP round: encapsulate a 1 KiB request, decapsulate it, encapsulate
 * a 1 KiB response, decapsulate it. */
static double ohttp_rate(double secs)
{
    vt_hpke_key *skR = NULL;
    vt_ohttp_key_config cfg = { .key_id = 1, .kem = VT_HPKE_KEM_X25519_SHA256, .alg_count = 1 };
    vt_ohttp_alg alg = { VT_HPKE_KDF_SHA256, VT_HPKE_AEAD_AES_128_GCM };
    uint8_t msg[MSG] = { 0 };
    const uint8_t *pk;
    vt_buf a, b;
    vt_err err = { 0 };
    long n = 0;
    double t0, t;

    vt_buf_init(&a);
    vt_buf_init(&b);
    if (vt_hpke_key_generate(&skR, cfg.kem, &err) != VT_OK)
        abort();
    pk = vt_hpke_key_public(skR, &cfg.pk_len);
    memcpy(cfg.pk, pk, cfg.pk_len);
    cfg.algs[0] = alg;
    t0 = bench_now();
    do {
        vt_ohttp_ctx *c = NULL, *g = NULL;
        a.len = 0;
        b.len = 0;
        if (vt_ohttp_encap_request(&a, &c, &cfg, alg, msg, MSG, NULL, &err) != VT_OK ||
            vt_ohttp_decap_request(&b, &g, &cfg, skR, a.data, a.len, &err) != VT_OK ||
            (a.len = 0, vt_ohttp_encap_response(&a, g, msg, MSG, NULL, &err)) != VT_OK ||
            (b.len = 0, vt_ohttp_decap_response(&b, c, a.data, a.len, &err)) != VT_OK || b.len != MSG) {
            fprintf(stderr, "bench: %s\n", err.msg);
            abort();
        }
        vt_ohttp_ctx_free(c);
        vt_ohttp_ctx_free(g);
        n++;
        t = bench_now() - t0;
    } while (t < secs);
    vt_hpke_key_free(skR);
    vt_buf_free(&a);
    vt_buf_free(&b);
    return (double)n / t;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0, limit, aes, chacha, oh;

    /* Interleaved short slices, so load from other processes on a shared
     * machine falls on every column alike. */
    limit = aes = chacha = oh = 0;
    for (int i = 0; i < 8; i++) {
        limit += limit_rate(secs / 32) / 8;
        aes += hpke_rate(VT_HPKE_AEAD_AES_128_GCM, secs / 32) / 8;
        chacha += hpke_rate(VT_HPKE_AEAD_CHACHA20_POLY1305, secs / 32) / 8;
        oh += ohttp_rate(secs / 32) / 8;
    }
    printf("| measurement (1 KiB message, 1 core) | per second | vs limit |\n|---|---:|---:|\n");
    printf("| **limit**: OpenSSL 3 X25519 keygen + 2 DH + AES-128-GCM seal + open | %.0f | 100%% |\n", limit);
    printf("| HPKE base seal + open, X25519/SHA-256/AES-128-GCM | %.0f | **%.0f%%** |\n", aes, 100.0 * aes / limit);
    printf("| HPKE base seal + open, X25519/SHA-256/ChaCha20-Poly1305 | %.0f | %.0f%% |\n", chacha,
           100.0 * chacha / limit);
    printf("| OHTTP request + response round (encap, decap, encap, decap) | %.0f | %.0f%% |\n", oh, 100.0 * oh / limit);
    return 0;
}
