/* Sealing: the format rebuilt from its definition, and a blob never opening
 * under another key id, platform, measurement or policy, nor with any bit
 * flipped.  The SEV-SNP root is exercised through a simulated /dev/sev-guest:
 * the test links with -Wl,--wrap=ioctl and answers SNP_GET_DERIVED_KEY the way
 * the firmware does, deriving the key from the guest fields the request
 * selects (here: the launch measurement and policy the test sets). */
#include "vt_test.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "snp_guest_io.h"

/* The simulated guest and chip. */
static uint8_t guest_measurement[48];
static uint64_t guest_policy = 0x30000;
static uint8_t chip_secret[32] = { 0xc1 };
static uint64_t last_fields;
static int fw_status; /* nonzero: the firmware refuses */
static int dev_errno; /* nonzero: the ioctl fails */

/* Another process making the mock root between the library's look and its write. */
static const uint8_t their_root[32] = { 0x7e, 0x57 };
static bool race_first_use;

int __real_access(const char *path, int mode);
int __wrap_access(const char *path, int mode);
int __wrap_access(const char *path, int mode)
{
    size_t n = strlen(path);
    FILE *f;

    if (!race_first_use || n < 14 || strcmp(path + n - 14, "/seal-root.key") != 0)
        return __real_access(path, mode);
    race_first_use = false;
    f = fopen(path, "wx");
    assert_non_null(f);
    assert_int_equal(fwrite(their_root, 1, sizeof(their_root), f), sizeof(their_root));
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0600), 0);
    errno = ENOENT;
    return -1; /* it was not there yet when looked for */
}

int __wrap_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    struct vt_test_snp_io *io;
    const uint8_t *req;
    uint8_t *resp, mix[32 + 48 + 8 + 8];
    uint32_t root_sel, vmpl, status = (uint32_t)fw_status;

    (void)fd;
    va_start(ap, request);
    io = vt_test_snp_io_arg(ap);
    va_end(ap);
    assert_true(request == VT_TEST_SNP_GET_DERIVED_KEY);
    assert_int_equal(io->msg_version, 1);
    if (dev_errno != 0) {
        io->exitinfo2 = 0x16;
        errno = dev_errno;
        return -1;
    }
    req = (const uint8_t *)(uintptr_t)io->req_data;
    resp = (uint8_t *)(uintptr_t)io->resp_data;
    memcpy(&root_sel, req, 4);
    memcpy(&last_fields, req + 8, 8);
    memcpy(&vmpl, req + 16, 4);
    assert_int_equal(root_sel, 0); /* VCEK */
    assert_int_equal(vmpl, 0);
    /* the firmware mixes in exactly the selected fields */
    memset(mix, 0, sizeof(mix));
    memcpy(mix, chip_secret, 32);
    if (last_fields & 0x8)
        memcpy(mix + 32, guest_measurement, 48);
    if (last_fields & 0x1)
        memcpy(mix + 80, &guest_policy, 8);
    memcpy(mix + 88, &last_fields, 8);
    memset(resp, 0, 64);
    memcpy(resp, &status, 4);
    if (status == 0)
        assert_int_equal(vt_digest(VT_MD_SHA256, mix, sizeof(mix), resp + 0x20, NULL), VT_OK);
    return 0;
}

struct fx {
    char dir[512], state[600], state2[600], sysroot[600];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char dev[700];

    vt_test_mkdtemp(f->dir, sizeof(f->dir));
    snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
    snprintf(f->state2, sizeof(f->state2), "%s/state2", f->dir);
    snprintf(f->sysroot, sizeof(f->sysroot), "%s/root", f->dir);
    snprintf(dev, sizeof(dev), "%s/dev", f->sysroot);
    assert_int_equal(vt_mkdir_p(dev, 0755, NULL), VT_OK);
    snprintf(dev, sizeof(dev), "%s/dev/sev-guest", f->sysroot);
    assert_int_equal(vt_file_write(dev, "", 0, 0600, NULL), VT_OK);
    memset(guest_measurement, 0xab, sizeof(guest_measurement));
    guest_policy = 0x30000;
    fw_status = 0;
    dev_errno = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    vt_test_rmdir(f->dir);
    free(f);
    return 0;
}

static const uint8_t secret[] = "model key: 00112233445566778899";

static void seal_one(vt_buf *blob, const vt_seal_root *r, const char *id)
{
    vt_buf_init(blob);
    assert_int_equal(vt_seal(blob, r, id, secret, sizeof(secret), NULL), VT_OK);
    assert_int_equal(blob->len, sizeof(secret) + VT_SEAL_OVERHEAD);
}

