/*
 * NVIDIA RIM service and OCSP through the collateral fetcher
 * (tee/nvgpu_fetch.h).  RIM answers are JSON with the RIM in base64; they are
 * cached on disk like any fetched collateral and verified by the caller each
 * time (signature, chain, validity).  OCSP requests are POSTed without a
 * nonce, so that answers are cacheable: each is kept until its nextUpdate and
 * verified again whenever used.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "crypto/ocsp.h"
#include "tee/fetch.h"
#include "tee/nvgpu_fetch.h"
#include "tee/nvgpu_rim.h"

#define TLV_CHIP_SKU 15u
#define TLV_PROJECT 17u
#define TLV_PROJECT_SKU 18u
#define OCSP_TYPE "application/ocsp-request"

/* A TLV as a short token: printable, no separators, up to the first NUL; false when absent or odd. */
static bool tlv_token(char *out, size_t cap, const vt__nvgpu_evidence *e, uint16_t type)
{
    const vt__nvgpu_tlv *t = vt__nvgpu_tlv_find(e, type);
    size_t n = 0;

    out[0] = '\0';
    if (t == NULL)
        return false;
    while (n < t->len && e->opaque[t->off + n] != 0)
        n++;
    if (n == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++) {
        int c = e->opaque[t->off + i];
        if (!isalnum(c) && c != '.' && c != '-')
            return false;
        out[i] = (char)toupper(c);
    }
    out[n] = '\0';
    return true;
}

void vt__nvgpu_rim_ids(char driver[VT_NVGPU_RIM_ID_MAX], char vbios[VT_NVGPU_RIM_ID_MAX], const vt__nvgpu_evidence *e)
{
    char drv[64], vb[64], proj[16], psku[16], chip[16], vbid[24];
    size_t k = 0;
    bool ok = true;

    driver[0] = '\0';
    vbios[0] = '\0';
    vt__nvgpu_driver_string(drv, sizeof(drv), e);
    for (size_t i = 0; drv[i] != '\0'; i++)
        ok = ok && (isalnum((unsigned char)drv[i]) || drv[i] == '.' || drv[i] == '-');
    if (drv[0] != '\0' && ok)
        snprintf(driver, VT_NVGPU_RIM_ID_MAX, "NV_GPU_DRIVER_GH100_%.63s", drv);
    vt__nvgpu_vbios_string(vb, sizeof(vb), e);
    if (vb[0] == '\0' || !tlv_token(proj, sizeof(proj), e, TLV_PROJECT) ||
        !tlv_token(psku, sizeof(psku), e, TLV_PROJECT_SKU) || !tlv_token(chip, sizeof(chip), e, TLV_CHIP_SKU))
        return;
    for (size_t i = 0; vb[i] != '\0' && k + 1 < sizeof(vbid); i++) {
        if (vb[i] == '.')
            continue;
        if (!isxdigit((unsigned char)vb[i]))
            return;
        vbid[k++] = (char)toupper((unsigned char)vb[i]);
    }
    vbid[k] = '\0';
    snprintf(vbios, VT_NVGPU_RIM_ID_MAX, "NV_GPU_VBIOS_%s_%s_%s_%s", proj, psku, chip, vbid);
}

