/* Public and private keys: a refcounted wrapper around an EVP_PKEY. */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto_int.h"

#define PKEY_PEM_MAX (64u * 1024u)
#define EC_RAW_MAX 132 /* X||Y of a P-521 point */
#define CTX_POOL 4 /* idle contexts kept per key and use: about the threads that sign at once */

/* A value derived from the key, kept once computed (a key never changes, so it is a cache,
 * not part of the key's value, and is filled through a const key).  KEPT_NONE ->
 * KEPT_FILLING (one thread writes) -> KEPT_READY (release; readers acquire); the others
 * compute it themselves meanwhile. */
struct kept {
    atomic_int state;
    size_t len;
    uint8_t v[EC_RAW_MAX];
};

enum { KEPT_NONE, KEPT_FILLING, KEPT_READY };

enum { USE_SIGN, USE_VERIFY, USE_COUNT }; /* what a pooled context was initialised for */

struct vt_pkey {
    EVP_PKEY *pk;     /* owned; freed with the last reference */
    vt_key_type type; /* VT_KEY_NONE for key types we do not use */
    atomic_int refs;
    /* The raw public key (vt_pkey_public_raw): OpenSSL 3 rebuilds an EC point's affine
     * coordinates through its parameter API on every call, which made the receipt's key
     * thumbprint cost as much as its signature.  And the JWK thumbprint (jwk.c). */
    struct kept pub, thumb;
    /* vt__pkey_ctx_take: idle initialised contexts, per use */
    pthread_mutex_t ctx_mu;
    EVP_PKEY_CTX *ctx[USE_COUNT][CTX_POOL];
    unsigned nctx[USE_COUNT];
};

/* Is the value there (c->v, c->len)? */
static bool kept_ready(const struct kept *c)
{
    return atomic_load_explicit(&((struct kept *)c)->state, memory_order_acquire) == KEPT_READY;
}

static void kept_put(const struct kept *cc, const void *v, size_t len)
{
    struct kept *c = (struct kept *)cc;
    int none = KEPT_NONE;

    if (len <= sizeof(c->v) && atomic_compare_exchange_strong(&c->state, &none, KEPT_FILLING)) {
        memcpy(c->v, v, len);
        c->len = len;
        atomic_store_explicit(&c->state, KEPT_READY, memory_order_release);
    }
}

static vt_key_type pkey_kind(EVP_PKEY *pk)
{
    char group[64];
    size_t glen = 0;

    if (EVP_PKEY_is_a(pk, "EC")) {
        if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                           &glen) != 1) {
            ERR_clear_error();
            return VT_KEY_NONE; /* explicit curve parameters: refused */
        }
        if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
            return VT_KEY_EC_P256;
        if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
            return VT_KEY_EC_P384;
        if (strcmp(group, "secp521r1") == 0 || strcmp(group, "P-521") == 0)
            return VT_KEY_EC_P521;
        return VT_KEY_NONE;
    }
    if (EVP_PKEY_is_a(pk, "ED25519"))
        return VT_KEY_ED25519;
    if (EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS"))
        return VT_KEY_RSA;
    return VT_KEY_NONE;
}

static const char *key_type_name(vt_key_type t)
{
    switch (t) {
    case VT_KEY_EC_P256: return "P-256";
    case VT_KEY_EC_P384: return "P-384";
    case VT_KEY_EC_P521: return "P-521";
    case VT_KEY_ED25519: return "Ed25519";
    case VT_KEY_RSA: return "RSA";
    case VT_KEY_NONE: break;
    }
    return "unknown";
}

EVP_PKEY *vt__pkey_get(const vt_pkey *k)
{
    return k == NULL ? NULL : k->pk;
}

vt_pkey *vt__pkey_wrap(EVP_PKEY *pk)
{
    vt_pkey *k;

    if (pk == NULL)
        return NULL;
    k = calloc(1, sizeof(*k));
    if (k == NULL) {
        EVP_PKEY_free(pk);
        return NULL;
    }
    k->pk = pk;
    k->type = pkey_kind(pk);
    atomic_init(&k->refs, 1);
    pthread_mutex_init(&k->ctx_mu, NULL);
    return k;
}

bool vt__pkey_thumb_cached(const vt_pkey *k, char out[44])
{
    if (k == NULL || !kept_ready(&k->thumb))
        return false;
    memcpy(out, k->thumb.v, 44);
    return true;
}

void vt__pkey_thumb_keep(const vt_pkey *k, const char thumb[44])
{
    if (k != NULL)
        kept_put(&k->thumb, thumb, 44);
}

