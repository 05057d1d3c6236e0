/* A gateway's requests signed under its passport's enclave key (passport.h, "Veritee-Gateway"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appraise_int.h"

#define AUTH_CONTEXT "veritee-gateway-request-v1\n"
#define AUTH_TS_DIGITS 12

/* The path of a URL ("http://h:p/a/b?q" -> "/a/b"), or the path given; *len_out its length. */
static const char *path_of(const char *u, size_t *len_out)
{
    const char *p = strstr(u, "://");

    if (p != NULL) {
        p = strchr(p + 3, '/');
        if (p == NULL)
            p = "/";
    } else {
        p = u;
    }
    *len_out = strcspn(p, "?#");
    return p;
}

/* The signed text, appended to out. */
static vt_status signed_text(vt_buf *out, const char *method, const char *path, size_t path_len, vt_time ts,
                             const uint8_t *body, size_t body_len, vt_err *err)
{
    uint8_t d[32];
    char hex[65], tsb[32];
    vt_status rc = vt_digest(VT_MD_SHA256, body != NULL ? body : (const uint8_t *)"", body != NULL ? body_len : 0,
                             d, err);

    vt_hex_encode(hex, d, sizeof(d));
    snprintf(tsb, sizeof(tsb), "%lld", (long long)ts);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, AUTH_CONTEXT, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, method, err);
    if (rc == VT_OK)
        rc = vt_buf_append(out, "\n", 1, err);
    if (rc == VT_OK)
        rc = vt_buf_append(out, path, path_len, err);
    if (rc == VT_OK)
        rc = vt_buf_append(out, "\n", 1, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, tsb, err);
    if (rc == VT_OK)
        rc = vt_buf_append(out, "\n", 1, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(out, hex, err);
    return rc;
}

