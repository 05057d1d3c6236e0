/* SEV-SNP collection against a stand-in /sys tree (configfs-tsm, the test
 * plays the kernel by pre-filling the files) and a simulated /dev/sev-guest:
 * the test links with -Wl,--wrap=ioctl, so the library's ioctl lands in
 * __wrap_ioctl below, which answers like the sev-guest driver. */
#include "vt_test.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tee/collect.h"
#include "tee/tsm.h"
#include "snp_guest_io.h"

#define REPORT_LEN 1184

/* ---- the simulated device ---- */

enum { DEV_OK, DEV_FW_ERROR, DEV_SHORT, DEV_ERRNO };
static int dev_mode;
static int dev_calls;

/* The extended report: how the simulated firmware treats the certificate buffer. */
enum { EXT_FITS, EXT_GROW, EXT_GROW_AGAIN, EXT_HUGE, EXT_EINVAL, EXT_EIO };
static int ext_mode;
static uint32_t ext_need = 20480; /* bytes the "host's" table needs with EXT_GROW */
static uint32_t ext_lens[4];      /* certs_len of each call */
static uint8_t ext_table[4096];   /* what the host hands over */
static bool ext_corrupt;          /* an entry's length runs past the table */

static size_t make_cert_table(uint8_t *t, size_t cap);

static int fake_ext(struct vt_test_snp_io *io)
{
    uint8_t *req = (uint8_t *)(uintptr_t)io->req_data;
    uint64_t addr;
    uint32_t len;

    memcpy(&addr, req + 96, 8);
    memcpy(&len, req + 104, 4);
    if (dev_calls <= 4)
        ext_lens[dev_calls - 1] = len;
    assert_true(addr != 0);
    assert_int_equal(len % 4096, 0);
    if (ext_mode == EXT_EINVAL) {
        errno = EINVAL;
        return -1;
    }
    if (ext_mode == EXT_EIO) {
        io->exitinfo2 = 0x27; /* a firmware error: the driver would wipe the VMPCK */
        errno = EIO;
        return -1;
    }
    if ((ext_mode == EXT_GROW && len < ext_need) || ext_mode == EXT_GROW_AGAIN || ext_mode == EXT_HUGE) {
        uint32_t want = ext_mode == EXT_GROW ? ext_need : ext_mode == EXT_HUGE ? (1u << 20) : len + 4096;
        memcpy(req + 104, &want, 4);
        io->exitinfo2 = 1ull << 32; /* vmm error 1: SNP_GUEST_VMM_ERR_INVALID_LEN */
        errno = EIO;
        return -1;
    }
    memcpy((uint8_t *)(uintptr_t)addr, ext_table, sizeof(ext_table));
    return 0;
}

int __wrap_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    struct vt_test_snp_io *io;
    const uint8_t *req;
    uint8_t *resp;
    uint32_t status = 0, size = REPORT_LEN;

    (void)fd;
    va_start(ap, request);
    io = vt_test_snp_io_arg(ap);
    va_end(ap);
    dev_calls++;
    assert_true(request == VT_TEST_SNP_GET_REPORT || request == VT_TEST_SNP_GET_EXT_REPORT);
    assert_int_equal(io->msg_version, 1);
    req = (const uint8_t *)(uintptr_t)io->req_data;
    resp = (uint8_t *)(uintptr_t)io->resp_data;
    for (int i = 64; i < 96; i++)
        assert_int_equal(req[i], 0); /* vmpl 0, reserved zero */
    if (request == VT_TEST_SNP_GET_EXT_REPORT) {
        int rc = fake_ext(io);
        if (rc != 0)
            return rc;
    }
    if (dev_mode == DEV_ERRNO) {
        io->exitinfo2 = 0x16;
        errno = EIO;
        return -1;
    }
    if (dev_mode == DEV_FW_ERROR)
        status = 0x16; /* SEV_RET_INVALID_PARAM-like firmware status */
    if (dev_mode == DEV_SHORT)
        size = 100;
    memset(resp, 0, 4000);
    memcpy(resp, &status, 4);
    memcpy(resp + 4, &size, 4);
    resp[32] = 3;                          /* version */
    memcpy(resp + 32 + 0x50, req, 64);     /* report_data */
    return 0;
}

/* ---- helpers ---- */

static void put(const char *dir, const char *name, const void *p, size_t len)
{
    char path[1024];
    vt_err err = { 0 };

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(vt_file_write(path, p, len, 0644, &err), VT_OK);
}

