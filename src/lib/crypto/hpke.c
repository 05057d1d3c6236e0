/*
 * Hybrid Public Key Encryption (RFC 9180) built from OpenSSL 3.0 primitives:
 * X25519 / ECDH over EVP_PKEY, HKDF from kdf.c, AEADs from aead.c.  Section
 * numbers below are RFC 9180's.  Every intermediate secret lives on the stack
 * and is cleansed before return; the context wipes itself when freed.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include "crypto_int.h"
#include "veritee/hpke.h"

#define DH_MAX 66        /* Ndh of P-521 */
#define NH_MAX VT_MD_MAX /* Nh of HKDF-SHA512 */

typedef struct kem_info {
    uint16_t id;
    vt_md md;       /* the KEM's own KDF */
    size_t nsecret; /* Nsecret */
    size_t npk;     /* Npk = Nenc */
    size_t nsk;     /* Nsk = Ndh */
    uint8_t bitmask;
    int nid;        /* 0 for X25519 */
    const char *group;
    const char *name;
} kem_info;

static const kem_info kems[] = {
    { VT_HPKE_KEM_P256_SHA256, VT_MD_SHA256, 32, 65, 32, 0xff, NID_X9_62_prime256v1, "prime256v1",
      "DHKEM(P-256, HKDF-SHA256)" },
    { VT_HPKE_KEM_P521_SHA512, VT_MD_SHA512, 64, 133, 66, 0x01, NID_secp521r1, "secp521r1",
      "DHKEM(P-521, HKDF-SHA512)" },
    { VT_HPKE_KEM_X25519_SHA256, VT_MD_SHA256, 32, 32, 32, 0, 0, NULL, "DHKEM(X25519, HKDF-SHA256)" },
};

struct vt_hpke_key {
    const kem_info *kem;
    EVP_PKEY *pk;      /* owned */
    bool has_priv;
    uint8_t pub[VT_HPKE_ENC_MAX];
    uint8_t sk[VT_HPKE_SK_MAX];
};

struct vt_hpke_ctx {
    vt_hpke_suite suite;
    vt_md md;       /* the suite's KDF */
    vt_aead aead;   /* 0 for export-only */
    bool sender;
    uint64_t seq;
    uint8_t key[VT_AEAD_KEY_MAX];
    uint8_t base_nonce[VT_AEAD_NONCE_LEN];
    uint8_t exporter_secret[NH_MAX];
};

static const kem_info *kem_find(uint16_t id)
{
    for (size_t i = 0; i < sizeof(kems) / sizeof(kems[0]); i++)
        if (kems[i].id == id)
            return &kems[i];
    return NULL;
}

static vt_md kdf_md(uint16_t kdf)
{
    switch (kdf) {
    case VT_HPKE_KDF_SHA256: return VT_MD_SHA256;
    case VT_HPKE_KDF_SHA384: return VT_MD_SHA384;
    case VT_HPKE_KDF_SHA512: return VT_MD_SHA512;
    }
    return (vt_md)0;
}

size_t vt_hpke_kem_pk_len(uint16_t kem)
{
    const kem_info *k = kem_find(kem);
    return k == NULL ? 0 : k->npk;
}

size_t vt_hpke_aead_key_len(uint16_t aead)
{
    return aead == VT_HPKE_AEAD_EXPORT_ONLY ? 0 : vt_aead_key_len((vt_aead)aead);
}

size_t vt_hpke_aead_nonce_len(uint16_t aead)
{
    return vt_hpke_aead_key_len(aead) == 0 ? 0 : VT_AEAD_NONCE_LEN;
}

bool vt_hpke_suite_ok(vt_hpke_suite s)
{
    return kem_find(s.kem) != NULL && vt_md_len(kdf_md(s.kdf)) != 0 &&
           (s.aead == VT_HPKE_AEAD_EXPORT_ONLY || vt_aead_key_len((vt_aead)s.aead) != 0);
}

/* ---- labeled KDF (§4) ---- */

static vt_status labeled_extract(uint8_t *out, vt_md md, const uint8_t *sid, size_t sid_len,
                                 const void *salt, size_t salt_len, const char *label, const void *ikm,
                                 size_t ikm_len, vt_err *err)
{
    const void *p[4] = { "HPKE-v1", sid, label, ikm };
    size_t len[4] = { 7, sid_len, strlen(label), ikm_len };

    return vt_hkdf_extractv(out, md, salt, salt_len, p, len, 4, err);
}