EVP_PKEY_CTX *vt__pkey_ctx_take(const vt_pkey *kc, bool sign)
{
    vt_pkey *k = (vt_pkey *)kc; /* the pool is a cache: the key itself does not change */
    int u = sign ? USE_SIGN : USE_VERIFY;
    EVP_PKEY_CTX *c = NULL;

    pthread_mutex_lock(&k->ctx_mu);
    if (k->nctx[u] > 0)
        c = k->ctx[u][--k->nctx[u]];
    pthread_mutex_unlock(&k->ctx_mu);
    if (c != NULL)
        return c;
    c = EVP_PKEY_CTX_new_from_pkey(NULL, k->pk, NULL);
    if (c != NULL && (sign ? EVP_PKEY_sign_init(c) : EVP_PKEY_verify_init(c)) != 1) {
        EVP_PKEY_CTX_free(c);
        c = NULL;
    }
    return c;
}

void vt__pkey_ctx_give(const vt_pkey *kc, EVP_PKEY_CTX *c, bool sign, bool ok)
{
    vt_pkey *k = (vt_pkey *)kc;
    int u = sign ? USE_SIGN : USE_VERIFY;

    if (c == NULL)
        return;
    if (ok) {
        pthread_mutex_lock(&k->ctx_mu);
        if (k->nctx[u] < CTX_POOL) {
            k->ctx[u][k->nctx[u]++] = c;
            c = NULL;
        }
        pthread_mutex_unlock(&k->ctx_mu);
    }
    EVP_PKEY_CTX_free(c);
}

vt_key_type vt_pkey_type(const vt_pkey *k)
{
    return k == NULL ? VT_KEY_NONE : k->type;
}

vt_pkey *vt_pkey_ref(vt_pkey *k)
{
    if (k != NULL)
        atomic_fetch_add(&k->refs, 1);
    return k;
}

void vt_pkey_free(vt_pkey *k)
{
    if (k == NULL)
        return;
    if (atomic_fetch_sub(&k->refs, 1) != 1)
        return;
    for (int u = 0; u < USE_COUNT; u++)
        while (k->nctx[u] > 0)
            EVP_PKEY_CTX_free(k->ctx[u][--k->nctx[u]]);
    pthread_mutex_destroy(&k->ctx_mu);
    EVP_PKEY_free(k->pk); /* OpenSSL clears private key material on free */
    free(k);
}

vt_status vt_pkey_from_ed25519_raw(vt_pkey **out, const uint8_t key[32], bool priv, vt_err *err)
{
    EVP_PKEY *pk;

    *out = NULL;
    pk = priv ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, key, 32)
              : EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key, 32);
    if (pk == NULL) {
        ERR_clear_error();
        return vt_err_set(err, VT_E_CRYPTO, "pkey: Ed25519 %s key rejected", priv ? "private" : "public");
    }
    *out = vt__pkey_wrap(pk);
    return *out != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "pkey: out of memory");
}

vt_status vt_pkey_generate(vt_pkey **out, vt_key_type type, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    EVP_PKEY *pk = NULL;

    *out = NULL;
    switch (type) {
    case VT_KEY_EC_P256: pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); break;
    case VT_KEY_EC_P384: pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"); break;
    case VT_KEY_EC_P521: pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"); break;
    case VT_KEY_ED25519: pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
    case VT_KEY_RSA: pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072); break;
    case VT_KEY_NONE:
    default:
        rc = vt_err_set(err, VT_E_ARG, "pkey: type %d cannot be generated", (int)type);
        goto out;
    }
    if (pk == NULL) {
        vt_err_set(err, rc, "pkey: %s key generation failed", key_type_name(type));
        goto out;
    }
    *out = vt__pkey_wrap(pk);
    pk = NULL; /* owned by the wrapper, or freed by it */
    if (*out == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "pkey: out of memory");
        goto out;
    }
    rc = VT_OK;
out:
    EVP_PKEY_free(pk);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

/* A public key of algorithm alg from params: VT_E_CRYPTO when OpenSSL refuses it (the caller
 * words the error), VT_E_NOMEM when it runs out. */
static vt_status import_public(vt_pkey **out, const char *alg, OSSL_PARAM *params, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
    EVP_PKEY *pk = NULL;

    if (ctx == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "pkey: out of memory");
        goto out;
    }
    if (EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        rc = VT_E_CRYPTO;
        goto out;
    }
    *out = vt__pkey_wrap(pk);
    pk = NULL;
    rc = *out != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "pkey: out of memory");
