/* The NVIDIA SPDM evidence parser on hand-built evidence (runs without
 * vectors): a valid layout, every truncation, trailing bytes, each limit,
 * each unsupported or malformed field, and state cleared on failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt_test.h"

#include "tee/nvgpu_spdm.h"

typedef struct build {
    uint8_t version;
    uint8_t param1;
    uint8_t spec;
    uint8_t index2;       /* index of the second block */
    uint16_t vsize;       /* value size of each block */
    bool fwid_short;
    bool tlv_overrun;
    bool big_opaque;
} build;

static const build ok_build = { 0x11, 0x01, 0x01, 2, 48, false, false, false };

static void put16(vt_buf *b, uint16_t v)
{
    assert_int_equal(vt_buf_append_u16le(b, v, NULL), VT_OK);
}

static void put(vt_buf *b, const void *p, size_t n)
{
    assert_int_equal(vt_buf_append(b, p, n, NULL), VT_OK);
}

static void put8(vt_buf *b, uint8_t v)
{
    put(b, &v, 1);
}

static void make(vt_buf *b, const build *o)
{
    uint8_t nonce[32], val[80], sig[96] = { 0 };
    vt_buf opq = { 0 };
    uint32_t rec = 2u * (4u + 3u + o->vsize);

    memset(b, 0, sizeof(*b));
    for (size_t i = 0; i < sizeof(nonce); i++)
        nonce[i] = (uint8_t)i;
    memset(val, 0xab, sizeof(val));
    put8(b, o->version);
    put8(b, 0xE0);
    put8(b, o->param1);
    put8(b, 0xFF);
    put(b, nonce, sizeof(nonce));
    put8(b, 0);
    put8(b, o->version);
    put8(b, 0x60);
    put8(b, 0);
    put8(b, 0);
    put8(b, 2);
    put8(b, (uint8_t)rec);
    put8(b, (uint8_t)(rec >> 8));
    put8(b, (uint8_t)(rec >> 16));
    for (unsigned k = 0; k < 2; k++) {
        put8(b, k == 0 ? 1 : o->index2);
        put8(b, o->spec);
        put16(b, (uint16_t)(3u + o->vsize));
        put8(b, 1);
        put16(b, o->vsize);
        put(b, val, o->vsize);
    }
    put(b, nonce, sizeof(nonce));
    put16(&opq, NVGPU_TLV_DRIVER_VERSION);
    put16(&opq, 9);
    put(&opq, "550.90.07", 9);
    put16(&opq, NVGPU_TLV_VBIOS_VERSION);
    put16(&opq, 8);
    put(&opq, "\x00\x9f\x00\x96\x01\x00\x00\x00", 8);
    put16(&opq, NVGPU_TLV_FWID);
    put16(&opq, o->fwid_short ? 47 : 48);
    put(&opq, val, o->fwid_short ? 47 : 48);
    if (o->tlv_overrun) {
        put16(&opq, 99);
        put16(&opq, 10);
        put(&opq, val, 4);
    }
    if (o->big_opaque) {
        put16(&opq, 99);
        put16(&opq, 1000);
        put(&opq, val, 1); /* length alone matters: checked before the bytes */
    }
    put16(b, (uint16_t)opq.len);
    put(b, opq.data, opq.len);
    put(b, sig, sizeof(sig));
    vt_buf_free(&opq);
}

static vt_status parse_build(vt__nvgpu_evidence *e, const build *o)
{
    vt_buf b;
    vt_status rc;

    make(&b, o);
    rc = vt__nvgpu_parse(e, b.data, b.len, NULL);
    vt_buf_free(&b);
    return rc;
}

static void test_tee_nvgpu_spdm__valid(void **state)
{
    vt__nvgpu_evidence *e = calloc(1, sizeof(*e));
    vt_buf b;
    char s[64];

    (void)state;
    assert_non_null(e);
    make(&b, &ok_build);
    assert_true(vt__nvgpu_probe(b.data, b.len));
    assert_int_equal(vt__nvgpu_parse(e, b.data, b.len, NULL), VT_OK);
    assert_int_equal(e->block_count, 2);
    assert_int_equal(e->meas[1].index, 2);
    assert_int_equal(e->meas[1].len, 48);
    assert_int_equal(e->nonce[31], 31);
    assert_int_equal(e->tlv_count, 3);
    assert_true(e->fwid_present);
    assert_int_equal(e->signed_len, b.len - NVGPU_SIG_LEN);
    vt__nvgpu_driver_string(s, sizeof(s), e);
    assert_string_equal(s, "550.90.07");
    vt__nvgpu_vbios_string(s, sizeof(s), e);
    assert_string_equal(s, "96.00.9F.00.01");
    vt_buf_free(&b);
    free(e);
}

