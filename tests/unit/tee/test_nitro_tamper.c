/* Nitro documents tampered with: single-bit flips in each signed region and in
 * the signature are rejected; every truncation and trailing bytes are format
 * errors (never a crash); hostile CBOR heads are refused before libcbor
 * allocates; the parser leaves its output cleared on failure. */
#include "test_nitro_util.h"

#include "tee/nitro_doc.h"

/* Untagged documents: 84, protected bstr head at 1, then its bytes. */
#define PROT_OFF 2

static void doc_regions(const uint8_t *p, size_t len, size_t *prot_len, size_t *payload_off, size_t *payload_len,
                        size_t *sig_off)
{
    size_t off;

    assert_int_equal(p[0], 0x84);
    assert_true(p[1] >= 0x40 && p[1] < 0x58);
    *prot_len = p[1] - 0x40;
    off = PROT_OFF + *prot_len;
    assert_int_equal(p[off], 0xa0); /* empty unprotected map */
    off++;
    assert_int_equal(p[off], 0x59); /* payload: bstr, 2-byte length */
    *payload_len = ((size_t)p[off + 1] << 8) | p[off + 2];
    *payload_off = off + 3;
    *sig_off = *payload_off + *payload_len + 2; /* 58 60 */
    assert_int_equal(*sig_off + NITRO_SIG_LEN, len);
}

static void expect_rejected(uint8_t *p, size_t len, vt_time at, vt_verify_cache *cache, size_t byte, unsigned bit)
{
    vt_result *r = calloc(1, sizeof(*r));
    vt_status rc;

    assert_non_null(r);
    p[byte] ^= (uint8_t)(1u << bit);
    rc = nitro_test_run(r, p, len, at, cache, true);
    if (r->valid)
        fail_msg("bit %u of byte %zu flipped: still valid (rc %d)", bit, byte, rc);
    assert_true(rc == VT_OK || rc == VT_E_FORMAT || rc == VT_E_UNSUPPORTED || rc == VT_E_LIMIT);
    p[byte] ^= (uint8_t)(1u << bit);
    free(r);
}

static void test_tee_nitro_tamper__bit_flips(void **state)
{
    vt_verify_cache *cache = NULL;

    (void)state;
    assert_int_equal(vt_verify_cache_new(&cache, NULL), VT_OK);
    for (size_t s = 0; s < NITRO_SAMPLES; s++) {
        vt_buf b = { 0 };
        vt_result *r = calloc(1, sizeof(*r));
        size_t prot_len, payload_off, payload_len, sig_off;
        vt_time at = vt_test_time(nitro_samples[s].at);

        assert_non_null(r);
        vt_test_load(&b, nitro_samples[s].file);
        doc_regions(b.data, b.len, &prot_len, &payload_off, &payload_len, &sig_off);
        assert_int_equal(nitro_test_run(r, b.data, b.len, at, cache, true), VT_OK);
        assert_true(r->valid);
        /* Protected header: every bit. */
        for (size_t i = PROT_OFF; i < PROT_OFF + prot_len; i++)
            for (unsigned bit = 0; bit < 8; bit++)
                expect_rejected(b.data, b.len, at, cache, i, bit);
        /* Signature: every bit of r and s. */
        for (size_t i = sig_off; i < b.len; i++)
            for (unsigned bit = 0; bit < 8; bit++)
                expect_rejected(b.data, b.len, at, cache, i, bit);
        /* Payload: one bit in every byte (rotating), so each field is hit. */
        for (size_t i = payload_off; i < payload_off + payload_len; i += (s == 0 ? 2 : 5))
            expect_rejected(b.data, b.len, at, cache, i, (unsigned)(i % 8));
        /* Still valid after all the restorations. */
        assert_int_equal(nitro_test_run(r, b.data, b.len, at, cache, true), VT_OK);
        assert_true(r->valid);
        vt_buf_free(&b);
        free(r);
    }
    vt_verify_cache_free(cache);
}

