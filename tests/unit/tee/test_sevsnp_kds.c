/* AMD KDS URLs for a report (product line from CPUID, SPLs from
 * REPORTED_TCB, Turin's 8-byte hwID and fmcSPL), and the cache-only path of
 * the fetcher (no network: nothing here opens a socket). */
#include "vt_test.h"

#include <stdio.h>
#include <string.h>

#include "tee/fetch.h"
#include "tee/sevsnp_kds.h"

static void report(vt__snp_report *r, uint32_t version, uint8_t fam, uint8_t mod)
{
    memset(r, 0, sizeof(*r));
    r->version = version;
    r->cpuid_fam = fam;
    r->cpuid_mod = mod;
    for (int i = 0; i < 64; i++)
        r->chip_id[i] = (uint8_t)(0xA0 + i);
}

static void test_tee_sevsnp_kds__product_from_cpuid(void **state)
{
    vt__snp_report r;

    (void)state;
    report(&r, 2, 0, 0);
    assert_string_equal(vt__snp_kds_product(&r), "Milan");
    report(&r, 3, 0x19, 0x01);
    assert_string_equal(vt__snp_kds_product(&r), "Milan");
    report(&r, 5, 0x19, 0x11);
    assert_string_equal(vt__snp_kds_product(&r), "Genoa");
    report(&r, 5, 0x19, 0xA0);
    assert_string_equal(vt__snp_kds_product(&r), "Genoa");
    report(&r, 5, 0x1A, 0x02);
    assert_string_equal(vt__snp_kds_product(&r), "Turin");
    report(&r, 5, 0x19, 0x60);
    assert_null(vt__snp_kds_product(&r));
    report(&r, 5, 0x17, 0x01);
    assert_null(vt__snp_kds_product(&r));
}

static void test_tee_sevsnp_kds__milan_url(void **state)
{
    static const uint8_t tcb[8] = { 3, 0, 0, 0, 0, 0, 8, 115 };
    vt__snp_report r;
    char url[1024], want[1024], hex[129];
    vt_err err = { 0 };

    (void)state;
    report(&r, 2, 0, 0);
    memcpy(r.reported_tcb, tcb, 8);
    r.current_tcb[7] = 200; /* never used for the lookup */
    vt_hex_encode(hex, r.chip_id, 64);
    snprintf(want, sizeof(want),
             "https://kdsintf.amd.com/vcek/v1/Milan/%s?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115", hex);
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), VT_KDS_DEFAULT_URL, "Milan", &r, &err), VT_OK);
    assert_string_equal(url, want);
    /* trailing slashes of a mirror's base are dropped */
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), "https://kdsintf.amd.com//", "Milan", &r, &err), VT_OK);
    assert_string_equal(url, want);
    /* a buffer too small is an error, not a truncated URL */
    assert_int_equal(vt__snp_kds_vcek_url(url, 100, VT_KDS_DEFAULT_URL, "Milan", &r, &err), VT_E_ARG);
    assert_string_equal(url, "");
}

static void test_tee_sevsnp_kds__turin_url(void **state)
{
    static const uint8_t tcb[8] = { 1, 2, 3, 4, 0, 0, 0, 82 };
    vt__snp_report r;
    char url[1024];
    vt_err err = { 0 };

    (void)state;
    report(&r, 5, 0x1A, 0x02);
    memset(r.chip_id + 8, 0, 56);
    memcpy(r.reported_tcb, tcb, 8);
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), "http://127.0.0.1:8080/kds", "Turin", &r, &err), VT_OK);
    assert_string_equal(url, "http://127.0.0.1:8080/kds/vcek/v1/Turin/a0a1a2a3a4a5a6a7"
                             "?fmcSPL=01&blSPL=02&teeSPL=03&snpSPL=04&ucodeSPL=82");
    /* a long chip_id is not a Turin hwID (KDS would answer 404) */
    r.chip_id[9] = 1;
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), VT_KDS_DEFAULT_URL, "Turin", &r, &err), VT_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "8..63"));
}

static void test_tee_sevsnp_kds__refusals(void **state)
{
    vt__snp_report r;
    char url[1024];
    vt_err err = { 0 };

    (void)state;
    report(&r, 3, 0x19, 0x01);
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), "ftp://x", "Milan", &r, &err), VT_E_ARG);
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), "https://x/?a=1", "Milan", &r, &err), VT_E_ARG);
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), VT_KDS_DEFAULT_URL, "Naples", &r, &err), VT_E_ARG);
    memset(r.chip_id, 0, 64); /* MASK_CHIP_KEY */
    assert_int_equal(vt__snp_kds_vcek_url(url, sizeof(url), VT_KDS_DEFAULT_URL, "Milan", &r, &err), VT_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "masked"));
}

