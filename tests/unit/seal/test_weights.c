/* Encrypted model weights: round trips, the format rebuilt here from its
 * definition (include/veritee/weights.h), and every tamper case: header bits,
 * tags, truncation, trailing bytes, reordered segments, a segment from another
 * file, a file under another name, a wrong key, a wrong digest. */
#include "vt_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEG VT_MEASURE_CHUNK
#define SEGCT (SEG + 16)
#define HDR VT_WEIGHTS_HEADER_LEN

struct fx {
    char dir[512];
    char plain[600], enc[600], out[600];
    uint8_t key[32];
    uint8_t *data;
    size_t len;
};

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 131u) ^ (i >> 11) ^ seed);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    vt_test_mkdtemp(f->dir, sizeof(f->dir));
    snprintf(f->plain, sizeof(f->plain), "%s/model.safetensors", f->dir);
    snprintf(f->enc, sizeof(f->enc), "%s/model.enc", f->dir);
    snprintf(f->out, sizeof(f->out), "%s/out", f->dir);
    memset(f->key, 0x42, sizeof(f->key));
    f->len = 2 * SEG + 12345; /* two full segments and a short last one */
    f->data = malloc(f->len);
    fill(f->data, f->len, 1);
    assert_int_equal(vt_file_write(f->plain, f->data, f->len, 0600, NULL), VT_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    vt_test_rmdir(f->dir);
    free(f->data);
    free(f);
    return 0;
}

static void load(vt_buf *b, const char *path)
{
    vt_buf_init(b);
    assert_int_equal(vt_file_read(b, path, (size_t)1 << 30, NULL), VT_OK);
}

static void store(const char *path, const uint8_t *p, size_t n)
{
    assert_int_equal(vt_file_write(path, p, n, 0600, NULL), VT_OK);
}

static vt_status decrypt(struct fx *f, const char *name, vt_err *err)
{
    vt_weights_opts o = { .threads = 3 };
    return vt_weights_decrypt_file(NULL, f->out, f->enc, f->key, name, &o, err);
}

static void expect_refused(struct fx *f, const char *name, vt_status want, const char *msg)
{
    vt_err err = { 0 };
    struct stat st;

    assert_int_equal(decrypt(f, name, &err), want);
    if (msg != NULL && strstr(err.msg, msg) == NULL)
        fail_msg("error \"%s\" does not say \"%s\"", err.msg, msg);
    assert_int_not_equal(stat(f->out, &st), 0); /* nothing written */
}

static void encrypt(struct fx *f)
{
    vt_weights_info info;
    uint8_t digest[32];
    uint64_t size = 0;

    assert_int_equal(vt_weights_encrypt_file(&info, f->enc, f->plain, f->key, "model.safetensors", NULL, NULL),
                     VT_OK);
    assert_int_equal(vt_measure_file(digest, &size, f->plain, NULL), VT_OK);
    assert_memory_equal(info.digest, digest, 32);
    assert_int_equal(info.size, f->len);
    assert_int_equal(info.segments, 3);
}

static void test_seal_weights__round_trip_any_size_any_threads(void **state)
{
    struct fx *f = *state;
    const size_t sizes[] = { 0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG + 12345 };

    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (unsigned t = 1; t <= 4; t += 3) {
            vt_weights_opts o = { .threads = t };
            vt_weights_info ei, di;
            uint8_t digest[32];
            uint64_t size = 0;
            vt_buf enc, out;
            vt_err err = { 0 };

            store(f->plain, f->data, sizes[s]);
            assert_int_equal(vt_weights_encrypt_file(&ei, f->enc, f->plain, f->key, "m", &o, &err), VT_OK);
            load(&enc, f->enc);
            assert_int_equal(enc.len, vt_weights_encrypted_size(sizes[s]));
            assert_int_equal(enc.len, HDR + sizes[s] + 16 * (sizes[s] == 0 ? 1 : (sizes[s] + SEG - 1) / SEG));
            if (sizes[s] > 64) /* the plaintext does not show through */
                assert_null(memmem(enc.data, enc.len, f->data + 16, 48));
            assert_int_equal(vt_weights_decrypt_file(&di, f->out, f->enc, f->key, "m", &o, &err), VT_OK);
            load(&out, f->out);
            assert_int_equal(out.len, sizes[s]);
            if (sizes[s] > 0)
                assert_memory_equal(out.data, f->data, sizes[s]);
            assert_int_equal(vt_measure_file(digest, &size, f->plain, NULL), VT_OK);
            assert_memory_equal(di.digest, digest, 32);
            assert_memory_equal(ei.digest, digest, 32);
            vt_buf_free(&enc);
            vt_buf_free(&out);
            unlink(f->out);
        }
    }
}