static void test_tee_nitro_tamper__every_truncation_is_format(void **state)
{
    vt__nitro_doc *d = calloc(1, sizeof(*d));
    vt_result *r = calloc(1, sizeof(*r));

    (void)state;
    assert_non_null(d);
    assert_non_null(r);
    for (size_t s = 0; s < NITRO_SAMPLES; s++) {
        vt_buf b = { 0 };
        vt_time at = vt_test_time(nitro_samples[s].at);

        vt_test_load(&b, nitro_samples[s].file);
        for (size_t n = 0; n < b.len; n++) {
            /* An exact-size copy so ASan sees any read past the end. */
            uint8_t *p = malloc(n + 1);
            vt_err e = { 0 };

            assert_non_null(p);
            memcpy(p, b.data, n);
            if (vt__nitro_doc_parse(d, p, n, &e) != VT_E_FORMAT)
                fail_msg("%s truncated to %zu: not a format error (%s)", nitro_samples[s].file, n, e.msg);
            assert_true(e.msg[0] != '\0');
            if (nitro_test_run(r, p, n, at, NULL, true) != VT_E_FORMAT)
                fail_msg("%s truncated to %zu: verify is not a format error", nitro_samples[s].file, n);
            assert_false(r->valid);
            free(p);
        }
        vt_buf_free(&b);
    }
    free(d);
    free(r);
}

static void test_tee_nitro_tamper__trailing_bytes(void **state)
{
    vt_buf b = { 0 };
    vt__nitro_doc *d = calloc(1, sizeof(*d));
    vt_err e = { 0 };
    static const uint8_t extra = 0x00;

    (void)state;
    assert_non_null(d);
    vt_test_load(&b, nitro_samples[0].file);
    assert_int_equal(vt_buf_append(&b, &extra, 1, NULL), VT_OK);
    assert_int_equal(vt__nitro_doc_parse(d, b.data, b.len, &e), VT_E_FORMAT);
    assert_non_null(strstr(e.msg, "trailing"));
    vt_buf_free(&b);
    free(d);
}

static void test_tee_nitro_tamper__state_unchanged_on_failure(void **state)
{
    vt_buf b = { 0 };
    vt__nitro_doc *d = calloc(1, sizeof(*d));
    vt__nitro_doc *zero = calloc(1, sizeof(*zero));

    (void)state;
    assert_non_null(d);
    assert_non_null(zero);
    vt_test_load(&b, nitro_samples[3].file);
    assert_int_equal(vt__nitro_doc_parse(d, b.data, b.len, NULL), VT_OK);
    assert_int_equal(d->cabundle_count, 4);
    assert_int_equal(vt__nitro_doc_parse(d, b.data, b.len - 1, NULL), VT_E_FORMAT);
    assert_memory_equal(d, zero, sizeof(*d));
    vt_buf_free(&b);
    free(d);
    free(zero);
}

