/*
 * Intel TDX collateral from an Intel PCS v4-compatible service: URLs, the
 * issuer-chain headers, and fetching the four answers a quote needs through
 * the generic collateral fetcher (tee/fetch.c).  URL forms and header names
 * as Intel's "Provisioning Certification Service for ECDSA Attestation" API
 * v4 gives them; what PCCS serves at /sgx/certification/v4/rootcacrl (DER,
 * or the same bytes hex-encoded by older PCCS releases) is accepted as both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tee/fetch.h"
#include "tee/plugin.h"
#include "tee/tdx_pcs.h"

/* ---- issuer-chain headers ---- */

vt_status vt__pcs_chain_decode(vt_buf *pem, const uint8_t *hdr, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf t;
    vt_x509 *c[VT_PCS_CHAIN_MAX] = { NULL };
    size_t n = 0;
    vt_err e = { 0 };

    vt_buf_init(&t);
    if (len == 0)
        return vt_err_set(err, VT_E_FORMAT, "tdx: issuer chain header empty");
    if (len > VT_PCS_HDR_MAX)
        return vt_err_set(err, VT_E_LIMIT, "tdx: issuer chain header of %zu bytes above %u", len,
                          (unsigned)VT_PCS_HDR_MAX);
    rc = vt_buf_reserve(&t, len + 1, err);
    if (rc != VT_OK)
        goto out;
    for (size_t i = 0; i < len; i++) {
        uint8_t ch = hdr[i];
        int hi, lo;

        if (ch == '%') {
            if (i + 2 >= len) {
                rc = vt_err_set(err, VT_E_FORMAT, "tdx: issuer chain header has a truncated %%-escape");
                goto out;
            }
            hi = vt_hex_digit(hdr[i + 1]);
            lo = vt_hex_digit(hdr[i + 2]);
            if (hi < 0 || lo < 0) {
                rc = vt_err_set(err, VT_E_FORMAT, "tdx: issuer chain header has a bad %%-escape");
                goto out;
            }
            ch = (uint8_t)(hi << 4 | lo);
            i += 2;
        }
        if (ch == 0 || (ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t') || ch > 0x7e) {
            rc = vt_err_set(err, VT_E_FORMAT, "tdx: issuer chain header decodes to a non-PEM byte 0x%02x", ch);
            goto out;
        }
        t.data[t.len++] = ch;
    }
    rc = vt_x509_list_from_pem(c, &n, VT_PCS_CHAIN_MAX, (const char *)t.data, t.len, &e);
    if (rc == VT_OK && n == 0)
        rc = VT_E_FORMAT;
    if (rc != VT_OK) {
        rc = vt_err_set(err, rc == VT_E_LIMIT ? VT_E_LIMIT : VT_E_FORMAT,
                        "tdx: issuer chain header is not PEM text of 1..%d certificates%s%s", VT_PCS_CHAIN_MAX,
                        e.msg[0] != '\0' ? ": " : "", e.msg);
        goto out;
    }
    rc = vt_buf_append(pem, t.data, t.len, err);
out:
    for (size_t i = 0; i < n; i++)
        vt_x509_free(c[i]);
    vt_buf_free(&t);
    return rc;
}

static vt_status check_chain_hdr(const uint8_t *p, size_t len, vt_err *err)
{
    vt_buf pem;
    vt_status rc;

    vt_buf_init(&pem);
    rc = vt__pcs_chain_decode(&pem, p, len, err);
    vt_buf_free(&pem);
    return rc;
}

/* ---- bodies ---- */

/* nextUpdate of a TCB info ("tcbInfo") or QE identity ("enclaveIdentity") response. */
static vt_status json_next_update(vt_time *until, const uint8_t *p, size_t len, const char *key, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &jerr);
    const json_t *v = json_is_object(doc) ? json_object_get(doc, key) : NULL;
    const char *s = json_string_value(json_object_get(v, "nextUpdate"));

    if (doc == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "not JSON (%s)", jerr.text);
        goto out;
    }
    if (!json_is_object(v) || !json_is_string(json_object_get(doc, "signature"))) {
        rc = vt_err_set(err, VT_E_FORMAT, "JSON without \"%s\" and \"signature\"", key);
        goto out;
    }
    if (s == NULL || vt_time_parse(until, s, NULL) != VT_OK) {
        rc = vt_err_set(err, VT_E_FORMAT, "%s.nextUpdate missing or not a date", key);
        goto out;
    }
    rc = VT_OK;
out:
    json_decref(doc);
    return rc;
}

static vt_status tcb_expiry(vt_time *until, const uint8_t *p, size_t len, vt_err *err)
{
    return json_next_update(until, p, len, "tcbInfo", err);
}

static vt_status qe_expiry(vt_time *until, const uint8_t *p, size_t len, vt_err *err)
{
    return json_next_update(until, p, len, "enclaveIdentity", err);
}

