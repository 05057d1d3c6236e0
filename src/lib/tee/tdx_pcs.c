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
#include "tee/sim_root.h"
#include "tee/tdx_collateral.h"
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

/* A date (field: "nextUpdate", "issueDate") of a TCB info ("tcbInfo") or QE identity
 * ("enclaveIdentity") response. */
static vt_status json_date(vt_time *out, const uint8_t *p, size_t len, const char *key, const char *field,
                           vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &jerr);
    const json_t *v = json_is_object(doc) ? json_object_get(doc, key) : NULL;
    const char *s = json_string_value(json_object_get(v, field));

    if (doc == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "not JSON (%s)", jerr.text);
        goto out;
    }
    if (!json_is_object(v) || !json_is_string(json_object_get(doc, "signature"))) {
        rc = vt_err_set(err, VT_E_FORMAT, "JSON without \"%s\" and \"signature\"", key);
        goto out;
    }
    if (s == NULL || vt_time_parse(out, s, NULL) != VT_OK) {
        rc = vt_err_set(err, VT_E_FORMAT, "%s.%s missing or not a date", key, field);
        goto out;
    }
    rc = VT_OK;
out:
    json_decref(doc);
    return rc;
}

static vt_status tcb_expiry(vt_time *until, const uint8_t *p, size_t len, vt_err *err)
{
    return json_date(until, p, len, "tcbInfo", "nextUpdate", err);
}

static vt_status qe_expiry(vt_time *until, const uint8_t *p, size_t len, vt_err *err)
{
    return json_date(until, p, len, "enclaveIdentity", "nextUpdate", err);
}

static vt_status tcb_issued(vt_time *issued, const uint8_t *p, size_t len, vt_err *err)
{
    return json_date(issued, p, len, "tcbInfo", "issueDate", err);
}

