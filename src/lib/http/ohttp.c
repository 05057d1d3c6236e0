/*
 * Oblivious HTTP (RFC 9458): key configurations, request and response
 * encapsulation.  HPKE does the public-key part (crypto/hpke.c); responses
 * use HKDF and an AEAD keyed from a secret exported from the request's HPKE
 * context (§4.4).  Parsing goes through vt_rd (HS-10).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "veritee/crypto.h"
#include "veritee/ohttp.h"
#include "http/varint.h"

static const char req_label[] = "message/bhttp request";
static const char res_label[] = "message/bhttp response";
/* draft-ietf-ohai-chunked-ohttp: the same construction under other labels */
static const char creq_label[] = "message/bhttp chunked request";
static const char cres_label[] = "message/bhttp chunked response";
static const uint8_t final_aad[] = { 'f', 'i', 'n', 'a', 'l' };
#define CHUNK_MAX VT_BHTTP_MAX /* one sealed chunk */

#define HDR_LEN 7 /* key_id, kem_id, kdf_id, aead_id */
#define SECRET_MAX 32 /* max(Nn, Nk) of the implemented AEADs */

struct vt_ohttp_ctx {
    vt_hpke_suite suite;
    uint8_t enc[VT_HPKE_ENC_MAX];
    size_t enc_len;
    uint8_t secret[SECRET_MAX]; /* Export("message/bhttp response", max(Nn, Nk)) */
    size_t secret_len;
    /* chunked responses: keys once the nonce is known, and the chunk counter */
    bool chunked, keyed, ended;
    uint8_t ckey[VT_AEAD_KEY_MAX], cnonce[VT_AEAD_NONCE_LEN];
    uint64_t counter;
};

static size_t secret_len(uint16_t aead)
{
    size_t nk = vt_hpke_aead_key_len(aead), nn = vt_hpke_aead_nonce_len(aead);
    return nk > nn ? nk : nn;
}

static bool alg_usable(vt_ohttp_alg a)
{
    vt_hpke_suite s = { VT_HPKE_KEM_X25519_SHA256, a.kdf, a.aead };
    /* Export-only suites cannot carry a message. */
    return a.aead != VT_HPKE_AEAD_EXPORT_ONLY && vt_hpke_suite_ok(s);
}

/* ---- key configurations (§3) ---- */

vt_status vt_ohttp_key_config_encode(vt_buf *out, const vt_ohttp_key_config *c, vt_err *err)
{
    size_t start = out->len;
    uint8_t h[3] = { c->key_id, (uint8_t)(c->kem >> 8), (uint8_t)c->kem };
    uint8_t l[2] = { (uint8_t)((4 * c->alg_count) >> 8), (uint8_t)(4 * c->alg_count) };
    vt_status rc;

    if (c->pk_len != vt_hpke_kem_pk_len(c->kem) || c->alg_count == 0 || c->alg_count > VT_OHTTP_ALGS_MAX)
        return vt_err_set(err, VT_E_ARG, "ohttp: key configuration %u incomplete", c->key_id);
    rc = vt_buf_append(out, h, sizeof(h), err);
    if (rc == VT_OK)
        rc = vt_buf_append(out, c->pk, c->pk_len, err);
    if (rc == VT_OK)
        rc = vt_buf_append(out, l, sizeof(l), err);
    for (size_t i = 0; rc == VT_OK && i < c->alg_count; i++) {
        uint8_t a[4] = { (uint8_t)(c->algs[i].kdf >> 8), (uint8_t)c->algs[i].kdf, (uint8_t)(c->algs[i].aead >> 8),
                         (uint8_t)c->algs[i].aead };
        rc = vt_buf_append(out, a, sizeof(a), err);
    }
    if (rc != VT_OK)
        out->len = start;
    return rc;
}