static void expect_closed(const vt_seal_root *r, const char *id, const vt_buf *blob)
{
    vt_buf out;
    vt_err err = { 0 };

    vt_buf_init(&out);
    assert_int_equal(vt_unseal(&out, r, id, blob->data, blob->len, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "does not open"));
    assert_int_equal(out.len, 0); /* out unchanged */
    vt_buf_free(&out);
}

static void expect_open(const vt_seal_root *r, const char *id, const vt_buf *blob)
{
    vt_buf out;

    vt_buf_init(&out);
    assert_int_equal(vt_unseal(&out, r, id, blob->data, blob->len, NULL), VT_OK);
    assert_int_equal(out.len, sizeof(secret));
    assert_memory_equal(out.data, secret, sizeof(secret));
    vt_buf_free(&out);
}

static void test_seal_seal__mock_round_trip_and_format(void **state)
{
    struct fx *f = *state;
    static const char info[] = "veritee-seal-v1\0model-key\0mock";
    vt_seal_root r, again;
    uint8_t key[32], pt[sizeof(secret)];
    vt_buf a, b;
    struct stat st;
    char path[700];

    assert_int_equal(vt_seal_root_mock(&r, f->state, NULL), VT_OK);
    assert_false(r.hardware);
    assert_int_equal(r.platform, VT_SEAL_MOCK);
    snprintf(path, sizeof(path), "%s/seal-root.key", f->state);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 077, 0);
    assert_int_equal(vt_seal_root_mock(&again, f->state, NULL), VT_OK); /* the same key next time */
    assert_memory_equal(again.key, r.key, 32);
    seal_one(&a, &r, "model-key");
    seal_one(&b, &r, "model-key");
    assert_memory_not_equal(a.data, b.data, 12); /* a fresh nonce each time */
    expect_open(&again, "model-key", &a);
    /* nonce(12) || ct || tag(16), key = HKDF-SHA256(root, info = label 0 key_id 0 platform) */
    assert_int_equal(vt_hkdf_sha256(key, 32, r.key, 32, NULL, 0, (const uint8_t *)info, sizeof(info) - 1, NULL),
                     VT_OK);
    assert_int_equal(vt_aead_open(pt, VT_AEAD_AES_256_GCM, key, a.data, NULL, 0, a.data + 12,
                                  sizeof(secret) + VT_AEAD_TAG_LEN, NULL),
                     VT_OK);
    assert_memory_equal(pt, secret, sizeof(secret));
    vt_buf_free(&a);
    vt_buf_free(&b);
    vt_seal_root_wipe(&r);
    vt_seal_root_wipe(&again);
}

/* Two first uses at once: the root one process made is the root both use, never replaced by
 * the other's (a blob sealed under the first would never open again). */
static void test_seal_seal__mock_root_made_meanwhile_is_kept(void **state)
{
    struct fx *f = *state;
    vt_seal_root r, again;

    race_first_use = true;
    assert_int_equal(vt_seal_root_mock(&r, f->state, NULL), VT_OK);
    assert_false(race_first_use);
    assert_memory_equal(r.key, their_root, sizeof(their_root));
    assert_int_equal(vt_seal_root_mock(&again, f->state, NULL), VT_OK);
    assert_memory_equal(again.key, their_root, sizeof(their_root));
    vt_seal_root_wipe(&r);
    vt_seal_root_wipe(&again);
}

static void test_seal_seal__other_key_id_platform_or_state_never_opens(void **state)
{
    struct fx *f = *state;
    vt_seal_root r, other, as_snp;
    vt_buf blob;

    assert_int_equal(vt_seal_root_mock(&r, f->state, NULL), VT_OK);
    assert_int_equal(vt_seal_root_mock(&other, f->state2, NULL), VT_OK);
    seal_one(&blob, &r, "model-key");
    expect_closed(&r, "model-keY", &blob);
    expect_closed(&r, "model-key\n", &blob);
    expect_closed(&other, "model-key", &blob);
    as_snp = r; /* the same root bytes under another platform tag */
    as_snp.platform = VT_SEAL_SEVSNP;
    expect_closed(&as_snp, "model-key", &blob);
    expect_open(&r, "model-key", &blob);
    vt_buf_free(&blob);
}

