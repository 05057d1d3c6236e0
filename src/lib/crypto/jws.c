/* Compact JWS (RFC 7515) with ES256/ES384 (RFC 7518 §3.4).  Tokens are
 * untrusted: the parser accepts one encoding of one shape, and the header
 * can never choose a weaker algorithm than the key's own. */
#include <stdio.h>
#include <string.h>

#include "base/enc.h"
#include "crypto/jose_int.h"

#define JWS_HEADER_MAX 4096

vt_status vt__b64url_decode(vt_buf *out, const char *s, size_t len, size_t max, const char *what, vt_err *err)
{
    vt_status rc;
    size_t start = out->len;

    /* Refuse before allocating; the exact decoded size is checked after. */
    if (len / 4 > max / 3 + 1)
        return vt_err_set(err, VT_E_LIMIT, "jws: %s exceeds %zu bytes", what, max);
    {
        size_t i = vt__b64url_prefix(s, len);
        if (i < len)
            return vt_err_set(err, VT_E_FORMAT, "jws: %s is not base64url (character %zu)", what, i);
    }
    rc = vt_base64_decode(out, s, len, err);
    if (rc != VT_OK)
        return vt_err_set(err, rc, "jws: %s is not canonical base64url", what);
    if (out->len - start > max) {
        out->len = start;
        return vt_err_set(err, VT_E_LIMIT, "jws: %s exceeds %zu bytes", what, max);
    }
    return VT_OK;
}

json_t *vt__b64url_json(const uint8_t *p, size_t len)
{
    vt_buf b;
    json_t *j = NULL;

    vt_buf_init(&b);
    if (vt_base64_encode(&b, p, len, true, NULL) == VT_OK && vt_buf_terminate(&b, NULL) == VT_OK)
        j = json_stringn((const char *)b.data, b.len);
    vt_buf_free(&b);
    return j;
}

json_t *vt__hex_json(const uint8_t *p, size_t len)
{
    char hex[2 * 256 + 1];

    if (len > 256)
        return NULL;
    vt_hex_encode(hex, p, len);
    return json_string(hex);
}

const char *vt__jws_alg_for_key(vt_key_type t)
{
    switch (t) {
    case VT_KEY_EC_P256: return "ES256";
    case VT_KEY_EC_P384: return "ES384";
    default: return NULL;
    }
}

static vt_md alg_md(const char *alg)
{
    if (strcmp(alg, "ES256") == 0)
        return VT_MD_SHA256;
    if (strcmp(alg, "ES384") == 0)
        return VT_MD_SHA384;
    return 0;
}

/* Header values we copy out must be short printable ASCII: they end up in
 * file names, logs and error messages. */
static bool printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

vt_status vt_jws_sign(char **token_out, const vt_pkey *key, const char *kid, const char *typ,
                      const uint8_t *payload, size_t payload_len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const char *alg;
    json_t *hdr = NULL;
    char *htext = NULL;
    vt_buf b, sig;
    size_t dot;

    *token_out = NULL;
    vt_buf_init(&b);
    vt_buf_init(&sig);
    if (key == NULL || (payload == NULL && payload_len > 0)) {
        rc = vt_err_set(err, VT_E_ARG, "jws: missing key or payload");
        goto out;
    }
    alg = vt__jws_alg_for_key(vt_pkey_type(key));
    if (alg == NULL) {
        rc = vt_err_set(err, VT_E_ARG, "jws: signing key must be P-256 or P-384");
        goto out;
    }
    if (kid != NULL && (strlen(kid) == 0 || strlen(kid) >= VT_JWS_KID_MAX || !printable(kid, strlen(kid)))) {
        rc = vt_err_set(err, VT_E_ARG, "jws: kid must be 1..%d printable characters", VT_JWS_KID_MAX - 1);
        goto out;
    }
    if (typ != NULL && (strlen(typ) == 0 || strlen(typ) >= 48 || !printable(typ, strlen(typ)))) {
        rc = vt_err_set(err, VT_E_ARG, "jws: typ must be 1..47 printable characters");
        goto out;
    }
    if (payload_len > VT_JWS_MAX) {
        rc = vt_err_set(err, VT_E_LIMIT, "jws: payload of %zu bytes exceeds the token limit", payload_len);
        goto out;
    }
    hdr = json_pack("{s:s}", "alg", alg);
    if (hdr != NULL && kid != NULL)
        json_object_set_new(hdr, "kid", json_string(kid));
    if (hdr != NULL && typ != NULL)
        json_object_set_new(hdr, "typ", json_string(typ));
    htext = hdr != NULL ? json_dumps(hdr, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (htext == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "jws: out of memory");
        goto out;
    }
    rc = vt_base64_encode(&b, (const uint8_t *)htext, strlen(htext), true, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&b, ".", 1, err);
    if (rc == VT_OK)
        rc = vt_base64_encode(&b, payload, payload_len, true, err);
    if (rc != VT_OK)
        goto out;
    dot = b.len;
    rc = vt_ecdsa_sign_raw(&sig, key, alg_md(alg), b.data, dot, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&b, ".", 1, err);
    if (rc == VT_OK)
        rc = vt_base64_encode(&b, sig.data, sig.len, true, err);
    if (rc == VT_OK && b.len > VT_JWS_MAX)
        rc = vt_err_set(err, VT_E_LIMIT, "jws: token of %zu bytes exceeds %zu", b.len, VT_JWS_MAX);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&b, err);
    if (rc != VT_OK)
        goto out;
    *token_out = (char *)b.data;
    b.data = NULL; /* ownership moved to the caller */
    b.len = b.cap = 0;