vt_status vt_ohttp_key_config_parse(vt_ohttp_key_config *out, const uint8_t *p, size_t len, vt_err *err)
{
    vt_ohttp_key_config c;
    vt_rd r, algs;
    uint16_t algs_len;
    size_t npk;

    memset(out, 0, sizeof(*out));
    memset(&c, 0, sizeof(c));
    vt_rd_init(&r, p, len);
    c.key_id = vt_rd_u8(&r);
    c.kem = vt_rd_u16be(&r);
    if (!vt_rd_ok(&r))
        return vt_err_set(err, VT_E_FORMAT, "ohttp: key configuration header truncated");
    npk = vt_hpke_kem_pk_len(c.kem);
    if (npk == 0)
        return vt_err_set(err, VT_E_UNSUPPORTED, "ohttp: key configuration %u kem_id 0x%04x unsupported", c.key_id,
                          c.kem);
    vt_rd_copy(&r, c.pk, npk);
    c.pk_len = npk;
    algs_len = vt_rd_u16be(&r);
    algs = vt_rd_sub(&r, algs_len);
    if (!vt_rd_ok_and_empty(&r) || algs_len < 4 || algs_len % 4 != 0)
        return vt_err_set(err, VT_E_FORMAT, "ohttp: key configuration %u is %zu bytes, disagreeing with its "
                          "public key or algorithms length %u", c.key_id, len, algs_len);
    while (algs.left > 0) {
        vt_ohttp_alg a;
        a.kdf = vt_rd_u16be(&algs);
        a.aead = vt_rd_u16be(&algs);
        if (alg_usable(a) && c.alg_count < VT_OHTTP_ALGS_MAX)
            c.algs[c.alg_count++] = a;
    }
    if (c.alg_count == 0)
        return vt_err_set(err, VT_E_UNSUPPORTED, "ohttp: key configuration %u offers no usable KDF and AEAD",
                          c.key_id);
    *out = c;
    return VT_OK;
}

vt_status vt_ohttp_keys_encode(vt_buf *out, const vt_ohttp_key_config *c, size_t count, vt_err *err)
{
    size_t start = out->len;
    vt_status rc = VT_OK;

    for (size_t i = 0; rc == VT_OK && i < count; i++) {
        size_t at = out->len;
        rc = vt_buf_append(out, "\0\0", 2, err);
        if (rc == VT_OK)
            rc = vt_ohttp_key_config_encode(out, &c[i], err);
        if (rc == VT_OK) {
            size_t n = out->len - at - 2;
            out->data[at] = (uint8_t)(n >> 8);
            out->data[at + 1] = (uint8_t)n;
        }
    }
    if (rc != VT_OK)
        out->len = start;
    return rc;
}

vt_status vt_ohttp_keys_parse(vt_ohttp_key_config *out, size_t *count, size_t max, const uint8_t *p, size_t len,
                              vt_err *err)
{
    vt_rd r;
    size_t n = 0, i = 0;

    *count = 0;
    vt_rd_init(&r, p, len);
    while (r.left > 0) {
        uint16_t clen = vt_rd_u16be(&r);
        vt_rd one = vt_rd_sub(&r, clen);
        vt_err skip = { 0 };
        vt_status rc;
        if (!vt_rd_ok(&r))
            return vt_err_set(err, VT_E_FORMAT, "ohttp: keys entry %zu length %u past the end", i, clen);
        if (n < max) {
            rc = vt_ohttp_key_config_parse(&out[n], one.p, one.left, &skip);
            if (rc == VT_OK)
                n++;
            else if (rc != VT_E_UNSUPPORTED)
                return vt_err_set(err, rc, "%s (keys entry %zu)", skip.msg, i);
        }
        i++;
    }
    if (n == 0)
        return vt_err_set(err, VT_E_NOTFOUND, "ohttp: none of %zu key configurations is usable", i);
    *count = n;
    return VT_OK;
}

/* ---- encapsulation (§4) ---- */