static void fake_report(uint8_t rep[REPORT_LEN], const uint8_t rd[64])
{
    memset(rep, 0, REPORT_LEN);
    rep[0] = 3;
    memcpy(rep + 0x50, rd, 64);
}

static void make_tsm_tree(char *root, size_t len, char *inst, size_t ilen, const char *provider, const uint8_t rd[64])
{
    uint8_t rep[REPORT_LEN];
    vt_err err = { 0 };

    vt_test_mkdtemp(root, len);
    snprintf(inst, ilen, "%s%s/test0", root, VT_TSM_REPORT_DIR);
    assert_int_equal(vt_mkdir_p(inst, 0755, &err), VT_OK);
    put(inst, "provider", provider, strlen(provider));
    put(inst, "generation", "1\n", 2);
    fake_report(rep, rd);
    put(inst, "outblob", rep, sizeof(rep));
}

static void make_dev_tree(char *root, size_t len)
{
    char dev[1024];
    vt_err err = { 0 };

    vt_test_mkdtemp(root, len);
    snprintf(dev, sizeof(dev), "%s/dev", root);
    assert_int_equal(vt_mkdir_p(dev, 0755, &err), VT_OK);
    put(dev, "sev-guest", "", 0);
}

/* A table: VCEK, an unknown GUID, ASK, ARK, terminator, then the blobs. */
static size_t make_cert_table(uint8_t *t, size_t cap)
{
    static const uint8_t vcek[16] = { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
                                      0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd };
    static const uint8_t ask[16] = { 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
                                     0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82 };
    static const uint8_t ark[16] = { 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
                                     0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae };
    static const uint8_t other[16] = { 0xec, 0xae, 0x0c, 0x0f, 0x95, 0x02, 0x43, 0xb1,
                                       0xaf, 0xa2, 0x0a, 0xe2, 0xe0, 0xd5, 0x65, 0xb6 };
    const uint8_t *g[4] = { vcek, other, ask, ark };
    const char *blob[4] = { "VCEK-DER", "XX", "ASK-DER!", "ARK-DER" };
    uint32_t off = 5 * 24;

    assert_true(cap >= 4096);
    memset(t, 0, cap);
    for (int i = 0; i < 4; i++) {
        uint32_t l = (uint32_t)strlen(blob[i]);
        memcpy(t + 24 * i, g[i], 16);
        memcpy(t + 24 * i + 16, &off, 4);
        memcpy(t + 24 * i + 20, &l, 4);
        memcpy(t + off, blob[i], l);
        off += l;
    }
    return 4096;
}

static bool coll_has(const vt_collateral *c, const char *name, const char *content)
{
    for (size_t i = 0; i < vt_collateral_count(c); i++) {
        const char *n = NULL;
        size_t len = 0;
        const uint8_t *p = vt_collateral_get(c, i, &n, &len);
        if (strcmp(n, name) == 0)
            return len == strlen(content) && memcmp(p, content, len) == 0;
    }
    return false;
}

static void opts_init(vt_collect_opts *o, const char *root, uint8_t fill)
{
    memset(o, 0, sizeof(*o));
    o->platform = VT_TEE_SEVSNP;
    o->sysroot = root;
    o->tsm_instance = "test0";
    memset(o->report_data, fill, sizeof(o->report_data));
}

/* ---- configfs-tsm ---- */

static void test_attest_sevsnp_collect__tsm_report_and_certs(void **state)
{
    char root[512], inst[1024], path[1100];
    uint8_t table[4096];
    size_t tlen;
    vt_collect_opts o;
    vt_collateral *c = NULL;
    vt_tee_kind kind = VT_TEE_NONE;
    vt_buf out, in;
    vt_err err = { 0 };

    (void)state;
    opts_init(&o, NULL, 0x5a);
    make_tsm_tree(root, sizeof(root), inst, sizeof(inst), "sev_guest\n", o.report_data);
    o.sysroot = root;
    tlen = make_cert_table(table, sizeof(table));
    put(inst, "auxblob", table, tlen);
    assert_int_equal(vt_collateral_new(&c, &err), VT_OK);
    o.certs_out = c;
    vt_buf_init(&out);
    vt_buf_init(&in);
    dev_calls = 0;
    assert_int_equal(vt_evidence_collect(&out, &kind, &o, &err), VT_OK);
    assert_int_equal(kind, VT_TEE_SEVSNP);
    assert_int_equal(out.len, REPORT_LEN);
    assert_memory_equal(out.data + 0x50, o.report_data, 64);
    assert_int_equal(dev_calls, 0);
    snprintf(path, sizeof(path), "%s/inblob", inst);
    assert_int_equal(vt_file_read(&in, path, 64, &err), VT_OK);
    assert_memory_equal(in.data, o.report_data, 64);
    assert_int_equal(vt_collateral_count(c), 3);
    assert_true(coll_has(c, "vcek.der", "VCEK-DER"));
    assert_true(coll_has(c, "ask.der", "ASK-DER!"));
    assert_true(coll_has(c, "ark.der", "ARK-DER"));
    vt_collateral_free(c);
    vt_buf_free(&out);
    vt_buf_free(&in);
    vt_test_rmdir(root);
}