static vt_status qe_issued(vt_time *issued, const uint8_t *p, size_t len, vt_err *err)
{
    return json_date(issued, p, len, "enclaveIdentity", "issueDate", err);
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

/* thisUpdate and nextUpdate of a CRL as served (DER, PEM or hex). */
static vt_status crl_times(vt_time *this_update, vt_time *next_update, const uint8_t *p, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_buf der;
    vt_crl *crl = NULL;

    vt_buf_init(&der);
    rc = crl_der(&der, p, len, err);
    if (rc == VT_OK && vt_crl_parse(&crl, der.data, der.len, NULL) != VT_OK)
        rc = vt_err_set(err, VT_E_FORMAT, "not a CRL (DER, PEM or hex)");
    if (rc == VT_OK)
        vt_crl_validity(crl, this_update, next_update);
    vt_crl_free(crl);
    vt_buf_free(&der);
    return rc;
}

static vt_status crl_expiry(vt_time *until, const uint8_t *p, size_t len, vt_err *err)
{
    vt_time this_update = 0;

    return crl_times(&this_update, until, p, len, err);
}

static vt_status crl_issued(vt_time *issued, const uint8_t *p, size_t len, vt_err *err)
{
    vt_time next_update = 0;

    return crl_times(issued, &next_update, p, len, err);
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
    vt__fetch_issued_fn issued;
} resource;

static const resource resources[4] = {
    [R_TCB] = { "tcb_info", VT_PCS_HDR_TCB, VT_PCS_JSON_MAX, tcb_expiry, tcb_issued },
    [R_QE] = { "qe_identity", VT_PCS_HDR_QE, VT_PCS_JSON_MAX, qe_expiry, qe_issued },
    [R_PCK_CRL] = { "pck_crl", VT_PCS_HDR_CRL, VT_PCS_CRL_MAX, crl_expiry, crl_issued },
    [R_ROOT_CRL] = { "root_ca_crl", NULL, VT_PCS_CRL_MAX, crl_expiry, crl_issued },
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
    fo->issued = r->issued;
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
    snprintf(s->ca, sizeof(s->ca), "%s", ca);
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

/* ---- each answer on its own ---- */

/* The blob named name in s, or NULL. */
static const uint8_t *set_item(const vt__tdx_pcs_set *s, const char *name, size_t *len)
{
    for (size_t i = 0; i < vt_collateral_count(s->coll); i++) {
        const char *n = NULL;
        const uint8_t *p = vt_collateral_get(s->coll, i, &n, len);

        if (strcmp(n, name) == 0)
            return p;
    }
    *len = 0;
    return NULL;
}

/* The issuer chain header of item which, verified to a trusted root at t (no CRLs). */
static vt_status issuer_chain(vt_x509 **c, size_t *n, vt_chain_result *cr, const vt__tdx_pcs_set *s, int which,
                              vt_x509 *const *roots, size_t root_count, vt_crl *const *crls, size_t crl_count, vt_time t,
                              vt_err *err)
{
    char name[48];
    size_t len = 0;
    const uint8_t *pem;
    vt_err e = { 0 };

    *n = 0;
    snprintf(name, sizeof(name), "pcs-%s-issuer-chain.pem", resources[which].name);
    pem = set_item(s, name, &len);
    if (pem == NULL || vt_x509_list_from_pem(c, n, VT_PCS_CHAIN_MAX, (const char *)pem, len, &e) != VT_OK || *n == 0)
        return vt_err_set(err, VT_E_FORMAT, "issuer chain is not PEM certificates%s%s", e.msg[0] ? ": " : "", e.msg);
    if (vt_chain_verify(cr, c, *n, roots, root_count, crls, crl_count, t, &e) != VT_OK)
        return vt_err_set(err, VT_E_CRYPTO, "issuer chain does not verify to a trusted root: %s", e.msg);
    return VT_OK;
}

/* A TCB info (R_TCB) or TD QE identity (R_QE): for fmspc, signed by its header's TCB signing certificate. */
static vt_status check_signed_doc(const vt__tdx_pcs_set *s, int which, const uint8_t fmspc[6], vt_x509 *const *roots,
                                  size_t root_count, size_t prod_root_count, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt__tdx_tcb_info *tcb = NULL;
    vt__tdx_qe_identity *qe = NULL;
    vt__tdx_signed_doc d;
    vt_chain_result cr;
    vt_x509 *c[VT_PCS_CHAIN_MAX] = { NULL };
    vt_pkey *key = NULL;
    size_t n = 0, len = 0;
    vt_time issued = 0;
    const uint8_t *body = set_item(s, which == R_TCB ? "pcs-tcb_info" : "pcs-qe_identity", &len);
    char cn[128];

    rc = vt__tdx_signed_doc_split(&d, body, len, which == R_TCB ? "tcbInfo" : "enclaveIdentity", err);
    if (rc != VT_OK)
        goto out;
    if (which == R_TCB) {
        tcb = calloc(1, sizeof(*tcb));
        rc = tcb == NULL ? vt_err_set(err, VT_E_NOMEM, "out of memory")
                         : vt__tdx_tcb_info_parse(tcb, d.value, d.value_len, err);
        if (rc == VT_OK && !vt_ct_equal(tcb->fmspc, fmspc, 6))
            rc = vt_err_set(err, VT_E_FORMAT, "a TCB info for another FMSPC than the one asked for");
        if (rc == VT_OK)
            issued = tcb->issue_date;
    } else {
        qe = calloc(1, sizeof(*qe));
        rc = qe == NULL ? vt_err_set(err, VT_E_NOMEM, "out of memory")
                        : vt__tdx_qe_identity_parse(qe, d.value, d.value_len, err);
        if (rc == VT_OK && strcmp(qe->id, "TD_QE") != 0)
            rc = vt_err_set(err, VT_E_FORMAT, "an identity of \"%s\", not TD_QE", qe->id);
        if (rc == VT_OK)
            issued = qe->issue_date;
    }
    /* Signed when issued: the chain is checked at the issueDate, whatever the verification time. */
    if (rc == VT_OK)
        rc = issuer_chain(c, &n, &cr, s, which, roots, root_count, NULL, 0, issued, err);
    if (rc != VT_OK)
        goto out;
    vt_x509_subject_cn(c[0], cn, sizeof(cn));
    if (strcmp(cn, TDX_TCB_SIGNER_CN) != 0 && (cr.root_index < prod_root_count || strcmp(cn, VT_SIM_TCB_CN) != 0)) {
        rc = vt_err_set(err, VT_E_CRYPTO, "certificate \"%.100s\" is not an %s certificate", cn, TDX_TCB_SIGNER_CN);
        goto out;
    }
    rc = vt_x509_pubkey(&key, c[0], err);
    if (rc == VT_OK && vt_ecdsa_verify_raw(key, VT_MD_SHA256, d.value, d.value_len, d.sig, sizeof(d.sig), NULL) != VT_OK)
        rc = vt_err_set(err, VT_E_CRYPTO, "signature does not verify with the %s key", TDX_TCB_SIGNER_CN);
out:
    vt_pkey_free(key);
    for (size_t i = 0; i < n; i++)
        vt_x509_free(c[i]);
    free(tcb);
    free(qe);
    return rc;
}

/* A CRL signed by its header's issuer (R_PCK_CRL) or by a trusted root (R_ROOT_CRL), checked at its thisUpdate. */
static vt_status check_crl_signed(const vt__tdx_pcs_set *s, int which, vt_x509 *const *roots, size_t root_count,
                                  vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_chain_result cr;
    vt_x509 *c[VT_PCS_CHAIN_MAX] = { NULL };
    vt_crl *crl = NULL;
    size_t n = 0, len = 0;
    vt_time tu = 0, nu = 0;
    const uint8_t *der = set_item(s, which == R_PCK_CRL ? "pcs-pck_crl" : "pcs-root_ca_crl", &len);
    vt_err e = { 0 };

    if (der == NULL || vt_crl_parse(&crl, der, len, NULL) != VT_OK)
        return vt_err_set(err, VT_E_FORMAT, "not a CRL");
    vt_crl_validity(crl, &tu, &nu);
    memset(&cr, 0, sizeof(cr));
    if (which == R_PCK_CRL) {
        char cn[128], want[32];

        rc = issuer_chain(c, &n, &cr, s, which, roots, root_count, &crl, 1, tu, err);
        /* The CRL of the CA asked for ("... PCK Platform CA"), not of the other one. */
        snprintf(want, sizeof(want), "PCK %s CA", strcmp(s->ca, "processor") == 0 ? "Processor" : "Platform");
        if (rc == VT_OK) {
            vt_x509_subject_cn(c[0], cn, sizeof(cn));
            if (strlen(cn) < strlen(want) || strcmp(cn + strlen(cn) - strlen(want), want) != 0)
                rc = vt_err_set(err, VT_E_FORMAT, "issued by \"%.80s\", not the %s asked for", cn, want);
        }
    } else {
        rc = vt_err_set(err, VT_E_CRYPTO, "not signed by a trusted root");
        for (size_t i = 0; i < root_count && cr.crls_checked == 0; i++)
            if (vt_chain_verify(&cr, &roots[i], 1, roots, root_count, &crl, 1, tu, &e) == VT_OK && cr.crls_checked > 0)
                rc = VT_OK;
        if (rc != VT_OK && e.msg[0] != '\0')
            rc = vt_err_set(err, VT_E_CRYPTO, "not signed by a trusted root: %s", e.msg);
    }
    if (rc == VT_OK && cr.crls_checked == 0)
        rc = vt_err_set(err, VT_E_CRYPTO, "not issued by a certificate of its issuer chain");
    for (size_t i = 0; i < n; i++)
        vt_x509_free(c[i]);
    vt_crl_free(crl);
    return rc;
}

int vt__tdx_pcs_check(const vt__tdx_pcs_set *s, const uint8_t fmspc[6], vt_x509 *const *roots, size_t root_count,
                      size_t prod_root_count, char *why, size_t why_len, vt_err *err)
{
    for (int i = 0; i < 4; i++) {
        vt_err e = { 0 };
        vt_status rc = i == R_TCB || i == R_QE
                           ? check_signed_doc(s, i, fmspc, roots, root_count, prod_root_count, &e)
                           : check_crl_signed(s, i, roots, root_count, &e);

        if (rc != VT_OK) {
            snprintf(why, why_len, "%s", e.msg);
            vt_err_set(err, rc, "tdx: %s from %s: %s", resources[i].name, s->urls[i], e.msg);
            return i;
        }
    }
    return -1;
}

void vt__tdx_pcs_forget_one(const vt__tdx_pcs_set *s, const vt_verify_opts *o, int which, const char *why)
{
    vt__fetch_opts fo;

    if (s == NULL || o == NULL || which < 0 || which >= 4)
        return;
    fetch_opts(&fo, o, &resources[which]);
    vt__fetch_forget(s->urls[which], &fo, why);
}

