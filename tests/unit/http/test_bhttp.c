/* Binary HTTP (RFC 9292): the RFC's known-length examples decode and
 * re-encode, truncation at section ends is empty sections, and every other
 * truncation, bad byte, padding and limit is refused. */
#include "vt_test.h"

#include <string.h>

/* RFC 9292 §5.1, known-length request (GET /hello.txt, three fields). */
static const char req_hex[] =
    "0003474554056874747073000a2f68656c6c6f2e747874406c0a757365722d6167656e74346375726c2f372e31362e33206c"
    "69626375726c2f372e31362e33204f70656e53534c2f302e392e376c207a6c69622f312e322e3304686f73740f7777772e65"
    "78616d706c652e636f6d0f6163636570742d6c616e677561676506656e2c206d690000";
/* RFC 9292 §5.2, known-length response with content and a trailer. */
static const char res_hex[] = "0140c8001d5468697320636f6e74656e7420636f6e7461696e732043524c462e0d0a0d07747261696c"
                              "65720474657874";

static void unhex(vt_buf *b, const char *h)
{
    vt_buf_free(b);
    assert_int_equal(vt_hex_decode_buf(b, h, strlen(h), 4096, NULL), VT_OK);
}

static void str_is(const char *p, size_t n, const char *want)
{
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

static void test_http_bhttp__rfc9292_request_example(void **state)
{
    vt_buf b = { 0 }, enc = { 0 };
    vt_bhttp_msg *m = NULL;
    vt_err err = { 0 };
    const vt_bhttp_field *f;

    (void)state;
    unhex(&b, req_hex);
    assert_int_equal(vt_bhttp_parse(&m, b.data, b.len, &err), VT_OK);
    assert_true(m->request);
    str_is(m->method, m->method_len, "GET");
    str_is(m->scheme, m->scheme_len, "https");
    assert_int_equal(m->authority_len, 0);
    str_is(m->path, m->path_len, "/hello.txt");
    assert_int_equal(m->field_count, 3);
    f = vt_bhttp_field_get(m, "host");
    assert_non_null(f);
    str_is(f->value, f->value_len, "www.example.com");
    str_is(m->fields[2].value, m->fields[2].value_len, "en, mi");
    assert_int_equal(m->content_len, 0);
    assert_int_equal(m->trailer_count, 0);
    /* Re-encoding drops the two empty trailing sections (§3.8), nothing else. */
    assert_int_equal(vt_bhttp_encode_request(&enc, "GET", "https", "", "/hello.txt", m->fields, m->field_count,
                                             NULL, 0, &err),
                     VT_OK);
    assert_int_equal(enc.len, b.len - 2);
    assert_memory_equal(enc.data, b.data, enc.len);
    vt_bhttp_msg_free(m);
    /* Either truncation parses to the same message. */
    for (size_t cut = 1; cut <= 2; cut++) {
        assert_int_equal(vt_bhttp_parse(&m, b.data, b.len - cut, &err), VT_OK);
        assert_int_equal(m->field_count, 3);
        vt_bhttp_msg_free(m);
    }
    vt_buf_free(&b);
    vt_buf_free(&enc);
}

static void test_http_bhttp__rfc9292_response_example(void **state)
{
    vt_buf b = { 0 }, enc = { 0 };
    vt_bhttp_msg *m = NULL;
    vt_err err = { 0 };

    (void)state;
    unhex(&b, res_hex);
    assert_int_equal(vt_bhttp_parse(&m, b.data, b.len, &err), VT_OK);
    assert_false(m->request);
    assert_int_equal(m->status, 200);
    assert_int_equal(m->field_count, 0);
    assert_int_equal(m->content_len, 29);
    assert_memory_equal(m->content, "This content contains CRLF.\r\n", 29);
    assert_int_equal(m->trailer_count, 1);
    str_is(m->trailers[0].name, m->trailers[0].name_len, "trailer");
    str_is(m->trailers[0].value, m->trailers[0].value_len, "text");
    vt_bhttp_msg_free(m);
    /* Our encoder (no trailers) gives the same bytes up to the trailer section. */
    assert_int_equal(vt_bhttp_encode_response(&enc, 200, NULL, 0, (const uint8_t *)"This content contains CRLF.\r\n",
                                              29, &err),
                     VT_OK);
    assert_int_equal(enc.len, b.len - 14);
    assert_memory_equal(enc.data, b.data, enc.len);
    vt_buf_free(&b);
    vt_buf_free(&enc);
}

/* Every prefix either parses (cut at a section end) or fails with VT_E_FORMAT; never a crash. */
static void test_http_bhttp__every_truncation(void **state)
{
    const char *ex[2] = { req_hex, res_hex };
    vt_buf b = { 0 };
    vt_bhttp_msg *m = NULL;
    vt_err err = { 0 };

    (void)state;
    for (int e = 0; e < 2; e++) {
        size_t ok = 0;
        unhex(&b, ex[e]);
        for (size_t n = 0; n < b.len; n++) {
            vt_status rc = vt_bhttp_parse(&m, b.data, n, &err);
            if (rc == VT_OK) {
                ok++;
                vt_bhttp_msg_free(m);
            } else {
                assert_int_equal(rc, VT_E_FORMAT);
                assert_null(m);
            }
        }
        /* Request: after the path, after the fields, after the content.  Response: after
         * the status, after the (empty) fields, after the content. */
        assert_int_equal(ok, 3);
    }
    vt_buf_free(&b);
}

static void test_http_bhttp__malformed_fields_and_padding(void **state)
{
    static const struct {
        const char *hex;
        vt_status rc;
        const char *what;
    } bad[] = {
        { "0003474554056874747073000a2f68656c6c6f2e74787404014101" "62", VT_E_FORMAT, "uppercase name" },
        { "000347455405687474707300012f0400000000", VT_E_FORMAT, "empty name" },
        { "000347455405687474707300012f04016101" "0a", VT_E_FORMAT, "LF in value" },
        { "000347455405687474707300012f000000" "01", VT_E_FORMAT, "non-zero padding" },
        { "000347455405687474707300012f00000000000000", VT_OK, "zero padding" },
        { "0003474554056874747073000000", VT_E_FORMAT, "empty path" },
        { "0003472054056874747073000000", VT_E_FORMAT, "space in method" },
        { "000347455405687474707300022f20", VT_E_FORMAT, "space in path" },
        { "0140c7", VT_E_FORMAT, "status 199 with no fields" },
        { "014258", VT_E_FORMAT, "status 600" },
        { "01405a00", VT_E_FORMAT, "status 90" },
        { "0240c8", VT_E_UNSUPPORTED, "indeterminate" },
        { "04", VT_E_FORMAT, "framing 4" },
        { "", VT_E_FORMAT, "empty" },
        { "000347455405687474707300012f00" "ff", VT_E_FORMAT, "content length 8-byte varint truncated" },
        { "000347455405687474707300012f00" "4005616263", VT_E_FORMAT, "content past the end" },
        { "000347455405687474707300012f" "7fff", VT_E_FORMAT, "field section past the end" },
        { "01406400" "40c8", VT_OK, "one informational response" },
    };
    vt_buf b = { 0 };
    vt_bhttp_msg *m = NULL;
    vt_err err = { 0 };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vt_status rc;
        unhex(&b, bad[i].hex);
        rc = vt_bhttp_parse(&m, b.data, b.len, &err);
        if (rc != bad[i].rc)
            fail_msg("%s: got %d (%s), want %d", bad[i].what, rc, err.msg, bad[i].rc);
        vt_bhttp_msg_free(m);
        m = NULL;
    }
    vt_buf_free(&b);
}

