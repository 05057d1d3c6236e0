/* Nitro collection against a simulated /dev/nsm: the test links with
 * -Wl,--wrap=ioctl, so the library's ioctl lands in __wrap_ioctl below, which
 * answers like the NSM driver with a document made by the Nitro simulator.
 * The device node itself is a plain file in a stand-in sysroot. */
#include "vt_test.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tee/collect.h"

#define NSM_IOCTL_RAW 0xC0200A00ul
#define T0 1748736000 /* 2025-06-01T00:00:00Z */

struct fake_raw {
    uint64_t req_addr, req_len, resp_addr, resp_len;
};

enum { DEV_OK, DEV_ERROR, DEV_SHORT, DEV_FULL, DEV_ERRNO, DEV_OTHER_NONCE, DEV_GARBAGE, DEV_RAW };
static int dev_mode;
static vt_buf dev_doc;          /* what the device answers with */
static vt_buf dev_expect_req;   /* the request it must receive */

static void put(uint8_t **p, const void *s, size_t n)
{
    memcpy(*p, s, n);
    *p += n;
}

int __wrap_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    struct fake_raw *raw;
    uint8_t *resp, *p;
    size_t n;

    (void)fd;
    va_start(ap, request);
    raw = va_arg(ap, struct fake_raw *);
    va_end(ap);
    assert_int_equal(request, NSM_IOCTL_RAW);
    assert_true(raw->req_len <= 0x1000);
    assert_int_equal(raw->req_len, dev_expect_req.len);
    assert_memory_equal((const void *)(uintptr_t)raw->req_addr, dev_expect_req.data, dev_expect_req.len);
    assert_true(raw->resp_len > 0x3000); /* room for the largest device response */
    if (dev_mode == DEV_ERRNO) {
        errno = ETIMEDOUT;
        return -1;
    }
    resp = (uint8_t *)(uintptr_t)raw->resp_addr;
    p = resp;
    if (dev_mode == DEV_ERROR) {
        put(&p, "\xa1\x65" "Error" "\x6f" "InvalidArgument", 1 + 1 + 5 + 1 + 15);
    } else if (dev_mode == DEV_GARBAGE) {
        put(&p, "\x82\x01\x02", 3);
    } else if (dev_mode == DEV_RAW) {
        put(&p, dev_doc.data, dev_doc.len); /* dev_doc is the whole response */
    } else {
        /* {"Attestation": {"document": bstr(doc)}} */
        put(&p, "\xa1\x6b" "Attestation" "\xa1\x68" "document", 1 + 1 + 11 + 1 + 1 + 8);
        put(&p, "\x59", 1);
        *p++ = (uint8_t)(dev_doc.len >> 8);
        *p++ = (uint8_t)dev_doc.len;
        put(&p, dev_doc.data, dev_doc.len);
    }
    n = (size_t)(p - resp);
    if (dev_mode == DEV_SHORT)
        n /= 2; /* what a too-small buffer would have left */
    if (dev_mode == DEV_FULL)
        n = raw->resp_len;
    raw->resp_len = n;
    return 0;
}

struct fx {
    char root[512];
    char state[512];
    uint8_t rd[64];
};

static const uint8_t ud[3] = { 'a', 'b', 'c' };
static const uint8_t pk[2] = { 0x04, 0x05 };

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char path[700];
    FILE *fp;
    vt_sim_nitro_opts so;
    vt_err err = { 0 };

    assert_non_null(f);
    vt_test_mkdtemp(f->root, sizeof(f->root));
    vt_test_mkdtemp(f->state, sizeof(f->state));
    snprintf(path, sizeof(path), "%s/dev", f->root);
    assert_int_equal(vt_mkdir_p(path, 0755, &err), VT_OK);
    snprintf(path, sizeof(path), "%s/dev/nsm", f->root);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    for (int i = 0; i < 64; i++)
        f->rd[i] = (uint8_t)(0xa0 + i);
    vt_buf_init(&dev_doc);
    vt_buf_init(&dev_expect_req);
    assert_int_equal(vt__nsm_request(&dev_expect_req, f->rd, 64, ud, sizeof(ud), pk, sizeof(pk), &err), VT_OK);
    memset(&so, 0, sizeof(so));
    so.nonce = f->rd;
    so.nonce_len = 64;
    so.user_data = ud;
    so.user_data_len = sizeof(ud);
    so.public_key = pk;
    so.public_key_len = sizeof(pk);
    so.now = T0;
    so.state_dir = f->state;
    if (vt_sim_nitro(&dev_doc, &so, &err) != VT_OK)
        fail_msg("vt_sim_nitro: %s", err.msg);
    dev_mode = DEV_OK;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    vt_buf_free(&dev_doc);
    vt_buf_free(&dev_expect_req);
    vt_test_rmdir(f->root);
    vt_test_rmdir(f->state);
    free(f);
    return 0;
}