static void hdr_build(uint8_t hdr[HDR_LEN], uint8_t key_id, vt_hpke_suite s)
{
    hdr[0] = key_id;
    hdr[1] = (uint8_t)(s.kem >> 8);
    hdr[2] = (uint8_t)s.kem;
    hdr[3] = (uint8_t)(s.kdf >> 8);
    hdr[4] = (uint8_t)s.kdf;
    hdr[5] = (uint8_t)(s.aead >> 8);
    hdr[6] = (uint8_t)s.aead;
}

static bool cfg_offers(const vt_ohttp_key_config *cfg, vt_ohttp_alg a)
{
    for (size_t i = 0; i < cfg->alg_count && i < VT_OHTTP_ALGS_MAX; i++)
        if (cfg->algs[i].kdf == a.kdf && cfg->algs[i].aead == a.aead)
            return true;
    return false;
}

/* The response secret, exported while the HPKE context exists. */
static vt_status ctx_finish(vt_ohttp_ctx **out, vt_hpke_ctx *h, vt_hpke_suite s, const uint8_t *enc, size_t enc_len,
                            bool chunked, vt_err *err)
{
    vt_ohttp_ctx *c = OPENSSL_zalloc(sizeof(*c));
    vt_status rc;

    *out = NULL;
    if (c == NULL)
        return vt_err_set(err, VT_E_NOMEM, "ohttp: out of memory");
    c->suite = s;
    memcpy(c->enc, enc, enc_len);
    c->enc_len = enc_len;
    c->secret_len = secret_len(s.aead);
    c->chunked = chunked;
    rc = chunked ? vt_hpke_export(h, c->secret, c->secret_len, cres_label, strlen(cres_label), err)
                 : vt_hpke_export(h, c->secret, c->secret_len, res_label, strlen(res_label), err);
    if (rc != VT_OK) {
        vt_ohttp_ctx_free(c);
        return rc;
    }
    *out = c;
    return VT_OK;
}

vt_status vt_ohttp_encap_request(vt_buf *out, vt_ohttp_ctx **ctx, const vt_ohttp_key_config *cfg, vt_ohttp_alg alg,
                                 const uint8_t *req, size_t req_len, const vt_hpke_key *eph, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_hpke_suite s = { cfg->kem, alg.kdf, alg.aead };
    vt_hpke_key *pkR = NULL;
    vt_hpke_ctx *h = NULL;
    uint8_t info[sizeof(req_label) + HDR_LEN], enc[VT_HPKE_ENC_MAX];
    size_t enc_len = 0, start = out->len;

    *ctx = NULL;
    if (!cfg_offers(cfg, alg) || !alg_usable(alg)) {
        rc = vt_err_set(err, VT_E_ARG, "ohttp: key configuration %u does not offer kdf 0x%04x aead 0x%04x",
                        cfg->key_id, alg.kdf, alg.aead);
        goto out;
    }
    if (req_len > VT_BHTTP_MAX) {
        rc = vt_err_set(err, VT_E_LIMIT, "ohttp: %zu-byte request passes %u", req_len, VT_BHTTP_MAX);
        goto out;
    }
    /* info = "message/bhttp request" || 0 || hdr */
    memcpy(info, req_label, sizeof(req_label));
    hdr_build(info + sizeof(req_label), cfg->key_id, s);
    rc = vt_hpke_key_from_public(&pkR, cfg->kem, cfg->pk, cfg->pk_len, err);
    if (rc == VT_OK) {
        vt_hpke_params p = { .mode = VT_HPKE_MODE_BASE, .info = info, .info_len = sizeof(info) };
        rc = vt_hpke_setup_sender(&h, enc, &enc_len, s, pkR, &p, eph, err);
    }
    if (rc == VT_OK)
        rc = vt_buf_append(out, info + sizeof(req_label), HDR_LEN, err);
    if (rc == VT_OK)
        rc = vt_buf_append(out, enc, enc_len, err);
    if (rc == VT_OK)
        rc = vt_hpke_seal(h, out, NULL, 0, req, req_len, err);
    if (rc == VT_OK)
        rc = ctx_finish(ctx, h, s, enc, enc_len, false, err);
    if (rc != VT_OK)
        out->len = start;
out:
    vt_hpke_ctx_free(h);
    vt_hpke_key_free(pkR);
    return rc;
}