out:
    free(htext);
    json_decref(hdr);
    vt_buf_free(&b);
    vt_buf_free(&sig);
    return rc;
}

void vt_jws_clear(vt_jws *j)
{
    if (j == NULL)
        return;
    vt_buf_free(&j->header);
    vt_buf_free(&j->payload);
    vt_buf_free(&j->signature);
    vt_buf_free(&j->signing_input);
    memset(j, 0, sizeof(*j));
}

/* Copies an optional string member of the header into out (n bytes). */
static vt_status hdr_str(char *out, size_t n, const json_t *hdr, const char *name, vt_err *err)
{
    const json_t *v = json_object_get(hdr, name);
    size_t len;

    out[0] = '\0';
    if (v == NULL)
        return VT_OK;
    if (!json_is_string(v))
        return vt_err_set(err, VT_E_FORMAT, "jws: header %s is not a string", name);
    len = json_string_length(v);
    if (len == 0 || len >= n || !printable(json_string_value(v), len))
        return vt_err_set(err, VT_E_FORMAT, "jws: header %s must be 1..%zu printable characters", name, n - 1);
    memcpy(out, json_string_value(v), len + 1);
    return VT_OK;
}

static vt_status check_header(vt_jws *out, vt_err *err)
{
    vt_status rc = VT_E_FORMAT;
    json_t *hdr = NULL;
    json_error_t jerr;
    const char *alg;

    hdr = json_loadb((const char *)out->header.data, out->header.len, JSON_REJECT_DUPLICATES, &jerr);
    if (hdr == NULL || !json_is_object(hdr)) {
        rc = vt_err_set(err, VT_E_FORMAT, "jws: header is not a JSON object");
        goto out;
    }
    if (!json_is_string(json_object_get(hdr, "alg"))) {
        rc = vt_err_set(err, VT_E_FORMAT, "jws: header has no alg");
        goto out;
    }
    alg = json_string_value(json_object_get(hdr, "alg"));
    if (alg_md(alg) == 0) {
        /* "none" and the HMAC family would let whoever holds a public key (or
         * nobody) mint tokens; anything unknown is refused the same way. */
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "jws: alg \"%.20s\" is not accepted (ES256 or ES384 only)", alg);
        goto out;
    }
    snprintf(out->alg, sizeof(out->alg), "%s", alg);
    /* crit names extensions the signer says we must understand: we understand none. */
    if (json_object_get(hdr, "crit") != NULL || json_object_get(hdr, "b64") != NULL) {
        rc = vt_err_set(err, VT_E_UNSUPPORTED, "jws: header extensions (crit/b64) are not supported");
        goto out;
    }
    rc = hdr_str(out->kid, sizeof(out->kid), hdr, "kid", err);
    if (rc == VT_OK)
        rc = hdr_str(out->typ, sizeof(out->typ), hdr, "typ", err);
out:
    json_decref(hdr);
    return rc;
}