/* Every truncation and a trailing byte: VT_E_FORMAT, and the struct is left zeroed. */
static void test_tee_nvgpu_spdm__truncations_trailing(void **state)
{
    vt__nvgpu_evidence *e = calloc(1, sizeof(*e)), *zero = calloc(1, sizeof(*zero));
    vt_buf b;

    (void)state;
    assert_non_null(e);
    assert_non_null(zero);
    make(&b, &ok_build);
    for (size_t n = 0; n < b.len; n++) {
        uint8_t *cut = malloc(n + 1);

        assert_non_null(cut);
        memcpy(cut, b.data, n);
        memset(e, 0x5a, sizeof(*e));
        assert_int_equal(vt__nvgpu_parse(e, cut, n, NULL), VT_E_FORMAT);
        assert_memory_equal(e, zero, sizeof(*e));
        free(cut);
    }
    assert_int_equal(vt_buf_append(&b, "", 1, NULL), VT_OK);
    assert_int_equal(vt__nvgpu_parse(e, b.data, b.len, NULL), VT_E_FORMAT);
    assert_false(vt__nvgpu_probe(b.data, 44));
    vt_buf_free(&b);
    free(zero);
    free(e);
}

static void test_tee_nvgpu_spdm__bad_fields(void **state)
{
    vt__nvgpu_evidence *e = calloc(1, sizeof(*e));
    build o;
    uint8_t huge[NVGPU_EVIDENCE_MAX + 1] = { 0x11, 0xE0 };

    (void)state;
    assert_non_null(e);
    o = ok_build;
    o.version = 0x12;
    assert_int_equal(parse_build(e, &o), VT_E_UNSUPPORTED);
    o = ok_build;
    o.param1 = 0;
    assert_int_equal(parse_build(e, &o), VT_E_UNSUPPORTED);
    o = ok_build;
    o.spec = 2;
    assert_int_equal(parse_build(e, &o), VT_E_UNSUPPORTED);
    o = ok_build;
    o.index2 = 1;
    assert_int_equal(parse_build(e, &o), VT_E_FORMAT);
    o = ok_build;
    o.vsize = NVGPU_MEAS_VALUE_MAX + 1;
    assert_int_equal(parse_build(e, &o), VT_E_LIMIT);
    o = ok_build;
    o.fwid_short = true;
    assert_int_equal(parse_build(e, &o), VT_E_FORMAT);
    o = ok_build;
    o.tlv_overrun = true;
    assert_int_equal(parse_build(e, &o), VT_E_FORMAT);
    o = ok_build;
    o.big_opaque = true;
    assert_int_equal(parse_build(e, &o), VT_E_FORMAT); /* TLV runs past the opaque data */
    assert_int_equal(vt__nvgpu_parse(e, huge, sizeof(huge), NULL), VT_E_LIMIT);
    assert_int_equal(vt__nvgpu_parse(e, NULL, 0, NULL), VT_E_FORMAT);
    free(e);
}

/* OpaqueLength above SPDM's 1024 and a measurement record above its maximum: VT_E_LIMIT. */
static void test_tee_nvgpu_spdm__limits(void **state)
{
    vt__nvgpu_evidence *e = calloc(1, sizeof(*e));
    vt_buf b;
    size_t opq_off;

    (void)state;
    assert_non_null(e);
    make(&b, &ok_build);
    opq_off = NVGPU_REQ_LEN + 8 + 2u * (7u + 48u) + NVGPU_NONCE_LEN;
    b.data[opq_off] = 0x01;
    b.data[opq_off + 1] = 0x04; /* 1025 */
    assert_int_equal(vt__nvgpu_parse(e, b.data, b.len, NULL), VT_E_LIMIT);
    vt_buf_free(&b);
    make(&b, &ok_build);
    b.data[NVGPU_REQ_LEN + 7] = 0x10; /* record length >= 1 MiB */
    assert_int_equal(vt__nvgpu_parse(e, b.data, b.len, NULL), VT_E_LIMIT);
    vt_buf_free(&b);
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_nvgpu_spdm__valid),
        cmocka_unit_test(test_tee_nvgpu_spdm__truncations_trailing),
        cmocka_unit_test(test_tee_nvgpu_spdm__bad_fields),
        cmocka_unit_test(test_tee_nvgpu_spdm__limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
