/* libFuzzer: chunked Oblivious HTTP (draft-ietf-ohai-chunked-ohttp) requests
 * and the incremental Binary HTTP reader of streamed answers, from untrusted
 * bytes.  The reader must give the same result fed at once or in two pieces. */
#include <string.h>

#include "veritee/ohttp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t skR[32] = { 0x3c, 0x16, 0x89, 0x75, 0x67, 0x4b, 0x2f, 0xa8, 0xe4, 0x65, 0x97,
                                 0x0b, 0x79, 0xc8, 0xdc, 0xf0, 0x9f, 0x1c, 0x74, 0x16, 0x26, 0x48,
                                 0x0b, 0xd4, 0xc6, 0x16, 0x2f, 0xc5, 0xb6, 0xa9, 0x8e, 0x1a };

static bool count_content(void *arg, const uint8_t *p, size_t len)
{
    (void)p;
    *(size_t *)arg += len;
    return true;
}

/* Feeds data in pieces split at `cut`, keeping what was not used, as a client does. */
static vt_status feed(vt_bhttp_reader *rd, size_t *content, const uint8_t *data, size_t size, size_t cut)
{
    vt_buf pend;
    size_t used;
    vt_status rc = VT_OK;

    vt_buf_init(&pend);
    memset(rd, 0, sizeof(*rd));
    *content = 0;
    for (int part = 0; part < 2 && rc == VT_OK; part++) {
        const uint8_t *p = part == 0 ? data : data + cut;
        size_t n = part == 0 ? cut : size - cut;
        if (vt_buf_append(&pend, p, n, NULL) != VT_OK)
            __builtin_trap();
        rc = vt_bhttp_reader_feed(rd, pend.data, pend.len, &used, NULL, count_content, content, NULL);
        if (rc == VT_OK) {
            if (used > pend.len)
                __builtin_trap();
            if (used > 0)
                memmove(pend.data, pend.data + used, pend.len - used);
            pend.len -= used;
        }
    }
    vt_buf_free(&pend);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vt_hpke_key *key;
    static vt_ohttp_key_config cfg;
    vt_ohttp_ctx *gw = NULL, *client = NULL;
    vt_bhttp_reader a, b;
    size_t ca, cb, pk_len;
    vt_status ra, rb;
    vt_buf out, enc;
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
    vt_buf_init(&out);
    vt_buf_init(&enc);
    /* As a chunked request: a failure leaves nothing behind. */
    if (vt_ohttp_chunked_decap_request(&out, &gw, &cfg, key, data, size, NULL) == VT_OK) {
        if (gw == NULL || !vt_ohttp_ctx_chunked(gw))
            __builtin_trap();
        vt_ohttp_ctx_free(gw);
        gw = NULL;
        out.len = 0;
    } else if (gw != NULL || out.len != 0) {
        __builtin_trap();
    }
    /* As a streamed answer: at once and in two pieces, the same outcome. */
    ra = feed(&a, &ca, data, size, size);
    rb = feed(&b, &cb, data, size, size > 0 ? data[0] % (size + 1) : 0);
    if ((ra == VT_OK) != (rb == VT_OK) ||
        (ra == VT_OK && (a.state != b.state || a.status != b.status || ca != cb || a.content_len != ca)))
        __builtin_trap();
    /* As a request body: it round-trips through a chunked exchange. */
    if (size <= 4096) {
        if (vt_ohttp_chunked_encap_request(&enc, &client, &cfg, cfg.algs[size & 1], data, size, NULL) != VT_OK ||
            vt_ohttp_chunked_decap_request(&out, &gw, &cfg, key, enc.data, enc.len, NULL) != VT_OK ||
            out.len != size || (size > 0 && memcmp(out.data, data, size) != 0))
            __builtin_trap();
    }
    vt_ohttp_ctx_free(gw);
    vt_ohttp_ctx_free(client);
    vt_buf_free(&out);
    vt_buf_free(&enc);
    return 0;
}