static vt_status collect(struct fx *f, vt_buf *out, vt_err *err)
{
    vt_collect_opts o;
    vt_tee_kind kind = VT_TEE_NONE;
    vt_status rc;

    memset(&o, 0, sizeof(o));
    o.platform = VT_TEE_NITRO;
    o.sysroot = f->root;
    o.state_dir = f->state;
    memcpy(o.report_data, f->rd, 64);
    o.user_data = ud;
    o.user_data_len = sizeof(ud);
    o.public_key = pk;
    o.public_key_len = sizeof(pk);
    rc = vt_evidence_collect(out, &kind, &o, err);
    if (rc == VT_OK)
        assert_int_equal(kind, VT_TEE_NITRO);
    return rc;
}

static void test_attest_nitro_collect__detect(void **state)
{
    struct fx *f = *state;
    vt_hw_info hw;
    bool seen = false;

    vt_tee_detect(&hw, f->root);
    for (size_t i = 0; i < hw.count; i++)
        if (hw.entries[i].kind == VT_TEE_NITRO) {
            seen = true;
            assert_true(hw.entries[i].present);
        }
    assert_true(seen);
    assert_int_equal(hw.selected, VT_TEE_NITRO);
}

static void test_attest_nitro_collect__document(void **state)
{
    struct fx *f = *state;
    vt_buf out;
    vt_err err = { 0 };
    vt_result res;
    vt_verify_opts vo;

    vt_buf_init(&out);
    if (collect(f, &out, &err) != VT_OK)
        fail_msg("collect: %s", err.msg);
    assert_int_equal(out.len, dev_doc.len);
    assert_memory_equal(out.data, dev_doc.data, out.len);
    /* And it verifies like any document, bound to the report_data asked for. */
    memset(&vo, 0, sizeof(vo));
    vo.now = T0 + 60;
    vo.trust_sim = true;
    vo.state_dir = f->state;
    vo.allow_missing_collateral = true;
    vo.expected_report_data = f->rd;
    vo.expected_report_data_len = 64;
    assert_int_equal(vt_evidence_verify(&res, out.data, out.len, &vo, &err), VT_OK);
    assert_true(res.valid);
    assert_false(res.claims.hardware_attested);
    vt_buf_free(&out);
}

static void expect_fail(struct fx *f, int mode, vt_status want, const char *msg)
{
    vt_buf out;
    vt_err err = { 0 };

    vt_buf_init(&out);
    dev_mode = mode;
    assert_int_equal(collect(f, &out, &err), want);
    assert_int_equal(out.len, 0); /* nothing appended on failure */
    if (strstr(err.msg, msg) == NULL)
        fail_msg("error '%s' lacks '%s'", err.msg, msg);
    vt_buf_free(&out);
}

static void test_attest_nitro_collect__nsm_error(void **state)
{
    expect_fail(*state, DEV_ERROR, VT_E_IO, "refused the attestation request: InvalidArgument");
}

static void test_attest_nitro_collect__short_response(void **state)
{
    expect_fail(*state, DEV_SHORT, VT_E_FORMAT, "truncated");
}

static void test_attest_nitro_collect__full_buffer(void **state)
{
    expect_fail(*state, DEV_FULL, VT_E_IO, "may be truncated");
}