vt_status vt_ohttp_decap_request(vt_buf *out, vt_ohttp_ctx **ctx, const vt_ohttp_key_config *cfg,
                                 const vt_hpke_key *sk, const uint8_t *enc_req, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_hpke_suite s;
    vt_ohttp_alg alg;
    vt_hpke_ctx *h = NULL;
    uint8_t info[sizeof(req_label) + HDR_LEN], key_id;
    const uint8_t *enc;
    size_t npk, start = out->len;
    vt_rd r;

    *ctx = NULL;
    if (len > VT_OHTTP_MAX)
        return vt_err_set(err, VT_E_LIMIT, "ohttp: %zu-byte encapsulated request passes %u", len, VT_OHTTP_MAX);
    vt_rd_init(&r, enc_req, len);
    key_id = vt_rd_u8(&r);
    s.kem = vt_rd_u16be(&r);
    s.kdf = vt_rd_u16be(&r);
    s.aead = vt_rd_u16be(&r);
    if (!vt_rd_ok(&r))
        return vt_err_set(err, VT_E_FORMAT, "ohttp: request header truncated");
    if (key_id != cfg->key_id)
        return vt_err_set(err, VT_E_NOTFOUND, "ohttp: key_id %u unknown", key_id);
    alg.kdf = s.kdf;
    alg.aead = s.aead;
    if (s.kem != cfg->kem || !cfg_offers(cfg, alg))
        return vt_err_set(err, VT_E_UNSUPPORTED, "ohttp: kem 0x%04x kdf 0x%04x aead 0x%04x not offered", s.kem,
                          s.kdf, s.aead);
    npk = vt_hpke_kem_pk_len(s.kem);
    enc = vt_rd_take(&r, npk);
    if (enc == NULL || r.left < VT_HPKE_TAG_LEN)
        return vt_err_set(err, VT_E_FORMAT, "ohttp: %zu-byte encapsulated request truncated", len);
    memcpy(info, req_label, sizeof(req_label));
    memcpy(info + sizeof(req_label), enc_req, HDR_LEN);
    {
        vt_hpke_params p = { .mode = VT_HPKE_MODE_BASE, .info = info, .info_len = sizeof(info) };
        rc = vt_hpke_setup_recipient(&h, s, sk, enc, npk, &p, err);
    }
    if (rc == VT_OK)
        rc = vt_hpke_open(h, out, NULL, 0, r.p, r.left, err);
    if (rc == VT_OK)
        rc = ctx_finish(ctx, h, s, enc, npk, false, err);
    if (rc != VT_OK && out->len > start) {
        vt_wipe(out->data + start, out->len - start);
        out->len = start;
    }
    vt_hpke_ctx_free(h);
    return rc;
}

/* aead_key and aead_nonce for a response (§4.4 steps 3-6). */
static vt_status res_keys(uint8_t *key, uint8_t nonce[VT_AEAD_NONCE_LEN], const vt_ohttp_ctx *c,
                          const uint8_t *res_nonce, vt_err *err)
{
    vt_md md = c->suite.kdf == VT_HPKE_KDF_SHA256 ? VT_MD_SHA256
               : c->suite.kdf == VT_HPKE_KDF_SHA384 ? VT_MD_SHA384
                                                    : VT_MD_SHA512;
    uint8_t prk[VT_MD_MAX], salt[VT_HPKE_ENC_MAX + SECRET_MAX];
    vt_status rc;

    /* salt = enc || response_nonce; prk = Extract(salt, secret) */
    memcpy(salt, c->enc, c->enc_len);
    memcpy(salt + c->enc_len, res_nonce, c->secret_len);
    rc = vt_hkdf_extract(prk, md, salt, c->enc_len + c->secret_len, c->secret, c->secret_len, err);
    if (rc == VT_OK)
        rc = vt_hkdf_expand(key, vt_hpke_aead_key_len(c->suite.aead), md, prk, vt_md_len(md), "key", 3, err);
    if (rc == VT_OK)
        rc = vt_hkdf_expand(nonce, VT_AEAD_NONCE_LEN, md, prk, vt_md_len(md), "nonce", 5, err);
    vt_wipe(prk, sizeof(prk));
    return rc;
}