static bool all_hex(const uint8_t *p, size_t len)
{
    while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r' || p[len - 1] == ' '))
        len--;
    if (len == 0 || len % 2 != 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (vt_hex_digit(p[i]) < 0)
            return false;
    return true;
}

/* A CRL as DER: DER or PEM as served, or hex of the DER (older PCCS rootcacrl). */
static vt_status crl_der(vt_buf *der, const uint8_t *p, size_t len, vt_err *err)
{
    size_t n = len;

    if (!all_hex(p, len))
        return vt_buf_append(der, p, len, err);
    while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' '))
        n--;
    return vt_hex_decode_buf(der, (const char *)p, n, n / 2, err);
}

static vt_status crl_expiry(vt_time *until, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf der;
    vt_crl *crl = NULL;
    vt_time this_update = 0;

    vt_buf_init(&der);
    rc = crl_der(&der, p, len, err);
    if (rc == VT_OK && vt_crl_parse(&crl, der.data, der.len, NULL) != VT_OK)
        rc = vt_err_set(err, VT_E_FORMAT, "not a CRL (DER, PEM or hex)");
    if (rc == VT_OK)
        vt_crl_validity(crl, &this_update, until);
    vt_crl_free(crl);
    vt_buf_free(&der);
    return rc;
}

/* ---- URLs ---- */

vt_status vt__pcs_base(char *out, size_t cap, const vt_verify_opts *o, vt_err *err)
{
    const char *base = o != NULL && o->pcs_url != NULL && o->pcs_url[0] != '\0' ? o->pcs_url : VT_PCS_DEFAULT_URL;
    size_t n = strlen(base);

    if ((strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0) || n >= VT_PCS_BASE_MAX ||
        strpbrk(base, " \t\r\n\"?#%") != NULL)
        return vt_err_set(err, VT_E_ARG, "tdx: PCS URL must be http(s)://host[:port][/path], at most %d bytes",
                          VT_PCS_BASE_MAX - 1);
    while (n > 0 && base[n - 1] == '/')
        n--;
    if (n + 1 > cap)
        return vt_err_set(err, VT_E_ARG, "tdx: PCS URL does not fit");
    memcpy(out, base, n);
    out[n] = '\0';
    return VT_OK;
}

static vt_status root_crl_url(char *out, size_t cap, const char *base, const vt_verify_opts *o, vt_err *err)
{
    int n;

    if (o->root_crl_url != NULL && o->root_crl_url[0] != '\0')
        n = snprintf(out, cap, "%s", o->root_crl_url);
    else if (strcmp(base, VT_PCS_DEFAULT_URL) == 0)
        n = snprintf(out, cap, "%s", VT_PCS_INTEL_ROOT_CRL_URL); /* Intel's PCS does not serve it */
    else
        n = snprintf(out, cap, "%s/sgx/certification/v4/rootcacrl", base);
    if (n < 0 || (size_t)n >= cap)
        return vt_err_set(err, VT_E_ARG, "tdx: Root CA CRL URL too long");
    return VT_OK;
}

/* ---- fetching ---- */

static void set_destroy(vt__cached *base)
{
    vt__tdx_pcs_set *s = (vt__tdx_pcs_set *)base;

    vt_collateral_free(s->coll);
    free(s);
}

void vt__tdx_pcs_set_release(vt__tdx_pcs_set *s)
{
    if (s != NULL)
        vt__cached_release(&s->base);
}

enum { R_TCB = 0, R_QE, R_PCK_CRL, R_ROOT_CRL };

typedef struct resource {
    const char *name;   /* blob name, and what the error says */
    const char *header; /* NULL: none */
    size_t max;
    vt__fetch_expiry_fn expiry;
} resource;

static const resource resources[4] = {
    [R_TCB] = { "tcb_info", VT_PCS_HDR_TCB, VT_PCS_JSON_MAX, tcb_expiry },
    [R_QE] = { "qe_identity", VT_PCS_HDR_QE, VT_PCS_JSON_MAX, qe_expiry },
    [R_PCK_CRL] = { "pck_crl", VT_PCS_HDR_CRL, VT_PCS_CRL_MAX, crl_expiry },
    [R_ROOT_CRL] = { "root_ca_crl", NULL, VT_PCS_CRL_MAX, crl_expiry },
};

static void fetch_opts(vt__fetch_opts *fo, const vt_verify_opts *o, const resource *r)
{
    memset(fo, 0, sizeof(*fo));
    fo->cache_dir = o->fetch_cache_dir;
    fo->network = o->fetch;
    fo->max_len = r->max;
    fo->header = r->header;
    fo->header_max = VT_PCS_HDR_MAX;
    fo->header_check = r->header != NULL ? check_chain_hdr : NULL;
    fo->expiry = r->expiry;
    fo->now = o->now;
    fo->refresh_before_s = o->refresh_before_s;
    fo->total_timeout_s = o->fetch_timeout_s;
    if (o->fetch_timeout_s > 0 && o->fetch_timeout_s < VT_FETCH_CONNECT_TIMEOUT_S)
        fo->connect_timeout_s = o->fetch_timeout_s;
}