static void test_attest_nitro_collect__ioctl_errno(void **state)
{
    expect_fail(*state, DEV_ERRNO, VT_E_IO, "NSM_IOCTL_RAW");
}

static void test_attest_nitro_collect__garbage(void **state)
{
    expect_fail(*state, DEV_GARBAGE, VT_E_FORMAT, "one-entry CBOR map");
}

static void test_attest_nitro_collect__other_nonce(void **state)
{
    struct fx *f = *state;
    vt_sim_nitro_opts so;
    uint8_t other[64] = { 0 };
    vt_err err = { 0 };

    memset(&so, 0, sizeof(so));
    so.nonce = other;
    so.nonce_len = sizeof(other);
    so.user_data = ud;
    so.user_data_len = sizeof(ud);
    so.public_key = pk;
    so.public_key_len = sizeof(pk);
    so.now = T0;
    so.state_dir = f->state;
    dev_doc.len = 0;
    assert_int_equal(vt_sim_nitro(&dev_doc, &so, &err), VT_OK);
    expect_fail(f, DEV_OK, VT_E_IO, "does not carry the nonce");
}

static void test_attest_nitro_collect__no_device(void **state)
{
    struct fx *f = *state;
    char path[700];

    snprintf(path, sizeof(path), "%s/dev/nsm", f->root);
    assert_int_equal(remove(path), 0);
    expect_fail(f, DEV_OK, VT_E_UNSUPPORTED, "cannot open");
}

static void test_attest_nitro_collect__response_parser(void **state)
{
    vt_buf d;
    vt_err err = { 0 };
    static const uint8_t ok[] = { 0xa1, 0x6b, 'A', 't', 't', 'e', 's', 't', 'a', 't', 'i', 'o', 'n',
                                  0xa1, 0x68, 'd', 'o', 'c', 'u', 'm', 'e', 'n', 't', 0x42, 0x84, 0x40 };
    (void)state;
    vt_buf_init(&d);
    assert_int_equal(vt__nsm_response(&d, ok, sizeof(ok), &err), VT_OK);
    assert_int_equal(d.len, 2);
    for (size_t n = 0; n < sizeof(ok); n++) {
        d.len = 0;
        assert_int_not_equal(vt__nsm_response(&d, ok, n, &err), VT_OK);
        assert_int_equal(d.len, 0);
    }
    vt_buf_free(&d);
}

