/* Public EC JWKs (RFC 7517/7518 §6.2), RFC 7638 thumbprints and JWK Sets. */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"
#include "crypto/jose_int.h"

#define JWK_MAX_BYTES 4096
#define JWKS_MAX_BYTES ((size_t)64 << 10)
#define JWKS_MAX_KEYS 64

static const char *crv_name(vt_key_type t)
{
    return t == VT_KEY_EC_P256 ? "P-256" : t == VT_KEY_EC_P384 ? "P-384" : NULL;
}

/* x and y as base64url, from the raw X||Y of an EC key. */
static vt_status ec_xy(json_t **x, json_t **y, const vt_pkey *key, vt_err *err)
{
    vt_status rc;
    vt_buf raw;
    size_t half;

    *x = *y = NULL;
    vt_buf_init(&raw);
    rc = vt_pkey_public_raw(&raw, key, err);
    if (rc == VT_OK && raw.len != 64 && raw.len != 96)
        rc = vt_err_set(err, VT_E_ARG, "jwk: key is not a P-256 or P-384 key");
    if (rc == VT_OK) {
        half = raw.len / 2;
        *x = vt__b64url_json(raw.data, half);
        *y = vt__b64url_json(raw.data + half, half);
        if (*x == NULL || *y == NULL) {
            json_decref(*x);
            json_decref(*y);
            *x = *y = NULL;
            rc = vt_err_set(err, VT_E_NOMEM, "jwk: out of memory");
        }
    }
    vt_buf_free(&raw);
    return rc;
}

vt_status vt__jwk_object(json_t **out, const vt_pkey *key, const char *kid, vt_err *err)
{
    vt_status rc;
    const char *crv;
    json_t *x = NULL, *y = NULL, *o = NULL;

    *out = NULL;
    crv = key != NULL ? crv_name(vt_pkey_type(key)) : NULL;
    if (crv == NULL)
        return vt_err_set(err, VT_E_ARG, "jwk: key is not a P-256 or P-384 key");
    rc = ec_xy(&x, &y, key, err);
    if (rc != VT_OK)
        return rc;
    o = json_pack("{s:s, s:s, s:o, s:o}", "kty", "EC", "crv", crv, "x", x, "y", y);
    if (o != NULL && kid != NULL)
        json_object_set_new(o, "kid", json_string(kid));
    if (o != NULL) {
        json_object_set_new(o, "alg", json_string(vt__jws_alg_for_key(vt_pkey_type(key))));
        json_object_set_new(o, "use", json_string("sig"));
    }
    if (o == NULL)
        return vt_err_set(err, VT_E_NOMEM, "jwk: out of memory");
    *out = o;
    return VT_OK;
}

vt_status vt_jwk_from_pkey(char **json_out, const vt_pkey *key, const char *kid, vt_err *err)
{
    json_t *o = NULL;
    vt_status rc;

    *json_out = NULL;
    if (kid != NULL && (kid[0] == '\0' || strlen(kid) >= VT_JWS_KID_MAX))
        return vt_err_set(err, VT_E_ARG, "jwk: kid must be 1..%d characters", VT_JWS_KID_MAX - 1);
    rc = vt__jwk_object(&o, key, kid, err);
    if (rc != VT_OK)
        return rc;
    *json_out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (*json_out == NULL)
        return vt_err_set(err, VT_E_NOMEM, "jwk: out of memory");
    return VT_OK;
}

static vt_status coord(vt_buf *out, const json_t *o, const char *name, size_t half, vt_err *err)
{
    const json_t *v = json_object_get(o, name);
    vt_status rc;

    if (!json_is_string(v))
        return vt_err_set(err, VT_E_FORMAT, "jwk: %s is missing or not a string", name);
    rc = vt__b64url_decode(out, json_string_value(v), json_string_length(v), half, name, err);
    if (rc != VT_OK)
        return vt_err_set(err, rc, "jwk: %s is not canonical base64url of at most %zu bytes", name, half);
    /* RFC 7518 §6.2.1.2: the full coordinate length, leading zeros kept. */
    if (out->len != half)
        return vt_err_set(err, VT_E_FORMAT, "jwk: %s is %zu bytes, want %zu", name, out->len, half);
    return VT_OK;
}