vt_status vt_ohttp_encap_response(vt_buf *out, const vt_ohttp_ctx *ctx, const uint8_t *resp, size_t resp_len,
                                  const uint8_t *nonce, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    uint8_t rn[SECRET_MAX], key[VT_AEAD_KEY_MAX], an[VT_AEAD_NONCE_LEN];
    size_t start = out->len;

    if (resp_len > VT_BHTTP_MAX)
        return vt_err_set(err, VT_E_LIMIT, "ohttp: %zu-byte response passes %u", resp_len, VT_BHTTP_MAX);
    if (nonce != NULL) {
        memcpy(rn, nonce, ctx->secret_len);
        rc = VT_OK;
    } else {
        rc = vt_random(rn, ctx->secret_len, err);
    }
    if (rc == VT_OK)
        rc = res_keys(key, an, ctx, rn, err);
    if (rc == VT_OK)
        rc = vt_buf_append(out, rn, ctx->secret_len, err);
    if (rc == VT_OK)
        rc = vt_buf_reserve(out, resp_len + VT_AEAD_TAG_LEN, err);
    if (rc == VT_OK)
        rc = vt_aead_seal(out->data + out->len, (vt_aead)ctx->suite.aead, key, an, NULL, 0, resp, resp_len, err);
    if (rc == VT_OK)
        out->len += resp_len + VT_AEAD_TAG_LEN;
    else
        out->len = start;
    vt_wipe(key, sizeof(key));
    vt_wipe(an, sizeof(an));
    return rc;
}

vt_status vt_ohttp_decap_response(vt_buf *out, const vt_ohttp_ctx *ctx, const uint8_t *enc_res, size_t len,
                                  vt_err *err)
{
    vt_status rc;
    uint8_t key[VT_AEAD_KEY_MAX], an[VT_AEAD_NONCE_LEN];
    size_t ct_len;

    if (len > VT_OHTTP_MAX)
        return vt_err_set(err, VT_E_LIMIT, "ohttp: %zu-byte encapsulated response passes %u", len, VT_OHTTP_MAX);
    if (len < ctx->secret_len + VT_AEAD_TAG_LEN)
        return vt_err_set(err, VT_E_FORMAT, "ohttp: %zu-byte encapsulated response truncated", len);
    ct_len = len - ctx->secret_len;
    rc = res_keys(key, an, ctx, enc_res, err);
    if (rc == VT_OK)
        rc = vt_buf_reserve(out, ct_len - VT_AEAD_TAG_LEN, err);
    if (rc == VT_OK)
        rc = vt_aead_open(out->data + out->len, (vt_aead)ctx->suite.aead, key, an, NULL, 0,
                          enc_res + ctx->secret_len, ct_len, err);
    if (rc == VT_OK)
        out->len += ct_len - VT_AEAD_TAG_LEN;
    vt_wipe(key, sizeof(key));
    vt_wipe(an, sizeof(an));
    return rc;
}

/* ---- chunked Oblivious HTTP (draft-ietf-ohai-chunked-ohttp) ---- */