vt_status vt__nvgpu_rim_service_decode(vt_buf *xml, const uint8_t *json, size_t len, const char *want_id, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    json_t *o = NULL, *id, *rim, *sum;
    json_error_t je;
    vt_buf b;
    uint8_t h[32], want[32];
    const char *s;

    vt_buf_init(&b);
    if (json == NULL || len == 0)
        return vt_err_set(err, VT_E_FORMAT, "nvgpu: RIM service answer is empty");
    if (len > VT_NVGPU_RIM_JSON_MAX)
        return vt_err_set(err, VT_E_LIMIT, "nvgpu: RIM service answer of %zu bytes exceeds %u", len,
                          VT_NVGPU_RIM_JSON_MAX);
    o = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(o)) {
        rc = vt_err_set(err, VT_E_FORMAT, "nvgpu: RIM service answer is not a JSON object (line %d)", je.line);
        goto out;
    }
    id = json_object_get(o, "id");
    rim = json_object_get(o, "rim");
    sum = json_object_get(o, "sha256");
    if (want_id != NULL && (!json_is_string(id) || strcmp(json_string_value(id), want_id) != 0)) {
        rc = vt_err_set(err, VT_E_FORMAT, "nvgpu: RIM service answer id is not %.96s", want_id);
        goto out;
    }
    if (!json_is_string(rim) || json_string_length(rim) == 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "nvgpu: RIM service answer rim is not a base64 string");
        goto out;
    }
    if (json_string_length(rim) > (VT_NVGPU_RIM_MAX / 3u + 1u) * 4u) {
        rc = vt_err_set(err, VT_E_LIMIT, "nvgpu: RIM service answer rim exceeds %u bytes", VT_NVGPU_RIM_MAX);
        goto out;
    }
    if (vt_base64_decode(&b, json_string_value(rim), json_string_length(rim), NULL) != VT_OK || b.len == 0) {
        rc = vt_err_set(err, VT_E_FORMAT, "nvgpu: RIM service answer rim is not base64");
        goto out;
    }
    if (b.len > VT_NVGPU_RIM_MAX) {
        rc = vt_err_set(err, VT_E_LIMIT, "nvgpu: RIM service answer rim exceeds %u bytes", VT_NVGPU_RIM_MAX);
        goto out;
    }
    if (sum != NULL && !json_is_null(sum)) {
        s = json_string_value(sum);
        if (s == NULL || strlen(s) != 64 || vt_hex_decode(want, sizeof(want), s, 64, NULL) != VT_OK) {
            rc = vt_err_set(err, VT_E_FORMAT, "nvgpu: RIM service answer sha256 is not 64 hex digits");
            goto out;
        }
        rc = vt_digest(VT_MD_SHA256, b.data, b.len, h, err);
        if (rc != VT_OK)
            goto out;
        if (memcmp(h, want, sizeof(h)) != 0) {
            rc = vt_err_set(err, VT_E_FORMAT, "nvgpu: RIM service answer sha256 does not match its rim");
            goto out;
        }
    }
    rc = vt_buf_append(xml, b.data, b.len, err);
out:
    json_decref(o);
    vt_buf_free(&b);
    return rc;
}

static vt_status check_rim_answer(const uint8_t *p, size_t len, vt_err *err)
{
    vt_buf b;
    vt_status rc;

    vt_buf_init(&b);
    rc = vt__nvgpu_rim_service_decode(&b, p, len, NULL, err);
    vt_buf_free(&b);
    return rc;
}

/* base without trailing '/', checked like the other service URLs. */
static vt_status base_of(char *out, size_t cap, const char *url, const char *dflt, const char *what, vt_err *err)
{
    const char *b = url != NULL && url[0] != '\0' ? url : dflt;
    size_t n = strlen(b);

    if ((strncmp(b, "https://", 8) != 0 && strncmp(b, "http://", 7) != 0) || n >= cap ||
        strpbrk(b, " \t\r\n\"?#") != NULL)
        return vt_err_set(err, VT_E_ARG, "nvgpu: %s URL must be http(s)://host[:port][/path], at most %zu bytes",
                          what, cap - 1);
    while (n > 0 && b[n - 1] == '/')
        n--;
    memcpy(out, b, n);
    out[n] = '\0';
    return VT_OK;
}

static void fetch_opts(vt__fetch_opts *fo, const vt_verify_opts *o)
{
    memset(fo, 0, sizeof(*fo));
    fo->cache_dir = o->fetch_cache_dir;
    fo->network = true; /* the caller decided that these services are asked */
    fo->now = o->now;
    if (o->fetch_timeout_s > 0)
        fo->total_timeout_s = o->fetch_timeout_s;
}

#define RIM_URL_MAX (VT_NVGPU_URL_MAX + VT_NVGPU_RIM_ID_MAX + 16)

/* The URL of RIM id and how it is fetched. */
static vt_status rim_request(char url[RIM_URL_MAX], vt__fetch_opts *fo, const char *id, const vt_verify_opts *o,
                             vt_err *err)
{
    char base[VT_NVGPU_URL_MAX];
    vt_status rc = base_of(base, sizeof(base), o->rim_url, VT_NVGPU_RIM_DEFAULT_URL, "RIM service", err);

    if (rc != VT_OK)
        return rc;
    snprintf(url, RIM_URL_MAX, "%s/v1/rim/%s", base, id);
    fetch_opts(fo, o);
    fo->max_len = VT_NVGPU_RIM_JSON_MAX;
    fo->check = check_rim_answer;
    return VT_OK;
}

void vt__nvgpu_rim_forget(const char *id, const vt_verify_opts *o, const char *why)
{
    char url[RIM_URL_MAX];
    vt__fetch_opts fo;

    if (id != NULL && id[0] != '\0' && rim_request(url, &fo, id, o, NULL) == VT_OK)
        vt__fetch_forget(url, &fo, why);
}