out:
    EVP_PKEY_free(pk);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

/* ---- imported EC public keys, kept by their bytes ----
 * OpenSSL 3 builds a new EC group for every imported point (≈17 µs for P-256, about as much
 * as the ECDSA verify the key is imported for), and the keys a verifier meets repeat: a
 * platform's attestation key in every quote, an attester's enclave key at every
 * re-attestation and again in its passport.  The last keys imported are kept in a small
 * direct-mapped table and shared (a vt_pkey never changes and is reference counted), which
 * also keeps their pooled verify contexts.  Public values only, compared in full; a key that
 * maps to a taken slot replaces it, so the table stays IMPORT_SLOTS keys whatever comes in. */
#define IMPORT_SLOTS 64

struct imported {
    vt_key_type type;
    uint8_t xy[EC_RAW_MAX];
    vt_pkey *k; /* one reference, the table's */
};

static struct imported import_tab[IMPORT_SLOTS];
static pthread_mutex_t import_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t import_slot(const uint8_t *xy, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a over the point: spread, not secret */

    for (size_t i = 0; i < len; i++)
        h = (h ^ xy[i]) * 16777619u;
    return h % IMPORT_SLOTS;
}

static vt_pkey *import_find(vt_key_type type, const uint8_t *xy, size_t len)
{
    struct imported *e = &import_tab[import_slot(xy, len)];
    vt_pkey *k = NULL;

    pthread_mutex_lock(&import_mu);
    if (e->k != NULL && e->type == type && CRYPTO_memcmp(e->xy, xy, len) == 0)
        k = vt_pkey_ref(e->k);
    pthread_mutex_unlock(&import_mu);
    return k;
}

static void import_keep(vt_pkey *k, vt_key_type type, const uint8_t *xy, size_t len)
{
    struct imported *e = &import_tab[import_slot(xy, len)];
    vt_pkey *old;

    pthread_mutex_lock(&import_mu);
    old = e->k;
    e->type = type;
    memcpy(e->xy, xy, len);
    e->k = vt_pkey_ref(k);
    pthread_mutex_unlock(&import_mu);
    vt_pkey_free(old);
}

vt_status vt_pkey_from_ec_raw(vt_pkey **out, vt_key_type type, const uint8_t *xy, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    uint8_t pt[1 + EC_RAW_MAX];
    const char *group;
    size_t want;
    OSSL_PARAM params[3];

    *out = NULL;
    if (type == VT_KEY_EC_P256) {
        group = "prime256v1";
        want = 64;
    } else if (type == VT_KEY_EC_P384) {
        group = "secp384r1";
        want = 96;
    } else if (type == VT_KEY_EC_P521) {
        group = "secp521r1";
        want = 132;
    } else {
        rc = vt_err_set(err, VT_E_ARG, "pkey: raw key type %s is not an EC curve", key_type_name(type));
        goto out;
    }
    if (len != want) {
        rc = vt_err_set(err, VT_E_FORMAT, "pkey: raw %s public key is %zu bytes, want %zu",
                        key_type_name(type), len, want);
        goto out;
    }
    if ((*out = import_find(type, xy, len)) != NULL)
        return VT_OK;
    pt[0] = 0x04; /* uncompressed point */
    memcpy(pt + 1, xy, len);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + len);
    params[2] = OSSL_PARAM_construct_end();
    /* Import decodes the point and refuses one that is not on the curve. */
    rc = import_public(out, "EC", params, err);
    if (rc == VT_OK)
        import_keep(*out, type, xy, len);
    if (rc == VT_E_CRYPTO)
        rc = vt_err_set(err, VT_E_CRYPTO, "pkey: raw %s public key is not a point on the curve",
                        key_type_name(type));
out:
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

#define RSA_RAW_MIN_BITS 2048
#define RSA_RAW_MAX_BYTES 1024 /* 8192 bits */