static void test_tee_nitro_tamper__hostile_heads(void **state)
{
    vt__nitro_doc *d = calloc(1, sizeof(*d));
    vt_err e = { 0 };
    uint8_t big[NITRO_DOC_MAX + 1];
    /* array(4) [h'a10138 22', {}, array(2^64-1)...]: declared count beyond the bytes. */
    static const uint8_t huge_array[] = { 0x84, 0x44, 0xa1, 0x01, 0x38, 0x22, 0xa0, 0x9b, 0xff, 0xff, 0xff,
                                          0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };
    static const uint8_t huge_map[] = { 0x84, 0x44, 0xa1, 0x01, 0x38, 0x22, 0xba, 0x7f, 0xff, 0xff, 0xff, 0x00 };
    /* Indefinite-length array / byte string. */
    static const uint8_t indef[] = { 0x9f, 0x44, 0xa1, 0x01, 0x38, 0x22, 0xa0, 0x40, 0x40, 0xff };
    static const uint8_t indef_bstr[] = { 0x84, 0x5f, 0x44, 0xa1, 0x01, 0x38, 0x22, 0xff, 0xa0, 0x40, 0x40 };
    /* Nesting deeper than expected. */
    static const uint8_t deep[] = { 0x84, 0x81, 0x81, 0x81, 0x81, 0x81, 0x00, 0xa0, 0x40, 0x40 };
    /* A tag that is not 18, and a tag inside. */
    static const uint8_t tag_other[] = { 0xd8, 0x60, 0x84, 0x40, 0xa0, 0x40, 0x40 };
    static const uint8_t tag_inner[] = { 0x84, 0xd2, 0x40, 0xa0, 0x40, 0x40 };
    /* Protected header alg ES256 (-7), valid otherwise up to the payload. */
    static const uint8_t es256_head[] = { 0x84, 0x43, 0xa1, 0x01, 0x26, 0xa0, 0x41, 0xa0, 0x58, 0x60 };
    uint8_t es256[sizeof(es256_head) + NITRO_SIG_LEN];

    (void)state;
    assert_non_null(d);
    memset(es256, 0, sizeof(es256));
    memcpy(es256, es256_head, sizeof(es256_head));
    assert_int_equal(vt__nitro_doc_parse(d, huge_array, sizeof(huge_array), &e), VT_E_FORMAT);
    assert_non_null(strstr(e.msg, "more items"));
    assert_int_equal(vt__nitro_doc_parse(d, huge_map, sizeof(huge_map), &e), VT_E_FORMAT);
    assert_int_equal(vt__nitro_doc_parse(d, indef, sizeof(indef), &e), VT_E_FORMAT);
    assert_non_null(strstr(e.msg, "indefinite"));
    assert_int_equal(vt__nitro_doc_parse(d, indef_bstr, sizeof(indef_bstr), &e), VT_E_FORMAT);
    assert_int_equal(vt__nitro_doc_parse(d, deep, sizeof(deep), &e), VT_E_FORMAT);
    assert_non_null(strstr(e.msg, "deeper"));
    assert_int_equal(vt__nitro_doc_parse(d, tag_other, sizeof(tag_other), &e), VT_E_FORMAT);
    assert_int_equal(vt__nitro_doc_parse(d, tag_inner, sizeof(tag_inner), &e), VT_E_FORMAT);
    assert_int_equal(vt__nitro_doc_parse(d, es256, sizeof(es256), &e), VT_E_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "ES384"));
    memset(big, 0, sizeof(big));
    big[0] = 0x84;
    assert_int_equal(vt__nitro_doc_parse(d, big, sizeof(big), &e), VT_E_LIMIT);
    free(d);
}

static void test_tee_nitro_tamper__probe(void **state)
{
    static const uint8_t tdx_v4[8] = { 0x04, 0x00, 0x02, 0x00, 0x81, 0x00, 0x00, 0x00 };
    static const uint8_t cose[5] = { 0x84, 0x44, 0xa1, 0x01, 0x38 };
    static const uint8_t cose_tagged[5] = { 0xd2, 0x84, 0x44, 0xa1, 0x01 };
    static const uint8_t array_not_bstr[5] = { 0x84, 0xa0, 0x00, 0x00, 0x00 };

    (void)state;
    assert_false(vt__nitro_doc_probe(tdx_v4, sizeof(tdx_v4)));
    assert_false(vt__nitro_doc_probe(array_not_bstr, sizeof(array_not_bstr)));
    assert_false(vt__nitro_doc_probe(cose, 4));
    assert_true(vt__nitro_doc_probe(cose, sizeof(cose)));
    assert_true(vt__nitro_doc_probe(cose_tagged, sizeof(cose_tagged)));
    assert_int_equal(vt_evidence_probe(tdx_v4, sizeof(tdx_v4)), VT_TEE_NONE);
}

int main(void)
{
    const struct CMUnitTest vector_tests[] = {
        cmocka_unit_test(test_tee_nitro_tamper__bit_flips),
        cmocka_unit_test(test_tee_nitro_tamper__every_truncation_is_format),
        cmocka_unit_test(test_tee_nitro_tamper__trailing_bytes),
        cmocka_unit_test(test_tee_nitro_tamper__state_unchanged_on_failure),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tee_nitro_tamper__hostile_heads),
        cmocka_unit_test(test_tee_nitro_tamper__probe),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    vt_test_require_vectors();
    return failed + cmocka_run_group_tests(vector_tests, NULL, NULL);
}