static vt_status labeled_expand(uint8_t *out, size_t L, vt_md md, const uint8_t *prk, const uint8_t *sid,
                                size_t sid_len, const char *label, const void *info, size_t info_len,
                                vt_err *err)
{
    uint8_t l2[2] = { (uint8_t)(L >> 8), (uint8_t)L };
    const void *p[5] = { l2, "HPKE-v1", sid, label, info };
    size_t len[5] = { 2, 7, sid_len, strlen(label), info_len };

    if (L > 0xffff)
        return vt_err_set(err, VT_E_ARG, "hpke: expand length %zu passes 65535", L);
    return vt_hkdf_expandv(out, L, md, prk, vt_md_len(md), p, len, 5, err);
}

static void kem_suite_id(uint8_t sid[5], const kem_info *k)
{
    sid[0] = 'K';
    sid[1] = 'E';
    sid[2] = 'M';
    sid[3] = (uint8_t)(k->id >> 8);
    sid[4] = (uint8_t)k->id;
}

/* ---- keys ---- */

static vt_status key_alloc(vt_hpke_key **out, uint16_t kem, vt_err *err)
{
    const kem_info *k = kem_find(kem);

    *out = NULL;
    if (k == NULL)
        return vt_err_set(err, VT_E_UNSUPPORTED, "hpke: kem_id 0x%04x unsupported", kem);
    *out = OPENSSL_zalloc(sizeof(**out));
    if (*out == NULL)
        return vt_err_set(err, VT_E_NOMEM, "hpke: out of memory");
    (*out)->kem = k;
    return VT_OK;
}

void vt_hpke_key_free(vt_hpke_key *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_free(k->pk);
    OPENSSL_clear_free(k, sizeof(*k));
}

uint16_t vt_hpke_key_kem(const vt_hpke_key *k)
{
    return k->kem->id;
}

bool vt_hpke_key_has_private(const vt_hpke_key *k)
{
    return k->has_priv;
}

const uint8_t *vt_hpke_key_public(const vt_hpke_key *k, size_t *len)
{
    *len = k->kem->npk;
    return k->pub;
}

vt_status vt_hpke_key_private(const vt_hpke_key *k, uint8_t *out, size_t *len, vt_err *err)
{
    *len = 0;
    if (!k->has_priv)
        return vt_err_set(err, VT_E_ARG, "hpke: key has no private half");
    memcpy(out, k->sk, k->kem->nsk);
    *len = k->kem->nsk;
    return VT_OK;
}

/* EC private scalar sk (nsk bytes, big-endian) to a key pair; VT_E_CRYPTO
 * when sk is 0 or not below the group order. */
static vt_status ec_from_private(vt_hpke_key *key, const uint8_t *sk, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const kem_info *k = key->kem;
    EC_GROUP *g = NULL;
    EC_POINT *pt = NULL;
    BIGNUM *d = NULL;
    BN_CTX *bn = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pctx = NULL;

    g = EC_GROUP_new_by_curve_name(k->nid);
    pt = g == NULL ? NULL : EC_POINT_new(g);
    d = BN_secure_new();
    bn = BN_CTX_secure_new();
    bld = OSSL_PARAM_BLD_new();
    if (g == NULL || pt == NULL || d == NULL || bn == NULL || bld == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "hpke: out of memory");
        goto out;
    }
    BN_set_flags(d, BN_FLG_CONSTTIME);
    if (BN_bin2bn(sk, (int)k->nsk, d) == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "hpke: out of memory");
        goto out;
    }
    if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0) {
        rc = vt_err_set(err, VT_E_CRYPTO, "hpke: private key out of range for %s", k->name);
        goto out;
    }
    if (EC_POINT_mul(g, pt, d, NULL, NULL, bn) != 1 ||
        EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, key->pub, k->npk, bn) != k->npk) {
        rc = vt_err_set(err, VT_E_CRYPTO, "hpke: public key computation failed");
        goto out;
    }
    if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, k->group, 0) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, key->pub, k->npk) != 1) {
        rc = vt_err_set(err, VT_E_NOMEM, "hpke: out of memory");
        goto out;
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (params == NULL || pctx == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "hpke: out of memory");
        goto out;
    }
    if (EVP_PKEY_fromdata_init(pctx) != 1 || EVP_PKEY_fromdata(pctx, &key->pk, EVP_PKEY_KEYPAIR, params) != 1) {
        rc = vt_err_set(err, VT_E_CRYPTO, "hpke: %s private key refused", k->name);
        goto out;
    }
    rc = VT_OK;