vt_status vt_passport_auth_sign(char **out, const char *passport, const vt_pkey *key, const char *method,
                                const char *url_or_path, const uint8_t *body, size_t body_len, vt_time now,
                                vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf msg, sig, v;
    size_t plen = 0;
    const char *path;
    char tsb[32];

    *out = NULL;
    vt_buf_init(&msg);
    vt_buf_init(&sig);
    vt_buf_init(&v);
    if (passport == NULL || key == NULL || method == NULL || url_or_path == NULL || now < 0) {
        rc = vt_err_set(err, VT_E_ARG, "passport auth: passport, key, method and path are required");
        goto out;
    }
    path = path_of(url_or_path, &plen);
    snprintf(tsb, sizeof(tsb), "%lld", (long long)now);
    rc = signed_text(&msg, method, path, plen, now, body, body_len, err);
    if (rc == VT_OK)
        rc = vt_ecdsa_sign_raw(&sig, key, VT_MD_SHA256, msg.data, msg.len, err);
    if (rc == VT_OK && sig.len != 64)
        rc = vt_err_set(err, VT_E_ARG, "passport auth: the enclave key must be P-256");
    if (rc == VT_OK)
        rc = vt_buf_append_str(&v, VT_PASSPORT_AUTH_SCHEME " passport=", err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(&v, passport, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(&v, ", ts=", err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(&v, tsb, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(&v, ", sig=", err);
    if (rc == VT_OK)
        rc = vt_base64_encode(&v, sig.data, sig.len, true, err);
    if (rc == VT_OK && v.len > VT_PASSPORT_AUTH_MAX)
        rc = vt_err_set(err, VT_E_LIMIT, "passport auth: the passport is too long to send");
    if (rc == VT_OK)
        rc = vt_buf_terminate(&v, err);
    if (rc != VT_OK)
        goto out;
    *out = (char *)v.data;
    v.data = NULL;
out:
    vt_buf_free(&msg);
    vt_buf_free(&sig);
    vt_buf_free(&v);
    return rc;
}

void vt_passport_auth_clear(vt_passport_auth *a)
{
    if (a == NULL)
        return;
    free(a->passport);
    memset(a, 0, sizeof(*a));
}

/* Takes "<name>=" then the value up to ", " (or the end when last). */
static const uint8_t *field(vt_rd *r, const char *name, bool last, size_t *len_out)
{
    size_t n = strlen(name), i;
    const uint8_t *k = vt_rd_take(r, n);

    *len_out = 0;
    if (k == NULL || memcmp(k, name, n) != 0) {
        r->failed = true;
        return NULL;
    }
    for (i = 0; i < r->left; i++)
        if (!last && r->p[i] == ',')
            break;
    if (i == 0 || (!last && i == r->left)) {
        r->failed = true;
        return NULL;
    }
    *len_out = i;
    k = vt_rd_take(r, i);
    if (!last && (vt_rd_u8(r) != ',' || vt_rd_u8(r) != ' '))
        r->failed = true;
    return k;
}

vt_status vt_passport_auth_parse(vt_passport_auth *out, const char *value, size_t len, vt_err *err)
{
    static const char scheme[] = VT_PASSPORT_AUTH_SCHEME " ";
    vt_status rc = VT_E_INTERNAL;
    const uint8_t *pp, *ts, *sg;
    size_t pl = 0, tl = 0, sl = 0;
    vt_buf sig;
    vt_rd r;

    memset(out, 0, sizeof(*out));
    vt_buf_init(&sig);
    if (value == NULL || len < sizeof(scheme) - 1 || strncmp(value, scheme, sizeof(scheme) - 1) != 0)
        return vt_err_set(err, VT_E_NOTFOUND, "passport auth: not the " VT_PASSPORT_AUTH_SCHEME " scheme");
    if (len > VT_PASSPORT_AUTH_MAX)
        return vt_err_set(err, VT_E_LIMIT, "passport auth: authorization longer than %zu bytes",
                          VT_PASSPORT_AUTH_MAX);
    vt_rd_init(&r, (const uint8_t *)value + sizeof(scheme) - 1, len - (sizeof(scheme) - 1));
    pp = field(&r, "passport=", false, &pl);
    if (!vt_rd_ok(&r)) {
        rc = vt_err_set(err, VT_E_FORMAT, "passport auth: passport missing");
        goto out;
    }
    ts = field(&r, "ts=", false, &tl);
    if (!vt_rd_ok(&r) || tl > AUTH_TS_DIGITS) {
        rc = vt_err_set(err, VT_E_FORMAT, "passport auth: ts missing or too long");
        goto out;
    }
    sg = field(&r, "sig=", true, &sl);
    if (!vt_rd_ok(&r) || !vt_rd_ok_and_empty(&r)) {
        rc = vt_err_set(err, VT_E_FORMAT, "passport auth: sig missing");
        goto out;
    }
    for (size_t i = 0; i < tl; i++) {
        if (ts[i] < '0' || ts[i] > '9') {
            rc = vt_err_set(err, VT_E_FORMAT, "passport auth: ts is not unix seconds");
            goto out;
        }
        out->ts = out->ts * 10 + (ts[i] - '0');
    }
    for (size_t i = 0; i < pl; i++) {
        char c = (char)pp[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.')) {
            rc = vt_err_set(err, VT_E_FORMAT, "passport auth: passport is not a compact JWS");
            goto out;
        }
    }
    rc = vt_base64_decode(&sig, (const char *)sg, sl, err);
    if (rc == VT_OK && sig.len != sizeof(out->sig))
        rc = vt_err_set(err, VT_E_FORMAT, "passport auth: sig is not 64 bytes");
    if (rc != VT_OK) {
        rc = vt_err_set(err, VT_E_FORMAT, "passport auth: sig is not base64url of r||s");
        goto out;
    }
    memcpy(out->sig, sig.data, sizeof(out->sig));
    out->passport = malloc(pl + 1);
    if (out->passport == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "passport auth: out of memory");
        goto out;
    }
    memcpy(out->passport, pp, pl);
    out->passport[pl] = '\0';
    rc = VT_OK;
out:
    vt_buf_free(&sig);
    if (rc != VT_OK)
        vt_passport_auth_clear(out);
    return rc;
}

vt_status vt_passport_auth_check(const vt_passport_auth *a, const char *attester_jwk, const char *method,
                                 const char *path, const uint8_t *body, size_t body_len, vt_time now, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_pkey *k = NULL;
    vt_buf msg;

    vt_buf_init(&msg);
    if (attester_jwk == NULL) {
        rc = vt_err_set(err, VT_E_POLICY, "passport auth: the passport names no enclave key (cnf)");
        goto out;
    }
    if (a->ts > now + VT_PASSPORT_AUTH_SKEW || a->ts < now - VT_PASSPORT_AUTH_SKEW) {
        rc = vt_err_set(err, VT_E_POLICY, "passport auth: ts is more than %d s from now", VT_PASSPORT_AUTH_SKEW);
        goto out;
    }
    rc = vt_jwk_to_pkey(&k, attester_jwk, strlen(attester_jwk), err);
    if (rc == VT_OK)
        rc = signed_text(&msg, method, path, strcspn(path, "?#"), a->ts, body, body_len, err);
    if (rc == VT_OK && vt_ecdsa_verify_raw(k, VT_MD_SHA256, msg.data, msg.len, a->sig, sizeof(a->sig), NULL) != VT_OK)
        rc = vt_err_set(err, VT_E_CRYPTO, "passport auth: sig does not verify under the passport's enclave key");
out:
    vt_pkey_free(k);
    vt_buf_free(&msg);
    return rc;
}
