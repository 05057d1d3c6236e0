/*
 * Oblivious HTTP (RFC 9458): Appendix A's complete example byte for byte
 * (key configuration, encapsulated request, encapsulated response), then
 * the ways a key configuration, a request or a response must be refused.
 */
#include "vt_test.h"

#include <stdio.h>
#include <string.h>

/* RFC 9458 Appendix A. */
static const char skR_hex[] = "3c168975674b2fa8e465970b79c8dcf09f1c741626480bd4c6162fc5b6a98e1a";
static const char cfg_hex[] = "01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003";
static const char bhttp_req_hex[] = "00034745540568747470730b6578616d706c652e636f6d012f";
static const char skE_hex[] = "bc51d5e930bda26589890ac7032f70ad12e4ecb37abb1b65b1256c9c48999c73";
static const char pkE_hex[] = "4b28f881333e7c164ffc499ad9796f877f4e1051ee6d31bad19dec96c208b472";
static const char enc_req_hex[] = "010020000100014b28f881333e7c164ffc499ad9796f877f4e1051ee6d31bad19dec96c208b472"
                                  "6374e469135906992e1268c594d2a10c695d858c40a026e7965e7d86b83dd440b2c0185204b4d63525";
static const char bhttp_res_hex[] = "0140c8";
static const char res_nonce_hex[] = "c789e7151fcba46158ca84b04464910d";
static const char enc_res_hex[] = "c789e7151fcba46158ca84b04464910d86f9013e404feea014e7be4a441f234f857fbd";

static void unhex(vt_buf *b, const char *h)
{
    vt_buf_free(b);
    assert_int_equal(vt_hex_decode_buf(b, h, strlen(h), 4096, NULL), VT_OK);
}

static void buf_is(const vt_buf *b, const char *want_hex)
{
    vt_buf w = { 0 };

    unhex(&w, want_hex);
    assert_int_equal(b->len, w.len);
    assert_memory_equal(b->data, w.data, w.len);
    vt_buf_free(&w);
}

typedef struct fixture {
    vt_hpke_key *skR, *skE;
    vt_ohttp_key_config cfg;
} fixture;

static int setup(void **state)
{
    static fixture f;
    vt_buf b = { 0 };

    memset(&f, 0, sizeof(f));
    unhex(&b, skR_hex);
    assert_int_equal(vt_hpke_key_from_private(&f.skR, VT_HPKE_KEM_X25519_SHA256, b.data, b.len, NULL), VT_OK);
    unhex(&b, skE_hex);
    assert_int_equal(vt_hpke_key_from_private(&f.skE, VT_HPKE_KEM_X25519_SHA256, b.data, b.len, NULL), VT_OK);
    unhex(&b, cfg_hex);
    assert_int_equal(vt_ohttp_key_config_parse(&f.cfg, b.data, b.len, NULL), VT_OK);
    vt_buf_free(&b);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    vt_hpke_key_free(f->skR);
    vt_hpke_key_free(f->skE);
    return 0;
}

