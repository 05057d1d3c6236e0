/* NVIDIA RIMs (tee/nvgpu_rim.c) on the genuine, NVIDIA-signed driver and VBIOS
 * RIMs of ../shared/vectors/nvgpu/nvtrust-h100-rim-sample: the XML-DSig and the
 * signing chain to NVIDIA's RIM root verify; any changed golden value, changed
 * RIM byte in the signed content, or foreign signer fails. */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>

#include "tee/nvgpu_rim.h"

#define AT "2025-06-01T00:00:00Z"
#define DIR "nvgpu/nvtrust-h100-rim-sample/"

static vt_x509 *rim_root(void)
{
    vt_buf b = { 0 };
    vt_x509 *r[1] = { NULL };
    size_t n = 0;

    vt_test_load(&b, "roots/nvidia_corim_signing_root_ca.pem");
    assert_int_equal(vt_x509_list_from_pem(r, &n, 1, (const char *)b.data, b.len, NULL), VT_OK);
    assert_int_equal(n, 1);
    vt_buf_free(&b);
    return r[0];
}

static vt_status verify(vt__nvgpu_rim *rim, const vt_buf *b, vt_x509 *root, const char *at, vt_err *err)
{
    return vt__nvgpu_rim_verify(rim, b->data, b->len, &root, 1, vt_test_time(at), err);
}

static void test_tee_nvgpu_rim__genuine_rims_verify(void **state)
{
    vt__nvgpu_rim *rim = calloc(1, sizeof(*rim));
    vt_x509 *root = rim_root();
    vt_buf b = { 0 };
    vt_err err = { 0 };
    const vt__nvgpu_rim_meas *m;

    (void)state;
    vt_test_load(&b, DIR "vbios_rim.swidtag");
    assert_int_equal(verify(rim, &b, root, AT, &err), VT_OK);
    assert_string_equal(rim->version, "96.00.5E.00.01");
    assert_string_equal(rim->product, "GH100");
    assert_int_equal(rim->meas_count, 64);
    assert_non_null(strstr(rim->signer, "HCC RIM L4 Signer"));
    vt_buf_free(&b);
    vt_test_load(&b, DIR "driver_rim.swidtag");
    assert_int_equal(verify(rim, &b, root, AT, &err), VT_OK);
    assert_string_equal(rim->version, "545.00");
    m = vt__nvgpu_rim_find(rim, 7);
    assert_non_null(m);
    assert_true(m->active);
    assert_int_equal(m->len, 48);
    assert_int_equal(m->alt[0][0], 0x0e);
    /* After the signer's certificate expired (2025-06-26): refused. */
    assert_int_equal(verify(rim, &b, root, "2025-07-01T00:00:00Z", &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "chain"));
    assert_int_equal(rim->meas_count, 0); /* cleared on failure */
    vt_buf_free(&b);
    vt_x509_free(root);
    free(rim);
}

/* Replaces the first occurrence of from (same length) in b. */
static void patch(vt_buf *b, const char *from, const char *to)
{
    size_t n = strlen(from);

    assert_int_equal(strlen(to), n);
    for (size_t i = 0; i + n <= b->len; i++)
        if (memcmp(b->data + i, from, n) == 0) {
            memcpy(b->data + i, to, n);
            return;
        }
    fail_msg("pattern %s not found", from);
}