out:
    OSSL_PARAM_free(params); /* its secret part (from a secure BIGNUM) is freed with secure_clear_free */
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(pctx);
    BN_clear_free(d);
    BN_CTX_free(bn);
    EC_POINT_free(pt);
    EC_GROUP_free(g);
    return rc;
}

vt_status vt_hpke_key_from_private(vt_hpke_key **out, uint16_t kem, const uint8_t *sk, size_t sk_len,
                                   vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_hpke_key *key = NULL;
    size_t n;

    *out = NULL;
    rc = key_alloc(&key, kem, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    if (sk_len != key->kem->nsk) {
        rc = vt_err_set(err, VT_E_FORMAT, "hpke: %s private key is %zu bytes, want %zu", key->kem->name,
                        sk_len, key->kem->nsk);
        goto out;
    }
    if (key->kem->nid == 0) {
        key->pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, sk_len);
        n = key->kem->npk;
        if (key->pk == NULL || EVP_PKEY_get_raw_public_key(key->pk, key->pub, &n) != 1 || n != key->kem->npk) {
            rc = vt_err_set(err, VT_E_CRYPTO, "hpke: X25519 private key refused");
            goto out;
        }
    } else {
        rc = ec_from_private(key, sk, err);
        if (rc != VT_OK)
            goto out;
    }
    memcpy(key->sk, sk, sk_len);
    key->has_priv = true;
    *out = key;
    key = NULL;
    rc = VT_OK;
out:
    vt_hpke_key_free(key);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

vt_status vt_hpke_key_from_public(vt_hpke_key **out, uint16_t kem, const uint8_t *pk, size_t pk_len,
                                  vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_hpke_key *key = NULL;
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *pctx = NULL;

    *out = NULL;
    rc = key_alloc(&key, kem, err);
    if (rc != VT_OK)
        goto out;
    rc = VT_E_INTERNAL;
    if (pk_len != key->kem->npk) {
        rc = vt_err_set(err, VT_E_FORMAT, "hpke: %s public key is %zu bytes, want %zu", key->kem->name, pk_len,
                        key->kem->npk);
        goto out;
    }
    memcpy(key->pub, pk, pk_len);
    if (key->kem->nid == 0) {
        key->pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pk, pk_len);
        if (key->pk == NULL) {
            rc = vt_err_set(err, VT_E_NOMEM, "hpke: out of memory");
            goto out;
        }
    } else {
        if (pk[0] != 0x04) {
            rc = vt_err_set(err, VT_E_FORMAT, "hpke: %s public key is not an uncompressed point", key->kem->name);
            goto out;
        }
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)key->kem->group, 0);
        params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, key->pub, pk_len);
        params[2] = OSSL_PARAM_construct_end();
        pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        if (pctx == NULL) {
            rc = vt_err_set(err, VT_E_NOMEM, "hpke: out of memory");
            goto out;
        }
        /* Import decodes the point and refuses one not on the curve. */
        if (EVP_PKEY_fromdata_init(pctx) != 1 ||
            EVP_PKEY_fromdata(pctx, &key->pk, EVP_PKEY_PUBLIC_KEY, params) != 1) {
            rc = vt_err_set(err, VT_E_CRYPTO, "hpke: %s public key is not a point on the curve", key->kem->name);
            goto out;
        }
    }
    *out = key;
    key = NULL;
    rc = VT_OK;
out:
    EVP_PKEY_CTX_free(pctx);
    vt_hpke_key_free(key);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