static void test_http_ohttp__rfc9458_appendix_a(void **state)
{
    fixture *f = *state;
    vt_ohttp_key_config mine = { 0 };
    vt_ohttp_ctx *client = NULL, *gw = NULL;
    vt_buf b = { 0 }, req = { 0 }, res = { 0 }, got = { 0 }, back = { 0 };
    const uint8_t *pk;
    size_t pk_len;
    vt_bhttp_msg *m = NULL;
    vt_err err = { 0 };

    /* The gateway's configuration, built from its key, is the example's. */
    pk = vt_hpke_key_public(f->skR, &pk_len);
    mine.key_id = 1;
    mine.kem = VT_HPKE_KEM_X25519_SHA256;
    memcpy(mine.pk, pk, pk_len);
    mine.pk_len = pk_len;
    mine.algs[0] = (vt_ohttp_alg){ VT_HPKE_KDF_SHA256, VT_HPKE_AEAD_AES_128_GCM };
    mine.algs[1] = (vt_ohttp_alg){ VT_HPKE_KDF_SHA256, VT_HPKE_AEAD_CHACHA20_POLY1305 };
    mine.alg_count = 2;
    assert_int_equal(vt_ohttp_key_config_encode(&b, &mine, &err), VT_OK);
    buf_is(&b, cfg_hex);
    assert_int_equal(f->cfg.alg_count, 2);
    assert_memory_equal(f->cfg.pk, pk, pk_len);

    /* The client's request: Binary HTTP, then the encapsulated request. */
    pk = vt_hpke_key_public(f->skE, &pk_len);
    vt_buf_free(&b);
    assert_int_equal(vt_buf_append(&b, pk, pk_len, NULL), VT_OK);
    buf_is(&b, pkE_hex);
    assert_int_equal(vt_bhttp_encode_request(&req, "GET", "https", "example.com", "/", NULL, 0, NULL, 0, &err), VT_OK);
    buf_is(&req, bhttp_req_hex);
    vt_buf_free(&b);
    assert_int_equal(vt_ohttp_encap_request(&b, &client, &f->cfg,
                                            (vt_ohttp_alg){ VT_HPKE_KDF_SHA256, VT_HPKE_AEAD_AES_128_GCM }, req.data,
                                            req.len, f->skE, &err),
                     VT_OK);
    buf_is(&b, enc_req_hex);

    /* The gateway decapsulates it and reads the Binary HTTP request. */
    assert_int_equal(vt_ohttp_decap_request(&got, &gw, &f->cfg, f->skR, b.data, b.len, &err), VT_OK);
    buf_is(&got, bhttp_req_hex);
    assert_int_equal(vt_bhttp_parse(&m, got.data, got.len, &err), VT_OK);
    assert_int_equal(m->authority_len, 11);
    assert_memory_equal(m->authority, "example.com", 11);
    vt_bhttp_msg_free(m);

    /* The response: 200 with nothing else, sealed with the example's nonce. */
    assert_int_equal(vt_bhttp_encode_response(&res, 200, NULL, 0, NULL, 0, &err), VT_OK);
    buf_is(&res, bhttp_res_hex);
    vt_buf_free(&b);
    unhex(&back, res_nonce_hex);
    assert_int_equal(vt_ohttp_encap_response(&b, gw, res.data, res.len, back.data, &err), VT_OK);
    buf_is(&b, enc_res_hex);
    vt_buf_free(&back);
    assert_int_equal(vt_ohttp_decap_response(&back, client, b.data, b.len, &err), VT_OK);
    buf_is(&back, bhttp_res_hex);

    vt_ohttp_ctx_free(client);
    vt_ohttp_ctx_free(gw);
    vt_buf_free(&b);
    vt_buf_free(&req);
    vt_buf_free(&res);
    vt_buf_free(&got);
    vt_buf_free(&back);
}

/* Every truncation and every bit flip of the encapsulated request is refused
 * with the right class of error, and nothing reaches the output. */