vt_status vt_ohttp_chunked_encap_request(vt_buf *out, vt_ohttp_ctx **ctx, const vt_ohttp_key_config *cfg,
                                         vt_ohttp_alg alg, const uint8_t *req, size_t req_len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_hpke_suite s = { cfg->kem, alg.kdf, alg.aead };
    vt_hpke_key *pkR = NULL;
    vt_hpke_ctx *h = NULL;
    uint8_t info[sizeof(creq_label) + HDR_LEN], enc[VT_HPKE_ENC_MAX];
    size_t enc_len = 0, start = out->len;

    *ctx = NULL;
    if (!cfg_offers(cfg, alg) || !alg_usable(alg))
        return vt_err_set(err, VT_E_ARG, "ohttp: key configuration %u does not offer kdf 0x%04x aead 0x%04x",
                          cfg->key_id, alg.kdf, alg.aead);
    if (req_len > VT_BHTTP_MAX)
        return vt_err_set(err, VT_E_LIMIT, "ohttp: %zu-byte request passes %u", req_len, VT_BHTTP_MAX);
    memcpy(info, creq_label, sizeof(creq_label));
    hdr_build(info + sizeof(creq_label), cfg->key_id, s);
    rc = vt_hpke_key_from_public(&pkR, cfg->kem, cfg->pk, cfg->pk_len, err);
    if (rc == VT_OK) {
        vt_hpke_params p = { .mode = VT_HPKE_MODE_BASE, .info = info, .info_len = sizeof(info) };
        rc = vt_hpke_setup_sender(&h, enc, &enc_len, s, pkR, &p, NULL, err);
    }
    if (rc == VT_OK)
        rc = vt_buf_append(out, info + sizeof(creq_label), HDR_LEN, err);
    if (rc == VT_OK)
        rc = vt_buf_append(out, enc, enc_len, err);
    /* The whole request as the final chunk: indicator 0, then the chunk to the end. */
    if (rc == VT_OK)
        rc = vt__varint_put(out, 0, err);
    if (rc == VT_OK)
        rc = vt_hpke_seal(h, out, final_aad, sizeof(final_aad), req, req_len, err);
    if (rc == VT_OK)
        rc = ctx_finish(ctx, h, s, enc, enc_len, true, err);
    if (rc != VT_OK)
        out->len = start;
    vt_hpke_ctx_free(h);
    vt_hpke_key_free(pkR);
    return rc;
}

