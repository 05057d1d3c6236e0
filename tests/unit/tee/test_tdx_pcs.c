/* Intel PCS answers: issuer-chain headers (URL-encoded PEM) and base URLs;
 * the fetched collateral itself is exercised end to end in
 * tests/e2e/test_tdx_pcs.sh over a stand-in PCS. */
#include <stdio.h>
#include <string.h>

#include "vt_test.h"

#include "tee/tdx_pcs.h"

/* Percent-encodes everything but [A-Za-z0-9-_.~], as Intel PCS does. */
static void url_encode(vt_buf *out, const uint8_t *p, size_t len)
{
    static const char hx[] = "0123456789ABCDEF";

    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            assert_int_equal(vt_buf_append(out, &c, 1, NULL), VT_OK);
        } else {
            char e[3] = { '%', hx[c >> 4], hx[c & 15] };
            assert_int_equal(vt_buf_append(out, e, 3, NULL), VT_OK);
        }
    }
}

static void test_tee_tdx_pcs__chain_real(void **state)
{
    vt_buf pem, enc, out;
    vt_err err = { 0 };

    (void)state;
    vt_test_require_vectors();
    vt_buf_init(&pem);
    vt_buf_init(&enc);
    vt_buf_init(&out);
    vt_test_load(&pem, "tdx/gotdx-v5-tdx15/collateral-2026-03-lunal/tcb_signing_chain.pem");
    url_encode(&enc, pem.data, pem.len);
    assert_int_equal(vt__pcs_chain_decode(&out, enc.data, enc.len, &err), VT_OK);
    assert_int_equal(out.len, pem.len);
    assert_memory_equal(out.data, pem.data, pem.len);
    /* Every truncation fails or decodes a prefix; on failure nothing is appended. */
    for (size_t n = 0; n < enc.len; n++) {
        out.len = 0;
        if (vt__pcs_chain_decode(&out, enc.data, n, &err) != VT_OK)
            assert_int_equal(out.len, 0);
    }
    /* Lower-case escapes are escapes too. */
    for (size_t i = 0; i + 2 < enc.len; i++)
        if (enc.data[i] == '%' && enc.data[i + 1] == '2' && enc.data[i + 2] == 'B')
            enc.data[i + 2] = 'b';
    out.len = 0;
    assert_int_equal(vt__pcs_chain_decode(&out, enc.data, enc.len, &err), VT_OK);
    assert_memory_equal(out.data, pem.data, pem.len);
    vt_buf_free(&pem);
    vt_buf_free(&enc);
    vt_buf_free(&out);
}

static void test_tee_tdx_pcs__chain_too_many(void **state)
{
    vt_buf pem, enc, out;
    vt_err err = { 0 };

    (void)state;
    vt_test_require_vectors();
    vt_buf_init(&pem);
    vt_buf_init(&enc);
    vt_buf_init(&out);
    vt_test_load(&pem, "tdx/gotdx-v5-tdx15/collateral-2026-03-lunal/tcb_signing_chain.pem");
    for (int i = 0; i < 3; i++) /* 6 certificates */
        url_encode(&enc, pem.data, pem.len);
    assert_int_not_equal(vt__pcs_chain_decode(&out, enc.data, enc.len, &err), VT_OK);
    assert_int_equal(out.len, 0);
    assert_non_null(strstr(err.msg, "1..4 certificates"));
    vt_buf_free(&pem);
    vt_buf_free(&enc);
    vt_buf_free(&out);
}

static void expect_bad(const char *hdr, vt_status want, const char *needle)
{
    vt_buf out;
    vt_err err = { 0 };

    vt_buf_init(&out);
    assert_int_equal(vt__pcs_chain_decode(&out, (const uint8_t *)hdr, strlen(hdr), &err), want);
    assert_int_equal(out.len, 0);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", hdr, err.msg, needle);
    vt_buf_free(&out);
}

static void test_tee_tdx_pcs__chain_bad(void **state)
{
    uint8_t big[VT_PCS_HDR_MAX + 1];
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    expect_bad("", VT_E_FORMAT, "empty");
    expect_bad("%", VT_E_FORMAT, "truncated");
    expect_bad("abc%2", VT_E_FORMAT, "truncated");
    expect_bad("%zz", VT_E_FORMAT, "bad %-escape");
    expect_bad("%00", VT_E_FORMAT, "non-PEM byte 0x00");
    expect_bad("%FF", VT_E_FORMAT, "non-PEM byte 0xff");
    expect_bad("hello", VT_E_FORMAT, "not PEM text");
    expect_bad("-----BEGIN%20CERTIFICATE-----%0AAAAA%0A-----END%20CERTIFICATE-----%0A", VT_E_FORMAT, "not PEM text");
    memset(big, 'A', sizeof(big));
    vt_buf_init(&out);
    assert_int_equal(vt__pcs_chain_decode(&out, big, sizeof(big), &err), VT_E_LIMIT);
    assert_int_equal(out.len, 0);
    vt_buf_free(&out);
}

static void test_tee_tdx_pcs__base(void **state)
{
    vt_verify_opts o;
    char b[VT_PCS_BASE_MAX];
    vt_err err = { 0 };

    (void)state;
    memset(&o, 0, sizeof(o));
    assert_int_equal(vt__pcs_base(b, sizeof(b), &o, &err), VT_OK);
    assert_string_equal(b, VT_PCS_DEFAULT_URL);
    o.pcs_url = "http://127.0.0.1:8081/pccs//";
    assert_int_equal(vt__pcs_base(b, sizeof(b), &o, &err), VT_OK);
    assert_string_equal(b, "http://127.0.0.1:8081/pccs");
    o.pcs_url = "ftp://pcs";
    assert_int_equal(vt__pcs_base(b, sizeof(b), &o, &err), VT_E_ARG);
    o.pcs_url = "https://pcs/?x=1";
    assert_int_equal(vt__pcs_base(b, sizeof(b), &o, &err), VT_E_ARG);
}

/* Nothing to fetch from and nothing cached: the error names the URL. */
static void test_tee_tdx_pcs__offline_names_url(void **state)
{
    vt_verify_opts o;
    vt__tdx_pcs_set *s = NULL;
    static const uint8_t fmspc[6] = { 0x90, 0xc0, 0x6f, 0, 0, 0 };
    char dir[256];
    vt_err err = { 0 };

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    memset(&o, 0, sizeof(o));
    o.now = vt_test_time("2026-04-01T00:00:00Z");
    o.pcs_url = "http://127.0.0.1:9/pcs";
    o.fetch_cache_dir = dir;
    assert_int_equal(vt__tdx_pcs_get(&s, &o, fmspc, "platform", &err), VT_E_NOTFOUND);
    assert_null(s);
    assert_non_null(strstr(err.msg, "http://127.0.0.1:9/pcs/tdx/certification/v4/tcb?fmspc=90c06f000000"));
    assert_non_null(strstr(err.msg, "fetching is off"));
    assert_int_equal(vt__tdx_pcs_get(&s, &o, fmspc, "other", &err), VT_E_ARG);
    vt_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_tdx_pcs__chain_bad),
        cmocka_unit_test(test_tee_tdx_pcs__base),
        cmocka_unit_test(test_tee_tdx_pcs__offline_names_url),
        cmocka_unit_test(test_tee_tdx_pcs__chain_real),
        cmocka_unit_test(test_tee_tdx_pcs__chain_too_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