static void test_seal_seal__any_flipped_bit_or_truncation_fails(void **state)
{
    struct fx *f = *state;
    vt_seal_root r;
    vt_buf blob, out;
    vt_err err = { 0 };

    assert_int_equal(vt_seal_root_mock(&r, f->state, NULL), VT_OK);
    seal_one(&blob, &r, "k");
    for (size_t bit = 0; bit < 8 * blob.len; bit++) {
        blob.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        expect_closed(&r, "k", &blob);
        blob.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    vt_buf_init(&out);
    for (size_t n = 0; n < blob.len; n++) {
        vt_status want = n < VT_SEAL_OVERHEAD ? VT_E_FORMAT : VT_E_CRYPTO;
        assert_int_equal(vt_unseal(&out, &r, "k", blob.data, n, &err), want);
        assert_int_equal(out.len, 0);
    }
    assert_int_equal(vt_buf_append(&blob, "", 1, NULL), VT_OK); /* a trailing byte */
    assert_int_equal(vt_unseal(&out, &r, "k", blob.data, blob.len, &err), VT_E_CRYPTO);
    assert_int_equal(vt_unseal(&out, &r, "", blob.data, blob.len, &err), VT_E_ARG);
    vt_buf_free(&out);
    vt_buf_free(&blob);
}

static void test_seal_seal__empty_plaintext(void **state)
{
    struct fx *f = *state;
    vt_seal_root r;
    vt_buf blob, out;

    assert_int_equal(vt_seal_root_mock(&r, f->state, NULL), VT_OK);
    vt_buf_init(&blob);
    vt_buf_init(&out);
    assert_int_equal(vt_seal(&blob, &r, "k", NULL, 0, NULL), VT_OK);
    assert_int_equal(blob.len, VT_SEAL_OVERHEAD);
    assert_int_equal(vt_unseal(&out, &r, "k", blob.data, blob.len, NULL), VT_OK);
    assert_int_equal(out.len, 0);
    vt_buf_free(&blob);
    vt_buf_free(&out);
}

static void test_seal_seal__sevsnp_binds_measurement_and_policy(void **state)
{
    struct fx *f = *state;
    vt_seal_root r, later;
    vt_buf blob;

    assert_int_equal(vt_seal_root_sevsnp(&r, f->sysroot, NULL), VT_OK);
    assert_true(r.hardware);
    assert_int_equal(last_fields, 0x9); /* guest policy and measurement selected */
    seal_one(&blob, &r, "model-key");
    /* the same guest again: opens */
    assert_int_equal(vt_seal_root_sevsnp(&later, f->sysroot, NULL), VT_OK);
    expect_open(&later, "model-key", &blob);
    /* another launch measurement */
    guest_measurement[47] ^= 1;
    assert_int_equal(vt_seal_root_sevsnp(&later, f->sysroot, NULL), VT_OK);
    expect_closed(&later, "model-key", &blob);
    guest_measurement[47] ^= 1;
    /* another policy (e.g. debug allowed) */
    guest_policy |= 1ull << 19;
    assert_int_equal(vt_seal_root_sevsnp(&later, f->sysroot, NULL), VT_OK);
    expect_closed(&later, "model-key", &blob);
    guest_policy &= ~(1ull << 19);
    /* another chip */
    chip_secret[0] ^= 1;
    assert_int_equal(vt_seal_root_sevsnp(&later, f->sysroot, NULL), VT_OK);
    expect_closed(&later, "model-key", &blob);
    chip_secret[0] ^= 1;
    /* the mock root never opens a hardware blob, whatever its bytes */
    later = r;
    later.platform = VT_SEAL_MOCK;
    later.hardware = false;
    expect_closed(&later, "model-key", &blob);
    vt_buf_free(&blob);
    vt_seal_root_wipe(&r);
    vt_seal_root_wipe(&later);
}

static void test_seal_seal__sevsnp_failures_are_clear(void **state)
{
    struct fx *f = *state;
    vt_seal_root r;
    vt_err err = { 0 };
    char none[700];

    fw_status = 0x16;
    assert_int_equal(vt_seal_root_sevsnp(&r, f->sysroot, &err), VT_E_IO);
    assert_non_null(strstr(err.msg, "firmware refused"));
    fw_status = 0;
    dev_errno = EIO;
    assert_int_equal(vt_seal_root_sevsnp(&r, f->sysroot, &err), VT_E_IO);
    assert_non_null(strstr(err.msg, "SNP_GET_DERIVED_KEY"));
    for (size_t i = 0; i < sizeof(r.key); i++)
        assert_int_equal(r.key[i], 0); /* no key on failure */
    dev_errno = 0;
    snprintf(none, sizeof(none), "%s/nothing", f->dir);
    assert_int_equal(vt_seal_root_sevsnp(&r, none, &err), VT_E_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_seal_seal__mock_round_trip_and_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_seal__mock_root_made_meanwhile_is_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_seal__other_key_id_platform_or_state_never_opens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_seal__any_flipped_bit_or_truncation_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_seal__empty_plaintext, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_seal__sevsnp_binds_measurement_and_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_seal__sevsnp_failures_are_clear, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