vt_status vt_pkey_from_rsa_raw(vt_pkey **out, const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                               vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    BIGNUM *bn = NULL, *be = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;

    *out = NULL;
    if (n == NULL || e == NULL || n_len == 0 || e_len == 0 || n_len > RSA_RAW_MAX_BYTES || e_len > 8) {
        rc = vt_err_set(err, VT_E_FORMAT, "pkey: RSA modulus or exponent length out of range");
        goto out;
    }
    bn = BN_bin2bn(n, (int)n_len, NULL);
    be = BN_bin2bn(e, (int)e_len, NULL);
    if (bn == NULL || be == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "pkey: out of memory");
        goto out;
    }
    if (BN_num_bits(bn) < RSA_RAW_MIN_BITS || !BN_is_odd(be) || BN_is_one(be)) {
        rc = vt_err_set(err, VT_E_FORMAT, "pkey: RSA modulus under %d bits or exponent not odd above 1",
                        RSA_RAW_MIN_BITS);
        goto out;
    }
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1) {
        rc = vt_err_set(err, VT_E_NOMEM, "pkey: out of memory");
        goto out;
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    if (params == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "pkey: out of memory");
        goto out;
    }
    rc = import_public(out, "RSA", params, err);
    if (rc == VT_E_CRYPTO)
        rc = vt_err_set(err, VT_E_CRYPTO, "pkey: RSA public key does not import");
out:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

vt_status vt_pkey_rsa_public_raw(vt_buf *n_out, vt_buf *e_out, const vt_pkey *k, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    BIGNUM *bn = NULL, *be = NULL;
    size_t n0, e0;

    if (n_out == NULL || e_out == NULL || k == NULL || vt_pkey_type(k) != VT_KEY_RSA)
        return vt_err_set(err, VT_E_ARG, "pkey: not an RSA key");
    n0 = n_out->len;
    e0 = e_out->len;
    if (EVP_PKEY_get_bn_param(vt__pkey_get(k), OSSL_PKEY_PARAM_RSA_N, &bn) != 1 ||
        EVP_PKEY_get_bn_param(vt__pkey_get(k), OSSL_PKEY_PARAM_RSA_E, &be) != 1) {
        rc = vt_err_set(err, VT_E_CRYPTO, "pkey: RSA modulus or exponent unreadable");
        goto out;
    }
    rc = vt_buf_reserve(n_out, (size_t)BN_num_bytes(bn), err);
    if (rc == VT_OK)
        rc = vt_buf_reserve(e_out, (size_t)BN_num_bytes(be), err);
    if (rc != VT_OK)
        goto out;
    n_out->len += (size_t)BN_bn2bin(bn, n_out->data + n0);
    e_out->len += (size_t)BN_bn2bin(be, e_out->data + e0);
    rc = VT_OK;
out:
    BN_free(bn);
    BN_free(be);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

vt_status vt_pkey_spki_sha256(uint8_t out[32], const vt_pkey *k, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    unsigned char *der = NULL;
    int len;

    memset(out, 0, 32);
    if (k == NULL)
        return vt_err_set(err, VT_E_ARG, "pkey: no key");
    len = i2d_PUBKEY(k->pk, &der);
    if (len <= 0) {
        ERR_clear_error();
        return vt_err_set(err, VT_E_CRYPTO, "pkey: public key does not encode as SubjectPublicKeyInfo");
    }
    rc = vt_digest(VT_MD_SHA256, der, (size_t)len, out, err);
    OPENSSL_free(der);
    return rc;
}

/* Never prompts for a passphrase: encrypted keys are refused. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

vt_status vt_pkey_from_pem(vt_pkey **out, const char *pem, size_t len, vt_err *err)
{
    static const char priv_tag[] = "PRIVATE KEY-----";
    vt_status rc = VT_E_INTERNAL;
    BIO *bio = NULL;
    EVP_PKEY *pk = NULL;
    vt_pkey *k = NULL;
    bool priv;

    *out = NULL;
    if (len > 0 && pem[len - 1] == '\0')
        len--;
    if (len > PKEY_PEM_MAX) {
        rc = vt_err_set(err, VT_E_LIMIT, "pkey: pem of %zu bytes exceeds %u", len, PKEY_PEM_MAX);
        goto out;
    }
    priv = memmem(pem, len, priv_tag, sizeof(priv_tag) - 1) != NULL;
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "pkey: out of memory");
        goto out;
    }
    if (priv)
        pk = PEM_read_bio_PrivateKey_ex(bio, NULL, no_passphrase, NULL, NULL, NULL);
    else
        pk = PEM_read_bio_PUBKEY_ex(bio, NULL, no_passphrase, NULL, NULL, NULL);
    if (pk == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "pkey: pem holds no readable %s key (encrypted keys are refused)",
                        priv ? "private" : "public");
        goto out;
    }
    k = vt__pkey_wrap(pk);
    pk = NULL;
    if (k == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "pkey: out of memory");
        goto out;
    }
    if (k->type == VT_KEY_NONE) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "pkey: key type %s is not supported",
                        EVP_PKEY_get0_type_name(k->pk) != NULL ? EVP_PKEY_get0_type_name(k->pk) : "?");
        goto out;
    }
    *out = k;
    k = NULL;
    rc = VT_OK;
out:
    vt_pkey_free(k);
    EVP_PKEY_free(pk);
    BIO_free(bio);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

vt_status vt_pkey_to_pem(vt_buf *out, const vt_pkey *k, bool priv, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    BIO *bio = NULL;
    char *data = NULL;
    long n;
    int ok;

    if (k == NULL) {
        rc = vt_err_set(err, VT_E_ARG, "pkey: no key");
        goto out;
    }
    /* The secure-memory BIO wipes its buffer when freed. */
    bio = BIO_new(priv ? BIO_s_secmem() : BIO_s_mem());
    if (bio == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "pkey: out of memory");
        goto out;
    }
    if (priv)
        ok = PEM_write_bio_PKCS8PrivateKey(bio, k->pk, NULL, NULL, 0, NULL, NULL);
    else
        ok = PEM_write_bio_PUBKEY(bio, k->pk);
    if (ok != 1) {
        rc = vt_err_set(err, priv ? VT_E_ARG : VT_E_INTERNAL, "pkey: %s key cannot be written as PEM%s",
                        priv ? "private" : "public", priv ? " (no private part?)" : "");
        goto out;
    }
    n = BIO_get_mem_data(bio, &data);
    if (n <= 0 || data == NULL) {
        vt_err_set(err, rc, "pkey: PEM writer produced nothing");
        goto out;
    }
    rc = vt_buf_append(out, data, (size_t)n, err);
