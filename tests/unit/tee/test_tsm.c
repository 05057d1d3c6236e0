/* configfs-tsm collection against a stand-in /sys tree: the kernel's files are
 * plain files here, so the test plays the kernel by pre-filling them. */
#include "vt_test.h"

#include <stdio.h>
#include <string.h>

#include "tee/tsm.h"

static void put(const char *dir, const char *name, const void *p, size_t len)
{
    char path[1024];
    vt_err err = { 0 };

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(vt_file_write(path, p, len, 0644, &err), VT_OK);
}

static void make_tree(char *root, size_t len, char *inst, size_t ilen, const char *provider)
{
    vt_err err = { 0 };

    vt_test_mkdtemp(root, len);
    snprintf(inst, ilen, "%s%s/test0", root, VT_TSM_REPORT_DIR);
    assert_int_equal(vt_mkdir_p(inst, 0755, &err), VT_OK);
    put(inst, "provider", provider, strlen(provider));
    put(inst, "generation", "1\n", 2);
    put(inst, "outblob", "QUOTE-BYTES", 11);
}

static void test_attest_tsm__reads_report_and_writes_inblob(void **state)
{
    char root[512], inst[1024], path[1100];
    uint8_t rd[64];
    vt_buf out, in;
    vt_err err = { 0 };

    (void)state;
    make_tree(root, sizeof(root), inst, sizeof(inst), "tdx_guest\n");
    memset(rd, 0xab, sizeof(rd));
    vt_buf_init(&out);
    vt_buf_init(&in);
    assert_true(vt__tsm_present(root, NULL, 0));
    assert_int_equal(vt__tsm_report(&out, NULL, root, "test0", rd, "tdx_guest", &err), VT_OK);
    assert_int_equal(out.len, 11);
    assert_memory_equal(out.data, "QUOTE-BYTES", 11);
    snprintf(path, sizeof(path), "%s/inblob", inst);
    assert_int_equal(vt_file_read(&in, path, 64, &err), VT_OK);
    assert_int_equal(in.len, 64);
    assert_memory_equal(in.data, rd, 64);
    vt_buf_free(&out);
    vt_buf_free(&in);
    vt_test_rmdir(root);
}

static void test_attest_tsm__wrong_provider_rejected(void **state)
{
    char root[512], inst[1024];
    uint8_t rd[64] = { 0 };
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    make_tree(root, sizeof(root), inst, sizeof(inst), "sev_guest\n");
    vt_buf_init(&out);
    assert_int_equal(vt__tsm_report(&out, NULL, root, "test0", rd, "tdx_guest", &err), VT_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "sev_guest"));
    assert_int_equal(out.len, 0);
    vt_buf_free(&out);
    vt_test_rmdir(root);
}

static void test_attest_tsm__empty_outblob_is_an_error(void **state)
{
    char root[512], inst[1024];
    uint8_t rd[64] = { 0 };
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    make_tree(root, sizeof(root), inst, sizeof(inst), "tdx_guest");
    put(inst, "outblob", "", 0);
    vt_buf_init(&out);
    assert_int_equal(vt__tsm_report(&out, NULL, root, "test0", rd, "tdx_guest", &err), VT_E_IO);
    vt_buf_free(&out);
    vt_test_rmdir(root);
}

static void test_attest_tsm__absent_interface(void **state)
{
    char root[512];
    uint8_t rd[64] = { 0 };
    vt_buf out;
    vt_err err = { 0 };
    vt_hw_info hw;

    (void)state;
    vt_test_mkdtemp(root, sizeof(root));
    vt_buf_init(&out);
    assert_false(vt__tsm_present(root, NULL, 0));
    assert_int_not_equal(vt__tsm_report(&out, NULL, root, NULL, rd, "tdx_guest", &err), VT_OK);
    /* With nothing present, collection falls back to mock. */
    vt_tee_detect(&hw, root);
    assert_int_equal(hw.selected, VT_TEE_MOCK);
    vt_buf_free(&out);
    vt_test_rmdir(root);
}

/* The unified API collects a TDX quote through configfs-tsm, and detection
 * selects TDX when /dev/tdx_guest is there. */
static void test_attest_tsm__tdx_collect_through_registry(void **state)
{
    char root[512], inst[1024], dev[1100];
    vt_collect_opts o;
    vt_hw_info hw;
    vt_tee_kind kind = VT_TEE_NONE;
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    make_tree(root, sizeof(root), inst, sizeof(inst), "tdx_guest");
    snprintf(dev, sizeof(dev), "%s/dev", root);
    assert_int_equal(vt_mkdir_p(dev, 0755, &err), VT_OK);
    put(dev, "tdx_guest", "", 0);
    vt_tee_detect(&hw, root);
    assert_int_equal(hw.selected, VT_TEE_TDX);
    memset(&o, 0, sizeof(o));
    o.sysroot = root;
    o.tsm_instance = "test0";
    vt_buf_init(&out);
    assert_int_equal(vt_evidence_collect(&out, &kind, &o, &err), VT_OK);
    assert_int_equal(kind, VT_TEE_TDX);
    assert_memory_equal(out.data, "QUOTE-BYTES", 11);
    vt_buf_free(&out);
    vt_test_rmdir(root);
}

/* A TEE veritee cannot collect from yet is reported, but never selected. */
static void test_attest_tsm__detect_reports_uncollectable_platforms(void **state)
{
    char root[512], dev[600];
    vt_hw_info hw;
    vt_err err = { 0 };
    bool seen = false;

    (void)state;
    vt_test_mkdtemp(root, sizeof(root));
    snprintf(dev, sizeof(dev), "%s/dev", root);
    assert_int_equal(vt_mkdir_p(dev, 0755, &err), VT_OK);
    put(dev, "nvidiactl", "", 0);
    vt_tee_detect(&hw, root);
    for (size_t i = 0; i < hw.count; i++) {
        if (hw.entries[i].kind == VT_TEE_NVGPU) {
            assert_true(hw.entries[i].present);
            assert_non_null(strstr(hw.entries[i].evidence, "not supported yet"));
            seen = true;
        } else {
            assert_false(hw.entries[i].present);
        }
    }
    assert_true(seen);
    assert_int_equal(hw.selected, VT_TEE_MOCK);
    /* A TPM is collected from now (tee/tpm_collect.c): present and selected. */
    put(dev, "tpmrm0", "", 0);
    vt_tee_detect(&hw, root);
    seen = false;
    for (size_t i = 0; i < hw.count; i++)
        if (hw.entries[i].kind == VT_TEE_TPM) {
            assert_true(hw.entries[i].present);
            assert_non_null(strstr(hw.entries[i].evidence, "/dev/tpmrm0 present"));
            seen = true;
        }
    assert_true(seen);
    assert_int_equal(hw.selected, VT_TEE_TPM);
    vt_test_rmdir(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attest_tsm__reads_report_and_writes_inblob),
        cmocka_unit_test(test_attest_tsm__wrong_provider_rejected),
        cmocka_unit_test(test_attest_tsm__empty_outblob_is_an_error),
        cmocka_unit_test(test_attest_tsm__absent_interface),
        cmocka_unit_test(test_attest_tsm__tdx_collect_through_registry),
        cmocka_unit_test(test_attest_tsm__detect_reports_uncollectable_platforms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