/* DeriveKeyPair (§7.1.3). */
vt_status vt_hpke_key_derive(vt_hpke_key **out, uint16_t kem, const uint8_t *ikm, size_t ikm_len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const kem_info *k = kem_find(kem);
    uint8_t sid[5], prk[NH_MAX], sk[VT_HPKE_SK_MAX];
    vt_err tmp = { 0 };

    *out = NULL;
    if (k == NULL)
        return vt_err_set(err, VT_E_UNSUPPORTED, "hpke: kem_id 0x%04x unsupported", kem);
    if (ikm_len < k->nsk)
        return vt_err_set(err, VT_E_ARG, "hpke: ikm is %zu bytes, want at least %zu", ikm_len, k->nsk);
    kem_suite_id(sid, k);
    rc = labeled_extract(prk, k->md, sid, sizeof(sid), NULL, 0, "dkp_prk", ikm, ikm_len, err);
    if (rc != VT_OK)
        goto out;
    if (k->nid == 0) {
        rc = labeled_expand(sk, k->nsk, k->md, prk, sid, sizeof(sid), "sk", NULL, 0, err);
        if (rc == VT_OK)
            rc = vt_hpke_key_from_private(out, kem, sk, k->nsk, err);
        goto out;
    }
    /* Rejection sampling over candidates until one lies in [1, n-1]. */
    for (unsigned counter = 0; counter < 256; counter++) {
        uint8_t c = (uint8_t)counter;
        rc = labeled_expand(sk, k->nsk, k->md, prk, sid, sizeof(sid), "candidate", &c, 1, err);
        if (rc != VT_OK)
            goto out;
        sk[0] &= k->bitmask;
        rc = vt_hpke_key_from_private(out, kem, sk, k->nsk, &tmp);
        if (rc != VT_E_CRYPTO)
            break;
    }
    if (rc == VT_E_CRYPTO)
        rc = vt_err_set(err, VT_E_CRYPTO, "hpke: DeriveKeyPair found no valid candidate");
    else if (rc != VT_OK)
        rc = vt_err_set(err, rc, "%s", tmp.msg);
out:
    vt_wipe(prk, sizeof(prk));
    vt_wipe(sk, sizeof(sk));
    return rc;
}

vt_status vt_hpke_key_generate(vt_hpke_key **out, uint16_t kem, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const kem_info *k = kem_find(kem);
    uint8_t ikm[VT_HPKE_SK_MAX];

    *out = NULL;
    if (k == NULL)
        return vt_err_set(err, VT_E_UNSUPPORTED, "hpke: kem_id 0x%04x unsupported", kem);
    rc = vt_random(ikm, k->nsk, err);
    if (rc != VT_OK)
        goto out;
    /* Any 32 bytes are an X25519 private key; EC scalars go through DeriveKeyPair. */
    if (k->nid == 0)
        rc = vt_hpke_key_from_private(out, kem, ikm, k->nsk, err);
    else
        rc = vt_hpke_key_derive(out, kem, ikm, k->nsk, err);
out:
    vt_wipe(ikm, sizeof(ikm));
    return rc;
}

/* ---- DHKEM (§4.1) ---- */

/* DH(sk, pk) into dh[0..nsk); fails for an all-zero X25519 output. */
static vt_status dh(uint8_t *out, const vt_hpke_key *sk, const vt_hpke_key *pk, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    EVP_PKEY_CTX *ctx = NULL;
    size_t n = sk->kem->nsk;

    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sk->pk, NULL);
    if (ctx == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "hpke: out of memory");
        goto out;
    }
    /* OpenSSL refuses the all-zero X25519 result (§7.1.4) and pads ECDH to the field size. */
    if (EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, pk->pk) != 1 ||
        EVP_PKEY_derive(ctx, out, &n) != 1 || n != sk->kem->nsk) {
        rc = vt_err_set(err, VT_E_CRYPTO, "hpke: %s Diffie-Hellman failed", sk->kem->name);
        goto out;
    }
    rc = VT_OK;
out:
    EVP_PKEY_CTX_free(ctx);
    if (rc != VT_OK) {
        vt_wipe(out, sk->kem->nsk);
        ERR_clear_error();
    }
    return rc;
}

/* shared_secret = ExtractAndExpand(dh, enc || pkR [|| pkS]) */
static vt_status extract_and_expand(uint8_t *shared, const kem_info *k, const uint8_t *dhv, size_t dh_len,
                                    const uint8_t *enc, const vt_hpke_key *pkR, const vt_hpke_key *pkS,
                                    vt_err *err)
{
    vt_status rc;
    uint8_t sid[5], prk[NH_MAX], kc[3 * VT_HPKE_ENC_MAX];
    size_t kc_len = 0;

    kem_suite_id(sid, k);
    memcpy(kc, enc, k->npk);
    memcpy(kc + k->npk, pkR->pub, k->npk);
    kc_len = 2 * k->npk;
    if (pkS != NULL) {
        memcpy(kc + kc_len, pkS->pub, k->npk);
        kc_len += k->npk;
    }
    rc = labeled_extract(prk, k->md, sid, sizeof(sid), NULL, 0, "eae_prk", dhv, dh_len, err);
    if (rc == VT_OK)
        rc = labeled_expand(shared, k->nsecret, k->md, prk, sid, sizeof(sid), "shared_secret", kc, kc_len, err);
    vt_wipe(prk, sizeof(prk));
    return rc;
}