static void test_attest_sevsnp_collect__tsm_wrong_provider(void **state)
{
    char root[512], inst[1024];
    vt_collect_opts o;
    vt_tee_kind kind = VT_TEE_NONE;
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    opts_init(&o, NULL, 1);
    make_tsm_tree(root, sizeof(root), inst, sizeof(inst), "tdx_guest\n", o.report_data);
    o.sysroot = root;
    vt_buf_init(&out);
    dev_calls = 0;
    assert_int_equal(vt_evidence_collect(&out, &kind, &o, &err), VT_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "tdx_guest"));
    assert_int_equal(out.len, 0);
    assert_int_equal(dev_calls, 0); /* configfs-tsm answered: no fallback to the device */
    vt_buf_free(&out);
    vt_test_rmdir(root);
}

static void test_attest_sevsnp_collect__tsm_wrong_length_or_report_data(void **state)
{
    char root[512], inst[1024];
    uint8_t rep[REPORT_LEN], other[64];
    vt_collect_opts o;
    vt_tee_kind kind = VT_TEE_NONE;
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    opts_init(&o, NULL, 2);
    make_tsm_tree(root, sizeof(root), inst, sizeof(inst), "sev_guest", o.report_data);
    o.sysroot = root;
    vt_buf_init(&out);
    put(inst, "outblob", "short", 5);
    assert_int_equal(vt_evidence_collect(&out, &kind, &o, &err), VT_E_FORMAT);
    assert_int_equal(out.len, 0);
    memset(other, 3, sizeof(other));
    fake_report(rep, other);
    put(inst, "outblob", rep, sizeof(rep));
    assert_int_equal(vt_evidence_collect(&out, &kind, &o, &err), VT_E_IO);
    assert_non_null(strstr(err.msg, "report_data"));
    assert_int_equal(out.len, 0);
    vt_buf_free(&out);
    vt_test_rmdir(root);
}

static void test_attest_sevsnp_collect__cert_table_malformed(void **state)
{
    uint8_t t[4096];
    vt_collateral *c = NULL;
    vt_err err = { 0 };
    uint32_t bad;

    (void)state;
    assert_int_equal(vt_collateral_new(&c, &err), VT_OK);
    assert_int_equal(vt__sevsnp_cert_table(c, NULL, 0, &err), VT_OK); /* no certificates is fine */
    make_cert_table(t, sizeof(t));
    /* offset inside the header */
    bad = 24;
    memcpy(t + 16, &bad, 4);
    assert_int_equal(vt__sevsnp_cert_table(c, t, sizeof(t), &err), VT_E_FORMAT);
    /* offset + length past the end */
    make_cert_table(t, sizeof(t));
    bad = 0xfffffff0u;
    memcpy(t + 20, &bad, 4);
    assert_int_equal(vt__sevsnp_cert_table(c, t, sizeof(t), &err), VT_E_FORMAT);
    /* no terminator */
    memset(t, 0x11, 48);
    assert_int_equal(vt__sevsnp_cert_table(c, t, 48, &err), VT_E_FORMAT);
    assert_int_equal(vt_collateral_count(c), 0); /* nothing added on failure */
    vt_collateral_free(c);
}

/* ---- /dev/sev-guest ---- */