/* The format rebuilt from its definition: decrypts what the library wrote,
 * and only with the nonce and aad the definition gives. */
static void test_seal_weights__matches_the_format_definition(void **state)
{
    struct fx *f = *state;
    static const char info[] = "veritee-weights-v1 file key";
    uint8_t fkey[32], nonce[12], aad[32], nl[4] = { 17, 0, 0, 0 }, *pt = malloc(SEG);
    const void *parts[3];
    size_t lens[3];
    vt_weights_header h;
    vt_buf enc;

    encrypt(f);
    load(&enc, f->enc);
    assert_int_equal(vt_weights_header_parse(&h, enc.data, enc.len, NULL), VT_OK);
    assert_memory_equal(enc.data, "VTWGHT01", 8);
    assert_int_equal(h.size, f->len);
    assert_int_equal(vt_hkdf_sha256(fkey, 32, f->key, 32, h.salt, 16, (const uint8_t *)info, sizeof(info) - 1, NULL),
                     VT_OK);
    parts[0] = enc.data, lens[0] = HDR;
    parts[1] = nl, lens[1] = 4;
    parts[2] = "model.safetensors", lens[2] = 17;
    assert_int_equal(vt_digestv(VT_MD_SHA256, parts, lens, 3, aad, NULL), VT_OK);
    for (uint32_t i = 0; i < 3; i++) {
        size_t len = i < 2 ? SEG : 12345;
        const uint8_t *seg = enc.data + HDR + (size_t)i * SEGCT;
        memcpy(nonce, h.nonce_prefix, 7);
        nonce[7] = 0, nonce[8] = 0, nonce[9] = 0, nonce[10] = (uint8_t)i;
        nonce[11] = i == 2; /* the last-segment flag */
        assert_int_equal(vt_aead_open(pt, VT_AEAD_AES_256_GCM, fkey, nonce, aad, 32, seg, len + VT_AEAD_TAG_LEN, NULL), VT_OK);
        assert_memory_equal(pt, f->data + (size_t)i * SEG, len);
        nonce[11] ^= 1; /* a last segment passed off as inner, or the reverse */
        assert_int_equal(vt_aead_open(pt, VT_AEAD_AES_256_GCM, fkey, nonce, aad, 32, seg, len + VT_AEAD_TAG_LEN, NULL), VT_E_CRYPTO);
    }
    free(pt);
    vt_buf_free(&enc);
}

static void test_seal_weights__wrong_key_or_name_never_opens(void **state)
{
    struct fx *f = *state;

    encrypt(f);
    expect_refused(f, "model-00002.safetensors", VT_E_CRYPTO, "wrong name"); /* file swap */
    f->key[31] ^= 0x80;
    expect_refused(f, "model.safetensors", VT_E_CRYPTO, "header does not authenticate");
    f->key[31] ^= 0x80;
    assert_int_equal(decrypt(f, "model.safetensors", NULL), VT_OK);
}