/* ---- key schedule (§5.1) ---- */

static vt_status check_params(const vt_hpke_params *p, const kem_info *k, bool sender, vt_err *err)
{
    bool psk_mode = p->mode == VT_HPKE_MODE_PSK || p->mode == VT_HPKE_MODE_AUTH_PSK;
    bool auth_mode = p->mode == VT_HPKE_MODE_AUTH || p->mode == VT_HPKE_MODE_AUTH_PSK;

    if (p->mode > VT_HPKE_MODE_AUTH_PSK)
        return vt_err_set(err, VT_E_ARG, "hpke: mode %u unknown", p->mode);
    if ((p->psk_len > 0) != (p->psk_id_len > 0))
        return vt_err_set(err, VT_E_ARG, "hpke: psk and psk_id must be given together");
    if (psk_mode != (p->psk_len > 0))
        return vt_err_set(err, VT_E_ARG, "hpke: psk %s in mode %u", psk_mode ? "missing" : "given", p->mode);
    if (psk_mode && p->psk_len < VT_HPKE_PSK_MIN)
        return vt_err_set(err, VT_E_ARG, "hpke: psk is %zu bytes, want at least %d", p->psk_len, VT_HPKE_PSK_MIN);
    if (auth_mode != (p->auth != NULL))
        return vt_err_set(err, VT_E_ARG, "hpke: sender key %s in mode %u", auth_mode ? "missing" : "given",
                          p->mode);
    if (p->auth != NULL && p->auth->kem != k)
        return vt_err_set(err, VT_E_ARG, "hpke: sender key is for another KEM");
    if (p->auth != NULL && sender && !p->auth->has_priv)
        return vt_err_set(err, VT_E_ARG, "hpke: sender key has no private half");
    return VT_OK;
}

static vt_status key_schedule(vt_hpke_ctx **out, vt_hpke_suite s, bool sender, const vt_hpke_params *p,
                              const uint8_t *shared, size_t shared_len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_hpke_ctx *c = NULL;
    uint8_t sid[10] = { 'H', 'P', 'K', 'E', (uint8_t)(s.kem >> 8), (uint8_t)s.kem, (uint8_t)(s.kdf >> 8),
                        (uint8_t)s.kdf, (uint8_t)(s.aead >> 8), (uint8_t)s.aead };
    uint8_t ksc[1 + 2 * NH_MAX], secret[NH_MAX];
    vt_md md = kdf_md(s.kdf);
    size_t nh = vt_md_len(md), nk = vt_hpke_aead_key_len(s.aead);

    *out = NULL;
    c = OPENSSL_zalloc(sizeof(*c));
    if (c == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "hpke: out of memory");
        goto out;
    }
    c->suite = s;
    c->md = md;
    c->aead = s.aead == VT_HPKE_AEAD_EXPORT_ONLY ? (vt_aead)0 : (vt_aead)s.aead;
    c->sender = sender;
    ksc[0] = p->mode;
    rc = labeled_extract(ksc + 1, md, sid, sizeof(sid), NULL, 0, "psk_id_hash", p->psk_id, p->psk_id_len, err);
    if (rc == VT_OK)
        rc = labeled_extract(ksc + 1 + nh, md, sid, sizeof(sid), NULL, 0, "info_hash", p->info, p->info_len, err);
    if (rc == VT_OK)
        rc = labeled_extract(secret, md, sid, sizeof(sid), shared, shared_len, "secret", p->psk, p->psk_len, err);
    if (rc == VT_OK && nk > 0)
        rc = labeled_expand(c->key, nk, md, secret, sid, sizeof(sid), "key", ksc, 1 + 2 * nh, err);
    if (rc == VT_OK && nk > 0)
        rc = labeled_expand(c->base_nonce, VT_AEAD_NONCE_LEN, md, secret, sid, sizeof(sid), "base_nonce", ksc,
                            1 + 2 * nh, err);
    if (rc == VT_OK)
        rc = labeled_expand(c->exporter_secret, nh, md, secret, sid, sizeof(sid), "exp", ksc, 1 + 2 * nh, err);
    if (rc != VT_OK)
        goto out;
    *out = c;
    c = NULL;