out:
    BIO_free(bio);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

vt_status vt_pkey_public_raw(vt_buf *out, const vt_pkey *k, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    BIGNUM *x = NULL, *y = NULL;
    uint8_t raw[EC_RAW_MAX];
    size_t half, rlen = 0;

    if (k == NULL) {
        rc = vt_err_set(err, VT_E_ARG, "pkey: no key");
        goto out;
    }
    if (kept_ready(&k->pub))
        return vt_buf_append(out, k->pub.v, k->pub.len, err);
    switch (k->type) {
    case VT_KEY_EC_P256:
    case VT_KEY_EC_P384:
    case VT_KEY_EC_P521:
        half = k->type == VT_KEY_EC_P256 ? 32 : k->type == VT_KEY_EC_P384 ? 48 : 66;
        if (EVP_PKEY_get_bn_param(k->pk, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
            EVP_PKEY_get_bn_param(k->pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1 ||
            BN_bn2binpad(x, raw, (int)half) != (int)half ||
            BN_bn2binpad(y, raw + half, (int)half) != (int)half) {
            vt_err_set(err, rc, "pkey: EC public point unavailable");
            goto out;
        }
        rlen = 2 * half;
        break;
    case VT_KEY_ED25519:
        rlen = 32;
        if (EVP_PKEY_get_raw_public_key(k->pk, raw, &rlen) != 1 || rlen != 32) {
            vt_err_set(err, rc, "pkey: Ed25519 public key unavailable");
            goto out;
        }
        break;
    case VT_KEY_RSA:
    case VT_KEY_NONE:
    default:
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "pkey: %s key has no raw public form", key_type_name(k->type));
        goto out;
    }
    kept_put(&k->pub, raw, rlen);
    rc = vt_buf_append(out, raw, rlen, err);
out:
    BN_free(x);
    BN_free(y);
    if (rc != VT_OK)
        ERR_clear_error();
    return rc;
}

vt_status vt_pkey_load_or_create(vt_pkey **out, const char *path, vt_key_type type, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf pem;

    *out = NULL;
    vt_buf_init(&pem);
    if (access(path, F_OK) == 0) {
        rc = vt_file_read_private(&pem, path, 64 << 10, err);
        if (rc == VT_OK)
            rc = vt_pkey_from_pem(out, (const char *)pem.data, pem.len, err);
        if (rc == VT_OK && vt_pkey_type(*out) != type)
            rc = vt_err_set(err, VT_E_ARG, "pkey: %s is not a %s key", path, key_type_name(type));
    } else {
        rc = vt_pkey_generate(out, type, err);
        if (rc == VT_OK)
            rc = vt_pkey_to_pem(&pem, *out, true, err);
        if (rc == VT_OK)
            rc = vt_file_write(path, pem.data, pem.len, 0600, err);
    }
    if (rc != VT_OK) {
        vt_pkey_free(*out);
        *out = NULL;
    }
    vt_buf_free(&pem); /* wipes */
    return rc;
}