static void test_seal_weights__every_header_bit_counts(void **state)
{
    struct fx *f = *state;
    uint8_t head[HDR];
    int fd, out;

    encrypt(f);
    fd = open(f->enc, O_RDWR);
    out = memfd_create("plain", MFD_CLOEXEC);
    assert_true(fd >= 0 && out >= 0);
    assert_int_equal(pread(fd, head, HDR, 0), HDR);
    for (size_t bit = 0; bit < 8 * HDR; bit++) {
        vt_err err = { 0 };
        uint8_t b = (uint8_t)(head[bit / 8] ^ (1u << (bit % 8)));
        assert_int_equal(pwrite(fd, &b, 1, (off_t)(bit / 8)), 1);
        if (vt_weights_decrypt_fd(NULL, out, fd, f->key, "model.safetensors", NULL, &err) == VT_OK)
            fail_msg("header bit %zu flipped and the file still decrypted", bit);
        assert_int_equal(pwrite(fd, &head[bit / 8], 1, (off_t)(bit / 8)), 1);
    }
    assert_int_equal(vt_weights_decrypt_fd(NULL, out, fd, f->key, "model.safetensors", NULL, NULL), VT_OK);
    close(fd);
    close(out);
}

static void test_seal_weights__altered_segments_and_tags_fail(void **state)
{
    struct fx *f = *state;
    const size_t at[] = { HDR, HDR + SEG / 2, HDR + SEG + 15, /* a tag */ HDR + SEGCT + 100,
                          HDR + 2 * SEGCT + 12345 + 15 /* the last byte */ };
    vt_buf enc;

    encrypt(f);
    load(&enc, f->enc);
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        enc.data[at[i]] ^= 0x01;
        store(f->enc, enc.data, enc.len);
        expect_refused(f, "model.safetensors", VT_E_CRYPTO, "does not authenticate");
        enc.data[at[i]] ^= 0x01;
    }
    vt_buf_free(&enc);
}

static void test_seal_weights__truncated_or_extended_fails(void **state)
{
    struct fx *f = *state;
    const size_t cut[] = { 0, 1, HDR - 1, HDR, HDR + SEGCT, 2 * SEGCT + HDR /* whole last segment gone */ };
    vt_buf enc;

    encrypt(f);
    load(&enc, f->enc);
    for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
        vt_err err = { 0 };
        struct stat st;
        store(f->enc, enc.data, cut[i]);
        assert_int_not_equal(decrypt(f, "model.safetensors", &err), VT_OK);
        assert_non_null(strstr(err.msg, "truncated"));
        assert_int_not_equal(stat(f->out, &st), 0);
    }
    store(f->enc, enc.data, enc.len - 1);
    expect_refused(f, "model.safetensors", VT_E_CRYPTO, "truncated");
    assert_int_equal(vt_buf_append(&enc, "x", 1, NULL), VT_OK);
    store(f->enc, enc.data, enc.len);
    expect_refused(f, "model.safetensors", VT_E_CRYPTO, "too long");
    vt_buf_free(&enc);
}

static void test_seal_weights__reordered_or_foreign_segments_fail(void **state)
{
    struct fx *f = *state;
    uint8_t *tmp = malloc(SEGCT);
    vt_buf a, b;

    /* Two encryptions of the same plaintext, key and name. */
    encrypt(f);
    load(&a, f->enc);
    encrypt(f);
    load(&b, f->enc);
    assert_memory_not_equal(a.data, b.data, HDR); /* fresh salt and nonce prefix per file */
    /* segments 0 and 1 swapped */
    memcpy(tmp, a.data + HDR, SEGCT);
    memcpy(a.data + HDR, a.data + HDR + SEGCT, SEGCT);
    memcpy(a.data + HDR + SEGCT, tmp, SEGCT);
    store(f->enc, a.data, a.len);
    expect_refused(f, "model.safetensors", VT_E_CRYPTO, "does not authenticate"); /* either one, first */
    memcpy(a.data + HDR + SEGCT, a.data + HDR, SEGCT);
    memcpy(a.data + HDR, tmp, SEGCT);
    store(f->enc, a.data, a.len);
    assert_int_equal(decrypt(f, "model.safetensors", NULL), VT_OK);
    unlink(f->out);
    /* segment 1 taken from the other file */
    memcpy(a.data + HDR + SEGCT, b.data + HDR + SEGCT, SEGCT);
    store(f->enc, a.data, a.len);
    expect_refused(f, "model.safetensors", VT_E_CRYPTO, "segment 1 of 3");
    /* the other file's header over this file's segments */
    memcpy(b.data + HDR, a.data + HDR, SEGCT);
    store(f->enc, b.data, b.len);
    expect_refused(f, "model.safetensors", VT_E_CRYPTO, "does not authenticate"); /* either one, first */
    free(tmp);
    vt_buf_free(&a);
    vt_buf_free(&b);
}