out:
    vt_wipe(secret, sizeof(secret));
    vt_hpke_ctx_free(c);
    return rc;
}

static vt_status setup_check(const kem_info **k, vt_hpke_suite s, const vt_hpke_key *key,
                             const vt_hpke_params *p, bool sender, vt_err *err)
{
    if (!vt_hpke_suite_ok(s))
        return vt_err_set(err, VT_E_UNSUPPORTED, "hpke: suite 0x%04x/0x%04x/0x%04x unsupported", s.kem, s.kdf,
                          s.aead);
    *k = kem_find(s.kem);
    if (key->kem != *k)
        return vt_err_set(err, VT_E_ARG, "hpke: %s key for a %s suite", key->kem->name, (*k)->name);
    if (!sender && !key->has_priv)
        return vt_err_set(err, VT_E_ARG, "hpke: recipient key has no private half");
    return check_params(p, *k, sender, err);
}

vt_status vt_hpke_setup_sender(vt_hpke_ctx **out, uint8_t enc[VT_HPKE_ENC_MAX], size_t *enc_len,
                               vt_hpke_suite suite, const vt_hpke_key *pkR, const vt_hpke_params *p,
                               const vt_hpke_key *eph, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const kem_info *k = NULL;
    vt_hpke_key *fresh = NULL;
    uint8_t dhv[2 * DH_MAX], shared[NH_MAX];
    size_t dh_len;

    *out = NULL;
    *enc_len = 0;
    rc = setup_check(&k, suite, pkR, p, true, err);
    if (rc != VT_OK)
        goto out;
    if (eph == NULL) {
        rc = vt_hpke_key_generate(&fresh, suite.kem, err);
        if (rc != VT_OK)
            goto out;
        eph = fresh;
    } else if (eph->kem != k || !eph->has_priv) {
        rc = vt_err_set(err, VT_E_ARG, "hpke: ephemeral key unusable for %s", k->name);
        goto out;
    }
    rc = dh(dhv, eph, pkR, err);
    dh_len = k->nsk;
    if (rc == VT_OK && p->auth != NULL) {
        rc = dh(dhv + dh_len, p->auth, pkR, err);
        dh_len += k->nsk;
    }
    if (rc == VT_OK)
        rc = extract_and_expand(shared, k, dhv, dh_len, eph->pub, pkR, p->auth, err);
    if (rc == VT_OK)
        rc = key_schedule(out, suite, true, p, shared, k->nsecret, err);
    if (rc != VT_OK)
        goto out;
    memcpy(enc, eph->pub, k->npk);
    *enc_len = k->npk;
out:
    vt_wipe(dhv, sizeof(dhv));
    vt_wipe(shared, sizeof(shared));
    vt_hpke_key_free(fresh);
    return rc;
}

vt_status vt_hpke_setup_recipient(vt_hpke_ctx **out, vt_hpke_suite suite, const vt_hpke_key *skR,
                                  const uint8_t *enc, size_t enc_len, const vt_hpke_params *p, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const kem_info *k = NULL;
    vt_hpke_key *pkE = NULL;
    uint8_t dhv[2 * DH_MAX], shared[NH_MAX];
    size_t dh_len;

    *out = NULL;
    rc = setup_check(&k, suite, skR, p, false, err);
    if (rc != VT_OK)
        goto out;
    if (enc_len != k->npk) {
        rc = vt_err_set(err, VT_E_FORMAT, "hpke: enc is %zu bytes, want %zu", enc_len, k->npk);
        goto out;
    }
    rc = vt_hpke_key_from_public(&pkE, suite.kem, enc, enc_len, err);
    if (rc == VT_OK)
        rc = dh(dhv, skR, pkE, err);
    dh_len = k->nsk;
    if (rc == VT_OK && p->auth != NULL) {
        rc = dh(dhv + dh_len, skR, p->auth, err);
        dh_len += k->nsk;
    }
    if (rc == VT_OK)
        rc = extract_and_expand(shared, k, dhv, dh_len, enc, skR, p->auth, err);
    if (rc == VT_OK)
        rc = key_schedule(out, suite, false, p, shared, k->nsecret, err);
out:
    vt_wipe(dhv, sizeof(dhv));
    vt_wipe(shared, sizeof(shared));
    vt_hpke_key_free(pkE);
    return rc;
}

