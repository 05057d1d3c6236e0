/*
 * AMD KDS for SEV-SNP: which URL names the VCEK of a report, and fetching it
 * (or the ASK/ARK chain) through the generic collateral fetcher.  URL forms as
 * AMD's KDS interface specification (57230) and evidence-formats 4.5 give
 * them; SPLs come from REPORTED_TCB, never CURRENT_TCB.
 */
#include <stdio.h>
#include <string.h>

#include "tee/fetch.h"
#include "tee/sevsnp_kds.h"

const char *vt__snp_kds_base(const vt_verify_opts *o)
{
    return o != NULL && o->kds_url != NULL && o->kds_url[0] != '\0' ? o->kds_url : VT_KDS_DEFAULT_URL;
}

const char *vt__snp_kds_product(const vt__snp_report *r)
{
    if (r->version < 3 || r->cpuid_fam == 0)
        return "Milan";
    if (r->cpuid_fam == 0x19 && r->cpuid_mod <= 0x0F)
        return "Milan";
    if (r->cpuid_fam == 0x19 && ((r->cpuid_mod >= 0x10 && r->cpuid_mod <= 0x1F) || (r->cpuid_mod >= 0xA0 && r->cpuid_mod <= 0xAF)))
        return "Genoa"; /* Genoa, and Bergamo/Siena, which KDS files under Genoa */
    if (r->cpuid_fam == 0x1A && r->cpuid_mod <= 0x1F)
        return "Turin";
    return NULL;
}

/* The base without a trailing '/', checked: http(s), short, no spaces or quotes. */
static vt_status base_len(size_t *out, const char *base, vt_err *err)
{
    size_t n = strlen(base);

    if ((strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0) || n >= VT_KDS_BASE_MAX ||
        strpbrk(base, " \t\r\n\"?#") != NULL)
        return vt_err_set(err, VT_E_ARG, "sevsnp: KDS URL must be http(s)://host[:port][/path], at most %d bytes",
                          VT_KDS_BASE_MAX - 1);
    while (n > 0 && base[n - 1] == '/')
        n--;
    *out = n;
    return VT_OK;
}

static bool known_product(const char *p)
{
    return p != NULL && (strcmp(p, "Milan") == 0 || strcmp(p, "Genoa") == 0 || strcmp(p, "Turin") == 0);
}

vt_status vt__snp_kds_vcek_url(char *out, size_t cap, const char *base, const char *product, const vt__snp_report *r,
                               vt_err *err)
{
    static const uint8_t zero[64] = { 0 };
    bool turin = product != NULL && strcmp(product, "Turin") == 0;
    size_t bl = 0, hl = turin ? 8 : 64;
    vt__snp_tcb t;
    char hwid[129];
    int n;

    if (cap > 0)
        out[0] = '\0';
    if (!known_product(product))
        return vt_err_set(err, VT_E_ARG, "sevsnp: no KDS product line");
    if (base_len(&bl, base, err) != VT_OK)
        return VT_E_ARG;
    if (vt_ct_equal(r->chip_id, zero, 64))
        return vt_err_set(err, VT_E_UNSUPPORTED, "sevsnp: chip_id is zero (masked): KDS cannot name the VCEK");
    if (turin && !vt_ct_equal(r->chip_id + 8, zero, 56))
        return vt_err_set(err, VT_E_UNSUPPORTED, "sevsnp: chip_id bytes 8..63 are not zero: not a Turin hwID");
    vt_hex_encode(hwid, r->chip_id, hl);
    t = vt__snp_tcb_decode(r->reported_tcb, turin);
    if (turin)
        n = snprintf(out, cap, "%.*s/vcek/v1/%s/%s?fmcSPL=%02u&blSPL=%02u&teeSPL=%02u&snpSPL=%02u&ucodeSPL=%02u",
                     (int)bl, base, product, hwid, t.fmc, t.bl, t.tee, t.snp, t.ucode);
    else
        n = snprintf(out, cap, "%.*s/vcek/v1/%s/%s?blSPL=%02u&teeSPL=%02u&snpSPL=%02u&ucodeSPL=%02u", (int)bl, base,
                     product, hwid, t.bl, t.tee, t.snp, t.ucode);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0'; /* never a truncated URL */
        return vt_err_set(err, VT_E_ARG, "sevsnp: KDS URL does not fit %zu bytes", cap);
    }
    return VT_OK;
}

static vt_status product_url(char *out, size_t cap, const char *base, const char *product, bool vlek,
                             const char *what, vt_err *err)
{
    size_t bl = 0;
    int n;

    if (cap > 0)
        out[0] = '\0';
    if (!known_product(product))
        return vt_err_set(err, VT_E_ARG, "sevsnp: no KDS product line");
    if (base_len(&bl, base, err) != VT_OK)
        return VT_E_ARG;
    n = snprintf(out, cap, "%.*s/%s/v1/%s/%s", (int)bl, base, vlek ? "vlek" : "vcek", product, what);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0'; /* never a truncated URL */
        return vt_err_set(err, VT_E_ARG, "sevsnp: KDS URL does not fit %zu bytes", cap);
    }
    return VT_OK;
}