static void test_attest_sevsnp_collect__ioctl_report(void **state)
{
    char root[512];
    vt_collect_opts o;
    vt_hw_info hw;
    vt_tee_kind kind = VT_TEE_NONE;
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    make_dev_tree(root, sizeof(root));
    vt_tee_detect(&hw, root);
    assert_int_equal(hw.selected, VT_TEE_SEVSNP);
    opts_init(&o, root, 0x77);
    o.platform = VT_TEE_NONE; /* detected */
    vt_buf_init(&out);
    dev_mode = DEV_OK;
    dev_calls = 0;
    assert_int_equal(vt_evidence_collect(&out, &kind, &o, &err), VT_OK);
    assert_int_equal(kind, VT_TEE_SEVSNP);
    assert_int_equal(dev_calls, 1);
    assert_int_equal(out.len, REPORT_LEN);
    assert_int_equal(out.data[0], 3);
    assert_memory_equal(out.data + 0x50, o.report_data, 64);
    vt_buf_free(&out);
    vt_test_rmdir(root);
}

static void test_attest_sevsnp_collect__ioctl_firmware_error(void **state)
{
    char root[512];
    vt_collect_opts o;
    vt_tee_kind kind = VT_TEE_NONE;
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    make_dev_tree(root, sizeof(root));
    opts_init(&o, root, 1);
    vt_buf_init(&out);
    dev_mode = DEV_FW_ERROR;
    assert_int_equal(vt_evidence_collect(&out, &kind, &o, &err), VT_E_IO);
    assert_non_null(strstr(err.msg, "status 0x16"));
    assert_int_equal(out.len, 0);
    dev_mode = DEV_ERRNO;
    assert_int_equal(vt_evidence_collect(&out, &kind, &o, &err), VT_E_IO);
    assert_non_null(strstr(err.msg, "firmware error 0x16"));
    assert_int_equal(out.len, 0);
    dev_mode = DEV_OK;
    vt_buf_free(&out);
    vt_test_rmdir(root);
}

static void test_attest_sevsnp_collect__ioctl_short_response(void **state)
{
    char root[512];
    vt_collect_opts o;
    vt_tee_kind kind = VT_TEE_NONE;
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    make_dev_tree(root, sizeof(root));
    opts_init(&o, root, 1);
    vt_buf_init(&out);
    dev_mode = DEV_SHORT;
    assert_int_equal(vt_evidence_collect(&out, &kind, &o, &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "100-byte"));
    assert_int_equal(out.len, 0);
    dev_mode = DEV_OK;
    vt_buf_free(&out);
    vt_test_rmdir(root);
}

static void test_attest_sevsnp_collect__no_device(void **state)
{
    char root[512];
    vt_collect_opts o;
    vt_tee_kind kind = VT_TEE_NONE;
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    vt_test_mkdtemp(root, sizeof(root));
    opts_init(&o, root, 1);
    vt_buf_init(&out);
    assert_int_equal(vt_evidence_collect(&out, &kind, &o, &err), VT_E_UNSUPPORTED);
    assert_int_equal(out.len, 0);
    vt_buf_free(&out);
    vt_test_rmdir(root);
}

/* ---- /dev/sev-guest extended report ---- */

static vt_status collect_ext(vt_collateral **c, vt_buf *out, int mode, vt_err *err)
{
    char root[512];
    vt_collect_opts o;
    vt_tee_kind kind = VT_TEE_NONE;
    vt_status rc;

    make_dev_tree(root, sizeof(root));
    opts_init(&o, root, 0x42);
    assert_int_equal(vt_collateral_new(c, err), VT_OK);
    o.certs_out = *c;
    make_cert_table(ext_table, sizeof(ext_table));
    if (ext_corrupt) {
        uint32_t bad = 0xfffffff0u;
        memcpy(ext_table + 20, &bad, 4);
    }
    dev_mode = DEV_OK;
    ext_mode = mode;
    dev_calls = 0;
    memset(ext_lens, 0, sizeof(ext_lens));
    rc = vt_evidence_collect(out, &kind, &o, err);
    if (rc == VT_OK) {
        assert_int_equal(kind, VT_TEE_SEVSNP);
        assert_int_equal(out->len, REPORT_LEN);
        assert_memory_equal(out->data + 0x50, o.report_data, 64);
    }
    vt_test_rmdir(root);
    return rc;
}