/* ---- encryption context (§5.2, §5.3) ---- */

static vt_status ctx_nonce(uint8_t nonce[VT_AEAD_NONCE_LEN], const vt_hpke_ctx *c, vt_err *err)
{
    /* The sequence number is 64 bits here, far below Nn bits; refuse to wrap. */
    if (c->seq == UINT64_MAX)
        return vt_err_set(err, VT_E_LIMIT, "hpke: message limit reached");
    memcpy(nonce, c->base_nonce, VT_AEAD_NONCE_LEN);
    for (int i = 0; i < 8; i++)
        nonce[VT_AEAD_NONCE_LEN - 1 - i] ^= (uint8_t)(c->seq >> (8 * i));
    return VT_OK;
}

vt_status vt_hpke_seal(vt_hpke_ctx *c, vt_buf *out, const void *aad, size_t aad_len, const uint8_t *pt,
                       size_t pt_len, vt_err *err)
{
    vt_status rc;
    uint8_t nonce[VT_AEAD_NONCE_LEN];

    if (!c->sender)
        return vt_err_set(err, VT_E_ARG, "hpke: seal on a recipient context");
    if (c->aead == 0)
        return vt_err_set(err, VT_E_UNSUPPORTED, "hpke: seal in an export-only suite");
    if (pt_len > SIZE_MAX - VT_AEAD_TAG_LEN)
        return vt_err_set(err, VT_E_LIMIT, "hpke: plaintext too large");
    rc = ctx_nonce(nonce, c, err);
    if (rc == VT_OK)
        rc = vt_buf_reserve(out, pt_len + VT_AEAD_TAG_LEN, err);
    if (rc == VT_OK)
        rc = vt_aead_seal(out->data + out->len, c->aead, c->key, nonce, aad, aad_len, pt, pt_len, err);
    if (rc == VT_OK) {
        out->len += pt_len + VT_AEAD_TAG_LEN;
        c->seq++;
    }
    return rc;
}

vt_status vt_hpke_open(vt_hpke_ctx *c, vt_buf *out, const void *aad, size_t aad_len, const uint8_t *ct,
                       size_t ct_len, vt_err *err)
{
    vt_status rc;
    uint8_t nonce[VT_AEAD_NONCE_LEN];

    if (c->sender)
        return vt_err_set(err, VT_E_ARG, "hpke: open on a sender context");
    if (c->aead == 0)
        return vt_err_set(err, VT_E_UNSUPPORTED, "hpke: open in an export-only suite");
    if (ct_len < VT_AEAD_TAG_LEN)
        return vt_err_set(err, VT_E_FORMAT, "hpke: %zu-byte ciphertext shorter than its tag", ct_len);
    rc = ctx_nonce(nonce, c, err);
    if (rc == VT_OK)
        rc = vt_buf_reserve(out, ct_len - VT_AEAD_TAG_LEN, err);
    if (rc == VT_OK)
        rc = vt_aead_open(out->data + out->len, c->aead, c->key, nonce, aad, aad_len, ct, ct_len, err);
    if (rc == VT_OK) {
        out->len += ct_len - VT_AEAD_TAG_LEN;
        c->seq++;
    }
    return rc;
}

vt_status vt_hpke_export(const vt_hpke_ctx *c, uint8_t *out, size_t L, const void *exporter_context,
                         size_t ctx_len, vt_err *err)
{
    uint8_t sid[10] = { 'H', 'P', 'K', 'E', (uint8_t)(c->suite.kem >> 8), (uint8_t)c->suite.kem,
                        (uint8_t)(c->suite.kdf >> 8), (uint8_t)c->suite.kdf, (uint8_t)(c->suite.aead >> 8),
                        (uint8_t)c->suite.aead };

    if (L > 255 * vt_md_len(c->md))
        return vt_err_set(err, VT_E_ARG, "hpke: export length %zu passes 255 * Nh", L);
    return labeled_expand(out, L, c->md, c->exporter_secret, sid, sizeof(sid), "sec", exporter_context, ctx_len,
                          err);
}

vt_hpke_suite vt_hpke_ctx_suite(const vt_hpke_ctx *c)
{
    return c->suite;
}

void vt_hpke_ctx_free(vt_hpke_ctx *c)
{
    if (c != NULL)
        OPENSSL_clear_free(c, sizeof(*c));
}