static vt_status get_one(vt__tdx_pcs_set *s, const vt_verify_opts *o, int which, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const resource *r = &resources[which];
    vt__fetch_opts fo;
    vt_buf body, hdr, pem;
    vt_time until = INT64_MAX;
    int source = VT_FETCH_NONE;
    char name[48];
    vt_err e = { 0 };

    vt_buf_init(&body);
    vt_buf_init(&hdr);
    vt_buf_init(&pem);
    fetch_opts(&fo, o, r);
    rc = vt__fetch_ex(&body, &hdr, &until, &source, s->urls[which], &fo, &e);
    if (rc != VT_OK) {
        rc = vt_err_set(err, rc, "tdx: %s from %s: %s", r->name, s->urls[which], e.msg);
        goto out;
    }
    if (source == VT_FETCH_FROM_NETWORK)
        s->fetched++;
    if (until < s->until)
        s->until = until;
    snprintf(name, sizeof(name), "pcs-%s", r->name);
    if (which == R_PCK_CRL || which == R_ROOT_CRL) {
        vt_buf der;
        vt_buf_init(&der);
        rc = crl_der(&der, body.data, body.len, &e);
        if (rc == VT_OK)
            rc = vt_collateral_add(s->coll, name, der.data, der.len, &e);
        vt_buf_free(&der);
    } else {
        rc = vt_collateral_add(s->coll, name, body.data, body.len, &e);
    }
    if (rc == VT_OK && r->header != NULL) {
        snprintf(name, sizeof(name), "pcs-%s-issuer-chain.pem", r->name);
        rc = vt__pcs_chain_decode(&pem, hdr.data, hdr.len, &e);
        if (rc == VT_OK)
            rc = vt_collateral_add(s->coll, name, pem.data, pem.len, &e);
    }
    if (rc != VT_OK)
        rc = vt_err_set(err, rc, "tdx: %s from %s: %s", r->name, s->urls[which], e.msg);
out:
    vt_buf_free(&body);
    vt_buf_free(&hdr);
    vt_buf_free(&pem);
    return rc;
}

vt_status vt__tdx_pcs_get(vt__tdx_pcs_set **out, const vt_verify_opts *o, const uint8_t fmspc[6], const char *ca,
                          vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__tdx_pcs_set *s = NULL;
    char base[VT_PCS_BASE_MAX], fhex[13];
    int n1, n2, n3;

    *out = NULL;
    if (o == NULL || fmspc == NULL || ca == NULL || (strcmp(ca, "platform") != 0 && strcmp(ca, "processor") != 0))
        return vt_err_set(err, VT_E_ARG, "tdx: PCS request needs options, an FMSPC and a CA (platform|processor)");
    rc = vt__pcs_base(base, sizeof(base), o, err);
    if (rc != VT_OK)
        return rc;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return vt_err_set(err, VT_E_NOMEM, "tdx: out of memory");
    vt__cached_init(&s->base, set_destroy);
    s->until = INT64_MAX;
    vt_hex_encode(fhex, fmspc, 6);
    n1 = snprintf(s->urls[R_TCB], sizeof(s->urls[R_TCB]), "%s/tdx/certification/v4/tcb?fmspc=%s", base, fhex);
    n2 = snprintf(s->urls[R_QE], sizeof(s->urls[R_QE]), "%s/tdx/certification/v4/qe/identity", base);
    n3 = snprintf(s->urls[R_PCK_CRL], sizeof(s->urls[R_PCK_CRL]), "%s/sgx/certification/v4/pckcrl?ca=%s&encoding=der",
                  base, ca);
    if (n1 < 0 || n2 < 0 || n3 < 0 || (size_t)n1 >= sizeof(s->urls[0]) || (size_t)n2 >= sizeof(s->urls[0]) ||
        (size_t)n3 >= sizeof(s->urls[0])) {
        rc = vt_err_set(err, VT_E_ARG, "tdx: PCS URL too long");
        goto out;
    }
    rc = root_crl_url(s->urls[R_ROOT_CRL], sizeof(s->urls[R_ROOT_CRL]), base, o, err);
    if (rc == VT_OK)
        rc = vt_collateral_new(&s->coll, err);
    for (int i = 0; rc == VT_OK && i < 4; i++)
        rc = get_one(s, o, i, err);
    if (rc == VT_OK)
        rc = vt__collateral_digest(s->digest, s->coll, err);
    if (rc != VT_OK)
        goto out;
    *out = s;
    s = NULL;
out:
    vt__tdx_pcs_set_release(s);
    return rc;
}

void vt__tdx_pcs_forget(const vt__tdx_pcs_set *s, const vt_verify_opts *o, const char *why)
{
    vt__fetch_opts fo;

    if (s == NULL || o == NULL)
        return;
    for (int i = 0; i < 4; i++) {
        fetch_opts(&fo, o, &resources[i]);
        vt__fetch_forget(s->urls[i], &fo, why);
    }
}