/* Re-encodes f's 3-segment file (the last 12345 bytes) in enc under its header as it now
 * stands, as a key holder would (the format definition, include/veritee/weights.h):
 * the header tag, then every segment's tag under aad = SHA-256(header || u32le(len) || name). */
static void reseal(const struct fx *f, vt_buf *enc)
{
    static const char info[] = "veritee-weights-v1 file key";
    static const uint8_t nl[4] = { 17, 0, 0, 0 };
    uint8_t fkey[32], nonce[12], aad[32], haad[HDR - 16 + 4 + 17];
    const void *parts[3] = { enc->data, nl, "model.safetensors" };
    size_t lens[3] = { HDR, 4, 17 };
    vt_weights_header h;

    assert_int_equal(vt_weights_header_parse(&h, enc->data, enc->len, NULL), VT_OK);
    assert_int_equal(vt_hkdf_sha256(fkey, 32, f->key, 32, h.salt, 16, (const uint8_t *)info, sizeof(info) - 1, NULL),
                     VT_OK);
    /* header tag: aad = header[0..80) || u32le(len) || name, nonce = prefix || ffffffff || 02 */
    memcpy(haad, enc->data, HDR - 16);
    memcpy(haad + HDR - 16, nl, 4);
    memcpy(haad + HDR - 12, "model.safetensors", 17);
    memcpy(nonce, h.nonce_prefix, 7);
    memset(nonce + 7, 0xff, 4);
    nonce[11] = 2;
    assert_int_equal(vt_aead_seal(enc->data + HDR - 16, VT_AEAD_AES_256_GCM, fkey, nonce, haad, sizeof(haad), NULL, 0, NULL), VT_OK);
    assert_int_equal(vt_digestv(VT_MD_SHA256, parts, lens, 3, aad, NULL), VT_OK);
    for (uint32_t i = 0; i < 3; i++) {
        size_t len = i < 2 ? SEG : 12345;
        uint8_t *seg = enc->data + HDR + (size_t)i * SEGCT;
        memcpy(nonce, h.nonce_prefix, 7);
        nonce[7] = 0, nonce[8] = 0, nonce[9] = 0, nonce[10] = (uint8_t)i;
        nonce[11] = i == 2;
        assert_int_equal(vt_aead_seal(seg, VT_AEAD_AES_256_GCM, fkey, nonce, aad, 32, f->data + (size_t)i * SEG, len, NULL),
                         VT_OK);
    }
    store(f->enc, enc->data, enc->len);
}

/* A key holder's file whose header digest is not its plaintext's: every tag
 * verifies, and the digest check alone refuses it. */
static void test_seal_weights__digest_checked_after_decryption(void **state)
{
    struct fx *f = *state;
    vt_buf enc;

    encrypt(f);
    load(&enc, f->enc);
    enc.data[48] ^= 0x01; /* the digest */
    reseal(f, &enc);
    expect_refused(f, "model.safetensors", VT_E_CRYPTO, "digest differs");
    /* The same construction without the digest change decrypts: the test's own encoder is right. */
    enc.data[48] ^= 0x01;
    reseal(f, &enc);
    assert_int_equal(decrypt(f, "model.safetensors", NULL), VT_OK);
    vt_buf_free(&enc);
}