/* ExtendPCR / LockPCR through the device: the request's CBOR, the answer's value, the NSM's refusal. */
static void test_attest_nitro_collect__pcr_extend_lock(void **state)
{
    struct fx *f = *state;
    static const uint8_t lock_req[] = { 0xa1, 0x67, 'L', 'o', 'c', 'k', 'P', 'C', 'R', 0xa1, 0x65,
                                        'i', 'n', 'd', 'e', 'x', 0x10 };
    uint8_t data[48], got[48];
    vt_err err = { 0 };

    memset(data, 0x42, sizeof(data));
    /* {"ExtendPCR": {"index": 16, "data": h'42..'}} */
    dev_expect_req.len = 0;
    assert_int_equal(vt_buf_append(&dev_expect_req, "\xa1\x69" "ExtendPCR" "\xa2\x65" "index" "\x10\x64" "data" "\x58\x30",
                                   2 + 9 + 2 + 5 + 2 + 4 + 2, NULL), VT_OK);
    assert_int_equal(vt_buf_append(&dev_expect_req, data, 48, NULL), VT_OK);
    {
        vt_buf mine;
        vt_buf_init(&mine);
        assert_int_equal(vt__nsm_pcr_request(&mine, false, 16, data, 48, &err), VT_OK);
        assert_int_equal(mine.len, dev_expect_req.len);
        assert_memory_equal(mine.data, dev_expect_req.data, mine.len);
        vt_buf_free(&mine);
    }
    dev_doc.len = 0;
    assert_int_equal(vt_buf_append(&dev_doc, "\xa1\x69" "ExtendPCR" "\xa1\x64" "data" "\x58\x30", 2 + 9 + 2 + 4 + 2, NULL),
                     VT_OK);
    memset(got, 0x77, sizeof(got));
    assert_int_equal(vt_buf_append(&dev_doc, got, 48, NULL), VT_OK);
    dev_mode = DEV_RAW;
    memset(got, 0, sizeof(got));
    assert_int_equal(vt__nsm_pcr(got, f->root, false, 16, data, 48, &err), VT_OK);
    assert_memory_equal(got, dev_doc.data + dev_doc.len - 48, 48);
    /* LockPCR answers the unit variant "LockPCR" */
    dev_expect_req.len = 0;
    assert_int_equal(vt_buf_append(&dev_expect_req, lock_req, sizeof(lock_req), NULL), VT_OK);
    dev_doc.len = 0;
    assert_int_equal(vt_buf_append(&dev_doc, "\x67" "LockPCR", 8, NULL), VT_OK);
    assert_int_equal(vt__nsm_pcr(NULL, f->root, true, 16, NULL, 0, &err), VT_OK);
    /* A locked PCR: the NSM's error is named */
    dev_doc.len = 0;
    assert_int_equal(vt_buf_append(&dev_doc, "\xa1\x65" "Error" "\x6d" "ReadOnlyIndex", 2 + 5 + 1 + 13, NULL), VT_OK);
    assert_int_equal(vt__nsm_pcr(NULL, f->root, true, 16, NULL, 0, &err), VT_E_IO);
    assert_non_null(strstr(err.msg, "ReadOnlyIndex"));
    /* Out-of-range requests never reach the device */
    assert_int_equal(vt__nsm_pcr(NULL, f->root, false, 32, data, 48, &err), VT_E_ARG);
    assert_int_equal(vt__nsm_pcr(NULL, f->root, false, 16, NULL, 0, &err), VT_E_ARG);
}

/* The PCR responses: every truncation, trailing bytes, a wrong length and the other variant. */
static void test_attest_nitro_collect__pcr_response_parser(void **state)
{
    uint8_t ok[2 + 9 + 2 + 4 + 2 + 48 + 1], out[48];
    vt_err err = { 0 };

    (void)state;
    memcpy(ok, "\xa1\x69" "ExtendPCR" "\xa1\x64" "data" "\x58\x30", 19);
    for (int i = 0; i < 48; i++)
        ok[19 + i] = (uint8_t)i;
    assert_int_equal(vt__nsm_pcr_response(out, false, ok, 67, &err), VT_OK);
    assert_memory_equal(out, ok + 19, 48);
    for (size_t n = 0; n < 67; n++)
        assert_int_equal(vt__nsm_pcr_response(out, false, ok, n, &err), VT_E_FORMAT);
    ok[67] = 0;
    assert_int_equal(vt__nsm_pcr_response(out, false, ok, 68, &err), VT_E_FORMAT);
    ok[18] = 0x2f; /* 47 bytes */
    assert_int_equal(vt__nsm_pcr_response(out, false, ok, 66, &err), VT_E_FORMAT);
    assert_int_equal(vt__nsm_pcr_response(NULL, true, ok, 67, &err), VT_E_FORMAT); /* not "LockPCR" */
    assert_int_equal(vt__nsm_pcr_response(NULL, true, (const uint8_t *)"\x67" "LockPCR", 8, &err), VT_OK);
    assert_int_equal(vt__nsm_pcr_response(NULL, true, (const uint8_t *)"\x67" "LockPCR" "x", 9, &err), VT_E_FORMAT);
    assert_int_equal(vt__nsm_pcr_response(NULL, true, (const uint8_t *)"\xa1\x65" "Error" "\x7f", 8, &err),
                     VT_E_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_attest_nitro_collect__detect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attest_nitro_collect__document, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attest_nitro_collect__nsm_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attest_nitro_collect__short_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attest_nitro_collect__full_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attest_nitro_collect__ioctl_errno, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attest_nitro_collect__garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attest_nitro_collect__other_nonce, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attest_nitro_collect__no_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attest_nitro_collect__response_parser, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attest_nitro_collect__pcr_extend_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attest_nitro_collect__pcr_response_parser, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