vt_status vt__nvgpu_rim_fetch(vt_buf *xml, const char *id, const vt_verify_opts *o, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char url[RIM_URL_MAX];
    vt__fetch_opts fo;
    vt_buf body;
    vt_err e = { 0 };

    vt_buf_init(&body);
    rc = rim_request(url, &fo, id, o, err);
    if (rc != VT_OK)
        return rc;
    rc = vt__fetch(&body, NULL, url, &fo, &e);
    if (rc == VT_OK)
        rc = vt__nvgpu_rim_service_decode(xml, body.data, body.len, id, &e);
    if (rc != VT_OK) {
        if (rc == VT_E_FORMAT)
            vt__fetch_forget(url, &fo, e.msg);
        vt_err_set(err, rc, "nvgpu: RIM %s from %s: %s", id, url, e.msg);
    }
    vt_buf_free(&body);
    return rc;
}

static vt_status ocsp_expiry(vt_time *until, const uint8_t *p, size_t len, vt_err *err)
{
    return vt__ocsp_response_expiry(until, p, len, err);
}

static vt_status ocsp_issued(vt_time *issued, const uint8_t *p, size_t len, vt_err *err)
{
    return vt__ocsp_response_issued(issued, p, len, err);
}

static vt_status ocsp_check_body(const uint8_t *p, size_t len, vt_err *err)
{
    vt_time t;

    return vt__ocsp_response_expiry(&t, p, len, err);
}

vt_status vt__nvgpu_ocsp_check(vt__nvgpu_ocsp_result *out, vt_x509 *const *chain, size_t n, const vt_verify_opts *o,
                               vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char base[VT_NVGPU_URL_MAX], url[VT_NVGPU_URL_MAX + 2], cn[96];
    vt__fetch_opts fo;
    vt_buf req, rsp;

    memset(out, 0, sizeof(*out));
    out->until = INT64_MAX;
    vt_buf_init(&req);
    vt_buf_init(&rsp);
    if (chain == NULL || n < 3)
        return vt_err_set(err, VT_E_ARG, "nvgpu: OCSP needs a chain of leaf, at least one CA and the root");
    rc = base_of(base, sizeof(base), o->ocsp_url, VT_NVGPU_OCSP_DEFAULT_URL, "OCSP", err);
    if (rc != VT_OK)
        return rc;
    snprintf(url, sizeof(url), "%s/", base);
    fetch_opts(&fo, o);
    fo.max_len = VT_OCSP_RESPONSE_MAX;
    fo.check = ocsp_check_body;
    fo.expiry = ocsp_expiry;
    fo.issued = ocsp_issued; /* an older answer replayed at renewal is not taken */
    fo.refresh_before_s = o->refresh_before_s;
    fo.post_type = OCSP_TYPE;
    for (size_t i = 1; i + 1 < n; i++) {
        vt__ocsp_answer a;
        vt_err e = { 0 };

        req.len = 0;
        rsp.len = 0;
        vt_x509_subject_cn(chain[i], cn, sizeof(cn));
        rc = vt__ocsp_request(&req, chain[i], chain[i + 1], &e);
        if (rc == VT_OK) {
            fo.post = req.data;
            fo.post_len = req.len;
            rc = vt__fetch(&rsp, NULL, url, &fo, &e);
        }
        if (rc == VT_OK) {
            rc = vt__ocsp_response_verify(&a, rsp.data, rsp.len, chain[i], chain[i + 1], o->now, &e);
            /* A bad answer is dropped; one merely outside its window at this verification time (a
             * request's "at") is not: it may be just right for the next one. */
            if (rc != VT_OK && rc != VT_E_POLICY)
                vt__fetch_forget(url, &fo, e.msg);
        }
        if (rc != VT_OK) {
            rc = vt_err_set(err, rc, "nvgpu: OCSP %s for \"%.80s\": %s", url, cn, e.msg);
            goto out;
        }
        out->checked++;
        if (a.next_update < out->until)
            out->until = a.next_update;
        if (a.status == VT_OCSP_GOOD) {
            out->good++;
            continue;
        }
        if (a.status == VT_OCSP_REVOKED)
            out->revoked++;
        else
            out->unknown++;
        if (out->first_bad[0] == '\0')
            snprintf(out->first_bad, sizeof(out->first_bad), "\"%.80s\" is %s", cn,
                     a.status == VT_OCSP_REVOKED ? "revoked" : "unknown to the responder");
    }
    rc = VT_OK;
out:
    vt_buf_free(&req);
    vt_buf_free(&rsp);
    return rc;
}