static void test_seal_weights__header_parse_edges(void **state)
{
    uint8_t good[HDR], b[HDR];
    vt_weights_header h;
    vt_err err = { 0 };

    memset(good, 0, sizeof(good));
    memcpy(good, "VTWGHT01", 8);
    good[8] = 1, good[10] = 1, good[12] = 22;
    assert_int_equal(vt_weights_header_parse(&h, good, HDR, &err), VT_OK);
    for (size_t n = 0; n < HDR; n++)
        assert_int_equal(vt_weights_header_parse(&h, good, n, &err), VT_E_FORMAT);
    memcpy(b, good, HDR), b[0] = 'X';
    assert_int_equal(vt_weights_header_parse(&h, b, HDR, &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "magic"));
    memcpy(b, good, HDR), b[8] = 2;
    assert_int_equal(vt_weights_header_parse(&h, b, HDR, &err), VT_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "version"));
    memcpy(b, good, HDR), b[10] = 2;
    assert_int_equal(vt_weights_header_parse(&h, b, HDR, &err), VT_E_UNSUPPORTED);
    memcpy(b, good, HDR), b[12] = 20;
    assert_int_equal(vt_weights_header_parse(&h, b, HDR, &err), VT_E_UNSUPPORTED);
    memcpy(b, good, HDR), b[13] = 1;
    assert_int_equal(vt_weights_header_parse(&h, b, HDR, &err), VT_E_FORMAT);
    memcpy(b, good, HDR), b[47] = 1;
    assert_int_equal(vt_weights_header_parse(&h, b, HDR, &err), VT_E_FORMAT);
    memcpy(b, good, HDR), b[21] = 0x04; /* 2^42 + ... */
    b[16] = 1;
    assert_int_equal(vt_weights_header_parse(&h, b, HDR, &err), VT_E_LIMIT);
    assert_int_equal(h.size, 0); /* state unchanged on failure */
}

static void test_seal_weights__refuses_bad_names_and_inputs(void **state)
{
    struct fx *f = *state;
    char longname[VT_WEIGHTS_NAME_MAX + 2];
    vt_err err = { 0 };
    struct stat st;

    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(vt_weights_encrypt_file(NULL, f->enc, f->plain, f->key, "", NULL, &err), VT_E_ARG);
    assert_int_equal(vt_weights_encrypt_file(NULL, f->enc, f->plain, f->key, longname, NULL, &err), VT_E_ARG);
    assert_int_equal(vt_weights_encrypt_file(NULL, f->enc, f->dir, f->key, "m", NULL, &err), VT_E_ARG);
    assert_int_equal(vt_weights_encrypt_file(NULL, f->enc, "/nonexistent/x", f->key, "m", NULL, &err),
                     VT_E_NOTFOUND);
    assert_int_not_equal(stat(f->enc, &st), 0);
    {
        uint8_t text[120];
        memset(text, 'x', sizeof(text)); /* long enough to hold a header, but not one */
        store(f->enc, text, sizeof(text));
    }
    expect_refused(f, "m", VT_E_FORMAT, "magic");
}

/* decrypt_fd leaves nothing in the output on failure (a memfd in the gateway). */
static void test_seal_weights__failed_decrypt_empties_the_fd(void **state)
{
    struct fx *f = *state;
    vt_buf enc;
    int in, out;
    struct stat st;

    encrypt(f);
    load(&enc, f->enc);
    enc.data[HDR + 2 * SEGCT + 10] ^= 1; /* the last segment: the others are written first */
    store(f->enc, enc.data, enc.len);
    in = open(f->enc, O_RDONLY);
    out = open(f->out, O_RDWR | O_CREAT, 0600);
    assert_true(in >= 0 && out >= 0);
    assert_int_equal(write(out, "old", 3), 3);
    assert_int_equal(vt_weights_decrypt_fd(NULL, out, in, f->key, "model.safetensors", NULL, NULL), VT_E_CRYPTO);
    assert_int_equal(fstat(out, &st), 0);
    assert_int_equal(st.st_size, 0);
    close(in);
    close(out);
    vt_buf_free(&enc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_seal_weights__round_trip_any_size_any_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_weights__matches_the_format_definition, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_weights__wrong_key_or_name_never_opens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_weights__every_header_bit_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_weights__altered_segments_and_tags_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_weights__truncated_or_extended_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_weights__reordered_or_foreign_segments_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_weights__digest_checked_after_decryption, setup, teardown),
        cmocka_unit_test(test_seal_weights__header_parse_edges),
        cmocka_unit_test_setup_teardown(test_seal_weights__refuses_bad_names_and_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_weights__failed_decrypt_empties_the_fd, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