static void test_http_ohttp__request_truncated_or_flipped(void **state)
{
    fixture *f = *state;
    vt_buf b = { 0 }, out = { 0 };
    vt_ohttp_ctx *gw = NULL;
    vt_err err = { 0 };

    unhex(&b, enc_req_hex);
    for (size_t n = 0; n < b.len; n++) {
        vt_status rc = vt_ohttp_decap_request(&out, &gw, &f->cfg, f->skR, b.data, n, &err);
        /* Up to the tag: truncated; inside the ciphertext: does not decrypt. */
        assert_int_equal(rc, n < 7 + 32 + 16 ? VT_E_FORMAT : VT_E_CRYPTO);
        assert_null(gw);
        assert_int_equal(out.len, 0);
    }
    for (size_t i = 0; i < b.len * 8; i++) {
        vt_status rc, want;
        b.data[i / 8] ^= (uint8_t)(1u << (i % 8));
        rc = vt_ohttp_decap_request(&out, &gw, &f->cfg, f->skR, b.data, b.len, &err);
        want = i < 8 ? VT_E_NOTFOUND : i < 7 * 8 ? VT_E_UNSUPPORTED : VT_E_CRYPTO;
        /* aead 0x0001 -> 0x0003 is still offered (ChaCha20-Poly1305): then it does not decrypt. */
        if (i == 6 * 8 + 1)
            want = VT_E_CRYPTO;
        if (rc != want)
            fail_msg("bit %zu: got %d (%s), want %d", i, rc, err.msg, want);
        assert_null(gw);
        assert_int_equal(out.len, 0);
        b.data[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    /* Trailing bytes are ciphertext too, so they break the tag. */
    assert_int_equal(vt_buf_append(&b, "", 1, NULL), VT_OK);
    assert_int_equal(vt_ohttp_decap_request(&out, &gw, &f->cfg, f->skR, b.data, b.len, &err), VT_E_CRYPTO);
    vt_buf_free(&b);
    vt_buf_free(&out);
}

static void test_http_ohttp__response_truncated_flipped_or_misrouted(void **state)
{
    fixture *f = *state;
    vt_buf req = { 0 }, b = { 0 }, res = { 0 }, out = { 0 }, b2 = { 0 };
    vt_ohttp_ctx *client = NULL, *client2 = NULL, *gw = NULL;
    vt_ohttp_alg alg = { VT_HPKE_KDF_SHA256, VT_HPKE_AEAD_CHACHA20_POLY1305 };
    vt_err err = { 0 };

    unhex(&req, bhttp_req_hex);
    assert_int_equal(vt_ohttp_encap_request(&b, &client, &f->cfg, alg, req.data, req.len, NULL, &err), VT_OK);
    assert_int_equal(vt_ohttp_encap_request(&b2, &client2, &f->cfg, alg, req.data, req.len, NULL, &err), VT_OK);
    assert_int_equal(vt_ohttp_decap_request(&out, &gw, &f->cfg, f->skR, b.data, b.len, &err), VT_OK);
    assert_int_equal(vt_ohttp_encap_response(&res, gw, (const uint8_t *)"\x01\x40\xc8", 3, NULL, &err), VT_OK);
    assert_int_equal(res.len, 32 + 3 + 16); /* ChaCha20-Poly1305: max(Nn, Nk) = 32-byte nonce */
    vt_buf_free(&out);
    for (size_t n = 0; n < res.len; n++)
        assert_int_equal(vt_ohttp_decap_response(&out, client, res.data, n, &err),
                         n < 32 + 16 ? VT_E_FORMAT : VT_E_CRYPTO);
    for (size_t i = 0; i < res.len * 8; i++) {
        res.data[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(vt_ohttp_decap_response(&out, client, res.data, res.len, &err), VT_E_CRYPTO);
        res.data[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    assert_int_equal(out.len, 0);
    /* A response meant for another request does not open. */
    assert_int_equal(vt_ohttp_decap_response(&out, client2, res.data, res.len, &err), VT_E_CRYPTO);
    assert_int_equal(vt_ohttp_decap_response(&out, client, res.data, res.len, &err), VT_OK);
    assert_int_equal(out.len, 3);
    /* A client may not pick a pair the configuration does not offer. */
    vt_ohttp_ctx_free(client2);
    assert_int_equal(vt_ohttp_encap_request(&b2, &client2, &f->cfg,
                                            (vt_ohttp_alg){ VT_HPKE_KDF_SHA256, VT_HPKE_AEAD_AES_256_GCM }, req.data,
                                            req.len, NULL, &err),
                     VT_E_ARG);
    assert_null(client2);
    vt_ohttp_ctx_free(client);
    vt_ohttp_ctx_free(gw);
    vt_buf_free(&req);
    vt_buf_free(&b);
    vt_buf_free(&b2);
    vt_buf_free(&res);
    vt_buf_free(&out);
}

static void test_http_ohttp__key_config_malformed(void **state)
{
    fixture *f = *state;
    vt_buf b = { 0 }, keys = { 0 };
    vt_ohttp_key_config c, list[4];
    size_t count;
    vt_err err = { 0 };

    unhex(&b, cfg_hex);
    for (size_t n = 0; n < b.len; n++)
        assert_int_equal(vt_ohttp_key_config_parse(&c, b.data, n, &err), VT_E_FORMAT);
    assert_int_equal(vt_buf_append(&b, "", 1, NULL), VT_OK);
    assert_int_equal(vt_ohttp_key_config_parse(&c, b.data, b.len, &err), VT_E_FORMAT); /* trailing byte */
    b.len--;
    b.data[36] = 7; /* algorithms length 7: not a multiple of 4 */
    assert_int_equal(vt_ohttp_key_config_parse(&c, b.data, b.len, &err), VT_E_FORMAT);
    b.data[36] = 8;
    b.data[2] = 0x21; /* kem_id 0x0021 (X448) */
    assert_int_equal(vt_ohttp_key_config_parse(&c, b.data, b.len, &err), VT_E_UNSUPPORTED);
    b.data[2] = 0x20;
    b.data[40] = 9; /* first pair: aead 0x0009 unknown, second pair kept */
    assert_int_equal(vt_ohttp_key_config_parse(&c, b.data, b.len, &err), VT_OK);
    assert_int_equal(c.alg_count, 1);
    assert_int_equal(c.algs[0].aead, VT_HPKE_AEAD_CHACHA20_POLY1305);
    b.data[44] = 0xff; /* the second becomes export-only: nothing usable */
    b.data[43] = 0xff;
    assert_int_equal(vt_ohttp_key_config_parse(&c, b.data, b.len, &err), VT_E_UNSUPPORTED);

    /* application/ohttp-keys: an X448 entry is skipped, ours is kept. */
    assert_int_equal(vt_buf_append(&keys, "\x00\x05\x02\x00\x21\x00\x00", 7, NULL), VT_OK);
    assert_int_equal(vt_ohttp_keys_encode(&keys, &f->cfg, 1, &err), VT_OK);
    assert_int_equal(vt_ohttp_keys_parse(list, &count, 4, keys.data, keys.len, &err), VT_OK);
    assert_int_equal(count, 1);
    assert_int_equal(list[0].key_id, 1);
    for (size_t n = 1; n < keys.len; n++) {
        vt_status rc = vt_ohttp_keys_parse(list, &count, 4, keys.data, n, &err);
        assert_true(rc == VT_E_FORMAT || rc == VT_E_NOTFOUND);
    }
    assert_int_equal(vt_ohttp_keys_parse(list, &count, 4, keys.data, 7, &err), VT_E_NOTFOUND);
    vt_buf_free(&b);
    vt_buf_free(&keys);
}

/* Chunked OHTTP (draft-ietf-ohai-chunked-ohttp): a round trip with a streamed
 * indeterminate-length answer, then every way a chunk must be refused. */
static vt_status chunked_answer(vt_buf *enc, vt_ohttp_ctx *gw, bool with_final)
{
    vt_buf b = { 0 };
    vt_bhttp_field f = { "content-type", 12, "text/event-stream", 17 };
    vt_status rc = vt_bhttp_encode_response_head(&b, 200, &f, 1, NULL);

    if (rc == VT_OK)
        rc = vt_ohttp_chunked_res_seal(enc, gw, b.data, b.len, false, NULL);
    for (int i = 0; rc == VT_OK && i < 3; i++) {
        char ev[32];
        b.len = 0;
        snprintf(ev, sizeof(ev), "data: event %d\n\n", i);
        rc = vt_bhttp_encode_content_chunk(&b, (const uint8_t *)ev, strlen(ev), NULL);
        if (rc == VT_OK)
            rc = vt_ohttp_chunked_res_seal(enc, gw, b.data, b.len, false, NULL);
    }
    b.len = 0;
    if (rc == VT_OK)
        rc = vt_bhttp_encode_response_end(&b, NULL);
    if (rc == VT_OK && with_final)
        rc = vt_ohttp_chunked_res_seal(enc, gw, b.data, b.len, true, NULL);
    vt_buf_free(&b);
    return rc;
}

static bool collect(void *arg, const uint8_t *p, size_t len)
{
    return vt_buf_append(arg, p, len, NULL) == VT_OK;
}

/* Feeds enc to the client one byte at a time (the worst split), then the end. */
static vt_status open_all(vt_buf *content, int *status, vt_ohttp_ctx *cl, const vt_buf *enc, vt_err *err)
{
    vt_buf raw = { 0 }, plain = { 0 };
    vt_bhttp_reader rd;
    size_t used;
    bool final = false;
    vt_status rc = VT_OK;

    memset(&rd, 0, sizeof(rd));
    for (size_t i = 0; rc == VT_OK && i <= enc->len; i++) {
        bool eof = i == enc->len;
        if (!eof)
            rc = vt_buf_append(&raw, enc->data + i, 1, err);
        if (rc == VT_OK)
            rc = vt_ohttp_chunked_res_open(&plain, cl, raw.data, raw.len, eof, &used, &final, err);
        if (rc == VT_OK) {
            if (used > 0)
                memmove(raw.data, raw.data + used, raw.len - used);
            raw.len -= used;
            rc = vt_bhttp_reader_feed(&rd, plain.data, plain.len, &used, NULL, collect, content, err);
        }
        if (rc == VT_OK) {
            if (used > 0)
                memmove(plain.data, plain.data + used, plain.len - used);
            plain.len -= used;
        }
    }
    if (rc == VT_OK && (!final || !vt_bhttp_reader_done(&rd)))
        rc = vt_err_set(err, VT_E_FORMAT, "not complete");
    *status = rd.status;
    vt_buf_free(&raw);
    vt_buf_free(&plain);
    return rc;
}

static void test_http_ohttp__chunked(void **state)
{
    fixture *f = *state;
    vt_buf req = { 0 }, inner = { 0 }, enc = { 0 }, content = { 0 };
    vt_ohttp_ctx *cl = NULL, *gw = NULL;
    vt_err err = { 0 };
    int status = 0;

    unhex(&req, bhttp_req_hex);
    assert_int_equal(vt_ohttp_chunked_encap_request(&enc, &cl, &f->cfg, f->cfg.algs[0], req.data, req.len, &err), VT_OK);
    assert_true(vt_ohttp_ctx_chunked(cl));
    /* A chunked request does not decapsulate as a plain one, nor the reverse. */
    assert_int_equal(vt_ohttp_decap_request(&inner, &gw, &f->cfg, f->skR, enc.data, enc.len, &err), VT_E_CRYPTO);
    /* Truncated anywhere: refused (the final chunk is never complete). */
    for (size_t n = 0; n < enc.len; n++)
        assert_int_not_equal(vt_ohttp_chunked_decap_request(&inner, &gw, &f->cfg, f->skR, enc.data, n, &err), VT_OK);
    assert_int_equal(inner.len, 0);
    /* A non-final indicator where the final one was: the AAD differs, it does not open. */
    enc.data[7 + 32] = 0x40 | 0;
    assert_int_not_equal(vt_ohttp_chunked_decap_request(&inner, &gw, &f->cfg, f->skR, enc.data, enc.len, &err), VT_OK);
    enc.data[7 + 32] = 0;
    assert_int_equal(vt_ohttp_chunked_decap_request(&inner, &gw, &f->cfg, f->skR, enc.data, enc.len, &err), VT_OK);
    assert_int_equal(inner.len, req.len);
    assert_memory_equal(inner.data, req.data, req.len);

    /* The answer, byte by byte: the content of every chunk as it arrives. */
    enc.len = 0;
    assert_int_equal(chunked_answer(&enc, gw, true), VT_OK);
    assert_int_equal(vt_ohttp_chunked_res_seal(&enc, gw, (const uint8_t *)"x", 1, false, &err), VT_E_ARG);
    assert_int_equal(open_all(&content, &status, cl, &enc, &err), VT_OK);
    assert_int_equal(status, 200);
    assert_int_equal(content.len, 3 * strlen("data: event 0\n\n"));
    assert_memory_equal(content.data, "data: event 0\n\ndata: event 1\n\ndata: event 2\n\n", content.len);
    vt_ohttp_ctx_free(cl);
    vt_ohttp_ctx_free(gw);

    /* Each bit flipped: refused.  Without the final chunk: truncated.  Chunks swapped: refused. */
    for (int mode = 0; mode < 3; mode++) {
        size_t bits = 1;
        for (size_t i = 0; i < bits; i++) {
            cl = gw = NULL;
            enc.len = inner.len = content.len = 0;
            assert_int_equal(vt_ohttp_chunked_encap_request(&enc, &cl, &f->cfg, f->cfg.algs[0], req.data, req.len, &err), VT_OK);
            assert_int_equal(vt_ohttp_chunked_decap_request(&inner, &gw, &f->cfg, f->skR, enc.data, enc.len, &err), VT_OK);
            enc.len = 0;
            assert_int_equal(chunked_answer(&enc, gw, mode != 1), VT_OK);
            if (mode == 0) {
                bits = enc.len * 8;
                enc.data[i / 8] ^= (uint8_t)(1u << (i % 8));
            } else if (mode == 2) {
                /* the second and third chunks (equal lengths) change places */
                size_t off = 16 + 1 + (enc.data[16] & 0x3f) + 1, cl2 = enc.data[off - 1] & 0x3f;
                uint8_t t[64];
                assert_true(cl2 < sizeof(t));
                memcpy(t, enc.data + off, cl2);
                memmove(enc.data + off, enc.data + off + cl2 + 1, cl2);
                memcpy(enc.data + off + cl2 + 1, t, cl2);
            }
            status = 0;
            if (open_all(&content, &status, cl, &enc, &err) == VT_OK)
                fail_msg("mode %d bit %zu: an altered answer opened", mode, i);
            vt_ohttp_ctx_free(cl);
            vt_ohttp_ctx_free(gw);
        }
    }
    vt_buf_free(&req);
    vt_buf_free(&inner);
    vt_buf_free(&enc);
    vt_buf_free(&content);
}

/* A response chunk that cannot be sealed ends the response: were the next one sealed, it would take
 * the refused one's counter and the client would open a stream with a piece missing, undetected. */
static void test_http_ohttp__chunked_seal_failure_ends_the_response(void **state)
{
    fixture *f = *state;
    vt_buf req = { 0 }, inner = { 0 }, enc = { 0 }, b = { 0 }, content = { 0 };
    vt_ohttp_ctx *cl = NULL, *gw = NULL;
    vt_err err = { 0 };
    int status = 0;

    unhex(&req, bhttp_req_hex);
    assert_int_equal(vt_ohttp_chunked_encap_request(&enc, &cl, &f->cfg, f->cfg.algs[0], req.data, req.len, &err), VT_OK);
    assert_int_equal(vt_ohttp_chunked_decap_request(&inner, &gw, &f->cfg, f->skR, enc.data, enc.len, &err), VT_OK);
    enc.len = 0;
    assert_int_equal(vt_bhttp_encode_response_head(&b, 200, NULL, 0, &err), VT_OK);
    assert_int_equal(vt_ohttp_chunked_res_seal(&enc, gw, b.data, b.len, false, &err), VT_OK);
    /* A piece the sealer refuses (here: past the chunk limit; out of memory is the same case). */
    assert_int_not_equal(vt_ohttp_chunked_res_seal(&enc, gw, b.data, (size_t)VT_BHTTP_MAX + 1, false, &err), VT_OK);
    b.len = 0;
    assert_int_equal(vt_bhttp_encode_content_chunk(&b, (const uint8_t *)"data: after\n\n", 13, &err), VT_OK);
    assert_int_not_equal(vt_ohttp_chunked_res_seal(&enc, gw, b.data, b.len, false, &err), VT_OK);
    b.len = 0;
    assert_int_equal(vt_bhttp_encode_response_end(&b, &err), VT_OK);
    assert_int_not_equal(vt_ohttp_chunked_res_seal(&enc, gw, b.data, b.len, true, &err), VT_OK);
    /* What was sent before opens, and the client sees the answer cut short. */
    assert_int_not_equal(open_all(&content, &status, cl, &enc, &err), VT_OK);
    assert_int_equal(content.len, 0);
    vt_ohttp_ctx_free(cl);
    vt_ohttp_ctx_free(gw);
    vt_buf_free(&req);
    vt_buf_free(&inner);
    vt_buf_free(&enc);
    vt_buf_free(&b);
    vt_buf_free(&content);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_ohttp__rfc9458_appendix_a),
        cmocka_unit_test(test_http_ohttp__request_truncated_or_flipped),
        cmocka_unit_test(test_http_ohttp__response_truncated_flipped_or_misrouted),
        cmocka_unit_test(test_http_ohttp__key_config_malformed),
        cmocka_unit_test(test_http_ohttp__chunked),
        cmocka_unit_test(test_http_ohttp__chunked_seal_failure_ends_the_response),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