vt_status vt__snp_kds_chain_url(char *out, size_t cap, const char *base, const char *product, bool vlek, vt_err *err)
{
    return product_url(out, cap, base, product, vlek, "cert_chain", err);
}

vt_status vt__snp_kds_crl_url(char *out, size_t cap, const char *base, const char *product, bool vlek, vt_err *err)
{
    return product_url(out, cap, base, product, vlek, "crl", err);
}

/* Only a certificate named SEV-VCEK is worth returning or caching. */
static vt_status check_vcek(const uint8_t *p, size_t len, vt_err *err)
{
    vt_x509 *x = NULL;
    char cn[64];
    vt_status rc;

    if (vt_x509_from_der(&x, p, len, NULL) != VT_OK)
        return vt_err_set(err, VT_E_FORMAT, "not a DER certificate");
    vt_x509_subject_cn(x, cn, sizeof(cn));
    rc = strcmp(cn, "SEV-VCEK") == 0 ? VT_OK : vt_err_set(err, VT_E_FORMAT, "certificate CN is \"%s\", not SEV-VCEK", cn);
    vt_x509_free(x);
    return rc;
}

static vt_status check_chain(const uint8_t *p, size_t len, vt_err *err)
{
    vt_x509 *c[4] = { NULL };
    size_t n = 0;
    vt_status rc = vt_x509_list_from_pem(c, &n, 4, (const char *)p, len, NULL);

    for (size_t i = 0; i < n; i++)
        vt_x509_free(c[i]);
    if (rc != VT_OK || n == 0)
        return vt_err_set(err, VT_E_FORMAT, "not 1..4 PEM certificates");
    return VT_OK;
}

/* A DER CRL's thisUpdate and nextUpdate (vt_crl_parse refuses one without); either may be NULL. */
static vt_status crl_times(vt_time *issued, vt_time *until, const uint8_t *p, size_t len, vt_err *err)
{
    vt_crl *c = NULL;
    vt_time tu = 0, nu = 0;

    if (vt_crl_parse(&c, p, len, NULL) != VT_OK)
        return vt_err_set(err, VT_E_FORMAT, "not a CRL with a nextUpdate");
    vt_crl_validity(c, &tu, &nu);
    vt_crl_free(c);
    if (issued != NULL)
        *issued = tu;
    if (until != NULL)
        *until = nu;
    return VT_OK;
}

static vt_status crl_until(vt_time *until, const uint8_t *p, size_t len, vt_err *err)
{
    return crl_times(NULL, until, p, len, err);
}

static vt_status crl_issued(vt_time *issued, const uint8_t *p, size_t len, vt_err *err)
{
    return crl_times(issued, NULL, p, len, err);
}

static vt_status check_crl(const uint8_t *p, size_t len, vt_err *err)
{
    return crl_until(NULL, p, len, err);
}

static vt_status get(vt_buf *out, int *source, const char *url, const vt_verify_opts *o, size_t max,
                     vt__fetch_check_fn check, vt__fetch_expiry_fn expiry, vt_err *err)
{
    vt__fetch_opts fo;

    memset(&fo, 0, sizeof(fo));
    fo.cache_dir = o->fetch_cache_dir;
    fo.network = o->fetch;
    fo.max_len = max;
    fo.check = check;
    fo.expiry = expiry;
    fo.now = o->now;
    fo.refresh_before_s = expiry != NULL ? o->refresh_before_s : 0;
    fo.issued = expiry == crl_until ? crl_issued : NULL; /* a CRL never goes back in time */
    if (o->fetch_timeout_s > 0)
        fo.total_timeout_s = o->fetch_timeout_s;
    return vt__fetch(out, source, url, &fo, err);
}

void vt__snp_kds_forget(const char *url, const vt_verify_opts *o, const char *why)
{
    vt__fetch_opts fo;

    memset(&fo, 0, sizeof(fo));
    fo.cache_dir = o->fetch_cache_dir;
    if (url != NULL && url[0] != '\0')
        vt__fetch_forget(url, &fo, why);
}

vt_status vt__snp_kds_get_vcek(vt_buf *der, int *source, const char *url, const vt_verify_opts *o, vt_err *err)
{
    return get(der, source, url, o, VT_KDS_VCEK_MAX, check_vcek, NULL, err);
}

vt_status vt__snp_kds_get_chain(vt_buf *pem, int *source, const char *url, const vt_verify_opts *o, vt_err *err)
{
    return get(pem, source, url, o, VT_KDS_CHAIN_MAX, check_chain, NULL, err);
}

vt_status vt__snp_kds_get_crl(vt_buf *der, int *source, const char *url, const vt_verify_opts *o, vt_err *err)
{
    return get(der, source, url, o, VT_KDS_CRL_MAX, check_crl, crl_until, err);
}