static void test_attest_sevsnp_collect__ext_report_certs(void **state)
{
    vt_collateral *c = NULL;
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&out);
    assert_int_equal(collect_ext(&c, &out, EXT_FITS, &err), VT_OK);
    assert_int_equal(dev_calls, 1);
    assert_int_equal(ext_lens[0], 16384);
    assert_int_equal(vt_collateral_count(c), 3);
    assert_true(coll_has(c, "vcek.der", "VCEK-DER"));
    assert_true(coll_has(c, "ask.der", "ASK-DER!"));
    assert_true(coll_has(c, "ark.der", "ARK-DER"));
    vt_collateral_free(c);
    vt_buf_free(&out);
}

static void test_attest_sevsnp_collect__ext_report_buffer_too_small(void **state)
{
    vt_collateral *c = NULL;
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&out);
    ext_need = 20480;
    assert_int_equal(collect_ext(&c, &out, EXT_GROW, &err), VT_OK);
    assert_int_equal(dev_calls, 2); /* once more, with the size the firmware asked for */
    assert_int_equal(ext_lens[0], 16384);
    assert_int_equal(ext_lens[1], 20480);
    assert_int_equal(vt_collateral_count(c), 3);
    vt_collateral_free(c);
    vt_buf_free(&out);
}

static void test_attest_sevsnp_collect__ext_report_no_loop(void **state)
{
    vt_collateral *c = NULL;
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&out);
    /* still too small after the retry: an error, not a third request */
    assert_int_equal(collect_ext(&c, &out, EXT_GROW_AGAIN, &err), VT_E_IO);
    assert_int_equal(dev_calls, 2);
    assert_non_null(strstr(err.msg, "SNP_GET_EXT_REPORT"));
    assert_int_equal(out.len, 0);
    assert_int_equal(vt_collateral_count(c), 0);
    vt_collateral_free(c);
    /* a size past the cap is refused without asking again */
    assert_int_equal(collect_ext(&c, &out, EXT_HUGE, &err), VT_E_IO);
    assert_int_equal(dev_calls, 1);
    assert_non_null(strstr(err.msg, "1048576-byte"));
    assert_int_equal(out.len, 0);
    vt_collateral_free(c);
    /* any other failure is final (the driver has dropped the VMPCK) */
    assert_int_equal(collect_ext(&c, &out, EXT_EIO, &err), VT_E_IO);
    assert_int_equal(dev_calls, 1);
    assert_non_null(strstr(err.msg, "firmware error 0x27"));
    vt_collateral_free(c);
    vt_buf_free(&out);
}

static void test_attest_sevsnp_collect__ext_report_unsupported_falls_back(void **state)
{
    vt_collateral *c = NULL;
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&out);
    assert_int_equal(collect_ext(&c, &out, EXT_EINVAL, &err), VT_OK);
    assert_int_equal(dev_calls, 2); /* EXT refused, then the plain report */
    assert_int_equal(vt_collateral_count(c), 0);
    vt_collateral_free(c);
    vt_buf_free(&out);
}

static void test_attest_sevsnp_collect__ext_report_bad_table(void **state)
{
    vt_collateral *c = NULL;
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&out);
    ext_corrupt = true;
    assert_int_equal(collect_ext(&c, &out, EXT_FITS, &err), VT_E_FORMAT);
    ext_corrupt = false;
    assert_int_equal(out.len, 0); /* no report without its well-formed table */
    assert_int_equal(vt_collateral_count(c), 0);
    vt_collateral_free(c);
    vt_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attest_sevsnp_collect__tsm_report_and_certs),
        cmocka_unit_test(test_attest_sevsnp_collect__tsm_wrong_provider),
        cmocka_unit_test(test_attest_sevsnp_collect__tsm_wrong_length_or_report_data),
        cmocka_unit_test(test_attest_sevsnp_collect__cert_table_malformed),
        cmocka_unit_test(test_attest_sevsnp_collect__ioctl_report),
        cmocka_unit_test(test_attest_sevsnp_collect__ioctl_firmware_error),
        cmocka_unit_test(test_attest_sevsnp_collect__ioctl_short_response),
        cmocka_unit_test(test_attest_sevsnp_collect__no_device),
        cmocka_unit_test(test_attest_sevsnp_collect__ext_report_certs),
        cmocka_unit_test(test_attest_sevsnp_collect__ext_report_buffer_too_small),
        cmocka_unit_test(test_attest_sevsnp_collect__ext_report_no_loop),
        cmocka_unit_test(test_attest_sevsnp_collect__ext_report_unsupported_falls_back),
        cmocka_unit_test(test_attest_sevsnp_collect__ext_report_bad_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