static void test_http_bhttp__limits(void **state)
{
    vt_buf b = { 0 };
    vt_bhttp_msg *m = NULL;
    vt_bhttp_field f[VT_BHTTP_FIELDS_MAX + 1];
    vt_err err = { 0 };

    (void)state;
    for (size_t i = 0; i <= VT_BHTTP_FIELDS_MAX; i++)
        f[i] = (vt_bhttp_field){ "x", 1, "y", 1 };
    assert_int_equal(vt_bhttp_encode_request(&b, "GET", "https", "a", "/", f, VT_BHTTP_FIELDS_MAX + 1, NULL, 0, &err),
                     VT_E_LIMIT);
    assert_int_equal(b.len, 0);
    assert_int_equal(vt_bhttp_encode_request(&b, "GET", "https", "a", "/", f, VT_BHTTP_FIELDS_MAX, NULL, 0, &err),
                     VT_OK);
    assert_int_equal(vt_bhttp_parse(&m, b.data, b.len, &err), VT_OK);
    assert_int_equal(m->field_count, VT_BHTTP_FIELDS_MAX);
    vt_bhttp_msg_free(m);
    m = NULL;
    /* One more line, spliced into the section by hand, is over the limit. */
    {
        vt_buf c = { 0 };
        size_t sec = 1 + 4 + 6 + 2 + 2;     /* framing + control data */
        size_t slen = 4 * VT_BHTTP_FIELDS_MAX + 4;
        assert_int_equal(vt_buf_append(&c, b.data, sec, NULL), VT_OK);
        assert_int_equal(vt_buf_append(&c, (uint8_t[]){ (uint8_t)(0x40 | (slen >> 8)), (uint8_t)slen }, 2, NULL), VT_OK);
        for (size_t i = 0; i <= VT_BHTTP_FIELDS_MAX; i++)
            assert_int_equal(vt_buf_append(&c, "\x01x\x01y", 4, NULL), VT_OK);
        assert_int_equal(vt_bhttp_parse(&m, c.data, c.len, &err), VT_E_LIMIT);
        assert_null(m);
        vt_buf_free(&c);
    }
    assert_int_equal(vt_bhttp_encode_request(&b, "GET", "https", "a", "", NULL, 0, NULL, 0, &err), VT_E_ARG);
    assert_int_equal(vt_bhttp_encode_response(&b, 199, NULL, 0, NULL, 0, &err), VT_E_ARG);
    f[0].name = "X";
    assert_int_equal(vt_bhttp_encode_response(&b, 200, f, 1, NULL, 0, &err), VT_E_ARG);
    assert_int_equal(vt_bhttp_parse(&m, b.data, (size_t)VT_BHTTP_MAX + 1, &err), VT_E_LIMIT);
    vt_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_bhttp__rfc9292_request_example),
        cmocka_unit_test(test_http_bhttp__rfc9292_response_example),
        cmocka_unit_test(test_http_bhttp__every_truncation),
        cmocka_unit_test(test_http_bhttp__malformed_fields_and_padding),
        cmocka_unit_test(test_http_bhttp__limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