vt_status vt__jwk_from_object(vt_pkey **out, const json_t *o, vt_err *err)
{
    vt_status rc = VT_E_FORMAT;
    const json_t *kty, *crv, *alg, *use;
    vt_key_type t;
    size_t half;
    vt_buf x, y;
    uint8_t xy[96];

    *out = NULL;
    if (!json_is_object(o))
        return vt_err_set(err, VT_E_FORMAT, "jwk: not a JSON object");
    kty = json_object_get(o, "kty");
    crv = json_object_get(o, "crv");
    if (!json_is_string(kty) || strcmp(json_string_value(kty), "EC") != 0)
        return vt_err_set(err, VT_E_UNSUPPORTED, "jwk: kty must be \"EC\"");
    if (!json_is_string(crv))
        return vt_err_set(err, VT_E_FORMAT, "jwk: crv is missing");
    if (strcmp(json_string_value(crv), "P-256") == 0)
        t = VT_KEY_EC_P256;
    else if (strcmp(json_string_value(crv), "P-384") == 0)
        t = VT_KEY_EC_P384;
    else
        return vt_err_set(err, VT_E_UNSUPPORTED, "jwk: crv \"%.16s\" is not P-256 or P-384",
                          json_string_value(crv));
    if (json_object_get(o, "d") != NULL)
        return vt_err_set(err, VT_E_FORMAT, "jwk: a private key (member d) is not accepted where a public key is expected");
    alg = json_object_get(o, "alg");
    if (alg != NULL && (!json_is_string(alg) || strcmp(json_string_value(alg), vt__jws_alg_for_key(t)) != 0))
        return vt_err_set(err, VT_E_FORMAT, "jwk: alg does not match crv %s", json_string_value(crv));
    use = json_object_get(o, "use");
    if (use != NULL && (!json_is_string(use) || strcmp(json_string_value(use), "sig") != 0))
        return vt_err_set(err, VT_E_FORMAT, "jwk: use must be \"sig\"");
    half = t == VT_KEY_EC_P256 ? 32 : 48;
    vt_buf_init(&x);
    vt_buf_init(&y);
    rc = coord(&x, o, "x", half, err);
    if (rc == VT_OK)
        rc = coord(&y, o, "y", half, err);
    if (rc == VT_OK) {
        memcpy(xy, x.data, half);
        memcpy(xy + half, y.data, half);
        /* The import refuses a point that is not on the curve. */
        rc = vt_pkey_from_ec_raw(out, t, xy, 2 * half, err);
    }
    vt_buf_free(&x);
    vt_buf_free(&y);
    return rc;
}

vt_status vt_jwk_to_pkey(vt_pkey **out, const char *json, size_t len, vt_err *err)
{
    json_t *o;
    json_error_t jerr;
    vt_status rc;

    *out = NULL;
    if (json == NULL)
        return vt_err_set(err, VT_E_ARG, "jwk: no input");
    if (len > JWK_MAX_BYTES)
        return vt_err_set(err, VT_E_LIMIT, "jwk: %zu bytes exceed %d", len, JWK_MAX_BYTES);
    o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL)
        return vt_err_set(err, VT_E_FORMAT, "jwk: not JSON (line %d: %.80s)", jerr.line, jerr.text);
    rc = vt__jwk_from_object(out, o, err);
    json_decref(o);
    return rc;
}