static void test_tee_sevsnp_kds__chain_url(void **state)
{
    char url[256];
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt__snp_kds_chain_url(url, sizeof(url), VT_KDS_DEFAULT_URL, "Genoa", false, &err), VT_OK);
    assert_string_equal(url, "https://kdsintf.amd.com/vcek/v1/Genoa/cert_chain");
    assert_int_equal(vt__snp_kds_chain_url(url, sizeof(url), VT_KDS_DEFAULT_URL, "Turin", true, &err), VT_OK);
    assert_string_equal(url, "https://kdsintf.amd.com/vlek/v1/Turin/cert_chain");
}

static vt_status only_abc(const uint8_t *p, size_t len, vt_err *err)
{
    return len == 3 && memcmp(p, "abc", 3) == 0 ? VT_OK : vt_err_set(err, VT_E_FORMAT, "not abc");
}

/* Without the network: cache hits, misses, a refused cache entry, and a
 * remembered failure, all without a socket (127.0.0.1:9 is never dialled). */
static void test_tee_sevsnp_kds__fetch_cache_only(void **state)
{
    const char *url = "http://127.0.0.1:9/x";
    char dir[512], path[1100], hex[65];
    uint8_t h[32];
    vt__fetch_opts o;
    vt_buf out;
    vt_err err = { 0 };
    int src = -1;
    char neg[128];

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    memset(&o, 0, sizeof(o));
    o.cache_dir = dir;
    o.check = only_abc;
    vt_buf_init(&out);
    assert_int_equal(vt__fetch(&out, &src, url, &o, &err), VT_E_NOTFOUND);
    assert_non_null(strstr(err.msg, "fetching is off"));
    assert_int_equal(src, VT_FETCH_NONE);
    assert_int_equal(out.len, 0);
    assert_int_equal(vt_digest(VT_MD_SHA256, url, strlen(url), h, &err), VT_OK);
    vt_hex_encode(hex, h, 32);
    snprintf(path, sizeof(path), "%s/%s.bin", dir, hex);
    assert_int_equal(vt_file_write(path, "abc", 3, 0644, &err), VT_OK);
    assert_int_equal(vt__fetch(&out, &src, url, &o, &err), VT_OK);
    assert_int_equal(src, VT_FETCH_FROM_CACHE);
    assert_int_equal(out.len, 3);
    /* an entry the check refuses is dropped, not returned */
    assert_int_equal(vt_file_write(path, "abd", 3, 0644, &err), VT_OK);
    out.len = 0;
    assert_int_equal(vt__fetch(&out, &src, url, &o, &err), VT_E_NOTFOUND);
    assert_int_equal(out.len, 0);
    assert_int_equal(vt_file_read(&out, path, 16, &err), VT_E_NOTFOUND);
    /* a remembered failure answers without asking the network */
    snprintf(path, sizeof(path), "%s/%s.neg", dir, hex);
    snprintf(neg, sizeof(neg), "v1 %lld -9 rate-limited (HTTP 429)\n", (long long)vt_time_now() + 100);
    assert_int_equal(vt_file_write(path, neg, strlen(neg), 0600, &err), VT_OK);
    o.network = true;
    assert_int_equal(vt__fetch(&out, &src, url, &o, &err), VT_E_IO);
    assert_non_null(strstr(err.msg, "rate-limited (HTTP 429) (remembered failure; next attempt in"));
    /* not an http(s) URL */
    assert_int_equal(vt__fetch(&out, &src, "file:///etc/passwd", &o, &err), VT_E_ARG);
    vt_buf_free(&out);
    vt_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_sevsnp_kds__product_from_cpuid),
        cmocka_unit_test(test_tee_sevsnp_kds__milan_url),
        cmocka_unit_test(test_tee_sevsnp_kds__turin_url),
        cmocka_unit_test(test_tee_sevsnp_kds__refusals),
        cmocka_unit_test(test_tee_sevsnp_kds__chain_url),
        cmocka_unit_test(test_tee_sevsnp_kds__fetch_cache_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