vt_status vt_ohttp_chunked_decap_request(vt_buf *out, vt_ohttp_ctx **ctx, const vt_ohttp_key_config *cfg,
                                         const vt_hpke_key *sk, const uint8_t *enc_req, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_hpke_suite s;
    vt_ohttp_alg alg;
    vt_hpke_ctx *h = NULL;
    uint8_t info[sizeof(creq_label) + HDR_LEN], key_id;
    const uint8_t *enc;
    size_t npk, start = out->len, chunks = 0;
    bool final = false;
    vt_rd r;

    *ctx = NULL;
    if (len > VT_OHTTP_MAX)
        return vt_err_set(err, VT_E_LIMIT, "ohttp: %zu-byte chunked request passes %u", len, VT_OHTTP_MAX);
    vt_rd_init(&r, enc_req, len);
    key_id = vt_rd_u8(&r);
    s.kem = vt_rd_u16be(&r);
    s.kdf = vt_rd_u16be(&r);
    s.aead = vt_rd_u16be(&r);
    if (!vt_rd_ok(&r))
        return vt_err_set(err, VT_E_FORMAT, "ohttp: chunked request header truncated");
    if (key_id != cfg->key_id)
        return vt_err_set(err, VT_E_NOTFOUND, "ohttp: key_id %u unknown", key_id);
    alg.kdf = s.kdf;
    alg.aead = s.aead;
    if (s.kem != cfg->kem || !cfg_offers(cfg, alg))
        return vt_err_set(err, VT_E_UNSUPPORTED, "ohttp: kem 0x%04x kdf 0x%04x aead 0x%04x not offered", s.kem,
                          s.kdf, s.aead);
    npk = vt_hpke_kem_pk_len(s.kem);
    enc = vt_rd_take(&r, npk);
    if (enc == NULL)
        return vt_err_set(err, VT_E_FORMAT, "ohttp: %zu-byte chunked request truncated", len);
    memcpy(info, creq_label, sizeof(creq_label));
    memcpy(info + sizeof(creq_label), enc_req, HDR_LEN);
    {
        vt_hpke_params p = { .mode = VT_HPKE_MODE_BASE, .info = info, .info_len = sizeof(info) };
        rc = vt_hpke_setup_recipient(&h, s, sk, enc, npk, &p, err);
    }
    while (rc == VT_OK && !final) {
        uint64_t n = vt__varint_rd(&r);
        const uint8_t *c;
        if (!vt_rd_ok(&r)) {
            rc = vt_err_set(err, VT_E_FORMAT, "ohttp: chunked request ends before its final chunk");
            break;
        }
        final = n == 0;
        if (final)
            n = r.left; /* the final chunk runs to the end */
        if (n > r.left || n < VT_HPKE_TAG_LEN) {
            rc = vt_err_set(err, VT_E_FORMAT, "ohttp: chunk %zu of the request truncated", chunks);
            break;
        }
        c = vt_rd_take(&r, (size_t)n);
        rc = final ? vt_hpke_open(h, out, final_aad, sizeof(final_aad), c, (size_t)n, err)
                   : vt_hpke_open(h, out, NULL, 0, c, (size_t)n, err);
        chunks++;
    }
    if (rc == VT_OK)
        rc = ctx_finish(ctx, h, s, enc, npk, true, err);
    if (rc != VT_OK && out->len > start) {
        vt_wipe(out->data + start, out->len - start);
        out->len = start;
    }
    vt_hpke_ctx_free(h);
    return rc;
}

/* This chunk's nonce: aead_nonce XOR the counter (big-endian, Nn bytes). */
static void chunk_nonce(uint8_t n[VT_AEAD_NONCE_LEN], const vt_ohttp_ctx *c)
{
    memcpy(n, c->cnonce, VT_AEAD_NONCE_LEN);
    for (size_t i = 0; i < 8; i++)
        n[VT_AEAD_NONCE_LEN - 1 - i] ^= (uint8_t)(c->counter >> (8 * i));
}

vt_status vt_ohttp_chunked_res_seal(vt_buf *out, vt_ohttp_ctx *ctx, const uint8_t *p, size_t len, bool final,
                                    vt_err *err)
{
    vt_status rc = VT_OK;
    uint8_t rn[SECRET_MAX], n[VT_AEAD_NONCE_LEN];
    size_t start = out->len;

    if (!ctx->chunked || ctx->ended)
        return vt_err_set(err, VT_E_ARG, "ohttp: not a chunked exchange, or its response has ended");
    if (len > CHUNK_MAX || (len == 0 && !final)) {
        rc = vt_err_set(err, VT_E_ARG, "ohttp: response chunk of %zu bytes", len);
        goto out;
    }
    if (ctx->counter == UINT64_MAX) {
        rc = vt_err_set(err, VT_E_LIMIT, "ohttp: too many response chunks");
        goto out;
    }
    if (!ctx->keyed) {
        rc = vt_random(rn, ctx->secret_len, err);
        if (rc == VT_OK)
            rc = res_keys(ctx->ckey, ctx->cnonce, ctx, rn, err);
        if (rc == VT_OK)
            rc = vt_buf_append(out, rn, ctx->secret_len, err);
        if (rc != VT_OK)
            goto out;
        ctx->keyed = true;
    }
    chunk_nonce(n, ctx);
    rc = vt__varint_put(out, final ? 0 : len + VT_AEAD_TAG_LEN, err);
    if (rc == VT_OK)
        rc = vt_buf_reserve(out, len + VT_AEAD_TAG_LEN, err);
    if (rc == VT_OK)
        rc = vt_aead_seal(out->data + out->len, (vt_aead)ctx->suite.aead, ctx->ckey, n, final ? final_aad : NULL,
                          final ? sizeof(final_aad) : 0, p, len, err);
    if (rc == VT_OK) {
        out->len += len + VT_AEAD_TAG_LEN;
        ctx->counter++;
        ctx->ended = final;
    }
out:
    /* A chunk not sealed ends the response: the next one would take its counter, and the
     * client would open a stream with a piece missing.  No final chunk can follow either, so
     * the client sees the answer cut short. */
    if (rc != VT_OK) {
        out->len = start;
        ctx->ended = true;
    }
    vt_wipe(n, sizeof(n));
    return rc;
}