static void test_tee_nvgpu_rim__tampered_rims_fail(void **state)
{
    vt__nvgpu_rim *rim = calloc(1, sizeof(*rim));
    vt_x509 *root = rim_root();
    vt_buf b = { 0 };
    vt_err err = { 0 };

    (void)state;
    /* A golden value changed. */
    vt_test_load(&b, DIR "driver_rim.swidtag");
    patch(&b, "ns2:Hash0=\"0e0ee161", "ns2:Hash0=\"0e0ee162");
    assert_int_equal(verify(rim, &b, root, AT, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "signature does not verify"));
    vt_buf_free(&b);
    /* An index switched on. */
    vt_test_load(&b, DIR "driver_rim.swidtag");
    patch(&b, "index=\"0\" active=\"False\"", "index=\"0\" active=\"True\" ");
    assert_int_not_equal(verify(rim, &b, root, AT, &err), VT_OK);
    vt_buf_free(&b);
    /* The version changed. */
    vt_test_load(&b, DIR "vbios_rim.swidtag");
    patch(&b, "colloquialVersion=\"96.00.5E", "colloquialVersion=\"96.00.5F");
    assert_int_equal(verify(rim, &b, root, AT, &err), VT_E_CRYPTO);
    vt_buf_free(&b);
    /* Another root: the signer is not NVIDIA's RIM chain. */
    {
        vt_buf d = { 0 };
        vt_x509 *other[8] = { NULL };
        size_t n = 0;
        vt_test_load(&d, "nvgpu/nvtrust-h100-sample/certchain.pem");
        assert_int_equal(vt_x509_list_from_pem(other, &n, 8, (const char *)d.data, d.len, NULL), VT_OK);
        assert_true(n > 1);
        vt_test_load(&b, DIR "vbios_rim.swidtag");
        assert_int_equal(verify(rim, &b, other[n - 1], AT, &err), VT_E_CRYPTO); /* the device root */
        assert_non_null(strstr(err.msg, "chain"));
        for (size_t i = 0; i < n; i++)
            vt_x509_free(other[i]);
        vt_buf_free(&d);
        vt_buf_free(&b);
    }
    vt_x509_free(root);
    free(rim);
}

static void test_tee_nvgpu_rim__malformed(void **state)
{
    vt__nvgpu_rim *rim = calloc(1, sizeof(*rim));
    vt_buf b = { 0 };
    vt_err err = { 0 };
    static const char dtd[] = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]>"
                              "<SoftwareIdentity xmlns=\"http://standards.iso.org/iso/19770/-2/2015/schema.xsd\"/>";
    static const char nopayload[] = "<SoftwareIdentity xmlns=\"http://standards.iso.org/iso/19770/-2/2015/schema.xsd\">"
                                    "<Meta colloquialVersion=\"1\" product=\"GH100\"/></SoftwareIdentity>";

    (void)state;
    assert_int_equal(vt__nvgpu_rim_parse(rim, (const uint8_t *)"<a", 2, &err), VT_E_FORMAT);
    assert_int_equal(vt__nvgpu_rim_parse(rim, (const uint8_t *)"", 0, &err), VT_E_LIMIT);
    assert_int_equal(vt__nvgpu_rim_parse(rim, (const uint8_t *)dtd, sizeof(dtd) - 1, &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "DTD"));
    assert_int_equal(vt__nvgpu_rim_parse(rim, (const uint8_t *)nopayload, sizeof(nopayload) - 1, &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "Payload"));
    /* Every truncation of a genuine RIM is refused, never a crash. */
    vt_test_load(&b, DIR "vbios_rim.swidtag");
    assert_int_equal(vt__nvgpu_rim_parse(rim, b.data, b.len, &err), VT_OK);
    for (size_t n = 0; n < b.len; n += 97)
        assert_int_not_equal(vt__nvgpu_rim_parse(rim, b.data, n, &err), VT_OK);
    /* A bad hash value and a duplicate index. */
    patch(&b, "ns2:Hash0=\"0000", "ns2:Hash0=\"zz00");
    assert_int_equal(vt__nvgpu_rim_parse(rim, b.data, b.len, &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "Hash0"));
    vt_buf_free(&b);
    vt_test_load(&b, DIR "vbios_rim.swidtag");
    patch(&b, "index=\"1\"", "index=\"0\"");
    assert_int_equal(vt__nvgpu_rim_parse(rim, b.data, b.len, &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "twice"));
    vt_buf_free(&b);
    free(rim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_nvgpu_rim__genuine_rims_verify),
        cmocka_unit_test(test_tee_nvgpu_rim__tampered_rims_fail),
        cmocka_unit_test(test_tee_nvgpu_rim__malformed),
    };
    vt_test_require_vectors();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