vt_status vt_jws_parse(vt_jws *out, const char *token, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const char *d1, *d2;
    size_t hlen, plen, slen;

    memset(out, 0, sizeof(*out));
    if (token == NULL)
        return vt_err_set(err, VT_E_ARG, "jws: no token");
    if (len > VT_JWS_MAX)
        return vt_err_set(err, VT_E_LIMIT, "jws: token of %zu bytes exceeds %zu", len, VT_JWS_MAX);
    d1 = memchr(token, '.', len);
    d2 = d1 != NULL ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (d1 == NULL || d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL)
        return vt_err_set(err, VT_E_FORMAT, "jws: a compact token has exactly three parts");
    hlen = (size_t)(d1 - token);
    plen = (size_t)(d2 - d1 - 1);
    slen = len - (size_t)(d2 + 1 - token);
    if (hlen == 0 || slen == 0)
        return vt_err_set(err, VT_E_FORMAT, "jws: empty %s", hlen == 0 ? "header" : "signature");
    rc = vt__b64url_decode(&out->header, token, hlen, JWS_HEADER_MAX, "header", err);
    if (rc == VT_OK)
        rc = vt__b64url_decode(&out->payload, d1 + 1, plen, VT_JWS_MAX, "payload", err);
    if (rc == VT_OK)
        rc = vt__b64url_decode(&out->signature, d2 + 1, slen, 96, "signature", err);
    if (rc == VT_OK)
        rc = vt_buf_append(&out->signing_input, token, (size_t)(d2 - token), err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&out->header, err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&out->payload, err);
    if (rc == VT_OK)
        rc = check_header(out, err);
    if (rc == VT_OK && out->signature.len != (strcmp(out->alg, "ES256") == 0 ? 64u : 96u))
        rc = vt_err_set(err, VT_E_FORMAT, "jws: %s signature is %zu bytes, want r||s of %u", out->alg,
                        out->signature.len, strcmp(out->alg, "ES256") == 0 ? 64u : 96u);
    if (rc != VT_OK)
        vt_jws_clear(out);
    return rc;
}

vt_status vt_jws_verify(const vt_jws *j, const vt_pkey *key, vt_err *err)
{
    const char *want;

    if (j == NULL || key == NULL)
        return vt_err_set(err, VT_E_ARG, "jws: missing token or key");
    want = vt__jws_alg_for_key(vt_pkey_type(key));
    /* The key decides the algorithm; the header only has to agree with it. */
    if (want == NULL || strcmp(want, j->alg) != 0)
        return vt_err_set(err, VT_E_CRYPTO, "jws: alg %s does not match the key (%s)", j->alg,
                          want != NULL ? want : "not an EC signing key");
    if (vt_ecdsa_verify_raw(key, alg_md(j->alg), j->signing_input.data, j->signing_input.len, j->signature.data,
                            j->signature.len, NULL) != VT_OK)
        return vt_err_set(err, VT_E_CRYPTO, "jws: %s signature does not verify%s%s", j->alg,
                          j->kid[0] ? " with key " : "", j->kid);
    return VT_OK;
}

vt_status vt__jws_verify_set(vt_jws *out, const char *token, size_t len, const char *typ, const vt_jwks *set,
                             const char *what, vt_err *err)
{
    const vt_pkey *key;
    vt_status rc;

    rc = vt_jws_parse(out, token, len, err);
    if (rc != VT_OK)
        return rc;
    if (strcmp(out->typ, typ) != 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "%s: header typ is \"%s\", not \"%s\"", what, out->typ, typ);
        goto out;
    }
    key = out->kid[0] ? vt_jwks_find(set, out->kid) : NULL;
    if (key == NULL) {
        rc = vt_err_set(err, VT_E_CRYPTO, "%s: signing key %s is not in the verifier's JWKS", what,
                        out->kid[0] ? out->kid : "(no kid)");
        goto out;
    }
    rc = vt_jws_verify(out, key, err);
    if (rc != VT_OK && err != NULL) {
        char m[sizeof(err->msg)];
        snprintf(m, sizeof(m), "%s", err->msg);
        vt_err_set(err, VT_E_CRYPTO, "%s: %s", what, m);
    }
    if (rc != VT_OK)
        rc = VT_E_CRYPTO;
out:
    if (rc != VT_OK)
        vt_jws_clear(out);
    return rc;
}