vt_status vt_ohttp_chunked_res_open(vt_buf *out, vt_ohttp_ctx *ctx, const uint8_t *in, size_t len, bool eof,
                                    size_t *used, bool *final, vt_err *err)
{
    vt_status rc = VT_OK;
    uint8_t n[VT_AEAD_NONCE_LEN];
    vt_rd r;

    *used = 0;
    *final = false;
    if (!ctx->chunked || ctx->ended)
        return vt_err_set(err, VT_E_ARG, "ohttp: not a chunked exchange, or its response has ended");
    vt_rd_init(&r, in, len);
    if (!ctx->keyed) {
        const uint8_t *rn = vt_rd_take(&r, ctx->secret_len);
        if (rn == NULL)
            return eof ? vt_err_set(err, VT_E_FORMAT, "ohttp: chunked response truncated before its nonce") : VT_OK;
        rc = res_keys(ctx->ckey, ctx->cnonce, ctx, rn, err);
        if (rc != VT_OK)
            return rc;
        ctx->keyed = true;
        *used = ctx->secret_len;
    }
    while (rc == VT_OK && r.left > 0) {
        vt_rd t = r;
        uint64_t cl = vt__varint_rd(&t);
        bool last;
        if (!vt_rd_ok(&t))
            break; /* the length is not all there yet */
        last = cl == 0;
        if (last && !eof)
            break; /* the final chunk runs to the end of the stream */
        if (last)
            cl = t.left;
        if (cl > CHUNK_MAX || cl < VT_AEAD_TAG_LEN)
            return vt_err_set(err, VT_E_FORMAT, "ohttp: response chunk %llu has a bad length",
                              (unsigned long long)ctx->counter);
        if (cl > t.left)
            break;
        chunk_nonce(n, ctx);
        rc = vt_buf_reserve(out, (size_t)cl - VT_AEAD_TAG_LEN, err);
        if (rc == VT_OK)
            rc = vt_aead_open(out->data + out->len, (vt_aead)ctx->suite.aead, ctx->ckey, n, last ? final_aad : NULL,
                              last ? sizeof(final_aad) : 0, vt_rd_take(&t, (size_t)cl), (size_t)cl, err);
        if (rc != VT_OK)
            break;
        out->len += (size_t)cl - VT_AEAD_TAG_LEN;
        ctx->counter++;
        r = t;
        *used = len - r.left;
        if (last) {
            ctx->ended = true;
            *final = true;
        }
    }
    vt_wipe(n, sizeof(n));
    if (rc == VT_OK && eof && !*final)
        rc = vt_err_set(err, VT_E_FORMAT, "ohttp: chunked response ends without its final chunk (truncated)");
    return rc;
}

bool vt_ohttp_ctx_chunked(const vt_ohttp_ctx *ctx)
{
    return ctx != NULL && ctx->chunked;
}

void vt_ohttp_ctx_free(vt_ohttp_ctx *ctx)
{
    if (ctx != NULL)
        OPENSSL_clear_free(ctx, sizeof(*ctx));
}
