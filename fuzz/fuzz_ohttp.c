/* libFuzzer: Oblivious HTTP (RFC 9458) key configurations, encapsulated
 * requests and responses from untrusted bytes, with the RFC's example key. */
#include <string.h>

#include "veritee/ohttp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t skR[32] = { 0x3c, 0x16, 0x89, 0x75, 0x67, 0x4b, 0x2f, 0xa8, 0xe4, 0x65, 0x97,
                                 0x0b, 0x79, 0xc8, 0xdc, 0xf0, 0x9f, 0x1c, 0x74, 0x16, 0x26, 0x48,
                                 0x0b, 0xd4, 0xc6, 0x16, 0x2f, 0xc5, 0xb6, 0xa9, 0x8e, 0x1a };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt_hpke_key *key;
    static vt_ohttp_key_config cfg;
    vt_ohttp_key_config list[VT_OHTTP_CONFIGS_MAX], one;
    vt_ohttp_ctx *gw = NULL, *client = NULL;
    vt_buf out, enc;
    size_t count, pk_len;
    const uint8_t *pk;

    if (key == NULL) {
        if (vt_hpke_key_from_private(&key, VT_HPKE_KEM_X25519_SHA256, skR, sizeof(skR), NULL) != VT_OK)
            __builtin_trap();
        pk = vt_hpke_key_public(key, &pk_len);
        cfg.key_id = 1;
        cfg.kem = VT_HPKE_KEM_X25519_SHA256;
        memcpy(cfg.pk, pk, pk_len);
        cfg.pk_len = pk_len;
        cfg.algs[0] = (vt_ohttp_alg){ VT_HPKE_KDF_SHA256, VT_HPKE_AEAD_AES_128_GCM };
        cfg.algs[1] = (vt_ohttp_alg){ VT_HPKE_KDF_SHA256, VT_HPKE_AEAD_CHACHA20_POLY1305 };
        cfg.alg_count = 2;
    }
    (void)vt_ohttp_key_config_parse(&one, data, size, NULL);
    if (vt_ohttp_keys_parse(list, &count, VT_OHTTP_CONFIGS_MAX, data, size, NULL) == VT_OK &&
        (count == 0 || count > VT_OHTTP_CONFIGS_MAX))
        __builtin_trap();
    vt_buf_init(&out);
    vt_buf_init(&enc);
    /* As an encapsulated request (the seed is the RFC's, which decrypts): a
     * failure leaves nothing behind; a success is a Binary HTTP request to read. */
    if (vt_ohttp_decap_request(&out, &gw, &cfg, key, data, size, NULL) == VT_OK) {
        vt_bhttp_msg *m = NULL;
        if (gw == NULL)
            __builtin_trap();
        if (vt_bhttp_parse(&m, out.data, out.len, NULL) == VT_OK)
            vt_bhttp_msg_free(m);
        vt_ohttp_ctx_free(gw);
        gw = NULL;
        out.len = 0;
    } else if (gw != NULL || out.len != 0) {
        __builtin_trap();
    }
    /* As a request body: it round-trips, and a response to it opens only with its context. */
    if (size <= 4096) {
        if (vt_ohttp_encap_request(&enc, &client, &cfg, cfg.algs[size & 1], data, size, NULL, NULL) != VT_OK ||
            vt_ohttp_decap_request(&out, &gw, &cfg, key, enc.data, enc.len, NULL) != VT_OK || out.len != size ||
            (size > 0 && memcmp(out.data, data, size) != 0))
            __builtin_trap();
        out.len = 0;
        /* The fuzz bytes as an encapsulated response: they do not open. */
        if (vt_ohttp_decap_response(&out, client, data, size, NULL) == VT_OK)
            __builtin_trap();
        enc.len = 0;
        if (vt_ohttp_encap_response(&enc, gw, data, size, NULL, NULL) != VT_OK ||
            vt_ohttp_decap_response(&out, client, enc.data, enc.len, NULL) != VT_OK || out.len != size)
            __builtin_trap();
    }
    vt_ohttp_ctx_free(gw);
    vt_ohttp_ctx_free(client);
    vt_buf_free(&out);
    vt_buf_free(&enc);
    return 0;
}