vt_status vt_jwk_thumbprint(char out[44], const vt_pkey *key, vt_err *err)
{
    vt_status rc;
    const char *crv;
    json_t *x = NULL, *y = NULL;
    vt_buf canon, b;
    uint8_t d[32];

    out[0] = '\0';
    crv = key != NULL ? crv_name(vt_pkey_type(key)) : NULL;
    if (crv == NULL)
        return vt_err_set(err, VT_E_ARG, "jwk: thumbprint needs a P-256 or P-384 key");
    if (vt__pkey_thumb_cached(key, out))
        return VT_OK;
    rc = ec_xy(&x, &y, key, err);
    if (rc != VT_OK)
        return rc;
    /* RFC 7638 §3.2: the required members only, sorted, no whitespace. */
    vt_buf_init(&canon);
    vt_buf_init(&b);
    rc = vt_buf_append_str(&canon, "{\"crv\":\"", err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(&canon, crv, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(&canon, "\",\"kty\":\"EC\",\"x\":\"", err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(&canon, json_string_value(x), err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(&canon, "\",\"y\":\"", err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(&canon, json_string_value(y), err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(&canon, "\"}", err);
    if (rc == VT_OK)
        rc = vt_digest(VT_MD_SHA256, canon.data, canon.len, d, err);
    if (rc == VT_OK)
        rc = vt_base64_encode(&b, d, sizeof(d), true, err);
    if (rc == VT_OK && b.len != 43)
        rc = vt_err_set(err, VT_E_INTERNAL, "jwk: thumbprint has %zu characters", b.len);
    if (rc == VT_OK) {
        memcpy(out, b.data, 43);
        out[43] = '\0';
        vt__pkey_thumb_keep(key, out);
    }
    json_decref(x);
    json_decref(y);
    vt_buf_free(&canon);
    vt_buf_free(&b);
    return rc;
}

/* ---- JWK Set ---- */

struct vt_jwks {
    size_t count;
    char kid[JWKS_MAX_KEYS][VT_JWS_KID_MAX];
    vt_pkey *key[JWKS_MAX_KEYS];
};

void vt_jwks_free(vt_jwks *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->count; i++)
        vt_pkey_free(set->key[i]);
    free(set);
}

vt_status vt_jwks_parse(vt_jwks **out, const char *json, size_t len, vt_err *err)
{
    vt_status rc = VT_E_FORMAT;
    vt_jwks *set = NULL;
    json_t *doc = NULL, *keys;
    json_error_t jerr;
    size_t i;
    json_t *k;

    *out = NULL;
    if (json == NULL)
        return vt_err_set(err, VT_E_ARG, "jwks: no input");
    if (len > JWKS_MAX_BYTES)
        return vt_err_set(err, VT_E_LIMIT, "jwks: %zu bytes exceed %zu", len, JWKS_MAX_BYTES);
    doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL || !json_is_object(doc)) {
        rc = vt_err_set(err, VT_E_FORMAT, "jwks: not a JSON object");
        goto out;
    }
    keys = json_object_get(doc, "keys");
    if (!json_is_array(keys)) {
        rc = vt_err_set(err, VT_E_FORMAT, "jwks: keys is missing or not an array");
        goto out;
    }
    if (json_array_size(keys) > JWKS_MAX_KEYS) {
        rc = vt_err_set(err, VT_E_LIMIT, "jwks: more than %d keys", JWKS_MAX_KEYS);
        goto out;
    }
    set = calloc(1, sizeof(*set));
    if (set == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "jwks: out of memory");
        goto out;
    }
    json_array_foreach(keys, i, k) {
        const json_t *kid = json_object_get(k, "kid");
        vt_pkey *pk = NULL;
        vt_err kerr = { 0 };

        if (!json_is_object(k)) {
            rc = vt_err_set(err, VT_E_FORMAT, "jwks: keys[%zu] is not an object", i);
            goto out;
        }
        if (!json_is_string(kid) || json_string_length(kid) == 0 || json_string_length(kid) >= VT_JWS_KID_MAX) {
            rc = vt_err_set(err, VT_E_FORMAT, "jwks: keys[%zu] has no kid (1..%d characters)", i,
                            VT_JWS_KID_MAX - 1);
            goto out;
        }
        rc = vt__jwk_from_object(&pk, k, &kerr);
        if (rc == VT_E_UNSUPPORTED)
            continue; /* another key type: not ours to use, not an error (RFC 7517 §5) */
        if (rc != VT_OK) {
            rc = vt_err_set(err, rc, "jwks: keys[%zu] (kid %.40s): %s", i, json_string_value(kid), kerr.msg);
            goto out;
        }
        if (vt_jwks_find(set, json_string_value(kid)) != NULL) {
            vt_pkey_free(pk);
            rc = vt_err_set(err, VT_E_FORMAT, "jwks: kid %.40s appears twice", json_string_value(kid));
            goto out;
        }
        memcpy(set->kid[set->count], json_string_value(kid), json_string_length(kid) + 1);
        set->key[set->count++] = pk;
    }
    *out = set;
    set = NULL;
    rc = VT_OK;
out:
    json_decref(doc);
    vt_jwks_free(set);
    return rc;
}

vt_status vt_jwks_parse_issuer(vt_jwks **out, char *issuer, size_t issuer_len, const char *json, size_t len,
                               vt_err *err)
{
    json_t *doc = NULL, *iss;
    vt_status rc;

    *out = NULL;
    if (issuer == NULL || issuer_len == 0)
        return vt_jwks_parse(out, json, len, err);
    issuer[0] = '\0';
    rc = vt_jwks_parse(out, json, len, err);
    if (rc != VT_OK)
        return rc;
    /* The verifier's set names the issuer its passports carry (docs/verifier.md); parsed above,
     * so the document is a JSON object. */
    doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    iss = json_object_get(doc, "issuer");
    if (doc == NULL)
        rc = vt_err_set(err, VT_E_NOMEM, "jwks: out of memory");
    else if (iss != NULL && (!json_is_string(iss) || json_string_length(iss) >= issuer_len ||
                             strlen(json_string_value(iss)) != json_string_length(iss)))
        rc = vt_err_set(err, VT_E_FORMAT, "jwks: issuer is not a string of at most %zu bytes", issuer_len - 1);
    else if (iss != NULL)
        memcpy(issuer, json_string_value(iss), json_string_length(iss) + 1);
    json_decref(doc);
    if (rc != VT_OK) {
        vt_jwks_free(*out);
        *out = NULL;
        issuer[0] = '\0';
    }
    return rc;
}

const vt_pkey *vt_jwks_find(const vt_jwks *set, const char *kid)
{
    if (set == NULL || kid == NULL)
        return NULL;
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->kid[i], kid) == 0)
            return set->key[i];
    return NULL;
}

size_t vt_jwks_count(const vt_jwks *set)
{
    return set != NULL ? set->count : 0;
}
